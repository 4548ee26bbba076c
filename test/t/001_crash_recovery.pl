# Crash recovery of the stream_log storage (DESIGN.md, requirement 2).
#
# Four producers call put_record in autocommit, concurrently, on a stream of
# two shards, with records from a few bytes to a few KB and some of about
# 100 KB (so that records span pages).  Partway, a CHECKPOINT; later the
# postmaster and all its children are killed with SIGKILL and the server is
# started again.  Then:
#  - every sequence number a producer was given back is there, in the shard it
#    was given, with exactly the data written;
#  - no record appears twice, no record is torn (a record's data is a
#    function of its partition key), and no acknowledged record is missing
#    before a later one of the same producer;
#  - within each shard sequence numbers increase in read order, and a
#    producer's records keep the order it wrote them in;
#  - get_records from TRIM_HORIZON returns the same records as stream.read;
#  - the stream accepts and returns new records.
# Maintenance passes (CALL stream.run_maintenance()) run beside the producers.
# The whole is done twice: with segments of the default size, and with the
# smallest segments (stream.segment_size = 16 blocks), so that segments fill
# and roll over all through the run and the crash hits that too.

use strict;
use warnings;

use Digest::MD5 qw(md5_hex);
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;
use Time::HiRes qw(usleep);

my $nproducers = 4;
my $nstatements = 3000;    # per producer; far more than run before the crash
my $checkpoint_at = 60;    # acknowledgements per producer before CHECKPOINT
my $crash_at = 150;        # acknowledgements per producer before the crash
my $crash_deadline = 40;   # seconds: crash by then anyway

# The size of a producer's record number $i: up to 6 KB, and about 100 KB for
# every fortieth.
sub record_size
{
	my ($i) = @_;
	return 100_000 + $i if $i % 40 == 20;
	return (($i * 7919) % 6000) + 1;
}

# The data of the record with partition key $key: the MD5 of the key in hex,
# repeated and cut to the size.
sub record_data
{
	my ($key, $size) = @_;
	my $unit = md5_hex($key);
	return substr($unit x (int($size / 32) + 1), 0, $size);
}

# What the current run's producers printed and were told.
my (@harness, @out, @err);
my %acked;    # key => [shard, sequence number]
my %max_acked;

# Counts the acknowledgements each producer has printed so far.
sub acks
{
	my @n;
	foreach my $p (1 .. $nproducers)
	{
		$harness[$p]->pump_nb if $harness[$p]->pumpable;
		$n[$p] = () = $out[$p] =~ /^ack\|/mg;
	}
	my $min;
	foreach my $p (1 .. $nproducers)
	{
		$min = $n[$p] if !defined $min || $n[$p] < $min;
	}
	return $min;
}

# Whether every producer is still running (one that stopped on an error ends
# the wait for acknowledgements).
sub producing
{
	foreach my $p (1 .. $nproducers)
	{
		return 0 unless $harness[$p]->pumpable;
	}
	return 1;
}

# Compares what a read returned with what was written and acknowledged.
sub check_records
{
	my ($what, $rows) = @_;
	my (%seen_key, %seen_seq, %last_seq_in_shard, @bad);
	my %counters;    # producer => [counters present]
	my %order;       # "producer shard" => [[counter, seq]]
	foreach my $row (split /\n/, $rows)
	{
		my ($shard, $seq, $key, $md5, $len) = split /\|/, $row;
		push @bad, "$key twice" if $seen_key{$key}++;
		push @bad, "sequence number $seq twice" if $seen_seq{$seq}++;
		push @bad, "$key: sequence number $seq not above the previous in $shard"
		  if defined $last_seq_in_shard{$shard}
		  && !bigger($seq, $last_seq_in_shard{$shard});
		$last_seq_in_shard{$shard} = $seq;
		my $size;
		if ($key =~ /^p(\d+)-(\d+)$/)
		{
			$size = record_size($2);
			push @{ $counters{$1} }, $2;
			push @{ $order{"$1 $shard"} }, [ $2, $seq ];
		}
		elsif ($key =~ /^before-(\d+)$/)
		{
			$size = 1000 * $1;
		}
		else
		{
			push @bad, "unexpected record $key";
			next;
		}
		my $want = record_data($key, $size);
		push @bad, "$key: data of $len bytes, md5 $md5 is torn or wrong"
		  if $len != $size || $md5 ne md5_hex($want);
	}
	is(join("\n", @bad), '', "$what: no record twice, torn or out of order");

	my @missing;
	foreach my $key (sort keys %acked)
	{
		push @missing, $key unless $seen_key{$key};
	}
	is(join(' ', @missing), '', "$what: every acknowledged record is there");
	my @moved;
	foreach my $row (split /\n/, $rows)
	{
		my ($shard, $seq, $key) = split /\|/, $row;
		next unless $acked{$key};
		push @moved, "$key at $shard $seq instead of @{$acked{$key}}"
		  if $acked{$key}[0] ne $shard || $acked{$key}[1] ne $seq;
	}
	is(join("\n", @moved), '',
		"$what: every acknowledged record has the shard and sequence number it was given");

	# A producer's calls run one after the other, so what survived must be
	# its first n records, with n the last acknowledged or the one after it
	# (committed, but killed before psql printed it).
	foreach my $p (1 .. $nproducers)
	{
		my @c = sort { $a <=> $b } @{ $counters{$p} // [] };
		my $n = scalar(@c);
		my $prefix = join(',', @c) eq join(',', 1 .. $n);
		ok( $prefix
			  && ($n == $max_acked{$p} || $n == $max_acked{$p} + 1),
			"$what: producer $p has records 1 to $n without a gap (last acknowledged $max_acked{$p})"
		);
	}
	my @disorder;
	foreach my $ps (sort keys %order)
	{
		my @list = @{ $order{$ps} };
		for my $j (1 .. $#list)
		{
			push @disorder, "producer/shard $ps: record $list[$j][0] before $list[$j-1][0]"
			  if $list[$j][0] < $list[ $j - 1 ][0];
		}
	}
	is(join("\n", @disorder), '',
		"$what: each producer's records keep their order within a shard");
	return;
}

# Compares two non-negative integers given as strings of digits.
sub bigger
{
	my ($x, $y) = @_;
	return length($x) > length($y) || (length($x) == length($y) && $x gt $y);
}

# One crashed server: $name names the node and the test descriptions, $extra_conf
# is added to its postgresql.conf, and the stream must have had at least
# $min_segments segments.
sub crash_run
{
	my ($name, $extra_conf, $min_segments) = @_;

	my $node = stream_node($name, conf => $extra_conf);
	$node->safe_psql('postgres', "SELECT stream.create_stream('crash', 2)");
	# Records already there before the producers start, and one rolled back.
	$node->safe_psql(
		'postgres', q{
		SELECT stream.put_record('crash', 'before-' || i,
			convert_to(substr(repeat(md5('before-' || i), 100), 1, 1000 * i), 'UTF8'))
		FROM generate_series(1, 3) AS i;
		BEGIN;
		SELECT stream.put_record('crash', 'aborted', convert_to(repeat('x', 5000), 'UTF8'));
		ROLLBACK;
	});

	# One script of put_record calls per producer; each prints
	# "ack|producer|i|shard|sequence number" once its call has returned (and so its
	# transaction has committed).
	my $tempdir = PostgreSQL::Test::Utils::tempdir;
	(@harness, @out, @err) = ();
	foreach my $p (1 .. $nproducers)
	{
		my $file = "$tempdir/producer_$p.sql";
		open(my $fh, '>', $file) or die "could not write $file: $!";
		foreach my $i (1 .. $nstatements)
		{
			my $key = "p$p-$i";
			my $size = record_size($i);
			my $reps = int($size / 32) + 1;
			print $fh "SELECT 'ack|$p|$i|' || shard_id || '|' || sequence_number "
			  . "FROM stream.put_record('crash', '$key', "
			  . "convert_to(substr(repeat(md5('$key'), $reps), 1, $size), 'UTF8'));\n";
		}
		close($fh);
		$out[$p] = '';
		$err[$p] = '';
		$harness[$p] =
		  start_psql($node->connstr('postgres'), [ '-f', $file ], \$out[$p], \$err[$p]);
	}

	# Maintenance passes run beside the producers, as the background worker
	# (or pg_cron) would run them, but more often: they make the segments that
	# full ones roll over to.
	my $mfile = "$tempdir/maintenance.sql";
	open(my $mfh, '>', $mfile) or die "could not write $mfile: $!";
	print $mfh "CALL stream.run_maintenance();\nSELECT 'pass';\nSELECT pg_sleep(0.05);\n"
	  for 1 .. 2000;
	close($mfh);
	my ($mout, $merr) = ('', '');
	my $maintenance =
	  start_psql($node->connstr('postgres'), [ '-f', $mfile ], \$mout, \$merr);

	my $start = time();
	while (acks() < $checkpoint_at && time() - $start < $crash_deadline && producing())
	{
		usleep(20_000);
	}
	$node->safe_psql('postgres', 'CHECKPOINT');
	note 'checkpoint done';
	while (acks() < $crash_at && time() - $start < $crash_deadline && producing())
	{
		usleep(20_000);
	}
	cmp_ok(acks(), '>=', $crash_at, "$name: every producer got $crash_at acknowledgements before the crash");

	crash_node($node);

	eval { $maintenance->finish; };
	my $passes = () = $mout =~ /^pass$/mg;
	note "$name: $passes maintenance passes before the crash";
	cmp_ok($passes, '>', 0, "$name: maintenance passes ran beside the producers");
	unlike($merr, qr/ERROR/, "$name: maintenance passes raised no error")
	  or diag($merr);
	foreach my $p (1 .. $nproducers)
	{
		eval { $harness[$p]->finish; };
		note "producer $p: " . ($err[$p] =~ s/\n/ /gr);
		unlike($err[$p], qr/ERROR:/, "$name: producer $p got no error before the crash");
	}

	# What the producers were told.
	%acked = ();
	%max_acked = ();
	foreach my $p (1 .. $nproducers)
	{
		$max_acked{$p} = 0;
		foreach my $line (split /\n/, $out[$p])
		{
			next unless $line =~ /^ack\|(\d+)\|(\d+)\|(shardId-\d{12})\|(\d+)$/;
			die "producer $p printed an acknowledgement of producer $1" if $1 != $p;
			$acked{"p$p-$2"} = [ $3, $4 ];
			$max_acked{$p} = $2 if $2 > $max_acked{$p};
		}
		cmp_ok($max_acked{$p}, '<', $nstatements,
			"$name: producer $p was still running when the server was killed");
	}
	note 'acknowledged: ' . scalar(keys %acked);

	$node->start;


	my $read = $node->safe_psql(
		'postgres', q{
		SELECT shard_id, sequence_number, partition_key, md5(data), octet_length(data)
		FROM stream.read('crash')});
	check_records("$name: stream.read after the crash", $read);
	my $segments = $node->safe_psql(
		'postgres', q{
		SELECT count(*) FROM stream.segments g JOIN stream.streams s USING (stream_id)
		WHERE s.stream_name = 'crash'});
	note "$name: $segments segments";
	cmp_ok($segments, '>=', $min_segments,
		"$name: the stream has at least $min_segments segments");

	# The same through shard iterators.
	my $via_iterators = $node->safe_psql(
		'postgres', q{
		CREATE TEMP TABLE out (n serial, shard_id text, sequence_number numeric,
							   partition_key text, md5 text, len int);
		DO $$
		DECLARE
			sh text;
			it text;
			res record;
		BEGIN
			FOR sh IN SELECT shard_id FROM stream.list_shards('crash') ORDER BY shard_id LOOP
				it := stream.get_shard_iterator('crash', sh, 'TRIM_HORIZON');
				LOOP
					SELECT * INTO res FROM stream.get_records(it, 100);
					EXIT WHEN coalesce(cardinality(res.records), 0) = 0;
					INSERT INTO out (shard_id, sequence_number, partition_key, md5, len)
						SELECT sh, r.sequence_number, r.partition_key, md5(r.data),
							   octet_length(r.data)
						FROM unnest(res.records) WITH ORDINALITY AS r(sequence_number,
							approximate_arrival_timestamp, data, partition_key,
							encryption_type, ord)
						ORDER BY ord;
					it := res.next_shard_iterator;
				END LOOP;
			END LOOP;
		END
		$$;
		SELECT shard_id, sequence_number, partition_key, md5, len FROM out ORDER BY n;
	});
	is($via_iterators, $read,
		"$name: get_records from TRIM_HORIZON returns what stream.read returns");

	# The stream still takes writes, after everything there.
	my $new = $node->safe_psql(
		'postgres', q{
		SELECT shard_id || '|' || sequence_number
		FROM stream.put_record('crash', 'after', '\x616674657220637261736821'::bytea)});
	like($new, qr/^shardId-\d{12}\|\d+$/, "$name: put_record works after the crash");
	my ($new_shard, $new_seq) = split /\|/, $new;
	is( $node->safe_psql(
			'postgres', qq{
		SELECT count(*) FROM stream.read('crash', '$new_shard')
		WHERE sequence_number >= $new_seq}),
		'1',
		"$name: the new record is the last of its shard");
	is( $node->safe_psql(
			'postgres', q{
		SELECT convert_from(data, 'UTF8') FROM stream.read('crash')
		WHERE partition_key = 'after'}),
		'after crash!',
		"$name: the new record reads back");

	# And once more: a clean restart keeps everything.
	$node->restart;
	my $after_restart = $node->safe_psql(
		'postgres', q{
		SELECT shard_id, sequence_number, partition_key, md5(data), octet_length(data)
		FROM stream.read('crash') WHERE partition_key <> 'after'});
	is($after_restart, $read, "$name: a clean restart returns the same records");

	$node->stop;
	return;
}

# Segments of the default size: the crash hits appends inside a segment.
crash_run('default_segments', '', 2);

# The smallest segments (16 blocks): the producers fill a segment every few
# records, so the crash also hits segment rollover.
crash_run('small_segments', 'stream.segment_size = 16', 4);

done_testing();
