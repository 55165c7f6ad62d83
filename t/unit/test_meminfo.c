/*
 * test_meminfo.c - the /proc/meminfo parser, on fixtures from real kernels
 * and on broken files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meminfo.h"

#define KIB 1024.0

/* Write TEXT into a new temporary file; its name goes into PATH. */
static void write_temp(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/tt-meminfo-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* meminfo_read on TEXT must fail with an error containing WANT. */
static void assert_rejected(const char *text, const char *want)
{
	struct meminfo m;
	char err[256], path[64];

	write_temp(path, text);
	assert_int_equal(meminfo_read(path, &m, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, want);
	assert_non_null(strstr(err, path));
	unlink(path);
}

static void reads_a_modern_kernel_with_mem_available(void **state)
{
	struct meminfo m;
	char err[256];

	(void)state;
	assert_int_equal(meminfo_read("t/fixtures/meminfo-modern", &m, err, sizeof(err)), 0);
	assert_true(m.total == 24684096 * KIB);
	assert_true(m.available == 24412120 * KIB);
	assert_false(m.estimated);
}

static void reads_swap_in_bytes(void **state)
{
	struct meminfo m;
	char err[256];

	(void)state;
	assert_int_equal(meminfo_read("t/fixtures/meminfo-swap", &m, err, sizeof(err)), 0);
	assert_true(m.total == 16303532 * KIB);
	assert_true(m.available == 9457236 * KIB);
	assert_true(m.swap_total == 4194300 * KIB);
	assert_true(m.swap_free == 3145724 * KIB);
}

static void estimates_available_on_an_old_kernel(void **state)
{
	struct meminfo m;
	char err[256];

	(void)state;
	assert_int_equal(meminfo_read("t/fixtures/meminfo-old", &m, err, sizeof(err)), 0);
	assert_true(m.estimated);
	/* MemFree + Buffers + Cached + SReclaimable */
	assert_true(m.available == (532204 + 245788 + 5125460 + 268252) * KIB);
	assert_true(m.total == 8061404 * KIB);
	assert_true(m.swap_total == 4194300 * KIB);
}

static void the_estimate_never_exceeds_the_total(void **state)
{
	struct meminfo m;
	char err[256], path[64];

	(void)state;
	write_temp(path, "MemTotal: 1000 kB\nMemFree: 600 kB\nCached: 600 kB\n");
	assert_int_equal(meminfo_read(path, &m, err, sizeof(err)), 0);
	assert_true(m.estimated);
	assert_true(m.available == 1000 * KIB);
	unlink(path);
}

static void a_host_without_swap_has_zero_swap(void **state)
{
	struct meminfo m;
	char err[256], path[64];

	(void)state;
	assert_int_equal(meminfo_read("t/fixtures/meminfo-noswap", &m, err, sizeof(err)), 0);
	assert_true(m.swap_total == 0);
	assert_true(m.swap_free == 0);
	/* no Swap lines at all (some container views): no swap either */
	write_temp(path, "MemTotal: 2048 kB\nMemFree: 100 kB\nMemAvailable: 1024 kB\n");
	assert_int_equal(meminfo_read(path, &m, err, sizeof(err)), 0);
	assert_true(m.swap_total == 0);
	assert_true(m.available == 1024 * KIB);
	unlink(path);
}

static void tolerates_blank_lines_crlf_and_counts_without_unit(void **state)
{
	struct meminfo m;
	char err[256], path[64];

	(void)state;
	write_temp(path, "MemTotal: 2048 kB\r\n\nMemFree: 100 kB\nMemAvailable:\t1024 kB\n"
	                 "HugePages_Total:       0\n");
	assert_int_equal(meminfo_read(path, &m, err, sizeof(err)), 0);
	assert_true(m.total == 2048 * KIB);
	unlink(path);
}

static void a_malformed_line_is_named_by_file_and_line(void **state)
{
	struct meminfo m;
	char err[256];

	(void)state;
	assert_int_equal(meminfo_read("t/fixtures/meminfo-malformed", &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t/fixtures/meminfo-malformed:3: malformed meminfo line"));
}

static void rejects_each_kind_of_bad_line(void **state)
{
	(void)state;
	assert_rejected("MemTotal: 2048 kB\nMemFree: -5 kB\n", ":2: malformed");
	assert_rejected("MemTotal: 2048 kB\nMemFree: 5 MB\n", ":2: malformed");
	assert_rejected("MemTotal: 2048 kB\nMemFree: kB\n", ":2: malformed");
	assert_rejected("MemTotal: 2048 kB\nMem Free: 5 kB\n", ":2: malformed");
	assert_rejected("MemTotal: 2048 kB\n: 5 kB\n", ":2: malformed");
	assert_rejected("MemTotal: 99999999999999999999999 kB\n", ":1: malformed");
	assert_rejected("MemTotal: 2048 kB\nMemFree: 5 kB garbage\n", ":2: malformed");
}

static void a_too_long_line_is_an_error(void **state)
{
	char text[600];

	(void)state;
	memset(text, 'x', sizeof(text));
	memcpy(text, "MemTotal: 1 kB\nX:", 17);
	text[sizeof(text) - 1] = '\0';
	assert_rejected(text, ":2: malformed meminfo line: line too long");
}

static void missing_fields_are_errors(void **state)
{
	struct meminfo m;
	char err[256];

	(void)state;
	assert_int_equal(meminfo_read("t/fixtures/meminfo-nototal", &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "meminfo-nototal: no MemTotal"));
	assert_rejected("MemTotal: 2048 kB\nBuffers: 1 kB\n", "neither MemAvailable nor MemFree");
	assert_rejected("MemTotal: 0 kB\nMemFree: 0 kB\n", "no MemTotal");
	assert_rejected("", "no MemTotal");
}

static void a_missing_file_is_an_error_naming_it(void **state)
{
	struct meminfo m;
	char err[256];

	(void)state;
	assert_int_equal(meminfo_read("t/fixtures/no-such-meminfo", &m, err, sizeof(err)), -1);
	assert_string_equal(err,
	                    "cannot read t/fixtures/no-such-meminfo: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(reads_a_modern_kernel_with_mem_available),
	        cmocka_unit_test(reads_swap_in_bytes),
	        cmocka_unit_test(estimates_available_on_an_old_kernel),
	        cmocka_unit_test(the_estimate_never_exceeds_the_total),
	        cmocka_unit_test(a_host_without_swap_has_zero_swap),
	        cmocka_unit_test(tolerates_blank_lines_crlf_and_counts_without_unit),
	        cmocka_unit_test(a_malformed_line_is_named_by_file_and_line),
	        cmocka_unit_test(rejects_each_kind_of_bad_line),
	        cmocka_unit_test(a_too_long_line_is_an_error),
	        cmocka_unit_test(missing_fields_are_errors),
	        cmocka_unit_test(a_missing_file_is_an_error_naming_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
