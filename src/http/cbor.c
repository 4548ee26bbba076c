/*-------------------------------------------------------------------------
 *
 * cbor.c
 *	  CBOR bodies (application/x-amz-cbor-1.1, the Java SDKs' default) to and
 *	  from the jsonb the actions take and give.
 *
 * A request's CBOR becomes the jsonb its JSON would have been: maps
 * objects, arrays arrays, numbers numbers, text strings strings, byte
 * strings base64 text (so that the API model's Blob checks and the actions
 * read Data as they do for JSON), a timestamp epoch seconds: an integer
 * under tag 1 is milliseconds, as the Java SDK v1 writes it, and so is an
 * untagged integer in a member that is a timestamp in the model (Timestamp,
 * StreamCreationTimestamp), as the Java SDK v2 writes it; a float is
 * seconds.  An answer goes back the other way, from the JSON text the
 * actions answer: members named Data become byte strings again, and
 * timestamps integer milliseconds, as kinesis-mock and the Java SDK v2 read
 * them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <cbor.h>

#include "common/base64.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "http/cbor.h"

/* how deep a CBOR body may nest (JSON's depth is bounded by the stack) */
#define CBOR_MAX_DEPTH	64

/* The members of Kinesis' requests and answers that are timestamps */
static bool
IsTimestampMember(const char *key, int len)
{
	static const char *const names[] = {"ApproximateArrivalTimestamp",
		"StreamCreationTimestamp", "ConsumerCreationTimestamp", "Timestamp", NULL};

	for (int i = 0; names[i]; i++)
		if ((int) strlen(names[i]) == len && memcmp(names[i], key, len) == 0)
			return true;
	return false;
}

/* Epoch milliseconds as the seconds a timestamp is in JSON */
static void PushNumeric(JsonbParseState **state, JsonbIteratorToken token, Numeric n);

static void
PushMilliseconds(JsonbParseState **state, JsonbIteratorToken token, uint64 ms)
{
	PushNumeric(state, token,
				DatumGetNumeric(DirectFunctionCall2(numeric_div,
													NumericGetDatum(int64_to_numeric((int64) Min(ms, (uint64) PG_INT64_MAX))),
													NumericGetDatum(int64_to_numeric(1000)))));
}

static bool PushItem(JsonbParseState **state, cbor_item_t *item,
					 JsonbIteratorToken token, int depth);

static void
PushString(JsonbParseState **state, JsonbIteratorToken token,
		   const char *s, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = len;
	(void) pushJsonbValue(state, token, &v);
}

static void
PushNumeric(JsonbParseState **state, JsonbIteratorToken token, Numeric n)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = n;
	(void) pushJsonbValue(state, token, &v);
}

/* A definite or indefinite byte or text string, whole */
static char *
StringBytes(cbor_item_t *item, size_t *len)
{
	bool		bytes = cbor_isa_bytestring(item);
	StringInfoData buf;

	if (bytes ? cbor_bytestring_is_definite(item) : cbor_string_is_definite(item))
	{
		char	   *copy;

		*len = bytes ? cbor_bytestring_length(item) : cbor_string_length(item);
		/* (not pnstrdup: bytes may hold zeros) */
		copy = palloc(*len + 1);
		memcpy(copy, bytes ? cbor_bytestring_handle(item) : cbor_string_handle(item), *len);
		copy[*len] = '\0';
		return copy;
	}
	initStringInfo(&buf);
	for (size_t i = 0; i < (bytes ? cbor_bytestring_chunk_count(item) :
							cbor_string_chunk_count(item)); i++)
	{
		cbor_item_t *chunk = bytes ? cbor_bytestring_chunks_handle(item)[i] :
		cbor_string_chunks_handle(item)[i];

		appendBinaryStringInfo(&buf, (const char *) (bytes ? cbor_bytestring_handle(chunk) :
													 cbor_string_handle(chunk)),
							   bytes ? cbor_bytestring_length(chunk) : cbor_string_length(chunk));
	}
	*len = buf.len;
	return buf.data;
}

static bool
PushItem(JsonbParseState **state, cbor_item_t *item, JsonbIteratorToken token,
		 int depth)
{
	JsonbValue	v;
	size_t		len;
	char	   *s;

	if (depth > CBOR_MAX_DEPTH)
		return false;
	switch (cbor_typeof(item))
	{
		case CBOR_TYPE_UINT:
			PushNumeric(state, token,
						DatumGetNumeric(DirectFunctionCall1(int8_numeric,
															Int64GetDatum((int64) Min(cbor_get_int(item), (uint64) PG_INT64_MAX)))));
			return true;
		case CBOR_TYPE_NEGINT:
			PushNumeric(state, token,
						int64_to_numeric(-1 - (int64) Min(cbor_get_int(item), (uint64) PG_INT64_MAX - 1)));
			return true;
		case CBOR_TYPE_BYTESTRING:
			{
				char	   *bytes = StringBytes(item, &len);
				int			n = pg_b64_enc_len(len);
				char	   *b64 = palloc(n + 1);

				n = pg_b64_encode(bytes, len, b64, n);
				if (n < 0)
					return false;
				PushString(state, token, b64, n);
				return true;
			}
		case CBOR_TYPE_STRING:
			s = StringBytes(item, &len);
			PushString(state, token, s, len);
			return true;
		case CBOR_TYPE_ARRAY:
			(void) pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
			for (size_t i = 0; i < cbor_array_size(item); i++)
				if (!PushItem(state, cbor_array_handle(item)[i], WJB_ELEM, depth + 1))
					return false;
			(void) pushJsonbValue(state, WJB_END_ARRAY, NULL);
			return true;
		case CBOR_TYPE_MAP:
			(void) pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
			for (size_t i = 0; i < cbor_map_size(item); i++)
			{
				struct cbor_pair pair = cbor_map_handle(item)[i];

				if (!cbor_isa_string(pair.key))
					return false;
				s = StringBytes(pair.key, &len);
				PushString(state, WJB_KEY, s, len);
				if (cbor_isa_uint(pair.value) && IsTimestampMember(s, len))
					PushMilliseconds(state, WJB_VALUE, cbor_get_int(pair.value));
				else if (!PushItem(state, pair.value, WJB_VALUE, depth + 1))
					return false;
			}
			(void) pushJsonbValue(state, WJB_END_OBJECT, NULL);
			return true;
		case CBOR_TYPE_TAG:
			{
				cbor_item_t *inner = cbor_tag_item(item);
				bool		ok;

				/* an epoch time: integer milliseconds, or float seconds */
				if (cbor_tag_value(item) == 1 && cbor_isa_uint(inner))
				{
					PushMilliseconds(state, token, cbor_get_int(inner));
					ok = true;
				}
				else
					ok = PushItem(state, inner, token, depth + 1);
				cbor_decref(&inner);
				return ok;
			}
		case CBOR_TYPE_FLOAT_CTRL:
			if (cbor_is_bool(item))
			{
				v.type = jbvBool;
				v.val.boolean = cbor_get_bool(item);
			}
			else if (cbor_is_null(item) || cbor_is_undef(item))
				v.type = jbvNull;
			else
			{
				double		d = cbor_float_get_float(item);

				if (isnan(d) || isinf(d))
					return false;
				v.type = jbvNumeric;
				v.val.numeric = DatumGetNumeric(DirectFunctionCall1(float8_numeric,
																	Float8GetDatum(d)));
			}
			(void) pushJsonbValue(state, token, &v);
			return true;
	}
	return false;
}

/* A CBOR body as the jsonb of its JSON; NULL if it is not CBOR of a map */
Jsonb *
CborToJsonb(const char *data, int len)
{
	struct cbor_load_result result;
	cbor_item_t *item = cbor_load((cbor_data) data, len, &result);
	JsonbParseState *state = NULL;
	Jsonb	   *jsonb = NULL;

	if (item == NULL)
		return NULL;
	if (result.read == (size_t) len && cbor_isa_map(item))
	{
		(void) pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		if (PushItem(&state, item, WJB_ELEM, 0))
		{
			JsonbValue *array = pushJsonbValue(&state, WJB_END_ARRAY, NULL);

			/* (the map was pushed as the array's element) */
			jsonb = JsonbValueToJsonb(&array->val.array.elems[0]);
		}
	}
	cbor_decref(&item);
	return jsonb;
}

/*
 * Answers: the JSON text of an answer written out as CBOR as it is parsed
 * (PostgreSQL's JSON parser, with semantic actions), with no tree between:
 * GetRecords' answers run to megabytes.  Maps and arrays are of indefinite
 * length (their sizes are not known when they begin), which CBOR allows and
 * the Java SDKs read.
 */
typedef struct CborWriter
{
	StringInfo	out;
	const char *key;			/* of the member whose value comes next */
} CborWriter;

/* The head of an item: its major type and its length or value */
static void
WriteHead(StringInfo out, int major, uint64 n)
{
	uint8		bytes[9];
	int			len;

	if (n < 24)
	{
		bytes[0] = (major << 5) | n;
		len = 1;
	}
	else
	{
		int			size = n <= PG_UINT8_MAX ? 1 : n <= PG_UINT16_MAX ? 2 :
			n <= PG_UINT32_MAX ? 4 : 8;

		bytes[0] = (major << 5) | (size == 1 ? 24 : size == 2 ? 25 : size == 4 ? 26 : 27);
		for (int i = 0; i < size; i++)
			bytes[1 + i] = (n >> (8 * (size - 1 - i))) & 0xff;
		len = 1 + size;
	}
	appendBinaryStringInfo(out, (const char *) bytes, len);
}

static void
WriteText(StringInfo out, const char *text, int len)
{
	WriteHead(out, 3, len);
	appendBinaryStringInfo(out, text, len);
}

/*
 * A number: a timestamp's epoch seconds as integer milliseconds, whole
 * numbers within int64 as integers, others as doubles
 */
static void
WriteInteger(StringInfo out, int64 i)
{
	if (i >= 0)
		WriteHead(out, 0, (uint64) i);
	else
		WriteHead(out, 1, (uint64) (-1 - i));
}

/*
 * The common numbers without numeric arithmetic: up to 15 digits, and a
 * timestamp's up to 3 decimals (milliseconds).  False for any other.
 */
static bool
WriteShortNumber(StringInfo out, const char *token, bool timestamp)
{
	const char *p = token;
	bool		negative = (*p == '-');
	int64		value = 0;
	int			digits = 0;
	int			decimals = 0;

	if (negative)
		p++;
	for (; isdigit((unsigned char) *p) && digits < 15; p++, digits++)
		value = value * 10 + (*p - '0');
	if (digits == 0)
		return false;
	if (*p == '.' && timestamp)
		for (p++; isdigit((unsigned char) *p) && decimals < 3; p++, decimals++)
			value = value * 10 + (*p - '0');
	if (*p != '\0')
		return false;
	if (timestamp)
		for (; decimals < 3; decimals++)
			value *= 10;
	WriteInteger(out, negative ? -value : value);
	return true;
}

static void
WriteNumber(StringInfo out, const char *token, bool timestamp)
{
	Numeric		n;

	if (WriteShortNumber(out, token, timestamp))
		return;
	n = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(token),
											ObjectIdGetDatum(InvalidOid),
											Int32GetDatum(-1)));

	if (timestamp)
		n = DatumGetNumeric(DirectFunctionCall2(numeric_mul, NumericGetDatum(n),
												NumericGetDatum(int64_to_numeric(1000))));
	if (DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(n),
										 DirectFunctionCall2(numeric_trunc, NumericGetDatum(n),
															 Int32GetDatum(0)))) &&
		DatumGetBool(DirectFunctionCall2(numeric_le, NumericGetDatum(n),
										 NumericGetDatum(int64_to_numeric(PG_INT64_MAX)))) &&
		DatumGetBool(DirectFunctionCall2(numeric_ge, NumericGetDatum(n),
										 NumericGetDatum(int64_to_numeric(PG_INT64_MIN)))))
	{
		WriteInteger(out, DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(n))));
	}
	else
	{
		float8		d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(n)));
		uint64		bits;

		memcpy(&bits, &d, sizeof(bits));
		appendStringInfoChar(out, (char) 0xfb);
		for (int i = 7; i >= 0; i--)
			appendStringInfoChar(out, (char) ((bits >> (8 * i)) & 0xff));
	}
}

static void
BeginMap(void *state)
{
	appendStringInfoChar(((CborWriter *) state)->out, (char) 0xbf);
}

static void
BeginArray(void *state)
{
	appendStringInfoChar(((CborWriter *) state)->out, (char) 0x9f);
}

static void
End(void *state)
{
	appendStringInfoChar(((CborWriter *) state)->out, (char) 0xff);
}

static void
Member(void *state, char *name, bool isnull)
{
	CborWriter *w = state;

	WriteText(w->out, name, strlen(name));
	w->key = name;
}

static void
Element(void *state, bool isnull)
{
	((CborWriter *) state)->key = NULL;
}

/* Data (base64) as bytes; timestamps as milliseconds (WriteNumber) */
static void
Scalar(void *state, char *token, JsonTokenType type)
{
	CborWriter *w = state;
	const char *key = w->key;

	w->key = NULL;
	switch (type)
	{
		case JSON_TOKEN_STRING:
			if (key && strcmp(key, "Data") == 0)
			{
				int			len = strlen(token);
				char	   *bytes = palloc(pg_b64_dec_len(len) + 1);
				int			n = pg_b64_decode(token, len, bytes, pg_b64_dec_len(len));

				if (n >= 0)
				{
					WriteHead(w->out, 2, n);
					appendBinaryStringInfo(w->out, bytes, n);
					pfree(bytes);
					break;
				}
				pfree(bytes);
			}
			WriteText(w->out, token, strlen(token));
			break;
		case JSON_TOKEN_NUMBER:
			WriteNumber(w->out, token, key && IsTimestampMember(key, strlen(key)));
			break;
		case JSON_TOKEN_TRUE:
			appendStringInfoChar(w->out, (char) 0xf5);
			break;
		case JSON_TOKEN_FALSE:
			appendStringInfoChar(w->out, (char) 0xf4);
			break;
		default:
			appendStringInfoChar(w->out, (char) 0xf6);
			break;
	}
}

/* An answer's JSON text as CBOR, appended to out; false if it is not JSON */
bool
JsonToCbor(const char *json, int len, StringInfo out)
{
	JsonLexContext *lex = makeJsonLexContextCstringLen(unconstify(char *, json), len,
													   PG_UTF8, true);
	CborWriter	writer = {.out = out};
	JsonSemAction sem = {
		.semstate = &writer,
		.object_start = BeginMap,
		.object_end = End,
		.array_start = BeginArray,
		.array_end = End,
		.object_field_start = Member,
		.array_element_start = Element,
		.scalar = Scalar,
	};

	return pg_parse_json(lex, &sem) == JSON_SUCCESS;
}
