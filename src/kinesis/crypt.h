/*-------------------------------------------------------------------------
 *
 * crypt.h
 *	  Encryption of records at rest: each segment of an encrypted stream has
 *	  a data key, and each record's partition key and data are sealed with
 *	  it, the record's address being the nonce.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_CRYPT_H
#define STREAM_CRYPT_H

#include "postgres.h"

#include "kinesis/catalog.h"
#include "log/log_decode.h"
#include "log/log_page.h"

/* Bytes an encrypted record takes beyond its key and data: nonce and tag */
#define STREAM_RECORD_OVERHEAD (STREAM_NONCE_BYTES + STREAM_TAG_BYTES)

/*
 * Errors with KS004 unless an encrypted stream's key exists and is
 * enabled: a disabled key stops its stream's reads and writes.
 */
extern void StreamCheckKey(StreamInfo *stream);

/*
 * Makes a record to append encrypted with a segment's data key: its key and
 * data are sealed by the append when it knows the record's address, if it
 * goes to that segment.  Called again for another segment (the first was
 * sealed meanwhile), it takes that segment's key.
 */
extern void StreamEncryptRecord(StreamAppendRecord *rec, StreamInfo *stream,
								StreamSegmentInfo *segment);

/* Undoes StreamEncryptRecord: the record is appended as given. */
extern void StreamPlainRecord(StreamAppendRecord *rec);

/*
 * Copies the key and data of the record StreamLogReadNext just returned, as
 * StreamLogReadBody does, and decrypts them if they are encrypted: the
 * record's key, data and lengths are then the plaintext.
 */
extern void StreamReadRecordBody(StreamInfo *stream,
								 StreamSegmentInfo *segment,
								 StreamLogReader *reader,
								 StreamRecord *record);

/*
 * Opens an encrypted record as logical decoding found it in WAL, with its
 * segment's data key: its key (then NUL-terminated) and data become the
 * plaintext, in new memory.  False when it fails authentication; errors
 * when the key is missing or disabled, as reads do.
 */
extern bool StreamOpenDecodedRecord(StreamInfo *stream,
									StreamSegmentInfo *segment,
									StreamDecodedRecord *record);

#endif							/* STREAM_CRYPT_H */
