/*
 * delivery.c - trendtrapd's channels and their destinations: each
 * destination's outbox, what is in flight there and its health; single
 * messages, digests and groups within its rate limit; and the switch to the
 * channels of a new config, outboxes and health taken over.  Private to the
 * daemon (see daemon_int.h).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "channel.h"
#include "daemon.h"
#include "daemon_int.h"
#include "errbuf.h"
#include "notice.h"
#include "outbox.h"

/* ---- destinations ---- */

static struct dest *find_dest(struct daemon *d, const char *key)
{
	for (size_t i = 0; i < d->nchans; i++)
		for (size_t j = 0; j < d->chans[i].ndests; j++)
			if (strcmp(d->chans[i].dests[j].key, key) == 0)
				return &d->chans[i].dests[j];
	return NULL;
}

struct chan *delivery_find_chan(struct daemon *d, const char *name)
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
	r = outbox_retry(t->ob, id, reason, daemon_wall_now(), &p, random32(), err, sizeof(err));
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
void delivery_done(void *arg, const char *token, enum channel_result result, double retry_after,
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
		t->last_ok = daemon_wall_now();
		t->delivered += count;
		daemon_log(d, LOG_DEBUG, "%s: %s: delivered (%zu notifications)", t->key, id,
		           count);
		break;
	case CHANNEL_RETRY:
		if (t->failures++ == 0)
			t->fail_since = daemon_wall_now();
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
		delivery_done(d, token, CHANNEL_RETRY, 0, err); /* could not even start */
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

void delivery_start(struct daemon *d)
{
	int64_t now = daemon_wall_now(), next = INT64_MAX;
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
		               daemon_wake_fired, d);
	else if (next != INT64_MAX)
		loop_timer_set(d->loop, &d->deliver_timer,
		               daemon_mono_at(next > now ? next : now + 1), daemon_wake_fired, d);
	else
		loop_timer_clear(d->loop, &d->deliver_timer);
}

void delivery_sync(struct daemon *d)
{
	char err[256];

	for (size_t i = 0; i < d->nchans; i++)
		for (size_t j = 0; j < d->chans[i].ndests; j++) {
			struct dest *t = &d->chans[i].dests[j];

			if (outbox_sync(t->ob, err, sizeof(err)) < 0)
				daemon_log(d, LOG_ERR, "%s: outbox: %s", t->key, err);
		}
}

/* ---- channels and their destinations ---- */

void delivery_free(struct chan *v, size_t n)
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

void delivery_close_states(struct chan *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].ops != NULL && v[i].state != NULL)
			v[i].ops->close(v[i].state);
}

/* Give every destination of the new channels an outbox: the old one of the
 * same key (taken over with its health), else a newly opened one. */
/* A destination whose oldest notification failed before (the daemon
 * stopped while it was failing) starts failing: strict order, its head
 * first when its retry is due, as if the daemon had never stopped;
 * otherwise a later notification (a recovery) could overtake it. */
static void resume_failing(struct dest *t)
{
	const struct outbox_item *head = outbox_first(t->ob);

	if (head == NULL || head->attempts == 0)
		return;
	t->failures = head->attempts;
	t->fail_since = daemon_wall_now();
	snprintf(t->last_error, sizeof(t->last_error), "%s", head->last_error);
}

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
			resume_failing(t);
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
int delivery_switch(struct daemon *d, const struct config *cfg, char *err, size_t errlen)
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
		delivery_close_states(v, n < cfg->nchannels ? n + 1 : n);
		delivery_free(v, cfg->nchannels);
		d->env.enterprise_oid = old_oid;
		return -1;
	}
	delivery_close_states(d->chans, d->nchans);
	take_over(d, v, n);
	delivery_free(d->chans, d->nchans);
	d->chans = v;
	d->nchans = n;
	return 0;
}
