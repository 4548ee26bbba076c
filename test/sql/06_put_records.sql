\set ECHO none
\i test/sql/lib/setup.sql
-- put_records, both forms: one row per input record in input order, routing,
-- the 500-record and 5 MiB limits, and all-or-nothing refusal of a request
-- that breaks a rule.
BEGIN;
SELECT plan(44);

\i test/sql/lib/helpers.sql

CREATE FUNCTION pg_temp.entry(data bytea, key text, ehk numeric DEFAULT NULL)
	RETURNS stream.put_records_request_entry LANGUAGE sql IMMUTABLE AS $$
	SELECT ROW(data, key, ehk)::stream.put_records_request_entry
$$;

SELECT stream.create_stream('batch', 4);

-- The composite form.
CREATE TEMP TABLE r1 AS
	SELECT t.*
	FROM stream.put_records('batch', ARRAY(
			SELECT pg_temp.entry(convert_to('c' || i, 'UTF8'), 'ck-' || i)
			FROM generate_series(1, 10) AS i ORDER BY i))
		 WITH ORDINALITY AS t(ordinality, shard_id, sequence_number, error_code, error_message,
							  rn);
SELECT is((SELECT count(*) FROM r1), 10::bigint, 'composite form: one row per record');
SELECT results_eq($$SELECT ordinality FROM r1 ORDER BY rn$$,
				  $$SELECT generate_series(1, 10)$$,
				  'composite form: rows come in input order, ordinality from 1');
SELECT is((SELECT count(*) FROM r1 WHERE error_code IS NOT NULL OR error_message IS NOT NULL
			  OR shard_id IS NULL OR sequence_number IS NULL),
		  0::bigint, 'composite form: every record written, no error code');
SELECT results_eq(
	$$SELECT ordinality, shard_id FROM r1 ORDER BY ordinality$$,
	$$SELECT i, pg_temp.shard_for(pg_temp.md5_hash_key('ck-' || i), 4)
	  FROM generate_series(1, 10) AS i$$,
	'composite form: each record goes to the shard of its key''s MD5');
SELECT results_eq(
	$$SELECT r.partition_key, r.data
	  FROM r1 JOIN stream.read('batch') AS r USING (shard_id, sequence_number)
	  ORDER BY r1.ordinality$$,
	$$SELECT 'ck-' || i, convert_to('c' || i, 'UTF8') FROM generate_series(1, 10) AS i$$,
	'composite form: each returned sequence number reads back its own record');

-- Explicit hash keys in the composite form.
SELECT results_eq(
	$$SELECT ordinality, shard_id FROM stream.put_records('batch', ARRAY[
		pg_temp.entry('\x01', 'k', 340282366920938463463374607431768211455),
		pg_temp.entry('\x02', 'k', 0),
		pg_temp.entry('\x03', 'k', 2::numeric ^ 127),
		pg_temp.entry('\x04', 'k', NULL)])$$,
	$$VALUES (1, 'shardId-000000000003'::text), (2, 'shardId-000000000000'),
			 (3, 'shardId-000000000002'), (4, pg_temp.shard_for(pg_temp.md5_hash_key('k'), 4))$$,
	'composite form: explicit hash keys override the partition key');

-- The arrays form.
CREATE TEMP TABLE r2 AS
	SELECT t.*
	FROM stream.put_records('batch',
			ARRAY(SELECT 'ak-' || i FROM generate_series(1, 10) AS i ORDER BY i),
			ARRAY(SELECT convert_to('a' || i, 'UTF8') FROM generate_series(1, 10) AS i ORDER BY i))
		 WITH ORDINALITY AS t(ordinality, shard_id, sequence_number, error_code, error_message,
							  rn);
SELECT is((SELECT count(*) FROM r2), 10::bigint, 'arrays form: one row per record');
SELECT results_eq($$SELECT ordinality FROM r2 ORDER BY rn$$,
				  $$SELECT generate_series(1, 10)$$,
				  'arrays form: rows come in input order, ordinality from 1');
SELECT is((SELECT count(*) FROM r2 WHERE error_code IS NOT NULL OR error_message IS NOT NULL
			  OR shard_id IS NULL OR sequence_number IS NULL),
		  0::bigint, 'arrays form: every record written, no error code');
SELECT results_eq(
	$$SELECT ordinality, shard_id FROM r2 ORDER BY ordinality$$,
	$$SELECT i, pg_temp.shard_for(pg_temp.md5_hash_key('ak-' || i), 4)
	  FROM generate_series(1, 10) AS i$$,
	'arrays form: each record goes to the shard of its key''s MD5');
SELECT results_eq(
	$$SELECT r.partition_key, r.data
	  FROM r2 JOIN stream.read('batch') AS r USING (shard_id, sequence_number)
	  ORDER BY r2.ordinality$$,
	$$SELECT 'ak-' || i, convert_to('a' || i, 'UTF8') FROM generate_series(1, 10) AS i$$,
	'arrays form: each returned sequence number reads back its own record');

-- Input order within a shard: one key, 50 records.
CREATE TEMP TABLE r3 AS
	SELECT * FROM stream.put_records('batch',
		array_fill('one-key'::text, ARRAY[50]),
		ARRAY(SELECT int4send(i) FROM generate_series(1, 50) AS i ORDER BY i));
SELECT is((SELECT count(DISTINCT shard_id) FROM r3), 1::bigint,
		  'records of one key go to one shard');
SELECT is((SELECT count(*) FROM (
			SELECT sequence_number, lag(sequence_number) OVER (ORDER BY ordinality) AS prev
			FROM r3) AS o WHERE sequence_number <= prev),
		  0::bigint, 'sequence numbers increase in input order');
SELECT results_eq(
	$$SELECT data FROM stream.read('batch') WHERE partition_key = 'one-key'$$,
	$$SELECT int4send(i) FROM generate_series(1, 50) AS i$$,
	'records of one key are read in input order');

-- 500 records is the maximum; 501, 0 or NULL is refused and writes nothing.
SELECT is((SELECT count(*) FROM stream.put_records('batch',
			ARRAY(SELECT 'm-' || i FROM generate_series(1, 500) AS i),
			ARRAY(SELECT int4send(i) FROM generate_series(1, 500) AS i))
		   WHERE sequence_number IS NOT NULL AND error_code IS NULL),
		  500::bigint, 'arrays form: 500 records are written');
SELECT is((SELECT count(*) FROM stream.put_records('batch',
			ARRAY(SELECT pg_temp.entry(int4send(i), 'n-' || i) FROM generate_series(1, 500) AS i))
		   WHERE sequence_number IS NOT NULL AND error_code IS NULL),
		  500::bigint, 'composite form: 500 records are written');

SELECT pg_temp.record_count('batch') AS n0 \gset
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch',
		ARRAY(SELECT 'm-' || i FROM generate_series(1, 501) AS i),
		ARRAY(SELECT int4send(i) FROM generate_series(1, 501) AS i))$$,
	'22023', NULL, 'arrays form: 501 records: 22023');
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch',
		ARRAY(SELECT pg_temp.entry(int4send(i), 'n-' || i) FROM generate_series(1, 501) AS i))$$,
	'22023', NULL, 'composite form: 501 records: 22023');
SELECT throws_ok($$SELECT * FROM stream.put_records('batch', '{}'::text[], '{}'::bytea[])$$,
				 '22023', NULL, 'arrays form: no records: 22023');
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', '{}'::stream.put_records_request_entry[])$$,
	'22023', NULL, 'composite form: no records: 22023');
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', NULL::stream.put_records_request_entry[])$$,
	'22023', NULL, 'composite form: a NULL array: 22023');
SELECT throws_ok($$SELECT * FROM stream.put_records('batch', NULL::text[], '{"\\x00"}'::bytea[])$$,
				 '22023', NULL, 'arrays form: a NULL key array: 22023');
SELECT is(pg_temp.record_count('batch'), :n0::bigint, '... nothing was written');

-- 5 MiB in all: exactly 5 MiB (data + keys) is accepted, one byte more is not.
SELECT is((SELECT count(*) FROM stream.put_records('batch',
			array_fill('k'::text, ARRAY[5]),
			array_fill(convert_to(repeat('z', 1048575), 'UTF8'), ARRAY[5]))
		   WHERE sequence_number IS NOT NULL AND error_code IS NULL),
		  5::bigint, '5 records of 1 MiB each (5 MiB in all) are written');
SELECT pg_temp.record_count('batch') AS n1 \gset
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch',
		array_fill('k'::text, ARRAY[6]),
		array_cat(array_fill(convert_to(repeat('z', 1048575), 'UTF8'), ARRAY[5]), '{"\\x"}'::bytea[]))$$,
	'22023', NULL, '5 MiB plus a record of 1 byte: 22023');
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', ARRAY(
		SELECT pg_temp.entry(convert_to(repeat('z', 1048000), 'UTF8'), 'k') FROM generate_series(1, 6)))$$,
	'22023', NULL, 'composite form: 6 records of about 1 MiB: 22023');
SELECT is(pg_temp.record_count('batch'), :n1::bigint, '... nothing was written');

-- One bad record refuses the whole request.
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', ARRAY['g1', '', 'g3'], ARRAY['\x01', '\x02', '\x03']::bytea[])$$,
	'22023', NULL, 'arrays form: an empty key among good records: 22023');
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', ARRAY['g1', NULL, 'g3'], ARRAY['\x01', '\x02', '\x03']::bytea[])$$,
	'22023', NULL, 'arrays form: a NULL key among good records: 22023');
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', ARRAY['g1', 'g2', 'g3'], ARRAY['\x01', NULL, '\x03']::bytea[])$$,
	'22023', NULL, 'arrays form: NULL data among good records: 22023');
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', ARRAY['g1', repeat('k', 257), 'g3'],
									   ARRAY['\x01', '\x02', '\x03']::bytea[])$$,
	'22023', NULL, 'arrays form: a key of 257 characters among good records: 22023');
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', ARRAY['g1', 'g2'],
		ARRAY['\x01'::bytea, convert_to(repeat('z', 1048576), 'UTF8')])$$,
	'22023', NULL, 'arrays form: a record over 1 MiB among good records: 22023');
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', ARRAY[
		pg_temp.entry('\x01', 'g1'), pg_temp.entry('\x02', 'g2', -1), pg_temp.entry('\x03', 'g3')])$$,
	'22023', NULL, 'composite form: a negative explicit hash key among good records: 22023');
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', ARRAY[
		pg_temp.entry('\x01', 'g1'), pg_temp.entry('\x02', 'g2', 2::numeric ^ 128)])$$,
	'22023', NULL, 'composite form: an explicit hash key of 2^128: 22023');
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', ARRAY[
		pg_temp.entry('\x01', 'g1'), pg_temp.entry(NULL, 'g2'), pg_temp.entry('\x03', 'g3')])$$,
	'22023', NULL, 'composite form: NULL data among good records: 22023');
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', ARRAY[
		pg_temp.entry('\x01', 'g1'), pg_temp.entry('\x02', ''), pg_temp.entry('\x03', 'g3')])$$,
	'22023', NULL, 'composite form: an empty key among good records: 22023');
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', ARRAY[
		pg_temp.entry('\x01', 'g1'), NULL, pg_temp.entry('\x03', 'g3')])$$,
	'22023', NULL, 'composite form: a NULL entry among good records: 22023');
SELECT is(pg_temp.record_count('batch'), :n1::bigint, '... nothing was written');

-- Arrays of different lengths.
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', ARRAY['g1', 'g2', 'g3'], ARRAY['\x01', '\x02']::bytea[])$$,
	'22023', NULL, 'arrays form: 3 keys and 2 data: 22023');
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', ARRAY['g1'], ARRAY['\x01', '\x02']::bytea[])$$,
	'22023', NULL, 'arrays form: 1 key and 2 data: 22023');
SELECT throws_ok(
	$$SELECT * FROM stream.put_records('batch', ARRAY['g1'], NULL::bytea[])$$,
	'22023', NULL, 'arrays form: a NULL data array: 22023');
SELECT is(pg_temp.record_count('batch'), :n1::bigint, '... nothing was written');

-- Unknown stream.
SELECT throws_ok($$SELECT * FROM stream.put_records('nope', ARRAY['k'], ARRAY['\x01']::bytea[])$$,
				 '42704', NULL, 'arrays form: an unknown stream: 42704');
SELECT throws_ok($$SELECT * FROM stream.put_records('nope', ARRAY[pg_temp.entry('\x01', 'k')])$$,
				 '42704', NULL, 'composite form: an unknown stream: 42704');

SELECT * FROM finish();
ROLLBACK;
