/*-------------------------------------------------------------------------
 *
 * log_am.c
 *	  The stream_log table access method.
 *
 * Each segment of a shard's log is a relation of this access method.  Records
 * enter only through stream.put_record and stream.put_records, which append
 * with log_page.c; they leave only when their whole segment expires.  So the
 * access method refuses INSERT, UPDATE, DELETE, TRUNCATE and indexes (UPDATE,
 * DELETE and MERGE already when the statement is analyzed, below), and
 * offers what remains useful in SQL: sequential, TID and parallel scans with
 * MVCC snapshots, ANALYZE, VACUUM (which freezes), and moving to another
 * tablespace or rewriting by VACUUM FULL, which copy the pages as they are
 * because sequence numbers are record addresses.
 *
 * A segment relation has the columns (sequence_number bigint,
 * approximate_arrival_timestamp timestamptz, partition_key text, hash_key
 * numeric, data bytea).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/multixact.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_type.h"
#include "catalog/storage.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "parser/analyze.h"
#include "parser/parsetree.h"
#include "storage/bufmgr.h"
#include "storage/smgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "log/log_am.h"
#include "log/log_page.h"
#include "log/log_vacuum.h"
#include "log/seqno.h"
#include "numeric128.h"

PG_FUNCTION_INFO_V1(stream_log_handler);

#define SEGMENT_NATTS 5

static const Oid segment_column_types[SEGMENT_NATTS] = {
	INT8OID, TIMESTAMPTZOID, TEXTOID, NUMERICOID, BYTEAOID
};

typedef struct StreamScanDescData
{
	TableScanDescData base;
	StreamLogReader reader;
	bool		started;
	ParallelBlockTableScanWorkerData parallel_worker;
	MemoryContext tuple_context;	/* reset for every record returned */
} StreamScanDescData;

typedef StreamScanDescData *StreamScanDesc;

static const TableAmRoutine stream_log_methods;

static post_parse_analyze_hook_type prev_post_parse_analyze_hook = NULL;

/* Refuses relations whose columns are not those of a segment. */
static void
CheckSegmentColumns(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	bool		ok = desc->natts == SEGMENT_NATTS;

	for (int i = 0; ok && i < SEGMENT_NATTS; i++)
		ok = !TupleDescAttr(desc, i)->attisdropped &&
			TupleDescAttr(desc, i)->atttypid == segment_column_types[i];
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("table \"%s\" does not have the columns of stream storage",
						RelationGetRelationName(rel)),
				 errdetail("A stream_log table has the columns (sequence_number bigint, approximate_arrival_timestamp timestamptz, partition_key text, hash_key numeric, data bytea)."),
				 errhint("Stream storage is created by the stream extension.")));
}

static void
RefuseWrite(Relation rel, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot %s stream storage \"%s\"", what,
					RelationGetRelationName(rel)),
			 errdetail("Stream storage is append-only: records are appended by the stream extension and leave only with their whole segment.")));
}

/* Puts a record into a virtual slot of the segment's row type. */
static void
StoreRecord(TupleTableSlot *slot, int32 segment_no, StreamRecord *record)
{
	ExecClearTuple(slot);
	memset(slot->tts_isnull, 0, sizeof(bool) * SEGMENT_NATTS);
	slot->tts_values[0] = Int64GetDatum(StreamSeqMake(segment_no, record->block,
													  record->offset));
	slot->tts_values[1] = TimestampTzGetDatum(record->arrival);
	slot->tts_values[2] = PointerGetDatum(record->key);
	/* the key of an encrypted record is ciphertext, which no text can hold */
	slot->tts_isnull[2] = record->encrypted;
	slot->tts_values[3] = Uint128GetNumeric(record->hash_key);
	slot->tts_values[4] = PointerGetDatum(record->data);
	ItemPointerSet(&slot->tts_tid, record->block, record->offset);
	ExecStoreVirtualTuple(slot);
}

static const TupleTableSlotOps *
stream_slot_callbacks(Relation rel)
{
	return &TTSOpsVirtual;
}

/*------------
 * Scans
 *------------
 */

static TableScanDesc
stream_scan_begin(Relation rel, Snapshot snapshot, int nkeys,
				  struct ScanKeyData *key, ParallelTableScanDesc pscan,
				  uint32 flags)
{
	StreamScanDesc scan = palloc0(sizeof(StreamScanDescData));

	CheckSegmentColumns(rel);
	scan->base.rs_rd = rel;
	scan->base.rs_snapshot = snapshot;
	scan->base.rs_nkeys = nkeys;
	scan->base.rs_flags = flags;
	scan->base.rs_parallel = pscan;
	scan->reader.buffer = InvalidBuffer;
	scan->tuple_context = AllocSetContextCreate(CurrentMemoryContext,
												"stream scan record",
												ALLOCSET_DEFAULT_SIZES);
	return (TableScanDesc) scan;
}

static void
stream_scan_end(TableScanDesc sscan)
{
	StreamScanDesc scan = (StreamScanDesc) sscan;

	StreamLogReaderEnd(&scan->reader);
	MemoryContextDelete(scan->tuple_context);
	if (sscan->rs_flags & SO_TEMP_SNAPSHOT)
		UnregisterSnapshot(sscan->rs_snapshot);
	pfree(scan);
}

static void
stream_scan_rescan(TableScanDesc sscan, struct ScanKeyData *key,
				   bool set_params, bool allow_strat, bool allow_sync,
				   bool allow_pagemode)
{
	StreamScanDesc scan = (StreamScanDesc) sscan;

	StreamLogReaderEnd(&scan->reader);
	scan->started = false;
}

/*
 * Points the reader at the next block a parallel worker is given; false when
 * none is left.  Each worker returns the records whose head is on its blocks.
 */
static bool
NextParallelBlock(StreamScanDesc scan)
{
	Relation	rel = scan->base.rs_rd;
	ParallelBlockTableScanDesc pbscan =
		(ParallelBlockTableScanDesc) scan->base.rs_parallel;
	BlockNumber block;

	do
	{
		block = table_block_parallelscan_nextpage(rel, &scan->parallel_worker,
												  pbscan);
	} while (block == STREAM_META_BLOCK);
	if (!BlockNumberIsValid(block))
		return false;
	StreamLogReaderBegin(&scan->reader, rel, block, FirstOffsetNumber,
						 scan->base.rs_snapshot);
	scan->reader.last_block = Min(scan->reader.last_block, block);
	return true;
}

static bool
stream_scan_getnextslot(TableScanDesc sscan, ScanDirection direction,
						TupleTableSlot *slot)
{
	StreamScanDesc scan = (StreamScanDesc) sscan;
	StreamRecord record;
	MemoryContext old;

	MemoryContextReset(scan->tuple_context);
	old = MemoryContextSwitchTo(scan->tuple_context);

	if (!scan->started)
	{
		scan->started = true;
		if (sscan->rs_parallel)
		{
			table_block_parallelscan_startblock_init(sscan->rs_rd,
													 &scan->parallel_worker,
													 (ParallelBlockTableScanDesc) sscan->rs_parallel);
			if (!NextParallelBlock(scan))
				goto done;
		}
		else
			StreamLogReaderBegin(&scan->reader, sscan->rs_rd, 1,
								 FirstOffsetNumber, sscan->rs_snapshot);
	}

	for (;;)
	{
		/* with a snapshot, records in progress are invisible: no stop */
		if (StreamLogReadNext(&scan->reader, &record) == STREAM_READ_RECORD)
		{
			StreamLogReadBody(&scan->reader, &record);
			StoreRecord(slot, scan->reader.segment_no, &record);
			/*
			 * No page stays locked while the executor has the row: it may
			 * wait on the client, and writers on the page.
			 */
			StreamLogReaderRelease(&scan->reader);
			MemoryContextSwitchTo(old);
			return true;
		}
		if (!sscan->rs_parallel || !NextParallelBlock(scan))
			break;
	}

done:
	MemoryContextSwitchTo(old);
	ExecClearTuple(slot);
	return false;
}

static Size
stream_parallelscan_estimate(Relation rel)
{
	return table_block_parallelscan_estimate(rel);
}

static Size
stream_parallelscan_initialize(Relation rel, ParallelTableScanDesc pscan)
{
	return table_block_parallelscan_initialize(rel, pscan);
}

static void
stream_parallelscan_reinitialize(Relation rel, ParallelTableScanDesc pscan)
{
	table_block_parallelscan_reinitialize(rel, pscan);
}

/*------------
 * Fetching one record by its TID (block, item)
 *------------
 */

static bool
FetchRecord(Relation rel, ItemPointer tid, Snapshot snapshot,
			TupleTableSlot *slot)
{
	StreamLogReader reader;
	StreamRecord record;
	BlockNumber block = ItemPointerGetBlockNumber(tid);
	OffsetNumber offset = ItemPointerGetOffsetNumber(tid);
	bool		found = false;

	if (block == STREAM_META_BLOCK)
		return false;
	StreamLogReaderBegin(&reader, rel, block, offset, snapshot);
	if (block > reader.last_block)
		return false;
	reader.last_block = block;
	if (StreamLogReadNext(&reader, &record) == STREAM_READ_RECORD &&
		record.offset == offset)
	{
		StreamLogReadBody(&reader, &record);
		StoreRecord(slot, reader.segment_no, &record);
		found = true;
	}
	StreamLogReaderEnd(&reader);
	return found;
}

static bool
stream_tuple_fetch_row_version(Relation rel, ItemPointer tid,
							   Snapshot snapshot, TupleTableSlot *slot)
{
	return FetchRecord(rel, tid, snapshot, slot);
}

static bool
stream_tuple_tid_valid(TableScanDesc scan, ItemPointer tid)
{
	BlockNumber block = ItemPointerGetBlockNumber(tid);

	return block != STREAM_META_BLOCK &&
		block < RelationGetNumberOfBlocks(scan->rs_rd);
}

static void
stream_tuple_get_latest_tid(TableScanDesc scan, ItemPointer tid)
{
	/* records are never updated: a TID is always the latest version */
}

static bool
stream_tuple_satisfies_snapshot(Relation rel, TupleTableSlot *slot,
								Snapshot snapshot)
{
	TupleTableSlot *probe = MakeSingleTupleTableSlot(RelationGetDescr(rel),
													 &TTSOpsVirtual);
	bool		visible = FetchRecord(rel, &slot->tts_tid, snapshot, probe);

	ExecDropSingleTupleTableSlot(probe);
	return visible;
}

/*------------
 * What stream storage refuses
 *------------
 */

static void
stream_tuple_insert(Relation rel, TupleTableSlot *slot, CommandId cid,
					int options, struct BulkInsertStateData *bistate)
{
	RefuseWrite(rel, "insert into");
}

static void
stream_tuple_insert_speculative(Relation rel, TupleTableSlot *slot,
								CommandId cid, int options,
								struct BulkInsertStateData *bistate,
								uint32 specToken)
{
	RefuseWrite(rel, "insert into");
}

static void
stream_tuple_complete_speculative(Relation rel, TupleTableSlot *slot,
								  uint32 specToken, bool succeeded)
{
	RefuseWrite(rel, "insert into");
}

static void
stream_multi_insert(Relation rel, TupleTableSlot **slots, int nslots,
					CommandId cid, int options,
					struct BulkInsertStateData *bistate)
{
	RefuseWrite(rel, "insert into");
}

static TM_Result
stream_tuple_delete(Relation rel, ItemPointer tid, CommandId cid,
					Snapshot snapshot, Snapshot crosscheck, bool wait,
					TM_FailureData *tmfd, bool changingPart)
{
	RefuseWrite(rel, "delete from");
	return TM_Invisible;
}

static TM_Result
stream_tuple_update(Relation rel, ItemPointer otid, TupleTableSlot *slot,
					CommandId cid, Snapshot snapshot, Snapshot crosscheck,
					bool wait, TM_FailureData *tmfd,
					LockTupleMode *lockmode, bool *update_indexes)
{
	RefuseWrite(rel, "update");
	return TM_Invisible;
}

static TM_Result
stream_tuple_lock(Relation rel, ItemPointer tid, Snapshot snapshot,
				  TupleTableSlot *slot, CommandId cid, LockTupleMode mode,
				  LockWaitPolicy wait_policy, uint8 flags,
				  TM_FailureData *tmfd)
{
	RefuseWrite(rel, "lock rows of");
	return TM_Invisible;
}

static void
RefuseIndex(Relation rel)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot create an index on stream storage \"%s\"",
					RelationGetRelationName(rel)),
			 errdetail("A sequence number is the address of its record, so no index is needed.")));
}

static struct IndexFetchTableData *
stream_index_fetch_begin(Relation rel)
{
	RefuseIndex(rel);
	return NULL;
}

static void
stream_index_fetch_reset(struct IndexFetchTableData *data)
{
}

static void
stream_index_fetch_end(struct IndexFetchTableData *data)
{
}

static bool
stream_index_fetch_tuple(struct IndexFetchTableData *data, ItemPointer tid,
						 Snapshot snapshot, TupleTableSlot *slot,
						 bool *call_again, bool *all_dead)
{
	RefuseIndex(data->rel);
	return false;
}

static TransactionId
stream_index_delete_tuples(Relation rel, TM_IndexDeleteOp *delstate)
{
	RefuseIndex(rel);
	return InvalidTransactionId;
}

static double
stream_index_build_range_scan(Relation table_rel, Relation index_rel,
							  struct IndexInfo *index_info, bool allow_sync,
							  bool anyvisible, bool progress,
							  BlockNumber start_blockno, BlockNumber numblocks,
							  IndexBuildCallback callback, void *callback_state,
							  TableScanDesc scan)
{
	RefuseIndex(table_rel);
	return 0;
}

static void
stream_index_validate_scan(Relation table_rel, Relation index_rel,
						   struct IndexInfo *index_info, Snapshot snapshot,
						   struct ValidateIndexState *state)
{
	RefuseIndex(table_rel);
}

static bool
stream_scan_sample_next_block(TableScanDesc scan,
							  struct SampleScanState *scanstate)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("TABLESAMPLE is not supported on stream storage")));
	return false;
}

static bool
stream_scan_sample_next_tuple(TableScanDesc scan,
							  struct SampleScanState *scanstate,
							  TupleTableSlot *slot)
{
	return false;
}

/*------------
 * Storage
 *------------
 */

/*
 * Creates the storage of a new segment.  A new relfilenode for an existing
 * relation means TRUNCATE (or a rewrite), which stream storage refuses:
 * records leave only by expiring.
 */
static void
stream_relation_set_new_filenode(Relation rel, const RelFileNode *newrnode,
								 char persistence, TransactionId *freezeXid,
								 MultiXactId *minmulti)
{
	SMgrRelation srel;

	if (!RelFileNodeEquals(*newrnode, rel->rd_node))
		RefuseWrite(rel, "truncate");
	if (persistence != RELPERSISTENCE_PERMANENT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("stream storage \"%s\" must be a permanent table",
						RelationGetRelationName(rel)),
				 errdetail("Stream records are WAL-logged so that they survive crashes and reach standbys.")));
	CheckSegmentColumns(rel);

	*freezeXid = RecentXmin;
	*minmulti = GetOldestMultiXactId();
	srel = RelationCreateStorage(*newrnode, persistence, true);
	smgrclose(srel);
}

static void
stream_relation_nontransactional_truncate(Relation rel)
{
	RefuseWrite(rel, "truncate");
}

/*
 * ALTER TABLE SET TABLESPACE: the pages move as they are, and the old files
 * go at commit (the caller leaves that to the access method).
 */
static void
stream_relation_copy_data(Relation rel, const RelFileNode *newrnode)
{
	SMgrRelation dstrel;

	FlushRelationBuffers(rel);
	dstrel = RelationCreateStorage(*newrnode, rel->rd_rel->relpersistence, true);
	RelationCopyStorage(RelationGetSmgr(rel), dstrel, MAIN_FORKNUM,
						rel->rd_rel->relpersistence);
	RelationDropStorage(rel);
	smgrclose(dstrel);
}

/*
 * VACUUM FULL and CLUSTER: copying the pages unchanged keeps every sequence
 * number valid; nothing is ever dead, so there is nothing to squeeze out.
 */
static void
stream_relation_copy_for_cluster(Relation OldTable, Relation NewTable,
								 Relation OldIndex, bool use_sort,
								 TransactionId OldestXmin,
								 TransactionId *xid_cutoff,
								 MultiXactId *multi_cutoff,
								 double *num_tuples, double *tups_vacuumed,
								 double *tups_recently_dead)
{
	StreamMetaData meta;

	FlushRelationBuffers(OldTable);
	RelationCopyStorage(RelationGetSmgr(OldTable), RelationGetSmgr(NewTable),
						MAIN_FORKNUM, OldTable->rd_rel->relpersistence);
	/* the copied records keep their xids: keep the old horizons */
	*xid_cutoff = OldTable->rd_rel->relfrozenxid;
	*multi_cutoff = OldTable->rd_rel->relminmxid;
	*num_tuples = StreamLogReadMeta(OldTable, &meta) ? meta.record_count : 0;
	*tups_vacuumed = 0;
	*tups_recently_dead = 0;
}

static void
stream_relation_vacuum(Relation rel, struct VacuumParams *params,
					   BufferAccessStrategy bstrategy)
{
	StreamLogVacuum(rel, bstrategy);
}

static bool
stream_scan_analyze_next_block(TableScanDesc sscan, BlockNumber blockno,
							   BufferAccessStrategy bstrategy)
{
	StreamScanDesc scan = (StreamScanDesc) sscan;
	Snapshot	snapshot = ActiveSnapshotSet() ? GetActiveSnapshot() : NULL;

	StreamLogReaderEnd(&scan->reader);
	if (blockno == STREAM_META_BLOCK || snapshot == NULL)
		return false;
	StreamLogReaderBegin(&scan->reader, sscan->rs_rd, blockno,
						 FirstOffsetNumber, snapshot);
	if (blockno > scan->reader.last_block)
		return false;
	scan->reader.last_block = blockno;
	return true;
}

static bool
stream_scan_analyze_next_tuple(TableScanDesc sscan, TransactionId OldestXmin,
							   double *liverows, double *deadrows,
							   TupleTableSlot *slot)
{
	StreamScanDesc scan = (StreamScanDesc) sscan;
	StreamRecord record;

	if (StreamLogReadNext(&scan->reader, &record) != STREAM_READ_RECORD)
		return false;
	StreamLogReadBody(&scan->reader, &record);
	StoreRecord(slot, scan->reader.segment_no, &record);
	*liverows += 1;
	return true;
}

static uint64
stream_relation_size(Relation rel, ForkNumber forkNumber)
{
	return table_block_relation_size(rel, forkNumber);
}

static bool
stream_relation_needs_toast_table(Relation rel)
{
	/* records are stored whole, spanning pages when large */
	return false;
}

static void
stream_relation_estimate_size(Relation rel, int32 *attr_widths,
							  BlockNumber *pages, double *tuples,
							  double *allvisfrac)
{
	table_block_relation_estimate_size(rel, attr_widths, pages, tuples,
									   allvisfrac,
									   sizeof(StreamRecordHeader) + sizeof(ItemIdData),
									   BLCKSZ - SizeOfPageHeaderData);
}

static const TableAmRoutine stream_log_methods = {
	.type = T_TableAmRoutine,

	.slot_callbacks = stream_slot_callbacks,

	.scan_begin = stream_scan_begin,
	.scan_end = stream_scan_end,
	.scan_rescan = stream_scan_rescan,
	.scan_getnextslot = stream_scan_getnextslot,

	.parallelscan_estimate = stream_parallelscan_estimate,
	.parallelscan_initialize = stream_parallelscan_initialize,
	.parallelscan_reinitialize = stream_parallelscan_reinitialize,

	.index_fetch_begin = stream_index_fetch_begin,
	.index_fetch_reset = stream_index_fetch_reset,
	.index_fetch_end = stream_index_fetch_end,
	.index_fetch_tuple = stream_index_fetch_tuple,

	.tuple_fetch_row_version = stream_tuple_fetch_row_version,
	.tuple_tid_valid = stream_tuple_tid_valid,
	.tuple_get_latest_tid = stream_tuple_get_latest_tid,
	.tuple_satisfies_snapshot = stream_tuple_satisfies_snapshot,
	.index_delete_tuples = stream_index_delete_tuples,

	.tuple_insert = stream_tuple_insert,
	.tuple_insert_speculative = stream_tuple_insert_speculative,
	.tuple_complete_speculative = stream_tuple_complete_speculative,
	.multi_insert = stream_multi_insert,
	.tuple_delete = stream_tuple_delete,
	.tuple_update = stream_tuple_update,
	.tuple_lock = stream_tuple_lock,

	.relation_set_new_filenode = stream_relation_set_new_filenode,
	.relation_nontransactional_truncate = stream_relation_nontransactional_truncate,
	.relation_copy_data = stream_relation_copy_data,
	.relation_copy_for_cluster = stream_relation_copy_for_cluster,
	.relation_vacuum = stream_relation_vacuum,
	.scan_analyze_next_block = stream_scan_analyze_next_block,
	.scan_analyze_next_tuple = stream_scan_analyze_next_tuple,
	.index_build_range_scan = stream_index_build_range_scan,
	.index_validate_scan = stream_index_validate_scan,

	.relation_size = stream_relation_size,
	.relation_needs_toast_table = stream_relation_needs_toast_table,

	.relation_estimate_size = stream_relation_estimate_size,

	.scan_sample_next_block = stream_scan_sample_next_block,
	.scan_sample_next_tuple = stream_scan_sample_next_tuple,
};

bool
RelationIsStreamLog(Relation rel)
{
	return rel->rd_tableam == &stream_log_methods;
}

/*
 * Refuses UPDATE, DELETE and MERGE on stream storage when the statement is
 * analyzed, so that the refusal does not depend on a row being hit (the
 * callbacks above refuse the rows too, for any path that reaches them).
 */
static void
StreamLogPostParseAnalyze(ParseState *pstate, Query *query,
						  JumbleState *jstate)
{
	RangeTblEntry *rte;
	Relation	rel;

	if (prev_post_parse_analyze_hook)
		prev_post_parse_analyze_hook(pstate, query, jstate);

	if ((query->commandType != CMD_UPDATE && query->commandType != CMD_DELETE &&
		 query->commandType != CMD_MERGE) || query->resultRelation <= 0)
		return;
	rte = rt_fetch(query->resultRelation, query->rtable);
	if (rte->rtekind != RTE_RELATION || rte->relkind != RELKIND_RELATION)
		return;
	rel = table_open(rte->relid, NoLock);
	if (RelationIsStreamLog(rel))
		RefuseWrite(rel,
					query->commandType == CMD_UPDATE ? "update" :
					query->commandType == CMD_DELETE ? "delete from" :
					"merge into");
	table_close(rel, NoLock);
}

void
StreamLogAmInit(void)
{
	prev_post_parse_analyze_hook = post_parse_analyze_hook;
	post_parse_analyze_hook = StreamLogPostParseAnalyze;
}

Datum
stream_log_handler(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(&stream_log_methods);
}
