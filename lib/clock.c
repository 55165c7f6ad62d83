/*
 * clock.c - the current time, with the TRENDTRAP_NOW override.
 */
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int clock_now(int64_t *now, char *err, size_t errlen)
{
	const char *env = getenv("TRENDTRAP_NOW");
	char *end;
	long long v;

	if (env == NULL || *env == '\0') {
		*now = (int64_t)time(NULL);
		return 0;
	}
	errno = 0;
	v = strtoll(env, &end, 10);
	if (errno != 0 || end == env || *end != '\0' || v < 0 || env[0] == '+' || env[0] == ' ') {
		snprintf(err, errlen,
		         "TRENDTRAP_NOW must be unix seconds (a non-negative integer), not '%s'",
		         env);
		return -1;
	}
	*now = (int64_t)v;
	return 0;
}
