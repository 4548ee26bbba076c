
----------------------------------------------------------------------------
-- Logical backup (src/kinesis/backup.c): pg_dump carries every stream as the
-- rows of one configuration table, which a restore applies as they come
----------------------------------------------------------------------------

-- Rows of kinds header, key, key_version, access_key, stream, shard, consumer,
-- scaling, mode_change, tag, application, lease, metric, sink, sink_lane,
-- segment (each followed by its
-- records), record and end.  Columns are only
-- ever added, so that older dumps still load.
CREATE TABLE stream_internal.dump (
	kind			text NOT NULL,
	stream_id		int,
	sequence_number bigint,
	arrival			timestamptz,
	partition_key	text,
	hash_key		numeric,
	data			bytea,
	info			jsonb,
	-- an encrypted record's partition key as stored, ciphertext (then
	-- partition_key is NULL, and data is ciphertext too)
	sealed_key		bytea,
	-- The trigger below applies each row and stores none.  A restore with
	-- triggers disabled fails here rather than dropping the streams.
	CONSTRAINT restored_by_trigger CHECK (false) NO INHERIT
);
COMMENT ON TABLE stream_internal.dump IS
	'what pg_dump keeps of streams: its rows are made as it reads them, and applied as a restore writes them';

-- The privileges on a stream's view (or all_streams), by role name.
CREATE FUNCTION stream_internal.dump_grants(acl regclass) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
			   -- PUBLIC apart: a role may be named "PUBLIC"
			   'public', a.grantee = 0,
			   'grantee', CASE WHEN a.grantee <> 0 THEN pg_catalog.pg_get_userbyid(a.grantee) END,
			   'privilege', a.privilege_type,
			   'grantable', a.is_grantable)
			   ORDER BY a.grantee, a.privilege_type), '[]')
	FROM pg_catalog.pg_class c CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a
	WHERE c.oid = acl AND a.grantee <> c.relowner
$$;

-- The catalog part of a dump, in the order a restore needs: the header, the
-- keys, then each stream's row, shards, consumers, limits of changes, tags,
-- the minutes of its metrics that the maintenance pass stored, applications and their leases (checkpoints, without holders: a worker
-- of the restored database takes them anew), triggers and deliveries (sinks) and their lanes.  No
-- view is read: pg_dump forbids it (restrict_nonsystem_relation_kind).
CREATE FUNCTION stream_internal.dump_catalog()
	RETURNS TABLE(kind text, stream_id int, info jsonb)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT r.kind, r.stream_id, r.info FROM (
		SELECT 0 AS part, NULL::int AS stream_id, 0 AS sub, 'header' AS kind,
			   pg_catalog.jsonb_build_object(
				   'format', 1,
				   'extension_version', (SELECT e.extversion FROM pg_catalog.pg_extension e
										 WHERE e.extname = 'stream'),
				   'block_size', pg_catalog.current_setting('block_size')::int,
				   'all_streams_grants', stream_internal.dump_grants('stream_acl.all_streams')) AS info
		UNION ALL
		SELECT 0, NULL, 1, 'key', pg_catalog.to_jsonb(k) FROM stream.keys k
		UNION ALL
		SELECT 0, NULL, 2, 'key_version', pg_catalog.to_jsonb(v) FROM stream_internal.key_versions v
		UNION ALL
		-- roles by name; secrets as stored, sealed by the root key
		SELECT 0, NULL, 3, 'access_key', pg_catalog.to_jsonb(a) FROM stream_internal.access_keys a
		UNION ALL
		SELECT 1, s.stream_id, 0, 'stream',
			   (pg_catalog.to_jsonb(s) - 'catalog_version' - 'acl')
			   || pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(c.relowner),
									 'grants', stream_internal.dump_grants(s.acl))
		FROM stream.streams s LEFT JOIN pg_catalog.pg_class c ON c.oid = s.acl
		UNION ALL
		SELECT 1, h.stream_id, 1 + h.shard_no, 'shard', pg_catalog.to_jsonb(h) FROM stream.shards h
		UNION ALL
		SELECT 2, x.stream_id, 0, 'consumer', pg_catalog.to_jsonb(x) FROM stream.consumers x
		UNION ALL
		SELECT 2, x.stream_id, 1, 'scaling', pg_catalog.to_jsonb(x) FROM stream.scalings x
		UNION ALL
		SELECT 2, x.stream_id, 2, 'mode_change', pg_catalog.to_jsonb(x) FROM stream.mode_changes x
		UNION ALL
		SELECT 2, x.stream_id, 3, 'tag', pg_catalog.to_jsonb(x) FROM stream.tags x
		UNION ALL
		SELECT 2, x.stream_id, 4, 'application', pg_catalog.to_jsonb(x) FROM stream.applications x
		UNION ALL
		SELECT 2, x.stream_id, 6, 'metric', pg_catalog.to_jsonb(x) FROM stream.metrics x
		UNION ALL
		SELECT 2, x.stream_id, 5, 'lease',
			   pg_catalog.to_jsonb(x) - 'worker_id' - 'lease_expires_at' - 'spread'
		FROM stream.leases x
		UNION ALL
		-- the function by its qualified signature, the owner by name
		SELECT 2, x.stream_id, 7, 'sink', pg_catalog.to_jsonb(x) FROM stream.sinks x
		UNION ALL
		SELECT 2, x.stream_id, 8, 'sink_lane', pg_catalog.to_jsonb(x) FROM stream.sink_lanes x
	) r
	ORDER BY r.part, r.stream_id, r.sub
$$;

-- Every row of the dump: the catalog, each segment and its records, the end.
CREATE FUNCTION stream_internal.dump_rows() RETURNS SETOF stream_internal.dump
	AS 'MODULE_PATHNAME', 'stream_dump_rows' LANGUAGE C STRICT;

-- Grants the privileges of a dump on a stream's view, skipping (with a
-- warning, as pg_restore does) roles that do not exist.
CREATE FUNCTION stream_internal.restore_grants(acl regclass, stream_name text, grants jsonb)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	g record;
BEGIN
	FOR g IN SELECT * FROM pg_catalog.jsonb_to_recordset(grants)
					 AS x(public boolean, grantee text, privilege text, grantable boolean)
	LOOP
		IF g.privilege IS NULL
		   OR g.privilege NOT IN ('SELECT', 'INSERT', 'REFERENCES', 'UPDATE', 'TRIGGER') THEN
			RAISE EXCEPTION 'a dump of streams grants "%" on stream "%", which is no privilege of a stream',
				g.privilege, stream_name USING ERRCODE = 'data_exception';
		END IF;
		IF NOT coalesce(g.public, false)
		   AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = g.grantee) THEN
			RAISE WARNING 'role "%" does not exist: its privilege % on stream "%" is not restored',
				g.grantee, g.privilege, stream_name;
			CONTINUE;
		END IF;
		EXECUTE pg_catalog.format('GRANT %s ON %s TO %s%s', g.privilege, acl,
					   CASE WHEN g.public THEN 'PUBLIC' ELSE pg_catalog.quote_ident(g.grantee) END,
					   CASE WHEN g.grantable THEN ' WITH GRANT OPTION' ELSE '' END);
	END LOOP;
	IF stream_name <> '*' THEN
		PERFORM stream_internal.keep_acl_out_of_dump(acl);
	END IF;
END
$$;

-- Applies a catalog row of a dump; a segment's returns the relation made.
CREATE FUNCTION stream_internal.restore_catalog_row(p_kind text, p_stream_id int, p_info jsonb)
	RETURNS regclass
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams;
	g stream.segments;
	h stream.shards;
	segs regclass[];
	owner oid;
	acl regclass;
	last_id bigint;
BEGIN
	CASE p_kind
	WHEN 'header' THEN
		PERFORM stream_internal.restore_grants('stream_acl.all_streams', '*',
											   p_info->'all_streams_grants');
	WHEN 'key' THEN
		-- its material stays sealed by the root key of the dumped server
		INSERT INTO stream.keys SELECT (pg_catalog.jsonb_populate_record(NULL::stream.keys, p_info)).*;
	WHEN 'key_version' THEN
		INSERT INTO stream_internal.key_versions
			SELECT (pg_catalog.jsonb_populate_record(NULL::stream_internal.key_versions, p_info)).*;
	WHEN 'access_key' THEN
		-- (a key whose role is missing is skipped, as its grants would be)
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = p_info->>'role')
		   OR NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = p_info->>'created_by') THEN
			RAISE WARNING 'role "%" does not exist: its access key "%" is not restored',
				p_info->>'role', p_info->>'access_key_id';
		ELSE
			INSERT INTO stream_internal.access_keys
				SELECT (pg_catalog.jsonb_populate_record(NULL::stream_internal.access_keys, p_info)).*;
		END IF;
	WHEN 'stream' THEN
		s := pg_catalog.jsonb_populate_record(NULL::stream.streams, p_info);
		IF EXISTS (SELECT FROM stream.streams x
				   WHERE x.stream_id = s.stream_id OR x.stream_name = s.stream_name) THEN
			RAISE EXCEPTION 'cannot restore stream "%": the database has a stream of that name or id %',
				s.stream_name, s.stream_id
				USING ERRCODE = 'duplicate_object',
					  HINT = 'Restore into a database without the streams of the dump.';
		END IF;
		-- a stream made before access control has no view: the restorer owns it
		SELECT r.oid INTO owner FROM pg_catalog.pg_roles r
			WHERE r.rolname = coalesce(p_info->>'owner', current_user);
		IF owner IS NULL THEN
			RAISE EXCEPTION 'cannot restore stream "%": its owner, role "%", does not exist',
				s.stream_name, p_info->>'owner'
				USING ERRCODE = 'undefined_object',
					  HINT = 'Restore the roles first (pg_dumpall --globals-only).';
		END IF;
		acl := stream_internal.create_stream_acl(s.stream_id, owner::regrole);
		INSERT INTO stream.streams (stream_id, stream_name, stream_status, stream_mode,
									retention_period, created_at, encryption_type, key_id,
									kms_key_id, change_feed, shard_level_metrics, next_shard_no,
									next_segment_no, acl)
			OVERRIDING SYSTEM VALUE
			VALUES (s.stream_id, s.stream_name, s.stream_status, s.stream_mode,
					s.retention_period, s.created_at, s.encryption_type, s.key_id,
					s.kms_key_id, coalesce(s.change_feed, false),
					coalesce(s.shard_level_metrics, '{}'), s.next_shard_no,
					s.next_segment_no, acl);
		PERFORM stream_internal.restore_grants(acl, s.stream_name, p_info->'grants');
	WHEN 'shard' THEN
		INSERT INTO stream.shards SELECT (pg_catalog.jsonb_populate_record(NULL::stream.shards, p_info)).*;
	WHEN 'consumer' THEN
		INSERT INTO stream.consumers SELECT (pg_catalog.jsonb_populate_record(NULL::stream.consumers, p_info)).*;
	WHEN 'scaling' THEN
		INSERT INTO stream.scalings SELECT (pg_catalog.jsonb_populate_record(NULL::stream.scalings, p_info)).*;
	WHEN 'mode_change' THEN
		INSERT INTO stream.mode_changes
			SELECT (pg_catalog.jsonb_populate_record(NULL::stream.mode_changes, p_info)).*;
	WHEN 'tag' THEN
		INSERT INTO stream.tags SELECT (pg_catalog.jsonb_populate_record(NULL::stream.tags, p_info)).*;
	WHEN 'metric' THEN
		INSERT INTO stream.metrics SELECT (pg_catalog.jsonb_populate_record(NULL::stream.metrics, p_info)).*;
	WHEN 'application' THEN
		INSERT INTO stream.applications
			SELECT (pg_catalog.jsonb_populate_record(NULL::stream.applications, p_info)).*;
	WHEN 'lease' THEN
		-- (spread as a new lease has it: the restored row gets a page of its own)
		INSERT INTO stream.leases (application_name, stream_id, shard_no, start_at, checkpoint,
								   shard_end_reached)
			SELECT x.application_name, x.stream_id, x.shard_no, x.start_at, x.checkpoint,
				   x.shard_end_reached
			FROM pg_catalog.jsonb_populate_record(NULL::stream.leases, p_info) x;
	WHEN 'sink' THEN
		-- its function and owner must exist: pg_dump makes them before data
		INSERT INTO stream.sinks
			SELECT (pg_catalog.jsonb_populate_record(NULL::stream.sinks, p_info)).*;
	WHEN 'sink_lane' THEN
		INSERT INTO stream.sink_lanes
			SELECT (pg_catalog.jsonb_populate_record(NULL::stream.sink_lanes, p_info)).*;
	WHEN 'segment' THEN
		g := pg_catalog.jsonb_populate_record(NULL::stream.segments, p_info);
		IF g.stream_id IS DISTINCT FROM p_stream_id THEN
			RAISE EXCEPTION 'a segment row of a dump of streams names stream % in its row and % in its info',
				p_stream_id, g.stream_id USING ERRCODE = 'data_exception';
		END IF;
		-- the same number: it begins the sequence number of every record in it
		acl := stream_internal.create_segment(g.stream_id, g.shard_no, g.segment_no);
		-- with its data key, sealed as it was: its records stay encrypted
		INSERT INTO stream.segments (stream_id, segment_no, shard_no, relation, created_at,
									 key_id, key_version, data_key)
			VALUES (g.stream_id, g.segment_no, g.shard_no, acl, g.created_at,
					g.key_id, g.key_version, g.data_key);
		RETURN acl;
	WHEN 'end' THEN
		-- An open shard whose segments were all sealed when the dump read them
		-- (the next one came after it began) gets one to write to.
		FOR h IN SELECT * FROM stream.shards x WHERE x.closed_at IS NULL LOOP
			segs := coalesce(stream_internal.shard_segments(h.stream_id, h.shard_no), '{}');
			IF pg_catalog.cardinality(segs) = 0
			   OR (stream_internal.segment_info(segs[pg_catalog.cardinality(segs)])).sealed THEN
				PERFORM stream_internal.add_segment(h.stream_id, h.shard_no);
			END IF;
		END LOOP;
		-- new streams get ids after every id the dumped database gave
		last_id := (p_info->>'last_stream_id')::bigint;
		IF last_id IS NOT NULL THEN
			PERFORM pg_catalog.setval('stream.streams_stream_id_seq',
						   greatest(last_id, (SELECT CASE WHEN q.is_called THEN q.last_value END
											  FROM stream.streams_stream_id_seq q)));
		END IF;
	ELSE
		RAISE EXCEPTION 'a dump of streams has a row of kind "%", which this version of the extension does not know',
			p_kind USING ERRCODE = 'feature_not_supported',
						 HINT = 'Restore it with the version of the extension that made it.';
	END CASE;
	RETURN NULL;
END
$$;

CREATE FUNCTION stream_internal.restore_row() RETURNS trigger
	AS 'MODULE_PATHNAME', 'stream_restore_row' LANGUAGE C;
CREATE TRIGGER restore_row BEFORE INSERT ON stream_internal.dump
	FOR EACH ROW EXECUTE FUNCTION stream_internal.restore_row();
-- also where session_replication_role is replica
ALTER TABLE stream_internal.dump ENABLE ALWAYS TRIGGER restore_row;

-- pg_dump copies the table out "WHERE false", then the rows the function
-- makes; SELECT-list form, so that they stream rather than being gathered
-- first.
SELECT pg_catalog.pg_extension_config_dump('stream_internal.dump',
	'WHERE false UNION ALL SELECT (d.r).* FROM (SELECT stream_internal.dump_rows() AS r OFFSET 0) d');
