
----------------------------------------------------------------------------
-- Storage: the stream_log table access method (src/log/)
----------------------------------------------------------------------------

CREATE FUNCTION stream_internal.stream_log_handler(internal) RETURNS table_am_handler
	AS 'MODULE_PATHNAME', 'stream_log_handler' LANGUAGE C STRICT;
CREATE ACCESS METHOD stream_log TYPE TABLE HANDLER stream_internal.stream_log_handler;
COMMENT ON ACCESS METHOD stream_log IS 'append-only log storage of stream records';
