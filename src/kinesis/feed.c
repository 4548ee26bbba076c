/*-------------------------------------------------------------------------
 *
 * feed.c
 *	  The change feed: each append to a stream whose feed is on goes to
 *	  logical decoding as one transactional message with the prefix "stream"
 *	  (as pg_logical_emit_message's do), so that every output plugin that
 *	  passes messages on (pgoutput with messages 'true', test_decoding,
 *	  wal2json) carries committed records in commit order, and none of a
 *	  transaction that rolled back.
 *
 * The writer tags the WAL of the append with the stream's id and name and
 * the shard (StreamFeedTag): decoding must not read the catalog, whose
 * state then is not that of the record.  The storage layer's rm_decode
 * (log/log_decode.c) hands this module the tag and the records, which it
 * turns into the message's content: one JSON object, in ASCII but for
 * partition keys (in the database's encoding), with no NUL byte:
 *
 *	{"FeedVersion":1,"StreamName":"orders","ShardId":"shardId-000000000001",
 *	 "Records":[{"SequenceNumber":"1099511631873",
 *				 "ApproximateArrivalTimestamp":1764620278.123456,
 *				 "PartitionKey":"user-1","Data":"aGVsbG8="}, ...]}
 *
 * Records of an encrypted stream are in WAL as ciphertext.  They are opened
 * for the message when the role that decodes holds read on the stream and
 * the key is usable, which takes catalog lookups: they are made in a
 * (sub)transaction of their own, whose errors are caught, so that a role
 * without the privilege or a disabled key gives records marked
 * "EncryptionType":"KMS" with no partition key or data, never a decoding
 * error that would stop the slot.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "common/base64.h"
#include "common/jsonapi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "replication/reorderbuffer.h"
#include "replication/slot.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "kinesis/acl.h"
#include "kinesis/crypt.h"
#include "kinesis/feed.h"
#include "kinesis/kinesis.h"
#include "kinesis/names.h"
#include "log/log_decode.h"
#include "log/seqno.h"

#define FEED_TAG_VERSION 1
#define FEED_CONTENT_VERSION 1

/* Microseconds from the Unix epoch to PostgreSQL's */
#define UNIX_TO_POSTGRES_USECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

PG_FUNCTION_INFO_V1(stream_decode_feed_message);

/* The tag of an append, then the stream's name (name_len bytes) */
typedef struct FeedTag
{
	uint8		version;
	uint8		pad;
	uint16		name_len;
	int32		stream_id;
	int32		shard_no;
} FeedTag;

/*
 * Whether a logical slot of this database exists.  A slot being created is
 * in the table before it logs the running transactions it builds its first
 * snapshot from, and it never decodes those: so an append whose transaction
 * had its xid before it found no slot needs no tag, even if a slot is made
 * before the transaction commits.
 */
static bool
LogicalSlotExists(void)
{
	int			nslots = 0;
	int			nactive = 0;

	(void) ReplicationSlotsCountDBSlots(MyDatabaseId, &nslots, &nactive);
	return nslots > 0;
}

StringInfo
StreamFeedTag(StreamInfo *stream, int32 shard_no, StringInfo buf)
{
	FeedTag		tag;

	if (!stream->change_feed || !XLogLogicalInfoActive())
		return NULL;
	/* the append takes it anyway; first, for LogicalSlotExists */
	(void) GetCurrentTransactionId();
	if (!LogicalSlotExists())
		return NULL;
	memset(&tag, 0, sizeof(tag));
	tag.version = FEED_TAG_VERSION;
	tag.name_len = (uint16) strlen(stream->name);
	tag.stream_id = stream->stream_id;
	tag.shard_no = shard_no;
	if (buf->data == NULL)
		initStringInfo(buf);
	resetStringInfo(buf);
	appendBinaryStringInfo(buf, (char *) &tag, sizeof(tag));
	appendBinaryStringInfo(buf, stream->name, tag.name_len);
	return buf;
}

/*
 * Opens the encrypted records of one append in place, where the role that
 * decodes may read the stream and its key is usable.  Catalog lookups need
 * a transaction: a walsender is in none between records, the SQL functions
 * of logical decoding are in their caller's.  Whatever fails leaves the
 * records sealed.
 */
static void
OpenEncryptedRecords(int32 stream_id, int32 shard_no, int32 segment_no,
					 StreamDecodedRecord *records, int nrecords)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	bool		started = !IsTransactionOrTransactionBlock();

	/*
	 * A transaction with no snapshot yet is making a slot that exports its
	 * first snapshot (CREATE_REPLICATION_SLOT ... USE_SNAPSHOT): a lookup
	 * would take the transaction's snapshot first.  It decodes only to find
	 * where the slot starts, and sends nothing of what it decodes.
	 */
	if (!started && !FirstSnapshotSet)
		return;
	if (started)
		StartTransactionCommand();
	BeginInternalSubTransaction(NULL);
	PG_TRY();
	{
		StreamInfo *stream;
		StreamShardInfo *shard = NULL;
		StreamSegmentInfo *segment = NULL;

		/*
		 * Decoding fills the caches with catalog rows as of the transactions
		 * it replays (historic snapshots), and PostgreSQL empties them only
		 * when a decoding call ends: they are emptied before the lookup, so
		 * that it reads the catalog as it is, and after it, so that replay
		 * does not use what the lookup read.
		 */
		AcceptInvalidationMessages();
		InvalidateSystemCaches();
		stream = StreamLookupById(stream_id);
		if (stream != NULL &&
			StreamHasPrivilege(GetUserId(), stream->acl_relid, STREAM_PRIV_READ))
			shard = StreamFindShard(stream, shard_no);
		if (shard != NULL)
			segment = StreamFindSegment(shard, segment_no);
		if (segment != NULL && segment->key != NULL)
		{
			/* opened into the caller's memory, which outlives the transaction */
			MemoryContextSwitchTo(caller);
			for (int i = 0; i < nrecords; i++)
				if (records[i].encrypted)
					(void) StreamOpenDecodedRecord(stream, segment, &records[i]);
		}
		ReleaseCurrentSubTransaction();
		InvalidateSystemCaches();
	}
	PG_CATCH();
	{
		ErrorData  *error;

		MemoryContextSwitchTo(caller);
		error = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		InvalidateSystemCaches();

		/*
		 * A key missing or disabled leaves the records sealed, as a role
		 * without read does.  Anything else (a cancel, a timeout, no memory)
		 * fails the decoding, which goes on from the same place when tried
		 * again, rather than send sealed what the role may read.
		 */
		if (error->sqlerrcode != ERRCODE_STREAM_KMS)
			ReThrowError(error);
		ereport(DEBUG1,
				(errmsg_internal("records of stream %d stay encrypted in the change feed: %s",
								 stream_id, error->message)));
		FreeErrorData(error);
	}
	PG_END_TRY();
	if (started)
		CommitTransactionCommand();
	MemoryContextSwitchTo(caller);
	CurrentResourceOwner = owner;
}

/*
 * Base64 of bytes, three at a time: the data of every record of the feed
 * goes through here, and pg_b64_encode's bit at a time costs more than the
 * rest of the message.
 */
static void
AppendBase64(StringInfo out, const uint8 *src, int len)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char	   *dst;
	int			i = 0;

	enlargeStringInfo(out, (len + 2) / 3 * 4);
	dst = out->data + out->len;
	for (; i + 3 <= len; i += 3)
	{
		uint32		v = ((uint32) src[i] << 16) | ((uint32) src[i + 1] << 8) | src[i + 2];

		*dst++ = digits[v >> 18];
		*dst++ = digits[(v >> 12) & 63];
		*dst++ = digits[(v >> 6) & 63];
		*dst++ = digits[v & 63];
	}
	if (i < len)
	{
		uint32		v = (uint32) src[i] << 16 | (i + 1 < len ? (uint32) src[i + 1] << 8 : 0);

		*dst++ = digits[v >> 18];
		*dst++ = digits[(v >> 12) & 63];
		*dst++ = i + 1 < len ? digits[(v >> 6) & 63] : '=';
		*dst++ = '=';
	}
	out->len = dst - out->data;
	out->data[out->len] = '\0';
}

static void
AppendInt64(StringInfo out, int64 value)
{
	char		digits[MAXINT8LEN + 1];

	appendBinaryStringInfo(out, digits, pg_lltoa(value, digits));
}

#define AppendLiteral(out, s) appendBinaryStringInfo(out, s, sizeof(s) - 1)

/*
 * One record of the message; "kms": its stream encrypted it, and it may
 * have been opened or not.
 */
static void
AppendRecord(StringInfo out, int32 segment_no, StreamDecodedRecord *rec,
			 bool kms)
{
	int64		unix_us = rec->arrival + UNIX_TO_POSTGRES_USECS;
	char		micros[8];

	AppendLiteral(out, "{\"SequenceNumber\":\"");
	AppendInt64(out, StreamSeqMake(segment_no, rec->block, rec->offset));
	AppendLiteral(out, "\",\"ApproximateArrivalTimestamp\":");
	AppendInt64(out, unix_us / USECS_PER_SEC);
	/* the six digits of the microseconds, after the point */
	micros[0] = '.';
	for (int i = 6, us = (int) (unix_us % USECS_PER_SEC); i >= 1; i--, us /= 10)
		micros[i] = '0' + us % 10;
	appendBinaryStringInfo(out, micros, 7);
	/* a record still sealed carries neither key nor data */
	if (!rec->encrypted)
	{
		AppendLiteral(out, ",\"PartitionKey\":");
		escape_json(out, pnstrdup(rec->key, rec->key_len));
		AppendLiteral(out, ",\"Data\":\"");
		AppendBase64(out, (const uint8 *) rec->data, rec->data_len);
		appendStringInfoChar(out, '"');
	}
	if (kms)
		AppendLiteral(out, ",\"EncryptionType\":\"KMS\"");
	appendStringInfoChar(out, '}');
}

/*
 * StreamLogDecodeCallback: the records that one WAL record of an append made
 * whole, as one message in their transaction.  Runs in a short-lived memory
 * context of the storage layer's.
 */
static void
FeedDecode(LogicalDecodingContext *ctx, TransactionId xid, XLogRecPtr lsn,
		   const char *tag_bytes, int tag_len, int32 segment_no,
		   StreamDecodedRecord *records, int nrecords)
{
	FeedTag		tag;
	StringInfoData out;
	bool		sealed = false;

	if (tag_len < (int) sizeof(tag))
		elog(ERROR, "stream change feed tag of %d bytes is too short", tag_len);
	memcpy(&tag, tag_bytes, sizeof(tag));
	if (tag.version != FEED_TAG_VERSION ||
		tag_len != (int) sizeof(tag) + tag.name_len)
		elog(ERROR, "stream change feed tag has version %u, length %d",
			 tag.version, tag_len);
	/* a segment's records are all encrypted, or none */
	for (int i = 0; i < nrecords; i++)
		sealed |= records[i].encrypted;
	if (sealed)
		OpenEncryptedRecords(tag.stream_id, tag.shard_no, segment_no,
							 records, nrecords);

	initStringInfo(&out);
	appendStringInfo(&out, "{\"FeedVersion\":%d,\"StreamName\":", FEED_CONTENT_VERSION);
	escape_json(&out, pnstrdup(tag_bytes + sizeof(tag), tag.name_len));
	appendStringInfo(&out, ",\"ShardId\":\"%s\",\"Records\":[",
					 StreamFormatShardId(tag.shard_no));
	for (int i = 0; i < nrecords; i++)
	{
		if (i > 0)
			appendStringInfoChar(&out, ',');
		AppendRecord(&out, segment_no, &records[i], sealed);
	}
	appendStringInfoString(&out, "]}");

	ReorderBufferQueueMessage(ctx->reorder, xid, NULL, lsn, true,
							  STREAM_FEED_PREFIX, out.len, out.data);
}

void
FeedInit(void)
{
	StreamLogSetDecodeCallback(FeedDecode);
}

/*----------
 * decode_feed_message
 *----------
 */

static void
BadMessage(const char *why) pg_attribute_noreturn();

static void
BadMessage(const char *why)
{
	ereport(ERROR,
			errkinesis(KINESIS_INVALID_ARGUMENT),
			errmsg("content is not a message of the stream change feed: %s", why),
			errhint("Pass the content of a logical decoding message whose prefix is \"%s\".",
					STREAM_FEED_PREFIX));
}

/* A member of an object, of a type; NULL if it is optional and absent */
static JsonbValue *
Member(JsonbContainer *object, const char *key, enum jbvType type,
	   bool required)
{
	JsonbValue *v = getKeyJsonValueFromContainer(object, key, strlen(key), NULL);

	if (v == NULL && !required)
		return NULL;
	if (v == NULL || v->type != type)
		BadMessage(psprintf("it has no %s \"%s\"",
							type == jbvString ? "string" :
							type == jbvNumeric ? "number" : "array or object",
							key));
	return v;
}

static char *
StringOf(JsonbValue *v)
{
	return v == NULL ? NULL : pnstrdup(v->val.string.val, v->val.string.len);
}

static Datum
SequenceNumberOf(JsonbValue *v)
{
	if (v->val.string.len == 0 || v->val.string.len > 19 ||
		strspn(v->val.string.val, "0123456789") < (size_t) v->val.string.len)
		BadMessage("a sequence number is not an integer");
	return DirectFunctionCall3(numeric_in, CStringGetDatum(StringOf(v)),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/*
 * Seconds since the Unix epoch, with microseconds, as a timestamptz; from
 * 1970 (no record arrived before) to about the year 287000, beyond which
 * microseconds would not fit an int8.
 */
static Datum
ArrivalOf(JsonbValue *v)
{
	Datum		secs = NumericGetDatum(v->val.numeric);
	int64		unix_us;
	TimestampTz ts;

	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, secs,
										  NumericGetDatum(int64_to_numeric(0)))) < 0 ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, secs,
										  NumericGetDatum(int64_to_numeric(INT64CONST(9000000000000))))) >= 0)
		BadMessage("an arrival time is out of range");
	unix_us = DatumGetInt64(DirectFunctionCall1(numeric_int8,
												DirectFunctionCall2(numeric_mul, secs,
																	NumericGetDatum(int64_to_numeric(USECS_PER_SEC)))));
	ts = unix_us - UNIX_TO_POSTGRES_USECS;
	if (!IS_VALID_TIMESTAMP(ts))
		BadMessage("an arrival time is out of range");
	return TimestampTzGetDatum(ts);
}

static Datum
DataOf(JsonbValue *v)
{
	int			len = v->val.string.len;
	bytea	   *data = palloc(VARHDRSZ + pg_b64_dec_len(len));
	int			n = pg_b64_decode(v->val.string.val, len, VARDATA(data),
								  pg_b64_dec_len(len));

	if (n < 0)
		BadMessage("data is not base64");
	SET_VARSIZE(data, VARHDRSZ + n);
	return PointerGetDatum(data);
}

/*
 * stream.decode_feed_message(content bytea) RETURNS SETOF stream.feed_record
 *
 * The records of a message of the feed, in its order.  A record whose
 * stream is encrypted and which the decoding role could not read has a NULL
 * partition key and data.
 */
Datum
stream_decode_feed_message(PG_FUNCTION_ARGS)
{
	bytea	   *content = PG_GETARG_BYTEA_PP(0);
	int			len = VARSIZE_ANY_EXHDR(content);
	char	   *json = VARDATA_ANY(content);
	JsonLexContext *lex;
	Jsonb	   *message;
	JsonbValue *version;
	char	   *stream_name;
	char	   *shard_id;
	JsonbContainer *records;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	if (memchr(json, '\0', len) != NULL)
		BadMessage("it holds a NUL byte");
	if (!pg_verifymbstr(json, len, true))
		BadMessage("it is not text in the database's encoding");
	json = pnstrdup(json, len);
	lex = makeJsonLexContextCstringLen(json, len, GetDatabaseEncoding(), false);
	if (pg_parse_json(lex, &nullSemAction) != JSON_SUCCESS)
		BadMessage("it is not JSON");
	message = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
	if (!JB_ROOT_IS_OBJECT(message))
		BadMessage("it is not a JSON object");

	version = Member(&message->root, "FeedVersion", jbvNumeric, true);
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(version->val.numeric),
										  NumericGetDatum(int64_to_numeric(FEED_CONTENT_VERSION)))) != 0)
		BadMessage("its FeedVersion is not 1");
	stream_name = StringOf(Member(&message->root, "StreamName", jbvString, true));
	shard_id = StringOf(Member(&message->root, "ShardId", jbvString, true));
	records = Member(&message->root, "Records", jbvBinary, true)->val.binary.data;
	if (!JsonContainerIsArray(records))
		BadMessage("its Records are not an array");

	InitMaterializedSRF(fcinfo, 0);
	for (uint32 i = 0; i < JsonContainerSize(records); i++)
	{
		JsonbValue *r = getIthJsonbValueFromContainer(records, i);
		JsonbValue *key;
		JsonbValue *data;
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		if (r->type != jbvBinary || !JsonContainerIsObject(r->val.binary.data))
			BadMessage("a record is not a JSON object");
		key = Member(r->val.binary.data, "PartitionKey", jbvString, false);
		data = Member(r->val.binary.data, "Data", jbvString, false);
		if ((key == NULL) != (data == NULL))
			BadMessage("a record has a partition key or data, not both");
		values[0] = CStringGetTextDatum(stream_name);
		values[1] = CStringGetTextDatum(shard_id);
		values[2] = SequenceNumberOf(Member(r->val.binary.data, "SequenceNumber", jbvString, true));
		values[3] = ArrivalOf(Member(r->val.binary.data, "ApproximateArrivalTimestamp",
									 jbvNumeric, true));
		if (key != NULL)
		{
			values[4] = CStringGetTextDatum(StringOf(key));
			values[5] = DataOf(data);
		}
		else
			nulls[4] = nulls[5] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
