/*-------------------------------------------------------------------------
 *
 * stream.c
 *	  Entry point of the stream extension: settings, the WAL resource
 *	  manager, hooks, and small SQL helpers.
 *
 * The library must be in shared_preload_libraries: the resource manager that
 * replays stream records has to be registered before recovery starts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"

#include "catalog.h"
#include "hashkey.h"
#include "log_am.h"
#include "log_wal.h"
#include "quota.h"
#include "stream.h"
#include "worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

PG_FUNCTION_INFO_V1(stream_assert_preloaded);
PG_FUNCTION_INFO_V1(stream_random_bytes);

bool		stream_preloaded = false;
char	   *stream_region = NULL;
char	   *stream_account_id = NULL;
int			stream_iterator_ttl = 300;
int			stream_min_retention_period = 24 * 3600;
int			stream_shard_limit = 500;
bool		stream_maintenance_worker = true;
int			stream_maintenance_interval = 1000;
int			stream_segment_size = 64 * 1024 * 1024 / BLCKSZ;
int			stream_shard_write_bytes_per_second = 1024 * 1024;
int			stream_shard_write_records_per_second = 1000;
int			stream_shard_read_bytes_per_second = 2 * 1024 * 1024;
int			stream_shard_read_calls_per_second = 5;
int			stream_on_demand_scaling_window = 60;

static post_parse_analyze_hook_type prev_post_parse_analyze_hook = NULL;

/*
 * Refuses UPDATE, DELETE and MERGE on stream storage when the statement is
 * analyzed, so that the refusal does not depend on a row being hit.
 */
static void
StreamPostParseAnalyze(ParseState *pstate, Query *query, JumbleState *jstate)
{
	if (prev_post_parse_analyze_hook)
		prev_post_parse_analyze_hook(pstate, query, jstate);

	if ((query->commandType == CMD_UPDATE || query->commandType == CMD_DELETE ||
		 query->commandType == CMD_MERGE) && query->resultRelation > 0)
	{
		RangeTblEntry *rte = rt_fetch(query->resultRelation, query->rtable);
		Relation	rel;
		bool		is_stream;

		if (rte->rtekind != RTE_RELATION || rte->relkind != RELKIND_RELATION)
			return;
		rel = table_open(rte->relid, NoLock);
		is_stream = RelationIsStreamLog(rel);
		if (is_stream)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot %s stream storage \"%s\"",
							query->commandType == CMD_UPDATE ? "update" :
							query->commandType == CMD_DELETE ? "delete from" :
							"merge into",
							RelationGetRelationName(rel)),
					 errdetail("Records are written only by stream.put_record and stream.put_records, and leave only by expiring.")));
		table_close(rel, NoLock);
	}
}

static void
DefineSettings(void)
{
	DefineCustomStringVariable("stream.region",
							   "Region shown in stream ARNs.",
							   NULL, &stream_region, "local-1",
							   PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("stream.account_id",
							   "Account id shown in stream ARNs.",
							   NULL, &stream_account_id, "000000000000",
							   PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.iterator_ttl",
							"How long a shard iterator stays valid after it is issued.",
							NULL, &stream_iterator_ttl, 300, 1, 24 * 3600,
							PGC_USERSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.min_retention_period",
							"Shortest retention period that stream.set_retention_period accepts.",
							"Lower it only for tests and demos.",
							&stream_min_retention_period, 24 * 3600, 1, 8760 * 3600,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.shard_limit",
							"Most open shards of all streams in a database.",
							NULL, &stream_shard_limit, 500, 1, 1000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("stream.maintenance_worker",
							 "Runs stream.run_maintenance() in a background worker in every database that has the extension.",
							 "Turn it off to schedule the same call with pg_cron (stream.schedule_maintenance).",
							 &stream_maintenance_worker, true,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.maintenance_interval",
							"Time between two maintenance passes of the background worker.",
							NULL, &stream_maintenance_interval, 1000, 10, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.segment_size",
							"Size at which a segment of a shard's log is closed and the next one begun.",
							"A segment also closes when its oldest record is older than a twentieth of the stream's retention period.",
							&stream_segment_size, 64 * 1024 * 1024 / BLCKSZ,
							16, STREAM_MAX_SEGMENT_BLOCKS / 2,
							PGC_SUSET, GUC_UNIT_BLOCKS, NULL, NULL, NULL);

	/*
	 * Quotas bind the sessions that call, so users may not lift them; a
	 * superuser may, for a session or a role.
	 */
	DefineCustomIntVariable("stream.shard_write_bytes_per_second",
							"Bytes of data and partition keys that one shard takes per second (0: no limit).",
							NULL, &stream_shard_write_bytes_per_second,
							1024 * 1024, 0, PG_INT32_MAX,
							PGC_SUSET, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.shard_write_records_per_second",
							"Records that one shard takes per second (0: no limit).",
							NULL, &stream_shard_write_records_per_second,
							1000, 0, PG_INT32_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.shard_read_bytes_per_second",
							"Bytes that get_records returns per second from one shard (0: no limit).",
							NULL, &stream_shard_read_bytes_per_second,
							2 * 1024 * 1024, 0, PG_INT32_MAX,
							PGC_SUSET, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.shard_read_calls_per_second",
							"get_records calls that one shard serves per second (0: no limit).",
							NULL, &stream_shard_read_calls_per_second,
							5, 0, PG_INT32_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.on_demand_scaling_window",
							"How long a shard of an on-demand stream must stay hot before it is split, or cold before it is merged.",
							"The write rate is a moving average over this time.",
							&stream_on_demand_scaling_window, 60, 1, 24 * 3600,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	MarkGUCPrefixReserved("stream");
}

void
_PG_init(void)
{
	DefineSettings();
	StreamCatalogInit();

	if (!process_shared_preload_libraries_in_progress)
		return;

	stream_preloaded = true;
	StreamRegisterRmgr();
	StreamWorkerInit();
	StreamQuotaInit();
	prev_post_parse_analyze_hook = post_parse_analyze_hook;
	post_parse_analyze_hook = StreamPostParseAnalyze;
}

/*
 * Called by the extension script: CREATE EXTENSION fails unless the library
 * was preloaded.
 */
Datum
stream_assert_preloaded(PG_FUNCTION_ARGS)
{
	if (!stream_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("stream must be loaded via shared_preload_libraries"),
				 errdetail("Its WAL resource manager must be registered before the server replays WAL."),
				 errhint("Add 'stream' to shared_preload_libraries in postgresql.conf and restart the server.")));
	PG_RETURN_VOID();
}

/* Random bytes from the operating system, for keys. */
Datum
stream_random_bytes(PG_FUNCTION_ARGS)
{
	int32		len = PG_GETARG_INT32(0);
	bytea	   *result;

	if (len < 1 || len > 1024)
		elog(ERROR, "invalid length %d", len);
	result = palloc(VARHDRSZ + len);
	SET_VARSIZE(result, VARHDRSZ + len);
	if (!pg_strong_random(VARDATA(result), len))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random bytes")));
	PG_RETURN_BYTEA_P(result);
}

/* Raises InvalidArgumentException with a message already formatted. */
void
StreamInvalidArgument(const char *message)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg_internal("%s", message),
			 errkinesis("InvalidArgumentException")));
}

Datum
StreamSeqToNumeric(int64 seq)
{
	return NumericGetDatum(int64_to_numeric(seq));
}

/*
 * A sequence number given by a user.  Anything that is not a non-negative
 * integer that fits is an InvalidArgumentException.
 */
int64
StreamSeqFromNumeric(Datum num, const char *what)
{
	StreamHashKey value;

	if (!StreamHashKeyFromNumeric(num, &value) || value > (StreamHashKey) PG_INT64_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s %s", what,
						DatumGetCString(DirectFunctionCall1(numeric_out, num))),
				 errkinesis("InvalidArgumentException")));
	return (int64) value;
}

/*
 * The blessed row type of a function's OUT parameters, built once per
 * backend: get_call_result_type rebuilds it from pg_proc on every call, a
 * microsecond that put_record in autocommit pays per record.  A function
 * that is dropped and made again has a new OID, so the cache cannot go
 * stale; it holds the few C functions that return a row.
 */
#define RESULT_DESC_CACHE_SIZE 8

typedef struct ResultDescEntry
{
	Oid			fn_oid;
	TupleDesc	desc;
} ResultDescEntry;

static ResultDescEntry result_descs[RESULT_DESC_CACHE_SIZE];
static int	n_result_descs = 0;

TupleDesc
StreamResultDesc(FunctionCallInfo fcinfo)
{
	Oid			fn_oid = fcinfo->flinfo->fn_oid;
	TupleDesc	desc;
	MemoryContext old;

	for (int i = 0; i < n_result_descs; i++)
		if (result_descs[i].fn_oid == fn_oid)
			return result_descs[i].desc;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	old = MemoryContextSwitchTo(TopMemoryContext);
	desc = BlessTupleDesc(CreateTupleDescCopy(desc));
	MemoryContextSwitchTo(old);
	if (n_result_descs < RESULT_DESC_CACHE_SIZE)
	{
		result_descs[n_result_descs].fn_oid = fn_oid;
		result_descs[n_result_descs].desc = desc;
		n_result_descs++;
	}
	return desc;
}
