/*
 * test_ingest.c - the socket protocol's lines as a specification: every form
 * trendtrapd accepts, what it files, and every form it refuses, with the
 * message an operator will read.  Random bytes must never crash the parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

#define LINE_MAX_TEST 2048

/* A copy of one line and what it parsed into (fields point into buf). */
struct parsed {
	char buf[LINE_MAX_TEST + 1];
	struct ingest_line l;
	char err[256];
};

/* Parse TEXT[0..LEN). */
static int parse_n(struct parsed *p, const char *text, size_t len)
{
	assert_true(len <= LINE_MAX_TEST);
	memcpy(p->buf, text, len);
	p->buf[len] = 'X'; /* must be overwritten, not read */
	p->err[0] = '\0';
	return ingest_parse(p->buf, len, &p->l, p->err, sizeof p->err);
}

static void expect_ok(struct parsed *p, const char *text)
{
	if (parse_n(p, text, strlen(text)) != 0)
		fail_msg("'%s' refused: %s", text, p->err);
}

static void expect_error(const char *text, const char *want)
{
	struct parsed p;

	if (parse_n(&p, text, strlen(text)) != -1)
		fail_msg("'%s' accepted, expected '%s'", text, want);
	if (strstr(p.err, want) == NULL)
		fail_msg("'%s': error '%s' does not mention '%s'", text, p.err, want);
}

static void expect_result(const struct parsed *p, enum ingest_type type, const char *host,
                          const char *service, int rc, const char *output, const char *perfdata)
{
	assert_int_equal(p->l.type, type);
	assert_string_equal(p->l.host, host);
	assert_string_equal(p->l.service, service);
	assert_int_equal(p->l.rc, rc);
	assert_string_equal(p->l.output, output);
	assert_string_equal(p->l.perfdata, perfdata);
	assert_int_equal(p->l.nargs, 0);
}

/* --- results --- */

static void service_result_with_timestamp_output_and_perfdata(void **state)
{
	struct parsed p;

	(void)state;
	expect_ok(&p, "[1700000000] PROCESS_SERVICE_CHECK_RESULT;web01;disk /var;2;"
	              "DISK_TREND CRITICAL - full in 3d | '/var'=9B;;;0;10 'x'=1 ");
	expect_result(&p, INGEST_SERVICE_RESULT, "web01", "disk /var", 2,
	              "DISK_TREND CRITICAL - full in 3d", "'/var'=9B;;;0;10 'x'=1");
	assert_true(p.l.timestamp == 1700000000);
	assert_string_equal(p.l.command, "PROCESS_SERVICE_CHECK_RESULT");
}

static void service_result_without_timestamp(void **state)
{
	struct parsed p;

	(void)state;
	expect_ok(&p, "PROCESS_SERVICE_CHECK_RESULT;h;s;0;OK");
	expect_result(&p, INGEST_SERVICE_RESULT, "h", "s", 0, "OK", "");
	assert_true(p.l.timestamp == -1);
}

static void timestamp_takes_any_spaces_after_it(void **state)
{
	struct parsed p;

	(void)state;
	expect_ok(&p, "[0]PROCESS_SERVICE_CHECK_RESULT;h;s;1;W");
	assert_true(p.l.timestamp == 0);
	expect_ok(&p, "[9223372036854775807]   PROCESS_SERVICE_CHECK_RESULT;h;s;1;W");
	assert_true(p.l.timestamp == INT64_MAX);
	expect_result(&p, INGEST_SERVICE_RESULT, "h", "s", 1, "W", "");
}

static void output_may_hold_semicolons_and_loses_its_long_part(void **state)
{
	struct parsed p;

	(void)state;
	expect_ok(&p, "PROCESS_SERVICE_CHECK_RESULT;h;s;0;OK; all; good\\nline 2|x=1\\nmore|y=2");
	expect_result(&p, INGEST_SERVICE_RESULT, "h", "s", 0, "OK; all; good", "");
	expect_ok(&p, "PROCESS_SERVICE_CHECK_RESULT;h;s;0;OK|a=1 b=2\\nlong|c=3");
	expect_result(&p, INGEST_SERVICE_RESULT, "h", "s", 0, "OK", "a=1 b=2");
	expect_ok(&p, "PROCESS_SERVICE_CHECK_RESULT;h;s;0;|a=1|b=2");
	expect_result(&p, INGEST_SERVICE_RESULT, "h", "s", 0, "", "a=1|b=2");
	expect_ok(&p, "PROCESS_SERVICE_CHECK_RESULT;h;s;0;\\n only long output");
	expect_result(&p, INGEST_SERVICE_RESULT, "h", "s", 0, "", "");
	expect_ok(&p, "PROCESS_SERVICE_CHECK_RESULT;h;s;0;  spaced  \t|\t a=1 \t");
	expect_result(&p, INGEST_SERVICE_RESULT, "h", "s", 0, "  spaced", "a=1");
	expect_ok(&p, "PROCESS_SERVICE_CHECK_RESULT;h;s;0;back\\slash\\\\n");
	expect_result(&p, INGEST_SERVICE_RESULT, "h", "s", 0, "back\\slash\\", "");
}

static void output_may_be_empty_or_missing(void **state)
{
	struct parsed p;

	(void)state;
	expect_ok(&p, "PROCESS_SERVICE_CHECK_RESULT;h;s;3;");
	expect_result(&p, INGEST_SERVICE_RESULT, "h", "s", 3, "", "");
	expect_ok(&p, "PROCESS_SERVICE_CHECK_RESULT;h;s;3");
	expect_result(&p, INGEST_SERVICE_RESULT, "h", "s", 3, "", "");
	expect_ok(&p, "PROCESS_HOST_CHECK_RESULT;h;0");
	expect_result(&p, INGEST_HOST_RESULT, "h", "HOST", 0, "", "");
}

static void names_may_hold_slashes_spaces_and_utf8(void **state)
{
	struct parsed p;
	char line[600], name[256];

	(void)state;
	expect_ok(&p, "PROCESS_SERVICE_CHECK_RESULT;db-01.example.org;disk /var/lib/pg;0;OK");
	expect_result(&p, INGEST_SERVICE_RESULT, "db-01.example.org", "disk /var/lib/pg", 0, "OK",
	              "");
	expect_ok(&p, "PROCESS_SERVICE_CHECK_RESULT;Zürich;Größe;0;OK");
	expect_result(&p, INGEST_SERVICE_RESULT, "Zürich", "Größe", 0, "OK", "");
	memset(name, 'n', 255);
	name[255] = '\0';
	snprintf(line, sizeof line, "PROCESS_SERVICE_CHECK_RESULT;%s;%s;0;OK", name, name);
	expect_ok(&p, line);
	assert_int_equal(strlen(p.l.host), 255);
	assert_int_equal(strlen(p.l.service), 255);
}

static void one_trailing_carriage_return_is_dropped(void **state)
{
	struct parsed p;

	(void)state;
	expect_ok(&p, "PROCESS_SERVICE_CHECK_RESULT;h;s;0;OK|a=1\r");
	expect_result(&p, INGEST_SERVICE_RESULT, "h", "s", 0, "OK", "a=1");
	expect_ok(&p, "PROCESS_SERVICE_CHECK_RESULT;h;s;0;OK\r\r");
	assert_string_equal(p.l.output, "OK\r");
	expect_ok(&p, "TRENDTRAP_SYNC\r");
	assert_string_equal(p.l.command, "TRENDTRAP_SYNC");
}

static void host_results_file_down_and_unreachable_as_critical(void **state)
{
	static const int filed[] = {0, 2, 2, 3};
	struct parsed p;
	char line[128];

	(void)state;
	for (int rc = 0; rc <= 3; rc++) {
		snprintf(line, sizeof line,
		         "[1] PROCESS_HOST_CHECK_RESULT;gw;%d;PING; rta 1ms|rta=1ms", rc);
		expect_ok(&p, line);
		expect_result(&p, INGEST_HOST_RESULT, "gw", "HOST", filed[rc], "PING; rta 1ms",
		              "rta=1ms");
		assert_string_equal(p.l.command, "PROCESS_HOST_CHECK_RESULT");
	}
}

static void every_service_return_code_is_kept(void **state)
{
	struct parsed p;
	char line[128];

	(void)state;
	for (int rc = 0; rc <= 3; rc++) {
		snprintf(line, sizeof line, "PROCESS_SERVICE_CHECK_RESULT;h;s;%d;x", rc);
		expect_ok(&p, line);
		assert_int_equal(p.l.rc, rc);
	}
	expect_ok(&p, "PROCESS_SERVICE_CHECK_RESULT;h;s;002;x");
	assert_int_equal(p.l.rc, 2);
}

/* --- control commands --- */

static void control_commands_without_arguments(void **state)
{
	static const char *const names[] = {"TRENDTRAP_SYNC", "TRENDTRAP_STATUS",
	                                    "TRENDTRAP_SILENCE_LIST"};
	struct parsed p;
	char line[128];

	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(line, sizeof line, "[1700000000] %s", names[i]);
		expect_ok(&p, line);
		assert_int_equal(p.l.type, INGEST_CONTROL);
		assert_string_equal(p.l.command, names[i]);
		assert_int_equal(p.l.nargs, 0);
		assert_null(p.l.host);
		assert_true(p.l.timestamp == 1700000000);
	}
}

static void silence_add_comment_takes_the_rest(void **state)
{
	struct parsed p;

	(void)state;
	expect_ok(&p, "TRENDTRAP_SILENCE_ADD;web*/disk /var;2h;maintenance; ticket 42; back at 6");
	assert_int_equal(p.l.type, INGEST_CONTROL);
	assert_string_equal(p.l.command, "TRENDTRAP_SILENCE_ADD");
	assert_int_equal(p.l.nargs, 3);
	assert_string_equal(p.l.args[0], "web*/disk /var");
	assert_string_equal(p.l.args[1], "2h");
	assert_string_equal(p.l.args[2], "maintenance; ticket 42; back at 6");
	/* Content is the command's business: empty arguments pass. */
	expect_ok(&p, "TRENDTRAP_SILENCE_ADD;;;");
	assert_int_equal(p.l.nargs, 3);
	assert_string_equal(p.l.args[2], "");
	/* An acknowledgement's comment also takes the rest. */
	expect_ok(&p, "[1700000000] TRENDTRAP_ACK;web01/disk /;on it; see ticket 7");
	assert_string_equal(p.l.command, "TRENDTRAP_ACK");
	assert_int_equal(p.l.nargs, 2);
	assert_string_equal(p.l.args[0], "web01/disk /");
	assert_string_equal(p.l.args[1], "on it; see ticket 7");
	expect_error("TRENDTRAP_ACK;web01", "TRENDTRAP_ACK wants PATTERN;COMMENT: got 1 argument");
}

static void one_argument_commands(void **state)
{
	struct parsed p;

	(void)state;
	expect_ok(&p, "TRENDTRAP_SILENCE_REMOVE;17");
	assert_string_equal(p.l.command, "TRENDTRAP_SILENCE_REMOVE");
	assert_int_equal(p.l.nargs, 1);
	assert_string_equal(p.l.args[0], "17");
	expect_ok(&p, "[5] TRENDTRAP_TEST;snmp-noc");
	assert_string_equal(p.l.command, "TRENDTRAP_TEST");
	assert_int_equal(p.l.nargs, 1);
	assert_string_equal(p.l.args[0], "snmp-noc");
	assert_true(p.l.timestamp == 5);
}

static void wrong_argument_counts_are_refused(void **state)
{
	(void)state;
	expect_error("TRENDTRAP_SYNC;", "TRENDTRAP_SYNC takes no arguments");
	expect_error("TRENDTRAP_STATUS;verbose", "TRENDTRAP_STATUS takes no arguments");
	expect_error("TRENDTRAP_SILENCE_LIST;x", "TRENDTRAP_SILENCE_LIST takes no arguments");
	expect_error("TRENDTRAP_SILENCE_ADD",
	             "TRENDTRAP_SILENCE_ADD wants PATTERN;DURATION;COMMENT: got 0 arguments");
	expect_error("TRENDTRAP_SILENCE_ADD;web01;2h", "got 2 arguments");
	expect_error("TRENDTRAP_SILENCE_REMOVE", "TRENDTRAP_SILENCE_REMOVE wants ID: got 0");
	expect_error("TRENDTRAP_SILENCE_REMOVE;1;2", "got 2 arguments");
	expect_error("TRENDTRAP_TEST", "TRENDTRAP_TEST wants CHANNEL: got 0 arguments");
	expect_error("TRENDTRAP_TEST;a;b;c;d;e;f", "got more than 4 arguments");
}

/* --- refused lines --- */

static void empty_lines_are_refused(void **state)
{
	(void)state;
	expect_error("", "empty line");
	expect_error(" \t ", "empty line");
	expect_error("\r", "empty line");
}

static void bad_timestamps_are_refused(void **state)
{
	(void)state;
	expect_error("[1700000000 PROCESS_HOST_CHECK_RESULT;h;0;x", "unterminated timestamp");
	expect_error("[] TRENDTRAP_SYNC", "bad timestamp '[]'");
	expect_error("[12a] TRENDTRAP_SYNC", "bad timestamp '[12a]'");
	expect_error("[-1] TRENDTRAP_SYNC", "bad timestamp '[-1]'");
	expect_error("[ 1] TRENDTRAP_SYNC", "bad timestamp");
	expect_error("[9223372036854775808] TRENDTRAP_SYNC", "bad timestamp");
	expect_error("[1]", "no command after the timestamp");
	expect_error("[1]   ", "no command after the timestamp");
}

static void unknown_commands_are_named_and_cut(void **state)
{
	char line[200], want[64];
	struct parsed p;

	(void)state;
	expect_error("PROCESS_SVC_CHECK_RESULT;h;s;0;x",
	             "unknown command 'PROCESS_SVC_CHECK_RESULT'");
	expect_error("process_service_check_result;h;s;0;x", "unknown command");
	expect_error(" PROCESS_SERVICE_CHECK_RESULT;h;s;0;x", "unknown command ' PROCESS");
	expect_error("SCHEDULE_HOST_DOWNTIME;h;1;2;1;0;0;me;x", "'SCHEDULE_HOST_DOWNTIME'");
	expect_error("BAD\x1b[31mNAME\xff", "unknown command 'BAD?[31mNAME?'");
	memset(line, 'A', 100);
	strcpy(line + 100, ";x");
	memset(want, 'A', 40);
	strcpy(want + 40, "...'");
	expect_error(line, want);
	assert_int_equal(parse_n(&p, line, strlen(line)), -1);
	assert_true(strlen(p.err) < 80);
}

static void wrong_field_counts_are_refused(void **state)
{
	(void)state;
	expect_error("PROCESS_SERVICE_CHECK_RESULT",
	             "PROCESS_SERVICE_CHECK_RESULT wants HOST;SERVICE;RC;OUTPUT: got 0 fields");
	expect_error("PROCESS_SERVICE_CHECK_RESULT;h", "got 1 field");
	expect_error("PROCESS_SERVICE_CHECK_RESULT;h;s", "got 2 fields");
	expect_error("PROCESS_HOST_CHECK_RESULT", "wants HOST;RC;OUTPUT: got 0 fields");
	expect_error("PROCESS_HOST_CHECK_RESULT;h", "got 1 field");
}

static void bad_names_are_refused(void **state)
{
	char line[700], name[300];

	(void)state;
	expect_error("PROCESS_SERVICE_CHECK_RESULT;;s;0;x", "empty host name");
	expect_error("PROCESS_SERVICE_CHECK_RESULT;h;;0;x", "empty service name");
	expect_error("PROCESS_HOST_CHECK_RESULT;;0;x", "empty host name");
	expect_error("PROCESS_SERVICE_CHECK_RESULT;we\tb;s;0;x", "control character in host name");
	expect_error("PROCESS_SERVICE_CHECK_RESULT;h;s\x1b;0;x",
	             "control character in service name");
	expect_error("PROCESS_HOST_CHECK_RESULT;h\x7f;0;x", "control character in host name");
	memset(name, 'n', 256);
	name[256] = '\0';
	snprintf(line, sizeof line, "PROCESS_SERVICE_CHECK_RESULT;%s;s;0;x", name);
	expect_error(line, "host name longer than 255 bytes");
	snprintf(line, sizeof line, "PROCESS_SERVICE_CHECK_RESULT;h;%s;0;x", name);
	expect_error(line, "service name longer than 255 bytes");
}

static void bad_return_codes_are_refused(void **state)
{
	(void)state;
	expect_error("PROCESS_SERVICE_CHECK_RESULT;h;s;7;x", "return code 7 is not 0..3");
	expect_error("PROCESS_SERVICE_CHECK_RESULT;h;s;4;x", "return code 4 is not 0..3");
	expect_error("PROCESS_SERVICE_CHECK_RESULT;h;s;-1;x", "return code -1 is not 0..3");
	expect_error("PROCESS_SERVICE_CHECK_RESULT;h;s;99999999999999999999;x",
	             "return code 99999999999999999999 is not 0..3");
	expect_error("PROCESS_SERVICE_CHECK_RESULT;h;s;;x", "return code '' is not an integer");
	expect_error("PROCESS_SERVICE_CHECK_RESULT;h;s;OK;x", "return code 'OK' is not an integer");
	expect_error("PROCESS_SERVICE_CHECK_RESULT;h;s;1.0;x",
	             "return code '1.0' is not an integer");
	expect_error("PROCESS_SERVICE_CHECK_RESULT;h;s; 1;x", "return code ' 1' is not an integer");
	expect_error("PROCESS_SERVICE_CHECK_RESULT;h;s;-;x", "return code '-' is not an integer");
	expect_error("PROCESS_HOST_CHECK_RESULT;h;5;x", "return code 5 is not 0..3");
	expect_error("PROCESS_HOST_CHECK_RESULT;h;UP;x", "return code 'UP' is not an integer");
}

static void nul_bytes_are_refused_where_len_says(void **state)
{
	static const char line[] = "PROCESS_SERVICE_CHECK_RESULT;h\0idden;s;0;x";
	struct parsed p;

	(void)state;
	assert_int_equal(parse_n(&p, line, sizeof line - 1), -1);
	assert_string_equal(p.err, "NUL byte at column 31");
	assert_int_equal(parse_n(&p, "TRENDTRAP_SYNC\0", 15), -1);
	assert_string_equal(p.err, "NUL byte at column 15");
	assert_int_equal(parse_n(&p, "\0", 1), -1);
	assert_string_equal(p.err, "NUL byte at column 1");
	/* LEN is authoritative: bytes after it do not count. */
	assert_int_equal(parse_n(&p, "TRENDTRAP_SYNC;junk", 14), 0);
	assert_int_equal(p.l.nargs, 0);
}

/* --- robustness --- */

/* What a successful parse promises, checked on whatever parsed. */
static void check_promises(const struct ingest_line *l, const char *buf, size_t len)
{
	assert_non_null(l->command);
	if (l->type == INGEST_CONTROL) {
		assert_null(l->host);
		assert_true(l->nargs <= INGEST_MAX_ARGS);
		for (size_t i = 0; i < l->nargs; i++)
			assert_true(l->args[i] >= buf && l->args[i] <= buf + len);
		return;
	}
	assert_true(l->rc >= 0 && l->rc <= 3);
	assert_true(strlen(l->host) >= 1 && strlen(l->host) <= INGEST_NAME_MAX);
	assert_true(strlen(l->service) >= 1 && strlen(l->service) <= INGEST_NAME_MAX);
	assert_null(strstr(l->output, "\\n"));
	assert_null(strchr(l->output, '|'));
	assert_int_equal(l->nargs, 0);
}

/* Random bytes, and random damage to good lines, in buffers of exactly
 * LEN + 1 bytes so that ASan sees any overrun. */
static void random_bytes_never_crash(void **state)
{
	static const char alphabet[] = ";;;[]|\\n\r\t 0123 \xff\xc3\x01"
	                               "PROCESS_SERVICE_CHECK_RESULT TRENDTRAP_";
	static const char *const good[] = {
	        "[1700000000] PROCESS_SERVICE_CHECK_RESULT;web01;disk /;2;CRIT|a=1\\nlong",
	        "PROCESS_HOST_CHECK_RESULT;gw;1;DOWN",
	        "TRENDTRAP_SILENCE_ADD;web*/disk;2h;maint; ticket 1",
	        "[1] TRENDTRAP_TEST;snmp",
	};
	struct ingest_line l;
	char err[256];
	size_t accepted = 0;

	(void)state;
	srand(7);
	for (int round = 0; round < 100000; round++) {
		size_t len = (size_t)rand() % 400;
		char *buf = malloc(len + 1);

		assert_non_null(buf);
		if (round % 2 == 0) {
			for (size_t i = 0; i < len; i++)
				buf[i] = alphabet[(size_t)rand() % (sizeof alphabet - 1)];
		} else {
			const char *g = good[rand() % 4];

			len = strlen(g) - (size_t)rand() % 8;
			buf = realloc(buf, len + 1);
			assert_non_null(buf);
			memcpy(buf, g, len);
			for (int i = rand() % 3; i > 0; i--)
				buf[(size_t)rand() % len] =
				        alphabet[(size_t)rand() % (sizeof alphabet - 1)];
		}
		err[0] = '\0';
		if (ingest_parse(buf, len, &l, err, sizeof err) == 0) {
			check_promises(&l, buf, len);
			accepted++;
		} else {
			assert_true(err[0] != '\0');
			assert_null(strchr(err, '\n'));
		}
		free(buf);
	}
	assert_true(accepted > 1000); /* the damage left many lines valid */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(service_result_with_timestamp_output_and_perfdata),
	        cmocka_unit_test(service_result_without_timestamp),
	        cmocka_unit_test(timestamp_takes_any_spaces_after_it),
	        cmocka_unit_test(output_may_hold_semicolons_and_loses_its_long_part),
	        cmocka_unit_test(output_may_be_empty_or_missing),
	        cmocka_unit_test(names_may_hold_slashes_spaces_and_utf8),
	        cmocka_unit_test(one_trailing_carriage_return_is_dropped),
	        cmocka_unit_test(host_results_file_down_and_unreachable_as_critical),
	        cmocka_unit_test(every_service_return_code_is_kept),
	        cmocka_unit_test(control_commands_without_arguments),
	        cmocka_unit_test(silence_add_comment_takes_the_rest),
	        cmocka_unit_test(one_argument_commands),
	        cmocka_unit_test(wrong_argument_counts_are_refused),
	        cmocka_unit_test(empty_lines_are_refused),
	        cmocka_unit_test(bad_timestamps_are_refused),
	        cmocka_unit_test(unknown_commands_are_named_and_cut),
	        cmocka_unit_test(wrong_field_counts_are_refused),
	        cmocka_unit_test(bad_names_are_refused),
	        cmocka_unit_test(bad_return_codes_are_refused),
	        cmocka_unit_test(nul_bytes_are_refused_where_len_says),
	        cmocka_unit_test(random_bytes_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
