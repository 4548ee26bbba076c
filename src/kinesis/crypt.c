/*-------------------------------------------------------------------------
 *
 * crypt.c
 *	  Encryption of records at rest (what Kinesis does with KMS keys).
 *
 * Envelope keys: each segment of an encrypted stream has a data key of 32
 * random bytes, kept in its catalog row sealed by the material of a version
 * of the stream's key (stream.segments.data_key), which is itself sealed by
 * the root key (kms.c).  A record's partition key and data are one
 * AES-256-GCM message under its segment's data key, so that the stored
 * partition key is ciphertext of its length and the data is ciphertext
 * followed by the tag; the record head carries STREAM_ITEM_ENCRYPTED.
 *
 * The nonce is the record's address: segment number, block and item.  A
 * data key is its segment's alone, and an address is given once in a
 * segment (appends only ever go forward), so no nonce repeats under a key.
 * An append that a crash takes back gives its address again, but its
 * ciphertext never left memory: a page is written, and WAL sent to a
 * standby, only once the WAL that made it is flushed.  A restore puts the
 * same ciphertext back at the same address.  So the nonce costs nothing to
 * store, and a record moved to another address fails authentication.
 *
 * Storage sees none of this but the flag: the append calls back with the
 * address (SealRecord) while it holds the end of the log, and readers
 * decrypt after copying the record (StreamReadRecordBody).
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

/* A record's nonce: its address */
static void
RecordNonce(int32 segment_no, BlockNumber block, OffsetNumber offset,
			uint8 *nonce)
{
	uint32		v;
	uint16		o = pg_hton16(offset);

	memset(nonce, 0, STREAM_NONCE_BYTES);
	v = pg_hton32((uint32) segment_no);
	memcpy(nonce, &v, sizeof(v));
	v = pg_hton32(block);
	memcpy(nonce + 4, &v, sizeof(v));
	memcpy(nonce + 8, &o, sizeof(o));
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
Crypt(bool encrypt, const uint8 *key, const uint8 *nonce,
	  const uint8 *in1, int len1, const uint8 *in2, int len2,
	  uint8 *out1, uint8 *out2, uint8 *tag)
{
	EVP_CIPHER_CTX *ctx = CipherFor(encrypt, key);
	int			n;
	bool		ok;

	ok = EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, encrypt) == 1 &&
		(len1 == 0 || (EVP_CipherUpdate(ctx, out1, &n, in1, len1) == 1 && n == len1)) &&
		(len2 == 0 || (EVP_CipherUpdate(ctx, out2, &n, in2, len2) == 1 && n == len2));
	if (ok && !encrypt)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, STREAM_RECORD_TAG_BYTES, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(ctx, out2 + len2, &n) == 1;
	if (ok && encrypt)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, STREAM_RECORD_TAG_BYTES, tag) == 1;
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
	uint8		data_key[STREAM_KEY_BYTES];
} PlainRecord;

/* StreamPrepareRecord: seals the record where it is about to go */
static void
SealRecord(StreamAppendRecord *rec, int32 segment_no, BlockNumber block,
		   OffsetNumber offset)
{
	PlainRecord *plain = (PlainRecord *) rec->prepare_arg;
	uint8	   *out = (uint8 *) rec->key;
	uint8		nonce[STREAM_NONCE_BYTES];

	RecordNonce(segment_no, block, offset, nonce);
	Crypt(true, plain->data_key, nonce,
		  (const uint8 *) plain->key, plain->key_len,
		  (const uint8 *) plain->data, plain->data_len,
		  out, out + plain->key_len, out + plain->key_len + plain->data_len);
}

void
StreamEncryptRecord(StreamAppendRecord *rec, StreamInfo *stream,
					StreamSegmentInfo *segment)
{
	PlainRecord *plain = (PlainRecord *) rec->prepare_arg;

	if (plain == NULL)
	{
		char	   *buf = palloc(rec->key_len + rec->data_len + STREAM_RECORD_TAG_BYTES);

		plain = palloc(sizeof(PlainRecord));
		plain->key = rec->key;
		plain->key_len = rec->key_len;
		plain->data = rec->data;
		plain->data_len = rec->data_len;
		rec->key = buf;
		rec->data = buf + rec->key_len;
		rec->data_len += STREAM_RECORD_TAG_BYTES;
		rec->encrypted = true;
		rec->prepare = SealRecord;
		rec->prepare_arg = plain;
	}
	memcpy(plain->data_key, SegmentDataKey(stream, segment), STREAM_KEY_BYTES);
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
	rec->encrypted = false;
	rec->prepare = NULL;
	rec->prepare_arg = NULL;
}

void
StreamReadRecordBody(StreamInfo *stream, StreamSegmentInfo *segment,
					 StreamLogReader *reader, StreamRecord *record)
{
	int			data_len = record->data_len - STREAM_RECORD_TAG_BYTES;
	uint8		nonce[STREAM_NONCE_BYTES];
	text	   *key;
	bytea	   *data;

	StreamLogReadBody(reader, record);
	if (!record->encrypted)
		return;
	if (data_len < 0)
		StreamCorruptItem(reader->rel, record->block, record->offset);
	key = palloc(VARHDRSZ + record->key_len);
	SET_VARSIZE(key, VARHDRSZ + record->key_len);
	data = palloc(VARHDRSZ + data_len);
	SET_VARSIZE(data, VARHDRSZ + data_len);
	RecordNonce(segment->segment_no, record->block, record->offset, nonce);
	if (!Crypt(false, SegmentDataKey(stream, segment), nonce,
			   (uint8 *) VARDATA(record->key), record->key_len,
			   (uint8 *) VARDATA(record->data), data_len,
			   (uint8 *) VARDATA(key), (uint8 *) VARDATA(data),
			   (uint8 *) VARDATA(record->data) + data_len))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stream record at %u/%u of \"%s\" fails authentication",
						record->block, record->offset,
						RelationGetRelationName(reader->rel)),
				 errdetail("Its encrypted key or data were changed, or it was moved.")));
	pfree(record->key);
	pfree(record->data);
	record->key = key;
	record->data = data;
	record->data_len = data_len;
}
