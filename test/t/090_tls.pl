# Encryption in flight (issue 13): producers and consumers reach the server
# over TLS only, as the README's "Encryption in flight" sets it up.
#
# The test makes a certificate authority and a server certificate for
# localhost with openssl, turns ssl on, and lets pg_hba.conf accept TCP
# connections with TLS only (hostssl) and reject the others (hostnossl).
# A producer and a consumer connect with sslmode=verify-full against the
# authority: their sessions are encrypted (pg_stat_ssl) and every record the
# producer wrote is read back.  A connection without TLS is refused, and so
# is one that expects a certificate from another authority.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;

my $node = stream_node('tls');
my $dir = $node->data_dir;
my $tmp = PostgreSQL::Test::Utils::tempdir;

# An authority, and a certificate it signs for localhost and 127.0.0.1
foreach my $ca ('ca', 'other_ca')
{
	openssl('req', '-new', '-x509', '-nodes', '-days', '2', '-newkey', 'rsa:2048',
		'-subj', "/CN=stream test $ca", '-keyout', "$tmp/$ca.key", '-out', "$tmp/$ca.crt");
}
openssl('req', '-new', '-nodes', '-newkey', 'rsa:2048', '-subj', '/CN=localhost',
	'-keyout', "$dir/server.key", '-out', "$tmp/server.csr");
open(my $ext, '>', "$tmp/server.ext") or die;
print $ext "subjectAltName = DNS:localhost, IP:127.0.0.1\n";
close($ext);
openssl('x509', '-req', '-days', '2', '-in', "$tmp/server.csr", '-CA', "$tmp/ca.crt",
	'-CAkey', "$tmp/ca.key", '-CAcreateserial', '-extfile', "$tmp/server.ext",
	'-out', "$dir/server.crt");
chmod(0600, "$dir/server.key") or die;

$node->append_conf('postgresql.conf', qq{
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
listen_addresses = '127.0.0.1'
});
# local connections for the test's own checks; over TCP, TLS or nothing
open(my $hba, '>', "$dir/pg_hba.conf") or die;
print $hba "local all all trust\n";
print $hba "hostssl all all 127.0.0.1/32 trust\n";
print $hba "hostnossl all all 127.0.0.1/32 reject\n";
close($hba);
$node->restart;

$node->safe_psql('postgres', q{
CREATE ROLE tls_producer LOGIN;
CREATE ROLE tls_consumer LOGIN;
SELECT stream.create_stream('secure', 2);
SELECT stream.grant('write', 'secure', 'tls_producer');
SELECT stream.grant('read', 'secure', 'tls_consumer');
SELECT stream.grant('describe', 'secure', 'tls_consumer');
});

my $port = $node->port;
sub tcp
{
	my ($user, $sslmode, $ca) = @_;
	return "host=localhost hostaddr=127.0.0.1 port=$port dbname=postgres user=$user "
	  . "sslmode=$sslmode sslrootcert=$tmp/$ca.crt";
}

# Runs SQL over a connection; returns exit status, output and errors.
sub run_sql
{
	my ($connstr, $sql) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $connstr, '-c', $sql ],
		'>', \$out, '2>', \$err);
	chomp $out;
	return ($? >> 8, $out, $err);
}

my ($rc, $out, $err) = run_sql(tcp('tls_producer', 'verify-full', 'ca'), q{
SELECT ssl, version IS NOT NULL FROM pg_stat_ssl WHERE pid = pg_backend_pid();
SELECT count(*) FROM stream.put_records('secure',
	(SELECT array_agg('key-' || i) FROM generate_series(1, 200) i),
	(SELECT array_agg(convert_to('record ' || i, 'UTF8')) FROM generate_series(1, 200) i))});
is($rc, 0, 'the producer connects with sslmode=verify-full') or diag($err);
is($out, "t|t\n200", '... over TLS, and writes 200 records');

($rc, $out, $err) = run_sql(tcp('tls_consumer', 'verify-full', 'ca'), q{
SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();
SELECT count(*), count(DISTINCT partition_key) FROM stream.read('secure')});
is($rc, 0, 'the consumer connects with sslmode=verify-full') or diag($err);
is($out, "t\n200|200", '... over TLS, and reads every record');

($rc, $out, $err) = run_sql(tcp('tls_producer', 'disable', 'ca'), 'SELECT 1');
isnt($rc, 0, 'a connection without TLS is refused');
like($err, qr/no encryption/, '... by pg_hba.conf');

($rc, $out, $err) = run_sql(tcp('tls_producer', 'verify-full', 'other_ca'), 'SELECT 1');
isnt($rc, 0, 'a client that trusts another authority does not connect');
like($err, qr/certificate verify failed/, '... since the server\'s certificate does not verify');

$node->stop;
done_testing();
