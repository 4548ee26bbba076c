# Resharding under load (issue 4): producers and a consumer run while the
# stream is split, merged and rescaled from 2 to 4 to 3 shards.
#
# Stream "rs" starts with 2 shards.  Three producers write for about 12
# seconds to a fixed set of 20 partition keys, each producer owning its own
# keys, each record's data being "key:counter" with a counter per key that
# goes 1, 2, 3, ...:
#   producer 1  put_record in autocommit;
#   producer 2  put_records batches of 1 to 30 records (both forms), several
#               records of the same key in a batch;
#   producer 3  transactions of 2 to 5 put_record calls with short sleeps in
#               between, every seventh rolled back (its counters with it).
# Each producer keeps its counters and what was acknowledged in tables written
# in the same transaction as the records, so that "acked" holds exactly the
# committed records and a rolled-back counter is written again.
#
# Meanwhile a resharding session calls, about 2 seconds apart:
#   update_shard_count(4); split_shard of the highest open shard at its
#   middle; merge_shards of the two lowest open shards; update_shard_count(3)
# (open shards: 2 -> 4 -> 5 -> 4 -> 3), and the maintenance worker runs
# every 200 ms (it removes closed shards that never had records).
#
# Two consumers read as the Kinesis Client Library does: each lists the
# shards again and again, reads every shard from TRIM_HORIZON with
# get_records, following next_shard_iterator, and starts a shard only once
# each of its parents that still exists has been read to its end (a NULL
# next_shard_iterator); a shard that disappears before it is started counts
# as finished.  Consumer 1 reads all along (1,000 records per call);
# consumer 2 starts once the writes and reshards are over (100 records per
# call), so that it goes through the whole lineage with a backlog.  Each
# keeps its state in its own schema (c1, c2).  Then, for each consumer:
#  - no session failed; the reshards happened as planned and the stream ends
#    with 3 open shards of uniform ranges;
#  - every committed record was read exactly once, with its shard, sequence
#    number and data; nothing else was read;
#  - for each key, the counters were read in order 1, 2, 3, ... with no gap
#    and no duplicate; within each shard, sequence numbers increase;
#  - at the end of each closed shard, child_shards named children that cover
#    it and name it as a parent; no record of a closed shard lies beyond its
#    ending sequence number;
#  - the server logged no error.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamTest;
use Test::More;
use Time::HiRes qw(usleep time);

my $run_secs = 12;      # producers write for this long
my $gap = 2.2;          # seconds between reshard steps
my $nkeys = 20;

my $started = time();
my $node = stream_node(
	'reshard_load',
	conf => qq{
stream.maintenance_interval = 200
max_connections = 30
});

my $db = 'postgres';
$node->safe_psql(
	$db, qq{
SELECT stream.create_stream('rs', 2);

CREATE TABLE control (producers_done boolean NOT NULL, reshard_done boolean NOT NULL);
INSERT INTO control VALUES (false, false);

-- The keys, their owners and their next counters.
CREATE TABLE counters (partition_key text PRIMARY KEY, producer int NOT NULL, next int NOT NULL);
INSERT INTO counters
	SELECT 'key-' || lpad(i::text, 2, '0'), 1 + (i - 1) % 3, 1 FROM generate_series(1, $nkeys) i;

-- What the producers were acknowledged, in the records' own transactions.
CREATE TABLE acked (partition_key text, counter int, producer int, shard_id text,
					sequence_number numeric, acked_at timestamptz,
					PRIMARY KEY (partition_key, counter));

-- What the resharding session did.
CREATE TABLE reshard_log (step int, what text, at timestamptz, open_before int, open_after int,
						  open_shards text[]);

-- Each consumer's leases and what it read, in the order it read it, in its
-- own schema (c1, c2), which its session puts first in its search_path.
CREATE SCHEMA c1;
CREATE SCHEMA c2;
DO \$\$
BEGIN
	FOR c IN 1 .. 2 LOOP
		EXECUTE format('SET LOCAL search_path = c%s', c);
		CREATE SEQUENCE ev;
		CREATE TABLE leases (shard_id text PRIMARY KEY, parents text[] NOT NULL,
							 starting_hash_key numeric, ending_hash_key numeric,
							 state text NOT NULL DEFAULT 'new',	-- new, reading, finished, vanished
							 iterator text, started_ev bigint, finished_ev bigint,
							 child_shards jsonb, note text);
		CREATE TABLE seen (id bigserial PRIMARY KEY, shard_id text, sequence_number numeric,
						   partition_key text, data text, read_at timestamptz);
		CREATE TABLE consumer_end (ended_at timestamptz, calls bigint, rounds bigint);
	END LOOP;
END
\$\$;

CREATE PROCEDURE produce(p int, mode text, secs float8)
	LANGUAGE plpgsql AS \$\$
DECLARE
	t_end timestamptz := clock_timestamp() + secs * interval '1 second';
	keys text[];
	nk int;
	i int := 0;
	k text;
	c int;
	batch int;
	bkeys text[];
	bctrs int[];
	rshards text[];
	rseqs numeric[];
	nerr bigint;
	errs text;
	tx int := 0;
BEGIN
	SELECT array_agg(partition_key ORDER BY partition_key) INTO keys FROM counters WHERE producer = p;
	nk := cardinality(keys);
	WHILE clock_timestamp() < t_end LOOP
		i := i + 1;
		IF mode = 'single' THEN
			k := keys[1 + i % nk];
			SELECT next INTO c FROM counters WHERE partition_key = k;
			INSERT INTO acked
				SELECT k, c, p, r.shard_id, r.sequence_number, clock_timestamp()
				FROM stream.put_record('rs', k, convert_to(k || ':' || c, 'UTF8')) r;
			UPDATE counters SET next = next + 1 WHERE partition_key = k;
			COMMIT;
			PERFORM pg_sleep(0.002);
		ELSIF mode = 'batch' THEN
			batch := 1 + (i * 7) % 30;
			WITH r AS (SELECT j, keys[1 + (i + j / 3) % nk] AS k FROM generate_series(1, batch) j)
			SELECT array_agg(r.k ORDER BY r.j), array_agg(c2 ORDER BY r.j) INTO bkeys, bctrs
			FROM (SELECT r.j, r.k, ct.next + row_number() OVER (PARTITION BY r.k ORDER BY r.j) - 1 AS c2
				  FROM r JOIN counters ct ON ct.partition_key = r.k) r;
			IF i % 2 = 0 THEN
				SELECT array_agg(x.shard_id ORDER BY x.ordinality),
					   array_agg(x.sequence_number ORDER BY x.ordinality),
					   count(*) FILTER (WHERE x.error_code IS NOT NULL),
					   string_agg(x.error_code || ': ' || x.error_message, '; ')
				INTO rshards, rseqs, nerr, errs
				FROM stream.put_records('rs', bkeys,
										ARRAY(SELECT convert_to(bkeys[j] || ':' || bctrs[j], 'UTF8')
											  FROM generate_series(1, batch) j ORDER BY j)) x;
			ELSE
				SELECT array_agg(x.shard_id ORDER BY x.ordinality),
					   array_agg(x.sequence_number ORDER BY x.ordinality),
					   count(*) FILTER (WHERE x.error_code IS NOT NULL),
					   string_agg(x.error_code || ': ' || x.error_message, '; ')
				INTO rshards, rseqs, nerr, errs
				FROM stream.put_records('rs',
						ARRAY(SELECT ROW(convert_to(bkeys[j] || ':' || bctrs[j], 'UTF8'), bkeys[j],
										 NULL)::stream.put_records_request_entry
							  FROM generate_series(1, batch) j ORDER BY j)) x;
			END IF;
			IF nerr > 0 THEN
				RAISE EXCEPTION 'producer %: % records of a put_records call failed: %', p, nerr, errs;
			END IF;
			INSERT INTO acked
				SELECT bkeys[j], bctrs[j], p, rshards[j], rseqs[j], clock_timestamp()
				FROM generate_series(1, batch) j;
			UPDATE counters ct SET next = ct.next + n
				FROM (SELECT u AS k, count(*) AS n FROM unnest(bkeys) u GROUP BY u) b
				WHERE ct.partition_key = b.k;
			COMMIT;
			PERFORM pg_sleep(0.03);
		ELSE
			-- a small transaction of put_record calls; every seventh rolls back
			tx := tx + 1;
			FOR j IN 1 .. 2 + tx % 4 LOOP
				k := keys[1 + (i + j) % nk];
				SELECT next INTO c FROM counters WHERE partition_key = k;
				INSERT INTO acked
					SELECT k, c, p, r.shard_id, r.sequence_number, clock_timestamp()
					FROM stream.put_record('rs', k, convert_to(k || ':' || c, 'UTF8')) r;
				UPDATE counters SET next = next + 1 WHERE partition_key = k;
				PERFORM pg_sleep(0.003);
			END LOOP;
			IF tx % 7 = 0 THEN
				ROLLBACK;
			ELSE
				COMMIT;
			END IF;
		END IF;
	END LOOP;
END
\$\$;

CREATE PROCEDURE log_reshard(step int, what text, open_before int)
	LANGUAGE sql AS \$\$
	INSERT INTO reshard_log
		SELECT step, what, clock_timestamp(), open_before, count(*), array_agg(shard_id ORDER BY shard_id)
		FROM stream.list_shards('rs', 'AT_LATEST')
\$\$;

CREATE PROCEDURE reshard(gap float8)
	LANGUAGE plpgsql AS \$\$
DECLARE
	s record;
	a record;
	b record;
	n int;
BEGIN
	PERFORM pg_sleep(gap);
	SELECT count(*) INTO n FROM stream.list_shards('rs', 'AT_LATEST');
	PERFORM * FROM stream.update_shard_count('rs', 4);
	CALL log_reshard(1, 'update_shard_count(4)', n);
	COMMIT;

	PERFORM pg_sleep(gap);
	SELECT count(*) INTO n FROM stream.list_shards('rs', 'AT_LATEST');
	SELECT * INTO s FROM stream.list_shards('rs', 'AT_LATEST') ORDER BY starting_hash_key DESC LIMIT 1;
	PERFORM stream.split_shard('rs', s.shard_id,
							   s.starting_hash_key + div(s.ending_hash_key - s.starting_hash_key + 1, 2));
	CALL log_reshard(2, 'split_shard(' || s.shard_id || ')', n);
	COMMIT;

	PERFORM pg_sleep(gap);
	SELECT count(*) INTO n FROM stream.list_shards('rs', 'AT_LATEST');
	SELECT * INTO a FROM stream.list_shards('rs', 'AT_LATEST') ORDER BY starting_hash_key LIMIT 1;
	SELECT * INTO b FROM stream.list_shards('rs', 'AT_LATEST') ORDER BY starting_hash_key LIMIT 1 OFFSET 1;
	PERFORM stream.merge_shards('rs', a.shard_id, b.shard_id);
	CALL log_reshard(3, 'merge_shards(' || a.shard_id || ', ' || b.shard_id || ')', n);
	COMMIT;

	PERFORM pg_sleep(gap);
	SELECT count(*) INTO n FROM stream.list_shards('rs', 'AT_LATEST');
	PERFORM * FROM stream.update_shard_count('rs', 3);
	CALL log_reshard(4, 'update_shard_count(3)', n);
	COMMIT;
END
\$\$;

-- A consumer, one get_records call per transaction, "lim" records at most
-- per call.  With "late", it starts only once the writes and reshards are
-- over, and so has every shard's lineage to go through.
CREATE PROCEDURE consume(max_secs float8, lim int, late boolean)
	LANGUAGE plpgsql AS \$\$
DECLARE
	t_end timestamptz := clock_timestamp() + max_secs * interval '1 second';
	l record;
	res record;
	it text;
	n int;
	got bigint;
	idle boolean;
	done boolean;
	calls bigint := 0;
	rounds bigint := 0;
BEGIN
	CREATE TEMP TABLE listed AS SELECT * FROM stream.list_shards('rs') WITH NO DATA;
	WHILE late AND NOT (SELECT producers_done AND reshard_done FROM control) LOOP
		IF clock_timestamp() > t_end THEN
			RAISE EXCEPTION 'the late consumer waited for more than % s', max_secs;
		END IF;
		PERFORM pg_sleep(0.05);
	END LOOP;
	LOOP
		IF clock_timestamp() > t_end THEN
			RAISE EXCEPTION 'the consumer did not finish in % s', max_secs;
		END IF;
		rounds := rounds + 1;
		SELECT producers_done AND reshard_done INTO done FROM control;

		-- Shards: take up the new ones; a shard no longer listed is gone.
		TRUNCATE listed;
		INSERT INTO listed SELECT * FROM stream.list_shards('rs');
		INSERT INTO leases (shard_id, parents, starting_hash_key, ending_hash_key)
			SELECT shard_id, array_remove(ARRAY[parent_shard_id, adjacent_parent_shard_id], NULL),
				   starting_hash_key, ending_hash_key
			FROM listed
			ON CONFLICT DO NOTHING;
		UPDATE leases SET state = 'vanished', note = 'no longer listed while ' || state,
						  finished_ev = nextval('ev')
			WHERE state IN ('new', 'reading') AND shard_id NOT IN (SELECT shard_id FROM listed);

		-- Start the shards whose parents are all done (or were never seen,
		-- so are not listed any more).
		FOR l IN SELECT * FROM leases c
				 WHERE c.state = 'new'
				   AND NOT EXISTS (SELECT FROM leases p
								   WHERE p.shard_id = ANY (c.parents) AND p.state IN ('new', 'reading'))
				 ORDER BY c.shard_id LOOP
			BEGIN
				it := stream.get_shard_iterator('rs', l.shard_id, 'TRIM_HORIZON');
				UPDATE leases SET state = 'reading', iterator = it, started_ev = nextval('ev')
					WHERE shard_id = l.shard_id;
			EXCEPTION WHEN undefined_object THEN
				UPDATE leases SET state = 'vanished', note = 'gone before it was started',
								  finished_ev = nextval('ev')
					WHERE shard_id = l.shard_id;
			END;
		END LOOP;
		COMMIT;

		got := 0;
		idle := true;
		FOR l IN SELECT * FROM leases WHERE state = 'reading' ORDER BY shard_id LOOP
			BEGIN
				SELECT * INTO res FROM stream.get_records(l.iterator, lim);
			EXCEPTION WHEN undefined_object THEN
				UPDATE leases SET state = 'vanished', note = 'gone while reading',
								  finished_ev = nextval('ev')
					WHERE shard_id = l.shard_id;
				COMMIT;
				CONTINUE;
			END;
			calls := calls + 1;
			n := coalesce(cardinality(res.records), 0);
			IF n > 0 THEN
				INSERT INTO seen (shard_id, sequence_number, partition_key, data, read_at)
					SELECT l.shard_id, r.sequence_number, r.partition_key, convert_from(r.data, 'UTF8'),
						   clock_timestamp()
					FROM unnest(res.records) WITH ORDINALITY
						 AS r(sequence_number, approximate_arrival_timestamp, data,
							  partition_key, encryption_type, ord)
					ORDER BY ord;
			END IF;
			IF res.next_shard_iterator IS NULL THEN
				UPDATE leases SET state = 'finished', iterator = NULL, child_shards = res.child_shards,
								  finished_ev = nextval('ev')
					WHERE shard_id = l.shard_id;
			ELSE
				UPDATE leases SET iterator = res.next_shard_iterator WHERE shard_id = l.shard_id;
				idle := idle AND n = 0 AND res.millis_behind_latest = 0;
			END IF;
			got := got + n;
			COMMIT;
		END LOOP;
		EXIT WHEN done AND idle AND got = 0
			 AND NOT EXISTS (SELECT FROM leases WHERE state = 'new');
		IF got = 0 THEN
			PERFORM pg_sleep(0.02);
		END IF;
	END LOOP;
	INSERT INTO consumer_end VALUES (clock_timestamp(), calls, rounds);
END
\$\$;
});

# consumer 1 reads while the stream is written and resharded; consumer 2
# (the "late" one) starts once that is over, with 100 records per call.
my @consumers = (
	start_session($node, $db, 'CALL consume(' . ($run_secs * 4) . ', 1000, false)', 'c1,public'),
	start_session($node, $db, 'CALL consume(' . ($run_secs * 4) . ', 100, true)', 'c2,public'));
usleep(300_000);
my @producers = (
	start_session($node, $db, "CALL produce(1, 'single', $run_secs)"),
	start_session($node, $db, "CALL produce(2, 'batch', $run_secs)"),
	start_session($node, $db, "CALL produce(3, 'txn', $run_secs)"));
my $resharder = start_session($node, $db, "CALL reshard($gap)");

finish_session($resharder, 'the resharding session');
$node->safe_psql($db, 'UPDATE control SET reshard_done = true');
finish_session($producers[$_ - 1], "producer $_") for 1 .. 3;
$node->safe_psql($db, 'UPDATE control SET producers_done = true');
finish_session($consumers[$_ - 1], "consumer $_") for 1 .. 2;

# ---------------------------------------------------------------------------
# The reshards

is( $node->safe_psql(
		$db, q{
	SELECT string_agg(format('%s %s: %s -> %s', step, what, open_before, open_after), '; '
					  ORDER BY step)
	FROM reshard_log}),
	'1 update_shard_count(4): 2 -> 4; 2 split_shard(shardId-000000000005): 4 -> 5; '
	  . '3 merge_shards(shardId-000000000002, shardId-000000000003): 5 -> 4; '
	  . '4 update_shard_count(3): 4 -> 3',
	'the stream was rescaled 2 -> 4, split, merged and rescaled to 3')
  or diag $node->safe_psql($db, 'SELECT * FROM reshard_log ORDER BY step');
is( $node->safe_psql(
		$db, q{
	SELECT string_agg(format('[%s, %s]', starting_hash_key, ending_hash_key), ' '
					  ORDER BY starting_hash_key)
	FROM stream.list_shards('rs', 'AT_LATEST')}),
	$node->safe_psql(
		$db, q{
	SELECT string_agg(format('[%s, %s]', i * w,
							 CASE WHEN i = 2 THEN 340282366920938463463374607431768211455
								  ELSE (i + 1) * w - 1 END), ' ' ORDER BY i)
	FROM generate_series(0, 2) i, div(340282366920938463463374607431768211456, 3) w}),
	'the stream ends with 3 open shards of uniform ranges');

# ---------------------------------------------------------------------------
# What was written and read

note $node->safe_psql(
	$db, q{
	SELECT format('%s records committed (%s, %s and %s by producers 1, 2, 3) in %s shards',
				  count(*), count(*) FILTER (WHERE producer = 1), count(*) FILTER (WHERE producer = 2),
				  count(*) FILTER (WHERE producer = 3), count(DISTINCT shard_id))
	FROM acked});
cmp_ok($node->safe_psql($db, 'SELECT count(DISTINCT producer) FROM acked'),
	'==', 3, 'every producer committed records');
cmp_ok($node->safe_psql($db, 'SELECT count(*) FROM acked'),
	'>=', 1000, 'the producers committed at least 1,000 records');
is( $node->safe_psql(
		$db, q{
	SELECT string_agg(partition_key, ', ') FROM (
		SELECT partition_key FROM acked GROUP BY partition_key
		HAVING min(counter) <> 1 OR max(counter) <> count(*)) x}),
	'', "each key's committed counters are 1 .. n (a rolled-back counter was written again)");
is( $node->safe_psql(
		$db, q{
	SELECT string_agg(format('step %s: %s', r.step, r.open_shards::text), '; ')
	FROM reshard_log r
	WHERE NOT EXISTS (SELECT FROM acked a
					  WHERE a.shard_id = ANY (r.open_shards) AND a.acked_at > r.at
						AND a.shard_id NOT IN (SELECT unnest(open_shards) FROM reshard_log p
											   WHERE p.step = r.step - 1))}),
	'', 'after each reshard, records were written to the shards it opened');


# ---------------------------------------------------------------------------
# What each consumer read

foreach my $c (1, 2)
{
	my $sp = "SET search_path = c$c, public;\n";
	$node->safe_psql(
		$db, $sp . q{
		CREATE INDEX ON seen (shard_id, sequence_number);
		ALTER TABLE seen ADD counter int;
		UPDATE seen SET counter = split_part(data, ':', 2)::int;
		ANALYZE seen, acked;
	});
	note "consumer $c: " . $node->safe_psql(
		$db, $sp . q{
		SELECT format('read %s records in %s calls and %s rounds; leases: %s',
					  (SELECT count(*) FROM seen), (SELECT calls FROM consumer_end),
					  (SELECT rounds FROM consumer_end),
					  (SELECT string_agg(format('%s %s%s', shard_id, state,
												coalesce(' (' || note || ')', '')), ', '
										 ORDER BY shard_id) FROM leases))});

	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(format('%s %s %s:%s', a.shard_id, a.sequence_number, a.partition_key,
								 a.counter), '; ')
		FROM acked a
		WHERE NOT EXISTS (SELECT FROM seen s WHERE s.shard_id = a.shard_id
						  AND s.sequence_number = a.sequence_number)}),
		'', "consumer $c: read every committed record");
	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(format('%s %s read %s times', shard_id, sequence_number, n), '; ')
		FROM (SELECT shard_id, sequence_number, count(*) AS n FROM seen
			  GROUP BY 1, 2 HAVING count(*) > 1) d}),
		'', "consumer $c: never the same record twice");
	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(format('%s %s %s', s.shard_id, s.sequence_number, s.data), '; ')
		FROM seen s LEFT JOIN acked a ON a.shard_id = s.shard_id AND a.sequence_number = s.sequence_number
		WHERE a.partition_key IS DISTINCT FROM s.partition_key
		   OR s.data IS DISTINCT FROM a.partition_key || ':' || a.counter}),
		'', "consumer $c: and only committed records, each with its shard, sequence number, key and data");
	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(format('%s: %s', partition_key, counters), '; ')
		FROM (SELECT partition_key, array_agg(counter ORDER BY id) AS counters FROM seen
			  GROUP BY partition_key) x
		WHERE counters <> ARRAY(SELECT generate_series(1, cardinality(counters)))}),
		'', "consumer $c: for each key, the consumer read the counters in order 1, 2, 3, ... without gap");
	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(format('%s: %s after %s', shard_id, sequence_number, prev), '; ')
		FROM (SELECT shard_id, sequence_number,
					 lag(sequence_number) OVER (PARTITION BY shard_id ORDER BY id) AS prev
			  FROM seen) x
		WHERE sequence_number <= prev}),
		'', "consumer $c: within each shard, sequence numbers increase in the order read");

	# Lineage as the consumer saw it

	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(format('%s started at %s before parent %s finished at %s', c.shard_id,
								 c.started_ev, p.shard_id, p.finished_ev), '; ')
		FROM leases c JOIN leases p ON p.shard_id = ANY (c.parents)
		WHERE c.started_ev IS NOT NULL AND (p.finished_ev IS NULL OR p.finished_ev > c.started_ev)}),
		'', "consumer $c: started every shard after its parents had ended");
	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(format('%s: %s', shard_id, note), '; ') FROM leases
		WHERE state = 'vanished' AND note <> 'gone before it was started'}),
		'', "consumer $c: no shard disappeared while the consumer was reading it");
	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(shard_id || ' ' || state, ', ') FROM leases
		WHERE state NOT IN ('finished', 'vanished')
		  AND shard_id NOT IN (SELECT shard_id FROM stream.list_shards('rs', 'AT_LATEST'))}),
		'', "consumer $c: read every closed shard it started to its end");
	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(shard_id || ' ' || state, ', ') FROM leases
		WHERE shard_id IN (SELECT shard_id FROM stream.list_shards('rs', 'AT_LATEST'))
		  AND state <> 'reading'}),
		'', "consumer $c: was reading every open shard at the end");
	cmp_ok(
		$node->safe_psql(
			$db, $sp . q{SELECT count(*) FROM leases WHERE state = 'finished'}),
		'>=', 6, "consumer $c: read at least 6 closed shards to their end");
	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(format('%s [%s, %s]: %s', p.shard_id, p.starting_hash_key, p.ending_hash_key,
								 p.child_shards), '; ')
		FROM leases p
		WHERE p.state = 'finished'
		  AND NOT coalesce((
			SELECT bool_and(e->'ParentShards' ? p.shard_id)
				   AND min((e->'HashKeyRange'->>'StartingHashKey')::numeric) <= p.starting_hash_key
				   AND max((e->'HashKeyRange'->>'EndingHashKey')::numeric) >= p.ending_hash_key
				   AND sum((e->'HashKeyRange'->>'EndingHashKey')::numeric
						   - (e->'HashKeyRange'->>'StartingHashKey')::numeric + 1)
					   = max((e->'HashKeyRange'->>'EndingHashKey')::numeric)
						 - min((e->'HashKeyRange'->>'StartingHashKey')::numeric) + 1
				   AND count(*) BETWEEN 1 AND 2
			FROM jsonb_array_elements(p.child_shards) e), false)}),
		'', "consumer $c: at the end of each closed shard, child_shards named children that cover it and name it");
	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(format('%s: %s > ending %s', s.shard_id, s.sequence_number,
								 l.ending_sequence_number), '; ')
		FROM seen s JOIN stream.list_shards('rs') l USING (shard_id)
		WHERE s.sequence_number > l.ending_sequence_number}),
		'', "consumer $c: no record of a closed shard lies beyond its ending sequence number");
}

is( $node->safe_psql(
		$db, q{
	SELECT string_agg(format('%s starts at %s, parent %s ends at %s', c.shard_id,
							 c.starting_sequence_number, p.shard_id, p.ending_sequence_number), '; ')
	FROM stream.list_shards('rs') c JOIN stream.list_shards('rs') p
		ON p.shard_id IN (c.parent_shard_id, c.adjacent_parent_shard_id)
	WHERE c.starting_sequence_number <= p.ending_sequence_number}),
	'', 'every child starts above its parents\' ending sequence numbers');

# No error of any kind in the server log.
no_errors_logged($node);

$node->stop;
note sprintf('the test took %.1f s', time() - $started);
done_testing();
