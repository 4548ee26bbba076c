\set ECHO none
\i test/sql/lib/setup.sql
-- increase_stream_retention_period, decrease_stream_retention_period and
-- set_retention_period: bounds, direction, rounding up to whole hours.
BEGIN;
SELECT plan(40);

SELECT stream.create_stream('ret', 1);

CREATE FUNCTION pg_temp.hours(name text) RETURNS int LANGUAGE sql AS $$
	SELECT retention_period_hours FROM stream.describe_stream_summary(name)
$$;

SELECT is(pg_temp.hours('ret'), 24, 'a new stream retains 24 hours');

-- Increase.
SELECT lives_ok($$SELECT stream.increase_stream_retention_period('ret', 48)$$,
				'increase from 24 to 48 hours');
SELECT is(pg_temp.hours('ret'), 48, '... describe_stream_summary shows 48');
SELECT is((stream.describe_stream('ret')->'RetentionPeriodHours')::int, 48,
		  '... describe_stream shows 48');
SELECT throws_ok($$SELECT stream.increase_stream_retention_period('ret', 24)$$, '22023', NULL,
				 'increase to less than the current period: 22023');
SELECT is(pg_temp.hours('ret'), 48, '... and the period stays 48');
SELECT throws_ok($$SELECT stream.increase_stream_retention_period('ret', 8761)$$, '22023', NULL,
				 'increase to 8761 hours: 22023');
SELECT is(pg_temp.hours('ret'), 48, '... and the period stays 48');
SELECT throws_ok($$SELECT stream.increase_stream_retention_period('ret', 23)$$, '22023', NULL,
				 'increase to 23 hours: 22023');
SELECT throws_ok($$SELECT stream.increase_stream_retention_period('ret', NULL)$$, '22023', NULL,
				 'increase to NULL: 22023');
SELECT lives_ok($$SELECT stream.increase_stream_retention_period('ret', 8760)$$,
				'increase to 8760 hours, the maximum');
SELECT is(pg_temp.hours('ret'), 8760, '... describe_stream_summary shows 8760');

-- Decrease.
SELECT throws_ok($$SELECT stream.decrease_stream_retention_period('ret', 8761)$$, '22023', NULL,
				 'decrease to 8761 hours: 22023');
SELECT lives_ok($$SELECT stream.decrease_stream_retention_period('ret', 72)$$,
				'decrease from 8760 to 72 hours');
SELECT is(pg_temp.hours('ret'), 72, '... describe_stream_summary shows 72');
SELECT throws_ok($$SELECT stream.decrease_stream_retention_period('ret', 100)$$, '22023', NULL,
				 'decrease to more than the current period: 22023');
SELECT is(pg_temp.hours('ret'), 72, '... and the period stays 72');
SELECT throws_ok($$SELECT stream.decrease_stream_retention_period('ret', 23)$$, '22023', NULL,
				 'decrease to 23 hours: 22023');
SELECT is(pg_temp.hours('ret'), 72, '... and the period stays 72');
SELECT throws_ok($$SELECT stream.decrease_stream_retention_period('ret', 0)$$, '22023', NULL,
				 'decrease to 0 hours: 22023');
SELECT lives_ok($$SELECT stream.decrease_stream_retention_period('ret', 24)$$,
				'decrease to 24 hours, the minimum');
SELECT is(pg_temp.hours('ret'), 24, '... describe_stream_summary shows 24');

-- Unknown streams.
SELECT throws_ok($$SELECT stream.increase_stream_retention_period('nope', 48)$$, '42704', NULL,
				 'increase on an unknown stream: 42704');
SELECT throws_ok($$SELECT stream.decrease_stream_retention_period('nope', 24)$$, '42704', NULL,
				 'decrease on an unknown stream: 42704');
SELECT throws_ok($$SELECT stream.set_retention_period('nope', '48 hours')$$, '42704', NULL,
				 'set_retention_period on an unknown stream: 42704');

-- set_retention_period with the default floor of 24 hours.
SELECT lives_ok($$SELECT stream.set_retention_period('ret', '36 hours')$$,
				'set_retention_period to 36 hours');
SELECT is(pg_temp.hours('ret'), 36, '... shows 36');
SELECT throws_ok($$SELECT stream.set_retention_period('ret', '1 hour')$$, '22023', NULL,
				 'set_retention_period below stream.min_retention_period: 22023');
SELECT is(pg_temp.hours('ret'), 36, '... and the period stays 36');
SELECT throws_ok($$SELECT stream.set_retention_period('ret', '8760 hours 1 second')$$, '22023',
				 NULL, 'set_retention_period above 8760 hours: 22023');
SELECT throws_ok($$SELECT stream.set_retention_period('ret', NULL)$$, '22023', NULL,
				 'set_retention_period to NULL: 22023');
SELECT lives_ok($$SELECT stream.set_retention_period('ret', '8760 hours')$$,
				'set_retention_period to 8760 hours');
SELECT is(pg_temp.hours('ret'), 8760, '... shows 8760');

-- A lower floor, for tests and demos: retention in seconds, shown rounded up.
SET LOCAL stream.min_retention_period = '10s';
SELECT lives_ok($$SELECT stream.set_retention_period('ret', '30 seconds')$$,
				'with stream.min_retention_period = 10s, 30 seconds is accepted');
SELECT is(pg_temp.hours('ret'), 1, '... retention_period_hours rounds 30 seconds up to 1');
SELECT throws_ok($$SELECT stream.set_retention_period('ret', '5 seconds')$$, '22023', NULL,
				 '... 5 seconds is still below the floor: 22023');
SELECT lives_ok($$SELECT stream.set_retention_period('ret', '90 minutes')$$,
				'set_retention_period to 90 minutes');
SELECT is(pg_temp.hours('ret'), 2, '... rounds up to 2 hours');
SELECT lives_ok($$SELECT stream.increase_stream_retention_period('ret', 24)$$,
				'increase from 90 minutes to 24 hours');
SELECT is(pg_temp.hours('ret'), 24, '... shows 24');

SELECT * FROM finish();
ROLLBACK;
