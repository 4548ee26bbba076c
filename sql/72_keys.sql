
----------------------------------------------------------------------------
-- Keys (src/kinesis/kms.c): what KMS does for Kinesis' encryption at rest
----------------------------------------------------------------------------

CREATE TABLE stream.keys (
	key_id			uuid PRIMARY KEY,
	alias			text NOT NULL UNIQUE,	-- without "alias/"
	description		text,
	enabled			boolean NOT NULL DEFAULT true,
	created_at		timestamptz NOT NULL DEFAULT pg_catalog.now()
);

-- Each version of a key's material, sealed by the root key: rotate_key adds
-- one, new data takes the newest, and older data keeps the one it had.
CREATE TABLE stream_internal.key_versions (
	key_id			uuid NOT NULL REFERENCES stream.keys,
	version			int NOT NULL,
	material		bytea NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (key_id, version)
);
REVOKE ALL ON stream.keys, stream_internal.key_versions FROM PUBLIC;

CREATE FUNCTION stream_internal.new_key_material(key_id uuid, version int) RETURNS bytea
	AS 'MODULE_PATHNAME', 'stream_new_key_material' LANGUAGE C STRICT VOLATILE;

-- arn:aws:kms:<region>:<account>:key/<key id>
CREATE FUNCTION stream_internal.key_arn(key_id uuid) RETURNS text
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	RETURN pg_catalog.format('arn:aws:kms:%s:%s:key/%s', pg_catalog.current_setting('stream.region'),
							 pg_catalog.current_setting('stream.account_id'), key_id);

-- A key by its id, its ARN, 'alias/<alias>' or the ARN of its alias;
-- KMSNotFoundException if there is none.  lock: for a change of the key.
CREATE FUNCTION stream_internal.find_key(p_key_id text, lock boolean DEFAULT false)
	RETURNS stream.keys
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k stream.keys;
	prefix text := pg_catalog.format('arn:aws:kms:%s:%s:', pg_catalog.current_setting('stream.region'),
									 pg_catalog.current_setting('stream.account_id'));
	name text := p_key_id;
BEGIN
	IF p_key_id IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException', 'key id must not be null');
	END IF;
	IF pg_catalog.starts_with(name, prefix) THEN
		name := pg_catalog.substr(name, pg_catalog.length(prefix) + 1);
		IF pg_catalog.starts_with(name, 'key/') THEN
			name := pg_catalog.substr(name, 5);
		END IF;
	END IF;
	IF pg_catalog.starts_with(name, 'alias/') THEN
		SELECT * INTO k FROM stream.keys WHERE alias = pg_catalog.substr(name, 7);
	ELSIF name ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN
		SELECT * INTO k FROM stream.keys WHERE key_id = name::uuid;
	END IF;
	IF k.key_id IS NULL THEN
		PERFORM stream_internal.raise('KMSNotFoundException',
			pg_catalog.format('key "%s" does not exist', stream_internal.quote(p_key_id)));
	END IF;
	IF lock THEN
		SELECT * INTO k FROM stream.keys WHERE key_id = k.key_id FOR UPDATE;
	END IF;
	RETURN k;
END
$$;

CREATE FUNCTION stream_internal.create_key(p_alias text, p_description text)
	RETURNS TABLE(key_id uuid, key_arn text)
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	name text := p_alias;
	new_id uuid := pg_catalog.gen_random_uuid();
BEGIN
	IF pg_catalog.starts_with(name, 'alias/') THEN
		name := pg_catalog.substr(name, 7);
	END IF;
	-- KMS' rule for alias names
	IF name IS NULL OR name !~ '^[a-zA-Z0-9/_-]{1,250}$' OR pg_catalog.starts_with(name, 'aws/') THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('alias "%s" is not valid', stream_internal.quote(coalesce(p_alias, ''))),
			'An alias is 1 to 250 letters, digits, "/", "_" and "-", and does not begin with "aws/".');
	END IF;
	IF pg_catalog.length(p_description) > 8192 THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			'a key''s description is at most 8192 characters');
	END IF;
	-- one alias at a time: its uniqueness is checked with a clear error
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('stream key alias ' || name));
	IF EXISTS (SELECT FROM stream.keys k WHERE k.alias = name) THEN
		PERFORM stream_internal.raise('ResourceExistsException',
			pg_catalog.format('alias "alias/%s" is in use', name));
	END IF;
	INSERT INTO stream.keys AS k (key_id, alias, description) VALUES (new_id, name, p_description);
	INSERT INTO stream_internal.key_versions AS v (key_id, version, material)
		VALUES (new_id, 1, stream_internal.new_key_material(new_id, 1));
	RETURN QUERY SELECT new_id, stream_internal.key_arn(new_id);
END
$$;

CREATE FUNCTION stream_internal.list_keys()
	RETURNS TABLE(key_id uuid, key_arn text, alias text, enabled boolean, created_at timestamptz)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT k.key_id, stream_internal.key_arn(k.key_id), 'alias/' || k.alias, k.enabled, k.created_at
	FROM stream.keys k ORDER BY k.created_at, k.alias
$$;

CREATE FUNCTION stream_internal.set_key_enabled(p_key_id text, p_enabled boolean) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k stream.keys := stream_internal.find_key(p_key_id, true);
BEGIN
	UPDATE stream.keys SET enabled = p_enabled WHERE key_id = k.key_id;
	-- the streams it encrypts: every backend loads them again, with the
	-- key's state (src/kinesis/catalog.c)
	UPDATE stream.streams s SET catalog_version = s.catalog_version
	WHERE s.kms_key_id = k.key_id
	   OR EXISTS (SELECT FROM stream.segments g WHERE g.stream_id = s.stream_id AND g.key_id = k.key_id);
END
$$;

CREATE FUNCTION stream_internal.disable_key(p_key_id text) RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
	RETURN stream_internal.set_key_enabled(p_key_id, false);

CREATE FUNCTION stream_internal.enable_key(p_key_id text) RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
	RETURN stream_internal.set_key_enabled(p_key_id, true);

-- New material for what is encrypted from now on; the older versions stay,
-- so what they encrypted stays readable.
CREATE FUNCTION stream_internal.rotate_key(p_key_id text) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k stream.keys := stream_internal.find_key(p_key_id, true);
	v int;
BEGIN
	IF NOT k.enabled THEN
		PERFORM stream_internal.raise('KMSDisabledException',
			pg_catalog.format('key "%s" is disabled', k.key_id),
			'Enable it first: stream.enable_key.');
	END IF;
	SELECT pg_catalog.max(x.version) + 1 INTO v FROM stream_internal.key_versions x
		WHERE x.key_id = k.key_id;
	INSERT INTO stream_internal.key_versions (key_id, version, material)
		VALUES (k.key_id, v, stream_internal.new_key_material(k.key_id, v));
END
$$;
