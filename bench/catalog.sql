-- The catalog cache at scale: how much memory each backend's cache of the
-- catalog takes, and what a change to one stream costs the writers of the
-- others.
--
-- Run with psql against a server with the stream extension and dblink:
--   psql -v streams=100 -v pairs=30 -f bench/catalog.sql
-- Makes (or tops up to) :streams streams of 5 shards, each shard with two
-- segments (the one being written and the one that maintenance keeps ready).
-- Then:
--   memory: the size of the context "stream catalog cache" and of its hash
--     tables in a backend that has loaded the whole catalog;
--   cost of a change: :pairs times, a put_record to stream cat_0 timed in
--     the server, then another connection (dblink) adds a segment to another
--     stream and commits, then the next put_record to cat_0 is timed: it
--     refreshes the cache first.  The report gives the medians of both.
-- Prints one line "catalog: shards=... segments=... cache_bytes=...
-- base_ms=... after_change_ms=...", which bench/catalog checks.

\set ON_ERROR_STOP 1
\if :{?streams}
\else
\set streams 100
\endif
\if :{?pairs}
\else
\set pairs 30
\endif

SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
SET stream.shard_limit = 100000;

-- The streams, and the second segment of each shard.
SELECT stream.create_stream('cat_' || g, 5) FROM generate_series(0, :streams - 1) g
WHERE NOT EXISTS (SELECT FROM stream.streams WHERE stream_name = 'cat_' || g);
CALL stream.run_maintenance();

CREATE TABLE IF NOT EXISTS catalog_timings (kind text, ms float8);
TRUNCATE catalog_timings;
CREATE OR REPLACE FUNCTION pg_temp.timed_put() RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
BEGIN
	PERFORM stream.put_record('cat_0', 'k', '\x01');
	RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END
$$;

SELECT dblink_connect('other', format('dbname=%s port=%s host=%s user=%s', current_database(),
									 current_setting('port'), current_setting('unix_socket_directories'),
									 current_user));
-- A stream to change: one with a high id, so that its row is not first.
SELECT stream_id AS other_id FROM stream.streams WHERE stream_name = 'cat_' || (:streams - 1) \gset

-- Load the whole catalog into this backend's cache.
SELECT pg_temp.timed_put() IS NOT NULL AS loaded;

SELECT format($f$
INSERT INTO catalog_timings SELECT 'base', pg_temp.timed_put();
SELECT * FROM dblink('other', 'SELECT stream_internal.add_segment(%s, 0)') AS t(v text);
INSERT INTO catalog_timings SELECT 'after_change', pg_temp.timed_put();
$f$, :other_id) FROM generate_series(1, :pairs) \gexec

SELECT format('catalog: streams=%s shards=%s segments=%s cache_bytes=%s base_ms=%s after_change_ms=%s',
			  (SELECT count(*) FROM stream.streams),
			  (SELECT count(*) FROM stream.shards),
			  (SELECT count(*) FROM stream.segments),
			  (SELECT sum(total_bytes) FROM pg_backend_memory_contexts
			   WHERE name LIKE 'stream catalog %'		-- the cache, its hash tables
				  OR (name = 'dynahash' AND ident LIKE 'stream catalog %')),	-- (named so after 15)
			  (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3)
			   FROM catalog_timings WHERE kind = 'base'),
			  (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3)
			   FROM catalog_timings WHERE kind = 'after_change')) AS report \gset
\echo :report
SELECT dblink_disconnect('other');
