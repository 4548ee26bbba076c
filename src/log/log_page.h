/*-------------------------------------------------------------------------
 *
 * log_page.h
 *	  On-disk format of stream_log relations (segments), and the routines that
 *	  append records to a segment and read them back in order.
 *
 * This is the storage layer: it knows segments, records and their writers'
 * transactions, and nothing of streams, shards or Kinesis.  A record is a
 * partition key, data and a 128-bit hash key, kept as they were given.
 *
 * Block 0 is the meta page.  Every other block is a standard page whose items
 * are either record heads (header, partition key, then the data or its first
 * part) or continuation chunks of a record too large for one page.  See
 * doc/architecture.md.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_LOG_PAGE_H
#define STREAM_LOG_PAGE_H

#include "postgres.h"

#include "storage/bufmgr.h"
#include "storage/bufpage.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapshot.h"

#define STREAM_META_BLOCK	0
#define STREAM_META_MAGIC	0x5354524D	/* "STRM" */
#define STREAM_META_VERSION 1

typedef struct StreamMetaData
{
	uint32		magic;
	uint32		version;
	int32		segment_no;		/* first part of its sequence numbers */
	uint32		flags;			/* STREAM_META_SEALED */
	BlockNumber last_block;		/* last data block written, 0 if none */
	BlockNumber frozen_before;	/* every record in blocks below is frozen */
	TimestampTz first_arrival;	/* arrival time of the oldest record, or 0 */
	TimestampTz last_arrival;	/* arrival time of the newest record, or 0 */
	uint64		record_count;	/* records appended, committed or not */
} StreamMetaData;

/*
 * A sealed segment takes no more records: its shard's writers have moved on
 * to the next segment.  Readers rely on this: they go on to the next segment
 * only once this one is sealed, so no record can appear behind them.
 */
#define STREAM_META_SEALED	0x0001

#define StreamPageGetMeta(page) ((StreamMetaData *) PageGetContents(page))

/* Item flags */
#define STREAM_ITEM_HEAD			0x0001	/* a record head */
#define STREAM_ITEM_CHUNK			0x0002	/* a continuation chunk */
#define STREAM_ITEM_FILLER			0x0004	/* keeps the place of a record a
											 * restore did not bring back */
#define STREAM_ITEM_ENCRYPTED		0x0008	/* a head whose key and data are
											 * the ciphertext of the layer
											 * above */
#define STREAM_XMIN_COMMITTED		0x0010	/* hint: writer committed */
#define STREAM_XMIN_ABORTED			0x0020	/* hint: writer aborted */
#define STREAM_XMIN_FROZEN			0x0040	/* resolution WAL-logged: xid no
											 * longer needed */

typedef struct StreamRecordHeader
{
	uint16		flags;
	uint16		key_len;		/* bytes of partition key that follow */
	TransactionId xmin;			/* the writer */
	uint32		data_len;		/* bytes of data, over all chunks */
	uint32		pad;
	TimestampTz arrival;		/* approximate arrival timestamp */
	uint8		hash_key[16];	/* big-endian */
	/* partition key, then data (all of it, or the first part) */
} StreamRecordHeader;

typedef struct StreamChunkHeader
{
	uint16		flags;
	uint16		pad;
	/* data bytes */
} StreamChunkHeader;

/*
 * The largest record (partition key and data) a segment takes: a reader
 * returns the data as one varlena.  Partition keys are at most 64 kB, the
 * width of key_len.
 */
#define STREAM_LOG_MAX_RECORD_BYTES ((int64) MaxAllocSize - VARHDRSZ)
#define STREAM_LOG_MAX_KEY_BYTES	PG_UINT16_MAX

/* Room on an empty data page for one item */
#define STREAM_PAGE_ITEM_SPACE \
	(BLCKSZ - MAXALIGN(SizeOfPageHeaderData + sizeof(ItemIdData)))
#define STREAM_MAX_CHUNK_DATA \
	(MAXALIGN_DOWN(STREAM_PAGE_ITEM_SPACE) - sizeof(StreamChunkHeader))

struct StreamAppendRecord;

/*
 * Called by an append with the address and arrival time a record is about
 * to get, before its key and data are copied to the page, while the append
 * holds the end of the log: the layer above encrypts them there, binding
 * the ciphertext to where and when it is written, in place and keeping
 * their lengths.
 */
typedef void (*StreamPrepareRecord) (struct StreamAppendRecord *rec,
									 int32 segment_no, BlockNumber block,
									 OffsetNumber offset, TimestampTz arrival);

/* A record to append; the routine fills in where it went */
typedef struct StreamAppendRecord
{
	const char *key;
	int			key_len;
	const char *data;
	int			data_len;
	uint128		hash_key;
	bool		encrypted;		/* marks the head STREAM_ITEM_ENCRYPTED */
	StreamPrepareRecord prepare;	/* or NULL */
	void	   *prepare_arg;
	/* where it went (where it goes, for StreamLogPlace) */
	BlockNumber block;
	OffsetNumber offset;
	TimestampTz arrival;
} StreamAppendRecord;

/* What an append did */
typedef enum StreamAppendResult
{
	STREAM_APPEND_DONE,			/* every record was appended */
	STREAM_APPEND_SEALED		/* nothing was: the segment is sealed */
} StreamAppendResult;

/* When an append may seal a full or old segment instead of appending */
typedef struct StreamSealPolicy
{
	bool		may_seal;		/* a next segment exists to move on to */
	BlockNumber max_blocks;		/* a segment this large is full */
	int64		max_age;		/* microseconds from its oldest record */
} StreamSealPolicy;

/*
 * decode_tag: bytes of the layer above that go with the WAL of the append
 * when logical decoding is on (wal_level logical), for it to make the
 * records a change feed (log/log_decode.h); NULL when they are not fed.
 */
extern StreamAppendResult StreamLogAppend(Relation rel, int32 segment_no,
										  StreamAppendRecord *records,
										  int nrecords,
										  const StreamSealPolicy *policy,
										  StringInfo decode_tag);
extern bool StreamLogSeal(Relation rel, const StreamSealPolicy *policy);
extern bool StreamLogIsSealed(Relation rel);

/*
 * For a restore: puts a record back at the address it had (block, offset
 * and arrival are given), and seals a segment as it was.
 */
extern void StreamLogPlace(Relation rel, int32 segment_no,
						   StreamAppendRecord *record);
extern void StreamLogSealRestored(Relation rel, int32 segment_no);

/* A record read back */
typedef struct StreamRecord
{
	BlockNumber block;
	OffsetNumber offset;
	TransactionId xmin;
	TimestampTz arrival;
	uint128		hash_key;
	bool		encrypted;		/* STREAM_ITEM_ENCRYPTED */
	/*
	 * palloc'd as varlenas, so that they are Datums of text and bytea as is;
	 * NULL until StreamLogReadBody copies them
	 */
	text	   *key;
	int			key_len;
	bytea	   *data;
	int			data_len;
} StreamRecord;

/* What a reader found next */
typedef enum StreamReadResult
{
	STREAM_READ_RECORD,			/* a committed record */
	STREAM_READ_IN_PROGRESS,	/* the next record's writer is in progress */
	STREAM_READ_END				/* nothing more in this segment */
} StreamReadResult;

/*
 * Reads a segment forward from a position.  Between calls the reader keeps
 * a pin and share lock on its current page: callers must not wait on
 * anything between calls, and must call StreamLogReaderEnd.
 */
typedef struct StreamLogReader
{
	Relation	rel;
	int32		segment_no;
	BlockNumber last_block;		/* as of the start of the read */
	BlockNumber block;			/* current position */
	OffsetNumber offset;
	Buffer		buffer;			/* pinned and share-locked, or invalid */
	Snapshot	snapshot;		/* NULL: the stream visibility rule */
	StreamRecordHeader *head;	/* of the record last returned, in buffer */
	Size		head_len;		/* its item's length */
} StreamLogReader;

extern void StreamLogReaderBegin(StreamLogReader *reader, Relation rel,
								 BlockNumber block, OffsetNumber offset,
								 Snapshot snapshot);
extern StreamReadResult StreamLogReadNext(StreamLogReader *reader,
										  StreamRecord *record);
extern void StreamLogReadBody(StreamLogReader *reader, StreamRecord *record);
extern void StreamLogReaderRelease(StreamLogReader *reader);
extern void StreamLogReaderEnd(StreamLogReader *reader);

extern bool StreamLogReadMeta(Relation rel, StreamMetaData *meta);
extern void StreamLogEndPosition(Relation rel, BlockNumber *block,
								 OffsetNumber *offset);
extern void StreamLogFindTime(Relation rel, TimestampTz ts, BlockNumber *block,
							  OffsetNumber *offset);

/* Page helpers shared with redo */
extern void StreamInitMetaPage(Page page, int32 segment_no);
extern void StreamInitDataPage(Page page);
extern void StreamCheckMetaPage(Relation rel, Page page);
extern StreamRecordHeader *StreamPageGetItem(Relation rel, Page page,
											 BlockNumber block,
											 OffsetNumber off);
extern void StreamCorruptItem(Relation rel, BlockNumber block,
							  OffsetNumber off) pg_attribute_noreturn();

#endif							/* STREAM_LOG_PAGE_H */
