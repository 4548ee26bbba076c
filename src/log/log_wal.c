/*-------------------------------------------------------------------------
 *
 * log_wal.c
 *	  The stream resource manager: redo, description and masking of the WAL
 *	  records that stream_log relations write (decoding: log_decode.c).
 *
 * An APPEND record carries only the new items' bytes (not the page), so a
 * record costs about its own size in WAL plus a full-page image of a block
 * the first time it is touched after a checkpoint.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/bufmask.h"
#include "access/xlog_internal.h"
#include "access/xlogutils.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"

#include "log/log_decode.h"
#include "log/log_page.h"
#include "log/log_wal.h"

static bool rmgr_registered = false;

static void
StreamRedoInitMeta(XLogReaderState *record)
{
	Buffer		buffer = XLogInitBufferForRedo(record, 0);
	Page		page = BufferGetPage(buffer);

	StreamInitMetaPage(page, *(int32 *) XLogRecGetData(record));
	PageSetLSN(page, record->EndRecPtr);
	MarkBufferDirty(buffer);
	UnlockReleaseBuffer(buffer);
}

static void
StreamRedoAppend(XLogReaderState *record)
{
	xl_stream_append *xlrec = (xl_stream_append *) XLogRecGetData(record);
	XLogRecPtr	lsn = record->EndRecPtr;
	Buffer		buffer;
	XLogRedoAction action;

	/*
	 * Data page first, then the meta page, holding one lock at a time, so
	 * that a hot-standby reader never sees a meta page that points to a block
	 * not yet replayed.
	 */
	if (XLogRecGetInfo(record) & XLOG_STREAM_INIT_PAGE)
	{
		buffer = XLogInitBufferForRedo(record, 0);
		StreamInitDataPage(BufferGetPage(buffer));
		action = BLK_NEEDS_REDO;
	}
	else
		action = XLogReadBufferForRedo(record, 0, &buffer);

	if (action == BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buffer);
		Size		len;
		char	   *ptr = XLogRecGetBlockData(record, 0, &len);
		char	   *end = ptr + len;

		for (int i = 0; i < xlrec->nitems; i++)
		{
			uint16		item_len;
			OffsetNumber offset;

			if (ptr + sizeof(uint16) > end)
				elog(PANIC, "stream append WAL record is truncated");
			memcpy(&item_len, ptr, sizeof(uint16));
			ptr += sizeof(uint16);
			if (ptr + item_len > end)
				elog(PANIC, "stream append WAL record is truncated");
			offset = PageAddItem(page, (Item) ptr, item_len,
								 InvalidOffsetNumber, false, false);
			if (offset != xlrec->first_offset + i)
				elog(PANIC, "stream append replayed item at %u, expected %u",
					 offset, xlrec->first_offset + i);
			ptr += item_len;
		}
		PageSetLSN(page, lsn);
		MarkBufferDirty(buffer);
	}
	if (BufferIsValid(buffer))
		UnlockReleaseBuffer(buffer);

	if (XLogReadBufferForRedo(record, 1, &buffer) == BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buffer);
		StreamMetaData *meta = StreamPageGetMeta(page);
		xl_stream_meta_update *update;
		Size		len;

		update = (xl_stream_meta_update *) XLogRecGetBlockData(record, 1, &len);
		if (len != sizeof(xl_stream_meta_update))
			elog(PANIC, "stream append WAL record has a meta update of %zu bytes",
				 len);
		meta->last_block = update->last_block;
		meta->first_arrival = update->first_arrival;
		meta->last_arrival = update->last_arrival;
		meta->record_count = update->record_count;
		PageSetLSN(page, lsn);
		MarkBufferDirty(buffer);
	}
	if (BufferIsValid(buffer))
		UnlockReleaseBuffer(buffer);
}

static void
StreamRedoSeal(XLogReaderState *record)
{
	Buffer		buffer;

	if (XLogReadBufferForRedo(record, 0, &buffer) == BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buffer);

		StreamPageGetMeta(page)->flags |= STREAM_META_SEALED;
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buffer);
	}
	if (BufferIsValid(buffer))
		UnlockReleaseBuffer(buffer);
}

static void
stream_redo(XLogReaderState *record)
{
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;

	switch (info & 0x70)
	{
		case XLOG_STREAM_INIT_META:
			StreamRedoInitMeta(record);
			break;
		case XLOG_STREAM_APPEND:
			StreamRedoAppend(record);
			break;
		case XLOG_STREAM_SEAL:
			StreamRedoSeal(record);
			break;
		default:
			elog(PANIC, "stream_redo: unknown op code %u", info);
	}
}

static const char *
stream_identify(uint8 info)
{
	switch (info & ~XLR_INFO_MASK)
	{
		case XLOG_STREAM_INIT_META:
			return "INIT_META";
		case XLOG_STREAM_APPEND:
			return "APPEND";
		case XLOG_STREAM_APPEND | XLOG_STREAM_INIT_PAGE:
			return "APPEND+INIT";
		case XLOG_STREAM_SEAL:
			return "SEAL";
	}
	return NULL;
}

static void
stream_desc(StringInfo buf, XLogReaderState *record)
{
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;

	if ((info & 0x70) == XLOG_STREAM_APPEND)
	{
		xl_stream_append *xlrec = (xl_stream_append *) XLogRecGetData(record);

		appendStringInfo(buf, "first offset %u, %u items",
						 xlrec->first_offset, xlrec->nitems);
		if (XLogRecGetDataLen(record) >= sizeof(*xlrec) + sizeof(xl_stream_decode))
		{
			xl_stream_decode decode;

			memcpy(&decode, XLogRecGetData(record) + sizeof(*xlrec), sizeof(decode));
			appendStringInfo(buf, "; for decoding: segment %d, tag of %u bytes",
							 decode.segment_no, decode.tag_len);
		}
	}
}

/*
 * Masks what may differ between a primary's page and its replayed copy for
 * wal_consistency_checking: the commit and abort hints, set without WAL.
 */
static void
stream_mask(char *pagedata, BlockNumber blkno)
{
	Page		page = (Page) pagedata;

	mask_page_lsn_and_checksum(page);
	mask_page_hint_bits(page);
	mask_unused_space(page);

	if (blkno == STREAM_META_BLOCK || PageIsNew(page))
		return;
	for (OffsetNumber off = FirstOffsetNumber;
		 off <= PageGetMaxOffsetNumber(page); off++)
	{
		ItemId		itemid = PageGetItemId(page, off);
		StreamRecordHeader *header;

		if (!ItemIdHasStorage(itemid) ||
			ItemIdGetLength(itemid) < sizeof(StreamRecordHeader))
			continue;
		header = (StreamRecordHeader *) PageGetItem(page, itemid);
		if (header->flags & STREAM_ITEM_HEAD)
			header->flags &= ~(STREAM_XMIN_COMMITTED | STREAM_XMIN_ABORTED);
	}
}

static RmgrData stream_rmgr = {
	.rm_name = "stream",
	.rm_redo = stream_redo,
	.rm_desc = stream_desc,
	.rm_identify = stream_identify,
	.rm_mask = stream_mask,
	.rm_decode = StreamLogDecode,
};

void
StreamLogWalInit(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	RegisterCustomRmgr(RM_STREAM_ID, &stream_rmgr);
	rmgr_registered = true;
}

/*
 * Stream storage can be written only where its WAL can be replayed: a server
 * that did not preload the library could not recover what it wrote.
 */
void
StreamLogWalCheckRegistered(void)
{
	if (!rmgr_registered)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("stream must be loaded via shared_preload_libraries"),
				 errdetail("Its WAL resource manager must be registered before the server replays WAL."),
				 errhint("Add 'stream' to shared_preload_libraries in postgresql.conf and restart the server.")));
}
