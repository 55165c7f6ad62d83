/*
 * fuzz_notice.c - libFuzzer target for notice_decode() (trapd/notice.c), the
 * reader of outbox payloads, which may be left over from another version of
 * the daemon or cut by a crash.
 *
 * Input: a payload (in a buffer of exactly its length: notice_decode takes
 * BUF[0..LEN), no NUL after it). Checks besides memory errors, from
 * notice.h: a decoded notice's texts are NUL-terminated within their fields
 * and it encodes (in 8 KiB, "always enough") to a payload that decodes to
 * the same notice; the perfdata it carries is then given to
 * notice_perf_extract() and notice_perf_value(); a refusal has a reason.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "notice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether A and B are the same notice, field by field (no padding compared). */
static int same(const struct notice *a, const struct notice *b)
{
	if (a->kind != b->kind || a->id != b->id || a->state != b->state ||
	    a->previous != b->previous || a->at != b->at || a->since != b->since ||
	    a->time_left != b->time_left || a->nhistory != b->nhistory)
		return 0;
	if (strcmp(a->host, b->host) || strcmp(a->service, b->service) ||
	    strcmp(a->output, b->output) || strcmp(a->perfdata, b->perfdata) ||
	    strcmp(a->value, b->value) || strcmp(a->slope, b->slope))
		return 0;
	for (size_t i = 0; i < a->nhistory; i++)
		if (memcmp(&a->history[i], &b->history[i], sizeof(double)) != 0)
			return 0;
	return 1;
}

static void check_texts(const struct notice *n)
{
	FUZZ_CHECK(memchr(n->host, '\0', sizeof n->host) &&
	                   memchr(n->service, '\0', sizeof n->service) &&
	                   memchr(n->output, '\0', sizeof n->output) &&
	                   memchr(n->perfdata, '\0', sizeof n->perfdata) &&
	                   memchr(n->value, '\0', sizeof n->value) &&
	                   memchr(n->slope, '\0', sizeof n->slope),
	           "a text without its NUL");
	FUZZ_CHECK(n->nhistory <= NOTICE_HISTORY, "%zu history values", n->nhistory);
	for (size_t i = 0; i < n->nhistory; i++)
		FUZZ_CHECK(isfinite(n->history[i]), "history %zu: %g", i, n->history[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char again[8192];
	static struct notice n, back, perf;
	uint8_t *buf = fuzz_copy(data, size);
	char err[256] = "";
	double v;
	int len;

	if (notice_decode((const char *)buf, size, &n, err, sizeof err) != 0) {
		FUZZ_CHECK(err[0] != '\0', "refused without a reason");
		free(buf);
		return 0;
	}
	free(buf);
	check_texts(&n);
	len = notice_encode(&n, again, sizeof again);
	FUZZ_CHECK(len > 0 && (size_t)len < sizeof again, "encoded in %d bytes", len);
	FUZZ_CHECK(notice_decode(again, (size_t)len, &back, err, sizeof err) == 0,
	           "its encoding does not decode: %s", err);
	FUZZ_CHECK(same(&n, &back), "changed on its way through the outbox");
	perf = n;
	notice_perf_extract(&perf, n.perfdata);
	check_texts(&perf);
	(void)notice_perf_value(n.perfdata, &v);
	return 0;
}
