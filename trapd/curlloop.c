/*
 * curlloop.c - libcurl's multi_socket interface on trendtrapd's loop (see
 * curlloop.h).
 *
 * libcurl calls on_socket() to say which sockets to watch for what, and
 * on_timer_change() to say when it wants to be woken up without I/O; both
 * only (un)watch fds and (re)arm one loop timer, as libcurl requires of them.
 * Readiness and the timer call curl_multi_socket_action(), after which the
 * finished transfers are collected with curl_multi_info_read() and their done
 * functions called.  A done function may add, remove or free anything, this
 * curlloop included: `depth` counts the calls in progress and a curlloop
 * freed inside one is destroyed when the outermost returns.
 */
#include <curl/curl.h>

#include <stdbool.h>
#include <stdlib.h>

#include "curlloop.h"

/* One transfer in progress. */
struct xfer {
	struct xfer *next;
	CURL *easy;
	curlloop_done_fn *fn;
	void *arg;
};

struct curlloop {
	struct loop *loop;
	CURLM *multi;
	struct loop_timer timer; /* libcurl's next timeout */
	struct xfer *xfers;      /* in progress, newest first */
	int *fds;                /* the sockets libcurl asked us to watch, so that */
	size_t nfds, fdcap;      /*   none stays in the loop after curlloop_free() */
	unsigned depth;          /* our calls into libcurl and done functions in progress */
	bool freed;              /* curlloop_free() ran inside one: destroy at depth 0 */
};

/* ---- the sockets we watch --------------------------------------------------- */

static int fd_remember(struct curlloop *c, int fd)
{
	for (size_t i = 0; i < c->nfds; i++)
		if (c->fds[i] == fd)
			return 0;
	if (c->nfds == c->fdcap) {
		size_t cap = c->fdcap ? 2 * c->fdcap : 8;
		int *v = realloc(c->fds, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		c->fds = v;
		c->fdcap = cap;
	}
	c->fds[c->nfds++] = fd;
	return 0;
}

static void fd_forget(struct curlloop *c, int fd)
{
	for (size_t i = 0; i < c->nfds; i++)
		if (c->fds[i] == fd) {
			c->fds[i] = c->fds[--c->nfds];
			return;
		}
}

/* ---- driving libcurl ------------------------------------------------------- */

static void destroy(struct curlloop *c);

/* Hand every finished transfer to its done function. */
static void collect(struct curlloop *c)
{
	CURLMsg *m;
	int left;

	while (!c->freed && (m = curl_multi_info_read(c->multi, &left)) != NULL) {
		CURL *easy = m->easy_handle;
		CURLcode rc = m->data.result;
		struct xfer **pp, *x;

		if (m->msg != CURLMSG_DONE)
			continue;
		/* m is invalid from here on: curl_multi_remove_handle() frees it. */
		for (pp = &c->xfers; *pp != NULL && (*pp)->easy != easy; pp = &(*pp)->next)
			;
		curl_multi_remove_handle(c->multi, easy);
		if ((x = *pp) == NULL)
			continue;
		*pp = x->next;
		curlloop_done_fn *fn = x->fn;
		void *arg = x->arg;

		free(x);
		fn(arg, easy, (int)rc);
	}
}

/* Tell libcurl that socket S is ready for MASK (or its timeout came), then
 * collect what finished. */
static void act(struct curlloop *c, curl_socket_t s, int mask)
{
	int running;

	c->depth++;
	curl_multi_socket_action(c->multi, s, mask, &running);
	collect(c);
	if (--c->depth == 0 && c->freed)
		destroy(c);
}

static void on_fd(struct loop *l, int fd, unsigned events, void *arg)
{
	int mask = 0;

	(void)l;
	if (events & LOOP_READ)
		mask |= CURL_CSELECT_IN;
	if (events & LOOP_WRITE)
		mask |= CURL_CSELECT_OUT;
	act(arg, fd, mask);
}

static void on_timeout(struct loop *l, void *arg)
{
	(void)l;
	act(arg, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_SOCKETFUNCTION: watch S for WHAT, or stop watching it. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct curlloop *c = userp;
	unsigned events = 0;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		loop_unwatch(c->loop, s);
		fd_forget(c, s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= LOOP_READ;
	if (what & CURL_POLL_OUT)
		events |= LOOP_WRITE;
	if (fd_remember(c, s) < 0 || loop_watch(c->loop, s, events, on_fd, c) < 0)
		return -1;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: wake libcurl in TIMEOUT_MS (-1: never).  A timeout
 * of 0 fires in the next round of the loop, never from in here. */
static int on_timer_change(CURLM *multi, long timeout_ms, void *userp)
{
	struct curlloop *c = userp;

	(void)multi;
	if (timeout_ms < 0) {
		loop_timer_clear(c->loop, &c->timer);
		return 0;
	}
	return loop_timer_set(c->loop, &c->timer, loop_now() + timeout_ms, on_timeout, c);
}

/* ---- the API ------------------------------------------------------------------- */

struct curlloop *curlloop_new(struct loop *l)
{
	struct curlloop *c;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->multi = curl_multi_init()) == NULL) {
		free(c);
		curl_global_cleanup();
		return NULL;
	}
	c->loop = l;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	/* A few connections per server, reused; a burst must not open one per
	 * transfer (listen queues overflow, descriptors run out), nor leave
	 * hundreds idle in the cache afterwards. */
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	                  (long)CURLLOOP_MAX_HOST_CONNECTIONS);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)CURLLOOP_MAX_HOST_CONNECTIONS);
	return c;
}

int curlloop_add(struct curlloop *c, void *easy, curlloop_done_fn *fn, void *arg)
{
	struct xfer *x = malloc(sizeof(*x));

	if (x == NULL)
		return -1;
	if (c->freed || curl_multi_add_handle(c->multi, easy) != CURLM_OK) {
		free(x);
		return -1;
	}
	x->easy = easy;
	x->fn = fn;
	x->arg = arg;
	x->next = c->xfers;
	c->xfers = x;
	return 0;
}

void curlloop_remove(struct curlloop *c, void *easy)
{
	for (struct xfer **pp = &c->xfers; *pp != NULL; pp = &(*pp)->next) {
		struct xfer *x = *pp;

		if (x->easy == easy) {
			*pp = x->next;
			curl_multi_remove_handle(c->multi, easy);
			free(x);
			return;
		}
	}
}

static void destroy(struct curlloop *c)
{
	curl_multi_cleanup(c->multi); /* closes its connections: on_socket(REMOVE) */
	loop_timer_clear(c->loop, &c->timer);
	for (size_t i = 0; i < c->nfds; i++)
		loop_unwatch(c->loop, c->fds[i]);
	free(c->fds);
	free(c);
	curl_global_cleanup();
}

void curlloop_free(struct curlloop *c)
{
	if (c == NULL || c->freed)
		return;
	/* The caller may clean its easy handles up as soon as this returns. */
	while (c->xfers != NULL)
		curlloop_remove(c, c->xfers->easy);
	loop_timer_clear(c->loop, &c->timer);
	c->freed = true;
	if (c->depth == 0)
		destroy(c);
}
