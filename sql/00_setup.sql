-- stream: Kinesis Data Streams inside PostgreSQL.
--
-- This script is made by the Makefile from the files sql/NN_*.sql, one per
-- concern, in the order of their numbers.  The schema stream holds what
-- users call (shared/API.md); stream_internal the catalog's helpers and the
-- functions of the extension's own SQL, which no one else may run;
-- stream_data the segment relations that store records.

\echo Use "CREATE EXTENSION stream" to load this file. \quit

-- The extension makes its schemas itself (stream.control names pg_catalog),
-- and CREATE SCHEMA fails if one exists: a schema someone made beforehand
-- would be theirs to drop, with every stream in it.
CREATE SCHEMA stream;
COMMENT ON SCHEMA stream IS 'Kinesis Data Streams: the API of the stream extension';
GRANT USAGE ON SCHEMA stream TO PUBLIC;

CREATE SCHEMA stream_internal;
COMMENT ON SCHEMA stream_internal IS 'internal functions and state of the stream extension';

-- Refuse to install unless the library was preloaded: the WAL resource
-- manager must be registered before the server replays any stream record.
CREATE FUNCTION stream_internal.assert_preloaded() RETURNS void
	AS 'MODULE_PATHNAME', 'stream_assert_preloaded' LANGUAGE C STRICT;
SELECT stream_internal.assert_preloaded();

-- Segment relations (the storage of each shard's log) live here.
CREATE SCHEMA stream_data;
COMMENT ON SCHEMA stream_data IS 'segments of the logs of the shards of streams';
