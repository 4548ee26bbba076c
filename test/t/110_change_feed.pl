# The change feed (issue 14): the records of a stream whose feed is on reach
# logical decoding as transactional messages with the prefix "stream".
#
#  1. pg_recvlogical with test_decoding, wal2json (format 2) and pgoutput
#     (proto_version 1, messages true) decodes, while it happens, the work of
#     four producers in overlapping transactions on a stream of four shards:
#     records with NUL and non-UTF-8 bytes, keys with characters JSON must
#     escape, a record larger than a page, a put_records batch that fills
#     several pages of a shard, a subtransaction rolled back and one
#     released; the third producer rolls back, the others commit in an order
#     the test sets.  Each plugin's output carries every committed record
#     exactly once, as stream.read returns it (shard, sequence number,
#     arrival, key, data), nothing rolled back, one transaction per producer
#     in commit order, each shard's records in increasing sequence numbers
#     within it; a record larger than a page is alone in its message.  Every
#     message is decoded both by JSON::PP and by stream.decode_feed_message,
#     which agree.
#  2. While producers write, the pg_recvlogical of a pgoutput slot is killed
#     and started again, then the server is killed (SIGKILL) and started
#     again, and a new pg_recvlogical goes on from the slot: every committed
#     record has been received at least once (duplicates, recognised by
#     sequence number, are identical), nothing else, and nothing confirmed
#     before the last checkpoint is received again.
#  3. A stream whose feed is off, written in the same transactions as a
#     table: test_decoding shows the table's changes and no stream message;
#     after set_change_feed(true) the records come, in the transaction of
#     the table's change, also from a session that was open all along;
#     set_change_feed waits for a writer in progress; after
#     set_change_feed(false) they stop.
#  4. A slot of another database gets no stream message.
#  5. An encrypted stream with the feed on: a superuser decodes the records
#     in plaintext, marked "EncryptionType":"KMS"; a role with REPLICATION
#     but without read on the stream gets them without partition key and
#     data, both through the SQL functions and through pg_recvlogical, and
#     the plaintext is nowhere in what it gets; once granted read, it gets
#     the plaintext.
#
# All on one server, in the order 1, 3, 4, 5, 2: the last kills it.

use strict;
use warnings;

use Encode qw(encode_utf8);
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use JSON::PP;
use MIME::Base64 qw(decode_base64 encode_base64);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;
use Time::HiRes qw(time usleep);

# logical_decoding_work_mem at its minimum, so that the reorder buffer
# spills transactions to disk and the messages are read back from there.
my $node = stream_node(
	'feed',
	init => { allows_streaming => 'logical' },
	conf => q{
max_connections = 40
shared_buffers = 32MB
max_wal_senders = 10
max_replication_slots = 16
logical_decoding_work_mem = 64kB
});
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $timeout = $PostgreSQL::Test::Utils::timeout_default;

# This PostgreSQL 15 restricts the plugins slots may name to its setting
# output_plugin_libraries (API.md); wal2json must be added there (a list,
# each name its own element).
if ($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_settings WHERE name = 'output_plugin_libraries'") eq '1')
{
	$node->safe_psql('postgres',
		"ALTER SYSTEM SET output_plugin_libraries = pgoutput, test_decoding, wal2json");
	$node->reload;
	wait_until($node, 'postgres',
		"SELECT current_setting('output_plugin_libraries') LIKE '%wal2json%'", $timeout)
	  or die 'output_plugin_libraries was not reloaded';
}

# feed_put writes a record whose data has a NUL, bytes that are not UTF-8,
# the key, a newline and a carriage return, and $3 more bytes (0xc3, not
# UTF-8 either); odd_key appends to a key a quote, a backslash, a newline,
# a tab and a control character, which JSON escapes, and an e acute, which
# it keeps as UTF-8.
$node->safe_psql(
	'postgres', q{
CREATE TABLE t (what text);
CREATE PUBLICATION pub;
CREATE FUNCTION feed_put(p_stream text, p_key text, p_pad int DEFAULT 0) RETURNS numeric
	LANGUAGE sql AS $$
	SELECT sequence_number FROM stream.put_record(p_stream, p_key,
		'\x00ff80fe'::bytea || convert_to(p_key, 'UTF8') || '\x0a0d00'::bytea
		|| decode(repeat('c3', p_pad), 'hex'))
$$;
CREATE FUNCTION odd_key(p_key text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT p_key || '-"' || chr(92) || chr(10) || chr(9) || chr(233) || chr(1)
$$;
SELECT stream.create_stream('feed', 4);
SELECT stream.set_change_feed('feed', true);
});
is( $node->safe_psql('postgres',
		"SELECT change_feed FROM stream.describe_stream_summary('feed')"),
	't', 'describe_stream_summary shows the feed on');

# ---------------------------------------------------------------------------
# Reading what pg_recvlogical wrote.  Each parser returns the transactions
# that are whole so far, each { xid, msgs => [contents of the messages with
# the prefix stream], and LSNs where the plugin gives them }, and a list of
# what was not of the expected form.  A message or transaction still being
# written at the end of the file is left out.

sub slurp_bytes
{
	my ($file) = @_;
	return '' unless -e $file;
	open(my $fh, '<:raw', $file) or die "could not open $file: $!";
	local $/;
	my $bytes = <$fh>;
	close($fh);
	return $bytes // '';
}

# test_decoding: a line per change, "BEGIN xid", "COMMIT xid", "table ...",
# and "message: transactional: 1 prefix: stream, sz: N content:" followed by
# the N bytes of the content (read by their count, not up to a newline).
sub parse_test_decoding
{
	my ($bytes) = @_;
	my (@txns, @bad, $cur);
	my $pos = 0;
	while (1)
	{
		my $nl = index($bytes, "\n", $pos);
		last if $nl < 0;
		my $line = substr($bytes, $pos, $nl - $pos);
		if ($line =~ /^message: transactional: (\d) prefix: ([^,]*), sz: (\d+) content:/)
		{
			my ($transactional, $prefix, $size) = ($1, $2, $3);
			my $start = $pos + $+[0];
			last if $start + $size + 1 > length($bytes);
			my $content = substr($bytes, $start, $size);
			push @bad, "message of $size bytes not followed by a newline"
			  if substr($bytes, $start + $size, 1) ne "\n";
			$pos = $start + $size + 1;
			next unless $prefix eq 'stream';
			push @bad, 'a stream message not transactional' unless $transactional;
			push @bad, 'a stream message outside a transaction' unless $cur;
			push @{ $cur->{msgs} }, $content if $cur;
			next;
		}
		$pos = $nl + 1;
		if ($line =~ /^BEGIN (\d+)$/)
		{
			push @bad, "BEGIN $1 inside transaction $cur->{xid}" if $cur;
			$cur = { xid => $1, msgs => [] };
		}
		elsif ($line =~ /^COMMIT (\d+)$/)
		{
			push @bad, "COMMIT $1 not of the transaction begun"
			  unless $cur && $cur->{xid} == $1;
			push @txns, $cur if $cur;
			$cur = undef;
		}
		elsif ($line =~ /^table /)
		{
			push @bad, "a change outside a transaction: $line" unless $cur;
		}
		else
		{
			push @bad, "unexpected line: $line";
		}
	}
	return { txns => \@txns, bad => \@bad };
}

# wal2json format 2 with include-xids and include-lsn: a JSON object a line,
# {"action":"B"|"C"|"M"|"I"|...}; a message's content is a JSON string.
sub parse_wal2json
{
	my ($bytes) = @_;
	my $json = JSON::PP->new->utf8;
	my (@txns, @bad, $cur);
	my $end = rindex($bytes, "\n");
	foreach my $line (split /\n/, substr($bytes, 0, $end + 1))
	{
		my $c = eval { $json->decode($line) };
		if (!defined $c)
		{
			push @bad, "not JSON: $line";
			next;
		}
		my $action = $c->{action} // '';
		if ($action eq 'B')
		{
			push @bad, "B $c->{xid} inside transaction $cur->{xid}" if $cur;
			$cur = { xid => $c->{xid}, msgs => [] };
		}
		elsif ($action eq 'C')
		{
			push @bad, "C $c->{xid} not of the transaction begun"
			  unless $cur && $cur->{xid} == $c->{xid};
			push @txns, $cur if $cur;
			$cur = undef;
		}
		elsif ($action eq 'M')
		{
			next unless $c->{prefix} eq 'stream';
			push @bad, 'a stream message not transactional' unless $c->{transactional};
			push @bad, 'a stream message outside a transaction' unless $cur;
			push @{ $cur->{msgs} }, encode_utf8($c->{content}) if $cur;
		}
		elsif ($action =~ /^[IUDT]$/)
		{
			push @bad, "a change outside a transaction: $line" unless $cur;
		}
		else
		{
			push @bad, "unexpected action: $line";
		}
	}
	return { txns => \@txns, bad => \@bad };
}

# pgoutput, protocol 1, with a publication of no table: only Begin ('B',
# int64 final LSN, int64 commit time, int32 xid), Message ('M', int8 flags,
# 1 = transactional, int64 LSN, the prefix ending in a NUL, int32 length,
# the content) and Commit ('C', int8 flags, int64 commit LSN, int64 end
# LSN, int64 commit time).  pg_recvlogical writes each message's bytes
# followed by a newline; a message holds newline bytes of its own (in LSNs,
# times, lengths), so splitting on newlines is ambiguous.  The parser reads
# each message by its layout instead, and checks that a newline follows it.
sub parse_pgoutput
{
	my ($bytes) = @_;
	my (@txns, @bad, $cur);
	my $len = length($bytes);
	my $pos = 0;
	while ($pos < $len)
	{
		my $type = substr($bytes, $pos, 1);
		my $size;
		if ($type eq 'B')
		{
			$size = 21;
			last if $pos + $size + 1 > $len;
			my ($final_lsn, $ts, $xid) = unpack('Q> q> L>', substr($bytes, $pos + 1, 20));
			push @bad, "Begin of $xid inside transaction $cur->{xid}" if $cur;
			$cur = { xid => $xid, final_lsn => $final_lsn, msgs => [] };
		}
		elsif ($type eq 'C')
		{
			$size = 26;
			last if $pos + $size + 1 > $len;
			my ($flags, $commit_lsn, $end_lsn) =
			  unpack('C Q> Q>', substr($bytes, $pos + 1, 17));
			push @bad, 'Commit not of the transaction begun'
			  unless $cur && $cur->{final_lsn} == $commit_lsn;
			if ($cur)
			{
				$cur->{end_lsn} = $end_lsn;
				push @txns, $cur;
			}
			$cur = undef;
		}
		elsif ($type eq 'M')
		{
			my $nul = index($bytes, "\0", $pos + 10);
			last if $nul < 0 || $nul + 5 > $len;
			my $clen = unpack('L>', substr($bytes, $nul + 1, 4));
			$size = $nul + 5 + $clen - $pos;
			last if $pos + $size + 1 > $len;
			my $flags = unpack('C', substr($bytes, $pos + 1, 1));
			my $prefix = substr($bytes, $pos + 10, $nul - $pos - 10);
			if ($prefix eq 'stream')
			{
				push @bad, 'a stream message not transactional' unless $flags == 1;
				push @bad, 'a stream message outside a transaction' unless $cur;
				push @{ $cur->{msgs} }, substr($bytes, $nul + 5, $clen) if $cur;
			}
		}
		else
		{
			push @bad, sprintf('unexpected pgoutput message type 0x%02x at byte %d',
				ord($type), $pos);
			last;
		}
		if (substr($bytes, $pos + $size, 1) ne "\n")
		{
			push @bad, "no newline after the message at byte $pos";
			last;
		}
		$pos += $size + 1;
	}
	return { txns => \@txns, bad => \@bad };
}

my %parser = (
	test_decoding => \&parse_test_decoding,
	wal2json => \&parse_wal2json,
	pgoutput => \&parse_pgoutput);
my %plugin_options = (
	test_decoding => ['include-xids=1'],
	wal2json => [ 'format-version=2', 'include-xids=1', 'include-lsn=1' ],
	pgoutput => [ 'proto_version=1', 'publication_names=pub', 'messages=true' ]);

# The records of a message's content, as parsed by JSON::PP: its header and
# for each record its stream, shard, sequence number, arrival (seconds with
# six decimals), key and data in hex (undef when absent), encryption type.
sub message_records
{
	my ($content) = @_;
	my $m = JSON::PP->new->utf8->decode($content);
	my @records = map {
		{
			stream => $m->{StreamName},
			shard => $m->{ShardId},
			seq => $_->{SequenceNumber},
			arrival => sprintf('%.6f', $_->{ApproximateArrivalTimestamp}),
			key => defined $_->{PartitionKey}
			? unpack('H*', encode_utf8($_->{PartitionKey}))
			: undef,
			data => defined $_->{Data} ? unpack('H*', decode_base64($_->{Data})) : undef,
			kms => $_->{EncryptionType},
		}
	} @{ $m->{Records} };
	return ($m, @records);
}

# Whether a content is of the documented form: no NUL or other control
# character, and ASCII outside partition keys.
sub content_form_ok
{
	my ($content) = @_;
	return 0 if $content =~ /[\x00-\x1f\x7f]/;
	(my $rest = $content) =~ s/"PartitionKey":"(?:[^"\\]|\\.)*"//g;
	return $rest =~ /^[\x20-\x7e]*$/;
}

# The same records as decoded by stream.decode_feed_message, one line per
# record: message number, record number, then as record_line.
sub sql_decode
{
	my (@contents) = @_;
	my $values = join(",\n",
		map { "($_, '\\x" . unpack('H*', $contents[$_]) . "'::bytea)" } 0 .. $#contents);
	return $node->safe_psql(
		'postgres', qq{
SELECT m.n, d.ord, d.stream_name, d.shard_id, d.sequence_number,
	   extract(epoch FROM d.approximate_arrival_timestamp)::numeric(20,6),
	   coalesce(encode(convert_to(d.partition_key, 'UTF8'), 'hex'), 'NULL'),
	   coalesce(encode(d.data, 'hex'), 'NULL')
FROM (VALUES $values) AS m(n, c),
	 LATERAL stream.decode_feed_message(m.c) WITH ORDINALITY
		AS d(stream_name, shard_id, sequence_number, approximate_arrival_timestamp,
			 partition_key, data, ord)
ORDER BY m.n, d.ord});
}

sub record_line
{
	my ($r) = @_;
	return join('|', $r->{stream}, $r->{shard}, $r->{seq}, $r->{arrival},
		$r->{key} // 'NULL', $r->{data} // 'NULL');
}

# What stream.read returns of a stream, as record_line gives a record
sub read_lines
{
	my ($stream) = @_;
	return sort split /\n/, $node->safe_psql(
		'postgres', qq{
SELECT '$stream', shard_id, sequence_number,
	   extract(epoch FROM approximate_arrival_timestamp)::numeric(20,6),
	   encode(convert_to(partition_key, 'UTF8'), 'hex'), encode(data, 'hex')
FROM stream.read('$stream')}, extra_params => [ '-F', '|' ]);
}

# Compares two non-negative integers given as strings of digits.
sub bigger
{
	my ($x, $y) = @_;
	return length($x) > length($y) || (length($x) == length($y) && $x gt $y);
}

# Checks that two lists of lines hold the same lines as many times each; on
# a difference, shows the first few lines missing and extra, cut short.
sub same_lines
{
	my ($got, $want, $name) = @_;
	my %count;
	$count{$_}++ foreach @$want;
	$count{$_}-- foreach @$got;
	my @missing = grep { $count{$_} > 0 } sort keys %count;
	my @extra = grep { $count{$_} < 0 } sort keys %count;
	my $ok = ok(!@missing && !@extra, $name);
	if (!$ok)
	{
		splice(@missing, 5);
		splice(@extra, 5);
		diag(join("\n", (map { 'missing: ' . substr($_, 0, 160) } @missing),
			(map { 'extra: ' . substr($_, 0, 160) } @extra)));
	}
	return $ok;
}

# Checks that two texts are equal; on a difference, shows the first line
# that differs, cut short.
sub same_text
{
	my ($got, $want, $name) = @_;
	my $ok = ok($got eq $want, $name);
	if (!$ok)
	{
		my @g = split /\n/, $got;
		my @w = split /\n/, $want;
		my $i = 0;
		$i++ while $i < @g && $i < @w && $g[$i] eq $w[$i];
		diag(sprintf("line %d of %d/%d:\n got: %s\nwant: %s", $i + 1, scalar(@g), scalar(@w),
			substr($g[$i] // '(none)', 0, 300), substr($w[$i] // '(none)', 0, 300)));
	}
	return $ok;
}

# Starts pg_recvlogical on a slot, writing to $file, with the plugin's
# options; it sends feedback every second (-s 1) and reports as flushed
# what it has written and fsynced (-F 1).  Options: user, endpos.
sub start_client
{
	my ($slot, $plugin, $file, %opt) = @_;
	my @cmd = (
		$node->installed_command('pg_recvlogical'),
		'-d', $node->connstr('postgres'),
		'-S', $slot, '--start', '--no-loop', '-f', $file,
		'--fsync-interval=1', '--status-interval=1',
		map { ('-o', $_) } @{ $plugin_options{$plugin} });
	push @cmd, '-U', $opt{user} if $opt{user};
	push @cmd, "--endpos=$opt{endpos}" if $opt{endpos};
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(\@cmd, '<', \undef, '>', \$out, '2>', \$err,
		IPC::Run::timeout($timeout));
	return { h => $h, err => \$err, file => $file, plugin => $plugin };
}

# Stops a client with SIGINT (or another signal) and waits for it.
sub stop_client
{
	my ($c, $signal) = @_;
	$c->{h}->signal($signal // 'INT');
	eval { $c->{h}->finish; };
	return;
}

# What a client wrote on stderr, but for the line PostgreSQL 15's
# pg_recvlogical prints when SIGINT stops it.
sub client_errors
{
	my ($c) = @_;
	return join("\n",
		grep { !/^pg_recvlogical: error: unexpected termination of replication stream: $/ }
		  split /\n/, ${ $c->{err} });
}

# Waits until what a client wrote satisfies $pred; returns the parse, or
# undef after a minute or if the client stopped.
sub wait_for_output
{
	my ($c, $pred) = @_;
	my $start = time();
	while (time() - $start < 60)
	{
		my $parsed = $parser{ $c->{plugin} }->(slurp_bytes($c->{file}));
		return $parsed if $pred->($parsed);
		$c->{h}->pump_nb if $c->{h}->pumpable;
		if (!$c->{h}->pumpable)
		{
			diag("pg_recvlogical stopped: ${$c->{err}}");
			return undef;
		}
		usleep(50_000);
	}
	return undef;
}

# A predicate of wait_for_output: a whole transaction holds the record
# with partition key $key.
sub has_key
{
	my ($key) = @_;
	my $needle = qq{"PartitionKey":"$key"};
	return sub {
		my ($parsed) = @_;
		return grep { index($_, $needle) >= 0 } map { @{ $_->{msgs} } } @{ $parsed->{txns} };
	};
}

# The value of an LSN column of a slot, in bytes
sub slot_lsn
{
	my ($slot, $column) = @_;
	return $node->safe_psql('postgres',
		"SELECT $column - '0/0'::pg_lsn FROM pg_replication_slots WHERE slot_name = '$slot'");
}

# ---------------------------------------------------------------------------
# 1. Three plugins, overlapping transactions

foreach my $plugin (qw(test_decoding wal2json pgoutput))
{
	$node->safe_psql('postgres',
		"SELECT pg_create_logical_replication_slot('feed_$plugin', '$plugin')");
}
my %client;
foreach my $plugin (qw(test_decoding wal2json pgoutput))
{
	$client{$plugin} = start_client("feed_$plugin", $plugin, "$tmp/feed_$plugin.out");
}

# Four producers open their transactions in turn, then write in rounds so
# that their records interleave in the WAL and in the shards.
my (@producer, %xid);
foreach my $p (1 .. 4)
{
	$producer[$p] = $node->background_psql('postgres');
	$producer[$p]->query_safe('BEGIN');
	$xid{"p$p"} = $producer[$p]->query_safe('SELECT pg_current_xact_id()');
}
foreach my $round (1 .. 3)
{
	foreach my $p (1 .. 4)
	{
		$producer[$p]->query_safe(
			"SELECT feed_put('feed', 'p$p-$round-plain'), feed_put('feed', odd_key('p$p-$round'))");
	}
	# a record of 24,000 bytes, larger than a page
	$producer[1]->query_safe(
		"SELECT stream.put_record('feed', 'p1-2-big', decode(repeat('00ff80fe', 6000), 'hex'))")
	  if $round == 2;
	# a subtransaction rolled back and one released
	$producer[1]->query_safe(q{
SAVEPOINT a;
SELECT feed_put('feed', 'p1-3-gone');
ROLLBACK TO SAVEPOINT a;
SAVEPOINT b;
SELECT feed_put('feed', 'p1-3-released');
RELEASE SAVEPOINT b;
}) if $round == 3;
	# 40 records of a kilobyte, ten or so a shard: more than a page each
	if ($round == 2)
	{
		is( $producer[4]->query_safe(q{
SELECT count(*) FILTER (WHERE error_code IS NULL) FROM stream.put_records('feed',
	ARRAY(SELECT 'p4-2-batch-' || i FROM generate_series(1, 40) AS i ORDER BY i),
	ARRAY(SELECT '\x00ff80fe'::bytea || decode(repeat('c3', 1000), 'hex') || int4send(i)
		  FROM generate_series(1, 40) AS i ORDER BY i))}),
			'40', 'the put_records batch wrote its 40 records');
	}
}
# Commits in an order other than that of the BEGINs: 2, then 4, then 1; 3
# rolls back.
$producer[2]->query_safe('COMMIT');
$producer[3]->query_safe('ROLLBACK');
$producer[4]->query_safe('COMMIT');
$producer[1]->query_safe('COMMIT');
$_->quit foreach @producer[ 1 .. 4 ];
my ($end_xid) = split /\|/,
  $node->safe_psql('postgres', "SELECT pg_current_xact_id(), feed_put('feed', 'end-of-run')");
$xid{'end-of-run'} = $end_xid;
my @commit_order = qw(p2 p4 p1 end-of-run);

my %feed;
foreach my $plugin (qw(test_decoding wal2json pgoutput))
{
	$feed{$plugin} = wait_for_output($client{$plugin}, has_key('end-of-run'));
	ok(defined $feed{$plugin}, "$plugin: pg_recvlogical got the whole run");
	stop_client($client{$plugin});
	is(client_errors($client{$plugin}), '', "$plugin: pg_recvlogical reported no error");
	$feed{$plugin} //= { txns => [], bad => ['no output'] };
}
note 'spilled transactions: '
  . $node->safe_psql('postgres',
	"SELECT string_agg(slot_name || ' ' || spill_txns, ', ') FROM pg_stat_replication_slots");

my @expected = read_lines('feed');
my @all_contents;    # of every plugin, for decode_feed_message
my @all_lines;       # of their records as JSON::PP parsed them
foreach my $plugin (qw(test_decoding wal2json pgoutput))
{
	my $parsed = $feed{$plugin};
	is(join("\n", @{ $parsed->{bad} }), '', "$plugin: the output has the plugin's form");

	my (@got, @order, @xids, @form, @disorder, %batch_messages, $big_alone);
	foreach my $txn (grep { @{ $_->{msgs} } } @{ $parsed->{txns} })
	{
		my (%who, %last_seq);
		foreach my $content (@{ $txn->{msgs} })
		{
			push @form, "not of the documented form: $content"
			  unless content_form_ok($content);
			my ($m, @records) = eval { message_records($content) };
			if (!defined $m)
			{
				push @form, "not JSON: $content";
				next;
			}
			push @form, "FeedVersion $m->{FeedVersion}, stream $m->{StreamName}"
			  unless $m->{FeedVersion} == 1 && $m->{StreamName} eq 'feed' && @records > 0;
			push @all_contents, $content;
			foreach my $i (0 .. $#records)
			{
				my $r = $records[$i];
				push @all_lines, join('|', $#all_contents, $i + 1, record_line($r));
				push @got, record_line($r);
				my $key = pack('H*', $r->{key} // '');
				$who{ $key =~ /^(p\d)-/ ? $1 : $key } = 1;
				push @disorder, "$r->{shard}: $r->{seq} after $last_seq{$r->{shard}}"
				  if defined $last_seq{ $r->{shard} }
				  && !bigger($r->{seq}, $last_seq{ $r->{shard} });
				$last_seq{ $r->{shard} } = $r->{seq};
				$big_alone = (@records == 1) if $key eq 'p1-2-big';
				$batch_messages{ $r->{shard} }{$#all_contents} = 1
				  if $key =~ /^p4-2-batch-/;
			}
		}
		push @order, join('+', sort keys %who);
		push @xids, $txn->{xid};
	}
	is(join("\n", @form), '', "$plugin: every message is a JSON object of version 1, ASCII but for keys");
	same_lines(\@got, \@expected,
		"$plugin: the feed carries every committed record exactly once, as stream.read returns it");
	is(scalar(grep { pack('H*', (split /\|/)[4]) =~ /^p3-|^p1-3-gone$/ } @got), 0,
		"$plugin: nothing of the rolled-back transaction or subtransaction");
	is(join(' ', @order), join(' ', @commit_order),
		"$plugin: each transaction's records come together, the transactions in commit order");
	is(join(' ', @xids), join(' ', map { $xid{$_} } @commit_order),
		"$plugin: ... between the BEGIN and COMMIT of their own transaction");
	is(join("\n", @disorder), '',
		"$plugin: within a transaction, each shard's records in increasing sequence numbers");
	ok($big_alone, "$plugin: a record larger than a page is alone in its message");
	cmp_ok((sort { $b <=> $a } map { scalar(keys %$_) } values %batch_messages)[0] // 0,
		'>=', 2, "$plugin: the batch's records of a shard span several messages");
}
is(scalar(grep { pack('H*', (split /\|/)[4]) eq 'p1-3-released' } @expected), 1,
	'stream.read has the record of the released subtransaction, which the feeds were compared with');
same_text(sql_decode(@all_contents), join("\n", @all_lines),
	'decode_feed_message returns the records JSON::PP reads in every message');

# ---------------------------------------------------------------------------
# 3. A stream whose feed is turned on and off, beside a table's changes

$node->safe_psql('postgres', "SELECT stream.create_stream('quiet', 2)");
is( $node->safe_psql('postgres',
		"SELECT change_feed FROM stream.describe_stream_summary('quiet')"),
	'f', 'a new stream has its feed off');
$node->safe_psql('postgres',
	"SELECT pg_create_logical_replication_slot('toggle', 'test_decoding')");

# A session open all along writes too: what it keeps of the stream must
# follow the changes of the feed.
my $long = $node->background_psql('postgres');

# A row of the table and a record, in one transaction of a new session and
# in one of the long-lived session
sub write_both
{
	my ($phase) = @_;
	my $sql = "BEGIN; INSERT INTO t VALUES ('%s'); SELECT feed_put('quiet', '%s'); COMMIT;";
	$node->safe_psql('postgres', sprintf($sql, $phase, $phase));
	$long->query_safe(sprintf($sql, "w-$phase", "w-$phase"));
	return;
}

write_both('off-1');

# set_change_feed waits for a writer in progress; that writer's record,
# written while the feed was off, does not come.
$long->query_safe("BEGIN; SELECT feed_put('quiet', 'w-open');");
my $toggler = $node->background_psql('postgres');
my $toggler_pid = $toggler->query_safe('SELECT pg_backend_pid()');
$toggler->query_until(qr/turning on/,
	"\\echo turning on\nSELECT stream.set_change_feed('quiet', true);\n");
ok( wait_until(
		$node, 'postgres',
		"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $toggler_pid", 60),
	'set_change_feed waits for a writer in progress');
$long->query_safe('COMMIT');
$toggler->query_safe('SELECT 1');
$toggler->quit;
is( $node->safe_psql('postgres',
		"SELECT change_feed FROM stream.describe_stream_summary('quiet')"),
	't', 'describe_stream_summary shows the feed turned on');

write_both('on-1');
$node->safe_psql('postgres', "SELECT stream.set_change_feed('quiet', false)");
is( $node->safe_psql('postgres',
		"SELECT change_feed FROM stream.describe_stream_summary('quiet')"),
	'f', 'describe_stream_summary shows the feed turned off');
write_both('off-2');
$long->quit;

# Each transaction that wrote the table or a record: its rows, then the
# stream and key of its records
my @toggle;
my $txn;
foreach my $line (split /\n/,
	$node->safe_psql('postgres', "SELECT data FROM pg_logical_slot_get_changes('toggle', NULL, NULL)"))
{
	if ($line =~ /^BEGIN/)
	{
		$txn = { rows => [], keys => [] };
	}
	elsif ($line =~ /^table public\.t: INSERT: what\[text\]:'(.*)'$/)
	{
		push @{ $txn->{rows} }, $1;
	}
	elsif ($line =~ /^message: transactional: 1 prefix: stream, sz: \d+ content:(.*)$/)
	{
		my ($m, @records) = message_records($1);
		push @{ $txn->{keys} }, map { "$m->{StreamName}:" . pack('H*', $_->{key}) } @records;
	}
	elsif ($line =~ /^COMMIT/)
	{
		push @toggle, join(',', @{ $txn->{rows} }) . '=' . join(',', @{ $txn->{keys} })
		  if @{ $txn->{rows} } || @{ $txn->{keys} };
	}
}
is( join(' ', @toggle),
	'off-1= w-off-1= on-1=quiet:on-1 w-on-1=quiet:w-on-1 off-2= w-off-2=',
	'the table\'s changes come from every transaction, the records only while the feed is on, '
	  . 'in their transaction');

# ---------------------------------------------------------------------------
# 4. A slot of another database

$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->safe_psql('other',
	"SELECT pg_create_logical_replication_slot('other_db', 'test_decoding')");
$node->safe_psql('postgres',
	"SELECT pg_create_logical_replication_slot('this_db', 'test_decoding')");
$node->safe_psql('postgres',
	"BEGIN; INSERT INTO t VALUES ('elsewhere'); SELECT feed_put('feed', 'elsewhere'); COMMIT;");
$node->safe_psql('other', "CREATE TABLE o (v text); INSERT INTO o VALUES ('other')");
my $other = $node->safe_psql('other',
	"SELECT string_agg(data, E'\\n') FROM pg_logical_slot_get_changes('other_db', NULL, NULL)");
like($other, qr/table public\.o: INSERT/, 'a slot of another database decodes that database');
unlike($other, qr/prefix: stream/, '... and gets no record of a stream of this one');
like( $node->safe_psql('postgres',
		"SELECT string_agg(data, E'\\n') FROM pg_logical_slot_get_changes('this_db', NULL, NULL)"),
	qr/^message: transactional: 1 prefix: stream, sz: \d+ content:.*"PartitionKey":"elsewhere"/m,
	'a slot of this database gets it');
$node->safe_psql('other', "SELECT pg_drop_replication_slot('other_db')");
$node->safe_psql('postgres', "SELECT pg_drop_replication_slot('this_db')");

# ---------------------------------------------------------------------------
# 5. An encrypted stream

# A marker no other byte sequence of the cluster holds
my $marker = 'enc' . join('', map { sprintf('%02x', int(rand(256))) } 1 .. 8);
$node->safe_psql(
	'postgres', q{
CREATE ROLE feed_reader LOGIN REPLICATION;
SELECT key_id FROM stream.create_key('feed-key');
SELECT stream.create_stream('secret', 2);
SELECT stream.start_stream_encryption('secret', 'KMS', 'alias/feed-key');
SELECT stream.set_change_feed('secret', true);
});
foreach my $slot (qw(enc_sql enc_before enc_after))
{
	$node->safe_psql('postgres',
		"SELECT pg_create_logical_replication_slot('$slot', 'test_decoding')");
}
# six small records and one larger than a page
$node->safe_psql(
	'postgres', qq{
SELECT count(*) FROM stream.put_records('secret',
	ARRAY(SELECT 'key-$marker-' || i FROM generate_series(1, 6) AS i ORDER BY i),
	ARRAY(SELECT convert_to('data-$marker-' || i, 'UTF8') FROM generate_series(1, 6) AS i ORDER BY i));
SELECT stream.put_record('secret', 'big-$marker', convert_to(repeat('$marker', 1500), 'UTF8'));
});
my $enc_end = $node->lsn('insert');
my @plain = read_lines('secret');
is(scalar(@plain), 7, 'the encrypted stream has its seven records');

# The records of the stream secret in test_decoding's output, and the
# contents of their messages
sub secret_records
{
	my ($output) = @_;
	my (@records, @contents);
	foreach my $content ($output =~ /^message: transactional: 1 prefix: stream, sz: \d+ content:(.*)$/mg)
	{
		my ($m, @r) = message_records($content);
		next unless $m->{StreamName} eq 'secret';
		push @records, @r;
		push @contents, $content;
	}
	return (\@records, \@contents);
}

# Checks what a role without read on the stream got
sub check_sealed
{
	my ($how, $output) = @_;
	my ($records, $contents) = secret_records($output);
	is( join(' ', sort map { $_->{seq} } @$records),
		join(' ', sort map { (split /\|/)[2] } @plain),
		"a role without read on the stream gets every record through $how");
	is( scalar(grep { defined $_->{key} || defined $_->{data} || ($_->{kms} // '') ne 'KMS' } @$records),
		0, "... with no partition key or data, marked \"EncryptionType\":\"KMS\"");
	unlike($output, qr/\Q$marker\E/, '... and the plaintext is nowhere in what it gets');
	my @leaked = grep { index($output, encode_base64(pack('H*', (split /\|/)[5]), '')) >= 0 } @plain;
	is(scalar(@leaked), 0, '... not even in base64');
	like(sql_decode(@$contents), qr/\A(?:[^\n]*\|NULL\|NULL(?:\n|\z))+\z/,
		'... and decode_feed_message gives those records NULL partition keys and data');
	return;
}

# pg_recvlogical as $user from $slot up to the end of the writes
sub receive_upto
{
	my ($slot, $user) = @_;
	my $file = "$tmp/$slot.out";
	my $c = start_client($slot, 'test_decoding', $file, user => $user, endpos => $enc_end);
	eval { $c->{h}->finish; };
	is($c->{h}->result(0) . client_errors($c), '0', "pg_recvlogical as $user from $slot stops at the end");
	return slurp_bytes($file);
}

my $peek = "SELECT data FROM pg_logical_slot_peek_changes('enc_sql', NULL, NULL)";
my ($records) = secret_records($node->safe_psql('postgres', $peek));
same_lines([ map { record_line($_) } @$records ], \@plain,
	'a superuser decodes the encrypted records in plaintext');
is(scalar(grep { ($_->{kms} // '') ne 'KMS' } @$records), 0, '... each marked "EncryptionType":"KMS"');

check_sealed('the SQL functions',
	$node->safe_psql('postgres', $peek, extra_params => [ '-U', 'feed_reader' ]));
check_sealed('pg_recvlogical', receive_upto('enc_before', 'feed_reader'));

$node->safe_psql('postgres', "SELECT stream.grant('read', 'secret', 'feed_reader')");
($records) =
  secret_records($node->safe_psql('postgres', $peek, extra_params => [ '-U', 'feed_reader' ]));
same_lines([ map { record_line($_) } @$records ], \@plain,
	'once granted read, the role decodes the plaintext through the SQL functions');
($records) = secret_records(receive_upto('enc_after', 'feed_reader'));
same_lines([ map { record_line($_) } @$records ], \@plain, '... and through pg_recvlogical');

# ---------------------------------------------------------------------------
# 2. The client killed, then the server, while producers write
#
# "Confirmed" is the slot's confirmed_flush_lsn: what pg_recvlogical
# reported as flushed (it fsyncs its file every second, -F 1, and reports
# every second, -s 1).  A transaction is confirmed once confirmed_flush_lsn
# reaches the end of its commit record, which pgoutput's Commit message
# gives; decoding from the slot sends again only transactions whose commit
# record starts at or after confirmed_flush_lsn.  The server keeps that
# position in memory; PostgreSQL 15 writes it to disk with the slot when
# the walsender moves the slot's restart_lsn (or catalog_xmin), which it
# does after decoding the running-transactions record a checkpoint logs and
# the client confirming past it, not at the checkpoint itself.  So
# "confirmed before the last checkpoint" is confirmed_flush_lsn read just
# before a CHECKPOINT, after which the test waits until restart_lsn has
# moved (running CHECKPOINT again until it does): from then on the slot on
# disk holds that position or a later one.  After the crash the slot must
# be at least there, and the client then started must get no transaction
# whose commit ends at or before it.

$node->safe_psql('postgres',
	"SELECT stream.create_stream('crash', 2); SELECT stream.set_change_feed('crash', true);");
$node->safe_psql('postgres', "SELECT pg_create_logical_replication_slot('crash', 'pgoutput')");

# A producer $p running statements $from to $to: single records, now and
# then one larger than a page, transactions of two, transactions rolled
# back; each prints "ack|p|i" once done, and pauses 5 ms, so that the
# producers are still at work when the server is killed.
sub crash_producer
{
	my ($p, $from, $to) = @_;
	my $file = "$tmp/crash_${p}_$from.sql";
	open(my $fh, '>', $file) or die "could not write $file: $!";
	foreach my $i ($from .. $to)
	{
		my $k = "c$p-$i";
		if ($i % 10 == 3)
		{
			print $fh "BEGIN;\nSELECT feed_put('crash', '$k-a');\n"
			  . "SELECT feed_put('crash', '$k-b');\nCOMMIT;\n";
		}
		elsif ($i % 10 == 7)
		{
			print $fh "BEGIN;\nSELECT feed_put('crash', '$k-gone');\nROLLBACK;\n";
		}
		else
		{
			my $pad = $i % 25 == 12 ? 12000 : 0;
			print $fh "SELECT feed_put('crash', '$k', $pad);\n";
		}
		print $fh "SELECT 'ack|$p|$i' FROM pg_sleep(0.005);\n";
	}
	close($fh);
	my ($out, $err) = ('', '');
	my $h = start_psql($node->connstr('postgres'), [ '-f', $file ], \$out, \$err);
	return { h => $h, out => \$out, err => \$err };
}

# The acknowledgements the producers printed so far
sub acks
{
	my $n = 0;
	foreach my $s (@_)
	{
		$s->{h}->pump_nb if $s->{h}->pumpable;
		$n += () = ${ $s->{out} } =~ /^ack\|/mg;
	}
	return $n;
}

# Waits until $cond returns true; returns 1, or 0 after $limit seconds.
sub wait_for
{
	my ($cond, $limit) = @_;
	my $start = time();
	while (time() - $start < ($limit // 60))
	{
		return 1 if $cond->();
		usleep(50_000);
	}
	return 0;
}

# A predicate of wait_for_output: $n whole transactions at least
sub txns_at_least
{
	my ($n) = @_;
	return sub { scalar(@{ $_[0]{txns} }) >= $n };
}

# Waits until the slot has confirmed the first half of the transactions a
# client received so far.
sub confirmed_past
{
	my ($parsed) = @_;
	return 0 unless $parsed;
	my $txns = $parsed->{txns};
	my $end = $txns->[ int($#$txns / 2) ]{end_lsn};
	return wait_for(sub { slot_lsn('crash', 'confirmed_flush_lsn') >= $end });
}

my $client_a = start_client('crash', 'pgoutput', "$tmp/crash_a.out");
my @producers = map { crash_producer($_, 1, 6000) } 1 .. 4;
my $got_a = wait_for_output($client_a, txns_at_least(200));
ok($got_a, 'a client receives transactions');
ok(confirmed_past($got_a), '... and confirms some');
stop_client($client_a, 'KILL');
ok(wait_until($node, 'postgres',
		"SELECT NOT active FROM pg_replication_slots WHERE slot_name = 'crash'", 60),
	'the killed client\'s slot is free');
my $confirmed_a = slot_lsn('crash', 'confirmed_flush_lsn');
my $acks = acks(@producers);
ok(wait_for(sub { acks(@producers) >= $acks + 100 }), 'the producers write while no client runs');

my $client_b = start_client('crash', 'pgoutput', "$tmp/crash_b.out");
my $got_b = wait_for_output($client_b, txns_at_least(200));
ok($got_b, 'the client started again receives transactions');
ok(confirmed_past($got_b), '... and confirms some');
my $confirmed_ckpt = slot_lsn('crash', 'confirmed_flush_lsn');
my $restart = slot_lsn('crash', 'restart_lsn');
my $moved = 0;
for (my $i = 0; $i < 20 && !$moved; $i++)
{
	$node->safe_psql('postgres', 'CHECKPOINT');
	$moved = wait_for(sub { slot_lsn('crash', 'restart_lsn') > $restart }, 3);
}
ok($moved, 'after the checkpoint the slot moves its restart_lsn (and is written to disk)');
my $received = scalar(@{ parse_pgoutput(slurp_bytes($client_b->{file}))->{txns} });
ok(wait_for_output($client_b, txns_at_least($received + 200)),
	'the client receives transactions after the checkpoint');
crash_node($node);
eval { $client_b->{h}->finish; };
foreach my $s (@producers)
{
	eval { $s->{h}->finish; };
}
$node->start;

my $persisted = slot_lsn('crash', 'confirmed_flush_lsn');
cmp_ok($persisted, '>=', $confirmed_ckpt,
	'after the crash the slot is at least where it was confirmed before the last checkpoint');
my $client_c = start_client('crash', 'pgoutput', "$tmp/crash_c.out");
finish_session($_, 'a producer after the crash') foreach map { crash_producer($_, 5001, 5100) } 1 .. 2;
$node->safe_psql('postgres', "SELECT feed_put('crash', 'crash-end')");
ok(wait_for_output($client_c, has_key('crash-end')),
	'the client started after the crash receives the last record');
stop_client($client_c);
is(client_errors($client_c), '', 'the client started after the crash reported no error');

my (%received, @differ, %txns);
my $again = 0;
foreach my $c ([ 'the killed client', $client_a ], [ 'the client started again', $client_b ],
	[ 'the client after the crash', $client_c ])
{
	my ($name, $client) = @$c;
	my $parsed = parse_pgoutput(slurp_bytes($client->{file}));
	is(join("\n", @{ $parsed->{bad} }), '', "$name: the output has pgoutput's form");
	$txns{$name} = $parsed->{txns};
	my ($prev_end, @disorder);
	foreach my $txn (@{ $parsed->{txns} })
	{
		push @disorder, "commit ending at $txn->{end_lsn} after $prev_end"
		  if defined $prev_end && $txn->{end_lsn} <= $prev_end;
		$prev_end = $txn->{end_lsn};
		my %last_seq;
		foreach my $content (@{ $txn->{msgs} })
		{
			my ($m, @records) = message_records($content);
			foreach my $r (@records)
			{
				push @disorder, "$r->{shard}: $r->{seq} after $last_seq{$r->{shard}}"
				  if defined $last_seq{ $r->{shard} }
				  && !bigger($r->{seq}, $last_seq{ $r->{shard} });
				$last_seq{ $r->{shard} } = $r->{seq};
				my $line = record_line($r);
				my $id = "$r->{shard} $r->{seq}";
				if (exists $received{$id})
				{
					$again++;
					push @differ, $line if $received{$id} ne $line;
				}
				else
				{
					$received{$id} = $line;
				}
			}
		}
	}
	is(join("\n", @disorder), '',
		"$name: transactions in commit order, each shard's records in increasing sequence numbers");
}
note "records received more than once: $again; "
  . scalar(grep { $_->{end_lsn} > $persisted } @{ $txns{'the client started again'} })
  . ' transactions received before the crash were not confirmed on disk';
same_lines([ values %received ], [ read_lines('crash') ],
	'every committed record was received at least once, and nothing else');
is(join("\n", @differ), '', 'a record received again is the same');
cmp_ok(scalar(grep { $_->{end_lsn} <= $confirmed_a } @{ $txns{'the killed client'} }),
	'>', 0, 'the killed client had confirmed transactions');
is(scalar(grep { $_->{end_lsn} <= $confirmed_a } @{ $txns{'the client started again'} }),
	0, 'the client started again gets nothing the killed client had confirmed');
is(scalar(grep { $_->{end_lsn} <= $confirmed_ckpt } @{ $txns{'the client after the crash'} }),
	0, 'after the crash, nothing confirmed before the last checkpoint is received again');
is(scalar(grep { $_->{end_lsn} <= $persisted } @{ $txns{'the client after the crash'} }),
	0, '... nor anything the slot had confirmed when the server started');

unlike(slurp_file($node->logfile), qr/PANIC|TRAP:|APPEND record at .* is truncated|change feed tag/,
	'the server logged no failure of decoding');

$node->stop;
done_testing();
