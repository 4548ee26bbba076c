/*-------------------------------------------------------------------------
 *
 * sink.h
 *	  Running the batches of sinks: triggers (what Lambda's event source
 *	  mappings do) and deliveries (what Firehose does), for the trigger
 *	  workers of src/worker/worker.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_SINK_H
#define STREAM_SINK_H

#include "postgres.h"

#include "datatype/timestamp.h"

#include "kinesis/kinesis.h"

/* Settings */
extern int	stream_trigger_timeout;

extern void TriggerInit(void);

/* A lane of a sink that is ready to run, as the worker sees it */
typedef struct StreamSinkLane
{
	char		sink_name[STREAM_MAX_STREAM_NAME + 1];
	int32		stream_id;
	int32		shard_no;
	int32		lane;
	int32		lanes;			/* the sink's parallelization factor */
	bool		has_checkpoint;
	int64		checkpoint;
	bool		has_start_at;
	TimestampTz start_at;
	TimestampTz retry_at;		/* 0: none */
} StreamSinkLane;

/*
 * The lanes of this database that may run now (in a transaction; allocated
 * in the current memory context).
 */
extern StreamSinkLane *StreamReadySinkLanes(int *nlanes);

/*
 * Whether a lane's shard may have something for it: a record after its
 * position, or the end of a closed shard.  Reads no record and takes no
 * lock, so that an idle worker writes nothing (in a transaction).
 */
extern bool StreamSinkLaneMayHaveWork(const StreamSinkLane *lane);

/*
 * Runs one batch of a lane, in the caller's transaction, which commits it:
 * locks the lane (none if another worker has it), reads its records, and
 * calls the trigger's function or delivers them, as the sink's owner.
 * True if it did something (applied a batch, or moved the lane on); false
 * with *not_before set when the batch is not ripe yet (its batching
 * window), 0 otherwise.
 */
extern bool StreamRunSinkBatch(const StreamSinkLane *lane,
							   TimestampTz *not_before);

/*
 * Keeps the error of a batch that could not be run, and makes the lane wait
 * (in a transaction of its own, after the batch's aborted).
 */
extern void StreamSinkLaneError(const StreamSinkLane *lane,
								   const char *message);

#endif							/* STREAM_SINK_H */
