/*-------------------------------------------------------------------------
 *
 * kms.c
 *	  What KMS does for Kinesis: the root key, and the material of the keys
 *	  of the catalog (stream.keys) wrapped by it.
 *
 * The root key never enters the data directory: the postmaster reads it at
 * start from the output of stream.kms_root_key_command (as PostgreSQL runs
 * ssl_passphrase_command) or, for tests and demos, from the file
 * stream.kms_root_key_file, as 64 hexadecimal characters.  Every backend
 * and worker inherits it from the postmaster when it is forked.  Without it
 * the server runs, and what needs a key fails with KMSInvalidStateException.
 *
 * A key's material is 32 random bytes, stored only sealed by the root key:
 * AES-256-GCM with a random nonce (a root key seals few values: one per key
 * version), the key id and version authenticated with it, so that material
 * moved to another key's row does not open.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <openssl/evp.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#include "kinesis/kinesis.h"
#include "kinesis/kms.h"

PG_FUNCTION_INFO_V1(stream_new_key_material);

char	   *stream_kms_root_key_command = NULL;
char	   *stream_kms_root_key_file = NULL;

static uint8 root_key[STREAM_KEY_BYTES];
static bool root_key_loaded = false;
static const char *root_key_problem = "neither stream.kms_root_key_command nor stream.kms_root_key_file is set";

/* Takes 64 hexadecimal characters (and white space around them). */
static bool
ParseRootKey(const char *text)
{
	char		hex[2 * STREAM_KEY_BYTES];
	int			n = 0;

	for (const char *p = text; *p; p++)
	{
		if (isspace((unsigned char) *p))
			continue;
		if (n == (int) sizeof(hex) || !isxdigit((unsigned char) *p))
			return false;
		hex[n++] = *p;
	}
	if (n != (int) sizeof(hex))
		return false;
	n = hex_decode(hex, n, (char *) root_key);
	explicit_bzero(hex, sizeof(hex));
	return n == STREAM_KEY_BYTES;
}

/* Reads what a file or a command gives, at most len - 1 bytes. */
static bool
ReadAll(FILE *f, char *buf, int len)
{
	size_t		n = fread(buf, 1, len - 1, f);

	buf[n] = '\0';
	return !ferror(f) && n < (size_t) len - 1;
}

static void
LoadRootKey(void)
{
	char		buf[1024];

	if (stream_kms_root_key_command && stream_kms_root_key_command[0] &&
		stream_kms_root_key_file && stream_kms_root_key_file[0])
		root_key_problem = "both stream.kms_root_key_command and stream.kms_root_key_file are set";
	else if (stream_kms_root_key_command && stream_kms_root_key_command[0])
	{
		FILE	   *f = OpenPipeStream(stream_kms_root_key_command, "r");
		bool		read_ok;
		int			status;

		if (f == NULL)
		{
			root_key_problem = "stream.kms_root_key_command could not be run";
			return;
		}
		read_ok = ReadAll(f, buf, sizeof(buf));
		status = ClosePipeStream(f);
		if (status != 0)
			root_key_problem = psprintf("stream.kms_root_key_command failed: %s",
										wait_result_to_str(status));
		else if (!read_ok || !ParseRootKey(buf))
			root_key_problem = "stream.kms_root_key_command did not print a root key of 64 hexadecimal characters";
		else
			root_key_loaded = true;
	}
	else if (stream_kms_root_key_file && stream_kms_root_key_file[0])
	{
		struct stat st;
		FILE	   *f;
		bool		read_ok;

		if (stat(stream_kms_root_key_file, &st) != 0)
		{
			root_key_problem = psprintf("stream.kms_root_key_file \"%s\" cannot be read: %m",
										stream_kms_root_key_file);
			return;
		}
		/* as PostgreSQL wants of ssl_key_file */
		if (st.st_mode & (S_IRWXG | S_IRWXO))
		{
			root_key_problem = psprintf("stream.kms_root_key_file \"%s\" has group or world access",
										stream_kms_root_key_file);
			return;
		}
		f = AllocateFile(stream_kms_root_key_file, "r");
		if (f == NULL)
		{
			root_key_problem = psprintf("stream.kms_root_key_file \"%s\" cannot be read: %m",
										stream_kms_root_key_file);
			return;
		}
		read_ok = ReadAll(f, buf, sizeof(buf));
		FreeFile(f);
		if (!read_ok || !ParseRootKey(buf))
			root_key_problem = psprintf("stream.kms_root_key_file \"%s\" does not hold a root key of 64 hexadecimal characters",
										stream_kms_root_key_file);
		else
			root_key_loaded = true;
	}
	explicit_bzero(buf, sizeof(buf));
	if (root_key_loaded)
		ereport(LOG,
				(errmsg("stream: the KMS root key was read from %s",
						stream_kms_root_key_command && stream_kms_root_key_command[0] ?
						"stream.kms_root_key_command" : "stream.kms_root_key_file")));
	else
		ereport(LOG,
				(errmsg("stream: no KMS root key: %s", root_key_problem),
				 errdetail("Encryption of streams is not available.")));
}

void
KmsInit(void)
{
	/* settings of the postmaster can only be defined while preloading */
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomStringVariable("stream.kms_root_key_command",
							   "Shell command that prints the root key of the stream extension's KMS keys.",
							   "It prints 64 hexadecimal characters (32 bytes); the postmaster runs it at start.",
							   &stream_kms_root_key_command, "",
							   PGC_POSTMASTER, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomStringVariable("stream.kms_root_key_file",
							   "File that holds the root key of the stream extension's KMS keys, for tests and demos.",
							   "It holds 64 hexadecimal characters (32 bytes) and must not be readable by group or others.",
							   &stream_kms_root_key_file, "",
							   PGC_POSTMASTER, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	LoadRootKey();
}

/* Errors unless the root key was read at start. */
static void
CheckRootKey(void)
{
	if (!root_key_loaded)
		ereport(ERROR,
				errkinesis(KINESIS_KMS_INVALID_STATE),
				errmsg("the KMS root key is not available"),
				errhint("The server read none at start: %s.", root_key_problem));
}

void
StreamSeal(const uint8 *key, const uint8 *nonce, const uint8 *aad, int aad_len,
		   const uint8 *plain, int len, uint8 *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int			n;
	bool		ok;

	if (ctx == NULL)
		elog(ERROR, "out of memory for a cipher context");
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, STREAM_NONCE_BYTES, NULL) == 1 &&
		EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
		(aad_len == 0 || EVP_EncryptUpdate(ctx, NULL, &n, aad, aad_len) == 1) &&
		EVP_EncryptUpdate(ctx, out, &n, plain, len) == 1 && n == len &&
		EVP_EncryptFinal_ex(ctx, out + len, &n) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, STREAM_TAG_BYTES, out + len) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		elog(ERROR, "AES-256-GCM encryption failed");
}

bool
StreamOpen(const uint8 *key, const uint8 *nonce, const uint8 *aad, int aad_len,
		   const uint8 *sealed, int len, uint8 *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int			n;
	bool		ok;

	if (ctx == NULL)
		elog(ERROR, "out of memory for a cipher context");
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, STREAM_NONCE_BYTES, NULL) == 1 &&
		EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
		(aad_len == 0 || EVP_DecryptUpdate(ctx, NULL, &n, aad, aad_len) == 1) &&
		EVP_DecryptUpdate(ctx, out, &n, sealed, len) == 1 && n == len &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, STREAM_TAG_BYTES,
							(void *) (sealed + len)) == 1 &&
		EVP_DecryptFinal_ex(ctx, out + len, &n) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/* What a key version's material is sealed with: its key id and version */
static void
KeyAad(const pg_uuid_t *key_id, int32 version, uint8 *aad)
{
	uint32		v = pg_hton32((uint32) version);

	memcpy(aad, key_id->data, UUID_LEN);
	memcpy(aad + UUID_LEN, &v, sizeof(v));
}

#define KEY_AAD_BYTES	(UUID_LEN + sizeof(uint32))

/*
 * stream_internal.new_key_material(key_id uuid, version int) RETURNS bytea
 *
 * New material for a version of a key, sealed by the root key: its nonce,
 * then the sealed bytes.
 */
Datum
stream_new_key_material(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *key_id = PG_GETARG_UUID_P(0);
	int32		version = PG_GETARG_INT32(1);
	uint8		material[STREAM_KEY_BYTES];
	uint8		aad[KEY_AAD_BYTES];
	bytea	   *wrapped = palloc(VARHDRSZ + STREAM_SEALED_KEY_BYTES);
	uint8	   *out = (uint8 *) VARDATA(wrapped);

	CheckRootKey();
	if (!pg_strong_random(material, sizeof(material)) ||
		!pg_strong_random(out, STREAM_NONCE_BYTES))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random key material")));
	KeyAad(key_id, version, aad);
	StreamSeal(root_key, out, aad, sizeof(aad), material, sizeof(material),
			   out + STREAM_NONCE_BYTES);
	explicit_bzero(material, sizeof(material));
	SET_VARSIZE(wrapped, VARHDRSZ + STREAM_SEALED_KEY_BYTES);
	PG_RETURN_BYTEA_P(wrapped);
}

bool
StreamOpenKeyMaterial(const pg_uuid_t *key_id, int32 version,
					  const uint8 *sealed, uint8 *material)
{
	uint8		aad[KEY_AAD_BYTES];

	CheckRootKey();
	KeyAad(key_id, version, aad);
	return StreamOpen(root_key, sealed, aad, sizeof(aad), sealed + STREAM_NONCE_BYTES,
					  STREAM_KEY_BYTES, material);
}

bytea *
StreamSealWithRootKey(const uint8 *aad, int aad_len, const uint8 *plain, int len)
{
	int			size = STREAM_NONCE_BYTES + len + STREAM_TAG_BYTES;
	bytea	   *sealed = palloc(VARHDRSZ + size);
	uint8	   *out = (uint8 *) VARDATA(sealed);

	CheckRootKey();
	/* a random nonce: the root key seals few values */
	if (!pg_strong_random(out, STREAM_NONCE_BYTES))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random nonce")));
	StreamSeal(root_key, out, aad, aad_len, plain, len, out + STREAM_NONCE_BYTES);
	SET_VARSIZE(sealed, VARHDRSZ + size);
	return sealed;
}

bool
StreamOpenWithRootKey(const bytea *sealed, const uint8 *aad, int aad_len,
					  uint8 *plain, int len)
{
	const uint8 *in = (const uint8 *) VARDATA_ANY(sealed);

	CheckRootKey();
	if ((int) VARSIZE_ANY_EXHDR(sealed) != STREAM_NONCE_BYTES + len + STREAM_TAG_BYTES)
		return false;
	return StreamOpen(root_key, in, aad, aad_len, in + STREAM_NONCE_BYTES, len,
					  plain);
}
