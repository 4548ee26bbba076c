# The Kinesis endpoint with the AWS CLI (issue 18): Debian's awscli (v2)
# pointed at the extension's HTTP workers with --endpoint-url, signing with
# an access key made by stream.create_access_key, does what the SQL API
# does, and each call is checked against the SQL view of the same stream:
#  1. create-stream, put-record, put-records, get-shard-iterator,
#     get-records, list-shards, split-shard, merge-shards,
#     describe-stream-summary, add-tags-to-stream, register-stream-consumer,
#     delete-stream;
#  2. refusals: a wrong secret, an unknown key, a deleted key, a role
#     without the privilege, Kinesis' validation messages;
#  3. HTTPS once stream.http_tls_cert_file and _key_file are set (the
#     workers start anew on reload), with the CLI checking the certificate;
#  4. the HTTP workers count in stream.max_workers, a worker killed is
#     started again, and DROP DATABASE is not blocked by them.

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
use Time::HiRes qw(usleep time);

my $aws = '/usr/bin/aws';
plan skip_all => "Debian's awscli is not installed" unless -x $aws;

my $http_port = PostgreSQL::Test::Cluster::get_free_port();
my $node = stream_node('endpoint_cli',
	conf => "stream.http_port = $http_port\nstream.http_workers = 2\n"
	  . "stream.max_workers = 6\nmax_worker_processes = 16\n");
my $db = 'postgres';
my $tmp = PostgreSQL::Test::Utils::tempdir;

$node->safe_psql($db, q{
CREATE ROLE cli_admin LOGIN;
CREATE ROLE cli_writer LOGIN;
SELECT stream.grant('create', '*', 'cli_admin');
});

# A key for a role, as its member (here the superuser) makes it
sub new_key
{
	my ($role) = @_;
	my ($id, $secret) = split /\|/,
	  $node->safe_psql($db, "SELECT access_key_id || '|' || secret_access_key "
		  . "FROM stream.create_access_key('$role')");
	return { id => $id, secret => $secret };
}
my $admin = new_key('cli_admin');
like($admin->{id}, qr/^AKIA[A-Z2-7]{16}$/, 'an access key id looks like AWS\'s');
like($admin->{secret}, qr/^[A-Za-z0-9]{40}$/, 'its secret is 40 letters and digits');
is($node->safe_psql($db, "SELECT count(*) FROM stream_internal.access_keys "
		. "WHERE position(convert_to('$admin->{secret}', 'UTF8') IN secret) > 0"),
	'0', 'the secret is not stored in the clear');

my $scheme = 'http';
my @ca_bundle;
my $config = "$tmp/aws_config";
open(my $fh, '>', $config) or die;
# the server's checks, not the CLI's, are what part 2 tests; timestamps as
# the server sent them
print $fh "[default]\nparameter_validation = false\nretry_mode = standard\n"
  . "max_attempts = 1\ncli_timestamp_format = wire\n";
close($fh);

# Runs "aws kinesis @args" with a key; returns (exit code, stdout as
# decoded JSON or text, stderr)
sub aws
{
	my ($key, @args) = @_;
	my ($out, $err) = ('', '');
	local $ENV{AWS_ACCESS_KEY_ID} = $key->{id};
	local $ENV{AWS_SECRET_ACCESS_KEY} = $key->{secret};
	local $ENV{AWS_DEFAULT_REGION} = 'us-east-1';
	local $ENV{AWS_CONFIG_FILE} = $config;
	local $ENV{AWS_SHARED_CREDENTIALS_FILE} = "$tmp/none";
	local $ENV{AWS_PAGER} = '';
	local $ENV{HOME} = $tmp;
	IPC::Run::run([ $aws, '--endpoint-url', "$scheme://localhost:$http_port",
			@ca_bundle, '--output', 'json', 'kinesis', @args ],
		'>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	my $rc = $? >> 8;
	my $json = ($rc == 0 && $out =~ /^\s*[\{\[]/) ? decode_json($out) : $out;
	return ($rc, $json, $err);
}

# The same, failing the test if it fails
sub aws_ok
{
	my ($key, @args) = @_;
	my ($rc, $json, $err) = aws($key, @args);
	is($rc, 0, "aws kinesis $args[0] succeeds") or diag($err);
	return $json;
}

sub sql { return $node->safe_psql($db, $_[0]); }

# The workers listen once the launcher has started them.
ok( wait_until($node, $db,
		"SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type = 'stream http worker'", 30),
	'two HTTP workers run');

# ---------------------------------------------------------------------
# 1. Every call, against the SQL view of the same stream
# ---------------------------------------------------------------------
aws_ok($admin, 'create-stream', '--stream-name', 'cli', '--shard-count', '2');
is( sql("SELECT stream_status || ' ' || open_shard_count || ' ' || stream_arn "
		  . "FROM stream.describe_stream_summary('cli')"),
	'ACTIVE 2 arn:aws:kinesis:local-1:000000000000:stream/cli',
	'create-stream made the stream, with two shards');
is(sql("SELECT count(*) > 0 FROM stream.privileges('cli') WHERE role = 'cli_admin'::regrole"),
	't', 'the key\'s role holds privileges on it');

my $summary = aws_ok($admin, 'describe-stream-summary', '--stream-name', 'cli')
  ->{StreamDescriptionSummary};
is( join(' ', map { $summary->{$_} } qw(StreamName StreamStatus OpenShardCount RetentionPeriodHours)),
	'cli ACTIVE 2 24', 'describe-stream-summary says what SQL says');
is( sprintf('%.3f', $summary->{StreamCreationTimestamp}),
	sql("SELECT round(extract(epoch FROM stream_creation_timestamp), 3) "
		  . "FROM stream.describe_stream_summary('cli')"),
	'its creation time is epoch seconds');

# now() is the request's: two streams made two seconds apart say so
sleep 2;
aws_ok($admin, 'create-stream', '--stream-name', 'later', '--shard-count', '1');
cmp_ok(sql("SELECT extract(epoch FROM (SELECT stream_creation_timestamp FROM stream.describe_stream_summary('later'))
			   - (SELECT stream_creation_timestamp FROM stream.describe_stream_summary('cli')))"),
	'>', 1, 'each request has its own now(), not the worker\'s start');
sql("SELECT stream.delete_stream('later')");

# put-record: the CLI takes --data as base64
my $put = aws_ok($admin, 'put-record', '--stream-name', 'cli', '--partition-key', 'k1',
	'--data', encode_base64('first record', ''));
is( sql("SELECT shard_id || ' ' || sequence_number || ' ' || partition_key || ' ' "
		  . "|| convert_from(data, 'UTF8') FROM stream.read('cli')"),
	"$put->{ShardId} $put->{SequenceNumber} k1 first record",
	'put-record wrote the record SQL reads, with the shard and sequence number it answered');

my $puts = aws_ok($admin, 'put-records', '--stream-name', 'cli', '--records',
	map { "Data=" . encode_base64("record $_", '') . ",PartitionKey=key$_" } 1 .. 5);
is($puts->{FailedRecordCount}, 0, 'put-records: no record failed');
is( join(',', map { "$_->{ShardId}/$_->{SequenceNumber}" } @{ $puts->{Records} }),
	sql("SELECT string_agg(shard_id || '/' || sequence_number, ',' ORDER BY "
		  . "substr(convert_from(data, 'UTF8'), 8)::int) FROM stream.read('cli') "
		  . "WHERE partition_key LIKE 'key%'"),
	'put-records answered each record\'s shard and sequence number, in order');

# get-shard-iterator and get-records read what SQL reads, shard by shard
foreach my $shard ('shardId-000000000000', 'shardId-000000000001')
{
	my $it = aws_ok($admin, 'get-shard-iterator', '--stream-name', 'cli', '--shard-id', $shard,
		'--shard-iterator-type', 'TRIM_HORIZON')->{ShardIterator};
	my $got = aws_ok($admin, 'get-records', '--shard-iterator', $it);
	is( join(',', map { "$_->{SequenceNumber}:$_->{PartitionKey}:" . decode_base64($_->{Data}) }
			@{ $got->{Records} }),
		sql("SELECT coalesce(string_agg(sequence_number || ':' || partition_key || ':' "
			  . "|| convert_from(data, 'UTF8'), ',' ORDER BY sequence_number), '') "
			  . "FROM stream.read('cli', '$shard')"),
		"get-records of $shard returns the records of stream.read, in order");
	ok(!grep({ exists $_->{EncryptionType} } @{ $got->{Records} }),
		"get-records of $shard: records written in the clear have no EncryptionType");
	is($got->{MillisBehindLatest}, 0, "get-records of $shard: caught up");
	ok(defined $got->{NextShardIterator}, "get-records of $shard: an open shard has a next iterator");
	my $arrival = $got->{Records}[0]{ApproximateArrivalTimestamp} // 0;
	cmp_ok(abs($arrival - time()), '<', 600,
		"get-records of $shard: arrival timestamps are epoch seconds") if @{ $got->{Records} };
}

# list-shards, split-shard, merge-shards
sub shard_ids
{
	my $json = aws_ok($admin, 'list-shards', '--stream-name', 'cli');
	return join(',', map { $_->{ShardId} } @{ $json->{Shards} });
}
is(shard_ids(), sql("SELECT string_agg(shard_id, ',' ORDER BY shard_id) FROM stream.list_shards('cli')"),
	'list-shards lists the shards of stream.list_shards');
aws_ok($admin, 'split-shard', '--stream-name', 'cli', '--shard-to-split', 'shardId-000000000000',
	'--new-starting-hash-key', '85070591730234615865843651857942052864');
is( sql("SELECT string_agg(shard_id || '<' || coalesce(parent_shard_id, ''), ',' ORDER BY shard_id) "
		  . "FROM stream.list_shards('cli') WHERE parent_shard_id IS NOT NULL"),
	'shardId-000000000002<shardId-000000000000,shardId-000000000003<shardId-000000000000',
	'split-shard made two children of shard 0');
aws_ok($admin, 'merge-shards', '--stream-name', 'cli', '--shard-to-merge', 'shardId-000000000002',
	'--adjacent-shard-to-merge', 'shardId-000000000003');
is( sql("SELECT shard_id || '<' || parent_shard_id || '+' || adjacent_parent_shard_id "
		  . "FROM stream.list_shards('cli') WHERE adjacent_parent_shard_id IS NOT NULL"),
	'shardId-000000000004<shardId-000000000002+shardId-000000000003',
	'merge-shards made one shard of the two');
is(shard_ids(), sql("SELECT string_agg(shard_id, ',' ORDER BY shard_id) FROM stream.list_shards('cli')"),
	'list-shards lists the new shards too');
is( aws_ok($admin, 'describe-stream-summary', '--stream-name', 'cli')
	  ->{StreamDescriptionSummary}{OpenShardCount},
	sql("SELECT open_shard_count FROM stream.describe_stream_summary('cli')"),
	'describe-stream-summary counts the open shards as SQL does');

# a closed shard read to its end: no next iterator, its children named
{
	my $it = aws_ok($admin, 'get-shard-iterator', '--stream-name', 'cli', '--shard-id',
		'shardId-000000000000', '--shard-iterator-type', 'TRIM_HORIZON')->{ShardIterator};
	my $got = aws_ok($admin, 'get-records', '--shard-iterator', $it);
	ok(!exists $got->{NextShardIterator}, 'a closed shard read to its end has no next iterator');
	is(join(',', sort map { $_->{ShardId} } @{ $got->{ChildShards} // [] }),
		'shardId-000000000002,shardId-000000000003', 'and names its children');
}

# tags
aws_ok($admin, 'add-tags-to-stream', '--stream-name', 'cli', '--tags', 'env=test,team=data');
is(sql("SELECT string_agg(key || '=' || value, ',' ORDER BY key) FROM stream.list_tags_for_stream('cli')"),
	'env=test,team=data', 'add-tags-to-stream tagged the stream');
is( join(',', map { "$_->{Key}=$_->{Value}" }
		@{ aws_ok($admin, 'list-tags-for-stream', '--stream-name', 'cli')->{Tags} }),
	'env=test,team=data', 'list-tags-for-stream lists them');

# consumers, by the stream's ARN
my $arn = 'arn:aws:kinesis:local-1:000000000000:stream/cli';
my $consumer = aws_ok($admin, 'register-stream-consumer', '--stream-arn', $arn,
	'--consumer-name', 'cli-reader')->{Consumer};
is( "$consumer->{ConsumerName} $consumer->{ConsumerARN}",
	sql("SELECT consumer_name || ' ' || consumer_arn FROM stream.list_stream_consumers('cli')"),
	'register-stream-consumer registered the consumer SQL lists, with its ARN');
my $described = aws_ok($admin, 'describe-stream-consumer', '--consumer-arn',
	$consumer->{ConsumerARN})->{ConsumerDescription};
is("$described->{ConsumerName} $described->{StreamARN}", "cli-reader $arn",
	'describe-stream-consumer finds it by its ARN');
is( join(',', map { $_->{ConsumerName} }
		@{ aws_ok($admin, 'list-stream-consumers', '--stream-arn', $arn)->{Consumers} }),
	'cli-reader', 'list-stream-consumers lists it');

# encryption: PutRecords says the stream's, GetRecords each record's (a
# record written in the clear has no EncryptionType, as Kinesis shows them)
is($puts->{EncryptionType}, 'NONE', 'put-records says the records were not encrypted');
sql("SELECT key_id FROM stream.create_key('cli')");
aws_ok($admin, 'start-stream-encryption', '--stream-name', 'cli', '--encryption-type', 'KMS',
	'--key-id', 'alias/cli');
is(sql("SELECT encryption_type FROM stream.describe_stream_summary('cli')"), 'KMS',
	'start-stream-encryption encrypts the stream');
my $sealed = aws_ok($admin, 'put-records', '--stream-name', 'cli', '--records',
	'Data=' . encode_base64('sealed', '') . ',PartitionKey=sealed');
is($sealed->{EncryptionType}, 'KMS', 'put-records then says KMS');
{
	my $it = aws_ok($admin, 'get-shard-iterator', '--stream-name', 'cli', '--shard-id',
		$sealed->{Records}[0]{ShardId}, '--shard-iterator-type', 'TRIM_HORIZON')->{ShardIterator};
	my $got = aws_ok($admin, 'get-records', '--shard-iterator', $it);
	is( join(',', map { ($_->{EncryptionType} // '-') . ':' . decode_base64($_->{Data}) }
			@{ $got->{Records} }),
		sql("SELECT string_agg(CASE WHEN partition_key = 'sealed' THEN 'KMS' ELSE '-' END || ':' "
			  . "|| convert_from(data, 'UTF8'), ',' ORDER BY sequence_number) "
			  . "FROM stream.read('cli', '$sealed->{Records}[0]{ShardId}')"),
		'get-records says KMS of the record written encrypted, nothing of the others');
}
aws_ok($admin, 'stop-stream-encryption', '--stream-name', 'cli', '--encryption-type', 'KMS',
	'--key-id', 'alias/cli');

# enhanced monitoring: the metrics before and after, and the stream's ARN
{
	my $on = aws_ok($admin, 'enable-enhanced-monitoring', '--stream-name', 'cli',
		'--shard-level-metrics', 'IncomingBytes', 'OutgoingRecords');
	is( join(' ', $on->{StreamName}, $on->{StreamARN}, join(',', @{ $on->{CurrentShardLevelMetrics} }),
			join(',', sort @{ $on->{DesiredShardLevelMetrics} })),
		"cli $arn  IncomingBytes,OutgoingRecords",
		'enable-enhanced-monitoring answers the metrics before and after, and the stream\'s ARN');
	is(sql("SELECT string_agg(m, ',' ORDER BY m) FROM stream.describe_stream_summary('cli'), "
			  . "unnest(shard_level_metrics) m"),
		'IncomingBytes,OutgoingRecords', 'and counts them per shard from then on');
	my $off = aws_ok($admin, 'disable-enhanced-monitoring', '--stream-name', 'cli',
		'--shard-level-metrics', 'IncomingBytes');
	is( join(' ', join(',', sort @{ $off->{CurrentShardLevelMetrics} }),
			join(',', @{ $off->{DesiredShardLevelMetrics} })),
		'IncomingBytes,OutgoingRecords OutgoingRecords', 'disable-enhanced-monitoring too');
}

# ---------------------------------------------------------------------
# 2. Refusals
# ---------------------------------------------------------------------
my ($rc, $json, $err) = aws({ id => $admin->{id}, secret => 'x' x 40 }, 'list-streams');
like($err, qr/\(InvalidSignatureException\).*does not match the signature/,
	'a wrong secret is InvalidSignatureException');
($rc, $json, $err) = aws({ id => 'AKIAAAAAAAAAAAAAAAAA', secret => $admin->{secret} }, 'list-streams');
like($err, qr/\(UnrecognizedClientException\).*security token included in the request is invalid/,
	'an unknown key is UnrecognizedClientException');

# a role with write only: puts, and may not read or describe
my $writer = new_key('cli_writer');
sql("SELECT stream.grant('write', 'cli', 'cli_writer')");
aws_ok($writer, 'put-record', '--stream-name', 'cli', '--partition-key', 'w',
	'--data', encode_base64('by the writer', ''));
is(sql("SELECT count(*) FROM stream.read('cli') WHERE partition_key = 'w'"), '1',
	'a role with write puts through the endpoint');
($rc, $json, $err) = aws($writer, 'get-shard-iterator', '--stream-name', 'cli', '--shard-id',
	'shardId-000000000001', '--shard-iterator-type', 'TRIM_HORIZON');
like($err, qr/\(AccessDeniedException\).*role "cli_writer" is not authorized to perform kinesis:GetShardIterator on stream "cli"/,
	'a role without read is AccessDeniedException, in Kinesis\' words');
($rc, $json, $err) = aws($writer, 'delete-stream', '--stream-name', 'cli');
like($err, qr/\(AccessDeniedException\)/, 'and may not delete the stream');

# a role may not make keys for a role it is not a member of
my ($ok, $stderr);
$node->psql($db, "SET log_min_messages = fatal; SET ROLE cli_writer; "
	  . "SELECT stream.create_access_key('cli_admin')",
	stderr => \$stderr);
like($stderr, qr/role "cli_writer" may not create access keys for role "cli_admin"/,
	'a role makes keys only for roles it is a member of');
is( $node->safe_psql($db, "SET ROLE cli_writer; SELECT count(*) FROM stream.list_access_keys()"),
	'1', 'and lists only its own keys');

# a key stands only for what a session of its role could do now
{
	$node->safe_psql($db, q{
CREATE ROLE cli_team;
CREATE ROLE cli_member LOGIN IN ROLE cli_team;
ALTER ROLE cli_team LOGIN;
SELECT stream.grant('describe', '*', 'cli_team');
});
	my $team;
	($team->{id}, $team->{secret}) = split /\|/, $node->safe_psql($db,
		"SET ROLE cli_member; SELECT access_key_id || '|' || secret_access_key "
		  . "FROM stream.create_access_key('cli_team')");
	aws_ok($team, 'list-streams');
	sql('REVOKE cli_team FROM cli_member');
	($rc, $json, $err) = aws($team, 'list-streams');
	like($err, qr/\(UnrecognizedClientException\)/,
		'a key made by a member removed from the role is refused');
	sql('GRANT cli_team TO cli_member');
	aws_ok($team, 'list-streams');
	sql("ALTER ROLE cli_team VALID UNTIL '2000-01-01'");
	($rc, $json, $err) = aws($team, 'list-streams');
	like($err, qr/\(UnrecognizedClientException\)/, 'a role past VALID UNTIL is refused');
	sql("ALTER ROLE cli_team VALID UNTIL 'infinity'");
	sql('REVOKE CONNECT ON DATABASE postgres FROM PUBLIC; GRANT CONNECT ON DATABASE postgres TO cli_admin, cli_writer');
	($rc, $json, $err) = aws($team, 'list-streams');
	like($err, qr/\(UnrecognizedClientException\)/, 'a role without CONNECT on the database is refused');
	sql('GRANT CONNECT ON DATABASE postgres TO PUBLIC');
	sql('ALTER ROLE cli_team NOLOGIN');
	($rc, $json, $err) = aws($team, 'list-streams');
	like($err, qr/\(UnrecognizedClientException\)/, 'a role that cannot log in is refused');
	sql('DROP ROLE cli_member');
	sql("SELECT stream.revoke('describe', '*', 'cli_team')");
	sql('DROP ROLE cli_team');
	sql('CALL stream.run_maintenance()');
	is(sql("SELECT count(*) FROM stream_internal.access_keys WHERE access_key_id = '$team->{id}'"),
		'0', 'the keys of a dropped role go at the next maintenance pass');
}

# a deleted key is refused at once
$node->safe_psql($db, "SET ROLE cli_writer; SELECT stream.delete_access_key('$writer->{id}')");
($rc, $json, $err) = aws($writer, 'put-record', '--stream-name', 'cli', '--partition-key', 'w',
	'--data', 'eA==');
like($err, qr/\(UnrecognizedClientException\)/, 'a deleted key is refused');

# Kinesis' validation messages (the CLI's own checks are off)
($rc, $json, $err) = aws($admin, 'create-stream', '--stream-name', 'bad name!', '--shard-count', '0');
like( $err,
	qr/\(ValidationException\).*2 validation errors detected: Value 'bad name!' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: \[a-zA-Z0-9_.-\]\+; Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1/,
	'a bad request gets every validation error, in Kinesis\' words');
($rc, $json, $err) = aws($admin, 'put-records', '--stream-name', 'cli', '--records', '[]');
like($err, qr/Value '\[\]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1/,
	'put-records without records is a validation error');
($rc, $json, $err) = aws($admin, 'delete-stream', '--stream-name', 'nope');
like($err, qr/\(AccessDeniedException\).*on stream "nope"/,
	'a stream that does not exist is AccessDeniedException to a role without privileges on every stream');
sql("SELECT stream.grant('describe', '*', 'cli_admin')");
($rc, $json, $err) = aws($admin, 'describe-stream-summary', '--stream-name', 'nope');
like($err, qr/\(ResourceNotFoundException\).*stream "nope" does not exist/,
	'and ResourceNotFoundException to one that may describe every stream');
($rc, $json, $err) = aws($admin, 'get-records', '--shard-iterator', 'AAAA');
like($err, qr/\(InvalidArgumentException\)/, 'a forged iterator is InvalidArgumentException');
is(sql("SELECT count(*) FROM stream.list_streams() WHERE stream_name = 'bad name!'"), '0',
	'a refused request left nothing behind');

# ---------------------------------------------------------------------
# 3. HTTPS
# ---------------------------------------------------------------------
localhost_certificate($tmp);
$node->append_conf('postgresql.conf',
	"stream.http_tls_cert_file = '$tmp/server.crt'\nstream.http_tls_key_file = '$tmp/server.key'\n");
my $offset = -s $node->logfile;
my $old_pids = join(',', split(/\n/,
		sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'stream http worker'")));
$node->reload;
ok( wait_until($node, $db, "SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type = "
		  . "'stream http worker' AND pid NOT IN ($old_pids)", 60),
	'the workers start anew when the TLS settings change');
$node->wait_for_log(qr/Kinesis endpoint listens on port $http_port of "localhost" \(HTTPS\)/, $offset);
$scheme = 'https';
@ca_bundle = ('--ca-bundle', "$tmp/ca.crt");
is( join(',', @{ aws_ok($admin, 'list-streams')->{StreamNames} }), 'cli',
	'over HTTPS, with the certificate checked, the CLI lists the stream');
@ca_bundle = ();
($rc, $json, $err) = aws($admin, 'list-streams');
like($err, qr/SSL|certificate/i, 'a client that does not trust the certificate is refused');
@ca_bundle = ('--ca-bundle', "$tmp/ca.crt");

aws_ok($admin, 'delete-stream', '--stream-name', 'cli', '--enforce-consumer-deletion');
is(sql("SELECT count(*) FROM stream.list_streams() WHERE stream_name = 'cli'"), '0',
	'delete-stream deleted the stream');

# ---------------------------------------------------------------------
# 4. Workers: restarted when killed, out of the way of DROP DATABASE
# ---------------------------------------------------------------------
my @pids = split /\n/, sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'stream http worker'");
kill 'TERM', $pids[0];
ok( wait_until($node, $db, "SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type = "
		  . "'stream http worker' AND pid <> $pids[0]", 60),
	'a worker that was terminated is started again');
is(scalar(@{ aws_ok($admin, 'list-streams')->{StreamNames} }), 0, 'and the endpoint serves');

# the endpoint in another database, which is then dropped
$node->safe_psql($db, 'CREATE DATABASE kinesis_db');
$node->safe_psql('kinesis_db', 'CREATE EXTENSION stream');
$node->append_conf('postgresql.conf', "stream.http_database = 'kinesis_db'\n");
$node->reload;
ok( wait_until($node, $db, "SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type = "
		  . "'stream http worker' AND datname = 'kinesis_db'", 60),
	'stream.http_database moves the workers to another database');
my $start = time();
$node->safe_psql($db, 'DROP DATABASE kinesis_db');
cmp_ok(time() - $start, '<', 20, 'DROP DATABASE is not blocked by the HTTP workers');

no_errors_logged($node);
$node->stop;
done_testing();
