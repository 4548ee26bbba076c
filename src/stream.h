/*-------------------------------------------------------------------------
 *
 * stream.h
 *	  Settings, error codes and sequence-number layout shared by every part
 *	  of the stream extension.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_H
#define STREAM_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "fmgr.h"

#include "storage/block.h"
#include "storage/off.h"
#include "utils/timestamp.h"

/* Settings (defined in stream.c) */
extern bool stream_preloaded;
extern char *stream_region;
extern char *stream_account_id;
extern int	stream_iterator_ttl;
extern int	stream_min_retention_period;
extern int	stream_shard_limit;
extern bool stream_maintenance_worker;
extern int	stream_maintenance_interval;
extern int	stream_segment_size;
extern int	stream_shard_write_bytes_per_second;
extern int	stream_shard_write_records_per_second;
extern int	stream_shard_read_bytes_per_second;
extern int	stream_shard_read_calls_per_second;
extern int	stream_on_demand_scaling_window;

/* Kinesis limits */
#define STREAM_MAX_RECORD_SIZE		(1024 * 1024)
#define STREAM_MAX_KEY_CHARS		256
#define STREAM_MAX_PUT_RECORDS		500
#define STREAM_MAX_PUT_RECORDS_SIZE (5 * 1024 * 1024)
#define STREAM_MAX_GET_RECORDS		10000
#define STREAM_MAX_GET_RECORDS_SIZE (10 * 1024 * 1024)

/* SQLSTATEs of the Kinesis exceptions that PostgreSQL has no code for */
#define ERRCODE_STREAM_THROUGHPUT_EXCEEDED	MAKE_SQLSTATE('K','S','0','0','1')
#define ERRCODE_STREAM_EXPIRED_ITERATOR		MAKE_SQLSTATE('K','S','0','0','2')
#define ERRCODE_STREAM_EXPIRED_NEXT_TOKEN	MAKE_SQLSTATE('K','S','0','0','3')
#define ERRCODE_STREAM_KMS					MAKE_SQLSTATE('K','S','0','0','4')

/* Every error names its Kinesis exception in the DETAIL. */
#define errkinesis(exception) \
	errdetail("The Kinesis exception is %s.", (exception))

/*
 * A sequence number is the address of its record: the segment number (per
 * stream), the block in the segment and the item on the block.  Blocks and
 * items are only ever appended, so numbers increase within a shard; segment
 * numbers are never reused in a stream, so numbers are unique within it.
 * The top bit stays clear so that the value fits int8 and numeric alike.
 */
#define STREAM_SEQ_ITEM_BITS	12
#define STREAM_SEQ_BLOCK_BITS	28
#define STREAM_SEQ_SEGMENT_BITS 23
#define STREAM_SEQ_BLOCK_SHIFT	STREAM_SEQ_ITEM_BITS
#define STREAM_SEQ_SEGMENT_SHIFT (STREAM_SEQ_ITEM_BITS + STREAM_SEQ_BLOCK_BITS)
#define STREAM_MAX_SEGMENT_NO	((1 << STREAM_SEQ_SEGMENT_BITS) - 1)
#define STREAM_MAX_SEGMENT_BLOCKS ((BlockNumber) 1 << STREAM_SEQ_BLOCK_BITS)

static inline int64
StreamSeqMake(int32 segment_no, BlockNumber block, OffsetNumber offset)
{
	return ((int64) segment_no << STREAM_SEQ_SEGMENT_SHIFT) |
		((int64) block << STREAM_SEQ_BLOCK_SHIFT) | (int64) offset;
}

static inline int32
StreamSeqSegment(int64 seq)
{
	return (int32) (seq >> STREAM_SEQ_SEGMENT_SHIFT);
}

static inline BlockNumber
StreamSeqBlock(int64 seq)
{
	return (BlockNumber) ((seq >> STREAM_SEQ_BLOCK_SHIFT) &
						  (STREAM_MAX_SEGMENT_BLOCKS - 1));
}

static inline OffsetNumber
StreamSeqOffset(int64 seq)
{
	return (OffsetNumber) (seq & ((1 << STREAM_SEQ_ITEM_BITS) - 1));
}

extern void StreamInvalidArgument(const char *message) pg_attribute_noreturn();

/* The row type a C function returns, built once per backend. */
extern TupleDesc StreamResultDesc(FunctionCallInfo fcinfo);

/* numeric <-> sequence number, with InvalidArgumentException for bad input */
extern Datum StreamSeqToNumeric(int64 seq);
extern int64 StreamSeqFromNumeric(Datum num, const char *what);

#endif							/* STREAM_H */
