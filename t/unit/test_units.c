/*
 * test_units.c - numbers, sizes and durations: the strict parsers and the
 * human formatters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "units.h"

#define KiB 1024.0
#define MiB (1024.0 * KiB)
#define GiB (1024.0 * MiB)
#define TiB (1024.0 * GiB)
#define PiB (1024.0 * TiB)

static double size_ok(const char *text)
{
	double v = -1;
	char err[256] = "";

	if (units_parse_size(text, &v, err, sizeof err) != 0)
		fail_msg("size '%s' should parse, got: %s", text, err);
	return v;
}

static void assert_size_rejected(const char *text, const char *why)
{
	double v = 42;
	char err[256] = "";

	if (units_parse_size(text, &v, err, sizeof err) != -1)
		fail_msg("size '%s' should be rejected", text);
	if (!strstr(err, why))
		fail_msg("size '%s': reason '%s' does not mention '%s'", text, err, why);
	assert_true(v == 42);
}

static double duration_ok(const char *text)
{
	double v = -1;
	char err[256] = "";

	if (units_parse_duration(text, &v, err, sizeof err) != 0)
		fail_msg("duration '%s' should parse, got: %s", text, err);
	return v;
}

static void assert_duration_rejected(const char *text, const char *why)
{
	double v = 42;
	char err[256] = "";

	if (units_parse_duration(text, &v, err, sizeof err) != -1)
		fail_msg("duration '%s' should be rejected", text);
	if (!strstr(err, why))
		fail_msg("duration '%s': reason '%s' does not mention '%s'", text, err, why);
	assert_true(v == 42);
}

static void assert_duration_text(double seconds, const char *want)
{
	char buf[64];

	assert_int_equal(units_format_duration(seconds, buf, sizeof buf), (int)strlen(want));
	assert_string_equal(buf, want);
}

static void assert_size_text(double bytes, const char *want)
{
	char buf[64];

	assert_int_equal(units_format_size(bytes, buf, sizeof buf), (int)strlen(want));
	assert_string_equal(buf, want);
}

static void assert_number_text(double v, const char *want)
{
	char buf[512];

	assert_int_equal(units_format_number(v, buf, sizeof buf), (int)strlen(want));
	assert_string_equal(buf, want);
}

/* --- the number grammar --- */

static void scan_reads_digits_and_fraction(void **state)
{
	double v = 0;

	(void)state;
	assert_int_equal(units_scan_number("10", &v), 2);
	assert_true(v == 10);
	assert_int_equal(units_scan_number("0.5", &v), 3);
	assert_true(v == 0.5);
	assert_int_equal(units_scan_number("5.", &v), 2);
	assert_true(v == 5);
	assert_int_equal(units_scan_number(".25", &v), 3);
	assert_true(v == 0.25);
	assert_int_equal(units_scan_number("0.1", &v), 3);
	assert_true(v == 0.1);
	assert_int_equal(units_scan_number("123.456", &v), 7);
	assert_true(v == 123.456);
}

static void scan_stops_before_anything_else(void **state)
{
	double v = 0;

	(void)state;
	assert_int_equal(units_scan_number("10MiB", &v), 2);
	assert_int_equal(units_scan_number("1e3", &v), 1);
	assert_int_equal(units_scan_number("0x10", &v), 1);
	assert_int_equal(units_scan_number("1.2.3", &v), 3);
	assert_true(v == 1.2);
}

static void scan_finds_no_number(void **state)
{
	double v = 7;

	(void)state;
	assert_int_equal(units_scan_number("", &v), 0);
	assert_int_equal(units_scan_number(".", &v), 0);
	assert_int_equal(units_scan_number("-1", &v), 0);
	assert_int_equal(units_scan_number("+1", &v), 0);
	assert_int_equal(units_scan_number("nan", &v), 0);
	assert_int_equal(units_scan_number("inf", &v), 0);
	assert_int_equal(units_scan_number(" 1", &v), 0);
	assert_true(v == 7);
}

static void number_format_has_no_exponent(void **state)
{
	(void)state;
	assert_number_text(10, "10");
	assert_number_text(0, "0");
	assert_number_text(-0.0, "0");
	assert_number_text(1e10, "10000000000");
	assert_number_text(1e20, "100000000000000000000");
	assert_number_text(5368709120.0, "5368709120");
}

static void number_format_trims_decimals(void **state)
{
	(void)state;
	assert_number_text(0.5, "0.5");
	assert_number_text(-2.25, "-2.25");
	assert_number_text(1.0 / 3, "0.333333");
	assert_number_text(0.1 + 0.2, "0.3");
	assert_number_text(0.0000004, "0");
	assert_number_text(-0.0000004, "0");
	assert_number_text(2.9999999, "3");
}

/* Large values keep a double's 15 significant digits, never its noise. */
static void number_format_stops_at_significant_digits(void **state)
{
	(void)state;
	assert_number_text(0.8 * 102745280512.0, "82196224409.6");
	assert_number_text(0.9 * 102745280512.0, "92470752460.8");
	assert_number_text(1e15, "1000000000000000");
	assert_number_text(123456789.125, "123456789.125");
}

static void number_format_names_non_finite(void **state)
{
	(void)state;
	assert_number_text(NAN, "nan");
	assert_number_text(INFINITY, "inf");
	assert_number_text(-INFINITY, "-inf");
}

/* --- size units --- */

static void size_factor_binary_units(void **state)
{
	size_t n = 0;

	(void)state;
	assert_true(units_size_factor("B", &n) == 1 && n == 1);
	assert_true(units_size_factor("KiB", &n) == KiB && n == 3);
	assert_true(units_size_factor("MiB", &n) == MiB && n == 3);
	assert_true(units_size_factor("GiB", &n) == GiB && n == 3);
	assert_true(units_size_factor("TiB", &n) == TiB && n == 3);
	assert_true(units_size_factor("PiB", &n) == PiB && n == 3);
}

static void size_factor_decimal_units(void **state)
{
	size_t n = 0;

	(void)state;
	assert_true(units_size_factor("KB", &n) == 1e3 && n == 2);
	assert_true(units_size_factor("kB", &n) == 1e3 && n == 2);
	assert_true(units_size_factor("MB", &n) == 1e6 && n == 2);
	assert_true(units_size_factor("GB", &n) == 1e9 && n == 2);
	assert_true(units_size_factor("TB", &n) == 1e12 && n == 2);
	assert_true(units_size_factor("PB", &n) == 1e15 && n == 2);
}

static void size_factor_matches_a_prefix_of_the_text(void **state)
{
	size_t n = 0;

	(void)state;
	assert_true(units_size_factor("MiB/s", &n) == MiB && n == 3);
	assert_true(units_size_factor("B:", &n) == 1 && n == 1);
}

static void size_factor_is_zero_for_other_text(void **state)
{
	size_t n = 9;

	(void)state;
	assert_true(units_size_factor("", &n) == 0 && n == 0);
	assert_true(units_size_factor("mib", &n) == 0);
	assert_true(units_size_factor("kiB", &n) == 0);
	assert_true(units_size_factor("b", &n) == 0);
	assert_true(units_size_factor("K", &n) == 0);
	assert_true(units_size_factor("Mi", &n) == 0);
	assert_true(units_size_factor("%", &n) == 0);
	assert_true(units_size_factor("B", NULL) == 1);
}

/* --- parsing sizes --- */

static void bare_number_is_bytes(void **state)
{
	(void)state;
	assert_true(size_ok("512") == 512);
	assert_true(size_ok("0") == 0);
	assert_true(size_ok("512B") == 512);
}

static void sizes_scale_by_their_unit(void **state)
{
	(void)state;
	assert_true(size_ok("100MiB") == 100 * MiB);
	assert_true(size_ok("1.5GB") == 1.5e9);
	assert_true(size_ok("2KiB") == 2048);
	assert_true(size_ok("1kB") == 1000);
	assert_true(size_ok("3TiB") == 3 * TiB);
	assert_true(size_ok("1PB") == 1e15);
	assert_true(size_ok(".5KiB") == 512);
}

static void bad_sizes_are_rejected(void **state)
{
	(void)state;
	assert_size_rejected("", "empty size");
	assert_size_rejected("-1MiB", "negative size");
	assert_size_rejected("10MB/s", "bad size unit 'MB/s'");
	assert_size_rejected("10 MiB", "bad size unit ' MiB'");
	assert_size_rejected("10XB", "use B, KiB, MiB");
	assert_size_rejected("10mb", "bad size unit");
	assert_size_rejected("MiB", "is not a size");
	assert_size_rejected("nan", "is not a size");
	assert_size_rejected("inf", "is not a size");
	assert_size_rejected("1e3", "bad size unit 'e3'");
	assert_size_rejected("0x10", "bad size unit");
	assert_size_rejected("+1", "is not a size");
}

static void huge_size_is_rejected(void **state)
{
	char big[400];

	(void)state;
	memset(big, '9', sizeof big - 4);
	strcpy(big + sizeof big - 4, "PiB");
	assert_size_rejected(big, "too large");
}

/* --- parsing durations --- */

static void bare_number_is_seconds(void **state)
{
	(void)state;
	assert_true(duration_ok("30") == 30);
	assert_true(duration_ok("0") == 0);
	assert_true(duration_ok("2.5") == 2.5);
}

static void single_units(void **state)
{
	(void)state;
	assert_true(duration_ok("30s") == 30);
	assert_true(duration_ok("15m") == 900);
	assert_true(duration_ok("6h") == 21600);
	assert_true(duration_ok("7d") == 604800);
	assert_true(duration_ok("2w") == 1209600);
	assert_true(duration_ok("1.5h") == 5400);
}

static void combinations_in_descending_order(void **state)
{
	(void)state;
	assert_true(duration_ok("1d12h") == 129600);
	assert_true(duration_ok("2h30m") == 9000);
	assert_true(duration_ok("1w2d") == 777600);
	assert_true(duration_ok("1w1d1h1m1s") == 694861);
	assert_true(duration_ok("1d1s") == 86401);
}

static void components_may_be_separated_by_one_space(void **state)
{
	(void)state;
	assert_true(duration_ok("5d 3h") == 5 * 86400 + 3 * 3600);
	assert_true(duration_ok("2h 10m") == 7800);
}

static void bad_durations_are_rejected(void **state)
{
	(void)state;
	assert_duration_rejected("", "empty duration");
	assert_duration_rejected("-5m", "negative duration");
	assert_duration_rejected("30m1h", "largest first");
	assert_duration_rejected("1h1h", "largest first");
	assert_duration_rejected("1h2h", "largest first");
	assert_duration_rejected("5y", "unknown unit 'y'");
	assert_duration_rejected("5M", "unknown unit 'M'");
	assert_duration_rejected("1d12", "missing unit after '12'");
	assert_duration_rejected("1hx", "expected a number at 'x'");
	assert_duration_rejected("30s ", "expected a number");
	assert_duration_rejected("1d  2h", "expected a number");
	assert_duration_rejected("30 s", "unknown unit ' '");
	assert_duration_rejected("nan", "expected a number at 'nan'");
	assert_duration_rejected("inf", "expected a number");
	assert_duration_rejected("h", "expected a number");
	assert_duration_rejected("1e3", "unknown unit 'e'");
	assert_duration_rejected("0x10", "unknown unit 'x'");
}

static void huge_duration_is_rejected(void **state)
{
	char big[400];

	(void)state;
	memset(big, '9', sizeof big - 2);
	strcpy(big + sizeof big - 2, "w");
	assert_duration_rejected(big, "too large");
}

/* --- formatting durations --- */

static void duration_shows_two_largest_units(void **state)
{
	(void)state;
	assert_duration_text(445500, "5d 3h");
	assert_duration_text(7800, "2h 10m");
	assert_duration_text(90061, "1d 1h");
	assert_duration_text(694861, "1w 1d");
}

static void duration_skips_zero_units(void **state)
{
	(void)state;
	assert_duration_text(86400, "1d");
	assert_duration_text(1209600, "2w");
	assert_duration_text(604800 + 3 * 3600, "1w 3h");
	assert_duration_text(3601, "1h 1s");
}

static void duration_small_values(void **state)
{
	(void)state;
	assert_duration_text(45, "45s");
	assert_duration_text(0, "0s");
	assert_duration_text(60, "1m");
	assert_duration_text(59.6, "1m");
	assert_duration_text(0.4, "0s");
	assert_duration_text(-0.4, "0s");
}

static void duration_negative_and_non_finite(void **state)
{
	(void)state;
	assert_duration_text(-7800, "-2h 10m");
	assert_duration_text(-45, "-45s");
	assert_duration_text(NAN, "?");
	assert_duration_text(INFINITY, "inf");
	assert_duration_text(-INFINITY, "-inf");
}

static void duration_round_trips(void **state)
{
	static const double values[] = {45, 60, 86400, 1209600, 7800, 90000, 604800 + 3600};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof values / sizeof values[0]; i++) {
		units_format_duration(values[i], buf, sizeof buf);
		assert_true(duration_ok(buf) == values[i]);
	}
}

/* --- formatting sizes --- */

static void size_below_one_kib_is_bytes(void **state)
{
	(void)state;
	assert_size_text(512, "512 B");
	assert_size_text(0, "0 B");
	assert_size_text(1023, "1023 B");
	assert_size_text(-0.2, "0 B");
}

static void size_has_one_decimal_in_binary_units(void **state)
{
	(void)state;
	assert_size_text(1024, "1.0 KiB");
	assert_size_text(10 * MiB, "10.0 MiB");
	assert_size_text(1.2 * GiB, "1.2 GiB");
	assert_size_text(3 * TiB, "3.0 TiB");
	assert_size_text(2 * PiB, "2.0 PiB");
	assert_size_text(5 * PiB * 1024, "5.0 EiB");
}

static void size_steps_up_rather_than_print_1024(void **state)
{
	(void)state;
	assert_size_text(1023.7, "1.0 KiB");
	assert_size_text(MiB - 1, "1.0 MiB");
	assert_size_text(1023.9 * KiB, "1023.9 KiB");
}

static void size_keeps_the_sign(void **state)
{
	(void)state;
	assert_size_text(-1.5 * GiB, "-1.5 GiB");
	assert_size_text(-512, "-512 B");
}

static void size_non_finite(void **state)
{
	(void)state;
	assert_size_text(NAN, "?");
	assert_size_text(INFINITY, "inf");
}

static void formatters_truncate_like_snprintf(void **state)
{
	char buf[3];

	(void)state;
	assert_int_equal(units_format_size(512, buf, sizeof buf), 5);
	assert_string_equal(buf, "51");
	assert_int_equal(units_format_duration(7800, buf, sizeof buf), 6);
	assert_string_equal(buf, "2h");
	assert_int_equal(units_format_number(12345, NULL, 0), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(scan_reads_digits_and_fraction),
	        cmocka_unit_test(scan_stops_before_anything_else),
	        cmocka_unit_test(scan_finds_no_number),
	        cmocka_unit_test(number_format_has_no_exponent),
	        cmocka_unit_test(number_format_trims_decimals),
	        cmocka_unit_test(number_format_stops_at_significant_digits),
	        cmocka_unit_test(number_format_names_non_finite),
	        cmocka_unit_test(size_factor_binary_units),
	        cmocka_unit_test(size_factor_decimal_units),
	        cmocka_unit_test(size_factor_matches_a_prefix_of_the_text),
	        cmocka_unit_test(size_factor_is_zero_for_other_text),
	        cmocka_unit_test(bare_number_is_bytes),
	        cmocka_unit_test(sizes_scale_by_their_unit),
	        cmocka_unit_test(bad_sizes_are_rejected),
	        cmocka_unit_test(huge_size_is_rejected),
	        cmocka_unit_test(bare_number_is_seconds),
	        cmocka_unit_test(single_units),
	        cmocka_unit_test(combinations_in_descending_order),
	        cmocka_unit_test(components_may_be_separated_by_one_space),
	        cmocka_unit_test(bad_durations_are_rejected),
	        cmocka_unit_test(huge_duration_is_rejected),
	        cmocka_unit_test(duration_shows_two_largest_units),
	        cmocka_unit_test(duration_skips_zero_units),
	        cmocka_unit_test(duration_small_values),
	        cmocka_unit_test(duration_negative_and_non_finite),
	        cmocka_unit_test(duration_round_trips),
	        cmocka_unit_test(size_below_one_kib_is_bytes),
	        cmocka_unit_test(size_has_one_decimal_in_binary_units),
	        cmocka_unit_test(size_steps_up_rather_than_print_1024),
	        cmocka_unit_test(size_keeps_the_sign),
	        cmocka_unit_test(size_non_finite),
	        cmocka_unit_test(formatters_truncate_like_snprintf),
	};

	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
