/*-------------------------------------------------------------------------
 *
 * failure_log.h
 *	  How a failure that repeats is logged: once, then again only when it
 *	  changes or a minute has passed, saying how many were not logged, so
 *	  that what fails every second cannot flood the server log.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_FAILURE_LOG_H
#define STREAM_FAILURE_LOG_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* How often the same failure is logged again */
#define STREAM_FAILURE_REPEAT_MS	(60 * 1000)

typedef struct FailureLog
{
	char	   *message;		/* the last failure logged; NULL: none since
								 * the last success */
	TimestampTz logged_at;
	int			not_logged;		/* failures since, not logged */
	int			failures;		/* failures since the last success */
} FailureLog;

/*
 * Counts a failure; true when it is to be logged now, with *not_logged the
 * failures before it that were not (0 when none).
 */
extern bool FailureLogCount(FailureLog *log, const char *message,
							int *not_logged);

/*
 * Counts a success; returns the failures before it (0: nothing to say) and
 * forgets them.
 */
extern int	FailureLogSucceeded(FailureLog *log);

#endif							/* STREAM_FAILURE_LOG_H */
