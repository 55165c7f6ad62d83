/*
 * test_loop.c - the event loop: timers in order, moved and cleared; fds
 * reported when ready; the idle hook after each round; stop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"

struct trace {
	char log[64];
	size_t n;
	int stop_after; /* stop the loop once this many entries are logged */
	struct loop *l;
};

static void note(struct trace *t, char c)
{
	if (t->n < sizeof(t->log) - 1)
		t->log[t->n++] = c;
	t->log[t->n] = '\0';
	if ((int)t->n >= t->stop_after)
		loop_stop(t->l);
}

struct tagged {
	struct trace *t;
	char c;
};

static void fire(struct loop *l, void *arg)
{
	struct tagged *g = arg;

	(void)l;
	note(g->t, g->c);
}

static void timers_fire_in_order(void **state)
{
	struct loop *l = loop_new();
	struct trace t = {.stop_after = 4, .l = l};
	struct loop_timer tm[5] = {0};
	struct tagged g[5];
	int64_t now = loop_now();

	(void)state;
	for (int i = 0; i < 5; i++)
		g[i] = (struct tagged){&t, (char)('a' + i)};
	/* Armed out of order; 'c' is moved later, 'e' is cleared. */
	loop_timer_set(l, &tm[0], now + 30, fire, &g[0]);
	loop_timer_set(l, &tm[1], now + 10, fire, &g[1]);
	loop_timer_set(l, &tm[2], now + 5, fire, &g[2]);
	loop_timer_set(l, &tm[3], now + 20, fire, &g[3]);
	loop_timer_set(l, &tm[4], now + 1, fire, &g[4]);
	loop_timer_set(l, &tm[2], now + 40, fire, &g[2]);
	loop_timer_clear(l, &tm[4]);
	loop_timer_clear(l, &tm[4]); /* twice is harmless */
	assert_false(loop_timer_armed(&tm[4]));
	assert_int_equal(loop_run(l), 0);
	assert_string_equal(t.log, "bdac");
	for (int i = 0; i < 5; i++)
		assert_false(loop_timer_armed(&tm[i]));
	loop_free(l);
}

struct pipe_ctx {
	struct trace *t;
	int rd, wr;
	int reads;
};

static void on_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct pipe_ctx *p = arg;
	char buf[16];

	assert_true(events & LOOP_READ);
	assert_int_equal(read(fd, buf, sizeof(buf)), 1);
	p->reads++;
	if (p->reads == 2)
		loop_unwatch(l, fd);
	note(p->t, 'r');
}

static void write_one(struct loop *l, void *arg)
{
	struct pipe_ctx *p = arg;

	(void)l;
	assert_int_equal(write(p->wr, "x", 1), 1);
}

static void idle(struct loop *l, void *arg)
{
	(void)l;
	note(arg, 'i');
}

static void fds_and_idle(void **state)
{
	struct loop *l = loop_new();
	struct trace t = {.stop_after = 6, .l = l};
	struct pipe_ctx p = {.t = &t};
	struct loop_timer w1 = {0}, w2 = {0}, w3 = {0};
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	p.rd = fds[0];
	p.wr = fds[1];
	assert_int_equal(loop_watch(l, p.rd, LOOP_READ, on_readable, &p), 0);
	loop_set_idle(l, idle, &t);
	loop_timer_set(l, &w1, loop_now() + 5, write_one, &p);
	loop_timer_set(l, &w2, loop_now() + 30, write_one, &p);
	loop_timer_set(l, &w3, loop_now() + 60, write_one, &p);
	assert_int_equal(loop_run(l), 0);
	/* Rounds: timer (idle), read (idle), timer (idle), read (idle). */
	assert_int_equal(p.reads, 2);
	assert_string_equal(t.log, "iriiri");
	assert_true(loop_timer_armed(&w3)); /* stopped before it was due */
	/* The fd was unwatched after the second read: a third byte is not
	 * reported, and the loop then only has w3 left. */
	t.stop_after = 7;
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(p.reads, 2);
	assert_string_equal(t.log, "iriirii");
	close(fds[0]);
	close(fds[1]);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(timers_fire_in_order),
	        cmocka_unit_test(fds_and_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
