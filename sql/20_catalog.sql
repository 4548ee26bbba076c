
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
	key_id			text,			-- as start_stream_encryption was given it
	kms_key_id		uuid,			-- the key it names (stream.keys)
	change_feed		boolean NOT NULL DEFAULT false,	-- set_change_feed
	-- enable_enhanced_monitoring: the metrics counted per shard
	shard_level_metrics text[] NOT NULL DEFAULT '{}',
	next_shard_no	int NOT NULL DEFAULT 0,
	next_segment_no int NOT NULL DEFAULT 1,
	-- a new number at every change of the row, its shards or its segments,
	-- so that backends reload only the streams that changed (see below)
	catalog_version bigint NOT NULL,
	-- the view whose privileges are the stream's (sql/35_access.sql)
	acl				regclass
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
	-- the data key of encrypted records (src/kinesis/crypt.c), sealed by
	-- version key_version of key key_id; NULL while it has none
	key_id			uuid,
	key_version		int,
	data_key		bytea,
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
-- Rows are deleted with their stream: under a publication FOR ALL TABLES a
-- table without a key needs a replica identity, or the DELETE fails.
ALTER TABLE stream.scalings REPLICA IDENTITY FULL;

-- Changes of capacity mode, for Kinesis' limit of 2 per rolling 24 hours.
CREATE TABLE stream.mode_changes (
	stream_id		int NOT NULL REFERENCES stream.streams ON DELETE CASCADE,
	changed_at		timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON stream.mode_changes (stream_id, changed_at);
ALTER TABLE stream.mode_changes REPLICA IDENTITY FULL;

-- The key that signs shard iterators (src/kinesis/iterator.c), made once per
-- database, readable by no user.
CREATE TABLE stream_internal.iterator_key (
	key				bytea NOT NULL
);
ALTER TABLE stream_internal.iterator_key REPLICA IDENTITY FULL;
REVOKE ALL ON stream_internal.iterator_key FROM PUBLIC;
CREATE FUNCTION stream_internal.new_iterator_key() RETURNS bytea
	AS 'MODULE_PATHNAME', 'stream_new_iterator_key' LANGUAGE C STRICT;
INSERT INTO stream_internal.iterator_key SELECT stream_internal.new_iterator_key();

-- Every backend caches the catalog for the data plane (src/kinesis/catalog.c).
-- A change to the streams table tells them to refresh; a refresh loads again
-- the streams whose catalog_version moved.  A change of a row of streams
-- moves its version, and a change of shards or segments updates the row of
-- their stream.
CREATE FUNCTION stream_internal.catalog_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'stream_catalog_changed' LANGUAGE C;
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON stream.streams FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.catalog_changed();
-- (a consumer deregistered ends its subscriptions: their waits end, look again)
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON stream.consumers FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.catalog_changed();

--
-- Versions come from a sequence, which a rollback does not take back: a
-- backend may have cached a version of its own that rolled back, and the
-- next change must not get the same number.
CREATE SEQUENCE stream_internal.catalog_version;
ALTER TABLE stream.streams
	ALTER catalog_version SET DEFAULT pg_catalog.nextval('stream_internal.catalog_version');

CREATE FUNCTION stream_internal.next_catalog_version() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	NEW.catalog_version := pg_catalog.nextval('stream_internal.catalog_version');
	RETURN NEW;
END
$$;
CREATE TRIGGER next_catalog_version BEFORE UPDATE ON stream.streams
	FOR EACH ROW EXECUTE FUNCTION stream_internal.next_catalog_version();

-- For a statement on shards or segments: moves the version of each stream it
-- touched (all of them after a TRUNCATE).
CREATE FUNCTION stream_internal.stream_changed() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		UPDATE stream.streams SET catalog_version = catalog_version;
	ELSE
		UPDATE stream.streams s SET catalog_version = s.catalog_version
		WHERE s.stream_id IN (SELECT c.stream_id FROM changed_rows c);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER shards_inserted AFTER INSERT ON stream.shards
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.stream_changed();
CREATE TRIGGER shards_updated AFTER UPDATE ON stream.shards
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.stream_changed();
CREATE TRIGGER shards_deleted AFTER DELETE ON stream.shards
	REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.stream_changed();
CREATE TRIGGER shards_truncated AFTER TRUNCATE ON stream.shards
	FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.stream_changed();
CREATE TRIGGER segments_inserted AFTER INSERT ON stream.segments
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.stream_changed();
CREATE TRIGGER segments_updated AFTER UPDATE ON stream.segments
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.stream_changed();
CREATE TRIGGER segments_deleted AFTER DELETE ON stream.segments
	REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.stream_changed();
CREATE TRIGGER segments_truncated AFTER TRUNCATE ON stream.segments
	FOR EACH STATEMENT EXECUTE FUNCTION stream_internal.stream_changed();
