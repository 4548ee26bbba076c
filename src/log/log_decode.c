/*-------------------------------------------------------------------------
 *
 * log_decode.c
 *	  The resource manager's rm_decode: the records of tagged APPENDs, whole,
 *	  to the layer above's callback, as PostgreSQL's logicalmsg_decode hands
 *	  messages to the reorder buffer.
 *
 * An APPEND of records that fit a page carries them whole.  A large record
 * goes as its head (key and the first part of its data) in one APPEND, then
 * one chunk per APPEND, all by one transaction holding the end of the log:
 * nothing else is appended to the segment in between.  The head and the
 * chunks so far are kept here, per segment, until the last chunk; a record
 * whose transaction stopped half way is forgotten at the segment's next
 * append by any other.  Chunks with no head before them (decoding started
 * after it) belong to a transaction decoding skips, and are passed over.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog_internal.h"
#include "replication/reorderbuffer.h"
#include "replication/snapbuild.h"
#include "storage/relfilenode.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "log/log_decode.h"
#include "log/log_page.h"
#include "log/log_wal.h"

static StreamLogDecodeCallback decode_callback = NULL;

/* A large record whose chunks are being decoded, per segment */
typedef struct PendingRecord
{
	RelFileNode node;			/* hash key: the segment's relation */
	TransactionId xid;
	int32		segment_no;
	StreamDecodedRecord record; /* key and data point to the copies below */
	char	   *key;
	char	   *data;
	int			have;			/* bytes of data so far */
	char	   *tag;
	int			tag_len;
} PendingRecord;

/*
 * The pending records of the decoding context that decodes now, in its
 * memory: they go with it, and a context made later starts afresh.
 */
static HTAB *pending = NULL;
static LogicalDecodingContext *pending_ctx = NULL;

/* Short-lived allocations of one WAL record's decoding */
static MemoryContext decode_cxt = NULL;

void
StreamLogSetDecodeCallback(StreamLogDecodeCallback callback)
{
	decode_callback = callback;
}

static void
ForgetPending(void *arg)
{
	if (arg == pending_ctx)
	{
		pending = NULL;
		pending_ctx = NULL;
	}
}

static HTAB *
PendingRecords(LogicalDecodingContext *ctx)
{
	if (pending_ctx != ctx)
	{
		HASHCTL		info;
		MemoryContextCallback *forget;

		memset(&info, 0, sizeof(info));
		info.keysize = sizeof(RelFileNode);
		info.entrysize = sizeof(PendingRecord);
		info.hcxt = ctx->context;
		pending = hash_create("stream records being decoded", 16, &info,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		pending_ctx = ctx;
		forget = MemoryContextAlloc(ctx->context, sizeof(MemoryContextCallback));
		forget->func = ForgetPending;
		forget->arg = ctx;
		MemoryContextRegisterResetCallback(ctx->context, forget);
	}
	return pending;
}

static void
DropPending(HTAB *table, PendingRecord *p)
{
	pfree(p->key);
	pfree(p->data);
	pfree(p->tag);
	hash_search(table, &p->node, HASH_REMOVE, NULL);
}

static void
Truncated(XLogReaderState *r)
{
	elog(ERROR, "stream APPEND record at %X/%X is truncated",
		 LSN_FORMAT_ARGS(r->ReadRecPtr));
}

/* Starts keeping a large record whose head was just decoded. */
static void
BeginPending(HTAB *table, RelFileNode *node, TransactionId xid,
			 int32 segment_no, const char *tag, int tag_len,
			 StreamDecodedRecord *head, const char *part, int part_len)
{
	MemoryContext old = MemoryContextSwitchTo(pending_ctx->context);
	PendingRecord *p = hash_search(table, node, HASH_ENTER, NULL);

	p->xid = xid;
	p->segment_no = segment_no;
	p->record = *head;
	p->key = palloc(Max(head->key_len, 1));
	memcpy(p->key, head->key, head->key_len);
	p->data = palloc(head->data_len);
	memcpy(p->data, part, part_len);
	p->have = part_len;
	p->tag = palloc(tag_len);
	memcpy(p->tag, tag, tag_len);
	p->tag_len = tag_len;
	p->record.key = p->key;
	p->record.data = p->data;
	MemoryContextSwitchTo(old);
}

void
StreamLogDecode(LogicalDecodingContext *ctx, XLogRecordBuffer *buf)
{
	XLogReaderState *r = buf->record;
	uint8		info = XLogRecGetInfo(r) & ~XLR_INFO_MASK;
	TransactionId xid = XLogRecGetXid(r);
	SnapBuild  *builder = ctx->snapshot_builder;
	xl_stream_append xlrec;
	xl_stream_decode decode;
	RelFileNode node;
	BlockNumber block;
	const char *tag;
	char	   *ptr;
	char	   *end;
	Size		len;
	HTAB	   *table;
	PendingRecord *p;
	StreamDecodedRecord *records;
	int			n = 0;
	MemoryContext old;

	ReorderBufferProcessXid(ctx->reorder, xid, buf->origptr);

	/* only appends with a tag: records of a stream whose feed is on */
	if ((info & 0x70) != XLOG_STREAM_APPEND || decode_callback == NULL ||
		XLogRecGetDataLen(r) < sizeof(xlrec) + sizeof(decode))
		return;
	if (SnapBuildCurrentState(builder) < SNAPBUILD_FULL_SNAPSHOT ||
		ctx->fast_forward)
		return;
	XLogRecGetBlockTag(r, 0, &node, NULL, &block);
	if (node.dbNode != ctx->slot->data.database)
		return;
	if (ctx->callbacks.filter_by_origin_cb != NULL &&
		filter_by_origin_cb_wrapper(ctx, XLogRecGetOrigin(r)))
		return;
	if (!SnapBuildProcessChange(builder, xid, buf->origptr))
		return;

	memcpy(&xlrec, XLogRecGetData(r), sizeof(xlrec));
	memcpy(&decode, XLogRecGetData(r) + sizeof(xlrec), sizeof(decode));
	if (XLogRecGetDataLen(r) != sizeof(xlrec) + sizeof(decode) + decode.tag_len)
		Truncated(r);
	tag = XLogRecGetData(r) + sizeof(xlrec) + sizeof(decode);
	ptr = XLogRecGetBlockData(r, 0, &len);
	if (ptr == NULL)
		Truncated(r);
	end = ptr + len;

	if (decode_cxt == NULL)
		decode_cxt = AllocSetContextCreate(TopMemoryContext, "stream decode",
										   ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(decode_cxt);
	records = palloc(sizeof(StreamDecodedRecord) * xlrec.nitems);

	table = PendingRecords(ctx);
	p = hash_search(table, &node, HASH_FIND, NULL);
	for (int i = 0; i < xlrec.nitems; i++)
	{
		uint16		item_len;
		uint16		flags;
		char	   *item;

		if (ptr + sizeof(uint16) > end)
			Truncated(r);
		memcpy(&item_len, ptr, sizeof(uint16));
		item = ptr + sizeof(uint16);
		ptr = item + item_len;
		if (ptr > end || item_len < sizeof(uint16))
			Truncated(r);
		memcpy(&flags, item, sizeof(uint16));

		if (flags & STREAM_ITEM_HEAD)
		{
			StreamRecordHeader header;
			StreamDecodedRecord *rec = &records[n];
			int			part;

			if (item_len < sizeof(header))
				Truncated(r);
			memcpy(&header, item, sizeof(header));
			part = item_len - (int) sizeof(header) - header.key_len;
			if (part < 0 || (uint32) part > header.data_len)
				Truncated(r);
			/* a record half written by a transaction that went away */
			if (p != NULL)
			{
				DropPending(table, p);
				p = NULL;
			}
			rec->block = block;
			rec->offset = xlrec.first_offset + i;
			rec->arrival = header.arrival;
			rec->encrypted = (header.flags & STREAM_ITEM_ENCRYPTED) != 0;
			rec->key = item + sizeof(header);
			rec->key_len = header.key_len;
			rec->data = rec->key + header.key_len;
			rec->data_len = header.data_len;
			if ((uint32) part == header.data_len)
				n++;
			else
				BeginPending(table, &node, xid, decode.segment_no, tag,
							 decode.tag_len, rec, rec->data, part);
		}
		else if (flags & STREAM_ITEM_CHUNK)
		{
			int			chunk_len = item_len - (int) sizeof(StreamChunkHeader);

			if (chunk_len < 0)
				Truncated(r);
			if (p != NULL &&
				(p->xid != xid || p->segment_no != decode.segment_no ||
				 p->have + chunk_len > p->record.data_len))
			{
				DropPending(table, p);
				p = NULL;
			}
			/*
			 * No head before it: decoding started after the head, in a
			 * transaction that began before the snapshot was built, which
			 * decoding skips as a whole
			 */
			if (p == NULL)
				continue;
			memcpy(p->data + p->have, item + sizeof(StreamChunkHeader), chunk_len);
			p->have += chunk_len;
			if (p->have == p->record.data_len)
			{
				decode_callback(ctx, xid, buf->endptr, p->tag, p->tag_len,
								p->segment_no, &p->record, 1);
				DropPending(table, p);
				p = NULL;
			}
		}
	}
	if (ptr != end)
		Truncated(r);
	if (n > 0)
		decode_callback(ctx, xid, buf->endptr, tag, decode.tag_len,
						decode.segment_no, records, n);
	MemoryContextSwitchTo(old);
	MemoryContextReset(decode_cxt);
}
