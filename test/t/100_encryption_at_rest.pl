# Encryption at rest (issue 13): the partition keys and data of an encrypted
# stream's records are nowhere in plaintext: not in the data files, not in
# the WAL, not in a base backup.  The same marker written to a plain stream
# is found in all three, so that the search can fail.  After a crash and on
# a standby the records read back as written, also across a key rotation;
# a ciphertext byte changed on disk gives ERRCODE_DATA_CORRUPTED, never
# other data.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use File::Find;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;

my $primary = stream_node('enc_primary', init => { allows_streaming => 1 });

# Markers no other byte sequence of the cluster holds
my $secret = 'enc' . join('', map { sprintf('%02x', int(rand(256))) } 1 .. 12);
my $visible = 'pln' . join('', map { sprintf('%02x', int(rand(256))) } 1 .. 12);

$primary->safe_psql('postgres', qq{
SELECT key_id FROM stream.create_key('tap-key');
SELECT stream.create_stream('secret', 1);
SELECT stream.create_stream('visible', 1);
SELECT stream.start_stream_encryption('secret', 'KMS', 'alias/tap-key');
SELECT count(*) FROM stream.put_records('secret',
	(SELECT array_agg('key-$secret-' || i) FROM generate_series(1, 50) i),
	(SELECT array_agg(convert_to('data-$secret-' || i, 'UTF8')) FROM generate_series(1, 50) i));
SELECT count(*) FROM stream.put_records('visible',
	(SELECT array_agg('key-$visible-' || i) FROM generate_series(1, 50) i),
	(SELECT array_agg(convert_to('data-$visible-' || i, 'UTF8')) FROM generate_series(1, 50) i));
SELECT stream.put_record('secret', 'big-$secret', convert_to(repeat('$secret', 20000), 'UTF8'));
CHECKPOINT;
});

# Whether any file under a directory holds a marker
sub holds
{
	my ($dir, $marker) = @_;
	my $found = 0;
	find(
		{
			no_chdir => 1,
			wanted => sub {
				return if $found || !-f $_;
				open(my $fh, '<:raw', $_) or return;
				local $/;
				my $bytes = <$fh>;
				close($fh);
				$found = 1 if defined $bytes && index($bytes, $marker) >= 0;
			}
		},
		$dir);
	return $found;
}

my $data = $primary->data_dir;
ok(holds("$data/base", $visible), 'the plain stream\'s marker is in the data files');
ok(!holds("$data/base", $secret), 'the encrypted stream\'s marker is not');
ok(holds("$data/pg_wal", $visible), 'the plain stream\'s marker is in the WAL');
ok(!holds("$data/pg_wal", $secret), 'the encrypted stream\'s marker is not');

$primary->backup('base');
my $backup = $primary->backup_dir . '/base';
ok(holds($backup, $visible), 'the plain stream\'s marker is in the base backup');
ok(!holds($backup, $secret), 'the encrypted stream\'s marker is not');

my $read = q{SELECT count(*), count(*) FILTER (WHERE convert_from(data, 'UTF8') LIKE 'data-%'
											 AND partition_key LIKE 'key-%'),
				   md5(string_agg(partition_key || convert_from(data, 'UTF8'), ',' ORDER BY sequence_number))
			 FROM stream.read('secret')};
my $before = $primary->safe_psql('postgres', $read);
like($before, qr/^51\|50\|/, 'the encrypted records read back as written');

# A standby replays them and reads them with the same root key.
my $standby = PostgreSQL::Test::Cluster->new('enc_standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;
$primary->safe_psql('postgres', qq{
SELECT stream.put_record('secret', 'key-$secret-after', convert_to('data-$secret-after', 'UTF8'))});
$primary->wait_for_catchup($standby);
my $now = $primary->safe_psql('postgres', $read);
is($standby->safe_psql('postgres', $read), $now, 'a standby reads the encrypted records as its primary');

# Rotation, then a crash: records of both versions come back.
$primary->safe_psql('postgres', qq{
SELECT stream.rotate_key('alias/tap-key');
SELECT stream_internal.seal_segment(g.relation) FROM stream.segments g JOIN stream.streams s USING (stream_id)
 WHERE s.stream_name = 'secret' ORDER BY g.segment_no LIMIT 1;
CALL stream.run_maintenance();
SELECT stream.put_record('secret', 'key-$secret-rotated', convert_to('data-$secret-rotated', 'UTF8'));
});
is($primary->safe_psql('postgres', q{SELECT max(key_version) FROM stream.segments}), '2',
	'after rotation a new segment has the key\'s version 2');
$now = $primary->safe_psql('postgres', $read);
like($now, qr/^53\|52\|/, 'records before and after the rotation read back');
crash_node($primary);
$primary->start;
is($primary->safe_psql('postgres', $read), $now, 'after a crash, the encrypted records are all there');

# A changed ciphertext byte on disk is found, not returned.
my $file = $primary->safe_psql('postgres', q{
SELECT pg_relation_filepath(g.relation) FROM stream.segments g JOIN stream.streams s USING (stream_id)
 WHERE s.stream_name = 'secret' ORDER BY g.segment_no LIMIT 1});
my $cipher = $primary->safe_psql('postgres', q{
SELECT encode(substr(data, 1, 12), 'hex') FROM stream_internal.dump_rows()
 WHERE kind = 'record' AND sealed_key IS NOT NULL ORDER BY sequence_number LIMIT 1});
$primary->stop;
{
	open(my $fh, '+<:raw', "$data/$file") or die "could not open $data/$file: $!";
	local $/;
	my $bytes = <$fh>;
	my $at = index($bytes, pack('H*', $cipher));
	die 'ciphertext not found in the segment' if $at < 0;
	seek($fh, $at + 3, 0);
	print $fh chr(ord(substr($bytes, $at + 3, 1)) ^ 0x40);
	close($fh);
}
$primary->start;
my ($ret, $out, $err) = $primary->psql('postgres', 'SELECT count(*) FROM stream.read(\'secret\')',
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
isnt($ret, 0, 'a record whose ciphertext was changed is not returned');
like($err, qr/XX001: stream record \d+ of stream "secret" fails authentication/,
	'... it is ERRCODE_DATA_CORRUPTED, naming the record');

$standby->stop;
$primary->stop;
done_testing();
