/*-------------------------------------------------------------------------
 *
 * feed.h
 *	  The change feed: records of streams whose feed is on, as transactional
 *	  logical messages with the prefix "stream" (README, "The change feed").
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_FEED_H
#define STREAM_FEED_H

#include "postgres.h"

#include "kinesis/catalog.h"
#include "lib/stringinfo.h"

/* The prefix of the feed's logical messages */
#define STREAM_FEED_PREFIX "stream"

/*
 * The tag an append to a shard of a stream gives storage (into "buf", made
 * on first use if its data is NULL), or
 * NULL when the stream's feed is off, the server logs no logical
 * information or the database has no logical slot: then its records go to
 * no feed and cost nothing more.
 */
extern StringInfo StreamFeedTag(StreamInfo *stream, int32 shard_no,
								StringInfo buf);

/* Registers the decoding of the feed's appends with storage. */
extern void FeedInit(void);

#endif							/* STREAM_FEED_H */
