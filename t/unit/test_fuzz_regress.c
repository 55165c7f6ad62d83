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

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(range_reasons_are_one_line),
	        cmocka_unit_test(size_and_duration_reasons_are_one_line),
	        cmocka_unit_test(config_errors_are_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
