\set ECHO none
\i test/sql/lib/setup.sql
-- Metrics (API.md, "Metrics"): after a known number of put_record,
-- put_records and get_records calls, of known bytes and records,
-- get_metric_statistics returns exactly those counts and sums; throttled
-- calls and records are counted as such; stream.metrics = off counts
-- nothing; shard-level metrics only after enable_enhanced_monitoring, and
-- a registered consumer's apart; each error; describe needed (and manage
-- to turn enhanced monitoring on), as an ordinary role.  (What the
-- calling backend has not sent to shared memory counts too; the maintenance
-- pass, which moves finished minutes to stream.metrics, is held off by its
-- advisory lock, so that no minute is in flight.  TAP 140_metrics restarts
-- and crashes the server.)
BEGIN;
SELECT plan(80);

\i test/sql/lib/helpers.sql

SELECT pg_advisory_xact_lock(hashtext('stream.run_maintenance'));

SELECT is(pg_temp.signature('stream.get_metric_statistics(text, text, timestamptz, timestamptz, interval, text, text)'),
		  'stream_name text, metric_name text, start_time timestamp with time zone, '
		  'end_time timestamp with time zone, period interval DEFAULT ''@ 1 min''::interval, '
		  'shard_id text DEFAULT NULL::text, consumer_name text DEFAULT NULL::text -> '
		  'TABLE(period_start timestamp with time zone, sample_count bigint, sum double precision, '
		  'minimum double precision, maximum double precision, average double precision)',
		  'get_metric_statistics has the signature of API.md');

CREATE ROLE met_viewer;
CREATE ROLE met_nobody;
SELECT stream.create_stream('met', 1);
SELECT stream.grant('describe', 'met', 'met_viewer');
SELECT date_trunc('minute', clock_timestamp()) AS t0 \gset

-- The sums over the test, whatever minutes it spans: one row of a period of
-- an hour from the minute it began.
CREATE FUNCTION pg_temp.stat(s text, m text) RETURNS TABLE(n bigint, total float8, lo float8, hi float8)
LANGUAGE sql AS $$
	SELECT sample_count, sum, minimum, maximum
	FROM stream.get_metric_statistics(s, m, current_setting('test.t0')::timestamptz,
									  current_setting('test.t0')::timestamptz + interval '1 hour',
									  '1 hour')
$$;
SELECT count(*) FROM set_config('test.t0', :'t0', true);
-- the same, of a shard, or of a consumer
CREATE FUNCTION pg_temp.shard_stat(s text, m text, shard text)
	RETURNS TABLE(n bigint, total float8, lo float8, hi float8)
LANGUAGE sql AS $$
	SELECT sample_count, sum, minimum, maximum
	FROM stream.get_metric_statistics(s, m, current_setting('test.t0')::timestamptz,
									  current_setting('test.t0')::timestamptz + interval '1 hour',
									  '1 hour', shard_id => shard)
$$;
CREATE FUNCTION pg_temp.consumer_stat(s text, m text, consumer text)
	RETURNS TABLE(n bigint, total float8, lo float8, hi float8)
LANGUAGE sql AS $$
	SELECT sample_count, sum, minimum, maximum
	FROM stream.get_metric_statistics(s, m, current_setting('test.t0')::timestamptz,
									  current_setting('test.t0')::timestamptz + interval '1 hour',
									  '1 hour', consumer_name => consumer)
$$;

-- 3 put_record of 1 + 10, 20 and 30 bytes; put_records of 4 of 1 + 5
SELECT stream.put_record('met', 'k', convert_to(repeat('x', n), 'UTF8')) FROM (VALUES (10), (20), (30)) v(n);
SELECT count(*) FROM stream.put_records('met', '{a,b,c,d}', ARRAY['\x0102030405', '\x0102030405',
																 '\x0102030405', '\x0102030405']::bytea[]);
SELECT cardinality(records) FROM stream.get_records(
	stream.get_shard_iterator('met', 'shardId-000000000000', 'TRIM_HORIZON'), 100);

SELECT results_eq($$SELECT * FROM pg_temp.stat('met', 'IncomingRecords')$$,
				  $$VALUES (4::bigint, 7::float8, 1::float8, 4::float8)$$,
				  'IncomingRecords: 4 calls, 7 records, 1 to 4 a call');
SELECT results_eq($$SELECT * FROM pg_temp.stat('met', 'IncomingBytes')$$,
				  $$VALUES (4::bigint, 87::float8, 11::float8, 31::float8)$$,
				  'IncomingBytes: 87 bytes, keys with the data, 11 to 31 a call');
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met', 'PutRecord.Bytes')$$,
				  $$VALUES (3::bigint, 63::float8)$$, 'PutRecord.Bytes');
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met', 'PutRecord.Success')$$,
				  $$VALUES (3::bigint, 3::float8)$$, 'PutRecord.Success: each a success');
SELECT ok((SELECT n = 3 AND lo >= 0 AND hi < 10000 FROM pg_temp.stat('met', 'PutRecord.Latency')),
		  'PutRecord.Latency: a sample a call, in milliseconds');
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met', 'PutRecords.Records')$$,
				  $$VALUES (1::bigint, 4::float8)$$, 'PutRecords.Records');
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met', 'PutRecords.SuccessfulRecords')$$,
				  $$VALUES (1::bigint, 4::float8)$$, 'PutRecords.SuccessfulRecords');
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met', 'PutRecords.Bytes')$$,
				  $$VALUES (1::bigint, 24::float8)$$, 'PutRecords.Bytes');
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met', 'PutRecords.ThrottledRecords')$$,
				  $$VALUES (1::bigint, 0::float8)$$, 'PutRecords.ThrottledRecords: none');
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met', 'WriteProvisionedThroughputExceeded')$$,
				  $$VALUES (4::bigint, 0::float8)$$, 'WriteProvisionedThroughputExceeded: none in 4 calls');
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met', 'GetRecords.Records')$$,
				  $$VALUES (1::bigint, 7::float8)$$, 'GetRecords.Records');
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met', 'GetRecords.Bytes')$$,
				  $$VALUES (1::bigint, 87::float8)$$, 'GetRecords.Bytes: what was put');
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met', 'GetRecords.Success')$$,
				  $$VALUES (1::bigint, 1::float8)$$, 'GetRecords.Success');
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met', 'ReadProvisionedThroughputExceeded')$$,
				  $$VALUES (1::bigint, 0::float8)$$, 'ReadProvisionedThroughputExceeded: none');
SELECT ok((SELECT n = 1 AND total >= 0 FROM pg_temp.stat('met', 'GetRecords.IteratorAgeMilliseconds')),
		  'GetRecords.IteratorAgeMilliseconds: the age of the last record returned');
SELECT is((SELECT sum(sample_count) FROM stream.get_metric_statistics('met', 'IncomingRecords',
				:'t0'::timestamptz, :'t0'::timestamptz + interval '1 hour')), 4::numeric,
		  'by the minute (the default period), the same samples');
SELECT is((SELECT count(*) FROM stream.get_metric_statistics('met', 'SubscribeToShardEvent.Records',
				:'t0'::timestamptz, :'t0'::timestamptz + interval '1 hour')), 0::bigint,
		  'a metric without samples has no rows');

SELECT is_empty($$SELECT * FROM pg_temp.shard_stat('met', 'IncomingRecords', 'shardId-000000000000')$$,
				'without enhanced monitoring, no shard-level metric is counted');

-- throttled: a shard that takes 2 records a second (counted per shard too)
SELECT stream.create_stream('met-slow', 1);
SELECT stream.enable_enhanced_monitoring('met-slow', '{ALL}');
SET LOCAL stream.shard_write_records_per_second = 2;
SET LOCAL stream.shard_read_calls_per_second = 1;
SELECT count(*) FILTER (WHERE error_code IS NOT NULL) AS throttled
FROM stream.put_records('met-slow', '{a,b,c,d,e}', ARRAY['\x01', '\x02', '\x03', '\x04', '\x05']::bytea[]);
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met-slow', 'PutRecords.ThrottledRecords')$$,
				  $$VALUES (1::bigint, 3::float8)$$, 'PutRecords.ThrottledRecords: the 3 over the quota');
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met-slow', 'WriteProvisionedThroughputExceeded')$$,
				  $$VALUES (1::bigint, 3::float8)$$, 'WriteProvisionedThroughputExceeded: the same');
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met-slow', 'IncomingRecords')$$,
				  $$VALUES (1::bigint, 2::float8)$$, 'IncomingRecords: the 2 taken');
SELECT stream.get_shard_iterator('met-slow', 'shardId-000000000000', 'TRIM_HORIZON') AS it \gset
SELECT cardinality(records) FROM stream.get_records(:'it');
SELECT throws_ok(format($$SELECT * FROM stream.get_records(%L)$$, :'it'), 'KS001', NULL,
				 'a second get_records in the second is throttled...');
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met-slow', 'ReadProvisionedThroughputExceeded')$$,
				  $$VALUES (2::bigint, 1::float8)$$, '... and counted in ReadProvisionedThroughputExceeded');
SELECT results_eq($$SELECT n, total FROM pg_temp.shard_stat('met-slow', 'WriteProvisionedThroughputExceeded', 'shardId-000000000000')$$,
				  $$VALUES (1::bigint, 3::float8)$$, 'the shard''s WriteProvisionedThroughputExceeded: its 3 records refused');
SELECT results_eq($$SELECT n, total FROM pg_temp.shard_stat('met-slow', 'IncomingRecords', 'shardId-000000000000')$$,
				  $$VALUES (1::bigint, 2::float8)$$, 'the shard''s IncomingRecords: the 2 taken');
SELECT results_eq($$SELECT n, total FROM pg_temp.shard_stat('met-slow', 'ReadProvisionedThroughputExceeded', 'shardId-000000000000')$$,
				  $$VALUES (2::bigint, 1::float8)$$, 'the shard''s ReadProvisionedThroughputExceeded: 1 call of 2');
SELECT results_eq($$SELECT n, total FROM pg_temp.shard_stat('met-slow', 'OutgoingRecords', 'shardId-000000000000')$$,
				  $$VALUES (1::bigint, 2::float8)$$, 'the shard''s OutgoingRecords: the call that read');
RESET stream.shard_write_records_per_second;
RESET stream.shard_read_calls_per_second;

-- switched off
SET LOCAL stream.metrics = off;
SELECT stream.put_record('met', 'k', '\x00');
RESET stream.metrics;
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met', 'IncomingRecords')$$,
				  $$VALUES (4::bigint, 7::float8)$$, 'with stream.metrics off, calls count nothing');

-- errors and privileges
SELECT throws_ok($$SELECT * FROM stream.get_metric_statistics('met', 'Nonsense', now(), now() + interval '1 hour')$$,
				 '22023', 'unknown metric "Nonsense"', 'an unknown metric is InvalidArgumentException');
SELECT throws_ok($$SELECT * FROM stream.get_metric_statistics('met', 'IncomingBytes', now(), now() + interval '1 hour', '90 seconds')$$,
				 '22023', NULL, 'a period is a whole number of minutes');
SELECT throws_ok($$SELECT * FROM stream.get_metric_statistics('met', 'IncomingBytes', now(), now() - interval '1 hour')$$,
				 '22023', 'start_time must come before end_time', 'start_time comes first');
SELECT throws_ok($$SELECT * FROM stream.get_metric_statistics('met', 'PutRecords.Bytes', now(), now() + interval '1 hour', '1 minute', 'shardId-000000000000')$$,
				 '22023', 'metric "PutRecords.Bytes" is not counted for a shard',
				 'a metric that is not a shard''s, asked of a shard, is InvalidArgumentException');
SELECT throws_ok($$SELECT * FROM stream.get_metric_statistics('met', 'OutgoingBytes', now(), now() + interval '1 hour')$$,
				 '22023', 'metric "OutgoingBytes" is not counted for a stream', '... a shard''s asked of the stream too');
SELECT throws_ok($$SELECT * FROM stream.get_metric_statistics('met', 'IncomingBytes', now(), now() + interval '1 hour', consumer_name => 'c')$$,
				 '22023', 'metric "IncomingBytes" is not counted for a consumer', '... and one not a consumer''s, of a consumer');
SELECT throws_ok($$SELECT * FROM stream.get_metric_statistics('met', 'IncomingBytes', now(), now() + interval '1 hour', '1 minute', 'shardId-000000000000', 'c')$$,
				 '22023', 'metrics are of a shard or of a consumer, not both', 'a shard and a consumer at once');
SELECT throws_ok($$SELECT * FROM stream.get_metric_statistics('met', 'IncomingBytes', now(), now() + interval '1 hour', '1 minute', 'shard-0')$$,
				 '22023', 'invalid shard id "shard-0"', 'a shard id that is none');
SELECT throws_ok($$SELECT * FROM stream.get_metric_statistics('met', 'IncomingBytes', now(), now() + interval '1 hour', '1 minute', 'shardId-000000000001')$$,
				 '42704', 'shard "shardId-000000000001" of stream "met" does not exist',
				 'a shard the stream never had is ResourceNotFoundException');
SELECT throws_ok($$SELECT * FROM stream.get_metric_statistics('met', 'SubscribeToShardEvent.Bytes', now(), now() + interval '1 hour', consumer_name => 'a b')$$,
				 '22023', 'invalid consumer name "a b"', 'a consumer name that is none');
SELECT throws_ok($$SELECT * FROM stream.get_metric_statistics('nowhere', 'IncomingBytes', now(), now() + interval '1 hour')$$,
				 '42704', NULL, 'a stream that does not exist is ResourceNotFoundException');
SET ROLE met_viewer;
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met', 'IncomingRecords')$$,
				  $$VALUES (4::bigint, 7::float8)$$, 'a role with describe reads the metrics');
SET ROLE met_nobody;
SELECT throws_ok($$SELECT * FROM pg_temp.stat('met', 'IncomingRecords')$$, '42501',
				 'role "met_nobody" is not authorized to perform kinesis:GetMetricStatistics on stream "met"',
				 'a role without describe may not');
RESET ROLE;
SELECT results_eq($$SELECT level, count(*) FROM stream_internal.metric_names() GROUP BY level ORDER BY level$$,
				  $$VALUES ('consumer', 4::bigint), ('shard', 7::bigint), ('stream', 22::bigint)$$,
				  'the 22 stream-level metrics of API.md, 7 of a shard, 4 of a consumer');

-- enhanced monitoring, by a role with manage
SELECT is(pg_temp.signature('stream.enable_enhanced_monitoring(text, text[])'),
		  'stream_name text, shard_level_metrics text[] -> text[]',
		  'enable_enhanced_monitoring has the signature of API.md');
SELECT is(pg_temp.signature('stream.disable_enhanced_monitoring(text, text[])'),
		  'stream_name text, shard_level_metrics text[] -> text[]',
		  'disable_enhanced_monitoring has the signature of API.md');
CREATE ROLE met_manager;
SELECT stream.create_stream('met-shards', 2);
SELECT stream.grant('manage', 'met-shards', 'met_manager');
SELECT stream.grant('describe', 'met-shards', 'met_manager');
SELECT stream.grant('describe', 'met-shards', 'met_viewer');
SELECT stream.grant('write', 'met-shards', 'met_manager');
SELECT stream.grant('read', 'met-shards', 'met_manager');
SELECT is(stream.describe_stream('met-shards')->'EnhancedMonitoring', '[{"ShardLevelMetrics": []}]',
		  'describe_stream: EnhancedMonitoring with no shard-level metrics at first');
SET ROLE met_viewer;
SELECT throws_ok($$SELECT stream.enable_enhanced_monitoring('met-shards', '{ALL}')$$, '42501',
				 'role "met_viewer" is not authorized to perform kinesis:EnableEnhancedMonitoring on stream "met-shards"',
				 'a role without manage may not turn enhanced monitoring on');
SET ROLE met_manager;
SELECT count(*) FROM stream.put_records('met-shards', '{a,b,c,d,e,f}', ARRAY['\x01', '\x02', '\x03', '\x04', '\x05', '\x06']::bytea[]);
RESET ROLE;
SELECT is_empty($$SELECT * FROM stream_internal.live_metrics((SELECT stream_id FROM stream.streams WHERE stream_name = 'met-shards'))
				  WHERE shard_no >= 0$$, 'before it, puts count no shard-level metric');
SET ROLE met_manager;
SELECT is(stream.enable_enhanced_monitoring('met-shards', '{WriteProvisionedThroughputExceeded,IncomingRecords,OutgoingRecords}'),
		  '{IncomingRecords,WriteProvisionedThroughputExceeded,OutgoingRecords}',
		  'enable_enhanced_monitoring returns the metrics counted now, in CloudWatch''s order');
SELECT is(stream.enable_enhanced_monitoring('met-shards', '{IncomingRecords}'),
		  '{IncomingRecords,WriteProvisionedThroughputExceeded,OutgoingRecords}', '... once on, a metric stays on');
SELECT is(stream.describe_stream('met-shards')->'EnhancedMonitoring',
		  '[{"ShardLevelMetrics": ["IncomingRecords", "WriteProvisionedThroughputExceeded", "OutgoingRecords"]}]',
		  'describe_stream shows them');
SELECT is((SELECT shard_level_metrics FROM stream.describe_stream_summary('met-shards')),
		  '{IncomingRecords,WriteProvisionedThroughputExceeded,OutgoingRecords}', '... and describe_stream_summary');
CREATE TEMP TABLE put AS
	SELECT shard_id FROM stream.put_records('met-shards', ARRAY(SELECT 'key-' || g FROM generate_series(1, 20) g),
											array_fill('\x0102'::bytea, '{20}'));
SELECT ok((SELECT count(DISTINCT shard_id) = 2 FROM put), '20 records went to both shards');
SELECT results_eq($$SELECT s, (SELECT n FROM pg_temp.shard_stat('met-shards', 'IncomingRecords', s)),
						   (SELECT total FROM pg_temp.shard_stat('met-shards', 'IncomingRecords', s))
					FROM (VALUES ('shardId-000000000000'), ('shardId-000000000001')) v(s)$$,
				  $$SELECT shard_id, 1::bigint, count(*)::float8 FROM put GROUP BY shard_id ORDER BY shard_id$$,
				  'each shard''s IncomingRecords: the records put_records routed to it, one sample');
SELECT results_eq($$SELECT n, total FROM pg_temp.shard_stat('met-shards', 'WriteProvisionedThroughputExceeded', 'shardId-000000000000')$$,
				  $$VALUES (1::bigint, 0::float8)$$, '... its WriteProvisionedThroughputExceeded: none refused');
SELECT is_empty($$SELECT * FROM pg_temp.shard_stat('met-shards', 'IncomingBytes', 'shardId-000000000000')$$,
				'a shard-level metric not turned on is not counted');
SELECT cardinality(records) FROM stream.get_records(
	stream.get_shard_iterator('met-shards', 'shardId-000000000001', 'TRIM_HORIZON'), 1000);
SELECT results_eq($$SELECT n, total FROM pg_temp.shard_stat('met-shards', 'OutgoingRecords', 'shardId-000000000001')$$,
				  $$SELECT 1::bigint, count(*)::float8 FROM stream.read('met-shards') WHERE shard_id = 'shardId-000000000001'$$,
				  'OutgoingRecords: what get_records returned of the shard, all it has');
SELECT is_empty($$SELECT * FROM pg_temp.shard_stat('met-shards', 'OutgoingRecords', 'shardId-000000000000')$$,
				'... and nothing of the shard not read');
SELECT is(stream.disable_enhanced_monitoring('met-shards', '{IncomingRecords,IteratorAgeMilliseconds}'),
		  '{WriteProvisionedThroughputExceeded,OutgoingRecords}',
		  'disable_enhanced_monitoring returns what is left (a metric that was off is passed over)');
SELECT count(*) FROM stream.put_records('met-shards', '{a,b,c,d,e,f}', ARRAY['\x01', '\x02', '\x03', '\x04', '\x05', '\x06']::bytea[]);
SELECT results_eq($$SELECT sum(n)::bigint FROM (SELECT (pg_temp.shard_stat('met-shards', 'IncomingRecords', s)).n
					FROM (VALUES ('shardId-000000000000'), ('shardId-000000000001')) v(s)) x$$,
				  $$VALUES (2::bigint)$$, 'once off, a metric is no longer counted');
SELECT is(stream.disable_enhanced_monitoring('met-shards', '{ALL}'), '{}', 'ALL turns all off');
SELECT is(stream.enable_enhanced_monitoring('met-shards', '{ALL}'),
		  '{IncomingBytes,IncomingRecords,ReadProvisionedThroughputExceeded,WriteProvisionedThroughputExceeded,OutgoingBytes,OutgoingRecords,IteratorAgeMilliseconds}',
		  '... and on');
SELECT throws_ok($$SELECT stream.enable_enhanced_monitoring('met-shards', '{IncomingRecords,Nonsense}')$$,
				 '22023', 'unknown shard-level metric "Nonsense"', 'an unknown metric is InvalidArgumentException');
SELECT throws_ok($$SELECT stream.enable_enhanced_monitoring('met-shards', '{PutRecords.Bytes}')$$,
				 '22023', 'unknown shard-level metric "PutRecords.Bytes"', '... a stream-level one too');
SELECT throws_ok($$SELECT stream.disable_enhanced_monitoring('met-shards', '{}')$$,
				 '22023', 'shard-level metrics must be an array of 1 to 7 metric names', 'no metric at all');
SELECT throws_ok($$SELECT stream.enable_enhanced_monitoring('met-shards', NULL)$$,
				 '22023', 'shard-level metrics must be an array of 1 to 7 metric names', 'NULL');
SELECT throws_ok($$SELECT stream.enable_enhanced_monitoring('met-shards', array_fill('IncomingBytes'::text, '{8}'))$$,
				 '22023', 'shard-level metrics must be an array of 1 to 7 metric names', 'more than 7');
SELECT throws_ok($$SELECT stream.enable_enhanced_monitoring('met-shards', '{IncomingBytes,NULL}')$$,
				 '22023', 'unknown shard-level metric "NULL"', 'a NULL metric');
RESET ROLE;
SELECT throws_ok($$SELECT stream.enable_enhanced_monitoring('nowhere', '{ALL}')$$,
				 '42704', NULL, 'a stream that does not exist is ResourceNotFoundException');
SELECT is((SELECT shard_level_metrics FROM stream.streams WHERE stream_name = 'met-shards'),
		  '{IncomingBytes,IncomingRecords,ReadProvisionedThroughputExceeded,WriteProvisionedThroughputExceeded,OutgoingBytes,OutgoingRecords,IteratorAgeMilliseconds}',
		  'a refused call changes nothing');

-- a registered consumer's metrics: its own, and the stream's with all consumers'
SELECT count(*) FROM stream.register_stream_consumer('met', 'met-c1');
SELECT count(*) FROM stream.register_stream_consumer('met', 'met-c2');
SELECT cardinality(records) AS subscribed
FROM stream.subscribe_to_shard('met', 'met-c1', 'shardId-000000000000', 'TRIM_HORIZON') \gset
SELECT results_eq($$SELECT n, total FROM pg_temp.consumer_stat('met', 'SubscribeToShardEvent.Records', 'met-c1')$$,
				  format($$VALUES (1::bigint, %s::float8)$$, :subscribed),
				  'SubscribeToShardEvent.Records of the consumer: what its call returned');
SELECT results_eq($$SELECT n, total FROM pg_temp.consumer_stat('met', 'SubscribeToShard.RateExceeded', 'met-c1')$$,
				  $$VALUES (1::bigint, 0::float8)$$, 'SubscribeToShard.RateExceeded of the consumer: not throttled');
SELECT results_eq($$SELECT n, total FROM pg_temp.stat('met', 'SubscribeToShardEvent.Records')$$,
				  format($$VALUES (1::bigint, %s::float8)$$, :subscribed),
				  '... counted for the stream as well');
SELECT is_empty($$SELECT * FROM pg_temp.consumer_stat('met', 'SubscribeToShardEvent.Records', 'met-c2')$$,
				'another consumer has its own: none');
SELECT results_eq($$SELECT n FROM pg_temp.stat('met', 'GetRecords.Records')$$, $$VALUES (1::bigint)$$,
				  'a consumer''s read is not a GetRecords');
SET ROLE met_viewer;
SELECT results_eq($$SELECT n FROM pg_temp.consumer_stat('met', 'SubscribeToShardEvent.Bytes', 'met-c1')$$,
				  $$VALUES (1::bigint)$$, 'a role with describe reads a consumer''s metrics');
RESET ROLE;

-- stream_stats (its numbers, of the last whole minute, are TAP 140_metrics')
SELECT is(pg_temp.signature('stream.stream_stats()'),
		  ' -> TABLE(stream_name text, minute timestamp with time zone, incoming_records bigint, '
		  'incoming_bytes bigint, outgoing_records bigint, outgoing_bytes bigint, '
		  'iterator_age_milliseconds bigint, read_throttled bigint, write_throttled bigint, '
		  'application_lag jsonb)', 'stream_stats(), behind the view stream.stream_stats');
SELECT results_eq($$SELECT stream_name, minute = date_trunc('minute', clock_timestamp()) - interval '1 minute'
					FROM stream.stream_stats$$,
				  $$VALUES ('met', true), ('met-shards', true), ('met-slow', true)$$,
				  'stream.stream_stats: a row a stream, of the last whole minute');
SET ROLE met_viewer;
SELECT results_eq($$SELECT stream_name FROM stream.stream_stats$$, $$VALUES ('met'), ('met-shards')$$,
				  '... each role seeing the streams it may describe');
SET ROLE met_nobody;
SELECT is_empty($$SELECT * FROM stream.stream_stats$$, '... and none for a role that may describe none');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
