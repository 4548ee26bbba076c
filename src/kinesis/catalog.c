/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  The stream catalog as the data plane sees it, and segment relations.
 *
 * put_record and get_records run far more often than the catalog changes,
 * so each backend keeps the whole catalog (streams, shards, segments) in
 * memory and reloads it only after a change.  A statement trigger on the
 * catalog tables sends a relcache invalidation for stream.streams when a
 * transaction changes them; it reaches every backend at commit, and this
 * backend at once, and the callback below marks the cache stale.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "kinesis/catalog.h"
#include "kinesis/kinesis.h"
#include "kinesis/names.h"
#include "numeric128.h"

PG_FUNCTION_INFO_V1(stream_catalog_changed);

#define MAX_STREAM_NAME STREAM_MAX_STREAM_NAME

typedef struct StreamNameEntry
{
	char		name[MAX_STREAM_NAME + 1];
	StreamInfo *stream;
} StreamNameEntry;

static MemoryContext cache_context = NULL;
static HTAB *streams_by_name = NULL;
static StreamInfo **streams_by_id = NULL;	/* sorted by stream id */
static int	nstreams = 0;
static bool cache_valid = false;
static uint64 cache_generation = 0;
static Oid	streams_relid = InvalidOid;


static void
InvalidateCallback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == streams_relid)
	{
		cache_valid = false;
		cache_generation++;
	}
}

void
CatalogInit(void)
{
	CacheRegisterRelcacheCallback(InvalidateCallback, (Datum) 0);
}

uint64
StreamCatalogGeneration(void)
{
	return cache_generation;
}

bool
StreamCatalogIsStale(uint64 generation)
{
	return generation != cache_generation;
}

static Oid
StreamSchemaOid(void)
{
	return get_namespace_oid("stream", false);
}

static int
CompareStreamId(const void *a, const void *b)
{
	int32		x = (*(StreamInfo *const *) a)->stream_id;
	int32		y = (*(StreamInfo *const *) b)->stream_id;

	return (x > y) - (x < y);
}

static int
CompareStartingHashKey(const void *a, const void *b)
{
	StreamHashKey x = (*(StreamShardInfo *const *) a)->starting_hash_key;
	StreamHashKey y = (*(StreamShardInfo *const *) b)->starting_hash_key;

	return (x > y) - (x < y);
}

static char *
GetText(HeapTuple tuple, TupleDesc desc, int col)
{
	char	   *value = SPI_getvalue(tuple, desc, col);

	return value ? MemoryContextStrdup(cache_context, value) : NULL;
}

static int64
GetInt(HeapTuple tuple, TupleDesc desc, int col, int64 if_null)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tuple, desc, col, &isnull);

	if (isnull)
		return if_null;
	return DatumGetInt64(d);
}

static StreamHashKey
GetHashKey(HeapTuple tuple, TupleDesc desc, int col)
{
	bool		isnull;
	StreamHashKey key;

	if (!NumericGetUint128(SPI_getbinval(tuple, desc, col, &isnull), &key))
		elog(ERROR, "stream catalog holds an invalid hash key");
	return key;
}

/*
 * Runs a catalog query with the latest snapshot: a long transaction (or a
 * repeatable-read one) must still see segments added since it began, or its
 * writers would find every segment they know of sealed.
 */
static void
CatalogQuery(const char *sql)
{
	SPIPlanPtr	plan = SPI_prepare(sql, 0, NULL);
	int			ret;

	if (plan == NULL)
		elog(ERROR, "could not prepare catalog query: %s",
			 SPI_result_code_string(SPI_result));
	ret = SPI_execute_snapshot(plan, NULL, NULL, GetLatestSnapshot(),
							   InvalidSnapshot, true, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the stream catalog: %s",
			 SPI_result_code_string(ret));
	SPI_freeplan(plan);
}

/* Loads the whole catalog into a fresh memory context. */
static void
LoadCatalog(void)
{
	MemoryContext old;
	HASHCTL		ctl;
	int			ret;
	uint64		nshard_rows;
	uint64		nsegment_rows;
	SPITupleTable *shard_rows;
	SPITupleTable *segment_rows;
	uint64		s = 0,
				g = 0;
	uint64		generation = cache_generation;

	if (cache_context)
		MemoryContextDelete(cache_context);
	cache_context = AllocSetContextCreate(CacheMemoryContext, "stream catalog cache",
										  ALLOCSET_DEFAULT_SIZES);
	streams_by_name = NULL;
	streams_by_id = NULL;
	nstreams = 0;
	streams_relid = get_relname_relid("streams", StreamSchemaOid());

	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %d", ret);

	CatalogQuery("SELECT stream_id::int8, shard_no::int8, parent_shard_no::int8, "
				 "adjacent_parent_shard_no::int8, starting_hash_key, ending_hash_key, "
				 "closed_at IS NULL, ending_sequence_number::int8 "
				 "FROM stream.shards ORDER BY stream_id, shard_no");
	shard_rows = SPI_tuptable;
	nshard_rows = SPI_processed;
	/* keep the result: the next SPI_execute would free it */
	SPI_tuptable = NULL;

	CatalogQuery("SELECT stream_id::int8, shard_no::int8, segment_no::int8, "
				 "relation::oid::int8 FROM stream.segments "
				 "ORDER BY stream_id, shard_no, segment_no");
	segment_rows = SPI_tuptable;
	nsegment_rows = SPI_processed;
	SPI_tuptable = NULL;

	CatalogQuery("SELECT stream_id::int8, stream_name, stream_status, "
				 "stream_mode = 'ON_DEMAND', encryption_type, "
				 "(extract(epoch FROM retention_period) * 1000000)::int8 "
				 "FROM stream.streams ORDER BY stream_id");

	old = MemoryContextSwitchTo(cache_context);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = MAX_STREAM_NAME + 1;
	ctl.entrysize = sizeof(StreamNameEntry);
	ctl.hcxt = cache_context;
	streams_by_name = hash_create("stream names", Max(SPI_processed, 16), &ctl,
								  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	nstreams = SPI_processed;
	streams_by_id = palloc0(sizeof(StreamInfo *) * Max(nstreams, 1));

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		StreamInfo *stream = palloc0(sizeof(StreamInfo));
		StreamNameEntry *entry;
		bool		found;
		int			nopen = 0;

		stream->stream_id = (int32) GetInt(tup, desc, 1, 0);
		stream->name = GetText(tup, desc, 2);
		stream->status = GetText(tup, desc, 3);
		stream->on_demand = strcmp(SPI_getvalue(tup, desc, 4), "t") == 0;
		stream->encryption_type = GetText(tup, desc, 5);
		stream->retention = GetInt(tup, desc, 6, 0);

		/* its shards: the rows are ordered by stream id, as the streams are */
		while (s < nshard_rows &&
			   GetInt(shard_rows->vals[s], shard_rows->tupdesc, 1, 0) < stream->stream_id)
			s++;
		stream->shards = palloc0(sizeof(StreamShardInfo) * Max(nshard_rows - s, 1));
		while (s < nshard_rows &&
			   GetInt(shard_rows->vals[s], shard_rows->tupdesc, 1, 0) == stream->stream_id)
		{
			HeapTuple	stup = shard_rows->vals[s];
			TupleDesc	sdesc = shard_rows->tupdesc;
			StreamShardInfo *shard = &stream->shards[stream->nshards++];

			shard->shard_no = (int32) GetInt(stup, sdesc, 2, 0);
			shard->parent_shard_no = (int32) GetInt(stup, sdesc, 3, -1);
			shard->adjacent_parent_shard_no = (int32) GetInt(stup, sdesc, 4, -1);
			shard->starting_hash_key = GetHashKey(stup, sdesc, 5);
			shard->ending_hash_key = GetHashKey(stup, sdesc, 6);
			shard->open = strcmp(SPI_getvalue(stup, sdesc, 7), "t") == 0;
			shard->ending_seq = GetInt(stup, sdesc, 8, 0);
			if (shard->open)
				nopen++;

			/* its segments */
			while (g < nsegment_rows &&
				   (GetInt(segment_rows->vals[g], segment_rows->tupdesc, 1, 0) < stream->stream_id ||
					(GetInt(segment_rows->vals[g], segment_rows->tupdesc, 1, 0) == stream->stream_id &&
					 GetInt(segment_rows->vals[g], segment_rows->tupdesc, 2, 0) < shard->shard_no)))
				g++;
			shard->segments = palloc0(sizeof(StreamSegmentInfo) * Max(nsegment_rows - g, 1));
			while (g < nsegment_rows &&
				   GetInt(segment_rows->vals[g], segment_rows->tupdesc, 1, 0) == stream->stream_id &&
				   GetInt(segment_rows->vals[g], segment_rows->tupdesc, 2, 0) == shard->shard_no)
			{
				StreamSegmentInfo *seg = &shard->segments[shard->nsegments++];

				seg->segment_no = (int32) GetInt(segment_rows->vals[g], segment_rows->tupdesc, 3, 0);
				seg->relid = (Oid) GetInt(segment_rows->vals[g], segment_rows->tupdesc, 4, 0);
				g++;
			}
			s++;
		}

		stream->open_shards = palloc0(sizeof(StreamShardInfo *) * Max(nopen, 1));
		for (int k = 0; k < stream->nshards; k++)
			if (stream->shards[k].open)
				stream->open_shards[stream->nopen++] = &stream->shards[k];
		qsort(stream->open_shards, stream->nopen, sizeof(StreamShardInfo *),
			  CompareStartingHashKey);

		streams_by_id[i] = stream;
		entry = hash_search(streams_by_name, stream->name, HASH_ENTER, &found);
		entry->stream = stream;
	}
	qsort(streams_by_id, nstreams, sizeof(StreamInfo *), CompareStreamId);

	MemoryContextSwitchTo(old);
	SPI_freetuptable(shard_rows);
	SPI_freetuptable(segment_rows);
	SPI_finish();

	/* an invalidation that arrived during the load means load again */
	cache_valid = (generation == cache_generation);
}

static void
EnsureCatalog(void)
{
	if (!cache_valid)
		LoadCatalog();
}

/* The stream of that name, or NULL. */
StreamInfo *
StreamLookupByName(const char *name)
{
	StreamNameEntry *entry;

	EnsureCatalog();
	if (strlen(name) > MAX_STREAM_NAME)
		return NULL;
	entry = hash_search(streams_by_name, name, HASH_FIND, NULL);
	return entry ? entry->stream : NULL;
}

/* The stream of that name; ResourceNotFoundException if there is none. */
StreamInfo *
StreamLookupByNameOrError(const char *name)
{
	StreamInfo *stream = StreamLookupByName(name);

	if (stream == NULL)
		ereport(ERROR,
				errkinesis(KINESIS_RESOURCE_NOT_FOUND),
				errmsg("stream \"%s\" does not exist", name));
	return stream;
}

/* The stream of that id, or NULL. */
StreamInfo *
StreamLookupById(int32 stream_id)
{
	int			lo = 0,
				hi;

	EnsureCatalog();
	hi = nstreams - 1;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (streams_by_id[mid]->stream_id == stream_id)
			return streams_by_id[mid];
		if (streams_by_id[mid]->stream_id < stream_id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

StreamShardInfo *
StreamFindShard(StreamInfo *stream, int32 shard_no)
{
	for (int i = 0; i < stream->nshards; i++)
		if (stream->shards[i].shard_no == shard_no)
			return &stream->shards[i];
	return NULL;
}

/* The shard of a shard id such as "shardId-000000000003", or NULL. */
StreamShardInfo *
StreamLookupShard(StreamInfo *stream, const char *shard_id)
{
	int32		shard_no = StreamParseShardId(shard_id);

	return shard_no < 0 ? NULL : StreamFindShard(stream, shard_no);
}

/* The open shard whose hash key range holds the key. */
StreamShardInfo *
StreamRouteHashKey(StreamInfo *stream, StreamHashKey key)
{
	int			lo = 0,
				hi = stream->nopen - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		StreamShardInfo *shard = stream->open_shards[mid];

		if (key < shard->starting_hash_key)
			hi = mid - 1;
		else if (key > shard->ending_hash_key)
			lo = mid + 1;
		else
			return shard;
	}
	elog(ERROR, "no open shard of stream \"%s\" covers the hash key", stream->name);
	return NULL;
}

StreamSegmentInfo *
StreamFindSegment(StreamShardInfo *shard, int32 segment_no)
{
	for (int i = 0; i < shard->nsegments; i++)
		if (shard->segments[i].segment_no == segment_no)
			return &shard->segments[i];
	return NULL;
}

/*
 * Trigger on the catalog tables: tell every backend to reload its cache when
 * this transaction commits.
 */
Datum
stream_catalog_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Oid			relid;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "stream_internal.catalog_changed() must be called as a trigger");
	relid = get_relname_relid("streams",
							  RelationGetNamespace(trigdata->tg_relation));
	if (OidIsValid(relid))
		CacheInvalidateRelcacheByRelid(relid);
	return PointerGetDatum(NULL);
}
