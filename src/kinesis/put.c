/*-------------------------------------------------------------------------
 *
 * put.c
 *	  stream.put_record and stream.put_records.
 *
 * A request is checked whole before anything is written, so a request that
 * breaks a rule writes nothing.  Records are routed by hash key to the open
 * shard whose range holds it and appended to that shard's newest segment;
 * the records of one shard in one request go in one append, in input order,
 * which keeps the order of each partition key.  Records over their shard's
 * throughput quota are refused before anything is appended (quota.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "tcop/utility.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"

#include "kinesis/acl.h"
#include "kinesis/catalog.h"
#include "kinesis/crypt.h"
#include "kinesis/feed.h"
#include "kinesis/kinesis.h"
#include "kinesis/metrics.h"
#include "kinesis/names.h"
#include "kinesis/quota.h"
#include "kinesis/segment.h"
#include "kinesis/sequence.h"
#include "kinesis/wait.h"
#include "log/log_page.h"
#include "log/seqno.h"
#include "numeric128.h"

/* Kinesis' limits must be within what storage takes */
StaticAssertDecl(STREAM_MAX_RECORD_SIZE <= STREAM_LOG_MAX_RECORD_BYTES,
				 "a Kinesis record must fit stream storage");
StaticAssertDecl(STREAM_MAX_KEY_CHARS * MAX_MULTIBYTE_CHAR_LEN <=
				 STREAM_LOG_MAX_KEY_BYTES,
				 "a Kinesis partition key must fit stream storage");

PG_FUNCTION_INFO_V1(stream_put_record);
PG_FUNCTION_INFO_V1(stream_put_records);
PG_FUNCTION_INFO_V1(stream_put_records_arrays);

static char *
StreamNameArg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("stream name must not be null"));
	return text_to_cstring(PG_GETARG_TEXT_PP(0));
}

/*
 * The stream to write to, which the calling role may write to ("action" is
 * the Kinesis action, for the message), and which is taking records.
 */
static StreamInfo *
LookupStreamForWrite(const char *name, const char *action)
{
	StreamInfo *stream = StreamLookupAuthorized(name, STREAM_PRIV_WRITE, action);

	if (strcmp(stream->status, "ACTIVE") != 0 &&
		strcmp(stream->status, "UPDATING") != 0)
		ereport(ERROR,
				errkinesis(KINESIS_RESOURCE_IN_USE),
				errmsg("stream \"%s\" is %s and does not accept records",
					   name, stream->status));
	return stream;
}

/*
 * In an ereport about record number n of a put_records request: a CONTEXT
 * line that names it.  Nothing for put_record's one record (n = 0).
 */
static int
errrecord(int n)
{
	if (n > 0)
		errcontext("record %d of the put_records request", n);
	return 0;
}

/*
 * Checks record number n of a request (see errrecord) and fills in what to
 * append.
 */
static void
PrepareRecord(text *key, bytea *data, Datum explicit_hash_key,
			  bool has_explicit, int n, StreamAppendRecord *rec)
{
	int			chars;

	if (key == NULL)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("partition key must not be null"),
				errrecord(n));
	if (data == NULL)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("data must not be null"),
				errrecord(n));

	memset(rec, 0, sizeof(StreamAppendRecord));
	rec->key = VARDATA_ANY(key);
	rec->key_len = VARSIZE_ANY_EXHDR(key);
	rec->data = VARDATA_ANY(data);
	rec->data_len = VARSIZE_ANY_EXHDR(data);

	chars = pg_mbstrlen_with_len(rec->key, rec->key_len);
	if (chars < 1 || chars > STREAM_MAX_KEY_CHARS)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("partition key of %d characters is out of range", chars),
				errhint("A partition key has 1 to %d characters.",
						STREAM_MAX_KEY_CHARS),
				errrecord(n));
	if ((int64) rec->key_len + rec->data_len > STREAM_MAX_RECORD_SIZE)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("record of %lld bytes is too large",
					   (long long) rec->key_len + rec->data_len),
				errhint("Data and partition key of a record have at most %d bytes together.",
						STREAM_MAX_RECORD_SIZE),
				errrecord(n));

	if (has_explicit)
	{
		if (!NumericGetUint128(explicit_hash_key, &rec->hash_key))
			ereport(ERROR,
					errkinesis(KINESIS_INVALID_ARGUMENT),
					errmsg("explicit hash key %s is out of range",
						   StreamQuote(DatumGetCString(DirectFunctionCall1(numeric_out,
																		   explicit_hash_key)))),
					errhint("A hash key is an integer from 0 to 2^128 - 1."),
					errrecord(n));
	}
	else
		rec->hash_key = StreamHashPartitionKey(rec->key, rec->key_len);
}

/*
 * The k-th segment (0 or 1) that a shard's records may be appended to, as an
 * index into its segments, or -1.
 */
static int
WriteCandidate(StreamShardInfo *shard, int k)
{
	int			first = Max(shard->nsegments - 2, 0);

	return first + k < shard->nsegments ? first + k : -1;
}

/*
 * Appends a batch of records to one shard, in order, to the segment being
 * written, and returns that segment's number, or -1 when the shard turns out
 * to be closed (resharded): then nothing was appended.  stream is the
 * caller's lookup, made in catalog generation "generation".
 *
 * Writers append to the oldest segment that is not sealed; all before it are
 * sealed and maintenance keeps one empty segment after it, so it is one of
 * the last two.  Only the one expected is opened: the older of the two,
 * unless this backend already found that one sealed (shard->write_hint; a
 * sealed segment stays sealed, and the hint is forgotten with the catalog
 * cache).  Opening a segment locks it, which processes pending
 * invalidations; if the catalog changed meanwhile, the shard is looked up
 * again.  When both turn out to be sealed, a newer segment was committed
 * after the catalog was read: the catalog is read again and the append
 * retried.
 */
static int32
AppendToShard(const char *stream_name, const char *action, StreamInfo *stream,
			  uint64 generation,
			  int32 shard_no, StreamAppendRecord *batch, int n)
{
	StreamSealPolicy policy;
	StringInfoData tag = {0};	/* made when a tag is */

	for (int attempt = 0;; attempt++)
	{
		StreamShardInfo *shard;
		bool		stale = false;

		if (attempt > 0 || StreamCatalogIsStale(generation))
		{
			stream = LookupStreamForWrite(stream_name, action);
			generation = StreamCatalogGeneration();
		}
		shard = StreamFindShard(stream, shard_no);
		if (shard == NULL || !shard->open)
			return -1;

		for (int k = shard->write_hint; k < 2; k++)
		{
			int			idx = WriteCandidate(shard, k);
			int32		segment_no;
			Relation	rel;
			StreamAppendResult result;

			if (idx < 0)
				break;
			segment_no = shard->segments[idx].segment_no;
			rel = StreamTryOpenSegment(shard->segments[idx].relid, RowExclusiveLock);
			if (rel == NULL || StreamCatalogIsStale(generation))
			{
				if (rel != NULL)
					table_close(rel, RowExclusiveLock);
				stale = true;
				break;
			}
			StreamSealPolicyFor(stream->retention, idx < shard->nsegments - 1,
								&policy);
			/*
			 * Sealed with this segment's data key, when it is the one; plain
			 * again if the encryption stopped since an earlier attempt.
			 */
			for (int r = 0; r < n; r++)
			{
				if (stream->encrypted)
					StreamEncryptRecord(&batch[r], stream, &shard->segments[idx]);
				else
					StreamPlainRecord(&batch[r]);
			}
			result = StreamLogAppend(rel, segment_no, batch, n, &policy,
									 StreamFeedTag(stream, shard_no, &tag));
			if (result == STREAM_APPEND_DONE)
			{
				pgstat_count_heap_insert(rel, n);
				StreamWaitNoteAppend(stream->stream_id, shard_no);
			}
			/* the lock is kept until the end of the transaction */
			table_close(rel, NoLock);
			if (result == STREAM_APPEND_DONE)
				return segment_no;
			shard->write_hint = 1;
		}
		if (stale && attempt < 10)
			continue;

		AcceptInvalidationMessages();
		if (!StreamCatalogIsStale(generation) || attempt >= 10)
			break;
	}
	/* only if maintenance sealed a segment before committing the next one */
	ereport(ERROR,
			errkinesis(KINESIS_RESOURCE_IN_USE),
			errmsg("shard \"%s\" of stream \"%s\" has no segment ready for records",
				   StreamFormatShardId(shard_no), stream_name),
			errhint("Retry the request."));
	return 0;
}

/*
 * Takes the write quota of each record's shard, in input order, and marks
 * the records that do not fit as throttled (and done).  Returns how many.
 */
static int
TakeWriteQuotas(StreamInfo *stream, StreamAppendRecord *recs, int nrecs,
				const int32 *shard_nos, const int32 *targets, int ntargets,
				bool *throttled, bool *done)
{
	int64	   *sizes = palloc(sizeof(int64) * nrecs);
	int		   *index = palloc(sizeof(int) * nrecs);
	bool	   *accepted = palloc(sizeof(bool) * nrecs);
	int			nthrottled = 0;

	for (int t = 0; t < ntargets; t++)
	{
		int			n = 0;

		for (int i = 0; i < nrecs; i++)
			if (shard_nos[i] == targets[t])
			{
				sizes[n] = recs[i].key_len + recs[i].data_len;
				index[n++] = i;
			}
		StreamQuotaTakeWrites(stream->stream_id, targets[t], sizes, n,
							  stream->on_demand, accepted);
		for (int j = 0; j < n; j++)
			if (!accepted[j])
			{
				throttled[index[j]] = done[index[j]] = true;
				nthrottled++;
			}
	}
	pfree(sizes);
	pfree(index);
	pfree(accepted);
	return nthrottled;
}

/*
 * The shard-level metrics of a put call, for a stream that counts them
 * (shard_metrics, a mask of metrics.h): each shard's records and bytes
 * taken in, and those its quota refused.
 */
static void
CountShardWrites(int32 stream_id, uint32 shard_metrics, const StreamAppendRecord *recs,
				 int nrecs, const int32 *shard_nos, const bool *throttled)
{
	bool	   *counted = palloc0(sizeof(bool) * nrecs);

	for (int i = 0; i < nrecs; i++)
	{
		int64		bytes = 0;
		int			accepted = 0;
		int			refused = 0;

		if (counted[i])
			continue;
		/* the records of shard_nos[i], from the first */
		for (int j = i; j < nrecs; j++)
			if (shard_nos[j] == shard_nos[i])
			{
				counted[j] = true;
				if (throttled[j])
					refused++;
				else
				{
					accepted++;
					bytes += recs[j].key_len + recs[j].data_len;
				}
			}
		if (accepted > 0 && StreamShardMetricOn(shard_metrics, METRIC_INCOMING_BYTES))
			StreamShardMetricSample(stream_id, shard_nos[i], METRIC_INCOMING_BYTES, bytes);
		if (accepted > 0 && StreamShardMetricOn(shard_metrics, METRIC_INCOMING_RECORDS))
			StreamShardMetricSample(stream_id, shard_nos[i], METRIC_INCOMING_RECORDS, accepted);
		if (StreamShardMetricOn(shard_metrics, METRIC_WRITE_THROUGHPUT_EXCEEDED))
			StreamShardMetricSample(stream_id, shard_nos[i], METRIC_WRITE_THROUGHPUT_EXCEEDED,
									refused);
	}
	pfree(counted);
}

/*
 * The metrics of a put call (metrics.c): what was taken in, what the quotas
 * refused, the call's latency.
 */
static void
CountWrites(int32 stream_id, uint32 shard_metrics, bool put_record,
			const StreamAppendRecord *recs, int nrecs, const int32 *shard_nos,
			const bool *throttled, TimestampTz started)
{
	int64		bytes = 0;
	int			accepted = 0;
	double		ms = (double) (GetCurrentTimestamp() - started) / 1000.0;

	for (int i = 0; i < nrecs; i++)
		if (!throttled[i])
		{
			accepted++;
			bytes += recs[i].key_len + recs[i].data_len;
		}
	if (accepted > 0)
	{
		StreamMetricSample(stream_id, METRIC_INCOMING_BYTES, bytes);
		StreamMetricSample(stream_id, METRIC_INCOMING_RECORDS, accepted);
	}
	StreamMetricSample(stream_id, METRIC_WRITE_THROUGHPUT_EXCEEDED, nrecs - accepted);
	if (put_record)
	{
		if (accepted > 0)
			StreamMetricSample(stream_id, METRIC_PUT_RECORD_BYTES, bytes);
		StreamMetricSample(stream_id, METRIC_PUT_RECORD_LATENCY, ms);
		StreamMetricSample(stream_id, METRIC_PUT_RECORD_SUCCESS, accepted);
	}
	else
	{
		StreamMetricSample(stream_id, METRIC_PUT_RECORDS_BYTES, bytes);
		StreamMetricSample(stream_id, METRIC_PUT_RECORDS_LATENCY, ms);
		StreamMetricSample(stream_id, METRIC_PUT_RECORDS_RECORDS, nrecs);
		StreamMetricSample(stream_id, METRIC_PUT_RECORDS_SUCCESSFUL_RECORDS, accepted);
		/* failures other than throttling: none here */
		StreamMetricSample(stream_id, METRIC_PUT_RECORDS_FAILED_RECORDS, 0);
		StreamMetricSample(stream_id, METRIC_PUT_RECORDS_THROTTLED_RECORDS, nrecs - accepted);
	}
	if (shard_metrics != 0)
		CountShardWrites(stream_id, shard_metrics, recs, nrecs, shard_nos, throttled);
}

/*
 * Appends checked records to their shards and reports, for each, the shard
 * it went to and its sequence number, or that it was throttled (then its
 * shard number is that of the shard whose quota it exceeded).  The records
 * of one shard go in one append, in input order.  Records whose shard was
 * closed by a reshard since they were routed are routed again, to its
 * children; the quota is taken once, of the shard first routed to.
 */
static void
AppendRecords(const char *stream_name, const char *action,
			  StreamAppendRecord *recs, int nrecs,
			  int32 *shard_nos, int64 *seqs, bool *throttled)
{
	StreamAppendRecord *batch = palloc(sizeof(StreamAppendRecord) * nrecs);
	int		   *batch_index = palloc(sizeof(int) * nrecs);
	int32	   *targets = palloc(sizeof(int32) * nrecs);
	bool	   *done = palloc0(sizeof(bool) * nrecs);
	int			ndone = 0;
	int32		stream_id = 0;
	uint32		shard_metrics = 0;
	TimestampTz started = GetCurrentTimestamp();

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot write records during recovery"),
				 errhint("Write to the primary server.")));
	PreventCommandIfReadOnly("stream.put_record");
	/* a key disabled by a transaction committed since the last call counts */
	AcceptInvalidationMessages();

	for (int round = 0; ndone < nrecs; round++)
	{
		StreamInfo *stream = LookupStreamForWrite(stream_name, action);
		uint64		generation = StreamCatalogGeneration();
		int			ntargets = 0;

		stream_id = stream->stream_id;
		shard_metrics = stream->shard_metrics;
		StreamCheckKey(stream);

		if (round > 10)
			ereport(ERROR,
					errkinesis(KINESIS_RESOURCE_IN_USE),
					errmsg("stream \"%s\" is being resharded", stream_name),
					errhint("Retry the request."));

		/* route: the shard of each record, and the distinct shards in order */
		for (int i = 0; i < nrecs; i++)
		{
			int			t;

			if (done[i])
				continue;
			shard_nos[i] = StreamRouteHashKey(stream, recs[i].hash_key)->shard_no;
			for (t = 0; t < ntargets && targets[t] != shard_nos[i]; t++)
				;
			if (t == ntargets)
				targets[ntargets++] = shard_nos[i];
		}
		if (round == 0 && StreamQuotaWritesApply(stream->on_demand))
			ndone += TakeWriteQuotas(stream, recs, nrecs, shard_nos, targets,
									 ntargets, throttled, done);

		for (int t = 0; t < ntargets; t++)
		{
			int			n = 0;
			int32		segment_no;

			for (int i = 0; i < nrecs; i++)
				if (!done[i] && shard_nos[i] == targets[t])
				{
					batch[n] = recs[i];
					batch_index[n++] = i;
				}
			if (n == 0)
				continue;
			segment_no = AppendToShard(stream_name, action, stream, generation,
									   targets[t], batch, n);
			if (segment_no < 0)
				continue;
			for (int j = 0; j < n; j++)
			{
				seqs[batch_index[j]] = StreamSeqMake(segment_no, batch[j].block,
													 batch[j].offset);
				recs[batch_index[j]].encrypted = batch[j].encrypted;
				done[batch_index[j]] = true;
			}
			ndone += n;
		}
	}

	CountWrites(stream_id, shard_metrics, strcmp(action, "PutRecord") == 0, recs, nrecs,
				shard_nos, throttled, started);
	pfree(batch);
	pfree(batch_index);
	pfree(targets);
	pfree(done);
}

/* What a throttled record of put_records says, in Kinesis' words. */
static char *
ThrottledMessage(const char *stream_name, int32 shard_no)
{
	return psprintf("Rate exceeded for shard %s in stream %s under account %s.",
					StreamFormatShardId(shard_no), stream_name,
					stream_account_id);
}

/*
 * stream.put_record(stream_name, partition_key, data, explicit_hash_key,
 *                   sequence_number_for_ordering)
 *
 * sequence_number_for_ordering is checked but needs no further work: the
 * records of one partition key go to one shard (or, after a reshard, to a
 * child whose segments are numbered after the parent's), where sequence
 * numbers only grow.
 */
Datum
stream_put_record(PG_FUNCTION_ARGS)
{
	char	   *stream_name = StreamNameArg(fcinfo);
	StreamAppendRecord rec;
	TupleDesc	desc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	int32		shard_no;
	int64		seq;
	bool		throttled = false;

	PrepareRecord(PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1),
				  PG_ARGISNULL(2) ? NULL : PG_GETARG_BYTEA_PP(2),
				  PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3),
				  !PG_ARGISNULL(3), 0, &rec);
	if (!PG_ARGISNULL(4))
		(void) StreamSeqFromNumeric(PG_GETARG_DATUM(4));

	AppendRecords(stream_name, "PutRecord", &rec, 1, &shard_no, &seq, &throttled);
	if (throttled)
		ereport(ERROR,
				errkinesis(KINESIS_THROUGHPUT_EXCEEDED),
				errmsg("rate exceeded for shard \"%s\" of stream \"%s\"",
					   StreamFormatShardId(shard_no), stream_name),
				errhint("Retry with backoff: a shard takes %d records and %d bytes per second.",
						stream_shard_write_records_per_second,
						stream_shard_write_bytes_per_second));

	desc = StreamResultDesc(fcinfo);
	values[0] = PointerGetDatum(StreamShardIdText(shard_no));
	values[1] = StreamSeqToNumeric(seq);
	values[2] = CStringGetTextDatum(rec.encrypted ? "KMS" : "NONE");
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

/* Checks the request-wide limits of put_records. */
static void
CheckRequest(StreamAppendRecord *recs, int nrecs)
{
	int64		total = 0;

	for (int i = 0; i < nrecs; i++)
		total += recs[i].key_len + recs[i].data_len;
	if (total > STREAM_MAX_PUT_RECORDS_SIZE)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("put_records request of %lld bytes is too large",
					   (long long) total),
				errhint("A request has at most %d bytes of data and partition keys.",
						STREAM_MAX_PUT_RECORDS_SIZE));
}

static void
CheckRecordCount(int nrecs)
{
	if (nrecs < 1 || nrecs > STREAM_MAX_PUT_RECORDS)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("put_records request of %d records is out of range", nrecs),
				errhint("A request has 1 to %d records.", STREAM_MAX_PUT_RECORDS));
}

/* Appends the request and returns one row per record, in input order. */
static void
PutRecordsAndReturn(FunctionCallInfo fcinfo, const char *stream_name,
					StreamAppendRecord *recs, int nrecs)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32	   *shard_nos = palloc(sizeof(int32) * nrecs);
	int64	   *seqs = palloc(sizeof(int64) * nrecs);
	bool	   *throttled = palloc0(sizeof(bool) * nrecs);

	CheckRequest(recs, nrecs);
	AppendRecords(stream_name, "PutRecords", recs, nrecs, shard_nos, seqs, throttled);

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < nrecs; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, true, true};

		values[0] = Int32GetDatum(i + 1);
		if (throttled[i])
		{
			nulls[1] = nulls[2] = true;
			nulls[3] = nulls[4] = false;
			values[3] = CStringGetTextDatum("ProvisionedThroughputExceededException");
			values[4] = CStringGetTextDatum(ThrottledMessage(stream_name,
															 shard_nos[i]));
		}
		else
		{
			values[1] = PointerGetDatum(StreamShardIdText(shard_nos[i]));
			values[2] = StreamSeqToNumeric(seqs[i]);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/* An array argument, which must be given and have one dimension. */
static ArrayType *
ArrayArg(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	ArrayType  *array;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("argument \"%s\" must not be null", argname));
	array = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("argument \"%s\" must be a one-dimensional array",
					   argname));
	return array;
}

/* The columns of stream.put_records_request_entry, which it reads */
static const Oid request_entry_columns[] = {BYTEAOID, TEXTOID, NUMERICOID};

/*
 * stream.put_records(stream_name, records stream.put_records_request_entry[])
 */
Datum
stream_put_records(PG_FUNCTION_ARGS)
{
	char	   *stream_name = StreamNameArg(fcinfo);
	ArrayType  *array = ArrayArg(fcinfo, 1, "records");
	Datum	   *elems;
	bool	   *elem_nulls;
	int			nrecs;
	StreamAppendRecord *recs;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	StreamCheckRowType(ARR_ELEMTYPE(array), lengthof(request_entry_columns),
					   request_entry_columns);
	get_typlenbyvalalign(ARR_ELEMTYPE(array), &typlen, &typbyval, &typalign);
	deconstruct_array(array, ARR_ELEMTYPE(array), typlen, typbyval, typalign,
					  &elems, &elem_nulls, &nrecs);
	CheckRecordCount(nrecs);

	recs = palloc0(sizeof(StreamAppendRecord) * nrecs);
	for (int i = 0; i < nrecs; i++)
	{
		HeapTupleHeader entry;
		bool		data_null,
					key_null,
					hash_null;
		Datum		data,
					key,
					hash;

		if (elem_nulls[i])
			ereport(ERROR,
					errkinesis(KINESIS_INVALID_ARGUMENT),
					errmsg("record must not be null"),
					errrecord(i + 1));
		entry = DatumGetHeapTupleHeader(elems[i]);
		data = GetAttributeByNum(entry, 1, &data_null);
		key = GetAttributeByNum(entry, 2, &key_null);
		hash = GetAttributeByNum(entry, 3, &hash_null);
		PrepareRecord(key_null ? NULL : DatumGetTextPP(key),
					  data_null ? NULL : DatumGetByteaPP(data),
					  hash, !hash_null, i + 1, &recs[i]);
	}
	PutRecordsAndReturn(fcinfo, stream_name, recs, nrecs);
	return (Datum) 0;
}

/*
 * stream.put_records(stream_name, partition_keys text[], data bytea[])
 */
Datum
stream_put_records_arrays(PG_FUNCTION_ARGS)
{
	char	   *stream_name = StreamNameArg(fcinfo);
	ArrayType  *key_array = ArrayArg(fcinfo, 1, "partition_keys");
	ArrayType  *data_array = ArrayArg(fcinfo, 2, "data");
	Datum	   *keys,
			   *datas;
	bool	   *key_nulls,
			   *data_nulls;
	int			nkeys,
				ndatas;
	StreamAppendRecord *recs;

	deconstruct_array(key_array, TEXTOID, -1, false, TYPALIGN_INT,
					  &keys, &key_nulls, &nkeys);
	deconstruct_array(data_array, BYTEAOID, -1, false, TYPALIGN_INT,
					  &datas, &data_nulls, &ndatas);
	if (nkeys != ndatas)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("put_records got %d partition keys and %d data values",
					   nkeys, ndatas),
				errhint("Give one data value for each partition key."));
	CheckRecordCount(nkeys);

	recs = palloc0(sizeof(StreamAppendRecord) * nkeys);
	for (int i = 0; i < nkeys; i++)
		PrepareRecord(key_nulls[i] ? NULL : DatumGetTextPP(keys[i]),
					  data_nulls[i] ? NULL : DatumGetByteaPP(datas[i]),
					  (Datum) 0, false, i + 1, &recs[i]);
	PutRecordsAndReturn(fcinfo, stream_name, recs, nkeys);
	return (Datum) 0;
}
