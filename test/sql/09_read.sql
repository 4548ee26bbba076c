\set ECHO none
\i test/sql/lib/setup.sql
-- stream.read: every retained record ordered by shard then sequence number,
-- and its filters shard_id, after_sequence_number, since and limit.
BEGIN;
SELECT plan(22);

SELECT stream.create_stream('rd', 3);
SELECT stream.create_stream('rd_empty', 2);

SELECT is_empty($$SELECT * FROM stream.read('rd')$$, 'a new stream reads nothing');

-- Batch A, a moment t, then batch B.
CREATE TEMP TABLE put AS
	SELECT 'A' AS batch, ordinality AS i, shard_id, sequence_number
	FROM stream.put_records('rd',
		ARRAY(SELECT 'key-' || i FROM generate_series(1, 30) AS i ORDER BY i),
		ARRAY(SELECT convert_to('A' || i, 'UTF8') FROM generate_series(1, 30) AS i ORDER BY i));
SELECT pg_sleep(0.02) \gset
SELECT clock_timestamp() AS t \gset
SELECT pg_sleep(0.02) \gset
INSERT INTO put
	SELECT 'B', ordinality, shard_id, sequence_number
	FROM stream.put_records('rd',
		ARRAY(SELECT 'key-' || i FROM generate_series(1, 30) AS i ORDER BY i),
		ARRAY(SELECT convert_to('B' || i, 'UTF8') FROM generate_series(1, 30) AS i ORDER BY i));

SELECT is((SELECT count(DISTINCT shard_id) FROM put), 3::bigint, 'the records reach all 3 shards');

SELECT results_eq(
	$$SELECT shard_id, sequence_number, partition_key, data FROM stream.read('rd')$$,
	$$SELECT shard_id, sequence_number, 'key-' || i, convert_to(batch || i, 'UTF8') FROM put
	  ORDER BY shard_id, sequence_number$$,
	'read returns every record, ordered by shard then sequence number');
SELECT results_eq(
	$$SELECT shard_id, sequence_number FROM stream.read('rd', NULL, NULL, NULL, NULL)$$,
	$$SELECT shard_id, sequence_number FROM put ORDER BY shard_id, sequence_number$$,
	'explicit NULL filters are no filters');
SELECT results_eq(
	$$SELECT data FROM stream.read('rd') WHERE partition_key = 'key-7'$$,
	$$VALUES ('\x4137'::bytea), ('\x4237'::bytea)$$,
	'records of one key keep their order');

-- The arrival time read is the one get_records gives.
SELECT results_eq(
	$$SELECT sequence_number, approximate_arrival_timestamp FROM stream.read('rd', 'shardId-000000000001')$$,
	$$SELECT r.sequence_number, r.approximate_arrival_timestamp
	  FROM stream.get_records(stream.get_shard_iterator('rd', 'shardId-000000000001', 'TRIM_HORIZON')) AS g,
		   unnest(g.records) WITH ORDINALITY AS r ORDER BY r.ordinality$$,
	'read and get_records agree on sequence numbers and arrival times');

-- shard_id
SELECT results_eq(
	$$SELECT shard_id, sequence_number FROM stream.read('rd', 'shardId-000000000001')$$,
	$$SELECT shard_id, sequence_number FROM put WHERE shard_id = 'shardId-000000000001'
	  ORDER BY sequence_number$$,
	'shard_id: only that shard''s records, in order');
SELECT results_eq(
	$$SELECT shard_id, sequence_number FROM stream.read('rd', shard_id => 'shardId-000000000002')$$,
	$$SELECT shard_id, sequence_number FROM put WHERE shard_id = 'shardId-000000000002'
	  ORDER BY sequence_number$$,
	'shard_id as a named argument');

-- after_sequence_number
SELECT sequence_number AS mid FROM put WHERE shard_id = 'shardId-000000000000'
	ORDER BY sequence_number OFFSET 3 LIMIT 1 \gset
SELECT results_eq(
	format('SELECT sequence_number FROM stream.read(%L, %L, %s)', 'rd', 'shardId-000000000000', :mid),
	format('SELECT sequence_number FROM put WHERE shard_id = %L AND sequence_number > %s
			ORDER BY sequence_number', 'shardId-000000000000', :mid),
	'after_sequence_number: the records after it, not it');
SELECT sequence_number AS last0 FROM put WHERE shard_id = 'shardId-000000000000'
	ORDER BY sequence_number DESC LIMIT 1 \gset
SELECT is_empty(
	format('SELECT * FROM stream.read(%L, %L, %s)', 'rd', 'shardId-000000000000', :last0),
	'after_sequence_number of the last record: nothing');
SELECT results_eq(
	format('SELECT sequence_number FROM stream.read(%L, %L, after_sequence_number => 0)',
		   'rd', 'shardId-000000000000'),
	$$SELECT sequence_number FROM put WHERE shard_id = 'shardId-000000000000'
	  ORDER BY sequence_number$$,
	'after_sequence_number 0: every record of the shard');

-- since
SELECT results_eq(
	format('SELECT shard_id, sequence_number FROM stream.read(%L, since => %L)', 'rd', :'t'),
	$$SELECT shard_id, sequence_number FROM put WHERE batch = 'B' ORDER BY shard_id, sequence_number$$,
	'since: the records that arrived at or after the time');
SELECT results_eq(
	format('SELECT shard_id, sequence_number FROM stream.read(%L, %L, NULL, %L)', 'rd',
		   'shardId-000000000002', :'t'),
	$$SELECT shard_id, sequence_number FROM put WHERE batch = 'B' AND shard_id = 'shardId-000000000002'
	  ORDER BY sequence_number$$,
	'since with shard_id');
SELECT is_empty(
	$$SELECT * FROM stream.read('rd', since => clock_timestamp() + interval '1 minute')$$,
	'since in the future: nothing');
SELECT is((SELECT count(*) FROM stream.read('rd', since => now() - interval '1 hour')), 60::bigint,
		  'since an hour ago: every record');

-- limit
SELECT results_eq(
	$$SELECT shard_id, sequence_number FROM stream.read('rd', "limit" => 5)$$,
	$$SELECT shard_id, sequence_number FROM put ORDER BY shard_id, sequence_number LIMIT 5$$,
	'limit: the first records in order');
SELECT results_eq(
	$$SELECT shard_id, sequence_number FROM stream.read('rd', 'shardId-000000000001', "limit" => 2)$$,
	$$SELECT shard_id, sequence_number FROM put WHERE shard_id = 'shardId-000000000001'
	  ORDER BY sequence_number LIMIT 2$$,
	'limit with shard_id');
SELECT is((SELECT count(*) FROM stream.read('rd', "limit" => 1000)), 60::bigint,
		  'a limit above the count: every record');

-- Other streams, unknown streams and shards.
SELECT is_empty($$SELECT * FROM stream.read('rd_empty')$$, 'another stream''s records are not read');
SELECT throws_ok($$SELECT * FROM stream.read('nope')$$, '42704', NULL, 'an unknown stream: 42704');
SELECT throws_ok($$SELECT * FROM stream.read('rd', 'shardId-000000000003')$$, '42704', NULL,
				 'a shard the stream does not have: 42704');
SELECT throws_ok($$SELECT * FROM stream.read(NULL)$$, '22023', NULL, 'a NULL stream name: 22023');

SELECT * FROM finish();
ROLLBACK;
