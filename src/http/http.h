/*-------------------------------------------------------------------------
 *
 * http.h
 *	  The Kinesis endpoint: what its files share.  A request as the server
 *	  read it (HTTP/1.1 and, later, HTTP/2 alike), and the answer it sends.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_HTTP_H
#define STREAM_HTTP_H

#include "postgres.h"

#include "lib/stringinfo.h"

/* Kinesis' 5 MiB of records, base64 (4/3) and the JSON around them */
#define HTTP_MAX_BODY		(7 * 1024 * 1024)
/* All of a request's header lines together */
#define HTTP_MAX_HEADERS	(64 * 1024)
#define HTTP_MAX_HEADER_COUNT	100

typedef struct HttpHeader
{
	char	   *name;			/* lower case */
	char	   *value;
} HttpHeader;

typedef struct HttpRequest
{
	char	   *method;
	char	   *path;			/* before any '?' */
	char	   *query;			/* after it, "" if none */
	HttpHeader	headers[HTTP_MAX_HEADER_COUNT];
	int			nheaders;
	StringInfoData body;
} HttpRequest;

typedef struct HttpResponse
{
	int			status;
	const char *content_type;
	StringInfoData body;
} HttpResponse;

/* Settings (server.c) */
extern int	stream_http_port;
extern char *stream_http_listen_addresses;
extern int	stream_http_workers;
extern char *stream_http_database;
extern char *stream_http_tls_cert_file;
extern char *stream_http_tls_key_file;

extern void HttpInit(void);

/* The value of a header (the first of its name), NULL if absent */
extern const char *HttpHeaderValue(const HttpRequest *req, const char *name);

/* Serves one request (request.c): fills the response, never errors */
extern void HttpServeRequest(HttpRequest *req, HttpResponse *resp);

#endif							/* STREAM_HTTP_H */
