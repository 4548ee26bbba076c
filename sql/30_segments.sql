
----------------------------------------------------------------------------
-- Segments: the relations of a shard's log (src/kinesis/segment.c)
----------------------------------------------------------------------------

-- Creates the relation of one segment and makes it part of the extension.
CREATE FUNCTION stream_internal.create_segment(stream_id int, shard_no int, segment_no int)
	RETURNS regclass
	AS 'MODULE_PATHNAME', 'stream_create_segment' LANGUAGE C STRICT;

-- Drops a segment relation (an extension member, which DROP TABLE refuses);
-- without wait, only if no one is using it.
CREATE FUNCTION stream_internal.drop_segment(segment regclass, wait boolean DEFAULT true)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'stream_drop_segment' LANGUAGE C STRICT;

CREATE FUNCTION stream_internal.segment_info(segment regclass, OUT sealed boolean,
											 OUT records bigint, OUT blocks bigint,
											 OUT first_arrival timestamptz,
											 OUT last_arrival timestamptz)
	AS 'MODULE_PATHNAME', 'stream_segment_info' LANGUAGE C STRICT;

-- Seals a segment: its shard's writers go on to the next one.  The second
-- does it only when the segment is full or old, by the rule writers follow
-- (stream.segment_size, a twentieth of the retention).
CREATE FUNCTION stream_internal.seal_segment(segment regclass) RETURNS boolean
	AS 'MODULE_PATHNAME', 'stream_seal_segment' LANGUAGE C STRICT;
CREATE FUNCTION stream_internal.seal_segment_if_due(segment regclass, retention interval)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'stream_seal_segment_if_due' LANGUAGE C STRICT;

-- Where the next record of a segment would go: past every record in it.
CREATE FUNCTION stream_internal.segment_end(segment regclass, segment_no int) RETURNS numeric
	AS 'MODULE_PATHNAME', 'stream_segment_end' LANGUAGE C STRICT;

-- Locks segments against writers, all of them or none (for a reshard).
CREATE FUNCTION stream_internal.lock_segments(segments regclass[]) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_lock_segments' LANGUAGE C STRICT;

-- Locks the segments of a stream's open shards: writers in progress finish
-- first, and writers after see what the caller's transaction changed.
CREATE FUNCTION stream_internal.lock_open_segments(p_stream_id int) RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT stream_internal.lock_segments(ARRAY(
		SELECT x.relation FROM stream.segments x JOIN stream.shards h USING (stream_id, shard_no)
		WHERE x.stream_id = p_stream_id AND h.closed_at IS NULL ORDER BY x.segment_no))
$$;

-- Which of a shard's segments (relations, oldest first) is being written: the
-- first one not sealed, as a position in the array.  Writers and readers use
-- the same rule in C.
CREATE FUNCTION stream_internal.writable_segment(segments regclass[]) RETURNS int
	AS 'MODULE_PATHNAME', 'stream_writable_segment' LANGUAGE C STRICT;

-- A shard's segments, oldest first.
CREATE FUNCTION stream_internal.shard_segments(p_stream_id int, p_shard_no int)
	RETURNS regclass[]
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.array_agg(g.relation ORDER BY g.segment_no)
	FROM stream.segments g WHERE g.stream_id = p_stream_id AND g.shard_no = p_shard_no
$$;

-- Adds an empty segment at the end of a shard's log.
CREATE FUNCTION stream_internal.add_segment(p_stream_id int, p_shard_no int) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n int;
BEGIN
	UPDATE stream.streams SET next_segment_no = next_segment_no + 1
		WHERE stream_id = p_stream_id RETURNING next_segment_no - 1 INTO n;
	INSERT INTO stream.segments (stream_id, segment_no, shard_no, relation)
		VALUES (p_stream_id, n, p_shard_no,
				stream_internal.create_segment(p_stream_id, p_shard_no, n));
	-- the segments of an encrypted stream come with a data key
	PERFORM stream_internal.give_data_key(p_stream_id, n, s.kms_key_id)
	FROM stream.streams s WHERE s.stream_id = p_stream_id AND s.encryption_type = 'KMS';
END
$$;
