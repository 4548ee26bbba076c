\set ECHO none
\i test/sql/lib/setup.sql
-- The per-backend catalog cache follows the catalog as this session sees
-- it, its own changes that roll back included: a change that rolls back
-- leaves nothing behind in the cache, not even its catalog_version, which
-- the next change of the stream must not get again.
BEGIN;
SELECT plan(4);

SET stream.min_retention_period = '1s';
SELECT stream.create_stream('cc', 1);
SELECT stream.put_record('cc', 'k', '\x01') IS NOT NULL AS put \gset
SELECT pg_sleep(1.2);
SELECT is((SELECT count(*) FROM stream.read('cc')), 1::bigint, 'the record is read');

-- A retention of one second, in a savepoint: the record, 1.2 s old, is
-- past it, and this session's reads, through its cache, no longer see it.
SAVEPOINT short;
SELECT stream.set_retention_period('cc', '1 second');
SELECT is((SELECT count(*) FROM stream.read('cc')), 0::bigint,
		  'a retention of one second hides the record');
ROLLBACK TO short;

-- Another change of the stream, with no read in between, then a read: the
-- cache must not take the new row for the one it cached in the savepoint.
SELECT stream.update_stream_mode('cc', 'ON_DEMAND');
SELECT is((SELECT count(*) FROM stream.read('cc')), 1::bigint,
		  'after the rollback and another change, the record is read again');
SELECT is((SELECT count(*) FROM stream.read('cc', 'shardId-000000000000')), 1::bigint,
		  '... in its shard too');

SELECT * FROM finish();
ROLLBACK;
