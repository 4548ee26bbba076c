
----------------------------------------------------------------------------
-- Maintenance with pg_cron (for stream.maintenance_worker = off)
----------------------------------------------------------------------------

-- Runs maintenance passes, one every "every", committing after each, until
-- "duration" has passed since it began.  pg_cron before 1.5 schedules whole
-- minutes only, so the job of stream.schedule_maintenance calls this once a
-- minute for a minute when the interval is shorter.  A failing pass ends the
-- call (pg_cron records the error in cron.job_run_details) and the next
-- minute starts again; an exception block around the CALL is not possible,
-- since the pass may commit.
--
-- A procedure that commits cannot pin its search_path (SET clause), so this
-- one names every function, operator and type with its schema.
CREATE PROCEDURE stream.run_maintenance_for(every interval, duration interval)
	LANGUAGE plpgsql
AS $$
DECLARE
	started pg_catalog.timestamptz := pg_catalog.clock_timestamp();
	next_pass pg_catalog.timestamptz := pg_catalog.clock_timestamp();
BEGIN
	IF every IS NULL OR every OPERATOR(pg_catalog.<) pg_catalog.interval '10 milliseconds' THEN
		RAISE EXCEPTION 'invalid maintenance interval %', every
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The interval must be at least 10 milliseconds.';
	END IF;
	LOOP
		CALL stream.run_maintenance();
		COMMIT;
		next_pass := next_pass OPERATOR(pg_catalog.+) every;
		EXIT WHEN duration IS NULL
			OR next_pass OPERATOR(pg_catalog.>=) (started OPERATOR(pg_catalog.+) duration);
		-- A pass that took longer than the interval delays the next one
		-- rather than making passes run back to back.
		next_pass := greatest(next_pass, pg_catalog.clock_timestamp());
		PERFORM pg_catalog.pg_sleep(pg_catalog.date_part('epoch',
			next_pass OPERATOR(pg_catalog.-) pg_catalog.clock_timestamp()));
	END LOOP;
END
$$;

-- Makes pg_cron run stream.run_maintenance() every "every" in this database,
-- as the job named stream-maintenance of the current user (made again if it
-- exists), and returns its job id.
CREATE FUNCTION stream.schedule_maintenance(every interval DEFAULT '1 second')
	RETURNS bigint
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cron_version text;
	cron_database text := current_setting('cron.database_name', true);
	secs numeric := extract(epoch FROM every);
	minutes numeric;
	schedule text;
	command text;
	job bigint;
BEGIN
	IF every IS NULL OR secs < 0.01 THEN
		RAISE EXCEPTION 'invalid maintenance interval %', every
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The interval must be at least 10 milliseconds.';
	END IF;

	SELECT extversion INTO cron_version
	FROM pg_catalog.pg_extension WHERE extname = 'pg_cron';

	-- The schedule.  pg_cron 1.5 and later schedule "N seconds"; before,
	-- cron's whole minutes, and a job every minute that runs passes for a
	-- minute stands in for an interval shorter than that.
	IF secs < 60 THEN
		IF cron_version IS NOT NULL
		   AND string_to_array(split_part(cron_version, '-', 1), '.')::int[]
			   >= ARRAY[1, 5]
		   AND secs = trunc(secs) THEN
			schedule := secs::int || ' seconds';
			command := 'CALL stream.run_maintenance()';
		ELSE
			schedule := '* * * * *';
			command := format(
				'CALL stream.run_maintenance_for(interval %L, interval %L)',
				trim_scale(secs) || ' seconds', '1 minute');
		END IF;
	ELSE
		minutes := secs / 60;
		IF minutes = trunc(minutes) AND minutes < 60 AND 60 % minutes = 0 THEN
			schedule := CASE WHEN minutes = 1 THEN '* * * * *'
						ELSE format('*/%s * * * *', minutes::int) END;
		ELSIF minutes % 60 = 0 AND minutes < 1440 AND 1440 % minutes = 0 THEN
			schedule := CASE WHEN minutes = 60 THEN '0 * * * *'
						ELSE format('0 */%s * * *', (minutes / 60)::int) END;
		ELSIF minutes = 1440 THEN
			schedule := '0 0 * * *';
		ELSE
			RAISE EXCEPTION 'pg_cron cannot run maintenance every %', every
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = 'From a minute up, an interval must be a whole number of minutes that divides an hour, a whole number of hours that divides a day, or a day.';
		END IF;
		command := 'CALL stream.run_maintenance()';
	END IF;

	IF cron_version IS NULL THEN
		IF current_setting('shared_preload_libraries')
		   !~ '(^|[\s,/"])pg_cron($|[\s,."])' THEN
			RAISE EXCEPTION 'pg_cron is not installed'
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  DETAIL = 'stream.schedule_maintenance makes pg_cron run stream.run_maintenance().',
					  HINT = 'Add pg_cron to shared_preload_libraries, restart the server, and run CREATE EXTENSION pg_cron in the database named by cron.database_name; or leave stream.maintenance_worker on.';
		ELSIF cron_database IS DISTINCT FROM current_database() THEN
			RAISE EXCEPTION 'pg_cron runs its jobs from database "%", not "%"',
				cron_database, current_database()
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = format('In database %I, run: SELECT cron.schedule_in_database(%L, %L, %L, %L);',
									cron_database, 'stream-maintenance',
									schedule, command, current_database());
		ELSE
			RAISE EXCEPTION 'pg_cron is not installed in database "%"',
				current_database()
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = 'Run CREATE EXTENSION pg_cron.';
		END IF;
	END IF;

	IF current_setting('stream.maintenance_worker')::boolean THEN
		RAISE NOTICE 'the stream maintenance worker runs maintenance too'
			USING HINT = 'Set stream.maintenance_worker = off so that only pg_cron does.';
	END IF;

	-- Made again rather than altered, so that the job is as described here.
	SELECT jobid INTO job FROM cron.job
	WHERE jobname = 'stream-maintenance' AND username = current_user;
	IF FOUND THEN
		PERFORM cron.unschedule(job);
	END IF;
	RETURN cron.schedule('stream-maintenance', schedule, command);
END
$$;

-- Removes the pg_cron job of stream.schedule_maintenance; false if there was
-- none.
CREATE FUNCTION stream.unschedule_maintenance() RETURNS boolean
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	job bigint;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RETURN false;
	END IF;
	SELECT jobid INTO job FROM cron.job
	WHERE jobname = 'stream-maintenance' AND username = current_user;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	RETURN cron.unschedule(job);
END
$$;
