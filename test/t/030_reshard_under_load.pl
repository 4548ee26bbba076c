# Resharding under load (issue 4): producers and a consumer run while the
# stream is split, merged and rescaled from 2 to 4 to 3 shards.
#
# Stream "rs" starts with 2 shards.  Three producers write for about 12
# seconds to a fixed set of 20 partition keys, each producer owning its own
# keys, each record's data being "key:counter" with a counter per key that
# goes 1, 2, 3, ...:
#   producer 1  put_record in autocommit;
#   producer 2  put_records batches of 1 to 30 records (both forms), several
#               records of the same key in a batch;
#   producer 3  transactions of 2 to 5 put_record calls with short sleeps in
#               between, every seventh rolled back (its counters with it).
# Each producer keeps its counters and what was acknowledged in tables written
# in the same transaction as the records, so that "acked" holds exactly the
# committed records and a rolled-back counter is written again.
#
# Meanwhile a resharding session calls, about 2 seconds apart:
#   update_shard_count(4); split_shard of the highest open shard at its
#   middle; merge_shards of the two lowest open shards; update_shard_count(3)
# (open shards: 2 -> 4 -> 5 -> 4 -> 3), and the maintenance worker runs
# every 200 ms (it removes closed shards that never had records).
#
# Two consumers read as the Kinesis Client Library does: each lists the
# shards again and again, reads every shard from TRIM_HORIZON with
# get_records, following next_shard_iterator, and starts a shard only once
# each of its parents that still exists has been read to its end (a NULL
# next_shard_iterator); a shard that disappears before it is started counts
# as finished.  Consumer 1 reads all along (1,000 records per call);
# consumer 2 starts once the writes and reshards are over (100 records per
# call), so that it goes through the whole lineage with a backlog.  Each
# keeps its state in its own schema (c1, c2).  Then, for each consumer:
#  - no session failed; the reshards happened as planned and the stream ends
#    with 3 open shards of uniform ranges;
#  - every committed record was read exactly once, with its shard, sequence
#    number and data; nothing else was read;
#  - for each key, the counters were read in order 1, 2, 3, ... with no gap
#    and no duplicate; within each shard, sequence numbers increase;
#  - at the end of each closed shard, child_shards named children that cover
#    it and name it as a parent; no record of a closed shard lies beyond its
#    ending sequence number;
#  - the server logged no error.
#
# The producers, the consumers and the checks of what they wrote and read are
# in StreamLoad.pm, which 020_expiry_under_load.pl and
# 040_on_demand_under_load.pl share.

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

my $run_secs = 12;      # producers write for this long
my $gap = 2.2;          # seconds between reshard steps
my $nkeys = 20;

my $started = time();
my $node = stream_node(
	'reshard_load',
	conf => qq{
stream.maintenance_interval = 200
max_connections = 30
});

my $db = 'postgres';
$node->safe_psql($db, q{SELECT stream.create_stream('rs', 2)});

# The producers, consumers and their tables (StreamLoad.pm): 20 keys,
# owned by producers 1, 2, 3 in turn, and two consumers.
setup_stream_load(
	$node, $db, 'rs',
	"SELECT 'key-' || lpad(i::text, 2, '0'), 1 + (i - 1) % 3 FROM generate_series(1, $nkeys) i"
);

$node->safe_psql(
	$db, qq{
-- What the resharding session did.
CREATE TABLE reshard_log (step int, what text, at timestamptz, open_before int, open_after int,
						  open_shards text[]);

CREATE PROCEDURE log_reshard(step int, what text, open_before int)
	LANGUAGE sql AS \$\$
	INSERT INTO reshard_log
		SELECT step, what, clock_timestamp(), open_before, count(*), array_agg(shard_id ORDER BY shard_id)
		FROM stream.list_shards('rs', 'AT_LATEST')
\$\$;

CREATE PROCEDURE reshard(gap float8)
	LANGUAGE plpgsql AS \$\$
DECLARE
	s record;
	a record;
	b record;
	n int;
BEGIN
	PERFORM pg_sleep(gap);
	SELECT count(*) INTO n FROM stream.list_shards('rs', 'AT_LATEST');
	PERFORM * FROM stream.update_shard_count('rs', 4);
	CALL log_reshard(1, 'update_shard_count(4)', n);
	COMMIT;

	PERFORM pg_sleep(gap);
	SELECT count(*) INTO n FROM stream.list_shards('rs', 'AT_LATEST');
	SELECT * INTO s FROM stream.list_shards('rs', 'AT_LATEST') ORDER BY starting_hash_key DESC LIMIT 1;
	PERFORM stream.split_shard('rs', s.shard_id,
							   s.starting_hash_key + div(s.ending_hash_key - s.starting_hash_key + 1, 2));
	CALL log_reshard(2, 'split_shard(' || s.shard_id || ')', n);
	COMMIT;

	PERFORM pg_sleep(gap);
	SELECT count(*) INTO n FROM stream.list_shards('rs', 'AT_LATEST');
	SELECT * INTO a FROM stream.list_shards('rs', 'AT_LATEST') ORDER BY starting_hash_key LIMIT 1;
	SELECT * INTO b FROM stream.list_shards('rs', 'AT_LATEST') ORDER BY starting_hash_key LIMIT 1 OFFSET 1;
	PERFORM stream.merge_shards('rs', a.shard_id, b.shard_id);
	CALL log_reshard(3, 'merge_shards(' || a.shard_id || ', ' || b.shard_id || ')', n);
	COMMIT;

	PERFORM pg_sleep(gap);
	SELECT count(*) INTO n FROM stream.list_shards('rs', 'AT_LATEST');
	PERFORM * FROM stream.update_shard_count('rs', 3);
	CALL log_reshard(4, 'update_shard_count(3)', n);
	COMMIT;
END
\$\$;
});

# consumer 1 reads while the stream is written and resharded; consumer 2
# (the "late" one) starts once that is over, with 100 records per call.
my @consumers = (
	start_session($node, $db, 'CALL consume(' . ($run_secs * 4) . ', 1000, false)', 'c1,public'),
	start_session($node, $db, 'CALL consume(' . ($run_secs * 4) . ', 100, true)', 'c2,public'));
usleep(300_000);
my @producers = (
	start_session($node, $db, "CALL produce(1, 'single', $run_secs)"),
	start_session($node, $db, "CALL produce(2, 'batch', $run_secs)"),
	start_session($node, $db, "CALL produce(3, 'txn', $run_secs)"));
my $resharder = start_session($node, $db, "CALL reshard($gap)");

finish_session($resharder, 'the resharding session');
$node->safe_psql($db, 'UPDATE control SET reshard_done = true');
finish_session($producers[$_ - 1], "producer $_") for 1 .. 3;
$node->safe_psql($db, 'UPDATE control SET producers_done = true');
finish_session($consumers[$_ - 1], "consumer $_") for 1 .. 2;

# ---------------------------------------------------------------------------
# The reshards

is( $node->safe_psql(
		$db, q{
	SELECT string_agg(format('%s %s: %s -> %s', step, what, open_before, open_after), '; '
					  ORDER BY step)
	FROM reshard_log}),
	'1 update_shard_count(4): 2 -> 4; 2 split_shard(shardId-000000000005): 4 -> 5; '
	  . '3 merge_shards(shardId-000000000002, shardId-000000000003): 5 -> 4; '
	  . '4 update_shard_count(3): 4 -> 3',
	'the stream was rescaled 2 -> 4, split, merged and rescaled to 3')
  or diag $node->safe_psql($db, 'SELECT * FROM reshard_log ORDER BY step');
is( $node->safe_psql(
		$db, q{
	SELECT string_agg(format('[%s, %s]', starting_hash_key, ending_hash_key), ' '
					  ORDER BY starting_hash_key)
	FROM stream.list_shards('rs', 'AT_LATEST')}),
	$node->safe_psql(
		$db, q{
	SELECT string_agg(format('[%s, %s]', i * w,
							 CASE WHEN i = 2 THEN 340282366920938463463374607431768211455
								  ELSE (i + 1) * w - 1 END), ' ' ORDER BY i)
	FROM generate_series(0, 2) i, div(340282366920938463463374607431768211456, 3) w}),
	'the stream ends with 3 open shards of uniform ranges');

# ---------------------------------------------------------------------------
# What was written and read

check_committed($node, $db);
cmp_ok($node->safe_psql($db, 'SELECT count(*) FROM acked'),
	'>=', 1000, 'the producers committed at least 1,000 records');
is( $node->safe_psql(
		$db, q{
	SELECT string_agg(format('step %s: %s', r.step, r.open_shards::text), '; ')
	FROM reshard_log r
	WHERE NOT EXISTS (SELECT FROM acked a
					  WHERE a.shard_id = ANY (r.open_shards) AND a.acked_at > r.at
						AND a.shard_id NOT IN (SELECT unnest(open_shards) FROM reshard_log p
											   WHERE p.step = r.step - 1))}),
	'', 'after each reshard, records were written to the shards it opened');


# ---------------------------------------------------------------------------
# What each consumer read

check_consumer($node, $db, 'rs', $_, 6) for 1 .. 2;
check_children_after_parents($node, $db, 'rs');

# No error of any kind in the server log.
no_errors_logged($node);

$node->stop;
note sprintf('the test took %.1f s', time() - $started);
done_testing();
