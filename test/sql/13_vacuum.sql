\set ECHO none
\i test/sql/lib/setup.sql
-- VACUUM (FREEZE) of a segment relation: it runs, advances relfrozenxid past
-- the transactions that wrote the records, and the records stay readable.
-- VACUUM cannot run in a transaction block, so this file commits: it works on
-- a stream of its own and deletes it at the end.
SELECT plan(10);

SELECT 'vacuum_test_' || pg_backend_pid() || '_' || (extract(epoch FROM clock_timestamp()) * 1000)::bigint
	AS sname \gset
SELECT stream.create_stream(:'sname', 1) \gset

SELECT g.relation::text AS seg, g.relation::oid AS seg_oid
	FROM stream.segments g JOIN stream.streams s USING (stream_id)
	WHERE s.stream_name = :'sname' ORDER BY g.segment_no LIMIT 1 \gset
SELECT relfrozenxid AS frozen_at_create FROM pg_class WHERE oid = :seg_oid \gset

-- Records written by several committed transactions; the xid of the last.
SELECT stream.put_record(:'sname', 'k1', '\x01') \gset
SELECT stream.put_record(:'sname', 'k2', '\x02') \gset
BEGIN;
SELECT count(*) AS n FROM stream.put_records(:'sname', ARRAY['k3', 'k4', 'k5'],
											 ARRAY['\x03', '\x04', '\x05']::bytea[]) \gset
SELECT pg_current_xact_id()::text AS writer_xid \gset
COMMIT;
-- A rolled-back writer, whose record must never come back.
BEGIN;
SELECT stream.put_record(:'sname', 'k6', '\x06') \gset
ROLLBACK;
-- Move the transaction counter on.
SELECT pg_current_xact_id() \gset
SELECT pg_current_xact_id() \gset

SELECT is((SELECT string_agg(encode(data, 'hex'), ',') FROM stream.read(:'sname')),
		  '01,02,03,04,05', 'the committed records are readable before VACUUM');

VACUUM (FREEZE) :seg;

SELECT cmp_ok(age((SELECT relfrozenxid FROM pg_class WHERE oid = :seg_oid)), '<',
			  age(:'frozen_at_create'::xid),
			  'VACUUM (FREEZE) advances relfrozenxid of the segment');
SELECT cmp_ok(age((SELECT relfrozenxid FROM pg_class WHERE oid = :seg_oid)), '<',
			  age(:'writer_xid'::xid),
			  '... past the transaction that wrote the last records');
SELECT cmp_ok(age((SELECT relfrozenxid FROM pg_class WHERE oid = :seg_oid)), '<',
			  2000000000, '... to a normal transaction id');
SELECT is((SELECT string_agg(encode(data, 'hex'), ',') FROM stream.read(:'sname')),
		  '01,02,03,04,05', 'the committed records are readable after VACUUM (FREEZE)');
SELECT is((SELECT string_agg(encode((r).data, 'hex'), ',')
		   FROM (SELECT unnest(records) AS r
				 FROM stream.get_records(stream.get_shard_iterator(:'sname', 'shardId-000000000000',
																   'TRIM_HORIZON'))) AS g),
		  '01,02,03,04,05', 'get_records reads them after VACUUM (FREEZE)');

-- A plain VACUUM and another VACUUM (FREEZE) after more records.
SELECT stream.put_record(:'sname', 'k7', '\x07') \gset
VACUUM :seg;
VACUUM (FREEZE, ANALYZE) :seg;
SELECT is((SELECT string_agg(encode(data, 'hex'), ',') FROM stream.read(:'sname')),
		  '01,02,03,04,05,07', 'records written after a freeze are readable after the next');

-- A put after VACUUM goes on in sequence.
SELECT sequence_number AS last_seq FROM stream.read(:'sname') ORDER BY sequence_number DESC LIMIT 1 \gset
SELECT cmp_ok((SELECT sequence_number FROM stream.put_record(:'sname', 'k8', '\x08')),
			  '>', :last_seq::numeric, 'a put after VACUUM gets a higher sequence number');

SELECT lives_ok(format('SELECT stream.delete_stream(%L)', :'sname'), 'delete_stream');
SELECT is((SELECT count(*) FROM pg_class WHERE oid = :seg_oid), 0::bigint,
		  '... drops the vacuumed segment');

SELECT * FROM finish();
