/*-------------------------------------------------------------------------
 *
 * visibility.h
 *	  Whether a stored record may be returned, resolved from its writer's xid.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_VISIBILITY_H
#define STREAM_VISIBILITY_H

#include "postgres.h"

#include "storage/buf.h"
#include "utils/snapshot.h"

#include "log/log_page.h"

typedef enum StreamVisibility
{
	STREAM_VISIBLE,				/* return it */
	STREAM_INVISIBLE,			/* skip it: aborted, or hidden by the snapshot */
	STREAM_WRITER_IN_PROGRESS	/* stop before it */
} StreamVisibility;

extern StreamVisibility StreamRecordVisibility(Buffer buffer,
											   StreamRecordHeader *header,
											   Snapshot snapshot);
extern uint16 StreamRecordFreezeFlags(const StreamRecordHeader *header,
									   TransactionId horizon);

#endif							/* STREAM_VISIBILITY_H */
