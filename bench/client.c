/*-------------------------------------------------------------------------
 *
 * client.c
 *	  The libpq client of bench/run, for what pgbench cannot express.
 *
 *	  read-stream STREAM SHARDS LIMIT FORMAT [START_SEQ ...]
 *		One connection per shard reads it with get_records (LIMIT records a
 *		call) from TRIM_HORIZON, or from AT_SEQUENCE_NUMBER START_SEQ ("-"
 *		for TRIM_HORIZON, "it:ITERATOR" to start from a shard iterator taken
 *		earlier), until it has caught up.
 *	  read-heap TABLE SHARDS LIMIT FORMAT
 *		One connection per shard reads the heap table's rows of that shard
 *		in order, in pages of LIMIT rows by key (id > last id).
 *	  read-pgq QUEUE CONSUMER FORMAT
 *		One PgQ consumer reads the queue batch by batch (pgq.next_batch,
 *		pgq.get_batch_events, pgq.finish_batch) until no batch is left.
 *	  put-big TARGET CLIENTS PER_CLIENT SIZE
 *		CLIENTS connections each write PER_CLIENT records of SIZE bytes
 *		(partition key and data together) of random bytes, one a
 *		transaction, as binary parameters: TARGET is a stream name
 *		(stream.put_record) or "wal" (pg_logical_emit_message).
 *	  consume-stream APPLICATION WORKERS LIMIT WAIT TOTAL
 *		WORKERS workers of a consumer application each run, until TOTAL
 *		records were delivered to all of them: BEGIN; INSERT INTO
 *		w9_results SELECT sequence_number FROM stream.consume(APPLICATION,
 *		worker, LIMIT, wait => WAIT); COMMIT (exactly once: the checkpoint
 *		commits with the results).
 *	  consume-pgq QUEUE CONSUMER WORKERS
 *		WORKERS workers, worker i consuming queue QUEUE_i as CONSUMER (PgQ
 *		has no shards: a queue each), each running until its queue has no
 *		batch left: BEGIN; pgq.next_batch; INSERT INTO w9_results SELECT
 *		ev_id FROM pgq.get_batch_events; pgq.finish_batch; COMMIT.
 *	  latency STREAM SHARDS RATE SECONDS POLL_MS [WAIT_MS]
 *		One producer writes RATE records a second with put_record for
 *		SECONDS; one consumer a shard calls get_records in a loop, waiting
 *		POLL_MS milliseconds after a call that returned nothing, or (with
 *		WAIT_MS) calling it with that wait, which the commit of a record
 *		ends.  Reports the time from the return of put_record (its commit)
 *		to the return of the get_records call that delivered the record.
 *
 * FORMAT is "text" or "binary": the format the results come back in; for
 * read-stream, "text-array" and "binary-array" take the records as the one
 * stream.record[] value get_records returns rather than as rows.  The
 * connection comes from the environment (PGHOST, PGPORT, PGUSER,
 * PGDATABASE).  Each command prints one line of name=value pairs; times
 * are measured from the moment every connection is open and prepared to
 * the moment the last one is done.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define BYTEAOID 17
#define TEXTOID 25
#define INT4OID 23
#define INT8OID 20

static pthread_barrier_t start_barrier;
static double start_time;

static double
Now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
Die(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench client: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static PGconn *
Connect(void)
{
	PGconn	   *conn = PQconnectdb("");

	if (PQstatus(conn) != CONNECTION_OK)
		Die("connection failed: %s", PQerrorMessage(conn));
	return conn;
}

/* Checks that a command worked; dies with the server's message if not. */
static void
Check(PGconn *conn, PGresult *res, const char *what)
{
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		Die("%s failed: %s", what, PQerrorMessage(conn));
}

static void
Prepare(PGconn *conn, const char *name, const char *sql, int nparams,
		const Oid *types)
{
	PGresult   *res = PQprepare(conn, name, sql, nparams, types);

	Check(conn, res, sql);
	PQclear(res);
}

static int64_t
Int8FromBinary(const char *p)
{
	uint32_t	hi,
				lo;

	memcpy(&hi, p, 4);
	memcpy(&lo, p + 4, 4);
	return (int64_t) (((uint64_t) ntohl(hi) << 32) | ntohl(lo));
}

static int32_t
Int4FromBinary(const char *p)
{
	uint32_t	v;

	memcpy(&v, p, 4);
	return (int32_t) ntohl(v);
}

/*
 * The format of the results: text or binary, and for get_records whether the
 * records come back as rows (get_records joined with unnest of its records,
 * as the README shows) or as the one stream.record[] value ("-array").
 */
static int
FormatArg(const char *s, int *array)
{
	*array = strstr(s, "-array") != NULL;
	if (strncmp(s, "text", 4) == 0)
		return 0;
	if (strncmp(s, "binary", 6) == 0)
		return 1;
	Die("format must be text, binary, text-array or binary-array, not %s", s);
	return 0;
}

static int
IntArg(const char *s, const char *what)
{
	char	   *end;
	long		v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 1000000000)
		Die("%s must be a whole number, not %s", what, s);
	return (int) v;
}

/* Runs fn on n threads with their own argument each; returns the seconds. */
static double
RunThreads(int n, void *(*fn) (void *), void *args, size_t argsize)
{
	pthread_t  *th = calloc(n, sizeof(pthread_t));

	if (pthread_barrier_init(&start_barrier, NULL, n + 1) != 0)
		Die("pthread_barrier_init failed");
	for (int i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, fn, (char *) args + i * argsize) != 0)
			Die("pthread_create failed");
	pthread_barrier_wait(&start_barrier);
	start_time = Now();
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	free(th);
	return Now() - start_time;
}

/*----------
 * read-stream and read-heap
 *----------
 */
typedef struct Reader
{
	const char *name;			/* stream or table */
	int			shard;
	int			limit;
	int			binary;
	int			array;			/* records as one array value */
	const char *start_seq;		/* NULL: TRIM_HORIZON */
	long long	records;
	long long	bytes;
	long long	calls;
} Reader;

static void *
ReadStream(void *arg)
{
	Reader	   *r = arg;
	PGconn	   *conn = Connect();
	PGresult   *res;
	char		shard_id[32];
	char		limit[16];
	char	   *it;
	const char *params[5];
	const Oid	types[2] = {TEXTOID, INT4OID};
	int			empty = 0;

	snprintf(shard_id, sizeof(shard_id), "shardId-%012d", r->shard);
	snprintf(limit, sizeof(limit), "%d", r->limit);
	if (r->start_seq && strncmp(r->start_seq, "it:", 3) == 0)
		it = strdup(r->start_seq + 3);
	else
	{
		params[0] = r->name;
		params[1] = shard_id;
		params[2] = r->start_seq ? "AT_SEQUENCE_NUMBER" : "TRIM_HORIZON";
		params[3] = r->start_seq;
		res = PQexecParams(conn,
						   "SELECT stream.get_shard_iterator($1, $2, $3, $4::numeric)",
						   4, NULL, params, NULL, NULL, 0);
		Check(conn, res, "get_shard_iterator");
		it = strdup(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	if (r->array)
		Prepare(conn, "g",
				"SELECT coalesce(cardinality(records), 0), next_shard_iterator, "
				"millis_behind_latest, records FROM stream.get_records($1, $2)",
				2, types);
	else
		Prepare(conn, "g",
				"SELECT g.next_shard_iterator, g.millis_behind_latest, "
				"r.sequence_number, r.approximate_arrival_timestamp, "
				"r.partition_key, r.data "
				"FROM stream.get_records($1, $2) g "
				"LEFT JOIN LATERAL unnest(g.records) r ON true",
				2, types);

	pthread_barrier_wait(&start_barrier);
	for (;;)
	{
		int			n;
		long long	behind;

		params[0] = it;
		params[1] = limit;
		res = PQexecPrepared(conn, "g", 2, params, NULL, NULL, r->binary);
		Check(conn, res, "get_records");
		r->calls++;
		if (r->array)
		{
			n = r->binary ? Int4FromBinary(PQgetvalue(res, 0, 0)) :
				atoi(PQgetvalue(res, 0, 0));
			behind = r->binary ? Int8FromBinary(PQgetvalue(res, 0, 2)) :
				atoll(PQgetvalue(res, 0, 2));
			r->bytes += PQgetlength(res, 0, 3);
			free(it);
			it = PQgetisnull(res, 0, 1) ? NULL : strdup(PQgetvalue(res, 0, 1));
		}
		else
		{
			/* one row with null record columns when there is no record */
			n = PQgetisnull(res, 0, 2) ? 0 : PQntuples(res);
			behind = r->binary ? Int8FromBinary(PQgetvalue(res, 0, 1)) :
				atoll(PQgetvalue(res, 0, 1));
			for (int i = 0; i < n; i++)
				r->bytes += PQgetlength(res, i, 5);
			free(it);
			it = PQgetisnull(res, 0, 0) ? NULL : strdup(PQgetvalue(res, 0, 0));
		}
		r->records += n;
		PQclear(res);
		/* caught up, or at the end of a closed shard */
		if (it == NULL || (n == 0 && behind == 0))
			break;
		if (n == 0 && ++empty > 1000)
			Die("shard %d: 1000 empty get_records calls while %lld ms behind",
				r->shard, behind);
	}
	free(it);
	PQfinish(conn);
	return NULL;
}

static void *
ReadHeap(void *arg)
{
	Reader	   *r = arg;
	PGconn	   *conn = Connect();
	PGresult   *res;
	char		sql[512];
	char		shard[16];
	char		last[32] = "0";
	char		limit[16];
	const char *params[3] = {shard, last, limit};
	const Oid	types[3] = {INT4OID, INT8OID, INT4OID};

	snprintf(shard, sizeof(shard), "%d", r->shard);
	snprintf(limit, sizeof(limit), "%d", r->limit);
	snprintf(sql, sizeof(sql),
			 "SELECT id, partition_key, arrival, data FROM %s "
			 "WHERE shard = $1 AND id > $2 ORDER BY id LIMIT $3", r->name);
	Prepare(conn, "h", sql, 3, types);

	pthread_barrier_wait(&start_barrier);
	for (;;)
	{
		int			n;

		res = PQexecPrepared(conn, "h", 3, params, NULL, NULL, r->binary);
		Check(conn, res, "heap page");
		r->calls++;
		n = PQntuples(res);
		r->records += n;
		for (int i = 0; i < n; i++)
			r->bytes += PQgetlength(res, i, 3);
		if (n > 0)
		{
			if (r->binary)
				snprintf(last, sizeof(last), "%" PRId64,
						 Int8FromBinary(PQgetvalue(res, n - 1, 0)));
			else
				snprintf(last, sizeof(last), "%s", PQgetvalue(res, n - 1, 0));
		}
		PQclear(res);
		if (n < r->limit)
			break;
	}
	PQfinish(conn);
	return NULL;
}

static int
CmdRead(int argc, char **argv, int heap)
{
	int			shards,
				limit,
				binary,
				array;
	Reader	   *readers;
	double		secs;
	long long	records = 0,
				bytes = 0,
				calls = 0;

	if (argc < 4 || (heap && argc != 4) || (!heap && argc != 4 && argc != 4 + atoi(argv[1])))
		Die("usage: %s NAME SHARDS LIMIT FORMAT%s", heap ? "read-heap" : "read-stream",
			heap ? "" : " [START_SEQ per shard]");
	shards = IntArg(argv[1], "SHARDS");
	limit = IntArg(argv[2], "LIMIT");
	binary = FormatArg(argv[3], &array);
	readers = calloc(shards, sizeof(Reader));
	for (int i = 0; i < shards; i++)
	{
		readers[i].name = argv[0];
		readers[i].shard = i;
		readers[i].limit = limit;
		readers[i].binary = binary;
		readers[i].array = array;
		if (argc > 4 && strcmp(argv[4 + i], "-") != 0)
			readers[i].start_seq = argv[4 + i];
	}
	secs = RunThreads(shards, heap ? ReadHeap : ReadStream, readers, sizeof(Reader));
	for (int i = 0; i < shards; i++)
	{
		records += readers[i].records;
		bytes += readers[i].bytes;
		calls += readers[i].calls;
	}
	printf("records=%lld bytes=%lld calls=%lld seconds=%.6f\n", records, bytes, calls, secs);
	free(readers);
	return 0;
}

/*
 * A PgQ consumer: takes batches with pgq.next_batch until there is none,
 * reads the events of each with pgq.get_batch_events and finishes it.
 * PgQ has no shards: one consumer reads the whole queue.
 */
static void *
ReadPgq(void *arg)
{
	Reader	   *r = arg;
	PGconn	   *conn = Connect();
	PGresult   *res;
	const Oid	types[2] = {TEXTOID, TEXTOID};
	const Oid	batch_type[1] = {INT8OID};

	Prepare(conn, "n", "SELECT pgq.next_batch($1, $2)::text", 2, types);
	Prepare(conn, "e", "SELECT ev_id, ev_time, ev_type, ev_data, ev_extra1 "
			"FROM pgq.get_batch_events($1)", 1, batch_type);
	Prepare(conn, "f", "SELECT pgq.finish_batch($1)", 1, batch_type);

	pthread_barrier_wait(&start_barrier);
	for (;;)
	{
		const char *params[2] = {r->name, r->start_seq};
		char	   *batch;
		int			n;

		res = PQexecPrepared(conn, "n", 2, params, NULL, NULL, 0);
		Check(conn, res, "pgq.next_batch");
		r->calls++;
		if (PQgetisnull(res, 0, 0))
		{
			PQclear(res);
			break;
		}
		batch = strdup(PQgetvalue(res, 0, 0));
		PQclear(res);
		params[0] = batch;
		res = PQexecPrepared(conn, "e", 1, params, NULL, NULL, r->binary);
		Check(conn, res, "pgq.get_batch_events");
		n = PQntuples(res);
		r->records += n;
		for (int i = 0; i < n; i++)
			r->bytes += PQgetlength(res, i, 3);
		PQclear(res);
		res = PQexecPrepared(conn, "f", 1, params, NULL, NULL, 0);
		Check(conn, res, "pgq.finish_batch");
		PQclear(res);
		free(batch);
	}
	PQfinish(conn);
	return NULL;
}

static int
CmdReadPgq(int argc, char **argv)
{
	Reader		reader;
	int			array;
	double		secs;

	if (argc != 3)
		Die("usage: read-pgq QUEUE CONSUMER FORMAT");
	memset(&reader, 0, sizeof(reader));
	reader.name = argv[0];
	reader.start_seq = argv[1];
	reader.binary = FormatArg(argv[2], &array);
	secs = RunThreads(1, ReadPgq, &reader, sizeof(Reader));
	printf("records=%lld bytes=%lld calls=%lld seconds=%.6f\n", reader.records,
		   reader.bytes, reader.calls, secs);
	return 0;
}

/*----------
 * consume-stream and consume-pgq
 *----------
 */
typedef struct Consumer
{
	const char *name;			/* application, or queue prefix */
	const char *consumer;		/* PgQ's consumer */
	int			worker;
	int			limit;
	const char *wait;			/* consume's wait, as an interval */
	long long	total;			/* stop once all delivered this many */
	long long	records;
	long long	calls;
} Consumer;

/* Records all the workers of a consume-stream run delivered so far */
static long long delivered = 0;

static void
Exec(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);

	Check(conn, res, sql);
	PQclear(res);
}

static void *
ConsumeStream(void *arg)
{
	Consumer   *c = arg;
	PGconn	   *conn = Connect();
	const Oid	types[4] = {TEXTOID, TEXTOID, INT4OID, TEXTOID};
	char		worker[32];
	char		limit[16];

	snprintf(worker, sizeof(worker), "worker-%d", c->worker);
	snprintf(limit, sizeof(limit), "%d", c->limit);
	Prepare(conn, "c", "INSERT INTO w9_results SELECT sequence_number::bigint "
			"FROM stream.consume($1, $2, $3, wait => $4::interval)", 4, types);

	pthread_barrier_wait(&start_barrier);
	while (__atomic_load_n(&delivered, __ATOMIC_RELAXED) < c->total)
	{
		const char *params[4] = {c->name, worker, limit, c->wait};
		PGresult   *res;
		long long	n;

		Exec(conn, "BEGIN");
		res = PQexecPrepared(conn, "c", 4, params, NULL, NULL, 0);
		Check(conn, res, "stream.consume");
		n = atoll(PQcmdTuples(res));
		PQclear(res);
		Exec(conn, "COMMIT");
		c->calls++;
		c->records += n;
		__atomic_add_fetch(&delivered, n, __ATOMIC_RELAXED);
	}
	PQfinish(conn);
	return NULL;
}

static void *
ConsumePgq(void *arg)
{
	Consumer   *c = arg;
	PGconn	   *conn = Connect();
	const Oid	types[2] = {TEXTOID, TEXTOID};
	const Oid	batch_type[1] = {INT8OID};
	char		queue[64];

	snprintf(queue, sizeof(queue), "%s_%d", c->name, c->worker);
	Prepare(conn, "n", "SELECT pgq.next_batch($1, $2)::text", 2, types);
	Prepare(conn, "e", "INSERT INTO w9_results SELECT ev_id FROM pgq.get_batch_events($1)",
			1, batch_type);
	Prepare(conn, "f", "SELECT pgq.finish_batch($1)", 1, batch_type);

	pthread_barrier_wait(&start_barrier);
	for (;;)
	{
		const char *params[2] = {queue, c->consumer};
		PGresult   *res;
		char	   *batch;

		Exec(conn, "BEGIN");
		res = PQexecPrepared(conn, "n", 2, params, NULL, NULL, 0);
		Check(conn, res, "pgq.next_batch");
		c->calls++;
		if (PQgetisnull(res, 0, 0))
		{
			PQclear(res);
			Exec(conn, "COMMIT");
			break;
		}
		batch = strdup(PQgetvalue(res, 0, 0));
		PQclear(res);
		params[0] = batch;
		res = PQexecPrepared(conn, "e", 1, params, NULL, NULL, 0);
		Check(conn, res, "pgq.get_batch_events");
		c->records += atoll(PQcmdTuples(res));
		PQclear(res);
		res = PQexecPrepared(conn, "f", 1, params, NULL, NULL, 0);
		Check(conn, res, "pgq.finish_batch");
		PQclear(res);
		Exec(conn, "COMMIT");
		free(batch);
	}
	PQfinish(conn);
	return NULL;
}

static int
CmdConsume(int argc, char **argv, int pgq)
{
	int			workers;
	Consumer   *c;
	long long	records = 0;
	long long	calls = 0;
	double		secs;

	if (pgq ? argc != 3 : argc != 5)
		Die(pgq ? "usage: consume-pgq QUEUE CONSUMER WORKERS"
			: "usage: consume-stream APPLICATION WORKERS LIMIT WAIT TOTAL");
	workers = IntArg(argv[pgq ? 2 : 1], "WORKERS");
	c = calloc(workers, sizeof(Consumer));
	for (int i = 0; i < workers; i++)
	{
		c[i].name = argv[0];
		c[i].worker = i + 1;
		if (pgq)
			c[i].consumer = argv[1];
		else
		{
			c[i].limit = IntArg(argv[2], "LIMIT");
			c[i].wait = argv[3];
			c[i].total = IntArg(argv[4], "TOTAL");
		}
	}
	secs = RunThreads(workers, pgq ? ConsumePgq : ConsumeStream, c, sizeof(Consumer));
	for (int i = 0; i < workers; i++)
	{
		records += c[i].records;
		calls += c[i].calls;
	}
	printf("records=%lld calls=%lld seconds=%.6f\n", records, calls, secs);
	free(c);
	return 0;
}

/*----------
 * put-big
 *----------
 */
typedef struct Putter
{
	const char *target;
	int			client;
	int			count;
	int			size;
	long long	bytes;
} Putter;

static void *
PutBig(void *arg)
{
	Putter	   *p = arg;
	PGconn	   *conn = Connect();
	PGresult   *res;
	int			wal = strcmp(p->target, "wal") == 0;
	char		key[64];
	char	   *data;
	int			datalen;
	unsigned int seed = 12345u + p->client;

	/*
	 * The partition key and the data make up the record size; keys have
	 * three digits, so that every record has the same size.
	 */
	datalen = p->size - (wal ? 0 : 6);
	data = malloc(datalen);
	for (int i = 0; i < datalen; i++)
		data[i] = (char) (rand_r(&seed) >> 7);
	if (wal)
	{
		const Oid	types[1] = {BYTEAOID};

		Prepare(conn, "p", "SELECT pg_logical_emit_message(true, 'bench', $1)", 1, types);
	}
	else
	{
		const Oid	types[3] = {TEXTOID, TEXTOID, BYTEAOID};

		Prepare(conn, "p", "SELECT sequence_number FROM stream.put_record($1, $2, $3)",
				3, types);
	}

	pthread_barrier_wait(&start_barrier);
	for (int i = 0; i < p->count; i++)
	{
		const char *params[3];
		int			lengths[3] = {0, 0, 0};
		int			formats[3] = {0, 0, 0};

		/* a different record each time, cheaply, under 1,000 keys */
		memcpy(data, &i, sizeof(i));
		snprintf(key, sizeof(key), "pk-%03d", (p->client * 250 + i) % 1000);
		if (wal)
		{
			params[0] = data;
			lengths[0] = datalen;
			formats[0] = 1;
		}
		else
		{
			params[0] = p->target;
			params[1] = key;
			params[2] = data;
			lengths[2] = datalen;
			formats[2] = 1;
		}
		res = PQexecPrepared(conn, "p", wal ? 1 : 3, params, lengths, formats, 0);
		Check(conn, res, wal ? "pg_logical_emit_message" : "put_record");
		PQclear(res);
		p->bytes += p->size;
	}
	free(data);
	PQfinish(conn);
	return NULL;
}

static int
CmdPutBig(int argc, char **argv)
{
	int			clients;
	Putter	   *putters;
	double		secs;
	long long	bytes = 0;

	if (argc != 4)
		Die("usage: put-big TARGET CLIENTS PER_CLIENT SIZE");
	clients = IntArg(argv[1], "CLIENTS");
	putters = calloc(clients, sizeof(Putter));
	for (int i = 0; i < clients; i++)
	{
		putters[i].target = argv[0];
		putters[i].client = i;
		putters[i].count = IntArg(argv[2], "PER_CLIENT");
		putters[i].size = IntArg(argv[3], "SIZE");
		if (putters[i].size < 16)
			Die("SIZE must be at least 16");
	}
	secs = RunThreads(clients, PutBig, putters, sizeof(Putter));
	for (int i = 0; i < clients; i++)
		bytes += putters[i].bytes;
	printf("records=%lld bytes=%lld seconds=%.6f\n",
		   (long long) clients * putters[0].count, bytes, secs);
	free(putters);
	return 0;
}

/*----------
 * latency
 *----------
 */
typedef struct Latency
{
	const char *stream;
	int			shard;			/* consumer's shard, or -1: the producer */
	int			rate;
	double		seconds;
	int			poll_ms;
	int			wait_ms;		/* get_records' wait, or 0: none */
	long long	calls;
	long long	empty_calls;
} Latency;

static double *put_start;		/* when put_record i was sent */
static double *committed;		/* when put_record i returned */
static double *seen;			/* when get_records returned record i */
static int	max_records;
static volatile int produced = -1;	/* records written, once the producer is done */
static int	nseen;

static void *
LatencyThread(void *arg)
{
	Latency    *l = arg;
	PGconn	   *conn = Connect();
	PGresult   *res;

	if (l->shard < 0)
	{
		const Oid	types[3] = {TEXTOID, TEXTOID, BYTEAOID};
		int			n = 0;

		Prepare(conn, "p", "SELECT sequence_number FROM stream.put_record($1, $2, $3)",
				3, types);
		pthread_barrier_wait(&start_barrier);
		/* give the consumers' first calls a head start */
		usleep(100000);
		for (double t0 = Now(); n < max_records; n++)
		{
			char		key[32];
			char		data[2 + 256 + 1];
			const char *params[3] = {l->stream, key, data};
			double		due = t0 + (double) n / l->rate,
						now = Now();

			if (due - t0 > l->seconds)
				break;
			if (due > now)
				usleep((useconds_t) ((due - now) * 1e6));
			snprintf(key, sizeof(key), "pk-%d", n % 1000);
			/* 128 bytes: the record number, then filler */
			snprintf(data, sizeof(data), "\\x%016x", n);
			memset(data + 18, 'a', 240);
			data[258] = '\0';
			put_start[n] = Now();
			res = PQexecPrepared(conn, "p", 3, params, NULL, NULL, 0);
			committed[n] = Now();
			Check(conn, res, "put_record");
			PQclear(res);
		}
		__atomic_store_n(&produced, n, __ATOMIC_SEQ_CST);
	}
	else
	{
		const Oid	types[2] = {TEXTOID, TEXTOID};
		char		shard_id[32];
		char		wait[32];
		const char *params[3] = {l->stream, shard_id, "LATEST"};
		char	   *it;
		double		give_up = 0;

		snprintf(shard_id, sizeof(shard_id), "shardId-%012d", l->shard);
		res = PQexecParams(conn, "SELECT stream.get_shard_iterator($1, $2, $3)",
						   3, NULL, params, NULL, NULL, 0);
		Check(conn, res, "get_shard_iterator");
		it = strdup(PQgetvalue(res, 0, 0));
		PQclear(res);
		/* the record numbers come back as one text value */
		snprintf(wait, sizeof(wait), "%d ms", l->wait_ms);
		Prepare(conn, "g",
				"SELECT (SELECT string_agg(substr(encode(r.data, 'hex'), 1, 16), ',') "
				"FROM unnest(g.records) r), g.next_shard_iterator "
				"FROM stream.get_records($1, 10000, $2::interval) g", 2, types);
		pthread_barrier_wait(&start_barrier);
		for (;;)
		{
			double		t;
			char	   *ids;
			int			got = 0;

			params[0] = it;
			params[1] = wait;
			res = PQexecPrepared(conn, "g", 2, params, NULL, NULL, 0);
			t = Now();
			Check(conn, res, "get_records");
			l->calls++;
			ids = PQgetvalue(res, 0, 0);
			while (*ids)
			{
				long		id = strtol(ids, &ids, 16);

				if (id < 0 || id >= max_records)
					Die("record number %ld out of range", id);
				seen[id] = t;
				got++;
				if (*ids == ',')
					ids++;
			}
			free(it);
			it = strdup(PQgetvalue(res, 0, 1));
			PQclear(res);
			if (got > 0)
				__atomic_fetch_add(&nseen, got, __ATOMIC_SEQ_CST);
			else
			{
				int			p = __atomic_load_n(&produced, __ATOMIC_SEQ_CST);

				l->empty_calls++;
				if (p >= 0 && __atomic_load_n(&nseen, __ATOMIC_SEQ_CST) >= p)
					break;
				if (p >= 0 && give_up == 0)
					give_up = Now() + 10;
				if (give_up > 0 && Now() > give_up)
					Die("records written but not read after 10 s");
				if (l->poll_ms > 0)
					usleep(l->poll_ms * 1000);
			}
		}
		free(it);
	}
	PQfinish(conn);
	return NULL;
}

static int
CompareDouble(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static double
Percentile(const double *sorted, int n, double p)
{
	int			i = (int) (p * (n - 1) + 0.5);

	return sorted[i];
}

static int
CmdLatency(int argc, char **argv)
{
	int			shards;
	Latency    *threads;
	double	   *lat,
			   *lat_put;
	long long	calls = 0,
				empty = 0;
	int			n;

	if (argc != 5 && argc != 6)
		Die("usage: latency STREAM SHARDS RATE SECONDS POLL_MS [WAIT_MS]");
	shards = IntArg(argv[1], "SHARDS");
	threads = calloc(shards + 1, sizeof(Latency));
	for (int i = 0; i <= shards; i++)
	{
		threads[i].stream = argv[0];
		threads[i].shard = i - 1;
		threads[i].rate = IntArg(argv[2], "RATE");
		threads[i].seconds = IntArg(argv[3], "SECONDS");
		threads[i].poll_ms = IntArg(argv[4], "POLL_MS");
		threads[i].wait_ms = argc == 6 ? IntArg(argv[5], "WAIT_MS") : 0;
	}
	if (threads[0].rate < 1)
		Die("RATE must be at least 1");
	max_records = (int) (threads[0].rate * threads[0].seconds) + 1;
	put_start = calloc(max_records, sizeof(double));
	committed = calloc(max_records, sizeof(double));
	seen = calloc(max_records, sizeof(double));
	RunThreads(shards + 1, LatencyThread, threads, sizeof(Latency));

	n = produced;
	if (n < 1)
		Die("no record written");
	lat = calloc(n, sizeof(double));
	lat_put = calloc(n, sizeof(double));
	for (int i = 0; i < n; i++)
	{
		if (seen[i] == 0)
			Die("record %d was never read", i);
		lat[i] = (seen[i] - committed[i]) * 1000;
		lat_put[i] = (seen[i] - put_start[i]) * 1000;
	}
	qsort(lat, n, sizeof(double), CompareDouble);
	qsort(lat_put, n, sizeof(double), CompareDouble);
	for (int i = 1; i <= shards; i++)
	{
		calls += threads[i].calls;
		empty += threads[i].empty_calls;
	}
	printf("records=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
		   "from_put_p50_ms=%.3f from_put_p99_ms=%.3f calls=%lld empty_calls=%lld\n",
		   n, Percentile(lat, n, 0.5), Percentile(lat, n, 0.9),
		   Percentile(lat, n, 0.99), lat[n - 1],
		   Percentile(lat_put, n, 0.5), Percentile(lat_put, n, 0.99), calls, empty);
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		Die("usage: client read-stream|read-heap|read-pgq|put-big|latency|consume-stream|consume-pgq ARGS...");
	if (strcmp(argv[1], "read-stream") == 0)
		return CmdRead(argc - 2, argv + 2, 0);
	if (strcmp(argv[1], "read-heap") == 0)
		return CmdRead(argc - 2, argv + 2, 1);
	if (strcmp(argv[1], "read-pgq") == 0)
		return CmdReadPgq(argc - 2, argv + 2);
	if (strcmp(argv[1], "put-big") == 0)
		return CmdPutBig(argc - 2, argv + 2);
	if (strcmp(argv[1], "latency") == 0)
		return CmdLatency(argc - 2, argv + 2);
	if (strcmp(argv[1], "consume-stream") == 0)
		return CmdConsume(argc - 2, argv + 2, 0);
	if (strcmp(argv[1], "consume-pgq") == 0)
		return CmdConsume(argc - 2, argv + 2, 1);
	Die("unknown command %s", argv[1]);
	return 1;
}
