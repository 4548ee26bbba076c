/*-------------------------------------------------------------------------
 *
 * claims.c
 *	  One SubscribeToShard of a consumer to a shard at a time, across the
 *	  endpoint's workers.
 *
 * As in Kinesis: a second SubscribeToShard of the same consumer and shard
 * while one runs that began less than 5 seconds ago is refused
 * (ResourceInUseException); one made later takes the subscription over, and
 * the one it took over ends with ResourceInUseException at its next poll.
 * A claim is a slot in shared memory: a keyed hash of (database, stream,
 * consumer, shard) (HMAC-SHA-256 under a secret drawn at start-up, so that no
 * one can name a consumer whose claim falls on another's), the role that
 * made it, when, and a generation that a takeover changes.  A claim is freed
 * when its subscription ends, or 5 minutes after it began if its worker
 * died.  A role holds at most HTTP_SUBSCRIPTION_CLAIMS_PER_ROLE of them, so
 * that no role can fill the table for the others.  They are a rule of the
 * running server, not state: a restart forgets them, as it ends every
 * subscription.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "http/http.h"

typedef struct ClaimKey
{
	uint64		hash[2];		/* all zero: a free slot */
} ClaimKey;

typedef struct SubscriptionClaim
{
	ClaimKey	key;
	Oid			role;
	TimestampTz started_at;
	uint64		generation;
} SubscriptionClaim;

typedef struct SubscriptionClaims
{
	LWLock	   *lock;
	uint8		secret[32];		/* of the keys' hash */
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
		if (!pg_strong_random(Claims->secret, sizeof(Claims->secret)))
			ereport(FATAL,
					(errmsg("could not draw the secret of the subscriptions' claims")));
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

/*
 * HMAC-SHA-256 of the names under the secret, its first 128 bits (OpenSSL's
 * HMAC directly: PostgreSQL's hashes need a resource owner, which a worker
 * between transactions has not)
 */
static ClaimKey
KeyOf(const char *stream, const char *consumer, const char *shard)
{
	char	   *parts = psprintf("%u/%s/%s/%s", MyDatabaseId, stream ? stream : "",
								 consumer ? consumer : "", shard ? shard : "");
	uint8		digest[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	ClaimKey	key;

	if (HMAC(EVP_sha256(), Claims->secret, sizeof(Claims->secret), (const uint8 *) parts,
			 strlen(parts), digest, &len) == NULL || len < sizeof(key.hash))
		elog(ERROR, "could not hash a subscription's claim");
	pfree(parts);
	memcpy(key.hash, digest, sizeof(key.hash));
	if (key.hash[0] == 0 && key.hash[1] == 0)
		key.hash[1] = 1;
	return key;
}

static bool
SameKey(const ClaimKey *a, const ClaimKey *b)
{
	return a->hash[0] == b->hash[0] && a->hash[1] == b->hash[1];
}

static bool
IsFree(const SubscriptionClaim *c, TimestampTz now)
{
	return (c->key.hash[0] == 0 && c->key.hash[1] == 0) ||
		TimestampDifferenceExceeds(c->started_at, now, HTTP_SUBSCRIPTION_MS);
}

/*
 * Whether a subscription of the consumer to the shard that began less than
 * 5 seconds ago still runs: what makes a new one ResourceInUseException.
 */
bool
HttpSubscriptionInUse(const char *stream, const char *consumer, const char *shard)
{
	ClaimKey	key;
	TimestampTz now = GetCurrentTimestamp();
	bool		in_use = false;

	if (Claims == NULL)
		return false;
	key = KeyOf(stream, consumer, shard);
	LWLockAcquire(Claims->lock, LW_SHARED);
	for (int i = 0; i < HTTP_SUBSCRIPTION_CLAIMS && !in_use; i++)
	{
		SubscriptionClaim *c = &Claims->claims[i];

		in_use = !IsFree(c, now) && SameKey(&c->key, &key) &&
			!TimestampDifferenceExceeds(c->started_at, now, HTTP_SUBSCRIPTION_RESUBSCRIBE_MS);
	}
	LWLockRelease(Claims->lock);
	return in_use;
}

HttpClaimResult
HttpClaimSubscription(const char *stream, const char *consumer, const char *shard,
					  Oid role, int *slot, uint64 *generation)
{
	ClaimKey	key;
	TimestampTz now = GetCurrentTimestamp();
	int			found = -1;
	int			free_slot = -1;
	int			held = 0;
	HttpClaimResult result = HTTP_CLAIM_TAKEN;

	if (Claims == NULL)
		elog(ERROR, "the subscriptions' claims need stream in shared_preload_libraries");
	key = KeyOf(stream, consumer, shard);
	LWLockAcquire(Claims->lock, LW_EXCLUSIVE);
	for (int i = 0; i < HTTP_SUBSCRIPTION_CLAIMS; i++)
	{
		SubscriptionClaim *c = &Claims->claims[i];

		if (IsFree(c, now))
		{
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (c->role == role)
			held++;
		if (SameKey(&c->key, &key))
			found = i;
	}
	if (found >= 0 &&
		!TimestampDifferenceExceeds(Claims->claims[found].started_at, now,
									HTTP_SUBSCRIPTION_RESUBSCRIBE_MS))
		result = HTTP_CLAIM_IN_USE;
	else if ((found < 0 && free_slot < 0) ||
			 (held >= HTTP_SUBSCRIPTION_CLAIMS_PER_ROLE &&
			  (found < 0 || Claims->claims[found].role != role)))
		result = HTTP_CLAIM_FULL;
	else
	{
		SubscriptionClaim *c = &Claims->claims[found >= 0 ? found : free_slot];

		c->key = key;
		c->role = role;
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

/* A subscription ended: its claim is free, unless another took it over */
void
HttpReleaseSubscription(int slot, uint64 generation)
{
	if (Claims == NULL)
		return;
	LWLockAcquire(Claims->lock, LW_EXCLUSIVE);
	if (Claims->claims[slot].generation == generation)
		memset(&Claims->claims[slot].key, 0, sizeof(ClaimKey));
	LWLockRelease(Claims->lock);
}
