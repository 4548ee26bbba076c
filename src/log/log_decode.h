/*-------------------------------------------------------------------------
 *
 * log_decode.h
 *	  Logical decoding of stream_log appends: the records of each APPEND
 *	  written with a decode tag, whole, handed to the layer above.
 *
 * The storage layer knows records and their addresses; what a change feed
 * sends is the layer above's to say.  It registers a callback, which the
 * resource manager's rm_decode calls with the tag the append was given and
 * the records that became whole in one WAL record: the records of one page
 * of an append, or one large record once its last chunk is decoded.  The
 * callback runs in the decoding phase (no historic snapshot, no catalog
 * lookups through the reorder buffer's), and queues what it makes into the
 * transaction with ReorderBufferQueueMessage.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_LOG_DECODE_H
#define STREAM_LOG_DECODE_H

#include "postgres.h"

#include "access/xlogdefs.h"
#include "datatype/timestamp.h"
#include "replication/decode.h"
#include "replication/logical.h"
#include "storage/block.h"
#include "storage/off.h"

/* A record as the WAL carries it: key and data as stored (maybe sealed) */
typedef struct StreamDecodedRecord
{
	BlockNumber block;
	OffsetNumber offset;
	TimestampTz arrival;
	bool		encrypted;		/* STREAM_ITEM_ENCRYPTED */
	const char *key;
	int			key_len;
	const char *data;
	int			data_len;
} StreamDecodedRecord;

typedef void (*StreamLogDecodeCallback) (LogicalDecodingContext *ctx,
										 TransactionId xid, XLogRecPtr lsn,
										 const char *tag, int tag_len,
										 int32 segment_no,
										 StreamDecodedRecord *records,
										 int nrecords);

extern void StreamLogSetDecodeCallback(StreamLogDecodeCallback callback);

/* The resource manager's rm_decode */
extern void StreamLogDecode(LogicalDecodingContext *ctx, XLogRecordBuffer *buf);

#endif							/* STREAM_LOG_DECODE_H */
