/*-------------------------------------------------------------------------
 *
 * guard.h
 *	  DDL cannot break streams: the hook that refuses to alter the
 *	  extension's objects.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_GUARD_H
#define STREAM_GUARD_H

#include "postgres.h"

extern void GuardInit(void);

/*
 * Lets (true) the DDL the extension runs itself on its objects through, or
 * no longer (false).  Calls pair up, the second in a PG_FINALLY.
 */
extern void StreamGuardAllow(bool allow);

#endif							/* STREAM_GUARD_H */
