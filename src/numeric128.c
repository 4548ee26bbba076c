/*-------------------------------------------------------------------------
 *
 * numeric128.c
 *	  Unsigned 128-bit integers to and from numeric, by way of their decimal
 *	  digits (numeric has no binary interface for integers this large).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "numeric128.h"

Datum
Uint128GetNumeric(uint128 value)
{
	char		buf[48];
	char	   *p = buf + sizeof(buf) - 1;

	*p = '\0';
	do
	{
		*--p = '0' + (int) (value % 10);
		value /= 10;
	} while (value != 0);
	return DirectFunctionCall3(numeric_in, CStringGetDatum(p),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/*
 * Converts a numeric to an unsigned 128-bit integer; false when it is not an
 * integer in [0, 2^128 - 1].
 */
bool
NumericGetUint128(Datum num, uint128 *value)
{
	char	   *text = DatumGetCString(DirectFunctionCall1(numeric_out, num));
	const char *p = text;
	uint128		result = 0;
	bool		ok = true;

	if (*p == '\0')
		ok = false;
	for (; ok && *p != '\0' && *p != '.'; p++)
	{
		int			digit = *p - '0';

		if (digit < 0 || digit > 9 || result > (~(uint128) 0 - digit) / 10)
			ok = false;
		else
			result = result * 10 + digit;
	}
	/* a fractional part is allowed only when it is all zeros */
	if (ok && *p == '.')
		for (p++; *p != '\0'; p++)
			if (*p != '0')
				ok = false;
	pfree(text);
	*value = result;
	return ok;
}
