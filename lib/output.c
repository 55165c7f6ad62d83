/*
 * output.c - collect a plugin result and print it in the syntax of the
 * Monitoring Plugins guidelines; the only place that formats plugin output.
 *
 * Texts are stored as given and made safe when printed: '\n' and '\r' become
 * spaces and '|' becomes '/', so a message can never break the status line or
 * start perfdata.  All perfdata goes on the first line, which the guidelines
 * allow.
 *
 * Perfdata labels are always single-quoted: that is valid for every label,
 * and simpler to get right than deciding when quoting is needed.  A quote in
 * a label is doubled, '=' (forbidden in labels) becomes '_'.  A value that is
 * NAN or infinite prints as "U" (no UOM); non-finite min/max count as absent;
 * trailing empty fields are left out.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "output.h"
#include "units.h"

const char *state_name(enum state s)
{
	switch (s) {
	case STATE_OK:
		return "OK";
	case STATE_WARNING:
		return "WARNING";
	case STATE_CRITICAL:
		return "CRITICAL";
	case STATE_UNKNOWN:
		break;
	}
	return "UNKNOWN";
}

int state_parse(const char *text, enum state *s)
{
	static const enum state all[] = {STATE_OK, STATE_WARNING, STATE_CRITICAL, STATE_UNKNOWN};
	size_t i;

	if (!text)
		return -1;
	for (i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (strcasecmp(text, state_name(all[i])) == 0 ||
		    (text[0] == '0' + (int)all[i] && text[1] == '\0')) {
			*s = all[i];
			return 0;
		}
	}
	return -1;
}

/* Severity order for state_worst(): UNKNOWN ranks between OK and WARNING. */
static int severity(enum state s)
{
	switch (s) {
	case STATE_OK:
		return 0;
	case STATE_UNKNOWN:
		return 1;
	case STATE_WARNING:
		return 2;
	case STATE_CRITICAL:
		return 3;
	}
	return 1;
}

enum state state_worst(enum state a, enum state b)
{
	return severity(b) > severity(a) ? b : a;
}

void output_summary(struct output *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->summary, sizeof o->summary, fmt, ap);
	va_end(ap);
}

void output_line(struct output *o, const char *fmt, ...)
{
	va_list ap;

	if (o->nlines >= OUTPUT_LINES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(o->lines[o->nlines++], sizeof o->lines[0], fmt, ap);
	va_end(ap);
}

struct perf *output_perf(struct output *o, const char *label, double value, const char *uom)
{
	struct perf *p;

	if (o->nperf >= OUTPUT_PERF_MAX)
		return NULL;
	p = &o->perf[o->nperf++];
	memset(p, 0, sizeof *p);
	snprintf(p->label, sizeof p->label, "%s", label ? label : "");
	p->value = value;
	p->uom = uom ? uom : "";
	p->min = NAN;
	p->max = NAN;
	return p;
}

/* C made safe for plugin output: line breaks as spaces, '|' as '/'. */
static int safe_char(char c)
{
	if (c == '\n' || c == '\r')
		return ' ';
	return c == '|' ? '/' : c;
}

static void put_text(const char *s, FILE *f)
{
	for (; *s; s++)
		fputc(safe_char(*s), f);
}

/* Print a label quoted: quotes doubled, '=' as '_', text made safe. */
static void put_label(const char *s, FILE *f)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("''", f);
		else
			fputc(*s == '=' ? '_' : safe_char(*s), f);
	}
	fputc('\'', f);
}

/* A number field of perfdata; empty when not finite. */
static void format_field(double v, char *buf, size_t len)
{
	if (isfinite(v))
		units_format_number(v, buf, len);
	else
		buf[0] = '\0';
}

void output_render_perf(const struct perf *p, FILE *f)
{
	char value[512], min[512], max[512];
	const char *fields[4] = {p->warn, p->crit, min, max};
	int last, i;

	put_label(p->label, f);
	fputc('=', f);
	if (isfinite(p->value)) {
		units_format_number(p->value, value, sizeof value);
		fprintf(f, "%s%s", value, p->uom ? p->uom : "");
	} else {
		fputc('U', f);
	}
	format_field(p->min, min, sizeof min);
	format_field(p->max, max, sizeof max);
	for (last = 3; last >= 0 && fields[last][0] == '\0'; last--)
		;
	for (i = 0; i <= last; i++) {
		fputc(';', f);
		put_text(fields[i], f);
	}
}

void output_render(const struct output *o, FILE *f)
{
	size_t i;

	if (o->service && o->service[0])
		fprintf(f, "%s ", o->service);
	fprintf(f, "%s - ", state_name(o->state));
	put_text(o->summary, f);
	for (i = 0; i < o->nperf; i++) {
		fputs(i == 0 ? " | " : " ", f);
		output_render_perf(&o->perf[i], f);
	}
	fputc('\n', f);
	for (i = 0; i < o->nlines; i++) {
		put_text(o->lines[i], f);
		fputc('\n', f);
	}
}
