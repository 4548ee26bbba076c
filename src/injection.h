/*-------------------------------------------------------------------------
 *
 * injection.h
 *	  Places in the code where a test can make a backend wait, so that an
 *	  isolation spec can put another session's work in between.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_INJECTION_H
#define STREAM_INJECTION_H

#include "postgres.h"

extern bool stream_injection_enabled;

extern void InjectionInit(void);
extern void StreamInjectionWait(const char *name);

/*
 * Waits at the point "name" if this session asked for it.  Costs a test of
 * one variable otherwise.  The caller holds no buffer lock.
 */
#define STREAM_INJECTION_POINT(name) \
	do { \
		if (unlikely(stream_injection_enabled)) \
			StreamInjectionWait(name); \
	} while (0)

#endif							/* STREAM_INJECTION_H */
