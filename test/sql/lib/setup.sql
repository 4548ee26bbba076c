-- Included by every pgTAP file right after its first line, "\set ECHO none"
-- (with \i, relative to the top level, where pg_regress and test/run run),
-- so that the file prints the same under pg_regress (make installcheck),
-- which compares its output with expected/NAME.out, as under pg_prove: the
-- TAP lines only, one per test, and no command tags.
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
\set ON_ERROR_STOP 1

-- The per-shard quotas would throttle tests of other things; the tests of
-- the quotas turn them on in their own session.
SET stream.shard_write_bytes_per_second = 0;
SET stream.shard_write_records_per_second = 0;
SET stream.shard_read_bytes_per_second = 0;
SET stream.shard_read_calls_per_second = 0;
