/*
 * plugin.c - main-level code shared by the check plugins: common options,
 * the timeout alarm, UNKNOWN exits and the replay driver.
 *
 * The only mutable globals are the timeout message parts, which the SIGALRM
 * handler must reach; they are written before alarm() fires and read only by
 * the handler, which uses nothing but write(2) and _exit(2).
 */
#include "plugin.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "csv.h"
#include "units.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* The timeout message: "SERVICE STATE - timed out after 10s while DOING\n". */
static char timeout_prefix[160];
static char timeout_doing[2][256];             /* written alternately: the handler reads */
static volatile sig_atomic_t timeout_doing_at; /* the one finished last */
static volatile int timeout_exit = STATE_UNKNOWN;

const struct option plugin_common_options[] = {
        {"warning", required_argument, NULL, 'w'},
        {"critical", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"timeout-state", required_argument, NULL, OPT_TIMEOUT_STATE},
        {"verbose", no_argument, NULL, 'v'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
        {"state-key", required_argument, NULL, OPT_STATE_KEY},
        {"replay", required_argument, NULL, OPT_REPLAY},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"min-samples", required_argument, NULL, OPT_MIN_SAMPLES},
        {"min-span", required_argument, NULL, OPT_MIN_SPAN},
        {"estimator", required_argument, NULL, OPT_ESTIMATOR},
        {"insufficient", required_argument, NULL, OPT_INSUFFICIENT},
        {"warn-time-left", required_argument, NULL, OPT_WARN_TIME_LEFT},
        {"crit-time-left", required_argument, NULL, OPT_CRIT_TIME_LEFT},
        {"keep", required_argument, NULL, OPT_KEEP},
        {"horizon", required_argument, NULL, OPT_HORIZON},
        {NULL, 0, NULL, 0},
};

void plugin_common_init(struct plugin_common *c, const char *service)
{
	memset(c, 0, sizeof(*c));
	c->service = service;
	c->timeout = 10;
	c->timeout_state = STATE_UNKNOWN;
	trend_params_default(&c->trend);
	c->time_left.warn = 14 * 86400.0;
	c->time_left.crit = 3 * 86400.0;
	c->keep.max_age = SERIES_KEEP_AGE_DEFAULT;
	c->keep.max_count = SERIES_KEEP_COUNT_DEFAULT;
}

struct option *plugin_options(const struct option *own)
{
	size_t n_own = 0, n_common = 0;
	struct option *all;

	while (own[n_own].name != NULL)
		n_own++;
	while (plugin_common_options[n_common].name != NULL)
		n_common++;
	all = calloc(n_own + n_common + 1, sizeof(*all));
	if (all == NULL) {
		fputs("UNKNOWN - out of memory\n", stdout);
		exit(STATE_UNKNOWN);
	}
	memcpy(all, own, n_own * sizeof(*all));
	memcpy(all + n_own, plugin_common_options, n_common * sizeof(*all));
	return all;
}

static void plugin_vexit(const struct plugin_common *c, enum state state, const char *fmt,
                         va_list ap) __attribute__((noreturn));

static void plugin_vexit(const struct plugin_common *c, enum state state, const char *fmt,
                         va_list ap)
{
	char msg[1024];

	/* Messages carry outside text (an Elasticsearch reason, an agent's
	 * filesystem names): one line, and no '|' that would start perfdata. */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (char *p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
		else if (*p == '|')
			*p = '/';
	printf("%s %s - %s\n", c->service, state_name(state), msg);
	fflush(stdout);
	exit(state);
}

void plugin_exit(const struct plugin_common *c, enum state state, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	plugin_vexit(c, state, fmt, ap);
}

void plugin_die(const struct plugin_common *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	plugin_vexit(c, STATE_UNKNOWN, fmt, ap);
}

double plugin_duration(const struct plugin_common *c, const char *option, const char *arg)
{
	char err[256];
	double v;

	if (units_parse_duration(arg, &v, err, sizeof(err)) != 0)
		plugin_die(c, "%s '%s': %s", option, arg, err);
	return v;
}

static size_t plugin_count(const struct plugin_common *c, const char *option, const char *arg)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v > 1000000)
		plugin_die(c, "%s '%s': expected a whole number", option, arg);
	return (size_t)v;
}

static void plugin_version(void)
{
	printf("%s (trendtrap %s)\n", program_invocation_short_name, PACKAGE_VERSION);
	exit(STATE_OK);
}

static void plugin_help(const char *help)
{
	fputs(help, stdout);
	exit(STATE_OK);
}

/* The trend and history options; split out to keep plugin_common_opt short. */
static int plugin_trend_opt(struct plugin_common *c, int opt, const char *arg)
{
	switch (opt) {
	case OPT_WINDOW:
		c->trend.window = plugin_duration(c, "--window", arg);
		if (c->trend.window <= 0)
			plugin_die(c, "--window '%s': must be longer than 0s", arg);
		return 1;
	case OPT_MIN_SAMPLES:
		c->trend.min_samples = plugin_count(c, "--min-samples", arg);
		if (c->trend.min_samples < 2)
			plugin_die(c, "--min-samples '%s': a trend needs at least 2 samples", arg);
		return 1;
	case OPT_MIN_SPAN:
		c->trend.min_span = plugin_duration(c, "--min-span", arg);
		return 1;
	case OPT_ESTIMATOR:
		if (strcmp(arg, "theil-sen") == 0)
			c->trend.estimator = TREND_THEIL_SEN;
		else if (strcmp(arg, "least-squares") == 0)
			c->trend.estimator = TREND_LEAST_SQUARES;
		else
			plugin_die(c, "--estimator '%s': expected theil-sen or least-squares", arg);
		return 1;
	case OPT_WARN_TIME_LEFT:
		c->time_left.warn = plugin_duration(c, "--warn-time-left", arg);
		return 1;
	case OPT_CRIT_TIME_LEFT:
		c->time_left.crit = plugin_duration(c, "--crit-time-left", arg);
		return 1;
	case OPT_KEEP:
		c->keep.max_age = plugin_duration(c, "--keep", arg);
		return 1;
	case OPT_HORIZON:
		c->trend.horizon = (double)plugin_count(c, "--horizon", arg);
		return 1;
	}
	return 0;
}

int plugin_common_opt(struct plugin_common *c, int opt, const char *arg, const char *help)
{
	switch (opt) {
	case 'w':
		c->warning = arg;
		return 1;
	case 'c':
		c->critical = arg;
		return 1;
	case 't':
		c->timeout = plugin_duration(c, "-t/--timeout", arg);
		if (c->timeout < 1)
			plugin_die(c, "-t/--timeout '%s': must be at least 1s", arg);
		return 1;
	case OPT_TIMEOUT_STATE:
		if (state_parse(arg, &c->timeout_state) != 0)
			plugin_die(
			        c,
			        "--timeout-state '%s': expected ok, warning, critical or unknown",
			        arg);
		return 1;
	case 'v':
		c->verbose++;
		return 1;
	case 'V':
		plugin_version();
		return 1;
	case 'h':
		plugin_help(help);
		return 1;
	case OPT_STATE_DIR:
		c->state_dir = arg;
		return 1;
	case OPT_STATE_KEY:
		c->state_key = arg;
		return 1;
	case OPT_REPLAY:
		c->replay = arg;
		return 1;
	case OPT_INSUFFICIENT:
		if (strcmp(arg, "unknown") != 0 && strcmp(arg, "level") != 0)
			plugin_die(c, "--insufficient '%s': expected level or unknown", arg);
		c->insufficient_unknown = strcmp(arg, "unknown") == 0;
		return 1;
	}
	return plugin_trend_opt(c, opt, arg);
}

static void on_alarm(int sig)
{
	static const char mid[] = " while ";
	const char *doing = timeout_doing[timeout_doing_at];
	ssize_t ignored;

	(void)sig;

	ignored = write(STDOUT_FILENO, timeout_prefix, strlen(timeout_prefix));
	if (doing[0] != '\0') {
		ignored = write(STDOUT_FILENO, mid, sizeof(mid) - 1);
		ignored = write(STDOUT_FILENO, doing, strlen(doing));
	}
	ignored = write(STDOUT_FILENO, "\n", 1);
	(void)ignored;
	_exit(timeout_exit);
}

void plugin_timeout_arm(const struct plugin_common *c)
{
	struct sigaction sa;
	char when[32];

	units_format_duration(c->timeout, when, sizeof(when));
	snprintf(timeout_prefix, sizeof(timeout_prefix), "%s %s - timed out after %s", c->service,
	         state_name(c->timeout_state), when);
	timeout_exit = c->timeout_state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)ceil(c->timeout));
}

int64_t plugin_start(const struct plugin_common *c)
{
	char err[256];
	int64_t now;

	plugin_timeout_arm(c);
	if (clock_now(&now, err, sizeof(err)) != 0)
		plugin_die(c, "%s", err);
	return now;
}

void plugin_state_dir(const struct plugin_common *c, char *dir, size_t len)
{
	char err[512];

	plugin_doing("preparing the state directory");
	if (series_state_dir(c->state_dir, dir, len, err, sizeof(err)) != 0)
		plugin_die(c, "state directory: %s", err);
}

static void plugin_level(const struct plugin_common *c, const char *name, const char *text,
                         unsigned units, const char *hint, struct range *r, bool *has)
{
	char err[256];

	if (text == NULL)
		return;
	if (range_parse(text, units, r, err, sizeof(err)) != 0)
		plugin_die(c, "%s '%s': %s (%s)", name, text, err, hint);
	*has = true;
}

void plugin_levels(const struct plugin_common *c, unsigned units, const char *hint,
                   struct judge_levels *l)
{
	plugin_level(c, "-w/--warning", c->warning, units, hint, &l->warn, &l->has_warn);
	plugin_level(c, "-c/--critical", c->critical, units, hint, &l->crit, &l->has_crit);
}

void plugin_doing(const char *fmt, ...)
{
	int next = !timeout_doing_at;
	va_list ap;

	/* Fill the buffer the handler is not reading, then switch to it: the
	 * handler never sees half a text, and no signal masking is needed. */
	va_start(ap, fmt);
	vsnprintf(timeout_doing[next], sizeof(timeout_doing[next]), fmt, ap);
	va_end(ap);
	timeout_doing_at = next;
}

static int cmp_sample_time(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;

	return (x->t > y->t) - (x->t < y->t);
}

static void replay_write_row(int64_t t, const struct replay_row *row)
{
	printf("%lld,%s,", (long long)t, state_name(row->state));
	csv_write_number(stdout, row->value);
	putchar(',');
	csv_write_number(stdout, row->slope);
	putchar(',');
	csv_write_number(stdout, isnan(row->time_left) ? NAN : round(row->time_left));
	putchar('\n');
}

int plugin_replay(const struct plugin_common *c, const char *value_name, enum replay_columns cols,
                  plugin_replay_fn eval, void *ctx)
{
	struct sample *s;
	size_t n;
	char err[512];
	FILE *f = strcmp(c->replay, "-") == 0 ? stdin : fopen(c->replay, "re");

	if (f == NULL)
		plugin_die(c, "--replay %s: %s", c->replay, strerror(errno));
	if (csv_read_samples(f, c->replay, &s, &n, err, sizeof(err)) != 0)
		plugin_die(c, "--replay: %s", err);
	if (f != stdin)
		fclose(f);
	/* Stable order by time: qsort is not stable, but rows with equal times
	 * are evaluated at the same `now` and see each other either way. */
	for (size_t i = 0; cols == REPLAY_CAPACITY_VALUE && i < n; i++) {
		double requests = s[i].value;

		s[i].value = s[i].capacity;
		s[i].capacity = requests;
	}
	qsort(s, n, sizeof(*s), cmp_sample_time);
	printf("time,state,%s,slope_per_s,time_left_s\n", value_name);
	for (size_t i = 0; i < n; i++) {
		struct replay_row row;

		eval(ctx, s, i + 1, s[i].t, &row);
		replay_write_row(s[i].t, &row);
	}
	free(s);
	return STATE_OK;
}

/* Insert CURRENT into the sorted history H[0..*N) (which has room for one more). */
static void insert_sorted(struct sample *h, size_t *n, const struct sample *current)
{
	size_t i = *n;

	while (i > 0 && h[i - 1].t > current->t) {
		h[i] = h[i - 1];
		i--;
	}
	h[i] = *current;
	(*n)++;
}

void plugin_history(const struct plugin_common *c, const char *dir, const char *key,
                    const struct sample *current, int64_t now, struct sample **hist, size_t *n,
                    char *notice, size_t noticelen)
{
	struct series *s;
	struct sample *h, *grown;
	char err[512];
	int64_t since = now - (int64_t)ceil(c->trend.window);

	plugin_doing("waiting for the history lock of %s", key);
	if (series_open(dir, key, SERIES_WRITE, &s, notice, noticelen, err, sizeof(err)) != 0)
		plugin_die(c, "history %s: %s", key, err);
	plugin_doing("reading the history of %s", key);
	if (series_load(s, since, &h, n, err, sizeof(err)) != 0)
		plugin_die(c, "history %s: %s", key, err);
	plugin_doing("writing the history of %s", key);
	if (series_add(s, current, 1, &c->keep, err, sizeof(err)) != 0)
		plugin_die(c, "history %s: %s", key, err);
	series_close(s);
	grown = realloc(h, (*n + 1) * sizeof(*h));
	if (grown == NULL)
		plugin_die(c, "out of memory");
	insert_sorted(grown, n, current);
	*hist = grown;
}

static void bad_option(const struct plugin_common *c, int opt, char **argv)
{
	const char *what = argv[optind - 1];

	if (opt == ':')
		plugin_die(c, "option %s needs a value; see %s --help", what,
		           program_invocation_short_name);
	plugin_die(c, "unknown option %s; see %s --help", what, program_invocation_short_name);
}

void plugin_parse(struct plugin_common *c, int argc, char **argv, const struct option *own,
                  const char *own_short, plugin_opt_fn fn, void *ctx, const char *help)
{
	struct option *longopts = plugin_options(own);
	char shortopts[128];
	int opt;

	snprintf(shortopts, sizeof(shortopts), ":%s%s", PLUGIN_COMMON_SHORTOPTS, own_short);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (opt == '?' || opt == ':')
			bad_option(c, opt, argv);
		if (fn(ctx, opt, optarg) == 0)
			plugin_common_opt(c, opt, optarg, help);
	}
	free(longopts);
	if (optind < argc)
		plugin_die(c, "unexpected argument '%s'; see %s --help", argv[optind],
		           program_invocation_short_name);
}

void plugin_evaluate(const struct plugin_common *c, const struct sample *hist, size_t n,
                     const struct sample *cur, int64_t now, int direction, double limit,
                     struct plugin_item *it)
{
	struct trend_params p = c->trend;
	char err[256];

	it->cur = *cur;
	it->pct = cur->capacity > 0 ? 100.0 * cur->value / cur->capacity : 0;
	p.direction = direction;
	p.limit = limit;
	if (trend_evaluate(hist, n, now, &p, &it->tr, err, sizeof(err)) != 0)
		plugin_die(c, "trend: %s", err);
}

void plugin_judge(const struct plugin_common *c, enum state level, struct plugin_item *it)
{
	it->state = state_worst(level, judge_trend(&c->time_left, &it->tr));
	if (it->tr.status == TREND_COLLECTING && c->insufficient_unknown)
		it->state = state_worst(it->state, STATE_UNKNOWN);
}

void plugin_replay_row(const struct plugin_item *it, struct replay_row *row)
{
	row->state = it->state;
	row->value = it->cur.value;
	row->slope = it->tr.status == TREND_ESTIMATED ? it->tr.slope : NAN;
	row->time_left = it->tr.time_left;
}

void plugin_collecting(const struct trend_result *t, char *buf, size_t len)
{
	char span[64], need[64];

	if (t->samples < t->samples_needed) {
		snprintf(buf, len, "collecting history (%zu of %zu samples)", t->samples,
		         t->samples_needed);
		return;
	}
	units_format_duration(t->span, span, sizeof(span));
	units_format_duration(t->span_needed, need, sizeof(need));
	snprintf(buf, len, "collecting history (%zu samples over %s, need %s)", t->samples, span,
	         need);
}

const char *plugin_segment_name(enum trend_segment s, int direction)
{
	switch (s) {
	case TREND_SEG_WINDOW:
		return "whole window";
	case TREND_SEG_RESIZE:
		return "since a resize";
	case TREND_SEG_STEP:
		return "since a level shift";
	case TREND_SEG_SAWTOOTH:
		return direction > 0 ? "periodic resets, judged on their peaks"
		                     : "periodic resets, judged on their troughs";
	case TREND_SEG_OVERDUE:
		return "since the last reset (resets stopped)";
	}
	return "?";
}

void plugin_perf_time_left(struct output *out, const struct plugin_common *c, const char *label,
                           const struct trend_result *t)
{
	struct perf *p = output_perf(out, label, t->time_left, "s");

	if (p == NULL)
		return;
	judge_time_left_range(c->time_left.warn, p->warn, sizeof(p->warn));
	judge_time_left_range(c->time_left.crit, p->crit, sizeof(p->crit));
}

/* True when A is a worse item than B: state, then less time left, then percent. */
static bool item_worse(const struct plugin_item *a, const struct plugin_item *b, int worse_pct)
{
	double ta = isnan(a->tr.time_left) ? INFINITY : a->tr.time_left;
	double tb = isnan(b->tr.time_left) ? INFINITY : b->tr.time_left;

	if (a->skip || b->skip)
		return b->skip && !a->skip;
	if (a->state != b->state)
		return state_worst(a->state, b->state) == a->state;
	if (ta != tb)
		return ta < tb;
	return worse_pct * (a->pct - b->pct) > 0;
}

void plugin_render(const struct plugin_common *c, struct output *out,
                   const struct plugin_item *items, size_t n, const struct plugin_view *v)
{
	size_t worst = 0;
	char text[OUTPUT_TEXT_MAX];

	out->service = c->service;
	for (size_t i = 1; i < n; i++)
		if (item_worse(&items[i], &items[worst], v->worse_pct))
			worst = i;
	out->state = items[worst].state;
	v->describe(v->ctx, &items[worst], text, sizeof(text));
	output_summary(out, "%s", text);
	for (size_t i = 0; i < n; i++) {
		if (items[i].notice[0] != '\0')
			output_line(out, "%s", items[i].notice);
		if (c->verbose > 0)
			v->detail(v->ctx, &items[i], text, sizeof(text));
		else if (i != worst)
			v->describe(v->ctx, &items[i], text, sizeof(text));
		if (c->verbose > 0 || i != worst)
			output_line(out, "%s", text);
		if (items[i].error[0] == '\0' && !items[i].skip)
			v->perf(v->ctx, &items[i], out);
	}
	output_render(out, stdout);
	exit(out->state);
}

void plugin_read_secret(const struct plugin_common *c, const char *option, const char *path,
                        char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	ssize_t got = 0, n;
	char *nl;

	if (fd < 0)
		plugin_die(c, "%s %s: %s", option, path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		plugin_die(c, "%s %s: not a regular file", option, path);
	if (st.st_mode & (S_IRGRP | S_IROTH))
		plugin_die(c, "%s %s is readable by others (mode %03o): chmod 600 it", option, path,
		           (unsigned)(st.st_mode & 0777));
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		plugin_die(c, "%s %s is writable by others (mode %03o): chmod 600 it", option, path,
		           (unsigned)(st.st_mode & 0777));
	while ((size_t)got < len - 1 && (n = read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	nl = strchr(buf, '\n');
	if (nl == NULL && (size_t)got == len - 1)
		plugin_die(c, "%s %s: the first line is too long (at most %zu characters)", option,
		           path, len - 2);
	if (nl != NULL)
		*nl = '\0';
	if (nl != NULL && nl > buf && nl[-1] == '\r')
		nl[-1] = '\0';
	if (buf[0] == '\0')
		plugin_die(c, "%s %s: the first line is empty", option, path);
}
