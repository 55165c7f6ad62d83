/*
 * fuzz_es.c - libFuzzer target for the Elasticsearch response parser: the
 * module's pure parse step (lib/es_module.c, trendtrap_es_module.parse, the
 * one t/unit/test_es.c calls), linked directly as the unit test does.
 *
 * Input: a byte choosing the HTTP status, a byte choosing the time range
 * and bucket asked for, then the response body. Checks besides memory
 * errors, from es.h and es_module.h: a success gives one bucket per step of
 * the range, sorted, each with no more errors than requests and none
 * negative; a failure gives no buckets and a one-line reason; the URL's
 * password never shows in a reason (unless the response itself wrote it,
 * maybe escaped: only bodies without it and without '\' are checked).
 */
#include <stdlib.h>
#include <string.h>

#include "es_module.h"
#include "fuzzutil.h"
#include "statusset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECRET "s3cret"

static const long statuses[] = {200, 201, 299, 400, 401, 404, 429, 500, 503, 302};

/* Ranges asked for: aligned, unaligned, before 1970, many small buckets. */
static const struct {
	int64_t from, to;
	int bucket;
} plans[] = {
        {1700000040, 1700000340, 60},   {1700000070, 1700000130, 60}, {-600, 30, 60}, {0, 3600, 1},
        {1700000000, 1700086400, 3600},
};

#define NPLANS (sizeof plans / sizeof plans[0])

static void check_success(const struct sample *b, size_t n, int64_t from, int64_t to, int bucket)
{
	FUZZ_CHECK(b != NULL && n > 0, "%zu buckets", n);
	FUZZ_CHECK(b[0].t <= from && b[0].t + bucket > from, "first bucket at %lld for %lld",
	           (long long)b[0].t, (long long)from);
	FUZZ_CHECK(b[n - 1].t < to && b[n - 1].t + bucket >= to, "last bucket at %lld for %lld",
	           (long long)b[n - 1].t, (long long)to);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(i == 0 || b[i].t == b[i - 1].t + bucket, "bucket %zu at %lld", i,
		           (long long)b[i].t);
		FUZZ_CHECK(b[i].value >= 0 && b[i].value <= b[i].capacity,
		           "bucket %zu: %g errors in %g", i, b[i].value, b[i].capacity);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct statusset errors;
	const struct es_module *m = &trendtrap_es_module;
	struct es_source s = {.url = "http://elastic:" SECRET "@127.0.0.1:9200",
	                      .index = "logs-*",
	                      .errors = &errors};
	struct sample *b = (struct sample *)1;
	char err[512] = "";
	uint8_t *body;
	size_t n = 1, blen, p;
	long status;
	int rc;

	if (errors.n == 0 && statusset_parse("500-599", &errors, err, sizeof err) != 0)
		fuzz_fail(__FILE__, __LINE__, "statusset_parse", "%s", err);
	if (size < 2)
		return 0;
	status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
	p = data[1] % NPLANS;
	blen = size - 2;
	body = fuzz_copy(data + 2, blen);
	rc = m->parse(&s, status, (const char *)body, blen, plans[p].from, plans[p].to,
	              plans[p].bucket, &b, &n, err, sizeof err);
	if (rc == 0) {
		check_success(b, n, plans[p].from, plans[p].to, plans[p].bucket);
		free(b);
	} else {
		FUZZ_CHECK(rc == -1 && b == NULL && n == 0, "rc %d, %zu buckets", rc, n);
		FUZZ_CHECK(err[0] != '\0' && strchr(err, '\n') == NULL, "reason '%s'", err);
		FUZZ_CHECK(strstr(err, SECRET) == NULL ||
		                   memmem(body, blen, SECRET, strlen(SECRET)) != NULL ||
		                   memchr(body, '\\', blen) != NULL,
		           "the password in '%s'", err);
	}
	free(body);
	return 0;
}
