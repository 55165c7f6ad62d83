/*
 * notice.c - notices: clean text, the numbers a channel shows (value, slope,
 * time left) taken from the plugin's perfdata, and the outbox payload.
 *
 * Decisions the header leaves open:
 *   - UTF-8 is decoded strictly (no overlong forms, no surrogates, nothing
 *     above U+10FFFF); a byte that does not start a valid sequence becomes
 *     one '?' and decoding goes on at the next byte.
 *   - Control characters are C0 (U+0000..U+001F), DEL and C1
 *     (U+0080..U+009F); each becomes one space.
 *   - Perfdata: a value or slope is kept only when it is a number (sign,
 *     digits, fraction, exponent) followed by an optional unit, and the text
 *     fits its field unchanged; anything else is unknown.  A negative
 *     time_left is taken as 0 (already exhausted); a fraction is dropped.
 *   - notice_encode() writes every key, always in the same order, and passes
 *     each text through notice_set_text() first, so whatever the struct holds,
 *     notice_decode() reads the payload back.  notice_decode() is strict: a
 *     text value must be clean UTF-8 that fits its field, a number must be
 *     plain decimal in range, a known key may appear only once.
 */
#include "notice.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "units.h"

/* --- text --- */

static bool is_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* Length of the valid UTF-8 sequence at S[0..LEN) (LEN >= 1), with its code
 * point in *CP; 0 when S does not start a valid sequence. */
static size_t utf8_seq(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		*cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		*cp = c & 0x0F;
		lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
		hi = c == 0xED ? 0x9F : 0xBF; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		*cp = c & 0x07;
		lo = c == 0xF0 ? 0x90 : 0x80; /* no overlong forms */
		hi = c == 0xF4 ? 0x8F : 0xBF; /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 1; i < n; i++) {
		if (!is_cont(s[i]))
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3F);
	}
	return n;
}

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

void notice_set_text(char *dst, size_t dstlen, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_seq(s + i, len - i, &cp);
		const char *put = src + i;
		size_t plen = n;

		if (n == 0) {
			put = "?";
			plen = n = 1;
		} else if (is_control(cp)) {
			put = " ";
			plen = 1;
		}
		if (o + plen > dstlen - 1)
			break;
		memcpy(dst + o, put, plen);
		o += plen;
		i += n;
	}
	dst[o] = '\0';
}

/* Whether SRC[0..LEN) is clean text that fits DSTLEN, i.e. notice_set_text()
 * copies it unchanged; the copy is left in DST either way. */
static bool set_text_exact(char *dst, size_t dstlen, const char *src, size_t len)
{
	notice_set_text(dst, dstlen, src, len);
	return strlen(dst) == len && memcmp(dst, src, len) == 0;
}

/* --- perfdata --- */

/* One perfdata item: LABEL (as written, quotes removed but '' not undone)
 * and VALUE (up to the first ';'). */
struct perf_item {
	const char *label;
	size_t label_len;
	const char *value;
	size_t value_len;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_to_blank(const char *s)
{
	while (*s && !is_blank(*s))
		s++;
	return s;
}

/* Scan the item at *P and move *P past it.  Returns 1 with IT filled, 0 at
 * the end, -1 for a malformed item (skipped). */
static int perf_next(const char **p, struct perf_item *it)
{
	const char *s = *p;

	while (is_blank(*s))
		s++;
	if (*s == '\0')
		return 0;
	if (*s == '\'') {
		it->label = ++s;
		while (*s && !(*s == '\'' && s[1] != '\''))
			s += *s == '\'' ? 2 : 1; /* '' is a quote inside the label */
		it->label_len = (size_t)(s - it->label);
		if (*s == '\'')
			s++;
	} else {
		it->label = s;
		while (*s && *s != '=' && !is_blank(*s))
			s++;
		it->label_len = (size_t)(s - it->label);
	}
	if (*s != '=' || it->label_len == 0) {
		*p = skip_to_blank(s);
		return -1;
	}
	it->value = ++s;
	while (*s && *s != ';' && !is_blank(*s))
		s++;
	it->value_len = (size_t)(s - it->value);
	*p = skip_to_blank(s); /* thresholds, min and max are not needed */
	return 1;
}

static bool label_is(const struct perf_item *it, const char *name)
{
	return it->label_len == strlen(name) && memcmp(it->label, name, it->label_len) == 0;
}

static bool label_ends_with(const struct perf_item *it, const char *suffix)
{
	size_t n = strlen(suffix);

	return it->label_len >= n && memcmp(it->label + it->label_len - n, suffix, n) == 0;
}

static size_t scan_digits(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* Length of the number (sign, digits, fraction, exponent) at S[0..LEN), 0 if
 * there is none. */
static size_t number_len(const char *s, size_t len)
{
	size_t i = 0, digits, frac = 0, e;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	digits = scan_digits(s + i, len - i);
	i += digits;
	if (i < len && s[i] == '.') {
		frac = scan_digits(s + i + 1, len - i - 1);
		i += 1 + frac;
	}
	if (digits + frac == 0)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		e = i + 1;
		if (e < len && (s[e] == '-' || s[e] == '+'))
			e++;
		if (scan_digits(s + e, len - e) > 0)
			i = e + scan_digits(s + e, len - e);
	}
	return i;
}

/* DST = the item's value as written, then SUFFIX; "" when unknown. */
static void perf_number_text(char *dst, size_t dstlen, const struct perf_item *it,
                             const char *suffix)
{
	char tmp[NOTICE_NUMBER_MAX * 2];
	int n;

	dst[0] = '\0';
	if (number_len(it->value, it->value_len) == 0 || it->value_len >= NOTICE_NUMBER_MAX)
		return; /* "U", empty, not a number, or far too long */
	n = snprintf(tmp, sizeof tmp, "%.*s%s", (int)it->value_len, it->value, suffix);
	if (n < 0 || (size_t)n >= sizeof tmp || !set_text_exact(dst, dstlen, tmp, (size_t)n))
		dst[0] = '\0';
}

/* Seconds in the item's value ("3600s", "3600", "86400.5s"), -1 if unknown. */
static int64_t perf_seconds(const struct perf_item *it)
{
	const char *v = it->value;
	size_t len = it->value_len, n;
	bool neg = len > 0 && v[0] == '-';
	char digits[NOTICE_NUMBER_MAX];
	double secs;

	if (neg) {
		v++;
		len--;
	}
	if (len == 0 || len >= sizeof digits)
		return -1;
	memcpy(digits, v, len);
	digits[len] = '\0';
	n = units_scan_number(digits, &secs);
	if (n == 0 || !(n == len || (n + 1 == len && digits[n] == 's')))
		return -1;
	if (neg)
		return 0; /* already exhausted */
	if (secs >= 9e18)
		return -1;
	return (int64_t)secs;
}

void notice_perf_extract(struct notice *n, const char *perfdata)
{
	const char *p = perfdata ? perfdata : "";
	struct perf_item it, first = {0};
	bool have_first = false, have_ratio = false, have_slope = false, have_left = false;
	int r;

	n->value[0] = n->slope[0] = '\0';
	n->time_left = -1;
	while ((r = perf_next(&p, &it)) != 0) {
		if (r < 0)
			continue;
		if (!have_first) {
			first = it;
			have_first = true;
		}
		if (!have_ratio && label_is(&it, "ratio")) {
			first = it;
			have_ratio = true;
		}
		if (!have_slope && label_ends_with(&it, "slope_per_hour")) {
			perf_number_text(n->slope, sizeof n->slope, &it, "/h");
			have_slope = true;
		} else if (!have_slope && label_ends_with(&it, "growth_per_day")) {
			perf_number_text(n->slope, sizeof n->slope, &it, "/d");
			have_slope = true;
		}
		if (!have_left && label_ends_with(&it, "time_left")) {
			n->time_left = perf_seconds(&it);
			have_left = true;
		}
	}
	if (have_first)
		perf_number_text(n->value, sizeof n->value, &first, "");
}

bool notice_perf_value(const char *perfdata, double *value)
{
	const char *p = perfdata ? perfdata : "";
	struct perf_item it, pick = {0};
	bool have = false;
	char num[NOTICE_NUMBER_MAX], *end;
	int r;

	while ((r = perf_next(&p, &it)) != 0) {
		if (r < 0)
			continue;
		if (!have || label_is(&it, "ratio")) {
			pick = it;
			if (have)
				break;
			have = true;
		}
	}
	if (!have)
		return false;
	perf_number_text(num, sizeof num, &pick, "");
	*value = strtod(num, &end);
	return end != num && isfinite(*value);
}

/* --- names --- */

static const char *const kind_names[] = {
        [NOTICE_PROBLEM] = "problem",     [NOTICE_RECOVERY] = "recovery",
        [NOTICE_RENOTIFY] = "renotify",   [NOTICE_FLAP_START] = "flap-start",
        [NOTICE_FLAP_STOP] = "flap-stop", [NOTICE_STALE] = "stale",
        [NOTICE_STALE_END] = "stale-end", [NOTICE_TEST] = "test",
};

const char *notice_kind_name(enum notice_kind kind)
{
	return (unsigned)kind <= NOTICE_TEST ? kind_names[kind] : "unknown";
}

/* --- payload: one table of keys drives both directions --- */

enum key_type { K_VERSION, K_KIND, K_U64, K_I64, K_STATE, K_TEXT, K_HISTORY };

struct key {
	const char *name;
	enum key_type type;
	size_t off;  /* of the field in struct notice (none for K_VERSION) */
	size_t size; /* K_TEXT: the field's buffer size */
	bool required;
};

#define FIELD(f) offsetof(struct notice, f)
#define TEXT(f)  FIELD(f), sizeof(((struct notice *)0)->f)

static const struct key keys[] = {
        {"v", K_VERSION, 0, 0, true},
        {"kind", K_KIND, FIELD(kind), 0, true},
        {"id", K_U64, FIELD(id), 0, true},
        {"state", K_STATE, FIELD(state), 0, false},
        {"previous", K_STATE, FIELD(previous), 0, false},
        {"at", K_I64, FIELD(at), 0, true},
        {"since", K_I64, FIELD(since), 0, false},
        {"host", K_TEXT, TEXT(host), true},
        {"service", K_TEXT, TEXT(service), true},
        {"output", K_TEXT, TEXT(output), false},
        {"perfdata", K_TEXT, TEXT(perfdata), false},
        {"value", K_TEXT, TEXT(value), false},
        {"slope", K_TEXT, TEXT(slope), false},
        {"time_left", K_I64, FIELD(time_left), 0, false},
        {"history", K_HISTORY, FIELD(history), 0, false},
};

#define NKEYS    (sizeof keys / sizeof keys[0])
#define TEXT_MAX NOTICE_OUTPUT_MAX /* the largest text field */

_Static_assert(NOTICE_PERFDATA_MAX <= TEXT_MAX && NOTICE_HOST_MAX <= TEXT_MAX &&
                       NOTICE_SERVICE_MAX <= TEXT_MAX && NOTICE_NUMBER_MAX <= TEXT_MAX,
               "TEXT_MAX holds every text field");

/* An snprintf-like writer: counts everything, stores what fits. */
struct writer {
	char *buf;
	size_t len;
	size_t pos;
};

static void put(struct writer *w, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, w->pos++)
		if (w->pos + 1 < w->len)
			w->buf[w->pos] = s[i];
}

static void put_str(struct writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_escaped(struct writer *w, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			put(w, "\\", 1);
		put(w, s, 1);
	}
}

static void put_value(struct writer *w, const struct notice *n, const struct key *k)
{
	const char *field = (const char *)n + k->off;
	char num[32], text[TEXT_MAX];

	switch (k->type) {
	case K_VERSION:
		put_str(w, "1");
		return;
	case K_KIND:
		put_str(w, notice_kind_name(n->kind));
		return;
	case K_U64:
		snprintf(num, sizeof num, "%" PRIu64, *(const uint64_t *)(const void *)field);
		put_str(w, num);
		return;
	case K_I64:
		snprintf(num, sizeof num, "%" PRId64, *(const int64_t *)(const void *)field);
		put_str(w, num);
		return;
	case K_STATE:
		put_str(w, rules_state_name(*(const enum rules_state *)(const void *)field));
		return;
	case K_TEXT:
		notice_set_text(text, k->size, field, strnlen(field, k->size));
		put_escaped(w, text);
		return;
	case K_HISTORY:
		for (size_t i = 0; i < n->nhistory && i < NOTICE_HISTORY; i++) {
			if (!isfinite(n->history[i]))
				continue;
			snprintf(num, sizeof num, "%s%.17g", i > 0 ? " " : "", n->history[i]);
			put_str(w, num);
		}
		return;
	}
}

int notice_encode(const struct notice *n, char *buf, size_t len)
{
	struct writer w = {buf, len, 0};

	for (size_t i = 0; i < NKEYS; i++) {
		put_str(&w, keys[i].name);
		put(&w, " ", 1);
		put_value(&w, n, &keys[i]);
		put(&w, "\n", 1);
	}
	if (len > 0)
		buf[w.pos < len ? w.pos : len - 1] = '\0';
	return (int)w.pos;
}

/* Unescape V[0..VLEN) into DST (DSTLEN bytes); its length, or -1 on a bad
 * escape, -2 when it does not fit. */
static long unescape(const char *v, size_t vlen, char *dst, size_t dstlen)
{
	size_t o = 0;

	for (size_t i = 0; i < vlen; i++, o++) {
		if (v[i] == '\\' && (i + 1 == vlen || v[++i] != '\\'))
			return -1;
		if (o + 1 >= dstlen)
			return -2;
		dst[o] = v[i];
	}
	dst[o] = '\0';
	return (long)o;
}

static bool parse_u64(const char *v, size_t len, uint64_t *out)
{
	uint64_t x = 0;

	if (len == 0 || scan_digits(v, len) != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(v[i] - '0');

		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*out = x;
	return true;
}

static bool parse_i64(const char *v, size_t len, int64_t *out)
{
	bool neg = len > 0 && v[0] == '-';
	uint64_t x;

	if (!parse_u64(v + neg, len - neg, &x) || x > (uint64_t)INT64_MAX + neg)
		return false;
	*out = neg ? (int64_t)(0 - x) : (int64_t)x;
	return true;
}

static bool parse_name(const char *v, size_t len, const char *name)
{
	return len == strlen(name) && memcmp(v, name, len) == 0;
}

/* "1.5 2 3": up to NOTICE_HISTORY finite numbers separated by single spaces. */
static int decode_history(struct notice *n, const char *v, size_t len, char *err, size_t errlen)
{
	char num[40];
	size_t pos = 0;

	n->nhistory = 0;
	while (pos < len) {
		const char *sp = memchr(v + pos, ' ', len - pos);
		size_t w = sp != NULL ? (size_t)(sp - (v + pos)) : len - pos;
		char *end;
		double x;

		if (w == 0 || w >= sizeof num || n->nhistory == NOTICE_HISTORY)
			return errbuf_fail(err, errlen, "bad history: not up to %d numbers",
			                   NOTICE_HISTORY);
		memcpy(num, v + pos, w);
		num[w] = '\0';
		x = strtod(num, &end);
		if (*end != '\0' || !isfinite(x))
			return errbuf_fail(err, errlen, "bad history: '%s' is not a number", num);
		n->history[n->nhistory++] = x;
		pos += w + (sp != NULL);
	}
	return 0;
}

static int decode_value(struct notice *n, const struct key *k, const char *v, size_t len, char *err,
                        size_t errlen)
{
	char *field = (char *)n + k->off, text[TEXT_MAX];
	uint64_t u;
	int64_t i;
	long tlen;

	switch (k->type) {
	case K_VERSION:
		if (!parse_name(v, len, "1"))
			return errbuf_fail(err, errlen, "unsupported payload version '%.*s'",
			                   (int)(len > 20 ? 20 : len), v);
		return 0;
	case K_KIND:
		for (unsigned kind = 0; kind <= NOTICE_TEST; kind++)
			if (parse_name(v, len, kind_names[kind])) {
				n->kind = (enum notice_kind)kind;
				return 0;
			}
		return errbuf_fail(err, errlen, "bad kind: not a notice kind");
	case K_U64:
		if (!parse_u64(v, len, &u))
			return errbuf_fail(err, errlen, "bad %s: not an unsigned 64-bit number",
			                   k->name);
		memcpy(field, &u, sizeof u);
		return 0;
	case K_I64:
		/* time_left: -1 (unknown) or a count of seconds */
		if (!parse_i64(v, len, &i) || (k->off == FIELD(time_left) && i < -1))
			return errbuf_fail(err, errlen, "bad %s: not a number in range", k->name);
		memcpy(field, &i, sizeof i);
		return 0;
	case K_STATE:
		for (unsigned st = RULES_OK; st <= RULES_UNKNOWN; st++)
			if (parse_name(v, len, rules_state_name((enum rules_state)st))) {
				*(enum rules_state *)(void *)field = (enum rules_state)st;
				return 0;
			}
		return errbuf_fail(err, errlen, "bad %s: not OK, WARNING, CRITICAL or UNKNOWN",
		                   k->name);
	case K_TEXT:
		tlen = unescape(v, len, text, k->size);
		if (tlen == -1)
			return errbuf_fail(err, errlen, "bad %s: '\\' not followed by '\\'",
			                   k->name);
		if (tlen < 0)
			return errbuf_fail(err, errlen, "bad %s: longer than %zu bytes", k->name,
			                   k->size - 1);
		if (!set_text_exact(field, k->size, text, (size_t)tlen))
			return errbuf_fail(err, errlen,
			                   "bad %s: control character or invalid UTF-8", k->name);
		return 0;
	case K_HISTORY:
		return decode_history(n, v, len, err, errlen);
	}
	return 0;
}

/* Decode one "key value" line LINE[0..LEN) (line number NO). SEEN marks the
 * known keys met so far. */
static int decode_line(struct notice *n, const char *line, size_t len, size_t no, bool *seen,
                       char *err, size_t errlen)
{
	const char *sp = memchr(line, ' ', len);
	size_t klen;

	if (sp == NULL || sp == line)
		return errbuf_fail(err, errlen, "line %zu: no key, or no space after it", no);
	klen = (size_t)(sp - line);
	for (size_t i = 0; i < NKEYS; i++) {
		if (!parse_name(line, klen, keys[i].name))
			continue;
		if (seen[i])
			return errbuf_fail(err, errlen, "line %zu: duplicate key %s", no,
			                   keys[i].name);
		seen[i] = true;
		return decode_value(n, &keys[i], sp + 1, len - klen - 1, err, errlen);
	}
	return 0; /* unknown key: written by a newer daemon */
}

int notice_decode(const char *buf, size_t len, struct notice *n, char *err, size_t errlen)
{
	bool seen[NKEYS] = {false};
	const char *nul = memchr(buf, '\0', len);
	size_t pos = 0, no = 0;

	memset(n, 0, sizeof *n);
	n->time_left = -1;
	if (nul != NULL)
		return errbuf_fail(err, errlen, "NUL byte at offset %zu", (size_t)(nul - buf));
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;

		if (decode_line(n, buf + pos, end - pos, ++no, seen, err, errlen) < 0)
			return -1;
		pos = end + 1;
	}
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].required && !seen[i])
			return errbuf_fail(err, errlen, "missing %s", keys[i].name);
	return 0;
}
