/*-------------------------------------------------------------------------
 *
 * sigv4.h
 *	  AWS Signature Version 4, as a server checks it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_HTTP_SIGV4_H
#define STREAM_HTTP_SIGV4_H

#include "datatype/timestamp.h"
#include "http/http.h"

/* What the Authorization header says */
typedef struct SigV4Auth
{
	char	   *access_key_id;
	char	   *scope_date;		/* yyyymmdd */
	char	   *region;
	char	   *service;
	char	   *signed_headers; /* "content-type;host;x-amz-date" */
	char	   *signature;		/* 64 hexadecimal digits */
	const char *amz_date;		/* X-Amz-Date: yyyymmddThhmmssZ */
} SigV4Auth;

/* A refusal: Kinesis' exception and message (HTTP 400) */
typedef struct SigV4Error
{
	const char *type;
	char	   *message;
} SigV4Error;

/*
 * Reads the Authorization and X-Amz-Date headers; false with *error when
 * they are missing or malformed.
 */
extern bool SigV4Parse(const HttpRequest *req, SigV4Auth *auth,
					   SigV4Error *error);

/*
 * Checks the request's signature with the secret of its access key, and
 * its date against now (within 5 minutes); false with *error if not.
 */
extern bool SigV4Verify(const HttpRequest *req, const SigV4Auth *auth,
						const char *secret, TimestampTz now,
						SigV4Error *error);

/* The signature of a string to sign (hex), for tests of the vectors */
extern void SigV4Sign(const char *secret, const char *date, const char *region,
					  const char *service, const char *string_to_sign,
					  char *hex);

#endif							/* STREAM_HTTP_SIGV4_H */
