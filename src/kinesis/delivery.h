/*-------------------------------------------------------------------------
 *
 * delivery.h
 *	  Deliveries to files (what Firehose does with S3): where they may write,
 *	  and writing a batch as one file, whole or not at all.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_DELIVERY_H
#define STREAM_DELIVERY_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* Settings */
extern char *stream_delivery_directory;

extern void DeliveryInit(void);

/*
 * Writes a batch of a delivery, its lines (len bytes), as the file
 * <target>/YYYY/MM/DD/HH/<delivery>-1-<first arrival>-<shard>-<first
 * sequence number>-<last sequence number>.jsonl[.gz]: under a temporary
 * name, fsynced, renamed, with any file of an earlier try at the same batch
 * removed and the directory fsynced.  The caller then commits the batch's
 * position; a crash before that leaves a file that the next try replaces.
 */
extern void StreamDeliverFile(const char *target, const char *delivery_name,
							  int32 shard_no, int64 first_seq, int64 last_seq,
							  TimestampTz first_arrival, const char *lines,
							  Size len, bool gzip);

/*
 * ERROR unless the owner of a file delivery may still write the server's
 * files (pg_write_server_files).
 */
extern void StreamCheckFileDeliveryOwner(Oid owner, const char *delivery_name);

#endif							/* STREAM_DELIVERY_H */
