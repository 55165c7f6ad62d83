/*
 * accesslog.h - HTTP access logs as per-bucket request and error counts,
 * read incrementally and across rotation.
 *
 * A run reads only what the log gained since the position saved by the last
 * run. The position names the file by (device, inode) and by its first and
 * last-read bytes, so that rotation by rename+create and by copytruncate is
 * followed without losing or counting a line twice: the rest of the old file
 * is found among its siblings in the directory (access.log.1, access.log-2026...)
 * and finished first. Lines are bucketed by the time written in them.
 *
 * Formats: nginx/Apache combined and common (the same leading fields), and
 * JSON lines with a status and a time field at the top level.
 */
#ifndef TT_ACCESSLOG_H
#define TT_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sample.h"
#include "statusset.h"

enum accesslog_format {
	ACCESSLOG_CLF, /* combined and common: the same leading fields */
	ACCESSLOG_JSON,
};

struct accesslog_spec {
	enum accesslog_format format;
	const char *status_field; /* JSON: a number or a string "500"; NULL = "status" */
	const char *time_field;   /* JSON: ISO 8601 or unix seconds (nginx $msec); NULL = "time" */
	const struct statusset *errors; /* statuses counted as errors */
	int bucket;                     /* seconds, > 0; buckets start at multiples of it */
};

#define ACCESSLOG_HEAD 64 /* bytes kept to recognise a file */

/* Where the last run stopped. All zero (valid = false) before a first run. */
struct accesslog_pos {
	uint64_t dev, ino;                  /* identity of the file being read */
	uint64_t offset;                    /* bytes consumed: always just after a newline */
	uint64_t size_seen;                 /* the file's size when last read; it only grows */
	unsigned char head[ACCESSLOG_HEAD]; /* its first bytes: tell a copytruncate or a */
	size_t headlen;                     /* replaced file (same inode) from the one read */
	unsigned char tail[ACCESSLOG_HEAD]; /* the bytes just before offset: the same check */
	size_t taillen;                     /* where the head alone would match */
	bool valid;
};

/* Load a position saved by accesslog_pos_save. A missing file gives
 * valid = false and returns 0; a corrupt one returns -1 with the reason
 * (the caller sets it aside and starts over). */
int accesslog_pos_load(const char *path, struct accesslog_pos *pos, char *err, size_t errlen);

/* Save POS atomically: a temp file (O_EXCL, 0600), fsync, rename, fsync of the
 * directory. Returns 0 or -1. */
int accesslog_pos_save(const char *path, const struct accesslog_pos *pos, char *err, size_t errlen);

struct accesslog_stats {
	uint64_t lines;     /* complete lines counted in buckets */
	uint64_t bad_lines; /* lines skipped as malformed (never fatal) */
	uint64_t bytes;     /* bytes read from log files, seeks for the lookback included */
	bool rotated;       /* the log was renamed and recreated since the last run */
	bool truncated;     /* the log was truncated (copytruncate) or replaced in place */
	bool first_run;     /* no valid position: started from the lookback */
	char note[200];     /* what the caller should tell: possible loss; "" if none */
};

/* Read what LOG gained since *POS, following rotation, and count requests and
 * errors per bucket into *OUT (malloc'ed, sorted by t; one sample per bucket:
 * t = bucket start, capacity = requests, value = errors; free() it).
 * A first run (!pos->valid) starts at the first line written at or after
 * NOW - LOOKBACK, found by seeking backwards from the end (LOOKBACK 0 reads
 * everything). A last line without its newline is left for the next run.
 * Updates *POS (save it only after the counts are stored) and *ST.
 * A read of 64 MiB or more runs on two threads (joined before returning).
 * Returns 0 or -1 with ERR set (then *POS is unchanged). */
int accesslog_read(const char *log, const struct accesslog_spec *spec, struct accesslog_pos *pos,
                   int64_t now, double lookback, struct sample **out, size_t *n,
                   struct accesslog_stats *st, char *err, size_t errlen);

/* Parse one line (without its newline) as SPEC's format: its time (unix
 * seconds, fraction dropped) and status. Returns 0, or -1 when malformed.
 * Exposed for the tests. */
int accesslog_parse_line(const struct accesslog_spec *spec, const char *line, size_t len,
                         int64_t *t, int *status);

#endif
