/*
 * daemon.c - trendtrapd's core (see daemon.h): the service table, the rules,
 * silences, routes and saving, driven by the event loop.  The channels and
 * the outbox: delivery.c; control commands on the socket: control.c.
 */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "daemon.h"
#include "daemon_int.h"
#include "errbuf.h"
#include "ingest.h"
#include "notice.h"
#include "outbox.h"
#include "sched.h"
#include "server.h"
#include "services.h"
#include "silence.h"
#include "units.h"

_Static_assert(SERVICES_VALUES <= NOTICE_HISTORY, "a notice carries a service's values");

/* ---- logging ---- */

void daemon_vlog(struct daemon *d, int prio, const char *fmt, va_list ap)
{
	char msg[2048];
	static const char *const names[] = {"emerg",   "alert",  "crit", "error",
	                                    "warning", "notice", "info", "debug"};

	if (prio == LOG_DEBUG && !d->verbose)
		return;
	if (!d->foreground) {
		vsyslog(prio, fmt, ap);
		return;
	}
	/* One write per line: stderr is unbuffered. */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "trendtrapd: %s: %s\n", names[prio & 7], msg);
}

void daemon_log(struct daemon *d, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	daemon_vlog(d, prio, fmt, ap);
	va_end(ap);
}

static void env_log(void *arg, int prio, const char *fmt, va_list ap)
{
	daemon_vlog(arg, prio, fmt, ap);
}

/* ---- time: rules work in unix seconds, the loop in monotonic ms ---- */

int64_t daemon_wall_now(void)
{
	return (int64_t)time(NULL);
}

int64_t daemon_mono_at(int64_t unix_at)
{
	int64_t delta = unix_at - daemon_wall_now();

	if (delta > INT64_MAX / 2000)
		delta = INT64_MAX / 2000;
	return loop_now() + (delta < 0 ? 0 : delta * 1000);
}

void daemon_wake_fired(struct loop *l, void *arg)
{
	(void)l;
	(void)arg; /* the idle hook that follows the timers does the work */
}

/* Make sure a loop round happens by AT (loop_now() ms). */
static void wake_at(struct daemon *d, int64_t at)
{
	if (!loop_timer_armed(&d->wake_timer) || d->wake_timer.at > at)
		loop_timer_set(d->loop, &d->wake_timer, at, daemon_wake_fired, d);
}

/* ---- events -> notices -> outbox ---- */

static unsigned state_bit(enum rules_state st)
{
	return st == RULES_WARNING    ? CONFIG_ROUTE_WARNING
	       : st == RULES_CRITICAL ? CONFIG_ROUTE_CRITICAL
	                              : CONFIG_ROUTE_UNKNOWN;
}

static unsigned route_bit(const struct notice *n)
{
	switch (n->kind) {
	case NOTICE_PROBLEM:
	case NOTICE_RENOTIFY:
		return state_bit(n->state);
	case NOTICE_RECOVERY:
		return CONFIG_ROUTE_RECOVERY;
	case NOTICE_FLAP_START:
	case NOTICE_FLAP_STOP:
		return CONFIG_ROUTE_FLAPPING;
	case NOTICE_STALE:
	case NOTICE_STALE_END:
		return CONFIG_ROUTE_STALE;
	case NOTICE_TEST:
		break;
	}
	return 0;
}

/* Queue N for every destination of CH.  Returns how many entries. */
size_t daemon_enqueue(struct daemon *d, struct chan *ch, const struct notice *n)
{
	char payload[8192], err[256];
	int len = notice_encode(n, payload, sizeof(payload));
	size_t queued = 0;

	if (len < 0 || (size_t)len >= sizeof(payload)) {
		daemon_log(d, LOG_ERR, "cannot encode a notification for %s/%s", n->host,
		           n->service);
		return 0;
	}
	for (size_t i = 0; i < ch->ndests; i++) {
		struct dest *t = &ch->dests[i];

		if (outbox_add(t->ob, t->key, payload, (size_t)len, daemon_wall_now(), NULL, 0, err,
		               sizeof(err)) < 0) {
			daemon_log(d, LOG_ERR, "%s: cannot queue %s %s/%s: %s", t->key,
			           notice_kind_name(n->kind), n->host, n->service, err);
			continue;
		}
		queued++;
	}
	return queued;
}

static void make_notice(const struct svc *s, const struct rules_event *ev, struct notice *n)
{
	memset(n, 0, sizeof(*n));
	n->kind = (enum notice_kind)ev->kind;
	n->id = ev->id;
	n->state = ev->state;
	n->previous = ev->previous;
	n->at = ev->at;
	n->since = ev->since;
	snprintf(n->host, sizeof(n->host), "%s", s->host);
	snprintf(n->service, sizeof(n->service), "%s", s->service);
	snprintf(n->output, sizeof(n->output), "%s", s->output ? s->output : "");
	snprintf(n->perfdata, sizeof(n->perfdata), "%s", s->perfdata ? s->perfdata : "");
	notice_perf_extract(n, n->perfdata);
	n->nhistory = services_values(s, n->history);
}

_Static_assert(SERVICES_ROUTES >= CONFIG_ESCALATING_ROUTES,
               "an escalation bit for every route with after");

/* Does route R (index RI) take notice N of service S?  Routes with `after`
 * (escalation) take a problem only once it lasted that long unacknowledged,
 * and then its renotifications and recovery; nothing else. */
static bool route_takes(const struct config_route *rt, size_t ri, const struct svc *s,
                        const struct notice *n, unsigned bit)
{
	bool acked = s->acked_problem_id != 0 && s->acked_problem_id == n->id;
	bool escalated = ri < SERVICES_ROUTES && (s->escalated >> ri & 1);

	if (!(rt->states & bit) || fnmatch(rt->match_host, n->host, 0) != 0 ||
	    fnmatch(rt->match_service, n->service, 0) != 0)
		return false;
	if (n->kind == NOTICE_RENOTIFY && acked)
		return false; /* acknowledged: no reminders */
	if (rt->after <= 0 || ri >= SERVICES_ROUTES || n->kind == NOTICE_TEST)
		return true;
	switch (n->kind) {
	case NOTICE_PROBLEM:
		return escalated || (!acked && (double)(n->at - n->since) >= rt->after);
	case NOTICE_RENOTIFY:
	case NOTICE_RECOVERY:
		return escalated;
	default:
		return false;
	}
}

/* Send N of service S along every route that takes it (ESCALATING: only
 * the routes with `after` that did not take it yet); returns the entries
 * queued.  Escalating routes that take a problem are remembered in S. */
static size_t route(struct daemon *d, struct svc *s, const struct notice *n, bool escalating)
{
	const struct config *cfg = d->cfg;
	bool *taken = calloc(d->nchans ? d->nchans : 1, sizeof(*taken));
	unsigned bit = route_bit(n);
	size_t queued = 0;

	if (taken == NULL)
		return 0;
	for (size_t r = 0; r < cfg->nroutes; r++) {
		const struct config_route *rt = &cfg->routes[r];

		if (escalating &&
		    (rt->after <= 0 || r >= SERVICES_ROUTES || (s->escalated >> r & 1)))
			continue;
		if (!route_takes(rt, r, s, n, bit))
			continue;
		if (rt->after > 0 && r < SERVICES_ROUTES && n->kind == NOTICE_PROBLEM)
			s->escalated |= (uint64_t)1 << r;
		for (size_t c = 0; c < rt->nchannels; c++) {
			struct chan *ch = delivery_find_chan(d, rt->channels[c]->name);
			size_t k = ch != NULL ? (size_t)(ch - d->chans) : 0;

			if (ch == NULL || taken[k])
				continue;
			taken[k] = true;
			queued += daemon_enqueue(d, ch, n);
		}
	}
	free(taken);
	return queued;
}

/* When the open problem of S is due at an escalating route that has not
 * taken it yet; INT64_MAX when never (no problem, acknowledged, silenced
 * then or not). */
static int64_t escalation_due(const struct daemon *d, const struct svc *s)
{
	const struct config *cfg = d->cfg;
	int64_t due = INT64_MAX;

	if (s->rs.problem_id == 0 || s->rs.notified == RULES_OK ||
	    s->acked_problem_id == s->rs.problem_id)
		return INT64_MAX;
	for (size_t r = 0; r < cfg->nroutes && r < SERVICES_ROUTES; r++) {
		const struct config_route *rt = &cfg->routes[r];
		int64_t at = s->rs.problem_since + (int64_t)rt->after;

		if (rt->after <= 0 || (s->escalated >> r & 1) || at >= due ||
		    !(rt->states & state_bit(s->rs.notified)) ||
		    fnmatch(rt->match_host, s->host, 0) != 0 ||
		    fnmatch(rt->match_service, s->service, 0) != 0)
			continue;
		due = at;
	}
	return due;
}

static void emit(struct daemon *d, struct svc *s, const struct rules_event *ev)
{
	struct notice n;
	const struct silence *sil;
	size_t queued;

	make_notice(s, ev, &n);
	d->events_total++;
	d->events = true;
	if (n.kind == NOTICE_PROBLEM && n.previous == RULES_OK)
		s->escalated = 0; /* a new problem */
	if (n.kind == NOTICE_PROBLEM && n.previous != RULES_OK)
		s->acked_problem_id = 0; /* a change of state ends an acknowledgement */
	if (n.kind == NOTICE_RECOVERY && s->sent_problem_id != n.id) {
		daemon_log(d, LOG_INFO,
		           "%s/%s: recovery not sent: its problem was not (event %" PRIu64 ")",
		           s->host, s->service, n.id);
		return;
	}
	sil = silence_match(&d->silences, s->host, s->service, daemon_wall_now());
	if (sil != NULL) {
		d->silenced++;
		daemon_log(d, LOG_INFO, "%s/%s: %s %s silenced by silence %" PRIu64 " (%s)",
		           s->host, s->service, notice_kind_name(n.kind), rules_state_name(n.state),
		           sil->id, sil->comment);
		return;
	}
	queued = route(d, s, &n, false);
	if (n.kind == NOTICE_RECOVERY)
		s->escalated = 0;
	if (queued == 0) {
		d->unrouted++;
		daemon_log(d, LOG_INFO, "%s/%s: %s %s: no route takes it", s->host, s->service,
		           notice_kind_name(n.kind), rules_state_name(n.state));
		return;
	}
	d->queued += queued;
	if (n.kind == NOTICE_PROBLEM)
		s->sent_problem_id = n.id;
	daemon_log(d, LOG_INFO, "%s/%s: %s %s (was %s), event %" PRIu64 ": %zu queued", s->host,
	           s->service, notice_kind_name(n.kind), rules_state_name(n.state),
	           rules_state_name(n.previous), n.id, queued);
}

/* ---- services ---- */

static void svc_timer_fired(struct loop *l, void *arg);

void daemon_svc_arm(struct daemon *d, struct svc *s)
{
	int64_t at = rules_deadline(&s->rs, s->policy), esc = escalation_due(d, s);

	if (esc < at)
		at = esc;
	if (at == INT64_MAX)
		loop_timer_clear(d->loop, &s->timer);
	else
		loop_timer_set(d->loop, &s->timer, daemon_mono_at(at), svc_timer_fired, s);
}

/* The open problem of S lasted long enough unacknowledged for an escalating
 * route: send it there now (once per route and problem). */
static void escalate(struct daemon *d, struct svc *s)
{
	struct rules_event ev = {
	        .kind = RULES_PROBLEM,
	        .state = s->rs.notified,
	        .previous = RULES_OK,
	        .at = daemon_wall_now(),
	        .since = s->rs.problem_since,
	        .id = s->rs.problem_id,
	};
	struct notice n;
	size_t queued;
	uint64_t before = s->escalated;

	make_notice(s, &ev, &n);
	if (silence_match(&d->silences, s->host, s->service, ev.at) == NULL)
		queued = route(d, s, &n, true);
	else
		queued = 0; /* a silenced problem is not escalated either */
	/* Every route now due counts as done, taken or not, so that
	 * escalation_due() moves on. */
	for (size_t r = 0; r < d->cfg->nroutes && r < SERVICES_ROUTES; r++) {
		const struct config_route *rt = &d->cfg->routes[r];

		if (rt->after > 0 && (double)(ev.at - ev.since) >= rt->after &&
		    (rt->states & state_bit(ev.state)) &&
		    fnmatch(rt->match_host, s->host, 0) == 0 &&
		    fnmatch(rt->match_service, s->service, 0) == 0)
			s->escalated |= (uint64_t)1 << r;
	}
	if (queued == 0 && s->escalated == before)
		return;
	d->queued += queued;
	d->dirty = true;
	daemon_log(d, LOG_INFO,
	           "%s/%s: problem %s escalated after %llds unacknowledged, event %" PRIu64
	           ": %zu queued",
	           s->host, s->service, rules_state_name(n.state), (long long)(ev.at - ev.since),
	           n.id, queued);
}

static void svc_tick(struct daemon *d, struct svc *s)
{
	struct rules_event ev[RULES_MAX_EVENTS];
	size_t n = rules_tick(&s->rs, s->policy, daemon_wall_now(), &d->svcs.next_id, ev);

	for (size_t i = 0; i < n; i++)
		emit(d, s, &ev[i]);
	if (n > 0)
		d->dirty = true;
	if (escalation_due(d, s) <= daemon_wall_now())
		escalate(d, s);
	daemon_svc_arm(d, s);
}

static const struct rules_policy *policy_for(const struct config *cfg, const char *host,
                                             const char *service)
{
	for (size_t i = 0; i < cfg->nchecks; i++)
		if (strcmp(cfg->checks[i].name, service) == 0 &&
		    strcmp(cfg->checks[i].host, host) == 0)
			return &cfg->checks[i].policy;
	return &cfg->defaults;
}

/* One result, from the socket or a check. */
static void result(struct daemon *d, const char *host, const char *service, int rc,
                   const char *output, const char *perfdata)
{
	char out[NOTICE_OUTPUT_MAX], perf[NOTICE_PERFDATA_MAX];
	struct rules_event ev[RULES_MAX_EVENTS];
	int64_t now = daemon_wall_now();
	int created;
	struct svc *s = services_get(&d->svcs, host, service, now, &created);
	double value;
	size_t n;

	if (s == NULL) {
		daemon_log(d, LOG_ERR, "out of memory: result of %s/%s dropped", host, service);
		return;
	}
	if (created) {
		s->policy = policy_for(d->cfg, host, service);
		s->owner = d;
	}
	notice_set_text(out, sizeof(out), output, strlen(output));
	notice_set_text(perf, sizeof(perf), perfdata, strlen(perfdata));
	services_set_output(s, out, perf);
	if (perf[0] != '\0' && notice_perf_value(perf, &value))
		services_push_value(s, value);
	s->last = (enum rules_state)rc;
	n = rules_result(&s->rs, s->policy, (enum rules_state)rc, now, &d->svcs.next_id, ev);
	for (size_t i = 0; i < n; i++)
		emit(d, s, &ev[i]);
	d->dirty = true;
	daemon_svc_arm(d, s);
}

static void svc_timer_fired(struct loop *l, void *arg)
{
	struct svc *s = arg;

	(void)l;
	svc_tick(s->owner, s);
}

/* ---- saving the service table: in a child, so the loop never waits ---- */

static void save_background(struct daemon *d)
{
	pid_t pid;

	if (d->save_pid > 0)
		return; /* one at a time; dirty stays set for the next */
	pid = fork();
	if (pid == 0) {
		char err[256];

		/* The child: write the snapshot it inherited, and nothing else. */
		_exit(services_save(&d->svcs, d->services_path, err, sizeof(err)) == 0 ? 0 : 1);
	}
	if (pid < 0) {
		daemon_log(d, LOG_ERR, "cannot fork to save %s: %s", d->services_path,
		           strerror(errno));
		return;
	}
	d->save_pid = pid;
	d->dirty = d->events = false;
	d->last_save = loop_now();
}

static void save_foreground(struct daemon *d)
{
	char err[256];

	if (d->save_pid > 0) {
		waitpid(d->save_pid, NULL, 0);
		d->save_pid = 0;
	}
	if (services_save(&d->svcs, d->services_path, err, sizeof(err)) < 0)
		daemon_log(d, LOG_ERR, "%s", err);
	else
		d->dirty = d->events = false;
}

/* At the end of a round: save soon after events, and at least every
 * DAEMON_SAVE_EVERY seconds while results come in. */
static void maybe_save(struct daemon *d)
{
	int64_t due;

	if (!d->dirty)
		return;
	due = d->last_save + (d->events ? 200 : DAEMON_SAVE_EVERY * 1000);
	if (loop_now() >= due && d->save_pid == 0)
		save_background(d);
	else
		wake_at(d, due);
}

int daemon_reaped(struct daemon *d, pid_t pid, int status)
{
	if (pid == d->save_pid && d->save_pid > 0) {
		d->save_pid = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			daemon_log(d, LOG_ERR, "saving %s failed (status %d): will try again",
			           d->services_path, status);
			d->dirty = true;
		}
		return 1;
	}
	return d->sched != NULL && sched_reaped(d->sched, pid, status);
}

/* ---- the socket: result lines (control commands: control.c) ---- */

/* Rejected lines are logged at most 5 a second; the rest are counted and
 * the count logged once the second is over. */
static void reject_summary(struct daemon *d, int64_t now)
{
	if (now - d->reject_window < 1000)
		return;
	if (d->reject_quiet > 0)
		daemon_log(d, LOG_WARNING, "socket: %u more rejected lines not logged",
		           d->reject_quiet);
	d->reject_window = now;
	d->reject_logged = d->reject_quiet = 0;
}

static void on_reject(void *arg, struct server_conn *c, const char *msg)
{
	struct daemon *d = arg;

	reject_summary(d, loop_now());
	if (d->reject_logged++ < 5)
		daemon_log(d, LOG_WARNING, "socket: line %lu rejected: %s", server_lineno(c), msg);
	else
		d->reject_quiet++;
}

static void on_line(void *arg, struct server_conn *c, char *line, size_t len)
{
	struct daemon *d = arg;
	struct ingest_line in;
	char err[256];

	if (ingest_parse(line, len, &in, err, sizeof(err)) < 0) {
		server_rejected(c, err);
		return;
	}
	if (in.type == INGEST_CONTROL) {
		control_command(d, c, &in);
		return;
	}
	server_accepted(c);
	result(d, in.host, in.service, in.rc, in.output, in.perfdata);
}

/* ---- the end of every loop round ---- */

static void round_end(struct loop *l, void *arg)
{
	struct daemon *d = arg;

	(void)l;
	delivery_sync(d); /* durable before the first attempt */
	delivery_start(d);
	maybe_save(d);
	if (d->reject_quiet > 0) {
		reject_summary(d, loop_now());
		if (d->reject_quiet > 0)
			wake_at(d, d->reject_window + 1000);
	}
}

/* ---- the daemon's own checks ---- */

static void on_check(void *arg, const struct config_check *check, int rc, const char *output,
                     size_t len)
{
	struct daemon *d = arg;
	char line[NOTICE_OUTPUT_MAX + NOTICE_PERFDATA_MAX];
	char *bar, *nl;

	/* The first line is "output|perfdata"; long output is dropped. */
	nl = memchr(output, '\n', len);
	if (nl != NULL)
		len = (size_t)(nl - output);
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	memcpy(line, output, len);
	line[len] = '\0';
	len = strlen(line); /* a NUL byte ends it */
	bar = strchr(line, '|');
	if (bar != NULL)
		*bar++ = '\0';
	daemon_log(d, LOG_DEBUG, "check %s: %s: %s", check->name, rules_state_name(rc), line);
	result(d, check->host, check->name, rc, line, bar != NULL ? bar : "");
}

/* ---- life cycle ---- */

struct daemon *daemon_new(struct config *cfg, struct loop *l, bool foreground, bool verbose)
{
	struct daemon *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->cfg = cfg;
	d->loop = l;
	d->foreground = foreground;
	d->verbose = verbose;
	d->listen_fd = -1;
	d->env.loop = l;
	d->env.state_dir = cfg->state_dir;
	d->env.enterprise_oid = cfg->enterprise_oid;
	d->env.done = delivery_done;
	d->env.done_arg = d;
	d->env.log = env_log;
	d->env.log_arg = d;
	snprintf(d->services_path, sizeof(d->services_path), "%s/services", cfg->state_dir);
	snprintf(d->silences_path, sizeof(d->silences_path), "%s/silences", cfg->state_dir);
	snprintf(d->outbox_dir, sizeof(d->outbox_dir), "%s/outbox", cfg->state_dir);
	if (services_init(&d->svcs) < 0) {
		free(d);
		return NULL;
	}
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	return d;
}

const struct config *daemon_config(const struct daemon *d)
{
	return d->cfg;
}

static int make_dir(const char *dir, mode_t mode, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (mkdir(dir, mode) < 0 && errno != EEXIST)
		return errbuf_fail(err, errlen, "cannot create %s: %s", dir, strerror(errno));
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(dir, uid, gid) < 0)
		return errbuf_fail(err, errlen, "cannot chown %s: %s", dir, strerror(errno));
	return 0;
}

int daemon_open(struct daemon *d, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	const struct config_socket *so = &d->cfg->socket;

	if (make_dir(d->cfg->state_dir, 0750, uid, gid, err, errlen) < 0 ||
	    make_dir(d->outbox_dir, 0700, uid, gid, err, errlen) < 0)
		return -1;
	d->listen_fd = server_listen(so->path, so->mode, uid, gid, err, errlen);
	return d->listen_fd < 0 ? -1 : 0;
}

/* A state file that cannot be read is set aside, never fatal. */
static void set_aside(struct daemon *d, const char *path, const char *why)
{
	char aside[PATH_MAX + 32];

	snprintf(aside, sizeof(aside), "%s.corrupt-%lld", path, (long long)daemon_wall_now());
	if (rename(path, aside) < 0)
		daemon_log(d, LOG_ERR, "%s; cannot set it aside: %s", why, strerror(errno));
	else
		daemon_log(d, LOG_ERR, "%s; set aside as %s, starting without it", why, aside);
}

static void resume_service(struct svc *s, void *arg)
{
	struct daemon *d = arg;

	s->owner = d;
	s->policy = policy_for(d->cfg, s->host, s->service);
	rules_resume(&s->rs, daemon_wall_now());
	daemon_svc_arm(d, s);
}

/* FNV-1a over the bytes of P, continuing from H. */
static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ULL;
	return h;
}

/* What makes route RT the same route in another configuration: its
 * patterns, states, `after` and channels (not its place in the file). */
static uint64_t route_fingerprint(const struct config_route *rt)
{
	uint64_t h = 1469598103934665603ULL;

	h = fnv(h, rt->match_host, strlen(rt->match_host) + 1);
	h = fnv(h, rt->match_service, strlen(rt->match_service) + 1);
	h = fnv(h, &rt->states, sizeof(rt->states));
	h = fnv(h, &rt->after, sizeof(rt->after));
	for (size_t c = 0; c < rt->nchannels; c++)
		h = fnv(h, rt->channels[c]->name, strlen(rt->channels[c]->name) + 1);
	return h;
}

/* Move every service's escalation bits to the routes of CFG. */
static void set_routes(struct daemon *d, const struct config *cfg)
{
	uint64_t fp[SERVICES_ROUTES];
	size_t n = cfg->nroutes < SERVICES_ROUTES ? cfg->nroutes : SERVICES_ROUTES;

	for (size_t r = 0; r < n; r++)
		fp[r] = route_fingerprint(&cfg->routes[r]);
	services_set_routes(&d->svcs, fp, n);
}

static void load_state(struct daemon *d)
{
	char err[PATH_MAX + 256];

	if (services_load(&d->svcs, d->services_path, err, sizeof(err)) < 0)
		set_aside(d, d->services_path, err);
	set_routes(d, d->cfg);
	services_foreach(&d->svcs, resume_service, d);
	if (silence_load(&d->silences, d->silences_path, err, sizeof(err)) < 0)
		set_aside(d, d->silences_path, err);
	daemon_log(d, LOG_INFO, "%zu services and %zu silences restored", d->svcs.count,
	           d->silences.n);
}

int daemon_start(struct daemon *d, char *err, size_t errlen)
{
	load_state(d);
	if (delivery_switch(d, d->cfg, err, errlen) < 0)
		return -1;
	d->sched = sched_new(d->loop, on_check, d);
	if (d->sched == NULL || sched_set_checks(d->sched, d->cfg->checks, d->cfg->nchecks) < 0)
		return errbuf_fail(err, errlen, "out of memory");
	d->server =
	        server_new(d->loop, d->listen_fd, d->cfg->socket.max_line, on_line, on_reject, d);
	if (d->server == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	d->listen_fd = -1;
	loop_set_idle(d->loop, round_end, d);
	d->last_save = loop_now();
	return 0;
}

static void repolicy(struct svc *s, void *arg)
{
	struct daemon *d = arg;

	s->policy = policy_for(d->cfg, s->host, s->service);
	daemon_svc_arm(d, s);
}

static void warn_fixed(struct daemon *d, const struct config *n)
{
	const struct config *o = d->cfg;

	if (strcmp(o->socket.path, n->socket.path) != 0 || o->socket.mode != n->socket.mode)
		daemon_log(d, LOG_WARNING,
		           "reload: the socket's path and mode change at a restart");
	if (strcmp(o->user, n->user) != 0)
		daemon_log(d, LOG_WARNING, "reload: the user changes at a restart");
	if (strcmp(o->state_dir, n->state_dir) != 0)
		daemon_log(d, LOG_WARNING, "reload: state_dir changes at a restart");
}

int daemon_reload(struct daemon *d, struct config *n)
{
	struct config *old = d->cfg;
	char err[512];

	warn_fixed(d, n);
	/* Paths that do not change at a reload stay those of the old config. */
	free(n->state_dir);
	n->state_dir = strdup(old->state_dir);
	if (n->state_dir == NULL || delivery_switch(d, n, err, sizeof(err)) < 0) {
		daemon_log(d, LOG_ERR, "reload refused, the old config stays: %s",
		           n->state_dir ? err : "out of memory");
		config_free(n);
		return -1;
	}
	if (sched_set_checks(d->sched, n->checks, n->nchecks) < 0)
		daemon_log(d, LOG_ERR, "reload: out of memory: the checks stay as they were");
	d->cfg = n;
	d->env.state_dir = n->state_dir;
	set_routes(d, n);
	d->dirty = true; /* the routes' fingerprints */
	services_foreach(&d->svcs, repolicy, d);
	server_set_max_line(d->server, n->socket.max_line);
	config_free(old);
	daemon_log(d, LOG_NOTICE, "config %s reloaded: %zu checks, %zu channels, %zu routes",
	           n->path, n->nchecks, n->nchannels, n->nroutes);
	return 0;
}

static void clear_timer(struct svc *s, void *arg)
{
	struct daemon *d = arg;

	loop_timer_clear(d->loop, &s->timer);
}

void daemon_close(struct daemon *d)
{
	char err[256];

	if (d == NULL)
		return;
	sched_free(d->sched);
	server_free(d->server);
	if (d->listen_fd >= 0)
		close(d->listen_fd);
	delivery_close_states(d->chans, d->nchans);
	for (size_t i = 0; i < d->nchans; i++)
		for (size_t j = 0; j < d->chans[i].ndests; j++) {
			struct dest *t = &d->chans[i].dests[j];

			if (outbox_sync(t->ob, err, sizeof(err)) < 0)
				daemon_log(d, LOG_ERR, "%s: outbox: %s", t->key, err);
			outbox_close(t->ob);
		}
	delivery_free(d->chans, d->nchans);
	if (d->dirty || d->svcs.count > 0)
		save_foreground(d);
	services_foreach(&d->svcs, clear_timer, d);
	services_free(&d->svcs);
	silence_free(&d->silences);
	loop_timer_clear(d->loop, &d->wake_timer);
	loop_timer_clear(d->loop, &d->deliver_timer);
	loop_set_idle(d->loop, NULL, NULL);
	config_free(d->cfg);
	free(d);
}
