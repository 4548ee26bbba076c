\set ECHO none
\i test/sql/lib/setup.sql
-- The change feed (API.md, "The change feed"): set_change_feed and who may
-- call it, the records of a stream whose feed is on in a test_decoding slot
-- as messages with the prefix stream, exactly those committed, none of a
-- stream whose feed is off, large records and batches whole and in order,
-- no change to WAL without a slot, encrypted records only for a role that
-- may read them, and decode_feed_message with every kind of bad content.
-- Logical decoding sees committed transactions only, so this file commits
-- (test/run's server has wal_level logical) and removes what it made at the
-- end.  TAP test 110_change_feed uses pg_recvlogical with test_decoding,
-- wal2json and pgoutput, crashes and restarts.
SELECT plan(35);

\i test/sql/lib/helpers.sql

-- The records of the feed messages a slot has, in the order it has them
CREATE FUNCTION pg_temp.feed(slot name)
	RETURNS TABLE(n bigint, stream_name text, shard_id text, sequence_number numeric,
				  partition_key text, data bytea)
	LANGUAGE sql AS $$
	SELECT row_number() OVER (), f.stream_name, f.shard_id, f.sequence_number,
		   f.partition_key, f.data
	FROM pg_logical_slot_get_changes(slot, NULL, NULL) c
	CROSS JOIN LATERAL stream.decode_feed_message(
		convert_to(substring(c.data FROM '^message: transactional: 1 prefix: stream, sz: \d+ content:(.*)$'),
				   'UTF8')) f
	WHERE c.data LIKE 'message: transactional: 1 prefix: stream,%'
$$;

SELECT is(pg_temp.signature('stream.set_change_feed(text, boolean)'),
		  'stream_name text, enabled boolean -> void',
		  'set_change_feed has the signature of API.md');
SELECT is(pg_temp.signature('stream.decode_feed_message(bytea)'),
		  'content bytea -> SETOF stream.feed_record',
		  'decode_feed_message too');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
		   FROM pg_attribute WHERE attrelid = 'stream.feed_record'::regclass AND attnum > 0),
		  'stream_name text, shard_id text, sequence_number numeric, '
		  'approximate_arrival_timestamp timestamp with time zone, partition_key text, data bytea',
		  'feed_record has the columns of API.md');

CREATE ROLE feed_manager;
CREATE ROLE feed_reader LOGIN REPLICATION;
SELECT stream.create_stream('fed', 2);
SELECT stream.create_stream('unfed', 1);
SELECT stream.create_stream('fed_one', 1);
CREATE TABLE public.feed_table (v text);
SELECT stream.grant('describe', 'fed', 'feed_manager');

SELECT is((SELECT change_feed FROM stream.describe_stream_summary('fed')), false,
		  'a new stream''s feed is off');
SET ROLE feed_manager;
SELECT throws_ok($$SELECT stream.set_change_feed('fed', true)$$, '42501',
				 'role "feed_manager" is not authorized to perform kinesis:SetChangeFeed on stream "fed"',
				 'turning a feed on needs manage');
RESET ROLE;
SELECT stream.grant('manage', 'fed', 'feed_manager');
SET ROLE feed_manager;
SELECT lives_ok($$SELECT stream.set_change_feed('fed', true)$$,
				'a role with manage turns the feed on');
RESET ROLE;
SELECT is((SELECT change_feed FROM stream.describe_stream_summary('fed')), true,
		  'describe_stream_summary shows it on');
SELECT throws_ok($$SELECT stream.set_change_feed('no_such_stream', true)$$, '42704', NULL,
				 'a stream that does not exist is ResourceNotFoundException');
SELECT throws_ok($$SELECT stream.set_change_feed('fed', NULL)$$, '22023', NULL,
				 'enabled NULL is InvalidArgumentException');
SELECT lives_ok($$SELECT stream.set_change_feed('fed', true)$$,
				'turning on a feed that is on changes nothing');
SELECT stream.set_change_feed('fed_one', true);

-- what an append writes to WAL: as without the feed, unless a logical slot
-- of the database exists and the feed is on
CREATE EXTENSION pg_walinspect;
-- (each append commits, so that its WAL is flushed and pg_walinspect reads it)
CREATE FUNCTION pg_temp.append_wal_bytes(since pg_lsn) RETURNS int LANGUAGE sql AS $$
	SELECT sum(record_length)::int
	FROM pg_get_wal_records_info(since, pg_current_wal_flush_lsn())
	WHERE resource_manager = 'stream' AND record_type LIKE 'APPEND%'
$$;
SELECT pg_current_wal_insert_lsn() AS since \gset
SELECT count(*) FROM stream.put_record('unfed', 'k1', '0123456789'::bytea);
SELECT pg_temp.append_wal_bytes(:'since') AS unfed_bytes \gset
SELECT pg_current_wal_insert_lsn() AS since \gset
SELECT count(*) FROM stream.put_record('fed_one', 'k1', '0123456789'::bytea);
SELECT is(pg_temp.append_wal_bytes(:'since'), :unfed_bytes,
		  'with the feed on but no logical slot, an append writes the WAL it writes with the feed off');
SELECT 'slot' FROM pg_create_logical_replication_slot('feed_slot', 'test_decoding');
SELECT pg_current_wal_insert_lsn() AS since \gset
SELECT count(*) FROM stream.put_record('unfed', 'k1', '0123456789'::bytea);
SELECT is(pg_temp.append_wal_bytes(:'since'), :unfed_bytes,
		  'with a slot and the feed off, too');
SELECT pg_current_wal_insert_lsn() AS since \gset
SELECT count(*) FROM stream.put_record('fed_one', 'k1', '0123456789'::bytea);
SELECT cmp_ok(pg_temp.append_wal_bytes(:'since'), '>', :unfed_bytes,
			  'with a slot and the feed on, the append carries its tag');
SELECT 'drained' FROM (SELECT count(*) FROM pg_logical_slot_get_changes('feed_slot', NULL, NULL)) x;

-- one transaction: the fed stream, the unfed one and a table; one rolled back
BEGIN;
SELECT count(*) FROM stream.put_records('fed', ARRAY['a', 'b', 'c', 'd'],
										ARRAY['\x00ff80'::bytea, '\x01', ''::bytea, 'text']);
SELECT count(*) FROM stream.put_record('unfed', 'u', 'not in the feed'::bytea);
INSERT INTO public.feed_table VALUES ('in the feed');
COMMIT;
BEGIN;
SELECT count(*) FROM stream.put_record('fed', 'gone', 'rolled back'::bytea);
ROLLBACK;
BEGIN;
SELECT count(*) FROM stream.put_record('fed', 'kept', 'kept'::bytea);
SAVEPOINT s;
SELECT count(*) FROM stream.put_record('fed', 'gone', 'rolled back to a savepoint'::bytea);
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT count(*) FROM stream.put_record('fed', 'é ünïcödé "quoted"\', convert_to(repeat('large', 3000), 'UTF8'));

CREATE TEMP TABLE got AS SELECT * FROM pg_temp.feed('feed_slot');
SELECT set_eq($$SELECT shard_id, sequence_number, partition_key, data FROM got$$,
			  $$SELECT shard_id, sequence_number, partition_key, data FROM stream.read('fed')$$,
			  'the feed has every committed record of the fed stream, with its shard, sequence number, key and data');
SELECT is((SELECT count(*) FROM got), 6::bigint, '... each once');
SELECT is((SELECT count(*) FROM got WHERE stream_name <> 'fed'), 0::bigint,
		  '... and none of the stream whose feed is off');
SELECT is((SELECT count(*) FROM got WHERE partition_key = 'gone'), 0::bigint,
		  '... nor of a rolled-back transaction or savepoint');
SELECT is((SELECT data FROM got WHERE partition_key LIKE 'é%'),
		  convert_to(repeat('large', 3000), 'UTF8'),
		  'a record larger than a page comes whole, with its unicode key');
SELECT ok((SELECT bool_and(sequence_number > prev) FROM
			(SELECT sequence_number, lag(sequence_number, 1, -1::numeric)
					 OVER (PARTITION BY shard_id ORDER BY n) AS prev FROM got) x),
		  'each shard''s records come in sequence order');

-- the table's change is there, in the same transaction as the batch
SELECT 'slot' FROM pg_create_logical_replication_slot('feed_slot2', 'test_decoding');
BEGIN;
INSERT INTO public.feed_table VALUES ('with a record');
SELECT count(*) FROM stream.put_record('fed', 'k', 'with a row'::bytea);
SELECT count(*) FROM stream.put_record('unfed', 'k', 'with a row'::bytea);
SELECT txid_current() AS xid \gset
COMMIT;
-- (the maintenance worker's transactions may come between: only this one)
SELECT results_eq($$SELECT regexp_replace(data, '^(BEGIN|COMMIT) \d+$', '\1')
					FROM pg_logical_slot_get_changes('feed_slot2', NULL, NULL)
					WHERE xid = '$$ || :'xid' || $$'$$,
				  $$VALUES ('BEGIN'),
						   ('table public.feed_table: INSERT: v[text]:''with a record'''),
						   ((SELECT 'message: transactional: 1 prefix: stream, sz: ' || length(m) || ' content:' || m
							 FROM (SELECT format('{"FeedVersion":1,"StreamName":"fed","ShardId":"%s","Records":[{"SequenceNumber":"%s","ApproximateArrivalTimestamp":%s,"PartitionKey":"k","Data":"d2l0aCBhIHJvdw=="}]}',
												  shard_id, sequence_number,
												  to_char(extract(epoch FROM approximate_arrival_timestamp), 'FM9999999999.000000')) AS m
								   FROM stream.read('fed') WHERE partition_key = 'k') x)),
						   ('COMMIT')$$,
				  'test_decoding shows the row and the record in their transaction, the record as documented, and nothing of the stream whose feed is off');

-- a batch of 500 to one shard: several messages (one per page), in order
SELECT count(*) FROM stream.put_records('fed_one',
	(SELECT array_agg('key-' || i ORDER BY i) FROM generate_series(1, 500) i),
	(SELECT array_agg(convert_to(repeat('x', 100) || i, 'UTF8') ORDER BY i) FROM generate_series(1, 500) i));
SELECT 'slot' FROM pg_create_logical_replication_slot('feed_slot3', 'test_decoding');
SELECT count(*) FROM stream.put_records('fed_one',
	(SELECT array_agg('key-' || i ORDER BY i) FROM generate_series(1, 500) i),
	(SELECT array_agg(convert_to(repeat('y', 100) || i, 'UTF8') ORDER BY i) FROM generate_series(1, 500) i));
SELECT ok((SELECT count(*) > 5 FROM pg_logical_slot_peek_changes('feed_slot3', NULL, NULL)
		   WHERE data LIKE 'message: transactional: 1 prefix: stream,%'),
		  'a batch of 500 records goes as several messages');
SELECT results_eq($$SELECT partition_key, data FROM pg_temp.feed('feed_slot3') ORDER BY n$$,
				  $$SELECT 'key-' || i, convert_to(repeat('y', 100) || i, 'UTF8')
					FROM generate_series(1, 500) i$$,
				  'it comes whole, in the order of the batch');

-- the feed turned off
SELECT 'drained' FROM (SELECT count(*) FROM pg_logical_slot_get_changes('feed_slot', NULL, NULL)) x;
SELECT stream.set_change_feed('fed', false);
SELECT count(*) FROM stream.put_record('fed', 'off', 'after the feed was turned off'::bytea);
SELECT is((SELECT count(*) FROM pg_temp.feed('feed_slot')), 0::bigint,
		  'a feed turned off carries nothing more');
SELECT stream.set_change_feed('fed', true);

-- encrypted records: plaintext only for a role with read
SELECT key_id AS k FROM stream.create_key('feed-key') \gset
SELECT stream.start_stream_encryption('fed', 'KMS', 'alias/feed-key');
SELECT count(*) FROM stream.put_record('fed', 'secret-key', 'secret data'::bytea);
SET ROLE feed_reader;
CREATE TEMP TABLE sealed AS
	SELECT data FROM pg_logical_slot_peek_changes('feed_slot', NULL, NULL)
	WHERE data LIKE 'message%';
RESET ROLE;
SELECT is((SELECT count(*) FROM sealed), 1::bigint, 'a role without read gets the message');
SELECT matches((SELECT data FROM sealed),
			   '"Records":\[\{"SequenceNumber":"\d+","ApproximateArrivalTimestamp":[0-9.]+,"EncryptionType":"KMS"\}\]\}$',
			   '... which says the record is encrypted');
SELECT ok((SELECT data NOT LIKE '%secret%' FROM sealed), '... and carries neither key nor data');
SELECT results_eq($$SELECT f.partition_key, f.data FROM sealed s
					CROSS JOIN LATERAL stream.decode_feed_message(convert_to(substring(s.data FROM 'content:(.*)$'), 'UTF8')) f$$,
				  $$VALUES (NULL::text, NULL::bytea)$$,
				  'decode_feed_message gives NULL key and data for it');
SELECT stream.grant('read', 'fed', 'feed_reader');
SET ROLE feed_reader;
SELECT results_eq($$SELECT partition_key, data FROM pg_temp.feed('feed_slot')$$,
				  $$VALUES ('secret-key', 'secret data'::bytea)$$,
				  'with read, the role gets the plaintext');
RESET ROLE;
SELECT count(*) FROM stream.put_record('fed', 'secret-key', 'more'::bytea);
SELECT matches((SELECT data FROM pg_logical_slot_peek_changes('feed_slot', NULL, NULL) WHERE data LIKE 'message%'),
			   '"PartitionKey":"secret-key","Data":"bW9yZQ==","EncryptionType":"KMS"\}\]\}$',
			   'a superuser gets the plaintext, marked as encrypted as Kinesis marks it');
SELECT stream.disable_key('alias/feed-key');
SELECT ok((SELECT bool_and(data NOT LIKE '%bW9yZQ==%' AND data LIKE '%"EncryptionType":"KMS"}]}')
		   FROM pg_logical_slot_peek_changes('feed_slot', NULL, NULL) WHERE data LIKE 'message%'),
		  'while the key is disabled, the record stays sealed, and decoding goes on');
SELECT stream.enable_key('alias/feed-key');
SELECT is((SELECT count(*) FROM pg_temp.feed('feed_slot') WHERE data = 'more'), 1::bigint,
		  'enabled again, it is opened');

-- a deleted stream's records are still in the feed
SELECT count(*) FROM stream.put_record('fed_one', 'last', 'before the delete'::bytea);
SELECT stream.delete_stream('fed_one');
SELECT results_eq($$SELECT stream_name, partition_key, data FROM pg_temp.feed('feed_slot')$$,
				  $$VALUES ('fed_one', 'last', 'before the delete'::bytea)$$,
				  'records committed before their stream was deleted are in the feed');

-- decode_feed_message needs no privilege: it reads the content it is given
SET ROLE feed_manager;
SELECT results_eq($$SELECT stream_name, shard_id, sequence_number, approximate_arrival_timestamp,
						   partition_key, data
					FROM stream.decode_feed_message(convert_to('{"FeedVersion":1,"StreamName":"s",'
						'"ShardId":"shardId-000000000002","Records":[{"SequenceNumber":"7",'
						'"ApproximateArrivalTimestamp":1.5,"PartitionKey":"k","Data":"AP8="}]}', 'UTF8'))$$,
				  $$VALUES ('s', 'shardId-000000000002', 7::numeric,
							'epoch'::timestamptz + interval '1.5 s', 'k', '\x00ff'::bytea)$$,
				  'an ordinary role decodes a message''s content');
RESET ROLE;

-- decode_feed_message refuses what is not a message of the feed
SELECT throws_ok($$SELECT * FROM stream.decode_feed_message('not json')$$, '22023',
				 'content is not a message of the stream change feed: it is not JSON',
				 'decode_feed_message refuses content that is not JSON');
SELECT is((SELECT string_agg(e, ' | ' ORDER BY e COLLATE "C") FROM (
	SELECT (pg_temp.error_of(format('SELECT * FROM stream.decode_feed_message(%L::bytea)', c))).message AS e
	FROM (VALUES ('\x7b00'),
				 (convert_to('[1]', 'UTF8')::text),
				 (convert_to('{"FeedVersion":2,"StreamName":"s","ShardId":"x","Records":[]}', 'UTF8')::text),
				 (convert_to('{"FeedVersion":1,"StreamName":"s","ShardId":"x"}', 'UTF8')::text),
				 (convert_to('{"FeedVersion":1,"StreamName":"s","ShardId":"x","Records":[{"SequenceNumber":"-1","ApproximateArrivalTimestamp":1}]}', 'UTF8')::text),
				 (convert_to('{"FeedVersion":1,"StreamName":"s","ShardId":"x","Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":1,"PartitionKey":"k","Data":"!!"}]}', 'UTF8')::text),
				 (convert_to('{"FeedVersion":1,"StreamName":"s","ShardId":"x","Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":1,"PartitionKey":"k"}]}', 'UTF8')::text),
				 (convert_to('{"FeedVersion":1,"StreamName":"s","ShardId":"x","Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":1e30}]}', 'UTF8')::text),
				 ('\xff')) v(c)) x),
	'content is not a message of the stream change feed: a record has a partition key or data, not both | '
	'content is not a message of the stream change feed: a sequence number is not an integer | '
	'content is not a message of the stream change feed: an arrival time is out of range | '
	'content is not a message of the stream change feed: data is not base64 | '
	'content is not a message of the stream change feed: it has no array or object "Records" | '
	'content is not a message of the stream change feed: it holds a NUL byte | '
	'content is not a message of the stream change feed: it is not a JSON object | '
	'content is not a message of the stream change feed: it is not text in the database''s encoding | '
	'content is not a message of the stream change feed: its FeedVersion is not 1',
	'... and says why for each kind of bad content');

SELECT pg_drop_replication_slot(s) FROM unnest(ARRAY['feed_slot', 'feed_slot2', 'feed_slot3']) s;
SELECT stream.delete_stream('fed');
SELECT stream.delete_stream('unfed');
DROP TABLE public.feed_table, sealed;
DROP EXTENSION pg_walinspect;
DROP ROLE feed_manager;
DROP ROLE feed_reader;

SELECT * FROM finish();
