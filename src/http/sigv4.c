/*-------------------------------------------------------------------------
 *
 * sigv4.c
 *	  AWS Signature Version 4, as Kinesis checks it on every request.
 *
 * The client says which headers it signed (SignedHeaders), so the server
 * rebuilds the canonical request from those, in that order, and computes
 * the signature with the secret of the access key: method, path, query,
 * one "name:value" line per signed header (values trimmed, runs of spaces
 * made one, repeated headers joined with commas), the signed names, and
 * the SHA-256 of the body (or X-Amz-Content-SHA256, which must then be
 * that hash).  The key is HMAC-SHA256 chained over the scope's date,
 * region, service and "aws4_request"; the comparison takes constant time.
 *
 * Clients sign different headers (the AWS CLI all but a few, the JS SDK
 * x-amz-content-sha256 too); any set is accepted as long as it includes
 * host.  A request dated more than 5 minutes from the server's clock is
 * refused, as Kinesis refuses it, so that a captured request cannot be
 * replayed later.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "http/sigv4.h"

#define SIGV4_ALGORITHM		"AWS4-HMAC-SHA256"
#define SIGV4_SKEW_SECS		(5 * 60)

static void
Hex(const unsigned char *bytes, int len, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < len; i++)
	{
		hex[2 * i] = digits[bytes[i] >> 4];
		hex[2 * i + 1] = digits[bytes[i] & 15];
	}
	hex[2 * len] = '\0';
}

static void
Sha256Hex(const char *data, size_t len, char *hex)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *) data, len, digest);
	Hex(digest, sizeof(digest), hex);
}

static void
Hmac(const unsigned char *key, int keylen, const char *data,
	 unsigned char *out)
{
	unsigned int outlen;

	if (HMAC(EVP_sha256(), key, keylen, (const unsigned char *) data,
			 strlen(data), out, &outlen) == NULL)
		elog(ERROR, "HMAC-SHA256 failed");
}

void
SigV4Sign(const char *secret, const char *date, const char *region,
		  const char *service, const char *string_to_sign, char *hex)
{
	char	   *k = psprintf("AWS4%s", secret);
	unsigned char key[SHA256_DIGEST_LENGTH];
	unsigned char sig[SHA256_DIGEST_LENGTH];

	Hmac((unsigned char *) k, strlen(k), date, key);
	explicit_bzero(k, strlen(k));
	Hmac(key, sizeof(key), region, key);
	Hmac(key, sizeof(key), service, key);
	Hmac(key, sizeof(key), "aws4_request", key);
	Hmac(key, sizeof(key), string_to_sign, sig);
	explicit_bzero(key, sizeof(key));
	Hex(sig, sizeof(sig), hex);
}

static bool
Refuse(SigV4Error *error, const char *type, char *message)
{
	error->type = type;
	error->message = message;
	return false;
}

/* The value of "name=" in the comma-separated parameters, or NULL */
static char *
AuthParam(const char *params, const char *name)
{
	size_t		n = strlen(name);
	const char *p = params;

	while (*p)
	{
		while (*p == ' ' || *p == ',')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=')
		{
			const char *v = p + n + 1;

			return pnstrdup(v, strcspn(v, ", "));
		}
		p += strcspn(p, ",");
	}
	return NULL;
}

bool
SigV4Parse(const HttpRequest *req, SigV4Auth *auth, SigV4Error *error)
{
	const char *header = HttpHeaderValue(req, "authorization");
	const char *params;
	char	   *credential;
	StringInfoData missing;
	char	   *parts[5];
	char	   *p;
	int			nparts = 0;

	memset(auth, 0, sizeof(*auth));
	if (header == NULL)
	{
		if (strstr(req->query, "X-Amz-Algorithm=") != NULL)
			return Refuse(error, "MissingAuthenticationTokenException",
						  pstrdup("Signatures in the query string are not supported; sign the Authorization header."));
		return Refuse(error, "MissingAuthenticationTokenException",
					  pstrdup("Missing Authentication Token"));
	}
	if (strncmp(header, SIGV4_ALGORITHM " ", strlen(SIGV4_ALGORITHM) + 1) != 0)
		return Refuse(error, "IncompleteSignatureException",
					  psprintf("Authorization header requires the algorithm %s. Authorization=%s",
							   SIGV4_ALGORITHM, header));
	params = header + strlen(SIGV4_ALGORITHM) + 1;
	credential = AuthParam(params, "Credential");
	auth->signed_headers = AuthParam(params, "SignedHeaders");
	auth->signature = AuthParam(params, "Signature");
	auth->amz_date = HttpHeaderValue(req, "x-amz-date");

	initStringInfo(&missing);
	if (credential == NULL)
		appendStringInfoString(&missing, "Authorization header requires 'Credential' parameter. ");
	if (auth->signature == NULL)
		appendStringInfoString(&missing, "Authorization header requires 'Signature' parameter. ");
	if (auth->signed_headers == NULL)
		appendStringInfoString(&missing, "Authorization header requires 'SignedHeaders' parameter. ");
	if (auth->amz_date == NULL)
		appendStringInfoString(&missing, "Authorization header requires existence of a 'X-Amz-Date' header. ");
	if (missing.len > 0)
		return Refuse(error, "IncompleteSignatureException",
					  psprintf("%sAuthorization=%s", missing.data, header));

	/* AKID/yyyymmdd/region/service/aws4_request */
	p = credential;
	while (nparts < 5)
	{
		parts[nparts++] = p;
		p = strchr(p, '/');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	if (nparts != 5 || p != NULL || strcmp(parts[4], "aws4_request") != 0 ||
		parts[0][0] == '\0')
		return Refuse(error, "IncompleteSignatureException",
					  psprintf("Credential should be scoped to a valid region, not '%s'. Authorization=%s",
							   nparts > 2 ? parts[2] : "", header));
	auth->access_key_id = parts[0];
	auth->scope_date = parts[1];
	auth->region = parts[2];
	auth->service = parts[3];
	if (strcmp(auth->service, "kinesis") != 0)
		return Refuse(error, "InvalidSignatureException",
					  psprintf("Credential should be scoped to correct service: 'kinesis'. Authorization=%s",
							   header));
	if (strlen(auth->amz_date) != 16 ||
		strncmp(auth->amz_date, auth->scope_date, 8) != 0 ||
		strlen(auth->scope_date) != 8)
		return Refuse(error, "InvalidSignatureException",
					  psprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%.8s', from '%s'.",
							   auth->scope_date, auth->amz_date, auth->amz_date));
	return true;
}

/* yyyymmddThhmmssZ as a timestamp; false if it is not one */
static bool
ParseAmzDate(const char *s, TimestampTz *ts)
{
	struct pg_tm tm = {0};

	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' ||
		sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon,
			   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return false;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
		tm.tm_mday > day_tab[isleap(tm.tm_year)][tm.tm_mon - 1] ||
		tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return false;
	return tm2timestamp(&tm, 0, NULL, ts) == 0;
}

static char *
FormatAmzDate(TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "timestamp out of range");
	return psprintf("%04d%02d%02dT%02d%02d%02dZ", tm.tm_year, tm.tm_mon,
					tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A header's value as signed: trimmed, runs of spaces made one */
static void
AppendCanonicalValue(StringInfo buf, const char *value)
{
	bool		space = false;

	while (*value == ' ' || *value == '\t')
		value++;
	for (; *value; value++)
	{
		if (*value == ' ' || *value == '\t')
			space = true;
		else
		{
			if (space)
				appendStringInfoChar(buf, ' ');
			space = false;
			appendStringInfoChar(buf, *value);
		}
	}
}

/* Whether a header's name is in the ;-separated list of signed headers */
static bool
HeaderSigned(const char *signed_headers, const char *name)
{
	size_t		n = strlen(name);

	for (const char *p = signed_headers; p; p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL)
		if (strncmp(p, name, n) == 0 && (p[n] == ';' || p[n] == '\0'))
			return true;
	return false;
}

static int
CompareStrings(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The query's parameters sorted, as they were sent */
static void
AppendCanonicalQuery(StringInfo buf, const char *query)
{
	char	   *copy = pstrdup(query);
	char	  **params = palloc(sizeof(char *) * (strlen(query) + 1));
	int			n = 0;
	char	   *save;

	for (char *p = strtok_r(copy, "&", &save); p; p = strtok_r(NULL, "&", &save))
		params[n++] = strchr(p, '=') ? p : psprintf("%s=", p);
	qsort(params, n, sizeof(char *), CompareStrings);
	for (int i = 0; i < n; i++)
		appendStringInfo(buf, "%s%s", i ? "&" : "", params[i]);
}

bool
SigV4Verify(const HttpRequest *req, const SigV4Auth *auth, const char *secret,
			TimestampTz now, SigV4Error *error)
{
	TimestampTz date;
	StringInfoData creq;
	StringInfoData sts;
	char		body_hash[2 * SHA256_DIGEST_LENGTH + 1];
	char		creq_hash[2 * SHA256_DIGEST_LENGTH + 1];
	char		expected[2 * SHA256_DIGEST_LENGTH + 1];
	const char *content_hash;
	char	   *names = pstrdup(auth->signed_headers);
	char	   *save;
	bool		has_host = false;

	if (!ParseAmzDate(auth->amz_date, &date))
		return Refuse(error, "IncompleteSignatureException",
					  psprintf("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601",
							   auth->amz_date));

	initStringInfo(&creq);
	appendStringInfo(&creq, "%s\n%s\n", req->method,
					 req->path[0] ? req->path : "/");
	AppendCanonicalQuery(&creq, req->query);
	appendStringInfoChar(&creq, '\n');
	for (char *name = strtok_r(names, ";", &save); name;
		 name = strtok_r(NULL, ";", &save))
	{
		bool		first = true;

		appendStringInfo(&creq, "%s:", name);
		/* the JS SDK signs HTTP/2's :authority as it is */
		if (strcmp(name, "host") == 0 || strcmp(name, ":authority") == 0)
			has_host = true;
		for (int i = 0; i < req->nheaders; i++)
		{
			if (strcmp(req->headers[i].name, name) != 0)
				continue;
			if (!first)
				appendStringInfoChar(&creq, ',');
			AppendCanonicalValue(&creq, req->headers[i].value);
			first = false;
		}
		/* HTTP/2 carries the host as :authority */
		if (first && strcmp(name, "host") == 0 &&
			HttpHeaderValue(req, ":authority") != NULL)
			AppendCanonicalValue(&creq, HttpHeaderValue(req, ":authority"));
		appendStringInfoChar(&creq, '\n');
	}
	if (!has_host)
		return Refuse(error, "InvalidSignatureException",
					  pstrdup("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."));
	/* as AWS requires: every x-amz-* header sent is signed (the action too) */
	for (int i = 0; i < req->nheaders; i++)
	{
		const char *name = req->headers[i].name;

		if (strncmp(name, "x-amz-", 6) == 0 && !HeaderSigned(auth->signed_headers, name))
			return Refuse(error, "InvalidSignatureException",
						  psprintf("'%s' must be a 'SignedHeader' in the AWS Authorization.",
								   name));
	}

	Sha256Hex(req->body.data, req->body.len, body_hash);
	content_hash = HttpHeaderValue(req, "x-amz-content-sha256");
	if (content_hash != NULL && strcmp(content_hash, body_hash) != 0)
		return Refuse(error, "InvalidSignatureException",
					  pstrdup("The provided 'x-amz-content-sha256' header does not match what was computed."));
	appendStringInfo(&creq, "\n%s\n%s", auth->signed_headers, body_hash);

	Sha256Hex(creq.data, creq.len, creq_hash);
	initStringInfo(&sts);
	appendStringInfo(&sts, "%s\n%s\n%s/%s/%s/aws4_request\n%s", SIGV4_ALGORITHM,
					 auth->amz_date, auth->scope_date, auth->region,
					 auth->service, creq_hash);
	SigV4Sign(secret, auth->scope_date, auth->region, auth->service, sts.data,
			  expected);
	if (strlen(auth->signature) != strlen(expected) ||
		CRYPTO_memcmp(auth->signature, expected, strlen(expected)) != 0)
		return Refuse(error, "InvalidSignatureException",
					  pstrdup("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."));

	/* Kinesis' words for a request dated too far from now */
	if (date < TimestampTzPlusMilliseconds(now, -SIGV4_SKEW_SECS * 1000))
		return Refuse(error, "InvalidSignatureException",
					  psprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
							   auth->amz_date,
							   FormatAmzDate(TimestampTzPlusMilliseconds(now, -SIGV4_SKEW_SECS * 1000)),
							   FormatAmzDate(now)));
	if (date > TimestampTzPlusMilliseconds(now, SIGV4_SKEW_SECS * 1000))
		return Refuse(error, "InvalidSignatureException",
					  psprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
							   auth->amz_date,
							   FormatAmzDate(TimestampTzPlusMilliseconds(now, SIGV4_SKEW_SECS * 1000)),
							   FormatAmzDate(now)));
	return true;
}
