-- The demo shop: a click stream of 4 shards, the producers that write page
-- views and add-to-cart events into it, and the consumer that reads it back
-- shard by shard.  demo/run loads this file into the database "shop", then
-- calls produce() from three concurrent sessions as the role shop_producer
-- and consume() from a fourth as shop_consumer, and reads the change feed.

CREATE EXTENSION stream;

SELECT stream.create_stream('clickstream', 4);

-- Encrypted at rest with a key of its own (README, "Encryption at rest"):
-- the server reads its root key from stream.kms_root_key_file.
SELECT key_id, key_arn FROM stream.create_key('shop', 'encrypts the click stream');
SELECT stream.start_stream_encryption('clickstream', 'KMS', 'alias/shop');

-- The application's roles, as a real deployment has them (never a
-- superuser): the producers may only write to the stream, the consumer
-- read it, and list its shards to know what to read.
CREATE ROLE shop_producer LOGIN;
CREATE ROLE shop_consumer LOGIN;
SELECT stream.grant('write', 'clickstream', 'shop_producer');
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

-- One row per producer, written when it has finished.
CREATE TABLE produced (
	producer int PRIMARY KEY,
	events   int NOT NULL,		-- records written
	puts     int NOT NULL,		-- stream.put_record calls that wrote one
	batches  int NOT NULL,		-- stream.put_records requests
	retries  int NOT NULL		-- attempts refused for throughput, sent again
);

-- One row per record the consumer read.
CREATE TABLE consumed (
	shard_id        text NOT NULL,
	sequence_number numeric NOT NULL,
	partition_key   text NOT NULL,
	arrived         timestamptz NOT NULL,
	encryption_type text NOT NULL,
	event           jsonb NOT NULL
);

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

-- Read every shard of the stream from TRIM_HORIZON, following
-- next_shard_iterator, until all "producers" have finished and a whole
-- round over the shards has read nothing while 0 ms behind the newest
-- record.  Each round calls get_records once per shard, then sleeps a
-- quarter second: 4 calls per shard and second, within the quota of 5.
CREATE PROCEDURE consume(producers int, give_up_after numeric)
LANGUAGE plpgsql AS $$
DECLARE
	deadline  timestamptz := clock_timestamp() + make_interval(secs => give_up_after);
	reported  timestamptz := clock_timestamp();
	shards    text[];
	iterators text[];
	finished  boolean;
	quiet     boolean;
	behind    bigint;
	got       int;
	total     bigint := 0;
	res       record;
BEGIN
	SELECT array_agg(shard_id ORDER BY shard_id) INTO shards
	FROM stream.list_shards('clickstream');
	FOR i IN 1 .. cardinality(shards) LOOP
		iterators[i] := stream.get_shard_iterator('clickstream', shards[i],
												  'TRIM_HORIZON');
	END LOOP;

	LOOP
		-- A producer commits its last event before it says it has finished,
		-- so after this, one quiet round means everything has been read.
		finished := (SELECT count(*) FROM produced) = producers;
		quiet := true;
		behind := 0;
		FOR i IN 1 .. cardinality(shards) LOOP
			CONTINUE WHEN iterators[i] IS NULL;		-- closed, read to its end
			BEGIN
				SELECT * INTO res FROM stream.get_records(iterators[i], 1000);
			EXCEPTION WHEN SQLSTATE 'KS001' THEN	-- over the read quota
				quiet := false;
				CONTINUE;
			END;
			iterators[i] := res.next_shard_iterator;
			INSERT INTO consumed
				SELECT shards[i], r.sequence_number, r.partition_key,
					   r.approximate_arrival_timestamp, r.encryption_type,
					   convert_from(r.data, 'UTF8')::jsonb
				FROM unnest(res.records) AS r;
			got := coalesce(cardinality(res.records), 0);
			total := total + got;
			behind := greatest(behind, res.millis_behind_latest);
			IF got > 0 OR res.millis_behind_latest > 0 THEN
				quiet := false;
			END IF;
		END LOOP;
		COMMIT;

		EXIT WHEN finished AND quiet;
		IF clock_timestamp() > deadline THEN
			RAISE WARNING 'consumer: gave up after % s; % of % producers finished',
				give_up_after, (SELECT count(*) FROM produced), producers;
			EXIT;
		END IF;
		IF clock_timestamp() - reported >= interval '2 seconds' THEN
			RAISE NOTICE 'consumer: % records read, % ms behind', total, behind;
			reported := clock_timestamp();
		END IF;
		PERFORM pg_sleep(0.25);
	END LOOP;
	RAISE NOTICE 'consumer: caught up, % records read', total;
END
$$;
