/*
 * test_notice.c - notices as the channels see them: clean UTF-8 text cut at
 * character boundaries, the value / slope / time left taken from our
 * plugins' perfdata, and the outbox payload, which must read back exactly
 * what was written and refuse damage with a reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notice.h"

/* --- helpers --- */

static void set_text(char *dst, size_t dstlen, const char *src)
{
	notice_set_text(dst, dstlen, src, strlen(src));
}

/* Assert that SRC becomes WANT in a roomy buffer. */
static void expect_text(const char *src, size_t len, const char *want)
{
	char dst[256];

	notice_set_text(dst, sizeof dst, src, len);
	assert_string_equal(dst, want);
}

/* A notice with every field set, text chosen to need escaping. */
static void full_notice(struct notice *n)
{
	memset(n, 0, sizeof *n);
	n->kind = NOTICE_RECOVERY;
	n->id = UINT64_MAX;
	n->state = RULES_OK;
	n->previous = RULES_CRITICAL;
	n->at = 1700000000;
	n->since = -42;
	set_text(n->host, sizeof n->host, "web01\\prod\\");
	set_text(n->service, sizeof n->service, "disk /var \\\\ Größe");
	set_text(n->output, sizeof n->output, "DISK_TREND CRITICAL - 日本 full in 3d \\n; x=1");
	set_text(n->perfdata, sizeof n->perfdata, "'/'=17105133568B;;;0;102745280512");
	set_text(n->value, sizeof n->value, "17105133568B");
	set_text(n->slope, sizeof n->slope, "-1.5e+06B/d");
	n->time_left = 86400;
}

static void expect_same(const struct notice *a, const struct notice *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_true(a->id == b->id);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->previous, b->previous);
	assert_true(a->at == b->at);
	assert_true(a->since == b->since);
	assert_string_equal(a->host, b->host);
	assert_string_equal(a->service, b->service);
	assert_string_equal(a->output, b->output);
	assert_string_equal(a->perfdata, b->perfdata);
	assert_string_equal(a->value, b->value);
	assert_string_equal(a->slope, b->slope);
	assert_true(a->time_left == b->time_left);
}

/* Encode N, decode it, and check nothing changed. */
static void round_trip(const struct notice *n)
{
	char buf[8192], err[256] = "";
	struct notice back;
	int len = notice_encode(n, buf, sizeof buf);

	assert_true(len > 0 && (size_t)len < sizeof buf);
	assert_int_equal(strlen(buf), len);
	if (notice_decode(buf, (size_t)len, &back, err, sizeof err) != 0)
		fail_msg("payload does not decode: %s\n%s", err, buf);
	expect_same(n, &back);
}

/* Decoding TEXT fails with a message containing WANT. */
static void expect_decode_error(const char *text, const char *want)
{
	struct notice n;
	char err[256] = "";

	if (notice_decode(text, strlen(text), &n, err, sizeof err) != -1)
		fail_msg("decoded, expected an error with '%s':\n%s", want, text);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not mention '%s'", err, want);
}

#define MINIMAL "v 1\nkind problem\nid 7\nat 1700000000\nhost h\nservice s\n"

/* MINIMAL with KEY's line set to "KEY VALUE" (added when KEY is not in it),
 * or dropped when VALUE is NULL. */
static void payload(char *buf, size_t len, const char *key, const char *value)
{
	static const char *const base[][2] = {{"v", "1"},    {"kind", "problem"},
	                                      {"id", "7"},   {"at", "1700000000"},
	                                      {"host", "h"}, {"service", "s"}};
	size_t o = 0;
	bool found = false;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
		const char *v = base[i][1];

		if (strcmp(base[i][0], key) == 0) {
			found = true;
			v = value;
		}
		if (v != NULL)
			o += (size_t)snprintf(buf + o, len - o, "%s %s\n", base[i][0], v);
	}
	if (!found && value != NULL)
		snprintf(buf + o, len - o, "%s %s\n", key, value);
}

/* --- text --- */

static void ascii_and_multibyte_utf8_are_copied(void **state)
{
	(void)state;
	expect_text("plain text", 10, "plain text");
	expect_text("Größe – 日本 😀", strlen("Größe – 日本 😀"), "Größe – 日本 😀");
	expect_text("", 0, "");
	expect_text("abc", 2, "ab"); /* LEN, not the NUL, bounds the source */
}

static void invalid_utf8_bytes_become_question_marks(void **state)
{
	(void)state;
	expect_text("a\xff"
	            "b",
	            3, "a?b");
	expect_text("end\xc3", 4, "end?");          /* truncated sequence */
	expect_text("\xc3(", 2, "?(");              /* bad continuation */
	expect_text("\xc0\xaf", 2, "??");           /* overlong '/' */
	expect_text("\xe0\x80\xaf", 3, "???");      /* overlong, 3 bytes */
	expect_text("\xed\xa0\x80", 3, "???");      /* UTF-16 surrogate */
	expect_text("\xf4\x90\x80\x80", 4, "????"); /* above U+10FFFF */
	expect_text("\x80\xbf", 2, "??");           /* lone continuations */
	expect_text("\xe6\x97"
	            "x\xe6\x97\xa5",
	            6, "??x日"); /* cut sequence, then a good one */
}

static void control_characters_become_spaces(void **state)
{
	(void)state;
	expect_text("a\tb\nc\rd\x1b[0m\x7f", 12, "a b c d [0m ");
	expect_text("nul\0inside", 10, "nul inside");
	expect_text("c1\xc2\x85next", 8, "c1 next");    /* U+0085, a C1 control */
	expect_text("\xc2\xa0nbsp", 6, "\xc2\xa0nbsp"); /* U+00A0 is not a control */
}

/* Every cut keeps whole characters only, and as many as fit. */
static void truncation_never_splits_a_character(void **state)
{
	const char *src = "aé日😀b€𝄞z"; /* 1, 2, 3, 4, 1, 3, 4, 1 bytes */
	static const size_t ends[] = {0, 1, 3, 6, 10, 11, 14, 18, 19};
	size_t len = strlen(src);
	char dst[64];

	(void)state;
	assert_int_equal(len, 19);
	for (size_t size = 1; size <= len + 2; size++) {
		size_t want = 0;

		for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
			if (ends[i] <= size - 1)
				want = ends[i];
		memset(dst, 'X', sizeof dst);
		notice_set_text(dst, size, src, len);
		assert_int_equal(strlen(dst), want);
		assert_memory_equal(dst, src, want);
	}
	set_text(dst, 1, "anything");
	assert_string_equal(dst, "");
	set_text(dst, 3, "\x01\x02\x03\x04"); /* replacements count too */
	assert_string_equal(dst, "  ");
}

/* --- perfdata --- */

static void extract(struct notice *n, const char *perfdata)
{
	memset(n, 0, sizeof *n);
	strcpy(n->value, "stale value");
	strcpy(n->slope, "stale slope");
	n->time_left = 12345;
	notice_perf_extract(n, perfdata);
}

static void disk_perfdata_with_unknown_trend(void **state)
{
	struct notice n;

	(void)state;
	extract(&n, "'/'=17105133568B;;;0;102745280512 '/ growth_per_day'=U "
	            "'/ time_left'=U;1209600:;259200:");
	assert_string_equal(n.value, "17105133568B");
	assert_string_equal(n.slope, "");
	assert_true(n.time_left == -1);
}

static void disk_perfdata_with_a_trend_per_day(void **state)
{
	struct notice n;

	(void)state;
	extract(&n, "'/var'=9B;;;0;10 '/var growth_per_day'=1.5e+06B "
	            "'/var time_left'=86400;1209600:;259200:");
	assert_string_equal(n.value, "9B");
	assert_string_equal(n.slope, "1.5e+06B/d");
	assert_true(n.time_left == 86400);
}

static void memory_perfdata_slope_per_hour(void **state)
{
	struct notice n;

	(void)state;
	extract(&n, "'available'=24929374208B;;;0;25276514304 'slope_per_hour'=-1200000B "
	            "'time_left'=86400s;259200:;86400:");
	assert_string_equal(n.value, "24929374208B");
	assert_string_equal(n.slope, "-1200000B/h");
	assert_true(n.time_left == 86400);
}

static void error_trend_perfdata_takes_the_ratio(void **state)
{
	struct notice n;

	(void)state;
	extract(&n, "requests=100c errors=3c ratio=3%;5;10 baseline_ratio=1% increase=2 "
	            "slope_per_hour=0.1% time_left=3600s");
	assert_string_equal(n.value, "3%");
	assert_string_equal(n.slope, "0.1%/h");
	assert_true(n.time_left == 3600);

	/* A label that merely ends in "ratio" is not the ratio. */
	extract(&n, "requests=100c baseline_ratio=1% ratio=4%");
	assert_string_equal(n.value, "4%");
	extract(&n, "requests=100c baseline_ratio=1%");
	assert_string_equal(n.value, "100c");
}

static void missing_or_broken_perfdata_is_unknown(void **state)
{
	static const char *const cases[] = {
	        "",
	        "   ",
	        "hello world",
	        "=5",
	        "'unterminated=5",
	        "x=U slope_per_hour=U time_left=U",
	        "x= slope_per_hour=;1 time_left=",
	        "x=abc slope_per_hour=B time_left=s",
	        "x=-.B slope_per_hour=e5 time_left=5m",
	        "x=1234567890123456789012345678901234567890123456789012345678901234567890B",
	};
	struct notice n;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		extract(&n, cases[i]);
		if (n.value[0] || n.slope[0] || n.time_left != -1)
			fail_msg("'%s': value '%s' slope '%s' time_left %lld", cases[i], n.value,
			         n.slope, (long long)n.time_left);
	}
	extract(&n, NULL);
	assert_string_equal(n.value, "");
	assert_true(n.time_left == -1);
}

static void perfdata_items_are_read_leniently(void **state)
{
	struct notice n;

	(void)state;
	/* Broken items are skipped; quoted labels may hold spaces and ''. */
	extract(&n, "=junk 'it''s'=5s 'my ratio'=1 'ratio'=2.5%;;;0;100");
	assert_string_equal(n.value, "2.5%");
	extract(&n, "\t'it''s'=5s;1;2\tnext=1");
	assert_string_equal(n.value, "5s");
	/* The first slope and time_left count, even when unknown. */
	extract(&n, "a=1 x_slope_per_hour=U slope_per_hour=2 time_left=U y_time_left=5");
	assert_string_equal(n.slope, "");
	assert_true(n.time_left == -1);
	/* time_left: fractions dropped, negative means already exhausted. */
	extract(&n, "time_left=90.9s");
	assert_true(n.time_left == 90);
	extract(&n, "time_left=-5s");
	assert_true(n.time_left == 0);
	extract(&n, "time_left=99999999999999999999999s");
	assert_true(n.time_left == -1);
	/* Value with a sign and an exponent, as written. */
	extract(&n, "v=+1E3KiB");
	assert_string_equal(n.value, "+1E3KiB");
}

/* --- payload --- */

static void payload_is_key_value_text_in_a_fixed_order(void **state)
{
	struct notice n;
	char buf[8192];
	const char *want = "v 1\n"
	                   "kind problem\n"
	                   "id 42\n"
	                   "state CRITICAL\n"
	                   "previous OK\n"
	                   "at 1700000000\n"
	                   "since 1699990000\n"
	                   "host web01\n"
	                   "service C:\\\\ drive\n"
	                   "output DISK CRITICAL\n"
	                   "perfdata \n"
	                   "value 3%\n"
	                   "slope \n"
	                   "time_left -1\n"
	                   "history 1.5 -2 1e+20\n";

	(void)state;
	memset(&n, 0, sizeof n);
	n.history[0] = 1.5;
	n.history[1] = -2;
	n.history[2] = 1e20;
	n.nhistory = 3;
	n.kind = NOTICE_PROBLEM;
	n.id = 42;
	n.state = RULES_CRITICAL;
	n.at = 1700000000;
	n.since = 1699990000;
	strcpy(n.host, "web01");
	strcpy(n.service, "C:\\ drive");
	strcpy(n.output, "DISK CRITICAL");
	strcpy(n.value, "3%");
	n.time_left = -1;
	assert_int_equal(notice_encode(&n, buf, sizeof buf), strlen(want));
	assert_string_equal(buf, want);
}

static void every_field_round_trips(void **state)
{
	struct notice n;

	(void)state;
	full_notice(&n);
	round_trip(&n);
	for (unsigned k = NOTICE_PROBLEM; k <= NOTICE_TEST; k++) {
		for (unsigned st = RULES_OK; st <= RULES_UNKNOWN; st++) {
			n.kind = (enum notice_kind)k;
			n.state = (enum rules_state)st;
			n.previous = (enum rules_state)(3 - st);
			round_trip(&n);
		}
	}
	n.id = 0;
	n.at = INT64_MIN;
	n.since = INT64_MAX;
	n.time_left = 0;
	round_trip(&n);
}

static void backslashes_round_trip_in_every_position(void **state)
{
	static const char *const texts[] = {"\\", "\\\\", "a\\", "\\a", "\\\\\\n", "x\\\\y\\"};
	struct notice n;

	(void)state;
	full_notice(&n);
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		strcpy(n.host, texts[i]);
		strcpy(n.output, texts[i]);
		strcpy(n.slope, texts[i]);
		round_trip(&n);
	}
}

static void unknown_values_round_trip(void **state)
{
	struct notice n;

	(void)state;
	full_notice(&n);
	n.value[0] = n.slope[0] = n.perfdata[0] = n.output[0] = '\0';
	n.time_left = -1;
	round_trip(&n);
	n.host[0] = n.service[0] = '\0'; /* allowed, e.g. for a test notice */
	round_trip(&n);
}

static void full_fields_of_backslashes_fit_in_8k(void **state)
{
	struct notice n;
	char buf[8192];

	(void)state;
	full_notice(&n);
	memset(n.host, '\\', sizeof n.host - 1);
	memset(n.service, '\\', sizeof n.service - 1);
	memset(n.output, '\\', sizeof n.output - 1);
	memset(n.perfdata, '\\', sizeof n.perfdata - 1);
	memset(n.value, '\\', sizeof n.value - 1);
	memset(n.slope, '\\', sizeof n.slope - 1);
	assert_true(notice_encode(&n, buf, sizeof buf) < (int)sizeof buf);
	round_trip(&n);
}

static void encode_cleans_text_the_struct_should_not_hold(void **state)
{
	struct notice n, back;
	char buf[8192], err[256];

	(void)state;
	full_notice(&n);
	strcpy(n.host, "web\n01\r");
	strcpy(n.output, "bad \xff byte\tand tab");
	memset(n.service, 's', sizeof n.service); /* not even terminated */
	notice_encode(&n, buf, sizeof buf);
	assert_int_equal(notice_decode(buf, strlen(buf), &back, err, sizeof err), 0);
	assert_string_equal(back.host, "web 01 ");
	assert_string_equal(back.output, "bad ? byte and tab");
	assert_int_equal(strlen(back.service), sizeof n.service - 1);
}

static void encode_truncates_like_snprintf(void **state)
{
	struct notice n;
	char full[8192], small[40];
	int len;

	(void)state;
	full_notice(&n);
	len = notice_encode(&n, full, sizeof full);
	assert_int_equal(notice_encode(&n, small, sizeof small), len);
	assert_int_equal(strlen(small), sizeof small - 1);
	assert_memory_equal(small, full, sizeof small - 1);
	assert_int_equal(notice_encode(&n, NULL, 0), len);
}

static void decode_zeroes_first_and_ignores_unknown_keys(void **state)
{
	const char *text = "future some value with \\ odd bits\n" MINIMAL "colour blue\n"
	                   "x\n"; /* a lone unknown key, no value */
	struct notice n;
	char err[256] = "";

	(void)state;
	/* A bare "x" has no space: that is damage, not an unknown key. */
	assert_int_equal(notice_decode(text, strlen(text), &n, err, sizeof err), -1);
	text = "future some value with \\ odd bits\n" MINIMAL "colour blue\nkind2 \n";
	memset(&n, 0x5a, sizeof n);
	assert_int_equal(notice_decode(text, strlen(text), &n, err, sizeof err), 0);
	assert_int_equal(n.kind, NOTICE_PROBLEM);
	assert_true(n.id == 7 && n.at == 1700000000 && n.since == 0);
	assert_int_equal(n.state, RULES_OK);
	assert_string_equal(n.host, "h");
	assert_string_equal(n.output, "");
	assert_string_equal(n.value, "");
	assert_true(n.time_left == -1);
	/* The last newline may be missing. */
	text = MINIMAL "time_left 5";
	assert_int_equal(notice_decode(text, strlen(text), &n, err, sizeof err), 0);
	assert_true(n.time_left == 5);
}

static void missing_required_keys_are_named(void **state)
{
	static const char *const keys[] = {"v", "kind", "id", "at", "host", "service"};
	char text[512], want[32];

	(void)state;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		payload(text, sizeof text, keys[i], NULL);
		snprintf(want, sizeof want, "missing %s", keys[i]);
		expect_decode_error(text, want);
	}
	expect_decode_error("", "missing v");
}

static void bad_numbers_and_names_are_rejected(void **state)
{
	static const struct {
		const char *key, *value, *want;
	} cases[] = {
	        {"id", "-1", "bad id"},
	        {"id", "1x", "bad id"},
	        {"id", "", "bad id"},
	        {"id", "+1", "bad id"},
	        {"id", " 1", "bad id"},
	        {"id", "18446744073709551616", "bad id"},
	        {"at", "9223372036854775808", "bad at"},
	        {"at", "-9223372036854775809", "bad at"},
	        {"at", "1.5", "bad at"},
	        {"at", "-", "bad at"},
	        {"since", "nan", "bad since"},
	        {"time_left", "-2", "bad time_left"},
	        {"time_left", "nan", "bad time_left"},
	        {"time_left", "0x10", "bad time_left"},
	        {"state", "critical", "bad state"},
	        {"previous", "", "bad previous"},
	        {"kind", "problems", "bad kind"},
	        {"kind", "", "bad kind"},
	        {"v", "2", "version"},
	        {"v", "1 ", "version"},
	};
	char text[512], err[256];
	struct notice n;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		payload(text, sizeof text, cases[i].key, cases[i].value);
		expect_decode_error(text, cases[i].want);
	}
	/* The extremes are valid. */
	payload(text, sizeof text, "since", "-9223372036854775808");
	strcat(text, "time_left 9223372036854775807\nid2 ignored\n");
	assert_int_equal(notice_decode(text, strlen(text), &n, err, sizeof err), 0);
	assert_true(n.since == INT64_MIN && n.time_left == INT64_MAX);
	payload(text, sizeof text, "id", "18446744073709551615");
	assert_int_equal(notice_decode(text, strlen(text), &n, err, sizeof err), 0);
	assert_true(n.id == UINT64_MAX);
}

static void damaged_text_values_are_rejected(void **state)
{
	char text[2048], host[300], err[256];
	struct notice n;

	(void)state;
	expect_decode_error("host a\\b\n" MINIMAL, "bad host");
	expect_decode_error("host trailing\\\n" MINIMAL, "bad host");
	expect_decode_error("output cr\r\n" MINIMAL, "bad output");
	expect_decode_error("service \xff\n" MINIMAL, "bad service");
	expect_decode_error("slope "
	                    "\xe6\x97"
	                    "\n" MINIMAL,
	                    "bad slope");
	memset(host, 'h', 256);
	host[256] = '\0';
	snprintf(text, sizeof text, "host %s\n%s", host, MINIMAL);
	expect_decode_error(text, "longer than 255");
	memset(host, '\\', 256); /* 128 escaped backslashes fit */
	snprintf(text, sizeof text, "%s\nservice %s\nhost x\n", "v 1\nkind test\nid 1\nat 0", host);
	assert_int_equal(notice_decode(text, strlen(text), &n, err, sizeof err), 0);
	assert_int_equal(strlen(n.service), 128);
}

static void malformed_lines_are_rejected(void **state)
{
	struct notice n;
	char err[256] = "";
	const char nul[] = MINIMAL "output a\0b\n";

	(void)state;
	expect_decode_error(MINIMAL "\n", "line 7");
	expect_decode_error("\n" MINIMAL, "line 1");
	expect_decode_error(MINIMAL " leading space\n", "no key");
	expect_decode_error(MINIMAL "keyonly\n", "no key");
	expect_decode_error(MINIMAL "host again\n", "duplicate key host");
	assert_int_equal(notice_decode(nul, sizeof nul - 1, &n, err, sizeof err), -1);
	assert_non_null(strstr(err, "NUL byte"));
}

/* Random bytes, and random damage to a good payload, never crash. */
static void garbage_never_crashes(void **state)
{
	struct notice n, good;
	char buf[8192], payload_text[8192], err[256];
	int len;

	(void)state;
	srand(1);
	full_notice(&good);
	len = notice_encode(&good, payload_text, sizeof payload_text);
	for (int round = 0; round < 20000; round++) {
		size_t blen;

		if (round % 2) {
			blen = (size_t)rand() % 300;
			for (size_t i = 0; i < blen; i++)
				buf[i] = "v 1\nkind\\ idhost\xc3\xff"[rand() % 17];
		} else {
			blen = (size_t)rand() % ((size_t)len + 1);
			memcpy(buf, payload_text, (size_t)len);
			for (int i = rand() % 4; i > 0; i--)
				buf[rand() % len] = (char)rand();
		}
		err[0] = '\0';
		if (notice_decode(buf, blen, &n, err, sizeof err) != 0)
			assert_true(err[0] != '\0');
	}
}

static void history_round_trips_and_is_checked(void **state)
{
	static const char *const bad[] = {
	        "history 1 x 3\n",
	        "history 1  2\n",
	        "history nan\n",
	        "history inf\n",
	        "history 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
	};
	struct notice n, m;
	char buf[8192], err[256];
	char base[] = "v 1\nkind problem\nid 1\nat 1\nhost h\nservice s\n";

	(void)state;
	memset(&n, 0, sizeof n);
	n.kind = NOTICE_PROBLEM;
	n.id = 1;
	n.at = 1;
	strcpy(n.host, "h");
	strcpy(n.service, "s");
	n.time_left = -1;
	for (size_t i = 0; i < NOTICE_HISTORY; i++)
		n.history[i] = 1e10 + (double)i * 0.1;
	n.nhistory = NOTICE_HISTORY;
	assert_true(notice_encode(&n, buf, sizeof buf) < (int)sizeof buf);
	assert_int_equal(notice_decode(buf, strlen(buf), &m, err, sizeof err), 0);
	assert_int_equal(m.nhistory, NOTICE_HISTORY);
	for (size_t i = 0; i < NOTICE_HISTORY; i++)
		assert_true(m.history[i] == n.history[i]); /* %.17g is exact */
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(buf, sizeof buf, "%s%s", base, bad[i]);
		assert_int_equal(notice_decode(buf, strlen(buf), &m, err, sizeof err), -1);
		assert_non_null(strstr(err, "bad history"));
	}
	snprintf(buf, sizeof buf, "%shistory \n", base);
	assert_int_equal(notice_decode(buf, strlen(buf), &m, err, sizeof err), 0);
	assert_int_equal(m.nhistory, 0);
}

static void kind_names(void **state)
{
	static const char *const want[] = {"problem",   "recovery", "renotify",  "flap-start",
	                                   "flap-stop", "stale",    "stale-end", "test"};

	(void)state;
	for (unsigned k = NOTICE_PROBLEM; k <= NOTICE_TEST; k++)
		assert_string_equal(notice_kind_name((enum notice_kind)k), want[k]);
	for (unsigned k = NOTICE_PROBLEM; k <= NOTICE_STALE_END; k++)
		assert_string_equal(notice_kind_name((enum notice_kind)k),
		                    rules_event_name((enum rules_event_kind)k));
	assert_string_equal(notice_kind_name((enum notice_kind)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(ascii_and_multibyte_utf8_are_copied),
	        cmocka_unit_test(history_round_trips_and_is_checked),
	        cmocka_unit_test(invalid_utf8_bytes_become_question_marks),
	        cmocka_unit_test(control_characters_become_spaces),
	        cmocka_unit_test(truncation_never_splits_a_character),
	        cmocka_unit_test(disk_perfdata_with_unknown_trend),
	        cmocka_unit_test(disk_perfdata_with_a_trend_per_day),
	        cmocka_unit_test(memory_perfdata_slope_per_hour),
	        cmocka_unit_test(error_trend_perfdata_takes_the_ratio),
	        cmocka_unit_test(missing_or_broken_perfdata_is_unknown),
	        cmocka_unit_test(perfdata_items_are_read_leniently),
	        cmocka_unit_test(payload_is_key_value_text_in_a_fixed_order),
	        cmocka_unit_test(every_field_round_trips),
	        cmocka_unit_test(backslashes_round_trip_in_every_position),
	        cmocka_unit_test(unknown_values_round_trip),
	        cmocka_unit_test(full_fields_of_backslashes_fit_in_8k),
	        cmocka_unit_test(encode_cleans_text_the_struct_should_not_hold),
	        cmocka_unit_test(encode_truncates_like_snprintf),
	        cmocka_unit_test(decode_zeroes_first_and_ignores_unknown_keys),
	        cmocka_unit_test(missing_required_keys_are_named),
	        cmocka_unit_test(bad_numbers_and_names_are_rejected),
	        cmocka_unit_test(damaged_text_values_are_rejected),
	        cmocka_unit_test(malformed_lines_are_rejected),
	        cmocka_unit_test(garbage_never_crashes),
	        cmocka_unit_test(kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
