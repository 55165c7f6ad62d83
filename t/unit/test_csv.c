/*
 * test_csv.c - sample CSV: what is accepted (headers, comments, blank lines,
 * CRLF, spaces), every rejection with its "NAME:LINE: reason", and numbers
 * written back without exponents or surplus digits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* Parse LEN bytes of TEXT; returns the rc, the rows in *OUT, *N. */
static int parse_len(const char *text, size_t len, struct sample **out, size_t *n, char *err,
                     size_t errlen)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int rc;

	assert_non_null(f);
	rc = csv_read_samples(f, "history.csv", out, n, err, errlen);
	fclose(f);
	return rc;
}

static struct sample *parse_ok(const char *text, size_t *n)
{
	struct sample *v = NULL;
	char err[256] = "";

	if (parse_len(text, strlen(text), &v, n, err, sizeof(err)) != 0)
		fail_msg("should parse: %s", err);
	return v;
}

/* TEXT is rejected with exactly the message WANT. */
static void assert_rejected_len(const char *text, size_t len, const char *want)
{
	struct sample *v = (struct sample *)1;
	char err[256] = "";
	size_t n = 99;

	assert_int_equal(parse_len(text, len, &v, &n, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_null(v);
	assert_int_equal(n, 0);
}

static void assert_rejected(const char *text, const char *want)
{
	assert_rejected_len(text, strlen(text), want);
}

static void header_comments_blank_lines_and_crlf_are_fine(void **state)
{
	const char *text = "# exported by trendtrap\r\n"
	                   "\r\n"
	                   "time,value,capacity\r\n"
	                   "1700000000,10,100\r\n"
	                   "  # indented comment\n"
	                   "   \t\n"
	                   " 1700000300 ,\t20.5 , 100\n"
	                   "1700000000,0.25,0"; /* no final newline */
	struct sample *v;
	size_t n;

	(void)state;
	v = parse_ok(text, &n);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].t, 1700000000);
	assert_true(v[0].value == 10 && v[0].capacity == 100);
	assert_int_equal(v[1].t, 1700000300);
	assert_true(v[1].value == 20.5 && v[1].capacity == 100);
	assert_int_equal(v[2].t, 1700000000); /* unsorted rows are kept as given */
	assert_true(v[2].value == 0.25 && v[2].capacity == 0);
	free(v);
}

static void other_headers_and_no_header(void **state)
{
	struct sample *v;
	size_t n;

	(void)state;
	v = parse_ok("time,used_bytes,capacity_bytes\n5,1e3,-0\n", &n);
	assert_int_equal(n, 1);
	assert_true(v[0].value == 1000 && v[0].capacity == 0);
	free(v);
	v = parse_ok("\"t\",\"v\",\"c\"\n5,-3,+4\n", &n);
	assert_int_equal(n, 1);
	assert_true(v[0].value == -3 && v[0].capacity == 4);
	free(v);
	v = parse_ok("0,1,2\n", &n);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].t, 0);
	free(v);
}

static void empty_input_gives_no_rows(void **state)
{
	struct sample *v;
	size_t n;

	(void)state;
	v = parse_ok("", &n);
	assert_int_equal(n, 0);
	assert_null(v);
	v = parse_ok("# nothing\n\ntime,value,capacity\n", &n);
	assert_int_equal(n, 0);
	free(v);
}

static void field_count_errors(void **state)
{
	(void)state;
	assert_rejected("time,value,capacity\n1,2,3\n\n# c\n5,6\n",
	                "history.csv:5: expected 3 fields, got 2");
	assert_rejected("1,2,3,4\n", "history.csv:1: expected 3 fields, got 4");
	assert_rejected("1\n", "history.csv:1: expected 3 fields, got 1");
}

static void header_only_as_first_line(void **state)
{
	(void)state;
	assert_rejected("1,2,3\ntime,value,capacity\n",
	                "history.csv:2: time must be an integer (unix seconds), got 'time'");
	assert_rejected("time,value,capacity\ntime,value,capacity\n",
	                "history.csv:2: time must be an integer (unix seconds), got 'time'");
}

static void time_errors(void **state)
{
	(void)state;
	assert_rejected("-5,1,1\n", "history.csv:1: time must not be negative, got '-5'");
	assert_rejected("1.5,1,1\n",
	                "history.csv:1: time must be an integer (unix seconds), got '1.5'");
	assert_rejected("0x10,1,1\n",
	                "history.csv:1: time must be an integer (unix seconds), got '0x10'");
	assert_rejected("1 2,1,1\n",
	                "history.csv:1: time must be an integer (unix seconds), got '1 2'");
	assert_rejected("1,1,1\n99999999999999999999,1,1\n",
	                "history.csv:2: time is out of range: '99999999999999999999'");
	assert_rejected("1,1,1\n ,1,1\n", "history.csv:2: time is empty");
}

static void number_errors(void **state)
{
	(void)state;
	assert_rejected("1,,1\n", "history.csv:1: value is empty");
	assert_rejected("1,1,\n", "history.csv:1: capacity is empty");
	assert_rejected("1,nan,1\n", "history.csv:1: value is not a decimal number: 'nan'");
	assert_rejected("1,1,inf\n", "history.csv:1: capacity is not a decimal number: 'inf'");
	assert_rejected("1,0x1p3,1\n", "history.csv:1: value is not a decimal number: '0x1p3'");
	assert_rejected("1,1.5.5,1\n", "history.csv:1: value is not a decimal number: '1.5.5'");
	assert_rejected("1,12abc,1\n", "history.csv:1: value is not a decimal number: '12abc'");
	assert_rejected("1,1e999,1\n", "history.csv:1: value is out of range: '1e999'");
	assert_rejected("1,1,-2\n", "history.csv:1: capacity must not be negative, got '-2'");
}

static void nul_byte_is_an_error(void **state)
{
	(void)state;
	assert_rejected_len("1,1,1\n2,1\0,1\n", 13, "history.csv:2: NUL byte in line");
}

/* What csv_write_number prints for V. */
static char *number(double v)
{
	static char buf[128];
	FILE *f;

	memset(buf, 0, sizeof(buf));
	f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	csv_write_number(f, v);
	fclose(f);
	return buf;
}

static void numbers_print_without_exponent_or_surplus_digits(void **state)
{
	(void)state;
	assert_string_equal(number(0), "0");
	assert_string_equal(number(-0.0), "0");
	assert_string_equal(number(42), "42");
	assert_string_equal(number(-7), "-7");
	assert_string_equal(number(1e15), "1000000000000000");
	assert_string_equal(number(9007199254740991.0), "9007199254740991");
	assert_string_equal(number(1e20), "100000000000000000000");
	assert_string_equal(number(1.5e20), "150000000000000000000");
	assert_string_equal(number(0.5), "0.5");
	assert_string_equal(number(-2.25), "-2.25");
	assert_string_equal(number(1.0 / 3), "0.333333333");
	assert_string_equal(number(123456.789), "123456.789");
	assert_string_equal(number(1234567.891), "1234567.89");
	assert_string_equal(number(0.1), "0.1");
	assert_string_equal(number(1e-7), "0.0000001");
	assert_string_equal(number(0.99999999999), "1");
	assert_string_equal(number(1e-25), "1e-25");
	assert_string_equal(number(NAN), "");
}

static void written_samples_read_back(void **state)
{
	struct sample in[] = {{1700000000, 123456789012, 500107862016},
	                      {1700000300, 0.25, 1},
	                      {1700000600, -3, 0}};
	struct sample *out;
	char *buf = NULL, err[256] = "";
	size_t len = 0, n;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	csv_write_samples(f, in, 3);
	fclose(f);
	assert_string_equal(buf, "time,value,capacity\n"
	                         "1700000000,123456789012,500107862016\n"
	                         "1700000300,0.25,1\n"
	                         "1700000600,-3,0\n");
	assert_int_equal(parse_len(buf, len, &out, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(out, in, sizeof(in));
	free(out);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(header_comments_blank_lines_and_crlf_are_fine),
	        cmocka_unit_test(other_headers_and_no_header),
	        cmocka_unit_test(empty_input_gives_no_rows),
	        cmocka_unit_test(field_count_errors),
	        cmocka_unit_test(header_only_as_first_line),
	        cmocka_unit_test(time_errors),
	        cmocka_unit_test(number_errors),
	        cmocka_unit_test(nul_byte_is_an_error),
	        cmocka_unit_test(numbers_print_without_exponent_or_surplus_digits),
	        cmocka_unit_test(written_samples_read_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
