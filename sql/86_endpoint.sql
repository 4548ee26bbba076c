
----------------------------------------------------------------------------
-- The Kinesis endpoint (src/http/): access keys, and each action of the
-- Kinesis API as a call of the public functions
----------------------------------------------------------------------------

-- An access key stands for a role: a request signed with its secret runs
-- as that role.  The secret is kept sealed by the KMS root key (AES-256-GCM,
-- the key id authenticated with it), as AWS keeps secrets it must read back
-- to check signatures.
CREATE TABLE stream_internal.access_keys (
	access_key_id	text PRIMARY KEY,
	role			regrole NOT NULL,
	secret			bytea NOT NULL,
	created_by		regrole NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT pg_catalog.now()
);
REVOKE ALL ON stream_internal.access_keys FROM PUBLIC;

-- A new key id (AKIA and 16 of A-Z2-7), its secret (40 letters and digits)
-- and the secret sealed for access_keys.secret
CREATE FUNCTION stream_internal.new_access_key(OUT access_key_id text,
											   OUT secret_access_key text, OUT sealed bytea)
	AS 'MODULE_PATHNAME', 'stream_new_access_key' LANGUAGE C VOLATILE;

-- Keys for a role are made by its members (who can act as it anyway).
CREATE FUNCTION stream_internal.create_access_key(p_role regrole)
	RETURNS TABLE(access_key_id text, secret_access_key text)
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k record;
BEGIN
	IF p_role IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException', 'role must not be null');
	END IF;
	IF NOT pg_catalog.pg_has_role(stream_internal.caller(), p_role, 'MEMBER') THEN
		PERFORM stream_internal.raise('AccessDeniedException',
			pg_catalog.format('role "%s" may not create access keys for role "%s"',
							  stream_internal.caller(), p_role),
			'Members of a role may.');
	END IF;
	k := stream_internal.new_access_key();
	INSERT INTO stream_internal.access_keys AS a (access_key_id, role, secret, created_by)
		VALUES (k.access_key_id, p_role, k.sealed, stream_internal.caller());
	RETURN QUERY SELECT k.access_key_id, k.secret_access_key;
END
$$;

CREATE FUNCTION stream_internal.delete_access_key(p_access_key_id text)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k stream_internal.access_keys;
BEGIN
	SELECT * INTO k FROM stream_internal.access_keys a
	WHERE a.access_key_id = p_access_key_id FOR UPDATE;
	IF NOT FOUND OR NOT pg_catalog.pg_has_role(stream_internal.caller(), k.role, 'MEMBER') THEN
		PERFORM stream_internal.raise('ResourceNotFoundException',
			pg_catalog.format('access key "%s" does not exist',
							  stream_internal.quote(coalesce(p_access_key_id, ''))));
	END IF;
	DELETE FROM stream_internal.access_keys a WHERE a.access_key_id = k.access_key_id;
END
$$;

-- The keys of the roles the caller is a member of (never their secrets)
CREATE FUNCTION stream_internal.list_access_keys()
	RETURNS TABLE(access_key_id text, role regrole, created_by regrole, created_at timestamptz)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT a.access_key_id, a.role, a.created_by, a.created_at
	FROM stream_internal.access_keys a
	WHERE pg_catalog.pg_has_role(stream_internal.caller(), a.role, 'MEMBER')
	ORDER BY a.role::text, a.created_at, a.access_key_id
$$;

-- Keys of roles that were dropped go with them (the maintenance pass):
-- a new role could be given the old one's OID.
CREATE FUNCTION stream_internal.forget_dropped_access_keys()
	RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	DELETE FROM stream_internal.access_keys a
	WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = a.role)
$$;

----------------------------------------------------------------------------
-- The actions.  The endpoint's worker calls kinesis_<action>(request) as
-- the role of the request's access key, after checking the request against
-- the API model (src/http/validate.c) and putting StreamName (and
-- ConsumerName) in it when the request named an ARN instead.  They call
-- only the public functions, which check that role's privileges, and answer
-- with Kinesis' JSON; errors are mapped to Kinesis' exceptions by their
-- SQLSTATE.  Timestamps are epoch seconds with milliseconds, sequence
-- numbers strings, data base64.  (What they share is written out in each:
-- running as the caller, they may not call the extension's internal
-- functions.)
----------------------------------------------------------------------------

CREATE FUNCTION stream_internal.kinesis_create_stream(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	mode text := coalesce(req #>> '{StreamModeDetails,StreamMode}', 'PROVISIONED');
BEGIN
	IF mode = 'PROVISIONED' AND req->'ShardCount' IS NULL THEN
		RAISE EXCEPTION 'ShardCount is required for a stream in PROVISIONED mode'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- records are at most 1 MiB here, Kinesis' default (WarmThroughputMiBps,
	-- a capacity to keep ready, has nothing to act on and is ignored)
	IF (req->>'MaxRecordSizeInKiB')::int IS DISTINCT FROM 1024 AND req ? 'MaxRecordSizeInKiB' THEN
		RAISE EXCEPTION 'MaxRecordSizeInKiB must be 1024: records are at most 1 MiB'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM stream.create_stream(req->>'StreamName', coalesce((req->>'ShardCount')::int, 4), mode,
								 24, req->'Tags');
	RETURN '{}';
END
$$;

CREATE FUNCTION stream_internal.kinesis_delete_stream(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream.delete_stream(req->>'StreamName',
								 coalesce((req->>'EnforceConsumerDeletion')::boolean, false));
	RETURN '{}';
END
$$;

CREATE FUNCTION stream_internal.kinesis_describe_stream(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d jsonb := stream.describe_stream(req->>'StreamName');
	lim int := coalesce((req->>'Limit')::int, 100);
	shards jsonb;
	total int;
BEGIN
	SELECT coalesce(jsonb_agg(s ORDER BY o), '[]'), count(*) INTO shards, total
	FROM jsonb_array_elements(d->'Shards') WITH ORDINALITY AS e(s, o)
	WHERE req->>'ExclusiveStartShardId' IS NULL OR s->>'ShardId' > req->>'ExclusiveStartShardId';
	SELECT coalesce(jsonb_agg(s ORDER BY o), '[]') INTO shards
	FROM jsonb_array_elements(shards) WITH ORDINALITY AS e(s, o) WHERE o <= lim;
	d := d || jsonb_build_object(
		'Shards', shards,
		'HasMoreShards', total > lim,
		'StreamCreationTimestamp',
		round(extract(epoch FROM (d->>'StreamCreationTimestamp')::timestamptz), 3));
	RETURN jsonb_build_object('StreamDescription', d);
END
$$;

CREATE FUNCTION stream_internal.kinesis_describe_stream_summary(req jsonb) RETURNS jsonb
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('StreamDescriptionSummary', jsonb_strip_nulls(jsonb_build_object(
		'StreamName', d.stream_name,
		'StreamARN', d.stream_arn,
		'StreamStatus', d.stream_status,
		'StreamModeDetails', jsonb_build_object('StreamMode', d.stream_mode),
		'RetentionPeriodHours', d.retention_period_hours,
		'StreamCreationTimestamp', round(extract(epoch FROM d.stream_creation_timestamp), 3),
		'EnhancedMonitoring', jsonb_build_array(jsonb_build_object(
			'ShardLevelMetrics', to_jsonb(d.shard_level_metrics))),
		'EncryptionType', d.encryption_type,
		'KeyId', d.key_id,
		'OpenShardCount', d.open_shard_count,
		'ConsumerCount', d.consumer_count)))
	FROM stream.describe_stream_summary(req->>'StreamName') d
$$;

-- The first page by Limit (or ExclusiveStartStreamName), the next by NextToken
CREATE FUNCTION stream_internal.kinesis_list_streams(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	lim int := coalesce((req->>'Limit')::int, 100);
	streams jsonb;
	token text;
	n int;
BEGIN
	IF req->>'ExclusiveStartStreamName' IS NOT NULL THEN
		SELECT jsonb_agg(to_jsonb(l) ORDER BY l.stream_name), count(*) INTO streams, n
		FROM (SELECT * FROM stream.list_streams() x
			  WHERE x.stream_name > req->>'ExclusiveStartStreamName'
			  ORDER BY x.stream_name LIMIT lim + 1) l;
		IF n > lim THEN
			streams := streams - lim;
		END IF;
	ELSE
		SELECT jsonb_agg(to_jsonb(l) - 'next_token' ORDER BY l.stream_name), max(l.next_token), count(*)
		INTO streams, token, n
		FROM stream.list_streams(lim, req->>'NextToken') l;
	END IF;
	RETURN jsonb_strip_nulls(jsonb_build_object(
		'StreamNames', coalesce((SELECT jsonb_agg(s->'stream_name') FROM jsonb_array_elements(streams) s), '[]'),
		'HasMoreStreams', coalesce(n > lim OR token IS NOT NULL, false),
		'NextToken', token,
		'StreamSummaries', coalesce((SELECT jsonb_agg(jsonb_build_object(
			'StreamName', s->'stream_name',
			'StreamARN', s->'stream_arn',
			'StreamStatus', s->'stream_status',
			'StreamModeDetails', jsonb_build_object('StreamMode', s->'stream_mode'),
			'StreamCreationTimestamp',
			round(extract(epoch FROM (s->>'stream_creation_timestamp')::timestamptz), 3)))
			FROM jsonb_array_elements(streams) s), '[]')));
END
$$;

CREATE FUNCTION stream_internal.kinesis_list_shards(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	shards jsonb;
	token text;
	filter text := coalesce(req #>> '{ShardFilter,Type}', 'FROM_TRIM_HORIZON');
	start_after text := coalesce(req->>'ExclusiveStartShardId', req #>> '{ShardFilter,ShardId}');
BEGIN
	IF req->>'NextToken' IS NOT NULL AND req->>'StreamName' IS NOT NULL THEN
		RAISE EXCEPTION 'NextToken and StreamName cannot be provided together.'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF req->>'ExclusiveStartShardId' IS NOT NULL AND req->'ShardFilter' IS NULL THEN
		filter := 'AFTER_SHARD_ID';
	END IF;
	SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
			'ShardId', l.shard_id,
			'ParentShardId', l.parent_shard_id,
			'AdjacentParentShardId', l.adjacent_parent_shard_id,
			'HashKeyRange', jsonb_build_object('StartingHashKey', l.starting_hash_key::text,
											   'EndingHashKey', l.ending_hash_key::text),
			'SequenceNumberRange', jsonb_strip_nulls(jsonb_build_object(
				'StartingSequenceNumber', l.starting_sequence_number::text,
				'EndingSequenceNumber', l.ending_sequence_number::text))))
			ORDER BY l.ordinality),
		   max(l.next_token)
	INTO shards, token
	FROM stream.list_shards(req->>'StreamName', coalesce((req->>'MaxResults')::int, 1000),
							req->>'NextToken',
							CASE WHEN req->>'NextToken' IS NULL THEN filter END,
							CASE WHEN req->>'NextToken' IS NULL THEN start_after END,
							to_timestamp((req #>> '{ShardFilter,Timestamp}')::float8))
		 WITH ORDINALITY AS l;
	RETURN jsonb_strip_nulls(jsonb_build_object('Shards', coalesce(shards, '[]'),
												'NextToken', token));
END
$$;

CREATE FUNCTION stream_internal.kinesis_put_record(req jsonb) RETURNS jsonb
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('ShardId', p.shard_id,
							  'SequenceNumber', p.sequence_number::text,
							  'EncryptionType', p.encryption_type)
	FROM stream.put_record(req->>'StreamName', req->>'PartitionKey',
						   decode(req->>'Data', 'base64'),
						   (req->>'ExplicitHashKey')::numeric,
						   (req->>'SequenceNumberForOrdering')::numeric) p
$$;

-- PutRecords, GetRecords and SubscribeToShard carry records: written in C
-- (src/http/actions.c), their answers as JSON text
CREATE FUNCTION stream_internal.kinesis_put_records(req jsonb) RETURNS json
	AS 'MODULE_PATHNAME', 'stream_kinesis_put_records' LANGUAGE C VOLATILE STRICT;

CREATE FUNCTION stream_internal.kinesis_get_shard_iterator(req jsonb) RETURNS jsonb
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('ShardIterator',
		stream.get_shard_iterator(req->>'StreamName', req->>'ShardId', req->>'ShardIteratorType',
								  (req->>'StartingSequenceNumber')::numeric,
								  to_timestamp((req->>'Timestamp')::float8)))
$$;

CREATE FUNCTION stream_internal.kinesis_get_records(req jsonb) RETURNS json
	AS 'MODULE_PATHNAME', 'stream_kinesis_get_records' LANGUAGE C VOLATILE STRICT;

CREATE FUNCTION stream_internal.kinesis_increase_stream_retention_period(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream.increase_stream_retention_period(req->>'StreamName',
													(req->>'RetentionPeriodHours')::int);
	RETURN '{}';
END
$$;

CREATE FUNCTION stream_internal.kinesis_decrease_stream_retention_period(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream.decrease_stream_retention_period(req->>'StreamName',
													(req->>'RetentionPeriodHours')::int);
	RETURN '{}';
END
$$;

CREATE FUNCTION stream_internal.kinesis_split_shard(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream.split_shard(req->>'StreamName', req->>'ShardToSplit',
							   (req->>'NewStartingHashKey')::numeric);
	RETURN '{}';
END
$$;

CREATE FUNCTION stream_internal.kinesis_merge_shards(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream.merge_shards(req->>'StreamName', req->>'ShardToMerge',
								req->>'AdjacentShardToMerge');
	RETURN '{}';
END
$$;

CREATE FUNCTION stream_internal.kinesis_update_shard_count(req jsonb) RETURNS jsonb
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('StreamName', req->>'StreamName',
							  'CurrentShardCount', u.current_shard_count,
							  'TargetShardCount', u.target_shard_count,
							  'StreamARN', (SELECT d.stream_arn
											FROM stream.list_streams() d
											WHERE d.stream_name = req->>'StreamName'))
	FROM stream.update_shard_count(req->>'StreamName', (req->>'TargetShardCount')::int,
								   req->>'ScalingType') u
$$;

CREATE FUNCTION stream_internal.kinesis_update_stream_mode(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream.update_stream_mode(req->>'StreamName', req #>> '{StreamModeDetails,StreamMode}');
	RETURN '{}';
END
$$;

CREATE FUNCTION stream_internal.kinesis_add_tags_to_stream(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream.add_tags_to_stream(req->>'StreamName', req->'Tags');
	RETURN '{}';
END
$$;

CREATE FUNCTION stream_internal.kinesis_remove_tags_from_stream(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream.remove_tags_from_stream(req->>'StreamName',
		ARRAY(SELECT jsonb_array_elements_text(req->'TagKeys')));
	RETURN '{}';
END
$$;

CREATE FUNCTION stream_internal.kinesis_list_tags_for_stream(req jsonb) RETURNS jsonb
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH t AS (
		SELECT l.key, l.value FROM stream.list_tags_for_stream(req->>'StreamName') l
		WHERE req->>'ExclusiveStartTagKey' IS NULL OR l.key > req->>'ExclusiveStartTagKey'
		ORDER BY l.key LIMIT coalesce((req->>'Limit')::int, 50) + 1)
	SELECT jsonb_build_object(
		'Tags', coalesce((SELECT jsonb_agg(jsonb_build_object('Key', x.key, 'Value', x.value) ORDER BY x.key)
						  FROM (SELECT * FROM t ORDER BY t.key LIMIT coalesce((req->>'Limit')::int, 50)) x), '[]'),
		'HasMoreTags', (SELECT count(*) FROM t) > coalesce((req->>'Limit')::int, 50))
$$;

-- Tags by ARN (TagResource, UntagResource, ListTagsForResource): a
-- stream's are the tags above (the endpoint refuses a consumer's ARN:
-- consumers keep no tags here)
CREATE FUNCTION stream_internal.kinesis_tag_resource(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream.add_tags_to_stream(req->>'StreamName', req->'Tags');
	RETURN '{}';
END
$$;

CREATE FUNCTION stream_internal.kinesis_untag_resource(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream.remove_tags_from_stream(req->>'StreamName',
		ARRAY(SELECT jsonb_array_elements_text(req->'TagKeys')));
	RETURN '{}';
END
$$;

CREATE FUNCTION stream_internal.kinesis_list_tags_for_resource(req jsonb) RETURNS jsonb
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('Tags', coalesce(jsonb_agg(jsonb_build_object('Key', l.key, 'Value', l.value)
													 ORDER BY l.key), '[]'))
	FROM stream.list_tags_for_stream(req->>'StreamName') l
$$;

CREATE FUNCTION stream_internal.kinesis_register_stream_consumer(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c record;
BEGIN
	-- consumers keep no tags here: refused, not dropped
	IF req->'Tags' IS NOT NULL AND req->'Tags' <> '{}' THEN
		RAISE EXCEPTION 'tags of consumers are not kept: tag the stream'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT * INTO c FROM stream.register_stream_consumer(req->>'StreamName', req->>'ConsumerName');
	RETURN jsonb_build_object('Consumer', jsonb_build_object(
		'ConsumerName', c.consumer_name,
		'ConsumerARN', c.consumer_arn,
		'ConsumerStatus', c.consumer_status,
		'ConsumerCreationTimestamp', round(extract(epoch FROM c.consumer_creation_timestamp), 3)));
END
$$;

CREATE FUNCTION stream_internal.kinesis_deregister_stream_consumer(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream.deregister_stream_consumer(req->>'StreamName', req->>'ConsumerName');
	RETURN '{}';
END
$$;

CREATE FUNCTION stream_internal.kinesis_describe_stream_consumer(req jsonb) RETURNS jsonb
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('ConsumerDescription', jsonb_build_object(
		'ConsumerName', c.consumer_name,
		'ConsumerARN', c.consumer_arn,
		'ConsumerStatus', c.consumer_status,
		'ConsumerCreationTimestamp', round(extract(epoch FROM c.consumer_creation_timestamp), 3),
		'StreamARN', c.stream_arn))
	FROM stream.describe_stream_consumer(req->>'StreamName', req->>'ConsumerName') c
$$;

-- A page of at most 100, by name, as Kinesis: MaxResults above 100 is 100
CREATE FUNCTION stream_internal.kinesis_list_stream_consumers(req jsonb) RETURNS jsonb
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH page AS (
		SELECT * FROM stream.list_stream_consumers(req->>'StreamName',
			least(coalesce((req->>'MaxResults')::int, 100), 100), req->>'NextToken'))
	SELECT jsonb_strip_nulls(jsonb_build_object(
		'Consumers', coalesce((SELECT jsonb_agg(jsonb_build_object(
				'ConsumerName', p.consumer_name,
				'ConsumerARN', p.consumer_arn,
				'ConsumerStatus', p.consumer_status,
				'ConsumerCreationTimestamp', round(extract(epoch FROM p.consumer_creation_timestamp), 3))
			ORDER BY p.consumer_name COLLATE "C") FROM page p), '[]'),
		'NextToken', (SELECT max(p.next_token) FROM page p)))
$$;

CREATE FUNCTION stream_internal.kinesis_describe_limits(req jsonb) RETURNS jsonb
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('ShardLimit', l.shard_limit,
							  'OpenShardCount', l.open_shard_count,
							  'OnDemandStreamCount', l.on_demand_stream_count,
							  'OnDemandStreamCountLimit', l.on_demand_stream_count_limit)
	FROM stream.describe_limits() l
$$;

CREATE FUNCTION stream_internal.kinesis_enable_enhanced_monitoring(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d record;
	after text[];
BEGIN
	SELECT s.stream_arn, s.shard_level_metrics INTO d
	FROM stream.describe_stream_summary(req->>'StreamName') s;
	after := stream.enable_enhanced_monitoring(req->>'StreamName',
		ARRAY(SELECT jsonb_array_elements_text(req->'ShardLevelMetrics')));
	RETURN jsonb_build_object('StreamName', req->>'StreamName', 'StreamARN', d.stream_arn,
							  'CurrentShardLevelMetrics', to_jsonb(d.shard_level_metrics),
							  'DesiredShardLevelMetrics', to_jsonb(after));
END
$$;

CREATE FUNCTION stream_internal.kinesis_disable_enhanced_monitoring(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d record;
	after text[];
BEGIN
	SELECT s.stream_arn, s.shard_level_metrics INTO d
	FROM stream.describe_stream_summary(req->>'StreamName') s;
	after := stream.disable_enhanced_monitoring(req->>'StreamName',
		ARRAY(SELECT jsonb_array_elements_text(req->'ShardLevelMetrics')));
	RETURN jsonb_build_object('StreamName', req->>'StreamName', 'StreamARN', d.stream_arn,
							  'CurrentShardLevelMetrics', to_jsonb(d.shard_level_metrics),
							  'DesiredShardLevelMetrics', to_jsonb(after));
END
$$;

CREATE FUNCTION stream_internal.kinesis_start_stream_encryption(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream.start_stream_encryption(req->>'StreamName', req->>'EncryptionType', req->>'KeyId');
	RETURN '{}';
END
$$;

CREATE FUNCTION stream_internal.kinesis_stop_stream_encryption(req jsonb) RETURNS jsonb
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream.stop_stream_encryption(req->>'StreamName', req->>'EncryptionType', req->>'KeyId');
	RETURN '{}';
END
$$;

-- One batch of a subscription, as a SubscribeToShardEvent: the endpoint
-- calls it first with the request's StartingPosition, then again and again
-- with AFTER_SEQUENCE_NUMBER of its ContinuationSequenceNumber, for up to 5
-- minutes (src/http/request.c); it never waits (the worker serves others).
CREATE FUNCTION stream_internal.kinesis_subscribe_to_shard(req jsonb) RETURNS json
	AS 'MODULE_PATHNAME', 'stream_kinesis_subscribe_to_shard' LANGUAGE C VOLATILE STRICT;
