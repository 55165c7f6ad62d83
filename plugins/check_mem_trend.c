/*
 * check_mem_trend - alert on where available memory is heading, not only
 * where it is.
 *
 * Gather (MemAvailable and swap, plus their histories) -> evaluate (level
 * thresholds on available bytes or percent of total, trend engine for the
 * time until available memory falls to --exhaust-at) -> render (status line,
 * long output, perfdata). --replay runs the same evaluation over a CSV
 * history, one output row per input row.
 *
 * Gathering is one function per source filling a struct mem_reading:
 * gather_local() reads a procfs; a remote source (SNMP, -H) goes beside it,
 * with its options in their own table section and their own handler.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meminfo.h"
#include "plugin.h"
#include "remote.h"
#include "remote_opts.h"
#include "units.h"

#define HOST_LOCAL     "localhost"
#define PROCFS_DEFAULT "/proc"

/* Memory defaults differ from disks': a host's memory follows a daily cycle,
 * whose falling half looks like a leak, so a trend needs two whole days
 * before it is estimated; exhaustion comes sooner, so the time-left
 * thresholds are shorter. */
#define MEM_WINDOW         (7 * 86400.0)
#define MEM_MIN_SPAN       (2 * 86400.0)
#define MEM_WARN_TIME_LEFT (3 * 86400.0)
#define MEM_CRIT_TIME_LEFT (1 * 86400.0)

enum { OPT_SWAP = PLUGIN_OPT_OWN, OPT_EXHAUST_AT, OPT_PROCFS };

/* What one gather measures, in bytes. */
struct mem_reading {
	double total;      /* physical memory */
	double available;  /* available for new work without swapping */
	double swap_total; /* 0: the host has no swap */
	double swap_free;
	bool estimated;   /* available is an estimate (the kernel has no MemAvailable) */
	char source[320]; /* where it was read, for -v: "/proc/meminfo", "SNMP ..." */
	char note[200];   /* how, when not the plain way ("memSysAvail absent: ..."); "" */
};

struct mem_opts {
	struct plugin_common c;
	const char *procfs; /* --procfs DIR: local readings come from DIR/meminfo */
	bool procfs_given;
	struct remote_opts remote;  /* -H and the SNMP options: a remote reading */
	bool swap;                  /* --swap: judge free swap as a second series */
	struct judge_levels levels; /* -w/-c; each range is in bytes or in percent of the
	                               total, as its .unit says */
	double exhaust_at;          /* --exhaust-at: bytes, or percent when exhaust_at_pct */
	bool exhaust_at_pct;
};

/* plugin_item.kind: which series an item is. */
enum { KIND_MEM, KIND_SWAP };

static const char help_text[] =
        "check_mem_trend - alert on the trend of available memory: how fast it falls\n"
        "(MiB per hour) and the projected time until it runs out, as well as its level.\n"
        "\n"
        "Usage: check_mem_trend [-H HOST[:PORT] [SNMP options]] [-w RANGE] [-c RANGE]\n"
        "         [--warn-time-left DURATION]\n"
        "         [--crit-time-left DURATION] [--exhaust-at SIZE|PCT] [--swap]\n"
        "         [--procfs DIR] [--window DURATION] [--replay FILE] [options]\n"
        "\n"
        "Memory:\n"
        "      --procfs DIR         read DIR/meminfo instead of /proc/meminfo (the host's\n"
        "                           /proc mounted into a container, or a test fixture)\n"
        "      --swap               judge free swap too, as a second series (same thresholds)\n"
        "  Available memory is MemAvailable; on kernels without it (before 3.14) it is\n"
        "  estimated as MemFree + Buffers + Cached + SReclaimable (-v says so).\n"
        "\n"
        "Thresholds (critical is judged before warning):\n"
        "  -w, --warning RANGE      level range on available memory, with a unit: a size\n"
        "                           (500MiB: alerts below 500 MiB) or a percentage of the\n"
        "                           total (10%: alerts below 10%); mind the colon: 500MiB\n"
        "                           alone alerts ABOVE 500 MiB, as the range syntax says\n"
        "  -c, --critical RANGE     likewise; ranges as in the Monitoring Plugins guidelines:\n"
        "                           10%:, ~:10%, 1GiB:2GiB, @1GiB:2GiB\n"
        "      --warn-time-left D   WARNING when projected exhausted in less than D (default 3d)\n"
        "      --crit-time-left D   CRITICAL when projected exhausted in less than D (default 1d)\n"
        "      --exhaust-at SIZE|PCT  the level of available memory that counts as exhausted\n"
        "                           (default 0; e.g. 100MiB, or 5% of the total)\n"
        "\n"
        "Trend:\n"
        "      --window D           history the trend is estimated over (default 7d)\n"
        "      --min-samples N      samples needed before a trend is estimated (default 6)\n"
        "      --min-span D         time those samples must cover (default 2d: memory follows\n"
        "                           daily cycles, whose falling half looks like a leak)\n"
        "      --estimator E        theil-sen (robust, default) or least-squares\n"
        "      --insufficient M     level: judge levels only until a trend exists (default);\n"
        "                           unknown: UNKNOWN until then\n"
        "      --horizon N          alert on a projection only up to N times the span of\n"
        "                           history it comes from (default 4; 0 = always)\n"
        "\n" REMOTE_HELP_HEAD REMOTE_HELP_PRIV_X REMOTE_HELP_TAIL "\n"
        "History:\n"
        "      --state-dir DIR      where histories are kept (default /var/lib/trendtrap when\n"
        "                           writable, else ~/.local/state/trendtrap; or "
        "$TRENDTRAP_STATE_DIR)\n"
        "      --state-key KEY      history key (default mem/localhost; swap: KEY/swap, by\n"
        "                           default swap/localhost)\n"
        "      --keep D             history retention (default 35d)\n"
        "      --replay FILE        evaluate a CSV history (time,available_bytes,total_bytes) as\n"
        "                           live runs would have, one output row per input row; writes\n"
        "                           no state\n"
        "\n" PLUGIN_HELP_GENERAL "\n"
        "Examples:\n"
        "  check_mem_trend                                # trend of available memory\n"
        "  check_mem_trend -w 500MiB: -c 100MiB:          # and alert below 500 / 100 MiB\n"
        "  check_mem_trend -w 10%: -c 5%: --swap          # percentages, swap judged too\n"
        "  check_mem_trend --exhaust-at 100MiB --warn-time-left 2d --crit-time-left 12h\n"
        "  check_mem_trend --replay history.csv --exhaust-at 1GiB\n"
        "  TRENDTRAP_SNMP_COMMUNITY=public check_mem_trend -H web01 -w 10%: -c 5%:\n";

static const struct option mem_options[] = {
        {"swap", no_argument, NULL, OPT_SWAP},
        {"exhaust-at", required_argument, NULL, OPT_EXHAUST_AT},
        /* local gather */
        {"procfs", required_argument, NULL, OPT_PROCFS},
        {NULL, 0, NULL, 0},
};

/* ---- options --------------------------------------------------------- */

/* A bare number is ambiguous for memory: bytes or percent? */
static void require_unit(const struct mem_opts *o, const char *name, const char *text,
                         const struct range *r, bool has)
{
	if (has && r->unit == RANGE_UNIT_PLAIN)
		plugin_die(&o->c,
		           "%s '%s': write a unit, e.g. 500MiB: or 10%%: (a bare number is "
		           "ambiguous: bytes or percent?)",
		           name, text);
}

static void parse_exhaust_at(struct mem_opts *o, const char *arg)
{
	char err[256], *end;
	size_t len = strlen(arg);
	double v;

	if (len > 1 && arg[len - 1] == '%') {
		errno = 0;
		o->exhaust_at = strtod(arg, &end);
		if (errno != 0 || end != arg + len - 1 ||
		    !(o->exhaust_at >= 0 && o->exhaust_at < 100))
			plugin_die(&o->c,
			           "--exhaust-at '%s': expected a percentage from 0 to below 100",
			           arg);
		o->exhaust_at_pct = true;
		return;
	}
	if (units_scan_number(arg, &v) == len && len > 0 && v != 0)
		plugin_die(&o->c, "--exhaust-at '%s': write a unit, e.g. 100MiB or 5%%", arg);
	if (units_parse_size(arg, &o->exhaust_at, err, sizeof(err)) != 0)
		plugin_die(&o->c, "--exhaust-at '%s': %s", arg, err);
	o->exhaust_at_pct = false;
}

/* Options of the local gather; 1 when OPT was one. */
static int local_opt(struct mem_opts *o, int opt, const char *arg)
{
	if (opt != OPT_PROCFS)
		return 0;
	o->procfs = arg;
	o->procfs_given = true;
	return 1;
}

/* check_mem_trend's own options; 0 for the common ones. */
static int mem_opt(void *ctx, int opt, const char *arg)
{
	struct mem_opts *o = ctx;

	switch (opt) {
	case OPT_SWAP:
		o->swap = true;
		return 1;
	case OPT_EXHAUST_AT:
		parse_exhaust_at(o, arg);
		return 1;
	}
	if (remote_opt(&o->remote, &o->c, opt, arg))
		return 1;
	return local_opt(o, opt, arg);
}

static void mem_defaults(struct mem_opts *o)
{
	plugin_common_init(&o->c, "MEM_TREND");
	o->c.trend.window = MEM_WINDOW;
	o->c.trend.min_span = MEM_MIN_SPAN;
	o->c.time_left.warn = MEM_WARN_TIME_LEFT;
	o->c.time_left.crit = MEM_CRIT_TIME_LEFT;
	o->procfs = PROCFS_DEFAULT;
	remote_opts_init(&o->remote);
	o->exhaust_at = 0;
	o->exhaust_at_pct = false;
}

static void parse_args(struct mem_opts *o, int argc, char **argv)
{
	struct option *own = remote_options_merge(mem_options);

	mem_defaults(o);
	plugin_parse(&o->c, argc, argv, own, REMOTE_SHORTOPTS, mem_opt, o, help_text);
	free(own);
	remote_opts_finish(&o->remote, &o->c);
	if (remote_opts_active(&o->remote) && o->procfs_given)
		plugin_die(&o->c, "--procfs reads a local meminfo; it cannot be combined with -H");
	plugin_levels(&o->c, RANGE_UNITS_SIZE | RANGE_UNITS_PERCENT,
	              "a range on available memory, e.g. 500MiB: or 10%:", &o->levels);
	require_unit(o, "-w/--warning", o->c.warning, &o->levels.warn, o->levels.has_warn);
	require_unit(o, "-c/--critical", o->c.critical, &o->levels.crit, o->levels.has_crit);
}

/* ---- evaluate -------------------------------------------------------- */

/* The value range R judges: percent of the capacity, or bytes. */
static double level_value(const struct range *r, const struct plugin_item *res)
{
	return r->unit == RANGE_UNIT_PERCENT ? res->pct : res->cur.value;
}

static enum state judge_mem_level(const struct judge_levels *l, const struct plugin_item *r)
{
	if (l->has_crit && range_alert(&l->crit, level_value(&l->crit, r)))
		return STATE_CRITICAL;
	if (l->has_warn && range_alert(&l->warn, level_value(&l->warn, r)))
		return STATE_WARNING;
	return STATE_OK;
}

/* The level, in bytes, at which a series of CAPACITY counts as exhausted. */
static double exhaust_limit(const struct mem_opts *o, double capacity)
{
	return o->exhaust_at_pct ? o->exhaust_at / 100.0 * capacity : o->exhaust_at;
}

/* Evaluate one series: the history HIST[0..N) (including CUR) at NOW. */
static void mem_evaluate(const struct mem_opts *o, const struct sample *hist, size_t n,
                         const struct sample *cur, int64_t now, struct plugin_item *it)
{
	plugin_evaluate(&o->c, hist, n, cur, now, -1, exhaust_limit(o, cur->capacity), it);
	plugin_judge(&o->c, judge_mem_level(&o->levels, it), it);
}

static void replay_eval(void *ctx, const struct sample *hist, size_t n, int64_t now,
                        struct replay_row *row)
{
	struct plugin_item it;

	memset(&it, 0, sizeof(it));
	mem_evaluate(ctx, hist, n, &hist[n - 1], now, &it);
	plugin_replay_row(&it, row);
}

/* ---- gather ---------------------------------------------------------- */

/* Read the local meminfo under o->procfs into R. Returns 0 or -1 with ERR. */
static int gather_local(const struct mem_opts *o, struct mem_reading *r, char *err, size_t errlen)
{
	struct meminfo m;
	char path[4096];

	snprintf(path, sizeof(path), "%s/meminfo", o->procfs);
	if (meminfo_read(path, &m, err, errlen) != 0)
		return -1;
	snprintf(r->source, sizeof(r->source), "%s", path);
	if (m.estimated)
		snprintf(r->note, sizeof(r->note),
		         "MemAvailable absent: estimated as MemFree + Buffers + Cached + "
		         "SReclaimable");
	r->total = m.total;
	r->available = m.available;
	r->swap_total = m.swap_total;
	r->swap_free = m.swap_free;
	r->estimated = m.estimated;
	return 0;
}

/* Read memory from the agent -H names into R; exits on an agent failure. */
static void gather_remote(const struct mem_opts *o, struct mem_reading *r)
{
	struct agent *a = remote_connect(&o->remote, &o->c);
	struct remote_mem rm;
	char err[512];

	plugin_doing("reading memory from %s", o->remote.host);
	if (remote_memory(a, o->remote.mib, &rm, err, sizeof(err)) != 0)
		remote_fail(&o->c, a, agent_last_error(a), err);
	snprintf(r->source, sizeof(r->source), "SNMP %s, %s", agent_peer(a),
	         rm.mib_used == REMOTE_MIB_UCD ? "UCD-SNMP-MIB" : "HOST-RESOURCES-MIB");
	agent_close(a);
	r->total = rm.total;
	r->available = rm.available;
	r->swap_total = rm.have_swap ? rm.swap_total : 0;
	r->swap_free = rm.have_swap ? rm.swap_free : 0;
	r->estimated = rm.note[0] != '\0';
	snprintf(r->note, sizeof(r->note), "%s", rm.note);
}

/* The series key: what is measured and where, so local and remote histories
 * never mix. */
static void series_key(const struct mem_opts *o, bool swap, char *key, size_t len)
{
	const char *host = remote_opts_active(&o->remote) ? o->remote.host : HOST_LOCAL;

	if (o->c.state_key != NULL)
		snprintf(key, len, "%s%s", o->c.state_key, swap ? "/swap" : "");
	else
		snprintf(key, len, "%s/%s", swap ? "swap" : "mem", host);
}

/* Add the reading of one series to its history and evaluate it. */
static void check_series(const struct mem_opts *o, const char *dir, const struct mem_reading *m,
                         bool swap, int64_t now, struct plugin_item *r)
{
	struct sample cur = {now, swap ? m->swap_free : m->available,
	                     swap ? m->swap_total : m->total};
	struct sample *hist;
	size_t n;
	char key[600];

	memset(r, 0, sizeof(*r));
	r->kind = swap ? KIND_SWAP : KIND_MEM;
	snprintf(r->label, sizeof(r->label), "%s", swap ? "swap" : "available");
	if (swap && m->swap_total <= 0) {
		r->skip = true;
		r->state = STATE_OK;
		return;
	}
	series_key(o, swap, key, sizeof(key));
	plugin_history(&o->c, dir, key, &cur, now, &hist, &n, r->notice, sizeof(r->notice));
	mem_evaluate(o, hist, n, &cur, now, r);
	free(hist);
}

/* ---- render ---------------------------------------------------------- */

/* "-12.0 MiB/h", "+512 B/h" */
static void format_rate(double per_second, char *buf, size_t len)
{
	double per_hour = per_second * 3600;
	char size[64];

	units_format_size(fabs(per_hour), size, sizeof(size));
	snprintf(buf, len, "%s%s/h", per_hour < 0 ? "-" : "+", size);
}

/* "available 1.2 GiB of 15.6 GiB (8%)", "swap free 1.0 GiB of 4.0 GiB (25%)" */
static void format_level(const struct plugin_item *r, char *buf, size_t len)
{
	char value[64], cap[64];

	units_format_size(r->cur.value, value, sizeof(value));
	units_format_size(r->cur.capacity, cap, sizeof(cap));
	snprintf(buf, len, "%s %s of %s (%.0f%%)", r->kind == KIND_SWAP ? "swap free" : "available",
	         value, cap, r->pct);
}

/* The --exhaust-at level as written for humans: "100.0 MiB", "5%". */
static void format_exhaust_at(const struct mem_opts *o, char *buf, size_t len)
{
	if (o->exhaust_at_pct)
		snprintf(buf, len, "%g%%", o->exhaust_at);
	else
		units_format_size(o->exhaust_at, buf, len);
}

/* "exhausted in 4d 6h", "down to 100.0 MiB in 4d 6h"; "exhausted" (down to ...) when
 * already there. */
static void format_exhaustion(const struct mem_opts *o, const struct trend_result *t, char *buf,
                              size_t len)
{
	char when[64], level[64];

	units_format_duration(t->time_left, when, sizeof(when));
	format_exhaust_at(o, level, sizeof(level));
	if (t->exhausted && o->exhaust_at == 0)
		snprintf(buf, len, "exhausted");
	else if (t->exhausted)
		snprintf(buf, len, "exhausted (down to %s)", level);
	else if (o->exhaust_at == 0)
		snprintf(buf, len, "exhausted in %s", when);
	else
		snprintf(buf, len, "down to %s in %s", level, when);
}

static void describe_collecting(const struct trend_result *t, const char *level, char *buf,
                                size_t len)
{
	char collecting[128];

	plugin_collecting(t, collecting, sizeof(collecting));
	snprintf(buf, len, "%s, %s", level, collecting);
}

/* The one-line description of a result, as in the status line. */
static void describe(const void *ctx, const struct plugin_item *r, char *buf, size_t len)
{
	const struct mem_opts *o = ctx;
	const struct trend_result *t = &r->tr;
	char level[400], rate[64], when[160], span[64];

	if (r->skip) {
		snprintf(buf, len, "no swap");
		return;
	}
	format_level(r, level, sizeof(level));
	format_exhaustion(o, t, when, sizeof(when));
	if (t->status == TREND_COLLECTING && t->exhausted) {
		/* judged CRITICAL already: say why */
		snprintf(level + strlen(level), sizeof(level) - strlen(level), ", %s", when);
		describe_collecting(t, level, buf, len);
		return;
	}
	if (t->status == TREND_COLLECTING) {
		describe_collecting(t, level, buf, len);
		return;
	}
	format_rate(t->slope, rate, sizeof(rate));
	if (t->exhausted || (!isnan(t->time_left) && t->trusted)) {
		snprintf(buf, len, "%s, %s, %s", level, rate, when);
	} else if (!isnan(t->time_left)) {
		units_format_duration(t->span, span, sizeof(span));
		snprintf(buf, len, "%s, %s, %s (a trend over %s is too short to alert on)", level,
		         rate, when, span);
	} else {
		snprintf(buf, len, "%s, not falling (%s)", level, rate);
	}
}

/* The -v detail line: level, slope range, time-left range, segment. */
static void detail(const void *ctx, const struct plugin_item *r, char *buf, size_t len)
{
	const struct trend_result *t = &r->tr;
	char level[160], rate[64], lo[64], hi[64], tlo[64], thi[64];

	(void)ctx;
	if (r->skip) {
		snprintf(buf, len, "swap: none (SwapTotal is 0)");
		return;
	}
	format_level(r, level, sizeof(level));
	if (t->status != TREND_ESTIMATED) {
		snprintf(buf, len, "%s", level);
		return;
	}
	format_rate(t->slope, rate, sizeof(rate));
	format_rate(t->slope_lo, lo, sizeof(lo));
	format_rate(t->slope_hi, hi, sizeof(hi));
	units_format_duration(t->time_left_lo, tlo, sizeof(tlo));
	units_format_duration(t->time_left_hi, thi, sizeof(thi));
	snprintf(buf, len, "%s; %s (95%% range %s..%s); time left %s..%s; %zu samples, %s", level,
	         rate, lo, hi, tlo, thi, t->samples, plugin_segment_name(t->segment, -1));
}

static void add_perf(const void *ctx, const struct plugin_item *r, struct output *out)
{
	const struct mem_opts *o = ctx;
	const struct judge_levels *l = &o->levels;
	const char *prefix = r->kind == KIND_SWAP ? "swap " : "";
	char label[OUTPUT_LABEL_MAX];
	double pct_scale = r->cur.capacity / 100.0;
	struct perf *p;

	snprintf(label, sizeof(label), "%savailable", prefix);
	p = output_perf(out, label, r->cur.value, "B");
	if (p != NULL) {
		if (l->has_warn)
			range_format(&l->warn, l->warn.unit == RANGE_UNIT_PERCENT ? pct_scale : 1,
			             p->warn, sizeof(p->warn));
		if (l->has_crit)
			range_format(&l->crit, l->crit.unit == RANGE_UNIT_PERCENT ? pct_scale : 1,
			             p->crit, sizeof(p->crit));
		p->min = 0;
		p->max = r->cur.capacity;
	}
	snprintf(label, sizeof(label), "%sslope_per_hour", prefix);
	output_perf(out, label, r->tr.status == TREND_ESTIMATED ? r->tr.slope * 3600 : NAN, "B");
	snprintf(label, sizeof(label), "%stime_left", prefix);
	plugin_perf_time_left(out, &o->c, label, &r->tr);
}

static void render_verbose(struct output *out, const struct mem_opts *o,
                           const struct mem_reading *m)
{
	if (o->c.verbose == 0)
		return;
	output_line(out, "source: %s", m->source);
	if (m->note[0] != '\0')
		output_line(out, "%s", m->note);
}

static void run_live(const struct mem_opts *o)
{
	static struct plugin_item results[2];
	static struct output out;
	const struct plugin_view view = {o, -1, describe, detail, add_perf};
	struct mem_reading m;
	char dir[4096], err[512];
	int64_t now;
	size_t n = 1;

	now = plugin_start(&o->c);
	memset(&m, 0, sizeof(m));
	if (remote_opts_active(&o->remote)) {
		gather_remote(o, &m);
	} else {
		plugin_doing("reading %s/meminfo", o->procfs);
		if (gather_local(o, &m, err, sizeof(err)) != 0)
			plugin_die(&o->c, "%s", err);
	}
	plugin_state_dir(&o->c, dir, sizeof(dir));
	check_series(o, dir, &m, false, now, &results[0]);
	if (o->swap)
		check_series(o, dir, &m, true, now, &results[n++]);
	render_verbose(&out, o, &m);
	plugin_render(&o->c, &out, results, n, &view);
}

int main(int argc, char **argv)
{
	static struct mem_opts o;

	parse_args(&o, argc, argv);
	if (o.c.replay != NULL)
		return plugin_replay(&o.c, "available", REPLAY_VALUE_CAPACITY, replay_eval, &o);
	run_live(&o);
	return STATE_UNKNOWN;
}
