/*-------------------------------------------------------------------------
 *
 * eventstream.c
 *	  AWS event stream messages, for SubscribeToShard.
 *
 * A message is a prelude (total length, headers' length, CRC-32 of those
 * eight bytes), headers, a payload and the CRC-32 of all before it, the
 * integers big-endian and the CRC the IEEE one (zlib's crc32, not CRC-32C).
 * A header is its name's length (one byte), the name, its type (7: string)
 * and the string's length (two bytes) and bytes.  SubscribeToShard's
 * answer is an "initial-response" event, then a "SubscribeToShardEvent"
 * event per batch, or an exception message that ends it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <zlib.h>

#include "port/pg_bswap.h"

#include "http/eventstream.h"

#define HEADER_TYPE_STRING	7

static void
AppendUint32(StringInfo out, uint32 v)
{
	uint32		be = pg_hton32(v);

	appendBinaryStringInfo(out, (const char *) &be, sizeof(be));
}

static void
AppendHeader(StringInfo out, const char *name, const char *value)
{
	uint16		len = pg_hton16((uint16) strlen(value));

	appendStringInfoChar(out, (char) strlen(name));
	appendStringInfoString(out, name);
	appendStringInfoChar(out, HEADER_TYPE_STRING);
	appendBinaryStringInfo(out, (const char *) &len, sizeof(len));
	appendStringInfoString(out, value);
}

void
EventStreamAppend(StringInfo out, const char *message_type, const char *type,
				  const char *payload, int len)
{
	StringInfoData headers;
	int			start = out->len;
	uint32		crc;

	initStringInfo(&headers);
	AppendHeader(&headers, ":message-type", message_type);
	AppendHeader(&headers, strcmp(message_type, "exception") == 0 ?
				 ":exception-type" : ":event-type", type);
	AppendHeader(&headers, ":content-type", "application/json");

	AppendUint32(out, 12 + headers.len + len + 4);
	AppendUint32(out, headers.len);
	crc = crc32(0L, (const Bytef *) out->data + start, 8);
	AppendUint32(out, crc);
	appendBinaryStringInfo(out, headers.data, headers.len);
	appendBinaryStringInfo(out, payload, len);
	crc = crc32(0L, (const Bytef *) out->data + start, out->len - start);
	AppendUint32(out, crc);
	pfree(headers.data);
}
