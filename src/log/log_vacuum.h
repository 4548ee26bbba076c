/*-------------------------------------------------------------------------
 *
 * log_vacuum.h
 *	  VACUUM of stream_log relations: freezing.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_LOG_VACUUM_H
#define STREAM_LOG_VACUUM_H

#include "postgres.h"

#include "storage/bufmgr.h"
#include "utils/rel.h"

extern void StreamLogVacuum(Relation rel, BufferAccessStrategy bstrategy);

#endif							/* STREAM_LOG_VACUUM_H */
