/*
 * plugin.h - what every trendtrap check plugin shares at the main() level:
 * the common options, the timeout alarm, fatal UNKNOWN exits, and replay.
 *
 * This is main-level code: it may print and exit. Library code (lib/) never
 * does either.
 */
#ifndef TT_PLUGIN_H
#define TT_PLUGIN_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "judge.h"
#include "output.h"
#include "sample.h"
#include "series.h"
#include "trend.h"

/* Long-only option codes shared by all plugins; plugin-specific ones start at
 * PLUGIN_OPT_OWN. */
enum {
	OPT_TIMEOUT_STATE = 256,
	OPT_STATE_DIR,
	OPT_STATE_KEY,
	OPT_REPLAY,
	OPT_WINDOW,
	OPT_MIN_SAMPLES,
	OPT_MIN_SPAN,
	OPT_ESTIMATOR,
	OPT_INSUFFICIENT,
	OPT_WARN_TIME_LEFT,
	OPT_CRIT_TIME_LEFT,
	OPT_KEEP,
	OPT_HORIZON,
	PLUGIN_OPT_OWN = 512,
};

/* Options common to every plugin, parsed and validated. */
struct plugin_common {
	const char *service;        /* "DISK_TREND": the status line prefix */
	const char *warning;        /* -w text, NULL when not given */
	const char *critical;       /* -c text */
	double timeout;             /* seconds, -t */
	enum state timeout_state;   /* --timeout-state */
	int verbose;                /* -v count */
	const char *state_dir;      /* --state-dir, NULL = default */
	const char *state_key;      /* --state-key, NULL = derived */
	const char *replay;         /* --replay FILE, NULL = live */
	bool insufficient_unknown;  /* --insufficient=unknown */
	struct trend_params trend;  /* --window, --min-samples, --min-span, --estimator,
				       --horizon */
	struct judge_time_left time_left; /* --warn-time-left, --crit-time-left */
	struct series_retention keep;     /* --keep */
};

/* Fill C with defaults: timeout 10 s, UNKNOWN on timeout, trend defaults,
 * time-left thresholds 14d / 3d, retention defaults. */
void plugin_common_init(struct plugin_common *c, const char *service);

/* The common options, for merging into a plugin's getopt_long table. */
extern const struct option plugin_common_options[];
#define PLUGIN_COMMON_SHORTOPTS "w:c:t:vVh"

/* Merge OWN (terminated by a zero entry) and the common options into a new
 * table (malloc'ed, terminated). Exits UNKNOWN on allocation failure. */
struct option *plugin_options(const struct option *own);

/* Handle a common option OPT with argument ARG. Returns 1 when handled, 0 when
 * OPT is not a common option; exits UNKNOWN (with one line naming the option)
 * on a bad value, and 0 after -V/-h (HELP is printed for -h). */
int plugin_common_opt(struct plugin_common *c, int opt, const char *arg, const char *help);

/* Print "SERVICE UNKNOWN - message" and exit 3. */
void plugin_die(const struct plugin_common *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* Parse a duration option value or die naming OPTION. */
double plugin_duration(const struct plugin_common *c, const char *option, const char *arg);

/* Arm the whole-check timeout (c->timeout seconds). */
void plugin_timeout_arm(const struct plugin_common *c);

/* Say what the plugin is doing now, for the timeout message ("reading /"). The
 * text is copied. */
void plugin_doing(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One replay evaluation: the history HIST[0..N) up to and including the row
 * at NOW. Fill the CSV row's fields. */
struct replay_row {
	enum state state;
	double value;     /* the measured value of the row */
	double slope;     /* per second; NAN while collecting */
	double time_left; /* seconds; NAN when none */
};
typedef void (*plugin_replay_fn)(void *ctx, const struct sample *hist, size_t n, int64_t now,
				 struct replay_row *row);

/* Read c->replay as "time,value,capacity" CSV, evaluate every row with EVAL
 * (oldest first) and write "time,state,VALUE_NAME,slope_per_s,time_left_s"
 * rows to stdout. Returns the exit code (0; dies UNKNOWN on a bad file). */
int plugin_replay(const struct plugin_common *c, const char *value_name, plugin_replay_fn eval,
		  void *ctx);

/* Open the series KEY for writing, load the window before NOW, add CURRENT
 * and return the history including CURRENT (malloc'ed, sorted) in *HIST and *N.
 * A notice (corrupt file moved aside) goes into NOTICE. Dies UNKNOWN on error. */
void plugin_history(const struct plugin_common *c, const char *dir, const char *key,
		    const struct sample *current, int64_t now, struct sample **hist, size_t *n,
		    char *notice, size_t noticelen);

#endif
