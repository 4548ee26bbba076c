# Physical replication of stream storage (DESIGN.md, requirements 2 and 9).
#
# A primary and a streaming hot standby made from its base backup.  Records
# written before and after the backup (small ones, ones spanning pages, a
# put_records batch, a rolled-back one) must read the same on both, through
# stream.read and through get_shard_iterator/get_records, which must work on
# the standby (they are reads).  The visibility rule holds on the standby too:
# while a primary transaction that wrote an earlier record is open, the
# standby returns nothing after it; once it commits, both.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;

my $primary = stream_node(
	'primary',
	init => { allows_streaming => 1 });
$primary->safe_psql('postgres', "SELECT stream.create_stream('rep', 3)");

# Writes the records of one round: small ones, some spanning pages (20 KB and
# 100 KB), a put_records batch and a rolled-back record.
sub put_round
{
	my ($round) = @_;
	$primary->safe_psql(
		'postgres', qq{
	SELECT stream.put_record('rep', 'r$round-small-' || i,
							 convert_to('round $round record ' || i, 'UTF8'))
	FROM generate_series(1, 30) AS i;
	SELECT stream.put_record('rep', 'r$round-big-' || i,
		(SELECT decode(string_agg(md5('r$round-big-' || i || '/' || j), '' ORDER BY j), 'hex')
		 FROM generate_series(1, CASE i WHEN 1 THEN 1280 WHEN 2 THEN 6250 ELSE 6251 END) AS j))
	FROM generate_series(1, 3) AS i;
	SELECT count(*) FROM stream.put_records('rep',
		ARRAY(SELECT 'r$round-batch-' || i FROM generate_series(1, 50) AS i),
		ARRAY(SELECT convert_to(repeat(md5(i::text), i), 'UTF8')
			  FROM generate_series(1, 50) AS i));
	BEGIN;
	SELECT stream.put_record('rep', 'r$round-aborted', convert_to('never', 'UTF8'));
	ROLLBACK;
	SELECT stream.put_record('rep', 'r$round-last', convert_to('after the rollback', 'UTF8'));
	});
	return;
}

put_round(1);

$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;

put_round(2);

# A stream whose segments fill and roll over (the smallest segments, and a
# maintenance pass after every few records to make the next one), so that
# the standby replays segment creation and closing too.
$primary->safe_psql('postgres', "SELECT stream.create_stream('roll', 1)");
foreach my $round (1 .. 8)
{
	$primary->safe_psql(
		'postgres', qq{
	SET stream.segment_size = 16;
	SELECT stream.put_record('roll', 'roll-$round-' || i,
		(SELECT decode(string_agg(md5('roll-$round-' || i || '/' || j), '' ORDER BY j), 'hex')
		 FROM generate_series(1, 3000) AS j))
	FROM generate_series(1, 3) AS i;
	CALL stream.run_maintenance();
	});
}
my $roll_segments = $primary->safe_psql(
	'postgres', q{
	SELECT count(*) FROM stream.segments g JOIN stream.streams s USING (stream_id)
	WHERE s.stream_name = 'roll'});
cmp_ok($roll_segments, '>=', 3, "the stream of small segments rolled over ($roll_segments segments)");

my $read_sql = q{
	SELECT shard_id, sequence_number, approximate_arrival_timestamp, partition_key,
		   md5(data), octet_length(data)
	FROM stream.read('rep')};

# Every shard read with get_records from TRIM_HORIZON, in pages of 7.  The
# function is created on the primary and reaches the standby by replication.
$primary->safe_psql(
	'postgres', q{
	CREATE FUNCTION read_via_iterators(p_stream text, page int)
		RETURNS TABLE(shard_id text, sequence_number numeric,
					  approximate_arrival_timestamp timestamptz, partition_key text,
					  md5 text, len int)
		LANGUAGE plpgsql
	AS $$
	DECLARE
		sh text;
		it text;
		res record;
	BEGIN
		FOR sh IN SELECT l.shard_id FROM stream.list_shards(p_stream) AS l
				  ORDER BY l.shard_id LOOP
			it := stream.get_shard_iterator(p_stream, sh, 'TRIM_HORIZON');
			LOOP
				SELECT * INTO res FROM stream.get_records(it, page);
				EXIT WHEN coalesce(cardinality(res.records), 0) = 0;
				RETURN QUERY
					SELECT sh, r.sequence_number, r.approximate_arrival_timestamp,
						   r.partition_key, md5(r.data), octet_length(r.data)
					FROM unnest(res.records) WITH ORDINALITY AS r(sequence_number,
						approximate_arrival_timestamp, data, partition_key,
						encryption_type, ord)
					ORDER BY r.ord;
				it := res.next_shard_iterator;
			END LOOP;
		END LOOP;
	END
	$$;
});
my $iter_sql = q{
	SELECT * FROM read_via_iterators('rep', 7)};

$primary->wait_for_catchup($standby);

my $on_primary = $primary->safe_psql('postgres', $read_sql);
my $on_standby = $standby->safe_psql('postgres', $read_sql);
is( $primary->safe_psql('postgres',
		"SELECT count(*), count(DISTINCT partition_key) FROM stream.read('rep')"),
	'168|168',
	'the primary returns every committed record once');
is( $primary->safe_psql('postgres',
		"SELECT count(*) FROM stream.read('rep') WHERE partition_key LIKE '%aborted'"),
	'0',
	'rolled-back records are not returned');
is( $primary->safe_psql('postgres',
		"SELECT max(octet_length(data)) FROM stream.read('rep')"),
	'100016',
	'records spanning pages were written');
is($on_standby, $on_primary, 'stream.read returns the same on primary and standby');
my $roll_sql = q{
	SELECT shard_id, sequence_number, partition_key, md5(data), octet_length(data)
	FROM stream.read('roll')};
my $roll_primary = $primary->safe_psql('postgres', $roll_sql);
is(scalar(split /\n/, $roll_primary), 24, 'every record of the rolled-over stream is there');
is($standby->safe_psql('postgres', $roll_sql), $roll_primary,
	'the stream of small segments reads the same on primary and standby');
is($standby->safe_psql('postgres', "SELECT * FROM read_via_iterators('roll', 5)"),
	$primary->safe_psql('postgres', "SELECT * FROM read_via_iterators('roll', 5)"),
	'get_records on the stream of small segments returns the same on primary and standby');
is( $standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');

my ($ret, $iter_standby, $stderr);
my $iter_primary = $primary->safe_psql('postgres', $iter_sql);
is( $iter_primary,
	$primary->safe_psql(
		'postgres', q{
	SELECT shard_id, sequence_number, approximate_arrival_timestamp, partition_key,
		   md5(data), octet_length(data)
	FROM stream.read('rep') ORDER BY shard_id, sequence_number}),
	'get_records returns on the primary what stream.read does');
$ret = $standby->psql(
	'postgres', $iter_sql,
	stdout => \$iter_standby,
	stderr => \$stderr);
is($ret, 0, 'get_shard_iterator and get_records work on the hot standby')
  or diag($stderr);
is($iter_standby, $iter_primary,
	'get_records returns the same on primary and standby');

# Other shard iterator types on the standby.
my $seq = $primary->safe_psql('postgres',
	"SELECT min(sequence_number) FROM stream.read('rep', 'shardId-000000000001')");
my $at_seq_sql = qq{
	SELECT r.partition_key
	FROM stream.get_records(stream.get_shard_iterator('rep', 'shardId-000000000001',
			'AFTER_SEQUENCE_NUMBER', $seq), 3) AS g,
		 unnest(g.records) AS r
};
is( $standby->safe_psql('postgres', $at_seq_sql),
	$primary->safe_psql('postgres', $at_seq_sql),
	'AFTER_SEQUENCE_NUMBER iterators return the same on primary and standby');

# The visibility rule on the standby: a transaction of the primary that wrote
# the earlier record of shard 0 is still open while a later record of that
# shard commits.
my $open = $primary->background_psql('postgres');
$open->query_safe('BEGIN');
$open->query_safe(
	"SELECT stream.put_record('rep', 'open-early', convert_to('early', 'UTF8'), 0)");
$primary->safe_psql('postgres',
	"SELECT stream.put_record('rep', 'open-late', convert_to('late', 'UTF8'), 1)");
$primary->wait_for_catchup($standby);
my $tail_sql = q{
	SELECT string_agg(partition_key, ' ' ORDER BY sequence_number)
	FROM stream.read('rep', 'shardId-000000000000') WHERE partition_key LIKE 'open-%'};
is($primary->safe_psql('postgres', $tail_sql), '',
	'primary: nothing after a record whose writer is in progress');
is($standby->safe_psql('postgres', $tail_sql), '',
	'standby: nothing after a record whose writer is in progress');
$open->query_safe('COMMIT');
$open->quit;
$primary->wait_for_catchup($standby);
is($primary->safe_psql('postgres', $tail_sql), 'open-early open-late',
	'primary: both records once the writer commits');
is($standby->safe_psql('postgres', $tail_sql), 'open-early open-late',
	'standby: both records once the writer commits');

# After a restart of the standby (replay from its last restartpoint) and a
# crash of the primary, they still agree.
$standby->restart;
$primary->stop('immediate');
$primary->start;
$primary->safe_psql('postgres',
	"SELECT stream.put_record('rep', 'after-restart', convert_to('still here', 'UTF8'))");
$primary->wait_for_catchup($standby);
$on_primary = $primary->safe_psql('postgres', $read_sql);
$on_standby = $standby->safe_psql('postgres', $read_sql);
is( $primary->safe_psql('postgres', "SELECT count(*) FROM stream.read('rep')"),
	'171', 'every record is there after the restarts');
is($on_standby, $on_primary,
	'stream.read returns the same on primary and standby after the restarts');

$standby->stop;
$primary->stop;
done_testing();
