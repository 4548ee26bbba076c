/*-------------------------------------------------------------------------
 *
 * delivery.c
 *	  Deliveries to files, what Firehose does with S3: the directories they
 *	  may write, and each batch written as one file (sql/84_deliveries.sql;
 *	  the batches are sink.c's).
 *
 * A delivery to files is a way to write where the server can, so it is
 * confined: its directory lies under stream.delivery_directory (set in
 * postgresql.conf; unset, there are no file deliveries), named relative to
 * it or by a path that starts with it, and is walked one component at a
 * time with openat(O_NOFOLLOW): ".." and symbolic links are refused, so
 * no path leads out of it, whatever links someone puts there later.  Each
 * batch checks the directory again, and that the delivery's owner still may
 * write the server's files (pg_write_server_files).
 *
 * A batch is one file, laid out as Firehose lays out S3 objects:
 *
 *	<directory>/YYYY/MM/DD/HH/<delivery>-1-YYYY-MM-DD-HH-MM-SS-<shard id>-
 *		<first sequence number>-<last sequence number>.jsonl.gz
 *
 * the hour and time those of the batch's first record's arrival (UTC).  It
 * is written under a temporary name (a dot in front, ".tmp" behind),
 * fsynced, renamed, and the directory fsynced; then the worker commits the
 * position.  No partial file is ever visible under a final name.  If the
 * server stops between the rename and the commit, the next try of the batch
 * starts at the same record, so its file has the same name up to the first
 * sequence number, though it may end later (more records came): the try
 * removes every file and temporary file of that prefix but its own, so a
 * batch is in one file, once.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "access/xlog.h"
#include "catalog/pg_authid_d.h"
#include "common/file_perm.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "injection.h"
#include "kinesis/delivery.h"
#include "kinesis/kinesis.h"
#include "kinesis/names.h"

PG_FUNCTION_INFO_V1(stream_resolve_delivery_directory);

char	   *stream_delivery_directory = NULL;

void
DeliveryInit(void)
{
	DefineCustomStringVariable("stream.delivery_directory",
							   "Directory under which deliveries may write files.",
							   "Unset, there are no deliveries to files.",
							   &stream_delivery_directory, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
}

/* The delivery directory, resolved; ERROR when file deliveries are off. */
static char *
BaseDirectory(void)
{
	char	   *resolved;

	if (stream_delivery_directory == NULL || stream_delivery_directory[0] == '\0')
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("deliveries to files are off"),
				errhint("A superuser sets stream.delivery_directory in postgresql.conf."));
	resolved = realpath(stream_delivery_directory, NULL);
	if (resolved == NULL)
		ereport(ERROR,
				errcode_for_file_access(),
				errmsg("could not resolve stream.delivery_directory \"%s\": %m",
					   stream_delivery_directory));
	{
		char	   *copy = pstrdup(resolved);

		free(resolved);
		return copy;
	}
}

/*
 * The part of a target below the delivery directory: a relative path, or
 * an absolute one that starts with the directory (as set, or resolved).
 * Its components are checked: none is "..".
 */
static char *
RelativeTarget(const char *target, const char *base)
{
	const char *rest = target;
	char	   *copy;
	char	   *component;
	char	   *save;

	if (target[0] == '/')
	{
		const char *prefixes[2] = {base, stream_delivery_directory};

		rest = NULL;
		for (int i = 0; i < 2 && rest == NULL; i++)
		{
			size_t		len = strlen(prefixes[i]);

			while (len > 1 && prefixes[i][len - 1] == '/')
				len--;
			if (strncmp(target, prefixes[i], len) == 0 &&
				(target[len] == '/' || target[len] == '\0'))
				rest = target + len;
		}
		if (rest == NULL)
			ereport(ERROR,
					errkinesis(KINESIS_INVALID_ARGUMENT),
					errmsg("directory \"%s\" is not under stream.delivery_directory",
						   StreamQuote(target)),
					errhint("Deliveries write files under \"%s\" only.", base));
	}
	copy = pstrdup(rest);
	for (component = strtok_r(copy, "/", &save); component != NULL;
		 component = strtok_r(NULL, "/", &save))
		if (strcmp(component, "..") == 0)
			ereport(ERROR,
					errkinesis(KINESIS_INVALID_ARGUMENT),
					errmsg("directory \"%s\" leads out of stream.delivery_directory",
						   StreamQuote(target)),
					errhint("A delivery's directory has no \"..\" in it."));
	pfree(copy);
	return pstrdup(rest);
}

/*
 * Opens a directory below an open one, one component at a time, none a
 * symbolic link (O_NOFOLLOW), each made if missing (and its parent fsynced,
 * so that the new entry lasts).  "shown" names it in errors.  Takes the
 * descriptor it starts from (closes it), and returns the directory's.
 */
static int
OpenBelow(int dir_fd, const char *relative, const char *shown)
{
	char	   *copy = pstrdup(relative);
	char	   *component;
	char	   *save;
	int			fd = dir_fd;

	for (component = strtok_r(copy, "/", &save); component != NULL;
		 component = strtok_r(NULL, "/", &save))
	{
		int			next;
		bool		made = false;

		if (strcmp(component, ".") == 0)
			continue;
		if (mkdirat(fd, component, pg_dir_create_mode) == 0)
			made = true;
		else if (errno != EEXIST)
		{
			close(fd);
			ereport(ERROR,
					errcode_for_file_access(),
					errmsg("could not create directory \"%s\" in \"%s\": %m",
						   component, shown));
		}
		next = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (next < 0)
		{
			int			save_errno = errno;

			close(fd);
			errno = save_errno;
			if (errno == ELOOP || errno == ENOTDIR)
				ereport(ERROR,
						errkinesis(KINESIS_INVALID_ARGUMENT),
						errmsg("\"%s\" in directory \"%s\" is a symbolic link or not a directory",
							   component, shown),
						errhint("Deliveries follow no link under stream.delivery_directory."));
			ereport(ERROR,
					errcode_for_file_access(),
					errmsg("could not open directory \"%s\" in \"%s\": %m",
						   component, shown));
		}
		if (made && pg_fsync(fd) != 0)
		{
			close(fd);
			close(next);
			ereport(ERROR,
					errcode_for_file_access(),
					errmsg("could not fsync directory \"%s\": %m", shown));
		}
		close(fd);
		fd = next;
	}
	pfree(copy);
	return fd;
}

/*
 * Checks that a delivery's directory is this database's, marking it so if
 * it is no one's yet (the file .stream-database: the cluster's system
 * identifier and the database's oid).  Two databases delivering to one
 * directory would replace each other's files, taking them for earlier
 * tries of their own batches: a copy of a database (CREATE DATABASE ...
 * TEMPLATE, a restore into a second one) has the same deliveries.  Closes
 * the descriptor on error; returns it.
 */
static int
ClaimDirectory(int dir_fd, const char *shown)
{
	char		mine[64];
	char		found[64];
	int			fd;
	ssize_t		len;

	snprintf(mine, sizeof(mine), UINT64_FORMAT " %u\n", GetSystemIdentifier(),
			 MyDatabaseId);
	fd = openat(dir_fd, ".stream-database", O_RDONLY | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
	{
		fd = openat(dir_fd, ".stream-database", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
					pg_file_create_mode);
		if (fd >= 0)
		{
			bool		ok = write(fd, mine, strlen(mine)) == (ssize_t) strlen(mine) &&
				pg_fsync(fd) == 0 && pg_fsync(dir_fd) == 0;
			int			save_errno = errno;

			close(fd);
			if (!ok)
			{
				close(dir_fd);
				errno = save_errno;
				ereport(ERROR,
						errcode_for_file_access(),
						errmsg("could not write file \"%s/.stream-database\": %m", shown));
			}
			return dir_fd;
		}
		/* made by another worker meanwhile: read it */
		fd = openat(dir_fd, ".stream-database", O_RDONLY | O_NOFOLLOW);
	}
	if (fd < 0)
	{
		int			save_errno = errno;

		close(dir_fd);
		errno = save_errno;
		ereport(ERROR,
				errcode_for_file_access(),
				errmsg("could not open file \"%s/.stream-database\": %m", shown));
	}
	len = read(fd, found, sizeof(found) - 1);
	close(fd);
	found[Max(len, 0)] = '\0';
	if (strcmp(found, mine) != 0)
	{
		close(dir_fd);
		ereport(ERROR,
				errkinesis(KINESIS_RESOURCE_IN_USE),
				errmsg("directory \"%s\" belongs to the deliveries of another database",
					   shown),
				errhint("A database delivers to directories of its own: a copy of one needs new ones (or the file .stream-database removed, once the other stopped)."));
	}
	return dir_fd;
}

/* Opens a delivery's directory (and the path below it), made if missing. */
static int
OpenTargetDirectory(const char *target, const char *below, char **resolved)
{
	char	   *base = BaseDirectory();
	char	   *relative = RelativeTarget(target, base);
	int			base_fd;
	int			fd;

	base_fd = open(base, O_RDONLY | O_DIRECTORY);
	if (base_fd < 0)
		ereport(ERROR,
				errcode_for_file_access(),
				errmsg("could not open stream.delivery_directory \"%s\": %m", base));
	fd = ClaimDirectory(OpenBelow(base_fd, relative, target), target);
	if (strcmp(below, ".") != 0)
		fd = OpenBelow(fd, below, target);
	if (resolved != NULL)
	{
		StringInfoData path;
		char	   *copy = pstrdup(relative);
		char	   *component;
		char	   *save;

		initStringInfo(&path);
		appendStringInfoString(&path, base);
		for (component = strtok_r(copy, "/", &save); component != NULL;
			 component = strtok_r(NULL, "/", &save))
			if (strcmp(component, ".") != 0)
				appendStringInfo(&path, "/%s", component);
		*resolved = path.data;
	}
	return fd;
}

/*
 * stream_internal.delivery_directory(target text) RETURNS text
 *
 * For create_delivery: the directory of a delivery to files, made if
 * missing, as an absolute path under stream.delivery_directory resolved.
 */
Datum
stream_resolve_delivery_directory(PG_FUNCTION_ARGS)
{
	char	   *target = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *resolved;
	int			fd;

	if (target[0] == '\0')
		ereport(ERROR,
				errkinesis(KINESIS_INVALID_ARGUMENT),
				errmsg("a delivery's directory must not be empty"));
	fd = OpenTargetDirectory(target, ".", &resolved);
	close(fd);
	PG_RETURN_TEXT_P(cstring_to_text(resolved));
}

void
StreamCheckFileDeliveryOwner(Oid owner, const char *delivery_name)
{
	if (!has_privs_of_role(owner, ROLE_PG_WRITE_SERVER_FILES))
		ereport(ERROR,
				errkinesis(KINESIS_ACCESS_DENIED),
				errmsg("role \"%s\" of delivery \"%s\" may not write the server's files",
					   GetUserNameFromId(owner, false), delivery_name),
				errhint("A delivery to files needs membership in pg_write_server_files."));
}

/* Writes all of a buffer, or ERROR. */
static void
WriteAll(int fd, const char *buf, Size len, const char *name)
{
	while (len > 0)
	{
		ssize_t		written;

		errno = 0;
		written = write(fd, buf, len);
		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0)
		{
			/* a short write without an error is a full disk */
			if (errno == 0)
				errno = ENOSPC;
			ereport(ERROR,
					errcode_for_file_access(),
					errmsg("could not write file \"%s\": %m", name));
		}
		buf += written;
		len -= written;
	}
}

/* zlib's memory, from the current memory context: an error frees it */
static voidpf
ZAlloc(voidpf opaque, uInt items, uInt size)
{
	return palloc((Size) items * size);
}

static void
ZFree(voidpf opaque, voidpf address)
{
	pfree(address);
}

/* Writes a buffer gzip-compressed (zlib, as gzip(1) does at its default level). */
static void
WriteGzip(int fd, const char *buf, Size len, const char *name)
{
	z_stream	z;
	char	   *out = palloc(65536);
	int			ret;

	memset(&z, 0, sizeof(z));
	z.zalloc = ZAlloc;
	z.zfree = ZFree;
	/* 15 + 16: a gzip header and trailer around the deflate stream */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
					 Z_DEFAULT_STRATEGY) != Z_OK)
		elog(ERROR, "could not start gzip compression");
	z.next_in = (Bytef *) buf;
	z.avail_in = 0;
	do
	{
		/* zlib takes uInt lengths: feed it at most 1 GB at a time */
		if (z.avail_in == 0 && len > 0)
		{
			z.avail_in = (uInt) Min(len, (Size) 1 << 30);
			len -= z.avail_in;
		}
		z.next_out = (Bytef *) out;
		z.avail_out = 65536;
		ret = deflate(&z, len == 0 ? Z_FINISH : Z_NO_FLUSH);
		if (ret == Z_STREAM_ERROR)
			elog(ERROR, "gzip compression failed");
		WriteAll(fd, out, 65536 - z.avail_out, name);
	} while (ret != Z_STREAM_END);
	deflateEnd(&z);
	pfree(out);
}

/*
 * The first sequence number of a file (or temporary file) of a delivery's
 * shard, from its name; -1 if the name is not of one.
 */
static int64
FileFirstSequence(const char *name, const char *delivery_name, const char *shard_id)
{
	size_t		len = strlen(delivery_name);
	const char *p = name[0] == '.' ? name + 1 : name;
	char	   *end;
	int64		first;

	/* <delivery>-1-YYYY-MM-DD-HH-MM-SS-<shard id>-<first>-<last>.jsonl... */
	if (strncmp(p, delivery_name, len) != 0 || strncmp(p + len, "-1-", 3) != 0 ||
		strlen(p) < len + 3 + 19 + 1 + STREAM_SHARD_ID_LEN + 1)
		return -1;
	p += len + 3 + 19;
	if (p[0] != '-' || strncmp(p + 1, shard_id, STREAM_SHARD_ID_LEN) != 0 ||
		p[1 + STREAM_SHARD_ID_LEN] != '-')
		return -1;
	p += 2 + STREAM_SHARD_ID_LEN;
	errno = 0;
	first = strtoll(p, &end, 10);
	if (errno != 0 || end == p || *end != '-')
		return -1;
	return first;
}

/*
 * Removes the files, and temporary files, of the delivery's shard that start
 * at or after this batch's first record, but the batch's own: a try at a
 * batch whose position did not commit (every batch before this one's
 * committed, or this one would not start here).
 */
static void
RemoveEarlierTries(int dir_fd, const char *delivery_name, int32 shard_no,
				   int64 first_seq, const char *keep)
{
	int			fd = dup(dir_fd);
	DIR		   *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	const char *shard_id = StreamFormatShardId(shard_no);

	if (dir == NULL)
	{
		if (fd >= 0)
			close(fd);
		ereport(ERROR,
				errcode_for_file_access(),
				errmsg("could not read directory of \"%s\": %m", keep));
	}
	rewinddir(dir);
	while ((de = readdir(dir)) != NULL)
	{
		const char *name = de->d_name;

		if (strcmp(name, keep) == 0 ||
			FileFirstSequence(name, delivery_name, shard_id) < first_seq)
			continue;
		if (unlinkat(dir_fd, name, 0) != 0 && errno != ENOENT)
		{
			int			save_errno = errno;

			closedir(dir);
			errno = save_errno;
			ereport(ERROR,
					errcode_for_file_access(),
					errmsg("could not remove file \"%s\" of an earlier try: %m", name));
		}
	}
	closedir(dir);
}

void
StreamDeliverFile(const char *target, const char *delivery_name,
				  int32 shard_no, int64 first_seq, int64 last_seq,
				  TimestampTz first_arrival, const char *lines, Size len,
				  bool gzip)
{
	struct pg_tm tm;
	fsec_t		fsec;
	char	   *hour;
	char	   *prefix;
	char	   *name;
	char	   *temporary;
	int			dir_fd;
	volatile int fd = -1;

	if (timestamp2tm(first_arrival, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "arrival time out of range");
	hour = psprintf("%04d/%02d/%02d/%02d", tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour);
	prefix = psprintf("%s-1-%04d-%02d-%02d-%02d-%02d-%02d-%s-" INT64_FORMAT "-",
					  delivery_name, tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour,
					  tm.tm_min, tm.tm_sec, StreamFormatShardId(shard_no), first_seq);
	name = psprintf("%s" INT64_FORMAT ".jsonl%s", prefix, last_seq, gzip ? ".gz" : "");
	temporary = psprintf(".%s.tmp", name);

	dir_fd = OpenTargetDirectory(target, hour, NULL);
	PG_TRY();
	{
		if (unlinkat(dir_fd, temporary, 0) != 0 && errno != ENOENT)
			ereport(ERROR,
					errcode_for_file_access(),
					errmsg("could not remove file \"%s\": %m", temporary));
		fd = openat(dir_fd, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | PG_BINARY,
					pg_file_create_mode);
		if (fd < 0)
			ereport(ERROR,
					errcode_for_file_access(),
					errmsg("could not create file \"%s/%s/%s\": %m", target, hour, temporary));
		if (gzip)
			WriteGzip(fd, lines, len, temporary);
		else
			WriteAll(fd, lines, len, temporary);
		if (pg_fsync(fd) != 0)
			ereport(ERROR,
					errcode_for_file_access(),
					errmsg("could not fsync file \"%s\": %m", temporary));
		close(fd);
		fd = -1;
		if (renameat(dir_fd, temporary, dir_fd, name) != 0)
			ereport(ERROR,
					errcode_for_file_access(),
					errmsg("could not rename file \"%s\" to \"%s\": %m", temporary, name));
		RemoveEarlierTries(dir_fd, delivery_name, shard_no, first_seq, name);
		if (pg_fsync(dir_fd) != 0)
			ereport(ERROR,
					errcode_for_file_access(),
					errmsg("could not fsync directory \"%s/%s\": %m", target, hour));
		/* a test stops here, between the rename and the commit */
		STREAM_INJECTION_POINT("delivery-renamed");
	}
	PG_FINALLY();
	{
		if (fd >= 0)
		{
			close(fd);
			(void) unlinkat(dir_fd, temporary, 0);
		}
		close(dir_fd);
	}
	PG_END_TRY();
}
