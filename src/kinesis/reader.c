/*-------------------------------------------------------------------------
 *
 * reader.c
 *	  Reading a shard, and the positions it is read from.
 *
 * A read of a shard walks its segments in order from a position (a sequence
 * number) and obeys the visibility rule of visibility.c: it stops before the
 * first record whose writer is still in progress.  The position where it
 * stopped is where the next read goes on, so a consumer never skips a
 * record that commits later and never gets one twice.  get.c (iterators,
 * get_records, subscribe_to_shard, read) and application.c (consume) read
 * through here.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "injection.h"
#include "kinesis/crypt.h"
#include "kinesis/kinesis.h"
#include "kinesis/metrics.h"
#include "kinesis/names.h"
#include "kinesis/reader.h"
#include "kinesis/segment.h"
#include "kinesis/sequence.h"
#include "log/seqno.h"

/*
 * Reads a shard from a position, handing records to the sink, and returns
 * why it stopped and the position to continue from.  A segment that has
 * been dropped since the catalog was read (it expired) is skipped.
 *
 * The read goes on to a shard's next segment only once the current one is
 * sealed, and reads what was appended to it before the seal first: a writer
 * moves on only after sealing, so no record can appear behind the reader.
 *
 * Records that arrived before the horizon (now minus the retention period)
 * are passed over: they have expired even if their segment, which also holds
 * newer records, has not been dropped yet.
 */
StreamShardReadEnd
StreamReadShard(StreamShardInfo *shard, int64 position, TimestampTz horizon,
				StreamRecordSink sink, void *arg, int64 *next_position)
{
	int32		start_segment = StreamSeqSegment(position);

	*next_position = position;
	for (int i = 0; i < shard->nsegments; i++)
	{
		StreamSegmentInfo *segment = &shard->segments[i];
		StreamLogReader reader;
		StreamRecord record;
		Relation	rel;
		BlockNumber block = 1;
		OffsetNumber offset = FirstOffsetNumber;
		StreamReadResult result;

		if (segment->segment_no < start_segment)
			continue;
		if (segment->segment_no == start_segment)
		{
			block = StreamSeqBlock(position);
			offset = StreamSeqOffset(position);
		}
		*next_position = StreamSeqMake(segment->segment_no, block, offset);

		rel = StreamTryOpenSegment(segment->relid, AccessShareLock);
		if (rel == NULL)
			continue;
		for (bool seen_sealed = false;; seen_sealed = true)
		{
			StreamLogReaderBegin(&reader, rel, block, offset, NULL);
			while ((result = StreamLogReadNext(&reader, &record)) == STREAM_READ_RECORD)
			{
				int64		seq = StreamSeqMake(segment->segment_no, record.block,
												record.offset);

				if (record.arrival < horizon)
				{
					*next_position = seq + 1;
					continue;
				}
				if (!sink(arg, seq, segment, &reader, &record))
				{
					StreamLogReaderEnd(&reader);
					table_close(rel, AccessShareLock);
					*next_position = seq;
					return SHARD_READ_FULL;
				}
				*next_position = seq + 1;
			}
			block = reader.block;
			offset = reader.offset;
			*next_position = StreamSeqMake(segment->segment_no, block, offset);
			StreamLogReaderEnd(&reader);

			if (result == STREAM_READ_IN_PROGRESS ||
				i == shard->nsegments - 1 || seen_sealed)
				break;
			STREAM_INJECTION_POINT("read-segment-end");
			if (!StreamLogIsSealed(rel))
			{
				/* still being written: this is where the shard ends */
				table_close(rel, AccessShareLock);
				return SHARD_READ_CAUGHT_UP;
			}
			/* sealed: once more for what came before the seal, then on */
		}
		table_close(rel, AccessShareLock);
		if (result == STREAM_READ_IN_PROGRESS)
			return SHARD_READ_WAITING;
	}
	return SHARD_READ_CAUGHT_UP;
}

/* The arrival time of a shard's newest record, or 0 if it has none. */
TimestampTz
StreamShardLatestArrival(StreamShardInfo *shard)
{
	for (int i = shard->nsegments - 1; i >= 0; i--)
	{
		Relation	rel = StreamTryOpenSegment(shard->segments[i].relid, AccessShareLock);
		StreamMetaData meta;
		bool		has_meta;

		if (rel == NULL)
			continue;
		has_meta = StreamLogReadMeta(rel, &meta);
		table_close(rel, AccessShareLock);
		if (has_meta && meta.last_arrival != 0)
			return meta.last_arrival;
	}
	return 0;
}

/*
 * The position just past the newest record of a shard: the end of the
 * segment being written (that of the last one of a closed shard).
 */
int64
StreamShardEndPosition(StreamShardInfo *shard)
{
	Oid		   *relids;
	StreamSegmentInfo *segment;
	Relation	rel;
	BlockNumber block = 1;
	OffsetNumber offset = FirstOffsetNumber;

	if (shard->nsegments == 0)
		return 0;				/* a closed shard whose records all expired */
	relids = palloc(sizeof(Oid) * shard->nsegments);
	for (int i = 0; i < shard->nsegments; i++)
		relids[i] = shard->segments[i].relid;
	segment = &shard->segments[StreamWritableSegment(relids, shard->nsegments)];
	pfree(relids);
	rel = StreamTryOpenSegment(segment->relid, AccessShareLock);
	if (rel != NULL)
	{
		StreamLogEndPosition(rel, &block, &offset);
		table_close(rel, AccessShareLock);
	}
	return StreamSeqMake(segment->segment_no, block, offset);
}

/*----------
 * Records
 *----------
 */

int64
StreamRecordSize(StreamRecord *record)
{
	return record->key_len + record->data_len -
		(record->encrypted ? STREAM_RECORD_OVERHEAD : 0);
}

void
StreamEmitRecordRow(ReturnSetInfo *rsinfo, StreamInfo *stream, text *shard_id,
					int64 seq, StreamSegmentInfo *segment,
					StreamLogReader *reader, StreamRecord *record)
{
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	StreamReadRecordBody(stream, segment, reader, record);
	values[0] = PointerGetDatum(shard_id);
	values[1] = StreamSeqToNumeric(seq);
	values[2] = TimestampTzGetDatum(record->arrival);
	values[3] = PointerGetDatum(record->key);
	values[4] = PointerGetDatum(record->data);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	pfree(DatumGetPointer(values[1]));
	pfree(record->data);
	pfree(record->key);
}

/*----------
 * Positions
 *----------
 */

/* The position of a shard's oldest retained record. */
int64
StreamTrimHorizon(StreamShardInfo *shard)
{
	return shard->nsegments == 0 ? 0 :
		StreamSeqMake(shard->segments[0].segment_no, 0, 0);
}

/*
 * The position AT_SEQUENCE_NUMBER starts from (and a checkpoint: consume
 * goes on after it).  The sequence number must be
 * of this shard and not beyond its end; one older than the oldest retained
 * segment starts at the trim horizon.
 */
int64
StreamCheckSequenceNumber(StreamInfo *stream, StreamShardInfo *shard,
						  int64 seq, const char *text)
{
	int32		segment_no = StreamSeqSegment(seq);
	bool		ours = StreamFindSegment(shard, segment_no) != NULL;
	bool		trimmed = shard->nsegments == 0 ||
		segment_no < shard->segments[0].segment_no;

	if (!ours && trimmed)
	{
		for (int i = 0; i < stream->nshards; i++)
			if (StreamFindSegment(&stream->shards[i], segment_no) != NULL)
				trimmed = false;
	}
	if (!ours && !trimmed)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("sequence number %s is not in shard \"%s\" of stream \"%s\"",
					   StreamQuote(text), StreamFormatShardId(shard->shard_no), stream->name));
	if (ours && seq > StreamShardEndPosition(shard))
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("sequence number %s is beyond the end of shard \"%s\" of stream \"%s\"",
					   StreamQuote(text), StreamFormatShardId(shard->shard_no), stream->name));
	return trimmed ? StreamTrimHorizon(shard) : seq;
}

/* The position of the first record at or after ts. */
int64
StreamTimestampPosition(StreamShardInfo *shard, TimestampTz ts)
{
	for (int i = 0; i < shard->nsegments; i++)
	{
		Relation	rel = StreamTryOpenSegment(shard->segments[i].relid, AccessShareLock);
		StreamMetaData meta;
		BlockNumber block;
		OffsetNumber offset;

		if (rel == NULL)
			continue;
		if (StreamLogReadMeta(rel, &meta) && meta.last_arrival >= ts)
		{
			StreamLogFindTime(rel, ts, &block, &offset);
			table_close(rel, AccessShareLock);
			return StreamSeqMake(shard->segments[i].segment_no, block, offset);
		}
		table_close(rel, AccessShareLock);
	}
	return StreamShardEndPosition(shard);
}

/*----------
 * Arguments of reads
 *----------
 */

/* The milliseconds of a wait argument: from 0 to STREAM_MAX_WAIT_MS */
long
StreamWaitMilliseconds(bool isnull, Interval *wait)
{
	int64		us;

	if (isnull)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("wait must not be null"));
	/* months are of no fixed length; days are (no time zone here) */
	us = wait->time + (int64) wait->day * USECS_PER_DAY;
	if (wait->month != 0 || wait->day < -1000 || wait->day > 1000 ||
		us < 0 || us > (int64) STREAM_MAX_WAIT_MS * 1000)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				wait->month != 0 ?
				errmsg("wait of %d months is out of range", wait->month) :
				errmsg("wait of %.3f seconds is out of range", (double) us / USECS_PER_SEC),
				errhint("A wait is from 0 to 5 minutes."));
	/* rounded up: a wait of 100 microseconds waits */
	return (long) ((us + 999) / 1000);
}

int
StreamReadLimit(bool isnull, int32 limit)
{
	if (isnull)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("limit must not be null"));
	if (limit < 1 || limit > STREAM_MAX_GET_RECORDS)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("limit %d is out of range", limit),
				errhint("The limit is from 1 to %d.", STREAM_MAX_GET_RECORDS));
	return limit;
}

/* The age of the last record a read returned; 0 when it returned none. */
static double
IteratorAge(const StreamReadCount *read, TimestampTz now)
{
	if (read->records == 0 || now <= read->last_arrival)
		return 0;
	return (double) ((now - read->last_arrival) / 1000);
}

void
StreamCountGetRecords(int32 stream_id, const StreamReadCount *read, TimestampTz started)
{
	TimestampTz now = GetCurrentTimestamp();

	StreamMetricSample(stream_id, METRIC_GET_RECORDS_BYTES, read->bytes);
	StreamMetricSample(stream_id, METRIC_GET_RECORDS_RECORDS, read->records);
	StreamMetricSample(stream_id, METRIC_GET_RECORDS_LATENCY,
					   (double) (now - started) / 1000.0);
	StreamMetricSample(stream_id, METRIC_GET_RECORDS_SUCCESS, 1);
	StreamMetricSample(stream_id, METRIC_GET_RECORDS_ITERATOR_AGE, IteratorAge(read, now));
}

void
StreamCountShardRead(StreamInfo *stream, int32 shard_no, const StreamReadCount *read,
					 bool by_consumer, bool throttled)
{
	uint32		mask = stream->shard_metrics;

	if (mask == 0)
		return;
	if (!by_consumer && StreamShardMetricOn(mask, METRIC_READ_THROUGHPUT_EXCEEDED))
		StreamShardMetricSample(stream->stream_id, shard_no, METRIC_READ_THROUGHPUT_EXCEEDED,
								throttled ? 1 : 0);
	if (throttled)
		return;
	if (StreamShardMetricOn(mask, METRIC_OUTGOING_BYTES))
		StreamShardMetricSample(stream->stream_id, shard_no, METRIC_OUTGOING_BYTES, read->bytes);
	if (StreamShardMetricOn(mask, METRIC_OUTGOING_RECORDS))
		StreamShardMetricSample(stream->stream_id, shard_no, METRIC_OUTGOING_RECORDS,
								read->records);
	if (!by_consumer && StreamShardMetricOn(mask, METRIC_ITERATOR_AGE))
		StreamShardMetricSample(stream->stream_id, shard_no, METRIC_ITERATOR_AGE,
								IteratorAge(read, GetCurrentTimestamp()));
}
