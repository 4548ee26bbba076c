# Expiry under load (issue 3): producers and consumers run while maintenance
# passes drop expired segments.
#
# A stream of two shards keeps records for 4 seconds, with segments of 128 kB
# (and so also sealed by age, at retention / 20 = 200 ms).  For about 25
# seconds three producers write numbered records (put_record in autocommit;
# put_records in batches, both forms; several put_record calls per
# transaction, every tenth transaction rolled back), two consumers read every
# shard with get_records in a loop, following next_shard_iterator, and a third
# session calls stream.run_maintenance() every 200 ms (the background worker,
# if there is one, may run passes too: they skip each other).
#
# Each producer records what it wrote in a table, in the same transaction as
# the write, so that the table holds exactly the committed records; each
# consumer stores what it read, with the time of the read.  Then:
#  - no producer, consumer or maintenance session failed;
#  - each consumer saw strictly increasing sequence numbers in each shard,
#    never the same record twice, only committed records, each with the shard,
#    sequence number and data it was written with;
#  - every committed record was read by every consumer, unless it had expired
#    (it was older than the retention period) when the consumer read past it;
#  - right after the producers stop, every record younger than the retention
#    period is readable;
#  - segments were dropped during the run, the stream's disk use stayed
#    bounded by what the retention period holds, and once the retention
#    period (plus a segment's span and a pass or two) has passed after the
#    last write, nothing is left.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;
use Time::HiRes qw(usleep time);

my $retention = 4;        # seconds
my $run_secs = 25;        # producers write for this long
my $pass_every = 0.2;     # seconds between maintenance passes
my $segment_kb = 128;

my $node = stream_node(
	'expiry_load',
	conf => qq{
stream.segment_size = '${segment_kb}kB'
stream.min_retention_period = '1s'
max_connections = 30
});

my $db = 'postgres';
$node->safe_psql(
	$db, qq{
SELECT stream.create_stream('load', 2);
SELECT stream.set_retention_period('load', interval '$retention seconds');

CREATE TABLE control (producers_done boolean NOT NULL, stop_maint boolean NOT NULL);
INSERT INTO control VALUES (false, false);

-- What the producers wrote: one row per committed record, in the record's
-- own transaction.  ack_time is taken after the write, so it is no earlier
-- than the record's arrival time.
CREATE TABLE acked (producer int, i int, partition_key text PRIMARY KEY, shard_id text,
					sequence_number numeric, size int, ack_time timestamptz);
CREATE TABLE put_failures (producer int, error_code text, n int);

-- What the consumers read, in the order they read it.
CREATE TABLE seen (id bigserial PRIMARY KEY, consumer int, shard_id text,
				   sequence_number numeric, partition_key text, md5 text, size int,
				   read_at timestamptz);
CREATE TABLE consumer_end (consumer int, ended_at timestamptz, calls bigint);

-- What the maintenance session observed after each pass.
CREATE TABLE maint_log (at timestamptz, segments int, bytes bigint);
CREATE TABLE segs_seen (segment_no int PRIMARY KEY, relation oid);

-- The data of a record: its partition key's MD5, repeated, cut to size.
CREATE FUNCTION record_data(key text, size int) RETURNS bytea
	LANGUAGE sql IMMUTABLE AS \$\$
	SELECT convert_to(substr(repeat(md5(key), size / 32 + 1), 1, size), 'UTF8')
\$\$;
CREATE FUNCTION record_size(p int, i int) RETURNS int
	LANGUAGE sql IMMUTABLE AS \$\$ SELECT (50 + (p * 131 + i::bigint * 7919) % 950)::int \$\$;

CREATE PROCEDURE produce(p int, mode text, secs float8)
	LANGUAGE plpgsql AS \$\$
DECLARE
	t_end timestamptz := clock_timestamp() + secs * interval '1 second';
	i int := 0;
	k text;
	keys text[];
	datas bytea[];
	entries stream.put_records_request_entry[];
	batch int;
	tx int := 0;
BEGIN
	WHILE clock_timestamp() < t_end LOOP
		IF mode = 'single' THEN
			i := i + 1;
			k := 'p' || p || '-' || i;
			INSERT INTO acked
				SELECT p, i, k, r.shard_id, r.sequence_number, record_size(p, i), clock_timestamp()
				FROM stream.put_record('load', k, record_data(k, record_size(p, i))) r;
			COMMIT;
		ELSIF mode = 'batch' THEN
			batch := 1 + (i / 7) % 40;
			SELECT array_agg('p' || p || '-' || j ORDER BY j),
				   array_agg(record_data('p' || p || '-' || j, record_size(p, j)) ORDER BY j)
			INTO keys, datas
			FROM generate_series(i + 1, i + batch) j;
			IF (i / 7) % 2 = 0 THEN
				WITH r AS (SELECT * FROM stream.put_records('load', keys, datas)),
					 f AS (INSERT INTO put_failures
						   SELECT p, r.error_code, count(*) FROM r
						   WHERE r.error_code IS NOT NULL GROUP BY r.error_code)
				INSERT INTO acked
					SELECT p, i + r.ordinality, keys[r.ordinality], r.shard_id, r.sequence_number,
						   record_size(p, i + r.ordinality), clock_timestamp()
					FROM r WHERE r.error_code IS NULL;
			ELSE
				SELECT array_agg(ROW(datas[j], keys[j], NULL)::stream.put_records_request_entry
								 ORDER BY j)
				INTO entries FROM generate_series(1, batch) j;
				WITH r AS (SELECT * FROM stream.put_records('load', entries)),
					 f AS (INSERT INTO put_failures
						   SELECT p, r.error_code, count(*) FROM r
						   WHERE r.error_code IS NOT NULL GROUP BY r.error_code)
				INSERT INTO acked
					SELECT p, i + r.ordinality, keys[r.ordinality], r.shard_id, r.sequence_number,
						   record_size(p, i + r.ordinality), clock_timestamp()
					FROM r WHERE r.error_code IS NULL;
			END IF;
			i := i + batch;
			COMMIT;
		ELSE
			-- several put_record calls in one transaction; every tenth rolls back
			tx := tx + 1;
			FOR j IN 1 .. 5 LOOP
				i := i + 1;
				k := CASE WHEN tx % 10 = 0 THEN 'rb-' ELSE '' END || 'p' || p || '-' || i;
				INSERT INTO acked
					SELECT p, i, k, r.shard_id, r.sequence_number, record_size(p, i),
						   clock_timestamp()
					FROM stream.put_record('load', k, record_data(k, record_size(p, i))) r;
			END LOOP;
			IF tx % 10 = 0 THEN
				ROLLBACK;
			ELSE
				COMMIT;
			END IF;
		END IF;
	END LOOP;
END
\$\$;

-- A consumer: reads every shard from TRIM_HORIZON, following
-- next_shard_iterator, one transaction per get_records call, until the
-- producers are done and a whole round finds nothing more.
CREATE PROCEDURE consume(c int, max_secs float8)
	LANGUAGE plpgsql AS \$\$
DECLARE
	shards text[];
	its text[];
	res record;
	n int;
	got bigint;
	caught_up boolean;
	done boolean;
	calls bigint := 0;
	t_end timestamptz := clock_timestamp() + max_secs * interval '1 second';
BEGIN
	SELECT array_agg(shard_id ORDER BY shard_id) INTO shards FROM stream.list_shards('load');
	SELECT array_agg(stream.get_shard_iterator('load', s, 'TRIM_HORIZON') ORDER BY s)
		INTO its FROM unnest(shards) s;
	COMMIT;
	LOOP
		IF clock_timestamp() > t_end THEN
			RAISE EXCEPTION 'consumer % did not finish in % s', c, max_secs;
		END IF;
		SELECT producers_done INTO done FROM control;
		got := 0;
		caught_up := true;
		FOR s IN 1 .. cardinality(shards) LOOP
			SELECT * INTO res FROM stream.get_records(its[s], 1000);
			calls := calls + 1;
			n := coalesce(cardinality(res.records), 0);
			IF n > 0 THEN
				INSERT INTO seen (consumer, shard_id, sequence_number, partition_key, md5, size,
								  read_at)
					SELECT c, shards[s], r.sequence_number, r.partition_key, md5(r.data),
						   octet_length(r.data), clock_timestamp()
					FROM unnest(res.records) WITH ORDINALITY
						 AS r(sequence_number, approximate_arrival_timestamp, data,
							  partition_key, encryption_type, ord)
					ORDER BY ord;
			END IF;
			IF res.next_shard_iterator IS NULL THEN
				RAISE EXCEPTION 'consumer %: no next_shard_iterator for open shard %', c, shards[s];
			END IF;
			its[s] := res.next_shard_iterator;
			got := got + n;
			caught_up := caught_up AND n = 0 AND res.millis_behind_latest = 0;
			COMMIT;
		END LOOP;
		EXIT WHEN done AND caught_up;
		IF got = 0 THEN
			PERFORM pg_sleep(0.02);
		END IF;
	END LOOP;
	INSERT INTO consumer_end VALUES (c, clock_timestamp(), calls);
END
\$\$;

CREATE PROCEDURE maintain(every float8, max_secs float8)
	LANGUAGE plpgsql AS \$\$
DECLARE
	t_end timestamptz := clock_timestamp() + max_secs * interval '1 second';
BEGIN
	WHILE clock_timestamp() < t_end AND NOT (SELECT stop_maint FROM control) LOOP
		CALL stream.run_maintenance();
		COMMIT;
		INSERT INTO segs_seen SELECT segment_no, relation::oid FROM stream.segments
			ON CONFLICT DO NOTHING;
		INSERT INTO maint_log
			SELECT clock_timestamp(), count(*), coalesce(sum(pg_relation_size(relation)), 0)
			FROM stream.segments;
		COMMIT;
		PERFORM pg_sleep(every);
	END LOOP;
END
\$\$;
});

my $maint = start_session($node, $db, 'CALL maintain(' . $pass_every . ', ' . ($run_secs * 3) . ')');
my @consumers = map { start_session($node, $db, "CALL consume($_, " . ($run_secs * 3) . ')') } (1, 2);
# let the consumers take their TRIM_HORIZON iterators before anything is written
usleep(500_000);
my @producers = (
	start_session($node, $db, "CALL produce(1, 'single', $run_secs)"),
	start_session($node, $db, "CALL produce(2, 'batch', $run_secs)"),
	start_session($node, $db, "CALL produce(3, 'txn', $run_secs)"));

finish_session($producers[$_ - 1], "producer $_") for 1 .. 3;

# Right after the writes: every record younger than the retention period
# (with half a second to spare for the read itself) is readable.
my $t0 = $node->safe_psql($db, 'SELECT clock_timestamp()');
$node->safe_psql($db,
	"CREATE TABLE read_at_end AS SELECT shard_id, sequence_number, partition_key FROM stream.read('load')"
);
is( $node->safe_psql(
		$db, qq{
	SELECT count(*) FROM acked a
	WHERE a.ack_time > '$t0'::timestamptz - interval '$retention seconds' + interval '0.5 s'
	  AND NOT EXISTS (SELECT FROM read_at_end r
					  WHERE r.sequence_number = a.sequence_number AND r.shard_id = a.shard_id
						AND r.partition_key = a.partition_key)}),
	'0',
	'right after the writes, every record younger than the retention period is readable');
cmp_ok(
	$node->safe_psql(
		$db, qq{
	SELECT count(*) FROM acked
	WHERE ack_time > '$t0'::timestamptz - interval '$retention seconds' + interval '0.5 s'}),
	'>', 0, '... and there are such records');

$node->safe_psql($db, 'UPDATE control SET producers_done = true');
finish_session($consumers[$_ - 1], "consumer $_") for 1 .. 2;

# Let everything expire: the retention period, a segment's span (retention /
# 20) and two passes after the last write, with a second to spare.
my $last = $node->safe_psql($db, 'SELECT max(ack_time) FROM acked');
my $wait_until = $node->safe_psql($db,
	"SELECT extract(epoch FROM '$last'::timestamptz + interval '$retention seconds' * 1.05 + interval '1.4 s')"
);
while (time() < $wait_until)
{
	usleep(100_000);
}
is($node->safe_psql($db, "SELECT count(*) FROM stream.read('load')"),
	'0', 'retention + retention/20 + two passes after the last write, every record has expired');
my $left_bytes = $node->safe_psql($db,
	'SELECT coalesce(sum(pg_relation_size(relation)), 0) FROM stream.segments');
cmp_ok($left_bytes, '<=', 2 * 2 * 8192,
	'... and the segments left hold no more than a meta page or two per shard');

$node->safe_psql($db, 'UPDATE control SET stop_maint = true');
finish_session($maint, 'the maintenance session');

# ---------------------------------------------------------------------------
# What happened

$node->safe_psql(
	$db, q{
	CREATE INDEX ON seen (consumer, partition_key);
	CREATE INDEX ON seen (consumer, shard_id, sequence_number);
	ANALYZE seen, acked;
});
my $stats = $node->safe_psql(
	$db, q{
	SELECT format('%s records committed (%s by producer 1, %s by 2, %s by 3), %s MB; '
				  || '%s maintenance passes; consumers read %s and %s records in %s and %s calls',
				  count(*), count(*) FILTER (WHERE producer = 1), count(*) FILTER (WHERE producer = 2),
				  count(*) FILTER (WHERE producer = 3), round(sum(size) / 1e6, 1),
				  (SELECT count(*) FROM maint_log),
				  (SELECT count(*) FROM seen WHERE consumer = 1),
				  (SELECT count(*) FROM seen WHERE consumer = 2),
				  (SELECT calls FROM consumer_end WHERE consumer = 1),
				  (SELECT calls FROM consumer_end WHERE consumer = 2))
	FROM acked});
note $stats;
cmp_ok($node->safe_psql($db, 'SELECT count(DISTINCT producer) FROM acked'),
	'==', 3, 'every producer committed records');
cmp_ok($node->safe_psql($db, 'SELECT count(*) FROM acked'),
	'>=', 2000, 'the producers committed at least 2,000 records');
is($node->safe_psql($db, 'SELECT count(*) FROM put_failures'),
	'0', 'no record of a put_records call failed');

foreach my $c (1, 2)
{
	is( $node->safe_psql(
			$db, qq{
		SELECT string_agg(format('%s %s read %s times', shard_id, sequence_number, n), '; ')
		FROM (SELECT shard_id, sequence_number, count(*) AS n FROM seen
			  WHERE consumer = $c GROUP BY 1, 2 HAVING count(*) > 1) d}),
		'', "consumer $c never read the same record twice");
	is( $node->safe_psql(
			$db, qq{
		SELECT string_agg(format('%s: %s after %s', shard_id, sequence_number, prev), '; ')
		FROM (SELECT shard_id, sequence_number,
					 lag(sequence_number) OVER (PARTITION BY shard_id ORDER BY id) AS prev
			  FROM seen WHERE consumer = $c) x
		WHERE sequence_number <= prev}),
		'', "consumer $c read strictly increasing sequence numbers in each shard");
	is( $node->safe_psql(
			$db, qq{
		SELECT string_agg(format('%s %s %s', s.shard_id, s.sequence_number, s.partition_key), '; ')
		FROM seen s LEFT JOIN acked a USING (partition_key)
		WHERE s.consumer = $c
		  AND (a.partition_key IS NULL OR a.shard_id <> s.shard_id
			   OR a.sequence_number <> s.sequence_number OR a.size <> s.size
			   OR s.md5 <> md5(record_data(a.partition_key, a.size)))}),
		'',
		"consumer $c read only committed records, each with its shard, sequence number and data"
	);
	# A committed record the consumer did not read must have expired: be
	# older than the retention period when the consumer read the next record
	# of its shard (or, at the end of the shard, when the consumer finished).
	my $missing = $node->safe_psql(
		$db, qq{
		WITH missing AS MATERIALIZED (
			SELECT * FROM acked a
			WHERE NOT EXISTS (SELECT FROM seen s WHERE s.consumer = $c
							  AND s.partition_key = a.partition_key))
		SELECT count(*),
			   count(*) FILTER (WHERE a.ack_time >= passed_at - interval '$retention seconds'),
			   coalesce(string_agg(format('%s %s %s written %s passed %s', a.shard_id,
										  a.sequence_number, a.partition_key, a.ack_time,
										  passed_at), '; ')
						FILTER (WHERE a.ack_time >= passed_at - interval '$retention seconds'), '')
		FROM missing a,
			 LATERAL (SELECT coalesce(
						(SELECT min(read_at) FROM seen s
						 WHERE s.consumer = $c AND s.shard_id = a.shard_id
						   AND s.sequence_number > a.sequence_number),
						(SELECT ended_at FROM consumer_end WHERE consumer = $c)) AS passed_at) p});
	my ($nmissing, $nlost, $lost) = split /\|/, $missing, 3;
	note "consumer $c: $nmissing committed records not read, all but $nlost of them expired first";
	is($lost // '', '', "consumer $c read every committed record that had not expired");
	# The consumers keep up (their lag is far below the retention period), so
	# they read everything, expired or not.
	my $lag = $node->safe_psql(
		$db, qq{
		SELECT round(extract(epoch FROM max(s.read_at - a.ack_time))::numeric, 3)
		FROM seen s JOIN acked a USING (partition_key) WHERE s.consumer = $c});
	note "consumer $c: largest lag from write to read ${lag} s";
	is($nmissing, '0', "consumer $c, which kept up, read every committed record");
}
is($node->safe_psql($db, q{SELECT count(*) FROM seen WHERE partition_key LIKE 'rb-%'}),
	'0', 'no consumer read a record of a rolled-back transaction');

# Segments and disk.
my $dropped = $node->safe_psql($db,
	'SELECT count(*) FROM segs_seen WHERE segment_no NOT IN (SELECT segment_no FROM stream.segments)'
);
note "segments dropped: $dropped";
cmp_ok($dropped, '>', 10, 'segments were dropped during the run');
is( $node->safe_psql(
		$db, q{
	SELECT count(*) FROM segs_seen g JOIN pg_class c ON c.oid = g.relation
	WHERE g.segment_no NOT IN (SELECT segment_no FROM stream.segments)}),
	'0', 'the relations of the dropped segments are gone');

# What the retention period holds: the records written in any window of the
# retention period plus a segment's span (retention / 20, plus a pass) plus a
# pass, at their storage cost (a 40-byte header, the key, the data, a line
# pointer), with pages at least 80% full; plus a meta page and a partly
# filled last page per segment, and a segment of slack per shard.
my $window = $retention * 1.05 + 2 * $pass_every + 0.3;
my $disk = $node->safe_psql(
	$db, qq{
	WITH b AS (
		SELECT floor(extract(epoch FROM ack_time) * 10)::bigint AS tenth,
			   sum(size + 44 + length(partition_key)) AS bytes
		FROM acked GROUP BY 1),
	w AS (
		SELECT sum(bytes) OVER (ORDER BY tenth
								RANGE BETWEEN ${\ int($window * 10 + 0.999)} PRECEDING
									  AND CURRENT ROW) AS bytes
		FROM b)
	SELECT (SELECT max(bytes) FROM maint_log),
		   (SELECT max(bytes - segments * 16384) FROM maint_log),
		   (SELECT max(bytes) FROM w),
		   (SELECT sum(size + 44 + length(partition_key)) FROM acked),
		   (SELECT max(segments) FROM maint_log)});
my ($max_disk, $max_disk_net, $window_bytes, $total_bytes, $max_segments) = split /\|/, $disk;
my $bound = int($window_bytes * 1.25 + 2 * $segment_kb * 1024);
note "largest disk use seen after a pass: $max_disk bytes (at most $max_segments segments); "
  . "less 16 kB per segment: $max_disk_net bytes; bound $bound bytes "
  . "(records in the largest ${window}-second window: $window_bytes bytes; "
  . "all records: $total_bytes bytes)";
cmp_ok($max_disk_net, '<=', $bound, 'disk use stayed within what the retention period holds');
cmp_ok($max_disk, '<', $total_bytes / 2, 'disk use stayed well below what was written');

# No error of any kind in the server log.
no_errors_logged($node);

$node->stop;
done_testing();
