
----------------------------------------------------------------------------
-- Tags of streams (README, "Tags, limits and paging"): at most 50 a stream,
-- keys and values as AWS allows them
----------------------------------------------------------------------------

CREATE TABLE stream.tags (
	stream_id		int NOT NULL REFERENCES stream.streams ON DELETE CASCADE,
	key				text NOT NULL,
	value			text NOT NULL,
	PRIMARY KEY (stream_id, key)
);

CREATE FUNCTION stream_internal.valid_tag_text(value text, min_chars int, max_chars int)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'stream_valid_tag_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- InvalidArgumentException unless a tag key is as AWS allows it.
CREATE FUNCTION stream_internal.check_tag_key(p_key text) RETURNS void
	LANGUAGE plpgsql IMMUTABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF p_key IS NULL OR NOT stream_internal.valid_tag_text(p_key, 1, 128) THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid tag key "%s"', stream_internal.quote(coalesce(p_key, 'NULL'))),
			'A tag key is 1 to 128 letters, digits, spaces and "_ . : / = + - @ %".');
	END IF;
	IF p_key LIKE 'aws:%' THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('tag key "%s" begins with "aws:", which is reserved',
							  stream_internal.quote(p_key)));
	END IF;
END
$$;

-- InvalidArgumentException unless tags are a JSON object of 1 to 50 keys
-- and string values, as AWS allows them.
CREATE FUNCTION stream_internal.check_tags(p_tags jsonb) RETURNS void
	LANGUAGE plpgsql IMMUTABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
BEGIN
	IF p_tags IS NULL OR pg_catalog.jsonb_typeof(p_tags) <> 'object' THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			'tags must be a JSON object of keys and values', 'For example {"team": "web"}.');
	END IF;
	IF p_tags = '{}' THEN
		PERFORM stream_internal.raise('InvalidArgumentException', 'tags must not be empty');
	END IF;
	FOR t IN SELECT * FROM pg_catalog.jsonb_each(p_tags) LOOP
		PERFORM stream_internal.check_tag_key(t.key);
		IF pg_catalog.jsonb_typeof(t.value) <> 'string' THEN
			PERFORM stream_internal.raise('InvalidArgumentException',
				pg_catalog.format('the value of tag "%s" is not a string', stream_internal.quote(t.key)));
		END IF;
		IF NOT stream_internal.valid_tag_text(t.value #>> '{}', 0, 256) THEN
			PERFORM stream_internal.raise('InvalidArgumentException',
				pg_catalog.format('invalid value of tag "%s"', stream_internal.quote(t.key)),
				'A tag value is up to 256 letters, digits, spaces and "_ . : / = + - @ %".');
		END IF;
	END LOOP;
END
$$;

-- Adds tags to a stream, or gives the keys it has new values; at most 50.
CREATE FUNCTION stream_internal.put_tags(s stream.streams, p_tags jsonb) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	PERFORM stream_internal.check_tags(p_tags);
	INSERT INTO stream.tags (stream_id, key, value)
		SELECT s.stream_id, t.key, t.value #>> '{}' FROM pg_catalog.jsonb_each(p_tags) t
	ON CONFLICT (stream_id, key) DO UPDATE SET value = EXCLUDED.value;
	SELECT pg_catalog.count(*) INTO n FROM stream.tags x WHERE x.stream_id = s.stream_id;
	IF n > 50 THEN
		PERFORM stream_internal.raise('LimitExceededException',
			pg_catalog.format('stream "%s" would have %s tags, more than 50', s.stream_name, n),
			'A stream has at most 50 tags: remove some first.');
	END IF;
END
$$;

CREATE FUNCTION stream_internal.add_tags_to_stream(p_stream_name text, p_tags jsonb)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM stream_internal.put_tags(stream_internal.lock_stream(p_stream_name), p_tags);
END
$$;

-- Removes tags by key; keys the stream does not have are passed over.
CREATE FUNCTION stream_internal.remove_tags_from_stream(p_stream_name text, p_tag_keys text[])
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.lock_stream(p_stream_name);
	k text;
BEGIN
	IF p_tag_keys IS NULL OR pg_catalog.cardinality(p_tag_keys) NOT BETWEEN 1 AND 50 THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			'tag keys must be an array of 1 to 50 keys');
	END IF;
	FOREACH k IN ARRAY p_tag_keys LOOP
		PERFORM stream_internal.check_tag_key(k);
	END LOOP;
	DELETE FROM stream.tags x WHERE x.stream_id = s.stream_id AND x.key = ANY (p_tag_keys);
END
$$;

CREATE FUNCTION stream_internal.list_tags_for_stream(p_stream_name text)
	RETURNS TABLE(o_key text, o_value text)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams := stream_internal.find_stream(p_stream_name);
BEGIN
	RETURN QUERY SELECT x.key, x.value FROM stream.tags x WHERE x.stream_id = s.stream_id
				 ORDER BY x.key COLLATE "C";
END
$$;
