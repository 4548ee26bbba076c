\set ECHO none
\i test/sql/lib/setup.sql
-- list_shards: hash key ranges of new streams (API.md's formula for N = 1, 3,
-- 4, 7), the shard filters, and argument errors.
BEGIN;
SELECT plan(33);

-- The ranges API.md gives for a stream created with n shards, computed here
-- from the formula alone: w = floor(2^128 / n), shard i covers
-- [i*w, (i+1)*w - 1], the last one ends at 2^128 - 1.
CREATE FUNCTION pg_temp.expected_ranges(n int)
	RETURNS TABLE(shard_id text, starting_hash_key numeric, ending_hash_key numeric)
	LANGUAGE sql IMMUTABLE AS $$
	SELECT 'shardId-' || lpad(i::text, 12, '0'),
		   i * div(2::numeric ^ 128, n),
		   CASE WHEN i = n - 1 THEN 2::numeric ^ 128 - 1
				ELSE (i + 1) * div(2::numeric ^ 128, n) - 1 END
	FROM generate_series(0, n - 1) AS i
	ORDER BY i
$$;

SELECT stream.create_stream('n1', 1);
SELECT stream.create_stream('n3', 3);
SELECT stream.create_stream('n4', 4);
SELECT stream.create_stream('n7', 7);

SELECT results_eq(
	$$SELECT shard_id, starting_hash_key, ending_hash_key FROM stream.list_shards('n1')$$,
	$$SELECT * FROM pg_temp.expected_ranges(1)$$,
	'1 shard: [0, 2^128 - 1]');
SELECT results_eq(
	$$SELECT shard_id, starting_hash_key, ending_hash_key FROM stream.list_shards('n3')$$,
	$$SELECT * FROM pg_temp.expected_ranges(3)$$,
	'3 shards: the ranges of the formula, in shard order');
SELECT results_eq(
	$$SELECT shard_id, starting_hash_key, ending_hash_key FROM stream.list_shards('n4')$$,
	$$SELECT * FROM pg_temp.expected_ranges(4)$$,
	'4 shards: the ranges of the formula, in shard order');
SELECT results_eq(
	$$SELECT shard_id, starting_hash_key, ending_hash_key FROM stream.list_shards('n7')$$,
	$$SELECT * FROM pg_temp.expected_ranges(7)$$,
	'7 shards: the ranges of the formula, in shard order');
-- Spelled out, so that a wrong formula above cannot hide a wrong range.
SELECT results_eq(
	$$SELECT starting_hash_key, ending_hash_key FROM stream.list_shards('n3')$$,
	$$VALUES (0::numeric, 113427455640312821154458202477256070484::numeric),
			 (113427455640312821154458202477256070485, 226854911280625642308916404954512140969),
			 (226854911280625642308916404954512140970, 340282366920938463463374607431768211455)$$,
	'3 shards: the ranges written out');
SELECT is(
	(SELECT count(*) FROM (
		SELECT starting_hash_key, lag(ending_hash_key) OVER (ORDER BY shard_id) AS prev_end
		FROM stream.list_shards('n7')) AS r
	 WHERE prev_end IS NOT NULL AND starting_hash_key <> prev_end + 1),
	0::bigint,
	'7 shards: the ranges are contiguous');
SELECT is(
	(SELECT count(DISTINCT starting_sequence_number) FROM stream.list_shards('n7')),
	7::bigint,
	'7 shards: each shard has its own starting sequence number');

-- Filters on a stream whose shards are all open.
SELECT results_eq(
	$$SELECT shard_id FROM stream.list_shards('n4')$$,
	ARRAY['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002',
		  'shardId-000000000003'],
	'the default filter (FROM_TRIM_HORIZON) lists every open shard in order');
SELECT results_eq(
	$$SELECT shard_id FROM stream.list_shards('n4', 'FROM_TRIM_HORIZON')$$,
	ARRAY['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002',
		  'shardId-000000000003'],
	'FROM_TRIM_HORIZON lists every shard');
SELECT results_eq(
	$$SELECT shard_id FROM stream.list_shards('n4', 'AT_TRIM_HORIZON')$$,
	ARRAY['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002',
		  'shardId-000000000003'],
	'AT_TRIM_HORIZON lists every shard');
SELECT results_eq(
	$$SELECT shard_id FROM stream.list_shards('n4', 'AT_LATEST')$$,
	ARRAY['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002',
		  'shardId-000000000003'],
	'AT_LATEST lists every open shard');
SELECT results_eq(
	$$SELECT shard_id FROM stream.list_shards('n4', 'AFTER_SHARD_ID', 'shardId-000000000001')$$,
	ARRAY['shardId-000000000002', 'shardId-000000000003'],
	'AFTER_SHARD_ID lists the shards after the one given');
SELECT is_empty(
	$$SELECT shard_id FROM stream.list_shards('n4', 'AFTER_SHARD_ID', 'shardId-000000000003')$$,
	'AFTER_SHARD_ID of the last shard lists nothing');
SELECT results_eq(
	$$SELECT shard_id FROM stream.list_shards('n4', 'AT_TIMESTAMP', NULL, clock_timestamp())$$,
	ARRAY['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002',
		  'shardId-000000000003'],
	'AT_TIMESTAMP of now lists the open shards');
SELECT results_eq(
	$$SELECT shard_id FROM stream.list_shards('n4', 'FROM_TIMESTAMP', NULL,
											  clock_timestamp() - interval '1 hour')$$,
	ARRAY['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002',
		  'shardId-000000000003'],
	'FROM_TIMESTAMP of an hour ago lists the open shards');
SELECT results_eq(
	$$SELECT shard_id FROM stream.list_shards('n4', 'FROM_TIMESTAMP', NULL,
											  clock_timestamp() + interval '1 hour')$$,
	ARRAY['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002',
		  'shardId-000000000003'],
	'FROM_TIMESTAMP in the future still lists the open shards');
SELECT results_eq(
	$$SELECT shard_id FROM stream.list_shards('n4', "timestamp" => clock_timestamp(),
											  shard_filter => 'AT_TIMESTAMP')$$,
	ARRAY['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002',
		  'shardId-000000000003'],
	'arguments can be named as in the contract');
SELECT is(
	(SELECT count(*) FROM stream.list_shards('n4', 'AT_LATEST')
	 WHERE ending_sequence_number IS NOT NULL OR parent_shard_id IS NOT NULL
		OR adjacent_parent_shard_id IS NOT NULL),
	0::bigint,
	'open shards of a new stream: no ending sequence number, no parents');

-- Argument errors leave nothing to list: InvalidArgumentException.
SELECT throws_ok($$SELECT * FROM stream.list_shards('n4', 'SIDEWAYS')$$, '22023', NULL,
				 'an unknown shard filter: 22023');
SELECT throws_ok($$SELECT * FROM stream.list_shards('n4', NULL)$$, '22023', NULL,
				 'a NULL shard filter: 22023');
SELECT throws_ok($$SELECT * FROM stream.list_shards('n4', 'AFTER_SHARD_ID')$$, '22023', NULL,
				 'AFTER_SHARD_ID without a shard id: 22023');
SELECT throws_ok($$SELECT * FROM stream.list_shards('n4', 'AT_TIMESTAMP')$$, '22023', NULL,
				 'AT_TIMESTAMP without a timestamp: 22023');
SELECT throws_ok($$SELECT * FROM stream.list_shards('n4', 'FROM_TIMESTAMP')$$, '22023', NULL,
				 'FROM_TIMESTAMP without a timestamp: 22023');
SELECT throws_ok($$SELECT * FROM stream.list_shards('n4', 'AFTER_SHARD_ID', 'shard-1')$$,
				 '22023', NULL, 'a malformed shard id: 22023');
SELECT throws_ok($$SELECT * FROM stream.list_shards('nope')$$, '42704', NULL,
				 'an unknown stream: 42704');
SELECT throws_ok($$SELECT * FROM stream.list_shards(NULL)$$, '22023', NULL,
				 'a NULL stream name: 22023');

-- Shards of one stream are not listed for another.
SELECT is((SELECT count(*) FROM stream.list_shards('n1')), 1::bigint,
		  'each stream lists only its own shards');

-- Shard numbers are never reused within a stream, and list_shards of a
-- deleted stream fails.
SELECT lives_ok($$SELECT stream.delete_stream('n7')$$, 'delete_stream');
SELECT throws_ok($$SELECT * FROM stream.list_shards('n7')$$, '42704', NULL,
				 'list_shards of a deleted stream: 42704');
SELECT is((SELECT count(*) FROM stream.list_shards('n3')), 3::bigint,
		  'other streams keep their shards');

-- list_shards agrees with describe_stream.
SELECT results_eq(
	$$SELECT shard_id, starting_hash_key, ending_hash_key, starting_sequence_number
	  FROM stream.list_shards('n4')$$,
	$$SELECT s->>'ShardId', (s->'HashKeyRange'->>'StartingHashKey')::numeric,
			 (s->'HashKeyRange'->>'EndingHashKey')::numeric,
			 (s->'SequenceNumberRange'->>'StartingSequenceNumber')::numeric
	  FROM jsonb_array_elements(stream.describe_stream('n4')->'Shards') AS s$$,
	'list_shards and describe_stream agree');
SELECT is((SELECT open_shard_count FROM stream.describe_stream_summary('n3')), 3,
		  'open_shard_count matches list_shards');
SELECT is((SELECT count(*) FROM stream.list_shards('n3', 'AT_LATEST')), 3::bigint,
		  'AT_LATEST of a 3-shard stream lists 3');

SELECT * FROM finish();
ROLLBACK;
