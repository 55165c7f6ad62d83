/*
 * test_output.c - the plugin result: states, the status line, long output
 * and perfdata, printed in the syntax of the Monitoring Plugins guidelines.
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

#include "output.h"

/* struct output is large (about 60 KB): each test gets a zeroed one on the heap. */
static int setup(void **state)
{
	struct output *o = calloc(1, sizeof *o);

	if (!o)
		return -1;
	o->service = "DISK_TREND";
	*state = o;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void assert_rendered(const struct output *o, const char *want)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	output_render(o, f);
	fclose(f);
	assert_string_equal(text, want);
	free(text);
}

static void assert_perf(const struct perf *p, const char *want)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	output_render_perf(p, f);
	fclose(f);
	assert_string_equal(text, want);
	free(text);
}

static struct perf perf_item(const char *label, double value, const char *uom)
{
	struct output *o = calloc(1, sizeof *o);
	struct perf p;

	assert_non_null(o);
	p = *output_perf(o, label, value, uom);
	free(o);
	return p;
}

/* --- states --- */

static void state_names(void **state)
{
	(void)state;
	assert_string_equal(state_name(STATE_OK), "OK");
	assert_string_equal(state_name(STATE_WARNING), "WARNING");
	assert_string_equal(state_name(STATE_CRITICAL), "CRITICAL");
	assert_string_equal(state_name(STATE_UNKNOWN), "UNKNOWN");
	assert_string_equal(state_name((enum state)7), "UNKNOWN");
}

static void state_parse_accepts_names_in_any_case(void **state)
{
	enum state s = STATE_UNKNOWN;

	(void)state;
	assert_int_equal(state_parse("ok", &s), 0);
	assert_int_equal(s, STATE_OK);
	assert_int_equal(state_parse("Warning", &s), 0);
	assert_int_equal(s, STATE_WARNING);
	assert_int_equal(state_parse("CRITICAL", &s), 0);
	assert_int_equal(s, STATE_CRITICAL);
	assert_int_equal(state_parse("unKnown", &s), 0);
	assert_int_equal(s, STATE_UNKNOWN);
}

static void state_parse_accepts_exit_codes(void **state)
{
	enum state s = STATE_UNKNOWN;

	(void)state;
	assert_int_equal(state_parse("0", &s), 0);
	assert_int_equal(s, STATE_OK);
	assert_int_equal(state_parse("1", &s), 0);
	assert_int_equal(s, STATE_WARNING);
	assert_int_equal(state_parse("2", &s), 0);
	assert_int_equal(s, STATE_CRITICAL);
	assert_int_equal(state_parse("3", &s), 0);
	assert_int_equal(s, STATE_UNKNOWN);
}

static void state_parse_rejects_anything_else(void **state)
{
	enum state s = STATE_WARNING;

	(void)state;
	assert_int_equal(state_parse("", &s), -1);
	assert_int_equal(state_parse("4", &s), -1);
	assert_int_equal(state_parse("-1", &s), -1);
	assert_int_equal(state_parse("00", &s), -1);
	assert_int_equal(state_parse("warn", &s), -1);
	assert_int_equal(state_parse("ok ", &s), -1);
	assert_int_equal(state_parse(NULL, &s), -1);
	assert_int_equal(s, STATE_WARNING);
}

static void worst_state_order(void **state)
{
	(void)state;
	assert_int_equal(state_worst(STATE_OK, STATE_OK), STATE_OK);
	assert_int_equal(state_worst(STATE_OK, STATE_UNKNOWN), STATE_UNKNOWN);
	assert_int_equal(state_worst(STATE_UNKNOWN, STATE_WARNING), STATE_WARNING);
	assert_int_equal(state_worst(STATE_WARNING, STATE_UNKNOWN), STATE_WARNING);
	assert_int_equal(state_worst(STATE_CRITICAL, STATE_WARNING), STATE_CRITICAL);
	assert_int_equal(state_worst(STATE_UNKNOWN, STATE_CRITICAL), STATE_CRITICAL);
	assert_int_equal(state_worst(STATE_CRITICAL, STATE_OK), STATE_CRITICAL);
}

/* --- the status line and long output --- */

static void status_line_without_perfdata(void **state)
{
	struct output *o = *state;

	o->state = STATE_OK;
	output_summary(o, "/ full in %s", "5d 3h");
	assert_rendered(o, "DISK_TREND OK - / full in 5d 3h\n");
}

static void status_line_without_service(void **state)
{
	struct output *o = *state;

	o->service = NULL;
	o->state = STATE_CRITICAL;
	output_summary(o, "boom");
	assert_rendered(o, "CRITICAL - boom\n");
}

static void perfdata_goes_after_a_pipe_on_the_first_line(void **state)
{
	struct output *o = *state;
	struct perf *p;

	o->state = STATE_WARNING;
	output_summary(o, "growing");
	p = output_perf(o, "/", 5368709120.0, "B");
	snprintf(p->warn, sizeof p->warn, "~:100");
	output_perf(o, "rate", 1.5, "");
	output_line(o, "first");
	output_line(o, "second %d", 2);
	assert_rendered(o, "DISK_TREND WARNING - growing | '/'=5368709120B;~:100 'rate'=1.5\n"
	                   "first\n"
	                   "second 2\n");
}

static void long_output_lines_follow_the_status_line(void **state)
{
	struct output *o = *state;

	o->state = STATE_UNKNOWN;
	output_summary(o, "x");
	output_line(o, "a");
	output_line(o, "%s", "");
	assert_rendered(o, "DISK_TREND UNKNOWN - x\na\n\n");
}

static void texts_are_sanitised_when_rendered(void **state)
{
	struct output *o = *state;

	output_summary(o, "a|b\nc\rd");
	output_line(o, "e|f\ng");
	assert_rendered(o, "DISK_TREND OK - a/b c d\ne/f g\n");
	assert_string_equal(o->summary, "a|b\nc\rd");
}

static void summary_is_replaced_and_truncated(void **state)
{
	struct output *o = *state;
	char big[OUTPUT_TEXT_MAX * 2];

	output_summary(o, "first");
	output_summary(o, "second");
	assert_string_equal(o->summary, "second");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	output_summary(o, "%s", big);
	assert_int_equal(strlen(o->summary), OUTPUT_TEXT_MAX - 1);
}

static void extra_lines_are_ignored_when_full(void **state)
{
	struct output *o = *state;
	int i;

	for (i = 0; i < OUTPUT_LINES_MAX + 5; i++)
		output_line(o, "line %d", i);
	assert_int_equal(o->nlines, OUTPUT_LINES_MAX);
	assert_string_equal(o->lines[OUTPUT_LINES_MAX - 1], "line 63");
}

/* --- perfdata items --- */

static void new_perf_item_starts_empty(void **state)
{
	struct output *o = *state;
	struct perf *p = output_perf(o, "x", 5, "B");

	assert_non_null(p);
	assert_int_equal(o->nperf, 1);
	assert_string_equal(p->label, "x");
	assert_true(p->value == 5);
	assert_string_equal(p->uom, "B");
	assert_string_equal(p->warn, "");
	assert_string_equal(p->crit, "");
	assert_true(isnan(p->min) && isnan(p->max));
}

static void perf_items_run_out(void **state)
{
	struct output *o = *state;
	int i;

	for (i = 0; i < OUTPUT_PERF_MAX; i++)
		assert_non_null(output_perf(o, "x", i, ""));
	assert_null(output_perf(o, "x", 0, ""));
	assert_int_equal(o->nperf, OUTPUT_PERF_MAX);
}

static void long_label_is_truncated(void **state)
{
	struct output *o = *state;
	char big[OUTPUT_LABEL_MAX * 2];

	memset(big, 'l', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(strlen(output_perf(o, big, 0, "")->label), OUTPUT_LABEL_MAX - 1);
}

static void perf_without_thresholds_has_no_semicolons(void **state)
{
	struct perf p = perf_item("x", 5, "B");

	(void)state;
	assert_perf(&p, "'x'=5B");
}

static void perf_with_only_min_max_keeps_empty_fields_before_them(void **state)
{
	struct perf p = perf_item("x", 5, "B");

	(void)state;
	p.min = 0;
	p.max = 100;
	assert_perf(&p, "'x'=5B;;;0;100");
	p.max = NAN;
	assert_perf(&p, "'x'=5B;;;0");
}

static void perf_with_all_fields(void **state)
{
	struct perf p = perf_item("used", 42.5, "%");

	(void)state;
	snprintf(p.warn, sizeof p.warn, "80");
	snprintf(p.crit, sizeof p.crit, "@90:95");
	p.min = 0;
	p.max = 100;
	assert_perf(&p, "'used'=42.5%;80;@90:95;0;100");
}

static void perf_trailing_empty_fields_are_omitted(void **state)
{
	struct perf p = perf_item("x", 1, "s");

	(void)state;
	snprintf(p.warn, sizeof p.warn, "10");
	assert_perf(&p, "'x'=1s;10");
	snprintf(p.crit, sizeof p.crit, "20");
	assert_perf(&p, "'x'=1s;10;20");
	p.warn[0] = '\0';
	assert_perf(&p, "'x'=1s;;20");
}

static void unknown_value_prints_u(void **state)
{
	struct perf p = perf_item("x", NAN, "B");

	(void)state;
	assert_perf(&p, "'x'=U");
	snprintf(p.warn, sizeof p.warn, "10");
	p.min = 0;
	assert_perf(&p, "'x'=U;10;;0");
	p.value = INFINITY;
	assert_perf(&p, "'x'=U;10;;0");
}

static void infinite_min_max_are_left_out(void **state)
{
	struct perf p = perf_item("x", 1, "");

	(void)state;
	p.min = -INFINITY;
	p.max = INFINITY;
	assert_perf(&p, "'x'=1");
}

static void perf_numbers_have_no_exponent(void **state)
{
	struct perf p = perf_item("x", 1e15, "B");

	(void)state;
	p.max = 2.5e12;
	assert_perf(&p, "'x'=1000000000000000B;;;;2500000000000");
	p = perf_item("y", 1.0 / 3, "");
	assert_perf(&p, "'y'=0.333333");
	p = perf_item("z", -7, "c");
	assert_perf(&p, "'z'=-7c");
}

static void null_uom_is_empty(void **state)
{
	struct perf p = perf_item("x", 3, NULL);

	(void)state;
	assert_perf(&p, "'x'=3");
}

/* --- perfdata labels --- */

static void labels_are_always_quoted(void **state)
{
	struct perf p = perf_item("/var/log", 1, "");

	(void)state;
	assert_perf(&p, "'/var/log'=1");
}

static void label_with_space_is_quoted(void **state)
{
	struct perf p = perf_item("C: drive", 1, "");

	(void)state;
	assert_perf(&p, "'C: drive'=1");
}

static void quote_in_label_is_doubled(void **state)
{
	struct perf p = perf_item("it's", 1, "");

	(void)state;
	assert_perf(&p, "'it''s'=1");
	p = perf_item("''", 1, "");
	assert_perf(&p, "''''''=1");
}

static void equals_in_label_becomes_underscore(void **state)
{
	struct perf p = perf_item("a=b", 1, "");

	(void)state;
	assert_perf(&p, "'a_b'=1");
}

static void label_is_sanitised(void **state)
{
	struct perf p = perf_item("a|b\nc", 1, "");

	(void)state;
	assert_perf(&p, "'a/b c'=1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(state_names),
	        cmocka_unit_test(state_parse_accepts_names_in_any_case),
	        cmocka_unit_test(state_parse_accepts_exit_codes),
	        cmocka_unit_test(state_parse_rejects_anything_else),
	        cmocka_unit_test(worst_state_order),
	        cmocka_unit_test_setup_teardown(status_line_without_perfdata, setup, teardown),
	        cmocka_unit_test_setup_teardown(status_line_without_service, setup, teardown),
	        cmocka_unit_test_setup_teardown(perfdata_goes_after_a_pipe_on_the_first_line, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(long_output_lines_follow_the_status_line, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(texts_are_sanitised_when_rendered, setup, teardown),
	        cmocka_unit_test_setup_teardown(summary_is_replaced_and_truncated, setup, teardown),
	        cmocka_unit_test_setup_teardown(extra_lines_are_ignored_when_full, setup, teardown),
	        cmocka_unit_test_setup_teardown(new_perf_item_starts_empty, setup, teardown),
	        cmocka_unit_test_setup_teardown(perf_items_run_out, setup, teardown),
	        cmocka_unit_test_setup_teardown(long_label_is_truncated, setup, teardown),
	        cmocka_unit_test(perf_without_thresholds_has_no_semicolons),
	        cmocka_unit_test(perf_with_only_min_max_keeps_empty_fields_before_them),
	        cmocka_unit_test(perf_with_all_fields),
	        cmocka_unit_test(perf_trailing_empty_fields_are_omitted),
	        cmocka_unit_test(unknown_value_prints_u),
	        cmocka_unit_test(infinite_min_max_are_left_out),
	        cmocka_unit_test(perf_numbers_have_no_exponent),
	        cmocka_unit_test(null_uom_is_empty),
	        cmocka_unit_test(labels_are_always_quoted),
	        cmocka_unit_test(label_with_space_is_quoted),
	        cmocka_unit_test(quote_in_label_is_doubled),
	        cmocka_unit_test(equals_in_label_becomes_underscore),
	        cmocka_unit_test(label_is_sanitised),
	};

	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
