/*
 * test_mailmsg.c - notices as e-mail: the exact header block, CRLF and line
 * lengths everywhere, the subject of each kind (RFC 2047 when not ASCII,
 * decoded here), the threading ids, header injection through host, service
 * and output, the body (decoded from quoted-printable here), digests, the
 * addresses accepted and the chart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailmsg.h"

#define FROM "alerts@example.com"
#define TO   "ops@example.org"
#define NOW  1700000100 /* Tue, 14 Nov 2023 22:15:00 +0000 */

/* ---- helpers -------------------------------------------------------------- */

static void set(char *dst, size_t len, const char *src)
{
	notice_set_text(dst, len, src, strlen(src));
}

#define SET(field, text) set((field), sizeof(field), (text))

static void expect_prefix(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("'%.*s...' does not start with '%s'", (int)strlen(prefix), s, prefix);
}

/* A CRITICAL disk problem, event 42, at 1700000000, 2h 5m old. */
static void problem(struct notice *n)
{
	memset(n, 0, sizeof(*n));
	n->kind = NOTICE_PROBLEM;
	n->id = 42;
	n->state = RULES_CRITICAL;
	n->previous = RULES_OK;
	n->at = 1700000000;
	n->since = 1700000000 - 7500;
	n->time_left = 2 * 86400 + 3 * 3600 + 120;
	SET(n->host, "web01");
	SET(n->service, "disk /");
	SET(n->output, "DISK_TREND CRITICAL - / 81% used, full in 2d 3h");
	SET(n->perfdata, "'/'=17105133568B;;;0;21474836480 growth_per_day=1.5e9B");
	SET(n->value, "17105133568B");
	SET(n->slope, "1.5e+09B/d");
}

/* Build the message of N[0..COUNT); the caller frees it. */
static char *build_many(const struct notice *const *n, size_t count)
{
	char *msg = NULL, err[256] = "";
	size_t len = 0;

	if (mailmsg_build(n, count, FROM, TO, NOW, &msg, &len, err, sizeof(err)) != 0)
		fail_msg("mailmsg_build: %s", err);
	assert_int_equal(strlen(msg), len);
	return msg;
}

static char *build(const struct notice *n)
{
	return build_many(&n, 1);
}

/* The header block of MSG (up to and with the CRLF of its last line), in a
 * new string. */
static char *header_block(const char *msg)
{
	const char *end = strstr(msg, "\r\n\r\n");

	assert_non_null(end);
	return strndup(msg, (size_t)(end - msg) + 2);
}

/* The value of header NAME in MSG, unfolded (continuation lines joined
 * without their CRLF), in a new string; NULL when absent. */
static char *header(const char *msg, const char *name)
{
	char *h = header_block(msg), *v = NULL, *p = h;
	size_t n = strlen(name);

	while (*p != '\0') {
		char *eol = strstr(p, "\r\n");

		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			size_t o = 0;

			v = calloc(1, strlen(p) + 1);
			p += n + 1;
			p += *p == ' ';
			for (;;) {
				eol = strstr(p, "\r\n");
				memcpy(v + o, p, (size_t)(eol - p));
				o += (size_t)(eol - p);
				p = eol + 2;
				if (*p != ' ' && *p != '\t')
					break;
			}
			break;
		}
		p = eol + 2;
	}
	free(h);
	return v;
}

static void expect_header(const char *msg, const char *name, const char *want)
{
	char *v = header(msg, name);

	if (v == NULL)
		fail_msg("no %s header in\n%s", name, msg);
	if (strcmp(v, want) != 0)
		fail_msg("%s: got '%s', want '%s'", name, v, want);
	free(v);
}

static int b64_value(char c)
{
	const char *abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(abc, c);

	return c != '\0' && p != NULL ? (int)(p - abc) : -1;
}

/* Decode the base64 S[0..N) into OUT; returns its length. */
static size_t b64_decode(const char *s, size_t n, unsigned char *out)
{
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int v = b64_value(s[i]);

		assert_true(v >= 0);
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

/* Whether S[0..N) is valid UTF-8 (whole characters only). */
static bool utf8_whole(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = s[i] < 0x80    ? 1
		           : s[i] >= 0xf0 ? 4
		           : s[i] >= 0xe0 ? 3
		           : s[i] >= 0xc2 ? 2
		                          : 0;

		if (k == 0 || i + k > n)
			return false;
		for (size_t j = 1; j < k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
		i += k;
	}
	return true;
}

/* The Subject of MSG decoded (RFC 2047 B words of UTF-8, or plain), in a
 * new string; each encoded word is checked: at most 75 characters, whole
 * characters inside. */
static char *subject(const char *msg)
{
	char *raw = header(msg, "Subject"), *out = calloc(1, 1024), *p = raw;
	size_t o = 0;

	assert_non_null(raw);
	if (strncmp(raw, "=?", 2) != 0) {
		free(out);
		return raw;
	}
	while (*p != '\0') {
		char *end;
		size_t k;

		p += strspn(p, " ");
		assert_true(strncmp(p, "=?UTF-8?B?", 10) == 0);
		end = strstr(p + 10, "?=");
		assert_non_null(end);
		assert_true(end + 2 - p <= 75);
		k = b64_decode(p + 10, (size_t)(end - (p + 10)), (unsigned char *)out + o);
		assert_true(utf8_whole((unsigned char *)out + o, k));
		o += k;
		p = end + 2;
	}
	free(raw);
	return out;
}

/* The body of MSG decoded from quoted-printable, "\n" line ends. */
static char *body(const char *msg)
{
	const char *p = strstr(msg, "\r\n\r\n");
	char *out = calloc(1, strlen(msg) + 1);
	size_t o = 0;

	assert_non_null(p);
	for (p += 4; *p != '\0'; p++) {
		if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
			p += 2;
		} else if (p[0] == '=') {
			unsigned v;

			assert_int_equal(sscanf(p + 1, "%2x", &v), 1);
			out[o++] = (char)v;
			p += 2;
		} else if (p[0] == '\r' && p[1] == '\n') {
			out[o++] = '\n';
			p++;
		} else {
			out[o++] = *p;
		}
	}
	return out;
}

/* Every line of MSG ends in CRLF (no bare CR or LF) and is at most MAX
 * octets long (headers: 998; the quoted-printable body: 76). */
static void expect_lines(const char *msg)
{
	const char *p = msg, *body_start = strstr(msg, "\r\n\r\n") + 4;

	assert_true(strlen(msg) >= 2 && strcmp(msg + strlen(msg) - 2, "\r\n") == 0);
	while (*p != '\0') {
		const char *lf = strchr(p, '\n'), *cr = strchr(p, '\r');
		size_t max = p >= body_start ? 76 : 998;

		assert_non_null(lf);
		if (cr == NULL || cr + 1 != lf)
			fail_msg("a line without CRLF at offset %zu", (size_t)(p - msg));
		if ((size_t)(cr - p) > max)
			fail_msg("a line of %zu octets at offset %zu", (size_t)(cr - p),
			         (size_t)(p - msg));
		for (const char *c = p; p >= body_start && c < cr; c++)
			assert_true(*c >= 0x20 && *c < 0x7f); /* 7-bit clean */
		p = lf + 1;
	}
}

/* The header names of MSG, in order, joined by commas. */
static void header_names(const char *msg, char *out, size_t len)
{
	char *h = header_block(msg), *p = h;

	out[0] = '\0';
	while (*p != '\0') {
		char *eol = strstr(p, "\r\n");

		if (*p != ' ' && *p != '\t') {
			char *colon = memchr(p, ':', (size_t)(eol - p));

			assert_non_null(colon);
			snprintf(out + strlen(out), len - strlen(out), "%s%.*s", out[0] ? "," : "",
			         (int)(colon - p), p);
		}
		p = eol + 2;
	}
	free(h);
}

/* ---- headers ------------------------------------------------------------- */

static void headers_of_a_new_problem_are_exact(void **state)
{
	struct notice n;
	char *msg, *h;

	(void)state;
	problem(&n);
	msg = build(&n);
	h = header_block(msg);
	assert_string_equal(h, "Date: Tue, 14 Nov 2023 22:15:00 +0000\r\n"
	                       "From: trendtrap <alerts@example.com>\r\n"
	                       "To: ops@example.org\r\n"
	                       "Subject: [CRITICAL] web01 disk / full in 2d 3h\r\n"
	                       "Message-ID: <trendtrap.42.problem@example.com>\r\n"
	                       "MIME-Version: 1.0\r\n"
	                       "Content-Type: text/plain; charset=UTF-8\r\n"
	                       "Content-Transfer-Encoding: quoted-printable\r\n"
	                       "Auto-Submitted: auto-generated\r\n");
	expect_lines(msg);
	free(h);
	free(msg);
}

static void date_is_rfc5322_in_utc(void **state)
{
	static const struct {
		int64_t now;
		const char *want;
	} cases[] = {
	        {0, "Thu, 01 Jan 1970 00:00:00 +0000"},
	        {951782400, "Tue, 29 Feb 2000 00:00:00 +0000"},
	        {1700000100, "Tue, 14 Nov 2023 22:15:00 +0000"},
	        {4102444799, "Thu, 31 Dec 2099 23:59:59 +0000"},
	};
	struct notice n;
	const struct notice *one = &n;

	(void)state;
	problem(&n);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *msg, err[128];
		size_t len;

		assert_int_equal(mailmsg_build(&one, 1, FROM, TO, cases[i].now, &msg, &len, err,
		                               sizeof(err)),
		                 0);
		expect_header(msg, "Date", cases[i].want);
		free(msg);
	}
}

/* The decoded subject of N. */
static void expect_subject(const struct notice *n, const char *want)
{
	char *msg = build(n), *s = subject(msg);

	if (strcmp(s, want) != 0)
		fail_msg("subject '%s', want '%s'", s, want);
	expect_lines(msg);
	free(s);
	free(msg);
}

static void subject_of_each_kind(void **state)
{
	struct notice n;

	(void)state;
	problem(&n);
	expect_subject(&n, "[CRITICAL] web01 disk / full in 2d 3h");
	n.time_left = 7200;
	expect_subject(&n, "[CRITICAL] web01 disk / full in 2h");
	n.time_left = 0;
	expect_subject(&n, "[CRITICAL] web01 disk / full now");
	n.time_left = -1; /* unknown: the output's first words, without "NAME STATE - " */
	expect_subject(&n, "[CRITICAL] web01 disk / / 81% used, full in 2d 3h");
	SET(n.output, "MEM_TREND WARNING: swap growing");
	n.state = RULES_WARNING;
	expect_subject(&n, "[WARNING] web01 disk / swap growing");
	SET(n.output, "something odd happened");
	n.kind = NOTICE_RENOTIFY;
	expect_subject(&n, "[WARNING] web01 disk / something odd happened");
	n.kind = NOTICE_RECOVERY;
	n.state = RULES_OK;
	expect_subject(&n, "[RECOVERY] web01 disk /");
	n.kind = NOTICE_FLAP_START;
	expect_subject(&n, "[FLAPPING] web01 disk /");
	n.kind = NOTICE_FLAP_STOP;
	expect_subject(&n, "[FLAPPING END] web01 disk /");
	n.kind = NOTICE_STALE;
	n.since = n.at - 900;
	expect_subject(&n, "[STALE] web01 disk / no result for 15m");
	n.kind = NOTICE_STALE_END;
	expect_subject(&n, "[STALE END] web01 disk /");
	n.kind = NOTICE_TEST;
	expect_subject(&n, "[TEST] web01 disk /");
}

static void long_subjects_are_cut_for_a_phone(void **state)
{
	struct notice n;
	char *msg, *s;

	(void)state;
	problem(&n);
	n.time_left = -1;
	SET(n.output, "DISK_TREND CRITICAL - the volume holding the database is growing "
	              "much faster than anyone expected when it was sized last year");
	msg = build(&n);
	s = subject(msg);
	assert_true(strlen(s) <= MAILMSG_SUBJECT_CHARS);
	expect_prefix(s, "[CRITICAL] web01 disk / the volume holding");
	assert_string_equal(s + strlen(s) - 3, "...");
	assert_true(s[strlen(s) - 4] != ' ');
	free(s);
	free(msg);
}

static void utf8_subject_is_rfc2047_encoded(void **state)
{
	struct notice n;
	char *msg, *raw, *s, *h;

	(void)state;
	problem(&n);
	SET(n.host, "größe-01.example");
	SET(n.service, "Festplatte / 日本語のディスク");
	n.time_left = 3600;
	msg = build(&n);
	raw = header(msg, "Subject");
	assert_true(strncmp(raw, "=?UTF-8?B?", 10) == 0);
	s = subject(msg); /* checks each word's length and whole characters */
	assert_string_equal(s,
	                    "[CRITICAL] größe-01.example Festplatte / 日本語のディスク full in 1h");
	/* folded: the first line and each continuation at most 76 characters */
	h = header_block(msg);
	for (char *p = strstr(h, "Subject:"); p != NULL;) {
		char *eol = strstr(p, "\r\n");

		assert_true(eol - p <= 76);
		p = eol[2] == ' ' ? eol + 2 : NULL;
	}
	expect_lines(msg);
	free(h);
	free(s);
	free(raw);
	free(msg);
}

static void encoded_word_lookalikes_are_encoded(void **state)
{
	struct notice n;
	char *msg, *raw, *s;

	(void)state;
	problem(&n);
	SET(n.host, "=?UTF-8?B?QmNjOiB4?=");
	msg = build(&n);
	raw = header(msg, "Subject");
	s = subject(msg);
	assert_true(strncmp(raw, "=?UTF-8?B?", 10) == 0);
	assert_string_equal(s, "[CRITICAL] =?UTF-8?B?QmNjOiB4?= disk / full in 2d 3h");
	free(s);
	free(raw);
	free(msg);
}

/* ---- threading ------------------------------------------------------------ */

static void expect_thread(const struct notice *n, const char *id, const char *reply_to)
{
	char *msg = build(n), *irt = header(msg, "In-Reply-To"), *refs = header(msg, "References");

	expect_header(msg, "Message-ID", id);
	if (reply_to == NULL) {
		assert_null(irt);
		assert_null(refs);
	} else {
		assert_non_null(irt);
		assert_string_equal(irt, reply_to);
		assert_non_null(refs);
		assert_string_equal(refs, reply_to);
	}
	free(irt);
	free(refs);
	free(msg);
}

static void threading_ids(void **state)
{
	const char *root = "<trendtrap.42.problem@example.com>";
	struct notice n;

	(void)state;
	problem(&n);
	expect_thread(&n, root, NULL);
	n.previous = RULES_WARNING; /* WARNING -> CRITICAL: the same problem */
	n.at += 60;
	expect_thread(&n, "<trendtrap.42.problem.1700000060@example.com>", root);
	n.kind = NOTICE_RENOTIFY;
	n.at += 14400;
	expect_thread(&n, "<trendtrap.42.renotify.1700014460@example.com>", root);
	n.kind = NOTICE_RECOVERY;
	n.state = RULES_OK;
	n.previous = RULES_CRITICAL;
	expect_thread(&n, "<trendtrap.42.recovery.1700014460@example.com>", root);
	n.kind = NOTICE_FLAP_START;
	n.id = 43;
	expect_thread(&n, "<trendtrap.43.flap-start.1700014460@example.com>", NULL);
	n.kind = NOTICE_STALE;
	expect_thread(&n, "<trendtrap.43.stale.1700014460@example.com>", NULL);
	n.kind = NOTICE_TEST;
	expect_thread(&n, "<trendtrap.43.test.1700014460@example.com>", NULL);
}

static void message_ids_do_not_depend_on_the_sending_time(void **state)
{
	struct notice n;
	const struct notice *one = &n;
	char *a, *b, err[128], *ida, *idb;
	size_t len;

	(void)state;
	problem(&n);
	n.kind = NOTICE_RENOTIFY;
	assert_int_equal(mailmsg_build(&one, 1, FROM, TO, NOW, &a, &len, err, sizeof(err)), 0);
	assert_int_equal(mailmsg_build(&one, 1, FROM, TO, NOW + 3600, &b, &len, err, sizeof(err)),
	                 0);
	ida = header(a, "Message-ID");
	idb = header(b, "Message-ID");
	assert_string_equal(ida, idb);
	free(ida);
	free(idb);
	free(a);
	free(b);
}

/* ---- header injection ------------------------------------------------------ */

static void header_injection_adds_no_header(void **state)
{
	static const char *const attempts[] = {
	        "x\r\nBcc: victim@example.net",
	        "x\nBcc: victim@example.net",
	        "x\rBcc: victim@example.net",
	        "x\r\n\r\nbody injected",
	        "x\r\n Bcc: folded",
	        "x\x0b\x0c\x1b\x7f\xc2\x85 U+0085 NEL \xe2\x80\xa8 LS",
	        "\r\nBcc: x\r\n",
	};
	const char *want = "Date,From,To,Subject,Message-ID,MIME-Version,Content-Type,"
	                   "Content-Transfer-Encoding,Auto-Submitted";

	(void)state;
	for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
		for (int field = 0; field < 3; field++) {
			struct notice n;
			char names[512], *msg, *h;

			problem(&n);
			n.time_left = -1; /* the subject shows the output */
			/* straight into the struct: not through notice_set_text() */
			snprintf(field == 0   ? n.host
			         : field == 1 ? n.service
			                      : n.output,
			         NOTICE_HOST_MAX, "%s", attempts[i]);
			msg = build(&n);
			header_names(msg, names, sizeof(names));
			if (strcmp(names, want) != 0)
				fail_msg("attempt %zu in field %d: headers %s", i, field, names);
			h = header_block(msg);
			assert_null(strstr(h, "\r\n ")); /* nothing folded in */
			assert_null(strstr(h, "\nBcc")); /* no header line */
			assert_int_equal(strcspn(h, "\x0b\x0c\x1b\x7f"), strlen(h));
			assert_null(strstr(h, "\xc2\x85"));
			assert_null(strstr(h, "\xe2\x80\xa8"));
			expect_lines(msg);
			free(h);
			free(msg);
		}
	}
}

/* ---- body --------------------------------------------------------------------- */

static void body_says_what_where_since_when_and_how_to_silence(void **state)
{
	struct notice n;
	char *msg, *b;

	(void)state;
	problem(&n);
	for (size_t i = 0; i < 8; i++)
		n.history[i] = 100 + 10 * (double)i;
	n.nhistory = 8;
	msg = build(&n);
	b = body(msg);
	expect_prefix(b, "Problem: web01 disk / is CRITICAL.\n\n");
	assert_non_null(strstr(b, "\nHost:      web01\n"));
	assert_non_null(strstr(b, "\nService:   disk /\n"));
	assert_non_null(strstr(b, "\nState:     CRITICAL (was OK)\n"));
	assert_non_null(strstr(b, "\nEvent:     problem, event 42, at 2023-11-14T22:13:20Z\n"));
	assert_non_null(strstr(b, "\nSince:     2023-11-14T20:08:20Z (for 2h 5m)\n"));
	assert_non_null(strstr(b, "\nValue:     17105133568B\n"));
	assert_non_null(strstr(b, "\nTrend:     1.5e+09B/d, exhausted in 2d 3h, around "
	                          "2023-11-17T01:15:20Z\n"));
	assert_non_null(strstr(b, "\nHistory:   ▁▂▃▄▅▆▇█\n"));
	assert_non_null(strstr(b, "8 values, oldest first: min 100B, max 170B\n"));
	assert_non_null(
	        strstr(b, "\nOutput:\n  DISK_TREND CRITICAL - / 81% used, full in 2d 3h\n"));
	assert_non_null(strstr(b, "\nPerfdata:\n  '/'=17105133568B;;;0;21474836480 "
	                          "growth_per_day=1.5e9B\n"));
	assert_non_null(strstr(b, "\nTo silence it for 2 hours:\n"
	                          "  trendtrap silence add 'web01/disk /' 2h \"reason\"\n"));
	expect_lines(msg);
	free(b);
	free(msg);
}

static void body_without_history_or_trend_says_nothing_of_them(void **state)
{
	struct notice n;
	char *msg, *b;

	(void)state;
	problem(&n);
	n.time_left = -1;
	n.value[0] = n.slope[0] = n.perfdata[0] = '\0';
	msg = build(&n);
	b = body(msg);
	assert_null(strstr(b, "History:"));
	assert_null(strstr(b, "Trend:"));
	assert_null(strstr(b, "Value:"));
	assert_null(strstr(b, "Perfdata:"));
	free(b);
	free(msg);
}

static void recovery_body_says_how_long_it_lasted(void **state)
{
	struct notice n;
	char *msg, *b;

	(void)state;
	problem(&n);
	n.kind = NOTICE_RECOVERY;
	n.state = RULES_OK;
	n.previous = RULES_CRITICAL;
	n.time_left = -1;
	msg = build(&n);
	b = body(msg);
	expect_prefix(b, "Recovered: web01 disk / is OK again (was CRITICAL).\n\n");
	assert_non_null(strstr(b, "\nBegan:     2023-11-14T20:08:20Z (lasted 2h 5m)\n"));
	free(b);
	free(msg);
}

static void silence_command_is_quoted_for_the_shell(void **state)
{
	struct notice n;
	char *msg, *b;

	(void)state;
	problem(&n);
	SET(n.host, "it's*web");
	SET(n.service, "disk [x] $HOME `id` \\ ?");
	msg = build(&n);
	b = body(msg);
	assert_non_null(strstr(b, "  trendtrap silence add 'it'\\''s\\*web/disk \\[x] $HOME `id` "
	                          "\\\\ \\?' 2h \"reason\"\n"));
	free(b);
	free(msg);
}

static void long_output_lines_are_wrapped(void **state)
{
	struct notice n;
	char *msg, *b, *p, words[NOTICE_OUTPUT_MAX] = "";
	size_t lines = 0;

	(void)state;
	problem(&n);
	while (strlen(words) + strlen("ünïcödé-wörd ") < sizeof(words))
		strcat(words, "ünïcödé-wörd ");
	SET(n.output, words);
	memset(n.perfdata, 'p', sizeof(n.perfdata) - 1); /* one word of 1023 bytes */
	n.perfdata[sizeof(n.perfdata) - 1] = '\0';
	msg = build(&n);
	expect_lines(msg); /* quoted-printable: at most 76 octets */
	b = body(msg);
	/* decoded, every line but the silence command fits 76 characters */
	for (p = b; *p != '\0'; lines++) {
		char *eol = strchr(p, '\n');
		size_t chars = 0;

		for (char *c = p; c < eol; c++)
			chars += ((unsigned char)*c & 0xc0) != 0x80;
		if (strncmp(p, "  trendtrap silence", 19) != 0 && chars > 76)
			fail_msg("a decoded line of %zu characters: %.*s", chars, (int)(eol - p),
			         p);
		p = eol + 1;
	}
	assert_true(lines > 20);
	/* nothing lost: joined again, the lines hold the whole perfdata word */
	for (p = strstr(b, "\n  "); p != NULL; p = strstr(p, "\n  "))
		memmove(p, p + 3, strlen(p + 3) + 1);
	assert_non_null(strstr(b, n.perfdata));
	free(b);
	free(msg);
}

/* ---- digests -------------------------------------------------------------------- */

static void digest_counts_and_lists_every_notice(void **state)
{
	static const struct {
		enum notice_kind kind;
		enum rules_state state;
	} mix[] = {
	        {NOTICE_PROBLEM, RULES_CRITICAL}, {NOTICE_RECOVERY, RULES_OK},
	        {NOTICE_PROBLEM, RULES_WARNING},  {NOTICE_RENOTIFY, RULES_CRITICAL},
	        {NOTICE_PROBLEM, RULES_CRITICAL}, {NOTICE_STALE, RULES_OK},
	};
	struct notice n[15];
	const struct notice *p[15];
	char *msg, *b;

	(void)state;
	for (size_t i = 0; i < 15; i++) {
		char host[32];

		problem(&n[i]);
		n[i].id = 100 + i;
		n[i].kind = mix[i % 6].kind;
		n[i].state = mix[i % 6].state;
		n[i].at = 1700000000 + 60 * (int64_t)i;
		snprintf(host, sizeof(host), "host%02zu", i);
		SET(n[i].host, host);
		memset(n[i].output, 'o', 300);
		n[i].output[300] = '\0';
		p[i] = &n[i];
	}
	msg = build_many(p, 15);
	expect_header(msg, "Subject",
	              "[trendtrap] 15 notifications: 7 CRITICAL, 3 WARNING, 3 RECOVERY, 2 STALE");
	expect_header(msg, "Message-ID", "<trendtrap.digest.1700000840.100@example.com>");
	expect_lines(msg);
	b = body(msg);
	expect_prefix(b,
	              "15 notifications, from 2023-11-14T22:13:20Z to 2023-11-14T22:27:20Z:\n\n");
	for (size_t i = 0; i < 15; i++) {
		char want[64];

		snprintf(want, sizeof(want), "\n22:%02zu [", 13 + i);
		assert_non_null(strstr(b, want));
		snprintf(want, sizeof(want), "] host%02zu/disk /: ooo", i);
		assert_non_null(strstr(b, want));
	}
	assert_non_null(strstr(b, "\n22:13 [CRITICAL] host00/disk /: "));
	assert_non_null(strstr(b, "\n22:14 [RECOVERY] host01/disk /: "));
	/* the output is cut to 100 characters, "..." included */
	{
		char cut[128];

		memset(cut, 'o', 97);
		strcpy(cut + 97, "...\n");
		assert_non_null(strstr(b, cut));
		assert_null(
		        strstr(b, "oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo"
		                  "oooooooooooooooooooooooooooooooooooooo"));
	}
	free(b);
	free(msg);
}

/* ---- addresses and errors ------------------------------------------------------ */

static void addresses(void **state)
{
	static const char *const good[] = {"a@b", "ops@example.org", "o.p-s+tag@mail-1.example.com",
	                                   "!#$%&'*+-/=?^_`{|}~@x"};
	static const char *const bad[] = {"",
	                                  "@b",
	                                  "a@",
	                                  "a",
	                                  "a@b@c",
	                                  "a b@c",
	                                  "<a@b>",
	                                  "a@b>",
	                                  "a@b\r\nRCPT TO:<x@y>",
	                                  "a@b\n",
	                                  "\"a\"@b",
	                                  "a@b_c",
	                                  "a@b c",
	                                  "jörg@example.org",
	                                  "a,b@c"};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!mailmsg_address_ok(good[i]))
			fail_msg("refused '%s'", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mailmsg_address_ok(bad[i]))
			fail_msg("accepted '%s'", bad[i]);
}

static void build_refuses_bad_addresses_and_no_notice(void **state)
{
	struct notice n;
	const struct notice *one = &n;
	char *msg = NULL, err[128];
	size_t len;

	(void)state;
	problem(&n);
	assert_int_equal(
	        mailmsg_build(&one, 1, "a@b\r\nX: y", TO, NOW, &msg, &len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "from"));
	assert_int_equal(mailmsg_build(&one, 1, FROM, "x@y\nRCPT TO:<z@w>", NOW, &msg, &len, err,
	                               sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "to address"));
	assert_int_equal(mailmsg_build(&one, 0, FROM, TO, NOW, &msg, &len, err, sizeof(err)), -1);
	assert_null(msg);
}

/* ---- the chart ------------------------------------------------------------------ */

static void chart(void **state)
{
	const double rising[] = {0, 1, 2, 3, 4, 5, 6, 7};
	const double flat[] = {5, 5, 5};
	const double odd[] = {1, NAN, 3, INFINITY};
	const double huge[] = {-1e308, 1e308};
	char buf[64];

	(void)state;
	assert_int_equal(mailmsg_chart(rising, 8, buf, sizeof(buf)), 24);
	assert_string_equal(buf, "▁▂▃▄▅▆▇█");
	mailmsg_chart(flat, 3, buf, sizeof(buf));
	assert_string_equal(buf, "▄▄▄");
	mailmsg_chart(odd, 4, buf, sizeof(buf));
	assert_string_equal(buf, "▁?█?");
	mailmsg_chart(huge, 2, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 6);
	/* a small buffer: whole characters only */
	assert_int_equal(mailmsg_chart(rising, 8, buf, 8), 6);
	assert_string_equal(buf, "▁▂");
	assert_int_equal(mailmsg_chart(rising, 8, buf, 1), 0);
	assert_string_equal(buf, "");
	assert_int_equal(mailmsg_chart(rising, 0, buf, sizeof(buf)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(headers_of_a_new_problem_are_exact),
	        cmocka_unit_test(date_is_rfc5322_in_utc),
	        cmocka_unit_test(subject_of_each_kind),
	        cmocka_unit_test(long_subjects_are_cut_for_a_phone),
	        cmocka_unit_test(utf8_subject_is_rfc2047_encoded),
	        cmocka_unit_test(encoded_word_lookalikes_are_encoded),
	        cmocka_unit_test(threading_ids),
	        cmocka_unit_test(message_ids_do_not_depend_on_the_sending_time),
	        cmocka_unit_test(header_injection_adds_no_header),
	        cmocka_unit_test(body_says_what_where_since_when_and_how_to_silence),
	        cmocka_unit_test(body_without_history_or_trend_says_nothing_of_them),
	        cmocka_unit_test(recovery_body_says_how_long_it_lasted),
	        cmocka_unit_test(silence_command_is_quoted_for_the_shell),
	        cmocka_unit_test(long_output_lines_are_wrapped),
	        cmocka_unit_test(digest_counts_and_lists_every_notice),
	        cmocka_unit_test(addresses),
	        cmocka_unit_test(build_refuses_bad_addresses_and_no_notice),
	        cmocka_unit_test(chart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
