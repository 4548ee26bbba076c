\set ECHO none
\i test/sql/lib/setup.sql
-- The privilege boundary, function by function: every function and
-- procedure of the extension, whether it runs as its caller or its owner,
-- its pinned settings, and whether PUBLIC may execute it, against the list
-- below.  A function added to the extension fails this test until it is
-- added here, with the boundary it needs.
BEGIN;
SELECT plan(4);

CREATE TEMP VIEW extension_functions AS
SELECT p.oid::regprocedure::text AS function,
	   CASE WHEN p.prosecdef THEN 'definer' ELSE 'invoker' END AS runs_as,
	   coalesce(array_to_string(p.proconfig, ','), '') AS settings,
	   CASE WHEN has_function_privilege('public', p.oid, 'EXECUTE') THEN 'public'
			ELSE 'owner' END AS executable_by,
	   l.lanname AS language
FROM pg_proc p
JOIN pg_language l ON l.oid = p.prolang
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
	AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'stream';

SELECT is_empty($$SELECT function FROM extension_functions
				  WHERE language IN ('sql', 'plpgsql')
					AND settings <> 'search_path=pg_catalog, pg_temp'
					AND function <> 'stream.run_maintenance_for(interval,interval)'$$,
				'every SQL and PL/pgSQL function pins its search_path (but the one that commits)');
SELECT is_empty($$SELECT function FROM extension_functions
				  WHERE runs_as = 'definer' AND settings NOT LIKE '%search_path=pg_catalog, pg_temp%'$$,
				'every SECURITY DEFINER function pins its search_path');
SELECT is_empty($$SELECT function FROM extension_functions
				  WHERE function LIKE 'stream\_internal.%' AND executable_by = 'public'$$,
				'no function of stream_internal is executable by PUBLIC');

SELECT set_eq($$SELECT function, runs_as, settings, executable_by FROM extension_functions$$,
			  $$VALUES
		('stream.create_stream(text,integer,text,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream.decrease_stream_retention_period(text,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream.delete_stream(text,boolean)', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream.describe_stream(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream.describe_stream_summary(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream.get_records(text,integer)', 'invoker', '', 'public'),
		('stream.get_shard_iterator(text,text,text,numeric,timestamp with time zone)', 'invoker', '', 'public'),
		('stream.hash_key(text)', 'invoker', '', 'public'),
		('stream.increase_stream_retention_period(text,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream.list_shards(text,text,text,timestamp with time zone)', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream.list_streams()', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream.merge_shards(text,text,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream.put_record(text,text,bytea,numeric,numeric)', 'invoker', '', 'public'),
		('stream.put_records(text,stream.put_records_request_entry[])', 'invoker', '', 'public'),
		('stream.put_records(text,text[],bytea[])', 'invoker', '', 'public'),
		('stream.read(text,text,numeric,timestamp with time zone,bigint)', 'invoker', '', 'public'),
		('stream.run_maintenance()', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream.run_maintenance_for(interval,interval)', 'invoker', '', 'public'),
		('stream.schedule_maintenance(interval)', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream.set_retention_period(text,interval)', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream.split_shard(text,text,numeric)', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream.unschedule_maintenance()', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream.update_shard_count(text,integer,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream.update_stream_mode(text,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'public'),
		('stream_internal.add_segment(integer,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.assert_preloaded()', 'invoker', '', 'owner'),
		('stream_internal.catalog_changed()', 'invoker', '', 'owner'),
		('stream_internal.change_retention(text,interval,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.change_retention_hours(text,integer,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.check_retention_hours(integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.check_shard_limit(integer,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.check_stream_mode(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.close_shard(stream.streams,stream.shards)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.create_segment(integer,integer,integer)', 'invoker', '', 'owner'),
		('stream_internal.drop_segment(regclass,boolean)', 'invoker', '', 'owner'),
		('stream_internal.find_stream(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.list_shards(text,text,text,timestamp with time zone)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.lock_active_stream(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.lock_provisioned_stream(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.lock_segments(regclass[])', 'invoker', '', 'owner'),
		('stream_internal.lock_shards(stream.streams,integer[])', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.lock_stream(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.maintain_stream(stream.streams)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.merge(stream.streams,stream.shards,stream.shards)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.new_iterator_key()', 'invoker', '', 'owner'),
		('stream_internal.new_shard(stream.streams,numeric,numeric,integer,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.next_catalog_version()', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.on_demand_min_shards()', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.open_shard(stream.streams,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.quote(text)', 'invoker', '', 'owner'),
		('stream_internal.raise(text,text,text)', 'invoker', '', 'owner'),
		('stream_internal.retention_hours(interval)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.scale_on_demand(stream.streams)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.seal_segment(regclass)', 'invoker', '', 'owner'),
		('stream_internal.seal_segment_if_due(regclass,interval)', 'invoker', '', 'owner'),
		('stream_internal.segment_end(regclass,integer)', 'invoker', '', 'owner'),
		('stream_internal.segment_info(regclass)', 'invoker', '', 'owner'),
		('stream_internal.segment_start(integer)', 'invoker', '', 'owner'),
		('stream_internal.shard_id(integer)', 'invoker', '', 'owner'),
		('stream_internal.shard_load(integer,integer)', 'invoker', '', 'owner'),
		('stream_internal.shard_no(text)', 'invoker', '', 'owner'),
		('stream_internal.shard_segments(integer,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.split(stream.streams,stream.shards,numeric)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.stream_arn(text)', 'invoker', '', 'owner'),
		('stream_internal.stream_changed()', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.stream_log_handler(internal)', 'invoker', '', 'owner'),
		('stream_internal.uniform_range(integer,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.update_shard_count(text,integer,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner'),
		('stream_internal.valid_stream_name(text)', 'invoker', '', 'owner'),
		('stream_internal.writable_segment(regclass[])', 'invoker', '', 'owner')
			  $$,
			  'the functions of the extension are exactly these, with these boundaries');

SELECT * FROM finish();
ROLLBACK;
