
----------------------------------------------------------------------------
-- Access control (src/kinesis/acl.c): what IAM policies do for Kinesis
----------------------------------------------------------------------------

-- Each stream's privileges are those of a view of its own here, owned by the
-- role that created the stream:
--	read SELECT, write INSERT, describe REFERENCES, manage UPDATE,
--	create TRIGGER (on '*' only).
-- The view all_streams stands for '*': every stream, present and future.
CREATE SCHEMA stream_acl;
COMMENT ON SCHEMA stream_acl IS 'the privileges of streams, on a view that stands for each';
CREATE VIEW stream_acl.all_streams AS SELECT NULL::pg_catalog.int4 AS stream_id;
COMMENT ON VIEW stream_acl.all_streams IS 'privileges on every stream, present and future';

-- The role that called the public function being run, whose privileges
-- count (the implementation runs as the extension's owner).
CREATE FUNCTION stream_internal.caller() RETURNS regrole
	AS 'MODULE_PATHNAME', 'stream_caller' LANGUAGE C STABLE;

-- For the implementations of the control plane: AccessDeniedException
-- unless the role that called holds the call's privilege on the stream whose
-- catalog row they found (acl NULL: on '*', when there is none).
CREATE FUNCTION stream_internal.authorize_stream(stream_name text, acl regclass)
	RETURNS void
	AS 'MODULE_PATHNAME', 'stream_authorize_stream' LANGUAGE C;

-- Whether a role holds a privilege on the stream whose view is acl (NULL:
-- none), or on every stream.
CREATE FUNCTION stream_internal.has_privilege(role regrole, acl regclass, privilege text)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'stream_has_privilege' LANGUAGE C STABLE;

-- The privileges of the view that a privilege of stream.grant is, for GRANT.
CREATE FUNCTION stream_internal.privilege_modes(privilege text, all_streams boolean)
	RETURNS text
	AS 'MODULE_PATHNAME', 'stream_privilege_modes' LANGUAGE C IMMUTABLE;

-- Makes and drops the view of a stream.
CREATE FUNCTION stream_internal.create_stream_acl(stream_id int, owner regrole)
	RETURNS regclass
	AS 'MODULE_PATHNAME', 'stream_create_stream_acl' LANGUAGE C STRICT;
CREATE FUNCTION stream_internal.drop_stream_acl(acl regclass) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_drop_stream_acl' LANGUAGE C STRICT;
-- After a change of a stream view's privileges: pg_dump is to emit no GRANT
-- for it, since a dump's rows carry them (sql/88_backup.sql).
CREATE FUNCTION stream_internal.keep_acl_out_of_dump(acl regclass) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_keep_acl_out_of_dump' LANGUAGE C STRICT;

-- The view of a stream ('*': every stream); ResourceNotFoundException if
-- there is no such stream.
CREATE FUNCTION stream_internal.acl_of(p_stream_name text) RETURNS regclass
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF p_stream_name = '*' THEN
		RETURN 'stream_acl.all_streams'::regclass;
	END IF;
	RETURN (stream_internal.find_stream(p_stream_name)).acl;
END
$$;

-- GRANT (or REVOKE) a privilege of a stream ('*': every stream) on its view.
-- Run as the extension's owner, a superuser, GRANT acts as the view's
-- owner, who is the grantor.
CREATE FUNCTION stream_internal.change_privilege(is_grant boolean, privilege text,
												 stream_name text, role regrole)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	acl regclass := stream_internal.acl_of(stream_name);
	modes text := stream_internal.privilege_modes(privilege, stream_name = '*');
BEGIN
	IF role IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException', 'role must not be null');
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_authid a WHERE a.oid = role) THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('role with OID %s does not exist', role::oid));
	END IF;
	-- the owner holds every privilege (acl.c): a revoke would change nothing
	IF NOT is_grant AND stream_name <> '*'
	   AND role = (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = acl) THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('role "%s" owns stream "%s" and holds every privilege on it',
							  role, stream_name),
			pg_catalog.format('REASSIGN OWNED BY %s TO another role hands its streams over.', role));
	END IF;
	IF is_grant THEN
		EXECUTE pg_catalog.format('GRANT %s ON %s TO %s', modes, acl, role);
	ELSE
		EXECUTE pg_catalog.format('REVOKE %s ON %s FROM %s', modes, acl, role);
	END IF;
	IF stream_name <> '*' THEN
		PERFORM stream_internal.keep_acl_out_of_dump(acl);
	END IF;
END
$$;

CREATE FUNCTION stream_internal.grant(privilege text, stream_name text, role regrole)
	RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
	RETURN stream_internal.change_privilege(true, privilege, stream_name, role);

CREATE FUNCTION stream_internal.revoke(privilege text, stream_name text, role regrole)
	RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
	RETURN stream_internal.change_privilege(false, privilege, stream_name, role);

-- The privileges on the streams the calling role may describe (on '*' if
-- it may describe every stream), one row a role and privilege; the owner of
-- a stream holds every privilege on it, whatever its view's ACL says.
CREATE FUNCTION stream_internal.privileges(p_stream_name text)
	RETURNS TABLE(stream_name text, role regrole, privilege text, granted_by regrole)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF p_stream_name IS NOT NULL AND p_stream_name <> '*' THEN
		PERFORM stream_internal.find_stream(p_stream_name);
	END IF;
	RETURN QUERY
	SELECT o.name, g.grantee::regrole, m.privilege, g.grantor::regrole
	FROM (SELECT s.stream_name AS name, s.acl AS view FROM stream.streams s
		  UNION ALL
		  SELECT '*', 'stream_acl.all_streams'::regclass) o
	JOIN pg_catalog.pg_class c ON c.oid = o.view
	CROSS JOIN LATERAL (
		SELECT a.grantee, a.grantor, a.privilege_type
		FROM pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) a
		WHERE a.grantee <> c.relowner
		UNION
		SELECT c.relowner, c.relowner, t.mode
		FROM pg_catalog.unnest(ARRAY['SELECT', 'INSERT', 'REFERENCES', 'UPDATE', 'TRIGGER']) t(mode)
	) g
	JOIN (VALUES ('SELECT', 'read'), ('INSERT', 'write'), ('REFERENCES', 'describe'),
				 ('UPDATE', 'manage'), ('TRIGGER', 'create')) m(mode, privilege)
		ON m.mode = g.privilege_type
	WHERE (m.privilege <> 'create' OR o.name = '*')
	  AND (p_stream_name IS NULL OR o.name = p_stream_name)
	  AND stream_internal.has_privilege(stream_internal.caller(),
										CASE WHEN o.name <> '*' THEN o.view END, 'describe')
	ORDER BY o.name, g.grantee::regrole::text, m.privilege;
END
$$;
