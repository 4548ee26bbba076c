# The Kinesis endpoint with the AWS SDK for JavaScript v3 (issue 18), which
# speaks HTTP/2 (with prior knowledge over plain HTTP, by ALPN over TLS):
# test/node/driver.mjs makes the calls, one command a line, and each is
# checked against the SQL view of the same stream:
#  1. create-stream, put-record, put-records, get-shard-iterator, get-records,
#     list-shards, split-shard, merge-shards, describe-stream-summary,
#     add-tags-to-stream, register-stream-consumer, delete-stream;
#  2. SubscribeToShard: an event stream over HTTP/2 that brings the records
#     written (in SQL) after it started, in order, and ends at 5 minutes or
#     at the end of a closed shard;
#  3. records aggregated as the KPL aggregates them (aws-kinesis-agg), put
#     through the endpoint and read back de-aggregated;
#  4. a wrong secret refused; HTTPS with HTTP/2 chosen by ALPN.
# npm installs the SDK (versions pinned by test/node/package-lock.json).

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use File::Copy;
use JSON::PP;
use MIME::Base64;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;
use Time::HiRes qw(usleep time);

plan skip_all => 'node and npm are not installed'
  unless system('command -v node >/dev/null && command -v npm >/dev/null') == 0;

my $tmp = PostgreSQL::Test::Utils::tempdir;
my $node_dir = "$tmp/node";
mkdir $node_dir or die;
copy("$FindBin::RealBin/../node/$_", "$node_dir/$_") or die "copy $_: $!"
  foreach ('package.json', 'package-lock.json', 'driver.mjs');
{
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run([ 'npm', 'ci', '--no-audit', '--no-fund', '--loglevel=error' ],
		'>', \$out, '2>', \$err, init => sub { chdir $node_dir or die },
		IPC::Run::timeout(600));
	ok($ok, 'npm installs the AWS SDK for JavaScript v3 and aws-kinesis-agg') or diag($err);
}

my $http_port = PostgreSQL::Test::Cluster::get_free_port();
my $node = stream_node('endpoint_sdk',
	conf => "stream.http_port = $http_port\nstream.http_workers = 1\nstream.max_workers = 4\n");
my $db = 'postgres';
$node->safe_psql($db, q{
CREATE ROLE sdk_app LOGIN;
SELECT stream.grant('create', '*', 'sdk_app');
SELECT stream.grant('describe', '*', 'sdk_app');
});
my ($key_id, $secret) = split /\|/, $node->safe_psql($db,
	"SELECT access_key_id || '|' || secret_access_key FROM stream.create_access_key('sdk_app')");
ok( wait_until($node, $db,
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'stream http worker'", 30),
	'the HTTP worker runs');

sub sql { return $node->safe_psql($db, $_[0]); }

# A driver: node test/node/driver.mjs with a key and an endpoint
sub start_driver
{
	my ($id, $sec, $endpoint, %env) = @_;
	my %d = (in => '', out => '', err => '');
	local $ENV{AWS_ACCESS_KEY_ID} = $id;
	local $ENV{AWS_SECRET_ACCESS_KEY} = $sec;
	local $ENV{AWS_REGION} = 'us-east-1';
	local $ENV{STREAM_ENDPOINT} = $endpoint;
	local $ENV{AWS_CONFIG_FILE} = "$tmp/none";
	local $ENV{AWS_SHARED_CREDENTIALS_FILE} = "$tmp/none";
	local @ENV{ keys %env } = values %env;
	$d{h} = IPC::Run::start([ 'node', "$node_dir/driver.mjs" ],
		'<', \$d{in}, '>', \$d{out}, '2>', \$d{err},
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	return \%d;
}

# Sends a command; its answer, decoded
sub command
{
	my ($d, $cmd) = @_;
	$d->{in} .= encode_json($cmd) . "\n";
	$d->{h}->pump until $d->{out} =~ /\n/;
	$d->{out} =~ s/^(.*?)\n//;
	return decode_json($1);
}

my $sdk = start_driver($key_id, $secret, "http://localhost:$http_port");

# A call that must succeed: its output
sub call
{
	my ($op, $input) = @_;
	my $answer = command($sdk, { op => $op, input => $input // {} });
	ok(exists $answer->{ok}, "$op succeeds") or diag(explain($answer), $sdk->{err});
	return $answer->{ok};
}

is(command($sdk, { op => 'Handler' })->{ok}, 'NodeHttp2Handler',
	'the SDK sends its requests with its HTTP/2 handler');

# ---------------------------------------------------------------------
# 1. The calls, against SQL
# ---------------------------------------------------------------------
call('CreateStream', { StreamName => 'js', ShardCount => 2 });
is(sql("SELECT stream_status || ' ' || open_shard_count FROM stream.describe_stream_summary('js')"),
	'ACTIVE 2', 'CreateStream made the stream');
my $summary = call('DescribeStreamSummary', { StreamName => 'js' })->{StreamDescriptionSummary};
is("$summary->{StreamName} $summary->{StreamStatus} $summary->{OpenShardCount}", 'js ACTIVE 2',
	'DescribeStreamSummary says what SQL says');
cmp_ok(abs($summary->{StreamCreationTimestamp} - time()), '<', 60,
	'its creation time comes back as a Date');

my $put = call('PutRecord', { StreamName => 'js', PartitionKey => 'k1',
	Data => encode_base64('from the SDK', '') });
is( sql("SELECT shard_id || ' ' || sequence_number || ' ' || convert_from(data, 'UTF8') "
		  . "FROM stream.read('js') WHERE partition_key = 'k1'"),
	"$put->{ShardId} $put->{SequenceNumber} from the SDK", 'PutRecord wrote the record SQL reads');

my $puts = call('PutRecords', { StreamName => 'js', Records => [
	map { { PartitionKey => "key$_", Data => encode_base64("record $_", '') } } 1 .. 20 ] });
is($puts->{FailedRecordCount}, 0, 'PutRecords: no record failed');
is( join(',', map { "$_->{ShardId}/$_->{SequenceNumber}" } @{ $puts->{Records} }),
	sql("SELECT string_agg(shard_id || '/' || sequence_number, ',' ORDER BY "
		  . "substr(convert_from(data, 'UTF8'), 8)::int) FROM stream.read('js') "
		  . "WHERE partition_key LIKE 'key%'"),
	'PutRecords answered each record\'s shard and sequence number, in order');

foreach my $shard ('shardId-000000000000', 'shardId-000000000001')
{
	my $it = call('GetShardIterator', { StreamName => 'js', ShardId => $shard,
		ShardIteratorType => 'TRIM_HORIZON' })->{ShardIterator};
	my $got = call('GetRecords', { ShardIterator => $it });
	is( join(',', map { "$_->{SequenceNumber}:$_->{PartitionKey}:" . decode_base64($_->{Data}) }
			@{ $got->{Records} }),
		sql("SELECT coalesce(string_agg(sequence_number || ':' || partition_key || ':' "
			  . "|| convert_from(data, 'UTF8'), ',' ORDER BY sequence_number), '') "
			  . "FROM stream.read('js', '$shard')"),
		"GetRecords of $shard returns the records of stream.read");
}

is( join(',', map { $_->{ShardId} } @{ call('ListShards', { StreamName => 'js' })->{Shards} }),
	sql("SELECT string_agg(shard_id, ',' ORDER BY shard_id) FROM stream.list_shards('js')"),
	'ListShards lists the shards');
call('SplitShard', { StreamName => 'js', ShardToSplit => 'shardId-000000000001',
	NewStartingHashKey => '255211775190703847597530955573826158592' });
call('MergeShards', { StreamName => 'js', ShardToMerge => 'shardId-000000000002',
	AdjacentShardToMerge => 'shardId-000000000003' });
is( sql("SELECT string_agg(shard_id || '<' || coalesce(parent_shard_id, '') || '+' "
		  . "|| coalesce(adjacent_parent_shard_id, ''), ',' ORDER BY shard_id) "
		  . "FROM stream.list_shards('js') WHERE parent_shard_id IS NOT NULL"),
	'shardId-000000000002<shardId-000000000001+,shardId-000000000003<shardId-000000000001+,'
	  . 'shardId-000000000004<shardId-000000000002+shardId-000000000003',
	'SplitShard and MergeShards resharded the stream');
is( call('DescribeStreamSummary', { StreamName => 'js' })->{StreamDescriptionSummary}{OpenShardCount},
	'2', 'DescribeStreamSummary counts the open shards');
call('AddTagsToStream', { StreamName => 'js', Tags => { env => 'test' } });
is(sql("SELECT string_agg(key || '=' || value, ',') FROM stream.list_tags_for_stream('js')"),
	'env=test', 'AddTagsToStream tagged the stream');

# the actions of newer models than Debian's AWS CLI knows: tags by ARN
call('TagResource', { ResourceARN => 'arn:aws:kinesis:local-1:000000000000:stream/js',
	Tags => { team => 'data', tier => 'gold' } });
is(sql("SELECT string_agg(key || '=' || value, ',' ORDER BY key) FROM stream.list_tags_for_stream('js')"),
	'env=test,team=data,tier=gold', 'TagResource tags the stream its ARN names');
call('UntagResource', { ResourceARN => 'arn:aws:kinesis:local-1:000000000000:stream/js',
	TagKeys => ['tier'] });
is( join(',', map { "$_->{Key}=$_->{Value}" } @{ call('ListTagsForResource', {
		ResourceARN => 'arn:aws:kinesis:local-1:000000000000:stream/js' })->{Tags} }),
	'env=test,team=data', 'UntagResource removes one, ListTagsForResource lists the rest');
call('CreateStream', { StreamName => 'js_tagged', ShardCount => 1, Tags => { owner => 'sdk' } });
is(sql("SELECT string_agg(key || '=' || value, ',') FROM stream.list_tags_for_stream('js_tagged')"),
	'owner=sdk', 'CreateStream takes Tags');
is( command($sdk, { op => 'CreateStream', input => { StreamName => 'js_big', ShardCount => 1,
			MaxRecordSizeInKiB => 10240 } })->{error},
	'InvalidArgumentException', 'but records larger than 1 MiB are refused, not promised');
is( command($sdk, { op => 'UpdateStreamWarmThroughput', input => {
			StreamARN => 'arn:aws:kinesis:local-1:000000000000:stream/js', WarmThroughputMiBps => 10 } })->{error},
	'UnknownOperationException', 'an action of the model the endpoint does not serve is UnknownOperationException');
call('DeleteStream', { StreamName => 'js_tagged' });

# ---------------------------------------------------------------------
# 2. SubscribeToShard
# ---------------------------------------------------------------------
my $consumer = call('RegisterStreamConsumer', {
	StreamARN => 'arn:aws:kinesis:local-1:000000000000:stream/js', ConsumerName => 'js-sub' })->{Consumer};
is(sql("SELECT consumer_arn FROM stream.list_stream_consumers('js')"), $consumer->{ConsumerARN},
	'RegisterStreamConsumer registered the consumer');

is( command($sdk, { op => 'TagResource', input => { ResourceARN => $consumer->{ConsumerARN},
			Tags => { team => 'data' } } })->{error},
	'InvalidArgumentException', 'consumers keep no tags: TagResource of one is refused');

# ListStreamConsumers in pages: MaxResults, then NextToken
foreach my $name ('js-a', 'js-b')
{
	call('RegisterStreamConsumer', {
		StreamARN => 'arn:aws:kinesis:local-1:000000000000:stream/js', ConsumerName => $name });
}
{
	my $page = call('ListStreamConsumers', {
		StreamARN => 'arn:aws:kinesis:local-1:000000000000:stream/js', MaxResults => 2 });
	my $rest = call('ListStreamConsumers', {
		StreamARN => 'arn:aws:kinesis:local-1:000000000000:stream/js',
		NextToken => $page->{NextToken} // '' });
	is( join(',', map { $_->{ConsumerName} } @{ $page->{Consumers} }, @{ $rest->{Consumers} }),
		'js-a,js-b,js-sub', 'ListStreamConsumers lists them by name in pages of MaxResults');
	ok(defined $page->{NextToken} && !defined $rest->{NextToken},
		'with a NextToken on the first page only');
}
is( command($sdk, { op => 'Subscribe', input => { ConsumerARN => $consumer->{ConsumerARN},
			ShardId => 'shardId-000000000000', StartingPosition => { Type => 'LATEST' } } })->{ok}{started},
	1, 'SubscribeToShard starts');
# written after it started, in SQL: the subscription brings them
sql("SELECT count(*) FROM stream.put_records('js', ARRAY(SELECT ROW(convert_to('pushed ' || i, 'UTF8'), "
	  . "'p' || i, 0)::stream.put_records_request_entry FROM generate_series(1, 30) i))");
my $events = command($sdk, { op => 'Subscribed', min => 30, timeoutMs => 20000 })->{ok};
is( join(',', map { decode_base64($_->{Data}) } @{ $events->{records} }),
	join(',', map { "pushed $_" } 1 .. 30),
	'the subscription brought the records written after it began, in order');
is( join(',', map { $_->{SequenceNumber} } @{ $events->{records} }),
	sql("SELECT string_agg(sequence_number::text, ',' ORDER BY sequence_number) "
		  . "FROM stream.read('js', 'shardId-000000000000') WHERE partition_key LIKE 'p%'"),
	'with their sequence numbers');
ok(!$events->{ended}, 'and goes on');
is($events->{continuation}, $events->{records}[-1]{SequenceNumber},
	'its continuation is the last record it brought');

# a reader whose read is revoked: the subscription ends with the exception
sql("CREATE ROLE sdk_reader LOGIN; SELECT stream.grant('read', 'js', 'sdk_reader')");
my ($reader_id, $reader_secret) = split /\|/, sql(
	"SELECT access_key_id || '|' || secret_access_key FROM stream.create_access_key('sdk_reader')");
my $revoked = start_driver($reader_id, $reader_secret, "http://localhost:$http_port");
# (as another consumer: the first one's subscription to the shard runs)
my $other_arn = sql("SELECT consumer_arn FROM stream.list_stream_consumers('js') WHERE consumer_name = 'js-a'");
is( command($revoked, { op => 'Subscribe', input => { ConsumerARN => $other_arn,
			ShardId => 'shardId-000000000000', StartingPosition => { Type => 'TRIM_HORIZON' } } })
	  ->{ok}{started}, 1, 'a role with read subscribes');
sql("SELECT stream.revoke('read', 'js', 'sdk_reader')");
my $cut = command($revoked, { op => 'Subscribed', min => 100000, timeoutMs => 10000 })->{ok};
is($cut->{ended}, 'AccessDeniedException',
	'once its read is revoked, the subscription ends with AccessDeniedException');

# a subscription to a closed shard ends at its end, with its children
call('SplitShard', { StreamName => 'js', ShardToSplit => 'shardId-000000000000',
	NewStartingHashKey => '1000' });
# the first subscription, polling the shard, comes to its end
my $first = command($sdk, { op => 'Subscribed', min => 100000, timeoutMs => 10000 })->{ok};
is($first->{ended}, 'end', 'a subscription whose shard is split ends when it reaches the shard\'s end');
my $sub2 = start_driver($key_id, $secret, "http://localhost:$http_port");
# (as a third consumer: the first one subscribed to the shard seconds ago)
my $third_arn = sql("SELECT consumer_arn FROM stream.list_stream_consumers('js') WHERE consumer_name = 'js-b'");
is( command($sub2, { op => 'Subscribe', input => { ConsumerARN => $third_arn,
			ShardId => 'shardId-000000000000', StartingPosition => { Type => 'TRIM_HORIZON' } } })
	  ->{ok}{started}, 1, 'a subscription to a closed shard starts');
my $closed = command($sub2, { op => 'Subscribed', min => 1000, timeoutMs => 20000 })->{ok};
is($closed->{ended}, 'end', 'and ends at the shard\'s end');
is(scalar(@{ $closed->{records} }),
	sql("SELECT count(*) FROM stream.read('js', 'shardId-000000000000')"),
	'having brought every record of the shard');

# one subscription of a consumer to a shard at a time, as in Kinesis: a
# second within 5 seconds of the first is refused, a later one takes over
{
	my $shard = sql("SELECT shard_id FROM stream.list_shards('js') WHERE ending_sequence_number IS NULL "
		  . "AND 170141183460469231731687303715884105728 BETWEEN starting_hash_key AND ending_hash_key");
	my %open = (ConsumerARN => $consumer->{ConsumerARN}, ShardId => $shard,
		StartingPosition => { Type => 'LATEST' });
	my $taken = start_driver($key_id, $secret, "http://localhost:$http_port");
	my $taker = start_driver($key_id, $secret, "http://localhost:$http_port");
	is(command($taken, { op => 'Subscribe', input => \%open })->{ok}{started},
		1, 'a consumer subscribes to another shard');
	is(command($taker, { op => 'Subscribe', input => \%open })->{error},
		'ResourceInUseException',
		'a second subscription to it within 5 seconds is ResourceInUseException');
	sleep 6;
	is(command($taker, { op => 'Subscribe', input => \%open })->{ok}{started},
		1, 'after 5 seconds, a second one takes the subscription over');
	# (the SDK throws the event stream's modeled exceptions without their name)
	my $ended = command($taken, { op => 'Subscribed', min => 100000, timeoutMs => 10000 })->{ok};
	is( "$ended->{ended}: $ended->{message}",
		'exception: A newer subscription of the consumer to the shard took this one over.',
		'and the first ends with the exception that says so');
	sql("SELECT count(*) FROM stream.put_records('js', ARRAY(SELECT ROW(convert_to('late ' || i, 'UTF8'), "
		  . "'l' || i, 170141183460469231731687303715884105728)::stream.put_records_request_entry "
		  . "FROM generate_series(1, 3) i))");
	is( join(',', map { decode_base64($_->{Data}) }
			@{ command($taker, { op => 'Subscribed', min => 3, timeoutMs => 10000 })->{ok}{records} }),
		'late 1,late 2,late 3', 'while the second goes on');
	$_->{h}->finish foreach ($taken, $taker);
}

# ---------------------------------------------------------------------
# 3. KPL aggregation
# ---------------------------------------------------------------------
my @users = map { { PartitionKey => "agg-" . ($_ % 3), Data => encode_base64("user record $_", '') } } 1 .. 50;
my $aggregated = command($sdk, { op => 'PutAggregated', stream => 'js', records => \@users });
ok(exists $aggregated->{ok}, 'aws-kinesis-agg puts aggregated records through the endpoint')
  or diag(explain($aggregated));
my $stored = sql("SELECT count(*) FROM stream.read('js') "
	  . "WHERE substr(data, 1, 4) = '\\xf3899ac2'::bytea");
cmp_ok($stored, '>=', 1, "the stream holds $stored aggregated record(s)");
cmp_ok($stored, '<', 50, 'fewer than the user records');
my @back;
foreach my $shard (split /\n/, sql("SELECT shard_id FROM stream.list_shards('js') ORDER BY 1"))
{
	my $it = call('GetShardIterator', { StreamName => 'js', ShardId => $shard,
		ShardIteratorType => 'TRIM_HORIZON' })->{ShardIterator};
	my $got = call('GetRecords', { ShardIterator => $it });
	my @agg = grep { substr(decode_base64($_->{Data}), 0, 4) eq "\xf3\x89\x9a\xc2" } @{ $got->{Records} };
	push @back, @{ command($sdk, { op => 'Deaggregate', records => \@agg })->{ok} } if @agg;
}
is( join(',', sort map { "$_->{PartitionKey}:" . decode_base64($_->{Data}) } @back),
	join(',', sort map { "$_->{PartitionKey}:" . decode_base64($_->{Data}) } @users),
	'read back and de-aggregated, they are the user records, each once');

# ---------------------------------------------------------------------
# 4. Refusals, HTTPS with ALPN
# ---------------------------------------------------------------------
my $wrong = start_driver($key_id, 'x' x 40, "http://localhost:$http_port");
my $refused = command($wrong, { op => 'ListStreams', input => {} });
is($refused->{error}, 'InvalidSignatureException', 'a wrong secret is InvalidSignatureException');
is($refused->{status}, 400, 'with HTTP 400');

localhost_certificate($tmp);
my $offset = -s $node->logfile;
$node->append_conf('postgresql.conf',
	"stream.http_tls_cert_file = '$tmp/server.crt'\nstream.http_tls_key_file = '$tmp/server.key'\n");
$node->reload;
$node->wait_for_log(qr/Kinesis endpoint listens on port $http_port of "localhost" \(HTTPS\)/, $offset);
my $tls = start_driver($key_id, $secret, "https://localhost:$http_port",
	NODE_EXTRA_CA_CERTS => "$tmp/ca.crt");
my $worker = sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'stream http worker'");
my $listed = command($tls, { op => 'ListStreams', input => {} });
is(join(',', @{ $listed->{ok}{StreamNames} // [] }), 'js',
	'over HTTPS (h2 by ALPN) the SDK lists the stream') or diag(explain($listed));

# (the plain-HTTP driver's connection went with the workers' restart)
my $deleted = command($tls, { op => 'DeleteStream', input => { StreamName => 'js',
		EnforceConsumerDeletion => JSON::PP::true } });
ok(exists $deleted->{ok}, 'DeleteStream succeeds') or diag(explain($deleted));
is(sql("SELECT count(*) FROM stream.list_streams() WHERE stream_name = 'js'"), '0',
	'DeleteStream deleted the stream');

$_->{h}->finish foreach ($sdk, $sub2, $revoked, $wrong, $tls);
is(sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'stream http worker'"), $worker,
	'the HTTP worker that served them still runs');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|was terminated|"stream http worker" \(PID \d+\) exited with exit code [^0]/,
	'no server process crashed or failed');
$node->stop;
done_testing();
