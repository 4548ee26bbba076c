/*-------------------------------------------------------------------------
 *
 * wait.c
 *	  Waking readers at commit.
 *
 * A reader with nothing to read sleeps on its shard's condition variable
 * (get.c), or on its stream's when it reads several shards (consume, in
 * application.c).  A writer notes each shard it appended to in its
 * transaction, and a resource-release callback broadcasts their variables,
 * and their streams', at the end of
 * a commit, after it is visible to others, so that a reader woken then
 * finds the records; and at an abort, which may unblock records committed
 * behind the rolled-back ones.  A transaction that changed the stream catalog (a reshard, a
 * new segment) wakes every sleeper, which looks the catalog up again.
 *
 * The variables are a fixed table in shared memory, a shard hashed to one
 * of them (database, stream, shard), rather than one per shard: no
 * bookkeeping as shards come and go, and a collision costs a sleeper a
 * read that finds nothing.  A transaction prepared for two-phase commit
 * wakes no one when COMMIT PREPARED, in another session, commits it: its
 * readers see the records at the end of their wait.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/resowner.h"

#include "kinesis/wait.h"

#define WAIT_SLOTS 1024

typedef struct WaitShared
{
	ConditionVariable slots[WAIT_SLOTS];
} WaitShared;

static WaitShared *Wait = NULL;

/* The shards this transaction appended to, each once */
#define MAX_NOTED 64
static int32 noted_stream[MAX_NOTED];
static int32 noted_shard[MAX_NOTED];
static int	nnoted = 0;
static bool noted_overflow = false;	/* more than MAX_NOTED: wake all */
static bool noted_catalog = false;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static uint32
SlotOf(int32 stream_id, int32 shard_no)
{
	uint32		h = hash_uint32((uint32) MyDatabaseId);

	h = hash_combine(h, hash_uint32((uint32) stream_id));
	h = hash_combine(h, hash_uint32((uint32) shard_no));
	return h % WAIT_SLOTS;
}

/* A stream's own variable takes the slot of a shard number none has */
#define ANY_SHARD (-1)

ConditionVariable *
StreamShardWaitVariable(int32 stream_id, int32 shard_no)
{
	if (Wait == NULL)
		return NULL;
	return &Wait->slots[SlotOf(stream_id, shard_no)];
}

ConditionVariable *
StreamAnyShardWaitVariable(int32 stream_id)
{
	return StreamShardWaitVariable(stream_id, ANY_SHARD);
}

void
StreamWaitNoteAppend(int32 stream_id, int32 shard_no)
{
	for (int i = 0; i < nnoted; i++)
		if (noted_stream[i] == stream_id && noted_shard[i] == shard_no)
			return;
	if (nnoted == MAX_NOTED)
	{
		noted_overflow = true;
		return;
	}
	noted_stream[nnoted] = stream_id;
	noted_shard[nnoted] = shard_no;
	nnoted++;
}

void
StreamWaitNoteCatalogChange(void)
{
	noted_catalog = true;
}

static void
Forget(void)
{
	nnoted = 0;
	noted_overflow = false;
	noted_catalog = false;
}

static void
BroadcastNoted(void)
{
	if (noted_overflow || noted_catalog)
	{
		for (int i = 0; i < WAIT_SLOTS; i++)
			ConditionVariableBroadcast(&Wait->slots[i]);
	}
	else
	{
		for (int i = 0; i < nnoted; i++)
		{
			ConditionVariableBroadcast(&Wait->slots[SlotOf(noted_stream[i],
														   noted_shard[i])]);
			/* a broadcast that finds no sleeper costs a spinlock */
			ConditionVariableBroadcast(&Wait->slots[SlotOf(noted_stream[i],
														   ANY_SHARD)]);
		}
	}
}

/*
 * At the end of a transaction, after its locks are released: by then its
 * commit is visible and its catalog invalidations are sent (both happen
 * before XACT_EVENT_COMMIT's callbacks would run: the invalidations after),
 * so that a reader woken for a catalog change finds the change.  An abort
 * wakes the readers too: they stop at the first record whose writer is in
 * progress, and records committed behind a rolled-back one become readable.
 */
static void
WakeAtEnd(ResourceReleasePhase phase, bool isCommit, bool isTopLevel, void *arg)
{
	if (phase != RESOURCE_RELEASE_AFTER_LOCKS || !isTopLevel)
		return;
	if (Wait != NULL)
		BroadcastNoted();
	Forget();
}

/*
 * A subtransaction rolled back ends its records at once: wake the readers
 * of the shards this transaction appended to (those of the subtransaction
 * among them).
 */
static void
WakeAtSubAbort(SubXactEvent event, SubTransactionId mySubid,
			   SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB && Wait != NULL && nnoted > 0)
		BroadcastNoted();
}

/* A transaction prepared for two-phase commit wakes no one. */
static void
ForgetAtPrepare(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_PREPARE)
		Forget();
}

static void
WaitShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(WaitShared)));
}

static void
WaitShmemStartup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	Wait = ShmemInitStruct("stream shard waits", sizeof(WaitShared), &found);
	if (!found)
		for (int i = 0; i < WAIT_SLOTS; i++)
			ConditionVariableInit(&Wait->slots[i]);
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Only while shared_preload_libraries is being processed; without the
 * preload there is no table, and readers do not wait (nothing is written
 * either: writing needs the preload).
 */
void
WaitInit(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = WaitShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = WaitShmemStartup;
	RegisterResourceReleaseCallback(WakeAtEnd, NULL);
	RegisterXactCallback(ForgetAtPrepare, NULL);
	RegisterSubXactCallback(WakeAtSubAbort, NULL);
}
