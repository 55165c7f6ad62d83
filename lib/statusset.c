/*
 * statusset.c - sets of HTTP statuses, parsed strictly.
 */
#include "statusset.h"

#include "errbuf.h"

/* Read a 3-digit status at *P, advancing it. Returns it, or -1. */
static int scan_status(const char **p)
{
	const char *s = *p;
	int v = 0;

	for (int i = 0; i < 3; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 100 || (s[3] >= '0' && s[3] <= '9'))
		return -1;
	*p = s + 3;
	return v;
}

int statusset_parse(const char *text, struct statusset *s, char *err, size_t errlen)
{
	const char *p = text;

	s->n = 0;
	do {
		int lo = scan_status(&p), hi = lo;

		if (lo >= 0 && *p == '-') {
			p++;
			hi = scan_status(&p);
		}
		if (lo < 0 || hi < 0 || (*p != ',' && *p != '\0'))
			return errbuf_fail(err, errlen,
			                   "expected statuses such as 500-599,429 (3 digits each), "
			                   "got '%s'",
			                   text);
		if (hi < lo)
			return errbuf_fail(err, errlen, "range %d-%d is reversed", lo, hi);
		if (s->n == STATUSSET_MAX)
			return errbuf_fail(err, errlen, "at most %d statuses or ranges",
			                   STATUSSET_MAX);
		s->r[s->n].lo = lo;
		s->r[s->n].hi = hi;
		s->n++;
	} while (*p++ == ',');
	return 0;
}

bool statusset_has(const struct statusset *s, int status)
{
	for (size_t i = 0; i < s->n; i++)
		if (status >= s->r[i].lo && status <= s->r[i].hi)
			return true;
	return false;
}
