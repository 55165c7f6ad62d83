/*
 * output.h - the plugin result: state, status line, long output, perfdata.
 *
 * This is the only code that formats plugin output, in the syntax of the
 * Monitoring Plugins guidelines:
 *
 *   DISK_TREND WARNING - / full in 5d 3h, +1.2 GiB/day | '/'=5368709120B;...
 *   long output line 1
 *   long output line 2
 */
#ifndef TT_OUTPUT_H
#define TT_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "range.h"

enum state { STATE_OK = 0, STATE_WARNING = 1, STATE_CRITICAL = 2, STATE_UNKNOWN = 3 };

#define OUTPUT_TEXT_MAX  512
#define OUTPUT_LABEL_MAX 128
#define OUTPUT_LINES_MAX 64
#define OUTPUT_PERF_MAX  96

struct perf {
	char label[OUTPUT_LABEL_MAX];
	double value;    /* NAN prints as U (value could not be determined) */
	const char *uom; /* "", "B", "s", "%", "c" */
	char warn[64];   /* range text, may be empty */
	char crit[64];
	double min, max; /* NAN when absent */
};

struct output {
	const char *service; /* "DISK_TREND" */
	enum state state;
	char summary[OUTPUT_TEXT_MAX];                 /* text after "STATE - " */
	char lines[OUTPUT_LINES_MAX][OUTPUT_TEXT_MAX]; /* long output */
	size_t nlines;
	struct perf perf[OUTPUT_PERF_MAX];
	size_t nperf;
};

/* Name of a state: "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char *state_name(enum state s);

/* Parse "ok|warning|critical|unknown" (any case) or "0".."3". Returns 0 or -1. */
int state_parse(const char *text, enum state *s);

/* The worse of A and B: CRITICAL > WARNING > UNKNOWN > OK. */
enum state state_worst(enum state a, enum state b);

/* Set the summary text (printf-style). */
void output_summary(struct output *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append a long-output line (printf-style); silently ignored when full. */
void output_line(struct output *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append a perfdata item and return it for the caller to fill warn/crit/min/max;
 * min and max start as NAN, warn and crit empty. NULL when full. */
struct perf *output_perf(struct output *o, const char *label, double value, const char *uom);

/* Write the whole result to F. Newlines in texts are replaced by spaces and '|'
 * by '/', so the output can never be misparsed. */
void output_render(const struct output *o, FILE *f);

/* Write one perfdata item in guideline syntax ('label'=value[UOM];warn;crit;min;max). */
void output_render_perf(const struct perf *p, FILE *f);

#endif
