-- Helpers that pgTAP files include with \i (relative to the top level),
-- after lib/setup.sql.  All are pg_temp functions: they go with the session.

-- Runs a statement and returns the SQLSTATE, message and DETAIL of the error
-- it raises ('none' when it raises none), for checks that throws_ok cannot
-- make.
CREATE FUNCTION pg_temp.error_of(sql text,
								 OUT err_code text, OUT message text, OUT detail text)
	LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE sql;
	err_code := 'none';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS err_code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
							detail = PG_EXCEPTION_DETAIL;
END
$$;

-- What the extension holds, counted: a call that fails must leave it as it
-- was.
CREATE FUNCTION pg_temp.footprint() RETURNS text LANGUAGE sql AS $$
	SELECT format('streams=%s shards=%s open=%s segments=%s relations=%s consumers=%s '
				  'scalings=%s mode_changes=%s views=%s applications=%s leases=%s triggers=%s '
				  'trigger_lanes=%s',
				  (SELECT count(*) FROM stream.streams),
				  (SELECT count(*) FROM stream.shards),
				  (SELECT count(*) FROM stream.shards WHERE closed_at IS NULL),
				  (SELECT count(*) FROM stream.segments),
				  (SELECT count(*) FROM pg_class
				   WHERE relnamespace = 'stream_data'::regnamespace),
				  (SELECT count(*) FROM stream.consumers),
				  (SELECT count(*) FROM stream.scalings),
				  (SELECT count(*) FROM stream.mode_changes),
				  (SELECT count(*) FROM pg_class
				   WHERE relnamespace = 'stream_acl'::regnamespace),
				  (SELECT count(*) FROM stream.applications),
				  (SELECT count(*) FROM stream.leases),
				  (SELECT count(*) FROM stream.sinks),
				  (SELECT count(*) FROM stream.sink_lanes))
$$;

-- The hash key of a partition key, computed here in SQL, independently of
-- stream.hash_key: MD5 of its UTF-8 bytes as a big-endian unsigned 128-bit
-- integer, summing hex digits times powers of 16.
CREATE FUNCTION pg_temp.md5_hash_key(k text) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
	SELECT round(sum((strpos('0123456789abcdef', substr(h, i, 1)) - 1)::numeric
					 * 16::numeric ^ (32 - i)))
	FROM (SELECT md5(convert_to(k, 'UTF8')) AS h) AS m, generate_series(1, 32) AS i
$$;

-- The shard that API.md's range formula gives a hash key in a stream of n
-- shards created by create_stream.
CREATE FUNCTION pg_temp.shard_for(h numeric, n int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT 'shardId-' || lpad(least(div(h, div(2::numeric ^ 128, n)), n - 1)::text, 12, '0')
$$;

-- How many records a stream holds.
CREATE FUNCTION pg_temp.record_count(name text) RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM stream.read(name)
$$;

-- A function's arguments (names, types, defaults) and result, as API.md
-- writes them.
CREATE FUNCTION pg_temp.signature(fn regprocedure) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT pg_get_function_arguments(fn) || ' -> ' || pg_get_function_result(fn)
$$;
