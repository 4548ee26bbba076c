/*-------------------------------------------------------------------------
 *
 * acl.h
 *	  Who may do what to a stream: Kinesis' IAM actions as PostgreSQL
 *	  privileges on an object that stands for each stream.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_ACL_H
#define STREAM_ACL_H

#include "postgres.h"

#include "kinesis/catalog.h"

typedef enum StreamPrivilege
{
	STREAM_PRIV_READ,
	STREAM_PRIV_WRITE,
	STREAM_PRIV_DESCRIBE,
	STREAM_PRIV_MANAGE,
	STREAM_PRIV_CREATE			/* on '*' only: create_stream */
} StreamPrivilege;

/* Whether a role holds a privilege on a stream, or on every stream ('*'). */
extern bool StreamHasPrivilege(Oid roleid, Oid acl_relid,
							   StreamPrivilege privilege);

/*
 * The stream of a name, for a call of Kinesis' action that needs the
 * privilege: AccessDeniedException when the calling role does not hold it,
 * ResourceNotFoundException when there is no such stream and the role could
 * know (it holds the privilege on every stream).
 */
extern StreamInfo *StreamLookupAuthorized(const char *name,
										  StreamPrivilege privilege,
										  const char *action);

/* AccessDeniedException unless the calling role holds the privilege. */
extern void StreamAuthorize(StreamInfo *stream, StreamPrivilege privilege,
							const char *action);

/*
 * The role whose privileges count: the one that called the public function
 * being run (which runs its implementation as the extension's owner), or
 * else the current user.
 */
extern Oid	StreamCaller(void);

/*
 * AccessDeniedException unless the calling role manages the stream of a
 * segment, for the internal functions that take one.
 */
extern void StreamAuthorizeSegment(int32 stream_id, const char *segment_name);

/* The owner of the extension, whom its internal functions run as. */
extern Oid	StreamExtensionOwner(void);

/*
 * The calling user, saved while the extension's owner acts for it: the data
 * plane and stream_control read and write the catalog as the owner, for
 * roles that may not, once they checked the roles' privileges themselves.
 */
typedef struct StreamSavedUser
{
	Oid			userid;
	int			sec_context;
} StreamSavedUser;

extern void StreamBecomeOwner(StreamSavedUser *saved);
extern void StreamRestoreUser(const StreamSavedUser *saved);

#endif							/* STREAM_ACL_H */
