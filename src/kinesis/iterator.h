/*-------------------------------------------------------------------------
 *
 * iterator.h
 *	  Shard iterators: signed, expiring positions in a shard.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_ITERATOR_H
#define STREAM_ITERATOR_H

#include "postgres.h"

#include "utils/timestamp.h"

typedef struct StreamIterator
{
	int32		stream_id;
	int32		shard_no;
	int64		position;		/* the next sequence number to consider */
	TimestampTz expires_at;	/* fixed when it was issued */
} StreamIterator;

/* Setting: how long an iterator stays valid, in seconds */
extern int	stream_iterator_ttl;
/* Setting: how long a next token stays valid, in seconds */
extern int	stream_next_token_ttl;

extern void IteratorInit(void);

extern char *StreamIteratorEncode(int32 stream_id, int32 shard_no,
								  int64 position);
extern void StreamIteratorDecode(const char *text, StreamIterator *iterator);

#endif							/* STREAM_ITERATOR_H */
