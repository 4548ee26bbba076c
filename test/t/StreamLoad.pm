# Producers, Kinesis Client Library-style consumers and the checks of what
# they wrote and read, for the TAP tests that put a stream under load:
# 020_expiry_under_load.pl (maintenance passes drop expired segments),
# 030_reshard_under_load.pl (resharded by hand) and
# 040_on_demand_under_load.pl (resharded by the maintenance worker's
# on-demand scaling).  A test loads it with
#
#   use FindBin;
#   use lib $FindBin::RealBin;
#   use StreamLoad;
#
# setup_stream_load() makes, in the test's database, the tables, functions
# and procedures below, all working on the one stream it is given:
#
#   control       one row: the stream's name; producers_done and
#                 reshard_done, which the test sets and the consumers wait
#                 for; key_rate, the pace of produce_retrying; pause, by
#                 which produce multiplies its pauses (1, or 0 to write flat
#                 out).
#   counters      the partition keys, the producer that owns each, and each
#                 key's next counter, the counters of a key going 1, 2, 3, ...
#   record_data(k, c)   the data of counter c of key k: "key:counter", or,
#                 when the test gives a record size, "key:counter:" padded
#                 to that size, so that the records of a test can fill its
#                 segments.  Either way a check can tell from the key and
#                 the counter what the data must be, and read the counter
#                 back from the data.
#   acked         what the producers were acknowledged, written in the same
#                 transaction as the records, so that it holds exactly the
#                 committed records (a rolled-back counter is written again).
#   producer_end  what each produce_retrying call did (rounds, attempts,
#                 throttled attempts).
#   c1, c2, ...   one schema per consumer: its leases (shards and their
#                 state), what it read (seen) in the order it read it, and
#                 consumer_end.  A consumer's session puts its schema first
#                 in its search_path.
#
#   produce(p, mode, secs)   producer p for secs seconds, with quotas off:
#       'single'  put_record in autocommit;
#       'batch'   put_records batches of 1 to 30 records (both forms),
#                 several records of the same key in a batch;
#       'txn'     transactions of 2 to 5 put_record calls with short sleeps
#                 in between, every seventh rolled back.
#   produce_retrying(p, mode, burst)   producer p, which retries what the
#       per-shard quotas throttle, until control.producers_done.
#   consume(max_secs, lim, late)   the consumer of the schema first in the
#       search_path.
#
# test/run runs only test/t/*.pl, so prove never takes this file for a test.

package StreamLoad;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(
  setup_stream_load
  check_committed
  check_consumer
  check_children_after_parents
);

# Makes the tables, functions and procedures above for stream $stream (which
# the caller creates), with the keys and owners that $keys_query returns as
# rows (partition_key text, producer int).  Options:
#   consumers => N        how many consumer schemas (default 2)
#   record_size => '...'  an SQL expression of k (the key, text) and c (the
#                         counter, int): the size in bytes to pad each
#                         record's data to (never less than "key:counter:")
#   pause => 0            what produce multiplies its pauses by (default 1)
sub setup_stream_load
{
	my ($node, $db, $stream, $keys_query, %opt) = @_;
	my $consumers = $opt{consumers} // 2;
	my $pause = $opt{pause} // 1;
	# The padding is the MD5 of "key:counter", repeated: it differs from
	# record to record, so that a record read with another's data shows.
	my $data =
	  defined $opt{record_size}
	  ? "rpad(k || ':' || c || ':', greatest(($opt{record_size})::int, length(k || ':' || c || ':')),
				md5(k || ':' || c))"
	  : "k || ':' || c";
	$node->safe_psql(
		$db, qq{
CREATE TABLE control (stream_name text NOT NULL, producers_done boolean NOT NULL,
					  reshard_done boolean NOT NULL, key_rate float8, pause float8 NOT NULL);
INSERT INTO control VALUES ('$stream', false, false, NULL, $pause);

-- The keys, their owners and their next counters.
CREATE TABLE counters (partition_key text PRIMARY KEY, producer int NOT NULL, next int NOT NULL);
INSERT INTO counters SELECT k.partition_key, k.producer, 1 FROM ($keys_query) k(partition_key, producer);

-- The data of counter c of key k, which the producers write and the checks
-- expect.
CREATE FUNCTION record_data(k text, c int) RETURNS text
	LANGUAGE sql IMMUTABLE AS \$\$ SELECT $data \$\$;

-- What the producers were acknowledged, in the records' own transactions.
CREATE TABLE acked (partition_key text, counter int, producer int, shard_id text,
					sequence_number numeric, acked_at timestamptz,
					PRIMARY KEY (partition_key, counter));

CREATE TABLE producer_end (producer int, mode text, rounds bigint, attempts bigint,
						   throttled bigint, ended_at timestamptz);

-- Each consumer's leases and what it read, in the order it read it, in its
-- own schema (c1, c2, ...), which its session puts first in its search_path.
DO \$\$
BEGIN
	FOR c IN 1 .. $consumers LOOP
		EXECUTE format('CREATE SCHEMA c%s', c);
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
	st text := (SELECT stream_name FROM control);
	pause_by float8 := (SELECT pause FROM control);
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
				FROM stream.put_record(st, k, convert_to(record_data(k, c), 'UTF8')) r;
			UPDATE counters SET next = next + 1 WHERE partition_key = k;
			COMMIT;
			PERFORM pg_sleep(0.002 * pause_by);
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
				FROM stream.put_records(st, bkeys,
										ARRAY(SELECT convert_to(record_data(bkeys[j], bctrs[j]), 'UTF8')
											  FROM generate_series(1, batch) j ORDER BY j)) x;
			ELSE
				SELECT array_agg(x.shard_id ORDER BY x.ordinality),
					   array_agg(x.sequence_number ORDER BY x.ordinality),
					   count(*) FILTER (WHERE x.error_code IS NOT NULL),
					   string_agg(x.error_code || ': ' || x.error_message, '; ')
				INTO rshards, rseqs, nerr, errs
				FROM stream.put_records(st,
						ARRAY(SELECT ROW(convert_to(record_data(bkeys[j], bctrs[j]), 'UTF8'), bkeys[j],
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
			PERFORM pg_sleep(0.03 * pause_by);
		ELSE
			-- a small transaction of put_record calls; every seventh rolls back
			tx := tx + 1;
			FOR j IN 1 .. 2 + tx % 4 LOOP
				k := keys[1 + (i + j) % nk];
				SELECT next INTO c FROM counters WHERE partition_key = k;
				INSERT INTO acked
					SELECT k, c, p, r.shard_id, r.sequence_number, clock_timestamp()
					FROM stream.put_record(st, k, convert_to(record_data(k, c), 'UTF8')) r;
				UPDATE counters SET next = next + 1 WHERE partition_key = k;
				PERFORM pg_sleep(0.003 * pause_by);
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

-- A producer that retries the records the per-shard quotas throttle, as a
-- Kinesis producer must, until control.producers_done.  Each round offers
-- one record for each of its keys: the key's next counter, or again the one
-- throttled in the round before, so that counter n + 1 of a key is never
-- written before counter n was acknowledged (a put_records call may fail
-- some records and write the ones after them).  Rounds are paced to
-- control.key_rate a second, counting the time the round took, but the
-- first "burst" rounds go back to back, as a producer catching up would; a
-- round in which a record was throttled is followed by a short backoff.
--   'single'  put_record in autocommit, KS001 caught;
--   'batch'   one put_records call a round, the two forms in turn, the
--             records with error_code ProvisionedThroughputExceededException
--             (and NULL shard_id) retried.
CREATE PROCEDURE produce_retrying(p int, mode text, burst int DEFAULT 0)
	LANGUAGE plpgsql AS \$\$
DECLARE
	st text := (SELECT stream_name FROM control);
	keys text[];
	nk int;
	done boolean;
	rate float8;
	t_round timestamptz;
	rounds bigint := 0;
	attempts bigint := 0;
	throttled bigint := 0;
	round_throttled int;
	k text;
	c int;
	bctrs int[];
	rshards text[];
	rseqs numeric[];
	rerrs text[];
	errs text;
BEGIN
	SELECT array_agg(partition_key ORDER BY partition_key) INTO keys FROM counters WHERE producer = p;
	nk := cardinality(keys);
	LOOP
		SELECT producers_done, key_rate INTO done, rate FROM control;
		EXIT WHEN done;
		IF coalesce(rate, 0) <= 0 THEN
			PERFORM pg_sleep(0.05);
			CONTINUE;
		END IF;
		t_round := clock_timestamp();
		rounds := rounds + 1;
		round_throttled := 0;
		IF mode = 'single' THEN
			FOREACH k IN ARRAY keys LOOP
				SELECT next INTO c FROM counters WHERE partition_key = k;
				BEGIN
					INSERT INTO acked
						SELECT k, c, p, r.shard_id, r.sequence_number, clock_timestamp()
						FROM stream.put_record(st, k, convert_to(record_data(k, c), 'UTF8')) r;
					UPDATE counters SET next = next + 1 WHERE partition_key = k;
				EXCEPTION WHEN SQLSTATE 'KS001' THEN
					round_throttled := round_throttled + 1;
				END;
				COMMIT;
			END LOOP;
		ELSE
			SELECT array_agg(ct.next ORDER BY u.ord) INTO bctrs
			FROM unnest(keys) WITH ORDINALITY u(k, ord) JOIN counters ct ON ct.partition_key = u.k;
			IF rounds % 2 = 0 THEN
				SELECT array_agg(x.shard_id ORDER BY x.ordinality),
					   array_agg(x.sequence_number ORDER BY x.ordinality),
					   array_agg(x.error_code ORDER BY x.ordinality)
				INTO rshards, rseqs, rerrs
				FROM stream.put_records(st, keys,
										ARRAY(SELECT convert_to(record_data(keys[j], bctrs[j]), 'UTF8')
											  FROM generate_series(1, nk) j ORDER BY j)) x;
			ELSE
				SELECT array_agg(x.shard_id ORDER BY x.ordinality),
					   array_agg(x.sequence_number ORDER BY x.ordinality),
					   array_agg(x.error_code ORDER BY x.ordinality)
				INTO rshards, rseqs, rerrs
				FROM stream.put_records(st,
						ARRAY(SELECT ROW(convert_to(record_data(keys[j], bctrs[j]), 'UTF8'), keys[j],
										 NULL)::stream.put_records_request_entry
							  FROM generate_series(1, nk) j ORDER BY j)) x;
			END IF;
			-- Throttling is the only failure a record may have here.
			SELECT string_agg(format('%s: %s %s', j, rerrs[j], rshards[j]), '; ') INTO errs
			FROM generate_series(1, nk) j
			WHERE NOT coalesce(rerrs[j] IS NULL AND rshards[j] IS NOT NULL AND rseqs[j] IS NOT NULL
							   OR rerrs[j] = 'ProvisionedThroughputExceededException'
								  AND rshards[j] IS NULL AND rseqs[j] IS NULL, false);
			IF errs IS NOT NULL THEN
				RAISE EXCEPTION 'producer %: unexpected put_records results: %', p, errs;
			END IF;
			INSERT INTO acked
				SELECT keys[j], bctrs[j], p, rshards[j], rseqs[j], clock_timestamp()
				FROM generate_series(1, nk) j WHERE rerrs[j] IS NULL;
			UPDATE counters ct SET next = ct.next + 1
				FROM generate_series(1, nk) j
				WHERE ct.partition_key = keys[j] AND rerrs[j] IS NULL;
			round_throttled := cardinality(array_positions(rerrs, 'ProvisionedThroughputExceededException'));
			COMMIT;
		END IF;
		attempts := attempts + nk;
		throttled := throttled + round_throttled;
		PERFORM pg_sleep(CASE WHEN rounds <= burst THEN 0
							  ELSE greatest(0, 1 / rate - extract(epoch FROM clock_timestamp() - t_round))
						 END
						 + CASE WHEN round_throttled > 0 THEN 0.05 ELSE 0 END);
	END LOOP;
	INSERT INTO producer_end VALUES (p, mode, rounds, attempts, throttled, clock_timestamp());
END
\$\$;

-- A consumer, one get_records call per transaction, "lim" records at most
-- per call.  With "late", it starts only once the writes and reshards are
-- over, and so has every shard's lineage to go through.
CREATE PROCEDURE consume(max_secs float8, lim int, late boolean)
	LANGUAGE plpgsql AS \$\$
DECLARE
	st text := (SELECT stream_name FROM control);
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
	CREATE TEMP TABLE listed AS SELECT * FROM stream.list_shards(st) WITH NO DATA;
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
		INSERT INTO listed SELECT * FROM stream.list_shards(st);
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
				it := stream.get_shard_iterator(st, l.shard_id, 'TRIM_HORIZON');
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
	return;
}

# Checks what the producers committed: every producer committed records, and
# each key's committed counters are 1 .. n.
sub check_committed
{
	my ($node, $db) = @_;
	note $node->safe_psql(
		$db, q{
	SELECT format('%s records committed (%s by producers %s) in %s shards',
				  sum(n), string_agg(n::text, ', ' ORDER BY producer),
				  string_agg(producer::text, ', ' ORDER BY producer),
				  (SELECT count(DISTINCT shard_id) FROM acked))
	FROM (SELECT producer, count(*) AS n FROM acked GROUP BY producer) x});
	cmp_ok($node->safe_psql($db, 'SELECT count(DISTINCT producer) FROM acked'),
		'==', $node->safe_psql($db, 'SELECT count(DISTINCT producer) FROM counters'),
		'every producer committed records');
	is( $node->safe_psql(
			$db, q{
		SELECT string_agg(partition_key, ', ') FROM (
			SELECT partition_key FROM acked GROUP BY partition_key
			HAVING min(counter) <> 1 OR max(counter) <> count(*)) x}),
		'',
		"each key's committed counters are 1 .. n, with no gap (a rolled-back or throttled counter was written again)"
	);
	return;
}

# Checks what consumer $c read of stream $stream, once the writes are over:
# every committed record exactly once, with its shard, sequence number, key
# and data, and nothing else; each key's counters in order; shards started
# after their parents ended, closed shards read to their end (at least
# $min_finished of them), and child_shards that cover their parent.
sub check_consumer
{
	my ($node, $db, $stream, $c, $min_finished) = @_;
	my $sp = "SET search_path = c$c, public;\n";
	$node->safe_psql(
		$db, $sp . q{
		CREATE INDEX ON seen (shard_id, sequence_number);
		ALTER TABLE seen ADD counter int;
		UPDATE seen SET counter = split_part(data, ':', 2)::int;
		ANALYZE seen, acked;
	});
	note "consumer $c: "
	  . $node->safe_psql(
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
		'',
		"consumer $c: read every committed record");
	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(format('%s %s read %s times', shard_id, sequence_number, n), '; ')
		FROM (SELECT shard_id, sequence_number, count(*) AS n FROM seen
			  GROUP BY 1, 2 HAVING count(*) > 1) d}),
		'',
		"consumer $c: never the same record twice");
	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(format('%s %s %s', s.shard_id, s.sequence_number, s.data), '; ')
		FROM seen s LEFT JOIN acked a ON a.shard_id = s.shard_id AND a.sequence_number = s.sequence_number
		WHERE a.partition_key IS DISTINCT FROM s.partition_key
		   OR s.data IS DISTINCT FROM record_data(a.partition_key, a.counter)}),
		'',
		"consumer $c: and only committed records, each with its shard, sequence number, key and data"
	);
	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(format('%s: %s', partition_key, counters), '; ')
		FROM (SELECT partition_key, array_agg(counter ORDER BY id) AS counters FROM seen
			  GROUP BY partition_key) x
		WHERE counters <> ARRAY(SELECT generate_series(1, cardinality(counters)))}),
		'',
		"consumer $c: for each key, the consumer read the counters in order 1, 2, 3, ... without gap"
	);
	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(format('%s: %s after %s', shard_id, sequence_number, prev), '; ')
		FROM (SELECT shard_id, sequence_number,
					 lag(sequence_number) OVER (PARTITION BY shard_id ORDER BY id) AS prev
			  FROM seen) x
		WHERE sequence_number <= prev}),
		'',
		"consumer $c: within each shard, sequence numbers increase in the order read");

	# Lineage as the consumer saw it

	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(format('%s started at %s before parent %s finished at %s', c.shard_id,
								 c.started_ev, p.shard_id, p.finished_ev), '; ')
		FROM leases c JOIN leases p ON p.shard_id = ANY (c.parents)
		WHERE c.started_ev IS NOT NULL AND (p.finished_ev IS NULL OR p.finished_ev > c.started_ev)}),
		'',
		"consumer $c: started every shard after its parents had ended");
	is( $node->safe_psql(
			$db, $sp . q{
		SELECT string_agg(format('%s: %s', shard_id, note), '; ') FROM leases
		WHERE state = 'vanished' AND note <> 'gone before it was started'}),
		'',
		"consumer $c: no shard disappeared while the consumer was reading it");
	is( $node->safe_psql(
			$db, $sp . qq{
		SELECT string_agg(shard_id || ' ' || state, ', ') FROM leases
		WHERE state NOT IN ('finished', 'vanished')
		  AND shard_id NOT IN (SELECT shard_id FROM stream.list_shards('$stream', 'AT_LATEST'))}),
		'',
		"consumer $c: read every closed shard it started to its end");
	is( $node->safe_psql(
			$db, $sp . qq{
		SELECT string_agg(shard_id || ' ' || state, ', ') FROM leases
		WHERE shard_id IN (SELECT shard_id FROM stream.list_shards('$stream', 'AT_LATEST'))
		  AND state <> 'reading'}),
		'',
		"consumer $c: was reading every open shard at the end");
	cmp_ok(
		$node->safe_psql(
			$db, $sp . q{SELECT count(*) FROM leases WHERE state = 'finished'}),
		'>=', $min_finished,
		"consumer $c: read at least $min_finished closed shards to their end");
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
		'',
		"consumer $c: at the end of each closed shard, child_shards named children that cover it and name it"
	);
	is( $node->safe_psql(
			$db, $sp . qq{
		SELECT string_agg(format('%s: %s > ending %s', s.shard_id, s.sequence_number,
								 l.ending_sequence_number), '; ')
		FROM seen s JOIN stream.list_shards('$stream') l USING (shard_id)
		WHERE s.sequence_number > l.ending_sequence_number}),
		'',
		"consumer $c: no record of a closed shard lies beyond its ending sequence number"
	);
	return;
}

# Checks that every child shard of stream $stream starts above its parents'
# ending sequence numbers.
sub check_children_after_parents
{
	my ($node, $db, $stream) = @_;
	is( $node->safe_psql(
			$db, qq{
		SELECT string_agg(format('%s starts at %s, parent %s ends at %s', c.shard_id,
								 c.starting_sequence_number, p.shard_id, p.ending_sequence_number), '; ')
		FROM stream.list_shards('$stream') c JOIN stream.list_shards('$stream') p
			ON p.shard_id IN (c.parent_shard_id, c.adjacent_parent_shard_id)
		WHERE c.starting_sequence_number <= p.ending_sequence_number}),
		'',
		'every child starts above its parents\' ending sequence numbers');
	return;
}

1;
