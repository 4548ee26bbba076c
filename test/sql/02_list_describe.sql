\set ECHO none
\i test/sql/lib/setup.sql
-- list_streams, describe_stream_summary and describe_stream: every column and
-- key of the contract, ARNs from stream.region and stream.account_id.
BEGIN;
SELECT plan(45);

SELECT stream.create_stream('alpha', 2);
SELECT stream.create_stream('beta', 1, 'ON_DEMAND', 48);

-- list_streams
SELECT results_eq(
	$$SELECT stream_name, stream_arn, stream_status, stream_mode
	  FROM stream.list_streams() WHERE stream_name IN ('alpha', 'beta')$$,
	$$VALUES ('alpha'::text, 'arn:aws:kinesis:local-1:000000000000:stream/alpha'::text,
			  'ACTIVE'::text, 'PROVISIONED'::text),
			 ('beta', 'arn:aws:kinesis:local-1:000000000000:stream/beta', 'ACTIVE', 'ON_DEMAND')$$,
	'list_streams: name, default ARN, status and mode, ordered by name');
SELECT ok((SELECT bool_and(stream_creation_timestamp IS NOT NULL
						   AND stream_creation_timestamp <= clock_timestamp()
						   AND stream_creation_timestamp > clock_timestamp() - interval '1 hour')
		   FROM stream.list_streams() WHERE stream_name IN ('alpha', 'beta')),
		  'list_streams: creation timestamps are set and recent');
SELECT is((SELECT count(*) FROM stream.list_streams() WHERE stream_name = 'gamma'), 0::bigint,
		  'list_streams: a stream never created is not listed');

-- ARNs follow the GUCs.
SET LOCAL stream.region = 'eu-west-3';
SET LOCAL stream.account_id = '123456789012';
SELECT is((SELECT stream_arn FROM stream.list_streams() WHERE stream_name = 'alpha'),
		  'arn:aws:kinesis:eu-west-3:123456789012:stream/alpha',
		  'list_streams: the ARN follows stream.region and stream.account_id');
SELECT is((SELECT stream_arn FROM stream.describe_stream_summary('alpha')),
		  'arn:aws:kinesis:eu-west-3:123456789012:stream/alpha',
		  'describe_stream_summary: the ARN follows the GUCs');
SELECT is(stream.describe_stream('alpha')->>'StreamARN',
		  'arn:aws:kinesis:eu-west-3:123456789012:stream/alpha',
		  'describe_stream: the ARN follows the GUCs');
RESET stream.region;
RESET stream.account_id;

-- describe_stream_summary
SELECT results_eq(
	$$SELECT stream_name, stream_arn, stream_status, stream_mode, retention_period_hours,
			 encryption_type, key_id, open_shard_count, consumer_count
	  FROM stream.describe_stream_summary('alpha')$$,
	$$VALUES ('alpha'::text, 'arn:aws:kinesis:local-1:000000000000:stream/alpha'::text,
			  'ACTIVE'::text, 'PROVISIONED'::text, 24, 'NONE'::text, NULL::text, 2, 0)$$,
	'describe_stream_summary: every column of a PROVISIONED stream');
SELECT results_eq(
	$$SELECT stream_name, stream_status, stream_mode, retention_period_hours, open_shard_count
	  FROM stream.describe_stream_summary('beta')$$,
	$$VALUES ('beta'::text, 'ACTIVE'::text, 'ON_DEMAND'::text, 48, 1)$$,
	'describe_stream_summary: an ON_DEMAND stream with 48 hours');
SELECT is((SELECT stream_creation_timestamp FROM stream.describe_stream_summary('alpha')),
		  (SELECT stream_creation_timestamp FROM stream.list_streams() WHERE stream_name = 'alpha'),
		  'describe_stream_summary: the creation timestamp is the one listed');
SELECT is((SELECT count(*) FROM stream.describe_stream_summary('alpha')), 1::bigint,
		  'describe_stream_summary returns exactly one row');

INSERT INTO stream.consumers (stream_id, consumer_name)
	SELECT stream_id, 'app-1' FROM stream.streams WHERE stream_name = 'alpha';
SELECT is((SELECT consumer_count FROM stream.describe_stream_summary('alpha')), 1,
		  'describe_stream_summary: consumer_count counts registered consumers');
SELECT is((SELECT consumer_count FROM stream.describe_stream_summary('beta')), 0,
		  '... of that stream only');

-- describe_stream
SELECT stream.describe_stream('alpha') AS d \gset
SELECT is(:'d'::jsonb->>'StreamName', 'alpha', 'describe_stream: StreamName');
SELECT is(:'d'::jsonb->>'StreamARN', 'arn:aws:kinesis:local-1:000000000000:stream/alpha',
		  'describe_stream: StreamARN');
SELECT is(:'d'::jsonb->>'StreamStatus', 'ACTIVE', 'describe_stream: StreamStatus');
SELECT is(:'d'::jsonb->'StreamModeDetails'->>'StreamMode', 'PROVISIONED',
		  'describe_stream: StreamModeDetails.StreamMode');
SELECT is((:'d'::jsonb->'RetentionPeriodHours')::int, 24, 'describe_stream: RetentionPeriodHours');
SELECT is(:'d'::jsonb->'HasMoreShards', 'false'::jsonb, 'describe_stream: HasMoreShards is false');
SELECT is(:'d'::jsonb->>'EncryptionType', 'NONE', 'describe_stream: EncryptionType');
SELECT ok(:'d'::jsonb ? 'StreamCreationTimestamp', 'describe_stream: StreamCreationTimestamp');
SELECT is(jsonb_array_length(:'d'::jsonb->'Shards'), 2, 'describe_stream: 2 Shards');
SELECT is(:'d'::jsonb->'Shards'->0->>'ShardId', 'shardId-000000000000',
		  'describe_stream: the first shard''s ShardId');
SELECT is(:'d'::jsonb->'Shards'->1->>'ShardId', 'shardId-000000000001',
		  'describe_stream: the second shard''s ShardId');
SELECT is(:'d'::jsonb->'Shards'->0->'HashKeyRange'->'StartingHashKey', '"0"'::jsonb,
		  'describe_stream: hash keys are decimal strings, the first range starts at "0"');
SELECT is(:'d'::jsonb->'Shards'->0->'HashKeyRange'->>'EndingHashKey',
		  '170141183460469231731687303715884105727',
		  'describe_stream: the first of 2 ranges ends at 2^127 - 1');
SELECT is(:'d'::jsonb->'Shards'->1->'HashKeyRange'->>'StartingHashKey',
		  '170141183460469231731687303715884105728',
		  'describe_stream: the second range starts at 2^127');
SELECT is(:'d'::jsonb->'Shards'->1->'HashKeyRange'->>'EndingHashKey',
		  '340282366920938463463374607431768211455',
		  'describe_stream: the last range ends at 2^128 - 1');
SELECT is(jsonb_typeof(:'d'::jsonb->'Shards'->0->'SequenceNumberRange'->'StartingSequenceNumber'),
		  'string', 'describe_stream: StartingSequenceNumber is a decimal string');
SELECT is((:'d'::jsonb->'Shards'->0->'SequenceNumberRange'->>'StartingSequenceNumber')::numeric,
		  (SELECT starting_sequence_number FROM stream.list_shards('alpha')
		   WHERE shard_id = 'shardId-000000000000'),
		  'describe_stream: StartingSequenceNumber is the one list_shards gives');
SELECT ok(NOT (:'d'::jsonb->'Shards'->0->'SequenceNumberRange' ? 'EndingSequenceNumber'),
		  'describe_stream: an open shard has no EndingSequenceNumber');
SELECT ok(NOT (:'d'::jsonb->'Shards'->0 ? 'ParentShardId'),
		  'describe_stream: a shard without parent has no ParentShardId');
SELECT is(stream.describe_stream('beta')->'StreamModeDetails'->>'StreamMode', 'ON_DEMAND',
		  'describe_stream: an ON_DEMAND stream');
SELECT is((stream.describe_stream('beta')->'RetentionPeriodHours')::int, 48,
		  'describe_stream: a retention of 48 hours');

-- Unknown and NULL names.
SELECT throws_ok($$SELECT * FROM stream.describe_stream_summary('gamma')$$, '42704', NULL,
				 'describe_stream_summary of an unknown stream: 42704');
SELECT throws_ok($$SELECT stream.describe_stream('gamma')$$, '42704', NULL,
				 'describe_stream of an unknown stream: 42704');
SELECT throws_ok($$SELECT * FROM stream.describe_stream_summary(NULL)$$, '22023', NULL,
				 'describe_stream_summary of NULL: 22023');
SELECT throws_ok($$SELECT stream.describe_stream(NULL)$$, '22023', NULL,
				 'describe_stream of NULL: 22023');
SELECT throws_ok($$SELECT * FROM stream.describe_stream_summary('ALPHA')$$, '42704', NULL,
				 'stream names are case-sensitive');

-- delete_stream removes the stream from every view.
SELECT relation::oid AS beta_seg FROM stream.segments g JOIN stream.streams s USING (stream_id)
	WHERE s.stream_name = 'beta' LIMIT 1 \gset
SELECT lives_ok($$SELECT stream.delete_stream('beta')$$, 'delete_stream of a stream');
SELECT is((SELECT count(*) FROM stream.list_streams() WHERE stream_name = 'beta'), 0::bigint,
		  '... removes it from list_streams');
SELECT throws_ok($$SELECT * FROM stream.describe_stream_summary('beta')$$, '42704', NULL,
				 '... describe_stream_summary no longer finds it');
SELECT is((SELECT count(*) FROM pg_class WHERE oid = :beta_seg), 0::bigint,
		  '... its segment relations are dropped');
SELECT is((SELECT count(*) FROM stream.shards h JOIN stream.streams s USING (stream_id)
		   WHERE s.stream_name = 'beta'), 0::bigint,
		  '... and its shards are gone from the catalog');
SELECT is((SELECT count(*) FROM stream.list_streams() WHERE stream_name = 'alpha'), 1::bigint,
		  '... other streams stay');
SELECT throws_ok($$SELECT stream.delete_stream('beta')$$, '42704', NULL,
				 'delete_stream of a deleted stream: 42704');

SELECT * FROM finish();
ROLLBACK;
