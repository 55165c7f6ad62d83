/*
 * test_fuzz_regress.c - what the fuzz targets (fuzz/, make fuzz) found, kept
 * as tests so that it stays fixed: each test is the input a target reported,
 * cut to what matters, and the contract it broke.  The inputs themselves are
 * also in fuzz/corpus/NAME/regress-*, where every fuzz run replays them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accesslog.h"
#include "config.h"
#include "range.h"
#include "units.h"

/* REASON is one line that shows a control character it quotes as '?'. */
static void assert_one_line(const char *reason, const char *quoted)
{
	for (const char *p = reason; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_msg("reason '%s' holds byte %#x", reason, (unsigned char)*p);
	if (strstr(reason, quoted) == NULL)
		fail_msg("reason '%s' does not quote '%s'", reason, quoted);
}

/* fuzz_range: a newline in a threshold went into the reason, which the
 * plugins print as their output line (lib/errbuf.c now writes it as '?'). */
static void range_reasons_are_one_line(void **state)
{
	struct range r;
	char err[256] = "";

	(void)state;
	assert_int_equal(range_parse("00.00t\n1;", RANGE_UNITS_NONE, &r, err, sizeof err), -1);
	assert_one_line(err, "'t?1;'");
	assert_int_equal(range_parse("10:\r\n", RANGE_UNITS_NONE, &r, err, sizeof err), -1);
	assert_one_line(err, "'?\?'"); /* two '?' ("??'" is a trigraph) */
}

/* The same fix seen through units.c, whose reasons quote the whole text. */
static void size_and_duration_reasons_are_one_line(void **state)
{
	double v;
	char err[256] = "";

	(void)state;
	assert_int_equal(units_parse_duration("1d\n2h", &v, err, sizeof err), -1);
	assert_one_line(err, "'1d?2h'");
	assert_int_equal(units_parse_size("1\tMiB", &v, err, sizeof err), -1);
	assert_one_line(err, "'1?MiB'");
}

/* fuzz_config: libconfuse quotes a whole token in "no such option '...'",
 * newlines included, so one error became several lines of trendtrapd -n's
 * "FILE:LINE: message" list (trapd/config.c's bad() now writes them as '?'). */
static void config_errors_are_one_line(void **state)
{
	char dir[] = "/tmp/tt-fuzz-regress-XXXXXX", path[64];
	const char text[] = "user = \"a\"\n'x\ny' = 1\nstate_dir = \"/var/lib/\x1b[2J\"\n";
	struct config_errors errs = {0};
	struct config *cfg;
	int fd, rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/trendtrapd.conf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fd);
	rc = config_load(path, &cfg, &errs);
	unlink(path);
	rmdir(dir);
	assert_int_equal(rc, -1);
	assert_true(errs.count >= 1);
	assert_one_line(errs.v[0].text, "no such option 'x?y'");
	for (size_t i = 1; i < errs.count; i++)
		assert_one_line(errs.v[i].text, path);
	config_errors_free(&errs);
}

/* fuzz_accesslog: the parser caches the last time it parsed, and the
 * cache starts as zero bytes, so a fresh parser took a time of NUL bytes
 * for the cached one: the line was counted at 1970 when it came first in a
 * read and rejected otherwise (the same log counted differently in one
 * read and in two).  The cache is now used only once it holds a line's. */
static void a_time_of_nul_bytes_is_malformed(void **state)
{
	static const char stamp[] = "[\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0]",
	                  date[] = "[\0\0\0\0\0\0\0\0\0\0\0:20:00:13 \0\0\0\0\0]",
	                  iso[] = "{\"time\":\"\0\0\0\0\0\0\0\0\0\0T20:00:13Z\",\"status\":200}";
	const struct accesslog_spec clf = {.format = ACCESSLOG_CLF},
	                            json = {.format = ACCESSLOG_JSON};
	const char *const times[] = {stamp, date};
	char line[128];
	int64_t t = -1;
	int status = 0;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		size_t n = 0;

		memcpy(line, "127.0.0.1 - - ", 14);
		n = 14;
		memcpy(line + n, times[i], 28);
		n += 28;
		memcpy(line + n, " \"GET / HTTP/1.1\" 200 0", 24);
		n += 24;
		assert_int_equal(accesslog_parse_line(&clf, line, n, &t, &status), -1);
	}
	assert_int_equal(accesslog_parse_line(&json, iso, sizeof iso - 1, &t, &status), -1);
	/* and the same lines with a real time parse */
	memcpy(line + 14, "[23/Nov/2026:20:00:13 +0000]", 28);
	assert_int_equal(accesslog_parse_line(&clf, line, 14 + 28 + 24, &t, &status), 0);
	assert_int_equal(t, 1795464013);
	assert_int_equal(status, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(range_reasons_are_one_line),
	        cmocka_unit_test(size_and_duration_reasons_are_one_line),
	        cmocka_unit_test(config_errors_are_one_line),
	        cmocka_unit_test(a_time_of_nul_bytes_is_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
