/*-------------------------------------------------------------------------
 *
 * reader.h
 *	  Reading a shard: walking its segments from a position, and the
 *	  positions Kinesis names (trim horizon, a sequence number, a time, the
 *	  end), for get_records, subscribe_to_shard, read and consume.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_READER_H
#define STREAM_READER_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "nodes/execnodes.h"
#include "utils/timestamp.h"

#include "kinesis/catalog.h"
#include "log/log_page.h"

/* Why a shard read stopped */
typedef enum StreamShardReadEnd
{
	SHARD_READ_FULL,			/* the caller wants no more records */
	SHARD_READ_WAITING,			/* a writer in progress comes next */
	SHARD_READ_CAUGHT_UP		/* everything present was read */
} StreamShardReadEnd;

/*
 * Called for each record, with its header read; takes it (StreamReadRecordBody
 * copies its key and data) or returns false to stop before it.
 */
typedef bool (*StreamRecordSink) (void *arg, int64 seq, StreamSegmentInfo *segment,
								  StreamLogReader *reader, StreamRecord *record);

/*
 * Reads a shard from a position, handing records that arrived at or after
 * horizon to the sink, and returns why it stopped and the position to
 * continue from.  It stops before the first record whose writer is in
 * progress, so that a reader never skips a record that commits later.
 */
extern StreamShardReadEnd StreamReadShard(StreamShardInfo *shard, int64 position,
										  TimestampTz horizon, StreamRecordSink sink,
										  void *arg, int64 *next_position);

/* The arrival time of a shard's newest record, or 0 if it has none. */
extern TimestampTz StreamShardLatestArrival(StreamShardInfo *shard);

/* The position just past a shard's newest record. */
extern int64 StreamShardEndPosition(StreamShardInfo *shard);

/* The position of a shard's oldest retained record. */
extern int64 StreamTrimHorizon(StreamShardInfo *shard);

/* The position of a shard's first record that arrived at or after ts. */
extern int64 StreamTimestampPosition(StreamShardInfo *shard, TimestampTz ts);

/*
 * The position a sequence number (text: as the user gave it) stands for in
 * a shard: InvalidArgumentException unless it is of the shard and not
 * beyond its end; one older than the shard's oldest retained record stands
 * for the trim horizon.
 */
extern int64 StreamCheckSequenceNumber(StreamInfo *stream, StreamShardInfo *shard,
									   int64 seq, const char *text);

/*
 * The bytes of a record that count against limits and quotas: its key and
 * data as the caller gets them, without what encryption adds.
 */
extern int64 StreamRecordSize(StreamRecord *record);

/*
 * Reads a record's key and data (decrypted) and adds it to a set-returning
 * function's result as a row (shard_id, sequence_number,
 * approximate_arrival_timestamp, partition_key, data), as stream.read and
 * stream.consume return them.
 */
extern void StreamEmitRecordRow(ReturnSetInfo *rsinfo, StreamInfo *stream,
								text *shard_id, int64 seq,
								StreamSegmentInfo *segment,
								StreamLogReader *reader, StreamRecord *record);

/* The longest a read waits for records: 5 minutes */
#define STREAM_MAX_WAIT_MS (5 * 60 * 1000)

/*
 * A read's arguments, checked: the milliseconds of a wait (0 to
 * STREAM_MAX_WAIT_MS), and a limit (1 to STREAM_MAX_GET_RECORDS).
 */
extern long StreamWaitMilliseconds(bool isnull, Interval *wait);
extern int	StreamReadLimit(bool isnull, int32 limit);

/* What a read returned of a shard, or of all it read, for its metrics */
typedef struct StreamReadCount
{
	int64		records;
	int64		bytes;
	TimestampTz last_arrival;	/* of the last record returned */
} StreamReadCount;

/*
 * The metrics of a read call (metrics.c): get_records' and consume's, both
 * counted as GetRecords; "started" is when the call began.
 */
extern void StreamCountGetRecords(int32 stream_id, const StreamReadCount *read,
								  TimestampTz started);

/*
 * A shard's metrics of a read of it, when the stream counts them per shard:
 * a read by get_records or consume, or one of a registered consumer (which
 * counts records and bytes only), or a read refused by the shard's quota.
 */
extern void StreamCountShardRead(StreamInfo *stream, int32 shard_no,
								 const StreamReadCount *read, bool by_consumer,
								 bool throttled);

#endif							/* STREAM_READER_H */
