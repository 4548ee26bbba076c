\set ECHO none
\i test/sql/lib/setup.sql
-- Records cannot be changed by anyone: UPDATE, DELETE, TRUNCATE, MERGE and
-- INSERT straight into stream storage all fail with 0A000, and the records
-- stay as they were.
BEGIN;
SELECT plan(17);

SELECT stream.create_stream('imm', 1);
SELECT count(*) AS n FROM stream.put_records('imm', ARRAY['k1', 'k2', 'k3'],
											 ARRAY['\x01', '\x02', '\x03']::bytea[]) \gset

-- The shard's segment relation, and one of its columns.
SELECT g.relation::text AS seg, g.relation::oid AS seg_oid
	FROM stream.segments g JOIN stream.streams s USING (stream_id)
	WHERE s.stream_name = 'imm' ORDER BY g.segment_no LIMIT 1 \gset
SELECT quote_ident(attname) AS col FROM pg_attribute
	WHERE attrelid = :seg_oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum LIMIT 1 \gset

CREATE TEMP TABLE before AS SELECT * FROM stream.read('imm');

SELECT is((SELECT a.amname::text FROM pg_class c JOIN pg_am a ON a.oid = c.relam
		   WHERE c.oid = :seg_oid),
		  'stream_log', 'the segment relation uses the stream_log access method');
SELECT is((SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = :seg_oid),
		  'stream_data', 'the segment relation is in schema stream_data');

SELECT throws_ok(format('UPDATE %s SET %s = %s', :'seg', :'col', :'col'), '0A000', NULL,
				 'UPDATE of stream storage: 0A000');
SELECT throws_ok(format('UPDATE %s SET %s = NULL', :'seg', :'col'), '0A000', NULL,
				 'UPDATE to NULL of stream storage: 0A000');
SELECT throws_ok(format('DELETE FROM %s', :'seg'), '0A000', NULL,
				 'DELETE from stream storage: 0A000');
SELECT throws_ok(format('DELETE FROM %s WHERE true', :'seg'), '0A000', NULL,
				 'DELETE ... WHERE true from stream storage: 0A000');
SELECT throws_ok(format('TRUNCATE %s', :'seg'), '0A000', NULL,
				 'TRUNCATE of stream storage: 0A000');
SELECT throws_ok(format('TRUNCATE TABLE ONLY %s', :'seg'), '0A000', NULL,
				 'TRUNCATE ONLY of stream storage: 0A000');
SELECT throws_ok(format('TRUNCATE %s RESTART IDENTITY CASCADE', :'seg'), '0A000', NULL,
				 'TRUNCATE ... CASCADE of stream storage: 0A000');
SELECT throws_ok(format('INSERT INTO %s SELECT * FROM %s', :'seg', :'seg'), '0A000', NULL,
				 'INSERT ... SELECT into stream storage: 0A000');
SELECT throws_ok(format('INSERT INTO %s DEFAULT VALUES', :'seg'), '0A000', NULL,
				 'INSERT ... DEFAULT VALUES into stream storage: 0A000');
SELECT throws_ok(format('MERGE INTO %s t USING (SELECT 1) s ON true WHEN MATCHED THEN DELETE',
						:'seg'), '0A000', NULL,
				 'MERGE ... DELETE on stream storage: 0A000');

SELECT results_eq($$SELECT * FROM stream.read('imm')$$, $$SELECT * FROM before$$,
				  'the records are unchanged');
SELECT is((SELECT count(*) FROM stream.read('imm')), 3::bigint, 'all 3 records are still there');

-- Not even a superuser who turns off triggers and rules.
SET LOCAL session_replication_role = replica;
SELECT throws_ok(format('DELETE FROM %s', :'seg'), '0A000', NULL,
				 'DELETE with session_replication_role = replica: 0A000');
SELECT throws_ok(format('TRUNCATE %s', :'seg'), '0A000', NULL,
				 'TRUNCATE with session_replication_role = replica: 0A000');
RESET session_replication_role;

SELECT results_eq($$SELECT * FROM stream.read('imm')$$, $$SELECT * FROM before$$,
				  'the records are still unchanged');

SELECT * FROM finish();
ROLLBACK;
