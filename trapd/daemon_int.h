/*
 * daemon_int.h - private to trendtrapd's core: daemon.c (results, rules,
 * routes, saving, life cycle), delivery.c (channels, destinations and their
 * outboxes) and control.c (control commands on the socket).  Nothing else
 * includes it; the daemon's API is daemon.h.
 *
 * It holds the daemon's state and the few functions these files share.
 */
#ifndef TT_DAEMON_INT_H
#define TT_DAEMON_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "channel.h"
#include "config.h"
#include "ingest.h"
#include "loop.h"
#include "notice.h"
#include "server.h"
#include "services.h"
#include "silence.h"

#define KEY_MAX 64 /* outbox channel key "NAME:INDEX" */

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

/* ---- daemon.c ---- */

/* Now in unix seconds, the time the rules work in. */
int64_t daemon_wall_now(void);
/* The loop_now() ms of the unix second UNIX_AT (now if it is past). */
int64_t daemon_mono_at(int64_t unix_at);
/* A loop timer callback that only wakes the loop: its idle hook does the work. */
void daemon_wake_fired(struct loop *l, void *arg);
/* Queue N for every destination of CH.  Returns how many entries. */
size_t daemon_enqueue(struct daemon *d, struct chan *ch, const struct notice *n);
/* Arm the timer of S for its next rules deadline or escalation. */
void daemon_svc_arm(struct daemon *d, struct svc *s);

/* ---- delivery.c ---- */

/* The channel called NAME, or NULL. */
struct chan *delivery_find_chan(struct daemon *d, const char *name);
/* A channel's verdict on one message (channel_done_fn; ARG is the daemon). */
void delivery_done(void *arg, const char *token, enum channel_result result, double retry_after,
                   const char *reason);
/* outbox_sync() every destination's outbox: durable before the first attempt. */
void delivery_sync(struct daemon *d);
/* Start what is due at every destination and arm the delivery timer. */
void delivery_start(struct daemon *d);
/* Open the channels of CFG and switch to them.  On failure nothing changed. */
int delivery_switch(struct daemon *d, const struct config *cfg, char *err, size_t errlen);
/* Close the channel states of V[0..N) (not their outboxes). */
void delivery_close_states(struct chan *v, size_t n);
/* Free V[0..N) and their destinations (not their outboxes or states). */
void delivery_free(struct chan *v, size_t n);

/* ---- control.c ---- */

/* Run the control command IN that came on connection C, and reply on C. */
void control_command(struct daemon *d, struct server_conn *c, const struct ingest_line *in);

#endif
