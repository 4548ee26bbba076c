/*-------------------------------------------------------------------------
 *
 * quota.h
 *	  Per-shard throughput quotas (Kinesis' provisioned limits) and the
 *	  write-rate meter that on-demand scaling reads, both in shared memory.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_QUOTA_H
#define STREAM_QUOTA_H

#include "postgres.h"

/* Settings: the per-shard quotas (0 turns one off), and the scaler's window */
extern int	stream_shard_write_bytes_per_second;
extern int	stream_shard_write_records_per_second;
extern int	stream_shard_read_bytes_per_second;
extern int	stream_shard_read_calls_per_second;
extern int	stream_on_demand_scaling_window;

extern void QuotaInit(void);

/*
 * Whether writes have anything to take or count: a write quota is on, or
 * (meter) the stream is on-demand.  When not, callers skip the quota.
 */
extern bool StreamQuotaWritesApply(bool meter);

/*
 * Takes write capacity for n records of one shard, in order: accepted[i]
 * says whether record i (of sizes[i] bytes) fits the shard's quotas.  With
 * meter, the offered records (accepted or not) are counted for on-demand
 * scaling.
 */
extern void StreamQuotaTakeWrites(int32 stream_id, int32 shard_no,
								  const int64 *sizes, int n, bool meter,
								  bool *accepted);

/*
 * Takes one get_records call of a shard's read quota; false when the shard
 * has no call left this second or has used up its read bytes.  The bytes a
 * call returned are charged afterwards, so that one large read borrows from
 * the next seconds, as Kinesis does.
 */
extern bool StreamQuotaTakeReadCall(int32 stream_id, int32 shard_no);

/*
 * Whether a shard has read bytes left now: in a registered consumer's own
 * bucket (consumer: not 0), or the shard's (0: consume, which counts no
 * calls: it does not poll).
 */
extern bool StreamQuotaHasReadBytes(int32 stream_id, int32 shard_no,
									uint32 consumer);

/* Charges what a read returned: to the shard (consumer 0) or a consumer. */
extern void StreamQuotaChargeReadBytes(int32 stream_id, int32 shard_no,
									   uint32 consumer, int64 bytes);

/* A shard's recent write rate, as the maintenance pass sees it. */
typedef struct StreamShardLoad
{
	double		bytes_per_second;
	double		records_per_second;
	double		observed_seconds;	/* how long the meter has watched */
} StreamShardLoad;

extern bool StreamQuotaObserveLoad(int32 stream_id, int32 shard_no,
								   double window_seconds,
								   StreamShardLoad *load);

#endif							/* STREAM_QUOTA_H */
