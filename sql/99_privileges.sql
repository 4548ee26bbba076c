
----------------------------------------------------------------------------
-- Privileges: the functions of stream_internal are the extension's own
----------------------------------------------------------------------------

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA stream_internal FROM PUBLIC;
REVOKE ALL ON ALL PROCEDURES IN SCHEMA stream_internal FROM PUBLIC;
REVOKE ALL ON SCHEMA stream_internal FROM PUBLIC;
REVOKE ALL ON SEQUENCE stream_internal.catalog_version FROM PUBLIC;
