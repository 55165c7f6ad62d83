/*
 * outbox.h - trendtrapd's durable notification queue: every notification is
 * on disk (fsync'ed) before outbox_add returns and leaves only once delivered
 * (outbox_done) or given up (outbox_dead).  A kill -9 at any instant loses
 * nothing; at most the notification in flight is sent twice.
 *
 * Directory (one per outbox, e.g. STATE_DIR/outbox), locked with flock so that
 * one process at a time uses it:
 *   DIR/<created:016x>-<seq:08x>.msg    pending, listing order = enqueue order
 *   DIR/dead/<same name>.msg            dead letters (same format, "dead" line)
 *   DIR/dead/<same name>.msg.reason     why a corrupt file was moved there
 * created is unix seconds; seq continues from the highest seq found in DIR and
 * DIR/dead at open.  "*.tmp-XXXXXX" files (interrupted writes) are removed at
 * open; other names are ignored.
 *
 * File format: a text header, one "key value" line each, in this order, then
 * the caller's payload as opaque bytes (all numbers decimal):
 *   TTOUTBOX 1
 *   channel NAME          1..63 bytes of [A-Za-z0-9._:-]
 *   created SECONDS       time of outbox_add
 *   attempts N            failed attempts so far
 *   next-at SECONDS       not to be tried before
 *   length N              payload bytes; the file must end right after them
 *   error TEXT            last error (may be empty), control bytes as spaces
 *   dead TEXT             only in dead letters: why it was given up
 *   (empty line)
 *   PAYLOAD
 * Every change rewrites the whole file (temp file, fsync, rename, directory
 * fsync), so a file is always the old or the new version.  At open, a file
 * that does not parse is moved to dead/ with a ".reason" file saying
 * "corrupt: ..."; a pending file with a "dead" line (a crash inside
 * outbox_dead) is moved to dead/.
 *
 * Times are unix seconds, passed in; delays are rounded up to whole seconds.
 * Library code: no printing, errors as -1 with a message in ERR.
 */
#ifndef TT_OUTBOX_H
#define TT_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#define OUTBOX_MAX_PAYLOAD (1024 * 1024) /* bytes per notification */

struct outbox;

/* A pending notification; owned by the outbox. */
struct outbox_item {
	char id[64];          /* file name without ".msg"; stable until done/dead */
	char channel[64];     /* which channel delivers it */
	int64_t created;      /* outbox_add's NOW */
	int64_t next_at;      /* due when next_at <= now */
	unsigned attempts;    /* failed attempts so far (outbox_retry calls) */
	char last_error[256]; /* the latest retry reason, "" before any */
	void *payload;        /* the caller's bytes, exactly as given */
	size_t len;
};

/* Retry schedule: after the k-th failure (k = attempts >= 1) the delay is
 * min(max_delay, initial * factor^(k-1)) * (1 + jitter * (random / 2^32 - 0.5)),
 * i.e. spread over +-jitter/2 around the base, rounded up to >= 1 s. */
struct outbox_policy {
	double initial;   /* first retry delay, seconds, > 0 */
	double max_delay; /* cap of the base delay, seconds, >= initial */
	double factor;    /* growth per attempt, >= 1 (2 is usual) */
	double jitter;    /* 0..1: width of the random spread, as a fraction */
	double max_age;   /* seconds after created: a failure after that is dead */
};

/* Open (creating DIR and DIR/dead, mode 0700) and load the pending files,
 * quarantining corrupt ones and removing temp files.  Fails if another
 * process has DIR open.  Returns 0 with *OUT set, or -1 with ERR set. */
int outbox_open(const char *dir, struct outbox **out, char *err, size_t errlen);

/* Queue PAYLOAD[0..LEN) for CHANNEL, due at once; returns only once the file
 * and its directory entry are fsync'ed.  The id goes to ID_OUT (>= 64 bytes
 * is enough; may be NULL).  Returns 0 or -1 with ERR set. */
int outbox_add(struct outbox *o, const char *channel, const void *payload, size_t len, int64_t now,
               char *id_out, size_t idlen, char *err, size_t errlen);

/* Up to MAX pending items with next_at <= NOW into ITEMS, oldest first (so
 * each channel's order is kept).  The pointers stay valid until that item is
 * done or dead, or the outbox closed.  Returns how many. */
size_t outbox_due(struct outbox *o, int64_t now, struct outbox_item **items, size_t max);

/* Delivered: remove ID (unlink + directory fsync).  Returns 0 or -1. */
int outbox_done(struct outbox *o, const char *id, char *err, size_t errlen);

/* Failed with REASON: count the attempt and reschedule per P (RANDOM: any
 * uniform 32-bit value), durably; or, when NOW - created > P->max_age, move
 * it to dead/ with an "expired" reason.  Returns 0 (rescheduled), 1 (dead:
 * the caller logs it, reason in ERR) or -1 with ERR set. */
int outbox_retry(struct outbox *o, const char *id, const char *reason, int64_t now,
                 const struct outbox_policy *p, uint32_t random, char *err, size_t errlen);

/* Give up on ID: record REASON in the file and move it to dead/ (rename and
 * fsync of both directories).  Returns 0 or -1 with ERR set. */
int outbox_dead(struct outbox *o, const char *id, const char *reason, char *err, size_t errlen);

/* Pending notifications. */
size_t outbox_count(const struct outbox *o);

/* Dead letters: the "*.msg" files in DIR/dead (read from disk each call). */
size_t outbox_dead_count(struct outbox *o);

/* The smallest next_at of the pending items (for the loop's timer), or
 * INT64_MAX when there is none. */
int64_t outbox_next_due(const struct outbox *o);

/* Free everything and release the lock; files stay.  NULL is allowed. */
void outbox_close(struct outbox *o);

#endif
