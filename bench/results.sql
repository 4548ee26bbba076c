-- The report of bench/run: medians of the rounds it measured, the ratios
-- against the targets of doc/bench.md, as Markdown; and the data of the
-- chart.  Run by bench/run with psql -At and the variables rounds_file (the
-- measurements: workload, system, round, value, tab-separated), plot_file
-- (where the chart's data goes) and the sizes w3_records, w4_records,
-- w5_large, w5_small, w8_records, w9_records and w10_records.  A workload that was not run has no
-- row.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\o /dev/null
CREATE TEMP TABLE rounds (workload text, system text, round int, value float8);
COPY rounds FROM :'rounds_file';

CREATE TEMP TABLE medians AS
SELECT workload, system, count(*) AS n,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS v
FROM rounds GROUP BY workload, system;

-- One row per comparison.  kind says how the ratio is taken and checked:
--   higher:   stream / baseline, both "more is better" (records/s, bytes/s)
--   faster:   baseline / stream, both times (so that > 1 means stream wins)
--   absolute: stream against a fixed number (the target)
--   zero:     stream must be 0
--   info:     a ratio shown with no target
--   report:   a value shown with no target and no baseline
--   ceiling:  a value shown with no baseline, which must be at most the target
CREATE TEMP TABLE spec (ord numeric, workload text, what text, s_sys text, b_sys text,
						b_what text, unit text, kind text, target float8, target_text text);
INSERT INTO spec VALUES
 (1, 'W1', 'put_record, autocommit, 4 clients', 'stream', 'heap',
  'INSERT of one row into an unindexed heap table', 'rec/s', 'higher', 1.0, '≥ 1.0×'),
 (2, 'W2', 'put_records of 500 records, 4 clients', 'stream', 'heap',
  'INSERT of 500 rows into the heap table (bigserial key, index on shard and key)',
  'rec/s', 'higher', 2.0, '≥ 2×'),
 (3, 'W2', 'put_records of 500 records, 4 clients', 'stream', 'pgq',
  'PgQ: 500 pgq.insert_event in one transaction, ticker every second', 'rec/s', 'higher', 2.0, '≥ 2×'),
 (4, 'W2', 'put_records of 500 records, 4 clients', 'stream', NULL,
  '(absolute target)', 'rec/s', 'absolute', 500000, '≥ 500,000 rec/s'),
 (5, 'W3', format('read back %s records, get_records of 10,000, one client a shard', :'w3_records'),
  'stream', 'heap', 'the heap table read in pages of 10,000 by key (id > last), one client a shard',
  'rec/s', 'higher', 3.0, '≥ 3×'),
 (6, 'W3', 'the same, the records taken as the stream.record[] value (no unnest)', 'stream_array', 'heap',
  'the heap table, as above', 'rec/s', 'info', NULL, '(information)'),
 (6.5, 'W3', 'the same', 'stream', 'pgq',
  'PgQ: one consumer (PgQ has no shards) taking batches with pgq.next_batch, pgq.get_batch_events, pgq.finish_batch',
  'rec/s', 'info', NULL, '(information)'),
 (7, 'W4', format('expire %s records (maintenance passes)', :'w4_records'), 'stream', 'heap',
  'DELETE of the rows older than the horizon, then VACUUM', 's', 'faster', 100, '≥ 100× faster'),
 (8, 'W4', 'disk left by the expired records (after a CHECKPOINT)', 'stream_bytes_left', 'heap_bytes_left',
  'the heap table and its indexes after DELETE + VACUUM', 'bytes', 'zero', 0, 'no dead space'),
 (9, 'W5', format('W1 (put_record) with %s records retained', :'w5_large'), 'large', 'small',
  format('the same with %s retained', :'w5_small'), 'rec/s', 'higher', 0.9, 'within 10 % (≥ 0.90×)'),
 (10, 'W5', format('W2 (put_records of 500) with %s records retained', :'w5_large'), 'large', 'small',
  format('the same with %s retained', :'w5_small'), 'rec/s', 'higher', 0.9, 'within 10 % (≥ 0.90×)'),
 (11, 'W5', format('W3 (read %s records) with %s records retained', :'w5_small', :'w5_large'),
  'large', 'small', format('the same with %s retained', :'w5_small'), 'rec/s', 'higher', 0.9,
  'within 10 % (≥ 0.90×)'),
 (12, 'W6', '1 MiB records, 4 clients: put_record, then get_records of all of them', 'stream', 'wal',
  'the WAL floor: pg_logical_emit_message of the same bytes', 'B/s', 'higher', 0.8, '≥ 0.8×'),
 (13, 'W6', 'the same, put_record alone', 'stream_put', 'wal', 'the WAL floor, as above', 'B/s', 'info',
  NULL, '(information)'),
 (14, 'W7', 'latency p50: commit of put_record to the return of the get_records call that delivers it',
  'p50', NULL, '', 'ms', 'report', NULL, 'report'),
 (15, 'W7', 'latency p99: the same', 'p99', NULL, '', 'ms', 'report', NULL, 'report'),
 (16, 'W7', 'latency p50 from the call of put_record (includes put_record itself)', 'from_put_p50', NULL,
  '', 'ms', 'report', NULL, 'report'),
 (17, 'W7', 'latency p99 from the call of put_record', 'from_put_p99', NULL, '', 'ms', 'report', NULL,
  'report'),
 (17.05, 'W7', 'with wait: latency p50 from the commit of put_record, get_records waiting for it (wait 1 s)',
  'wait_p50', NULL, '', 'ms', 'report', NULL, 'report'),
 (17.06, 'W7', 'with wait: latency p99 from the commit of put_record', 'wait_p99', NULL, '', 'ms',
  'ceiling', 2, '≤ 2 ms'),
 (17.07, 'W7', 'with wait: latency p99 from the call of put_record', 'wait_from_put_p99', NULL, '', 'ms',
  'report', NULL, 'report'),
 (17.1, 'W8', format('feed: %s records written by put_records of 100 (4 producers) to a stream whose change feed is on, '
	 'decoded from a test_decoding slot by pg_recvlogical to /dev/null', :'w8_records'), 'stream', 'outbox',
  'the same records as rows of a heap outbox table (bigserial key, stream name, partition key, data), '
  'INSERT of 100 a transaction, decoded the same way', 'rec/s', 'higher', 2.0, '≥ 2×'),
 (17.2, 'W8', 'writers: put_records of 100 to the stream with its feed on, 4 clients, '
	 'while pg_recvlogical consumes the feed through a test_decoding slot', 'slot', 'no_slot',
  'the same with no replication slot', 'rec/s', 'higher', 0.9, '≥ 0.9×'),
 (17.3, 'W8', 'writers: how far behind the consumer was when the writers stopped (WAL not yet decoded)',
  'consumer_lag', NULL, '', 'bytes', 'report', NULL, 'report'),
 (17.4, 'W8', 'writers: CPU the consumer (its walsender and pg_recvlogical) spent on each record written',
  'consumer_cpu_us', NULL, '', 'µs', 'report', NULL, 'report'),
 (17.5, 'W9', format('exactly once: %s records delivered by 4 workers of an application calling consume '
	 '(limit 1,000), each call a transaction that inserts the sequence numbers into a table', :'w9_records'),
  'stream', 'pgq', 'PgQ: a queue a worker (4), each batch (1,000 events, a tick after each 1,000) a transaction: pgq.next_batch, '
  'the INSERT of pgq.get_batch_events, pgq.finish_batch', 'rec/s', 'higher', 3.0, '≥ 3×'),
 (17.55, 'W9', 'the same, against its ceiling', 'stream', 'insert_only',
  'the INSERTs of the results alone: 1,000 made-up rows a transaction, 4 clients', 'rec/s', 'info', NULL,
  '(information)'),
 (17.6, 'W9', 'consume calls (transactions) the stream''s workers made', 'stream_calls', NULL, '', 'calls',
  'report', NULL, 'report'),
 (17.7, 'W9', 'next_batch calls (transactions) the PgQ workers made', 'pgq_calls', NULL, '', 'calls',
  'report', NULL, 'report'),
 (17.8, 'W10', format('trigger: %s records through a trigger whose function inserts each batch''s sequence '
	 'numbers into a table (batches of 1,000, 4 trigger workers, 4 shards)', :'w10_records'),
  'stream', 'pgq', 'PgQ: W9''s consumers doing the same, a queue a worker (4), batches of 1,000',
  'rec/s', 'higher', 3.0, '≥ 3×'),
 (17.9, 'W10', 'files: the same records delivered to gzip-compressed JSON lines (buffers of 5 MB), '
	 'bytes of record data a second', 'stream', 'copy',
  'COPY (SELECT json_build_object(...) FROM stream.read(...)) TO PROGRAM ''gzip > file''',
  'B/s', 'higher', 0.8, '≥ 0.8×'),
 (18, 'W12', 'W2 (put_records of 500) on a stream encrypted with a KMS key', 'encrypted', 'plain',
  'the same on a plain stream', 'rec/s', 'higher', 0.8, '≥ 0.8×'),
 (18.10, 'W11', 'put: PutRecords of 500 records of 128 B through the Kinesis endpoint with the AWS SDK for JavaScript v3, 4 clients (HTTP/1.1)', 'stream', 'kinesalite',
  'kinesalite 3.3.3 (npm, in memory) on the same machine, the same client and calls', 'rec/s', 'higher', 5.0, '≥ 5×'),
 (18.11, 'W11', 'put: the same, against the same records put in SQL', 'stream', 'sql',
  'stream.put_records of 500 from pgbench, 4 clients, as many calls', 'rec/s', 'info', NULL, '(information)'),
 (18.12, 'W11', 'put: CPU of the client (all its threads) per record, against the endpoint', 'stream_client_us', NULL, '', 'µs', 'report', NULL, 'report'),
 (18.13, 'W11', 'put: CPU of the endpoint''s 4 HTTP workers per record', 'stream_server_us', NULL, '', 'µs', 'report', NULL, 'report'),
 (18.14, 'W11', 'put: CPU of the client per record, against kinesalite', 'kinesalite_client_us', NULL, '', 'µs', 'report', NULL, 'report'),
 (18.15, 'W11', 'put: CPU of kinesalite per record', 'kinesalite_server_us', NULL, '', 'µs', 'report', NULL, 'report'),
 (18.20, 'W11', 'get: GetRecords of 10,000 through the endpoint, the same client, a client a shard of 4, until each shard is read', 'stream', 'kinesalite',
  'kinesalite 3.3.3 (npm, in memory) on the same machine, the same client and calls', 'rec/s', 'higher', 5.0, '≥ 5×'),
 (18.22, 'W11', 'get: CPU of the client (all its threads) per record, against the endpoint', 'stream_client_us', NULL, '', 'µs', 'report', NULL, 'report'),
 (18.23, 'W11', 'get: CPU of the endpoint''s 4 HTTP workers per record', 'stream_server_us', NULL, '', 'µs', 'report', NULL, 'report'),
 (18.24, 'W11', 'get: CPU of the client per record, against kinesalite', 'kinesalite_client_us', NULL, '', 'µs', 'report', NULL, 'report'),
 (18.25, 'W11', 'get: CPU of kinesalite per record', 'kinesalite_server_us', NULL, '', 'µs', 'report', NULL, 'report'),
 (18.8, 'W13', 'W1 (put_record, autocommit, 4 clients) with the metrics counted', 'on', 'off',
  'the same with stream.metrics = off', 'rec/s', 'higher', 0.98, '≥ 0.98×'),
 (18.9, 'W13', 'W2 (put_records of 500, 4 clients) with the metrics counted', 'on', 'off',
  'the same with stream.metrics = off', 'rec/s', 'higher', 0.98, '≥ 0.98×'),
 (19, 'W12', format('W3 (read back %s records) on a stream encrypted with a KMS key', :'w3_records'),
  'encrypted', 'plain', 'the same on a plain stream', 'rec/s', 'higher', 0.8, '≥ 0.8×');

CREATE FUNCTION pg_temp.fmt(v float8, unit text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE
		WHEN v IS NULL THEN '—'
		WHEN unit = 'rec/s' THEN to_char(round(v), 'FM999,999,999,990') || ' rec/s'
		WHEN unit = 's' THEN to_char(v, 'FM999,990.000') || ' s'
		WHEN unit = 'bytes' THEN pg_size_pretty(v::bigint)
		WHEN unit = 'B/s' THEN to_char(v / 1048576, 'FM999,990.0') || ' MiB/s'
		WHEN unit = 'ms' THEN to_char(v, 'FM999,990.000') || ' ms'
		WHEN unit = 'µs' THEN to_char(v, 'FM999,990.00') || ' µs'
		ELSE v::text END
$$;

-- W5 is measured as W5-W1, W5-W2 and W5-W3 (rw below).
CREATE TEMP TABLE report AS
SELECT s.*, ms.v AS s_v, mb.v AS b_v, ms.n,
	   CASE s.kind
		   WHEN 'higher' THEN ms.v / nullif(mb.v, 0)
		   WHEN 'info' THEN ms.v / nullif(mb.v, 0)
		   WHEN 'faster' THEN mb.v / nullif(ms.v, 0)
		   WHEN 'absolute' THEN ms.v / s.target
	   END AS ratio
FROM (SELECT *, CASE WHEN workload IN ('W5', 'W12', 'W13') THEN workload || '-' || split_part(what, ' ', 1)
					  WHEN workload IN ('W8', 'W10', 'W11') THEN workload || '-' || split_part(what, ':', 1)
					  ELSE workload END AS rw FROM spec) s
JOIN medians ms ON ms.workload = s.rw AND ms.system = s.s_sys
LEFT JOIN medians mb ON mb.workload = s.rw AND mb.system = s.b_sys;

ALTER TABLE report ADD met text;
UPDATE report SET met = CASE
	WHEN kind IN ('higher', 'faster') AND b_v IS NULL THEN '—'
	WHEN kind IN ('higher', 'faster') THEN CASE WHEN ratio >= target THEN 'yes' ELSE '**no**' END
	WHEN kind = 'absolute' THEN CASE WHEN s_v >= target THEN 'yes' ELSE '**no**' END
	WHEN kind = 'zero' THEN CASE WHEN s_v = 0 THEN 'yes' ELSE '**no**' END
	WHEN kind = 'ceiling' THEN CASE WHEN s_v <= target THEN 'yes' ELSE '**no**' END
	ELSE '—' END;

\o
SELECT '| workload | stream (median) | baseline | baseline (median) | ratio | target | met |';
SELECT '|---|---:|---|---:|---:|---|:---:|';
SELECT format('| **%s** %s | %s | %s | %s | %s | %s | %s |', workload, what, pg_temp.fmt(s_v, unit),
			  b_what, CASE WHEN b_sys IS NULL THEN '' ELSE pg_temp.fmt(b_v, unit) END,
			  CASE WHEN ratio IS NULL THEN '' ELSE to_char(ratio, 'FM999,990.00') || '×' END,
			  target_text, met)
FROM report ORDER BY ord;
SELECT '';
SELECT 'Ratios are taken so that more than 1 means stream does better: stream / baseline for '
	|| 'records or bytes per second, baseline / stream for times (W4), measured / target for '
	|| 'the absolute target of W2. Each value is the median of its rounds; rounds alternate '
	|| 'stream and baseline. W5 compares stream with itself: the stream retaining many records '
	|| 'against the one retaining few; so do the writers of W8: with a consumer of the feed '
	|| 'against with no replication slot.';
SELECT '';
SELECT '## Every round';
SELECT '';
SELECT '| workload | system | rounds | median |';
SELECT '|---|---|---|---:|';
SELECT format('| %s | %s | %s | %s |', r.workload, r.system,
			  string_agg(round(r.value::numeric, 3)::text, ', ' ORDER BY r.round),
			  round(m.v::numeric, 3))
FROM rounds r JOIN medians m USING (workload, system)
GROUP BY r.workload, r.system, m.v
ORDER BY r.workload, min(r.round), r.system;

-- The chart: one line per comparison with a target, "label" ratio target.
\o :plot_file
SELECT format('"%s" %s %s', CASE WHEN kind = 'absolute' THEN workload || ' vs 500k/s'
								 WHEN workload IN ('W5', 'W12', 'W13') THEN workload || ' (' || split_part(what, ' ', 1) || ')'
								 WHEN workload IN ('W8', 'W10', 'W11') THEN workload || ' (' || split_part(what, ':', 1) || ')'
								 WHEN b_sys IS NOT NULL THEN workload || ' vs ' || b_sys
								 ELSE workload END,
			  ratio, CASE WHEN kind = 'absolute' THEN 1 ELSE target END)
FROM report
WHERE kind IN ('higher', 'faster', 'absolute') AND ratio IS NOT NULL
ORDER BY ord;
\o
