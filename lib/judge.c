/*
 * judge.c - thresholds and trends turned into a plugin state.
 */
#include "judge.h"

#include <math.h>
#include <stdio.h>

enum state judge_level(const struct judge_levels *l, double value)
{
	if (l->has_crit && range_alert(&l->crit, value))
		return STATE_CRITICAL;
	if (l->has_warn && range_alert(&l->warn, value))
		return STATE_WARNING;
	return STATE_OK;
}

enum state judge_trend(const struct judge_time_left *tl, const struct trend_result *r)
{
	if (isnan(r->time_left) || !r->trusted)
		return STATE_OK;
	if (!isnan(tl->crit) && r->time_left < tl->crit)
		return STATE_CRITICAL;
	if (!isnan(tl->warn) && r->time_left < tl->warn)
		return STATE_WARNING;
	return STATE_OK;
}

void judge_time_left_range(double seconds, char *buf, size_t len)
{
	if (isnan(seconds))
		buf[0] = '\0';
	else
		snprintf(buf, len, "%.0f:", seconds);
}
