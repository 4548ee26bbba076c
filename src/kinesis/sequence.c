/*-------------------------------------------------------------------------
 *
 * sequence.c
 *	  Sequence numbers to and from numeric, and the first sequence number of
 *	  a segment for the extension's SQL (stream_internal.segment_start).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "kinesis/kinesis.h"
#include "kinesis/sequence.h"
#include "log/seqno.h"
#include "numeric128.h"

PG_FUNCTION_INFO_V1(stream_segment_start);

Datum
StreamSeqToNumeric(int64 seq)
{
	return NumericGetDatum(int64_to_numeric(seq));
}

/*
 * A sequence number given by a user.  Anything that is not a non-negative
 * integer that fits is an InvalidArgumentException.
 */
int64
StreamSeqFromNumeric(Datum num)
{
	uint128		value;

	if (!NumericGetUint128(num, &value) || value > (uint128) PG_INT64_MAX)
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("invalid sequence number %s",
					   StreamQuote(DatumGetCString(DirectFunctionCall1(numeric_out, num)))),
				errhint("A sequence number is an integer from 0 to %lld.",
						(long long) PG_INT64_MAX));
	return (int64) value;
}

/*
 * stream_internal.segment_start(segment_no int) RETURNS numeric
 *
 * The smallest sequence number a segment can hold: a new shard's
 * starting_sequence_number.
 */
Datum
stream_segment_start(PG_FUNCTION_ARGS)
{
	int32		segment_no = PG_GETARG_INT32(0);

	if (segment_no < 0 || segment_no > STREAM_MAX_SEGMENT_NO)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("segment number %d is out of range", segment_no),
				 errdetail("A stream has at most %d segments over its life.",
						   STREAM_MAX_SEGMENT_NO)));
	PG_RETURN_DATUM(StreamSeqToNumeric(StreamSeqSegmentStart(segment_no)));
}
