\set ECHO none
\i test/sql/lib/setup.sql
-- put_record: routing by the MD5 of the partition key (computed here in SQL,
-- independently of stream.hash_key), explicit hash keys, sequence numbers,
-- and argument errors that leave nothing behind.
BEGIN;
SELECT plan(41);

\i test/sql/lib/helpers.sql

CREATE TEMP TABLE keys (k text PRIMARY KEY);
INSERT INTO keys VALUES
	('a'), ('b'), ('c'), ('user-1'), ('user-2'), ('user-3'), ('user-42'), ('order:1001'),
	('0'), ('1'), ('  spaced  '), ('UPPER'), ('lower'), ('x' || repeat('y', 255)),
	('é'), ('café'), ('naïve'), ('日本'), ('日本語のキー'), ('😀'), ('🎉 party 🎉'),
	('Ünïcödé ✓'), ('Ω≈ç√∫'), ('tab	tab'), ('line
break');
INSERT INTO keys SELECT 'key-' || i FROM generate_series(1, 75) AS i;

-- The helpers themselves, against values computed elsewhere.
SELECT is(pg_temp.md5_hash_key('a'), 16955237001963240173058271559858726497::numeric,
		  'md5_hash_key(a) is MD5 0cc175b9c0f1b6a831c399e269772661 as an integer');
SELECT is(pg_temp.md5_hash_key('日本'), 103341369634063465466164320543046703539::numeric,
		  'md5_hash_key of 日本 hashes its UTF-8 bytes');
SELECT is(pg_temp.md5_hash_key('😀'), 55842721998748738903166261021950683062::numeric,
		  'md5_hash_key of an emoji hashes its 4 UTF-8 bytes');

-- stream.hash_key agrees.
SELECT results_eq(
	$$SELECT k, stream.hash_key(k) FROM keys ORDER BY k$$,
	$$SELECT k, pg_temp.md5_hash_key(k) FROM keys ORDER BY k$$,
	'stream.hash_key is the MD5 of the UTF-8 bytes as a big-endian integer');
SELECT is(stream.hash_key('a'), 16955237001963240173058271559858726497::numeric,
		  'stream.hash_key(a)');

-- Routing with 1, 3, 4 and 7 shards.
SELECT stream.create_stream('r1', 1);
SELECT stream.create_stream('r3', 3);
SELECT stream.create_stream('r4', 4);
SELECT stream.create_stream('r7', 7);

CREATE TEMP TABLE put AS
	SELECT n, k, p.shard_id, p.sequence_number, p.encryption_type
	FROM (VALUES ('r1', 1), ('r3', 3), ('r4', 4), ('r7', 7)) AS s(name, n),
		 keys,
		 LATERAL stream.put_record(s.name, keys.k, convert_to(keys.k, 'UTF8')) AS p;

SELECT is((SELECT count(*) FROM put), 400::bigint, '400 records put');
SELECT results_eq(
	$$SELECT k, shard_id FROM put WHERE n = 1 ORDER BY k$$,
	$$SELECT k, 'shardId-000000000000'::text FROM keys ORDER BY k$$,
	'1 shard: every key goes to shardId-000000000000');
SELECT results_eq(
	$$SELECT k, shard_id FROM put WHERE n = 3 ORDER BY k$$,
	$$SELECT k, pg_temp.shard_for(pg_temp.md5_hash_key(k), 3) FROM keys ORDER BY k$$,
	'3 shards: each key goes to the shard whose range holds its MD5');
SELECT results_eq(
	$$SELECT k, shard_id FROM put WHERE n = 4 ORDER BY k$$,
	$$SELECT k, pg_temp.shard_for(pg_temp.md5_hash_key(k), 4) FROM keys ORDER BY k$$,
	'4 shards: each key goes to the shard whose range holds its MD5');
SELECT results_eq(
	$$SELECT k, shard_id FROM put WHERE n = 7 ORDER BY k$$,
	$$SELECT k, pg_temp.shard_for(pg_temp.md5_hash_key(k), 7) FROM keys ORDER BY k$$,
	'7 shards: each key goes to the shard whose range holds its MD5');
SELECT is((SELECT count(DISTINCT shard_id) FROM put WHERE n = 7), 7::bigint,
		  '7 shards: 100 keys reach every shard');
SELECT is(
	(SELECT count(*) FROM put p
	 JOIN stream.list_shards('r7') l USING (shard_id)
	 WHERE p.n = 7 AND pg_temp.md5_hash_key(p.k) BETWEEN l.starting_hash_key AND l.ending_hash_key),
	100::bigint,
	'7 shards: each record''s hash key is within the range list_shards gives its shard');
SELECT is((SELECT count(*) FROM put WHERE encryption_type IS DISTINCT FROM 'NONE'), 0::bigint,
		  'put_record returns encryption_type NONE');
SELECT is((SELECT count(*) FROM put
		   WHERE sequence_number IS NULL OR sequence_number <> trunc(sequence_number)
			  OR sequence_number < 0),
		  0::bigint, 'sequence numbers are non-negative integers');
SELECT is((SELECT count(*) FROM put p
		   JOIN stream.list_shards('r7') l USING (shard_id)
		   WHERE p.n = 7 AND p.sequence_number < l.starting_sequence_number),
		  0::bigint, 'no sequence number is below its shard''s starting sequence number');
SELECT is((SELECT count(DISTINCT sequence_number) FROM put WHERE n = 7), 100::bigint,
		  'sequence numbers are unique within a stream, across shards');
SELECT is((SELECT count(*) FROM put WHERE length(sequence_number::text) > 128), 0::bigint,
		  'sequence numbers have at most 128 digits');

-- What was put is what is read.
SELECT results_eq(
	$$SELECT shard_id, sequence_number, partition_key, data FROM stream.read('r7')$$,
	$$SELECT shard_id, sequence_number, k, convert_to(k, 'UTF8') FROM put WHERE n = 7
	  ORDER BY shard_id, sequence_number$$,
	'stream.read returns each record with its key and data');

-- Explicit hash keys override the partition key.
SELECT results_eq(
	$$SELECT shard_id FROM stream.put_record('r7', 'a', '\x01', 0)$$,
	ARRAY['shardId-000000000000'],
	'explicit hash key 0 goes to the first shard');
SELECT results_eq(
	$$SELECT shard_id FROM stream.put_record('r7', 'a', '\x02',
											 340282366920938463463374607431768211455)$$,
	ARRAY['shardId-000000000006'],
	'explicit hash key 2^128 - 1 goes to the last shard');
SELECT results_eq(
	format('SELECT shard_id FROM stream.put_record(%L, %L, %L, %s)', 'r7', 'a', '\x03',
		   div(2::numeric ^ 128, 7) - 1),
	ARRAY['shardId-000000000000'],
	'explicit hash key w - 1 is the end of the first shard');
SELECT results_eq(
	format('SELECT shard_id FROM stream.put_record(%L, %L, %L, %s)', 'r7', 'a', '\x04',
		   div(2::numeric ^ 128, 7)),
	ARRAY['shardId-000000000001'],
	'explicit hash key w is the start of the second shard');
SELECT results_eq(
	format('SELECT shard_id FROM stream.put_record(%L, %L, %L, %s)', 'r7', 'a', '\x05',
		   6 * div(2::numeric ^ 128, 7)),
	ARRAY['shardId-000000000006'],
	'explicit hash key 6w is the start of the last shard');
SELECT results_eq(
	$$SELECT shard_id FROM stream.put_record('r3', 'a', '\x06', 2::numeric ^ 127)$$,
	ARRAY['shardId-000000000001'],
	'explicit hash key 2^127 is in the middle shard of 3');
SELECT results_eq(
	$$SELECT shard_id FROM stream.put_record('r1', 'a', '\x07',
											 340282366920938463463374607431768211455)$$,
	ARRAY['shardId-000000000000'],
	'explicit hash key 2^128 - 1 in a stream of 1 shard');

-- Invalid explicit hash keys: InvalidArgumentException, nothing written.
SELECT pg_temp.record_count('r7') AS r7_count \gset
SELECT throws_ok($$SELECT stream.put_record('r7', 'a', '\x00', -1)$$, '22023', NULL,
				 'explicit hash key -1: 22023');
SELECT throws_ok($$SELECT stream.put_record('r7', 'a', '\x00',
											340282366920938463463374607431768211456)$$,
				 '22023', NULL, 'explicit hash key 2^128: 22023');
SELECT throws_ok($$SELECT stream.put_record('r7', 'a', '\x00', 1.5)$$, '22023', NULL,
				 'a fractional explicit hash key: 22023');
SELECT is(pg_temp.record_count('r7'), :r7_count::bigint,
		  '... and none of the refused records was written');

-- Records of one key keep their order; sequence_number_for_ordering.
CREATE TEMP TABLE ordered (i int, sequence_number numeric);
INSERT INTO ordered
	SELECT i, (stream.put_record('r4', 'same-key', int4send(i))).sequence_number
	FROM generate_series(1, 20) AS i ORDER BY i;
SELECT is((SELECT count(*) FROM (
			SELECT sequence_number, lag(sequence_number) OVER (ORDER BY i) AS prev
			FROM ordered) AS o
		   WHERE sequence_number <= prev),
		  0::bigint, 'serial puts with one key get strictly increasing sequence numbers');
SELECT results_eq(
	$$SELECT data FROM stream.read('r4') WHERE partition_key = 'same-key'$$,
	$$SELECT int4send(i) FROM generate_series(1, 20) AS i$$,
	'... and are read back in that order');
SELECT max(sequence_number) AS last_seq FROM ordered \gset
SELECT cmp_ok(
	(SELECT sequence_number FROM stream.put_record('r4', 'same-key', '\x00',
		sequence_number_for_ordering => :last_seq)),
	'>', :last_seq::numeric,
	'sequence_number_for_ordering: the new number is greater than the one given');
SELECT cmp_ok(
	(SELECT sequence_number FROM stream.put_record('r4', 'same-key', '\x00', NULL, :last_seq)),
	'>', :last_seq::numeric,
	'sequence_number_for_ordering as a positional argument');

-- Streams whose names use every allowed kind of character work like any other.
SELECT stream.create_stream('Dots.and-dashes_09', 2);
CREATE TEMP TABLE dots AS SELECT * FROM stream.put_record('Dots.and-dashes_09', '日本', '\xbeef');
SELECT results_eq(
	$$SELECT p.shard_id, r.partition_key, r.data
	  FROM dots AS p
	  JOIN stream.read('Dots.and-dashes_09') AS r USING (shard_id, sequence_number)$$,
	$$VALUES (pg_temp.shard_for(pg_temp.md5_hash_key('日本'), 2), '日本'::text, '\xbeef'::bytea)$$,
	'put_record and read on a stream named with letters, digits, ".", "-" and "_"');

-- Argument errors: nothing written.
SELECT pg_temp.record_count('r4') AS r4_count \gset
SELECT throws_ok($$SELECT stream.put_record('nope', 'a', '\x00')$$, '42704', NULL,
				 'put_record to an unknown stream: 42704');
SELECT throws_ok($$SELECT stream.put_record(NULL, 'a', '\x00')$$, '22023', NULL,
				 'put_record to a NULL stream name: 22023');
SELECT throws_ok($$SELECT stream.put_record('r4', NULL, '\x00')$$, '22023', NULL,
				 'a NULL partition key: 22023');
SELECT throws_ok($$SELECT stream.put_record('r4', '', '\x00')$$, '22023', NULL,
				 'an empty partition key: 22023');
SELECT throws_ok($$SELECT stream.put_record('r4', 'a', NULL)$$, '22023', NULL,
				 'NULL data: 22023');
SELECT throws_ok($$SELECT stream.put_record('r4', 'a', '\x00', NULL, -5)$$, '22023', NULL,
				 'a negative sequence_number_for_ordering: 22023');
SELECT is(pg_temp.record_count('r4'), :r4_count::bigint,
		  '... and none of the refused records was written');

SELECT * FROM finish();
ROLLBACK;
