# Transaction id wraparound protection (DESIGN.md, requirement 8).
#
# Records carry the id of the transaction that wrote them.  After thousands
# of later transactions, VACUUM FREEZE of the segment relations must advance
# their relfrozenxid to about the current transaction id (and a database-wide
# VACUUM FREEZE must advance datfrozenxid), and every record must read exactly
# as before: committed ones, and no rolled-back one.  A record whose writer is
# still in progress during the VACUUM is neither frozen as committed nor lost:
# it stays invisible while in progress, and becomes visible if it commits or
# stays invisible if it rolls back.  All of it survives a checkpoint, a crash
# and a restart.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;

my $burn = 3000;    # transactions to run between the writes and the VACUUM

# Only the VACUUMs of the test decide when relfrozenxid moves.
my $node = stream_node('freeze', conf => 'autovacuum = off');
$node->safe_psql('postgres', "SELECT stream.create_stream('fz', 2)");

# Records in many transactions (one put per transaction), some spanning
# pages, and two rolled back.
$node->safe_psql(
	'postgres', q{
	DO $$
	BEGIN
		FOR i IN 1 .. 20 LOOP
			PERFORM stream.put_record('fz', 'k' || i,
				convert_to(repeat(md5('k' || i), CASE WHEN i % 10 = 0 THEN 1000 ELSE i END),
						   'UTF8'));
			COMMIT;
		END LOOP;
	END
	$$;
	BEGIN;
	SELECT stream.put_record('fz', 'aborted-1', convert_to('no', 'UTF8'));
	SELECT stream.put_record('fz', 'aborted-2', convert_to('no', 'UTF8'), 0);
	ROLLBACK;
});
# And two in one transaction.
$node->safe_psql('postgres',
	"SELECT stream.put_record('fz', 'pair-' || i, convert_to('tx ' || i, 'UTF8'))
	 FROM generate_series(1, 2) AS i");

my $read_sql = q{
	SELECT shard_id, sequence_number, partition_key, md5(data), octet_length(data)
	FROM stream.read('fz')};
my $before = $node->safe_psql('postgres', $read_sql);
my @lines = split /\n/, $before;
is(scalar(@lines), 22, 'every committed record is readable');
unlike($before, qr/aborted/, 'no rolled-back record is readable');

my $segments_sql = q{
	SELECT g.relation FROM stream.segments g JOIN stream.streams s USING (stream_id)
	WHERE s.stream_name = 'fz' ORDER BY g.relation::text};
my @segments = split /\n/, $node->safe_psql('postgres', $segments_sql);
cmp_ok(scalar(@segments), '>=', 2, 'the stream has a segment per shard');
my $seglist = join(', ', map { "'$_'::regclass" } @segments);

# Transaction ids go by.
$node->safe_psql(
	'postgres', qq{
	DO \$\$
	BEGIN
		FOR i IN 1 .. $burn LOOP
			PERFORM pg_current_xact_id();
			COMMIT;
		END LOOP;
	END
	\$\$;
});

my $min_age_before = $node->safe_psql('postgres',
	"SELECT min(age(relfrozenxid)) FROM pg_class WHERE oid IN ($seglist)");
note "age of relfrozenxid before VACUUM: $min_age_before";
cmp_ok($min_age_before, '>=', $burn,
	"before VACUUM, relfrozenxid of every segment is at least $burn transactions old");

# A writer is in progress during the VACUUM, and another one that will roll
# back.
my $open_commit = $node->background_psql('postgres');
$open_commit->query_safe('BEGIN');
$open_commit->query_safe(
	"SELECT stream.put_record('fz', 'open-commit', convert_to('committed later', 'UTF8'), 0)");
my $open_abort = $node->background_psql('postgres');
$open_abort->query_safe('BEGIN');
$open_abort->query_safe(
	"SELECT stream.put_record('fz', 'open-abort', convert_to('rolled back later', 'UTF8'), 0)"
);

foreach my $seg (@segments)
{
	my ($ret, $out, $err) = $node->psql('postgres', "VACUUM (FREEZE, VERBOSE) $seg");
	is($ret, 0, "VACUUM FREEZE $seg succeeds") or diag($err);
}

# The open writers hold the oldest xmin back: relfrozenxid can go no further
# than their transactions, and those are recent.
my $max_age_after = $node->safe_psql('postgres',
	"SELECT max(age(relfrozenxid)) FROM pg_class WHERE oid IN ($seglist)");
note "age of relfrozenxid after VACUUM FREEZE: $max_age_after";
cmp_ok($max_age_after, '<', 50,
	'after VACUUM FREEZE, relfrozenxid of every segment is recent');
is($node->safe_psql('postgres', $read_sql), $before,
	'the records read the same after VACUUM FREEZE, the open ones not among them');

$open_abort->query_safe('ROLLBACK');
$open_abort->quit;
$open_commit->query_safe('COMMIT');
$open_commit->quit;

my $after_open = $node->safe_psql('postgres', $read_sql);
my $open_rows = $node->safe_psql('postgres',
	"SELECT string_agg(partition_key, ' ' ORDER BY sequence_number) FROM stream.read('fz')
	 WHERE partition_key LIKE 'open-%'");
is($open_rows, 'open-commit',
	'a record in progress during VACUUM is visible once it commits, and one rolled back is not');

# More transactions, then a database-wide VACUUM FREEZE (no writer open now).
$node->safe_psql(
	'postgres', qq{
	DO \$\$
	BEGIN
		FOR i IN 1 .. $burn LOOP
			PERFORM pg_current_xact_id();
			COMMIT;
		END LOOP;
	END
	\$\$;
});
my ($ret, $out, $err) = $node->psql('postgres', 'VACUUM FREEZE');
is($ret, 0, 'a database-wide VACUUM FREEZE succeeds') or diag($err);
cmp_ok(
	$node->safe_psql('postgres',
		"SELECT max(age(relfrozenxid)) FROM pg_class WHERE oid IN ($seglist)"),
	'<', 50,
	'after it, relfrozenxid of every segment is recent again');
cmp_ok(
	$node->safe_psql('postgres',
		'SELECT age(datfrozenxid) FROM pg_database WHERE datname = current_database()'),
	'<', 50,
	'datfrozenxid advanced too');
is($node->safe_psql('postgres', $read_sql),
	$after_open, 'the records read the same after the second VACUUM FREEZE');

# Appends after the freeze go to the same segments and read back.
$node->safe_psql('postgres',
	"SELECT stream.put_record('fz', 'post-freeze-' || i, convert_to('new ' || i, 'UTF8'))
	 FROM generate_series(1, 4) AS i");
my $final = $node->safe_psql('postgres', $read_sql);
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM stream.read('fz') WHERE partition_key LIKE 'post-freeze-%'"),
	'4',
	'records appended after the freeze are readable');

# Checkpoint, crash, restart: the same records, and relfrozenxid stays.
$node->safe_psql('postgres', 'CHECKPOINT');
crash_node($node);
$node->start;
is($node->safe_psql('postgres', $read_sql),
	$final, 'after a crash the records read the same');
unlike($node->safe_psql('postgres', $read_sql), qr/aborted|open-abort/,
	'after a crash no rolled-back record is readable');
cmp_ok(
	$node->safe_psql('postgres',
		"SELECT max(age(relfrozenxid)) FROM pg_class WHERE oid IN ($seglist)"),
	'<', 100,
	'after a crash relfrozenxid of the segments is still recent');

# Through get_records as well.
my $via_iterators = $node->safe_psql(
	'postgres', q{
	SELECT l.shard_id, r.sequence_number, r.partition_key, md5(r.data), octet_length(r.data)
	FROM stream.list_shards('fz') AS l,
		 LATERAL unnest((stream.get_records(stream.get_shard_iterator('fz', l.shard_id,
			'TRIM_HORIZON'))).records) WITH ORDINALITY AS r(sequence_number,
			approximate_arrival_timestamp, data, partition_key, encryption_type, ord)
	ORDER BY l.shard_id, r.ord});
is($via_iterators, $final, 'after a crash get_records returns the same records');

$node->stop;
done_testing();
