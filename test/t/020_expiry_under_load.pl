# Expiry under load (issue 3): producers and consumers run while maintenance
# passes drop expired segments.
#
# A stream of two shards keeps records for 4 seconds, with segments of 128 kB
# (and so also sealed by age, at retention / 20 = 200 ms).  For about 25
# seconds three producers (StreamLoad.pm's produce, with its pauses off, so
# flat out) write to 30 partition keys, each producer owning 10, each
# record's data being "key:counter:" padded to 50 to 999 bytes, a size that
# depends on the key and the counter, so that segments fill and expire in
# bulk:
#   producer 1  put_record in autocommit;
#   producer 2  put_records batches of 1 to 30 records (both forms), several
#               records of the same key in a batch;
#   producer 3  transactions of 2 to 5 put_record calls, every seventh rolled
#               back (its counters with it, which are written again).
# Two consumers (StreamLoad.pm's consume) read every shard from TRIM_HORIZON
# with get_records in a loop, 1,000 records a call, following
# next_shard_iterator, and a third session calls stream.run_maintenance()
# every 200 ms (the background worker, if there is one, may run passes too:
# they skip each other).
#
# Each producer records what it was acknowledged in a table, in the same
# transaction as the write, so that the table holds exactly the committed
# records; each consumer stores what it read, with the time of the read.
# Then:
#  - no producer, consumer or maintenance session failed (a put_records
#    record that fails fails its producer);
#  - each key's committed counters are 1 .. n;
#  - each consumer saw strictly increasing sequence numbers in each shard,
#    never the same record twice, and only committed records, each with the
#    shard, sequence number, key and data it was written with -- so nothing
#    of a rolled-back transaction, although its key:counter was committed
#    later: that record has another sequence number (or, were it the same,
#    it would have to be the committed one to the byte) -- and each key's
#    counters in order 1, 2, 3, ...;
#  - every committed record was read by every consumer, unless it had expired
#    (it was older than the retention period) when the consumer read past it;
#    and since the consumers keep up, every committed record was read;
#  - right after the producers stop, every record younger than the retention
#    period is readable;
#  - segments were dropped during the run, the stream's disk use stayed
#    bounded by what the retention period holds (by the sizes of the records
#    written), and once the retention period (plus a segment's span and a
#    pass or two) has passed after the last write, nothing is left;
#  - the server logged no error.
#
# The producers, the consumers and the checks of what they wrote and read
# that 030_reshard_under_load.pl and 040_on_demand_under_load.pl make too are
# in StreamLoad.pm; the maintenance session and the checks of expiry and
# disk use are here.

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

my $retention = 4;        # seconds
my $run_secs = 25;        # producers write for this long
my $pass_every = 0.2;     # seconds between maintenance passes
my $segment_kb = 128;
my $nkeys = 30;

my $node = stream_node(
	'expiry_load',
	conf => qq{
stream.segment_size = '${segment_kb}kB'
stream.min_retention_period = '1s'
max_connections = 30
});

my $db = 'postgres';
$node->safe_psql(
	$db, qq{
SELECT stream.create_stream('load', 2);
SELECT stream.set_retention_period('load', interval '$retention seconds');
});

# The producers, consumers and their tables (StreamLoad.pm): 30 keys, owned
# by producers 1, 2, 3 in turn, written with no pauses; records of 50 to 999
# bytes, the size of a key's records stepping by 7919 (prime to the range of
# 950, so that they take every size) from a start that depends on the key;
# two consumers.
setup_stream_load(
	$node, $db, 'load',
	"SELECT 'key-' || lpad(i::text, 2, '0'), 1 + (i - 1) % 3 FROM generate_series(1, $nkeys) i",
	record_size => q{50 + (get_byte(decode(md5(k), 'hex'), 0) * 131 + c::bigint * 7919) % 950},
	pause => 0);

$node->safe_psql(
	$db, q{
-- Nothing reshards the stream: the consumers wait for the producers only.
UPDATE control SET reshard_done = true;
ALTER TABLE control ADD stop_maint boolean NOT NULL DEFAULT false;

-- What the maintenance session observed after each pass.
CREATE TABLE maint_log (at timestamptz, segments int, bytes bigint);
CREATE TABLE segs_seen (segment_no int PRIMARY KEY, relation oid);

CREATE PROCEDURE maintain(every float8, max_secs float8)
	LANGUAGE plpgsql AS $$
DECLARE
	t_end timestamptz := clock_timestamp() + max_secs * interval '1 second';
BEGIN
	WHILE clock_timestamp() < t_end AND NOT (SELECT stop_maint FROM control) LOOP
		CALL stream.run_maintenance();
		COMMIT;
		INSERT INTO segs_seen SELECT segment_no, relation::oid FROM stream.segments
			ON CONFLICT DO NOTHING;
		INSERT INTO maint_log
			SELECT clock_timestamp(), count(*), coalesce(sum(pg_relation_size(relation)), 0)
			FROM stream.segments;
		COMMIT;
		PERFORM pg_sleep(every);
	END LOOP;
END
$$;
});

my $maint = start_session($node, $db, 'CALL maintain(' . $pass_every . ', ' . ($run_secs * 3) . ')');
my @consumers =
  map { start_session($node, $db, 'CALL consume(' . ($run_secs * 3) . ', 1000, false)', "c$_,public") }
  (1, 2);
# let the consumers take their TRIM_HORIZON iterators before anything is written
usleep(500_000);
my @producers = (
	start_session($node, $db, "CALL produce(1, 'single', $run_secs)"),
	start_session($node, $db, "CALL produce(2, 'batch', $run_secs)"),
	start_session($node, $db, "CALL produce(3, 'txn', $run_secs)"));

finish_session($producers[$_ - 1], "producer $_") for 1 .. 3;

# Right after the writes: every record younger than the retention period
# (with half a second to spare for the read itself) is readable.
my $t0 = $node->safe_psql($db, 'SELECT clock_timestamp()');
$node->safe_psql($db,
	"CREATE TABLE read_at_end AS SELECT shard_id, sequence_number, partition_key FROM stream.read('load')"
);
is( $node->safe_psql(
		$db, qq{
	SELECT count(*) FROM acked a
	WHERE a.acked_at > '$t0'::timestamptz - interval '$retention seconds' + interval '0.5 s'
	  AND NOT EXISTS (SELECT FROM read_at_end r
					  WHERE r.sequence_number = a.sequence_number AND r.shard_id = a.shard_id
						AND r.partition_key = a.partition_key)}),
	'0',
	'right after the writes, every record younger than the retention period is readable');
cmp_ok(
	$node->safe_psql(
		$db, qq{
	SELECT count(*) FROM acked
	WHERE acked_at > '$t0'::timestamptz - interval '$retention seconds' + interval '0.5 s'}),
	'>', 0, '... and there are such records');

$node->safe_psql($db, 'UPDATE control SET producers_done = true');
finish_session($consumers[$_ - 1], "consumer $_") for 1 .. 2;

# Let everything expire: the retention period, a segment's span (retention /
# 20) and two passes after the last write, with a second to spare.
my $last = $node->safe_psql($db, 'SELECT max(acked_at) FROM acked');
my $wait_until = $node->safe_psql($db,
	"SELECT extract(epoch FROM '$last'::timestamptz + interval '$retention seconds' * 1.05 + interval '1.4 s')"
);
while (time() < $wait_until)
{
	usleep(100_000);
}
is($node->safe_psql($db, "SELECT count(*) FROM stream.read('load')"),
	'0', 'retention + retention/20 + two passes after the last write, every record has expired');
my $left_bytes = $node->safe_psql($db,
	'SELECT coalesce(sum(pg_relation_size(relation)), 0) FROM stream.segments');
cmp_ok($left_bytes, '<=', 2 * 2 * 8192,
	'... and the segments left hold no more than a meta page or two per shard');

$node->safe_psql($db, 'UPDATE control SET stop_maint = true');
finish_session($maint, 'the maintenance session');

# ---------------------------------------------------------------------------
# What was written and read

# The size of each record's data, for the notes and the disk bound.
$node->safe_psql(
	$db, q{
	ALTER TABLE acked ADD size int;
	UPDATE acked SET size = octet_length(record_data(partition_key, counter));
	ANALYZE acked;
});
note $node->safe_psql(
	$db, q{
	SELECT format('%s MB of data committed, records of %s to %s bytes; %s maintenance passes',
				  round(sum(size) / 1e6, 1), min(size), max(size), (SELECT count(*) FROM maint_log))
	FROM acked});
check_committed($node, $db);
cmp_ok($node->safe_psql($db, 'SELECT count(*) FROM acked'),
	'>=', 2000, 'the producers committed at least 2,000 records');

foreach my $c (1, 2)
{
	# Every committed record exactly once, nothing else, with its shard,
	# sequence number, key and data, in order; the stream's 2 shards stay
	# open, so no closed shard is to be read.
	check_consumer($node, $db, 'load', $c, 0);

	# A committed record the consumer did not read must have expired: be
	# older than the retention period when the consumer read the next record
	# of its shard (or, at the end of the shard, when the consumer finished).
	my $sp = "SET search_path = c$c, public;\n";
	my $missing = $node->safe_psql(
		$db, $sp . qq{
		WITH missing AS MATERIALIZED (
			SELECT * FROM acked a
			WHERE NOT EXISTS (SELECT FROM seen s WHERE s.shard_id = a.shard_id
							  AND s.sequence_number = a.sequence_number))
		SELECT count(*),
			   count(*) FILTER (WHERE a.acked_at >= passed_at - interval '$retention seconds'),
			   coalesce(string_agg(format('%s %s %s:%s written %s passed %s', a.shard_id,
										  a.sequence_number, a.partition_key, a.counter,
										  a.acked_at, passed_at), '; ')
						FILTER (WHERE a.acked_at >= passed_at - interval '$retention seconds'), '')
		FROM missing a,
			 LATERAL (SELECT coalesce(
						(SELECT min(read_at) FROM seen s
						 WHERE s.shard_id = a.shard_id AND s.sequence_number > a.sequence_number),
						(SELECT ended_at FROM consumer_end)) AS passed_at) p});
	my ($nmissing, $nlost, $lost) = split /\|/, $missing, 3;
	note "consumer $c: $nmissing committed records not read, all but $nlost of them expired first";
	is($lost // '', '', "consumer $c read every committed record that had not expired");
	# The consumers keep up (their lag is far below the retention period),
	# which is why check_consumer could ask for every committed record,
	# expired or not.
	note "consumer $c: largest lag from write to read "
	  . $node->safe_psql(
		$db, $sp . q{
		SELECT round(extract(epoch FROM max(s.read_at - a.acked_at))::numeric, 3)
		FROM seen s JOIN acked a USING (shard_id, sequence_number)})
	  . ' s';
}

# ---------------------------------------------------------------------------
# Segments and disk

my $dropped = $node->safe_psql($db,
	'SELECT count(*) FROM segs_seen WHERE segment_no NOT IN (SELECT segment_no FROM stream.segments)'
);
note "segments dropped: $dropped";
cmp_ok($dropped, '>', 10, 'segments were dropped during the run');
is( $node->safe_psql(
		$db, q{
	SELECT count(*) FROM segs_seen g JOIN pg_class c ON c.oid = g.relation
	WHERE g.segment_no NOT IN (SELECT segment_no FROM stream.segments)}),
	'0', 'the relations of the dropped segments are gone');

# What the retention period holds: the records written in any window of the
# retention period plus a segment's span (retention / 20, plus a pass) plus a
# pass, at their storage cost (a 40-byte header, the key, the data, a line
# pointer), with pages at least 80% full; plus a meta page and a partly
# filled last page per segment, and a segment of slack per shard.
my $window = $retention * 1.05 + 2 * $pass_every + 0.3;
my $disk = $node->safe_psql(
	$db, qq{
	WITH b AS (
		SELECT floor(extract(epoch FROM acked_at) * 10)::bigint AS tenth,
			   sum(size + 44 + length(partition_key)) AS bytes
		FROM acked GROUP BY 1),
	w AS (
		SELECT sum(bytes) OVER (ORDER BY tenth
								RANGE BETWEEN ${\ int($window * 10 + 0.999)} PRECEDING
									  AND CURRENT ROW) AS bytes
		FROM b)
	SELECT (SELECT max(bytes) FROM maint_log),
		   (SELECT max(bytes - segments * 16384) FROM maint_log),
		   (SELECT max(bytes) FROM w),
		   (SELECT sum(size + 44 + length(partition_key)) FROM acked),
		   (SELECT max(segments) FROM maint_log)});
my ($max_disk, $max_disk_net, $window_bytes, $total_bytes, $max_segments) = split /\|/, $disk;
my $bound = int($window_bytes * 1.25 + 2 * $segment_kb * 1024);
note "largest disk use seen after a pass: $max_disk bytes (at most $max_segments segments); "
  . "less 16 kB per segment: $max_disk_net bytes; bound $bound bytes "
  . "(records in the largest ${window}-second window: $window_bytes bytes; "
  . "all records: $total_bytes bytes)";
cmp_ok($max_disk_net, '<=', $bound, 'disk use stayed within what the retention period holds');
cmp_ok($max_disk, '<', $total_bytes / 2, 'disk use stayed well below what was written');

# No error of any kind in the server log.
no_errors_logged($node);

$node->stop;
done_testing();
