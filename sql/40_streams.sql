
----------------------------------------------------------------------------
-- Streams: create, delete, list, describe
----------------------------------------------------------------------------

-- Finds a stream by name and locks its catalog row for a control-plane change.
CREATE FUNCTION stream_internal.lock_stream(p_stream_name text) RETURNS stream.streams
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams;
BEGIN
	IF p_stream_name IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
									  'stream name must not be null');
	END IF;
	SELECT * INTO s FROM stream.streams WHERE stream_name = p_stream_name FOR UPDATE;
	-- the caller's privilege on the row found: stream_control checked the
	-- name under another snapshot
	IF NOT FOUND THEN
		PERFORM stream_internal.authorize_stream(p_stream_name, NULL);
		PERFORM stream_internal.raise('ResourceNotFoundException',
			pg_catalog.format('stream "%s" does not exist', stream_internal.quote(p_stream_name)));
	END IF;
	PERFORM stream_internal.authorize_stream(p_stream_name, s.acl);
	RETURN s;
END
$$;

-- Finds a stream by name, to read it.
CREATE FUNCTION stream_internal.find_stream(p_stream_name text) RETURNS stream.streams
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams;
BEGIN
	IF p_stream_name IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
									  'stream name must not be null');
	END IF;
	SELECT * INTO s FROM stream.streams WHERE stream_name = p_stream_name;
	-- the caller's privilege on the row found: stream_control checked the
	-- name under another snapshot
	IF NOT FOUND THEN
		PERFORM stream_internal.authorize_stream(p_stream_name, NULL);
		PERFORM stream_internal.raise('ResourceNotFoundException',
			pg_catalog.format('stream "%s" does not exist', stream_internal.quote(p_stream_name)));
	END IF;
	PERFORM stream_internal.authorize_stream(p_stream_name, s.acl);
	RETURN s;
END
$$;

-- The number of a shard id given by a caller; InvalidArgumentException
-- unless it is one.
CREATE FUNCTION stream_internal.check_shard_id(p_shard_id text) RETURNS int
	LANGUAGE plpgsql IMMUTABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n int := stream_internal.shard_no(p_shard_id);
BEGIN
	IF n IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid shard id "%s"', stream_internal.quote(coalesce(p_shard_id, 'NULL'))),
			'A shard id is "shardId-" and 12 digits.');
	END IF;
	RETURN n;
END
$$;

-- A stream locked for a change that Kinesis allows only while it is ACTIVE.
CREATE FUNCTION stream_internal.lock_active_stream(p_stream_name text) RETURNS stream.streams
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.lock_stream(p_stream_name);
BEGIN
	IF s.stream_status <> 'ACTIVE' THEN
		PERFORM stream_internal.raise('ResourceInUseException',
			pg_catalog.format('stream "%s" is %s, not ACTIVE', s.stream_name, s.stream_status));
	END IF;
	RETURN s;
END
$$;

-- Raises LimitExceededException when "more" open shards would pass
-- stream.shard_limit; "what" says what would add them.
CREATE FUNCTION stream_internal.check_shard_limit(more int, what text) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	open_shards bigint;
	shard_limit int := pg_catalog.current_setting('stream.shard_limit')::int;
BEGIN
	SELECT pg_catalog.count(*) INTO open_shards FROM stream.shards WHERE closed_at IS NULL;
	IF open_shards + more > shard_limit THEN
		PERFORM stream_internal.raise('LimitExceededException',
			pg_catalog.format('%s would exceed the shard limit of %s', what, shard_limit),
			pg_catalog.format('%s shards are open in this database; stream.shard_limit sets the limit.',
							  open_shards));
	END IF;
END
$$;

CREATE FUNCTION stream_internal.create_stream(stream_name text, shard_count int DEFAULT 4,
									 stream_mode text DEFAULT 'PROVISIONED',
									 retention_period_hours int DEFAULT 24,
									 tags jsonb DEFAULT NULL)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p_name text := stream_name;
	new_id int;
	s stream.streams;
BEGIN
	IF p_name IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
									  'stream name must not be null');
	END IF;
	IF NOT stream_internal.valid_stream_name(p_name) THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid stream name "%s"', stream_internal.quote(p_name)),
			'A stream name has 1 to 128 characters, each a letter, a digit, "_", "." or "-".');
	END IF;
	IF shard_count IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
									  'shard count must not be null');
	END IF;
	IF shard_count < 1 THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid shard count %s', shard_count),
			'A stream has at least 1 shard.');
	END IF;
	PERFORM stream_internal.check_stream_mode(stream_mode);
	PERFORM stream_internal.check_retention_hours(retention_period_hours);
	IF tags IS NOT NULL THEN
		PERFORM stream_internal.check_tags(tags);
	END IF;

	-- Serialize stream creation so that the shard limit holds.
	LOCK TABLE stream.streams IN SHARE ROW EXCLUSIVE MODE;
	IF EXISTS (SELECT 1 FROM stream.streams x WHERE x.stream_name = p_name) THEN
		PERFORM stream_internal.raise('ResourceExistsException',
			pg_catalog.format('stream "%s" already exists', p_name));
	END IF;
	PERFORM stream_internal.check_shard_limit(shard_count,
		pg_catalog.format('creating stream "%s" with %s shards', p_name, shard_count));
	IF stream_mode = 'ON_DEMAND' THEN
		PERFORM stream_internal.check_on_demand_limit(
			pg_catalog.format('creating stream "%s" in on-demand mode', p_name));
	END IF;

	INSERT INTO stream.streams (stream_name, stream_mode, retention_period, next_shard_no,
								next_segment_no)
		VALUES (p_name, stream_mode,
				pg_catalog.make_interval(hours => retention_period_hours),
				shard_count, shard_count + 1)
		RETURNING stream_id INTO new_id;

	INSERT INTO stream.shards (stream_id, shard_no, starting_hash_key, ending_hash_key,
							   starting_sequence_number)
		SELECT new_id, n, r.starting_hash_key, r.ending_hash_key,
			   stream_internal.segment_start(n + 1)
		FROM pg_catalog.generate_series(0, shard_count - 1) AS n,
			 stream_internal.uniform_range(n, shard_count) AS r;

	INSERT INTO stream.segments (stream_id, segment_no, shard_no, relation)
		SELECT new_id, n + 1, n, stream_internal.create_segment(new_id, n, n + 1)
		FROM pg_catalog.generate_series(0, shard_count - 1) AS n;

	-- its privileges: a view that the calling role owns (src/kinesis/acl.c)
	UPDATE stream.streams
		SET acl = stream_internal.create_stream_acl(new_id, stream_internal.caller())
		WHERE stream_id = new_id
		RETURNING * INTO s;
	IF tags IS NOT NULL THEN
		PERFORM stream_internal.put_tags(s, tags);
	END IF;
END
$$;

CREATE FUNCTION stream_internal.delete_stream(stream_name text,
									 enforce_consumer_deletion boolean DEFAULT false)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.lock_stream(stream_name);
	n_consumers bigint;
	seg regclass;
BEGIN
	SELECT pg_catalog.count(*) INTO n_consumers
	FROM stream.consumers c WHERE c.stream_id = s.stream_id;
	IF n_consumers > 0 AND NOT coalesce(enforce_consumer_deletion, false) THEN
		PERFORM stream_internal.raise('ResourceInUseException',
			pg_catalog.format('stream "%s" has %s registered consumers',
							  s.stream_name, n_consumers),
			'Deregister them first, or delete with enforce_consumer_deletion => true.');
	END IF;
	FOR seg IN SELECT relation FROM stream.segments g WHERE g.stream_id = s.stream_id LOOP
		PERFORM stream_internal.drop_segment(seg);
	END LOOP;
	IF s.acl IS NOT NULL THEN
		PERFORM stream_internal.drop_stream_acl(s.acl);
	END IF;
	DELETE FROM stream.streams WHERE stream_id = s.stream_id;
END
$$;

-- The streams the calling role may describe.
CREATE FUNCTION stream_internal.list_streams()
	RETURNS TABLE(stream_name text, stream_arn text, stream_status text, stream_mode text,
				  stream_creation_timestamp timestamptz)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY
	SELECT s.stream_name, stream_internal.stream_arn(s.stream_name), s.stream_status,
		   s.stream_mode, s.created_at
	FROM stream.streams s
	WHERE stream_internal.has_privilege(stream_internal.caller(), s.acl, 'describe')
	ORDER BY s.stream_name;
END
$$;

-- A page of max_results of them, from where next_token says (README,
-- "Paging"): the streams by name, each row with the token of the next page,
-- NULL on the last.
CREATE FUNCTION stream_internal.list_streams(p_max_results int, p_next_token text)
	RETURNS TABLE(o_stream_name text, o_stream_arn text, o_stream_status text, o_stream_mode text,
				  o_stream_creation_timestamp timestamptz, o_next_token text)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	after text;
	names text[];
	token text;
BEGIN
	PERFORM stream_internal.check_max_results(p_max_results);
	IF p_next_token IS NOT NULL THEN
		after := stream_internal.next_token_state('list_streams', p_next_token);
	END IF;
	names := ARRAY(
		SELECT s.stream_name FROM stream.streams s
		WHERE stream_internal.has_privilege(stream_internal.caller(), s.acl, 'describe')
		  AND (after IS NULL OR s.stream_name COLLATE "C" > after)
		ORDER BY s.stream_name COLLATE "C"
		LIMIT p_max_results + 1);
	IF pg_catalog.cardinality(names) > p_max_results THEN
		token := stream_internal.next_token('list_streams', names[p_max_results]);
	END IF;
	RETURN QUERY
	SELECT s.stream_name, stream_internal.stream_arn(s.stream_name), s.stream_status,
		   s.stream_mode, s.created_at, token
	FROM stream.streams s
	WHERE s.stream_name = ANY (names[1:p_max_results])
	ORDER BY s.stream_name COLLATE "C";
END
$$;

-- InvalidArgumentException unless a page size is from 1 to 10,000.
CREATE FUNCTION stream_internal.check_max_results(p_max_results int) RETURNS void
	LANGUAGE plpgsql IMMUTABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF p_max_results IS NULL OR p_max_results NOT BETWEEN 1 AND 10000 THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('max_results %s is out of range', coalesce(p_max_results::text, 'NULL')),
			'A page has from 1 to 10000 rows.');
	END IF;
END
$$;

CREATE FUNCTION stream_internal.describe_stream_summary(p_stream_name text)
	RETURNS TABLE(stream_name text, stream_arn text, stream_status text, stream_mode text,
				  retention_period_hours int, stream_creation_timestamp timestamptz,
				  encryption_type text, key_id text, open_shard_count int, consumer_count int,
				  change_feed boolean, shard_level_metrics text[])
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY
	SELECT s.stream_name, stream_internal.stream_arn(s.stream_name), s.stream_status,
		   s.stream_mode, stream_internal.retention_hours(s.retention_period), s.created_at,
		   s.encryption_type, s.key_id,
		   (SELECT pg_catalog.count(*)::int FROM stream.shards h
			WHERE h.stream_id = s.stream_id AND h.closed_at IS NULL),
		   (SELECT pg_catalog.count(*)::int FROM stream.consumers c
			WHERE c.stream_id = s.stream_id),
		   s.change_feed, s.shard_level_metrics
	FROM stream_internal.find_stream($1) s;
END
$$;

-- list_shards: PL/pgSQL's output columns may not share the names of the
-- parameters, so these are named o_...; stream.list_shards has API.md's.
CREATE FUNCTION stream_internal.list_shards(p_stream_name text, shard_filter text,
											p_shard_id text, p_time timestamptz)
	RETURNS TABLE(o_shard_id text, o_parent_shard_id text, o_adjacent_parent_shard_id text,
				  o_starting_hash_key numeric, o_ending_hash_key numeric,
				  o_starting_sequence_number numeric, o_ending_sequence_number numeric)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.find_stream(p_stream_name);
	after_no int := -1;
	horizon timestamptz;
BEGIN
	IF shard_filter IS NULL OR shard_filter NOT IN ('AFTER_SHARD_ID', 'AT_TRIM_HORIZON',
			'FROM_TRIM_HORIZON', 'AT_LATEST', 'AT_TIMESTAMP', 'FROM_TIMESTAMP') THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid shard filter "%s"',
							  stream_internal.quote(coalesce(shard_filter, 'NULL'))),
			'The shard filters are AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP and FROM_TIMESTAMP.');
	END IF;
	IF p_shard_id IS NOT NULL THEN
		after_no := stream_internal.check_shard_id(p_shard_id);
	ELSIF shard_filter = 'AFTER_SHARD_ID' THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
									  'shard filter AFTER_SHARD_ID needs a shard id');
	END IF;
	IF shard_filter IN ('AT_TIMESTAMP', 'FROM_TIMESTAMP') AND p_time IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('shard filter %s needs a timestamp', shard_filter));
	END IF;

	-- The trim horizon: the oldest moment whose records are still retained.
	horizon := greatest(s.created_at, pg_catalog.clock_timestamp() - s.retention_period);

	RETURN QUERY
	SELECT stream_internal.shard_id(h.shard_no),
		   stream_internal.shard_id(h.parent_shard_no),
		   stream_internal.shard_id(h.adjacent_parent_shard_no),
		   h.starting_hash_key, h.ending_hash_key,
		   h.starting_sequence_number, h.ending_sequence_number
	FROM stream.shards h
	WHERE h.stream_id = s.stream_id
	  AND h.shard_no > after_no
	  AND CASE shard_filter
			WHEN 'AT_LATEST' THEN h.closed_at IS NULL
			WHEN 'AT_TRIM_HORIZON' THEN
				h.created_at <= horizon AND (h.closed_at IS NULL OR h.closed_at > horizon)
			WHEN 'AT_TIMESTAMP' THEN
				h.created_at <= greatest(p_time, horizon)
				AND (h.closed_at IS NULL OR h.closed_at > greatest(p_time, horizon))
			WHEN 'FROM_TIMESTAMP' THEN
				h.closed_at IS NULL OR h.closed_at > greatest(p_time, horizon)
			ELSE h.closed_at IS NULL OR h.closed_at > horizon
		  END
	ORDER BY h.shard_no;
END
$$;

-- A page of list_shards: max_results shards of a stream, from where
-- next_token says (which holds the stream and the filter: those arguments
-- are then NULL, shard_filter aside, which is taken from the token).
CREATE FUNCTION stream_internal.list_shards(p_stream_name text, p_max_results int,
											p_next_token text, p_shard_filter text,
											p_shard_id text, p_time timestamptz)
	RETURNS TABLE(o_shard_id text, o_parent_shard_id text, o_adjacent_parent_shard_id text,
				  o_starting_hash_key numeric, o_ending_hash_key numeric,
				  o_starting_sequence_number numeric, o_ending_sequence_number numeric,
				  o_next_token text)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	state jsonb;
	name text := p_stream_name;
	filter text := p_shard_filter;
	sid text := p_shard_id;
	ts timestamptz := p_time;
	after_no int := -1;
	id int;
BEGIN
	PERFORM stream_internal.check_max_results(p_max_results);
	IF p_next_token IS NOT NULL THEN
		IF p_stream_name IS NOT NULL OR p_shard_id IS NOT NULL OR p_time IS NOT NULL THEN
			PERFORM stream_internal.raise('InvalidArgumentException',
				'a next token is given without stream name, shard id or timestamp',
				'The token holds them, from the call that listed the first page.');
		END IF;
		state := stream_internal.next_token_state('list_shards', p_next_token)::jsonb;
		id := (state->>'stream_id')::int;
		SELECT x.stream_name INTO name FROM stream.streams x WHERE x.stream_id = id;
		IF NOT FOUND THEN
			PERFORM stream_internal.raise('ResourceNotFoundException',
										  'the stream of the next token no longer exists');
		END IF;
		filter := state->>'shard_filter';
		sid := state->>'shard_id';
		ts := (state->>'timestamp')::timestamptz;
		after_no := (state->>'after')::int;
	END IF;
	-- the rule of list_shards, and its privilege check, in one place; one
	-- row more than the page says whether there is a next one
	RETURN QUERY
	WITH listed AS MATERIALIZED (
		SELECT l.*, stream_internal.shard_no(l.o_shard_id) AS shard_no
		FROM stream_internal.list_shards(name, filter, sid, ts) l
		WHERE stream_internal.shard_no(l.o_shard_id) > after_no
		ORDER BY 8
		LIMIT p_max_results + 1),
	page_token AS (
		SELECT CASE WHEN pg_catalog.count(*) > p_max_results THEN
				   stream_internal.next_token('list_shards', pg_catalog.jsonb_build_object(
					   'stream_id', (SELECT x.stream_id FROM stream.streams x WHERE x.stream_name = name),
					   'shard_filter', filter, 'shard_id', sid, 'timestamp', ts,
					   'after', (pg_catalog.array_agg(listed.shard_no ORDER BY listed.shard_no))[p_max_results]
				   )::text) END AS token
		FROM listed)
	SELECT listed.o_shard_id, listed.o_parent_shard_id, listed.o_adjacent_parent_shard_id,
		   listed.o_starting_hash_key, listed.o_ending_hash_key, listed.o_starting_sequence_number,
		   listed.o_ending_sequence_number, page_token.token
	FROM listed, page_token
	ORDER BY listed.shard_no
	LIMIT p_max_results;
END
$$;

CREATE FUNCTION stream_internal.describe_stream(stream_name text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.find_stream(stream_name);
	shards jsonb;
BEGIN
	SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
			'ShardId', l.shard_id,
			'ParentShardId', l.parent_shard_id,
			'AdjacentParentShardId', l.adjacent_parent_shard_id,
			'HashKeyRange', pg_catalog.jsonb_build_object(
				'StartingHashKey', l.starting_hash_key::text,
				'EndingHashKey', l.ending_hash_key::text),
			'SequenceNumberRange', pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
				'StartingSequenceNumber', l.starting_sequence_number::text,
				'EndingSequenceNumber', l.ending_sequence_number::text))))
			ORDER BY l.shard_id), '[]'::jsonb)
		INTO shards
	FROM stream_internal.list_shards(s.stream_name, 'FROM_TRIM_HORIZON', NULL, NULL)
		AS l(shard_id, parent_shard_id, adjacent_parent_shard_id, starting_hash_key,
			 ending_hash_key, starting_sequence_number, ending_sequence_number);

	RETURN pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
		'StreamName', s.stream_name,
		'StreamARN', stream_internal.stream_arn(s.stream_name),
		'StreamStatus', s.stream_status,
		'StreamModeDetails', pg_catalog.jsonb_build_object('StreamMode', s.stream_mode),
		'Shards', shards,
		'HasMoreShards', false,
		'RetentionPeriodHours', stream_internal.retention_hours(s.retention_period),
		'StreamCreationTimestamp', s.created_at,
		'EnhancedMonitoring', pg_catalog.jsonb_build_array(
			pg_catalog.jsonb_build_object('ShardLevelMetrics',
										  pg_catalog.to_jsonb(s.shard_level_metrics))),
		'EncryptionType', s.encryption_type,
		'KeyId', s.key_id));
END
$$;
