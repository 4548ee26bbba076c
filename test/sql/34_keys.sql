\set ECHO none
\i test/sql/lib/setup.sql
-- Keys (API.md, "Encryption at rest"): create_key, list_keys, disable_key,
-- enable_key and rotate_key, keys named by id, ARN or alias, their material
-- stored only sealed by the root key (the test server reads one from
-- stream.kms_root_key_file), every error, and who may manage them.
BEGIN;
SELECT plan(36);

\i test/sql/lib/helpers.sql

SELECT is(pg_temp.signature('stream.create_key(text, text)'),
		  'alias text, description text DEFAULT NULL::text -> TABLE(key_id uuid, key_arn text)',
		  'create_key has the signature of API.md');
SELECT is(pg_temp.signature('stream.list_keys()'),
		  ' -> TABLE(key_id uuid, key_arn text, alias text, enabled boolean, created_at timestamp with time zone)',
		  'list_keys too');
SELECT is(pg_temp.signature('stream.disable_key(text)') || pg_temp.signature('stream.enable_key(text)')
		  || pg_temp.signature('stream.rotate_key(text)'),
		  'key_id text -> voidkey_id text -> voidkey_id text -> void',
		  'disable_key, enable_key and rotate_key too');

SELECT key_id AS k1, key_arn AS arn1 FROM stream.create_key('orders', 'for the orders stream') \gset
SELECT key_id AS k2 FROM stream.create_key('alias/team/web-2_x') \gset

SELECT matches(:'arn1'::text, '^arn:aws:kms:local-1:000000000000:key/[0-9a-f-]{36}$',
			   'create_key returns the key''s ARN');
SELECT is(:'arn1', 'arn:aws:kms:local-1:000000000000:key/' || :'k1', '... which ends with its id');
SELECT results_eq($$SELECT key_id, key_arn, alias, enabled FROM stream.list_keys()$$,
				  format($$VALUES (%L::uuid, %L, 'alias/orders', true), (%L::uuid, %L, 'alias/team/web-2_x', true)$$,
						 :'k1', :'arn1', :'k2', 'arn:aws:kms:local-1:000000000000:key/' || :'k2'),
				  'list_keys lists them, with their aliases');
SELECT is((SELECT description FROM stream.keys WHERE key_id = :'k1'), 'for the orders stream',
		  'the description is kept');

-- The material is sealed: its nonce, 32 bytes, the tag; different per key.
SELECT is((SELECT string_agg(length(material)::text, ',') FROM stream_internal.key_versions),
		  '60,60', 'each key has one version of material, sealed (nonce, 32 bytes, tag)');
SELECT isnt((SELECT material FROM stream_internal.key_versions WHERE key_id = :'k1'),
			(SELECT material FROM stream_internal.key_versions WHERE key_id = :'k2'),
			'... and the keys'' materials differ');

-- Errors
SELECT throws_ok($$SELECT * FROM stream.create_key('orders')$$, '42710',
				 'alias "alias/orders" is in use', 'an alias in use is refused');
SELECT throws_ok($$SELECT * FROM stream.create_key('alias/orders')$$, '42710', NULL,
				 '... also with its prefix');
SELECT throws_ok($$SELECT * FROM stream.create_key('aws/mine')$$, '22023',
				 'alias "aws/mine" is not valid', 'an alias in aws/ is refused');
SELECT throws_ok($$SELECT * FROM stream.create_key('two words')$$, '22023', NULL,
				 'an alias with a space is refused');
SELECT throws_ok($$SELECT * FROM stream.create_key('')$$, '22023', NULL, 'an empty alias is refused');
SELECT throws_ok($$SELECT * FROM stream.create_key(NULL)$$, '22023', NULL, 'a null alias is refused');
SELECT throws_ok($$SELECT * FROM stream.create_key(repeat('a', 251))$$, '22023', NULL,
				 'an alias of 251 characters is refused');
SELECT throws_ok($$SELECT stream.disable_key('alias/none')$$, 'KS004',
				 'key "alias/none" does not exist', 'an unknown alias is KS004');
SELECT is((pg_temp.error_of($$SELECT stream.disable_key('00000000-0000-0000-0000-000000000000')$$)).detail,
		  'The Kinesis exception is KMSNotFoundException.', '... an unknown id is KMSNotFoundException');
SELECT throws_ok($$SELECT stream.enable_key('not a key')$$, 'KS004', NULL, '... and so is a malformed id');
SELECT throws_ok($$SELECT stream.rotate_key(NULL)$$, '22023', 'key id must not be null',
				 'a null key id is refused');

-- Names: id, ARN, alias, ARN of the alias
SELECT stream.disable_key(:'k1');
SELECT is((SELECT enabled FROM stream.list_keys() WHERE key_id = :'k1'), false, 'disable_key by id');
SELECT stream.enable_key(:'arn1');
SELECT is((SELECT enabled FROM stream.list_keys() WHERE key_id = :'k1'), true, 'enable_key by ARN');
SELECT stream.disable_key('alias/orders');
SELECT is((SELECT enabled FROM stream.list_keys() WHERE key_id = :'k1'), false, 'disable_key by alias');
SELECT throws_ok($$SELECT stream.rotate_key('alias/orders')$$, 'KS004', 'key "' || :'k1' || '" is disabled',
				 'a disabled key is not rotated');
SELECT is((pg_temp.error_of($$SELECT stream.rotate_key('alias/orders')$$)).detail,
		  'The Kinesis exception is KMSDisabledException.', '... KMSDisabledException');
SELECT stream.enable_key('arn:aws:kms:local-1:000000000000:alias/orders');
SELECT is((SELECT enabled FROM stream.list_keys() WHERE key_id = :'k1'), true, 'enable_key by the ARN of its alias');

-- Rotation adds material; the first version stays.
SELECT material AS v1 FROM stream_internal.key_versions WHERE key_id = :'k1' \gset
SELECT stream.rotate_key('alias/orders');
SELECT results_eq(format($$SELECT version, material = %L::bytea FROM stream_internal.key_versions
						  WHERE key_id = %L ORDER BY version$$, :'v1', :'k1'),
				  $$VALUES (1, true), (2, false)$$,
				  'rotate_key adds a version and keeps the one before');

-- Who may: manage on '*' to manage keys, describe on '*' to list them.
CREATE ROLE key_nobody;
CREATE ROLE key_lister;
CREATE ROLE key_admin;
SELECT stream.grant('describe', '*', 'key_lister');
SELECT stream.grant('manage', '*', 'key_admin');
SET ROLE key_nobody;
SELECT throws_ok($$SELECT * FROM stream.create_key('mine')$$, '42501',
				 'role "key_nobody" is not authorized to perform kinesis:CreateKey',
				 'a role without manage on * may not create a key');
SELECT throws_ok($$SELECT * FROM stream.list_keys()$$, '42501', NULL, '... nor list them');
SELECT throws_ok($$SELECT * FROM stream.keys$$, '42501', NULL, '... nor read the table of keys');
SELECT throws_ok($$SELECT stream.rotate_key('alias/orders')$$, '42501', NULL, '... nor rotate one');
SELECT throws_ok($$SELECT stream.enable_key('alias/orders')$$, '42501', NULL, '... nor enable one');
RESET ROLE;
SET ROLE key_lister;
SELECT is((SELECT count(*) FROM stream.list_keys()), 2::bigint, 'describe on * lists the keys');
SELECT throws_ok($$SELECT stream.disable_key('alias/orders')$$, '42501', NULL, '... but may not disable one');
RESET ROLE;
SET ROLE key_admin;
SELECT lives_ok($$SELECT * FROM stream.create_key('admins-key')$$, 'manage on * creates keys');
SELECT lives_ok($$SELECT stream.disable_key('alias/admins-key'); SELECT stream.enable_key('alias/admins-key');
				  SELECT stream.rotate_key('alias/admins-key')$$,
				'... and disables, enables and rotates them');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
