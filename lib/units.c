/*
 * units.c - numbers, sizes and durations: strict parsers and human formatters.
 *
 * Every number a user writes (range ends, sizes, durations) goes through one
 * grammar, units_scan_number(): digits with an optional fraction, where either
 * side of the point may be empty but not both ("10", "0.5", "5.", ".5").
 * Signs are left to the caller (ranges allow "-", sizes and durations do not);
 * exponents, hex, nan and inf are never numbers.  The value is computed by
 * hand instead of strtod() so that it cannot depend on the locale's decimal
 * point; it is correctly rounded up to 15 significant digits.
 *
 * Decisions the header leaves open:
 *   - sizes take no space between number and unit ("10MiB", not "10 MiB"),
 *     so a size is always one shell word;
 *   - duration components may be separated by single spaces ("1d 12h"), so
 *     that what units_format_duration() prints can be read back;
 *   - a bare number in a duration is seconds only when it is the whole text.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "units.h"

#include "errbuf.h"

#define SIZE_UNITS_HELP "B, KiB, MiB, GiB, TiB, PiB, KB, MB, GB, TB or PB"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

size_t units_scan_number(const char *s, double *value)
{
	double mant = 0;
	size_t i = 0, ndigits = 0, nfrac = 0;

	for (; is_digit(s[i]); i++, ndigits++)
		mant = mant * 10 + (s[i] - '0');
	if (s[i] == '.') {
		for (i++; is_digit(s[i]); i++, ndigits++, nfrac++)
			mant = mant * 10 + (s[i] - '0');
	}
	if (ndigits == 0)
		return 0;
	/* mant and 10^nfrac are exact for short inputs, so one division rounds once. */
	*value = mant / pow(10, (double)nfrac);
	return i;
}

int units_format_number(double v, char *buf, size_t len)
{
	char tmp[512];
	size_t n;

	if (isnan(v))
		return snprintf(buf, len, "nan");
	if (isinf(v))
		return snprintf(buf, len, v < 0 ? "-inf" : "inf");
	/* At most 6 decimals, and no more than a double's 15 significant
	 * digits, so 0.8 * capacity prints 82196224409.6, not ...409.600006. */
	double mag = fabs(v);
	int intdigits = mag < 1 ? 1 : (int)floor(log10(mag)) + 1;
	int decimals = intdigits >= 15 ? 0 : (15 - intdigits < 6 ? 15 - intdigits : 6);

	n = (size_t)snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
	while (decimals > 0 && n > 0 && tmp[n - 1] == '0')
		n--;
	if (decimals > 0 && n > 0 && tmp[n - 1] == '.')
		n--;
	tmp[n] = '\0';
	if (strcmp(tmp, "-0") == 0)
		return snprintf(buf, len, "0");
	return snprintf(buf, len, "%s", tmp);
}

/* Longest units first, so that a prefix never shadows a longer unit. */
static const struct {
	const char *name;
	double factor;
} size_units[] = {
        {"KiB", 1024.0},
        {"MiB", 1048576.0},
        {"GiB", 1073741824.0},
        {"TiB", 1099511627776.0},
        {"PiB", 1125899906842624.0},
        {"KB", 1e3},
        {"kB", 1e3},
        {"MB", 1e6},
        {"GB", 1e9},
        {"TB", 1e12},
        {"PB", 1e15},
        {"B", 1.0},
};

double units_size_factor(const char *s, size_t *ulen)
{
	size_t i, n;

	for (i = 0; i < sizeof size_units / sizeof size_units[0]; i++) {
		n = strlen(size_units[i].name);
		if (strncmp(s, size_units[i].name, n) == 0) {
			if (ulen)
				*ulen = n;
			return size_units[i].factor;
		}
	}
	if (ulen)
		*ulen = 0;
	return 0;
}

int units_parse_size(const char *text, double *bytes, char *err, size_t errlen)
{
	double v, factor = 1;
	size_t n, ulen = 0;

	if (!text || !*text)
		return errbuf_fail(err, errlen, "empty size; expected e.g. 512B, 100MiB or 2GB");
	if (*text == '-')
		return errbuf_fail(err, errlen, "negative size '%s'", text);
	n = units_scan_number(text, &v);
	if (n == 0)
		return errbuf_fail(err, errlen,
		                   "'%s' is not a size; expected e.g. 512B, 100MiB or 2GB", text);
	if (text[n]) {
		factor = units_size_factor(text + n, &ulen);
		if (factor == 0 || text[n + ulen])
			return errbuf_fail(err, errlen,
			                   "bad size unit '%s' in '%s'; use " SIZE_UNITS_HELP,
			                   text + n, text);
	}
	v *= factor;
	if (!isfinite(v))
		return errbuf_fail(err, errlen, "size too large: '%s'", text);
	*bytes = v;
	return 0;
}

/* Seconds per duration unit, in the order components must be written. */
static const struct {
	char name;
	double seconds;
} duration_units[] = {
        {'w', 604800}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1},
};

#define NDURATION_UNITS (sizeof duration_units / sizeof duration_units[0])

/* Index of duration unit C, or NDURATION_UNITS when C is not one. */
static size_t duration_unit(char c)
{
	size_t i;

	for (i = 0; i < NDURATION_UNITS; i++)
		if (duration_units[i].name == c)
			break;
	return i;
}

/* Parse one "<number><unit>" component at *SP whose unit must come after
 * unit index *NEXT - 1; advance *SP and *NEXT and add to *TOTAL. */
static int duration_component(const char **sp, size_t *next, double *total, const char *text,
                              char *err, size_t errlen)
{
	const char *s = *sp;
	double v;
	size_t n, u;

	n = units_scan_number(s, &v);
	if (n == 0)
		return errbuf_fail(err, errlen, "expected a number at '%s' in duration '%s'", s,
		                   text);
	u = duration_unit(s[n]);
	if (s[n] == '\0')
		return errbuf_fail(err, errlen, "missing unit after '%s' in duration '%s'", s,
		                   text);
	if (u == NDURATION_UNITS)
		return errbuf_fail(err, errlen,
		                   "unknown unit '%c' in duration '%s'; use w, d, h, m or s", s[n],
		                   text);
	if (u < *next)
		return errbuf_fail(err, errlen,
		                   "units must be written largest first, each once: '%s'", text);
	*total += v * duration_units[u].seconds;
	*next = u + 1;
	*sp = s + n + 1;
	return 0;
}

/* Sum the components of TEXT ("1d12h", "2h 30m") into *TOTAL. */
static int duration_components(const char *text, double *total, char *err, size_t errlen)
{
	const char *s = text;
	size_t next = 0;

	*total = 0;
	while (*s) {
		if (duration_component(&s, &next, total, text, err, errlen) < 0)
			return -1;
		if (*s == ' ' && s[1] != '\0' && s[1] != ' ')
			s++;
	}
	return 0;
}

int units_parse_duration(const char *text, double *seconds, char *err, size_t errlen)
{
	double total;
	size_t n;

	if (!text || !*text)
		return errbuf_fail(err, errlen, "empty duration; expected e.g. 90s, 15m or 1d12h");
	if (*text == '-')
		return errbuf_fail(err, errlen, "negative duration '%s'", text);
	n = units_scan_number(text, &total);
	if ((n == 0 || text[n] != '\0') && duration_components(text, &total, err, errlen) < 0)
		return -1; /* else a bare number: seconds */
	if (!isfinite(total))
		return errbuf_fail(err, errlen, "duration too large: '%s'", text);
	*seconds = total;
	return 0;
}

/* Write the two largest non-zero components of T (whole seconds, >= 0). */
static int format_components(double t, const char *sign, char *buf, size_t len)
{
	double count[NDURATION_UNITS];
	size_t i, first = NDURATION_UNITS, second = NDURATION_UNITS;

	for (i = 0; i < NDURATION_UNITS; i++) {
		count[i] = floor(t / duration_units[i].seconds);
		t -= count[i] * duration_units[i].seconds;
		if (count[i] > 0 && first == NDURATION_UNITS)
			first = i;
		else if (count[i] > 0 && second == NDURATION_UNITS)
			second = i;
	}
	if (first == NDURATION_UNITS)
		return snprintf(buf, len, "0s");
	if (second == NDURATION_UNITS)
		return snprintf(buf, len, "%s%.0f%c", sign, count[first],
		                duration_units[first].name);
	return snprintf(buf, len, "%s%.0f%c %.0f%c", sign, count[first], duration_units[first].name,
	                count[second], duration_units[second].name);
}

int units_format_duration(double seconds, char *buf, size_t len)
{
	if (isnan(seconds))
		return snprintf(buf, len, "?");
	if (isinf(seconds))
		return snprintf(buf, len, seconds < 0 ? "-inf" : "inf");
	return format_components(round(fabs(seconds)), seconds < 0 ? "-" : "", buf, len);
}

int units_format_size(double bytes, char *buf, size_t len)
{
	static const char *const names[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	size_t i = 0;
	double v;

	if (isnan(bytes))
		return snprintf(buf, len, "?");
	if (isinf(bytes))
		return snprintf(buf, len, bytes < 0 ? "-inf" : "inf");
	if (fabs(round(bytes)) < 1024)
		return snprintf(buf, len, "%.0f B", round(bytes) + 0.0); /* + 0.0: no "-0" */
	/* Step up while "%.1f" would print 1024.0 or more in the current unit. */
	for (v = bytes / 1024; fabs(v) >= 1023.95 && i + 1 < sizeof names / sizeof names[0]; i++)
		v /= 1024;
	return snprintf(buf, len, "%.1f %s", v, names[i]);
}
