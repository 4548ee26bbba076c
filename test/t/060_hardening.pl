# The extension cannot be turned against the server from a database:
#  - the maintenance worker, which runs as a superuser, never calls a
#    function or operator that the database's owner put on the search_path
#    (the database's default search_path puts public first, and public holds
#    functions and operators of exactly the argument types the extension's
#    SQL uses, each failing loudly if called);
#  - a role's default_tablespace does not place the extension's relations,
#    and moving a segment to another tablespace leaves no file behind;
#  - errors quote at most a bounded part of an argument, so that calls with
#    arguments of 100 MB leave a few kB in the server log, not hundreds of MB.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;

my $node = stream_node(
	'hardening',
	conf => q{
stream.maintenance_interval = '100ms'
stream.min_retention_period = '1s'
stream.segment_size = '128kB'
});

# The database owner's trap, set for every session of the database, the
# worker's included.
$node->safe_psql(
	'postgres', q{
CREATE FUNCTION public.cardinality(regclass[]) RETURNS int LANGUAGE plpgsql
	AS $$ BEGIN RAISE EXCEPTION 'trap: public.cardinality(regclass[]) was called'; END $$;
CREATE FUNCTION public.trap_gt(bigint, int) RETURNS boolean LANGUAGE plpgsql
	AS $$ BEGIN RAISE EXCEPTION 'trap: public.>(bigint, int) was called'; END $$;
CREATE OPERATOR public.> (LEFTARG = bigint, RIGHTARG = int, FUNCTION = public.trap_gt);
CREATE FUNCTION public.trap_ge(timestamptz, timestamptz) RETURNS boolean LANGUAGE plpgsql
	AS $$ BEGIN RAISE EXCEPTION 'trap: public.>=(timestamptz, timestamptz) was called'; END $$;
CREATE OPERATOR public.>= (LEFTARG = timestamptz, RIGHTARG = timestamptz,
						   FUNCTION = public.trap_ge);
CREATE FUNCTION public.trap_lt(interval, interval) RETURNS boolean LANGUAGE plpgsql
	AS $$ BEGIN RAISE EXCEPTION 'trap: public.<(interval, interval) was called'; END $$;
CREATE OPERATOR public.< (LEFTARG = interval, RIGHTARG = interval, FUNCTION = public.trap_lt);
ALTER DATABASE postgres SET search_path = public, pg_catalog;
});

# A stream whose segments the worker must add, seal, and expire: records
# kept for a second, in segments sealed at a twentieth of that.
$node->safe_psql(
	'postgres', q{
SET search_path = pg_catalog;
SELECT stream.create_stream('trapped', 2);
SELECT stream.set_retention_period('trapped', '1 second');
SELECT stream.put_record('trapped', 'k' || g, '\x01') FROM generate_series(1, 100) g;
});
my $first_segment = $node->safe_psql('postgres',
	q{SELECT min(segment_no) FROM stream.segments});

# The worker's passes: a ready segment for each shard, then, once the
# records are older than the retention, the first segments sealed and
# dropped.
ok( wait_until(
		$node, 'postgres',
		qq{SELECT NOT EXISTS (SELECT FROM stream.segments WHERE segment_no = $first_segment)},
		60),
	'the worker added, sealed and expired segments');
unlike(slurp_file($node->logfile), qr/(ERROR|WARNING):.*trap:/,
	'the worker called none of the functions and operators in public');
unlike(slurp_file($node->logfile), qr/stream maintenance in database "postgres" failed/,
	'no maintenance pass failed');

# A role's default_tablespace does not place the segments of the streams
# it makes: they go where the database's relations go, in a tablespace the
# role may have no CREATE on.
my $ts_dir = PostgreSQL::Test::Utils::tempdir;
$node->safe_psql(
	'postgres', qq{
CREATE TABLESPACE hardening_ts LOCATION '$ts_dir';
CREATE ROLE ts_role LOGIN;
ALTER ROLE ts_role SET default_tablespace = 'hardening_ts';
SELECT stream.grant('create', '*', 'ts_role');
});
$node->safe_psql('postgres', q{SELECT stream.create_stream('ts_stream', 2)},
	extra_params => [ '-U', 'ts_role' ]);
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM pg_class
WHERE relnamespace IN ('stream_data'::regnamespace, 'stream_acl'::regnamespace)
  AND reltablespace <> 0}),
	'0',
	'a role\'s default_tablespace does not place the segments of its stream');

# ALTER TABLE SET TABLESPACE moves a segment's pages and leaves no file
# behind, there or on the way back, and the records read as before.
my $segment = $node->safe_psql('postgres', q{
SELECT g.relation FROM stream.segments g JOIN stream.streams s USING (stream_id)
WHERE s.stream_name = 'ts_stream' ORDER BY g.shard_no, g.segment_no LIMIT 1});
$node->safe_psql('postgres', qq{
SELECT stream.put_record('ts_stream', 'k' || g, '\x01', explicit_hash_key => 0)
FROM generate_series(1, 2000) g});
my $records_before = $node->safe_psql('postgres',
	q{SELECT string_agg(sequence_number::text, ',' ORDER BY sequence_number)
	  FROM stream.read('ts_stream')});
foreach my $target ('hardening_ts', 'pg_default')
{
	my $old_file = $node->data_dir . '/'
	  . $node->safe_psql('postgres', qq{SELECT pg_relation_filepath('$segment')});
	ok(-e $old_file, "the segment's file is there before it moves to $target");
	$node->safe_psql('postgres', qq{ALTER TABLE $segment SET TABLESPACE $target});
	$node->safe_psql('postgres', 'CHECKPOINT');
	ok(!-e $old_file, "... and gone once it moved to $target");
	is( $node->safe_psql('postgres',
			q{SELECT string_agg(sequence_number::text, ',' ORDER BY sequence_number)
			  FROM stream.read('ts_stream')}),
		$records_before,
		'... and every record reads as before');
}
$node->safe_psql('postgres', q{
SELECT stream.delete_stream('ts_stream');
SELECT stream.revoke('create', '*', 'ts_role');
DROP ROLE ts_role;
});
is($node->psql('postgres', 'DROP TABLESPACE hardening_ts'), 0,
	'the tablespace is empty again: DROP TABLESPACE works');

# Arguments of 100 MB, each in a call that fails with an error quoting it.
my $log_before = -s $node->logfile;
my @calls = (
	q{SELECT * FROM stream.describe_stream_summary(repeat('x', 100000000))},
	q{SELECT stream.create_stream(repeat('x', 100000000))},
	q{SELECT stream.get_shard_iterator('trapped', repeat('x', 100000000), 'LATEST')},
	q{SELECT stream.get_shard_iterator('trapped', 'shardId-000000000000', repeat('x', 100000000))},
	q{SELECT * FROM stream.get_records(repeat('x', 100000000))},
	q{SELECT * FROM stream.list_shards('trapped', repeat('x', 100000000))},
	q{SELECT stream.put_record('trapped', repeat('x', 100000000), '\x01')},
	q{SELECT stream.split_shard('trapped', repeat('x', 100000000), 1)});
foreach my $sql (@calls)
{
	my ($ret, $stdout, $stderr) = $node->psql('postgres', $sql);
	isnt($ret, 0, 'fails: ' . substr($sql, 0, 60));
	cmp_ok(length($stderr), '<', 2000, '... with a short error');
}
my $log_growth = (-s $node->logfile) - $log_before;
note "the server log grew by $log_growth bytes";
cmp_ok($log_growth, '<', 16 * 1024,
	'eight calls with 100 MB arguments left less than 16 kB in the server log');

$node->stop;
done_testing();
