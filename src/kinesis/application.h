/*-------------------------------------------------------------------------
 *
 * application.h
 *	  Consumer applications: consume, leases and checkpoints.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_APPLICATION_H
#define STREAM_APPLICATION_H

#include "postgres.h"

/* The stream an application reads, or 0 if there is no such application. */
extern int32 StreamApplicationStreamId(const char *application_name);

#endif							/* STREAM_APPLICATION_H */
