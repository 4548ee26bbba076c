/*-------------------------------------------------------------------------
 *
 * sequence.h
 *	  Sequence numbers as Kinesis shows them: numeric integers, each the
 *	  address of its record (log/seqno.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_SEQUENCE_H
#define STREAM_SEQUENCE_H

#include "postgres.h"

extern Datum StreamSeqToNumeric(int64 seq);
extern int64 StreamSeqFromNumeric(Datum num);

#endif							/* STREAM_SEQUENCE_H */
