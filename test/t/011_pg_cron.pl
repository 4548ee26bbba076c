# pg_cron as the alternative to the maintenance worker (issue 3, part 3).
#
# With shared_preload_libraries = 'stream,pg_cron', cron.database_name set to
# the test database and stream.maintenance_worker = off:
#  - no maintenance worker runs;
#  - stream.schedule_maintenance('1 second') returns the id of a pg_cron job,
#    and pg_cron runs the passes (pg_cron 1.4 starts jobs on the minute, so
#    the test waits for the next one): a new stream's shard gets the spare
#    segment a pass creates, within seconds, more than once a minute;
#  - scheduling again replaces the job; unschedule_maintenance removes it;
#  - intervals cron cannot express are refused with 22023.
# Without pg_cron, schedule_maintenance fails with SQLSTATE 55000 and a hint
# that names pg_cron; from a database other than cron.database_name, with a
# hint giving the call to run there.
#
# Takes up to about 80 s: the first run of a pg_cron 1.4 job waits for the
# next minute.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;

# Until stream.schedule_maintenance is part of the extension script, a
# developer can point STREAM_SCHEDULE_SQL at sql/schedule_maintenance.sql.
sub install_schedule_functions
{
	my ($node, $db) = @_;
	return
	  if $node->safe_psql($db,
		"SELECT to_regprocedure('stream.schedule_maintenance(interval)') IS NOT NULL"
	  ) eq 't';
	my $file = $ENV{STREAM_SCHEDULE_SQL};
	BAIL_OUT('stream.schedule_maintenance is not in the extension script')
	  unless defined $file && -f $file;
	$node->safe_psql($db, slurp_file($file));
	return;
}

# ---------------------------------------------------------------------------
# Without pg_cron: a clear error.

my $plain = stream_node('no_cron');
install_schedule_functions($plain, 'postgres');
my ($ret, $out, $err) = $plain->psql(
	'postgres', 'SELECT stream.schedule_maintenance()',
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
isnt($ret, 0, 'schedule_maintenance fails without pg_cron');
like($err, qr/ERROR:  55000: pg_cron is not installed/,
	'the error is object_not_in_prerequisite_state and names pg_cron');
like($err, qr/HINT:  Add pg_cron to shared_preload_libraries.*CREATE EXTENSION pg_cron/,
	'the hint says how to install pg_cron');
is($plain->safe_psql('postgres', 'SELECT stream.unschedule_maintenance()'),
	'f', 'unschedule_maintenance without pg_cron has nothing to remove');
$plain->stop;

# ---------------------------------------------------------------------------
# With pg_cron and the worker off.

my $node = stream_node('cron', extension => 0);
$node->safe_psql('postgres', 'CREATE DATABASE streamdb');
$node->safe_psql('postgres', 'CREATE DATABASE otherdb');
$node->stop;
my $host = $node->host;
$node->append_conf(
	'postgresql.conf', qq{
shared_preload_libraries = 'stream,pg_cron'
cron.database_name = 'streamdb'
cron.host = '$host'
stream.maintenance_worker = off
});
$node->start;

$node->safe_psql('streamdb', 'CREATE EXTENSION stream');
$node->safe_psql('streamdb', 'CREATE EXTENSION pg_cron');
install_schedule_functions($node, 'streamdb');

is( $node->safe_psql(
		'postgres', q{
		SELECT count(*) FROM pg_stat_activity
		WHERE backend_type = 'stream maintenance worker'}),
	'0',
	'stream.maintenance_worker = off: no maintenance worker runs');

# Without a pass, a new stream's shard has only its first segment.
$node->safe_psql('streamdb', "SELECT stream.create_stream('c0', 1)");
sleep(2);
is( $node->safe_psql(
		'streamdb', q{
		SELECT count(*) FROM stream.segments JOIN stream.streams USING (stream_id)
		WHERE stream_name = 'c0'}),
	'1',
	'without the worker and before pg_cron runs, no pass happens');

my $job = $node->safe_psql('streamdb', "SELECT stream.schedule_maintenance('1 second')");
like($job, qr/^\d+$/, 'schedule_maintenance returns a job id');
is( $node->safe_psql(
		'streamdb', qq{
		SELECT jobname || ' ' || database FROM cron.job WHERE jobid = $job}),
	'stream-maintenance streamdb',
	'the job is the named pg_cron job of this database');

my $again = $node->safe_psql('streamdb', "SELECT stream.schedule_maintenance('1 second')");
is($node->safe_psql('streamdb', q{SELECT count(*) FROM cron.job WHERE jobname = 'stream-maintenance'}),
	'1', 'scheduling again replaces the job');
is($node->safe_psql('streamdb', "SELECT count(*) FROM cron.job WHERE jobid = $again"),
	'1', 'and returns the id of the job that is there');

# pg_cron 1.4 starts the job on the next minute.
ok( wait_until(
		$node, 'streamdb', qq{
		SELECT count(*) > 0 FROM cron.job_run_details WHERE jobid = $again},
		75),
	'pg_cron starts the job');
ok( wait_until(
		$node, 'streamdb', q{
		SELECT count(*) >= 2 FROM stream.segments JOIN stream.streams USING (stream_id)
		WHERE stream_name = 'c0'}, 10),
	'pg_cron runs the pass: the shard gets its spare segment');

# Passes go on every second within the minute, not once a minute.
$node->safe_psql('streamdb', "SELECT stream.create_stream('c1', 1)");
ok( wait_until(
		$node, 'streamdb', q{
		SELECT count(*) >= 2 FROM stream.segments JOIN stream.streams USING (stream_id)
		WHERE stream_name = 'c1'}, 5),
	'a stream created while the job runs gets its spare segment within seconds');
is( $node->safe_psql(
		'streamdb', qq{
		SELECT count(*) FROM cron.job_run_details
		WHERE jobid = $again AND status = 'failed'}),
	'0',
	'no run of the job failed');

# Intervals cron cannot express.
($ret, $out, $err) = $node->psql(
	'streamdb', "SELECT stream.schedule_maintenance('7 minutes')",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  22023: pg_cron cannot run maintenance every/,
	'an interval cron cannot express is refused with 22023');
is( $node->safe_psql('streamdb', "SELECT count(*) FROM cron.job WHERE jobid = $again"),
	'1', 'and the job stays as it was');

# From another database: a clear error with the call to run instead.
$node->safe_psql('otherdb', 'CREATE EXTENSION stream');
install_schedule_functions($node, 'otherdb');
($ret, $out, $err) = $node->psql(
	'otherdb', "SELECT stream.schedule_maintenance('1 second')",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  55000: pg_cron runs its jobs from database "streamdb", not "otherdb"/,
	'from another database: the error names the cron database');
like($err, qr/HINT:  In database streamdb, run: SELECT cron\.schedule_in_database\(/,
	'and the hint gives the call to run there');

is($node->safe_psql('streamdb', 'SELECT stream.unschedule_maintenance()'),
	't', 'unschedule_maintenance removes the job');
is($node->safe_psql('streamdb', q{SELECT count(*) FROM cron.job WHERE jobname = 'stream-maintenance'}),
	'0', 'no job is left');
is($node->safe_psql('streamdb', 'SELECT stream.unschedule_maintenance()'),
	'f', 'a second unschedule_maintenance has nothing to remove');

$node->stop;
done_testing();
