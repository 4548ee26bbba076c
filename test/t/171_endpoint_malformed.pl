# The Kinesis endpoint against malformed input (issue 18): one HTTP worker
# is sent hundreds of broken requests, and answers each with a 4xx status
# and goes on serving, without a crash:
#  - random bytes, and HTTP cut short at every kind of place (the client
#    closes its side: it is told 400 before the connection closes);
#  - broken HTTP: bad request lines, header lines, Content-Length, too many
#    or too long headers, a body larger than the endpoint takes (413);
#  - JSON bodies: random mutations of valid requests, cut short, values of
#    the wrong type, deep nesting, NUL bytes, invalid UTF-8, signed or not;
#  - CBOR bodies of random bytes;
#  - signatures: missing, incomplete, for another service, expired.
# Then a valid request is served by the same worker process, and the
# server log shows no crash.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use Digest::SHA qw(sha256_hex hmac_sha256 hmac_sha256_hex);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(strftime);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;

my $port = PostgreSQL::Test::Cluster::get_free_port();
my $node = stream_node('endpoint_malformed',
	conf => "stream.http_port = $port\nstream.http_workers = 1\nstream.max_workers = 4\n");
my $db = 'postgres';
srand(18);

$node->safe_psql($db, q{
CREATE ROLE fuzz LOGIN;
SELECT stream.grant('create', '*', 'fuzz');
SELECT stream.grant('describe', '*', 'fuzz');
SELECT stream.create_stream('fuzzed', 1);
SELECT stream.grant('write', 'fuzzed', 'fuzz');
});
my ($key_id, $secret) = split /\|/, $node->safe_psql($db,
	"SELECT access_key_id || '|' || secret_access_key FROM stream.create_access_key('fuzz')");
ok( wait_until($node, $db,
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'stream http worker'", 30),
	'the HTTP worker runs');
my $worker = $node->safe_psql($db,
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'stream http worker'");

# Sends raw bytes on a new connection, closes the sending side, and returns
# the status of the answer (0 if the server answered nothing).
sub send_raw
{
	my $answer = send_raw_bytes(@_);
	return $answer =~ m{^HTTP/1\.1 (\d{3}) } ? $1 : 0;
}

# The same, returning all the server sent
sub send_raw_bytes
{
	my ($bytes) = @_;
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
	  or die "could not connect: $!";
	binmode($sock);
	local $SIG{PIPE} = 'IGNORE';
	syswrite($sock, $bytes);
	shutdown($sock, 1);
	my $answer = '';
	my $sel = IO::Select->new($sock);
	while ($sel->can_read(30))
	{
		my $n = sysread($sock, my $buf, 65536);
		last unless $n;
		$answer .= $buf;
	}
	close($sock);
	return $answer;
}

# A request for an action with a body, signed with the key (or not)
sub request
{
	my (%r) = @_;
	my $body = $r{body} // '{}';
	my $ctype = $r{ctype} // 'application/x-amz-json-1.1';
	my $amzdate = $r{date} // strftime('%Y%m%dT%H%M%SZ', gmtime);
	my %h = (
		'content-type' => $ctype,
		'host' => "localhost:$port",
		'x-amz-date' => $amzdate,
		'x-amz-target' => 'Kinesis_20131202.' . ($r{action} // 'ListStreams'));
	my $auth = '';
	my $unsigned = $r{unsigned} // '';
	if ($r{sign} // 1)
	{
		my $service = $r{service} // 'kinesis';
		my $signed = join(';', sort keys %h);
		my $creq = join("\n", 'POST', '/', '', (map { "$_:$h{$_}" } sort keys %h), '',
			$signed, sha256_hex($body));
		my $date = substr($amzdate, 0, 8);
		my $scope = "$date/us-east-1/$service/aws4_request";
		my $sts = join("\n", 'AWS4-HMAC-SHA256', $amzdate, $scope, sha256_hex($creq));
		my $k = hmac_sha256($date, "AWS4$secret");
		$k = hmac_sha256($_, $k) foreach ('us-east-1', $service, 'aws4_request');
		$auth = "Authorization: AWS4-HMAC-SHA256 Credential=$key_id/$scope, "
		  . "SignedHeaders=$signed, Signature=" . hmac_sha256_hex($sts, $k) . "\r\n";
		$auth = $r{auth} if defined $r{auth};
	}
	return "POST / HTTP/1.1\r\n"
	  . join('', map { "$_: $h{$_}\r\n" } sort keys %h)
	  . $auth . $unsigned
	  . 'Content-Length: ' . length($body) . "\r\n"
	  . ($r{keep_alive} ? '' : "Connection: close\r\n") . "\r\n" . $body;
}

my %statuses;
my $count = 0;
sub refused
{
	my ($bytes, $what) = @_;
	my $status = send_raw($bytes);
	$count++;
	$statuses{$status}++;
	ok($status >= 400 && $status < 500, "$what: answered $status")
	  or diag(substr($bytes, 0, 300));
	return;
}

sub random_bytes
{
	my ($n) = @_;
	return join('', map { chr(int(rand(256))) } 1 .. $n);
}

# a request that works, to start from
is(send_raw(request(action => 'ListStreams')), 200, 'a valid signed request is served');
my $put = request(action => 'PutRecord',
	body => '{"StreamName":"fuzzed","PartitionKey":"k","Data":"aGVsbG8="}');
is(send_raw($put), 200, 'a valid PutRecord is served');

# 1. random bytes, and requests cut short
refused(random_bytes(1 + int(rand(2000))), "random bytes ($_)") for 1 .. 35;
refused(substr($put, 0, 1 + int(rand(length($put) - 1))), "a request cut short ($_)") for 1 .. 45;
# HTTP/2 after its preface: frames of random bytes are a protocol error,
# which the server answers with a GOAWAY frame (type 7) before it closes
foreach my $i (1 .. 10)
{
	my $answer = send_raw_bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" . random_bytes(20 + int(rand(200))));
	my ($goaway, $pos) = (0, 0);
	while ($pos + 9 <= length($answer))
	{
		my ($len_hi, $len_lo, $type) = unpack('C n C', substr($answer, $pos, 4));
		$goaway = 1 if $type == 7;
		$pos += 9 + ($len_hi << 16 | $len_lo);
	}
	$count++;
	ok($goaway, "random HTTP/2 frames ($i): answered with GOAWAY");
}

# 2. broken HTTP
refused("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 'a GET');
refused("POST / HTTP/9.9\r\nHost: x\r\n\r\n", 'an unknown HTTP version');
refused("POST /\r\n\r\n", 'a request line without a version');
refused("POST / HTTP/1.1\r\nHost x\r\n\r\n", 'a header line without a colon');
refused("POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 'a negative Content-Length');
refused("POST / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n", 'a Content-Length that is no number');
refused("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef", 'two Content-Lengths');
refused("POST / HTTP/1.1\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n", 'a body of 100 GB');
refused("POST / HTTP/1.1\r\nContent-Length: 8000000\r\nConnection: close\r\n\r\n" . ('x' x 100000),
	'a body larger than 7 MiB');
refused("POST / HTTP/1.1\r\nX-Long: " . ('a' x 100000) . "\r\n\r\n", 'a header of 100 kB');
refused("POST / HTTP/1.1\r\n" . join('', map { "X-H$_: v\r\n" } 1 .. 150) . "\r\n", '150 headers');
refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n", 'a bad chunk');
refused("POST / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade, close\r\n\r\n", 'an upgrade to h2c');
refused(request(ctype => 'text/plain'), 'another content type');
refused(request(action => 'NoSuchAction'), 'an unknown action');
refused(request(action => ''), 'no action');

# 3. JSON bodies, unsigned and signed
my @valid = (
	'{"StreamName":"fuzzed","PartitionKey":"k","Data":"aGVsbG8="}',
	'{"StreamName":"fuzzed","Records":[{"Data":"eA==","PartitionKey":"a"},{"Data":"eQ==","PartitionKey":"b"}]}',
	'{"StreamName":"fuzzed","ShardId":"shardId-000000000000","ShardIteratorType":"AT_SEQUENCE_NUMBER","StartingSequenceNumber":"1"}',
	'{"ShardIterator":"AAAA","Limit":10}');
my @actions = ('PutRecord', 'PutRecords', 'GetShardIterator', 'GetRecords');
for my $i (1 .. 60)
{
	my $k = int(rand(@valid));
	my $body = $valid[$k];
	my $kind = $i % 3;
	if ($kind == 0)
	{
		$body = substr($body, 0, int(rand(length($body))));    # cut short
	}
	else
	{
		for (1 .. 1 + int(rand(4)))                            # flip bytes
		{
			substr($body, int(rand(length($body))), 1) =
			  substr('{}[]":,0aZ\\' . "\x00\xff", int(rand(13)), 1);
		}
	}
	my $status = send_raw(request(action => $actions[$k], body => $body, sign => $i % 2));
	$count++;
	$statuses{$status}++;
	# a mutation may still be a valid request, which may then succeed
	ok(($status >= 400 && $status < 500) || $status == 200,
		"a mutated JSON body ($i): answered $status") or diag($body);
}
my $deep = ('[' x 100000) . (']' x 100000);
refused(request(body => $deep), 'JSON nested 100,000 deep');
refused(request(action => 'PutRecord', body => '{"StreamName":"fuzzed","PartitionKey":"k","Data":"aGVsbG8="' . ('x' x 10) . '}'),
	'trailing garbage');
refused(request(action => 'PutRecord', body => "{\"StreamName\":\"fuzz\x00ed\",\"PartitionKey\":\"k\",\"Data\":\"eA==\"}"),
	'a NUL byte in the body');
refused(request(action => 'PutRecord', body => "{\"StreamName\":\"fuzzed\",\"PartitionKey\":\"\xff\xfe\",\"Data\":\"eA==\"}"),
	'invalid UTF-8');
refused(request(action => 'PutRecord', body => '{"StreamName":7,"PartitionKey":"k","Data":"eA=="}'),
	'a number for a string');
refused(request(action => 'PutRecord', body => '{"StreamName":"fuzzed","PartitionKey":"k","Data":"not base64!"}'),
	'data that is not base64');
refused(request(action => 'PutRecord', body => '{"StreamName":"fuzzed","PartitionKey":"k","Data":"eA==","ExplicitHashKey":"-1"}'),
	'a negative hash key');
refused(request(action => 'PutRecords', body => '{"StreamName":"fuzzed","Records":[null]}'),
	'a null record');
refused(request(action => 'PutRecords', body => '{"StreamName":"fuzzed","Records":{"a":1}}'),
	'an object for a list');
refused(request(action => 'CreateStream', body => '{"StreamName":"x","ShardCount":1e400}'),
	'a number too large for an Integer');
refused(request(action => 'CreateStream', body => '{"StreamName":"x","ShardCount":1.5}'),
	'a fraction for an Integer');
refused(request(action => 'CreateStream', body => '"just a string"'), 'a body that is no object');
refused(request(action => 'GetRecords', body => '{"ShardIterator":"' . ('A' x 600) . '"}'),
	'an iterator longer than the model allows');

# 4. CBOR bodies of random bytes
refused(request(ctype => 'application/x-amz-cbor-1.1', body => random_bytes(1 + int(rand(200)))),
	"a random CBOR body ($_)") for 1 .. 30;

# 5. signatures
refused(request(sign => 0), 'no signature');
refused(request(auth => "Authorization: AWS4-HMAC-SHA256 Credential=$key_id\r\n"), 'an incomplete signature');
refused(request(auth => "Authorization: Basic Zm9vOmJhcg==\r\n"), 'another scheme');
refused(request(service => 's3'), 'a signature for another service');
refused(request(date => strftime('%Y%m%dT%H%M%SZ', gmtime(time() - 3600))), 'a signature an hour old');
refused(request(date => '20261399T999999Z'), 'a date that is no date');
refused(request(unsigned => "X-Amz-Security-Token: forged\r\n"), 'an x-amz- header that is not signed');
like( do { my $r = request(date => strftime('%Y%m%dT%H%M%SZ', gmtime(time() - 3600)));
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port) or die;
		syswrite($s, $r); my $a = ''; while (sysread($s, my $b, 65536)) { $a .= $b } $a },
	qr/"InvalidSignatureException".*Signature expired: \d{8}T\d{6}Z is now earlier than/s,
	'an old signature is refused in Kinesis\' words');

cmp_ok($count, '>=', 200, "$count malformed requests were sent");

# Pipelined requests, in one write: each answered, in order
{
	my $two = request(action => 'ListStreams', keep_alive => 1) . $put;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port) or die;
	syswrite($s, $two);
	my ($a, $sel) = ('', IO::Select->new($s));
	while ($sel->can_read(10))
	{
		last unless sysread($s, my $b, 65536);
		$a .= $b;
		last if ($a =~ tr/\n//) > 0 && (() = $a =~ m{HTTP/1\.1 200 }g) == 2 && $a =~ /SequenceNumber/;
	}
	close($s);
	is(scalar(() = $a =~ m{HTTP/1\.1 200 }g), 2, 'two pipelined requests are both answered at once');
	like($a, qr/StreamNames.*SequenceNumber/s, 'in the order they came');
}
note('statuses: ' . join(', ', map { "$_ x$statuses{$_}" } sort keys %statuses));

# still serving, by the same process
is(send_raw($put), 200, 'a valid request is served after them');
is($node->safe_psql($db, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'stream http worker'"),
	$worker, 'by the same worker process');
is($node->safe_psql($db, "SELECT count(*) FROM stream.read('fuzzed') WHERE partition_key = 'k'") > 0,
	1, 'the records of the valid requests were written');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|was terminated|server process .* exited with exit code [^0]/,
	'no server process crashed');

$node->stop;
done_testing();
