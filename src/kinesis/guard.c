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
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parse_type.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "kinesis/guard.h"

static ProcessUtility_hook_type prev_ProcessUtility_hook = NULL;

/* > 0 while the extension runs DDL of its own (StreamGuardAllow) */
static int	guard_allowed = 0;

/*
 * Where the statement running stands: checked as any other (GUARD_CHECKED);
 * the extension's own, with the parts PostgreSQL makes of it (an identity's
 * sequence, a primary key's index: GUARD_EXEMPT); or run by one of those in
 * turn, by an event trigger or a function, which is checked again, down to
 * the bottom (GUARD_RECHECKED).
 */
typedef enum GuardState
{
	GUARD_CHECKED,
	GUARD_EXEMPT,
	GUARD_RECHECKED
} GuardState;

static GuardState guard_state = GUARD_CHECKED;

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

/* Whether a name that may be qualified (a List of String) is in a guarded schema */
static bool
IsGuardedName(List *names)
{
	char	   *objname;

	return IsGuardedNamespace(QualifiedNameGetCreationNamespace(names, &objname));
}

/*
 * Whether a RangeVar names a guarded relation, or a relation to be made in
 * a guarded schema.
 */
static bool
IsGuardedRangeVar(RangeVar *rv)
{
	Oid			relid;

	if (rv == NULL)
		return false;
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (OidIsValid(relid))
		return IsGuardedRelation(relid);
	if (rv->relpersistence == RELPERSISTENCE_TEMP)
		return false;
	return IsGuardedNamespace(RangeVarGetCreationNamespace(rv));
}

static bool
IsGuardedTypeName(TypeName *name)
{
	Type		type;
	bool		guarded;

	if (name == NULL)
		return false;
	type = LookupTypeName(NULL, name, NULL, true);
	if (type == NULL)
		return false;
	guarded = IsGuardedNamespace(((Form_pg_type) GETSTRUCT(type))->typnamespace);
	ReleaseSysCache(type);
	return guarded;
}

/*
 * Whether what a statement names, by a RangeVar or by an object name, is
 * guarded.  Only the kinds of objects the extension has are looked up, in
 * the shapes the grammar gives them; any other kind is not guarded.
 */
static bool
NamesGuardedObject(ObjectType type, RangeVar *relation, Node *object)
{
	ObjectAddress address;
	Relation	rel = NULL;
	bool		guarded;

	if (relation != NULL)
		return IsGuardedRangeVar(relation);
	if (object == NULL)
		return false;
	switch (type)
	{
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
			/* RENAME, OWNER TO and SET SCHEMA give the name as a list */
			if (IsA(object, List))
				object = (Node *) makeTypeNameFromNameList((List *) object);
			return IsA(object, TypeName) && IsGuardedTypeName((TypeName *) object);
		case OBJECT_TABLE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_FOREIGN_TABLE:
		case OBJECT_SEQUENCE:
		case OBJECT_INDEX:
		case OBJECT_COLUMN:
		case OBJECT_TRIGGER:
		case OBJECT_RULE:
		case OBJECT_POLICY:
		case OBJECT_TABCONSTRAINT:
		case OBJECT_STATISTIC_EXT:
			if (!IsA(object, List))
				return false;
			break;
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
		case OBJECT_AGGREGATE:
			if (!IsA(object, ObjectWithArgs))
				return false;
			break;
		case OBJECT_SCHEMA:
			if (!IsA(object, String))
				return false;
			break;
		default:
			return false;
	}
	address = get_object_address(type, object, &rel, AccessShareLock, true);
	guarded = IsGuardedObject(address, rel);
	if (rel != NULL)
		relation_close(rel, NoLock);
	return guarded;
}

static bool
AnyGuardedRangeVar(List *rangevars)
{
	ListCell   *cell;

	foreach(cell, rangevars)
	{
		if (IsA(lfirst(cell), RangeVar) && IsGuardedRangeVar(lfirst(cell)))
			return true;
	}
	return false;
}

/* Whether a list of constraints has a foreign key to a guarded table */
static bool
AnyForeignKeyToGuarded(List *constraints)
{
	ListCell   *cell;

	foreach(cell, constraints)
	{
		Constraint *constraint = (Constraint *) lfirst(cell);

		if (IsA(constraint, Constraint) && constraint->contype == CONSTR_FOREIGN &&
			IsGuardedRangeVar(constraint->pktable))
			return true;
	}
	return false;
}

/*
 * CREATE TABLE (and CREATE FOREIGN TABLE): made in a guarded schema, or
 * inheriting, typed by, a partition of, or with a foreign key to a guarded
 * object.
 */
static bool
CreatesOnGuarded(CreateStmt *stmt)
{
	ListCell   *cell;

	if (IsGuardedRangeVar(stmt->relation) ||
		AnyGuardedRangeVar(stmt->inhRelations) ||
		IsGuardedTypeName(stmt->ofTypename) ||
		AnyForeignKeyToGuarded(stmt->constraints))
		return true;
	foreach(cell, stmt->tableElts)
	{
		Node	   *element = lfirst(cell);

		if ((IsA(element, Constraint) &&
			 AnyForeignKeyToGuarded(list_make1(element))) ||
			(IsA(element, ColumnDef) &&
			 AnyForeignKeyToGuarded(((ColumnDef *) element)->constraints)))
			return true;
	}
	return false;
}

/*
 * ALTER TABLE: of a guarded relation, anything but SET TABLESPACE; of
 * another, what ties it to a guarded one (inheritance, partition, type,
 * foreign key).
 */
static bool
AltersTableOnGuarded(AlterTableStmt *stmt)
{
	ListCell   *cell;
	bool		only_tablespace = true;

	foreach(cell, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, cell);

		if (cmd->subtype != AT_SetTableSpace)
			only_tablespace = false;
		switch (cmd->subtype)
		{
			case AT_AddInherit:
				if (IsGuardedRangeVar((RangeVar *) cmd->def))
					return true;
				break;
			case AT_AttachPartition:
				if (IsGuardedRangeVar(((PartitionCmd *) cmd->def)->name))
					return true;
				break;
			case AT_AddOf:
				if (IsGuardedTypeName((TypeName *) cmd->def))
					return true;
				break;
			case AT_AddConstraint:
				if (AnyForeignKeyToGuarded(list_make1(cmd->def)))
					return true;
				break;
			case AT_AddColumn:
				if (IsA(cmd->def, ColumnDef) &&
					AnyForeignKeyToGuarded(((ColumnDef *) cmd->def)->constraints))
					return true;
				break;
			default:
				break;
		}
	}
	return !only_tablespace && IsGuardedRangeVar(stmt->relation);
}

/*
 * GRANT (not REVOKE) that would let others into the extension: CREATE on
 * its schemas (a function there could be picked up by a superuser's call),
 * or anything on its relations and internal functions.  The privileges of
 * streams (stream_acl) and EXECUTE on the API (stream) stay grantable.
 */
static bool
GrantsIntoGuarded(GrantStmt *stmt)
{
	ListCell   *cell;

	if (!stmt->is_grant)
		return false;
	foreach(cell, stmt->objects)
	{
		Node	   *object = lfirst(cell);
		Oid			nspid = InvalidOid;
		char	   *nspname;

		if (stmt->targtype == ACL_TARGET_ALL_IN_SCHEMA)
			nspid = get_namespace_oid(strVal(object), true);
		else if (stmt->objtype == OBJECT_SCHEMA)
		{
			ListCell   *priv;
			bool		create = (stmt->privileges == NIL);

			foreach(priv, stmt->privileges)
				if (strcmp(((AccessPriv *) lfirst(priv))->priv_name, "create") == 0)
					create = true;
			if (create && IsGuardedNamespace(get_namespace_oid(strVal(object), true)))
				return true;
			continue;
		}
		else if (stmt->objtype == OBJECT_TABLE || stmt->objtype == OBJECT_SEQUENCE)
			nspid = get_rel_namespace(RangeVarGetRelid((RangeVar *) object, NoLock, true));
		else if ((stmt->objtype == OBJECT_FUNCTION || stmt->objtype == OBJECT_PROCEDURE ||
				  stmt->objtype == OBJECT_ROUTINE) && IsA(object, ObjectWithArgs))
		{
			Relation	rel = NULL;
			ObjectAddress address = get_object_address(stmt->objtype, object, &rel,
													   AccessShareLock, true);

			if (OidIsValid(address.objectId))
				nspid = get_func_namespace(address.objectId);
		}
		if (!IsGuardedNamespace(nspid))
			continue;
		nspname = get_namespace_name(nspid);
		if (strcmp(nspname, "stream_acl") == 0 ||
			(strcmp(nspname, "stream") == 0 &&
			 stmt->objtype != OBJECT_TABLE && stmt->objtype != OBJECT_SEQUENCE))
			continue;
		return true;
	}
	return false;
}

/*
 * DROP of what is not a member of the extension (PostgreSQL refuses to drop
 * those) but part of one: an index, trigger, rule, policy or statistics
 * object on a guarded table.
 */
static bool
DropsGuarded(DropStmt *stmt)
{
	ListCell   *cell;

	foreach(cell, stmt->objects)
	{
		if (NamesGuardedObject(stmt->removeType, NULL, lfirst(cell)))
			return true;
	}
	return false;
}

/* Whether a statement alters a guarded object, as the comment above says. */
static bool
AltersGuardedObject(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_AlterTableStmt:
			return AltersTableOnGuarded((AlterTableStmt *) parsetree);
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
		case T_AlterObjectDependsStmt:
			{
				AlterObjectDependsStmt *stmt = (AlterObjectDependsStmt *) parsetree;

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
			return IsGuardedTypeName(makeTypeNameFromNameList(((AlterTypeStmt *) parsetree)->typeName));
		case T_AlterSeqStmt:
			return IsGuardedRangeVar(((AlterSeqStmt *) parsetree)->sequence);
		case T_AlterExtensionContentsStmt:
			return strcmp(((AlterExtensionContentsStmt *) parsetree)->extname,
						  "stream") == 0;
		case T_CreateTrigStmt:
			return IsGuardedRangeVar(((CreateTrigStmt *) parsetree)->relation);
		case T_IndexStmt:
			return IsGuardedRangeVar(((IndexStmt *) parsetree)->relation);
		case T_RuleStmt:
			return IsGuardedRangeVar(((RuleStmt *) parsetree)->relation);
		case T_CreatePolicyStmt:
			return IsGuardedRangeVar(((CreatePolicyStmt *) parsetree)->table);
		case T_AlterPolicyStmt:
			return IsGuardedRangeVar(((AlterPolicyStmt *) parsetree)->table);
		case T_CreateStatsStmt:
			return AnyGuardedRangeVar(((CreateStatsStmt *) parsetree)->relations);
		case T_TruncateStmt:
			return AnyGuardedRangeVar(((TruncateStmt *) parsetree)->relations);
		case T_DropStmt:
			return DropsGuarded((DropStmt *) parsetree);
		case T_GrantStmt:
			return GrantsIntoGuarded((GrantStmt *) parsetree);
			/* what would be made in a guarded schema, or replace one there */
		case T_CreateStmt:
		case T_CreateForeignTableStmt:
			return CreatesOnGuarded((CreateStmt *) parsetree);
		case T_CreateTableAsStmt:
			return IsGuardedRangeVar(((CreateTableAsStmt *) parsetree)->into->rel);
		case T_ViewStmt:
			return IsGuardedRangeVar(((ViewStmt *) parsetree)->view);
		case T_CreateSeqStmt:
			return IsGuardedRangeVar(((CreateSeqStmt *) parsetree)->sequence);
		case T_CompositeTypeStmt:
			return IsGuardedRangeVar(((CompositeTypeStmt *) parsetree)->typevar);
		case T_CreateFunctionStmt:
			return IsGuardedName(((CreateFunctionStmt *) parsetree)->funcname);
		case T_DefineStmt:
			return IsGuardedName(((DefineStmt *) parsetree)->defnames);
		case T_CreateDomainStmt:
			return IsGuardedName(((CreateDomainStmt *) parsetree)->domainname);
		case T_CreateEnumStmt:
			return IsGuardedName(((CreateEnumStmt *) parsetree)->typeName);
		case T_CreateRangeStmt:
			return IsGuardedName(((CreateRangeStmt *) parsetree)->typeName);
		default:
			return false;
	}
}

/* Whether the script of CREATE or ALTER EXTENSION stream is running */
static bool
RunningStreamScript(void)
{
	return creating_extension &&
		CurrentExtensionObject == get_extension_oid("stream", true);
}

static void
GuardProcessUtility(PlannedStmt *pstmt, const char *queryString,
					bool readOnlyTree, ProcessUtilityContext context,
					ParamListInfo params, QueryEnvironment *queryEnv,
					DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	GuardState	save_state = guard_state;
	GuardState	state;

	if (guard_state == GUARD_EXEMPT)
		state = (context == PROCESS_UTILITY_SUBCOMMAND) ? GUARD_EXEMPT : GUARD_RECHECKED;
	else if (guard_state == GUARD_RECHECKED)
		state = GUARD_RECHECKED;
	else
		state = (guard_allowed > 0 || RunningStreamScript()) ? GUARD_EXEMPT : GUARD_CHECKED;

	if (stream_ddl_guard && state != GUARD_EXEMPT && !IsBinaryUpgrade &&
		AltersGuardedObject(parsetree))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s is not allowed on the objects of extension \"stream\"",
						CreateCommandName(parsetree)),
				 errdetail("Streams depend on their segments, views, catalog tables, types and functions as the extension made them."),
				 IsA(parsetree, AlterTableStmt) ?
				 errhint("Of ALTER TABLE, only SET TABLESPACE is allowed on them.") : 0));

	guard_state = state;
	PG_TRY();
	{
		if (prev_ProcessUtility_hook)
			prev_ProcessUtility_hook(pstmt, queryString, readOnlyTree, context,
									 params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		guard_state = save_state;
	}
	PG_END_TRY();
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
