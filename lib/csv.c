/*
 * csv.c - sample CSV in and out: "time,value,capacity" rows.
 *
 * Reading is strict, so that a typo in a replay file is an error with its line
 * number rather than a silently different history: exactly three fields,
 * time a non-negative integer, value and capacity finite decimal numbers (no
 * nan, inf or hex), capacity not negative. Spaces and tabs around fields, CRLF
 * line ends, blank lines and '#' comments are fine; the first other line is a
 * header when its first field starts with a letter or a quote.
 */
#include "csv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_ROWS 10000000 /* more is a mistake, not a history */

/* Where we are, for messages "NAME:LINE: reason". */
struct csv_pos {
	const char *name;
	size_t line;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int pos_fail(const struct csv_pos *p, const char *fmt,
                                                          ...)
{
	va_list ap;
	int len;

	if (p->err == NULL || p->errlen == 0)
		return -1;
	len = snprintf(p->err, p->errlen, "%s:%zu: ", p->name, p->line);
	if (len >= 0 && (size_t)len < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + len, p->errlen - (size_t)len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Trim spaces and tabs around S in place. */
static char *trim(char *s)
{
	char *end = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/* Split LINE at commas into exactly 3 trimmed fields. */
static int split3(char *line, char *field[3], const struct csv_pos *p)
{
	int n = 1;

	for (char *c = line; *c != '\0'; c++)
		n += *c == ',';
	if (n != 3)
		return pos_fail(p, "expected 3 fields, got %d", n);
	for (int i = 0; i < 3; i++) {
		char *comma = strchr(line, ',');

		if (comma != NULL)
			*comma = '\0';
		field[i] = trim(line);
		line = comma != NULL ? comma + 1 : line;
	}
	return 0;
}

static int parse_time(const char *s, int64_t *t, const struct csv_pos *p)
{
	char *end;
	long long v;

	if (*s == '\0')
		return pos_fail(p, "time is empty");
	if (*s == '-')
		return pos_fail(p, "time must not be negative, got '%.40s'", s);
	if (!isdigit((unsigned char)*s))
		return pos_fail(p, "time must be an integer (unix seconds), got '%.40s'", s);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return pos_fail(p, "time must be an integer (unix seconds), got '%.40s'", s);
	if (errno == ERANGE)
		return pos_fail(p, "time is out of range: '%.40s'", s);
	*t = (int64_t)v;
	return 0;
}

static int parse_number(const char *s, const char *what, double *out, const struct csv_pos *p)
{
	char *end;

	if (*s == '\0')
		return pos_fail(p, "%s is empty", what);
	if (strspn(s, "0123456789+-.eE") != strlen(s))
		return pos_fail(p, "%s is not a decimal number: '%.40s'", what, s);
	errno = 0;
	*out = strtod(s, &end);
	if (end == s || *end != '\0')
		return pos_fail(p, "%s is not a decimal number: '%.40s'", what, s);
	if (!isfinite(*out))
		return pos_fail(p, "%s is out of range: '%.40s'", what, s);
	return 0;
}

static int parse_row(char *line, struct sample *smp, const struct csv_pos *p)
{
	char *field[3];

	if (split3(line, field, p) != 0 || parse_time(field[0], &smp->t, p) != 0 ||
	    parse_number(field[1], "value", &smp->value, p) != 0 ||
	    parse_number(field[2], "capacity", &smp->capacity, p) != 0)
		return -1;
	if (smp->capacity < 0)
		return pos_fail(p, "capacity must not be negative, got '%.40s'", field[2]);
	return 0;
}

/* A header's first field starts with a letter or a quote ("time", "\"t\""). */
static int is_header(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	return isalpha((unsigned char)*line) || *line == '"';
}

/* Append SMP to the growing array. */
static int push(struct sample **v, size_t *n, size_t *cap, const struct sample *smp,
                const struct csv_pos *p)
{
	if (*n >= CSV_MAX_ROWS)
		return pos_fail(p, "too many rows (more than %d)", CSV_MAX_ROWS);
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct sample *grown = realloc(*v, ncap * sizeof(*grown));

		if (grown == NULL)
			return pos_fail(p, "out of memory");
		*v = grown;
		*cap = ncap;
	}
	(*v)[(*n)++] = *smp;
	return 0;
}

/* Cut the line end (LF or CRLF); reject embedded NUL bytes. */
static int chomp(char *line, size_t len, const struct csv_pos *p)
{
	if (strlen(line) != len)
		return pos_fail(p, "NUL byte in line");
	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	return 0;
}

/* Handle one line: 0 ok (row added or line skipped), -1 error. */
static int read_line(char *line, size_t len, int *seen, struct sample **v, size_t *n, size_t *cap,
                     const struct csv_pos *p)
{
	struct sample smp;
	char *s;

	if (chomp(line, len, p) != 0)
		return -1;
	s = trim(line);
	if (*s == '\0' || *s == '#')
		return 0;
	if (!*seen && is_header(s)) {
		*seen = 1;
		return 0;
	}
	*seen = 1;
	if (parse_row(s, &smp, p) != 0)
		return -1;
	return push(v, n, cap, &smp, p);
}

int csv_read_samples(FILE *f, const char *name, struct sample **out, size_t *n, char *err,
                     size_t errlen)
{
	struct csv_pos p = {name, 0, err, errlen};
	struct sample *v = NULL;
	size_t cap = 0, count = 0, linecap = 0;
	char *line = NULL;
	ssize_t len;
	int seen = 0, rc = 0;

	*out = NULL;
	*n = 0;
	while (rc == 0 && (errno = 0, len = getline(&line, &linecap, f)) >= 0) {
		p.line++;
		rc = read_line(line, (size_t)len, &seen, &v, &count, &cap, &p);
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", name, strerror(errno ? errno : EIO));
		rc = -1;
	}
	free(line);
	if (rc != 0) {
		free(v);
		return -1;
	}
	*out = v;
	*n = count;
	return 0;
}

/* Print finite V with up to 9 significant digits and, unless it is tiny, no
 * exponent: the digits of "%.8e" placed around the decimal point. */
static void write_decimal(FILE *f, double v)
{
	char buf[32], digits[16];
	const char *q;
	int nd = 0, exp;

	snprintf(buf, sizeof(buf), "%.8e", fabs(v));
	digits[nd++] = buf[0];
	for (q = buf + 2; *q != 'e'; q++)
		digits[nd++] = *q;
	exp = atoi(q + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (exp < -20) {
		fprintf(f, "%.9g", v);
		return;
	}
	if (v < 0)
		fputc('-', f);
	if (exp < 0) {
		fputs("0.", f);
		for (int i = 0; i < -exp - 1; i++)
			fputc('0', f);
		fwrite(digits, 1, (size_t)nd, f);
		return;
	}
	for (int i = 0; i <= exp; i++)
		fputc(i < nd ? digits[i] : '0', f);
	if (nd > exp + 1) {
		fputc('.', f);
		fwrite(digits + exp + 1, 1, (size_t)(nd - exp - 1), f);
	}
}

void csv_write_number(FILE *f, double v)
{
	if (!isfinite(v))
		return; /* NAN (and inf): an empty field */
	if (v == 0)
		fputc('0', f); /* also -0 */
	else if (fabs(v) < 9007199254740992.0 && v == floor(v))
		fprintf(f, "%.0f", v);
	else
		write_decimal(f, v);
}

void csv_write_samples(FILE *f, const struct sample *s, size_t n)
{
	fputs("time,value,capacity\n", f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%lld,", (long long)s[i].t);
		csv_write_number(f, s[i].value);
		fputc(',', f);
		csv_write_number(f, s[i].capacity);
		fputc('\n', f);
	}
}
