\set ECHO none
\i test/sql/lib/setup.sql
-- Access control, run as ordinary roles: every public function checks the
-- calling role's privilege on its stream (read, write, describe, manage;
-- create on '*'), given directly, through membership or on '*', and a role
-- without it gets AccessDeniedException (42501) and changes nothing.
BEGIN;
SELECT plan(108);

\i test/sql/lib/helpers.sql

CREATE ROLE acl_owner;
CREATE ROLE acl_reader;
CREATE ROLE acl_writer;
CREATE ROLE acl_describer;
CREATE ROLE acl_manager;
CREATE ROLE acl_nobody;
CREATE ROLE acl_writers;					-- a group
CREATE ROLE acl_member IN ROLE acl_writers;
CREATE ROLE acl_all_reader;
CREATE ROLE acl_creator;
-- pgTAP's functions are in public, which every role may use
GRANT USAGE ON SCHEMA public TO PUBLIC;

SELECT stream.grant('create', '*', 'acl_owner');
SELECT stream.grant('read', '*', 'acl_all_reader');

-- The streams, made by acl_owner, who owns them and grants the others.
SET ROLE acl_owner;
SELECT lives_ok($$SELECT stream.create_stream('acl_s', 2)$$,
				'a role with create on * creates a stream');
SELECT stream.create_stream('acl_other', 1);
SELECT lives_ok($$SELECT stream.grant('read', 'acl_s', 'acl_reader')$$,
				'its owner grants read');
SELECT stream.grant('write', 'acl_s', 'acl_writer');
SELECT stream.grant('describe', 'acl_s', 'acl_describer');
SELECT stream.grant('manage', 'acl_s', 'acl_manager');
SELECT stream.grant('write', 'acl_s', 'acl_writers');
SELECT stream.put_record('acl_s', 'k0', '\x00') IS NOT NULL AS put \gset
SELECT stream.get_shard_iterator('acl_s', 'shardId-000000000000', 'TRIM_HORIZON') AS it0 \gset
SELECT stream.get_shard_iterator('acl_s', 'shardId-000000000001', 'TRIM_HORIZON') AS it1 \gset
RESET ROLE;

SELECT results_eq($$SELECT role::text, privilege, granted_by::text FROM stream.privileges('acl_s')$$,
				  $$VALUES ('acl_describer', 'describe', 'acl_owner'),
						   ('acl_manager', 'manage', 'acl_owner'),
						   ('acl_owner', 'describe', 'acl_owner'),
						   ('acl_owner', 'manage', 'acl_owner'),
						   ('acl_owner', 'read', 'acl_owner'),
						   ('acl_owner', 'write', 'acl_owner'),
						   ('acl_reader', 'read', 'acl_owner'),
						   ('acl_writer', 'write', 'acl_owner'),
						   ('acl_writers', 'write', 'acl_owner')$$,
				  'privileges lists the grants, and the owner with every privilege');
SELECT results_eq($$SELECT role::text, privilege FROM stream.privileges('*')
					WHERE role::text LIKE 'acl\_%'$$,
				  $$VALUES ('acl_all_reader', 'read'), ('acl_owner', 'create')$$,
				  '... and the grants on *');

SELECT pg_temp.footprint() AS fp \gset
SELECT count(*) AS records FROM stream.read('acl_s') \gset

-- The data plane
SET ROLE acl_nobody;
SELECT throws_ok($$SELECT stream.put_record('acl_s', 'k', '\x01')$$, '42501',
				 'role "acl_nobody" is not authorized to perform kinesis:PutRecord on stream "acl_s"',
				 'put_record without write: AccessDeniedException in Kinesis'' words');
SELECT matches((pg_temp.error_of($$SELECT stream.put_record('acl_s', 'k', '\x01')$$)).detail,
			   'AccessDeniedException', '... named in the DETAIL');
SELECT throws_ok($$SELECT * FROM stream.put_records('acl_s', ARRAY['k'], ARRAY['\x01']::bytea[])$$,
				 '42501', NULL, 'put_records without write');
SELECT throws_ok($$SELECT * FROM stream.put_records('acl_s', ARRAY[ROW('\x01', 'k', NULL)::stream.put_records_request_entry])$$,
				 '42501', NULL, 'put_records of entries without write');
SELECT throws_ok($$SELECT stream.get_shard_iterator('acl_s', 'shardId-000000000000', 'LATEST')$$,
				 '42501', NULL, 'get_shard_iterator without read');
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', :'it0'), '42501', NULL,
				 'get_records without read, with an iterator of another role');
SELECT throws_ok($$SELECT * FROM stream.read('acl_s')$$, '42501', NULL, 'read without read');
SELECT throws_ok($$SELECT stream.put_record('no_such_stream', 'k', '\x01')$$, '42501', NULL,
				 'a stream that does not exist is not told apart from one the role may not use');
RESET ROLE;
SELECT is(pg_temp.footprint(), :'fp', '... none of them changed anything');
SELECT is((SELECT count(*) FROM stream.read('acl_s')), :'records'::bigint, '... nor wrote a record');

SET ROLE acl_writer;
SELECT lives_ok($$SELECT stream.put_record('acl_s', 'k1', '\x01')$$, 'put_record with write');
SELECT lives_ok($$SELECT * FROM stream.put_records('acl_s', ARRAY['k2'], ARRAY['\x02']::bytea[])$$,
				'put_records with write');
SELECT throws_ok($$SELECT * FROM stream.read('acl_s')$$, '42501', NULL, 'but not read');
SELECT throws_ok($$SELECT stream.put_record('acl_other', 'k', '\x01')$$, '42501', NULL,
				 'nor write to another stream');
RESET ROLE;

SET ROLE acl_member;
SELECT lives_ok($$SELECT stream.put_record('acl_s', 'k3', '\x03')$$,
				'put_record with write through membership of a group');
RESET ROLE;

SET ROLE acl_reader;
SELECT is((SELECT count(*) FROM stream.read('acl_s')), :'records'::bigint + 3, 'read with read');
SELECT stream.get_shard_iterator('acl_s', 'shardId-000000000000', 'TRIM_HORIZON') AS reader_it \gset
SELECT isnt((SELECT records FROM stream.get_records(:'reader_it')), NULL,
			'get_shard_iterator and get_records with read');
SELECT throws_ok($$SELECT stream.put_record('acl_s', 'k', '\x01')$$, '42501', NULL, 'but not write');
RESET ROLE;

SET ROLE acl_all_reader;
SELECT is((SELECT count(*) FROM stream.read('acl_s')), :'records'::bigint + 3,
		  'read on * reads a stream');
SELECT lives_ok($$SELECT * FROM stream.read('acl_other')$$, '... and every other');
RESET ROLE;
SET ROLE acl_owner;
SELECT stream.create_stream('acl_later', 1);
RESET ROLE;
SET ROLE acl_all_reader;
SELECT lives_ok($$SELECT * FROM stream.read('acl_later')$$, '... and streams made later');
SELECT throws_ok($$SELECT stream.put_record('no_such_stream', 'k', '\x01')$$, '42501', NULL,
				 'without write on *, a missing stream is AccessDenied to write');
SELECT throws_ok($$SELECT * FROM stream.read('no_such_stream')$$, '42704', NULL,
				 'with read on *, a missing stream is ResourceNotFound to read');
RESET ROLE;

-- Revoking read stops a reader that holds an iterator.
SELECT stream.revoke('read', 'acl_s', 'acl_reader');
SET ROLE acl_reader;
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', :'reader_it'), '42501', NULL,
				 'revoking read stops a reader holding an iterator');
RESET ROLE;
SELECT stream.grant('read', 'acl_s', 'acl_reader');

-- The control plane: describe
SET ROLE acl_nobody;
SELECT throws_ok($$SELECT stream.describe_stream('acl_s')$$, '42501', NULL,
				 'describe_stream without describe');
SELECT throws_ok($$SELECT * FROM stream.describe_stream_summary('acl_s')$$, '42501', NULL,
				 'describe_stream_summary without describe');
SELECT throws_ok($$SELECT * FROM stream.list_shards('acl_s')$$, '42501', NULL,
				 'list_shards without describe');
SELECT is_empty($$SELECT * FROM stream.list_streams() WHERE stream_name LIKE 'acl\_%'$$,
				'list_streams shows no stream the role may not describe');
SELECT is_empty($$SELECT * FROM stream.privileges()$$, 'nor do privileges');
SELECT throws_ok($$SELECT * FROM stream.privileges('acl_s')$$, '42501', NULL,
				 'privileges of a stream without describe');
SELECT throws_ok($$SELECT * FROM stream.privileges('no_such_stream')$$, '42501', NULL,
				 '... as of a stream that does not exist');
SELECT is_empty($$SELECT FROM pg_views WHERE definition LIKE '%acl\_s%'
				  UNION ALL SELECT FROM pg_description WHERE description LIKE '%acl\_s%'$$,
				'nor the catalogs every role may read');
RESET ROLE;
SET ROLE acl_describer;
SELECT lives_ok($$SELECT stream.describe_stream('acl_s')$$, 'describe_stream with describe');
SELECT is((SELECT open_shard_count FROM stream.describe_stream_summary('acl_s')), 2,
		  'describe_stream_summary with describe');
SELECT is((SELECT count(*) FROM stream.list_shards('acl_s')), 2::bigint, 'list_shards with describe');
SELECT results_eq($$SELECT stream_name FROM stream.list_streams() WHERE stream_name LIKE 'acl\_%'$$,
				  $$VALUES ('acl_s')$$, 'list_streams shows the streams the role may describe');
SELECT throws_ok($$SELECT stream.increase_stream_retention_period('acl_s', 48)$$, '42501', NULL,
				 'but describe does not manage');
RESET ROLE;

-- The control plane: manage
SELECT pg_temp.footprint() AS fp \gset
SET ROLE acl_nobody;
SELECT throws_ok($$SELECT stream.increase_stream_retention_period('acl_s', 48)$$, '42501', NULL,
				 'increase_stream_retention_period without manage');
SELECT throws_ok($$SELECT stream.decrease_stream_retention_period('acl_s', 24)$$, '42501', NULL,
				 'decrease_stream_retention_period without manage');
SELECT throws_ok($$SELECT stream.set_retention_period('acl_s', '48 hours')$$, '42501', NULL,
				 'set_retention_period without manage');
SELECT throws_ok($$SELECT stream.split_shard('acl_s', 'shardId-000000000000', 1000)$$, '42501', NULL,
				 'split_shard without manage');
SELECT throws_ok($$SELECT stream.merge_shards('acl_s', 'shardId-000000000000', 'shardId-000000000001')$$,
				 '42501', NULL, 'merge_shards without manage');
SELECT throws_ok($$SELECT * FROM stream.update_shard_count('acl_s', 4)$$, '42501', NULL,
				 'update_shard_count without manage');
SELECT throws_ok($$SELECT stream.update_stream_mode('acl_s', 'ON_DEMAND')$$, '42501', NULL,
				 'update_stream_mode without manage');
SELECT throws_ok($$SELECT stream.grant('read', 'acl_s', 'acl_nobody')$$, '42501', NULL,
				 'grant without manage');
SELECT throws_ok($$SELECT stream.revoke('read', 'acl_s', 'acl_reader')$$, '42501', NULL,
				 'revoke without manage');
SELECT throws_ok($$SELECT stream.grant('read', '*', 'acl_nobody')$$, '42501', NULL,
				 'grant on * without manage on *');
SELECT throws_ok($$SELECT stream.delete_stream('acl_s')$$, '42501', NULL,
				 'delete_stream without manage');
SELECT throws_ok($$SELECT stream.create_stream('acl_new', 1)$$, '42501', NULL,
				 'create_stream without create on *');
RESET ROLE;
SELECT is(pg_temp.footprint(), :'fp', '... none of them changed anything');
SELECT is((SELECT retention_period_hours FROM stream.describe_stream_summary('acl_s')), 24,
		  '... the retention is as it was');
SELECT is((SELECT count(*) FROM stream.privileges('acl_s')), 9::bigint, '... and so are the grants');

SET ROLE acl_manager;
SELECT lives_ok($$SELECT stream.increase_stream_retention_period('acl_s', 48)$$,
				'increase_stream_retention_period with manage');
SELECT lives_ok($$SELECT stream.decrease_stream_retention_period('acl_s', 24)$$,
				'decrease_stream_retention_period with manage');
SELECT lives_ok($$SELECT stream.set_retention_period('acl_s', '30 hours')$$,
				'set_retention_period with manage');
SELECT lives_ok($$SELECT stream.split_shard('acl_s', 'shardId-000000000000', 1000)$$,
				'split_shard with manage');
SELECT lives_ok($$SELECT stream.merge_shards('acl_s', 'shardId-000000000002', 'shardId-000000000003')$$,
				'merge_shards with manage');
SELECT lives_ok($$SELECT * FROM stream.update_shard_count('acl_s', 4)$$,
				'update_shard_count with manage');
SELECT lives_ok($$SELECT stream.update_stream_mode('acl_s', 'ON_DEMAND')$$,
				'update_stream_mode with manage');
SELECT lives_ok($$SELECT stream.grant('read', 'acl_s', 'acl_nobody')$$, 'grant with manage');
SELECT lives_ok($$SELECT stream.revoke('read', 'acl_s', 'acl_nobody')$$, 'revoke with manage');
SELECT throws_ok($$SELECT stream.grant('create', 'acl_s', 'acl_nobody')$$, '22023', NULL,
				 'create is granted on * only');
SELECT throws_ok($$SELECT stream.grant('execute', 'acl_s', 'acl_nobody')$$, '22023', NULL,
				 'an unknown privilege is InvalidArgumentException');
SELECT lives_ok($$SELECT stream.delete_stream('acl_s')$$, 'delete_stream with manage');
RESET ROLE;
SELECT is((SELECT count(*) FROM pg_class WHERE relnamespace = 'stream_acl'::regnamespace
											AND relname NOT IN ('all_streams')), 2::bigint,
		  'the view of a deleted stream goes with it');

-- create on *, and the owner of a stream
SET ROLE acl_creator;
SELECT throws_ok($$SELECT stream.create_stream('acl_new', 1)$$, '42501',
				 'role "acl_creator" is not authorized to perform kinesis:CreateStream',
				 'create_stream needs create on *');
RESET ROLE;
SELECT stream.grant('create', '*', 'acl_creator');
SET ROLE acl_creator;
SELECT lives_ok($$SELECT stream.create_stream('acl_new', 1)$$, '... which is enough');
SELECT lives_ok($$SELECT stream.put_record('acl_new', 'k', '\x01')$$, 'its owner writes');
SELECT is((SELECT count(*) FROM stream.read('acl_new')), 1::bigint, '... reads');
SELECT lives_ok($$SELECT stream.increase_stream_retention_period('acl_new', 48)$$, '... manages');
SELECT throws_ok($$SELECT * FROM stream.read('acl_other')$$, '42501', NULL,
				 '... but has no privilege on the streams of others');
RESET ROLE;

-- What is not the API stays out of reach.
SET ROLE acl_nobody;
SELECT throws_ok($$SELECT * FROM stream.streams$$, '42501', NULL, 'the catalog tables are not readable');
SELECT throws_ok($$SELECT stream_internal.lock_segments('{pg_class}')$$, '42501', NULL,
				 'the internal functions are not executable');
SELECT throws_ok($$CALL stream.run_maintenance()$$, '42501', NULL, 'nor is maintenance');
SELECT throws_ok($$SET stream.iterator_ttl = '24h'$$, '42501', NULL,
				 'nor may the iterator lifetime be changed');
RESET ROLE;
SELECT throws_ok(format('SET ROLE acl_nobody; SELECT count(*) FROM %s',
						(SELECT relation FROM stream.segments LIMIT 1)), '42501', NULL,
				 'nor are the segments');
RESET ROLE;

SELECT g.relation::oid AS other_segment_oid,
	   c.relname AS other_segment_name
	FROM stream.segments g JOIN stream.streams s USING (stream_id) JOIN pg_class c ON c.oid = g.relation
	WHERE s.stream_name = 'acl_other' ORDER BY g.segment_no LIMIT 1 \gset
-- The attack of issue 11: SELECT on the catalog tables let a role write to
-- and read every stream.  It gives nothing now, even granted by a superuser
-- who turned off the DDL guard, which refuses such grants (18_ddl_guard).
SET stream.ddl_guard = off;
GRANT USAGE ON SCHEMA stream_internal, stream_data TO acl_nobody;
GRANT SELECT ON ALL TABLES IN SCHEMA stream, stream_internal TO acl_nobody;
SET ROLE acl_nobody;
SELECT throws_ok($$SELECT stream.put_record('acl_other', 'k', '\x01')$$, '42501', NULL,
				 'a role that may read the catalog tables still may not write');
SELECT throws_ok($$SELECT * FROM stream.read('acl_other')$$, '42501', NULL, '... nor read');
SELECT throws_ok(format('INSERT INTO stream_data.%I VALUES (1, now(), ''k'', 0, ''\x01'')', :'other_segment_name'),
				 '42501', NULL, '... nor write into a segment');
RESET ROLE;
REVOKE SELECT ON ALL TABLES IN SCHEMA stream, stream_internal FROM acl_nobody;
REVOKE USAGE ON SCHEMA stream_internal, stream_data FROM acl_nobody;

-- Granted the internal functions, a role still reaches only the segments of
-- streams it manages.
GRANT USAGE ON SCHEMA stream_internal TO acl_nobody;
GRANT EXECUTE ON FUNCTION stream_internal.lock_segments(regclass[]),
	stream_internal.segment_info(regclass), stream_internal.seal_segment(regclass) TO acl_nobody;
SET ROLE acl_nobody;
SELECT throws_ok($$SELECT stream_internal.lock_segments('{pg_class}')$$, '42809',
				 '"pg_class" is not a stream segment', 'an internal function takes no relation but a segment');
SELECT throws_ok(format('SELECT stream_internal.seal_segment(%s)', :'other_segment_oid'), '42501',
				 format('role "acl_nobody" may not manage segment "%s"', :'other_segment_name'),
				 '... of a stream the role manages');
SELECT throws_ok(format('SELECT stream_internal.segment_info(%s)', :'other_segment_oid'), '42501', NULL,
				 '... to look at as well');
RESET ROLE;
SELECT stream.grant('manage', 'acl_other', 'acl_nobody');
SET ROLE acl_nobody;
SELECT lives_ok(format('SELECT stream_internal.segment_info(%s)', :'other_segment_oid'),
				'... which with manage it may');
RESET ROLE;
SELECT stream.revoke('manage', 'acl_other', 'acl_nobody');
REVOKE EXECUTE ON FUNCTION stream_internal.lock_segments(regclass[]),
	stream_internal.segment_info(regclass), stream_internal.seal_segment(regclass) FROM acl_nobody;
REVOKE USAGE ON SCHEMA stream_internal FROM acl_nobody;
RESET stream.ddl_guard;

-- The owner holds every privilege on its stream: no revoke takes them.
SET ROLE acl_owner;
SELECT stream.grant('manage', 'acl_other', 'acl_manager');
SELECT throws_ok($$SELECT stream.revoke('all', 'acl_other', 'acl_owner')$$, '22023',
				 'role "acl_owner" owns stream "acl_other" and holds every privilege on it',
				 'a revoke from the owner of a stream is refused');
RESET ROLE;
SET ROLE acl_manager;
SELECT throws_ok($$SELECT stream.revoke('manage', 'acl_other', 'acl_owner')$$, '22023', NULL,
				 '... by a role that manages it too');
RESET ROLE;
SELECT (SELECT acl FROM stream.streams WHERE stream_name = 'acl_other') AS other_acl \gset
REVOKE ALL ON :other_acl FROM acl_owner;
SET ROLE acl_owner;
SELECT lives_ok($$SELECT * FROM stream.read('acl_other')$$,
				'... and with its view''s privileges revoked by hand, the owner still reads');
SELECT lives_ok($$SELECT stream.grant('read', 'acl_other', 'acl_nobody')$$, '... and grants');
SELECT stream.revoke('read', 'acl_other', 'acl_nobody');
RESET ROLE;
SET ROLE acl_manager;
SELECT stream.revoke('manage', 'acl_other', 'acl_manager');
RESET ROLE;

-- pg_read_all_data and pg_write_all_data are for tables: they give nothing on streams.
GRANT pg_read_all_data, pg_write_all_data TO acl_nobody;
SET ROLE acl_nobody;
SELECT throws_ok($$SELECT * FROM stream.read('acl_other')$$, '42501', NULL,
				 'pg_read_all_data does not read a stream');
SELECT throws_ok($$SELECT stream.put_record('acl_other', 'k', '\x01')$$, '42501', NULL,
				 'pg_write_all_data does not write');
SELECT throws_ok($$SELECT stream.delete_stream('acl_other')$$, '42501', NULL, '... nor manage');
SELECT throws_ok($$SELECT stream.grant('all', '*', 'acl_nobody')$$, '42501', NULL,
				 '... nor grant on *');
RESET ROLE;
REVOKE pg_read_all_data, pg_write_all_data FROM acl_nobody;
SELECT throws_ok($$SELECT stream.grant('read', 'acl_other', 0::oid::regrole)$$, '22023',
				 'role with OID 0 does not exist', 'a grant to a role that does not exist');

-- The default privileges of the role that makes the streams' views and
-- segments, and the extension's objects, never reach them.
SAVEPOINT before_default_privileges;
ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO acl_nobody;
ALTER DEFAULT PRIVILEGES GRANT ALL ON SEQUENCES TO acl_nobody;
ALTER DEFAULT PRIVILEGES GRANT ALL ON SCHEMAS TO acl_nobody;
ALTER DEFAULT PRIVILEGES GRANT ALL ON FUNCTIONS TO acl_nobody;
CREATE TABLE public.acl_probe ();
SELECT ok(has_table_privilege('acl_nobody', 'public.acl_probe', 'SELECT'),
		  'default privileges give a new table to acl_nobody');
SELECT stream.create_stream('acl_defaults', 1);
SET ROLE acl_nobody;
SELECT throws_ok($$SELECT * FROM stream.read('acl_defaults')$$, '42501', NULL,
				 'default privileges give no privilege on a new stream');
RESET ROLE;
CREATE TEMP VIEW nobody_grants AS
	SELECT c.oid::regclass::text AS object FROM pg_class c, aclexplode(c.relacl) a
	WHERE c.relnamespace::regnamespace::text IN ('stream', 'stream_internal', 'stream_data', 'stream_acl')
	  AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = 'acl_nobody')
	UNION ALL
	SELECT n.nspname FROM pg_namespace n, aclexplode(n.nspacl) a
	WHERE n.nspname LIKE 'stream%' AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = 'acl_nobody')
	UNION ALL
	SELECT p.oid::regprocedure::text FROM pg_proc p, aclexplode(p.proacl) a
	WHERE p.pronamespace::regnamespace::text IN ('stream', 'stream_internal')
	  AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = 'acl_nobody');
SELECT is_empty('SELECT * FROM nobody_grants', '... nor on its view and segments');
DROP EXTENSION stream CASCADE;
CREATE EXTENSION stream;
SELECT is_empty('SELECT * FROM nobody_grants',
				'... nor on the objects of the extension, installed under them');
ROLLBACK TO before_default_privileges;

-- DROP ROLE behaves as for tables: refused while the role holds privileges
-- or owns a stream; DROP OWNED cannot take a stream's view from under it.
SELECT stream.grant('read', 'acl_other', 'acl_reader');
SELECT throws_ok('DROP ROLE acl_reader', '2BP01', NULL,
				 'DROP ROLE of a role holding privileges on a stream fails');
SELECT stream.revoke('all', 'acl_other', 'acl_reader');
SELECT lives_ok('DROP ROLE acl_reader', '... and works once they are revoked');
SELECT throws_ok('DROP ROLE acl_creator', '2BP01', NULL,
				 'DROP ROLE of the owner of a stream fails');
SELECT throws_ok('DROP OWNED BY acl_creator', '2BP01', NULL,
				 'DROP OWNED does not drop the view of a stream');
SELECT lives_ok('REASSIGN OWNED BY acl_creator TO acl_manager', 'REASSIGN OWNED gives its streams to another role');
SELECT lives_ok('DROP OWNED BY acl_creator; DROP ROLE acl_creator', '... and the role can go');
SET ROLE acl_manager;
SELECT lives_ok($$SELECT stream.put_record('acl_new', 'k', '\x02')$$, '... the new owner writes');
SELECT lives_ok($$SELECT stream.delete_stream('acl_new')$$, '... and manages');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
