/*-------------------------------------------------------------------------
 *
 * failure_log.c
 *	  The rule for logging failures that repeat (failure_log.h): used by the
 *	  maintenance worker for its passes, and by the pass for each stream.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "failure_log.h"

bool
FailureLogCount(FailureLog *log, const char *message, int *not_logged)
{
	TimestampTz now = GetCurrentTimestamp();

	log->failures++;
	if (log->message != NULL && strcmp(log->message, message) == 0 &&
		!TimestampDifferenceExceeds(log->logged_at, now,
									STREAM_FAILURE_REPEAT_MS))
	{
		log->not_logged++;
		return false;
	}
	*not_logged = log->not_logged;
	if (log->message != NULL)
		pfree(log->message);
	log->message = MemoryContextStrdup(TopMemoryContext, message);
	log->logged_at = now;
	log->not_logged = 0;
	return true;
}

int
FailureLogSucceeded(FailureLog *log)
{
	int			failures = log->failures;

	if (log->message != NULL)
		pfree(log->message);
	log->message = NULL;
	log->not_logged = 0;
	log->failures = 0;
	return failures;
}

/*
 * stream_internal.maintenance_result(stream_id int, stream_name text,
 *   sqlstate text, message text) RETURNS void
 *
 * What the maintenance pass found for one stream: a failure (message not
 * NULL), which the pass has caught so that it goes on with the other
 * streams, is logged as a WARNING by the rule above, per stream; a success
 * after failures is logged once.  Kept for the life of the backend (the
 * worker's), for the streams that failed.
 */
typedef struct StreamFailures
{
	int32		stream_id;		/* hash key */
	FailureLog	log;
} StreamFailures;

static HTAB *stream_failures = NULL;

PG_FUNCTION_INFO_V1(stream_maintenance_result);

Datum
stream_maintenance_result(PG_FUNCTION_ARGS)
{
	int32		stream_id = PG_GETARG_INT32(0);
	char	   *stream_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	StreamFailures *entry;
	bool		found;
	int			not_logged;

	if (stream_failures == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(int32);
		ctl.entrysize = sizeof(StreamFailures);
		stream_failures = hash_create("stream maintenance failures", 16, &ctl,
									  HASH_ELEM | HASH_BLOBS);
	}

	if (PG_ARGISNULL(3))
	{
		entry = hash_search(stream_failures, &stream_id, HASH_FIND, NULL);
		if (entry != NULL)
		{
			int			failures = FailureLogSucceeded(&entry->log);

			hash_search(stream_failures, &stream_id, HASH_REMOVE, NULL);
			ereport(LOG,
					(errmsg("maintenance of stream \"%s\" succeeded again", stream_name),
					 errdetail_plural("It failed %d time before.",
									  "It failed %d times before.",
									  failures, failures)));
		}
		PG_RETURN_VOID();
	}

	entry = hash_search(stream_failures, &stream_id, HASH_ENTER, &found);
	if (!found)
		memset(&entry->log, 0, sizeof(entry->log));
	if (FailureLogCount(&entry->log, text_to_cstring(PG_GETARG_TEXT_PP(3)),
						&not_logged))
	{
		char	   *sqlstate = PG_ARGISNULL(2) ? "XX000" : text_to_cstring(PG_GETARG_TEXT_PP(2));

		if (strlen(sqlstate) != 5)
			sqlstate = "XX000";

		ereport(WARNING,
				(errcode(MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2],
									   sqlstate[3], sqlstate[4])),
				 errmsg("maintenance of stream \"%s\" failed: %s",
						stream_name, entry->log.message),
				 errhint("The pass went on with the other streams, and tries this one again at every pass."),
				 not_logged > 0 ?
				 errdetail_plural("%d more failure was not logged.",
								  "%d more failures were not logged.",
								  not_logged, not_logged) : 0));
	}
	PG_RETURN_VOID();
}
