# Deliveries run by the extension's workers (issue 17):
#  1. a file written and renamed whose position did not commit (the worker
#     stopped at an injection point, then the server killed): the next try
#     writes the batch again with the records that came since, and removes
#     the earlier file: no record is in two files;
#  2. a delivery to files, one to a table and a trigger, while producers
#     write, the server killed with SIGKILL in the middle: after the
#     restart, the files (read back with zcat), the table and the trigger's
#     table each hold every committed record exactly once, and no temporary
#     file is left;
#     and another database may not deliver to a directory of this one;
#  3. buffering: a delivery waits for its interval, or its size.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use File::Find;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;
use Time::HiRes qw(usleep time);

my $dir = PostgreSQL::Test::Utils::tempdir . '/deliveries';
mkdir $dir or die "could not create $dir: $!";
my $node = stream_node('deliveries',
	conf => "stream.max_workers = 8\nstream.max_trigger_workers = 4\n"
	  . "max_worker_processes = 20\nmax_connections = 30\n"
	  . "stream.delivery_directory = '$dir'\n");
my $db = 'postgres';

$node->safe_psql(
	$db, q{
-- puts the records of counters first to first + n - 1 of each key in keys,
-- their data "key:counter"
CREATE FUNCTION put_keys(stream_name text, keys text[], first int, n int) RETURNS void
	LANGUAGE sql AS $$
	SELECT count(*) FROM stream.put_records(stream_name, ARRAY(
		SELECT ROW(convert_to(k || ':' || c, 'UTF8'), k, NULL)::stream.put_records_request_entry
		FROM generate_series(first, first + n - 1) c, unnest(keys) k ORDER BY c, k))
$$;
});

# The records in the files of a directory: "shard_id sequence_number" a
# line, sorted; and the names of the files.
sub files_under
{
	my ($top) = @_;
	my @files;
	# (but the mark of the database that owns a directory)
	find(sub { push @files, $File::Find::name if -f $_ && $_ ne '.stream-database' }, $top)
	  if -d $top;
	@files = sort @files;
	return @files;    # in scalar context, how many
}

sub records_in_files
{
	my ($top) = @_;
	my @lines;
	foreach my $file (grep { !m{/\.[^/]*$} } files_under($top))
	{
		my $text = $file =~ /\.gz$/ ? `zcat '$file'` : slurp_file($file);
		die "zcat $file failed" if $?;
		foreach my $line (split /\n/, $text)
		{
			$line =~ /"shard_id"\s*:\s*"([^"]+)".*"sequence_number"\s*:\s*"(\d+)"/
			  or die "not a record: $line";
			push @lines, "$1 $2";
		}
	}
	@lines = sort @lines;
	return @lines;    # in scalar context, how many
}

sub committed
{
	my ($stream) = @_;
	return sort split /\n/,
	  $node->safe_psql($db,
		"SELECT shard_id || ' ' || sequence_number FROM stream.read('$stream')");
}

# ---- 1. a renamed file whose position did not commit --------------------
$node->safe_psql(
	$db, qq{
SELECT stream.create_stream('dr', 1);
SELECT stream.create_delivery('renamed', 'dr', 'files', 'renamed', buffer_interval => '0');
});
# The worker is to stop between the rename and the commit: it waits for an
# advisory lock that this session holds.
my ($lock_in, $lock_out, $lock_err) = ('', '', '');
my $lock = IPC::Run::start(
	[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr($db) ],
	'<', \$lock_in, '>', \$lock_out, '2>', \$lock_err);
$lock_in = "SELECT 'locked', pg_advisory_lock(hashtext('delivery-renamed'));\n";
$lock->pump until $lock_out =~ /locked/;
$node->append_conf('postgresql.conf', "stream.injection_points = 'delivery-renamed'");
$node->reload;
usleep(300_000);
$node->safe_psql($db, q{SELECT put_keys('dr', ARRAY['a', 'b'], 1, 5)});
my $renamed_wait = time();
my @first_try;
while (time() - $renamed_wait < 30)
{
	@first_try = grep { !m{/\.[^/]*$} } files_under("$dir/renamed");
	last if @first_try;
	usleep(50_000);
}
is(scalar(@first_try), 1, 'the first try renamed its file, and waits before its commit');
$node->safe_psql($db, q{SELECT put_keys('dr', ARRAY['a', 'b'], 6, 5)});
crash_node($node);
eval { $lock->kill_kill; };
$node->append_conf('postgresql.conf', "stream.injection_points = ''");
$node->start;
ok( wait_until(
		$node, $db, q{
SELECT records = 20 FROM stream.deliveries WHERE delivery_name = 'renamed'}, 60),
	'after the restart the delivery delivers the 20 records');
my @second_try = grep { !m{/\.[^/]*$} } files_under("$dir/renamed");
is(scalar(@second_try), 1, 'in one file');
isnt($second_try[0], $first_try[0], 'which replaced the file of the first try');
is_deeply([ records_in_files("$dir/renamed") ], [ committed('dr') ],
	'holding every record once');
(my $prefix = $first_try[0]) =~ s/-\d+\.jsonl\.gz$//;
like($second_try[0], qr/^\Q$prefix\E-\d+\.jsonl\.gz$/,
	'the name of the same batch: the same first sequence number, a later last one');
like($second_try[0],
	qr{/renamed/\d{4}/\d\d/\d\d/\d\d/renamed-1-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-shardId-000000000000-\d+-\d+\.jsonl\.gz$},
	'laid out as Firehose lays out S3 objects');

# ---- 2. killed mid-run -----------------------------------------------------
$node->safe_psql(
	$db, q{
SELECT stream.create_stream('dk', 2);
SELECT stream.create_delivery('files', 'dk', 'files', 'killed', buffer_size_mb => 1,
							  buffer_interval => '1 second');
SELECT stream.create_delivery('table', 'dk', 'table', 'archive', buffer_size_mb => 1,
							  buffer_interval => '1 second');
CREATE TABLE triggered (shard_id text, sequence_number numeric);
CREATE FUNCTION triggered(records stream.record[], shard_id text) RETURNS void
	LANGUAGE sql AS $$
	INSERT INTO triggered SELECT shard_id, r.sequence_number FROM unnest(records) r
$$;
SELECT stream.create_trigger('trigger', 'dk', 'triggered(stream.record[], text)', batch_size => 50);
});
my $keys = "ARRAY(SELECT 'key-' || k FROM generate_series(1, 20) k)";
my $producer = start_session($node, $db,
	"DO \$\$ BEGIN FOR i IN 1 .. 1000 LOOP PERFORM put_keys('dk', $keys, i, 1); "
	  . "COMMIT; PERFORM pg_sleep(0.005); END LOOP; END \$\$");
ok( wait_until(
		$node, $db, q{
SELECT (SELECT sum(records) FROM stream.deliveries) > 2000
   AND (SELECT records FROM stream.triggers) > 1000}, 60),
	'the deliveries and the trigger run while the producer writes');
crash_node($node);
eval { $producer->{h}->finish; };
$node->start;
my @committed = committed('dk');
my $n = scalar(@committed);
ok($n > 2000, "the producer committed $n records before the crash");
ok( wait_until(
		$node, $db, qq{
SELECT (SELECT sum(records) FROM stream.deliveries WHERE stream_name = 'dk') = 2 * $n
   AND (SELECT records FROM stream.triggers) = $n}, 120),
	'after the restart they catch up');
is_deeply([ records_in_files("$dir/killed") ], \@committed,
	'the files hold every committed record exactly once');
is( $node->safe_psql(
		$db, q{
SELECT count(*) || ' ' || count(DISTINCT (shard_id, sequence_number)) FROM public.archive}),
	"$n $n", 'so does the table of the delivery');
is( $node->safe_psql(
		$db, q{
SELECT count(*) FROM (SELECT shard_id, sequence_number FROM stream.read('dk')
					  EXCEPT SELECT shard_id, sequence_number FROM public.archive) x}),
	'0', '... every one of them');
is( $node->safe_psql(
		$db, q{
SELECT count(*) || ' ' || count(DISTINCT (shard_id, sequence_number)) FROM triggered}),
	"$n $n", "and the trigger's table");
is(join(',', grep { m{/\.[^/]*$} } files_under($dir)), '', 'no temporary file is left');

# another database (a copy of this one would have the same deliveries) may
# not deliver to a directory of this one's, whose files it would replace
$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->safe_psql('other', q{CREATE EXTENSION stream; SELECT stream.create_stream('dk', 1)});
my ($rc, $out, $err) = $node->psql('other',
	q{SELECT stream.create_delivery('files', 'dk', 'files', 'killed')});
like($err, qr/directory "killed" belongs to the deliveries of another database/,
	'another database may not deliver to a directory of this one');
is($node->safe_psql('other', q{SELECT stream.create_delivery('files', 'dk', 'files', 'killed-other')}),
	'', 'but to one of its own');

# ---- 3. buffering ---------------------------------------------------------
$node->safe_psql(
	$db, q{
SELECT stream.create_stream('db', 1);
SELECT stream.create_delivery('interval', 'db', 'files', 'interval', buffer_interval => '3 seconds',
							  compression => 'none');
SELECT stream.create_delivery('size', 'db', 'files', 'size', buffer_size_mb => 1,
							  buffer_interval => '900 seconds');
SELECT put_keys('db', ARRAY['k'], 1, 10);
});
my $t0 = time();
usleep(1_000_000);
is(scalar(files_under("$dir/interval")), 0, 'a delivery waits for its interval');
ok(wait_until($node, $db, q{SELECT records = 10 FROM stream.deliveries WHERE delivery_name = 'interval'}, 30),
	'and delivers when it passed');
cmp_ok(time() - $t0, '>=', 2.5, 'not before');
is(scalar(records_in_files("$dir/interval")), 10, 'the records in one plain file');
is(scalar(files_under("$dir/size")), 0, 'a delivery with a long interval waits for its size');
# 1.2 MB more: one file of a megabyte at most goes now, the rest waits
$node->safe_psql($db, q{
SELECT count(*) FROM stream.put_records('db', ARRAY(
	SELECT ROW(convert_to(repeat('x', 100000), 'UTF8'), 'k', NULL)::stream.put_records_request_entry
	FROM generate_series(1, 12)))});
ok(wait_until($node, $db, q{SELECT deliveries = 1 FROM stream.deliveries WHERE delivery_name = 'size'}, 30),
	'and delivers a megabyte when it is there');
my @sized = files_under("$dir/size");
cmp_ok(-s $sized[0], '<=', 1024 * 1024, 'a file of a megabyte at most (compressed)');
cmp_ok(scalar(records_in_files("$dir/size")), '<', 22, 'the rest waits');

$node->stop;
done_testing();
