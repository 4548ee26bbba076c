/*-------------------------------------------------------------------------
 *
 * numeric128.h
 *	  Unsigned 128-bit integers to and from numeric.
 *
 * Both layers need it: storage shows a record's 128-bit hash key as the
 * numeric column hash_key of a segment, and the Kinesis layer takes and
 * shows hash keys and sequence numbers as numeric.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_NUMERIC128_H
#define STREAM_NUMERIC128_H

#include "postgres.h"

extern Datum Uint128GetNumeric(uint128 value);
extern bool NumericGetUint128(Datum num, uint128 *value);

#endif							/* STREAM_NUMERIC128_H */
