/*-------------------------------------------------------------------------
 *
 * visibility.c
 *	  The visibility rule of stream readers.
 *
 * A record is readable once its writer has committed, never if the writer
 * aborted, and a reader stops before the first record whose writer is still
 * in progress: sequence numbers are handed out in append order, not commit
 * order, so returning a later record first would let a consumer that resumes
 * after it skip the earlier one for good.  No snapshot is used for stream
 * reads for the same reason.
 *
 * The answer is cached in hint flags on the record, as heap does with
 * t_infomask, so the commit log is consulted once per record.  Plain SQL
 * scans of a segment relation use their MVCC snapshot instead.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "storage/bufmgr.h"
#include "storage/procarray.h"
#include "utils/snapmgr.h"

#include "log/visibility.h"

/*
 * Sets a hint flag.  A commit hint must not reach disk before the commit
 * record does (asynchronous commit), or a crash could leave a record marked
 * committed whose transaction never was; heap's SetHintBits has the same
 * rule.
 */
static void
SetRecordHint(Buffer buffer, StreamRecordHeader *header, uint16 flag)
{
	if (flag == STREAM_XMIN_COMMITTED && BufferIsPermanent(buffer))
	{
		XLogRecPtr	commit_lsn = TransactionIdGetCommitLSN(header->xmin);

		if (XLogNeedsFlush(commit_lsn) &&
			BufferGetLSNAtomic(buffer) < commit_lsn)
			return;
	}
	header->flags |= flag;
	MarkBufferDirtyHint(buffer, true);
}

/*
 * Resolves the writer of a record against the commit log, caching the answer.
 * Returns STREAM_WRITER_IN_PROGRESS while the writer has not finished; our own
 * transaction's records count as committed, as heap's own writes do.
 */
static StreamVisibility
ResolveWriter(Buffer buffer, StreamRecordHeader *header)
{
	TransactionId xmin = header->xmin;

	if (header->flags & STREAM_XMIN_ABORTED)
		return STREAM_INVISIBLE;
	if (header->flags & (STREAM_XMIN_COMMITTED | STREAM_XMIN_FROZEN))
		return STREAM_VISIBLE;
	if (TransactionIdIsCurrentTransactionId(xmin))
		return STREAM_VISIBLE;
	if (TransactionIdIsInProgress(xmin))
		return STREAM_WRITER_IN_PROGRESS;
	if (TransactionIdDidCommit(xmin))
	{
		SetRecordHint(buffer, header, STREAM_XMIN_COMMITTED);
		return STREAM_VISIBLE;
	}
	/* aborted, or in progress when the server crashed */
	SetRecordHint(buffer, header, STREAM_XMIN_ABORTED);
	return STREAM_INVISIBLE;
}

/*
 * Decides whether a record is returned.  With snapshot NULL this is the stream
 * rule above; with an MVCC snapshot, what a SQL query of the segment sees.
 * The caller holds at least a share lock on the buffer.
 */
StreamVisibility
StreamRecordVisibility(Buffer buffer, StreamRecordHeader *header,
					   Snapshot snapshot)
{
	StreamVisibility writer;

	if (snapshot == NULL)
		return ResolveWriter(buffer, header);

	if (snapshot->snapshot_type == SNAPSHOT_ANY)
		return STREAM_VISIBLE;

	if (header->flags & STREAM_XMIN_FROZEN)
		return (header->flags & STREAM_XMIN_ABORTED) ?
			STREAM_INVISIBLE : STREAM_VISIBLE;
	if (TransactionIdIsCurrentTransactionId(header->xmin))
		return STREAM_VISIBLE;
	if (snapshot->snapshot_type == SNAPSHOT_MVCC &&
		XidInMVCCSnapshot(header->xmin, snapshot))
		return STREAM_INVISIBLE;
	writer = ResolveWriter(buffer, header);
	return writer == STREAM_VISIBLE ? STREAM_VISIBLE : STREAM_INVISIBLE;
}

/*
 * Computes the flags that freeze a record: its writer resolved for good, in a
 * change that the caller WAL-logs, so that its xid is never looked up again
 * and relfrozenxid can pass it.  An aborted record is frozen too, since the
 * abort hint a reader set was never logged.  Returns the flags unchanged
 * when already frozen, and while the writer is not older than horizon (the
 * oldest xmin of any snapshot): a frozen record is visible to every
 * snapshot, so one that a snapshot still taken before its commit would
 * hide must wait.
 */
uint16
StreamRecordFreezeFlags(const StreamRecordHeader *header, TransactionId horizon)
{
	uint16		flags = header->flags;

	if (flags & STREAM_XMIN_FROZEN)
		return flags;
	if (!TransactionIdPrecedes(header->xmin, horizon))
		return flags;
	if (!(flags & (STREAM_XMIN_COMMITTED | STREAM_XMIN_ABORTED)))
	{
		if (TransactionIdIsInProgress(header->xmin))
			return flags;
		if (TransactionIdDidCommit(header->xmin))
			flags |= STREAM_XMIN_COMMITTED;
		else
			flags |= STREAM_XMIN_ABORTED;
	}
	return flags | STREAM_XMIN_FROZEN;
}
