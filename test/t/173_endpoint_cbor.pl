# The Kinesis endpoint in CBOR (issue 18), the Java SDKs' default: requests
# in application/x-amz-cbor-1.1 (test/cbor/client.py encodes them and signs
# them with botocore, from Debian's awscli), answered in CBOR: Data as byte
# strings both ways, timestamps in epoch milliseconds (tagged or not in a
# request, integers in an answer), errors as CBOR maps with __type, and
# malformed CBOR refused with SerializationException.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use JSON::PP;
use MIME::Base64;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;

plan skip_all => "Debian's awscli (its botocore signs the requests) is not installed"
  unless -d '/usr/lib/python3/dist-packages/awscli/botocore';

my $port = PostgreSQL::Test::Cluster::get_free_port();
my $node = stream_node('endpoint_cbor',
	conf => "stream.http_port = $port\nstream.http_workers = 1\nstream.max_workers = 4\n");
my $db = 'postgres';
$node->safe_psql($db, q{
CREATE ROLE cbor_app LOGIN;
SELECT stream.grant('create', '*', 'cbor_app');
SELECT stream.grant('describe', '*', 'cbor_app');
SET ROLE cbor_app;
SELECT stream.create_stream('cbor', 1);
});
my ($id, $secret) = split /\|/, $node->safe_psql($db,
	"SELECT access_key_id || '|' || secret_access_key FROM stream.create_access_key('cbor_app')");
ok( wait_until($node, $db,
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'stream http worker'", 30),
	'the HTTP worker runs');

my ($out, $err) = ('', '');
IPC::Run::run([ 'python3', "$FindBin::RealBin/../cbor/client.py", "http://localhost:$port",
		$id, $secret, 'cbor' ], '>', \$out, '2>', \$err,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default))
  or diag($err);
my $r = decode_json($out);
my $cbor = 'application/x-amz-cbor-1.1';

is("$r->{put}{status} $r->{put}{type}", "200 $cbor", 'PutRecord in CBOR is answered in CBOR');
is( $node->safe_psql($db, "SELECT sequence_number || ' ' || encode(data, 'hex') FROM stream.read('cbor') "
		  . "WHERE partition_key = 'cbor'"),
	"$r->{put}{body}{SequenceNumber} 0001feff62696e617279",
	'its Data, a byte string, was stored as those bytes');
my $record = $r->{get}{body}{Records}[0];
is(decode_base64($record->{Data}{bytes} // ''), "\x00\x01\xfe\xffbinary",
	'GetRecords answers Data as a byte string');
like($record->{ApproximateArrivalTimestamp}, qr/^\d{13}$/,
	'and the arrival time as integer milliseconds');
cmp_ok(abs($record->{ApproximateArrivalTimestamp} - $r->{now_ms}), '<', 60000, 'of now');
like($r->{summary}{body}{StreamDescriptionSummary}{StreamCreationTimestamp}, qr/^\d{13}$/,
	'the stream\'s creation time too');
is($r->{at_tagged}{status}, 200, 'a timestamp in a request may be tag 1 and milliseconds');
is($r->{at_untagged}{status}, 200, 'or untagged milliseconds, as the Java SDK v2 sends it');
is( "$r->{missing}{status} $r->{missing}{type} $r->{missing}{body}{__type}",
	"400 $cbor ResourceNotFoundException", 'an error is a CBOR map with __type');
like($r->{invalid}{body}{message},
	qr/^2 validation errors detected: Value 'bad name!' at 'streamName'/,
	'a request\'s shape is checked as for JSON');
is("$r->{malformed}{status} $r->{malformed}{body}{__type}", '400 SerializationException',
	'malformed CBOR is a SerializationException');
is("$r->{not_a_map}{status} $r->{not_a_map}{body}{__type}", '400 SerializationException',
	'and so is CBOR that is not a map');

$node->stop;
done_testing();
