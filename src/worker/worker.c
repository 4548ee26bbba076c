/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The extension's background workers: the maintenance worker, which runs
 *	  CALL stream.run_maintenance() every stream.maintenance_interval in every
 *	  database that has the extension, with no list of databases to
 *	  configure; the trigger workers, which run triggers and deliveries; and
 *	  the HTTP workers of the Kinesis endpoint.
 *
 * Design
 *
 * A static "stream maintenance launcher" is registered at preload.  It
 * connects to no database (shared catalogs only), so it never stands in the
 * way of DROP DATABASE.  Every interval, and whenever something wakes it, it
 * reads pg_database and makes sure each database that allows connections and
 * is not a template has a "stream maintenance worker": a dynamic background
 * worker connected to that database.  This is how TimescaleDB finds its
 * databases, and it is the only way to: whether the extension is installed
 * in a database can only be seen from inside it.
 *
 * A worker checks get_extension_oid("stream") before each pass.  Where the
 * extension is installed the worker stays, and a pass costs one transaction,
 * not a process start.  Where it is not, the worker records that in the
 * registry and exits, so that a cluster of many databases without the
 * extension keeps no resident backend for each; the launcher probes such a
 * database again only after STREAM_ABSENT_RECHECK_MS, or at once when a
 * backend commits CREATE EXTENSION stream there (the commit wakes the
 * launcher), which is how a new database gets maintenance within one
 * interval.  The recheck catches what no statement announces.
 *
 * The registry is a small array in shared memory, one slot per database:
 * the pid of its worker, whether the extension was absent, and how many
 * backends are "holding" the database.  Some statements need a database with
 * no other connection (DROP DATABASE, CREATE DATABASE ... TEMPLATE, ALTER
 * DATABASE ... RENAME or SET TABLESPACE), and DROP EXTENSION stream must not
 * wait for a pass.  A ProcessUtility hook holds the database before such a
 * statement runs: the launcher starts no worker there, a worker that was
 * starting exits before it connects, and the running worker is sent SIGTERM
 * and waited for.  The hold ends with the transaction.
 *
 * The budget.  All of the extension's background workers in the cluster,
 * the launcher included, number at most stream.max_workers, so that a
 * cluster of many databases keeps workers for parallel query and everything
 * else.  While the databases with the extension fit in stream.max_workers -
 * 1, each keeps its worker.  Beyond that they take turns of one interval:
 * the launcher starts the due databases that waited longest (by the time
 * their last pass ended, in the registry) as far as the budget goes, and
 * sets turns_wanted to the number still waiting; a worker whose next pass is
 * due, and which has had one, ends instead when a turn is wanted.  So each
 * worker serves one database per interval, a database waits at most
 * ceil(D / (stream.max_workers - 1)) intervals for its pass, and workers
 * start at most stream.max_workers - 1 times per interval.  A database is
 * due a whole interval after its last pass ended.  Other kinds of workers
 * added later come out of the same budget, with one place always kept for
 * maintenance.
 *
 * Trigger workers.  Triggers and deliveries (sinks, src/kinesis/sink.c) are
 * run by "stream trigger workers", dynamic workers of a database that the
 * launcher starts too.  The maintenance pass (and create_trigger, and
 * create_delivery) tells the registry how many lanes of sinks are ready in
 * its database (stream_internal.set_sink_lanes_ready); the launcher keeps
 * that many trigger workers there, at most stream.max_trigger_workers, and
 * stream.max_workers - 2, in the cluster.  They take their places before
 * maintenance workers waiting for a turn, and never the last one.  A
 * trigger worker runs one batch of each ready lane in turn, skipping those
 * another holds, and exits when its database has fewer lanes than workers,
 * none, or is held as above (DROP DATABASE, DROP EXTENSION stream).
 *
 * HTTP workers.  While stream.http_port is set, the launcher keeps
 * stream.http_workers "stream http workers" in stream.http_database, which
 * serve the Kinesis endpoint (src/http/server.c).  They share the registry's
 * slots with trigger workers (a slot says its kind), take their places
 * before them (the cap of trigger workers is what HTTP workers leave of
 * stream.max_workers - 2), and, like them, exit when the database is held,
 * the endpoint is turned off or moved to another database, or there are
 * more of them than stream.http_workers.
 *
 * A failing pass is caught, its transaction aborted, and one line logged;
 * the same failure is logged again at most once a minute, and recovery once.
 * A worker that dies some other way is restarted by the launcher after
 * STREAM_WORKER_RETRY_MS, so that a failure to connect cannot flood the log.
 * A worker killed with SIGKILL makes the postmaster reinitialize shared
 * memory and restart every process; the launcher, a static worker, comes
 * back with it and starts the workers again.
 *
 * The pass runs as a top-level statement through a portal, as the simple
 * query protocol runs it, because the procedure may COMMIT: a CALL run that
 * way is non-atomic and has the portal snapshot that transaction control in
 * PL/pgSQL relies on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "postmaster/postmaster.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/backend_status.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "failure_log.h"
#include "http/http.h"
#include "http/server.h"
#include "kinesis/kinesis.h"
#include "kinesis/metrics.h"
#include "kinesis/sink.h"
#include "worker/worker.h"

/* Most databases the registry tracks; more are warned about and skipped. */
#define STREAM_WORKER_MAX_DATABASES 1024

/* How long a database without the extension goes unprobed. */
#define STREAM_ABSENT_RECHECK_MS	(60 * 1000)

/* How long the launcher waits to restart a worker that did not exit cleanly */
#define STREAM_WORKER_RETRY_MS		(10 * 1000)

/* How long the postmaster waits to restart the launcher, in seconds */
#define STREAM_LAUNCHER_RESTART_S	5

/* How long a statement that holds a database waits for its worker to exit */
#define STREAM_HOLD_WAIT_MS			(10 * 1000)

#define STREAM_MAINTENANCE_CALL		"CALL stream.run_maintenance()"

/* What the registry knows about one database. */
typedef struct StreamDbSlot
{
	Oid			dboid;			/* InvalidOid if the slot is free */
	pid_t		pid;			/* its worker, 0 if none runs */
	int			holds;			/* backends running a statement that needs
								 * the database to themselves */
	bool		absent;			/* a worker found no extension there */
	bool		created;		/* CREATE EXTENSION stream committed there */
	bool		clean_exit;		/* its last worker exited on purpose */
	TimestampTz absent_since;
	TimestampTz last_pass;		/* when a pass there last ended; 0: never */
	int			trigger_lanes;	/* lanes of triggers ready to run there */
} StreamDbSlot;

/* The kinds of workers of a database besides maintenance */
typedef enum DatabaseWorkerKind
{
	TRIGGER_WORKER,
	HTTP_WORKER
} DatabaseWorkerKind;

/* A trigger or HTTP worker: started by the launcher, in one database */
typedef struct StreamTriggerWorkerSlot
{
	Oid			dboid;			/* InvalidOid if the slot is free */
	DatabaseWorkerKind kind;
	pid_t		pid;			/* 0 until the worker runs */
	bool		clean_exit;		/* it exited on purpose */
} StreamTriggerWorkerSlot;

typedef struct StreamWorkerShared
{
	LWLock	   *lock;			/* protects everything here */
	Latch	   *launcher_latch; /* set to wake the launcher; NULL if none */
	int			turns_wanted;	/* workers that should end after their pass
								 * and give their place to a database that
								 * waits (the budget is full) */
	StreamDbSlot slots[STREAM_WORKER_MAX_DATABASES];
	/* stream.max_workers of them: at most that many can run */
	StreamTriggerWorkerSlot trigger_workers[FLEXIBLE_ARRAY_MEMBER];
} StreamWorkerShared;

/* The launcher's own bookkeeping for a registry slot (same index). */
typedef struct LauncherEntry
{
	Oid			dboid;
	BackgroundWorkerHandle *handle; /* the worker it started, if any */
	TimestampTz not_before;		/* no restart before then */
	TimestampTz triggers_not_before;	/* nor of trigger workers */
	TimestampTz http_not_before;	/* nor of HTTP workers */
} LauncherEntry;

/* A database the launcher found in pg_database */
typedef struct DatabaseEntry
{
	Oid			oid;
	char		name[NAMEDATALEN];
} DatabaseEntry;

/* A database whose worker is due to start, and when it last had a pass */
typedef struct DueDatabase
{
	int			slot;
	const DatabaseEntry *db;
	TimestampTz last_pass;
} DueDatabase;

static StreamWorkerShared *StreamWorker = NULL;

bool		stream_maintenance_worker = true;
int			stream_maintenance_interval = 1000;
int			stream_max_workers = 4;
int			stream_max_trigger_workers = 2;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ProcessUtility_hook_type prev_ProcessUtility_hook = NULL;

/* In any backend: what the registry learns when the transaction ends */
static List *held_databases = NIL;
static int	extension_change = 0;	/* 1 created, -1 dropped, 0 neither */

/* In the launcher */
static LauncherEntry *launcher_entries = NULL;
static BackgroundWorkerHandle **launcher_trigger_handles = NULL;
static TimestampTz launcher_last_warning = 0;

/* In a worker */
static Oid	worker_dboid = InvalidOid;
static const char *worker_dbname = NULL;
static bool worker_claimed = false;
static bool worker_exit_clean = false;
static bool worker_marked_present = false;
static MemoryContext worker_context = NULL;
static FailureLog pass_failures;

static void StreamWorkerShmemRequest(void);
static void StreamWorkerShmemStartup(void);
static void StreamProcessUtility(PlannedStmt *pstmt, const char *queryString,
								 bool readOnlyTree,
								 ProcessUtilityContext context,
								 ParamListInfo params,
								 QueryEnvironment *queryEnv,
								 DestReceiver *dest, QueryCompletion *qc);
static void StreamWorkerXactCallback(XactEvent event, void *arg);

/*
 * Defines the worker's settings, and while shared_preload_libraries is being
 * processed registers the launcher and the hooks that keep the registry
 * current.
 */
void
WorkerInit(void)
{
	BackgroundWorker worker;

	DefineCustomBoolVariable("stream.maintenance_worker",
							 "Runs stream.run_maintenance() in a background worker in every database that has the extension.",
							 "Turn it off to schedule the same call with pg_cron (stream.schedule_maintenance).",
							 &stream_maintenance_worker, true,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.maintenance_interval",
							"Time between two maintenance passes of the background worker.",
							NULL, &stream_maintenance_interval, 1000, 10, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("stream.max_trigger_workers",
							"Most trigger workers the stream extension runs at once in the cluster.",
							"They come out of stream.max_workers, which keeps one place for the launcher and one for maintenance.",
							&stream_max_trigger_workers, 2, 0, MAX_BACKENDS,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	/* a setting of the postmaster can only be defined while preloading */
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomIntVariable("stream.max_workers",
							"Most background workers the stream extension runs at once in the cluster, its launcher included.",
							"Beyond stream.max_workers - 1 databases with the extension, their maintenance workers take turns. Count it in max_worker_processes.",
							&stream_max_workers, 4, 2, MAX_BACKENDS,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = StreamWorkerShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = StreamWorkerShmemStartup;
	prev_ProcessUtility_hook = ProcessUtility_hook;
	ProcessUtility_hook = StreamProcessUtility;
	RegisterXactCallback(StreamWorkerXactCallback, NULL);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS |
		BGWORKER_BACKEND_DATABASE_CONNECTION;
	/* Nothing to maintain on a standby: its streams change only by WAL. */
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = STREAM_LAUNCHER_RESTART_S;
	strlcpy(worker.bgw_library_name, "stream", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "StreamMaintenanceLauncherMain",
			BGW_MAXLEN);
	strlcpy(worker.bgw_name, "stream maintenance launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "stream maintenance launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

static Size
WorkerSharedSize(void)
{
	return add_size(offsetof(StreamWorkerShared, trigger_workers),
					mul_size(sizeof(StreamTriggerWorkerSlot), stream_max_workers));
}

static void
StreamWorkerShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(WorkerSharedSize()));
	RequestNamedLWLockTranche("stream_worker", 1);
}

/*
 * Attaches the registry; the postmaster creates it empty, and again after a
 * crash, when every worker is gone too.
 */
static void
StreamWorkerShmemStartup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	StreamWorker = ShmemInitStruct("stream maintenance registry",
								   WorkerSharedSize(), &found);
	if (!found)
	{
		memset(StreamWorker, 0, WorkerSharedSize());
		StreamWorker->lock = &(GetNamedLWLockTranche("stream_worker"))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * The registry slot of a database, or NULL.  With create, a free slot is
 * taken for it if it has none (NULL only when the registry is full); the
 * caller then holds the lock exclusively.
 */
static StreamDbSlot *
FindSlot(Oid dboid, bool create)
{
	StreamDbSlot *free_slot = NULL;

	for (int i = 0; i < STREAM_WORKER_MAX_DATABASES; i++)
	{
		StreamDbSlot *slot = &StreamWorker->slots[i];

		if (slot->dboid == dboid)
			return slot;
		if (free_slot == NULL && slot->dboid == InvalidOid)
			free_slot = slot;
	}
	if (!create || free_slot == NULL)
		return NULL;
	memset(free_slot, 0, sizeof(StreamDbSlot));
	free_slot->dboid = dboid;
	return free_slot;
}

static void
WakeLauncher(void)
{
	if (StreamWorker->launcher_latch != NULL)
		SetLatch(StreamWorker->launcher_latch);
}

/* Sends SIGTERM to the trigger workers of a database (not to this one). */
static void
SignalTriggerWorkers(Oid dboid)
{
	LWLockAcquire(StreamWorker->lock, LW_SHARED);
	for (int i = 0; i < stream_max_workers; i++)
	{
		StreamTriggerWorkerSlot *w = &StreamWorker->trigger_workers[i];

		if (w->dboid == dboid && w->pid != 0 && w->pid != MyProcPid)
			(void) kill(w->pid, SIGTERM);
	}
	LWLockRelease(StreamWorker->lock);
}

/* Whether a trigger worker of a database runs; the caller holds the lock. */
static bool
TriggerWorkersRun(Oid dboid)
{
	for (int i = 0; i < stream_max_workers; i++)
	{
		StreamTriggerWorkerSlot *w = &StreamWorker->trigger_workers[i];

		if (w->dboid == dboid && w->pid != 0 && w->pid != MyProcPid)
			return true;
	}
	return false;
}

/*
 * Keeps the worker of a database away until this transaction ends: no new
 * one starts there, and the running one is told to exit and waited for, so
 * that a statement that needs the database to itself finds no worker
 * connected.
 */
static void
HoldDatabase(Oid dboid)
{
	MemoryContext oldcxt;
	StreamDbSlot *slot;
	pid_t		pid = 0;

	if (!OidIsValid(dboid) || StreamWorker == NULL)
		return;

	/* Allocate before taking the lock: nothing may fail while it is held. */
	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	held_databases = lappend_oid(held_databases, dboid);
	MemoryContextSwitchTo(oldcxt);

	LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
	slot = FindSlot(dboid, true);
	if (slot != NULL)
	{
		slot->holds++;
		pid = slot->pid;
	}
	LWLockRelease(StreamWorker->lock);

	if (slot == NULL)
	{
		/* The registry is full; no worker can be registered there either. */
		held_databases = list_delete_last(held_databases);
		return;
	}

	/*
	 * An idle worker exits at once and quietly; one in the middle of a pass
	 * or a batch is interrupted (a batch rolls back).  The slot cannot be
	 * reused meanwhile: the launcher frees no slot that is held, and starts
	 * no trigger worker there.
	 */
	if (pid != 0 && pid != MyProcPid)
		(void) kill(pid, SIGTERM);
	SignalTriggerWorkers(dboid);
	for (int waited = 0; waited < STREAM_HOLD_WAIT_MS; waited += 10)
	{
		bool		gone;

		LWLockAcquire(StreamWorker->lock, LW_SHARED);
		gone = (pid == 0 || pid == MyProcPid || slot->pid != pid) &&
			!TriggerWorkersRun(dboid);
		LWLockRelease(StreamWorker->lock);
		if (gone)
			return;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}

	/* Let the statement itself say that the database is in use. */
}

/*
 * Holds the databases that the statement needs without other connections,
 * and notes a CREATE or DROP of the extension for the end of the
 * transaction.
 */
static void
StreamProcessUtility(PlannedStmt *pstmt, const char *queryString,
					 bool readOnlyTree, ProcessUtilityContext context,
					 ParamListInfo params, QueryEnvironment *queryEnv,
					 DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	ListCell   *lc;

	switch (nodeTag(parsetree))
	{
		case T_DropdbStmt:
			HoldDatabase(get_database_oid(((DropdbStmt *) parsetree)->dbname,
										  true));
			break;
		case T_CreatedbStmt:
			foreach(lc, ((CreatedbStmt *) parsetree)->options)
			{
				DefElem    *opt = lfirst_node(DefElem, lc);

				if (strcmp(opt->defname, "template") == 0 && opt->arg != NULL)
					HoldDatabase(get_database_oid(defGetString(opt), true));
			}
			break;
		case T_AlterDatabaseStmt:
			foreach(lc, ((AlterDatabaseStmt *) parsetree)->options)
			{
				DefElem    *opt = lfirst_node(DefElem, lc);

				if (strcmp(opt->defname, "tablespace") == 0)
					HoldDatabase(get_database_oid(((AlterDatabaseStmt *) parsetree)->dbname,
												  true));
			}
			break;
		case T_RenameStmt:
			if (((RenameStmt *) parsetree)->renameType == OBJECT_DATABASE)
				HoldDatabase(get_database_oid(((RenameStmt *) parsetree)->subname,
											  true));
			break;
		case T_DropStmt:
			if (((DropStmt *) parsetree)->removeType == OBJECT_EXTENSION)
			{
				foreach(lc, ((DropStmt *) parsetree)->objects)
				{
					if (strcmp(strVal(lfirst(lc)), "stream") == 0)
					{
						HoldDatabase(MyDatabaseId);
						extension_change = -1;
					}
				}
			}
			break;
		case T_CreateExtensionStmt:
			if (strcmp(((CreateExtensionStmt *) parsetree)->extname,
					   "stream") == 0)
				extension_change = 1;
			break;
		default:
			break;
	}

	if (prev_ProcessUtility_hook)
		prev_ProcessUtility_hook(pstmt, queryString, readOnlyTree, context,
								 params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/*
 * At the end of a transaction: releases its holds, and tells the launcher
 * about a committed CREATE or DROP EXTENSION stream, so that a new database
 * gets its worker at once and a database without the extension is not
 * probed for a while.
 */
static void
StreamWorkerXactCallback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PREPARE)
		return;
	if (held_databases == NIL && extension_change == 0)
		return;

	if (StreamWorker != NULL)
	{
		TimestampTz now = GetCurrentTimestamp();

		LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
		foreach(lc, held_databases)
		{
			StreamDbSlot *slot = FindSlot(lfirst_oid(lc), false);

			if (slot != NULL && slot->holds > 0)
				slot->holds--;
		}
		if (event == XACT_EVENT_COMMIT && extension_change != 0)
		{
			StreamDbSlot *slot = FindSlot(MyDatabaseId, true);

			if (slot != NULL && extension_change > 0)
			{
				slot->absent = false;
				slot->created = true;
			}
			else if (slot != NULL)
			{
				slot->absent = true;
				slot->absent_since = now;
				slot->trigger_lanes = 0;
			}
		}
		WakeLauncher();
		LWLockRelease(StreamWorker->lock);
	}

	list_free(held_databases);
	held_databases = NIL;
	extension_change = 0;
}

/* ----------------------------------------------------------------
 * The launcher
 * ----------------------------------------------------------------
 */

static void
LauncherDetach(int code, Datum arg)
{
	LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
	if (StreamWorker->launcher_latch == MyLatch)
		StreamWorker->launcher_latch = NULL;
	LWLockRelease(StreamWorker->lock);
}

/*
 * The databases a worker may run in: not templates (they are copied, not
 * used), allowing connections, and not half-dropped.
 */
static List *
ListDatabases(void)
{
	MemoryContext resultcxt = CurrentMemoryContext;
	List	   *result = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();

	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection)))
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);
		MemoryContext oldcxt;
		DatabaseEntry *entry;

		if (db->datistemplate || !db->datallowconn ||
			database_is_invalid_form(db))
			continue;
		oldcxt = MemoryContextSwitchTo(resultcxt);
		entry = palloc(sizeof(DatabaseEntry));
		entry->oid = db->oid;
		strlcpy(entry->name, NameStr(db->datname), NAMEDATALEN);
		result = lappend(result, entry);
		MemoryContextSwitchTo(oldcxt);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);

	CommitTransactionCommand();
	MemoryContextSwitchTo(resultcxt);
	return result;
}

/*
 * Whether a worker the launcher started has stopped; then its handle is
 * freed and cleared.
 */
static bool
WorkerStopped(BackgroundWorkerHandle **handle)
{
	pid_t		pid;

	switch (GetBackgroundWorkerPid(*handle, &pid))
	{
		case BGWH_STARTED:
		case BGWH_NOT_YET_STARTED:
			return false;
		case BGWH_POSTMASTER_DIED:
			proc_exit(1);
			break;
		case BGWH_STOPPED:
			break;
	}
	pfree(*handle);
	*handle = NULL;
	return true;
}

/*
 * Forgets the workers that have stopped; one that did not exit on purpose
 * (it could not connect, say) is restarted only after a while.
 */
static void
LauncherReapWorkers(TimestampTz now)
{
	for (int i = 0; i < STREAM_WORKER_MAX_DATABASES; i++)
	{
		LauncherEntry *e = &launcher_entries[i];
		bool		clean;

		if (e->handle == NULL || !WorkerStopped(&e->handle))
			continue;

		LWLockAcquire(StreamWorker->lock, LW_SHARED);
		clean = (StreamWorker->slots[i].dboid != e->dboid ||
				 StreamWorker->slots[i].clean_exit);
		LWLockRelease(StreamWorker->lock);
		if (!clean)
			e->not_before = TimestampTzPlusMilliseconds(now,
														STREAM_WORKER_RETRY_MS);
	}

	for (int j = 0; j < stream_max_workers; j++)
	{
		StreamTriggerWorkerSlot *w = &StreamWorker->trigger_workers[j];
		BackgroundWorkerHandle *handle = launcher_trigger_handles[j];
		StreamDbSlot *slot;

		if (handle != NULL && !WorkerStopped(&launcher_trigger_handles[j]))
			continue;

		/* stopped, or one a launcher before this one started that ended */
		LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
		if (w->dboid != InvalidOid && (handle != NULL || w->pid == 0))
		{
			slot = FindSlot(w->dboid, false);
			if (slot != NULL && !w->clean_exit)
			{
				LauncherEntry *e = &launcher_entries[slot - StreamWorker->slots];
				TimestampTz retry = TimestampTzPlusMilliseconds(now,
																STREAM_WORKER_RETRY_MS);

				if (w->kind == HTTP_WORKER)
					e->http_not_before = retry;
				else
					e->triggers_not_before = retry;
			}
			w->dboid = InvalidOid;
			w->pid = 0;
		}
		LWLockRelease(StreamWorker->lock);
	}
}

/* A dynamic worker of a database that the launcher starts */
static void
DescribeWorker(BackgroundWorker *worker, const char *function, const char *type,
			   const DatabaseEntry *db, Datum main_arg)
{
	memset(worker, 0, sizeof(BackgroundWorker));
	worker->bgw_flags = BGWORKER_SHMEM_ACCESS |
		BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker->bgw_start_time = BgWorkerStart_RecoveryFinished;
	/* The launcher restarts it, after checking that it is still wanted. */
	worker->bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker->bgw_library_name, "stream", BGW_MAXLEN);
	strlcpy(worker->bgw_function_name, function, BGW_MAXLEN);
	snprintf(worker->bgw_name, BGW_MAXLEN, "%s for database %s", type, db->name);
	strlcpy(worker->bgw_type, type, BGW_MAXLEN);
	worker->bgw_main_arg = main_arg;
	/* Its name, for its log lines, without a catalog lookup */
	strlcpy(worker->bgw_extra, db->name, BGW_EXTRALEN);
	/* Its start and exit set our latch. */
	worker->bgw_notify_pid = MyProcPid;
}

/*
 * How many workers of a kind a database has (InvalidOid: all databases);
 * the caller holds the lock.
 */
static int
CountWorkers(Oid dboid, DatabaseWorkerKind kind)
{
	int			n = 0;

	for (int j = 0; j < stream_max_workers; j++)
	{
		StreamTriggerWorkerSlot *w = &StreamWorker->trigger_workers[j];

		if (w->dboid != InvalidOid && w->kind == kind &&
			(dboid == InvalidOid || w->dboid == dboid))
			n++;
	}
	return n;
}

/*
 * How many HTTP workers run: stream.http_workers while the endpoint is on,
 * leaving places for the launcher and one maintenance worker.
 */
static int
HttpWorkerCap(void)
{
	if (stream_http_port == 0)
		return 0;
	return Max(Min(stream_http_workers, stream_max_workers - 2), 0);
}

/* How many trigger workers may run in the cluster: after HTTP workers */
static int
TriggerWorkerCap(void)
{
	return Max(Min(stream_max_trigger_workers,
				   stream_max_workers - 2 - HttpWorkerCap()), 0);
}

/*
 * Starts a trigger or HTTP worker in a database.  False if the postmaster
 * has no free background worker slot.
 */
static bool
LauncherStartDatabaseWorker(const DatabaseEntry *db, DatabaseWorkerKind kind)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	MemoryContext oldcxt;
	int			j;
	bool		started;

	LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
	for (j = 0; j < stream_max_workers; j++)
		if (StreamWorker->trigger_workers[j].dboid == InvalidOid &&
			launcher_trigger_handles[j] == NULL)
			break;
	if (j < stream_max_workers)
	{
		StreamWorker->trigger_workers[j].dboid = db->oid;
		StreamWorker->trigger_workers[j].kind = kind;
		StreamWorker->trigger_workers[j].pid = 0;
		StreamWorker->trigger_workers[j].clean_exit = false;
	}
	LWLockRelease(StreamWorker->lock);
	if (j == stream_max_workers)
		return true;			/* all slots taken: the budget says no more */

	if (kind == HTTP_WORKER)
		DescribeWorker(&worker, "StreamHttpWorkerMain", "stream http worker",
					   db, Int32GetDatum(j));
	else
		DescribeWorker(&worker, "StreamTriggerWorkerMain", "stream trigger worker",
					   db, Int32GetDatum(j));

	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	started = RegisterDynamicBackgroundWorker(&worker, &handle);
	MemoryContextSwitchTo(oldcxt);
	if (started)
		launcher_trigger_handles[j] = handle;
	else
	{
		LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
		StreamWorker->trigger_workers[j].dboid = InvalidOid;
		LWLockRelease(StreamWorker->lock);
	}
	return started;
}

/*
 * Starts the worker of one database.  False if the postmaster has no free
 * background worker slot.
 */
static bool
LauncherStartWorker(int i, const DatabaseEntry *db)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	MemoryContext oldcxt;
	bool		started;

	DescribeWorker(&worker, "StreamMaintenanceWorkerMain",
				   "stream maintenance worker", db, ObjectIdGetDatum(db->oid));

	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	started = RegisterDynamicBackgroundWorker(&worker, &handle);
	MemoryContextSwitchTo(oldcxt);
	if (started)
		launcher_entries[i].handle = handle;
	return started;
}

/* Never-served databases first, then the one served longest ago */
static int
CompareLastPass(const void *a, const void *b)
{
	TimestampTz x = ((const DueDatabase *) a)->last_pass;
	TimestampTz y = ((const DueDatabase *) b)->last_pass;

	return (x > y) - (x < y);
}

/*
 * One pass of the launcher: makes sure every database that may have the
 * extension has a worker, and that no worker stays where it may not run.
 * Returns how long to sleep, in milliseconds.
 */
static long
LauncherPass(void)
{
	TimestampTz now = GetCurrentTimestamp();
	long		timeout = stream_maintenance_interval;
	List	   *databases;
	ListCell   *lc;
	bool	   *seen;
	DueDatabase *due;
	int			ndue = 0;
	int			running = 0;
	int			nstart;
	bool		full = false;
	const DatabaseEntry **trigger_dbs;
	int		   *trigger_wants;
	int			ntrigger_dbs = 0;
	int			trigger_want = 0;
	int			running_triggers = 0;
	int			trigger_cap = TriggerWorkerCap();
	const DatabaseEntry *http_db = NULL;
	int			http_want = 0;
	int			http_starts;
	bool		starved;
	int			trigger_wanted;
	int			trigger_starts;
	int			free_places;

	LauncherReapWorkers(now);

	pgstat_report_activity(STATE_RUNNING, "scanning pg_database");
	databases = ListDatabases();
	pgstat_report_activity(STATE_IDLE, NULL);

	/* Allocate before taking the lock: nothing may fail while it is held. */
	seen = palloc0(sizeof(bool) * STREAM_WORKER_MAX_DATABASES);
	due = palloc(sizeof(DueDatabase) * (list_length(databases) + 1));
	trigger_dbs = palloc(sizeof(DatabaseEntry *) * (list_length(databases) + 1));
	trigger_wants = palloc(sizeof(int) * (list_length(databases) + 1));

	LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
	foreach(lc, databases)
	{
		DatabaseEntry *db = (DatabaseEntry *) lfirst(lc);
		StreamDbSlot *slot = FindSlot(db->oid, true);
		LauncherEntry *e;
		int			i;

		if (slot == NULL)
		{
			full = true;
			continue;
		}
		i = slot - StreamWorker->slots;
		seen[i] = true;
		e = &launcher_entries[i];
		if (e->dboid != db->oid)
		{
			e->dboid = db->oid;
			e->not_before = 0;
		}
		if (slot->created)
		{
			slot->created = false;
			slot->absent = false;
			e->not_before = 0;
		}

		/* trigger workers: as many as lanes are ready, within the cap */
		if (slot->holds == 0 && !slot->absent && slot->trigger_lanes > 0 &&
			now >= e->triggers_not_before)
		{
			int			want = Min(slot->trigger_lanes, trigger_cap) -
				CountWorkers(db->oid, TRIGGER_WORKER);

			if (want > 0)
			{
				trigger_dbs[ntrigger_dbs] = db;
				trigger_wants[ntrigger_dbs++] = want;
				trigger_want += want;
			}
		}

		/* the endpoint's workers, in its database */
		if (HttpWorkerCap() > 0 && strcmp(db->name, stream_http_database) == 0 &&
			slot->holds == 0 && !slot->absent && now >= e->http_not_before)
		{
			http_db = db;
			http_want = Max(HttpWorkerCap() - CountWorkers(db->oid, HTTP_WORKER), 0);
		}

		if (slot->holds > 0 || slot->pid != 0 || e->handle != NULL)
			continue;
		if (slot->absent &&
			!TimestampDifferenceExceeds(slot->absent_since, now,
										STREAM_ABSENT_RECHECK_MS))
			continue;
		if (now < e->not_before)
		{
			timeout = Min(timeout,
						  TimestampDifferenceMilliseconds(now, e->not_before));
			continue;
		}
		/* a worker that gave its turn up comes back when a pass is due */
		if (slot->last_pass != 0 &&
			!TimestampDifferenceExceeds(slot->last_pass, now,
										stream_maintenance_interval))
		{
			timeout = Min(timeout,
						  TimestampDifferenceMilliseconds(now,
														  TimestampTzPlusMilliseconds(slot->last_pass,
																					  stream_maintenance_interval)));
			continue;
		}
		due[ndue].slot = i;
		due[ndue].db = db;
		due[ndue].last_pass = slot->last_pass;
		ndue++;
	}

	/*
	 * A database that is gone, or became a template or closed to
	 * connections, keeps no worker; its slot is freed once nothing refers
	 * to it.
	 */
	for (int i = 0; i < STREAM_WORKER_MAX_DATABASES; i++)
	{
		StreamDbSlot *slot = &StreamWorker->slots[i];
		LauncherEntry *e = &launcher_entries[i];

		if (seen[i] || slot->dboid == InvalidOid)
			continue;
		if (e->handle != NULL && e->dboid == slot->dboid)
			TerminateBackgroundWorker(e->handle);
		else if (slot->holds == 0 && slot->pid == 0)
		{
			slot->dboid = InvalidOid;
			e->dboid = InvalidOid;
		}
	}

	/*
	 * Within the budget, the databases that waited longest first; as many
	 * running workers as databases still wait end after their next pass
	 * and give them their turn.
	 */
	for (int i = 0; i < STREAM_WORKER_MAX_DATABASES; i++)
		if (launcher_entries[i].handle != NULL)
			running++;
	running_triggers = CountWorkers(InvalidOid, TRIGGER_WORKER);
	/*
	 * HTTP workers get their places first, then trigger workers, up to
	 * their caps, which leave maintenance one at least; those there is no
	 * free place for now wait for maintenance workers to give theirs up
	 * after their pass.
	 */
	free_places = Max(stream_max_workers - 1 - running - running_triggers -
					  CountWorkers(InvalidOid, HTTP_WORKER), 0);
	http_starts = Min(http_want, free_places);
	free_places -= http_starts;
	trigger_wanted = Min(trigger_want, Max(trigger_cap - running_triggers, 0));
	trigger_starts = Min(trigger_wanted, free_places);
	starved = trigger_want > 0 && trigger_cap == 0;
	qsort(due, ndue, sizeof(DueDatabase), CompareLastPass);
	/* off: pg_cron runs the passes (trigger workers run all the same) */
	if (!stream_maintenance_worker)
		ndue = 0;
	nstart = Min(ndue, Max(free_places - trigger_wanted, 0));
	StreamWorker->turns_wanted = (ndue - nstart) +
		(trigger_wanted - trigger_starts) + (http_want - http_starts);
	LWLockRelease(StreamWorker->lock);

	/*
	 * Started outside the lock; a hold taken meanwhile is seen by the worker
	 * itself before it connects.
	 */
	for (int k = 0; k < nstart; k++)
	{
		if (!LauncherStartWorker(due[k].slot, due[k].db))
		{
			if (TimestampDifferenceExceeds(launcher_last_warning, now,
										   STREAM_FAILURE_REPEAT_MS))
			{
				ereport(WARNING,
						(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
						 errmsg("could not start the stream maintenance worker for database \"%s\"",
								due[k].db->name),
						 errhint("Make max_worker_processes at least stream.max_workers (%d) plus what parallel query, logical replication and other extensions use.",
								 stream_max_workers)));
				launcher_last_warning = now;
			}
			break;
		}
	}

	for (int k = 0; k < http_starts; k++)
		if (!LauncherStartDatabaseWorker(http_db, HTTP_WORKER))
			break;

	/* the databases take the trigger workers there are places for in turn */
	while (trigger_starts > 0)
	{
		bool		any = false;

		for (int k = 0; k < ntrigger_dbs && trigger_starts > 0; k++)
		{
			if (trigger_wants[k] == 0)
				continue;
			if (!LauncherStartDatabaseWorker(trigger_dbs[k], TRIGGER_WORKER))
			{
				trigger_starts = 0;
				break;
			}
			trigger_wants[k]--;
			trigger_starts--;
			any = true;
		}
		if (!any)
			break;
	}

	if (starved &&
		TimestampDifferenceExceeds(launcher_last_warning, now,
								   STREAM_FAILURE_REPEAT_MS))
	{
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("triggers and deliveries wait: stream.max_workers (%d) leaves no place for a trigger worker",
						stream_max_workers),
				 errdetail("The launcher, one maintenance worker and %d HTTP workers of the Kinesis endpoint take the places.",
						   HttpWorkerCap()),
				 errhint("Raise stream.max_workers, or lower stream.http_workers.")));
		launcher_last_warning = now;
	}

	if (full &&
		TimestampDifferenceExceeds(launcher_last_warning, now,
								   STREAM_FAILURE_REPEAT_MS))
	{
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("stream maintenance covers only %d databases",
						STREAM_WORKER_MAX_DATABASES),
				 errdetail("The other databases get no maintenance worker; schedule stream.run_maintenance() there with pg_cron.")));
		launcher_last_warning = now;
	}
	return timeout;
}

/*
 * Main of the launcher.  Connected to no database, it reads only the shared
 * catalog pg_database.
 */
void
StreamMaintenanceLauncherMain(Datum main_arg)
{
	MemoryContext loop_context;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("stream maintenance launcher");

	launcher_entries = MemoryContextAllocZero(TopMemoryContext,
											  sizeof(LauncherEntry) *
											  STREAM_WORKER_MAX_DATABASES);
	launcher_trigger_handles = MemoryContextAllocZero(TopMemoryContext,
													  sizeof(BackgroundWorkerHandle *) *
													  stream_max_workers);

	LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
	StreamWorker->launcher_latch = MyLatch;
	LWLockRelease(StreamWorker->lock);
	before_shmem_exit(LauncherDetach, (Datum) 0);

	loop_context = AllocSetContextCreate(TopMemoryContext,
										 "stream maintenance launcher",
										 ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		long		timeout;

		/*
		 * SIGTERM: exit with status 1, so that the postmaster restarts us
		 * unless it is shutting down.
		 */
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		MemoryContextReset(loop_context);
		MemoryContextSwitchTo(loop_context);
		timeout = LauncherPass();

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ----------------------------------------------------------------
 * A worker
 * ----------------------------------------------------------------
 */

/*
 * Takes the registry slot of the database, unless another worker has it or
 * a statement holds the database; then this one must not even connect.
 */
static bool
WorkerClaim(void)
{
	StreamDbSlot *slot;

	LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
	slot = FindSlot(worker_dboid, false);
	if (slot != NULL && slot->holds == 0 && slot->pid == 0)
	{
		slot->pid = MyProcPid;
		slot->clean_exit = false;
		worker_claimed = true;
	}
	LWLockRelease(StreamWorker->lock);
	return worker_claimed;
}

/*
 * Gives the slot back when the worker exits, however it exits short of a
 * crash, so that a statement waiting for it can go on.
 */
static void
WorkerDetach(int code, Datum arg)
{
	StreamDbSlot *slot;

	if (!worker_claimed)
		return;
	LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
	slot = FindSlot(worker_dboid, false);
	if (slot != NULL && slot->pid == MyProcPid)
	{
		slot->pid = 0;
		slot->clean_exit = worker_exit_clean;
	}
	LWLockRelease(StreamWorker->lock);
}

static void
WorkerExit(void)
{
	worker_exit_clean = true;
	proc_exit(0);
}

static bool
WorkerHeld(void)
{
	StreamDbSlot *slot;
	bool		held;

	LWLockAcquire(StreamWorker->lock, LW_SHARED);
	slot = FindSlot(worker_dboid, false);
	held = (slot == NULL || slot->holds > 0);
	LWLockRelease(StreamWorker->lock);
	return held;
}

/* Records that a pass ended, for the launcher's turns. */
static void
WorkerPassEnded(void)
{
	StreamDbSlot *slot;

	LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
	slot = FindSlot(worker_dboid, false);
	if (slot != NULL)
		slot->last_pass = GetCurrentTimestamp();
	LWLockRelease(StreamWorker->lock);
}

/*
 * When the next pass is due: true when a database waits for a turn (the
 * launcher says so as it looks now), and this worker, which has had its
 * pass, is to end and give it its place.
 */
static bool
WorkerGivesTurn(void)
{
	bool		give_turn = false;

	LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
	if (StreamWorker->turns_wanted > 0)
	{
		StreamWorker->turns_wanted--;
		give_turn = true;
	}
	LWLockRelease(StreamWorker->lock);
	return give_turn;
}

/* Records whether the extension is installed in our database. */
static void
WorkerMarkPresence(bool present)
{
	StreamDbSlot *slot;

	LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
	slot = FindSlot(worker_dboid, false);
	if (slot != NULL)
	{
		slot->absent = !present;
		if (!present)
			slot->absent_since = GetCurrentTimestamp();
	}
	LWLockRelease(StreamWorker->lock);
}

/*
 * Runs one statement as the simple query protocol runs it, at top level, so
 * that a procedure it calls may commit.  The caller has started a
 * transaction and commits it.
 */
static void
RunTopLevelStatement(const char *sql)
{
	List	   *parsetrees;
	RawStmt    *parsetree;
	bool		snapshot_set = false;
	List	   *querytrees;
	List	   *plantrees;
	Portal		portal;
	DestReceiver *receiver;
	QueryCompletion qc;
	int16		format = 0;

	parsetrees = pg_parse_query(sql);
	if (list_length(parsetrees) != 1)
		elog(ERROR, "expected one statement in \"%s\"", sql);
	parsetree = linitial_node(RawStmt, parsetrees);

	if (analyze_requires_snapshot(parsetree))
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		snapshot_set = true;
	}
	querytrees = pg_analyze_and_rewrite_fixedparams(parsetree, sql, NULL, 0,
													NULL);
	plantrees = pg_plan_queries(querytrees, sql, CURSOR_OPT_PARALLEL_OK, NULL);
	if (snapshot_set)
		PopActiveSnapshot();

	portal = CreatePortal("", true, true);
	portal->visible = false;
	PortalDefineQuery(portal, NULL, sql, CreateCommandTag(parsetree->stmt),
					  plantrees, NULL);
	PortalStart(portal, NULL, 0, InvalidSnapshot);
	PortalSetResultFormat(portal, 1, &format);
	receiver = CreateDestReceiver(DestNone);
	InitializeQueryCompletion(&qc);
	(void) PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &qc);
	receiver->rDestroy(receiver);
	PortalDrop(portal, false);
}

/*
 * Logs a failed pass in one line, unless the same failure was logged less
 * than a minute ago: a pass that fails every second must not flood the log.
 */
static void
WorkerReportFailure(ErrorData *edata)
{
	const char *message = edata->message ? edata->message : "unknown error";
	int			not_logged;

	if (!FailureLogCount(&pass_failures, message, &not_logged))
		return;
	if (not_logged > 0)
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("stream maintenance in database \"%s\" failed: %s",
						worker_dbname, message),
				 errdetail_plural("%d more failed pass was not logged.",
								  "%d more failed passes were not logged.",
								  not_logged, not_logged)));
	else
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("stream maintenance in database \"%s\" failed: %s",
						worker_dbname, message)));
}

static void
WorkerReportSuccess(void)
{
	int			failed_passes = FailureLogSucceeded(&pass_failures);

	if (failed_passes > 0)
		ereport(LOG,
				(errmsg("stream maintenance in database \"%s\" succeeded again",
						worker_dbname),
				 errdetail_plural("%d pass failed before.",
								  "%d passes failed before.",
								  failed_passes, failed_passes)));
	ereport(DEBUG1,
			(errmsg_internal("stream maintenance pass in database \"%s\" done",
							 worker_dbname)));
}

/*
 * One pass in our database.  False if the extension is not installed.
 */
static bool
WorkerPass(void)
{
	bool		present;
	volatile bool ok = false;

	MemoryContextSwitchTo(worker_context);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	present = OidIsValid(get_extension_oid("stream", true));
	if (!present)
	{
		CommitTransactionCommand();
		MemoryContextSwitchTo(worker_context);
		return false;
	}
	if (!worker_marked_present)
	{
		WorkerMarkPresence(true);
		worker_marked_present = true;
	}

	pgstat_report_activity(STATE_RUNNING, STREAM_MAINTENANCE_CALL);
	debug_query_string = STREAM_MAINTENANCE_CALL;
	PG_TRY();
	{
		RunTopLevelStatement(STREAM_MAINTENANCE_CALL);
		CommitTransactionCommand();
		ok = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(worker_context);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		WorkerReportFailure(edata);
	}
	PG_END_TRY();
	debug_query_string = NULL;
	MemoryContextSwitchTo(worker_context);

	if (ok)
		WorkerReportSuccess();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return true;
}

/*
 * Connects a worker to its database, as a superuser (the bootstrap user),
 * and makes its loop's memory context.
 */
static void
WorkerConnect(const char *kind)
{
	BackgroundWorkerInitializeConnectionByOid(worker_dboid, InvalidOid, 0);
	pgstat_report_appname(kind);

	/*
	 * The worker runs as a superuser: what it runs must not find a function
	 * or operator that the database's owner put on its search_path.  (A
	 * trigger's function gets the search path of its owner's sessions.)
	 */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET,
					PGC_S_OVERRIDE);

	worker_context = AllocSetContextCreate(TopMemoryContext, "stream worker loop",
										   ALLOCSET_DEFAULT_SIZES);
}

/*
 * At the top of a worker's loop: SIGTERM while idle (shutdown, or a
 * statement holding the database) exits without the FATAL line that die()
 * would log; a reload is done.
 */
static void
WorkerLoopBegins(void)
{
	if (ProcDiePending)
		WorkerExit();
	CHECK_FOR_INTERRUPTS();
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}
}

/*
 * Main of the worker of one database (main_arg): a pass every
 * stream.maintenance_interval while the extension is installed and
 * stream.maintenance_worker is on.
 */
void
StreamMaintenanceWorkerMain(Datum main_arg)
{
	TimestampTz last_pass = 0;

	worker_dboid = DatumGetObjectId(main_arg);
	worker_dbname = MemoryContextStrdup(TopMemoryContext,
										MyBgworkerEntry->bgw_extra);

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	before_shmem_exit(WorkerDetach, (Datum) 0);
	if (!WorkerClaim())
		WorkerExit();

	WorkerConnect("stream maintenance worker");
	for (;;)
	{
		TimestampTz now;
		TimestampTz due;

		WorkerLoopBegins();
		if (!stream_maintenance_worker || WorkerHeld())
			WorkerExit();

		/* Due a whole interval after the last pass began, as reloaded. */
		now = GetCurrentTimestamp();
		due = TimestampTzPlusMilliseconds(last_pass,
										  stream_maintenance_interval);
		if (last_pass == 0 || now >= due)
		{
			/* over the budget, each worker has one interval in turn */
			if (last_pass != 0 && WorkerGivesTurn())
				WorkerExit();
			last_pass = now;
			MemoryContextReset(worker_context);
			if (!WorkerPass())
			{
				WorkerMarkPresence(false);
				WorkerExit();
			}
			WorkerPassEnded();
			continue;
		}

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 TimestampDifferenceMilliseconds(now, due),
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ----------------------------------------------------------------
 * Trigger workers
 * ----------------------------------------------------------------
 */

/* How long a trigger worker that found nothing to do sleeps */
#define TRIGGER_IDLE_MS 100

/* In a trigger worker: its slot, and when each lane may be looked at again */
static int	trigger_slot = -1;
static HTAB *lanes_not_before = NULL;

typedef struct LaneKey
{
	char		sink_name[STREAM_MAX_STREAM_NAME + 1];
	int32		shard_no;
	int32		lane;
} LaneKey;

typedef struct LaneWait
{
	LaneKey		key;
	TimestampTz not_before;
} LaneWait;

/*
 * stream_internal.set_sink_lanes_ready(lanes int)
 *
 * How many lanes of triggers are ready in this database, for the launcher,
 * which keeps that many trigger workers there (at most
 * stream.max_trigger_workers in the cluster).
 */
PG_FUNCTION_INFO_V1(stream_set_sink_lanes_ready);
Datum
stream_set_sink_lanes_ready(PG_FUNCTION_ARGS)
{
	int32		lanes = PG_GETARG_INT32(0);
	StreamDbSlot *slot;

	if (StreamWorker == NULL)
		PG_RETURN_VOID();
	LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
	slot = FindSlot(MyDatabaseId, true);
	if (slot != NULL && slot->trigger_lanes != lanes)
	{
		slot->trigger_lanes = lanes;
		WakeLauncher();
	}
	LWLockRelease(StreamWorker->lock);
	PG_RETURN_VOID();
}

static void
TriggerWorkerDetach(int code, Datum arg)
{
	StreamTriggerWorkerSlot *w = &StreamWorker->trigger_workers[trigger_slot];

	LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
	if (w->pid == MyProcPid)
	{
		w->pid = 0;
		w->clean_exit = worker_exit_clean;
	}
	LWLockRelease(StreamWorker->lock);
}

/*
 * At the start of a trigger or HTTP worker: sets up its signals and takes
 * the registry slot (main_arg) the launcher gave it; false if its database
 * was held meanwhile, or the slot is no longer its.
 */
static bool
ClaimDatabaseWorkerSlot(Datum main_arg)
{
	StreamTriggerWorkerSlot *w;
	bool		claimed = false;

	trigger_slot = DatumGetInt32(main_arg);
	w = &StreamWorker->trigger_workers[trigger_slot];
	worker_dbname = MemoryContextStrdup(TopMemoryContext,
										MyBgworkerEntry->bgw_extra);

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	before_shmem_exit(TriggerWorkerDetach, (Datum) 0);
	LWLockAcquire(StreamWorker->lock, LW_EXCLUSIVE);
	worker_dboid = w->dboid;
	if (OidIsValid(worker_dboid) && w->pid == 0)
	{
		StreamDbSlot *slot = FindSlot(worker_dboid, false);

		if (slot != NULL && slot->holds == 0)
		{
			w->pid = MyProcPid;
			claimed = true;
		}
	}
	LWLockRelease(StreamWorker->lock);
	return claimed;
}

/*
 * Whether this trigger worker is to go on: its database not held, lanes
 * ready there, and not more workers there than those lanes (or the cap):
 * then the one in the highest slot ends.
 */
static bool
TriggerWorkerWanted(void)
{
	StreamDbSlot *slot;
	bool		wanted;

	LWLockAcquire(StreamWorker->lock, LW_SHARED);
	slot = FindSlot(worker_dboid, false);
	wanted = slot != NULL && slot->holds == 0 && !slot->absent &&
		slot->trigger_lanes > 0;
	if (wanted && CountWorkers(worker_dboid, TRIGGER_WORKER) >
		Min(slot->trigger_lanes, TriggerWorkerCap()))
	{
		for (int j = trigger_slot + 1; j < stream_max_workers; j++)
			if (StreamWorker->trigger_workers[j].dboid == worker_dboid &&
				StreamWorker->trigger_workers[j].kind == TRIGGER_WORKER)
				goto done;
		wanted = false;
	}
done:
	LWLockRelease(StreamWorker->lock);
	return wanted;
}

/* A lane's batch that waits for its window, or 0 */
static TimestampTz
LaneNotBefore(const StreamSinkLane *lane)
{
	LaneKey		key;
	LaneWait   *wait;

	memset(&key, 0, sizeof(key));
	strlcpy(key.sink_name, lane->sink_name, sizeof(key.sink_name));
	key.shard_no = lane->shard_no;
	key.lane = lane->lane;
	wait = hash_search(lanes_not_before, &key, HASH_FIND, NULL);
	return wait != NULL ? wait->not_before : 0;
}

static void
SetLaneNotBefore(const StreamSinkLane *lane, TimestampTz not_before)
{
	LaneKey		key;

	if (lanes_not_before == NULL && not_before == 0)
		return;
	/* forget the lanes of dropped triggers now and then */
	if (lanes_not_before != NULL && hash_get_num_entries(lanes_not_before) > 10000)
	{
		hash_destroy(lanes_not_before);
		lanes_not_before = NULL;
	}
	if (lanes_not_before == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(LaneKey);
		ctl.entrysize = sizeof(LaneWait);
		lanes_not_before = hash_create("stream trigger lanes", 64, &ctl,
									   HASH_ELEM | HASH_BLOBS);
	}
	memset(&key, 0, sizeof(key));
	strlcpy(key.sink_name, lane->sink_name, sizeof(key.sink_name));
	key.shard_no = lane->shard_no;
	key.lane = lane->lane;
	if (not_before == 0)
		(void) hash_search(lanes_not_before, &key, HASH_REMOVE, NULL);
	else
		((LaneWait *) hash_search(lanes_not_before, &key, HASH_ENTER, NULL))->not_before =
			not_before;
}

/*
 * The lanes to run a batch of now: ready ones, not waiting for a retry or
 * their window, whose shards may have something for them (looked at in
 * one transaction that writes nothing).  False if the extension is gone.
 */
static bool
TriggerLanesToRun(StreamSinkLane **lanes, int *nlanes)
{
	TimestampTz now = GetCurrentTimestamp();
	StreamSinkLane *ready;
	StreamSinkLane *to_run;
	int			nready;
	int			n = 0;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (!OidIsValid(get_extension_oid("stream", true)))
	{
		CommitTransactionCommand();
		return false;
	}
	PushActiveSnapshot(GetTransactionSnapshot());
	MemoryContextSwitchTo(worker_context);
	ready = StreamReadySinkLanes(&nready);
	to_run = palloc(sizeof(StreamSinkLane) * Max(1, nready));
	for (int i = 0; i < nready; i++)
	{
		/* where to start: each worker at its own place */
		StreamSinkLane *lane = &ready[(i + trigger_slot * 7) % nready];

		if ((lane->retry_at != 0 && lane->retry_at > now) ||
			(lanes_not_before != NULL && LaneNotBefore(lane) > now))
			continue;
		if (StreamSinkLaneMayHaveWork(lane))
			to_run[n++] = *lane;
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(worker_context);
	*lanes = to_run;
	*nlanes = n;
	return true;
}

/* Logs the failure of a lane's batch, at most once a minute while it repeats. */
static void
TriggerReportFailure(const StreamSinkLane *lane, ErrorData *edata)
{
	const char *message = edata->message ? edata->message : "unknown error";
	int			not_logged;

	if (!FailureLogCount(&pass_failures, message, &not_logged))
		return;
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("stream trigger \"%s\" in database \"%s\" failed: %s",
					lane->sink_name, worker_dbname, message),
			 not_logged > 0 ?
			 errdetail_plural("%d more failure was not logged.",
							  "%d more failures were not logged.",
							  not_logged, not_logged) : 0));
}

/*
 * Runs a batch of a lane in a transaction of its own; a failure other than
 * the function's (which the batch handles itself) aborts it, and is kept
 * on the lane in another.  True if it did something.
 */
static bool
RunLane(const StreamSinkLane *lane)
{
	volatile bool did = false;
	TimestampTz not_before = 0;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	pgstat_report_activity(STATE_RUNNING, lane->sink_name);
	PG_TRY();
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		did = StreamRunSinkBatch(lane, &not_before);
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(worker_context);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		TriggerReportFailure(lane, edata);

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PG_TRY();
		{
			PushActiveSnapshot(GetTransactionSnapshot());
			StreamSinkLaneError(lane, edata->message ? edata->message : "unknown error");
			PopActiveSnapshot();
			CommitTransactionCommand();
		}
		PG_CATCH();
		{
			FlushErrorState();
			AbortCurrentTransaction();
		}
		PG_END_TRY();
		did = true;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(worker_context);
	pgstat_report_activity(STATE_IDLE, NULL);
	SetLaneNotBefore(lane, not_before);
	return did;
}

/*
 * Main of a trigger worker (main_arg: its slot): runs batches of the ready
 * lanes of its database, one batch a lane in turn, so that a slow trigger
 * holds back only its own lanes; other workers skip the lanes it holds.
 */
void
StreamTriggerWorkerMain(Datum main_arg)
{
	if (!ClaimDatabaseWorkerSlot(main_arg))
		WorkerExit();

	WorkerConnect("stream trigger worker");
	for (;;)
	{
		StreamSinkLane *lanes;
		int			nlanes;
		bool		did = false;

		WorkerLoopBegins();
		/*
		 * A batch's commit reaches the disk before the next batch: a
		 * delivery's file is renamed before its position commits, and a
		 * position lost with an asynchronous commit would make the next
		 * batch write its records to a second file.
		 */
		if (synchronous_commit < SYNCHRONOUS_COMMIT_LOCAL_FLUSH)
			SetConfigOption("synchronous_commit", "local", PGC_SUSET,
							PGC_S_OVERRIDE);
		if (!TriggerWorkerWanted())
			WorkerExit();

		MemoryContextReset(worker_context);
		MemoryContextSwitchTo(worker_context);
		if (!TriggerLanesToRun(&lanes, &nlanes))
			WorkerExit();
		for (int i = 0; i < nlanes && !ProcDiePending; i++)
			did |= RunLane(&lanes[i]);
		pgstat_report_stat(false);

		if (!did)
		{
			/* what the batches counted reaches get_metric_statistics */
			StreamMetricsSendDue();
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 TRIGGER_IDLE_MS, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
}

/* ----------------------------------------------------------------
 * HTTP workers (the Kinesis endpoint, src/http/)
 * ----------------------------------------------------------------
 */

/*
 * Whether this HTTP worker is to go on: the endpoint on, in this database,
 * which is not held, and not more HTTP workers than stream.http_workers
 * (then the one in the highest slot ends).
 */
static bool
HttpWorkerWanted(void)
{
	StreamDbSlot *slot;
	bool		wanted;

	if (ProcDiePending || stream_http_port == 0 ||
		strcmp(worker_dbname, stream_http_database) != 0)
		return false;
	LWLockAcquire(StreamWorker->lock, LW_SHARED);
	slot = FindSlot(worker_dboid, false);
	wanted = slot != NULL && slot->holds == 0;
	if (wanted && CountWorkers(worker_dboid, HTTP_WORKER) > HttpWorkerCap())
	{
		for (int j = trigger_slot + 1; j < stream_max_workers; j++)
			if (StreamWorker->trigger_workers[j].dboid == worker_dboid &&
				StreamWorker->trigger_workers[j].kind == HTTP_WORKER)
				goto done;
		wanted = false;
	}
done:
	LWLockRelease(StreamWorker->lock);
	return wanted;
}

/*
 * Main of an HTTP worker: serves the Kinesis endpoint (src/http/server.c)
 * until it is no longer wanted or its settings change; the launcher then
 * starts what the settings say.
 */
void
StreamHttpWorkerMain(Datum main_arg)
{
	if (!ClaimDatabaseWorkerSlot(main_arg))
		WorkerExit();
	WorkerConnect("stream http worker");
	HttpServe(HttpWorkerWanted);
	WorkerExit();
}
