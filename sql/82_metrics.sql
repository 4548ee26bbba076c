
----------------------------------------------------------------------------
-- Metrics (README, "Metrics"): counted by the calls in shared memory
-- (src/kinesis/metrics.c), kept here per minute by the maintenance pass
----------------------------------------------------------------------------

CREATE TABLE stream.metrics (
	stream_id		int NOT NULL REFERENCES stream.streams ON DELETE CASCADE,
	shard_no		int NOT NULL,	-- -1: the stream's, or a consumer's
	consumer_name	text NOT NULL,	-- '': not a consumer's
	metric			text NOT NULL,
	minute			timestamptz NOT NULL,
	sample_count	bigint NOT NULL,
	sum				float8 NOT NULL,
	minimum			float8 NOT NULL,
	maximum			float8 NOT NULL,
	PRIMARY KEY (stream_id, shard_no, consumer_name, metric, minute)
);
-- for the maintenance pass, which deletes the minutes past the retention
CREATE INDEX ON stream.metrics (minute);

-- The metrics, and what each is counted for: a row for each of 'stream',
-- 'shard' (after enable_enhanced_monitoring) and 'consumer' it is counted for.
CREATE FUNCTION stream_internal.metric_names() RETURNS TABLE(metric text, level text)
	AS 'MODULE_PATHNAME', 'stream_metric_names' LANGUAGE C IMMUTABLE;

CREATE FUNCTION stream_internal.live_metrics(stream_id int)
	RETURNS TABLE(stream_id int, shard_no int, consumer_name text, metric text,
				  minute timestamptz, sample_count bigint, sum float8, minimum float8,
				  maximum float8)
	AS 'MODULE_PATHNAME', 'stream_live_metrics' LANGUAGE C STRICT;

CREATE FUNCTION stream_internal.take_metrics()
	RETURNS TABLE(stream_id int, shard_no int, consumer_name text, metric text,
				  minute timestamptz, sample_count bigint, sum float8, minimum float8,
				  maximum float8)
	AS 'MODULE_PATHNAME', 'stream_take_metrics' LANGUAGE C;

-- For the maintenance pass: stores the minutes that are over (a minute may
-- come in parts, from backends that sent their samples late: they add up),
-- and deletes those older than stream.metrics_retention.
CREATE FUNCTION stream_internal.store_metrics() RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	INSERT INTO stream.metrics AS m
		SELECT t.* FROM stream_internal.take_metrics() t
		WHERE EXISTS (SELECT FROM stream.streams s WHERE s.stream_id = t.stream_id)
	ON CONFLICT (stream_id, shard_no, consumer_name, metric, minute) DO UPDATE
		SET sample_count = m.sample_count + EXCLUDED.sample_count,
			sum = m.sum + EXCLUDED.sum,
			minimum = least(m.minimum, EXCLUDED.minimum),
			maximum = greatest(m.maximum, EXCLUDED.maximum);
	DELETE FROM stream.metrics m
	WHERE m.minute < pg_catalog.now()
					 - pg_catalog.current_setting('stream.metrics_retention')::interval;
END
$$;

-- CloudWatch's GetMetricStatistics for one metric of a stream, of one of
-- its shards or of one of its consumers: each period from start_time that
-- has samples, with their count, sum, minimum, maximum and average.
CREATE FUNCTION stream_internal.get_metric_statistics(p_stream_name text, p_metric_name text,
													  p_start_time timestamptz,
													  p_end_time timestamptz,
													  p_period interval, p_shard_id text,
													  p_consumer_name text)
	RETURNS TABLE(o_period_start timestamptz, o_sample_count bigint, o_sum float8,
				  o_minimum float8, o_maximum float8, o_average float8)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.find_stream(p_stream_name);
	period_secs float8;
	of_level text := CASE WHEN p_shard_id IS NOT NULL THEN 'shard'
					   WHEN p_consumer_name IS NOT NULL THEN 'consumer' ELSE 'stream' END;
	of_shard int := -1;
	of_consumer text := coalesce(p_consumer_name, '');
BEGIN
	IF p_metric_name IS NULL
	   OR p_metric_name NOT IN (SELECT n.metric FROM stream_internal.metric_names() n) THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('unknown metric "%s"', stream_internal.quote(coalesce(p_metric_name, 'NULL'))),
			'The metrics are those of CloudWatch for Kinesis: see stream_internal.metric_names().');
	END IF;
	IF p_shard_id IS NOT NULL AND p_consumer_name IS NOT NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			'metrics are of a shard or of a consumer, not both',
			'Give a shard id or a consumer name.');
	END IF;
	IF NOT EXISTS (SELECT FROM stream_internal.metric_names() n
				   WHERE n.metric = p_metric_name AND n.level = of_level) THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('metric "%s" is not counted for a %s', p_metric_name, of_level),
			pg_catalog.format('The metrics of a %s are %s.', of_level,
				(SELECT pg_catalog.string_agg(n.metric, ', ') FROM stream_internal.metric_names() n
				 WHERE n.level = of_level)));
	END IF;
	IF p_shard_id IS NOT NULL THEN
		of_shard := stream_internal.check_shard_id(p_shard_id);
		IF of_shard >= s.next_shard_no THEN
			PERFORM stream_internal.raise('ResourceNotFoundException',
				pg_catalog.format('shard "%s" of stream "%s" does not exist', p_shard_id, s.stream_name));
		END IF;
	END IF;
	IF p_consumer_name IS NOT NULL AND NOT stream_internal.valid_stream_name(p_consumer_name) THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid consumer name "%s"', stream_internal.quote(p_consumer_name)),
			'A consumer name is 1 to 128 letters, digits, "_", "." and "-".');
	END IF;
	IF p_start_time IS NULL OR p_end_time IS NULL OR p_start_time >= p_end_time THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			'start_time must come before end_time');
	END IF;
	period_secs := EXTRACT(epoch FROM p_period);
	IF p_period IS NULL OR pg_catalog.date_part('month', p_period) <> 0
	   OR pg_catalog.date_part('year', p_period) <> 0
	   OR period_secs < 60 OR period_secs::bigint % 60 <> 0 OR period_secs <> period_secs::bigint THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('period %s is not a whole number of minutes', coalesce(p_period::text, 'NULL')),
			'A period is 1 minute or a multiple of it.');
	END IF;

	RETURN QUERY
	SELECT p_start_time + pg_catalog.make_interval(secs =>
			   pg_catalog.floor(EXTRACT(epoch FROM d.minute - p_start_time) / period_secs) * period_secs),
		   pg_catalog.sum(d.sample_count)::bigint, pg_catalog.sum(d.sum), pg_catalog.min(d.minimum),
		   pg_catalog.max(d.maximum), pg_catalog.sum(d.sum) / pg_catalog.sum(d.sample_count)
	FROM (SELECT m.minute, m.sample_count, m.sum, m.minimum, m.maximum
		  FROM stream.metrics m
		  WHERE m.stream_id = s.stream_id AND m.shard_no = of_shard
			AND m.consumer_name = of_consumer AND m.metric = p_metric_name
		  UNION ALL
		  SELECT l.minute, l.sample_count, l.sum, l.minimum, l.maximum
		  FROM stream_internal.live_metrics(s.stream_id) l
		  WHERE l.shard_no = of_shard AND l.consumer_name = of_consumer
			AND l.metric = p_metric_name) d
	WHERE d.minute >= p_start_time AND d.minute < p_end_time
	GROUP BY 1
	ORDER BY 1;
END
$$;

-- stream.stream_stats: one row a stream the calling role may describe, with
-- the last whole minute's traffic and throttles, and how far behind each
-- consumer application is (README, "Metrics").
CREATE FUNCTION stream_internal.stream_stats()
	RETURNS TABLE(o_stream_name text, o_minute timestamptz, o_incoming_records bigint,
				  o_incoming_bytes bigint, o_outgoing_records bigint, o_outgoing_bytes bigint,
				  o_iterator_age_milliseconds bigint, o_read_throttled bigint,
				  o_write_throttled bigint, o_application_lag jsonb)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	last_minute timestamptz := pg_catalog.date_trunc('minute', pg_catalog.clock_timestamp())
							   - interval '1 minute';
BEGIN
	RETURN QUERY
	SELECT s.stream_name, last_minute,
		   coalesce(pg_catalog.sum(d.sum) FILTER (WHERE d.metric = 'IncomingRecords'), 0)::bigint,
		   coalesce(pg_catalog.sum(d.sum) FILTER (WHERE d.metric = 'IncomingBytes'), 0)::bigint,
		   coalesce(pg_catalog.sum(d.sum) FILTER (WHERE d.metric IN ('GetRecords.Records',
																	 'SubscribeToShardEvent.Records')), 0)::bigint,
		   coalesce(pg_catalog.sum(d.sum) FILTER (WHERE d.metric IN ('GetRecords.Bytes',
																	 'SubscribeToShardEvent.Bytes')), 0)::bigint,
		   coalesce(pg_catalog.max(d.maximum) FILTER (WHERE d.metric = 'GetRecords.IteratorAgeMilliseconds'),
					0)::bigint,
		   coalesce(pg_catalog.sum(d.sum) FILTER (WHERE d.metric IN ('ReadProvisionedThroughputExceeded',
																	 'SubscribeToShard.RateExceeded')), 0)::bigint,
		   coalesce(pg_catalog.sum(d.sum) FILTER (WHERE d.metric = 'WriteProvisionedThroughputExceeded'),
					0)::bigint,
		   (SELECT pg_catalog.jsonb_object_agg(a.application_name,
				(SELECT coalesce(pg_catalog.max(CASE WHEN l.shard_end_reached THEN 0
												   ELSE stream_internal.lease_millis_behind(
															l.stream_id, l.shard_no, l.checkpoint,
															l.start_at) END), 0)
				 FROM stream.leases l WHERE l.application_name = a.application_name))
			FROM stream.applications a WHERE a.stream_id = s.stream_id)
	FROM stream.streams s
	LEFT JOIN LATERAL (
		SELECT m.metric, m.sum, m.maximum FROM stream.metrics m
		WHERE m.stream_id = s.stream_id AND m.shard_no = -1 AND m.consumer_name = ''
		  AND m.minute = last_minute
		UNION ALL
		SELECT l.metric, l.sum, l.maximum FROM stream_internal.live_metrics(s.stream_id) l
		WHERE l.shard_no = -1 AND l.consumer_name = '' AND l.minute = last_minute) d ON true
	WHERE stream_internal.has_privilege(stream_internal.caller(), s.acl, 'describe')
	GROUP BY s.stream_id, s.stream_name
	ORDER BY s.stream_name;
END
$$;

-- enable_enhanced_monitoring and disable_enhanced_monitoring: adds metrics
-- to those the stream counts per shard, or takes them away, and returns
-- those it counts then.  'ALL' names all seven.
CREATE FUNCTION stream_internal.set_enhanced_monitoring(p_stream_name text, p_metrics text[],
														p_enable boolean)
	RETURNS text[]
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.lock_active_stream(p_stream_name);
	all_metrics text[] := ARRAY(SELECT n.metric FROM stream_internal.metric_names() n
								WHERE n.level = 'shard');
	given text[];
	result text[];
	m text;
BEGIN
	IF p_metrics IS NULL OR pg_catalog.cardinality(p_metrics) NOT BETWEEN 1 AND 7 THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			'shard-level metrics must be an array of 1 to 7 metric names',
			pg_catalog.format('They are %s, or ALL.', pg_catalog.array_to_string(all_metrics, ', ')));
	END IF;
	FOREACH m IN ARRAY p_metrics LOOP
		IF m IS NULL OR (m <> 'ALL' AND m <> ALL (all_metrics)) THEN
			PERFORM stream_internal.raise('InvalidArgumentException',
				pg_catalog.format('unknown shard-level metric "%s"', stream_internal.quote(coalesce(m, 'NULL'))),
				pg_catalog.format('They are %s, or ALL.', pg_catalog.array_to_string(all_metrics, ', ')));
		END IF;
	END LOOP;
	given := CASE WHEN 'ALL' = ANY (p_metrics) THEN all_metrics ELSE p_metrics END;
	-- in the order of metric_names(), whatever the order given
	result := ARRAY(SELECT a.m FROM pg_catalog.unnest(all_metrics) WITH ORDINALITY a(m, i)
					WHERE CASE WHEN p_enable THEN a.m = ANY (s.shard_level_metrics || given)
							   ELSE a.m = ANY (s.shard_level_metrics) AND a.m <> ALL (given) END
					ORDER BY a.i);
	IF result IS DISTINCT FROM s.shard_level_metrics THEN
		UPDATE stream.streams x SET shard_level_metrics = result WHERE x.stream_id = s.stream_id;
	END IF;
	RETURN result;
END
$$;

CREATE FUNCTION stream_internal.enable_enhanced_monitoring(p_stream_name text,
														   p_shard_level_metrics text[])
	RETURNS text[]
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
	RETURN stream_internal.set_enhanced_monitoring(p_stream_name, p_shard_level_metrics, true);

CREATE FUNCTION stream_internal.disable_enhanced_monitoring(p_stream_name text,
															p_shard_level_metrics text[])
	RETURNS text[]
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
	RETURN stream_internal.set_enhanced_monitoring(p_stream_name, p_shard_level_metrics, false);
