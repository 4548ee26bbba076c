/*-------------------------------------------------------------------------
 *
 * wait.h
 *	  Waking readers at commit: get_records(..., wait => ...) sleeps until a
 *	  record of its shard commits, and the commit wakes it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_WAIT_H
#define STREAM_WAIT_H

#include "postgres.h"

#include "storage/condition_variable.h"

/*
 * The condition variable that the commit of an append to a shard
 * broadcasts.  Shards share a fixed number of them, so a sleeper may be
 * woken for another shard's record: it reads again and sleeps again.
 */
extern ConditionVariable *StreamShardWaitVariable(int32 stream_id,
												  int32 shard_no);

/*
 * The condition variable that the commit of an append to any shard of a
 * stream broadcasts, for a reader of several shards.
 */
extern ConditionVariable *StreamAnyShardWaitVariable(int32 stream_id);

/* Notes an append to a shard: its commit wakes the shard's readers. */
extern void StreamWaitNoteAppend(int32 stream_id, int32 shard_no);

/*
 * Notes a change of the stream catalog (a reshard closes shards): its
 * commit wakes every sleeping reader, to look again.
 */
extern void StreamWaitNoteCatalogChange(void);

/* Asks for the shared memory and sets up the commit callback. */
extern void WaitInit(void);

#endif							/* STREAM_WAIT_H */
