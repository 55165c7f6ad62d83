/*
 * sendnotice - send notices through one channel of a trendtrapd config, the
 * way the daemon does (config_load, a struct loop, channel_snmp_ops), and
 * print each outcome.  The driver of t/integration/snmp_channel.sh, and a
 * way to try a channel by hand:
 *
 *   sendnotice CONFIG CHANNEL [--kind problem] [--count 3] [--output TEXT] ...
 *   sendnotice --print-oids [ROOT]
 *
 * One line per outcome on stdout, in the order they arrive:
 * "delivered ID", "retry ID: REASON" or "dead ID: REASON", where ID is the
 * event id (with "/DEST" appended when the channel has several
 * destinations).  A send that could not even start prints "retry ID:
 * REASON" too.  The channel's log goes to stderr (debug lines with -v).
 * Exit status: 0 when every notice was delivered, 1 otherwise, 2 on a usage
 * or configuration error.  --print-oids prints "NAME OID" for every
 * notification and object of TRENDTRAP-MIB under ROOT (default: the
 * default enterprise_oid).  Only snmp channels.
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
#include "notify_snmp.h"

#define USAGE                                                                                      \
	"usage: sendnotice CONFIG CHANNEL [--state-dir DIR] [--dest N] [--count N]\n"              \
	"                  [--kind KIND] [--id N] [--host H] [--service S] [--state ST]\n"         \
	"                  [--previous ST] [--output TEXT] [--perfdata TEXT] [--value V]\n"        \
	"                  [--slope S] [--time-left SECS] [--at SECS] [--since SECS]\n"            \
	"                  [--timeout SECS] [-v]\n"                                                \
	"       sendnotice --print-oids [ROOT]\n"

struct run {
	struct loop *loop;
	struct loop_timer deadline;
	size_t outstanding; /* sends started whose outcome has not arrived */
	size_t failed;      /* outcomes other than delivered */
	bool verbose;
	bool timed_out;
};

struct options {
	const char *config, *channel, *state_dir;
	long dest; /* -1: every destination */
	unsigned long count;
	double timeout;
	uint64_t first_id;
	struct notice n;
};

static void on_log(void *arg, int priority, const char *fmt, va_list ap)
{
	const struct run *r = arg;

	if (priority > LOG_INFO && !r->verbose)
		return;
	fprintf(stderr, "sendnotice: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void on_done(void *arg, const char *id, enum channel_result result, double retry_after,
                    const char *reason)
{
	struct run *r = arg;

	(void)retry_after;

	if (result == CHANNEL_DELIVERED) {
		printf("delivered %s\n", id);
	} else {
		printf("%s %s: %s\n", result == CHANNEL_RETRY ? "retry" : "dead", id, reason);
		r->failed++;
	}
	fflush(stdout);
	if (r->outstanding > 0 && --r->outstanding == 0)
		loop_stop(r->loop);
}

static void on_deadline(struct loop *l, void *arg)
{
	struct run *r = arg;

	r->timed_out = true;
	loop_stop(l);
}

static void print_oid(void *arg, const char *name, const char *oid)
{
	(void)arg;
	printf("%s %s\n", name, oid);
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

/* Apply option NAME with VALUE; false when the value is bad or NAME unknown. */
static bool apply_option(struct options *o, const char *name, const char *value)
{
	struct notice *n = &o->n;
	long long v;

	if (strcmp(name, "--state-dir") == 0)
		o->state_dir = value;
	else if (strcmp(name, "--dest") == 0 && parse_number(value, 0, 1000, &v))
		o->dest = (long)v;
	else if (strcmp(name, "--count") == 0 && parse_number(value, 1, 100000, &v))
		o->count = (unsigned long)v;
	else if (strcmp(name, "--timeout") == 0 && parse_number(value, 1, 3600, &v))
		o->timeout = (double)v;
	else if (strcmp(name, "--id") == 0 && parse_number(value, 1, INT64_MAX, &v))
		o->first_id = (uint64_t)v;
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
	else if (strcmp(name, "--host") == 0)
		notice_set_text(TEXT(n->host), value, strlen(value));
	else if (strcmp(name, "--service") == 0)
		notice_set_text(TEXT(n->service), value, strlen(value));
	else if (strcmp(name, "--output") == 0)
		notice_set_text(TEXT(n->output), value, strlen(value));
	else if (strcmp(name, "--perfdata") == 0)
		notice_set_text(TEXT(n->perfdata), value, strlen(value));
	else if (strcmp(name, "--value") == 0)
		notice_set_text(TEXT(n->value), value, strlen(value));
	else if (strcmp(name, "--slope") == 0)
		notice_set_text(TEXT(n->slope), value, strlen(value));
	else
		return false;
	return true;
}

static void defaults(struct options *o)
{
	struct notice *n = &o->n;
	const char *output = "DISK_TREND CRITICAL - / full in 2h";
	const char *perfdata = "'/'=17105133568B;;;0;21474836480";

	memset(o, 0, sizeof(*o));
	o->dest = -1;
	o->count = 1;
	o->timeout = 30;
	o->first_id = 1;
	n->kind = NOTICE_PROBLEM;
	n->state = RULES_CRITICAL;
	n->previous = RULES_OK;
	n->at = (int64_t)time(NULL);
	n->since = n->at - 3600;
	n->time_left = 7200;
	notice_set_text(TEXT(n->host), "web01", 5);
	notice_set_text(TEXT(n->service), "disk", 4);
	notice_set_text(TEXT(n->output), output, strlen(output));
	notice_set_text(TEXT(n->perfdata), perfdata, strlen(perfdata));
	notice_set_text(TEXT(n->value), "17105133568B", 12);
	notice_set_text(TEXT(n->slope), "1.5e+06B/h", 10);
}

/* argv[1..] into *O; returns 0, or -1 after printing why. */
static int parse_args(int argc, char **argv, struct options *o)
{
	int i;

	defaults(o);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			continue;
		if (strncmp(argv[i], "--", 2) == 0) {
			if (i + 1 >= argc || !apply_option(o, argv[i], argv[i + 1])) {
				fprintf(stderr, "sendnotice: bad option %s%s%s\n%s", argv[i],
				        i + 1 < argc ? " " : "", i + 1 < argc ? argv[i + 1] : "",
				        USAGE);
				return -1;
			}
			i++;
		} else if (o->config == NULL) {
			o->config = argv[i];
		} else if (o->channel == NULL) {
			o->channel = argv[i];
		} else {
			fprintf(stderr, "sendnotice: unexpected %s\n%s", argv[i], USAGE);
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
static size_t send_all(const struct options *o, void *state, struct run *r)
{
	const struct channel_ops *ops = &channel_snmp_ops;
	size_t ndest = ops->ndest(state), failed = 0;
	struct notice n = o->n;

	for (unsigned long i = 0; i < o->count; i++) {
		n.id = o->first_id + i;
		for (size_t d = 0; d < ndest; d++) {
			char id[64], err[256];

			if (o->dest >= 0 && (size_t)o->dest != d)
				continue;
			if (ndest > 1)
				snprintf(id, sizeof(id), "%" PRIu64 "/%zu", n.id, d);
			else
				snprintf(id, sizeof(id), "%" PRIu64, n.id);
			r->outstanding++;
			const struct notice *one = &n;

			if (ops->send(state, d, id, &one, 1, err, sizeof(err)) < 0) {
				r->outstanding--;
				printf("retry %s: %s\n", id, err);
				failed++;
			}
		}
	}
	fflush(stdout);
	return failed;
}

static int run_channel(const struct options *o, const struct config_channel *cc,
                       const struct config *cfg, struct run *r)
{
	struct channel_env env = {
	        .loop = r->loop,
	        .state_dir = o->state_dir != NULL ? o->state_dir : cfg->state_dir,
	        .enterprise_oid = cfg->enterprise_oid,
	        .done = on_done,
	        .done_arg = r,
	        .log = on_log,
	        .log_arg = r,
	};
	char err[512];
	void *state;
	size_t failed;

	if (o->dest >= 0 && o->dest >= (long)cc->snmp.nsinks) {
		fprintf(stderr, "sendnotice: channel %s has %zu destinations\n", cc->name,
		        cc->snmp.nsinks);
		return 2;
	}
	if (channel_snmp_ops.open(cc, &env, &state, err, sizeof(err)) < 0) {
		fprintf(stderr, "sendnotice: channel %s: %s\n", cc->name, err);
		return 2;
	}
	failed = send_all(o, state, r);
	if (r->outstanding > 0) {
		loop_timer_set(r->loop, &r->deadline, loop_now() + (int64_t)(o->timeout * 1000),
		               on_deadline, r);
		if (loop_run(r->loop) < 0)
			fprintf(stderr, "sendnotice: poll: %s\n", strerror(errno));
	}
	if (r->timed_out)
		fprintf(stderr, "sendnotice: %zu outcome(s) missing after %.0f s\n", r->outstanding,
		        o->timeout);
	channel_snmp_ops.close(state);
	return failed == 0 && r->failed == 0 && r->outstanding == 0 ? 0 : 1;
}

static int print_oids(int argc, char **argv)
{
	char err[256];

	if (argc > 3) {
		fprintf(stderr, "%s", USAGE);
		return 2;
	}
	if (notify_snmp_oids(argc == 3 ? argv[2] : NULL, print_oid, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "sendnotice: %s\n", err);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct config_errors errs = {0};
	struct config *cfg = NULL;
	const struct config_channel *cc;
	struct options o;
	struct run r = {0};
	int rc;

	if (argc >= 2 && strcmp(argv[1], "--print-oids") == 0)
		return print_oids(argc, argv);
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
	if (cc == NULL || cc->type != CONFIG_CHANNEL_SNMP) {
		fprintf(stderr, "sendnotice: %s: no snmp channel \"%s\"\n", o.config, o.channel);
		config_free(cfg);
		return 2;
	}
	r.loop = loop_new();
	if (r.loop == NULL) {
		fprintf(stderr, "sendnotice: out of memory\n");
		config_free(cfg);
		return 2;
	}
	rc = run_channel(&o, cc, cfg, &r);
	loop_free(r.loop);
	config_free(cfg);
	return rc;
}
