/*-------------------------------------------------------------------------
 *
 * http2.h
 *	  HTTP/2 for the Kinesis endpoint: libnghttp2's server session over a
 *	  connection of server.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_HTTP_HTTP2_H
#define STREAM_HTTP_HTTP2_H

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"

/* What a client sends first on HTTP/2 with prior knowledge */
#define HTTP2_PREFACE		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define HTTP2_PREFACE_LEN	24

typedef struct Http2Session Http2Session;

/*
 * A session on a connection that chose HTTP/2; the frames it sends are
 * appended to out.  Its memory is in a child of cxt.
 */
extern Http2Session *Http2Start(MemoryContext cxt, StringInfo out);

/*
 * Takes bytes the client sent and serves the requests they complete;
 * false if the client broke the protocol (a GOAWAY is then queued).
 */
extern bool Http2Receive(Http2Session *session, const char *data, int len);

/* Appends frames to send to out, until out holds about limit bytes */
extern void Http2Send(Http2Session *session, int limit);

/*
 * Reads the next batch of the subscriptions that are due, and queues their
 * events (*queued: some were, or a subscription ended); when the next one
 * is due, or 0 if the session has none.
 */
extern TimestampTz Http2Poll(Http2Session *session, bool *queued);

/* Whether the session is over: nothing more to read or to send */
extern bool Http2Done(Http2Session *session);

/* When the oldest request still arriving must be whole, or 0 if none */
extern TimestampTz Http2Deadline(Http2Session *session);

extern void Http2End(Http2Session *session);

#endif							/* STREAM_HTTP_HTTP2_H */
