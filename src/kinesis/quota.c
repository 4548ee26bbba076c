/*-------------------------------------------------------------------------
 *
 * quota.c
 *	  Per-shard throughput quotas and the write-rate meter of on-demand
 *	  scaling, kept in shared memory.
 *
 * Kinesis limits each shard of a provisioned stream to 1 MiB and 1,000
 * records written, and 2 MiB and 5 GetRecords calls read, per second.  Each
 * limit here is a token bucket that holds at most one second of its rate
 * and refills continuously, so a shard takes short bursts up to a second's
 * worth and no more than the rate over time.  The read-bytes bucket may go
 * negative: a call is let in while any read bytes are left, and what it
 * returned is charged afterwards, so one 10 MiB read blocks the next calls
 * for about five seconds, as in Kinesis.  The rates are the settings of the
 * session that calls (stream.shard_*_per_second; 0 turns one off).
 *
 * Buckets live in a fixed table of slots, found by hashing (database,
 * stream, shard) and probing a short run of slots.  A slot that has been
 * idle for a second holds full buckets, so forgetting it changes nothing:
 * when a run is full, the least recently used slot of the run is taken
 * over.  Only when more shards than the table holds are busy in the same
 * second does a shard lose its history and get full buckets again.  No
 * quota state is written to disk or WAL; a restart starts every bucket
 * full.
 *
 * A registered consumer reads a shard with buckets of its own (its slot's
 * key names it), as enhanced fan-out has a shard's read throughput per
 * consumer; only the bytes bucket applies to it.
 *
 * The same slot counts the bytes and records offered to a shard (throttled
 * or not).  The maintenance pass turns those counts into a moving average
 * of the write rate (StreamQuotaObserveLoad), which on-demand scaling reads.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "kinesis/kinesis.h"
#include "kinesis/quota.h"

PG_FUNCTION_INFO_V1(stream_shard_load);

#define QUOTA_PARTITIONS			16
#define QUOTA_SLOTS_PER_PARTITION	256
#define QUOTA_SLOTS					(QUOTA_PARTITIONS * QUOTA_SLOTS_PER_PARTITION)
#define QUOTA_PROBES				32

/* A bucket nobody has refilled yet counts as full: refills clamp it. */
#define QUOTA_FULL					1e18

typedef struct ShardKey
{
	Oid			dbid;
	int32		stream_id;
	int32		shard_no;
	uint32		consumer;		/* a registered consumer's own reads, or 0 */
} ShardKey;

typedef struct ShardSlot
{
	ShardKey	key;
	bool		in_use;
	TimestampTz last_used;

	/* token buckets, refilled up to refilled_at */
	TimestampTz refilled_at;
	double		write_bytes;
	double		write_records;
	double		read_bytes;		/* negative after a large read */
	double		read_calls;

	/* writes offered since the slot was taken, for on-demand scaling */
	uint64		offered_bytes;
	uint64		offered_records;

	/* the maintenance pass's moving average of the offered rate */
	TimestampTz observed_since; /* 0 until the first observation */
	TimestampTz observed_at;
	uint64		observed_bytes;
	uint64		observed_records;
	double		bytes_rate;
	double		records_rate;
} ShardSlot;

typedef struct QuotaShared
{
	LWLockPadded *locks;		/* one per partition */
	ShardSlot	slots[QUOTA_SLOTS];
} QuotaShared;

static QuotaShared *Quota = NULL;

int			stream_shard_write_bytes_per_second = 1024 * 1024;
int			stream_shard_write_records_per_second = 1000;
int			stream_shard_read_bytes_per_second = 2 * 1024 * 1024;
int			stream_shard_read_calls_per_second = 5;
int			stream_on_demand_scaling_window = 60;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
QuotaShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(QuotaShared)));
	RequestNamedLWLockTranche("stream_quota", QUOTA_PARTITIONS);
}

/* Attaches the slot table; the postmaster makes it empty (every bucket full). */
static void
QuotaShmemStartup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	Quota = ShmemInitStruct("stream shard quotas", sizeof(QuotaShared), &found);
	if (!found)
	{
		memset(Quota, 0, sizeof(QuotaShared));
		Quota->locks = GetNamedLWLockTranche("stream_quota");
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Defines the quota settings, and while shared_preload_libraries is being
 * processed asks for the slot table.  Without the preload there is no table
 * and nothing is throttled (nor written: writing needs the preload).
 */
void
QuotaInit(void)
{
	/*
	 * Quotas bind the sessions that call, so users may not lift them; a
	 * superuser may, for a session or a role.
	 */
	DefineCustomIntVariable("stream.shard_write_bytes_per_second",
							"Bytes of data and partition keys that one shard takes per second (0: no limit).",
							NULL, &stream_shard_write_bytes_per_second,
							1024 * 1024, 0, PG_INT32_MAX,
							PGC_SUSET, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.shard_write_records_per_second",
							"Records that one shard takes per second (0: no limit).",
							NULL, &stream_shard_write_records_per_second,
							1000, 0, PG_INT32_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.shard_read_bytes_per_second",
							"Bytes that get_records returns per second from one shard (0: no limit).",
							NULL, &stream_shard_read_bytes_per_second,
							2 * 1024 * 1024, 0, PG_INT32_MAX,
							PGC_SUSET, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.shard_read_calls_per_second",
							"get_records calls that one shard serves per second (0: no limit).",
							NULL, &stream_shard_read_calls_per_second,
							5, 0, PG_INT32_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.on_demand_scaling_window",
							"How long a shard of an on-demand stream must stay hot before it is split, or cold before it is merged.",
							"The write rate is a moving average over this time.",
							&stream_on_demand_scaling_window, 60, 1, 24 * 3600,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);

	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = QuotaShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = QuotaShmemStartup;
}

/*
 * Locks the partition of a shard and returns its slot, taking one over if
 * the shard has none.  Slots are never emptied once used, so an empty slot
 * ends the probe: the shard cannot be further along.
 */
static ShardSlot *
LockShardSlot(int32 stream_id, int32 shard_no, uint32 consumer, TimestampTz now,
			  LWLock **lock)
{
	ShardKey	key;
	uint32		hash;
	int			partition;
	ShardSlot  *base;
	ShardSlot  *victim = NULL;

	memset(&key, 0, sizeof(key));
	key.dbid = MyDatabaseId;
	key.stream_id = stream_id;
	key.shard_no = shard_no;
	key.consumer = consumer;
	hash = hash_bytes((const unsigned char *) &key, sizeof(key));
	partition = hash % QUOTA_PARTITIONS;
	base = &Quota->slots[partition * QUOTA_SLOTS_PER_PARTITION];

	*lock = &Quota->locks[partition].lock;
	LWLockAcquire(*lock, LW_EXCLUSIVE);

	for (int i = 0; i < QUOTA_PROBES; i++)
	{
		ShardSlot  *slot = &base[(hash / QUOTA_PARTITIONS + i) %
								 QUOTA_SLOTS_PER_PARTITION];

		if (!slot->in_use)
		{
			victim = slot;
			break;
		}
		if (memcmp(&slot->key, &key, sizeof(key)) == 0)
		{
			slot->last_used = now;
			return slot;
		}
		if (victim == NULL || slot->last_used < victim->last_used)
			victim = slot;
	}

	memset(victim, 0, sizeof(ShardSlot));
	victim->key = key;
	victim->in_use = true;
	victim->last_used = now;
	victim->refilled_at = now;
	victim->write_bytes = QUOTA_FULL;
	victim->write_records = QUOTA_FULL;
	victim->read_bytes = QUOTA_FULL;
	victim->read_calls = QUOTA_FULL;
	return victim;
}

static void
RefillBucket(double *tokens, int rate, double seconds)
{
	if (rate > 0)
		*tokens = Min((double) rate, *tokens + rate * seconds);
}

/* Brings a slot's buckets up to now at the calling session's rates. */
static void
Refill(ShardSlot *slot, TimestampTz now)
{
	double		seconds = Max(now - slot->refilled_at, 0) / 1000000.0;

	RefillBucket(&slot->write_bytes, stream_shard_write_bytes_per_second, seconds);
	RefillBucket(&slot->write_records, stream_shard_write_records_per_second, seconds);
	RefillBucket(&slot->read_bytes, stream_shard_read_bytes_per_second, seconds);
	RefillBucket(&slot->read_calls, stream_shard_read_calls_per_second, seconds);
	slot->refilled_at = Max(now, slot->refilled_at);
}

bool
StreamQuotaWritesApply(bool meter)
{
	return Quota != NULL &&
		(stream_shard_write_bytes_per_second > 0 ||
		 stream_shard_write_records_per_second > 0 || meter);
}

void
StreamQuotaTakeWrites(int32 stream_id, int32 shard_no, const int64 *sizes,
					  int n, bool meter, bool *accepted)
{
	int			byte_rate = stream_shard_write_bytes_per_second;
	int			record_rate = stream_shard_write_records_per_second;
	TimestampTz now;
	ShardSlot  *slot;
	LWLock	   *lock;

	for (int i = 0; i < n; i++)
		accepted[i] = true;
	if (!StreamQuotaWritesApply(meter))
		return;

	now = GetCurrentTimestamp();
	slot = LockShardSlot(stream_id, shard_no, 0, now, &lock);
	Refill(slot, now);
	for (int i = 0; i < n; i++)
	{
		if ((record_rate > 0 && slot->write_records < 1) ||
			(byte_rate > 0 && slot->write_bytes < sizes[i]))
			accepted[i] = false;
		else
		{
			slot->write_records -= 1;
			slot->write_bytes -= sizes[i];
		}
		slot->offered_bytes += sizes[i];
		slot->offered_records += 1;
	}
	LWLockRelease(lock);
}

bool
StreamQuotaTakeReadCall(int32 stream_id, int32 shard_no)
{
	int			call_rate = stream_shard_read_calls_per_second;
	int			byte_rate = stream_shard_read_bytes_per_second;
	TimestampTz now;
	ShardSlot  *slot;
	LWLock	   *lock;
	bool		ok;

	if (Quota == NULL || (call_rate <= 0 && byte_rate <= 0))
		return true;

	now = GetCurrentTimestamp();
	slot = LockShardSlot(stream_id, shard_no, 0, now, &lock);
	Refill(slot, now);
	ok = (call_rate <= 0 || slot->read_calls >= 1) &&
		(byte_rate <= 0 || slot->read_bytes > 0);
	if (ok)
		slot->read_calls -= 1;
	LWLockRelease(lock);
	return ok;
}

bool
StreamQuotaHasReadBytes(int32 stream_id, int32 shard_no, uint32 consumer)
{
	TimestampTz now;
	ShardSlot  *slot;
	LWLock	   *lock;
	bool		ok;

	if (Quota == NULL || stream_shard_read_bytes_per_second <= 0)
		return true;

	now = GetCurrentTimestamp();
	slot = LockShardSlot(stream_id, shard_no, consumer, now, &lock);
	Refill(slot, now);
	ok = slot->read_bytes > 0;
	LWLockRelease(lock);
	return ok;
}

void
StreamQuotaChargeReadBytes(int32 stream_id, int32 shard_no, uint32 consumer,
						   int64 bytes)
{
	TimestampTz now;
	ShardSlot  *slot;
	LWLock	   *lock;

	if (Quota == NULL || stream_shard_read_bytes_per_second <= 0 || bytes == 0)
		return;

	now = GetCurrentTimestamp();
	slot = LockShardSlot(stream_id, shard_no, consumer, now, &lock);
	Refill(slot, now);
	slot->read_bytes -= bytes;
	LWLockRelease(lock);
}

/*
 * Folds the writes offered since the last observation into a moving average
 * of the rate, with a time constant of window_seconds, and reports it.  The
 * first observation of a shard only starts the watch; observed_seconds says
 * how long it has been watched, so that a shard is not called cold before a
 * window has passed.
 */
bool
StreamQuotaObserveLoad(int32 stream_id, int32 shard_no, double window_seconds,
					   StreamShardLoad *load)
{
	TimestampTz now;
	ShardSlot  *slot;
	LWLock	   *lock;

	memset(load, 0, sizeof(StreamShardLoad));
	if (Quota == NULL)
		return false;

	now = GetCurrentTimestamp();
	slot = LockShardSlot(stream_id, shard_no, 0, now, &lock);
	if (slot->observed_since == 0)
		slot->observed_since = now;
	else if (now > slot->observed_at)
	{
		double		seconds = (now - slot->observed_at) / 1000000.0;
		double		weight = 1.0 - exp(-seconds / window_seconds);

		slot->bytes_rate += weight *
			((slot->offered_bytes - slot->observed_bytes) / seconds - slot->bytes_rate);
		slot->records_rate += weight *
			((slot->offered_records - slot->observed_records) / seconds - slot->records_rate);
	}
	slot->observed_at = now;
	slot->observed_bytes = slot->offered_bytes;
	slot->observed_records = slot->offered_records;

	load->bytes_per_second = slot->bytes_rate;
	load->records_per_second = slot->records_rate;
	load->observed_seconds = (now - slot->observed_since) / 1000000.0;
	LWLockRelease(lock);
	return true;
}

/*
 * stream_internal.shard_load(stream_id, shard_no) -> (bytes_per_second,
 * records_per_second, observed_seconds), for the maintenance pass.  NULL
 * when the library was not preloaded (there is no meter then).
 */
Datum
stream_shard_load(PG_FUNCTION_ARGS)
{
	StreamShardLoad load;
	TupleDesc	desc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (!StreamQuotaObserveLoad(PG_GETARG_INT32(0), PG_GETARG_INT32(1),
								stream_on_demand_scaling_window, &load))
		PG_RETURN_NULL();
	desc = StreamResultDesc(fcinfo);
	values[0] = Float8GetDatum(load.bytes_per_second);
	values[1] = Float8GetDatum(load.records_per_second);
	values[2] = Float8GetDatum(load.observed_seconds);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
