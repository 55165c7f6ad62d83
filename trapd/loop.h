/*
 * loop.h - trendtrapd's one event loop: poll(2) over file descriptors, a heap
 * of one-shot timers, and an idle hook run after every round of callbacks.
 *
 * One thread.  Callbacks may watch, unwatch, arm and clear anything, including
 * themselves.  Times are milliseconds of CLOCK_MONOTONIC (loop_now()); timers
 * are structs the caller owns (zero-initialised before the first use), so
 * arming never allocates and clearing an unarmed timer is harmless.
 */
#ifndef TT_LOOP_H
#define TT_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum loop_events {
	LOOP_READ = 1 << 0, /* also reported on hangup and error */
	LOOP_WRITE = 1 << 1,
};

struct loop;

typedef void loop_fd_fn(struct loop *l, int fd, unsigned events, void *arg);
typedef void loop_timer_fn(struct loop *l, void *arg);
typedef void loop_idle_fn(struct loop *l, void *arg);

struct loop_timer {
	int64_t at;  /* loop_now() milliseconds at which it fires */
	size_t slot; /* index in the heap + 1; 0 = not armed */
	loop_timer_fn *fn;
	void *arg;
};

/* A new loop, or NULL when out of memory. */
struct loop *loop_new(void);
void loop_free(struct loop *l);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t loop_now(void);

/* Watch FD for EVENTS (LOOP_READ | LOOP_WRITE; 0 keeps the registration but
 * reports nothing).  Watching an FD again replaces its events, FN and ARG.
 * Returns 0, or -1 when out of memory. */
int loop_watch(struct loop *l, int fd, unsigned events, loop_fd_fn *fn, void *arg);

/* Stop watching FD (before closing it); unknown FDs are ignored. */
void loop_unwatch(struct loop *l, int fd);

/* Arm T to call FN(ARG) once at AT (loop_now() ms; the past means at the next
 * round); re-arming an armed timer moves it.  Returns 0 or -1 (no memory). */
int loop_timer_set(struct loop *l, struct loop_timer *t, int64_t at, loop_timer_fn *fn, void *arg);

/* Disarm T; nothing happens when it is not armed. */
void loop_timer_clear(struct loop *l, struct loop_timer *t);

static inline bool loop_timer_armed(const struct loop_timer *t)
{
	return t->slot != 0;
}

/* FN(ARG) runs after each round of fd and timer callbacks, before the loop
 * sleeps again (e.g. to commit a batch of work).  One idle hook; NULL clears. */
void loop_set_idle(struct loop *l, loop_idle_fn *fn, void *arg);

/* Run rounds until loop_stop().  Returns 0, or -1 when poll() fails for a
 * reason other than EINTR (errno says which). */
int loop_run(struct loop *l);

/* Make loop_run() return after the current round. */
void loop_stop(struct loop *l);

#endif
