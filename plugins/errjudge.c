/*
 * errjudge.c - error ratios per window, baselines and the trend's points.
 */
#include "errjudge.h"

#include <math.h>

#include "trend.h"

/* Sum the buckets with start in (FROM, TO]. */
static void sum_window(const struct sample *b, size_t n, double from, double to, double *req,
                       double *err)
{
	size_t i = trend_lower_bound(b, n, (int64_t)floor(from) + 1);

	*req = 0;
	*err = 0;
	for (; i < n && b[i].t <= to; i++) {
		*req += b[i].capacity;
		*err += b[i].value;
	}
}

static double ratio_of(double req, double err)
{
	return req > 0 ? 100.0 * err / req : NAN;
}

double errjudge_limit(const struct errjudge_opts *o)
{
	const struct range *c = &o->levels.crit;

	if (o->levels.has_crit && !c->inside && !c->end_inf)
		return c->end;
	return 100.0;
}

size_t errjudge_points(const struct errjudge_opts *o, const struct sample *b, size_t n, int64_t now,
                       double span, struct sample *p, size_t max)
{
	size_t k = (size_t)floor(span / o->window), m = 0;

	if (k >= max)
		k = max - 1;
	for (size_t j = k + 1; j-- > 0;) {
		double end = (double)now - (double)j * o->window, req, err;

		sum_window(b, n, end - o->window, end, &req, &err);
		if (req < o->min_requests || req <= 0)
			continue;
		p[m].t = (int64_t)end;
		p[m].value = ratio_of(req, err);
		p[m].capacity = 100.0;
		m++;
	}
	return m;
}

static void judge_baseline(const struct errjudge_opts *o, const struct sample *b, size_t n,
                           int64_t now, struct errjudge_result *r)
{
	double end;

	r->base_ratio = NAN;
	r->increase = NAN;
	r->increase_state = STATE_OK;
	if (o->baseline == 0)
		return;
	end = o->baseline == ERRJUDGE_PREVIOUS ? (double)now - o->window
	                                       : (double)now - o->baseline;
	sum_window(b, n, end - (o->baseline == ERRJUDGE_PREVIOUS ? 3600 : o->window), end,
	           &r->base_requests, &r->base_errors);
	if (r->base_requests < o->min_requests || r->base_requests <= 0)
		return;
	r->base_ratio = ratio_of(r->base_requests, r->base_errors);
	if (!r->judged || r->base_ratio <= 0)
		return;
	r->increase = r->ratio / r->base_ratio;
	if (!isnan(o->crit_increase) && r->increase >= o->crit_increase)
		r->increase_state = STATE_CRITICAL;
	else if (!isnan(o->warn_increase) && r->increase >= o->warn_increase)
		r->increase_state = STATE_WARNING;
}

void errjudge_window(const struct errjudge_opts *o, const struct sample *b, size_t n, int64_t now,
                     struct errjudge_result *r)
{
	sum_window(b, n, (double)now - o->window, (double)now, &r->requests, &r->errors);
	r->ratio = ratio_of(r->requests, r->errors);
	r->judged = r->requests >= o->min_requests && r->requests > 0;
	r->level_state = r->judged ? judge_level(&o->levels, r->ratio) : STATE_OK;
	judge_baseline(o, b, n, now, r);
}
