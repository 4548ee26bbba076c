\set ECHO none
\i test/sql/lib/setup.sql
-- Triggers (API.md, "Delivery and triggers"): create_trigger and its every
-- error with nothing left behind, the lanes of each shard (and of the
-- children of a reshard), the view, drop_trigger, and who may do what, as
-- ordinary roles; and what happens to a batch the function failed on
-- (bisecting, retrying, the failure stream), by the function the workers
-- call.  The workers themselves are TAP's (test/t/150_triggers.pl).
BEGIN;
SELECT plan(58);

\i test/sql/lib/helpers.sql

SELECT is(pg_temp.signature('stream.create_trigger(text, text, regprocedure, int, interval, text, int, int, boolean, text)'),
		  'trigger_name text, stream_name text, function regprocedure, batch_size integer DEFAULT 100, '
		  'maximum_batching_window interval DEFAULT ''@ 0''::interval, '
		  'starting_position text DEFAULT ''LATEST''::text, parallelization_factor integer DEFAULT 1, '
		  'maximum_retry_attempts integer DEFAULT ''-1''::integer, '
		  'bisect_batch_on_function_error boolean DEFAULT false, '
		  'on_failure_stream text DEFAULT NULL::text -> void',
		  'create_trigger has the signature of API.md');
SELECT is(pg_temp.signature('stream.drop_trigger(text)'), 'trigger_name text -> void',
		  'drop_trigger too');

CREATE ROLE trg_reader;
CREATE ROLE trg_manager;
CREATE ROLE trg_viewer;
CREATE ROLE trg_nobody;
SELECT stream.create_stream('ts', 2);
SELECT stream.create_stream('ts_failed', 1);
SELECT stream.create_stream('ts_other', 1);
SELECT stream.grant('read', 'ts', 'trg_reader');
SELECT stream.grant('write', 'ts_failed', 'trg_reader');
SELECT stream.grant('manage', 'ts', 'trg_manager');
SELECT stream.grant('describe', 'ts', 'trg_viewer');

CREATE TABLE public.applied (shard_id text, n int);
GRANT ALL ON public.applied TO PUBLIC;
CREATE FUNCTION public.apply(records stream.record[], shard_id text) RETURNS void
	LANGUAGE sql AS $$ INSERT INTO public.applied VALUES (shard_id, cardinality(records)) $$;
CREATE FUNCTION public.wrong_args(records stream.record[]) RETURNS void
	LANGUAGE sql AS $$ SELECT $$;
CREATE FUNCTION public.returns_set(records stream.record[], shard_id text) RETURNS SETOF int
	LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION public.secret(records stream.record[], shard_id text) RETURNS void
	LANGUAGE sql AS $$ SELECT $$;
REVOKE EXECUTE ON FUNCTION public.secret(stream.record[], text) FROM PUBLIC;
CREATE FUNCTION public.gone(records stream.record[], shard_id text) RETURNS void
	LANGUAGE sql AS $$ SELECT $$;
SELECT 'public.gone(stream.record[], text)'::regprocedure::oid AS gone_oid \gset
DROP FUNCTION public.gone(stream.record[], text);

-- creating, and every error
SELECT pg_temp.footprint() AS before_create \gset
SET ROLE trg_nobody;
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)')$$,
				 '42501', 'role "trg_nobody" is not authorized to perform kinesis:CreateEventSourceMapping on stream "ts"',
				 'a trigger reads as its creator: creating one needs read on the stream');
SET ROLE trg_reader;
SELECT throws_ok($$SELECT stream.create_trigger('t', 'nowhere', 'public.apply(stream.record[], text)')$$,
				 '42501', NULL, 'a stream that does not exist is AccessDeniedException without read on ''*''...');
RESET ROLE;
SELECT throws_ok($$SELECT stream.create_trigger('t', 'nowhere', 'public.apply(stream.record[], text)')$$,
				 '42704', NULL, '... and ResourceNotFoundException with it');
SET ROLE trg_reader;
SELECT throws_ok(format('SELECT stream.create_trigger(''t'', ''ts'', %s)', :gone_oid),
				 '42704', format('function %s does not exist', :gone_oid),
				 'a function that does not exist is ResourceNotFoundException');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.wrong_args(stream.record[])')$$,
				 '22023', 'function public.wrong_args(stream.record[]) cannot be a trigger''s',
				 'a function of other arguments is InvalidArgumentException');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.returns_set(stream.record[], text)')$$,
				 '22023', NULL, 'so is one that returns a set');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', NULL)$$,
				 '22023', 'function must not be null', 'and NULL');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.secret(stream.record[], text)')$$,
				 '42501', 'role "trg_reader" may not execute function public.secret(stream.record[],text)',
				 'a function the creator may not execute is AccessDeniedException');
SELECT throws_ok($$SELECT stream.create_trigger('bad name', 'ts', 'public.apply(stream.record[], text)')$$,
				 '22023', 'invalid trigger name "bad name"', 'a name with a space is InvalidArgumentException');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)', 0)$$,
				 '22023', 'batch size 0 is out of range', 'a batch holds a record at least');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)', 10001)$$,
				 '22023', 'batch size 10001 is out of range', 'and 10000 at most');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)', NULL)$$,
				 '22023', 'batch size NULL is out of range', 'and not NULL');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)',
												maximum_batching_window => '301 s')$$,
				 '22023', 'maximum batching window of 301 seconds is out of range', 'a window is 300 seconds at most');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)',
												maximum_batching_window => '-1 s')$$,
				 '22023', NULL, 'and not negative');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)',
												starting_position => 'AT_TIMESTAMP')$$,
				 '22023', 'invalid starting position "AT_TIMESTAMP"', 'a trigger starts at TRIM_HORIZON or LATEST');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)',
												parallelization_factor => 0)$$,
				 '22023', 'parallelization factor 0 is out of range', 'a shard has a lane at least');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)',
												parallelization_factor => 11)$$,
				 '22023', 'parallelization factor 11 is out of range', 'and 10 at most');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)',
												maximum_retry_attempts => -2)$$,
				 '22023', 'maximum retry attempts -2 is out of range', 'retries are -1 (until expiry) or more');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)',
												maximum_retry_attempts => 10001)$$,
				 '22023', NULL, 'and 10000 at most');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)',
												on_failure_stream => 'nowhere')$$,
				 '42704', 'failure stream "nowhere" does not exist', 'a failure stream must exist');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)',
												on_failure_stream => 'ts_other')$$,
				 '42501', 'role "trg_reader" may not write failure stream "ts_other"',
				 'and the creator must be allowed to write it');
RESET ROLE;
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)',
												on_failure_stream => 'ts')$$,
				 '22023', 'stream "ts" cannot be its own trigger''s failure stream',
				 'a stream is not its own failure stream');
SELECT is(pg_temp.footprint(), :'before_create', '... and none of those left anything behind');

SET ROLE trg_reader;
SELECT lives_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)',
											   batch_size => 10, parallelization_factor => 3,
											   on_failure_stream => 'ts_failed',
											   bisect_batch_on_function_error => true,
											   maximum_retry_attempts => 1)$$,
				'a role with read makes a trigger');
SELECT throws_ok($$SELECT stream.create_trigger('t', 'ts', 'public.apply(stream.record[], text)')$$,
				 '42710', 'trigger "t" already exists', 'a name taken is ResourceInUseException (42710)');
SELECT results_eq($$SELECT trigger_name, stream_name, function::text, owner::text, batch_size,
						   starting_position, parallelization_factor, maximum_retry_attempts,
						   bisect_batch_on_function_error, on_failure_stream, state, records
					FROM stream.triggers$$,
				  $$VALUES ('t', 'ts', 'apply(stream.record[],text)', 'trg_reader', 10, 'LATEST', 3, 1,
							true, 'ts_failed', 'ENABLED', 0::bigint)$$,
				  'its owner sees it in stream.triggers, as made');
SELECT is(jsonb_array_length((SELECT lanes FROM stream.triggers)), 6,
		  'with a lane for each shard and each of its 3 lanes of parallelization');
RESET ROLE;
SELECT is((SELECT count(*) FROM stream.sink_lanes WHERE start_at IS NULL OR checkpoint IS NOT NULL),
		  0::bigint, 'LATEST: each lane starts at the creation, without checkpoint');
SET ROLE trg_viewer;
SELECT is((SELECT count(*) FROM stream.triggers), 1::bigint, 'a role that describes the stream sees it');
SET ROLE trg_nobody;
SELECT is((SELECT count(*) FROM stream.triggers), 0::bigint, 'a role that does not sees none');

-- resharding: the children get lanes of their own
RESET ROLE;
SELECT stream.split_shard('ts', 'shardId-000000000000', 2::numeric ^ 126);
SELECT is((SELECT count(*) FROM stream.sink_lanes WHERE shard_no IN (2, 3)), 6::bigint,
		  'the children of a split get their lanes');
SELECT is((SELECT count(*) FROM stream.sink_lanes WHERE shard_no IN (2, 3) AND start_at IS NOT NULL),
		  0::bigint, 'which start at their first record');
SELECT is((SELECT count(*) FROM stream_internal.ready_sink_lanes() WHERE shard_no IN (2, 3)),
		  0::bigint, 'and are not ready while their parent''s lanes are not read to its end');
UPDATE stream.sink_lanes SET shard_end_reached = true WHERE shard_no = 0 AND lane = 1;
SELECT results_eq($$SELECT shard_no, lane FROM stream_internal.ready_sink_lanes() WHERE shard_no IN (2, 3)$$,
				  $$VALUES (2, 1), (3, 1)$$,
				  'a lane of a child is ready once the same lane of its parent ended (a key keeps its lane)');
UPDATE stream.sink_lanes SET shard_end_reached = false WHERE shard_no = 0 AND lane = 1;

-- a batch the function failed on (what the workers call, as a superuser)
SELECT count(*) FROM (SELECT stream.put_record('ts', 'k' || i, convert_to('r' || i, 'UTF8'), 2::numeric ^ 127)
					  FROM generate_series(1, 8) i) x;
CREATE TEMP TABLE batch AS
SELECT r.records FROM stream.get_records(stream.get_shard_iterator('ts', 'shardId-000000000001', 'TRIM_HORIZON')) r;
SELECT is(stream_internal.sink_batch_failed('t', 1, 0, (SELECT records FROM batch), 'boom'),
		  'bisected', 'with bisecting, a batch of 8 that failed is halved');
SELECT results_eq($$SELECT retry_records, retry_remaining, attempts, last_error FROM stream.sink_lanes
					WHERE sink_name = 't' AND shard_no = 1 AND lane = 0$$,
				  $$VALUES (4, 8, 0, 'boom')$$, 'the first 4 of the 8 are called next, at once');
SELECT is(stream_internal.sink_batch_failed('t', 1, 0, (SELECT records[1:1] FROM batch), 'boom'),
		  'retrying', 'a single record that failed is tried again');
SELECT results_eq($$SELECT retry_records, attempts, retry_at > now() FROM stream.sink_lanes
					WHERE sink_name = 't' AND shard_no = 1 AND lane = 0$$,
				  $$VALUES (1, 1, true)$$, 'after a backoff, counting the attempt');
SELECT is(stream_internal.sink_batch_failed('t', 1, 0, (SELECT records[1:1] FROM batch), 'boom again'),
		  'sent to the failure stream', 'past maximum_retry_attempts it goes to the failure stream');
SELECT results_eq($$SELECT checkpoint = (SELECT (records[1]).sequence_number FROM batch),
						   retry_records, retry_remaining, attempts, failed_records
					FROM stream.sink_lanes WHERE sink_name = 't' AND shard_no = 1 AND lane = 0$$,
				  $$VALUES (true, 7, 7, 0, 1::bigint)$$,
				  'and the lane goes on after it, with the rest of the batch as the next one');
SELECT results_eq($$SELECT r.partition_key, d->>'trigger_name', d->>'stream_name', d->>'shard_id',
						   d->>'sequence_number' = (SELECT (records[1]).sequence_number::text FROM batch),
						   convert_from(decode(d->>'data', 'base64'), 'UTF8') COLLATE "default", d->>'error',
						   (d->>'attempts')::int
					FROM stream.read('ts_failed') r, CAST(convert_from(r.data, 'UTF8') AS jsonb) d$$,
				  $$VALUES ('k1', 't', 'ts', 'shardId-000000000001', true, 'r1', 'boom again', 2)$$,
				  'the failure stream has the record, under its key, with its error and origin');
SELECT stream_internal.sink_lane_read('t', 1, 0, 7, (SELECT (records[8]).sequence_number FROM batch), false);
SELECT results_eq($$SELECT retry_records, retry_remaining, records, batches, last_error FROM stream.sink_lanes
					WHERE sink_name = 't' AND shard_no = 1 AND lane = 0$$,
				  $$VALUES (0, 0, 7::bigint, 1::bigint, NULL::text)$$,
				  'a batch that succeeds clears the failure, and counts');

-- the owner may lose what the trigger needs: the worker checks at each batch
SELECT stream.revoke('write', 'ts_failed', 'trg_reader');
SELECT throws_ok($$SELECT stream_internal.sink_batch_failed('t', 1, 1, (SELECT records[1:1] FROM batch), 'x'),
						  stream_internal.sink_batch_failed('t', 1, 1, (SELECT records[1:1] FROM batch), 'x')$$,
				 '42501', 'role "trg_reader" may not write failure stream "ts_failed" of trigger "t"',
				 'a batch is not written to a failure stream its owner may no longer write');

-- dropping
SET ROLE trg_nobody;
SELECT throws_ok($$SELECT stream.drop_trigger('t')$$, '42501',
				 'role "trg_nobody" may not drop trigger "t"', 'only its owner or a manager drops a trigger');
SELECT throws_ok($$SELECT stream.drop_trigger('nothing')$$, '42704',
				 'trigger "nothing" does not exist', 'a trigger that does not exist is ResourceNotFoundException');
SELECT throws_ok($$SELECT stream.drop_trigger(NULL)$$, '22023',
				 'trigger name must not be null', 'and NULL InvalidArgumentException');
SET ROLE trg_reader;
SELECT lives_ok($$SELECT stream.drop_trigger('t')$$, 'its owner drops it');
RESET ROLE;
SELECT is((SELECT count(*) FROM stream.sink_lanes), 0::bigint, 'with its lanes');
SET ROLE trg_reader;
SELECT lives_ok($$SELECT stream.create_trigger('t2', 'ts', 'public.apply(stream.record[], text)',
											   starting_position => 'TRIM_HORIZON')$$,
				'TRIM_HORIZON: from the oldest record');
RESET ROLE;
SELECT is((SELECT count(*) FROM stream.sink_lanes WHERE start_at IS NOT NULL), 0::bigint,
		  'each lane starts without a time');
SET ROLE trg_manager;
SELECT lives_ok($$SELECT stream.drop_trigger('t2')$$, 'a role that manages the stream drops it too');
RESET ROLE;
SELECT stream.create_trigger('t3', 'ts', 'public.apply(stream.record[], text)');
SELECT stream.delete_stream('ts');
SELECT is((SELECT count(*) FROM stream.sinks), 0::bigint,
		  'deleting a stream drops its triggers');
SELECT is((SELECT count(*) FROM stream.sink_lanes), 0::bigint, 'and their lanes');

-- the view is everyone's, the tables are not
SET ROLE trg_nobody;
SELECT throws_ok($$SELECT * FROM stream.sinks$$, '42501', NULL,
				 'the table of triggers is the extension''s');
SELECT throws_ok($$SELECT * FROM stream.sink_lanes$$, '42501', NULL, 'and so is that of lanes');
SELECT throws_ok($$SELECT stream_internal.sink_lane_read('t', 1, 0, 1, 1, false)$$, '42501', NULL,
				 'and the functions the workers call');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
