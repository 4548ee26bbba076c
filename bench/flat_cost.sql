-- Flat cost: appending to and reading from a stream that already holds many
-- records costs the same as with an empty one.
--
-- Run with psql against a server with the stream extension installed:
--   psql -v retained=10000000 -v per_round=20000 -v rounds=5 -f bench/flat_cost.sql
-- Two streams of 4 shards: "small" starts empty, "large" is first filled with
-- :retained records of 128 bytes under 1,000 partition keys.  Then, in
-- alternating rounds, each gets :per_round put_record calls and the same
-- records are read back with get_records; the report gives the median time
-- per record of each and the ratio large/small.

\set ON_ERROR_STOP 1
\if :{?retained}
\else
\set retained 10000000
\endif
\if :{?per_round}
\else
\set per_round 20000
\endif
\if :{?rounds}
\else
\set rounds 5
\endif

SET client_min_messages = warning;
SELECT stream.delete_stream(stream_name) FROM stream.list_streams()
WHERE stream_name IN ('flat_small', 'flat_large');
SELECT stream.create_stream('flat_small', 4), stream.create_stream('flat_large', 4);

-- Fill the large stream, 500 records per put_records call.
CREATE TEMP TABLE fill_batch AS
SELECT array_agg('user-' || (g % 1000)) AS keys,
	   array_agg(convert_to(repeat('x', 128), 'UTF8')) AS data
FROM generate_series(1, 500) g;

CREATE PROCEDURE pg_temp.fill(p_batches int)
LANGUAGE plpgsql AS $$
DECLARE
	b fill_batch;
BEGIN
	SELECT * INTO b FROM fill_batch;
	FOR i IN 1 .. p_batches LOOP
		PERFORM stream.put_records('flat_large', b.keys, b.data);
		IF i % 100 = 0 THEN
			COMMIT;
		END IF;
	END LOOP;
END
$$;

\echo filling flat_large with :retained records
CALL pg_temp.fill(:retained / 500);

CREATE TEMP TABLE results (round int, stream text, op text, usec_per_record float8);

-- One round on one stream: :per_round put_record calls in one transaction,
-- then the same records read back through get_records, 10,000 per call.
CREATE FUNCTION pg_temp.bench_round(p_stream text, p_count int, p_round int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
	first_seq numeric[] := ARRAY[NULL, NULL, NULL, NULL]::numeric[];
	r record;
	it text;
	got bigint := 0;
	n int;
	shard int;
BEGIN
	t0 := clock_timestamp();
	FOR i IN 1 .. p_count LOOP
		SELECT * INTO r FROM stream.put_record(p_stream, 'user-' || (i % 1000),
											   convert_to(repeat('x', 128), 'UTF8'));
		shard := substr(r.shard_id, 9)::int + 1;
		IF first_seq[shard] IS NULL THEN
			first_seq[shard] := r.sequence_number;
		END IF;
	END LOOP;
	INSERT INTO results VALUES (p_round, p_stream, 'append',
		extract(epoch FROM clock_timestamp() - t0) * 1e6 / p_count);

	t0 := clock_timestamp();
	FOR shard IN 1 .. 4 LOOP
		CONTINUE WHEN first_seq[shard] IS NULL;
		it := stream.get_shard_iterator(p_stream, stream_internal.shard_id(shard - 1),
										'AT_SEQUENCE_NUMBER', first_seq[shard]);
		LOOP
			SELECT cardinality(g.records), g.next_shard_iterator INTO n, it
			FROM stream.get_records(it, 10000) g;
			got := got + coalesce(n, 0);
			EXIT WHEN coalesce(n, 0) = 0;
		END LOOP;
	END LOOP;
	IF got <> p_count THEN
		RAISE EXCEPTION 'read back % records of %, expected %', got, p_stream, p_count;
	END IF;
	INSERT INTO results VALUES (p_round, p_stream, 'read',
		extract(epoch FROM clock_timestamp() - t0) * 1e6 / p_count);
END
$$;

-- Freeze what the fill wrote now rather than have autovacuum do it during the
-- measurement, then start from a clean checkpoint.
SELECT format('VACUUM %s', relation) FROM stream.segments g
JOIN stream.streams s USING (stream_id) WHERE s.stream_name = 'flat_large' \gexec
CHECKPOINT;
SELECT format('SELECT pg_temp.bench_round(%L, %s, %s)', s, :per_round, r)
FROM generate_series(1, :rounds) r,
	 LATERAL (VALUES (CASE WHEN r % 2 = 1 THEN 'flat_small' ELSE 'flat_large' END),
					 (CASE WHEN r % 2 = 1 THEN 'flat_large' ELSE 'flat_small' END)) v(s)
\gexec

\echo Microseconds per record, each round
SELECT round, op, stream, round(usec_per_record::numeric, 2) AS usec
FROM results ORDER BY op, round, stream;

\echo
\echo Median microseconds per record (small = the stream that started empty)
SELECT op,
	   round(percentile_cont(0.5) WITHIN GROUP (ORDER BY usec_per_record)
			 FILTER (WHERE stream = 'flat_small')::numeric, 2) AS small_usec,
	   round(percentile_cont(0.5) WITHIN GROUP (ORDER BY usec_per_record)
			 FILTER (WHERE stream = 'flat_large')::numeric, 2) AS large_usec,
	   round((percentile_cont(0.5) WITHIN GROUP (ORDER BY usec_per_record)
			  FILTER (WHERE stream = 'flat_large') /
			  percentile_cont(0.5) WITHIN GROUP (ORDER BY usec_per_record)
			  FILTER (WHERE stream = 'flat_small'))::numeric, 3) AS ratio_large_to_small
FROM results GROUP BY op ORDER BY op;

SELECT (SELECT count(*) FROM stream.segments g JOIN stream.streams s USING (stream_id)
		WHERE s.stream_name = 'flat_large') AS large_segments,
	   pg_size_pretty((SELECT sum(pg_relation_size(relation)) FROM stream.segments g
					   JOIN stream.streams s USING (stream_id)
					   WHERE s.stream_name = 'flat_large')) AS large_size;

SELECT stream.delete_stream('flat_small'), stream.delete_stream('flat_large');
