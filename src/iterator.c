/*-------------------------------------------------------------------------
 *
 * iterator.c
 *	  Shard iterators.
 *
 * An iterator is the position to read from (a sequence number, which is a
 * record address), the stream and shard it belongs to, the database, and
 * when it was issued, followed by an HMAC-SHA256 of all that under a key
 * made when the extension was created.  It is base64 text of 60 characters.
 * A consumer cannot forge or alter one, nor use one from another database,
 * and one older than stream.iterator_ttl is refused as expired.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/base64.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"

#include "catalog.h"
#include "iterator.h"
#include "stream.h"

#define ITERATOR_VERSION	1
#define ITERATOR_MAC_LEN	16

/* The signed part, laid out field by field in big-endian order */
#define ITERATOR_PAYLOAD_LEN (1 + 4 + 4 + 4 + 8 + 8)
#define ITERATOR_RAW_LEN	(ITERATOR_PAYLOAD_LEN + ITERATOR_MAC_LEN)

static void
ComputeMac(const uint8 *payload, uint8 *mac)
{
	int			key_len;
	const uint8 *key = StreamIteratorKey(&key_len);
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];

	if (ctx == NULL ||
		pg_hmac_init(ctx, key, key_len) < 0 ||
		pg_hmac_update(ctx, payload, ITERATOR_PAYLOAD_LEN) < 0 ||
		pg_hmac_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not sign shard iterator: %s",
			 ctx ? pg_hmac_error(ctx) : "out of memory");
	pg_hmac_free(ctx);
	memcpy(mac, digest, ITERATOR_MAC_LEN);
}

static uint8 *
Put32(uint8 *p, uint32 v)
{
	v = pg_hton32(v);
	memcpy(p, &v, 4);
	return p + 4;
}

static uint8 *
Put64(uint8 *p, uint64 v)
{
	v = pg_hton64(v);
	memcpy(p, &v, 8);
	return p + 8;
}

static const uint8 *
Get32(const uint8 *p, uint32 *v)
{
	memcpy(v, p, 4);
	*v = pg_ntoh32(*v);
	return p + 4;
}

static const uint8 *
Get64(const uint8 *p, uint64 *v)
{
	memcpy(v, p, 8);
	*v = pg_ntoh64(*v);
	return p + 8;
}

char *
StreamIteratorEncode(int32 stream_id, int32 shard_no, int64 position)
{
	uint8		raw[ITERATOR_RAW_LEN];
	uint8	   *p = raw;
	int			len = pg_b64_enc_len(ITERATOR_RAW_LEN);
	char	   *text = palloc(len + 1);

	*p++ = ITERATOR_VERSION;
	p = Put32(p, MyDatabaseId);
	p = Put32(p, (uint32) stream_id);
	p = Put32(p, (uint32) shard_no);
	p = Put64(p, (uint64) position);
	p = Put64(p, (uint64) GetCurrentTimestamp());
	ComputeMac(raw, p);

	len = pg_b64_encode((char *) raw, ITERATOR_RAW_LEN, text, len);
	if (len < 0)
		elog(ERROR, "could not encode shard iterator");
	text[len] = '\0';
	return text;
}

static void
InvalidIterator(const char *text)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid shard iterator \"%s\"", text),
			 errkinesis("InvalidArgumentException"),
			 errhint("Get a new one with stream.get_shard_iterator.")));
}

void
StreamIteratorDecode(const char *text, StreamIterator *iterator)
{
	uint8		raw[ITERATOR_RAW_LEN + 4];
	uint8		mac[ITERATOR_MAC_LEN];
	const uint8 *p = raw;
	int			text_len = strlen(text);
	uint32		u32;
	uint64		u64;
	TimestampTz expires;

	if (pg_b64_dec_len(text_len) > (int) sizeof(raw) ||
		pg_b64_decode(text, text_len, (char *) raw, sizeof(raw)) != ITERATOR_RAW_LEN)
		InvalidIterator(text);

	ComputeMac(raw, mac);
	if (timingsafe_bcmp(mac, raw + ITERATOR_PAYLOAD_LEN, ITERATOR_MAC_LEN) != 0)
		InvalidIterator(text);

	if (*p++ != ITERATOR_VERSION)
		InvalidIterator(text);
	p = Get32(p, &u32);
	if (u32 != MyDatabaseId)
		InvalidIterator(text);
	p = Get32(p, &u32);
	iterator->stream_id = (int32) u32;
	p = Get32(p, &u32);
	iterator->shard_no = (int32) u32;
	p = Get64(p, &u64);
	iterator->position = (int64) u64;
	Get64(p, &u64);
	iterator->issued_at = (TimestampTz) u64;

	expires = iterator->issued_at + (TimestampTz) stream_iterator_ttl * USECS_PER_SEC;
	if (GetCurrentTimestamp() > expires)
		ereport(ERROR,
				(errcode(ERRCODE_STREAM_EXPIRED_ITERATOR),
				 errmsg("shard iterator expired at %s",
						timestamptz_to_str(expires)),
				 errkinesis("ExpiredIteratorException"),
				 errhint("Get a new one with stream.get_shard_iterator after the last sequence number read.")));
}
