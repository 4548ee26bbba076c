/*-------------------------------------------------------------------------
 *
 * eventstream.h
 *	  AWS event stream messages (application/vnd.amazon.eventstream), what
 *	  SubscribeToShard's answer is made of.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_HTTP_EVENTSTREAM_H
#define STREAM_HTTP_EVENTSTREAM_H

#include "lib/stringinfo.h"

/*
 * Appends a message: ":message-type" (event or exception), its
 * ":event-type" or ":exception-type" named type, ":content-type"
 * application/json, and the JSON payload.
 */
extern void EventStreamAppend(StringInfo out, const char *message_type,
							  const char *type, const char *payload, int len);

#endif							/* STREAM_HTTP_EVENTSTREAM_H */
