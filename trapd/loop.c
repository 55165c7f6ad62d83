/*
 * loop.c - the event loop of loop.h: an array of pollfds, a binary min-heap
 * of caller-owned timers, an idle hook.
 *
 * A round: poll() until the earliest timer (or forever), run the callbacks of
 * the ready fds, run the timers that are due, run the idle hook.  Watches
 * changed by a callback take effect in the next round; an fd unwatched by a
 * callback is not reported later in the same round (a new fd that reuses its
 * number may see one spurious readiness: every fd here is non-blocking).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop.h"

struct watch {
	int fd;
	unsigned events;
	loop_fd_fn *fn;
	void *arg;
};

struct loop {
	struct watch *watches;
	size_t nwatches, watch_cap;
	struct pollfd *pfds; /* built per round from watches */
	size_t pfd_cap;
	struct loop_timer **heap;
	size_t nheap, heap_cap;
	loop_idle_fn *idle;
	void *idle_arg;
	int stop;
};

struct loop *loop_new(void)
{
	return calloc(1, sizeof(struct loop));
}

void loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->nheap; i++)
		l->heap[i]->slot = 0;
	free(l->watches);
	free(l->pfds);
	free(l->heap);
	free(l);
}

int64_t loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct watch *find_watch(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->nwatches; i++)
		if (l->watches[i].fd == fd)
			return &l->watches[i];
	return NULL;
}

int loop_watch(struct loop *l, int fd, unsigned events, loop_fd_fn *fn, void *arg)
{
	struct watch *w = find_watch(l, fd);

	if (w == NULL) {
		if (l->nwatches == l->watch_cap) {
			size_t cap = l->watch_cap ? 2 * l->watch_cap : 16;
			struct watch *v = realloc(l->watches, cap * sizeof(*v));

			if (v == NULL)
				return -1;
			l->watches = v;
			l->watch_cap = cap;
		}
		w = &l->watches[l->nwatches++];
		w->fd = fd;
	}
	w->events = events;
	w->fn = fn;
	w->arg = arg;
	return 0;
}

void loop_unwatch(struct loop *l, int fd)
{
	struct watch *w = find_watch(l, fd);

	if (w == NULL)
		return;
	*w = l->watches[--l->nwatches];
}

/* The heap: heap[i]->slot == i + 1; parent of i is (i - 1) / 2. */
static void heap_place(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->slot = i + 1;
}

static void heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (l->heap[parent]->at <= t->at)
			break;
		heap_place(l, i, l->heap[parent]);
		i = parent;
	}
	heap_place(l, i, t);
}

static void heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= l->nheap)
			break;
		if (child + 1 < l->nheap && l->heap[child + 1]->at < l->heap[child]->at)
			child++;
		if (t->at <= l->heap[child]->at)
			break;
		heap_place(l, i, l->heap[child]);
		i = child;
	}
	heap_place(l, i, t);
}

void loop_timer_clear(struct loop *l, struct loop_timer *t)
{
	size_t i;
	struct loop_timer *last;

	if (t->slot == 0)
		return;
	i = t->slot - 1;
	t->slot = 0;
	last = l->heap[--l->nheap];
	if (last == t)
		return;
	heap_place(l, i, last);
	heap_up(l, i);
	heap_down(l, last->slot - 1);
}

int loop_timer_set(struct loop *l, struct loop_timer *t, int64_t at, loop_timer_fn *fn, void *arg)
{
	loop_timer_clear(l, t);
	if (l->nheap == l->heap_cap) {
		size_t cap = l->heap_cap ? 2 * l->heap_cap : 64;
		struct loop_timer **v = realloc(l->heap, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		l->heap = v;
		l->heap_cap = cap;
	}
	t->at = at;
	t->fn = fn;
	t->arg = arg;
	heap_place(l, l->nheap++, t);
	heap_up(l, l->nheap - 1);
	return 0;
}

void loop_set_idle(struct loop *l, loop_idle_fn *fn, void *arg)
{
	l->idle = fn;
	l->idle_arg = arg;
}

void loop_stop(struct loop *l)
{
	l->stop = 1;
}

static int poll_timeout(const struct loop *l)
{
	int64_t wait;

	if (l->nheap == 0)
		return -1;
	wait = l->heap[0]->at - loop_now();
	if (wait <= 0)
		return 0;
	return wait > INT_MAX ? INT_MAX : (int)wait;
}

/* Copy the watches into pollfds; returns how many, or -1 without memory. */
static int build_pollfds(struct loop *l, size_t *n)
{
	if (l->pfd_cap < l->nwatches) {
		struct pollfd *v = realloc(l->pfds, l->watch_cap * sizeof(*v));

		if (v == NULL)
			return -1;
		l->pfds = v;
		l->pfd_cap = l->watch_cap;
	}
	for (size_t i = 0; i < l->nwatches; i++) {
		l->pfds[i].fd = l->watches[i].fd;
		l->pfds[i].events = (short)(((l->watches[i].events & LOOP_READ) ? POLLIN : 0) |
		                            ((l->watches[i].events & LOOP_WRITE) ? POLLOUT : 0));
		l->pfds[i].revents = 0;
	}
	*n = l->nwatches;
	return 0;
}

static void dispatch_fds(struct loop *l, size_t n)
{
	for (size_t i = 0; i < n && !l->stop; i++) {
		struct pollfd *p = &l->pfds[i];
		struct watch *w;
		unsigned ev = 0;

		if (p->revents == 0)
			continue;
		/* Look the watch up again: an earlier callback may have changed
		 * or removed it. */
		w = find_watch(l, p->fd);
		if (w == NULL)
			continue;
		if (p->revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
			ev |= LOOP_READ;
		if (p->revents & POLLOUT)
			ev |= LOOP_WRITE;
		ev &= w->events | (p->revents & (POLLHUP | POLLERR | POLLNVAL) ? LOOP_READ : 0);
		if (ev)
			w->fn(l, p->fd, ev, w->arg);
	}
}

static void dispatch_timers(struct loop *l)
{
	int64_t now = loop_now();

	while (l->nheap > 0 && l->heap[0]->at <= now && !l->stop) {
		struct loop_timer *t = l->heap[0];

		loop_timer_clear(l, t);
		t->fn(l, t->arg);
	}
}

int loop_run(struct loop *l)
{
	l->stop = 0;
	while (!l->stop) {
		size_t n;
		int r;

		if (build_pollfds(l, &n) < 0) {
			errno = ENOMEM;
			return -1;
		}
		r = poll(l->pfds, n, poll_timeout(l));
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0)
			dispatch_fds(l, n);
		dispatch_timers(l);
		if (l->idle != NULL && !l->stop)
			l->idle(l, l->idle_arg);
	}
	return 0;
}
