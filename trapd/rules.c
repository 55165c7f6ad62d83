/*
 * rules.c - the per-service state machine: results in, notifications out.
 *
 * Each call works in the same order, so that its events come out in an order
 * a reader expects: a result first ends staleness, then joins the history;
 * the breach and sustained state are updated, flapping is judged on the new
 * history, and last the notified state is brought in line with the sustained
 * one (unless flapping) and a due reminder is sent.  That last step is the
 * whole notification logic: "notify whenever the sustained state differs from
 * the notified one" also covers WARNING -> CRITICAL and the catch-up after
 * flapping stops.
 *
 * The persisted line is written and read from one table of fields, so the two
 * cannot drift apart; the decoder then checks the invariants the machine
 * keeps, so a corrupt line is refused rather than acted upon.
 */
#include "rules.h"

#include "errbuf.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FLAP_CHANGES (RULES_FLAP_RESULTS - 1)

static unsigned sat_inc(unsigned v)
{
	return v == UINT_MAX ? v : v + 1;
}

/* Seconds from FROM to TO, without integer overflow. */
static double elapsed(int64_t from, int64_t to)
{
	return (double)to - (double)from;
}

/* T + SECS (SECS >= 0, whole), or INT64_MAX when that does not fit. */
static int64_t later(int64_t t, double secs)
{
	if (secs >= 9.0e18 || t > INT64_MAX - (int64_t)secs)
		return INT64_MAX;
	return t + (int64_t)secs;
}

static uint64_t new_id(uint64_t *next_id)
{
	if (*next_id == 0)
		*next_id = 1;
	return (*next_id)++;
}

/* --- history: 2 bits per result, newest in the low bits --- */

static void hist_push(struct rules_service *s, enum rules_state st)
{
	s->hist[1] = s->hist[1] << 2 | s->hist[0] >> 62;
	s->hist[0] = s->hist[0] << 2 | (uint64_t)st;
	if (s->nhist < RULES_HISTORY)
		s->nhist++;
}

/* The state K results back (0 = the latest); K < nhist. */
static enum rules_state hist_at(const struct rules_service *s, unsigned k)
{
	return (enum rules_state)(s->hist[k / 32] >> (2 * (k % 32)) & 3);
}

/* How many of the last N known results are OK / non-OK. */
static unsigned count_ok(const struct rules_service *s, unsigned n)
{
	unsigned ok = 0;

	if (n > s->nhist)
		n = s->nhist;
	for (unsigned k = 0; k < n; k++)
		ok += hist_at(s, k) == RULES_OK;
	return ok;
}

static unsigned count_bad(const struct rules_service *s, unsigned n)
{
	if (n > s->nhist)
		n = s->nhist;
	return n - count_ok(s, n);
}

double rules_flap_percent(const struct rules_service *s)
{
	unsigned n = s->nhist < RULES_FLAP_RESULTS ? s->nhist : RULES_FLAP_RESULTS;
	double sum = 0;

	/* Change k (0 = the latest) lies between results k and k + 1. */
	for (unsigned k = 0; k + 1 < n; k++)
		if (hist_at(s, k) != hist_at(s, k + 1))
			sum += 1.2 - 0.4 * k / (FLAP_CHANGES - 1);
	return 100.0 * sum / FLAP_CHANGES;
}

/* --- the learned reporting interval --- */

static void learn_interval(struct rules_service *s, int64_t now)
{
	int64_t d = now - s->last_result;

	/* Not across a restart (watch_from moved past the last result). */
	if (s->nhist == 0 || s->watch_from != s->last_result || now <= s->last_result)
		return;
	if (s->nintervals == RULES_INTERVALS) {
		memmove(s->intervals, s->intervals + 1,
		        sizeof s->intervals - sizeof s->intervals[0]);
		s->nintervals--;
	}
	s->intervals[s->nintervals++] = d > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static double median_interval(const struct rules_service *s)
{
	uint32_t v[RULES_INTERVALS];
	unsigned n = s->nintervals;

	memcpy(v, s->intervals, n * sizeof v[0]);
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint32_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return ((double)v[(n - 1) / 2] + (double)v[n / 2]) / 2;
}

double rules_stale_limit(const struct rules_service *s, const struct rules_policy *p)
{
	double lim;

	if (p->stale_after > 0)
		return p->stale_after;
	if (p->stale_after < 0 || s->nintervals < RULES_LEARN_MIN)
		return -1;
	lim = RULES_STALE_FACTOR * median_interval(s);
	return lim < RULES_STALE_MIN ? RULES_STALE_MIN : lim;
}

/* --- events --- */

/* Where one call writes its events. */
struct emitter {
	struct rules_event *out;
	size_t n;
	int64_t now;
	uint64_t *next_id;
};

/* Append an event; its state is S's sustained state as it stands. */
static void emit(struct emitter *e, const struct rules_service *s, enum rules_event_kind kind,
                 enum rules_state previous, int64_t since, uint64_t id)
{
	if (e->n >= RULES_MAX_EVENTS)
		return; /* cannot happen: see RULES_MAX_EVENTS */
	e->out[e->n++] = (struct rules_event){
	        .kind = kind,
	        .state = s->state,
	        .previous = previous,
	        .at = e->now,
	        .since = since,
	        .id = id,
	};
}

static bool renotify_applies(const struct rules_service *s, const struct rules_policy *p)
{
	return s->notified != RULES_OK && !s->flapping && p->renotify > 0;
}

static void renotify(struct emitter *e, struct rules_service *s, const struct rules_policy *p)
{
	if (!renotify_applies(s, p) || elapsed(s->notified_at, e->now) < p->renotify)
		return;
	s->notified_at = e->now;
	emit(e, s, RULES_RENOTIFY, s->notified, s->problem_since, s->problem_id);
}

/* Notify the sustained state when it differs from the notified one. */
static void sync_notified(struct emitter *e, struct rules_service *s)
{
	enum rules_state prev = s->notified;

	if (s->flapping || s->state == prev)
		return;
	if (s->state == RULES_OK) {
		emit(e, s, RULES_RECOVERY, prev, s->problem_since, s->problem_id);
		s->notified = RULES_OK;
		s->problem_id = 0;
		s->problem_since = 0;
		return;
	}
	if (prev == RULES_OK) {
		s->problem_id = new_id(e->next_id);
		s->problem_since = s->breach_since;
	}
	s->notified = s->state;
	s->notified_at = e->now;
	emit(e, s, RULES_PROBLEM, prev, s->problem_since, s->problem_id);
}

static void judge_flapping(struct emitter *e, struct rules_service *s, const struct rules_policy *p)
{
	bool on = p->flap_high > 0;
	double pct = rules_flap_percent(s);

	if (!s->flapping && on && pct > p->flap_high) {
		s->flapping = true;
		s->flap_id = new_id(e->next_id);
		s->flap_since = e->now;
		emit(e, s, RULES_FLAP_START, s->notified, s->flap_since, s->flap_id);
	} else if (s->flapping && (!on || pct < p->flap_low)) {
		emit(e, s, RULES_FLAP_STOP, s->notified, s->flap_since, s->flap_id);
		s->flapping = false;
		s->flap_id = 0;
		s->flap_since = 0;
	}
}

/* --- breach and sustained state --- */

/* A non-OK result just joined the breach: is it sustained now? */
static bool sustains(const struct rules_service *s, const struct rules_policy *p, int64_t now)
{
	bool any = false;

	if (p->sustain_count > 0) {
		any = true;
		if (s->bad_run >= p->sustain_count)
			return true;
	}
	if (p->window_n > 0) {
		any = true;
		if (count_bad(s, p->window_n) >= p->window_m)
			return true;
	}
	if (p->sustain_for > 0) {
		any = true;
		if (elapsed(s->breach_since, now) >= p->sustain_for)
			return true;
	}
	return !any;
}

/* An OK result just joined an unsustained breach: does it end it? Only when
 * the breach's OKs within the window exceed the window's tolerance. */
static bool breach_broken(const struct rules_service *s, const struct rules_policy *p)
{
	unsigned n = p->window_n;

	if (n == 0)
		return true;
	if (n > s->breach_len)
		n = s->breach_len;
	return (long long)count_ok(s, n) > (long long)p->window_n - (long long)p->window_m;
}

static void end_breach(struct rules_service *s)
{
	s->state = RULES_OK;
	s->breach_len = 0;
	s->breach_since = 0;
}

static void judge_breach(struct rules_service *s, const struct rules_policy *p, enum rules_state st,
                         int64_t now)
{
	unsigned k = p->recover_count > 0 ? p->recover_count : 1;

	if (st != RULES_OK) {
		s->bad_run = sat_inc(s->bad_run);
		s->ok_run = 0;
		if (s->breach_len == 0)
			s->breach_since = now;
		s->breach_len = sat_inc(s->breach_len);
		if (s->state != RULES_OK || sustains(s, p, now))
			s->state = st;
		return;
	}
	s->ok_run = sat_inc(s->ok_run);
	s->bad_run = 0;
	if (s->breach_len == 0)
		return;
	s->breach_len = sat_inc(s->breach_len);
	if (s->state != RULES_OK ? s->ok_run >= k : breach_broken(s, p))
		end_breach(s);
}

/* --- the public steps --- */

int rules_policy_check(const struct rules_policy *p, char *err, size_t errlen)
{
	if ((p->window_m == 0) != (p->window_n == 0))
		return errbuf_fail(err, errlen, "window: give both M and N, or neither");
	if (p->window_n > RULES_HISTORY)
		return errbuf_fail(err, errlen, "window: N (%u) is more than %d", p->window_n,
		                   RULES_HISTORY);
	if (p->window_m > p->window_n)
		return errbuf_fail(err, errlen, "window: M (%u) is more than N (%u)", p->window_m,
		                   p->window_n);
	if (!isfinite(p->sustain_for) || p->sustain_for < 0)
		return errbuf_fail(err, errlen, "sustain duration must be a finite number >= 0");
	if (!isfinite(p->renotify) || p->renotify < 0)
		return errbuf_fail(err, errlen,
		                   "renotification interval must be a finite number >= 0");
	if (!isfinite(p->stale_after))
		return errbuf_fail(err, errlen, "stale limit must be a finite number");
	if (!isfinite(p->flap_low) || !isfinite(p->flap_high) || p->flap_low < 0 ||
	    p->flap_high > 100)
		return errbuf_fail(err, errlen,
		                   "flapping thresholds must be percentages (0 to 100)");
	if (p->flap_high > 0 && p->flap_low == 0)
		return errbuf_fail(err, errlen,
		                   "flapping: a low threshold of 0 would never end it");
	if (p->flap_low > p->flap_high)
		return errbuf_fail(err, errlen,
		                   "flapping: low threshold (%g) above the high one (%g)",
		                   p->flap_low, p->flap_high);
	return 0;
}

void rules_init(struct rules_service *s, int64_t now)
{
	memset(s, 0, sizeof *s);
	s->state = RULES_OK;
	s->notified = RULES_OK;
	s->watch_from = now;
}

void rules_resume(struct rules_service *s, int64_t now)
{
	/* While stale, STALE_END will report since when (watch_from). */
	if (!s->stale && now > s->watch_from)
		s->watch_from = now;
}

size_t rules_result(struct rules_service *s, const struct rules_policy *p, enum rules_state st,
                    int64_t now, uint64_t *next_id, struct rules_event out[RULES_MAX_EVENTS])
{
	struct emitter e = {.out = out, .now = now, .next_id = next_id};

	if ((unsigned)st > RULES_UNKNOWN)
		st = RULES_UNKNOWN;
	if (s->stale) {
		emit(&e, s, RULES_STALE_END, s->notified, s->watch_from, s->stale_id);
		s->stale = false;
		s->stale_id = 0;
	}
	learn_interval(s, now);
	hist_push(s, st);
	s->last_result = now;
	s->watch_from = now;
	judge_breach(s, p, st, now);
	judge_flapping(&e, s, p);
	sync_notified(&e, s);
	renotify(&e, s, p);
	return e.n;
}

size_t rules_tick(struct rules_service *s, const struct rules_policy *p, int64_t now,
                  uint64_t *next_id, struct rules_event out[RULES_MAX_EVENTS])
{
	struct emitter e = {.out = out, .now = now, .next_id = next_id};
	double lim = rules_stale_limit(s, p);

	if (!s->stale && lim >= 0 && elapsed(s->watch_from, now) > lim) {
		s->stale = true;
		s->stale_id = new_id(next_id);
		emit(&e, s, RULES_STALE, s->notified, s->watch_from, s->stale_id);
	}
	renotify(&e, s, p);
	return e.n;
}

int64_t rules_deadline(const struct rules_service *s, const struct rules_policy *p)
{
	int64_t d = INT64_MAX, t;
	double lim = rules_stale_limit(s, p);

	if (!s->stale && lim >= 0)
		d = later(s->watch_from, floor(lim) + 1);
	if (renotify_applies(s, p)) {
		t = later(s->notified_at, ceil(p->renotify));
		if (t < d)
			d = t;
	}
	return d;
}

const char *rules_state_name(enum rules_state st)
{
	static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

	return (unsigned)st <= RULES_UNKNOWN ? names[st] : "UNKNOWN";
}

const char *rules_event_name(enum rules_event_kind kind)
{
	static const char *const names[] = {"problem",   "recovery", "renotify", "flap-start",
	                                    "flap-stop", "stale",    "stale-end"};

	return (unsigned)kind <= RULES_STALE_END ? names[kind] : "?";
}

/* --- persistence: one table drives both directions --- */

enum field_type {
	F_HIST,      /* states oldest first as digits 0-3, "-" when none */
	F_COUNT,     /* unsigned */
	F_TIME,      /* int64_t, >= 0 */
	F_STATE,     /* enum rules_state, 0-3 */
	F_ID,        /* uint64_t */
	F_BOOL,      /* 0 or 1 */
	F_INTERVALS, /* seconds oldest first, comma separated, "-" when none */
};

struct field {
	const char *key;
	enum field_type type;
	size_t off;
};

#define FIELD(key, type, member)                                                                   \
	{                                                                                          \
		key, type, offsetof(struct rules_service, member)                                  \
	}

static const struct field fields[] = {
        FIELD("hist", F_HIST, hist),
        FIELD("bad", F_COUNT, bad_run),
        FIELD("ok", F_COUNT, ok_run),
        FIELD("blen", F_COUNT, breach_len),
        FIELD("bsince", F_TIME, breach_since),
        FIELD("state", F_STATE, state),
        FIELD("notified", F_STATE, notified),
        FIELD("pid", F_ID, problem_id),
        FIELD("psince", F_TIME, problem_since),
        FIELD("nat", F_TIME, notified_at),
        FIELD("flap", F_BOOL, flapping),
        FIELD("fid", F_ID, flap_id),
        FIELD("fsince", F_TIME, flap_since),
        FIELD("stale", F_BOOL, stale),
        FIELD("sid", F_ID, stale_id),
        FIELD("last", F_TIME, last_result),
        FIELD("watch", F_TIME, watch_from),
        FIELD("ivl", F_INTERVALS, intervals),
};

#define NFIELDS (sizeof fields / sizeof fields[0])

/* An snprintf-style appender: POS counts what would have been written. */
struct sink {
	char *buf;
	size_t len;
	size_t pos;
};

static void put(struct sink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct sink *k, const char *fmt, ...)
{
	va_list ap;
	size_t room = k->pos < k->len ? k->len - k->pos : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? k->buf + k->pos : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		k->pos += (size_t)n;
}

static void put_field(struct sink *k, const struct field *f, const struct rules_service *s)
{
	const char *m = (const char *)s + f->off;

	put(k, " %s=", f->key);
	switch (f->type) {
	case F_HIST:
		for (unsigned i = s->nhist; i > 0; i--)
			put(k, "%d", (int)hist_at(s, i - 1));
		if (s->nhist == 0)
			put(k, "-");
		break;
	case F_COUNT:
		put(k, "%u", *(const unsigned *)(const void *)m);
		break;
	case F_TIME:
		put(k, "%" PRId64, *(const int64_t *)(const void *)m);
		break;
	case F_STATE:
		put(k, "%d", (int)*(const enum rules_state *)(const void *)m);
		break;
	case F_ID:
		put(k, "%" PRIu64, *(const uint64_t *)(const void *)m);
		break;
	case F_BOOL:
		put(k, "%d", *(const bool *)(const void *)m ? 1 : 0);
		break;
	case F_INTERVALS:
		for (unsigned i = 0; i < s->nintervals; i++)
			put(k, "%s%" PRIu32, i ? "," : "", s->intervals[i]);
		if (s->nintervals == 0)
			put(k, "-");
		break;
	}
}

int rules_encode(const struct rules_service *s, char *buf, size_t len)
{
	struct sink k = {.buf = buf, .len = len};

	if (len > 0)
		buf[0] = '\0';
	put(&k, "v1");
	for (size_t i = 0; i < NFIELDS; i++)
		put_field(&k, &fields[i], s);
	return k.pos > INT_MAX ? INT_MAX : (int)k.pos;
}

/* A decimal number of N characters at V, at most MAX: no sign, no leading
 * zero, nothing else. Returns 0 or -1 with a reason naming KEY. */
static int parse_num(const char *key, const char *v, size_t n, uint64_t max, uint64_t *out,
                     char *err, size_t errlen)
{
	uint64_t x = 0;
	int shown = n > 24 ? 24 : (int)n;

	if (n == 0)
		return errbuf_fail(err, errlen, "%s: empty value", key);
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return errbuf_fail(err, errlen, "%s: '%.*s' is not a number", key, shown,
			                   v);
	if (n > 1 && v[0] == '0')
		return errbuf_fail(err, errlen, "%s: '%.*s' has a leading zero", key, shown, v);
	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(v[i] - '0');

		if (x > max / 10 || d > max - x * 10)
			return errbuf_fail(err, errlen, "%s: '%.*s' is out of range", key, shown,
			                   v);
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

static int parse_hist(const char *v, size_t n, struct rules_service *s, char *err, size_t errlen)
{
	if (n == 1 && v[0] == '-')
		return 0;
	if (n == 0 || n > RULES_HISTORY)
		return errbuf_fail(err, errlen, "hist: %zu results, expected 1 to %d or '-'", n,
		                   RULES_HISTORY);
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '3')
			return errbuf_fail(err, errlen, "hist: '%c' is not a state (0 to 3)", v[i]);
		hist_push(s, (enum rules_state)(v[i] - '0'));
	}
	return 0;
}

static int parse_intervals(const char *v, size_t n, struct rules_service *s, char *err,
                           size_t errlen)
{
	size_t i = 0, w;
	uint64_t x;

	if (n == 1 && v[0] == '-')
		return 0;
	for (;;) {
		w = strcspn(v + i, ",");
		if (w > n - i)
			w = n - i;
		if (s->nintervals == RULES_INTERVALS)
			return errbuf_fail(err, errlen, "ivl: more than %d intervals",
			                   RULES_INTERVALS);
		if (parse_num("ivl", v + i, w, UINT32_MAX, &x, err, errlen) != 0)
			return -1;
		if (x == 0)
			return errbuf_fail(err, errlen, "ivl: an interval of 0 seconds");
		s->intervals[s->nintervals++] = (uint32_t)x;
		i += w;
		if (i == n)
			return 0;
		i++; /* the comma */
		if (i == n)
			return errbuf_fail(err, errlen, "ivl: ends with a comma");
	}
}

static int get_field(const struct field *f, const char *v, size_t n, struct rules_service *s,
                     char *err, size_t errlen)
{
	static const uint64_t max[] = {
	        [F_COUNT] = UINT_MAX, [F_TIME] = INT64_MAX, [F_STATE] = RULES_UNKNOWN,
	        [F_ID] = UINT64_MAX,  [F_BOOL] = 1,
	};
	char *m = (char *)s + f->off;
	uint64_t x;

	if (f->type == F_HIST)
		return parse_hist(v, n, s, err, errlen);
	if (f->type == F_INTERVALS)
		return parse_intervals(v, n, s, err, errlen);
	if (parse_num(f->key, v, n, max[f->type], &x, err, errlen) != 0)
		return -1;
	switch (f->type) {
	case F_COUNT:
		*(unsigned *)(void *)m = (unsigned)x;
		break;
	case F_TIME:
		*(int64_t *)(void *)m = (int64_t)x;
		break;
	case F_STATE:
		*(enum rules_state *)(void *)m = (enum rules_state)x;
		break;
	case F_ID:
		*(uint64_t *)(void *)m = x;
		break;
	default:
		*(bool *)(void *)m = x == 1;
		break;
	}
	return 0;
}

/* The invariants rules_result() and rules_tick() keep. */
static int check_state(const struct rules_service *s, char *err, size_t errlen)
{
	bool newest_bad = s->nhist > 0 && hist_at(s, 0) != RULES_OK;

	if (s->nhist == 0 && (s->bad_run || s->ok_run || s->breach_len))
		return errbuf_fail(err, errlen, "counters set without any result");
	if (s->nhist > 0 &&
	    (newest_bad ? s->bad_run == 0 || s->ok_run : s->ok_run == 0 || s->bad_run))
		return errbuf_fail(err, errlen, "bad/ok runs disagree with the latest result");
	if (s->bad_run > s->breach_len)
		return errbuf_fail(err, errlen, "a run of %u non-OK results in a breach of %u",
		                   s->bad_run, s->breach_len);
	if (s->state != RULES_OK && s->breach_len == 0)
		return errbuf_fail(err, errlen, "sustained state without a breach");
	if (!s->flapping && s->notified != s->state)
		return errbuf_fail(err, errlen,
		                   "notified state differs from the sustained one, not flapping");
	if ((s->notified != RULES_OK) != (s->problem_id != 0))
		return errbuf_fail(err, errlen, "a notified problem needs an id, and only then");
	if (s->flapping != (s->flap_id != 0))
		return errbuf_fail(err, errlen, "flapping needs an id, and only then");
	if (s->stale != (s->stale_id != 0))
		return errbuf_fail(err, errlen, "staleness needs an id, and only then");
	return 0;
}

/* Expect " KEY=" at *P; point *V and *N at the value and move *P past it. */
static int next_value(const char **p, const char *key, const char **v, size_t *n, char *err,
                      size_t errlen)
{
	size_t klen = strlen(key);
	const char *q = *p;

	if (*q == '\0')
		return errbuf_fail(err, errlen, "truncated: '%s=' is missing", key);
	if (*q != ' ' || strncmp(q + 1, key, klen) != 0 || q[1 + klen] != '=')
		return errbuf_fail(err, errlen, "expected ' %s=' at '%.20s'", key, q);
	*v = q + 2 + klen;
	*n = strcspn(*v, " ");
	*p = *v + *n;
	return 0;
}

int rules_decode(const char *line, struct rules_service *s, char *err, size_t errlen)
{
	char buf[RULES_LINE_MAX];
	size_t len = strlen(line);
	struct rules_service t;
	const char *p = buf, *v = NULL;
	size_t n = 0;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len >= sizeof buf)
		return errbuf_fail(err, errlen, "line too long (%zu characters)", len);
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (strncmp(buf, "v1", 2) != 0 || (buf[2] != ' ' && buf[2] != '\0'))
		return errbuf_fail(err, errlen, "version '%.*s' not supported (expected v1)",
		                   (int)strcspn(buf, " "), buf);
	rules_init(&t, 0);
	p += 2;
	for (size_t i = 0; i < NFIELDS; i++)
		if (next_value(&p, fields[i].key, &v, &n, err, errlen) != 0 ||
		    get_field(&fields[i], v, n, &t, err, errlen) != 0)
			return -1;
	if (*p != '\0')
		return errbuf_fail(err, errlen, "unexpected '%.20s' after the last field", p);
	if (check_state(&t, err, errlen) != 0)
		return -1;
	*s = t;
	return 0;
}
