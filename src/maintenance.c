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
#include "fmgr.h"
#include "funcapi.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "log_am.h"
#include "log_page.h"
#include "stream.h"

PG_FUNCTION_INFO_V1(stream_segment_info);
PG_FUNCTION_INFO_V1(stream_seal_segment);

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
