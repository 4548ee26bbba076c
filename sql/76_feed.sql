----------------------------------------------------------------------------
-- The change feed (src/kinesis/feed.c): records of the streams whose feed
-- is on reach logical decoding as messages with the prefix 'stream', and
-- decode_feed_message turns a message's content back into rows
----------------------------------------------------------------------------

CREATE TYPE stream.feed_record AS (stream_name text, shard_id text, sequence_number numeric,
								   approximate_arrival_timestamp timestamptz,
								   partition_key text, data bytea);

-- Turns the feed of a stream on or off.  Writers in progress finish first
-- (the stream's segments are locked), so that the feed carries the records
-- of every transaction that commits after this one, and none of those
-- that started after it turned the feed off.
CREATE FUNCTION stream_internal.set_change_feed(p_stream_name text, p_enabled boolean)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.lock_active_stream(p_stream_name);
BEGIN
	IF p_enabled IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			'enabled must be true or false, not NULL');
	END IF;
	IF s.change_feed = p_enabled THEN
		RETURN;
	END IF;
	PERFORM stream_internal.lock_open_segments(s.stream_id);
	UPDATE stream.streams SET change_feed = p_enabled WHERE stream_id = s.stream_id;
END
$$;

CREATE FUNCTION stream.decode_feed_message(content bytea) RETURNS SETOF stream.feed_record
	AS 'MODULE_PATHNAME', 'stream_decode_feed_message' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
