-- What the demo wrote and read; demo/run prints this after the consumer has
-- caught up.

\pset footer off

\echo
\echo 'Written, per producer (put_record calls, put_records batches, retries after throttling);'
\echo 'producer 4 is the AWS CLI, through the Kinesis endpoint:'
SELECT producer, events, puts, batches, retries FROM produced ORDER BY producer;
SELECT sum(events) AS "events written" FROM produced;

\echo 'Processed by the application shop-analytics (stream.consume), per shard and worker:'
SELECT shard_id, worker, count(*) AS records,
	   min(sequence_number) AS first_sequence_number,
	   max(sequence_number) AS last_sequence_number
FROM consumed GROUP BY shard_id, worker ORDER BY shard_id, min(sequence_number);
SELECT count(*) AS "records processed" FROM consumed;

\echo 'Its leases at the end (worker-2 was stopped halfway; worker-1 took its shards over):'
SELECT shard_id, worker_id, checkpoint, millis_behind_latest
FROM stream.leases('shop-analytics') ORDER BY shard_id;

\echo 'Views per page, counted by the trigger page-views (stream.create_trigger), the top 5:'
SELECT page, views FROM page_views ORDER BY views DESC, page LIMIT 5;
SELECT trigger_name, state, records, batches, millis_behind_latest
FROM stream.triggers;

\echo 'The delivery clicks-archive (stream.create_delivery), writing the stream to files:'
SELECT delivery_name, destination, state, records, deliveries AS files, millis_behind_latest
FROM stream.deliveries;

\echo 'The stream is encrypted at rest with its key; get_records says how each record was stored:'
SELECT s.encryption_type, k.alias, k.key_arn
FROM stream.describe_stream_summary('clickstream') s
JOIN stream.list_keys() k ON s.key_id = k.alias;
SELECT encryption_type, count(*) AS "records (the first 1,000 of each shard)" FROM stored GROUP BY 1 ORDER BY 1;

\echo 'The AWS CLI''s events, as the application processed them beside the others:'
SELECT (event ->> 'producer')::int = 4 AS "through the endpoint", count(*) AS records,
	   count(DISTINCT worker) AS workers
FROM consumed GROUP BY 1 ORDER BY 1;

\echo 'A few events, decoded:'
SELECT shard_id, partition_key, event - 'at' - 'producer' - 'n' AS event
FROM (SELECT * FROM consumed ORDER BY random() LIMIT 5) AS sample
ORDER BY shard_id, sequence_number;

\echo 'What the stream retains, by event type (SQL analytics with stream.read):'
SELECT convert_from(data, 'UTF8')::jsonb ->> 'type' AS event_type,
	   count(*) AS events,
	   count(DISTINCT partition_key) AS users
FROM stream.read('clickstream')
GROUP BY 1 ORDER BY 2 DESC;

\echo 'Through the change feed (pg_recvlogical as shop_feed, test_decoding, decode_feed_message), per shard:'
SELECT shard_id, count(*) AS records, count(*) FILTER (WHERE data IS NULL) AS still_encrypted
FROM fed GROUP BY shard_id ORDER BY shard_id;

\echo 'Checks:'
SELECT (SELECT coalesce(sum(events), 0) FROM produced)
		   = (SELECT count(*) FROM consumed)
		   AS "written = processed",
	   (SELECT count(*) FROM fed) = (SELECT count(*) FROM consumed)
		   AS "processed = fed",
	   (SELECT sum(views) FROM page_views)
		   = (SELECT count(*) FROM consumed WHERE event ->> 'type' = 'page_view')
		   AS "views counted = processed",
	   (SELECT count(*) = count(DISTINCT (shard_id, sequence_number))
		FROM consumed) AS "nothing processed twice",
	   NOT EXISTS (
		   SELECT FROM (
			   SELECT event -> 'n' AS n,
					  lag(event -> 'n') OVER (
						  PARTITION BY partition_key, event -> 'producer'
						  ORDER BY sequence_number) AS previous_n
			   FROM consumed) AS ordered
		   WHERE previous_n >= n) AS "each user's events in order";
