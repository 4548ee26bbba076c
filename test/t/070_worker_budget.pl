# The worker budget (stream.max_workers): all the extension's background
# workers of the cluster, its launcher included, fit in it, whatever the
# number of databases.  Twelve databases with the extension and
# stream.max_workers = 3 (the launcher and two maintenance workers), in a
# cluster of max_worker_processes = 8:
#  - never more than two maintenance workers run at once;
#  - every database gets its first pass, and then a pass again and again,
#    within the bound README gives: ceil(12 / 2) intervals, plus the time a
#    worker takes to start;
#  - parallel query still gets the workers it plans.
#
# A pass is seen by its DEBUG1 line "stream maintenance pass in database
# "x" done", with the log line's time.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;
use Time::HiRes qw(time usleep);

my $ndb = 12;
my $node = stream_node(
	'budget',
	extension => 0,
	conf => q{
max_worker_processes = 8
max_parallel_workers = 4
stream.max_workers = 3
stream.maintenance_interval = '200ms'
log_min_messages = debug1
log_line_prefix = '%m [%p] '
});

my @dbs = map { "budget$_" } 1 .. $ndb;
foreach my $db (@dbs)
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, q{
CREATE EXTENSION stream;
SELECT stream.create_stream('s', 1);});
}

# The first pass of each database makes the segment ready after the first.
my $start = time();
my @late;
my $max_workers_seen = 0;
foreach my $db (@dbs)
{
	my $ready = 0;
	while (time() - $start < 60)
	{
		my $workers = $node->safe_psql('postgres',
			q{SELECT count(*) FROM pg_stat_activity
			  WHERE backend_type = 'stream maintenance worker'});
		$max_workers_seen = $workers if $workers > $max_workers_seen;
		if ($node->safe_psql($db, 'SELECT count(*) FROM stream.segments') eq '2')
		{
			$ready = 1;
			last;
		}
		usleep(20_000);
	}
	push @late, $db unless $ready;
}
is("@late", '', "every one of the $ndb databases had its first pass");
note sprintf('all had their first pass within %.1f s', time() - $start);

# Passes go on in every database, in turns: watch them for a while.
my $log_start = -s $node->logfile;
my $watch_start = time();
while (time() - $watch_start < 8)
{
	my $workers = $node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_stat_activity
		  WHERE backend_type = 'stream maintenance worker'});
	$max_workers_seen = $workers if $workers > $max_workers_seen;
	usleep(20_000);
}
cmp_ok($max_workers_seen, '<=', 2,
	'never more than stream.max_workers - 1 maintenance workers at once');

my $log = substr(slurp_file($node->logfile), $log_start);
my %passes;
while ($log =~ /^(\d+-\d+-\d+ (\d+):(\d+):([\d.]+)) UTC \[\d+\] DEBUG:  stream maintenance pass in database "(\w+)" done$/mg)
{
	push @{ $passes{$5} }, $2 * 3600 + $3 * 60 + $4;
}
my ($fewest, $longest_gap) = (undef, 0);
foreach my $db (@dbs)
{
	my @t = @{ $passes{$db} // [] };
	$fewest = scalar(@t) if !defined $fewest || @t < $fewest;
	for (my $i = 1; $i < @t; $i++)
	{
		$longest_gap = $t[$i] - $t[ $i - 1 ] if $t[$i] - $t[ $i - 1 ] > $longest_gap;
	}
}
note "in 8 s: at least $fewest passes in every database; longest gap $longest_gap s";
cmp_ok($fewest, '>=', 3, 'every database kept having passes');
# ceil(12 / 2) = 6 intervals of 0.2 s; a worker starts in a few ms, and the
# log's clock and the test machine get 2 s of slack.
cmp_ok($longest_gap, '<', 6 * 0.2 + 2,
	'no database waited much more than ceil(12 / 2) intervals for its pass');

# Parallel query gets its workers beside the extension's.
$node->safe_psql('postgres', 'CREATE TABLE big AS SELECT g FROM generate_series(1, 300000) g');
my $plan = $node->safe_psql('postgres', q{
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM big;});
like($plan, qr/Workers Planned: 2/, 'parallel query plans two workers');
like($plan, qr/Workers Launched: 2/, '... and gets both');

$node->stop;
done_testing();
