/*-------------------------------------------------------------------------
 *
 * access_key.c
 *	  Access keys of the Kinesis endpoint (stream.create_access_key).
 *
 * A key id looks like AWS's (AKIA and 16 of A-Z2-7), a secret is 40 letters
 * and digits (238 bits).  The server must read the secret back to check a
 * signature, so it cannot keep a hash of it as for passwords: it keeps the
 * secret sealed by the KMS root key, which never enters the data
 * directory, the key id authenticated with it so that a secret moved to
 * another key's row does not open.  A dump carries secrets sealed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "http/access_key.h"
#include "kinesis/catalog.h"
#include "kinesis/kinesis.h"
#include "kinesis/kms.h"

PG_FUNCTION_INFO_V1(stream_new_access_key);

#define ACCESS_KEY_ID_RANDOM	16

/* len characters of the alphabet, uniformly (rejecting biased bytes) */
static void
RandomText(const char *alphabet, char *out, int len)
{
	int			n = strlen(alphabet);
	int			limit = 256 - 256 % n;
	int			i = 0;

	while (i < len)
	{
		uint8		bytes[64];

		if (!pg_strong_random(bytes, sizeof(bytes)))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not generate a random access key")));
		for (int j = 0; j < (int) sizeof(bytes) && i < len; j++)
			if (bytes[j] < limit)
				out[i++] = alphabet[bytes[j] % n];
	}
	out[len] = '\0';
}

/*
 * stream_internal.new_access_key(OUT access_key_id text,
 *		OUT secret_access_key text, OUT sealed bytea)
 */
Datum
stream_new_access_key(PG_FUNCTION_ARGS)
{
	TupleDesc	desc = StreamResultDesc(fcinfo);
	char		id[4 + ACCESS_KEY_ID_RANDOM + 1] = "AKIA";
	char		secret[ACCESS_KEY_SECRET_LEN + 1];
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	RandomText("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", id + 4, ACCESS_KEY_ID_RANDOM);
	RandomText("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
			   secret, ACCESS_KEY_SECRET_LEN);
	values[0] = CStringGetTextDatum(id);
	values[1] = CStringGetTextDatum(secret);
	values[2] = PointerGetDatum(StreamSealWithRootKey((uint8 *) id, strlen(id),
													  (uint8 *) secret,
													  ACCESS_KEY_SECRET_LEN));
	explicit_bzero(secret, sizeof(secret));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

/*
 * The role and secret of a key, only while the key stands for what a
 * session of its role could do now: its role must still log in (LOGIN,
 * VALID UNTIL, CONNECT on this database), and its maker still be a member
 * of it (a member removed from a group keeps no key of the group).  Asked
 * at every request, by a query kept for the worker's life.
 */
bool
StreamAccessKeySecret(const char *access_key_id, Oid *role, char *secret)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		isnull;
	bool		found = false;

	args[0] = CStringGetTextDatum(access_key_id);
	if (SPI_execute_plan(StreamKeptPlan(&plan,
										"SELECT a.role::pg_catalog.oid, a.secret "
										"FROM stream_internal.access_keys a "
										"JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.role "
										"JOIN pg_catalog.pg_roles m ON m.oid OPERATOR(pg_catalog.=) a.created_by "
										"WHERE a.access_key_id OPERATOR(pg_catalog.=) $1 "
										"AND r.rolcanlogin "
										"AND (r.rolvaliduntil IS NULL "
										"OR r.rolvaliduntil OPERATOR(pg_catalog.>) pg_catalog.now()) "
										"AND pg_catalog.has_database_privilege(r.oid, "
										"pg_catalog.current_database(), 'CONNECT') "
										"AND pg_catalog.pg_has_role(m.oid, r.oid, 'MEMBER')",
										1, argtypes),
						 args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read an access key");
	if (SPI_processed == 1)
	{
		Datum		r = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
		{
			bytea	   *sealed = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0],
															   SPI_tuptable->tupdesc, 2,
															   &isnull));

			*role = DatumGetObjectId(r);
			/* the client hears only that the key is not known */
			if (!StreamOpenWithRootKey(sealed, (const uint8 *) access_key_id,
									   strlen(access_key_id), (uint8 *) secret,
									   ACCESS_KEY_SECRET_LEN))
				ereport(WARNING,
						(errmsg("the secret of access key \"%s\" does not open with this server's KMS root key",
								access_key_id),
						 errhint("A key restored from another server's dump needs to be made anew.")));
			else
			{
				secret[ACCESS_KEY_SECRET_LEN] = '\0';
				found = true;
			}
		}
	}
	return found;
}
