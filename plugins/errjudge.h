/*
 * errjudge.h - check_error_trend's evaluation: pure code over per-bucket
 * request and error counts, the same for a live run and a replay.
 *
 * Buckets are struct sample: t = bucket start, capacity = requests, value =
 * errors (several samples with one t are summed). Windows are half-open on
 * bucket starts: the current window is (now - window, now].
 */
#ifndef TT_ERRJUDGE_H
#define TT_ERRJUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "judge.h"
#include "plugin.h"
#include "sample.h"

#define ERRJUDGE_PREVIOUS (-1.0) /* baseline: the hour before the window */

struct errjudge_opts {
	double window;              /* seconds the ratio is taken over (--window) */
	double baseline;            /* seconds back to the baseline window, or
	                               ERRJUDGE_PREVIOUS; 0 = none */
	double min_requests;        /* below this the ratio is reported, not judged */
	struct judge_levels levels; /* -w/-c on the ratio, percent */
	double warn_increase;       /* factors; NAN = not judged */
	double crit_increase;
};

struct errjudge_result {
	double requests, errors; /* in the current window */
	double ratio;            /* percent; NAN without requests */
	bool judged;             /* requests >= min_requests */
	double base_requests, base_errors;
	double base_ratio;         /* percent; NAN when no baseline or no requests */
	double increase;           /* ratio / base_ratio; NAN when not computable */
	enum state level_state;    /* from -w/-c */
	enum state increase_state; /* from --warn-increase/--crit-increase */
};

/* The ratio trend's limit: the critical level when -c sets an upper bound
 * ("5", "~:5", "0:5"), else 100%. */
double errjudge_limit(const struct errjudge_opts *o);

/* The windowed points the trend is estimated on: one per WINDOW ending at
 * NOW, NOW - WINDOW, ... back to NOW - SPAN, with the ratio in percent as the
 * value (capacity 100); windows with fewer than min_requests requests are
 * left out. B[0..N) sorted by t. Returns the number of points written to P
 * (at most MAX). */
size_t errjudge_points(const struct errjudge_opts *o, const struct sample *b, size_t n, int64_t now,
                       double span, struct sample *p, size_t max);

/* Judge the current window (and the baseline) of B[0..N) at NOW. */
void errjudge_window(const struct errjudge_opts *o, const struct sample *b, size_t n, int64_t now,
                     struct errjudge_result *r);

#endif
