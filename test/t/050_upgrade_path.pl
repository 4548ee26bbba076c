# The upgrade path: every earlier version of the extension that the server
# has an install script for updates, by ALTER EXTENSION stream UPDATE, to
# the current one, and ends up with exactly what a fresh install of the
# current version has: the same objects, with the same definitions, columns,
# constraints, indexes, triggers and privileges.
#
# A release keeps its install script as sql/stream--VERSION.sql, and every
# change after it comes with an update script sql/stream--A--B.sql
# (README, "Upgrades").  Until the first release there is no earlier
# version: the test then checks that no version is left without a path to
# the current one, and that its comparison of two installs tells a changed
# function body and a changed privilege from a fresh install, so that it is
# ready for the first update script.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;

my $node = stream_node('upgrade', extension => 0);

# What an install of the extension in a database consists of, one line per
# member object, sorted.
my $describe = q{
WITH members AS (
	SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
	WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
	  AND e.extname = 'stream'
)
SELECT pg_describe_object(m.classid, m.objid, 0) || ': ' || coalesce(CASE m.classid
	WHEN 'pg_proc'::regclass THEN (
		SELECT pg_get_functiondef(p.oid) || ' acl ' || coalesce(p.proacl::text, '-')
		FROM pg_proc p WHERE p.oid = m.objid)
	WHEN 'pg_class'::regclass THEN (
		SELECT c.relkind::text || ' am ' || coalesce(am.amname, '-')
			   || ' acl ' || coalesce(c.relacl::text, '-')
			   || ' columns ' || coalesce((
				   SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
									 || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
									 || CASE WHEN a.attidentity <> '' THEN ' identity' ELSE '' END
									 || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), ''),
									 ', ' ORDER BY a.attnum)
				   FROM pg_attribute a
				   LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
				   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '-')
			   || ' constraints ' || coalesce((
				   SELECT string_agg(pg_get_constraintdef(k.oid), '; ' ORDER BY k.conname)
				   FROM pg_constraint k WHERE k.conrelid = c.oid), '-')
			   || ' indexes ' || coalesce((
				   SELECT string_agg(pg_get_indexdef(i.indexrelid), '; '
									 ORDER BY pg_get_indexdef(i.indexrelid))
				   FROM pg_index i WHERE i.indrelid = c.oid), '-')
			   || ' triggers ' || coalesce((
				   SELECT string_agg(pg_get_triggerdef(t.oid), '; ' ORDER BY t.tgname)
				   FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), '-')
		FROM pg_class c LEFT JOIN pg_am am ON am.oid = c.relam WHERE c.oid = m.objid)
	WHEN 'pg_type'::regclass THEN (
		SELECT t.typtype::text || ' ' || coalesce((
			SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod),
							  ', ' ORDER BY a.attnum)
			FROM pg_attribute a
			WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '-')
		FROM pg_type t WHERE t.oid = m.objid)
	WHEN 'pg_namespace'::regclass THEN (
		SELECT 'acl ' || coalesce(n.nspacl::text, '-') FROM pg_namespace n WHERE n.oid = m.objid)
	WHEN 'pg_am'::regclass THEN (
		SELECT a.amtype::text || ' ' || a.amhandler::text FROM pg_am a WHERE a.oid = m.objid)
	END, '')
FROM members m ORDER BY 1
};

my $current = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'stream'});
my @earlier = split /\n/,
  $node->safe_psql(
	'postgres', qq{
	SELECT version FROM pg_available_extension_versions
	WHERE name = 'stream' AND version <> '$current' ORDER BY version});
note "current version $current; earlier versions: @earlier";

# A fresh install of the current version.
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION stream');
my $fresh = $node->safe_psql('fresh', $describe);
like($fresh, qr/^function stream\.put_record\(.*\): CREATE OR REPLACE FUNCTION/m,
	'the description of an install holds its functions');
like($fresh, qr/^table stream\.streams: r am heap acl - columns stream_id integer not null identity/m,
	'... its tables with their columns');

# The comparison tells a changed function body, and a changed privilege,
# from the fresh install.
$node->safe_psql('postgres', 'CREATE DATABASE changed');
$node->safe_psql('changed', 'CREATE EXTENSION stream');
$node->safe_psql(
	'changed', q{
	SET stream.ddl_guard = off;    -- to change the extension's function
	CREATE OR REPLACE FUNCTION stream_internal.retention_hours(retention interval)
		RETURNS int LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$ SELECT pg_catalog.floor(extract(epoch FROM retention) / 3600)::int $$});
isnt($node->safe_psql('changed', $describe), $fresh,
	'a changed function body makes the installs differ');
$node->safe_psql('changed', 'DROP EXTENSION stream; CREATE EXTENSION stream');
is($node->safe_psql('changed', $describe), $fresh,
	'an install made again is the same as the fresh one');
$node->safe_psql('changed',
	'SET stream.ddl_guard = off; GRANT EXECUTE ON FUNCTION stream_internal.shard_id(int) TO PUBLIC');
isnt($node->safe_psql('changed', $describe), $fresh,
	'a changed privilege makes the installs differ');

# Every earlier version has a path to the current one, and updated along it
# it is the same as a fresh install.
foreach my $version (@earlier)
{
	my $path = $node->safe_psql(
		'postgres', qq{
		SELECT path FROM pg_extension_update_paths('stream')
		WHERE source = '$version' AND target = '$current'});
	isnt($path, '', "version $version has an update path to $current")
	  or next;
	my $db = 'from_' . ($version =~ s/\W/_/gr);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, "CREATE EXTENSION stream VERSION '$version'");
	$node->safe_psql($db, 'ALTER EXTENSION stream UPDATE');
	is($node->safe_psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'stream'}),
		$current, "version $version updates to $current ($path)");
	is($node->safe_psql($db, $describe), $fresh,
		"version $version updated to $current is the same as a fresh install");
}
note 'no earlier version to update from' unless @earlier;

$node->stop;
done_testing();
