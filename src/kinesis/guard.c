/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  DDL cannot break streams: statements that would alter the extension's
 *	  objects (segments, the streams' views, the catalog tables, the types
 *	  and functions of the schemas stream and stream_internal) are refused.
 *
 * A segment whose access method, columns, schema or name changed is no
 * longer a log the extension can read, and a changed composite type makes
 * the rows it returns wrong.  PostgreSQL lets a superuser alter an
 * extension's members, so a ProcessUtility hook looks at what each
 * statement names before it runs:
 *
 *	- ALTER TABLE (and ALTER VIEW, ALTER TYPE ... ATTRIBUTE, ...) of one of
 *	  them is refused unless it only moves it to another tablespace, which
 *	  copies the pages as they are (log_am.c);
 *	- renaming, moving to another schema, changing the owner, security
 *	  labels, ALTER FUNCTION, ALTER TYPE, ALTER SEQUENCE, and ALTER
 *	  EXTENSION stream ADD or DROP are refused;
 *	- so is making an index, trigger, rule, policy or statistics object on
 *	  them, a table that inherits one, or truncating them.
 *
 * GRANT, REVOKE, COMMENT, LOCK, VACUUM (FULL too), ANALYZE, CLUSTER and
 * REINDEX stay allowed: they change no structure (VACUUM FULL and CLUSTER
 * copy a segment's pages unchanged).  The extension's own scripts
 * (CREATE/ALTER EXTENSION) and its own DDL (StreamGuardAllow) pass, and
 * a superuser may turn the guard off (stream.ddl_guard) to repair by hand.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "kinesis/guard.h"

static ProcessUtility_hook_type prev_ProcessUtility_hook = NULL;

/* > 0 while the extension runs DDL of its own (StreamGuardAllow) */
static int	guard_allowed = 0;

/* stream.ddl_guard: off lets a superuser repair what the guard protects */
static bool stream_ddl_guard = true;

/* The schemas whose objects are guarded, when they are the extension's */
static const char *const guarded_schemas[] = {
	"stream", "stream_internal", "stream_data", "stream_acl"
};

/* Whether a schema is one of the extension's. */
static bool
IsGuardedNamespace(Oid nspid)
{
	char	   *name = get_namespace_name(nspid);
	Oid			extension;

	if (name == NULL)
		return false;
	for (int i = 0; i < (int) lengthof(guarded_schemas); i++)
	{
		if (strcmp(name, guarded_schemas[i]) != 0)
			continue;
		/* a schema of that name in a database without the extension is not */
		extension = get_extension_oid("stream", true);
		return OidIsValid(extension) &&
			getExtensionOfObject(NamespaceRelationId, nspid) == extension;
	}
	return false;
}

static bool
IsGuardedRelation(Oid relid)
{
	return OidIsValid(relid) && IsGuardedNamespace(get_rel_namespace(relid));
}

static Oid
TypeNamespace(Oid typid)
{
	HeapTuple	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	Oid			nspid;

	if (!HeapTupleIsValid(tuple))
		return InvalidOid;
	nspid = ((Form_pg_type) GETSTRUCT(tuple))->typnamespace;
	ReleaseSysCache(tuple);
	return nspid;
}

/* Whether an object (or a part of one: a column, a trigger, ...) is guarded. */
static bool
IsGuardedObject(ObjectAddress address, Relation relation)
{
	if (relation != NULL)
		return IsGuardedRelation(RelationGetRelid(relation));
	if (!OidIsValid(address.objectId))
		return false;
	switch (address.classId)
	{
		case RelationRelationId:
			return IsGuardedRelation(address.objectId);
		case TypeRelationId:
			return IsGuardedNamespace(TypeNamespace(address.objectId));
		case ProcedureRelationId:
			return IsGuardedNamespace(get_func_namespace(address.objectId));
		case NamespaceRelationId:
			return IsGuardedNamespace(address.objectId);
		default:
			return false;
	}
}

/* Whether what a statement names, by a RangeVar or by an object name, is. */
static bool
NamesGuardedObject(ObjectType type, RangeVar *relation, Node *object)
{
	ObjectAddress address;
	Relation	rel = NULL;
	bool		guarded;

	if (relation != NULL)
		return IsGuardedRelation(RangeVarGetRelid(relation, NoLock, true));
	if (object == NULL)
		return false;
	/* ALTER TYPE name RENAME, OWNER, SET SCHEMA give the name as a list */
	if ((type == OBJECT_TYPE || type == OBJECT_DOMAIN) && IsA(object, List))
		object = (Node *) makeTypeNameFromNameList((List *) object);
	address = get_object_address(type, object, &rel, AccessShareLock, true);
	guarded = IsGuardedObject(address, rel);
	if (rel != NULL)
		relation_close(rel, NoLock);
	return guarded;
}

static bool
AnyGuardedRelation(List *rangevars)
{
	ListCell   *cell;

	foreach(cell, rangevars)
	{
		if (IsA(lfirst(cell), RangeVar) &&
			IsGuardedRelation(RangeVarGetRelid(lfirst_node(RangeVar, cell),
											   NoLock, true)))
			return true;
	}
	return false;
}

/* ALTER TABLE that only moves the relation to another tablespace */
static bool
OnlySetsTablespace(AlterTableStmt *stmt)
{
	ListCell   *cell;

	foreach(cell, stmt->cmds)
	{
		if (lfirst_node(AlterTableCmd, cell)->subtype != AT_SetTableSpace)
			return false;
	}
	return true;
}

/* Whether a statement alters a guarded object, as the comment above says. */
static bool
AltersGuardedObject(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_AlterTableStmt:
			{
				AlterTableStmt *stmt = (AlterTableStmt *) parsetree;

				return !OnlySetsTablespace(stmt) &&
					NamesGuardedObject(stmt->objtype, stmt->relation, NULL);
			}
		case T_RenameStmt:
			{
				RenameStmt *stmt = (RenameStmt *) parsetree;

				/* ALTER SCHEMA name RENAME names it in subname */
				if (stmt->renameType == OBJECT_SCHEMA)
					return NamesGuardedObject(OBJECT_SCHEMA, NULL,
											  (Node *) makeString(stmt->subname));
				return NamesGuardedObject(stmt->renameType, stmt->relation,
										  stmt->object);
			}
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *stmt = (AlterObjectSchemaStmt *) parsetree;

				return NamesGuardedObject(stmt->objectType, stmt->relation,
										  stmt->object);
			}
		case T_AlterOwnerStmt:
			{
				AlterOwnerStmt *stmt = (AlterOwnerStmt *) parsetree;

				return NamesGuardedObject(stmt->objectType, stmt->relation,
										  stmt->object);
			}
		case T_SecLabelStmt:
			{
				SecLabelStmt *stmt = (SecLabelStmt *) parsetree;

				return NamesGuardedObject(stmt->objtype, NULL, stmt->object);
			}
		case T_AlterFunctionStmt:
			{
				AlterFunctionStmt *stmt = (AlterFunctionStmt *) parsetree;

				return NamesGuardedObject(stmt->objtype, NULL,
										  (Node *) stmt->func);
			}
		case T_AlterTypeStmt:
			return NamesGuardedObject(OBJECT_TYPE, NULL,
									  (Node *) makeTypeNameFromNameList(((AlterTypeStmt *) parsetree)->typeName));
		case T_AlterSeqStmt:
			return NamesGuardedObject(OBJECT_SEQUENCE,
									  ((AlterSeqStmt *) parsetree)->sequence, NULL);
		case T_AlterExtensionContentsStmt:
			return strcmp(((AlterExtensionContentsStmt *) parsetree)->extname,
						  "stream") == 0;
		case T_CreateTrigStmt:
			return NamesGuardedObject(OBJECT_TABLE,
									  ((CreateTrigStmt *) parsetree)->relation, NULL);
		case T_IndexStmt:
			return NamesGuardedObject(OBJECT_TABLE,
									  ((IndexStmt *) parsetree)->relation, NULL);
		case T_RuleStmt:
			return NamesGuardedObject(OBJECT_TABLE,
									  ((RuleStmt *) parsetree)->relation, NULL);
		case T_CreatePolicyStmt:
			return NamesGuardedObject(OBJECT_TABLE,
									  ((CreatePolicyStmt *) parsetree)->table, NULL);
		case T_AlterPolicyStmt:
			return NamesGuardedObject(OBJECT_TABLE,
									  ((AlterPolicyStmt *) parsetree)->table, NULL);
		case T_CreateStatsStmt:
			return AnyGuardedRelation(((CreateStatsStmt *) parsetree)->relations);
		case T_CreateStmt:
			return AnyGuardedRelation(((CreateStmt *) parsetree)->inhRelations);
		case T_TruncateStmt:
			return AnyGuardedRelation(((TruncateStmt *) parsetree)->relations);
		default:
			return false;
	}
}

static void
GuardProcessUtility(PlannedStmt *pstmt, const char *queryString,
					bool readOnlyTree, ProcessUtilityContext context,
					ParamListInfo params, QueryEnvironment *queryEnv,
					DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (stream_ddl_guard && guard_allowed == 0 && !creating_extension &&
		AltersGuardedObject(parsetree))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s is not allowed on the objects of extension \"stream\"",
						CreateCommandName(parsetree)),
				 errdetail("Streams depend on their segments, views, catalog tables, types and functions as the extension made them."),
				 IsA(parsetree, AlterTableStmt) ?
				 errhint("Of ALTER TABLE, only SET TABLESPACE is allowed on them.") : 0));

	if (prev_ProcessUtility_hook)
		prev_ProcessUtility_hook(pstmt, queryString, readOnlyTree, context,
								 params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

void
StreamGuardAllow(bool allow)
{
	guard_allowed += allow ? 1 : -1;
	Assert(guard_allowed >= 0);
}

void
GuardInit(void)
{
	DefineCustomBoolVariable("stream.ddl_guard",
							 "Refuses DDL that would alter the objects of the stream extension.",
							 "Off only to repair them by hand: altered segments, catalog tables or types break streams.",
							 &stream_ddl_guard, true, PGC_SUSET, 0,
							 NULL, NULL, NULL);
	prev_ProcessUtility_hook = ProcessUtility_hook;
	ProcessUtility_hook = GuardProcessUtility;
}
