/*-------------------------------------------------------------------------
 *
 * request.c
 *	  One request of the Kinesis endpoint: from the HTTP request the server
 *	  read to the answer it sends.
 *
 * Checked in Kinesis' order, each with Kinesis' exception:
 *
 *	1. the method (POST), the content type (JSON 1.1, or CBOR, cbor.c) and
 *	   X-Amz-Target (Kinesis_20131202.<Action>, UnknownOperationException);
 *	2. the body parses (SerializationException);
 *	3. the signature (SigV4: MissingAuthenticationTokenException,
 *	   IncompleteSignatureException, UnrecognizedClientException,
 *	   InvalidSignatureException);
 *	4. the body against the action's shape (validate.c: SerializationException,
 *	   ValidationException);
 *	5. then the action: stream_internal.kinesis_<action>(request jsonb),
 *	   run as the access key's role, in a transaction of its own.  Its
 *	   errors are Kinesis' exceptions by their SQLSTATE (kinesis.c), HTTP
 *	   400; any other error is InternalFailure, HTTP 500.
 *
 * A request that names a stream or consumer by ARN gets StreamName (and
 * ConsumerName) added here, so that each action reads names only.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "http/access_key.h"
#include "http/cbor.h"
#include "http/eventstream.h"
#include "http/http.h"
#include "http/sigv4.h"
#include "http/validate.h"
#include "kinesis/kinesis.h"

#define TARGET_PREFIX	"Kinesis_20131202."

/* How long an action may run: a worker serves one request at a time */
#define ACTION_TIMEOUT_MS	(30 * 1000)

const char *
HttpHeaderValue(const HttpRequest *req, const char *name)
{
	for (int i = 0; i < req->nheaders; i++)
		if (strcmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

/* A request id as Kinesis' x-amzn-RequestId: a random UUID, in id[37] */
void
HttpRequestId(char *id)
{
	uint8		b[16];

	if (!pg_strong_random(b, sizeof(b)))
		memset(b, 0, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(id, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
			 b[10], b[11], b[12], b[13], b[14], b[15]);
}

void
HttpDate(char *buf, int len)
{
	time_t		now = time(NULL);
	struct tm	tm;

	strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&now, &tm));
}

/* An error answer: {"__type": ..., "message": ...} */
static void
Answer(HttpResponse *resp, int status, const char *type, const char *message)
{
	JsonbParseState *state = NULL;
	JsonbValue	k;
	JsonbValue	v;
	JsonbValue *result;

	resp->status = status;
	resp->error_type = type;
	/* with the body: an answer made while SPI's memory is current outlives it */
	resp->error_message = message ?
		MemoryContextStrdup(GetMemoryChunkContext(resp->body.data), message) : NULL;
	resetStringInfo(&resp->body);
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = "__type";
	k.val.string.len = 6;
	pushJsonbValue(&state, WJB_KEY, &k);
	v.type = jbvString;
	v.val.string.val = (char *) type;
	v.val.string.len = strlen(type);
	pushJsonbValue(&state, WJB_VALUE, &v);
	if (message)
	{
		k.val.string.val = "message";
		k.val.string.len = 7;
		pushJsonbValue(&state, WJB_KEY, &k);
		v.val.string.val = (char *) message;
		v.val.string.len = strlen(message);
		pushJsonbValue(&state, WJB_VALUE, &v);
	}
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	appendStringInfoString(&resp->body,
						   JsonbToCString(NULL, &JsonbValueToJsonb(result)->root, 64));
}

/* Whether a Content-Type is that media type (parameters aside) */
static bool
MediaTypeIs(const char *content_type, const char *type)
{
	size_t		n = strlen(type);

	return pg_strncasecmp(content_type, type, n) == 0 &&
		(content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ');
}

/* DescribeStreamSummary is describe_stream_summary */
static char *
ActionFunctionName(const char *action)
{
	StringInfoData name;

	initStringInfo(&name);
	appendStringInfoString(&name, "kinesis_");
	for (const char *p = action; *p; p++)
	{
		if (isupper((unsigned char) *p) && p != action)
			appendStringInfoChar(&name, '_');
		appendStringInfoChar(&name, pg_ascii_tolower(*p));
	}
	return name.data;
}

/* The action's function, InvalidOid if it has none (yet) */
static Oid
ActionFunction(const char *action)
{
	Oid			argtypes[1] = {JSONBOID};

	return LookupFuncName(list_make2(makeString("stream_internal"),
									 makeString(ActionFunctionName(action))),
						  1, argtypes, true);
}

/* The body as jsonb (an empty one is {}), NULL if it is not JSON */
static Jsonb *
ParseBody(const HttpRequest *req)
{
	MemoryContext cxt = CurrentMemoryContext;
	Jsonb	   *volatile result = NULL;

	if (req->body.len == 0)
		return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	/* what a client's connection would have checked: text is UTF-8 */
	if ((int) strlen(req->body.data) != req->body.len ||
		!pg_verifymbstr(req->body.data, req->body.len, true))
		return NULL;
	/* jsonb_in only allocates: its errors need no transaction's cleanup */
	PG_TRY();
	{
		result = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
													CStringGetDatum(req->body.data)));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		result = NULL;
	}
	PG_END_TRY();
	return result;
}

static Jsonb *
AddMember(Jsonb *request, const char *name, const char *value)
{
	JsonbParseState *state = NULL;
	JsonbValue	k;
	JsonbValue	v;
	JsonbValue *obj;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = (char *) name;
	k.val.string.len = strlen(name);
	pushJsonbValue(&state, WJB_KEY, &k);
	v.type = jbvString;
	v.val.string.val = (char *) value;
	v.val.string.len = strlen(value);
	pushJsonbValue(&state, WJB_VALUE, &v);
	obj = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(request),
											  JsonbPGetDatum(JsonbValueToJsonb(obj))));
}

static char *
MemberText(Jsonb *request, const char *name)
{
	JsonbValue	found;
	JsonbValue *v = getKeyJsonValueFromContainer(&request->root, name,
												 strlen(name), &found);

	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * StreamName (and ConsumerName) from the ARNs a request may name instead
 * (StreamARN, ConsumerARN, or ResourceARN for a stream):
 * arn:aws:kinesis:<region>:<account>:stream/<name>[/consumer/<name>:<t>].
 * The ARN's region and account are not checked: this server is one
 * account in one region.  (The model's patterns checked their shape.)
 */
static Jsonb *
NamesFromArns(Jsonb *request)
{
	char	   *stream_arn = MemberText(request, "StreamARN");
	char	   *consumer_arn = MemberText(request, "ConsumerARN");
	char	   *p;

	/* TagResource and the like name a stream by ResourceARN (ConsumerRefused) */
	if (stream_arn == NULL)
		stream_arn = MemberText(request, "ResourceARN");

	if (consumer_arn && (p = strstr(consumer_arn, ":stream/")) != NULL)
	{
		char	   *stream = p + strlen(":stream/");
		char	   *consumer = strstr(stream, "/consumer/");
		char	   *colon;

		if (consumer)
		{
			*consumer = '\0';
			consumer += strlen("/consumer/");
			colon = strrchr(consumer, ':');
			if (colon)
				*colon = '\0';
			if (MemberText(request, "StreamName") == NULL)
				request = AddMember(request, "StreamName", stream);
			if (MemberText(request, "ConsumerName") == NULL)
				request = AddMember(request, "ConsumerName", consumer);
		}
	}
	if (stream_arn && MemberText(request, "StreamName") == NULL &&
		(p = strstr(stream_arn, ":stream/")) != NULL)
		request = AddMember(request, "StreamName", p + strlen(":stream/"));
	return request;
}

/*
 * Whether a request names a consumer by ResourceARN: the actions that take
 * one (TagResource, UntagResource, ListTagsForResource) are about tags, and
 * consumers keep none here
 */
static bool
ConsumerRefused(Jsonb *request)
{
	char	   *resource_arn = MemberText(request, "ResourceARN");

	return resource_arn && strstr(resource_arn, "/consumer/") != NULL;
}

/* Checks the signature, in the transaction: the role of its key, or 0 */
static Oid
Authenticate(const HttpRequest *req, const SigV4Auth *auth, HttpResponse *resp)
{
	char		secret[ACCESS_KEY_SECRET_LEN + 1];
	Oid			role;
	SigV4Error	error;
	bool		ok;

	if (!StreamAccessKeySecret(auth->access_key_id, &role, secret))
	{
		Answer(resp, 400, "UnrecognizedClientException",
			   "The security token included in the request is invalid.");
		return InvalidOid;
	}
	ok = SigV4Verify(req, auth, secret, GetCurrentTimestamp(), &error);
	explicit_bzero(secret, sizeof(secret));
	if (!ok)
	{
		Answer(resp, 400, error.type, error.message);
		return InvalidOid;
	}
	return role;
}

/*
 * Calls the action's function as role, as a security-restricted operation
 * (no SET ROLE, no deferred triggers that would fire after the switch back)
 * whose settings are undone, within ACTION_TIMEOUT_MS.  Its answer as JSON
 * text: the function returns jsonb, or json (the actions that carry
 * records, actions.c); a NULL answer is {}.
 */
static char *
CallAction(Oid fn, Oid role, Jsonb *request)
{
	LOCAL_FCINFO(fcinfo, 1);
	FmgrInfo	flinfo;
	Oid			save_userid;
	int			save_sec_context;
	int			nest_level;
	Datum		result;
	Jsonb	   *answer;

	fmgr_info(fn, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = JsonbPGetDatum(request);
	fcinfo->args[0].isnull = false;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	nest_level = NewGUCNestLevel();
	SetUserIdAndSecContext(role, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	enable_timeout_after(STATEMENT_TIMEOUT, ACTION_TIMEOUT_MS);
	result = FunctionCallInvoke(fcinfo);
	disable_timeout(STATEMENT_TIMEOUT, false);
	CHECK_FOR_INTERRUPTS();
	AtEOXact_GUC(false, nest_level);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	if (fcinfo->isnull)
		return pstrdup("{}");
	if (get_func_rettype(fn) == JSONOID)
		return text_to_cstring(DatumGetTextPP(result));
	answer = DatumGetJsonbP(result);
	return JsonbToCString(NULL, &answer->root, VARSIZE(answer));
}

/*
 * Runs an action in a transaction of its own: for a request (req and auth
 * given), checks its signature and shape first and takes the role of its
 * key; for the next batch of a subscription, runs as the given role.  True
 * with its answer in *result (and the role, and the request with its ARNs
 * made names, in *role and *named when asked), or false with the exception
 * in resp.
 */
static bool
RunAction(const HttpRequest *req, const SigV4Auth *auth, Oid as_role,
		  const char *as_key, const KinesisOperation *op, Jsonb *request,
		  HttpResponse *resp, char **result, Oid *role_out, Jsonb **named_out)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool in_xact = false;
	volatile bool ok = false;

	PG_TRY();
	{
		Oid			role = as_role;
		Oid			fn;
		const char *type;
		char	   *message;

		/* now() of the request, not of the worker's start */
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		in_xact = true;
		MemoryContextSwitchTo(cxt);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		/*
		 * What is made here must outlive SPI_finish: SPI_connect, and every
		 * SPI call, leave SPI's own memory current.
		 */
		MemoryContextSwitchTo(cxt);
		PushActiveSnapshot(GetTransactionSnapshot());

		/* a subscription's key must still stand for its role at each batch */
		if (as_key != NULL)
		{
			char		secret[ACCESS_KEY_SECRET_LEN + 1];
			Oid			key_role;

			if (!StreamAccessKeySecret(as_key, &key_role, secret) || key_role != as_role)
			{
				MemoryContextSwitchTo(cxt);
				Answer(resp, 400, "UnrecognizedClientException",
					   "The security token included in the request is invalid.");
				role = InvalidOid;
			}
			explicit_bzero(secret, sizeof(secret));
			MemoryContextSwitchTo(cxt);
		}
		if (auth != NULL)
		{
			role = Authenticate(req, auth, resp);
			/* (SPI calls leave SPI's memory current, which SPI_finish frees) */
			MemoryContextSwitchTo(cxt);
			if (OidIsValid(role) &&
				(message = KinesisValidate(op, request, &type)) != NULL)
			{
				Answer(resp, 400, type, message);
				role = InvalidOid;
			}
		}
		if (OidIsValid(role))
		{
			fn = ActionFunction(op->name);
			if (!OidIsValid(fn))
				Answer(resp, 400, "UnknownOperationException",
					   psprintf("%s is not served by this endpoint", op->name));
			else if (ConsumerRefused(request))
				Answer(resp, 400, "InvalidArgumentException",
					   "tags of consumers are not kept: tag the stream");
			else
			{
				Jsonb	   *named;

				MemoryContextSwitchTo(cxt);
				named = NamesFromArns(request);
				*result = CallAction(fn, role, named);
				if (role_out)
					*role_out = role;
				if (named_out)
					*named_out = named;
				ok = true;
			}
		}
		PopActiveSnapshot();
		SPI_finish();
		CommitTransactionCommand();
		in_xact = false;
		MemoryContextSwitchTo(cxt);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		const char *type;

		disable_timeout(STATEMENT_TIMEOUT, false);
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		/* restores the user and the settings too */
		if (in_xact)
			AbortCurrentTransaction();
		MemoryContextSwitchTo(cxt);
		/* a cancel that came as it failed is spent with it */
		QueryCancelPending = false;
		ok = false;
		type = KinesisExceptionOfError(edata->sqlerrcode, edata->detail);
		if (type)
			Answer(resp, 400, type, edata->message);
		else
		{
			/* not the request's fault: the server log says what, not the client */
			edata->elevel = LOG;
			ThrowErrorData(edata);
			Answer(resp, 500, "InternalFailure", NULL);
		}
	}
	PG_END_TRY();
	return ok;
}

/* ----------------------------------------------------------------
 * SubscribeToShard: an event stream of up to 5 minutes (HTTP/2)
 * ----------------------------------------------------------------
 */

/* The event of one batch, or the exception that ends the subscription */
static void
AppendBatchEvent(HttpSubscription *sub, const char *batch, const HttpResponse *failed)
{
	if (failed)
	{
		StringInfoData message;

		initStringInfo(&message);
		appendStringInfoString(&message, "{\"message\": ");
		if (failed->error_message)
			escape_json(&message, failed->error_message);
		else
			appendStringInfoString(&message, "null");
		appendStringInfoChar(&message, '}');
		EventStreamAppend(sub->out, "exception", failed->error_type, message.data,
						  message.len);
		sub->done = true;
		return;
	}
	EventStreamAppend(sub->out, "event", "SubscribeToShardEvent", batch, strlen(batch));
	sub->last_event = GetCurrentTimestamp();
}

/*
 * What a batch says for the next one: where to go on from (the request's
 * StartingPosition becomes AFTER_SEQUENCE_NUMBER of its continuation), and
 * whether it brought anything.  At the end of a closed shard (no
 * continuation) the subscription is done.
 */
static bool
TakeBatch(HttpSubscription *sub, const char *text)
{
	Jsonb	   *batch = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	char	   *continuation = MemberText(batch, "ContinuationSequenceNumber");
	JsonbValue	found;
	JsonbValue *records = getKeyJsonValueFromContainer(&batch->root, "Records", 7, &found);
	MemoryContext old = MemoryContextSwitchTo(sub->cxt);

	if (continuation == NULL)
		sub->done = true;
	else
	{
		Jsonb	   *previous = sub->request;

		Jsonb	   *position = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
																  CStringGetDatum(psprintf("{\"StartingPosition\": {\"Type\": \"AFTER_SEQUENCE_NUMBER\", \"SequenceNumber\": \"%s\"}}",
																						   continuation))));

		sub->request = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
														  JsonbPGetDatum(previous),
														  JsonbPGetDatum(position)));
		pfree(previous);
	}
	MemoryContextSwitchTo(old);
	return sub->done || (records != NULL && records->type == jbvBinary &&
						 JsonContainerSize(records->val.binary.data) > 0);
}

/*
 * Starts a subscription: the first batch is read now (its errors are the
 * call's), and the answer begins with the initial-response event.
 */
static void
Subscribe(HttpRequest *req, const SigV4Auth *auth, const KinesisOperation *op,
		  Jsonb *request, HttpResponse *resp)
{
	char	   *batch;
	Oid			role;
	Jsonb	   *named;
	HttpSubscription *sub;
	int			slot;
	uint64		generation;
	HttpClaimResult claim;

	if (!req->http2)
	{
		Answer(resp, 400, "InvalidArgumentException",
			   "SubscribeToShard is served over HTTP/2 only.");
		return;
	}
	/*
	 * The consumer's subscription to the shard: refused at once if another
	 * began less than 5 seconds ago (its first batch would spend the
	 * consumer's read), claimed once the first batch is read
	 */
	named = NamesFromArns(request);
	if (HttpSubscriptionInUse(MemberText(named, "StreamName"), MemberText(named, "ConsumerName"),
							  MemberText(named, "ShardId")))
		claim = HTTP_CLAIM_IN_USE;
	else if (!RunAction(req, auth, InvalidOid, NULL, op, request, resp, &batch, &role, &named))
		return;
	else
		claim = HttpClaimSubscription(MemberText(named, "StreamName"),
									  MemberText(named, "ConsumerName"),
									  MemberText(named, "ShardId"), role, &slot, &generation);
	if (claim == HTTP_CLAIM_IN_USE)
	{
		Answer(resp, 400, "ResourceInUseException",
			   psprintf("Consumer %s already subscribed to shard %s less than 5 seconds ago.",
						MemberText(named, "ConsumerName"), MemberText(named, "ShardId")));
		return;
	}
	if (claim == HTTP_CLAIM_FULL)
	{
		Answer(resp, 400, "LimitExceededException",
			   psprintf("Too many subscriptions are open (at most %d, and %d for one role).",
						HTTP_SUBSCRIPTION_CLAIMS, HTTP_SUBSCRIPTION_CLAIMS_PER_ROLE));
		return;
	}
	sub = palloc0(sizeof(HttpSubscription));
	sub->claim_slot = slot;
	sub->claim_generation = generation;
	sub->cxt = CurrentMemoryContext;
	sub->role = role;
	sub->access_key_id = pstrdup(auth->access_key_id);
	sub->op = op;
	sub->request = named;
	sub->expires_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												  HTTP_SUBSCRIPTION_MS);
	sub->out = &resp->body;
	resp->status = 200;
	resp->content_type = "application/vnd.amazon.eventstream";
	resp->subscription = sub;
	resetStringInfo(&resp->body);
	EventStreamAppend(&resp->body, "event", "initial-response", "{}", 2);
	(void) TakeBatch(sub, batch);
	AppendBatchEvent(sub, batch, NULL);
}

bool
HttpSubscriptionNext(HttpSubscription *sub)
{
	HttpResponse failed = {0};
	char	   *batch;
	TimestampTz now = GetCurrentTimestamp();
	bool		added = true;

	if (sub->done)
		return false;
	if (now >= sub->expires_at)
	{
		sub->done = true;
		return false;
	}
	initStringInfo(&failed.body);
	/* a newer subscription of the consumer to the shard took it over */
	if (!HttpSubscriptionHeld(sub->claim_slot, sub->claim_generation))
	{
		failed.error_type = "ResourceInUseException";
		failed.error_message = "A newer subscription of the consumer to the shard took this one over.";
		AppendBatchEvent(sub, NULL, &failed);
		return true;
	}
	pgstat_report_activity(STATE_RUNNING, "SubscribeToShard");
	if (!RunAction(NULL, NULL, sub->role, sub->access_key_id, sub->op, sub->request,
				   &failed, &batch, NULL, NULL))
	{
		/* the consumer's read throughput is spent: the next poll tries again */
		if (strcmp(failed.error_type, "ProvisionedThroughputExceededException") == 0)
			added = false;
		else
			AppendBatchEvent(sub, NULL, &failed);
	}
	else if (TakeBatch(sub, batch) ||
			 TimestampDifferenceExceeds(sub->last_event, now, HTTP_SUBSCRIPTION_EVENT_MS))
		AppendBatchEvent(sub, batch, NULL);
	else
		added = false;
	pgstat_report_activity(STATE_IDLE, NULL);
	return added;
}

static void ServeRequest(HttpRequest *req, HttpResponse *resp, bool cbor);


void
HttpServeRequest(HttpRequest *req, HttpResponse *resp)
{
	const char *content_type = HttpHeaderValue(req, "content-type");
	bool		cbor = content_type && MediaTypeIs(content_type, "application/x-amz-cbor-1.1");

	resp->content_type = "application/x-amz-json-1.1";
	ServeRequest(req, resp, cbor);
	/* a CBOR request's answer, and its errors, in CBOR */
	if (cbor && resp->subscription == NULL)
	{
		StringInfoData answer;
		static const char failure[] = "{\"__type\": \"InternalFailure\"}";

		initStringInfo(&answer);
		if (!JsonToCbor(resp->body.data, resp->body.len, &answer))
		{
			/* (the answers are the server's own JSON: this is a bug) */
			elog(LOG, "an answer of the Kinesis endpoint is not JSON: %s", resp->body.data);
			resp->status = 500;
			resetStringInfo(&answer);
			(void) JsonToCbor(failure, strlen(failure), &answer);
		}
		resetStringInfo(&resp->body);
		appendBinaryStringInfo(&resp->body, answer.data, answer.len);
		pfree(answer.data);
		resp->content_type = "application/x-amz-cbor-1.1";
	}
}

/* Serves a request whose body is JSON, or CBOR made jsonb */
static void
ServeRequest(HttpRequest *req, HttpResponse *resp, bool cbor)
{
	const char *content_type = HttpHeaderValue(req, "content-type");
	const char *target = HttpHeaderValue(req, "x-amz-target");
	const KinesisOperation *op = NULL;
	Jsonb	   *request;
	SigV4Auth	auth;
	SigV4Error	error;

	if (strcmp(req->method, "POST") != 0)
	{
		Answer(resp, 405, "UnknownOperationException",
			   "The Kinesis API takes POST requests only.");
		return;
	}
	if (content_type == NULL ||
		(!MediaTypeIs(content_type, "application/x-amz-json-1.1") &&
		 !MediaTypeIs(content_type, "application/json") && !cbor))
	{
		Answer(resp, 415, "UnknownOperationException",
			   "The content type must be application/x-amz-json-1.1 or application/x-amz-cbor-1.1.");
		return;
	}
	if (target && strncmp(target, TARGET_PREFIX, strlen(TARGET_PREFIX)) == 0)
		op = KinesisFindOperation(target + strlen(TARGET_PREFIX));
	if (op == NULL)
	{
		Answer(resp, 400, "UnknownOperationException", NULL);
		return;
	}
	request = cbor ? (req->body.len ? CborToJsonb(req->body.data, req->body.len) :
					  ParseBody(req)) : ParseBody(req);
	if (request == NULL)
	{
		Answer(resp, 400, "SerializationException",
			   cbor ? "The request body is not valid CBOR." : "The request body is not valid JSON.");
		return;
	}
	if (!SigV4Parse(req, &auth, &error))
	{
		Answer(resp, 400, error.type, error.message);
		return;
	}
	pgstat_report_activity(STATE_RUNNING, op->name);
	if (strcmp(op->name, "SubscribeToShard") == 0)
		Subscribe(req, &auth, op, request, resp);
	else
	{
		char	   *result;

		if (RunAction(req, &auth, InvalidOid, NULL, op, request, resp, &result, NULL, NULL))
		{
			resp->status = 200;
			resetStringInfo(&resp->body);
			appendStringInfoString(&resp->body, result);
		}
	}
	pgstat_report_activity(STATE_IDLE, NULL);
}
