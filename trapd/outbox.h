/*
 * outbox.h - trendtrapd's durable notification queue: an append-only journal
 * with group commit.  outbox_add, outbox_done and outbox_retry append a record
 * with write(2) and return; one outbox_sync (one fdatasync) then makes every
 * change since the previous sync durable.  An added notification is not due
 * (outbox_due does not return it) before that sync, so nothing is attempted
 * before it is on disk, and once synced it leaves only when delivered
 * (outbox_done) or given up (outbox_dead, or max_age in outbox_retry).
 *
 * Guarantees.  A kill -9 loses nothing that was written: the kernel has every
 * record, synced or not.  A crash of the machine loses the records written
 * since the last outbox_sync, and only those: a notification added but not
 * synced may be lost (it was never due, so never attempted, and outbox_add's
 * caller was not told it was durable); an outbox_done or outbox_retry not
 * synced is undone, so a notification delivered since the last sync (one in
 * flight) may be delivered again; nothing synced is ever lost.
 *
 * Directory (one per outbox, e.g. STATE_DIR/outbox), locked with flock so that
 * one process at a time uses it:
 *   DIR/journal                         the queue (format below)
 *   DIR/dead/<id>.msg                   dead letters, one file each (below)
 *   DIR/dead/journal-<unix time>.corrupt  a journal with a bad record in the
 *   DIR/dead/journal-<...>.corrupt.reason  middle, copied whole, and why
 *   DIR/<id>.msg                        pending files of the old one-file-per-
 *                                       notification outbox: imported at open
 * An id is "<created:016x>-<seq:08x>" (8 to 16 hex digits of seq), < 64 bytes;
 * seq grows by one per outbox_add and is never reused (it continues from the
 * highest seq in the journal, DIR and DIR/dead).  "journal.tmp-*", "*.msg.tmp-*"
 * and "*.reason.tmp-*"/"*.corrupt.tmp-*" in dead/ (interrupted writes) are
 * removed at open; other names are ignored.
 *
 * Journal format: the 12 bytes "TTOUTBOX J1\n", then records.  A record is a
 * 12-byte header, then BODYLEN bytes of body (integers little-endian):
 *   u32 crc       CRC-32C of the bytes from `bodylen` to the end of the body
 *   u32 bodylen
 *   u8  type      'S', 'A', 'R', 'D' or 'X'
 *   u8  zero[3]
 * Bodies (strings are not NUL-terminated; i64/u64 as 8 bytes, u32 as 4, ...):
 *   'S' seq floor   u64 seq: ids up to SEQ may have been used (compaction)
 *   'A' add         i64 created, i64 next_at, u32 attempts, u8 id length,
 *                   u8 channel length, u16 error length, then the id, the
 *                   channel, the last error and the payload (the rest)
 *   'R' retry       u64 seq, i64 next_at, u32 attempts, u16 error length,
 *                   the last error: the item's new state
 *   'D' done        u64 seq: delivered, removed
 *   'X' dead        u64 seq: removed, its dead letter is in dead/
 * Open replays the records in order ('R', 'D', 'X' of an unknown seq, and an
 * 'A' of a known one, are ignored).  A record that does not check out (size,
 * type, crc, fields) and is followed by nothing valid is a torn tail, a
 * write cut by a crash, never synced: dropped, and the journal rewritten
 * without it.  One followed by a valid record is corruption: the whole
 * journal is copied to dead/journal-<time of open>.corrupt with a ".reason"
 * file, the bad bytes are skipped to the next valid record, and the valid
 * records before AND after them are kept (so a lost 'D' means one more
 * delivery, a lost 'A' a notification that is only in the copy).  A crash of
 * the machine that leaves unsynced records behind a hole is handled the same
 * way.  Open never fails because of the journal's contents; outbox_open_note
 * says what it repaired.  A pending item whose dead letter exists (a crash
 * inside outbox_dead) is dropped.
 *
 * Compaction rewrites the journal atomically (temp file, fsync, rename,
 * directory fsync) as one 'S' record and one 'A' record per pending item, in
 * enqueue order: in outbox_sync, in place of its fdatasync, when the journal
 * is over 1 MiB and over twice the size of that rewrite; at open when the
 * journal is missing, was repaired, old files were imported (they are removed
 * once it is durable), or it is that large.  So the file stays within
 * max(1 MiB, 2x the pending data) plus what one round appends.
 *
 * Dead letters keep the old outbox's file format: a text header, one
 * "key value" line each, in this order, then the payload (numbers decimal):
 *   TTOUTBOX 1
 *   channel NAME          1..63 bytes of [A-Za-z0-9._:-]
 *   created SECONDS       time of outbox_add
 *   attempts N            failed attempts so far
 *   next-at SECONDS       not to be tried before
 *   length N              payload bytes; the file must end right after them
 *   error TEXT            last error (may be empty), control bytes as spaces
 *   dead TEXT             why it was given up (pending old files have none)
 *   (empty line)
 *   PAYLOAD
 * written at once (temp file, fsync, rename, dead/ fsync) before the 'X'
 * record.  Importing old pending files: one that does not parse is moved to
 * dead/ with a ".reason" file saying "corrupt: ..."; one with a "dead" line
 * is moved to dead/.
 *
 * Memory: every pending payload is held in memory (as the caller passed it);
 * open reads the journal whole once.  Times are unix seconds, passed in;
 * delays are rounded up to whole seconds.  Library code: no printing, errors
 * as -1 with a message in ERR.
 */
#ifndef TT_OUTBOX_H
#define TT_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OUTBOX_MAX_PAYLOAD (1024 * 1024) /* bytes per notification */

struct outbox;

/* A pending notification; owned by the outbox. */
struct outbox_item {
	char id[64];          /* "<created hex>-<seq hex>"; stable until done/dead */
	char channel[64];     /* which channel delivers it */
	int64_t created;      /* outbox_add's NOW */
	int64_t next_at;      /* due when next_at <= now */
	unsigned attempts;    /* failed attempts so far (outbox_retry calls) */
	char last_error[256]; /* the latest retry reason, "" before any */
	void *payload;        /* the caller's bytes, exactly as given */
	size_t len;
	bool busy; /* being delivered (outbox_busy); not on disk */
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

/* Open (creating DIR and DIR/dead, mode 0700), replay the journal (repairing
 * it as described above), import old "*.msg" files, remove temp files; what
 * was loaded is durable and due per its next_at.  Fails if another process
 * has DIR open, or on an I/O error; never because of what the files hold.
 * Returns 0 with *OUT set, or -1 with ERR set. */
int outbox_open(const char *dir, struct outbox **out, char *err, size_t errlen);

/* What outbox_open repaired or set aside (torn tail, corrupt journal, corrupt
 * or dead old files, imports), as one line for the log, or NULL if nothing. */
const char *outbox_open_note(const struct outbox *o);

/* Queue PAYLOAD[0..LEN) for CHANNEL with next_at NOW: appended to the
 * journal, not synced; outbox_due returns it only after the next
 * outbox_sync.  The id goes to ID_OUT (>= 64 bytes is enough; may be NULL).
 * Returns 0 or -1 with ERR set (nothing queued). */
int outbox_add(struct outbox *o, const char *channel, const void *payload, size_t len, int64_t now,
               char *id_out, size_t idlen, char *err, size_t errlen);

/* Make every add, done and retry since the last sync durable with one
 * fdatasync of the journal (or a compaction, see above); the added items
 * become due.  No system call when nothing changed.  Returns 0, or -1 with
 * ERR set: then nothing new is due, and the next call rewrites the journal
 * from memory (a failed fsync may have dropped the written pages). */
int outbox_sync(struct outbox *o, char *err, size_t errlen);

/* Up to MAX synced pending items with next_at <= NOW into ITEMS, oldest first
 * (enqueue order, so each channel's order is kept).  The pointers stay valid
 * until that item is done or dead, or the outbox closed.  Returns how many. */
size_t outbox_due(struct outbox *o, int64_t now, struct outbox_item **items, size_t max);

/* The oldest pending item that is durable, due or not (busy or not), or
 * NULL: the head of the queue, for a caller that keeps strict order while
 * a destination fails. */
struct outbox_item *outbox_first(struct outbox *o);

/* Mark ID as being delivered (BUSY) or not: outbox_due skips busy items, so
 * a caller with sends in flight can ask for more.  Memory only: after a
 * restart nothing is busy.  Returns 0, or -1 when ID is not pending. */
int outbox_busy(struct outbox *o, const char *id, bool busy);

/* Delivered: remove ID (a 'D' record; durable at the next outbox_sync, until
 * then a crash of the machine may bring it back).  Returns 0 or -1. */
int outbox_done(struct outbox *o, const char *id, char *err, size_t errlen);

/* Failed with REASON: count the attempt and reschedule per P (RANDOM: any
 * uniform 32-bit value) with an 'R' record, durable at the next outbox_sync;
 * or, when NOW - created > P->max_age, move it to dead/ (as outbox_dead) with
 * an "expired" reason.  Returns 0 (rescheduled), 1 (dead: the caller logs it,
 * reason in ERR) or -1 with ERR set. */
int outbox_retry(struct outbox *o, const char *id, const char *reason, int64_t now,
                 const struct outbox_policy *p, uint32_t random, char *err, size_t errlen);

/* Give up on ID: write its dead letter with REASON to dead/ durably at once,
 * then remove it (an 'X' record).  Returns 0 or -1 with ERR set. */
int outbox_dead(struct outbox *o, const char *id, const char *reason, char *err, size_t errlen);

/* Pending notifications, synced or not. */
size_t outbox_count(const struct outbox *o);

/* Dead letters: the "<id>.msg" files in DIR/dead (read from disk each call). */
size_t outbox_dead_count(struct outbox *o);

/* The smallest next_at of the pending items, synced or not (for the loop's
 * timer), or INT64_MAX when there is none. */
int64_t outbox_next_due(const struct outbox *o);

/* Free everything and release the lock; files stay.  Does not sync: the
 * changes since the last outbox_sync survive a kill -9 but not a crash of the
 * machine.  NULL is allowed. */
void outbox_close(struct outbox *o);

#endif
