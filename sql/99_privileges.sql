
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
