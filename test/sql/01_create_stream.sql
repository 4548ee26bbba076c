\set ECHO none
\i test/sql/lib/setup.sql
-- create_stream: defaults, valid and invalid arguments, and that a refused
-- request leaves nothing behind (no catalog row, no segment relation).
BEGIN;
SELECT plan(59);

\i test/sql/lib/helpers.sql

SELECT pg_temp.footprint() AS empty_footprint \gset

-- Invalid stream names: InvalidArgumentException, nothing created.
SELECT throws_ok($$SELECT stream.create_stream('bad name!')$$, '22023', NULL,
				 'a name with a space and "!" is refused');
SELECT is(pg_temp.footprint(), :'empty_footprint', '... and leaves nothing behind');
SELECT throws_ok($$SELECT stream.create_stream('')$$, '22023', NULL,
				 'an empty name is refused');
SELECT is(pg_temp.footprint(), :'empty_footprint', '... and leaves nothing behind');
SELECT throws_ok(format('SELECT stream.create_stream(%L)', repeat('x', 129)), '22023', NULL,
				 'a name of 129 characters is refused');
SELECT is(pg_temp.footprint(), :'empty_footprint', '... and leaves nothing behind');
SELECT throws_ok($$SELECT stream.create_stream(NULL)$$, '22023', NULL,
				 'a NULL name is refused');
SELECT is(pg_temp.footprint(), :'empty_footprint', '... and leaves nothing behind');
SELECT throws_ok($$SELECT stream.create_stream('a/b')$$, '22023', NULL,
				 'a name with "/" is refused');
SELECT is(pg_temp.footprint(), :'empty_footprint', '... and leaves nothing behind');
SELECT throws_ok($$SELECT stream.create_stream('café')$$, '22023', NULL,
				 'a name with a non-ASCII letter is refused');
SELECT is(pg_temp.footprint(), :'empty_footprint', '... and leaves nothing behind');
SELECT throws_ok($$SELECT stream.create_stream('x"; DROP TABLE stream.streams; --')$$,
				 '22023', NULL, 'a name with quotes and semicolons is refused');
SELECT is(pg_temp.footprint(), :'empty_footprint', '... and leaves nothing behind');

-- Invalid shard counts.
SELECT throws_ok($$SELECT stream.create_stream('s0', 0)$$, '22023', NULL,
				 'a shard count of 0 is refused');
SELECT is(pg_temp.footprint(), :'empty_footprint', '... and leaves nothing behind');
SELECT throws_ok($$SELECT stream.create_stream('s0', -1)$$, '22023', NULL,
				 'a negative shard count is refused');
SELECT is(pg_temp.footprint(), :'empty_footprint', '... and leaves nothing behind');
SELECT throws_ok($$SELECT stream.create_stream('s0', NULL)$$, '22023', NULL,
				 'a NULL shard count is refused');
SELECT is(pg_temp.footprint(), :'empty_footprint', '... and leaves nothing behind');

-- Invalid stream modes.
SELECT throws_ok($$SELECT stream.create_stream('s0', 1, 'FAST')$$, '22023', NULL,
				 'an unknown stream mode is refused');
SELECT is(pg_temp.footprint(), :'empty_footprint', '... and leaves nothing behind');

-- Invalid retention periods.
SELECT throws_ok($$SELECT stream.create_stream('s0', 1, 'PROVISIONED', 23)$$, '22023', NULL,
				 'a retention of 23 hours is refused');
SELECT is(pg_temp.footprint(), :'empty_footprint', '... and leaves nothing behind');
SELECT throws_ok($$SELECT stream.create_stream('s0', 1, 'PROVISIONED', 8761)$$, '22023', NULL,
				 'a retention of 8761 hours is refused');
SELECT is(pg_temp.footprint(), :'empty_footprint', '... and leaves nothing behind');

-- The defaults: 4 shards, PROVISIONED, 24 hours, ACTIVE at once.
SELECT lives_ok($$SELECT stream.create_stream('orders')$$, 'create_stream with defaults');
SELECT results_eq(
	$$SELECT stream_status, stream_mode, retention_period_hours, open_shard_count,
			 consumer_count, encryption_type
	  FROM stream.describe_stream_summary('orders')$$,
	$$VALUES ('ACTIVE'::text, 'PROVISIONED'::text, 24, 4, 0, 'NONE'::text)$$,
	'a new stream is ACTIVE, PROVISIONED, 24 hours, 4 open shards, no consumers, no encryption');
SELECT results_eq(
	$$SELECT shard_id FROM stream.list_shards('orders') ORDER BY shard_id$$,
	ARRAY['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002',
		  'shardId-000000000003'],
	'the 4 shards are shardId-000000000000 to shardId-000000000003');
SELECT is(
	(SELECT count(*) FROM stream.list_shards('orders')
	 WHERE parent_shard_id IS NULL AND adjacent_parent_shard_id IS NULL
	   AND ending_sequence_number IS NULL AND starting_sequence_number IS NOT NULL
	   AND starting_sequence_number = trunc(starting_sequence_number)),
	4::bigint,
	'new shards have no parents, an integer starting sequence number, no ending one');
SELECT is(
	(SELECT count(DISTINCT g.shard_no)
	 FROM stream.segments g
	 JOIN stream.streams s USING (stream_id)
	 JOIN pg_class c ON c.oid = g.relation
	 JOIN pg_am a ON a.oid = c.relam
	 WHERE s.stream_name = 'orders' AND a.amname = 'stream_log'
	   AND c.relnamespace = 'stream_data'::regnamespace),
	4::bigint,
	'every shard has a segment relation of access method stream_log in schema stream_data');
SELECT isnt(pg_temp.footprint(), :'empty_footprint', 'the stream left its footprint');

SELECT pg_temp.footprint() AS orders_footprint \gset

-- A name that exists already: ResourceInUseException (42710), nothing changes.
SELECT throws_ok($$SELECT stream.create_stream('orders', 2)$$, '42710', NULL,
				 'creating a stream whose name exists is refused');
SELECT is(pg_temp.footprint(), :'orders_footprint', '... and leaves nothing behind');
SELECT is((SELECT open_shard_count FROM stream.describe_stream_summary('orders')), 4,
		  '... and the existing stream keeps its 4 shards');

-- Names are case-sensitive, as in Kinesis.
SELECT lives_ok($$SELECT stream.create_stream('Orders', 1)$$,
				'a name differing only in case is another stream');
SELECT is((SELECT count(*) FROM stream.list_streams() WHERE stream_name IN ('orders', 'Orders')),
		  2::bigint, '... and both are listed');

-- Valid edge cases.
SELECT lives_ok(format('SELECT stream.create_stream(%L, 1)', repeat('n', 128)),
				'a name of 128 characters is accepted');
SELECT is((SELECT stream_name FROM stream.describe_stream_summary(repeat('n', 128))),
		  repeat('n', 128), '... and kept whole');
SELECT lives_ok($$SELECT stream.create_stream('A', 1)$$, 'a name of 1 character is accepted');
SELECT lives_ok($$SELECT stream.create_stream('Az09_.-x', 1)$$,
				'a name of letters, digits, "_", "." and "-" is accepted');
SELECT lives_ok($$SELECT stream.create_stream('one', 1)$$, 'a stream of 1 shard');
SELECT results_eq(
	$$SELECT shard_id, starting_hash_key, ending_hash_key FROM stream.list_shards('one')$$,
	$$VALUES ('shardId-000000000000'::text, 0::numeric,
			  340282366920938463463374607431768211455::numeric)$$,
	'a single shard covers the whole hash key space');
SELECT lives_ok($$SELECT stream.create_stream('od', stream_mode => 'ON_DEMAND')$$,
				'an ON_DEMAND stream');
SELECT is((SELECT stream_mode FROM stream.describe_stream_summary('od')), 'ON_DEMAND',
		  '... has stream_mode ON_DEMAND');
SELECT is((SELECT stream_status FROM stream.describe_stream_summary('od')), 'ACTIVE',
		  '... and is ACTIVE');
SELECT lives_ok($$SELECT stream.create_stream('year', 1, 'PROVISIONED', 8760)$$,
				'a retention of 8760 hours is accepted');
SELECT is((SELECT retention_period_hours FROM stream.describe_stream_summary('year')), 8760,
		  '... and reported');
SELECT lives_ok($$SELECT stream.create_stream('day', 2, 'PROVISIONED', 24)$$,
				'a retention of 24 hours is accepted');
SELECT is((SELECT retention_period_hours FROM stream.describe_stream_summary('day')), 24,
		  '... and reported');
SELECT lives_ok($$SELECT stream.create_stream('many', 64)$$, 'a stream of 64 shards');
SELECT is((SELECT count(*) FROM stream.list_shards('many')), 64::bigint,
		  '... lists 64 shards');
SELECT is((SELECT max(shard_id) FROM stream.list_shards('many')), 'shardId-000000000063',
		  '... numbered from 0 to 63');

-- Segment relations belong to the stream: dropping the stream drops them.
SELECT relation::oid AS orders_seg FROM stream.segments g JOIN stream.streams s USING (stream_id)
	WHERE s.stream_name = 'orders' ORDER BY g.segment_no LIMIT 1 \gset
SELECT lives_ok($$SELECT stream.delete_stream('orders')$$, 'delete_stream');
SELECT is((SELECT count(*) FROM pg_class WHERE oid = :orders_seg), 0::bigint,
		  '... drops the segment relations');
SELECT is((SELECT count(*) FROM stream.list_streams() WHERE stream_name = 'orders'), 0::bigint,
		  '... and the stream is no longer listed');
SELECT lives_ok($$SELECT stream.create_stream('orders', 2)$$,
				'a deleted stream''s name can be used again');
SELECT is((SELECT open_shard_count FROM stream.describe_stream_summary('orders')), 2,
		  '... by a new stream with its own shards');
SELECT results_eq(
	$$SELECT shard_id FROM stream.list_shards('orders') ORDER BY shard_id$$,
	ARRAY['shardId-000000000000', 'shardId-000000000001'],
	'... numbered from 0 again');

SELECT * FROM finish();
ROLLBACK;
