/*
 * notify_log.c - the "log" channel: writes each notification to the daemon's
 * log and counts it delivered.  The example config uses it so that a new
 * installation shows what it would send before any real channel is set up.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "channel.h"

struct log_channel {
	const struct channel_env *env;
	char name[64];
};

static int log_open(const struct config_channel *cc, const struct channel_env *env, void **state,
                    char *err, size_t errlen)
{
	struct log_channel *ch = calloc(1, sizeof(*ch));

	if (ch == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ch->env = env;
	snprintf(ch->name, sizeof(ch->name), "%s", cc->name);
	*state = ch;
	return 0;
}

static size_t log_ndest(void *state)
{
	(void)state;
	return 1;
}

static const char *log_dest_name(void *state, size_t dest)
{
	(void)dest;
	return ((struct log_channel *)state)->name;
}

static int log_send(void *state, size_t dest, const char *id, const struct notice *const *n,
                    size_t count, char *err, size_t errlen)
{
	struct log_channel *ch = state;

	(void)dest;
	(void)err;
	(void)errlen;
	for (size_t i = 0; i < count; i++)
		channel_log(ch->env, LOG_NOTICE, "notify %s: %s %s/%s %s (was %s) event %llu: %s%s",
		            ch->name, notice_kind_name(n[i]->kind), n[i]->host, n[i]->service,
		            rules_state_name(n[i]->state), rules_state_name(n[i]->previous),
		            (unsigned long long)n[i]->id, n[i]->output,
		            count > 1 ? " (in a group)" : "");
	ch->env->done(ch->env->done_arg, id, CHANNEL_DELIVERED, 0, "");
	return 0;
}

static void log_close(void *state)
{
	free(state);
}

const struct channel_ops channel_log_ops = {
        .type = "log",
        .open = log_open,
        .ndest = log_ndest,
        .dest_name = log_dest_name,
        .send = log_send,
        .close = log_close,
};
