/*-------------------------------------------------------------------------
 *
 * log_am.h
 *	  The stream_log table access method.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_LOG_AM_H
#define STREAM_LOG_AM_H

#include "postgres.h"

#include "utils/rel.h"

extern bool RelationIsStreamLog(Relation rel);

/* Installs the hook that refuses UPDATE, DELETE and MERGE on segments. */
extern void StreamLogAmInit(void);

#endif							/* STREAM_LOG_AM_H */
