
----------------------------------------------------------------------------
-- Catalog (src/kinesis/catalog.c caches it for the data plane)
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

-- Scalings of update_shard_count, for Kinesis' limit of 10 per rolling 24 hours.
CREATE TABLE stream.scalings (
	stream_id		int NOT NULL REFERENCES stream.streams ON DELETE CASCADE,
	scaled_at		timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON stream.scalings (stream_id, scaled_at);

-- Changes of capacity mode, for Kinesis' limit of 2 per rolling 24 hours.
CREATE TABLE stream.mode_changes (
	stream_id		int NOT NULL REFERENCES stream.streams ON DELETE CASCADE,
	changed_at		timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON stream.mode_changes (stream_id, changed_at);

-- The key that signs shard iterators (src/kinesis/iterator.c), made once per
-- database, readable by no user.
CREATE TABLE stream_internal.iterator_key (
	key				bytea NOT NULL
);
REVOKE ALL ON stream_internal.iterator_key FROM PUBLIC;
CREATE FUNCTION stream_internal.new_iterator_key() RETURNS bytea
	AS 'MODULE_PATHNAME', 'stream_new_iterator_key' LANGUAGE C STRICT;
INSERT INTO stream_internal.iterator_key SELECT stream_internal.new_iterator_key();

-- Every backend caches the catalog for the data plane; any change to it tells
-- them to reload.
CREATE FUNCTION stream_internal.catalog_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'stream_catalog_changed' LANGUAGE C;
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON stream.streams FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.catalog_changed();
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON stream.shards FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.catalog_changed();
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON stream.segments FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.catalog_changed();
