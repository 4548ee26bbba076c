/*-------------------------------------------------------------------------
 *
 * iterator.c
 *	  Shard iterators, and the next tokens of paged listings.
 *
 * An iterator is the position to read from (a sequence number, which is a
 * record address), the stream and shard it belongs to, the database, and
 * when it expires, followed by an HMAC-SHA256 of all that under a key made
 * when the extension was created.  It is base64 text of 60 characters.  A
 * consumer cannot forge or alter one, nor use one from another database,
 * nor keep one longer: the expiry is fixed, under the signature, when the
 * iterator is issued (stream.iterator_ttl, a superuser setting, later), so
 * the reader's own settings do not matter.
 *
 * A next token (list_streams, list_shards) is signed the same way: the
 * state of the listing where the page ended, the database, the kind of
 * listing, and its expiry, 300 seconds after it was issued as Kinesis has
 * it (stream.next_token_ttl; ExpiredNextTokenException after).
 *
 * The key is read once per backend and forgotten when its table is dropped
 * (DROP EXTENSION): an extension made again has a new key and numbers its
 * streams from 1 again, so iterators of the old one must fail.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "common/base64.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "kinesis/iterator.h"
#include "kinesis/kinesis.h"

#define ITERATOR_VERSION	2
#define ITERATOR_MAC_LEN	16

/* The signed part, laid out field by field in big-endian order */
#define ITERATOR_PAYLOAD_LEN (1 + 4 + 4 + 4 + 8 + 8)
#define ITERATOR_RAW_LEN	(ITERATOR_PAYLOAD_LEN + ITERATOR_MAC_LEN)

/* Bytes of a new signing key */
#define ITERATOR_KEY_LEN	32

PG_FUNCTION_INFO_V1(stream_new_iterator_key);
PG_FUNCTION_INFO_V1(stream_next_token);
PG_FUNCTION_INFO_V1(stream_next_token_state);

#define TOKEN_VERSION		1
/* version, kind, database, expiry; then the state, then the MAC */
#define TOKEN_HEADER_LEN	(1 + 1 + 4 + 8)
#define TOKEN_MAX_STATE		1024

int			stream_iterator_ttl = 300;
int			stream_next_token_ttl = 300;

/* The signing key as read from stream_internal.iterator_key, or NULL */
static uint8 *iterator_key = NULL;
static int	iterator_key_len = 0;
static Oid	iterator_key_relid = InvalidOid;

/* Forgets the key when its table is dropped (or on a full reset). */
static void
InvalidateKey(Datum arg, Oid relid)
{
	if (iterator_key != NULL &&
		(relid == InvalidOid || relid == iterator_key_relid))
	{
		pfree(iterator_key);
		iterator_key = NULL;
		iterator_key_len = 0;
		iterator_key_relid = InvalidOid;
	}
}

void
IteratorInit(void)
{
	DefineCustomIntVariable("stream.iterator_ttl",
							"How long a shard iterator stays valid after it is issued.",
							"Only superusers may change it: a role that could would keep its iterators for as long as it liked.",
							&stream_iterator_ttl, 300, 1, 24 * 3600,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.next_token_ttl",
							"How long the next token of a paged listing stays valid after it is issued.",
							"Kinesis' are valid for 300 seconds; only superusers may change it.",
							&stream_next_token_ttl, 300, 1, 24 * 3600,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	CacheRegisterRelcacheCallback(InvalidateKey, (Datum) 0);
}

/*
 * The key that signs shard iterators.  It is read directly rather than with
 * SPI because no user has SELECT on it.
 */
static const uint8 *
IteratorKey(int *len)
{
	if (iterator_key == NULL)
	{
		Oid			relid = get_relname_relid("iterator_key",
											  get_namespace_oid("stream_internal", false));
		Relation	rel;
		TableScanDesc scan;
		TupleTableSlot *slot;
		Snapshot	snapshot;

		if (!OidIsValid(relid))
			elog(ERROR, "stream_internal.iterator_key is missing");
		rel = table_open(relid, AccessShareLock);
		snapshot = RegisterSnapshot(GetLatestSnapshot());
		scan = table_beginscan(rel, snapshot, 0, NULL);
		slot = table_slot_create(rel, NULL);
		if (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		{
			bool		isnull;
			bytea	   *key = DatumGetByteaPP(slot_getattr(slot, 1, &isnull));

			iterator_key_len = VARSIZE_ANY_EXHDR(key);
			iterator_key = MemoryContextAlloc(TopMemoryContext, iterator_key_len);
			memcpy(iterator_key, VARDATA_ANY(key), iterator_key_len);
			iterator_key_relid = relid;
		}
		ExecDropSingleTupleTableSlot(slot);
		table_endscan(scan);
		UnregisterSnapshot(snapshot);
		table_close(rel, AccessShareLock);
		if (iterator_key == NULL)
			elog(ERROR, "stream_internal.iterator_key is empty");
	}
	*len = iterator_key_len;
	return iterator_key;
}

/*
 * stream_internal.new_iterator_key() RETURNS bytea
 *
 * A new signing key, from the operating system's strong random source; the
 * extension script stores it in stream_internal.iterator_key.
 */
Datum
stream_new_iterator_key(PG_FUNCTION_ARGS)
{
	bytea	   *key = palloc(VARHDRSZ + ITERATOR_KEY_LEN);

	SET_VARSIZE(key, VARHDRSZ + ITERATOR_KEY_LEN);
	if (!pg_strong_random(VARDATA(key), ITERATOR_KEY_LEN))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a shard iterator key")));
	PG_RETURN_BYTEA_P(key);
}

/* The first ITERATOR_MAC_LEN bytes of the HMAC-SHA256 of len bytes */
static void
ComputeMacOf(const uint8 *payload, int len, uint8 *mac)
{
	int			key_len;
	const uint8 *key = IteratorKey(&key_len);
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];

	if (ctx == NULL ||
		pg_hmac_init(ctx, key, key_len) < 0 ||
		pg_hmac_update(ctx, payload, len) < 0 ||
		pg_hmac_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not sign shard iterator: %s",
			 ctx ? pg_hmac_error(ctx) : "out of memory");
	pg_hmac_free(ctx);
	memcpy(mac, digest, ITERATOR_MAC_LEN);
}

static void
ComputeMac(const uint8 *payload, uint8 *mac)
{
	ComputeMacOf(payload, ITERATOR_PAYLOAD_LEN, mac);
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
	p = Put64(p, (uint64) (GetCurrentTimestamp() +
						   (TimestampTz) stream_iterator_ttl * USECS_PER_SEC));
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
			errkinesis(KINESIS_INVALID_ARGUMENT),
			errmsg("invalid shard iterator \"%s\"", StreamQuote(text)),
			errhint("Get a new one with stream.get_shard_iterator."));
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
	iterator->expires_at = (TimestampTz) u64;

	if (GetCurrentTimestamp() > iterator->expires_at)
		ereport(ERROR,
				errkinesis(KINESIS_EXPIRED_ITERATOR),
				errmsg("shard iterator expired at %s",
					   timestamptz_to_str(iterator->expires_at)),
				errhint("Get a new one with stream.get_shard_iterator after the last sequence number read."));
}

/*----------
 * Next tokens
 *----------
 */

/* The kinds of listing, each a byte of the token */
static uint8
TokenKind(const char *kind)
{
	if (strcmp(kind, "list_streams") == 0)
		return 1;
	if (strcmp(kind, "list_shards") == 0)
		return 2;
	if (strcmp(kind, "list_stream_consumers") == 0)
		return 3;
	elog(ERROR, "unknown kind of next token \"%s\"", kind);
	return 0;
}

/*
 * stream_internal.next_token(kind text, state text) RETURNS text
 *
 * A signed token of a listing's state, valid for stream.next_token_ttl.
 */
Datum
stream_next_token(PG_FUNCTION_ARGS)
{
	uint8		kind = TokenKind(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	text	   *state = PG_GETARG_TEXT_PP(1);
	int			state_len = VARSIZE_ANY_EXHDR(state);
	int			raw_len = TOKEN_HEADER_LEN + state_len + ITERATOR_MAC_LEN;
	uint8	   *raw;
	uint8	   *p;
	char	   *token;
	int			len;

	if (state_len > TOKEN_MAX_STATE)
		elog(ERROR, "the state of a listing is too long for a next token");
	raw = palloc(raw_len);
	p = raw;
	*p++ = TOKEN_VERSION;
	*p++ = kind;
	p = Put32(p, MyDatabaseId);
	p = Put64(p, (uint64) (GetCurrentTimestamp() +
						   (TimestampTz) stream_next_token_ttl * USECS_PER_SEC));
	memcpy(p, VARDATA_ANY(state), state_len);
	ComputeMacOf(raw, raw_len - ITERATOR_MAC_LEN, raw + raw_len - ITERATOR_MAC_LEN);

	len = pg_b64_enc_len(raw_len);
	token = palloc(len + 1);
	len = pg_b64_encode((char *) raw, raw_len, token, len);
	if (len < 0)
		elog(ERROR, "could not encode a next token");
	token[len] = '\0';
	PG_RETURN_TEXT_P(cstring_to_text(token));
}

static void
InvalidToken(const char *text)
{
	ereport(ERROR,
			errkinesis(KINESIS_INVALID_ARGUMENT),
			errmsg("invalid next token \"%s\"", StreamQuote(text)),
			errhint("Pass the next_token of the last page, as it came."));
}

/*
 * stream_internal.next_token_state(kind text, token text) RETURNS text
 *
 * The state a token of that kind holds: InvalidArgumentException unless it
 * is one this database signed, ExpiredNextTokenException once expired.
 */
Datum
stream_next_token_state(PG_FUNCTION_ARGS)
{
	uint8		kind = TokenKind(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	char	   *token = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int			token_len = strlen(token);
	int			max_raw = TOKEN_HEADER_LEN + TOKEN_MAX_STATE + ITERATOR_MAC_LEN;
	uint8	   *raw;
	uint8		mac[ITERATOR_MAC_LEN];
	const uint8 *p;
	int			raw_len;
	uint32		u32;
	uint64		u64;

	if (pg_b64_dec_len(token_len) > max_raw + 4)
		InvalidToken(token);
	raw = palloc(pg_b64_dec_len(token_len) + 1);
	raw_len = pg_b64_decode(token, token_len, (char *) raw, pg_b64_dec_len(token_len));
	if (raw_len < TOKEN_HEADER_LEN + ITERATOR_MAC_LEN)
		InvalidToken(token);
	ComputeMacOf(raw, raw_len - ITERATOR_MAC_LEN, mac);
	if (timingsafe_bcmp(mac, raw + raw_len - ITERATOR_MAC_LEN, ITERATOR_MAC_LEN) != 0)
		InvalidToken(token);

	p = raw;
	if (*p++ != TOKEN_VERSION || *p++ != kind)
		InvalidToken(token);
	p = Get32(p, &u32);
	if (u32 != MyDatabaseId)
		InvalidToken(token);
	p = Get64(p, &u64);
	if (GetCurrentTimestamp() > (TimestampTz) u64)
		ereport(ERROR,
				errkinesis(KINESIS_EXPIRED_NEXT_TOKEN),
				errmsg("next token expired at %s", timestamptz_to_str((TimestampTz) u64)),
				errhint("A next token is valid for %d seconds: list again from the start.",
						stream_next_token_ttl));
	PG_RETURN_TEXT_P(cstring_to_text_with_len((const char *) p,
											  raw_len - TOKEN_HEADER_LEN - ITERATOR_MAC_LEN));
}
