/*
 * control.c - trendtrapd's control commands on its socket (TRENDTRAP_SYNC,
 * _STATUS, _SILENCE_ADD, _SILENCE_LIST, _SILENCE_REMOVE, _TEST, _ACK): what
 * the trendtrap command asks the running daemon, answered on the same
 * connection.  Private to the daemon (see daemon_int.h); result lines are
 * daemon.c's.
 */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "daemon.h"
#include "daemon_int.h"
#include "ingest.h"
#include "notice.h"
#include "outbox.h"
#include "sched.h"
#include "server.h"
#include "services.h"
#include "silence.h"

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

	if (silence_add(&d->silences, in->args[0], in->args[1], in->args[2], daemon_wall_now(), &id,
	                err, sizeof(err)) < 0) {
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
	silence_expire(&d->silences, daemon_wall_now());
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
	struct chan *ch = delivery_find_chan(d, name);
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
	n.at = n.since = daemon_wall_now();
	n.time_left = -1;
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	notice_set_text(n.host, sizeof(n.host), host, strlen(host));
	snprintf(n.service, sizeof(n.service), "trendtrapd");
	snprintf(n.output, sizeof(n.output), "trendtrap test notification to channel %s",
	         ch->cc->name);
	d->dirty = true; /* next_id moved */
	queued = daemon_enqueue(d, ch, &n);
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
	daemon_svc_arm(a->d, s); /* no escalation due any more */
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

void control_command(struct daemon *d, struct server_conn *c, const struct ingest_line *in)
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
