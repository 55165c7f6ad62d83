/*
 * test_smstext.c - what an SMS costs and says: GSM-7 versus UCS-2 by the
 * GSM 03.38 tables, segment counts at every boundary (characters never
 * straddle two segments), shortening that never splits a character, the
 * text of single notices and digests, and the gateway bodies with hostile
 * text encoded for JSON, forms and URL paths.
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

#include "smstext.h"

/* --- helpers --- */

/* COUNT copies of the UTF-8 character C, into a static buffer. */
static const char *rep(const char *c, size_t count)
{
	static char buf[8192];
	size_t k = strlen(c);

	assert_true(count * k < sizeof(buf));
	for (size_t i = 0; i < count; i++)
		memcpy(buf + i * k, c, k);
	buf[count * k] = '\0';
	return buf;
}

static void expect_count(const char *s, enum smstext_coding coding, size_t units, size_t segs)
{
	struct smstext_count c = smstext_count(s);

	assert_int_equal(c.coding, coding);
	assert_int_equal(c.units, units);
	assert_int_equal(c.segments, segs);
}

/* Whether S is well-formed UTF-8 (no sequence cut). */
static bool valid_utf8(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u != '\0') {
		size_t n = *u < 0x80 ? 1 : *u >= 0xf0 ? 4 : *u >= 0xe0 ? 3 : *u >= 0xc0 ? 2 : 0;

		if (n == 0)
			return false;
		for (size_t i = 1; i < n; i++)
			if ((u[i] & 0xc0) != 0x80)
				return false;
		u += n;
	}
	return true;
}

static bool ends_with(const char *s, const char *end)
{
	size_t a = strlen(s), b = strlen(end);

	return a >= b && strcmp(s + a - b, end) == 0;
}

static void set(char *dst, size_t len, const char *s)
{
	notice_set_text(dst, len, s, strlen(s));
}

static struct notice make(enum notice_kind kind, enum rules_state st, const char *host,
                          const char *service, const char *output, int64_t time_left)
{
	struct notice n;

	memset(&n, 0, sizeof(n));
	n.kind = kind;
	n.state = st;
	n.previous = RULES_OK;
	n.id = 42;
	n.at = 1700000000;
	n.since = 1700000000 - 5400;
	n.time_left = time_left;
	set(n.host, sizeof(n.host), host);
	set(n.service, sizeof(n.service), service);
	set(n.output, sizeof(n.output), output);
	return n;
}

static void expect_render(const struct notice *n, unsigned max_segments, const char *want)
{
	char out[SMSTEXT_MAX];
	const struct notice *one = n;

	assert_int_equal(smstext_render(&one, 1, max_segments, out, sizeof(out)), strlen(want));
	assert_string_equal(out, want);
}

static void expect_encode(enum smstext_enc enc, const char *s, const char *want)
{
	char out[512];

	assert_int_equal(smstext_encode(enc, s, out, sizeof(out)), strlen(want));
	assert_string_equal(out, want);
}

#define HOSTILE "say \"hi\" \\ back\r\nline\t& = % + 日本 😀"

/* --- GSM-7 or UCS-2 --- */

static void ascii_and_gsm_letters_are_gsm7(void **state)
{
	(void)state;
	expect_count("", SMSTEXT_GSM7, 0, 1);
	expect_count("Disk / 97% full: @$_!#&*()+-=<>?", SMSTEXT_GSM7, 32, 1);
	expect_count("é", SMSTEXT_GSM7, 1, 1);
	expect_count("Ç", SMSTEXT_GSM7, 1, 1); /* the basic set has the capital only */
	expect_count("£¥èéùìòØøÅåÆæßÉ¤¡ÄÖÑÜ§¿äöñüà", SMSTEXT_GSM7, 28, 1);
	expect_count("ΔΦΓΛΩΠΨΣΘΞ", SMSTEXT_GSM7, 10, 1);
	expect_count("Größe", SMSTEXT_GSM7, 5, 1);
	expect_count("line\r\nline", SMSTEXT_GSM7, 10, 1);
}

static void characters_outside_the_tables_force_ucs2(void **state)
{
	(void)state;
	expect_count("ç", SMSTEXT_UCS2, 1, 1); /* lowercase c cedilla is not in the basic set */
	expect_count("façade", SMSTEXT_UCS2, 6, 1);
	expect_count("`", SMSTEXT_UCS2, 1, 1); /* the backtick is in neither table */
	expect_count("á", SMSTEXT_UCS2, 1, 1);
	expect_count("naïve", SMSTEXT_UCS2, 5, 1);
	expect_count("日本", SMSTEXT_UCS2, 2, 1);
	expect_count("\t", SMSTEXT_UCS2, 1, 1);
	expect_count("…", SMSTEXT_UCS2, 1, 1);
	expect_count("bad \xff byte", SMSTEXT_UCS2, 10, 1);
}

static void extension_characters_count_two(void **state)
{
	(void)state;
	expect_count("€", SMSTEXT_GSM7, 2, 1);
	expect_count("a€b", SMSTEXT_GSM7, 4, 1);
	expect_count("^{}\\[~]|", SMSTEXT_GSM7, 16, 1);
	expect_count("\f", SMSTEXT_GSM7, 2, 1);
	/* in UCS-2 they are single units again */
	expect_count("€ç", SMSTEXT_UCS2, 2, 1);
}

static void characters_beyond_the_bmp_count_two_units(void **state)
{
	(void)state;
	expect_count("😀", SMSTEXT_UCS2, 2, 1);
	expect_count("disk 😀 full", SMSTEXT_UCS2, 12, 1);
	expect_count(rep("😀", 35), SMSTEXT_UCS2, 70, 1);
	expect_count(rep("😀", 36), SMSTEXT_UCS2, 72, 2);
}

/* --- segments --- */

static void gsm7_segment_boundaries(void **state)
{
	(void)state;
	expect_count(rep("a", 160), SMSTEXT_GSM7, 160, 1);
	expect_count(rep("a", 161), SMSTEXT_GSM7, 161, 2);
	expect_count(rep("a", 306), SMSTEXT_GSM7, 306, 2);
	expect_count(rep("a", 307), SMSTEXT_GSM7, 307, 3);
	expect_count(rep("a", 459), SMSTEXT_GSM7, 459, 3);
	expect_count(rep("a", 460), SMSTEXT_GSM7, 460, 4);
	expect_count(rep("€", 80), SMSTEXT_GSM7, 160, 1);
	expect_count(rep("€", 81), SMSTEXT_GSM7, 162, 2);
	expect_count(rep("é", 160), SMSTEXT_GSM7, 160, 1); /* two bytes, one septet */
}

static void ucs2_segment_boundaries(void **state)
{
	(void)state;
	expect_count(rep("ж", 70), SMSTEXT_UCS2, 70, 1);
	expect_count(rep("ж", 71), SMSTEXT_UCS2, 71, 2);
	expect_count(rep("ж", 134), SMSTEXT_UCS2, 134, 2);
	expect_count(rep("ж", 135), SMSTEXT_UCS2, 135, 3);
	expect_count(rep("ж", 201), SMSTEXT_UCS2, 201, 3);
	expect_count(rep("ж", 202), SMSTEXT_UCS2, 202, 4);
}

static void pairs_never_straddle_two_segments(void **state)
{
	char s[2048];

	(void)state;
	/* 152 + escape pair + 152 = 306 septets, but the pair starts segment 2 */
	snprintf(s, sizeof(s), "%s€", rep("a", 152));
	strcat(s, rep("a", 152));
	expect_count(s, SMSTEXT_GSM7, 306, 3);
	/* ... and with one septet less it fits in two */
	snprintf(s, sizeof(s), "%s€", rep("a", 152));
	strcat(s, rep("a", 151));
	expect_count(s, SMSTEXT_GSM7, 305, 2);
	/* the same for a surrogate pair at the end of a UCS-2 segment */
	snprintf(s, sizeof(s), "%s😀", rep("ж", 66));
	strcat(s, rep("ж", 66));
	expect_count(s, SMSTEXT_UCS2, 134, 3);
	snprintf(s, sizeof(s), "%s😀", rep("ж", 65));
	strcat(s, rep("ж", 67));
	expect_count(s, SMSTEXT_UCS2, 134, 2);
}

/* --- shortening --- */

static void text_that_fits_is_left_alone(void **state)
{
	char s[SMSTEXT_MAX];

	(void)state;
	snprintf(s, sizeof(s), "%s", rep("a", 160));
	assert_false(smstext_fit(s, sizeof(s), 1));
	assert_int_equal(strlen(s), 160);
	snprintf(s, sizeof(s), "%s", rep("a", 306));
	assert_false(smstext_fit(s, sizeof(s), 2));
	snprintf(s, sizeof(s), "%s", rep("ж", 70));
	assert_false(smstext_fit(s, sizeof(s), 0)); /* 0 means 1 */
}

static void gsm7_text_is_cut_with_three_dots(void **state)
{
	char s[SMSTEXT_MAX], want[SMSTEXT_MAX];

	(void)state;
	snprintf(s, sizeof(s), "%s", rep("a", 161));
	assert_true(smstext_fit(s, sizeof(s), 1));
	snprintf(want, sizeof(want), "%s...", rep("a", 157));
	assert_string_equal(s, want);
	expect_count(s, SMSTEXT_GSM7, 160, 1);

	snprintf(s, sizeof(s), "%s", rep("a", 400));
	assert_true(smstext_fit(s, sizeof(s), 2));
	snprintf(want, sizeof(want), "%s...", rep("a", 303));
	assert_string_equal(s, want);
	expect_count(s, SMSTEXT_GSM7, 306, 2);

	/* two-byte GSM letters: cut between characters, counted in septets */
	snprintf(s, sizeof(s), "%s", rep("é", 200));
	assert_true(smstext_fit(s, sizeof(s), 1));
	assert_true(valid_utf8(s));
	assert_int_equal(strlen(s), 157 * 2 + 3);
	expect_count(s, SMSTEXT_GSM7, 160, 1);
}

static void an_escape_pair_is_never_split(void **state)
{
	char s[SMSTEXT_MAX], want[SMSTEXT_MAX];

	(void)state;
	/* 156 + "..." = 159: the next euro (2 septets) would make 161 */
	snprintf(s, sizeof(s), "%s€€€€", rep("a", 156));
	assert_true(smstext_fit(s, sizeof(s), 1));
	snprintf(want, sizeof(want), "%s...", rep("a", 156));
	assert_string_equal(s, want);
	expect_count(s, SMSTEXT_GSM7, 159, 1);
	/* with one 'a' less, the euro fits whole */
	snprintf(s, sizeof(s), "%s€€€€", rep("a", 155));
	assert_true(smstext_fit(s, sizeof(s), 1));
	snprintf(want, sizeof(want), "%s€...", rep("a", 155));
	assert_string_equal(s, want);
	expect_count(s, SMSTEXT_GSM7, 160, 1);
}

static void ucs2_text_is_cut_with_an_ellipsis(void **state)
{
	char s[SMSTEXT_MAX], want[SMSTEXT_MAX];

	(void)state;
	snprintf(s, sizeof(s), "%s", rep("ж", 100));
	assert_true(smstext_fit(s, sizeof(s), 1));
	snprintf(want, sizeof(want), "%s…", rep("ж", 69));
	assert_string_equal(s, want);
	expect_count(s, SMSTEXT_UCS2, 70, 1);

	/* max_segments 2: a long UCS-2 text fits 134 units */
	snprintf(s, sizeof(s), "%s", rep("日", 300));
	assert_true(smstext_fit(s, sizeof(s), 2));
	snprintf(want, sizeof(want), "%s…", rep("日", 133));
	assert_string_equal(s, want);
	expect_count(s, SMSTEXT_UCS2, 134, 2);
}

static void a_surrogate_pair_is_never_split(void **state)
{
	char s[SMSTEXT_MAX], want[SMSTEXT_MAX];

	(void)state;
	/* 68 + ellipsis = 69 units; an emoji (2 units) would make 71 */
	snprintf(s, sizeof(s), "%s😀😀", rep("ж", 68));
	assert_true(smstext_fit(s, sizeof(s), 1));
	snprintf(want, sizeof(want), "%s…", rep("ж", 68));
	assert_string_equal(s, want);
	assert_true(valid_utf8(s));
	expect_count(s, SMSTEXT_UCS2, 69, 1);
	/* 67 + emoji + ellipsis = 70 */
	snprintf(s, sizeof(s), "%s😀😀", rep("ж", 67));
	assert_true(smstext_fit(s, sizeof(s), 1));
	snprintf(want, sizeof(want), "%s😀…", rep("ж", 67));
	assert_string_equal(s, want);
	expect_count(s, SMSTEXT_UCS2, 70, 1);
}

static void the_coding_that_keeps_more_wins(void **state)
{
	char s[SMSTEXT_MAX], want[SMSTEXT_MAX];

	(void)state;
	/* a GSM-7 prefix of 100 beats 69 characters in UCS-2 */
	snprintf(s, sizeof(s), "%s日%s", rep("a", 100), rep("b", 100));
	assert_true(smstext_fit(s, sizeof(s), 1));
	snprintf(want, sizeof(want), "%s...", rep("a", 100));
	assert_string_equal(s, want);
	/* the UCS-2 character early on: UCS-2 keeps more */
	snprintf(s, sizeof(s), "ab日%s", rep("c", 100));
	assert_true(smstext_fit(s, sizeof(s), 1));
	snprintf(want, sizeof(want), "ab日%s…", rep("c", 66));
	assert_string_equal(s, want);
}

static void trailing_spaces_go_before_the_ellipsis(void **state)
{
	char s[SMSTEXT_MAX], want[SMSTEXT_MAX];

	(void)state;
	snprintf(s, sizeof(s), "%s     %s", rep("a", 154), rep("b", 20));
	assert_true(smstext_fit(s, sizeof(s), 1));
	snprintf(want, sizeof(want), "%s...", rep("a", 154));
	assert_string_equal(s, want);
}

static void a_small_buffer_is_respected(void **state)
{
	char s[32] = "abcdefghijklmnopqrstuvwxyz012";
	char u[16];

	(void)state;
	assert_true(smstext_fit(s, 10, 1));
	assert_string_equal(s, "abcdef...");
	/* multi-byte text in a small buffer: whole characters only */
	snprintf(u, sizeof(u), "жжжжжжж"); /* 14 bytes */
	assert_true(smstext_fit(u, 10, 1));
	assert_string_equal(u, "жжж…");
}

/* --- the text of notices --- */

static void a_problem_says_what_and_when(void **state)
{
	struct notice n = make(NOTICE_PROBLEM, RULES_CRITICAL, "web01", "disk /",
	                       "DISK_TREND CRITICAL - / 97%", 2 * 86400 + 3 * 3600 + 125);

	(void)state;
	expect_render(&n, 1, "CRITICAL web01 disk /: full in 2d 3h (DISK_TREND CRITICAL - / 97%)");
	n.time_left = 0;
	n.previous = RULES_WARNING;
	expect_render(
	        &n, 1,
	        "CRITICAL web01 disk / (was WARNING): full now (DISK_TREND CRITICAL - / 97%)");
	n.time_left = 90;
	n.output[0] = '\0';
	expect_render(&n, 1, "CRITICAL web01 disk / (was WARNING): full in 1m 30s");
	n = make(NOTICE_PROBLEM, RULES_WARNING, "db1", "mem", "MEM_TREND WARNING - 91% used", -1);
	expect_render(&n, 1, "WARNING db1 mem: MEM_TREND WARNING - 91% used");
	n.kind = NOTICE_RENOTIFY;
	n.time_left = 7200;
	expect_render(&n, 1, "STILL WARNING db1 mem: full in 2h (MEM_TREND WARNING - 91% used)");
}

static void other_kinds_are_one_short_line(void **state)
{
	struct notice n = make(NOTICE_RECOVERY, RULES_OK, "web01", "disk /", "DISK_TREND OK", -1);

	(void)state;
	expect_render(&n, 1, "RECOVERED web01 disk /");
	n.kind = NOTICE_FLAP_START;
	expect_render(&n, 1, "FLAPPING web01 disk /");
	n.kind = NOTICE_FLAP_STOP;
	expect_render(&n, 1, "FLAPPING STOPPED web01 disk /");
	n.kind = NOTICE_STALE;
	expect_render(&n, 1, "STALE web01 disk /: no result for 1h 30m");
	n.kind = NOTICE_STALE_END;
	expect_render(&n, 1, "STALE ENDED web01 disk /");
	n.kind = NOTICE_TEST;
	expect_render(&n, 1, "TEST web01 disk /: trendtrap test notification");
}

static void a_long_output_is_cut_to_fit(void **state)
{
	struct notice n =
	        make(NOTICE_PROBLEM, RULES_CRITICAL, "web01", "disk /", rep("x", 500), -1);
	char out[SMSTEXT_MAX];
	const struct notice *one = &n;

	(void)state;
	smstext_render(&one, 1, 1, out, sizeof(out));
	assert_true(ends_with(out, "xxx..."));
	assert_int_equal(strlen(out), 160);
	expect_count(out, SMSTEXT_GSM7, 160, 1);
	smstext_render(&one, 1, 3, out, sizeof(out));
	expect_count(out, SMSTEXT_GSM7, 459, 3);
	/* unicode in a host name makes it UCS-2, cut to 70 units */
	set(n.host, sizeof(n.host), "web-日本");
	smstext_render(&one, 1, 1, out, sizeof(out));
	assert_true(ends_with(out, "x…"));
	expect_count(out, SMSTEXT_UCS2, 70, 1);
	/* a small output buffer: still whole characters */
	smstext_render(&one, 1, 1, out, 17);
	assert_true(valid_utf8(out));
	assert_true(strlen(out) < 17);
}

static void a_digest_lists_what_fits(void **state)
{
	struct notice v[20];
	const struct notice *p[20];
	char out[SMSTEXT_MAX], want[64];
	size_t shown = 0;
	unsigned long more = 0;

	(void)state;
	v[0] = make(NOTICE_PROBLEM, RULES_CRITICAL, "web01", "disk /", "DISK_TREND CRITICAL", 60);
	v[1] = make(NOTICE_RENOTIFY, RULES_WARNING, "db1", "mem", "MEM_TREND WARNING", -1);
	v[2] = make(NOTICE_RECOVERY, RULES_OK, "web02", "api", "ERROR_TREND OK", -1);
	for (size_t i = 0; i < 3; i++)
		p[i] = &v[i];
	smstext_render(p, 3, 1, out, sizeof(out));
	assert_string_equal(out, "3 alerts: CRIT web01 disk /; WARN db1 mem; OK web02 api");

	for (size_t i = 3; i < 20; i++) {
		char host[32];

		snprintf(host, sizeof(host), "host%02zu.example.net", i);
		v[i] = make(NOTICE_PROBLEM, RULES_UNKNOWN, host, "errors", "", -1);
		p[i] = &v[i];
	}
	smstext_render(p, 20, 1, out, sizeof(out));
	assert_true(strncmp(out, "20 alerts: CRIT web01 disk /; WARN db1 mem; OK web02 api; ",
	                    58) == 0);
	for (const char *s = out; (s = strstr(s, "UNKN ")) != NULL; s++)
		shown++;
	assert_non_null(strstr(out, "; and "));
	assert_int_equal(sscanf(strstr(out, "; and ") + 6, "%lu more", &more), 1);
	assert_int_equal(shown + 3 + more, 20);
	snprintf(want, sizeof(want), "; and %lu more", more);
	assert_true(ends_with(out, want));
	expect_count(out, SMSTEXT_GSM7, strlen(out), 1);
	assert_true(strlen(out) > 160 - 30); /* no room left for one more item */

	/* more segments, more items */
	smstext_render(p, 20, 5, out, sizeof(out));
	assert_null(strstr(out, "more"));
	assert_non_null(strstr(out, "UNKN host19.example.net errors"));
}

static void a_digest_whose_first_item_is_too_long_is_cut(void **state)
{
	struct notice v[2];
	const struct notice *p[2] = {&v[0], &v[1]};
	char out[SMSTEXT_MAX];

	(void)state;
	v[0] = make(NOTICE_PROBLEM, RULES_CRITICAL, rep("h", 200), "disk /", "", -1);
	v[1] = make(NOTICE_PROBLEM, RULES_CRITICAL, "web02", "disk /", "", -1);
	smstext_render(p, 2, 1, out, sizeof(out));
	assert_true(strncmp(out, "2 alerts: CRIT hhh", 18) == 0);
	assert_true(ends_with(out, "h..."));
	expect_count(out, SMSTEXT_GSM7, 160, 1);
}

/* --- encodings --- */

static void json_escapes_quotes_backslashes_and_controls(void **state)
{
	char small[8];

	(void)state;
	expect_encode(SMSTEXT_JSON, HOSTILE,
	              "say \\\"hi\\\" \\\\ back\\u000d\\u000aline\\u0009& = % + 日本 😀");
	expect_encode(SMSTEXT_JSON, "</script>'{x}'", "</script>'{x}'");
	expect_encode(SMSTEXT_JSON, "bad \xff\xc3 end\x7f", "bad \\ufffd\\ufffd end\\u007f");
	expect_encode(SMSTEXT_JSON, "", "");
	/* snprintf semantics */
	assert_int_equal(smstext_encode(SMSTEXT_JSON, "\"\"\"\"\"", small, sizeof(small)), 10);
	assert_string_equal(small, "\\\"\\\"\\\"\\");
	assert_int_equal(smstext_encode(SMSTEXT_JSON, "abc", NULL, 0), 3);
}

static void forms_and_paths_are_percent_encoded(void **state)
{
	(void)state;
	expect_encode(SMSTEXT_FORM, "a b&c=d%e+f/é?#~*-._",
	              "a+b%26c%3Dd%25e%2Bf%2F%C3%A9%3F%23%7E*-._");
	expect_encode(SMSTEXT_FORM, "\r\n\"\\", "%0D%0A%22%5C");
	expect_encode(SMSTEXT_FORM, "😀", "%F0%9F%98%80");
	expect_encode(SMSTEXT_PATH, "AC12 3/../x~*", "AC12%203%2F..%2Fx~%2A");
}

static void raw_values_refuse_control_characters(void **state)
{
	char out[64];

	(void)state;
	expect_encode(SMSTEXT_RAW, "Bearer s3cr3t+/=", "Bearer s3cr3t+/=");
	assert_int_equal(smstext_encode(SMSTEXT_RAW, "abc\r\nX-Evil: 1", out, sizeof(out)), -1);
	assert_int_equal(smstext_encode(SMSTEXT_RAW, "tab\there", out, sizeof(out)), -1);
}

/* --- templates --- */

static void the_default_json_template_carries_hostile_text(void **state)
{
	const struct smstext_var vars[] = {{"to", "+15551234567"}, {"text", HOSTILE}};
	char out[512], err[128] = "";
	const char *want = "{\"to\":\"+15551234567\",\"text\":\"say \\\"hi\\\" \\\\ "
	                   "back\\u000d\\u000aline\\u0009& = % + 日本 😀\"}";

	(void)state;
	assert_int_equal(smstext_expand("{\"to\":\"{to}\",\"text\":\"{text}\"}", SMSTEXT_JSON, vars,
	                                2, out, sizeof(out), err, sizeof(err)),
	                 strlen(want));
	assert_string_equal(out, want);
	assert_string_equal(err, "");
}

static void form_templates_encode_each_value(void **state)
{
	const struct smstext_var vars[] = {{"to", "+1 555"}, {"text", "a&b=c%d+e"}};
	char out[256], err[128];

	(void)state;
	assert_true(smstext_expand("to={to}&msg={text}&x={to}", SMSTEXT_FORM, vars, 2, out,
	                           sizeof(out), err, sizeof(err)) > 0);
	assert_string_equal(out, "to=%2B1+555&msg=a%26b%3Dc%25d%2Be&x=%2B1+555");
}

static void unknown_placeholders_are_refused(void **state)
{
	const struct smstext_var vars[] = {{"text", "x"}};
	char out[256], err[128];

	(void)state;
	assert_int_equal(smstext_expand("{\"text\":\"{txt}\"}", SMSTEXT_JSON, vars, 1, out,
	                                sizeof(out), err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "unknown placeholder {txt}");
	assert_int_equal(
	        smstext_expand("{Text}", SMSTEXT_JSON, vars, 1, out, sizeof(out), err, sizeof(err)),
	        -1);
	assert_string_equal(err, "unknown placeholder {Text}");
	assert_int_equal(
	        smstext_expand("{_x9}", SMSTEXT_JSON, vars, 1, out, sizeof(out), err, sizeof(err)),
	        -1);
	assert_string_equal(err, "unknown placeholder {_x9}");
	/* a token in a body is not a body placeholder */
	assert_int_equal(smstext_expand("{token}", SMSTEXT_JSON, vars, 1, out, sizeof(out), err,
	                                sizeof(err)),
	                 -1);
}

static void other_braces_are_literal(void **state)
{
	const struct smstext_var vars[] = {{"text", "x\"y"}};
	char out[256], err[128];

	(void)state;
	assert_true(smstext_expand("{\"msg\":{\"body\":\"{text}\"},\"a\":{},\"b\":\"{ }{-}{1}{\"}{",
	                           SMSTEXT_JSON, vars, 1, out, sizeof(out), err, sizeof(err)) > 0);
	assert_string_equal(out, "{\"msg\":{\"body\":\"x\\\"y\"},\"a\":{},\"b\":\"{ }{-}{1}{\"}{");
}

static void header_values_take_the_token_raw(void **state)
{
	const struct smstext_var ok[] = {{"token", "abc/123+=="}};
	const struct smstext_var bad[] = {{"token", "abc\r\nX-Evil: 1"}};
	char out[256], err[128];

	(void)state;
	assert_true(smstext_expand("Authorization: Bearer {token}", SMSTEXT_RAW, ok, 1, out,
	                           sizeof(out), err, sizeof(err)) > 0);
	assert_string_equal(out, "Authorization: Bearer abc/123+==");
	assert_int_equal(smstext_expand("X-Key: {token}", SMSTEXT_RAW, bad, 1, out, sizeof(out),
	                                err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "the value of {token} holds a control character");
}

static void expansion_has_snprintf_semantics(void **state)
{
	const struct smstext_var vars[] = {{"text", "0123456789"}};
	char out[8], err[128];

	(void)state;
	assert_int_equal(smstext_expand("<{text}>", SMSTEXT_JSON, vars, 1, out, sizeof(out), err,
	                                sizeof(err)),
	                 12);
	assert_string_equal(out, "<012345");
	assert_int_equal(
	        smstext_expand("<{text}>", SMSTEXT_JSON, vars, 1, NULL, 0, err, sizeof(err)), 12);
}

static void twilio_gets_to_from_and_body(void **state)
{
	char out[256];
	const char *want = "To=%2B15551234567&From=%2B15557654321&Body=Disk+97%25+full+%26+rising+"
	                   "%E2%82%AC";

	(void)state;
	assert_int_equal(smstext_twilio_body("+15551234567", "+15557654321",
	                                     "Disk 97% full & rising €", out, sizeof(out)),
	                 strlen(want));
	assert_string_equal(out, want);
}

static void body_vars_name_every_placeholder(void **state)
{
	struct notice n = make(NOTICE_RECOVERY, RULES_OK, "web01", "disk /", "", -1);
	struct smstext_var vars[SMSTEXT_NVARS];
	char idbuf[24], out[512], err[128];

	(void)state;
	n.id = UINT64_MAX;
	smstext_body_vars(vars, "+15551234567", NULL, "RECOVERED web01 disk /", &n, idbuf);
	assert_true(smstext_expand("{to}|{from}|{text}|{host}|{service}|{state}|{kind}|{id}",
	                           SMSTEXT_JSON, vars, SMSTEXT_NVARS, out, sizeof(out), err,
	                           sizeof(err)) > 0);
	assert_string_equal(out, "+15551234567||RECOVERED web01 disk /|web01|disk /|OK|recovery|"
	                         "18446744073709551615");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(ascii_and_gsm_letters_are_gsm7),
	        cmocka_unit_test(characters_outside_the_tables_force_ucs2),
	        cmocka_unit_test(extension_characters_count_two),
	        cmocka_unit_test(characters_beyond_the_bmp_count_two_units),
	        cmocka_unit_test(gsm7_segment_boundaries),
	        cmocka_unit_test(ucs2_segment_boundaries),
	        cmocka_unit_test(pairs_never_straddle_two_segments),
	        cmocka_unit_test(text_that_fits_is_left_alone),
	        cmocka_unit_test(gsm7_text_is_cut_with_three_dots),
	        cmocka_unit_test(an_escape_pair_is_never_split),
	        cmocka_unit_test(ucs2_text_is_cut_with_an_ellipsis),
	        cmocka_unit_test(a_surrogate_pair_is_never_split),
	        cmocka_unit_test(the_coding_that_keeps_more_wins),
	        cmocka_unit_test(trailing_spaces_go_before_the_ellipsis),
	        cmocka_unit_test(a_small_buffer_is_respected),
	        cmocka_unit_test(a_problem_says_what_and_when),
	        cmocka_unit_test(other_kinds_are_one_short_line),
	        cmocka_unit_test(a_long_output_is_cut_to_fit),
	        cmocka_unit_test(a_digest_lists_what_fits),
	        cmocka_unit_test(a_digest_whose_first_item_is_too_long_is_cut),
	        cmocka_unit_test(json_escapes_quotes_backslashes_and_controls),
	        cmocka_unit_test(forms_and_paths_are_percent_encoded),
	        cmocka_unit_test(raw_values_refuse_control_characters),
	        cmocka_unit_test(the_default_json_template_carries_hostile_text),
	        cmocka_unit_test(form_templates_encode_each_value),
	        cmocka_unit_test(unknown_placeholders_are_refused),
	        cmocka_unit_test(other_braces_are_literal),
	        cmocka_unit_test(header_values_take_the_token_raw),
	        cmocka_unit_test(expansion_has_snprintf_semantics),
	        cmocka_unit_test(twilio_gets_to_from_and_body),
	        cmocka_unit_test(body_vars_name_every_placeholder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
