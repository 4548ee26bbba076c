# get_records with wait (issue 15, part 1): a call with nothing to read
# sleeps until a record of its shard commits, woken by the commit.
#
#  1. Woken by commits: a call waiting with a wait of 20 s returns the
#     record within milliseconds of its put_record, commit included (each
#     of ten rounds under a second, their median under 200 ms; the times
#     are printed).
#  2. A commit on another shard does not end the wait: the call returns
#     empty after its whole wait.
#  3. Never an uncommitted record: a call waits its whole wait while another
#     session holds an appended record uncommitted, and again after that
#     session rolls back; the next commit brings the committed record only.
#     A record committed behind one in progress comes when that one is
#     rolled back (ROLLBACK, or ROLLBACK TO SAVEPOINT in a transaction that
#     goes on): the rollback wakes the call.
#  4. pg_cancel_backend and statement_timeout end a waiting call.
#  5. A split of the shard while a call waits wakes it: it returns the
#     children.
#  6. subscribe_to_shard waits the same way, and deregistering its consumer
#     ends it.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;
use Time::HiRes qw(time);

my $node = stream_node('poll');
$node->safe_psql('postgres', "SELECT stream.create_stream('p', 2)");

# A LATEST iterator of a shard
sub latest
{
	my ($shard) = @_;
	return $node->safe_psql('postgres',
		"SELECT stream.get_shard_iterator('p', '$shard', 'LATEST')");
}

# Puts a record on a shard (explicit hash keys: 0 is shard 0, 2^127 shard 1)
sub put_sql
{
	my ($shard_no, $data) = @_;
	my $hash = $shard_no == 0 ? '0' : '(2::numeric ^ 127)';
	return "SELECT count(*) FROM stream.put_record('p', 'k', '$data'::bytea, $hash)";
}

# Waits until a get_records call sleeps on its shard's condition variable
sub sleeping
{
	return wait_until($node, 'postgres',
		"SELECT count(*) > 0 FROM pg_stat_activity
		 WHERE wait_event_type = 'Extension'
		   AND (query LIKE '%get_records%' OR query LIKE '%subscribe_to_shard%')", 30);
}

# A background call of get_records that prints its records' data (as text,
# one per line, or nothing), then the epoch at which it returned
sub start_get
{
	my ($iterator, $wait) = @_;
	return start_session($node, 'postgres', qq{
SELECT string_agg(convert_from(r.data, 'UTF8'), ',') AS got,
	   extract(epoch FROM clock_timestamp()) AS at
FROM stream.get_records('$iterator', 100, '$wait') g
LEFT JOIN LATERAL unnest(g.records) r ON true});
}

sub result_of
{
	my ($s) = @_;
	finish_session($s, $s->{name} // 'the waiting call');
	my ($got, $at) = split /\|/, ${ $s->{out} };
	chomp $at if defined $at;
	return ($got // '', $at);
}

# ---------------------------------------------------------------------------
# 1. Woken by commits

my @latency;
foreach my $round (1 .. 10)
{
	my $s = start_get(latest('shardId-000000000000'), '20 s');
	ok(sleeping(), "round $round: the call sleeps") or last;
	# the time before the put: what follows is its commit and the wake
	my $put = $node->safe_psql('postgres',
		"SELECT extract(epoch FROM clock_timestamp()); " . put_sql(0, "woke-$round"));
	$put = (split /\n/, $put)[0];
	my ($got, $at) = result_of($s);
	is($got, "woke-$round", "round $round: it returns the record committed");
	push @latency, ($at - $put) * 1000;
}
my @sorted = sort { $a <=> $b } @latency;
diag(sprintf('from the start of put_record to the return of get_records, ms: %s',
	join(' ', map { sprintf('%.1f', $_) } @latency)));
ok($sorted[-1] < 1000, 'every call returned within a second of the commit');
ok($sorted[ int(@sorted / 2) ] < 200, 'half of them within 200 ms');

# ---------------------------------------------------------------------------
# 2. Another shard's commit

{
	my $t0 = time();
	my $s = start_get(latest('shardId-000000000000'), '1500 ms');
	ok(sleeping(), 'a call on shard 0 sleeps');
	$node->safe_psql('postgres', put_sql(1, 'other shard'));
	my ($got) = result_of($s);
	is($got, '', 'a commit on shard 1 gives it no record');
	cmp_ok(time() - $t0, '>=', 1.5, '... and it waited its whole wait');
}

# ---------------------------------------------------------------------------
# 3. Never an uncommitted record

{
	my $iterator = latest('shardId-000000000000');
	my $writer = start_session($node, 'postgres',
		'BEGIN; ' . put_sql(0, 'uncommitted') . "; SELECT pg_sleep(3); ROLLBACK;");
	ok( wait_until(
			$node, 'postgres',
			"SELECT count(*) > 0 FROM pg_stat_activity WHERE wait_event = 'PgSleep'", 30),
		'a writer holds a record uncommitted');
	my $t0 = time();
	my ($got) = result_of(start_get($iterator, '1 s'));
	is($got, '', 'a call does not return the uncommitted record');
	cmp_ok(time() - $t0, '>=', 1, '... and waits its whole wait');
	finish_session($writer, 'the writer that rolls back');
	($got) = result_of(start_get($iterator, '500 ms'));
	is($got, '', 'nor once it rolled back');
	my $s = start_get($iterator, '20 s');
	ok(sleeping(), 'a call sleeps again');
	$node->safe_psql('postgres', put_sql(0, 'committed'));
	($got) = result_of($s);
	is($got, 'committed', 'the next commit brings its record only');
}

# ---------------------------------------------------------------------------
# 3b. A record committed behind one in progress: the rollback wakes

foreach my $how ('ROLLBACK', 'ROLLBACK TO SAVEPOINT')
{
	my $iterator = latest('shardId-000000000000');
	my $sql = $how eq 'ROLLBACK'
	  ? 'BEGIN; ' . put_sql(0, 'blocking') . '; SELECT pg_sleep(1); ROLLBACK;'
	  : 'BEGIN; SAVEPOINT s; ' . put_sql(0, 'blocking')
	  . '; SELECT pg_sleep(1); ROLLBACK TO SAVEPOINT s; SELECT pg_sleep(5); COMMIT;';
	my $writer = start_session($node, 'postgres', $sql);
	ok( wait_until(
			$node, 'postgres',
			"SELECT count(*) > 0 FROM pg_stat_activity WHERE wait_event = 'PgSleep'", 30),
		"$how: a writer holds a record uncommitted");
	my $s = start_get($iterator, '20 s');
	ok(sleeping(), "$how: a call sleeps");
	$node->safe_psql('postgres', put_sql(0, 'behind'));
	my ($got) = result_of($s);
	is($got, 'behind', "$how: the record committed behind the rolled-back one comes");
	if ($how ne 'ROLLBACK')
	{
		# the writer sleeps 5 s after its ROLLBACK TO before it commits
		is( $node->safe_psql('postgres',
				"SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'"),
			'1', '... woken by the rollback to the savepoint, before the writer ends');
	}
	finish_session($writer, "$how: the writer");
}

# ---------------------------------------------------------------------------
# 4. Cancelled

{
	my $iterator = latest('shardId-000000000000');
	my $s = start_get($iterator, '60 s');
	ok(sleeping(), 'a call sleeps for a minute');
	$node->safe_psql('postgres',
		"SELECT pg_cancel_backend(pid) FROM pg_stat_activity
		 WHERE wait_event_type = 'Extension' AND query LIKE '%get_records%'");
	eval { $s->{h}->finish; };
	like(${ $s->{err} }, qr/canceling statement due to user request/,
		'pg_cancel_backend ends it');

	my $t0 = time();
	my ($ret, $out, $err) = $node->psql('postgres',
		"SET statement_timeout = '300ms'; SELECT stream.get_records('$iterator', 100, '60 s')");
	like($err, qr/canceling statement due to statement timeout/, 'statement_timeout ends it');
	cmp_ok(time() - $t0, '<', 30, '... long before its wait');
}

# ---------------------------------------------------------------------------
# 5. A split wakes it

{
	my $iterator = latest('shardId-000000000000');
	my $s = start_session($node, 'postgres', qq{
SELECT cardinality(records), next_shard_iterator IS NULL, jsonb_array_length(child_shards)
FROM stream.get_records('$iterator', 100, '60 s')});
	ok(sleeping(), 'a call sleeps on shard 0');
	my $t0 = time();
	$node->safe_psql('postgres',
		"SELECT stream.split_shard('p', 'shardId-000000000000', (2::numeric ^ 126)::numeric)");
	finish_session($s, 'the call on the split shard');
	is(${ $s->{out} }, "0|t|2\n", 'a split of its shard wakes it, and it returns the children');
	cmp_ok(time() - $t0, '<', 30, '... long before its wait');
}

# ---------------------------------------------------------------------------
# 6. subscribe_to_shard: woken by a commit; ended by deregistering

{
	$node->safe_psql('postgres', "SELECT stream.register_stream_consumer('p', 'fan')");
	my $sub = q{
SELECT coalesce(string_agg(convert_from(r.data, 'UTF8'), ','), '') AS got
FROM stream.subscribe_to_shard('p', 'fan', 'shardId-000000000001', 'LATEST', wait => '60 s') g
LEFT JOIN LATERAL unnest(g.records) r ON true};
	my $s = start_session($node, 'postgres', $sub);
	ok(sleeping(), 'a subscription waits on shard 1');
	$node->safe_psql('postgres', put_sql(1, 'pushed'));
	finish_session($s, 'the woken subscription');
	is(${ $s->{out} }, "pushed\n", 'the commit of a record of its shard wakes it, with the record');

	$s = start_session($node, 'postgres', $sub);
	ok(sleeping(), 'another subscription waits');
	my $t0 = time();
	$node->safe_psql('postgres', "SELECT stream.deregister_stream_consumer('p', 'fan')");
	eval { $s->{h}->finish; };
	like(${ $s->{err} }, qr/consumer "fan" of stream "p" does not exist/,
		'deregistering its consumer ends it');
	cmp_ok(time() - $t0, '<', 30, '... long before its wait');
}

$node->stop;
done_testing();
