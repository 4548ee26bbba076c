\set ECHO none
\i test/sql/lib/setup.sql
-- Access keys of the Kinesis endpoint (API.md, "The Kinesis endpoint"):
-- create_access_key, delete_access_key and list_access_keys, as ordinary
-- roles: a member of a role makes its keys, the secret is shown once and
-- stored sealed by the KMS root key, and every wrong argument is refused
-- with nothing left behind.  The endpoint itself is TAP's
-- (test/t/170_endpoint_cli.pl).
BEGIN;
SELECT plan(24);

\i test/sql/lib/helpers.sql

SELECT is(pg_temp.signature('stream.create_access_key(regrole)'),
		  'role regrole -> TABLE(access_key_id text, secret_access_key text)',
		  'create_access_key has the signature of API.md');
SELECT is(pg_temp.signature('stream.delete_access_key(text)'), 'access_key_id text -> void',
		  'delete_access_key too');
SELECT is(pg_temp.signature('stream.list_access_keys()'),
		  ' -> TABLE(access_key_id text, role regrole, created_by regrole, created_at timestamp with time zone)',
		  'list_access_keys lists keys without their secrets');

CREATE ROLE ak_app LOGIN;
CREATE ROLE ak_team;			-- a group whose members make its keys
CREATE ROLE ak_member LOGIN IN ROLE ak_team;
CREATE ROLE ak_other LOGIN;

SET ROLE ak_app;
CREATE TEMP TABLE ak_first AS SELECT * FROM stream.create_access_key('ak_app');
GRANT SELECT ON ak_first TO PUBLIC;
SELECT matches((SELECT access_key_id FROM ak_first), '^AKIA[A-Z2-7]{16}$',
			   'a key id looks like AWS''s: AKIA and 16 of A-Z2-7');
SELECT matches((SELECT secret_access_key FROM ak_first), '^[A-Za-z0-9]{40}$',
			   'its secret is 40 letters and digits');
SELECT is((SELECT count(*) FROM stream.list_access_keys()), 1::bigint,
		  'a role lists the key it made for itself');
SELECT is((SELECT role::text || ' ' || created_by::text FROM stream.list_access_keys()),
		  'ak_app ak_app', 'with its role and maker');
SELECT throws_ok($$SELECT * FROM stream_internal.access_keys$$, '42501', NULL,
				 'an ordinary role cannot read the stored keys');
SELECT throws_ok($$SELECT * FROM stream_internal.new_access_key()$$, '42501', NULL,
				 'nor call what seals a secret');
RESET ROLE;

SELECT is((SELECT count(*) FROM stream_internal.access_keys a, ak_first f
		   WHERE position(convert_to(f.secret_access_key, 'UTF8') IN a.secret) > 0),
		  0::bigint, 'the secret is not stored in the clear');
SELECT is((SELECT length(a.secret) FROM stream_internal.access_keys a JOIN ak_first f USING (access_key_id)),
		  12 + 40 + 16, 'it is stored sealed: nonce, ciphertext and tag');

-- keys are unique, and each call makes a new one
SET ROLE ak_app;
SELECT isnt((SELECT access_key_id FROM stream.create_access_key('ak_app')),
			(SELECT access_key_id FROM ak_first), 'a second key is another key');
SELECT is((SELECT count(*) FROM stream.list_access_keys()), 2::bigint, 'a role may hold several');
RESET ROLE;

-- members make the keys of a group; others may not
SET ROLE ak_member;
SELECT lives_ok($$SELECT * FROM stream.create_access_key('ak_team')$$,
				'a member makes keys for its group');
SELECT is((SELECT string_agg(role::text, ',' ORDER BY role::text) FROM stream.list_access_keys()),
		  'ak_team', 'and lists them (and not another role''s)');
SELECT results_eq($$SELECT (pg_temp.error_of('SELECT * FROM stream.create_access_key(''ak_app'')')).*$$,
				  $$VALUES ('42501'::text, 'role "ak_member" may not create access keys for role "ak_app"'::text,
							'The Kinesis exception is AccessDeniedException.'::text)$$,
				  'a role makes no key for a role it is not a member of');
SELECT throws_ok($$SELECT * FROM stream.create_access_key(NULL)$$, '22023',
				 'role must not be null', 'a null role is refused');
SELECT throws_ok(format('SELECT stream.delete_access_key(%L)', (SELECT access_key_id FROM ak_first)),
				 '42704', format('access key "%s" does not exist', (SELECT access_key_id FROM ak_first)),
				 'another role''s key cannot be deleted, nor seen to exist');
SELECT throws_ok($$SELECT stream.delete_access_key('AKIANOTAKEY')$$, '42704',
				 'access key "AKIANOTAKEY" does not exist', 'an unknown key is not found');
SELECT throws_ok($$SELECT stream.delete_access_key(NULL)$$, '42704',
				 'access key "" does not exist', 'nor a null one');
RESET ROLE;

SET ROLE ak_app;
SELECT lives_ok(format('SELECT stream.delete_access_key(%L)', (SELECT access_key_id FROM ak_first)),
				'a role deletes its own key');
SELECT is((SELECT count(*) FROM stream.list_access_keys()), 1::bigint, 'and it is gone');
RESET ROLE;

-- a superuser sees every key; a failed call left nothing behind
SELECT is((SELECT count(*) FROM stream.list_access_keys()), 2::bigint,
		  'a superuser lists every key');
SELECT is((SELECT count(*) FROM stream_internal.access_keys), 2::bigint,
		  'the refused calls made no key');

SELECT * FROM finish();
ROLLBACK;
