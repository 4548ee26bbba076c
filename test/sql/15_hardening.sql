\set ECHO none
\i test/sql/lib/setup.sql
-- What the extension does cannot be turned against the server: functions
-- and operators that someone put on the search_path are never called by
-- the extension's SQL, the extension makes its own schemas, the iterator
-- lifetime is fixed when an iterator is issued, and wrong arguments get
-- Kinesis' errors.
BEGIN;
SELECT plan(28);

\i test/sql/lib/helpers.sql

-- Functions and operators of exactly the argument types the extension's
-- SQL uses, in public, which a database owner may write to; each fails
-- loudly if it is ever called.  pg_catalog's own are less specific
-- (anyarray, numeric, float8), so code that resolved names with public on
-- its path would call these.
CREATE FUNCTION public.cardinality(regclass[]) RETURNS int LANGUAGE plpgsql
	AS $$ BEGIN RAISE EXCEPTION 'public.cardinality(regclass[]) was called'; END $$;
CREATE FUNCTION public.div(numeric, int) RETURNS numeric LANGUAGE plpgsql
	AS $$ BEGIN RAISE EXCEPTION 'public.div(numeric, int) was called'; END $$;
CREATE FUNCTION public.shadow_divide(interval, int) RETURNS interval LANGUAGE plpgsql
	AS $$ BEGIN RAISE EXCEPTION 'public./(interval, int) was called'; END $$;
CREATE OPERATOR public./ (LEFTARG = interval, RIGHTARG = int, FUNCTION = public.shadow_divide);
CREATE FUNCTION public.make_interval(hours int) RETURNS interval LANGUAGE plpgsql
	AS $$ BEGIN RAISE EXCEPTION 'public.make_interval(int) was called'; END $$;
CREATE FUNCTION public.array_agg(regclass) RETURNS regclass[] LANGUAGE plpgsql
	AS $$ BEGIN RAISE EXCEPTION 'public.array_agg(regclass) was called'; END $$;
CREATE FUNCTION public.format(text, text) RETURNS text LANGUAGE plpgsql
	AS $$ BEGIN RAISE EXCEPTION 'public.format(text, text) was called'; END $$;
-- and operators of the same argument types as pg_catalog's, which win when
-- public comes first
CREATE FUNCTION public.shadow_gt(bigint, int) RETURNS boolean LANGUAGE plpgsql
	AS $$ BEGIN RAISE EXCEPTION 'public.>(bigint, int) was called'; END $$;
CREATE OPERATOR public.> (LEFTARG = bigint, RIGHTARG = int, FUNCTION = public.shadow_gt);
CREATE FUNCTION public.shadow_ge(timestamptz, timestamptz) RETURNS boolean LANGUAGE plpgsql
	AS $$ BEGIN RAISE EXCEPTION 'public.>=(timestamptz, timestamptz) was called'; END $$;
CREATE OPERATOR public.>= (LEFTARG = timestamptz, RIGHTARG = timestamptz,
						   FUNCTION = public.shadow_ge);

-- public first, as a database's owner may set it for everyone
SET search_path = public, pg_catalog;
SET stream.min_retention_period = '1s';

SELECT lives_ok($$SELECT stream.create_stream('hard', 2)$$,
				'create_stream with shadowing functions on the search_path');
SELECT lives_ok($$SELECT stream.put_record('hard', 'k', '\x01')$$, 'put_record');
SELECT lives_ok($$SELECT * FROM stream.put_records('hard', ARRAY['a', 'b'], ARRAY['\x01', '\x02']::bytea[])$$,
				'put_records');
SELECT lives_ok($$SELECT stream.get_records(stream.get_shard_iterator('hard', 'shardId-000000000000', 'TRIM_HORIZON'))$$,
				'get_shard_iterator and get_records');
SELECT lives_ok($$SELECT count(*) FROM stream.read('hard')$$, 'read');
SELECT lives_ok($$SELECT * FROM stream.list_streams()$$, 'list_streams');
SELECT lives_ok($$SELECT * FROM stream.describe_stream_summary('hard')$$, 'describe_stream_summary');
SELECT lives_ok($$SELECT stream.describe_stream('hard')$$, 'describe_stream');
SELECT lives_ok($$SELECT * FROM stream.list_shards('hard', 'AT_TIMESTAMP', NULL, now())$$, 'list_shards');
SELECT lives_ok($$SELECT stream.increase_stream_retention_period('hard', 48)$$,
				'increase_stream_retention_period');
SELECT lives_ok($$SELECT stream.decrease_stream_retention_period('hard', 24)$$,
				'decrease_stream_retention_period');
SELECT lives_ok($$SELECT stream.set_retention_period('hard', '2 seconds')$$, 'set_retention_period');
SELECT lives_ok($$SELECT stream.split_shard('hard', 'shardId-000000000000', 1000)$$, 'split_shard');
SELECT lives_ok($$SELECT stream.merge_shards('hard', 'shardId-000000000002', 'shardId-000000000003')$$,
				'merge_shards');
SELECT lives_ok($$SELECT * FROM stream.update_shard_count('hard', 4)$$, 'update_shard_count');
SELECT lives_ok($$CALL stream.run_maintenance()$$, 'run_maintenance');
SELECT lives_ok($$SELECT stream.update_stream_mode('hard', 'ON_DEMAND')$$, 'update_stream_mode');
SELECT lives_ok($$CALL stream.run_maintenance()$$, 'run_maintenance with an on-demand stream');
SELECT lives_ok($$SELECT stream.delete_stream('hard')$$, 'delete_stream');
RESET search_path;
DROP OPERATOR public./ (interval, int), public.> (bigint, int),
	public.>= (timestamptz, timestamptz);
DROP FUNCTION public.cardinality(regclass[]), public.div(numeric, int),
	public.shadow_divide(interval, int), public.make_interval(int), public.array_agg(regclass),
	public.format(text, text), public.shadow_gt(bigint, int),
	public.shadow_ge(timestamptz, timestamptz);

-- The extension makes its schemas itself: one made beforehand (by a
-- database owner who would then own every stream in it) makes CREATE
-- EXTENSION fail.
SAVEPOINT before_drop;
DROP EXTENSION stream CASCADE;
CREATE SCHEMA stream;
SELECT throws_ok('CREATE EXTENSION stream', '42P06', 'schema "stream" already exists',
				 'CREATE EXTENSION fails when a schema "stream" exists');
ROLLBACK TO before_drop;
SELECT is((SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'stream'),
		  (SELECT extowner::regrole::text FROM pg_extension WHERE extname = 'stream'),
		  'the schema stream belongs to the one who installed the extension');

-- The lifetime of an iterator is fixed when it is issued: a longer
-- stream.iterator_ttl afterwards does not bring back an expired one, and
-- only a superuser may change it.
SELECT stream.create_stream('ttl', 1);
SET stream.iterator_ttl = '1s';
SELECT stream.get_shard_iterator('ttl', 'shardId-000000000000', 'TRIM_HORIZON') AS it \gset
SELECT pg_sleep(1.1);
SET stream.iterator_ttl = '24h';
SELECT throws_ok(format('SELECT * FROM stream.get_records(%L)', :'it'), 'KS002', NULL,
				 'an expired iterator stays expired under a longer stream.iterator_ttl');
RESET stream.iterator_ttl;
SELECT is((SELECT context FROM pg_settings WHERE name = 'stream.iterator_ttl'), 'superuser',
		  'stream.iterator_ttl is a superuser setting');

-- Kinesis' errors for impossible arguments.
SELECT throws_ok($$SELECT * FROM stream.list_shards('ttl', 'AFTER_SHARD_ID', 'shardId-999999999999')$$,
				 '22023', NULL, 'a shard id beyond any shard number is InvalidArgumentException');
SELECT throws_ok($$SELECT stream.set_retention_period('ttl', '1 year')$$, '22023', NULL,
				 'a year (8766 hours) is more retention than Kinesis allows');
SELECT lives_ok($$SELECT stream.set_retention_period('ttl', '365 days')$$, '365 days (8760 hours) is allowed');
SELECT is((SELECT retention_period_hours FROM stream.describe_stream_summary('ttl')), 8760,
		  '... and is 8760 hours');

-- A huge argument is quoted in part only.
SELECT cmp_ok(length((pg_temp.error_of(format('SELECT * FROM stream.describe_stream_summary(%L)',
													repeat('x', 100000)))).message), '<', 200,
			  'an error quotes a bounded part of a long argument');

SELECT * FROM finish();
ROLLBACK;
