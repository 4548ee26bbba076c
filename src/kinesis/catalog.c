/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  The stream catalog as the data plane sees it.
 *
 * put_record and get_records run far more often than the catalog changes,
 * so each backend keeps the catalog (streams, shards, segments) in memory.
 * A statement trigger on stream.streams sends a relcache invalidation for it
 * when a transaction changes it (and a change of shards or segments updates
 * the rows of their streams); it reaches every backend at commit, and this
 * backend at once, and the callback below marks the cache stale.
 *
 * A change to one stream must not make every backend reload every stream:
 * Kinesis streams reach thousands of shards.  So every change to a stream's
 * row, shards or segments bumps its catalog_version (triggers in
 * sql/20_catalog.sql), and a stale cache is brought up to date by reading
 * the (stream_id, catalog_version) pairs and loading again only the streams
 * whose version moved, those that are new, and forgetting those that are
 * gone.  Each stream is one allocation, sized to what it holds, so that it
 * can be replaced on its own and the cache grows with the catalog, linearly.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "kinesis/acl.h"
#include "kinesis/catalog.h"
#include "kinesis/kinesis.h"
#include "kinesis/metrics.h"
#include "kinesis/names.h"
#include "kinesis/wait.h"
#include "numeric128.h"

PG_FUNCTION_INFO_V1(stream_catalog_changed);

typedef struct StreamByName
{
	char		name[STREAM_MAX_STREAM_NAME + 1];
	StreamInfo *stream;
} StreamByName;

typedef struct StreamById
{
	int32		stream_id;
	StreamInfo *stream;
	bool		seen;			/* during a refresh: still in the catalog */
} StreamById;

static MemoryContext cache_context = NULL;
static HTAB *streams_by_name = NULL;
static HTAB *streams_by_id = NULL;
static bool cache_valid = false;
static uint64 cache_generation = 0;
static Oid	streams_relid = InvalidOid;

/* Plans of the catalog queries, kept for the life of the backend */
static SPIPlanPtr versions_plan = NULL;
static SPIPlanPtr streams_plan = NULL;
static SPIPlanPtr shards_plan = NULL;
static SPIPlanPtr segments_plan = NULL;
static SPIPlanPtr consumer_plan = NULL;

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

/*
 * Whether the catalog changed since the generation was taken, or is about to
 * be refreshed: either way the next lookup may free what the last returned.
 */
bool
StreamCatalogIsStale(uint64 generation)
{
	return generation != cache_generation || !cache_valid;
}

static int
CompareStartingHashKey(const void *a, const void *b)
{
	StreamHashKey x = (*(StreamShardInfo *const *) a)->starting_hash_key;
	StreamHashKey y = (*(StreamShardInfo *const *) b)->starting_hash_key;

	return (x > y) - (x < y);
}

static int64
GetInt(SPITupleTable *rows, uint64 row, int col, int64 if_null)
{
	bool		isnull;
	Datum		d = SPI_getbinval(rows->vals[row], rows->tupdesc, col, &isnull);

	return isnull ? if_null : DatumGetInt64(d);
}

static bool
GetBool(SPITupleTable *rows, uint64 row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(rows->vals[row], rows->tupdesc, col, &isnull);

	return !isnull && DatumGetBool(d);
}

static StreamHashKey
GetHashKey(SPITupleTable *rows, uint64 row, int col)
{
	bool		isnull;
	StreamHashKey key;

	if (!NumericGetUint128(SPI_getbinval(rows->vals[row], rows->tupdesc, col,
										 &isnull), &key))
		elog(ERROR, "stream catalog holds an invalid hash key");
	return key;
}

/* Copies a bytea column of the size it must have; false if NULL. */
static bool
GetBytes(SPITupleTable *rows, uint64 row, int col, uint8 *out, int len)
{
	bool		isnull;
	Datum		d = SPI_getbinval(rows->vals[row], rows->tupdesc, col, &isnull);
	bytea	   *b;

	if (isnull)
		return false;
	b = DatumGetByteaPP(d);
	if ((int) VARSIZE_ANY_EXHDR(b) != len)
		elog(ERROR, "stream catalog holds a sealed key of %zu bytes, expected %d",
			 VARSIZE_ANY_EXHDR(b), len);
	memcpy(out, VARDATA_ANY(b), len);
	return true;
}

/*
 * The data key of segment row "row" (columns 5 to 9: data_key, key_id,
 * key_version, the key's enabled flag, the version's material), filled in
 * key, or NULL when the segment has none.
 */
static StreamSegmentKey *
GetSegmentKey(SPITupleTable *segments, uint64 row, StreamSegmentKey *key)
{
	bool		isnull;
	Datum		d;

	if (!GetBytes(segments, row, 5, key->sealed, STREAM_SEALED_KEY_BYTES))
		return NULL;
	d = SPI_getbinval(segments->vals[row], segments->tupdesc, 6, &isnull);
	if (!isnull)
		memcpy(&key->key_id, DatumGetUUIDP(d), sizeof(pg_uuid_t));
	key->key_version = (int32) GetInt(segments, row, 7, 0);
	key->key_enabled = GetBool(segments, row, 8);
	key->key_found = GetBytes(segments, row, 9, key->material, STREAM_SEALED_KEY_BYTES);
	return key;
}

SPIPlanPtr
StreamKeptPlan(SPIPlanPtr *plan, const char *sql, int nargs, Oid *argtypes)
{
	if (*plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(sql, nargs, argtypes);

		if (p == NULL)
			elog(ERROR, "could not prepare \"%s\": %s", sql,
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		*plan = p;
	}
	return *plan;
}

/*
 * Runs a catalog query under the given snapshot and returns its rows, which
 * stay until SPI_finish.  The snapshot is the latest, not the transaction's:
 * a long transaction (or a repeatable-read one) must still see segments
 * added since it began, or its writers would find every segment they know
 * of sealed.
 */
static SPITupleTable *
CatalogQuery(SPIPlanPtr plan, Datum *args, Snapshot snapshot, uint64 *nrows)
{
	int			ret;
	SPITupleTable *rows;

	ret = SPI_execute_snapshot(plan, args, NULL, snapshot, InvalidSnapshot,
							   true, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the stream catalog: %s",
			 SPI_result_code_string(ret));
	rows = SPI_tuptable;
	*nrows = SPI_processed;
	/* the rows stay until SPI_finish; the next query does not free them */
	SPI_tuptable = NULL;
	return rows;
}

/* Forgets every stream, as after CREATE EXTENSION in place of a dropped one. */
static void
ResetCache(void)
{
	HASHCTL		ctl;

	if (cache_context == NULL)
		cache_context = AllocSetContextCreate(CacheMemoryContext,
											  "stream catalog cache",
											  ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(cache_context);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = STREAM_MAX_STREAM_NAME + 1;
	ctl.entrysize = sizeof(StreamByName);
	ctl.hcxt = cache_context;
	streams_by_name = hash_create("stream catalog by name", 64, &ctl,
								  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int32);
	ctl.entrysize = sizeof(StreamById);
	ctl.hcxt = cache_context;
	streams_by_id = hash_create("stream catalog by id", 64, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Takes a stream out of the cache and frees it. */
static void
ForgetStream(StreamInfo *stream)
{
	hash_search(streams_by_name, stream->name, HASH_REMOVE, NULL);
	hash_search(streams_by_id, &stream->stream_id, HASH_REMOVE, NULL);
	pfree(stream);
}

/*
 * Builds one stream as a single allocation: the StreamInfo, the data keys of
 * its segments, then its shards, its open shards in hash key order, its
 * segments, and its strings.  Row
 * "row" of streams is the stream; its shards are shard rows [s, s_end) and
 * its segments segment rows [g, g_end), ordered by shard and segment number.
 */
static StreamInfo *
BuildStream(SPITupleTable *streams, uint64 row,
			SPITupleTable *shards, uint64 s, uint64 s_end,
			SPITupleTable *segments, uint64 g, uint64 g_end)
{
	char	   *name = SPI_getvalue(streams->vals[row], streams->tupdesc, 2);
	char	   *status = SPI_getvalue(streams->vals[row], streams->tupdesc, 3);
	char	   *encryption = SPI_getvalue(streams->vals[row], streams->tupdesc, 5);
	int			nshards = (int) (s_end - s);
	int			nsegments = (int) (g_end - g);
	int			nopen = 0;
	int			nkeyed = 0;
	Size		size;
	char	   *p;
	StreamInfo *stream;
	StreamSegmentKey *keys;
	int			nkeys = 0;

	/* room for the data keys of the segments that have one only */
	for (uint64 i = g; i < g_end; i++)
	{
		bool		isnull;

		(void) SPI_getbinval(segments->vals[i], segments->tupdesc, 5, &isnull);
		if (!isnull)
			nkeyed++;
	}

	size = MAXALIGN(sizeof(StreamInfo)) +
		MAXALIGN(sizeof(StreamShardInfo) * nshards) +
		MAXALIGN(sizeof(StreamShardInfo *) * nshards) +
		MAXALIGN(sizeof(StreamSegmentInfo) * nsegments) +
		MAXALIGN(sizeof(StreamSegmentKey) * nkeyed) +
		strlen(name) + 1 + strlen(status) + 1 + strlen(encryption) + 1;
	p = MemoryContextAllocZero(cache_context, size);
	stream = (StreamInfo *) p;
	p += MAXALIGN(sizeof(StreamInfo));
	keys = (StreamSegmentKey *) p;
	p += MAXALIGN(sizeof(StreamSegmentKey) * nkeyed);
	stream->shards = (StreamShardInfo *) p;
	p += MAXALIGN(sizeof(StreamShardInfo) * nshards);
	stream->open_shards = (StreamShardInfo **) p;
	p += MAXALIGN(sizeof(StreamShardInfo *) * nshards);

	stream->stream_id = (int32) GetInt(streams, row, 1, 0);
	stream->on_demand = GetBool(streams, row, 4);
	stream->retention = GetInt(streams, row, 6, 0);
	stream->catalog_version = GetInt(streams, row, 7, 0);
	stream->acl_relid = (Oid) GetInt(streams, row, 8, 0);
	stream->encrypted = strcmp(encryption, "KMS") == 0;
	stream->change_feed = GetBool(streams, row, 10);
	{
		bool		isnull;
		Datum		names = SPI_getbinval(streams->vals[row], streams->tupdesc, 11, &isnull);

		stream->shard_metrics = isnull ? 0 : StreamShardMetricMask(names);
	}
	{
		bool		isnull;
		Datum		enabled = SPI_getbinval(streams->vals[row], streams->tupdesc, 9, &isnull);

		stream->key_state = isnull ? STREAM_KEY_MISSING :
			DatumGetBool(enabled) ? STREAM_KEY_ENABLED : STREAM_KEY_DISABLED;
	}

	for (uint64 i = s; i < s_end; i++)
	{
		StreamShardInfo *shard = &stream->shards[stream->nshards++];

		shard->shard_no = (int32) GetInt(shards, i, 2, 0);
		shard->parent_shard_no = (int32) GetInt(shards, i, 3, -1);
		shard->adjacent_parent_shard_no = (int32) GetInt(shards, i, 4, -1);
		shard->starting_hash_key = GetHashKey(shards, i, 5);
		shard->ending_hash_key = GetHashKey(shards, i, 6);
		shard->open = GetBool(shards, i, 7);
		shard->ending_seq = GetInt(shards, i, 8, 0);
		if (shard->open)
			stream->open_shards[nopen++] = shard;

		/* its segments, which come in the same order */
		shard->segments = (StreamSegmentInfo *) p;
		while (g < g_end && GetInt(segments, g, 2, 0) < shard->shard_no)
			g++;
		while (g < g_end && GetInt(segments, g, 2, 0) == shard->shard_no)
		{
			StreamSegmentInfo *seg = &shard->segments[shard->nsegments++];

			seg->segment_no = (int32) GetInt(segments, g, 3, 0);
			seg->relid = (Oid) GetInt(segments, g, 4, 0);
			seg->key = nkeys < nkeyed ? GetSegmentKey(segments, g, &keys[nkeys]) : NULL;
			if (seg->key != NULL)
				nkeys++;
			g++;
		}
		p += sizeof(StreamSegmentInfo) * shard->nsegments;
	}
	stream->nopen = nopen;
	qsort(stream->open_shards, nopen, sizeof(StreamShardInfo *),
		  CompareStartingHashKey);

	p = (char *) stream + size - strlen(name) - strlen(status) -
		strlen(encryption) - 3;
	stream->name = strcpy(p, name);
	p += strlen(name) + 1;
	stream->status = strcpy(p, status);
	p += strlen(status) + 1;
	stream->encryption_type = strcpy(p, encryption);
	return stream;
}

/*
 * Loads the streams of the given ids (in increasing order), with their
 * shards and segments, all under one snapshot, and puts them in the cache
 * in place of what it held for them.
 */
static void
LoadStreams(int32 *ids, int nids, Snapshot snapshot)
{
	Oid			argtypes[1] = {INT4ARRAYOID};
	Datum		args[1];
	SPITupleTable *streams;
	SPITupleTable *shards;
	SPITupleTable *segments;
	uint64		nstreams,
				nshards,
				nsegments;
	uint64		s = 0,
				g = 0;
	Datum	   *elems = palloc(sizeof(Datum) * nids);

	for (int i = 0; i < nids; i++)
		elems[i] = Int32GetDatum(ids[i]);
	args[0] = PointerGetDatum(construct_array(elems, nids, INT4OID, sizeof(int32),
											  true, TYPALIGN_INT));

	streams = CatalogQuery(StreamKeptPlan(&streams_plan,
									      "SELECT stream_id::pg_catalog.int8, stream_name, stream_status, "
									      "stream_mode OPERATOR(pg_catalog.=) 'ON_DEMAND', "
									      "encryption_type, (extract(epoch FROM retention_period) "
									      "OPERATOR(pg_catalog.*) 1000000)::pg_catalog.int8, "
									      "catalog_version, acl::pg_catalog.oid::pg_catalog.int8, "
									      "(SELECT k.enabled FROM stream.keys k "
									      "WHERE k.key_id OPERATOR(pg_catalog.=) s.kms_key_id), "
									      "change_feed, shard_level_metrics "
									      "FROM stream.streams s "
									      "WHERE stream_id OPERATOR(pg_catalog.=) ANY ($1) "
									      "ORDER BY stream_id", 1, argtypes),
						   args, snapshot, &nstreams);
	shards = CatalogQuery(StreamKeptPlan(&shards_plan,
									     "SELECT stream_id::pg_catalog.int8, shard_no::pg_catalog.int8, "
									     "parent_shard_no::pg_catalog.int8, "
									     "adjacent_parent_shard_no::pg_catalog.int8, "
									     "starting_hash_key, ending_hash_key, closed_at IS NULL, "
									     "ending_sequence_number::pg_catalog.int8 "
									     "FROM stream.shards "
									     "WHERE stream_id OPERATOR(pg_catalog.=) ANY ($1) "
									     "ORDER BY stream_id, shard_no", 1, argtypes),
						  args, snapshot, &nshards);
	segments = CatalogQuery(StreamKeptPlan(&segments_plan,
										   "SELECT g.stream_id::pg_catalog.int8, g.shard_no::pg_catalog.int8, "
										   "g.segment_no::pg_catalog.int8, "
										   "g.relation::pg_catalog.oid::pg_catalog.int8, "
										   "g.data_key, g.key_id, g.key_version::pg_catalog.int8, k.enabled, v.material "
										   "FROM stream.segments g "
										   "LEFT JOIN stream.keys k ON k.key_id OPERATOR(pg_catalog.=) g.key_id "
										   "LEFT JOIN stream_internal.key_versions v "
										   "ON v.key_id OPERATOR(pg_catalog.=) g.key_id "
										   "AND v.version OPERATOR(pg_catalog.=) g.key_version "
										   "WHERE g.stream_id OPERATOR(pg_catalog.=) ANY ($1) "
										   "ORDER BY g.stream_id, g.shard_no, g.segment_no", 1, argtypes),
							args, snapshot, &nsegments);

	for (uint64 row = 0; row < nstreams; row++)
	{
		int32		stream_id = (int32) GetInt(streams, row, 1, 0);
		uint64		s_end,
					g_end;
		StreamInfo *stream;
		StreamById *by_id;
		StreamByName *by_name;
		bool		found;

		while (s < nshards && GetInt(shards, s, 1, 0) < stream_id)
			s++;
		s_end = s;
		while (s_end < nshards && GetInt(shards, s_end, 1, 0) == stream_id)
			s_end++;
		while (g < nsegments && GetInt(segments, g, 1, 0) < stream_id)
			g++;
		g_end = g;
		while (g_end < nsegments && GetInt(segments, g_end, 1, 0) == stream_id)
			g_end++;

		stream = BuildStream(streams, row, shards, s, s_end, segments, g, g_end);
		s = s_end;
		g = g_end;

		by_id = hash_search(streams_by_id, &stream_id, HASH_FIND, NULL);
		if (by_id != NULL)
			ForgetStream(by_id->stream);
		by_id = hash_search(streams_by_id, &stream_id, HASH_ENTER, &found);
		by_id->stream = stream;
		by_id->seen = true;
		/* a stream that took the name of one dropped since the last refresh */
		by_name = hash_search(streams_by_name, stream->name, HASH_FIND, NULL);
		if (by_name != NULL)
			ForgetStream(by_name->stream);
		by_name = hash_search(streams_by_name, stream->name, HASH_ENTER, &found);
		by_name->stream = stream;
	}
}

/*
 * Brings a stale cache up to date: reads every stream's catalog_version and
 * loads again only what changed.
 */
static void RefreshAsOwner(void);

static void
RefreshCatalog(void)
{
	uint64		generation = cache_generation;
	Oid			relid;
	StreamSavedUser saved;

	/*
	 * A stream.streams other than the one cached is a new extension, whose
	 * stream ids start again: nothing cached is of it.
	 */
	relid = get_relname_relid("streams", get_namespace_oid("stream", false));
	if (cache_context == NULL || relid != streams_relid)
	{
		ResetCache();
		streams_relid = relid;
	}

	/*
	 * The catalog is read as the extension's owner: the data plane serves
	 * roles that may not read the catalog tables, and checks their
	 * privileges itself (acl.c).
	 */
	StreamBecomeOwner(&saved);
	PG_TRY();
	{
		RefreshAsOwner();
	}
	PG_FINALLY();
	{
		StreamRestoreUser(&saved);
	}
	PG_END_TRY();

	/* an invalidation that arrived during the refresh means refresh again */
	cache_valid = (generation == cache_generation);
}

/* What RefreshCatalog does, as the extension's owner. */
static void
RefreshAsOwner(void)
{
	Snapshot	snapshot;
	SPITupleTable *versions;
	uint64		nversions;
	int32	   *changed;
	int			nchanged = 0;
	HASH_SEQ_STATUS seq;
	StreamById *entry;
	int			ret;

	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));
	snapshot = RegisterSnapshot(GetLatestSnapshot());

	versions = CatalogQuery(StreamKeptPlan(&versions_plan,
										   "SELECT stream_id, catalog_version FROM stream.streams",
										   0, NULL),
							NULL, snapshot, &nversions);

	hash_seq_init(&seq, streams_by_id);
	while ((entry = hash_seq_search(&seq)) != NULL)
		entry->seen = false;
	changed = palloc(sizeof(int32) * Max(nversions, 1));
	for (uint64 i = 0; i < nversions; i++)
	{
		bool		isnull;
		int32		stream_id = DatumGetInt32(SPI_getbinval(versions->vals[i],
															versions->tupdesc, 1,
															&isnull));
		int64		version = GetInt(versions, i, 2, 0);

		entry = hash_search(streams_by_id, &stream_id, HASH_FIND, NULL);
		if (entry != NULL)
			entry->seen = true;
		if (entry == NULL || entry->stream->catalog_version != version)
			changed[nchanged++] = stream_id;
	}

	/* the streams that are gone (a changed one is replaced when loaded) */
	hash_seq_init(&seq, streams_by_id);
	while ((entry = hash_seq_search(&seq)) != NULL)
		if (!entry->seen)
			ForgetStream(entry->stream);

	if (nchanged > 0)
		LoadStreams(changed, nchanged, snapshot);

	UnregisterSnapshot(snapshot);
	SPI_finish();
}

/*
 * Brings the cache up to date.  A refresh that an invalidation overtook
 * leaves it stale, and is made again (a few times: then the caller goes on
 * with what it has, which StreamCatalogIsStale reports as stale).
 */
static void
EnsureCatalog(void)
{
	for (int i = 0; i < 3 && !cache_valid; i++)
		RefreshCatalog();
}

/* The stream of that name, or NULL. */
StreamInfo *
StreamLookupByName(const char *name)
{
	StreamByName *entry;

	EnsureCatalog();
	if (strlen(name) > STREAM_MAX_STREAM_NAME)
		return NULL;
	entry = hash_search(streams_by_name, name, HASH_FIND, NULL);
	return entry ? entry->stream : NULL;
}

/* The stream of that id, or NULL. */
StreamInfo *
StreamLookupById(int32 stream_id)
{
	StreamById *entry;

	EnsureCatalog();
	entry = hash_search(streams_by_id, &stream_id, HASH_FIND, NULL);
	return entry ? entry->stream : NULL;
}

StreamShardInfo *
StreamFindShard(StreamInfo *stream, int32 shard_no)
{
	int			lo = 0,
				hi = stream->nshards - 1;

	/* shards are in shard number order */
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (stream->shards[mid].shard_no == shard_no)
			return &stream->shards[mid];
		if (stream->shards[mid].shard_no < shard_no)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
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
 * Trigger on the catalog tables: tell every backend to refresh its cache
 * when this transaction commits.
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
	/* readers waiting on a shard look again: it may have been closed */
	StreamWaitNoteCatalogChange();
	return PointerGetDatum(NULL);
}

/*
 * Whether a stream has an active registered consumer of a name: read from
 * the catalog, as the extension's owner, at each call that names one.
 */
bool
StreamConsumerExists(int32 stream_id, const char *consumer_name)
{
	StreamSavedUser saved;
	volatile bool found = false;

	StreamBecomeOwner(&saved);
	PG_TRY();
	{
		Oid			argtypes[2] = {INT4OID, TEXTOID};
		Datum		args[2] = {Int32GetDatum(stream_id), CStringGetTextDatum(consumer_name)};
		int			ret;
		Snapshot	snapshot;

		if ((ret = SPI_connect()) != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));
		/* the latest, not the statement's: a call that waits looks again */
		snapshot = RegisterSnapshot(GetLatestSnapshot());
		ret = SPI_execute_snapshot(StreamKeptPlan(&consumer_plan,
											      "SELECT FROM stream.consumers "
											      "WHERE stream_id OPERATOR(pg_catalog.=) $1 "
											      "AND consumer_name OPERATOR(pg_catalog.=) $2 "
											      "AND consumer_status OPERATOR(pg_catalog.=) 'ACTIVE'",
											      2, argtypes),
								   args, NULL, snapshot, InvalidSnapshot, true, false, 1);
		UnregisterSnapshot(snapshot);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "consumer lookup failed: %s", SPI_result_code_string(ret));
		found = SPI_processed > 0;
		SPI_finish();
	}
	PG_FINALLY();
	{
		StreamRestoreUser(&saved);
	}
	PG_END_TRY();
	return found;
}
