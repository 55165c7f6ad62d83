/*
 * rules.h - the per-(host, service) state machine of trendtrapd: which check
 * results become notifications.  Pure code: no I/O, no clock (NOW is always a
 * parameter, unix seconds >= 0), no allocation; the caller owns every struct.
 *
 * Results.  OK is fine; WARNING, CRITICAL and UNKNOWN are all "non-OK".  A run
 * of non-OK results is a breach, which starts at its first non-OK result.
 *
 * Sustained.  A breach becomes sustained at a non-OK result when ANY enabled
 * criterion holds (all disabled: at the first non-OK result):
 *   - count:    the last sustain_count results were all non-OK;
 *   - window:   at least window_m of the last window_n results were non-OK;
 *   - duration: the breach began at least sustain_for seconds ago.
 * Without a window, any OK result ends an unsustained breach (its clock
 * restarts).  With a window, an OK ends it only when the OKs among the last
 * window_n results of the breach outnumber window_n - window_m (the window's
 * tolerance), so one missed result does not restart the duration clock.  The
 * count criterion always wants consecutive results.
 * The sustained state is the LATEST non-OK state once sustained (Nagios'
 * hard state): WARNING then CRITICAL while sustained is a change of state.
 *
 * Recovery.  A sustained breach ends after recover_count consecutive OKs.
 *
 * Notifications.  Whenever the sustained state differs from the last state
 * notified, and the service is not flapping: a PROBLEM (previous = the last
 * notified state: OK for a new problem, WARNING for WARNING -> CRITICAL) or a
 * RECOVERY (only ever after a notified problem).  So a state change while
 * sustained notifies at once, at the result that shows it.  RENOTIFY repeats
 * the notified problem every `renotify` seconds (counted from the last PROBLEM
 * or RENOTIFY) while it lasts and the service is not flapping.
 *
 * Flapping (as Nagios and Icinga 2).  Over the last 21 results (20 changes),
 * each change of state (any two different states) weighs from 0.8 (oldest) to
 * 1.2 (newest); the percentage is 100 * sum / 20, so fewer known results can
 * only lower it.  Flapping starts when it rises above flap_high and stops when
 * it falls below flap_low: one FLAP_START, one FLAP_STOP.  In between, no
 * PROBLEM, RECOVERY or RENOTIFY is produced, but the sustained state is still
 * tracked; at FLAP_STOP, if it differs from the last notified state, that
 * difference is notified at once (a PROBLEM, or a RECOVERY of the problem
 * notified before flapping).
 *
 * Staleness.  A service without a result for longer than its stale limit gets
 * one STALE (from rules_tick); its next result first produces STALE_END with
 * the same id.  The limit is stale_after when > 0; when 0 it is learned:
 * RULES_STALE_FACTOR times the median of the last RULES_INTERVALS intervals
 * between results, at least RULES_STALE_MIN seconds, once RULES_LEARN_MIN
 * intervals are known (no staleness before).  Staleness does not touch the
 * sustained state, and renotification goes on while stale.
 *
 * Event ids come from a counter the caller owns and persists (*next_id, never
 * 0): a PROBLEM that opens a problem takes a new id, shared by its state
 * changes, renotifications and RECOVERY; FLAP_START/FLAP_STOP and
 * STALE/STALE_END share one id per pair.
 *
 * Silences are the caller's: events are produced the same whether silenced or
 * not; the caller records a silenced event instead of sending it (and may drop
 * a RECOVERY whose PROBLEM it did not send: the id links them).
 *
 * Persistence.  rules_encode() writes the whole state as one line of text and
 * rules_decode() restores it exactly: decoding and going on produces the same
 * events as never stopping.  After a restart, call rules_resume() so that the
 * daemon's own downtime is not taken for a silent service.  The state does not
 * depend on the policy: after a reload the next call applies the new policy.
 *
 * Call rules_tick() no later than rules_deadline() (e.g. from a timer heap);
 * calling it more often is harmless.
 */
#ifndef TT_RULES_H
#define TT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RULES_HISTORY      64  /* results remembered; window_n is at most this */
#define RULES_FLAP_RESULTS 21  /* results the flapping percentage looks at */
#define RULES_INTERVALS    7   /* intervals kept to learn the reporting interval */
#define RULES_LEARN_MIN    3   /* intervals needed before a learned limit applies */
#define RULES_STALE_FACTOR 3.0 /* learned limit = factor * median interval ... */
#define RULES_STALE_MIN    60  /* ... and at least this many seconds */
#define RULES_MAX_EVENTS   4   /* one call never produces more events */
#define RULES_LINE_MAX     768 /* rules_encode() always fits in this (with NUL) */

/* Check result states, numbered as plugin exit codes. */
enum rules_state {
	RULES_OK = 0,
	RULES_WARNING = 1,
	RULES_CRITICAL = 2,
	RULES_UNKNOWN = 3,
};

/* How results become notifications; a copy per service or shared, as the
 * caller likes.  Durations in seconds. */
struct rules_policy {
	unsigned sustain_count; /* N: sustained after N consecutive non-OK; 0 = off */
	double sustain_for;     /* sustained once the breach is this old; 0 = off */
	unsigned window_m;      /* sustained when >= M of the last N results are */
	unsigned window_n;      /*   non-OK, and the tolerance of the clock; 0 = off */
	unsigned recover_count; /* K: recovered after K consecutive OKs; 0 means 1 */
	double renotify;        /* repeat a notified problem this often; 0 = never */
	double flap_low;        /* percent: flapping stops below it */
	double flap_high;       /* percent: flapping starts above it; 0 = no detection */
	double stale_after;     /* > 0: stale limit; 0: learn it; < 0: never stale */
};

enum rules_event_kind {
	RULES_PROBLEM,  /* a sustained state is notified: new problem or a change */
	RULES_RECOVERY, /* the notified problem is over */
	RULES_RENOTIFY, /* the notified problem still lasts */
	RULES_FLAP_START,
	RULES_FLAP_STOP,
	RULES_STALE,     /* no result for longer than the stale limit */
	RULES_STALE_END, /* a result arrived after STALE */
};

struct rules_event {
	enum rules_event_kind kind;
	enum rules_state state;    /* sustained state after the event (OK if none) */
	enum rules_state previous; /* last notified state before the event (OK if none) */
	int64_t at;                /* NOW of the call that produced it */
	int64_t since;             /* problem: first non-OK result of the notified problem;
	                              flapping: when it started; stale: the last result
	                              (or the start of watching) */
	uint64_t id;               /* see "Event ids" above; never 0 */
};

/* The whole state of one service: public so the caller can allocate it and show
 * it, but changed only through these functions. */
struct rules_service {
	uint64_t hist[2];                    /* last RULES_HISTORY states, 2 bits each, newest in
	                                        the low bits of hist[0] */
	unsigned nhist;                      /* how many of them are known */
	unsigned bad_run;                    /* consecutive non-OK results up to the latest */
	unsigned ok_run;                     /* consecutive OK results up to the latest */
	unsigned breach_len;                 /* results since the breach began; 0 = no breach */
	int64_t breach_since;                /* its first non-OK result */
	enum rules_state state;              /* sustained state; OK when not sustained */
	enum rules_state notified;           /* last notified state; OK when no problem is open */
	uint64_t problem_id;                 /* id of the open notified problem; 0 = none */
	int64_t problem_since;               /* first non-OK result of that problem */
	int64_t notified_at;                 /* last PROBLEM or RENOTIFY */
	bool flapping;                       /* between FLAP_START and FLAP_STOP */
	uint64_t flap_id;                    /* their id; 0 when not flapping */
	int64_t flap_since;                  /* when flapping started */
	bool stale;                          /* between STALE and STALE_END */
	uint64_t stale_id;                   /* their id; 0 when not stale */
	int64_t last_result;                 /* time of the latest result (when nhist > 0) */
	int64_t watch_from;                  /* staleness is measured from here: the latest result,
	                                        or creation or resumption if later */
	uint32_t intervals[RULES_INTERVALS]; /* seconds between results, oldest first */
	unsigned nintervals;
};

/* Check P for consistency (1 <= M <= N <= RULES_HISTORY or both 0, 0 <= low <=
 * high <= 100, finite non-negative durations). Returns 0 or -1 with a reason. */
int rules_policy_check(const struct rules_policy *p, char *err, size_t errlen);

/* Start S as a service with no result yet, watched from NOW. */
void rules_init(struct rules_service *s, int64_t now);

/* Feed one result ST at NOW (states outside the enum count as UNKNOWN). Writes
 * the events to emit, in order, into OUT and returns how many. P must have
 * passed rules_policy_check(); NOW should not go backwards (if it does, the
 * durations involved count as negative: nothing falls due). */
size_t rules_result(struct rules_service *s, const struct rules_policy *p, enum rules_state st,
                    int64_t now, uint64_t *next_id, struct rules_event out[RULES_MAX_EVENTS]);

/* Let time pass until NOW: STALE and RENOTIFY. Returns the number of events. */
size_t rules_tick(struct rules_service *s, const struct rules_policy *p, int64_t now,
                  uint64_t *next_id, struct rules_event out[RULES_MAX_EVENTS]);

/* The earliest time at which rules_tick() can produce an event; INT64_MAX if
 * none until the next result. */
int64_t rules_deadline(const struct rules_service *s, const struct rules_policy *p);

/* The stale limit in effect in seconds, or -1 when none (never, or not learned). */
double rules_stale_limit(const struct rules_service *s, const struct rules_policy *p);

/* The weighted state-change percentage over the recent results (0..100). */
double rules_flap_percent(const struct rules_service *s);

/* After restoring S at a restart at NOW: the time the daemon was down does not
 * count towards staleness, nor as an interval between results. */
void rules_resume(struct rules_service *s, int64_t now);

/* Write S as one line of text without newline ("v1 key=value ..."). Returns its
 * length (snprintf semantics; it always fits in RULES_LINE_MAX). */
int rules_encode(const struct rules_service *s, char *buf, size_t len);

/* Restore S from LINE (one trailing newline allowed), validated strictly: S is
 * written only on success. Returns 0, or -1 with a reason in ERR. */
int rules_decode(const char *line, struct rules_service *s, char *err, size_t errlen);

/* "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char *rules_state_name(enum rules_state st);

/* "problem", "recovery", "renotify", "flap-start", "flap-stop", "stale", "stale-end". */
const char *rules_event_name(enum rules_event_kind kind);

#endif
