# A damaged record on disk (a bit flipped by the storage, a file edited by
# hand) must make reads fail with ERRCODE_DATA_CORRUPTED naming the record,
# not read past the record into whatever memory follows it, and the records
# before it must still be readable.  The test writes four records to a
# one-shard stream, stops the server, and in the segment file gives the
# second a partition key longer than its item, the third a data length over
# what a record can have, and the fourth an item too short for a record
# header, which AT_TIMESTAMP reaches when it looks for the first record at
# or after a time.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;

my $node = stream_node('damaged');
$node->safe_psql(
	'postgres', q{
	SELECT stream.create_stream('dmg', 1);
	SELECT stream.put_record('dmg', 'k1', '\x6431');
	SELECT stream.put_record('dmg', 'k2', '\x6432');
	SELECT stream.put_record('dmg', 'k3', '\x6433');
	SELECT pg_sleep(0.01);
	SELECT stream.put_record('dmg', 'k4', '\x6434');
	CHECKPOINT;
});
my $file = $node->data_dir . '/'
  . $node->safe_psql(
	'postgres', q{
	SELECT pg_relation_filepath(g.relation) FROM stream.segments g
	JOIN stream.streams s USING (stream_id)
	WHERE s.stream_name = 'dmg' ORDER BY g.segment_no LIMIT 1});
my @seq = split /\n/,
  $node->safe_psql('postgres',
	q{SELECT sequence_number FROM stream.read('dmg') ORDER BY sequence_number});
is(scalar @seq, 4, 'four records were written');
my $arrival4 = $node->safe_psql('postgres',
	q{SELECT approximate_arrival_timestamp FROM stream.read('dmg') WHERE partition_key = 'k4'});
$node->stop;

# Block 1 holds the four records as items 1 to 4.  A line pointer is a
# 32-bit word: the item's offset in its low 15 bits, its flags in the next 2
# and its length in the top 15; a record head starts with its flags (16
# bits), the partition key's length (16 bits), the writer's xid (32 bits) and
# the data's length (32 bits).
my $blcksz = 8192;
open(my $fh, '+<:raw', $file) or die "could not open $file: $!";
sysseek($fh, $blcksz, 0) or die "seek: $!";
sysread($fh, my $page, $blcksz) == $blcksz or die "could not read block 1";

sub item_offset
{
	my ($n) = @_;
	my $lp = unpack('V', substr($page, 24 + 4 * ($n - 1), 4));
	return $lp & 0x7fff;
}
substr($page, item_offset(2) + 2, 2) = pack('v', 0xffff);    # key length
substr($page, item_offset(3) + 8, 4) = pack('V', 0x7fffffff);  # data length
{
	# the fourth item: 8 bytes long, shorter than a record header
	my $lp = unpack('V', substr($page, 24 + 4 * 3, 4));
	substr($page, 24 + 4 * 3, 4) = pack('V', ($lp & 0x1ffff) | (8 << 17));
}
sysseek($fh, $blcksz, 0) or die "seek: $!";
syswrite($fh, $page) == $blcksz or die "could not write block 1";
close($fh);
$node->start;

# What a query on the damaged stream gives: [ok, SQLSTATE, message].
sub try_read
{
	my ($sql) = @_;
	my ($stdout, $stderr);
	my $ret = $node->psql(
		'postgres', $sql,
		stdout => \$stdout,
		stderr => \$stderr,
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	my ($code) = $stderr =~ /ERROR:\s+([0-9A-Z]{5}):/;
	return ($ret == 0, $code // '', $stderr, $stdout);
}

my $it = $node->safe_psql('postgres',
	q{SELECT stream.get_shard_iterator('dmg', 'shardId-000000000000', 'TRIM_HORIZON')});
my ($ok, $code, $err, $out) = try_read(
	qq{SELECT (records[1]).data FROM stream.get_records('$it', 1)});
ok($ok, 'the record before the damaged one is read') or diag($err);
is($out, '\x6431', 'with its data');

# Checks that a read fails with ERRCODE_DATA_CORRUPTED naming the record at
# block/offset $where.
sub fails_on_record
{
	my ($sql, $what, $where) = @_;
	my ($ok, $code, $err) = try_read($sql);
	ok(!$ok, "$what fails");
	is($code, 'XX001', 'with ERRCODE_DATA_CORRUPTED');
	like($err, qr/stream record at \Q$where\E of "\S+" is corrupt/,
		"naming the record at $where");
}

fails_on_record(
	qq{SELECT cardinality(records) FROM stream.get_records('$it')},
	'get_records over the record with a key longer than its item', '1/2');
my $at3 = $node->safe_psql('postgres',
	qq{SELECT stream.get_shard_iterator('dmg', 'shardId-000000000000',
		'AT_SEQUENCE_NUMBER', $seq[2])});
fails_on_record(
	qq{SELECT cardinality(records) FROM stream.get_records('$at3')},
	'get_records of the record with a data length over 1 MiB', '1/3');
fails_on_record(q{SELECT count(*) FROM stream.read('dmg')},
	'stream.read over the damaged records', '1/2');
fails_on_record(
	qq{SELECT stream.get_shard_iterator('dmg', 'shardId-000000000000',
		'AT_TIMESTAMP', NULL, '$arrival4')},
	'an AT_TIMESTAMP iterator looking through the record too short for its header',
	'1/4');

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is up');
unlike(slurp_file($node->logfile), qr/PANIC|terminated by signal/,
	'no backend crashed');

$node->stop;
done_testing();
