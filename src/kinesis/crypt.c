/*-------------------------------------------------------------------------
 *
 * crypt.c
 *	  Encryption of records at rest (what Kinesis does with KMS keys).
 *
 * Envelope keys: each segment of an encrypted stream has a data key of 32
 * random bytes, kept in its catalog row sealed by the material of a version
 * of the stream's key (stream.segments.data_key), which is itself sealed by
 * the root key (kms.c).  A record's partition key and data are one
 * AES-256-GCM message under its segment's data key: the stored partition
 * key is ciphertext of its length, the stored data is the nonce, the
 * ciphertext and the tag, and the record head carries STREAM_ITEM_ENCRYPTED.
 *
 * The nonce is 96 random bits per record.  A nonce made of the record's
 * address would cost nothing to store, but a data key is copied with its
 * database (a restored dump, a promoted standby, a recovery to an earlier
 * time, a clone from a base backup), and each copy goes on to write other
 * records at the same addresses: the nonce would repeat under the key.  Of
 * random nonces, a segment (at most 2^28 blocks of records that take at
 * least 76 bytes each) takes fewer than 2^35, so that two are equal with a
 * probability below 2^-27.
 *
 * What the head says of the record is authenticated with it (the additional
 * data): its address, arrival time and partition key length, so that a
 * record copied elsewhere or with its bytes moved between key and data
 * fails.  Its hash key, which would give the partition key away (an MD5 of
 * it), is stored as 0: nothing reads it back.
 *
 * Storage sees none of this but the flag: the append calls back with the
 * address and arrival time (SealRecord) while it holds the end of the log,
 * and readers decrypt after copying the record (StreamReadRecordBody).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/evp.h>

#include "fmgr.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "kinesis/crypt.h"
#include "kinesis/kinesis.h"
#include "kinesis/kms.h"
#include "kinesis/sequence.h"
#include "log/seqno.h"

PG_FUNCTION_INFO_V1(stream_new_data_key);

/* What a data key is sealed with besides its key: where it belongs */
static void
DataKeyAad(int32 stream_id, int32 segment_no, uint8 *aad)
{
	uint32		v = pg_hton32((uint32) stream_id);

	memcpy(aad, &v, sizeof(v));
	v = pg_hton32((uint32) segment_no);
	memcpy(aad + sizeof(v), &v, sizeof(v));
}

#define DATA_KEY_AAD_BYTES (2 * sizeof(uint32))

/*
 * stream_internal.new_data_key(material bytea, key_id uuid, key_version int,
 *								stream_id int, segment_no int) RETURNS bytea
 *
 * A new data key for a segment, sealed by the material of a key version
 * (sealed by the root key, as stream_internal.key_versions keeps it).
 */
Datum
stream_new_data_key(PG_FUNCTION_ARGS)
{
	bytea	   *sealed_material = PG_GETARG_BYTEA_PP(0);
	pg_uuid_t  *key_id = PG_GETARG_UUID_P(1);
	int32		version = PG_GETARG_INT32(2);
	uint8		material[STREAM_KEY_BYTES];
	uint8		data_key[STREAM_KEY_BYTES];
	uint8		aad[DATA_KEY_AAD_BYTES];
	bytea	   *result = palloc(VARHDRSZ + STREAM_SEALED_KEY_BYTES);
	uint8	   *out = (uint8 *) VARDATA(result);

	if (VARSIZE_ANY_EXHDR(sealed_material) != STREAM_SEALED_KEY_BYTES ||
		!StreamOpenKeyMaterial(key_id, version,
							   (uint8 *) VARDATA_ANY(sealed_material), material))
		ereport(ERROR,
				errkinesis(KINESIS_KMS_INVALID_STATE),
				errmsg("key \"%s\" does not open with this server's root key",
					   DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(key_id)))),
				errhint("A key restored from another server needs that server's root key."));
	if (!pg_strong_random(data_key, sizeof(data_key)) ||
		!pg_strong_random(out, STREAM_NONCE_BYTES))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random data key")));
	DataKeyAad(PG_GETARG_INT32(3), PG_GETARG_INT32(4), aad);
	StreamSeal(material, out, aad, sizeof(aad), data_key, sizeof(data_key),
			   out + STREAM_NONCE_BYTES);
	explicit_bzero(material, sizeof(material));
	explicit_bzero(data_key, sizeof(data_key));
	SET_VARSIZE(result, VARHDRSZ + STREAM_SEALED_KEY_BYTES);
	PG_RETURN_BYTEA_P(result);
}

static char *
KeyIdString(const pg_uuid_t *key_id)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(key_id)));
}

/*
 * The data key of a segment, opened once per catalog load: the key must
 * exist and be enabled (KS004 otherwise), so that disabling a key stops
 * the reads and writes of what it encrypts.
 */
static const uint8 *
SegmentDataKey(StreamInfo *stream, StreamSegmentInfo *segment)
{
	StreamSegmentKey *key = segment->key;
	uint8		material[STREAM_KEY_BYTES];
	uint8		aad[DATA_KEY_AAD_BYTES];

	if (key == NULL)
		elog(ERROR, "segment %d of stream \"%s\" has no data key",
			 segment->segment_no, stream->name);
	if (key->ready)
		return key->plain;
	if (!key->key_found)
		ereport(ERROR,
				errkinesis(KINESIS_KMS_NOT_FOUND),
				errmsg("key \"%s\" of stream \"%s\" does not exist",
					   KeyIdString(&key->key_id), stream->name));
	if (!key->key_enabled)
		ereport(ERROR,
				errkinesis(KINESIS_KMS_DISABLED),
				errmsg("key \"%s\" of stream \"%s\" is disabled",
					   KeyIdString(&key->key_id), stream->name),
				errhint("stream.enable_key enables it."));
	if (!StreamOpenKeyMaterial(&key->key_id, key->key_version, key->material,
							   material))
		ereport(ERROR,
				errkinesis(KINESIS_KMS_INVALID_STATE),
				errmsg("key \"%s\" does not open with this server's root key",
					   KeyIdString(&key->key_id)),
				errhint("A key restored from another server needs that server's root key."));
	DataKeyAad(stream->stream_id, segment->segment_no, aad);
	if (!StreamOpen(material, key->sealed, aad, sizeof(aad),
					key->sealed + STREAM_NONCE_BYTES, STREAM_KEY_BYTES, key->plain))
	{
		explicit_bzero(material, sizeof(material));
		ereport(ERROR,
				errkinesis(KINESIS_KMS_INVALID_STATE),
				errmsg("the data key of segment %d of stream \"%s\" does not open with key \"%s\"",
					   segment->segment_no, stream->name, KeyIdString(&key->key_id)));
	}
	explicit_bzero(material, sizeof(material));
	key->ready = true;
	return key->plain;
}

void
StreamCheckKey(StreamInfo *stream)
{
	if (!stream->encrypted || stream->key_state == STREAM_KEY_ENABLED)
		return;
	if (stream->key_state == STREAM_KEY_MISSING)
		ereport(ERROR,
				errkinesis(KINESIS_KMS_NOT_FOUND),
				errmsg("the key of stream \"%s\" does not exist", stream->name));
	ereport(ERROR,
			errkinesis(KINESIS_KMS_DISABLED),
			errmsg("the key of stream \"%s\" is disabled", stream->name),
			errhint("stream.enable_key enables it."));
}

/* What the head says of a record, authenticated with its ciphertext */
#define RECORD_AAD_BYTES (4 + 4 + 2 + 2 + 8)

static void
RecordAad(int32 segment_no, BlockNumber block, OffsetNumber offset,
		  int key_len, TimestampTz arrival, uint8 *aad)
{
	uint32		v32;
	uint16		v16;
	uint64		v64 = pg_hton64((uint64) arrival);

	v32 = pg_hton32((uint32) segment_no);
	memcpy(aad, &v32, 4);
	v32 = pg_hton32(block);
	memcpy(aad + 4, &v32, 4);
	v16 = pg_hton16(offset);
	memcpy(aad + 8, &v16, 2);
	v16 = pg_hton16((uint16) key_len);
	memcpy(aad + 10, &v16, 2);
	memcpy(aad + 12, &v64, 8);
}

/*
 * The cipher context of a direction, keyed: the key schedule is made once
 * per data key, not once per record, which for small records would cost
 * more than the encryption.
 */
static EVP_CIPHER_CTX *
CipherFor(bool encrypt, const uint8 *key)
{
	static EVP_CIPHER_CTX *contexts[2];
	static uint8 keys[2][STREAM_KEY_BYTES];
	static bool keyed[2];
	int			i = encrypt ? 1 : 0;

	if (contexts[i] == NULL && (contexts[i] = EVP_CIPHER_CTX_new()) == NULL)
		elog(ERROR, "out of memory for a cipher context");
	if (!keyed[i] || memcmp(keys[i], key, STREAM_KEY_BYTES) != 0)
	{
		keyed[i] = false;
		if (EVP_CipherInit_ex(contexts[i], EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt) != 1 ||
			EVP_CIPHER_CTX_ctrl(contexts[i], EVP_CTRL_GCM_SET_IVLEN, STREAM_NONCE_BYTES, NULL) != 1 ||
			EVP_CipherInit_ex(contexts[i], NULL, NULL, key, NULL, encrypt) != 1)
			elog(ERROR, "AES-256-GCM could not be set up");
		memcpy(keys[i], key, STREAM_KEY_BYTES);
		keyed[i] = true;
	}
	return contexts[i];
}

/*
 * One AES-256-GCM message of two parts, in and out contiguous or not; the
 * tag follows the second part's output.  Decrypting, false when the tag
 * does not match.
 */
static bool
Crypt(bool encrypt, const uint8 *key, const uint8 *nonce, const uint8 *aad,
	  const uint8 *in1, int len1, const uint8 *in2, int len2,
	  uint8 *out1, uint8 *out2, uint8 *tag)
{
	EVP_CIPHER_CTX *ctx = CipherFor(encrypt, key);
	int			n;
	bool		ok;

	ok = EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, encrypt) == 1 &&
		EVP_CipherUpdate(ctx, NULL, &n, aad, RECORD_AAD_BYTES) == 1 &&
		(len1 == 0 || (EVP_CipherUpdate(ctx, out1, &n, in1, len1) == 1 && n == len1)) &&
		(len2 == 0 || (EVP_CipherUpdate(ctx, out2, &n, in2, len2) == 1 && n == len2));
	if (ok && !encrypt)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, STREAM_TAG_BYTES, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(ctx, out2 + len2, &n) == 1;
	if (ok && encrypt)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, STREAM_TAG_BYTES, tag) == 1;
	if (!ok && encrypt)
		elog(ERROR, "AES-256-GCM encryption failed");
	return ok;
}

/* A record's plaintext, while the append that seals it runs */
typedef struct PlainRecord
{
	const char *key;
	int			key_len;
	const char *data;
	int			data_len;
	uint128		hash_key;
	/* the segment it is for, whose data key is opened when it is sealed */
	StreamInfo *stream;
	StreamSegmentInfo *segment;
} PlainRecord;

/*
 * A random nonce, taken from a pool of random bytes that a backend fills
 * from the strong random source 4 kB at a time: one call of the source per
 * record would cost more than the encryption of a small one.  Each process
 * fills its own pool (none is filled before a fork).
 */
static void
RandomNonce(uint8 *nonce)
{
	static uint8 pool[4096];
	static int	used = sizeof(pool);

	if (used + STREAM_NONCE_BYTES > (int) sizeof(pool))
	{
		if (!pg_strong_random(pool, sizeof(pool)))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not generate random nonces")));
		used = 0;
	}
	memcpy(nonce, pool + used, STREAM_NONCE_BYTES);
	explicit_bzero(pool + used, STREAM_NONCE_BYTES);
	used += STREAM_NONCE_BYTES;
}

/*
 * StreamPrepareRecord: seals the record for where and when it is about to
 * be written.  The stored data is the nonce, the ciphertext, the tag.  It
 * runs under the append's buffer locks: the data key is opened from the
 * catalog cache, with no catalog access, and an error releases the locks.
 */
static void
SealRecord(StreamAppendRecord *rec, int32 segment_no, BlockNumber block,
		   OffsetNumber offset, TimestampTz arrival)
{
	PlainRecord *plain = (PlainRecord *) rec->prepare_arg;
	uint8	   *key_out = (uint8 *) rec->key;
	uint8	   *nonce = (uint8 *) rec->data;
	uint8	   *data_out = nonce + STREAM_NONCE_BYTES;
	uint8		aad[RECORD_AAD_BYTES];

	RandomNonce(nonce);
	Assert(plain->segment->segment_no == segment_no);
	RecordAad(segment_no, block, offset, plain->key_len, arrival, aad);
	Crypt(true, SegmentDataKey(plain->stream, plain->segment), nonce, aad,
		  (const uint8 *) plain->key, plain->key_len,
		  (const uint8 *) plain->data, plain->data_len,
		  key_out, data_out, data_out + plain->data_len);
}

void
StreamEncryptRecord(StreamAppendRecord *rec, StreamInfo *stream,
					StreamSegmentInfo *segment)
{
	PlainRecord *plain = (PlainRecord *) rec->prepare_arg;

	if (plain == NULL)
	{
		char	   *buf = palloc(rec->key_len + rec->data_len + STREAM_RECORD_OVERHEAD);

		plain = palloc(sizeof(PlainRecord));
		plain->key = rec->key;
		plain->key_len = rec->key_len;
		plain->data = rec->data;
		plain->data_len = rec->data_len;
		plain->hash_key = rec->hash_key;
		rec->key = buf;
		rec->data = buf + rec->key_len;
		rec->data_len += STREAM_RECORD_OVERHEAD;
		/* it was for routing only; stored, it would give the key away */
		rec->hash_key = 0;
		rec->encrypted = true;
		rec->prepare = SealRecord;
		rec->prepare_arg = plain;
	}
	/*
	 * Its data key is taken only if the append goes to this segment: one
	 * found sealed is passed over, whatever the state of its key.  The
	 * catalog cache holds still meanwhile: an append processes no
	 * invalidation.
	 */
	plain->stream = stream;
	plain->segment = segment;
}

void
StreamPlainRecord(StreamAppendRecord *rec)
{
	PlainRecord *plain = (PlainRecord *) rec->prepare_arg;

	if (plain == NULL)
		return;
	rec->key = plain->key;
	rec->key_len = plain->key_len;
	rec->data = plain->data;
	rec->data_len = plain->data_len;
	rec->hash_key = plain->hash_key;
	rec->encrypted = false;
	rec->prepare = NULL;
	rec->prepare_arg = NULL;
}

/* A record's sequence number, as an error message shows it */
static char *
RecordSeqText(StreamSegmentInfo *segment, StreamRecord *record)
{
	int64		seq = StreamSeqMake(segment->segment_no, record->block, record->offset);

	return DatumGetCString(DirectFunctionCall1(numeric_out, StreamSeqToNumeric(seq)));
}

/*
 * Opens a sealed record's key and data into key_out and data_out (room for
 * key_len and sealed_len - STREAM_RECORD_OVERHEAD bytes).  False when the
 * record fails authentication.
 */
static bool
OpenRecord(StreamInfo *stream, StreamSegmentInfo *segment, BlockNumber block,
		   OffsetNumber offset, TimestampTz arrival,
		   const char *key, int key_len, const char *sealed, int sealed_len,
		   char *key_out, char *data_out)
{
	int			data_len = sealed_len - STREAM_RECORD_OVERHEAD;
	uint8		aad[RECORD_AAD_BYTES];

	Assert(data_len >= 0);
	RecordAad(segment->segment_no, block, offset, key_len, arrival, aad);
	return Crypt(false, SegmentDataKey(stream, segment), (const uint8 *) sealed, aad,
				 (const uint8 *) key, key_len,
				 (const uint8 *) sealed + STREAM_NONCE_BYTES, data_len,
				 (uint8 *) key_out, (uint8 *) data_out,
				 (uint8 *) sealed + STREAM_NONCE_BYTES + data_len);
}

void
StreamReadRecordBody(StreamInfo *stream, StreamSegmentInfo *segment,
					 StreamLogReader *reader, StreamRecord *record)
{
	int			data_len = record->data_len - STREAM_RECORD_OVERHEAD;
	text	   *key;
	bytea	   *data;

	StreamLogReadBody(reader, record);
	if (!record->encrypted)
	{
		/* a segment with a data key holds encrypted records only */
		if (segment->key != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("stream record %s of stream \"%s\" is not encrypted, in a segment whose records all are",
							RecordSeqText(segment, record),
							stream->name),
					 errdetail("Its head at %u/%u of \"%s\" was changed.",
							   record->block, record->offset,
							   RelationGetRelationName(reader->rel))));
		return;
	}
	if (data_len < 0)
		StreamCorruptItem(reader->rel, record->block, record->offset);
	key = palloc(VARHDRSZ + record->key_len);
	SET_VARSIZE(key, VARHDRSZ + record->key_len);
	data = palloc(VARHDRSZ + data_len);
	SET_VARSIZE(data, VARHDRSZ + data_len);
	if (!OpenRecord(stream, segment, record->block, record->offset, record->arrival,
					VARDATA(record->key), record->key_len,
					VARDATA(record->data), record->data_len,
					VARDATA(key), VARDATA(data)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stream record %s of stream \"%s\" fails authentication",
						RecordSeqText(segment, record),
						stream->name),
				 errdetail("Its encrypted bytes at %u/%u of \"%s\" were changed, or moved.",
						   record->block, record->offset,
						   RelationGetRelationName(reader->rel))));
	pfree(record->key);
	pfree(record->data);
	record->key = key;
	record->data = data;
	record->data_len = data_len;
}

bool
StreamOpenDecodedRecord(StreamInfo *stream, StreamSegmentInfo *segment,
						StreamDecodedRecord *record)
{
	int			data_len = record->data_len - STREAM_RECORD_OVERHEAD;
	char	   *key;
	char	   *data;

	if (data_len < 0)
		return false;
	key = palloc(record->key_len + 1);
	data = palloc(data_len + 1);
	if (!OpenRecord(stream, segment, record->block, record->offset, record->arrival,
					record->key, record->key_len, record->data, record->data_len,
					key, data))
		return false;
	key[record->key_len] = '\0';
	record->key = key;
	record->data = data;
	record->data_len = data_len;
	record->encrypted = false;
	return true;
}
