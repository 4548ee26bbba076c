/*-------------------------------------------------------------------------
 *
 * names.h
 *	  The names Kinesis gives things: shard ids and ARNs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_NAMES_H
#define STREAM_NAMES_H

#include "postgres.h"

/* "shardId-" and 12 digits */
#define STREAM_SHARD_ID_LEN 20

/* Settings: the region and account shown in ARNs */
extern char *stream_region;
extern char *stream_account_id;

extern void NamesInit(void);

extern char *StreamFormatShardId(int32 shard_no);
extern text *StreamShardIdText(int32 shard_no);
extern int32 StreamParseShardId(const char *shard_id);

#endif							/* STREAM_NAMES_H */
