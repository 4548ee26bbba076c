/*-------------------------------------------------------------------------
 *
 * claims.c
 *	  One SubscribeToShard of a consumer to a shard at a time, across the
 *	  endpoint's workers.
 *
 * As in Kinesis: a second SubscribeToShard of the same consumer and shard
 * within 5 seconds of a successful one is refused (ResourceInUseException);
 * one made later takes the subscription over, and the one it took over ends
 * with ResourceInUseException at its next poll.  A claim is a slot in
 * shared memory: the hash of (database, stream, consumer, shard), when it
 * was made, and a generation that a takeover changes.  A claim lasts as long
 * as a subscription can (5 minutes) and is then free; claims are not
 * released early, since the 5 seconds run from a subscription's start
 * whether or not it still runs.  They are a rule of the running server,
 * not state: a restart forgets them, as it ends every subscription.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "http/http.h"

typedef struct SubscriptionClaim
{
	uint64		key;			/* 0: free */
	TimestampTz started_at;
	uint64		generation;
} SubscriptionClaim;

typedef struct SubscriptionClaims
{
	LWLock	   *lock;
	uint64		last_generation;
	SubscriptionClaim claims[HTTP_SUBSCRIPTION_CLAIMS];
} SubscriptionClaims;

static SubscriptionClaims *Claims = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
ClaimsShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(SubscriptionClaims)));
	RequestNamedLWLockTranche("stream_http_claims", 1);
}

static void
ClaimsShmemStartup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	Claims = ShmemInitStruct("stream http subscription claims",
							 sizeof(SubscriptionClaims), &found);
	if (!found)
	{
		memset(Claims, 0, sizeof(SubscriptionClaims));
		Claims->lock = &(GetNamedLWLockTranche("stream_http_claims"))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* While shared_preload_libraries is processed: asks for the claims' table */
void
HttpClaimsInit(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = ClaimsShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = ClaimsShmemStartup;
}

static uint64
ClaimKey(const char *stream, const char *consumer, const char *shard)
{
	char	   *parts = psprintf("%u/%s/%s/%s", MyDatabaseId, stream, consumer, shard);
	uint64		key = hash_bytes_extended((const unsigned char *) parts, strlen(parts), 0);

	pfree(parts);
	return key ? key : 1;
}

HttpClaimResult
HttpClaimSubscription(const char *stream, const char *consumer, const char *shard,
					  int *slot, uint64 *generation)
{
	uint64		key = ClaimKey(stream, consumer, shard);
	TimestampTz now = GetCurrentTimestamp();
	int			found = -1;
	int			free_slot = -1;
	HttpClaimResult result = HTTP_CLAIM_TAKEN;

	if (Claims == NULL)
		elog(ERROR, "the subscriptions' claims need stream in shared_preload_libraries");
	LWLockAcquire(Claims->lock, LW_EXCLUSIVE);
	for (int i = 0; i < HTTP_SUBSCRIPTION_CLAIMS && found < 0; i++)
	{
		SubscriptionClaim *c = &Claims->claims[i];

		if (c->key == key &&
			!TimestampDifferenceExceeds(c->started_at, now, HTTP_SUBSCRIPTION_MS))
			found = i;
		else if (free_slot < 0 &&
				 (c->key == 0 ||
				  TimestampDifferenceExceeds(c->started_at, now, HTTP_SUBSCRIPTION_MS)))
			free_slot = i;
	}
	if (found >= 0 &&
		!TimestampDifferenceExceeds(Claims->claims[found].started_at, now,
									HTTP_SUBSCRIPTION_RESUBSCRIBE_MS))
		result = HTTP_CLAIM_IN_USE;
	else if (found < 0 && free_slot < 0)
		result = HTTP_CLAIM_FULL;
	else
	{
		SubscriptionClaim *c = &Claims->claims[found >= 0 ? found : free_slot];

		c->key = key;
		c->started_at = now;
		c->generation = ++Claims->last_generation;
		*slot = c - Claims->claims;
		*generation = c->generation;
	}
	LWLockRelease(Claims->lock);
	return result;
}

bool
HttpSubscriptionHeld(int slot, uint64 generation)
{
	bool		held;

	LWLockAcquire(Claims->lock, LW_SHARED);
	held = Claims->claims[slot].generation == generation;
	LWLockRelease(Claims->lock);
	return held;
}
