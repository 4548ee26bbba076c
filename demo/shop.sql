-- The demo shop: a click stream of 4 shards, the producers that write page
-- views and add-to-cart events into it, and the consumer application that
-- processes it with two workers.  demo/run loads this file into the
-- database "shop", then calls produce() from three concurrent sessions as
-- the role shop_producer and work() from two more as shop_consumer (one of
-- which it stops halfway), and reads the change feed.

CREATE EXTENSION stream;

SELECT stream.create_stream('clickstream', 4);
-- Its shards' metrics too, for the picture demo/run draws (demo/metrics.sql)
SELECT stream.enable_enhanced_monitoring('clickstream', '{ALL}');

-- Encrypted at rest with a key of its own (README, "Encryption at rest"):
-- the server reads its root key from stream.kms_root_key_file.
SELECT key_id, key_arn FROM stream.create_key('shop', 'encrypts the click stream');
SELECT stream.start_stream_encryption('clickstream', 'KMS', 'alias/shop');

-- The application's roles, as a real deployment has them (never a
-- superuser): the producers may only write to the stream, the consumer
-- read it, and see its leases.
CREATE ROLE shop_producer LOGIN;
CREATE ROLE shop_consumer LOGIN;
SELECT stream.grant('write', 'clickstream', 'shop_producer');
-- and one producer outside the database: the AWS CLI, through the Kinesis
-- endpoint, with an access key of this role (demo/run makes it)
CREATE ROLE shop_cli LOGIN;
SELECT stream.grant('write', 'clickstream', 'shop_cli');
SELECT stream.grant('read', 'clickstream', 'shop_consumer');
SELECT stream.grant('describe', 'clickstream', 'shop_consumer');

-- The change feed (README, "The change feed"): every committed record
-- through logical decoding, which demo/run reads with pg_recvlogical as
-- shop_feed, a role that may replicate and read the stream (and so gets
-- the encrypted records decrypted).  The slot is made before the
-- producers start, so that it sees all they write.
SELECT stream.set_change_feed('clickstream', true);
CREATE ROLE shop_feed LOGIN REPLICATION;
SELECT stream.grant('read', 'clickstream', 'shop_feed');
SELECT 'slot' FROM pg_create_logical_replication_slot('shop_feed', 'test_decoding');

-- The lines pg_recvlogical wrote, and the records of the feed's messages.
CREATE TABLE feed_lines (line text);
CREATE VIEW fed AS
	SELECT f.*
	FROM feed_lines l,
		 stream.decode_feed_message(convert_to(substring(l.line FROM 'content:(.*)$'), 'UTF8')) f
	WHERE l.line LIKE 'message: transactional: 1 prefix: stream,%';

-- How the first 1,000 records of each shard are stored, as get_records
-- says (consume returns the plaintext, not how it was stored).
CREATE VIEW stored AS
	SELECT s.shard_id, r.encryption_type
	FROM stream.list_shards('clickstream') s,
		 LATERAL stream.get_records(stream.get_shard_iterator('clickstream', s.shard_id,
															   'TRIM_HORIZON'), 1000) g,
		 LATERAL unnest(g.records) r;

-- One row per producer, written when it has finished.
CREATE TABLE produced (
	producer int PRIMARY KEY,
	events   int NOT NULL,		-- records written
	puts     int NOT NULL,		-- stream.put_record calls that wrote one
	batches  int NOT NULL,		-- stream.put_records requests
	retries  int NOT NULL		-- attempts refused for throughput, sent again
);

-- The consumer application (README, "Consumer applications"): workers
-- that share the shards through leases of 2 seconds, each record
-- checkpointed in the transaction that processes it.
SELECT stream.create_application('shop-analytics', 'clickstream', lease_duration => '2 seconds');

-- One row per record a worker processed, written in the transaction of
-- the consume call that returned it.
CREATE TABLE consumed (
	shard_id        text NOT NULL,
	sequence_number numeric NOT NULL,
	partition_key   text NOT NULL,
	arrived         timestamptz NOT NULL,
	event           jsonb NOT NULL,
	worker          text NOT NULL
);

-- A trigger (README, "Triggers") keeps a count of views per page: the
-- extension's workers call count_page_views with batches of each shard,
-- as shop_views, the role that made the trigger, in the transaction that
-- moves the trigger's position (so each view is counted once).
CREATE ROLE shop_views;
SELECT stream.grant('read', 'clickstream', 'shop_views');
CREATE TABLE page_views (page text PRIMARY KEY, views bigint NOT NULL);
CREATE FUNCTION count_page_views(records stream.record[], shard_id text) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO public.page_views (page, views)
	SELECT e ->> 'page', count(*)
	FROM unnest(records) r, CAST(convert_from(r.data, 'UTF8') AS jsonb) e
	WHERE e ->> 'type' = 'page_view'
	GROUP BY 1
	ON CONFLICT (page) DO UPDATE SET views = page_views.views + excluded.views
$$;
ALTER TABLE page_views OWNER TO shop_views;
ALTER FUNCTION count_page_views(stream.record[], text) OWNER TO shop_views;
SET ROLE shop_views;
SELECT stream.create_trigger('page-views', 'clickstream', 'count_page_views(stream.record[], text)',
							 batch_size => 500, maximum_batching_window => '1 second',
							 parallelization_factor => 2);
RESET ROLE;

-- A delivery (README, "Deliveries") writes the click stream to files, as
-- Firehose writes it to S3: gzip-compressed JSON lines under
-- stream.delivery_directory, a file a shard and two seconds.  Made by
-- shop_archive, which manages and reads the stream and may write the
-- server's files.
CREATE ROLE shop_archive;
GRANT pg_write_server_files TO shop_archive;
SELECT stream.grant('manage', 'clickstream', 'shop_archive');
SELECT stream.grant('read', 'clickstream', 'shop_archive');
SET ROLE shop_archive;
SELECT stream.create_delivery('clicks-archive', 'clickstream', 'files', 'clickstream',
							  buffer_size_mb => 1, buffer_interval => '2 seconds');
RESET ROLE;

GRANT INSERT ON produced TO shop_producer;
GRANT SELECT ON produced TO shop_consumer;
GRANT INSERT ON consumed TO shop_consumer;

-- A click of a user, as the JSON text the producers put into the stream:
-- mostly page views, sometimes an item added to the cart.  "producer" and
-- "n" (the producer's event counter) let the report check ordering.
CREATE FUNCTION make_event(producer int, n int, user_key text) RETURNS bytea
LANGUAGE sql VOLATILE AS $$
	SELECT convert_to(
		CASE WHEN random() < 0.8 THEN
			jsonb_build_object(
				'type', 'page_view', 'user', user_key,
				'page', (ARRAY['/', '/search', '/cart',
							   '/products/' || (1 + floor(random() * 40))::int]
						)[1 + floor(random() * 4)::int],
				'producer', producer, 'n', n, 'at', clock_timestamp())
		ELSE
			jsonb_build_object(
				'type', 'add_to_cart', 'user', user_key,
				'sku', 'SKU-' || (1000 + floor(random() * 40))::int,
				'quantity', 1 + floor(random() * 3)::int,
				'producer', producer, 'n', n, 'at', clock_timestamp())
		END::text,
		'UTF8')
$$;

-- Write events for "seconds" seconds, keyed by user id, committing each
-- put: one event at a time with stream.put_record, and now and then a batch
-- of 10 events of 10 different users with stream.put_records.  Like a
-- Kinesis producer, it sends again what the shard quotas refused (SQLSTATE
-- KS001 from put_record, an error_code per entry from put_records).
CREATE PROCEDURE produce(producer int, seconds numeric)
LANGUAGE plpgsql AS $$
DECLARE
	deadline timestamptz := clock_timestamp() + make_interval(secs => seconds);
	n        int := 0;
	puts     int := 0;
	batches  int := 0;
	retries  int := 0;
	user_key text;
	keys     text[];
	payloads bytea[];
	again_keys     text[];
	again_payloads bytea[];
	r        record;
BEGIN
	WHILE clock_timestamp() < deadline LOOP
		IF random() < 0.05 THEN
			keys := '{}';
			payloads := '{}';
			FOR user_key IN
				SELECT 'user-' || u FROM generate_series(1, 50) AS u
				ORDER BY random() LIMIT 10
			LOOP
				n := n + 1;
				keys := keys || user_key;
				payloads := payloads || make_event(producer, n, user_key);
			END LOOP;
			batches := batches + 1;
			LOOP
				again_keys := '{}';
				again_payloads := '{}';
				FOR r IN
					SELECT * FROM stream.put_records('clickstream', keys, payloads)
				LOOP
					IF r.error_code IS NOT NULL THEN
						again_keys := again_keys || keys[r.ordinality];
						again_payloads := again_payloads || payloads[r.ordinality];
					END IF;
				END LOOP;
				EXIT WHEN cardinality(again_keys) = 0;
				retries := retries + 1;
				keys := again_keys;
				payloads := again_payloads;
				PERFORM pg_sleep(0.05);
			END LOOP;
		ELSE
			user_key := 'user-' || (1 + floor(random() * 50))::int;
			n := n + 1;
			LOOP
				BEGIN
					PERFORM stream.put_record('clickstream', user_key,
											  make_event(producer, n, user_key));
					EXIT;
				EXCEPTION WHEN SQLSTATE 'KS001' THEN
					retries := retries + 1;
					PERFORM pg_sleep(0.05);
				END;
			END LOOP;
			puts := puts + 1;
		END IF;
		COMMIT;
		PERFORM pg_sleep(0.004);
	END LOOP;

	INSERT INTO produced VALUES (producer, n, puts, batches, retries);
	COMMIT;
END
$$;

-- A worker of the application "shop-analytics": consume records of the
-- shards it holds, process them (here, into "consumed"), commit, and again,
-- until all "producers" have finished and no shard has a record left to
-- process (the workers share that: a worker goes on until its peers' shards
-- are done too, taking over those of a worker that stopped).  The
-- processing and the checkpoint commit together: exactly once.
CREATE PROCEDURE work(worker text, producers int, give_up_after numeric)
LANGUAGE plpgsql AS $$
DECLARE
	deadline  timestamptz := clock_timestamp() + make_interval(secs => give_up_after);
	reported  timestamptz := clock_timestamp();
	finished  boolean;
	got       bigint;
	total     bigint := 0;
BEGIN
	LOOP
		-- A producer commits its last event before it says it has finished,
		-- so after this, shards with nothing left to process are done.
		finished := (SELECT count(*) FROM produced) = producers;
		INSERT INTO consumed
			SELECT c.shard_id, c.sequence_number, c.partition_key,
				   c.approximate_arrival_timestamp, convert_from(c.data, 'UTF8')::jsonb, worker
			FROM stream.consume('shop-analytics', worker, 1000, wait => '500 ms') AS c;
		GET DIAGNOSTICS got = ROW_COUNT;
		COMMIT;
		total := total + got;

		EXIT WHEN finished AND got = 0
			AND NOT EXISTS (SELECT FROM stream.leases('shop-analytics')
							WHERE millis_behind_latest > 0);
		IF clock_timestamp() > deadline THEN
			RAISE WARNING '%: gave up after % s; % of % producers finished',
				worker, give_up_after, (SELECT count(*) FROM produced), producers;
			EXIT;
		END IF;
		IF clock_timestamp() - reported >= interval '2 seconds' THEN
			RAISE NOTICE '%: % records processed, holding %', worker, total,
				(SELECT string_agg(shard_id, ', ') FROM stream.leases('shop-analytics')
				 WHERE worker_id = worker AND lease_expires_at > clock_timestamp());
			reported := clock_timestamp();
		END IF;
	END LOOP;
	RAISE NOTICE '%: done, % records processed', worker, total;
END
$$;
