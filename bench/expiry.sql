-- Expiry cost: a stream drops whole segments, a heap table deletes rows and
-- vacuums them away.
--
-- Run with psql against a server with the stream extension installed, the
-- maintenance worker off and autovacuum off (bench/expiry does all of it):
--   psql -v records=10000000 -f bench/expiry.sql
-- Fills the stream exp_bench (4 shards) and the table ev with the same
-- :records records of 128 bytes under 1,000 partition keys, then makes every
-- record older than the retention period and measures
--   stream: the maintenance passes that expire them, each timed on its own:
--           the first pass after the retention cut, a second one (for the
--           segments that were still being written, if the first pass left
--           them) and a third, which finds nothing left to do;
--   heap:   DELETE FROM ev WHERE arrival < (the new horizon), then VACUUM ev.
-- Prints a Markdown table of the times, the ratio, and the sizes before and
-- after.

\set ON_ERROR_STOP 1
\if :{?records}
\else
\set records 10000000
\endif

SET client_min_messages = warning;
-- Only the report goes to the output.
\o /dev/null
SELECT stream.delete_stream(stream_name) FROM stream.list_streams()
WHERE stream_name = 'exp_bench';
DROP TABLE IF EXISTS ev, bench_result, bench_size, segments_before;

CREATE TABLE bench_result (ord int, what text, seconds float8, detail text);
CREATE TABLE bench_size (ord int, what text, phase text, bytes bigint);

SELECT pg_database_size(current_database()) AS empty_db_bytes \gset

-- The stream: retention 24 hours for now, 500 records per put_records call,
-- a maintenance pass every 100 calls (as the worker would run them), so that
-- segments roll at stream.segment_size.
SELECT stream.create_stream('exp_bench', 4);
CREATE TEMP TABLE fill_batch AS
SELECT array_agg('user-' || (g % 1000) ORDER BY g) AS keys,
	   array_agg(convert_to(repeat('x', 128), 'UTF8') ORDER BY g) AS data
FROM generate_series(1, 500) g;

CREATE PROCEDURE pg_temp.fill_stream(p_batches int)
LANGUAGE plpgsql AS $$
DECLARE
	b fill_batch;
BEGIN
	SELECT * INTO b FROM fill_batch;
	CALL stream.run_maintenance();
	COMMIT;
	FOR i IN 1 .. p_batches LOOP
		PERFORM stream.put_records('exp_bench', b.keys, b.data);
		IF i % 100 = 0 THEN
			COMMIT;
			CALL stream.run_maintenance();
			COMMIT;
		END IF;
	END LOOP;
END
$$;

-- The heap table a careful user would keep events in: a key, the arrival
-- time it expires by (indexed, so that the DELETE does not scan), the data.
CREATE TABLE ev (
	id bigserial PRIMARY KEY,
	partition_key text NOT NULL,
	arrival timestamptz NOT NULL DEFAULT clock_timestamp(),
	data bytea NOT NULL
);
CREATE INDEX ev_arrival ON ev (arrival);

-- Sizes: the database, the stream's segments, the heap table.
CREATE FUNCTION pg_temp.record_sizes(p_phase text) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO bench_size
	SELECT o, w, p_phase, b FROM (VALUES
		(1, 'database (pg_database_size)', pg_database_size(current_database())),
		(2, 'stream segments (sum of pg_relation_size)',
		 (SELECT coalesce(sum(pg_relation_size(relation)), 0) FROM stream.segments g
		  JOIN stream.streams s USING (stream_id) WHERE s.stream_name = 'exp_bench')),
		(3, 'ev heap (pg_relation_size)', pg_relation_size('ev')),
		(4, 'ev indexes (pg_indexes_size)', pg_indexes_size('ev')),
		(5, 'ev in all (pg_total_relation_size)', pg_total_relation_size('ev'))) v(o, w, b)
$$;

CREATE PROCEDURE pg_temp.fill_heap(p_records bigint)
LANGUAGE plpgsql AS $$
DECLARE
	done bigint := 0;
	n bigint;
BEGIN
	WHILE done < p_records LOOP
		n := least(250000, p_records - done);
		INSERT INTO ev (partition_key, arrival, data)
		SELECT 'user-' || (g % 1000), clock_timestamp(), convert_to(repeat('x', 128), 'UTF8')
		FROM generate_series(done + 1, done + n) g;
		COMMIT;
		done := done + n;
	END LOOP;
END
$$;

\echo filling exp_bench and ev with :records records each
SELECT clock_timestamp() AS t0 \gset
CALL pg_temp.fill_stream(:records / 500);
INSERT INTO bench_result VALUES (1, 'fill stream (put_records of 500)',
	extract(epoch FROM clock_timestamp() - :'t0'::timestamptz), NULL);
SELECT clock_timestamp() AS t0 \gset
CALL pg_temp.fill_heap((:records / 500) * 500);
INSERT INTO bench_result VALUES (2, 'fill heap (INSERT ... SELECT, 250,000 a transaction)',
	extract(epoch FROM clock_timestamp() - :'t0'::timestamptz), NULL);

-- Both hold the same number of records.
SELECT (SELECT sum(i.records) FROM stream.segments g JOIN stream.streams s USING (stream_id),
		stream_internal.segment_info(g.relation) i WHERE s.stream_name = 'exp_bench') AS stream_records,
	   (SELECT count(*) FROM ev) AS heap_rows,
	   (SELECT count(*) FROM stream.segments g JOIN stream.streams s USING (stream_id)
		WHERE s.stream_name = 'exp_bench') AS segments_before,
	   (SELECT count(*) FROM stream.segments g JOIN stream.streams s USING (stream_id),
			stream_internal.segment_info(g.relation) i
		WHERE s.stream_name = 'exp_bench' AND i.records > 0) AS full_segments_before \gset
SELECT :stream_records = :heap_rows AS same_count \gset
\if :same_count
\else
\echo stream holds :stream_records records but ev :heap_rows rows
SELECT 1 / 0;
\endif

-- Sizes before (a checkpoint first, so that both are on disk in the same way).
CHECKPOINT;
SELECT pg_temp.record_sizes('before');
CREATE TABLE segments_before AS
	SELECT g.relation::oid AS relid FROM stream.segments g JOIN stream.streams s USING (stream_id)
	WHERE s.stream_name = 'exp_bench';

-- Everything is now older than the horizon: the retention period of the
-- stream becomes 1 second, and the heap table deletes what arrived before
-- the same moment.
SET stream.min_retention_period = '1s';
SELECT pg_sleep(1.5);
SELECT stream.set_retention_period('exp_bench', '1 second');
SELECT clock_timestamp() - interval '1 second' AS horizon \gset

-- The stream: each pass is timed on its own; the records gone after each are
-- counted from what the remaining segments still hold, the segments dropped
-- from pg_class.
SELECT clock_timestamp() AS t0 \gset
CALL stream.run_maintenance();
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS pass1 \gset
SELECT coalesce(sum(i.records), 0) AS left1
FROM stream.segments g JOIN stream.streams s USING (stream_id),
	 stream_internal.segment_info(g.relation) i WHERE s.stream_name = 'exp_bench' \gset
SELECT count(*) AS dropped1 FROM segments_before b
WHERE NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = b.relid) \gset
SELECT clock_timestamp() AS t0 \gset
CALL stream.run_maintenance();
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS pass2 \gset
SELECT coalesce(sum(i.records), 0) AS left2
FROM stream.segments g JOIN stream.streams s USING (stream_id),
	 stream_internal.segment_info(g.relation) i WHERE s.stream_name = 'exp_bench' \gset
SELECT count(*) AS dropped2 FROM segments_before b
WHERE NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = b.relid) \gset
SELECT clock_timestamp() AS t0 \gset
CALL stream.run_maintenance();
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS pass3 \gset
SELECT count(*) AS readable_after FROM stream.read('exp_bench') \gset

INSERT INTO bench_result VALUES
	(10, 'stream: pass 1 (the first CALL stream.run_maintenance() after the cut)', :pass1,
	 format('%s of %s records expired; %s of %s segments dropped', :stream_records - :left1,
			:stream_records, :dropped1, :segments_before)),
	(11, 'stream: pass 2', :pass2,
	 format('%s more records expired, %s left; %s more segments dropped', :left1 - :left2,
			:left2, :dropped2 - :dropped1)),
	(12, 'stream: expiry in all (pass 1 + pass 2)', :pass1 + :pass2,
	 format('%s records readable afterwards', :readable_after)),
	(13, 'stream: pass 3 (nothing left to do)', :pass3, NULL);

-- The heap table: DELETE, then VACUUM (which cannot run in a transaction
-- block, so the time is taken by psql on both sides of it).
SELECT clock_timestamp() AS t0 \gset
DELETE FROM ev WHERE arrival < :'horizon'::timestamptz;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS del \gset
SELECT clock_timestamp() AS t0 \gset
VACUUM ev;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS vac \gset
SELECT count(*) AS heap_left FROM ev \gset

INSERT INTO bench_result VALUES
	(20, 'heap: DELETE FROM ev WHERE arrival < horizon', :del,
	 format('%s rows deleted', :heap_rows - :heap_left)),
	(21, 'heap: VACUUM ev', :vac, NULL),
	(22, 'heap: expiry in all (DELETE + VACUUM)', :del + :vac,
	 format('%s rows left', :heap_left));

CHECKPOINT;
SELECT pg_temp.record_sizes('after');

-- The report.
\o
\pset format unaligned
\pset tuples_only on
\echo
SELECT format('## Expiry of %s records (128 bytes, 1,000 keys; stream: 4 shards, '
			  || 'segment_size %s: %s segments holding records, %s in all)', :records,
			  current_setting('stream.segment_size'), :full_segments_before, :segments_before);
\echo
SELECT '| step | seconds | notes |' || chr(10) || '|---|---:|---|' || chr(10) ||
	   string_agg(format('| %s | %s | %s |', what, to_char(seconds, 'FM999990.000'),
						 coalesce(detail, '')), chr(10) ORDER BY ord)
FROM bench_result;
\echo
SELECT format('Ratio heap / stream (DELETE + VACUUM against pass 1 + pass 2): **%s×**; '
			  || 'against pass 1 alone: %s×.',
			  round(((:del + :vac) / nullif(:pass1 + :pass2, 0))::numeric, 1),
			  round(((:del + :vac) / nullif(:pass1, 0))::numeric, 1));
\echo
SELECT '| size | before | after |' || chr(10) || '|---|---:|---:|' || chr(10) ||
	   string_agg(format('| %s | %s | %s |', b.what, pg_size_pretty(b.bytes),
						 pg_size_pretty(a.bytes)), chr(10) ORDER BY b.ord)
FROM bench_size b JOIN bench_size a ON a.what = b.what AND a.phase = 'after'
WHERE b.phase = 'before';
\echo
SELECT format('The database was %s right after CREATE EXTENSION, before the fill.',
			  pg_size_pretty(:empty_db_bytes::bigint));

SELECT stream.delete_stream('exp_bench');
