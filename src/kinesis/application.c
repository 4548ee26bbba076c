/*-------------------------------------------------------------------------
 *
 * application.c
 *	  stream.consume, and what the SQL of consumer applications asks of C
 *	  (sql/79_applications.sql).
 *
 * An application reads one stream with workers, as the Kinesis Client
 * Library does; the leases and checkpoints are rows of stream.leases, one a
 * shard.  A consume call of a worker:
 *
 *	1. takes, renews and balances its leases (stream_internal.take_leases),
 *	   which locks the row of each shard it will read (FOR UPDATE), so that
 *	   no other worker reads the shard until this transaction ends;
 *	2. reads each of those shards from its checkpoint (reader.c), sharing
 *	   the limit among them;
 *	3. moves each checkpoint to the last record returned, and renews the
 *	   leases (stream_internal.finish_consume), in the caller's transaction.
 *
 * So the records come again if the transaction rolls back, and never again
 * once it commits: a worker that writes its results in the same
 * transaction processes each record exactly once.  A worker that dies or
 * blocks keeps its rows locked until its transaction ends, however long
 * its lease was: the next holder starts from what committed.
 *
 * A call that waits does steps 1 and 2 in a subtransaction, and rolls it
 * back while it sleeps: it holds no lease locks then, so that other workers
 * may take over expired leases or steal to balance meanwhile (unless the
 * worker's last call returned records: see stream_consume).  Step 1
 * balances the leases at least once a second, and otherwise locks the
 * shards of the last call again (HeldLeases).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/condition_variable.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/wait_event.h"

#include "kinesis/acl.h"
#include "kinesis/application.h"
#include "kinesis/catalog.h"
#include "kinesis/crypt.h"
#include "kinesis/kinesis.h"
#include "kinesis/metrics.h"
#include "kinesis/names.h"
#include "kinesis/quota.h"
#include "kinesis/reader.h"
#include "kinesis/sequence.h"
#include "kinesis/wait.h"
#include "log/seqno.h"

PG_FUNCTION_INFO_V1(stream_consume);
PG_FUNCTION_INFO_V1(stream_check_checkpoint);
PG_FUNCTION_INFO_V1(stream_lease_millis_behind);

/* The longest worker id */
#define MAX_WORKER_ID 256

/* While throttled, a waiting call looks again this often */
#define THROTTLED_RETRY_MS 100

/*----------
 * The SQL side, run as the extension's owner
 *----------
 */

static SPIPlanPtr application_plan = NULL;
static SPIPlanPtr take_plan = NULL;
static SPIPlanPtr keep_plan = NULL;
static SPIPlanPtr finish_plan = NULL;

/*
 * The SPI queries of this file run as the extension's owner (the caller's
 * privilege was checked); an error restores the user as it aborts.
 */
static void
BeginAsOwner(StreamSavedUser *saved)
{
	int			ret;

	StreamBecomeOwner(saved);
	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));
}

static void
EndAsOwner(StreamSavedUser *saved)
{
	SPI_finish();
	StreamRestoreUser(saved);
}

/*
 * The stream of an application, or 0 if there is no application of the
 * name (stream ids start at 1).  For consume, and for stream_control, which
 * checks the caller's privilege on that stream.
 */
int32
StreamApplicationStreamId(const char *application_name)
{
	/* the last one looked up, until the catalog changes (a trigger says so) */
	static char *cached_name = NULL;
	static int32 cached_stream_id = 0;
	static uint64 cached_generation = 0;
	StreamSavedUser as;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(application_name)};
	int32		stream_id = 0;
	int			ret;

	AcceptInvalidationMessages();
	if (cached_name != NULL && strcmp(cached_name, application_name) == 0 &&
		!StreamCatalogIsStale(cached_generation))
		return cached_stream_id;

	BeginAsOwner(&as);
	ret = SPI_execute_plan(StreamKeptPlan(&application_plan,
									      "SELECT a.stream_id FROM stream.applications a "
									      "WHERE a.application_name OPERATOR(pg_catalog.=) $1",
									      1, argtypes),
						   args, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "application lookup failed: %s", SPI_result_code_string(ret));
	if (SPI_processed > 0)
	{
		bool		isnull;

		stream_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
												SPI_tuptable->tupdesc, 1, &isnull));
	}
	EndAsOwner(&as);

	/* a generation of a valid catalog: that of the stream just looked up */
	if (stream_id != 0 && StreamLookupById(stream_id) != NULL)
	{
		if (cached_name != NULL)
			pfree(cached_name);
		cached_name = MemoryContextStrdup(TopMemoryContext, application_name);
		cached_stream_id = stream_id;
		cached_generation = StreamCatalogGeneration();
	}
	return stream_id;
}

/* A shard that a consume call reads, and how far it got */
typedef struct LeasedShard
{
	int32		shard_no;
	bool		has_checkpoint;
	int64		checkpoint;		/* the last sequence number processed */
	bool		has_start_at;
	TimestampTz start_at;		/* where it starts without a checkpoint */

	int64		position;		/* where the read goes on */
	StreamShardReadEnd end;
	int			count;			/* records returned */
	int64		bytes;
	int64		last_seq;		/* the last returned, when count > 0 */
	TimestampTz last_arrival;	/* its arrival */
	bool		throttled;		/* passed over: its read quota is used up */
	bool		shard_end;		/* a closed shard read to its end */
} LeasedShard;

/*
 * What this backend's last consume call held.  Balancing the leases
 * (stream_internal.take_leases) reads every lease of the application; a
 * call does it at least once a second, and whenever the worker held
 * nothing or read a shard to its end; in between,
 * stream_internal.keep_leases locks the same shards again (and balances
 * when it lost one, or a worker waits for a share).  The KCL's lease
 * taker runs every few seconds too.  The cache is only a hint: what counts
 * is the rows locked.
 */
#define BALANCE_INTERVAL_MS 1000

typedef struct HeldLeases
{
	char	   *application_name;	/* NULL: nothing cached */
	char	   *worker_id;
	bool		max_leases_null;
	int32		max_leases;
	int			nshards;
	int32	   *shard_nos;
	TimestampTz balanced_at;
	bool		balance;		/* the next call balances */
	bool		busy;			/* the last call returned records */
} HeldLeases;

static HeldLeases held = {0};

static void
ForgetHeld(void)
{
	if (held.application_name != NULL)
		pfree(held.application_name);
	if (held.worker_id != NULL)
		pfree(held.worker_id);
	if (held.shard_nos != NULL)
		pfree(held.shard_nos);
	memset(&held, 0, sizeof(held));
}

static bool
MustBalance(const char *application_name, const char *worker_id,
			bool max_leases_null, int32 max_leases)
{
	return held.application_name == NULL || held.balance || held.nshards == 0 ||
		strcmp(held.application_name, application_name) != 0 ||
		strcmp(held.worker_id, worker_id) != 0 ||
		held.max_leases_null != max_leases_null ||
		(!max_leases_null && held.max_leases != max_leases) ||
		TimestampDifferenceExceeds(held.balanced_at, GetCurrentTimestamp(),
								   BALANCE_INTERVAL_MS);
}

/*
 * Takes the worker's leases (take_leases or keep_leases, which lock their
 * rows) and returns the shards to read.
 */
static LeasedShard *
TakeLeases(const char *application_name, const char *worker_id,
		   bool max_leases_null, int32 max_leases, int *nleases)
{
	StreamSavedUser as;
	bool		balance = MustBalance(application_name, worker_id,
									  max_leases_null, max_leases);
	Oid			argtypes[4] = {TEXTOID, TEXTOID, INT4OID, INT4ARRAYOID};
	Datum		args[4];
	char		nulls[4] = {' ', ' ', max_leases_null ? 'n' : ' ', ' '};
	LeasedShard *leases;
	int			ret;

	args[0] = CStringGetTextDatum(application_name);
	args[1] = CStringGetTextDatum(worker_id);
	args[2] = Int32GetDatum(max_leases);
	if (!balance)
	{
		Datum	   *elems = palloc(sizeof(Datum) * held.nshards);

		for (int i = 0; i < held.nshards; i++)
			elems[i] = Int32GetDatum(held.shard_nos[i]);
		args[3] = PointerGetDatum(construct_array(elems, held.nshards, INT4OID,
												  sizeof(int32), true, TYPALIGN_INT));
	}

	BeginAsOwner(&as);
	if (balance)
		ret = SPI_execute_plan(StreamKeptPlan(&take_plan,
										      "SELECT o_shard_no, o_checkpoint, o_start_at "
										      "FROM stream_internal.take_leases($1, $2, $3)",
										      3, argtypes),
							   args, nulls, false, 0);
	else
		ret = SPI_execute_plan(StreamKeptPlan(&keep_plan,
										      "SELECT o_shard_no, o_checkpoint, o_start_at "
										      "FROM stream_internal.keep_leases($1, $2, $3, $4)",
										      4, argtypes),
							   args, nulls, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "taking leases failed: %s", SPI_result_code_string(ret));
	*nleases = (int) SPI_processed;
	leases = SPI_palloc(sizeof(LeasedShard) * Max(1, *nleases));
	memset(leases, 0, sizeof(LeasedShard) * Max(1, *nleases));
	for (int i = 0; i < *nleases; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		value;

		leases[i].shard_no = DatumGetInt32(SPI_getbinval(tuple, desc, 1, &isnull));
		value = SPI_getbinval(tuple, desc, 2, &isnull);
		leases[i].has_checkpoint = !isnull;
		if (!isnull)
			leases[i].checkpoint = StreamSeqFromNumeric(value);
		value = SPI_getbinval(tuple, desc, 3, &isnull);
		leases[i].has_start_at = !isnull;
		if (!isnull)
			leases[i].start_at = DatumGetTimestampTz(value);
	}
	EndAsOwner(&as);

	/* what the next call keeps */
	{
		TimestampTz balanced_at = held.balanced_at;
		bool		busy = held.busy;

		ForgetHeld();
		held.busy = busy;
		held.application_name = MemoryContextStrdup(TopMemoryContext, application_name);
		held.worker_id = MemoryContextStrdup(TopMemoryContext, worker_id);
		held.max_leases_null = max_leases_null;
		held.max_leases = max_leases;
		held.nshards = *nleases;
		held.shard_nos = MemoryContextAlloc(TopMemoryContext,
											sizeof(int32) * Max(1, *nleases));
		for (int i = 0; i < *nleases; i++)
			held.shard_nos[i] = leases[i].shard_no;
		held.balanced_at = balance ? GetCurrentTimestamp() : balanced_at;
	}
	return leases;
}

/*
 * Moves the checkpoints to the last records returned and renews the leases
 * (stream_internal.finish_consume).
 */
static void
FinishConsume(const char *application_name, const char *worker_id,
			  LeasedShard *leases, int nleases)
{
	StreamSavedUser as;
	Oid			argtypes[5] = {TEXTOID, TEXTOID, INT4ARRAYOID, NUMERICARRAYOID, BOOLARRAYOID};
	Datum		args[5];
	Datum	   *shard_nos = palloc(sizeof(Datum) * nleases);
	Datum	   *checkpoints = palloc(sizeof(Datum) * nleases);
	bool	   *checkpoint_nulls = palloc(sizeof(bool) * nleases);
	Datum	   *ends = palloc(sizeof(Datum) * nleases);
	int			dims[1] = {nleases};
	int			lbs[1] = {1};
	int			ret;

	if (nleases == 0)
		return;
	for (int i = 0; i < nleases; i++)
	{
		shard_nos[i] = Int32GetDatum(leases[i].shard_no);
		checkpoint_nulls[i] = leases[i].count == 0;
		checkpoints[i] = leases[i].count == 0 ? (Datum) 0 :
			StreamSeqToNumeric(leases[i].last_seq);
		ends[i] = BoolGetDatum(leases[i].shard_end);
	}
	args[0] = CStringGetTextDatum(application_name);
	args[1] = CStringGetTextDatum(worker_id);
	args[2] = PointerGetDatum(construct_array(shard_nos, nleases, INT4OID,
											  sizeof(int32), true, TYPALIGN_INT));
	args[3] = PointerGetDatum(construct_md_array(checkpoints, checkpoint_nulls, 1,
												 dims, lbs, NUMERICOID, -1, false,
												 TYPALIGN_INT));
	args[4] = PointerGetDatum(construct_array(ends, nleases, BOOLOID,
											  sizeof(bool), true, TYPALIGN_CHAR));

	BeginAsOwner(&as);
	ret = SPI_execute_plan(StreamKeptPlan(&finish_plan,
									      "SELECT stream_internal.finish_consume($1, $2, $3, $4, $5)",
									      5, argtypes),
						   args, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "saving checkpoints failed: %s", SPI_result_code_string(ret));
	EndAsOwner(&as);
}

/*----------
 * consume
 *----------
 */

typedef struct ConsumeState
{
	ReturnSetInfo *rsinfo;
	StreamInfo *stream;
	int			limit;
	int			count;			/* records returned by the call */
	int64		bytes;
	LeasedShard *lease;			/* the shard being read */
	text	   *shard_id;		/* its id */
	int			cap;			/* the most records it may return */
	TimestampTz last_arrival;	/* of the last record returned */
} ConsumeState;

/* Adds a record of the shard being read to the call's result. */
static bool
EmitConsumed(void *arg, int64 seq, StreamSegmentInfo *segment,
			 StreamLogReader *reader, StreamRecord *record)
{
	ConsumeState *state = (ConsumeState *) arg;
	LeasedShard *lease = state->lease;
	int64		size = StreamRecordSize(record);

	if (lease->count >= state->cap || state->count >= state->limit ||
		(state->count > 0 && state->bytes + size > STREAM_MAX_GET_RECORDS_SIZE))
		return false;

	StreamEmitRecordRow(state->rsinfo, state->stream, state->shard_id, seq,
						segment, reader, record);
	state->count++;
	state->bytes += size;
	state->last_arrival = record->arrival;
	lease->count++;
	lease->bytes += size;
	lease->last_seq = seq;
	lease->last_arrival = record->arrival;
	return true;
}

/* Where a leased shard is read from (application.h). */
int64
StreamLeasePosition(StreamShardInfo *shard, bool has_checkpoint, int64 checkpoint,
			  bool has_start_at, TimestampTz start_at)
{
	if (has_checkpoint)
		return checkpoint == PG_INT64_MAX ? checkpoint : checkpoint + 1;
	if (has_start_at)
		return StreamTimestampPosition(shard, start_at);
	return StreamTrimHorizon(shard);
}

/*
 * Reads the leased shards into the call's result: first each up to an even
 * share of the limit, then, with what is left of it, those that had more.
 * A shard whose read throughput is used up is passed over for now (consume
 * counts bytes against the shard's read quota, not calls: it does not
 * poll).  Returns whether a shard was passed over.
 */
static bool
ReadLeases(ConsumeState *state, LeasedShard *leases, int nleases)
{
	StreamInfo *stream = state->stream;
	TimestampTz horizon = GetCurrentTimestamp() - stream->retention;
	int			share = Max(1, state->limit / Max(1, nleases));
	bool		throttled = false;

	for (int pass = 0; pass < 2; pass++)
	{
		for (int i = 0; i < nleases && state->count < state->limit; i++)
		{
			LeasedShard *lease = &leases[i];
			StreamShardInfo *shard = StreamFindShard(stream, lease->shard_no);

			/* gone: it expired since the leases were read */
			if (shard == NULL)
				continue;
			if (pass == 0)
			{
				if (!StreamQuotaHasReadBytes(stream->stream_id, lease->shard_no, 0))
				{
					throttled = lease->throttled = true;
					lease->end = SHARD_READ_WAITING;
					continue;
				}
				lease->position = StreamLeasePosition(shard, lease->has_checkpoint,
												lease->checkpoint,
												lease->has_start_at,
												lease->start_at);
			}
			else if (lease->end != SHARD_READ_FULL)
				continue;

			state->lease = lease;
			state->shard_id = cstring_to_text(StreamFormatShardId(lease->shard_no));
			state->cap = pass == 0 ? share : INT_MAX;
			lease->end = StreamReadShard(shard, lease->position, horizon,
										 EmitConsumed, state, &lease->position);
			lease->shard_end = lease->end == SHARD_READ_CAUGHT_UP && !shard->open;
		}
	}
	for (int i = 0; i < nleases; i++)
		StreamQuotaChargeReadBytes(stream->stream_id, leases[i].shard_no, 0,
								   leases[i].bytes);
	return throttled;
}

/*
 * The application's stream, for a caller that may read it and whose key,
 * if any, is enabled: at the call, and again after each SPI query and
 * sleep (the catalog may have changed; privileges too).
 */
static StreamInfo *
LookUpStream(int32 stream_id, const char *application_name)
{
	StreamInfo *stream;

	AcceptInvalidationMessages();
	stream = StreamLookupById(stream_id);
	if (stream == NULL)
		ereport(ERROR,
				errkinesis(KINESIS_RESOURCE_NOT_FOUND),
				errmsg("the stream of application \"%s\" no longer exists",
					   application_name));
	StreamAuthorize(stream, STREAM_PRIV_READ, "Consume");
	StreamCheckKey(stream);
	return stream;
}

/*
 * The metrics of a consume call (metrics.c): counted as GetRecords, which is
 * what it does, and per shard it held when the stream counts them.  A call
 * that passed a shard over for its read quota, and read none of it in the
 * end, counts as throttled.
 */
static void
CountConsumed(ConsumeState *state, LeasedShard *leases, int nleases, TimestampTz started)
{
	StreamReadCount read = {state->count, state->bytes, state->last_arrival};
	bool		throttled = false;

	StreamCountGetRecords(state->stream->stream_id, &read, started);
	for (int i = 0; i < nleases; i++)
	{
		StreamReadCount shard_read = {leases[i].count, leases[i].bytes,
		leases[i].last_arrival};
		bool		passed_over = leases[i].throttled && leases[i].count == 0;

		throttled |= passed_over;
		StreamCountShardRead(state->stream, leases[i].shard_no, &shard_read, false,
							 passed_over);
	}
	StreamMetricSample(state->stream->stream_id, METRIC_READ_THROUGHPUT_EXCEEDED,
					   throttled ? 1 : 0);
}

/*
 * stream.consume(application_name, worker_id, limit, wait, max_leases)
 *   RETURNS TABLE(shard_id, sequence_number, approximate_arrival_timestamp,
 *                 partition_key, data)
 *
 * Up to "limit" records of the shards the worker holds, each shard's in
 * order from its checkpoint, checkpointed by the caller's transaction.
 * With a wait, a call that finds nothing sleeps until a record of the
 * stream commits or the wait ends, and looks again.  A call that reads a
 * closed shard to its end returns at once, so that its commit lets its
 * children be read.
 */
Datum
stream_consume(PG_FUNCTION_ARGS)
{
	char	   *application_name;
	char	   *worker_id;
	int			limit;
	long		wait_ms;
	int32		stream_id;
	ConsumeState state;
	TimestampTz deadline;
	ConditionVariable *cv = NULL;
	bool		in_subxact;
	LeasedShard *leases = NULL;
	int			nleases = 0;
	MemoryContext call_context = CurrentMemoryContext;
	ResourceOwner call_owner = CurrentResourceOwner;
	TimestampTz started = GetCurrentTimestamp();

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("application name must not be null"));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("worker id must not be null"));
	application_name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	worker_id = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (worker_id[0] == '\0' || strlen(worker_id) > MAX_WORKER_ID)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("invalid worker id \"%s\"", StreamQuote(worker_id)),
				errhint("A worker id is 1 to %d bytes.", MAX_WORKER_ID));
	limit = StreamReadLimit(PG_ARGISNULL(2), PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2));
	wait_ms = StreamWaitMilliseconds(PG_ARGISNULL(3), PG_ARGISNULL(3) ? NULL : PG_GETARG_INTERVAL_P(3));
	if (!PG_ARGISNULL(4) && PG_GETARG_INT32(4) < 1)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("max_leases %d is out of range", PG_GETARG_INT32(4)),
				errhint("A worker holds at least 1 lease, or any number (NULL)."));

	AcceptInvalidationMessages();
	stream_id = StreamApplicationStreamId(application_name);
	if (stream_id == 0)
		ereport(ERROR,
				errkinesis(KINESIS_RESOURCE_NOT_FOUND),
				errmsg("application \"%s\" does not exist", StreamQuote(application_name)));
	(void) LookUpStream(stream_id, application_name);

	InitMaterializedSRF(fcinfo, 0);
	memset(&state, 0, sizeof(state));
	state.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	state.limit = limit;

	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_ms);
	if (wait_ms > 0)
	{
		/* on the wait list before the first read: no commit after it is missed */
		cv = StreamAnyShardWaitVariable(stream_id);
		if (cv != NULL)
			ConditionVariablePrepareToSleep(cv);
	}
	/*
	 * A call that may wait takes its leases in a subtransaction, to let them
	 * go while it sleeps; but not when the worker's last call returned
	 * records (it most likely finds more; a subtransaction and the
	 * MultiXact that its locks make cost a busy worker), and if it finds
	 * none, it waits holding its leases, this once.
	 */
	in_subxact = cv != NULL &&
		!(held.busy && held.application_name != NULL &&
		  strcmp(held.application_name, application_name) == 0 &&
		  strcmp(held.worker_id, worker_id) == 0);
	for (;;)
	{
		bool		throttled;
		bool		progress = false;
		long		remaining;

		if (leases == NULL || in_subxact)
		{
			if (in_subxact)
				BeginInternalSubTransaction(NULL);
			MemoryContextSwitchTo(call_context);
			leases = TakeLeases(application_name, worker_id, PG_ARGISNULL(4),
								PG_ARGISNULL(4) ? 0 : PG_GETARG_INT32(4), &nleases);
		}
		state.stream = LookUpStream(stream_id, application_name);
		throttled = ReadLeases(&state, leases, nleases);
		/* a shard read to its end may let its children be read */
		for (int i = 0; i < nleases; i++)
		{
			progress |= leases[i].shard_end;
			held.balance |= leases[i].shard_end;
		}
		progress |= state.count > 0;

		remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (progress || remaining <= 0 || cv == NULL)
		{
			FinishConsume(application_name, worker_id, leases, nleases);
			if (in_subxact)
			{
				ReleaseCurrentSubTransaction();
				MemoryContextSwitchTo(call_context);
				CurrentResourceOwner = call_owner;
			}
			break;
		}

		if (in_subxact)
		{
			/* nothing yet: let the leases go while sleeping */
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(call_context);
			CurrentResourceOwner = call_owner;
		}
		(void) ConditionVariableTimedSleep(cv, throttled ?
										   Min(remaining, THROTTLED_RETRY_MS) : remaining,
										   PG_WAIT_EXTENSION);
	}
	held.busy = state.count > 0;

	CountConsumed(&state, leases, nleases, started);
	if (cv != NULL)
		ConditionVariableCancelSleep();
	return (Datum) 0;
}

/*----------
 * Helpers of the SQL functions
 *----------
 */

/* The shard of a stream, for SQL that has both from the catalog */
static StreamShardInfo *
CatalogShard(int32 stream_id, int32 shard_no, StreamInfo **stream)
{
	StreamShardInfo *shard;

	AcceptInvalidationMessages();
	*stream = StreamLookupById(stream_id);
	shard = *stream != NULL ? StreamFindShard(*stream, shard_no) : NULL;
	if (shard == NULL)
		ereport(ERROR,
				errkinesis(KINESIS_RESOURCE_NOT_FOUND),
				errmsg("shard \"%s\" no longer exists", StreamFormatShardId(shard_no)));
	return shard;
}

/*
 * stream_internal.check_checkpoint(stream_id, shard_no, sequence_number)
 *
 * InvalidArgumentException unless a checkpoint set by hand is a sequence
 * number of the shard and not past its end: consume goes on after it, as
 * AFTER_SEQUENCE_NUMBER does.
 */
Datum
stream_check_checkpoint(PG_FUNCTION_ARGS)
{
	StreamInfo *stream;
	StreamShardInfo *shard = CatalogShard(PG_GETARG_INT32(0), PG_GETARG_INT32(1), &stream);
	Datum		seq_datum = PG_GETARG_DATUM(2);
	char	   *text = DatumGetCString(DirectFunctionCall1(numeric_out, seq_datum));
	int64		seq = StreamSeqFromNumeric(seq_datum);

	if (seq == PG_INT64_MAX)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("invalid sequence number %s", StreamQuote(text)),
				errhint("No sequence number comes after it."));
	(void) StreamCheckSequenceNumber(stream, shard, seq + 1, text);
	PG_RETURN_VOID();
}

/* Takes the arrival time of the first record, and stops. */
static bool
FirstArrival(void *arg, int64 seq, StreamSegmentInfo *segment,
			 StreamLogReader *reader, StreamRecord *record)
{
	TimestampTz *arrival = (TimestampTz *) arg;

	if (*arrival != 0)
		return false;
	*arrival = record->arrival;
	return true;
}

/*
 * stream_internal.lease_millis_behind(stream_id, shard_no, checkpoint,
 *                                     start_at) RETURNS bigint
 *
 * How long the oldest record of a leased shard that was not processed yet
 * has waited (now minus its arrival), in milliseconds; 0 when every record
 * committed so far was processed.
 */
Datum
stream_lease_millis_behind(PG_FUNCTION_ARGS)
{
	StreamInfo *stream;
	StreamShardInfo *shard;
	TimestampTz arrival = 0;
	TimestampTz now = GetCurrentTimestamp();
	int64		next;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	shard = CatalogShard(PG_GETARG_INT32(0), PG_GETARG_INT32(1), &stream);
	(void) StreamReadShard(shard,
						   StreamLeasePosition(shard, !PG_ARGISNULL(2),
										 PG_ARGISNULL(2) ? 0 : StreamSeqFromNumeric(PG_GETARG_DATUM(2)),
										 !PG_ARGISNULL(3),
										 PG_ARGISNULL(3) ? 0 : PG_GETARG_TIMESTAMPTZ(3)),
						   now - stream->retention, FirstArrival, &arrival, &next);
	PG_RETURN_INT64(arrival == 0 || arrival >= now ? 0 : (now - arrival) / 1000);
}
