/*
 * test_accesslog.c - access-log parsing (combined, common, JSON lines),
 * bucketing, incremental reads across rotation (rename+create, copytruncate,
 * a replaced file), the lookback seek, and position files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"

#define T0 1795464013 /* 23/Nov/2026:20:00:13 +0000 */

/* ---- helpers ----------------------------------------------------------- */

struct env {
	char dir[64];
	char log[128];
	struct statusset errors;
	struct accesslog_spec spec;
	struct accesslog_pos pos;
	struct accesslog_stats st;
	double requests, errs; /* totals of the last read */
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[128];

	strcpy(e->dir, "/tmp/tt-accesslog-XXXXXX");
	if (e == NULL || mkdtemp(e->dir) == NULL)
		return -1;
	snprintf(e->log, sizeof(e->log), "%s/access.log", e->dir);
	if (statusset_parse("500-599", &e->errors, err, sizeof(err)) != 0)
		return -1;
	e->spec = (struct accesslog_spec){
	        .format = ACCESSLOG_CLF, .errors = &e->errors, .bucket = 60};
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	DIR *d = opendir(e->dir);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		char p[512];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", e->dir, de->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(e->dir);
	free(e);
	return 0;
}

/* A combined-format line for unix time T (UTC) and STATUS, with its newline. */
static void clf_line(char *buf, size_t len, int64_t t, int status)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char when[64];

	gmtime_r(&tt, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	snprintf(buf, len, "127.0.0.1 - - [%s] \"GET /%s HTTP/1.1\" %d 177 \"-\" \"curl/7.88.1\"\n",
	         when, status >= 500 ? "fail" : "ok", status);
}

static void append_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Append N lines to PATH from time T, one per second, every third a 500. */
static void append_lines(const char *path, int64_t t, int n)
{
	FILE *f = fopen(path, "a");
	char line[256];

	assert_non_null(f);
	for (int i = 0; i < n; i++) {
		clf_line(line, sizeof(line), t + i, i % 3 == 0 ? 500 : 200);
		fputs(line, f);
	}
	assert_int_equal(fclose(f), 0);
}

/* Errors among N lines written by append_lines. */
static double errors_in(int n)
{
	return (n + 2) / 3;
}

/* Read E->log from E->pos; totals into E->requests, E->errs. */
static void read_log(struct env *e, int64_t now, double lookback)
{
	struct sample *b;
	size_t n;
	char err[256];

	if (accesslog_read(e->log, &e->spec, &e->pos, now, lookback, &b, &n, &e->st, err,
	                   sizeof(err)) != 0)
		fail_msg("accesslog_read: %s", err);
	e->requests = e->errs = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && b[i].t <= b[i - 1].t)
			fail_msg("buckets out of order at %zu", i);
		e->requests += b[i].capacity;
		e->errs += b[i].value;
	}
	free(b);
}

static void path_in(const struct env *e, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", e->dir, name);
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "r"), *out = fopen(to, "w");
	char buf[4096];
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

static const struct accesslog_spec *clf(void)
{
	static struct statusset errors = {.r = {{500, 599}}, .n = 1};
	static const struct accesslog_spec spec = {
	        .format = ACCESSLOG_CLF, .errors = &errors, .bucket = 60};

	return &spec;
}

static const struct accesslog_spec *json(const char *sfield, const char *tfield)
{
	static struct accesslog_spec spec;

	spec = *clf();
	spec.format = ACCESSLOG_JSON;
	spec.status_field = sfield;
	spec.time_field = tfield;
	return &spec;
}

static void assert_line(const struct accesslog_spec *spec, const char *line, int64_t want_t,
                        int want_status)
{
	int64_t t;
	int status;

	if (accesslog_parse_line(spec, line, strlen(line), &t, &status) != 0)
		fail_msg("rejected: %s", line);
	if (t != want_t || status != want_status)
		fail_msg("%s: got t=%lld status=%d, want t=%lld status=%d", line, (long long)t,
		         status, (long long)want_t, want_status);
}

static void assert_bad(const struct accesslog_spec *spec, const char *line)
{
	int64_t t;
	int status;

	if (accesslog_parse_line(spec, line, strlen(line), &t, &status) == 0)
		fail_msg("accepted a malformed line: %s", line);
}

/* ---- parsing ----------------------------------------------------------- */

static void parses_combined_and_common(void **state)
{
	(void)state;
	assert_line(clf(),
	            "127.0.0.1 - - [23/Nov/2026:20:00:13 +0000] \"GET /fail HTTP/1.1\" 500 177 "
	            "\"-\" \"curl/7.88.1\"",
	            T0, 500);
	/* Apache's common format example: no referer, no user agent */
	assert_line(
	        clf(),
	        "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" "
	        "200 2326",
	        971211336, 200);
	assert_line(clf(), "::1 - - [01/Jan/1970:00:00:00 +0000] \"-\" 400 0 \"-\" \"-\"", 0, 400);
	assert_line(clf(), "10.0.0.1 - - [29/Feb/2024:23:59:60 +0000] \"GET / HTTP/1.1\" 404 -",
	            1709251200, 404);
}

static void applies_zone_offsets(void **state)
{
	(void)state;
	/* 20:00:13 at +0530 is 14:30:13 UTC; at -0800 it is 04:00:13 the next day */
	assert_line(clf(), "h - - [23/Nov/2026:20:00:13 +0530] \"GET / HTTP/1.1\" 200 1",
	            T0 - 5 * 3600 - 1800, 200);
	assert_line(clf(), "h - - [23/Nov/2026:20:00:13 -0800] \"GET / HTTP/1.1\" 200 1",
	            T0 + 8 * 3600, 200);
	/* the cached date must not leak its zone into the next line */
	assert_line(clf(), "h - - [23/Nov/2026:20:00:13 +0000] \"GET / HTTP/1.1\" 200 1", T0, 200);
	assert_line(clf(), "h - - [31/Dec/2026:23:30:00 -0100] \"GET / HTTP/1.1\" 200 1",
	            1798761600 + 30 * 60, 200);
}

static void skips_escaped_quotes_in_the_request(void **state)
{
	(void)state;
	/* Apache escapes " as \" and \ as \\; nginx writes \x22 */
	assert_line(clf(), "h - - [23/Nov/2026:20:00:13 +0000] \"GET /a\\\"b\\\" HTTP/1.1\" 503 1",
	            T0, 503);
	assert_line(clf(), "h - - [23/Nov/2026:20:00:13 +0000] \"GET /a\\\\\" 502 1 \"-\" \"x\"",
	            T0, 502);
	assert_line(clf(), "h - - [23/Nov/2026:20:00:13 +0000] \"GET /\\x22\\x22 HTTP/1.1\" 200 1",
	            T0, 200);
	assert_line(clf(),
	            "h - - [23/Nov/2026:20:00:13 +0000] \"\\x16\\x03\\x01\" 400 157 \"-\" \"-\"",
	            T0, 400);
}

static void rejects_malformed_clf(void **state)
{
	static const char *const bad[] = {
	        "",
	        "garbage",
	        "h - - 23/Nov/2026:20:00:13 +0000 \"GET / HTTP/1.1\" 200 1",
	        "h - - [23/Nov/2026:20:00:13 +0000 \"GET / HTTP/1.1\" 200 1",
	        "h - - [23/Nox/2026:20:00:13 +0000] \"GET / HTTP/1.1\" 200 1",
	        "h - - [32/Nov/2026:20:00:13 +0000] \"GET / HTTP/1.1\" 200 1",
	        "h - - [23/Nov/2026:24:00:13 +0000] \"GET / HTTP/1.1\" 200 1",
	        "h - - [23/Nov/2026:20:60:13 +0000] \"GET / HTTP/1.1\" 200 1",
	        "h - - [23/Nov/2026:20:00:13 0000] \"GET / HTTP/1.1\" 200 1",
	        "h - - [23/Nov/2026:20:00:13 +00x0] \"GET / HTTP/1.1\" 200 1",
	        "h - - [23/Nov/2026 20:00:13 +0000] \"GET / HTTP/1.1\" 200 1",
	        "h - - [23/Nov/2026:20:00:13 +0000] GET / HTTP/1.1 200 1",
	        "h - - [23/Nov/2026:20:00:13 +0000] \"GET / HTTP/1.1 200 1",
	        "h - - [23/Nov/2026:20:00:13 +0000] \"GET / HTTP/1.1\\\" 200 1",
	        "h - - [23/Nov/2026:20:00:13 +0000] \"GET / HTTP/1.1\" 50 1",
	        "h - - [23/Nov/2026:20:00:13 +0000] \"GET / HTTP/1.1\" 5000 1",
	        "h - - [23/Nov/2026:20:00:13 +0000] \"GET / HTTP/1.1\" 099 1",
	        "h - - [23/Nov/2026:20:00:13 +0000] \"GET / HTTP/1.1\" abc 1",
	        "h - - [23/Nov/2026:20:00:13 +0000] \"GET / HTTP/1.1\"",
	        "h - - [23/Nov/2026:20:00:13 +0000]",
	        "h - - [23/Nov/20",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_bad(clf(), bad[i]);
}

static void parses_json_lines(void **state)
{
	(void)state;
	assert_line(json(NULL, NULL), "{\"time\":\"2026-11-23T20:00:13+00:00\",\"status\":500}", T0,
	            500);
	assert_line(json(NULL, NULL),
	            " { \"status\" : \"429\" , \"time\" : \"2026-11-23T20:00:13Z\" } ", T0, 429);
	assert_line(json(NULL, NULL), "{\"time\":\"2026-11-23T20:00:13.123456Z\",\"status\":200}",
	            T0, 200);
	assert_line(json(NULL, NULL), "{\"time\":\"2026-11-23T20:00:13-08:00\",\"status\":200}",
	            T0 + 8 * 3600, 200);
	assert_line(json(NULL, NULL), "{\"time\":\"2026-11-23T20:00:13+0530\",\"status\":200}",
	            T0 - 5 * 3600 - 1800, 200);
	/* nginx $msec: unix seconds with milliseconds, as a number or a string */
	assert_line(json(NULL, NULL), "{\"time\":1795464013.999,\"status\":502}", T0, 502);
	assert_line(json(NULL, NULL), "{\"time\":\"1795464013\",\"status\":502}", T0, 502);
	/* other fields of every kind before and between, nested ones ignored */
	assert_line(json("code", "ts"),
	            "{\"msg\":\"a \\\"quoted\\\" } , \\\\\",\"obj\":{\"code\":200,\"ts\":1},"
	            "\"arr\":[1,[2,{\"x\":\"]\"}]],\"n\":-1.5e3,\"ok\":true,\"nil\":null,"
	            "\"code\":503,\"ts\":1795464013}",
	            T0, 503);
	/* a key written with escapes is still that key */
	assert_line(json(NULL, NULL), "{\"st\\u0061tus\":500,\"t\\/x\":1,\"time\":1795464013}", T0,
	            500);
}

static void rejects_malformed_json(void **state)
{
	static const char *const bad[] = {
	        "",
	        "[]",
	        "{}",
	        "not json",
	        "{\"time\":1795464013}",
	        "{\"status\":500}",
	        "{\"time\":1795464013,\"status\":50}",
	        "{\"time\":1795464013,\"status\":500.0}",
	        "{\"time\":1795464013,\"status\":\"5000\"}",
	        "{\"time\":\"2026-11-23T20:00:13\",\"status\":500}",
	        "{\"time\":\"2026-13-23T20:00:13Z\",\"status\":500}",
	        "{\"time\":\"2026-11-23T20:00:13Zjunk\",\"status\":500}",
	        "{\"time\":\"yesterday\",\"status\":500}",
	        "{\"time\":-5,\"status\":500}",
	        "{\"obj\":{\"status\":500,\"time\":1795464013}}",
	        "{\"time\" 1795464013,\"status\":500}",
	        "{\"msg\":\"unterminated,\"status\":500,\"time\":1795464013",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_bad(json(NULL, NULL), bad[i]);
}

/* ---- reading and bucketing ---------------------------------------------- */

/* Read FIXTURE whole with SPEC; its buckets must be WANT (t, requests, errors). */
static void assert_fixture(const struct accesslog_spec *spec, const char *fixture,
                           const int64_t (*want)[3], size_t nwant, uint64_t bad)
{
	struct accesslog_pos pos;
	struct accesslog_stats st;
	struct sample *b;
	size_t n;
	char err[256];

	memset(&pos, 0, sizeof(pos));
	if (accesslog_read(fixture, spec, &pos, T0, 0, &b, &n, &st, err, sizeof(err)) != 0)
		fail_msg("%s: %s", fixture, err);
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++) {
		if (b[i].t != want[i][0] || b[i].capacity != want[i][1] || b[i].value != want[i][2])
			fail_msg("%s bucket %zu: got %lld %g %g, want %lld %lld %lld", fixture, i,
			         (long long)b[i].t, b[i].capacity, b[i].value,
			         (long long)want[i][0], (long long)want[i][1],
			         (long long)want[i][2]);
	}
	assert_int_equal(st.bad_lines, bad);
	free(b);
}

static void reads_the_fixtures(void **state)
{
	static const int64_t combined[][3] = {
	        {T0 - 13, 3, 1}, {T0 - 13 + 60, 4, 1}, {T0 - 13 + 120, 2, 1}};
	static const int64_t common[][3] = {{971211300, 2, 1}, {971211360, 3, 0}};
	static const int64_t json_lines[][3] = {{T0 - 13, 3, 1}, {T0 - 13 + 60, 2, 1}};

	(void)state;
	assert_fixture(clf(), "t/fixtures/access-combined", combined, 3, 1);
	assert_fixture(clf(), "t/fixtures/access-common", common, 2, 1);
	assert_fixture(json(NULL, NULL), "t/fixtures/access-json", json_lines, 2, 2);
	assert_fixture(json("status", "msec"), "t/fixtures/access-json", json_lines, 2, 2);
}

static void buckets_by_the_time_in_each_line(void **state)
{
	struct env *e = *state;
	struct sample *b;
	size_t n;
	char err[256], line[256];
	int64_t base = T0 - T0 % 300;

	assert_int_equal(statusset_parse("500-599,429", &e->errors, err, sizeof(err)), 0);
	e->spec.bucket = 300;
	/* two buckets, a late line for the first, a malformed line, a blank line */
	clf_line(line, sizeof(line), base + 10, 200);
	append_text(e->log, line);
	clf_line(line, sizeof(line), base + 299, 500);
	append_text(e->log, line);
	clf_line(line, sizeof(line), base + 300, 429);
	append_text(e->log, line);
	clf_line(line, sizeof(line), base + 5, 404);
	append_text(e->log, line);
	append_text(e->log, "not a log line\n\r\n");
	clf_line(line, sizeof(line), base - 1, 503); /* a third bucket, before the others */
	line[strlen(line) - 1] = '\0';
	append_text(e->log, line);
	append_text(e->log, "\r\n");
	assert_int_equal(
	        accesslog_read(e->log, &e->spec, &e->pos, T0, 0, &b, &n, &e->st, err, sizeof(err)),
	        0);
	assert_int_equal(n, 3);
	assert_int_equal(b[0].t, base - 300);
	assert_true(b[0].capacity == 1 && b[0].value == 1);
	assert_int_equal(b[1].t, base);
	assert_true(b[1].capacity == 3 && b[1].value == 1);
	assert_int_equal(b[2].t, base + 300);
	assert_true(b[2].capacity == 1 && b[2].value == 1);
	assert_int_equal(e->st.lines, 5);
	assert_int_equal(e->st.bad_lines, 1);
	assert_true(e->st.first_run);
	free(b);
}

static void reads_only_what_was_appended(void **state)
{
	struct env *e = *state;
	char line[256];
	struct stat sb;

	append_lines(e->log, T0, 10);
	read_log(e, T0, 0);
	assert_true(e->requests == 10 && e->errs == errors_in(10));
	assert_true(e->pos.valid);
	/* nothing new: nothing counted */
	read_log(e, T0, 0);
	assert_true(e->requests == 0);
	assert_false(e->st.first_run);
	/* two lines and half of a third: the half waits for its newline */
	append_lines(e->log, T0 + 100, 2);
	clf_line(line, sizeof(line), T0 + 200, 500);
	line[20] = '\0';
	append_text(e->log, line);
	read_log(e, T0, 0);
	assert_true(e->requests == 2 && e->errs == 1);
	assert_int_equal(e->st.bad_lines, 0);
	assert_int_equal(stat(e->log, &sb), 0);
	assert_int_equal(e->pos.offset + 20, (uint64_t)sb.st_size);
	clf_line(line, sizeof(line), T0 + 200, 500);
	append_text(e->log, line + 20);
	read_log(e, T0, 0);
	assert_true(e->requests == 1 && e->errs == 1);
	assert_int_equal(e->st.bad_lines, 0);
}

static void a_line_longer_than_the_buffer_is_bad(void **state)
{
	struct env *e = *state;
	size_t big = 3 * 1024 * 1024 + 17;
	char *junk = malloc(big + 2);

	assert_non_null(junk);
	memset(junk, 'x', big);
	strcpy(junk + big, "\n");
	append_lines(e->log, T0, 3);
	append_text(e->log, junk);
	append_lines(e->log, T0 + 3, 3);
	/* an unfinished long line stays unread */
	junk[big] = '\0';
	append_text(e->log, junk);
	free(junk);
	read_log(e, T0, 0);
	assert_true(e->requests == 6);
	assert_int_equal(e->st.bad_lines, 2); /* the long one, and the unfinished one seen so far */
	append_text(e->log, "\n");
	append_lines(e->log, T0 + 6, 1);
	read_log(e, T0, 0);
	assert_true(e->requests == 1);
}

static void follows_rename_and_create(void **state)
{
	struct env *e = *state;
	char old[128];

	path_in(e, "access.log.1", old, sizeof(old));
	append_lines(e->log, T0, 10);
	read_log(e, T0, 0);
	append_lines(e->log, T0 + 10, 7); /* written before the rotation, not read yet */
	assert_int_equal(rename(e->log, old), 0);
	append_lines(e->log, T0 + 20, 5);
	read_log(e, T0, 0);
	assert_true(e->requests == 12 && e->errs == errors_in(7) + errors_in(5));
	assert_true(e->st.rotated);
	assert_false(e->st.truncated);
	assert_string_equal(e->st.note, "");
	/* and goes on with the new file */
	append_lines(e->log, T0 + 30, 4);
	read_log(e, T0, 0);
	assert_true(e->requests == 4);
	assert_false(e->st.rotated);
}

static void reads_the_renamed_file_until_the_log_is_recreated(void **state)
{
	struct env *e = *state;
	char old[128];

	path_in(e, "access.log-20261123", old, sizeof(old));
	append_lines(e->log, T0, 10);
	read_log(e, T0, 0);
	assert_int_equal(rename(e->log, old), 0);
	append_lines(old, T0 + 10, 3); /* the writer still has it open */
	read_log(e, T0, 0);
	assert_true(e->requests == 3);
	append_lines(old, T0 + 20, 2);
	append_lines(e->log, T0 + 30, 6); /* reopened */
	read_log(e, T0, 0);
	assert_true(e->requests == 8);
	assert_true(e->st.rotated);
}

static void says_when_the_rotated_file_is_gone(void **state)
{
	struct env *e = *state;
	char old[128];

	path_in(e, "access.log.1.gz", old, sizeof(old));
	append_lines(e->log, T0, 10);
	read_log(e, T0, 0);
	append_lines(e->log, T0 + 10, 3);
	copy_file(e->log, old); /* as if compressed: another inode, not read */
	assert_int_equal(unlink(e->log), 0);
	append_lines(e->log, T0 + 20, 5);
	read_log(e, T0, 0);
	assert_true(e->requests == 5);
	assert_true(e->st.rotated || e->st.truncated); /* the inode may be reused */
	assert_non_null(strstr(e->st.note, "may be lost"));
	/* the log missing and its old file gone: an error */
	unlink(old);
	read_log(e, T0, 0);
	assert_int_equal(unlink(e->log), 0);
	{
		struct sample *b;
		size_t n;
		char err[256];

		assert_int_equal(accesslog_read(e->log, &e->spec, &e->pos, T0, 0, &b, &n, &e->st,
		                                err, sizeof(err)),
		                 -1);
		assert_non_null(strstr(err, "access.log"));
	}
}

static void follows_copytruncate(void **state)
{
	struct env *e = *state;
	char copy[128], other[128];

	path_in(e, "access.log.1", copy, sizeof(copy));
	path_in(e, "access.log.2", other, sizeof(other));
	append_lines(other, T0 - 1000, 50); /* an older rotation: not it */
	append_lines(e->log, T0, 10);
	read_log(e, T0, 0);
	append_lines(e->log, T0 + 10, 7);
	copy_file(e->log, copy);
	assert_int_equal(truncate(e->log, 0), 0);
	append_lines(e->log, T0 + 20, 5);
	read_log(e, T0, 0);
	assert_true(e->requests == 12 && e->errs == errors_in(7) + errors_in(5));
	assert_true(e->st.truncated);
	assert_false(e->st.rotated);
	assert_string_equal(e->st.note, "");
	append_lines(e->log, T0 + 30, 4);
	read_log(e, T0, 0);
	assert_true(e->requests == 4);
	assert_false(e->st.truncated);
}

static void copytruncate_seen_late_is_told_by_the_head(void **state)
{
	struct env *e = *state;
	char copy[128];

	path_in(e, "access.log-20261123", copy, sizeof(copy));
	append_lines(e->log, T0, 10);
	read_log(e, T0, 0);
	append_lines(e->log, T0 + 10, 2);
	copy_file(e->log, copy);
	assert_int_equal(truncate(e->log, 0), 0);
	append_lines(e->log, T0 + 60, 30); /* now longer than it was */
	read_log(e, T0, 0);
	assert_true(e->requests == 32);
	assert_true(e->st.truncated);
}

static void a_replaced_file_with_another_head_is_read_from_its_start(void **state)
{
	struct env *e = *state;

	append_lines(e->log, T0, 10);
	read_log(e, T0, 0);
	/* same inode, other content, longer: no copy anywhere */
	assert_int_equal(truncate(e->log, 0), 0);
	append_lines(e->log, T0 + 3600, 20);
	read_log(e, T0, 0);
	assert_true(e->requests == 20);
	assert_true(e->st.truncated);
	assert_non_null(strstr(e->st.note, "may be lost"));
}

static void same_head_other_tail_is_a_rewrite(void **state)
{
	struct env *e = *state;
	char line[256], copy[128];

	path_in(e, "access.log.1", copy, sizeof(copy));
	/* every line identical: only the bytes before the offset can tell */
	clf_line(line, sizeof(line), T0, 200);
	for (int i = 0; i < 5; i++)
		append_text(e->log, line);
	read_log(e, T0, 0);
	append_text(e->log, line);
	copy_file(e->log, copy);
	assert_int_equal(truncate(e->log, 0), 0);
	append_text(e->log, line);
	clf_line(line, sizeof(line), T0, 500);
	for (int i = 0; i < 7; i++)
		append_text(e->log, line);
	/* 8 lines now: longer than before, same head, other bytes before offset */
	read_log(e, T0, 0);
	assert_true(e->requests == 9 && e->errs == 7);
	assert_true(e->st.truncated);
}

static void a_first_run_seeks_back_only_the_lookback(void **state)
{
	struct env *e = *state;
	const int lines = 200000; /* 55 hours, one line a second: 18 MB */
	int64_t last = T0 + lines - 1;
	struct stat sb;

	append_lines(e->log, T0, lines);
	assert_int_equal(stat(e->log, &sb), 0);
	read_log(e, last, 600);
	assert_true(e->st.first_run);
	assert_true(e->requests == 601); /* T0+lines-601 .. last */
	assert_int_equal(e->st.lines, 601);
	assert_int_equal(e->st.bad_lines, 0);
	if (e->st.bytes > 512 * 1024)
		fail_msg("read %llu bytes of %lld for 601 lines", (unsigned long long)e->st.bytes,
		         (long long)sb.st_size);
	assert_int_equal(e->pos.offset, (uint64_t)sb.st_size);
	/* a lookback longer than the log reads it all */
	memset(&e->pos, 0, sizeof(e->pos));
	read_log(e, last, 10.0 * lines);
	assert_true(e->requests == lines);
	/* lookback 0: everything */
	memset(&e->pos, 0, sizeof(e->pos));
	read_log(e, last + 1000000, 0);
	assert_true(e->requests == lines);
	assert_int_equal(e->st.bytes, (uint64_t)sb.st_size);
	/* a lookback reaching before 1970: everything, without seeking */
	memset(&e->pos, 0, sizeof(e->pos));
	read_log(e, last, 1e300);
	assert_true(e->requests == lines);
	assert_int_equal(e->st.bytes, (uint64_t)sb.st_size);
	/* a lookback after the last line: nothing */
	memset(&e->pos, 0, sizeof(e->pos));
	read_log(e, last + 1000, 60);
	assert_true(e->requests == 0);
	assert_true(e->st.bytes < 256 * 1024);
}

static void a_long_first_scan_counts_each_line_once(void **state)
{
	struct env *e = *state;
	const int n = 10000, copies = 81; /* 69 MiB: two threads where there are two cores */
	char line[256], *chunk = malloc((size_t)n * sizeof(line));
	size_t len = 0;
	struct stat sb;
	cpu_set_t cpus;
	FILE *f;

	assert_non_null(chunk);
	for (int i = 0; i < n; i++) {
		clf_line(line, sizeof(line), T0 + i, i % 3 == 0 ? 500 : 200);
		memcpy(chunk + len, line, strlen(line));
		len += strlen(line);
	}
	assert_non_null(f = fopen(e->log, "w"));
	fputs("::1 - - [23/Nov/2026:20:00:13 +0000] \"GET / HTTP/1.1\" 204 0\n",
	      f); /* no symmetry */
	for (int i = 0; i < copies; i++)
		assert_int_equal(fwrite(chunk, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(chunk);
	assert_int_equal(stat(e->log, &sb), 0);
	read_log(e, T0, 0);
	assert_true(e->requests == (double)n * copies + 1);
	assert_true(e->errs == errors_in(n) * copies);
	assert_int_equal(e->st.lines, (uint64_t)n * copies + 1);
	assert_int_equal(e->st.bad_lines, 0);
	assert_int_equal(e->pos.offset, (uint64_t)sb.st_size);
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) >= 2)
		/* two threads: the split was probed, 64 KiB more */
		assert_int_equal(e->st.bytes, (uint64_t)sb.st_size + 64 * 1024);
	append_lines(e->log, T0, 5);
	read_log(e, T0, 0);
	assert_true(e->requests == 5);
}

static void rejects_bad_input(void **state)
{
	struct env *e = *state;
	struct sample *b;
	size_t n;
	char err[256];

	assert_int_equal(
	        accesslog_read(e->log, &e->spec, &e->pos, T0, 0, &b, &n, &e->st, err, sizeof(err)),
	        -1);
	assert_non_null(strstr(err, "No such file"));
	e->spec.bucket = 0;
	append_lines(e->log, T0, 1);
	assert_int_equal(
	        accesslog_read(e->log, &e->spec, &e->pos, T0, 0, &b, &n, &e->st, err, sizeof(err)),
	        -1);
	assert_non_null(strstr(err, "bucket"));
	e->spec.bucket = 60;
	assert_int_equal(
	        accesslog_read(e->dir, &e->spec, &e->pos, T0, 0, &b, &n, &e->st, err, sizeof(err)),
	        -1);
	assert_false(e->pos.valid);
}

/* ---- position files ---------------------------------------------------- */

static void position_round_trips(void **state)
{
	struct env *e = *state;
	struct accesslog_pos a, b;
	char path[128], err[256];
	struct stat sb;

	path_in(e, "pos", path, sizeof(path));
	assert_int_equal(accesslog_pos_load(path, &a, err, sizeof(err)), 0);
	assert_false(a.valid);
	append_lines(e->log, T0, 3);
	read_log(e, T0, 0);
	assert_int_equal(accesslog_pos_save(path, &e->pos, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(accesslog_pos_load(path, &b, err, sizeof(err)), 0);
	assert_true(b.valid);
	assert_int_equal(b.dev, e->pos.dev);
	assert_int_equal(b.ino, e->pos.ino);
	assert_int_equal(b.offset, e->pos.offset);
	assert_int_equal(b.size_seen, e->pos.size_seen);
	assert_int_equal(b.headlen, 64);
	assert_memory_equal(b.head, e->pos.head, 64);
	assert_int_equal(b.taillen, e->pos.taillen);
	assert_memory_equal(b.tail, e->pos.tail, b.taillen);
	/* an empty log's position too */
	memset(&a, 0, sizeof(a));
	a.valid = true;
	assert_int_equal(accesslog_pos_save(path, &a, err, sizeof(err)), 0);
	assert_int_equal(accesslog_pos_load(path, &b, err, sizeof(err)), 0);
	assert_true(b.valid && b.offset == 0 && b.headlen == 0 && b.taillen == 0);
}

/* Saving goes through a temp file beside the position (lib/atomicfile.c):
 * a file left by a run killed mid-save does not block it, and a save leaves
 * no temp file behind. */
static void a_save_leaves_no_temp_file(void **state)
{
	struct env *e = *state;
	struct accesslog_pos p = {.valid = true}, q;
	char path[128], tmp[160], err[256];
	struct dirent *de;
	DIR *d;
	int temps = 0;

	path_in(e, "pos", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	append_text(tmp, "left by a run killed while saving");
	p.offset = p.size_seen = 7;
	assert_int_equal(accesslog_pos_save(path, &p, err, sizeof(err)), 0);
	assert_int_equal(accesslog_pos_load(path, &q, err, sizeof(err)), 0);
	assert_int_equal(q.offset, 7);
	unlink(tmp);
	d = opendir(e->dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		temps += strncmp(de->d_name, "pos.tmp", 7) == 0;
	closedir(d);
	assert_int_equal(temps, 0);
}

static void corrupt_positions_are_refused(void **state)
{
	static const char *const bad[] = {
	        "",
	        "hello\n",
	        "trendtrap accesslog position 1\n",
	        "trendtrap accesslog position 2\ndev 1\nino 2\noffset 3\nsize 4\nhead \ntail \n",
	        "trendtrap accesslog position 1\ndev 1\nino 2\noffset 3\nsize 4\nhead \n",
	        "trendtrap accesslog position 1\ndev 1\nino 2\noffset 3\nsize 4\nhead \ntail \ndev "
	        "1\n",
	        "trendtrap accesslog position 1\ndev x\nino 2\noffset 3\nsize 4\nhead \ntail \n",
	        "trendtrap accesslog position 1\ndev 1\nino 2\noffset -3\nsize 4\nhead \ntail \n",
	        "trendtrap accesslog position 1\ndev 1\nino 2\noffset 5\nsize 4\nhead \ntail \n",
	        "trendtrap accesslog position 1\ndev 1\nino 2\noffset 3\nsize 4\nhead 4g\ntail \n",
	        "trendtrap accesslog position 1\ndev 1\nino 2\noffset 3\nsize 4\nhead 414\ntail \n",
	        "trendtrap accesslog position 1\ndev 1\nino 2\noffset 1\nsize 4\nhead \ntail "
	        "4142\n",
	        "trendtrap accesslog position 1\ndev 1\nino 2\noffset 3\nsize 4\nhead \ntail \nx "
	        "1\n",
	};
	struct env *e = *state;
	struct accesslog_pos p;
	char path[128], err[256];

	path_in(e, "pos", path, sizeof(path));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(bad[i], f);
		fclose(f);
		err[0] = '\0';
		if (accesslog_pos_load(path, &p, err, sizeof(err)) != -1)
			fail_msg("accepted position file %zu", i);
		assert_false(p.valid);
		assert_non_null(strstr(err, path));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(parses_combined_and_common),
	        cmocka_unit_test(applies_zone_offsets),
	        cmocka_unit_test(skips_escaped_quotes_in_the_request),
	        cmocka_unit_test(rejects_malformed_clf),
	        cmocka_unit_test(parses_json_lines),
	        cmocka_unit_test(rejects_malformed_json),
	        cmocka_unit_test(reads_the_fixtures),
	        cmocka_unit_test_setup_teardown(buckets_by_the_time_in_each_line, setup, teardown),
	        cmocka_unit_test_setup_teardown(reads_only_what_was_appended, setup, teardown),
	        cmocka_unit_test_setup_teardown(a_line_longer_than_the_buffer_is_bad, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(follows_rename_and_create, setup, teardown),
	        cmocka_unit_test_setup_teardown(reads_the_renamed_file_until_the_log_is_recreated,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(says_when_the_rotated_file_is_gone, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(follows_copytruncate, setup, teardown),
	        cmocka_unit_test_setup_teardown(copytruncate_seen_late_is_told_by_the_head, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                a_replaced_file_with_another_head_is_read_from_its_start, setup, teardown),
	        cmocka_unit_test_setup_teardown(same_head_other_tail_is_a_rewrite, setup, teardown),
	        cmocka_unit_test_setup_teardown(a_first_run_seeks_back_only_the_lookback, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(a_long_first_scan_counts_each_line_once, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(rejects_bad_input, setup, teardown),
	        cmocka_unit_test_setup_teardown(position_round_trips, setup, teardown),
	        cmocka_unit_test_setup_teardown(a_save_leaves_no_temp_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(corrupt_positions_are_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
