\set ECHO none
\i test/sql/lib/setup.sql
-- Record size: data + partition key up to 1,048,576 bytes, read back intact;
-- partition keys of 1 to 256 characters (characters, not bytes).
BEGIN;
SELECT plan(35);

-- n bytes cycling through 0x00 .. 0xff, so that a shifted or truncated read
-- shows.
CREATE FUNCTION pg_temp.blob(n int) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT substring(decode(repeat(
		(SELECT string_agg(lpad(to_hex(b), 2, '0'), '' ORDER BY b) FROM generate_series(0, 255) AS b),
		n / 256 + 1), 'hex') FROM 1 FOR n)
$$;
CREATE FUNCTION pg_temp.record_count() RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM stream.read('big')
$$;

SELECT stream.create_stream('big', 1);
SELECT stream.create_stream('mb', 1);

SELECT is(octet_length(pg_temp.blob(1048575)), 1048575, 'the test blob has the size asked');

-- 1 MiB exactly: 1,048,575 bytes of data and a key of 1 byte.
SELECT sequence_number AS big_seq FROM stream.put_record('big', 'k', pg_temp.blob(1048575)) \gset
SELECT cmp_ok(:big_seq::numeric, '>=',
			  (SELECT starting_sequence_number FROM stream.list_shards('big')),
			  'data + key of exactly 1,048,576 bytes is accepted with a sequence number');
SELECT is((SELECT sha256(data) FROM stream.read('big') WHERE sequence_number = :big_seq),
		  sha256(pg_temp.blob(1048575)), '... stream.read returns it intact');
SELECT is((SELECT octet_length(data) FROM stream.read('big') WHERE sequence_number = :big_seq),
		  1048575, '... with its full length');
SELECT is((SELECT sha256((records[1]).data)
		   FROM stream.get_records(stream.get_shard_iterator('big', 'shardId-000000000000',
															 'AT_SEQUENCE_NUMBER', :big_seq), 1)),
		  sha256(pg_temp.blob(1048575)), '... get_records returns it intact');

-- A record after the big one is read whole too.
SELECT stream.put_record('big', 'after', '\xcafe') \gset
SELECT is((SELECT data FROM stream.read('big') WHERE partition_key = 'after'), '\xcafe'::bytea,
		  'a small record after the big one reads back');

-- The key counts in bytes toward the 1 MiB: a 4-byte character.
SELECT lives_ok($$SELECT stream.put_record('big', '😀', pg_temp.blob(1048572))$$,
				'data of 1,048,572 bytes and a key of one 4-byte character (1 MiB) is accepted');
SELECT is((SELECT sha256(data) FROM stream.read('big') WHERE partition_key = '😀'),
		  sha256(pg_temp.blob(1048572)), '... and read back intact');
SELECT is((SELECT data FROM stream.read('big') WHERE partition_key = '😀'),
		  pg_temp.blob(1048572), '... byte for byte');

SELECT pg_temp.record_count() AS n \gset
SELECT throws_ok($$SELECT stream.put_record('big', 'k', pg_temp.blob(1048576))$$, '22023', NULL,
				 'data + key of 1,048,577 bytes is refused: 22023');
SELECT throws_ok($$SELECT stream.put_record('big', '😀', pg_temp.blob(1048573))$$, '22023', NULL,
				 'data of 1,048,573 bytes and a 4-byte key (1 MiB + 1) is refused: 22023');
SELECT throws_ok($$SELECT stream.put_record('big', 'k', pg_temp.blob(2 * 1048576))$$, '22023', NULL,
				 'data of 2 MiB is refused: 22023');
SELECT throws_ok($$SELECT stream.put_record('big', repeat('k', 256), pg_temp.blob(1048576 - 255))$$,
				 '22023', NULL, 'a key of 256 bytes and 1,048,321 bytes of data is refused: 22023');
SELECT is(pg_temp.record_count(), :n::bigint, '... none of them was written');

-- Partition keys of 1 to 256 characters.
SELECT lives_ok($$SELECT stream.put_record('big', repeat('p', 256), '\x01')$$,
				'a partition key of 256 characters is accepted');
SELECT is((SELECT count(*) FROM stream.read('big') WHERE partition_key = repeat('p', 256)),
		  1::bigint, '... and read back whole');
SELECT lives_ok($$SELECT stream.put_record('big', repeat('😀', 256), '\x02')$$,
				'a partition key of 256 four-byte characters (1,024 bytes) is accepted');
SELECT is((SELECT count(*) FROM stream.read('big') WHERE partition_key = repeat('😀', 256)),
		  1::bigint, '... and read back whole');
SELECT lives_ok($$SELECT stream.put_record('big', repeat('日', 256), '\x03')$$,
				'a partition key of 256 three-byte characters is accepted');
SELECT lives_ok($$SELECT stream.put_record('big', 'p', '\x04')$$,
				'a partition key of 1 character is accepted');
SELECT lives_ok($$SELECT stream.put_record('big', 'p', '')$$,
				'empty data is accepted');
SELECT is((SELECT octet_length(data) FROM stream.read('big') WHERE partition_key = 'p' AND data = ''),
		  0, '... and read back empty, not NULL');

SELECT pg_temp.record_count() AS n \gset
SELECT throws_ok($$SELECT stream.put_record('big', repeat('p', 257), '\x01')$$, '22023', NULL,
				 'a partition key of 257 characters is refused: 22023');
SELECT throws_ok($$SELECT stream.put_record('big', repeat('😀', 257), '\x01')$$, '22023', NULL,
				 'a partition key of 257 four-byte characters is refused: 22023');
SELECT throws_ok($$SELECT stream.put_record('big', '', '\x01')$$, '22023', NULL,
				 'an empty partition key is refused: 22023');
SELECT throws_ok($$SELECT stream.put_record('big', NULL, '\x01')$$, '22023', NULL,
				 'a NULL partition key is refused: 22023');
SELECT throws_ok($$SELECT stream.put_record('big', 'p', NULL)$$, '22023', NULL,
				 'NULL data is refused: 22023');
SELECT throws_ok($$SELECT * FROM stream.put_records('big', ARRAY['k'], ARRAY[pg_temp.blob(1048576)])$$,
				 '22023', NULL, 'put_records of a record of 1,048,577 bytes: 22023');
SELECT is(pg_temp.record_count(), :n::bigint, '... none of them was written');

-- Several big records in one shard read back in order.
SELECT is((SELECT count(*) FROM stream.put_records('big', ARRAY['x', 'y', 'z'],
			ARRAY[pg_temp.blob(700000), pg_temp.blob(900000), pg_temp.blob(1048575)])
		   WHERE sequence_number IS NOT NULL), 3::bigint, 'three big records in one request');
-- (results_eq would print megabytes on failure: compare digests.)
SELECT results_eq(
	$$SELECT partition_key, octet_length(data), sha256(data) FROM stream.read('big')
	  WHERE partition_key IN ('x', 'y', 'z')$$,
	$$VALUES ('x'::text, 700000, sha256(pg_temp.blob(700000))),
			 ('y', 900000, sha256(pg_temp.blob(900000))),
			 ('z', 1048575, sha256(pg_temp.blob(1048575)))$$,
	'... read back intact and in order');

-- get_records returns at most 10 MiB: 12 records of 1,000,000 bytes take
-- two calls or more, and chaining still returns each once, in order.
CREATE TEMP TABLE mb12 (i int, sequence_number numeric);
DO $$
BEGIN
	FOR b IN 0 .. 2 LOOP
		INSERT INTO mb12
			SELECT b * 4 + p.ordinality, p.sequence_number
			FROM stream.put_records('mb', ARRAY['m', 'm', 'm', 'm'],
									array_fill(pg_temp.blob(1000000), ARRAY[4])) AS p;
	END LOOP;
END
$$;
SELECT is((SELECT count(*) FROM mb12), 12::bigint, '12 records of 1,000,000 bytes put');
SELECT stream.get_shard_iterator('mb', 'shardId-000000000000', 'TRIM_HORIZON') AS mb_it \gset
SELECT cmp_ok((SELECT sum(octet_length(r.data) + octet_length(r.partition_key))
			   FROM stream.get_records(:'mb_it') AS g, unnest(g.records) AS r),
			  '<=', 10485760::bigint,
			  'one get_records call returns at most 10 MiB');
SELECT ok((SELECT cardinality(records) BETWEEN 1 AND 10 FROM stream.get_records(:'mb_it')),
		  '... that is 1 to 10 of these records');
CREATE FUNCTION pg_temp.chain_seqs(it text) RETURNS numeric[] LANGUAGE plpgsql AS $$
DECLARE
	g record;
	seqs numeric[] := '{}';
	calls int := 0;
BEGIN
	LOOP
		SELECT * INTO g FROM stream.get_records(it);
		calls := calls + 1;
		EXIT WHEN coalesce(cardinality(g.records), 0) = 0 OR calls > 20;
		seqs := seqs || ARRAY(SELECT r.sequence_number
							  FROM unnest(g.records) WITH ORDINALITY AS r ORDER BY r.ordinality);
		it := g.next_shard_iterator;
	END LOOP;
	RETURN seqs;
END
$$;
SELECT is(pg_temp.chain_seqs(:'mb_it'), ARRAY(SELECT sequence_number FROM mb12 ORDER BY i),
		  '... chaining returns the 12 records once each, in order');

SELECT * FROM finish();
ROLLBACK;
