/*-------------------------------------------------------------------------
 *
 * sink.c
 *	  One batch of a sink (sql/83_sinks.sql), for the trigger workers of
 *	  src/worker/worker.c: a trigger's, what Lambda does for a Kinesis event
 *	  source mapping, or a delivery's, what Firehose does.
 *
 * A sink reads each shard of its stream in parallelization_factor lanes (a
 * record is in lane hash(partition key) mod the factor; a delivery has
 * one), each lane a row of stream.sink_lanes with its checkpoint.  A batch
 * of a lane, in the worker's transaction:
 *
 *	1. locks the lane's row (FOR UPDATE SKIP LOCKED): no other worker runs
 *	   the lane until this transaction ends;
 *	2. reads up to batch_size records, and batch_bytes, of the lane from its
 *	   checkpoint (reader.c), skipping those of other lanes; a batch that is
 *	   not full waits until its first record is maximum_batching_window old;
 *	3. in a subtransaction, as the sink's owner, with stream.trigger_timeout
 *	   as its statement timeout: calls the trigger's function with them, or
 *	   inserts them into the delivery's table, or writes them to the
 *	   delivery's file (delivery.c);
 *	4. moves the checkpoint past them (stream_internal.sink_lane_read),
 *	   or, if step 3 failed, rolls its work back and lets
 *	   stream_internal.sink_batch_failed decide: halve the batch, try it
 *	   again later, or write it to the failure stream and go on.
 *
 * The batch's work and the checkpoint commit together, so a batch is
 * applied exactly once; a worker killed in the middle rolls back both, and
 * the next one runs the same batch.  (A file is the exception that
 * delivery.c makes whole: written and renamed before the commit, and
 * replaced by the next try if the commit did not come.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "kinesis/acl.h"
#include "kinesis/application.h"
#include "kinesis/catalog.h"
#include "kinesis/crypt.h"
#include "kinesis/delivery.h"
#include "kinesis/metrics.h"
#include "kinesis/names.h"
#include "kinesis/quota.h"
#include "kinesis/reader.h"
#include "kinesis/sequence.h"
#include "kinesis/sink.h"
#include "log/seqno.h"

/* Lambda's longest function timeout */
#define MAX_TRIGGER_TIMEOUT_MS (15 * 60 * 1000)

/* A batch that waits for its window is looked at again at least this often */
#define RIPEN_CHECK_MS 1000

/* A lane throttled by its shard's read quota tries again after this */
#define THROTTLED_RETRY_MS 100

int			stream_trigger_timeout = 60 * 1000;

void
TriggerInit(void)
{
	DefineCustomIntVariable("stream.trigger_timeout",
							"Longest a trigger's function, or a delivery's copy, may run on one batch.",
							"A batch that runs longer is canceled, and counts as a failure.",
							&stream_trigger_timeout, 60 * 1000, 1000, MAX_TRIGGER_TIMEOUT_MS,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
}

/*
 * Runs a query of this file (schema-qualified), planned once per worker
 * and kept in *kept (catalog.c's StreamKeptPlan), or, with kept NULL, each
 * time (a delivery's INSERT, which names its table).
 */
static void
RunQuery(SPIPlanPtr *kept, const char *sql, int nargs, Oid *argtypes,
		 Datum *args, const char *nulls, int expected)
{
	int			ret;

	if (kept != NULL)
		ret = SPI_execute_plan(StreamKeptPlan(kept, sql, nargs, argtypes), args, nulls,
							   false, 0);
	else
		ret = SPI_execute_with_args(sql, nargs, argtypes, args, nulls, false, 0);
	if (ret != expected)
		elog(ERROR, "sink query failed: %s", SPI_result_code_string(ret));
}

/* The plans of the queries of a batch, kept from batch to batch */
static SPIPlanPtr ready_plan = NULL;
static SPIPlanPtr lock_plan = NULL;
static SPIPlanPtr read_plan = NULL;
static SPIPlanPtr lines_plan = NULL;
static SPIPlanPtr failed_plan = NULL;
static SPIPlanPtr error_plan = NULL;

StreamSinkLane *
StreamReadySinkLanes(int *nlanes)
{
	MemoryContext caller = CurrentMemoryContext;
	StreamSinkLane *lanes;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	RunQuery(&ready_plan, "SELECT sink_name, stream_id, shard_no, lane, lanes, checkpoint, "
			 "start_at, retry_at FROM stream_internal.ready_sink_lanes()",
			 0, NULL, NULL, NULL, SPI_OK_SELECT);
	*nlanes = (int) SPI_processed;
	lanes = MemoryContextAllocZero(caller, sizeof(StreamSinkLane) * Max(1, *nlanes));
	for (int i = 0; i < *nlanes; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		StreamSinkLane *l = &lanes[i];
		bool		isnull;
		Datum		value;

		strlcpy(l->sink_name, TextDatumGetCString(SPI_getbinval(tuple, desc, 1, &isnull)),
				sizeof(l->sink_name));
		l->stream_id = DatumGetInt32(SPI_getbinval(tuple, desc, 2, &isnull));
		l->shard_no = DatumGetInt32(SPI_getbinval(tuple, desc, 3, &isnull));
		l->lane = DatumGetInt32(SPI_getbinval(tuple, desc, 4, &isnull));
		l->lanes = DatumGetInt32(SPI_getbinval(tuple, desc, 5, &isnull));
		value = SPI_getbinval(tuple, desc, 6, &isnull);
		l->has_checkpoint = !isnull;
		if (!isnull)
			l->checkpoint = StreamSeqFromNumeric(value);
		value = SPI_getbinval(tuple, desc, 7, &isnull);
		l->has_start_at = !isnull;
		if (!isnull)
			l->start_at = DatumGetTimestampTz(value);
		value = SPI_getbinval(tuple, desc, 8, &isnull);
		l->retry_at = isnull ? 0 : DatumGetTimestampTz(value);
	}
	SPI_finish();
	return lanes;
}

bool
StreamSinkLaneMayHaveWork(const StreamSinkLane *lane)
{
	StreamInfo *stream;
	StreamShardInfo *shard;

	AcceptInvalidationMessages();
	stream = StreamLookupById(lane->stream_id);
	shard = stream != NULL ? StreamFindShard(stream, lane->shard_no) : NULL;
	if (shard == NULL)
		return false;
	return !shard->open ||
		StreamLeasePosition(shard, lane->has_checkpoint, lane->checkpoint,
							lane->has_start_at, lane->start_at) <
		StreamShardEndPosition(shard);
}

/* A batch being read */
typedef struct SinkBatch
{
	StreamInfo *stream;
	int32		lanes;
	int32		lane;
	int			limit;
	int64		max_bytes;
	int			count;
	int64		bytes;
	bool		scanned;		/* a record was read, of any lane */
	int64		last_scanned;	/* the last of them */
	int64		first_seq;		/* of the batch's first record */
	int64		last_seq;		/* and its last */
	TimestampTz first_arrival;	/* of the batch's first record */
	TimestampTz last_arrival;	/* and its last's */
	TupleDesc	record_desc;	/* stream.record's */
	Datum		encryption_none;
	Datum		encryption_kms;
	ArrayBuildState *records;
} SinkBatch;

/* The lane of a partition key */
static int32
KeyLane(text *key, int32 lanes)
{
	return (int32) (hash_bytes((const unsigned char *) VARDATA_ANY(key),
							   VARSIZE_ANY_EXHDR(key)) % (uint32) lanes);
}

/* Adds a record of the lane to the batch; passes over other lanes' records. */
static bool
CollectLaneRecord(void *arg, int64 seq, StreamSegmentInfo *segment,
				  StreamLogReader *reader, StreamRecord *record)
{
	SinkBatch *batch = (SinkBatch *) arg;
	int64		size = StreamRecordSize(record);
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	HeapTuple	tuple;

	if (batch->lanes > 1)
	{
		StreamReadRecordBody(batch->stream, segment, reader, record);
		if (KeyLane(record->key, batch->lanes) != batch->lane)
		{
			pfree(record->key);
			pfree(record->data);
			batch->scanned = true;
			batch->last_scanned = seq;
			return true;
		}
	}
	if (batch->count >= batch->limit ||
		(batch->count > 0 && batch->bytes + size > batch->max_bytes))
	{
		if (batch->lanes > 1)
		{
			pfree(record->key);
			pfree(record->data);
		}
		return false;
	}
	if (batch->lanes == 1)
		StreamReadRecordBody(batch->stream, segment, reader, record);

	values[0] = StreamSeqToNumeric(seq);
	values[1] = TimestampTzGetDatum(record->arrival);
	values[2] = PointerGetDatum(record->data);
	values[3] = PointerGetDatum(record->key);
	values[4] = record->encrypted ? batch->encryption_kms : batch->encryption_none;
	tuple = heap_form_tuple(batch->record_desc, values, nulls);
	batch->records = accumArrayResult(batch->records, HeapTupleGetDatum(tuple), false,
									  batch->record_desc->tdtypeid, CurrentMemoryContext);
	heap_freetuple(tuple);
	pfree(record->key);
	pfree(record->data);

	if (batch->count == 0)
	{
		batch->first_arrival = record->arrival;
		batch->first_seq = seq;
	}
	batch->last_seq = seq;
	batch->last_arrival = record->arrival;
	batch->count++;
	batch->bytes += size;
	batch->scanned = true;
	batch->last_scanned = seq;
	return true;
}

/* What stream_internal.lock_sink_lane found */
typedef struct LockedLane
{
	int32		stream_id;
	int32		lanes;			/* its sink's parallelization factor */
	Oid			function;		/* a trigger's; InvalidOid for a delivery */
	Oid			owner;
	int32		batch_size;
	int64		batch_bytes;
	int64		window_ms;
	bool		has_checkpoint;
	int64		checkpoint;
	bool		has_start_at;
	TimestampTz start_at;
	int32		retry_records;
	TimestampTz retry_at;
	bool		shard_end_reached;
	char	   *destination;	/* a delivery's: "table" or "files" */
	char	   *target;
	bool		gzip;
} LockedLane;

/* The arguments that name a lane, first of every query about one */
static void
LaneArgs(const StreamSinkLane *lane, Datum *args, Oid *argtypes)
{
	args[0] = CStringGetTextDatum(lane->sink_name);
	args[1] = Int32GetDatum(lane->shard_no);
	args[2] = Int32GetDatum(lane->lane);
	argtypes[0] = TEXTOID;
	argtypes[1] = INT4OID;
	argtypes[2] = INT4OID;
}

/* Locks the lane; false if another worker runs it, or it is gone. */
static bool
LockLane(const StreamSinkLane *lane, LockedLane *locked)
{
	Datum		args[3];
	Oid			argtypes[3];
	HeapTuple	tuple;
	TupleDesc	desc;
	bool		isnull;
	Datum		value;
	Interval   *window;

	LaneArgs(lane, args, argtypes);
	RunQuery(&lock_plan, "SELECT function, owner, batch_size, batch_bytes, maximum_batching_window, "
			 "checkpoint, start_at, retry_records, retry_at, shard_end_reached, destination, "
			 "target, compression, stream_id, lanes "
			 "FROM stream_internal.lock_sink_lane($1, $2, $3)",
			 3, argtypes, args, NULL, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return false;
	tuple = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	value = SPI_getbinval(tuple, desc, 1, &isnull);
	locked->function = isnull ? InvalidOid : DatumGetObjectId(value);
	locked->owner = DatumGetObjectId(SPI_getbinval(tuple, desc, 2, &isnull));
	locked->batch_size = DatumGetInt32(SPI_getbinval(tuple, desc, 3, &isnull));
	locked->batch_bytes = DatumGetInt64(SPI_getbinval(tuple, desc, 4, &isnull));
	window = DatumGetIntervalP(SPI_getbinval(tuple, desc, 5, &isnull));
	locked->window_ms = window->time / 1000 +
		(int64) window->day * USECS_PER_DAY / 1000;
	value = SPI_getbinval(tuple, desc, 6, &isnull);
	locked->has_checkpoint = !isnull;
	if (!isnull)
		locked->checkpoint = StreamSeqFromNumeric(value);
	value = SPI_getbinval(tuple, desc, 7, &isnull);
	locked->has_start_at = !isnull;
	if (!isnull)
		locked->start_at = DatumGetTimestampTz(value);
	locked->retry_records = DatumGetInt32(SPI_getbinval(tuple, desc, 8, &isnull));
	value = SPI_getbinval(tuple, desc, 9, &isnull);
	locked->retry_at = isnull ? 0 : DatumGetTimestampTz(value);
	locked->shard_end_reached = DatumGetBool(SPI_getbinval(tuple, desc, 10, &isnull));
	locked->destination = SPI_getvalue(tuple, desc, 11);
	locked->target = SPI_getvalue(tuple, desc, 12);
	value = SPI_getbinval(tuple, desc, 13, &isnull);
	locked->gzip = !isnull && strcmp(TextDatumGetCString(value), "gzip") == 0;
	locked->stream_id = DatumGetInt32(SPI_getbinval(tuple, desc, 14, &isnull));
	locked->lanes = DatumGetInt32(SPI_getbinval(tuple, desc, 15, &isnull));
	return true;
}

/* Moves the lane past what it read (stream_internal.sink_lane_read). */
static void
LaneRead(const StreamSinkLane *lane, int records, bool has_checkpoint,
		 int64 checkpoint, bool shard_end)
{
	Datum		args[6];
	Oid			argtypes[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', has_checkpoint ? ' ' : 'n', ' '};

	LaneArgs(lane, args, argtypes);
	args[3] = Int32GetDatum(records);
	args[4] = has_checkpoint ? StreamSeqToNumeric(checkpoint) : (Datum) 0;
	args[5] = BoolGetDatum(shard_end);
	argtypes[3] = INT4OID;
	argtypes[4] = NUMERICOID;
	argtypes[5] = BOOLOID;
	RunQuery(&read_plan, "SELECT stream_internal.sink_lane_read($1, $2, $3, $4, $5, $6)",
			 6, argtypes, args, nulls, SPI_OK_SELECT);
}

/*
 * Calls a trigger's function with a batch, with the search path its owner's
 * sessions start with (pg_temp last: a security-restricted operation makes
 * no temporary table anyway).
 */
static void
CallFunction(const LockedLane *locked, Datum records, int32 shard_no)
{
	LOCAL_FCINFO(fcinfo, 2);
	FmgrInfo	flinfo;

	(void) set_config_option("search_path", "\"$user\", public, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	fmgr_info(locked->function, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 2, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = records;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = PointerGetDatum(StreamShardIdText(shard_no));
	fcinfo->args[1].isnull = false;
	PushActiveSnapshot(GetTransactionSnapshot());
	(void) FunctionCallInvoke(fcinfo);
	PopActiveSnapshot();
}

/* Inserts a batch into a delivery's table, as its owner. */
static void
InsertBatch(const LockedLane *locked, Datum records, int32 shard_no)
{
	Datum		args[2] = {records, PointerGetDatum(StreamShardIdText(shard_no))};
	Oid			argtypes[2] = {get_array_type(DatumGetArrayTypeP(records)->elemtype),
	TEXTOID};

	/* the table's name as create_delivery quoted and qualified it */
	RunQuery(NULL, psprintf("INSERT INTO %s (shard_id, sequence_number, "
					  "approximate_arrival_timestamp, partition_key, data) "
					  "SELECT $2, r.sequence_number, r.approximate_arrival_timestamp, "
					  "r.partition_key, r.data FROM pg_catalog.unnest($1) r",
					  locked->target),
			 2, argtypes, args, NULL, SPI_OK_INSERT);
}

/*
 * Writes a batch to a delivery's file (delivery.c), a JSON object a line:
 * shard_id, sequence_number (a string), approximate_arrival_timestamp,
 * partition_key and data (base64).
 */
static void
WriteBatchFile(const LockedLane *locked, const StreamSinkLane *lane,
			   const SinkBatch *batch, Datum records)
{
	Datum		args[2] = {records, PointerGetDatum(StreamShardIdText(lane->shard_no))};
	Oid			argtypes[2] = {get_array_type(DatumGetArrayTypeP(records)->elemtype),
	TEXTOID};
	text	   *lines;
	bool		isnull;

	RunQuery(&lines_plan, "SELECT pg_catalog.string_agg(CAST(pg_catalog.json_build_object("
			 "'shard_id', $2, "
			 "'sequence_number', CAST(r.sequence_number AS pg_catalog.text), "
			 "'approximate_arrival_timestamp', r.approximate_arrival_timestamp, "
			 "'partition_key', r.partition_key, "
			 "'data', pg_catalog.translate(pg_catalog.encode(r.data, 'base64'), E'\\n', '')) "
			 "AS pg_catalog.text) OPERATOR(pg_catalog.||) E'\\n', '' ORDER BY r.ordinality) "
			 "FROM pg_catalog.unnest($1) WITH ORDINALITY r",
			 2, argtypes, args, NULL, SPI_OK_SELECT);
	lines = DatumGetTextPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										 1, &isnull));
	StreamDeliverFile(locked->target, lane->sink_name, lane->shard_no, batch->first_seq,
					  batch->last_seq, batch->first_arrival, VARDATA_ANY(lines),
					  VARSIZE_ANY_EXHDR(lines), locked->gzip);
}

/*
 * Applies a batch, as the sink's owner, in a subtransaction, with
 * stream.trigger_timeout as its statement timeout: calls the trigger's
 * function, or delivers it.  Returns NULL if it succeeded, else its error
 * message (its work rolled back).
 *
 * The owner's code runs in a worker whose session user is a superuser, and
 * which runs other owners' batches after it, so it runs as a
 * security-restricted operation (as PostgreSQL runs index expressions and
 * REFRESH MATERIALIZED VIEW): no SET ROLE or SET SESSION AUTHORIZATION, no
 * temporary table for a later batch to find, and no deferred trigger left
 * to fire at the worker's commit, as the superuser.  And whatever it SETs
 * is undone after it, success or not (a GUC nest level ended without
 * keeping its changes).
 */
static char *
ApplyBatch(const LockedLane *locked, const StreamSinkLane *lane,
		   const SinkBatch *batch, Datum records)
{
	MemoryContext caller_context = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	char	   *volatile error = NULL;
	Oid			save_userid;
	int			save_sec_context;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller_context);
	PG_TRY();
	{
		int			nest_level = NewGUCNestLevel();

		SetUserIdAndSecContext(locked->owner,
							   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		enable_timeout_after(STATEMENT_TIMEOUT, stream_trigger_timeout);
		if (OidIsValid(locked->function))
			CallFunction(locked, records, lane->shard_no);
		else if (strcmp(locked->destination, "table") == 0)
			InsertBatch(locked, records, lane->shard_no);
		else
			WriteBatchFile(locked, lane, batch, records);
		disable_timeout(STATEMENT_TIMEOUT, false);
		/* a timeout or cancel that came at the end fails the batch, here */
		CHECK_FOR_INTERRUPTS();

		AtEOXact_GUC(false, nest_level);
		SetUserIdAndSecContext(save_userid, save_sec_context);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		disable_timeout(STATEMENT_TIMEOUT, false);
		MemoryContextSwitchTo(caller_context);
		edata = CopyErrorData();
		FlushErrorState();
		/* restores the user and the settings too */
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
		/* a cancel that came as it failed is spent with it */
		QueryCancelPending = false;
		error = pstrdup(edata->message != NULL ? edata->message : "unknown error");
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return error;
}

/*
 * After a batch failed: stream_internal.sink_batch_failed decides what
 * comes next.
 */
static void
BatchFailed(const StreamSinkLane *lane, Datum records, int count,
			const char *error)
{
	Datum		args[5];
	Oid			argtypes[5];
	char	   *outcome;
	bool		isnull;

	LaneArgs(lane, args, argtypes);
	args[3] = records;
	args[4] = CStringGetTextDatum(error);
	argtypes[3] = get_array_type(DatumGetArrayTypeP(records)->elemtype);
	argtypes[4] = TEXTOID;
	RunQuery(&failed_plan, "SELECT stream_internal.sink_batch_failed($1, $2, $3, $4, $5)",
			 5, argtypes, args, NULL, SPI_OK_SELECT);
	outcome = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
												SPI_tuptable->tupdesc, 1, &isnull));
	ereport(strcmp(outcome, "sent to the failure stream") == 0 ? LOG : DEBUG1,
			(errmsg("\"%s\" failed on %d records of shard \"%s\": %s",
					lane->sink_name, count, StreamFormatShardId(lane->shard_no),
					outcome),
			 errdetail("%s", error)));
}

/* A batch's read, in the quota and the metrics, as a get_records call's. */
static void
CountRead(StreamInfo *stream, int32 shard_no, const SinkBatch *batch,
		  TimestampTz started)
{
	StreamReadCount read = {batch->count, batch->bytes, batch->last_arrival};

	StreamQuotaChargeReadBytes(stream->stream_id, shard_no, 0, batch->bytes);
	StreamMetricSample(stream->stream_id, METRIC_READ_THROUGHPUT_EXCEEDED, 0);
	StreamCountGetRecords(stream->stream_id, &read, started);
	StreamCountShardRead(stream, shard_no, &read, false, false);
}

/* The type stream.record */
static Oid
RecordType(void)
{
	Oid			type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
									   CStringGetDatum("record"),
									   ObjectIdGetDatum(get_namespace_oid("stream", false)));

	if (!OidIsValid(type))
		elog(ERROR, "type stream.record is missing");
	return type;
}

bool
StreamRunSinkBatch(const StreamSinkLane *lane, TimestampTz *not_before)
{
	LockedLane locked;
	StreamInfo *stream;
	StreamShardInfo *shard;
	SinkBatch batch;
	StreamShardReadEnd end;
	int64		next;
	bool		shard_end;
	TimestampTz now = GetCurrentTimestamp();
	Datum		records;
	char	   *error;

	*not_before = 0;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!LockLane(lane, &locked) || locked.shard_end_reached ||
		(locked.retry_at != 0 && locked.retry_at > now))
	{
		SPI_finish();
		return false;
	}

	AcceptInvalidationMessages();
	stream = StreamLookupById(locked.stream_id);
	shard = stream != NULL ? StreamFindShard(stream, lane->shard_no) : NULL;
	if (shard == NULL)
	{
		SPI_finish();
		return false;
	}
	/* at every batch: a sink reads only while its owner may */
	if (!StreamHasPrivilege(locked.owner, stream->acl_relid, STREAM_PRIV_READ))
		ereport(ERROR,
				errkinesis(KINESIS_ACCESS_DENIED),
				errmsg("role \"%s\" of \"%s\" may not read stream \"%s\"",
					   GetUserNameFromId(locked.owner, false), lane->sink_name,
					   stream->name));
	if (OidIsValid(locked.function) &&
		pg_proc_aclcheck(locked.function, locked.owner, ACL_EXECUTE) != ACLCHECK_OK)
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("role \"%s\" of trigger \"%s\" may not execute function %s",
					   GetUserNameFromId(locked.owner, false), lane->sink_name,
					   format_procedure(locked.function)));
	if (!OidIsValid(locked.function) && strcmp(locked.destination, "files") == 0)
		StreamCheckFileDeliveryOwner(locked.owner, lane->sink_name);
	StreamCheckKey(stream);

	/*
	 * A sink reads as Lambda and Firehose do, with GetRecords: within the
	 * shard's read throughput, which it shares with the stream's other
	 * readers (throttled, it tries again in a moment), and counted in the
	 * stream's metrics.
	 */
	if (!StreamQuotaHasReadBytes(stream->stream_id, lane->shard_no, 0))
	{
		StreamReadCount none = {0, 0, 0};

		StreamMetricSample(stream->stream_id, METRIC_READ_THROUGHPUT_EXCEEDED, 1);
		StreamCountShardRead(stream, lane->shard_no, &none, false, true);
		*not_before = TimestampTzPlusMilliseconds(now, THROTTLED_RETRY_MS);
		SPI_finish();
		return false;
	}

	memset(&batch, 0, sizeof(batch));
	batch.stream = stream;
	batch.lanes = locked.lanes;
	batch.lane = lane->lane;
	batch.limit = locked.retry_records > 0 ? locked.retry_records : locked.batch_size;
	batch.max_bytes = locked.batch_bytes;
	batch.record_desc = lookup_rowtype_tupdesc_copy(RecordType(), -1);
	batch.encryption_none = CStringGetTextDatum("NONE");
	batch.encryption_kms = CStringGetTextDatum("KMS");
	end = StreamReadShard(shard,
						  StreamLeasePosition(shard, locked.has_checkpoint,
											  locked.checkpoint,
											  locked.has_start_at,
											  locked.start_at),
						  now - stream->retention, CollectLaneRecord, &batch, &next);
	shard_end = end == SHARD_READ_CAUGHT_UP && !shard->open;

	if (batch.count == 0)
	{
		/* only other lanes' records, or the end: the lane moves on */
		if (!batch.scanned && !shard_end)
		{
			SPI_finish();
			return false;
		}
		LaneRead(lane, 0, batch.scanned, batch.last_scanned, shard_end);
		SPI_finish();
		return true;
	}

	/* a batch waits for more records until its window passed */
	if (batch.count < batch.limit && end != SHARD_READ_FULL && !shard_end &&
		locked.retry_records == 0 && locked.window_ms > 0 &&
		!TimestampDifferenceExceeds(batch.first_arrival, now, locked.window_ms))
	{
		*not_before = Min(TimestampTzPlusMilliseconds(batch.first_arrival, locked.window_ms),
						  TimestampTzPlusMilliseconds(now, RIPEN_CHECK_MS));
		SPI_finish();
		return false;
	}

	records = makeArrayResult(batch.records, CurrentMemoryContext);
	error = ApplyBatch(&locked, lane, &batch, records);
	CountRead(stream, lane->shard_no, &batch, now);
	if (error == NULL)
		LaneRead(lane, batch.count, true, batch.last_scanned, shard_end);
	else
		BatchFailed(lane, records, batch.count, error);
	SPI_finish();
	return true;
}

void
StreamSinkLaneError(const StreamSinkLane *lane, const char *message)
{
	Datum		args[4];
	Oid			argtypes[4];

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	LaneArgs(lane, args, argtypes);
	args[3] = CStringGetTextDatum(message);
	argtypes[3] = TEXTOID;
	RunQuery(&error_plan, "SELECT stream_internal.sink_lane_error($1, $2, $3, $4)",
			 4, argtypes, args, NULL, SPI_OK_SELECT);
	SPI_finish();
}
