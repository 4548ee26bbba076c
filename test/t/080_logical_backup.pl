# Logical backup (issue 12): pg_dump keeps every stream.
#
# A database with streams of every kind (a plain one with small, large and
# rolled-back records and explicit hash keys, one resharded with closed
# parents and a scaling, an on-demand one encrypted with a KMS key, one
# owned by an ordinary role whose mode changed, grants to another, a
# registered consumer, a KMS key rotated and disabled) is dumped with
# pg_dump -Fc, as plain SQL, as a directory with -j 2, data-only, and with
# --inserts, while a writer holds a record in progress.  Each dump is
# restored into a new database (pg_restore, psql, pg_restore -j 2, -a into
# a database that has the extension already, psql --single-transaction for
# --inserts), and compared stream by stream with what the original database
# showed when the dump began: list_streams, list_shards, describe_stream,
# privileges, scalings, changes of mode, consumers, tags, enhanced
# monitoring (in describe_stream), applications and their checkpoints,
# triggers and deliveries with their positions, keys with their
# sealed material, the endpoint's access keys with their sealed secrets, every segment with its sealed state and data key, and
# every record with its sequence number, arrival time, partition key, hash
# key and data, encrypted records as the same ciphertext, which reads back.
# Then, in each restored database, new records get larger sequence numbers,
# a new stream gets a new id, and an iterator AFTER_SEQUENCE_NUMBER of a
# dumped record resumes where the original does, and a crash loses nothing
# restored.  A schema-only dump restores without error and without
# streams; a dump cut short fails to restore and leaves no stream behind;
# pg_dump as an ordinary role fails loudly.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;

# Segments of 16 blocks, so that the records fill a few per shard; the
# maintenance runs when the test calls it, and no trigger worker runs, so
# nothing changes between what the test saw and the dump.
my $node = stream_node(
	'backup',
	extension => 0,
	conf => qq{
stream.segment_size = 16
stream.maintenance_worker = off
stream.max_trigger_workers = 0
});
my $tmp = PostgreSQL::Test::Utils::tempdir;

$node->safe_psql('postgres', q{
CREATE ROLE bk_owner LOGIN;
CREATE ROLE bk_reader LOGIN;
CREATE DATABASE src;
});
$node->safe_psql('src', q{
CREATE EXTENSION stream;
SELECT stream.create_stream('plain', 2);
SELECT stream.create_stream('resharded', 2);
SELECT stream.create_stream('ondemand', 1, 'ON_DEMAND', 48);
SELECT stream.grant('create', '*', 'bk_owner');
SELECT stream.grant('read', 'plain', 'bk_reader');
SELECT stream.grant('describe', '*', 'bk_reader');
SET ROLE bk_owner;
SELECT stream.create_stream('owned', 1);
SELECT stream.grant('write', 'owned', 'bk_reader');
RESET ROLE;
SELECT key_id FROM stream.create_key('stream-key');
SELECT stream.start_stream_encryption('ondemand', 'KMS', 'alias/stream-key');
SELECT key_id FROM stream.create_key('backup-key', 'kept by pg_dump');
SELECT access_key_id FROM stream.create_access_key('bk_owner');
SELECT stream.rotate_key('alias/backup-key');
SELECT stream.disable_key('alias/backup-key');
CALL stream.run_maintenance();
});

# Writes a batch of records to a stream, with a rolled-back record before
# it, and lets maintenance add segments.
sub write_batch
{
	my ($stream, $n, $salt) = @_;
	$node->safe_psql('src', qq{
BEGIN;
SELECT stream.put_record('$stream', 'gone-$salt', '\\x00');
ROLLBACK;
SELECT count(*) FROM stream.put_records('$stream',
	(SELECT array_agg('key-' || (i % 97) ORDER BY i) FROM generate_series(1, $n) i),
	(SELECT array_agg(convert_to(repeat(md5(i::text || '$salt'), 1 + i % 5), 'UTF8') ORDER BY i)
	 FROM generate_series(1, $n) i));
CALL stream.run_maintenance();
});
	return;
}

foreach my $b (1 .. 6)
{
	write_batch('plain', 500, "p$b");
	write_batch('ondemand', 200, "o$b");
	write_batch('owned', 100, "w$b");
	write_batch('resharded', 300, "r$b") if $b <= 3;
}
# large records (chunks on the pages that follow) and explicit hash keys
$node->safe_psql('src', q{
SELECT stream.put_record('plain', 'big', convert_to(repeat('x', 20000), 'UTF8'));
SELECT stream.put_record('plain', 'huge', decode(repeat('ab', 1000000), 'hex'));
SELECT stream.put_record('plain', 'small-after-huge', '\x01');
SELECT stream.put_record('plain', 'explicit', '\x02',
						 explicit_hash_key => 340282366920938463463374607431768211455);
SELECT stream.put_record('plain', 'explicit', '\x03', explicit_hash_key => 0);
});
# reshard: the parents close, the children take new records
$node->safe_psql('src', q{
SELECT stream.split_shard('resharded', 'shardId-000000000000',
						  '85070591730234615865843651857942052864');
SELECT stream.merge_shards('resharded', 'shardId-000000000003', 'shardId-000000000001');
CALL stream.run_maintenance();
});
write_batch('resharded', 300, 'r4');
# a scaling, a change of mode and a registered consumer, which limits and
# describe_stream_summary count
$node->safe_psql('src', q{
SELECT stream.update_shard_count('resharded', 4, 'UNIFORM_SCALING');
SELECT stream.update_stream_mode('owned', 'ON_DEMAND');
INSERT INTO stream.consumers (stream_id, consumer_name)
	SELECT stream_id, 'app-1' FROM stream.streams WHERE stream_name = 'plain';
SELECT stream.add_tags_to_stream('plain', '{"team": "web", "Ünïcode key": ""}');
SELECT stream.enable_enhanced_monitoring('plain', '{IncomingBytes,OutgoingRecords}');
CALL stream.run_maintenance();
});
write_batch('resharded', 300, 'r5');
# an application that has read part of the resharded stream: its
# checkpoints, with parents read to their end, come through
$node->safe_psql('src', q{
SELECT stream.create_application('resharded-app', 'resharded', lease_duration => '1 minute');
DO $$
BEGIN
	FOR i IN 1..4 LOOP
		PERFORM count(*) FROM stream.consume('resharded-app', 'w1', 250);
	END LOOP;
END
$$;
-- a trigger, with a position in one of its lanes (as a worker leaves it)
CREATE FUNCTION public.on_clicks(records stream.record[], shard_id text) RETURNS void
	LANGUAGE sql AS $$ SELECT $$;
SELECT stream.create_trigger('resharded-trigger', 'resharded', 'public.on_clicks(stream.record[], text)',
							 batch_size => 50, parallelization_factor => 2,
							 starting_position => 'TRIM_HORIZON', on_failure_stream => 'plain');
SELECT stream.create_delivery('resharded-archive', 'resharded', 'table', 'archive',
							  buffer_interval => '10 seconds');
SELECT stream_internal.sink_lane_read('resharded-trigger', 0, 1, 7,
	(SELECT max(sequence_number) FROM stream.read('resharded') WHERE shard_id = 'shardId-000000000000'),
	true);
});

# A writer holds a record in progress when the dump begins; a record
# committed after it on the same shard is in the dump, behind a hole.
my ($inprog_out, $inprog_err) = ('', '');
my $inprog = IPC::Run::start(
	[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('src') ],
	'<', \my $inprog_in, '>', \$inprog_out, '2>', \$inprog_err);
$inprog_in = "BEGIN;\nSELECT 'begun', stream.put_record('plain', 'in-progress', '\\xff');\n";
$inprog->pump until $inprog_out =~ /begun/;
$node->safe_psql('src', q{SELECT stream.put_record('plain', 'in-progress', '\xee')});

# What the database shows as the dump begins (the record in progress is not
# part of it).
my %queries = (
	streams => q{SELECT * FROM stream.list_streams() ORDER BY stream_name},
	shards => q{SELECT s.stream_name, l.* FROM stream.list_streams() s,
					LATERAL stream.list_shards(s.stream_name) l ORDER BY 1, 2},
	describe => q{SELECT stream_name, stream.describe_stream(stream_name),
					  (SELECT row(d.*) FROM stream.describe_stream_summary(stream_name) d)
				  FROM stream.list_streams() ORDER BY 1},
	privileges => q{SELECT * FROM stream.privileges() ORDER BY 1, 2, 3},
	segments => q{SELECT s.stream_name, g.segment_no, g.shard_no, g.relation::text,
					  (stream_internal.segment_info(g.relation)).sealed, g.key_id, g.key_version,
					  md5(g.data_key)
				  FROM stream.segments g JOIN stream.streams s USING (stream_id) ORDER BY 1, 2},
	# (stream.read waits at a record in progress: this one is taken once
	# the writer has committed, without its record)
	records => q{SELECT s.stream_name, r.* FROM stream.list_streams() s,
					 LATERAL stream.read(s.stream_name) r
				 WHERE NOT (r.partition_key = 'in-progress' AND r.data = '\xff')
				 ORDER BY 1, 2, 3},
	storage => q{SELECT stream_id, sequence_number, arrival, md5(partition_key), hash_key, md5(data),
					md5(sealed_key)
				 FROM stream_internal.dump_rows() WHERE kind = 'record' ORDER BY 1, 2},
	ids => q{SELECT stream_id, stream_name FROM stream.streams ORDER BY 1},
	keys => q{SELECT k.*, (SELECT string_agg(v.version || ':' || md5(v.material), ',' ORDER BY v.version)
						   FROM stream_internal.key_versions v WHERE v.key_id = k.key_id)
			  FROM stream.keys k ORDER BY 1},
	access_keys => q{SELECT access_key_id, role::text, md5(secret), created_by::text, created_at
					 FROM stream_internal.access_keys ORDER BY 1},
	tags => q{SELECT s.stream_name, t.* FROM stream.list_streams() s,
				  LATERAL stream.list_tags_for_stream(s.stream_name) t ORDER BY 1, 2},
	applications => q{SELECT a.application_name, a.initial_position, a.lease_duration, a.created_at,
						 l.shard_id, l.checkpoint, l.parent_shard_ids, l.shard_end_reached
					  FROM stream.applications a, LATERAL stream.leases(a.application_name) l
					  ORDER BY 1, 5},
	triggers => q{SELECT trigger_name, stream_name, function::text, owner::text, batch_size,
						 maximum_batching_window, starting_position, parallelization_factor,
						 maximum_retry_attempts, bisect_batch_on_function_error, on_failure_stream,
						 records, batches, lanes
				  FROM stream.triggers ORDER BY 1},
	deliveries => q{SELECT delivery_name, stream_name, destination, target, owner::text, buffer_size_mb,
						   buffer_interval, format, compression, records, deliveries, shards
					FROM stream.deliveries ORDER BY 1},
	changes => q{SELECT 'scaling', stream_id, scaled_at::text FROM stream.scalings
				 UNION ALL SELECT 'mode', stream_id, changed_at::text FROM stream.mode_changes
				 UNION ALL SELECT 'consumer', stream_id, row(c.*)::text FROM stream.consumers c
				 ORDER BY 1, 2, 3});
my %before = map { $_ => $node->safe_psql('src', $queries{$_}) } grep { $_ ne 'records' } keys %queries;
my $nrecords = $node->safe_psql('src', q{SELECT count(*) FROM stream_internal.dump_rows() WHERE kind = 'record'});
cmp_ok($nrecords, '>', 5000, "the database holds $nrecords records");
cmp_ok($node->safe_psql('src', q{SELECT count(*) FROM stream.shards WHERE closed_at IS NOT NULL}),
	'>=', 3, 'the resharded stream has closed parents');
cmp_ok($node->safe_psql('src', q{SELECT count(*) FROM stream.segments}),
	'>', 12, 'the shards have several segments each');
cmp_ok($node->safe_psql('src', q{SELECT count(*) FROM stream_internal.dump_rows() WHERE sealed_key IS NOT NULL}),
	'>', 1000, 'the on-demand stream\'s records are encrypted');
is($node->safe_psql('src', q{SELECT (SELECT count(*) FROM stream.scalings) || '/' ||
	(SELECT count(*) FROM stream.mode_changes) || '/' || (SELECT count(*) FROM stream.consumers)}),
	'1/1/1', 'a scaling, a change of mode and a consumer are recorded');
is($node->safe_psql('src', q{SELECT stream.describe_stream('plain')->'EnhancedMonitoring'}),
	'[{"ShardLevelMetrics": ["IncomingBytes", "OutgoingRecords"]}]',
	'a stream counts shard-level metrics');
like($node->safe_psql('src', q{SELECT string_agg(DISTINCT (checkpoint IS NOT NULL)::text || '/'
										|| shard_end_reached::text, ',')
							   FROM stream.leases('resharded-app')}),
	qr/^false\/false,.*true\/true$/,
	'the application has shards read to their end and shards not begun');
is($node->safe_psql('src', q{SELECT count(*) || '/' || count(*) FILTER (WHERE checkpoint IS NOT NULL AND shard_end_reached)
							   FROM stream.sink_lanes}),
	'27/1', 'the trigger has lanes (2 for each of 9 shards), one of them read to its end, and the delivery (1 each)');

# The dumps
$node->command_ok([ 'pg_dump', '-Fc', '-f', "$tmp/src.dump", '-d', 'src' ], 'pg_dump -Fc');
$node->command_ok([ 'pg_dump', '-f', "$tmp/src.sql", '-d', 'src' ], 'pg_dump as plain SQL');
$node->command_ok([ 'pg_dump', '-Fd', '-j', '2', '-f', "$tmp/src.dir", '-d', 'src' ],
	'pg_dump -Fd -j 2');
$node->command_ok([ 'pg_dump', '-a', '-f', "$tmp/src_data.sql", '-d', 'src' ],
	'pg_dump --data-only');
$node->command_ok([ 'pg_dump', '--inserts', '-f', "$tmp/src_inserts.sql", '-d', 'src' ],
	'pg_dump --inserts');
$node->command_ok([ 'pg_dump', '-s', '-f', "$tmp/src_schema.sql", '-d', 'src' ],
	'pg_dump --schema-only');

# The writer commits: the original moves on, the dumps do not.
$inprog_in .= "COMMIT;\n\\q\n";
$inprog->finish;
is($inprog->result(0), 0, 'the writer in progress commits after the dump began');
$before{records} = $node->safe_psql('src', $queries{records});

my $plain = slurp_file("$tmp/src.sql");
like($plain, qr/^COPY stream_internal\.dump \(/m, 'the plain dump copies the rows of streams');
unlike($plain, qr/stream_acl\.s\d/, '... and names no stream\'s view, which only its rows make');

# Restores
$node->safe_psql('postgres', q{
CREATE DATABASE r_custom; CREATE DATABASE r_plain; CREATE DATABASE r_dir;
CREATE DATABASE r_data; CREATE DATABASE r_inserts; CREATE DATABASE r_cut;
CREATE DATABASE r_schema;
});
$node->command_ok([ 'pg_restore', '-e', '-d', 'r_custom', "$tmp/src.dump" ],
	'pg_restore of the custom dump');
$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'r_plain', '-f', "$tmp/src.sql" ],
	'psql restores the plain dump');
$node->command_ok([ 'pg_restore', '-e', '-j', '2', '-d', 'r_dir', "$tmp/src.dir" ],
	'pg_restore -j 2 of the directory dump');
$node->safe_psql('r_data', q{CREATE EXTENSION stream;
CREATE FUNCTION public.on_clicks(records stream.record[], shard_id text) RETURNS void
	LANGUAGE sql AS $$ SELECT $$;
CREATE TABLE public.archive (shard_id text NOT NULL, sequence_number numeric NOT NULL,
							 approximate_arrival_timestamp timestamptz NOT NULL,
							 partition_key text NOT NULL, data bytea NOT NULL,
							 PRIMARY KEY (shard_id, sequence_number));});
$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'r_data', '-f', "$tmp/src_data.sql" ],
	'psql restores the data-only dump into a database with the extension');

$node->command_ok(
	[ 'psql', '-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-d', 'r_inserts', '-f', "$tmp/src_inserts.sql" ],
	'psql --single-transaction restores the dump made with --inserts');
$node->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'r_schema', '-f', "$tmp/src_schema.sql" ],
	'psql restores the schema-only dump, without error');
is($node->safe_psql('r_schema', 'SELECT count(*) FROM stream.streams'), '0',
	'... and it has no stream');

# What the application reads from its checkpoints on, to the end, as a new
# worker (a parent read to its end lets its children be read at the next
# call: a few calls find nothing before the last).
my $read_rest = q{
CREATE TEMP TABLE got AS SELECT * FROM stream.consume('resharded-app', 'w2', 1) LIMIT 0;
DO $$
DECLARE
	n int;
	empty int := 0;
BEGIN
	WHILE empty < 5 LOOP
		INSERT INTO got SELECT * FROM stream.consume('resharded-app', 'w2', 10000);
		GET DIAGNOSTICS n = ROW_COUNT;
		empty := CASE WHEN n = 0 THEN empty + 1 ELSE 0 END;
	END LOOP;
END
$$;
SELECT count(*), md5(string_agg(shard_id || sequence_number || encode(data, 'hex'), ','
								ORDER BY shard_id, sequence_number))
FROM got};
my $rest_in_src = $node->safe_psql('src', $read_rest);
like($rest_in_src, qr/^[1-9]\d*\|/, 'the original application has records left to read');

foreach my $db (qw(r_custom r_plain r_dir r_data r_inserts))
{

	foreach my $what (sort keys %queries)
	{
		my $after = $node->safe_psql($db, $queries{$what});
		ok($after eq $before{$what}, "$db: $what as in the original")
		  or diag("original:\n" . substr($before{$what}, 0, 2000) . "\nrestored:\n" . substr($after, 0, 2000));
	}

	# new writes go after the restored records
	my $check = $node->safe_psql($db, q{
WITH last AS (SELECT shard_id, max(sequence_number) AS seq FROM stream.read('plain') GROUP BY 1),
	 put AS (SELECT p.* FROM generate_series(1, 20) i,
			 LATERAL stream.put_record('plain', 'new-' || i, '\x0a') p)
SELECT bool_and(put.sequence_number > last.seq), count(*) FROM put JOIN last USING (shard_id)});
	is($check, 't|20', "$db: new records get sequence numbers after the restored ones");

	# a new stream gets an id the original never gave
	$node->safe_psql($db, q{SELECT stream.create_stream('fresh', 1)});
	is( $node->safe_psql($db, q{SELECT stream_id > (SELECT max(stream_id) FROM stream.streams s
											  WHERE s.stream_name <> 'fresh')
						   FROM stream.streams WHERE stream_name = 'fresh'}),
		't', "$db: a new stream gets a new id");

	# an iterator after a dumped record resumes as in the original
	my $resume = q{
SELECT (SELECT string_agg(r.sequence_number::text || ':' || encode(r.data, 'hex'), ',')
		FROM unnest((stream.get_records(stream.get_shard_iterator('plain', 'shardId-000000000001',
				'AFTER_SEQUENCE_NUMBER',
				(SELECT sequence_number FROM stream.read('plain', 'shardId-000000000001')
				 ORDER BY sequence_number OFFSET 1000 LIMIT 1)), 5)).records) r)};
	is($node->safe_psql($db, $resume), $node->safe_psql('src', $resume),
		"$db: AFTER_SEQUENCE_NUMBER of a dumped record resumes where the original does");

	# the ordinary roles keep their privileges
	is( $node->safe_psql($db, q{SET ROLE bk_reader;
SELECT count(*) > 0 FROM stream.read('plain', 'shardId-000000000000');
SELECT stream.put_record('owned', 'k', '\x01') IS NOT NULL}),
		"t\nt", "$db: the roles read and write as they did");

	# (last: it moves the checkpoints compared above)
	is($node->safe_psql($db, $read_rest), $rest_in_src,
		"$db: the application reads on from its checkpoints what the original does");
}

# What a restore wrote is in the WAL: after a crash, recovery replays it.
my $storage_before_crash = $node->safe_psql('r_plain', $queries{storage});
crash_node($node);
$node->start;
ok($node->safe_psql('r_plain', $queries{storage}) eq $storage_before_crash,
	'after a crash, the restored records are all there');

# The hole left by the record in progress is kept: the original's later
# record has the same sequence number in the restored database.
is( $node->safe_psql('r_custom', q{SELECT string_agg(encode(data, 'hex'), ',' ORDER BY sequence_number)
								   FROM stream.read('plain') WHERE partition_key = 'in-progress'}),
	'ee', 'the record in progress when the dump began is not restored');
is( $node->safe_psql('r_custom', q{SELECT sequence_number FROM stream.read('plain')
								   WHERE partition_key = 'in-progress'}),
	$node->safe_psql('src', q{SELECT sequence_number FROM stream.read('plain')
							  WHERE partition_key = 'in-progress' AND data = '\xee'}),
	'the record after it keeps its sequence number');

# A dump cut short (its last row lost) fails and restores nothing.
my $cut = $plain;
$cut =~ s/^end\t[^\n]*\n//m or die 'no end row in the plain dump';
open(my $fh, '>', "$tmp/cut.sql") or die;
print $fh $cut;
close($fh);
my ($out, $err) = ('', '');
IPC::Run::run([ 'psql', '-X', '-q', '-d', $node->connstr('r_cut'), '-f', "$tmp/cut.sql" ],
	'>', \$out, '2>', \$err);
like($err, qr/the dump of streams being restored ends before its last row/,
	'a dump cut short fails to restore');
is($node->safe_psql('r_cut', 'SELECT count(*) FROM stream.streams'), '0', '... and leaves no stream');

# Only a superuser dumps streams.
my ($stdout, $stderr) = ('', '');
my $ok = IPC::Run::run([ 'pg_dump', '-U', 'bk_owner', '-d', $node->connstr('src') ],
	'>', \$stdout, '2>', \$stderr);
ok(!$ok, 'pg_dump as an ordinary role fails');
like($stderr, qr/permission denied/, '... saying permission denied');

$node->stop;
done_testing();
