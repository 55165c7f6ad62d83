/*
 * accesslog.c - access logs into per-bucket request and error counts.
 *
 * Speed: a run reads the log in 256 KiB pread()s, finds line ends with
 * memchr and parses only the time and the status of each line. Combined and
 * common lines cost one memchr for '[', a fixed-width time (a second's lines
 * share it: the last one is cached, then the day's number), one memchr for
 * the request's closing quote and three digits. JSON lines are walked by a
 * small scanner that stops as soon as both fields are seen. The parse costs
 * about as much as read() copying the bytes, so a long read (a first run
 * without lookback, 64 MiB or more) is split in two halves counted by two
 * threads. A first run with a lookback seeks backwards from the end in
 * blocks, doubling the step, so it reads about twice the lookback's lines
 * however long the log is.
 *
 * Rotation: the position names the file by (dev, ino) and by its first bytes
 * (head) and the bytes before the offset (tail).
 * - LOG has another inode: it was renamed and recreated. The old inode is
 *   looked for in LOG's directory; its rest is read before the new LOG.
 * - Same inode but shorter than last seen, or another head or tail: it was
 *   truncated in place (copytruncate) or replaced by a file that reused the
 *   inode. A sibling named LOG* (not compressed) with the same head and tail
 *   and at least offset bytes is the copy; its rest is read before LOG.
 * - LOG missing while the old inode is still in the directory: renamed and
 *   not yet recreated (the writer still appends to it): read it as usual.
 * When the old lines cannot be found, the note says lines may be lost.
 */
#include "accesslog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "errbuf.h"

/* Bytes per read(); a longer line is skipped as bad (nginx and Apache cap a
 * request line at 8 KiB). Larger buffers scan no faster, and a short run
 * pays for touching every page of it: 1 MiB cost 0.4 ms more per run. */
#define READ_SIZE    (256 * 1024)
#define SEEK_BLOCK   (64 * 1024)          /* bytes per backward probe of the lookback seek */
#define PARALLEL_MIN ((uint64_t)64 << 20) /* bytes to read before a second thread helps */
#define POS_MAGIC    "trendtrap accesslog position 1"
#define POS_MAX      4096 /* a position file is far smaller */

/* ---- time ------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The value of N decimal digits at S, or -1 when one is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		unsigned c = (unsigned char)s[i] - '0';

		if (c > 9)
			return -1;
		v = v * 10 + (int)c;
	}
	return v;
}

/* "Jan".."Dec" to 1..12, else 0. */
static unsigned month_number(const char *s)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	for (unsigned i = 0; i < 12; i++)
		if (memcmp(s, names + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

/* Seconds east of UTC of "+HHMM" or "+HH:MM" at S (LEN bytes used), or -1. */
static int zone_offset(const char *s, const char *end, size_t *len)
{
	int h, m;

	if (end - s < 5 || (s[0] != '+' && s[0] != '-') || (h = digits(s + 1, 2)) < 0)
		return -1;
	if (s[3] == ':') {
		if (end - s < 6 || (m = digits(s + 4, 2)) < 0)
			return -1;
		*len = 6;
	} else {
		if ((m = digits(s + 3, 2)) < 0)
			return -1;
		*len = 5;
	}
	if (h > 23 || m > 59)
		return -1;
	return (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
}

/* Seconds of "HH:MM:SS" at S, or -1. */
static int clock_seconds(const char *s)
{
	int h = digits(s, 2), m = digits(s + 3, 2), sec = digits(s + 6, 2);

	if (h < 0 || m < 0 || sec < 0 || s[2] != ':' || s[5] != ':' || h > 23 || m > 59 || sec > 60)
		return -1;
	return h * 3600 + m * 60 + sec;
}

/* ---- parsing ----------------------------------------------------------- */

/* One run's parsing state: the fields and the last date seen. */
struct parser {
	enum accesslog_format format;
	const char *sfield, *tfield; /* JSON field names */
	size_t sflen, tflen;
	char clf_stamp[26]; /* CLF time of the last line: a second's lines share it */
	int64_t clf_t;      /* its value */
	char clf_key[16];   /* CLF "dd/Mon/yyyy" and "+zzzz" of the cached date */
	int64_t clf_base;   /* its midnight in unix seconds, zone applied */
	char iso_key[10];   /* ISO "yyyy-mm-dd" of the cached date */
	int64_t iso_days;   /* its day number */
	bool clf_cached;    /* clf_stamp and clf_key hold a valid line's (not the
	                       zeroes a line of NUL bytes would match) */
	bool iso_cached;    /* iso_key holds a valid line's */
};

static void parser_init(struct parser *p, const struct accesslog_spec *spec)
{
	memset(p, 0, sizeof(*p));
	p->format = spec->format;
	p->sfield = spec->status_field != NULL ? spec->status_field : "status";
	p->tfield = spec->time_field != NULL ? spec->time_field : "time";
	p->sflen = strlen(p->sfield);
	p->tflen = strlen(p->tfield);
}

/* CLF time "dd/Mon/yyyy:HH:MM:SS +zzzz" (26 bytes at D) of a new second. */
static __attribute__((noinline)) int clf_new_time(struct parser *p, const char *d, int64_t *t)
{
	int secs;

	if ((secs = clock_seconds(d + 12)) < 0 || d[11] != ':' || d[20] != ' ')
		return -1;
	if (!p->clf_cached || memcmp(p->clf_key, d, 11) != 0 ||
	    memcmp(p->clf_key + 11, d + 21, 5) != 0) {
		int day = digits(d, 2), year = digits(d + 7, 4), zone;
		unsigned mon = month_number(d + 3);
		size_t zl;

		zone = zone_offset(d + 21, d + 26, &zl);
		if (day < 1 || day > 31 || year < 0 || mon == 0 || d[2] != '/' || d[6] != '/' ||
		    zone == -1 || zl != 5)
			return -1;
		p->clf_base = days_from_civil(year, mon, (unsigned)day) * 86400 - zone;
		memcpy(p->clf_key, d, 11);
		memcpy(p->clf_key + 11, d + 21, 5);
		p->clf_cached = true;
	}
	*t = p->clf_t = p->clf_base + secs;
	memcpy(p->clf_stamp, d, sizeof(p->clf_stamp));
	return 0;
}

/* CLF time (26 bytes at D) into *T: most lines repeat the last one's. */
static inline int clf_time(struct parser *p, const char *d, int64_t *t)
{
	if (p->clf_cached && memcmp(p->clf_stamp, d, sizeof(p->clf_stamp)) == 0) {
		*t = p->clf_t;
		return 0;
	}
	return clf_new_time(p, d, t);
}

/* Combined or common: host ident user [time] "request" status bytes ... */
static inline int parse_clf(struct parser *p, const char *l, size_t len, int64_t *t, int *status)
{
	const char *end = l + len, *q = memchr(l, '[', len), *rq, *r;
	int st;

	if (q == NULL || end - q < 28 + 2 || q[27] != ']' || clf_time(p, q + 1, t) != 0)
		return -1;
	q += 28;
	if (q[0] != ' ' || q[1] != '"')
		return -1;
	rq = q += 2;
	for (;;) { /* the closing quote: not preceded by an odd number of backslashes */
		size_t k = 0;

		if ((r = memchr(q, '"', (size_t)(end - q))) == NULL)
			return -1;
		while (r - k > rq && r[-1 - (ptrdiff_t)k] == '\\')
			k++;
		if (k % 2 == 0)
			break;
		q = r + 1;
	}
	q = r + 1;
	if (end - q < 4 || q[0] != ' ' || (st = digits(q + 1, 3)) < 100 ||
	    (end - q > 4 && q[4] != ' '))
		return -1;
	*status = st;
	return 0;
}

static const char *skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++;
	return s;
}

/* The end of the JSON string whose opening quote is at S (just past its
 * closing quote), or NULL. */
static const char *string_end(const char *s, const char *end)
{
	for (s++; s < end; s++) {
		const char *r = memchr(s, '"', (size_t)(end - s));
		size_t k = 0;

		if (r == NULL)
			return NULL;
		while (r - k > s && r[-1 - (ptrdiff_t)k] == '\\')
			k++;
		if (k % 2 == 0)
			return r + 1;
		s = r;
	}
	return NULL;
}

/* Just past the JSON value at S (a string, number, literal, object or
 * array), or NULL when it is not one. */
static const char *skip_value(const char *s, const char *end)
{
	int depth = 0;

	if (s >= end)
		return NULL;
	if (*s == '"')
		return string_end(s, end);
	if (*s != '{' && *s != '[') {
		const char *v = s;

		while (s < end && *s != ',' && *s != '}' && *s != ']' && *s != ' ' && *s != '\t' &&
		       *s != '\r')
			s++;
		return s > v ? s : NULL;
	}
	while (s < end) {
		if (*s == '"') {
			if ((s = string_end(s, end)) == NULL)
				return NULL;
			continue;
		}
		if (*s == '{' || *s == '[')
			depth++;
		else if ((*s == '}' || *s == ']') && --depth == 0)
			return s + 1;
		s++;
	}
	return NULL;
}

/* Whether the JSON key K..KE (without quotes; ESC: it holds escapes) is NAME. */
static bool key_is(const char *k, const char *ke, bool esc, const char *name, size_t nlen)
{
	char buf[128];
	size_t n = 0;

	if (!esc)
		return (size_t)(ke - k) == nlen && memcmp(k, name, nlen) == 0;
	while (k < ke && n < sizeof(buf)) { /* simple escapes and \u00XX; others never match */
		if (*k != '\\') {
			buf[n++] = *k++;
			continue;
		}
		if (ke - k >= 2 && strchr("\"\\/", k[1]) != NULL) {
			buf[n++] = k[1];
			k += 2;
		} else if (ke - k >= 6 && k[1] == 'u' && k[2] == '0' && k[3] == '0') {
			unsigned v = 0;

			for (int i = 4; i < 6; i++) {
				char c = k[i];

				v = v * 16 + (unsigned)(c >= '0' && c <= '9'   ? c - '0'
				                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
				                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
				                                               : 99);
			}
			if (v > 0x7f || v == 0)
				return false;
			buf[n++] = (char)v;
			k += 6;
		} else {
			return false;
		}
	}
	return k == ke && n == nlen && memcmp(buf, name, nlen) == 0;
}

/* Unix seconds written as digits with an optional fraction (S..E exactly). */
static int epoch_number(const char *s, const char *e, int64_t *t)
{
	int64_t v = 0;
	const char *d = s;

	while (d < e && *d >= '0' && *d <= '9' && d - s < 12)
		v = v * 10 + (*d++ - '0');
	if (d == s)
		return -1;
	if (d < e && *d == '.') {
		const char *f = ++d;

		while (d < e && *d >= '0' && *d <= '9')
			d++;
		if (d == f)
			return -1;
	}
	if (d != e)
		return -1;
	*t = v;
	return 0;
}

/* ISO 8601 "yyyy-mm-ddTHH:MM:SS[.fff](Z|+HH:MM|+HHMM)", exactly S..E. */
static int iso_time(struct parser *p, const char *s, const char *e, int64_t *t)
{
	int secs, zone = 0;
	size_t zl = 1;

	if (e - s < 20 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    (secs = clock_seconds(s + 11)) < 0)
		return -1;
	if (!p->iso_cached || memcmp(p->iso_key, s, 10) != 0) {
		int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);

		if (y < 0 || m < 1 || m > 12 || d < 1 || d > 31 || s[4] != '-' || s[7] != '-')
			return -1;
		p->iso_days = days_from_civil(y, (unsigned)m, (unsigned)d);
		memcpy(p->iso_key, s, 10);
		p->iso_cached = true;
	}
	s += 19;
	if (*s == '.' || *s == ',') {
		const char *f = ++s;

		while (s < e && *s >= '0' && *s <= '9')
			s++;
		if (s == f)
			return -1;
	}
	if (s < e && (*s == 'Z' || *s == 'z'))
		zl = 1;
	else if (s >= e || (zone = zone_offset(s, e, &zl)) == -1)
		return -1; /* no zone: local time of an unknown place */
	if (s + zl != e)
		return -1;
	*t = p->iso_days * 86400 + secs - zone;
	return 0;
}

/* The JSON time value at S..E (a string or a number). */
static int json_time(struct parser *p, const char *s, const char *e, int64_t *t)
{
	if (*s == '"') {
		if (e - s < 2 || e[-1] != '"')
			return -1;
		s++, e--;
		if (e - s >= 20 && s[4] == '-')
			return iso_time(p, s, e, t);
	}
	return epoch_number(s, e, t);
}

/* The JSON status value at S..E: 500 or "500". */
static int json_status(const char *s, const char *e)
{
	if (*s == '"') {
		if (e - s != 5 || e[-1] != '"')
			return -1;
		s++, e--;
	}
	if (e - s != 3)
		return -1;
	return digits(s, 3);
}

/* A JSON object line: the status and time fields at its top level. */
static int parse_json(struct parser *p, const char *l, size_t len, int64_t *t, int *status)
{
	const char *s = l, *end = l + len;
	bool got_t = false, got_s = false;

	s = skip_ws(s, end);
	if (s >= end || *s++ != '{')
		return -1;
	for (;;) {
		const char *k, *ke, *v;
		bool esc;

		s = skip_ws(s, end);
		if (s >= end || *s != '"' || (ke = string_end(s, end)) == NULL)
			return -1;
		k = s + 1;
		esc = memchr(k, '\\', (size_t)(ke - 1 - k)) != NULL;
		s = skip_ws(ke, end);
		if (s >= end || *s++ != ':')
			return -1;
		s = skip_ws(s, end);
		if ((v = skip_value(s, end)) == NULL)
			return -1;
		if (!got_t && key_is(k, ke - 1, esc, p->tfield, p->tflen)) {
			if (json_time(p, s, v, t) != 0)
				return -1;
			got_t = true;
		} else if (!got_s && key_is(k, ke - 1, esc, p->sfield, p->sflen)) {
			if ((*status = json_status(s, v)) < 100)
				return -1;
			got_s = true;
		}
		if (got_t && got_s)
			return 0;
		s = skip_ws(v, end);
		if (s >= end || *s++ != ',')
			return -1; /* the end of the object, or garbage, without both fields */
	}
}

static inline int parse_line(struct parser *p, const char *l, size_t len, int64_t *t, int *status)
{
	if (p->format == ACCESSLOG_JSON)
		return parse_json(p, l, len, t, status);
	return parse_clf(p, l, len, t, status);
}

int accesslog_parse_line(const struct accesslog_spec *spec, const char *line, size_t len,
                         int64_t *t, int *status)
{
	struct parser p;

	parser_init(&p, spec);
	return parse_line(&p, line, len, t, status);
}

/* ---- buckets ----------------------------------------------------------- */

/* Counts per bucket, sorted by t. Lines come nearly in time order: the
 * caller keeps the last bucket used, and a new one is most often appended. */
struct buckets {
	struct sample *v;
	size_t n, cap;
	int64_t width;
};

/* The index of the bucket starting at START, inserted when missing; or -1. */
static ptrdiff_t bucket_find(struct buckets *b, int64_t start)
{
	size_t lo = 0, hi = b->n;

	if (b->n > 0 && start > b->v[b->n - 1].t)
		lo = b->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->v[mid].t < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < b->n && b->v[lo].t == start)
		return (ptrdiff_t)lo;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct sample *v = realloc(b->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		b->v = v, b->cap = cap;
	}
	memmove(b->v + lo + 1, b->v + lo, (b->n - lo) * sizeof(*b->v));
	b->v[lo] = (struct sample){.t = start, .value = 0, .capacity = 0};
	b->n++;
	return (ptrdiff_t)lo;
}

/* The bucket holding T, created when missing; NULL when out of memory. */
static __attribute__((noinline)) struct sample *bucket_for(struct buckets *b, int64_t t)
{
	int64_t start = t - ((t % b->width) + b->width) % b->width;
	ptrdiff_t i = bucket_find(b, start);

	return i < 0 ? NULL : &b->v[i];
}

/* ---- reading ----------------------------------------------------------- */

/* One accesslog_read call. */
struct scan {
	struct parser p;
	struct buckets b;
	struct sample *cur;  /* the bucket of the last line, in b.v; NULL at first */
	bool is_error[1000]; /* by status */
	uint64_t lines, bad; /* for st */
	struct accesslog_stats *st;
	char *buf;     /* READ_SIZE bytes */
	bool skipping; /* lookback: lines before skip_before are not counted yet */
	int64_t skip_before;
	bool oom;
};

/* The rare cases of a line: PARSED says whether it parsed (as time T).
 * Returns whether the line is counted. */
static __attribute__((noinline)) bool odd_line(struct scan *s, bool parsed, size_t len, int64_t t)
{
	if (!parsed) {
		if (!s->skipping && len > 0)
			s->bad++; /* a blank line is no request, not malformed either */
		return false;
	}
	if (t < s->skip_before)
		return false;
	s->skipping = false;
	return true;
}

/* Count one line L (LEN bytes, without its newline) in its bucket. */
static inline void count_line(struct scan *s, const char *l, size_t len)
{
	int64_t t = 0;
	int status = 0;
	bool parsed;

	if (len > 0 && l[len - 1] == '\r')
		len--;
	parsed = len > 0 && parse_line(&s->p, l, len, &t, &status) == 0;
	if (__builtin_expect(!parsed || s->skipping, 0) && !odd_line(s, parsed, len, t))
		return;
	s->lines++;
	if (s->cur == NULL || t < s->cur->t || t - s->cur->t >= s->b.width) {
		if ((s->cur = bucket_for(&s->b, t)) == NULL) {
			s->oom = true;
			return;
		}
	}
	s->cur->capacity += 1;
	s->cur->value += s->is_error[status];
}

/* Count the complete lines in P..END. Returns the start of the unfinished
 * last one (END when none). */
static const char *count_lines(struct scan *s, const char *p, const char *end)
{
	const char *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		count_line(s, p, (size_t)(nl - p));
		p = nl + 1;
	}
	return p;
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t r = pread(fd, (char *)buf + *got, len - *got, (off_t)(off + *got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return 0;
}

/* Where reading one file stands. */
struct reader {
	uint64_t line_start; /* file offset of the first unconsumed line */
	uint64_t discarded;  /* bytes dropped of a line longer than the buffer */
	size_t have;         /* bytes in buf, from line_start + discarded */
	bool discarding;     /* inside such a line */
};

/* Take the R bytes just read after the buffered ones: count the lines they
 * complete and keep the unfinished one at the start of the buffer. */
static void take(struct scan *s, struct reader *rd, size_t r)
{
	const char *p = s->buf, *end = s->buf + rd->have + r, *nl;

	if (rd->discarding) {
		if ((nl = memchr(s->buf + rd->have, '\n', r)) == NULL) {
			rd->have += r;
			return;
		}
		rd->line_start += rd->discarded; /* the buffer starts here */
		rd->discarding = false;
		rd->discarded = 0;
		p = nl + 1;
	}
	p = count_lines(s, p, end);
	rd->line_start += (uint64_t)(p - s->buf);
	rd->have = (size_t)(end - p);
	memmove(s->buf, p, rd->have);
}

/* Count the lines of FD from FROM to its end, or to LIMIT (a line start).
 * *TO receives the offset just after the last newline, or the end when
 * FINISH (the writer has moved on, so a last line without newline is
 * complete); *EOF the end reached. */
static int scan_range(struct scan *s, int fd, const char *name, uint64_t from, uint64_t limit,
                      bool finish, uint64_t *to, uint64_t *eof, char *err, size_t errlen)
{
	struct reader rd = {.line_start = from};
	uint64_t at = from; /* the next byte to read */
	ssize_t r;

	for (;;) {
		if (rd.have == READ_SIZE) { /* no newline in a whole buffer */
			if (!rd.discarding && !s->skipping)
				s->bad++;
			rd.discarding = true;
			rd.discarded += rd.have;
			rd.have = 0;
		}
		r = pread(fd, s->buf + rd.have,
		          limit - at < READ_SIZE - rd.have ? (size_t)(limit - at)
		                                           : READ_SIZE - rd.have,
		          (off_t)at);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errbuf_fail(err, errlen, "cannot read %s: %s", name,
			                   strerror(errno));
		if (r == 0)
			break;
		s->st->bytes += (uint64_t)r;
		at += (uint64_t)r;
		take(s, &rd, (size_t)r);
	}
	*eof = at;
	if (finish && rd.have > 0 && !rd.discarding)
		count_line(s, s->buf, rd.have);
	*to = finish ? at : rd.line_start;
	if (s->oom)
		return errbuf_fail(err, errlen, "out of memory counting %s", name);
	return 0;
}

static int scan_file(struct scan *s, int fd, const char *name, uint64_t from, bool finish,
                     uint64_t *to, uint64_t *eof, char *err, size_t errlen)
{
	return scan_range(s, fd, name, from, UINT64_MAX, finish, to, eof, err, errlen);
}

/* The offset of a line written before TARGET, close to the first line at or
 * after it: probe blocks backwards from the end, doubling the distance. */
static int lookback_start(struct scan *s, int fd, const char *name, uint64_t size, int64_t target,
                          uint64_t *start, char *err, size_t errlen)
{
	uint64_t dist = SEEK_BLOCK;

	for (;;) {
		uint64_t at = size > dist ? size - dist : 0;
		size_t len = size - at < SEEK_BLOCK ? (size_t)(size - at) : SEEK_BLOCK, got;
		const char *p = s->buf, *end, *nl;

		if (pread_full(fd, s->buf, len, at, &got) != 0)
			return errbuf_fail(err, errlen, "cannot read %s: %s", name,
			                   strerror(errno));
		s->st->bytes += got;
		end = s->buf + got;
		if (at > 0 && (p = memchr(s->buf, '\n', got)) != NULL)
			p++; /* the first whole line of the block */
		while (p != NULL && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			int64_t t;
			int status;

			if (parse_line(&s->p, p, (size_t)(nl - p), &t, &status) == 0) {
				if (t < target) {
					*start = at + (uint64_t)(p - s->buf);
					return 0;
				}
				break; /* still inside the lookback: go further back */
			}
			p = nl + 1;
		}
		if (at == 0) {
			*start = 0;
			return 0;
		}
		dist *= 2;
	}
}

/* ---- files and rotation ------------------------------------------------- */

/* What identifies an open log: inode, size, first bytes. */
struct ident {
	struct stat sb;
	unsigned char head[ACCESSLOG_HEAD];
	size_t headlen;
};

static int identify(int fd, const char *name, struct ident *id, char *err, size_t errlen)
{
	if (fstat(fd, &id->sb) != 0)
		return errbuf_fail(err, errlen, "cannot stat %s: %s", name, strerror(errno));
	if (!S_ISREG(id->sb.st_mode))
		return errbuf_fail(err, errlen, "%s is not a regular file", name);
	if (pread_full(fd, id->head, sizeof(id->head), 0, &id->headlen) != 0)
		return errbuf_fail(err, errlen, "cannot read %s: %s", name, strerror(errno));
	return 0;
}

/* Whether the file FD (ID) still holds what POS last read: its head and the
 * bytes before the offset, with at least OFFSET bytes. */
static bool holds_pos(int fd, const struct ident *id, const struct accesslog_pos *pos)
{
	unsigned char tail[ACCESSLOG_HEAD];
	size_t got;

	if ((uint64_t)id->sb.st_size < pos->offset || id->headlen < pos->headlen ||
	    memcmp(id->head, pos->head, pos->headlen) != 0)
		return false;
	if (pos->taillen == 0)
		return true;
	if (pread_full(fd, tail, pos->taillen, pos->offset - pos->taillen, &got) != 0 ||
	    got != pos->taillen)
		return false;
	return memcmp(tail, pos->tail, pos->taillen) == 0;
}

/* LOG's directory ("." when none) into DIR and its file name into *BASE. */
static int split_path(const char *log, char *dir, size_t dirlen, const char **base)
{
	const char *slash = strrchr(log, '/');

	*base = slash != NULL ? slash + 1 : log;
	if (slash == NULL)
		return snprintf(dir, dirlen, ".") >= (int)dirlen ? -1 : 0;
	if (slash == log)
		return snprintf(dir, dirlen, "/") >= (int)dirlen ? -1 : 0;
	return snprintf(dir, dirlen, "%.*s", (int)(slash - log), log) >= (int)dirlen ? -1 : 0;
}

static bool compressed_name(const char *name)
{
	static const char *const ext[] = {".gz",  ".bz2", ".xz",  ".zst",
	                                  ".lz4", ".Z",   ".zip", ".lzma"};
	size_t len = strlen(name);

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t el = strlen(ext[i]);

		if (len > el && strcmp(name + len - el, ext[i]) == 0)
			return true;
	}
	return false;
}

/* How a sibling is chosen. */
enum sibling_kind {
	BY_INODE,   /* any file in the directory with pos's (dev, ino) */
	BY_CONTENT, /* a LOG* file (not compressed), not LOG, that holds pos */
};

/* Open the directory entry NAME (in DFD) when it may hold POS's lines as
 * KIND says (LOG's name is BASE, its stat CUR); its identity into *ID.
 * Returns the fd, or -1 when it is not the one. */
static int open_candidate(int dfd, const char *name, const char *base, enum sibling_kind kind,
                          const struct accesslog_pos *pos, const struct stat *cur, struct ident *id)
{
	size_t blen = strlen(base);
	int fd;

	if (kind == BY_CONTENT &&
	    (strncmp(name, base, blen) != 0 || name[blen] == '\0' || compressed_name(name)))
		return -1;
	if (fstatat(dfd, name, &id->sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(id->sb.st_mode))
		return -1;
	if (kind == BY_INODE &&
	    ((uint64_t)id->sb.st_dev != pos->dev || (uint64_t)id->sb.st_ino != pos->ino))
		return -1;
	if (kind == BY_CONTENT && id->sb.st_dev == cur->st_dev && id->sb.st_ino == cur->st_ino)
		return -1; /* LOG itself */
	if ((fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return -1;
	if (identify(fd, name, id, NULL, 0) != 0 || !holds_pos(fd, id, pos)) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* Open the sibling of LOG holding the lines after POS (by KIND; CUR is LOG's
 * stat). Returns its fd (its path in NAME), or -1 when there is none. Among
 * several copies, the newest. */
static int find_sibling(const char *log, const struct accesslog_pos *pos, enum sibling_kind kind,
                        const struct stat *cur, char *name, size_t namelen)
{
	char dir[4096];
	const char *base;
	DIR *d;
	struct dirent *e;
	int best = -1, fd;
	struct timespec best_mtime = {0, 0};

	if (split_path(log, dir, sizeof(dir), &base) != 0 || (d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		struct ident id;

		if ((fd = open_candidate(dirfd(d), e->d_name, base, kind, pos, cur, &id)) < 0)
			continue;
		if (best >= 0 && !newer(&id.sb.st_mtim, &best_mtime)) {
			close(fd);
			continue;
		}
		if (best >= 0)
			close(best);
		best = fd;
		best_mtime = id.sb.st_mtim;
		snprintf(name, namelen, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	return best;
}

/* Finish the rotated file holding POS's lines (found by KIND), if any. */
static int finish_old(struct scan *s, const char *log, const struct accesslog_pos *pos,
                      enum sibling_kind kind, const struct stat *cur, char *err, size_t errlen)
{
	char name[4200];
	uint64_t to, eof;
	int fd = find_sibling(log, pos, kind, cur, name, sizeof(name)), rc;

	if (fd < 0) {
		snprintf(s->st->note, sizeof(s->st->note),
		         "%s was %s and the old lines were not found (compressed or deleted?): "
		         "lines written before it may be lost",
		         log, kind == BY_INODE ? "rotated" : "truncated");
		return 0;
	}
	rc = scan_file(s, fd, name, pos->offset, true, &to, &eof, err, errlen);
	close(fd);
	return rc;
}

/* Record in POS where the file FD (ID) was left: offset TO, end EOF. */
static void record_pos(int fd, const struct ident *id, uint64_t to, uint64_t eof,
                       struct accesslog_pos *pos)
{
	size_t got;

	pos->dev = (uint64_t)id->sb.st_dev;
	pos->ino = (uint64_t)id->sb.st_ino;
	pos->offset = to;
	pos->size_seen = (uint64_t)id->sb.st_size > eof ? (uint64_t)id->sb.st_size : eof;
	memcpy(pos->head, id->head, id->headlen);
	pos->headlen = id->headlen;
	if (id->headlen < ACCESSLOG_HEAD) { /* a young file: more of its head, if the same */
		unsigned char h[ACCESSLOG_HEAD];

		if (pread_full(fd, h, sizeof(h), 0, &got) == 0 && got > id->headlen &&
		    memcmp(h, id->head, id->headlen) == 0) {
			memcpy(pos->head, h, got);
			pos->headlen = got;
		}
	}
	pos->taillen = to < ACCESSLOG_HEAD ? (size_t)to : ACCESSLOG_HEAD;
	if (pread_full(fd, pos->tail, pos->taillen, to - pos->taillen, &got) != 0 ||
	    got != pos->taillen)
		pos->taillen = 0; /* changed under us: the next run checks the head only */
	pos->valid = true;
}

/* LOG is missing: renamed and not recreated yet? Read the old inode as the
 * current file, its identity unchanged. */
static int read_renamed(struct scan *s, const char *log, struct accesslog_pos *pos, char *err,
                        size_t errlen)
{
	char name[4200];
	struct ident id;
	uint64_t to, eof;
	int fd = find_sibling(log, pos, BY_INODE, NULL, name, sizeof(name)), rc;

	if (fd < 0)
		return errbuf_fail(err, errlen, "cannot open %s: %s", log, strerror(ENOENT));
	rc = identify(fd, name, &id, err, errlen);
	if (rc == 0)
		rc = scan_file(s, fd, name, pos->offset, false, &to, &eof, err, errlen);
	if (rc == 0)
		record_pos(fd, &id, to, eof, pos);
	close(fd);
	return rc;
}

static int scan_init(struct scan *s, const struct accesslog_spec *spec, struct accesslog_stats *st,
                     char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if (spec->bucket <= 0)
		return errbuf_fail(err, errlen, "the bucket width must be positive");
	parser_init(&s->p, spec);
	for (int i = 100; i < 1000; i++)
		s->is_error[i] = spec->errors != NULL && statusset_has(spec->errors, i);
	s->b.width = spec->bucket;
	s->st = st;
	if ((s->buf = malloc(READ_SIZE)) == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	return 0;
}

/* Where reading LOG (FD, ID) starts, after finishing an old file if LOG was
 * rotated or truncated since POS. */
static int start_offset(struct scan *s, const char *log, int fd, const struct ident *id,
                        const struct accesslog_pos *pos, int64_t now, double lookback,
                        uint64_t *start, char *err, size_t errlen)
{
	*start = 0;
	if (!pos->valid) {
		s->st->first_run = true;
		if (lookback <= 0 || lookback >= (double)now)
			return 0; /* everything */
		s->skipping = true;
		s->skip_before = now - (int64_t)lookback;
		return lookback_start(s, fd, log, (uint64_t)id->sb.st_size, s->skip_before, start,
		                      err, errlen);
	}
	if ((uint64_t)id->sb.st_dev != pos->dev || (uint64_t)id->sb.st_ino != pos->ino) {
		s->st->rotated = true;
		return finish_old(s, log, pos, BY_INODE, &id->sb, err, errlen);
	}
	if ((uint64_t)id->sb.st_size >= pos->size_seen && holds_pos(fd, id, pos)) {
		*start = pos->offset;
		return 0;
	}
	s->st->truncated = true;
	return finish_old(s, log, pos, BY_CONTENT, &id->sb, err, errlen);
}

/* ---- a long scan on two cores ----------------------------------------- */

/* The first half of a long scan, counted by a second thread. */
struct half {
	struct scan s;
	struct accesslog_stats st;
	int fd;
	const char *name;
	uint64_t from, limit;
	int rc;
	char err[256];
};

static void *scan_half(void *arg)
{
	struct half *h = arg;
	uint64_t to, eof;

	h->rc = scan_range(&h->s, h->fd, h->name, h->from, h->limit, false, &to, &eof, h->err,
	                   sizeof(h->err));
	return NULL;
}

/* The CPUs this process may run on. */
static int cores(void)
{
	cpu_set_t set;

	return sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
}

/* The start of a line near the middle of FROM..SIZE, or FROM when none. */
static uint64_t split_point(struct scan *s, int fd, uint64_t from, uint64_t size)
{
	uint64_t mid = from + (size - from) / 2;
	const char *nl;
	size_t got;

	if (pread_full(fd, s->buf, SEEK_BLOCK, mid, &got) != 0)
		return from;
	s->st->bytes += got;
	if ((nl = memchr(s->buf, '\n', got)) == NULL)
		return from;
	return mid + (uint64_t)(nl - s->buf) + 1;
}

/* Add H's counts into S. */
static int merge_half(struct scan *s, const struct half *h)
{
	for (size_t i = 0; i < h->s.b.n; i++) {
		ptrdiff_t k = bucket_find(&s->b, h->s.b.v[i].t);

		if (k < 0)
			return -1;
		s->b.v[k].capacity += h->s.b.v[i].capacity;
		s->b.v[k].value += h->s.b.v[i].value;
	}
	s->lines += h->s.lines;
	s->bad += h->s.bad;
	s->st->bytes += h->st.bytes;
	return 0;
}

/* Count the lines of FD from FROM (SIZE bytes long when looked at) as
 * scan_file does. Past PARALLEL_MIN bytes, when this process may run on two
 * CPUs, a second thread counts the first half: a first run on a large log
 * takes half the time (the parse costs as much as read() copying the bytes). */
static int scan_log(struct scan *s, const struct accesslog_spec *spec, int fd, const char *name,
                    uint64_t from, uint64_t size, uint64_t *to, uint64_t *eof, char *err,
                    size_t errlen)
{
	struct half *h;
	pthread_t th;
	int rc;

	if (s->skipping || size < from + PARALLEL_MIN || cores() < 2 ||
	    (h = calloc(1, sizeof(*h))) == NULL)
		return scan_file(s, fd, name, from, false, to, eof, err, errlen);
	h->fd = fd, h->name = name, h->from = from;
	if (scan_init(&h->s, spec, &h->st, err, errlen) != 0 ||
	    (h->limit = split_point(s, fd, from, size)) == from ||
	    pthread_create(&th, NULL, scan_half, h) != 0) {
		free(h->s.buf);
		free(h);
		return scan_file(s, fd, name, from, false, to, eof, err, errlen);
	}
	rc = scan_file(s, fd, name, h->limit, false, to, eof, err, errlen);
	pthread_join(th, NULL);
	if (rc == 0 && h->rc != 0)
		rc = errbuf_fail(err, errlen, "%s", h->err);
	if (rc == 0 && merge_half(s, h) != 0)
		rc = errbuf_fail(err, errlen, "out of memory counting %s", name);
	free(h->s.buf);
	free(h->s.b.v);
	free(h);
	return rc;
}

int accesslog_read(const char *log, const struct accesslog_spec *spec, struct accesslog_pos *pos,
                   int64_t now, double lookback, struct sample **out, size_t *n,
                   struct accesslog_stats *st, char *err, size_t errlen)
{
	struct accesslog_pos np = *pos;
	struct scan s;
	struct ident id;
	uint64_t start, to, eof;
	int fd = -1, rc = -1;

	memset(st, 0, sizeof(*st));
	*out = NULL;
	*n = 0;
	if (scan_init(&s, spec, st, err, errlen) != 0)
		goto out;
	if ((fd = open(log, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT && pos->valid) {
			rc = read_renamed(&s, log, &np, err, errlen);
			goto out;
		}
		errbuf_fail(err, errlen, "cannot open %s: %s", log, strerror(errno));
		goto out;
	}
	if (identify(fd, log, &id, err, errlen) != 0 ||
	    start_offset(&s, log, fd, &id, pos, now, lookback, &start, err, errlen) != 0 ||
	    scan_log(&s, spec, fd, log, start, (uint64_t)id.sb.st_size, &to, &eof, err, errlen) !=
	            0)
		goto out;
	record_pos(fd, &id, to, eof, &np);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(s.buf);
	if (rc != 0) {
		free(s.b.v);
		return -1;
	}
	st->lines = s.lines;
	st->bad_lines = s.bad;
	*pos = np;
	*out = s.b.v;
	*n = s.b.n;
	return 0;
}

/* ---- position file ------------------------------------------------------ */

static void hex(char *dst, const unsigned char *src, size_t n)
{
	static const char digit[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = digit[src[i] >> 4];
		dst[2 * i + 1] = digit[src[i] & 15];
	}
	dst[2 * n] = '\0';
}

static int unhex(const char *s, unsigned char *dst, size_t max, size_t *n)
{
	size_t len = strlen(s);

	if (len % 2 != 0 || len / 2 > max)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			return -1;
		if (i % 2 == 0)
			dst[i / 2] = (unsigned char)(v << 4);
		else
			dst[i / 2] |= (unsigned char)v;
	}
	*n = len / 2;
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* One "key value" line of a position file into POS; SEEN flags each key. */
static int pos_field(char *line, struct accesslog_pos *pos, unsigned *seen)
{
	static const char *const keys[] = {"dev", "ino", "offset", "size", "head", "tail"};
	char *val = strchr(line, ' ');
	unsigned k;

	if (val == NULL)
		return -1;
	*val++ = '\0';
	for (k = 0; k < 6 && strcmp(line, keys[k]) != 0; k++)
		;
	if (k == 6 || (*seen & (1u << k)))
		return -1;
	*seen |= 1u << k;
	switch (k) {
	case 0:
		return parse_u64(val, &pos->dev);
	case 1:
		return parse_u64(val, &pos->ino);
	case 2:
		return parse_u64(val, &pos->offset);
	case 3:
		return parse_u64(val, &pos->size_seen);
	case 4:
		return unhex(val, pos->head, sizeof(pos->head), &pos->headlen);
	default:
		return unhex(val, pos->tail, sizeof(pos->tail), &pos->taillen);
	}
}

static int pos_parse(char *text, struct accesslog_pos *pos, char *err, size_t errlen)
{
	char *line, *save = NULL;
	unsigned seen = 0;
	int no = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		no++;
		if (no == 1 ? strcmp(line, POS_MAGIC) != 0 : pos_field(line, pos, &seen) != 0)
			return errbuf_fail(err, errlen, "line %d is not what a position file holds",
			                   no);
	}
	if (seen != 0x3f)
		return errbuf_fail(err, errlen, "incomplete position file");
	if (pos->offset > pos->size_seen || pos->taillen > pos->offset)
		return errbuf_fail(err, errlen, "offset %llu is past the size seen %llu",
		                   (unsigned long long)pos->offset,
		                   (unsigned long long)pos->size_seen);
	pos->valid = true;
	return 0;
}

int accesslog_pos_load(const char *path, struct accesslog_pos *pos, char *err, size_t errlen)
{
	char text[POS_MAX + 1];
	size_t got;
	int fd, rc;

	memset(pos, 0, sizeof(*pos));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		return errbuf_fail(err, errlen, "cannot open %s: %s", path, strerror(errno));
	}
	rc = pread_full(fd, text, POS_MAX + 1, 0, &got);
	close(fd);
	if (rc != 0)
		return errbuf_fail(err, errlen, "cannot read %s: %s", path, strerror(errno));
	if (got > POS_MAX || memchr(text, '\0', got) != NULL)
		return errbuf_fail(err, errlen, "%s: not a position file", path);
	text[got] = '\0';
	if (pos_parse(text, pos, err, errlen) != 0) {
		char why[200];

		snprintf(why, sizeof(why), "%s", err != NULL ? err : "");
		memset(pos, 0, sizeof(*pos));
		return errbuf_fail(err, errlen, "%s: %s", path, why);
	}
	return 0;
}

int accesslog_pos_save(const char *path, const struct accesslog_pos *pos, char *err, size_t errlen)
{
	char text[1024], head[2 * ACCESSLOG_HEAD + 1], tail[2 * ACCESSLOG_HEAD + 1];
	int len;

	hex(head, pos->head, pos->headlen);
	hex(tail, pos->tail, pos->taillen);
	len = snprintf(text, sizeof(text),
	               "%s\ndev %llu\nino %llu\noffset %llu\nsize %llu\nhead %s\ntail %s\n",
	               POS_MAGIC, (unsigned long long)pos->dev, (unsigned long long)pos->ino,
	               (unsigned long long)pos->offset, (unsigned long long)pos->size_seen, head,
	               tail);
	return atomicfile_write(path, text, (size_t)len, true, err, errlen);
}
