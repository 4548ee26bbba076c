/*-------------------------------------------------------------------------
 *
 * server.c
 *	  The Kinesis endpoint's server: listening, connections, TLS and HTTP/1.1
 *	  framing, in a background worker of the database stream.http_database.
 *
 * Design
 *
 * The launcher (src/worker/worker.c) keeps stream.http_workers of these
 * workers while stream.http_port is set, out of the extension's worker
 * budget.  Each binds its own listening sockets to the same port with
 * SO_REUSEPORT, so the kernel spreads connections among them and no
 * worker hands sockets to another; a worker that dies loses only its open
 * connections (clients retry), and the launcher starts another.
 *
 * A worker is one thread.  It waits in a WaitEventSet on its latch (SIGTERM,
 * SIGHUP, the launcher) and on an epoll descriptor that holds its listening
 * sockets and every client socket, so no descriptor is added to or removed
 * from the WaitEventSet as clients come and go.  A request is served when it
 * is whole, in the worker's own transaction (request.c), while other
 * connections wait: requests are short, and a worker serves one at a time
 * as a backend does.
 *
 * HTTP/1.1 messages are parsed by Node's http_parser (Debian's
 * libhttp-parser); TLS is OpenSSL's, with the certificate and key of
 * stream.http_tls_cert_file and stream.http_tls_key_file.  Bodies are
 * limited to HTTP_MAX_BODY, header lines to http_parser's 80 kB; a request
 * must arrive whole within HTTP_REQUEST_TIMEOUT_MS of its first byte (a slow
 * client cannot hold a connection open by trickling), and an idle
 * connection is closed after HTTP_IDLE_TIMEOUT_MS.  Malformed HTTP is
 * answered with 400 and the connection closed.  While a connection's answer
 * is not yet written, nothing more is read from it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <http_parser.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/interrupt.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "http/http.h"
#include "http/http2.h"
#include "http/server.h"

#define HTTP_MAX_CONNECTIONS		512
#define HTTP_MAX_LISTENERS			16
#define HTTP_IDLE_TIMEOUT_MS		(120 * 1000)
#define HTTP_READ_CHUNK				(64 * 1024)
#define HTTP_DRAIN_TIMEOUT_MS		(2 * 1000)
/* HTTP/2 frames are made while less than this waits to be written */
#define HTTP2_OUT_LIMIT				(256 * 1024)

int			stream_http_port = 0;
char	   *stream_http_listen_addresses = NULL;
int			stream_http_workers = 2;
char	   *stream_http_database = NULL;
char	   *stream_http_tls_cert_file = NULL;
char	   *stream_http_tls_key_file = NULL;

typedef struct Connection
{
	pgsocket	fd;
	SSL		   *ssl;			/* NULL for plain HTTP */
	bool		handshaken;		/* TLS handshake done (or no TLS) */
	uint32		events;			/* what epoll watches for */
	uint32		blocked_on;		/* what the last read or write waits for */
	bool		closing;		/* close once out is written */
	bool		draining;		/* written and shut: reading to the end */
	bool		eof;			/* the client ended its side */
	bool		started;		/* a first request began: HTTP/1.1 it is */
	Http2Session *h2;			/* NULL for HTTP/1.1 */
	MemoryContext cxt;			/* the connection's; request's is a child */
	MemoryContext request_cxt;
	StringInfoData in;			/* read, not yet parsed: from in_pos */
	int			in_pos;
	StringInfoData out;			/* to write: from out_pos */
	int			out_pos;
	http_parser parser;
	HttpRequest *req;			/* being read; NULL between requests */
	StringInfoData url;
	bool		header_value;	/* the parser was in a header's value */
	bool		complete;		/* req is whole */
	bool		too_large;
	TimestampTz deadline;		/* the request's, or the idle one's */
	struct Connection *next;
} Connection;

static int	epoll_fd = -1;
static pgsocket listeners[HTTP_MAX_LISTENERS];
static int	nlisteners = 0;
static SSL_CTX *ssl_ctx = NULL;
static Connection *connections = NULL;
static int	nconnections = 0;
static http_parser_settings parser_settings;

static void StartHttp2(Connection *c);
static MemoryContext connections_cxt = NULL;

/* what the worker was started with: a change ends it, to start anew */
static int	started_port;
static char *started_addresses;
static char *started_cert;
static char *started_key;

void
HttpInit(void)
{
	DefineCustomIntVariable("stream.http_port",
							"TCP port of the Kinesis endpoint; 0 turns it off.",
							NULL, &stream_http_port, 0, 0, 65535,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("stream.http_listen_addresses",
							   "Addresses the Kinesis endpoint listens on, comma-separated; * for all.",
							   NULL, &stream_http_listen_addresses, "localhost",
							   PGC_SIGHUP, GUC_LIST_INPUT, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.http_workers",
							"Background workers that serve the Kinesis endpoint.",
							"They come out of stream.max_workers.",
							&stream_http_workers, 1, 1, 64,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("stream.http_database",
							   "Database whose streams the Kinesis endpoint serves.",
							   NULL, &stream_http_database, "postgres",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("stream.http_tls_cert_file",
							   "Certificate (chain) of the Kinesis endpoint; with the key file, it speaks HTTPS.",
							   NULL, &stream_http_tls_cert_file, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("stream.http_tls_key_file",
							   "Private key of the Kinesis endpoint's certificate.",
							   NULL, &stream_http_tls_key_file, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	HttpClaimsInit();
}

/* ----------------------------------------------------------------
 * Listening
 * ----------------------------------------------------------------
 */

static void
WatchSocket(pgsocket fd, uint32 events, void *ptr)
{
	struct epoll_event ev = {.events = events,.data.ptr = ptr};

	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0)
		ereport(ERROR,
				(errcode_for_socket_access(),
				 errmsg("could not watch a socket of the Kinesis endpoint: %m")));
}

/* Binds every address of a host name ("*": all) to the port */
static void
Listen(const char *host)
{
	struct addrinfo hints = {0};
	struct addrinfo *addrs;
	char		port[16];
	int			rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(port, sizeof(port), "%d", stream_http_port);
	rc = getaddrinfo(strcmp(host, "*") == 0 ? NULL : host, port, &hints, &addrs);
	if (rc != 0)
	{
		ereport(WARNING,
				(errmsg("could not resolve \"%s\" for the Kinesis endpoint: %s",
						host, gai_strerror(rc))));
		return;
	}
	for (struct addrinfo *a = addrs; a && nlisteners < HTTP_MAX_LISTENERS; a = a->ai_next)
	{
		pgsocket	fd = socket(a->ai_family, SOCK_STREAM, 0);
		int			one = 1;

		if (fd == PGINVALID_SOCKET)
			continue;
		(void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		(void) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		if (a->ai_family == AF_INET6)
			(void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 128) != 0 ||
			!pg_set_noblock(fd))
		{
			ereport(WARNING,
					(errcode_for_socket_access(),
					 errmsg("could not listen on \"%s\" port %d for the Kinesis endpoint: %m",
							host, stream_http_port)));
			close(fd);
			continue;
		}
		listeners[nlisteners++] = fd;
		WatchSocket(fd, EPOLLIN, NULL);
	}
	freeaddrinfo(addrs);
}

/* ALPN: h2 when the client offers it, else HTTP/1.1 */
static int
SelectProtocol(SSL *ssl, const unsigned char **out, unsigned char *outlen,
			   const unsigned char *in, unsigned int inlen, void *arg)
{
	static const char *const preferred[] = {"h2", "http/1.1"};

	for (int i = 0; i < (int) lengthof(preferred); i++)
	{
		size_t		n = strlen(preferred[i]);

		for (unsigned int p = 0; p < inlen; p += 1 + in[p])
		{
			if (p + 1 + in[p] > inlen)
				break;
			if (in[p] == n && memcmp(in + p + 1, preferred[i], n) == 0)
			{
				*out = in + p + 1;
				*outlen = in[p];
				return SSL_TLSEXT_ERR_OK;
			}
		}
	}
	return SSL_TLSEXT_ERR_NOACK;
}

static void
SetUpTls(void)
{
	if (stream_http_tls_cert_file[0] == '\0' && stream_http_tls_key_file[0] == '\0')
		return;
	ssl_ctx = SSL_CTX_new(TLS_server_method());
	if (ssl_ctx == NULL ||
		!SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION) ||
		SSL_CTX_use_certificate_chain_file(ssl_ctx, stream_http_tls_cert_file) != 1 ||
		SSL_CTX_use_PrivateKey_file(ssl_ctx, stream_http_tls_key_file, SSL_FILETYPE_PEM) != 1 ||
		SSL_CTX_check_private_key(ssl_ctx) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("could not load the Kinesis endpoint's certificate \"%s\" and key \"%s\": %s",
						stream_http_tls_cert_file, stream_http_tls_key_file,
						ERR_reason_error_string(ERR_get_error())),
				 errhint("Set both stream.http_tls_cert_file and stream.http_tls_key_file to PEM files, or neither.")));
	SSL_CTX_set_mode(ssl_ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
					 SSL_MODE_ENABLE_PARTIAL_WRITE);
	SSL_CTX_set_alpn_select_cb(ssl_ctx, SelectProtocol, NULL);
}

/* ----------------------------------------------------------------
 * Connections
 * ----------------------------------------------------------------
 */

static void
CloseConnection(Connection *c)
{
	Connection **p;

	if (c->h2)
		Http2End(c->h2);
	if (c->ssl)
		SSL_free(c->ssl);
	(void) epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	ReleaseExternalFD();
	for (p = &connections; *p != c; p = &(*p)->next)
		;
	*p = c->next;
	nconnections--;
	/* the connection's memory may be the current one */
	MemoryContextSwitchTo(TopMemoryContext);
	MemoryContextDelete(c->cxt);
}

/* Has epoll watch a connection for these events (EPOLLIN or EPOLLOUT) */
static void
Watch(Connection *c, uint32 events)
{
	struct epoll_event ev = {.events = events,.data.ptr = c};

	if (c->events == events)
		return;
	c->events = events;
	(void) epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
Accept(pgsocket listener)
{
	for (;;)
	{
		pgsocket	fd = accept(listener, NULL, NULL);
		Connection *c;
		MemoryContext cxt;
		int			one = 1;

		if (fd == PGINVALID_SOCKET)
			return;				/* EAGAIN, or the client gave up */
		/* a descriptor counted with PostgreSQL's own files */
		if (nconnections >= HTTP_MAX_CONNECTIONS || !AcquireExternalFD())
		{
			close(fd);
			continue;
		}
		if (!pg_set_noblock(fd))
		{
			close(fd);
			ReleaseExternalFD();
			continue;
		}
		(void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		cxt = AllocSetContextCreate(connections_cxt, "stream http connection",
									ALLOCSET_SMALL_SIZES);
		c = MemoryContextAllocZero(cxt, sizeof(Connection));
		c->cxt = cxt;
		c->request_cxt = AllocSetContextCreate(cxt, "stream http request",
											   ALLOCSET_DEFAULT_SIZES);
		c->fd = fd;
		c->handshaken = (ssl_ctx == NULL);
		if (ssl_ctx)
		{
			c->ssl = SSL_new(ssl_ctx);
			if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1)
			{
				if (c->ssl)
					SSL_free(c->ssl);
				close(fd);
				ReleaseExternalFD();
				MemoryContextDelete(cxt);
				continue;
			}
			SSL_set_accept_state(c->ssl);
		}
		MemoryContextSwitchTo(cxt);
		initStringInfo(&c->in);
		initStringInfo(&c->out);
		http_parser_init(&c->parser, HTTP_REQUEST);
		c->parser.data = c;
		c->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												  HTTP_IDLE_TIMEOUT_MS);
		c->next = connections;
		connections = c;
		nconnections++;
		c->events = EPOLLIN;
		WatchSocket(fd, EPOLLIN, c);
	}
}

/*
 * Reads what the socket has into buf; the bytes read, 0 when nothing more
 * is there now (c->blocked_on says for what), -1 when the connection is
 * over (closed, reset, TLS error; c->eof when the client closed its side
 * cleanly).
 */
static int
ReadSome(Connection *c, char *buf, int len)
{
	if (c->ssl)
	{
		int			n = SSL_read(c->ssl, buf, len);

		if (n > 0)
			return n;
		switch (SSL_get_error(c->ssl, n))
		{
			case SSL_ERROR_WANT_READ:
				c->blocked_on = EPOLLIN;
				return 0;
			case SSL_ERROR_WANT_WRITE:
				c->blocked_on = EPOLLOUT;
				return 0;
			case SSL_ERROR_ZERO_RETURN:
				c->eof = true;
				return -1;
			default:
				ERR_clear_error();
				return -1;
		}
	}
	else
	{
		ssize_t		n = recv(c->fd, buf, len, 0);

		if (n > 0)
			return n;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		{
			c->blocked_on = EPOLLIN;
			return 0;
		}
		c->eof = (n == 0);
		return -1;
	}
}

typedef enum FlushResult
{
	FLUSH_DONE,					/* out is written */
	FLUSH_BLOCKED,				/* not all of it yet: c->blocked_on says why */
	FLUSH_FAILED				/* the connection is over */
} FlushResult;

/* Writes what can be written of out */
static FlushResult
Flush(Connection *c)
{
	while (c->out_pos < c->out.len)
	{
		int			len = c->out.len - c->out_pos;
		int			n;

		if (c->ssl)
		{
			n = SSL_write(c->ssl, c->out.data + c->out_pos, len);
			if (n <= 0)
			{
				int			err = SSL_get_error(c->ssl, n);

				if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ)
				{
					c->blocked_on = (err == SSL_ERROR_WANT_WRITE) ? EPOLLOUT : EPOLLIN;
					return FLUSH_BLOCKED;
				}
				ERR_clear_error();
				return FLUSH_FAILED;
			}
		}
		else
		{
			n = send(c->fd, c->out.data + c->out_pos, len, MSG_NOSIGNAL);
			if (n < 0)
			{
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				{
					c->blocked_on = EPOLLOUT;
					return FLUSH_BLOCKED;
				}
				return FLUSH_FAILED;
			}
		}
		c->out_pos += n;
	}
	/* a large answer's buffer is not kept for the small ones after it */
	if (c->out.maxlen > HTTP_READ_CHUNK * 4)
	{
		MemoryContext old = MemoryContextSwitchTo(c->cxt);

		pfree(c->out.data);
		initStringInfo(&c->out);
		MemoryContextSwitchTo(old);
	}
	else
		resetStringInfo(&c->out);
	c->out_pos = 0;
	return FLUSH_DONE;
}

static const char *
StatusText(int status)
{
	switch (status)
	{
		case 200:
			return "OK";
		case 400:
			return "Bad Request";
		case 405:
			return "Method Not Allowed";
		case 408:
			return "Request Timeout";
		case 413:
			return "Payload Too Large";
		case 415:
			return "Unsupported Media Type";
		case 500:
			return "Internal Server Error";
		default:
			return "Unknown";
	}
}

/* Queues an HTTP/1.1 answer */
static void
QueueResponse(Connection *c, const HttpResponse *resp)
{
	char		date[64];
	char		id[37];

	HttpDate(date, sizeof(date));
	HttpRequestId(id);
	appendStringInfo(&c->out,
					 "HTTP/1.1 %d %s\r\n"
					 "x-amzn-RequestId: %s\r\n"
					 "Content-Type: %s\r\n"
					 "Content-Length: %d\r\n"
					 "Date: %s\r\n"
					 "%s"
					 "\r\n",
					 resp->status, StatusText(resp->status), id,
					 resp->content_type, resp->body.len, date,
					 c->closing ? "Connection: close\r\n" : "");
	appendBinaryStringInfo(&c->out, resp->body.data, resp->body.len);
}

/* Answers a request the server could not read, and closes */
static void
RefuseRequest(Connection *c, int status, const char *message)
{
	HttpResponse resp;

	resp.status = status;
	resp.content_type = "application/x-amz-json-1.1";
	initStringInfo(&resp.body);
	appendStringInfo(&resp.body,
					 "{\"__type\": \"SerializationException\", \"message\": \"%s\"}",
					 message);
	c->closing = true;
	QueueResponse(c, &resp);
}

/* ----------------------------------------------------------------
 * http_parser's callbacks: they fill c->req
 * ----------------------------------------------------------------
 */

static int
OnMessageBegin(http_parser *p)
{
	Connection *c = p->data;

	c->started = true;
	MemoryContextReset(c->request_cxt);
	c->req = MemoryContextAllocZero(c->request_cxt, sizeof(HttpRequest));
	MemoryContextSwitchTo(c->request_cxt);
	initStringInfo(&c->req->body);
	initStringInfo(&c->url);
	c->header_value = false;
	c->complete = false;
	c->too_large = false;
	c->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
											  HTTP_REQUEST_TIMEOUT_MS);
	return 0;
}

static int
OnUrl(http_parser *p, const char *at, size_t len)
{
	Connection *c = p->data;

	if (c->url.len + len > HTTP_MAX_HEADERS)
		return -1;
	appendBinaryStringInfo(&c->url, at, len);
	return 0;
}

static int
OnHeaderField(http_parser *p, const char *at, size_t len)
{
	Connection *c = p->data;
	HttpRequest *req = c->req;
	HttpHeader *h;

	if (c->header_value || req->nheaders == 0)
	{
		if (req->nheaders == HTTP_MAX_HEADER_COUNT)
			return -1;
		h = &req->headers[req->nheaders++];
		h->name = pstrdup("");
		h->value = pstrdup("");
		c->header_value = false;
	}
	h = &req->headers[req->nheaders - 1];
	h->name = psprintf("%s%.*s", h->name, (int) len, at);
	for (char *s = h->name; *s; s++)
		*s = pg_ascii_tolower(*s);
	return 0;
}

static int
OnHeaderValue(http_parser *p, const char *at, size_t len)
{
	Connection *c = p->data;
	HttpHeader *h = &c->req->headers[c->req->nheaders - 1];

	c->header_value = true;
	h->value = psprintf("%s%.*s", h->value, (int) len, at);
	return 0;
}

static int
OnHeadersComplete(http_parser *p)
{
	Connection *c = p->data;
	HttpRequest *req = c->req;
	char	   *q = strchr(c->url.data, '?');
	const char *expect;

	req->method = pstrdup(http_method_str((enum http_method) p->method));
	req->path = q ? pnstrdup(c->url.data, q - c->url.data) : c->url.data;
	req->query = q ? q + 1 : "";
	if ((p->flags & F_CONTENTLENGTH) && p->content_length > HTTP_MAX_BODY)
	{
		c->too_large = true;
		return -1;
	}
	expect = HttpHeaderValue(req, "expect");
	if (expect && pg_strcasecmp(expect, "100-continue") == 0)
		appendStringInfoString(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
	return 0;
}

static int
OnBody(http_parser *p, const char *at, size_t len)
{
	Connection *c = p->data;

	if (c->req->body.len + len > HTTP_MAX_BODY)
	{
		c->too_large = true;
		return -1;
	}
	appendBinaryStringInfo(&c->req->body, at, len);
	return 0;
}

static int
OnMessageComplete(http_parser *p)
{
	Connection *c = p->data;

	c->complete = true;
	http_parser_pause(p, 1);
	return 0;
}

/* ----------------------------------------------------------------
 * Serving
 * ----------------------------------------------------------------
 */

static void
Serve(Connection *c)
{
	HttpResponse resp;

	MemoryContextSwitchTo(c->request_cxt);
	memset(&resp, 0, sizeof(resp));
	initStringInfo(&resp.body);
	HttpServeRequest(c->req, &resp);
	MemoryContextSwitchTo(c->cxt);
	if (!http_should_keep_alive(&c->parser))
		c->closing = true;
	QueueResponse(c, &resp);
	c->req = NULL;
	MemoryContextReset(c->request_cxt);
	c->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
											  HTTP_IDLE_TIMEOUT_MS);
}

/*
 * Parses what was read, serving each whole request, until it runs out of
 * bytes or has an answer that is not yet written.
 */
static void
Parse(Connection *c)
{
	while (c->in_pos < c->in.len && c->out.len == 0 && !c->closing)
	{
		size_t		n;
		enum http_errno err;

		/* HTTP/2 with prior knowledge: its preface comes first */
		if (!c->started)
		{
			int			have = Min(c->in.len - c->in_pos, HTTP2_PREFACE_LEN);

			if (memcmp(c->in.data + c->in_pos, HTTP2_PREFACE, have) == 0)
			{
				if (have < HTTP2_PREFACE_LEN)
					break;		/* the rest of it is still to come */
				StartHttp2(c);
				return;
			}
		}
		/* what the parser's callbacks make belongs to the request */
		MemoryContextSwitchTo(c->request_cxt);
		n = http_parser_execute(&c->parser, &parser_settings,
								c->in.data + c->in_pos, c->in.len - c->in_pos);
		c->in_pos += n;
		err = HTTP_PARSER_ERRNO(&c->parser);
		if (c->complete)
		{
			http_parser_pause(&c->parser, 0);
			c->complete = false;
			if (c->parser.upgrade)
			{
				RefuseRequest(c, 400, "Upgrade is not served; send HTTP/1.1.");
				break;
			}
			Serve(c);
			continue;
		}
		if (err != HPE_OK)
		{
			if (c->too_large)
				RefuseRequest(c, 413, "The request is larger than the endpoint takes.");
			else
				RefuseRequest(c, 400, "The request is not valid HTTP/1.1.");
			break;
		}
	}
	if (c->in_pos == c->in.len)
	{
		resetStringInfo(&c->in);
		c->in_pos = 0;
	}
}

/*
 * Speaks HTTP/2 on a connection from now on; what it read goes to the
 * session (the preface too, which nghttp2 checks).
 */
static void
StartHttp2(Connection *c)
{
	c->started = true;
	c->h2 = Http2Start(c->cxt, &c->out);
	if (c->in_pos < c->in.len &&
		!Http2Receive(c->h2, c->in.data + c->in_pos, c->in.len - c->in_pos))
	{
		Http2Send(c->h2, HTTP2_OUT_LIMIT);	/* its GOAWAY */
		c->closing = true;
	}
	resetStringInfo(&c->in);
	c->in_pos = 0;
}

/*
 * After the last answer of a connection is written: closes the sending side
 * and reads what the client still sends until it closes too, so that the
 * answer is not lost to a reset (as for a 413 sent before the body).
 */
static void
StartDraining(Connection *c)
{
	if (c->ssl)
		(void) SSL_shutdown(c->ssl);
	(void) shutdown(c->fd, SHUT_WR);
	c->draining = true;
	c->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
											  HTTP_DRAIN_TIMEOUT_MS);
}

/* Reads and drops what a draining connection gets; false at its end */
static bool
Drain(Connection *c)
{
	char		buf[HTTP_READ_CHUNK];

	for (;;)
	{
		ssize_t		n = recv(c->fd, buf, sizeof(buf), 0);

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		{
			Watch(c, EPOLLIN);
			return true;
		}
		return false;
	}
}

/*
 * Does what a connection is ready for: writes what waits, serves the whole
 * requests already read (one answer at a time: nothing more is read while
 * an answer waits to be written), reads more.  False if it ended.
 */
static bool
Progress(Connection *c)
{
	char		buf[HTTP_READ_CHUNK];

	MemoryContextSwitchTo(c->cxt);
	if (!c->handshaken)
	{
		int			rc = SSL_do_handshake(c->ssl);

		if (rc != 1)
		{
			int			err = SSL_get_error(c->ssl, rc);

			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
			{
				Watch(c, err == SSL_ERROR_WANT_WRITE ? EPOLLOUT : EPOLLIN);
				return true;
			}
			ERR_clear_error();
			return false;
		}
		c->handshaken = true;
		{
			const unsigned char *alpn;
			unsigned int alpn_len;

			SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
			if (alpn_len == 2 && memcmp(alpn, "h2", 2) == 0)
				StartHttp2(c);
		}
	}
	if (c->draining)
		return Drain(c);
	for (;;)
	{
		int			n;

		switch (Flush(c))
		{
			case FLUSH_FAILED:
				return false;
			case FLUSH_BLOCKED:
				Watch(c, c->blocked_on);
				return true;
			case FLUSH_DONE:
				break;
		}
		if (c->closing)
		{
			StartDraining(c);
			return Drain(c);
		}
		if (c->h2)
		{
			/* frames to send first, then more of what the client sends */
			Http2Send(c->h2, HTTP2_OUT_LIMIT);
			if (c->out.len > 0)
				continue;
			if (Http2Done(c->h2))
			{
				c->closing = true;	/* drained as HTTP/1.1 is */
				continue;
			}
			n = ReadSome(c, buf, sizeof(buf));
			if (n < 0)
				return false;
			if (n == 0)
			{
				Watch(c, c->blocked_on);
				return true;
			}
			c->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													  HTTP_IDLE_TIMEOUT_MS);
			if (!Http2Receive(c->h2, buf, n))
			{
				/* its GOAWAY is sent, then the connection closed */
				Http2Send(c->h2, HTTP2_OUT_LIMIT);
				c->closing = true;
			}
			continue;
		}
		if (c->in_pos < c->in.len)
		{
			Parse(c);
			if (c->out.len > 0 || c->closing || c->h2)
				continue;
		}
		n = ReadSome(c, buf, sizeof(buf));
		if (n < 0)
		{
			/* a client that stopped in the middle of a request hears why */
			if (c->eof && (c->req != NULL || c->in_pos < c->in.len))
			{
				RefuseRequest(c, 400, "The request ended before it was whole.");
				continue;
			}
			return false;
		}
		if (n == 0)
		{
			Watch(c, c->blocked_on);
			return true;
		}
		appendBinaryStringInfo(&c->in, buf, n);
	}
}

/*
 * Reads the next batches of the subscriptions that are due and sends their
 * events; when the next is due, or 0 if there is none.  A connection with a
 * subscription is not idle.
 */
static TimestampTz
PollSubscriptions(void)
{
	TimestampTz next = 0;
	Connection *c = connections;

	while (c)
	{
		Connection *next_c = c->next;
		bool		queued = false;
		TimestampTz due = c->h2 && !c->closing ? Http2Poll(c->h2, &queued) : 0;

		if (due != 0 || queued)
		{
			/* events sent are activity; a client that takes none goes idle */
			if (queued)
				c->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														  HTTP_IDLE_TIMEOUT_MS);
			if (!Progress(c))
				CloseConnection(c);
			else if (due != 0 && (next == 0 || due < next))
				next = due;
		}
		c = next_c;
	}
	return next;
}

/* Closes connections past their deadline; the next deadline, or 0 */
static TimestampTz
EnforceDeadlines(void)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz next = 0;
	Connection *c = connections;

	while (c)
	{
		Connection *next_c = c->next;
		TimestampTz request_deadline = c->h2 ? Http2Deadline(c->h2) : 0;

		if (request_deadline != 0 && request_deadline < c->deadline)
			c->deadline = request_deadline;
		if (c->deadline <= now)
			CloseConnection(c);
		else if (next == 0 || c->deadline < next)
			next = c->deadline;
		c = next_c;
	}
	return next;
}

static bool
SettingsChanged(void)
{
	return stream_http_port != started_port ||
		strcmp(stream_http_listen_addresses, started_addresses) != 0 ||
		strcmp(stream_http_tls_cert_file, started_cert) != 0 ||
		strcmp(stream_http_tls_key_file, started_key) != 0;
}

void
HttpServe(bool (*wanted) (void))
{
	WaitEventSet *set;
	WaitEvent	event;
	char	   *addresses;
	List	   *hosts;
	ListCell   *lc;

	/*
	 * Answers of GetRecords run to megabytes, made and freed at every call:
	 * glibc would map each from the kernel and unmap it when freed (a
	 * quarter of the worker's time went to page faults), so blocks up to
	 * HTTP_HEAP_KEEP_BYTES come from the heap, which keeps that much freed.
	 */
#ifdef M_MMAP_THRESHOLD
	mallopt(M_MMAP_THRESHOLD, HTTP_HEAP_KEEP_BYTES);
	mallopt(M_TRIM_THRESHOLD, HTTP_HEAP_KEEP_BYTES);
#endif
	started_port = stream_http_port;
	started_addresses = pstrdup(stream_http_listen_addresses);
	started_cert = pstrdup(stream_http_tls_cert_file);
	started_key = pstrdup(stream_http_tls_key_file);
	connections_cxt = AllocSetContextCreate(TopMemoryContext, "stream http connections",
											ALLOCSET_DEFAULT_SIZES);

	http_parser_settings_init(&parser_settings);
	parser_settings.on_message_begin = OnMessageBegin;
	parser_settings.on_url = OnUrl;
	parser_settings.on_header_field = OnHeaderField;
	parser_settings.on_header_value = OnHeaderValue;
	parser_settings.on_headers_complete = OnHeadersComplete;
	parser_settings.on_body = OnBody;
	parser_settings.on_message_complete = OnMessageComplete;

	SetUpTls();
	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (epoll_fd < 0)
		ereport(ERROR,
				(errcode_for_socket_access(),
				 errmsg("could not create an epoll descriptor: %m")));
	addresses = pstrdup(stream_http_listen_addresses);
	if (!SplitGUCList(addresses, ',', &hosts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("stream.http_listen_addresses is not a list of host names")));
	foreach(lc, hosts)
		Listen((const char *) lfirst(lc));
	if (nlisteners == 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("the Kinesis endpoint could not listen on port %d of \"%s\"",
						stream_http_port, stream_http_listen_addresses)));
	ereport(LOG,
			(errmsg("stream: the Kinesis endpoint listens on port %d of \"%s\"%s",
					stream_http_port, stream_http_listen_addresses,
					ssl_ctx ? " (HTTPS)" : "")));
	if (ssl_ctx == NULL && strcmp(stream_http_listen_addresses, "localhost") != 0)
		ereport(WARNING,
				(errmsg("the Kinesis endpoint listens beyond localhost without TLS"),
				 errdetail("Signed requests can be read, and replayed for 5 minutes, by anyone on the network path."),
				 errhint("Set stream.http_tls_cert_file and stream.http_tls_key_file.")));

	set = CreateWaitEventSet(TopMemoryContext, 3);
	AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	AddWaitEventToSet(set, WL_SOCKET_READABLE, epoll_fd, NULL, NULL);

	for (;;)
	{
		struct epoll_event ready[64];
		TimestampTz deadline;
		TimestampTz poll_due;
		long		timeout = -1;
		int			n;

		if (ProcDiePending)
			return;
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			if (SettingsChanged())
				return;
		}
		if (!wanted())
			return;

		poll_due = PollSubscriptions();
		deadline = EnforceDeadlines();
		if (poll_due != 0 && (deadline == 0 || poll_due < deadline))
			deadline = poll_due;
		if (deadline != 0)
			timeout = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline) + 1;
		pgstat_report_activity(STATE_IDLE, NULL);
		if (WaitEventSetWait(set, timeout, &event, 1, PG_WAIT_EXTENSION) == 1 &&
			event.events & WL_LATCH_SET)
			ResetLatch(MyLatch);

		n = epoll_wait(epoll_fd, ready, lengthof(ready), 0);
		for (int i = 0; i < n; i++)
		{
			Connection *c = ready[i].data.ptr;

			if (c == NULL)
			{
				for (int j = 0; j < nlisteners; j++)
					Accept(listeners[j]);
				continue;
			}
			if (!Progress(c))
				CloseConnection(c);
		}
		MemoryContextSwitchTo(TopMemoryContext);
	}
}
