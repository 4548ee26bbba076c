/*-------------------------------------------------------------------------
 *
 * application.h
 *	  Consumer applications: consume, leases and checkpoints.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_APPLICATION_H
#define STREAM_APPLICATION_H

#include "postgres.h"

#include "datatype/timestamp.h"

#include "kinesis/catalog.h"

/* The stream an application reads, or 0 if there is no such application. */
extern int32 StreamApplicationStreamId(const char *application_name);

/*
 * Where a reader of a shard that keeps a checkpoint goes on: after its
 * checkpoint, or where it starts without one (the first record that arrived
 * at or after start_at, or the oldest retained one).  Consume's leases and
 * triggers' lanes.
 */
extern int64 StreamLeasePosition(StreamShardInfo *shard, bool has_checkpoint,
								 int64 checkpoint, bool has_start_at,
								 TimestampTz start_at);

#endif							/* STREAM_APPLICATION_H */
