/*-------------------------------------------------------------------------
 *
 * names.c
 *	  The names Kinesis gives things: shard ids such as
 *	  "shardId-000000000003", stream ARNs, and what a stream name may be,
 *	  for the C code and, through stream_internal.shard_id, shard_no,
 *	  stream_arn and valid_stream_name, for the extension's SQL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "kinesis/kinesis.h"
#include "kinesis/names.h"

PG_FUNCTION_INFO_V1(stream_shard_id);
PG_FUNCTION_INFO_V1(stream_shard_no);
PG_FUNCTION_INFO_V1(stream_stream_arn);
PG_FUNCTION_INFO_V1(stream_valid_stream_name);
PG_FUNCTION_INFO_V1(stream_valid_tag_text);

#define SHARD_ID_PREFIX "shardId-"
#define SHARD_ID_PREFIX_LEN 8

char	   *stream_region = NULL;
char	   *stream_account_id = NULL;

void
NamesInit(void)
{
	DefineCustomStringVariable("stream.region",
							   "Region shown in stream ARNs.",
							   NULL, &stream_region, "local-1",
							   PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("stream.account_id",
							   "Account id shown in stream ARNs.",
							   NULL, &stream_account_id, "000000000000",
							   PGC_USERSET, 0, NULL, NULL, NULL);
}

/*
 * Writes a shard id (STREAM_SHARD_ID_LEN bytes and a terminating zero)
 * without the printf machinery: put_record returns one with every record.
 */
static void
FormatShardId(char *buf, int32 shard_no)
{
	uint32		n = (uint32) shard_no;

	Assert(shard_no >= 0);
	memcpy(buf, SHARD_ID_PREFIX, SHARD_ID_PREFIX_LEN);
	for (int i = STREAM_SHARD_ID_LEN - 1; i >= SHARD_ID_PREFIX_LEN; i--)
	{
		buf[i] = '0' + n % 10;
		n /= 10;
	}
	buf[STREAM_SHARD_ID_LEN] = '\0';
}

char *
StreamFormatShardId(int32 shard_no)
{
	char	   *buf = palloc(STREAM_SHARD_ID_LEN + 1);

	FormatShardId(buf, shard_no);
	return buf;
}

text *
StreamShardIdText(int32 shard_no)
{
	char		buf[STREAM_SHARD_ID_LEN + 1];

	FormatShardId(buf, shard_no);
	return cstring_to_text_with_len(buf, STREAM_SHARD_ID_LEN);
}

/* The shard number of a shard id, or -1 if it is not one. */
int32
StreamParseShardId(const char *shard_id)
{
	int64		shard_no = 0;
	const char *p;

	if (strlen(shard_id) != STREAM_SHARD_ID_LEN ||
		strncmp(shard_id, SHARD_ID_PREFIX, SHARD_ID_PREFIX_LEN) != 0)
		return -1;
	for (p = shard_id + SHARD_ID_PREFIX_LEN; *p; p++)
	{
		if (*p < '0' || *p > '9')
			return -1;
		shard_no = shard_no * 10 + (*p - '0');
	}
	return shard_no > PG_INT32_MAX ? -1 : (int32) shard_no;
}

/* stream_internal.shard_id(shard_no int) RETURNS text */
Datum
stream_shard_id(PG_FUNCTION_ARGS)
{
	int32		shard_no = PG_GETARG_INT32(0);

	if (shard_no < 0)
		elog(ERROR, "invalid shard number %d", shard_no);
	PG_RETURN_TEXT_P(StreamShardIdText(shard_no));
}

/* stream_internal.shard_no(shard_id text) RETURNS int: NULL if not one */
Datum
stream_shard_no(PG_FUNCTION_ARGS)
{
	int32		shard_no = StreamParseShardId(text_to_cstring(PG_GETARG_TEXT_PP(0)));

	if (shard_no < 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(shard_no);
}

/*
 * stream_internal.valid_stream_name(stream_name text) RETURNS boolean
 *
 * Whether a name is 1 to STREAM_MAX_STREAM_NAME letters, digits, "_", "."
 * and "-", as Kinesis allows.
 */
Datum
stream_valid_stream_name(PG_FUNCTION_ARGS)
{
	text	   *name = PG_GETARG_TEXT_PP(0);
	const char *p = VARDATA_ANY(name);
	int			len = VARSIZE_ANY_EXHDR(name);

	if (len < 1 || len > STREAM_MAX_STREAM_NAME)
		PG_RETURN_BOOL(false);
	for (int i = 0; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
			  (p[i] >= '0' && p[i] <= '9') || p[i] == '_' || p[i] == '.' ||
			  p[i] == '-'))
			PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(true);
}

/*
 * stream_internal.valid_tag_text(value text, min_chars int, max_chars int)
 *   RETURNS boolean
 *
 * Whether a tag key or value is as AWS allows tags: min_chars to max_chars
 * characters, each a letter or digit (of any script), white space, or one of
 * "_ . : / = + - @ %".
 */
Datum
stream_valid_tag_text(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	const char *p = VARDATA_ANY(value);
	const char *end = p + VARSIZE_ANY_EXHDR(value);
	int			chars = 0;

	while (p < end)
	{
		int			len = pg_mblen(p);
		unsigned char c = (unsigned char) *p;

		/* any character beyond ASCII counts as a letter */
		if (len == 1 &&
			!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == ' ' || c == '\t' ||
			  strchr("_.:/=+-@%", c) != NULL))
			PG_RETURN_BOOL(false);
		p += len;
		chars++;
	}
	PG_RETURN_BOOL(chars >= PG_GETARG_INT32(1) && chars <= PG_GETARG_INT32(2));
}

/*
 * stream_internal.stream_arn(stream_name text) RETURNS text:
 * arn:aws:kinesis:<region>:<account>:stream/<name>
 */
Datum
stream_stream_arn(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_TEXT_P(cstring_to_text(psprintf("arn:aws:kinesis:%s:%s:stream/%s",
											  stream_region, stream_account_id,
											  name)));
}
