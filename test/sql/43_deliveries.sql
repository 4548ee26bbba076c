\set ECHO none
\i test/sql/lib/setup.sql
-- Deliveries (API.md, "Delivery and triggers"): create_delivery to a table
-- (made with API.md's columns, or an existing one that has them) and to
-- files (confined under stream.delivery_directory, which test/run sets:
-- "..", a path elsewhere and a symbolic link out of it are refused), every
-- error with nothing left behind, the view, drop_delivery, and who may do
-- what, as ordinary roles.  What the workers write is TAP's
-- (test/t/160_deliveries.pl).
BEGIN;
SELECT plan(48);

\i test/sql/lib/helpers.sql

SELECT is(pg_temp.signature('stream.create_delivery(text, text, text, text, int, interval, text, text)'),
		  'delivery_name text, stream_name text, destination text, target text, '
		  'buffer_size_mb integer DEFAULT 5, buffer_interval interval DEFAULT ''@ 5 mins''::interval, '
		  'format text DEFAULT ''jsonl''::text, compression text DEFAULT ''gzip''::text -> void',
		  'create_delivery has the signature of API.md');
SELECT is(pg_temp.signature('stream.drop_delivery(text)'), 'delivery_name text -> void',
		  'drop_delivery too');

CREATE ROLE dlv_manager;		-- manage and read on the stream
CREATE ROLE dlv_files;			-- and pg_write_server_files
CREATE ROLE dlv_reader;			-- read only
CREATE ROLE dlv_nobody;
GRANT pg_write_server_files TO dlv_files;
SELECT stream.create_stream('ds', 2);
SELECT stream.grant('manage', 'ds', 'dlv_manager');
SELECT stream.grant('read', 'ds', 'dlv_manager');
SELECT stream.grant('manage', 'ds', 'dlv_files');
SELECT stream.grant('read', 'ds', 'dlv_files');
SELECT stream.grant('read', 'ds', 'dlv_reader');
CREATE SCHEMA dlv AUTHORIZATION dlv_manager;
CREATE TABLE public.not_records (id int);
GRANT ALL ON public.not_records TO PUBLIC;
CREATE TABLE public.locked_records (shard_id text, sequence_number numeric,
									approximate_arrival_timestamp timestamptz,
									partition_key text, data bytea);
CREATE FUNCTION public.noop(records stream.record[], shard_id text) RETURNS void
	LANGUAGE sql AS $$ SELECT $$;
SELECT current_setting('stream.delivery_directory') AS dir \gset

-- errors
SELECT pg_temp.footprint() AS before_create \gset
SET ROLE dlv_reader;
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'table', 'dlv.clicks')$$, '42501',
				 'role "dlv_reader" is not authorized to perform kinesis:CreateDeliveryStream on stream "ds"',
				 'a delivery needs manage on the stream');
SET ROLE dlv_manager;
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'bucket', 'x')$$, '22023',
				 'invalid destination "bucket"', 'a delivery goes to a table or to files');
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'table', NULL)$$, '22023',
				 'target must not be null', 'to a target');
SELECT throws_ok($$SELECT stream.create_delivery('bad name', 'ds', 'table', 'dlv.clicks')$$, '22023',
				 'invalid delivery name "bad name"', 'a name with a space is InvalidArgumentException');
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'table', 'dlv.clicks', 0)$$, '22023',
				 'buffer size of 0 MB is out of range', 'a buffer is 1 MB at least');
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'table', 'dlv.clicks', 129)$$, '22023',
				 'buffer size of 129 MB is out of range', 'and 128 MB at most');
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'table', 'dlv.clicks', buffer_interval => '901 s')$$,
				 '22023', 'buffer interval of 901 seconds is out of range', 'an interval is 900 seconds at most');
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'table', 'dlv.clicks', format => 'csv')$$,
				 '22023', 'invalid format "csv"', 'records are JSON lines');
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'table', 'dlv.clicks', compression => 'zip')$$,
				 '22023', 'invalid compression "zip"', 'gzip or none');
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'table', 'a.b.c')$$, '22023',
				 'invalid table name "a.b.c"', 'a table is "table" or "schema.table"');
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'table', 'nowhere.clicks')$$, '42704',
				 'schema "nowhere" does not exist', 'in a schema that exists');
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'table', 'clicks')$$, '42501',
				 'role "dlv_manager" may not create table public.clicks',
				 'a table that is missing is made where the role may create one');
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'table', 'not_records')$$, '22023',
				 'table public.not_records has no column shard_id, sequence_number, approximate_arrival_timestamp, partition_key, data',
				 'a table that exists must have the columns of records');
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'table', 'locked_records')$$, '42501',
				 'role "dlv_manager" may not insert into table public.locked_records',
				 'and the role must be allowed to insert into it');
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'table', 'dlv.clicks', buffer_size_mb => NULL)$$,
				 '22023', 'buffer size of NULL MB is out of range', 'NULL is out of range too');
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'files', 'clicks')$$, '42501',
				 'role "dlv_manager" may not deliver to files',
				 'files need membership in pg_write_server_files');
SET ROLE dlv_files;
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'files', '../outside')$$, '22023',
				 'directory "../outside" leads out of stream.delivery_directory',
				 '".." is refused');
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'files', 'a/../../outside')$$, '22023',
				 NULL, 'anywhere in the path');
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'files', '/tmp')$$, '22023',
				 'directory "/tmp" is not under stream.delivery_directory',
				 'an absolute path elsewhere is refused');
RESET ROLE;
\set link_command 'ln -sfn /tmp ' :dir '/link'
COPY (SELECT 1) TO PROGRAM :'link_command';
SET ROLE dlv_files;
SELECT throws_ok($$SELECT stream.create_delivery('d', 'ds', 'files', 'link/clicks')$$, '22023',
				 '"link" in directory "link/clicks" is a symbolic link or not a directory',
				 'a symbolic link out of the directory is refused');
SELECT throws_ok(format($$SELECT stream.create_delivery('d', 'ds', 'files', %L)$$, :'dir' || '/link'),
				 '22023', NULL, 'however the path names it');
RESET ROLE;
SELECT is(pg_temp.footprint(), :'before_create', '... and none of those left anything behind');

-- to a table
SET ROLE dlv_manager;
SELECT lives_ok($$SELECT stream.create_delivery('to-table', 'ds', 'table', 'dlv.clicks',
												buffer_interval => '1 second')$$,
				'a role that manages the stream delivers to a table');
SELECT results_eq($$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod) FROM pg_attribute
					WHERE attrelid = 'dlv.clicks'::regclass AND attnum > 0 ORDER BY attnum$$,
				  $$VALUES ('shard_id', 'text'), ('sequence_number', 'numeric'),
						   ('approximate_arrival_timestamp', 'timestamp with time zone'),
						   ('partition_key', 'text'), ('data', 'bytea')$$,
				  'which it made, with the columns of API.md');
SELECT is((SELECT relowner::regrole::text FROM pg_class WHERE oid = 'dlv.clicks'::regclass),
		  'dlv_manager', 'owned by the role');
SELECT throws_ok($$SELECT stream.create_delivery('to-table', 'ds', 'table', 'dlv.clicks')$$, '42710',
				 'delivery "to-table" already exists', 'a name taken is ResourceInUseException');
SELECT results_eq($$SELECT delivery_name, stream_name, destination, target, owner::text, buffer_size_mb,
						   buffer_interval, format, compression, state, records
					FROM stream.deliveries$$,
				  $$VALUES ('to-table', 'ds', 'table', 'dlv.clicks', 'dlv_manager', 5, '1 second'::interval,
							'jsonl', 'gzip', 'ACTIVE', 0::bigint)$$,
				  'stream.deliveries shows it');
SELECT is(jsonb_array_length((SELECT shards FROM stream.deliveries)), 2, 'with each shard');
SELECT lives_ok($$SELECT stream.create_delivery('to-existing', 'ds', 'table', 'dlv.clicks')$$,
				'a table that has the columns takes another delivery');
RESET ROLE;
SELECT is((SELECT count(*) FROM stream.sink_lanes WHERE sink_name = 'to-table' AND start_at IS NOT NULL),
		  2::bigint, 'from the creation on, as Firehose reads a stream');
SET ROLE dlv_manager;
SELECT throws_ok($$SELECT stream.create_trigger('to-table', 'ds', 'public.noop(stream.record[], text)')$$,
				 '42710', 'delivery "to-table" already exists', 'deliveries and triggers share names');
SET ROLE dlv_reader;
SELECT is((SELECT count(*) FROM stream.deliveries), 0::bigint,
		  'a role that may not describe the stream sees none');

-- to files
SET ROLE dlv_files;
SELECT lives_ok($$SELECT stream.create_delivery('to-files', 'ds', 'files', 'clicks/archive')$$,
				'a role in pg_write_server_files delivers to files');
SELECT is((SELECT target FROM stream.deliveries WHERE delivery_name = 'to-files'),
		  (SELECT setting FROM pg_settings WHERE name = 'stream.delivery_directory') || '/clicks/archive',
		  'under the delivery directory, which it made');
SELECT lives_ok(format($$SELECT stream.create_delivery('to-files-2', 'ds', 'files', %L, compression => 'none')$$,
					   :'dir' || '/clicks/plain'),
				'named by a path that starts with the directory too');
RESET ROLE;
SELECT is((pg_stat_file(:'dir' || '/clicks/archive', true)).isdir, true, 'the directory is there');

-- dropping
SET ROLE dlv_reader;
SELECT throws_ok($$SELECT stream.drop_delivery('to-table')$$, '42501',
				 'role "dlv_reader" may not drop delivery "to-table"',
				 'only its owner or a manager drops a delivery');
SELECT throws_ok($$SELECT stream.drop_delivery('nothing')$$, '42704',
				 'delivery "nothing" does not exist', 'a delivery that does not exist is ResourceNotFoundException');
SELECT throws_ok($$SELECT stream.drop_delivery(NULL)$$, '22023', 'delivery name must not be null',
				 'and NULL InvalidArgumentException');
SET ROLE dlv_manager;
SELECT lives_ok($$SELECT stream.drop_delivery('to-table')$$, 'its owner drops it');
SELECT throws_ok($$SELECT stream.drop_trigger('to-existing')$$, '42704',
				 'trigger "to-existing" does not exist', 'drop_trigger drops no delivery');
SELECT lives_ok($$SELECT stream.drop_delivery('to-files')$$, 'a manager drops another role''s');
RESET ROLE;
SELECT is(to_regclass('dlv.clicks') IS NOT NULL, true, 'the table stays: it is the role''s');
SELECT stream.delete_stream('ds');
SELECT is((SELECT count(*) FROM stream.sinks), 0::bigint, 'deleting the stream drops its deliveries');

SET ROLE dlv_nobody;
SELECT throws_ok($$SELECT * FROM stream.sinks$$, '42501', NULL, 'the table of sinks is the extension''s');
SELECT is((SELECT count(*) FROM stream.deliveries), 0::bigint, 'and the view everyone''s');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
