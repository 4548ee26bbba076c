/*-------------------------------------------------------------------------
 *
 * validate.c
 *	  Kinesis' checks of a request's body against its action's input shape.
 *
 * Kinesis checks a request in two steps, and so do we.  A value of the
 * wrong JSON type (a string where a number goes) stops at the first one
 * with SerializationException.  Then every member is held to its shape's
 * constraints (required, length, range, pattern, enum), and all that fail
 * are reported at once, as Kinesis words it:
 *
 *	 2 validation errors detected: Value '0' at 'shardCount' failed to
 *	 satisfy constraint: Member must have value greater than or equal to 1;
 *	 Value null at 'streamName' failed to satisfy constraint: Member must
 *	 not be null
 *
 * Members are named in lower camel case, elements of lists by their
 * 1-based position ('records.3.member.partitionKey').  Members the shape
 * does not know are ignored, as Kinesis ignores them.  What is left, the
 * rules that need the catalog (does the stream exist), is the SQL's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "common/base64.h"
#include "mb/pg_wchar.h"
#include "regex/regex.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "http/validate.h"

/* Kinesis reports this many constraint failures at most */
#define MAX_REPORTED	10

typedef struct Validation
{
	const char *serialization;	/* the first type error, if any */
	StringInfoData errors;
	int			nerrors;
} Validation;

static void ValidateValue(Validation *v, const KinesisShape *shape,
						  JsonbValue *value, const char *path);

const KinesisOperation *
KinesisFindOperation(const char *name)
{
	for (int i = 0; i < kinesis_noperations; i++)
		if (strcmp(kinesis_operations[i].name, name) == 0)
			return &kinesis_operations[i];
	return NULL;
}

/* "StreamName" at "records.1.member" is "records.1.member.streamName" */
static char *
MemberPath(const char *path, const char *name)
{
	char	   *member = pstrdup(name);

	member[0] = pg_ascii_tolower(member[0]);
	return path[0] ? psprintf("%s.%s", path, member) : member;
}

/* A value as Kinesis quotes it in a message */
static char *
QuoteValue(JsonbValue *value)
{
	Jsonb	   *jb;

	switch (value->type)
	{
		case jbvNull:
			return pstrdup("null");
		case jbvString:
			return psprintf("'%.*s'", Min(value->val.string.len, 256),
							value->val.string.val);
		case jbvNumeric:
			return psprintf("'%s'",
							DatumGetCString(DirectFunctionCall1(numeric_out,
																NumericGetDatum(value->val.numeric))));
		case jbvBool:
			return pstrdup(value->val.boolean ? "'true'" : "'false'");
		default:
			jb = JsonbValueToJsonb(value);
			return psprintf("'%s'", JsonbToCString(NULL, &jb->root, 256));
	}
}

static void
Fail(Validation *v, const char *quoted, const char *path, const char *fmt,...)
	pg_attribute_printf(4, 5);

/* Adds a failed constraint: the value as quoted, where, and the rule */
static void
Fail(Validation *v, const char *quoted, const char *path, const char *fmt,...)
{
	va_list		args;

	if (++v->nerrors > MAX_REPORTED)
		return;
	if (v->nerrors > 1)
		appendStringInfoString(&v->errors, "; ");
	appendStringInfo(&v->errors,
					 "Value %s at '%s' failed to satisfy constraint: Member must ",
					 quoted, path);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&v->errors, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&v->errors, needed);
	}
}

/* The JSON type a value has, in the words of Kinesis' parser */
static const char *
JsonTypeName(JsonbValue *value)
{
	switch (value->type)
	{
		case jbvString:
			return "STRING_VALUE";
		case jbvNumeric:
			return "NUMBER_VALUE";
		case jbvBool:
			return value->val.boolean ? "TRUE_VALUE" : "FALSE_VALUE";
		case jbvBinary:
			return JsonContainerIsArray(value->val.binary.data) ?
				"START_ARRAY" : "START_OBJECT";
		default:
			return "VALUE_NULL";
	}
}

static void
TypeError(Validation *v, JsonbValue *value, const char *target)
{
	if (v->serialization == NULL)
		v->serialization = psprintf("%s can not be converted to %s",
									JsonTypeName(value), target);
}

static bool
IsContainer(JsonbValue *value, bool array)
{
	return value->type == jbvBinary &&
		(array ? JsonContainerIsArray(value->val.binary.data) :
		 JsonContainerIsObject(value->val.binary.data));
}

/* Whether s matches the whole of a pattern of the model (Java's matches()) */
static bool
MatchesPattern(const char *pattern, const char *s, int len)
{
	text	   *re = cstring_to_text(psprintf("^(?:%s)$", pattern));

	return RE_compile_and_execute(re, (char *) s, len, REG_ADVANCED,
								  C_COLLATION_OID, 0, NULL);
}

static void
CheckLength(Validation *v, const KinesisShape *shape, const char *quoted,
			const char *path, int64 length)
{
	if (shape->has_min && length < shape->min)
		Fail(v, quoted, path, "have length greater than or equal to " INT64_FORMAT,
			 shape->min);
	if (shape->has_max && length > shape->max)
		Fail(v, quoted, path, "have length less than or equal to " INT64_FORMAT,
			 shape->max);
}

static void
ValidateString(Validation *v, const KinesisShape *shape, JsonbValue *value,
			   const char *path)
{
	const char *s = value->val.string.val;
	int			len = value->val.string.len;

	CheckLength(v, shape, QuoteValue(value), path, pg_mbstrlen_with_len(s, len));
	if (shape->pattern && !MatchesPattern(shape->pattern, s, len))
		Fail(v, QuoteValue(value), path, "satisfy regular expression pattern: %s",
			 shape->pattern);
	if (shape->enums)
	{
		StringInfoData set;

		for (int i = 0; shape->enums[i]; i++)
			if ((int) strlen(shape->enums[i]) == len &&
				memcmp(shape->enums[i], s, len) == 0)
				return;
		initStringInfo(&set);
		for (int i = 0; shape->enums[i]; i++)
			appendStringInfo(&set, "%s%s", i ? ", " : "", shape->enums[i]);
		Fail(v, QuoteValue(value), path, "satisfy enum value set: [%s]", set.data);
	}
}

static void
ValidateNumber(Validation *v, const KinesisShape *shape, JsonbValue *value,
			   const char *path)
{
	Numeric		n = value->val.numeric;
	Datum		bound;
	bool		is_integer = shape->type == SHAPE_INTEGER;

	/* an Integer or a Long is a whole number within its range */
	if (numeric_is_nan(n) || numeric_is_inf(n) ||
		!DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(n),
										  DirectFunctionCall2(numeric_trunc, NumericGetDatum(n),
															  Int32GetDatum(0)))) ||
		DatumGetBool(DirectFunctionCall2(numeric_gt, NumericGetDatum(n),
										 NumericGetDatum(int64_to_numeric(is_integer ? PG_INT32_MAX : PG_INT64_MAX)))) ||
		DatumGetBool(DirectFunctionCall2(numeric_lt, NumericGetDatum(n),
										 NumericGetDatum(int64_to_numeric(is_integer ? PG_INT32_MIN : PG_INT64_MIN)))))
	{
		TypeError(v, value, is_integer ? "an Integer" : "a Long");
		return;
	}
	if (shape->has_min)
	{
		bound = NumericGetDatum(int64_to_numeric(shape->min));
		if (DatumGetBool(DirectFunctionCall2(numeric_lt, NumericGetDatum(n), bound)))
			Fail(v, QuoteValue(value), path, "have value greater than or equal to " INT64_FORMAT,
				 shape->min);
	}
	if (shape->has_max)
	{
		bound = NumericGetDatum(int64_to_numeric(shape->max));
		if (DatumGetBool(DirectFunctionCall2(numeric_gt, NumericGetDatum(n), bound)))
			Fail(v, QuoteValue(value), path, "have value less than or equal to " INT64_FORMAT,
				 shape->max);
	}
}

static void
ValidateStructure(Validation *v, const KinesisShape *shape,
				  JsonbContainer *object, const char *path)
{
	for (int i = 0; i < shape->nmembers; i++)
	{
		const KinesisMember *m = &shape->members[i];
		char	   *mpath = MemberPath(path, m->name);
		JsonbValue	found;
		JsonbValue *value;

		value = getKeyJsonValueFromContainer(object, m->name, strlen(m->name),
											 &found);
		if (value == NULL || value->type == jbvNull)
		{
			if (m->required)
				Fail(v, "null", mpath, "not be null");
			continue;
		}
		ValidateValue(v, &kinesis_shapes[m->shape], value, mpath);
	}
}

static void
ValidateElements(Validation *v, const KinesisShape *shape,
				 JsonbValue *whole, const char *path)
{
	JsonbContainer *container = whole->val.binary.data;
	JsonbIterator *it = JsonbIteratorInit(container);
	JsonbValue	value;
	JsonbIteratorToken token;
	int			n = 0;
	bool		is_map = shape->type == SHAPE_MAP;

	if ((shape->has_min && JsonContainerSize(container) < shape->min) ||
		(shape->has_max && JsonContainerSize(container) > shape->max))
		CheckLength(v, shape, QuoteValue(whole), path,
					JsonContainerSize(container));
	while ((token = JsonbIteratorNext(&it, &value, true)) != WJB_DONE)
	{
		if (token == WJB_ELEM)
		{
			char	   *epath = psprintf("%s.%d.member", path, ++n);

			if (value.type == jbvNull)
				Fail(v, "null", epath, "not be null");
			else
				ValidateValue(v, &kinesis_shapes[shape->element], &value, epath);
		}
		else if (token == WJB_KEY && is_map)
			ValidateValue(v, &kinesis_shapes[shape->key], &value,
						  psprintf("%s.%d.key", path, ++n));
		else if (token == WJB_VALUE && is_map)
		{
			if (value.type == jbvNull)
				Fail(v, "null", psprintf("%s.%d.value", path, n), "not be null");
			else
				ValidateValue(v, &kinesis_shapes[shape->element], &value,
							  psprintf("%s.%d.value", path, n));
		}
	}
}

static void
ValidateValue(Validation *v, const KinesisShape *shape, JsonbValue *value,
			  const char *path)
{
	if (v->serialization)
		return;
	switch (shape->type)
	{
		case SHAPE_STRUCTURE:
			if (!IsContainer(value, false))
				TypeError(v, value, "a structure");
			else
				ValidateStructure(v, shape, value->val.binary.data, path);
			break;
		case SHAPE_LIST:
			if (!IsContainer(value, true))
				TypeError(v, value, "a list");
			else
				ValidateElements(v, shape, value, path);
			break;
		case SHAPE_MAP:
			if (!IsContainer(value, false))
				TypeError(v, value, "a map");
			else
				ValidateElements(v, shape, value, path);
			break;
		case SHAPE_STRING:
			if (value->type != jbvString)
				TypeError(v, value, "String");
			else
				ValidateString(v, shape, value, path);
			break;
		case SHAPE_INTEGER:
		case SHAPE_LONG:
			if (value->type != jbvNumeric)
				TypeError(v, value, shape->type == SHAPE_INTEGER ?
						  "an Integer" : "a Long");
			else
				ValidateNumber(v, shape, value, path);
			break;
		case SHAPE_DOUBLE:
		case SHAPE_TIMESTAMP:
			if (value->type != jbvNumeric)
				TypeError(v, value, shape->type == SHAPE_DOUBLE ?
						  "a Double" : "a Timestamp");
			break;
		case SHAPE_BOOLEAN:
			if (value->type != jbvBool)
				TypeError(v, value, "a Boolean");
			break;
		case SHAPE_BLOB:
			if (value->type != jbvString)
				TypeError(v, value, "a Blob");
			else
			{
				int			len = value->val.string.len;
				char	   *bytes = palloc(pg_b64_dec_len(len) + 1);
				int			n;

				n = pg_b64_decode(value->val.string.val, len, bytes,
								  pg_b64_dec_len(len));
				if (n < 0)
				{
					if (v->serialization == NULL)
						v->serialization = pstrdup("Base64 encoded binary data is not valid");
				}
				else
					CheckLength(v, shape,
								psprintf("'java.nio.HeapByteBuffer[pos=0 lim=%d cap=%d]'",
										 n, n),
								path, n);
				pfree(bytes);
			}
			break;
	}
}

char *
KinesisValidate(const KinesisOperation *op, Jsonb *request, const char **type)
{
	Validation	v = {0};
	JsonbValue	root;

	if (op->input < 0)
		return NULL;
	initStringInfo(&v.errors);
	root.type = jbvBinary;
	root.val.binary.data = &request->root;
	root.val.binary.len = VARSIZE(request) - VARHDRSZ;
	if (JB_ROOT_IS_SCALAR(request))
		TypeError(&v, &root, "a structure");
	else
		ValidateValue(&v, &kinesis_shapes[op->input], &root, "");
	if (v.serialization)
	{
		*type = "SerializationException";
		return (char *) v.serialization;
	}
	if (v.nerrors > 0)
	{
		*type = "ValidationException";
		return psprintf("%d validation error%s detected: %s", v.nerrors,
						v.nerrors > 1 ? "s" : "", v.errors.data);
	}
	return NULL;
}
