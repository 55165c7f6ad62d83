/*
 * check_disk_trend - alert on where disk usage is heading, not only where it is.
 *
 * Gather (statvfs of each filesystem, plus its history) -> evaluate (level
 * thresholds on used percent, trend engine for the time until full) ->
 * render (status line, long output, perfdata). --replay runs the same
 * evaluation over a CSV history, one output row per input row.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fsusage.h"
#include "plugin.h"
#include "units.h"

#define MAX_TARGETS 256
#define MOUNTINFO "/proc/self/mountinfo"
#define HOST_LOCAL "localhost"

enum { OPT_ALL = PLUGIN_OPT_OWN, OPT_INODES, OPT_FULL_AT };

struct disk_opts {
	struct plugin_common c;
	const char *paths[MAX_TARGETS]; /* -p, as given */
	size_t npaths;
	bool all;                        /* --all (also when no -p is given) */
	char *exclude[MAX_TARGETS];      /* -X filesystem types */
	size_t nexclude;
	bool inodes;                     /* --inodes: judge inodes as a second series */
	struct judge_levels levels;      /* -w/-c on used percent */
	double full_at;                  /* --full-at: percent, or bytes when !full_at_pct */
	bool full_at_pct;
};

/* One judged series: the space or the inodes of one filesystem. */
struct disk_result {
	char label[200];          /* "/" or "/ inodes" */
	bool inodes;
	enum state state;
	double pct;               /* used percent now */
	struct sample cur;        /* the measurement now */
	struct trend_result tr;
	char error[300];          /* non-empty: the measurement failed (UNKNOWN) */
	char notice[600];         /* a history file was set aside */
};

static const char help_text[] =
	"check_disk_trend - alert on the trend of disk usage: growth per day and the\n"
	"projected time until a filesystem is full, as well as its level.\n"
	"\n"
	"Usage: check_disk_trend [-p PATH]... [--all] [-X TYPE]... [-w RANGE] [-c RANGE]\n"
	"         [--warn-time-left DURATION] [--crit-time-left DURATION] [--full-at SIZE|PCT]\n"
	"         [--inodes] [--window DURATION] [--replay FILE] [options]\n"
	"\n"
	"Filesystems:\n"
	"  -p, --path PATH          the filesystem holding PATH (repeatable)\n"
	"      --all                every real filesystem (the default without -p): pseudo\n"
	"                           filesystems (proc, tmpfs, cgroup, squashfs...) and read-only\n"
	"                           mounts are skipped, bind mounts are counted once\n"
	"  -X, --exclude-type TYPE  with --all, skip filesystems of TYPE too (repeatable)\n"
	"      --inodes             judge inode usage too, as a second series per filesystem\n"
	"\n"
	"Thresholds (critical is judged before warning):\n"
	"  -w, --warning RANGE      level range on used percent, e.g. 80 or 80%% (alert above 80%%)\n"
	"  -c, --critical RANGE     likewise; ranges as in the Monitoring Plugins guidelines:\n"
	"                           10, 10:, ~:10, 10:20, @10:20\n"
	"      --warn-time-left D   WARNING when projected full in less than D (default 14d)\n"
	"      --crit-time-left D   CRITICAL when projected full in less than D (default 3d)\n"
	"      --full-at SIZE|PCT   the level that counts as full (default 100%%; e.g. 95%%, 900GiB)\n"
	"\n"
	"Trend:\n"
	"      --window D           history the trend is estimated over (default 7d)\n"
	"      --min-samples N      samples needed before a trend is estimated (default 6)\n"
	"      --min-span D         time those samples must cover (default 10m)\n"
	"      --estimator E        theil-sen (robust, default) or least-squares\n"
	"      --insufficient M     level: judge levels only until a trend exists (default);\n"
	"                           unknown: UNKNOWN until then\n"
	"      --horizon N          alert on a projection only up to N times the span of\n"
	"                           history it comes from (default 4; 0 = always)\n"
	"\n"
	"History:\n"
	"      --state-dir DIR      where histories are kept (default /var/lib/trendtrap when\n"
	"                           writable, else ~/.local/state/trendtrap; or $TRENDTRAP_STATE_DIR)\n"
	"      --state-key KEY      history key for a single filesystem (default disk/localhost/MOUNT)\n"
	"      --keep D             history retention (default 35d)\n"
	"      --replay FILE        evaluate a CSV history (time,used_bytes,capacity_bytes) as live\n"
	"                           runs would have, one output row per input row; writes no state\n"
	"\n"
	"General:\n"
	"  -t, --timeout D          bound the whole check (default 10s)\n"
	"      --timeout-state S    state on timeout: ok, warning, critical, unknown (default)\n"
	"  -v, --verbose            more detail in the long output (repeatable)\n"
	"  -V, --version            print the version\n"
	"  -h, --help               this help\n"
	"\n"
	"Durations: 30s 15m 6h 7d 2w, or combined such as 1d12h. Sizes: B KiB MiB GiB TiB\n"
	"(binary) and KB MB GB TB (decimal). TRENDTRAP_NOW (unix seconds) overrides the clock.\n"
	"\n"
	"Examples:\n"
	"  check_disk_trend -p /                          # trend of /, default thresholds\n"
	"  check_disk_trend -p / -p /var -w 80 -c 90 --warn-time-left 14d --crit-time-left 3d\n"
	"  check_disk_trend --all -X nfs4 --full-at 95%%\n"
	"  check_disk_trend --replay history.csv -c 95 --crit-time-left 2d\n";

static const struct option disk_options[] = {
	{"path", required_argument, NULL, 'p'},
	{"all", no_argument, NULL, OPT_ALL},
	{"exclude-type", required_argument, NULL, 'X'},
	{"inodes", no_argument, NULL, OPT_INODES},
	{"full-at", required_argument, NULL, OPT_FULL_AT},
	{NULL, 0, NULL, 0},
};

static void parse_level(struct disk_opts *o, const char *name, const char *arg, struct range *r)
{
	char err[256];

	if (range_parse(arg, RANGE_UNITS_PERCENT, r, err, sizeof(err)) != 0)
		plugin_die(&o->c, "%s '%s': %s (a range on used percent)", name, arg, err);
}

static void parse_full_at(struct disk_opts *o, const char *arg)
{
	char err[256], *end;
	size_t len = strlen(arg);

	if (len > 1 && arg[len - 1] == '%') {
		errno = 0;
		o->full_at = strtod(arg, &end);
		if (errno != 0 || end != arg + len - 1 || !(o->full_at > 0 && o->full_at <= 100))
			plugin_die(&o->c, "--full-at '%s': expected a percentage above 0 and up to 100",
				   arg);
		o->full_at_pct = true;
	} else if (units_parse_size(arg, &o->full_at, err, sizeof(err)) != 0) {
		plugin_die(&o->c, "--full-at '%s': %s", arg, err);
	} else {
		o->full_at_pct = false;
	}
}

static void add_arg(struct disk_opts *o, const char **list, size_t *n, const char *arg,
		    const char *name)
{
	if (*n == MAX_TARGETS)
		plugin_die(&o->c, "%s: at most %d may be given", name, MAX_TARGETS);
	list[(*n)++] = arg;
}

static int disk_opt(struct disk_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 'p':
		add_arg(o, o->paths, &o->npaths, arg, "-p/--path");
		return 1;
	case 'X':
		add_arg(o, (const char **)o->exclude, &o->nexclude, arg, "-X/--exclude-type");
		return 1;
	case OPT_ALL:
		o->all = true;
		return 1;
	case OPT_INODES:
		o->inodes = true;
		return 1;
	case OPT_FULL_AT:
		parse_full_at(o, arg);
		return 1;
	}
	return plugin_common_opt(&o->c, opt, arg, help_text);
}

static void bad_option(struct disk_opts *o, int opt, char **argv)
{
	const char *what = argv[optind - 1];

	if (opt == ':')
		plugin_die(&o->c, "option %s needs a value; see check_disk_trend --help", what);
	plugin_die(&o->c, "unknown option %s; see check_disk_trend --help", what);
}

static void parse_args(struct disk_opts *o, int argc, char **argv)
{
	struct option *longopts = plugin_options(disk_options);
	int opt;

	plugin_common_init(&o->c, "DISK_TREND");
	o->full_at = 100;
	o->full_at_pct = true;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":" PLUGIN_COMMON_SHORTOPTS "p:X:", longopts,
				  NULL)) != -1) {
		if (opt == '?' || opt == ':')
			bad_option(o, opt, argv);
		disk_opt(o, opt, optarg);
	}
	free(longopts);
	if (optind < argc)
		plugin_die(&o->c, "unexpected argument '%s'; see check_disk_trend --help",
			   argv[optind]);
	if (o->c.warning != NULL) {
		parse_level(o, "-w/--warning", o->c.warning, &o->levels.warn);
		o->levels.has_warn = true;
	}
	if (o->c.critical != NULL) {
		parse_level(o, "-c/--critical", o->c.critical, &o->levels.crit);
		o->levels.has_crit = true;
	}
	if (o->npaths == 0)
		o->all = true;
	if (o->c.state_key != NULL && (o->all || o->npaths > 1))
		plugin_die(&o->c, "--state-key names one history: use it with a single -p");
}

/* The level at which the series counts as full. */
static double full_limit(const struct disk_opts *o, const struct sample *cur, bool inodes)
{
	if (o->full_at_pct)
		return o->full_at / 100.0 * cur->capacity;
	return inodes ? cur->capacity : o->full_at;
}

/* Evaluate one series: the history HIST[0..N) (including CUR) at NOW. */
static void disk_evaluate(const struct disk_opts *o, const struct sample *hist, size_t n,
			  const struct sample *cur, int64_t now, struct disk_result *r)
{
	struct trend_params p = o->c.trend;
	char err[256];

	r->cur = *cur;
	r->pct = cur->capacity > 0 ? 100.0 * cur->value / cur->capacity : 0;
	p.direction = 1;
	p.limit = full_limit(o, cur, r->inodes);
	if (trend_evaluate(hist, n, now, &p, &r->tr, err, sizeof(err)) != 0)
		plugin_die(&o->c, "trend: %s", err);
	r->state = state_worst(judge_level(&o->levels, r->pct), judge_trend(&o->c.time_left, &r->tr));
	if (r->tr.status == TREND_COLLECTING && o->c.insufficient_unknown)
		r->state = state_worst(r->state, STATE_UNKNOWN);
}

static void replay_eval(void *ctx, const struct sample *hist, size_t n, int64_t now,
			struct replay_row *row)
{
	struct disk_result r;

	memset(&r, 0, sizeof(r));
	disk_evaluate(ctx, hist, n, &hist[n - 1], now, &r);
	row->state = r.state;
	row->value = r.cur.value;
	row->slope = r.tr.status == TREND_ESTIMATED ? r.tr.slope : NAN;
	row->time_left = r.tr.time_left;
}

/* ---- gather ---------------------------------------------------------- */

struct target {
	const struct fs_mount *m;
};

static bool already(const struct target *t, size_t n, const struct fs_mount *m)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].m == m || t[i].m->dev == m->dev)
			return true;
	return false;
}

static bool wanted_by_all(const struct disk_opts *o, const struct fs_mount *m)
{
	return !fsusage_is_pseudo(m->type) && !m->readonly &&
	       !fsusage_type_in(m->type, o->exclude, o->nexclude);
}

static size_t pick_targets(const struct disk_opts *o, const struct fs_table *mt, struct target *t)
{
	size_t n = 0;
	char err[512];

	for (size_t i = 0; i < o->npaths; i++) {
		long idx = fsusage_find(mt, o->paths[i], err, sizeof(err));

		if (idx < 0)
			plugin_die(&o->c, "-p %s", err);
		if (!already(t, n, &mt->m[idx]))
			t[n++].m = &mt->m[idx];
	}
	for (size_t i = 0; o->all && i < mt->n && n < MAX_TARGETS; i++)
		if (wanted_by_all(o, &mt->m[i]) && !already(t, n, &mt->m[i]))
			t[n++].m = &mt->m[i];
	return n;
}

static void series_key(const struct disk_opts *o, const struct fs_mount *m, bool inodes,
		       char *key, size_t len)
{
	if (o->c.state_key != NULL)
		snprintf(key, len, "%s%s", o->c.state_key, inodes ? "/inodes" : "");
	else
		snprintf(key, len, "%s/%s%s", inodes ? "inodes" : "disk", HOST_LOCAL, m->dir);
}

/* Gather one series of one filesystem, with its history, and evaluate it. */
static void check_series(const struct disk_opts *o, const char *dir, const struct fs_mount *m,
			 const struct fs_usage *u, int64_t now, bool inodes, struct disk_result *r)
{
	struct sample cur = {now, inodes ? u->inodes_used : u->used,
			     inodes ? u->inodes_total : u->capacity};
	struct sample *hist;
	size_t n;
	char key[600];

	snprintf(r->label, sizeof(r->label), "%s%s", m->dir, inodes ? " inodes" : "");
	r->inodes = inodes;
	series_key(o, m, inodes, key, sizeof(key));
	plugin_history(&o->c, dir, key, &cur, now, &hist, &n, r->notice, sizeof(r->notice));
	disk_evaluate(o, hist, n, &cur, now, r);
	free(hist);
}

static size_t check_target(const struct disk_opts *o, const char *dir, const struct fs_mount *m,
			   int64_t now, struct disk_result *r)
{
	struct fs_usage u;

	plugin_doing("reading the usage of %s", m->dir);
	memset(r, 0, sizeof(*r) * 2);
	if (fsusage_stat(m->dir, m->type, &u, r->error, sizeof(r->error)) != 0) {
		snprintf(r->label, sizeof(r->label), "%s", m->dir);
		r->state = STATE_UNKNOWN;
		return 1;
	}
	check_series(o, dir, m, &u, now, false, &r[0]);
	if (!o->inodes || u.inodes_total <= 0)
		return 1;
	check_series(o, dir, m, &u, now, true, &r[1]);
	return 2;
}

/* ---- render ---------------------------------------------------------- */

static void format_growth(const struct disk_result *r, char *buf, size_t len)
{
	double per_day = r->tr.slope * 86400;
	char size[64];

	if (r->inodes) {
		snprintf(buf, len, "%+.0f inodes/day", per_day);
		return;
	}
	units_format_size(fabs(per_day), size, sizeof(size));
	snprintf(buf, len, "%s%s/day", per_day < 0 ? "-" : "+", size);
}

static void format_full(const struct disk_opts *o, const struct disk_result *r, char *buf,
			size_t len)
{
	char when[64];

	units_format_duration(r->tr.time_left, when, sizeof(when));
	if (o->full_at_pct && o->full_at >= 100)
		snprintf(buf, len, "full in %s", when);
	else if (o->full_at_pct)
		snprintf(buf, len, "reaches %g%% in %s", o->full_at, when);
	else
		snprintf(buf, len, "reaches the --full-at level in %s", when);
}

/* The one-line description of a result, as in the status line. */
static void describe(const struct disk_opts *o, const struct disk_result *r, char *buf, size_t len)
{
	const struct trend_result *t = &r->tr;
	char growth[64], full[128], span[64];

	if (r->error[0] != '\0') {
		snprintf(buf, len, "%s", r->error);
		return;
	}
	if (t->status == TREND_COLLECTING) {
		if (t->samples < t->samples_needed)
			snprintf(buf, len, "%s %.0f%% used, collecting history (%zu of %zu samples)",
				 r->label, r->pct, t->samples, t->samples_needed);
		else
			snprintf(buf, len, "%s %.0f%% used, collecting history (%zu samples over %.0fs, need %.0fs)",
				 r->label, r->pct, t->samples, t->span, t->span_needed);
		return;
	}
	format_growth(r, growth, sizeof(growth));
	if (t->exhausted) {
		snprintf(buf, len, "%s is full, %s (%.0f%% used)", r->label, growth, r->pct);
	} else if (!isnan(t->time_left) && t->trusted) {
		format_full(o, r, full, sizeof(full));
		snprintf(buf, len, "%s %s, %s (%.0f%% used)", r->label, full, growth, r->pct);
	} else if (!isnan(t->time_left)) {
		format_full(o, r, full, sizeof(full));
		units_format_duration(t->span, span, sizeof(span));
		snprintf(buf, len, "%s %s, %s (%.0f%% used; a trend over %s is too short to alert on)",
			 r->label, full, growth, r->pct, span);
	} else {
		snprintf(buf, len, "%s %.0f%% used, not growing (%s)", r->label, r->pct, growth);
	}
}

static const char *segment_name(enum trend_segment s)
{
	static const char *const names[] = {"whole window", "since a resize", "since a level shift",
					    "periodic resets, judged on their peaks",
					    "since the last reset (resets stopped)"};
	return names[s];
}

/* The -v detail line: levels, slope range, time-left range, segment. */
static void detail(const struct disk_result *r, char *buf, size_t len)
{
	const struct trend_result *t = &r->tr;
	char used[64], cap[64], lo[64], hi[64];

	units_format_size(r->cur.value, used, sizeof(used));
	units_format_size(r->cur.capacity, cap, sizeof(cap));
	if (r->inodes) {
		snprintf(used, sizeof(used), "%.0f", r->cur.value);
		snprintf(cap, sizeof(cap), "%.0f", r->cur.capacity);
	}
	if (t->status != TREND_ESTIMATED) {
		snprintf(buf, len, "%s: %s of %s used", r->label, used, cap);
		return;
	}
	units_format_duration(t->time_left_lo, lo, sizeof(lo));
	units_format_duration(t->time_left_hi, hi, sizeof(hi));
	snprintf(buf, len,
		 "%s: %s of %s used; slope %.6g/s (95%% range %.6g..%.6g); time left %s..%s; "
		 "%zu samples, %s",
		 r->label, used, cap, t->slope, t->slope_lo, t->slope_hi, lo, hi, t->samples,
		 segment_name(t->segment));
}

static void add_perf(struct output *out, const struct disk_opts *o, const struct disk_result *r)
{
	struct perf *p;
	char label[OUTPUT_LABEL_MAX];
	double scale = r->cur.capacity / 100.0;

	if (r->error[0] != '\0')
		return;
	p = output_perf(out, r->label, r->cur.value, r->inodes ? "" : "B");
	if (p != NULL) {
		if (o->levels.has_warn)
			range_format(&o->levels.warn, scale, p->warn, sizeof(p->warn));
		if (o->levels.has_crit)
			range_format(&o->levels.crit, scale, p->crit, sizeof(p->crit));
		p->min = 0;
		p->max = r->cur.capacity;
	}
	snprintf(label, sizeof(label), "%s growth_per_day", r->label);
	output_perf(out, label, r->tr.status == TREND_ESTIMATED ? r->tr.slope * 86400 : NAN,
		    r->inodes ? "" : "B");
	snprintf(label, sizeof(label), "%s time_left", r->label);
	p = output_perf(out, label, r->tr.time_left, "s");
	if (p != NULL) {
		judge_time_left_range(o->c.time_left.warn, p->warn, sizeof(p->warn));
		judge_time_left_range(o->c.time_left.crit, p->crit, sizeof(p->crit));
	}
}

/* True when A is a worse result than B: state, then less time left, then fuller. */
static bool worse(const struct disk_result *a, const struct disk_result *b)
{
	double ta = isnan(a->tr.time_left) ? INFINITY : a->tr.time_left;
	double tb = isnan(b->tr.time_left) ? INFINITY : b->tr.time_left;

	if (a->state != b->state)
		return state_worst(a->state, b->state) == a->state;
	if (ta != tb)
		return ta < tb;
	return a->pct > b->pct;
}

static void render(const struct disk_opts *o, const struct disk_result *r, size_t n)
{
	static struct output out;
	size_t worst = 0;
	char text[OUTPUT_TEXT_MAX];

	out.service = o->c.service;
	for (size_t i = 1; i < n; i++)
		if (worse(&r[i], &r[worst]))
			worst = i;
	out.state = r[worst].state;
	describe(o, &r[worst], text, sizeof(text));
	output_summary(&out, "%s", text);
	for (size_t i = 0; i < n; i++) {
		if (r[i].notice[0] != '\0')
			output_line(&out, "%s", r[i].notice);
		if (i != worst || o->c.verbose > 0) {
			if (o->c.verbose > 0)
				detail(&r[i], text, sizeof(text));
			else
				describe(o, &r[i], text, sizeof(text));
			output_line(&out, "%s", text);
		}
		add_perf(&out, o, &r[i]);
	}
	output_render(&out, stdout);
	exit(out.state);
}

static void run_live(const struct disk_opts *o)
{
	static struct disk_result results[2 * MAX_TARGETS];
	struct target targets[MAX_TARGETS];
	struct fs_table mt;
	char dir[4096], err[512];
	int64_t now;
	size_t nt, nr = 0;

	plugin_timeout_arm(&o->c);
	if (clock_now(&now, err, sizeof(err)) != 0)
		plugin_die(&o->c, "%s", err);
	plugin_doing("preparing the state directory");
	if (series_state_dir(o->c.state_dir, dir, sizeof(dir), err, sizeof(err)) != 0)
		plugin_die(&o->c, "state directory: %s", err);
	plugin_doing("reading the mount table");
	if (fsusage_read_mounts(MOUNTINFO, &mt, err, sizeof(err)) != 0)
		plugin_die(&o->c, "%s", err);
	nt = pick_targets(o, &mt, targets);
	if (nt == 0)
		plugin_die(&o->c, "no filesystem to check (--all found none that is not excluded)");
	for (size_t i = 0; i < nt; i++)
		nr += check_target(o, dir, targets[i].m, now, &results[nr]);
	render(o, results, nr);
}

int main(int argc, char **argv)
{
	static struct disk_opts o;

	parse_args(&o, argc, argv);
	if (o.c.replay != NULL)
		return plugin_replay(&o.c, "used", replay_eval, &o);
	run_live(&o);
	return STATE_UNKNOWN;
}
