\set ECHO none
\i test/sql/lib/setup.sql
-- Retention: records leave by whole segments once they are past their
-- stream's retention period, by CALL stream.run_maintenance().
--
--  * records are readable before the retention period, gone after it (and the
--    passes that seal and then drop their segment);
--  * TRIM_HORIZON then starts at the oldest retained record; an iterator
--    positioned in a segment that expired, and AT_ / AFTER_SEQUENCE_NUMBER with
--    an expired sequence number, continue from the oldest retained record;
--  * decreasing the retention expires the older records at the next pass;
--    increasing it does not bring back what expired;
--  * segments roll at stream.segment_size; the relations of dropped segments
--    are gone from pg_class; a pass right after a pass changes nothing;
--    list_shards still lists the open shards; a pass with no streams works.
--
-- Not here: a closed shard whose records have all expired is no longer
-- listed.  Shards can only be closed by resharding, which does not exist
-- yet; the test belongs with it.
--
-- Everything runs in one transaction (the maintenance passes this file calls
-- see its own streams); time passes with pg_sleep, about 6 seconds in all.
-- Arrival times and the expiry horizon follow the wall clock
-- (clock_timestamp()), not now().
--
-- Timeline (retention of stream "exp": 5 s), t in seconds:
--   t=0    "old" records, iterators taken
--   t=2    pass (seals the old segment), pass again (changes nothing),
--          "new" records
--   t=3.5  pass: the old records are 3.5 s old and still readable;
--          stream "dec" is cut to 2 s of retention, and its records go
--   t=6    pass: the old records (6 s old) are gone, the new (4 s) are not
BEGIN;
SELECT plan(54);

SET LOCAL client_min_messages = warning;
SET LOCAL stream.min_retention_period = '1s';
SET LOCAL stream.segment_size = '128kB';

-- A pass that finds another one running skips.  A background worker's pass
-- may be running in this database right now: wait for it, so that the passes
-- this file calls are never skipped.  (Its later passes skip while this
-- transaction holds the lock; they would not see this file's streams anyway.)
SELECT pg_advisory_xact_lock(hashtext('stream.run_maintenance'));

----------------------------------------------------------------------------
-- No streams at all (this transaction does not see those of others).
----------------------------------------------------------------------------

SELECT stream.delete_stream(stream_name, true) FROM stream.list_streams();
SELECT is((SELECT count(*) FROM stream.streams), 0::bigint, 'there are no streams');
SELECT lives_ok('CALL stream.run_maintenance()', 'run_maintenance with no streams works');
SELECT is((SELECT count(*) FROM stream.segments), 0::bigint,
		  '... and creates no segments');

----------------------------------------------------------------------------
-- Helpers
----------------------------------------------------------------------------

-- The partition keys a stream retains in a shard, in sequence number order.
CREATE FUNCTION pg_temp.keys(p_stream text, p_shard text) RETURNS text
	LANGUAGE sql AS $$
	SELECT coalesce(string_agg(partition_key, ',' ORDER BY sequence_number), '')
	FROM stream.read(p_stream, p_shard)
$$;

-- The partition keys from an iterator to the end of its shard, following
-- next_shard_iterator, a few records per call so that the reads cross
-- segments; raises an error if a sequence number does not increase.
CREATE FUNCTION pg_temp.drain(it text) RETURNS text
	LANGUAGE plpgsql AS $$
DECLARE
	res record;
	r stream.record;
	keys text[] := '{}';
	last numeric;
BEGIN
	FOR i IN 1 .. 1000 LOOP
		SELECT * INTO res FROM stream.get_records(it, 4);
		FOREACH r IN ARRAY coalesce(res.records, '{}') LOOP
			IF last IS NOT NULL AND r.sequence_number <= last THEN
				RAISE EXCEPTION 'sequence number % after %', r.sequence_number, last;
			END IF;
			last := r.sequence_number;
			keys := keys || r.partition_key;
		END LOOP;
		IF coalesce(cardinality(res.records), 0) = 0 AND res.millis_behind_latest = 0 THEN
			RETURN array_to_string(keys, ',');
		END IF;
		it := res.next_shard_iterator;
	END LOOP;
	RAISE EXCEPTION 'no end after 1000 get_records calls';
END
$$;

-- The first record an iterator returns.
CREATE FUNCTION pg_temp.first_seq(it text) RETURNS numeric
	LANGUAGE sql AS $$
	SELECT (g.records[1]).sequence_number FROM stream.get_records(it, 1) g
$$;

-- Expected key lists: prefix-01, ..., prefix-n.
CREATE FUNCTION pg_temp.list(prefix text, n int) RETURNS text
	LANGUAGE sql AS $$
	SELECT string_agg(prefix || '-' || lpad(i::text, 2, '0'), ',' ORDER BY i)
	FROM generate_series(1, n) i
$$;

-- Writes n records prefix-01 ... to one shard of a 2-shard stream (0 or 1).
CREATE FUNCTION pg_temp.put(p_stream text, prefix text, n int, shard int,
							size int DEFAULT 10) RETURNS void
	LANGUAGE sql AS $$
	SELECT count(stream.put_record(p_stream, prefix || '-' || lpad(i::text, 2, '0'),
								   convert_to(repeat('x', size), 'UTF8'),
								   shard * (2::numeric ^ 127)))
	FROM generate_series(1, n) i
$$;

-- The segment that holds a sequence number.
CREATE FUNCTION pg_temp.segment_of(seq numeric) RETURNS int
	LANGUAGE sql AS $$ SELECT div(seq, 1099511627776)::int $$;

-- Everything a pass may change, of every segment of some streams.
CREATE FUNCTION pg_temp.segments_state(streams text[]) RETURNS text
	LANGUAGE sql AS $$
	SELECT string_agg(format('%s/%s/%s:%s %s %s %s', g.stream_id, g.shard_no, g.segment_no,
							 g.relation::oid, i.sealed, i.records, i.blocks),
					  '; ' ORDER BY g.stream_id, g.segment_no)
	FROM stream.segments g JOIN stream.streams s USING (stream_id),
		 stream_internal.segment_info(g.relation) i
	WHERE s.stream_name = ANY (streams)
$$;

-- The segments of a stream.
CREATE FUNCTION pg_temp.segs(p_stream text)
	RETURNS TABLE(shard_no int, segment_no int, relation oid, sealed boolean, records bigint,
				  blocks bigint)
	LANGUAGE sql AS $$
	SELECT g.shard_no, g.segment_no, g.relation::oid, i.sealed, i.records, i.blocks
	FROM stream.segments g JOIN stream.streams s USING (stream_id),
		 stream_internal.segment_info(g.relation) i
	WHERE s.stream_name = p_stream
	ORDER BY g.segment_no
$$;

----------------------------------------------------------------------------
-- t=0: three streams
--   exp   2 shards, 5 s of retention: expiry and iterators
--   dec   1 shard, 1 hour, then cut to 2 s
--   roll  1 shard, 1 hour: segments rolling at the size limit
----------------------------------------------------------------------------

SELECT stream.create_stream('exp', 2), stream.create_stream('dec', 1),
	   stream.create_stream('roll', 1);
SELECT stream.set_retention_period('exp', '5 seconds'),
	   stream.set_retention_period('dec', '1 hour'),
	   stream.set_retention_period('roll', '1 hour');

SELECT lives_ok('CALL stream.run_maintenance()', 'run_maintenance with new streams works');
SELECT is((SELECT string_agg(format('%s:%s', shard_no, n), ',' ORDER BY shard_no)
		   FROM (SELECT shard_no, count(*) AS n,
						bool_or(sealed) AS any_sealed, sum(records) AS recs
				 FROM pg_temp.segs('exp') GROUP BY shard_no) x
		   WHERE NOT any_sealed AND recs = 0),
		  '0:2,1:2',
		  'a pass keeps one empty segment ready after the one being written');

SELECT pg_temp.put('exp', 'old', 10, 0), pg_temp.put('exp', 'oldb', 10, 1);
SELECT sequence_number AS old01 FROM stream.read('exp', 'shardId-000000000000')
	ORDER BY sequence_number LIMIT 1 \gset
SELECT sequence_number AS old05 FROM stream.read('exp', 'shardId-000000000000')
	ORDER BY sequence_number OFFSET 4 LIMIT 1 \gset
SELECT pg_temp.segment_of(:old01) AS old_segment \gset
SELECT relation::oid AS old_segment_oid FROM stream.segments WHERE segment_no = :old_segment
	AND stream_id = (SELECT stream_id FROM stream.streams WHERE stream_name = 'exp') \gset

SELECT is(pg_temp.keys('exp', 'shardId-000000000000'), pg_temp.list('old', 10),
		  'exp shard 0 holds the old records');
SELECT is(pg_temp.keys('exp', 'shardId-000000000001'), pg_temp.list('oldb', 10),
		  'exp shard 1 holds the old records');

-- An iterator at the trim horizon, and one moved three records into the
-- old segment.
SELECT stream.get_shard_iterator('exp', 'shardId-000000000000', 'TRIM_HORIZON') AS it_th \gset
SELECT array_to_string(ARRAY(SELECT r.partition_key FROM unnest(g.records) r), ',') AS first3,
	   g.next_shard_iterator AS it_mid
	FROM stream.get_records(:'it_th', 3) g \gset
SELECT is(:'first3'::text, 'old-01,old-02,old-03', 'get_records reads the first three old records');

-- dec: 200 records of 1000 bytes (about 29 pages), so that the first
-- segment fills and is sealed and the rest goes to the next one.
SELECT pg_temp.put('dec', 'dec', 99, 0, 1000), pg_temp.put('dec', 'dec2', 99, 0, 1000);
SELECT cmp_ok((SELECT count(*) FROM pg_temp.segs('dec') WHERE records > 0), '>=', 2::bigint,
			  'dec: the records fill more than one segment');

-- roll: 300 records of 1000 bytes (about 43 pages, 2.6 times the segment
-- size), with a pass after every 50 as a background worker would run them.
DO $$
BEGIN
	FOR b IN 1 .. 6 LOOP
		PERFORM pg_temp.put('roll', 'a' || b, 50, 0, 1000);
		CALL stream.run_maintenance();
	END LOOP;
END
$$;
SELECT cmp_ok((SELECT count(*) FROM pg_temp.segs('roll') WHERE records > 0), '>=', 3::bigint,
			  'roll: 300 kB written to a shard make at least three segments');
SELECT is((SELECT sum(records) FROM pg_temp.segs('roll')), 300::numeric,
		  'roll: the segments hold the 300 records');
SELECT is((SELECT string_agg(segment_no::text, ',') FROM pg_temp.segs('roll')
		   WHERE sealed AND blocks NOT BETWEEN 16 AND 17),
		  NULL, 'roll: each sealed segment was sealed at 128 kB (16 data blocks)');
SELECT is((SELECT string_agg(segment_no::text, ',') FROM pg_temp.segs('roll')
		   WHERE blocks > 17),
		  NULL, 'roll: no segment grew past the size limit');
SELECT is((SELECT count(*) FROM pg_temp.segs('roll') WHERE NOT sealed), 2::bigint,
		  'roll: the segment being written and an empty one after it are not sealed');
SELECT is(pg_temp.drain(stream.get_shard_iterator('roll', 'shardId-000000000000',
												  'TRIM_HORIZON')),
		  (SELECT string_agg(pg_temp.list('a' || b, 50), ',' ORDER BY b)
		   FROM generate_series(1, 6) b),
		  'roll: get_records reads the 300 records in order across the segments');
SELECT is((SELECT count(DISTINCT pg_temp.segment_of(sequence_number))
		   FROM stream.read('roll')),
		  (SELECT count(*) FROM pg_temp.segs('roll') WHERE records > 0),
		  'roll: stream.read reads from every segment that holds records');

----------------------------------------------------------------------------
-- t=2
----------------------------------------------------------------------------

SELECT pg_sleep(2);
CALL stream.run_maintenance();
SELECT pg_temp.segments_state('{exp,dec,roll}') AS state1 \gset
CALL stream.run_maintenance();
SELECT is(pg_temp.segments_state('{exp,dec,roll}'), :'state1',
		  'a second pass right after the first changes nothing');
SELECT is((SELECT sealed FROM pg_temp.segs('exp') WHERE segment_no = :old_segment), true,
		  'the pass sealed the old segment (older than retention / 20)');
SELECT is((SELECT count(*) FROM pg_temp.segs('exp') WHERE NOT sealed AND records = 0
		   GROUP BY shard_no ORDER BY shard_no LIMIT 1), 2::bigint,
		  '... and made the next one, plus one ahead');

SELECT pg_temp.put('exp', 'new', 10, 0), pg_temp.put('exp', 'newb', 10, 1);
SELECT is((SELECT count(DISTINCT pg_temp.segment_of(sequence_number))
		   FROM stream.read('exp', 'shardId-000000000000')), 2::bigint,
		  'the new records went to a segment after the sealed one');

----------------------------------------------------------------------------
-- t=3.5: before the retention period of the old records
----------------------------------------------------------------------------

SELECT pg_sleep(1.5);
CALL stream.run_maintenance();
SELECT is(pg_temp.keys('exp', 'shardId-000000000000'),
		  pg_temp.list('old', 10) || ',' || pg_temp.list('new', 10),
		  'before their retention period, the old records are still readable');
SELECT is(pg_temp.drain(stream.get_shard_iterator('exp', 'shardId-000000000000',
												  'TRIM_HORIZON')),
		  pg_temp.list('old', 10) || ',' || pg_temp.list('new', 10),
		  '... from TRIM_HORIZON');
SELECT is(pg_temp.drain(:'it_mid'),
		  substr(pg_temp.list('old', 10), 22) || ',' || pg_temp.list('new', 10),
		  '... and from the iterator taken three records in');
SELECT ok(EXISTS (SELECT FROM pg_class WHERE oid = :old_segment_oid),
		  '... and their segment still exists');

-- Decrease: dec's records are 3.5 s old; cut its retention to 2 s.  The
-- first segment is sealed (it filled up); the second is being written.
SELECT min(segment_no) AS dec_first_segment FROM pg_temp.segs('dec') \gset
SELECT stream.set_retention_period('dec', '2 seconds');
SELECT is(pg_temp.keys('dec', 'shardId-000000000000'), '',
		  'dec: at once, before the next pass, the records older than the new retention are no longer returned');
CALL stream.run_maintenance();
SELECT is((SELECT count(*) FROM stream.read('dec')
		   WHERE pg_temp.segment_of(sequence_number) = :dec_first_segment), 0::bigint,
		  'dec: the pass after the decrease expires the records of the sealed segment');
SELECT is(pg_temp.keys('dec', 'shardId-000000000000'), '',
		  'dec: the pass after the decrease expires all the records older than the new retention');
CALL stream.run_maintenance();
SELECT is(pg_temp.keys('dec', 'shardId-000000000000'), '',
		  'dec: they are gone after a second pass');
SELECT is((SELECT count(*) FROM pg_temp.segs('dec') WHERE records > 0), 0::bigint,
		  'dec: no segment with records is left');
SELECT is(pg_temp.drain(stream.get_shard_iterator('dec', 'shardId-000000000000',
												  'TRIM_HORIZON')), '',
		  'dec: TRIM_HORIZON finds nothing');
SELECT lives_ok($$SELECT pg_temp.put('dec', 'after', 3, 0)$$,
				'dec: put_record works after the expiry');
SELECT is(pg_temp.keys('dec', 'shardId-000000000000'), pg_temp.list('after', 3),
		  'dec: and the new records are readable');

----------------------------------------------------------------------------
-- t=6: the old records (6 s) are past the retention period, the new (4 s)
-- are not.
----------------------------------------------------------------------------

SELECT pg_sleep(2.5);
CREATE TEMP TABLE before_expiry AS
	SELECT segment_no, relation FROM pg_temp.segs('exp');
CALL stream.run_maintenance();

SELECT is(pg_temp.keys('exp', 'shardId-000000000000'), pg_temp.list('new', 10),
		  'past their retention period, the old records are gone (shard 0)');
SELECT is(pg_temp.keys('exp', 'shardId-000000000001'), pg_temp.list('newb', 10),
		  'past their retention period, the old records are gone (shard 1)');
SELECT ok(NOT EXISTS (SELECT FROM stream.segments WHERE segment_no = :old_segment
					  AND stream_id = (SELECT stream_id FROM stream.streams
									   WHERE stream_name = 'exp')),
		  'the old segment is no longer in stream.segments');
SELECT cmp_ok((SELECT count(*) FROM before_expiry b
			   WHERE b.segment_no NOT IN (SELECT segment_no FROM pg_temp.segs('exp'))),
			  '>=', 2::bigint, 'the pass dropped the old segment of each shard');
SELECT is((SELECT count(*) FROM before_expiry b JOIN pg_class c ON c.oid = b.relation
		   WHERE b.segment_no NOT IN (SELECT segment_no FROM pg_temp.segs('exp'))),
		  0::bigint, 'the relations of the dropped segments no longer exist in pg_class');
SELECT ok(NOT EXISTS (SELECT FROM pg_class WHERE oid = :old_segment_oid),
		  'the old segment''s relation is gone');

SELECT is(pg_temp.drain(stream.get_shard_iterator('exp', 'shardId-000000000000',
												  'TRIM_HORIZON')),
		  pg_temp.list('new', 10), 'TRIM_HORIZON after the expiry reads the retained records');
SELECT is(pg_temp.first_seq(stream.get_shard_iterator('exp', 'shardId-000000000000',
													  'TRIM_HORIZON')),
		  (SELECT min(sequence_number) FROM stream.read('exp', 'shardId-000000000000')),
		  '... starting at the oldest retained record');
SELECT is(pg_temp.drain(:'it_mid'), pg_temp.list('new', 10),
		  'an iterator into the expired segment continues from the oldest retained record');
SELECT is(pg_temp.drain(:'it_th'), pg_temp.list('new', 10),
		  'a TRIM_HORIZON iterator taken before the expiry does too');
SELECT lives_ok(format($$SELECT stream.get_shard_iterator('exp', 'shardId-000000000000',
					   'AT_SEQUENCE_NUMBER', %s)$$, :old01),
				'AT_SEQUENCE_NUMBER with an expired sequence number is accepted');
SELECT is(pg_temp.drain(stream.get_shard_iterator('exp', 'shardId-000000000000',
												  'AT_SEQUENCE_NUMBER', :old01)),
		  pg_temp.list('new', 10), '... and starts at the trim horizon');
SELECT is(pg_temp.drain(stream.get_shard_iterator('exp', 'shardId-000000000000',
												  'AFTER_SEQUENCE_NUMBER', :old05)),
		  pg_temp.list('new', 10),
		  'AFTER_SEQUENCE_NUMBER with an expired sequence number starts at the trim horizon');
SELECT is(pg_temp.drain(stream.get_shard_iterator('exp', 'shardId-000000000001',
												  'TRIM_HORIZON')),
		  pg_temp.list('newb', 10), 'shard 1 reads its retained records too');
SELECT is((SELECT string_agg(shard_id, ',' ORDER BY shard_id) FROM stream.list_shards('exp')),
		  'shardId-000000000000,shardId-000000000001',
		  'list_shards still lists the open shards');
SELECT is((SELECT open_shard_count FROM stream.describe_stream_summary('exp')), 2,
		  'describe_stream_summary still counts them');
SELECT is((SELECT count(*) FROM stream.read('roll')), 300::bigint,
		  'roll (1 hour) keeps its records');

-- (Not dec: its last records, 2.5 s old, are in a segment the pass just
-- sealed, which the next pass drops.)
SELECT pg_temp.segments_state('{exp,roll}') AS state2 \gset
CALL stream.run_maintenance();
SELECT is(pg_temp.segments_state('{exp,roll}'), :'state2',
		  'a second pass after an expiry changes nothing');

-- Increase: nothing comes back.
SELECT stream.increase_stream_retention_period('exp', 48);
CALL stream.run_maintenance();
SELECT is(pg_temp.keys('exp', 'shardId-000000000000'), pg_temp.list('new', 10),
		  'increasing the retention period does not bring back expired records');
SELECT is(pg_temp.drain(stream.get_shard_iterator('exp', 'shardId-000000000000',
												  'AT_SEQUENCE_NUMBER', :old01)),
		  pg_temp.list('new', 10), '... not even through their sequence numbers');

-- The stream goes on.
SELECT pg_temp.put('exp', 'last', 2, 0);
SELECT is(pg_temp.keys('exp', 'shardId-000000000000'),
		  pg_temp.list('new', 10) || ',' || pg_temp.list('last', 2),
		  'put_record after the expiry appends after the retained records');
SELECT is(pg_temp.drain(:'it_mid'), pg_temp.list('new', 10) || ',' || pg_temp.list('last', 2),
		  'the old iterator reads them too');

SELECT * FROM finish();
ROLLBACK;
