/*
 * trend.c - the trend engine: which samples form the current regime, how fast
 * the value moves there, and when it reaches the limit.
 *
 * The pipeline of trend_evaluate() follows trend.h:
 *
 *   window    the samples with now - window <= t <= now (binary search);
 *   resize    the segment starts after the last capacity change (> 0.1%);
 *   shifts    level shifts, found by comparing the median of the 3 samples
 *             after an index with the median of the 3 before it;
 *   regime    recurring resets away from the limit are a sawtooth (fit the
 *             peaks), or overdue (fit the ramp since the last reset); any other
 *             shift starts the segment;
 *   gate      too few samples or too short a span: still collecting;
 *   estimate  Theil-Sen (on at most 64 bucket points, so at most 2016 pairs)
 *             or least squares, each with a ~95% confidence range;
 *   project   time until the level reaches the limit: from the fitted peak
 *             line for a sawtooth, else from the fitted line or the latest
 *             sample, whichever is farther from the limit.
 *
 * Choices where the algorithm leaves room (each also noted where it is made):
 *  - jumps are measured on values less the segment's drift (median first
 *    difference over mean sample interval), so a steep but steady ramp is not
 *    mistaken for a staircase of steps; the noise (sigma) and the drift come
 *    from at most 512 evenly strided first differences;
 *  - a shift is placed at the largest detrended first difference inside its
 *    cluster (a clean step gives three equal jumps, and the first argmax would
 *    place it a sample early), and is confirmed only when the 3 samples from
 *    there on exist;
 *  - a sawtooth needs 3 peaks (samples_needed reports 3), and its span is the
 *    peaks' span;
 *  - a segment whose samples all share one time is still collecting;
 *  - when the value is not moving but the fastest slope in the range is toward
 *    the limit, time_left stays NAN, time_left_lo is the earliest plausible
 *    time and time_left_hi is INFINITY.
 *
 * Cost matters (a plugin runs every 5 minutes on every host): one malloc per
 * call, freed before returning; medians and quantiles by selection, never by
 * sorting; quiet stretches screened out of the shift search in blocks. A week
 * of 5-minute samples (2016) costs ~150k instructions for a clean ramp and
 * ~215k for a noisy one.
 */
#include "trend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define SHIFT_K        3  /* samples on each side of a level shift */
#define SHIFT_BLOCK    32 /* jumps screened at once by their range */
#define TS_MAX_POINTS  64 /* Theil-Sen runs on at most this many points */
#define TS_MAX_PAIRS   (TS_MAX_POINTS * (TS_MAX_POINTS - 1) / 2)
#define SAW_MIN_PEAKS  3     /* peaks a sawtooth needs before it is fitted */
#define SAW_OVERDUE    1.5   /* a reset later than this x the usual interval */
#define RESIZE_REL     0.001 /* relative capacity change that is a resize */
#define STEP_NOISE     8.0   /* a step is this many robust sigmas, at least */
#define STEP_CAP_SHARE 0.02  /* default step_min: 2% of capacity */
#define STEP_EPSILON   1e-9  /* step_min floor when there is no scale at all */
#define Z95            1.96  /* two-sided 95% normal quantile */
#define SELECT_SMALL   8     /* ranges shorter than this are insertion-sorted */
#define NARROW_MIN     1024  /* arrays this long are narrowed first */
#define NARROW_SAMPLE  128   /* elements sampled to narrow them */
#define NARROW_MARGIN  14    /* sample ranks kept each side (~2.5 sigma) */
#define NOISE_DIFFS    512   /* first differences sampled for noise and drift */

/* A confirmed level shift. */
struct shift {
	size_t at; /* window index of the first sample at the new level */
	int sign;  /* +1 the level rose, -1 it fell */
};

/* Per-call scratch: one allocation, carved into arrays of window length. */
struct scratch {
	double *tmp;          /* differences, reset intervals or bucket values */
	struct sample *peaks; /* sawtooth peaks (capacity unused) */
	struct shift *shifts; /* confirmed level shifts, oldest first */
	size_t nshifts;
};

/* What a fit says about the segment. */
struct fit {
	double slope, lo, hi; /* slope and its ~95% confidence range, per second */
	double level;         /* the fitted line at now */
};

void trend_params_default(struct trend_params *p)
{
	p->estimator = TREND_THEIL_SEN;
	p->window = 7.0 * 24 * 3600;
	p->min_samples = 6;
	p->min_span = 600.0;
	p->direction = 1;
	p->limit = 0.0;
	p->step_min = 0.0;
	p->horizon = 4.0;
}

size_t trend_lower_bound(const struct sample *s, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s[mid].t < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A - B in seconds, as a double: exact for any real time (|t| < 2^53), and
 * free of integer overflow for absurd ones. */
static double tdiff(int64_t a, int64_t b)
{
	return (double)a - (double)b;
}

/* ---- selection ----------------------------------------------------------
 *
 * Medians and quantiles by selection, never by sorting: quickselect with a
 * pointer-based Hoare partition for every array, and for long arrays a first
 * pass that keeps only the elements between two pivots drawn from a sample
 * (the idea of Floyd-Rivest), so that most elements are compared once or
 * twice. Both are safe with NANs (they give some answer, and stay in bounds).
 */

static void swap_d(double *a, double *b)
{
	double t = *a;

	*a = *b;
	*b = t;
}

/* Sort [LO, HI] in place: the end of a selection, when the range is short. */
static void insertion_sort(double *lo, double *hi)
{
	for (double *p = lo + 1; p <= hi; p++) {
		double x = *p, *q = p;

		for (; q > lo && x < q[-1]; q--)
			*q = q[-1];
		*q = x;
	}
}

/* The K-th smallest of A[0..N) (0-based). A is reordered so that A[K] is that
 * value, with none greater before it and none smaller after it. The pivot
 * (median of first, middle, last) and the elements swapped past it bound both
 * scans, so they need no index checks, even with NANs. */
static double select_k(double *a, size_t n, size_t k)
{
	double *lo = a, *hi = a + n - 1, *kp = a + k;

	while (hi - lo >= SELECT_SMALL) {
		double *mid = lo + (hi - lo) / 2, *i = lo + 1, *j = hi - 1, piv;

		if (*mid < *lo)
			swap_d(mid, lo);
		if (*hi < *lo)
			swap_d(hi, lo);
		if (*hi < *mid)
			swap_d(hi, mid);
		piv = *mid;
		for (;;) {
			while (*i < piv)
				i++;
			while (piv < *j)
				j--;
			if (i >= j)
				break;
			swap_d(i++, j--);
		}
		if (i == j) /* *i == piv, in its place: exclude it */
			i++, j--;
		if (kp <= j)
			hi = j;
		else if (kp >= i)
			lo = i;
		else
			return *kp; /* between the two parts: equal to the pivot */
	}
	insertion_sort(lo, hi);
	return *kp;
}

/* The smallest of A[0..N), N > 0. */
static double min_of(const double *a, size_t n)
{
	double m = a[0];

	for (size_t i = 1; i < n; i++)
		if (a[i] < m)
			m = a[i];
	return m;
}

/* The R-th smallest of A[0..n), given that select_k(A, n, K) was done. */
static double rank_after(double *a, size_t n, size_t k, size_t r)
{
	if (r < k)
		return select_k(a, k, r);
	if (r == k + 1)
		return min_of(a + k + 1, n - k - 1);
	if (r > k)
		return select_k(a + k + 1, n - k - 1, r - k - 1);
	return a[k];
}

/* For a long A[0..n): move to the front the elements between two pivots
 * taken from a strided sample just below rank RMIN and just above RMAX, and
 * return their count, with *BELOW the count of elements under them; *FLAT
 * when the pivots are equal, and so are all those elements (any rank among
 * them is A[0]). If the ranks did not fall between the pivots (rare), or A is
 * short, A is left whole (still a permutation): returns N, *BELOW = 0. */
static size_t narrow(double *a, size_t n, size_t rmin, size_t rmax, size_t *below, bool *flat)
{
	size_t s = NARROW_SAMPLE, stride = n / s, lo_r, hi_r, under = 0, m = 0;
	double p1, p2;

	*below = 0;
	*flat = false;
	if (n < NARROW_MIN)
		return n;
	for (size_t i = 0; i < s; i++)
		swap_d(&a[i], &a[i * stride]);
	lo_r = rmin * s / n > NARROW_MARGIN ? rmin * s / n - NARROW_MARGIN : 0;
	hi_r = rmax * s / n + NARROW_MARGIN < s ? rmax * s / n + NARROW_MARGIN : s - 1;
	p1 = select_k(a, s, lo_r);
	p2 = rank_after(a, s, lo_r, hi_r);
	for (size_t i = 0; i < n; i++) {
		double x = a[i];

		if (x < p1) {
			under++;
		} else if (x <= p2) {
			a[i] = a[m];
			a[m++] = x;
		}
	}
	if (under > rmin || rmax >= under + m)
		return n;
	*below = under;
	*flat = p1 == p2;
	return m;
}

/* The median of A[0..N), N > 0 (mean of the middle two when N is even);
 * reorders A. */
static double median(double *a, size_t n)
{
	size_t k = (n - 1) / 2, below, m;
	bool flat;
	double v;

	m = narrow(a, n, k, n % 2 ? k : k + 1, &below, &flat);
	if (flat)
		return a[0];
	v = select_k(a, m, k - below);
	if (n % 2 == 0)
		v = (v + min_of(a + (k - below) + 1, m - (k - below) - 1)) / 2;
	return v;
}

/* The median of three values, without branches on most targets. */
static double median3(double a, double b, double c)
{
	double lo = a < b ? a : b, hi = a < b ? b : a;

	hi = hi < c ? hi : c;
	return lo < hi ? hi : lo;
}

/* ---- parameters and window ---------------------------------------------- */

static int check_params(const struct trend_params *p, char *err, size_t errlen)
{
	const char *why = NULL;

	if (!(p->window > 0))
		why = "window must be positive";
	else if (p->min_samples < 2)
		why = "min_samples must be at least 2";
	else if (p->direction != 1 && p->direction != -1)
		why = "direction must be +1 or -1";
	else if (!isfinite(p->limit))
		why = "limit must be a finite number";
	else if (!(p->min_span >= 0))
		why = "min_span must not be negative";
	else if (!(p->step_min >= 0))
		why = "step_min must not be negative";
	else if (!(p->horizon >= 0))
		why = "horizon must not be negative";
	if (why == NULL)
		return 0;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "trend: %s", why);
	return -1;
}

/* The samples with now - window <= t <= now: sets *FIRST and returns the
 * count. Times are compared as integers; the bound is clamped so that huge
 * windows or times do not overflow. */
static size_t window_select(const struct sample *s, size_t n, int64_t now, double window,
                            size_t *first)
{
	double from = (double)now - window;
	size_t end = now == INT64_MAX ? n : trend_lower_bound(s, n, now + 1);

	if (from <= -9.2e18)
		*first = 0;
	else if (from >= (double)now)
		*first = trend_lower_bound(s, n, now);
	else
		*first = trend_lower_bound(s, n, (int64_t)ceil(from));
	if (*first > end)
		*first = end;
	return end - *first;
}

/* Index of the last sample whose capacity differs from its predecessor's by
 * more than RESIZE_REL (relative to the larger), or 0. */
static size_t find_resize(const struct sample *w, size_t m)
{
	for (size_t i = m; i-- > 1;) {
		double a = w[i - 1].capacity, b = w[i].capacity;

		if (b != a && fabs(b - a) > RESIZE_REL * (fabs(a) > fabs(b) ? fabs(a) : fabs(b)))
			return i;
	}
	return 0;
}

/* ---- level shifts -------------------------------------------------------- */

/* Detection thresholds of one segment. */
struct step_rule {
	double tau;   /* |drift-corrected jump| beyond which a shift is seen */
	double drift; /* typical change per second, removed from every jump */
};

/* step_min as given, or 2% of the latest capacity, or (no capacity) 2% of the
 * largest |value| in the window; never below STEP_EPSILON. */
static double step_floor(const struct sample *w, size_t m, const struct trend_params *p)
{
	double scale = fabs(w[m - 1].capacity);

	if (p->step_min > 0)
		return p->step_min;
	if (scale == 0)
		for (size_t i = 0; i < m; i++)
			scale = fabs(w[i].value) > scale ? fabs(w[i].value) : scale;
	return fmax(STEP_CAP_SHARE * scale, STEP_EPSILON);
}

/* The noise and drift of W[from..m) from its first differences, D being
 * scratch: sigma = 1.4826 * MAD / sqrt(2), drift = median difference / mean
 * interval. Beyond NOISE_DIFFS differences an evenly strided subset is used:
 * two selections over all 2015 differences of a week would cost as much as
 * the fit, and 512 pin sigma down to ~5%, ample for an 8 sigma threshold. */
static struct step_rule step_rule(const struct sample *w, size_t from, size_t m, double floor,
                                  double *d)
{
	struct step_rule rule = {floor, 0};
	size_t all = m - from - 1, stride = (all + NOISE_DIFFS - 1) / NOISE_DIFFS;
	size_t nd = all / stride;
	double med, sigma, dt = tdiff(w[m - 1].t, w[from].t) / (double)all;

	for (size_t i = 0; i < nd; i++) {
		const struct sample *q = w + from + i * stride;

		d[i] = q[1].value - q[0].value;
	}
	med = median(d, nd);
	for (size_t i = 0; i < nd; i++)
		d[i] = fabs(d[i] - med);
	sigma = 1.4826 * median(d, nd) / sqrt(2.0);
	rule.tau = fmax(STEP_NOISE * sigma, floor);
	rule.drift = dt > 0 ? med / dt : 0;
	return rule;
}

/* U[i] = S[i] less the drift since S[0], for i in [lo, hi): a steady ramp
 * becomes flat, so that only a change of level makes a jump. */
static void detrend(const struct sample *s, size_t lo, size_t hi, double drift, double *u)
{
	for (size_t i = lo; i < hi; i++)
		u[i] = s[i].value - drift * tdiff(s[i].t, s[0].t);
}

/* How far the detrended values of S[0..n) can spread, at most: the spread of
 * the values plus the drift over their time span. */
static double spread_bound(const struct sample *s, size_t n, double drift)
{
	double lo = s[0].value, hi = s[0].value;

	for (size_t i = 1; i < n; i++) {
		lo = s[i].value < lo ? s[i].value : lo;
		hi = s[i].value > hi ? s[i].value : hi;
	}
	return hi - lo + fabs(drift) * tdiff(s[n - 1].t, s[0].t);
}

/* An open cluster of consecutive jumps beyond tau. */
struct cluster {
	size_t c0, c1; /* first and last index of the cluster */
	double peak;   /* its largest jump; 0 = no cluster open */
};

/* Close cluster CL of the segment S[0..n) (S[0] is window index FROM): the
 * shift is placed at the largest detrended first difference, in the direction
 * of the largest jump, in [c0, c1 + 1], and kept only if K samples from there
 * on exist. */
static void close_cluster(struct cluster *cl, const struct sample *s, size_t n, size_t from,
                          double drift, struct scratch *sc)
{
	int sign = cl->peak > 0 ? 1 : -1;
	size_t at = cl->c0, last = cl->c1 + 1 < n ? cl->c1 + 1 : n - 1;
	double best = -INFINITY;

	if (cl->peak == 0)
		return;
	for (size_t j = cl->c0; j <= last; j++) {
		double d = s[j].value - s[j - 1].value - drift * tdiff(s[j].t, s[j - 1].t);

		if (sign * d > best) {
			best = sign * d;
			at = j;
		}
	}
	if (at + SHIFT_K <= n)
		sc->shifts[sc->nshifts++] = (struct shift){from + at, sign};
	cl->peak = 0;
}

/* Fill SC->shifts with the confirmed level shifts of W[from..m). The jump at
 * i is the median of the K detrended values from i less the median of the K
 * before; consecutive jumps beyond tau form a cluster, one shift. A block of
 * jumps whose values cannot spread beyond tau holds no such jump (a difference
 * of medians is within the spread) and is skipped: most of a week is quiet. */
static void find_shifts(const struct sample *w, size_t from, size_t m, struct step_rule rule,
                        struct scratch *sc)
{
	const struct sample *s = w + from;
	size_t n = m - from;
	struct cluster cl = {0, 0, 0};
	double *u = sc->tmp;

	sc->nshifts = 0;
	for (size_t b0 = SHIFT_K, b1; b0 + SHIFT_K <= n; b0 = b1) {
		size_t lo = b0 - SHIFT_K;

		b1 = b0 + SHIFT_BLOCK < n - SHIFT_K + 1 ? b0 + SHIFT_BLOCK : n - SHIFT_K + 1;
		if (spread_bound(s + lo, b1 + SHIFT_K - 1 - lo, rule.drift) <= rule.tau) {
			close_cluster(&cl, s, n, from, rule.drift, sc);
			continue;
		}
		detrend(s, lo, b1 + SHIFT_K - 1, rule.drift, u);
		for (size_t i = b0; i < b1; i++) {
			double j = median3(u[i], u[i + 1], u[i + 2]) -
			           median3(u[i - 3], u[i - 2], u[i - 1]);

			if (!(fabs(j) > rule.tau)) {
				if (cl.peak != 0) /* hot loop: skip the call */
					close_cluster(&cl, s, n, from, rule.drift, sc);
				continue;
			}
			if (cl.peak == 0)
				cl.c0 = i;
			if (fabs(j) > fabs(cl.peak))
				cl.peak = j;
			cl.c1 = i;
		}
	}
	close_cluster(&cl, s, n, from, rule.drift, sc);
}

/* ---- regime: where the segment starts, and what is fitted --------------- */

/* The segment: what to fit and why. */
struct segment {
	enum trend_segment why;
	size_t first;             /* window index of the segment's first sample */
	const struct sample *pts; /* the points to fit: samples, or peaks */
	size_t npts;
};

/* The median interval between consecutive resets (needs >= 2 resets). */
static double reset_interval(const struct sample *w, const struct scratch *sc, int direction)
{
	size_t n = 0;
	int64_t prev = 0;

	for (size_t i = 0; i < sc->nshifts; i++) {
		if (sc->shifts[i].sign == direction)
			continue;
		if (n++ > 0)
			sc->tmp[n - 2] = tdiff(w[sc->shifts[i].at].t, prev);
		prev = w[sc->shifts[i].at].t;
	}
	return median(sc->tmp, n - 1);
}

/* Sawtooth peaks into SC->peaks: for each reset, the sample of the tooth
 * before it that is furthest toward the limit. Returns the count. */
static size_t saw_peaks(const struct sample *w, size_t from, int direction, struct scratch *sc)
{
	size_t n = 0, start = from;

	for (size_t i = 0; i < sc->nshifts; i++) {
		size_t at = sc->shifts[i].at, best = start;

		if (sc->shifts[i].sign == direction)
			continue;
		for (size_t j = start + 1; j < at; j++)
			if (direction * (w[j].value - w[best].value) > 0)
				best = j;
		sc->peaks[n++] = w[best];
		start = at;
	}
	return n;
}

/* Classify the shifts of W[from..m): sawtooth, overdue, step or none, and
 * say which points are to be fitted. */
static struct segment regime(const struct sample *w, size_t from, size_t m, int64_t now,
                             int direction, struct scratch *sc)
{
	struct segment seg = {from > 0 ? TREND_SEG_RESIZE : TREND_SEG_WINDOW, from, NULL, 0};
	size_t resets = 0, last = 0;
	bool toward_after = false;

	for (size_t i = 0; i < sc->nshifts; i++) {
		toward_after = sc->shifts[i].sign == direction;
		if (!toward_after) {
			resets++;
			last = i;
		}
	}
	if (resets >= 2 && !toward_after) {
		double since = tdiff(now, w[sc->shifts[last].at].t);

		if (since <= SAW_OVERDUE * reset_interval(w, sc, direction)) {
			seg.why = TREND_SEG_SAWTOOTH;
			seg.pts = sc->peaks;
			seg.npts = saw_peaks(w, from, direction, sc);
			return seg;
		}
		seg.why = TREND_SEG_OVERDUE;
		seg.first = sc->shifts[last].at;
	} else if (sc->nshifts > 0) {
		seg.why = TREND_SEG_STEP;
		seg.first = sc->shifts[sc->nshifts - 1].at;
	}
	seg.pts = w + seg.first;
	seg.npts = m - seg.first;
	return seg;
}

/* ---- estimators ---------------------------------------------------------- */

/* The points P[0..n) as X (time - now) and V, reduced to TS_MAX_POINTS
 * equal-count buckets (mean time, median value) when there are more; TMP is
 * scratch for one bucket. Returns the count. */
static size_t to_points(const struct sample *p, size_t n, int64_t now, double *tmp, double *x,
                        double *v)
{
	if (n <= TS_MAX_POINTS) {
		for (size_t i = 0; i < n; i++) {
			x[i] = tdiff(p[i].t, now);
			v[i] = p[i].value;
		}
		return n;
	}
	for (size_t b = 0; b < TS_MAX_POINTS; b++) {
		size_t lo = b * n / TS_MAX_POINTS, hi = (b + 1) * n / TS_MAX_POINTS;
		double sum = 0;

		for (size_t i = lo; i < hi; i++) {
			sum += tdiff(p[i].t, now);
			tmp[i - lo] = p[i].value;
		}
		x[b] = sum / (double)(hi - lo);
		v[b] = median(tmp, hi - lo);
	}
	return TS_MAX_POINTS;
}

/* Theil-Sen on P[0..n): median pairwise slope (pairs with equal times
 * skipped), Sen's ~95% range, intercept = median(v - slope * x). Returns -1
 * if there is no pair. */
static int fit_theil_sen(const struct sample *p, size_t n, int64_t now, double *tmp, struct fit *f)
{
	double x[TS_MAX_POINTS], v[TS_MAX_POINTS], sl[TS_MAX_PAIRS], c;
	size_t np = 0, k, rl, rh, m, below;
	bool flat;

	n = to_points(p, n, now, tmp, x, v);
	for (size_t i = 0; i < n; i++) {
		size_t j = i + 1;

		while (j < n && x[j] == x[i]) /* x is sorted: skip equal times */
			j++;
		for (; j < n; j++)
			sl[np++] = (v[j] - v[i]) / (x[j] - x[i]);
	}
	if (np == 0)
		return -1;
	c = Z95 * sqrt((double)n * (double)(n - 1) * (double)(2 * n + 5) / 18.0);
	rl = (size_t)fmax(0, floor(((double)np - c) / 2));
	rh = (size_t)fmin((double)np - 1, ceil(((double)np + c) / 2));
	k = (np - 1) / 2;
	m = narrow(sl, np, rl, rh, &below, &flat);
	if (flat) { /* e.g. an exact line: every slope alike */
		f->slope = f->lo = f->hi = sl[0];
	} else {
		f->slope = select_k(sl, m, k - below);
		f->lo = rank_after(sl, m, k - below, rl - below);
		f->hi = rank_after(sl, m, k - below, rh - below);
		if (np % 2 == 0)
			f->slope = (f->slope + rank_after(sl, m, k - below, k + 1 - below)) / 2;
	}
	for (size_t i = 0; i < n; i++)
		v[i] -= f->slope * x[i];
	f->level = median(v, n); /* x is t - now: the line at now */
	return 0;
}

/* Least squares on P[0..n) with slope +- 1.96 standard errors (the slope
 * itself when n <= 2). Returns -1 if all times are equal. */
static int fit_least_squares(const struct sample *p, size_t n, int64_t now, struct fit *f)
{
	double mx = 0, mv = 0, sxx = 0, sxy = 0, sse = 0, se;

	for (size_t i = 0; i < n; i++) {
		mx += tdiff(p[i].t, now);
		mv += p[i].value;
	}
	mx /= (double)n;
	mv /= (double)n;
	for (size_t i = 0; i < n; i++) {
		double dx = tdiff(p[i].t, now) - mx;

		sxx += dx * dx;
		sxy += dx * (p[i].value - mv);
	}
	if (sxx == 0)
		return -1;
	f->slope = sxy / sxx;
	for (size_t i = 0; i < n; i++) {
		double e = p[i].value - mv - f->slope * (tdiff(p[i].t, now) - mx);

		sse += e * e;
	}
	se = n > 2 ? sqrt(sse / (double)(n - 2) / sxx) : 0;
	f->lo = f->slope - Z95 * se;
	f->hi = f->slope + Z95 * se;
	f->level = mv - f->slope * mx; /* the line at x = 0, i.e. now */
	return 0;
}

/* ---- result -------------------------------------------------------------- */

/* The result before anything is known: collecting, nothing estimated. */
static void result_init(struct trend_result *r, const struct trend_params *p)
{
	*r = (struct trend_result){
	        .status = TREND_COLLECTING,
	        .segment = TREND_SEG_WINDOW,
	        .samples_needed = p->min_samples,
	        .span_needed = p->min_span,
	        .slope = NAN,
	        .slope_lo = NAN,
	        .slope_hi = NAN,
	        .level = NAN,
	        .time_left = NAN,
	        .time_left_lo = NAN,
	        .time_left_hi = NAN,
	};
}

static void set_time_left(struct trend_result *r, double t, double lo, double hi)
{
	r->time_left = t;
	r->time_left_lo = lo;
	r->time_left_hi = hi;
}

/* The distance left to the limit, measured toward it. A sawtooth's peaks hit
 * the limit first, so it is measured from the fitted peak line. Otherwise from
 * whichever of the fitted line and the latest sample is farther from the
 * limit: a reset that is not yet confirmed (a cleanup one sample ago) must not
 * make the old ramp's extrapolation raise an alarm, and one noisy sample must
 * not either. */
static double distance_left(const struct trend_result *r, const struct trend_params *p,
                            const struct fit *f)
{
	double fitted = p->direction * (p->limit - f->level);
	double latest = p->direction * (p->limit - r->level);

	if (r->segment == TREND_SEG_SAWTOOTH)
		return fitted > 0 ? fitted : latest;
	return fitted > latest ? fitted : latest;
}

/* Step 7: moving, and the time until the level reaches the limit. */
static void project(struct trend_result *r, const struct trend_params *p, const struct fit *f)
{
	int d = p->direction;
	double fast = d > 0 ? f->hi : f->lo, slow = d > 0 ? f->lo : f->hi;
	double remaining = distance_left(r, p, f);

	r->status = TREND_ESTIMATED;
	r->slope = f->slope;
	r->slope_lo = f->lo;
	r->slope_hi = f->hi;
	r->moving = d * slow > 0;
	if (r->exhausted) {
		set_time_left(r, 0, 0, 0);
		return;
	}
	if (r->moving)
		set_time_left(r, remaining / fabs(f->slope), remaining / fabs(fast),
		              remaining / fabs(slow));
	else if (d * fast > 0)
		set_time_left(r, NAN, remaining / fabs(fast), INFINITY);
}

/* Step 5: report the segment's size and say whether it may be fitted. A
 * sawtooth needs SAW_MIN_PEAKS peaks, and its span is the peaks' span. */
static bool gate(struct trend_result *r, const struct trend_params *p, const struct sample *w,
                 const struct segment *seg)
{
	r->segment = seg->why;
	r->segment_start = w[seg->first].t;
	r->samples = seg->npts;
	r->span = seg->npts > 0 ? tdiff(seg->pts[seg->npts - 1].t, seg->pts[0].t) : 0;
	if (seg->why == TREND_SEG_SAWTOOTH)
		r->samples_needed = SAW_MIN_PEAKS;
	return r->samples >= r->samples_needed && r->span >= p->min_span && r->span > 0;
}

/* Steps 2-7 on the M > 0 samples of the window W. */
static void evaluate_window(const struct sample *w, size_t m, int64_t now,
                            const struct trend_params *p, struct trend_result *r,
                            struct scratch *sc)
{
	size_t from = find_resize(w, m);
	struct segment seg;
	struct fit f;
	int rc = -1;

	sc->nshifts = 0;
	if (m - from >= 2 * SHIFT_K)
		find_shifts(w, from, m, step_rule(w, from, m, step_floor(w, m, p), sc->tmp), sc);
	seg = regime(w, from, m, now, p->direction, sc);
	if (gate(r, p, w, &seg)) {
		if (p->estimator == TREND_LEAST_SQUARES)
			rc = fit_least_squares(seg.pts, seg.npts, now, &f);
		else
			rc = fit_theil_sen(seg.pts, seg.npts, now, sc->tmp, &f);
	}
	if (rc == 0)
		project(r, p, &f);
	else if (r->exhausted)
		set_time_left(r, 0, 0, 0);
	r->trusted =
	        r->time_left == 0 ||
	        (r->time_left > 0 && (p->horizon == 0 || r->time_left <= p->horizon * r->span));
}

int trend_evaluate(const struct sample *s, size_t n, int64_t now, const struct trend_params *p,
                   struct trend_result *r, char *err, size_t errlen)
{
	struct scratch sc = {0};
	size_t first, m;
	const struct sample *w;
	void *mem;

	if (p == NULL || r == NULL || (s == NULL && n > 0)) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "trend: missing argument");
		return -1;
	}
	if (check_params(p, err, errlen) < 0)
		return -1;
	result_init(r, p);
	m = window_select(s, n, now, p->window, &first);
	if (m == 0)
		return 0;
	w = s + first;
	r->level = w[m - 1].value;
	r->exhausted = p->direction > 0 ? r->level >= p->limit : r->level <= p->limit;
	mem = malloc(m * (sizeof(struct sample) + sizeof(double) + sizeof(struct shift)));
	if (mem == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "trend: out of memory for %zu samples", m);
		return -1;
	}
	sc.peaks = mem;
	sc.tmp = (double *)(sc.peaks + m);
	sc.shifts = (struct shift *)(sc.tmp + m);
	evaluate_window(w, m, now, p, r, &sc);
	free(mem);
	return 0;
}
