/*-------------------------------------------------------------------------
 *
 * hashkey.h
 *	  128-bit hash keys: MD5 of partition keys, and numeric conversions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_HASHKEY_H
#define STREAM_HASHKEY_H

#include "postgres.h"

#define STREAM_HASH_KEY_LEN 16

typedef uint128 StreamHashKey;

extern StreamHashKey StreamHashPartitionKey(const char *key, int len);
extern Datum StreamHashKeyToNumeric(StreamHashKey key);
extern bool StreamHashKeyFromNumeric(Datum num, StreamHashKey *key);
extern void StreamHashKeyToBytes(StreamHashKey key, uint8 *bytes);
extern StreamHashKey StreamHashKeyFromBytes(const uint8 *bytes);

#endif							/* STREAM_HASHKEY_H */
