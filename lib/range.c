/*
 * range.c - parse, judge and print threshold ranges in the syntax of the
 * Monitoring Plugins guidelines (see range.h for the table).
 *
 * Grammar, strict on purpose so that a typo is an error rather than a
 * silently different threshold:
 *
 *   range  = ["@"] ( end | start ":" [end] )
 *   start  = "~" | [value]        an omitted start is 0 (":10" = "0:10")
 *   end    = value                "~" is only a start
 *   value  = ["-" | "+"] number [unit]
 *   number = digits ["." [digits]] | "." digits     (see units_scan_number)
 *   unit   = "%" | size unit      (only when the caller allows it)
 *
 * Both written ends must carry the same unit; an infinite or omitted end has
 * none.  A range whose two ends are infinite ("~:", "@~:") judges nothing and
 * is rejected, as is a lone ":".  Size ends are stored in bytes.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "range.h"

#include "errbuf.h"
#include "units.h"

/* One written end of a range while parsing. */
struct end {
	double value;         /* converted to bytes for sizes */
	enum range_unit unit; /* unit written after the number */
	const char *text;     /* where the end was written, for messages */
	int textlen;          /* its length, sign and unit included */
};

static int not_a_number(const char *s, char *err, size_t errlen)
{
	const char *word = (*s == '-' || *s == '+') ? s + 1 : s;

	if (strncasecmp(word, "inf", 3) == 0)
		return errbuf_fail(err, errlen,
		                   "'%s' is not a number; write '~:N' or 'N:' for an open end", s);
	return errbuf_fail(err, errlen, "expected a number at '%s'", s);
}

/* Read the unit after a number at *SP, if any, checking it is allowed. */
static int parse_unit(const char **sp, unsigned units, struct end *e, char *err, size_t errlen)
{
	size_t ulen;
	double factor;

	if (**sp == '%') {
		if (!(units & RANGE_UNITS_PERCENT))
			return errbuf_fail(err, errlen, "percentages are not accepted here");
		e->unit = RANGE_UNIT_PERCENT;
		*sp += 1;
		return 0;
	}
	factor = units_size_factor(*sp, &ulen);
	if (factor == 0)
		return 0;
	if (!(units & RANGE_UNITS_SIZE))
		return errbuf_fail(err, errlen, "sizes are not accepted here");
	e->unit = RANGE_UNIT_BYTES;
	e->value *= factor;
	*sp += ulen;
	return 0;
}

/* Read one value (sign, number, unit) at *SP into E and advance *SP. */
static int parse_value(const char **sp, unsigned units, struct end *e, char *err, size_t errlen)
{
	const char *s = *sp;
	bool neg = *s == '-';
	size_t n;

	if (*s == '-' || *s == '+')
		s++;
	n = units_scan_number(s, &e->value);
	if (n == 0)
		return not_a_number(*sp, err, errlen);
	s += n;
	e->unit = RANGE_UNIT_PLAIN;
	if (parse_unit(&s, units, e, err, errlen) < 0)
		return -1;
	if (!isfinite(e->value))
		return errbuf_fail(err, errlen, "number too large: '%.*s'", (int)(s - *sp), *sp);
	if (neg)
		e->value = -e->value;
	e->text = *sp;
	e->textlen = (int)(s - *sp);
	*sp = s;
	return 0;
}

/* Anything left after the last value is an error. */
static int expect_end(const char *s, const struct end *e, char *err, size_t errlen)
{
	if (*s == '\0')
		return 0;
	return errbuf_fail(err, errlen, "unexpected '%s' after '%.*s'", s, e->textlen, e->text);
}

/* Read "start:" at *SP: "~:", ":" (start 0) or "value:". Sets *HAVE_COLON to
 * false when the text is a single value, which is then the end (in *START). */
static int parse_start(const char **sp, unsigned units, struct range *r, struct end *start,
                       bool *have_colon, char *err, size_t errlen)
{
	*have_colon = true;
	if (**sp == '~') {
		if ((*sp)[1] != ':')
			return errbuf_fail(err, errlen, "'~' must be followed by ':'");
		r->start_inf = true;
		*sp += 1;
	} else if (**sp == ':') {
		if ((*sp)[1] == '\0')
			return errbuf_fail(err, errlen, "':' alone is not a range");
	} else {
		if (parse_value(sp, units, start, err, errlen) < 0)
			return -1;
		*have_colon = **sp == ':';
		if (!*have_colon)
			return expect_end(*sp, start, err, errlen);
		r->start = start->value;
	}
	*sp += 1;
	return 0;
}

/* Read what follows the ':': nothing (no upper end) or a value. */
static int parse_end(const char *s, unsigned units, struct range *r, struct end *end, char *err,
                     size_t errlen)
{
	if (*s == '\0') {
		r->end_inf = true;
		return 0;
	}
	if (*s == '~')
		return errbuf_fail(err, errlen, "'~' is only allowed as the start, as in '~:10'");
	if (parse_value(&s, units, end, err, errlen) < 0)
		return -1;
	r->end = end->value;
	return expect_end(s, end, err, errlen);
}

/* Cross-checks once both ends are known. */
static int check_ends(struct range *r, const struct end *start, const struct end *end, char *err,
                      size_t errlen)
{
	if (r->start_inf && r->end_inf)
		return errbuf_fail(err, errlen, "both ends are infinite: nothing to judge");
	if (start->text && end->text && start->unit != end->unit)
		return errbuf_fail(err, errlen, "'%.*s' and '%.*s' must carry the same unit",
		                   start->textlen, start->text, end->textlen, end->text);
	if (!r->start_inf && !r->end_inf && r->start > r->end)
		return errbuf_fail(err, errlen, "start %.*s is greater than end %.*s",
		                   start->text ? start->textlen : 1,
		                   start->text ? start->text : "0", end->textlen, end->text);
	r->unit = start->text ? start->unit : end->text ? end->unit : RANGE_UNIT_PLAIN;
	return 0;
}

static bool blank(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return *s == '\0';
}

int range_parse(const char *text, unsigned units, struct range *r, char *err, size_t errlen)
{
	struct range out = {0};
	struct end start = {0}, end = {0};
	const char *s = text;
	bool have_colon;

	if (!text || blank(text))
		return errbuf_fail(err, errlen, "empty range");
	if (*s == '@') {
		out.inside = true;
		if (*++s == '\0')
			return errbuf_fail(err, errlen, "nothing after '@'");
	}
	if (parse_start(&s, units, &out, &start, &have_colon, err, errlen) < 0)
		return -1;
	if (!have_colon) {
		end = start; /* "10" is "0:10" */
		start = (struct end){0};
		out.end = end.value;
	} else if (parse_end(s, units, &out, &end, err, errlen) < 0) {
		return -1;
	}
	if (check_ends(&out, &start, &end, err, errlen) < 0)
		return -1;
	*r = out;
	return 0;
}

bool range_alert(const struct range *r, double value)
{
	bool above_start = r->start_inf || value >= r->start;
	bool below_end = r->end_inf || value <= r->end;

	if (isnan(value))
		return false;
	if (r->inside)
		return above_start && below_end;
	return !(above_start && below_end);
}

int range_format(const struct range *r, double scale, char *buf, size_t len)
{
	char start[512], end[512];

	units_format_number(r->start * scale, start, sizeof start);
	units_format_number(r->end * scale, end, sizeof end);
	if (!r->inside && !r->start_inf && !r->end_inf && r->start == 0)
		return snprintf(buf, len, "%s", end);
	return snprintf(buf, len, "%s%s:%s", r->inside ? "@" : "", r->start_inf ? "~" : start,
	                r->end_inf ? "" : end);
}
