
----------------------------------------------------------------------------
-- Resharding: split, merge, uniform scaling
----------------------------------------------------------------------------

-- Locks the segments of shards about to be closed against writers, which
-- waits for every transaction that wrote to them: so each one's last record
-- is committed (or rolled back) before any record of its children can be, and
-- no record lands in it afterwards (a writer that gets the lock later sees the
-- shard closed and goes to a child).  All shards of one reshard are locked at
-- once, so that a writer holding one and waiting for another cannot deadlock
-- with it.
CREATE FUNCTION stream_internal.lock_shards(s stream.streams, shard_nos int[]) RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT stream_internal.lock_segments(coalesce(pg_catalog.array_agg(relation), '{}'))
	FROM stream.segments WHERE stream_id = s.stream_id AND shard_no = ANY (shard_nos)
$$;

-- The open shard of a stream named by a shard id, locked for a reshard.
CREATE FUNCTION stream_internal.open_shard(s stream.streams, p_shard_id text)
	RETURNS stream.shards
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	h stream.shards;
BEGIN
	IF p_shard_id IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException', 'shard id must not be null');
	END IF;
	SELECT * INTO h FROM stream.shards
	WHERE stream_id = s.stream_id AND shard_no = stream_internal.shard_no(p_shard_id)
	FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM stream_internal.raise('ResourceNotFoundException',
			pg_catalog.format('shard "%s" does not exist in stream "%s"',
							  stream_internal.quote(p_shard_id), s.stream_name));
	END IF;
	IF h.closed_at IS NOT NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('shard "%s" of stream "%s" is closed', p_shard_id, s.stream_name),
			'Only open shards are split and merged.');
	END IF;
	RETURN h;
END
$$;

-- An active stream locked for a reshard by hand, which Kinesis allows only in
-- PROVISIONED mode: the shards of an ON_DEMAND stream are the maintenance
-- pass's to scale.
CREATE FUNCTION stream_internal.lock_provisioned_stream(p_stream_name text) RETURNS stream.streams
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.lock_active_stream(p_stream_name);
BEGIN
	IF s.stream_mode <> 'PROVISIONED' THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('stream "%s" is ON_DEMAND', s.stream_name),
			'The shards of an ON_DEMAND stream are split and merged automatically; switch it to PROVISIONED with stream.update_stream_mode to reshard it yourself.');
	END IF;
	RETURN s;
END
$$;

-- Closes a shard whose segments the caller has locked (lock_shards), so that
-- its ending sequence number is final.
CREATE FUNCTION stream_internal.close_shard(s stream.streams, h stream.shards) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	g record;
	last_end numeric;
BEGIN
	FOR g IN SELECT * FROM stream.segments
			 WHERE stream_id = s.stream_id AND shard_no = h.shard_no ORDER BY segment_no LOOP
		IF (stream_internal.segment_info(g.relation)).records > 0 OR last_end IS NULL THEN
			last_end := stream_internal.segment_end(g.relation, g.segment_no);
		END IF;
	END LOOP;
	UPDATE stream.shards SET closed_at = pg_catalog.clock_timestamp(),
							 ending_sequence_number = last_end - 1
		WHERE stream_id = s.stream_id AND shard_no = h.shard_no;
END
$$;

-- Creates an open shard with its first segment; returns its number.
CREATE FUNCTION stream_internal.new_shard(s stream.streams, starting numeric, ending numeric,
										  parent int, adjacent_parent int) RETURNS int
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n int;
	seg int;
BEGIN
	UPDATE stream.streams SET next_shard_no = next_shard_no + 1,
							  next_segment_no = next_segment_no + 1
		WHERE stream_id = s.stream_id
		RETURNING next_shard_no - 1, next_segment_no - 1 INTO n, seg;
	INSERT INTO stream.shards (stream_id, shard_no, parent_shard_no, adjacent_parent_shard_no,
							   starting_hash_key, ending_hash_key, starting_sequence_number)
		VALUES (s.stream_id, n, parent, adjacent_parent, starting, ending,
				stream_internal.segment_start(seg));
	INSERT INTO stream.segments (stream_id, segment_no, shard_no, relation)
		VALUES (s.stream_id, seg, n, stream_internal.create_segment(s.stream_id, n, seg));
	-- the segments of an encrypted stream come with a data key
	PERFORM stream_internal.give_data_key(s.stream_id, seg, x.kms_key_id)
	FROM stream.streams x WHERE x.stream_id = s.stream_id AND x.encryption_type = 'KMS';
	RETURN n;
END
$$;

-- Splits an open shard in two at a hash key; returns the two children.
CREATE FUNCTION stream_internal.split(s stream.streams, h stream.shards,
									  new_starting_hash_key numeric,
									  OUT lower int, OUT upper int)
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream_internal.close_shard(s, h);
	lower := stream_internal.new_shard(s, h.starting_hash_key, new_starting_hash_key - 1,
									   h.shard_no, NULL);
	upper := stream_internal.new_shard(s, new_starting_hash_key, h.ending_hash_key,
									   h.shard_no, NULL);
END
$$;

-- Merges two adjacent open shards; returns the child.
CREATE FUNCTION stream_internal.merge(s stream.streams, a stream.shards, b stream.shards) RETURNS int
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream_internal.close_shard(s, a);
	PERFORM stream_internal.close_shard(s, b);
	RETURN stream_internal.new_shard(s, least(a.starting_hash_key, b.starting_hash_key),
									 greatest(a.ending_hash_key, b.ending_hash_key),
									 a.shard_no, b.shard_no);
END
$$;

CREATE FUNCTION stream_internal.split_shard(stream_name text, shard_to_split text,
								   new_starting_hash_key numeric) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.lock_provisioned_stream(stream_name);
	h stream.shards := stream_internal.open_shard(s, shard_to_split);
BEGIN
	IF new_starting_hash_key IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
									  'new starting hash key must not be null');
	END IF;
	IF new_starting_hash_key <> pg_catalog.trunc(new_starting_hash_key)
	   OR new_starting_hash_key <= h.starting_hash_key
	   OR new_starting_hash_key > h.ending_hash_key THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('new starting hash key %s is not inside the hash key range of shard "%s"',
							  stream_internal.quote(new_starting_hash_key::text), shard_to_split),
			pg_catalog.format('The shard covers %s to %s: the new starting hash key is a whole number greater than the first and at most the last.',
							  h.starting_hash_key, h.ending_hash_key));
	END IF;
	PERFORM stream_internal.check_shard_limit(1,
		pg_catalog.format('splitting a shard of stream "%s"', s.stream_name));
	PERFORM stream_internal.lock_shards(s, ARRAY[h.shard_no]);
	PERFORM stream_internal.split(s, h, new_starting_hash_key);
END
$$;

CREATE FUNCTION stream_internal.merge_shards(stream_name text, shard_to_merge text,
									adjacent_shard_to_merge text) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.lock_provisioned_stream(stream_name);
	a stream.shards := stream_internal.open_shard(s, shard_to_merge);
	b stream.shards := stream_internal.open_shard(s, adjacent_shard_to_merge);
BEGIN
	IF a.shard_no = b.shard_no OR NOT (a.ending_hash_key + 1 = b.starting_hash_key
									   OR b.ending_hash_key + 1 = a.starting_hash_key) THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('shards "%s" and "%s" of stream "%s" are not adjacent',
							  shard_to_merge, adjacent_shard_to_merge, s.stream_name),
			'Two shards are merged only when the hash key range of one ends just before that of the other.');
	END IF;
	PERFORM stream_internal.lock_shards(s, ARRAY[a.shard_no, b.shard_no]);
	PERFORM stream_internal.merge(s, a, b);
END
$$;

-- Reshards to target_shard_count shards of equal hash key ranges, as Kinesis'
-- UNIFORM_SCALING does: by splitting the open shards at the new boundaries,
-- then merging the pieces of each new range, so that every new shard has
-- parents that a consumer reads to their end first.  (Its output columns are
-- named o_..., as PL/pgSQL needs; stream.update_shard_count has API.md's.)
CREATE FUNCTION stream_internal.update_shard_count(p_stream_name text, p_target int,
												   scaling_type text)
	RETURNS TABLE(o_current_shard_count int, o_target_shard_count int)
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.lock_provisioned_stream(p_stream_name);
	n_open int;
	r record;
	h stream.shards;
	b stream.shards;
	recent bigint;
	i int;
BEGIN
	IF scaling_type IS NULL OR scaling_type <> 'UNIFORM_SCALING' THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid scaling type "%s"',
							  stream_internal.quote(coalesce(scaling_type, 'NULL'))),
			'The one scaling type is UNIFORM_SCALING.');
	END IF;
	IF p_target IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
									  'target shard count must not be null');
	END IF;
	IF p_target < 1 THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid target shard count %s', p_target),
			'A stream has at least 1 shard.');
	END IF;
	SELECT pg_catalog.count(*) INTO n_open FROM stream.shards h2
	WHERE h2.stream_id = s.stream_id AND h2.closed_at IS NULL;
	IF p_target > 2 * n_open OR 2 * p_target < n_open THEN
		PERFORM stream_internal.raise('LimitExceededException',
			pg_catalog.format('target shard count %s of stream "%s" is out of range',
							  p_target, s.stream_name),
			pg_catalog.format('The stream has %s open shards; the target is from half to double that.',
							  n_open));
	END IF;
	IF p_target = n_open THEN
		RETURN QUERY SELECT n_open, p_target;
		RETURN;
	END IF;
	SELECT pg_catalog.count(*) INTO recent FROM stream.scalings c
	WHERE c.stream_id = s.stream_id
	  AND c.scaled_at > pg_catalog.clock_timestamp() - interval '24 hours';
	IF recent >= 10 THEN
		PERFORM stream_internal.raise('LimitExceededException',
			pg_catalog.format('stream "%s" was scaled %s times in the last 24 hours',
							  s.stream_name, recent),
			'A stream is scaled at most 10 times in a rolling 24 hours.');
	END IF;
	IF p_target > n_open THEN
		PERFORM stream_internal.check_shard_limit(p_target - n_open,
			pg_catalog.format('scaling stream "%s" to %s shards', s.stream_name, p_target));
	END IF;

	PERFORM stream_internal.lock_shards(s, pg_catalog.array_agg(h2.shard_no))
	FROM stream.shards h2 WHERE h2.stream_id = s.stream_id AND h2.closed_at IS NULL;
	-- split every open shard at each new boundary inside it
	FOR i IN 1 .. p_target - 1 LOOP
		r := stream_internal.uniform_range(i, p_target);
		SELECT * INTO h FROM stream.shards h2
		WHERE h2.stream_id = s.stream_id AND h2.closed_at IS NULL
		  AND h2.starting_hash_key < r.starting_hash_key
		  AND h2.ending_hash_key >= r.starting_hash_key;
		IF FOUND THEN
			PERFORM stream_internal.split(s, h, r.starting_hash_key);
		END IF;
	END LOOP;
	-- merge the pieces of each new range, left to right
	FOR i IN 0 .. p_target - 1 LOOP
		r := stream_internal.uniform_range(i, p_target);
		LOOP
			SELECT * INTO h FROM stream.shards h2
			WHERE h2.stream_id = s.stream_id AND h2.closed_at IS NULL
			  AND h2.starting_hash_key = r.starting_hash_key;
			SELECT * INTO b FROM stream.shards h2
			WHERE h2.stream_id = s.stream_id AND h2.closed_at IS NULL
			  AND h2.starting_hash_key = h.ending_hash_key + 1
			  AND h2.ending_hash_key <= r.ending_hash_key;
			EXIT WHEN NOT FOUND;
			PERFORM stream_internal.merge(s, h, b);
		END LOOP;
	END LOOP;
	INSERT INTO stream.scalings (stream_id) VALUES (s.stream_id);
	RETURN QUERY SELECT n_open, p_target;
END
$$;
