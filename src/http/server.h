/*-------------------------------------------------------------------------
 *
 * server.h
 *	  The Kinesis endpoint's server loop, run by an HTTP worker.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_HTTP_SERVER_H
#define STREAM_HTTP_SERVER_H

/*
 * Listens on stream.http_port and serves until SIGTERM, a change of the
 * endpoint's settings, or wanted() says to stop; errors if it cannot
 * listen.  Runs in a worker connected to its database.
 */
extern void HttpServe(bool (*wanted) (void));

#endif							/* STREAM_HTTP_SERVER_H */
