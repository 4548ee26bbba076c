/*-------------------------------------------------------------------------
 *
 * validate.h
 *	  Kinesis' checks of a request's body against the shape of its action's
 *	  input, from the API model (shapes.c, written by tools/kinesis_shapes.py).
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_HTTP_VALIDATE_H
#define STREAM_HTTP_VALIDATE_H

#include "postgres.h"

#include "utils/jsonb.h"

typedef enum KinesisShapeType
{
	SHAPE_STRUCTURE,
	SHAPE_LIST,
	SHAPE_MAP,
	SHAPE_STRING,
	SHAPE_INTEGER,
	SHAPE_LONG,
	SHAPE_BOOLEAN,
	SHAPE_BLOB,
	SHAPE_TIMESTAMP,
	SHAPE_DOUBLE
} KinesisShapeType;

typedef struct KinesisMember
{
	const char *name;
	int			shape;			/* index in kinesis_shapes */
	bool		required;
} KinesisMember;

typedef struct KinesisShape
{
	const char *name;
	KinesisShapeType type;
	bool		has_min;		/* length of strings, lists, maps and blobs; */
	int64		min;			/* value of numbers */
	bool		has_max;
	int64		max;
	const char *pattern;		/* a regular expression the whole must match */
	const char *const *enums;	/* NULL-terminated */
	int			nmembers;
	const KinesisMember *members;
	int			element;		/* a list's element or a map's value */
	int			key;			/* a map's key */
} KinesisShape;

typedef struct KinesisOperation
{
	const char *name;
	int			input;			/* its input's shape, -1 if none */
} KinesisOperation;

extern const KinesisShape kinesis_shapes[];
extern const KinesisOperation kinesis_operations[];
extern const int kinesis_noperations;

/* The operation of that name, NULL if Kinesis has none */
extern const KinesisOperation *KinesisFindOperation(const char *name);

/*
 * Checks a request against its operation's input.  NULL when it passes;
 * otherwise sets *type to the exception (SerializationException for a
 * value of the wrong type, ValidationException for broken constraints) and
 * returns Kinesis' message.
 */
extern char *KinesisValidate(const KinesisOperation *op, Jsonb *request,
							 const char **type);

#endif							/* STREAM_HTTP_VALIDATE_H */
