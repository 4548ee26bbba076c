# Metrics across restarts (issue 16): a clean restart keeps every minute
# counted, the current one too (the postmaster writes shared memory to a file
# at shutdown and reads it back); a crash (kill -9) keeps every minute that
# the maintenance pass had moved to stream.metrics, and the table's minutes
# come through pg_dump.  Shard-level metrics (enhanced monitoring) as well.
#
# Records are put in bursts early in a minute, so that each burst falls in
# one minute, and the metrics are compared with the bursts' sizes.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;
use Time::HiRes qw(usleep time);

my $node = stream_node('metrics', conf => "stream.maintenance_interval = 200\n");
my $db = 'postgres';
$node->safe_psql($db, q{SELECT stream.create_stream('m', 2);
SELECT stream.create_application('lagging', 'm');
CREATE ROLE watcher;
CREATE ROLE outsider;
SELECT stream.grant('describe', 'm', 'watcher');
SELECT stream.enable_enhanced_monitoring('m', '{IncomingRecords}');});

# Waits for a second of the minute before 45, and puts n records with
# put_records of 10; returns the minute.
sub burst
{
	my ($n) = @_;
	usleep(500_000) while (localtime)[0] >= 45;
	return $node->safe_psql(
		$db, qq{
SELECT count(*) FROM generate_series(1, $n / 10) b,
	LATERAL stream.put_records('m', ARRAY(SELECT 'k' || i || '-' || b FROM generate_series(1, 10) i),
							   array_fill('\\x00'::bytea, ARRAY[10]));
SELECT date_trunc('minute', clock_timestamp())});
}

# IncomingRecords of a minute, as get_metric_statistics gives it
sub incoming
{
	my ($minute) = @_;
	return $node->safe_psql(
		$db, qq{
SELECT coalesce(sum(sum), 0) FROM stream.get_metric_statistics('m', 'IncomingRecords',
	'$minute'::timestamptz, '$minute'::timestamptz + interval '1 minute')});
}

# The same, the sum of the two shards' IncomingRecords
sub incoming_shards
{
	my ($minute) = @_;
	return $node->safe_psql(
		$db, qq{
SELECT coalesce(sum(g.sum), 0) FROM (VALUES ('shardId-000000000000'), ('shardId-000000000001')) v(s),
	LATERAL stream.get_metric_statistics('m', 'IncomingRecords', '$minute'::timestamptz,
		'$minute'::timestamptz + interval '1 minute', shard_id => v.s) g});
}

my (undef, $m1) = split /\n/, burst(300);
is(incoming($m1), '300', 'the metrics count the records put');
is(incoming_shards($m1), '300', '... and so do the shards\' metrics, together');
$node->restart;
is(incoming($m1), '300', 'a clean restart keeps them, though the minute was not over');
is(incoming_shards($m1), '300', '... the shards\' too');

# The maintenance pass moves the minute to the table once it is over.
ok( wait_until(
		$node, $db,
		qq{SELECT EXISTS (SELECT FROM stream.metrics WHERE metric = 'IncomingRecords'
						  AND minute = '$m1'::timestamptz)}, 150),
	'the maintenance pass stores the minute when it is over');
is( $node->safe_psql(
		$db, qq{SELECT sum FROM stream.metrics WHERE metric = 'IncomingRecords' AND minute = '$m1'
			AND shard_no = -1}),
	'300', '... with its sum');

# stream.stream_stats shows the last whole minute: the burst's
my $bytes = $node->safe_psql($db,
	q{SELECT sum(octet_length(partition_key) + octet_length(data)) FROM stream.read('m')});
is( $node->safe_psql(
		$db, qq{SET ROLE watcher;
SELECT minute = '$m1', incoming_records, incoming_bytes, write_throttled,
	   (application_lag->>'lagging')::bigint > 0
FROM stream.stream_stats WHERE stream_name = 'm'}),
	"t|300|$bytes|0|t",
	'stream_stats: the last minute\'s records and bytes in, no throttle, and the application that read nothing lags');
is($node->safe_psql($db, q{SET ROLE outsider; SELECT count(*) FROM stream.stream_stats}),
	'0', '... and a role that may not describe the stream does not see it');

# A crash loses at most what was not stored.
my (undef, $m2) = split /\n/, burst(200);
isnt($m2, $m1, 'a second burst in a later minute');
crash_node($node);
$node->start;
is(incoming($m1), '300', 'after a crash, the stored minute is all there');
is(incoming_shards($m1), '300', '... the shards\' too');
cmp_ok(incoming($m2), '<=', 200, '... and the minute in progress has at most what was put in it');

# The stored minutes come through pg_dump.
my $tmp = PostgreSQL::Test::Utils::tempdir;
$node->command_ok([ 'pg_dump', '-Fc', '-f', "$tmp/m.dump", '-d', $db ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '-d', 'restored', "$tmp/m.dump" ], 'pg_restore');
is( $node->safe_psql(
		'restored', qq{SELECT sum FROM stream.metrics WHERE metric = 'IncomingRecords' AND minute = '$m1'
			AND shard_no = -1}),
	'300', 'the restored database has the stored minutes');
is( $node->safe_psql(
		'restored', qq{SELECT sum(sum) FROM stream.metrics WHERE metric = 'IncomingRecords' AND minute = '$m1'
			AND shard_no >= 0}),
	'300', '... the shards\' too');

$node->stop;
done_testing();
