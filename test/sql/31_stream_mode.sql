\set ECHO none
\i test/sql/lib/setup.sql
-- update_stream_mode: switching a stream between PROVISIONED and ON_DEMAND,
-- Kinesis' limit of two switches in a rolling 24 hours, and the errors.
BEGIN;
SELECT plan(14);

SELECT stream.create_stream('mode_a', 2);
SELECT stream.create_stream('mode_b', 1, 'ON_DEMAND');

SELECT is((SELECT stream_mode FROM stream.describe_stream_summary('mode_a')), 'PROVISIONED',
		  'a stream is PROVISIONED by default');
SELECT is((SELECT stream_mode FROM stream.describe_stream_summary('mode_b')), 'ON_DEMAND',
		  'create_stream takes ON_DEMAND');

SELECT lives_ok($$SELECT stream.update_stream_mode('mode_a', 'ON_DEMAND')$$,
				'PROVISIONED to ON_DEMAND');
SELECT is((SELECT stream_mode FROM stream.describe_stream_summary('mode_a')), 'ON_DEMAND',
		  'describe_stream_summary shows the new mode');
SELECT is((SELECT stream_mode FROM stream.list_streams() WHERE stream_name = 'mode_a'),
		  'ON_DEMAND', 'list_streams too');
SELECT is(stream.describe_stream('mode_a') -> 'StreamModeDetails' ->> 'StreamMode', 'ON_DEMAND',
		  'and describe_stream');

SELECT lives_ok($$SELECT stream.update_stream_mode('mode_a', 'ON_DEMAND')$$,
				'asking for the mode it has already is a no-op');
SELECT lives_ok($$SELECT stream.update_stream_mode('mode_a', 'PROVISIONED')$$,
				'ON_DEMAND back to PROVISIONED: the second switch');
SELECT throws_ok($$SELECT stream.update_stream_mode('mode_a', 'ON_DEMAND')$$, '54000', NULL,
				 'a third switch in 24 hours is LimitExceededException');
SELECT is((SELECT stream_mode FROM stream.describe_stream_summary('mode_a')), 'PROVISIONED',
		  '... and leaves the mode as it was');

UPDATE stream.mode_changes SET changed_at = changed_at - interval '25 hours'
WHERE stream_id = (SELECT stream_id FROM stream.streams WHERE stream_name = 'mode_a');
SELECT lives_ok($$SELECT stream.update_stream_mode('mode_a', 'ON_DEMAND')$$,
				'switches older than 24 hours no longer count');

SELECT throws_ok($$SELECT stream.update_stream_mode('mode_b', 'SOMETIMES')$$, '22023', NULL,
				 'an unknown mode is InvalidArgumentException');
SELECT throws_ok($$SELECT stream.update_stream_mode('mode_b', NULL)$$, '22023', NULL,
				 'a NULL mode is InvalidArgumentException');
SELECT throws_ok($$SELECT stream.update_stream_mode('no_such_stream', 'ON_DEMAND')$$, '42704',
				 NULL, 'an unknown stream is ResourceNotFoundException');

SELECT * FROM finish();
ROLLBACK;
