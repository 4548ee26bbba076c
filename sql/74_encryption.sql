
----------------------------------------------------------------------------
-- Encryption at rest (src/kinesis/crypt.c): start_stream_encryption and
-- stop_stream_encryption, and the data keys of segments
----------------------------------------------------------------------------

CREATE FUNCTION stream_internal.new_data_key(material bytea, key_id uuid, key_version int,
											 stream_id int, segment_no int)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'stream_new_data_key' LANGUAGE C STRICT VOLATILE;

-- Gives a segment a data key of a key, at its newest version (replace: in
-- place of the one it has, which no record may use): what is appended to
-- the segment from now on may be encrypted with it.
CREATE FUNCTION stream_internal.give_data_key(p_stream_id int, p_segment_no int, p_key uuid,
											  p_replace boolean DEFAULT false)
	RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	UPDATE stream.segments g
	SET key_id = v.key_id, key_version = v.version,
		data_key = stream_internal.new_data_key(v.material, v.key_id, v.version,
												g.stream_id, g.segment_no)
	FROM (SELECT x.key_id, x.version, x.material FROM stream_internal.key_versions x
		  WHERE x.key_id = p_key ORDER BY x.version DESC LIMIT 1) v
	WHERE g.stream_id = p_stream_id AND g.segment_no = p_segment_no
	  AND (p_replace OR g.data_key IS NULL);
END;

-- The key a call of start or stop names, with the encryption type 'KMS'.
CREATE FUNCTION stream_internal.encryption_key(p_encryption_type text, p_key_id text)
	RETURNS stream.keys
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF p_encryption_type IS DISTINCT FROM 'KMS' THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('encryption type "%s" is not valid',
							  stream_internal.quote(coalesce(p_encryption_type, ''))),
			'The encryption type of a stream is KMS.');
	END IF;
	RETURN stream_internal.find_key(p_key_id);
END
$$;

-- The key a call names, which must be enabled to encrypt with.
CREATE FUNCTION stream_internal.usable_key(p_encryption_type text, p_key_id text)
	RETURNS stream.keys
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k stream.keys := stream_internal.encryption_key(p_encryption_type, p_key_id);
BEGIN
	IF NOT k.enabled THEN
		PERFORM stream_internal.raise('KMSDisabledException',
			pg_catalog.format('key "%s" is disabled', stream_internal.quote(p_key_id)),
			'stream.enable_key enables it.');
	END IF;
	RETURN k;
END
$$;

-- Every segment of an open shard that takes records from now on: the ones
-- not sealed, in order, with what they hold (records counts every append).
CREATE FUNCTION stream_internal.open_segments(p_stream_id int)
	RETURNS TABLE(shard_no int, segment_no int, relation regclass, key_id uuid,
				  has_key boolean, records bigint)
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT x.shard_no, x.segment_no, x.relation, x.key_id, x.data_key IS NOT NULL, i.records
	FROM stream.segments x JOIN stream.shards h USING (stream_id, shard_no)
	CROSS JOIN LATERAL stream_internal.segment_info(x.relation) i
	WHERE x.stream_id = p_stream_id AND h.closed_at IS NULL AND NOT i.sealed
	ORDER BY x.segment_no
$$;

-- A segment's records are all encrypted with its data key, or it has none
-- and they are all plain (readers hold them to it).  After the stream's
-- encryption changed to a key (NULL: none), every segment of an open shard
-- that is to take records is made to match: one with no record yet gets a
-- data key of the key (or loses its own), one with records otherwise is
-- sealed after a new segment is added.  Writers wait meanwhile.
CREATE FUNCTION stream_internal.match_open_segments(p_stream_id int, p_key uuid)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	g record;
BEGIN
	PERFORM stream_internal.lock_open_segments(p_stream_id);
	FOR g IN SELECT * FROM stream_internal.open_segments(p_stream_id) LOOP
		CONTINUE WHEN g.has_key = (p_key IS NOT NULL) AND g.key_id IS NOT DISTINCT FROM p_key;
		IF g.records > 0 THEN
			PERFORM stream_internal.add_segment(p_stream_id, g.shard_no);
			PERFORM stream_internal.seal_segment(g.relation);
		ELSIF p_key IS NOT NULL THEN
			PERFORM stream_internal.give_data_key(p_stream_id, g.segment_no, p_key, true);
		ELSE
			UPDATE stream.segments SET key_id = NULL, key_version = NULL, data_key = NULL
				WHERE stream_id = p_stream_id AND segment_no = g.segment_no;
		END IF;
	END LOOP;
END
$$;

-- Records written from now on are encrypted with the key; those before
-- keep the state they were written with.
CREATE FUNCTION stream_internal.start_stream_encryption(p_stream_name text, p_encryption_type text,
														p_key_id text)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.lock_active_stream(p_stream_name);
	k stream.keys := stream_internal.usable_key(p_encryption_type, p_key_id);
BEGIN
	UPDATE stream.streams SET encryption_type = 'KMS', key_id = p_key_id, kms_key_id = k.key_id
		WHERE stream_id = s.stream_id;
	PERFORM stream_internal.match_open_segments(s.stream_id, k.key_id);
END
$$;

-- Records written from now on are plain; those before stay encrypted.
CREATE FUNCTION stream_internal.stop_stream_encryption(p_stream_name text, p_encryption_type text,
													   p_key_id text)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.lock_active_stream(p_stream_name);
	k stream.keys := stream_internal.encryption_key(p_encryption_type, p_key_id);
BEGIN
	IF s.encryption_type <> 'KMS' OR s.kms_key_id IS DISTINCT FROM k.key_id THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('stream "%s" is not encrypted with key "%s"', s.stream_name,
							  stream_internal.quote(p_key_id)));
	END IF;
	UPDATE stream.streams SET encryption_type = 'NONE', key_id = NULL, kms_key_id = NULL
		WHERE stream_id = s.stream_id;
	PERFORM stream_internal.match_open_segments(s.stream_id, NULL);
END
$$;
