/*-------------------------------------------------------------------------
 *
 * log_wal.h
 *	  WAL records of stream_log relations, written through a custom resource
 *	  manager so that redo, standbys and (later) logical decoding see records.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_LOG_WAL_H
#define STREAM_LOG_WAL_H

#include "postgres.h"

#include "access/rmgr.h"
#include "access/xlogreader.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "storage/block.h"

/* Until the project has an id of its own in PostgreSQL's registry. */
#define RM_STREAM_ID	RM_EXPERIMENTAL_ID

#define XLOG_STREAM_INIT_META	0x00	/* block 0: the meta page, initialized */
#define XLOG_STREAM_APPEND		0x10	/* block 0: items; block 1: meta update */
#define XLOG_STREAM_SEAL		0x20	/* block 0: the meta page, now sealed */
#define XLOG_STREAM_INIT_PAGE	0x80	/* with APPEND: block 0 starts empty */

typedef struct xl_stream_append
{
	OffsetNumber first_offset;	/* where the first item goes */
	uint16		nitems;			/* items in block 0's data, each a uint16
								 * length and the item's bytes */
} xl_stream_append;

/*
 * Follows xl_stream_append in an APPEND written while logical decoding is
 * on, for records the layer above feeds to it: the segment, then tag_len
 * bytes of that layer's tag (log/log_decode.h).  Block 0's data is then
 * kept even when the page goes as a full-page image.
 */
typedef struct xl_stream_decode
{
	int32		segment_no;
	uint32		tag_len;
} xl_stream_decode;

/* Block 1's data of an APPEND: the meta fields after it, absolute */
typedef struct xl_stream_meta_update
{
	BlockNumber last_block;
	TimestampTz first_arrival;
	TimestampTz last_arrival;
	uint64		record_count;
} xl_stream_meta_update;

/*
 * Registers the resource manager; only while shared_preload_libraries is
 * being processed, so that it is there before the server replays WAL.
 */
extern void StreamLogWalInit(void);

/* Raises an error unless the resource manager is registered. */
extern void StreamLogWalCheckRegistered(void);

#endif							/* STREAM_LOG_WAL_H */
