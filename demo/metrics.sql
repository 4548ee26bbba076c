-- The data of demo/out/metrics.png (demo/run draws it with demo/metrics.gp),
-- from get_metric_statistics, a line a minute of the run (psql variables
-- "start" and "finish"): the minute, the records per second each of the 4
-- shards took in (shard-level IncomingRecords, counted since
-- enable_enhanced_monitoring in demo/shop.sql), the oldest iterator age of
-- the consumers (GetRecords.IteratorAgeMilliseconds: consume counts as
-- GetRecords), and the records refused by the shards' write quotas and the
-- reads refused by their read quotas, per second.  The per-second rates
-- divide by the seconds of the minute that the run covered.

\pset footer off
\pset tuples_only on
\pset format unaligned
\pset fieldsep '\t'

CREATE TEMP TABLE run AS SELECT :'start'::timestamptz AS start, :'finish'::timestamptz AS finish;

-- The sum of a metric of the stream (shard NULL) or of a shard in a minute.
CREATE FUNCTION pg_temp.total(metric text, shard text, minute timestamptz) RETURNS float8
LANGUAGE sql AS $$
	SELECT coalesce(sum(g.sum), 0)
	FROM stream.get_metric_statistics('clickstream', metric, minute, minute + interval '1 minute',
									  shard_id => shard) g
$$;

SELECT to_char(m.minute, 'HH24:MI'),
	   round((pg_temp.total('IncomingRecords', 'shardId-000000000000', m.minute) / m.seconds)::numeric, 1),
	   round((pg_temp.total('IncomingRecords', 'shardId-000000000001', m.minute) / m.seconds)::numeric, 1),
	   round((pg_temp.total('IncomingRecords', 'shardId-000000000002', m.minute) / m.seconds)::numeric, 1),
	   round((pg_temp.total('IncomingRecords', 'shardId-000000000003', m.minute) / m.seconds)::numeric, 1),
	   coalesce((SELECT max(g.maximum) FROM stream.get_metric_statistics(
					 'clickstream', 'GetRecords.IteratorAgeMilliseconds', m.minute,
					 m.minute + interval '1 minute') g), 0),
	   round((pg_temp.total('WriteProvisionedThroughputExceeded', NULL, m.minute) / m.seconds)::numeric, 1),
	   round((pg_temp.total('ReadProvisionedThroughputExceeded', NULL, m.minute) / m.seconds)::numeric, 1)
FROM run,
	 LATERAL (SELECT minute,
					 greatest(1, extract(epoch FROM least(run.finish, minute + interval '1 minute')
											   - greatest(run.start, minute))) AS seconds
			  FROM generate_series(date_trunc('minute', run.start), run.finish, interval '1 minute') minute) m
ORDER BY m.minute;
