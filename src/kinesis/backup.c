/*-------------------------------------------------------------------------
 *
 * backup.c
 *	  Logical backup: pg_dump carries every stream, and a restore puts each
 *	  record back with its sequence number.
 *
 * pg_dump dumps of an extension only CREATE EXTENSION, the privileges of its
 * objects and the rows of its configuration tables.  So the whole content of
 * the streams goes through one configuration table, stream_internal.dump
 * (sql/88_backup.sql), whose rows are never stored:
 *
 * - dumping, pg_dump copies out the table "WHERE false", then, by the
 *   condition pg_extension_config_dump registered, the rows of
 *   stream_internal.dump_rows(): a header, the catalog rows of every stream,
 *   each segment followed by its records in the order of their addresses,
 *   and an end row that counts them.  They are read under pg_dump's
 *   snapshot, every segment locked from the first row on;
 * - restoring, the COPY into the table fires the trigger here, which applies
 *   each row and stores none: catalog rows through
 *   stream_internal.restore_catalog_row, records by StreamLogPlace at the
 *   address they had, encrypted ones as the ciphertext they were, their
 *   segments' data keys sealed as they were.  A dump cut short fails the
 *   restore at commit, and a restore with the trigger disabled fails on the
 *   table's CHECK (false).
 *
 * One table, not one per catalog table or segment, because pg_restore -j
 * loads the data of configuration tables in any order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "storage/lmgr.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "kinesis/backup.h"
#include "kinesis/segment.h"
#include "log/log_page.h"
#include "log/seqno.h"
#include "numeric128.h"

PG_FUNCTION_INFO_V1(stream_dump_rows);
PG_FUNCTION_INFO_V1(stream_restore_row);

/* Bumped when the rows change in a way an older restore cannot read */
#define DUMP_FORMAT 1

/* Columns of stream_internal.dump */
enum
{
	COL_KIND,
	COL_STREAM_ID,
	COL_SEQUENCE_NUMBER,
	COL_ARRIVAL,
	COL_PARTITION_KEY,
	COL_HASH_KEY,
	COL_DATA,
	COL_INFO,
	COL_SEALED_KEY,
	DUMP_NATTS
};

/*----------
 * Dumping
 *----------
 */

/* A row of the catalog part, as stream_internal.dump_catalog() gives it */
typedef struct CatalogRow
{
	char	   *kind;
	bool		has_stream;
	int32		stream_id;
	Datum		info;
} CatalogRow;

typedef struct DumpSegment
{
	int32		stream_id;
	int32		segment_no;
	Oid			relid;
	Datum		info;			/* its catalog row, without the relation */
	bool		expired;		/* dropped since the snapshot, by expiry */
} DumpSegment;

typedef struct DumpState
{
	CatalogRow *catalog;
	int			ncatalog;
	int			next_catalog;
	DumpSegment *segments;
	int			nsegments;
	int			next_segment;
	char	   *identity;		/* last stream id given, or "null" */
	int64		streams;
	int64		segments_dumped;
	int64		records;
	Relation	rel;			/* the segment being read, or NULL */
	DumpSegment *segment;
	StreamLogReader reader;
	bool		ended;
} DumpState;

static Datum
JsonbFromCString(const char *json)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
}

/*
 * Locks a segment of the snapshot's catalog until the dump ends, as pg_dump
 * locks the tables it dumps, so that neither expiry nor delete_stream drops
 * it meanwhile.  One dropped already since the snapshot was taken expired,
 * and its records are past the retention period; unless its stream was
 * deleted (its view is gone too), which leaves the dump without records it
 * should have: that fails.
 */
static void
LockSegment(DumpSegment *segment, const char *stream_name, Oid acl_relid)
{
	LockRelationOid(segment->relid, AccessShareLock);
	if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(segment->relid)))
		return;
	if (OidIsValid(acl_relid) &&
		!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(acl_relid)))
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not dump stream \"%s\": it was deleted after the dump began",
						stream_name),
				 errhint("Run pg_dump again.")));
	segment->expired = true;
}

/*
 * Reads the catalog under the query's snapshot (read_only SPI takes no new
 * one), so that it and the records are of the same moment.
 */
static void
DumpReadCatalog(DumpState *state, MemoryContext cxt)
{
	MemoryContext old;
	int			ret;

	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));

	ret = SPI_execute("SELECT d.kind, d.stream_id, d.info FROM stream_internal.dump_catalog() d",
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading the catalog of streams failed: %s",
			 SPI_result_code_string(ret));
	old = MemoryContextSwitchTo(cxt);
	state->ncatalog = SPI_processed;
	state->catalog = palloc0(sizeof(CatalogRow) * Max(state->ncatalog, 1));
	for (int i = 0; i < state->ncatalog; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		CatalogRow *row = &state->catalog[i];
		bool		isnull;
		Datum		d;

		row->kind = SPI_getvalue(tuple, desc, 1);
		d = SPI_getbinval(tuple, desc, 2, &isnull);
		row->has_stream = !isnull;
		row->stream_id = isnull ? 0 : DatumGetInt32(d);
		d = SPI_getbinval(tuple, desc, 3, &isnull);
		row->info = datumCopy(d, false, -1);
		if (strcmp(row->kind, "stream") == 0)
			state->streams++;
	}
	MemoryContextSwitchTo(old);

	ret = SPI_execute("SELECT g.stream_id, g.segment_no, g.relation::pg_catalog.oid,"
					  " pg_catalog.to_jsonb(g) OPERATOR(pg_catalog.-) 'relation',"
					  " s.stream_name, s.acl::pg_catalog.oid"
					  " FROM stream.segments g JOIN stream.streams s USING (stream_id)"
					  " ORDER BY g.stream_id, g.segment_no",
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading the segments of streams failed: %s",
			 SPI_result_code_string(ret));
	old = MemoryContextSwitchTo(cxt);
	state->nsegments = SPI_processed;
	state->segments = palloc0(sizeof(DumpSegment) * Max(state->nsegments, 1));
	for (int i = 0; i < state->nsegments; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		DumpSegment *segment = &state->segments[i];
		bool		isnull;

		segment->stream_id = DatumGetInt32(SPI_getbinval(tuple, desc, 1, &isnull));
		segment->segment_no = DatumGetInt32(SPI_getbinval(tuple, desc, 2, &isnull));
		segment->relid = DatumGetObjectId(SPI_getbinval(tuple, desc, 3, &isnull));
		segment->info = datumCopy(SPI_getbinval(tuple, desc, 4, &isnull), false, -1);
		LockSegment(segment, SPI_getvalue(tuple, desc, 5),
					DatumGetObjectId(SPI_getbinval(tuple, desc, 6, &isnull)));
	}
	MemoryContextSwitchTo(old);

	ret = SPI_execute("SELECT CASE WHEN is_called THEN last_value END"
					  " FROM stream.streams_stream_id_seq", true, 0);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading the last stream id failed: %s",
			 SPI_result_code_string(ret));
	{
		char	   *value = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		state->identity = MemoryContextStrdup(cxt, value ? value : "null");
	}
	SPI_finish();
}

static void
DumpCloseSegment(DumpState *state)
{
	if (state->rel != NULL)
	{
		StreamLogReaderEnd(&state->reader);
		/* the lock taken with the catalog stays */
		table_close(state->rel, AccessShareLock);
		state->rel = NULL;
	}
}

/* When the query ends before the rows do */
static void
DumpShutdown(Datum arg)
{
	DumpCloseSegment((DumpState *) DatumGetPointer(arg));
}

/*
 * Opens the next segment that did not expire; false when none is left.  An
 * expired segment's records are not in the dump, and neither is it.
 */
static bool
DumpOpenNextSegment(DumpState *state)
{
	while (state->next_segment < state->nsegments)
	{
		DumpSegment *segment = &state->segments[state->next_segment++];
		Relation	rel;

		if (segment->expired)
			continue;
		/* locked since the first row: it is there */
		rel = StreamTryOpenSegment(segment->relid, AccessShareLock);
		if (rel == NULL)
			elog(ERROR, "stream segment %u is gone while locked", segment->relid);
		state->rel = rel;
		state->segment = segment;
		StreamLogReaderBegin(&state->reader, rel, 1, FirstOffsetNumber,
							 GetActiveSnapshot());
		return true;
	}
	return false;
}

static Datum
DumpRow(FunctionCallInfo fcinfo, TupleDesc desc, Datum *values, bool *nulls)
{
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

/*
 * stream_internal.dump_rows() RETURNS SETOF stream_internal.dump
 *
 * The rows of every stream, for pg_dump, one at a time so that a dump of
 * any size streams through.
 */
Datum
stream_dump_rows(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	DumpState  *state;
	Datum		values[DUMP_NATTS];
	bool		nulls[DUMP_NATTS];

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		TupleDesc	desc;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE ||
			desc->natts != DUMP_NATTS)
			elog(ERROR, "stream_internal.dump_rows must return the rows of stream_internal.dump");
		funcctx->tuple_desc = BlessTupleDesc(desc);
		state = palloc0(sizeof(DumpState));
		funcctx->user_fctx = state;
		MemoryContextSwitchTo(old);
		DumpReadCatalog(state, funcctx->multi_call_memory_ctx);
		RegisterExprContextCallback(((ReturnSetInfo *) fcinfo->resultinfo)->econtext,
									DumpShutdown, PointerGetDatum(state));
	}
	funcctx = SRF_PERCALL_SETUP();
	state = funcctx->user_fctx;
	memset(nulls, true, sizeof(nulls));

	/* the catalog: the header, then each stream's rows */
	if (state->next_catalog < state->ncatalog)
	{
		CatalogRow *row = &state->catalog[state->next_catalog++];

		values[COL_KIND] = CStringGetTextDatum(row->kind);
		nulls[COL_KIND] = false;
		values[COL_STREAM_ID] = Int32GetDatum(row->stream_id);
		nulls[COL_STREAM_ID] = !row->has_stream;
		values[COL_INFO] = row->info;
		nulls[COL_INFO] = false;
		SRF_RETURN_NEXT(funcctx, DumpRow(fcinfo, funcctx->tuple_desc, values, nulls));
	}

	/* each segment, then its records */
	for (;;)
	{
		StreamRecord record;

		if (state->rel == NULL)
		{
			StreamMetaData meta;
			bool		sealed;

			if (!DumpOpenNextSegment(state))
				break;
			sealed = StreamLogReadMeta(state->rel, &meta) &&
				(meta.flags & STREAM_META_SEALED);
			state->segments_dumped++;
			values[COL_KIND] = CStringGetTextDatum("segment");
			nulls[COL_KIND] = false;
			values[COL_STREAM_ID] = Int32GetDatum(state->segment->stream_id);
			nulls[COL_STREAM_ID] = false;
			values[COL_INFO] = DirectFunctionCall2(jsonb_concat, state->segment->info,
												   JsonbFromCString(sealed ?
																	"{\"sealed\": true}" :
																	"{\"sealed\": false}"));
			nulls[COL_INFO] = false;
			SRF_RETURN_NEXT(funcctx, DumpRow(fcinfo, funcctx->tuple_desc, values, nulls));
		}

		/* with a snapshot, records in progress are invisible: no waiting */
		if (StreamLogReadNext(&state->reader, &record) != STREAM_READ_RECORD)
		{
			DumpCloseSegment(state);
			continue;
		}
		StreamLogReadBody(&state->reader, &record);
		/* no page stays locked while pg_dump takes the row */
		StreamLogReaderRelease(&state->reader);
		state->records++;

		values[COL_KIND] = CStringGetTextDatum("record");
		values[COL_STREAM_ID] = Int32GetDatum(state->segment->stream_id);
		values[COL_SEQUENCE_NUMBER] =
			Int64GetDatum(StreamSeqMake(state->segment->segment_no, record.block,
										record.offset));
		values[COL_ARRIVAL] = TimestampTzGetDatum(record.arrival);
		values[COL_PARTITION_KEY] = PointerGetDatum(record.key);
		values[COL_SEALED_KEY] = PointerGetDatum(record.key);
		values[COL_HASH_KEY] = Uint128GetNumeric(record.hash_key);
		values[COL_DATA] = PointerGetDatum(record.data);
		memset(nulls, false, sizeof(nulls));
		nulls[COL_INFO] = true;
		/* as stored: an encrypted record's key is ciphertext, no text */
		nulls[COL_PARTITION_KEY] = record.encrypted;
		nulls[COL_SEALED_KEY] = !record.encrypted;
		SRF_RETURN_NEXT(funcctx, DumpRow(fcinfo, funcctx->tuple_desc, values, nulls));
	}

	/* the end: what a restore must have applied */
	if (!state->ended)
	{
		state->ended = true;
		values[COL_KIND] = CStringGetTextDatum("end");
		nulls[COL_KIND] = false;
		values[COL_INFO] = JsonbFromCString(psprintf("{\"streams\": " INT64_FORMAT
													 ", \"segments\": " INT64_FORMAT
													 ", \"records\": " INT64_FORMAT
													 ", \"last_stream_id\": %s}",
													 state->streams,
													 state->segments_dumped,
													 state->records,
													 state->identity));
		nulls[COL_INFO] = false;
		SRF_RETURN_NEXT(funcctx, DumpRow(fcinfo, funcctx->tuple_desc, values, nulls));
	}
	/* the state goes with the rows: the callback must not find it */
	UnregisterExprContextCallback(((ReturnSetInfo *) fcinfo->resultinfo)->econtext,
								  DumpShutdown, PointerGetDatum(state));
	SRF_RETURN_DONE(funcctx);
}

/*----------
 * Restoring
 *----------
 */

/*
 * What the restore in this transaction has applied.  A dump is one COPY, so
 * one statement, but the state lives until the end of the transaction so
 * that a dump cut short is found at commit.
 */
typedef struct RestoreState
{
	bool		active;			/* a header was applied */
	bool		ended;			/* and its end row */
	int64		streams;
	int64		segments;
	int64		records;
	/* the segment whose records come now */
	Oid			segment;
	int32		stream_id;
	int32		segment_no;
	bool		seal;			/* it was sealed */
	SubTransactionId subid;		/* where the header was applied */
} RestoreState;

static RestoreState restore;

static void
RestoreXactCallback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			if (restore.active && !restore.ended)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("the dump of streams being restored ends before its last row"),
						 errdetail(INT64_FORMAT " streams, " INT64_FORMAT " segments and " INT64_FORMAT " records were read.",
								   restore.streams, restore.segments, restore.records),
						 errhint("The dump is incomplete, or was made with --inserts and is restored a row a transaction: restore the whole of it, in one transaction (--single-transaction) if it was made with --inserts.")));
			break;
		default:
			memset(&restore, 0, sizeof(restore));
			break;
	}
}

/*
 * A savepoint rolled back takes the restore with it if the header was
 * applied under it; one released hands the restore to its parent.
 */
static void
RestoreSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	if (!restore.active || mySubid != restore.subid)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
		memset(&restore, 0, sizeof(restore));
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
		restore.subid = parentSubid;
}

void
BackupInit(void)
{
	RegisterXactCallback(RestoreXactCallback, NULL);
	RegisterSubXactCallback(RestoreSubXactCallback, NULL);
}

static void
RestoreCheckOrder(bool ok, const char *kind)
{
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("a row of kind \"%s\" of a dump of streams is out of place", kind),
				 errhint("Restore a whole dump made by pg_dump, with its rows in order.")));
}

/* A segment a catalog row made */
typedef struct RestoredSegment
{
	Oid			relid;
	int32		segment_no;
	bool		sealed;
} RestoredSegment;

/*
 * Applies a catalog row with stream_internal.restore_catalog_row; for a
 * segment, says which relation it made, of which number, and whether the
 * segment was sealed.
 */
static void
RestoreCatalogRow(const char *kind, Datum stream_id, bool stream_id_null,
				  Datum info, RestoredSegment *segment)
{
	Oid			argtypes[3] = {TEXTOID, INT4OID, JSONBOID};
	Datum		args[3];
	char		argnulls[3] = {' ', stream_id_null ? 'n' : ' ', ' '};
	int			ret;

	args[0] = CStringGetTextDatum(kind);
	args[1] = stream_id;
	args[2] = info;
	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));
	ret = SPI_execute_with_args("SELECT stream_internal.restore_catalog_row($1, $2, $3)::pg_catalog.oid,"
								" ($3 OPERATOR(pg_catalog.->>) 'segment_no')::pg_catalog.int4,"
								" coalesce(($3 OPERATOR(pg_catalog.->>) 'sealed')::pg_catalog.bool, false)",
								3, argtypes, args, argnulls, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "restoring a row of kind \"%s\" failed: %s", kind,
			 SPI_result_code_string(ret));
	if (segment != NULL)
	{
		HeapTuple	tuple = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		relid_null;
		bool		segment_no_null;
		bool		sealed_null;

		segment->relid = DatumGetObjectId(SPI_getbinval(tuple, desc, 1, &relid_null));
		segment->segment_no = DatumGetInt32(SPI_getbinval(tuple, desc, 2, &segment_no_null));
		segment->sealed = DatumGetBool(SPI_getbinval(tuple, desc, 3, &sealed_null));
		if (relid_null || segment_no_null)
			elog(ERROR, "stream_internal.restore_catalog_row made no segment");
	}
	SPI_finish();
}

/* The segment whose records came last is complete: seal it if it was. */
static void
RestoreEndSegment(void)
{
	if (OidIsValid(restore.segment) && restore.seal)
	{
		Relation	rel = StreamTryOpenSegment(restore.segment, RowExclusiveLock);

		if (rel == NULL)
			elog(ERROR, "restored segment %u is gone", restore.segment);
		StreamLogSealRestored(rel, restore.segment_no);
		table_close(rel, NoLock);
	}
	restore.segment = InvalidOid;
}

/* The value of a column the row must have */
static Datum
RestoreColumn(HeapTuple tuple, TupleDesc desc, int col, const char *kind)
{
	bool		isnull;
	Datum		value = heap_getattr(tuple, col + 1, desc, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("a row of kind \"%s\" of a dump of streams lacks its column \"%s\"",
						kind, NameStr(TupleDescAttr(desc, col)->attname))));
	return value;
}

static void
RestoreRecord(HeapTuple tuple, TupleDesc desc)
{
	int32		stream_id = DatumGetInt32(RestoreColumn(tuple, desc, COL_STREAM_ID, "record"));
	int64		seq = DatumGetInt64(RestoreColumn(tuple, desc, COL_SEQUENCE_NUMBER, "record"));
	bytea	   *data = DatumGetByteaPP(RestoreColumn(tuple, desc, COL_DATA, "record"));
	bool		plain;
	struct varlena *key;
	StreamAppendRecord rec;
	Relation	rel;

	/* an encrypted record keeps its ciphertext, its key in sealed_key */
	(void) heap_getattr(tuple, COL_SEALED_KEY + 1, desc, &plain);
	key = PG_DETOAST_DATUM_PACKED(RestoreColumn(tuple, desc,
												plain ? COL_PARTITION_KEY : COL_SEALED_KEY,
												"record"));

	RestoreCheckOrder(OidIsValid(restore.segment) && stream_id == restore.stream_id &&
					  seq >= 0 && StreamSeqSegment(seq) == restore.segment_no,
					  "record");
	memset(&rec, 0, sizeof(rec));
	rec.key = VARDATA_ANY(key);
	rec.key_len = VARSIZE_ANY_EXHDR(key);
	rec.data = VARDATA_ANY(data);
	rec.data_len = VARSIZE_ANY_EXHDR(data);
	if (!NumericGetUint128(RestoreColumn(tuple, desc, COL_HASH_KEY, "record"),
						   &rec.hash_key))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the hash key of record %lld of a dump of streams is out of range",
						(long long) seq)));
	rec.block = StreamSeqBlock(seq);
	rec.offset = StreamSeqOffset(seq);
	rec.encrypted = !plain;
	rec.arrival = DatumGetTimestampTz(RestoreColumn(tuple, desc, COL_ARRIVAL, "record"));

	rel = StreamTryOpenSegment(restore.segment, RowExclusiveLock);
	if (rel == NULL)
		elog(ERROR, "restored segment %u is gone", restore.segment);
	StreamLogPlace(rel, restore.segment_no, &rec);
	table_close(rel, NoLock);
	restore.records++;
}

/* The header: a dump this restore can read, made with pages of our size */
static void
RestoreHeader(Datum info)
{
	int			ret;
	int			format;
	int			block_size;
	bool		isnull;
	Oid			argtypes[1] = {JSONBOID};

	RestoreCheckOrder(!restore.active || restore.ended, "header");
	memset(&restore, 0, sizeof(restore));
	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));
	ret = SPI_execute_with_args("SELECT coalesce(($1 OPERATOR(pg_catalog.->>) 'format')::pg_catalog.int4, 0),"
								" coalesce(($1 OPERATOR(pg_catalog.->>) 'block_size')::pg_catalog.int4, 0)",
								1, argtypes, &info, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading the header of a dump of streams failed: %s",
			 SPI_result_code_string(ret));
	format = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	block_size = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	SPI_finish();

	if (format != DUMP_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a dump of streams in format %d cannot be restored by this version of the extension, which reads format %d",
						format, DUMP_FORMAT),
				 errhint("Restore it with the version of the extension that made it, then update the extension.")));
	/* records go back where they were, on pages as large */
	if (block_size != BLCKSZ)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a dump of streams made with a block size of %d cannot be restored into a server with a block size of %d",
						block_size, BLCKSZ),
				 errdetail("Records keep their sequence numbers, which are their addresses in pages of that size.")));
	RestoreCatalogRow("header", (Datum) 0, true, info, NULL);
	restore.active = true;
	restore.subid = GetCurrentSubTransactionId();
}

/* The end: everything the dump counted was applied */
static void
RestoreEnd(Datum info)
{
	char	   *mine;
	int			ret;
	Oid			argtypes[2] = {JSONBOID, JSONBOID};
	Datum		args[2];
	bool		isnull;

	RestoreEndSegment();
	mine = psprintf("{\"streams\": " INT64_FORMAT ", \"segments\": " INT64_FORMAT
					", \"records\": " INT64_FORMAT "}",
					restore.streams, restore.segments, restore.records);
	args[0] = info;
	args[1] = JsonbFromCString(mine);
	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));
	ret = SPI_execute_with_args("SELECT $2 OPERATOR(pg_catalog.=)"
								" ($1 OPERATOR(pg_catalog.-) 'last_stream_id'), $1::pg_catalog.text",
								2, argtypes, args, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "checking the end of a dump of streams failed: %s",
			 SPI_result_code_string(ret));
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
									&isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("a dump of streams does not hold what its end row counts"),
				 errdetail("Restored %s; the end row says %s.", mine,
						   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2)),
				 errhint("The dump is damaged.")));
	SPI_finish();
	RestoreCatalogRow("end", (Datum) 0, true, info, NULL);
	restore.ended = true;
}

/*
 * stream_internal.restore_row() RETURNS trigger
 *
 * BEFORE INSERT FOR EACH ROW on stream_internal.dump: applies the row and
 * stores nothing.
 */
Datum
stream_restore_row(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	HeapTuple	tuple;
	TupleDesc	desc;
	char	   *kind;
	bool		isnull;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		elog(ERROR, "stream_internal.restore_row must be fired before each row inserted");
	tuple = trigdata->tg_trigtuple;
	desc = RelationGetDescr(trigdata->tg_relation);
	if (desc->natts != DUMP_NATTS)
		elog(ERROR, "stream_internal.restore_row fired on a table of %d columns, expected %d",
			 desc->natts, DUMP_NATTS);

	kind = TextDatumGetCString(RestoreColumn(tuple, desc, COL_KIND, "?"));

	if (strcmp(kind, "header") == 0)
		RestoreHeader(RestoreColumn(tuple, desc, COL_INFO, kind));
	else if (strcmp(kind, "record") == 0)
		RestoreRecord(tuple, desc);
	else
	{
		RestoreCheckOrder(restore.active && !restore.ended, kind);
		if (strcmp(kind, "end") == 0)
			RestoreEnd(RestoreColumn(tuple, desc, COL_INFO, kind));
		else if (strcmp(kind, "segment") == 0)
		{
			Datum		stream_id = RestoreColumn(tuple, desc, COL_STREAM_ID, kind);
			RestoredSegment segment;

			RestoreEndSegment();
			RestoreCatalogRow(kind, stream_id, false,
							  RestoreColumn(tuple, desc, COL_INFO, kind), &segment);
			restore.segment = segment.relid;
			restore.segment_no = segment.segment_no;
			restore.seal = segment.sealed;
			restore.stream_id = DatumGetInt32(stream_id);
			restore.segments++;
		}
		else
		{
			Datum		stream_id = heap_getattr(tuple, COL_STREAM_ID + 1, desc, &isnull);

			/* stream, shard, consumer, scaling, mode_change */
			RestoreCatalogRow(kind, stream_id, isnull,
							  RestoreColumn(tuple, desc, COL_INFO, kind), NULL);
			if (strcmp(kind, "stream") == 0)
				restore.streams++;
		}
	}
	/* stored nowhere */
	return PointerGetDatum(NULL);
}
