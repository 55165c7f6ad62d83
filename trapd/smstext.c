/*
 * smstext.c - the text of an SMS, its GSM-7 / UCS-2 cost, and the gateway
 * bodies that carry it (see smstext.h).
 *
 * Everything walks UTF-8 one character at a time (utf8_next), so a cut can
 * only ever fall between two characters; a segment count packs characters
 * into segments whole, the way a phone reassembles them.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "smstext.h"

/* ---- UTF-8 ------------------------------------------------------------------ */

/* Decode the character at S (NUL-terminated) into *CP; returns its length in
 * bytes (0 at the end).  An invalid or truncated sequence is one byte long
 * and decodes to U+FFFD with *BAD set. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp, bool *bad)
{
	size_t n, i;
	uint32_t c;

	*bad = false;
	if (s[0] == '\0')
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		goto invalid;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto invalid;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		goto invalid;
	*cp = c;
	return n;
invalid:
	*cp = 0xfffd;
	*bad = true;
	return 1;
}

/* ---- GSM 03.38 ----------------------------------------------------------------- */

/* The basic set beyond printable ASCII, in table order (0x00..0x7f). */
static const uint16_t gsm_basic_extra[] = {
        0x00a3, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec, 0x00f2, 0x00c7, /* £ ¥ è é ù ì ò Ç */
        0x00d8, 0x00f8, 0x00c5, 0x00e5, 0x0394, 0x03a6, 0x0393, 0x039b, /* Ø ø Å å Δ Φ Γ Λ */
        0x03a9, 0x03a0, 0x03a8, 0x03a3, 0x0398, 0x039e, 0x00c6, 0x00e6, /* Ω Π Ψ Σ Θ Ξ Æ æ */
        0x00df, 0x00c9, 0x00a4, 0x00a1, 0x00c4, 0x00d6, 0x00d1, 0x00dc, /* ß É ¤ ¡ Ä Ö Ñ Ü */
        0x00a7, 0x00bf, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,         /* § ¿ ä ö ñ ü à */
};

/* Septets CP takes in GSM-7: 1 (basic set), 2 (extension table), 0 (none). */
static unsigned gsm_septets(uint32_t cp)
{
	if (cp == '\n' || cp == '\r')
		return 1;
	if (cp == '\f' || cp == 0x20ac || (cp > 0 && cp < 0x80 && strchr("^{}\\[~]|", (int)cp)))
		return 2;
	if (cp >= 0x20 && cp < 0x7f)
		return cp == '`' ? 0 : 1;
	for (size_t i = 0; i < sizeof(gsm_basic_extra) / sizeof(gsm_basic_extra[0]); i++)
		if (gsm_basic_extra[i] == cp)
			return 1;
	return 0;
}

/* Units CP takes in CODING (GSM-7: 0 when it cannot be written). */
static unsigned char_units(uint32_t cp, enum smstext_coding coding)
{
	if (coding == SMSTEXT_GSM7)
		return gsm_septets(cp);
	return cp > 0xffff ? 2 : 1;
}

/* ---- segments ------------------------------------------------------------------ */

/* Characters packed into segments as they are added. */
struct pack {
	enum smstext_coding coding;
	size_t units; /* all of them */
	size_t segs;  /* segments of a concatenated message, >= 1 */
	size_t used;  /* units in the last of them */
};

static void pack_init(struct pack *p, enum smstext_coding coding)
{
	p->coding = coding;
	p->units = 0;
	p->segs = 1;
	p->used = 0;
}

static void pack_add(struct pack *p, unsigned units)
{
	size_t per = p->coding == SMSTEXT_GSM7 ? SMSTEXT_GSM7_MULTI : SMSTEXT_UCS2_MULTI;

	p->units += units;
	if (p->used + units > per) {
		p->segs++;
		p->used = units;
	} else {
		p->used += units;
	}
}

static size_t pack_segments(const struct pack *p)
{
	size_t single = p->coding == SMSTEXT_GSM7 ? SMSTEXT_GSM7_SINGLE : SMSTEXT_UCS2_SINGLE;

	return p->units <= single ? 1 : p->segs;
}

struct smstext_count smstext_count(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	struct smstext_count c = {.coding = SMSTEXT_GSM7};
	struct pack p;
	uint32_t cp;
	bool bad;
	size_t n;

	for (size_t i = 0; (n = utf8_next(u + i, &cp, &bad)) > 0; i += n)
		if (bad || gsm_septets(cp) == 0) {
			c.coding = SMSTEXT_UCS2;
			break;
		}
	pack_init(&p, c.coding);
	for (size_t i = 0; (n = utf8_next(u + i, &cp, &bad)) > 0; i += n)
		pack_add(&p, char_units(cp, c.coding));
	c.units = p.units;
	c.segments = pack_segments(&p);
	return c;
}

/* ---- shortening ------------------------------------------------------------------ */

#define ELLIPSIS_GSM7 "..."
#define ELLIPSIS_UCS2 "\xe2\x80\xa6" /* U+2026 */

/* The longest prefix of S (in bytes) that CODING can write and that, with
 * CODING's ellipsis appended, takes at most MAXSEG segments and fits SIZE. */
static size_t fit_prefix(const char *s, enum smstext_coding coding, unsigned maxseg, size_t size)
{
	const unsigned char *u = (const unsigned char *)s;
	const char *ell = coding == SMSTEXT_GSM7 ? ELLIPSIS_GSM7 : ELLIPSIS_UCS2;
	unsigned ell_units = coding == SMSTEXT_GSM7 ? 3 : 1;
	size_t best = 0, i = 0, n;
	struct pack p;
	uint32_t cp;
	bool bad;

	pack_init(&p, coding);
	while ((n = utf8_next(u + i, &cp, &bad)) > 0) {
		unsigned units = bad ? (coding == SMSTEXT_GSM7 ? 0 : 1) : char_units(cp, coding);
		struct pack with;

		if (units == 0)
			break;
		pack_add(&p, units);
		with = p;
		for (unsigned k = 0; k < ell_units; k++)
			pack_add(&with, 1);
		if (pack_segments(&with) > maxseg || i + n + strlen(ell) + 1 > size)
			break;
		i += n;
		best = i;
	}
	return best;
}

bool smstext_fit(char *s, size_t size, unsigned max_segments)
{
	size_t gsm, ucs, keep;
	const char *ell;

	if (max_segments == 0)
		max_segments = 1;
	if (smstext_count(s).segments <= max_segments && strlen(s) < size)
		return false;
	gsm = fit_prefix(s, SMSTEXT_GSM7, max_segments, size);
	ucs = fit_prefix(s, SMSTEXT_UCS2, max_segments, size);
	keep = gsm >= ucs ? gsm : ucs;
	ell = gsm >= ucs ? ELLIPSIS_GSM7 : ELLIPSIS_UCS2;
	while (keep > 0 && s[keep - 1] == ' ')
		keep--;
	if (keep + strlen(ell) + 1 > size) { /* SIZE too small for even the ellipsis */
		keep = 0;
		ell = "";
	}
	memcpy(s + keep, ell, strlen(ell) + 1);
	return true;
}

/* ---- rendering ------------------------------------------------------------------ */

/* "45s", "12m", "3h 5m", "2d 3h". */
static void fmt_duration(char *buf, size_t len, int64_t secs)
{
	static const struct {
		int64_t size;
		char unit;
	} u[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	size_t i = 0;

	if (secs < 0)
		secs = 0;
	while (i < 3 && secs < u[i].size)
		i++;
	if (i < 3 && secs % u[i].size / u[i + 1].size > 0)
		snprintf(buf, len, "%" PRId64 "%c %" PRId64 "%c", secs / u[i].size, u[i].unit,
		         secs % u[i].size / u[i + 1].size, u[i + 1].unit);
	else
		snprintf(buf, len, "%" PRId64 "%c", secs / u[i].size, u[i].unit);
}

static const char *short_state(enum rules_state st)
{
	switch (st) {
	case RULES_OK:
		return "OK";
	case RULES_WARNING:
		return "WARN";
	case RULES_CRITICAL:
		return "CRIT";
	case RULES_UNKNOWN:
		break;
	}
	return "UNKN";
}

/* The word a digest item starts with. */
static const char *short_label(const struct notice *n)
{
	switch (n->kind) {
	case NOTICE_PROBLEM:
	case NOTICE_RENOTIFY:
		return short_state(n->state);
	case NOTICE_RECOVERY:
		return "OK";
	case NOTICE_FLAP_START:
		return "FLAP";
	case NOTICE_FLAP_STOP:
		return "FLAP END";
	case NOTICE_STALE:
		return "STALE";
	case NOTICE_STALE_END:
		return "FRESH";
	case NOTICE_TEST:
		break;
	}
	return "TEST";
}

/* ": full in 2d 3h (OUTPUT)", ": OUTPUT" or "" for a problem. */
static void problem_detail(const struct notice *n, char *buf, size_t len)
{
	char dur[32];

	if (n->time_left < 0) {
		snprintf(buf, len, "%s%s", n->output[0] != '\0' ? ": " : "", n->output);
		return;
	}
	if (n->time_left == 0)
		snprintf(dur, sizeof(dur), "now");
	else {
		char d[24];

		fmt_duration(d, sizeof(d), n->time_left);
		snprintf(dur, sizeof(dur), "in %s", d);
	}
	if (n->output[0] != '\0')
		snprintf(buf, len, ": full %s (%s)", dur, n->output);
	else
		snprintf(buf, len, ": full %s", dur);
}

/* One notice in full, into BUF (large enough for every field). */
static void render_one(const struct notice *n, char *buf, size_t len)
{
	char detail[NOTICE_OUTPUT_MAX + 64] = "", was[32] = "";
	const char *head;

	switch (n->kind) {
	case NOTICE_PROBLEM:
	case NOTICE_RENOTIFY:
		problem_detail(n, detail, sizeof(detail));
		if (n->kind == NOTICE_PROBLEM && n->previous != RULES_OK)
			snprintf(was, sizeof(was), " (was %s)", rules_state_name(n->previous));
		snprintf(buf, len, "%s%s %s %s%s%s", n->kind == NOTICE_RENOTIFY ? "STILL " : "",
		         rules_state_name(n->state), n->host, n->service, was, detail);
		return;
	case NOTICE_STALE:
		if (n->since > 0 && n->at >= n->since) {
			char d[24];

			fmt_duration(d, sizeof(d), n->at - n->since);
			snprintf(detail, sizeof(detail), ": no result for %s", d);
		}
		head = "STALE";
		break;
	case NOTICE_RECOVERY:
		head = "RECOVERED";
		break;
	case NOTICE_FLAP_START:
		head = "FLAPPING";
		break;
	case NOTICE_FLAP_STOP:
		head = "FLAPPING STOPPED";
		break;
	case NOTICE_STALE_END:
		head = "STALE ENDED";
		break;
	case NOTICE_TEST:
	default:
		head = "TEST";
		snprintf(detail, sizeof(detail), ": trendtrap test notification");
		break;
	}
	snprintf(buf, len, "%s %s %s%s", head, n->host, n->service, detail);
}

static bool fits(const char *s, unsigned max_segments, size_t len)
{
	return smstext_count(s).segments <= max_segments && strlen(s) < len;
}

/* A digest: "N alerts: ITEM; ITEM; and K more", as many items as fit. */
static void render_digest(const struct notice *const *n, size_t count, unsigned max_segments,
                          char *out, size_t len)
{
	char base[SMSTEXT_MAX], full[SMSTEXT_MAX];
	size_t used, shown = 0;

	used = (size_t)snprintf(base, sizeof(base), "%zu alerts: ", count);
	for (size_t i = 0; i < count; i++) {
		int w = snprintf(base + used, sizeof(base) - used, "%s%s %s %s", i > 0 ? "; " : "",
		                 short_label(n[i]), n[i]->host, n[i]->service);

		if (w < 0 || (size_t)w >= sizeof(base) - used)
			break;
		used += (size_t)w;
		if (i + 1 < count)
			w = snprintf(full, sizeof(full), "%s; and %zu more", base, count - i - 1);
		else
			w = snprintf(full, sizeof(full), "%s", base);
		if (w < 0 || (size_t)w >= sizeof(full) || !fits(full, max_segments, len))
			break;
		memcpy(out, full, strlen(full) + 1);
		shown = i + 1;
	}
	if (shown == 0) { /* not even one item with its "and K more": cut the first */
		snprintf(full, sizeof(full), "%zu alerts: %s %s %s", count, short_label(n[0]),
		         n[0]->host, n[0]->service);
		smstext_fit(full, len < sizeof(full) ? len : sizeof(full), max_segments);
		memcpy(out, full, strlen(full) + 1);
	}
}

size_t smstext_render(const struct notice *const *n, size_t count, unsigned max_segments, char *out,
                      size_t len)
{
	char full[SMSTEXT_MAX];

	if (max_segments == 0)
		max_segments = 1;
	if (count > 1) {
		render_digest(n, count, max_segments, out, len);
		return strlen(out);
	}
	render_one(n[0], full, sizeof(full));
	smstext_fit(full, len < sizeof(full) ? len : sizeof(full), max_segments);
	memcpy(out, full, strlen(full) + 1);
	return strlen(out);
}

/* ---- encoding ------------------------------------------------------------------ */

/* Output into a bounded buffer that counts what did not fit. */
struct writer {
	char *out;
	size_t len; /* its size; 0 = count only */
	size_t n;   /* bytes of the whole output so far */
};

static void put(struct writer *w, const char *s, size_t k)
{
	if (w->len > 0 && w->n < w->len - 1) {
		size_t room = w->len - 1 - w->n;

		memcpy(w->out + w->n, s, k < room ? k : room);
		w->out[w->n + (k < room ? k : room)] = '\0';
	}
	w->n += k;
}

static void put_pct(struct writer *w, unsigned char c)
{
	char hex[4];

	snprintf(hex, sizeof(hex), "%%%02X", c);
	put(w, hex, 3);
}

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static void encode_json(struct writer *w, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	bool bad;
	size_t n;

	for (size_t i = 0; (n = utf8_next(u + i, &cp, &bad)) > 0; i += n) {
		char esc[8];

		if (bad)
			put(w, "\\ufffd", 6);
		else if (cp == '"' || cp == '\\') {
			esc[0] = '\\';
			esc[1] = (char)cp;
			put(w, esc, 2);
		} else if (cp < 0x20 || cp == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04" PRIx32, cp);
			put(w, esc, 6);
		} else {
			put(w, s + i, n);
		}
	}
}

static void encode_url(struct writer *w, const char *s, bool form)
{
	for (const unsigned char *u = (const unsigned char *)s; *u != '\0'; u++) {
		if (is_alnum(*u) || *u == '-' || *u == '.' || *u == '_' ||
		    (form ? *u == '*' : *u == '~'))
			put(w, (const char *)u, 1);
		else if (form && *u == ' ')
			put(w, "+", 1);
		else
			put_pct(w, *u);
	}
}

/* Encode S by ENC into W; -1 when RAW meets a control character. */
static int encode_into(struct writer *w, enum smstext_enc enc, const char *s)
{
	switch (enc) {
	case SMSTEXT_JSON:
		encode_json(w, s);
		return 0;
	case SMSTEXT_FORM:
	case SMSTEXT_PATH:
		encode_url(w, s, enc == SMSTEXT_FORM);
		return 0;
	case SMSTEXT_RAW:
		break;
	}
	for (const unsigned char *u = (const unsigned char *)s; *u != '\0'; u++)
		if (*u < 0x20 || *u == 0x7f)
			return -1;
	put(w, s, strlen(s));
	return 0;
}

static int writer_result(const struct writer *w)
{
	return w->n > INT_MAX ? INT_MAX : (int)w->n;
}

int smstext_encode(enum smstext_enc enc, const char *s, char *out, size_t len)
{
	struct writer w = {out, len, 0};

	if (len > 0)
		out[0] = '\0';
	if (encode_into(&w, enc, s) < 0)
		return -1;
	return writer_result(&w);
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* The length of the placeholder name at T (just after a '{'), or 0 when T
 * does not start "name}" with NAME a C identifier (as config.c checks it). */
static size_t placeholder_len(const char *t)
{
	size_t k = 0;

	if (!is_name_start(t[0]))
		return 0;
	while (is_name_start(t[k]) || (t[k] >= '0' && t[k] <= '9'))
		k++;
	return t[k] == '}' ? k : 0;
}

int smstext_expand(const char *tmpl, enum smstext_enc enc, const struct smstext_var *vars,
                   size_t nvars, char *out, size_t len, char *err, size_t errlen)
{
	struct writer w = {out, len, 0};
	const char *t = tmpl;

	if (len > 0)
		out[0] = '\0';
	while (*t != '\0') {
		size_t k = t[0] == '{' ? placeholder_len(t + 1) : 0, v;

		if (k == 0) {
			size_t lit = 1 + strcspn(t + 1, "{");

			put(&w, t, lit);
			t += lit;
			continue;
		}
		for (v = 0; v < nvars; v++)
			if (strlen(vars[v].name) == k && memcmp(vars[v].name, t + 1, k) == 0)
				break;
		if (v == nvars) {
			snprintf(err, errlen, "unknown placeholder {%.*s}", (int)k, t + 1);
			return -1;
		}
		if (encode_into(&w, enc, vars[v].value) < 0) {
			snprintf(err, errlen, "the value of {%s} holds a control character",
			         vars[v].name);
			return -1;
		}
		t += k + 2;
	}
	return writer_result(&w);
}

int smstext_twilio_body(const char *to, const char *from, const char *text, char *out, size_t len)
{
	const struct smstext_var vars[] = {{"to", to}, {"from", from}, {"text", text}};
	char err[64];

	return smstext_expand("To={to}&From={from}&Body={text}", SMSTEXT_FORM, vars, 3, out, len,
	                      err, sizeof(err));
}

void smstext_body_vars(struct smstext_var vars[SMSTEXT_NVARS], const char *to, const char *from,
                       const char *text, const struct notice *n, char idbuf[24])
{
	snprintf(idbuf, 24, "%" PRIu64, n->id);
	vars[0] = (struct smstext_var){"to", to};
	vars[1] = (struct smstext_var){"from", from != NULL ? from : ""};
	vars[2] = (struct smstext_var){"text", text};
	vars[3] = (struct smstext_var){"host", n->host};
	vars[4] = (struct smstext_var){"service", n->service};
	vars[5] = (struct smstext_var){"state", rules_state_name(n->state)};
	vars[6] = (struct smstext_var){"kind", notice_kind_name(n->kind)};
	vars[7] = (struct smstext_var){"id", idbuf};
}
