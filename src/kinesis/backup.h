/*-------------------------------------------------------------------------
 *
 * backup.h
 *	  Logical backup: the rows through which pg_dump carries streams, and
 *	  their restore.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_BACKUP_H
#define STREAM_BACKUP_H

#include "postgres.h"

/* Registers the end-of-transaction check that a restore read a whole dump. */
extern void BackupInit(void);

#endif							/* STREAM_BACKUP_H */
