/*-------------------------------------------------------------------------
 *
 * kinesis.h
 *	  The Kinesis layer's limits and errors.
 *
 * Every error a user of the Kinesis API can see carries the SQLSTATE of its
 * Kinesis exception and names the exception in its DETAIL (API.md, Errors).
 * The table of exceptions lives in kinesis.c, and the SQL of the extension
 * raises them through stream_internal.raise, which uses the same table.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_KINESIS_H
#define STREAM_KINESIS_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "fmgr.h"

/* Kinesis limits */
#define STREAM_MAX_RECORD_SIZE		(1024 * 1024)
#define STREAM_MAX_KEY_CHARS		256
#define STREAM_MAX_PUT_RECORDS		500
#define STREAM_MAX_PUT_RECORDS_SIZE (5 * 1024 * 1024)
#define STREAM_MAX_GET_RECORDS		10000
#define STREAM_MAX_GET_RECORDS_SIZE (10 * 1024 * 1024)
#define STREAM_MAX_STREAM_NAME		128

/* SQLSTATEs of the Kinesis exceptions that PostgreSQL has no code for */
#define ERRCODE_STREAM_THROUGHPUT_EXCEEDED	MAKE_SQLSTATE('K','S','0','0','1')
#define ERRCODE_STREAM_EXPIRED_ITERATOR		MAKE_SQLSTATE('K','S','0','0','2')
#define ERRCODE_STREAM_EXPIRED_NEXT_TOKEN	MAKE_SQLSTATE('K','S','0','0','3')
#define ERRCODE_STREAM_KMS					MAKE_SQLSTATE('K','S','0','0','4')

/* The Kinesis exceptions, each with one SQLSTATE */
typedef enum KinesisException
{
	KINESIS_RESOURCE_NOT_FOUND, /* 42704 */
	KINESIS_RESOURCE_EXISTS,	/* ResourceInUseException: 42710 */
	KINESIS_RESOURCE_IN_USE,	/* ResourceInUseException: 55006 */
	KINESIS_INVALID_ARGUMENT,	/* 22023 */
	KINESIS_LIMIT_EXCEEDED,		/* 54000 */
	KINESIS_THROUGHPUT_EXCEEDED,	/* KS001 */
	KINESIS_EXPIRED_ITERATOR,	/* KS002 */
	KINESIS_EXPIRED_NEXT_TOKEN, /* KS003 */
	KINESIS_KMS_NOT_FOUND,		/* KS004 */
	KINESIS_KMS_DISABLED,		/* KS004 */
	KINESIS_KMS_INVALID_STATE,	/* KS004 */
	KINESIS_ACCESS_DENIED		/* 42501 */
} KinesisException;

/*
 * A value a user gave, as an error message quotes it: its first
 * STREAM_QUOTE_MAX characters and "..." when it is longer, so that a huge
 * argument cannot fill the server log.
 */
#define STREAM_QUOTE_MAX 64
extern const char *StreamQuote(const char *value);

extern int	KinesisErrcode(KinesisException exception);
extern const char *KinesisExceptionName(KinesisException exception);

/*
 * The Kinesis exception an error stands for, by its DETAIL or else its
 * SQLSTATE (a data exception is InvalidArgumentException); NULL for an
 * error that is no fault of the request (InternalFailure).
 */
extern const char *KinesisExceptionOfError(int sqlerrcode, const char *detail);

/*
 * In an ereport: the SQLSTATE of a Kinesis exception and the DETAIL that
 * names it, as in
 *
 *	ereport(ERROR,
 *			errkinesis(KINESIS_RESOURCE_NOT_FOUND),
 *			errmsg("stream \"%s\" does not exist", name));
 */
#define errkinesis(exception) \
	errcode(KinesisErrcode(exception)), \
	errdetail("The Kinesis exception is %s.", KinesisExceptionName(exception))

/* Settings of the account, which the SQL control plane reads */
extern int	stream_min_retention_period;
extern int	stream_shard_limit;
extern int	stream_on_demand_stream_limit;

extern void KinesisInit(void);

/* The row type a C function returns, built once per backend. */
extern TupleDesc StreamResultDesc(FunctionCallInfo fcinfo);

/*
 * Errors unless a composite type of the extension that C builds or reads
 * (stream.record, stream.put_records_request_entry) has the columns it made
 * it with: an ALTER TYPE that got past the guard (guard.c) must give a
 * clear error, never rows built from the wrong layout.
 */
extern void StreamCheckRowType(Oid type, int natts, const Oid *types);

/*
 * Relations the extension makes at run time (segments, the views that carry
 * streams' privileges): StreamCreateMemberRelation runs the DDL that makes
 * schema.relname and records the relation as a member of the extension, so
 * that DROP EXTENSION takes it, pg_dump does not dump it on its own, and
 * DROP and DROP OWNED refuse it; StreamDropMemberRelation drops one.
 */
extern Oid	StreamCreateMemberRelation(const char *schema, const char *relname,
									   const char *ddl);
extern void StreamDropMemberRelation(Oid relid);

#endif							/* STREAM_KINESIS_H */
