# On-demand scaling under load: the maintenance background worker splits
# the shards of an ON_DEMAND stream while producers write hard, and merges
# them back down to 4 once the load drops, while producers and consumers go
# on; no record is lost or read twice, and each key keeps its order.
#
# The node's per-shard write quota is 200 records a second (bytes and read
# quotas off), the scaling window 2 seconds and the worker's pass every 200
# ms, so a shard above 100 records a second is split and two neighbours
# under 50 a second together are merged.  Stream "od" is ON_DEMAND with 4
# shards, the floor for merges.  The 48 partition keys are picked so that
# each eighth of the hash key space holds 6 of them, 2 per producer: each of
# the 4 shards, and each half a split leaves, takes the same load.
#
# Three producers (StreamLoad.pm's produce_retrying) each offer one record
# per key of their own a round -- producer 1 with put_record in autocommit,
# producers 2 and 3 with one put_records call (both forms in turn) -- the
# data being "key:counter".  A throttled record (KS001 from put_record, or
# error_code ProvisionedThroughputExceededException with a NULL shard_id
# from put_records) is offered again in the next round, after a short
# backoff, and the key's next counter only after it was acknowledged.
#  - Phase 1 (8 s): first 40 rounds back to back, 480 records per shard at
#    once, more than its bucket holds (a second's worth), so that the quota
#    throttles some and the producers must retry them; then 13 rounds a
#    second, about 156 records a second per shard (78% of its capacity).
#    The worker must split each shard within a few seconds; the halves, at
#    39%, should stay as they are.
#  - Phase 2: 1 round a second (3% per eighth), until the worker has merged
#    cold neighbours back to 4 open shards and each of them took records.
#
# Two consumers read as the Kinesis Client Library does (StreamLoad.pm's
# consume: parents to their end before children), one all along and one
# once the writes and reshards are over.  Then:
#  - no session failed; the stream split to more than 4 open shards under
#    load, leaving closed parents, and merged back to exactly 4 open shards
#    that cover the hash key space, and stays there;
#  - the server log names, as 'on-demand stream "od": split ...' and
#    '... merged ...' lines, exactly the reshards the lineage in
#    list_shards shows, no split came after the first merge, and no scaling
#    attempt failed;
#  - every shard the worker opened took records; the burst was throttled
#    (and retried);
#  - every committed record was read exactly once by each consumer, and
#    nothing else; each key's counters were committed and read in order
#    1, 2, 3, ... with no gap; each consumer read every closed shard to its
#    end, parents before children;
#  - the server logged no error.

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

my $phase1_secs = 8;    # producers write hard for this long
my $hot_rate = 13;      # rounds a second in phase 1: 12 keys a shard, 78%
my $cool_rate = 1;      # rounds a second in phase 2
my $burst = 40;         # rounds back to back at the start of phase 1
my $window = 2;         # stream.on_demand_scaling_window, seconds

my $started = time();
my $node = stream_node(
	'on_demand_load',
	quotas_off => 'none',
	conf => qq{
stream.maintenance_interval = '200ms'
stream.on_demand_scaling_window = '${window}s'
stream.shard_write_records_per_second = 200
stream.shard_write_bytes_per_second = 0
stream.shard_read_calls_per_second = 0
stream.shard_read_bytes_per_second = 0
max_connections = 30
});

my $db = 'postgres';
$node->safe_psql($db, q{SELECT stream.create_stream('od', 4, 'ON_DEMAND')});
is($node->safe_psql($db, q{SELECT stream_mode FROM stream.describe_stream_summary('od')}),
	'ON_DEMAND', 'the stream is on-demand');

# 6 keys in each eighth of the hash key space (the top 3 bits of the MD5 of
# the key), owned by producers 1, 2, 3 in turn.
setup_stream_load(
	$node, $db, 'od', q{
	SELECT partition_key, 1 + (n - 1) % 3 FROM (
		SELECT partition_key,
			   row_number() OVER (PARTITION BY get_byte(decode(md5(partition_key), 'hex'), 0) >> 5
								  ORDER BY i) AS n
		FROM generate_series(1, 1000) i, LATERAL (SELECT 'key-' || lpad(i::text, 4, '0')) k(partition_key)) x
	WHERE n <= 6});
is( $node->safe_psql(
		$db, q{
	SELECT string_agg(n::text, ' ' ORDER BY eighth) FROM (
		SELECT get_byte(decode(md5(partition_key), 'hex'), 0) >> 5 AS eighth, count(*) AS n
		FROM counters GROUP BY 1) x}),
	'6 6 6 6 6 6 6 6',
	'each eighth of the hash key space has 6 keys');

my $open_count = q{SELECT count(*) FROM stream.list_shards('od', 'AT_LATEST')};

# consumer 1 reads all along; consumer 2 (the "late" one) starts once the
# writes and reshards are over, with 100 records per call.
my @consumers = (
	start_session($node, $db, 'CALL consume(120, 1000, false)', 'c1,public'),
	start_session($node, $db, 'CALL consume(120, 100, true)', 'c2,public'));

# ---------------------------------------------------------------------------
# Phase 1: hot

$node->safe_psql($db, "UPDATE control SET key_rate = $hot_rate");
my $phase1 = time();
my @producers = (
	start_session($node, $db, "CALL produce_retrying(1, 'single', $burst)"),
	start_session($node, $db, "CALL produce_retrying(2, 'batch', $burst)"),
	start_session($node, $db, "CALL produce_retrying(3, 'batch', $burst)"));

# The first split comes after about a second (the moving average of the
# rate must pass half the capacity); a slow machine gets more time.
ok(wait_until($node, $db, "SELECT ($open_count) > 4", 30),
	'the worker split shards while the producers wrote hard');
note sprintf('first split after %.1f s', time() - $phase1);
my $left = $phase1 + $phase1_secs - time();
usleep($left * 1_000_000) if $left > 0;

my $open_after_phase1 = $node->safe_psql($db, $open_count);
note 'after phase 1: '
  . $node->safe_psql(
	$db, q{
	SELECT format('%s open shards (%s), %s closed (%s)',
				  count(*) FILTER (WHERE ending_sequence_number IS NULL),
				  string_agg(shard_id, ' ' ORDER BY shard_id) FILTER (WHERE ending_sequence_number IS NULL),
				  count(*) FILTER (WHERE ending_sequence_number IS NOT NULL),
				  string_agg(shard_id, ' ' ORDER BY shard_id) FILTER (WHERE ending_sequence_number IS NOT NULL))
	FROM stream.list_shards('od')});
is( $node->safe_psql(
		$db, q{
	SELECT count(*) FILTER (WHERE ending_sequence_number IS NULL) > 4
		   AND count(*) FILTER (WHERE ending_sequence_number IS NOT NULL) > 0
	FROM stream.list_shards('od')}),
	't',
	'after phase 1, list_shards shows closed parents and more than 4 open shards');

# ---------------------------------------------------------------------------
# Phase 2: cool.  The moving averages fall under a quarter of a shard's
# capacity per pair within about 3 s, and a shard a merge opens must be
# watched for a whole window before it is merged again.

$node->safe_psql($db, "UPDATE control SET key_rate = $cool_rate");
my $phase2 = time();
ok( wait_until(
		$node, $db, qq{
	SELECT ($open_count) = 4
		   AND EXISTS (SELECT FROM stream.list_shards('od') WHERE adjacent_parent_shard_id IS NOT NULL)},
		60),
	'the worker merged cold neighbours back down to 4 open shards');
my $merged_at = time();
note sprintf('back to 4 open shards %.1f s after the load dropped', $merged_at - $phase2);

# Writers go on into the shards the merges opened.
ok( wait_until(
		$node, $db, q{
	SELECT bool_and(EXISTS (SELECT FROM acked a WHERE a.shard_id = l.shard_id))
	FROM stream.list_shards('od', 'AT_LATEST') l},
		30),
	'the producers wrote to each of the 4 open shards');

$node->safe_psql($db, 'UPDATE control SET producers_done = true');
finish_session($producers[$_ - 1], "producer $_") for 1 .. 3;
$node->safe_psql($db, 'UPDATE control SET reshard_done = true');
finish_session($consumers[$_ - 1], "consumer $_") for 1 .. 2;
note sprintf('producers and consumers done at %.1f s', time() - $started);

# ---------------------------------------------------------------------------
# The reshards

# The worker's log lines, and the reshards the lineage shows.
my $log = slurp_file($node->logfile);
my (@splits, @merges, @order);
while ($log =~ /on-demand stream "od": (split|merged) (shardId-\d+)(?: and (shardId-\d+))? at ([\d.]+)%/g)
{
	if ($1 eq 'split')
	{
		push @splits, $2;
		push @order, 'split';
	}
	else
	{
		push @merges, "$2+$3";
		push @order, 'merge';
	}
	note "worker: $1 $2" . ($3 ? " and $3" : '') . " at $4%";
}
cmp_ok(scalar(@splits), '>=', 1, 'the server log has on-demand split lines');
is(join(' ', sort @splits),
	$node->safe_psql(
		$db, q{
	SELECT string_agg(DISTINCT parent_shard_id, ' ' ORDER BY parent_shard_id)
	FROM stream.list_shards('od') WHERE adjacent_parent_shard_id IS NULL}),
	'the split lines name exactly the shards the lineage shows split');
is( $node->safe_psql(
		$db, q{
	SELECT string_agg(parent_shard_id, ', ') FROM (
		SELECT parent_shard_id FROM stream.list_shards('od') WHERE adjacent_parent_shard_id IS NULL
		GROUP BY 1 HAVING count(*) <> 2) x}),
	'', '... each into two children');
is(join(' ', sort @merges),
	$node->safe_psql(
		$db, q{
	SELECT string_agg(parent_shard_id || '+' || adjacent_parent_shard_id, ' '
					  ORDER BY parent_shard_id || '+' || adjacent_parent_shard_id)
	FROM stream.list_shards('od') WHERE adjacent_parent_shard_id IS NOT NULL}),
	'the merge lines name exactly the pairs the lineage shows merged');
is(scalar(@merges), scalar(@splits), '... as many merges as splits');
my $first_merge = (grep { $order[$_] eq 'merge' } 0 .. $#order)[0] // scalar(@order);
is(join(' ', grep { $_ eq 'split' } @order[ $first_merge .. $#order ]),
	'', 'no shard was split after the first merge');
unlike($log, qr/could not scale on-demand stream/, 'no scaling attempt failed');

is( $node->safe_psql(
		$db, q{
	SELECT string_agg(shard_id, ', ') FROM stream.list_shards('od') l
	WHERE parent_shard_id IS NOT NULL
	  AND NOT EXISTS (SELECT FROM acked a WHERE a.shard_id = l.shard_id)}),
	'', 'every shard the worker opened took records');

# The open shards tile the hash key space.
is( $node->safe_psql(
		$db, q{
	SELECT count(*) = 4 AND min(starting_hash_key) = 0
		   AND max(ending_hash_key) = 340282366920938463463374607431768211455
		   AND bool_and(prev IS NULL OR starting_hash_key = prev + 1)
	FROM (SELECT starting_hash_key, ending_hash_key,
				 lag(ending_hash_key) OVER (ORDER BY starting_hash_key) AS prev
		  FROM stream.list_shards('od', 'AT_LATEST')) x}),
	't',
	'the 4 open shards cover the hash key space');

# ---------------------------------------------------------------------------
# What was written and read

check_committed($node, $db);
note $node->safe_psql(
	$db, q{
	SELECT string_agg(format('producer %s (%s): %s rounds, %s records offered, %s throttled',
							 producer, mode, rounds, attempts, throttled), '; ' ORDER BY producer)
	FROM producer_end});
cmp_ok($node->safe_psql($db, 'SELECT sum(throttled) FROM producer_end'),
	'>', 0, 'the quota throttled records of the burst, which the producers retried');

# Every closed shard had records (each took writes for at least a window),
# so no maintenance pass removed one, and each consumer read them all.
my $closed = $node->safe_psql($db,
	q{SELECT count(*) FROM stream.list_shards('od') WHERE ending_sequence_number IS NOT NULL});
check_consumer($node, $db, 'od', $_, $closed) for 1 .. 2;
check_children_after_parents($node, $db, 'od');

# With no writes at all, every pair is cold: the stream stays at its floor
# of 4 (give the last merge's child a window and a few passes).
my $wait = $merged_at + $window + 1 - time();
usleep($wait * 1_000_000) if $wait > 0;
is($node->safe_psql($db, $open_count), '4', 'the stream stays at 4 open shards once idle');

# No error of any kind in the server log.
no_errors_logged($node);

$node->stop;
note sprintf('the test took %.1f s', time() - $started);
done_testing();
