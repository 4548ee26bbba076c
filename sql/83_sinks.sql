
----------------------------------------------------------------------------
-- Sinks: what the extension's background workers feed a stream's records
-- into, in batches of one shard, in order, the position moving in the
-- batch's transaction (src/kinesis/sink.c, src/worker/worker.c):
--  - triggers, what Lambda's event source mappings do for Kinesis: a SQL
--    function called with each batch (README, "Triggers");
--  - deliveries, what Firehose does: each batch copied into a table or a
--    file (src/kinesis/delivery.c, sql/84_deliveries.sql; README,
--    "Deliveries").
----------------------------------------------------------------------------

CREATE TABLE stream.sinks (
	sink_name		text PRIMARY KEY,	-- triggers and deliveries share names
	kind			text NOT NULL CHECK (kind IN ('trigger', 'delivery')),
	stream_id		int NOT NULL REFERENCES stream.streams ON DELETE CASCADE,
	owner			regrole NOT NULL,	-- its creator, whom it runs as
	-- the most records and bytes of a batch, and how long a batch that is
	-- not full waits for more (a delivery's buffer_size_mb and
	-- buffer_interval)
	batch_size		int NOT NULL CHECK (batch_size >= 1),
	batch_bytes		bigint NOT NULL CHECK (batch_bytes >= 1),
	maximum_batching_window interval NOT NULL,
	starting_position text NOT NULL CHECK (starting_position IN ('TRIM_HORIZON', 'LATEST')),
	parallelization_factor int NOT NULL CHECK (parallelization_factor BETWEEN 1 AND 10),
	maximum_retry_attempts int NOT NULL CHECK (maximum_retry_attempts BETWEEN -1 AND 10000),
	bisect_batch_on_function_error boolean NOT NULL DEFAULT false,
	-- a trigger's
	function		regprocedure,
	on_failure_stream text,
	-- a delivery's: 'table' (target a table, quoted and qualified) or
	-- 'files' (target a directory under stream.delivery_directory)
	destination		text CHECK (destination IN ('table', 'files')),
	target			text,
	format			text CHECK (format IN ('jsonl')),
	compression		text CHECK (compression IN ('gzip', 'none')),
	created_at		timestamptz NOT NULL DEFAULT now(),
	CHECK ((kind = 'trigger') = (function IS NOT NULL)),
	CHECK ((kind = 'delivery') = (destination IS NOT NULL AND target IS NOT NULL
								  AND format IS NOT NULL AND compression IS NOT NULL))
);
CREATE INDEX ON stream.sinks (stream_id);

-- One row a lane of a shard: a sink with parallelization_factor N reads
-- each shard in N lanes, a record in lane hash(partition key) mod N, each
-- lane in order from its own checkpoint, so that a key stays in order (a
-- delivery has one lane a shard).
-- Made with the sink and with each new shard (the trigger below),
-- deleted with the shard.  A worker running a batch holds its row locked
-- (FOR UPDATE), so that no other worker runs the lane meanwhile; the row's
-- update commits with the function's work.
CREATE TABLE stream.sink_lanes (
	sink_name		text NOT NULL REFERENCES stream.sinks ON DELETE CASCADE,
	stream_id		int NOT NULL,
	shard_no		int NOT NULL,
	lane			int NOT NULL,
	-- where a lane not checkpointed yet starts: the first record that
	-- arrived at or after it, or (NULL) its oldest retained record
	start_at		timestamptz,
	checkpoint		numeric,		-- the last sequence number read
	shard_end_reached boolean NOT NULL DEFAULT false,
	-- a batch that failed: the records of the lane to call the function
	-- with next (the same batch, or half of it), and how many of the batch
	-- that failed first are still to go; 0 when none failed
	retry_records	int NOT NULL DEFAULT 0,
	retry_remaining int NOT NULL DEFAULT 0,
	attempts		int NOT NULL DEFAULT 0,	-- failed calls of this batch
	retry_at		timestamptz,	-- no call before then
	last_error		text,
	last_batch_at	timestamptz,
	records			bigint NOT NULL DEFAULT 0,	-- passed to the function
	batches			bigint NOT NULL DEFAULT 0,
	failed_records	bigint NOT NULL DEFAULT 0,	-- written to on_failure_stream
	PRIMARY KEY (sink_name, shard_no, lane),
	FOREIGN KEY (stream_id, shard_no) REFERENCES stream.shards ON DELETE CASCADE
) WITH (fillfactor = 50);

CREATE FUNCTION stream_internal.sink_lanes_of_new_shards() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	INSERT INTO stream.sink_lanes (sink_name, stream_id, shard_no, lane)
	SELECT t.sink_name, n.stream_id, n.shard_no, g.lane
	FROM new_shards n
	JOIN stream.sinks t ON t.stream_id = n.stream_id
	CROSS JOIN LATERAL pg_catalog.generate_series(0, t.parallelization_factor - 1) AS g(lane);
	RETURN NULL;
END
$$;
CREATE TRIGGER shards_sink_lanes AFTER INSERT ON stream.shards
	REFERENCING NEW TABLE AS new_shards
	FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.sink_lanes_of_new_shards();

-- Tells the launcher how many lanes of this database are ready to run (its
-- trigger workers follow that number, up to stream.max_trigger_workers):
-- after each maintenance pass, and when a trigger is made.
CREATE FUNCTION stream_internal.set_sink_lanes_ready(lanes int) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_set_sink_lanes_ready' LANGUAGE C STRICT;

-- The lanes a worker may run now: not read to the end of their shard, and
-- the same lane of each parent read to its end (a key is in the same lane
-- of parent and child), with what the worker needs to look for records
-- before it locks one (src/kinesis/sink.c).
CREATE FUNCTION stream_internal.ready_sink_lanes()
	RETURNS TABLE(sink_name text, stream_id int, shard_no int, lane int, lanes int,
				  checkpoint numeric, start_at timestamptz, retry_at timestamptz)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT l.sink_name, l.stream_id, l.shard_no, l.lane, t.parallelization_factor,
		   l.checkpoint, l.start_at, l.retry_at
	FROM stream.sink_lanes l
	JOIN stream.sinks t ON t.sink_name = l.sink_name
	JOIN stream.shards h ON h.stream_id = l.stream_id AND h.shard_no = l.shard_no
	WHERE NOT l.shard_end_reached
	  AND NOT EXISTS (SELECT FROM stream.sink_lanes p
					  WHERE p.sink_name = l.sink_name AND p.lane = l.lane
						AND p.shard_no IN (h.parent_shard_no, h.adjacent_parent_shard_no)
						AND NOT p.shard_end_reached)
	ORDER BY l.sink_name, l.shard_no, l.lane
$$;

-- For the maintenance pass: the launcher learns how many lanes are ready.
CREATE FUNCTION stream_internal.announce_sink_lanes() RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT stream_internal.set_sink_lanes_ready(
		(SELECT pg_catalog.count(*)::int FROM stream_internal.ready_sink_lanes()));
$$;

-- A lane and its sink, locked for a batch; no row when another worker runs
-- it.  The worker goes by what this returns, not by what it listed: the
-- sink may have been dropped and made again since, on another stream or
-- with other lanes.
CREATE FUNCTION stream_internal.lock_sink_lane(p_sink_name text, p_shard_no int, p_lane int)
	RETURNS TABLE(stream_id int, function regprocedure, owner regrole, batch_size int,
				  batch_bytes bigint,
				  maximum_batching_window interval, lanes int, checkpoint numeric,
				  start_at timestamptz, retry_records int, retry_at timestamptz,
				  shard_end_reached boolean, destination text, target text, format text,
				  compression text)
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT l.stream_id, t.function, t.owner, t.batch_size, t.batch_bytes, t.maximum_batching_window,
		   t.parallelization_factor, l.checkpoint, l.start_at, l.retry_records, l.retry_at,
		   l.shard_end_reached, t.destination, t.target, t.format, t.compression
	FROM stream.sink_lanes l
	JOIN stream.sinks t ON t.sink_name = l.sink_name
	WHERE l.sink_name = p_sink_name AND l.shard_no = p_shard_no AND l.lane = p_lane
	FOR UPDATE OF l SKIP LOCKED
$$;

-- After a batch the function took (records > 0), or a read that found no
-- record of the lane: the lane goes on after p_checkpoint (the last record
-- read, of any lane), and ends when its closed shard was read to the end.
CREATE FUNCTION stream_internal.sink_lane_read(p_sink_name text, p_shard_no int, p_lane int,
												  p_records int, p_checkpoint numeric,
												  p_shard_end boolean)
	RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	UPDATE stream.sink_lanes l
	SET checkpoint = coalesce(p_checkpoint, l.checkpoint),
		shard_end_reached = p_shard_end,
		-- the rest of a batch that failed is called as one batch next (none
		-- left when the lane had no record: they expired)
		retry_remaining = CASE WHEN p_records > 0
							   THEN GREATEST(l.retry_remaining - p_records, 0) ELSE 0 END,
		retry_records = CASE WHEN p_records > 0
							 THEN GREATEST(l.retry_remaining - p_records, 0) ELSE 0 END,
		attempts = 0,
		retry_at = NULL,
		last_error = CASE WHEN p_records > 0 THEN NULL ELSE l.last_error END,
		last_batch_at = CASE WHEN p_records > 0 THEN pg_catalog.clock_timestamp()
							 ELSE l.last_batch_at END,
		records = l.records + p_records,
		batches = l.batches + CASE WHEN p_records > 0 THEN 1 ELSE 0 END
	WHERE l.sink_name = p_sink_name AND l.shard_no = p_shard_no AND l.lane = p_lane;
$$;

-- How long a lane waits before its next try after its n-th failure: 100 ms
-- doubled at each, at most 30 seconds.
CREATE FUNCTION stream_internal.sink_backoff(attempts int) RETURNS interval
	LANGUAGE sql IMMUTABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.make_interval(secs => LEAST(
		0.1 * pg_catalog.power(2, LEAST(GREATEST(attempts, 1) - 1, 20)), 30));
$$;

-- After a batch failed (a trigger's function, or a delivery's copy: its
-- work rolled back; the lane is still locked): with bisecting, a batch of more than one record is
-- halved and the first half called at once; otherwise the batch is called
-- again after a backoff, maximum_retry_attempts times (-1: until its
-- records expire), and then written to on_failure_stream, a record for
-- each, and the lane goes on after it.  Returns what was done: 'bisected',
-- 'retrying' or 'sent to the failure stream'.
CREATE FUNCTION stream_internal.sink_batch_failed(p_sink_name text, p_shard_no int,
													 p_lane int, p_records stream.record[],
													 p_error text)
	RETURNS text
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t stream.sinks;
	l stream.sink_lanes;
	n int := pg_catalog.cardinality(p_records);
	failure_stream stream.streams;
	failed int;
BEGIN
	SELECT * INTO STRICT t FROM stream.sinks x WHERE x.sink_name = p_sink_name;
	SELECT * INTO STRICT l FROM stream.sink_lanes x
	WHERE x.sink_name = p_sink_name AND x.shard_no = p_shard_no AND x.lane = p_lane;
	IF t.bisect_batch_on_function_error AND n > 1 THEN
		UPDATE stream.sink_lanes x
		SET retry_records = (n + 1) / 2, retry_remaining = GREATEST(l.retry_remaining, n),
			attempts = 0, retry_at = NULL, last_error = p_error
		WHERE x.sink_name = p_sink_name AND x.shard_no = p_shard_no AND x.lane = p_lane;
		RETURN 'bisected';
	END IF;
	IF t.maximum_retry_attempts < 0 OR l.attempts < t.maximum_retry_attempts THEN
		UPDATE stream.sink_lanes x
		SET retry_records = n, retry_remaining = GREATEST(l.retry_remaining, n),
			attempts = l.attempts + 1,
			retry_at = pg_catalog.clock_timestamp() + stream_internal.sink_backoff(l.attempts + 1),
			last_error = p_error
		WHERE x.sink_name = p_sink_name AND x.shard_no = p_shard_no AND x.lane = p_lane;
		RETURN 'retrying';
	END IF;

	-- the last try failed: the batch goes to the failure stream, which the
	-- trigger's owner must still be allowed to write
	IF t.on_failure_stream IS NOT NULL THEN
		SELECT * INTO failure_stream FROM stream.streams s WHERE s.stream_name = t.on_failure_stream;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'failure stream "%" of trigger "%" does not exist',
				t.on_failure_stream, t.sink_name USING ERRCODE = 'undefined_object';
		END IF;
		IF NOT stream_internal.has_privilege(t.owner, failure_stream.acl, 'write') THEN
			RAISE EXCEPTION 'role "%" may not write failure stream "%" of trigger "%"',
				t.owner, t.on_failure_stream, t.sink_name USING ERRCODE = 'insufficient_privilege';
		END IF;
		SELECT pg_catalog.count(*) FILTER (WHERE p.error_code IS NOT NULL) INTO failed
		FROM stream.put_records(t.on_failure_stream, ARRAY(
			SELECT ROW(pg_catalog.convert_to(pg_catalog.jsonb_build_object(
						   'trigger_name', t.sink_name,
						   'stream_name', (SELECT s.stream_name FROM stream.streams s
										   WHERE s.stream_id = t.stream_id),
						   'shard_id', stream_internal.shard_id(p_shard_no),
						   'sequence_number', r.sequence_number::text,
						   'approximate_arrival_timestamp', r.approximate_arrival_timestamp,
						   'partition_key', r.partition_key,
						   'data', pg_catalog.encode(r.data, 'base64'),
						   'error', p_error,
						   'attempts', l.attempts + 1)::text, 'UTF8'),
					   r.partition_key, NULL)::stream.put_records_request_entry
			FROM pg_catalog.unnest(p_records) WITH ORDINALITY AS r
			ORDER BY r.ordinality)) p;
		IF failed > 0 THEN
			RAISE EXCEPTION 'could not write % records to failure stream "%" of trigger "%"',
				failed, t.on_failure_stream, t.sink_name
				USING ERRCODE = 'insufficient_resources',
					  HINT = 'The failure stream refused them (its write quota); the batch is tried again.';
		END IF;
	END IF;
	UPDATE stream.sink_lanes x
	SET checkpoint = p_records[n].sequence_number,
		retry_remaining = GREATEST(l.retry_remaining - n, 0),
		retry_records = GREATEST(l.retry_remaining - n, 0),
		attempts = 0, retry_at = NULL, last_error = p_error,
		failed_records = l.failed_records + n
	WHERE x.sink_name = p_sink_name AND x.shard_no = p_shard_no AND x.lane = p_lane;
	RETURN 'sent to the failure stream';
END
$$;

-- When a batch could not be run at all (the owner lost its privilege, the
-- function is gone, the failure stream refused it): the error is kept and
-- the lane waits, without counting an attempt.
CREATE FUNCTION stream_internal.sink_lane_error(p_sink_name text, p_shard_no int,
												   p_lane int, p_error text)
	RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	UPDATE stream.sink_lanes l
	SET last_error = p_error,
		retry_at = pg_catalog.clock_timestamp()
				   + stream_internal.sink_backoff(GREATEST(l.attempts, 1) + 3)
	FROM (SELECT x.ctid FROM stream.sink_lanes x
		  WHERE x.sink_name = p_sink_name AND x.shard_no = p_shard_no AND x.lane = p_lane
		  -- another worker runs it now: its outcome is the news
		  FOR UPDATE SKIP LOCKED) k
	WHERE l.ctid = k.ctid;
$$;

CREATE FUNCTION stream_internal.create_trigger(p_trigger_name text, p_stream_name text,
											   p_function regprocedure, p_batch_size int,
											   p_maximum_batching_window interval,
											   p_starting_position text,
											   p_parallelization_factor int,
											   p_maximum_retry_attempts int,
											   p_bisect boolean, p_on_failure_stream text)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	-- locked: no reshard adds a shard between the lanes made here and the commit
	s stream.streams := stream_internal.lock_active_stream(p_stream_name);
	caller regrole := stream_internal.caller();
	f pg_catalog.pg_proc;
	failure_stream stream.streams;
BEGIN
	PERFORM stream_internal.check_sink_name(p_trigger_name, 'trigger');
	IF p_function IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException', 'function must not be null');
	END IF;
	SELECT * INTO f FROM pg_catalog.pg_proc p WHERE p.oid = p_function;
	IF NOT FOUND THEN
		PERFORM stream_internal.raise('ResourceNotFoundException',
			pg_catalog.format('function %s does not exist', p_function::oid));
	END IF;
	IF f.prokind <> 'f' OR f.proretset OR f.pronargs <> 2
	   OR f.proargtypes[0] <> 'stream.record[]'::pg_catalog.regtype
	   OR f.proargtypes[1] <> 'pg_catalog.text'::pg_catalog.regtype THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('function %s cannot be a trigger''s', p_function),
			'A trigger calls a function (records stream.record[], shard_id text) that returns no set.');
	END IF;
	IF NOT pg_catalog.has_function_privilege(caller, p_function, 'EXECUTE') THEN
		PERFORM stream_internal.raise('AccessDeniedException',
			pg_catalog.format('role "%s" may not execute function %s', caller, p_function));
	END IF;
	IF p_batch_size IS NULL OR p_batch_size NOT BETWEEN 1 AND 10000 THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('batch size %s is out of range', coalesce(p_batch_size::text, 'NULL')),
			'A batch holds 1 to 10000 records.');
	END IF;
	IF p_maximum_batching_window IS NULL OR p_maximum_batching_window < '0'
	   OR p_maximum_batching_window > '300 seconds'
	   OR pg_catalog.date_part('month', p_maximum_batching_window) <> 0
	   OR pg_catalog.date_part('year', p_maximum_batching_window) <> 0 THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			CASE WHEN p_maximum_batching_window IS NULL THEN 'maximum batching window must not be null'
				 ELSE pg_catalog.format('maximum batching window of %s seconds is out of range',
										EXTRACT(epoch FROM p_maximum_batching_window)::float8) END,
			'A batch waits for more records 0 to 300 seconds.');
	END IF;
	IF p_starting_position IS NULL OR p_starting_position NOT IN ('TRIM_HORIZON', 'LATEST') THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid starting position "%s"',
							  stream_internal.quote(coalesce(p_starting_position, ''))),
			'A trigger starts at TRIM_HORIZON or LATEST.');
	END IF;
	IF p_parallelization_factor IS NULL OR p_parallelization_factor NOT BETWEEN 1 AND 10 THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('parallelization factor %s is out of range',
							  coalesce(p_parallelization_factor::text, 'NULL')),
			'A shard is read in 1 to 10 lanes at once.');
	END IF;
	IF p_maximum_retry_attempts IS NULL OR p_maximum_retry_attempts NOT BETWEEN -1 AND 10000 THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('maximum retry attempts %s is out of range',
							  coalesce(p_maximum_retry_attempts::text, 'NULL')),
			'A batch is tried again 0 to 10000 times, or until its records expire (-1).');
	END IF;
	IF p_bisect IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			'bisect_batch_on_function_error must not be null');
	END IF;
	IF p_on_failure_stream IS NOT NULL THEN
		SELECT * INTO failure_stream FROM stream.streams x WHERE x.stream_name = p_on_failure_stream;
		IF NOT FOUND
		   OR NOT stream_internal.has_privilege(caller, failure_stream.acl, 'write') THEN
			PERFORM stream_internal.raise(
				CASE WHEN FOUND THEN 'AccessDeniedException' ELSE 'ResourceNotFoundException' END,
				CASE WHEN FOUND
					 THEN pg_catalog.format('role "%s" may not write failure stream "%s"',
											caller, p_on_failure_stream)
					 ELSE pg_catalog.format('failure stream "%s" does not exist',
											stream_internal.quote(p_on_failure_stream)) END);
		END IF;
		IF failure_stream.stream_id = s.stream_id THEN
			PERFORM stream_internal.raise('InvalidArgumentException',
				pg_catalog.format('stream "%s" cannot be its own trigger''s failure stream',
								  s.stream_name));
		END IF;
	END IF;
	-- a batch of at most 10 MB, as get_records returns
	INSERT INTO stream.sinks (sink_name, kind, stream_id, function, owner, batch_size, batch_bytes,
							  maximum_batching_window, starting_position, parallelization_factor,
							  maximum_retry_attempts, bisect_batch_on_function_error,
							  on_failure_stream)
		VALUES (p_trigger_name, 'trigger', s.stream_id, p_function, caller, p_batch_size,
				10 * 1024 * 1024, p_maximum_batching_window, p_starting_position,
				p_parallelization_factor, p_maximum_retry_attempts, p_bisect, p_on_failure_stream);
	-- LATEST starts at the creation: what is put from now on is read
	INSERT INTO stream.sink_lanes (sink_name, stream_id, shard_no, lane, start_at)
	SELECT p_trigger_name, h.stream_id, h.shard_no, g.lane,
		   CASE p_starting_position WHEN 'LATEST' THEN pg_catalog.clock_timestamp() END
	FROM stream.shards h CROSS JOIN pg_catalog.generate_series(0, p_parallelization_factor - 1) g(lane)
	WHERE h.stream_id = s.stream_id;
	-- workers start now, not at the next maintenance pass
	PERFORM stream_internal.set_sink_lanes_ready(
		(SELECT pg_catalog.count(*)::int FROM stream_internal.ready_sink_lanes()));
END
$$;

-- Drops a trigger or a delivery, for its owner (a member of it) or a role
-- that manages its stream.  Waits for a batch in progress: the worker holds
-- its lane locked.
CREATE FUNCTION stream_internal.drop_sink(p_sink_name text, p_kind text)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t stream.sinks;
	s stream.streams;
BEGIN
	IF p_sink_name IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('%s name must not be null', p_kind));
	END IF;
	SELECT * INTO t FROM stream.sinks x
	WHERE x.sink_name = p_sink_name AND x.kind = p_kind FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM stream_internal.raise('ResourceNotFoundException',
			pg_catalog.format('%s "%s" does not exist', p_kind, stream_internal.quote(p_sink_name)));
	END IF;
	SELECT * INTO s FROM stream.streams x WHERE x.stream_id = t.stream_id;
	IF NOT pg_catalog.pg_has_role(stream_internal.caller(), t.owner, 'MEMBER')
	   AND NOT stream_internal.has_privilege(stream_internal.caller(), s.acl, 'manage') THEN
		PERFORM stream_internal.raise('AccessDeniedException',
			pg_catalog.format('role "%s" may not drop %s "%s"', stream_internal.caller(), p_kind,
							  t.sink_name),
			'Its owner or a role with manage on its stream may.');
	END IF;
	DELETE FROM stream.sinks x WHERE x.sink_name = t.sink_name;
END
$$;

CREATE FUNCTION stream_internal.drop_trigger(p_trigger_name text)
	RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT stream_internal.drop_sink(p_trigger_name, 'trigger');
$$;

-- Whether a sink of the name exists: ResourceExistsException if it does
-- (triggers and deliveries share names).
CREATE FUNCTION stream_internal.check_sink_name(p_sink_name text, p_kind text)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	existing text;
BEGIN
	IF p_sink_name IS NULL OR NOT stream_internal.valid_stream_name(p_sink_name) THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid %s name "%s"', p_kind,
							  stream_internal.quote(coalesce(p_sink_name, ''))),
			pg_catalog.format('A %s name is 1 to 128 letters, digits, "_", "." and "-".', p_kind));
	END IF;
	SELECT x.kind INTO existing FROM stream.sinks x WHERE x.sink_name = p_sink_name;
	IF FOUND THEN
		PERFORM stream_internal.raise('ResourceExistsException',
			pg_catalog.format('%s "%s" already exists', existing, p_sink_name),
			CASE WHEN existing <> p_kind THEN 'Triggers and deliveries share names.' END);
	END IF;
END
$$;

-- The sinks of a kind that the calling role owns or may describe the
-- stream of, with the state of their lanes, for the views triggers and
-- deliveries.  Their errors may quote records (a duplicate key's detail):
-- only a role that owns the sink or may read its stream sees them.
CREATE FUNCTION stream_internal.visible_sinks(p_kind text)
	RETURNS TABLE(sink stream.sinks, stream_name text, state text, last_error text,
				  last_batch_at timestamptz, millis_behind_latest bigint, records bigint,
				  batches bigint, failed_records bigint, lanes jsonb)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT t, s.stream_name,
		   CASE WHEN pg_catalog.bool_or(l.retry_records > 0 OR l.retry_at > pg_catalog.now())
				THEN 'RETRYING' END,
		   CASE WHEN e.sees_errors
				THEN (pg_catalog.array_agg(l.last_error ORDER BY l.last_batch_at DESC NULLS LAST)
						  FILTER (WHERE l.last_error IS NOT NULL))[1] END,
		   pg_catalog.max(l.last_batch_at),
		   coalesce(pg_catalog.max(CASE WHEN l.shard_end_reached THEN 0
				ELSE stream_internal.lease_millis_behind(l.stream_id, l.shard_no, l.checkpoint,
														 l.start_at) END), 0),
		   coalesce(pg_catalog.sum(l.records), 0)::bigint,
		   coalesce(pg_catalog.sum(l.batches), 0)::bigint,
		   coalesce(pg_catalog.sum(l.failed_records), 0)::bigint,
		   coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
				'shard_id', stream_internal.shard_id(l.shard_no), 'lane', l.lane,
				'checkpoint', l.checkpoint::text, 'shard_end_reached', l.shard_end_reached,
				'attempts', l.attempts,
				'last_error', CASE WHEN e.sees_errors THEN l.last_error END)
				ORDER BY l.shard_no, l.lane) FILTER (WHERE l.shard_no IS NOT NULL), '[]')
	FROM stream.sinks t
	JOIN stream.streams s ON s.stream_id = t.stream_id
	CROSS JOIN LATERAL (SELECT pg_catalog.pg_has_role(stream_internal.caller(), t.owner, 'MEMBER')
							   AS owns) o
	CROSS JOIN LATERAL (SELECT o.owns OR stream_internal.has_privilege(stream_internal.caller(),
																	   s.acl, 'read')
							   AS sees_errors) e
	LEFT JOIN stream.sink_lanes l ON l.sink_name = t.sink_name
	WHERE t.kind = p_kind
	  AND (o.owns OR stream_internal.has_privilege(stream_internal.caller(), s.acl, 'describe'))
	GROUP BY t.sink_name, s.stream_name, e.sees_errors
	ORDER BY t.sink_name
$$;

-- The triggers the calling role owns or may describe the stream of.
CREATE FUNCTION stream_internal.triggers()
	RETURNS TABLE(trigger_name text, stream_name text, function regprocedure, owner regrole,
				  batch_size int, maximum_batching_window interval, starting_position text,
				  parallelization_factor int, maximum_retry_attempts int,
				  bisect_batch_on_function_error boolean, on_failure_stream text,
				  state text, last_error text, last_batch_at timestamptz,
				  millis_behind_latest bigint, records bigint, batches bigint,
				  failed_records bigint, lanes jsonb)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT (v.sink).sink_name, v.stream_name, (v.sink).function, (v.sink).owner,
		   (v.sink).batch_size, (v.sink).maximum_batching_window, (v.sink).starting_position,
		   (v.sink).parallelization_factor, (v.sink).maximum_retry_attempts,
		   (v.sink).bisect_batch_on_function_error, (v.sink).on_failure_stream,
		   coalesce(v.state, 'ENABLED'), v.last_error, v.last_batch_at, v.millis_behind_latest,
		   v.records, v.batches, v.failed_records, v.lanes
	FROM stream_internal.visible_sinks('trigger') v
$$;
