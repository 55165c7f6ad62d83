/*
 * sendsms - send one message through an sms channel of a trendtrapd config,
 * the way the daemon does (config_load, a struct loop, channel_sms_ops), and
 * print each outcome.  The driver of t/integration/sms_channel.sh:
 *
 *   sendsms CONFIG CHANNEL [--dest N] [--group N] [--kind KIND] [--id N]
 *           [--host H] [--service S] [--state ST] [--previous ST]
 *           [--output TEXT] [--time-left SECS] [--timeout SECS] [--raw] [-v]
 *
 * The message goes to every destination (number) of the channel, or to
 * --dest N only; --group N makes it one message of N notices (a digest),
 * copies of the one described, with ids ID, ID+1, ...  --raw (before the
 * text options) copies host, service and output as given, control
 * characters included, where the daemon would clean them: to show that the
 * channel's encoding copes on its own.  One line per outcome
 * on stdout: "delivered ID", "retry ID after=SECONDS: REASON" or
 * "dead ID: REASON", with "/DEST" appended to ID when the channel has several
 * numbers.  A send that could not even start prints "retry ID after=0:
 * REASON".  The channel's log goes to stderr (debug lines with -v).  Exit
 * status: 0 when every message was delivered, 1 otherwise, 2 on a usage or
 * configuration error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "channel.h"
#include "config.h"
#include "loop.h"
#include "notice.h"

#define USAGE                                                                                      \
	"usage: sendsms CONFIG CHANNEL [--dest N] [--group N] [--kind KIND] [--id N]\n"            \
	"               [--host H] [--service S] [--state ST] [--previous ST]\n"                   \
	"               [--output TEXT] [--time-left SECS] [--timeout SECS] [--raw] [-v]\n"

struct run {
	struct loop *loop;
	struct loop_timer deadline;
	size_t outstanding; /* sends started whose outcome has not arrived */
	size_t failed;      /* outcomes other than delivered */
	bool verbose;
	bool timed_out;
};

struct options {
	const char *config, *channel;
	long dest; /* -1: every destination */
	unsigned long group;
	double timeout;
	bool raw; /* --raw: text options are copied as is, not cleaned */
	struct notice n;
};

static void on_log(void *arg, int priority, const char *fmt, va_list ap)
{
	const struct run *r = arg;

	if (priority > LOG_INFO && !r->verbose)
		return;
	fprintf(stderr, "sendsms: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void report(struct run *r, const char *id, enum channel_result result, double retry_after,
                   const char *reason)
{
	if (result == CHANNEL_DELIVERED)
		printf("delivered %s\n", id);
	else if (result == CHANNEL_RETRY)
		printf("retry %s after=%.0f: %s\n", id, retry_after, reason);
	else
		printf("dead %s: %s\n", id, reason);
	if (result != CHANNEL_DELIVERED)
		r->failed++;
	fflush(stdout);
}

static void on_done(void *arg, const char *id, enum channel_result result, double retry_after,
                    const char *reason)
{
	struct run *r = arg;

	report(r, id, result, retry_after, reason);
	if (r->outstanding > 0 && --r->outstanding == 0)
		loop_stop(r->loop);
}

static void on_deadline(struct loop *l, void *arg)
{
	struct run *r = arg;

	r->timed_out = true;
	loop_stop(l);
}

/* ---- options ---------------------------------------------------------------- */

static bool parse_number(const char *s, long long min, long long max, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return end != s && *end == '\0' && errno == 0 && *out >= min && *out <= max;
}

static bool parse_state(const char *s, enum rules_state *out)
{
	for (int st = RULES_OK; st <= RULES_UNKNOWN; st++)
		if (strcasecmp(s, rules_state_name((enum rules_state)st)) == 0) {
			*out = (enum rules_state)st;
			return true;
		}
	return false;
}

static bool parse_kind(const char *s, enum notice_kind *out)
{
	for (int k = NOTICE_PROBLEM; k <= NOTICE_TEST; k++)
		if (strcmp(s, notice_kind_name((enum notice_kind)k)) == 0) {
			*out = (enum notice_kind)k;
			return true;
		}
	return false;
}

#define TEXT(field) (field), sizeof(field)

/* A text field: cleaned as the daemon does, or with --raw copied as is
 * (control characters included) to show the channel copes with them too. */
static void set_text(const struct options *o, char *dst, size_t len, const char *value)
{
	if (o->raw)
		snprintf(dst, len, "%s", value);
	else
		notice_set_text(dst, len, value, strlen(value));
}

/* Apply option NAME with VALUE; false when the value is bad or NAME unknown. */
static bool apply_option(struct options *o, const char *name, const char *value)
{
	struct notice *n = &o->n;
	long long v;

	if (strcmp(name, "--dest") == 0 && parse_number(value, 0, 1000, &v))
		o->dest = (long)v;
	else if (strcmp(name, "--group") == 0 && parse_number(value, 1, 10000, &v))
		o->group = (unsigned long)v;
	else if (strcmp(name, "--timeout") == 0 && parse_number(value, 1, 3600, &v))
		o->timeout = (double)v;
	else if (strcmp(name, "--id") == 0 && parse_number(value, 1, INT64_MAX, &v))
		n->id = (uint64_t)v;
	else if (strcmp(name, "--time-left") == 0 && parse_number(value, -1, INT64_MAX, &v))
		n->time_left = v;
	else if (strcmp(name, "--kind") == 0)
		return parse_kind(value, &n->kind);
	else if (strcmp(name, "--state") == 0)
		return parse_state(value, &n->state);
	else if (strcmp(name, "--previous") == 0)
		return parse_state(value, &n->previous);
	else if (strcmp(name, "--host") == 0)
		set_text(o, TEXT(n->host), value);
	else if (strcmp(name, "--service") == 0)
		set_text(o, TEXT(n->service), value);
	else if (strcmp(name, "--output") == 0)
		set_text(o, TEXT(n->output), value);
	else
		return false;
	return true;
}

static void defaults(struct options *o)
{
	struct notice *n = &o->n;
	const char *output = "DISK_TREND CRITICAL - / 97%";

	memset(o, 0, sizeof(*o));
	o->dest = -1;
	o->group = 1;
	o->timeout = 30;
	n->id = 1;
	n->kind = NOTICE_PROBLEM;
	n->state = RULES_CRITICAL;
	n->previous = RULES_OK;
	n->at = (int64_t)time(NULL);
	n->since = n->at - 3600;
	n->time_left = 2 * 86400 + 3 * 3600;
	notice_set_text(TEXT(n->host), "web01", 5);
	notice_set_text(TEXT(n->service), "disk /", 6);
	notice_set_text(TEXT(n->output), output, strlen(output));
}

/* argv[1..] into *O; returns 0, or -1 after printing why. */
static int parse_args(int argc, char **argv, struct options *o, bool *verbose)
{
	defaults(o);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			*verbose = true;
		} else if (strcmp(argv[i], "--raw") == 0) {
			o->raw = true;
		} else if (strncmp(argv[i], "--", 2) == 0) {
			if (i + 1 >= argc || !apply_option(o, argv[i], argv[i + 1])) {
				fprintf(stderr, "sendsms: bad option %s\n%s", argv[i], USAGE);
				return -1;
			}
			i++;
		} else if (o->config == NULL) {
			o->config = argv[i];
		} else if (o->channel == NULL) {
			o->channel = argv[i];
		} else {
			fprintf(stderr, "sendsms: unexpected %s\n%s", argv[i], USAGE);
			return -1;
		}
	}
	if (o->channel == NULL) {
		fprintf(stderr, "%s", USAGE);
		return -1;
	}
	return 0;
}

/* ---- sending ---------------------------------------------------------------- */

/* Start the message to every chosen destination. */
static void send_all(const struct options *o, void *state, struct run *r)
{
	const struct channel_ops *ops = &channel_sms_ops;
	size_t ndest = ops->ndest(state);
	struct notice *v = calloc(o->group, sizeof(*v));
	const struct notice **p = calloc(o->group, sizeof(*p));

	if (v == NULL || p == NULL) {
		fprintf(stderr, "sendsms: out of memory\n");
		r->failed++;
		goto out;
	}
	for (size_t i = 0; i < o->group; i++) {
		v[i] = o->n;
		v[i].id = o->n.id + i;
		p[i] = &v[i];
	}
	for (size_t d = 0; d < ndest; d++) {
		char id[64], err[256];

		if (o->dest >= 0 && (size_t)o->dest != d)
			continue;
		if (ndest > 1)
			snprintf(id, sizeof(id), "%" PRIu64 "/%zu", o->n.id, d);
		else
			snprintf(id, sizeof(id), "%" PRIu64, o->n.id);
		r->outstanding++;
		if (ops->send(state, d, id, p, o->group, err, sizeof(err)) < 0) {
			r->outstanding--;
			report(r, id, CHANNEL_RETRY, 0, err);
		}
	}
out:
	free(v);
	free(p);
}

static int run_channel(const struct options *o, const struct config_channel *cc,
                       const struct config *cfg, struct run *r)
{
	struct channel_env env = {
	        .loop = r->loop,
	        .state_dir = cfg->state_dir,
	        .enterprise_oid = cfg->enterprise_oid,
	        .done = on_done,
	        .done_arg = r,
	        .log = on_log,
	        .log_arg = r,
	};
	char err[512];
	void *state;

	if (channel_sms_ops.open(cc, &env, &state, err, sizeof(err)) < 0) {
		fprintf(stderr, "sendsms: channel %s: %s\n", cc->name, err);
		return 2;
	}
	if (o->dest >= 0 && (size_t)o->dest >= channel_sms_ops.ndest(state)) {
		fprintf(stderr, "sendsms: channel %s has %zu destinations\n", cc->name,
		        channel_sms_ops.ndest(state));
		channel_sms_ops.close(state);
		return 2;
	}
	send_all(o, state, r);
	if (r->outstanding > 0) {
		loop_timer_set(r->loop, &r->deadline, loop_now() + (int64_t)(o->timeout * 1000),
		               on_deadline, r);
		if (loop_run(r->loop) < 0)
			fprintf(stderr, "sendsms: poll: %s\n", strerror(errno));
	}
	if (r->timed_out)
		fprintf(stderr, "sendsms: %zu outcome(s) missing after %.0f s\n", r->outstanding,
		        o->timeout);
	channel_sms_ops.close(state);
	return r->failed == 0 && r->outstanding == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct config_errors errs = {0};
	struct config *cfg = NULL;
	const struct config_channel *cc;
	struct options o;
	struct run r = {0};
	int rc;

	if (parse_args(argc, argv, &o, &r.verbose) < 0)
		return 2;
	if (config_load(o.config, &cfg, &errs) < 0) {
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.v[i].text);
		config_errors_free(&errs);
		return 2;
	}
	cc = config_channel_find(cfg, o.channel);
	if (cc == NULL || cc->type != CONFIG_CHANNEL_SMS) {
		fprintf(stderr, "sendsms: %s: no sms channel \"%s\"\n", o.config, o.channel);
		config_free(cfg);
		return 2;
	}
	if ((r.loop = loop_new()) == NULL) {
		fprintf(stderr, "sendsms: out of memory\n");
		config_free(cfg);
		return 2;
	}
	rc = run_channel(&o, cc, cfg, &r);
	loop_free(r.loop);
	config_free(cfg);
	return rc;
}
