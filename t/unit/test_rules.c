/*
 * test_rules.c - trendtrapd's state machine, as a specification: which check
 * results become which notifications (sustained, recovered, flapping, stale),
 * and that its persisted state survives a restart exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rules.h"

#define T0   1700000000 /* first result of most scenarios */
#define STEP 60         /* seconds between results */

/* One service, its policy, the id counter and every event it produced. */
struct world {
	struct rules_policy p;
	struct rules_service s;
	uint64_t next_id;
	int64_t now; /* time of the latest call */
	struct rules_event ev[512];
	size_t nev;
};

static void add_events(struct world *w, const struct rules_event *ev, size_t n)
{
	assert_true(n <= RULES_MAX_EVENTS);
	assert_true(w->nev + n <= sizeof w->ev / sizeof w->ev[0]);
	memcpy(w->ev + w->nev, ev, n * sizeof *ev);
	w->nev += n;
}

/* A service created at T0 - STEP, so that the first result comes at T0. */
static void start(struct world *w, struct rules_policy p)
{
	char err[256] = "";

	if (rules_policy_check(&p, err, sizeof err) != 0)
		fail_msg("test policy rejected: %s", err);
	memset(w, 0, sizeof *w);
	w->p = p;
	w->next_id = 1;
	w->now = T0 - STEP;
	rules_init(&w->s, w->now);
}

static enum rules_state letter(char c)
{
	switch (c) {
	case 'O':
		return RULES_OK;
	case 'W':
		return RULES_WARNING;
	case 'C':
		return RULES_CRITICAL;
	case 'U':
		return RULES_UNKNOWN;
	}
	fail_msg("bad state letter '%c'", c);
	return RULES_UNKNOWN;
}

static void result_at(struct world *w, enum rules_state st, int64_t at)
{
	struct rules_event ev[RULES_MAX_EVENTS];

	w->now = at;
	add_events(w, ev, rules_result(&w->s, &w->p, st, at, &w->next_id, ev));
}

/* Results STEP seconds apart, one letter each (O W C U; spaces ignored). */
static void results(struct world *w, const char *states)
{
	for (; *states; states++)
		if (*states != ' ')
			result_at(w, letter(*states), w->now + STEP);
}

static void tick_at(struct world *w, int64_t at)
{
	struct rules_event ev[RULES_MAX_EVENTS];

	w->now = at;
	add_events(w, ev, rules_tick(&w->s, &w->p, at, &w->next_id, ev));
}

static size_t count(const struct world *w, enum rules_event_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < w->nev; i++)
		n += w->ev[i].kind == kind;
	return n;
}

static void expect_event(const struct world *w, size_t i, enum rules_event_kind kind,
                         enum rules_state state, enum rules_state previous)
{
	if (i >= w->nev)
		fail_msg("event %zu: expected %s, only %zu events", i, rules_event_name(kind),
		         w->nev);
	if (w->ev[i].kind != kind || w->ev[i].state != state || w->ev[i].previous != previous)
		fail_msg("event %zu: expected %s %s (was %s), got %s %s (was %s)", i,
		         rules_event_name(kind), rules_state_name(state),
		         rules_state_name(previous), rules_event_name(w->ev[i].kind),
		         rules_state_name(w->ev[i].state), rules_state_name(w->ev[i].previous));
}

static void expect_events(const struct world *w, size_t n)
{
	if (w->nev != n)
		fail_msg("expected %zu events, got %zu (first: %s)", n, w->nev,
		         w->nev ? rules_event_name(w->ev[0].kind) : "-");
}

/* Persist and restore W's service, as a restart would (without rules_resume). */
static void restart(struct world *w)
{
	char line[RULES_LINE_MAX], again[RULES_LINE_MAX], err[256] = "";
	struct rules_service back;
	int n = rules_encode(&w->s, line, sizeof line);

	assert_true(n > 0 && (size_t)n < sizeof line);
	assert_int_equal(strlen(line), n);
	if (rules_decode(line, &back, err, sizeof err) != 0)
		fail_msg("'%s' does not decode: %s", line, err);
	rules_encode(&back, again, sizeof again);
	assert_string_equal(again, line);
	w->s = back;
}

static const struct rules_policy count3 = {.sustain_count = 3, .recover_count = 1};

/* --- sustained breaches --- */

static void n_consecutive_non_ok_make_one_problem(void **state)
{
	struct world w;

	(void)state;
	start(&w, count3);
	results(&w, "CC");
	expect_events(&w, 0);
	results(&w, "C");
	expect_events(&w, 1);
	expect_event(&w, 0, RULES_PROBLEM, RULES_CRITICAL, RULES_OK);
	assert_int_equal(w.ev[0].since, T0);
	assert_int_equal(w.ev[0].at, T0 + 2 * STEP);
	assert_int_not_equal(w.ev[0].id, 0);
	results(&w, "CCCCCCCC");
	expect_events(&w, 1);
}

static void n_minus_one_then_ok_make_nothing(void **state)
{
	struct world w;

	(void)state;
	start(&w, count3);
	results(&w, "CCO CCO WUO CCO");
	expect_events(&w, 0);
}

static void warning_critical_unknown_all_count_as_non_ok(void **state)
{
	struct world w;

	(void)state;
	start(&w, count3);
	results(&w, "WUC");
	expect_events(&w, 1);
	expect_event(&w, 0, RULES_PROBLEM, RULES_CRITICAL, RULES_OK);
}

static void sustained_state_is_the_latest_non_ok(void **state)
{
	struct world w;

	(void)state;
	start(&w, count3);
	results(&w, "CCW");
	expect_events(&w, 1);
	expect_event(&w, 0, RULES_PROBLEM, RULES_WARNING, RULES_OK);
}

static void no_criterion_means_the_first_non_ok_is_sustained(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){0});
	results(&w, "OOU");
	expect_events(&w, 1);
	expect_event(&w, 0, RULES_PROBLEM, RULES_UNKNOWN, RULES_OK);
}

static void duration_sustains_once_the_breach_is_old_enough(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.sustain_for = 300});
	results(&w, "CCCCC"); /* T0 .. T0 + 240 */
	expect_events(&w, 0);
	results(&w, "C"); /* T0 + 300 */
	expect_events(&w, 1);
	expect_event(&w, 0, RULES_PROBLEM, RULES_CRITICAL, RULES_OK);
	assert_int_equal(w.ev[0].since, T0);
}

static void duration_clock_restarts_at_an_ok_without_window(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.sustain_for = 300});
	results(&w, "CCCO CCCCC"); /* the clock restarts at T0 + 240 */
	expect_events(&w, 0);
	results(&w, "C");
	expect_events(&w, 1);
	assert_int_equal(w.ev[0].since, T0 + 4 * STEP);
}

static void either_count_or_duration_suffices(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.sustain_count = 10, .sustain_for = 120});
	results(&w, "CC");
	expect_events(&w, 0);
	results(&w, "C"); /* 120 s old: the duration wins */
	expect_events(&w, 1);

	start(&w, (struct rules_policy){.sustain_count = 2, .sustain_for = 3600});
	results(&w, "CC"); /* two in a row: the count wins */
	expect_events(&w, 1);
}

static void m_of_n_sustains_despite_one_ok(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.window_m = 4, .window_n = 5});
	results(&w, "CCOC");
	expect_events(&w, 0);
	results(&w, "C"); /* 4 of the last 5 */
	expect_events(&w, 1);
	expect_event(&w, 0, RULES_PROBLEM, RULES_CRITICAL, RULES_OK);
	assert_int_equal(w.ev[0].since, T0);
}

static void m_of_n_ignores_non_ok_results_spread_thin(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.window_m = 3, .window_n = 5});
	results(&w, "COOCO OCOOC OOCOO");
	expect_events(&w, 0);
}

static void window_keeps_the_duration_clock_over_one_missed_result(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.sustain_for = 300, .window_m = 9, .window_n = 10});
	results(&w, "CCCO C"); /* T0 + 240: the OK did not restart the clock */
	expect_events(&w, 0);
	results(&w, "C"); /* T0 + 300 */
	expect_events(&w, 1);
	assert_int_equal(w.ev[0].since, T0);
}

static void window_restarts_the_clock_beyond_its_tolerance(void **state)
{
	struct world w;

	(void)state;
	/* 9 of 10 tolerates one OK per breach window; the second OK ends it. */
	start(&w, (struct rules_policy){.sustain_for = 300, .window_m = 9, .window_n = 10});
	results(&w, "CCOO CCCCC"); /* a new breach began at T0 + 240 */
	expect_events(&w, 0);
	results(&w, "C");
	expect_events(&w, 1);
	assert_int_equal(w.ev[0].since, T0 + 4 * STEP);
}

/* --- recovery --- */

static void k_oks_recover_with_the_problems_id(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.sustain_count = 1, .recover_count = 3});
	results(&w, "C OO");
	expect_events(&w, 1);
	results(&w, "O");
	expect_events(&w, 2);
	expect_event(&w, 1, RULES_RECOVERY, RULES_OK, RULES_CRITICAL);
	assert_int_equal(w.ev[1].id, w.ev[0].id);
	assert_int_equal(w.ev[1].since, T0);
	assert_int_equal(w.ev[1].at, T0 + 3 * STEP);
}

static void a_non_ok_among_the_oks_restarts_the_recovery_count(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.sustain_count = 1, .recover_count = 3});
	results(&w, "C OOC OO");
	expect_events(&w, 1);
	results(&w, "O");
	expect_events(&w, 2);
	expect_event(&w, 1, RULES_RECOVERY, RULES_OK, RULES_CRITICAL);
}

static void no_recovery_without_a_notified_problem(void **state)
{
	struct world w;

	(void)state;
	start(&w, count3);
	results(&w, "CCOOOO WWOOO");
	expect_events(&w, 0);
}

static void a_new_problem_after_recovery_gets_a_new_id(void **state)
{
	struct world w;

	(void)state;
	start(&w, count3);
	results(&w, "CCCO CCCO");
	expect_events(&w, 4);
	expect_event(&w, 2, RULES_PROBLEM, RULES_CRITICAL, RULES_OK);
	assert_int_not_equal(w.ev[2].id, w.ev[0].id);
	assert_int_equal(w.ev[3].id, w.ev[2].id);
	assert_int_equal(w.ev[2].since, T0 + 4 * STEP);
}

/* --- changes of sustained state --- */

static void warning_to_critical_notifies_once_with_previous_warning(void **state)
{
	struct world w;

	(void)state;
	start(&w, count3);
	results(&w, "WWW");
	expect_events(&w, 1);
	results(&w, "C");
	expect_events(&w, 2);
	expect_event(&w, 1, RULES_PROBLEM, RULES_CRITICAL, RULES_WARNING);
	assert_int_equal(w.ev[1].id, w.ev[0].id);
	assert_int_equal(w.ev[1].since, T0);
	results(&w, "CCC");
	expect_events(&w, 2);
	results(&w, "W O");
	expect_events(&w, 4);
	expect_event(&w, 2, RULES_PROBLEM, RULES_WARNING, RULES_CRITICAL);
	expect_event(&w, 3, RULES_RECOVERY, RULES_OK, RULES_WARNING);
	assert_int_equal(w.ev[3].id, w.ev[0].id);
}

/* --- re-notification --- */

static void renotifies_at_the_interval_and_not_before(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.sustain_count = 1, .recover_count = 1, .renotify = 600});
	results(&w, "C"); /* notified at T0 */
	tick_at(&w, T0 + 599);
	expect_events(&w, 1);
	assert_int_equal(rules_deadline(&w.s, &w.p), T0 + 600);
	tick_at(&w, T0 + 600);
	expect_events(&w, 2);
	expect_event(&w, 1, RULES_RENOTIFY, RULES_CRITICAL, RULES_CRITICAL);
	assert_int_equal(w.ev[1].id, w.ev[0].id);
	assert_int_equal(w.ev[1].since, T0);
	tick_at(&w, T0 + 601);
	tick_at(&w, T0 + 1199);
	expect_events(&w, 2);
	tick_at(&w, T0 + 1200);
	expect_events(&w, 3);
}

static void renotification_also_comes_with_results(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.sustain_count = 1, .recover_count = 1, .renotify = 300});
	results(&w, "CCCCC"); /* T0 .. T0 + 240 */
	expect_events(&w, 1);
	results(&w, "C"); /* T0 + 300 */
	expect_events(&w, 2);
	expect_event(&w, 1, RULES_RENOTIFY, RULES_CRITICAL, RULES_CRITICAL);
}

static void a_change_of_state_restarts_the_renotification_interval(void **state)
{
	struct world w;

	(void)state;
	start(&w,
	      (struct rules_policy){
	              .sustain_count = 1, .recover_count = 1, .renotify = 600, .stale_after = -1});
	results(&w, "WWWWW C"); /* WARNING at T0, CRITICAL at T0 + 300 */
	expect_events(&w, 2);
	tick_at(&w, T0 + 600);
	expect_events(&w, 2);
	tick_at(&w, T0 + 900);
	expect_events(&w, 3);
	expect_event(&w, 2, RULES_RENOTIFY, RULES_CRITICAL, RULES_CRITICAL);
}

static void no_renotification_after_recovery_or_when_off(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.sustain_count = 1, .recover_count = 1, .renotify = 600});
	results(&w, "CO");
	tick_at(&w, T0 + 100000);
	expect_events(&w, 2);
	assert_int_equal(rules_deadline(&w.s, &w.p), INT64_MAX);

	start(&w, (struct rules_policy){.sustain_count = 1, .recover_count = 1});
	results(&w, "C");
	tick_at(&w, T0 + 100000);
	expect_events(&w, 1);
}

/* --- flapping --- */

static const struct rules_policy flappy = {
        .sustain_count = 1,
        .recover_count = 1,
        .flap_low = 20,
        .flap_high = 30,
};

static void flap_percent_weighs_recent_changes_more(void **state)
{
	struct world w;
	double old, recent;

	(void)state;
	start(&w, (struct rules_policy){0});
	assert_true(rules_flap_percent(&w.s) == 0);
	results(&w, "CO OOOOO OOOOO OOOOO OOOO"); /* 21 results: the oldest change */
	old = rules_flap_percent(&w.s);
	assert_true(old > 3.99 && old < 4.01); /* weight 0.8 of 20 */

	start(&w, (struct rules_policy){0});
	results(&w, "OOOOO OOOOO OOOOO OOOOO C"); /* the newest change */
	recent = rules_flap_percent(&w.s);
	assert_true(recent > 5.99 && recent < 6.01); /* weight 1.2 of 20 */

	start(&w, (struct rules_policy){0});
	results(&w, "COCOC OCOCO COCOC OCOCO C"); /* every result a change */
	assert_true(rules_flap_percent(&w.s) > 99.99);
	results(&w, "OCOCOCOC");
	assert_true(rules_flap_percent(&w.s) > 99.99 && rules_flap_percent(&w.s) < 100.01);
}

/* 100 alternations of CRITICAL and OK, then stable results. */
static void alternate(struct world *w, const char *first, const char *then, size_t stable)
{
	for (int i = 0; i < 100; i++)
		results(w, first);
	for (size_t i = 0; i < stable; i++)
		results(w, then);
}

static void flapping_is_notified_once_instead_of_a_storm(void **state)
{
	struct world w;

	(void)state;
	start(&w, flappy);
	alternate(&w, "CO", "O", 30);
	/* Before the percentage passes 30 (the 7th result): three problems and
	 * their recoveries; then one start and, once stable, one stop. */
	assert_int_equal(count(&w, RULES_PROBLEM), 3);
	assert_int_equal(count(&w, RULES_RECOVERY), 3);
	assert_int_equal(count(&w, RULES_FLAP_START), 1);
	assert_int_equal(count(&w, RULES_FLAP_STOP), 1);
	expect_events(&w, 8);
	expect_event(&w, 6, RULES_FLAP_START, RULES_CRITICAL, RULES_OK);
	assert_int_equal(w.ev[6].at, T0 + 6 * STEP);
	assert_int_equal(w.ev[7].id, w.ev[6].id);
	assert_int_equal(w.ev[7].since, w.ev[6].at);
	assert_false(w.s.flapping);
}

static void flapping_stops_within_a_window_of_stable_results(void **state)
{
	struct world w;

	(void)state;
	start(&w, flappy);
	alternate(&w, "CO", "O", 0);
	assert_true(w.s.flapping);
	for (int i = 0; i < 20 && w.s.flapping; i++)
		results(&w, "O");
	assert_false(w.s.flapping);
}

static void a_problem_lasting_past_flapping_is_notified_when_it_stops(void **state)
{
	struct world w;
	size_t n;

	(void)state;
	start(&w, flappy);
	alternate(&w, "CO", "C", 30);
	n = w.nev;
	expect_event(&w, n - 2, RULES_FLAP_STOP, RULES_CRITICAL, RULES_OK);
	expect_event(&w, n - 1, RULES_PROBLEM, RULES_CRITICAL, RULES_OK);
	assert_int_equal(w.ev[n - 1].at, w.ev[n - 2].at);
	assert_int_equal(count(&w, RULES_PROBLEM), 4);
	assert_int_equal(count(&w, RULES_RECOVERY), 3);
}

static void a_problem_notified_before_flapping_recovers_after_it(void **state)
{
	struct world w;
	size_t n;

	(void)state;
	start(&w, flappy);
	alternate(&w, "OC", "O", 30); /* flapping starts at an OK, CRITICAL notified */
	n = w.nev;
	assert_int_equal(count(&w, RULES_FLAP_START), 1);
	expect_event(&w, n - 2, RULES_FLAP_STOP, RULES_OK, RULES_CRITICAL);
	expect_event(&w, n - 1, RULES_RECOVERY, RULES_OK, RULES_CRITICAL);
	assert_int_equal(count(&w, RULES_PROBLEM), 3);
	assert_int_equal(count(&w, RULES_RECOVERY), 3);
	expect_event(&w, 4, RULES_PROBLEM, RULES_CRITICAL, RULES_OK); /* the last one */
	assert_int_equal(w.ev[n - 1].id, w.ev[4].id);
}

static void no_renotification_while_flapping(void **state)
{
	struct world w;
	struct rules_policy p = flappy;

	(void)state;
	p.renotify = 60;
	p.stale_after = -1;
	start(&w, p);
	results(&w, "OCOCOC O"); /* flapping starts at the 7th result */
	assert_true(w.s.flapping);
	w.nev = 0;
	results(&w, "CC"); /* sustained again: still no notification */
	tick_at(&w, w.now + 3600);
	expect_events(&w, 0);
	assert_int_equal(rules_deadline(&w.s, &w.p), INT64_MAX);
}

static void flap_detection_off_never_flaps(void **state)
{
	struct world w;

	(void)state;
	start(&w, count3);
	alternate(&w, "CO", "O", 0);
	assert_int_equal(count(&w, RULES_FLAP_START), 0);
}

/* --- staleness --- */

static void stale_after_a_configured_interval(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.sustain_count = 3, .stale_after = 300});
	results(&w, "O"); /* T0 */
	assert_int_equal(rules_deadline(&w.s, &w.p), T0 + 301);
	tick_at(&w, T0 + 300);
	expect_events(&w, 0);
	tick_at(&w, T0 + 301);
	expect_events(&w, 1);
	expect_event(&w, 0, RULES_STALE, RULES_OK, RULES_OK);
	assert_int_equal(w.ev[0].since, T0);
	tick_at(&w, T0 + 5000);
	expect_events(&w, 1);
	result_at(&w, RULES_OK, T0 + 6000);
	expect_events(&w, 2);
	expect_event(&w, 1, RULES_STALE_END, RULES_OK, RULES_OK);
	assert_int_equal(w.ev[1].id, w.ev[0].id);
	assert_int_equal(w.ev[1].since, T0);
	tick_at(&w, T0 + 6300);
	expect_events(&w, 2);
}

static void a_service_that_never_reports_goes_stale(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.stale_after = 300});
	tick_at(&w, T0 - STEP + 301);
	expect_events(&w, 1);
	expect_event(&w, 0, RULES_STALE, RULES_OK, RULES_OK);
	assert_int_equal(w.ev[0].since, T0 - STEP);
}

static void stale_keeps_the_sustained_state(void **state)
{
	struct world w;

	(void)state;
	start(&w,
	      (struct rules_policy){.sustain_count = 1, .recover_count = 1, .stale_after = 300});
	results(&w, "W");
	tick_at(&w, T0 + 400);
	expect_events(&w, 2);
	expect_event(&w, 1, RULES_STALE, RULES_WARNING, RULES_WARNING);
	results(&w, "O");
	expect_events(&w, 4);
	expect_event(&w, 2, RULES_STALE_END, RULES_WARNING, RULES_WARNING);
	expect_event(&w, 3, RULES_RECOVERY, RULES_OK, RULES_WARNING);
}

static void stale_after_a_learned_interval(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){0});
	result_at(&w, RULES_OK, T0);
	result_at(&w, RULES_OK, T0 + 120);
	result_at(&w, RULES_OK, T0 + 240);
	tick_at(&w, T0 + 100000); /* two intervals: not learned yet */
	expect_events(&w, 0);
	assert_true(rules_stale_limit(&w.s, &w.p) < 0);
	result_at(&w, RULES_OK, T0 + 100000); /* an odd one */
	result_at(&w, RULES_OK, T0 + 100120);
	assert_true(rules_stale_limit(&w.s, &w.p) == 360); /* 3 x median(120 120 99760 120) */
	tick_at(&w, T0 + 100120 + 360);
	expect_events(&w, 0);
	tick_at(&w, T0 + 100120 + 361);
	expect_events(&w, 1);
	expect_event(&w, 0, RULES_STALE, RULES_OK, RULES_OK);
}

static void learned_interval_has_a_floor(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){0});
	for (int i = 0; i < 10; i++)
		result_at(&w, RULES_OK, T0 + 5 * i);
	assert_true(rules_stale_limit(&w.s, &w.p) == RULES_STALE_MIN);
}

static void learned_interval_follows_the_recent_results(void **state)
{
	struct world w;
	int64_t t = T0;

	(void)state;
	start(&w, (struct rules_policy){0});
	for (int i = 0; i < 10; i++)
		result_at(&w, RULES_OK, t += 60);
	assert_true(rules_stale_limit(&w.s, &w.p) == 180);
	for (int i = 0; i < 4; i++)
		result_at(&w, RULES_OK, t += 600);
	assert_true(rules_stale_limit(&w.s, &w.p) == 1800);
}

static void never_stale_when_told_so(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.stale_after = -1});
	for (int i = 0; i < 10; i++)
		result_at(&w, RULES_OK, T0 + 60 * i);
	tick_at(&w, T0 + 1000000);
	expect_events(&w, 0);
	assert_int_equal(rules_deadline(&w.s, &w.p), INT64_MAX);
}

/* --- persistence and restart --- */

/* A scenario touching every part of the state: windowed and timed sustain,
 * changes, renotification, flapping, staleness (learned), recovery. */
static const char scenario[] = "OOOO CCOC WWCC T OOOU COCOCOCOCOC OOOOOOOOOOOOOOOOOOOO T CCCC T"
                               "OOOO OOOO T WWWW";

static const struct rules_policy rich = {
        .sustain_count = 4,
        .sustain_for = 200,
        .window_m = 3,
        .window_n = 4,
        .recover_count = 2,
        .renotify = 400,
        .flap_low = 20,
        .flap_high = 30,
};

/* Run the scenario; with PERSIST, restore the state after every step. */
static void run_scenario(struct world *w, bool persist)
{
	start(w, rich);
	for (const char *c = scenario; *c; c++) {
		if (*c == ' ')
			continue;
		if (*c == 'T')
			tick_at(w, w->now + 1000);
		else
			results(w, (char[]){*c, '\0'});
		if (persist)
			restart(w);
	}
}

static void decode_and_go_on_is_the_same_as_never_stopping(void **state)
{
	static struct world straight, restarted;

	(void)state;
	run_scenario(&straight, false);
	run_scenario(&restarted, true);
	assert_true(straight.nev >= 10);
	assert_int_equal(restarted.nev, straight.nev);
	for (size_t i = 0; i < straight.nev; i++) {
		const struct rules_event *a = &straight.ev[i], *b = &restarted.ev[i];

		assert_int_equal(a->kind, b->kind);
		assert_int_equal(a->state, b->state);
		assert_int_equal(a->previous, b->previous);
		assert_int_equal(a->at, b->at);
		assert_int_equal(a->since, b->since);
		assert_int_equal(a->id, b->id);
	}
	/* Every kind of event happened in it. */
	for (int k = RULES_PROBLEM; k <= RULES_STALE_END; k++)
		if (count(&straight, (enum rules_event_kind)k) == 0)
			fail_msg("the scenario has no %s", rules_event_name(k));
}

static void a_restart_mid_problem_does_not_renotify(void **state)
{
	struct world w;
	uint64_t id;

	(void)state;
	start(&w, (struct rules_policy){.sustain_count = 3,
	                                .recover_count = 1,
	                                .renotify = 3600,
	                                .stale_after = 300});
	results(&w, "CCC"); /* notified at T0 + 120 */
	id = w.ev[0].id;
	restart(&w);
	rules_resume(&w.s, T0 + 1000); /* down for 15 minutes */
	tick_at(&w, T0 + 1000);
	tick_at(&w, T0 + 1300); /* 300 s after the restart: not stale yet */
	for (int64_t t = T0 + 1300; t < T0 + 120 + 3600; t += STEP)
		result_at(&w, RULES_CRITICAL, t);
	expect_events(&w, 1);
	result_at(&w, RULES_CRITICAL, T0 + 120 + 3600); /* reminders keep their clock */
	expect_events(&w, 2);
	expect_event(&w, 1, RULES_RENOTIFY, RULES_CRITICAL, RULES_CRITICAL);
	result_at(&w, RULES_OK, T0 + 4000);
	expect_events(&w, 3);
	expect_event(&w, 2, RULES_RECOVERY, RULES_OK, RULES_CRITICAL);
	assert_int_equal(w.ev[2].id, id);
}

static void a_restart_mid_breach_keeps_the_count(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.sustain_count = 5});
	results(&w, "CCC");
	restart(&w);
	rules_resume(&w.s, w.now + 30);
	results(&w, "C");
	expect_events(&w, 0);
	results(&w, "C");
	expect_events(&w, 1);
	assert_int_equal(w.ev[0].since, T0);
}

static void resume_does_not_learn_the_downtime_as_an_interval(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){0});
	results(&w, "OOOO"); /* three intervals of 60 s */
	restart(&w);
	rules_resume(&w.s, w.now + 50000);
	result_at(&w, RULES_OK, w.now + 50060);
	assert_int_equal(w.s.nintervals, 3);
	assert_true(rules_stale_limit(&w.s, &w.p) == 180);
	tick_at(&w, w.now + 181);
	expect_events(&w, 1);
	expect_event(&w, 0, RULES_STALE, RULES_OK, RULES_OK);
}

static void a_restart_while_stale_keeps_one_stale_and_its_start(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.stale_after = 300});
	results(&w, "O");
	tick_at(&w, T0 + 400);
	restart(&w);
	rules_resume(&w.s, T0 + 5000);
	tick_at(&w, T0 + 5400);
	expect_events(&w, 1);
	result_at(&w, RULES_OK, T0 + 5500);
	expect_events(&w, 2);
	expect_event(&w, 1, RULES_STALE_END, RULES_OK, RULES_OK);
	assert_int_equal(w.ev[1].since, T0);
}

static void resume_never_moves_the_watch_back(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.stale_after = 300});
	results(&w, "O");
	rules_resume(&w.s, T0 - 1000);
	assert_int_equal(w.s.watch_from, T0);
}

/* What a consumer of the events can rely on, checked event by event. */
struct contract {
	uint64_t open; /* id of the notified problem, 0 if none */
	enum rules_state notified;
	uint64_t flap;  /* id while flapping */
	uint64_t stale; /* id while stale */
};

static void obey(struct contract *c, const struct rules_event *e)
{
	assert_int_not_equal(e->id, 0);
	switch (e->kind) {
	case RULES_PROBLEM:
		assert_int_equal(c->flap, 0);
		assert_int_equal(e->previous, c->notified);
		assert_int_not_equal(e->state, RULES_OK);
		assert_int_not_equal(e->state, e->previous);
		if (c->open != 0)
			assert_int_equal(e->id, c->open);
		c->open = e->id;
		c->notified = e->state;
		break;
	case RULES_RECOVERY:
		assert_int_equal(c->flap, 0);
		assert_int_equal(e->id, c->open);
		assert_int_equal(e->previous, c->notified);
		c->open = 0;
		c->notified = RULES_OK;
		break;
	case RULES_RENOTIFY:
		assert_int_equal(c->flap, 0);
		assert_int_equal(e->id, c->open);
		break;
	case RULES_FLAP_START:
		assert_int_equal(c->flap, 0);
		c->flap = e->id;
		break;
	case RULES_FLAP_STOP:
		assert_int_equal(e->id, c->flap);
		c->flap = 0;
		break;
	case RULES_STALE:
		assert_int_equal(c->stale, 0);
		c->stale = e->id;
		break;
	case RULES_STALE_END:
		assert_int_equal(e->id, c->stale);
		c->stale = 0;
		break;
	}
}

/* Random results, ticks and restarts under several policies: every event
 * keeps the contract and every state reached persists and restores. */
static void every_reachable_state_persists_and_events_keep_their_contract(void **state)
{
	static const struct rules_policy policies[] = {
	        {.sustain_count = 3, .recover_count = 2, .renotify = 900},
	        {.sustain_for = 300, .window_m = 4, .window_n = 6, .flap_low = 20, .flap_high = 30},
	        {.window_m = 2,
	         .window_n = 3,
	         .recover_count = 3,
	         .flap_low = 10,
	         .flap_high = 15,
	         .stale_after = 500,
	         .renotify = 200},
	        {.flap_low = 40, .flap_high = 50},
	};
	static struct world w;
	uint32_t seed = 12345;
	size_t seen[RULES_STALE_END + 1] = {0};

	(void)state;
	for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++) {
		struct contract c = {0};

		start(&w, policies[i]);
		for (int step = 0; step < 20000; step++) {
			size_t first = w.nev;

			seed = seed * 1103515245 + 12345;
			switch (seed >> 28) {
			case 0:
				tick_at(&w, w.now + (seed >> 16) % 1200);
				break;
			case 1:
				restart(&w);
				rules_resume(&w.s, w.now + (seed >> 16) % 100);
				break;
			default:
				result_at(&w, (enum rules_state)((seed >> 16) % 7 % 4),
				          w.now + 1 + (seed >> 16) % 120);
			}
			for (size_t k = first; k < w.nev; k++) {
				obey(&c, &w.ev[k]);
				seen[w.ev[k].kind]++;
			}
			restart(&w);
			w.nev = 0;
		}
	}
	for (int k = RULES_PROBLEM; k <= RULES_STALE_END; k++)
		if (seen[k] < 10)
			fail_msg("only %zu %s events", seen[k], rules_event_name(k));
}

/* --- the encoded line --- */

static const char *good_line(struct world *w, char *line, size_t len)
{
	start(w, rich);
	results(w, "OOOO CCCC W");
	tick_at(w, w->now + 100000);
	assert_true(w->s.stale && w->s.notified == RULES_WARNING);
	rules_encode(&w->s, line, len);
	return line;
}

static void encoded_line_is_versioned_key_value_text(void **state)
{
	struct world w;
	char line[RULES_LINE_MAX];

	(void)state;
	good_line(&w, line, sizeof line);
	assert_memory_equal(line, "v1 hist=000022221 bad=5 ", 24);
	assert_non_null(strstr(line, " state=1 notified=1 "));
	assert_non_null(strstr(line, " stale=1 "));
	assert_non_null(strstr(line, " ivl=60,60,60,60,60,60,60"));
	assert_null(strpbrk(line, "\t\n\r"));
}

static void fresh_and_full_states_round_trip(void **state)
{
	struct world w;
	char line[RULES_LINE_MAX];

	(void)state;
	start(&w, rich);
	restart(&w); /* nothing known: "-" for lists */
	rules_encode(&w.s, line, sizeof line);
	assert_non_null(strstr(line, "hist=- "));
	assert_non_null(strstr(line, "ivl=-"));

	w.s.bad_run = w.s.breach_len = 4000000000u;
	w.s.hist[0] = 2;
	w.s.nhist = 1;
	w.s.state = w.s.notified = RULES_CRITICAL;
	w.s.problem_id = UINT64_MAX;
	w.s.breach_since = w.s.watch_from = w.s.last_result = INT64_MAX;
	for (int i = 0; i < RULES_INTERVALS; i++)
		w.s.intervals[i] = UINT32_MAX;
	w.s.nintervals = RULES_INTERVALS;
	for (int i = 0; i < 70; i++) /* a full, mixed history */
		rules_result(&w.s, &w.p, (enum rules_state)(i % 3 == 0 ? 1 : 2), INT64_MAX,
		             &w.next_id, (struct rules_event[RULES_MAX_EVENTS]){0});
	assert_int_equal(w.s.nhist, RULES_HISTORY);
	restart(&w);
	assert_true(rules_encode(&w.s, line, sizeof line) < RULES_LINE_MAX);
}

static void encode_truncates_like_snprintf(void **state)
{
	struct world w;
	char line[RULES_LINE_MAX], small[20];
	int n;

	(void)state;
	good_line(&w, line, sizeof line);
	n = rules_encode(&w.s, small, sizeof small);
	assert_int_equal(n, strlen(line));
	assert_int_equal(strlen(small), sizeof small - 1);
	assert_memory_equal(small, line, sizeof small - 1);
	assert_int_equal(rules_encode(&w.s, NULL, 0), n);
}

static void decode_accepts_one_trailing_newline(void **state)
{
	struct world w;
	char line[RULES_LINE_MAX + 1], err[256];
	struct rules_service s;

	(void)state;
	good_line(&w, line, sizeof line - 1);
	strcat(line, "\n");
	assert_int_equal(rules_decode(line, &s, err, sizeof err), 0);
	strcat(line, "\n");
	assert_int_equal(rules_decode(line, &s, err, sizeof err), -1);
}

/* Replace the first FROM in a good line by TO: the result is rejected with a
 * reason containing WHY, and the service is left untouched. */
static void assert_corrupt(const char *from, const char *to, const char *why)
{
	struct world w;
	char line[RULES_LINE_MAX], bad[2 * RULES_LINE_MAX], err[256] = "";
	struct rules_service s, before;
	const char *at;

	good_line(&w, line, sizeof line);
	at = strstr(line, from);
	if (at == NULL)
		fail_msg("'%s' not in '%s'", from, line);
	snprintf(bad, sizeof bad, "%.*s%s%s", (int)(at - line), line, to, at + strlen(from));
	memset(&s, 0x5a, sizeof s);
	before = s;
	if (rules_decode(bad, &s, err, sizeof err) != -1)
		fail_msg("accepted: '%s'", bad);
	if (strstr(err, why) == NULL)
		fail_msg("'%s': reason '%s' does not mention '%s'", bad, err, why);
	assert_null(strchr(err, '\n'));
	assert_memory_equal(&s, &before, sizeof s);
}

/* Set KEY's value in a good line to VALUE: rejected with WHY. */
static void assert_value(const char *key, const char *value, const char *why)
{
	char from[64], to[RULES_LINE_MAX], line[RULES_LINE_MAX];
	struct world w;
	const char *v;

	good_line(&w, line, sizeof line);
	snprintf(from, sizeof from, " %s=", key);
	v = strstr(line, from);
	if (v == NULL)
		fail_msg("no '%s' in '%s'", from, line);
	v += strlen(from);
	snprintf(from, sizeof from, " %s=%.*s", key, (int)strcspn(v, " "), v);
	snprintf(to, sizeof to, " %s=%s", key, value);
	assert_corrupt(from, to, why);
}

static void corrupt_lines_are_rejected_with_a_reason(void **state)
{
	(void)state;
	assert_corrupt("v1 ", "v2 ", "version 'v2' not supported");
	assert_corrupt("v1 ", "v1x ", "version 'v1x'");
	assert_corrupt("v1 ", "", "version");
	assert_corrupt(" ok=", "  ok=", "expected ' ok='");
	assert_corrupt(" ok=", "\tok=", "bad: '5?ok=0' is not a number");
	assert_corrupt(" ok=", " ok =", "expected ' ok='");
	assert_corrupt(" bad=5 ok=0", " ok=0 bad=5", "expected ' bad='");
	assert_corrupt(" ivl=", " extra=1 ivl=", "expected ' ivl='");
	assert_corrupt(" watch=", " ", "expected ' watch='");
	assert_corrupt(",60,60,60,60,60,60", ",60,60,60,60,60,60 more=1", "after the last field");
	assert_corrupt(",60,60,60,60,60,60", ",60,60,60,60,60,60 ", "after the last field");
}

static void garbage_values_are_rejected_with_a_reason(void **state)
{
	(void)state;
	assert_value("bad", "5x", "bad: '5x' is not a number");
	assert_value("bad", "-5", "bad: '-5' is not a number");
	assert_value("bad", "+5", "not a number");
	assert_value("bad", "05", "leading zero");
	assert_value("bad", "", "bad: empty");
	assert_value("last", "-", "last: '-' is not a number");
	assert_value("bsince", "1e9", "not a number");
	assert_value("nat", "0x10", "not a number");
	assert_value("hist", "4000", "hist: '4' is not a state");
	assert_value("hist", "00a", "hist: 'a' is not a state");
	assert_value("hist", "", "hist: 0 results");
	assert_value("ivl", "", "ivl: empty");
	assert_value("ivl", ",60", "ivl: empty");
	assert_value("ivl", "60,", "ends with a comma");
	assert_value("ivl", "60,,60", "ivl: empty");
	assert_value("ivl", "60;60", "not a number");
}

static void out_of_range_values_are_rejected(void **state)
{
	(void)state;
	assert_value("bad", "4294967296", "bad: '4294967296' is out of range");
	assert_value("pid", "18446744073709551616", "out of range");
	assert_value("last", "9223372036854775808", "out of range");
	assert_value("state", "4", "state: '4' is out of range");
	assert_value("notified", "9", "out of range");
	assert_value("flap", "2", "flap: '2' is out of range");
	assert_value("hist", "00000000000000000000000000000000000000000000000000000000000000000",
	             "hist: 65 results");
	assert_value("ivl", "0", "interval of 0");
	assert_value("ivl", "4294967296", "out of range");
	assert_value("ivl", "1,2,3,4,5,6,7,8", "more than 7");
}

static void inconsistent_lines_are_rejected(void **state)
{
	(void)state;
	assert_value("pid", "0", "a notified problem needs an id");
	assert_value("notified", "2", "differs from the sustained");
	assert_value("sid", "0", "staleness needs an id");
	assert_value("flap", "1", "flapping needs an id");
	assert_value("blen", "4", "a run of 5 non-OK results in a breach of 4");
	assert_value("bad", "0", "disagree with the latest");
	assert_value("ok", "1", "disagree with the latest");
	assert_value("hist", "-", "without any result");
	assert_corrupt("hist=000022221 bad=5 ok=0 blen=5", "hist=000022220 bad=0 ok=1 blen=0",
	               "sustained state without a breach");
}

static void every_truncation_is_rejected(void **state)
{
	struct world w;
	char line[RULES_LINE_MAX], cut[RULES_LINE_MAX], err[256];
	struct rules_service s;
	size_t last = 0;

	(void)state;
	good_line(&w, line, sizeof line);
	last = (size_t)(strstr(line, " ivl=") - line) + strlen(" ivl=6");
	for (size_t n = 0; n < last; n++) {
		memcpy(cut, line, n);
		cut[n] = '\0';
		if (rules_decode(cut, &s, err, sizeof err) != -1)
			fail_msg("truncated line accepted: '%s'", cut);
	}
}

static void garbage_never_decodes(void **state)
{
	static const char *const lines[] = {
	        "",    "\n",          " ",         "v1",
	        "v1 ", "hello world", "v1 hist=-", "v1 hist=- bad=0 ok=0 blen="};
	struct rules_service s;
	char err[256], longline[2000];

	(void)state;
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		err[0] = '\0';
		assert_int_equal(rules_decode(lines[i], &s, err, sizeof err), -1);
		assert_true(err[0] != '\0');
	}
	memset(longline, 'v', sizeof longline - 1);
	longline[sizeof longline - 1] = '\0';
	assert_int_equal(rules_decode(longline, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "too long"));
}

/* --- ids, inputs and policies --- */

static void ids_are_unique_across_services_sharing_a_counter(void **state)
{
	struct rules_service a, b;
	struct rules_event ev[RULES_MAX_EVENTS];
	struct rules_policy p = {.sustain_count = 1, .recover_count = 1};
	uint64_t next = 0, seen[8];
	size_t n = 0;

	(void)state;
	rules_init(&a, T0);
	rules_init(&b, T0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(
		        rules_result(&a, &p, i % 2 ? RULES_OK : RULES_CRITICAL, T0 + i, &next, ev),
		        1);
		if (ev[0].kind == RULES_PROBLEM)
			seen[n++] = ev[0].id;
		assert_int_equal(
		        rules_result(&b, &p, i % 2 ? RULES_OK : RULES_WARNING, T0 + i, &next, ev),
		        1);
		if (ev[0].kind == RULES_PROBLEM)
			seen[n++] = ev[0].id;
	}
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		assert_int_not_equal(seen[i], 0);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(seen[i], seen[j]);
	}
}

static void states_outside_the_enum_count_as_unknown(void **state)
{
	struct world w;

	(void)state;
	start(&w, (struct rules_policy){.sustain_count = 1});
	result_at(&w, (enum rules_state)7, T0);
	expect_event(&w, 0, RULES_PROBLEM, RULES_UNKNOWN, RULES_OK);
	assert_string_equal(rules_state_name((enum rules_state)9), "UNKNOWN");
	assert_string_equal(rules_state_name(RULES_WARNING), "WARNING");
	assert_string_equal(rules_event_name(RULES_STALE_END), "stale-end");
}

static void assert_policy_rejected(struct rules_policy p, const char *why)
{
	char err[256] = "";

	assert_int_equal(rules_policy_check(&p, err, sizeof err), -1);
	if (strstr(err, why) == NULL)
		fail_msg("reason '%s' does not mention '%s'", err, why);
}

static void inconsistent_policies_are_rejected(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(rules_policy_check(&rich, err, sizeof err), 0);
	assert_int_equal(rules_policy_check(&(struct rules_policy){0}, err, sizeof err), 0);
	assert_policy_rejected((struct rules_policy){.window_m = 2}, "both M and N");
	assert_policy_rejected((struct rules_policy){.window_m = 3, .window_n = 2}, "M (3)");
	assert_policy_rejected((struct rules_policy){.window_m = 3, .window_n = 65}, "N (65)");
	assert_policy_rejected((struct rules_policy){.sustain_for = -1}, "sustain");
	assert_policy_rejected((struct rules_policy){.renotify = INFINITY}, "renotification");
	assert_policy_rejected((struct rules_policy){.stale_after = NAN}, "stale");
	assert_policy_rejected((struct rules_policy){.flap_low = 30, .flap_high = 20}, "low");
	assert_policy_rejected((struct rules_policy){.flap_low = 20, .flap_high = 130}, "percent");
	assert_policy_rejected((struct rules_policy){.flap_high = 30}, "never end");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(n_consecutive_non_ok_make_one_problem),
	        cmocka_unit_test(n_minus_one_then_ok_make_nothing),
	        cmocka_unit_test(warning_critical_unknown_all_count_as_non_ok),
	        cmocka_unit_test(sustained_state_is_the_latest_non_ok),
	        cmocka_unit_test(no_criterion_means_the_first_non_ok_is_sustained),
	        cmocka_unit_test(duration_sustains_once_the_breach_is_old_enough),
	        cmocka_unit_test(duration_clock_restarts_at_an_ok_without_window),
	        cmocka_unit_test(either_count_or_duration_suffices),
	        cmocka_unit_test(m_of_n_sustains_despite_one_ok),
	        cmocka_unit_test(m_of_n_ignores_non_ok_results_spread_thin),
	        cmocka_unit_test(window_keeps_the_duration_clock_over_one_missed_result),
	        cmocka_unit_test(window_restarts_the_clock_beyond_its_tolerance),
	        cmocka_unit_test(k_oks_recover_with_the_problems_id),
	        cmocka_unit_test(a_non_ok_among_the_oks_restarts_the_recovery_count),
	        cmocka_unit_test(no_recovery_without_a_notified_problem),
	        cmocka_unit_test(a_new_problem_after_recovery_gets_a_new_id),
	        cmocka_unit_test(warning_to_critical_notifies_once_with_previous_warning),
	        cmocka_unit_test(renotifies_at_the_interval_and_not_before),
	        cmocka_unit_test(renotification_also_comes_with_results),
	        cmocka_unit_test(a_change_of_state_restarts_the_renotification_interval),
	        cmocka_unit_test(no_renotification_after_recovery_or_when_off),
	        cmocka_unit_test(flap_percent_weighs_recent_changes_more),
	        cmocka_unit_test(flapping_is_notified_once_instead_of_a_storm),
	        cmocka_unit_test(flapping_stops_within_a_window_of_stable_results),
	        cmocka_unit_test(a_problem_lasting_past_flapping_is_notified_when_it_stops),
	        cmocka_unit_test(a_problem_notified_before_flapping_recovers_after_it),
	        cmocka_unit_test(no_renotification_while_flapping),
	        cmocka_unit_test(flap_detection_off_never_flaps),
	        cmocka_unit_test(stale_after_a_configured_interval),
	        cmocka_unit_test(a_service_that_never_reports_goes_stale),
	        cmocka_unit_test(stale_keeps_the_sustained_state),
	        cmocka_unit_test(stale_after_a_learned_interval),
	        cmocka_unit_test(learned_interval_has_a_floor),
	        cmocka_unit_test(learned_interval_follows_the_recent_results),
	        cmocka_unit_test(never_stale_when_told_so),
	        cmocka_unit_test(decode_and_go_on_is_the_same_as_never_stopping),
	        cmocka_unit_test(a_restart_mid_problem_does_not_renotify),
	        cmocka_unit_test(a_restart_mid_breach_keeps_the_count),
	        cmocka_unit_test(resume_does_not_learn_the_downtime_as_an_interval),
	        cmocka_unit_test(resume_never_moves_the_watch_back),
	        cmocka_unit_test(a_restart_while_stale_keeps_one_stale_and_its_start),
	        cmocka_unit_test(every_reachable_state_persists_and_events_keep_their_contract),
	        cmocka_unit_test(encoded_line_is_versioned_key_value_text),
	        cmocka_unit_test(fresh_and_full_states_round_trip),
	        cmocka_unit_test(encode_truncates_like_snprintf),
	        cmocka_unit_test(decode_accepts_one_trailing_newline),
	        cmocka_unit_test(corrupt_lines_are_rejected_with_a_reason),
	        cmocka_unit_test(garbage_values_are_rejected_with_a_reason),
	        cmocka_unit_test(out_of_range_values_are_rejected),
	        cmocka_unit_test(inconsistent_lines_are_rejected),
	        cmocka_unit_test(every_truncation_is_rejected),
	        cmocka_unit_test(garbage_never_decodes),
	        cmocka_unit_test(ids_are_unique_across_services_sharing_a_counter),
	        cmocka_unit_test(states_outside_the_enum_count_as_unknown),
	        cmocka_unit_test(inconsistent_policies_are_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
