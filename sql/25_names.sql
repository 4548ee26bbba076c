
----------------------------------------------------------------------------
-- Kinesis' names, numbers and errors, from the C code that has the same
-- rules (src/kinesis/names.c, sequence.c, kinesis.c)
----------------------------------------------------------------------------

-- Raises the error of API.md's table for a Kinesis exception: its SQLSTATE,
-- and its name in the DETAIL.  'ResourceExistsException' stands for
-- ResourceInUseException with SQLSTATE 42710 (the name exists already).
CREATE FUNCTION stream_internal.raise(exception text, message text, hint text DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'stream_raise' LANGUAGE C;

-- A value a user gave, as an error message quotes it: its first 64
-- characters and "..." when it is longer, so that a huge argument cannot
-- fill the server log.
CREATE FUNCTION stream_internal.quote(value text) RETURNS text
	AS 'MODULE_PATHNAME', 'stream_quote' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- A shard id such as shardId-000000000003, and back (NULL if it is none).
CREATE FUNCTION stream_internal.shard_id(shard_no int) RETURNS text
	AS 'MODULE_PATHNAME', 'stream_shard_id' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION stream_internal.shard_no(shard_id text) RETURNS int
	AS 'MODULE_PATHNAME', 'stream_shard_no' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Whether a stream name is 1 to 128 letters, digits, "_", "." and "-".
CREATE FUNCTION stream_internal.valid_stream_name(stream_name text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'stream_valid_stream_name' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- arn:aws:kinesis:<stream.region>:<stream.account_id>:stream/<name>
CREATE FUNCTION stream_internal.stream_arn(stream_name text) RETURNS text
	AS 'MODULE_PATHNAME', 'stream_stream_arn' LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- The first sequence number a segment can hold.
CREATE FUNCTION stream_internal.segment_start(segment_no int) RETURNS numeric
	AS 'MODULE_PATHNAME', 'stream_segment_start' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The hash key Kinesis gives a partition key: MD5 of its UTF-8 bytes as a
-- big-endian unsigned 128-bit integer.
CREATE FUNCTION stream.hash_key(partition_key text) RETURNS numeric
	AS 'MODULE_PATHNAME', 'stream_hash_key' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The hash key range of shard i of n equal ranges, as Kinesis makes them:
-- with w = floor(2^128 / n), [i*w, (i+1)*w - 1], and the last one ends at
-- 2^128 - 1.
CREATE FUNCTION stream_internal.uniform_range(i int, n int,
											  OUT starting_hash_key numeric,
											  OUT ending_hash_key numeric)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT i * pg_catalog.div(340282366920938463463374607431768211456, n),
		   CASE WHEN i = n - 1 THEN 340282366920938463463374607431768211455
				ELSE (i + 1) * pg_catalog.div(340282366920938463463374607431768211456, n) - 1
		   END
$$;

-- The next tokens of paged listings (src/kinesis/iterator.c): signed,
-- expiring after 300 seconds (ExpiredNextTokenException).
CREATE FUNCTION stream_internal.next_token(kind text, state text) RETURNS text
	AS 'MODULE_PATHNAME', 'stream_next_token' LANGUAGE C STRICT;
CREATE FUNCTION stream_internal.next_token_state(kind text, token text) RETURNS text
	AS 'MODULE_PATHNAME', 'stream_next_token_state' LANGUAGE C STRICT;
