\set ECHO none
\i test/sql/lib/setup.sql
-- get_records: the limit, chaining through next_shard_iterator,
-- millis_behind_latest, every field of a record, iterators that were altered,
-- forged or have expired, and records of rolled-back subtransactions.
BEGIN;
SELECT plan(50);

-- Arrival times come from the wall clock: let it move past now().
SELECT pg_sleep(0.05) \gset

SELECT stream.create_stream('gr', 1);

CREATE TEMP TABLE put (i int PRIMARY KEY, key text, data bytea, sequence_number numeric,
					   before timestamptz, after timestamptz);
DO $$
DECLARE
	i int;
	t0 timestamptz;
	s numeric;
BEGIN
	FOR i IN 1 .. 7 LOOP
		t0 := clock_timestamp();
		SELECT sequence_number INTO s
			FROM stream.put_record('gr', 'k' || i, convert_to('d' || i, 'UTF8'));
		INSERT INTO put VALUES (i, 'k' || i, convert_to('d' || i, 'UTF8'), s, t0,
								clock_timestamp());
	END LOOP;
END
$$;

SELECT stream.get_shard_iterator('gr', 'shardId-000000000000', 'TRIM_HORIZON') AS it \gset

-- Every field of every record, read in one call.
CREATE TEMP TABLE got AS
	SELECT r.*, r.ordinality AS n, g.next_shard_iterator, g.millis_behind_latest, g.child_shards
	FROM stream.get_records(:'it') AS g, unnest(g.records) WITH ORDINALITY AS r;
SELECT is((SELECT count(*) FROM stream.get_records(:'it')), 1::bigint,
		  'get_records returns exactly one row');
SELECT is((SELECT count(*) FROM got), 7::bigint, 'one call reads the 7 records');
SELECT results_eq(
	$$SELECT n::int, data, partition_key, sequence_number FROM got ORDER BY n$$,
	$$SELECT i, data, key, sequence_number FROM put ORDER BY i$$,
	'data, partition_key and sequence_number are those put, in order');
SELECT is((SELECT count(*) FROM got WHERE encryption_type IS DISTINCT FROM 'NONE'), 0::bigint,
		  'encryption_type is NONE');
SELECT is((SELECT count(*) FROM (
			SELECT sequence_number, lag(sequence_number) OVER (ORDER BY n) AS prev FROM got) AS o
		   WHERE sequence_number <= prev),
		  0::bigint, 'sequence numbers are strictly increasing');
SELECT is((SELECT count(*) FROM got JOIN put ON put.i = got.n
		   WHERE got.approximate_arrival_timestamp
				 NOT BETWEEN date_trunc('milliseconds', put.before) AND put.after),
		  0::bigint, 'approximate_arrival_timestamp is when put_record ran (millisecond precision)');
SELECT cmp_ok((SELECT min(approximate_arrival_timestamp) FROM got), '>', now(),
			  'approximate_arrival_timestamp is wall-clock time, not the transaction''s start');
SELECT is((SELECT count(*) FROM (
			SELECT approximate_arrival_timestamp AS a,
				   lag(approximate_arrival_timestamp) OVER (ORDER BY n) AS prev FROM got) AS o
		   WHERE a < prev),
		  0::bigint, 'arrival times do not go back within a shard');
SELECT is((SELECT DISTINCT millis_behind_latest FROM got), 0::bigint,
		  'millis_behind_latest is 0 once the shard is read to its newest record');
SELECT ok((SELECT bool_and(next_shard_iterator IS NOT NULL) FROM got),
		  'an open shard always gives a next_shard_iterator');
SELECT ok((SELECT bool_and(child_shards IS NULL OR child_shards = '[]'::jsonb) FROM got),
		  'an open shard has no child shards');

-- Caught up: no records, an iterator to go on with, 0 behind.
SELECT next_shard_iterator AS tip FROM got LIMIT 1 \gset
SELECT results_eq(
	format('SELECT coalesce(cardinality(records), 0), next_shard_iterator IS NOT NULL,
				   millis_behind_latest FROM stream.get_records(%L)', :'tip'),
	$$VALUES (0, true, 0::bigint)$$,
	'at the tip: no record, a next iterator, 0 millis behind');
SELECT is((SELECT records FROM stream.get_records(:'tip')), '{}'::stream.record[],
		  'at the tip: records is an empty array, not NULL');
-- The same iterator can be used again: a record put later is read from it.
SELECT stream.put_record('gr', 'k8', '\x08') \gset
SELECT is((SELECT (records[1]).data FROM stream.get_records(:'tip')), '\x08'::bytea,
		  'the tip iterator reads a record put after it');
SELECT is((SELECT cardinality(records) FROM stream.get_records(:'it')), 8,
		  'an iterator can be used more than once');

-- The limit.
SELECT is((SELECT cardinality(records) FROM stream.get_records(:'it', 1)), 1,
		  'limit 1: one record');
SELECT is((SELECT (records[1]).data FROM stream.get_records(:'it', 1)), '\x6431'::bytea,
		  'limit 1: the first record');
SELECT is((SELECT cardinality(records) FROM stream.get_records(:'it', 3)), 3,
		  'limit 3: three records');
SELECT cmp_ok((SELECT millis_behind_latest FROM stream.get_records(:'it', 1)), '>=', 0::bigint,
			  'behind the tip, millis_behind_latest is set and not negative');
SELECT is((SELECT cardinality(records) FROM stream.get_records(:'it', 10000)), 8,
		  'limit 10000: every record');
SELECT is((SELECT cardinality(records) FROM stream.get_records(:'it', "limit" => 2)), 2,
		  'the limit as a named argument');
-- Two calls in one statement keep their own records (get_records builds
-- them in a buffer it reuses from call to call).
SELECT is((SELECT ARRAY[(a.records[1]).data, (a.records[3]).data, (b.records[1]).data]
		   FROM stream.get_records(:'it', 3) AS a, stream.get_records(:'tip') AS b),
		  ARRAY['\x6431', '\x6433', '\x08']::bytea[],
		  'two get_records calls in one statement each return their own records');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L, 0)', :'it'), '22023', NULL,
				 'limit 0: 22023');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L, -1)', :'it'), '22023', NULL,
				 'limit -1: 22023');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L, 10001)', :'it'), '22023', NULL,
				 'limit 10001: 22023');

-- Behind the tip by 100 ms of arrival time: millis_behind_latest shows it.
SELECT stream.create_stream('lag', 1);
SELECT stream.put_record('lag', 'k', '\x01') \gset
SELECT pg_sleep(0.1) \gset
SELECT stream.put_record('lag', 'k', '\x02') \gset
SELECT cmp_ok(
	(SELECT millis_behind_latest
	 FROM stream.get_records(stream.get_shard_iterator('lag', 'shardId-000000000000',
													   'TRIM_HORIZON'), 1)),
	'>=', 50::bigint,
	'a reader 100 ms of arrivals behind the tip has millis_behind_latest of at least 50');

-- The default limit is 10,000 records.
SELECT stream.create_stream('many', 1);
SELECT sum(n) AS many_count FROM (
	SELECT (SELECT count(*) FROM stream.put_records('many',
				ARRAY(SELECT 'k' FROM generate_series(1, 500)),
				ARRAY(SELECT int4send(b * 500 + i) FROM generate_series(1, 500) AS i))) AS n
	FROM generate_series(0, 20) AS b) AS batches \gset
SELECT stream.get_shard_iterator('many', 'shardId-000000000000', 'TRIM_HORIZON') AS many_it \gset
SELECT results_eq(
	format('SELECT cardinality(records), (records[1]).data, (records[10000]).data
			FROM stream.get_records(%L)', :'many_it'),
	$$VALUES (10000, int4send(1), int4send(10000))$$,
	'of 10,500 records, get_records without a limit returns the first 10,000');
SELECT results_eq(
	format('SELECT cardinality(g2.records), (g2.records[1]).data, (g2.records[500]).data
			FROM stream.get_records(%L) AS g1,
				 LATERAL stream.get_records(g1.next_shard_iterator) AS g2', :'many_it'),
	$$VALUES (500, int4send(10001), int4send(10500))$$,
	'... and its next_shard_iterator the remaining 500');

-- Chaining with limit 2 reads every record once, in order.
CREATE FUNCTION pg_temp.chain(it text, lim int, OUT datas bytea[], OUT calls int,
							  OUT final_behind bigint) LANGUAGE plpgsql AS $$
DECLARE
	g record;
BEGIN
	datas := '{}';
	calls := 0;
	LOOP
		SELECT * INTO g FROM stream.get_records(it, lim);
		calls := calls + 1;
		IF cardinality(g.records) > lim THEN
			RAISE EXCEPTION 'get_records returned % records for limit %',
				cardinality(g.records), lim;
		END IF;
		datas := datas || ARRAY(SELECT r.data FROM unnest(g.records) WITH ORDINALITY AS r
								ORDER BY r.ordinality);
		final_behind := g.millis_behind_latest;
		EXIT WHEN coalesce(cardinality(g.records), 0) = 0 AND g.millis_behind_latest = 0;
		EXIT WHEN calls > 50;
		it := g.next_shard_iterator;
	END LOOP;
END
$$;
SELECT results_eq(
	format('SELECT datas, calls, final_behind FROM pg_temp.chain(%L, 2)', :'it'),
	$$VALUES ('{"\\x6431","\\x6432","\\x6433","\\x6434","\\x6435","\\x6436","\\x6437","\\x08"}'::bytea[],
			  5, 0::bigint)$$,
	'chaining with limit 2: 8 records once each, in order, in 4 calls and one at the tip');
SELECT results_eq(
	format('SELECT datas, calls FROM pg_temp.chain(%L, 1)', :'it'),
	$$VALUES ('{"\\x6431","\\x6432","\\x6433","\\x6434","\\x6435","\\x6436","\\x6437","\\x08"}'::bytea[],
			  9)$$,
	'chaining with limit 1: 8 records once each, in order');

-- A record of a rolled-back subtransaction is never returned; later records are.
SELECT throws_ok(
	$q$DO $d$ BEGIN
		PERFORM stream.put_record('gr', 'k9', '\xdead');
		RAISE EXCEPTION 'roll back' USING ERRCODE = 'P0001';
	  END $d$$q$,
	'P0001', NULL, 'a subtransaction puts a record and rolls back');
SELECT stream.put_record('gr', 'k10', '\x10') \gset
SELECT results_eq(
	format('SELECT datas FROM pg_temp.chain(%L, 100)', :'tip'),
	$$VALUES ('{"\\x08","\\x10"}'::bytea[])$$,
	'the rolled-back record is skipped and the later one is read');
SELECT is((SELECT count(*) FROM stream.read('gr') WHERE data = '\xdead'), 0::bigint,
		  'stream.read skips it too');

-- Iterators that were altered or never issued: InvalidArgumentException.
CREATE FUNCTION pg_temp.alter_at(it text, pos int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT overlay(it PLACING CASE WHEN substr(it, pos, 1) = 'A' THEN 'B' ELSE 'A' END
				   FROM pos FOR 1)
$$;
SELECT isnt(pg_temp.alter_at(:'it', 1), :'it', 'the altered iterator differs');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', pg_temp.alter_at(:'it', 1)),
				 '22023', NULL, 'an iterator with its first character changed: 22023');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)',
						pg_temp.alter_at(:'it', length(:'it') / 2)),
				 '22023', NULL, 'an iterator with a middle character changed: 22023');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)',
						pg_temp.alter_at(:'it', length(:'it') * 3 / 4)),
				 '22023', NULL, 'an iterator with a character near the end changed: 22023');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', left(:'it', -1)),
				 '22023', NULL, 'an iterator without its last character: 22023');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', left(:'it', -4)),
				 '22023', NULL, 'an iterator without its last 4 characters: 22023');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', :'it' || 'AAAA'),
				 '22023', NULL, 'an iterator with 4 characters added: 22023');
SELECT throws_ok($$SELECT * FROM stream.get_records('garbage')$$, '22023', NULL,
				 'a garbage iterator: 22023');
SELECT throws_ok($$SELECT * FROM stream.get_records('')$$, '22023', NULL,
				 'an empty iterator: 22023');
SELECT throws_ok($$SELECT * FROM stream.get_records(NULL)$$, '22023', NULL,
				 'a NULL iterator: 22023');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', repeat('A', 513)), '22023', NULL,
				 'an iterator of 513 characters: 22023');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', repeat(:'it', 2)), '22023', NULL,
				 'an iterator repeated twice: 22023');

-- An iterator whose stream was deleted.
SELECT stream.create_stream('gone', 1);
SELECT stream.get_shard_iterator('gone', 'shardId-000000000000', 'TRIM_HORIZON') AS gone_it \gset
SELECT stream.delete_stream('gone');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', :'gone_it'), '42704', NULL,
				 'an iterator of a deleted stream: 42704');

-- Expired iterators: ExpiredIteratorException (KS002), after the wall clock
-- passes stream.iterator_ttl.
SET LOCAL stream.iterator_ttl = '1s';
SELECT stream.get_shard_iterator('gr', 'shardId-000000000000', 'TRIM_HORIZON') AS short_it \gset
SELECT next_shard_iterator AS short_next FROM stream.get_records(:'short_it', 1) \gset
SELECT lives_ok(format('SELECT * FROM stream.get_records(%L)', :'short_it'),
				'an iterator is valid within stream.iterator_ttl');
SELECT pg_sleep(1.2) \gset
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', :'short_it'), 'KS002', NULL,
				 'an iterator older than stream.iterator_ttl: KS002');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', :'short_next'), 'KS002', NULL,
				 'a next_shard_iterator older than stream.iterator_ttl: KS002');
RESET stream.iterator_ttl;
SELECT lives_ok(
	format('SELECT * FROM stream.get_records(%L)',
		   stream.get_shard_iterator('gr', 'shardId-000000000000', 'TRIM_HORIZON')),
	'a new iterator works again');

SELECT * FROM finish();
ROLLBACK;
