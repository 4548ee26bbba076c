/*-------------------------------------------------------------------------
 *
 * hashkey.c
 *	  Kinesis hash keys: the MD5 of a partition key's UTF-8 bytes read as a
 *	  big-endian unsigned 128-bit integer, shown to SQL as numeric.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/evp.h>

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "hashkey.h"
#include "stream.h"

PG_FUNCTION_INFO_V1(stream_hash_key);

/*
 * MD5 through OpenSSL, with the algorithm fetched once per backend and one
 * context reused.  PostgreSQL's pg_md5_binary fetches the algorithm from
 * OpenSSL's provider and registers a context with the resource owner on
 * every call, which made hashing the largest single cost of put_records.
 */
static EVP_MD *md5_algorithm = NULL;
static EVP_MD_CTX *md5_context = NULL;

static void
Md5(const char *data, int len, uint8 *digest)
{
	unsigned int digest_len;

	if (md5_context == NULL)
	{
		md5_algorithm = EVP_MD_fetch(NULL, "MD5", NULL);
		if (md5_algorithm == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("could not load MD5 from OpenSSL"),
					 errdetail("Kinesis hashes partition keys with MD5; OpenSSL may be in FIPS mode.")));
		md5_context = EVP_MD_CTX_new();
		if (md5_context == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
	}
	if (!EVP_DigestInit_ex(md5_context, md5_algorithm, NULL) ||
		!EVP_DigestUpdate(md5_context, data, len) ||
		!EVP_DigestFinal_ex(md5_context, digest, &digest_len) ||
		digest_len != STREAM_HASH_KEY_LEN)
		elog(ERROR, "could not compute MD5 of partition key");
}

/*
 * Hashes a partition key given in the database encoding.  Kinesis hashes the
 * UTF-8 bytes, so other encodings are converted first.
 */
StreamHashKey
StreamHashPartitionKey(const char *key, int len)
{
	uint8		digest[STREAM_HASH_KEY_LEN];
	char	   *utf8;

	utf8 = (char *) pg_do_encoding_conversion((unsigned char *) key, len,
											  GetDatabaseEncoding(), PG_UTF8);
	if (utf8 != key)
		len = strlen(utf8);
	Md5(utf8, len, digest);
	if (utf8 != key)
		pfree(utf8);
	return StreamHashKeyFromBytes(digest);
}

void
StreamHashKeyToBytes(StreamHashKey key, uint8 *bytes)
{
	for (int i = STREAM_HASH_KEY_LEN - 1; i >= 0; i--)
	{
		bytes[i] = (uint8) (key & 0xFF);
		key >>= 8;
	}
}

StreamHashKey
StreamHashKeyFromBytes(const uint8 *bytes)
{
	StreamHashKey key = 0;

	for (int i = 0; i < STREAM_HASH_KEY_LEN; i++)
		key = (key << 8) | bytes[i];
	return key;
}

Datum
StreamHashKeyToNumeric(StreamHashKey key)
{
	char		buf[48];
	char	   *p = buf + sizeof(buf) - 1;

	*p = '\0';
	do
	{
		*--p = '0' + (int) (key % 10);
		key /= 10;
	} while (key != 0);
	return DirectFunctionCall3(numeric_in, CStringGetDatum(p),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/*
 * Converts a numeric to a hash key; false when it is not an integer in
 * [0, 2^128 - 1].
 */
bool
StreamHashKeyFromNumeric(Datum num, StreamHashKey *key)
{
	char	   *text = DatumGetCString(DirectFunctionCall1(numeric_out, num));
	const char *p = text;
	StreamHashKey value = 0;
	bool		ok = true;

	if (*p == '\0')
		ok = false;
	for (; ok && *p != '\0' && *p != '.'; p++)
	{
		int			digit = *p - '0';

		if (digit < 0 || digit > 9 ||
			value > (~(StreamHashKey) 0 - digit) / 10)
			ok = false;
		else
			value = value * 10 + digit;
	}
	/* a fractional part is allowed only when it is all zeros */
	if (ok && *p == '.')
		for (p++; *p != '\0'; p++)
			if (*p != '0')
				ok = false;
	pfree(text);
	*key = value;
	return ok;
}

/*
 * stream.hash_key(partition_key text) RETURNS numeric
 */
Datum
stream_hash_key(PG_FUNCTION_ARGS)
{
	text	   *key = PG_GETARG_TEXT_PP(0);

	PG_RETURN_DATUM(StreamHashKeyToNumeric(
					StreamHashPartitionKey(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key))));
}
