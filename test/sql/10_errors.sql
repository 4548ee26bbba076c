\set ECHO none
\i test/sql/lib/setup.sql
-- API.md's error table, row by row: each error carries its SQLSTATE, the
-- Kinesis exception name in its DETAIL and the offending value in its
-- message, and leaves nothing behind.
-- (KS001 is tested in 32_quotas; KS003 and KS004 have no code path yet.)
BEGIN;
SELECT plan(47);

\i test/sql/lib/helpers.sql

SELECT stream.create_stream('err', 2);
SELECT stream.put_record('err', 'k', '\x01') \gset
SELECT pg_temp.footprint() AS fp \gset

-- ResourceNotFoundException: 42704
SELECT throws_ok($$SELECT * FROM stream.describe_stream_summary('missing_stream')$$, '42704',
				 NULL, 'ResourceNotFoundException: 42704');
SELECT matches((pg_temp.error_of($$SELECT * FROM stream.describe_stream_summary('missing_stream')$$)).detail,
			   '\mResourceNotFoundException\M', '... its DETAIL names ResourceNotFoundException');
SELECT matches((pg_temp.error_of($$SELECT * FROM stream.describe_stream_summary('missing_stream')$$)).message,
			   'missing_stream', '... its message names the stream');
SELECT matches((pg_temp.error_of($$SELECT stream.put_record('missing_stream', 'k', '\x01')$$)).detail,
			   '\mResourceNotFoundException\M', 'put_record to an unknown stream: DETAIL');
SELECT matches((pg_temp.error_of($$SELECT stream.put_record('missing_stream', 'k', '\x01')$$)).message,
			   'missing_stream', '... and the message names the stream');
SELECT throws_ok($$SELECT stream.get_shard_iterator('err', 'shardId-000000000007', 'LATEST')$$,
				 '42704', NULL, 'an unknown shard: 42704');
SELECT matches((pg_temp.error_of($$SELECT stream.get_shard_iterator('err', 'shardId-000000000007',
															 'LATEST')$$)).detail,
			   '\mResourceNotFoundException\M', '... DETAIL names ResourceNotFoundException');
SELECT matches((pg_temp.error_of($$SELECT stream.get_shard_iterator('err', 'shardId-000000000007',
															 'LATEST')$$)).message,
			   'shardId-000000000007', '... and the message names the shard');
SELECT throws_ok($$SELECT stream.delete_stream('missing_stream')$$, '42704', NULL,
				 'delete_stream of an unknown stream: 42704');
SELECT throws_ok($$SELECT * FROM stream.put_records('missing_stream', ARRAY['k'], ARRAY['\x01'::bytea])$$,
				 '42704', NULL, 'put_records to an unknown stream: 42704');
SELECT throws_ok($$SELECT * FROM stream.read('missing_stream')$$, '42704', NULL,
				 'read of an unknown stream: 42704');
SELECT throws_ok($$SELECT * FROM stream.list_shards('missing_stream')$$, '42704', NULL,
				 'list_shards of an unknown stream: 42704');
SELECT throws_ok($$SELECT stream.increase_stream_retention_period('missing_stream', 48)$$, '42704',
				 NULL, 'increase_stream_retention_period of an unknown stream: 42704');
SELECT is(pg_temp.footprint(), :'fp', '... none of them left anything behind');

-- ResourceInUseException, the name exists already: 42710
SELECT throws_ok($$SELECT stream.create_stream('err', 1)$$, '42710', NULL,
				 'ResourceInUseException (exists already): 42710');
SELECT matches((pg_temp.error_of($$SELECT stream.create_stream('err', 1)$$)).detail,
			   '\mResourceInUseException\M', '... its DETAIL names ResourceInUseException');
SELECT matches((pg_temp.error_of($$SELECT stream.create_stream('err', 1)$$)).message,
			   '\merr\M', '... its message names the stream');
SELECT is(pg_temp.footprint(), :'fp', '... and leaves nothing behind');

-- ResourceInUseException, the stream has consumers: 55006
INSERT INTO stream.consumers (stream_id, consumer_name)
	SELECT stream_id, 'consumer-app' FROM stream.streams WHERE stream_name = 'err';
SELECT pg_temp.footprint() AS fp \gset
SELECT throws_ok($$SELECT stream.delete_stream('err')$$, '55006', NULL,
				 'ResourceInUseException (delete_stream of a stream with a consumer): 55006');
SELECT matches((pg_temp.error_of($$SELECT stream.delete_stream('err')$$)).detail,
			   '\mResourceInUseException\M', '... its DETAIL names ResourceInUseException');
SELECT matches((pg_temp.error_of($$SELECT stream.delete_stream('err')$$)).message,
			   '\merr\M', '... its message names the stream');
SELECT throws_ok($$SELECT stream.delete_stream('err', false)$$, '55006', NULL,
				 '... also with enforce_consumer_deletion => false');
SELECT is(pg_temp.footprint(), :'fp', '... the stream, its shards, segments and consumer stay');
SELECT is((SELECT count(*) FROM stream.read('err')), 1::bigint, '... and so does its record');

-- ResourceInUseException, the stream is not ACTIVE: 55006
UPDATE stream.streams SET stream_status = 'UPDATING' WHERE stream_name = 'err';
SELECT throws_ok($$SELECT stream.increase_stream_retention_period('err', 48)$$, '55006', NULL,
				 'ResourceInUseException (stream not ACTIVE): 55006');
SELECT matches((pg_temp.error_of($$SELECT stream.increase_stream_retention_period('err', 48)$$)).detail,
			   '\mResourceInUseException\M', '... its DETAIL names ResourceInUseException');
SELECT is((SELECT retention_period_hours FROM stream.describe_stream_summary('err')), 24,
		  '... and the retention is unchanged');
UPDATE stream.streams SET stream_status = 'ACTIVE' WHERE stream_name = 'err';

-- enforce_consumer_deletion deletes the stream and its consumers.
SELECT lives_ok($$SELECT stream.delete_stream('err', enforce_consumer_deletion => true)$$,
				'delete_stream with enforce_consumer_deletion => true deletes it');
SELECT is((SELECT count(*) FROM stream.streams WHERE stream_name = 'err'), 0::bigint,
		  '... the stream is gone');
SELECT is((SELECT count(*) FROM stream.consumers WHERE consumer_name = 'consumer-app'), 0::bigint,
		  '... and so is its consumer');

-- InvalidArgumentException: 22023
SELECT pg_temp.footprint() AS fp \gset
SELECT throws_ok($$SELECT stream.create_stream('bad name!')$$, '22023', NULL,
				 'InvalidArgumentException: 22023');
SELECT matches((pg_temp.error_of($$SELECT stream.create_stream('bad name!')$$)).detail,
			   '\mInvalidArgumentException\M', '... its DETAIL names InvalidArgumentException');
SELECT matches((pg_temp.error_of($$SELECT stream.create_stream('bad name!')$$)).message,
			   'bad name!', '... its message names the value');
SELECT is(pg_temp.footprint(), :'fp', '... and leaves nothing behind');
SELECT stream.create_stream('err2', 1);
SELECT matches((pg_temp.error_of($$SELECT stream.put_record('err2', '', '\x01')$$)).detail,
			   '\mInvalidArgumentException\M', 'put_record with an empty key: DETAIL');
SELECT matches((pg_temp.error_of($$SELECT * FROM stream.get_records('garbage')$$)).detail,
			   '\mInvalidArgumentException\M', 'get_records of a garbage iterator: DETAIL');
SELECT matches((pg_temp.error_of($$SELECT stream.get_shard_iterator('err2', 'shardId-000000000000',
																'SOMEWHERE')$$)).message,
			   'SOMEWHERE', 'an unknown iterator type: the message names it');
SELECT is((SELECT count(*) FROM stream.read('err2')), 0::bigint, '... nothing was written');

-- LimitExceededException: 54000
SELECT set_config('stream.shard_limit',
				  ((SELECT count(*) FROM stream.shards WHERE closed_at IS NULL) + 5)::text,
				  true) \gset
SELECT pg_temp.footprint() AS fp \gset
SELECT throws_ok($$SELECT stream.create_stream('too_big', 6)$$, '54000', NULL,
				 'LimitExceededException (6 shards over stream.shard_limit): 54000');
SELECT matches((pg_temp.error_of($$SELECT stream.create_stream('too_big', 6)$$)).detail,
			   '\mLimitExceededException\M', '... its DETAIL names LimitExceededException');
SELECT is(pg_temp.footprint(), :'fp', '... and leaves nothing behind');
SELECT lives_ok($$SELECT stream.create_stream('just_fits', 5)$$,
				'5 more shards reach the limit exactly');
SELECT throws_ok($$SELECT stream.create_stream('one_more', 1)$$, '54000', NULL,
				 'one more shard over the limit: 54000');
SELECT lives_ok($$SELECT stream.delete_stream('just_fits')$$, 'deleting a stream frees its shards');
SELECT lives_ok($$SELECT stream.create_stream('one_more', 1)$$, '... for a new stream');

-- ExpiredIteratorException: KS002
SET LOCAL stream.iterator_ttl = '1s';
SELECT stream.get_shard_iterator('err2', 'shardId-000000000000', 'TRIM_HORIZON') AS old_it \gset
SELECT pg_sleep(1.2) \gset
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', :'old_it'), 'KS002', NULL,
				 'ExpiredIteratorException: KS002');
SELECT matches((pg_temp.error_of(format('SELECT * FROM stream.get_records(%L)', :'old_it'))).detail,
			   '\mExpiredIteratorException\M', '... its DETAIL names ExpiredIteratorException');

SELECT * FROM finish();
ROLLBACK;
