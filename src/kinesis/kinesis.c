/*-------------------------------------------------------------------------
 *
 * kinesis.c
 *	  What the Kinesis layer shares: its table of exceptions, the account's
 *	  limits, and the row types of C functions' results.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"
#include "utils/memutils.h"

#include "kinesis/guard.h"
#include "kinesis/kinesis.h"

PG_FUNCTION_INFO_V1(stream_raise);
PG_FUNCTION_INFO_V1(stream_quote);

int			stream_min_retention_period = 24 * 3600;
int			stream_shard_limit = 500;
int			stream_on_demand_stream_limit = 50;

/*
 * The table of API.md's errors: a Kinesis exception, the name SQL raises it
 * by, the name a user sees, and its SQLSTATE.  ResourceInUseException has
 * two SQLSTATEs: 42710 when the name exists already (SQL raises that one as
 * ResourceExistsException), 55006 when the resource is busy.
 */
typedef struct KinesisExceptionInfo
{
	const char *sql_name;
	const char *name;
	int			sqlstate;
} KinesisExceptionInfo;

static const KinesisExceptionInfo exceptions[] = {
	[KINESIS_RESOURCE_NOT_FOUND] = {"ResourceNotFoundException",
		"ResourceNotFoundException", ERRCODE_UNDEFINED_OBJECT},
	[KINESIS_RESOURCE_EXISTS] = {"ResourceExistsException",
		"ResourceInUseException", ERRCODE_DUPLICATE_OBJECT},
	[KINESIS_RESOURCE_IN_USE] = {"ResourceInUseException",
		"ResourceInUseException", ERRCODE_OBJECT_IN_USE},
	[KINESIS_INVALID_ARGUMENT] = {"InvalidArgumentException",
		"InvalidArgumentException", ERRCODE_INVALID_PARAMETER_VALUE},
	[KINESIS_LIMIT_EXCEEDED] = {"LimitExceededException",
		"LimitExceededException", ERRCODE_PROGRAM_LIMIT_EXCEEDED},
	[KINESIS_THROUGHPUT_EXCEEDED] = {"ProvisionedThroughputExceededException",
		"ProvisionedThroughputExceededException",
	ERRCODE_STREAM_THROUGHPUT_EXCEEDED},
	[KINESIS_EXPIRED_ITERATOR] = {"ExpiredIteratorException",
		"ExpiredIteratorException", ERRCODE_STREAM_EXPIRED_ITERATOR},
	[KINESIS_EXPIRED_NEXT_TOKEN] = {"ExpiredNextTokenException",
		"ExpiredNextTokenException", ERRCODE_STREAM_EXPIRED_NEXT_TOKEN},
	[KINESIS_KMS_NOT_FOUND] = {"KMSNotFoundException", "KMSNotFoundException",
	ERRCODE_STREAM_KMS},
	[KINESIS_KMS_DISABLED] = {"KMSDisabledException", "KMSDisabledException",
	ERRCODE_STREAM_KMS},
	[KINESIS_KMS_INVALID_STATE] = {"KMSInvalidStateException",
		"KMSInvalidStateException", ERRCODE_STREAM_KMS},
	[KINESIS_ACCESS_DENIED] = {"AccessDeniedException",
		"AccessDeniedException", ERRCODE_INSUFFICIENT_PRIVILEGE},
};

int
KinesisErrcode(KinesisException exception)
{
	return exceptions[exception].sqlstate;
}

const char *
KinesisExceptionName(KinesisException exception)
{
	return exceptions[exception].name;
}

const char *
KinesisExceptionOfError(int sqlerrcode, const char *detail)
{
	static const char prefix[] = "The Kinesis exception is ";

	for (int i = 0; i < (int) lengthof(exceptions); i++)
	{
		const char *name = exceptions[i].name;

		/* by the DETAIL that errkinesis writes: KS004 has three */
		if (detail && strncmp(detail, prefix, strlen(prefix)) == 0 &&
			strncmp(detail + strlen(prefix), name, strlen(name)) == 0 &&
			detail[strlen(prefix) + strlen(name)] == '.')
			return name;
	}
	for (int i = 0; i < (int) lengthof(exceptions); i++)
		if (exceptions[i].sqlstate == sqlerrcode)
			return exceptions[i].name;
	if (ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_DATA_EXCEPTION)
		return exceptions[KINESIS_INVALID_ARGUMENT].name;
	return NULL;
}

const char *
StreamQuote(const char *value)
{
	int			len = strlen(value);

	if (len <= STREAM_QUOTE_MAX)
		return value;
	return psprintf("%.*s...", pg_mbcliplen(value, len, STREAM_QUOTE_MAX), value);
}

/* stream_internal.quote(value text) RETURNS text: StreamQuote for the SQL */
Datum
stream_quote(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	int			len = VARSIZE_ANY_EXHDR(value);

	if (len > STREAM_QUOTE_MAX)
		len = pg_mbcliplen(VARDATA_ANY(value), len, STREAM_QUOTE_MAX);
	if (len == (int) VARSIZE_ANY_EXHDR(value))
		PG_RETURN_TEXT_P(value);
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%.*s...", len, VARDATA_ANY(value))));
}

void
KinesisInit(void)
{
	DefineCustomIntVariable("stream.min_retention_period",
							"Shortest retention period that stream.set_retention_period accepts.",
							"Lower it only for tests and demos.",
							&stream_min_retention_period, 24 * 3600, 1, 8760 * 3600,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.shard_limit",
							"Most open shards of all streams in a database.",
							NULL, &stream_shard_limit, 500, 1, 1000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.on_demand_stream_limit",
							"Most streams in on-demand mode in a database.",
							NULL, &stream_on_demand_stream_limit, 50, 0, 1000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
}

/*
 * stream_internal.raise(exception text, message text, hint text DEFAULT NULL)
 *
 * Raises a Kinesis exception for the extension's SQL, from the same table
 * as the C code's errors.  The message comes formatted: PL/pgSQL's messages
 * are not translated.
 */
Datum
stream_raise(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *message = PG_ARGISNULL(1) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *hint = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));

	if (PG_ARGISNULL(0))
		elog(ERROR, "stream_internal.raise needs the name of an exception");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	for (int i = 0; i < (int) lengthof(exceptions); i++)
	{
		if (strcmp(exceptions[i].sql_name, name) != 0)
			continue;
		ereport(ERROR,
				errkinesis((KinesisException) i),
				errmsg_internal("%s", message),
				hint ? errhint("%s", hint) : 0);
	}
	elog(ERROR, "unknown Kinesis exception \"%s\"", name);
	PG_RETURN_VOID();
}

/*
 * The blessed row type of a function's OUT parameters, built once per
 * backend: get_call_result_type rebuilds it from pg_proc on every call, a
 * microsecond that put_record in autocommit pays per record.  A function
 * that is dropped and made again has a new OID, so the cache cannot go
 * stale; it holds the few C functions that return a row.  Once it is full
 * (the extension dropped and made again in one backend), a row type is
 * built for the call, in the call's memory.
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
	if (n_result_descs == RESULT_DESC_CACHE_SIZE)
		return BlessTupleDesc(desc);
	old = MemoryContextSwitchTo(TopMemoryContext);
	desc = BlessTupleDesc(CreateTupleDescCopy(desc));
	MemoryContextSwitchTo(old);
	result_descs[n_result_descs].fn_oid = fn_oid;
	result_descs[n_result_descs].desc = desc;
	n_result_descs++;
	return desc;
}

void
StreamCheckRowType(Oid type, int natts, const Oid *types)
{
	TupleDesc	desc = lookup_rowtype_tupdesc(type, -1);
	bool		as_made = desc->natts == natts;

	for (int i = 0; as_made && i < natts; i++)
		as_made = !TupleDescAttr(desc, i)->attisdropped &&
			TupleDescAttr(desc, i)->atttypid == types[i];
	ReleaseTupleDesc(desc);
	if (!as_made)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("type %s is not as extension \"stream\" made it",
						format_type_be(type)),
				 errdetail("It must have the %d columns of the extension's script.", natts),
				 errhint("Undo the ALTER TYPE that changed it.")));
}

/*
 * The privileges that the DDL gave others than the relation's owner: the
 * default privileges (ALTER DEFAULT PRIVILEGES) of the role creating it,
 * which would let their grantees read a stream's segments, or hold a
 * stream's privileges, unseen by stream.privileges.
 */
static const char *const others_privileges =
"SELECT DISTINCT pg_catalog.format('REVOKE ALL ON %I.%I FROM %s', $1, $2, "
"  CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC' "
"       ELSE pg_catalog.quote_ident(r.rolname) END) "
"FROM pg_catalog.pg_class c "
"CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a "
"LEFT JOIN pg_catalog.pg_authid r ON r.oid OPERATOR(pg_catalog.=) a.grantee "
"WHERE c.oid OPERATOR(pg_catalog.=) $3 "
"  AND a.grantee OPERATOR(pg_catalog.<>) c.relowner";

Oid
StreamCreateMemberRelation(const char *schema, const char *relname,
						   const char *ddl)
{
	ObjectAddress relation;
	ObjectAddress extension;
	Oid			relid;
	volatile int ret = 0;
	int			nestlevel = NewGUCNestLevel();
	Oid			argtypes[3] = {TEXTOID, TEXTOID, OIDOID};
	Datum		args[3];
	List	   *revokes = NIL;
	ListCell   *cell;

	/*
	 * In the database's default tablespace, whatever the session (a role's
	 * or the database's settings, which the worker takes too) says: the
	 * calling role may have no CREATE on the one it names.
	 */
	(void) set_config_option("default_tablespace", "", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	StreamGuardAllow(true);
	PG_TRY();
	{
		ret = SPI_execute(ddl, false, 0);
	}
	PG_FINALLY();
	{
		StreamGuardAllow(false);
	}
	PG_END_TRY();
	if (ret != SPI_OK_UTILITY)
		elog(ERROR, "could not create %s.%s: %d", schema, relname, ret);
	relid = get_relname_relid(relname, get_namespace_oid(schema, false));

	args[0] = CStringGetTextDatum(schema);
	args[1] = CStringGetTextDatum(relname);
	args[2] = ObjectIdGetDatum(relid);
	if (SPI_execute_with_args(others_privileges, 3, argtypes, args, NULL,
							  false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the privileges of %s.%s", schema, relname);
	for (uint64 i = 0; i < SPI_processed; i++)
		revokes = lappend(revokes, SPI_getvalue(SPI_tuptable->vals[i],
												SPI_tuptable->tupdesc, 1));
	foreach(cell, revokes)
	{
		if (SPI_execute(lfirst(cell), false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not run %s", (char *) lfirst(cell));
	}
	SPI_finish();
	AtEOXact_GUC(true, nestlevel);

	ObjectAddressSet(relation, RelationRelationId, relid);
	ObjectAddressSet(extension, ExtensionRelationId,
					 get_extension_oid("stream", false));
	recordDependencyOn(&relation, &extension, DEPENDENCY_EXTENSION);
	return relid;
}

void
StreamDropMemberRelation(Oid relid)
{
	ObjectAddress relation;

	ObjectAddressSet(relation, RelationRelationId, relid);
	performDeletion(&relation, DROP_RESTRICT,
					PERFORM_DELETION_INTERNAL | PERFORM_DELETION_SKIP_EXTENSIONS);
}
