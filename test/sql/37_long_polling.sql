\set ECHO none
\i test/sql/lib/setup.sql
-- get_records with wait (API.md, "Consumers and long polling"): a call with
-- nothing to read waits until the wait ends and returns empty; a call with
-- records, or at the end of a closed shard, does not wait; every wrong wait
-- is InvalidArgumentException.  A wait ends early only when a commit wakes
-- it, which takes another session: TAP test 120_long_polling.
BEGIN;
SELECT plan(11);

\i test/sql/lib/helpers.sql

-- How long a call took, in milliseconds
CREATE FUNCTION pg_temp.ms_of(sql text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
BEGIN
	EXECUTE sql;
	RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END
$$;

SELECT stream.create_stream('poll', 1);
SELECT stream.get_shard_iterator('poll', 'shardId-000000000000', 'LATEST') AS it \gset

SELECT results_eq(format($$SELECT cardinality(records), next_shard_iterator IS NOT NULL, child_shards IS NULL
						   FROM stream.get_records(%L, 10, '300 ms')$$, :'it'),
				  $$VALUES (0, true, true)$$,
				  'a call with nothing to read returns no record after its wait');
SELECT cmp_ok(pg_temp.ms_of(format($$SELECT stream.get_records(%L, 10, '300 ms')$$, :'it')),
			  '>=', 300::float8,
			  '... having waited the whole wait, as no record committed');
SELECT cmp_ok(pg_temp.ms_of(format($$SELECT stream.get_records(%L, 10)$$, :'it')),
			  '<', 300::float8,
			  'without a wait, it returns at once');

SELECT stream.put_record('poll', 'k', 'there'::bytea);
SELECT results_eq(format($$SELECT r.data FROM stream.get_records(%L, 10, '5 min') g, unnest(g.records) r$$,
						  :'it'),
				  $$VALUES ('there'::bytea)$$,
				  'a call with a record to read returns it without waiting (or this file would time out)');

-- the end of a closed shard: its children at once
SELECT stream.get_shard_iterator('poll', 'shardId-000000000000', 'LATEST') AS it_end \gset
SELECT stream.split_shard('poll', 'shardId-000000000000', (2::numeric ^ 127)::numeric);
SELECT results_eq(format($$SELECT cardinality(records), next_shard_iterator IS NULL,
								  jsonb_array_length(child_shards)
						   FROM stream.get_records(%L, 10, '5 min')$$, :'it_end'),
				  $$VALUES (0, true, 2)$$,
				  'at the end of a closed shard it returns the children without waiting');

SELECT throws_ok(format($$SELECT stream.get_records(%L, 10, '-1 s')$$, :'it'), '22023',
				 'wait of -1.000 seconds is out of range', 'a negative wait is InvalidArgumentException');
SELECT throws_ok(format($$SELECT stream.get_records(%L, 10, '5 min 1 s')$$, :'it'), '22023',
				 'wait of 301.000 seconds is out of range', 'so is a wait beyond 5 minutes');
SELECT throws_ok(format($$SELECT stream.get_records(%L, 10, '1 mon')$$, :'it'), '22023',
				 'wait of 1 months is out of range', 'and one of months');
SELECT throws_ok(format($$SELECT stream.get_records(%L, 10, NULL)$$, :'it'), '22023',
				 'wait must not be null', 'and a NULL wait');
SELECT is((pg_temp.error_of(format($$SELECT stream.get_records(%L, 10, '-1 s')$$, :'it'))).detail,
		  'The Kinesis exception is InvalidArgumentException.', '... named in the DETAIL');
SELECT lives_ok(format($$SELECT stream.get_records(%L, 10, '1 day -23:59:59.9')$$, :'it'),
				'a wait is its length, whatever its parts');

SELECT * FROM finish();
ROLLBACK;
