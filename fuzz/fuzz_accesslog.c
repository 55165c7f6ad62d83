/*
 * fuzz_accesslog.c - libFuzzer target for lib/accesslog.c: the line parser,
 * reads of a whole log, and the position file.
 *
 * Input: one mode byte, then the payload. Bit 2 of the mode picks the
 * format (CLF, JSON), bit 3 the JSON field names (status/time, or
 * code/msec as an nginx log_format may name them); bits 0-1 what is done:
 *   0, 1: the payload is one line (in a buffer of exactly its length, as
 *         the reader passes it: no NUL after it) for accesslog_parse_line();
 *   2:    the payload is a whole log for accesslog_read(): read at once
 *         (a first run), then in two reads: its first half, and once the
 *         rest is appended, from the position that read returned; with bit
 *         4, once only, as a first run with an hour of lookback;
 *   3:    the payload is a position file for accesslog_pos_load().
 * Checks besides memory errors: a parsed status is 100..999; a read's
 * buckets are sorted, aligned, hold no more errors than requests and as
 * many requests as lines counted, and the position it returns is just
 * after a newline; reading in two steps counts what one read counts; a
 * position file that loads saves and loads back equal.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BUCKET 60
#define NOW    1795467600 /* 2026-11-23T21:00:00Z, an hour after the fixtures */

static void parse_one(const struct accesslog_spec *spec, const uint8_t *data, size_t size)
{
	uint8_t *line = fuzz_copy(data, size);
	int64_t t;
	int status = 0;

	if (accesslog_parse_line(spec, (const char *)line, size, &t, &status) == 0)
		FUZZ_CHECK(status >= 100 && status <= 999, "status %d", status);
	free(line);
}

/* Read LOG, which holds DATA[0..SIZE) (a first run when !POS->valid, else
 * from *POS), and check what came back; *ST and the buckets (*B, *N) are
 * the caller's to use and free. */
static void read_checked(const char *log, const struct accesslog_spec *spec, const uint8_t *data,
                         size_t size, struct accesslog_pos *pos, double lookback, struct sample **b,
                         size_t *n, struct accesslog_stats *st)
{
	char err[512] = "";
	double requests = 0;

	FUZZ_CHECK(accesslog_read(log, spec, pos, NOW, lookback, b, n, st, err, sizeof err) == 0,
	           "read: %s", err);
	for (size_t i = 0; i < *n; i++) {
		const struct sample *k = &(*b)[i];

		FUZZ_CHECK(i == 0 || k[-1].t < k->t, "bucket %zu out of order", i);
		FUZZ_CHECK(k->t % BUCKET == 0, "bucket %zu starts at %lld", i, (long long)k->t);
		FUZZ_CHECK(k->value >= 0 && k->value <= k->capacity,
		           "bucket %zu: %g errors in %g requests", i, k->value, k->capacity);
		requests += k->capacity;
	}
	FUZZ_CHECK(requests == (double)st->lines, "%g requests in buckets, %llu lines", requests,
	           (unsigned long long)st->lines);
	FUZZ_CHECK(pos->valid && pos->offset <= size, "offset %llu of %zu bytes",
	           (unsigned long long)pos->offset, size);
	FUZZ_CHECK(pos->offset == 0 || data[pos->offset - 1] == '\n',
	           "offset %llu is not after a newline", (unsigned long long)pos->offset);
}

/* Requests and errors of the bucket at T in B[0..N), added to *REQ, *ERRS;
 * returns whether there is one. */
static bool add_bucket(const struct sample *b, size_t n, int64_t t, double *req, double *errs)
{
	for (size_t i = 0; i < n; i++)
		if (b[i].t == t) {
			*req += b[i].capacity;
			*errs += b[i].value;
			return true;
		}
	return false;
}

/* Whether every bucket of B[0..N) is one of ALL[0..NALL). */
static bool buckets_within(const struct sample *b, size_t n, const struct sample *all, size_t nall)
{
	double req = 0, errs = 0;

	for (size_t i = 0; i < n; i++)
		if (!add_bucket(all, nall, b[i].t, &req, &errs))
			return false;
	return true;
}

/* Counted in two reads (b1, b2) as in one (all): the same buckets. */
static void check_same(const struct sample *all, size_t n, const struct sample *b1, size_t n1,
                       const struct sample *b2, size_t n2)
{
	for (size_t i = 0; i < n; i++) {
		double req = 0, errs = 0;

		add_bucket(b1, n1, all[i].t, &req, &errs);
		add_bucket(b2, n2, all[i].t, &req, &errs);
		FUZZ_CHECK(req == all[i].capacity && errs == all[i].value,
		           "bucket %lld: %g/%g in two reads, %g/%g in one", (long long)all[i].t,
		           errs, req, all[i].value, all[i].capacity);
	}
	FUZZ_CHECK(buckets_within(b1, n1, all, n) && buckets_within(b2, n2, all, n),
	           "two reads filled buckets one read did not");
}

/* The whole log in one read, then in two (its first half, then the rest
 * appended): the same lines in the same buckets. With LOOKBACK, one read
 * that starts at the first line in the last LOOKBACK seconds before NOW. */
static void read_log(const struct accesslog_spec *spec, const uint8_t *data, size_t size,
                     double lookback)
{
	char log[4096];
	struct accesslog_pos pos = {0}, pos2 = {0};
	struct accesslog_stats st, st1, st2;
	struct sample *all, *b1, *b2;
	size_t n, n1, n2, half = size / 2;

	snprintf(log, sizeof log, "%s", fuzz_path("access.log"));
	fuzz_write_file(log, data, size);
	read_checked(log, spec, data, size, &pos, lookback, &all, &n, &st);
	if (lookback > 0) {
		free(all);
		return;
	}
	fuzz_write_file(log, data, half);
	read_checked(log, spec, data, half, &pos2, 0, &b1, &n1, &st1);
	fuzz_write_file(log, data, size); /* the same inode, its first half unchanged */
	read_checked(log, spec, data, size, &pos2, 0, &b2, &n2, &st2);
	FUZZ_CHECK(!st2.rotated && !st2.truncated, "an appended log taken as rotated");
	FUZZ_CHECK(st1.lines + st2.lines == st.lines &&
	                   st1.bad_lines + st2.bad_lines == st.bad_lines,
	           "%llu + %llu lines (%llu + %llu bad) in two reads, %llu (%llu) in one",
	           (unsigned long long)st1.lines, (unsigned long long)st2.lines,
	           (unsigned long long)st1.bad_lines, (unsigned long long)st2.bad_lines,
	           (unsigned long long)st.lines, (unsigned long long)st.bad_lines);
	FUZZ_CHECK(pos2.offset == pos.offset, "two reads end at %llu, one at %llu",
	           (unsigned long long)pos2.offset, (unsigned long long)pos.offset);
	check_same(all, n, b1, n1, b2, n2);
	free(all);
	free(b1);
	free(b2);
}

/* The position file DATA[0..SIZE) ("pos"); saved again ("pos2") when it
 * loads, and loaded back. */
static void load_pos(const uint8_t *data, size_t size)
{
	struct accesslog_pos pos, back;
	char err[512] = "";

	fuzz_write_file(fuzz_path("pos"), data, size);
	if (accesslog_pos_load(fuzz_path("pos"), &pos, err, sizeof err) != 0) {
		FUZZ_CHECK(err[0] != '\0' && strchr(err, '\n') == NULL, "reason '%s'", err);
		return;
	}
	if (!pos.valid)
		return;
	FUZZ_CHECK(accesslog_pos_save(fuzz_path("pos2"), &pos, err, sizeof err) == 0, "save: %s",
	           err);
	FUZZ_CHECK(accesslog_pos_load(fuzz_path("pos2"), &back, err, sizeof err) == 0, "reload: %s",
	           err);
	FUZZ_CHECK(memcmp(&pos, &back, sizeof pos) == 0, "a position changed on its way back");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct statusset errors;
	struct accesslog_spec spec = {.errors = &errors, .bucket = BUCKET};
	char err[256];
	unsigned mode;

	if (errors.n == 0 && statusset_parse("500-599,429", &errors, err, sizeof err) != 0)
		fuzz_fail(__FILE__, __LINE__, "statusset_parse", "%s", err);
	if (size < 1)
		return 0;
	mode = data[0];
	spec.format = (mode & 4) ? ACCESSLOG_JSON : ACCESSLOG_CLF;
	if (mode & 8) {
		spec.status_field = "code";
		spec.time_field = "msec";
	}
	switch (mode & 3) {
	case 0:
	case 1:
		parse_one(&spec, data + 1, size - 1);
		break;
	case 2:
		fuzz_clear_dir();
		read_log(&spec, data + 1, size - 1, (mode & 16) ? 3600 : 0);
		break;
	default:
		fuzz_clear_dir();
		load_pos(data + 1, size - 1);
		break;
	}
	return 0;
}
