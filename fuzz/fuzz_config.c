/*
 * fuzz_config.c - libFuzzer target for config_load() (trapd/config.c), the
 * loader of trendtrapd.conf, with libconfuse underneath.
 *
 * config_load() reads a path, so the input is written (mode 0600) to a file
 * in this process's scratch directory. Secrets can be read: the directory
 * holds "secret" and "community" (mode 0600, for the *_file options), named
 * by ${TT_FUZZ_DIR}, and TT_FUZZ_SECRET is set (for password_env and
 * token_env); fuzz/corpus/config/channels.conf uses them.
 *
 * Checks besides memory errors and leaks, from config.h: a loaded config
 * is complete and consistent (checks with an absolute command and
 * 0 < timeout <= interval, routes pointing into the channel table with
 * states, every channel named); a refused one reports at least one error,
 * each one line starting with the file's path, sorted by line.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_config(const struct config *c)
{
	FUZZ_CHECK(c->user && c->state_dir && c->state_dir[0] == '/' && c->enterprise_oid &&
	                   c->socket.path && c->socket.path[0] == '/',
	           "root options missing");
	FUZZ_CHECK((c->socket.mode & 02) == 0, "socket mode %o", c->socket.mode);
	for (size_t i = 0; i < c->nchecks; i++) {
		const struct config_check *k = &c->checks[i];

		FUZZ_CHECK(k->name && k->host && k->argc >= 1 && k->argv[0][0] == '/' &&
		                   k->argv[k->argc] == NULL,
		           "check %zu", i);
		FUZZ_CHECK(k->interval > 0 && k->timeout > 0 && k->timeout <= k->interval,
		           "check %zu: interval %g, timeout %g", i, k->interval, k->timeout);
	}
	for (size_t i = 0; i < c->nchannels; i++)
		FUZZ_CHECK(c->channels[i].name != NULL &&
		                   config_channel_find(c, c->channels[i].name) != NULL,
		           "channel %zu", i);
	for (size_t i = 0; i < c->nroutes; i++) {
		const struct config_route *r = &c->routes[i];

		FUZZ_CHECK(r->match_host && r->match_service && r->states != 0 &&
		                   (r->states & ~(unsigned)CONFIG_ROUTE_ALL) == 0 &&
		                   r->nchannels >= 1,
		           "route %zu", i);
		for (size_t j = 0; j < r->nchannels; j++)
			FUZZ_CHECK(r->channels[j] >= c->channels &&
			                   r->channels[j] < c->channels + c->nchannels,
			           "route %zu channel %zu outside the table", i, j);
	}
}

static void check_errors(const struct config_errors *e, const char *path)
{
	size_t plen = strlen(path);

	FUZZ_CHECK(e->count >= 1, "refused without an error");
	for (size_t i = 0; i < e->count; i++) {
		const char *t = e->v[i].text;

		FUZZ_CHECK(t != NULL && strncmp(t, path, plen) == 0 && t[plen] == ':',
		           "error %zu: '%s'", i, t ? t : "(null)");
		FUZZ_CHECK(strchr(t, '\n') == NULL, "error %zu is not one line: '%s'", i, t);
		FUZZ_CHECK(i == 0 || e->v[i - 1].line <= e->v[i].line, "errors %zu, %zu unsorted",
		           i - 1, i);
	}
}

/* The secrets the seeds name, made once per process. */
static void make_secrets(void)
{
	static int done;
	const uint8_t secret[] = "fuzz-secret-1\nsecond line ignored\n";

	if (done++)
		return;
	fuzz_write_file(fuzz_path("secret"), secret, sizeof secret - 1);
	fuzz_write_file(fuzz_path("community"), (const uint8_t *)"public", 6);
	setenv("TT_FUZZ_DIR", fuzz_dir(), 1);
	setenv("TT_FUZZ_SECRET", "fuzz-token", 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path;
	struct config_errors errs = {0};
	struct config *cfg = NULL;

	make_secrets();
	path = fuzz_path("trendtrapd.conf");
	fuzz_write_file(path, data, size);
	if (config_load(path, &cfg, &errs) == 0) {
		FUZZ_CHECK(cfg != NULL && errs.count == 0, "loaded with %zu errors", errs.count);
		check_config(cfg);
		config_free(cfg);
	} else {
		FUZZ_CHECK(cfg == NULL, "refused but returned a config");
		check_errors(&errs, path);
	}
	config_errors_free(&errs);
	return 0;
}
