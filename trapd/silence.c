/*
 * silence.c - the silence list: validation, matching, and its file.
 *
 * The list is a small array in id order (ids only grow, so adding appends);
 * matching is a linear scan, fine for the handful of silences operators keep.
 * One function, silence_fill(), validates and stores a silence's text, for
 * silence_add() and for each line of a loaded file alike, so a file can never
 * hold what the command would refuse.  Loading builds a new list aside and
 * swaps it in only when the whole file parsed.
 */
#include "silence.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "errbuf.h"
#include "units.h"

#define FILE_MAGIC   "trendtrap-silences"
#define FILE_VERSION "1"
#define FILE_MAX     (16 * 1024 * 1024) /* larger is not a silence file */

/* --- one silence --- */

/* TEXT: 1..MAX bytes without control characters. */
static int check_text(const char *what, const char *text, size_t max, char *err, size_t errlen)
{
	size_t len = strlen(text);

	if (len == 0)
		return errbuf_fail(err, errlen, "empty %s", what);
	if (len > max)
		return errbuf_fail(err, errlen, "%s longer than %zu bytes", what, max);
	for (const unsigned char *c = (const unsigned char *)text; *c; c++)
		if (*c < 0x20 || *c == 0x7F)
			return errbuf_fail(err, errlen, "control character in %s", what);
	return 0;
}

static void silence_clear(struct silence *sl)
{
	free(sl->pattern);
	free(sl->host_pattern);
	free(sl->service_pattern);
	free(sl->comment);
	memset(sl, 0, sizeof *sl);
}

/* PATTERN and COMMENT as silence_add() accepts them. */
static int silence_check(const char *pattern, const char *comment, char *err, size_t errlen)
{
	const char *slash;

	if (check_text("pattern", pattern, SILENCE_PATTERN_MAX, err, errlen) < 0)
		return -1;
	slash = strchr(pattern, '/');
	if (slash == pattern)
		return errbuf_fail(err, errlen, "empty host in pattern '%s'", pattern);
	if (slash != NULL && slash[1] == '\0')
		return errbuf_fail(err, errlen, "empty service in pattern '%s'", pattern);
	return check_text("comment", comment, SILENCE_COMMENT_MAX, err, errlen);
}

/* Store copies of the checked PATTERN and COMMENT in SL (strings NULL before).
 * Returns 0, or -1 when out of memory (then SL's strings are NULL again). */
static int silence_fill(struct silence *sl, const char *pattern, const char *comment, char *err,
                        size_t errlen)
{
	const char *slash = strchr(pattern, '/');

	sl->pattern = strdup(pattern);
	sl->host_pattern = slash ? strndup(pattern, (size_t)(slash - pattern)) : strdup(pattern);
	sl->service_pattern = slash ? strdup(slash + 1) : NULL;
	sl->comment = strdup(comment);
	if (!sl->pattern || !sl->host_pattern || (slash && !sl->service_pattern) || !sl->comment) {
		silence_clear(sl);
		return errbuf_fail(err, errlen, "out of memory");
	}
	return 0;
}

/* Room for one more silence at S->v[S->n], zeroed; NULL when out of memory. */
static struct silence *silence_slot(struct silences *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap < 4 ? 4 : s->cap * 2;
		struct silence *v = realloc(s->v, cap * sizeof *v);

		if (v == NULL)
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	memset(&s->v[s->n], 0, sizeof s->v[s->n]);
	return &s->v[s->n];
}

/* --- the list --- */

int silence_add(struct silences *s, const char *pattern, const char *duration, const char *comment,
                int64_t now, uint64_t *id_out, char *err, size_t errlen)
{
	struct silence *sl;
	double secs;

	if (silence_check(pattern, comment, err, errlen) < 0 ||
	    units_parse_duration(duration, &secs, err, errlen) < 0)
		return -1;
	if (!(secs > 0))
		return errbuf_fail(err, errlen, "duration '%s' is not positive", duration);
	if (secs > (double)SILENCE_DURATION_MAX)
		return errbuf_fail(err, errlen, "duration '%s' is longer than 100 years", duration);
	if (now < 0 || now > INT64_MAX - SILENCE_DURATION_MAX)
		return errbuf_fail(err, errlen, "time %" PRId64 " out of range", now);
	sl = silence_slot(s);
	if (sl == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	if (silence_fill(sl, pattern, comment, err, errlen) < 0)
		return -1;
	if (s->next_id == 0)
		s->next_id = 1;
	sl->id = s->next_id++;
	sl->created = now;
	sl->until = now + (int64_t)ceil(secs);
	s->n++;
	if (id_out != NULL)
		*id_out = sl->id;
	return 0;
}

int silence_remove(struct silences *s, uint64_t id)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].id != id)
			continue;
		silence_clear(&s->v[i]);
		memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof s->v[0]);
		s->n--;
		return 0;
	}
	return -1;
}

size_t silence_expire(struct silences *s, int64_t now)
{
	size_t kept = 0, n = s->n;

	for (size_t i = 0; i < n; i++) {
		if (now >= s->v[i].until)
			silence_clear(&s->v[i]);
		else
			s->v[kept++] = s->v[i];
	}
	s->n = kept;
	return n - kept;
}

const struct silence *silence_match(const struct silences *s, const char *host, const char *service,
                                    int64_t now)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct silence *sl = &s->v[i];

		if (now < sl->until && fnmatch(sl->host_pattern, host, 0) == 0 &&
		    (sl->service_pattern == NULL || fnmatch(sl->service_pattern, service, 0) == 0))
			return sl;
	}
	return NULL;
}

void silence_free(struct silences *s)
{
	for (size_t i = 0; i < s->n; i++)
		silence_clear(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* --- saving --- */

/* A growing text buffer; OOM is remembered and checked once at the end. */
struct text {
	char *p;
	size_t len, cap;
	bool oom;
};

static void text_put(struct text *t, const char *s, size_t n)
{
	if (t->oom)
		return;
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 1024;
		char *p;

		while (cap < t->len + n)
			cap *= 2;
		p = realloc(t->p, cap);
		if (p == NULL) {
			t->oom = true;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

static void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_printf(struct text *t, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	text_put(t, buf, n > 0 ? (size_t)n : 0); /* only numbers: always fits */
}

static void text_escaped(struct text *t, const char *s)
{
	for (; *s; s++) {
		const char *esc = *s == '\\'   ? "\\\\"
		                  : *s == '\t' ? "\\t"
		                  : *s == '\n' ? "\\n"
		                  : *s == '\r' ? "\\r"
		                               : NULL;

		text_put(t, esc ? esc : s, esc ? 2 : 1);
	}
}

int silence_save(const struct silences *s, const char *path, char *err, size_t errlen)
{
	struct text t = {0};
	int rc;

	text_printf(&t, FILE_MAGIC " " FILE_VERSION " next_id=%" PRIu64 "\n",
	            s->next_id ? s->next_id : 1);
	for (size_t i = 0; i < s->n; i++) {
		const struct silence *sl = &s->v[i];

		text_printf(&t, "%" PRIu64 "\t%" PRId64 "\t%" PRId64 "\t", sl->id, sl->created,
		            sl->until);
		text_escaped(&t, sl->pattern);
		text_put(&t, "\t", 1);
		text_escaped(&t, sl->comment);
		text_put(&t, "\n", 1);
	}
	if (t.oom)
		rc = errbuf_fail(err, errlen, "out of memory");
	else
		rc = atomicfile_write(path, t.p, t.len, true, err, errlen);
	free(t.p);
	return rc;
}

/* --- loading --- */

/* Whole decimal numbers, nothing around them. */
static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static bool parse_i64(const char *s, int64_t *v)
{
	char *end;

	if (!((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
		return false;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* Undo text_escaped() in place; false on an unknown escape. */
static bool unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '\\') {
			s++;
			switch (*s) {
			case '\\':
				break;
			case 't':
				*s = '\t';
				break;
			case 'n':
				*s = '\n';
				break;
			case 'r':
				*s = '\r';
				break;
			default:
				return false;
			}
		}
		*o++ = *s;
	}
	*o = '\0';
	return true;
}

/* The header line: "trendtrap-silences 1 next_id=N". */
static int parse_header(char *line, struct silences *t, char *err, size_t errlen)
{
	const char *magic = FILE_MAGIC " ", *version = FILE_VERSION " next_id=";
	size_t mlen = strlen(magic), vlen = strlen(version);

	if (strncmp(line, magic, mlen) != 0)
		return errbuf_fail(err, errlen, "not a silence file (no '" FILE_MAGIC "' header)");
	if (strncmp(line + mlen, version, vlen) != 0)
		return errbuf_fail(err, errlen,
		                   "unsupported version (want '" FILE_MAGIC " " FILE_VERSION
		                   " next_id=N')");
	if (!parse_u64(line + mlen + vlen, &t->next_id) || t->next_id == 0)
		return errbuf_fail(err, errlen, "bad next_id");
	return 0;
}

/* One record "ID\tCREATED\tUNTIL\tPATTERN\tCOMMENT", appended to T. */
static int parse_record(char *line, struct silences *t, char *err, size_t errlen)
{
	char *f[5];
	size_t n = 0;
	struct silence *sl, rec = {0};

	for (char *p = line; p != NULL; n++) {
		if (n == 5)
			return errbuf_fail(err, errlen, "more than 5 tab-separated fields");
		f[n] = p;
		p = strchr(p, '\t');
		if (p != NULL)
			*p++ = '\0';
	}
	if (n != 5)
		return errbuf_fail(err, errlen,
		                   "%zu tab-separated fields, want 5 "
		                   "(ID, CREATED, UNTIL, PATTERN, COMMENT)",
		                   n);
	if (!parse_u64(f[0], &rec.id) || rec.id == 0)
		return errbuf_fail(err, errlen, "bad id");
	if (t->n > 0 && rec.id <= t->v[t->n - 1].id)
		return errbuf_fail(err, errlen, "id %" PRIu64 " out of order or repeated", rec.id);
	if (rec.id >= t->next_id)
		return errbuf_fail(err, errlen, "id %" PRIu64 " not below next_id %" PRIu64, rec.id,
		                   t->next_id);
	if (!parse_i64(f[1], &rec.created) || !parse_i64(f[2], &rec.until))
		return errbuf_fail(err, errlen, "bad time");
	if (rec.until < rec.created)
		return errbuf_fail(err, errlen, "ends before it was created");
	if (!unescape(f[3]) || !unescape(f[4]))
		return errbuf_fail(err, errlen, "bad '\\' escape");
	if (silence_check(f[3], f[4], err, errlen) < 0)
		return -1;
	sl = silence_slot(t);
	if (sl == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	if (silence_fill(&rec, f[3], f[4], err, errlen) < 0)
		return -1;
	*sl = rec;
	t->n++;
	return 0;
}

/* Parse the file BUF[0..LEN) (with a NUL at LEN) into the empty list T. */
static int parse_file(char *buf, size_t len, struct silences *t, const char *path, char *err,
                      size_t errlen)
{
	char reason[SILENCE_PATTERN_MAX + 128];
	size_t no = 0;
	int rc = 0;

	if (len == 0)
		return errbuf_fail(err, errlen, "%s: empty file, no header", path);
	for (char *line = buf; rc == 0 && line < buf + len;) {
		char *nl = memchr(line, '\n', (size_t)(buf + len - line));

		no++;
		if (nl == NULL)
			rc = errbuf_fail(reason, sizeof reason, "last line not terminated");
		else if (memchr(line, '\0', (size_t)(nl - line)) != NULL)
			rc = errbuf_fail(reason, sizeof reason, "NUL byte");
		else {
			*nl = '\0';
			rc = no == 1 ? parse_header(line, t, reason, sizeof reason)
			             : parse_record(line, t, reason, sizeof reason);
			line = nl + 1;
		}
	}
	if (rc < 0)
		return errbuf_fail(err, errlen, "%s:%zu: %s", path, no, reason);
	return 0;
}

/* Read PATH whole into *BUF (NUL-terminated).  Returns 1, 0 when it does
 * not exist, or -1. */
static int read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	struct stat st;
	size_t got = 0, size;
	ssize_t r = 0;

	if (fd < 0)
		return errno == ENOENT ? 0
		                       : errbuf_fail(err, errlen, "cannot open %s: %s", path,
		                                     strerror(errno));
	if (fstat(fd, &st) != 0) {
		e = errno;
		close(fd);
		return errbuf_fail(err, errlen, "cannot stat %s: %s", path, strerror(e));
	}
	if (st.st_size > FILE_MAX) {
		close(fd);
		return errbuf_fail(err, errlen, "%s: larger than %d bytes", path, FILE_MAX);
	}
	size = (size_t)st.st_size;
	*buf = malloc(size + 1);
	if (*buf == NULL) {
		close(fd);
		return errbuf_fail(err, errlen, "out of memory");
	}
	/* The file is replaced by rename, never rewritten: SIZE bytes is all. */
	while (got < size &&
	       ((r = read(fd, *buf + got, size - got)) > 0 || (r < 0 && errno == EINTR)))
		got += r > 0 ? (size_t)r : 0;
	e = errno;
	close(fd);
	if (got < size) {
		free(*buf);
		*buf = NULL;
		return errbuf_fail(err, errlen, "cannot read %s: %s", path,
		                   r < 0 ? strerror(e) : "file shrank");
	}
	(*buf)[got] = '\0';
	*len = got;
	return 1;
}

int silence_load(struct silences *s, const char *path, char *err, size_t errlen)
{
	struct silences t = {.next_id = 1};
	char *buf = NULL;
	size_t len = 0;
	int rc = read_file(path, &buf, &len, err, errlen);

	if (rc > 0)
		rc = parse_file(buf, len, &t, path, err, errlen);
	free(buf);
	if (rc < 0) {
		silence_free(&t);
		return -1;
	}
	silence_free(s);
	*s = t;
	return 0;
}
