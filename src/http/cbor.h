/*-------------------------------------------------------------------------
 *
 * cbor.h
 *	  CBOR bodies of the Kinesis endpoint (application/x-amz-cbor-1.1).
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_HTTP_CBOR_H
#define STREAM_HTTP_CBOR_H

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/* A request's CBOR as the jsonb of its JSON; NULL if it is not a CBOR map */
extern Jsonb *CborToJsonb(const char *data, int len);

/* An answer's JSON text as CBOR, appended to out; false if it is not JSON */
extern bool JsonToCbor(const char *json, int len, StringInfo out);

#endif							/* STREAM_HTTP_CBOR_H */
