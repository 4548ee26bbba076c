\set ECHO none
\i test/sql/lib/setup.sql
-- The privilege boundary, function by function: every function and
-- procedure of the extension, whether it runs as its caller or its owner,
-- its pinned settings, and whether PUBLIC may execute it, against the list
-- below.  A function added to the extension fails this test until it is
-- added here, with the boundary it needs.
BEGIN;
SELECT plan(5);

CREATE TEMP VIEW extension_functions AS
SELECT p.oid::regprocedure::text AS function,
	   CASE WHEN p.prosecdef THEN 'definer' ELSE 'invoker' END AS runs_as,
	   coalesce(array_to_string(p.proconfig, ','), '') AS settings,
	   CASE WHEN has_function_privilege('public', p.oid, 'EXECUTE') THEN 'public'
			ELSE 'owner' END AS executable_by,
	   CASE WHEN l.lanname = 'c' THEN 'C ' || p.prosrc ELSE l.lanname END AS implementation
FROM pg_proc p
JOIN pg_language l ON l.oid = p.prolang
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
	AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'stream';

SELECT is_empty($$SELECT function FROM extension_functions
				  WHERE implementation IN ('sql', 'plpgsql')
					AND settings <> 'search_path=pg_catalog, pg_temp'
					AND function <> 'stream.run_maintenance_for(interval,interval)'$$,
				'every SQL and PL/pgSQL function pins its search_path (but the one that commits)');
SELECT is_empty($$SELECT function FROM extension_functions
				  WHERE runs_as = 'definer' AND settings NOT LIKE '%search_path=pg_catalog, pg_temp%'$$,
				'every SECURITY DEFINER function pins its search_path');
SELECT is_empty($$SELECT function FROM extension_functions
				  WHERE function LIKE 'stream\_internal.%' AND executable_by = 'public'$$,
				'no function of stream_internal is executable by PUBLIC');
SELECT is_empty($$SELECT function FROM extension_functions
				  WHERE executable_by = 'public' AND implementation NOT LIKE 'C %'$$,
				'every function PUBLIC may execute is C, which checks the caller''s privileges');

SELECT set_eq($$SELECT function, runs_as, settings, executable_by, implementation
				FROM extension_functions$$,
			  $$VALUES
		('stream."grant"(text,text,regrole)', 'invoker', '', 'public', 'C stream_control'),
		('stream.create_key(text,text)', 'invoker', '', 'public', 'C stream_control'),
		('stream.create_stream(text,integer,text,integer)', 'invoker', '', 'public', 'C stream_control'),
		('stream.decode_feed_message(bytea)', 'invoker', '', 'public', 'C stream_decode_feed_message'),
		('stream.decrease_stream_retention_period(text,integer)', 'invoker', '', 'public', 'C stream_control'),
		('stream.delete_stream(text,boolean)', 'invoker', '', 'public', 'C stream_control'),
		('stream.describe_stream(text)', 'invoker', '', 'public', 'C stream_control'),
		('stream.describe_stream_summary(text)', 'invoker', '', 'public', 'C stream_control'),
		('stream.disable_key(text)', 'invoker', '', 'public', 'C stream_control'),
		('stream.enable_key(text)', 'invoker', '', 'public', 'C stream_control'),
		('stream.get_records(text,integer,interval)', 'invoker', '', 'public', 'C stream_get_records'),
		('stream.get_shard_iterator(text,text,text,numeric,timestamp with time zone)', 'invoker', '', 'public', 'C stream_get_shard_iterator'),
		('stream.hash_key(text)', 'invoker', '', 'public', 'C stream_hash_key'),
		('stream.increase_stream_retention_period(text,integer)', 'invoker', '', 'public', 'C stream_control'),
		('stream.list_shards(text,text,text,timestamp with time zone)', 'invoker', '', 'public', 'C stream_control'),
		('stream.list_keys()', 'invoker', '', 'public', 'C stream_control'),
		('stream.list_streams()', 'invoker', '', 'public', 'C stream_control'),
		('stream.merge_shards(text,text,text)', 'invoker', '', 'public', 'C stream_control'),
		('stream.privileges(text)', 'invoker', '', 'public', 'C stream_control'),
		('stream.put_record(text,text,bytea,numeric,numeric)', 'invoker', '', 'public', 'C stream_put_record'),
		('stream.put_records(text,stream.put_records_request_entry[])', 'invoker', '', 'public', 'C stream_put_records'),
		('stream.put_records(text,text[],bytea[])', 'invoker', '', 'public', 'C stream_put_records_arrays'),
		('stream.read(text,text,numeric,timestamp with time zone,bigint)', 'invoker', '', 'public', 'C stream_read'),
		('stream.revoke(text,text,regrole)', 'invoker', '', 'public', 'C stream_control'),
		('stream.rotate_key(text)', 'invoker', '', 'public', 'C stream_control'),
		('stream.run_maintenance()', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream.run_maintenance_for(interval,interval)', 'invoker', '', 'owner', 'plpgsql'),
		('stream.schedule_maintenance(interval)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream.set_change_feed(text,boolean)', 'invoker', '', 'public', 'C stream_control'),
		('stream.set_retention_period(text,interval)', 'invoker', '', 'public', 'C stream_control'),
		('stream.split_shard(text,text,numeric)', 'invoker', '', 'public', 'C stream_control'),
		('stream.start_stream_encryption(text,text,text)', 'invoker', '', 'public', 'C stream_control'),
		('stream.stop_stream_encryption(text,text,text)', 'invoker', '', 'public', 'C stream_control'),
		('stream.unschedule_maintenance()', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream.update_shard_count(text,integer,text)', 'invoker', '', 'public', 'C stream_control'),
		('stream.update_stream_mode(text,text)', 'invoker', '', 'public', 'C stream_control'),
		('stream_internal."grant"(text,text,regrole)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.acl_of(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.add_segment(integer,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.assert_preloaded()', 'invoker', '', 'owner', 'C stream_assert_preloaded'),
		('stream_internal.authorize_stream(text,regclass)', 'invoker', '', 'owner', 'C stream_authorize_stream'),
		('stream_internal.caller()', 'invoker', '', 'owner', 'C stream_caller'),
		('stream_internal.catalog_changed()', 'invoker', '', 'owner', 'C stream_catalog_changed'),
		('stream_internal.change_retention(text,interval,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.change_retention_hours(text,integer,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.change_privilege(boolean,text,text,regrole)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.check_retention_hours(integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.check_shard_limit(integer,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.check_stream_mode(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.close_shard(stream.streams,stream.shards)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.create_segment(integer,integer,integer)', 'invoker', '', 'owner', 'C stream_create_segment'),
		('stream_internal.create_key(text,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.create_stream(text,integer,text,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.create_stream_acl(integer,regrole)', 'invoker', '', 'owner', 'C stream_create_stream_acl'),
		('stream_internal.decrease_stream_retention_period(text,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.delete_stream(text,boolean)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.disable_key(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.describe_stream(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.describe_stream_summary(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.drop_segment(regclass,boolean)', 'invoker', '', 'owner', 'C stream_drop_segment'),
		('stream_internal.drop_stream_acl(regclass)', 'invoker', '', 'owner', 'C stream_drop_stream_acl'),
		('stream_internal.dump_catalog()', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.dump_grants(regclass)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.dump_rows()', 'invoker', '', 'owner', 'C stream_dump_rows'),
		('stream_internal.enable_key(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.find_stream(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.give_data_key(integer,integer,uuid,boolean)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.encryption_key(text,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.find_key(text,boolean)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.has_privilege(regrole,regclass,text)', 'invoker', '', 'owner', 'C stream_has_privilege'),
		('stream_internal.increase_stream_retention_period(text,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.keep_acl_out_of_dump(regclass)', 'invoker', '', 'owner', 'C stream_keep_acl_out_of_dump'),
		('stream_internal.key_arn(uuid)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.list_shards(text,text,text,timestamp with time zone)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.list_keys()', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.list_streams()', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.lock_active_stream(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.lock_provisioned_stream(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.lock_segments(regclass[])', 'invoker', '', 'owner', 'C stream_lock_segments'),
		('stream_internal.lock_shards(stream.streams,integer[])', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.lock_stream(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.maintain_stream(stream.streams)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.merge(stream.streams,stream.shards,stream.shards)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.maintenance_result(integer,text,text,text)', 'invoker', '', 'owner', 'C stream_maintenance_result'),
		('stream_internal.match_open_segments(integer,uuid)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.merge_shards(text,text,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.new_iterator_key()', 'invoker', '', 'owner', 'C stream_new_iterator_key'),
		('stream_internal.new_data_key(bytea,uuid,integer,integer,integer)', 'invoker', '', 'owner', 'C stream_new_data_key'),
		('stream_internal.new_key_material(uuid,integer)', 'invoker', '', 'owner', 'C stream_new_key_material'),
		('stream_internal.new_shard(stream.streams,numeric,numeric,integer,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.next_catalog_version()', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.on_demand_min_shards()', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.open_shard(stream.streams,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.privilege_modes(text,boolean)', 'invoker', '', 'owner', 'C stream_privilege_modes'),
		('stream_internal.open_segments(integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.privileges(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.quote(text)', 'invoker', '', 'owner', 'C stream_quote'),
		('stream_internal.raise(text,text,text)', 'invoker', '', 'owner', 'C stream_raise'),
		('stream_internal.restore_catalog_row(text,integer,jsonb)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.restore_grants(regclass,text,jsonb)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.restore_row()', 'invoker', '', 'owner', 'C stream_restore_row'),
		('stream_internal.retention_hours(interval)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.revoke(text,text,regrole)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.rotate_key(text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.scale_on_demand(stream.streams)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.seal_segment(regclass)', 'invoker', '', 'owner', 'C stream_seal_segment'),
		('stream_internal.seal_segment_if_due(regclass,interval)', 'invoker', '', 'owner', 'C stream_seal_segment_if_due'),
		('stream_internal.segment_end(regclass,integer)', 'invoker', '', 'owner', 'C stream_segment_end'),
		('stream_internal.segment_info(regclass)', 'invoker', '', 'owner', 'C stream_segment_info'),
		('stream_internal.segment_start(integer)', 'invoker', '', 'owner', 'C stream_segment_start'),
		('stream_internal.set_change_feed(text,boolean)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.set_retention_period(text,interval)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.usable_key(text,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.set_key_enabled(text,boolean)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.shard_id(integer)', 'invoker', '', 'owner', 'C stream_shard_id'),
		('stream_internal.shard_load(integer,integer)', 'invoker', '', 'owner', 'C stream_shard_load'),
		('stream_internal.shard_no(text)', 'invoker', '', 'owner', 'C stream_shard_no'),
		('stream_internal.shard_segments(integer,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.split(stream.streams,stream.shards,numeric)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.split_shard(text,text,numeric)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.start_stream_encryption(text,text,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.stop_stream_encryption(text,text,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.stream_arn(text)', 'invoker', '', 'owner', 'C stream_stream_arn'),
		('stream_internal.stream_changed()', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.stream_log_handler(internal)', 'invoker', '', 'owner', 'C stream_log_handler'),
		('stream_internal.uniform_range(integer,integer)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'sql'),
		('stream_internal.update_shard_count(text,integer,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.update_stream_mode(text,text)', 'invoker', 'search_path=pg_catalog, pg_temp', 'owner', 'plpgsql'),
		('stream_internal.valid_stream_name(text)', 'invoker', '', 'owner', 'C stream_valid_stream_name'),
		('stream_internal.writable_segment(regclass[])', 'invoker', '', 'owner', 'C stream_writable_segment')
			  $$,
			  'the functions of the extension are exactly these, with these boundaries');

SELECT * FROM finish();
ROLLBACK;
