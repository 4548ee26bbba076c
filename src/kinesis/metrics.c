/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  CloudWatch-style metrics of streams.
 *
 * Every call (put.c, get.c, application.c) counts samples of its metrics:
 * a call's bytes, records, latency, whether it was throttled.  A metric
 * keeps, per stream and minute, what CloudWatch keeps: the number of
 * samples, their sum, minimum and maximum.
 *
 * Samples add up in the backend (no lock, no shared cache line per call) and
 * reach shared memory about once a second, and when the backend exits.
 * Shared memory holds a few minutes of each stream (a hash table, its
 * partitions each under a lock); the maintenance pass moves the minutes
 * that are over into the table stream.metrics (take_metrics), and
 * get_metric_statistics reads the table and what is not there yet
 * (live_metrics, which includes what the calling backend has not sent).
 * At a clean shutdown the postmaster writes shared memory to a file, read
 * back at the next start; after a crash, what the table holds is what is
 * left, every minute that the maintenance pass had moved.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "kinesis/metrics.h"

PG_FUNCTION_INFO_V1(stream_metric_names);
PG_FUNCTION_INFO_V1(stream_live_metrics);
PG_FUNCTION_INFO_V1(stream_take_metrics);

static const char *const metric_names[STREAM_NUM_METRICS] = {
	[METRIC_INCOMING_BYTES] = "IncomingBytes",
	[METRIC_INCOMING_RECORDS] = "IncomingRecords",
	[METRIC_PUT_RECORD_BYTES] = "PutRecord.Bytes",
	[METRIC_PUT_RECORD_LATENCY] = "PutRecord.Latency",
	[METRIC_PUT_RECORD_SUCCESS] = "PutRecord.Success",
	[METRIC_PUT_RECORDS_BYTES] = "PutRecords.Bytes",
	[METRIC_PUT_RECORDS_LATENCY] = "PutRecords.Latency",
	[METRIC_PUT_RECORDS_RECORDS] = "PutRecords.Records",
	[METRIC_PUT_RECORDS_SUCCESSFUL_RECORDS] = "PutRecords.SuccessfulRecords",
	[METRIC_PUT_RECORDS_FAILED_RECORDS] = "PutRecords.FailedRecords",
	[METRIC_PUT_RECORDS_THROTTLED_RECORDS] = "PutRecords.ThrottledRecords",
	[METRIC_GET_RECORDS_BYTES] = "GetRecords.Bytes",
	[METRIC_GET_RECORDS_RECORDS] = "GetRecords.Records",
	[METRIC_GET_RECORDS_LATENCY] = "GetRecords.Latency",
	[METRIC_GET_RECORDS_SUCCESS] = "GetRecords.Success",
	[METRIC_GET_RECORDS_ITERATOR_AGE] = "GetRecords.IteratorAgeMilliseconds",
	[METRIC_READ_THROUGHPUT_EXCEEDED] = "ReadProvisionedThroughputExceeded",
	[METRIC_WRITE_THROUGHPUT_EXCEEDED] = "WriteProvisionedThroughputExceeded",
	[METRIC_SUBSCRIBE_RATE_EXCEEDED] = "SubscribeToShard.RateExceeded",
	[METRIC_SUBSCRIBE_EVENT_RECORDS] = "SubscribeToShardEvent.Records",
	[METRIC_SUBSCRIBE_EVENT_BYTES] = "SubscribeToShardEvent.Bytes",
	[METRIC_SUBSCRIBE_EVENT_MILLIS_BEHIND] = "SubscribeToShardEvent.MillisBehindLatest",
	[METRIC_OUTGOING_BYTES] = "OutgoingBytes",
	[METRIC_OUTGOING_RECORDS] = "OutgoingRecords",
	[METRIC_ITERATOR_AGE] = "IteratorAgeMilliseconds",
};

/*
 * What each metric is counted for, as CloudWatch has them: the stream, each
 * shard (after enable_enhanced_monitoring), each registered consumer.  The
 * stream also counts its consumers' metrics, all together.
 */
#define FOR_STREAM 1
#define FOR_SHARD 2
#define FOR_CONSUMER 4

static const int metric_levels[STREAM_NUM_METRICS] = {
	[METRIC_INCOMING_BYTES] = FOR_STREAM | FOR_SHARD,
	[METRIC_INCOMING_RECORDS] = FOR_STREAM | FOR_SHARD,
	[METRIC_PUT_RECORD_BYTES] = FOR_STREAM,
	[METRIC_PUT_RECORD_LATENCY] = FOR_STREAM,
	[METRIC_PUT_RECORD_SUCCESS] = FOR_STREAM,
	[METRIC_PUT_RECORDS_BYTES] = FOR_STREAM,
	[METRIC_PUT_RECORDS_LATENCY] = FOR_STREAM,
	[METRIC_PUT_RECORDS_RECORDS] = FOR_STREAM,
	[METRIC_PUT_RECORDS_SUCCESSFUL_RECORDS] = FOR_STREAM,
	[METRIC_PUT_RECORDS_FAILED_RECORDS] = FOR_STREAM,
	[METRIC_PUT_RECORDS_THROTTLED_RECORDS] = FOR_STREAM,
	[METRIC_GET_RECORDS_BYTES] = FOR_STREAM,
	[METRIC_GET_RECORDS_RECORDS] = FOR_STREAM,
	[METRIC_GET_RECORDS_LATENCY] = FOR_STREAM,
	[METRIC_GET_RECORDS_SUCCESS] = FOR_STREAM,
	[METRIC_GET_RECORDS_ITERATOR_AGE] = FOR_STREAM,
	[METRIC_READ_THROUGHPUT_EXCEEDED] = FOR_STREAM | FOR_SHARD,
	[METRIC_WRITE_THROUGHPUT_EXCEEDED] = FOR_STREAM | FOR_SHARD,
	[METRIC_SUBSCRIBE_RATE_EXCEEDED] = FOR_STREAM | FOR_CONSUMER,
	[METRIC_SUBSCRIBE_EVENT_RECORDS] = FOR_STREAM | FOR_CONSUMER,
	[METRIC_SUBSCRIBE_EVENT_BYTES] = FOR_STREAM | FOR_CONSUMER,
	[METRIC_SUBSCRIBE_EVENT_MILLIS_BEHIND] = FOR_STREAM | FOR_CONSUMER,
	[METRIC_OUTGOING_BYTES] = FOR_SHARD,
	[METRIC_OUTGOING_RECORDS] = FOR_SHARD,
	[METRIC_ITERATOR_AGE] = FOR_SHARD,
};

/* A consumer's name: at most 128 characters, as a stream's */
#define CONSUMER_NAME_LEN 128

bool		stream_metrics = true;
int			stream_metrics_retention = 24 * 60;	/* minutes */
static int	metrics_max_entries = 2048;

/* How often a backend sends its samples to shared memory */
#define SEND_INTERVAL_MS 1000

/* The minutes shared memory keeps of a stream, until the maintenance pass */
#define RING_MINUTES 4

/* The hash table of shared memory is partitioned, each under a lock */
#define PARTITIONS 16

#define DUMP_FILE "pg_stat/stream_metrics.stat"
#define DUMP_MAGIC 0x53544d32	/* "STM2" */

/* What metrics are of: a stream, one of its shards, or one of its consumers */
typedef struct MetricKey
{
	Oid			dbid;
	int32		stream_id;
	int32		shard_no;		/* -1: the stream, or a consumer */
	char		consumer[CONSUMER_NAME_LEN + 1];	/* "": none */
} MetricKey;

typedef struct MetricStat
{
	int64		count;
	double		sum;
	double		min;
	double		max;
} MetricStat;

typedef struct MetricEntry
{
	MetricKey	key;
	int64		minute[RING_MINUTES];	/* minutes since 2000, 0: none */
	MetricStat	stat[RING_MINUTES][STREAM_NUM_METRICS];
} MetricEntry;

/* A backend's samples not sent yet: one entry a key and minute */
typedef struct PendingKey
{
	int32		stream_id;
	int32		shard_no;
	char		consumer[CONSUMER_NAME_LEN + 1];
	int64		minute;
} PendingKey;

typedef struct PendingEntry
{
	PendingKey	key;
	MetricStat	stat[STREAM_NUM_METRICS];
} PendingEntry;

static HTAB *shared_metrics = NULL;
static LWLockPadded *metric_locks = NULL;
static HTAB *pending = NULL;
static PendingEntry *last_pending = NULL;
static TimestampTz last_sent = 0;
static bool exit_registered = false;
static bool told_full = false;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static int64
MinuteOf(TimestampTz t)
{
	return t / USECS_PER_MINUTE;
}

static void
MergeStat(MetricStat *into, const MetricStat *from)
{
	if (from->count == 0)
		return;
	if (into->count == 0)
	{
		*into = *from;
		return;
	}
	into->count += from->count;
	into->sum += from->sum;
	into->min = Min(into->min, from->min);
	into->max = Max(into->max, from->max);
}

static LWLock *
PartitionLock(uint32 hash)
{
	return &metric_locks[hash % PARTITIONS].lock;
}

/*
 * Adds a minute of a stream's metrics to shared memory (the caller holds
 * the partition's lock).  A minute older than those kept while the ring is
 * full is dropped: the maintenance pass has not run for minutes.
 */
static void
MergeIntoShared(const MetricKey *key, uint32 hash, int64 minute,
				const MetricStat *stat)
{
	MetricEntry *entry;
	bool		found;
	int			slot = -1;

	entry = hash_search_with_hash_value(shared_metrics, key, hash, HASH_ENTER_NULL, &found);
	if (entry == NULL)
	{
		/* (said once a backend: the lock is held) */
		if (!told_full)
			ereport(LOG,
					(errmsg("stream metrics dropped: shared memory holds the metrics of %d streams, shards and consumers at most",
							metrics_max_entries),
					 errhint("Raise stream.metrics_max_entries, or turn enhanced monitoring off for some streams.")));
		told_full = true;
		return;
	}
	if (!found)
		memset(entry->minute, 0, sizeof(entry->minute) + sizeof(entry->stat));
	for (int i = 0; i < RING_MINUTES; i++)
		if (entry->minute[i] == minute)
			slot = i;
	if (slot < 0)
	{
		/* an empty slot, or the oldest minute's */
		slot = 0;
		for (int i = 0; i < RING_MINUTES; i++)
			if (entry->minute[i] == 0 ||
				(entry->minute[slot] != 0 && entry->minute[i] < entry->minute[slot]))
				slot = i;
		if (entry->minute[slot] > minute)
			return;				/* older than everything kept */
		entry->minute[slot] = minute;
		memset(entry->stat[slot], 0, sizeof(entry->stat[slot]));
	}
	for (int m = 0; m < STREAM_NUM_METRICS; m++)
		MergeStat(&entry->stat[slot][m], &stat[m]);
}

/* Sends the backend's samples to shared memory. */
static void
SendPending(void)
{
	HASH_SEQ_STATUS seq;
	PendingEntry *p;

	if (pending == NULL || shared_metrics == NULL)
		return;
	hash_seq_init(&seq, pending);
	while ((p = hash_seq_search(&seq)) != NULL)
	{
		MetricKey	key;
		uint32		hash;

		memset(&key, 0, sizeof(key));
		key.dbid = MyDatabaseId;
		key.stream_id = p->key.stream_id;
		key.shard_no = p->key.shard_no;
		memcpy(key.consumer, p->key.consumer, sizeof(key.consumer));
		hash = get_hash_value(shared_metrics, &key);
		LWLockAcquire(PartitionLock(hash), LW_EXCLUSIVE);
		MergeIntoShared(&key, hash, p->key.minute, p->stat);
		LWLockRelease(PartitionLock(hash));
	}
	hash_destroy(pending);
	pending = NULL;
	last_pending = NULL;
}

static void
SendAtExit(int code, Datum arg)
{
	SendPending();
}

/*
 * Sends the samples a backend holds once they are SEND_INTERVAL_MS old: for
 * a background worker that goes idle (a sample sends those before it only
 * when the next one comes).
 */
void
StreamMetricsSendDue(void)
{
	if (pending != NULL &&
		TimestampDifferenceExceeds(last_sent, GetCurrentTimestamp(), SEND_INTERVAL_MS))
	{
		SendPending();
		last_sent = GetCurrentTimestamp();
	}
}

/* Counts a sample of what a key names: a stream, a shard or a consumer. */
static void
Sample(int32 stream_id, int32 shard_no, const char *consumer, StreamMetric metric,
	   double value)
{
	TimestampTz now;
	int64		minute;
	MetricStat *stat;

	if (!stream_metrics || shared_metrics == NULL)
		return;
	now = GetCurrentTimestamp();
	minute = MinuteOf(now);
	if (last_pending == NULL || last_pending->key.stream_id != stream_id ||
		last_pending->key.shard_no != shard_no || last_pending->key.minute != minute ||
		strcmp(last_pending->key.consumer, consumer) != 0)
	{
		PendingKey	key;
		bool		found;

		if (pending == NULL)
		{
			HASHCTL		ctl;

			ctl.keysize = sizeof(PendingKey);
			ctl.entrysize = sizeof(PendingEntry);
			ctl.hcxt = TopMemoryContext;
			pending = hash_create("stream metrics not sent", 16, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
			if (!exit_registered)
			{
				before_shmem_exit(SendAtExit, (Datum) 0);
				exit_registered = true;
			}
			if (last_sent == 0)
				last_sent = now;
		}
		memset(&key, 0, sizeof(key));
		key.stream_id = stream_id;
		key.shard_no = shard_no;
		strlcpy(key.consumer, consumer, sizeof(key.consumer));
		key.minute = minute;
		last_pending = hash_search(pending, &key, HASH_ENTER, &found);
		if (!found)
			memset(last_pending->stat, 0, sizeof(last_pending->stat));
	}
	stat = &last_pending->stat[metric];
	if (stat->count == 0)
		stat->min = stat->max = value;
	else
	{
		stat->min = Min(stat->min, value);
		stat->max = Max(stat->max, value);
	}
	stat->count++;
	stat->sum += value;

	if (TimestampDifferenceExceeds(last_sent, now, SEND_INTERVAL_MS))
	{
		SendPending();
		last_sent = now;
	}
}

void
StreamMetricSample(int32 stream_id, StreamMetric metric, double value)
{
	Assert(metric_levels[metric] & FOR_STREAM);
	Sample(stream_id, -1, "", metric, value);
}

void
StreamShardMetricSample(int32 stream_id, int32 shard_no, StreamMetric metric, double value)
{
	Assert(metric_levels[metric] & FOR_SHARD);
	Sample(stream_id, shard_no, "", metric, value);
}

void
StreamConsumerMetricSample(int32 stream_id, const char *consumer, StreamMetric metric,
						   double value)
{
	Assert(metric_levels[metric] & FOR_CONSUMER);
	Sample(stream_id, -1, consumer, metric, value);
}

/*
 * The mask of bits 1 << metric of a text[] of metric names (a stream's
 * shard_level_metrics, which enable_enhanced_monitoring checked): names
 * not counted per shard are passed over.
 */
uint32
StreamShardMetricMask(Datum names)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	uint32		mask = 0;

	deconstruct_array(DatumGetArrayTypeP(names), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *name;

		if (nulls[i])
			continue;
		name = TextDatumGetCString(elems[i]);
		for (int m = 0; m < STREAM_NUM_METRICS; m++)
			if ((metric_levels[m] & FOR_SHARD) && strcmp(name, metric_names[m]) == 0)
				mask |= (uint32) 1 << m;
		pfree(name);
	}
	return mask;
}

/*----------
 * Reading and taking
 *----------
 */

static void
LockAll(LWLockMode mode)
{
	for (int i = 0; i < PARTITIONS; i++)
		LWLockAcquire(&metric_locks[i].lock, mode);
}

static void
UnlockAll(void)
{
	for (int i = PARTITIONS - 1; i >= 0; i--)
		LWLockRelease(&metric_locks[i].lock);
}

/*
 * A row (stream_id, shard_no, consumer_name, metric, minute, count, sum,
 * min, max)
 */
static void
PutRow(ReturnSetInfo *rsinfo, int32 stream_id, int32 shard_no, const char *consumer,
	   int metric, int64 minute, const MetricStat *stat)
{
	Datum		values[9];
	bool		nulls[9] = {false, false, false, false, false, false, false, false, false};

	values[0] = Int32GetDatum(stream_id);
	values[1] = Int32GetDatum(shard_no);
	values[2] = CStringGetTextDatum(consumer);
	values[3] = CStringGetTextDatum(metric_names[metric]);
	values[4] = TimestampTzGetDatum(minute * USECS_PER_MINUTE);
	values[5] = Int64GetDatum(stat->count);
	values[6] = Float8GetDatum(stat->sum);
	values[7] = Float8GetDatum(stat->min);
	values[8] = Float8GetDatum(stat->max);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * stream_internal.metric_names() RETURNS TABLE(metric text, level text):
 * the metrics, as get_metric_statistics takes them, and what each is
 * counted for: 'stream', 'shard', 'consumer' (a row each).
 */
Datum
stream_metric_names(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	static const char *const level_names[] = {"stream", "shard", "consumer"};

	InitMaterializedSRF(fcinfo, 0);
	for (int m = 0; m < STREAM_NUM_METRICS; m++)
		for (int level = 0; level < (int) lengthof(level_names); level++)
			if (metric_levels[m] & (1 << level))
			{
				Datum		values[2];
				bool		nulls[2] = {false, false};

				values[0] = CStringGetTextDatum(metric_names[m]);
				values[1] = CStringGetTextDatum(level_names[level]);
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
	return (Datum) 0;
}

/*
 * stream_internal.live_metrics(stream_id int) RETURNS TABLE(stream_id,
 *   shard_no, metric, minute, sample_count, sum, minimum, maximum)
 *
 * The minutes of a stream not in stream.metrics yet: in shared memory, and
 * what the calling backend has not sent there.
 */
Datum
stream_live_metrics(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32		stream_id = PG_GETARG_INT32(0);
	HASH_SEQ_STATUS seq;

	InitMaterializedSRF(fcinfo, 0);
	if (shared_metrics != NULL)
	{
		MetricEntry *entry;

		LockAll(LW_SHARED);
		hash_seq_init(&seq, shared_metrics);
		while ((entry = hash_seq_search(&seq)) != NULL)
		{
			if (entry->key.dbid != MyDatabaseId || entry->key.stream_id != stream_id)
				continue;
			for (int i = 0; i < RING_MINUTES; i++)
				for (int m = 0; m < STREAM_NUM_METRICS && entry->minute[i] != 0; m++)
					if (entry->stat[i][m].count > 0)
						PutRow(rsinfo, stream_id, entry->key.shard_no, entry->key.consumer,
							   m, entry->minute[i], &entry->stat[i][m]);
		}
		UnlockAll();
	}
	if (pending != NULL)
	{
		PendingEntry *p;

		hash_seq_init(&seq, pending);
		while ((p = hash_seq_search(&seq)) != NULL)
			for (int m = 0; m < STREAM_NUM_METRICS; m++)
				if (p->key.stream_id == stream_id && p->stat[m].count > 0)
					PutRow(rsinfo, stream_id, p->key.shard_no, p->key.consumer, m,
						   p->key.minute, &p->stat[m]);
	}
	return (Datum) 0;
}

/*
 * What take_metrics took in the current transaction, given back to shared
 * memory if it rolls back.
 */
typedef struct TakenMinute
{
	MetricKey	key;
	int64		minute;
	SubTransactionId subid;		/* of the (sub)transaction that took it */
	MetricStat	stat[STREAM_NUM_METRICS];
} TakenMinute;

static List *taken = NIL;

/*
 * Forgets what the (sub)transaction subid (InvalidSubTransactionId: any)
 * took, giving it back to shared memory first if it rolled back.
 */
static void
GiveBack(SubTransactionId subid, bool give_back)
{
	List	   *kept = NIL;
	ListCell   *lc;
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	foreach(lc, taken)
	{
		TakenMinute *t = lfirst(lc);

		if (subid != InvalidSubTransactionId && t->subid != subid)
		{
			kept = lappend(kept, t);
			continue;
		}
		if (give_back && shared_metrics != NULL)
		{
			uint32		hash = get_hash_value(shared_metrics, &t->key);

			LWLockAcquire(PartitionLock(hash), LW_EXCLUSIVE);
			MergeIntoShared(&t->key, hash, t->minute, t->stat);
			LWLockRelease(PartitionLock(hash));
		}
		pfree(t);
	}
	list_free(taken);
	taken = kept;
	MemoryContextSwitchTo(old);
}

static void
GiveBackAtAbort(XactEvent event, void *arg)
{
	if (taken != NIL && (event == XACT_EVENT_ABORT || event == XACT_EVENT_COMMIT))
		GiveBack(InvalidSubTransactionId, event == XACT_EVENT_ABORT);
}

/*
 * A subtransaction rolled back gives back what it took (the maintenance
 * pass takes in one of its own); one committed hands it to its parent.
 */
static void
GiveBackAtSubAbort(SubXactEvent event, SubTransactionId mySubid,
				   SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;

	if (taken == NIL)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
		GiveBack(mySubid, true);
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
		foreach(lc, taken)
		{
			TakenMinute *t = lfirst(lc);

			if (t->subid == mySubid)
				t->subid = parentSubid;
		}
}

/*
 * stream_internal.take_metrics() RETURNS TABLE(stream_id, shard_no, metric,
 *   minute, sample_count, sum, minimum, maximum)
 *
 * The minutes of this database that are over, taken out of shared memory
 * for the maintenance pass to store; they come back if its transaction
 * rolls back.
 */
Datum
stream_take_metrics(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		now_minute = MinuteOf(GetCurrentTimestamp());
	static bool callback_registered = false;
	HASH_SEQ_STATUS seq;
	MetricEntry *entry;

	InitMaterializedSRF(fcinfo, 0);
	if (shared_metrics == NULL)
		return (Datum) 0;
	if (!callback_registered)
	{
		RegisterXactCallback(GiveBackAtAbort, NULL);
		RegisterSubXactCallback(GiveBackAtSubAbort, NULL);
		callback_registered = true;
	}

	LockAll(LW_EXCLUSIVE);
	hash_seq_init(&seq, shared_metrics);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		if (entry->key.dbid != MyDatabaseId)
			continue;
		for (int i = 0; i < RING_MINUTES; i++)
		{
			TakenMinute *t;

			if (entry->minute[i] == 0 || entry->minute[i] >= now_minute)
				continue;
			for (int m = 0; m < STREAM_NUM_METRICS; m++)
				if (entry->stat[i][m].count > 0)
					PutRow(rsinfo, entry->key.stream_id, entry->key.shard_no,
						   entry->key.consumer, m, entry->minute[i], &entry->stat[i][m]);
			t = MemoryContextAlloc(TopMemoryContext, sizeof(TakenMinute));
			t->key = entry->key;
			t->minute = entry->minute[i];
			t->subid = GetCurrentSubTransactionId();
			memcpy(t->stat, entry->stat[i], sizeof(t->stat));
			{
				MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

				taken = lappend(taken, t);
				MemoryContextSwitchTo(old);
			}
			entry->minute[i] = 0;
			memset(entry->stat[i], 0, sizeof(entry->stat[i]));
		}
	}
	UnlockAll();
	return (Datum) 0;
}

/*----------
 * Shared memory, and its file across a clean restart
 *----------
 */

static Size
MetricsShmemSize(void)
{
	return add_size(hash_estimate_size(metrics_max_entries, sizeof(MetricEntry)),
					MAXALIGN(sizeof(bool)));
}

static void
MetricsShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MetricsShmemSize());
	RequestNamedLWLockTranche("stream metrics", PARTITIONS);
}

/* At the postmaster's exit after a clean shutdown: writes the file. */
static void
WriteDumpFile(int code, Datum arg)
{
	FILE	   *file;
	HASH_SEQ_STATUS seq;
	MetricEntry *entry;
	uint32		header[3] = {DUMP_MAGIC, (uint32) sizeof(MetricEntry),
	(uint32) hash_get_num_entries(shared_metrics)};

	if (code != 0)
		return;					/* not a clean shutdown */
	file = AllocateFile(DUMP_FILE ".tmp", PG_BINARY_W);
	if (file == NULL)
		goto error;
	if (fwrite(header, sizeof(header), 1, file) != 1)
		goto error;
	hash_seq_init(&seq, shared_metrics);
	while ((entry = hash_seq_search(&seq)) != NULL)
		if (fwrite(entry, sizeof(MetricEntry), 1, file) != 1)
		{
			hash_seq_term(&seq);
			goto error;
		}
	if (FreeFile(file) != 0)
	{
		file = NULL;
		goto error;
	}
	(void) durable_rename(DUMP_FILE ".tmp", DUMP_FILE, LOG);
	return;

error:
	ereport(LOG,
			(errcode_for_file_access(),
			 errmsg("could not write stream metrics file \"%s\": %m", DUMP_FILE ".tmp")));
	if (file)
		FreeFile(file);
	unlink(DUMP_FILE ".tmp");
}

/* At startup: reads the file a clean shutdown wrote, and removes it. */
static void
ReadDumpFile(void)
{
	FILE	   *file = AllocateFile(DUMP_FILE, PG_BINARY_R);
	uint32		header[3];
	MetricEntry entry;

	if (file == NULL)
		return;
	/* (a file of another layout, of another build, is passed over) */
	if (fread(header, sizeof(header), 1, file) == 1 && header[0] == DUMP_MAGIC &&
		header[1] == sizeof(MetricEntry))
	{
		for (uint32 i = 0; i < header[2]; i++)
		{
			MetricEntry *e;
			bool		found;

			if (fread(&entry, sizeof(entry), 1, file) != 1)
				break;
			e = hash_search(shared_metrics, &entry.key, HASH_ENTER_NULL, &found);
			if (e != NULL)
				*e = entry;
		}
	}
	FreeFile(file);
	unlink(DUMP_FILE);
}

static void
MetricsShmemStartup(void)
{
	HASHCTL		ctl;
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	ctl.keysize = sizeof(MetricKey);
	ctl.entrysize = sizeof(MetricEntry);
	ctl.num_partitions = PARTITIONS;
	shared_metrics = ShmemInitHash("stream metrics", metrics_max_entries,
								   metrics_max_entries, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_PARTITION);
	metric_locks = GetNamedLWLockTranche("stream metrics");
	(void) ShmemInitStruct("stream metrics loaded", sizeof(bool), &found);
	LWLockRelease(AddinShmemInitLock);

	/* the postmaster, once: the file of the last clean shutdown */
	if (!IsUnderPostmaster)
	{
		if (!found)
			ReadDumpFile();
		on_shmem_exit(WriteDumpFile, (Datum) 0);
	}
}

void
MetricsInit(void)
{
	DefineCustomBoolVariable("stream.metrics",
							 "Whether calls count the metrics of their streams.",
							 "Only superusers may change it.",
							 &stream_metrics, true, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.metrics_retention",
							"How long stream.metrics keeps the minutes of metrics.",
							NULL, &stream_metrics_retention, 24 * 60, 60, 366 * 24 * 60,
							PGC_SIGHUP, GUC_UNIT_MIN, NULL, NULL, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;
	/* (a server start setting: defined only when preloaded) */
	DefineCustomIntVariable("stream.metrics_max_entries",
							"How many streams, shards and consumers shared memory holds the metrics of.",
							"Each takes about 3.4 kB; samples of more are dropped (and logged).",
							&metrics_max_entries, 2048, 64, 1024 * 1024,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = MetricsShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = MetricsShmemStartup;
}
