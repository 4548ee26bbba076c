
----------------------------------------------------------------------------
-- Retention
----------------------------------------------------------------------------

-- A retention period in whole hours, rounded up.
CREATE FUNCTION stream_internal.retention_hours(retention interval) RETURNS int
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.ceil(extract(epoch FROM retention) / 3600)::int $$;

-- The hours argument of create_stream and the retention functions: whole
-- hours, 24 to 8760.
CREATE FUNCTION stream_internal.check_retention_hours(hours int) RETURNS void
	LANGUAGE plpgsql IMMUTABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF hours IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
									  'retention period must not be null');
	END IF;
	IF hours < 24 OR hours > 8760 THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('retention period %s hours is out of range', hours),
			'The retention period is from 24 to 8760 hours.');
	END IF;
END
$$;

-- Sets the retention period of an ACTIVE stream.  "direction" is what the
-- function the user called allows: 1 only longer (increase_), -1 only
-- shorter (decrease_), 0 either way (set_).
CREATE FUNCTION stream_internal.change_retention(p_stream_name text, wanted interval,
												 direction int)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.lock_active_stream(p_stream_name);
	wanted_hours int := stream_internal.retention_hours(wanted);
	current_hours int := stream_internal.retention_hours(s.retention_period);
BEGIN
	IF direction > 0 AND wanted < s.retention_period THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('retention period %s hours is less than the %s hours of stream "%s"',
							  wanted_hours, current_hours, s.stream_name),
			'Use decrease_stream_retention_period to shorten it.');
	ELSIF direction < 0 AND wanted > s.retention_period THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('retention period %s hours is more than the %s hours of stream "%s"',
							  wanted_hours, current_hours, s.stream_name),
			'Use increase_stream_retention_period to lengthen it.');
	END IF;
	UPDATE stream.streams SET retention_period = wanted WHERE stream_id = s.stream_id;
END
$$;

-- The same for whole hours, 24 to 8760.
CREATE FUNCTION stream_internal.change_retention_hours(p_stream_name text, hours int,
													   direction int)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- the stream first, then the argument, as Kinesis answers
	PERFORM stream_internal.lock_stream(p_stream_name);
	PERFORM stream_internal.check_retention_hours(hours);
	PERFORM stream_internal.change_retention(p_stream_name,
											 pg_catalog.make_interval(hours => hours), direction);
END
$$;

CREATE FUNCTION stream_internal.increase_stream_retention_period(stream_name text,
														retention_period_hours int)
	RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT stream_internal.change_retention_hours($1, $2, 1) $$;

CREATE FUNCTION stream_internal.decrease_stream_retention_period(stream_name text,
														retention_period_hours int)
	RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT stream_internal.change_retention_hours($1, $2, -1) $$;

-- Any interval from stream.min_retention_period to 8760 hours, for tests and
-- demos that need retention in seconds.  It is measured in seconds, as
-- retention_period_hours reports it (a year of months is 8766 hours, too
-- long), and kept as seconds, so that every reader takes the same horizon.
CREATE FUNCTION stream_internal.set_retention_period(stream_name text, retention_period interval)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	floor_period interval := pg_catalog.current_setting('stream.min_retention_period')::interval;
	seconds numeric;
BEGIN
	PERFORM stream_internal.lock_stream(stream_name);
	IF retention_period IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
									  'retention period must not be null');
	END IF;
	seconds := extract(epoch FROM retention_period);
	IF seconds < extract(epoch FROM floor_period) OR seconds > 8760 * 3600 THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('retention period %s is out of range', retention_period),
			pg_catalog.format('The retention period is from %s (stream.min_retention_period) to 8760 hours.',
							  floor_period));
	END IF;
	PERFORM stream_internal.change_retention(stream_name,
											 pg_catalog.make_interval(secs => seconds), 0);
END
$$;
