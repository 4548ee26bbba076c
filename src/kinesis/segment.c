/*-------------------------------------------------------------------------
 *
 * segment.c
 *	  Segment relations: a shard's log is a chain of them, numbered per
 *	  stream, each a relation of the stream_log access method in the schema
 *	  stream_data.  What the control plane and the maintenance pass do to
 *	  them (create, drop, seal, inspect, lock for a reshard) is here, as
 *	  functions of the schema stream_internal, and the rule of which segment
 *	  is being written, which readers, writers and the pass share.
 *
 * A shard writes to the first of its segments that is not sealed: every one
 * before it is sealed, and the maintenance pass keeps one empty segment
 * ready after it, so that a writer never waits for DDL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "kinesis/acl.h"
#include "kinesis/kinesis.h"
#include "kinesis/segment.h"
#include "kinesis/sequence.h"
#include "log/log_am.h"
#include "log/log_page.h"
#include "log/seqno.h"

PG_FUNCTION_INFO_V1(stream_create_segment);
PG_FUNCTION_INFO_V1(stream_drop_segment);
PG_FUNCTION_INFO_V1(stream_segment_info);
PG_FUNCTION_INFO_V1(stream_seal_segment);
PG_FUNCTION_INFO_V1(stream_seal_segment_if_due);
PG_FUNCTION_INFO_V1(stream_segment_end);
PG_FUNCTION_INFO_V1(stream_lock_segments);
PG_FUNCTION_INFO_V1(stream_writable_segment);

#define SEGMENT_SCHEMA "stream_data"

int			stream_segment_size = 64 * 1024 * 1024 / BLCKSZ;

void
SegmentInit(void)
{
	DefineCustomIntVariable("stream.segment_size",
							"Size at which a segment of a shard's log is closed and the next one begun.",
							"A segment also closes when its oldest record is older than a twentieth of the stream's retention period.",
							&stream_segment_size, 64 * 1024 * 1024 / BLCKSZ,
							16, STREAM_MAX_SEGMENT_BLOCKS / 2,
							PGC_SUSET, GUC_UNIT_BLOCKS, NULL, NULL, NULL);
}

void
StreamSealPolicyFor(int64 retention, bool may_seal, StreamSealPolicy *policy)
{
	policy->may_seal = may_seal;
	policy->max_blocks = stream_segment_size;
	policy->max_age = retention / 20;
}

/*
 * Errors unless a relation is a segment (of stream_log, in stream_data) of a
 * stream that the role calling manages.  Only the extension's owner may
 * execute the functions here, but they take any relation, and each is
 * checked as a public function would be: a role granted them cannot reach a
 * relation or a stream it could not otherwise.
 */
static void
CheckSegment(Oid relid)
{
	char	   *relname = get_rel_name(relid);
	int32		stream_id;
	int32		shard_no;
	int32		segment_no;
	char		extra;

	/* from the syscache, before any lock is taken on what may be no segment */
	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (get_rel_namespace(relid) != get_namespace_oid(SEGMENT_SCHEMA, false) ||
		sscanf(relname, "s%d_%d_%d%c", &stream_id, &shard_no, &segment_no,
			   &extra) != 3)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a stream segment", relname)));
	StreamAuthorizeSegment(stream_id, relname);
}

/* ... and, once open, that it is of stream_log */
static void
CheckSegmentRelation(Relation rel)
{
	if (!RelationIsStreamLog(rel))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a stream segment",
						RelationGetRelationName(rel))));
}

static Relation
OpenSegment(Oid relid, LOCKMODE mode)
{
	Relation	rel;

	CheckSegment(relid);
	rel = table_open(relid, mode);
	CheckSegmentRelation(rel);
	return rel;
}

Relation
StreamTryOpenSegment(Oid relid, LOCKMODE mode)
{
	Relation	rel = try_table_open(relid, mode);

	if (rel != NULL)
		CheckSegmentRelation(rel);
	return rel;
}

bool
StreamSegmentIsSealed(Oid relid)
{
	Relation	rel = StreamTryOpenSegment(relid, AccessShareLock);
	bool		sealed;

	if (rel == NULL)
		return true;
	sealed = StreamLogIsSealed(rel);
	table_close(rel, AccessShareLock);
	return sealed;
}

/*
 * The first segment that is not sealed.  The ones before it are all sealed
 * and the ones after it empty, so it is found from the end; the last
 * segment when none is sealed yet.
 */
int
StreamWritableSegment(const Oid *relids, int n)
{
	int			i = n - 1;

	while (i > 0 && !StreamSegmentIsSealed(relids[i - 1]))
		i--;
	return Max(i, 0);
}

/* The relations of a regclass[] argument (a NULL element: InvalidOid). */
static Oid *
RegclassArrayArg(FunctionCallInfo fcinfo, int argno, int *n)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(argno);
	Datum	   *elems;
	bool	   *nulls;
	Oid		   *relids;

	deconstruct_array(array, REGCLASSOID, sizeof(Oid), true, TYPALIGN_INT,
					  &elems, &nulls, n);
	relids = palloc(sizeof(Oid) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		relids[i] = nulls[i] ? InvalidOid : DatumGetObjectId(elems[i]);
	return relids;
}

/*
 * stream_internal.writable_segment(segments regclass[]) RETURNS int
 *
 * StreamWritableSegment for the maintenance pass: the position (from 1) in
 * the array of a shard's segments, oldest first.
 */
Datum
stream_writable_segment(PG_FUNCTION_ARGS)
{
	int			n;
	Oid		   *relids = RegclassArrayArg(fcinfo, 0, &n);

	if (n == 0)
		PG_RETURN_NULL();
	for (int i = 0; i < n; i++)
	{
		Relation	rel;

		/* one dropped meanwhile counts as sealed, as for writers */
		if (get_rel_name(relids[i]) == NULL)
			continue;
		CheckSegment(relids[i]);
		rel = StreamTryOpenSegment(relids[i], AccessShareLock);
		if (rel != NULL)
			table_close(rel, AccessShareLock);
	}
	PG_RETURN_INT32(StreamWritableSegment(relids, n) + 1);
}

/*
 * stream_internal.create_segment(stream_id, shard_no, segment_no)
 *   RETURNS regclass
 *
 * Creates the relation of a segment as a member of the extension, so that it
 * goes with DROP EXTENSION and is not dumped on its own.
 */
Datum
stream_create_segment(PG_FUNCTION_ARGS)
{
	int32		stream_id = PG_GETARG_INT32(0);
	int32		shard_no = PG_GETARG_INT32(1);
	int32		segment_no = PG_GETARG_INT32(2);
	char	   *relname = psprintf("s%d_%d_%d", stream_id, shard_no, segment_no);

	/* its sequence numbers begin with its number, which must fit */
	if (segment_no < 1 || segment_no > STREAM_MAX_SEGMENT_NO)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("segment number %d is out of range", segment_no),
				 errdetail("A stream has at most %d segments over its life.",
						   STREAM_MAX_SEGMENT_NO)));
	PG_RETURN_OID(StreamCreateMemberRelation(SEGMENT_SCHEMA, relname,
											 psprintf("CREATE TABLE " SEGMENT_SCHEMA ".%s ("
													  "sequence_number pg_catalog.int8, "
													  "approximate_arrival_timestamp pg_catalog.timestamptz, "
													  "partition_key pg_catalog.text, "
													  "hash_key pg_catalog.numeric, "
													  "data pg_catalog.bytea) "
													  "USING stream_log",
													  quote_identifier(relname))));
}

/*
 * stream_internal.drop_segment(segment regclass, wait boolean DEFAULT true)
 *   RETURNS boolean
 *
 * Drops a segment relation, which as an extension member DROP TABLE refuses.
 * Without wait, returns false at once when a reader or writer holds the
 * segment, so that expiry never makes them wait.
 */
Datum
stream_drop_segment(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	bool		wait = PG_GETARG_BOOL(1);
	Relation	rel;

	CheckSegment(relid);
	if (!wait && !ConditionalLockRelationOid(relid, AccessExclusiveLock))
		PG_RETURN_BOOL(false);
	rel = OpenSegment(relid, AccessExclusiveLock);
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE,
					   RelationGetRelationName(rel));
	table_close(rel, NoLock);

	StreamDropMemberRelation(relid);
	PG_RETURN_BOOL(true);
}

/*
 * stream_internal.segment_info(segment regclass, OUT sealed boolean,
 *   OUT records bigint, OUT blocks bigint, OUT first_arrival timestamptz,
 *   OUT last_arrival timestamptz)
 */
Datum
stream_segment_info(PG_FUNCTION_ARGS)
{
	Relation	rel = OpenSegment(PG_GETARG_OID(0), AccessShareLock);
	StreamMetaData meta;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	StreamLogReadMeta(rel, &meta);
	table_close(rel, AccessShareLock);

	values[0] = BoolGetDatum((meta.flags & STREAM_META_SEALED) != 0);
	values[1] = Int64GetDatum((int64) meta.record_count);
	values[2] = Int64GetDatum((int64) meta.last_block);
	values[3] = TimestampTzGetDatum(meta.first_arrival);
	values[4] = TimestampTzGetDatum(meta.last_arrival);
	nulls[3] = meta.first_arrival == 0;
	nulls[4] = meta.last_arrival == 0;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(StreamResultDesc(fcinfo),
													  values, nulls)));
}

/*
 * stream_internal.seal_segment(segment regclass) RETURNS boolean
 *
 * Seals a segment; false if it was sealed already or is empty.
 */
Datum
stream_seal_segment(PG_FUNCTION_ARGS)
{
	Relation	rel = OpenSegment(PG_GETARG_OID(0), RowExclusiveLock);
	bool		sealed = StreamLogSeal(rel, NULL);

	table_close(rel, NoLock);
	PG_RETURN_BOOL(sealed);
}

/*
 * stream_internal.seal_segment_if_due(segment regclass, retention interval)
 *   RETURNS boolean
 *
 * Seals the segment being written once it is full or old (as a writer
 * would, StreamSealPolicyFor), for the maintenance pass, which has made sure
 * that a next segment exists.
 */
Datum
stream_seal_segment_if_due(PG_FUNCTION_ARGS)
{
	Relation	rel = OpenSegment(PG_GETARG_OID(0), RowExclusiveLock);
	float8		seconds = DatumGetFloat8(DirectFunctionCall2(interval_part,
															 CStringGetTextDatum("epoch"),
															 PG_GETARG_DATUM(1)));
	StreamSealPolicy policy;
	bool		sealed;

	StreamSealPolicyFor((int64) (seconds * USECS_PER_SEC), true, &policy);
	sealed = StreamLogSeal(rel, &policy);
	table_close(rel, NoLock);
	PG_RETURN_BOOL(sealed);
}

/*
 * stream_internal.segment_end(segment regclass, segment_no int)
 *   RETURNS numeric
 *
 * The position where the segment's next record would go: every record in it
 * has a smaller sequence number.  Resharding takes the ending sequence number
 * of a shard from it.
 */
Datum
stream_segment_end(PG_FUNCTION_ARGS)
{
	Relation	rel = OpenSegment(PG_GETARG_OID(0), AccessShareLock);
	BlockNumber block;
	OffsetNumber offset;

	StreamLogEndPosition(rel, &block, &offset);
	table_close(rel, AccessShareLock);
	PG_RETURN_DATUM(StreamSeqToNumeric(StreamSeqMake(PG_GETARG_INT32(1), block,
													 offset)));
}

static int
CompareOids(const void *a, const void *b)
{
	Oid			x = *(const Oid *) a;
	Oid			y = *(const Oid *) b;

	return (x > y) - (x < y);
}

/*
 * stream_internal.lock_segments(segments regclass[])
 *
 * Locks segments against writers (SHARE) for a reshard, all or none: when one
 * is busy, the ones taken are let go and the reshard waits, holding none of
 * them, for the transactions that hold the busy one, then tries again.  A
 * writer may hold one shard's segment and wait for another's; taking them
 * one at a time and waiting in between would deadlock with it.
 */
Datum
stream_lock_segments(PG_FUNCTION_ARGS)
{
	int			n;
	Oid		   *relids = RegclassArrayArg(fcinfo, 0, &n);

	for (int i = 0; i < n; i++)
	{
		/* ACCESS SHARE, which writers do not wait for, to check what it is */
		table_close(OpenSegment(relids[i], AccessShareLock), NoLock);
	}
	qsort(relids, n, sizeof(Oid), CompareOids);

	for (;;)
	{
		int			got;
		LOCKTAG		tag;

		for (got = 0; got < n; got++)
			if (!ConditionalLockRelationOid(relids[got], ShareLock))
				break;
		if (got == n)
			break;
		for (int i = 0; i < got; i++)
			UnlockRelationOid(relids[i], ShareLock);
		SET_LOCKTAG_RELATION(tag, MyDatabaseId, relids[got]);
		WaitForLockers(tag, ShareLock, false);
		CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_VOID();
}
