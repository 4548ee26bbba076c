/*-------------------------------------------------------------------------
 *
 * kms.h
 *	  What KMS does for Kinesis: the root key, and key material wrapped by
 *	  it with AES-256-GCM.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_KMS_H
#define STREAM_KMS_H

#include "postgres.h"

#define STREAM_KEY_BYTES	32		/* AES-256 */
#define STREAM_NONCE_BYTES	12		/* GCM's 96-bit nonce */
#define STREAM_TAG_BYTES	16		/* GCM's authentication tag */

/* A key sealed by another: its nonce, the sealed bytes and the tag */
#define STREAM_SEALED_KEY_BYTES \
	(STREAM_NONCE_BYTES + STREAM_KEY_BYTES + STREAM_TAG_BYTES)

/* Settings: where the root key comes from (postmaster settings) */
extern char *stream_kms_root_key_command;
extern char *stream_kms_root_key_file;

/* Defines the settings and, while preloading, reads the root key. */
extern void KmsInit(void);

/*
 * AES-256-GCM of len bytes under key with a nonce the caller makes unique
 * for the key, authenticating aad too: out gets the ciphertext (len bytes)
 * and then the tag.  StreamOpen checks the tag and decrypts; false when
 * the bytes, the nonce or the aad are not what was sealed.
 */
extern void StreamSeal(const uint8 *key, const uint8 *nonce,
					   const uint8 *aad, int aad_len,
					   const uint8 *plain, int len, uint8 *out);
extern bool StreamOpen(const uint8 *key, const uint8 *nonce,
					   const uint8 *aad, int aad_len,
					   const uint8 *sealed, int len, uint8 *out);

/*
 * The material of a version of a key, opened with the root key; false when
 * it does not open (sealed by another root key, or damaged).  Errors with
 * KMSInvalidStateException when the server has no root key.
 */
struct pg_uuid_t;
extern bool StreamOpenKeyMaterial(const struct pg_uuid_t *key_id, int32 version,
								  const uint8 *sealed, uint8 *material);

/*
 * A short secret sealed by the root key, aad authenticated with it: the
 * nonce, the ciphertext and the tag.  StreamOpenWithRootKey gives back the
 * len bytes, or false when they do not open (another root key, other aad,
 * damage).  Both error with KMSInvalidStateException without a root key.
 */
extern bytea *StreamSealWithRootKey(const uint8 *aad, int aad_len,
									const uint8 *plain, int len);
extern bool StreamOpenWithRootKey(const bytea *sealed, const uint8 *aad,
								  int aad_len, uint8 *plain, int len);

#endif							/* STREAM_KMS_H */
