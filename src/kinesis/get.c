/*-------------------------------------------------------------------------
 *
 * get.c
 *	  stream.get_shard_iterator, stream.get_records,
 *	  stream.subscribe_to_shard and stream.read.
 *
 * Each reads shards through reader.c, which stops before the first record
 * whose writer is still in progress; the position where it stopped is what
 * the next iterator holds, so a consumer never skips a record that commits
 * later and never gets one twice.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tupmacs.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/wait_event.h"

#include "injection.h"
#include "kinesis/acl.h"
#include "kinesis/catalog.h"
#include "kinesis/crypt.h"
#include "kinesis/iterator.h"
#include "kinesis/kinesis.h"
#include "kinesis/metrics.h"
#include "kinesis/names.h"
#include "kinesis/quota.h"
#include "kinesis/reader.h"
#include "kinesis/segment.h"
#include "kinesis/sequence.h"
#include "kinesis/wait.h"
#include "log/log_page.h"
#include "log/seqno.h"
#include "numeric128.h"

PG_FUNCTION_INFO_V1(stream_get_shard_iterator);
PG_FUNCTION_INFO_V1(stream_get_records);
PG_FUNCTION_INFO_V1(stream_read);
PG_FUNCTION_INFO_V1(stream_subscribe_to_shard);

static StreamShardInfo *
LookupShard(StreamInfo *stream, const char *shard_id)
{
	StreamShardInfo *shard = StreamLookupShard(stream, shard_id);

	if (shard == NULL)
		ereport(ERROR,
				errkinesis(KINESIS_RESOURCE_NOT_FOUND),
				errmsg("shard \"%s\" does not exist in stream \"%s\"",
					   StreamQuote(shard_id), stream->name));
	return shard;
}

/*----------
 * get_shard_iterator
 *----------
 */


/* InvalidArgumentException unless a starting position is one of Kinesis' */
static void
CheckPositionType(const char *type, const char *what)
{
	if (strcmp(type, "TRIM_HORIZON") != 0 && strcmp(type, "LATEST") != 0 &&
		strcmp(type, "AT_SEQUENCE_NUMBER") != 0 &&
		strcmp(type, "AFTER_SEQUENCE_NUMBER") != 0 &&
		strcmp(type, "AT_TIMESTAMP") != 0)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("invalid %s \"%s\"", what, StreamQuote(type)),
				errhint("The types are AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST and AT_TIMESTAMP."));
}

/*
 * Where a read of a shard starts, by Kinesis' starting positions (the
 * iterator types): "what" names the argument in errors.
 */
static int64
StartingPosition(StreamInfo *stream, StreamShardInfo *shard, const char *type,
				 const char *what, bool seq_null, Datum seq_datum,
				 bool ts_null, TimestampTz ts)
{
	bool		after;
	int64		seq;
	char	   *text;

	if (strcmp(type, "TRIM_HORIZON") == 0)
		return StreamTrimHorizon(shard);
	if (strcmp(type, "LATEST") == 0)
		return StreamShardEndPosition(shard);
	if (strcmp(type, "AT_TIMESTAMP") == 0)
	{
		if (ts_null)
			ereport(ERROR,
					errkinesis(KINESIS_INVALID_ARGUMENT),
					errmsg("%s AT_TIMESTAMP needs a timestamp", what));
		return StreamTimestampPosition(shard, ts);
	}
	CheckPositionType(type, what);

	after = strcmp(type, "AFTER_SEQUENCE_NUMBER") == 0;
	if (seq_null)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("%s %s needs a starting sequence number", what, type));
	text = DatumGetCString(DirectFunctionCall1(numeric_out, seq_datum));
	seq = StreamSeqFromNumeric(seq_datum);
	if (after)
	{
		if (seq == PG_INT64_MAX)
			ereport(ERROR,
					errkinesis(KINESIS_INVALID_ARGUMENT),
					errmsg("invalid sequence number %s", StreamQuote(text)),
					errhint("No sequence number comes after it."));
		seq++;
	}
	return StreamCheckSequenceNumber(stream, shard, seq, text);
}

/*
 * stream.get_shard_iterator(stream_name, shard_id, shard_iterator_type,
 *                           starting_sequence_number, timestamp)
 */
Datum
stream_get_shard_iterator(PG_FUNCTION_ARGS)
{
	char	   *stream_name;
	char	   *shard_id;
	char	   *type;
	StreamInfo *stream;
	StreamShardInfo *shard;
	int64		position;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("stream name must not be null"));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("shard id must not be null"));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("shard iterator type must not be null"));
	stream_name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	shard_id = text_to_cstring(PG_GETARG_TEXT_PP(1));
	type = text_to_cstring(PG_GETARG_TEXT_PP(2));

	CheckPositionType(type, "shard iterator type");
	stream = StreamLookupAuthorized(stream_name, STREAM_PRIV_READ, "GetShardIterator");
	shard = LookupShard(stream, shard_id);
	position = StartingPosition(stream, shard, type, "shard iterator type",
								PG_ARGISNULL(3), PG_GETARG_DATUM(3),
								PG_ARGISNULL(4), PG_ARGISNULL(4) ? 0 : PG_GETARG_TIMESTAMPTZ(4));

	PG_RETURN_TEXT_P(cstring_to_text(StreamIteratorEncode(stream->stream_id,
														  shard->shard_no,
														  position)));
}

/*----------
 * get_records
 *----------
 */

/*
 * get_records collects its records straight into the array it returns, in a
 * buffer kept from call to call behind room for the array's header; the
 * array is then copied once, into the returned row.  Keeping every record's
 * tuple until the end and building a fresh array from them allocated and
 * freed megabytes at every call, and the page faults on that memory cost more
 * than reading the records.  A buffer that grew past RETAINED_ARRAY_BUFFER (a
 * call that returned large records) is let go after the call.
 */
#define RETAINED_ARRAY_BUFFER (4 * 1024 * 1024)

static char *array_buffer = NULL;
static Size array_buffer_size = 0;

typedef struct GetRecordsState
{
	int			limit;
	int64		bytes;
	int			count;
	Size		used;			/* bytes of array_buffer used */
	TupleDesc	record_desc;
	char		record_align;
	TimestampTz last_arrival;
	StreamInfo *stream;
	Datum		encryption_none;
	Datum		encryption_kms;
} GetRecordsState;

static void
EnsureArrayBuffer(Size size)
{
	if (size <= array_buffer_size)
		return;
	if (size > MaxAllocSize)
		elog(ERROR, "get_records result of %zu bytes is too large", size);
	size = Min(Max(size, Max(array_buffer_size * 2, 65536)), MaxAllocSize);
	if (array_buffer == NULL)
		array_buffer = MemoryContextAlloc(TopMemoryContext, size);
	else
		array_buffer = repalloc(array_buffer, size);
	array_buffer_size = size;
}

/* The columns of stream.record, which CollectRecord fills */
static const Oid record_columns[] = {NUMERICOID, TIMESTAMPTZOID, BYTEAOID,
TEXTOID, TEXTOID};

/*
 * Adds a record to the array being built.  Each is formed by heap_form_tuple,
 * which stamps composite datums the way this server checks them, then copied
 * into place and freed, so that the same small chunk serves every record.
 */
static bool
CollectRecord(void *arg, int64 seq, StreamSegmentInfo *segment,
			  StreamLogReader *reader, StreamRecord *record)
{
	GetRecordsState *state = (GetRecordsState *) arg;
	int64		size = StreamRecordSize(record);
	Datum		values[lengthof(record_columns)];
	bool		nulls[lengthof(record_columns)] = {false, false, false, false, false};
	HeapTuple	tuple;
	Size		start;
	Size		end;

	if (state->count >= state->limit ||
		(state->count > 0 && state->bytes + size > STREAM_MAX_GET_RECORDS_SIZE))
		return false;

	values[4] = record->encrypted ? state->encryption_kms : state->encryption_none;
	StreamReadRecordBody(state->stream, segment, reader, record);
	values[0] = StreamSeqToNumeric(seq);
	values[1] = TimestampTzGetDatum(record->arrival);
	values[2] = PointerGetDatum(record->data);
	values[3] = PointerGetDatum(record->key);
	tuple = heap_form_tuple(state->record_desc, values, nulls);

	/* zeros in the alignment gaps, as construct_array leaves there */
	start = att_align_nominal(state->used, state->record_align);
	end = att_align_nominal(start + tuple->t_len, state->record_align);
	EnsureArrayBuffer(end);
	memset(array_buffer + state->used, 0, start - state->used);
	memcpy(array_buffer + start, tuple->t_data, tuple->t_len);
	memset(array_buffer + start + tuple->t_len, 0, end - start - tuple->t_len);
	state->used = end;

	state->count++;
	state->bytes += size;
	state->last_arrival = record->arrival;
	heap_freetuple(tuple);
	pfree(DatumGetPointer(values[0]));
	pfree(record->data);
	pfree(record->key);
	return true;
}

/* The array of the records collected, in array_buffer. */
static Datum
RecordsArray(GetRecordsState *state, Oid record_type)
{
	ArrayType  *array = (ArrayType *) array_buffer;

	if (state->count == 0)
		return PointerGetDatum(construct_empty_array(record_type));
	SET_VARSIZE(array, state->used);
	array->ndim = 1;
	array->dataoffset = 0;
	array->elemtype = record_type;
	ARR_DIMS(array)[0] = state->count;
	ARR_LBOUND(array)[0] = 1;
	return PointerGetDatum(array);
}

/* The children of a closed shard, as Kinesis' ChildShards. */
static Datum
ChildShards(StreamInfo *stream, StreamShardInfo *parent)
{
	StringInfoData json;
	bool		first = true;

	initStringInfo(&json);
	appendStringInfoChar(&json, '[');
	for (int i = 0; i < stream->nshards; i++)
	{
		StreamShardInfo *child = &stream->shards[i];

		if (child->parent_shard_no != parent->shard_no &&
			child->adjacent_parent_shard_no != parent->shard_no)
			continue;
		appendStringInfo(&json, "%s{\"ShardId\": \"%s\", \"ParentShards\": [\"%s\"",
						 first ? "" : ", ", StreamFormatShardId(child->shard_no),
						 StreamFormatShardId(child->parent_shard_no));
		if (child->adjacent_parent_shard_no >= 0)
			appendStringInfo(&json, ", \"%s\"",
							 StreamFormatShardId(child->adjacent_parent_shard_no));
		appendStringInfo(&json, "], \"HashKeyRange\": {\"StartingHashKey\": \"%s\", \"EndingHashKey\": \"%s\"}}",
						 DatumGetCString(DirectFunctionCall1(numeric_out,
															 Uint128GetNumeric(child->starting_hash_key))),
						 DatumGetCString(DirectFunctionCall1(numeric_out,
															 Uint128GetNumeric(child->ending_hash_key))));
		first = false;
	}
	appendStringInfoChar(&json, ']');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(json.data));
}

/*
 * A read of a shard for get_records or subscribe_to_shard: what it reads,
 * for whom, and, once looked up, the stream and shard.
 */
typedef struct ShardCall
{
	int32		stream_id;
	int32		shard_no;
	const char *action;			/* the Kinesis action, for AccessDenied */
	const char *consumer;		/* a registered consumer, or NULL */
	uint32		consumer_key;	/* its quota's, or 0 */
	StreamInfo *stream;
	StreamShardInfo *shard;
} ShardCall;

/*
 * Looks the stream and shard of a call up, for a reader that holds read on
 * the stream and whose key, if any, is enabled, and the consumer, if any:
 * at every call, and again when the catalog changes while a call waits.
 */
static void
LookUpCall(ShardCall *call)
{
	/* a key disabled by a transaction committed since the last call counts */
	AcceptInvalidationMessages();
	call->stream = StreamLookupById(call->stream_id);
	if (call->stream == NULL)
		ereport(ERROR,
				errkinesis(KINESIS_RESOURCE_NOT_FOUND),
				errmsg("the stream of the shard iterator no longer exists"));
	/* at every call: revoking read stops a reader that holds an iterator */
	StreamAuthorize(call->stream, STREAM_PRIV_READ, call->action);
	StreamCheckKey(call->stream);
	call->shard = StreamFindShard(call->stream, call->shard_no);
	if (call->shard == NULL)
		ereport(ERROR,
				errkinesis(KINESIS_RESOURCE_NOT_FOUND),
				errmsg("shard \"%s\" of stream \"%s\" no longer exists",
					   StreamFormatShardId(call->shard_no), call->stream->name));
	/* a consumer deregistered ends its subscriptions */
	if (call->consumer != NULL &&
		!StreamConsumerExists(call->stream_id, call->consumer))
		ereport(ERROR,
				errkinesis(KINESIS_RESOURCE_NOT_FOUND),
				errmsg("consumer \"%s\" of stream \"%s\" does not exist",
					   StreamQuote(call->consumer), call->stream->name));
}


/* What ReadCall found */
typedef struct CallResult
{
	Datum		records;		/* the stream.record[] */
	int			count;
	StreamShardReadEnd end;
	int64		next_position;
	bool		shard_end;		/* a closed shard read to its end */
	int64		millis_behind;
} CallResult;

/*
 * The metrics of a read call (metrics.c): a get_records call's, or a
 * registered consumer's event.
 */
static void
CountReads(ShardCall *call, GetRecordsState *state, CallResult *out,
		   TimestampTz started)
{
	StreamReadCount read = {state->count, state->bytes, state->last_arrival};

	StreamCountShardRead(call->stream, call->shard_no, &read, call->consumer != NULL, false);
	if (call->consumer == NULL)
	{
		StreamCountGetRecords(call->stream_id, &read, started);
		return;
	}
	/* a consumer's event: counted for the stream and for the consumer */
	StreamMetricSample(call->stream_id, METRIC_SUBSCRIBE_EVENT_RECORDS, state->count);
	StreamMetricSample(call->stream_id, METRIC_SUBSCRIBE_EVENT_BYTES, state->bytes);
	StreamMetricSample(call->stream_id, METRIC_SUBSCRIBE_EVENT_MILLIS_BEHIND,
					   out->millis_behind);
	StreamConsumerMetricSample(call->stream_id, call->consumer,
							   METRIC_SUBSCRIBE_EVENT_RECORDS, state->count);
	StreamConsumerMetricSample(call->stream_id, call->consumer,
							   METRIC_SUBSCRIBE_EVENT_BYTES, state->bytes);
	StreamConsumerMetricSample(call->stream_id, call->consumer,
							   METRIC_SUBSCRIBE_EVENT_MILLIS_BEHIND, out->millis_behind);
}

/*
 * Reads up to "limit" records of a looked-up call's shard from a position
 * into a stream.record[] of the type of the first column of the function's
 * result.  With a wait, a call that finds nothing to read sleeps until a
 * record of the shard commits (wait.c: the commit wakes it), the catalog
 * changes, or the wait ends, and reads again.  The quota: a shard's read
 * call, or a consumer's own bytes.
 */
static void
ReadCall(FunctionCallInfo fcinfo, ShardCall *call, int64 position, int limit,
		 long wait_ms, CallResult *out)
{
	GetRecordsState state;
	TupleDesc	result_desc;
	Oid			record_type;
	int16		typlen;
	bool		typbyval;
	TimestampTz latest;
	uint64		generation = StreamCatalogGeneration();
	TimestampTz started = GetCurrentTimestamp();
	bool		allowed;

	LookUpCall(call);
	allowed = call->consumer == NULL ?
		StreamQuotaTakeReadCall(call->stream_id, call->shard_no) :
		StreamQuotaHasReadBytes(call->stream_id, call->shard_no, call->consumer_key);
	if (call->consumer == NULL)
		StreamMetricSample(call->stream_id, METRIC_READ_THROUGHPUT_EXCEEDED, allowed ? 0 : 1);
	else
	{
		StreamMetricSample(call->stream_id, METRIC_SUBSCRIBE_RATE_EXCEEDED, allowed ? 0 : 1);
		StreamConsumerMetricSample(call->stream_id, call->consumer,
								   METRIC_SUBSCRIBE_RATE_EXCEEDED, allowed ? 0 : 1);
	}
	if (!allowed && call->consumer == NULL)
	{
		StreamReadCount none = {0, 0, 0};

		StreamCountShardRead(call->stream, call->shard_no, &none, false, true);
	}
	if (!allowed)
		ereport(ERROR,
				errkinesis(KINESIS_THROUGHPUT_EXCEEDED),
				errmsg("rate exceeded for shard \"%s\" of stream \"%s\"",
					   StreamFormatShardId(call->shard_no), call->stream->name),
				call->consumer == NULL ?
				errhint("Retry with backoff: a shard serves %d get_records calls and %d bytes per second.",
						stream_shard_read_calls_per_second,
						stream_shard_read_bytes_per_second) :
				errhint("Retry with backoff: a shard serves each registered consumer %d bytes per second.",
						stream_shard_read_bytes_per_second));

	result_desc = StreamResultDesc(fcinfo);
	record_type = get_element_type(TupleDescAttr(result_desc, 0)->atttypid);

	memset(&state, 0, sizeof(state));
	state.limit = limit;
	state.used = ARR_OVERHEAD_NONULLS(1);
	EnsureArrayBuffer(state.used);
	StreamCheckRowType(record_type, lengthof(record_columns), record_columns);
	state.record_desc = lookup_rowtype_tupdesc_copy(record_type, -1);
	get_typlenbyvalalign(record_type, &typlen, &typbyval, &state.record_align);
	state.stream = call->stream;
	state.encryption_none = CStringGetTextDatum("NONE");
	state.encryption_kms = CStringGetTextDatum("KMS");
	BlessTupleDesc(state.record_desc);

	latest = StreamShardLatestArrival(call->shard);
	out->end = StreamReadShard(call->shard, position,
						 GetCurrentTimestamp() - call->stream->retention, CollectRecord,
						 &state, &out->next_position);

	if (state.count == 0 && wait_ms > 0 &&
		!(out->end == SHARD_READ_CAUGHT_UP && !call->shard->open))
	{
		TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_ms);
		ConditionVariable *cv = StreamShardWaitVariable(call->stream_id, call->shard_no);

		/*
		 * On the wait list before reading again, so that a commit after the
		 * read wakes the sleep after it; woken, read again.  Readers take no
		 * snapshot (log/visibility.c): each read sees what committed.
		 */
		if (cv != NULL)
			ConditionVariablePrepareToSleep(cv);
		for (;;)
		{
			long		remaining;

			AcceptInvalidationMessages();
			if (StreamCatalogIsStale(generation))
			{
				/* a reshard may have closed the shard; read by the new catalog */
				generation = StreamCatalogGeneration();
				LookUpCall(call);
				state.stream = call->stream;
			}
			else
			{
				/* read revoked meanwhile ends the call at its next read */
				StreamAuthorize(call->stream, STREAM_PRIV_READ, call->action);
			}
			latest = StreamShardLatestArrival(call->shard);
			out->end = StreamReadShard(call->shard, out->next_position,
								 GetCurrentTimestamp() - call->stream->retention,
								 CollectRecord, &state, &out->next_position);
			if (state.count > 0 || (out->end == SHARD_READ_CAUGHT_UP && !call->shard->open))
				break;
			remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
			if (remaining <= 0 || cv == NULL)
				break;
			(void) ConditionVariableTimedSleep(cv, remaining, PG_WAIT_EXTENSION);
		}
		if (cv != NULL)
			ConditionVariableCancelSleep();
	}
	StreamQuotaChargeReadBytes(call->stream_id, call->shard_no, call->consumer_key, state.bytes);

	out->records = RecordsArray(&state, record_type);
	out->count = state.count;
	out->shard_end = out->end == SHARD_READ_CAUGHT_UP && !call->shard->open;
	/* how far the last record returned is behind the newest in the shard */
	if (out->end == SHARD_READ_CAUGHT_UP || state.count == 0 || latest <= state.last_arrival)
		out->millis_behind = 0;
	else
		out->millis_behind = (latest - state.last_arrival) / 1000;
	CountReads(call, &state, out, started);
}

/* A buffer that grew past RETAINED_ARRAY_BUFFER is let go after a call. */
static void
ReleaseArrayBuffer(void)
{
	if (array_buffer_size > RETAINED_ARRAY_BUFFER)
	{
		pfree(array_buffer);
		array_buffer = NULL;
		array_buffer_size = 0;
	}
}

/*
 * stream.get_records(shard_iterator, limit, wait, OUT records, OUT
 *                    next_shard_iterator, OUT millis_behind_latest,
 *                    OUT child_shards)
 */
Datum
stream_get_records(PG_FUNCTION_ARGS)
{
	StreamIterator iterator;
	ShardCall	call;
	CallResult	result;
	int			limit;
	long		wait_ms;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	Datum		row;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("shard iterator must not be null"));

	/*
	 * Take in what other sessions committed before the iterator is checked:
	 * a transaction that began before the extension was dropped and made
	 * again must not accept an old iterator with the old key, and then sign
	 * its next one with the new key.
	 */
	AcceptInvalidationMessages();
	limit = StreamReadLimit(PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1));
	wait_ms = StreamWaitMilliseconds(PG_ARGISNULL(2), PG_ARGISNULL(2) ? NULL : PG_GETARG_INTERVAL_P(2));
	StreamIteratorDecode(text_to_cstring(PG_GETARG_TEXT_PP(0)), &iterator);

	memset(&call, 0, sizeof(call));
	call.stream_id = iterator.stream_id;
	call.shard_no = iterator.shard_no;
	call.action = "GetRecords";
	ReadCall(fcinfo, &call, iterator.position, limit, wait_ms, &result);

	values[0] = result.records;
	if (result.shard_end)
	{
		/* a closed shard read to its end: go on with its children */
		nulls[1] = true;
		values[3] = ChildShards(call.stream, call.shard);
	}
	else
	{
		values[1] = CStringGetTextDatum(StreamIteratorEncode(call.stream_id, call.shard_no,
															 result.next_position));
		nulls[3] = true;
	}
	values[2] = Int64GetDatum(result.millis_behind);

	row = HeapTupleGetDatum(heap_form_tuple(StreamResultDesc(fcinfo), values, nulls));
	ReleaseArrayBuffer();
	PG_RETURN_DATUM(row);
}

/*
 * stream.subscribe_to_shard(stream_name, consumer_name, shard_id,
 *                           starting_position, starting_sequence_number,
 *                           timestamp, wait, limit, OUT records,
 *                           OUT continuation_sequence_number,
 *                           OUT millis_behind_latest, OUT child_shards)
 *
 * One batch of what Kinesis' SubscribeToShard pushes: the records of a
 * shard from a starting position, for a registered consumer, waiting up to
 * "wait" for the first, with the consumer's own read throughput.  The next
 * call goes on with AFTER_SEQUENCE_NUMBER and continuation_sequence_number,
 * which is NULL at the end of a closed shard, where child_shards says what
 * follows.
 */
Datum
stream_subscribe_to_shard(PG_FUNCTION_ARGS)
{
	ShardCall	call;
	CallResult	result;
	StreamInfo *stream;
	StreamShardInfo *shard;
	char	   *consumer;
	char	   *type;
	int64		position;
	int			limit;
	long		wait_ms;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	Datum		row;

	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					errkinesis(KINESIS_INVALID_ARGUMENT),
					errmsg("%s must not be null",
						   i == 0 ? "stream name" : i == 1 ? "consumer name" :
						   i == 2 ? "shard id" : "starting position"));
	consumer = text_to_cstring(PG_GETARG_TEXT_PP(1));
	type = text_to_cstring(PG_GETARG_TEXT_PP(3));
	wait_ms = StreamWaitMilliseconds(PG_ARGISNULL(6), PG_ARGISNULL(6) ? NULL : PG_GETARG_INTERVAL_P(6));
	limit = StreamReadLimit(PG_ARGISNULL(7), PG_ARGISNULL(7) ? 0 : PG_GETARG_INT32(7));
	CheckPositionType(type, "starting position");

	AcceptInvalidationMessages();
	stream = StreamLookupAuthorized(text_to_cstring(PG_GETARG_TEXT_PP(0)), STREAM_PRIV_READ,
									"SubscribeToShard");
	/* the consumer is looked up with the shard, by ReadCall */
	shard = LookupShard(stream, text_to_cstring(PG_GETARG_TEXT_PP(2)));
	position = StartingPosition(stream, shard, type, "starting position",
								PG_ARGISNULL(4), PG_GETARG_DATUM(4),
								PG_ARGISNULL(5), PG_ARGISNULL(5) ? 0 : PG_GETARG_TIMESTAMPTZ(5));

	memset(&call, 0, sizeof(call));
	call.stream_id = stream->stream_id;
	call.shard_no = shard->shard_no;
	call.action = "SubscribeToShard";
	call.consumer = consumer;
	/* never 0, the shard's own buckets */
	call.consumer_key = hash_bytes((const unsigned char *) consumer, strlen(consumer)) | 1;
	ReadCall(fcinfo, &call, position, limit, wait_ms, &result);

	values[0] = result.records;
	if (result.shard_end)
	{
		nulls[1] = true;
		values[3] = ChildShards(call.stream, call.shard);
	}
	else
	{
		/* AFTER_SEQUENCE_NUMBER it starts where this call stopped */
		values[1] = StreamSeqToNumeric(result.next_position - 1);
		nulls[3] = true;
	}
	values[2] = Int64GetDatum(result.millis_behind);

	row = HeapTupleGetDatum(heap_form_tuple(StreamResultDesc(fcinfo), values, nulls));
	ReleaseArrayBuffer();
	PG_RETURN_DATUM(row);
}

/*----------
 * read
 *----------
 */

typedef struct ReadState
{
	ReturnSetInfo *rsinfo;
	StreamInfo *stream;
	int64		remaining;		/* -1: no limit */
	bool		has_since;
	TimestampTz since;
	text	   *shard_id;
} ReadState;

static bool
EmitRow(void *arg, int64 seq, StreamSegmentInfo *segment,
		StreamLogReader *reader, StreamRecord *record)
{
	ReadState  *state = (ReadState *) arg;

	if (state->remaining == 0)
		return false;
	if (state->has_since && record->arrival < state->since)
		return true;

	StreamEmitRecordRow(state->rsinfo, state->stream, state->shard_id, seq,
						segment, reader, record);
	if (state->remaining > 0)
		state->remaining--;
	return true;
}

/*
 * stream.read(stream_name, shard_id, after_sequence_number, since, limit)
 *
 * Every retained record, by shard and then sequence number, under the same
 * rule as get_records: each shard's records stop before the first whose
 * writer is still in progress.
 */
Datum
stream_read(PG_FUNCTION_ARGS)
{
	ReadState	state;
	StreamInfo *stream;
	StreamShardInfo *only = NULL;
	int64		start = 0;
	TimestampTz horizon;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("stream name must not be null"));
	if (!PG_ARGISNULL(4) && PG_GETARG_INT64(4) < 0)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("limit %lld is out of range",
					   (long long) PG_GETARG_INT64(4)),
				errhint("The limit is 0 or more, or NULL for none."));
	if (!PG_ARGISNULL(2))
	{
		start = StreamSeqFromNumeric(PG_GETARG_DATUM(2));
		if (start == PG_INT64_MAX)
			ereport(ERROR,
					errkinesis(KINESIS_INVALID_ARGUMENT),
					errmsg("invalid sequence number %lld", (long long) start),
					errhint("No sequence number comes after it."));
		start++;
	}

	AcceptInvalidationMessages();
	stream = StreamLookupAuthorized(text_to_cstring(PG_GETARG_TEXT_PP(0)),
									STREAM_PRIV_READ, "GetRecords");
	StreamCheckKey(stream);
	if (!PG_ARGISNULL(1))
		only = LookupShard(stream, text_to_cstring(PG_GETARG_TEXT_PP(1)));

	InitMaterializedSRF(fcinfo, 0);
	state.stream = stream;
	state.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	state.remaining = PG_ARGISNULL(4) ? -1 : PG_GETARG_INT64(4);
	state.has_since = !PG_ARGISNULL(3);
	state.since = state.has_since ? PG_GETARG_TIMESTAMPTZ(3) : 0;
	horizon = GetCurrentTimestamp() - stream->retention;

	for (int i = 0; i < stream->nshards && state.remaining != 0; i++)
	{
		StreamShardInfo *shard = &stream->shards[i];
		int64		position = start;
		int64		next;

		if (only != NULL && shard != only)
			continue;
		if (state.has_since)
			position = Max(position, StreamTimestampPosition(shard, state.since));
		state.shard_id = cstring_to_text(StreamFormatShardId(shard->shard_no));
		StreamReadShard(shard, position, horizon, EmitRow, &state, &next);
	}
	return (Datum) 0;
}
