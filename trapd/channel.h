/*
 * channel.h - the interface every notification channel implements (log, snmp;
 * mail and sms later).
 *
 * The daemon opens one instance per configured channel.  A channel has one or
 * more destinations (an SNMP channel: one per sink); each destination gets its
 * own outbox entries, so one unreachable sink does not hold back the others.
 * The daemon hands a notice to send(); the channel reports the outcome of
 * each send exactly once through env->done, possibly before send() returns
 * (a v2c trap is done once it left), possibly much later (an inform, when
 * acknowledged or timed out).  Network I/O goes through env->loop, never
 * blocks for long, and a channel never prints: it reports through env->log.
 */
#ifndef TT_CHANNEL_H
#define TT_CHANNEL_H

#include <stdarg.h>
#include <stddef.h>

#include "config.h"
#include "loop.h"
#include "notice.h"

enum channel_result {
	CHANNEL_DELIVERED, /* done: remove it from the outbox */
	CHANNEL_RETRY,     /* failed for now: retried with backoff until max_age */
	CHANNEL_DEAD,      /* will never work (e.g. refused as invalid): dead letter */
};

/* The outcome of send(ID).  REASON: a one-line message for the log and the
 * outbox ("" when delivered).  RETRY_AFTER: with CHANNEL_RETRY, the least
 * number of seconds to wait that the other side asked for (an HTTP
 * Retry-After), 0 when it said nothing. */
typedef void channel_done_fn(void *arg, const char *id, enum channel_result result,
                             double retry_after, const char *reason);

/* syslog priorities (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG). */
typedef void channel_log_fn(void *arg, int priority, const char *fmt, va_list ap);

struct channel_env {
	struct loop *loop;
	const char *state_dir;      /* the daemon's; a channel may keep files here,
	                               named "channel-<name>.*" */
	const char *enterprise_oid; /* config enterprise_oid, e.g. ".1.3.6.1.4.1.8072.9999.1" */
	channel_done_fn *done;
	void *done_arg;
	channel_log_fn *log;
	void *log_arg;
};

struct channel_ops {
	const char *type; /* "log", "snmp", ... as in the config */
	size_t window;    /* messages in flight per destination; 0: the daemon's
	                     DAEMON_DEST_WINDOW.  1 keeps a destination's order
	                     strict and its connection single (mail, sms). */

	/* Open CC (already validated by config_load) with ENV, which outlives the
	 * channel.  Returns 0 with *STATE set, or -1 with ERR set. */
	int (*open)(const struct config_channel *cc, const struct channel_env *env, void **state,
	            char *err, size_t errlen);

	/* How many destinations (>= 1); fixed while open. */
	size_t (*ndest)(void *state);

	/* A name for destination DEST in logs and status, e.g. "udp:127.0.0.1:162". */
	const char *(*dest_name)(void *state, size_t dest);

	/* Start delivering the COUNT notices N[0..COUNT) to destination DEST
	 * (< ndest) as ONE message: COUNT > 1 is a digest or a group (only for
	 * channels with rate_limit or group_wait, i.e. mail and sms; others
	 * always get 1).  ID (< 64 bytes) is copied and given back to env->done
	 * exactly once for the whole message.  Returns 0 when started (done may
	 * already have been called), or -1 with ERR set when it could not even
	 * start: then done is not called, the caller retries. */
	int (*send)(void *state, size_t dest, const char *id, const struct notice *const *n,
	            size_t count, char *err, size_t errlen);

	/* Close: sends in flight are abandoned without a done call (they are
	 * still in the outbox and will be sent again). */
	void (*close)(void *state);
};

extern const struct channel_ops channel_log_ops;
extern const struct channel_ops channel_snmp_ops;
extern const struct channel_ops channel_mail_ops;
extern const struct channel_ops channel_sms_ops;

/* Log through ENV (a channel's only way to speak). */
__attribute__((format(printf, 3, 4))) static inline void channel_log(const struct channel_env *env,
                                                                     int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	env->log(env->log_arg, prio, fmt, ap);
	va_end(ap);
}

/* The ops for a config channel type, or NULL when not built in. */
const struct channel_ops *channel_ops_for(enum config_channel_type type);

#endif
