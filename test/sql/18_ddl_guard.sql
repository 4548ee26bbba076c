\set ECHO none
\i test/sql/lib/setup.sql
-- DDL cannot break streams: every statement that would alter a segment, a
-- stream's view, a catalog table, or a type, function or schema of the
-- extension is refused with 0A000 and changes nothing (src/kinesis/guard.c);
-- what is safe (SET TABLESPACE, VACUUM FULL, GRANT, COMMENT, ANALYZE) still
-- works.  A type altered with the guard off gives a clear error at use, and
-- a stream whose maintenance fails does not stop the pass for the others.
BEGIN;
SELECT plan(80);

\i test/sql/lib/helpers.sql

CREATE ROLE guard_role;
SELECT stream.create_stream('guarded', 1);
SELECT count(stream.put_record('guarded', 'k' || g, '\x01')) AS put FROM generate_series(1, 10) g \gset
SELECT g.relation::text AS seg
	FROM stream.segments g JOIN stream.streams s USING (stream_id)
	WHERE s.stream_name = 'guarded' ORDER BY g.segment_no LIMIT 1 \gset
SELECT acl::text AS view FROM stream.streams WHERE stream_name = 'guarded' \gset
CREATE TEMP TABLE before AS SELECT * FROM stream.read('guarded');
SELECT pg_temp.footprint() AS fp \gset

-- Objects of others to tie to the extension's
CREATE TABLE guard_own (LIKE stream.streams);
CREATE TABLE guard_part (key bytea) PARTITION BY LIST (key);
CREATE TABLE guard_typed (sequence_number numeric, approximate_arrival_timestamp timestamptz,
						  data bytea, partition_key text, encryption_type text);
CREATE FOREIGN DATA WRAPPER guard_fdw;
CREATE SERVER guard_server FOREIGN DATA WRAPPER guard_fdw;

-- Each refused, by what it does to a segment
CREATE TEMP TABLE refused (sql text, what text);
INSERT INTO refused VALUES
	(format('ALTER TABLE %s SET ACCESS METHOD heap', :'seg'), 'a segment''s access method'),
	(format('ALTER TABLE %s ADD COLUMN x int', :'seg'), 'a column added'),
	(format('ALTER TABLE %s DROP COLUMN data', :'seg'), 'a column dropped'),
	(format('ALTER TABLE %s ALTER COLUMN data TYPE text', :'seg'), 'a column''s type'),
	(format('ALTER TABLE %s RENAME TO renamed', :'seg'), 'a segment renamed'),
	(format('ALTER TABLE %s RENAME COLUMN data TO d', :'seg'), 'a column renamed'),
	(format('ALTER TABLE %s SET SCHEMA public', :'seg'), 'a segment moved to another schema'),
	(format('ALTER TABLE %s OWNER TO guard_role', :'seg'), 'a segment''s owner'),
	(format('ALTER TABLE %s SET UNLOGGED', :'seg'), 'a segment unlogged'),
	(format('ALTER TABLE %s SET (autovacuum_enabled = false)', :'seg'), 'a segment''s storage parameters'),
	(format('ALTER TABLE %s SET TABLESPACE pg_default, ADD COLUMN x int', :'seg'),
	 'SET TABLESPACE with another change'),
	(format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', :'seg'), 'row level security'),
	(format('SECURITY LABEL ON TABLE %s IS $$x$$', :'seg'), 'a security label'),
	(format('CREATE INDEX ON %s (sequence_number)', :'seg'), 'an index on a segment'),
	(format('CREATE TRIGGER t BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()', :'seg'),
	 'a trigger on a segment'),
	(format('CREATE RULE r AS ON INSERT TO %s DO INSTEAD NOTHING', :'seg'), 'a rule on a segment'),
	(format('CREATE POLICY p ON %s USING (true)', :'seg'), 'a policy on a segment'),
	(format('CREATE STATISTICS s ON sequence_number, partition_key FROM %s', :'seg'),
	 'statistics on a segment'),
	(format('CREATE TABLE inheritor () INHERITS (%s)', :'seg'), 'a table that inherits a segment'),
	(format('ALTER EXTENSION stream DROP TABLE %s', :'seg'), 'a segment taken out of the extension'),
	-- a stream's view
	(format('ALTER VIEW %s RENAME TO renamed', :'view'), 'a stream''s view renamed'),
	(format('ALTER VIEW %s OWNER TO guard_role', :'view'), 'a stream''s view given away'),
	(format('ALTER TABLE %s SET SCHEMA public', :'view'), 'a stream''s view moved'),
	-- the catalog
	('ALTER TABLE stream.streams ADD COLUMN x int', 'a catalog table altered'),
	('ALTER TABLE stream.streams DISABLE TRIGGER ALL', 'a catalog table''s triggers disabled'),
	('TRUNCATE stream.streams CASCADE', 'a catalog table truncated'),
	('ALTER INDEX stream.streams_pkey RENAME TO renamed', 'a catalog index renamed'),
	('ALTER SEQUENCE stream.streams_stream_id_seq RESTART', 'the catalog''s sequence'),
	('CREATE TRIGGER t BEFORE INSERT ON stream.segments FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()',
	 'a trigger on a catalog table'),
	('ALTER TABLE stream_internal.iterator_key OWNER TO guard_role', 'the iterator key given away'),
	-- types, functions, schemas
	('ALTER TYPE stream.record ADD ATTRIBUTE x int', 'an attribute added to stream.record'),
	('ALTER TYPE stream.record RENAME ATTRIBUTE data TO d', 'an attribute of stream.record renamed'),
	('ALTER TYPE stream.record RENAME TO renamed', 'stream.record renamed'),
	('ALTER TYPE stream.put_records_request_entry OWNER TO guard_role', 'a type given away'),
	('ALTER FUNCTION stream.hash_key(text) SECURITY DEFINER', 'a function altered'),
	('ALTER FUNCTION stream.hash_key(text) RENAME TO renamed', 'a function renamed'),
	('ALTER FUNCTION stream.hash_key(text) OWNER TO guard_role', 'a function given away'),
	('ALTER SCHEMA stream_data RENAME TO renamed', 'a schema renamed'),
	('ALTER SCHEMA stream OWNER TO guard_role', 'a schema given away'),
	('ALTER FUNCTION stream.hash_key(text) DEPENDS ON EXTENSION plpgsql',
	 'a function made to depend on another extension'),
	-- objects of others tied to the extension's
	('ALTER TABLE guard_own INHERIT stream.streams', 'a table made to inherit a catalog table'),
	('ALTER TABLE guard_part ATTACH PARTITION stream_internal.iterator_key DEFAULT',
	 'a catalog table attached as a partition'),
	('ALTER TABLE guard_typed OF stream.record', 'a table typed by stream.record'),
	('ALTER TABLE guard_own ADD FOREIGN KEY (stream_id) REFERENCES stream.streams',
	 'a foreign key to a catalog table'),
	('CREATE TABLE guard_fk (id int REFERENCES stream.streams)', 'a new table''s foreign key to it'),
	('CREATE TABLE guard_inh () INHERITS (stream.streams)', 'a new table inheriting it'),
	('CREATE TABLE guard_of OF stream.record', 'a new table typed by stream.record'),
	('CREATE FOREIGN TABLE guard_ft () INHERITS (stream.streams) SERVER guard_server',
	 'a foreign table inheriting a catalog table'),
	-- objects made in the extension's schemas, or replacing its own
	('CREATE OR REPLACE FUNCTION stream.hash_key(text) RETURNS numeric LANGUAGE sql AS $$SELECT 1::numeric$$',
	 'a function of the API replaced'),
	('CREATE FUNCTION stream.put_record(text, text, text) RETURNS void LANGUAGE sql AS $$$$',
	 'a function put beside the API'),
	(format('CREATE OR REPLACE VIEW %s AS SELECT 1 AS stream_id, 2 AS extra', :'view'),
	 'a stream''s view replaced'),
	('CREATE TABLE stream_data.s999999_0_1 ()', 'a table in stream_data'),
	('CREATE TABLE stream.extra AS SELECT 1', 'CREATE TABLE AS in stream'),
	('CREATE TYPE stream_internal.extra AS (a int)', 'a type in stream_internal'),
	('CREATE SEQUENCE stream_acl.extra', 'a sequence in stream_acl'),
	-- parts of catalog tables, which are not members of the extension
	(format('DROP TRIGGER %I ON stream.streams',
			(SELECT tgname FROM pg_trigger WHERE tgrelid = 'stream.streams'::regclass
			 AND NOT tgisinternal LIMIT 1)), 'a trigger of a catalog table dropped'),
	('DROP INDEX stream.scalings_stream_id_scaled_at_idx', 'an index of a catalog table dropped'),
	-- privileges that would let others in
	('GRANT CREATE ON SCHEMA stream TO guard_role', 'CREATE on the schema of the API'),
	('GRANT ALL ON SCHEMA stream_internal TO guard_role', 'ALL on stream_internal'),
	('GRANT SELECT ON stream_internal.iterator_key TO guard_role', 'the iterator key'),
	(format('GRANT SELECT ON %s TO guard_role', :'seg'), 'a segment'),
	('GRANT SELECT ON ALL TABLES IN SCHEMA stream TO guard_role', 'the catalog tables'),
	('GRANT EXECUTE ON FUNCTION stream_internal.caller() TO guard_role', 'an internal function');

SELECT throws_ok(sql, '0A000', NULL, 'refused: ' || what) FROM refused;
SELECT is(pg_temp.footprint(), :'fp', '... and none of them changed anything');
SELECT set_eq('SELECT * FROM stream.read(''guarded'')', 'SELECT * FROM before',
			  '... nor the records');
SELECT throws_ok(format('ALTER TABLE %s ADD COLUMN x int', :'seg'), '0A000',
				 'ALTER TABLE is not allowed on the objects of extension "stream"',
				 'the error says so');

-- What is safe is allowed.
SELECT lives_ok(format('ALTER TABLE %s SET TABLESPACE pg_default', :'seg'), 'SET TABLESPACE is allowed');
SELECT lives_ok(format('GRANT SELECT ON %s TO guard_role', :'view'),
				'GRANT on a stream''s view is allowed (it is how stream.grant works)');
SELECT lives_ok('GRANT EXECUTE ON FUNCTION stream.hash_key(text) TO guard_role',
				'GRANT EXECUTE on the API is allowed');
SELECT lives_ok('REVOKE ALL ON stream_internal.iterator_key FROM guard_role', 'REVOKE is allowed');
SELECT lives_ok('CREATE DOMAIN guard_d AS int CONSTRAINT c CHECK (VALUE > 0);
				 ALTER DOMAIN guard_d RENAME CONSTRAINT c TO c2',
				'DDL on objects of others of kinds the extension has none of');
SELECT lives_ok(format('COMMENT ON TABLE %s IS $$a segment$$', :'seg'), 'COMMENT is allowed');
SELECT lives_ok(format('ANALYZE %s', :'seg'), 'ANALYZE is allowed');
SELECT lives_ok('ALTER TABLE before ADD COLUMN x int',
				'tables of others stay the others''');
RESET ROLE;

-- DDL that an event trigger runs inside the extension's own DDL is checked
-- as any other.
CREATE FUNCTION guard_evil() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
	ALTER TABLE stream.streams ADD COLUMN evil int;
END $$;
CREATE EVENT TRIGGER guard_evil ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
	EXECUTE FUNCTION guard_evil();
SELECT throws_ok($$SELECT stream.create_stream('guard_evil', 1)$$, '0A000', NULL,
				 'an event trigger cannot alter the catalog during create_stream');
DROP EVENT TRIGGER guard_evil;

-- A publication of every table does not stop streams from being deleted
-- (the catalog tables without a key have a replica identity).
SET client_min_messages = error;
CREATE PUBLICATION guard_pub FOR ALL TABLES;
RESET client_min_messages;
SELECT stream.create_stream('published', 2);
SELECT * FROM stream.update_shard_count('published', 4) \gset
SELECT lives_ok($$SELECT stream.delete_stream('published')$$,
				'delete_stream under a publication FOR ALL TABLES');
DROP PUBLICATION guard_pub;

-- A type altered with the guard off: a clear error at use, never rows
-- built from the wrong layout.
SELECT stream.get_shard_iterator('guarded', 'shardId-000000000000', 'TRIM_HORIZON') AS it \gset
SAVEPOINT before_altered_type;
SET LOCAL stream.ddl_guard = off;
ALTER TYPE stream.record ADD ATTRIBUTE extra int;
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', :'it'), '42804',
				 'type stream.record is not as extension "stream" made it',
				 'get_records with stream.record altered: a clear error');
ROLLBACK TO before_altered_type;
SAVEPOINT before_altered_entry;
SET LOCAL stream.ddl_guard = off;
ALTER TYPE stream.put_records_request_entry ALTER ATTRIBUTE partition_key TYPE varchar;
SELECT throws_ok($$SELECT * FROM stream.put_records('guarded', ARRAY[ROW('\x01', 'k', NULL)::stream.put_records_request_entry])$$,
				 '42804', NULL, 'put_records with its entry type altered: a clear error');
ROLLBACK TO before_altered_entry;
SELECT is((SELECT count(*) FROM stream.get_records(:'it')), 1::bigint, '... and as made, it works again');

-- One stream's trouble stays in that stream: its maintenance fails (its
-- catalog names a relation that is no segment), the others' goes on.
SELECT stream.create_stream('broken', 1);
SELECT stream.create_stream('healthy', 1);
UPDATE stream.segments SET relation = 'pg_class'::regclass
	WHERE stream_id = (SELECT stream_id FROM stream.streams WHERE stream_name = 'broken');
CALL stream.run_maintenance();
SELECT is((SELECT count(*) FROM stream.segments g JOIN stream.streams s USING (stream_id)
		   WHERE s.stream_name = 'healthy'), 2::bigint,
		  'a pass that fails for one stream made the next segment of another');

SELECT * FROM finish();
ROLLBACK;
