/*
 * judge.h - thresholds and trends turned into a plugin state.
 *
 * Level thresholds are ranges (critical judged before warning); trend
 * thresholds are durations: alert when the projected time left is below.
 */
#ifndef TT_JUDGE_H
#define TT_JUDGE_H

#include <stdbool.h>

#include "output.h"
#include "range.h"
#include "trend.h"

struct judge_levels {
	struct range warn, crit;
	bool has_warn, has_crit;
};

struct judge_time_left {
	double warn, crit; /* seconds; NAN when not set */
};

/* State of VALUE against the level ranges: CRITICAL, WARNING or OK. */
enum state judge_level(const struct judge_levels *l, double value);

/* State of a trend against the time-left thresholds: OK while collecting,
 * when the value is not moving toward the limit, or when the projection
 * reaches beyond what its history supports (!r->trusted). */
enum state judge_trend(const struct judge_time_left *tl, const struct trend_result *r);

/* Format "N:" (alert below N) for a time-left threshold; "" when NAN. */
void judge_time_left_range(double seconds, char *buf, size_t len);

#endif
