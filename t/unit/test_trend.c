/*
 * test_trend.c - the trend engine, specified by example.
 *
 * Every series is synthetic and deterministic: 5-minute samples over a 7-day
 * window (2016 samples), a 100 GB disk, noise from a fixed-seed LCG. The
 * expected numbers are computed from the series' own definition (slope in
 * bytes per second, time left in seconds), so a failure names the quantity
 * that went wrong.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "trend.h"

#define DAY  86400
#define STEP 300 /* seconds between samples */
#define WEEK (7 * DAY)
#define NW   2016 /* samples in a week */
#define CAP  100e9
#define NOW  ((int64_t)1699920000) /* a UTC midnight */

/* ---- helpers -------------------------------------------------------------- */

#define assert_near(actual, expected, tol)                                                         \
	near_or_fail((actual), (expected), (tol), #actual, __FILE__, __LINE__)
#define assert_rel(actual, expected, rel)                                                          \
	near_or_fail((actual), (expected), (rel)*fabs(expected), #actual, __FILE__, __LINE__)

static void near_or_fail(double actual, double expected, double tol, const char *what,
                         const char *file, int line)
{
	if (fabs(actual - expected) <= tol)
		return;
	print_error("%s = %.17g, expected %.17g +- %g\n", what, actual, expected, tol);
	_fail(file, line);
}

/* A uniform number in [-1, 1) from a 32-bit LCG. */
static double noise(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return (double)(*state >> 8) / (double)(1u << 23) - 1.0;
}

/* N samples STEP apart, the last at T_LAST with value V_LAST, on a line
 * rising by RATE per second. */
static void ramp(struct sample *s, size_t n, int64_t t_last, double v_last, double rate, double cap)
{
	for (size_t i = 0; i < n; i++) {
		int64_t ago = (int64_t)(n - 1 - i) * STEP;

		s[i] = (struct sample){t_last - ago, v_last - rate * (double)ago, cap};
	}
}

static struct trend_params params(double limit)
{
	struct trend_params p;

	trend_params_default(&p);
	p.limit = limit;
	return p;
}

static struct trend_result eval(const struct sample *s, size_t n, int64_t now,
                                const struct trend_params *p)
{
	struct trend_result r;
	char err[128] = "";

	assert_int_equal(trend_evaluate(s, n, now, p, &r, err, sizeof err), 0);
	assert_string_equal(err, "");
	return r;
}

/* Seconds since the last midnight (NOW is one). */
static int64_t phase(int64_t t)
{
	return ((t - NOW) % DAY + DAY) % DAY;
}

/* Whole days since NOW, rounded down. */
static int64_t day_of(int64_t t)
{
	return (t - NOW - phase(t)) / DAY;
}

/* ---- defaults and parameters --------------------------------------------- */

static void test_defaults(void **state)
{
	struct trend_params p;

	(void)state;
	trend_params_default(&p);
	assert_int_equal(p.estimator, TREND_THEIL_SEN);
	assert_near(p.window, 7.0 * DAY, 0);
	assert_int_equal(p.min_samples, 6);
	assert_near(p.min_span, 600, 0);
	assert_int_equal(p.direction, 1);
	assert_near(p.limit, 0, 0);
	assert_near(p.step_min, 0, 0);
}

static void expect_invalid(const struct trend_params *p, const char *word)
{
	struct sample s[8];
	struct trend_result r;
	char err[128] = "";

	ramp(s, 8, NOW, 50e9, 1000, CAP);
	assert_int_equal(trend_evaluate(s, 8, NOW, p, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, word));
}

/* Each parameter out of its domain is refused, with the reason named. */
#define assert_invalid(change, word)                                                               \
	do {                                                                                       \
		struct trend_params p = params(CAP);                                               \
		change;                                                                            \
		expect_invalid(&p, word);                                                          \
	} while (0)

static void test_invalid_params_are_rejected(void **state)
{
	(void)state;
	assert_invalid(p.window = 0, "window");
	assert_invalid(p.window = -DAY, "window");
	assert_invalid(p.window = NAN, "window");
	assert_invalid(p.min_samples = 1, "min_samples");
	assert_invalid(p.direction = 0, "direction");
	assert_invalid(p.direction = 2, "direction");
	assert_invalid(p.limit = NAN, "limit");
	assert_invalid(p.limit = INFINITY, "limit");
	assert_invalid(p.min_span = -1, "min_span");
	assert_invalid(p.step_min = -1, "step_min");
}

/* ---- straight lines -------------------------------------------------------- */

/* A disk filling at exactly 10 kB/s, 60 GB used of 100: 4e6 s left. */
static void test_exact_line(void **state)
{
	struct sample s[NW];
	struct trend_params p = params(CAP);
	struct trend_result r;

	(void)state;
	ramp(s, NW, NOW, 60e9, 1e4, CAP);
	r = eval(s, NW, NOW, &p);
	assert_int_equal(r.status, TREND_ESTIMATED);
	assert_int_equal(r.segment, TREND_SEG_WINDOW);
	assert_int_equal(r.samples, NW);
	assert_near(r.span, (NW - 1) * STEP, 0);
	assert_true(r.segment_start == s[0].t);
	assert_near(r.level, 60e9, 0);
	assert_rel(r.slope, 1e4, 1e-9);
	assert_rel(r.slope_lo, 1e4, 1e-9); /* an exact line: a zero-width range */
	assert_rel(r.slope_hi, 1e4, 1e-9);
	assert_true(r.moving);
	assert_false(r.exhausted);
	assert_rel(r.time_left, 4e6, 1e-9);
	assert_rel(r.time_left_lo, 4e6, 1e-9);
	assert_rel(r.time_left_hi, 4e6, 1e-9);
}

static void test_exact_line_least_squares(void **state)
{
	struct sample s[NW];
	struct trend_params p = params(CAP);
	struct trend_result r;

	(void)state;
	p.estimator = TREND_LEAST_SQUARES;
	ramp(s, NW, NOW, 60e9, 1e4, CAP);
	r = eval(s, NW, NOW, &p);
	assert_int_equal(r.status, TREND_ESTIMATED);
	assert_rel(r.slope, 1e4, 1e-9);
	assert_rel(r.slope_lo, 1e4, 1e-9);
	assert_rel(r.slope_hi, 1e4, 1e-9);
	assert_true(r.moving);
	assert_rel(r.time_left, 4e6, 1e-9);
}

/* 5 kB/s under +-200 MB of noise: every estimate within 5%, and the ~95%
 * range covers the true slope in at least 90% of 40 series. */
static void test_noisy_line(void **state)
{
	struct sample s[NW];
	struct trend_params p = params(CAP);
	int covered = 0;

	(void)state;
	for (uint32_t seed = 1; seed <= 40; seed++) {
		uint32_t st = seed;
		struct trend_result r;

		ramp(s, NW, NOW, 60e9, 5e3, CAP);
		for (size_t i = 0; i < NW; i++)
			s[i].value += 2e8 * noise(&st);
		r = eval(s, NW, NOW, &p);
		assert_int_equal(r.status, TREND_ESTIMATED);
		assert_int_equal(r.segment, TREND_SEG_WINDOW);
		assert_rel(r.slope, 5e3, 0.05);
		assert_true(r.slope_lo <= r.slope && r.slope <= r.slope_hi);
		assert_true(r.moving);
		assert_true(r.time_left_lo <= r.time_left && r.time_left <= r.time_left_hi);
		covered += r.slope_lo <= 5e3 && 5e3 <= r.slope_hi;
	}
	assert_in_range(covered, 36, 40);
}

/* A flat disk under noise is not growing. A 95% range must exclude a zero
 * slope in ~2.5% of pure-noise series on the growing side, by construction;
 * the test bounds that rate and requires that such a chance "trend" never
 * projects a fill within a year. */
static void test_flat_noise_is_not_growing(void **state)
{
	struct sample s[NW];
	struct trend_params p = params(CAP);
	int moving = 0;

	(void)state;
	for (uint32_t seed = 1; seed <= 200; seed++) {
		uint32_t st = seed * 7919u;
		struct trend_result r;

		ramp(s, NW, NOW, 50e9, 0, CAP);
		for (size_t i = 0; i < NW; i++)
			s[i].value += 2e8 * noise(&st);
		r = eval(s, NW, NOW, &p);
		assert_int_equal(r.status, TREND_ESTIMATED);
		assert_int_equal(r.segment, TREND_SEG_WINDOW);
		assert_near(r.slope, 0, 150); /* ~5 standard errors: 90 MB a week */
		if (r.moving) {
			moving++;
			assert_true(r.time_left > 365.0 * DAY);
			continue;
		}
		assert_true(isnan(r.time_left));
		if (r.slope_hi > 0) { /* it might be growing: at the earliest... */
			assert_true(r.time_left_lo > 365.0 * DAY);
			assert_true(isinf(r.time_left_hi));
		}
	}
	assert_in_range(moving, 0, 10);
}

/* Available memory falling 10 kB/s toward 0 from 2 GB: 2e5 s left; toward a
 * floor of 1 GB: 1e5 s. */
static void test_direction_down(void **state)
{
	struct sample s[NW];
	struct trend_params p = params(0);
	struct trend_result r;

	(void)state;
	p.direction = -1;
	ramp(s, NW, NOW, 2e9, -1e4, 16e9);
	r = eval(s, NW, NOW, &p);
	assert_int_equal(r.status, TREND_ESTIMATED);
	assert_rel(r.slope, -1e4, 1e-9);
	assert_true(r.moving);
	assert_false(r.exhausted);
	assert_rel(r.time_left, 2e5, 1e-9);

	p.limit = 1e9;
	r = eval(s, NW, NOW, &p);
	assert_rel(r.time_left, 1e5, 1e-9);

	p.limit = 3e9; /* already below the floor */
	r = eval(s, NW, NOW, &p);
	assert_true(r.exhausted);
	assert_near(r.time_left, 0, 0);

	p.limit = 0; /* rising memory is not moving toward exhaustion */
	ramp(s, NW, NOW, 8e9, 1e4, 16e9);
	r = eval(s, NW, NOW, &p);
	assert_false(r.moving);
	assert_true(isnan(r.time_left));
}

/* ---- gates ---------------------------------------------------------------- */

static void test_collecting_gates(void **state)
{
	struct sample s[NW];
	struct trend_params p = params(CAP);
	struct trend_result r;

	(void)state;
	r = eval(s, 0, NOW, &p); /* nothing yet */
	assert_int_equal(r.status, TREND_COLLECTING);
	assert_int_equal(r.samples, 0);
	assert_true(isnan(r.level));
	assert_true(isnan(r.time_left));
	assert_false(r.moving);

	ramp(s, 5, NOW, 60e9, 1e4, CAP); /* 5 of 6 samples */
	r = eval(s, 5, NOW, &p);
	assert_int_equal(r.status, TREND_COLLECTING);
	assert_int_equal(r.samples, 5);
	assert_int_equal(r.samples_needed, 6);
	assert_near(r.level, 60e9, 0);
	assert_true(isnan(r.slope));
	assert_true(isnan(r.time_left));
	assert_false(r.moving);
	assert_false(r.exhausted);

	for (size_t i = 0; i < 6; i++) /* 6 samples but only 300 s of 600 */
		s[i] = (struct sample){NOW - 300 + 60 * (int64_t)i, 60e9 + 1e4 * 60 * (double)i,
		                       CAP};
	r = eval(s, 6, NOW, &p);
	assert_int_equal(r.status, TREND_COLLECTING);
	assert_near(r.span, 300, 0);
	assert_near(r.span_needed, 600, 0);
	assert_true(isnan(r.time_left));

	ramp(s, 6, NOW, 60e9, 1e4, CAP); /* 6 samples over 1500 s: enough */
	r = eval(s, 6, NOW, &p);
	assert_int_equal(r.status, TREND_ESTIMATED);
	assert_rel(r.time_left, 4e6, 1e-9);

	ramp(s, 3, NOW, CAP, 1e4, CAP); /* full while still collecting: 0 left */
	r = eval(s, 3, NOW, &p);
	assert_int_equal(r.status, TREND_COLLECTING);
	assert_true(r.exhausted);
	assert_near(r.time_left, 0, 0);

	ramp(s, NW, NOW - WEEK - 1, 60e9, 1e4, CAP); /* all older than the window */
	r = eval(s, NW, NOW, &p);
	assert_int_equal(r.status, TREND_COLLECTING);
	assert_int_equal(r.samples, 0);
	assert_true(isnan(r.level));
}

/* At or beyond the limit: 0 left, never NAN or infinite, moving or not. */
static void test_already_exhausted(void **state)
{
	struct sample s[NW];
	struct trend_params p = params(CAP);
	struct trend_result r;

	(void)state;
	ramp(s, NW, NOW, CAP, 1e4, CAP);
	r = eval(s, NW, NOW, &p);
	assert_int_equal(r.status, TREND_ESTIMATED);
	assert_true(r.exhausted);
	assert_true(r.moving);
	assert_near(r.time_left, 0, 0);
	assert_near(r.time_left_lo, 0, 0);
	assert_near(r.time_left_hi, 0, 0);

	ramp(s, NW, NOW, CAP, 0, CAP); /* full and flat */
	r = eval(s, NW, NOW, &p);
	assert_true(r.exhausted);
	assert_false(r.moving);
	assert_near(r.time_left, 0, 0);
	assert_near(r.time_left_hi, 0, 0);

	p = params(80e9); /* a lower limit, long passed */
	ramp(s, NW, NOW, 90e9, -1e3, CAP);
	r = eval(s, NW, NOW, &p);
	assert_true(r.exhausted);
	assert_near(r.time_left, 0, 0);
}

/* ---- level shifts --------------------------------------------------------- */

/* Five days of growth at 20 kB/s, a cleanup freeing 30 GB, then the same
 * growth: the trend restarts after the cleanup instead of bending. */
static void cleanup(struct sample *s, size_t n, size_t drop_at)
{
	for (size_t i = 0; i < n; i++) {
		double v = 50e9 + 2e4 * STEP * (double)i - (i >= drop_at ? 30e9 : 0);

		s[i] = (struct sample){NOW - WEEK + STEP * (int64_t)(i + 1), v, CAP};
	}
}

static void test_cleanup_restarts_the_trend(void **state)
{
	const size_t drop = 5 * DAY / STEP;
	struct sample s[NW];
	struct trend_params p = params(CAP);
	struct trend_result r;

	(void)state;
	cleanup(s, drop + 2, drop); /* 2 samples after: not yet confirmed */
	r = eval(s, drop + 2, s[drop + 1].t, &p);
	assert_int_equal(r.segment, TREND_SEG_WINDOW);

	cleanup(s, drop + 4, drop); /* 4 after: a step, but 4 of 6 samples */
	r = eval(s, drop + 4, s[drop + 3].t, &p);
	assert_int_equal(r.status, TREND_COLLECTING);
	assert_int_equal(r.segment, TREND_SEG_STEP);
	assert_true(r.segment_start == s[drop].t);
	assert_int_equal(r.samples, 4);
	assert_true(isnan(r.time_left));

	cleanup(s, drop + DAY / STEP, drop); /* a day later: the new trend */
	r = eval(s, drop + DAY / STEP, s[drop + DAY / STEP - 1].t, &p);
	assert_int_equal(r.status, TREND_ESTIMATED);
	assert_int_equal(r.segment, TREND_SEG_STEP);
	assert_true(r.segment_start == s[drop].t);
	assert_int_equal(r.samples, DAY / STEP);
	assert_rel(r.slope, 2e4, 1e-9);
	assert_true(r.moving);
	assert_rel(r.time_left, (CAP - r.level) / 2e4, 1e-9);
}

/* A one-off step (a restore, a new application) then flat: not growing. */
static void test_one_off_step_then_flat(void **state)
{
	struct sample s[NW];
	struct trend_params p = params(CAP);
	struct trend_result r;

	(void)state;
	ramp(s, NW, NOW, 40e9, 0, CAP);
	for (size_t i = 4 * NW / 7; i < NW; i++)
		s[i].value = 50e9;
	r = eval(s, NW, NOW, &p);
	assert_int_equal(r.status, TREND_ESTIMATED);
	assert_int_equal(r.segment, TREND_SEG_STEP);
	assert_true(r.segment_start == s[4 * NW / 7].t);
	assert_near(r.slope, 0, 1e-9);
	assert_false(r.moving);
	assert_true(isnan(r.time_left));
}

/* Without a capacity, a step is 2% of the largest value; step_min overrides
 * that: a 10-unit step in a 100-unit metric is a step, unless step_min says
 * only 20 units are. */
static void test_step_size_without_capacity(void **state)
{
	struct sample s[NW];
	struct trend_params p = params(1000);
	struct trend_result r;

	(void)state;
	ramp(s, NW, NOW, 90, 0, 0);
	for (size_t i = 0; i < NW / 2; i++)
		s[i].value = 80;
	r = eval(s, NW, NOW, &p);
	assert_int_equal(r.segment, TREND_SEG_STEP);
	assert_true(r.segment_start == s[NW / 2].t);
	assert_false(r.moving);

	p.step_min = 20;
	r = eval(s, NW, NOW, &p);
	assert_int_equal(r.segment, TREND_SEG_WINDOW);
}

/* One wild sample in a ramp (a glitch, a temporary file) is not a step. */
static void test_spike_is_not_a_step(void **state)
{
	struct sample s[NW];
	struct trend_params p = params(CAP);
	struct trend_result r;

	(void)state;
	ramp(s, NW, NOW, 60e9, 1e4, CAP);
	s[1000].value += 20e9;
	s[1500].value = 0; /* a failed read */
	r = eval(s, NW, NOW, &p);
	assert_int_equal(r.status, TREND_ESTIMATED);
	assert_int_equal(r.segment, TREND_SEG_WINDOW);
	assert_int_equal(r.samples, NW);
	assert_rel(r.slope, 1e4, 0.01);
	assert_true(r.moving);
	assert_rel(r.time_left, 4e6, 0.01);
}

/* A steep but steady ramp (a restore writing 9 GB an hour) is one trend,
 * not a staircase of steps: jumps are measured after removing the drift. */
static void test_steep_ramp_is_not_a_staircase(void **state)
{
	struct sample s[72];
	struct trend_params p = params(CAP);
	struct trend_result r;

	(void)state;
	ramp(s, 72, NOW, 80e9, 2.5e6, CAP);
	r = eval(s, 72, NOW, &p);
	assert_int_equal(r.status, TREND_ESTIMATED);
	assert_int_equal(r.segment, TREND_SEG_WINDOW);
	assert_int_equal(r.samples, 72);
	assert_rel(r.slope, 2.5e6, 1e-9);
	assert_rel(r.time_left, 20e9 / 2.5e6, 1e-9);
}

/* The disk is grown from 100 to 200 GB mid-window: a new segment. A capacity
 * that wobbles by less than 0.1% is not a resize. */
static void test_resize_starts_a_segment(void **state)
{
	struct sample s[NW];
	struct trend_params p = params(200e9);
	struct trend_result r;

	(void)state;
	ramp(s, NW, NOW, 60e9, 1e4, CAP);
	for (size_t i = 1000; i < NW; i++)
		s[i].capacity = 2 * CAP;
	r = eval(s, NW, NOW, &p);
	assert_int_equal(r.status, TREND_ESTIMATED);
	assert_int_equal(r.segment, TREND_SEG_RESIZE);
	assert_true(r.segment_start == s[1000].t);
	assert_int_equal(r.samples, NW - 1000);
	assert_rel(r.slope, 1e4, 1e-9);
	assert_rel(r.time_left, 140e9 / 1e4, 1e-9);

	for (size_t i = 0; i < NW; i++)
		s[i].capacity = CAP + (i % 2 ? 2e7 : -2e7); /* 0.04% */
	r = eval(s, NW, NOW, &p);
	assert_int_equal(r.segment, TREND_SEG_WINDOW);
}

/* ---- rotation ------------------------------------------------------------- */

/* Logs grow 10 GB a day from a floor and are rotated away at midnight; the
 * floor grows by FLOOR_GROWTH a day. Rotation stops after STOP (if not 0). */
static double rotated(int64_t t, double floor_growth, int64_t stop)
{
	double floor = 40e9 + floor_growth * (double)day_of(t);

	if (stop != 0 && t >= stop)
		return 40e9 + floor_growth * (double)day_of(stop) + 10e9 / DAY * (double)(t - stop);
	return floor + 10e9 / DAY * (double)phase(t);
}

static void rotation(struct sample *s, int64_t now, double floor_growth, int64_t stop)
{
	for (size_t i = 0; i < NW; i++) {
		int64_t t = now - (int64_t)(NW - 1 - i) * STEP;

		s[i] = (struct sample){t, rotated(t, floor_growth, stop), CAP};
	}
}

/* Daily rotation back to the same floor: the peaks are level, not growing,
 * however steep each day's climb. */
static void test_sawtooth_is_not_growing(void **state)
{
	const int64_t now = NOW + 18 * 3600;
	struct sample s[NW];
	struct trend_params p = params(CAP);
	struct trend_result r;

	(void)state;
	rotation(s, now, 0, 0);
	r = eval(s, NW, now, &p);
	assert_int_equal(r.status, TREND_ESTIMATED);
	assert_int_equal(r.segment, TREND_SEG_SAWTOOTH);
	assert_int_equal(r.samples, 7); /* the peaks before 7 midnights */
	assert_near(r.level, 40e9 + 10e9 * 0.75, 1);
	assert_near(r.slope, 0, 1e-9);
	assert_false(r.moving);
	assert_true(isnan(r.time_left));
}

/* The same rotation leaving 1 GB more behind each day: the peaks grow by
 * 1 GB a day, and the time left is until the peak line reaches the limit. */
static void test_sawtooth_with_growing_floor(void **state)
{
	const int64_t now = NOW + 18 * 3600;
	const double slope = 1e9 / DAY;
	struct sample s[NW];
	struct trend_params p = params(CAP);
	struct trend_result r;
	double peak_now;

	(void)state;
	rotation(s, now, 1e9, 0);
	r = eval(s, NW, now, &p);
	assert_int_equal(r.status, TREND_ESTIMATED);
	assert_int_equal(r.segment, TREND_SEG_SAWTOOTH);
	assert_rel(r.slope, slope, 1e-9);
	assert_true(r.moving);
	/* the last peak was just before midnight; the line has grown since */
	peak_now = rotated(NOW - STEP, 1e9, 0) + slope * (double)(now - (NOW - STEP));
	assert_rel(r.time_left, (CAP - peak_now) / slope, 1e-9);
}

/* With a limit of 49.5 GB, the peak line is already past it, but the disk,
 * just rotated, is not (47.5 GB): the time left is measured from the latest
 * sample, at the peaks' pace. */
static void test_peaks_past_the_limit(void **state)
{
	const int64_t now = NOW + 18 * 3600;
	const double slope = 1e9 / DAY;
	struct sample s[NW];
	struct trend_params p = params(49.5e9);
	struct trend_result r;

	(void)state;
	rotation(s, now, 1e9, 0);
	r = eval(s, NW, now, &p);
	assert_int_equal(r.segment, TREND_SEG_SAWTOOTH);
	assert_false(r.exhausted);
	assert_true(r.moving);
	assert_near(r.level, 47.5e9, 1);
	assert_rel(r.time_left, 2e9 / slope, 1e-9);
}

/* Rotation for 4 days, then it stops deleting: the last reset is overdue and
 * the ramp since it is the trend (10 GB a day, 30 GB left: 3 days). Half a
 * day later than usual is still just late, not yet overdue. */
static void test_rotation_that_stopped_is_overdue(void **state)
{
	const int64_t stop = NOW - 3 * DAY;
	struct sample s[NW];
	struct trend_params p = params(CAP);
	struct trend_result r;

	(void)state;
	rotation(s, NOW, 0, stop);
	r = eval(s, NW, NOW, &p);
	assert_int_equal(r.status, TREND_ESTIMATED);
	assert_int_equal(r.segment, TREND_SEG_OVERDUE);
	assert_true(r.segment_start == stop);
	assert_int_equal(r.samples, 3 * DAY / STEP + 1);
	assert_near(r.level, 70e9, 1);
	assert_rel(r.slope, 10e9 / DAY, 1e-9);
	assert_true(r.moving);
	assert_rel(r.time_left, 3.0 * DAY, 1e-9);

	rotation(s, stop + DAY + DAY / 2, 0, stop); /* 1.5 days: still a sawtooth */
	r = eval(s, NW, stop + DAY + DAY / 2, &p);
	assert_int_equal(r.segment, TREND_SEG_SAWTOOTH);
	assert_false(r.moving);

	rotation(s, stop + DAY + DAY / 2 + STEP, 0, stop); /* a sample later: overdue */
	r = eval(s, NW, stop + DAY + DAY / 2 + STEP, &p);
	assert_int_equal(r.segment, TREND_SEG_OVERDUE);
	assert_true(r.moving);
}

/* ---- the window ------------------------------------------------------------ */

static void test_lower_bound(void **state)
{
	const struct sample s[] = {{10, 0, 0}, {20, 0, 0}, {20, 0, 0}, {20, 0, 0}, {30, 0, 0}};

	(void)state;
	assert_int_equal(trend_lower_bound(s, 0, 20), 0);
	assert_int_equal(trend_lower_bound(s, 5, 5), 0);
	assert_int_equal(trend_lower_bound(s, 5, 10), 0);
	assert_int_equal(trend_lower_bound(s, 5, 11), 1);
	assert_int_equal(trend_lower_bound(s, 5, 20), 1);
	assert_int_equal(trend_lower_bound(s, 5, 21), 4);
	assert_int_equal(trend_lower_bound(s, 5, 30), 4);
	assert_int_equal(trend_lower_bound(s, 5, 31), 5);
}

/* 3000 samples: a week of ramp (2016 + the one exactly a week old), with
 * older junk before it and samples "from the future" after now. Only the
 * week [now - window, now] counts. */
static void test_window_ignores_older_and_newer_samples(void **state)
{
	enum { N = 3000, FIRST = 483, LAST = 2499 };
	struct sample s[N];
	struct trend_params p = params(CAP);
	struct trend_result r;

	(void)state;
	ramp(s, N, NOW + (N - 1 - LAST) * STEP, 60e9 + 1e4 * STEP * (N - 1 - LAST), 1e4, CAP);
	for (size_t i = 0; i < FIRST; i++)
		s[i].value = 99e9;
	for (size_t i = LAST + 1; i < N; i++)
		s[i].value = 1e9;
	assert_true(s[FIRST].t == NOW - WEEK);
	assert_true(s[LAST].t == NOW);
	assert_int_equal(trend_lower_bound(s, N, NOW - WEEK), FIRST);
	assert_int_equal(trend_lower_bound(s, N, NOW + 1), LAST + 1);

	r = eval(s, N, NOW, &p);
	assert_int_equal(r.status, TREND_ESTIMATED);
	assert_int_equal(r.segment, TREND_SEG_WINDOW);
	assert_int_equal(r.samples, LAST - FIRST + 1);
	assert_true(r.segment_start == NOW - WEEK);
	assert_near(r.level, 60e9, 0);
	assert_rel(r.slope, 1e4, 1e-9);
	assert_rel(r.time_left, 4e6, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_invalid_params_are_rejected),
	        cmocka_unit_test(test_exact_line),
	        cmocka_unit_test(test_exact_line_least_squares),
	        cmocka_unit_test(test_noisy_line),
	        cmocka_unit_test(test_flat_noise_is_not_growing),
	        cmocka_unit_test(test_direction_down),
	        cmocka_unit_test(test_collecting_gates),
	        cmocka_unit_test(test_already_exhausted),
	        cmocka_unit_test(test_cleanup_restarts_the_trend),
	        cmocka_unit_test(test_one_off_step_then_flat),
	        cmocka_unit_test(test_step_size_without_capacity),
	        cmocka_unit_test(test_spike_is_not_a_step),
	        cmocka_unit_test(test_steep_ramp_is_not_a_staircase),
	        cmocka_unit_test(test_resize_starts_a_segment),
	        cmocka_unit_test(test_sawtooth_is_not_growing),
	        cmocka_unit_test(test_sawtooth_with_growing_floor),
	        cmocka_unit_test(test_peaks_past_the_limit),
	        cmocka_unit_test(test_rotation_that_stopped_is_overdue),
	        cmocka_unit_test(test_lower_bound),
	        cmocka_unit_test(test_window_ignores_older_and_newer_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
