/*-------------------------------------------------------------------------
 *
 * acl.c
 *	  Access control: what IAM policies do for Kinesis, with PostgreSQL's own
 *	  privileges.
 *
 * Each stream has a view of its own in the schema stream_acl, owned by the
 * role that created the stream, and the view's privileges are the stream's:
 *
 *	read	 SELECT		get_shard_iterator, get_records, read
 *	write	 INSERT		put_record, put_records
 *	describe REFERENCES	describe_stream*, list_shards, list_streams
 *	manage	 UPDATE		retention, resharding, mode, grants, delete_stream
 *	create	 TRIGGER	create_stream (on '*' only)
 *
 * The view stream_acl.all_streams stands for '*', every stream, present and
 * future.  So role membership, ownership, superusers, \dp, DROP ROLE's
 * refusal while a role holds privileges, DROP OWNED and REASSIGN OWNED all
 * work as for tables, with nothing of our own to keep in step.
 *
 * The data plane (put.c, get.c) checks the calling role itself.  The
 * control plane is PL/pgSQL in stream_internal, which reads and writes the
 * catalog; its public functions in the schema stream are all the one C
 * function stream_control below, which checks the calling role's privilege
 * from the table control_functions, and then runs the function of the same
 * name and arguments in stream_internal as the extension's owner.  (A
 * SECURITY DEFINER function cannot tell who called it, and privileges here
 * are the calling role's, as PostgreSQL's are the current user's.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "kinesis/acl.h"
#include "kinesis/application.h"
#include "kinesis/kinesis.h"

PG_FUNCTION_INFO_V1(stream_control);
PG_FUNCTION_INFO_V1(stream_caller);
PG_FUNCTION_INFO_V1(stream_authorize_stream);
PG_FUNCTION_INFO_V1(stream_has_privilege);
PG_FUNCTION_INFO_V1(stream_privilege_modes);
PG_FUNCTION_INFO_V1(stream_create_stream_acl);
PG_FUNCTION_INFO_V1(stream_drop_stream_acl);
PG_FUNCTION_INFO_V1(stream_keep_acl_out_of_dump);

#define ACL_SCHEMA		"stream_acl"
#define ALL_STREAMS		"all_streams"

/* The privileges, their names and the privileges of the view they are */
static const struct
{
	const char *name;
	AclMode		mode;
	const char *sql;
}			privileges[] = {
	[STREAM_PRIV_READ] = {"read", ACL_SELECT, "SELECT"},
	[STREAM_PRIV_WRITE] = {"write", ACL_INSERT, "INSERT"},
	[STREAM_PRIV_DESCRIBE] = {"describe", ACL_REFERENCES, "REFERENCES"},
	[STREAM_PRIV_MANAGE] = {"manage", ACL_UPDATE, "UPDATE"},
	[STREAM_PRIV_CREATE] = {"create", ACL_TRIGGER, "TRIGGER"},
};

/*
 * The public functions of the control plane: the privilege each needs, on
 * the stream its argument stream_arg names ('*' too), or on '*' for
 * create_stream (stream_arg -1), or, for those that name an application
 * (by_application), on the stream it reads.  Those marked "everyone" check
 * nothing here, nor do the others when stream_arg is NULL or names no
 * application: they show each role only what it may describe, or say what
 * is wrong.
 */
typedef struct ControlFunction
{
	const char *name;
	int			stream_arg;
	StreamPrivilege privilege;
	const char *action;
	bool		everyone;
	bool		by_application;
} ControlFunction;

static const ControlFunction control_functions[] = {
	{"create_stream", -1, STREAM_PRIV_CREATE, "CreateStream", false, false},
	{"delete_stream", 0, STREAM_PRIV_MANAGE, "DeleteStream", false, false},
	{"list_streams", -1, STREAM_PRIV_DESCRIBE, "ListStreams", true, false},
	{"describe_stream", 0, STREAM_PRIV_DESCRIBE, "DescribeStream", false, false},
	{"describe_stream_summary", 0, STREAM_PRIV_DESCRIBE, "DescribeStreamSummary", false, false},
	{"list_shards", 0, STREAM_PRIV_DESCRIBE, "ListShards", false, false},
	{"increase_stream_retention_period", 0, STREAM_PRIV_MANAGE,
	"IncreaseStreamRetentionPeriod", false, false},
	{"decrease_stream_retention_period", 0, STREAM_PRIV_MANAGE,
	"DecreaseStreamRetentionPeriod", false, false},
	{"set_retention_period", 0, STREAM_PRIV_MANAGE, "SetRetentionPeriod", false, false},
	{"split_shard", 0, STREAM_PRIV_MANAGE, "SplitShard", false, false},
	{"merge_shards", 0, STREAM_PRIV_MANAGE, "MergeShards", false, false},
	{"update_shard_count", 0, STREAM_PRIV_MANAGE, "UpdateShardCount", false, false},
	{"update_stream_mode", 0, STREAM_PRIV_MANAGE, "UpdateStreamMode", false, false},
	{"grant", 1, STREAM_PRIV_MANAGE, "Grant", false, false},
	{"revoke", 1, STREAM_PRIV_MANAGE, "Revoke", false, false},
	{"privileges", 0, STREAM_PRIV_DESCRIBE, "Privileges", false, false},
	/* keys: the account's, managed with manage on every stream */
	{"create_key", -1, STREAM_PRIV_MANAGE, "CreateKey", false, false},
	{"list_keys", -1, STREAM_PRIV_DESCRIBE, "ListKeys", false, false},
	{"disable_key", -1, STREAM_PRIV_MANAGE, "DisableKey", false, false},
	{"enable_key", -1, STREAM_PRIV_MANAGE, "EnableKey", false, false},
	{"rotate_key", -1, STREAM_PRIV_MANAGE, "RotateKey", false, false},
	{"start_stream_encryption", 0, STREAM_PRIV_MANAGE, "StartStreamEncryption", false, false},
	{"stop_stream_encryption", 0, STREAM_PRIV_MANAGE, "StopStreamEncryption", false, false},
	{"set_change_feed", 0, STREAM_PRIV_MANAGE, "SetChangeFeed", false, false},
	{"register_stream_consumer", 0, STREAM_PRIV_MANAGE, "RegisterStreamConsumer", false, false},
	{"deregister_stream_consumer", 0, STREAM_PRIV_MANAGE, "DeregisterStreamConsumer", false, false},
	{"describe_stream_consumer", 0, STREAM_PRIV_DESCRIBE, "DescribeStreamConsumer", false, false},
	{"list_stream_consumers", 0, STREAM_PRIV_DESCRIBE, "ListStreamConsumers", false, false},
	{"add_tags_to_stream", 0, STREAM_PRIV_MANAGE, "AddTagsToStream", false, false},
	{"remove_tags_from_stream", 0, STREAM_PRIV_MANAGE, "RemoveTagsFromStream", false, false},
	{"list_tags_for_stream", 0, STREAM_PRIV_DESCRIBE, "ListTagsForStream", false, false},
	{"describe_limits", -1, STREAM_PRIV_DESCRIBE, "DescribeLimits", false, false},
	{"get_metric_statistics", 0, STREAM_PRIV_DESCRIBE, "GetMetricStatistics", false, false},
	{"enable_enhanced_monitoring", 0, STREAM_PRIV_MANAGE, "EnableEnhancedMonitoring", false, false},
	{"disable_enhanced_monitoring", 0, STREAM_PRIV_MANAGE, "DisableEnhancedMonitoring", false, false},
	{"stream_stats", -1, STREAM_PRIV_DESCRIBE, "StreamStats", true, false},
	/* consumer applications: consume itself is C of the data plane */
	{"create_application", 1, STREAM_PRIV_MANAGE, "CreateApplication", false, false},
	{"drop_application", 0, STREAM_PRIV_MANAGE, "DropApplication", false, true},
	{"checkpoint", 0, STREAM_PRIV_READ, "Checkpoint", false, true},
	{"leases", 0, STREAM_PRIV_DESCRIBE, "ListLeases", false, true},
	/* triggers: their creator needs read, as the function reads as it */
	{"create_trigger", 1, STREAM_PRIV_READ, "CreateEventSourceMapping", false, false},
	/* their owner, or who manages the stream: the SQL checks */
	{"drop_trigger", 0, STREAM_PRIV_MANAGE, "DeleteEventSourceMapping", true, false},
	{"triggers", -1, STREAM_PRIV_DESCRIBE, "ListEventSourceMappings", true, false},
	/* deliveries: made by who manages the stream; read as their creator */
	{"create_delivery", 1, STREAM_PRIV_MANAGE, "CreateDeliveryStream", false, false},
	{"drop_delivery", 0, STREAM_PRIV_MANAGE, "DeleteDeliveryStream", true, false},
	{"deliveries", -1, STREAM_PRIV_DESCRIBE, "ListDeliveryStreams", true, false},
	/* access keys of the endpoint: for roles the caller is a member of */
	{"create_access_key", -1, STREAM_PRIV_MANAGE, "CreateAccessKey", true, false},
	{"delete_access_key", -1, STREAM_PRIV_MANAGE, "DeleteAccessKey", true, false},
	{"list_access_keys", -1, STREAM_PRIV_DESCRIBE, "ListAccessKeys", true, false},
};

/*
 * While a public function of the control plane runs: the role that called
 * it, and its entry in control_functions
 */
static Oid	stream_caller_id = InvalidOid;
static const ControlFunction *control_function = NULL;

static Oid
AllStreamsRelid(void)
{
	Oid			nsp = get_namespace_oid(ACL_SCHEMA, true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid(ALL_STREAMS, nsp) : InvalidOid;

	if (!OidIsValid(relid))
		elog(ERROR, "stream_acl.all_streams is missing");
	return relid;
}

/*
 * Whether a relation's ACL gives a role a privilege.  Its owner holds every
 * privilege, as the owner of a stream must, even after revoking its own.
 * Not pg_class_aclcheck: that also counts pg_read_all_data and
 * pg_write_all_data, roles made for tables, which would give read, write
 * and manage of every stream.
 */
static bool
RelationGrants(Oid relid, Oid roleid, AclMode mode)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Form_pg_class form;
	Datum		acl_datum;
	bool		isnull;
	Acl		   *acl;
	bool		granted;

	if (!HeapTupleIsValid(tuple))
		return false;
	form = (Form_pg_class) GETSTRUCT(tuple);
	if (has_privs_of_role(roleid, form->relowner))
		granted = true;
	else
	{
		acl_datum = SysCacheGetAttr(RELOID, tuple, Anum_pg_class_relacl, &isnull);
		acl = isnull ? acldefault(OBJECT_TABLE, form->relowner) : DatumGetAclP(acl_datum);
		granted = aclmask(acl, roleid, form->relowner, mode, ACLMASK_ANY) != 0;
	}
	ReleaseSysCache(tuple);
	return granted;
}

bool
StreamHasPrivilege(Oid roleid, Oid acl_relid, StreamPrivilege privilege)
{
	AclMode		mode = privileges[privilege].mode;

	if (superuser_arg(roleid))
		return true;
	if (OidIsValid(acl_relid) && RelationGrants(acl_relid, roleid, mode))
		return true;
	return RelationGrants(AllStreamsRelid(), roleid, mode);
}

static void
AccessDenied(const char *action, const char *stream_name)
{
	ereport(ERROR,
			errkinesis(KINESIS_ACCESS_DENIED),
			errmsg("role \"%s\" is not authorized to perform kinesis:%s on stream \"%s\"",
				   GetUserNameFromId(StreamCaller(), false), action,
				   StreamQuote(stream_name)));
}

void
StreamAuthorize(StreamInfo *stream, StreamPrivilege privilege,
				const char *action)
{
	if (!StreamHasPrivilege(StreamCaller(), stream->acl_relid, privilege))
		AccessDenied(action, stream->name);
}

StreamInfo *
StreamLookupAuthorized(const char *name, StreamPrivilege privilege,
					   const char *action)
{
	StreamInfo *stream = StreamLookupByName(name);

	if (stream == NULL)
	{
		if (!StreamHasPrivilege(StreamCaller(), InvalidOid, privilege))
			AccessDenied(action, name);
		ereport(ERROR,
				errkinesis(KINESIS_RESOURCE_NOT_FOUND),
				errmsg("stream \"%s\" does not exist", StreamQuote(name)));
	}
	StreamAuthorize(stream, privilege, action);
	return stream;
}

Oid
StreamExtensionOwner(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			owner = InvalidOid;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("stream"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
		owner = ((Form_pg_extension) GETSTRUCT(tuple))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(owner))
		elog(ERROR, "extension \"stream\" is not installed");
	return owner;
}

void
StreamBecomeOwner(StreamSavedUser *saved)
{
	Oid			owner = StreamExtensionOwner();

	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(owner, saved->sec_context | SECURITY_LOCAL_USERID_CHANGE);
}

void
StreamRestoreUser(const StreamSavedUser *saved)
{
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}

/* A public control-plane function and the implementation it runs */
typedef struct ControlCall
{
	const ControlFunction *function;
	FmgrInfo	impl;
} ControlCall;

static ControlCall *
SetUpControlCall(FunctionCallInfo fcinfo)
{
	Oid			fn_oid = fcinfo->flinfo->fn_oid;
	char	   *name = get_func_name(fn_oid);
	ControlCall *call;
	Oid		   *argtypes;
	int			nargs;
	Oid			impl_oid;

	call = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ControlCall));
	for (int i = 0; i < (int) lengthof(control_functions); i++)
		if (strcmp(control_functions[i].name, name) == 0)
			call->function = &control_functions[i];
	if (call->function == NULL)
		elog(ERROR, "function %s is not a control-plane function of stream", name);
	get_func_signature(fn_oid, &argtypes, &nargs);
	/* not LookupFuncName: the caller has no USAGE on stream_internal */
	impl_oid = GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid,
							   CStringGetDatum(name),
							   PointerGetDatum(buildoidvector(argtypes, nargs)),
							   ObjectIdGetDatum(get_namespace_oid("stream_internal", false)));
	if (!OidIsValid(impl_oid))
		elog(ERROR, "stream_internal.%s is missing", name);
	fmgr_info_cxt(impl_oid, &call->impl, fcinfo->flinfo->fn_mcxt);
	return call;
}

/* Checks the calling role's privilege for a control-plane call. */
static void
AuthorizeControlCall(const ControlFunction *function, FunctionCallInfo fcinfo)
{
	char	   *stream_name;

	if (function->everyone)
		return;
	if (function->stream_arg < 0)
	{
		if (!StreamHasPrivilege(StreamCaller(), InvalidOid, function->privilege))
			ereport(ERROR,
					errkinesis(KINESIS_ACCESS_DENIED),
					errmsg("role \"%s\" is not authorized to perform kinesis:%s",
						   GetUserNameFromId(StreamCaller(), false), function->action),
					errhint("The privilege %s on '*' allows it: stream.grant('%s', '*', role).",
							privileges[function->privilege].name,
							privileges[function->privilege].name));
		return;
	}
	/* no stream named: the function itself says what is wrong */
	if (PG_ARGISNULL(function->stream_arg))
		return;
	stream_name = text_to_cstring(PG_GETARG_TEXT_PP(function->stream_arg));
	if (function->by_application)
	{
		int32		stream_id = StreamApplicationStreamId(stream_name);
		StreamInfo *stream = stream_id != 0 ? StreamLookupById(stream_id) : NULL;

		if (stream != NULL)
			StreamAuthorize(stream, function->privilege, function->action);
		return;
	}
	if (strcmp(stream_name, "*") == 0)
	{
		if (!StreamHasPrivilege(StreamCaller(), InvalidOid, function->privilege))
			AccessDenied(function->action, stream_name);
		return;
	}
	(void) StreamLookupAuthorized(stream_name, function->privilege,
								  function->action);
}

/*
 * The public functions of the control plane: checks the calling role's
 * privilege, then runs stream_internal.<the same name> with the same
 * arguments as the extension's owner, and returns what it returned (for a
 * set-returning function, through the same ReturnSetInfo).
 */
Datum
stream_control(PG_FUNCTION_ARGS)
{
	ControlCall *volatile call = (ControlCall *) fcinfo->flinfo->fn_extra;
	LOCAL_FCINFO(impl_fcinfo, FUNC_MAX_ARGS);
	StreamSavedUser saved;
	Oid			save_caller = stream_caller_id;
	const ControlFunction *save_function = control_function;
	Oid			caller;
	volatile Datum result = (Datum) 0;

	if (call == NULL)
	{
		call = SetUpControlCall(fcinfo);
		fcinfo->flinfo->fn_extra = call;
	}
	AuthorizeControlCall(call->function, fcinfo);

	InitFunctionCallInfoData(*impl_fcinfo, &call->impl, PG_NARGS(),
							 fcinfo->fncollation, fcinfo->context,
							 fcinfo->resultinfo);
	for (int i = 0; i < PG_NARGS(); i++)
		impl_fcinfo->args[i] = fcinfo->args[i];

	caller = StreamCaller();
	StreamBecomeOwner(&saved);
	PG_TRY();
	{
		stream_caller_id = caller;
		control_function = call->function;
		result = FunctionCallInvoke(impl_fcinfo);
	}
	PG_FINALLY();
	{
		StreamRestoreUser(&saved);
		stream_caller_id = save_caller;
		control_function = save_function;
	}
	PG_END_TRY();

	fcinfo->isnull = impl_fcinfo->isnull;
	return result;
}

/*
 * stream_internal.caller() RETURNS regrole
 *
 * The role that called the public function being run: the implementation
 * runs as the extension's owner, and asks this whose privileges count.
 */
Datum
stream_caller(PG_FUNCTION_ARGS)
{
	PG_RETURN_OID(StreamCaller());
}

Oid
StreamCaller(void)
{
	return OidIsValid(stream_caller_id) ? stream_caller_id : GetUserId();
}

void
StreamAuthorizeSegment(int32 stream_id, const char *segment_name)
{
	StreamInfo *stream = StreamLookupById(stream_id);

	/* a segment of no stream: only a role managing every stream may */
	if (!StreamHasPrivilege(StreamCaller(),
							stream != NULL ? stream->acl_relid : InvalidOid,
							STREAM_PRIV_MANAGE))
		ereport(ERROR,
				errkinesis(KINESIS_ACCESS_DENIED),
				errmsg("role \"%s\" may not manage segment \"%s\"",
					   GetUserNameFromId(StreamCaller(), false), segment_name),
				errdetail("Only a role with manage on its stream may."));
}

/*
 * stream_internal.authorize_stream(stream_name text, acl regclass)
 *
 * For the implementations of the control plane, on the catalog row of the
 * stream they act on, which may not be the one stream_control checked: it
 * looked the name up in the catalog cache, under the latest snapshot, and
 * the implementation under its own (another stream of the same name may
 * have replaced it meanwhile).  AccessDeniedException unless the role that
 * called holds the call's privilege on that stream (acl NULL: on '*', for a
 * stream that is not there).  Outside a control-plane call (maintenance,
 * or the extension's owner calling an implementation), nothing to check.
 */
Datum
stream_authorize_stream(PG_FUNCTION_ARGS)
{
	const ControlFunction *function = control_function;

	if (function == NULL || function->everyone)
		PG_RETURN_VOID();
	if (!StreamHasPrivilege(StreamCaller(),
							PG_ARGISNULL(1) ? InvalidOid : PG_GETARG_OID(1),
							function->privilege))
		AccessDenied(function->action,
					 PG_ARGISNULL(0) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(0)));
	PG_RETURN_VOID();
}

/* The privilege of a name, or an InvalidArgumentException. */
static StreamPrivilege
PrivilegeByName(const char *name)
{
	for (int i = 0; i < (int) lengthof(privileges); i++)
		if (strcmp(privileges[i].name, name) == 0)
			return (StreamPrivilege) i;
	ereport(ERROR,
			errkinesis(KINESIS_INVALID_ARGUMENT),
			errmsg("invalid privilege \"%s\"", StreamQuote(name)),
			errhint("The privileges are read, write, describe, manage, create (on '*' only) and all."));
	return STREAM_PRIV_READ;
}

/*
 * stream_internal.has_privilege(role regrole, acl regclass, privilege text)
 *   RETURNS boolean
 *
 * Whether the role holds the privilege on the stream whose view is acl, or
 * on every stream.
 */
Datum
stream_has_privilege(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(StreamHasPrivilege(PG_GETARG_OID(0),
									  PG_ARGISNULL(1) ? InvalidOid : PG_GETARG_OID(1),
									  PrivilegeByName(text_to_cstring(PG_GETARG_TEXT_PP(2)))));
}

/*
 * stream_internal.privilege_modes(privilege text, all_streams boolean)
 *   RETURNS text
 *
 * The privileges of a stream's view that a privilege of stream.grant and
 * stream.revoke is, as GRANT takes them: 'read' is 'SELECT', 'all' all of
 * them.  'create' is for '*' only.
 */
Datum
stream_privilege_modes(PG_FUNCTION_ARGS)
{
	char	   *name;
	bool		all_streams = PG_GETARG_BOOL(1);
	StringInfoData modes;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("privilege must not be null"));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (strcmp(name, "all") == 0)
	{
		initStringInfo(&modes);
		for (int i = 0; i < (int) lengthof(privileges); i++)
			if (i != STREAM_PRIV_CREATE || all_streams)
				appendStringInfo(&modes, "%s%s", i > 0 ? ", " : "",
								 privileges[i].sql);
		PG_RETURN_TEXT_P(cstring_to_text(modes.data));
	}
	if (PrivilegeByName(name) == STREAM_PRIV_CREATE && !all_streams)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("privilege \"create\" is on '*' only"),
				errhint("It allows create_stream: stream.grant('create', '*', role)."));
	PG_RETURN_TEXT_P(cstring_to_text(privileges[PrivilegeByName(name)].sql));
}

/*
 * stream_internal.create_stream_acl(stream_id int, owner regrole)
 *   RETURNS regclass
 *
 * Makes the view that stands for a new stream, owned by the role that
 * created the stream, as a member of the extension.  It holds the stream's
 * id and not its name: the catalogs, views' definitions included, are
 * readable by every role, and a role sees the names of the streams it may
 * describe only.
 */
Datum
stream_create_stream_acl(PG_FUNCTION_ARGS)
{
	int32		stream_id = PG_GETARG_INT32(0);
	Oid			owner = PG_GETARG_OID(1);
	char	   *relname = psprintf("s%d", stream_id);
	char	   *qualified = psprintf(ACL_SCHEMA ".%s", quote_identifier(relname));

	Oid			relid;

	relid = StreamCreateMemberRelation(ACL_SCHEMA, relname,
									   psprintf("CREATE VIEW %s AS SELECT %d AS stream_id; "
												"ALTER VIEW %s OWNER TO %s",
												qualified, stream_id, qualified,
												quote_identifier(GetUserNameFromId(owner, false))));
	CommandCounterIncrement();
	recordExtObjInitPriv(relid, RelationRelationId);
	PG_RETURN_OID(relid);
}

/* Errors unless a relation is the view of a stream */
static void
CheckStreamView(Oid relid)
{
	if (get_rel_namespace(relid) != get_namespace_oid(ACL_SCHEMA, false) ||
		relid == AllStreamsRelid())
		elog(ERROR, "relation %u is not the view of a stream", relid);
}

/*
 * stream_internal.keep_acl_out_of_dump(acl regclass)
 *
 * Records the privileges of a stream's view as its initial privileges
 * (pg_init_privs), as for an object of the extension's script, each time
 * they change: pg_dump then emits no GRANT for the view.  Such a GRANT
 * fails in a restore without the streams' data (the view does not exist),
 * and the dump's rows carry the privileges anyway (sql/88_backup.sql).
 */
Datum
stream_keep_acl_out_of_dump(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);

	CheckStreamView(relid);
	recordExtObjInitPriv(relid, RelationRelationId);
	PG_RETURN_VOID();
}

/*
 * stream_internal.drop_stream_acl(acl regclass)
 *
 * Drops the view of a stream that is deleted, with the privileges on it.
 */
Datum
stream_drop_stream_acl(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);

	CheckStreamView(relid);
	StreamDropMemberRelation(relid);
	PG_RETURN_VOID();
}
