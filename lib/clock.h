/*
 * clock.h - the current time, overridable for replays and tests.
 *
 * TRENDTRAP_NOW (unix seconds) replaces the system clock when set, so a test
 * can step time and a replay can evaluate history "as of" each sample.
 */
#ifndef TT_CLOCK_H
#define TT_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Write the current unix time into *NOW: $TRENDTRAP_NOW when set (a
 * non-negative integer; anything else is an error), else time(2).
 * Returns 0 or -1 with a reason in ERR. */
int clock_now(int64_t *now, char *err, size_t errlen);

#endif
