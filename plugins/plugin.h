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

/* The end of every plugin's --help: the common options and the units. */
#define PLUGIN_HELP_GENERAL                                                                        \
	"General:\n"                                                                               \
	"  -t, --timeout D          bound the whole check (default 10s)\n"                         \
	"      --timeout-state S    state on timeout: ok, warning, critical, unknown (default)\n"  \
	"  -v, --verbose            more detail in the long output (repeatable)\n"                 \
	"  -V, --version            print the version\n"                                           \
	"  -h, --help               this help\n"                                                   \
	"\n"                                                                                       \
	"Durations: 30s 15m 6h 7d 2w, or combined such as 1d12h. Sizes: B KiB MiB GiB TiB\n"       \
	"(binary) and KB MB GB TB (decimal). TRENDTRAP_NOW (unix seconds) overrides the clock.\n"

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
	const char *service;              /* "DISK_TREND": the status line prefix */
	const char *warning;              /* -w text, NULL when not given */
	const char *critical;             /* -c text */
	double timeout;                   /* seconds, -t */
	enum state timeout_state;         /* --timeout-state */
	int verbose;                      /* -v count */
	const char *state_dir;            /* --state-dir, NULL = default */
	const char *state_key;            /* --state-key, NULL = derived */
	const char *replay;               /* --replay FILE, NULL = live */
	bool insufficient_unknown;        /* --insufficient=unknown */
	struct trend_params trend;        /* --window, --min-samples, --min-span, --estimator,
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

/* Print "SERVICE STATE - message" and exit with STATE (a timeout's state, say). */
void plugin_exit(const struct plugin_common *c, enum state state, const char *fmt, ...)
        __attribute__((format(printf, 3, 4), noreturn));

/* Print "SERVICE UNKNOWN - message" and exit 3. */
void plugin_die(const struct plugin_common *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3), noreturn));

/* Read a secret (a community, a password, an API key) from the first line of
 * the file PATH, given with OPTION, into BUF; dies UNKNOWN when the file is
 * missing, not a regular file, readable or writable by group or others, or
 * its first line is empty or longer than LEN - 2. */
void plugin_read_secret(const struct plugin_common *c, const char *option, const char *path,
                        char *buf, size_t len);

/* Parse a duration option value or die naming OPTION. */
double plugin_duration(const struct plugin_common *c, const char *option, const char *arg);

/* Arm the whole-check timeout (c->timeout seconds). */
void plugin_timeout_arm(const struct plugin_common *c);

/* Start a live run: arm the timeout and return now ($TRENDTRAP_NOW or the
 * clock). Dies UNKNOWN on a bad TRENDTRAP_NOW. */
int64_t plugin_start(const struct plugin_common *c);

/* The history directory (see series_state_dir) into DIR; dies UNKNOWN. */
void plugin_state_dir(const struct plugin_common *c, char *dir, size_t len);

/* Parse -w and -c (c->warning, c->critical, when given) into L as ranges
 * whose ends may carry UNITS; a bad one dies UNKNOWN naming the option, the
 * reason and HINT ("a range on used percent"). */
void plugin_levels(const struct plugin_common *c, unsigned units, const char *hint,
                   struct judge_levels *l);

/* Say what the plugin is doing now, for the timeout message ("reading /"). The
 * text is copied. */
void plugin_doing(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse argv with getopt_long: the plugin's OWN long options (zero-terminated)
 * merged with the common ones, the plugin's short options OWN_SHORT added to the
 * common ones. Each option goes to FN(CTX, opt, arg) first; when FN returns 0
 * it is handled as a common option (HELP printed for -h). Unknown options,
 * missing values and stray arguments die UNKNOWN naming them. */
typedef int (*plugin_opt_fn)(void *ctx, int opt, const char *arg);
void plugin_parse(struct plugin_common *c, int argc, char **argv, const struct option *own,
                  const char *own_short, plugin_opt_fn fn, void *ctx, const char *help);

/* One judged series of a run: a filesystem's space or inodes, memory, swap. */
struct plugin_item {
	char label[200]; /* "/", "/ inodes", "available", "swap" */
	int kind;        /* the plugin's own tag (inodes, swap) */
	bool skip;       /* nothing to judge (a host without swap): OK, and
	                    never the worst */
	enum state state;
	double pct;        /* the value in percent of its capacity */
	struct sample cur; /* the measurement now */
	struct trend_result tr;
	char error[300];  /* non-empty: the measurement failed (UNKNOWN) */
	char notice[600]; /* non-empty: a history file was set aside */
};

/* Evaluate the trend of HIST[0..N) (which includes CUR) at NOW for IT, toward
 * LIMIT in DIRECTION (+1 rising, -1 falling); sets cur, pct and tr. Dies
 * UNKNOWN on invalid trend options. */
void plugin_evaluate(const struct plugin_common *c, const struct sample *hist, size_t n,
                     const struct sample *cur, int64_t now, int direction, double limit,
                     struct plugin_item *it);

/* Set IT's state: the worse of LEVEL (the plugin's level thresholds) and the
 * time-left thresholds, and UNKNOWN while collecting with --insufficient=unknown. */
void plugin_judge(const struct plugin_common *c, enum state level, struct plugin_item *it);

/* The replay row of an evaluated item. */
struct replay_row;
void plugin_replay_row(const struct plugin_item *it, struct replay_row *row);

/* "collecting history (3 of 6 samples)", or "collecting history (40 samples
 * over 3h 20m, need 2d)" once the samples are there but not the span. */
void plugin_collecting(const struct trend_result *t, char *buf, size_t len);

/* Which part of the history a trend was estimated on, for -v. DIRECTION says
 * whether a sawtooth is judged on its peaks (+1) or troughs (-1). */
const char *plugin_segment_name(enum trend_segment s, int direction);

/* Add the time-left perfdata item LABEL of T, with the time-left thresholds. */
void plugin_perf_time_left(struct output *out, const struct plugin_common *c, const char *label,
                           const struct trend_result *t);

/* How a plugin shows its items. */
struct plugin_view {
	const void *ctx; /* passed to the callbacks: the plugin's options */
	int worse_pct;   /* +1: a higher percent is worse (disk used); -1: lower
	                    (memory available) */
	void (*describe)(const void *ctx, const struct plugin_item *it, char *buf, size_t len);
	void (*detail)(const void *ctx, const struct plugin_item *it, char *buf, size_t len);
	void (*perf)(const void *ctx, const struct plugin_item *it, struct output *out);
};

/* Render the run and exit with its state: the worst item (state, then less
 * time left, then percent) in the status line, the others in the long output
 * (all of them, in detail, with -v), notices, and every item's perfdata. OUT
 * may already hold long-output lines of the plugin's own. */
void plugin_render(const struct plugin_common *c, struct output *out,
                   const struct plugin_item *items, size_t n, const struct plugin_view *v)
        __attribute__((noreturn));

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

/* The order of the two number columns of a replay CSV. */
enum replay_columns {
	REPLAY_VALUE_CAPACITY, /* time,used,capacity: disks, memory */
	REPLAY_CAPACITY_VALUE, /* time,requests,errors: error rates */
};

/* Read c->replay as CSV with the columns COLS, evaluate every row with EVAL
 * (oldest first) and write "time,state,VALUE_NAME,slope_per_s,time_left_s"
 * rows to stdout. Returns the exit code (0; dies UNKNOWN on a bad file). */
int plugin_replay(const struct plugin_common *c, const char *value_name, enum replay_columns cols,
                  plugin_replay_fn eval, void *ctx);

/* Open the series KEY for writing, load the window before NOW, add CURRENT
 * and return the history including CURRENT (malloc'ed, sorted) in *HIST and *N.
 * A notice (corrupt file moved aside) goes into NOTICE. Dies UNKNOWN on error. */
void plugin_history(const struct plugin_common *c, const char *dir, const char *key,
                    const struct sample *current, int64_t now, struct sample **hist, size_t *n,
                    char *notice, size_t noticelen);

#endif
