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

#include "kinesis/hashkey.h"

typedef struct StreamSegmentInfo
{
	int32		segment_no;
	Oid			relid;
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

/* Registers the invalidation callback that marks the cache stale. */
extern void CatalogInit(void);

#endif							/* STREAM_CATALOG_H */
