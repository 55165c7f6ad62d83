/*
 * daemon.c - trendtrapd's core (see daemon.h): the service table, the rules,
 * silences, routes, the outbox and the channels, driven by the event loop.
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
#include "errbuf.h"
#include "ingest.h"
#include "notice.h"
#include "outbox.h"
#include "sched.h"
#include "server.h"
#include "services.h"
#include "silence.h"
#include "units.h"

#define KEY_MAX 64 /* outbox channel key "NAME:INDEX" */

_Static_assert(SERVICES_VALUES <= NOTICE_HISTORY, "a notice carries a service's values");

/* One destination of a channel: the unit of delivery, order and health,
 * with its own outbox (STATE_DIR/outbox/NAME:INDEX), so that one dead
 * manager neither delays nor starves the others. */
struct dest {
	struct chan *chan;
	size_t index;
	char key[KEY_MAX]; /* "NAME:INDEX" */
	struct outbox *ob;
	char (*flight)[KEY_MAX]; /* outbox ids in flight, up to DAEMON_DEST_WINDOW */
	size_t nflight;
	char (*batch)[KEY_MAX]; /* the entries of the digest or group in flight;
	                           batch[0] is its id in flight[] */
	size_t nbatch;          /* 0: single messages only */
	double tokens;          /* rate limit bucket (see bucket_tokens) */
	int64_t bucket_at;      /* when it was last refilled; 0 = never */
	unsigned failures;      /* consecutive; > 0 = one attempt at a time */
	int64_t last_ok, fail_since;
	unsigned long long delivered;
	char last_error[200];
};

struct chan {
	const struct config_channel *cc;
	const struct channel_ops *ops;
	void *state;
	struct dest *dests;
	size_t ndests;
};

struct daemon {
	struct config *cfg;
	struct loop *loop;
	bool foreground, verbose;
	int listen_fd;
	struct server *server;
	struct sched *sched;
	struct services svcs;
	struct silences silences;
	struct chan *chans;
	size_t nchans;
	struct channel_env env;
	char services_path[PATH_MAX], silences_path[PATH_MAX], outbox_dir[PATH_MAX];
	bool dirty;                   /* services changed since the last save began */
	bool events;                  /* ... and some of the changes produced events */
	pid_t save_pid;               /* background save in progress */
	int64_t last_save;            /* loop_now() of the last save start */
	struct loop_timer wake_timer; /* runs the idle hook: a save or a log line due */
	struct loop_timer deliver_timer;
	unsigned long long events_total, queued, silenced, unrouted, dead;
	int64_t reject_window; /* rate limit of "rejected line" log lines */
	unsigned reject_logged, reject_quiet;
};

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

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

static int64_t mono_at(int64_t unix_at)
{
	int64_t delta = unix_at - wall_now();

	if (delta > INT64_MAX / 2000)
		delta = INT64_MAX / 2000;
	return loop_now() + (delta < 0 ? 0 : delta * 1000);
}

static void wake_fired(struct loop *l, void *arg)
{
	(void)l;
	(void)arg; /* the idle hook that follows the timers does the work */
}

/* Make sure a loop round happens by AT (loop_now() ms). */
static void wake_at(struct daemon *d, int64_t at)
{
	if (!loop_timer_armed(&d->wake_timer) || d->wake_timer.at > at)
		loop_timer_set(d->loop, &d->wake_timer, at, wake_fired, d);
}

/* ---- destinations ---- */

static struct dest *find_dest(struct daemon *d, const char *key)
{
	for (size_t i = 0; i < d->nchans; i++)
		for (size_t j = 0; j < d->chans[i].ndests; j++)
			if (strcmp(d->chans[i].dests[j].key, key) == 0)
				return &d->chans[i].dests[j];
	return NULL;
}

static struct chan *find_chan(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->nchans; i++)
		if (strcmp(d->chans[i].cc->name, name) == 0)
			return &d->chans[i];
	return NULL;
}

static void flight_remove(struct dest *t, const char *id)
{
	for (size_t i = 0; i < t->nflight; i++)
		if (strcmp(t->flight[i], id) == 0) {
			memcpy(t->flight[i], t->flight[--t->nflight], KEY_MAX);
			return;
		}
}

/* The id a channel is given for a message and gives back to on_done: the
 * outbox id qualified by its destination, "<id>@<chan>.<dest>", since the
 * outboxes of two destinations may hold the same id at the same time (a
 * notification routed to mail and sms is usually entry N of both). */
static void flight_token(const struct daemon *d, const struct dest *t, const char *id, char *tok,
                         size_t len)
{
	snprintf(tok, len, "%s@%zu.%zu", id, (size_t)(t->chan - d->chans), t->index);
}

/* The destination of a channel's TOKEN with its outbox id in ID (KEY_MAX
 * bytes), or NULL when it names no message in flight. */
static struct dest *flight_owner(struct daemon *d, const char *token, char *id)
{
	const char *at = strrchr(token, '@');
	size_t c, j;
	struct dest *t;

	if (at == NULL || (size_t)(at - token) >= KEY_MAX ||
	    sscanf(at + 1, "%zu.%zu", &c, &j) != 2 || c >= d->nchans || j >= d->chans[c].ndests)
		return NULL;
	memcpy(id, token, (size_t)(at - token));
	id[at - token] = '\0';
	t = &d->chans[c].dests[j];
	for (size_t k = 0; k < t->nflight; k++)
		if (strcmp(t->flight[k], id) == 0)
			return t;
	return NULL;
}

static struct outbox_policy retry_policy(const struct config_channel *cc)
{
	struct outbox_policy p = {
	        .initial = 1,
	        .max_delay = 300,
	        .factor = 2,
	        .jitter = 0.2,
	        .max_age = cc->max_age,
	};
	return p;
}

static uint32_t random32(void)
{
	return (uint32_t)random() ^ ((uint32_t)random() << 16);
}

/* Reschedule entry ID of T after a failure; returns true when it became a
 * dead letter (logged). */
static bool dest_retry(struct daemon *d, struct dest *t, const char *id, double retry_after,
                       const char *reason)
{
	struct outbox_policy p = retry_policy(t->chan->cc);
	char err[256];
	int r;

	if (retry_after > 0) { /* the other side said when: exactly then */
		p.initial = p.max_delay = retry_after;
		p.factor = 1;
		p.jitter = 0;
	}
	r = outbox_retry(t->ob, id, reason, wall_now(), &p, random32(), err, sizeof(err));
	if (r == 1) {
		d->dead++;
		daemon_log(d, LOG_ERR, "%s: %s: dead letter: %s", t->key, id, err);
	} else if (r < 0) {
		daemon_log(d, LOG_ERR, "%s: outbox: %s", t->key, err);
	}
	return r == 1;
}

static void dest_dead(struct daemon *d, struct dest *t, const char *id, const char *reason)
{
	char err[256];

	d->dead++;
	daemon_log(d, LOG_ERR, "%s: %s: dead letter: %s", t->key, id, reason);
	if (outbox_dead(t->ob, id, reason, err, sizeof(err)) < 0)
		daemon_log(d, LOG_ERR, "%s: outbox: %s", t->key, err);
}

/* The outcome of one message for its entry ID. */
static void settle(struct daemon *d, struct dest *t, const char *id, enum channel_result result,
                   double retry_after, const char *reason)
{
	char err[256];

	outbox_busy(t->ob, id, false);
	switch (result) {
	case CHANNEL_DELIVERED:
		if (outbox_done(t->ob, id, err, sizeof(err)) < 0)
			daemon_log(d, LOG_ERR, "%s: outbox: %s", t->key, err);
		break;
	case CHANNEL_RETRY:
		dest_retry(d, t, id, retry_after, reason);
		break;
	case CHANNEL_DEAD:
		dest_dead(d, t, id, reason);
		break;
	}
}

/* A channel's verdict on one message (channel_done_fn): the destination's
 * health changes once, every entry the message carried is settled. */
static void on_done(void *arg, const char *token, enum channel_result result, double retry_after,
                    const char *reason)
{
	struct daemon *d = arg;
	char id[KEY_MAX];
	struct dest *t = flight_owner(d, token, id);
	size_t count = 1;

	if (t == NULL) {
		daemon_log(d, LOG_ERR, "a channel reported on %s, which is not in flight", token);
		return;
	}
	flight_remove(t, id);
	if (t->nbatch > 0 && strcmp(t->batch[0], id) == 0)
		count = t->nbatch;
	switch (result) {
	case CHANNEL_DELIVERED:
		t->failures = 0;
		t->last_ok = wall_now();
		t->delivered += count;
		daemon_log(d, LOG_DEBUG, "%s: %s: delivered (%zu notifications)", t->key, id,
		           count);
		break;
	case CHANNEL_RETRY:
		if (t->failures++ == 0)
			t->fail_since = wall_now();
		snprintf(t->last_error, sizeof(t->last_error), "%s", reason);
		daemon_log(d, LOG_WARNING, "%s: %s (%zu notifications): will retry: %s", t->key, id,
		           count, reason);
		break;
	case CHANNEL_DEAD:
		break; /* logged per entry */
	}
	if (count == 1) {
		settle(d, t, id, result, retry_after, reason);
		return;
	}
	/* Settling may not touch the batch list again: take it. */
	char(*ids)[KEY_MAX] = t->batch;
	size_t n = t->nbatch;

	t->batch = NULL;
	t->nbatch = 0;
	for (size_t i = 0; i < n; i++)
		settle(d, t, ids[i], result, retry_after, reason);
	free(ids);
}

/* Send ITEMS[0..N) to T as one message (N > 1: a digest or a group).  Each
 * item stays valid until it is done or dead, which only this send does. */
static void deliver_message(struct daemon *d, struct dest *t, struct outbox_item **items, size_t n)
{
	struct notice *v = calloc(n, sizeof(*v));
	const struct notice **ptrs = calloc(n, sizeof(*ptrs));
	char(*ids)[KEY_MAX] = n > 1 ? calloc(n, KEY_MAX) : NULL;
	char err[256], id[KEY_MAX], token[KEY_MAX];
	size_t m = 0;

	if (v == NULL || ptrs == NULL || (n > 1 && ids == NULL)) {
		daemon_log(d, LOG_ERR, "%s: out of memory: delivery postponed", t->key);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char reason[300];

		if (notice_decode(items[i]->payload, items[i]->len, &v[m], err, sizeof(err)) < 0) {
			snprintf(reason, sizeof(reason), "cannot decode: %s", err);
			snprintf(id, sizeof(id), "%s", items[i]->id);
			dest_dead(d, t, id, reason);
			continue;
		}
		ptrs[m] = &v[m];
		if (ids != NULL)
			snprintf(ids[m], KEY_MAX, "%s", items[i]->id);
		else
			snprintf(id, sizeof(id), "%s", items[i]->id);
		m++;
	}
	if (m == 0)
		goto out;
	if (ids != NULL) {
		memcpy(id, ids[0], KEY_MAX);
		if (m > 1) {
			t->batch = ids;
			t->nbatch = m;
			ids = NULL;
		}
	}
	memcpy(t->flight[t->nflight++], id, KEY_MAX);
	for (size_t i = 0; i < m; i++)
		outbox_busy(t->ob, t->nbatch > 0 ? t->batch[i] : id, true);
	flight_token(d, t, id, token, sizeof(token));
	if (t->chan->ops->send(t->chan->state, t->index, token, ptrs, m, err, sizeof(err)) < 0)
		on_done(d, token, CHANNEL_RETRY, 0, err); /* could not even start */
out:
	free(ids);
	free(ptrs);
	free(v);
}

/* Rate limit: a bucket of rate_count messages refilled over rate_period. */
static double bucket_tokens(struct dest *t, int64_t now)
{
	const struct config_channel *cc = t->chan->cc;
	double refill;

	if (cc->rate_count == 0)
		return 1e9;
	if (t->bucket_at == 0) {
		t->tokens = cc->rate_count;
		t->bucket_at = now;
	}
	refill = (double)(now - t->bucket_at) * cc->rate_count / cc->rate_period;
	if (refill > 0) {
		t->tokens =
		        t->tokens + refill > cc->rate_count ? cc->rate_count : t->tokens + refill;
		t->bucket_at = now;
	}
	return t->tokens;
}

/* A destination with rate_limit or group_wait: one message at a time.  With
 * group_wait, what is due once the oldest waited that long goes as one
 * message; over the rate limit, the last message the limit allows carries
 * everything due (a digest), so nothing is dropped and nothing storms. */
static void deliver_batching(struct daemon *d, struct dest *t, int64_t now)
{
	const struct config_channel *cc = t->chan->cc;
	struct outbox_item **items;
	double tokens;
	size_t n;

	if (t->nflight > 0)
		return;
	items = calloc(DAEMON_BATCH_MAX, sizeof(*items));
	if (items == NULL)
		return;
	if (t->failures > 0) { /* strict order: only the head, when it is due */
		items[0] = outbox_first(t->ob);
		n = items[0] != NULL && !items[0]->busy && items[0]->next_at <= now;
	} else {
		n = outbox_due(t->ob, now, items, DAEMON_BATCH_MAX);
	}
	tokens = bucket_tokens(t, now);
	if (n == 0 || tokens < 1 ||
	    (cc->group_wait > 0 && (double)(now - items[0]->created) < cc->group_wait)) {
		free(items);
		return;
	}
	if (cc->rate_count > 0)
		t->tokens -= 1;
	if (cc->group_wait > 0 || (n > 1 && tokens < 2))
		deliver_message(d, t, items, n);
	else
		deliver_message(d, t, items, 1);
	free(items);
}

/* Start what is due at T, at most DAEMON_BURST messages: a burst of
 * unacknowledged UDP traps larger than that overflows a receiver's socket
 * buffer.  Returns true when more may be due now. */
static bool deliver_dest(struct daemon *d, struct dest *t, int64_t now)
{
	struct outbox_item *items[DAEMON_BURST];
	size_t window = t->chan->ops->window ? t->chan->ops->window : DAEMON_DEST_WINDOW;
	size_t room = (t->failures > 0 ? 1 : window), want;
	size_t n;

	if (t->chan->cc->rate_count > 0 || t->chan->cc->group_wait > 0) {
		deliver_batching(d, t, now);
		return false;
	}
	if (t->nflight >= room)
		return false;
	if (t->failures > 0) { /* strict order: only the head, when it is due */
		struct outbox_item *head = outbox_first(t->ob);

		if (head != NULL && !head->busy && head->next_at <= now)
			deliver_message(d, t, &head, 1);
		return false;
	}
	want = room - t->nflight < DAEMON_BURST ? room - t->nflight : DAEMON_BURST;
	n = outbox_due(t->ob, now, items, want);
	/* A destination that starts failing stops for this round, even when
	 * attempts fail at once. */
	for (size_t i = 0; i < n; i++) {
		deliver_message(d, t, &items[i], 1);
		if (t->failures > 0)
			return false;
	}
	return n == want && t->nflight < room;
}

static void deliver_all(struct daemon *d)
{
	int64_t now = wall_now(), next = INT64_MAX;
	bool more = false;

	for (size_t i = 0; i < d->nchans; i++)
		for (size_t j = 0; j < d->chans[i].ndests; j++) {
			struct dest *t = &d->chans[i].dests[j];
			int64_t at;

			more |= deliver_dest(d, t, now);
			at = outbox_next_due(t->ob);
			if (at < next && t->nflight == 0)
				next = at;
		}
	if (more) /* the next burst, after a breath for the receivers */
		loop_timer_set(d->loop, &d->deliver_timer, loop_now() + DAEMON_BURST_GAP,
		               wake_fired, d);
	else if (next != INT64_MAX)
		loop_timer_set(d->loop, &d->deliver_timer, mono_at(next > now ? next : now + 1),
		               wake_fired, d);
	else
		loop_timer_clear(d->loop, &d->deliver_timer);
}

static void sync_outboxes(struct daemon *d)
{
	char err[256];

	for (size_t i = 0; i < d->nchans; i++)
		for (size_t j = 0; j < d->chans[i].ndests; j++) {
			struct dest *t = &d->chans[i].dests[j];

			if (outbox_sync(t->ob, err, sizeof(err)) < 0)
				daemon_log(d, LOG_ERR, "%s: outbox: %s", t->key, err);
		}
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
static size_t enqueue(struct daemon *d, struct chan *ch, const struct notice *n)
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

		if (outbox_add(t->ob, t->key, payload, (size_t)len, wall_now(), NULL, 0, err,
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
			struct chan *ch = find_chan(d, rt->channels[c]->name);
			size_t k = ch != NULL ? (size_t)(ch - d->chans) : 0;

			if (ch == NULL || taken[k])
				continue;
			taken[k] = true;
			queued += enqueue(d, ch, n);
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
	sil = silence_match(&d->silences, s->host, s->service, wall_now());
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

static void svc_arm(struct daemon *d, struct svc *s)
{
	int64_t at = rules_deadline(&s->rs, s->policy), esc = escalation_due(d, s);

	if (esc < at)
		at = esc;
	if (at == INT64_MAX)
		loop_timer_clear(d->loop, &s->timer);
	else
		loop_timer_set(d->loop, &s->timer, mono_at(at), svc_timer_fired, s);
}

/* The open problem of S lasted long enough unacknowledged for an escalating
 * route: send it there now (once per route and problem). */
static void escalate(struct daemon *d, struct svc *s)
{
	struct rules_event ev = {
	        .kind = RULES_PROBLEM,
	        .state = s->rs.notified,
	        .previous = RULES_OK,
	        .at = wall_now(),
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
	size_t n = rules_tick(&s->rs, s->policy, wall_now(), &d->svcs.next_id, ev);

	for (size_t i = 0; i < n; i++)
		emit(d, s, &ev[i]);
	if (n > 0)
		d->dirty = true;
	if (escalation_due(d, s) <= wall_now())
		escalate(d, s);
	svc_arm(d, s);
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
	int64_t now = wall_now();
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
	svc_arm(d, s);
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

/* ---- the socket: result lines and control commands ---- */

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

static void format_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void status_service(struct svc *s, void *arg)
{
	struct server_conn *c = arg;
	char since[32], last[32];
	const struct rules_service *r = &s->rs;

	format_time(r->state != RULES_OK ? r->breach_since : 0, since, sizeof(since));
	format_time(r->nhist > 0 ? r->last_result : 0, last, sizeof(last));
	bool acked = r->problem_id != 0 && s->acked_problem_id == r->problem_id;

	server_reply(c, "+%s\t%s\t%s\t%s\t%s%s%s%s\t%s\t%s\t%s", s->host, s->service,
	             rules_state_name(s->last), rules_state_name(r->state),
	             r->notified != RULES_OK ? "notified" : "-", acked ? ",acked" : "",
	             r->flapping ? ",flapping" : "", r->stale ? ",stale" : "", since, last,
	             s->output ? s->output : "");
}

static void status_dests(struct daemon *d, struct server_conn *c)
{
	server_reply(c, "+DESTINATION\tTYPE\tHEALTH\tPENDING\tIN FLIGHT\tDELIVERED\tDEAD\tLAST OK\t"
	                "LAST ERROR");
	for (size_t i = 0; i < d->nchans; i++)
		for (size_t j = 0; j < d->chans[i].ndests; j++) {
			struct dest *t = &d->chans[i].dests[j];
			char ok[32], health[64];

			format_time(t->last_ok, ok, sizeof(ok));
			if (t->failures == 0)
				snprintf(health, sizeof(health), "ok");
			else
				snprintf(health, sizeof(health), "failing (%u)", t->failures);
			server_reply(c, "+%s %s\t%s\t%s\t%zu\t%zu\t%llu\t%zu\t%s\t%s", t->key,
			             t->chan->ops->dest_name(t->chan->state, t->index),
			             t->chan->ops->type, health, outbox_count(t->ob), t->nflight,
			             t->delivered, outbox_dead_count(t->ob), ok,
			             t->failures ? t->last_error : "-");
		}
}

static void cmd_status(struct daemon *d, struct server_conn *c)
{
	unsigned long long acc, rej;
	size_t clients;

	server_stats(d->server, &acc, &rej, &clients);
	server_reply(c,
	             "+services: %zu  events: %llu  queued: %llu  silenced: %llu  unrouted: "
	             "%llu  dead letters: %llu",
	             d->svcs.count, d->events_total, d->queued, d->silenced, d->unrouted, d->dead);
	server_reply(c, "+lines accepted: %llu  rejected: %llu  clients: %zu  checks running: %zu",
	             acc, rej, clients, d->sched ? sched_running(d->sched) : (size_t)0);
	server_reply(c, "+");
	status_dests(d, c);
	server_reply(c, "+");
	server_reply(c, "+HOST\tSERVICE\tLAST\tSUSTAINED\tFLAGS\tSINCE\tLAST RESULT\tOUTPUT");
	services_foreach(&d->svcs, status_service, c);
	server_reply(c, "OK");
}

static void save_silences(struct daemon *d, struct server_conn *c)
{
	char err[256];

	if (silence_save(&d->silences, d->silences_path, err, sizeof(err)) < 0) {
		daemon_log(d, LOG_ERR, "%s", err);
		server_reply(c, "ERR not saved: %s", err);
		return;
	}
	server_reply(c, "OK");
}

static void cmd_silence_add(struct daemon *d, struct server_conn *c, const struct ingest_line *in)
{
	char err[256], until[32];
	uint64_t id;
	const struct silence *sil;

	if (silence_add(&d->silences, in->args[0], in->args[1], in->args[2], wall_now(), &id, err,
	                sizeof(err)) < 0) {
		server_reply(c, "ERR %s", err);
		return;
	}
	sil = &d->silences.v[d->silences.n - 1];
	for (size_t i = 0; i < d->silences.n; i++)
		if (d->silences.v[i].id == id)
			sil = &d->silences.v[i];
	format_time(sil->until, until, sizeof(until));
	daemon_log(d, LOG_NOTICE, "silence %" PRIu64 " added: %s until %s: %s", id, sil->pattern,
	           until, sil->comment);
	if (silence_save(&d->silences, d->silences_path, err, sizeof(err)) < 0) {
		daemon_log(d, LOG_ERR, "%s", err);
		server_reply(c, "ERR silence %" PRIu64 " is in force but not saved: %s", id, err);
		return;
	}
	server_reply(c, "OK %" PRIu64 " %s", id, until);
}

static void cmd_silence_list(struct daemon *d, struct server_conn *c)
{
	silence_expire(&d->silences, wall_now());
	for (size_t i = 0; i < d->silences.n; i++) {
		const struct silence *s = &d->silences.v[i];
		char until[32];

		format_time(s->until, until, sizeof(until));
		server_reply(c, "+%" PRIu64 "\t%s\t%s\t%s", s->id, until, s->pattern, s->comment);
	}
	server_reply(c, "OK");
}

static void cmd_silence_remove(struct daemon *d, struct server_conn *c, const char *arg)
{
	char *end;
	unsigned long long id;

	errno = 0;
	id = strtoull(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || silence_remove(&d->silences, id) < 0) {
		server_reply(c, "ERR no silence %s", arg);
		return;
	}
	daemon_log(d, LOG_NOTICE, "silence %llu removed", id);
	save_silences(d, c);
}

static void cmd_test(struct daemon *d, struct server_conn *c, const char *name)
{
	struct chan *ch = find_chan(d, name);
	struct notice n;
	char host[NOTICE_HOST_MAX];
	size_t queued;

	if (ch == NULL) {
		server_reply(c, "ERR no channel %s", name);
		return;
	}
	memset(&n, 0, sizeof(n));
	n.kind = NOTICE_TEST;
	n.id = d->svcs.next_id++;
	n.at = n.since = wall_now();
	n.time_left = -1;
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	notice_set_text(n.host, sizeof(n.host), host, strlen(host));
	snprintf(n.service, sizeof(n.service), "trendtrapd");
	snprintf(n.output, sizeof(n.output), "trendtrap test notification to channel %s",
	         ch->cc->name);
	d->dirty = true; /* next_id moved */
	queued = enqueue(d, ch, &n);
	daemon_log(d, LOG_NOTICE,
	           "test notification %" PRIu64 " queued for %zu destination%s of %s", n.id, queued,
	           queued == 1 ? "" : "s", ch->cc->name);
	if (queued == 0)
		server_reply(c, "ERR could not queue the test notification (see the log)");
	else
		server_reply(c, "OK %zu queued", queued);
}

struct ack_ctx {
	struct daemon *d;
	char host[NOTICE_HOST_MAX * 2];
	const char *service; /* NULL: every service */
	const char *comment;
	size_t count;
};

static void ack_one(struct svc *s, void *arg)
{
	struct ack_ctx *a = arg;

	if (s->rs.problem_id == 0 || s->rs.notified == RULES_OK ||
	    s->acked_problem_id == s->rs.problem_id || fnmatch(a->host, s->host, 0) != 0 ||
	    (a->service != NULL && fnmatch(a->service, s->service, 0) != 0))
		return;
	s->acked_problem_id = s->rs.problem_id;
	a->count++;
	daemon_log(a->d, LOG_NOTICE, "%s/%s: problem %s (event %" PRIu64 ") acknowledged: %s",
	           s->host, s->service, rules_state_name(s->rs.notified), s->rs.problem_id,
	           a->comment);
	svc_arm(a->d, s); /* no escalation due any more */
}

/* TRENDTRAP_ACK;PATTERN;COMMENT: the open problems of the services that
 * PATTERN (HOST or HOST/SERVICE, fnmatch) names get no reminders and no
 * escalation until their state changes. */
static void cmd_ack(struct daemon *d, struct server_conn *c, const char *pattern,
                    const char *comment)
{
	struct ack_ctx a = {.d = d, .comment = comment};
	char *slash;

	if (pattern[0] == '\0' || comment[0] == '\0') {
		server_reply(c, "ERR an acknowledgement needs a pattern and a comment");
		return;
	}
	snprintf(a.host, sizeof(a.host), "%s", pattern);
	slash = strchr(a.host, '/');
	if (slash != NULL) {
		*slash = '\0';
		a.service = slash + 1;
	}
	services_foreach(&d->svcs, ack_one, &a);
	if (a.count == 0) {
		server_reply(c, "ERR no open problem matches %s", pattern);
		return;
	}
	d->dirty = d->events = true;
	server_reply(c, "OK %zu acknowledged", a.count);
}

static void control(struct daemon *d, struct server_conn *c, const struct ingest_line *in)
{
	const char *cmd = in->command;

	if (strcmp(cmd, "TRENDTRAP_SYNC") == 0)
		server_sync(c);
	else if (strcmp(cmd, "TRENDTRAP_STATUS") == 0)
		cmd_status(d, c);
	else if (strcmp(cmd, "TRENDTRAP_SILENCE_ADD") == 0)
		cmd_silence_add(d, c, in);
	else if (strcmp(cmd, "TRENDTRAP_SILENCE_LIST") == 0)
		cmd_silence_list(d, c);
	else if (strcmp(cmd, "TRENDTRAP_SILENCE_REMOVE") == 0)
		cmd_silence_remove(d, c, in->args[0]);
	else if (strcmp(cmd, "TRENDTRAP_TEST") == 0)
		cmd_test(d, c, in->args[0]);
	else if (strcmp(cmd, "TRENDTRAP_ACK") == 0)
		cmd_ack(d, c, in->args[0], in->args[1]);
	else
		server_reply(c, "ERR unknown command %s", cmd);
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
		control(d, c, &in);
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
	sync_outboxes(d); /* durable before the first attempt */
	deliver_all(d);
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

/* ---- channels and their destinations ---- */

static void free_chans(struct chan *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < v[i].ndests; j++) {
			free(v[i].dests[j].flight);
			free(v[i].dests[j].batch);
		}
		free(v[i].dests);
	}
	free(v);
}

/* Open the channel of CC into CH (its destinations without outboxes yet). */
static int open_chan(struct daemon *d, const struct config_channel *cc, struct chan *ch, char *err,
                     size_t errlen)
{
	ch->cc = cc;
	ch->ops = channel_ops_for(cc->type);
	if (ch->ops == NULL)
		return errbuf_fail(err, errlen,
		                   "%s:%d: channel \"%s\": this type is not built into "
		                   "trendtrapd yet",
		                   d->cfg ? d->cfg->path : "config", cc->line, cc->name);
	if (ch->ops->open(cc, &d->env, &ch->state, err, errlen) < 0) {
		ch->ops = NULL;
		return -1;
	}
	ch->ndests = ch->ops->ndest(ch->state);
	ch->dests = calloc(ch->ndests, sizeof(*ch->dests));
	if (ch->dests == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	for (size_t j = 0; j < ch->ndests; j++) {
		struct dest *t = &ch->dests[j];

		t->chan = ch;
		t->index = j;
		snprintf(t->key, sizeof(t->key), "%s:%zu", cc->name, j);
		t->flight = calloc(DAEMON_DEST_WINDOW, KEY_MAX);
		if (t->flight == NULL)
			return errbuf_fail(err, errlen, "out of memory");
	}
	return 0;
}

static void close_chan_states(struct chan *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].ops != NULL && v[i].state != NULL)
			v[i].ops->close(v[i].state);
}

/* Give every destination of the new channels an outbox: the old one of the
 * same key (taken over with its health), else a newly opened one. */
static int attach_outboxes(struct daemon *d, struct chan *v, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].ndests; j++) {
			struct dest *t = &v[i].dests[j], *old = find_dest(d, t->key);
			char dir[PATH_MAX];

			if (old != NULL)
				continue; /* taken over later, once nothing can fail */
			snprintf(dir, sizeof(dir), "%s/%s", d->outbox_dir, t->key);
			if (outbox_open(dir, &t->ob, err, errlen) < 0)
				return -1;
		}
	return 0;
}

static void detach_new_outboxes(struct daemon *d, struct chan *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].ndests; j++)
			if (find_dest(d, v[i].dests[j].key) == NULL) {
				outbox_close(v[i].dests[j].ob);
				v[i].dests[j].ob = NULL;
			}
}

/* The old channels are closed: their sends in flight are abandoned and
 * become due again.  Hand their outboxes to the new destinations. */
static void take_over(struct daemon *d, struct chan *v, size_t n)
{
	for (size_t i = 0; i < d->nchans; i++)
		for (size_t j = 0; j < d->chans[i].ndests; j++) {
			struct dest *old = &d->chans[i].dests[j], *t = NULL;

			for (size_t k = 0; k < old->nflight; k++)
				outbox_busy(old->ob, old->flight[k], false);
			for (size_t k = 0; k < old->nbatch; k++)
				outbox_busy(old->ob, old->batch[k], false);
			for (size_t a = 0; a < n && t == NULL; a++)
				for (size_t b = 0; b < v[a].ndests && t == NULL; b++)
					if (strcmp(v[a].dests[b].key, old->key) == 0)
						t = &v[a].dests[b];
			if (t == NULL) {
				if (outbox_count(old->ob) > 0)
					daemon_log(d, LOG_WARNING,
					           "%s is no longer configured: %zu "
					           "notifications stay in %s/%s until it is again",
					           old->key, outbox_count(old->ob), d->outbox_dir,
					           old->key);
				outbox_close(old->ob);
				continue;
			}
			t->ob = old->ob;
			t->failures = old->failures;
			t->last_ok = old->last_ok;
			t->fail_since = old->fail_since;
			t->delivered = old->delivered;
			memcpy(t->last_error, old->last_error, sizeof(t->last_error));
		}
}

/* Open the channels of CFG and switch to them.  On failure nothing changed. */
static int switch_chans(struct daemon *d, const struct config *cfg, char *err, size_t errlen)
{
	struct chan *v = calloc(cfg->nchannels ? cfg->nchannels : 1, sizeof(*v));
	const char *old_oid = d->env.enterprise_oid;
	size_t n = 0;

	if (v == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	d->env.enterprise_oid = cfg->enterprise_oid;
	for (; n < cfg->nchannels; n++)
		if (open_chan(d, &cfg->channels[n], &v[n], err, errlen) < 0)
			break;
	if (n < cfg->nchannels || attach_outboxes(d, v, n, err, errlen) < 0) {
		detach_new_outboxes(d, v, n < cfg->nchannels ? n + 1 : n);
		close_chan_states(v, n < cfg->nchannels ? n + 1 : n);
		free_chans(v, cfg->nchannels);
		d->env.enterprise_oid = old_oid;
		return -1;
	}
	close_chan_states(d->chans, d->nchans);
	take_over(d, v, n);
	free_chans(d->chans, d->nchans);
	d->chans = v;
	d->nchans = n;
	return 0;
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
	d->env.done = on_done;
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

	snprintf(aside, sizeof(aside), "%s.corrupt-%lld", path, (long long)wall_now());
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
	rules_resume(&s->rs, wall_now());
	svc_arm(d, s);
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
	if (switch_chans(d, d->cfg, err, errlen) < 0)
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
	svc_arm(d, s);
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
	if (n->state_dir == NULL || switch_chans(d, n, err, sizeof(err)) < 0) {
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
	close_chan_states(d->chans, d->nchans);
	for (size_t i = 0; i < d->nchans; i++)
		for (size_t j = 0; j < d->chans[i].ndests; j++) {
			struct dest *t = &d->chans[i].dests[j];

			if (outbox_sync(t->ob, err, sizeof(err)) < 0)
				daemon_log(d, LOG_ERR, "%s: outbox: %s", t->key, err);
			outbox_close(t->ob);
		}
	free_chans(d->chans, d->nchans);
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
