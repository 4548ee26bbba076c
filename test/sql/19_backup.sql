\set ECHO none
\i test/sql/lib/setup.sql
-- Logical backup (src/kinesis/backup.c, sql/88_backup.sql): the rows that
-- pg_dump carries put a stream back as it was, with every sequence number;
-- rows that are not a whole dump in order, from another format or block
-- size, or naming streams or owners that cannot be restored, are refused
-- and leave nothing behind; only a superuser dumps or restores; a restore
-- with the trigger disabled fails.  TAP test 080_logical_backup runs
-- pg_dump and pg_restore themselves.
BEGIN;
SELECT plan(25);

\i test/sql/lib/helpers.sql

CREATE ROLE backup_role;
SELECT stream.create_stream('bk', 2);
-- holes: rolled-back records before and between the records kept
SAVEPOINT s;
SELECT stream.put_record('bk', 'gone', '\x00');
ROLLBACK TO SAVEPOINT s;
SELECT count(*) FROM stream.put_records('bk', ARRAY['a', 'b', 'c', 'd'], ARRAY['\x01', '\x02', '\x03', '\x04']::bytea[]);
SAVEPOINT s;
SELECT stream.put_record('bk', 'a', '\x00');
ROLLBACK TO SAVEPOINT s;
SELECT stream.put_record('bk', 'a', decode(repeat('cd', 30000), 'hex'));
SELECT stream.put_record('bk', 'a', '\x05', explicit_hash_key => 0);
SELECT stream.put_record('bk', 'z', '\x06', explicit_hash_key => 340282366920938463463374607431768211455);
SELECT stream.grant('read', 'bk', 'backup_role');
-- a role may be named PUBLIC: its grant must not come back as everyone's
CREATE ROLE "PUBLIC";
SELECT stream.grant('describe', 'bk', '"PUBLIC"');

CREATE TEMP TABLE before AS SELECT * FROM stream.read('bk');
CREATE TEMP TABLE dumped AS SELECT d.* FROM stream_internal.dump_rows() WITH ORDINALITY AS d(kind, stream_id, sequence_number, arrival, partition_key, hash_key, data, info, sealed_key, n);
GRANT SELECT ON dumped TO backup_role;

SELECT is((SELECT string_agg(kind, ',' ORDER BY n) FROM dumped WHERE kind <> 'record'),
		  'header,stream,shard,shard,segment,segment,end',
		  'a dump holds a header, the stream, its shards, its segments and an end');
SELECT is((SELECT count(*) FROM dumped WHERE kind = 'record'), 7::bigint,
		  '... and every record committed, none rolled back');
SELECT is((SELECT info - 'extension_version' FROM dumped WHERE kind = 'header'),
		  jsonb_build_object('format', 1, 'block_size', current_setting('block_size')::int,
							 'all_streams_grants', '[]'::jsonb),
		  'the header says the format and the block size');
SELECT is((SELECT info FROM dumped WHERE kind = 'end'),
		  (SELECT jsonb_build_object('streams', 1, 'segments', 2, 'records', 7,
									 'last_stream_id', max(stream_id)) FROM stream.streams),
		  'the end row counts what the dump holds');

-- Only a superuser dumps and restores.
SET ROLE backup_role;
SELECT throws_ok($$SELECT * FROM stream_internal.dump_rows()$$, '42501', NULL,
				 'an ordinary role cannot dump streams');
SELECT throws_ok($$INSERT INTO stream_internal.dump SELECT kind, stream_id, sequence_number, arrival, partition_key, hash_key, data, info FROM dumped ORDER BY n$$,
				 '42501', NULL, '... nor restore them');
RESET ROLE;

-- A round trip: the stream dropped, its rows put back.
SELECT stream.delete_stream('bk');
SELECT pg_temp.footprint() AS empty \gset
INSERT INTO stream_internal.dump
	SELECT kind, stream_id, sequence_number, arrival, partition_key, hash_key, data, info
	FROM dumped ORDER BY n;
SELECT is((SELECT count(*) FROM stream_internal.dump), 0::bigint, 'a restore stores no row');
SELECT set_eq($$SELECT * FROM stream.read('bk')$$, $$SELECT * FROM before$$,
			  'every record is back with its sequence number, arrival time, key and data');
SELECT is((SELECT string_agg(sequence_number::text || '/' || hash_key, ',' ORDER BY n) FROM dumped
		   WHERE kind = 'record'),
		  (SELECT string_agg(sequence_number::text || '/' || hash_key, ',' ORDER BY stream_id, sequence_number)
		   FROM stream_internal.dump_rows() WHERE kind = 'record'),
		  '... and its hash key');
SELECT ok((SELECT bool_and(p.sequence_number > b.seq)
		   FROM (SELECT shard_id, max(sequence_number) AS seq FROM before GROUP BY 1) b
		   JOIN LATERAL stream.put_record('bk', CASE b.shard_id WHEN 'shardId-000000000000' THEN 'a' ELSE 'b' END, '\x09',
										  explicit_hash_key => CASE b.shard_id WHEN 'shardId-000000000000' THEN 0
																ELSE 340282366920938463463374607431768211455 END) p
		   ON p.shard_id = b.shard_id),
		  'new records go after the restored ones');
SELECT is((SELECT privilege FROM stream.privileges('bk') WHERE role = 'backup_role'::regrole),
		  'read', 'the privileges are back');
SELECT is((SELECT privilege FROM stream.privileges('bk') WHERE role = '"PUBLIC"'::regrole),
		  'describe', '... those of a role named PUBLIC too');
SELECT is((SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a
		   WHERE c.oid = (SELECT acl FROM stream.streams WHERE stream_name = 'bk') AND a.grantee = 0),
		  0::bigint, '... which are not given to PUBLIC');
SELECT is((SELECT count(*) FROM pg_init_privs p JOIN pg_class c ON c.oid = p.objoid
		   WHERE c.oid = (SELECT acl FROM stream.streams WHERE stream_name = 'bk')
			 AND p.initprivs = c.relacl),
		  1::bigint, 'the view''s privileges are its initial ones: pg_dump emits no GRANT for it');
SELECT stream.delete_stream('bk');

-- Rows that are not a dump
SELECT throws_ok($$INSERT INTO stream_internal.dump (kind, stream_id, sequence_number, arrival, partition_key, hash_key, data)
				   VALUES ('record', 1, 1099511631873, now(), 'k', 0, '\x01')$$,
				 '22000', 'a row of kind "record" of a dump of streams is out of place',
				 'a record before any header is refused');
SELECT throws_ok($$INSERT INTO stream_internal.dump (kind, info) VALUES ('header', '{"format": 2, "block_size": 8192}')$$,
				 '0A000', 'a dump of streams in format 2 cannot be restored by this version of the extension, which reads format 1',
				 'a dump of another format is refused');
SELECT throws_ok($$INSERT INTO stream_internal.dump (kind, info) VALUES ('header', '{"format": 1, "block_size": 4096}')$$,
				 '0A000', format('a dump of streams made with a block size of 4096 cannot be restored into a server with a block size of %s',
								 current_setting('block_size')),
				 'a dump of another block size is refused');
SELECT throws_ok(format($$INSERT INTO stream_internal.dump (kind, info) VALUES ('header', '{"format": 1, "block_size": %s}'),
						  ('bogus', '{}')$$, current_setting('block_size')),
				 '0A000', 'a dump of streams has a row of kind "bogus", which this version of the extension does not know',
				 'a row of an unknown kind is refused');
SELECT throws_ok(format($$INSERT INTO stream_internal.dump (kind, info) VALUES ('header', '{"format": 1, "block_size": %s}'),
						  ('end', '{"streams": 1, "segments": 0, "records": 0}')$$, current_setting('block_size')),
				 '22000', 'a dump of streams does not hold what its end row counts',
				 'a dump that lacks what its end row counts is refused');
SELECT throws_ok(format($$INSERT INTO stream_internal.dump (kind, stream_id, info)
						  SELECT kind, stream_id, CASE kind WHEN 'stream' THEN info || '{"owner": "no_such_role"}' ELSE info END
						  FROM dumped WHERE kind IN ('header', 'stream') ORDER BY n$$),
				 '42704', 'cannot restore stream "bk": its owner, role "no_such_role", does not exist',
				 'a stream whose owner does not exist is refused');
SELECT stream.create_stream('bk', 1);
SELECT pg_temp.footprint() AS one \gset
SELECT throws_ok($$INSERT INTO stream_internal.dump SELECT kind, stream_id, sequence_number, arrival, partition_key, hash_key, data, info
				   FROM dumped ORDER BY n$$,
				 '42710', NULL, 'a stream whose name the database has is refused');
SELECT stream.delete_stream('bk');
SELECT throws_ok($$INSERT INTO stream_internal.dump SELECT kind, stream_id, sequence_number, arrival, partition_key, hash_key, data, info
				   FROM (SELECT * FROM dumped UNION ALL
						 SELECT * FROM dumped WHERE kind = 'record' AND partition_key = 'd') d ORDER BY n$$,
				 'XX001', NULL, 'a record behind the end of its segment is refused');
SELECT throws_ok($$INSERT INTO stream_internal.dump SELECT kind, stream_id,
					   CASE WHEN kind = 'record' THEN sequence_number + (1::bigint << 40) ELSE sequence_number END,
					   arrival, partition_key, hash_key, data, info
				   FROM dumped ORDER BY n$$,
				 '22000', 'a row of kind "record" of a dump of streams is out of place',
				 'a record of another segment than the one before it is refused');
SELECT is(pg_temp.footprint(), :'empty', 'the refused restores left nothing behind');

-- With the trigger disabled (by a superuser who turned the guard off) the
-- rows would be stored and the streams lost: the table refuses them.
SET stream.ddl_guard = off;
ALTER TABLE stream_internal.dump DISABLE TRIGGER restore_row;
SELECT throws_ok($$INSERT INTO stream_internal.dump SELECT kind, stream_id, sequence_number, arrival, partition_key, hash_key, data, info
				   FROM dumped ORDER BY n$$,
				 '23514', NULL, 'a restore with the trigger disabled fails');

SELECT * FROM finish();
ROLLBACK;
