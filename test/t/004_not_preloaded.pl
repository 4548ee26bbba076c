# The library registers shared memory, a WAL resource manager and a background
# worker, so it must be in shared_preload_libraries.  Without it, CREATE
# EXTENSION stream must fail, install nothing, and say how to fix it in a HINT.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('not_preloaded');
init_node($node);
$node->start;

my ($stdout, $stderr);
my $ret = $node->psql(
	'postgres', 'CREATE EXTENSION stream;',
	stdout => \$stdout,
	stderr => \$stderr,
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);

isnt($ret, 0, 'CREATE EXTENSION stream fails without shared_preload_libraries');
like($stderr, qr/ERROR:/, 'it raises an error');
like($stderr, qr/^HINT:.*shared_preload_libraries/m,
	'its HINT mentions shared_preload_libraries');
unlike($stderr, qr/server closed the connection|PANIC|terminated/,
	'the server survives the attempt');

is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_extension WHERE extname = 'stream'"),
	'0',
	'the extension is not installed');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_namespace WHERE nspname IN ('stream', 'stream_internal', 'stream_data')"
	),
	'0',
	'no schema of the extension is left behind');

# With the library preloaded, the same command succeeds.
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'stream'");
$node->restart;
$ret = $node->psql(
	'postgres', 'CREATE EXTENSION stream;',
	stderr => \$stderr);
is($ret, 0, 'CREATE EXTENSION stream succeeds once the library is preloaded')
  or diag($stderr);

$node->stop;
done_testing();
