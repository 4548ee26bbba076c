\set ECHO none
\i test/sql/lib/setup.sql
-- Resharding: split_shard, merge_shards and update_shard_count.
--
--  * split_shard: the parent closes (ending_sequence_number set, no longer
--    listed under AT_LATEST), two children with parent_shard_id, ranges
--    [start, key - 1] and [key, end], new shard numbers that are never reused,
--    sequence numbers above every one of the parent's; each rule on the hash
--    key, the shard and the stream, with its SQLSTATE;
--  * merge_shards: adjacent open shards only; the child covers both, with
--    parent_shard_id and adjacent_parent_shard_id;
--  * update_shard_count: the uniform ranges of API.md's formula, lineage back
--    to the old shards with at most two parents per shard, the half/double
--    rule, 10 scalings in a rolling 24 hours (no-ops do not count), the
--    shard limit;
--  * routing after a reshard: new writes go to the child that covers the
--    key's hash key; what was written before stays readable in the parent;
--  * get_records on a closed shard: its records, then a NULL
--    next_shard_iterator and child_shards;
--  * run_maintenance removes closed shards whose records have all expired
--    (or that never had any) and keeps the others.
--
-- Quotas and on-demand mode are not tested here.  Everything runs in one
-- transaction; about 2.5 seconds pass in pg_sleep for the expiry part.
BEGIN;
SELECT plan(157);

SET LOCAL client_min_messages = warning;
SET LOCAL stream.min_retention_period = '1s';

-- A maintenance pass that finds another one running skips: wait for the
-- background worker's, so that the passes this file calls are not skipped.
SELECT pg_advisory_xact_lock(hashtext('stream.run_maintenance'));

----------------------------------------------------------------------------
-- Helpers
----------------------------------------------------------------------------

\i test/sql/lib/helpers.sql

CREATE FUNCTION pg_temp.sid(n int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT 'shardId-' || lpad(n::text, 12, '0')
$$;

-- 2^128 as an integer (numeric ^ keeps a scale we do not want in text).
CREATE FUNCTION pg_temp.two128() RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
	SELECT 340282366920938463463374607431768211456::numeric
$$;

-- The uniform ranges of API.md's formula for n shards, in hash key order.
CREATE FUNCTION pg_temp.uniform(n int)
	RETURNS TABLE(starting_hash_key numeric, ending_hash_key numeric)
	LANGUAGE sql IMMUTABLE AS $$
	SELECT i * div(pg_temp.two128(), n),
		   CASE WHEN i = n - 1 THEN pg_temp.two128() - 1
				ELSE (i + 1) * div(pg_temp.two128(), n) - 1 END
	FROM generate_series(0, n - 1) AS i
	ORDER BY i
$$;

-- The ranges of the open shards of a stream, in hash key order.
CREATE FUNCTION pg_temp.open_ranges(name text)
	RETURNS TABLE(starting_hash_key numeric, ending_hash_key numeric)
	LANGUAGE sql AS $$
	SELECT starting_hash_key, ending_hash_key FROM stream.list_shards(name, 'AT_LATEST')
	ORDER BY starting_hash_key
$$;

-- What is wrong with the lineage of a stream's shards, as listed by
-- list_shards, given the shards it started from (roots): '' if nothing.
--  - a shard's parents are listed and closed;
--  - with one parent (a split), the child's range lies inside the parent's,
--    and the children of that split cover the parent's range exactly;
--  - with two parents (a merge), the parents are adjacent and the child
--    covers exactly both;
--  - every open shard leads back, through its ancestors, to roots only (a
--    shard with no parent on the way must be a root);
--  - closed shards have an ending sequence number, open ones do not;
--  - the open shards cover [0, 2^128 - 1] without gap or overlap.
CREATE FUNCTION pg_temp.lineage_problems(name text, roots text[]) RETURNS text
	LANGUAGE sql AS $$
	WITH l AS MATERIALIZED (SELECT l.*, NOT EXISTS (SELECT FROM stream.list_shards(name, 'AT_LATEST') o
													WHERE o.shard_id = l.shard_id) AS closed
							FROM stream.list_shards(name) l),
	problems AS (
		SELECT format('%s: parent %s is not listed', c.shard_id, c.parent_shard_id) AS p FROM l c
		WHERE c.shard_id <> ALL (roots) AND c.parent_shard_id IS NOT NULL
		  AND NOT EXISTS (SELECT FROM l p WHERE p.shard_id = c.parent_shard_id)
		UNION ALL
		SELECT format('%s: adjacent parent %s is not listed', c.shard_id, c.adjacent_parent_shard_id)
		FROM l c
		WHERE c.shard_id <> ALL (roots) AND c.adjacent_parent_shard_id IS NOT NULL
		  AND NOT EXISTS (SELECT FROM l p WHERE p.shard_id = c.adjacent_parent_shard_id)
		UNION ALL
		SELECT format('%s: parent %s is open', c.shard_id, p.shard_id) FROM l c JOIN l p
			ON p.shard_id IN (c.parent_shard_id, c.adjacent_parent_shard_id)
		WHERE NOT p.closed
		UNION ALL
		SELECT format('%s [%s, %s] is not inside its parent %s [%s, %s]', c.shard_id,
					  c.starting_hash_key, c.ending_hash_key, p.shard_id, p.starting_hash_key,
					  p.ending_hash_key)
		FROM l c JOIN l p ON p.shard_id = c.parent_shard_id
		WHERE c.adjacent_parent_shard_id IS NULL
		  AND (c.starting_hash_key < p.starting_hash_key OR c.ending_hash_key > p.ending_hash_key)
		UNION ALL
		SELECT format('the split children of %s do not cover it: %s', p.shard_id,
					  string_agg(format('%s [%s, %s]', c.shard_id, c.starting_hash_key,
										c.ending_hash_key), ', ' ORDER BY c.starting_hash_key))
		FROM l p JOIN l c ON c.parent_shard_id = p.shard_id AND c.adjacent_parent_shard_id IS NULL
		GROUP BY p.shard_id, p.starting_hash_key, p.ending_hash_key
		HAVING count(*) <> 2 OR min(c.starting_hash_key) <> p.starting_hash_key
			OR max(c.ending_hash_key) <> p.ending_hash_key
			OR sum(c.ending_hash_key - c.starting_hash_key + 1)
			   <> p.ending_hash_key - p.starting_hash_key + 1
		UNION ALL
		SELECT format('merge child %s [%s, %s] is not the union of adjacent %s [%s, %s] and %s [%s, %s]',
					  c.shard_id, c.starting_hash_key, c.ending_hash_key,
					  a.shard_id, a.starting_hash_key, a.ending_hash_key,
					  b.shard_id, b.starting_hash_key, b.ending_hash_key)
		FROM l c JOIN l a ON a.shard_id = c.parent_shard_id
				 JOIN l b ON b.shard_id = c.adjacent_parent_shard_id
		WHERE NOT (a.ending_hash_key + 1 = b.starting_hash_key
				   OR b.ending_hash_key + 1 = a.starting_hash_key)
		   OR c.starting_hash_key <> least(a.starting_hash_key, b.starting_hash_key)
		   OR c.ending_hash_key <> greatest(a.ending_hash_key, b.ending_hash_key)
		UNION ALL
		SELECT format('%s: closed=%s but ending_sequence_number=%s', shard_id, closed,
					  coalesce(ending_sequence_number::text, 'NULL'))
		FROM l WHERE closed <> (ending_sequence_number IS NOT NULL)
		UNION ALL
		(WITH RECURSIVE anc(shard_id, ancestor) AS (
			SELECT shard_id, shard_id FROM l WHERE NOT closed
			UNION
			SELECT anc.shard_id, p.shard_id
			FROM anc JOIN l c ON c.shard_id = anc.ancestor
					 JOIN l p ON p.shard_id IN (c.parent_shard_id, c.adjacent_parent_shard_id)
			WHERE c.shard_id <> ALL (roots))
		 SELECT format('open shard %s leads back to %s, not to %s', anc.shard_id, anc.ancestor,
					   array_to_string(roots, ','))
		 FROM anc JOIN l a ON a.shard_id = anc.ancestor
		 WHERE a.shard_id <> ALL (roots) AND a.parent_shard_id IS NULL)
		UNION ALL
		SELECT 'open shards do not tile the hash key space'
		WHERE (SELECT bool_or(x.starting_hash_key
							  <> coalesce(x.prev_end + 1, 0))
					  OR max(x.ending_hash_key) <> pg_temp.two128() - 1
			   FROM (SELECT starting_hash_key, ending_hash_key,
							lag(ending_hash_key) OVER (ORDER BY starting_hash_key) AS prev_end
					 FROM l WHERE NOT closed) x)
	)
	SELECT coalesce(string_agg(p, '; ' ORDER BY p), '') FROM problems
$$;

-- Puts the 40 keys key-1 .. key-40 with a tag in the data; returns nothing.
CREATE TEMP TABLE puts (stream_name text, tag text, k text, shard_id text, sequence_number numeric);
CREATE FUNCTION pg_temp.put40(name text, tag text) RETURNS void LANGUAGE sql AS $$
	INSERT INTO puts
		SELECT name, tag, 'key-' || i, p.shard_id, p.sequence_number
		FROM generate_series(1, 40) AS i,
			 LATERAL stream.put_record(name, 'key-' || i, convert_to(tag || i, 'UTF8')) AS p
$$;

-- Of the records put under a tag, those that went to a shard that is not
-- open or whose range does not hold the key's hash key: '' if none.
CREATE FUNCTION pg_temp.misrouted(name text, p_tag text) RETURNS text LANGUAGE sql AS $$
	SELECT coalesce(string_agg(format('%s -> %s', p.k, p.shard_id), ', '), '')
	FROM puts p
	WHERE p.stream_name = name AND p.tag = p_tag
	  AND NOT EXISTS (SELECT FROM stream.list_shards(name, 'AT_LATEST') o
					  WHERE o.shard_id = p.shard_id
						AND stream.hash_key(p.k) BETWEEN o.starting_hash_key AND o.ending_hash_key)
$$;

-- A child_shards entry as Kinesis gives it.
CREATE FUNCTION pg_temp.child(shard text, parents text[], lo numeric, hi numeric) RETURNS jsonb
	LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('ShardId', shard, 'ParentShards', to_jsonb(parents),
							  'HashKeyRange', jsonb_build_object('StartingHashKey', lo::text,
																 'EndingHashKey', hi::text))
$$;

-- child_shards in shard id order.
CREATE FUNCTION pg_temp.sorted(j jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_agg(e ORDER BY e->>'ShardId') FROM jsonb_array_elements(j) AS e
$$;

----------------------------------------------------------------------------
-- split_shard
----------------------------------------------------------------------------

SELECT stream.create_stream('sp', 2);
SELECT pg_temp.put40('sp', 'before');
-- an iterator at LATEST of shard 0, taken before the records below
SELECT stream.get_shard_iterator('sp', pg_temp.sid(0), 'LATEST') AS latest_it \gset
SELECT stream.put_record('sp', 'late', '\x01', explicit_hash_key => 5);
SELECT count(*) AS sp0_before FROM stream.read('sp', pg_temp.sid(0)) \gset
SELECT count(*) AS sp1_before FROM stream.read('sp', pg_temp.sid(1)) \gset
SELECT max(sequence_number) AS sp0_max_seq FROM stream.read('sp', pg_temp.sid(0)) \gset
SELECT cmp_ok(:sp0_before::int, '>', 3, 'shard 0 of sp holds some records before the split');

-- split shard 0 ([0, 2^127 - 1]) at 2^126
SELECT lives_ok($$SELECT stream.split_shard('sp', 'shardId-000000000000',
											85070591730234615865843651857942052864)$$,
				'split_shard of shard 0 at 2^126');
SELECT results_eq(
	$$SELECT shard_id, parent_shard_id, adjacent_parent_shard_id, starting_hash_key, ending_hash_key,
			 ending_sequence_number IS NOT NULL
	  FROM stream.list_shards('sp') ORDER BY shard_id$$,
	$$VALUES (pg_temp.sid(0), NULL::text, NULL::text, 0::numeric,
			  170141183460469231731687303715884105727::numeric, true),
			 (pg_temp.sid(1), NULL, NULL, 170141183460469231731687303715884105728,
			  340282366920938463463374607431768211455, false),
			 (pg_temp.sid(2), pg_temp.sid(0), NULL, 0, 85070591730234615865843651857942052863, false),
			 (pg_temp.sid(3), pg_temp.sid(0), NULL, 85070591730234615865843651857942052864,
			  170141183460469231731687303715884105727, false)$$,
	'list_shards: the parent is closed; children 2 and 3 split its range at the key');
SELECT results_eq(
	$$SELECT shard_id FROM stream.list_shards('sp', 'AT_LATEST') ORDER BY shard_id$$,
	$$VALUES (pg_temp.sid(1)), (pg_temp.sid(2)), (pg_temp.sid(3))$$,
	'AT_LATEST lists the open shards only: 1, 2 and 3');
SELECT is((SELECT open_shard_count FROM stream.describe_stream_summary('sp')), 3,
		  'describe_stream_summary counts 3 open shards');
SELECT is(pg_temp.lineage_problems('sp', ARRAY[pg_temp.sid(0), pg_temp.sid(1)]), '',
		  'the lineage of sp is consistent');
SELECT cmp_ok((SELECT ending_sequence_number FROM stream.list_shards('sp')
			   WHERE shard_id = pg_temp.sid(0)), '>=', :sp0_max_seq::numeric,
			  'the parent''s ending sequence number is at least its last record''s');
SELECT cmp_ok((SELECT min(starting_sequence_number) FROM stream.list_shards('sp')
			   WHERE parent_shard_id = pg_temp.sid(0)),
			  '>', (SELECT ending_sequence_number FROM stream.list_shards('sp')
					WHERE shard_id = pg_temp.sid(0)),
			  'the children start above the parent''s ending sequence number');
SELECT cmp_ok((SELECT ending_sequence_number FROM stream.list_shards('sp')
			   WHERE shard_id = pg_temp.sid(0)), '>=',
			  (SELECT starting_sequence_number FROM stream.list_shards('sp')
			   WHERE shard_id = pg_temp.sid(0)),
			  'the parent''s ending sequence number is not below its starting one');

-- describe_stream shows the lineage.
SELECT is((SELECT jsonb_agg(e ORDER BY e->>'ShardId')
		   FROM jsonb_array_elements(stream.describe_stream('sp')->'Shards') e
		   WHERE e->>'ShardId' IN (pg_temp.sid(2), pg_temp.sid(3))),
		  jsonb_build_array(
			  jsonb_build_object('ShardId', pg_temp.sid(2), 'ParentShardId', pg_temp.sid(0),
								 'HashKeyRange', jsonb_build_object(
									 'StartingHashKey', '0',
									 'EndingHashKey', '85070591730234615865843651857942052863'),
								 'SequenceNumberRange', jsonb_build_object(
									 'StartingSequenceNumber',
									 (SELECT starting_sequence_number::text
									  FROM stream.list_shards('sp') WHERE shard_id = pg_temp.sid(2)))),
			  jsonb_build_object('ShardId', pg_temp.sid(3), 'ParentShardId', pg_temp.sid(0),
								 'HashKeyRange', jsonb_build_object(
									 'StartingHashKey', '85070591730234615865843651857942052864',
									 'EndingHashKey', '170141183460469231731687303715884105727'),
								 'SequenceNumberRange', jsonb_build_object(
									 'StartingSequenceNumber',
									 (SELECT starting_sequence_number::text
									  FROM stream.list_shards('sp') WHERE shard_id = pg_temp.sid(3))))),
		  'describe_stream: the children with ParentShardId, their ranges, no ending sequence number');
SELECT ok((SELECT e->'SequenceNumberRange' ? 'EndingSequenceNumber'
		   FROM jsonb_array_elements(stream.describe_stream('sp')->'Shards') e
		   WHERE e->>'ShardId' = pg_temp.sid(0)),
		  'describe_stream: the parent has an EndingSequenceNumber');

-- Writes after the split.
SELECT pg_temp.put40('sp', 'after');
SELECT is(pg_temp.misrouted('sp', 'after'), '',
		  'after the split, each key goes to the open shard that covers its hash key');
SELECT ok((SELECT count(DISTINCT shard_id) FROM puts WHERE stream_name = 'sp' AND tag = 'after') = 3,
		  '... 40 keys reach all three open shards');
SELECT is((SELECT count(*) FROM puts WHERE stream_name = 'sp' AND tag = 'after' AND shard_id = pg_temp.sid(0)), 0::bigint,
		  '... none goes to the closed parent');
SELECT is((SELECT string_agg(format('%s: %s in %s and %s in %s', b.k, b.shard_id, b.sequence_number,
									a.shard_id, a.sequence_number), ', ')
		   FROM puts b JOIN puts a USING (k)
		   WHERE b.stream_name = 'sp' AND a.stream_name = 'sp' AND b.tag = 'before' AND a.tag = 'after' AND b.shard_id = pg_temp.sid(0)
			 AND a.sequence_number <= b.sequence_number), NULL,
		  '... and each key''s new record has a higher sequence number than its record in the parent');
SELECT results_eq(
	$$SELECT shard_id FROM stream.put_record('sp', 'x', '\x01',
											explicit_hash_key => 85070591730234615865843651857942052863)
	  UNION ALL
	  SELECT shard_id FROM stream.put_record('sp', 'x', '\x01',
											explicit_hash_key => 85070591730234615865843651857942052864)
	  UNION ALL
	  SELECT shard_id FROM stream.put_record('sp', 'x', '\x01', explicit_hash_key => 0)$$,
	$$VALUES (pg_temp.sid(2)), (pg_temp.sid(3)), (pg_temp.sid(2))$$,
	'explicit hash keys 2^126 - 1, 2^126 and 0 go to children 2, 3 and 2');
SELECT is((SELECT string_agg(format('%s -> %s', e.k, r.shard_id), ', ')
		   FROM stream.put_records('sp', ARRAY(SELECT 'key-' || i FROM generate_series(1, 40) i),
								   ARRAY(SELECT '\x02'::bytea FROM generate_series(1, 40))) r
				JOIN (SELECT i, 'key-' || i AS k FROM generate_series(1, 40) i) e
				  ON e.i = r.ordinality
		   WHERE NOT EXISTS (SELECT FROM stream.list_shards('sp', 'AT_LATEST') o
							 WHERE o.shard_id = r.shard_id
							   AND stream.hash_key(e.k) BETWEEN o.starting_hash_key
															AND o.ending_hash_key)),
		  NULL, 'put_records routes each record to the open shard that covers its hash key');
SELECT is((SELECT count(*) FROM stream.read('sp', pg_temp.sid(0))), :sp0_before::bigint,
		  'the parent still holds (only) the records written before the split');
SELECT cmp_ok((SELECT min(sequence_number) FROM stream.read('sp') WHERE shard_id IN (pg_temp.sid(2), pg_temp.sid(3))),
			  '>', :sp0_max_seq::numeric,
			  'every record of the children has a higher sequence number than every one of the parent');

-- get_records on the closed parent: its records, then the end and the children.
CREATE TEMP TABLE gr AS
	SELECT 1 AS step, * FROM stream.get_records(
		stream.get_shard_iterator('sp', pg_temp.sid(0), 'TRIM_HORIZON'), 3);
INSERT INTO gr SELECT 2, * FROM stream.get_records((SELECT next_shard_iterator FROM gr WHERE step = 1));
SELECT is((SELECT cardinality(records) FROM gr WHERE step = 1), 3,
		  'get_records on the closed parent, limit 3: 3 records');
SELECT ok((SELECT next_shard_iterator IS NOT NULL AND child_shards IS NULL FROM gr WHERE step = 1),
		  '... a next_shard_iterator and no child_shards before the end');
SELECT is((SELECT cardinality(records) FROM gr WHERE step = 2), :sp0_before - 3,
		  '... the next call returns the rest of the parent''s records');
SELECT ok((SELECT next_shard_iterator IS NULL FROM gr WHERE step = 2),
		  '... and, at the end of the closed shard, a NULL next_shard_iterator');
SELECT is((SELECT pg_temp.sorted(child_shards) FROM gr WHERE step = 2),
		  jsonb_build_array(
			  pg_temp.child(pg_temp.sid(2), ARRAY[pg_temp.sid(0)], 0,
							85070591730234615865843651857942052863),
			  pg_temp.child(pg_temp.sid(3), ARRAY[pg_temp.sid(0)],
							85070591730234615865843651857942052864,
							170141183460469231731687303715884105727)),
		  '... with child_shards: ShardId, ParentShards and HashKeyRange of both children');
SELECT is((SELECT array_agg(r.sequence_number ORDER BY g.step, r.ord)
		   FROM gr g, unnest(g.records) WITH ORDINALITY
					  AS r(sequence_number, approximate_arrival_timestamp, data, partition_key,
						   encryption_type, ord)),
		  (SELECT array_agg(sequence_number ORDER BY sequence_number)
		   FROM stream.read('sp', pg_temp.sid(0))),
		  '... the records read are exactly the parent''s, in order');
SELECT ok((SELECT next_shard_iterator IS NULL AND cardinality(records) = :sp0_before
				  AND jsonb_array_length(child_shards) = 2
		   FROM stream.get_records(stream.get_shard_iterator('sp', pg_temp.sid(0), 'TRIM_HORIZON'),
								   10000)),
		  'get_records on the closed parent with a limit above its count: all its records, '
		  'a NULL next_shard_iterator and child_shards in one call');
CREATE TEMP TABLE gl AS SELECT * FROM stream.get_records(:'latest_it');
SELECT is((SELECT array_agg(r.partition_key) FROM gl, unnest(gl.records) r), ARRAY['late'],
		  'an iterator taken (at LATEST) before the split reads the record that followed it ...');
SELECT ok((SELECT next_shard_iterator IS NULL AND jsonb_array_length(child_shards) = 2 FROM gl),
		  '... and then the end of the shard, with its children');
SELECT ok((SELECT next_shard_iterator IS NULL AND child_shards IS NOT NULL
				  AND coalesce(cardinality(records), 0) = 0
		   FROM stream.get_records(stream.get_shard_iterator('sp', pg_temp.sid(0), 'LATEST'))),
		  'a LATEST iterator on the closed parent ends at once with its children');
SELECT ok((SELECT next_shard_iterator IS NOT NULL AND child_shards IS NULL
		   FROM stream.get_records(stream.get_shard_iterator('sp', pg_temp.sid(2), 'TRIM_HORIZON'))),
		  'get_records on an open child gives a next_shard_iterator and no child_shards');
SELECT is((SELECT count(*) FROM stream.get_records(
				stream.get_shard_iterator('sp', pg_temp.sid(2), 'TRIM_HORIZON')) g,
				unnest(g.records) r WHERE convert_from(r.data, 'UTF8') LIKE 'before%'),
		  0::bigint, '... and the child holds none of the records written before the split');

-- Split again: a new child of an open child; numbers go on from 4.
SELECT lives_ok($$SELECT stream.split_shard('sp', 'shardId-000000000002', 1)$$,
				'split_shard at the smallest key allowed (starting hash key + 1)');
SELECT results_eq(
	$$SELECT shard_id, parent_shard_id, starting_hash_key, ending_hash_key
	  FROM stream.list_shards('sp') WHERE parent_shard_id = 'shardId-000000000002' ORDER BY shard_id$$,
	$$VALUES (pg_temp.sid(4), pg_temp.sid(2), 0::numeric, 0::numeric),
			 (pg_temp.sid(5), pg_temp.sid(2), 1, 85070591730234615865843651857942052863)$$,
	'... children 4 [0, 0] and 5 [1, end]');
SELECT lives_ok($$SELECT stream.split_shard('sp', 'shardId-000000000001',
											340282366920938463463374607431768211455)$$,
				'split_shard at the largest key allowed (the ending hash key)');
SELECT results_eq(
	$$SELECT shard_id, starting_hash_key, ending_hash_key
	  FROM stream.list_shards('sp') WHERE parent_shard_id = 'shardId-000000000001' ORDER BY shard_id$$,
	$$VALUES (pg_temp.sid(6), 170141183460469231731687303715884105728::numeric,
			  340282366920938463463374607431768211454::numeric),
			 (pg_temp.sid(7), 340282366920938463463374607431768211455,
			  340282366920938463463374607431768211455)$$,
	'... children 6 [2^127, 2^128 - 2] and 7 [2^128 - 1, 2^128 - 1]');
SELECT is(pg_temp.lineage_problems('sp', ARRAY[pg_temp.sid(0), pg_temp.sid(1)]), '',
		  'the lineage of sp is still consistent');
SELECT is((SELECT shard_id FROM stream.put_record('sp', 'top', '\x01',
		   explicit_hash_key => 340282366920938463463374607431768211455)), pg_temp.sid(7),
		  'hash key 2^128 - 1 goes to the one-key shard 7');

-- Errors of split_shard; none leaves anything behind.
SELECT pg_temp.footprint() AS fp \gset
SELECT throws_ok($$SELECT stream.split_shard('sp', 'shardId-000000000003',
											 85070591730234615865843651857942052864)$$,
				 '22023', NULL, 'split_shard at the starting hash key: 22023');
SELECT matches((pg_temp.error_of($$SELECT stream.split_shard('sp', 'shardId-000000000003',
											85070591730234615865843651857942052864)$$)).detail,
			   '\mInvalidArgumentException\M', '... its DETAIL names InvalidArgumentException');
SELECT matches((pg_temp.error_of($$SELECT stream.split_shard('sp', 'shardId-000000000003',
											85070591730234615865843651857942052864)$$)).message,
			   '85070591730234615865843651857942052864', '... its message names the key');
SELECT throws_ok($$SELECT stream.split_shard('sp', 'shardId-000000000003',
											 170141183460469231731687303715884105728)$$,
				 '22023', NULL, 'split_shard at the ending hash key + 1: 22023');
SELECT throws_ok($$SELECT stream.split_shard('sp', 'shardId-000000000003',
											 85070591730234615865843651857942052863)$$,
				 '22023', NULL, 'split_shard below the shard''s range: 22023');
SELECT throws_ok($$SELECT stream.split_shard('sp', 'shardId-000000000003',
											 100000000000000000000000000000000000000.5)$$,
				 '22023', NULL, 'split_shard at a key that is not an integer: 22023');
SELECT throws_ok($$SELECT stream.split_shard('sp', 'shardId-000000000006', -1)$$,
				 '22023', NULL, 'split_shard at a negative key: 22023');
SELECT throws_ok($$SELECT stream.split_shard('sp', 'shardId-000000000007',
											 340282366920938463463374607431768211456)$$,
				 '22023', NULL, 'split_shard at 2^128: 22023');
SELECT throws_ok($$SELECT stream.split_shard('sp', 'shardId-000000000004', 0)$$,
				 '22023', NULL, 'split_shard of a one-key shard: 22023');
SELECT throws_ok($$SELECT stream.split_shard('sp', 'shardId-000000000003', NULL)$$,
				 '22023', NULL, 'split_shard at a NULL key: 22023');
SELECT throws_ok($$SELECT stream.split_shard('sp', 'shardId-000000000000', 5)$$,
				 '22023', NULL, 'split_shard of a closed shard: 22023');
SELECT matches((pg_temp.error_of($$SELECT stream.split_shard('sp', 'shardId-000000000000', 5)$$)).message,
			   'shardId-000000000000', '... its message names the shard');
SELECT throws_ok($$SELECT stream.split_shard('sp', 'shardId-000000000099', 5)$$,
				 '42704', NULL, 'split_shard of an unknown shard: 42704');
SELECT matches((pg_temp.error_of($$SELECT stream.split_shard('sp', 'shardId-000000000099', 5)$$)).detail,
			   '\mResourceNotFoundException\M', '... its DETAIL names ResourceNotFoundException');
SELECT matches((pg_temp.error_of($$SELECT stream.split_shard('sp', 'shardId-000000000099', 5)$$)).message,
			   'shardId-000000000099', '... its message names the shard');
SELECT throws_ok($$SELECT stream.split_shard('no_such_stream', 'shardId-000000000000', 5)$$,
				 '42704', NULL, 'split_shard of an unknown stream: 42704');
SELECT matches((pg_temp.error_of($$SELECT stream.split_shard('no_such_stream', 'shardId-000000000000',
																5)$$)).message,
			   'no_such_stream', '... its message names the stream');
UPDATE stream.streams SET stream_status = 'UPDATING' WHERE stream_name = 'sp';
SELECT throws_ok($$SELECT stream.split_shard('sp', 'shardId-000000000003',
											 100000000000000000000000000000000000000)$$,
				 '55006', NULL, 'split_shard of a stream that is not ACTIVE: 55006');
SELECT matches((pg_temp.error_of($$SELECT stream.split_shard('sp', 'shardId-000000000003',
											100000000000000000000000000000000000000)$$)).detail,
			   '\mResourceInUseException\M', '... its DETAIL names ResourceInUseException');
UPDATE stream.streams SET stream_status = 'ACTIVE' WHERE stream_name = 'sp';
SELECT set_config('stream.shard_limit',
				  (SELECT count(*) FROM stream.shards WHERE closed_at IS NULL)::text, true) AS shard_limit \gset
SELECT throws_ok($$SELECT stream.split_shard('sp', 'shardId-000000000003',
											 100000000000000000000000000000000000000)$$,
				 '54000', NULL, 'split_shard beyond stream.shard_limit: 54000');
SELECT matches((pg_temp.error_of($$SELECT stream.split_shard('sp', 'shardId-000000000003',
											100000000000000000000000000000000000000)$$)).detail,
			   '\mLimitExceededException\M', '... its DETAIL names LimitExceededException');
SELECT is(pg_temp.footprint(), :'fp', 'the failed split_shard calls left nothing behind');
SELECT set_config('stream.shard_limit',
				  ((SELECT count(*) FROM stream.shards WHERE closed_at IS NULL) + 1)::text, true) AS shard_limit \gset
SELECT lives_ok($$SELECT stream.split_shard('sp', 'shardId-000000000003',
											100000000000000000000000000000000000000)$$,
				'split_shard up to stream.shard_limit exactly works');
RESET stream.shard_limit;

----------------------------------------------------------------------------
-- merge_shards
----------------------------------------------------------------------------

SELECT stream.create_stream('mg', 3);
SELECT pg_temp.put40('mg', 'before');
SELECT count(*) AS mg_before FROM stream.read('mg') \gset
SELECT lives_ok($$SELECT stream.merge_shards('mg', 'shardId-000000000000', 'shardId-000000000001')$$,
				'merge_shards of shards 0 and 1');
SELECT results_eq(
	$$SELECT shard_id, parent_shard_id, adjacent_parent_shard_id, starting_hash_key, ending_hash_key
	  FROM stream.list_shards('mg', 'AT_LATEST') ORDER BY shard_id$$,
	$$(SELECT pg_temp.sid(2), NULL::text, NULL::text, starting_hash_key, ending_hash_key
	   FROM pg_temp.uniform(3) OFFSET 2)
	  UNION ALL
	  SELECT pg_temp.sid(3), pg_temp.sid(0), pg_temp.sid(1), 0::numeric,
			 (SELECT ending_hash_key FROM pg_temp.uniform(3) LIMIT 1 OFFSET 1)$$,
	'the child 3 covers both ranges, with parent 0 and adjacent parent 1');
SELECT ok((SELECT bool_and(ending_sequence_number IS NOT NULL) FROM stream.list_shards('mg')
		   WHERE shard_id IN (pg_temp.sid(0), pg_temp.sid(1))),
		  'both parents are closed, with an ending sequence number');
SELECT is(pg_temp.lineage_problems('mg', ARRAY[pg_temp.sid(0), pg_temp.sid(1), pg_temp.sid(2)]), '',
		  'the lineage of mg is consistent');
SELECT is((SELECT e - 'HashKeyRange' - 'SequenceNumberRange'
		   FROM jsonb_array_elements(stream.describe_stream('mg')->'Shards') e
		   WHERE e->>'ShardId' = pg_temp.sid(3)),
		  jsonb_build_object('ShardId', pg_temp.sid(3), 'ParentShardId', pg_temp.sid(0),
							 'AdjacentParentShardId', pg_temp.sid(1)),
		  'describe_stream: the child has ParentShardId and AdjacentParentShardId');
SELECT cmp_ok((SELECT starting_sequence_number FROM stream.list_shards('mg') WHERE shard_id = pg_temp.sid(3)),
			  '>', (SELECT max(ending_sequence_number) FROM stream.list_shards('mg')),
			  'the child starts above both parents'' ending sequence numbers');
SELECT is((SELECT pg_temp.sorted(child_shards) FROM stream.get_records(
				stream.get_shard_iterator('mg', pg_temp.sid(1), 'TRIM_HORIZON'))),
		  jsonb_build_array(pg_temp.child(pg_temp.sid(3), ARRAY[pg_temp.sid(0), pg_temp.sid(1)], 0,
										  (SELECT ending_hash_key FROM pg_temp.uniform(3)
										   LIMIT 1 OFFSET 1))),
		  'get_records at the end of the adjacent parent: child_shards names the child and both parents');
SELECT ok((SELECT next_shard_iterator IS NULL FROM stream.get_records(
				stream.get_shard_iterator('mg', pg_temp.sid(0), 'TRIM_HORIZON'))),
		  '... and so does the end of the other parent');
SELECT pg_temp.put40('mg', 'after');
SELECT is(pg_temp.misrouted('mg', 'after'), '',
		  'after the merge, each key goes to the open shard that covers its hash key');
SELECT is((SELECT count(*) FROM stream.read('mg') WHERE shard_id IN (pg_temp.sid(0), pg_temp.sid(1))),
		  (SELECT count(*) FROM puts WHERE stream_name = 'mg' AND tag = 'before'
		   AND shard_id IN (pg_temp.sid(0), pg_temp.sid(1))),
		  'the parents keep their records');
SELECT is((SELECT count(*) FROM stream.read('mg')), :mg_before::bigint + 40,
		  'every record is still readable');

-- Merge in the other order: (right, left).
SELECT lives_ok($$SELECT stream.merge_shards('mg', 'shardId-000000000002', 'shardId-000000000003')$$,
				'merge_shards of (2, 3), 2 being right of 3');
SELECT results_eq(
	$$SELECT shard_id, parent_shard_id, adjacent_parent_shard_id, starting_hash_key, ending_hash_key
	  FROM stream.list_shards('mg', 'AT_LATEST')$$,
	$$VALUES (pg_temp.sid(4), pg_temp.sid(2), pg_temp.sid(3), 0::numeric,
			  340282366920938463463374607431768211455::numeric)$$,
	'... child 4 covers everything, with parent 2 and adjacent parent 3');
SELECT is(pg_temp.lineage_problems('mg', ARRAY[pg_temp.sid(0), pg_temp.sid(1), pg_temp.sid(2)]), '',
		  'the lineage of mg is still consistent');

-- Errors of merge_shards.
SELECT stream.create_stream('mg3', 3);
SELECT stream.split_shard('mg3', 'shardId-000000000001',
						  (SELECT starting_hash_key + 1000 FROM pg_temp.uniform(3) LIMIT 1 OFFSET 1));
SELECT pg_temp.footprint() AS fp \gset
SELECT throws_ok($$SELECT stream.merge_shards('mg3', 'shardId-000000000000', 'shardId-000000000002')$$,
				 '22023', NULL, 'merge_shards of shards that are not adjacent: 22023');
SELECT matches((pg_temp.error_of($$SELECT stream.merge_shards('mg3', 'shardId-000000000000',
																 'shardId-000000000002')$$)).detail,
			   '\mInvalidArgumentException\M', '... its DETAIL names InvalidArgumentException');
SELECT throws_ok($$SELECT stream.merge_shards('mg3', 'shardId-000000000003', 'shardId-000000000002')$$,
				 '22023', NULL, 'merge_shards of a shard and the one after its neighbour: 22023');
SELECT throws_ok($$SELECT stream.merge_shards('mg3', 'shardId-000000000000', 'shardId-000000000000')$$,
				 '22023', NULL, 'merge_shards of a shard with itself: 22023');
SELECT throws_ok($$SELECT stream.merge_shards('mg3', 'shardId-000000000000', 'shardId-000000000001')$$,
				 '22023', NULL, 'merge_shards with a closed shard (adjacent by range): 22023');
SELECT throws_ok($$SELECT stream.merge_shards('mg3', 'shardId-000000000001', 'shardId-000000000002')$$,
				 '22023', NULL, 'merge_shards with a closed shard first: 22023');
SELECT throws_ok($$SELECT stream.merge_shards('mg3', 'shardId-000000000000', 'shardId-000000000042')$$,
				 '42704', NULL, 'merge_shards with an unknown adjacent shard: 42704');
SELECT matches((pg_temp.error_of($$SELECT stream.merge_shards('mg3', 'shardId-000000000000',
																 'shardId-000000000042')$$)).message,
			   'shardId-000000000042', '... its message names the shard');
SELECT throws_ok($$SELECT stream.merge_shards('mg3', 'shardId-000000000042', 'shardId-000000000000')$$,
				 '42704', NULL, 'merge_shards of an unknown shard: 42704');
SELECT throws_ok($$SELECT stream.merge_shards('no_such_stream', 'shardId-000000000000',
											  'shardId-000000000001')$$,
				 '42704', NULL, 'merge_shards in an unknown stream: 42704');
UPDATE stream.streams SET stream_status = 'UPDATING' WHERE stream_name = 'mg3';
SELECT throws_ok($$SELECT stream.merge_shards('mg3', 'shardId-000000000000', 'shardId-000000000003')$$,
				 '55006', NULL, 'merge_shards in a stream that is not ACTIVE: 55006');
UPDATE stream.streams SET stream_status = 'ACTIVE' WHERE stream_name = 'mg3';
SELECT is(pg_temp.footprint(), :'fp', 'the failed merge_shards calls left nothing behind');
SELECT lives_ok($$SELECT stream.merge_shards('mg3', 'shardId-000000000000', 'shardId-000000000003')$$,
				'merge_shards of shard 0 and the lower child of shard 1 works');
SELECT is(pg_temp.lineage_problems('mg3', ARRAY[pg_temp.sid(0), pg_temp.sid(1), pg_temp.sid(2)]), '',
		  'the lineage of mg3 is consistent');

----------------------------------------------------------------------------
-- update_shard_count
----------------------------------------------------------------------------

SELECT stream.create_stream('uc', 2);
SELECT pg_temp.put40('uc', 'n2');
SELECT results_eq($$SELECT * FROM stream.update_shard_count('uc', 4)$$,
				  $$VALUES (2, 4)$$,
				  'update_shard_count 2 -> 4 returns (current 2, target 4)');
SELECT results_eq($$SELECT * FROM pg_temp.open_ranges('uc')$$,
				  $$SELECT * FROM pg_temp.uniform(4)$$,
				  '... 4 open shards with the uniform ranges of the formula');
SELECT is((SELECT open_shard_count FROM stream.describe_stream_summary('uc')), 4,
		  '... describe_stream_summary counts 4');
SELECT is(pg_temp.lineage_problems('uc', ARRAY[pg_temp.sid(0), pg_temp.sid(1)]), '',
		  '... the lineage leads back to shards 0 and 1');
SELECT is((SELECT count(*) FROM stream.list_shards('uc', 'AT_LATEST')
		   WHERE shard_id IN (pg_temp.sid(0), pg_temp.sid(1))), 0::bigint,
		  '... the old shards are closed');
SELECT pg_temp.put40('uc', 'n4');
SELECT is(pg_temp.misrouted('uc', 'n4'), '', '... new writes go to the shard covering their key');
SELECT is((SELECT count(*) FROM stream.read('uc')), 80::bigint, '... every record is readable');
SELECT array_agg(shard_id ORDER BY shard_id) AS roots4 FROM stream.list_shards('uc', 'AT_LATEST') \gset

SELECT results_eq($$SELECT current_shard_count, target_shard_count
					FROM stream.update_shard_count('uc', 3, 'UNIFORM_SCALING')$$,
				  $$VALUES (4, 3)$$,
				  'update_shard_count 4 -> 3 returns (4, 3)');
SELECT results_eq($$SELECT * FROM pg_temp.open_ranges('uc')$$,
				  $$SELECT * FROM pg_temp.uniform(3)$$,
				  '... 3 open shards with the uniform ranges, the last ending at 2^128 - 1');
SELECT is(pg_temp.lineage_problems('uc', :'roots4'), '',
		  '... the lineage leads back to the 4 shards before');
SELECT is(pg_temp.lineage_problems('uc', ARRAY[pg_temp.sid(0), pg_temp.sid(1)]), '',
		  '... and on to shards 0 and 1');
SELECT pg_temp.put40('uc', 'n3');
SELECT is(pg_temp.misrouted('uc', 'n3'), '', '... new writes go to the shard covering their key');
SELECT is((SELECT count(*) FROM stream.read('uc')), 120::bigint, '... every record is readable');
SELECT is((SELECT string_agg(k, ', ') FROM (
			SELECT k FROM puts WHERE tag IN ('n2', 'n4', 'n3')
			GROUP BY k
			HAVING array_agg(sequence_number ORDER BY tag = 'n2' DESC, tag = 'n4' DESC)
				   <> array_agg(sequence_number ORDER BY sequence_number)) x), NULL,
		  '... each key''s records have increasing sequence numbers across the reshards');

SELECT array_agg(shard_id ORDER BY shard_id) AS roots3 FROM stream.list_shards('uc', 'AT_LATEST') \gset
SELECT results_eq($$SELECT * FROM stream.update_shard_count('uc', 6)$$, $$VALUES (3, 6)$$,
				  'update_shard_count 3 -> 6 (double) works');
SELECT results_eq($$SELECT * FROM pg_temp.open_ranges('uc')$$, $$SELECT * FROM pg_temp.uniform(6)$$,
				  '... with the uniform ranges of 6');
SELECT is(pg_temp.lineage_problems('uc', :'roots3'), '', '... and a consistent lineage');
SELECT array_agg(shard_id ORDER BY shard_id) AS roots6 FROM stream.list_shards('uc', 'AT_LATEST') \gset
SELECT results_eq($$SELECT * FROM stream.update_shard_count('uc', 5)$$, $$VALUES (6, 5)$$,
				  'update_shard_count 6 -> 5 works');
SELECT results_eq($$SELECT * FROM pg_temp.open_ranges('uc')$$, $$SELECT * FROM pg_temp.uniform(5)$$,
				  '... with the uniform ranges of 5');
SELECT is(pg_temp.lineage_problems('uc', :'roots6'), '', '... and a consistent lineage');
SELECT results_eq($$SELECT * FROM stream.update_shard_count('uc', 3)$$, $$VALUES (5, 3)$$,
				  'update_shard_count 5 -> 3 works (3 is not less than half of 5)');
SELECT results_eq($$SELECT * FROM pg_temp.open_ranges('uc')$$, $$SELECT * FROM pg_temp.uniform(3)$$,
				  '... with the uniform ranges of 3');
SELECT is(pg_temp.lineage_problems('uc', ARRAY[pg_temp.sid(0), pg_temp.sid(1)]), '',
		  '... and a lineage that leads back to shards 0 and 1');
SELECT is((SELECT count(*) FROM stream.read('uc')), 120::bigint, '... every record is still readable');

-- update_shard_count from shards that are not uniform (after a split).
SELECT stream.create_stream('nu', 3);
SELECT stream.split_shard('nu', 'shardId-000000000000', 12345);
SELECT results_eq($$SELECT * FROM stream.update_shard_count('nu', 2)$$, $$VALUES (4, 2)$$,
				  'update_shard_count 4 (not uniform) -> 2 works');
SELECT results_eq($$SELECT * FROM pg_temp.open_ranges('nu')$$, $$SELECT * FROM pg_temp.uniform(2)$$,
				  '... with the uniform ranges of 2');
SELECT is(pg_temp.lineage_problems('nu', ARRAY[pg_temp.sid(0), pg_temp.sid(1), pg_temp.sid(2)]), '',
		  '... and a consistent lineage');

-- The half/double rule and the arguments.
SELECT stream.create_stream('hd', 3);
SELECT pg_temp.footprint() AS fp \gset
SELECT throws_ok($$SELECT * FROM stream.update_shard_count('hd', 7)$$, '54000', NULL,
				 'update_shard_count 3 -> 7 (more than double): 54000');
SELECT matches((pg_temp.error_of($$SELECT * FROM stream.update_shard_count('hd', 7)$$)).detail,
			   '\mLimitExceededException\M', '... its DETAIL names LimitExceededException');
SELECT matches((pg_temp.error_of($$SELECT * FROM stream.update_shard_count('hd', 7)$$)).message,
			   '\m7\M', '... its message names the target');
SELECT throws_ok($$SELECT * FROM stream.update_shard_count('hd', 1)$$, '54000', NULL,
				 'update_shard_count 3 -> 1 (less than half): 54000');
SELECT throws_ok($$SELECT * FROM stream.update_shard_count('hd', 0)$$, '22023', NULL,
				 'update_shard_count to 0: 22023');
SELECT matches((pg_temp.error_of($$SELECT * FROM stream.update_shard_count('hd', 0)$$)).detail,
			   '\mInvalidArgumentException\M', '... its DETAIL names InvalidArgumentException');
SELECT throws_ok($$SELECT * FROM stream.update_shard_count('hd', -2)$$, '22023', NULL,
				 'update_shard_count to -2: 22023');
SELECT throws_ok($$SELECT * FROM stream.update_shard_count('hd', 4, 'NONUNIFORM_SCALING')$$, '22023',
				 NULL, 'update_shard_count with another scaling type: 22023');
SELECT matches((pg_temp.error_of($$SELECT * FROM stream.update_shard_count('hd', 4,
																		  'NONUNIFORM_SCALING')$$)).message,
			   'NONUNIFORM_SCALING', '... its message names it');
SELECT throws_ok($$SELECT * FROM stream.update_shard_count('hd', 4, NULL)$$, '22023',
				 NULL, 'update_shard_count with a NULL scaling type: 22023');
SELECT throws_ok($$SELECT * FROM stream.update_shard_count('no_such_stream', 4)$$, '42704', NULL,
				 'update_shard_count of an unknown stream: 42704');
UPDATE stream.streams SET stream_status = 'UPDATING' WHERE stream_name = 'hd';
SELECT throws_ok($$SELECT * FROM stream.update_shard_count('hd', 4)$$, '55006', NULL,
				 'update_shard_count of a stream that is not ACTIVE: 55006');
UPDATE stream.streams SET stream_status = 'ACTIVE' WHERE stream_name = 'hd';
SELECT set_config('stream.shard_limit',
				  ((SELECT count(*) FROM stream.shards WHERE closed_at IS NULL) + 2)::text, true) AS shard_limit \gset
SELECT throws_ok($$SELECT * FROM stream.update_shard_count('hd', 6)$$, '54000', NULL,
				 'update_shard_count 3 -> 6 with room for 2 more shards under stream.shard_limit: 54000');
SELECT matches((pg_temp.error_of($$SELECT * FROM stream.update_shard_count('hd', 6)$$)).detail,
			   '\mLimitExceededException\M', '... its DETAIL names LimitExceededException');
SELECT is(pg_temp.footprint(), :'fp', 'the failed update_shard_count calls left nothing behind');
SELECT results_eq($$SELECT * FROM stream.update_shard_count('hd', 5)$$, $$VALUES (3, 5)$$,
				  '3 -> 5, reaching stream.shard_limit exactly, works');
RESET stream.shard_limit;

-- Ten scalings in a rolling 24 hours; no-ops do not count.
SELECT stream.create_stream('ten', 1);
SELECT stream.create_stream('other', 1);
CREATE TEMP TABLE scaled (i int, cur int, target int);
DO $$
BEGIN
	FOR i IN 1 .. 10 LOOP
		INSERT INTO scaled SELECT i, * FROM stream.update_shard_count('ten', CASE WHEN i % 2 = 1 THEN 2 ELSE 1 END);
		-- a no-op: the target is the current count
		IF i < 10 THEN
			INSERT INTO scaled SELECT -i, * FROM stream.update_shard_count('ten', CASE WHEN i % 2 = 1 THEN 2 ELSE 1 END);
		END IF;
	END LOOP;
END
$$;
SELECT results_eq($$SELECT cur, target FROM scaled WHERE i > 0 ORDER BY i$$,
				  $$SELECT CASE WHEN i % 2 = 1 THEN 1 ELSE 2 END, CASE WHEN i % 2 = 1 THEN 2 ELSE 1 END
					FROM generate_series(1, 10) i$$,
				  '10 scalings of ten (1 -> 2 -> 1 ...), each with a no-op in between, work');
SELECT results_eq($$SELECT cur, target FROM scaled WHERE i < 0 ORDER BY -i$$,
				  $$SELECT CASE WHEN i % 2 = 1 THEN 2 ELSE 1 END, CASE WHEN i % 2 = 1 THEN 2 ELSE 1 END
					FROM generate_series(1, 9) i$$,
				  '... the no-ops return (n, n)');
SELECT results_eq($$SELECT * FROM pg_temp.open_ranges('ten')$$, $$SELECT * FROM pg_temp.uniform(1)$$,
				  '... ten ends with one shard covering everything');
SELECT pg_temp.footprint() AS fp \gset
SELECT throws_ok($$SELECT * FROM stream.update_shard_count('ten', 2)$$, '54000', NULL,
				 'an 11th scaling within 24 hours: 54000');
SELECT matches((pg_temp.error_of($$SELECT * FROM stream.update_shard_count('ten', 2)$$)).detail,
			   '\mLimitExceededException\M', '... its DETAIL names LimitExceededException');
SELECT is(pg_temp.footprint(), :'fp', '... and leaves nothing behind');
SELECT results_eq($$SELECT * FROM stream.update_shard_count('other', 2)$$, $$VALUES (1, 2)$$,
				  'another stream can still be scaled');
-- The window rolls: once the oldest scaling is more than 24 hours old, one
-- more is allowed (the scaling log is moved back in time to show it).
UPDATE stream.scalings SET scaled_at = scaled_at - interval '24 hours 1 second'
	WHERE stream_id = (SELECT stream_id FROM stream.streams WHERE stream_name = 'ten')
	  AND scaled_at = (SELECT min(scaled_at) FROM stream.scalings
					   WHERE stream_id = (SELECT stream_id FROM stream.streams
										  WHERE stream_name = 'ten'));
SELECT results_eq($$SELECT * FROM stream.update_shard_count('ten', 2)$$, $$VALUES (1, 2)$$,
				  'once the oldest scaling is more than 24 hours old, one more works');
SELECT throws_ok($$SELECT * FROM stream.update_shard_count('ten', 1)$$, '54000', NULL,
				 '... and the next one fails again');

----------------------------------------------------------------------------
-- run_maintenance and closed shards
----------------------------------------------------------------------------

-- A closed shard that never had records goes at the next pass; one with
-- retained records stays.
SELECT stream.create_stream('mt', 2);
SELECT stream.put_record('mt', 'x', '\x01', explicit_hash_key => 340282366920938463463374607431768211455);
SELECT stream.split_shard('mt', 'shardId-000000000000', 1000);
SELECT stream.split_shard('mt', 'shardId-000000000001', 340282366920938463463374607431768211455);
SELECT is((SELECT count(*) FROM stream.list_shards('mt')), 6::bigint,
		  'before a pass, list_shards lists both closed shards and the 4 children');
CALL stream.run_maintenance();
SELECT results_eq(
	$$SELECT shard_id, parent_shard_id FROM stream.list_shards('mt') ORDER BY shard_id$$,
	$$VALUES (pg_temp.sid(1), NULL::text), (pg_temp.sid(2), pg_temp.sid(0)),
			 (pg_temp.sid(3), pg_temp.sid(0)), (pg_temp.sid(4), pg_temp.sid(1)),
			 (pg_temp.sid(5), pg_temp.sid(1))$$,
	'after a pass: the empty closed shard 0 is gone, shard 1 (with a record) stays; '
	'the children still name their parents');
SELECT throws_ok($$SELECT stream.get_shard_iterator('mt', 'shardId-000000000000', 'TRIM_HORIZON')$$,
				 '42704', NULL, '... get_shard_iterator on the removed shard: 42704');
SELECT is((SELECT count(*) FROM stream.read('mt')), 1::bigint, '... the record is still readable');
SELECT ok(NOT (stream.describe_stream('mt')->'Shards' @> jsonb_build_array(
			  jsonb_build_object('ShardId', pg_temp.sid(0)))),
		  '... describe_stream no longer lists shard 0');
SELECT lives_ok($$SELECT stream.split_shard('mt', 'shardId-000000000002', 10)$$,
				'a split after the pass ...');
SELECT results_eq(
	$$SELECT shard_id FROM stream.list_shards('mt') WHERE parent_shard_id = 'shardId-000000000002'
	  ORDER BY shard_id$$,
	$$VALUES (pg_temp.sid(6)), (pg_temp.sid(7))$$,
	'... gives new numbers 6 and 7: shard numbers are never reused');

-- update_shard_count makes shards that it closes again at once (split
-- pieces that it merges): they never have records.  A pass must not break
-- the lineage with them while their parents still hold records: a consumer
-- that reads a parent before its children (as the KCL does, counting a
-- parent that is no longer listed as finished) would otherwise start the
-- merged children before the old shards, and child_shards at the end of an
-- old shard would not cover its range.
SELECT stream.create_stream('lin', 4);
SELECT pg_temp.put40('lin', 'before');
SELECT results_eq($$SELECT * FROM stream.update_shard_count('lin', 3)$$, $$VALUES (4, 3)$$,
				  'update_shard_count 4 -> 3 on a stream with records');
CALL stream.run_maintenance();
SELECT is(pg_temp.lineage_problems('lin', ARRAY[pg_temp.sid(0), pg_temp.sid(1), pg_temp.sid(2),
												pg_temp.sid(3)]), '',
		  'after a pass, every open shard still leads back through listed shards to the old ones');
SELECT is((SELECT string_agg(format('%s [%s, %s]: %s', l.shard_id, l.starting_hash_key,
									l.ending_hash_key, g.child_shards), '; ' ORDER BY l.shard_id)
		   FROM stream.list_shards('lin') l,
				LATERAL stream.get_records(stream.get_shard_iterator('lin', l.shard_id, 'TRIM_HORIZON'))
					AS g
		   WHERE l.ending_sequence_number IS NOT NULL
			 AND (SELECT min((e->'HashKeyRange'->>'StartingHashKey')::numeric) > l.starting_hash_key
						 OR max((e->'HashKeyRange'->>'EndingHashKey')::numeric) < l.ending_hash_key
				  FROM jsonb_array_elements(g.child_shards) e) IS NOT false),
		  NULL, '... and child_shards at the end of each closed shard cover its range');
SELECT is((SELECT count(*) FROM stream.read('lin')), 40::bigint, '... every record is still readable');

-- A closed shard whose records have all expired goes too.
SELECT stream.create_stream('ex', 1);
SELECT stream.set_retention_period('ex', interval '1 second');
SELECT stream.put_record('ex', 'old', '\x01');
SELECT stream.split_shard('ex', 'shardId-000000000000',
						  170141183460469231731687303715884105728);
SELECT stream.put_record('ex', 'new', '\x02');
CALL stream.run_maintenance();
SELECT is((SELECT count(*) FROM stream.shards
		   WHERE stream_id = (SELECT stream_id FROM stream.streams WHERE stream_name = 'ex')
			 AND shard_no = 0), 1::bigint,
		  'a closed shard whose record has not expired stays after a pass');
SELECT pg_sleep(1.3);
CALL stream.run_maintenance();
SELECT pg_sleep(0.2);
CALL stream.run_maintenance();
SELECT is((SELECT count(*) FROM stream.shards
		   WHERE stream_id = (SELECT stream_id FROM stream.streams WHERE stream_name = 'ex')
			 AND shard_no = 0), 0::bigint,
		  'once its records have expired, the closed shard is gone after a pass');
SELECT results_eq($$SELECT shard_id FROM stream.list_shards('ex') ORDER BY shard_id$$,
				  $$VALUES (pg_temp.sid(1)), (pg_temp.sid(2))$$,
				  '... list_shards lists the two children only');
SELECT is((SELECT count(*) FROM stream.read('ex') WHERE partition_key = 'old'), 0::bigint,
		  '... and its record is no longer readable');

-- A shard closed before any record reached it still has a range of sequence
-- numbers, as in Kinesis, and an iterator at its end leads on to its children.
SELECT stream.create_stream('empty_parent', 1);
SELECT stream.split_shard('empty_parent', 'shardId-000000000000',
						  170141183460469231731687303715884105728);
SELECT cmp_ok((SELECT ending_sequence_number FROM stream.list_shards('empty_parent')
			   WHERE shard_id = 'shardId-000000000000'), '>=',
			  (SELECT starting_sequence_number FROM stream.list_shards('empty_parent')
			   WHERE shard_id = 'shardId-000000000000'),
			  'an empty shard closed by a split ends at or after its start');
SELECT is((SELECT jsonb_array_length(child_shards) FROM stream.get_records(
			 stream.get_shard_iterator('empty_parent', 'shardId-000000000000', 'AT_SEQUENCE_NUMBER',
									   (SELECT ending_sequence_number FROM stream.list_shards('empty_parent')
										WHERE shard_id = 'shardId-000000000000')))),
		  2, '... ... and an iterator at its end reads nothing and leads to its two children');

SELECT * FROM finish();
ROLLBACK;
