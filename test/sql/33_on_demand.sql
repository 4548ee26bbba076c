\set ECHO none
\i test/sql/lib/setup.sql
-- On-demand scaling: the maintenance pass splits a shard of an ON_DEMAND
-- stream whose write rate stays above half its capacity, and merges cold
-- neighbours back, down to 4 open shards.  The scaling window is 1 second
-- here; the write quota is 100 records a second per shard (bytes off).
BEGIN;
SELECT plan(29);

-- The maintenance worker's passes wait for this transaction (the passes
-- this file calls take the same lock again).
SELECT pg_advisory_xact_lock(hashtext('stream.run_maintenance'));

SET stream.on_demand_scaling_window = '1s';
SET stream.shard_write_records_per_second = 100;
SET stream.shard_write_bytes_per_second = 0;

-- Writes n records (keys spread over the hash key space) to each stream.
CREATE FUNCTION pg_temp.write(streams text[], n int) RETURNS void LANGUAGE sql AS $$
	SELECT count(*) FROM unnest(streams) AS s,
		 stream.put_records(s, (SELECT array_agg('key-' || i) FROM generate_series(1, n) AS i),
						    array_fill('\x00'::bytea, ARRAY[n]))
$$;
CREATE FUNCTION pg_temp.scale(name text) RETURNS text LANGUAGE sql AS $$
	SELECT stream_internal.scale_on_demand(s) FROM stream.streams s WHERE stream_name = name
$$;
CREATE FUNCTION pg_temp.open_shards(name text) RETURNS text[] LANGUAGE sql AS $$
	SELECT array_agg(shard_id ORDER BY starting_hash_key)
	FROM stream.list_shards(name) WHERE ending_sequence_number IS NULL
$$;

-- A hot shard: 200 records a second offered (over quota: half are
-- throttled, but demand is what counts) for two seconds.
SELECT stream.create_stream('od_hot', 1, 'ON_DEMAND');
SELECT stream.create_stream('od_calm', 1, 'ON_DEMAND');
SELECT stream.create_stream('prov_hot', 1);
SELECT is(pg_temp.scale('od_hot'), NULL, 'a shard just met is only watched');
SELECT pg_temp.scale('od_calm');
SELECT pg_temp.write('{od_hot,prov_hot}', 20), pg_temp.write('{od_calm}', 2), pg_sleep(0.1)
FROM generate_series(1, 20);

SELECT matches(pg_temp.scale('od_hot'), '^split shardId-000000000000 at [0-9.]+% of its capacity$',
			   'a shard above half its capacity for the window is split');
SELECT is(pg_temp.open_shards('od_hot'), '{shardId-000000000001,shardId-000000000002}',
		  '... into two open children');
SELECT is((SELECT array_agg(parent_shard_id) FROM stream.list_shards('od_hot')
		   WHERE ending_sequence_number IS NULL), '{shardId-000000000000,shardId-000000000000}',
		  '... whose parent is the hot shard');
SELECT is((SELECT starting_hash_key FROM stream.list_shards('od_hot')
		   WHERE shard_id = 'shardId-000000000002'), 2::numeric ^ 127,
		  '... split in the middle of its hash key range');
SELECT isnt((SELECT ending_sequence_number FROM stream.list_shards('od_hot')
			 WHERE shard_id = 'shardId-000000000000'), NULL, '... which is closed');
SELECT is((SELECT count(*) FROM stream.read('od_hot', 'shardId-000000000000')),
		  (SELECT count(*) FROM stream.read('od_hot')), '... and keeps its records');
SELECT lives_ok($$SELECT pg_temp.write('{od_hot}', 10)$$, 'writers go on, to the children');
SELECT is((SELECT count(DISTINCT shard_id) FROM stream.read('od_hot')
		   WHERE shard_id <> 'shardId-000000000000'), 2::bigint, '... both of them');

SELECT is(pg_temp.scale('od_calm'), NULL, 'a shard at a fifth of its capacity is not split');
SELECT is(pg_temp.open_shards('od_calm'), '{shardId-000000000000}', '... and stays as it was');

-- The bytes quota counts as well: 2,000 bytes a second offered to a shard
-- that takes 1,500.
SET stream.shard_write_records_per_second = 0;
SET stream.shard_write_bytes_per_second = 1500;
SELECT stream.create_stream('od_bytes', 1, 'ON_DEMAND');
SELECT pg_temp.scale('od_bytes');
SELECT stream.put_record('od_bytes', 'k', convert_to(repeat('x', 199), 'UTF8')), pg_sleep(0.1)
FROM generate_series(1, 12);
SELECT matches(pg_temp.scale('od_bytes'), '^split shardId-000000000000',
			   'a shard above half its bytes capacity is split');
SET stream.shard_write_bytes_per_second = 0;
SET stream.shard_write_records_per_second = 100;

-- run_maintenance does the same for on-demand streams only.
SELECT pg_temp.write('{prov_hot}', 20);
DO $$
BEGIN
	FOR i IN 1 .. 50 LOOP
		CALL stream.run_maintenance();
		EXIT WHEN (SELECT count(*) FROM stream.list_shards('od_hot')) > 3;
		PERFORM pg_temp.write('{od_hot,prov_hot}', 20);
		PERFORM pg_sleep(0.1);
	END LOOP;
END
$$;
SELECT is((SELECT count(*) FROM stream.list_shards('od_hot')), 5::bigint,
		  'run_maintenance splits a hot child of an on-demand stream');
SELECT is(pg_temp.open_shards('prov_hot'), '{shardId-000000000000}',
		  '... and leaves a provisioned stream under the same load alone');

-- Cold shards: neighbours watched for a whole window that together use less
-- than a quarter of one shard's capacity are merged, a pair per pass, down
-- to 4 open shards.
CREATE FUNCTION pg_temp.write_each_shard(name text, n int) RETURNS void LANGUAGE sql AS $$
	SELECT count(*) FROM stream.put_records(name,
		(SELECT array_agg(ROW('\x00'::bytea, 'k', starting_hash_key)
						  ::stream.put_records_request_entry)
		 FROM stream.list_shards(name), generate_series(1, n)
		 WHERE ending_sequence_number IS NULL))
$$;
SELECT stream.create_stream('od_cold', 6, 'ON_DEMAND');
SELECT stream.create_stream('od_busy', 5, 'ON_DEMAND');
SELECT stream.create_stream('od_off', 6, 'ON_DEMAND');
SELECT is(pg_temp.scale('od_cold'), NULL, 'idle shards just met are not merged');
SELECT pg_temp.scale('od_busy'), pg_temp.scale('od_off');
-- od_busy: 30 records a second to each shard, under half its capacity (no
-- split) but, for a pair, well over a quarter (no merge) even if a slow
-- machine stretches the rounds by half
SELECT pg_temp.write_each_shard('od_busy', 3), pg_sleep(0.1) FROM generate_series(1, 15);

SELECT is(pg_temp.scale('od_busy'), NULL,
		  'neighbours that together use more than a quarter of a shard are not merged');
SELECT is(cardinality(pg_temp.open_shards('od_busy')), 5, '... the stream keeps its 5 shards');

SELECT matches(pg_temp.scale('od_cold'),
			   '^merged shardId-000000000000 and shardId-000000000001 at 0(\.0)?% of one shard''s capacity$',
			   'two idle neighbours watched for a window are merged');
SELECT is((SELECT array[parent_shard_id, adjacent_parent_shard_id] FROM stream.list_shards('od_cold')
		   WHERE shard_id = 'shardId-000000000006'), '{shardId-000000000000,shardId-000000000001}',
		  '... into a child of both');
SELECT matches(pg_temp.scale('od_cold'), '^merged shardId-000000000002 and shardId-000000000003',
			   'the next pass merges the next idle pair (the new child is not watched long enough yet)');
SELECT is(pg_temp.scale('od_cold'), NULL, 'an on-demand stream keeps at least 4 open shards');
SELECT is(cardinality(pg_temp.open_shards('od_cold')), 4, '... 4 of them');

SET stream.shard_write_records_per_second = 0;
SELECT is(pg_temp.scale('od_off'), NULL,
		  'with both write quotas off, shards have no capacity to scale by');
SELECT is(cardinality(pg_temp.open_shards('od_off')), 6, '... and stay as they are');

-- Resharding by hand is for provisioned streams only, as in Kinesis.
SELECT throws_ok($$SELECT stream.split_shard('od_off', 'shardId-000000000000', 1)$$, '22023',
				 'stream "od_off" is ON_DEMAND',
				 'split_shard of an on-demand stream is InvalidArgumentException');
SELECT throws_ok($$SELECT stream.merge_shards('od_off', 'shardId-000000000000', 'shardId-000000000001')$$,
				 '22023', NULL, 'so is merge_shards');
SELECT throws_ok($$SELECT * FROM stream.update_shard_count('od_off', 8)$$, '22023', NULL,
				 'and update_shard_count');
SELECT is(cardinality(pg_temp.open_shards('od_off')), 6, '... which leave the shards as they were');
SELECT stream.update_stream_mode('od_off', 'PROVISIONED');
SELECT lives_ok($$SELECT stream.split_shard('od_off', 'shardId-000000000000', 1)$$,
				'once PROVISIONED, the stream can be resharded by hand');

SELECT * FROM finish();
ROLLBACK;
