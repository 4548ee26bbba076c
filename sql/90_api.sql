
----------------------------------------------------------------------------
-- The control plane's API (shared/API.md)
----------------------------------------------------------------------------

-- Each of these is the one C function stream_control (src/kinesis/acl.c):
-- it checks the calling role's privilege for the call (its table
-- control_functions says which), then runs the function of the same name
-- and arguments in stream_internal as the extension's owner.

CREATE FUNCTION stream.create_stream(stream_name text, shard_count int DEFAULT 4,
									 stream_mode text DEFAULT 'PROVISIONED',
									 retention_period_hours int DEFAULT 24,
									 tags jsonb DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.delete_stream(stream_name text,
									 enforce_consumer_deletion boolean DEFAULT false)
	RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.list_streams()
	RETURNS TABLE(stream_name text, stream_arn text, stream_status text, stream_mode text,
				  stream_creation_timestamp timestamptz)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

-- A page of them (README, "Paging")
CREATE FUNCTION stream.list_streams(max_results int, next_token text DEFAULT NULL)
	RETURNS TABLE(stream_name text, stream_arn text, stream_status text, stream_mode text,
				  stream_creation_timestamp timestamptz, next_token text)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.describe_stream_summary(stream_name text)
	RETURNS TABLE(stream_name text, stream_arn text, stream_status text, stream_mode text,
				  retention_period_hours int, stream_creation_timestamp timestamptz,
				  encryption_type text, key_id text, open_shard_count int, consumer_count int,
				  change_feed boolean, shard_level_metrics text[])
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

CREATE FUNCTION stream.describe_stream(stream_name text) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

CREATE FUNCTION stream.list_shards(stream_name text, shard_filter text DEFAULT 'FROM_TRIM_HORIZON',
								   shard_id text DEFAULT NULL, "timestamp" timestamptz DEFAULT NULL)
	RETURNS TABLE(shard_id text, parent_shard_id text, adjacent_parent_shard_id text,
				  starting_hash_key numeric, ending_hash_key numeric,
				  starting_sequence_number numeric, ending_sequence_number numeric)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

-- A page of them: with next_token, stream_name, shard_id and timestamp are
-- NULL and the rest comes from the token (README, "Paging")
CREATE FUNCTION stream.list_shards(stream_name text, max_results int, next_token text DEFAULT NULL,
								   shard_filter text DEFAULT 'FROM_TRIM_HORIZON',
								   shard_id text DEFAULT NULL, "timestamp" timestamptz DEFAULT NULL)
	RETURNS TABLE(shard_id text, parent_shard_id text, adjacent_parent_shard_id text,
				  starting_hash_key numeric, ending_hash_key numeric,
				  starting_sequence_number numeric, ending_sequence_number numeric,
				  next_token text)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.increase_stream_retention_period(stream_name text,
														retention_period_hours int)
	RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.decrease_stream_retention_period(stream_name text,
														retention_period_hours int)
	RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.set_retention_period(stream_name text, retention_period interval)
	RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.split_shard(stream_name text, shard_to_split text,
								   new_starting_hash_key numeric) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.merge_shards(stream_name text, shard_to_merge text,
									adjacent_shard_to_merge text) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.update_shard_count(stream_name text, target_shard_count int,
										  scaling_type text DEFAULT 'UNIFORM_SCALING')
	RETURNS TABLE(current_shard_count int, target_shard_count int)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.update_stream_mode(stream_name text, stream_mode text) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

-- Privileges: privilege is read, write, describe, manage, create ('*' only)
-- or all; stream_name a stream or '*', every stream present and future.
CREATE FUNCTION stream.grant(privilege text, stream_name text, role regrole) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.revoke(privilege text, stream_name text, role regrole) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.privileges(stream_name text DEFAULT NULL)
	RETURNS TABLE(stream_name text, role regrole, privilege text, granted_by regrole)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

-- Keys (what KMS does): key_id is the uuid, its ARN, or 'alias/<alias>'.
CREATE FUNCTION stream.create_key(alias text, description text DEFAULT NULL)
	RETURNS TABLE(key_id uuid, key_arn text)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.list_keys()
	RETURNS TABLE(key_id uuid, key_arn text, alias text, enabled boolean, created_at timestamptz)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

CREATE FUNCTION stream.disable_key(key_id text) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.enable_key(key_id text) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.rotate_key(key_id text) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

-- Encryption at rest: encryption_type is 'KMS', key_id names a key as above.
CREATE FUNCTION stream.start_stream_encryption(stream_name text, encryption_type text, key_id text)
	RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.stop_stream_encryption(stream_name text, encryption_type text, key_id text)
	RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

-- The change feed (README, "The change feed")
CREATE FUNCTION stream.set_change_feed(stream_name text, enabled boolean) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

-- Registered consumers (README, "Registered consumers")
CREATE FUNCTION stream.register_stream_consumer(stream_name text, consumer_name text)
	RETURNS TABLE(consumer_name text, consumer_arn text, consumer_status text,
				  consumer_creation_timestamp timestamptz)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.deregister_stream_consumer(stream_name text, consumer_name text) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.describe_stream_consumer(stream_name text, consumer_name text)
	RETURNS TABLE(consumer_name text, consumer_arn text, consumer_status text,
				  consumer_creation_timestamp timestamptz, stream_arn text)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

CREATE FUNCTION stream.list_stream_consumers(stream_name text)
	RETURNS TABLE(consumer_name text, consumer_arn text, consumer_status text,
				  consumer_creation_timestamp timestamptz)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

-- A page of them (README, "Paging")
CREATE FUNCTION stream.list_stream_consumers(stream_name text, max_results int,
											 next_token text DEFAULT NULL)
	RETURNS TABLE(consumer_name text, consumer_arn text, consumer_status text,
				  consumer_creation_timestamp timestamptz, next_token text)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

-- Consumer applications (README, "Consumer applications"); consume is in
-- sql/79_applications.sql.
CREATE FUNCTION stream.create_application(application_name text, stream_name text,
										  initial_position text DEFAULT 'TRIM_HORIZON',
										  "timestamp" timestamptz DEFAULT NULL,
										  lease_duration interval DEFAULT '10 seconds')
	RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.drop_application(application_name text) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.checkpoint(application_name text, worker_id text, shard_id text,
								  sequence_number numeric) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.leases(application_name text)
	RETURNS TABLE(shard_id text, worker_id text, lease_expires_at timestamptz, checkpoint numeric,
				  parent_shard_ids text[], shard_end_reached boolean, millis_behind_latest bigint)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

-- Triggers (README, "Triggers"): the function is called with batches of
-- each shard by the extension's workers, as the role that made the trigger.
CREATE FUNCTION stream.create_trigger(trigger_name text, stream_name text, function regprocedure,
									  batch_size int DEFAULT 100,
									  maximum_batching_window interval DEFAULT '0',
									  starting_position text DEFAULT 'LATEST',
									  parallelization_factor int DEFAULT 1,
									  maximum_retry_attempts int DEFAULT -1,
									  bisect_batch_on_function_error boolean DEFAULT false,
									  on_failure_stream text DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.drop_trigger(trigger_name text) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

-- The triggers the calling role owns or may describe the stream of; the
-- view is what to query.
CREATE FUNCTION stream.triggers()
	RETURNS TABLE(trigger_name text, stream_name text, function regprocedure, owner regrole,
				  batch_size int, maximum_batching_window interval, starting_position text,
				  parallelization_factor int, maximum_retry_attempts int,
				  bisect_batch_on_function_error boolean, on_failure_stream text,
				  state text, last_error text, last_batch_at timestamptz,
				  millis_behind_latest bigint, records bigint, batches bigint,
				  failed_records bigint, lanes jsonb)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

CREATE VIEW stream.triggers AS SELECT * FROM stream.triggers();

-- Deliveries (README, "Deliveries"): the records copied to a table or to
-- files by the extension's workers, buffered by size and time.
CREATE FUNCTION stream.create_delivery(delivery_name text, stream_name text, destination text,
									   target text, buffer_size_mb int DEFAULT 5,
									   buffer_interval interval DEFAULT '300 seconds',
									   format text DEFAULT 'jsonl', compression text DEFAULT 'gzip')
	RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.drop_delivery(delivery_name text) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

-- The deliveries the calling role owns or may describe the stream of; the
-- view is what to query.
CREATE FUNCTION stream.deliveries()
	RETURNS TABLE(delivery_name text, stream_name text, destination text, target text,
				  owner regrole, buffer_size_mb int, buffer_interval interval, format text,
				  compression text, state text, last_error text, last_delivery_at timestamptz,
				  millis_behind_latest bigint, records bigint, deliveries bigint, shards jsonb)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

CREATE VIEW stream.deliveries AS SELECT * FROM stream.deliveries();

-- Access keys of the Kinesis endpoint (README, "The Kinesis endpoint"): a
-- member of a role makes, lists and deletes its keys; the secret is shown
-- once, by create_access_key.
CREATE FUNCTION stream.create_access_key(role regrole)
	RETURNS TABLE(access_key_id text, secret_access_key text)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.delete_access_key(access_key_id text) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.list_access_keys()
	RETURNS TABLE(access_key_id text, role regrole, created_by regrole, created_at timestamptz)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

-- Tags and limits (README, "Tags, limits and paging")
CREATE FUNCTION stream.add_tags_to_stream(stream_name text, tags jsonb) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.remove_tags_from_stream(stream_name text, tag_keys text[]) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.list_tags_for_stream(stream_name text)
	RETURNS TABLE(key text, value text)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

CREATE FUNCTION stream.describe_limits()
	RETURNS TABLE(shard_limit int, open_shard_count int, on_demand_stream_count int,
				  on_demand_stream_count_limit int)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

-- Metrics (README, "Metrics")
CREATE FUNCTION stream.get_metric_statistics(stream_name text, metric_name text,
											 start_time timestamptz, end_time timestamptz,
											 period interval DEFAULT '1 minute',
											 shard_id text DEFAULT NULL,
											 consumer_name text DEFAULT NULL)
	RETURNS TABLE(period_start timestamptz, sample_count bigint, sum float8, minimum float8,
				  maximum float8, average float8)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

CREATE FUNCTION stream.enable_enhanced_monitoring(stream_name text, shard_level_metrics text[])
	RETURNS text[]
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

CREATE FUNCTION stream.disable_enhanced_monitoring(stream_name text, shard_level_metrics text[])
	RETURNS text[]
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C;

-- Each stream the calling role may describe, its last minute (README,
-- "Metrics"); the view is what to query.
CREATE FUNCTION stream.stream_stats()
	RETURNS TABLE(stream_name text, minute timestamptz, incoming_records bigint,
				  incoming_bytes bigint, outgoing_records bigint, outgoing_bytes bigint,
				  iterator_age_milliseconds bigint, read_throttled bigint, write_throttled bigint,
				  application_lag jsonb)
	AS 'MODULE_PATHNAME', 'stream_control' LANGUAGE C STABLE;

CREATE VIEW stream.stream_stats AS SELECT * FROM stream.stream_stats();
