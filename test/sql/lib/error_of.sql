-- Included by pgTAP files with \i: pg_temp.error_of(sql) runs a statement
-- and returns the SQLSTATE, message and DETAIL of the error it raises
-- ('none' when it raises none), for checks that throws_ok cannot make.
CREATE FUNCTION pg_temp.error_of(sql text,
								 OUT err_code text, OUT message text, OUT detail text)
	LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE sql;
	err_code := 'none';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS err_code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
							detail = PG_EXCEPTION_DETAIL;
END
$$;
