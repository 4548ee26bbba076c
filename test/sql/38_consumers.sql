\set ECHO none
\i test/sql/lib/setup.sql
-- Registered consumers (API.md, "Consumers"): register, describe, list and
-- deregister, the consumer ARN, at most 20 a stream, every error with
-- nothing left behind, delete_stream's enforce_consumer_deletion, and who
-- may do what, as ordinary roles.
BEGIN;
SELECT plan(49);

\i test/sql/lib/helpers.sql

SELECT is(pg_temp.signature('stream.register_stream_consumer(text, text)'),
		  'stream_name text, consumer_name text -> TABLE(consumer_name text, consumer_arn text, '
		  'consumer_status text, consumer_creation_timestamp timestamp with time zone)',
		  'register_stream_consumer has the signature of API.md');
SELECT is(pg_temp.signature('stream.deregister_stream_consumer(text, text)'),
		  'stream_name text, consumer_name text -> void', 'deregister_stream_consumer too');
SELECT is(pg_temp.signature('stream.describe_stream_consumer(text, text)'),
		  'stream_name text, consumer_name text -> TABLE(consumer_name text, consumer_arn text, '
		  'consumer_status text, consumer_creation_timestamp timestamp with time zone, stream_arn text)',
		  'describe_stream_consumer too');
SELECT is(pg_temp.signature('stream.list_stream_consumers(text)'),
		  'stream_name text -> TABLE(consumer_name text, consumer_arn text, consumer_status text, '
		  'consumer_creation_timestamp timestamp with time zone)',
		  'list_stream_consumers too');
SELECT is(pg_temp.signature('stream.list_stream_consumers(text, int, text)'),
		  'stream_name text, max_results integer, next_token text DEFAULT NULL::text -> '
		  'TABLE(consumer_name text, consumer_arn text, consumer_status text, '
		  'consumer_creation_timestamp timestamp with time zone, next_token text)',
		  'and its pages, as list_streams');

CREATE ROLE cons_manager;
CREATE ROLE cons_viewer;
CREATE ROLE cons_nobody;
SELECT stream.create_stream('cs', 1);
SELECT stream.grant('manage', 'cs', 'cons_manager');
SELECT stream.grant('describe', 'cs', 'cons_viewer');

SET ROLE cons_manager;
CREATE TEMP TABLE registered AS SELECT * FROM stream.register_stream_consumer('cs', 'app-1');
RESET ROLE;
SELECT results_eq($$SELECT consumer_name, consumer_status, consumer_creation_timestamp = now(),
						   consumer_arn = 'arn:aws:kinesis:local-1:000000000000:stream/cs/consumer/app-1:'
										  || floor(extract(epoch FROM now()))::bigint
					FROM registered$$,
				  $$VALUES ('app-1', 'ACTIVE', true, true)$$,
				  'a role with manage registers a consumer: ACTIVE, with its ARN');
SELECT results_eq($$SELECT consumer_name, consumer_arn, consumer_status, consumer_creation_timestamp,
						   stream_arn
					FROM stream.describe_stream_consumer('cs', 'app-1')$$,
				  $$SELECT consumer_name, consumer_arn, consumer_status, consumer_creation_timestamp,
						   'arn:aws:kinesis:local-1:000000000000:stream/cs'
					FROM registered$$,
				  'describe_stream_consumer shows it, with its stream''s ARN');
SELECT consumer_name FROM stream.register_stream_consumer('cs', 'app.2_x-Y');
SELECT results_eq($$SELECT consumer_name FROM stream.list_stream_consumers('cs')$$,
				  $$VALUES ('app-1'), ('app.2_x-Y')$$,
				  'list_stream_consumers lists them, oldest first');
SELECT is((SELECT consumer_count FROM stream.describe_stream_summary('cs')), 2,
		  'describe_stream_summary counts them');

-- errors, each leaving the consumers as they were
SELECT throws_ok($$SELECT stream.register_stream_consumer('cs', 'app-1')$$, '42710',
				 'consumer "app-1" of stream "cs" already exists',
				 'a name taken is ResourceInUseException (42710)');
SELECT throws_ok($$SELECT stream.register_stream_consumer('cs', 'bad name')$$, '22023',
				 'invalid consumer name "bad name"', 'a name with a space is InvalidArgumentException');
SELECT throws_ok($$SELECT stream.register_stream_consumer('cs', '')$$, '22023', NULL,
				 'so is an empty name');
SELECT throws_ok($$SELECT stream.register_stream_consumer('cs', repeat('n', 129))$$, '22023', NULL,
				 'and one of 129 characters');
SELECT throws_ok($$SELECT stream.register_stream_consumer('cs', NULL)$$, '22023', NULL,
				 'and NULL');
SELECT throws_ok($$SELECT stream.register_stream_consumer('nowhere', 'app')$$, '42704', NULL,
				 'a stream that does not exist is ResourceNotFoundException');
SELECT throws_ok($$SELECT * FROM stream.describe_stream_consumer('cs', 'ghost')$$, '42704',
				 'consumer "ghost" of stream "cs" does not exist',
				 'describing a consumer that does not exist is ResourceNotFoundException');
SELECT throws_ok($$SELECT stream.deregister_stream_consumer('cs', 'ghost')$$, '42704', NULL,
				 'so is deregistering one');
SELECT results_eq($$SELECT consumer_name FROM stream.list_stream_consumers('cs')$$,
				  $$VALUES ('app-1'), ('app.2_x-Y')$$, '... and none of them left a trace');

-- at most 20
SELECT count(*) FROM generate_series(3, 20) i, stream.register_stream_consumer('cs', 'app-' || i);
SELECT throws_ok($$SELECT stream.register_stream_consumer('cs', 'app-21')$$, '54000',
				 'stream "cs" has 20 registered consumers, the most a stream may have',
				 'a 21st consumer is LimitExceededException');
SELECT is((SELECT count(*) FROM stream.list_stream_consumers('cs')), 20::bigint, '... and is not made');

-- who may
SET ROLE cons_viewer;
SELECT is((SELECT count(*) FROM stream.list_stream_consumers('cs')), 20::bigint,
		  'a role with describe lists the consumers');
SELECT throws_ok($$SELECT stream.register_stream_consumer('cs', 'mine')$$, '42501',
				 'role "cons_viewer" is not authorized to perform kinesis:RegisterStreamConsumer on stream "cs"',
				 '... but may not register one');
SELECT throws_ok($$SELECT stream.deregister_stream_consumer('cs', 'app-1')$$, '42501', NULL,
				 '... nor deregister one');
-- ... and pages of them, by name, as ListStreamConsumers' MaxResults and
-- NextToken
SELECT results_eq($$SELECT consumer_name FROM stream.list_stream_consumers('cs', 7)$$,
				  $$SELECT consumer_name FROM stream.list_stream_consumers('cs')
					ORDER BY consumer_name COLLATE "C" LIMIT 7$$,
				  'a page of 7 of them, by name');
CREATE TEMP TABLE page1 AS SELECT * FROM stream.list_stream_consumers('cs', 7);
SELECT max(next_token) AS page1_token FROM page1 \gset
CREATE TEMP TABLE page2 AS
	SELECT * FROM stream.list_stream_consumers('cs', 7, (SELECT max(next_token) FROM page1));
CREATE TEMP TABLE page3 AS
	SELECT * FROM stream.list_stream_consumers('cs', 7, (SELECT max(next_token) FROM page2));
SELECT is((SELECT count(DISTINCT next_token) || ' ' || count(*) FILTER (WHERE next_token IS NULL)
		   FROM page1), '1 0', 'each row of a page has the token of the next page');
SELECT bag_eq($$SELECT consumer_name FROM page1 UNION ALL SELECT consumer_name FROM page2
				UNION ALL SELECT consumer_name FROM page3$$,
			  $$SELECT consumer_name FROM stream.list_stream_consumers('cs')$$,
			  'three pages list the 20, each once');
SELECT is((SELECT count(*) || ' ' || count(next_token) FROM page3), '6 0',
		  'the last page has the 6 left and no token');
SELECT throws_ok($$SELECT * FROM stream.list_stream_consumers('cs', 0)$$, '22023', NULL,
				 'a page of no consumers is InvalidArgumentException');
SELECT throws_ok($$SELECT * FROM stream.list_stream_consumers('cs', 7, 'forged')$$, '22023', NULL,
				 'so is a token that is none');
RESET ROLE;
SELECT stream.create_stream('cs_other', 1);
SELECT stream.grant('describe', 'cs_other', 'cons_viewer');
SET ROLE cons_viewer;
SELECT throws_ok(format($$SELECT * FROM stream.list_stream_consumers('cs_other', 7, %L)$$,
						:'page1_token'), '22023',
				 'the next token is not of the consumers of stream "cs_other"',
				 'and a token of another stream''s consumers');
SET ROLE cons_nobody;
SELECT throws_ok($$SELECT * FROM stream.list_stream_consumers('cs')$$, '42501', NULL,
				 'a role without describe may not list them');
SELECT throws_ok(format($$SELECT * FROM stream.list_stream_consumers('cs', 7, %L)$$,
						:'page1_token'), '42501', NULL,
				 '... nor a page of them, with a token or without');
SELECT throws_ok($$SELECT * FROM stream.describe_stream_consumer('cs', 'app-1')$$, '42501', NULL,
				 '... nor describe one');
SET ROLE cons_manager;
SELECT lives_ok($$SELECT stream.deregister_stream_consumer('cs', 'app-1')$$,
				'a role with manage deregisters a consumer');
RESET ROLE;
SELECT is((SELECT count(*) FROM stream.list_stream_consumers('cs') WHERE consumer_name = 'app-1'),
		  0::bigint, '... which is gone');

-- subscribe_to_shard
SELECT is(pg_temp.signature('stream.subscribe_to_shard(text, text, text, text, numeric, timestamptz, interval, int)'),
		  'stream_name text, consumer_name text, shard_id text, starting_position text, '
		  'starting_sequence_number numeric DEFAULT NULL::numeric, '
		  '"timestamp" timestamp with time zone DEFAULT NULL::timestamp with time zone, '
		  'wait interval DEFAULT ''@ 5 secs''::interval, "limit" integer DEFAULT 10000, '
		  'OUT records stream.record[], OUT continuation_sequence_number numeric, '
		  'OUT millis_behind_latest bigint, OUT child_shards jsonb -> record',
		  'subscribe_to_shard has the signature of API.md');
SELECT count(*) FROM stream.put_records('cs', ARRAY['a', 'b', 'c'], ARRAY['\x01', '\x02', '\x03']::bytea[]);
GRANT cons_viewer TO cons_manager;
SELECT stream.grant('read', 'cs', 'cons_viewer');
SET ROLE cons_viewer;
CREATE TEMP TABLE batch AS
	SELECT * FROM stream.subscribe_to_shard('cs', 'app-3', 'shardId-000000000000', 'TRIM_HORIZON');
SELECT results_eq($$SELECT r.partition_key, r.data FROM batch b, unnest(b.records) r$$,
				  $$VALUES ('a', '\x01'::bytea), ('b', '\x02'), ('c', '\x03')$$,
				  'a role with read subscribes: the records from the starting position');
SELECT is((SELECT continuation_sequence_number FROM batch),
		  (SELECT max(sequence_number) FROM stream.read('cs')),
		  '... and the sequence number to go on after: the last record''s');
SELECT results_eq(format($$SELECT cardinality(records), continuation_sequence_number, child_shards IS NULL
						   FROM stream.subscribe_to_shard('cs', 'app-3', 'shardId-000000000000',
								'AFTER_SEQUENCE_NUMBER', %s, wait => '100 ms')$$,
						 (SELECT continuation_sequence_number FROM batch)),
				  format($$VALUES (0, %s::numeric, true)$$, (SELECT continuation_sequence_number FROM batch)),
				  'the next call after it waits, finds nothing, and says to go on from the same place');
SELECT throws_ok($$SELECT stream.subscribe_to_shard('cs', 'ghost', 'shardId-000000000000', 'LATEST')$$,
				 '42704', 'consumer "ghost" of stream "cs" does not exist',
				 'a consumer that does not exist is ResourceNotFoundException');
SELECT throws_ok($$SELECT stream.subscribe_to_shard('cs', 'app-3', 'shardId-000000000000', 'SOON')$$,
				 '22023', 'invalid starting position "SOON"',
				 'a starting position that is none is InvalidArgumentException');
SELECT throws_ok($$SELECT stream.subscribe_to_shard('cs', 'app-3', 'shardId-000000000000', 'AT_SEQUENCE_NUMBER')$$,
				 '22023', 'starting position AT_SEQUENCE_NUMBER needs a starting sequence number',
				 '... and one without its sequence number too');
SET ROLE cons_nobody;
SELECT throws_ok($$SELECT stream.subscribe_to_shard('cs', 'app-3', 'shardId-000000000000', 'LATEST')$$,
				 '42501', 'role "cons_nobody" is not authorized to perform kinesis:SubscribeToShard on stream "cs"',
				 'a role without read may not subscribe');
RESET ROLE;
-- each consumer its own read throughput: one throttled leaves the others be
SET stream.shard_read_bytes_per_second = 1;
SELECT cardinality(records) FROM stream.subscribe_to_shard('cs', 'app-3', 'shardId-000000000000', 'TRIM_HORIZON');
SELECT throws_ok($$SELECT stream.subscribe_to_shard('cs', 'app-3', 'shardId-000000000000', 'TRIM_HORIZON')$$,
				 'KS001', NULL, 'a consumer that read past its throughput is throttled');
SELECT is((SELECT cardinality(records) FROM stream.subscribe_to_shard('cs', 'app-4', 'shardId-000000000000', 'TRIM_HORIZON')),
		  3, '... while another consumer of the shard reads with its own');
RESET stream.shard_read_bytes_per_second;
SELECT stream.deregister_stream_consumer('cs', 'app-4');
SELECT throws_ok($$SELECT stream.subscribe_to_shard('cs', 'app-4', 'shardId-000000000000', 'LATEST')$$,
				 '42704', NULL, 'a consumer deregistered may not subscribe');
-- the end of a closed shard
SELECT stream.split_shard('cs', 'shardId-000000000000', (2::numeric ^ 127)::numeric);
SELECT results_eq($$SELECT cardinality(records), continuation_sequence_number IS NULL,
						   jsonb_array_length(child_shards)
					FROM stream.subscribe_to_shard('cs', 'app-3', 'shardId-000000000000', 'TRIM_HORIZON')$$,
				  $$VALUES (3, true, 2)$$,
				  'at the end of a closed shard: no continuation, its children');

-- a stream with consumers is deleted only when told to
SELECT throws_ok($$SELECT stream.delete_stream('cs')$$, '55006', NULL,
				 'delete_stream refuses a stream with consumers');
SELECT stream.delete_stream('cs', enforce_consumer_deletion => true);
SELECT is((SELECT count(*) FROM stream.consumers), 0::bigint,
		  'with enforce_consumer_deletion, the stream goes with its consumers');

SELECT * FROM finish();
ROLLBACK;
