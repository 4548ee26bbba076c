/*-------------------------------------------------------------------------
 *
 * stream.c
 *	  Entry point of the stream extension: _PG_init asks each module to set
 *	  itself up, lowest layer first.
 *
 * The library must be in shared_preload_libraries: the resource manager that
 * replays stream records has to be registered before recovery starts, and
 * the quotas and the maintenance launcher need shared memory and a
 * background worker.  Loaded later, it defines its settings and does nothing
 * else; CREATE EXTENSION then fails (stream_assert_preloaded).
 *
 * Layers (doc/architecture.md): src/log/ is the storage engine, src/kinesis/
 * the Kinesis data model and API on top of it, src/worker/ the background
 * workers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "http/http.h"
#include "injection.h"
#include "kinesis/backup.h"
#include "kinesis/catalog.h"
#include "kinesis/delivery.h"
#include "kinesis/feed.h"
#include "kinesis/guard.h"
#include "kinesis/iterator.h"
#include "kinesis/kinesis.h"
#include "kinesis/kms.h"
#include "kinesis/metrics.h"
#include "kinesis/names.h"
#include "kinesis/quota.h"
#include "kinesis/segment.h"
#include "kinesis/sink.h"
#include "kinesis/wait.h"
#include "log/log_am.h"
#include "log/log_wal.h"
#include "worker/worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

PG_FUNCTION_INFO_V1(stream_assert_preloaded);

void
_PG_init(void)
{
	/* storage */
	StreamLogWalInit();
	StreamLogAmInit();

	/* the Kinesis layer */
	KinesisInit();
	NamesInit();
	CatalogInit();
	GuardInit();
	SegmentInit();
	IteratorInit();
	QuotaInit();
	MetricsInit();
	WaitInit();
	KmsInit();
	BackupInit();
	FeedInit();
	TriggerInit();
	DeliveryInit();
	HttpInit();

	/* background workers */
	WorkerInit();

	InjectionInit();
	MarkGUCPrefixReserved("stream");
}

/*
 * Called by the extension script: CREATE EXTENSION fails unless the library
 * was preloaded.
 */
Datum
stream_assert_preloaded(PG_FUNCTION_ARGS)
{
	StreamLogWalCheckRegistered();
	PG_RETURN_VOID();
}
