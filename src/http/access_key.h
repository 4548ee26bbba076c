/*-------------------------------------------------------------------------
 *
 * access_key.h
 *	  Access keys of the Kinesis endpoint: a key id and secret that stand for
 *	  a role.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_HTTP_ACCESS_KEY_H
#define STREAM_HTTP_ACCESS_KEY_H

#include "postgres.h"

#define ACCESS_KEY_SECRET_LEN	40

/*
 * The role of an access key and its secret (ACCESS_KEY_SECRET_LEN + 1
 * bytes); false if there is no such key, its role cannot log in now, or
 * its secret does not open (logged).  Needs a transaction and SPI.
 */
extern bool StreamAccessKeySecret(const char *access_key_id, Oid *role,
								  char *secret);

#endif							/* STREAM_HTTP_ACCESS_KEY_H */
