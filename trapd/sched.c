/*
 * sched.c - the daemon's own checks (see sched.h).
 *
 * Each check has a slot: its timer (next run, or the timeout of the run in
 * progress), its child's pid and pipe, and the output read so far.  A run
 * ends when both the exit status and the end of the pipe are known; a
 * timeout kills the process group and then waits for both as usual.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sched.h"
#include "units.h"

struct run {
	char *name;                       /* the check's name (survives a reload) */
	const struct config_check *check; /* NULL when it was removed by a reload */
	struct loop_timer timer;          /* next run, or this run's timeout */
	pid_t pid;                        /* 0 = not running */
	int fd;                           /* the pipe; -1 once at its end */
	int status;                       /* waitpid status, when reaped */
	int reaped;
	int timed_out;
	char *out; /* SCHED_OUTPUT_MAX bytes while running */
	size_t len;
	struct sched *s;
};

struct sched {
	struct loop *loop;
	sched_result_fn *fn;
	void *arg;
	struct run **runs;
	size_t nruns;
};

struct sched *sched_new(struct loop *l, sched_result_fn *fn, void *arg)
{
	struct sched *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->loop = l;
	s->fn = fn;
	s->arg = arg;
	return s;
}

static void run_start(struct loop *l, void *arg);

static void schedule(struct run *r, int64_t at)
{
	loop_timer_set(r->s->loop, &r->timer, at, run_start, r);
}

static int64_t interval_ms(const struct config_check *c)
{
	return (int64_t)(c->interval * 1000);
}

/* The child: never returns. Only async-signal-safe calls. */
static void child_exec(const struct config_check *c, int out)
{
	sigset_t none;
	int null = open("/dev/null", O_RDWR);
	char msg[512];
	int n;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 2);
	}
	dup2(out, 1);
	close_range(3, ~0U, 0);
	execv(c->argv[0], c->argv);
	n = snprintf(msg, sizeof(msg), "cannot execute %s: %s\n", c->argv[0], strerror(errno));
	if (n > 0)
		(void)!write(1, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	_exit(127);
}

static void finish(struct run *r);

static void on_output(struct loop *l, int fd, unsigned events, void *arg)
{
	struct run *r = arg;
	char drop[4096];
	ssize_t n;

	(void)events;
	for (;;) {
		if (r->len < SCHED_OUTPUT_MAX)
			n = read(fd, r->out + r->len, SCHED_OUTPUT_MAX - r->len);
		else
			n = read(fd, drop, sizeof(drop));
		if (n > 0) {
			if (r->len < SCHED_OUTPUT_MAX)
				r->len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		break; /* end of pipe or error */
	}
	loop_unwatch(l, fd);
	close(fd);
	r->fd = -1;
	if (r->reaped)
		finish(r);
}

static void on_timeout(struct loop *l, void *arg)
{
	struct run *r = arg;

	(void)l;
	r->timed_out = 1;
	kill(-r->pid, SIGKILL);
	kill(r->pid, SIGKILL);
}

static void run_start(struct loop *l, void *arg)
{
	struct run *r = arg;
	const struct config_check *c = r->check;
	int p[2];
	pid_t pid;

	if (c == NULL)
		return;
	r->out = malloc(SCHED_OUTPUT_MAX);
	if (r->out == NULL || pipe2(p, O_CLOEXEC) < 0) {
		free(r->out);
		r->out = NULL;
		schedule(r, loop_now() + interval_ms(c));
		return;
	}
	pid = fork();
	if (pid == 0)
		child_exec(c, p[1]);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		free(r->out);
		r->out = NULL;
		schedule(r, loop_now() + interval_ms(c));
		return;
	}
	setpgid(pid, pid); /* also in the child: whichever runs first */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	r->pid = pid;
	r->fd = p[0];
	r->len = 0;
	r->reaped = r->timed_out = 0;
	loop_watch(l, r->fd, LOOP_READ, on_output, r);
	loop_timer_set(l, &r->timer, loop_now() + (int64_t)(c->timeout * 1000), on_timeout, r);
}

/* The state and the text that go before the plugin's output, if any. */
static int judge(const struct run *r, char *prefix, size_t len)
{
	char d[32];

	prefix[0] = '\0';
	if (r->timed_out) {
		units_format_duration(r->check->timeout, d, sizeof(d));
		snprintf(prefix, len, "check %s timed out after %s", r->name, d);
		return 3;
	}
	if (WIFEXITED(r->status) && WEXITSTATUS(r->status) <= 3)
		return WEXITSTATUS(r->status);
	if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 127 && r->len > 0)
		return 3; /* "cannot execute ..." from child_exec */
	if (WIFEXITED(r->status))
		snprintf(prefix, len, "check %s exited with status %d", r->name,
		         WEXITSTATUS(r->status));
	else
		snprintf(prefix, len, "check %s killed by signal %d", r->name, WTERMSIG(r->status));
	return 3;
}

static void finish(struct run *r)
{
	char prefix[300], *text = r->out;
	size_t len = r->len;
	int rc;

	r->pid = 0;
	loop_timer_clear(r->s->loop, &r->timer);
	if (r->check != NULL) {
		rc = judge(r, prefix, sizeof(prefix));
		if (prefix[0] != '\0') {
			/* The prefix becomes the first line; the plugin's output
			 * (if any) follows as long output. */
			size_t pl = strlen(prefix);

			len = len > SCHED_OUTPUT_MAX - pl - 1 ? SCHED_OUTPUT_MAX - pl - 1 : len;
			memmove(text + pl + 1, text, len);
			memcpy(text, prefix, pl);
			text[pl] = '\n';
			len += pl + 1;
		}
		r->s->fn(r->s->arg, r->check, rc, text, len);
		schedule(r, loop_now() + interval_ms(r->check));
	}
	free(r->out);
	r->out = NULL;
}

int sched_reaped(struct sched *s, pid_t pid, int status)
{
	for (size_t i = 0; i < s->nruns; i++) {
		struct run *r = s->runs[i];

		if (r->pid != pid || r->reaped)
			continue;
		r->status = status;
		r->reaped = 1;
		if (r->fd < 0)
			finish(r);
		return 1;
	}
	return 0;
}

size_t sched_running(const struct sched *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nruns; i++)
		n += s->runs[i]->pid != 0;
	return n;
}

static struct run *find_run(struct sched *s, const char *name)
{
	for (size_t i = 0; i < s->nruns; i++)
		if (strcmp(s->runs[i]->name, name) == 0)
			return s->runs[i];
	return NULL;
}

static struct run *new_run(struct sched *s, const struct config_check *c)
{
	struct run *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->name = strdup(c->name);
	if (r->name == NULL) {
		free(r);
		return NULL;
	}
	r->fd = -1;
	r->s = s;
	return r;
}

static void free_run(struct sched *s, struct run *r)
{
	loop_timer_clear(s->loop, &r->timer);
	if (r->fd >= 0) {
		loop_unwatch(s->loop, r->fd);
		close(r->fd);
	}
	free(r->out);
	free(r->name);
	free(r);
}

int sched_set_checks(struct sched *s, const struct config_check *checks, size_t n)
{
	struct run **v = calloc(n ? n : 1, sizeof(*v));
	int64_t now = loop_now();

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		v[i] = find_run(s, checks[i].name);
		if (v[i] == NULL && (v[i] = new_run(s, &checks[i])) == NULL) {
			for (size_t j = 0; j < i; j++)
				if (find_run(s, v[j]->name) != v[j])
					free_run(s, v[j]);
			free(v);
			return -1;
		}
	}
	/* Runs of removed checks: kill them; they are reaped and forgotten. */
	for (size_t i = 0; i < s->nruns; i++) {
		struct run *r = s->runs[i];
		int kept = 0;

		for (size_t j = 0; j < n; j++)
			kept |= v[j] == r;
		if (!kept) {
			if (r->pid > 0) {
				kill(-r->pid, SIGKILL);
				waitpid(r->pid, NULL, 0);
			}
			free_run(s, r);
		}
	}
	free(s->runs);
	s->runs = v;
	s->nruns = n;
	for (size_t i = 0; i < n; i++) {
		struct run *r = v[i];

		r->check = &checks[i];
		if (r->pid != 0)
			continue;                 /* rescheduled when it ends */
		if (!loop_timer_armed(&r->timer)) /* new: spread the first runs */
			schedule(r, now + (int64_t)(i % 40) * 250);
		else if (r->timer.at > now + interval_ms(r->check))
			schedule(r, now + interval_ms(r->check));
	}
	return 0;
}

void sched_free(struct sched *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nruns; i++) {
		struct run *r = s->runs[i];

		if (r->pid > 0) {
			kill(-r->pid, SIGKILL);
			waitpid(r->pid, NULL, 0);
		}
		free_run(s, r);
	}
	free(s->runs);
	free(s);
}
