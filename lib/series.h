/*
 * series.h - the history store: one file per series key under a state dir.
 *
 * A series key names what is measured ("disk/localhost/var", "mem/web01"),
 * never the command line, so changing a threshold keeps the history.
 *
 * Guarantees:
 * - Concurrent processes on one key lose no sample: every open holds an
 *   fcntl/flock lock (shared to read, exclusive to write).
 * - A kill -9 at any instant leaves a readable file: appends are one write of
 *   whole records, a torn tail record is ignored (and cut on the next write),
 *   and rewrites go through a temp file (O_EXCL, 0600), fsync, rename, fsync
 *   of the directory.
 * - A corrupt or foreign file is renamed aside ("<file>.corrupt-<time>") with a
 *   notice for the caller, and the series starts afresh.
 * - Files stay bounded: retention by age and by count, applied on write.
 * - Loading costs time proportional to the samples asked for (binary search
 *   on time), not to the file's length.
 */
#ifndef TT_SERIES_H
#define TT_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "sample.h"

struct series; /* an open, locked series file */

enum series_mode {
	SERIES_READ,  /* shared lock; the file must exist */
	SERIES_WRITE, /* exclusive lock; created when missing */
};

struct series_retention {
	double max_age;   /* seconds before the newest sample; 0 = unlimited */
	size_t max_count; /* samples kept at most; 0 = unlimited */
};

/* Defaults: 35 days, 20000 samples (two months of 5-minute checks). */
#define SERIES_KEEP_AGE_DEFAULT   (35.0 * 86400)
#define SERIES_KEEP_COUNT_DEFAULT 20000

/* Return codes besides 0 and -1. */
#define SERIES_ENOENT 1 /* SERIES_READ of a key that has no file */

/* Pick and create the state directory: EXPLICIT when not NULL, else
 * $TRENDTRAP_STATE_DIR, else the configured default (/var/lib/trendtrap) when it
 * is or can be made writable, else $XDG_STATE_HOME/trendtrap, else
 * ~/.local/state/trendtrap. Writes the path into OUT. Returns 0 or -1. */
int series_state_dir(const char *explicit_dir, char *out, size_t outlen, char *err, size_t errlen);

/* Check that KEY is a usable series key (non-empty, printable, bounded). */
int series_key_valid(const char *key, char *err, size_t errlen);

/* Open and lock KEY under DIR. In SERIES_WRITE mode a corrupt or foreign file
 * is moved aside and NOTICE receives one line saying so (else NOTICE is "").
 * Returns 0, SERIES_ENOENT, or -1 with ERR set. */
int series_open(const char *dir, const char *key, enum series_mode mode, struct series **out,
                char *notice, size_t noticelen, char *err, size_t errlen);

/* Number of complete samples in the file. */
size_t series_count(const struct series *s);

/* Load the samples with t >= SINCE, oldest first, into a new malloc'ed array
 * (*OUT, *N; free() it). Returns 0 or -1. */
int series_load(struct series *s, int64_t since, struct sample **out, size_t *n, char *err,
                size_t errlen);

/* Add N samples (any order, any times) in a SERIES_WRITE series, keep the file
 * sorted by time, and apply RET. An append at or after the newest sample is one
 * write; anything else rewrites the file atomically. Returns 0 or -1. */
int series_add(struct series *s, const struct sample *smp, size_t n,
               const struct series_retention *ret, char *err, size_t errlen);

/* Unlock and close; NULL is fine. */
void series_close(struct series *s);

/* Call CB for every series key under DIR (sorted). Stops and returns CB's value
 * when non-zero. Returns 0 or -1. */
int series_list(const char *dir, int (*cb)(const char *key, void *arg), void *arg, char *err,
                size_t errlen);

/* Delete the series KEY (under its lock). Returns 0, SERIES_ENOENT or -1. */
int series_forget(const char *dir, const char *key, char *err, size_t errlen);

#endif
