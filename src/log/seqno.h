/*-------------------------------------------------------------------------
 *
 * seqno.h
 *	  Record addresses: where a record lives, packed in a 63-bit integer.
 *
 * A record's address is its segment number, the block in the segment and
 * the item on the block.  Blocks and items of a segment are only ever
 * appended, so addresses increase in append order within a segment; the
 * Kinesis layer numbers a shard's segments in increasing order and never
 * reuses a number in a stream, and shows addresses as sequence numbers.  The
 * top bit stays clear so that an address fits int8 and numeric alike.
 *
 *	| 0 | segment number: 23 bits | block: 28 bits | item: 12 bits |
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_LOG_SEQNO_H
#define STREAM_LOG_SEQNO_H

#include "postgres.h"

#include "storage/block.h"
#include "storage/off.h"

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

/* The smallest address a segment can hold: where it starts. */
static inline int64
StreamSeqSegmentStart(int32 segment_no)
{
	return StreamSeqMake(segment_no, 0, 0);
}

#endif							/* STREAM_LOG_SEQNO_H */
