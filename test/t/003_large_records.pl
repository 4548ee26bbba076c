# Records of the largest size API.md allows (DESIGN.md, requirement 6).
#
# octet_length(data) + octet_length(partition_key) may be 1,048,576 bytes and
# no more.  Records of exactly that size (with a 3-byte key, and with a key of
# 256 two-byte characters) are written between small ones on a primary with a
# streaming standby; they must read back intact (same length and MD5) on both,
# after a crash of the primary (SIGKILL of every process, then restart), and
# through get_records.  One byte more is refused with SQLSTATE 22023 and
# leaves nothing behind.

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
$primary->safe_psql('postgres', "SELECT stream.create_stream('big', 1)");

$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;

# n bytes of incompressible data (MD5 digests), a function of the seed.
$primary->safe_psql(
	'postgres', q{
	CREATE FUNCTION payload(seed text, n int) RETURNS bytea
		LANGUAGE sql IMMUTABLE
	AS $$
		SELECT substring(decode(string_agg(md5(seed || '/' || j), '' ORDER BY j), 'hex')
						 FROM 1 FOR n)
		FROM generate_series(1, (n + 15) / 16) AS j
	$$;
});

my $max = 1_048_576;
my %want = (
	'before' => [ 100, 'payload(\'before\', 100)' ],
	'big' => [ $max - 3, "payload('big', $max - 3)" ],
	'middle' => [ 5000, 'payload(\'middle\', 5000)' ],
	'wide' => [ $max - 512, "payload('wide', $max - 512)" ],
	'after' => [ 1, 'payload(\'after\', 1)' ]);

# Expected MD5 of each payload, computed from the function, not the stream.
my %md5;
foreach my $name (keys %want)
{
	$md5{$name} = $primary->safe_psql('postgres', "SELECT md5($want{$name}[1])");
}

foreach my $name ('before', 'big', 'middle', 'wide', 'after')
{
	my $key = $name eq 'wide' ? "repeat(chr(233), 256)" : "'$name'";
	my ($ret, $out, $err) = $primary->psql(
		'postgres',
		"SELECT octet_length(data) + octet_length($key) FROM (SELECT $want{$name}[1] AS data) d;
		 SELECT shard_id FROM stream.put_record('big', $key, $want{$name}[1])");
	is($ret, 0, "a record '$name' of $want{$name}[0] bytes of data is accepted")
	  or diag($err);
	if ($name eq 'big' || $name eq 'wide')
	{
		like($out, qr/^$max\n/, "record '$name' is exactly $max bytes");
	}
}

# Too big by one byte, from either side.
foreach my $case ([ "'big'", $max - 2 ], [ 'repeat(chr(233), 256)', $max - 511 ])
{
	my ($key, $size) = @$case;
	my ($ret, $out, $err) = $primary->psql(
		'postgres',
		"SELECT stream.put_record('big', $key, payload('x', $size))",
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	isnt($ret, 0, "a record of " . ($max + 1) . " bytes (key $key) is refused");
	like($err, qr/ERROR:\s+22023:/, 'with SQLSTATE 22023') or diag($err);
}
# Also in a put_records batch.
{
	my ($ret, $out, $err) = $primary->psql(
		'postgres',
		"SELECT * FROM stream.put_records('big', ARRAY['small', 'big'],
			ARRAY[payload('s', 10), payload('y', $max - 2)])",
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	isnt($ret, 0, "put_records refuses a batch with a record of " . ($max + 1) . " bytes");
	like($err, qr/ERROR:\s+22023:/, 'with SQLSTATE 22023') or diag($err);
}

my $check_sql = q{
	SELECT CASE WHEN partition_key = repeat(chr(233), 256) THEN 'wide' ELSE partition_key END,
		   octet_length(data), md5(data)
	FROM stream.read('big')};
my $expected = join("\n",
	map { "$_|$want{$_}[0]|$md5{$_}" } ('before', 'big', 'middle', 'wide', 'after'));

is($primary->safe_psql('postgres', $check_sql),
	$expected, 'the primary returns every record intact, and nothing refused');

my $iter_sql = q{
	SELECT CASE WHEN partition_key = repeat(chr(233), 256) THEN 'wide' ELSE partition_key END,
		   octet_length(data), md5(data)
	FROM unnest((stream.get_records(stream.get_shard_iterator('big', 'shardId-000000000000',
		'TRIM_HORIZON'))).records) WITH ORDINALITY
	ORDER BY ordinality};
# get_records returns at most 10 MiB, so all five fit in one call.
is($primary->safe_psql('postgres', $iter_sql),
	$expected, 'get_records returns every record intact');

$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', $check_sql),
	$expected, 'the standby returns every record intact');
is($standby->safe_psql('postgres', $iter_sql),
	$expected, 'get_records on the standby returns every record intact');

# A crash right after the writes.
$primary->safe_psql('postgres',
	"SELECT stream.put_record('big', 'last', payload('last', $max - 4))");
my $last_md5 = $primary->safe_psql('postgres', "SELECT md5(payload('last', $max - 4))");
$expected .= "\nlast|" . ($max - 4) . "|$last_md5";
crash_node($primary);
$primary->start;
is($primary->safe_psql('postgres', $check_sql),
	$expected, 'after a crash the primary returns every record intact');
is($primary->safe_psql('postgres', $iter_sql),
	$expected, 'after a crash get_records returns every record intact');

$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', $check_sql),
	$expected, 'the standby returns every record intact after the primary crashed');

# The standby crashes too, and replays.
crash_node($standby);
$standby->start;
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', $check_sql),
	$expected, 'the standby returns every record intact after its own crash');

$standby->stop;
$primary->stop;
done_testing();
