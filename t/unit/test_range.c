/*
 * test_range.c - threshold ranges as the Monitoring Plugins guidelines define
 * them: parsing, strict rejection, judging values and printing them back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "range.h"

#define ALL_UNITS (RANGE_UNITS_PERCENT | RANGE_UNITS_SIZE)

static struct range parse_ok(const char *text, unsigned units)
{
	struct range r;
	char err[256] = "";

	if (range_parse(text, units, &r, err, sizeof err) != 0)
		fail_msg("'%s' should parse, got: %s", text, err);
	return r;
}

/* TEXT is rejected and the reason contains WHY. */
static void assert_rejected(const char *text, unsigned units, const char *why)
{
	struct range r;
	char err[256] = "";

	if (range_parse(text, units, &r, err, sizeof err) != -1)
		fail_msg("'%s' should be rejected", text);
	if (!strstr(err, why))
		fail_msg("'%s': reason '%s' does not mention '%s'", text, err, why);
	assert_null(strchr(err, '\n'));
}

static bool alerts(const char *text, double value)
{
	struct range r = parse_ok(text, RANGE_UNITS_NONE);

	return range_alert(&r, value);
}

/* --- the guidelines' table, value by value --- */

static void plain_number_alerts_outside_zero_to_it(void **state)
{
	(void)state;
	assert_true(alerts("10", -0.0001));
	assert_false(alerts("10", 0));
	assert_false(alerts("10", 5));
	assert_false(alerts("10", 10));
	assert_true(alerts("10", 10.0001));
}

static void number_colon_alerts_below_it(void **state)
{
	(void)state;
	assert_true(alerts("10:", 9.9999));
	assert_false(alerts("10:", 10));
	assert_false(alerts("10:", 1e12));
}

static void tilde_colon_number_alerts_above_it(void **state)
{
	(void)state;
	assert_false(alerts("~:10", -1e12));
	assert_false(alerts("~:10", 10));
	assert_true(alerts("~:10", 10.0001));
}

static void start_colon_end_alerts_outside_them(void **state)
{
	(void)state;
	assert_true(alerts("10:20", 9.9999));
	assert_false(alerts("10:20", 10));
	assert_false(alerts("10:20", 15));
	assert_false(alerts("10:20", 20));
	assert_true(alerts("10:20", 20.0001));
}

static void at_sign_alerts_inside_inclusive(void **state)
{
	(void)state;
	assert_false(alerts("@10:20", 9.9999));
	assert_true(alerts("@10:20", 10));
	assert_true(alerts("@10:20", 15));
	assert_true(alerts("@10:20", 20));
	assert_false(alerts("@10:20", 20.0001));
}

static void at_sign_with_infinite_ends(void **state)
{
	(void)state;
	assert_true(alerts("@~:10", -1e12));
	assert_false(alerts("@~:10", 10.5));
	assert_true(alerts("@10:", 1e12));
	assert_false(alerts("@10:", 9.5));
}

static void nan_value_never_alerts(void **state)
{
	(void)state;
	assert_false(alerts("10", NAN));
	assert_false(alerts("@10:20", NAN));
}

/* --- what parsing stores --- */

static void plain_number_is_zero_to_end(void **state)
{
	struct range r = parse_ok("10", RANGE_UNITS_NONE);

	(void)state;
	assert_true(r.start == 0 && r.end == 10);
	assert_false(r.start_inf || r.end_inf || r.inside);
	assert_int_equal(r.unit, RANGE_UNIT_PLAIN);
}

static void number_colon_has_infinite_end(void **state)
{
	struct range r = parse_ok("10:", RANGE_UNITS_NONE);

	(void)state;
	assert_true(r.start == 10 && r.end_inf && !r.start_inf);
}

static void tilde_start_is_infinite(void **state)
{
	struct range r = parse_ok("~:10", RANGE_UNITS_NONE);

	(void)state;
	assert_true(r.start_inf && !r.end_inf && r.end == 10);
}

static void at_sign_sets_inside(void **state)
{
	struct range r = parse_ok("@10:20", RANGE_UNITS_NONE);

	(void)state;
	assert_true(r.inside && r.start == 10 && r.end == 20);
}

static void omitted_start_is_zero(void **state)
{
	struct range r = parse_ok(":10", RANGE_UNITS_NONE);

	(void)state;
	assert_true(r.start == 0 && r.end == 10 && !r.start_inf);
}

static void equal_ends_are_a_single_point(void **state)
{
	(void)state;
	assert_false(alerts("5:5", 5));
	assert_true(alerts("5:5", 5.0001));
}

/* --- numbers --- */

static void decimals_are_accepted(void **state)
{
	(void)state;
	assert_true(parse_ok("0.5", RANGE_UNITS_NONE).end == 0.5);
	assert_true(parse_ok("5.", RANGE_UNITS_NONE).end == 5);
	assert_true(parse_ok(".5", RANGE_UNITS_NONE).end == 0.5);
	assert_true(parse_ok("1.25:2.75", RANGE_UNITS_NONE).start == 1.25);
}

static void negatives_are_accepted(void **state)
{
	struct range r = parse_ok("-10:-5", RANGE_UNITS_NONE);

	(void)state;
	assert_true(r.start == -10 && r.end == -5);
	assert_true(alerts("-10:-5", -10.5));
	assert_false(alerts("-10:-5", -7));
	assert_true(alerts("@-5:5", 0));
	assert_true(alerts("~:-3", -2.9));
	assert_false(alerts("~:-3", -3));
}

static void plus_sign_is_accepted(void **state)
{
	(void)state;
	assert_true(parse_ok("+10", RANGE_UNITS_NONE).end == 10);
}

/* --- rejected texts --- */

static void empty_and_blank_are_rejected(void **state)
{
	(void)state;
	assert_rejected("", RANGE_UNITS_NONE, "empty");
	assert_rejected("   ", RANGE_UNITS_NONE, "empty");
	assert_rejected("\t", RANGE_UNITS_NONE, "empty");
}

static void trailing_garbage_is_rejected(void **state)
{
	(void)state;
	assert_rejected("10x", RANGE_UNITS_NONE, "unexpected 'x' after '10'");
	assert_rejected("10:20abc", RANGE_UNITS_NONE, "unexpected 'abc' after '20'");
	assert_rejected("10 ", RANGE_UNITS_NONE, "unexpected");
	assert_rejected("10%x", RANGE_UNITS_PERCENT, "unexpected 'x'");
}

static void reversed_range_is_rejected(void **state)
{
	(void)state;
	assert_rejected("2:1", RANGE_UNITS_NONE, "start 2 is greater than end 1");
	assert_rejected("-5", RANGE_UNITS_NONE, "start 0 is greater than end -5");
	assert_rejected("@20:10", RANGE_UNITS_NONE, "greater than");
	assert_rejected("2GiB:1MiB", RANGE_UNITS_SIZE, "start 2GiB is greater than end 1MiB");
}

static void nan_and_inf_are_rejected(void **state)
{
	(void)state;
	assert_rejected("nan", RANGE_UNITS_NONE, "expected a number at 'nan'");
	assert_rejected("NaN", RANGE_UNITS_NONE, "expected a number");
	assert_rejected("inf", RANGE_UNITS_NONE, "'inf' is not a number");
	assert_rejected("-inf", RANGE_UNITS_NONE, "'-inf' is not a number");
	assert_rejected("infinity", RANGE_UNITS_NONE, "not a number");
	assert_rejected("10:inf", RANGE_UNITS_NONE, "'inf' is not a number");
}

static void hex_and_exponent_are_rejected(void **state)
{
	(void)state;
	assert_rejected("0x10", RANGE_UNITS_NONE, "unexpected 'x10' after '0'");
	assert_rejected("1e3", RANGE_UNITS_NONE, "unexpected 'e3' after '1'");
	assert_rejected("1e3", ALL_UNITS, "unexpected 'e3'");
}

static void malformed_colons_are_rejected(void **state)
{
	(void)state;
	assert_rejected("10::20", RANGE_UNITS_NONE, "expected a number at ':20'");
	assert_rejected(":", RANGE_UNITS_NONE, "':' alone");
	assert_rejected("@:", RANGE_UNITS_NONE, "':' alone");
	assert_rejected("1:2:3", RANGE_UNITS_NONE, "unexpected ':3'");
}

static void lone_markers_are_rejected(void **state)
{
	(void)state;
	assert_rejected("@", RANGE_UNITS_NONE, "nothing after '@'");
	assert_rejected("~", RANGE_UNITS_NONE, "'~' must be followed by ':'");
	assert_rejected("~10", RANGE_UNITS_NONE, "'~' must be followed by ':'");
	assert_rejected("@@10", RANGE_UNITS_NONE, "expected a number at '@10'");
	assert_rejected("-", RANGE_UNITS_NONE, "expected a number");
	assert_rejected(".", RANGE_UNITS_NONE, "expected a number");
	assert_rejected("10:-", RANGE_UNITS_NONE, "expected a number");
}

static void both_ends_infinite_is_rejected(void **state)
{
	(void)state;
	assert_rejected("~:", RANGE_UNITS_NONE, "both ends are infinite");
	assert_rejected("@~:", RANGE_UNITS_NONE, "both ends are infinite");
}

static void tilde_is_only_a_start(void **state)
{
	(void)state;
	assert_rejected("10:~", RANGE_UNITS_NONE, "only allowed as the start");
	assert_rejected("~:~", RANGE_UNITS_NONE, "only allowed as the start");
}

static void overflowing_number_is_rejected(void **state)
{
	char big[400];

	(void)state;
	memset(big, '9', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_rejected(big, RANGE_UNITS_NONE, "number too large");
}

static void leading_space_is_rejected(void **state)
{
	(void)state;
	assert_rejected(" 10", RANGE_UNITS_NONE, "expected a number");
}

static void failure_leaves_range_untouched(void **state)
{
	struct range r = {.start = 42};
	char err[64];

	(void)state;
	assert_int_equal(range_parse("2:1", RANGE_UNITS_NONE, &r, err, sizeof err), -1);
	assert_true(r.start == 42);
}

static void short_error_buffer_is_safe(void **state)
{
	struct range r;
	char err[8];

	(void)state;
	assert_int_equal(range_parse("10:20abcdefghijkl", RANGE_UNITS_NONE, &r, err, sizeof err),
	                 -1);
	assert_int_equal(strlen(err), sizeof err - 1);
	assert_int_equal(range_parse("x", RANGE_UNITS_NONE, &r, NULL, 0), -1);
}

/* --- units --- */

static void percent_gives_percent_unit(void **state)
{
	struct range r = parse_ok("80%", RANGE_UNITS_PERCENT);

	(void)state;
	assert_int_equal(r.unit, RANGE_UNIT_PERCENT);
	assert_true(r.start == 0 && r.end == 80);
	assert_int_equal(parse_ok("10%:20%", ALL_UNITS).unit, RANGE_UNIT_PERCENT);
	assert_int_equal(parse_ok("~:90.5%", RANGE_UNITS_PERCENT).unit, RANGE_UNIT_PERCENT);
	assert_int_equal(parse_ok("@-5%:5%", RANGE_UNITS_PERCENT).unit, RANGE_UNIT_PERCENT);
}

static void sizes_are_converted_to_bytes(void **state)
{
	struct range r = parse_ok("100MiB:", RANGE_UNITS_SIZE);

	(void)state;
	assert_int_equal(r.unit, RANGE_UNIT_BYTES);
	assert_true(r.start == 100.0 * 1024 * 1024 && r.end_inf);
	r = parse_ok("1GB:2GB", RANGE_UNITS_SIZE);
	assert_true(r.start == 1e9 && r.end == 2e9);
	r = parse_ok("512B", ALL_UNITS);
	assert_true(r.end == 512 && r.unit == RANGE_UNIT_BYTES);
	r = parse_ok("1.5KiB", RANGE_UNITS_SIZE);
	assert_true(r.end == 1536);
	r = parse_ok("-1MiB:1MiB", RANGE_UNITS_SIZE);
	assert_true(r.start == -1048576);
}

static void plain_numbers_are_fine_when_units_are_allowed(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("10:20", ALL_UNITS).unit, RANGE_UNIT_PLAIN);
}

static void disallowed_units_are_rejected(void **state)
{
	(void)state;
	assert_rejected("80%", RANGE_UNITS_NONE, "percentages are not accepted here");
	assert_rejected("80%", RANGE_UNITS_SIZE, "percentages are not accepted here");
	assert_rejected("100MiB", RANGE_UNITS_NONE, "sizes are not accepted here");
	assert_rejected("10:100MiB", RANGE_UNITS_PERCENT, "sizes are not accepted here");
}

static void unknown_units_are_rejected(void **state)
{
	(void)state;
	assert_rejected("10MiBs", ALL_UNITS, "unexpected 's' after '10MiB'");
	assert_rejected("10mib", ALL_UNITS, "unexpected 'mib'");
	assert_rejected("10 MiB", ALL_UNITS, "unexpected ' MiB'");
}

static void ends_must_share_a_unit(void **state)
{
	(void)state;
	assert_rejected("10%:20MiB", ALL_UNITS, "'10%' and '20MiB' must carry the same unit");
	assert_rejected("10:20%", ALL_UNITS, "same unit");
	assert_rejected("10%:20", ALL_UNITS, "same unit");
	assert_rejected("0:20%", ALL_UNITS, "same unit");
}

static void infinite_or_omitted_ends_have_no_unit(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("~:20%", ALL_UNITS).unit, RANGE_UNIT_PERCENT);
	assert_int_equal(parse_ok("20%:", ALL_UNITS).unit, RANGE_UNIT_PERCENT);
	assert_int_equal(parse_ok(":20GiB", ALL_UNITS).unit, RANGE_UNIT_BYTES);
}

/* --- printing back --- */

static void assert_formats(const char *text, unsigned units, double scale, const char *want)
{
	struct range r = parse_ok(text, units);
	char buf[128];
	int n = range_format(&r, scale, buf, sizeof buf);

	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
}

static void format_is_canonical(void **state)
{
	(void)state;
	assert_formats("10", RANGE_UNITS_NONE, 1, "10");
	assert_formats("0:10", RANGE_UNITS_NONE, 1, "10");
	assert_formats(":10", RANGE_UNITS_NONE, 1, "10");
	assert_formats("10:", RANGE_UNITS_NONE, 1, "10:");
	assert_formats("~:10", RANGE_UNITS_NONE, 1, "~:10");
	assert_formats("10:20", RANGE_UNITS_NONE, 1, "10:20");
	assert_formats("@10:20", RANGE_UNITS_NONE, 1, "@10:20");
	assert_formats("@10", RANGE_UNITS_NONE, 1, "@0:10");
	assert_formats("@~:10", RANGE_UNITS_NONE, 1, "@~:10");
	assert_formats("-10:-5", RANGE_UNITS_NONE, 1, "-10:-5");
	assert_formats("+007.50", RANGE_UNITS_NONE, 1, "7.5");
}

static void format_never_uses_exponents(void **state)
{
	(void)state;
	assert_formats("10000000000", RANGE_UNITS_NONE, 1, "10000000000");
	assert_formats("0.000001", RANGE_UNITS_NONE, 1, "0.000001");
	assert_formats("1PB", RANGE_UNITS_SIZE, 1, "1000000000000000");
}

static void format_trims_decimals(void **state)
{
	(void)state;
	assert_formats("0.5", RANGE_UNITS_NONE, 1, "0.5");
	assert_formats("5.", RANGE_UNITS_NONE, 1, "5");
	assert_formats("1.1234567", RANGE_UNITS_NONE, 1, "1.123457");
	assert_formats("0.0000001", RANGE_UNITS_NONE, 1, "0");
	assert_formats("-0.0000001:1", RANGE_UNITS_NONE, 1, "0:1");
}

static void format_scales_both_ends(void **state)
{
	(void)state;
	/* 80% of a 1000-byte file system, for perfdata in bytes */
	assert_formats("80%", RANGE_UNITS_PERCENT, 10, "800");
	assert_formats("@10%:20%", RANGE_UNITS_PERCENT, 0.5, "@5:10");
	assert_formats("~:90%", RANGE_UNITS_PERCENT, 10, "~:900");
	assert_formats("1MiB:", RANGE_UNITS_SIZE, 1, "1048576:");
}

static void format_round_trips(void **state)
{
	static const char *const texts[] = {"10",    "10:",     "~:10",        "10:20", "@10:20",
	                                    "@0:10", "-10:-5",  "@-5:5",       "~:-3",  "0.25:0.75",
	                                    "5:5",   "@~:-0.5", "123456789012"};
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		struct range a = parse_ok(texts[i], RANGE_UNITS_NONE), b;

		range_format(&a, 1, buf, sizeof buf);
		assert_string_equal(buf, texts[i]);
		b = parse_ok(buf, RANGE_UNITS_NONE);
		assert_true(a.start == b.start && a.end == b.end);
		assert_true(a.start_inf == b.start_inf && a.end_inf == b.end_inf);
		assert_true(a.inside == b.inside && a.unit == b.unit);
	}
}

static void format_truncates_like_snprintf(void **state)
{
	struct range r = parse_ok("100:200", RANGE_UNITS_NONE);
	char buf[4];

	(void)state;
	assert_int_equal(range_format(&r, 1, buf, sizeof buf), 7);
	assert_string_equal(buf, "100");
	assert_int_equal(range_format(&r, 1, NULL, 0), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(plain_number_alerts_outside_zero_to_it),
	        cmocka_unit_test(number_colon_alerts_below_it),
	        cmocka_unit_test(tilde_colon_number_alerts_above_it),
	        cmocka_unit_test(start_colon_end_alerts_outside_them),
	        cmocka_unit_test(at_sign_alerts_inside_inclusive),
	        cmocka_unit_test(at_sign_with_infinite_ends),
	        cmocka_unit_test(nan_value_never_alerts),
	        cmocka_unit_test(plain_number_is_zero_to_end),
	        cmocka_unit_test(number_colon_has_infinite_end),
	        cmocka_unit_test(tilde_start_is_infinite),
	        cmocka_unit_test(at_sign_sets_inside),
	        cmocka_unit_test(omitted_start_is_zero),
	        cmocka_unit_test(equal_ends_are_a_single_point),
	        cmocka_unit_test(decimals_are_accepted),
	        cmocka_unit_test(negatives_are_accepted),
	        cmocka_unit_test(plus_sign_is_accepted),
	        cmocka_unit_test(empty_and_blank_are_rejected),
	        cmocka_unit_test(trailing_garbage_is_rejected),
	        cmocka_unit_test(reversed_range_is_rejected),
	        cmocka_unit_test(nan_and_inf_are_rejected),
	        cmocka_unit_test(hex_and_exponent_are_rejected),
	        cmocka_unit_test(malformed_colons_are_rejected),
	        cmocka_unit_test(lone_markers_are_rejected),
	        cmocka_unit_test(both_ends_infinite_is_rejected),
	        cmocka_unit_test(tilde_is_only_a_start),
	        cmocka_unit_test(overflowing_number_is_rejected),
	        cmocka_unit_test(leading_space_is_rejected),
	        cmocka_unit_test(failure_leaves_range_untouched),
	        cmocka_unit_test(short_error_buffer_is_safe),
	        cmocka_unit_test(percent_gives_percent_unit),
	        cmocka_unit_test(sizes_are_converted_to_bytes),
	        cmocka_unit_test(plain_numbers_are_fine_when_units_are_allowed),
	        cmocka_unit_test(disallowed_units_are_rejected),
	        cmocka_unit_test(unknown_units_are_rejected),
	        cmocka_unit_test(ends_must_share_a_unit),
	        cmocka_unit_test(infinite_or_omitted_ends_have_no_unit),
	        cmocka_unit_test(format_is_canonical),
	        cmocka_unit_test(format_never_uses_exponents),
	        cmocka_unit_test(format_trims_decimals),
	        cmocka_unit_test(format_scales_both_ends),
	        cmocka_unit_test(format_round_trips),
	        cmocka_unit_test(format_truncates_like_snprintf),
	};

	return cmocka_run_group_tests_name("range", tests, NULL, NULL);
}
