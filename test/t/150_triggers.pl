# Triggers run by the extension's workers (issue 17):
#  1. a function that fails on the records of marked keys, with bisecting:
#     exactly those records end in the failure stream, every other record
#     is applied exactly once, each key's in order;
#  2. a shard split, a trigger worker terminated (pg_terminate_backend),
#     then the whole server killed with SIGKILL, while producers write:
#     after the restart the trigger's table holds every committed record
#     exactly once, each key's in order across the split;
#  3. parallelization_factor 4 on one shard keeps each key in order, and is
#     faster than 1 with a function that sleeps 5 ms a batch;
#  4. a trigger whose function takes seconds a batch holds back neither
#     another trigger nor the maintenance pass;
#  5. a batch that is not full waits for its batching window; a full one
#     does not;
#  6. a function cannot become the worker's superuser, nor leave settings
#     to later batches;
#  7. a trigger reads within its shard's read quota, and in its metrics.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;
use Time::HiRes qw(usleep time);

my $node = stream_node('triggers',
	conf => "stream.max_workers = 8\nstream.max_trigger_workers = 4\n"
	  . "max_worker_processes = 20\nmax_connections = 30\n");
my $db = 'postgres';

# A table the functions below write, one row a record, in the order they
# were applied (id).
$node->safe_psql(
	$db, q{
CREATE TABLE applied (id bigserial PRIMARY KEY, trigger_name text, shard_id text,
					  sequence_number numeric, partition_key text, data text,
					  at timestamptz DEFAULT clock_timestamp());
CREATE FUNCTION apply_batch(name text, records stream.record[], shard_id text) RETURNS void
	LANGUAGE sql AS $$
	INSERT INTO applied (trigger_name, shard_id, sequence_number, partition_key, data)
	SELECT name, shard_id, r.sequence_number, r.partition_key, convert_from(r.data, 'UTF8')
	FROM unnest(records) WITH ORDINALITY r ORDER BY r.ordinality
$$;

-- fails on any batch with a record of a key marked "bad"
CREATE FUNCTION marked(records stream.record[], shard_id text) RETURNS void
	LANGUAGE plpgsql AS $$
BEGIN
	PERFORM apply_batch('marked', records, shard_id);
	IF EXISTS (SELECT FROM unnest(records) r WHERE r.partition_key LIKE 'bad-%') THEN
		RAISE EXCEPTION 'a marked record';
	END IF;
END $$;

-- sleeps 5 ms a batch
CREATE FUNCTION slowish(records stream.record[], shard_id text) RETURNS void
	LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_sleep(0.005);
	PERFORM apply_batch(current_setting('test.trigger_name', true), records, shard_id);
END $$;

-- puts the records of counters first to first + n - 1 of each key in keys,
-- their data "key:counter", in order
CREATE FUNCTION put_keys(stream_name text, keys text[], first int, n int) RETURNS void
	LANGUAGE sql AS $$
	SELECT count(*) FROM stream.put_records(stream_name, ARRAY(
		SELECT ROW(convert_to(k || ':' || c, 'UTF8'), k, NULL)::stream.put_records_request_entry
		FROM generate_series(first, first + n - 1) c, unnest(keys) k ORDER BY c, k))
$$;

-- whether each key's counters were applied in order, by a trigger
CREATE FUNCTION in_order(name text) RETURNS boolean LANGUAGE sql AS $$
	SELECT coalesce(bool_and(ok), true) FROM (
		SELECT split_part(data, ':', 2)::int
			   > coalesce(lag(split_part(data, ':', 2)::int)
							  OVER (PARTITION BY partition_key ORDER BY id), 0) AS ok
		FROM applied WHERE trigger_name = name) x
$$;
});

# ---- 1. bisecting a failing batch ----------------------------------------
$node->safe_psql(
	$db, q{
SELECT stream.create_stream('tb', 2);
SELECT stream.create_stream('tb_failed', 1);
SELECT stream.create_trigger('marked', 'tb', 'marked(stream.record[], text)',
							 batch_size => 100, starting_position => 'TRIM_HORIZON',
							 maximum_retry_attempts => 1, bisect_batch_on_function_error => true,
							 on_failure_stream => 'tb_failed');
});
my $good = "ARRAY(SELECT 'key-' || lpad(i::text, 2, '0') FROM generate_series(1, 20) i)";
for my $round (1 .. 4)
{
	my $first = 1 + 5 * ($round - 1);
	$node->safe_psql($db, "SELECT put_keys('tb', $good, $first, 5)");
	$node->safe_psql($db, "SELECT put_keys('tb', ARRAY['bad-1', 'bad-2'], $round / 2, 1)")
	  if $round % 2 == 0;
}
ok( wait_until(
		$node, $db, q{
SELECT (SELECT records + failed_records FROM stream.triggers WHERE trigger_name = 'marked') = 404
   AND (SELECT state FROM stream.triggers WHERE trigger_name = 'marked') = 'ENABLED'},
		120),
	'the trigger went through every record of the stream');
is( $node->safe_psql(
		$db, q{
SELECT string_agg(partition_key || ' ' || convert_from(data, 'UTF8'), ','
				  ORDER BY partition_key, convert_from(data, 'UTF8'))
FROM (SELECT r.partition_key, decode(d->>'data', 'base64') AS data
	  FROM stream.read('tb_failed') r, CAST(convert_from(r.data, 'UTF8') AS jsonb) d) x}),
	'bad-1 bad-1:1,bad-1 bad-1:2,bad-2 bad-2:1,bad-2 bad-2:2',
	'exactly the marked records are in the failure stream');
is( $node->safe_psql(
		$db, q{
WITH committed AS (SELECT shard_id, sequence_number, partition_key FROM stream.read('tb')
				   WHERE partition_key NOT LIKE 'bad-%'),
	 kept AS (SELECT shard_id, sequence_number, partition_key FROM applied
			  WHERE trigger_name = 'marked')
SELECT (SELECT count(*) FROM committed) || ' '
	   || (SELECT count(*) FROM (SELECT * FROM committed EXCEPT ALL SELECT * FROM kept) x)}),
	'400 0', 'every other record was applied');
# what stayed in "applied" committed with the batches that succeeded:
# a batch that failed rolled its rows back
is( $node->safe_psql(
		$db, q{
SELECT count(*) || ' ' || count(DISTINCT (shard_id, sequence_number)) || ' '
	   || count(*) FILTER (WHERE partition_key LIKE 'bad-%')
FROM applied WHERE trigger_name = 'marked'}),
	'400 400 0', 'each exactly once, and none of the marked ones');
ok($node->safe_psql($db, q{SELECT in_order('marked')}) eq 't', 'each key in order');
is( $node->safe_psql(
		$db, q{SELECT records || ' ' || failed_records || ' ' || millis_behind_latest
			   FROM stream.triggers WHERE trigger_name = 'marked'}),
	'400 4 0', 'stream.triggers counts them, and the trigger is caught up');
# (a worker sends what it counted at least once a second, idle or not)
ok( wait_until(
		$node, $db, q{
SELECT coalesce(sum(sum), 0) >= 404
FROM stream.get_metric_statistics('tb', 'GetRecords.Records',
								  now() - interval '1 hour', now() + interval '1 minute')}, 10),
	"the trigger's reads count as GetRecords in the stream's metrics");

# ---- 2. terminated and killed mid-run ------------------------------------
$node->safe_psql(
	$db, q{
SELECT stream.create_stream('tk', 2);
CREATE FUNCTION killed(records stream.record[], shard_id text) RETURNS void
	LANGUAGE plpgsql AS $$
BEGIN
	PERFORM apply_batch('killed', records, shard_id);
	PERFORM pg_sleep(0.005);
END $$;
SELECT stream.create_trigger('killed', 'tk', 'killed(stream.record[], text)', batch_size => 20,
							 starting_position => 'TRIM_HORIZON', parallelization_factor => 2);
});
my $keys = "ARRAY(SELECT 'key-' || lpad(k::text, 2, '0') FROM generate_series(1, 10) k)";
my $producer = start_session($node, $db,
	"DO \$\$ BEGIN FOR i IN 1 .. 400 LOOP PERFORM put_keys('tk', $keys, i, 1); "
	  . "COMMIT; PERFORM pg_sleep(0.01); END LOOP; END \$\$");
ok( wait_until(
		$node, $db, q{SELECT count(*) > 200 FROM applied WHERE trigger_name = 'killed'}, 60),
	'the trigger runs while the producer writes')
  or diag ${ $producer->{err} };
# a reshard in the middle: the children's lanes wait for their parents'
$node->safe_psql($db, q{SELECT stream.split_shard('tk', 'shardId-000000000000', 2::numeric ^ 126)});
usleep(300_000);
my $terminated = $node->safe_psql(
	$db, q{
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE backend_type = 'stream trigger worker' AND state = 'active'});
note "terminated $terminated trigger workers in a batch";
usleep(300_000);
crash_node($node);
eval { $producer->{h}->finish; };
$node->start;
my $committed = $node->safe_psql($db, q{SELECT count(*) FROM stream.read('tk')});
ok($committed > 200, "the producer committed records before the crash ($committed)");
ok( wait_until(
		$node, $db, qq{
SELECT count(*) = $committed FROM applied WHERE trigger_name = 'killed'}, 120),
	'after the restart the trigger goes on');
usleep(500_000);    # any batch applied twice would show now
is( $node->safe_psql(
		$db, q{
SELECT count(*) || ' ' || count(DISTINCT (shard_id, sequence_number)) || ' '
	   || (SELECT count(*) FROM (SELECT shard_id, sequence_number FROM stream.read('tk')
								 EXCEPT SELECT shard_id, sequence_number FROM applied
								 WHERE trigger_name = 'killed') x)
FROM applied WHERE trigger_name = 'killed'}),
	"$committed $committed 0",
	'every committed record is in the table exactly once');
ok($node->safe_psql($db, q{SELECT in_order('killed')}) eq 't', 'each key in order');

# ---- 3. parallelization ---------------------------------------------------
# Four idle lanes keep four trigger workers running, so that both runs
# start with the same workers.
$node->safe_psql(
	$db, q{
SELECT stream.drop_trigger('marked');
SELECT stream.drop_trigger('killed');
SELECT stream.create_stream('idle', 1);
SELECT stream.create_trigger('idle', 'idle', 'slowish(stream.record[], text)',
							 parallelization_factor => 4);
SELECT stream.create_stream('tp', 1);
SELECT put_keys('tp', ARRAY(SELECT 'key-' || lpad(i::text, 2, '0') FROM generate_series(1, 20) i), 1, 10);
});
ok( wait_until(
		$node, $db,
		q{SELECT count(*) = 4 FROM pg_stat_activity WHERE backend_type = 'stream trigger worker'},
		60),
	'four trigger workers run');

my %elapsed;
for my $factor (1, 4)
{
	my $name = "p$factor";
	$node->safe_psql(
		$db, qq{
ALTER FUNCTION slowish(stream.record[], text) SET test.trigger_name = '$name';
SELECT stream.create_trigger('$name', 'tp', 'slowish(stream.record[], text)', batch_size => 2,
							 starting_position => 'TRIM_HORIZON', parallelization_factor => $factor);
});
	ok( wait_until(
			$node, $db, qq{SELECT count(*) = 200 FROM applied WHERE trigger_name = '$name'}, 120),
		"parallelization factor $factor: the trigger applied the 200 records");
	$elapsed{$factor} = $node->safe_psql(
		$db, qq{
SELECT extract(epoch FROM max(a.at) - t.created_at)
FROM applied a, stream.sinks t
WHERE a.trigger_name = '$name' AND t.sink_name = '$name' GROUP BY t.created_at});
	ok($node->safe_psql($db, qq{SELECT in_order('$name')}) eq 't',
		"parallelization factor $factor: each key in order");
	is( $node->safe_psql(
			$db, qq{SELECT count(DISTINCT (shard_id, sequence_number)) FROM applied
					WHERE trigger_name = '$name'}),
		'200', "parallelization factor $factor: each record once");
	$node->safe_psql($db, "SELECT stream.drop_trigger('$name')");
}
note sprintf('100 batches of 2 records: %.3f s in 1 lane, %.3f s in 4 (%.1fx)',
	$elapsed{1}, $elapsed{4}, $elapsed{1} / $elapsed{4});
ok($elapsed{4} < $elapsed{1}, 'four lanes are faster than one');

# ---- 4. a slow trigger holds back no other --------------------------------
$node->safe_psql(
	$db, q{
CREATE FUNCTION slow(records stream.record[], shard_id text) RETURNS void
	LANGUAGE sql AS $$ SELECT pg_sleep(5) $$;
SELECT stream.create_stream('ts', 1);
SELECT stream.create_trigger('slow', 'ts', 'slow(stream.record[], text)', batch_size => 1);
ALTER FUNCTION slowish(stream.record[], text) SET test.trigger_name = 'quick';
SELECT stream.create_stream('tq', 1);
SELECT stream.create_trigger('quick', 'tq', 'slowish(stream.record[], text)');
SELECT put_keys('ts', ARRAY['s'], 1, 3);
});
ok( wait_until(
		$node, $db, q{
SELECT count(*) > 0 FROM pg_stat_activity
WHERE backend_type = 'stream trigger worker' AND wait_event = 'PgSleep'}, 30),
	'the slow trigger is in a batch');
my $t0 = time();
$node->safe_psql($db, q{SELECT put_keys('tq', ARRAY['q'], 1, 5)});
ok( wait_until(
		$node, $db, q{SELECT count(*) = 5 FROM applied WHERE trigger_name = 'quick'}, 4),
	'another trigger applies its records meanwhile');
note sprintf('the quick trigger took %.2f s', time() - $t0);
my $passes = $node->safe_psql($db,
	q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'stream maintenance worker'});
is($passes, '1', 'and the maintenance worker runs beside them');

# ---- 5. the batching window -----------------------------------------------
$node->safe_psql(
	$db, q{
ALTER FUNCTION slowish(stream.record[], text) SET test.trigger_name = 'window';
SELECT stream.create_stream('tw', 1);
SELECT stream.create_trigger('window', 'tw', 'slowish(stream.record[], text)', batch_size => 10,
							 maximum_batching_window => '2 seconds');
SELECT put_keys('tw', ARRAY['w'], 1, 25);
});
$t0 = time();
ok( wait_until(
		$node, $db, q{SELECT count(*) = 20 FROM applied WHERE trigger_name = 'window'}, 30),
	'full batches do not wait for the window');
usleep(500_000);
my $early = $node->safe_psql($db, q{SELECT count(*) FROM applied WHERE trigger_name = 'window'});
my $waited = time() - $t0;
is($early, $waited < 1.9 ? '20' : $early,
	sprintf('the last 5 records wait for the window (%.1f s after the put)', $waited));
ok( wait_until(
		$node, $db, q{SELECT count(*) = 25 FROM applied WHERE trigger_name = 'window'}, 30),
	'and come in one batch once their first record is 2 seconds old');
cmp_ok(time() - $t0, '>=', 1.5, 'not before');
is( $node->safe_psql(
		$db, q{SELECT batches FROM stream.triggers WHERE trigger_name = 'window'}),
	'3', 'three batches: two full ones and the rest');

# ---- 6. the owner's code stays the owner's ---------------------------------
# The worker's session user is a superuser, and it runs other owners'
# batches after this one: a function may not become the superuser (SET
# ROLE, or a deferred trigger firing at the worker's commit), and what it
# SETs does not outlive its batch.
$node->safe_psql(
	$db, q{
CREATE ROLE mallory;
SELECT stream.create_stream('tm', 1);
SELECT stream.grant('read', 'tm', 'mallory');
GRANT CREATE ON SCHEMA public TO mallory;
SET ROLE mallory;
CREATE FUNCTION public.escalate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	ALTER ROLE mallory SUPERUSER;
	RETURN NULL;
END $$;
CREATE TABLE public.later (x int);
CREATE CONSTRAINT TRIGGER escalate AFTER INSERT ON public.later
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.escalate();
CREATE FUNCTION public.by_role(records stream.record[], shard_id text) RETURNS void
	LANGUAGE plpgsql AS $$
BEGIN
	RESET ROLE;
	ALTER ROLE mallory SUPERUSER;
END $$;
CREATE FUNCTION public.by_deferred(records stream.record[], shard_id text) RETURNS void
	LANGUAGE sql AS $$ INSERT INTO public.later VALUES (1) $$;
CREATE FUNCTION public.by_setting(records stream.record[], shard_id text) RETURNS void
	LANGUAGE sql AS $$ SELECT set_config('default_transaction_read_only', 'on', false) $$;
SELECT stream.create_trigger('by-role', 'tm', 'public.by_role(stream.record[], text)',
							 maximum_retry_attempts => 0, starting_position => 'TRIM_HORIZON');
SELECT stream.create_trigger('by-deferred', 'tm', 'public.by_deferred(stream.record[], text)',
							 maximum_retry_attempts => 0, starting_position => 'TRIM_HORIZON');
SELECT stream.create_trigger('by-setting', 'tm', 'public.by_setting(stream.record[], text)',
							 starting_position => 'TRIM_HORIZON');
RESET ROLE;
SELECT put_keys('tm', ARRAY['m'], 1, 1);
});
ok( wait_until(
		$node, $db, q{
SELECT count(*) = 3 FROM stream.triggers
WHERE trigger_name IN ('by-role', 'by-deferred', 'by-setting') AND millis_behind_latest = 0
  AND records + failed_records + (last_error IS NOT NULL)::int >= 1}, 30),
	'the three triggers ran their batch');
is($node->safe_psql($db, q{SELECT rolsuper FROM pg_roles WHERE rolname = 'mallory'}), 'f',
	'none made its owner a superuser');
like($node->safe_psql($db, q{SELECT last_error FROM stream.triggers WHERE trigger_name = 'by-role'}),
	qr/cannot set parameter "role" within security-/, 'RESET ROLE was refused');
like($node->safe_psql($db, q{SELECT last_error FROM stream.triggers WHERE trigger_name = 'by-deferred'}),
	qr/deferred trigger within security-restricted operation/, 'and so was a deferred trigger');
# the setting a batch made read-only would stop every later batch's commit
$node->safe_psql($db, q{SELECT put_keys('tm', ARRAY['m'], 2, 3)});
ok( wait_until(
		$node, $db, q{SELECT records = 4 FROM stream.triggers WHERE trigger_name = 'by-setting'}, 30),
	'what a function SETs lasts for its batch only');

# ---- 7. the shard's read throughput ----------------------------------------
# A trigger reads within its shard's read quota, which it shares with the
# stream's other readers: 120 kB at 40 kB a second is throttled.
$node->safe_psql($db, q{ALTER SYSTEM SET stream.shard_read_bytes_per_second = '40kB'});
$node->reload;
$node->safe_psql(
	$db, q{
ALTER FUNCTION slowish(stream.record[], text) SET test.trigger_name = 'quota';
SELECT stream.create_stream('tr', 1);
SELECT count(*) FROM stream.put_records('tr', ARRAY(
	SELECT ROW(convert_to(repeat('r', 1000), 'UTF8'), 'k', NULL)::stream.put_records_request_entry
	FROM generate_series(1, 120)));
SELECT stream.create_trigger('quota', 'tr', 'slowish(stream.record[], text)', batch_size => 10,
							 starting_position => 'TRIM_HORIZON');
});
ok( wait_until(
		$node, $db, q{SELECT count(*) = 120 FROM applied WHERE trigger_name = 'quota'}, 60),
	'a trigger within its shard\'s read quota applies every record');
cmp_ok(
	$node->safe_psql(
		$db, q{
SELECT sum(sum) FROM stream.get_metric_statistics('tr', 'ReadProvisionedThroughputExceeded',
												  now() - interval '1 hour', now() + interval '1 minute')}),
	'>', 0, 'throttled on the way, as the metrics say');
$node->safe_psql($db, q{ALTER SYSTEM RESET stream.shard_read_bytes_per_second});
$node->reload;

$node->stop;
done_testing();
