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

#include "fsusage.h"
#include "plugin.h"
#include "remote.h"
#include "remote_opts.h"
#include "units.h"

#define MAX_TARGETS 256
#define MOUNTINFO   "/proc/self/mountinfo"
#define HOST_LOCAL  "localhost"

enum { OPT_ALL = PLUGIN_OPT_OWN, OPT_INODES, OPT_FULL_AT };

struct disk_opts {
	struct plugin_common c;
	const char *paths[MAX_TARGETS]; /* -p, as given */
	size_t npaths;
	bool all;                   /* --all (also when no -p is given) */
	char *exclude[MAX_TARGETS]; /* -X filesystem types */
	size_t nexclude;
	bool inodes;                /* --inodes: judge inodes as a second series */
	struct judge_levels levels; /* -w/-c on used percent */
	double full_at;             /* --full-at: percent, or bytes when !full_at_pct */
	bool full_at_pct;
	struct remote_opts remote; /* -H and the SNMP options: the agent's disks */
};

/* plugin_item.kind: which series of a filesystem an item is. */
enum { KIND_SPACE, KIND_INODES };

static const char help_text[] =
        "check_disk_trend - alert on the trend of disk usage: growth per day and the\n"
        "projected time until a filesystem is full, as well as its level.\n"
        "\n"
        "Usage: check_disk_trend [-H HOST[:PORT] [SNMP options]] [-p PATH]... [--all]\n"
        "         [-X TYPE]... [-w RANGE] [-c RANGE]\n"
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
        "  -w, --warning RANGE      level range on used percent, e.g. 80 or 80% (alert above 80%)\n"
        "  -c, --critical RANGE     likewise; ranges as in the Monitoring Plugins guidelines:\n"
        "                           10, 10:, ~:10, 10:20, @10:20\n"
        "      --warn-time-left D   WARNING when projected full in less than D (default 14d)\n"
        "      --crit-time-left D   CRITICAL when projected full in less than D (default 3d)\n"
        "      --full-at SIZE|PCT   the level that counts as full (default 100%; e.g. 95%, "
        "900GiB)\n"
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
        "\n" REMOTE_HELP_HEAD REMOTE_HELP_PRIV_LONG REMOTE_HELP_TAIL
        "  With -H, -p names the agent's filesystems (\"/\", \"/var\", or \"C:\" on Windows)\n"
        "  and --all (the default) takes every disk it lists.\n"
        "\n"
        "History:\n"
        "      --state-dir DIR      where histories are kept (default /var/lib/trendtrap when\n"
        "                           writable, else ~/.local/state/trendtrap; or "
        "$TRENDTRAP_STATE_DIR)\n"
        "      --state-key KEY      history key for a single filesystem (default "
        "disk/localhost/MOUNT)\n"
        "      --keep D             history retention (default 35d)\n"
        "      --replay FILE        evaluate a CSV history (time,used_bytes,capacity_bytes) as "
        "live\n"
        "                           runs would have, one output row per input row; writes no "
        "state\n"
        "\n" PLUGIN_HELP_GENERAL "\n"
        "Examples:\n"
        "  check_disk_trend -p /                          # trend of /, default thresholds\n"
        "  check_disk_trend -p / -p /var -w 80 -c 90 --warn-time-left 14d --crit-time-left 3d\n"
        "  check_disk_trend --all -X nfs4 --full-at 95%\n"
        "  check_disk_trend --replay history.csv -c 95 --crit-time-left 2d\n"
        "  TRENDTRAP_SNMP_COMMUNITY=public check_disk_trend -H web01 -p / -p /var\n";

static const struct option disk_options[] = {
        {"path", required_argument, NULL, 'p'},
        {"all", no_argument, NULL, OPT_ALL},
        {"exclude-type", required_argument, NULL, 'X'},
        {"inodes", no_argument, NULL, OPT_INODES},
        {"full-at", required_argument, NULL, OPT_FULL_AT},
        {NULL, 0, NULL, 0},
};

static void parse_full_at(struct disk_opts *o, const char *arg)
{
	char err[256], *end;
	size_t len = strlen(arg);

	if (len > 1 && arg[len - 1] == '%') {
		errno = 0;
		o->full_at = strtod(arg, &end);
		if (errno != 0 || end != arg + len - 1 || !(o->full_at > 0 && o->full_at <= 100))
			plugin_die(&o->c,
			           "--full-at '%s': expected a percentage above 0 and up to 100",
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

/* check_disk_trend's own options; 0 for the common ones. */
static int disk_opt(void *ctx, int opt, const char *arg)
{
	struct disk_opts *o = ctx;

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
	return remote_opt(&o->remote, &o->c, opt, arg);
}

/* -H reads what the agent lists: no mount options, types or inodes. */
static void check_remote_args(const struct disk_opts *o)
{
	if (!remote_opts_active(&o->remote))
		return;
	if (o->nexclude > 0)
		plugin_die(&o->c, "-X/--exclude-type: filesystem types are not known over SNMP; "
		                  "name the filesystems with -p");
	if (o->inodes)
		plugin_die(&o->c, "--inodes: inode counts are not available over SNMP");
}

static void parse_args(struct disk_opts *o, int argc, char **argv)
{
	/* -X is --exclude-type here, as in check_disk: the privacy passphrase
	 * is --privpasswd, its file or the environment. */
	struct option *own = remote_options_merge(disk_options);

	plugin_common_init(&o->c, "DISK_TREND");
	o->full_at = 100;
	o->full_at_pct = true;
	remote_opts_init(&o->remote);
	plugin_parse(&o->c, argc, argv, own, "p:X:H:P:C:U:L:a:A:x:", disk_opt, o, help_text);
	free(own);
	remote_opts_finish(&o->remote, &o->c);
	check_remote_args(o);
	plugin_levels(&o->c, RANGE_UNITS_PERCENT, "a range on used percent", &o->levels);
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
                          const struct sample *cur, int64_t now, struct plugin_item *it)
{
	plugin_evaluate(&o->c, hist, n, cur, now, 1, full_limit(o, cur, it->kind == KIND_INODES),
	                it);
	plugin_judge(&o->c, judge_level(&o->levels, it->pct), it);
}

static void replay_eval(void *ctx, const struct sample *hist, size_t n, int64_t now,
                        struct replay_row *row)
{
	struct plugin_item it;

	memset(&it, 0, sizeof(it));
	disk_evaluate(ctx, hist, n, &hist[n - 1], now, &it);
	plugin_replay_row(&it, row);
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
	/* A filesystem's own mount first, so that its bind mounts elsewhere
	 * (same device) do not stand for it. */
	for (int binds = 0; o->all && binds <= 1; binds++)
		for (size_t i = 0; i < mt->n && n < MAX_TARGETS; i++)
			if (mt->m[i].bind == binds && wanted_by_all(o, &mt->m[i]) &&
			    !already(t, n, &mt->m[i]))
				t[n++].m = &mt->m[i];
	return n;
}

/* The series key: what is measured and where ("disk/localhost/var",
 * "disk/web01/C:\\ Label:OS"), so local and remote histories never mix. */
static void series_key(const struct disk_opts *o, const char *host, const char *mount, bool inodes,
                       char *key, size_t len)
{
	if (o->c.state_key != NULL)
		snprintf(key, len, "%s%s", o->c.state_key, inodes ? "/inodes" : "");
	else
		snprintf(key, len, "%s/%s%s%s", inodes ? "inodes" : "disk", host,
		         mount[0] == '/' ? "" : "/", mount);
}

/* Add the measurement CUR of one series of MOUNT on HOST to its history and
 * evaluate it. */
static void check_series(const struct disk_opts *o, const char *dir, const char *host,
                         const char *mount, const struct sample *cur, bool inodes,
                         struct plugin_item *r)
{
	struct sample *hist;
	size_t n;
	char key[600];

	snprintf(r->label, sizeof(r->label), "%s%s", mount, inodes ? " inodes" : "");
	r->kind = inodes ? KIND_INODES : KIND_SPACE;
	series_key(o, host, mount, inodes, key, sizeof(key));
	plugin_history(&o->c, dir, key, cur, cur->t, &hist, &n, r->notice, sizeof(r->notice));
	disk_evaluate(o, hist, n, cur, cur->t, r);
	free(hist);
}

static size_t check_target(const struct disk_opts *o, const char *dir, const struct fs_mount *m,
                           int64_t now, struct plugin_item *r)
{
	struct fs_usage u;

	plugin_doing("reading the usage of %s", m->dir);
	memset(r, 0, sizeof(*r) * 2);
	if (fsusage_stat(m->dir, m->type, &u, r->error, sizeof(r->error)) != 0) {
		snprintf(r->label, sizeof(r->label), "%s", m->dir);
		r->state = STATE_UNKNOWN;
		return 1;
	}
	struct sample space = {now, u.used, u.capacity},
	              inodes = {now, u.inodes_used, u.inodes_total};

	check_series(o, dir, HOST_LOCAL, m->dir, &space, false, &r[0]);
	if (!o->inodes || u.inodes_total <= 0)
		return 1;
	check_series(o, dir, HOST_LOCAL, m->dir, &inodes, true, &r[1]);
	return 2;
}

/* ---- render ---------------------------------------------------------- */

static void format_growth(const struct plugin_item *r, char *buf, size_t len)
{
	double per_day = r->tr.slope * 86400;
	char size[64];

	if (r->kind == KIND_INODES) {
		snprintf(buf, len, "%+.0f inodes/day", per_day);
		return;
	}
	units_format_size(fabs(per_day), size, sizeof(size));
	snprintf(buf, len, "%s%s/day", per_day < 0 ? "-" : "+", size);
}

static void format_full(const struct disk_opts *o, const struct plugin_item *r, char *buf,
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
static void describe(const void *ctx, const struct plugin_item *r, char *buf, size_t len)
{
	const struct disk_opts *o = ctx;
	const struct trend_result *t = &r->tr;
	char growth[64], full[128], span[64], collecting[128];

	if (r->error[0] != '\0') {
		snprintf(buf, len, "%s", r->error);
		return;
	}
	if (t->status == TREND_COLLECTING) {
		plugin_collecting(t, collecting, sizeof(collecting));
		snprintf(buf, len, "%s %.0f%% used, %s", r->label, r->pct, collecting);
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
		snprintf(buf, len,
		         "%s %s, %s (%.0f%% used; a trend over %s is too short to alert on)",
		         r->label, full, growth, r->pct, span);
	} else {
		snprintf(buf, len, "%s %.0f%% used, not growing (%s)", r->label, r->pct, growth);
	}
}

/* The -v detail line: levels, slope range, time-left range, segment. */
static void detail(const void *ctx, const struct plugin_item *r, char *buf, size_t len)
{
	const struct trend_result *t = &r->tr;
	char used[64], cap[64], lo[64], hi[64];

	if (r->error[0] != '\0') {
		describe(ctx, r, buf, len);
		return;
	}
	units_format_size(r->cur.value, used, sizeof(used));
	units_format_size(r->cur.capacity, cap, sizeof(cap));
	if (r->kind == KIND_INODES) {
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
	         plugin_segment_name(t->segment, 1));
}

static void add_perf(const void *ctx, const struct plugin_item *r, struct output *out)
{
	const struct disk_opts *o = ctx;
	const char *uom = r->kind == KIND_INODES ? "" : "B";
	double scale = r->cur.capacity / 100.0;
	char label[OUTPUT_LABEL_MAX];
	struct perf *p = output_perf(out, r->label, r->cur.value, uom);

	if (p != NULL) {
		if (o->levels.has_warn)
			range_format(&o->levels.warn, scale, p->warn, sizeof(p->warn));
		if (o->levels.has_crit)
			range_format(&o->levels.crit, scale, p->crit, sizeof(p->crit));
		p->min = 0;
		p->max = r->cur.capacity;
	}
	snprintf(label, sizeof(label), "%s growth_per_day", r->label);
	output_perf(out, label, r->tr.status == TREND_ESTIMATED ? r->tr.slope * 86400 : NAN, uom);
	snprintf(label, sizeof(label), "%s time_left", r->label);
	plugin_perf_time_left(out, &o->c, label, &r->tr);
}

/* Gather and evaluate this machine's filesystems into R; returns how many items. */
static size_t run_local(const struct disk_opts *o, const char *dir, int64_t now,
                        struct plugin_item *r)
{
	struct target targets[MAX_TARGETS];
	struct fs_table mt;
	char err[512];
	size_t nt, nr = 0;

	plugin_doing("reading the mount table");
	if (fsusage_read_mounts(MOUNTINFO, &mt, err, sizeof(err)) != 0)
		plugin_die(&o->c, "%s", err);
	nt = pick_targets(o, &mt, targets);
	if (nt == 0)
		plugin_die(&o->c, "no filesystem to check (--all found none that is not excluded)");
	for (size_t i = 0; i < nt; i++)
		nr += check_target(o, dir, targets[i].m, now, &r[nr]);
	fsusage_free_mounts(&mt);
	return nr;
}

static const char *const cache_names[] = {"no index cache", "index cache hit",
                                          "index cache miss: walked", "index cache stale: walked"};

/* Gather and evaluate the filesystems of the agent -H names into R (and
 * notes into OUT); returns how many items. Exits on an agent failure. */
static size_t run_remote(const struct disk_opts *o, const char *dir, int64_t now,
                         struct plugin_item *r, struct output *out)
{
	struct agent *a = remote_connect(&o->remote, &o->c);
	struct remote_disks_info info;
	struct remote_disk *d;
	size_t n;
	char err[512];

	plugin_doing("reading filesystems from %s", o->remote.host);
	if (remote_disks(a, o->remote.mib, dir, o->paths, o->npaths, &d, &n, &info, err,
	                 sizeof(err)) != 0)
		remote_fail(&o->c, a, agent_last_error(a), err);
	if (o->c.verbose > 0)
		output_line(out, "source: SNMP %s, %s, %s", agent_peer(a),
		            info.mib_used == REMOTE_MIB_UCD ? "UCD-SNMP-MIB dskTable"
		                                            : "HOST-RESOURCES-MIB hrStorageTable",
		            cache_names[info.cache]);
	agent_close(a);
	if (info.note[0] != '\0')
		output_line(out, "%s", info.note);
	if (n == 0)
		plugin_die(&o->c, "the agent at %s lists no filesystem", o->remote.host);
	if (n > MAX_TARGETS)
		n = MAX_TARGETS;
	for (size_t i = 0; i < n; i++) {
		struct sample cur = {now, d[i].used, d[i].capacity};

		check_series(o, dir, o->remote.host, d[i].descr, &cur, false, &r[i]);
	}
	free(d);
	return n;
}

static void run_live(const struct disk_opts *o)
{
	static struct plugin_item results[2 * MAX_TARGETS];
	static struct output out;
	const struct plugin_view view = {o, 1, describe, detail, add_perf};
	char dir[4096];
	int64_t now;
	size_t nr;

	now = plugin_start(&o->c);
	plugin_state_dir(&o->c, dir, sizeof(dir));
	if (remote_opts_active(&o->remote))
		nr = run_remote(o, dir, now, results, &out);
	else
		nr = run_local(o, dir, now, results);
	plugin_render(&o->c, &out, results, nr, &view);
}

int main(int argc, char **argv)
{
	static struct disk_opts o;

	parse_args(&o, argc, argv);
	if (o.c.replay != NULL)
		return plugin_replay(&o.c, "used", REPLAY_VALUE_CAPACITY, replay_eval, &o);
	run_live(&o);
	return STATE_UNKNOWN;
}
