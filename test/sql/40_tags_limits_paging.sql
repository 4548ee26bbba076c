\set ECHO none
\i test/sql/lib/setup.sql
-- Tags, limits and paging (API.md, "Tags, limits and pagination"): tags on
-- create_stream and after, at most 50, AWS's rules, every error leaving the
-- tags as they were; describe_limits and the limit of on-demand streams;
-- list_streams and list_shards a page at a time with signed next tokens that
-- expire (KS003); all as ordinary roles.
BEGIN;
SELECT plan(50);

\i test/sql/lib/helpers.sql

SELECT is(pg_temp.signature('stream.add_tags_to_stream(text, jsonb)'),
		  'stream_name text, tags jsonb -> void', 'add_tags_to_stream has the signature of API.md');
SELECT is(pg_temp.signature('stream.remove_tags_from_stream(text, text[])'),
		  'stream_name text, tag_keys text[] -> void', 'remove_tags_from_stream too');
SELECT is(pg_temp.signature('stream.list_tags_for_stream(text)'),
		  'stream_name text -> TABLE(key text, value text)', 'list_tags_for_stream too');
SELECT is(pg_temp.signature('stream.describe_limits()'),
		  ' -> TABLE(shard_limit integer, open_shard_count integer, on_demand_stream_count integer, '
		  'on_demand_stream_count_limit integer)', 'describe_limits too');
SELECT is(pg_temp.signature('stream.list_streams(int, text)'),
		  'max_results integer, next_token text DEFAULT NULL::text -> TABLE(stream_name text, '
		  'stream_arn text, stream_status text, stream_mode text, '
		  'stream_creation_timestamp timestamp with time zone, next_token text)',
		  'list_streams with paging too');
SELECT is(pg_temp.signature('stream.list_shards(text, int, text, text, text, timestamptz)'),
		  'stream_name text, max_results integer, next_token text DEFAULT NULL::text, '
		  'shard_filter text DEFAULT ''FROM_TRIM_HORIZON''::text, shard_id text DEFAULT NULL::text, '
		  '"timestamp" timestamp with time zone DEFAULT NULL::timestamp with time zone -> '
		  'TABLE(shard_id text, parent_shard_id text, adjacent_parent_shard_id text, '
		  'starting_hash_key numeric, ending_hash_key numeric, starting_sequence_number numeric, '
		  'ending_sequence_number numeric, next_token text)',
		  'list_shards with paging too');
SELECT is(pg_temp.signature('stream.create_stream(text, int, text, int, jsonb)'),
		  'stream_name text, shard_count integer DEFAULT 4, stream_mode text DEFAULT ''PROVISIONED''::text, '
		  'retention_period_hours integer DEFAULT 24, tags jsonb DEFAULT NULL::jsonb -> void',
		  'create_stream takes tags');

CREATE ROLE tag_manager;
CREATE ROLE tag_viewer;
CREATE ROLE tag_nobody;
SELECT stream.grant('create', '*', 'tag_manager');

-- tags
SET ROLE tag_manager;
SELECT stream.create_stream('tagged', 2, tags => '{"team": "web", "cost-center": "42"}');
SELECT stream.grant('describe', 'tagged', 'tag_viewer');
SELECT results_eq($$SELECT key, value FROM stream.list_tags_for_stream('tagged')$$,
				  $$VALUES ('cost-center', '42'), ('team', 'web')$$,
				  'create_stream keeps its tags, listed by key');
SELECT lives_ok($$SELECT stream.add_tags_to_stream('tagged', '{"team": "shop", "env": "prod", "Ünïcode _.:/=+-@% ok": ""}')$$,
				'add_tags_to_stream adds tags, with any letter, those signs and an empty value');
SELECT results_eq($$SELECT key, value FROM stream.list_tags_for_stream('tagged')$$,
				  $$VALUES ('cost-center', '42'), ('env', 'prod'), ('team', 'shop'), ('Ünïcode _.:/=+-@% ok', '')$$,
				  '... and gives a key it has a new value');
SELECT lives_ok($$SELECT stream.remove_tags_from_stream('tagged', '{env, absent}')$$,
				'remove_tags_from_stream removes tags, passing over keys it does not have');
SELECT results_eq($$SELECT key FROM stream.list_tags_for_stream('tagged')$$,
				  $$VALUES ('cost-center'), ('team'), ('Ünïcode _.:/=+-@% ok')$$, '... which are gone');

CREATE TEMP TABLE tags_before AS SELECT * FROM stream.list_tags_for_stream('tagged');
SELECT throws_ok($$SELECT stream.add_tags_to_stream('tagged', '["team"]')$$, '22023',
				 'tags must be a JSON object of keys and values', 'tags are a JSON object');
SELECT throws_ok($$SELECT stream.add_tags_to_stream('tagged', '{}')$$, '22023',
				 'tags must not be empty', '... of at least one tag');
SELECT throws_ok($$SELECT stream.add_tags_to_stream('tagged', NULL)$$, '22023', NULL, '... not NULL');
SELECT throws_ok($$SELECT stream.add_tags_to_stream('tagged', '{"a": 1}')$$, '22023',
				 'the value of tag "a" is not a string', 'a value is a string');
SELECT throws_ok($$SELECT stream.add_tags_to_stream('tagged', '{"a!": "x"}')$$, '22023',
				 'invalid tag key "a!"', 'a key has no other signs');
SELECT throws_ok(format($$SELECT stream.add_tags_to_stream('tagged', '{"%s": "x"}')$$, repeat('k', 129)),
				 '22023', NULL, 'a key has at most 128 characters');
SELECT throws_ok($$SELECT stream.add_tags_to_stream('tagged', '{"": "x"}')$$, '22023', NULL,
				 '... and at least one');
SELECT throws_ok(format($$SELECT stream.add_tags_to_stream('tagged', '{"k": "%s"}')$$, repeat('v', 257)),
				 '22023', 'invalid value of tag "k"', 'a value has at most 256 characters');
SELECT throws_ok($$SELECT stream.add_tags_to_stream('tagged', '{"aws:owner": "x"}')$$, '22023',
				 'tag key "aws:owner" begins with "aws:", which is reserved', 'aws: is reserved');
SELECT throws_ok(format($$SELECT stream.add_tags_to_stream('tagged', %L)$$,
						(SELECT jsonb_object_agg('k' || i, 'v') FROM generate_series(1, 48) i)),
				 '54000', 'stream "tagged" would have 51 tags, more than 50',
				 'a stream has at most 50 tags (LimitExceededException)');
SELECT throws_ok($$SELECT stream.remove_tags_from_stream('tagged', '{}')$$, '22023', NULL,
				 'removing takes at least one key');
SELECT throws_ok($$SELECT stream.remove_tags_from_stream('tagged', '{"bad key!"}')$$, '22023', NULL,
				 '... each a valid one');
SELECT throws_ok($$SELECT stream.add_tags_to_stream('nowhere', '{"a": "b"}')$$, '42501', NULL,
				 'a stream that does not exist, without manage on ''*''');
SELECT results_eq($$SELECT * FROM stream.list_tags_for_stream('tagged')$$, $$SELECT * FROM tags_before$$,
				  '... and none of those changed the tags');
RESET ROLE;
SELECT pg_temp.footprint() AS before_bad_create \gset
SET ROLE tag_manager;
SELECT throws_ok($$SELECT stream.create_stream('badly-tagged', 1, tags => '{"a": 2}')$$, '22023', NULL,
				 'create_stream refuses bad tags...');
RESET ROLE;
SELECT is(pg_temp.footprint(), :'before_bad_create', '... and creates nothing');

SET ROLE tag_viewer;
SELECT is((SELECT count(*) FROM stream.list_tags_for_stream('tagged')), 3::bigint,
		  'a role with describe lists the tags');
SELECT throws_ok($$SELECT stream.add_tags_to_stream('tagged', '{"a": "b"}')$$, '42501',
				 'role "tag_viewer" is not authorized to perform kinesis:AddTagsToStream on stream "tagged"',
				 '... but may not add any');
SELECT throws_ok($$SELECT stream.remove_tags_from_stream('tagged', '{team}')$$, '42501', NULL,
				 '... nor remove any');
SET ROLE tag_nobody;
SELECT throws_ok($$SELECT * FROM stream.list_tags_for_stream('tagged')$$, '42501', NULL,
				 'a role without describe may not list them');
RESET ROLE;

-- limits
SELECT results_eq($$SELECT * FROM stream.describe_limits()$$,
				  $$SELECT current_setting('stream.shard_limit')::int,
						   (SELECT count(*)::int FROM stream.shards WHERE closed_at IS NULL),
						   (SELECT count(*)::int FROM stream.streams WHERE stream_mode = 'ON_DEMAND'),
						   50$$,
				  'describe_limits: the shard limit, open shards, on-demand streams and their limit');
SET ROLE tag_nobody;
SELECT throws_ok($$SELECT * FROM stream.describe_limits()$$, '42501', NULL,
				 'describe_limits needs describe on ''*''');
RESET ROLE;
SELECT stream.create_stream('od-1', 1, 'ON_DEMAND');
SELECT set_config('stream.on_demand_stream_limit',
				  (SELECT count(*)::text FROM stream.streams WHERE stream_mode = 'ON_DEMAND'), true);
SELECT throws_ok($$SELECT stream.create_stream('od-2', 1, 'ON_DEMAND')$$, '54000', NULL,
				 'a stream over the limit of on-demand streams is LimitExceededException');
SELECT throws_ok($$SELECT stream.update_stream_mode('tagged', 'ON_DEMAND')$$, '54000', NULL,
				 '... and so is switching one to on-demand');
SELECT lives_ok($$SELECT stream.update_stream_mode('od-1', 'PROVISIONED');
				  SELECT stream.update_stream_mode('tagged', 'ON_DEMAND')$$,
				'once another leaves on-demand mode, one may switch to it');
RESET stream.on_demand_stream_limit;

-- paging list_streams, as a role that sees some streams only
SELECT stream.create_stream('page-' || i, 1) FROM generate_series(1, 5) i;
SELECT stream.grant('describe', 'page-' || i, 'tag_viewer') FROM generate_series(1, 4) i;
SET ROLE tag_viewer;
CREATE TEMP TABLE page1 AS SELECT * FROM stream.list_streams(2);
SELECT results_eq($$SELECT stream_name, next_token IS NOT NULL FROM page1$$,
				  $$VALUES ('page-1', true), ('page-2', true)$$,
				  'list_streams(2): two streams, by name, with the token of the next page');
SELECT is((SELECT count(DISTINCT next_token) FROM page1), 1::bigint, '... the same on each row');
CREATE TEMP TABLE page2 AS SELECT * FROM stream.list_streams(2, (SELECT next_token FROM page1 LIMIT 1));
CREATE TEMP TABLE page3 AS SELECT * FROM stream.list_streams(2, (SELECT next_token FROM page2 LIMIT 1));
SELECT results_eq($$SELECT stream_name, next_token IS NULL FROM page2 UNION ALL
					SELECT stream_name, next_token IS NULL FROM page3$$,
				  $$VALUES ('page-3', false), ('page-4', false), ('tagged', true)$$,
				  'the next pages go on from there; the last has no token');
SELECT results_eq($$SELECT stream_name FROM page1 UNION ALL SELECT stream_name FROM page2
					UNION ALL SELECT stream_name FROM page3$$,
				  $$SELECT stream_name FROM stream.list_streams() ORDER BY stream_name COLLATE "C"$$,
				  '... and together they are what list_streams() shows the role');
SELECT throws_ok($$SELECT * FROM stream.list_streams(0)$$, '22023', 'max_results 0 is out of range',
				 'a page has at least one row');
SELECT throws_ok($$SELECT * FROM stream.list_streams(10001)$$, '22023', NULL, '... and at most 10000');
SELECT throws_ok($$SELECT * FROM stream.list_streams(2, 'not a token')$$, '22023',
				 'invalid next token "not a token"', 'a token that is not one is InvalidArgumentException');
SELECT throws_ok(format($$SELECT * FROM stream.list_streams(2, %L)$$,
						(SELECT overlay(next_token PLACING CASE WHEN substr(next_token, 10, 1) = 'A'
															  THEN 'B' ELSE 'A' END FROM 10 FOR 1)
						 FROM page1 LIMIT 1)),
				 '22023', NULL, 'so is a token altered by one character');

-- paging list_shards
RESET ROLE;
SELECT stream.create_stream('sharded', 5);
SELECT stream.split_shard('sharded', 'shardId-000000000004', 2::numeric ^ 128 - 2::numeric ^ 125);
SELECT stream.grant('describe', 'sharded', 'tag_viewer');
SET ROLE tag_viewer;
CREATE TEMP TABLE shards1 AS SELECT * FROM stream.list_shards('sharded', 3, shard_filter => 'AT_LATEST');
CREATE TEMP TABLE shards2 AS
	SELECT * FROM stream.list_shards(NULL, 3, (SELECT next_token FROM shards1 LIMIT 1));
SELECT results_eq($$SELECT shard_id, next_token IS NULL FROM shards1 UNION ALL
					SELECT shard_id, next_token IS NULL FROM shards2$$,
				  $$VALUES ('shardId-000000000000', false), ('shardId-000000000001', false),
						   ('shardId-000000000002', false), ('shardId-000000000003', true),
						   ('shardId-000000000005', true), ('shardId-000000000006', true)$$,
				  'list_shards a page at a time, the filter (AT_LATEST: not the split parent) kept in the token');
SELECT throws_ok(format($$SELECT * FROM stream.list_shards('sharded', 3, %L)$$,
						(SELECT next_token FROM shards1 LIMIT 1)),
				 '22023', 'a next token is given without stream name, shard id or timestamp',
				 'a token comes without the stream name');
SELECT throws_ok(format($$SELECT * FROM stream.list_shards(NULL, 3, %L)$$,
						(SELECT next_token FROM page1 LIMIT 1)),
				 '22023', NULL, 'a token of list_streams is no token of list_shards');
RESET ROLE;
SELECT stream.revoke('describe', 'sharded', 'tag_viewer');
SET ROLE tag_viewer;
SELECT throws_ok(format($$SELECT * FROM stream.list_shards(NULL, 3, %L)$$,
						(SELECT next_token FROM shards1 LIMIT 1)),
				 '42501', NULL, 'a token does not outlive the privilege to describe the stream');
RESET ROLE;

-- expiry
SET stream.next_token_ttl = 1;
CREATE TEMP TABLE short AS SELECT * FROM stream.list_streams(1);
SELECT pg_sleep(1.1);
SELECT throws_ok(format($$SELECT * FROM stream.list_streams(1, %L)$$, (SELECT next_token FROM short)),
				 'KS003', NULL, 'an expired token is ExpiredNextTokenException (KS003)');
RESET stream.next_token_ttl;

SELECT * FROM finish();
ROLLBACK;
