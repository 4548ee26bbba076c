/*-------------------------------------------------------------------------
 *
 * catalog.h
 *	  A backend-local cache of the stream catalog (streams, shards, segments)
 *	  for the data plane.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_CATALOG_H
#define STREAM_CATALOG_H

#include "postgres.h"

#include "executor/spi.h"
#include "utils/uuid.h"

#include "kinesis/hashkey.h"
#include "kinesis/kms.h"

/*
 * A segment's data key (crypt.c): sealed by the material of a version of a
 * key, itself sealed by the root key, and opened when first used.
 */
typedef struct StreamSegmentKey
{
	pg_uuid_t	key_id;
	int32		key_version;
	bool		key_found;		/* the key version exists */
	bool		key_enabled;
	uint8		material[STREAM_SEALED_KEY_BYTES];
	uint8		sealed[STREAM_SEALED_KEY_BYTES];
	bool		ready;			/* plain holds the data key */
	uint8		plain[STREAM_KEY_BYTES];
} StreamSegmentKey;

typedef struct StreamSegmentInfo
{
	int32		segment_no;
	Oid			relid;
	StreamSegmentKey *key;		/* NULL: the segment has no data key */
} StreamSegmentInfo;

typedef struct StreamShardInfo
{
	int32		shard_no;
	int32		parent_shard_no;	/* -1 if none */
	int32		adjacent_parent_shard_no;	/* -1 if none */
	StreamHashKey starting_hash_key;
	StreamHashKey ending_hash_key;
	bool		open;
	int64		ending_seq;		/* when closed */
	int			write_hint;		/* 1 once this backend found the older of the
								 * last two segments sealed (see put.c) */
	int			nsegments;
	StreamSegmentInfo *segments;	/* by segment number, ascending */
} StreamShardInfo;

/* The state of an encrypted stream's key */
typedef enum StreamKeyState
{
	STREAM_KEY_ENABLED,
	STREAM_KEY_DISABLED,
	STREAM_KEY_MISSING
} StreamKeyState;

typedef struct StreamInfo
{
	int32		stream_id;
	char	   *name;
	char	   *status;
	bool		on_demand;
	int64		retention;		/* microseconds */
	int64		catalog_version;	/* of the catalog rows it was built from */
	Oid			acl_relid;		/* the view whose privileges are the stream's */
	char	   *encryption_type;
	bool		encrypted;		/* encryption_type is KMS: records are */
	StreamKeyState key_state;	/* of its key, when encrypted */
	bool		change_feed;	/* its appends go to logical decoding */
	uint32		shard_metrics;	/* its metrics counted per shard (metrics.h) */
	int			nshards;
	StreamShardInfo *shards;	/* by shard number, ascending */
	int			nopen;
	StreamShardInfo **open_shards;	/* by starting hash key */
} StreamInfo;

/*
 * Pointers returned by the lookups stay valid until the next lookup.  Opening
 * a relation may process invalidations; a caller that did so checks
 * StreamCatalogIsStale(generation) and looks up again if it is.
 */
extern uint64 StreamCatalogGeneration(void);
extern bool StreamCatalogIsStale(uint64 generation);
extern StreamInfo *StreamLookupByName(const char *name);
extern StreamInfo *StreamLookupById(int32 stream_id);
extern StreamShardInfo *StreamFindShard(StreamInfo *stream, int32 shard_no);
extern StreamShardInfo *StreamRouteHashKey(StreamInfo *stream, StreamHashKey key);
extern StreamShardInfo *StreamLookupShard(StreamInfo *stream, const char *shard_id);
extern StreamSegmentInfo *StreamFindSegment(StreamShardInfo *shard,
											int32 segment_no);

/*
 * A query prepared by SPI once per backend and kept: *plan is NULL the
 * first time.
 */
extern SPIPlanPtr StreamKeptPlan(SPIPlanPtr *plan, const char *sql, int nargs,
								 Oid *argtypes);

/* Whether a stream has an active registered consumer of the name. */
extern bool StreamConsumerExists(int32 stream_id, const char *consumer_name);

/* Registers the invalidation callback that marks the cache stale. */
extern void CatalogInit(void);

#endif							/* STREAM_CATALOG_H */
