/*-------------------------------------------------------------------------
 *
 * actions.c
 *	  The actions of the Kinesis endpoint that carry records, in C:
 *	  stream_internal.kinesis_put_records, kinesis_get_records and
 *	  kinesis_subscribe_to_shard.  (The others are SQL, sql/86_endpoint.sql.)
 *
 * Each runs the public function it stands for through a query kept for the
 * worker's life, as the request's role (so that the privileges checked are
 * the role's), and writes its answer as JSON text.  Built with jsonb
 * functions in SQL, GetRecords' answer of 10,000 records took twenty times
 * as long as reading them; here it takes about as long (doc/endpoint.md).
 * The server sends the text as it is, or re-encodes it for CBOR clients.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/base64.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "http/http.h"
#include "kinesis/catalog.h"

PG_FUNCTION_INFO_V1(stream_kinesis_put_records);
PG_FUNCTION_INFO_V1(stream_kinesis_get_records);
PG_FUNCTION_INFO_V1(stream_kinesis_subscribe_to_shard);

/*
 * An answer is built in place as a json datum: its text after a varlena
 * header, so that returning it copies nothing.
 */
static void
StartAnswer(StringInfo out)
{
	initStringInfo(out);
	appendStringInfoSpaces(out, VARHDRSZ);
}

static Datum
FinishAnswer(StringInfo out)
{
	SET_VARSIZE(out->data, out->len);
	return PointerGetDatum(out->data);
}

/* Runs a kept query of the request ($1 jsonb); its one row */
static HeapTuple
RunForRequest(SPIPlanPtr plan, Datum request, TupleDesc *desc, uint64 *nrows)
{
	Datum		args[1] = {request};

	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "the query of a Kinesis action failed");
	*desc = SPI_tuptable->tupdesc;
	if (nrows)
		*nrows = SPI_processed;
	return SPI_processed > 0 ? SPI_tuptable->vals[0] : NULL;
}

/* A numeric as a JSON string: "49..." */
static void
AppendNumericString(StringInfo out, Datum value)
{
	appendStringInfoChar(out, '"');
	appendStringInfoString(out, DatumGetCString(DirectFunctionCall1(numeric_out, value)));
	appendStringInfoChar(out, '"');
}

/* A timestamp as Kinesis' JSON has it: epoch seconds, to the millisecond */
static void
AppendEpochSeconds(StringInfo out, TimestampTz ts)
{
	int64		us = ts + (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
	int64		ms = us >= 0 ? (us + 500) / 1000 : -((-us + 500) / 1000);

	if (ms < 0)
		appendStringInfo(out, "-" INT64_FORMAT ".%03d", -ms / 1000, (int) (-ms % 1000));
	else
		appendStringInfo(out, INT64_FORMAT ".%03d", ms / 1000, (int) (ms % 1000));
}

static void
AppendBase64(StringInfo out, const char *data, int len)
{
	int			room = pg_b64_enc_len(len);
	int			n;

	appendStringInfoChar(out, '"');
	enlargeStringInfo(out, room);
	n = pg_b64_encode(data, len, out->data + out->len, room);
	if (n < 0)
		elog(ERROR, "could not encode a record's data in base64");
	out->len += n;
	out->data[out->len] = '\0';
	appendStringInfoChar(out, '"');
}

static void
AppendTextMember(StringInfo out, const char *name, Datum value)
{
	appendStringInfo(out, ",\"%s\":", name);
	escape_json(out, TextDatumGetCString(value));
}

/*
 * A stream.record[] as Kinesis' Records: [{"SequenceNumber": "...",
 * "ApproximateArrivalTimestamp": 1.7e9, "Data": "<base64>", "PartitionKey":
 * "...", "EncryptionType": "KMS"}, ...], EncryptionType only for a record
 * that was encrypted, as Kinesis' examples show records (and kinesalite
 * sends them): a member fewer for every client to parse.
 */
static void
AppendRecords(StringInfo out, Datum array, bool isnull)
{
	ArrayType  *records;
	TupleDesc	desc;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	appendStringInfoChar(out, '[');
	if (isnull)
	{
		appendStringInfoChar(out, ']');
		return;
	}
	records = DatumGetArrayTypeP(array);
	desc = lookup_rowtype_tupdesc(ARR_ELEMTYPE(records), -1);
	if (desc->natts != 5)
		elog(ERROR, "stream.record has %d attributes, not 5", desc->natts);
	get_typlenbyvalalign(ARR_ELEMTYPE(records), &typlen, &typbyval, &typalign);
	deconstruct_array(records, ARR_ELEMTYPE(records), typlen, typbyval, typalign,
					  &elems, &nulls, &n);
	/* room for all at once: data grows by a third in base64, and names */
	enlargeStringInfo(out, ARR_SIZE(records) / 3 * 4 + n * 128);
	for (int i = 0; i < n; i++)
	{
		HeapTupleHeader th;
		HeapTupleData tuple;
		Datum		values[5];
		bool		isnulls[5];
		bytea	   *data;

		if (nulls[i])
			elog(ERROR, "a record of the answer is NULL");
		th = DatumGetHeapTupleHeader(elems[i]);
		tuple.t_len = HeapTupleHeaderGetDatumLength(th);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = InvalidOid;
		tuple.t_data = th;
		heap_deform_tuple(&tuple, desc, values, isnulls);
		if (isnulls[0] || isnulls[1] || isnulls[2] || isnulls[3])
			elog(ERROR, "a record of the answer lacks a sequence number, time, data or key");

		appendStringInfoString(out, i == 0 ? "{\"SequenceNumber\":" : ",{\"SequenceNumber\":");
		AppendNumericString(out, values[0]);
		appendStringInfoString(out, ",\"ApproximateArrivalTimestamp\":");
		AppendEpochSeconds(out, DatumGetTimestampTz(values[1]));
		appendStringInfoString(out, ",\"Data\":");
		data = DatumGetByteaPP(values[2]);
		AppendBase64(out, VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data));
		AppendTextMember(out, "PartitionKey", values[3]);
		if (!isnulls[4] && strcmp(TextDatumGetCString(values[4]), "NONE") != 0)
			AppendTextMember(out, "EncryptionType", values[4]);
		appendStringInfoChar(out, '}');
	}
	appendStringInfoChar(out, ']');
	ReleaseTupleDesc(desc);
}

/* MillisBehindLatest and ChildShards, when the row has them (columns 3, 4) */
static void
AppendPositionMembers(StringInfo out, HeapTuple row, TupleDesc desc)
{
	bool		isnull;
	Datum		value;

	value = SPI_getbinval(row, desc, 3, &isnull);
	if (!isnull)
		appendStringInfo(out, ",\"MillisBehindLatest\":" INT64_FORMAT, DatumGetInt64(value));
	value = SPI_getbinval(row, desc, 4, &isnull);
	if (!isnull)
	{
		Jsonb	   *children = DatumGetJsonbP(value);

		appendStringInfoString(out, ",\"ChildShards\":");
		(void) JsonbToCString(out, &children->root, VARSIZE(children));
	}
}

/*
 * PutRecords: the request's records to stream.put_records, whose rows (in
 * the order of the records) become Records, with FailedRecordCount and the
 * stream's EncryptionType.
 */
Datum
stream_kinesis_put_records(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[1] = {JSONBOID};
	Jsonb	   *request = PG_GETARG_JSONB_P(0);
	JsonbValue	found;
	JsonbValue *name = NULL;
	char	   *stream_name = NULL;
	StringInfoData out;
	StringInfoData records;
	TupleDesc	desc;
	uint64		nrows;
	int			failed = 0;
	StreamInfo *stream;

	/* without a name, put_records says what is wrong */
	if (JB_ROOT_IS_OBJECT(request))
		name = getKeyJsonValueFromContainer(&request->root, "StreamName", 10, &found);
	if (name != NULL && name->type == jbvString)
		stream_name = pnstrdup(name->val.string.val, name->val.string.len);
	StartAnswer(&out);
	initStringInfo(&records);
	SPI_connect();
	RunForRequest(StreamKeptPlan(&plan,
								 "SELECT p.shard_id, p.sequence_number, p.error_code, p.error_message "
								 "FROM stream.put_records($1 OPERATOR(pg_catalog.->>) 'StreamName', "
								 "(SELECT pg_catalog.array_agg(ROW(pg_catalog.decode(r OPERATOR(pg_catalog.->>) 'Data', 'base64'), "
								 "r OPERATOR(pg_catalog.->>) 'PartitionKey', "
								 "(r OPERATOR(pg_catalog.->>) 'ExplicitHashKey')::pg_catalog.numeric"
								 ")::stream.put_records_request_entry ORDER BY o) "
								 "FROM pg_catalog.jsonb_array_elements($1 OPERATOR(pg_catalog.->) 'Records') "
								 "WITH ORDINALITY AS e(r, o))) p "
								 "ORDER BY p.ordinality",
								 1, argtypes),
				  PG_GETARG_DATUM(0), &desc, &nrows);
	for (uint64 i = 0; i < nrows; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		bool		no_shard;
		bool		no_sequence;
		bool		no_code;
		bool		no_message;
		Datum		shard_id = SPI_getbinval(row, desc, 1, &no_shard);
		Datum		sequence = SPI_getbinval(row, desc, 2, &no_sequence);
		Datum		code = SPI_getbinval(row, desc, 3, &no_code);
		Datum		message = SPI_getbinval(row, desc, 4, &no_message);

		appendStringInfoString(&records, i == 0 ? "{" : ",{");
		if (!no_shard && !no_sequence)
		{
			appendStringInfoString(&records, "\"SequenceNumber\":");
			AppendNumericString(&records, sequence);
			AppendTextMember(&records, "ShardId", shard_id);
		}
		else if (!no_code)
		{
			failed++;
			appendStringInfoString(&records, "\"ErrorCode\":");
			escape_json(&records, TextDatumGetCString(code));
			if (!no_message)
				AppendTextMember(&records, "ErrorMessage", message);
		}
		else
			elog(ERROR, "put_records answered a record neither written nor failed");
		appendStringInfoChar(&records, '}');
	}
	SPI_finish();
	/* the stream exists and the role may write it: put_records said so */
	stream = stream_name ? StreamLookupByName(stream_name) : NULL;
	appendStringInfo(&out, "{\"FailedRecordCount\":%d,\"Records\":[", failed);
	appendBinaryStringInfo(&out, records.data, records.len);
	appendStringInfoString(&out, "],\"EncryptionType\":");
	escape_json(&out, stream && stream->encryption_type ? stream->encryption_type : "NONE");
	appendStringInfoChar(&out, '}');
	PG_RETURN_DATUM(FinishAnswer(&out));
}

/*
 * An answer of records: the one row of a kept query (records, then the
 * position to go on from, then MillisBehindLatest and ChildShards) as
 * {"Records": [...], "<next>": ..., ...}; the position is NextShardIterator
 * (text) for GetRecords, ContinuationSequenceNumber (numeric) for
 * SubscribeToShard.
 */
static Datum
RecordsAnswer(SPIPlanPtr *plan, const char *sql, Datum request, const char *next)
{
	Oid			argtypes[1] = {JSONBOID};
	StringInfoData out;
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;
	Datum		value;

	StartAnswer(&out);
	SPI_connect();
	row = RunForRequest(StreamKeptPlan(plan, sql, 1, argtypes), request, &desc, NULL);
	if (row == NULL)
		elog(ERROR, "the query of a Kinesis action returned no row");
	appendStringInfoString(&out, "{\"Records\":");
	value = SPI_getbinval(row, desc, 1, &isnull);
	AppendRecords(&out, value, isnull);
	value = SPI_getbinval(row, desc, 2, &isnull);
	if (!isnull && SPI_gettypeid(desc, 2) == NUMERICOID)
	{
		appendStringInfo(&out, ",\"%s\":", next);
		AppendNumericString(&out, value);
	}
	else if (!isnull)
		AppendTextMember(&out, next, value);
	AppendPositionMembers(&out, row, desc);
	appendStringInfoChar(&out, '}');
	SPI_finish();
	return FinishAnswer(&out);
}

/* GetRecords: stream.get_records' row */
Datum
stream_kinesis_get_records(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;

	PG_RETURN_DATUM(RecordsAnswer(&plan,
								  "SELECT g.records, g.next_shard_iterator, g.millis_behind_latest, "
								  "g.child_shards FROM stream.get_records("
								  "$1 OPERATOR(pg_catalog.->>) 'ShardIterator', "
								  "coalesce(($1 OPERATOR(pg_catalog.->>) 'Limit')::pg_catalog.int4, 10000)) g",
								  PG_GETARG_DATUM(0), "NextShardIterator"));
}

/*
 * The next SubscribeToShardEvent of a subscription: stream.subscribe_to_shard
 * with no wait (the server polls).
 */
Datum
stream_kinesis_subscribe_to_shard(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;

	PG_RETURN_DATUM(RecordsAnswer(&plan,
								  "SELECT s.records, s.continuation_sequence_number, "
								  "s.millis_behind_latest, s.child_shards "
								  "FROM stream.subscribe_to_shard("
								  "$1 OPERATOR(pg_catalog.->>) 'StreamName', "
								  "$1 OPERATOR(pg_catalog.->>) 'ConsumerName', "
								  "$1 OPERATOR(pg_catalog.->>) 'ShardId', "
								  "$1 OPERATOR(pg_catalog.#>>) '{StartingPosition,Type}', "
								  "($1 OPERATOR(pg_catalog.#>>) '{StartingPosition,SequenceNumber}')::pg_catalog.numeric, "
								  "pg_catalog.to_timestamp(($1 OPERATOR(pg_catalog.#>>) "
								  "'{StartingPosition,Timestamp}')::pg_catalog.float8), "
								  "wait => '0') s",
								  PG_GETARG_DATUM(0), "ContinuationSequenceNumber"));
}
