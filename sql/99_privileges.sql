
----------------------------------------------------------------------------
-- Privileges: the functions of stream_internal are the extension's own;
-- the API is everyone's, and checks each call (src/kinesis/acl.c)
----------------------------------------------------------------------------

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA stream_internal FROM PUBLIC;
REVOKE ALL ON ALL PROCEDURES IN SCHEMA stream_internal FROM PUBLIC;
REVOKE ALL ON SCHEMA stream_internal FROM PUBLIC;
REVOKE ALL ON SEQUENCE stream_internal.catalog_version FROM PUBLIC;

-- Maintenance is the server's: the worker and pg_cron run it as a superuser.
REVOKE ALL ON PROCEDURE stream.run_maintenance() FROM PUBLIC;
REVOKE ALL ON PROCEDURE stream.run_maintenance_for(interval, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION stream.schedule_maintenance(interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION stream.unschedule_maintenance() FROM PUBLIC;

-- Whatever the default privileges (ALTER DEFAULT PRIVILEGES) of the role
-- running this script gave others on its objects is taken back: only what
-- this script grants stands (USAGE on the schema stream and EXECUTE on the
-- API for PUBLIC).  The segments and the streams' views made later lose
-- theirs as they are made (StreamCreateMemberRelation).
DO $$
DECLARE
	revoke text;
BEGIN
	FOR revoke IN
		SELECT pg_catalog.format('REVOKE ALL ON %s %s FROM %s', o.kind, o.name,
								 CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
									  ELSE pg_catalog.quote_ident(r.rolname) END)
		FROM (SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
					 pg_catalog.format('%I.%I', n.nspname, c.relname) AS name,
					 c.relacl AS acl, c.relowner AS owner, true AS public_too
			  FROM pg_catalog.pg_class c
			  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
			  WHERE n.nspname OPERATOR(pg_catalog.=) ANY ('{stream,stream_internal,stream_data,stream_acl}')
			  UNION ALL
			  SELECT 'SCHEMA', pg_catalog.quote_ident(n.nspname), n.nspacl, n.nspowner,
					 n.nspname OPERATOR(pg_catalog.<>) 'stream'
			  FROM pg_catalog.pg_namespace n
			  WHERE n.nspname OPERATOR(pg_catalog.=) ANY ('{stream,stream_internal,stream_data,stream_acl}')
			  UNION ALL
			  SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
					 p.oid::pg_catalog.regprocedure::pg_catalog.text, p.proacl, p.proowner, false
			  FROM pg_catalog.pg_proc p
			  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
			  WHERE n.nspname OPERATOR(pg_catalog.=) ANY ('{stream,stream_internal}')) o
		CROSS JOIN LATERAL pg_catalog.aclexplode(o.acl) a
		LEFT JOIN pg_catalog.pg_authid r ON r.oid OPERATOR(pg_catalog.=) a.grantee
		WHERE a.grantee OPERATOR(pg_catalog.<>) o.owner
		  AND (a.grantee OPERATOR(pg_catalog.<>) 0 OR o.public_too)
		GROUP BY 1
	LOOP
		EXECUTE revoke;
	END LOOP;
END
$$;

-- The views every role may read: they show each role the streams it may
-- describe (stream.stream_stats() checks), and the triggers and deliveries
-- it owns or may describe the stream of.
GRANT SELECT ON stream.stream_stats TO PUBLIC;
GRANT SELECT ON stream.triggers TO PUBLIC;
GRANT SELECT ON stream.deliveries TO PUBLIC;
