/*-------------------------------------------------------------------------
 *
 * hashkey.h
 *	  Kinesis hash keys: the MD5 of a partition key as a 128-bit integer.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_HASHKEY_H
#define STREAM_HASHKEY_H

#include "postgres.h"

typedef uint128 StreamHashKey;

extern StreamHashKey StreamHashPartitionKey(const char *key, int len);

#endif							/* STREAM_HASHKEY_H */
