/*
 * sendmail_notice - send notices through one mail channel of a trendtrapd
 * config, the way the daemon does (config_load, a struct loop,
 * channel_mail_ops), and print each outcome.  The driver of
 * t/integration/mail_channel.sh, and a way to try a mail setup by hand:
 *
 *   sendmail_notice CONFIG CHANNEL [--kind problem] [--host H] ... [--and ...]
 *
 * The notice options describe one notice; --and starts another (a copy of
 * the one before with the next event id) that goes into the SAME message, as
 * a digest does.  --count N sends N such messages (event ids counting up).
 * Every message goes to every destination (recipient), or to --dest N only.
 * One line per outcome on stdout, in the order they arrive: "delivered ID",
 * "retry ID: REASON" or "dead ID: REASON", ID being the first event id of the
 * message, with "/DEST" appended when the channel has several destinations; a
 * send that could not even start prints "retry ID: REASON" too.
 * --close-after MS closes the channel MS milliseconds after the sends
 * started, then waits --linger MS (default 1000) for outcomes that must not
 * come, and prints "closed N" (N sends abandoned).  --print writes the message
 * the channel would send to the first destination (or --dest) to stdout
 * instead of sending anything.  The channel's log goes to stderr (debug
 * lines with -v).  Exit status: 0 when every message was delivered (or
 * printed), 1 otherwise, 2 on a usage or configuration error.
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
#include "clock.h"
#include "config.h"
#include "loop.h"
#include "mailmsg.h"
#include "notice.h"

#define MAX_NOTICES 64

#define USAGE                                                                                      \
	"usage: sendmail_notice CONFIG CHANNEL [--dest N] [--count N] [--timeout SECS]\n"          \
	"           [--close-after MS] [--linger MS] [--print] [-v]\n"                             \
	"           [--kind KIND] [--id N] [--host H] [--service S] [--state ST]\n"                \
	"           [--previous ST] [--output TEXT] [--perfdata TEXT] [--value V]\n"               \
	"           [--slope S] [--time-left SECS] [--at SECS] [--since SECS]\n"                   \
	"           [--history V,V,...] [--and (another notice in the same message) ...]\n"

struct run {
	struct loop *loop;
	struct loop_timer deadline, closer;
	void *state;        /* the channel, NULL once closed */
	size_t outstanding; /* sends started whose outcome has not arrived */
	size_t failed;      /* outcomes other than delivered */
	bool verbose;
	bool timed_out;
	bool closing; /* --close-after fired: outcomes now are errors */
	long linger_ms;
};

struct options {
	const char *config, *channel;
	long dest; /* -1: every destination */
	unsigned long count;
	double timeout;
	long close_after, linger;
	bool print;
	struct notice n[MAX_NOTICES];
	size_t nn; /* notices in one message, >= 1 */
};

static void on_log(void *arg, int priority, const char *fmt, va_list ap)
{
	const struct run *r = arg;

	if (priority > LOG_INFO && !r->verbose)
		return;
	fprintf(stderr, "sendmail_notice: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void on_done(void *arg, const char *id, enum channel_result result, double retry_after,
                    const char *reason)
{
	struct run *r = arg;

	(void)retry_after;
	if (r->closing)
		printf("outcome after close: ");
	if (result == CHANNEL_DELIVERED) {
		printf("delivered %s\n", id);
	} else {
		printf("%s %s: %s\n", result == CHANNEL_RETRY ? "retry" : "dead", id, reason);
		r->failed++;
	}
	fflush(stdout);
	if (r->outstanding > 0 && --r->outstanding == 0 && !r->closing)
		loop_stop(r->loop);
}

static void on_deadline(struct loop *l, void *arg)
{
	struct run *r = arg;

	r->timed_out = !r->closing;
	loop_stop(l);
}

static void on_close(struct loop *l, void *arg)
{
	struct run *r = arg;

	printf("closed %zu\n", r->outstanding);
	fflush(stdout);
	channel_mail_ops.close(r->state);
	r->state = NULL;
	r->closing = true;
	loop_timer_set(l, &r->deadline, loop_now() + r->linger_ms, on_deadline, r);
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

/* "1.5,2,3e9" into N's history. */
static bool parse_history(const char *s, struct notice *n)
{
	n->nhistory = 0;
	while (*s != '\0' && n->nhistory < NOTICE_HISTORY) {
		char *end;

		n->history[n->nhistory++] = strtod(s, &end);
		if (end == s || (*end != ',' && *end != '\0'))
			return false;
		s = *end == ',' ? end + 1 : end;
	}
	return *s == '\0';
}

#define TEXT(field) (field), sizeof(field)

/* Text options set the field as given (no cleaning: the channel must cope
 * with anything), cut to its buffer. */
static void set_raw(char *dst, size_t len, const char *value)
{
	snprintf(dst, len, "%s", value);
}

/* Apply option NAME with VALUE; false when the value is bad or NAME unknown. */
static bool apply_option(struct options *o, const char *name, const char *value)
{
	struct notice *n = &o->n[o->nn - 1];
	long long v;

	if (strcmp(name, "--dest") == 0 && parse_number(value, 0, 1000, &v))
		o->dest = (long)v;
	else if (strcmp(name, "--count") == 0 && parse_number(value, 1, 100000, &v))
		o->count = (unsigned long)v;
	else if (strcmp(name, "--timeout") == 0 && parse_number(value, 1, 3600, &v))
		o->timeout = (double)v;
	else if (strcmp(name, "--close-after") == 0 && parse_number(value, 0, 3600000, &v))
		o->close_after = (long)v;
	else if (strcmp(name, "--linger") == 0 && parse_number(value, 0, 3600000, &v))
		o->linger = (long)v;
	else if (strcmp(name, "--id") == 0 && parse_number(value, 1, INT64_MAX, &v))
		n->id = (uint64_t)v;
	else if (strcmp(name, "--time-left") == 0 && parse_number(value, -1, INT64_MAX, &v))
		n->time_left = v;
	else if (strcmp(name, "--at") == 0 && parse_number(value, 0, INT64_MAX, &v))
		n->at = v;
	else if (strcmp(name, "--since") == 0 && parse_number(value, 0, INT64_MAX, &v))
		n->since = v;
	else if (strcmp(name, "--kind") == 0)
		return parse_kind(value, &n->kind);
	else if (strcmp(name, "--state") == 0)
		return parse_state(value, &n->state);
	else if (strcmp(name, "--previous") == 0)
		return parse_state(value, &n->previous);
	else if (strcmp(name, "--history") == 0)
		return parse_history(value, n);
	else if (strcmp(name, "--host") == 0)
		set_raw(TEXT(n->host), value);
	else if (strcmp(name, "--service") == 0)
		set_raw(TEXT(n->service), value);
	else if (strcmp(name, "--output") == 0)
		set_raw(TEXT(n->output), value);
	else if (strcmp(name, "--perfdata") == 0)
		set_raw(TEXT(n->perfdata), value);
	else if (strcmp(name, "--value") == 0)
		set_raw(TEXT(n->value), value);
	else if (strcmp(name, "--slope") == 0)
		set_raw(TEXT(n->slope), value);
	else
		return false;
	return true;
}

static void defaults(struct options *o)
{
	struct notice *n = &o->n[0];
	int64_t now;

	memset(o, 0, sizeof(*o));
	o->dest = -1;
	o->count = 1;
	o->timeout = 30;
	o->close_after = -1;
	o->linger = 1000;
	o->nn = 1;
	if (clock_now(&now, NULL, 0) < 0)
		now = (int64_t)time(NULL);
	n->kind = NOTICE_PROBLEM;
	n->id = 1;
	n->state = RULES_CRITICAL;
	n->previous = RULES_OK;
	n->at = now;
	n->since = now - 3600;
	n->time_left = 7200;
	set_raw(TEXT(n->host), "web01");
	set_raw(TEXT(n->service), "disk");
	set_raw(TEXT(n->output), "DISK_TREND CRITICAL - / full in 2h");
	set_raw(TEXT(n->perfdata), "'/'=17105133568B;;;0;21474836480");
	set_raw(TEXT(n->value), "17105133568B");
	set_raw(TEXT(n->slope), "1.5e+06B/h");
}

/* argv[1..] into *O; returns 0, or -1 after printing why. */
static int parse_args(int argc, char **argv, struct options *o)
{
	defaults(o);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			continue;
		if (strcmp(argv[i], "--print") == 0) {
			o->print = true;
		} else if (strcmp(argv[i], "--and") == 0) {
			if (o->nn == MAX_NOTICES) {
				fprintf(stderr, "sendmail_notice: at most %d notices\n",
				        MAX_NOTICES);
				return -1;
			}
			o->n[o->nn] = o->n[o->nn - 1];
			o->n[o->nn].id++;
			o->nn++;
		} else if (strncmp(argv[i], "--", 2) == 0) {
			if (i + 1 >= argc || !apply_option(o, argv[i], argv[i + 1])) {
				fprintf(stderr, "sendmail_notice: bad option %s\n%s", argv[i],
				        USAGE);
				return -1;
			}
			i++;
		} else if (o->config == NULL) {
			o->config = argv[i];
		} else if (o->channel == NULL) {
			o->channel = argv[i];
		} else {
			fprintf(stderr, "sendmail_notice: unexpected %s\n%s", argv[i], USAGE);
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

/* Start every send; returns how many could not even start. */
static size_t send_all(const struct options *o, struct run *r)
{
	const struct channel_ops *ops = &channel_mail_ops;
	size_t ndest = ops->ndest(r->state), failed = 0;
	struct notice n[MAX_NOTICES];
	const struct notice *p[MAX_NOTICES];

	memcpy(n, o->n, sizeof(n));
	for (size_t k = 0; k < o->nn; k++)
		p[k] = &n[k];
	for (unsigned long i = 0; i < o->count; i++) {
		for (size_t d = 0; d < ndest; d++) {
			char id[64], err[256];

			if (o->dest >= 0 && (size_t)o->dest != d)
				continue;
			if (ndest > 1)
				snprintf(id, sizeof(id), "%" PRIu64 "/%zu", n[0].id, d);
			else
				snprintf(id, sizeof(id), "%" PRIu64, n[0].id);
			r->outstanding++;
			if (ops->send(r->state, d, id, p, o->nn, err, sizeof(err)) < 0) {
				r->outstanding--;
				printf("retry %s: %s\n", id, err);
				failed++;
			}
		}
		for (size_t k = 0; k < o->nn; k++)
			n[k].id += o->nn;
	}
	fflush(stdout);
	return failed;
}

/* --print: the message for the chosen destination, as the channel builds it. */
static int print_message(const struct options *o, const struct config_mail *m)
{
	const struct notice *p[MAX_NOTICES];
	size_t dest = o->dest >= 0 ? (size_t)o->dest : 0, len;
	char *msg, err[256];
	int64_t now;

	if (dest >= m->nto || clock_now(&now, err, sizeof(err)) < 0) {
		fprintf(stderr, "sendmail_notice: no destination %zu, or a bad clock\n", dest);
		return 2;
	}
	for (size_t k = 0; k < o->nn; k++)
		p[k] = &o->n[k];
	if (mailmsg_build(p, o->nn, m->from, m->to[dest], now, &msg, &len, err, sizeof(err)) < 0) {
		fprintf(stderr, "sendmail_notice: %s\n", err);
		return 1;
	}
	fwrite(msg, 1, len, stdout);
	free(msg);
	return 0;
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
	size_t failed;

	if (o->dest >= 0 && o->dest >= (long)cc->mail.nto) {
		fprintf(stderr, "sendmail_notice: channel %s has %zu destinations\n", cc->name,
		        cc->mail.nto);
		return 2;
	}
	if (channel_mail_ops.open(cc, &env, &r->state, err, sizeof(err)) < 0) {
		fprintf(stderr, "sendmail_notice: channel %s: %s\n", cc->name, err);
		return 2;
	}
	r->linger_ms = o->linger;
	failed = send_all(o, r);
	if (o->close_after >= 0)
		loop_timer_set(r->loop, &r->closer, loop_now() + o->close_after, on_close, r);
	if (r->outstanding > 0 || o->close_after >= 0) {
		if (!loop_timer_armed(&r->deadline))
			loop_timer_set(r->loop, &r->deadline,
			               loop_now() + (int64_t)(o->timeout * 1000), on_deadline, r);
		if (loop_run(r->loop) < 0)
			fprintf(stderr, "sendmail_notice: poll: %s\n", strerror(errno));
	}
	if (r->timed_out)
		fprintf(stderr, "sendmail_notice: %zu outcome(s) missing after %.0f s\n",
		        r->outstanding, o->timeout);
	if (r->state != NULL)
		channel_mail_ops.close(r->state);
	loop_timer_clear(r->loop, &r->closer);
	loop_timer_clear(r->loop, &r->deadline);
	if (o->close_after >= 0)
		return r->failed == 0 ? 0 : 1;
	return failed == 0 && r->failed == 0 && r->outstanding == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct config_errors errs = {0};
	struct config *cfg = NULL;
	const struct config_channel *cc;
	static struct options o;
	struct run r = {0};
	int rc;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	for (int i = 1; i < argc; i++)
		r.verbose |= strcmp(argv[i], "-v") == 0;
	if (config_load(o.config, &cfg, &errs) < 0) {
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.v[i].text);
		config_errors_free(&errs);
		return 2;
	}
	cc = config_channel_find(cfg, o.channel);
	if (cc == NULL || cc->type != CONFIG_CHANNEL_MAIL) {
		fprintf(stderr, "sendmail_notice: %s: no mail channel \"%s\"\n", o.config,
		        o.channel);
		config_free(cfg);
		return 2;
	}
	if (o.print) {
		rc = print_message(&o, &cc->mail);
		config_free(cfg);
		return rc;
	}
	r.loop = loop_new();
	if (r.loop == NULL) {
		fprintf(stderr, "sendmail_notice: out of memory\n");
		config_free(cfg);
		return 2;
	}
	rc = run_channel(&o, cc, cfg, &r);
	loop_free(r.loop);
	config_free(cfg);
	return rc;
}
