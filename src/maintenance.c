/*-------------------------------------------------------------------------
 *
 * maintenance.c
 *	  What stream.run_maintenance() needs from storage: the state of a
 *	  segment, sealing it, and dropping it without waiting.
 *
 * The pass itself is PL/pgSQL (sql/stream--0.1.sql): for each stream it
 * drops the oldest segments whose newest record is past the retention
 * period, seals the segment being written once it is full or old, and keeps
 * one empty segment ready after it, so that writers never wait for DDL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "funcapi.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "log_am.h"
#include "log_page.h"
#include "stream.h"

PG_FUNCTION_INFO_V1(stream_segment_info);
PG_FUNCTION_INFO_V1(stream_seal_segment);
PG_FUNCTION_INFO_V1(stream_segment_end);
PG_FUNCTION_INFO_V1(stream_lock_segments);

static Relation
OpenSegment(Oid relid, LOCKMODE mode)
{
	Relation	rel = table_open(relid, mode);

	if (!RelationIsStreamLog(rel))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a stream segment",
						RelationGetRelationName(rel))));
	return rel;
}

/*
 * stream._segment_info(segment regclass, OUT sealed boolean, OUT records
 *   bigint, OUT blocks bigint, OUT first_arrival timestamptz,
 *   OUT last_arrival timestamptz)
 */
Datum
stream_segment_info(PG_FUNCTION_ARGS)
{
	Relation	rel = OpenSegment(PG_GETARG_OID(0), AccessShareLock);
	StreamMetaData meta;
	TupleDesc	desc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	StreamLogReadMeta(rel, &meta);
	table_close(rel, AccessShareLock);

	values[0] = BoolGetDatum((meta.flags & STREAM_META_SEALED) != 0);
	values[1] = Int64GetDatum((int64) meta.record_count);
	values[2] = Int64GetDatum((int64) meta.last_block);
	values[3] = TimestampTzGetDatum(meta.first_arrival);
	values[4] = TimestampTzGetDatum(meta.last_arrival);
	nulls[3] = meta.first_arrival == 0;
	nulls[4] = meta.last_arrival == 0;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc),
													  values, nulls)));
}

/*
 * stream._seal_segment(segment regclass) RETURNS boolean
 *
 * Seals a segment; false if it was sealed already or is empty.
 */
Datum
stream_seal_segment(PG_FUNCTION_ARGS)
{
	Relation	rel = OpenSegment(PG_GETARG_OID(0), RowExclusiveLock);
	bool		sealed = StreamLogSeal(rel);

	table_close(rel, NoLock);
	PG_RETURN_BOOL(sealed);
}

/*
 * stream._segment_end(segment regclass, segment_no int) RETURNS numeric
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
 * stream._lock_segments(segments regclass[])
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
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	Oid		   *relids;

	deconstruct_array(array, REGCLASSOID, sizeof(Oid), true, TYPALIGN_INT,
					  &elems, &nulls, &n);
	relids = palloc(sizeof(Oid) * Max(n, 1));
	for (int i = 0; i < n; i++)
		relids[i] = DatumGetObjectId(elems[i]);
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
