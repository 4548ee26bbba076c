/*-------------------------------------------------------------------------
 *
 * injection.c
 *	  Injection points for deterministic concurrency tests.
 *
 * PostgreSQL 15 has no injection points of its own (17 has), and some
 * invariants of stream hold only because of what happens between two
 * statements of one C function: a reader that finds the end of a segment
 * and then looks whether it is sealed, say.  An isolation spec cannot stop
 * a session there by itself.  So a session that sets
 *
 *	SET stream.injection_points = 'read-segment-end'
 *
 * (superuser only) waits at each point named, before it goes on, for a
 * share lock on the advisory lock of key hashtext(name); a spec holds that
 * lock in another session with pg_advisory_lock(hashtext(name)) while it
 * does what should happen in between, and lets go to release the waiter.
 * The wait is a heavyweight lock, so the isolation tester sees the session
 * as blocked, and pg_cancel_backend interrupts it.
 *
 * The points (grep for STREAM_INJECTION_POINT):
 *	read-segment-end	a shard read found the end of a segment that is not
 *						the shard's last, and has not yet looked whether
 *						it is sealed (kinesis/get.c)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "injection.h"

bool		stream_injection_enabled = false;

static char *injection_points = NULL;

static bool
CheckInjectionPoints(char **newval, void **extra, GucSource source)
{
	char	   *copy = pstrdup(*newval);
	List	   *names;
	bool		ok = SplitIdentifierString(copy, ',', &names);

	if (!ok)
		GUC_check_errdetail("List syntax is invalid.");
	list_free(names);
	pfree(copy);
	return ok;
}

static void
AssignInjectionPoints(const char *newval, void *extra)
{
	stream_injection_enabled = newval != NULL && newval[0] != '\0';
}

void
InjectionInit(void)
{
	DefineCustomStringVariable("stream.injection_points",
							   "Points in the code where this session waits for a test (see src/injection.c).",
							   NULL, &injection_points, "",
							   PGC_SUSET, GUC_LIST_INPUT | GUC_NOT_IN_SAMPLE,
							   CheckInjectionPoints, AssignInjectionPoints,
							   NULL);
}

/* Whether the session asked to wait at the point "name". */
static bool
PointIsSet(const char *name)
{
	char	   *copy = pstrdup(injection_points);
	List	   *names;
	ListCell   *lc;
	bool		set = false;

	if (SplitIdentifierString(copy, ',', &names))
		foreach(lc, names)
			if (strcmp((char *) lfirst(lc), name) == 0)
				set = true;
	list_free(names);
	pfree(copy);
	return set;
}

/*
 * Waits until no other session holds the advisory lock that
 * pg_advisory_lock(hashtext(name)) takes.
 */
void
StreamInjectionWait(const char *name)
{
	int64		key;
	LOCKTAG		tag;

	if (!PointIsSet(name))
		return;
	/* as pg_advisory_lock(int8) of the int4 that hashtext gives */
	key = (int32) DatumGetUInt32(hash_any((const unsigned char *) name,
										  strlen(name)));
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) (key >> 32),
						 (uint32) key, 1);
	(void) LockAcquire(&tag, ShareLock, false, false);
	LockRelease(&tag, ShareLock, false);
}
