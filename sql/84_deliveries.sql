
----------------------------------------------------------------------------
-- Deliveries: what Firehose does for Kinesis.  The extension's workers copy
-- a stream's records, buffered by size and time, into a table or into
-- files, each batch in the transaction that moves the position
-- (src/kinesis/delivery.c; sinks in sql/83_sinks.sql; README,
-- "Deliveries")
----------------------------------------------------------------------------

-- The directory of a file delivery, resolved under stream.delivery_directory
-- (made if missing, each component a directory and no symbolic link);
-- InvalidArgumentException when it is not, or file deliveries are off.
CREATE FUNCTION stream_internal.delivery_directory(target text) RETURNS text
	AS 'MODULE_PATHNAME', 'stream_resolve_delivery_directory' LANGUAGE C STRICT;

-- The table of a table delivery, quoted and qualified (public unless the
-- name says), checked or made for the calling role: made with the columns
-- of API.md when missing (the caller needs CREATE on the schema, and owns
-- it), else it must have them and the caller INSERT on it.
CREATE FUNCTION stream_internal.delivery_table(p_target text) RETURNS text
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	caller regrole := stream_internal.caller();
	parts text[];
	schema_name text;
	table_name text;
	qualified text;
	missing text;
BEGIN
	BEGIN
		parts := pg_catalog.parse_ident(p_target);
	EXCEPTION WHEN invalid_parameter_value THEN
		parts := NULL;
	END;
	IF parts IS NULL OR pg_catalog.cardinality(parts) NOT IN (1, 2) THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid table name "%s"', stream_internal.quote(p_target)),
			'A delivery''s table is named as SQL names it: "table" or "schema.table".');
	END IF;
	schema_name := CASE WHEN pg_catalog.cardinality(parts) = 2 THEN parts[1] ELSE 'public' END;
	table_name := parts[pg_catalog.cardinality(parts)];
	qualified := pg_catalog.format('%I.%I', schema_name, table_name);
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace n WHERE n.nspname = schema_name) THEN
		PERFORM stream_internal.raise('ResourceNotFoundException',
			pg_catalog.format('schema "%s" does not exist', stream_internal.quote(schema_name)));
	END IF;
	IF pg_catalog.to_regclass(qualified) IS NULL THEN
		IF NOT pg_catalog.has_schema_privilege(caller, schema_name, 'CREATE') THEN
			PERFORM stream_internal.raise('AccessDeniedException',
				pg_catalog.format('role "%s" may not create table %s', caller, qualified));
		END IF;
		EXECUTE pg_catalog.format(
			'CREATE TABLE %s (shard_id pg_catalog.text NOT NULL, '
			'sequence_number pg_catalog.numeric NOT NULL, '
			'approximate_arrival_timestamp pg_catalog.timestamptz NOT NULL, '
			'partition_key pg_catalog.text NOT NULL, data pg_catalog.bytea NOT NULL, '
			'PRIMARY KEY (shard_id, sequence_number))', qualified);
		-- (a regrole's text is quoted as it needs)
		EXECUTE pg_catalog.format('ALTER TABLE %s OWNER TO %s', qualified, caller);
		RETURN qualified;
	END IF;
	SELECT pg_catalog.string_agg(c, ', ') INTO missing
	FROM pg_catalog.unnest(ARRAY['shard_id', 'sequence_number', 'approximate_arrival_timestamp',
								 'partition_key', 'data']) c
	WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
					  WHERE a.attrelid = qualified::regclass AND a.attname = c
						AND a.attnum > 0 AND NOT a.attisdropped);
	IF missing IS NOT NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('table %s has no column %s', qualified, missing),
			'A delivery''s table has the columns shard_id, sequence_number, '
			'approximate_arrival_timestamp, partition_key and data.');
	END IF;
	IF NOT pg_catalog.has_table_privilege(caller, qualified, 'INSERT') THEN
		PERFORM stream_internal.raise('AccessDeniedException',
			pg_catalog.format('role "%s" may not insert into table %s', caller, qualified));
	END IF;
	RETURN qualified;
END
$$;

CREATE FUNCTION stream_internal.create_delivery(p_delivery_name text, p_stream_name text,
												p_destination text, p_target text,
												p_buffer_size_mb int, p_buffer_interval interval,
												p_format text, p_compression text)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	-- locked: no reshard adds a shard between the lanes made here and the commit
	s stream.streams := stream_internal.lock_active_stream(p_stream_name);
	caller regrole := stream_internal.caller();
	target text;
BEGIN
	PERFORM stream_internal.check_sink_name(p_delivery_name, 'delivery');
	-- it reads the stream as its creator, who manages it (stream_control)
	IF NOT stream_internal.has_privilege(caller, s.acl, 'read') THEN
		PERFORM stream_internal.raise('AccessDeniedException',
			pg_catalog.format('role "%s" is not authorized to perform kinesis:GetRecords on stream "%s"',
							  caller, s.stream_name),
			'A delivery reads the stream as the role that makes it.');
	END IF;
	IF p_buffer_size_mb IS NULL OR p_buffer_size_mb NOT BETWEEN 1 AND 128 THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('buffer size of %s MB is out of range',
							  coalesce(p_buffer_size_mb::text, 'NULL')),
			'A delivery buffers 1 to 128 MB.');
	END IF;
	IF p_buffer_interval IS NULL OR p_buffer_interval < '0' OR p_buffer_interval > '900 seconds'
	   OR pg_catalog.date_part('month', p_buffer_interval) <> 0
	   OR pg_catalog.date_part('year', p_buffer_interval) <> 0 THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			CASE WHEN p_buffer_interval IS NULL THEN 'buffer interval must not be null'
				 ELSE pg_catalog.format('buffer interval of %s seconds is out of range',
										EXTRACT(epoch FROM p_buffer_interval)::float8) END,
			'A delivery buffers 0 to 900 seconds.');
	END IF;
	IF p_format IS NULL OR p_format <> 'jsonl' THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid format "%s"', stream_internal.quote(coalesce(p_format, ''))),
			'Records are delivered as JSON lines (jsonl).');
	END IF;
	IF p_compression IS NULL OR p_compression NOT IN ('gzip', 'none') THEN
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid compression "%s"',
							  stream_internal.quote(coalesce(p_compression, ''))),
			'Files are compressed with gzip, or not (none).');
	END IF;
	IF p_target IS NULL THEN
		PERFORM stream_internal.raise('InvalidArgumentException', 'target must not be null');
	END IF;
	CASE p_destination
	WHEN 'table' THEN
		target := stream_internal.delivery_table(p_target);
	WHEN 'files' THEN
		-- the server writes them: a role that may write the server's files
		-- (its privileges, as each batch checks them: not a NOINHERIT member's)
		IF NOT pg_catalog.pg_has_role(caller, 'pg_write_server_files', 'USAGE') THEN
			PERFORM stream_internal.raise('AccessDeniedException',
				pg_catalog.format('role "%s" may not deliver to files', caller),
				'Files are written by the server: a delivery to files needs membership in pg_write_server_files.');
		END IF;
		target := stream_internal.delivery_directory(p_target);
	ELSE
		PERFORM stream_internal.raise('InvalidArgumentException',
			pg_catalog.format('invalid destination "%s"',
							  stream_internal.quote(coalesce(p_destination, ''))),
			'A delivery goes to a table or to files.');
	END CASE;

	-- as Firehose reads Kinesis: from the creation on
	INSERT INTO stream.sinks (sink_name, kind, stream_id, owner, batch_size, batch_bytes,
							  maximum_batching_window, starting_position, parallelization_factor,
							  maximum_retry_attempts, destination, target, format, compression)
		VALUES (p_delivery_name, 'delivery', s.stream_id, caller, 1000000,
				p_buffer_size_mb * 1024 * 1024::bigint, p_buffer_interval, 'LATEST', 1, -1,
				p_destination, target, p_format, p_compression);
	INSERT INTO stream.sink_lanes (sink_name, stream_id, shard_no, lane, start_at)
	SELECT p_delivery_name, h.stream_id, h.shard_no, 0, pg_catalog.clock_timestamp()
	FROM stream.shards h WHERE h.stream_id = s.stream_id;
	-- workers start now, not at the next maintenance pass
	PERFORM stream_internal.announce_sink_lanes();
END
$$;

CREATE FUNCTION stream_internal.drop_delivery(p_delivery_name text)
	RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT stream_internal.drop_sink(p_delivery_name, 'delivery');
$$;

-- The deliveries the calling role owns or may describe the stream of.
CREATE FUNCTION stream_internal.deliveries()
	RETURNS TABLE(delivery_name text, stream_name text, destination text, target text,
				  owner regrole, buffer_size_mb int, buffer_interval interval, format text,
				  compression text, state text, last_error text, last_delivery_at timestamptz,
				  millis_behind_latest bigint, records bigint, deliveries bigint, shards jsonb)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT (v.sink).sink_name, v.stream_name, (v.sink).destination, (v.sink).target,
		   (v.sink).owner, ((v.sink).batch_bytes / (1024 * 1024))::int,
		   (v.sink).maximum_batching_window, (v.sink).format, (v.sink).compression,
		   coalesce(v.state, 'ACTIVE'), v.last_error, v.last_batch_at, v.millis_behind_latest,
		   v.records, v.batches, v.lanes
	FROM stream_internal.visible_sinks('delivery') v
$$;
