/*-------------------------------------------------------------------------
 *
 * segment.h
 *	  A shard's log as a chain of segment relations: which one is being
 *	  written, and the size at which it is closed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_SEGMENT_H
#define STREAM_SEGMENT_H

#include "postgres.h"

#include "storage/lockdefs.h"
#include "utils/relcache.h"

/* Setting: a segment this large (in blocks) is closed and the next begun */
extern int	stream_segment_size;

extern void SegmentInit(void);

/*
 * When a shard's segment is closed: at stream.segment_size, or a twentieth
 * of the retention (in microseconds) after its oldest record.
 */
struct StreamSealPolicy;
extern void StreamSealPolicyFor(int64 retention, bool may_seal,
								struct StreamSealPolicy *policy);

/* Whether a segment takes no more records; a dropped one takes none. */
extern bool StreamSegmentIsSealed(Oid relid);

/*
 * Opens a segment of the catalog for reading or writing: NULL if it was
 * dropped meanwhile, an error if it is not of stream_log (altered with the
 * DDL guard off), rather than reading or writing pages it does not have.
 */
extern Relation StreamTryOpenSegment(Oid relid, LOCKMODE mode);

/*
 * Which of a shard's segments (relations, oldest first) is being written:
 * an index into relids.
 */
extern int	StreamWritableSegment(const Oid *relids, int n);

#endif							/* STREAM_SEGMENT_H */
