----------------------------------------------------------------------------
-- Registered consumers (what enhanced fan-out is in Kinesis): each with a
-- name unique in its stream and an ARN, at most 20 a stream
----------------------------------------------------------------------------

-- <stream arn>/consumer/<name>:<creation time in seconds since 1970>
CREATE FUNCTION stream_internal.consumer_arn(p_stream_name text, p_consumer_name text,
											 p_created_at timestamptz)
	RETURNS text
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT stream_internal.stream_arn(p_stream_name) || '/consumer/' || p_consumer_name || ':'
		   || pg_catalog.floor(EXTRACT(epoch FROM p_created_at))::bigint
$$;

-- The consumer of a stream, or ResourceNotFoundException.
CREATE FUNCTION stream_internal.find_consumer(p_stream stream.streams, p_consumer_name text)
	RETURNS stream.consumers
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c stream.consumers;
BEGIN
	IF p_consumer_name IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException', 'consumer name must not be null');
	END IF;
	SELECT * INTO c FROM stream.consumers x
	WHERE x.stream_id = p_stream.stream_id AND x.consumer_name = p_consumer_name;
	IF NOT FOUND THEN
		PERFORM stream_internal.raise('ResourceNotFoundException',
			pg_catalog.format('consumer "%s" of stream "%s" does not exist',
							  stream_internal.quote(p_consumer_name), p_stream.stream_name));
	END IF;
	RETURN c;
END
$$;

CREATE FUNCTION stream_internal.register_stream_consumer(p_stream_name text, p_consumer_name text)
	RETURNS TABLE(o_consumer_name text, o_consumer_arn text, o_consumer_status text,
				  o_consumer_creation_timestamp timestamptz)
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	-- locked: registrations of one stream take turns, so that the limit holds
	s stream.streams := stream_internal.lock_active_stream(p_stream_name);
	c stream.consumers;
BEGIN
	IF p_consumer_name IS NULL OR NOT stream_internal.valid_stream_name(p_consumer_name) THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid consumer name "%s"',
							  stream_internal.quote(coalesce(p_consumer_name, ''))),
			'A consumer name is 1 to 128 letters, digits, "_", "." and "-".');
	END IF;
	IF EXISTS (SELECT FROM stream.consumers x
			   WHERE x.stream_id = s.stream_id AND x.consumer_name = p_consumer_name) THEN
		PERFORM stream_internal.raise('ResourceExistsException',
			pg_catalog.format('consumer "%s" of stream "%s" already exists',
							  p_consumer_name, s.stream_name));
	END IF;
	IF (SELECT pg_catalog.count(*) FROM stream.consumers x WHERE x.stream_id = s.stream_id) >= 20 THEN
		PERFORM stream_internal.raise('LimitExceededException',
			pg_catalog.format('stream "%s" has 20 registered consumers, the most a stream may have',
							  s.stream_name),
			'Deregister a consumer first.');
	END IF;
	INSERT INTO stream.consumers (stream_id, consumer_name, consumer_status, created_at)
		VALUES (s.stream_id, p_consumer_name, 'ACTIVE', pg_catalog.now())
		RETURNING * INTO c;
	RETURN QUERY SELECT c.consumer_name,
						stream_internal.consumer_arn(s.stream_name, c.consumer_name, c.created_at),
						c.consumer_status, c.created_at;
END
$$;

CREATE FUNCTION stream_internal.deregister_stream_consumer(p_stream_name text, p_consumer_name text)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.lock_stream(p_stream_name);
	c stream.consumers := stream_internal.find_consumer(s, p_consumer_name);
BEGIN
	DELETE FROM stream.consumers x
	WHERE x.stream_id = s.stream_id AND x.consumer_name = c.consumer_name;
END
$$;

CREATE FUNCTION stream_internal.describe_stream_consumer(p_stream_name text, p_consumer_name text)
	RETURNS TABLE(o_consumer_name text, o_consumer_arn text, o_consumer_status text,
				  o_consumer_creation_timestamp timestamptz, o_stream_arn text)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.find_stream(p_stream_name);
	c stream.consumers := stream_internal.find_consumer(s, p_consumer_name);
BEGIN
	RETURN QUERY SELECT c.consumer_name,
						stream_internal.consumer_arn(s.stream_name, c.consumer_name, c.created_at),
						c.consumer_status, c.created_at, stream_internal.stream_arn(s.stream_name);
END
$$;

CREATE FUNCTION stream_internal.list_stream_consumers(p_stream_name text)
	RETURNS TABLE(o_consumer_name text, o_consumer_arn text, o_consumer_status text,
				  o_consumer_creation_timestamp timestamptz)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.find_stream(p_stream_name);
BEGIN
	RETURN QUERY
	SELECT c.consumer_name, stream_internal.consumer_arn(s.stream_name, c.consumer_name, c.created_at),
		   c.consumer_status, c.created_at
	FROM stream.consumers c WHERE c.stream_id = s.stream_id
	ORDER BY c.created_at, c.consumer_name;
END
$$;

-- A page of them (README, "Paging"): by name, from where next_token says.
-- The token holds the stream: a token of another stream's list is refused.
CREATE FUNCTION stream_internal.list_stream_consumers(p_stream_name text, p_max_results int,
													  p_next_token text)
	RETURNS TABLE(o_consumer_name text, o_consumer_arn text, o_consumer_status text,
				  o_consumer_creation_timestamp timestamptz, o_next_token text)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.find_stream(p_stream_name);
	state jsonb;
	after text;
	names text[];
	token text;
BEGIN
	PERFORM stream_internal.check_max_results(p_max_results);
	IF p_next_token IS NOT NULL THEN
		state := stream_internal.next_token_state('list_stream_consumers', p_next_token)::jsonb;
		IF (state->>'stream_id')::int IS DISTINCT FROM s.stream_id THEN
			PERFORM stream_internal.raise('InvalidArgumentException',
				pg_catalog.format('the next token is not of the consumers of stream "%s"', s.stream_name));
		END IF;
		after := state->>'after';
	END IF;
	names := ARRAY(
		SELECT c.consumer_name FROM stream.consumers c
		WHERE c.stream_id = s.stream_id
		  AND (after IS NULL OR c.consumer_name COLLATE "C" > after)
		ORDER BY c.consumer_name COLLATE "C"
		LIMIT p_max_results + 1);
	IF pg_catalog.cardinality(names) > p_max_results THEN
		token := stream_internal.next_token('list_stream_consumers',
			pg_catalog.jsonb_build_object('stream_id', s.stream_id,
										  'after', names[p_max_results])::text);
	END IF;
	RETURN QUERY
	SELECT c.consumer_name, stream_internal.consumer_arn(s.stream_name, c.consumer_name, c.created_at),
		   c.consumer_status, c.created_at, token
	FROM stream.consumers c
	WHERE c.stream_id = s.stream_id AND c.consumer_name = ANY (names[1:p_max_results])
	ORDER BY c.consumer_name COLLATE "C";
END
$$;

-- One batch of a subscription (src/kinesis/get.c): the records of a shard
-- from a starting position, read with the consumer's own throughput.
CREATE FUNCTION stream.subscribe_to_shard(stream_name text, consumer_name text, shard_id text,
										  starting_position text,
										  starting_sequence_number numeric DEFAULT NULL,
										  "timestamp" timestamptz DEFAULT NULL,
										  wait interval DEFAULT '5 seconds',
										  "limit" int DEFAULT 10000,
										  OUT records stream.record[],
										  OUT continuation_sequence_number numeric,
										  OUT millis_behind_latest bigint, OUT child_shards jsonb)
	AS 'MODULE_PATHNAME', 'stream_subscribe_to_shard' LANGUAGE C VOLATILE;
