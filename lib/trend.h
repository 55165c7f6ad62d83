/*
 * trend.h - the trend engine: slope, confidence range and time to exhaustion.
 *
 * Given a series of samples (oldest first) and `now`, the engine:
 *  1. keeps the samples within the window [now - window, now];
 *  2. finds where the current regime starts: a capacity change (resize), or a
 *     level shift (a cleanup, a one-off step, a reboot) confirmed by the median
 *     of the samples on each side, starts a new segment instead of bending the
 *     fit; recurring resets away from the limit (rotation sawtooth) are kept in
 *     one segment and judged on their peaks, until a reset is overdue (the
 *     rotation stopped), when the ramp since the last reset is the trend;
 *  3. estimates the slope (Theil-Sen by default, or least squares) with a ~95%
 *     confidence range, once the segment has min_samples and min_span;
 *  4. projects the time until the level reaches `limit`: 0 when already there,
 *     NAN when the value is not significantly moving toward the limit. The
 *     distance is taken from the fitted peak line for a sawtooth, else from
 *     whichever of the fitted line and the latest sample is farther from the
 *     limit (so an unconfirmed cleanup or one noisy sample raises no alarm).
 *
 * Pure code: no I/O, no clock, no allocation visible to the caller.
 */
#ifndef TT_TREND_H
#define TT_TREND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sample.h"

enum trend_estimator {
	TREND_THEIL_SEN,     /* median of pairwise slopes: robust, the default */
	TREND_LEAST_SQUARES, /* ordinary least squares */
};

struct trend_params {
	enum trend_estimator estimator;
	double window;      /* seconds of history considered */
	size_t min_samples; /* samples a segment needs before a trend is estimated */
	double min_span;    /* seconds a segment must cover likewise */
	int direction;      /* +1: the value rises toward limit (disk used);
	                       -1: it falls toward limit (memory available) */
	double limit;       /* the level at which the resource is exhausted */
	double step_min;    /* smallest level shift treated as a step (absolute);
	                       0 = 2% of the latest capacity */
	double horizon;     /* a projection is trusted up to this many times the
	                       span of history it comes from; 0 = always */
};

/* Defaults: Theil-Sen, 7 days, 6 samples, 10 minutes, direction +1, limit 0,
 * horizon 4 (a day of history projects at most 4 days ahead). */
void trend_params_default(struct trend_params *p);

enum trend_status {
	TREND_COLLECTING, /* not enough history in the current segment yet */
	TREND_ESTIMATED,  /* slope and projection are valid */
};

/* Why the current segment starts where it does. */
enum trend_segment {
	TREND_SEG_WINDOW,   /* at the start of the window: nothing happened */
	TREND_SEG_RESIZE,   /* capacity changed */
	TREND_SEG_STEP,     /* a level shift (cleanup, step, reboot) */
	TREND_SEG_SAWTOOTH, /* recurring resets: judged on their peaks */
	TREND_SEG_OVERDUE,  /* recurring resets stopped: the ramp since the last */
};

struct trend_result {
	enum trend_status status;
	enum trend_segment segment;
	int64_t segment_start; /* time of the segment's first sample */
	size_t samples;        /* samples in the segment (peaks in sawtooth mode) */
	size_t samples_needed; /* min_samples */
	double span;           /* seconds the segment covers */
	double span_needed;    /* min_span */
	double slope;          /* value units per second; NAN while collecting */
	double slope_lo;       /* ~95% confidence range of the slope */
	double slope_hi;
	double level;        /* the latest sample's value */
	double time_left;    /* seconds until limit: 0 when already exhausted,
	                        NAN when not moving toward it or collecting */
	double time_left_lo; /* range from the slope's confidence range; */
	double time_left_hi; /* _hi is INFINITY when slope_lo is not toward it */
	bool exhausted;      /* level is at or beyond limit */
	bool trusted;        /* time_left is 0, or within horizon x span: a
	                        projection fit to alert on. A sawtooth's
	                        first tooth, or an hour of a backup's writes,
	                        must not raise a 10-day projection */
	bool moving;         /* slope significantly toward the limit */
};

/* Evaluate the samples S[0..N) (sorted by time; samples after NOW are ignored)
 * at NOW. N may be 0. Returns 0, or -1 when P is invalid (ERR says why). */
int trend_evaluate(const struct sample *s, size_t n, int64_t now, const struct trend_params *p,
                   struct trend_result *r, char *err, size_t errlen);

/* Index of the first sample with t >= T in sorted S[0..N) (binary search). */
size_t trend_lower_bound(const struct sample *s, size_t n, int64_t t);

#endif
