\set ECHO none
\i test/sql/lib/setup.sql
-- Encryption at rest (API.md): start_stream_encryption and
-- stop_stream_encryption, records encrypted from the start on and each
-- with its encryption_type, read back as written by a role with read, a
-- disabled key stopping the stream's reads and writes until it is enabled,
-- resharding, rotation, quotas and retention, every error, and who may.  TAP test 100_encryption_at_rest
-- looks for the plaintext on disk, in WAL and in a base backup.
BEGIN;
SELECT plan(38);

\i test/sql/lib/helpers.sql

SELECT is(pg_temp.signature('stream.start_stream_encryption(text, text, text)'),
		  'stream_name text, encryption_type text, key_id text -> void',
		  'start_stream_encryption has the signature of API.md');
SELECT is(pg_temp.signature('stream.stop_stream_encryption(text, text, text)'),
		  'stream_name text, encryption_type text, key_id text -> void',
		  'stop_stream_encryption too');

CREATE ROLE enc_reader;
CREATE ROLE enc_writer;
SELECT stream.create_stream('enc', 2);
SELECT stream.grant('read', 'enc', 'enc_reader');
SELECT stream.grant('describe', 'enc', 'enc_reader');
SELECT stream.grant('write', 'enc', 'enc_writer');
SELECT key_id AS k FROM stream.create_key('enc-key') \gset
SELECT shard_id FROM stream.put_record('enc', 'before', 'plain text'::bytea);

SELECT stream.start_stream_encryption('enc', 'KMS', 'alias/enc-key');
SELECT results_eq($$SELECT encryption_type, key_id FROM stream.describe_stream_summary('enc')$$,
				  $$VALUES ('KMS', 'alias/enc-key')$$,
				  'describe_stream_summary shows the encryption and the key as given');
SELECT is(stream.describe_stream('enc')->>'EncryptionType', 'KMS', '... and so does describe_stream');
SELECT is((SELECT count(*) FROM stream_internal.open_segments(
			   (SELECT stream_id FROM stream.streams WHERE stream_name = 'enc')) WHERE NOT has_key),
		  0::bigint, 'every segment that takes records has a data key');
SELECT is((SELECT count(*) FROM stream.segments g JOIN stream.streams s USING (stream_id)
		   WHERE s.stream_name = 'enc' AND g.data_key IS NOT NULL
			 AND (stream_internal.segment_info(g.relation)).records > 0), 0::bigint,
		  '... and none of them holds a plain record: the one that did was sealed');
SELECT is((SELECT encryption_type FROM stream.put_record('enc', 'after', 'secret text'::bytea)),
		  'KMS', 'put_record answers KMS');
SELECT is((SELECT count(*) FROM stream.put_records('enc', ARRAY['a', 'b', 'c'], ARRAY['x', 'y', 'z']::bytea[])
		   WHERE error_code IS NULL), 3::bigint, 'put_records writes too');
SELECT stream.put_record('enc', 'big', decode(repeat('ab', 100000), 'hex'));

SET ROLE enc_reader;
SELECT set_eq(
	$$SELECT partition_key, data FROM stream.read('enc')$$,
	$$VALUES ('before', 'plain text'::bytea), ('after', 'secret text'::bytea),
			 ('a', 'x'::bytea), ('b', 'y'::bytea), ('c', 'z'::bytea),
			 ('big', decode(repeat('ab', 100000), 'hex'))$$,
	'a role with read reads every record as written');
SELECT set_eq(
	$$SELECT r.partition_key, r.encryption_type
	  FROM stream.list_shards('enc') l,
		   LATERAL stream.get_records(stream.get_shard_iterator('enc', l.shard_id, 'TRIM_HORIZON')) g,
		   LATERAL unnest(g.records) r$$,
	$$VALUES ('before', 'NONE'), ('after', 'KMS'), ('a', 'KMS'), ('b', 'KMS'), ('c', 'KMS'), ('big', 'KMS')$$,
	'get_records says each record''s encryption type');
RESET ROLE;

-- On disk: the segment holds ciphertext
SELECT ok((SELECT bool_and(position('secret text'::bytea IN r.data) = 0 AND r.partition_key IS NULL
						   AND r.sealed_key NOT IN ('after'::bytea, 'big')
						   AND r.hash_key = 0)
		   FROM stream_internal.dump_rows() r WHERE r.kind = 'record' AND r.sealed_key IS NOT NULL),
		  'the stored partition keys and data are ciphertext, and no hash of the key is kept');
SELECT is((SELECT count(*) FROM stream_internal.dump_rows() r WHERE r.kind = 'record' AND r.sealed_key IS NOT NULL),
		  5::bigint, '... of the five records written after the start');

-- A reshard's children are encrypted too.
SELECT stream.split_shard('enc', 'shardId-000000000001', '255211775190703847597530955573826158592');
SELECT is((SELECT encryption_type FROM stream.put_record('enc', 'child', 'c'::bytea,
		   explicit_hash_key => 340282366920938463463374607431768211455)),
		  'KMS', 'a shard made by a reshard writes encrypted records');

-- A disabled key stops the stream's reads and writes, with KS004.
SELECT stream.disable_key('alias/enc-key');
SELECT throws_ok($$SELECT stream.put_record('enc', 'k', 'x'::bytea)$$, 'KS004', NULL,
				 'with its key disabled, a write fails with KS004');
SELECT is((pg_temp.error_of($$SELECT stream.put_record('enc', 'k', 'x'::bytea)$$)).detail,
		  'The Kinesis exception is KMSDisabledException.', '... KMSDisabledException');
SELECT throws_ok($$SELECT * FROM stream.read('enc')$$, 'KS004', NULL, '... and so does a read');
SELECT throws_ok($$SELECT stream.get_records(stream.get_shard_iterator('enc', 'shardId-000000000000', 'TRIM_HORIZON'))$$,
				 'KS004', NULL, '... and get_records');
SELECT stream.enable_key('alias/enc-key');
SELECT lives_ok($$SELECT stream.put_record('enc', 'k', 'x'::bytea)$$, 'enabled again, writes work');
SELECT is((SELECT count(*) FROM stream.read('enc')), 8::bigint, '... and reads');

-- Rotation: new segments take the new material; everything stays readable.
SELECT stream.rotate_key('alias/enc-key');
-- shard 0 goes on to a new segment, as maintenance would make it
SELECT stream_internal.add_segment(stream_id, 0) FROM stream.streams WHERE stream_name = 'enc';
SELECT stream_internal.seal_segment(g.relation) FROM stream.segments g JOIN stream.streams s USING (stream_id)
	WHERE s.stream_name = 'enc' AND g.shard_no = 0 ORDER BY g.segment_no LIMIT 1;
SELECT shard_id FROM stream.put_record('enc', 'after rotation', 'rotated'::bytea, explicit_hash_key => 0);
SELECT is((SELECT max(g.key_version) FROM stream.segments g JOIN stream.streams s USING (stream_id)
		   WHERE s.stream_name = 'enc'), 2, 'after rotation, a new segment has the key''s version 2');
SELECT is((SELECT string_agg(convert_from(data, 'UTF8'), ',' ORDER BY sequence_number) FROM stream.read('enc')
		   WHERE partition_key IN ('after', 'after rotation')),
		  'secret text,rotated', 'records of both versions read back');

-- Quotas apply as to a plain stream.
SET stream.shard_write_records_per_second = 2;
SELECT throws_ok($$SELECT stream.put_record('enc', 'q', 'x'::bytea, explicit_hash_key => 0)
				   FROM generate_series(1, 5)$$, 'KS001', NULL,
				 'an encrypted stream''s writes are throttled as a plain one''s');
SET stream.shard_write_records_per_second = 0;

-- Stop: later records are plain, earlier ones stay encrypted and readable.
SELECT throws_ok($$SELECT stream.stop_stream_encryption('enc', 'KMS', 'alias/other')$$, 'KS004', NULL,
				 'stop with an unknown key fails');
SELECT key_id AS k2 FROM stream.create_key('enc-other') \gset
SELECT throws_ok($$SELECT stream.stop_stream_encryption('enc', 'KMS', 'alias/enc-other')$$, '22023',
				 'stream "enc" is not encrypted with key "alias/enc-other"',
				 'stop with another key than the stream''s fails');
SELECT stream.stop_stream_encryption('enc', 'KMS', :'k');
SELECT results_eq($$SELECT encryption_type, key_id FROM stream.describe_stream_summary('enc')$$,
				  $$VALUES ('NONE', NULL::text)$$, 'stop_stream_encryption takes the encryption off');
SELECT is((SELECT encryption_type FROM stream.put_record('enc', 'plain again', 'p'::bytea)),
		  'NONE', 'records after the stop are plain');
SELECT is((SELECT count(*) FROM stream.read('enc')), 10::bigint, 'and every record reads back');

-- Errors of start
SELECT throws_ok($$SELECT stream.start_stream_encryption('enc', 'AES', 'alias/enc-key')$$, '22023',
				 'encryption type "AES" is not valid', 'an encryption type other than KMS is refused');
SELECT throws_ok($$SELECT stream.start_stream_encryption('enc', NULL, 'alias/enc-key')$$, '22023', NULL,
				 '... and a null one');
SELECT throws_ok($$SELECT stream.start_stream_encryption('enc', 'KMS', 'alias/none')$$, 'KS004',
				 'key "alias/none" does not exist', 'an unknown key is KS004');
SELECT stream.disable_key('alias/enc-other');
SELECT throws_ok($$SELECT stream.start_stream_encryption('enc', 'KMS', 'alias/enc-other')$$, 'KS004',
				 'key "alias/enc-other" is disabled', 'a disabled key is KS004');
SELECT throws_ok($$SELECT stream.start_stream_encryption('nope', 'KMS', 'alias/enc-key')$$, '42704', NULL,
				 'an unknown stream is ResourceNotFound');

-- Started again with another key, new records take it at once: the
-- segment being written under the first key is sealed.
SELECT stream.enable_key('alias/enc-other');
SELECT stream.start_stream_encryption('enc', 'KMS', 'alias/enc-other');
SELECT stream.disable_key('alias/enc-key');
SELECT is((SELECT encryption_type FROM stream.put_record('enc', 'other', 'o'::bytea, explicit_hash_key => 0)),
		  'KMS', 'started again with another key, a write needs only that key');
SELECT stream.enable_key('alias/enc-key');

-- What a record's head says is authenticated with it: put back (from a
-- dump's rows) a microsecond later, encrypted records fail.
CREATE TEMP TABLE enc_dump AS
	SELECT d.* FROM stream_internal.dump_rows() WITH ORDINALITY
		AS d(kind, stream_id, sequence_number, arrival, partition_key, hash_key, data, info, sealed_key, n);
SELECT stream.delete_stream('enc');
INSERT INTO stream_internal.dump
	SELECT kind, stream_id, sequence_number, arrival + interval '1 microsecond', partition_key, hash_key,
		   data, info, sealed_key
	FROM enc_dump WHERE kind NOT IN ('key', 'key_version') ORDER BY n;
SELECT throws_ok($$SELECT count(*) FROM stream.read('enc')$$, 'XX001', NULL,
				 'an encrypted record whose arrival time was changed fails authentication');
-- ... and one put back as plain (its flag cleared) is refused.
SELECT stream.delete_stream('enc');
INSERT INTO stream_internal.dump
	SELECT kind, stream_id, sequence_number, arrival,
		   CASE WHEN sealed_key IS NOT NULL THEN 'k' ELSE partition_key END,
		   hash_key, data, info, NULL
	FROM enc_dump WHERE kind NOT IN ('key', 'key_version') ORDER BY n;
SELECT throws_ok($$SELECT count(*) FROM stream.read('enc')$$, 'XX001', NULL,
				 'a plain record in a segment of encrypted records is refused');

-- Retention applies as to a plain stream: expired records are not read.
SET LOCAL stream.min_retention_period = '1s';
SELECT stream.set_retention_period('enc', '1 second');
SELECT pg_sleep(1.2);
SELECT is((SELECT count(*) FROM stream.read('enc')), 0::bigint,
		  'an encrypted stream''s records expire as a plain one''s');

-- Who may: manage on the stream
SET ROLE enc_writer;
SELECT throws_ok($$SELECT stream.start_stream_encryption('enc', 'KMS', 'alias/enc-key')$$, '42501', NULL,
				 'a role with write only may not start encryption');
RESET ROLE;
CREATE ROLE enc_manager;
SELECT stream.create_stream('managed', 1);
SELECT stream.grant('manage', 'managed', 'enc_manager');
SET ROLE enc_manager;
SELECT lives_ok($$SELECT stream.start_stream_encryption('managed', 'KMS', 'alias/enc-key');
				  SELECT stream.stop_stream_encryption('managed', 'KMS', 'alias/enc-key')$$,
				'a role with manage on the stream starts and stops its encryption');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
