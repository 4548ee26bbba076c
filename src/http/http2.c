/*-------------------------------------------------------------------------
 *
 * http2.c
 *	  HTTP/2 for the Kinesis endpoint, with libnghttp2.
 *
 * The AWS SDK for JavaScript v3 and the Java SDK v2 speak HTTP/2 for every
 * call (with prior knowledge over plain HTTP, by ALPN over TLS), and
 * SubscribeToShard exists only there.  nghttp2 does the framing, HPACK,
 * flow control and the protocol's rules; it owns no socket: server.c hands
 * it the bytes it reads (Http2Receive) and writes what it produces
 * (Http2Send), so HTTP/2 runs in the same loop as HTTP/1.1.
 *
 * A stream's request is gathered (pseudo-headers, headers, body) in a
 * memory context of its own, and served when its END_STREAM arrives,
 * after nghttp2 returns: the request is HttpServeRequest's, as for
 * HTTP/1.1, and its answer is submitted with a data source that reads it
 * out as the flow-control windows allow.  The stream's memory goes when
 * nghttp2 closes it.  Limits are HTTP/1.1's: headers, body (413), and a
 * request must arrive whole within HTTP_REQUEST_TIMEOUT_MS.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include <nghttp2/nghttp2.h>

#include "lib/ilist.h"
#include "nodes/pg_list.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "http/http.h"
#include "http/http2.h"

/* Streams a client may open at once */
#define HTTP2_MAX_STREAMS			100
/* What a client may send before the server's window updates */
#define HTTP2_STREAM_WINDOW			(1024 * 1024)
#define HTTP2_CONNECTION_WINDOW		(16 * 1024 * 1024)
/*
 * Bytes of request bodies one connection may hold while they arrive (a
 * stream that would pass it is refused): HTTP_MAX_BODY for each of
 * HTTP2_MAX_STREAMS streams would be 700 MB.
 */
#define HTTP2_SESSION_BODIES		(16 * 1024 * 1024)

typedef struct Http2Stream
{
	int32		id;
	MemoryContext cxt;			/* holds this struct and the request */
	HttpRequest *req;
	int			header_bytes;
	bool		too_large;		/* headers or body over the limits */
	bool		complete;		/* END_STREAM came */
	TimestampTz started;
	HttpResponse resp;
	int			resp_pos;		/* what of resp.body was sent */
	dlist_node	node;			/* in the session's streams */
} Http2Stream;

struct Http2Session
{
	nghttp2_session *ng;
	MemoryContext cxt;
	StringInfo	out;
	dlist_head	streams;		/* open ones, for deadlines */
	List	   *ready;			/* ids of streams whose request is whole */
	int64		body_bytes;		/* of requests still arriving */
	int			subscriptions;	/* open SubscribeToShard answers */
};

static nghttp2_session_callbacks *callbacks = NULL;

static int
OnBeginHeaders(nghttp2_session *ng, const nghttp2_frame *frame, void *user_data)
{
	Http2Session *session = user_data;
	MemoryContext cxt;
	MemoryContext old;
	Http2Stream *stream;

	if (frame->hd.type != NGHTTP2_HEADERS ||
		frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	cxt = AllocSetContextCreate(session->cxt, "stream http2 stream",
								ALLOCSET_SMALL_SIZES);
	stream = MemoryContextAllocZero(cxt, sizeof(Http2Stream));
	stream->id = frame->hd.stream_id;
	stream->cxt = cxt;
	stream->req = MemoryContextAllocZero(cxt, sizeof(HttpRequest));
	stream->req->http2 = true;
	stream->req->method = "";
	stream->req->path = "";
	stream->req->query = "";
	stream->started = GetCurrentTimestamp();
	old = MemoryContextSwitchTo(cxt);
	initStringInfo(&stream->req->body);
	MemoryContextSwitchTo(old);
	dlist_push_tail(&session->streams, &stream->node);
	nghttp2_session_set_stream_user_data(ng, stream->id, stream);
	return 0;
}

static int
OnHeader(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
		 size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
		 void *user_data)
{
	Http2Stream *stream = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
	HttpRequest *req;
	MemoryContext old;

	/* (trailers are not the request's headers) */
	if (stream == NULL || frame->hd.type != NGHTTP2_HEADERS ||
		frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	req = stream->req;
	stream->header_bytes += namelen + valuelen;
	if (stream->header_bytes > HTTP_MAX_HEADERS || req->nheaders == HTTP_MAX_HEADER_COUNT)
	{
		stream->too_large = true;
		return 0;
	}
	old = MemoryContextSwitchTo(stream->cxt);
	if (namelen == 7 && memcmp(name, ":method", 7) == 0)
		req->method = pnstrdup((const char *) value, valuelen);
	else if (namelen == 5 && memcmp(name, ":path", 5) == 0)
	{
		char	   *path = pnstrdup((const char *) value, valuelen);
		char	   *q = strchr(path, '?');

		if (q)
			*q++ = '\0';
		req->path = path;
		req->query = q ? q : "";
	}
	else
	{
		/* :authority too, which SigV4 takes for host */
		HttpHeader *h = &req->headers[req->nheaders++];

		h->name = pnstrdup((const char *) name, namelen);	/* lower case */
		h->value = pnstrdup((const char *) value, valuelen);
	}
	MemoryContextSwitchTo(old);
	return 0;
}

static int
OnDataChunk(nghttp2_session *ng, uint8_t flags, int32_t stream_id,
			const uint8_t *data, size_t len, void *user_data)
{
	Http2Session *session = user_data;
	Http2Stream *stream = nghttp2_session_get_stream_user_data(ng, stream_id);

	if (stream == NULL || stream->too_large || stream->complete)
		return 0;
	if (stream->req->body.len + len > HTTP_MAX_BODY)
	{
		stream->too_large = true;
		return 0;
	}
	if (session->body_bytes + len > HTTP2_SESSION_BODIES)
	{
		(void) nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, stream_id,
										 NGHTTP2_REFUSED_STREAM);
		return 0;
	}
	appendBinaryStringInfo(&stream->req->body, (const char *) data, len);
	session->body_bytes += len;
	return 0;
}

static int
OnFrameReceived(nghttp2_session *ng, const nghttp2_frame *frame, void *user_data)
{
	Http2Session *session = user_data;
	Http2Stream *stream;
	MemoryContext old;

	if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
		!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
		return 0;
	stream = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
	if (stream == NULL || stream->complete)
		return 0;
	stream->complete = true;
	session->body_bytes -= stream->req->body.len;
	old = MemoryContextSwitchTo(session->cxt);
	session->ready = lappend_int(session->ready, stream->id);
	MemoryContextSwitchTo(old);
	return 0;
}

static int
OnStreamClose(nghttp2_session *ng, int32_t stream_id, uint32_t error_code,
			  void *user_data)
{
	Http2Session *session = user_data;
	Http2Stream *stream = nghttp2_session_get_stream_user_data(ng, stream_id);

	if (stream == NULL)
		return 0;
	if (!stream->complete)
		session->body_bytes -= stream->req->body.len;
	if (stream->resp.subscription)
	{
		session->subscriptions--;
		HttpReleaseSubscription(stream->resp.subscription->claim_slot,
								stream->resp.subscription->claim_generation);
	}
	nghttp2_session_set_stream_user_data(ng, stream_id, NULL);
	dlist_delete(&stream->node);
	if (CurrentMemoryContext == stream->cxt)
		MemoryContextSwitchTo(session->cxt);
	MemoryContextDelete(stream->cxt);
	return 0;
}

/* The data source of an answer: its body, as the windows allow */
static ssize_t
ReadAnswer(nghttp2_session *ng, int32_t stream_id, uint8_t *buf, size_t length,
		   uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
	Http2Stream *stream = source->ptr;
	HttpSubscription *sub = stream->resp.subscription;
	size_t		n = Min(length, (size_t) (stream->resp.body.len - stream->resp_pos));

	/* a subscription's events to come: Http2Poll resumes it */
	if (n == 0 && sub != NULL && !sub->done)
		return NGHTTP2_ERR_DEFERRED;
	memcpy(buf, stream->resp.body.data + stream->resp_pos, n);
	stream->resp_pos += n;
	if (stream->resp_pos == stream->resp.body.len && (sub == NULL || sub->done))
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	return n;
}

static nghttp2_nv
Header(const char *name, const char *value)
{
	nghttp2_nv	nv;

	nv.name = (uint8_t *) name;
	nv.namelen = strlen(name);
	nv.value = (uint8_t *) value;
	nv.valuelen = strlen(value);
	nv.flags = NGHTTP2_NV_FLAG_NONE;
	return nv;
}

/* Whether a request is a SubscribeToShard call */
static bool
IsSubscription(const HttpRequest *req)
{
	const char *target = HttpHeaderValue(req, "x-amz-target");

	return target != NULL && strstr(target, ".SubscribeToShard") != NULL;
}

/* Serves a stream whose request is whole, and submits its answer */
static void
Serve(Http2Session *session, Http2Stream *stream)
{
	char		status[8];
	char		length[16];
	char		id[37];
	char		date[64];
	nghttp2_nv	nva[5];
	nghttp2_data_provider provider;

	MemoryContextSwitchTo(stream->cxt);
	initStringInfo(&stream->resp.body);
	if (stream->too_large)
	{
		stream->resp.status = 413;
		stream->resp.content_type = "application/x-amz-json-1.1";
		appendStringInfoString(&stream->resp.body,
							   "{\"__type\": \"SerializationException\", \"message\": \"The request is larger than the endpoint takes.\"}");
	}
	else if (session->subscriptions >= HTTP_SUBSCRIPTIONS_PER_CONNECTION &&
			 IsSubscription(stream->req))
	{
		stream->resp.status = 400;
		stream->resp.content_type = "application/x-amz-json-1.1";
		appendStringInfo(&stream->resp.body,
						 "{\"__type\": \"LimitExceededException\", \"message\": \"A connection holds at most %d subscriptions.\"}",
						 HTTP_SUBSCRIPTIONS_PER_CONNECTION);
	}
	else
		HttpServeRequest(stream->req, &stream->resp);
	MemoryContextSwitchTo(stream->cxt);
	if (stream->resp.subscription)
		session->subscriptions++;

	snprintf(status, sizeof(status), "%d", stream->resp.status);
	snprintf(length, sizeof(length), "%d", stream->resp.body.len);
	HttpRequestId(id);
	HttpDate(date, sizeof(date));
	nva[0] = Header(":status", status);
	nva[1] = Header("content-type", stream->resp.content_type);
	nva[2] = Header("x-amzn-requestid", id);
	nva[3] = Header("date", date);
	/* (a subscription's length is not known) */
	nva[4] = Header("content-length", length);
	if (stream->resp.subscription)
		stream->resp.subscription->next_poll =
			TimestampTzPlusMilliseconds(GetCurrentTimestamp(), HTTP_SUBSCRIPTION_POLL_MS);
	provider.source.ptr = stream;
	provider.read_callback = ReadAnswer;
	/* (the names and values are copied: nghttp2 keeps none of them) */
	if (nghttp2_submit_response(session->ng, stream->id, nva,
								lengthof(nva) - (stream->resp.subscription ? 1 : 0),
								&provider) != 0)
		(void) nghttp2_submit_rst_stream(session->ng, NGHTTP2_FLAG_NONE,
										 stream->id, NGHTTP2_INTERNAL_ERROR);
}

Http2Session *
Http2Start(MemoryContext cxt, StringInfo out)
{
	nghttp2_settings_entry settings[] = {
		{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, HTTP2_MAX_STREAMS},
		{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, HTTP2_STREAM_WINDOW},
		{NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, HTTP_MAX_HEADERS},
	};
	Http2Session *session;

	if (callbacks == NULL)
	{
		if (nghttp2_session_callbacks_new(&callbacks) != 0)
			elog(ERROR, "out of memory for nghttp2's callbacks");
		nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, OnBeginHeaders);
		nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeader);
		nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, OnDataChunk);
		nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, OnFrameReceived);
		nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, OnStreamClose);
	}
	session = MemoryContextAllocZero(cxt, sizeof(Http2Session));
	session->cxt = AllocSetContextCreate(cxt, "stream http2 session",
										 ALLOCSET_SMALL_SIZES);
	session->out = out;
	dlist_init(&session->streams);
	if (nghttp2_session_server_new(&session->ng, callbacks, session) != 0)
		elog(ERROR, "out of memory for an HTTP/2 session");
	(void) nghttp2_submit_settings(session->ng, NGHTTP2_FLAG_NONE, settings,
								   lengthof(settings));
	(void) nghttp2_session_set_local_window_size(session->ng, NGHTTP2_FLAG_NONE, 0,
												 HTTP2_CONNECTION_WINDOW);
	return session;
}

bool
Http2Receive(Http2Session *session, const char *data, int len)
{
	MemoryContext old = CurrentMemoryContext;
	ssize_t		rv = nghttp2_session_mem_recv(session->ng, (const uint8_t *) data, len);
	List	   *ready = session->ready;
	ListCell   *lc;

	MemoryContextSwitchTo(old);
	if (rv < 0)
	{
		(void) nghttp2_session_terminate_session(session->ng, NGHTTP2_PROTOCOL_ERROR);
		list_free(session->ready);
		session->ready = NIL;
		return false;
	}
	/* served after nghttp2 returned: a request may take a while */
	session->ready = NIL;
	foreach(lc, ready)
	{
		Http2Stream *stream = nghttp2_session_get_stream_user_data(session->ng,
																   lfirst_int(lc));

		if (stream != NULL)
			Serve(session, stream);
	}
	list_free(ready);
	MemoryContextSwitchTo(old);
	return true;
}

void
Http2Send(Http2Session *session, int limit)
{
	while (session->out->len < limit)
	{
		const uint8_t *data;
		ssize_t		n = nghttp2_session_mem_send(session->ng, &data);

		if (n <= 0)
			break;
		appendBinaryStringInfo(session->out, (const char *) data, n);
	}
}

TimestampTz
Http2Poll(Http2Session *session, bool *queued)
{
	dlist_iter	iter;
	TimestampTz next = 0;
	TimestampTz now = GetCurrentTimestamp();

	*queued = false;
	dlist_foreach(iter, &session->streams)
	{
		Http2Stream *stream = dlist_container(Http2Stream, node, iter.cur);
		HttpSubscription *sub = stream->resp.subscription;

		if (sub == NULL || sub->done)
			continue;
		/* a client that does not take its events gets no more read for it */
		if (sub->next_poll <= now &&
			stream->resp.body.len - stream->resp_pos > HTTP_SUBSCRIPTION_BACKLOG)
			sub->next_poll = TimestampTzPlusMilliseconds(now, HTTP_SUBSCRIPTION_POLL_MS);
		else if (sub->next_poll <= now)
		{
			/* a batch's memory goes with it: a subscription lasts minutes */
			MemoryContext poll_cxt = AllocSetContextCreate(session->cxt, "stream http2 poll",
														   ALLOCSET_DEFAULT_SIZES);
			MemoryContext old = MemoryContextSwitchTo(poll_cxt);

			/* what was sent of the answer is dropped before more is added */
			if (stream->resp_pos > 0)
			{
				memmove(stream->resp.body.data, stream->resp.body.data + stream->resp_pos,
						stream->resp.body.len - stream->resp_pos);
				stream->resp.body.len -= stream->resp_pos;
				stream->resp.body.data[stream->resp.body.len] = '\0';
				stream->resp_pos = 0;
			}
			if (HttpSubscriptionNext(sub) || sub->done)
			{
				(void) nghttp2_session_resume_data(session->ng, stream->id);
				*queued = true;
			}
			MemoryContextSwitchTo(old);
			MemoryContextDelete(poll_cxt);
			now = GetCurrentTimestamp();
			sub->next_poll = TimestampTzPlusMilliseconds(now, HTTP_SUBSCRIPTION_POLL_MS);
		}
		if (!sub->done && (next == 0 || sub->next_poll < next))
			next = sub->next_poll;
	}
	return next;
}

bool
Http2Done(Http2Session *session)
{
	return !nghttp2_session_want_read(session->ng) &&
		!nghttp2_session_want_write(session->ng);
}

TimestampTz
Http2Deadline(Http2Session *session)
{
	dlist_iter	iter;
	TimestampTz oldest = 0;

	dlist_foreach(iter, &session->streams)
	{
		Http2Stream *stream = dlist_container(Http2Stream, node, iter.cur);

		if (!stream->complete && (oldest == 0 || stream->started < oldest))
			oldest = stream->started;
	}
	return oldest ? TimestampTzPlusMilliseconds(oldest, HTTP_REQUEST_TIMEOUT_MS) : 0;
}

void
Http2End(Http2Session *session)
{
	dlist_iter	iter;

	/* (nghttp2_session_del closes no stream through OnStreamClose) */
	dlist_foreach(iter, &session->streams)
	{
		Http2Stream *stream = dlist_container(Http2Stream, node, iter.cur);

		if (stream->resp.subscription)
			HttpReleaseSubscription(stream->resp.subscription->claim_slot,
									stream->resp.subscription->claim_generation);
	}
	nghttp2_session_del(session->ng);
	MemoryContextDelete(session->cxt);
}
