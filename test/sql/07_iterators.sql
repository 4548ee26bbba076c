\set ECHO none
\i test/sql/lib/setup.sql
-- get_shard_iterator: the five iterator types and their argument errors.
BEGIN;
SELECT plan(33);

-- The data of every record from an iterator on, following the chain of
-- next_shard_iterator until a call returns no record and is caught up.
CREATE FUNCTION pg_temp.drain(it text) RETURNS bytea[] LANGUAGE plpgsql AS $$
DECLARE
	result bytea[] := '{}';
	g record;
	calls int := 0;
BEGIN
	LOOP
		SELECT * INTO g FROM stream.get_records(it);
		calls := calls + 1;
		EXIT WHEN coalesce(cardinality(g.records), 0) = 0
			AND coalesce(g.millis_behind_latest, 0) = 0;
		result := result || ARRAY(SELECT r.data FROM unnest(g.records) WITH ORDINALITY AS r
								  ORDER BY r.ordinality);
		it := g.next_shard_iterator;
		EXIT WHEN it IS NULL OR calls > 100;
	END LOOP;
	RETURN result;
END
$$;

CREATE FUNCTION pg_temp.put(data text, hash numeric DEFAULT 0) RETURNS numeric
	LANGUAGE sql AS $$
	SELECT sequence_number FROM stream.put_record('it', 'key', convert_to(data, 'UTF8'), hash)
$$;

CREATE FUNCTION pg_temp.b(VARIADIC t text[]) RETURNS bytea[] LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(array_agg(convert_to(x, 'UTF8') ORDER BY o), '{}')
	FROM unnest(t) WITH ORDINALITY AS u(x, o)
$$;

SELECT stream.create_stream('it', 2);

-- Before any record: TRIM_HORIZON and LATEST both give nothing.
SELECT stream.get_shard_iterator('it', 'shardId-000000000000', 'LATEST') AS latest_empty \gset
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000000', 'TRIM_HORIZON')),
		  '{}'::bytea[], 'TRIM_HORIZON of an empty shard: no records');

-- Records d1 .. d5 in shard 0, with a moment t between d2 and d3.
SELECT pg_temp.put('d1') AS s1 \gset
SELECT pg_temp.put('d2') AS s2 \gset
SELECT pg_sleep(0.02) \gset
SELECT clock_timestamp() AS t \gset
SELECT pg_sleep(0.02) \gset
SELECT pg_temp.put('d3') AS s3 \gset
SELECT pg_temp.put('d4') AS s4 \gset
SELECT pg_temp.put('d5') AS s5 \gset
-- One record in shard 1.
SELECT pg_temp.put('other', 340282366920938463463374607431768211455) AS s_other \gset

SELECT stream.get_shard_iterator('it', 'shardId-000000000000', 'LATEST') AS latest \gset

SELECT ok(length(:'latest') BETWEEN 1 AND 512, 'an iterator is 1 to 512 characters');
SELECT is(pg_temp.drain(:'latest_empty'), pg_temp.b('d1', 'd2', 'd3', 'd4', 'd5'),
		  'LATEST issued before any record reads every record put after it');

-- TRIM_HORIZON
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000000', 'TRIM_HORIZON')),
		  pg_temp.b('d1', 'd2', 'd3', 'd4', 'd5'),
		  'TRIM_HORIZON: every record of the shard, in order');
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000001', 'TRIM_HORIZON')),
		  pg_temp.b('other'), 'TRIM_HORIZON of another shard: only that shard''s records');

-- LATEST
SELECT is(pg_temp.drain(:'latest'), '{}'::bytea[], 'LATEST: nothing yet');
SELECT pg_temp.put('d6') AS s6 \gset
SELECT is(pg_temp.drain(:'latest'), pg_temp.b('d6'),
		  'LATEST: the records put after the iterator was issued');
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000000', 'LATEST')),
		  '{}'::bytea[], 'a new LATEST iterator: nothing');

-- AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000000',
												  'AT_SEQUENCE_NUMBER', :s3)),
		  pg_temp.b('d3', 'd4', 'd5', 'd6'), 'AT_SEQUENCE_NUMBER: from that record on');
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000000',
												  'AFTER_SEQUENCE_NUMBER', :s3)),
		  pg_temp.b('d4', 'd5', 'd6'), 'AFTER_SEQUENCE_NUMBER: after that record');
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000000',
												  'AT_SEQUENCE_NUMBER', :s1)),
		  pg_temp.b('d1', 'd2', 'd3', 'd4', 'd5', 'd6'), 'AT_SEQUENCE_NUMBER of the first record');
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000000',
												  'AFTER_SEQUENCE_NUMBER', :s6)),
		  '{}'::bytea[], 'AFTER_SEQUENCE_NUMBER of the last record: nothing');
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000000',
												  'AT_SEQUENCE_NUMBER', :s6)),
		  pg_temp.b('d6'), 'AT_SEQUENCE_NUMBER of the last record: that record');
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000000',
		  starting_sequence_number => :s4, shard_iterator_type => 'AFTER_SEQUENCE_NUMBER')),
		  pg_temp.b('d5', 'd6'), 'named arguments as in the contract');
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000001',
												  'AT_SEQUENCE_NUMBER', :s_other)),
		  pg_temp.b('other'), 'AT_SEQUENCE_NUMBER in another shard');

-- AT_TIMESTAMP
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000000', 'AT_TIMESTAMP',
												  NULL, :'t')),
		  pg_temp.b('d3', 'd4', 'd5', 'd6'),
		  'AT_TIMESTAMP: the first record that arrived at or after the time');
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000000', 'AT_TIMESTAMP',
												  "timestamp" => now() - interval '1 day')),
		  pg_temp.b('d1', 'd2', 'd3', 'd4', 'd5', 'd6'),
		  'AT_TIMESTAMP before the first record: every record');
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000000', 'AT_TIMESTAMP',
												  "timestamp" => clock_timestamp() + interval '1 day')),
		  '{}'::bytea[], 'AT_TIMESTAMP in the future: nothing');
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000000', 'AT_TIMESTAMP',
		  "timestamp" => (SELECT approximate_arrival_timestamp FROM stream.read('it')
						  WHERE sequence_number = :s4))),
		  pg_temp.b('d4', 'd5', 'd6'),
		  'AT_TIMESTAMP of a record''s own arrival time includes that record');

-- Missing or wrong arguments: InvalidArgumentException.
SELECT throws_ok($$SELECT stream.get_shard_iterator('it', 'shardId-000000000000',
													'AT_SEQUENCE_NUMBER')$$,
				 '22023', NULL, 'AT_SEQUENCE_NUMBER without a sequence number: 22023');
SELECT throws_ok($$SELECT stream.get_shard_iterator('it', 'shardId-000000000000',
													'AFTER_SEQUENCE_NUMBER')$$,
				 '22023', NULL, 'AFTER_SEQUENCE_NUMBER without a sequence number: 22023');
SELECT throws_ok($$SELECT stream.get_shard_iterator('it', 'shardId-000000000000',
													'AT_TIMESTAMP')$$,
				 '22023', NULL, 'AT_TIMESTAMP without a timestamp: 22023');
SELECT throws_ok($$SELECT stream.get_shard_iterator('it', 'shardId-000000000000', 'OLDEST')$$,
				 '22023', NULL, 'an unknown iterator type: 22023');
SELECT throws_ok($$SELECT stream.get_shard_iterator('it', 'shardId-000000000000', NULL)$$,
				 '22023', NULL, 'a NULL iterator type: 22023');
SELECT throws_ok($$SELECT stream.get_shard_iterator('it', 'shardId-000000000000',
													'AT_SEQUENCE_NUMBER', -1)$$,
				 '22023', NULL, 'a negative sequence number: 22023');
SELECT throws_ok($$SELECT stream.get_shard_iterator('it', 'shardId-000000000000',
													'AT_SEQUENCE_NUMBER', 1.5)$$,
				 '22023', NULL, 'a fractional sequence number: 22023');
SELECT throws_ok(format('SELECT stream.get_shard_iterator(%L, %L, %L, %s)', 'it',
						'shardId-000000000000', 'AT_SEQUENCE_NUMBER', :s_other),
				 '22023', NULL, 'a sequence number of another shard: 22023');

-- Unknown stream or shard: ResourceNotFoundException.
SELECT throws_ok($$SELECT stream.get_shard_iterator('nope', 'shardId-000000000000',
													'TRIM_HORIZON')$$,
				 '42704', NULL, 'an unknown stream: 42704');
SELECT throws_ok($$SELECT stream.get_shard_iterator('it', 'shardId-000000000002',
													'TRIM_HORIZON')$$,
				 '42704', NULL, 'a shard the stream does not have: 42704');
SELECT throws_ok($$SELECT stream.get_shard_iterator('it', 'shardId-000000009999', 'LATEST')$$,
				 '42704', NULL, 'a shard number never used: 42704');

-- An iterator reads the stream and shard it was issued for, even when
-- another stream has the same shard ids.
SELECT stream.create_stream('it2', 2);
SELECT stream.put_record('it2', 'key', '\xff', 0) \gset
SELECT is(pg_temp.drain(stream.get_shard_iterator('it2', 'shardId-000000000000', 'TRIM_HORIZON')),
		  ARRAY['\xff'::bytea], 'another stream''s shard 0 has its own records');
SELECT is(pg_temp.drain(stream.get_shard_iterator('it', 'shardId-000000000000', 'TRIM_HORIZON')),
		  pg_temp.b('d1', 'd2', 'd3', 'd4', 'd5', 'd6'), '... and does not mix with this one');
SELECT isnt(stream.get_shard_iterator('it', 'shardId-000000000000', 'TRIM_HORIZON'),
			stream.get_shard_iterator('it2', 'shardId-000000000000', 'TRIM_HORIZON'),
			'iterators of different streams differ');

SELECT * FROM finish();
ROLLBACK;
