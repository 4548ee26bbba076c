-- stream 0.1: Kinesis Data Streams inside PostgreSQL.
--
-- The catalog (ordinary heap tables), the stream_log table access method that
-- stores records, and the SQL contract of shared/API.md.

\echo Use "CREATE EXTENSION stream" to load this file. \quit

-- Refuse to install unless the library was preloaded: the WAL resource
-- manager must be registered before the server replays any stream record.
CREATE FUNCTION stream._assert_preloaded() RETURNS void
	AS 'MODULE_PATHNAME', 'stream_assert_preloaded' LANGUAGE C STRICT;
SELECT stream._assert_preloaded();
DROP FUNCTION stream._assert_preloaded();

-- Segment relations (the storage of each shard's log) live here.
CREATE SCHEMA stream_data;

----------------------------------------------------------------------------
-- Storage
----------------------------------------------------------------------------

CREATE FUNCTION stream.stream_log_handler(internal) RETURNS table_am_handler
	AS 'MODULE_PATHNAME', 'stream_log_handler' LANGUAGE C STRICT;
CREATE ACCESS METHOD stream_log TYPE TABLE HANDLER stream.stream_log_handler;
COMMENT ON ACCESS METHOD stream_log IS 'append-only log storage of stream records';

----------------------------------------------------------------------------
-- Catalog
----------------------------------------------------------------------------

CREATE TABLE stream.streams (
	stream_id		int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	stream_name		text NOT NULL UNIQUE,
	stream_status	text NOT NULL DEFAULT 'ACTIVE'
		CHECK (stream_status IN ('CREATING', 'ACTIVE', 'UPDATING', 'DELETING')),
	stream_mode		text NOT NULL CHECK (stream_mode IN ('PROVISIONED', 'ON_DEMAND')),
	retention_period interval NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT now(),
	encryption_type text NOT NULL DEFAULT 'NONE',
	key_id			text,
	next_shard_no	int NOT NULL DEFAULT 0,
	next_segment_no int NOT NULL DEFAULT 1
);

CREATE TABLE stream.shards (
	stream_id		int NOT NULL REFERENCES stream.streams ON DELETE CASCADE,
	shard_no		int NOT NULL,
	parent_shard_no int,
	adjacent_parent_shard_no int,
	starting_hash_key numeric NOT NULL,
	ending_hash_key numeric NOT NULL,
	starting_sequence_number numeric NOT NULL,
	ending_sequence_number numeric,
	created_at		timestamptz NOT NULL DEFAULT now(),
	closed_at		timestamptz,
	PRIMARY KEY (stream_id, shard_no)
);

-- A shard's log is a chain of segments; segment numbers are per stream, so
-- that sequence numbers (which start with the segment number) are unique
-- within the stream and increase within a shard.
CREATE TABLE stream.segments (
	stream_id		int NOT NULL,
	segment_no		int NOT NULL,
	shard_no		int NOT NULL,
	relation		regclass NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (stream_id, segment_no),
	FOREIGN KEY (stream_id, shard_no) REFERENCES stream.shards ON DELETE CASCADE
);
CREATE INDEX ON stream.segments (stream_id, shard_no, segment_no);

CREATE TABLE stream.consumers (
	stream_id		int NOT NULL REFERENCES stream.streams ON DELETE CASCADE,
	consumer_name	text NOT NULL,
	consumer_status text NOT NULL DEFAULT 'ACTIVE',
	created_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (stream_id, consumer_name)
);

-- The key that signs shard iterators, made once per database.
CREATE TABLE stream.iterator_key (
	key				bytea NOT NULL
);
REVOKE ALL ON stream.iterator_key FROM PUBLIC;

CREATE FUNCTION stream._random_bytes(int) RETURNS bytea
	AS 'MODULE_PATHNAME', 'stream_random_bytes' LANGUAGE C STRICT;
INSERT INTO stream.iterator_key SELECT stream._random_bytes(32);
DROP FUNCTION stream._random_bytes(int);

-- Every backend caches the catalog for the data plane; any change to it tells
-- them to reload.
CREATE FUNCTION stream._catalog_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'stream_catalog_changed' LANGUAGE C;
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON stream.streams FOR EACH STATEMENT EXECUTE FUNCTION stream._catalog_changed();
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON stream.shards FOR EACH STATEMENT EXECUTE FUNCTION stream._catalog_changed();
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON stream.segments FOR EACH STATEMENT EXECUTE FUNCTION stream._catalog_changed();

-- Creates the relation of one segment and makes it part of the extension.
CREATE FUNCTION stream._create_segment(stream_id int, shard_no int, segment_no int)
	RETURNS regclass
	AS 'MODULE_PATHNAME', 'stream_create_segment' LANGUAGE C STRICT;

-- Drops a segment relation (an extension member, which DROP TABLE refuses);
-- without wait, only if no one is using it.
CREATE FUNCTION stream._drop_segment(segment regclass, wait boolean DEFAULT true)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'stream_drop_segment' LANGUAGE C STRICT;

CREATE FUNCTION stream._segment_info(segment regclass, OUT sealed boolean,
									 OUT records bigint, OUT blocks bigint,
									 OUT first_arrival timestamptz,
									 OUT last_arrival timestamptz)
	AS 'MODULE_PATHNAME', 'stream_segment_info' LANGUAGE C STRICT;

CREATE FUNCTION stream._seal_segment(segment regclass) RETURNS boolean
	AS 'MODULE_PATHNAME', 'stream_seal_segment' LANGUAGE C STRICT;

----------------------------------------------------------------------------
-- Helpers
----------------------------------------------------------------------------

-- The hash key Kinesis gives a partition key: MD5 of its UTF-8 bytes as a
-- big-endian unsigned 128-bit integer.
CREATE FUNCTION stream.hash_key(partition_key text) RETURNS numeric
	AS 'MODULE_PATHNAME', 'stream_hash_key' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION stream._shard_id(shard_no int) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$ SELECT 'shardId-' || lpad(shard_no::text, 12, '0') $$;

CREATE FUNCTION stream._stream_arn(stream_name text) RETURNS text
	LANGUAGE sql STABLE STRICT
	AS $$ SELECT 'arn:aws:kinesis:' || current_setting('stream.region') || ':'
				 || current_setting('stream.account_id') || ':stream/' || stream_name $$;

-- The first sequence number a segment can hold.
CREATE FUNCTION stream._segment_start(segment_no int) RETURNS numeric
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$ SELECT segment_no::numeric * 1099511627776 $$;

CREATE FUNCTION stream._retention_hours(retention interval) RETURNS int
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$ SELECT ceil(extract(epoch FROM retention) / 3600)::int $$;

-- Raises the error of API.md's table for a Kinesis exception.
CREATE FUNCTION stream._raise(exception text, message text) RETURNS void
	LANGUAGE plpgsql
AS $$
DECLARE
	code text := CASE exception
		WHEN 'ResourceNotFoundException' THEN '42704'
		WHEN 'ResourceInUseException' THEN '55006'
		WHEN 'ResourceExistsException' THEN '42710'
		WHEN 'InvalidArgumentException' THEN '22023'
		WHEN 'LimitExceededException' THEN '54000'
		ELSE 'XX000' END;
	kinesis text := CASE exception
		WHEN 'ResourceExistsException' THEN 'ResourceInUseException'
		ELSE exception END;
BEGIN
	RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message,
		DETAIL = format('The Kinesis exception is %s.', kinesis);
END
$$;

-- Finds a stream by name and locks its catalog row for a control-plane change.
CREATE FUNCTION stream._lock_stream(p_stream_name text) RETURNS stream.streams
	LANGUAGE plpgsql
AS $$
DECLARE
	s stream.streams;
BEGIN
	IF p_stream_name IS NULL THEN
		PERFORM stream._raise('InvalidArgumentException', 'stream name must not be null');
	END IF;
	SELECT * INTO s FROM stream.streams WHERE stream_name = p_stream_name FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM stream._raise('ResourceNotFoundException',
							  format('stream "%s" does not exist', p_stream_name));
	END IF;
	RETURN s;
END
$$;

CREATE FUNCTION stream._find_stream(p_stream_name text) RETURNS stream.streams
	LANGUAGE plpgsql STABLE
AS $$
DECLARE
	s stream.streams;
BEGIN
	IF p_stream_name IS NULL THEN
		PERFORM stream._raise('InvalidArgumentException', 'stream name must not be null');
	END IF;
	SELECT * INTO s FROM stream.streams WHERE stream_name = p_stream_name;
	IF NOT FOUND THEN
		PERFORM stream._raise('ResourceNotFoundException',
							  format('stream "%s" does not exist', p_stream_name));
	END IF;
	RETURN s;
END
$$;

-- The hours argument of the retention functions: whole hours, 24 to 8760.
CREATE FUNCTION stream._check_retention_hours(hours int) RETURNS void
	LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
	IF hours IS NULL OR hours < 24 OR hours > 8760 THEN
		PERFORM stream._raise('InvalidArgumentException',
			format('retention period %s hours is out of range', coalesce(hours::text, 'NULL'))
			|| ': it must be from 24 to 8760 hours');
	END IF;
END
$$;

----------------------------------------------------------------------------
-- Control plane
----------------------------------------------------------------------------

CREATE FUNCTION stream.create_stream(stream_name text, shard_count int DEFAULT 4,
									 stream_mode text DEFAULT 'PROVISIONED',
									 retention_period_hours int DEFAULT 24)
	RETURNS void
	LANGUAGE plpgsql
AS $$
DECLARE
	p_name text := stream_name;
	new_id int;
	width numeric;
	max_hash numeric := 340282366920938463463374607431768211455;
	open_shards bigint;
	i int;
BEGIN
	IF p_name IS NULL OR p_name !~ '^[a-zA-Z0-9_.-]{1,128}$' THEN
		PERFORM stream._raise('InvalidArgumentException',
			format('invalid stream name "%s"', coalesce(p_name, 'NULL'))
			|| ': it must be 1 to 128 characters of letters, digits, "_", "." and "-"');
	END IF;
	IF shard_count IS NULL OR shard_count < 1 THEN
		PERFORM stream._raise('InvalidArgumentException',
			format('shard count %s is invalid: it must be at least 1',
				   coalesce(shard_count::text, 'NULL')));
	END IF;
	IF stream_mode IS NULL OR stream_mode NOT IN ('PROVISIONED', 'ON_DEMAND') THEN
		PERFORM stream._raise('InvalidArgumentException',
			format('invalid stream mode "%s": it must be PROVISIONED or ON_DEMAND',
				   coalesce(stream_mode, 'NULL')));
	END IF;
	PERFORM stream._check_retention_hours(retention_period_hours);

	-- Serialize stream creation so that the shard limit holds.
	LOCK TABLE stream.streams IN SHARE ROW EXCLUSIVE MODE;
	IF EXISTS (SELECT 1 FROM stream.streams s WHERE s.stream_name = p_name) THEN
		PERFORM stream._raise('ResourceExistsException',
							  format('stream "%s" already exists', p_name));
	END IF;
	SELECT count(*) INTO open_shards FROM stream.shards WHERE closed_at IS NULL;
	IF open_shards + shard_count > current_setting('stream.shard_limit')::int THEN
		PERFORM stream._raise('LimitExceededException',
			format('creating stream "%s" with %s shards would exceed the shard limit of %s',
				   p_name, shard_count, current_setting('stream.shard_limit'))
			|| format(' (%s shards are open)', open_shards));
	END IF;

	INSERT INTO stream.streams (stream_name, stream_mode, retention_period, next_shard_no,
								next_segment_no)
		VALUES (p_name, stream_mode, make_interval(hours => retention_period_hours),
				shard_count, shard_count + 1)
		RETURNING stream_id INTO new_id;

	width := div(power(2::numeric, 128), shard_count);
	INSERT INTO stream.shards (stream_id, shard_no, starting_hash_key, ending_hash_key,
							   starting_sequence_number)
		SELECT new_id, n, n * width,
			   CASE WHEN n = shard_count - 1 THEN max_hash ELSE (n + 1) * width - 1 END,
			   stream._segment_start(n + 1)
		FROM generate_series(0, shard_count - 1) AS n;

	FOR i IN 0 .. shard_count - 1 LOOP
		INSERT INTO stream.segments (stream_id, segment_no, shard_no, relation)
			VALUES (new_id, i + 1, i, stream._create_segment(new_id, i, i + 1));
	END LOOP;
END
$$;

CREATE FUNCTION stream.delete_stream(stream_name text,
									 enforce_consumer_deletion boolean DEFAULT false)
	RETURNS void
	LANGUAGE plpgsql
AS $$
DECLARE
	s stream.streams := stream._lock_stream(stream_name);
	n_consumers bigint;
	seg regclass;
BEGIN
	SELECT count(*) INTO n_consumers FROM stream.consumers c WHERE c.stream_id = s.stream_id;
	IF n_consumers > 0 AND NOT coalesce(enforce_consumer_deletion, false) THEN
		PERFORM stream._raise('ResourceInUseException',
			format('stream "%s" has %s registered consumers', s.stream_name, n_consumers));
	END IF;
	FOR seg IN SELECT relation FROM stream.segments g WHERE g.stream_id = s.stream_id LOOP
		PERFORM stream._drop_segment(seg);
	END LOOP;
	DELETE FROM stream.streams WHERE stream_id = s.stream_id;
END
$$;

CREATE FUNCTION stream.list_streams()
	RETURNS TABLE(stream_name text, stream_arn text, stream_status text, stream_mode text,
				  stream_creation_timestamp timestamptz)
	LANGUAGE sql STABLE
AS $$
	SELECT s.stream_name, stream._stream_arn(s.stream_name), s.stream_status, s.stream_mode,
		   s.created_at
	FROM stream.streams s
	ORDER BY s.stream_name
$$;

CREATE FUNCTION stream.describe_stream_summary(stream_name text)
	RETURNS TABLE(stream_name text, stream_arn text, stream_status text, stream_mode text,
				  retention_period_hours int, stream_creation_timestamp timestamptz,
				  encryption_type text, key_id text, open_shard_count int, consumer_count int)
	LANGUAGE sql STABLE
AS $$
	SELECT s.stream_name, stream._stream_arn(s.stream_name), s.stream_status, s.stream_mode,
		   stream._retention_hours(s.retention_period), s.created_at, s.encryption_type,
		   s.key_id,
		   (SELECT count(*)::int FROM stream.shards h
			WHERE h.stream_id = s.stream_id AND h.closed_at IS NULL),
		   (SELECT count(*)::int FROM stream.consumers c WHERE c.stream_id = s.stream_id)
	FROM stream._find_stream($1) s
$$;

-- list_shards in PL/pgSQL, whose output columns may not share the names of
-- the parameters as API.md's signature has them; list_shards wraps it.
CREATE FUNCTION stream._list_shards(p_stream_name text, shard_filter text, p_shard_id text,
									p_time timestamptz)
	RETURNS TABLE(o_shard_id text, o_parent_shard_id text, o_adjacent_parent_shard_id text,
				  o_starting_hash_key numeric, o_ending_hash_key numeric,
				  o_starting_sequence_number numeric, o_ending_sequence_number numeric)
	LANGUAGE plpgsql STABLE
AS $$
DECLARE
	s stream.streams := stream._find_stream(p_stream_name);
	after_no int := -1;
	horizon timestamptz;
BEGIN
	IF shard_filter IS NULL OR shard_filter NOT IN ('AFTER_SHARD_ID', 'AT_TRIM_HORIZON',
			'FROM_TRIM_HORIZON', 'AT_LATEST', 'AT_TIMESTAMP', 'FROM_TIMESTAMP') THEN
		PERFORM stream._raise('InvalidArgumentException',
			format('invalid shard filter "%s"', coalesce(shard_filter, 'NULL')));
	END IF;
	IF p_shard_id IS NOT NULL THEN
		IF p_shard_id !~ '^shardId-[0-9]{12}$' THEN
			PERFORM stream._raise('InvalidArgumentException',
								  format('invalid shard id "%s"', p_shard_id));
		END IF;
		after_no := substr(p_shard_id, 9)::int;
	ELSIF shard_filter = 'AFTER_SHARD_ID' THEN
		PERFORM stream._raise('InvalidArgumentException',
							  'shard filter AFTER_SHARD_ID needs a shard id');
	END IF;
	IF shard_filter IN ('AT_TIMESTAMP', 'FROM_TIMESTAMP') AND p_time IS NULL THEN
		PERFORM stream._raise('InvalidArgumentException',
							  format('shard filter %s needs a timestamp', shard_filter));
	END IF;

	-- The trim horizon: the oldest moment whose records are still retained.
	horizon := greatest(s.created_at, clock_timestamp() - s.retention_period);

	RETURN QUERY
	SELECT stream._shard_id(h.shard_no),
		   stream._shard_id(h.parent_shard_no),
		   stream._shard_id(h.adjacent_parent_shard_no),
		   h.starting_hash_key, h.ending_hash_key,
		   h.starting_sequence_number, h.ending_sequence_number
	FROM stream.shards h
	WHERE h.stream_id = s.stream_id
	  AND h.shard_no > after_no
	  AND CASE shard_filter
			WHEN 'AT_LATEST' THEN h.closed_at IS NULL
			WHEN 'AT_TRIM_HORIZON' THEN
				h.created_at <= horizon AND (h.closed_at IS NULL OR h.closed_at > horizon)
			WHEN 'AT_TIMESTAMP' THEN
				h.created_at <= greatest(p_time, horizon)
				AND (h.closed_at IS NULL OR h.closed_at > greatest(p_time, horizon))
			WHEN 'FROM_TIMESTAMP' THEN
				h.closed_at IS NULL OR h.closed_at > greatest(p_time, horizon)
			ELSE h.closed_at IS NULL OR h.closed_at > horizon
		  END
	ORDER BY h.shard_no;
END
$$;

CREATE FUNCTION stream.list_shards(stream_name text, shard_filter text DEFAULT 'FROM_TRIM_HORIZON',
								   shard_id text DEFAULT NULL, "timestamp" timestamptz DEFAULT NULL)
	RETURNS TABLE(shard_id text, parent_shard_id text, adjacent_parent_shard_id text,
				  starting_hash_key numeric, ending_hash_key numeric,
				  starting_sequence_number numeric, ending_sequence_number numeric)
	LANGUAGE sql STABLE
AS $$ SELECT * FROM stream._list_shards($1, $2, $3, $4) $$;

CREATE FUNCTION stream.describe_stream(stream_name text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
AS $$
DECLARE
	s stream.streams := stream._find_stream(stream_name);
	shards jsonb;
BEGIN
	SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
			'ShardId', l.shard_id,
			'ParentShardId', l.parent_shard_id,
			'AdjacentParentShardId', l.adjacent_parent_shard_id,
			'HashKeyRange', jsonb_build_object(
				'StartingHashKey', l.starting_hash_key::text,
				'EndingHashKey', l.ending_hash_key::text),
			'SequenceNumberRange', jsonb_strip_nulls(jsonb_build_object(
				'StartingSequenceNumber', l.starting_sequence_number::text,
				'EndingSequenceNumber', l.ending_sequence_number::text))))
			ORDER BY l.shard_id), '[]'::jsonb)
		INTO shards
	FROM stream.list_shards(s.stream_name) l;

	RETURN jsonb_strip_nulls(jsonb_build_object(
		'StreamName', s.stream_name,
		'StreamARN', stream._stream_arn(s.stream_name),
		'StreamStatus', s.stream_status,
		'StreamModeDetails', jsonb_build_object('StreamMode', s.stream_mode),
		'Shards', shards,
		'HasMoreShards', false,
		'RetentionPeriodHours', stream._retention_hours(s.retention_period),
		'StreamCreationTimestamp', s.created_at,
		'EnhancedMonitoring', jsonb_build_array(
			jsonb_build_object('ShardLevelMetrics', '[]'::jsonb)),
		'EncryptionType', s.encryption_type,
		'KeyId', s.key_id));
END
$$;

CREATE FUNCTION stream.increase_stream_retention_period(stream_name text,
														retention_period_hours int)
	RETURNS void
	LANGUAGE plpgsql
AS $$
DECLARE
	s stream.streams := stream._lock_stream(stream_name);
	wanted interval := make_interval(hours => retention_period_hours);
BEGIN
	PERFORM stream._check_retention_hours(retention_period_hours);
	IF s.stream_status <> 'ACTIVE' THEN
		PERFORM stream._raise('ResourceInUseException',
			format('stream "%s" is %s, not ACTIVE', s.stream_name, s.stream_status));
	END IF;
	IF wanted < s.retention_period THEN
		PERFORM stream._raise('InvalidArgumentException',
			format('retention period %s hours of stream "%s" is less than its current %s hours',
				   retention_period_hours, s.stream_name,
				   stream._retention_hours(s.retention_period))
			|| '; use decrease_stream_retention_period');
	END IF;
	UPDATE stream.streams SET retention_period = wanted WHERE stream_id = s.stream_id;
END
$$;

CREATE FUNCTION stream.decrease_stream_retention_period(stream_name text,
														retention_period_hours int)
	RETURNS void
	LANGUAGE plpgsql
AS $$
DECLARE
	s stream.streams := stream._lock_stream(stream_name);
	wanted interval := make_interval(hours => retention_period_hours);
BEGIN
	PERFORM stream._check_retention_hours(retention_period_hours);
	IF s.stream_status <> 'ACTIVE' THEN
		PERFORM stream._raise('ResourceInUseException',
			format('stream "%s" is %s, not ACTIVE', s.stream_name, s.stream_status));
	END IF;
	IF wanted > s.retention_period THEN
		PERFORM stream._raise('InvalidArgumentException',
			format('retention period %s hours of stream "%s" is more than its current %s hours',
				   retention_period_hours, s.stream_name,
				   stream._retention_hours(s.retention_period))
			|| '; use increase_stream_retention_period');
	END IF;
	UPDATE stream.streams SET retention_period = wanted WHERE stream_id = s.stream_id;
END
$$;

CREATE FUNCTION stream.set_retention_period(stream_name text, retention_period interval)
	RETURNS void
	LANGUAGE plpgsql
AS $$
DECLARE
	s stream.streams := stream._lock_stream(stream_name);
	floor_period interval := current_setting('stream.min_retention_period')::interval;
BEGIN
	IF retention_period IS NULL OR retention_period < floor_period
	   OR retention_period > interval '8760 hours' THEN
		PERFORM stream._raise('InvalidArgumentException',
			format('retention period %s is out of range: it must be from %s to 8760 hours',
				   coalesce(retention_period::text, 'NULL'), floor_period));
	END IF;
	IF s.stream_status <> 'ACTIVE' THEN
		PERFORM stream._raise('ResourceInUseException',
			format('stream "%s" is %s, not ACTIVE', s.stream_name, s.stream_status));
	END IF;
	UPDATE stream.streams SET retention_period = set_retention_period.retention_period
		WHERE stream_id = s.stream_id;
END
$$;

----------------------------------------------------------------------------
-- Data plane
----------------------------------------------------------------------------

CREATE TYPE stream.put_records_request_entry AS (data bytea, partition_key text,
												 explicit_hash_key numeric);
CREATE TYPE stream.record AS (sequence_number numeric, approximate_arrival_timestamp timestamptz,
							  data bytea, partition_key text, encryption_type text);

CREATE FUNCTION stream.put_record(stream_name text, partition_key text, data bytea,
								  explicit_hash_key numeric DEFAULT NULL,
								  sequence_number_for_ordering numeric DEFAULT NULL,
								  OUT shard_id text, OUT sequence_number numeric,
								  OUT encryption_type text)
	AS 'MODULE_PATHNAME', 'stream_put_record' LANGUAGE C VOLATILE;

CREATE FUNCTION stream.put_records(stream_name text, records stream.put_records_request_entry[])
	RETURNS TABLE(ordinality int, shard_id text, sequence_number numeric, error_code text,
				  error_message text)
	AS 'MODULE_PATHNAME', 'stream_put_records' LANGUAGE C VOLATILE;

CREATE FUNCTION stream.put_records(stream_name text, partition_keys text[], data bytea[])
	RETURNS TABLE(ordinality int, shard_id text, sequence_number numeric, error_code text,
				  error_message text)
	AS 'MODULE_PATHNAME', 'stream_put_records_arrays' LANGUAGE C VOLATILE;

CREATE FUNCTION stream.get_shard_iterator(stream_name text, shard_id text,
										  shard_iterator_type text,
										  starting_sequence_number numeric DEFAULT NULL,
										  "timestamp" timestamptz DEFAULT NULL)
	RETURNS text
	AS 'MODULE_PATHNAME', 'stream_get_shard_iterator' LANGUAGE C VOLATILE;

CREATE FUNCTION stream.get_records(shard_iterator text, "limit" int DEFAULT 10000,
								   OUT records stream.record[], OUT next_shard_iterator text,
								   OUT millis_behind_latest bigint, OUT child_shards jsonb)
	AS 'MODULE_PATHNAME', 'stream_get_records' LANGUAGE C VOLATILE;

CREATE FUNCTION stream.read(stream_name text, shard_id text DEFAULT NULL,
							after_sequence_number numeric DEFAULT NULL,
							since timestamptz DEFAULT NULL, "limit" bigint DEFAULT NULL)
	RETURNS TABLE(shard_id text, sequence_number numeric,
				  approximate_arrival_timestamp timestamptz, partition_key text, data bytea)
	AS 'MODULE_PATHNAME', 'stream_read' LANGUAGE C VOLATILE;

----------------------------------------------------------------------------
-- Maintenance
----------------------------------------------------------------------------

-- Adds an empty segment at the end of a shard's log.
CREATE FUNCTION stream._add_segment(p_stream_id int, p_shard_no int) RETURNS void
	LANGUAGE plpgsql
AS $$
DECLARE
	n int;
BEGIN
	UPDATE stream.streams SET next_segment_no = next_segment_no + 1
		WHERE stream_id = p_stream_id RETURNING next_segment_no - 1 INTO n;
	INSERT INTO stream.segments (stream_id, segment_no, shard_no, relation)
		VALUES (p_stream_id, n, p_shard_no, stream._create_segment(p_stream_id, p_shard_no, n));
END
$$;

-- Which of a shard's segments (in order) is being written: the first one not
-- sealed.  The ones before it are all sealed, the ones after it empty.
CREATE FUNCTION stream._writable_segment(segs regclass[]) RETURNS int
	LANGUAGE plpgsql
AS $$
DECLARE
	i int := cardinality(segs);
BEGIN
	WHILE i > 1 AND NOT (stream._segment_info(segs[i - 1])).sealed LOOP
		i := i - 1;
	END LOOP;
	RETURN i;
END
$$;

-- One maintenance pass over one stream, whose row the caller has locked.
-- Returns the number of segments dropped.
CREATE FUNCTION stream._maintain_stream(s stream.streams) RETURNS int
	LANGUAGE plpgsql
AS $$
DECLARE
	t_now timestamptz := clock_timestamp();
	horizon timestamptz := clock_timestamp() - s.retention_period;
	max_age interval := s.retention_period / 20;
	max_blocks bigint := pg_size_bytes(current_setting('stream.segment_size'))
						 / current_setting('block_size')::int;
	h stream.shards;
	g record;
	info record;
	segs regclass[];
	writable int;
	dropped int := 0;
	expiring boolean;
BEGIN
	FOR h IN SELECT * FROM stream.shards WHERE stream_id = s.stream_id ORDER BY shard_no LOOP
		-- The segment being written is the first one not sealed.  Seal it
		-- once it is full or old, but only when the segment after it was
		-- committed by an earlier pass, or writers would find none to go on
		-- to.  Sealing first lets this same pass expire it.
		IF h.closed_at IS NULL THEN
			SELECT array_agg(relation ORDER BY segment_no) INTO segs
			FROM stream.segments WHERE stream_id = s.stream_id AND shard_no = h.shard_no;
			writable := stream._writable_segment(segs);
			info := stream._segment_info(segs[writable]);
			IF writable < cardinality(segs) AND info.records > 0
			   AND (info.blocks >= max_blocks OR t_now - info.first_arrival > max_age) THEN
				PERFORM stream._seal_segment(segs[writable]);
			END IF;
		END IF;

		-- A closed shard takes no more records: seal what it has.
		IF h.closed_at IS NOT NULL THEN
			PERFORM stream._seal_segment(relation) FROM stream.segments
			WHERE stream_id = s.stream_id AND shard_no = h.shard_no;
		END IF;

		-- Expiry: drop the oldest segments whose newest record is past the
		-- retention period, in order, and only those no one is using now (the
		-- empty ones of a closed shard go too).
		expiring := true;
		FOR g IN SELECT * FROM stream.segments
				 WHERE stream_id = s.stream_id AND shard_no = h.shard_no
				 ORDER BY segment_no LOOP
			info := stream._segment_info(g.relation);
			EXIT WHEN NOT expiring
				OR NOT (info.sealed OR (h.closed_at IS NOT NULL AND info.records = 0))
				OR (info.last_arrival IS NOT NULL AND info.last_arrival >= horizon);
			IF stream._drop_segment(g.relation, false) THEN
				DELETE FROM stream.segments
					WHERE stream_id = s.stream_id AND segment_no = g.segment_no;
				dropped := dropped + 1;
			ELSE
				expiring := false;
			END IF;
		END LOOP;

		IF h.closed_at IS NOT NULL THEN
			-- A closed shard whose records have all expired is gone, but only
			-- after its parents: ancestors expire first, so that the lineage
			-- a consumer follows from any listed shard stays whole.
			IF NOT EXISTS (SELECT 1 FROM stream.segments
						   WHERE stream_id = s.stream_id AND shard_no = h.shard_no)
			   AND NOT EXISTS (SELECT 1 FROM stream.shards p
							   WHERE p.stream_id = s.stream_id
								 AND p.shard_no IN (h.parent_shard_no, h.adjacent_parent_shard_no)) THEN
				DELETE FROM stream.shards
					WHERE stream_id = s.stream_id AND shard_no = h.shard_no;
			END IF;
			CONTINUE;
		END IF;

		-- Keep one empty segment ready after the one being written.
		SELECT array_agg(relation ORDER BY segment_no) INTO segs
		FROM stream.segments WHERE stream_id = s.stream_id AND shard_no = h.shard_no;
		writable := stream._writable_segment(segs);
		IF writable = cardinality(segs) THEN
			PERFORM stream._add_segment(s.stream_id, h.shard_no);
		END IF;
	END LOOP;
	RETURN dropped;
END
$$;

-- One pass of every periodic task, in every stream: expire segments past
-- their retention, close full or old segments, create the next ones before
-- writers need them, and split or merge the shards of on-demand streams.
-- Safe to run at any time: a pass that finds another one running skips, and
-- a stream whose row is locked by a control-plane change is left for the
-- next pass.
CREATE PROCEDURE stream.run_maintenance()
	LANGUAGE plpgsql
AS $$
DECLARE
	s stream.streams;
	scaled text;
BEGIN
	IF pg_is_in_recovery() THEN
		RETURN;
	END IF;
	IF NOT pg_try_advisory_xact_lock(hashtext('stream.run_maintenance')) THEN
		RETURN;
	END IF;
	FOR s IN SELECT * FROM stream.streams WHERE stream_status IN ('ACTIVE', 'UPDATING')
			 ORDER BY stream_id FOR UPDATE SKIP LOCKED LOOP
		PERFORM stream._maintain_stream(s);
		IF s.stream_mode = 'ON_DEMAND' AND s.stream_status = 'ACTIVE' THEN
			-- A reshard that fails must not stop the expiry of other streams.
			BEGIN
				scaled := stream._scale_on_demand(s);
				IF scaled IS NOT NULL THEN
					RAISE LOG 'on-demand stream "%": %', s.stream_name, scaled;
				END IF;
			EXCEPTION
				WHEN lock_not_available THEN
					NULL;		-- writers held the shards: the next pass tries again
				WHEN OTHERS THEN
					RAISE WARNING 'could not scale on-demand stream "%": %',
						s.stream_name, SQLERRM;
			END;
		END IF;
	END LOOP;
END
$$;
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
CREATE PROCEDURE stream.run_maintenance_for(every interval, duration interval)
	LANGUAGE plpgsql
AS $$
DECLARE
	started timestamptz := clock_timestamp();
	next_pass timestamptz := clock_timestamp();
BEGIN
	IF every IS NULL OR every < interval '10 milliseconds' THEN
		RAISE EXCEPTION 'invalid maintenance interval %', every
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The interval must be at least 10 milliseconds.';
	END IF;
	LOOP
		CALL stream.run_maintenance();
		COMMIT;
		next_pass := next_pass + every;
		EXIT WHEN duration IS NULL OR next_pass >= started + duration;
		-- A pass that took longer than the interval delays the next one
		-- rather than making passes run back to back.
		next_pass := greatest(next_pass, clock_timestamp());
		PERFORM pg_catalog.pg_sleep(
			extract(epoch FROM next_pass - clock_timestamp())::float8);
	END LOOP;
END
$$;

-- Makes pg_cron run stream.run_maintenance() every "every" in this database,
-- as the job named stream-maintenance of the current user (made again if it
-- exists), and returns its job id.
CREATE FUNCTION stream.schedule_maintenance(every interval DEFAULT '1 second')
	RETURNS bigint
	LANGUAGE plpgsql
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

----------------------------------------------------------------------------
-- Resharding
----------------------------------------------------------------------------

CREATE FUNCTION stream._segment_end(segment regclass, segment_no int) RETURNS numeric
	AS 'MODULE_PATHNAME', 'stream_segment_end' LANGUAGE C STRICT;

CREATE FUNCTION stream._lock_segments(segments regclass[]) RETURNS void
	AS 'MODULE_PATHNAME', 'stream_lock_segments' LANGUAGE C STRICT;

-- Locks the segments of shards about to be closed against writers, which
-- waits for every transaction that wrote to them: so each one's last record
-- is committed (or rolled back) before any record of its children can be, and
-- no record lands in it afterwards (a writer that gets the lock later sees the
-- shard closed and goes to a child).  All shards of one reshard are locked at
-- once, so that a writer holding one and waiting for another cannot deadlock
-- with it.
CREATE FUNCTION stream._lock_shards(s stream.streams, shard_nos int[]) RETURNS void
	LANGUAGE sql
AS $$
	SELECT stream._lock_segments(coalesce(array_agg(relation), '{}'))
	FROM stream.segments WHERE stream_id = s.stream_id AND shard_no = ANY (shard_nos)
$$;

-- Scalings of update_shard_count, for Kinesis' limit of 10 per rolling 24 hours.
CREATE TABLE stream.scalings (
	stream_id		int NOT NULL REFERENCES stream.streams ON DELETE CASCADE,
	scaled_at		timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON stream.scalings (stream_id, scaled_at);

-- The open shard of a stream named by a shard id, locked for a reshard.
CREATE FUNCTION stream._open_shard(s stream.streams, p_shard_id text) RETURNS stream.shards
	LANGUAGE plpgsql
AS $$
DECLARE
	h stream.shards;
BEGIN
	IF p_shard_id IS NULL THEN
		PERFORM stream._raise('InvalidArgumentException', 'shard id must not be null');
	END IF;
	IF p_shard_id ~ '^shardId-[0-9]{12}$' THEN
		SELECT * INTO h FROM stream.shards
		WHERE stream_id = s.stream_id AND shard_no = substr(p_shard_id, 9)::bigint
		FOR UPDATE;
	END IF;
	IF h.shard_no IS NULL THEN
		PERFORM stream._raise('ResourceNotFoundException',
			format('shard "%s" does not exist in stream "%s"', p_shard_id, s.stream_name));
	END IF;
	IF h.closed_at IS NOT NULL THEN
		PERFORM stream._raise('InvalidArgumentException',
			format('shard "%s" of stream "%s" is closed', p_shard_id, s.stream_name));
	END IF;
	RETURN h;
END
$$;

-- A stream that can be resharded: it exists and is ACTIVE.
CREATE FUNCTION stream._lock_active_stream(p_stream_name text) RETURNS stream.streams
	LANGUAGE plpgsql
AS $$
DECLARE
	s stream.streams := stream._lock_stream(p_stream_name);
BEGIN
	IF s.stream_status <> 'ACTIVE' THEN
		PERFORM stream._raise('ResourceInUseException',
			format('stream "%s" is %s, not ACTIVE', s.stream_name, s.stream_status));
	END IF;
	RETURN s;
END
$$;

-- An active stream locked for a reshard by hand, which Kinesis allows only in
-- PROVISIONED mode: the shards of an ON_DEMAND stream are the maintenance
-- pass's to scale.
CREATE FUNCTION stream._lock_provisioned_stream(p_stream_name text) RETURNS stream.streams
	LANGUAGE plpgsql
AS $$
DECLARE
	s stream.streams := stream._lock_active_stream(p_stream_name);
BEGIN
	IF s.stream_mode <> 'PROVISIONED' THEN
		RAISE EXCEPTION 'stream "%" is ON_DEMAND: its shards are split and merged automatically',
			s.stream_name
			USING ERRCODE = '22023',
				  DETAIL = 'The Kinesis exception is InvalidArgumentException.',
				  HINT = 'Switch it to PROVISIONED with stream.update_stream_mode to reshard it yourself.';
	END IF;
	RETURN s;
END
$$;

-- Closes a shard whose segments the caller has locked (_lock_shards), so that
-- its ending sequence number is final.
CREATE FUNCTION stream._close_shard(s stream.streams, h stream.shards) RETURNS void
	LANGUAGE plpgsql
AS $$
DECLARE
	g record;
	last_end numeric;
BEGIN
	FOR g IN SELECT * FROM stream.segments
			 WHERE stream_id = s.stream_id AND shard_no = h.shard_no ORDER BY segment_no LOOP
		IF (stream._segment_info(g.relation)).records > 0 OR last_end IS NULL THEN
			last_end := stream._segment_end(g.relation, g.segment_no);
		END IF;
	END LOOP;
	UPDATE stream.shards SET closed_at = clock_timestamp(),
							 ending_sequence_number = last_end - 1
		WHERE stream_id = s.stream_id AND shard_no = h.shard_no;
END
$$;

-- Creates an open shard with its first segment; returns its number.
CREATE FUNCTION stream._new_shard(s stream.streams, starting numeric, ending numeric,
								  parent int, adjacent_parent int) RETURNS int
	LANGUAGE plpgsql
AS $$
DECLARE
	n int;
	seg int;
BEGIN
	UPDATE stream.streams SET next_shard_no = next_shard_no + 1,
							  next_segment_no = next_segment_no + 1
		WHERE stream_id = s.stream_id
		RETURNING next_shard_no - 1, next_segment_no - 1 INTO n, seg;
	INSERT INTO stream.shards (stream_id, shard_no, parent_shard_no, adjacent_parent_shard_no,
							   starting_hash_key, ending_hash_key, starting_sequence_number)
		VALUES (s.stream_id, n, parent, adjacent_parent, starting, ending,
				stream._segment_start(seg));
	INSERT INTO stream.segments (stream_id, segment_no, shard_no, relation)
		VALUES (s.stream_id, seg, n, stream._create_segment(s.stream_id, n, seg));
	RETURN n;
END
$$;

CREATE FUNCTION stream._check_shard_limit(s stream.streams, more int) RETURNS void
	LANGUAGE plpgsql
AS $$
DECLARE
	open_shards bigint;
BEGIN
	SELECT count(*) INTO open_shards FROM stream.shards WHERE closed_at IS NULL;
	IF open_shards + more > current_setting('stream.shard_limit')::int THEN
		PERFORM stream._raise('LimitExceededException',
			format('resharding stream "%s" would exceed the shard limit of %s (%s shards are open)',
				   s.stream_name, current_setting('stream.shard_limit'), open_shards));
	END IF;
END
$$;

-- Splits an open shard in two at a hash key; returns the two children.
CREATE FUNCTION stream._split(s stream.streams, h stream.shards, new_starting_hash_key numeric,
							  OUT lower int, OUT upper int)
	LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM stream._close_shard(s, h);
	lower := stream._new_shard(s, h.starting_hash_key, new_starting_hash_key - 1,
							   h.shard_no, NULL);
	upper := stream._new_shard(s, new_starting_hash_key, h.ending_hash_key, h.shard_no, NULL);
END
$$;

-- Merges two adjacent open shards; returns the child.
CREATE FUNCTION stream._merge(s stream.streams, a stream.shards, b stream.shards) RETURNS int
	LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM stream._close_shard(s, a);
	PERFORM stream._close_shard(s, b);
	RETURN stream._new_shard(s, least(a.starting_hash_key, b.starting_hash_key),
							 greatest(a.ending_hash_key, b.ending_hash_key),
							 a.shard_no, b.shard_no);
END
$$;

CREATE FUNCTION stream.split_shard(stream_name text, shard_to_split text,
								   new_starting_hash_key numeric) RETURNS void
	LANGUAGE plpgsql
AS $$
DECLARE
	s stream.streams := stream._lock_provisioned_stream(stream_name);
	h stream.shards := stream._open_shard(s, shard_to_split);
BEGIN
	IF new_starting_hash_key IS NULL OR new_starting_hash_key <> trunc(new_starting_hash_key)
	   OR new_starting_hash_key <= h.starting_hash_key
	   OR new_starting_hash_key > h.ending_hash_key THEN
		PERFORM stream._raise('InvalidArgumentException',
			format('new starting hash key %s is not inside the hash key range of shard "%s" (%s to %s)',
				   coalesce(new_starting_hash_key::text, 'NULL'), shard_to_split,
				   h.starting_hash_key, h.ending_hash_key)
			|| ': it must be greater than the starting hash key and at most the ending one');
	END IF;
	PERFORM stream._check_shard_limit(s, 1);
	PERFORM stream._lock_shards(s, ARRAY[h.shard_no]);
	PERFORM stream._split(s, h, new_starting_hash_key);
END
$$;

CREATE FUNCTION stream.merge_shards(stream_name text, shard_to_merge text,
									adjacent_shard_to_merge text) RETURNS void
	LANGUAGE plpgsql
AS $$
DECLARE
	s stream.streams := stream._lock_provisioned_stream(stream_name);
	a stream.shards := stream._open_shard(s, shard_to_merge);
	b stream.shards := stream._open_shard(s, adjacent_shard_to_merge);
BEGIN
	IF a.shard_no = b.shard_no OR NOT (a.ending_hash_key + 1 = b.starting_hash_key
									   OR b.ending_hash_key + 1 = a.starting_hash_key) THEN
		PERFORM stream._raise('InvalidArgumentException',
			format('shards "%s" and "%s" of stream "%s" are not adjacent',
				   shard_to_merge, adjacent_shard_to_merge, s.stream_name));
	END IF;
	PERFORM stream._lock_shards(s, ARRAY[a.shard_no, b.shard_no]);
	PERFORM stream._merge(s, a, b);
END
$$;

-- Reshards to target_shard_count shards of equal hash key ranges, as Kinesis'
-- UNIFORM_SCALING does: by splitting the open shards at the new boundaries,
-- then merging the pieces of each new range, so that every new shard has
-- parents that a consumer reads to their end first.
CREATE FUNCTION stream._update_shard_count(p_stream_name text, p_target int,
										   scaling_type text)
	RETURNS TABLE(o_current_shard_count int, o_target_shard_count int)
	LANGUAGE plpgsql
AS $$
DECLARE
	s stream.streams := stream._lock_provisioned_stream(p_stream_name);
	n_open int;
	width numeric;
	boundary numeric;
	h stream.shards;
	b stream.shards;
	recent bigint;
	i int;
BEGIN
	IF scaling_type IS NULL OR scaling_type <> 'UNIFORM_SCALING' THEN
		PERFORM stream._raise('InvalidArgumentException',
			format('invalid scaling type "%s": it must be UNIFORM_SCALING',
				   coalesce(scaling_type, 'NULL')));
	END IF;
	IF p_target IS NULL OR p_target < 1 THEN
		PERFORM stream._raise('InvalidArgumentException',
			format('target shard count %s is invalid: it must be at least 1',
				   coalesce(p_target::text, 'NULL')));
	END IF;
	SELECT count(*) INTO n_open FROM stream.shards h2
	WHERE h2.stream_id = s.stream_id AND h2.closed_at IS NULL;
	IF p_target > 2 * n_open OR 2 * p_target < n_open THEN
		PERFORM stream._raise('LimitExceededException',
			format('target shard count %s of stream "%s" is not between half and double its %s open shards',
				   p_target, s.stream_name, n_open));
	END IF;
	IF p_target = n_open THEN
		RETURN QUERY SELECT n_open, p_target;
		RETURN;
	END IF;
	SELECT count(*) INTO recent FROM stream.scalings c
	WHERE c.stream_id = s.stream_id AND c.scaled_at > clock_timestamp() - interval '24 hours';
	IF recent >= 10 THEN
		PERFORM stream._raise('LimitExceededException',
			format('stream "%s" was scaled %s times in the last 24 hours, the most allowed',
				   s.stream_name, recent));
	END IF;
	IF p_target > n_open THEN
		PERFORM stream._check_shard_limit(s, p_target - n_open);
	END IF;

	PERFORM stream._lock_shards(s, array_agg(h2.shard_no))
	FROM stream.shards h2 WHERE h2.stream_id = s.stream_id AND h2.closed_at IS NULL;
	BEGIN
		width := div(power(2::numeric, 128), p_target);
		-- split every open shard at each new boundary inside it
		FOR i IN 1 .. p_target - 1 LOOP
			boundary := i * width;
			SELECT * INTO h FROM stream.shards h2
			WHERE h2.stream_id = s.stream_id AND h2.closed_at IS NULL
			  AND h2.starting_hash_key < boundary AND h2.ending_hash_key >= boundary;
			IF FOUND THEN
				PERFORM stream._split(s, h, boundary);
			END IF;
		END LOOP;
		-- merge the pieces of each new range, left to right
		FOR i IN 0 .. p_target - 1 LOOP
			LOOP
				SELECT * INTO h FROM stream.shards h2
				WHERE h2.stream_id = s.stream_id AND h2.closed_at IS NULL
				  AND h2.starting_hash_key = i * width;
				SELECT * INTO b FROM stream.shards h2
				WHERE h2.stream_id = s.stream_id AND h2.closed_at IS NULL
				  AND h2.starting_hash_key = h.ending_hash_key + 1
				  AND h2.ending_hash_key <= CASE WHEN i = p_target - 1
											THEN 340282366920938463463374607431768211455
											ELSE (i + 1) * width - 1 END;
				EXIT WHEN NOT FOUND;
				PERFORM stream._merge(s, h, b);
			END LOOP;
		END LOOP;
		INSERT INTO stream.scalings (stream_id) VALUES (s.stream_id);
	END;
	RETURN QUERY SELECT n_open, p_target;
END
$$;

-- update_shard_count in PL/pgSQL, whose output columns may not share the
-- names of the parameters as API.md's signature has them.
CREATE FUNCTION stream.update_shard_count(stream_name text, target_shard_count int,
										  scaling_type text DEFAULT 'UNIFORM_SCALING')
	RETURNS TABLE(current_shard_count int, target_shard_count int)
	LANGUAGE sql
AS $$ SELECT * FROM stream._update_shard_count($1, $2, $3) $$;

----------------------------------------------------------------------------
-- Capacity modes
----------------------------------------------------------------------------

-- Switches a stream between PROVISIONED and ON_DEMAND.  Kinesis allows two
-- switches in a rolling 24 hours.
CREATE TABLE stream.mode_changes (
	stream_id		int NOT NULL REFERENCES stream.streams ON DELETE CASCADE,
	changed_at		timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON stream.mode_changes (stream_id, changed_at);

CREATE FUNCTION stream.update_stream_mode(stream_name text, stream_mode text) RETURNS void
	LANGUAGE plpgsql
AS $$
DECLARE
	s stream.streams := stream._lock_active_stream(stream_name);
	recent bigint;
BEGIN
	IF stream_mode IS NULL OR stream_mode NOT IN ('PROVISIONED', 'ON_DEMAND') THEN
		PERFORM stream._raise('InvalidArgumentException',
			format('invalid stream mode "%s": it must be PROVISIONED or ON_DEMAND',
				   coalesce(stream_mode, 'NULL')));
	END IF;
	IF s.stream_mode = stream_mode THEN
		RETURN;
	END IF;
	SELECT count(*) INTO recent FROM stream.mode_changes c
	WHERE c.stream_id = s.stream_id AND c.changed_at > clock_timestamp() - interval '24 hours';
	IF recent >= 2 THEN
		PERFORM stream._raise('LimitExceededException',
			format('the mode of stream "%s" was changed %s times in the last 24 hours, the most allowed',
				   s.stream_name, recent));
	END IF;
	UPDATE stream.streams SET stream_mode = update_stream_mode.stream_mode
		WHERE stream_id = s.stream_id;
	INSERT INTO stream.mode_changes (stream_id) VALUES (s.stream_id);
END
$$;

----------------------------------------------------------------------------
-- On-demand scaling
----------------------------------------------------------------------------

-- The moving average of a shard's offered write rate over
-- stream.on_demand_scaling_window, from the meter in shared memory (quota.c),
-- and how long the meter has watched the shard.  NULL without the preload.
CREATE FUNCTION stream._shard_load(stream_id int, shard_no int,
								   OUT bytes_per_second float8,
								   OUT records_per_second float8,
								   OUT observed_seconds float8)
	AS 'MODULE_PATHNAME', 'stream_shard_load' LANGUAGE C STRICT;

-- The shards of an on-demand stream never merge below this many: Kinesis
-- gives an on-demand stream at least 4 MiB/s of writes.
CREATE FUNCTION stream._on_demand_min_shards() RETURNS int
	LANGUAGE sql IMMUTABLE AS 'SELECT 4';

-- Scales an on-demand stream whose row the caller has locked, by one reshard
-- at most, and says what it did (NULL: nothing).  A shard is hot when its
-- write rate, averaged over stream.on_demand_scaling_window, passes half its
-- capacity (stream.shard_write_bytes_per_second or _records_per_second): it
-- is split in the middle of its hash key range, so that each half can take
-- twice its share before it is throttled.  Two adjacent shards watched for a
-- whole window are merged when together they use less than a quarter of one
-- shard's capacity, so the child too can take twice their load; a stream
-- keeps at least stream._on_demand_min_shards() open shards.  With both write
-- quotas off, shards have no capacity to scale to, and nothing is done.
--
-- The reshard waits at most a second for the writers of the shards, so that
-- a transaction left open cannot hold up the maintenance pass: then it is
-- given up (lock_not_available) and tried again at the next pass.
CREATE FUNCTION stream._scale_on_demand(s stream.streams) RETURNS text
	LANGUAGE plpgsql
AS $$
DECLARE
	-- pg_settings gives the values in their base units (bytes, seconds)
	cap_bytes float8 := (SELECT setting FROM pg_catalog.pg_settings
						 WHERE name = 'stream.shard_write_bytes_per_second');
	cap_records float8 := (SELECT setting FROM pg_catalog.pg_settings
						   WHERE name = 'stream.shard_write_records_per_second');
	window_seconds float8 := (SELECT setting FROM pg_catalog.pg_settings
							  WHERE name = 'stream.on_demand_scaling_window');
	saved_lock_timeout text := current_setting('lock_timeout');
	h stream.shards;
	prev stream.shards;
	l record;
	prev_bytes float8;
	prev_records float8;
	prev_observed float8;
	load float8;
	n_open int := 0;
	hot stream.shards;
	hot_load float8 := 0;
	cold_a stream.shards;
	cold_b stream.shards;
	cold_load float8 := 'Infinity';
	done text;
BEGIN
	IF cap_bytes = 0 AND cap_records = 0 THEN
		RETURN NULL;
	END IF;

	-- The hottest shard (its load as a fraction of its capacity, the larger
	-- of bytes and records), and the coldest pair of neighbours watched for a
	-- whole window (open shards tile the hash key space, so neighbours in
	-- hash key order are adjacent).
	FOR h IN SELECT * FROM stream.shards
			 WHERE stream_id = s.stream_id AND closed_at IS NULL
			 ORDER BY starting_hash_key LOOP
		l := stream._shard_load(h.stream_id, h.shard_no);
		CONTINUE WHEN l IS NULL;
		n_open := n_open + 1;
		load := greatest(CASE WHEN cap_bytes > 0 THEN l.bytes_per_second / cap_bytes ELSE 0 END,
						 CASE WHEN cap_records > 0 THEN l.records_per_second / cap_records
							  ELSE 0 END);
		IF load > hot_load AND h.ending_hash_key > h.starting_hash_key THEN
			hot := h;
			hot_load := load;
		END IF;
		IF prev.shard_no IS NOT NULL AND l.observed_seconds >= window_seconds
		   AND prev_observed >= window_seconds THEN
			load := greatest(
				CASE WHEN cap_bytes > 0
					 THEN (l.bytes_per_second + prev_bytes) / cap_bytes ELSE 0 END,
				CASE WHEN cap_records > 0
					 THEN (l.records_per_second + prev_records) / cap_records ELSE 0 END);
			IF load < cold_load THEN
				cold_a := prev;
				cold_b := h;
				cold_load := load;
			END IF;
		END IF;
		prev := h;
		prev_bytes := l.bytes_per_second;
		prev_records := l.records_per_second;
		prev_observed := l.observed_seconds;
	END LOOP;

	PERFORM set_config('lock_timeout', '1s', true);
	IF hot_load > 0.5 THEN
		IF (SELECT count(*) FROM stream.shards WHERE closed_at IS NULL)
		   < current_setting('stream.shard_limit')::int THEN
			PERFORM 1 FROM stream.shards
			WHERE stream_id = s.stream_id AND shard_no = hot.shard_no FOR UPDATE;
			PERFORM stream._lock_shards(s, ARRAY[hot.shard_no]);
			PERFORM stream._split(s, hot, hot.starting_hash_key
										  + div(hot.ending_hash_key - hot.starting_hash_key + 1, 2));
			done := format('split %s at %s%% of its capacity', stream._shard_id(hot.shard_no),
						   round((hot_load * 100)::numeric, 1));
		END IF;
	ELSIF cold_load < 0.25 AND n_open > stream._on_demand_min_shards() THEN
		PERFORM 1 FROM stream.shards
		WHERE stream_id = s.stream_id AND shard_no IN (cold_a.shard_no, cold_b.shard_no)
		FOR UPDATE;
		PERFORM stream._lock_shards(s, ARRAY[cold_a.shard_no, cold_b.shard_no]);
		PERFORM stream._merge(s, cold_a, cold_b);
		done := format('merged %s and %s at %s%% of one shard''s capacity',
					   stream._shard_id(cold_a.shard_no), stream._shard_id(cold_b.shard_no),
					   round((cold_load * 100)::numeric, 1));
	END IF;
	PERFORM set_config('lock_timeout', saved_lock_timeout, true);
	RETURN done;
END
$$;
