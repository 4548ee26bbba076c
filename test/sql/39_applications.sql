\set ECHO none
\i test/sql/lib/setup.sql
-- Consumer applications (API.md, "Consumer applications"): create and drop,
-- consume with its leases (taking, balancing, max_leases, expiry), the
-- checkpoint in the caller's transaction (a rollback to a savepoint gives
-- the records again), children after parents, checkpoint and leases, every
-- error with nothing left behind, and who may do what, as ordinary roles.
-- Commits and concurrent workers are the isolation spec's and TAP's
-- (test/specs/consume_leases.spec, test/t/130_applications.pl).
BEGIN;
SELECT plan(69);

\i test/sql/lib/helpers.sql

SELECT is(pg_temp.signature('stream.create_application(text, text, text, timestamptz, interval)'),
		  'application_name text, stream_name text, initial_position text DEFAULT ''TRIM_HORIZON''::text, '
		  '"timestamp" timestamp with time zone DEFAULT NULL::timestamp with time zone, '
		  'lease_duration interval DEFAULT ''@ 10 secs''::interval -> void',
		  'create_application has the signature of API.md');
SELECT is(pg_temp.signature('stream.drop_application(text)'),
		  'application_name text -> void', 'drop_application too');
SELECT is(pg_temp.signature('stream.consume(text, text, int, interval, int)'),
		  'application_name text, worker_id text, "limit" integer DEFAULT 1000, '
		  'wait interval DEFAULT ''@ 0''::interval, max_leases integer DEFAULT NULL::integer -> '
		  'TABLE(shard_id text, sequence_number numeric, approximate_arrival_timestamp timestamp with time zone, '
		  'partition_key text, data bytea)',
		  'consume too');
SELECT is(pg_temp.signature('stream.checkpoint(text, text, text, numeric)'),
		  'application_name text, worker_id text, shard_id text, sequence_number numeric -> void',
		  'checkpoint too');
SELECT is(pg_temp.signature('stream.leases(text)'),
		  'application_name text -> TABLE(shard_id text, worker_id text, lease_expires_at timestamp with time zone, '
		  'checkpoint numeric, parent_shard_ids text[], shard_end_reached boolean, millis_behind_latest bigint)',
		  'leases too');

CREATE ROLE app_manager;
CREATE ROLE app_reader;
CREATE ROLE app_viewer;
CREATE ROLE app_nobody;
SELECT stream.create_stream('as', 2);
SELECT stream.grant('manage', 'as', 'app_manager');
SELECT stream.grant('read', 'as', 'app_reader');
SELECT stream.grant('describe', 'as', 'app_reader');
SELECT stream.grant('describe', 'as', 'app_viewer');

-- Records of shard 0 (hash key 0) and shard 1 (2^127), keys a and b.
CREATE FUNCTION pg_temp.put(n int, first int) RETURNS void LANGUAGE sql AS $$
	SELECT count(stream.put_record('as', CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END,
								   convert_to(i::text, 'UTF8'),
								   CASE WHEN i % 2 = 0 THEN 0 ELSE 2::numeric ^ 127 END))
	FROM generate_series(first, first + n - 1) i
$$;
SELECT pg_temp.put(10, 1);
-- a record's data as text (convert_from's is of collation "C", which
-- results_eq cannot compare with a literal's)
CREATE FUNCTION pg_temp.txt(data bytea) RETURNS text LANGUAGE sql AS $$
	SELECT convert_from(data, 'UTF8')
$$;

-- creating
SELECT pg_temp.footprint() AS before_create \gset
SET ROLE app_reader;
SELECT throws_ok($$SELECT stream.create_application('app', 'as')$$, '42501',
				 'role "app_reader" is not authorized to perform kinesis:CreateApplication on stream "as"',
				 'creating an application needs manage on its stream');
SET ROLE app_manager;
SELECT throws_ok($$SELECT stream.create_application('app', 'nowhere')$$, '42501', NULL,
				 'an application on a stream that does not exist is AccessDeniedException without manage on ''*''...');
RESET ROLE;
SELECT throws_ok($$SELECT stream.create_application('app', 'nowhere')$$, '42704', NULL,
				 '... and ResourceNotFoundException with it');
SET ROLE app_manager;
SELECT throws_ok($$SELECT stream.create_application('bad name', 'as')$$, '22023',
				 'invalid application name "bad name"', 'a name with a space is InvalidArgumentException');
SELECT throws_ok($$SELECT stream.create_application(NULL, 'as')$$, '22023', NULL, 'so is NULL');
SELECT throws_ok($$SELECT stream.create_application('app', 'as', 'SOON')$$, '22023',
				 'invalid initial position "SOON"', 'an initial position must be one of three');
SELECT throws_ok($$SELECT stream.create_application('app', 'as', 'AT_SEQUENCE_NUMBER')$$, '22023', NULL,
				 '(AT_SEQUENCE_NUMBER is none of them)');
SELECT throws_ok($$SELECT stream.create_application('app', 'as', 'AT_TIMESTAMP')$$, '22023',
				 'initial position AT_TIMESTAMP needs a timestamp', 'AT_TIMESTAMP needs a timestamp');
SELECT throws_ok($$SELECT stream.create_application('app', 'as', 'LATEST', now())$$, '22023',
				 'initial position LATEST takes no timestamp', 'and the others take none');
SELECT throws_ok($$SELECT stream.create_application('app', 'as', lease_duration => '0.5 s')$$, '22023',
				 'lease duration of 0.5 seconds is out of range', 'a lease lasts at least a second');
SELECT throws_ok($$SELECT stream.create_application('app', 'as', lease_duration => '2 days')$$, '22023',
				 NULL, 'and at most a day');
SELECT throws_ok($$SELECT stream.create_application('app', 'as', lease_duration => NULL)$$, '22023',
				 NULL, 'and not NULL');
RESET ROLE;
SELECT is(pg_temp.footprint(), :'before_create', '... and none of those left anything behind');

SET ROLE app_manager;
SELECT lives_ok($$SELECT stream.create_application('app', 'as')$$,
				'a role with manage creates an application, from TRIM_HORIZON by default');
SELECT throws_ok($$SELECT stream.create_application('app', 'as')$$, '42710',
				 'application "app" already exists', 'a name taken is ResourceInUseException (42710)');
RESET ROLE;
SELECT results_eq($$SELECT shard_id, worker_id, checkpoint, parent_shard_ids, shard_end_reached
					FROM stream.leases('app')$$,
				  $$VALUES ('shardId-000000000000', NULL::text, NULL::numeric, '{}'::text[], false),
						   ('shardId-000000000001', NULL, NULL, '{}', false)$$,
				  'it has a lease for each shard, held by nobody, without checkpoint');

-- consuming
SET ROLE app_nobody;
SELECT throws_ok($$SELECT * FROM stream.consume('app', 'w1')$$, '42501',
				 'role "app_nobody" is not authorized to perform kinesis:Consume on stream "as"',
				 'consuming needs read');
SELECT throws_ok($$SELECT * FROM stream.leases('app')$$, '42501', NULL,
				 'and leases needs describe');
SET ROLE app_reader;
CREATE TEMP TABLE got AS SELECT * FROM stream.consume('app', 'w1', 4);
SELECT results_eq($$SELECT shard_id, pg_temp.txt(data) FROM got$$,
				  $$VALUES ('shardId-000000000000', '2'), ('shardId-000000000000', '4'),
						   ('shardId-000000000001', '1'), ('shardId-000000000001', '3')$$,
				  'consume shares its limit among the shards the worker holds, each from its start in order');
SELECT is((SELECT array_agg(DISTINCT worker_id) FROM stream.leases('app')), '{w1}',
		  'the only worker holds every lease');
SELECT results_eq($$SELECT shard_id, checkpoint FROM stream.leases('app')$$,
				  $$SELECT shard_id, max(sequence_number) FROM got GROUP BY shard_id ORDER BY shard_id$$,
				  'the checkpoint of each shard is the last record returned');
SELECT ok((SELECT bool_and(lease_expires_at > clock_timestamp() + '9 s'
						   AND lease_expires_at <= clock_timestamp() + '10 s')
		   FROM stream.leases('app')),
		  'and its lease runs for the lease duration');

SAVEPOINT before_rollback;
SELECT is((SELECT array_agg(pg_temp.txt(data) ORDER BY shard_id, sequence_number)
		   FROM stream.consume('app', 'w1', 100)),
		  '{6,8,10,5,7,9}', 'the next call goes on from the checkpoints');
ROLLBACK TO before_rollback;
SELECT is((SELECT array_agg(pg_temp.txt(data) ORDER BY shard_id, sequence_number)
		   FROM stream.consume('app', 'w1', 100)),
		  '{6,8,10,5,7,9}', 'rolled back, the same records come again');
SELECT is((SELECT count(*) FROM stream.consume('app', 'w1', 100)), 0::bigint,
		  'and once checkpointed, they do not');

-- balancing
SELECT is((SELECT count(*) FROM stream.consume('app', 'w2', 100)), 0::bigint,
		  'a second worker finds nothing to read yet...');
SELECT results_eq($$SELECT worker_id, count(*) FROM stream.leases('app') GROUP BY 1 ORDER BY 1$$,
				  $$VALUES ('w1', 1::bigint), ('w2', 1::bigint)$$,
				  '... but has stolen a lease: the two hold one each');
RESET ROLE;
SELECT pg_temp.put(4, 11);
SET ROLE app_reader;
SELECT results_eq($$SELECT shard_id, count(*) FROM stream.consume('app', 'w1', 100) GROUP BY 1$$,
				  $$SELECT shard_id, 2::bigint FROM stream.leases('app') WHERE worker_id = 'w1'$$,
				  'each reads its own shard only');
SELECT results_eq($$SELECT shard_id, count(*) FROM stream.consume('app', 'w2', 100) GROUP BY 1$$,
				  $$SELECT shard_id, 2::bigint FROM stream.leases('app') WHERE worker_id = 'w2'$$,
				  '... the other too');
SELECT is((SELECT count(*) FROM stream.consume('app', 'w3', 100, max_leases => 1)), 0::bigint,
		  'a third worker gets nothing: each of the two holds its share (one)');
SELECT is((SELECT count(*) FROM stream.leases('app') WHERE worker_id = 'w3'), 0::bigint,
		  '... and holds no lease');

-- checkpoint by hand
SELECT shard_id AS w1_shard FROM stream.leases('app') WHERE worker_id = 'w1' \gset
SELECT min(sequence_number) AS first_seq FROM got WHERE shard_id = :'w1_shard' \gset
SELECT lives_ok(format($$SELECT stream.checkpoint('app', 'w1', %L, %s)$$, :'w1_shard', :'first_seq'),
				'the holder of a lease sets its checkpoint back');
SELECT is((SELECT count(*) FROM stream.consume('app', 'w1', 100)), 6::bigint,
		  '... and consume returns what followed it again');
SELECT throws_ok(format($$SELECT stream.checkpoint('app', 'w2', %L, %s)$$, :'w1_shard', :'first_seq'),
				 '55006', format('shard "%s" of application "app" is not leased to worker "w2"', :'w1_shard'),
				 'a worker that does not hold the lease may not (ResourceInUseException)');
SELECT throws_ok(format($$SELECT stream.checkpoint('app', 'w1', 'shardId-000000000009', %s)$$, :'first_seq'),
				 '42704', NULL, 'a shard that does not exist is ResourceNotFoundException');
SELECT min(sequence_number) AS other_seq FROM got WHERE shard_id <> :'w1_shard' \gset
SELECT throws_ok(format($$SELECT stream.checkpoint('app', 'w1', %L, %s)$$, :'w1_shard', :'other_seq'),
				 '22023', NULL, 'a sequence number of another shard is InvalidArgumentException');
SELECT throws_ok(format($$SELECT stream.checkpoint('app', 'w1', %L, NULL)$$, :'w1_shard'),
				 '22023', 'sequence number must not be null', 'so is NULL');
SET ROLE app_viewer;
SELECT throws_ok(format($$SELECT stream.checkpoint('app', 'w1', %L, %s)$$, :'w1_shard', :'first_seq'),
				 '42501', NULL, 'checkpoint needs read');
SELECT is((SELECT count(*) FROM stream.leases('app')), 2::bigint, 'a role with describe sees the leases');
SET ROLE app_reader;

-- consume's own errors
SELECT throws_ok($$SELECT * FROM stream.consume('ghost', 'w1')$$, '42704',
				 'application "ghost" does not exist', 'an application that does not exist is ResourceNotFoundException');
SELECT throws_ok($$SELECT * FROM stream.consume(NULL, 'w1')$$, '22023', NULL, 'so is NULL InvalidArgumentException');
SELECT throws_ok($$SELECT * FROM stream.consume('app', NULL)$$, '22023', 'worker id must not be null',
				 'a worker id is needed');
SELECT throws_ok($$SELECT * FROM stream.consume('app', '')$$, '22023', NULL, 'and not empty');
SELECT throws_ok($$SELECT * FROM stream.consume('app', 'w1', 0)$$, '22023', 'limit 0 is out of range',
				 'the limit is from 1 to 10000');
SELECT throws_ok($$SELECT * FROM stream.consume('app', 'w1', 10, '6 minutes')$$, '22023', NULL,
				 'a wait is at most 5 minutes');
SELECT throws_ok($$SELECT * FROM stream.consume('app', 'w1', 10, '0', 0)$$, '22023', 'max_leases 0 is out of range',
				 'max_leases is at least 1');

-- waiting: nothing comes, the wait ends with nothing
SELECT is((SELECT count(*) FROM stream.consume('app', 'w1', 10, '50 ms')), 0::bigint,
		  'a call that waits and finds nothing returns nothing at the end of its wait');
SELECT ok((SELECT lease_expires_at > clock_timestamp() + '9 s' FROM stream.leases('app')
		   WHERE worker_id = 'w1'),
		  '... having renewed its lease at the end');
RESET ROLE;

-- an expired lease is taken over
SELECT stream.create_application('brief', 'as', lease_duration => '1 second');
SET ROLE app_reader;
SELECT count(*) FROM stream.consume('brief', 'w1', 1);
SELECT pg_sleep(1.1);
SELECT is((SELECT count(*) FROM stream.consume('brief', 'w2', 100)), 13::bigint,
		  'once the leases of a worker expire, another takes them all over, from its checkpoints');
SELECT is((SELECT array_agg(DISTINCT worker_id) FROM stream.leases('brief')), '{w2}',
		  '... and holds them');
RESET ROLE;

-- LATEST and AT_TIMESTAMP
SELECT stream.create_application('late', 'as', 'LATEST');
SELECT stream.create_application('timed', 'as', 'AT_TIMESTAMP', '2000-01-01');
SET ROLE app_reader;
SELECT is((SELECT count(*) FROM stream.consume('late', 'w1', 100)), 0::bigint,
		  'LATEST: nothing of what was put before the application');
SELECT is((SELECT count(*) FROM stream.consume('timed', 'w1', 100)), 14::bigint,
		  'AT_TIMESTAMP: everything that arrived after the time');
RESET ROLE;

-- children after their parents, each key in order
SELECT stream.create_application('family', 'as');
SELECT stream.split_shard('as', 'shardId-000000000000', 2::numeric ^ 126);
SELECT pg_temp.put(6, 15);
SET ROLE app_reader;
SELECT results_eq($$SELECT parent_shard_ids FROM stream.leases('family') WHERE shard_id > 'shardId-000000000001'$$,
				  $$VALUES ('{shardId-000000000000}'::text[]), ('{shardId-000000000000}')$$,
				  'the children of a split have leases, with their parent');
SELECT is((SELECT count(*) FROM stream.consume('family', 'w1', 2)
		   WHERE shard_id > 'shardId-000000000001'), 0::bigint,
		  'the children are not read while their parent has records left');
SELECT is((SELECT array_agg(pg_temp.txt(data) ORDER BY sequence_number)
		   FROM stream.consume('family', 'w1', 100)
		   WHERE shard_id = 'shardId-000000000000'), '{4,6,8,10,12,14}',
		  'the parent is read to its end...');
SELECT is((SELECT shard_end_reached FROM stream.leases('family') WHERE shard_id = 'shardId-000000000000'),
		  true, '... which its lease records, held by nobody any more');
SELECT is((SELECT array_agg(pg_temp.txt(data) ORDER BY sequence_number)
		   FROM stream.consume('family', 'w1', 100)
		   WHERE partition_key = 'a'), '{16,18,20}',
		  'then the children are read: key a comes in order');
RESET ROLE;

-- the maintenance pass forgets workers that stopped waiting for leases
INSERT INTO stream.lease_workers VALUES ('app', 'gone', now() - interval '1 hour'),
										('app', 'waiting', now());
CALL stream.run_maintenance();
SELECT results_eq($$SELECT worker_id FROM stream.lease_workers WHERE application_name = 'app'
					AND worker_id IN ('gone', 'waiting')$$, $$VALUES ('waiting')$$,
				  'the maintenance pass deletes a waiting worker''s row older than a lease duration');
SELECT is((SELECT count(*) FROM stream.lease_workers w JOIN stream.applications a USING (application_name)
		   WHERE w.seen_at < now() - a.lease_duration), 0::bigint, '... every such row');
DELETE FROM stream.lease_workers WHERE worker_id = 'waiting';

-- dropping
SET ROLE app_reader;
SELECT throws_ok($$SELECT stream.drop_application('app')$$, '42501',
				 'role "app_reader" is not authorized to perform kinesis:DropApplication on stream "as"',
				 'dropping an application needs manage');
SET ROLE app_manager;
SELECT lives_ok($$SELECT stream.drop_application('app')$$, 'a role with manage drops it');
SELECT throws_ok($$SELECT stream.drop_application('app')$$, '42704', 'application "app" does not exist',
				 'then it does not exist');
SET ROLE app_reader;
SELECT throws_ok($$SELECT * FROM stream.consume('app', 'w1')$$, '42704', NULL, 'nor can it be consumed');
RESET ROLE;
SELECT stream.delete_stream('as');
SELECT is((SELECT count(*) FROM stream.applications) + (SELECT count(*) FROM stream.leases), 0::bigint,
		  'deleting a stream drops its applications and leases');

SELECT * FROM finish();
ROLLBACK;
