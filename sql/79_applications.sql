
----------------------------------------------------------------------------
-- Consumer applications (what the Kinesis Client Library keeps in DynamoDB):
-- an application reads one stream with workers that hold leases on its
-- shards, and checkpoints what they processed in their own transactions
-- (src/kinesis/application.c; README, "Consumer applications")
----------------------------------------------------------------------------

CREATE TABLE stream.applications (
	application_name text PRIMARY KEY,
	stream_id		int NOT NULL REFERENCES stream.streams ON DELETE CASCADE,
	initial_position text NOT NULL
		CHECK (initial_position IN ('TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP')),
	initial_timestamp timestamptz,	-- AT_TIMESTAMP's
	lease_duration	interval NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON stream.applications (stream_id);
-- consume caches the stream of an application; a change tells it to look
-- again (src/kinesis/catalog.c)
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON stream.applications FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.catalog_changed();

-- One row a shard of the application's stream, made with the application
-- and with each new shard (the trigger below), deleted with the shard.
-- consume updates the rows of the shards it read, once a call: no column of
-- an index changes, so the updates are HOT, and pruned as the page fills,
-- and a steady consume loop does not bloat the table.  Each row has a page
-- of its own: it is inserted with "spread", more than a tenth of a page
-- (the fillfactor), which only an empty page takes, and its first update
-- drops it.  Rows of workers that share a page pin it for each other, and
-- a page that is pinned by another backend cannot be pruned: the versions
-- pile up (doc/architecture.md).
CREATE TABLE stream.leases (
	application_name text NOT NULL REFERENCES stream.applications ON DELETE CASCADE,
	stream_id		int NOT NULL,
	shard_no		int NOT NULL,
	-- where a shard not checkpointed yet starts: the first record that
	-- arrived at or after it, or (NULL) its oldest retained record
	start_at		timestamptz,
	worker_id		text,			-- NULL: nobody holds it
	lease_expires_at timestamptz,
	checkpoint		numeric,		-- the last sequence number processed
	shard_end_reached boolean NOT NULL DEFAULT false,
	spread			text DEFAULT pg_catalog.repeat('-', 1000),
	PRIMARY KEY (application_name, shard_no),
	FOREIGN KEY (stream_id, shard_no) REFERENCES stream.shards ON DELETE CASCADE
) WITH (fillfactor = 10);
-- neither compressed nor moved out of line: it must take the room
ALTER TABLE stream.leases ALTER COLUMN spread SET STORAGE PLAIN;

-- The children of a reshard are read from their first record, once their
-- parents were read to their end.
CREATE FUNCTION stream_internal.lease_new_shards() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	INSERT INTO stream.leases (application_name, stream_id, shard_no)
	SELECT a.application_name, n.stream_id, n.shard_no
	FROM new_shards n JOIN stream.applications a ON a.stream_id = n.stream_id;
	RETURN NULL;
END
$$;
CREATE TRIGGER shards_leased AFTER INSERT ON stream.shards
	REFERENCING NEW TABLE AS new_shards
	FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.lease_new_shards();

-- The application of a name, or ResourceNotFoundException; locked (FOR
-- UPDATE) for a change.
CREATE FUNCTION stream_internal.find_application(p_application_name text, p_lock boolean)
	RETURNS stream.applications
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a stream.applications;
BEGIN
	IF p_application_name IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException', 'application name must not be null');
	END IF;
	IF p_lock THEN
		SELECT * INTO a FROM stream.applications x
		WHERE x.application_name = p_application_name FOR UPDATE;
	ELSE
		SELECT * INTO a FROM stream.applications x WHERE x.application_name = p_application_name;
	END IF;
	IF NOT FOUND THEN
		PERFORM stream_internal.raise('ResourceNotFoundException',
			pg_catalog.format('application "%s" does not exist',
							  stream_internal.quote(p_application_name)));
	END IF;
	RETURN a;
END
$$;

-- The stream of an application, for a caller that holds the call's
-- privilege on it (stream_control checked it under another snapshot).
CREATE FUNCTION stream_internal.application_stream(a stream.applications)
	RETURNS stream.streams
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams;
BEGIN
	SELECT * INTO STRICT s FROM stream.streams x WHERE x.stream_id = a.stream_id;
	PERFORM stream_internal.authorize_stream(s.stream_name, s.acl);
	RETURN s;
END
$$;

CREATE FUNCTION stream_internal.create_application(p_application_name text, p_stream_name text,
												   p_initial_position text,
												   p_timestamp timestamptz,
												   p_lease_duration interval)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	-- locked: no reshard adds a shard between the leases made here and the commit
	s stream.streams := stream_internal.lock_active_stream(p_stream_name);
BEGIN
	IF p_application_name IS NULL OR NOT stream_internal.valid_stream_name(p_application_name) THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid application name "%s"',
							  stream_internal.quote(coalesce(p_application_name, ''))),
			'An application name is 1 to 128 letters, digits, "_", "." and "-".');
	END IF;
	IF p_initial_position IS NULL
	   OR p_initial_position NOT IN ('TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP') THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid initial position "%s"',
							  stream_internal.quote(coalesce(p_initial_position, ''))),
			'The initial positions are TRIM_HORIZON, LATEST and AT_TIMESTAMP.');
	END IF;
	IF (p_initial_position = 'AT_TIMESTAMP') <> (p_timestamp IS NOT NULL) THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			CASE WHEN p_timestamp IS NULL THEN 'initial position AT_TIMESTAMP needs a timestamp'
				 ELSE pg_catalog.format('initial position %s takes no timestamp', p_initial_position) END);
	END IF;
	IF p_lease_duration IS NULL OR p_lease_duration < '1 second' OR p_lease_duration > '1 day'
	   OR pg_catalog.date_part('month', p_lease_duration) <> 0
	   OR pg_catalog.date_part('year', p_lease_duration) <> 0 THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			CASE WHEN p_lease_duration IS NULL THEN 'lease duration must not be null'
				 ELSE pg_catalog.format('lease duration of %s seconds is out of range',
										EXTRACT(epoch FROM p_lease_duration)::float8) END,
			'A lease lasts from 1 second to 1 day.');
	END IF;
	IF EXISTS (SELECT FROM stream.applications x WHERE x.application_name = p_application_name) THEN
		PERFORM stream_internal.raise('ResourceExistsException',
			pg_catalog.format('application "%s" already exists', p_application_name));
	END IF;
	INSERT INTO stream.applications (application_name, stream_id, initial_position,
									 initial_timestamp, lease_duration)
		VALUES (p_application_name, s.stream_id, p_initial_position, p_timestamp, p_lease_duration);
	-- LATEST starts at the creation: what is put from now on is read, however
	-- late the first consume comes
	INSERT INTO stream.leases (application_name, stream_id, shard_no, start_at)
	SELECT p_application_name, h.stream_id, h.shard_no,
		   CASE p_initial_position WHEN 'LATEST' THEN pg_catalog.clock_timestamp()
								   WHEN 'AT_TIMESTAMP' THEN p_timestamp END
	FROM stream.shards h WHERE h.stream_id = s.stream_id;
END
$$;

CREATE FUNCTION stream_internal.drop_application(p_application_name text)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a stream.applications := stream_internal.find_application(p_application_name, true);
	s stream.streams := stream_internal.application_stream(a);
BEGIN
	DELETE FROM stream.applications x WHERE x.application_name = a.application_name;
END
$$;

-- Workers that hold less than their share of an application's shards and
-- could take none (every lease held, and the holders' rows locked by their
-- transactions, which a thief skips): each says so here at each call, so
-- that the holders count it and hand shards over.  Only waiting workers
-- write here, a row each; a row older than a lease duration is ignored,
-- and the maintenance pass deletes it (forget_lease_workers).
-- Not dumped: like the leases' holders, it is the state of running workers.
CREATE TABLE stream.lease_workers (
	application_name text NOT NULL REFERENCES stream.applications ON DELETE CASCADE,
	worker_id		text NOT NULL,
	seen_at			timestamptz NOT NULL,
	PRIMARY KEY (application_name, worker_id)
) WITH (fillfactor = 50);

-- For the maintenance pass: deletes the rows of stream.lease_workers older
-- than their application's lease duration (workers that went away, or hold
-- leases now), passing over those a consume call is writing.
CREATE FUNCTION stream_internal.forget_lease_workers() RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	DELETE FROM stream.lease_workers w
	WHERE (w.application_name, w.worker_id) IN (
		SELECT x.application_name, x.worker_id
		FROM stream.lease_workers x
		JOIN stream.applications a ON a.application_name = x.application_name
		WHERE x.seen_at < pg_catalog.now() - a.lease_duration
		FOR UPDATE OF x SKIP LOCKED);
END
$$;

-- For consume (application.c), which checked the caller's read privilege:
-- takes, renews and balances the worker's leases, and returns the shards
-- to read now, each locked (FOR UPDATE) until the caller's transaction
-- ends, so that no other worker reads it before that transaction's
-- checkpoint commits or rolls back.
--
-- A shard is ready while it is not read to its end and its parents (those
-- still retained) are.  The workers are those holding unexpired leases of
-- ready shards and those waiting for one (stream.lease_workers); a
-- worker's share is the ready shards divided among them, rounded up, at
-- most max_leases.  A worker keeps the ready shards it holds, even expired
-- ones nobody took, up to its share, and lets the rest go (a new worker
-- came); takes free and expired ones up to its share; then steals one from
-- the most loaded worker if that one holds more than the share, or the
-- share and this one is two or more short of it (as the KCL balances).
-- Rows locked by another transaction are skipped: their holder is between
-- consume and commit.  So a thief can never steal from a busy worker, and
-- the holder hands over instead: a worker that holds its share, two or
-- more, while a worker waits with none, gives that worker one of its
-- leases (the KCL's steal, from the holder's side).
CREATE FUNCTION stream_internal.take_leases(p_application_name text, p_worker_id text,
											p_max_leases int)
	RETURNS TABLE(o_shard_no int, o_checkpoint numeric, o_start_at timestamptz)
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
	-- planned once: its statements' plans do not depend on the arguments
	SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	at_now timestamptz := pg_catalog.clock_timestamp();
	duration interval;
	ready int[];
	held int[];
	n_workers int;
	share int;
	victim text;
	victim_count bigint;
	waiter text;
BEGIN
	SELECT a.lease_duration INTO duration FROM stream.applications a
	WHERE a.application_name = p_application_name;
	ready := ARRAY(
		SELECT l.shard_no
		FROM stream.leases l
		JOIN stream.shards h ON h.stream_id = l.stream_id AND h.shard_no = l.shard_no
		WHERE l.application_name = p_application_name AND NOT l.shard_end_reached
		  AND NOT EXISTS (SELECT FROM stream.leases p
						  WHERE p.application_name = p_application_name
							AND p.shard_no IN (h.parent_shard_no, h.adjacent_parent_shard_no)
							AND NOT p.shard_end_reached));

	held := ARRAY(
		SELECT l.shard_no FROM stream.leases l
		WHERE l.application_name = p_application_name AND l.shard_no = ANY (ready)
		  AND l.worker_id = p_worker_id
		ORDER BY l.shard_no
		FOR UPDATE SKIP LOCKED);

	SELECT pg_catalog.count(DISTINCT x.worker_id) + 1 INTO n_workers
	FROM (SELECT l.worker_id FROM stream.leases l
		  WHERE l.application_name = p_application_name AND l.shard_no = ANY (ready)
			AND l.worker_id <> p_worker_id AND l.lease_expires_at > at_now
		  UNION ALL
		  SELECT w.worker_id FROM stream.lease_workers w
		  WHERE w.application_name = p_application_name AND w.worker_id <> p_worker_id
			AND w.seen_at > at_now - duration) x;
	share := (pg_catalog.cardinality(ready) + n_workers - 1) / n_workers;
	IF p_max_leases IS NOT NULL AND share > p_max_leases THEN
		share := p_max_leases;
	END IF;

	IF pg_catalog.cardinality(held) > share THEN
		-- more than its share (more workers now, or max_leases): let the rest go
		UPDATE stream.leases l SET worker_id = NULL, lease_expires_at = NULL, spread = NULL
		WHERE l.application_name = p_application_name AND l.shard_no = ANY (held[share + 1:]);
		held := held[1:share];
	ELSIF pg_catalog.cardinality(held) = share AND share >= 2 THEN
		-- a worker waiting with no lease, the longest first, that no other
		-- holder is handing one to now
		SELECT w.worker_id INTO waiter FROM stream.lease_workers w
		WHERE w.application_name = p_application_name AND w.worker_id <> p_worker_id
		  AND w.seen_at > at_now - duration
		  AND NOT EXISTS (SELECT FROM stream.leases l
						  WHERE l.application_name = p_application_name
							AND l.worker_id = w.worker_id AND l.lease_expires_at > at_now)
		ORDER BY w.seen_at, w.worker_id
		LIMIT 1
		FOR UPDATE SKIP LOCKED;
		IF waiter IS NOT NULL THEN
			UPDATE stream.leases l
			SET worker_id = waiter, lease_expires_at = at_now + duration, spread = NULL
			WHERE l.application_name = p_application_name AND l.shard_no = held[share];
			DELETE FROM stream.lease_workers w
			WHERE w.application_name = p_application_name AND w.worker_id = waiter;
			held := held[1:share - 1];
			-- nothing more to take: that was this worker's share
			share := share - 1;
		END IF;
	END IF;

	IF pg_catalog.cardinality(held) < share THEN
		held := held || ARRAY(
			SELECT l.shard_no FROM stream.leases l
			WHERE l.application_name = p_application_name AND l.shard_no = ANY (ready)
			  AND l.worker_id IS DISTINCT FROM p_worker_id
			  AND (l.worker_id IS NULL OR l.lease_expires_at IS NULL OR l.lease_expires_at <= at_now)
			ORDER BY l.shard_no
			LIMIT share - pg_catalog.cardinality(held)
			FOR UPDATE SKIP LOCKED);
	END IF;

	IF pg_catalog.cardinality(held) < share THEN
		SELECT l.worker_id, pg_catalog.count(*) INTO victim, victim_count
		FROM stream.leases l
		WHERE l.application_name = p_application_name AND l.shard_no = ANY (ready)
		  AND l.worker_id <> p_worker_id AND l.lease_expires_at > at_now
		GROUP BY l.worker_id
		ORDER BY pg_catalog.count(*) DESC, l.worker_id
		LIMIT 1;
		IF victim_count > share
		   OR (victim_count = share AND share - pg_catalog.cardinality(held) >= 2) THEN
			held := held || ARRAY(
				SELECT l.shard_no FROM stream.leases l
				WHERE l.application_name = p_application_name AND l.shard_no = ANY (ready)
				  AND l.worker_id = victim
				ORDER BY l.shard_no DESC
				LIMIT 1
				FOR UPDATE SKIP LOCKED);
		END IF;
	END IF;

	IF pg_catalog.cardinality(held) = 0 AND pg_catalog.cardinality(ready) > 0 THEN
		-- nothing to read: say so, for the holders to count this worker
		INSERT INTO stream.lease_workers AS w (application_name, worker_id, seen_at)
			VALUES (p_application_name, p_worker_id, at_now)
		ON CONFLICT (application_name, worker_id) DO UPDATE SET seen_at = at_now;
	ELSIF EXISTS (SELECT FROM stream.lease_workers w
				  WHERE w.application_name = p_application_name AND w.worker_id = p_worker_id) THEN
		DELETE FROM stream.lease_workers w
		WHERE w.application_name = p_application_name AND w.worker_id = p_worker_id;
	END IF;

	RETURN QUERY
	SELECT l.shard_no, l.checkpoint, l.start_at FROM stream.leases l
	WHERE l.application_name = p_application_name AND l.shard_no = ANY (held)
	ORDER BY l.shard_no;
END
$$;

-- For consume, between the calls of take_leases (at least one a second,
-- and after a shard ended, application.c): locks and returns the shards
-- the worker held at its last call, the cheap way, if it still holds them
-- all and no worker waits for a share; otherwise it balances as
-- take_leases does.
CREATE FUNCTION stream_internal.keep_leases(p_application_name text, p_worker_id text,
											p_max_leases int, p_shard_nos int[])
	RETURNS TABLE(o_shard_no int, o_checkpoint numeric, o_start_at timestamptz)
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
	-- planned once: its statements' plans do not depend on the arguments
	SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	kept int[];
	checkpoints numeric[];
	starts timestamptz[];
BEGIN
	-- locked and read in one pass
	SELECT pg_catalog.array_agg(k.shard_no ORDER BY k.shard_no),
		   pg_catalog.array_agg(k.checkpoint ORDER BY k.shard_no),
		   pg_catalog.array_agg(k.start_at ORDER BY k.shard_no)
	INTO kept, checkpoints, starts
	FROM (SELECT l.shard_no, l.checkpoint, l.start_at FROM stream.leases l
		  WHERE l.application_name = p_application_name AND l.shard_no = ANY (p_shard_nos)
			AND l.worker_id = p_worker_id AND NOT l.shard_end_reached
		  FOR UPDATE SKIP LOCKED) k;
	IF coalesce(pg_catalog.cardinality(kept), 0) < pg_catalog.cardinality(p_shard_nos)
	   OR EXISTS (SELECT FROM stream.lease_workers w
				  WHERE w.application_name = p_application_name AND w.worker_id <> p_worker_id
					AND w.seen_at > pg_catalog.clock_timestamp()
									- (SELECT a.lease_duration FROM stream.applications a
									   WHERE a.application_name = p_application_name)) THEN
		RETURN QUERY SELECT * FROM stream_internal.take_leases(p_application_name, p_worker_id,
															   p_max_leases);
		RETURN;
	END IF;
	RETURN QUERY SELECT * FROM ROWS FROM (pg_catalog.unnest(kept), pg_catalog.unnest(checkpoints),
										 pg_catalog.unnest(starts));
END
$$;

-- For consume, at its end: the worker holds the shards it read for another
-- lease duration, with the checkpoint of the last record it returned of
-- each (NULL: none) and whether it read the shard to its end; a shard read
-- to its end needs no holder any more.  One update of each row.
CREATE FUNCTION stream_internal.finish_consume(p_application_name text, p_worker_id text,
											   p_shard_nos int[], p_checkpoints numeric[],
											   p_shard_ends boolean[])
	RETURNS void
	LANGUAGE plpgsql	-- not sql: PL/pgSQL keeps its plan from call to call
	SET search_path = pg_catalog, pg_temp
	-- planned once: its statements' plans do not depend on the arguments
	SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
	UPDATE stream.leases l
	SET worker_id = CASE WHEN u.shard_end THEN NULL ELSE p_worker_id END,
		lease_expires_at = CASE WHEN u.shard_end THEN NULL
								ELSE pg_catalog.clock_timestamp() + a.lease_duration END,
		checkpoint = coalesce(u.checkpoint, l.checkpoint),
		shard_end_reached = l.shard_end_reached OR u.shard_end,
		spread = NULL
	FROM stream.applications a,
		 ROWS FROM (pg_catalog.unnest(p_shard_nos), pg_catalog.unnest(p_checkpoints),
					pg_catalog.unnest(p_shard_ends)) AS u(shard_no, checkpoint, shard_end)
	WHERE a.application_name = p_application_name
	  AND l.application_name = p_application_name AND l.shard_no = u.shard_no;
END
$$;

-- Whether a checkpoint is a sequence number of a shard (application.c).
CREATE FUNCTION stream_internal.check_checkpoint(stream_id int, shard_no int,
												 sequence_number numeric)
	RETURNS void
	AS 'MODULE_PATHNAME', 'stream_check_checkpoint' LANGUAGE C;

-- How long the oldest record of a shard not processed yet has waited, in
-- milliseconds; 0 when there is none (application.c).
CREATE FUNCTION stream_internal.lease_millis_behind(stream_id int, shard_no int,
													checkpoint numeric, start_at timestamptz)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'stream_lease_millis_behind' LANGUAGE C STABLE;

CREATE FUNCTION stream_internal.checkpoint(p_application_name text, p_worker_id text,
										   p_shard_id text, p_sequence_number numeric)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a stream.applications := stream_internal.find_application(p_application_name, false);
	s stream.streams := stream_internal.application_stream(a);
	l stream.leases;
BEGIN
	IF p_worker_id IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException', 'worker id must not be null');
	END IF;
	IF p_shard_id IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException', 'shard id must not be null');
	END IF;
	IF p_sequence_number IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException', 'sequence number must not be null');
	END IF;
	SELECT * INTO l FROM stream.leases x
	WHERE x.application_name = a.application_name
	  AND x.shard_no = stream_internal.shard_no(p_shard_id)
	FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM stream_internal.raise('ResourceNotFoundException',
			pg_catalog.format('shard "%s" does not exist in stream "%s"',
							  stream_internal.quote(p_shard_id), s.stream_name));
	END IF;
	IF l.worker_id IS DISTINCT FROM p_worker_id THEN
		PERFORM stream_internal.raise('ResourceInUseException',
			pg_catalog.format('shard "%s" of application "%s" is not leased to worker "%s"',
							  p_shard_id, a.application_name, stream_internal.quote(p_worker_id)),
			CASE WHEN l.worker_id IS NULL THEN 'No worker holds it: consume takes it.'
				 ELSE pg_catalog.format('Worker "%s" holds it.', l.worker_id) END);
	END IF;
	PERFORM stream_internal.check_checkpoint(s.stream_id, l.shard_no, p_sequence_number);
	-- read again from there, to the end and then the children
	UPDATE stream.leases x SET checkpoint = p_sequence_number, shard_end_reached = false, spread = NULL
	WHERE x.application_name = a.application_name AND x.shard_no = l.shard_no;
END
$$;

CREATE FUNCTION stream_internal.leases(p_application_name text)
	RETURNS TABLE(o_shard_id text, o_worker_id text, o_lease_expires_at timestamptz,
				  o_checkpoint numeric, o_parent_shard_ids text[], o_shard_end_reached boolean,
				  o_millis_behind_latest bigint)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a stream.applications := stream_internal.find_application(p_application_name, false);
	s stream.streams := stream_internal.application_stream(a);
BEGIN
	RETURN QUERY
	SELECT stream_internal.shard_id(l.shard_no), l.worker_id, l.lease_expires_at, l.checkpoint,
		   ARRAY(SELECT stream_internal.shard_id(p.shard_no)
				 FROM pg_catalog.unnest(ARRAY[h.parent_shard_no, h.adjacent_parent_shard_no])
					  AS p(shard_no)
				 WHERE p.shard_no IS NOT NULL),
		   l.shard_end_reached,
		   CASE WHEN l.shard_end_reached THEN 0::bigint
				ELSE stream_internal.lease_millis_behind(s.stream_id, l.shard_no,
														 l.checkpoint, l.start_at) END
	FROM stream.leases l
	JOIN stream.shards h ON h.stream_id = l.stream_id AND h.shard_no = l.shard_no
	WHERE l.application_name = a.application_name
	ORDER BY l.shard_no;
END
$$;

-- Records of the shards the worker holds, each from its checkpoint, which
-- the caller's transaction moves past them (application.c)
CREATE FUNCTION stream.consume(application_name text, worker_id text, "limit" int DEFAULT 1000,
							   wait interval DEFAULT '0', max_leases int DEFAULT NULL)
	RETURNS TABLE(shard_id text, sequence_number numeric,
				  approximate_arrival_timestamp timestamptz, partition_key text, data bytea)
	AS 'MODULE_PATHNAME', 'stream_consume' LANGUAGE C VOLATILE ROWS 1000;
