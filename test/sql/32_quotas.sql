\set ECHO none
\i test/sql/lib/setup.sql
-- Per-shard throughput quotas: writes (records and bytes per second) and
-- reads (get_records calls and bytes per second), ProvisionedThroughput-
-- ExceededException (KS001), and 0 turning a quota off.  The test cluster
-- runs with every quota off; each test here turns on the ones it is about,
-- for this session.  Every stream is new, so its buckets start full.
BEGIN;
SELECT plan(35);

\i test/sql/lib/helpers.sql

-- n records of "size" bytes of data for keys k0, k1, ... as put_records
-- entries; with a hash key, all go to the shard that holds it.
CREATE FUNCTION pg_temp.entries(n int, size int DEFAULT 10, hash numeric DEFAULT NULL)
	RETURNS stream.put_records_request_entry[] LANGUAGE sql AS $$
	SELECT array_agg(ROW(convert_to(repeat('x', size), 'UTF8'), 'k' || i, hash)
					 ::stream.put_records_request_entry ORDER BY i)
	FROM generate_series(0, n - 1) AS i
$$;

-- How many records of a put_records result were written, and how many
-- were throttled.
CREATE TEMP TABLE results (test text, ordinality int, shard_id text,
						   sequence_number numeric, error_code text, error_message text);
CREATE FUNCTION pg_temp.put(test text, stream_name text,
							entries stream.put_records_request_entry[]) RETURNS void
	LANGUAGE sql AS $$
	INSERT INTO results SELECT test, * FROM stream.put_records(stream_name, entries)
$$;
CREATE FUNCTION pg_temp.written(t text) RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM results WHERE test = t AND error_code IS NULL
$$;
CREATE FUNCTION pg_temp.throttled(t text) RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM results WHERE test = t
	  AND error_code = 'ProvisionedThroughputExceededException'
$$;

-- The settings and their defaults (Kinesis' numbers).
SELECT is(boot_val, '1048576', 'stream.shard_write_bytes_per_second defaults to 1 MiB')
FROM pg_settings WHERE name = 'stream.shard_write_bytes_per_second';
SELECT is(boot_val, '1000', 'stream.shard_write_records_per_second defaults to 1000')
FROM pg_settings WHERE name = 'stream.shard_write_records_per_second';
SELECT is(boot_val, '2097152', 'stream.shard_read_bytes_per_second defaults to 2 MiB')
FROM pg_settings WHERE name = 'stream.shard_read_bytes_per_second';
SELECT is(boot_val, '5', 'stream.shard_read_calls_per_second defaults to 5')
FROM pg_settings WHERE name = 'stream.shard_read_calls_per_second';
SELECT is(context, 'superuser', 'the quotas are superuser settings: users cannot lift them')
FROM pg_settings WHERE name = 'stream.shard_write_records_per_second';

-- A burst of 2,000 records to one shard within a second: the shard takes a
-- second's worth (1,000, plus what refills while the burst runs) and
-- throttles the rest.
SET stream.shard_write_records_per_second = 1000;
SET stream.shard_write_bytes_per_second = 0;
SELECT stream.create_stream('q_burst', 1);
SELECT pg_temp.put('burst', 'q_burst', pg_temp.entries(500)) FROM generate_series(1, 4);
SELECT cmp_ok(pg_temp.throttled('burst'), '>=', 500::bigint,
			  'a burst of 2,000 records in well under a second has records throttled');
SELECT cmp_ok(pg_temp.written('burst'), '>=', 1000::bigint,
			  '... after the shard took a full second''s worth');
SELECT is(pg_temp.written('burst') + pg_temp.throttled('burst'), 2000::bigint,
		  '... and every record is either written or throttled');
SELECT is((SELECT count(*) FROM results WHERE test = 'burst' AND error_code IS NOT NULL
			 AND (shard_id IS NOT NULL OR sequence_number IS NOT NULL)), 0::bigint,
		  'a throttled record has NULL shard_id and sequence_number');
SELECT is((SELECT count(*) FROM results WHERE test = 'burst' AND error_code IS NOT NULL
			 AND error_message = 'Rate exceeded for shard shardId-000000000000 in stream q_burst under account '
								 || current_setting('stream.account_id') || '.'), pg_temp.throttled('burst'),
		  '... and error_message in Kinesis'' words');
SELECT is((SELECT count(*) FROM stream.read('q_burst')), pg_temp.written('burst'),
		  'only the records that were not throttled are in the stream');
SELECT is((SELECT count(*) FROM results WHERE test = 'burst' AND error_code IS NULL
			 AND (shard_id IS NULL OR sequence_number IS NULL)), 0::bigint,
		  'written records have their shard and sequence number');

-- The same 2,000 records spread over two seconds: none throttled.
SELECT stream.create_stream('q_spread', 1);
SELECT pg_temp.put('spread', 'q_spread', pg_temp.entries(500)), pg_sleep(0.5)
FROM generate_series(1, 4);
SELECT is(pg_temp.throttled('spread'), 0::bigint,
		  '2,000 records spread over two seconds: none throttled');
SELECT is((SELECT count(*) FROM stream.read('q_spread')), 2000::bigint, '... all written');

-- Only the records over quota fail: a shard at its limit does not hold back
-- the records of another shard in the same request.
SET stream.shard_write_records_per_second = 5;
SELECT stream.create_stream('q_two', 2);
SELECT pg_temp.put('two', 'q_two',
				   pg_temp.entries(10, 10, 0) || pg_temp.entries(3, 10, 2::numeric ^ 127));
SELECT is(pg_temp.throttled('two'), 5::bigint, 'the hot shard throttles what is over its quota');
SELECT is((SELECT array_agg(ordinality ORDER BY ordinality) FROM results
		   WHERE test = 'two' AND error_code IS NULL),
		  ARRAY[1, 2, 3, 4, 5, 11, 12, 13],
		  '... in input order: its first records go in, and every record of the other shard');

-- put_record over quota raises KS001 and writes nothing.
SET stream.shard_write_records_per_second = 3;
SELECT stream.create_stream('q_one', 1);
SELECT stream.put_record('q_one', 'k', '\x01') FROM generate_series(1, 3);
SELECT throws_ok($$SELECT stream.put_record('q_one', 'k', '\x02')$$, 'KS001', NULL,
				 'put_record over the records quota: KS001');
SELECT matches((pg_temp.error_of($$SELECT stream.put_record('q_one', 'k', '\x02')$$)).detail,
			   '\mProvisionedThroughputExceededException\M', '... its DETAIL names the exception');
SELECT matches((pg_temp.error_of($$SELECT stream.put_record('q_one', 'k', '\x02')$$)).message,
			   'shardId-000000000000.*q_one', '... its message names the shard and the stream');
SELECT is((SELECT count(*) FROM stream.read('q_one')), 3::bigint, '... and nothing was written');

-- The bytes quota counts data and partition key.
SET stream.shard_write_records_per_second = 0;
SET stream.shard_write_bytes_per_second = 10000;
SELECT stream.create_stream('q_bytes', 1);
-- 10 records of 997 bytes of data and a 2-byte key ('k0' .. 'k9'): 9,990
-- bytes; then 10 of 1,000 bytes ('k10' ..) that no longer fit, and a small
-- one that does.
SELECT pg_temp.put('bytes', 'q_bytes', pg_temp.entries(20, 997) || pg_temp.entries(1, 1));
SELECT is((SELECT array_agg(ordinality ORDER BY ordinality) FROM results
		   WHERE test = 'bytes' AND error_code IS NOT NULL),
		  ARRAY[11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
		  'the bytes quota lets a second''s worth of bytes in, data and keys counted');
SELECT is((SELECT error_code FROM results WHERE test = 'bytes' AND ordinality = 21), NULL,
		  'a small record still fits after larger ones were throttled');
SET stream.shard_write_bytes_per_second = 1000;
SELECT stream.create_stream('q_big', 1);
SELECT throws_ok($$SELECT stream.put_record('q_big', 'k', convert_to(repeat('x', 2000), 'UTF8'))$$,
				 'KS001', NULL, 'a record larger than a second''s bytes is always throttled');

-- 0 turns a quota off.
SET stream.shard_write_bytes_per_second = 0;
SELECT stream.create_stream('q_off', 1);
SELECT pg_temp.put('off', 'q_off', pg_temp.entries(500)) FROM generate_series(1, 6);
SELECT is(pg_temp.throttled('off'), 0::bigint, 'with both write quotas at 0 nothing is throttled');

-- Reads: 5 get_records calls per second per shard, whoever calls.
SET stream.shard_read_calls_per_second = 5;
SET stream.shard_read_bytes_per_second = 0;
SELECT stream.get_shard_iterator('q_spread', 'shardId-000000000000', 'TRIM_HORIZON') AS it \gset
SELECT lives_ok(format('SELECT r.* FROM generate_series(1, 5) AS g, stream.get_records(%L, g * 0 + 1) AS r', :'it'),
				'5 get_records calls on a shard in a second');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L, 1)', :'it'), 'KS001', NULL,
				 'the sixth in the same second: KS001');
SELECT matches((pg_temp.error_of(format('SELECT * FROM stream.get_records(%L, 1)', :'it'))).detail,
			   '\mProvisionedThroughputExceededException\M', '... its DETAIL names the exception');
SELECT stream.get_shard_iterator('q_burst', 'shardId-000000000000', 'TRIM_HORIZON') AS other_it \gset
SELECT lives_ok(format('SELECT * FROM stream.get_records(%L, 1)', :'other_it'),
				'another shard has its own quota');
SELECT pg_sleep(0.45);
SELECT lives_ok(format('SELECT * FROM stream.get_records(%L, 1)', :'it'),
				'after a fifth of a second or more, one more call is let in');
SELECT lives_ok('SELECT (SELECT count(*) FROM stream.read(''q_spread'')) FROM generate_series(1, 10)',
				'stream.read, the SQL view, is not throttled');

-- Read bytes: a call is let in while the shard has read bytes left, and a
-- large read borrows from the next seconds.
SET stream.shard_read_calls_per_second = 0;
SET stream.shard_read_bytes_per_second = 1000;
SELECT stream.create_stream('q_read', 1);
SELECT pg_temp.put('read', 'q_read', pg_temp.entries(10, 499));
SELECT stream.get_shard_iterator('q_read', 'shardId-000000000000', 'TRIM_HORIZON') AS rit \gset
SELECT is((SELECT cardinality(records) FROM stream.get_records(:'rit')), 10,
		  'a read is let in while there are read bytes left, and returns all it may');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', :'rit'), 'KS001', NULL,
				 'the 5,000 bytes it returned are owed: the next call is throttled');
SELECT pg_sleep(1.2);
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', :'rit'), 'KS001', NULL,
				 '... and still a second later (the debt takes about four)');

SET stream.shard_read_bytes_per_second = 0;
SELECT lives_ok(format('SELECT r.* FROM generate_series(1, 20) AS g, stream.get_records(%L, g * 0 + 1) AS r', :'rit'),
				'with both read quotas at 0 nothing is throttled');

-- The quotas apply to on-demand streams too (a hot shard is split by the
-- maintenance pass, see 33_on_demand).
SET stream.shard_write_records_per_second = 2;
SELECT stream.create_stream('q_demand', 1, 'ON_DEMAND');
SELECT pg_temp.put('demand', 'q_demand', pg_temp.entries(5));
SELECT is(pg_temp.throttled('demand'), 3::bigint, 'an on-demand shard has the same quotas');

SELECT * FROM finish();
ROLLBACK;
