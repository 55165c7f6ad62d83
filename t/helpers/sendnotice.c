/*
 * sendnotice - send notices through one channel of a trendtrapd config, of
 * any type, the way the daemon does (config_load, a struct loop, the ops of
 * channel_ops_for()), and print each outcome.  The driver of
 * t/integration/snmp_channel.sh, mib.sh, mail_channel.sh and sms_channel.sh,
 * and a way to try a channel by hand:
 *
 *   sendnotice CONFIG CHANNEL [--kind problem] [--host H] ... [--and ...]
 *   sendnotice --print-oids [ROOT]
 *
 * Messages.  The notice options describe one notice; --and starts another (a
 * copy of the one before with the next event id) in the SAME message, and
 * --group N puts the last one N times into it (event ids counting up): a
 * digest, for the channels that send them (mail, sms).  --count N sends N
 * such messages, event ids counting on.  Every message goes to every
 * destination of the channel (sink, recipient, number), or to --dest N only.
 * Text options are cleaned as the daemon cleans them; with --raw (anywhere)
 * they are copied as given, control characters included, to show that the
 * channel copes on its own.
 *
 * Output.  One line per outcome on stdout, in the order they arrive:
 * "delivered ID", "retry ID after=SECONDS: REASON" (SECONDS: the least wait
 * the other side asked for, 0 when it said nothing) or "dead ID: REASON", ID
 * being the first event id of the message, with "/DEST" appended when the
 * channel has several destinations.  A send that could not even start prints
 * "retry ID after=0: REASON".  --close-after MS closes the channel MS
 * milliseconds after the sends started, waits --linger MS (default 1000) for
 * outcomes that must not come, and prints "closed N" (N sends abandoned).
 * --print writes the message a mail channel would send to its first
 * destination (or --dest) instead of sending anything.  --print-oids prints
 * "NAME OID" for every notification and object of TRENDTRAP-MIB under ROOT
 * (default: the default enterprise_oid).  The channel's log goes to stderr
 * (debug lines with -v).
 *
 * Exit status: 0 when every message was delivered (or printed, or abandoned
 * by --close-after), 1 otherwise, 2 on a usage or configuration error.
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
#include "notify_snmp.h"

#define USAGE                                                                                      \
	"usage: sendnotice CONFIG CHANNEL [--state-dir DIR] [--dest N] [--count N] [--group N]\n"  \
	"                  [--timeout SECS] [--close-after MS] [--linger MS] [--print] [--raw]\n"  \
	"                  [-v] [--kind KIND] [--id N] [--host H] [--service S] [--state ST]\n"    \
	"                  [--previous ST] [--output TEXT] [--perfdata TEXT] [--value V]\n"        \
	"                  [--slope S] [--time-left SECS] [--at SECS] [--since SECS]\n"            \
	"                  [--history V,V,...] [--and (another notice, same message) ...]\n"       \
	"       sendnotice --print-oids [ROOT]\n"

struct options {
	const char *config, *channel;
	const char *state_dir; /* NULL: the config's */
	long long dest;        /* -1: every destination */
	long long count;       /* messages to send */
	long long group;       /* the last notice this many times in each message */
	long long timeout;     /* seconds to wait for the outcomes */
	long long close_after; /* ms after the sends to close the channel; -1: never */
	long long linger;      /* ms to wait for outcomes after that close */
	bool print;            /* --print: show the mail message, send nothing */
	bool raw;              /* --raw: text options are copied as is, not cleaned */
	bool verbose;
	struct notice *n; /* the notices of one message (malloc()ed) */
	size_t nn;        /* how many, >= 1 */
};

struct run {
	const struct options *o;
	const struct channel_ops *ops;
	void *state; /* the open channel, NULL once closed */
	struct loop *loop;
	struct loop_timer deadline, closer;
	size_t outstanding; /* sends started whose outcome has not arrived */
	size_t failed;      /* outcomes other than delivered, and sends that did not start */
	bool timed_out;
	bool closing; /* --close-after fired: outcomes now are errors */
};

/* ---- outcomes --------------------------------------------------------------- */

static void on_log(void *arg, int priority, const char *fmt, va_list ap)
{
	const struct run *r = arg;

	if (priority > LOG_INFO && !r->o->verbose)
		return;
	fprintf(stderr, "sendnotice: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* One outcome line on stdout. */
static void report(struct run *r, const char *id, enum channel_result result, double retry_after,
                   const char *reason)
{
	if (r->closing)
		printf("outcome after close: ");
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
	if (r->outstanding > 0 && --r->outstanding == 0 && !r->closing)
		loop_stop(r->loop);
}

static void on_deadline(struct loop *l, void *arg)
{
	struct run *r = arg;

	r->timed_out = !r->closing;
	loop_stop(l);
}

/* --close-after: abandon what is in flight, then linger. */
static void on_close(struct loop *l, void *arg)
{
	struct run *r = arg;

	printf("closed %zu\n", r->outstanding);
	fflush(stdout);
	r->ops->close(r->state);
	r->state = NULL;
	r->closing = true;
	loop_timer_set(l, &r->deadline, loop_now() + r->o->linger, on_deadline, r);
}

static void print_oid(void *arg, const char *name, const char *oid)
{
	(void)arg;
	printf("%s %s\n", name, oid);
}

/* ---- option values ---------------------------------------------------------- */

static bool parse_number(const char *s, long long min, long long max, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return end != s && *end == '\0' && errno == 0 && *out >= min && *out <= max;
}

static bool parse_int64(const char *s, long long min, long long max, int64_t *out)
{
	long long v;

	if (!parse_number(s, min, max, &v))
		return false;
	*out = v;
	return true;
}

static bool parse_id(const char *s, uint64_t *out)
{
	long long v;

	if (!parse_number(s, 1, INT64_MAX, &v))
		return false;
	*out = (uint64_t)v;
	return true;
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

/* A text field: cleaned as the daemon does, or with --raw copied as is. */
static bool set_text(const struct options *o, char *dst, size_t len, const char *value)
{
	if (o->raw)
		snprintf(dst, len, "%s", value);
	else
		notice_set_text(dst, len, value, strlen(value));
	return true;
}

/* ---- options ---------------------------------------------------------------- */

enum opt {
	/* flags */
	OPT_VERBOSE,
	OPT_RAW,
	OPT_PRINT,
	OPT_AND,
	/* with a value: the run */
	OPT_STATE_DIR,
	OPT_DEST,
	OPT_COUNT,
	OPT_GROUP,
	OPT_TIMEOUT,
	OPT_CLOSE_AFTER,
	OPT_LINGER,
	/* with a value: the notice described last */
	OPT_KIND,
	OPT_ID,
	OPT_STATE,
	OPT_PREVIOUS,
	OPT_AT,
	OPT_SINCE,
	OPT_TIME_LEFT,
	OPT_HISTORY,
	OPT_HOST,
	OPT_SERVICE,
	OPT_OUTPUT,
	OPT_PERFDATA,
	OPT_VALUE,
	OPT_SLOPE,
};
#define OPT_FIRST_VALUED OPT_STATE_DIR /* options from here on take a value */

struct option_name {
	const char *name;
	enum opt opt;
};

static const struct option_name OPTIONS[] = {
        {"-v", OPT_VERBOSE},
        {"--raw", OPT_RAW},
        {"--print", OPT_PRINT},
        {"--and", OPT_AND},
        {"--state-dir", OPT_STATE_DIR},
        {"--dest", OPT_DEST},
        {"--count", OPT_COUNT},
        {"--group", OPT_GROUP},
        {"--timeout", OPT_TIMEOUT},
        {"--close-after", OPT_CLOSE_AFTER},
        {"--linger", OPT_LINGER},
        {"--kind", OPT_KIND},
        {"--id", OPT_ID},
        {"--state", OPT_STATE},
        {"--previous", OPT_PREVIOUS},
        {"--at", OPT_AT},
        {"--since", OPT_SINCE},
        {"--time-left", OPT_TIME_LEFT},
        {"--history", OPT_HISTORY},
        {"--host", OPT_HOST},
        {"--service", OPT_SERVICE},
        {"--output", OPT_OUTPUT},
        {"--perfdata", OPT_PERFDATA},
        {"--value", OPT_VALUE},
        {"--slope", OPT_SLOPE},
};

static const struct option_name *find_option(const char *arg)
{
	for (size_t i = 0; i < sizeof(OPTIONS) / sizeof(OPTIONS[0]); i++)
		if (strcmp(arg, OPTIONS[i].name) == 0)
			return &OPTIONS[i];
	return NULL;
}

/* Whether ARG is an option that takes a value. */
static bool takes_value(const char *arg)
{
	const struct option_name *on = find_option(arg);

	return on != NULL && on->opt >= OPT_FIRST_VALUED;
}

/* Whether ARGV holds the option FLAG (an option's value never counts). */
static bool has_flag(int argc, char **argv, const char *flag)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], flag) == 0)
			return true;
		i += takes_value(argv[i]);
	}
	return false;
}

/* Append K copies of the last notice, event ids counting up from it. */
static bool add_copies(struct options *o, size_t k)
{
	struct notice *v = realloc(o->n, (o->nn + k) * sizeof(*v));

	if (v == NULL)
		return false;
	o->n = v;
	for (size_t end = o->nn + k; o->nn < end; o->nn++) {
		v[o->nn] = v[o->nn - 1];
		v[o->nn].id++;
	}
	return true;
}

static bool apply_notice_option(const struct options *o, struct notice *n, enum opt opt,
                                const char *value)
{
	switch (opt) {
	case OPT_KIND:
		return parse_kind(value, &n->kind);
	case OPT_ID:
		return parse_id(value, &n->id);
	case OPT_STATE:
		return parse_state(value, &n->state);
	case OPT_PREVIOUS:
		return parse_state(value, &n->previous);
	case OPT_AT:
		return parse_int64(value, 0, INT64_MAX, &n->at);
	case OPT_SINCE:
		return parse_int64(value, 0, INT64_MAX, &n->since);
	case OPT_TIME_LEFT:
		return parse_int64(value, -1, INT64_MAX, &n->time_left);
	case OPT_HISTORY:
		return parse_history(value, n);
	case OPT_HOST:
		return set_text(o, TEXT(n->host), value);
	case OPT_SERVICE:
		return set_text(o, TEXT(n->service), value);
	case OPT_OUTPUT:
		return set_text(o, TEXT(n->output), value);
	case OPT_PERFDATA:
		return set_text(o, TEXT(n->perfdata), value);
	case OPT_VALUE:
		return set_text(o, TEXT(n->value), value);
	case OPT_SLOPE:
		return set_text(o, TEXT(n->slope), value);
	default:
		return false;
	}
}

/* Apply OPT with VALUE (NULL for a flag); false when either is bad. */
static bool apply_option(struct options *o, enum opt opt, const char *value)
{
	switch (opt) {
	case OPT_VERBOSE:
		o->verbose = true;
		return true;
	case OPT_RAW: /* parse_args() looked for it first */
		return true;
	case OPT_PRINT:
		o->print = true;
		return true;
	case OPT_AND:
		return add_copies(o, 1);
	case OPT_STATE_DIR:
		o->state_dir = value;
		return true;
	case OPT_DEST:
		return parse_number(value, 0, 1000, &o->dest);
	case OPT_COUNT:
		return parse_number(value, 1, 100000, &o->count);
	case OPT_GROUP:
		return parse_number(value, 1, 10000, &o->group);
	case OPT_TIMEOUT:
		return parse_number(value, 1, 3600, &o->timeout);
	case OPT_CLOSE_AFTER:
		return parse_number(value, 0, 3600000, &o->close_after);
	case OPT_LINGER:
		return parse_number(value, 0, 3600000, &o->linger);
	default:
		return apply_notice_option(o, &o->n[o->nn - 1], opt, value);
	}
}

/* CONFIG, then CHANNEL; false for anything more. */
static bool take_operand(struct options *o, const char *arg)
{
	if (arg[0] == '-')
		return false;
	if (o->config == NULL)
		o->config = arg;
	else if (o->channel == NULL)
		o->channel = arg;
	else
		return false;
	return true;
}

/* ARG, with VALUE when it takes one (NULL when it does not, or when missing). */
static bool take_argument(struct options *o, const char *arg, const char *value)
{
	const struct option_name *on = find_option(arg);

	if (on == NULL)
		return take_operand(o, arg);
	if (on->opt >= OPT_FIRST_VALUED && value == NULL)
		return false;
	return apply_option(o, on->opt, value);
}

/* The options before any argument is read: one notice, a disk filling up. */
static int defaults(struct options *o)
{
	struct notice *n;
	int64_t now;

	memset(o, 0, sizeof(*o));
	o->dest = -1;
	o->count = o->group = 1;
	o->timeout = 30;
	o->close_after = -1;
	o->linger = 1000;
	if ((o->n = n = calloc(1, sizeof(*n))) == NULL)
		return -1;
	o->nn = 1;
	if (clock_now(&now, NULL, 0) < 0)
		now = (int64_t)time(NULL);
	*n = (struct notice){.kind = NOTICE_PROBLEM,
	                     .id = 1,
	                     .state = RULES_CRITICAL,
	                     .previous = RULES_OK,
	                     .at = now,
	                     .since = now - 3600,
	                     .time_left = 2 * 86400 + 3 * 3600};
	set_text(o, TEXT(n->host), "web01");
	set_text(o, TEXT(n->service), "disk /");
	set_text(o, TEXT(n->output), "DISK_TREND CRITICAL - / 97%");
	set_text(o, TEXT(n->perfdata), "'/'=20830591386B;;;0;21474836480");
	set_text(o, TEXT(n->value), "20830591386B");
	set_text(o, TEXT(n->slope), "1.26e+07B/h");
	return 0;
}

/* argv[1..] into *O, over the defaults; returns 0, or -1 after printing why
 * (O->n is to be freed either way). */
static int parse_args(int argc, char **argv, struct options *o)
{
	if (defaults(o) < 0) {
		fprintf(stderr, "sendnotice: out of memory\n");
		return -1;
	}
	o->raw = has_flag(argc, argv, "--raw");
	for (int i = 1; i < argc; i++) {
		const char *value = takes_value(argv[i]) ? argv[i + 1] : NULL;

		if (!take_argument(o, argv[i], value)) {
			fprintf(stderr, "sendnotice: bad argument %s%s%s\n%s", argv[i],
			        value != NULL ? " " : "", value != NULL ? value : "", USAGE);
			return -1;
		}
		i += value != NULL;
	}
	if (o->channel == NULL) {
		fprintf(stderr, "%s", USAGE);
		return -1;
	}
	if (!add_copies(o, (size_t)o->group - 1)) {
		fprintf(stderr, "sendnotice: out of memory\n");
		return -1;
	}
	return 0;
}

/* ---- sending ---------------------------------------------------------------- */

/* Pointers to O's notices, as send() and mailmsg_build() take them; NULL when
 * out of memory. */
static const struct notice **notice_list(const struct options *o)
{
	const struct notice **p = calloc(o->nn, sizeof(*p));

	for (size_t k = 0; p != NULL && k < o->nn; k++)
		p[k] = &o->n[k];
	return p;
}

/* Start one message, the notices P[0..nn), to every chosen destination. */
static void send_message(const struct options *o, struct run *r, const struct notice *const *p)
{
	size_t ndest = r->ops->ndest(r->state);

	for (size_t d = 0; d < ndest; d++) {
		char id[64], err[256];

		if (o->dest >= 0 && (size_t)o->dest != d)
			continue;
		if (ndest > 1)
			snprintf(id, sizeof(id), "%" PRIu64 "/%zu", p[0]->id, d);
		else
			snprintf(id, sizeof(id), "%" PRIu64, p[0]->id);
		r->outstanding++;
		if (r->ops->send(r->state, d, id, p, o->nn, err, sizeof(err)) < 0) {
			r->outstanding--;
			report(r, id, CHANNEL_RETRY, 0, err);
		}
	}
}

/* Start the --count messages, event ids counting on from one to the next. */
static bool send_all(struct options *o, struct run *r)
{
	const struct notice **p = notice_list(o);

	if (p == NULL)
		return false;
	for (long long i = 0; i < o->count; i++) {
		send_message(o, r, p);
		for (size_t k = 0; k < o->nn; k++)
			o->n[k].id += o->nn;
	}
	free(p);
	return true;
}

/* Run the loop until every outcome arrived, --timeout passed, or
 * --close-after and its --linger did. */
static void wait_outcomes(const struct options *o, struct run *r)
{
	if (r->outstanding == 0 && o->close_after < 0)
		return;
	if (o->close_after >= 0)
		loop_timer_set(r->loop, &r->closer, loop_now() + o->close_after, on_close, r);
	loop_timer_set(r->loop, &r->deadline, loop_now() + o->timeout * 1000, on_deadline, r);
	if (loop_run(r->loop) < 0)
		fprintf(stderr, "sendnotice: poll: %s\n", strerror(errno));
	if (r->timed_out)
		fprintf(stderr, "sendnotice: %zu outcome(s) missing after %lld s\n", r->outstanding,
		        o->timeout);
}

/* Open CC, send, wait and close; the exit status. */
static int run_channel(struct options *o, const struct config_channel *cc, const struct config *cfg,
                       struct run *r)
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

	if (r->ops->open(cc, &env, &r->state, err, sizeof(err)) < 0) {
		fprintf(stderr, "sendnotice: channel %s: %s\n", cc->name, err);
		return 2;
	}
	if (o->dest >= (long long)r->ops->ndest(r->state)) {
		fprintf(stderr, "sendnotice: channel %s has %zu destinations\n", cc->name,
		        r->ops->ndest(r->state));
		r->ops->close(r->state);
		return 2;
	}
	if (!send_all(o, r)) {
		fprintf(stderr, "sendnotice: out of memory\n");
		r->failed++;
	}
	wait_outcomes(o, r);
	if (r->state != NULL)
		r->ops->close(r->state);
	loop_timer_clear(r->loop, &r->closer);
	loop_timer_clear(r->loop, &r->deadline);
	if (o->close_after >= 0)
		return r->failed == 0 ? 0 : 1;
	return r->failed == 0 && r->outstanding == 0 ? 0 : 1;
}

/* Send O's messages through CC; the exit status. */
static int send_notices(struct options *o, const struct config_channel *cc,
                        const struct config *cfg)
{
	struct run r = {.o = o, .ops = channel_ops_for(cc->type)};
	int rc;

	if (r.ops == NULL) {
		fprintf(stderr, "sendnotice: channel %s: its type is not built in\n", cc->name);
		return 2;
	}
	if ((r.loop = loop_new()) == NULL) {
		fprintf(stderr, "sendnotice: out of memory\n");
		return 2;
	}
	rc = run_channel(o, cc, cfg, &r);
	loop_free(r.loop);
	return rc;
}

/* ---- printing --------------------------------------------------------------- */

/* --print: the message for the chosen destination, as a mail channel builds it. */
static int print_message(const struct options *o, const struct config_channel *cc)
{
	const struct config_mail *m = &cc->mail;
	size_t dest = o->dest >= 0 ? (size_t)o->dest : 0, len;
	const struct notice **p;
	char *msg, err[256];
	int64_t now;
	int rc = 1;

	if (cc->type != CONFIG_CHANNEL_MAIL) {
		fprintf(stderr, "sendnotice: --print: %s is not a mail channel\n", cc->name);
		return 2;
	}
	if (dest >= m->nto || clock_now(&now, err, sizeof(err)) < 0) {
		fprintf(stderr, "sendnotice: no destination %zu, or a bad clock\n", dest);
		return 2;
	}
	if ((p = notice_list(o)) == NULL) {
		fprintf(stderr, "sendnotice: out of memory\n");
		return 2;
	}
	if (mailmsg_build(p, o->nn, m->from, m->to[dest], now, &msg, &len, err, sizeof(err)) < 0) {
		fprintf(stderr, "sendnotice: %s\n", err);
	} else {
		fwrite(msg, 1, len, stdout);
		free(msg);
		rc = 0;
	}
	free(p);
	return rc;
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

/* ---- main ------------------------------------------------------------------- */

/* PATH loaded, or NULL after printing its errors. */
static struct config *load_config(const char *path)
{
	struct config_errors errs = {0};
	struct config *cfg = NULL;

	if (config_load(path, &cfg, &errs) == 0)
		return cfg;
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.v[i].text);
	config_errors_free(&errs);
	return NULL;
}

int main(int argc, char **argv)
{
	struct options o;
	struct config *cfg = NULL;
	const struct config_channel *cc = NULL;
	int rc = 2;

	if (argc >= 2 && strcmp(argv[1], "--print-oids") == 0)
		return print_oids(argc, argv);
	if (parse_args(argc, argv, &o) == 0)
		cfg = load_config(o.config);
	if (cfg != NULL && (cc = config_channel_find(cfg, o.channel)) == NULL)
		fprintf(stderr, "sendnotice: %s: no channel \"%s\"\n", o.config, o.channel);
	if (cc != NULL)
		rc = o.print ? print_message(&o, cc) : send_notices(&o, cc, cfg);
	config_free(cfg);
	free(o.n);
	return rc;
}
