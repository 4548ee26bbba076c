/*-------------------------------------------------------------------------
 *
 * log_vacuum.c
 *	  VACUUM of stream_log relations.
 *
 * Nothing in a segment is ever dead (records leave with their whole segment),
 * so VACUUM has one job: freeze every record whose writer has finished, so
 * that relfrozenxid can advance and the commit log be truncated.  Freezing is
 * WAL-logged with a full-page image of each page it changes.  The meta page
 * remembers the first block that may still hold an unfrozen record, and only
 * the last block ever receives new records, so each VACUUM reads only what
 * arrived since the previous one.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/multixact.h"
#include "access/xloginsert.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/procarray.h"

#include "log/log_page.h"
#include "log/log_vacuum.h"
#include "log/visibility.h"

/*
 * Freezes what can be frozen on one page.  Returns true when every record
 * head on it is frozen afterwards.
 */
static bool
FreezePage(Relation rel, BlockNumber block, TransactionId horizon,
		   BufferAccessStrategy bstrategy)
{
	Buffer		buffer;
	Page		page;
	OffsetNumber maxoff;
	uint16		new_flags[MaxOffsetNumber + 1];
	bool		changed = false;
	bool		all_frozen = true;

	buffer = ReadBufferExtended(rel, MAIN_FORKNUM, block, RBM_NORMAL, bstrategy);
	LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buffer);
	maxoff = PageIsNew(page) ? InvalidOffsetNumber : PageGetMaxOffsetNumber(page);

	/* decide first: resolving a writer may do I/O, which is not allowed below */
	for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
	{
		StreamRecordHeader *header;

		header = StreamPageGetItem(rel, page, block, off);
		new_flags[off] = header->flags;
		if (!(header->flags & STREAM_ITEM_HEAD))
			continue;
		new_flags[off] = StreamRecordFreezeFlags(header, horizon);
		if (new_flags[off] != header->flags)
			changed = true;
		if (!(new_flags[off] & STREAM_XMIN_FROZEN))
			all_frozen = false;
	}

	if (changed)
	{
		START_CRIT_SECTION();
		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
		{
			StreamRecordHeader *header;

			header = (StreamRecordHeader *) PageGetItem(page, PageGetItemId(page, off));
			header->flags = new_flags[off];
		}
		MarkBufferDirty(buffer);
		if (RelationNeedsWAL(rel))
			log_newpage_buffer(buffer, true);
		END_CRIT_SECTION();
	}
	UnlockReleaseBuffer(buffer);
	return all_frozen;
}

/* Moves the meta page's frozen_before forward, WAL-logged. */
static void
SetFrozenBefore(Relation rel, BlockNumber frozen_before)
{
	Buffer		buffer = ReadBuffer(rel, STREAM_META_BLOCK);
	StreamMetaData *meta;

	LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
	meta = StreamPageGetMeta(BufferGetPage(buffer));
	if (meta->frozen_before < frozen_before)
	{
		START_CRIT_SECTION();
		meta->frozen_before = frozen_before;
		MarkBufferDirty(buffer);
		if (RelationNeedsWAL(rel))
			log_newpage_buffer(buffer, true);
		END_CRIT_SECTION();
	}
	UnlockReleaseBuffer(buffer);
}

void
StreamLogVacuum(Relation rel, BufferAccessStrategy bstrategy)
{
	/*
	 * Every writer that can still add an unfrozen record is running now or
	 * starts later, so its xid is no older than this horizon.
	 */
	TransactionId horizon = GetOldestNonRemovableTransactionId(rel);
	StreamMetaData meta;
	BlockNumber frozen_before;
	bool		prefix_frozen = true;
	bool		frozenxid_updated;
	bool		minmulti_updated;

	if (StreamLogReadMeta(rel, &meta))
	{
		frozen_before = meta.frozen_before;
		for (BlockNumber block = meta.frozen_before; block <= meta.last_block; block++)
		{
			bool		all_frozen;

			vacuum_delay_point();
			all_frozen = FreezePage(rel, block, horizon, bstrategy);
			/* the last block may still receive records */
			if (prefix_frozen && all_frozen && block < meta.last_block)
				frozen_before = block + 1;
			else
				prefix_frozen = false;
		}
		if (frozen_before > meta.frozen_before)
			SetFrozenBefore(rel, frozen_before);
	}

	vac_update_relstats(rel, RelationGetNumberOfBlocks(rel),
						(double) meta.record_count, 0, false, horizon,
						ReadNextMultiXactId(), &frozenxid_updated,
						&minmulti_updated, false);
	pgstat_report_vacuum(RelationGetRelid(rel), rel->rd_rel->relisshared,
						 (PgStat_Counter) meta.record_count, 0);
}
