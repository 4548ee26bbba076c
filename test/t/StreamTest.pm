# Helpers shared by the TAP tests of the stream extension (test/t/*.pl):
# a cluster with the library preloaded and the settings the tests use,
# SIGKILL of a whole server, psql processes run in the background, and
# checks several tests make.  A test loads it with
#
#   use FindBin;
#   use lib $FindBin::RealBin;
#   use StreamTest;
#
# test/run runs only test/t/*.pl, so prove never takes this file for a test.

package StreamTest;

use strict;
use warnings;

use Exporter 'import';
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

our @EXPORT = qw(
  init_node
  stream_node
  crash_node
  start_psql
  start_session
  finish_session
  wait_until
  no_errors_logged
  openssl
  localhost_certificate
);

# Settings that turn off the per-shard quotas, which would throttle the
# tests' reads (and writes).
# The per-shard throughput quotas (Kinesis' 5 reads a second, 1,000 records
# a second...) would throttle tests that only mean to exercise the engine, so
# nodes turn them off unless a test asks for them.
my %quotas_off = (
	none => "",
	reads => "stream.shard_read_calls_per_second = 0\n"
	  . "stream.shard_read_bytes_per_second = 0",
	all => "stream.shard_read_calls_per_second = 0\n"
	  . "stream.shard_read_bytes_per_second = 0\n"
	  . "stream.shard_write_records_per_second = 0\n"
	  . "stream.shard_write_bytes_per_second = 0");

# Runs initdb for a node with an explicit encoding and locale: the caller's
# LANG may name a locale the machine has not generated (ssh forwards the
# client's), which makes initdb fail, or be unset (cron, env -i), which gives
# an SQL_ASCII cluster.  %params are those of PostgreSQL::Test::Cluster::init.
sub init_node
{
	my ($node, %params) = @_;
	$params{extra} = [ '--locale=C', '--encoding=UTF8', @{ $params{extra} // [] } ];
	$node->init(%params);
	return;
}

# A new cluster node named $name with shared_preload_libraries = 'stream'
# and a KMS root key (stream.kms_root_key_file), started, and with CREATE
# EXTENSION stream run in database postgres.
# Options:
#   init => { ... }        parameters of PostgreSQL::Test::Cluster::init
#   quotas_off => 'all'    which per-shard quotas to turn off: 'all' (the
#                          default), 'reads', or 'none'
#   conf => '...'          more lines for postgresql.conf
#   extension => 0         do not create the extension
sub stream_node
{
	my ($name, %opt) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	init_node($node, %{ $opt{init} // {} });
	$node->append_conf('postgresql.conf', "shared_preload_libraries = 'stream'");
	# the root key of the extension's KMS keys, readable by the server only
	my $key_file = $node->basedir . '/kms_root_key';
	open(my $fh, '>', $key_file) or die "could not write $key_file: $!";
	print $fh join('', map { sprintf('%02x', int(rand(256))) } 1 .. 32), "\n";
	close($fh);
	chmod(0600, $key_file) or die "could not chmod $key_file: $!";
	$node->append_conf('postgresql.conf', "stream.kms_root_key_file = '$key_file'");
	my $quotas_off = $opt{quotas_off} // 'all';
	die "unknown quotas_off: $quotas_off" unless exists $quotas_off{$quotas_off};
	$node->append_conf('postgresql.conf', $quotas_off{$quotas_off});
	$node->append_conf('postgresql.conf', $opt{conf}) if defined $opt{conf};
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION stream')
	  if $opt{extension} // 1;
	return $node;
}

# Kills the postmaster and every process it started with SIGKILL at once, as
# a power cut would (the operating system's page cache survives, which is
# what fsync = off in the test cluster relies on), and forgets its pid.
sub crash_node
{
	my ($node) = @_;
	my $pm = $node->{_pid};
	die "node is not running" unless defined $pm;
	my @children;
	opendir(my $proc, '/proc') or die "could not open /proc: $!";
	foreach my $pid (grep { /^\d+$/ } readdir($proc))
	{
		open(my $fh, '<', "/proc/$pid/stat") or next;
		my $stat = <$fh>;
		close($fh);
		next unless defined $stat && $stat =~ /^\d+ \(.*\) \S+ (\d+)/s;
		push @children, $pid if $1 == $pm;
	}
	closedir($proc);
	note "killing postmaster $pm and children @children with SIGKILL";
	kill 'KILL', $pm, @children;
	$node->kill9;    # forgets the pid (the process is already gone)
	# Wait until the processes are gone, so that the restart does not find
	# the shared memory still attached.
	foreach my $pid ($pm, @children)
	{
		for (my $i = 0; $i < 100 && kill(0, $pid); $i++)
		{
			usleep(50_000);
		}
	}
	return;
}

# Starts psql in the background (no psqlrc, unaligned tuples only, stopping
# at the first error) on connection string $connstr with the further
# arguments in @$args; its output goes to the scalars $out and $err refer
# to.  Returns the IPC::Run harness.
sub start_psql
{
	my ($connstr, $args, $out, $err) = @_;
	return IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $connstr, @$args ],
		'<', \undef, '>', $out, '2>', $err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
}

# Starts a psql session that runs one SQL command in database $db (with a
# search_path, if given); returns its harness and references to its output.
sub start_session
{
	my ($node, $db, $sql, $search_path) = @_;
	my ($out, $err) = ('', '');
	my $connstr = $node->connstr($db);
	$connstr .= " options='-csearch_path=$search_path'" if $search_path;
	my $h = start_psql($connstr, [ '-c', $sql ], \$out, \$err);
	return { h => $h, out => \$out, err => \$err, what => $sql };
}

# Waits for a session and checks that it succeeded.
sub finish_session
{
	my ($s, $name) = @_;
	my $ok = eval { $s->{h}->finish; };
	my $rc = $s->{h}->result(0);
	is($rc . ${ $s->{err} }, '0', "$name ran without an error");
	return;
}

# Waits until the query returns 't' in database $db; returns 1, or 0 after
# $timeout seconds.
sub wait_until
{
	my ($node, $db, $query, $timeout) = @_;
	my $start = time();
	while (time() - $start < $timeout)
	{
		return 1 if $node->safe_psql($db, $query) eq 't';
		usleep(50_000);
	}
	return 0;
}

# Runs the openssl command with @args (to make test certificates); dies
# with its error output if it fails.
sub openssl
{
	my @args = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'openssl', @args ], '>', \$out, '2>', \$err)
	  or die "openssl @args failed: $err";
	return;
}

# Makes in $dir an authority (ca.crt) and a certificate it signs for
# localhost and 127.0.0.1 (server.crt, server.key).
sub localhost_certificate
{
	my ($dir) = @_;
	openssl('req', '-new', '-x509', '-nodes', '-days', '2', '-newkey', 'rsa:2048',
		'-subj', '/CN=stream test ca', '-keyout', "$dir/ca.key", '-out', "$dir/ca.crt");
	openssl('req', '-new', '-nodes', '-newkey', 'rsa:2048', '-subj', '/CN=localhost',
		'-keyout', "$dir/server.key", '-out', "$dir/server.csr");
	open(my $ext, '>', "$dir/server.ext") or die "could not write $dir/server.ext: $!";
	print $ext "subjectAltName = DNS:localhost, IP:127.0.0.1\n";
	close($ext);
	openssl('x509', '-req', '-days', '2', '-in', "$dir/server.csr", '-CA', "$dir/ca.crt",
		'-CAkey', "$dir/ca.key", '-CAcreateserial', '-extfile', "$dir/server.ext",
		'-out', "$dir/server.crt");
	return;
}

# Checks that the server logged no error of any kind.
sub no_errors_logged
{
	my ($node) = @_;
	my $log = slurp_file($node->logfile);
	my @errors = grep { /\b(ERROR|FATAL|PANIC|TRAP):/ } split /\n/, $log;
	is(join("\n", @errors), '', 'the server logged no error');
	return;
}

1;
