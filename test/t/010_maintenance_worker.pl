# The maintenance background worker (issue 3, part 2).
#
# A launcher finds the databases with the extension by itself and runs
# stream.run_maintenance() in each every stream.maintenance_interval:
#  - after a restart it runs in the two databases that have the extension,
#    and keeps no worker in one that does not;
#  - a database that gets the extension later gets maintenance at once;
#  - a pass has the effect of stream.run_maintenance (a new stream's shard
#    gets the spare segment the pass creates ahead of writers);
#  - a failing pass logs one line, not one per pass, and its recovery once;
#  - kill -9 of a worker makes the postmaster restart, and maintenance
#    resumes by itself;
#  - a reload changes the pace, and stream.maintenance_worker = off stops it
#    until it is turned on again;
#  - DROP DATABASE, CREATE DATABASE ... TEMPLATE, ALTER DATABASE ... RENAME
#    and DROP EXTENSION are not blocked by the worker.
#
# A pass is seen by its DEBUG1 line "stream maintenance pass in database
# "x" done", which the worker logs once CALL stream.run_maintenance() has
# committed.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;
use Time::HiRes qw(time usleep);

my $node = stream_node(
	'worker',
	extension => 0,
	conf => q{
stream.maintenance_interval = '500ms'
log_min_messages = debug1
# PostgreSQL::Test::Cluster turns it off; the crash test needs it.
restart_after_crash = on
});

foreach my $db (qw(db1 db2 db_none))
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
}
$node->safe_psql($_, 'CREATE EXTENSION stream') foreach qw(db1 db2);
$node->restart;

# The pid of the worker in a database, or '' if none.
sub worker_pid
{
	my ($db) = @_;
	return $node->safe_psql(
		'postgres', qq{
		SELECT pid FROM pg_stat_activity
		WHERE backend_type = 'stream maintenance worker' AND datname = '$db'});
}

# The number of passes logged in a database since a log position.
sub passes_since
{
	my ($db, $offset) = @_;
	my $log = slurp_file($node->logfile, $offset);
	my $n = () = $log =~ /stream maintenance pass in database "\Q$db\E" done/g;
	return $n;
}

# Waits until a pass in a database is logged after a log position; returns
# how long it took, or undef after $timeout seconds.
sub wait_for_pass
{
	my ($db, $offset, $timeout) = @_;
	my $start = time();
	while (time() - $start < $timeout)
	{
		return time() - $start if passes_since($db, $offset) > 0;
		usleep(50_000);
	}
	return undef;
}

# ---------------------------------------------------------------------------
# Starts by itself in the databases that have the extension.

my $offset = 0;
ok(defined wait_for_pass('db1', $offset, 10), 'a pass runs in db1 after the start');
ok(defined wait_for_pass('db2', $offset, 10), 'a pass runs in db2 after the start');
isnt(worker_pid('db1'), '', 'db1 has a worker');
isnt(worker_pid('db2'), '', 'db2 has a worker');
is( $node->safe_psql(
		'postgres', q{
		SELECT count(*) FROM pg_stat_activity
		WHERE backend_type = 'stream maintenance launcher' AND datname IS NULL}),
	'1',
	'one launcher runs, connected to no database');
ok( wait_until(
		$node, 'postgres', q{
		SELECT count(*) = 0 FROM pg_stat_activity
		WHERE backend_type = 'stream maintenance worker' AND datname = 'db_none'},
		10),
	'no worker stays in a database without the extension');
is(passes_since('db_none', 0), 0, 'no pass runs in a database without the extension');
like(
	$node->safe_psql(
		'postgres', q{
		SELECT query FROM pg_stat_activity
		WHERE backend_type = 'stream maintenance worker' AND datname = 'db1'}),
	qr/^CALL stream\.run_maintenance\(\)$/,
	'pg_stat_activity shows what the worker runs');

# The pass is the real one: it makes a spare segment for a new stream's shard.
$node->safe_psql('db1', "SELECT stream.create_stream('w1', 1)");
ok( wait_until(
		$node, 'db1', q{
		SELECT count(*) >= 2 FROM stream.segments JOIN stream.streams USING (stream_id)
		WHERE stream_name = 'w1'}, 10),
	'the worker runs stream.run_maintenance(): a new shard gets its spare segment');

# ---------------------------------------------------------------------------
# A database that gets the extension later gets maintenance within an
# interval or two.

$node->safe_psql('postgres', 'CREATE DATABASE db3');
$offset = -s $node->logfile;
$node->safe_psql('db3', 'CREATE EXTENSION stream');
my $took = wait_for_pass('db3', $offset, 10);
ok(defined $took, 'a database that gets the extension later gets maintenance');
cmp_ok($took // 99, '<', 1.5, 'within a couple of intervals');

# ---------------------------------------------------------------------------
# A failing pass logs one line, however often it fails, and recovery once.

$node->safe_psql(
	'db3', q{
	SET stream.ddl_guard = off;    -- to replace the extension's procedure
	CREATE OR REPLACE PROCEDURE stream.run_maintenance() LANGUAGE plpgsql AS $$
	BEGIN
		RAISE EXCEPTION 'maintenance test failure';
	END
	$$});
$offset = -s $node->logfile;
sleep(3);    # about six failing passes
my $log = slurp_file($node->logfile, $offset);
my $failures = () =
  $log =~ /stream maintenance in database "db3" failed: maintenance test failure/g;
is($failures, 1, 'a failure repeated on every pass is logged once');
$node->safe_psql(
	'db3', q{
	SET stream.ddl_guard = off;    -- to replace the extension's procedure
	CREATE OR REPLACE PROCEDURE stream.run_maintenance() LANGUAGE plpgsql AS $$
	BEGIN
	END
	$$});
ok( $node->wait_for_log(
		qr/stream maintenance in database "db3" succeeded again/, $offset),
	'recovery is logged');

# ---------------------------------------------------------------------------
# kill -9 of the worker only: the postmaster restarts every process, and
# maintenance resumes by itself.

my $victim = worker_pid('db1');
$offset = -s $node->logfile;
kill 'KILL', $victim;
ok( $node->wait_for_log(
		qr/all server processes terminated; reinitializing/, $offset),
	'kill -9 of the worker makes the postmaster restart');
my $restarted = -s $node->logfile;
ok($node->wait_for_log(qr/database system is ready to accept connections/, $offset),
	'the server comes back');
ok(defined wait_for_pass('db1', $restarted, 15), 'maintenance resumes in db1 after the crash');
ok(defined wait_for_pass('db2', $restarted, 15), 'maintenance resumes in db2 after the crash');
isnt(worker_pid('db1'), $victim, 'db1 has a new worker');
$node->safe_psql('db1', "SELECT stream.create_stream('w2', 1)");
ok( wait_until(
		$node, 'db1', q{
		SELECT count(*) >= 2 FROM stream.segments JOIN stream.streams USING (stream_id)
		WHERE stream_name = 'w2'}, 10),
	'the passes after the crash do their work');

# ---------------------------------------------------------------------------
# SIGHUP: a new interval changes the pace; maintenance_worker = off stops it.

$node->safe_psql('postgres',
	"ALTER SYSTEM SET stream.maintenance_interval = '100ms'");
$node->reload;
sleep(1);
$offset = -s $node->logfile;
sleep(2);
my $fast = passes_since('db1', $offset);
cmp_ok($fast, '>=', 10, "100ms interval after reload: $fast passes in 2 s");

$node->safe_psql('postgres',
	"ALTER SYSTEM SET stream.maintenance_interval = '2s'");
$node->reload;
sleep(1);
$offset = -s $node->logfile;
sleep(4);
my $slow = passes_since('db1', $offset);
cmp_ok($slow, '<=', 3, "2s interval after reload: $slow passes in 4 s");
cmp_ok($slow, '>=', 1, 'still passes at the slower pace');

$node->safe_psql('postgres', 'ALTER SYSTEM SET stream.maintenance_worker = off');
$node->safe_psql('postgres', 'ALTER SYSTEM RESET stream.maintenance_interval');
$node->reload;
ok( wait_until(
		$node, 'postgres', q{
		SELECT count(*) = 0 FROM pg_stat_activity
		WHERE backend_type = 'stream maintenance worker'}, 10),
	'maintenance_worker = off: the workers exit');
$offset = -s $node->logfile;
sleep(2);
is(passes_since('db1', $offset), 0, 'maintenance_worker = off: no pass runs');

$node->safe_psql('postgres', 'ALTER SYSTEM RESET stream.maintenance_worker');
$offset = -s $node->logfile;
$node->reload;
ok(defined wait_for_pass('db1', $offset, 5), 'maintenance_worker = on again: passes resume');

# ---------------------------------------------------------------------------
# Statements that need a database without other connections are not blocked.

ok(defined wait_for_pass('db2', $offset, 5), 'db2 has a running worker');
isnt(worker_pid('db2'), '', 'db2 has a worker connected');
my $t0 = time();
my ($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE db2');
is($ret, 0, 'DROP DATABASE of a database with the extension succeeds');
is($err, '', 'DROP DATABASE reports no error');
cmp_ok(time() - $t0, '<', 3, 'DROP DATABASE does not wait for the worker');

isnt(worker_pid('db1'), '', 'db1 has a worker connected');
($ret, $out, $err) = $node->psql('postgres', 'CREATE DATABASE db1_copy TEMPLATE db1');
is($ret, 0, 'CREATE DATABASE ... TEMPLATE a database with the extension succeeds');
is($err, '', 'CREATE DATABASE ... TEMPLATE reports no error');

$offset = -s $node->logfile;
ok(defined wait_for_pass('db1_copy', $offset, 5), 'the copy gets maintenance');
($ret, $out, $err) = $node->psql('postgres', 'ALTER DATABASE db1_copy RENAME TO db1_renamed');
is($ret, 0, 'ALTER DATABASE ... RENAME of a database with the extension succeeds');
is($err, '', 'ALTER DATABASE ... RENAME reports no error');

$t0 = time();
($ret, $out, $err) = $node->psql('db3', 'DROP EXTENSION stream CASCADE');
is($ret, 0, 'DROP EXTENSION stream succeeds');
cmp_ok(time() - $t0, '<', 3, 'DROP EXTENSION does not wait for the worker');
ok( wait_until(
		$node, 'postgres', q{
		SELECT count(*) = 0 FROM pg_stat_activity
		WHERE backend_type = 'stream maintenance worker' AND datname = 'db3'}, 5),
	'no worker stays after DROP EXTENSION');
($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE db1_renamed');
is($ret, 0, 'DROP DATABASE of the renamed copy succeeds');

# The launcher and db1's worker are still there.
$offset = -s $node->logfile;
ok(defined wait_for_pass('db1', $offset, 5), 'db1 still gets maintenance');

$node->stop;
done_testing();
