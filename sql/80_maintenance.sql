
----------------------------------------------------------------------------
-- Maintenance: expiry, closing segments, segments ready for writers, and
-- scaling on-demand streams (src/worker/ runs it)
----------------------------------------------------------------------------

-- Logs what the pass found for a stream: a failure (message), or a success
-- (NULL) after failures (src/failure_log.c).
CREATE FUNCTION stream_internal.maintenance_result(stream_id int, stream_name text,
												   sqlstate text, message text)
	RETURNS void
	AS 'MODULE_PATHNAME', 'stream_maintenance_result' LANGUAGE C;

-- One maintenance pass over one stream, whose row the caller has locked.
-- Returns the number of segments dropped.
CREATE FUNCTION stream_internal.maintain_stream(s stream.streams) RETURNS int
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	horizon timestamptz := pg_catalog.clock_timestamp() - s.retention_period;
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
			segs := stream_internal.shard_segments(s.stream_id, h.shard_no);
			writable := stream_internal.writable_segment(segs);
			IF writable < pg_catalog.cardinality(segs) THEN
				PERFORM stream_internal.seal_segment_if_due(segs[writable],
															s.retention_period);
			END IF;
		END IF;

		-- A closed shard takes no more records: seal what it has.
		IF h.closed_at IS NOT NULL THEN
			PERFORM stream_internal.seal_segment(relation) FROM stream.segments
			WHERE stream_id = s.stream_id AND shard_no = h.shard_no;
		END IF;

		-- Expiry: drop the oldest segments whose newest record is past the
		-- retention period, in order, and only those no one is using now (the
		-- empty ones of a closed shard go too).
		expiring := true;
		FOR g IN SELECT * FROM stream.segments
				 WHERE stream_id = s.stream_id AND shard_no = h.shard_no
				 ORDER BY segment_no LOOP
			info := stream_internal.segment_info(g.relation);
			EXIT WHEN NOT expiring
				OR NOT (info.sealed OR (h.closed_at IS NOT NULL AND info.records = 0))
				OR (info.last_arrival IS NOT NULL AND info.last_arrival >= horizon);
			IF stream_internal.drop_segment(g.relation, false) THEN
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
		segs := stream_internal.shard_segments(s.stream_id, h.shard_no);
		writable := stream_internal.writable_segment(segs);
		IF writable = pg_catalog.cardinality(segs) THEN
			PERFORM stream_internal.add_segment(s.stream_id, h.shard_no);
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
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s stream.streams;
	scaled text;
BEGIN
	IF pg_catalog.pg_is_in_recovery() THEN
		RETURN;
	END IF;
	IF NOT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('stream.run_maintenance')) THEN
		RETURN;
	END IF;
	FOR s IN SELECT * FROM stream.streams WHERE stream_status IN ('ACTIVE', 'UPDATING')
			 ORDER BY stream_id FOR UPDATE SKIP LOCKED LOOP
		-- One stream's trouble stays in that stream: the pass logs it (at
		-- most once a minute while it repeats) and goes on with the others.
		BEGIN
			PERFORM stream_internal.maintain_stream(s);
			PERFORM stream_internal.maintenance_result(s.stream_id, s.stream_name, NULL, NULL);
		EXCEPTION WHEN OTHERS THEN
			PERFORM stream_internal.maintenance_result(s.stream_id, s.stream_name,
													   SQLSTATE, SQLERRM);
			CONTINUE;
		END;
		IF s.stream_mode = 'ON_DEMAND' AND s.stream_status = 'ACTIVE' THEN
			-- A reshard that fails must not stop the expiry of other streams.
			BEGIN
				scaled := stream_internal.scale_on_demand(s);
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
	-- workers of consumer applications that no longer wait for leases
	PERFORM stream_internal.forget_lease_workers();
	-- how many trigger workers this database wants
	PERFORM stream_internal.announce_sink_lanes();
	-- the endpoint's access keys of dropped roles
	PERFORM stream_internal.forget_dropped_access_keys();
	-- the minutes of the metrics that are over, from shared memory to stream.metrics
	BEGIN
		PERFORM stream_internal.store_metrics();
	EXCEPTION WHEN OTHERS THEN
		RAISE WARNING 'could not store the metrics of streams: %', SQLERRM;
	END;
END
$$;
