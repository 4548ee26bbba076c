\set ECHO none
\i test/sql/lib/setup.sql
-- The SQL contract of API.md, letter by letter: every function's arguments
-- (names, types, defaults) and result, and the composite types.
BEGIN;
SELECT plan(20);

\i test/sql/lib/helpers.sql

SELECT is(pg_temp.signature('stream.create_stream(text, int, text, int, jsonb)'),
		  'stream_name text, shard_count integer DEFAULT 4, '
		  'stream_mode text DEFAULT ''PROVISIONED''::text, '
		  'retention_period_hours integer DEFAULT 24, tags jsonb DEFAULT NULL::jsonb -> void',
		  'create_stream (with the tags of part two)');
SELECT is(pg_temp.signature('stream.delete_stream(text, boolean)'),
		  'stream_name text, enforce_consumer_deletion boolean DEFAULT false -> void',
		  'delete_stream');
SELECT is(pg_temp.signature('stream.list_streams()'),
		  ' -> TABLE(stream_name text, stream_arn text, stream_status text, stream_mode text, '
		  'stream_creation_timestamp timestamp with time zone)',
		  'list_streams');
SELECT is(pg_temp.signature('stream.describe_stream_summary(text)'),
		  'stream_name text -> TABLE(stream_name text, stream_arn text, stream_status text, '
		  'stream_mode text, retention_period_hours integer, '
		  'stream_creation_timestamp timestamp with time zone, encryption_type text, key_id text, '
		  'open_shard_count integer, consumer_count integer, change_feed boolean, '
		  'shard_level_metrics text[])',
		  'describe_stream_summary (and the columns of the change feed and enhanced monitoring after API.md''s)');
SELECT is(pg_temp.signature('stream.describe_stream(text)'),
		  'stream_name text -> jsonb', 'describe_stream');
SELECT is(pg_temp.signature('stream.list_shards(text, text, text, timestamptz)'),
		  'stream_name text, shard_filter text DEFAULT ''FROM_TRIM_HORIZON''::text, '
		  'shard_id text DEFAULT NULL::text, "timestamp" timestamp with time zone DEFAULT NULL::timestamp with time zone'
		  ' -> TABLE(shard_id text, parent_shard_id text, adjacent_parent_shard_id text, '
		  'starting_hash_key numeric, ending_hash_key numeric, '
		  'starting_sequence_number numeric, ending_sequence_number numeric)',
		  'list_shards');
SELECT is(pg_temp.signature('stream.increase_stream_retention_period(text, int)'),
		  'stream_name text, retention_period_hours integer -> void',
		  'increase_stream_retention_period');
SELECT is(pg_temp.signature('stream.decrease_stream_retention_period(text, int)'),
		  'stream_name text, retention_period_hours integer -> void',
		  'decrease_stream_retention_period');
SELECT is(pg_temp.signature('stream.set_retention_period(text, interval)'),
		  'stream_name text, retention_period interval -> void',
		  'set_retention_period');
SELECT is(pg_temp.signature('stream.put_record(text, text, bytea, numeric, numeric)'),
		  'stream_name text, partition_key text, data bytea, '
		  'explicit_hash_key numeric DEFAULT NULL::numeric, '
		  'sequence_number_for_ordering numeric DEFAULT NULL::numeric, '
		  'OUT shard_id text, OUT sequence_number numeric, OUT encryption_type text -> record',
		  'put_record');
SELECT is(pg_temp.signature('stream.put_records(text, stream.put_records_request_entry[])'),
		  'stream_name text, records stream.put_records_request_entry[] -> '
		  'TABLE(ordinality integer, shard_id text, sequence_number numeric, error_code text, '
		  'error_message text)',
		  'put_records, composite form');
SELECT is(pg_temp.signature('stream.put_records(text, text[], bytea[])'),
		  'stream_name text, partition_keys text[], data bytea[] -> '
		  'TABLE(ordinality integer, shard_id text, sequence_number numeric, error_code text, '
		  'error_message text)',
		  'put_records, arrays form');
SELECT is(pg_temp.signature('stream.get_shard_iterator(text, text, text, numeric, timestamptz)'),
		  'stream_name text, shard_id text, shard_iterator_type text, '
		  'starting_sequence_number numeric DEFAULT NULL::numeric, '
		  '"timestamp" timestamp with time zone DEFAULT NULL::timestamp with time zone -> text',
		  'get_shard_iterator');
SELECT is(pg_temp.signature('stream.get_records(text, int, interval)'),
		  'shard_iterator text, "limit" integer DEFAULT 10000, wait interval DEFAULT ''@ 0''::interval, '
		  'OUT records stream.record[], '
		  'OUT next_shard_iterator text, OUT millis_behind_latest bigint, OUT child_shards jsonb'
		  ' -> record',
		  'get_records');
SELECT is(pg_temp.signature('stream.read(text, text, numeric, timestamptz, bigint)'),
		  'stream_name text, shard_id text DEFAULT NULL::text, '
		  'after_sequence_number numeric DEFAULT NULL::numeric, '
		  'since timestamp with time zone DEFAULT NULL::timestamp with time zone, '
		  '"limit" bigint DEFAULT NULL::bigint -> TABLE(shard_id text, sequence_number numeric, '
		  'approximate_arrival_timestamp timestamp with time zone, partition_key text, data bytea)',
		  'read');
SELECT is(pg_temp.signature('stream.hash_key(text)'), 'partition_key text -> numeric', 'hash_key');

-- Composite types.
SELECT results_eq(
	$$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod) FROM pg_attribute
	  WHERE attrelid = 'stream.put_records_request_entry'::regclass AND attnum > 0
	  ORDER BY attnum$$,
	$$VALUES ('data', 'bytea'), ('partition_key', 'text'), ('explicit_hash_key', 'numeric')$$,
	'stream.put_records_request_entry');
SELECT results_eq(
	$$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod) FROM pg_attribute
	  WHERE attrelid = 'stream.record'::regclass AND attnum > 0
	  ORDER BY attnum$$,
	$$VALUES ('sequence_number', 'numeric'),
			 ('approximate_arrival_timestamp', 'timestamp with time zone'),
			 ('data', 'bytea'), ('partition_key', 'text'), ('encryption_type', 'text')$$,
	'stream.record');

-- The extension's schemas and GUC defaults.
SELECT results_eq(
	$$SELECT name::text COLLATE "default", boot_val::text COLLATE "default" FROM pg_settings
	  WHERE name IN ('stream.iterator_ttl', 'stream.shard_limit', 'stream.region',
					 'stream.account_id')
	  ORDER BY name$$,
	$$VALUES ('stream.account_id'::text, '000000000000'::text), ('stream.iterator_ttl', '300'),
			 ('stream.region', 'local-1'), ('stream.shard_limit', '500')$$,
	'GUC defaults: iterator_ttl 300 s, shard_limit 500, region local-1, account 000000000000');
SELECT has_schema('stream_data', 'segment relations live in schema stream_data');

SELECT * FROM finish();
ROLLBACK;
