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

#include "kinesis/hashkey.h"
#include "numeric128.h"

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
		digest_len != 16)
		elog(ERROR, "could not compute MD5 of partition key");
}

/*
 * Hashes a partition key given in the database encoding.  Kinesis hashes the
 * UTF-8 bytes, so other encodings are converted first.
 */
StreamHashKey
StreamHashPartitionKey(const char *key, int len)
{
	uint8		digest[16];
	char	   *utf8;
	StreamHashKey hash_key = 0;

	utf8 = (char *) pg_do_encoding_conversion((unsigned char *) key, len,
											  GetDatabaseEncoding(), PG_UTF8);
	if (utf8 != key)
		len = strlen(utf8);
	Md5(utf8, len, digest);
	if (utf8 != key)
		pfree(utf8);
	for (int i = 0; i < 16; i++)
		hash_key = (hash_key << 8) | digest[i];
	return hash_key;
}

/*
 * stream.hash_key(partition_key text) RETURNS numeric
 */
Datum
stream_hash_key(PG_FUNCTION_ARGS)
{
	text	   *key = PG_GETARG_TEXT_PP(0);

	PG_RETURN_DATUM(Uint128GetNumeric(StreamHashPartitionKey(VARDATA_ANY(key),
															 VARSIZE_ANY_EXHDR(key))));
}
