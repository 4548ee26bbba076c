
----------------------------------------------------------------------------
-- Records: put and get (src/kinesis/put.c, get.c)
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

-- wait: when nothing is readable, how long to wait for a record of the
-- shard to commit (src/kinesis/wait.c)
CREATE FUNCTION stream.get_records(shard_iterator text, "limit" int DEFAULT 10000,
								   wait interval DEFAULT '0',
								   OUT records stream.record[], OUT next_shard_iterator text,
								   OUT millis_behind_latest bigint, OUT child_shards jsonb)
	AS 'MODULE_PATHNAME', 'stream_get_records' LANGUAGE C VOLATILE;

CREATE FUNCTION stream.read(stream_name text, shard_id text DEFAULT NULL,
							after_sequence_number numeric DEFAULT NULL,
							since timestamptz DEFAULT NULL, "limit" bigint DEFAULT NULL)
	RETURNS TABLE(shard_id text, sequence_number numeric,
				  approximate_arrival_timestamp timestamptz, partition_key text, data bytea)
	AS 'MODULE_PATHNAME', 'stream_read' LANGUAGE C VOLATILE;
