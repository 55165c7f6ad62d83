/*
 * check_error_trend - alert on the share of HTTP errors and where it is heading.
 *
 * Gather per-bucket request and error counts (an access log read
 * incrementally into the history store, or one Elasticsearch query) ->
 * evaluate (the ratio in the last --window against -w/-c, against a baseline
 * window, and the trend of the ratio over --trend-window) -> render. --replay
 * evaluates a CSV of buckets through the same code.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "errjudge.h"
#include "es.h"
#include "plugin.h"
#include "statusset.h"
#include "units.h"

#define BUCKET     60   /* seconds per stored bucket */
#define MAX_POINTS 4096 /* windows the trend is estimated on */
#define SECRET_MAX 512

enum {
	OPT_LOG = PLUGIN_OPT_OWN,
	OPT_LOG_FORMAT,
	OPT_STATUS_FIELD,
	OPT_TIME_FIELD,
	OPT_LOOKBACK,
	OPT_ES_URL,
	OPT_INDEX,
	OPT_QUERY,
	OPT_CA_FILE,
	OPT_ES_USER,
	OPT_ES_PASSWORD_FILE,
	OPT_ES_API_KEY_FILE,
	OPT_ERROR_STATUS,
	OPT_RATIO_WINDOW,
	OPT_TREND_WINDOW,
	OPT_BASELINE,
	OPT_MIN_REQUESTS,
	OPT_WARN_INCREASE,
	OPT_CRIT_INCREASE,
};

struct err_opts {
	struct plugin_common c;
	struct errjudge_opts j;
	struct statusset errors;    /* --error-status */
	const char *log;            /* --log FILE */
	struct accesslog_spec spec; /* --log-format, --status-field, --time-field */
	double lookback;            /* --lookback: a first run starts this far back */
	bool lookback_given;
	struct es_source es; /* --es-url and friends */
	const char *es_password_file;
	const char *es_api_key_file;
	char es_password[SECRET_MAX];
	char es_api_key[SECRET_MAX];
};

/* What the status line and perfdata need beside the ratio's item. */
struct err_view {
	const struct err_opts *o;
	const struct errjudge_result *w;
};

static const char help_text[] =
        "check_error_trend - alert on the share of HTTP errors: its level, its increase\n"
        "against a baseline, and its trend (the time until it reaches the critical level).\n"
        "\n"
        "Usage: check_error_trend --log FILE | --es-url URL --index PATTERN\n"
        "         [-w RANGE] [-c RANGE] [--window D] [--baseline D|previous]\n"
        "         [--warn-increase F] [--crit-increase F] [--trend-window D]\n"
        "         [--warn-time-left D] [--crit-time-left D] [--replay FILE] [options]\n"
        "\n"
        "Sources (one):\n"
        "      --log FILE           an access log, read incrementally (rotation by rename\n"
        "                           or copytruncate is followed)\n"
        "      --log-format F       combined (also common; default) or json (JSON lines)\n"
        "      --lookback D         a first run reads this much of the log (default: what\n"
        "                           the windows need)\n"
        "      --es-url URL         Elasticsearch (http or https), with --index\n"
        "      --index PATTERN      the indices to search, e.g. 'logs-*'\n"
        "      --query Q            query_string filter, e.g. service:api\n"
        "      --ca-file FILE       CA for https (verification is always on)\n"
        "      --es-user USER       basic auth user, with --es-password-file\n"
        "      --es-password-file F  its password (mode 600; or TRENDTRAP_ES_PASSWORD)\n"
        "      --es-api-key-file F  an API key (or TRENDTRAP_ES_API_KEY)\n"
        "      --time-field F       the time field (default time for JSON logs, @timestamp\n"
        "                           for Elasticsearch)\n"
        "      --status-field F     the status field (default status)\n"
        "      --error-status S     statuses that count as errors (default 500-599;\n"
        "                           e.g. 500-599,429)\n"
        "\n"
        "Thresholds (critical is judged before warning):\n"
        "  -w, --warning RANGE      on the error ratio in percent, e.g. 2 (alert above 2%)\n"
        "  -c, --critical RANGE     likewise; also the level the trend projects toward\n"
        "      --window D           the ratio is taken over the last D (default 5m)\n"
        "      --min-requests N     fewer requests than N: reported, not judged (default 20)\n"
        "      --baseline D         compare with the same window D ago (default 1d), or\n"
        "                           'previous': the hour before the window; 'none'\n"
        "      --warn-increase F    WARNING when the ratio is F times the baseline's\n"
        "      --crit-increase F    CRITICAL likewise\n"
        "      --warn-time-left D   WARNING when the trend reaches the critical level within D\n"
        "                           (default 1d)\n"
        "      --crit-time-left D   likewise CRITICAL (default 6h)\n"
        "\n"
        "Trend:\n"
        "      --trend-window D     history the trend is estimated over (default 1d)\n"
        "      --min-samples N, --min-span D, --estimator E, --insufficient M, --horizon N\n"
        "                           as for check_disk_trend\n"
        "\n"
        "History:\n"
        "      --state-dir DIR      where log histories and positions are kept\n"
        "      --state-key KEY      history key (default errors/<absolute log path>)\n"
        "      --keep D             history retention (default 35d)\n"
        "      --replay FILE        evaluate a CSV of buckets (time,requests,errors) as live\n"
        "                           runs would have; writes no state\n"
        "\n" PLUGIN_HELP_GENERAL "\n"
        "Examples:\n"
        "  check_error_trend --log /var/log/nginx/access.log -w 2 -c 5\n"
        "  check_error_trend --log /var/log/nginx/access.log --error-status 500-599,429 \\\n"
        "      --baseline 1d --warn-increase 2 --crit-increase 5\n"
        "  check_error_trend --es-url https://es:9200 --index 'logs-*' --query service:api \\\n"
        "      --ca-file /etc/ssl/es-ca.pem --es-api-key-file /etc/trendtrap/es.key -c 5\n"
        "  check_error_trend --replay buckets.csv -c 5 --window 5m\n";

static const struct option err_options[] = {
        {"log", required_argument, NULL, OPT_LOG},
        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
        {"status-field", required_argument, NULL, OPT_STATUS_FIELD},
        {"time-field", required_argument, NULL, OPT_TIME_FIELD},
        {"lookback", required_argument, NULL, OPT_LOOKBACK},
        {"es-url", required_argument, NULL, OPT_ES_URL},
        {"index", required_argument, NULL, OPT_INDEX},
        {"query", required_argument, NULL, OPT_QUERY},
        {"ca-file", required_argument, NULL, OPT_CA_FILE},
        {"es-user", required_argument, NULL, OPT_ES_USER},
        {"es-password-file", required_argument, NULL, OPT_ES_PASSWORD_FILE},
        {"es-api-key-file", required_argument, NULL, OPT_ES_API_KEY_FILE},
        {"error-status", required_argument, NULL, OPT_ERROR_STATUS},
        {"window", required_argument, NULL, OPT_RATIO_WINDOW},
        {"trend-window", required_argument, NULL, OPT_TREND_WINDOW},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"min-requests", required_argument, NULL, OPT_MIN_REQUESTS},
        {"warn-increase", required_argument, NULL, OPT_WARN_INCREASE},
        {"crit-increase", required_argument, NULL, OPT_CRIT_INCREASE},
        {NULL, 0, NULL, 0},
};

/* ---- options --------------------------------------------------------- */

static double parse_factor(struct err_opts *o, const char *name, const char *arg)
{
	double v;
	size_t len = strlen(arg);

	if (len == 0 || units_scan_number(arg, &v) != len || !(v > 0))
		plugin_die(&o->c, "%s '%s': expected a factor above 0, e.g. 2 or 1.5", name, arg);
	return v;
}

static void parse_baseline(struct err_opts *o, const char *arg)
{
	if (strcmp(arg, "previous") == 0)
		o->j.baseline = ERRJUDGE_PREVIOUS;
	else if (strcmp(arg, "none") == 0)
		o->j.baseline = 0;
	else if ((o->j.baseline = plugin_duration(&o->c, "--baseline", arg)) <= 0)
		plugin_die(&o->c, "--baseline '%s': expected a duration, previous or none", arg);
}

static void parse_log_format(struct err_opts *o, const char *arg)
{
	if (strcmp(arg, "combined") == 0 || strcmp(arg, "common") == 0)
		o->spec.format = ACCESSLOG_CLF;
	else if (strcmp(arg, "json") == 0)
		o->spec.format = ACCESSLOG_JSON;
	else
		plugin_die(&o->c, "--log-format '%s': expected combined, common or json", arg);
}

/* Options of the sources; 1 when OPT was one. */
static int source_opt(struct err_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_LOG:
		o->log = arg;
		return 1;
	case OPT_LOG_FORMAT:
		parse_log_format(o, arg);
		return 1;
	case OPT_STATUS_FIELD:
		o->spec.status_field = o->es.status_field = arg;
		return 1;
	case OPT_TIME_FIELD:
		o->spec.time_field = o->es.time_field = arg;
		return 1;
	case OPT_LOOKBACK:
		o->lookback = plugin_duration(&o->c, "--lookback", arg);
		o->lookback_given = true;
		return 1;
	case OPT_ES_URL:
		o->es.url = arg;
		return 1;
	case OPT_INDEX:
		o->es.index = arg;
		return 1;
	case OPT_QUERY:
		o->es.query = arg;
		return 1;
	case OPT_CA_FILE:
		o->es.ca_file = arg;
		return 1;
	case OPT_ES_USER:
		o->es.user = arg;
		return 1;
	case OPT_ES_PASSWORD_FILE:
		o->es_password_file = arg;
		return 1;
	case OPT_ES_API_KEY_FILE:
		o->es_api_key_file = arg;
		return 1;
	}
	return 0;
}

static int err_opt(void *ctx, int opt, const char *arg)
{
	struct err_opts *o = ctx;
	char err[256];

	switch (opt) {
	case OPT_ERROR_STATUS:
		if (statusset_parse(arg, &o->errors, err, sizeof(err)) != 0)
			plugin_die(&o->c, "--error-status '%s': %s", arg, err);
		return 1;
	case OPT_RATIO_WINDOW:
		o->j.window = plugin_duration(&o->c, "--window", arg);
		if (o->j.window < BUCKET)
			plugin_die(&o->c, "--window '%s': at least 1m (counts are kept per minute)",
			           arg);
		return 1;
	case OPT_TREND_WINDOW:
		o->c.trend.window = plugin_duration(&o->c, "--trend-window", arg);
		return 1;
	case OPT_BASELINE:
		parse_baseline(o, arg);
		return 1;
	case OPT_MIN_REQUESTS:
		if (units_scan_number(arg, &o->j.min_requests) != strlen(arg) || arg[0] == '\0')
			plugin_die(&o->c, "--min-requests '%s': expected a whole number", arg);
		return 1;
	case OPT_WARN_INCREASE:
		o->j.warn_increase = parse_factor(o, "--warn-increase", arg);
		return 1;
	case OPT_CRIT_INCREASE:
		o->j.crit_increase = parse_factor(o, "--crit-increase", arg);
		return 1;
	}
	return source_opt(o, opt, arg);
}

static void err_defaults(struct err_opts *o)
{
	char err[64];

	plugin_common_init(&o->c, "ERROR_TREND");
	o->c.trend.window = 86400;
	o->c.time_left.warn = 86400;
	o->c.time_left.crit = 6 * 3600.0;
	o->j.window = 300;
	o->j.baseline = 86400;
	o->j.min_requests = 20;
	o->j.warn_increase = NAN;
	o->j.crit_increase = NAN;
	statusset_parse("500-599", &o->errors, err, sizeof(err));
	o->spec.format = ACCESSLOG_CLF;
	o->spec.status_field = o->es.status_field = "status";
	o->spec.time_field = "time";
	o->es.time_field = "@timestamp";
	o->spec.errors = o->es.errors = &o->errors;
	o->spec.bucket = BUCKET;
}

/* A secret from the first line of FILE (see plugin_read_secret), else from the
 * environment variable ENV. */
static const char *read_secret(struct err_opts *o, const char *option, const char *file,
                               const char *env, char *buf, size_t len)
{
	if (file == NULL)
		return getenv(env);
	plugin_read_secret(&o->c, option, file, buf, len);
	return buf;
}

static void check_sources(struct err_opts *o)
{
	int sources = (o->log != NULL) + (o->es.url != NULL) + (o->c.replay != NULL);

	if (sources != 1)
		plugin_die(&o->c, "give one source: --log FILE, --es-url URL or --replay FILE");
	if (o->es.url != NULL && o->es.index == NULL)
		plugin_die(&o->c, "--es-url needs --index PATTERN");
	if (o->es.url == NULL && (o->es.index || o->es.query || o->es.ca_file || o->es.user ||
	                          o->es_password_file || o->es_api_key_file))
		plugin_die(&o->c, "--index, --query, --ca-file and --es-* go with --es-url");
	if (o->log == NULL && (o->lookback_given || o->spec.format != ACCESSLOG_CLF))
		plugin_die(&o->c, "--lookback and --log-format go with --log");
	if (o->es.url == NULL)
		return;
	o->es.password =
	        read_secret(o, "--es-password-file", o->es_password_file, "TRENDTRAP_ES_PASSWORD",
	                    o->es_password, sizeof(o->es_password));
	o->es.api_key = read_secret(o, "--es-api-key-file", o->es_api_key_file,
	                            "TRENDTRAP_ES_API_KEY", o->es_api_key, sizeof(o->es_api_key));
	o->es.timeout = o->c.timeout > 1 ? o->c.timeout - 0.5 : o->c.timeout;
}

static void parse_args(struct err_opts *o, int argc, char **argv)
{
	err_defaults(o);
	plugin_parse(&o->c, argc, argv, err_options, "", err_opt, o, help_text);
	plugin_levels(&o->c, RANGE_UNITS_PERCENT, "a range on the error ratio in percent",
	              &o->j.levels);
	check_sources(o);
}

/* ---- evaluate -------------------------------------------------------- */

/* How far back the windows reach: the trend's, and the baseline's. */
static double span_needed(const struct err_opts *o)
{
	double base = o->j.baseline == ERRJUDGE_PREVIOUS ? o->j.window + 3600
	                                                 : o->j.baseline + o->j.window;

	return fmax(o->c.trend.window, base);
}

/* Evaluate buckets B[0..N) at NOW into IT (the ratio and its trend) and W. */
static void err_evaluate(const struct err_opts *o, const struct sample *b, size_t n, int64_t now,
                         struct plugin_item *it, struct errjudge_result *w)
{
	static struct sample points[MAX_POINTS];
	struct sample cur;
	size_t m;

	errjudge_window(&o->j, b, n, now, w);
	m = errjudge_points(&o->j, b, n, now, o->c.trend.window, points, MAX_POINTS);
	cur.t = now;
	cur.value = w->judged ? w->ratio : NAN;
	cur.capacity = 100;
	plugin_evaluate(&o->c, points, m, m > 0 ? &points[m - 1] : &cur, now, 1,
	                errjudge_limit(&o->j), it);
	it->cur = cur;
	it->pct = w->judged ? w->ratio : 0;
	plugin_judge(&o->c, state_worst(w->level_state, w->increase_state), it);
	snprintf(it->label, sizeof(it->label), "ratio");
}

static void replay_eval(void *ctx, const struct sample *hist, size_t n, int64_t now,
                        struct replay_row *row)
{
	struct plugin_item it;
	struct errjudge_result w;

	memset(&it, 0, sizeof(it));
	err_evaluate(ctx, hist, n, now, &it, &w);
	plugin_replay_row(&it, row);
}

/* ---- gather ---------------------------------------------------------- */

static int cmp_t(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;

	return (x->t > y->t) - (x->t < y->t);
}

/* The position file of a log history: beside it in the state dir. */
static void pos_path(const char *dir, const char *key, char *buf, size_t len)
{
	size_t at = (size_t)snprintf(buf, len, "%s/", dir);

	for (const char *k = key; *k != '\0' && at + 4 < len; k++) {
		unsigned char ch = (unsigned char)*k;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || (ch == '.' && k != key))
			buf[at++] = (char)ch;
		else
			at += (size_t)snprintf(buf + at, len - at, "%%%02X", ch);
	}
	snprintf(buf + at, len > at ? len - at : 0, ".logpos");
}

/* Read the log's new lines into the history KEY (under its lock, so two runs
 * never count a line twice), then load the buckets the check needs. */
static void gather_log(const struct err_opts *o, const char *dir, const char *key, int64_t now,
                       struct sample **b, size_t *n, char *notice, size_t noticelen)
{
	struct accesslog_pos pos;
	struct accesslog_stats st;
	struct series *s;
	struct sample *fresh;
	size_t nfresh;
	char err[512], ppath[PATH_MAX];

	plugin_doing("waiting for the history lock of %s", key);
	if (series_open(dir, key, SERIES_WRITE, &s, notice, noticelen, err, sizeof(err)) != 0)
		plugin_die(&o->c, "history %s: %s", key, err);
	pos_path(dir, key, ppath, sizeof(ppath));
	if (accesslog_pos_load(ppath, &pos, err, sizeof(err)) != 0) {
		snprintf(notice, noticelen,
		         "log position %s unreadable (%s): reading from the lookback", ppath, err);
		memset(&pos, 0, sizeof(pos));
	}
	plugin_doing("reading %s", o->log);
	if (accesslog_read(o->log, &o->spec, &pos, now,
	                   o->lookback_given ? o->lookback : span_needed(o), &fresh, &nfresh, &st,
	                   err, sizeof(err)) != 0)
		plugin_die(&o->c, "%s", err);
	if (series_add(s, fresh, nfresh, &o->c.keep, err, sizeof(err)) != 0 ||
	    accesslog_pos_save(ppath, &pos, err, sizeof(err)) != 0)
		plugin_die(&o->c, "history %s: %s", key, err);
	free(fresh);
	if (series_load(s, now - (int64_t)ceil(span_needed(o)) - BUCKET, b, n, err, sizeof(err)) !=
	    0)
		plugin_die(&o->c, "history %s: %s", key, err);
	series_close(s);
	if (st.note[0] != '\0' && notice[0] == '\0')
		snprintf(notice, noticelen, "%s", st.note);
}

/* One Elasticsearch query for every bucket the check needs. */
static void gather_es(const struct err_opts *o, int64_t now, struct sample **b, size_t *n)
{
	int64_t to = (now / BUCKET + 1) * BUCKET;
	int64_t from = to - (int64_t)ceil(span_needed(o) / BUCKET + 1) * BUCKET;
	char err[512];

	plugin_doing("querying Elasticsearch at %s", o->es.url);
	if (es_fetch(&o->es, from, to, BUCKET, b, n, err, sizeof(err)) != 0)
		plugin_die(&o->c, "%s", err);
}

/* ---- render ---------------------------------------------------------- */

static void describe_ratio(const struct errjudge_result *w, double window, char *buf, size_t len)
{
	char win[32];

	units_format_duration(window, win, sizeof(win));
	if (w->requests <= 0)
		snprintf(buf, len, "no requests in %s", win);
	else if (!w->judged)
		snprintf(buf, len, "%.2f%% errors (%.0f of %.0f requests in %s: too few to judge)",
		         w->ratio, w->errors, w->requests, win);
	else
		snprintf(buf, len, "%.2f%% errors (%.0f of %.0f requests in %s)", w->ratio,
		         w->errors, w->requests, win);
}

static void describe(const void *ctx, const struct plugin_item *it, char *buf, size_t len)
{
	const struct err_view *v = ctx;
	const struct trend_result *t = &it->tr;
	char ratio[200], base[96] = "", trend[160], when[64];

	describe_ratio(v->w, v->o->j.window, ratio, sizeof(ratio));
	if (!isnan(v->w->increase))
		snprintf(base, sizeof(base), ", %.1fx the baseline's %.2f%%", v->w->increase,
		         v->w->base_ratio);
	if (t->status == TREND_COLLECTING) {
		plugin_collecting(t, trend, sizeof(trend));
	} else if (!isnan(t->time_left)) {
		units_format_duration(t->time_left, when, sizeof(when));
		snprintf(trend, sizeof(trend), "%+.2f%%/h, %g%% in %s%s", t->slope * 3600,
		         errjudge_limit(&v->o->j), when,
		         t->trusted ? "" : " (too short a trend to alert on)");
	} else {
		snprintf(trend, sizeof(trend), "not rising (%+.2f%%/h)", t->slope * 3600);
	}
	snprintf(buf, len, "%s%s, %s", ratio, base, trend);
}

static void detail(const void *ctx, const struct plugin_item *it, char *buf, size_t len)
{
	const struct err_view *v = ctx;
	const struct trend_result *t = &it->tr;
	char head[400];

	describe(ctx, it, head, sizeof(head));
	if (t->status != TREND_ESTIMATED) {
		snprintf(buf, len, "%s", head);
		return;
	}
	snprintf(buf, len, "%s; slope %.4g%%/h (95%% range %.4g..%.4g) over %zu windows, %s", head,
	         t->slope * 3600, t->slope_lo * 3600, t->slope_hi * 3600, t->samples,
	         plugin_segment_name(t->segment, 1));
	(void)v;
}

static void add_perf(const void *ctx, const struct plugin_item *it, struct output *out)
{
	const struct err_view *v = ctx;
	const struct errjudge_opts *j = &v->o->j;
	struct perf *p;

	output_perf(out, "requests", v->w->requests, "c");
	output_perf(out, "errors", v->w->errors, "c");
	p = output_perf(out, "ratio", v->w->judged ? v->w->ratio : NAN, "%");
	if (p != NULL) {
		if (j->levels.has_warn)
			range_format(&j->levels.warn, 1, p->warn, sizeof(p->warn));
		if (j->levels.has_crit)
			range_format(&j->levels.crit, 1, p->crit, sizeof(p->crit));
		p->min = 0;
		p->max = 100;
	}
	output_perf(out, "baseline_ratio", v->w->base_ratio, "%");
	p = output_perf(out, "increase", v->w->increase, "");
	if (p != NULL) {
		if (!isnan(j->warn_increase))
			snprintf(p->warn, sizeof(p->warn), "%g", j->warn_increase);
		if (!isnan(j->crit_increase))
			snprintf(p->crit, sizeof(p->crit), "%g", j->crit_increase);
	}
	output_perf(out, "slope_per_hour",
	            it->tr.status == TREND_ESTIMATED ? it->tr.slope * 3600 : NAN, "");
	plugin_perf_time_left(out, &v->o->c, "time_left", &it->tr);
}

static void run_live(const struct err_opts *o)
{
	static struct plugin_item item;
	static struct output out;
	struct errjudge_result w;
	struct err_view ev = {o, &w};
	const struct plugin_view view = {&ev, 1, describe, detail, add_perf};
	struct sample *b = NULL;
	size_t n = 0;
	char dir[4096], key[PATH_MAX + 16], real[PATH_MAX];
	int64_t now;

	now = plugin_start(&o->c);
	if (o->es.url != NULL) {
		gather_es(o, now, &b, &n);
	} else {
		plugin_state_dir(&o->c, dir, sizeof(dir));
		if (realpath(o->log, real) == NULL)
			plugin_die(&o->c, "--log %s: %s", o->log, strerror(errno));
		if (o->c.state_key != NULL)
			snprintf(key, sizeof(key), "%s", o->c.state_key);
		else
			snprintf(key, sizeof(key), "errors%s", real);
		gather_log(o, dir, key, now, &b, &n, item.notice, sizeof(item.notice));
	}
	qsort(b, n, sizeof(*b), cmp_t);
	err_evaluate(o, b, n, now, &item, &w);
	free(b);
	plugin_render(&o->c, &out, &item, 1, &view);
}

int main(int argc, char **argv)
{
	static struct err_opts o;

	parse_args(&o, argc, argv);
	if (o.c.replay != NULL)
		return plugin_replay(&o.c, "ratio", REPLAY_CAPACITY_VALUE, replay_eval, &o);
	run_live(&o);
	return STATE_UNKNOWN;
}
