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
 * seconds.  An answer goes back the other way: members named Data
 * become byte strings again, and timestamps integer milliseconds, as
 * kinesis-mock and the Java SDK v2 read them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <cbor.h>

#include "common/base64.h"
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

static cbor_item_t *EncodeValue(JsonbValue *v, const char *key, int keylen);

static cbor_item_t *
EncodeContainer(JsonbContainer *container)
{
	JsonbIterator *it = JsonbIteratorInit(container);
	JsonbValue	v;
	JsonbIteratorToken token;
	cbor_item_t *item = NULL;
	char	   *key = NULL;
	int			keylen = 0;

	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		switch (token)
		{
			case WJB_BEGIN_ARRAY:
				item = cbor_new_indefinite_array();
				break;
			case WJB_BEGIN_OBJECT:
				item = cbor_new_indefinite_map();
				break;
			case WJB_KEY:
				key = v.val.string.val;
				keylen = v.val.string.len;
				break;
			case WJB_VALUE:
				{
					struct cbor_pair pair;

					pair.key = cbor_build_stringn(key, keylen);
					pair.value = EncodeValue(&v, key, keylen);
					(void) cbor_map_add(item, pair);
					cbor_decref(&pair.key);
					cbor_decref(&pair.value);
				}
				break;
			case WJB_ELEM:
				{
					cbor_item_t *elem = EncodeValue(&v, NULL, 0);

					(void) cbor_array_push(item, elem);
					cbor_decref(&elem);
				}
				break;
			default:
				break;
		}
	}
	return item;
}

/*
 * One value: Data (base64) as bytes, timestamps (epoch seconds) as integer
 * milliseconds, whole numbers as integers, others as doubles.
 */
static cbor_item_t *
EncodeValue(JsonbValue *v, const char *key, int keylen)
{
	switch (v->type)
	{
		case jbvNull:
			return cbor_build_ctrl(CBOR_CTRL_NULL);
		case jbvBool:
			return cbor_build_bool(v->val.boolean);
		case jbvString:
			if (key && keylen == 4 && memcmp(key, "Data", 4) == 0)
			{
				int			n = pg_b64_dec_len(v->val.string.len);
				char	   *bytes = palloc(n + 1);

				n = pg_b64_decode(v->val.string.val, v->val.string.len, bytes, n);
				if (n >= 0)
					return cbor_build_bytestring((cbor_data) bytes, n);
			}
			return cbor_build_stringn(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			{
				Numeric		n = v->val.numeric;

				if (key && IsTimestampMember(key, keylen))
					n = DatumGetNumeric(DirectFunctionCall2(numeric_mul, NumericGetDatum(n),
															NumericGetDatum(int64_to_numeric(1000))));
				/* whole numbers within int64 as integers (no error can escape) */
				if (DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(n),
													 DirectFunctionCall2(numeric_trunc, NumericGetDatum(n),
																		 Int32GetDatum(0)))) &&
					DatumGetBool(DirectFunctionCall2(numeric_le, NumericGetDatum(n),
													 NumericGetDatum(int64_to_numeric(PG_INT64_MAX)))) &&
					DatumGetBool(DirectFunctionCall2(numeric_ge, NumericGetDatum(n),
													 NumericGetDatum(int64_to_numeric(PG_INT64_MIN)))))
				{
					int64		i = DatumGetInt64(DirectFunctionCall1(numeric_int8,
																	  NumericGetDatum(n)));

					return i >= 0 ? cbor_build_uint64((uint64) i) :
						cbor_build_negint64((uint64) (-1 - i));
				}
				return cbor_build_float8(DatumGetFloat8(DirectFunctionCall1(numeric_float8,
																		  NumericGetDatum(n))));
			}
		case jbvBinary:
			return EncodeContainer(v->val.binary.data);
		default:
			return cbor_build_ctrl(CBOR_CTRL_NULL);
	}
}

/* An answer's jsonb as CBOR, appended to out */
void
JsonbToCbor(Jsonb *jsonb, StringInfo out)
{
	cbor_item_t *item = EncodeContainer(&jsonb->root);
	unsigned char *buffer = NULL;
	size_t		size = 0;
	size_t		length = cbor_serialize_alloc(item, &buffer, &size);

	appendBinaryStringInfo(out, (const char *) buffer, length);
	free(buffer);
	cbor_decref(&item);
}
