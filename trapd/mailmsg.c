/*
 * mailmsg.c - notices as RFC 5322 messages (see mailmsg.h).
 *
 * The body is first written as plain UTF-8 text with "\n" line ends, prose
 * and plugin output wrapped at WRAP_CHARS characters (the silence command is
 * never wrapped, so that it can be copied), then quoted-printable encoded
 * into the message: that keeps every line at most 76 octets and the message
 * 7-bit clean whatever the server's extensions, and a client shows the text
 * as written.  Headers are built from cleaned copies of the notice's text
 * (clean_text()), never from the notice directly.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errbuf.h"
#include "mailmsg.h"

#define WRAP_CHARS   76 /* characters per body line before quoted-printable */
#define QP_LINE      76 /* octets per encoded line, the soft break's '=' included */
#define FIELD_INDENT "           "
#define CHART_MAX    (NOTICE_HISTORY * 3 + 1)

/* ---- a growing buffer ------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom; /* an append failed: the content is incomplete */
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 2048;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char small[256], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sb_add(b, small, (size_t)n);
		return;
	}
	if ((big = malloc((size_t)n + 1)) == NULL) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_add(b, big, (size_t)n);
	free(big);
}

/* ---- text ------------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at S (AVAIL >= 1 bytes), 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	size_t need, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f; /* no surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (avail < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

/* Whether the K-byte character at S breaks a line somewhere: C0, DEL, C1,
 * and U+2028/U+2029 (line and paragraph separators). */
static bool is_control(const unsigned char *s, size_t k)
{
	if (k == 1)
		return s[0] < 0x20 || s[0] == 0x7f;
	if (k == 2)
		return s[0] == 0xc2 && s[1] < 0xa0;
	return k == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9);
}

/* Copy SRC into DST (SIZE >= 1) as valid UTF-8 without control characters:
 * each becomes a space, each invalid byte a '?'; cut at a character
 * boundary.  HEADER: also collapse runs of spaces and trim both ends. */
static void clean_text(char *dst, size_t size, const char *src, bool header)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = strlen(src), i = 0, o = 0;

	while (i < n) {
		size_t k = utf8_len(s + i, n - i);
		const char *put = (const char *)s + i;
		size_t plen = k;

		if (k == 0) {
			put = "?";
			plen = k = 1;
		} else if (is_control(s + i, k)) {
			put = " ";
			plen = 1;
		}
		i += k;
		if (header && put[0] == ' ' && (o == 0 || dst[o - 1] == ' '))
			continue;
		if (o + plen >= size)
			break;
		memcpy(dst + o, put, plen);
		o += plen;
	}
	while (header && o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
}

/* Characters (not bytes) in the clean UTF-8 string S. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* The byte offset after the first MAX characters of clean UTF-8 S. */
static size_t utf8_prefix(const char *s, size_t max)
{
	size_t i = 0, chars = 0;

	while (s[i] != '\0' && chars < max) {
		size_t k = utf8_len((const unsigned char *)s + i, strlen(s + i));

		i += k ? k : 1;
		chars++;
	}
	return i;
}

/* Copy clean S into DST, at most MAX characters; a longer S is cut (at a
 * space when there is one in the last quarter) and ends in "...". */
static void cut_chars(char *dst, size_t size, const char *s, size_t max)
{
	size_t end, sp;

	if (utf8_chars(s) <= max) {
		snprintf(dst, size, "%s", s);
		return;
	}
	end = utf8_prefix(s, max - 3);
	for (sp = end; sp > end - end / 4 && s[sp] != ' '; sp--)
		;
	if (s[sp] == ' ')
		end = sp;
	while (end > 0 && s[end - 1] == ' ')
		end--;
	snprintf(dst, size, "%.*s...", (int)end, s);
}

/* ---- times ------------------------------------------------------------------- */

static bool utc(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;

	return gmtime_r(&tt, tm) != NULL && tm->tm_year + 1900 <= 9999 && tm->tm_year >= -1900;
}

/* 2023-11-14T22:13:20Z */
static void fmt_iso(int64_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!utc(t, &tm))
		snprintf(buf, len, "@%lld", (long long)t);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* RFC 5322 date-time, in UTC, without the locale: Tue, 14 Nov 2023 22:13:20 +0000 */
static void fmt_date(int64_t t, char *buf, size_t len)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	if (!utc(t, &tm))
		utc(0, &tm);
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
	         months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A duration in its two largest units: "2d 3h", "2h", "5m 3s", "0s". */
static void fmt_duration(int64_t secs, char *buf, size_t len)
{
	static const struct {
		int64_t secs;
		char unit;
	} u[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	size_t i = 0;

	if (secs <= 0) {
		snprintf(buf, len, "0s");
		return;
	}
	while (secs < u[i].secs)
		i++;
	if (i == 3 || (secs % u[i].secs) / u[i + 1].secs == 0)
		snprintf(buf, len, "%lld%c", (long long)(secs / u[i].secs), u[i].unit);
	else
		snprintf(buf, len, "%lld%c %lld%c", (long long)(secs / u[i].secs), u[i].unit,
		         (long long)((secs % u[i].secs) / u[i + 1].secs), u[i + 1].unit);
}

/* ---- what a notice says -------------------------------------------------- */

/* The subject's label. */
static const char *label(const struct notice *n)
{
	switch (n->kind) {
	case NOTICE_PROBLEM:
	case NOTICE_RENOTIFY:
		return rules_state_name(n->state);
	case NOTICE_RECOVERY:
		return "RECOVERY";
	case NOTICE_FLAP_START:
		return "FLAPPING";
	case NOTICE_FLAP_STOP:
		return "FLAPPING END";
	case NOTICE_STALE:
		return "STALE";
	case NOTICE_STALE_END:
		return "STALE END";
	case NOTICE_TEST:
		return "TEST";
	}
	return "NOTICE";
}

/* The labels in the order a digest's subject counts them. */
static const char *const label_order[] = {
        "CRITICAL", "WARNING",   "UNKNOWN", "RECOVERY", "FLAPPING", "FLAPPING END",
        "STALE",    "STALE END", "TEST",    "OK",       "NOTICE",
};

/* A new problem opens a thread; its changes, renotifications and recovery
 * answer it. */
static bool opens_thread(const struct notice *n)
{
	return n->kind == NOTICE_PROBLEM && n->previous == RULES_OK;
}

static bool answers_thread(const struct notice *n)
{
	return n->kind == NOTICE_RECOVERY || n->kind == NOTICE_RENOTIFY ||
	       (n->kind == NOTICE_PROBLEM && n->previous != RULES_OK);
}

/* The plugin output without its "NAME STATE - " or "NAME STATE: " prefix. */
static const char *output_words(const char *out)
{
	static const char *const states[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
	const char *p = strchr(out, ' ');

	if (p == NULL)
		return out;
	p++;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		size_t n = strlen(states[i]);

		if (strncmp(p, states[i], n) != 0)
			continue;
		p += n;
		if (*p == ':')
			p++;
		if (strncmp(p, " - ", 3) == 0)
			return p + 3;
		return *p == ' ' ? p + 1 : out;
	}
	return out;
}

/* The unit of a value such as "17105133568B" or "97.5%": what follows the number. */
static const char *value_unit(const char *value)
{
	return value + strspn(value, "0123456789+-.eE");
}

/* ---- headers ----------------------------------------------------------------- */

/* The subject of one notice, before length limiting. */
static void subject_one(struct sbuf *b, const struct notice *n)
{
	char host[NOTICE_HOST_MAX], service[NOTICE_SERVICE_MAX], out[NOTICE_OUTPUT_MAX], d[32];

	clean_text(host, sizeof(host), n->host, true);
	clean_text(service, sizeof(service), n->service, true);
	sb_printf(b, "[%s] %s %s", label(n), host, service);
	switch (n->kind) {
	case NOTICE_PROBLEM:
	case NOTICE_RENOTIFY:
		clean_text(out, sizeof(out), n->output, true);
		if (n->time_left == 0) {
			sb_puts(b, " full now");
		} else if (n->time_left > 0) {
			fmt_duration(n->time_left, d, sizeof(d));
			sb_printf(b, " full in %s", d);
		} else if (out[0] != '\0') {
			sb_printf(b, " %s", output_words(out));
		}
		break;
	case NOTICE_STALE:
		if (n->since > 0 && n->at > n->since) {
			fmt_duration(n->at - n->since, d, sizeof(d));
			sb_printf(b, " no result for %s", d);
		}
		break;
	default:
		break;
	}
}

/* "[trendtrap] 15 notifications: 9 CRITICAL, 4 WARNING, 2 RECOVERY" */
static void subject_digest(struct sbuf *b, const struct notice *const *n, size_t count)
{
	const size_t nlabels = sizeof(label_order) / sizeof(label_order[0]);
	const char *sep = ": ";

	sb_printf(b, "[trendtrap] %zu notifications", count);
	for (size_t l = 0; l < nlabels; l++) {
		size_t k = 0;

		for (size_t i = 0; i < count; i++)
			k += strcmp(label(n[i]), label_order[l]) == 0;
		if (k > 0) {
			sb_printf(b, "%s%zu %s", sep, k, label_order[l]);
			sep = ", ";
		}
	}
}

static void base64(const unsigned char *s, size_t n, char *out)
{
	static const char abc[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = abc[s[i] >> 2];
		out[o++] = abc[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		out[o++] = abc[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		out[o++] = abc[s[i + 2] & 63];
	}
	if (i < n) {
		out[o++] = abc[s[i] >> 2];
		if (i + 1 < n) {
			out[o++] = abc[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
			out[o++] = abc[(s[i + 1] & 15) << 2];
		} else {
			out[o++] = abc[(s[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';
}

/* "Subject: S": as is when S is plain ASCII, else as RFC 2047 "B" encoded
 * words of whole characters, the first line at most 76 characters
 * ("Subject: " and 39 bytes), each continuation line " " and 45 bytes
 * (a 72-character word). */
static void header_subject(struct sbuf *b, const char *s)
{
	bool plain = strstr(s, "=?") == NULL;
	size_t room = 39, len = strlen(s);

	for (const char *p = s; *p && plain; p++)
		plain = (unsigned char)*p < 0x80;
	if (plain) {
		sb_printf(b, "Subject: %s\r\n", s);
		return;
	}
	sb_puts(b, "Subject:");
	while (len > 0) {
		size_t take = 0;
		char word[64];

		for (;;) {
			size_t k = utf8_len((const unsigned char *)s + take, len - take);

			k = k ? k : 1;
			if (take + k > room || take == len)
				break;
			take += k;
		}
		base64((const unsigned char *)s, take, word);
		sb_printf(b, " =?UTF-8?B?%s?=", word);
		s += take;
		len -= take;
		room = 45;
		if (len > 0)
			sb_puts(b, "\r\n");
	}
	sb_puts(b, "\r\n");
}

/* The domain of FROM (checked by mailmsg_address_ok()). */
static const char *domain_of(const char *from)
{
	return strchr(from, '@') + 1;
}

static void headers(struct sbuf *b, const struct notice *const *n, size_t count, const char *from,
                    const char *to, int64_t now)
{
	const char *domain = domain_of(from);
	struct sbuf subj = {0};
	char date[64], subject[4 * MAILMSG_SUBJECT_CHARS + 1];

	fmt_date(now, date, sizeof(date));
	sb_printf(b, "Date: %s\r\nFrom: trendtrap <%s>\r\nTo: %s\r\n", date, from, to);
	if (count == 1)
		subject_one(&subj, n[0]);
	else
		subject_digest(&subj, n, count);
	cut_chars(subject, sizeof(subject), subj.oom ? "[trendtrap]" : subj.p,
	          MAILMSG_SUBJECT_CHARS);
	free(subj.p);
	header_subject(b, subject);
	if (count > 1) {
		int64_t at = n[0]->at;

		for (size_t i = 1; i < count; i++)
			at = n[i]->at > at ? n[i]->at : at;
		sb_printf(b, "Message-ID: <trendtrap.digest.%lld.%llu@%s>\r\n", (long long)at,
		          (unsigned long long)n[0]->id, domain);
	} else if (opens_thread(n[0])) {
		sb_printf(b, "Message-ID: <trendtrap.%llu.problem@%s>\r\n",
		          (unsigned long long)n[0]->id, domain);
	} else {
		sb_printf(b, "Message-ID: <trendtrap.%llu.%s.%lld@%s>\r\n",
		          (unsigned long long)n[0]->id, notice_kind_name(n[0]->kind),
		          (long long)n[0]->at, domain);
	}
	if (count == 1 && answers_thread(n[0]))
		sb_printf(b,
		          "In-Reply-To: <trendtrap.%llu.problem@%s>\r\n"
		          "References: <trendtrap.%llu.problem@%s>\r\n",
		          (unsigned long long)n[0]->id, domain, (unsigned long long)n[0]->id,
		          domain);
	sb_puts(b, "MIME-Version: 1.0\r\n"
	           "Content-Type: text/plain; charset=UTF-8\r\n"
	           "Content-Transfer-Encoding: quoted-printable\r\n"
	           "Auto-Submitted: auto-generated\r\n"
	           "\r\n");
}

/* ---- the body, as plain text ---------------------------------------------- */

/* TEXT (clean, one line) wrapped at WRAP_CHARS: the first line starts with
 * FIRST, the others with REST (both ASCII, shorter than WRAP_CHARS / 2). */
static void wrap(struct sbuf *b, const char *first, const char *rest, const char *text)
{
	const char *prefix = first, *p = text;

	do {
		size_t avail = WRAP_CHARS - strlen(prefix), i = 0, chars = 0, space = 0;
		size_t cut, next;

		while (p[i] != '\0' && chars < avail) {
			size_t k = utf8_len((const unsigned char *)p + i, strlen(p + i));

			if (p[i] == ' ')
				space = i;
			i += k ? k : 1;
			chars++;
		}
		if (p[i] == '\0' || p[i] == ' ' || space == 0)
			cut = next = i;
		else
			cut = next = space;
		while (cut > 0 && p[cut - 1] == ' ')
			cut--;
		sb_puts(b, prefix);
		sb_add(b, p, cut);
		sb_puts(b, "\n");
		p += next;
		p += strspn(p, " ");
		prefix = rest;
	} while (*p != '\0');
}

/* "Label:     value", the value wrapped under itself. */
static void field(struct sbuf *b, const char *name, const char *value)
{
	char first[sizeof(FIELD_INDENT)];

	snprintf(first, sizeof(first), "%-*s", (int)sizeof(FIELD_INDENT) - 1, name);
	wrap(b, first, FIELD_INDENT, value);
}

/* The pattern HOST/SERVICE for `trendtrap silence add`, fnmatch(3)
 * metacharacters escaped, single-quoted for a POSIX shell. */
static void silence_pattern(struct sbuf *b, const char *host, const char *service)
{
	const char *part[2] = {host, service};

	sb_puts(b, "'");
	for (int i = 0; i < 2; i++) {
		if (i == 1)
			sb_puts(b, "/");
		for (const char *p = part[i]; *p; p++) {
			if (*p == '\'')
				sb_puts(b, "'\\''");
			else if (strchr("*?[\\", *p) != NULL)
				sb_printf(b, "\\%c", *p);
			else
				sb_add(b, p, 1);
		}
	}
	sb_puts(b, "'");
}

/* The first line of a single notice's body. */
static void headline(struct sbuf *b, const struct notice *n, const char *hs)
{
	const char *st = rules_state_name(n->state), *was = rules_state_name(n->previous);
	char line[NOTICE_HOST_MAX + NOTICE_SERVICE_MAX + 128];

	switch (n->kind) {
	case NOTICE_PROBLEM:
		if (n->previous == RULES_OK)
			snprintf(line, sizeof(line), "Problem: %s is %s.", hs, st);
		else
			snprintf(line, sizeof(line), "Problem changed: %s is now %s (was %s).", hs,
			         st, was);
		break;
	case NOTICE_RENOTIFY:
		snprintf(line, sizeof(line), "Still a problem: %s is %s.", hs, st);
		break;
	case NOTICE_RECOVERY:
		snprintf(line, sizeof(line), "Recovered: %s is OK again (was %s).", hs, was);
		break;
	case NOTICE_FLAP_START:
		snprintf(line, sizeof(line),
		         "Flapping: %s changes state too often; its problems and recoveries "
		         "are not notified until it settles.",
		         hs);
		break;
	case NOTICE_FLAP_STOP:
		snprintf(line, sizeof(line), "Flapping over: %s has settled (%s).", hs, st);
		break;
	case NOTICE_STALE:
		snprintf(line, sizeof(line), "Stale: no results from %s for too long.", hs);
		break;
	case NOTICE_STALE_END:
		snprintf(line, sizeof(line), "Results again from %s.", hs);
		break;
	case NOTICE_TEST:
	default:
		snprintf(line, sizeof(line),
		         "Test: this message proves the way from trendtrapd to this mailbox "
		         "(%s).",
		         hs);
		break;
	}
	wrap(b, "", "", line);
}

/* Since when, and for how long up to the event. */
static void since_line(struct sbuf *b, const struct notice *n)
{
	char iso[32], d[32], text[96];

	if (n->since <= 0)
		return;
	fmt_iso(n->since, iso, sizeof(iso));
	fmt_duration(n->at - n->since, d, sizeof(d));
	if (n->kind == NOTICE_RECOVERY) {
		snprintf(text, sizeof(text), "%s (lasted %s)", iso, d);
		field(b, "Began:", text);
	} else if (n->kind == NOTICE_STALE || n->kind == NOTICE_STALE_END) {
		snprintf(text, sizeof(text), "%s (%s before this event)", iso, d);
		field(b, "Last seen:", text);
	} else {
		snprintf(text, sizeof(text), "%s (for %s)", iso, d);
		field(b, "Since:", text);
	}
}

/* The value, the trend and the chart of recent values, as far as known. */
static void measure_lines(struct sbuf *b, const struct notice *n)
{
	char value[NOTICE_NUMBER_MAX], slope[NOTICE_NUMBER_MAX], text[256], d[32], iso[32];
	char chart[CHART_MAX];

	clean_text(value, sizeof(value), n->value, true);
	clean_text(slope, sizeof(slope), n->slope, true);
	if (value[0] != '\0')
		field(b, "Value:", value);
	if (n->time_left >= 0) {
		char when[96] = "exhausted now";

		if (n->time_left > 0) {
			fmt_duration(n->time_left, d, sizeof(d));
			fmt_iso(n->at + n->time_left, iso, sizeof(iso));
			snprintf(when, sizeof(when), "exhausted in %s, around %s", d, iso);
		}
		snprintf(text, sizeof(text), "%s%s%s", slope, slope[0] ? ", " : "", when);
		field(b, "Trend:", text);
	} else if (slope[0] != '\0') {
		field(b, "Trend:", slope);
	}
	/* The chart: struct notice carries up to NOTICE_HISTORY recent values. */
	if (n->nhistory > 0 && n->nhistory <= NOTICE_HISTORY) {
		const char *unit = value_unit(value);
		double lo = INFINITY, hi = -INFINITY;

		for (size_t i = 0; i < n->nhistory; i++) {
			lo = fmin(lo, n->history[i]);
			hi = fmax(hi, n->history[i]);
		}
		mailmsg_chart(n->history, n->nhistory, chart, sizeof(chart));
		field(b, "History:", chart);
		snprintf(text, sizeof(text), "%zu values, oldest first: min %.4g%s, max %.4g%s",
		         n->nhistory, lo, unit, hi, unit);
		wrap(b, FIELD_INDENT, FIELD_INDENT, text);
	}
}

static void body_one(struct sbuf *b, const struct notice *n)
{
	char host[NOTICE_HOST_MAX], service[NOTICE_SERVICE_MAX], text[NOTICE_OUTPUT_MAX];
	char hs[sizeof(host) + sizeof(service)], iso[32];

	clean_text(host, sizeof(host), n->host, true);
	clean_text(service, sizeof(service), n->service, true);
	snprintf(hs, sizeof(hs), "%s %s", host, service);
	headline(b, n, hs);
	sb_puts(b, "\n");
	field(b, "Host:", host);
	field(b, "Service:", service);
	if (n->kind != NOTICE_TEST) {
		snprintf(text, sizeof(text), "%s (was %s)", rules_state_name(n->state),
		         rules_state_name(n->previous));
		field(b, "State:", text);
	}
	fmt_iso(n->at, iso, sizeof(iso));
	snprintf(text, sizeof(text), "%s, event %llu, at %s", notice_kind_name(n->kind),
	         (unsigned long long)n->id, iso);
	field(b, "Event:", text);
	since_line(b, n);
	measure_lines(b, n);
	clean_text(text, sizeof(text), n->output, false);
	if (text[strspn(text, " ")] != '\0') {
		sb_puts(b, "\nOutput:\n");
		wrap(b, "  ", "  ", text);
	}
	clean_text(text, sizeof(text), n->perfdata, false);
	if (text[strspn(text, " ")] != '\0') {
		sb_puts(b, "\nPerfdata:\n");
		wrap(b, "  ", "  ", text);
	}
	sb_puts(b, "\nTo silence it for 2 hours:\n  trendtrap silence add ");
	silence_pattern(b, host, service);
	sb_puts(b, " 2h \"reason\"\n");
}

/* One line per notice, never wrapped (quoted-printable keeps the lines
 * short): "22:13 [CRITICAL] web01/disk /: output cut to 100 characters". */
static void body_digest(struct sbuf *b, const struct notice *const *n, size_t count)
{
	int64_t first = n[0]->at, last = n[0]->at;
	char a[32], z[32];

	for (size_t i = 1; i < count; i++) {
		first = n[i]->at < first ? n[i]->at : first;
		last = n[i]->at > last ? n[i]->at : last;
	}
	fmt_iso(first, a, sizeof(a));
	fmt_iso(last, z, sizeof(z));
	if (first == last)
		sb_printf(b, "%zu notifications, at %s:\n\n", count, a);
	else
		sb_printf(b, "%zu notifications, from %s to %s:\n\n", count, a, z);
	for (size_t i = 0; i < count; i++) {
		char host[NOTICE_HOST_MAX], service[NOTICE_SERVICE_MAX], out[NOTICE_OUTPUT_MAX];
		char cut[4 * MAILMSG_DIGEST_OUTPUT + 4];
		struct tm tm;

		clean_text(host, sizeof(host), n[i]->host, true);
		clean_text(service, sizeof(service), n[i]->service, true);
		clean_text(out, sizeof(out), n[i]->output, true);
		cut_chars(cut, sizeof(cut), out, MAILMSG_DIGEST_OUTPUT);
		if (!utc(n[i]->at, &tm))
			utc(0, &tm);
		sb_printf(b, "%02d:%02d [%s] %s/%s%s%s\n", tm.tm_hour, tm.tm_min, label(n[i]), host,
		          service, cut[0] ? ": " : "", cut);
	}
	sb_puts(b, "\nTimes are UTC. To silence a service for 2 hours:\n"
	           "  trendtrap silence add 'HOST/SERVICE' 2h \"reason\"\n");
}

/* ---- quoted-printable ------------------------------------------------------ */

/* Append TEXT ("\n"-terminated lines) quoted-printable encoded, CRLF line
 * ends, at most QP_LINE octets per line (RFC 2045 6.7). */
static void qp_encode(struct sbuf *b, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";

	while (*text != '\0') {
		size_t n = strcspn(text, "\n"), col = 0;

		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)text[i];
			bool last = i + 1 == n;
			char enc[4] = {(char)c, '\0'};
			size_t k = 1;

			if (c == '=' || c >= 0x7f || (c < 0x20 && c != '\t') ||
			    ((c == ' ' || c == '\t') && last)) {
				enc[0] = '=';
				enc[1] = hex[c >> 4];
				enc[2] = hex[c & 15];
				k = 3;
			}
			if (col + k > (last ? QP_LINE : QP_LINE - 1)) {
				sb_puts(b, "=\r\n");
				col = 0;
			}
			sb_add(b, enc, k);
			col += k;
		}
		sb_puts(b, "\r\n");
		text += n + (text[n] == '\n');
	}
}

/* ---- the API ---------------------------------------------------------------- */

bool mailmsg_address_ok(const char *s)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~.";
	const char *at = strchr(s, '@'), *p;

	if (at == NULL || at == s || at[1] == '\0' || strlen(s) > 254)
		return false;
	for (p = s; p < at; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(atext, *p) != NULL))
			return false;
	for (p = at + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return false;
	return true;
}

size_t mailmsg_chart(const double *v, size_t n, char *buf, size_t len)
{
	double lo = INFINITY, hi = -INFINITY;
	size_t o = 0;

	if (len == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i])) {
			lo = fmin(lo, v[i]);
			hi = fmax(hi, v[i]);
		}
	for (size_t i = 0; i < n; i++) {
		char ch[3] = {'\xe2', '\x96', '\x84'};
		size_t k = 3;

		if (!isfinite(v[i])) {
			ch[0] = '?';
			k = 1;
		} else if (hi > lo) {
			double f = (v[i] - lo) / (hi - lo);

			f = f >= 0 ? (f <= 1 ? f : 1) : 0; /* also when hi - lo overflows */
			ch[2] = (char)(0x81 + (int)(f * 7 + 0.5));
		}
		if (o + k >= len)
			break;
		memcpy(buf + o, ch, k);
		o += k;
	}
	buf[o] = '\0';
	return o;
}

int mailmsg_build(const struct notice *const *n, size_t count, const char *from, const char *to,
                  int64_t now, char **msg, size_t *len, char *err, size_t errlen)
{
	struct sbuf m = {0}, body = {0};

	if (count == 0 || n == NULL)
		return errbuf_fail(err, errlen, "no notice to send");
	if (from == NULL || !mailmsg_address_ok(from))
		return errbuf_fail(err, errlen, "the from address is not LOCAL@DOMAIN in ASCII");
	if (to == NULL || !mailmsg_address_ok(to))
		return errbuf_fail(err, errlen, "the to address is not LOCAL@DOMAIN in ASCII");
	headers(&m, n, count, from, to, now);
	if (count == 1)
		body_one(&body, n[0]);
	else
		body_digest(&body, n, count);
	if (!body.oom)
		qp_encode(&m, body.p);
	if (m.oom || body.oom) {
		free(m.p);
		free(body.p);
		return errbuf_fail(err, errlen, "out of memory");
	}
	free(body.p);
	*msg = m.p;
	*len = m.len;
	return 0;
}
