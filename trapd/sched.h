/*
 * sched.h - the checks trendtrapd runs itself: fork/exec of an argv (no
 * shell), every interval, killed at its timeout; the output is read through
 * a pipe in the event loop and handed over with the exit status as a result.
 *
 * A check is run at most once at a time: a run still going when the next is
 * due delays it.  The first runs are spread over the first few seconds.  The
 * child gets stdout on the pipe, stdin and stderr on /dev/null, the default
 * signal mask and dispositions, no other descriptors, and its own process
 * group (so a timeout kills the plugin's children too).  Results:
 *   exit 0..3             that state, with the plugin's output
 *   exit > 3 or a signal  UNKNOWN, "check NAME exited with status 7" / "killed by
 *                         signal 11" before the output
 *   timeout               UNKNOWN, "check NAME timed out after 30s"
 *   cannot execute        UNKNOWN, "cannot execute /path: No such file or directory"
 * The caller reaps children (SIGCHLD) and passes each status to
 * sched_reaped(), which ignores pids it did not start.
 */
#ifndef TT_SCHED_H
#define TT_SCHED_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "loop.h"

#define SCHED_OUTPUT_MAX 65536 /* bytes of output kept per run; the rest is read and dropped */

struct sched;

/* One finished run of CHECK: RC 0..3 and the output (not NUL-free: any bytes). */
typedef void sched_result_fn(void *arg, const struct config_check *check, int rc,
                             const char *output, size_t len);

/* A scheduler on L, with no checks yet.  NULL when out of memory. */
struct sched *sched_new(struct loop *l, sched_result_fn *fn, void *arg);

/* Run CHECKS[0..N) from now on (they must outlive the next call or
 * sched_free).  Runs in progress of the old checks go on; their results are
 * reported with the new check of the same name, or dropped when it is gone.
 * Returns 0 or -1 (no memory: the old set stays). */
int sched_set_checks(struct sched *s, const struct config_check *checks, size_t n);

/* PID ended with STATUS (from waitpid).  Returns 1 if it was one of ours. */
int sched_reaped(struct sched *s, pid_t pid, int status);

/* Runs in progress. */
size_t sched_running(const struct sched *s);

/* Kill the runs in progress (SIGKILL to their process groups), reap them, and
 * free everything. */
void sched_free(struct sched *s);

#endif
