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

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/* Kinesis' 5 MiB of records, base64 (4/3) and the JSON around them */
#define HTTP_MAX_BODY		(7 * 1024 * 1024)
/* All of a request's header lines together */
#define HTTP_MAX_HEADERS	(64 * 1024)
#define HTTP_MAX_HEADER_COUNT	100
/* A request must arrive whole within this time of its first byte */
#define HTTP_REQUEST_TIMEOUT_MS	(60 * 1000)
/*
 * Blocks of memory a worker takes from its heap and keeps when freed,
 * rather than from the kernel each time (server.c): GetRecords' largest
 * answer, 10 MiB of data in base64, with its buffer's doubling.
 */
#define HTTP_HEAP_KEEP_BYTES	(32 * 1024 * 1024)

typedef struct HttpHeader
{
	char	   *name;			/* lower case */
	char	   *value;
} HttpHeader;

typedef struct HttpRequest
{
	bool		http2;			/* it came over HTTP/2 */
	char	   *method;
	char	   *path;			/* before any '?' */
	char	   *query;			/* after it, "" if none */
	HttpHeader	headers[HTTP_MAX_HEADER_COUNT];
	int			nheaders;
	StringInfoData body;
} HttpRequest;

/* SubscribeToShard lasts this long, and sends an event at least this often */
#define HTTP_SUBSCRIPTION_MS		(5 * 60 * 1000)
#define HTTP_SUBSCRIPTION_EVENT_MS	(5 * 1000)
/* and reads the shard again this often, while less than this waits to be sent */
#define HTTP_SUBSCRIPTION_POLL_MS	200
#define HTTP_SUBSCRIPTION_BACKLOG	(1024 * 1024)
/* Subscriptions one HTTP/2 connection may hold open */
#define HTTP_SUBSCRIPTIONS_PER_CONNECTION	32
/*
 * A consumer's second subscription to a shard is refused within this time
 * of the first, and takes it over after (claims.c); subscriptions open
 * across the workers, in all and for one role
 */
#define HTTP_SUBSCRIPTION_RESUBSCRIBE_MS	(5 * 1000)
#define HTTP_SUBSCRIPTION_CLAIMS	16384
#define HTTP_SUBSCRIPTION_CLAIMS_PER_ROLE	4096

struct KinesisOperation;

/*
 * A SubscribeToShard answer still being sent: the request, as of its next
 * batch (its StartingPosition moved on), as the role of its key.
 */
typedef struct HttpSubscription
{
	MemoryContext cxt;			/* where its request lives */
	Oid			role;
	char	   *access_key_id;	/* checked again at each batch */
	const struct KinesisOperation *op;
	Jsonb	   *request;
	TimestampTz expires_at;
	TimestampTz last_event;
	TimestampTz next_poll;		/* when its shard is read again */
	StringInfo	out;			/* the answer's body: events are added */
	bool		done;			/* the last event is in out */
	int			claim_slot;		/* its claim on the consumer and shard */
	uint64		claim_generation;
} HttpSubscription;

/* Claims of subscriptions on a consumer and a shard (claims.c) */
typedef enum HttpClaimResult
{
	HTTP_CLAIM_TAKEN,			/* the subscription is the consumer's on the shard */
	HTTP_CLAIM_IN_USE,			/* another runs, begun less than 5 seconds ago */
	HTTP_CLAIM_FULL				/* too many open, in all or for the role */
} HttpClaimResult;

extern void HttpClaimsInit(void);
extern bool HttpSubscriptionInUse(const char *stream, const char *consumer,
								  const char *shard);
extern HttpClaimResult HttpClaimSubscription(const char *stream, const char *consumer,
											 const char *shard, Oid role, int *slot,
											 uint64 *generation);
extern bool HttpSubscriptionHeld(int slot, uint64 generation);
extern void HttpReleaseSubscription(int slot, uint64 generation);

typedef struct HttpResponse
{
	int			status;
	const char *content_type;
	StringInfoData body;
	const char *error_type;		/* of an error answer */
	char	   *error_message;
	HttpSubscription *subscription; /* an event stream that goes on */
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

/*
 * The next batch of a subscription (request.c), in a transaction of its
 * own: true if it added an event (records, a heartbeat every
 * HTTP_SUBSCRIPTION_EVENT_MS, or the end) to sub->out.  Sets sub->done at
 * its end: 5 minutes, a closed shard read to its end, or an error (sent as
 * an exception message).
 */
extern bool HttpSubscriptionNext(HttpSubscription *sub);

/* A new x-amzn-RequestId (a random UUID) in id[37]; the HTTP date now */
extern void HttpRequestId(char *id);
extern void HttpDate(char *buf, int len);

#endif							/* STREAM_HTTP_H */
