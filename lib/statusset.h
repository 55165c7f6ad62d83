/*
 * statusset.h - which HTTP statuses count as errors: "500-599,429".
 */
#ifndef TT_STATUSSET_H
#define TT_STATUSSET_H

#include <stdbool.h>
#include <stddef.h>

#define STATUSSET_MAX 32 /* ranges in one set */

struct statusset {
	struct {
		int lo, hi; /* inclusive, 100..999 */
	} r[STATUSSET_MAX];
	size_t n;
};

/* Parse a comma-separated list of statuses and ranges ("500-599,429") into S.
 * Returns 0, or -1 with a reason in ERR. */
int statusset_parse(const char *text, struct statusset *s, char *err, size_t errlen);

/* True when STATUS is in S. */
bool statusset_has(const struct statusset *s, int status);

#endif
