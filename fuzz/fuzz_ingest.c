/*
 * fuzz_ingest.c - libFuzzer target for ingest_parse() (trapd/ingest.c), the
 * parser of every line a client writes to trendtrapd's socket.
 *
 * Input: one line without its "\n", as the server hands it over: LEN bytes
 * in a buffer of exactly LEN + 1 (ingest_parse writes LINE[LEN]). Checks
 * besides memory errors, from ingest.h: a result names a host and a service
 * of 1..INGEST_NAME_MAX bytes without control characters and a state 0..3;
 * a control command has at most INGEST_MAX_ARGS arguments; every string
 * returned lies inside the line (or is a constant); a refusal has a reason
 * of one line.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* S is a string inside LINE[0..LEN] (its NUL included), or a constant. */
static bool inside(const char *s, const char *line, size_t len)
{
	return s != NULL && ((s >= line && s + strlen(s) <= line + len) || strcmp(s, "") == 0 ||
	                     strcmp(s, "HOST") == 0);
}

static void check_name(const char *what, const char *s, const char *line, size_t len)
{
	size_t n;

	FUZZ_CHECK(inside(s, line, len), "%s outside the line", what);
	n = strlen(s);
	FUZZ_CHECK(n >= 1 && n <= INGEST_NAME_MAX, "%s of %zu bytes", what, n);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		FUZZ_CHECK(*c >= 0x20 && *c != 0x7f, "%s holds byte %#x", what, *c);
}

static void check_line(const struct ingest_line *l, const char *line, size_t len)
{
	FUZZ_CHECK(l->command != NULL, "no command name");
	if (l->type == INGEST_CONTROL) {
		FUZZ_CHECK(l->nargs <= INGEST_MAX_ARGS, "%zu arguments", l->nargs);
		for (size_t i = 0; i < l->nargs; i++)
			FUZZ_CHECK(inside(l->args[i], line, len), "argument %zu outside the line",
			           i);
		FUZZ_CHECK(l->host == NULL && l->service == NULL, "a control command with a host");
		return;
	}
	FUZZ_CHECK(l->type == INGEST_SERVICE_RESULT || l->type == INGEST_HOST_RESULT, "type %d",
	           (int)l->type);
	check_name("host", l->host, line, len);
	check_name("service", l->service, line, len);
	FUZZ_CHECK(l->rc >= 0 && l->rc <= 3, "rc %d", l->rc);
	FUZZ_CHECK(l->type != INGEST_HOST_RESULT || l->rc != 1, "a host result filed as 1");
	FUZZ_CHECK(inside(l->output, line, len) && inside(l->perfdata, line, len),
	           "output or perfdata outside the line");
	FUZZ_CHECK(strstr(l->output, "\\n") == NULL, "long output kept");
	FUZZ_CHECK(l->nargs == 0, "a result with arguments");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_cstr(data, size), err[256] = "";
	struct ingest_line l;

	if (ingest_parse(line, size, &l, err, sizeof err) == 0) {
		check_line(&l, line, size);
		FUZZ_CHECK(l.timestamp >= -1, "timestamp %lld", (long long)l.timestamp);
	} else {
		FUZZ_CHECK(err[0] != '\0' && strchr(err, '\n') == NULL, "reason '%s'", err);
	}
	free(line);
	return 0;
}
