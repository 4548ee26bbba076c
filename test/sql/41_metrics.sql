\set ECHO none
\i test/sql/lib/setup.sql
-- Metrics (API.md, "Metrics"): after a known number of put_record,
-- put_records and get_records calls, of known bytes and records,
-- get_metric_statistics returns exactly those counts and sums; throttled
-- calls and records are counted as such; stream.metrics = off counts
-- nothing; each error; describe needed, as an ordinary role.  (What the
-- calling backend has not sent to shared memory counts too; the maintenance
-- pass, which moves finished minutes to stream.metrics, is held off by its
-- advisory lock, so that no minute is in flight.  TAP 140_metrics restarts
-- and crashes the server.)
BEGIN;
SELECT plan(36);

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

-- throttled: a shard that takes 2 records a second
SELECT stream.create_stream('met-slow', 1);
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
SELECT throws_ok($$SELECT * FROM stream.get_metric_statistics('met', 'IncomingBytes', now(), now() + interval '1 hour', '1 minute', 'shardId-000000000000')$$,
				 '22023', NULL, 'shard-level metrics are not counted yet');
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
SELECT ok((SELECT count(*) = 22 FROM stream_internal.metric_names()), 'the 22 stream-level metrics of API.md');

-- stream_stats (its numbers, of the last whole minute, are TAP 140_metrics')
SELECT is(pg_temp.signature('stream.stream_stats()'),
		  ' -> TABLE(stream_name text, minute timestamp with time zone, incoming_records bigint, '
		  'incoming_bytes bigint, outgoing_records bigint, outgoing_bytes bigint, '
		  'iterator_age_milliseconds bigint, read_throttled bigint, write_throttled bigint, '
		  'application_lag jsonb)', 'stream_stats(), behind the view stream.stream_stats');
SELECT results_eq($$SELECT stream_name, minute = date_trunc('minute', clock_timestamp()) - interval '1 minute'
					FROM stream.stream_stats$$,
				  $$VALUES ('met', true), ('met-slow', true)$$,
				  'stream.stream_stats: a row a stream, of the last whole minute');
SET ROLE met_viewer;
SELECT results_eq($$SELECT stream_name FROM stream.stream_stats$$, $$VALUES ('met')$$,
				  '... each role seeing the streams it may describe');
SET ROLE met_nobody;
SELECT is_empty($$SELECT * FROM stream.stream_stats$$, '... and none for a role that may describe none');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
