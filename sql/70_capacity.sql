
----------------------------------------------------------------------------
-- Capacity modes and on-demand scaling
----------------------------------------------------------------------------

-- A capacity mode: PROVISIONED or ON_DEMAND.
CREATE FUNCTION stream_internal.check_stream_mode(stream_mode text) RETURNS void
	LANGUAGE plpgsql IMMUTABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF stream_mode IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
									  'stream mode must not be null');
	END IF;
	IF stream_mode NOT IN ('PROVISIONED', 'ON_DEMAND') THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid stream mode "%s"', stream_internal.quote(stream_mode)),
			'The stream modes are PROVISIONED and ON_DEMAND.');
	END IF;
END
$$;

-- Raises LimitExceededException when one more stream in on-demand mode
-- would pass stream.on_demand_stream_limit; "what" says what would add it.
CREATE FUNCTION stream_internal.check_on_demand_limit(what text) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	on_demand bigint;
	lim int := pg_catalog.current_setting('stream.on_demand_stream_limit')::int;
BEGIN
	SELECT pg_catalog.count(*) INTO on_demand FROM stream.streams s WHERE s.stream_mode = 'ON_DEMAND';
	IF on_demand + 1 > lim THEN
		PERFORM stream_internal.raise('LimitExceededException',
			pg_catalog.format('%s would exceed the limit of %s streams in on-demand mode', what, lim),
			pg_catalog.format('%s streams are in on-demand mode in this database; stream.on_demand_stream_limit sets the limit.',
							  on_demand));
	END IF;
END
$$;

-- The limits of the database (what DescribeLimits says of an account).
CREATE FUNCTION stream_internal.describe_limits()
	RETURNS TABLE(o_shard_limit int, o_open_shard_count int, o_on_demand_stream_count int,
				  o_on_demand_stream_count_limit int)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.current_setting('stream.shard_limit')::int,
		   (SELECT pg_catalog.count(*)::int FROM stream.shards h WHERE h.closed_at IS NULL),
		   (SELECT pg_catalog.count(*)::int FROM stream.streams s WHERE s.stream_mode = 'ON_DEMAND'),
		   pg_catalog.current_setting('stream.on_demand_stream_limit')::int
$$;

-- Switches a stream between PROVISIONED and ON_DEMAND.  Kinesis allows two
-- switches in a rolling 24 hours.
CREATE FUNCTION stream_internal.update_stream_mode(stream_name text, stream_mode text) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.lock_active_stream(stream_name);
	recent bigint;
BEGIN
	PERFORM stream_internal.check_stream_mode(stream_mode);
	IF s.stream_mode = stream_mode THEN
		RETURN;
	END IF;
	SELECT pg_catalog.count(*) INTO recent FROM stream.mode_changes c
	WHERE c.stream_id = s.stream_id
	  AND c.changed_at > pg_catalog.clock_timestamp() - interval '24 hours';
	IF recent >= 2 THEN
		PERFORM stream_internal.raise('LimitExceededException',
			pg_catalog.format('the mode of stream "%s" was changed %s times in the last 24 hours',
							  s.stream_name, recent),
			'The mode of a stream changes at most twice in a rolling 24 hours.');
	END IF;
	IF stream_mode = 'ON_DEMAND' THEN
		-- switches to on-demand take turns, so that the limit holds
		LOCK TABLE stream.streams IN SHARE ROW EXCLUSIVE MODE;
		PERFORM stream_internal.check_on_demand_limit(
			pg_catalog.format('switching stream "%s" to on-demand mode', s.stream_name));
	END IF;
	UPDATE stream.streams SET stream_mode = update_stream_mode.stream_mode
		WHERE stream_id = s.stream_id;
	INSERT INTO stream.mode_changes (stream_id) VALUES (s.stream_id);
END
$$;

-- The moving average of a shard's offered write rate over
-- stream.on_demand_scaling_window, from the meter in shared memory (quota.c),
-- and how long the meter has watched the shard.  NULL without the preload.
CREATE FUNCTION stream_internal.shard_load(stream_id int, shard_no int,
										   OUT bytes_per_second float8,
										   OUT records_per_second float8,
										   OUT observed_seconds float8)
	AS 'MODULE_PATHNAME', 'stream_shard_load' LANGUAGE C STRICT;

-- The shards of an on-demand stream never merge below this many: Kinesis
-- gives an on-demand stream at least 4 MiB/s of writes.
CREATE FUNCTION stream_internal.on_demand_min_shards() RETURNS int
	LANGUAGE sql IMMUTABLE
	SET search_path = pg_catalog, pg_temp
AS 'SELECT 4';

-- Scales an on-demand stream whose row the caller has locked, by one reshard
-- at most, and says what it did (NULL: nothing).  A shard is hot when its
-- write rate, averaged over stream.on_demand_scaling_window, passes half its
-- capacity (stream.shard_write_bytes_per_second or _records_per_second): it
-- is split in the middle of its hash key range, so that each half can take
-- twice its share before it is throttled.  Two adjacent shards watched for a
-- whole window are merged when together they use less than a quarter of one
-- shard's capacity, so the child too can take twice their load; a stream
-- keeps at least stream_internal.on_demand_min_shards() open shards.  With
-- both write quotas off, shards have no capacity to scale to, and nothing is
-- done.
--
-- The reshard waits at most a second for the writers of the shards, so that
-- a transaction left open cannot hold up the maintenance pass: then it is
-- given up (lock_not_available) and tried again at the next pass.
CREATE FUNCTION stream_internal.scale_on_demand(s stream.streams) RETURNS text
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	-- pg_settings gives the values in their base units (bytes, seconds)
	cap_bytes float8 := (SELECT setting FROM pg_catalog.pg_settings
						 WHERE name = 'stream.shard_write_bytes_per_second');
	cap_records float8 := (SELECT setting FROM pg_catalog.pg_settings
						   WHERE name = 'stream.shard_write_records_per_second');
	window_seconds float8 := (SELECT setting FROM pg_catalog.pg_settings
							  WHERE name = 'stream.on_demand_scaling_window');
	saved_lock_timeout text := current_setting('lock_timeout');
	h stream.shards;
	prev stream.shards;
	l record;
	prev_bytes float8;
	prev_records float8;
	prev_observed float8;
	load float8;
	n_open int := 0;
	hot stream.shards;
	hot_load float8 := 0;
	cold_a stream.shards;
	cold_b stream.shards;
	cold_load float8 := 'Infinity';
	done text;
BEGIN
	IF cap_bytes = 0 AND cap_records = 0 THEN
		RETURN NULL;
	END IF;

	-- The hottest shard (its load as a fraction of its capacity, the larger
	-- of bytes and records), and the coldest pair of neighbours watched for a
	-- whole window (open shards tile the hash key space, so neighbours in
	-- hash key order are adjacent).
	FOR h IN SELECT * FROM stream.shards
			 WHERE stream_id = s.stream_id AND closed_at IS NULL
			 ORDER BY starting_hash_key LOOP
		l := stream_internal.shard_load(h.stream_id, h.shard_no);
		CONTINUE WHEN l IS NULL;
		n_open := n_open + 1;
		load := greatest(CASE WHEN cap_bytes > 0 THEN l.bytes_per_second / cap_bytes ELSE 0 END,
						 CASE WHEN cap_records > 0 THEN l.records_per_second / cap_records
							  ELSE 0 END);
		IF load > hot_load AND h.ending_hash_key > h.starting_hash_key THEN
			hot := h;
			hot_load := load;
		END IF;
		IF prev.shard_no IS NOT NULL AND l.observed_seconds >= window_seconds
		   AND prev_observed >= window_seconds THEN
			load := greatest(
				CASE WHEN cap_bytes > 0
					 THEN (l.bytes_per_second + prev_bytes) / cap_bytes ELSE 0 END,
				CASE WHEN cap_records > 0
					 THEN (l.records_per_second + prev_records) / cap_records ELSE 0 END);
			IF load < cold_load THEN
				cold_a := prev;
				cold_b := h;
				cold_load := load;
			END IF;
		END IF;
		prev := h;
		prev_bytes := l.bytes_per_second;
		prev_records := l.records_per_second;
		prev_observed := l.observed_seconds;
	END LOOP;

	PERFORM set_config('lock_timeout', '1s', true);
	IF hot_load > 0.5 THEN
		IF (SELECT count(*) FROM stream.shards WHERE closed_at IS NULL)
		   < current_setting('stream.shard_limit')::int THEN
			PERFORM 1 FROM stream.shards
			WHERE stream_id = s.stream_id AND shard_no = hot.shard_no FOR UPDATE;
			PERFORM stream_internal.lock_shards(s, ARRAY[hot.shard_no]);
			PERFORM stream_internal.split(s, hot, hot.starting_hash_key
				+ pg_catalog.div(hot.ending_hash_key - hot.starting_hash_key + 1, 2));
			done := pg_catalog.format('split %s at %s%% of its capacity',
									  stream_internal.shard_id(hot.shard_no),
									  pg_catalog.round((hot_load * 100)::numeric, 1));
		END IF;
	ELSIF cold_load < 0.25 AND n_open > stream_internal.on_demand_min_shards() THEN
		PERFORM 1 FROM stream.shards
		WHERE stream_id = s.stream_id AND shard_no IN (cold_a.shard_no, cold_b.shard_no)
		FOR UPDATE;
		PERFORM stream_internal.lock_shards(s, ARRAY[cold_a.shard_no, cold_b.shard_no]);
		PERFORM stream_internal.merge(s, cold_a, cold_b);
		done := pg_catalog.format('merged %s and %s at %s%% of one shard''s capacity',
								  stream_internal.shard_id(cold_a.shard_no),
								  stream_internal.shard_id(cold_b.shard_no),
								  pg_catalog.round((cold_load * 100)::numeric, 1));
	END IF;
	PERFORM set_config('lock_timeout', saved_lock_timeout, true);
	RETURN done;
END
$$;
