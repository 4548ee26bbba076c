/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  The background workers: a launcher, one maintenance worker per
 *	  database that has the extension, each running stream.run_maintenance()
 *	  every stream.maintenance_interval, trigger workers where triggers
 *	  or deliveries are, and the Kinesis endpoint's HTTP workers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_WORKER_H
#define STREAM_WORKER_H

#include "postgres.h"

/* Settings */
extern bool stream_maintenance_worker;
extern int	stream_maintenance_interval;
extern int	stream_max_workers;
extern int	stream_max_trigger_workers;

extern void WorkerInit(void);

/* Entry points named in BackgroundWorker.bgw_function_name */
extern PGDLLEXPORT void StreamMaintenanceLauncherMain(Datum main_arg);
extern PGDLLEXPORT void StreamMaintenanceWorkerMain(Datum main_arg);
extern PGDLLEXPORT void StreamTriggerWorkerMain(Datum main_arg);
extern PGDLLEXPORT void StreamHttpWorkerMain(Datum main_arg);

#endif							/* STREAM_WORKER_H */
