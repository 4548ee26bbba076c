# Consumer applications, exactly once under faults (issue 15).
#
# Three workers of one application run, each in a loop,
#   BEGIN; INSERT INTO processed SELECT ... FROM stream.consume(...); COMMIT
# while three producers write counters per key (StreamLoad.pm: put_record,
# put_records batches, and transactions of which every seventh rolls back)
# and a resharding session splits a shard, then merges two.  Meanwhile:
#  - worker w3 is killed with pg_terminate_backend, in the middle of a
#    transaction (it spends 50 ms "processing" between consume and commit);
#  - worker w2, at its 25th call, blocks for 3 lease durations inside its
#    transaction before it commits, and then goes on.
# Then:
#  - every committed record is in "processed" exactly once, with its shard,
#    sequence number and key, and nothing else is;
#  - each key's counters were processed in order (by the order of the rows'
#    ids, which follows the commits: a child shard is read only after the
#    transaction that read its parent to its end committed);
#  - the killed worker's shards and the blocked one's were taken over, and
#    every shard of the application ends checkpointed, with no lag;
#  - a steady loop of 3,000 consume calls, each its own transaction, leaves
#    stream.leases the size it was (its updates are HOT).

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamLoad;
use StreamTest;
use Test::More;
use Time::HiRes qw(usleep time);

my $run_secs = 10;    # producers write for this long
my $lease = 1;        # seconds

my $started = time();
my $node = stream_node('applications', conf => "max_connections = 30\n");
my $db = 'postgres';
$node->safe_psql($db, q{SELECT stream.create_stream('ea', 2)});
setup_stream_load($node, $db, 'ea',
	# 16 keys: each shard the split and the merge make gets some (with 12, the
	# upper child of the split got none, and a worker holding it read nothing)
	"SELECT 'key-' || lpad(i::text, 2, '0'), 1 + (i - 1) % 3 FROM generate_series(1, 16) i",
	consumers => 0);

$node->safe_psql(
	$db, qq{
SELECT stream.create_application('ea-app', 'ea', lease_duration => '$lease seconds');

-- What the workers processed, in the transaction of the consume that
-- returned it.
CREATE TABLE processed (id bigserial PRIMARY KEY, worker text, shard_id text,
						sequence_number numeric, partition_key text, counter int,
						at timestamptz DEFAULT clock_timestamp());
CREATE TABLE worker_log (worker text, pid int, what text, at timestamptz DEFAULT clock_timestamp());

-- A worker: consume, "process" (insert), commit, until every acknowledged
-- record is processed after the producers and reshards are done, or a
-- minute is over.  At call stall_at it blocks for stall seconds inside its
-- transaction; each call sleeps "work" seconds before its commit.
CREATE PROCEDURE work(w text, stall_at int, stall float8, work float8)
	LANGUAGE plpgsql AS \$\$
DECLARE
	calls int := 0;
	deadline timestamptz := clock_timestamp() + interval '60 seconds';
BEGIN
	INSERT INTO worker_log (worker, pid, what) VALUES (w, pg_backend_pid(), 'started');
	COMMIT;
	LOOP
		INSERT INTO processed (worker, shard_id, sequence_number, partition_key, counter)
			SELECT w, c.shard_id, c.sequence_number, c.partition_key,
				   split_part(convert_from(c.data, 'UTF8'), ':', 2)::int
			FROM stream.consume('ea-app', w, 100, '200 ms') c;
		calls := calls + 1;
		IF calls = stall_at THEN
			INSERT INTO worker_log (worker, pid, what) VALUES (w, pg_backend_pid(), 'stall');
			PERFORM pg_sleep(stall);
		END IF;
		PERFORM pg_sleep(work);
		COMMIT;
		EXIT WHEN clock_timestamp() > deadline
			OR ((SELECT producers_done AND reshard_done FROM control)
				AND (SELECT count(*) FROM processed) >= (SELECT count(*) FROM acked));
	END LOOP;
	INSERT INTO worker_log (worker, pid, what) VALUES (w, pg_backend_pid(), 'done');
END
\$\$;

CREATE PROCEDURE reshard() LANGUAGE plpgsql AS \$\$
DECLARE
	s record;
	a record;
	b record;
BEGIN
	PERFORM pg_sleep(2.5);
	SELECT * INTO s FROM stream.list_shards('ea', 'AT_LATEST') ORDER BY starting_hash_key DESC LIMIT 1;
	PERFORM stream.split_shard('ea', s.shard_id,
							   s.starting_hash_key + div(s.ending_hash_key - s.starting_hash_key + 1, 2));
	COMMIT;
	PERFORM pg_sleep(2.5);
	SELECT * INTO a FROM stream.list_shards('ea', 'AT_LATEST') ORDER BY starting_hash_key LIMIT 1;
	SELECT * INTO b FROM stream.list_shards('ea', 'AT_LATEST') ORDER BY starting_hash_key OFFSET 1 LIMIT 1;
	PERFORM stream.merge_shards('ea', a.shard_id, b.shard_id);
	COMMIT;
END
\$\$;
});

my $stall = 3 * $lease;
my %workers = (
	w1 => start_session($node, $db, "CALL work('w1', NULL, 0, 0.005)"),
	w2 => start_session($node, $db, "CALL work('w2', 25, $stall, 0.005)"),
	w3 => start_session($node, $db, "CALL work('w3', NULL, 0, 0.05)"));
usleep(300_000);
my @producers = (
	start_session($node, $db, "CALL produce(1, 'single', $run_secs)"),
	start_session($node, $db, "CALL produce(2, 'batch', $run_secs)"),
	start_session($node, $db, "CALL produce(3, 'txn', $run_secs)"));
my $resharder = start_session($node, $db, 'CALL reshard()');

# w3 is killed once it has processed records
ok( wait_until($node, $db, q{SELECT count(*) > 50 FROM processed WHERE worker = 'w3'}, 30),
	'w3 processes records')
  or diag $node->safe_psql($db, q{SELECT * FROM stream.leases('ea-app');
								  SELECT * FROM stream.lease_workers;
								  SELECT worker, count(*) FROM processed GROUP BY 1});
is( $node->safe_psql(
		$db, q{SELECT pg_terminate_backend(pid) FROM worker_log WHERE worker = 'w3' AND what = 'started'}),
	't', 'w3 is terminated');
$workers{w3}{h}->finish;
like(${ $workers{w3}{err} }, qr/terminating connection due to administrator command/,
	'... in the middle of its work');

finish_session($resharder, 'the resharding session');
$node->safe_psql($db, 'UPDATE control SET reshard_done = true');
finish_session($producers[$_ - 1], "producer $_") for 1 .. 3;
$node->safe_psql($db, 'UPDATE control SET producers_done = true');
finish_session($workers{$_}, "worker $_") for qw(w1 w2);

# ---------------------------------------------------------------------------
# What happened

check_committed($node, $db);
cmp_ok($node->safe_psql($db, 'SELECT count(*) FROM acked'), '>=', 1000,
	'the producers committed at least 1,000 records');
is($node->safe_psql($db, q{SELECT count(*) FROM stream.list_shards('ea') WHERE ending_sequence_number IS NOT NULL}),
	'3', 'a shard was split and two were merged');
is( $node->safe_psql(
		$db, q{SELECT string_agg(DISTINCT worker || ' ' || what, ', ') FROM worker_log
			   WHERE what IN ('stall', 'done')}),
	'w1 done, w2 done, w2 stall', 'w2 blocked in its transaction, and both survivors finished');
cmp_ok(
	$node->safe_psql(
		$db, qq{SELECT count(*) FROM processed p, worker_log l
				WHERE l.worker = 'w2' AND l.what = 'stall' AND p.worker = 'w1'
				  AND p.at BETWEEN l.at AND l.at + interval '$stall seconds'}),
	'>', 0, 'w1 processed records while w2 was blocked');

# ---------------------------------------------------------------------------
# Exactly once, in order

is( $node->safe_psql(
		$db, q{SELECT count(*) || ' ' || count(DISTINCT sequence_number) FROM processed}),
	$node->safe_psql($db, q{SELECT count(*) || ' ' || count(*) FROM acked}),
	'every record was processed once: as many rows as committed records, none twice');
is( $node->safe_psql(
		$db, q{SELECT count(*) FROM acked a FULL JOIN processed p USING (sequence_number)
			   WHERE a.sequence_number IS NULL OR p.sequence_number IS NULL
				  OR (a.shard_id, a.partition_key, a.counter)
					 IS DISTINCT FROM (p.shard_id, p.partition_key, p.counter)}),
	'0', '... each committed record, with its shard, key and counter, and nothing else');
is( $node->safe_psql(
		$db, q{SELECT string_agg(partition_key || ' ' || counter || ' after ' || prev, ', ')
			   FROM (SELECT partition_key, counter,
							lag(counter, 1, 0) OVER (PARTITION BY partition_key ORDER BY id) AS prev
					 FROM processed) x
			   WHERE counter <> prev + 1}),
	'', "each key's counters were processed in order, 1, 2, 3, ...");
is( $node->safe_psql(
		$db, q{SELECT string_agg(DISTINCT worker, ',' ORDER BY worker) FROM processed}),
	'w1,w2,w3', 'all three workers processed records');
is( $node->safe_psql(
		$db, q{SELECT count(*) FROM stream.leases('ea-app') l
			   WHERE millis_behind_latest <> 0
				  OR (shard_end_reached IS DISTINCT FROM
					  (SELECT ending_sequence_number IS NOT NULL FROM stream.list_shards('ea') s
					   WHERE s.shard_id = l.shard_id))}),
	'0', 'every shard ends with nothing left to process, the closed ones read to their end')
  or diag $node->safe_psql($db, q{SELECT * FROM stream.leases('ea-app') l});

# ---------------------------------------------------------------------------
# No bloat: a steady loop of committed consume calls updates the lease rows
# in place.

$node->safe_psql(
	$db, q{
CREATE PROCEDURE steady(n int) LANGUAGE plpgsql AS $$
BEGIN
	FOR i IN 1 .. n LOOP
		PERFORM count(*) FROM stream.consume('ea-app', 'w1', 10);
		COMMIT;
	END LOOP;
END
$$;
CALL steady(10);
VACUUM stream.leases;
});
my $size_before = $node->safe_psql($db, q{SELECT pg_relation_size('stream.leases')});
my $updates_before = $node->safe_psql($db,
	q{SELECT n_tup_upd || ' ' || n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'stream.leases'::regclass});
$node->safe_psql($db, 'CALL steady(3000); SELECT pg_stat_force_next_flush()');
is($node->safe_psql($db, q{SELECT pg_relation_size('stream.leases')}), $size_before,
	'3,000 consume calls leave stream.leases the size it was');
# (a session's counts reach the statistics when it ends)
my ($upd0, $hot0) = split / /, $updates_before;
my ($upd1, $hot1) = split / /,
  $node->safe_psql($db,
	q{SELECT n_tup_upd || ' ' || n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'stream.leases'::regclass});
cmp_ok($upd1 - $upd0, '>=', 3000, 'they updated the lease rows ' . ($upd1 - $upd0) . ' times');
cmp_ok(($hot1 - $hot0) / ($upd1 - $upd0), '>=', 0.99, '... all but a few of them HOT updates');

$node->stop;
note sprintf('the test took %.1f s', time() - $started);
done_testing();
