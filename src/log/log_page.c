/*-------------------------------------------------------------------------
 *
 * log_page.c
 *	  Appending records to a segment and reading them back.
 *
 * Appends are serialized by the exclusive lock on the meta page: whoever
 * holds it owns the end of the log, so item order on the pages is the order
 * in which sequence numbers were handed out and no other lock is needed.
 * Small records are packed into the last page, one WAL record per page
 * touched; a record too large for a page starts a fresh page and continues
 * in chunks on the pages that follow.
 *
 * Readers never hold the meta page lock while holding a data page lock, and
 * appenders hold at most the meta page and one data page, always in that
 * order, so the two cannot deadlock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xloginsert.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"

#include "log/log_page.h"
#include "log/log_wal.h"
#include "log/seqno.h"
#include "log/visibility.h"

void
StreamInitMetaPage(Page page, int32 segment_no)
{
	StreamMetaData *meta;

	PageInit(page, BLCKSZ, 0);
	meta = StreamPageGetMeta(page);
	memset(meta, 0, sizeof(StreamMetaData));
	meta->magic = STREAM_META_MAGIC;
	meta->version = STREAM_META_VERSION;
	meta->segment_no = segment_no;
	meta->last_block = 0;
	meta->flags = 0;
	meta->frozen_before = 1;
	meta->first_arrival = 0;
	meta->last_arrival = 0;
	meta->record_count = 0;
	/* so that the unused rest of the page is a hole in full-page images */
	((PageHeader) page)->pd_lower =
		((char *) meta + sizeof(StreamMetaData)) - (char *) page;
}

void
StreamInitDataPage(Page page)
{
	PageInit(page, BLCKSZ, 0);
}

void
StreamCheckMetaPage(Relation rel, Page page)
{
	StreamMetaData *meta = StreamPageGetMeta(page);

	if (meta->magic != STREAM_META_MAGIC)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("relation \"%s\" is not a stream segment",
						RelationGetRelationName(rel)),
				 errdetail("Its meta page has magic %08X, expected %08X.",
						   meta->magic, STREAM_META_MAGIC)));
	if (meta->version != STREAM_META_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stream segment \"%s\" has format version %u, expected %u",
						RelationGetRelationName(rel), meta->version,
						STREAM_META_VERSION)));
}

/*
 * Writes the meta page of a segment that has none yet.  Segments are created
 * empty (a table AM cannot write pages when its storage is created), so the
 * first appender does it.  Block 0 may exist but be all zeros: another
 * appender has just added it and not yet written it, or the server crashed
 * in between; either way it is written here.
 *
 * The relation extension lock is held only while adding block 0, never while
 * waiting for the lock of an existing block 0: an appender holding the meta
 * page lock may be waiting for the extension lock to add a data block.
 */
static void
InitMetaBlock(Relation rel, int32 segment_no)
{
	Buffer		buffer;
	Page		page;

	LockRelationForExtension(rel, ExclusiveLock);
	if (RelationGetNumberOfBlocks(rel) == 0)
	{
		buffer = ReadBufferExtended(rel, MAIN_FORKNUM, P_NEW, RBM_NORMAL, NULL);
		LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
		UnlockRelationForExtension(rel, ExclusiveLock);
	}
	else
	{
		UnlockRelationForExtension(rel, ExclusiveLock);
		buffer = ReadBuffer(rel, STREAM_META_BLOCK);
		LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
	}
	Assert(BufferGetBlockNumber(buffer) == STREAM_META_BLOCK);
	page = BufferGetPage(buffer);

	if (PageIsNew(page))
	{
		START_CRIT_SECTION();
		StreamInitMetaPage(page, segment_no);
		MarkBufferDirty(buffer);
		if (RelationNeedsWAL(rel))
		{
			XLogRecPtr	recptr;

			XLogBeginInsert();
			XLogRegisterData((char *) &segment_no, sizeof(segment_no));
			XLogRegisterBuffer(0, buffer, REGBUF_WILL_INIT | REGBUF_STANDARD);
			recptr = XLogInsert(RM_STREAM_ID, XLOG_STREAM_INIT_META);
			PageSetLSN(page, recptr);
		}
		END_CRIT_SECTION();
	}
	UnlockReleaseBuffer(buffer);
}

/*
 * Returns the pinned meta buffer, or InvalidBuffer when the segment has no
 * meta page yet and segment_no (what to create it with) is 0.  A block 0 of
 * zeros counts as no meta page.  rd_amcache remembers that the meta page
 * exists, which saves asking the kernel for the size at every call;
 * relcache invalidation clears it.
 */
static Buffer
ReadMetaBuffer(Relation rel, int32 segment_no)
{
	if (rel->rd_amcache == NULL)
	{
		bool		written = false;

		if (RelationGetNumberOfBlocks(rel) > 0)
		{
			Buffer		buffer = ReadBuffer(rel, STREAM_META_BLOCK);

			LockBuffer(buffer, BUFFER_LOCK_SHARE);
			written = !PageIsNew(BufferGetPage(buffer));
			UnlockReleaseBuffer(buffer);
		}
		if (!written)
		{
			if (segment_no == 0)
				return InvalidBuffer;
			InitMetaBlock(rel, segment_no);
		}
		rel->rd_amcache = MemoryContextAllocZero(CacheMemoryContext, sizeof(bool));
	}
	return ReadBuffer(rel, STREAM_META_BLOCK);
}

/* Copies the meta data out; false if the segment is still empty. */
bool
StreamLogReadMeta(Relation rel, StreamMetaData *meta)
{
	Buffer		buffer = ReadMetaBuffer(rel, 0);

	if (!BufferIsValid(buffer))
	{
		memset(meta, 0, sizeof(StreamMetaData));
		return false;
	}
	LockBuffer(buffer, BUFFER_LOCK_SHARE);
	StreamCheckMetaPage(rel, BufferGetPage(buffer));
	memcpy(meta, StreamPageGetMeta(BufferGetPage(buffer)), sizeof(StreamMetaData));
	UnlockReleaseBuffer(buffer);
	return true;
}

/* Adds a new, exclusively locked block at the end of the segment. */
static Buffer
ExtendSegment(Relation rel)
{
	Buffer		buffer;

	LockRelationForExtension(rel, ExclusiveLock);
	buffer = ReadBufferExtended(rel, MAIN_FORKNUM, P_NEW, RBM_NORMAL, NULL);
	UnlockRelationForExtension(rel, ExclusiveLock);
	if (BufferGetBlockNumber(buffer) >= STREAM_MAX_SEGMENT_BLOCKS)
	{
		ReleaseBuffer(buffer);
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("stream segment \"%s\" is full",
						RelationGetRelationName(rel)),
				 errdetail("A segment holds at most %u blocks.",
						   STREAM_MAX_SEGMENT_BLOCKS)));
	}
	LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
	return buffer;
}

/*
 * Puts the prepared items (each a uint16 length and the item's bytes, which is
 * also how the WAL record carries them) on a page and logs them, with the new
 * end of the log on the meta page.  Returns the offset of the first item.
 */
static OffsetNumber
WriteItems(Relation rel, Buffer metabuf, Buffer buffer, bool init,
		   StringInfo items, int nitems, int nheads, TimestampTz arrival,
		   int32 segment_no, StringInfo decode_tag)
{
	Page		page = BufferGetPage(buffer);
	Page		metapage = BufferGetPage(metabuf);
	StreamMetaData *meta = StreamPageGetMeta(metapage);
	OffsetNumber first;
	char	   *ptr = items->data;

	START_CRIT_SECTION();
	if (init)
		StreamInitDataPage(page);
	first = OffsetNumberNext(PageGetMaxOffsetNumber(page));
	for (int i = 0; i < nitems; i++)
	{
		uint16		len;

		memcpy(&len, ptr, sizeof(uint16));
		ptr += sizeof(uint16);
		if (PageAddItem(page, (Item) ptr, len, InvalidOffsetNumber,
						false, false) != first + i)
			elog(PANIC, "failed to add item to stream segment \"%s\"",
				 RelationGetRelationName(rel));
		ptr += len;
	}
	meta->last_block = BufferGetBlockNumber(buffer);
	if (meta->first_arrival == 0)
		meta->first_arrival = arrival;
	meta->last_arrival = arrival;
	meta->record_count += nheads;
	MarkBufferDirty(buffer);
	MarkBufferDirty(metabuf);

	if (RelationNeedsWAL(rel))
	{
		xl_stream_append xlrec;
		xl_stream_meta_update update;
		XLogRecPtr	recptr;
		int			regflags = REGBUF_STANDARD | (init ? REGBUF_WILL_INIT : 0);
		xl_stream_decode decode;

		xlrec.first_offset = first;
		xlrec.nitems = nitems;
		/* zeroed: the struct has padding, which would go to WAL as it was */
		memset(&update, 0, sizeof(update));
		update.last_block = meta->last_block;
		update.first_arrival = meta->first_arrival;
		update.last_arrival = meta->last_arrival;
		update.record_count = meta->record_count;

		XLogBeginInsert();
		XLogRegisterData((char *) &xlrec, sizeof(xlrec));
		if (decode_tag != NULL && XLogLogicalInfoActive())
		{
			/*
			 * For logical decoding: the segment and the tag, the items even
			 * when the page goes as a full-page image, and the origin
			 */
			memset(&decode, 0, sizeof(decode));
			decode.segment_no = segment_no;
			decode.tag_len = decode_tag->len;
			XLogRegisterData((char *) &decode, sizeof(decode));
			XLogRegisterData(decode_tag->data, decode_tag->len);
			regflags |= REGBUF_KEEP_DATA;
			XLogSetRecordFlags(XLOG_INCLUDE_ORIGIN);
		}
		XLogRegisterBuffer(0, buffer, regflags);
		XLogRegisterBufData(0, items->data, items->len);
		XLogRegisterBuffer(1, metabuf, REGBUF_STANDARD);
		XLogRegisterBufData(1, (char *) &update, sizeof(update));
		recptr = XLogInsert(RM_STREAM_ID,
							XLOG_STREAM_APPEND | (init ? XLOG_STREAM_INIT_PAGE : 0));
		PageSetLSN(page, recptr);
		PageSetLSN(metapage, recptr);
	}
	END_CRIT_SECTION();
	return first;
}

/* Starts an item in the buffer: its length, then its bytes. */
static void
BeginItem(StringInfo items, Size len)
{
	uint16		len16 = (uint16) len;

	Assert(len <= STREAM_PAGE_ITEM_SPACE);
	appendBinaryStringInfo(items, (char *) &len16, sizeof(uint16));
}

/* A hash key as the big-endian bytes of a record header */
static void
HashKeyToBytes(uint128 key, uint8 *bytes)
{
	for (int i = 15; i >= 0; i--)
	{
		bytes[i] = (uint8) (key & 0xFF);
		key >>= 8;
	}
}

static uint128
HashKeyFromBytes(const uint8 *bytes)
{
	uint128		key = 0;

	for (int i = 0; i < 16; i++)
		key = (key << 8) | bytes[i];
	return key;
}

static void
AppendHead(StringInfo items, StreamAppendRecord *rec, TransactionId xid,
		   TimestampTz arrival, int data_part)
{
	StreamRecordHeader header;

	memset(&header, 0, sizeof(header));
	header.flags = STREAM_ITEM_HEAD | (rec->encrypted ? STREAM_ITEM_ENCRYPTED : 0);
	header.key_len = rec->key_len;
	header.xmin = xid;
	header.data_len = rec->data_len;
	header.arrival = arrival;
	HashKeyToBytes(rec->hash_key, header.hash_key);

	BeginItem(items, sizeof(header) + rec->key_len + data_part);
	appendBinaryStringInfo(items, (char *) &header, sizeof(header));
	appendBinaryStringInfo(items, rec->key, rec->key_len);
	appendBinaryStringInfo(items, rec->data, data_part);
}

static Size
PageRoom(Buffer buffer)
{
	PageHeader	ph = (PageHeader) BufferGetPage(buffer);

	return ph->pd_upper - ph->pd_lower;
}

/* Room a whole record takes on a page, with its line pointer */
static Size
RecordFootprint(StreamAppendRecord *rec)
{
	return MAXALIGN(sizeof(StreamRecordHeader) + rec->key_len + rec->data_len) +
		sizeof(ItemIdData);
}

static void
CheckRecordSize(StreamAppendRecord *rec)
{
	if (rec->key_len > STREAM_LOG_MAX_KEY_BYTES ||
		(int64) rec->key_len + rec->data_len > STREAM_LOG_MAX_RECORD_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("record of %lld bytes is too large for stream storage",
						(long long) rec->key_len + rec->data_len)));
}

/* Whether a whole record fits on a page, or needs continuation chunks */
static bool
RecordFitsPage(StreamAppendRecord *rec)
{
	return sizeof(StreamRecordHeader) + rec->key_len + rec->data_len <=
		MAXALIGN_DOWN(STREAM_PAGE_ITEM_SPACE);
}

/*
 * Writes a record too large for a page: its head on the fresh page the
 * caller extended the segment by, then its chunks, one on each page that
 * follows.  Returns the buffer of the last chunk, exclusively locked: later
 * records may go on that page.
 */
static Buffer
WriteLargeRecord(Relation rel, int32 segment_no, Buffer metabuf, Buffer buffer,
				 StreamAppendRecord *rec, TransactionId xid,
				 TimestampTz arrival, StringInfo items, StringInfo decode_tag)
{
	int			part = MAXALIGN_DOWN(STREAM_PAGE_ITEM_SPACE) -
		sizeof(StreamRecordHeader) - rec->key_len;

	if (rec->prepare)
		rec->prepare(rec, segment_no, BufferGetBlockNumber(buffer), FirstOffsetNumber,
					 arrival);
	resetStringInfo(items);
	AppendHead(items, rec, xid, arrival, part);
	rec->offset = WriteItems(rel, metabuf, buffer, true, items, 1, 1, arrival,
							 segment_no, decode_tag);
	rec->block = BufferGetBlockNumber(buffer);
	rec->arrival = arrival;

	for (int done = part; done < rec->data_len;)
	{
		StreamChunkHeader chunk;
		int			len = Min(rec->data_len - done, (int) STREAM_MAX_CHUNK_DATA);

		CHECK_FOR_INTERRUPTS();
		UnlockReleaseBuffer(buffer);
		buffer = ExtendSegment(rel);
		memset(&chunk, 0, sizeof(chunk));
		chunk.flags = STREAM_ITEM_CHUNK;
		resetStringInfo(items);
		BeginItem(items, sizeof(chunk) + len);
		appendBinaryStringInfo(items, (char *) &chunk, sizeof(chunk));
		appendBinaryStringInfo(items, rec->data + done, len);
		WriteItems(rel, metabuf, buffer, true, items, 1, 0, arrival,
				   segment_no, decode_tag);
		done += len;
	}
	return buffer;
}

/*
 * The meta page of a segment to write to (written first if the segment has
 * none yet), exclusively locked: its holder owns the end of the log.
 */
static StreamMetaData *
LockMetaForAppend(Relation rel, int32 segment_no, Buffer *metabuf)
{
	StreamMetaData *meta;

	*metabuf = ReadMetaBuffer(rel, segment_no);
	LockBuffer(*metabuf, BUFFER_LOCK_EXCLUSIVE);
	StreamCheckMetaPage(rel, BufferGetPage(*metabuf));
	meta = StreamPageGetMeta(BufferGetPage(*metabuf));
	if (meta->segment_no != segment_no)
		elog(ERROR, "stream segment \"%s\" has number %d, expected %d",
			 RelationGetRelationName(rel), meta->segment_no, segment_no);
	return meta;
}

/* Seals the segment whose meta buffer the caller holds exclusively locked. */
static void
SealLocked(Relation rel, Buffer metabuf)
{
	Page		metapage = BufferGetPage(metabuf);

	START_CRIT_SECTION();
	StreamPageGetMeta(metapage)->flags |= STREAM_META_SEALED;
	MarkBufferDirty(metabuf);
	if (RelationNeedsWAL(rel))
	{
		XLogRecPtr	recptr;

		XLogBeginInsert();
		XLogRegisterBuffer(0, metabuf, REGBUF_STANDARD);
		recptr = XLogInsert(RM_STREAM_ID, XLOG_STREAM_SEAL);
		PageSetLSN(metapage, recptr);
	}
	END_CRIT_SECTION();
}


/* Whether a segment takes no more records; an empty one is not sealed. */
bool
StreamLogIsSealed(Relation rel)
{
	StreamMetaData meta;

	return StreamLogReadMeta(rel, &meta) && (meta.flags & STREAM_META_SEALED);
}

/* Whether a segment is full or old enough to close, by the policy. */
static bool
SegmentIsDue(StreamMetaData *meta, const StreamSealPolicy *policy,
			 TimestampTz now)
{
	if (policy == NULL || !policy->may_seal || meta->record_count == 0)
		return false;
	return meta->last_block >= policy->max_blocks ||
		(policy->max_age > 0 && now - meta->first_arrival > policy->max_age);
}

/*
 * Seals a segment so that its shard's writers move on to the next one: at
 * once without a policy, or only when the policy finds it full or old.
 * Returns false if it was sealed already, is empty or is not due.  The
 * caller makes sure that a next segment exists.
 */
bool
StreamLogSeal(Relation rel, const StreamSealPolicy *policy)
{
	Buffer		metabuf;
	StreamMetaData *meta;
	bool		sealed = false;

	StreamLogWalCheckRegistered();
	metabuf = ReadMetaBuffer(rel, 0);
	if (!BufferIsValid(metabuf))
		return false;			/* empty: nothing to close */
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	StreamCheckMetaPage(rel, BufferGetPage(metabuf));
	meta = StreamPageGetMeta(BufferGetPage(metabuf));
	if (!(meta->flags & STREAM_META_SEALED) &&
		(policy == NULL || SegmentIsDue(meta, policy, GetCurrentTimestamp())))
	{
		SealLocked(rel, metabuf);
		sealed = true;
	}
	UnlockReleaseBuffer(metabuf);
	return sealed;
}

/*
 * Appends records to a segment in the given order, in the current
 * transaction, and reports where each went.
 *
 * Appends nothing and returns STREAM_APPEND_SEALED when the segment is
 * sealed, or when the policy lets it seal a segment that is full or old,
 * which it then does: the caller goes on to the next segment.
 */
StreamAppendResult
StreamLogAppend(Relation rel, int32 segment_no, StreamAppendRecord *records,
				int nrecords, const StreamSealPolicy *policy, StringInfo decode_tag)
{
	TransactionId xid = GetCurrentTransactionId();
	Buffer		metabuf;
	Buffer		buffer = InvalidBuffer;
	StreamMetaData *meta;
	TimestampTz arrival;
	StringInfoData items;
	int			i = 0;

	StreamLogWalCheckRegistered();
	for (i = 0; i < nrecords; i++)
		CheckRecordSize(&records[i]);
	i = 0;

	initStringInfo(&items);
	meta = LockMetaForAppend(rel, segment_no, &metabuf);

	if (meta->flags & STREAM_META_SEALED)
	{
		UnlockReleaseBuffer(metabuf);
		return STREAM_APPEND_SEALED;
	}
	if (SegmentIsDue(meta, policy, GetCurrentTimestamp()))
	{
		SealLocked(rel, metabuf);
		UnlockReleaseBuffer(metabuf);
		return STREAM_APPEND_SEALED;
	}

	/* arrival times never go backwards within a segment */
	arrival = Max(GetCurrentTimestamp(), meta->last_arrival);

	if (meta->last_block != 0)
	{
		buffer = ReadBuffer(rel, meta->last_block);
		LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
	}

	while (i < nrecords)
	{
		StreamAppendRecord *rec = &records[i];
		bool		init = false;

		resetStringInfo(&items);
		if (RecordFitsPage(rec))
		{
			/* whole records: as many as fit on the last page, or a new one */
			Size		room;
			int			n = 0;
			OffsetNumber first;

			if (!BufferIsValid(buffer) || PageRoom(buffer) < RecordFootprint(rec))
			{
				if (BufferIsValid(buffer))
					UnlockReleaseBuffer(buffer);
				buffer = ExtendSegment(rel);
				init = true;
				room = BLCKSZ - SizeOfPageHeaderData;
			}
			else
				room = PageRoom(buffer);

			first = init ? FirstOffsetNumber :
				OffsetNumberNext(PageGetMaxOffsetNumber(BufferGetPage(buffer)));
			while (i + n < nrecords && RecordFitsPage(&records[i + n]) &&
				   RecordFootprint(&records[i + n]) <= room)
			{
				room -= RecordFootprint(&records[i + n]);
				if (records[i + n].prepare)
					records[i + n].prepare(&records[i + n], segment_no,
										   BufferGetBlockNumber(buffer), first + n,
										   arrival);
				AppendHead(&items, &records[i + n], xid, arrival,
						   records[i + n].data_len);
				n++;
			}
			{
				if (WriteItems(rel, metabuf, buffer, init, &items, n, n,
							   arrival, segment_no, decode_tag) != first)
					elog(ERROR, "stream segment \"%s\" changed under its append",
						 RelationGetRelationName(rel));
				for (int k = 0; k < n; k++)
				{
					records[i + k].block = BufferGetBlockNumber(buffer);
					records[i + k].offset = first + k;
					records[i + k].arrival = arrival;
				}
			}
			i += n;
		}
		else
		{
			/* a large record: a head on a fresh page, then chunks */
			if (BufferIsValid(buffer))
				UnlockReleaseBuffer(buffer);
			buffer = WriteLargeRecord(rel, segment_no, metabuf, ExtendSegment(rel),
									  rec, xid, arrival, &items, decode_tag);
			i++;
		}
	}

	if (BufferIsValid(buffer))
		UnlockReleaseBuffer(buffer);
	UnlockReleaseBuffer(metabuf);
	pfree(items.data);
	return STREAM_APPEND_DONE;
}

/*----------
 * Restoring
 *----------
 */

/* A filler: an item of no record, which readers skip like a chunk */
static void
AppendFiller(StringInfo items)
{
	StreamChunkHeader filler;

	memset(&filler, 0, sizeof(filler));
	filler.flags = STREAM_ITEM_FILLER;
	BeginItem(items, sizeof(filler));
	appendBinaryStringInfo(items, (char *) &filler, sizeof(filler));
}

#define FILLER_FOOTPRINT (MAXALIGN(sizeof(StreamChunkHeader)) + sizeof(ItemIdData))

/* Extends the segment by the block that must come next, exclusively locked. */
static Buffer
ExtendSegmentTo(Relation rel, BlockNumber block)
{
	Buffer		buffer = ExtendSegment(rel);

	if (BufferGetBlockNumber(buffer) != block)
	{
		BlockNumber got = BufferGetBlockNumber(buffer);

		UnlockReleaseBuffer(buffer);
		elog(ERROR, "stream segment \"%s\" was extended by block %u, expected %u",
			 RelationGetRelationName(rel), got, block);
	}
	return buffer;
}

/*
 * Puts a record back at the address it had, with the arrival time it had,
 * for a restore (src/kinesis/backup.c), which gives a segment's records in
 * the order of their addresses.  The places of the records that a dump did
 * not hold (their writers had aborted, or had not committed when it began)
 * are kept by fillers, so that every record keeps its sequence number.  A
 * filler is smaller than any record, so a record fits where it was as long
 * as pages are as large as where it was dumped (the dump checks BLCKSZ).
 */
void
StreamLogPlace(Relation rel, int32 segment_no, StreamAppendRecord *rec)
{
	TransactionId xid = GetCurrentTransactionId();
	Buffer		metabuf;
	Buffer		buffer = InvalidBuffer;
	StreamMetaData *meta;
	BlockNumber end_block;
	OffsetNumber end_offset = InvalidOffsetNumber;
	bool		large = !RecordFitsPage(rec);
	StringInfoData items;

	StreamLogWalCheckRegistered();
	CheckRecordSize(rec);
	/* its bytes are put back as they were dumped, encrypted or not */
	Assert(rec->prepare == NULL);
	meta = LockMetaForAppend(rel, segment_no, &metabuf);

	/* the end of the log: its last page and item */
	end_block = meta->last_block;
	if (end_block != 0)
	{
		buffer = ReadBuffer(rel, end_block);
		LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
		end_offset = PageGetMaxOffsetNumber(BufferGetPage(buffer));
	}

	/* records come in order, past the end; a large one starts a page */
	if ((meta->flags & STREAM_META_SEALED) ||
		rec->block < 1 || rec->block >= STREAM_MAX_SEGMENT_BLOCKS ||
		rec->offset < FirstOffsetNumber || rec->offset > MaxOffsetNumber ||
		rec->block < end_block ||
		(rec->block == end_block && (large || rec->offset <= end_offset)) ||
		(large && rec->offset != FirstOffsetNumber) ||
		rec->arrival < meta->last_arrival)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("cannot restore a record at %u/%u of stream segment \"%s\"",
						rec->block, rec->offset, RelationGetRelationName(rel)),
				 errdetail("The segment %s at %u/%u; a restore gives its records in the order of their sequence numbers and arrival times.",
						   (meta->flags & STREAM_META_SEALED) ? "is sealed" : "ends",
						   end_block, end_offset)));

	initStringInfo(&items);

	/* the pages before the record's that held none of the dump: a filler each */
	while (end_block + 1 < rec->block)
	{
		CHECK_FOR_INTERRUPTS();
		if (BufferIsValid(buffer))
			UnlockReleaseBuffer(buffer);
		end_block++;
		buffer = ExtendSegmentTo(rel, end_block);
		resetStringInfo(&items);
		AppendFiller(&items);
		WriteItems(rel, metabuf, buffer, true, &items, 1, 0, rec->arrival,
				   segment_no, NULL);
	}

	if (large)
	{
		if (BufferIsValid(buffer))
			UnlockReleaseBuffer(buffer);
		buffer = WriteLargeRecord(rel, segment_no, metabuf,
								  ExtendSegmentTo(rel, rec->block),
								  rec, xid, rec->arrival, &items, NULL);
	}
	else
	{
		bool		init = rec->block > end_block;
		OffsetNumber off = init ? FirstOffsetNumber : end_offset + 1;
		Size		room;
		int			nitems = 0;

		if (init)
		{
			if (BufferIsValid(buffer))
				UnlockReleaseBuffer(buffer);
			buffer = ExtendSegmentTo(rel, rec->block);
			room = BLCKSZ - SizeOfPageHeaderData;
		}
		else
			room = PageRoom(buffer);

		resetStringInfo(&items);
		for (; off < rec->offset; off++, nitems++)
			AppendFiller(&items);
		AppendHead(&items, rec, xid, rec->arrival, rec->data_len);
		nitems++;
		if ((Size) (nitems - 1) * FILLER_FOOTPRINT + RecordFootprint(rec) > room)
		{
			UnlockReleaseBuffer(buffer);
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("record at %u/%u of stream segment \"%s\" does not fit where it was",
							rec->block, rec->offset, RelationGetRelationName(rel)),
					 errdetail("A page has %zu bytes left for it and the places before it.",
							   room)));
		}
		WriteItems(rel, metabuf, buffer, init, &items, nitems, 1, rec->arrival,
				   segment_no, NULL);
	}

	UnlockReleaseBuffer(buffer);
	UnlockReleaseBuffer(metabuf);
	pfree(items.data);
}

/*
 * Seals a restored segment that was sealed, even if none of its records
 * came back: left open behind the next segment, it would take new records
 * with sequence numbers below those of the next.
 */
void
StreamLogSealRestored(Relation rel, int32 segment_no)
{
	Buffer		metabuf;

	StreamLogWalCheckRegistered();
	if (!(LockMetaForAppend(rel, segment_no, &metabuf)->flags & STREAM_META_SEALED))
		SealLocked(rel, metabuf);
	UnlockReleaseBuffer(metabuf);
}

/*----------
 * Reading
 *----------
 */

void
StreamLogReaderBegin(StreamLogReader *reader, Relation rel, BlockNumber block,
					 OffsetNumber offset, Snapshot snapshot)
{
	StreamMetaData meta;

	reader->rel = rel;
	reader->snapshot = snapshot;
	reader->buffer = InvalidBuffer;
	reader->last_block = StreamLogReadMeta(rel, &meta) ? meta.last_block : 0;
	reader->segment_no = meta.segment_no;
	if (block < 1)
	{
		block = 1;
		offset = FirstOffsetNumber;
	}
	reader->block = block;
	reader->offset = Max(offset, FirstOffsetNumber);
}

/* Lets go of the current page; the position is kept. */
void
StreamLogReaderRelease(StreamLogReader *reader)
{
	if (BufferIsValid(reader->buffer))
		UnlockReleaseBuffer(reader->buffer);
	reader->buffer = InvalidBuffer;
}

void
StreamLogReaderEnd(StreamLogReader *reader)
{
	StreamLogReaderRelease(reader);
}

/*
 * Reads the continuation chunks of the record whose head is at head/off into
 * data, after the done bytes that the head held.  The chunks are on the
 * blocks that follow, one each; a chunk missing or damaged is the record's
 * damage.
 */
static void
ReadChunks(Relation rel, BlockNumber head, OffsetNumber off, char *data,
		   int done, int total)
{
	BlockNumber block = head;

	while (done < total)
	{
		Buffer		buffer;
		Page		page;
		StreamChunkHeader *chunk;
		int			len;

		block++;
		if (block >= RelationGetNumberOfBlocks(rel))
			StreamCorruptItem(rel, head, off);
		buffer = ReadBuffer(rel, block);
		LockBuffer(buffer, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buffer);
		if (PageIsNew(page) || PageGetMaxOffsetNumber(page) < FirstOffsetNumber)
		{
			UnlockReleaseBuffer(buffer);
			StreamCorruptItem(rel, head, off);
		}
		chunk = (StreamChunkHeader *) StreamPageGetItem(rel, page, block,
														FirstOffsetNumber);
		len = ItemIdGetLength(PageGetItemId(page, FirstOffsetNumber)) -
			sizeof(StreamChunkHeader);
		if (!(chunk->flags & STREAM_ITEM_CHUNK) || len <= 0 || done + len > total)
		{
			UnlockReleaseBuffer(buffer);
			StreamCorruptItem(rel, head, off);
		}
		memcpy(data + done, (char *) chunk + sizeof(StreamChunkHeader), len);
		done += len;
		UnlockReleaseBuffer(buffer);
	}
}

/*
 * The item at an offset of a data page, a record head or a continuation
 * chunk as its flags say, checked to be long enough for the header they say
 * it has: a damaged page must raise an error, not make its readers run past
 * the item.  StreamLogReadBody checks the lengths in a head.
 */
StreamRecordHeader *
StreamPageGetItem(Relation rel, Page page, BlockNumber block, OffsetNumber off)
{
	ItemId		itemid = PageGetItemId(page, off);
	StreamRecordHeader *header;
	Size		len = ItemIdGetLength(itemid);

	if (!ItemIdIsNormal(itemid) || len < sizeof(StreamChunkHeader))
		StreamCorruptItem(rel, block, off);
	header = (StreamRecordHeader *) PageGetItem(page, itemid);
	if ((header->flags & STREAM_ITEM_HEAD) && len < sizeof(StreamRecordHeader))
		StreamCorruptItem(rel, block, off);
	return header;
}

void
StreamCorruptItem(Relation rel, BlockNumber block, OffsetNumber off)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("stream record at %u/%u of \"%s\" is corrupt",
					block, off, RelationGetRelationName(rel))));
}

/*
 * Copies the partition key and data of the record StreamLogReadNext just
 * returned (the reader still holds its page) into palloc'd varlenas.
 */
void
StreamLogReadBody(StreamLogReader *reader, StreamRecord *record)
{
	StreamRecordHeader *header = reader->head;
	char	   *body = (char *) header + sizeof(StreamRecordHeader);
	int			here = (int) reader->head_len -
		(int) sizeof(StreamRecordHeader) - header->key_len;

	Assert(BufferIsValid(reader->buffer) && record->block == reader->block);
	if (here < 0 || here > (int) header->data_len ||
		header->data_len > STREAM_LOG_MAX_RECORD_BYTES - header->key_len)
		StreamCorruptItem(reader->rel, record->block, record->offset);

	/*
	 * The rest of the data is in chunks on the blocks that follow, one per
	 * block: a data length that needs more blocks than the segment has is
	 * damage, found before allocating for it.
	 */
	if (here < (int) header->data_len)
	{
		int64		chunks = ((int64) header->data_len - here +
							  STREAM_MAX_CHUNK_DATA - 1) / STREAM_MAX_CHUNK_DATA;

		if (record->block + chunks >= RelationGetNumberOfBlocks(reader->rel))
			StreamCorruptItem(reader->rel, record->block, record->offset);
	}
	record->key = palloc(VARHDRSZ + header->key_len);
	SET_VARSIZE(record->key, VARHDRSZ + header->key_len);
	memcpy(VARDATA(record->key), body, header->key_len);
	record->data = palloc(VARHDRSZ + header->data_len);
	SET_VARSIZE(record->data, VARHDRSZ + header->data_len);
	memcpy(VARDATA(record->data), body + header->key_len, here);
	if (here < (int) header->data_len)
		ReadChunks(reader->rel, record->block, record->offset,
				   VARDATA(record->data), here, header->data_len);
}

/*
 * Moves to the next record that the reader's rule lets it return.  On
 * STREAM_READ_RECORD the record's position and header are filled in (its key
 * and data only by StreamLogReadBody, for callers that take the record) and
 * the position moves past it;
 * on STREAM_READ_IN_PROGRESS the position is the record being waited for; on
 * STREAM_READ_END it is just past the last item present, which is where the
 * next append will land.
 */
StreamReadResult
StreamLogReadNext(StreamLogReader *reader, StreamRecord *record)
{
	for (;;)
	{
		Page		page;
		OffsetNumber maxoff;

		if (reader->block > reader->last_block)
		{
			StreamLogReaderRelease(reader);
			return STREAM_READ_END;
		}
		if (!BufferIsValid(reader->buffer))
		{
			CHECK_FOR_INTERRUPTS();
			reader->buffer = ReadBuffer(reader->rel, reader->block);
			LockBuffer(reader->buffer, BUFFER_LOCK_SHARE);
		}
		page = BufferGetPage(reader->buffer);
		maxoff = PageIsNew(page) ? InvalidOffsetNumber : PageGetMaxOffsetNumber(page);

		while (reader->offset <= maxoff)
		{
			ItemId		itemid = PageGetItemId(page, reader->offset);
			StreamRecordHeader *header;

			header = StreamPageGetItem(reader->rel, page, reader->block,
									   reader->offset);
			if (!(header->flags & STREAM_ITEM_HEAD))
			{
				reader->offset++;
				continue;
			}
			switch (StreamRecordVisibility(reader->buffer, header,
										   reader->snapshot))
			{
				case STREAM_WRITER_IN_PROGRESS:
					StreamLogReaderRelease(reader);
					return STREAM_READ_IN_PROGRESS;
				case STREAM_INVISIBLE:
					reader->offset++;
					continue;
				case STREAM_VISIBLE:
					record->block = reader->block;
					record->offset = reader->offset;
					record->xmin = header->xmin;
					record->arrival = header->arrival;
					record->hash_key = HashKeyFromBytes(header->hash_key);
					record->encrypted = (header->flags & STREAM_ITEM_ENCRYPTED) != 0;
					record->key_len = header->key_len;
					record->data_len = header->data_len;
					record->key = NULL;
					record->data = NULL;
					reader->head = header;
					reader->head_len = ItemIdGetLength(itemid);
					reader->offset++;
					return STREAM_READ_RECORD;
			}
		}

		if (reader->block == reader->last_block)
		{
			/* stay just past the last item: later appends land there */
			reader->offset = maxoff + 1;
			StreamLogReaderRelease(reader);
			return STREAM_READ_END;
		}
		StreamLogReaderRelease(reader);
		reader->block++;
		reader->offset = FirstOffsetNumber;
	}
}

/* The position where the next record appended to the segment will be. */
void
StreamLogEndPosition(Relation rel, BlockNumber *block, OffsetNumber *offset)
{
	StreamMetaData meta;
	Buffer		buffer;
	Page		page;

	if (!StreamLogReadMeta(rel, &meta) || meta.last_block == 0)
	{
		*block = 1;
		*offset = FirstOffsetNumber;
		return;
	}
	buffer = ReadBuffer(rel, meta.last_block);
	LockBuffer(buffer, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buffer);
	*block = meta.last_block;
	*offset = OffsetNumberNext(PageGetMaxOffsetNumber(page));
	UnlockReleaseBuffer(buffer);
}

/*
 * The first record head on a block that arrived at or after ts (the first
 * of all with DT_NOBEGIN): its offset and arrival time.  False when there is
 * none: every head on the block is older, or it holds only a continuation
 * chunk, or it was never written.
 */
static bool
FindHeadInBlock(Relation rel, BlockNumber block, TimestampTz ts,
				OffsetNumber *offset, TimestampTz *arrival)
{
	Buffer		buffer = ReadBuffer(rel, block);
	Page		page;
	bool		found = false;

	LockBuffer(buffer, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buffer);
	if (!PageIsNew(page))
	{
		for (OffsetNumber off = FirstOffsetNumber;
			 off <= PageGetMaxOffsetNumber(page) && !found; off++)
		{
			StreamRecordHeader *header = StreamPageGetItem(rel, page, block, off);

			if ((header->flags & STREAM_ITEM_HEAD) && header->arrival >= ts)
			{
				*offset = off;
				*arrival = header->arrival;
				found = true;
			}
		}
	}
	UnlockReleaseBuffer(buffer);
	return found;
}

/*
 * The position of the first record that arrived at or after ts, or the end
 * position when none did.  Arrival times never decrease within a segment, so
 * a binary search over blocks finds the neighbourhood.
 */
void
StreamLogFindTime(Relation rel, TimestampTz ts, BlockNumber *block,
				  OffsetNumber *offset)
{
	StreamMetaData meta;
	BlockNumber lo,
				hi;
	BlockNumber start;

	if (!StreamLogReadMeta(rel, &meta) || meta.last_block == 0 ||
		meta.last_arrival < ts)
	{
		StreamLogEndPosition(rel, block, offset);
		return;
	}

	/* smallest block whose first head (looking forward) arrived at or after ts */
	lo = 1;
	hi = meta.last_block + 1;
	while (lo < hi)
	{
		BlockNumber mid = lo + (hi - lo) / 2;
		BlockNumber probe = mid;
		OffsetNumber off;
		TimestampTz arrival = 0;
		bool		found = false;

		while (probe <= meta.last_block &&
			   !(found = FindHeadInBlock(rel, probe, DT_NOBEGIN, &off, &arrival)))
			probe++;
		if (!found || arrival >= ts)
			hi = mid;
		else
			lo = probe + 1;
	}

	/* the answer is in the block before lo or later: scan heads forward */
	for (start = Max(lo, 2) - 1; start <= meta.last_block; start++)
	{
		TimestampTz arrival;

		if (FindHeadInBlock(rel, start, ts, offset, &arrival))
		{
			*block = start;
			return;
		}
	}
	StreamLogEndPosition(rel, block, offset);
}
