/*
 * daemon.h - the core of trendtrapd: results in, notifications out.
 *
 *   result (socket line or own check)
 *     -> service table entry -> rules_result() -> events
 *     -> silenced? (recorded, not sent) -> routes -> one outbox entry per
 *        channel destination, durable before any attempt
 *     -> at the end of the loop round: outbox_sync(), then every due entry
 *        is handed to its channel; the outcome removes it, reschedules it
 *        with backoff, or moves it to the dead letters.
 *
 * A destination that failed gets one attempt at a time, always of its oldest
 * waiting notification (when its backoff allows), until it works again: so
 * a dead SNMP manager costs one timeout per retry, not one per pending
 * notification, and order is kept.  The service table is saved at the end of
 * a round that produced events, and at least every DAEMON_SAVE_EVERY seconds
 * while it changes, by a forked child (the loop never waits for the disk);
 * at shutdown it is saved in the foreground.
 *
 * main() owns the process: options, signals, privileges.  It calls
 * daemon_open() (as root, before dropping privileges: the socket), then
 * daemon_start() (after: state, channels, checks), loop_run(), and
 * daemon_close().  Only main and this module log.
 */
#ifndef TT_DAEMON_H
#define TT_DAEMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "loop.h"

#define DAEMON_SAVE_EVERY  10  /* seconds between background saves while changing */
#define DAEMON_BATCH_MAX   5000 /* notifications in one digest or group message */
#define DAEMON_BURST       32   /* messages started per destination and round ... */
#define DAEMON_BURST_GAP   2    /* ... and milliseconds to the next round then */
#define DAEMON_DEST_WINDOW 256 /* sends in flight per healthy destination */

struct daemon;

/* A daemon for CFG (which it owns from now on) on loop L.  FOREGROUND: log to
 * stderr, else syslog; VERBOSE: debug messages too. */
struct daemon *daemon_new(struct config *cfg, struct loop *l, bool foreground, bool verbose);

/* Logging, for main and the channels: syslog priorities. */
__attribute__((format(printf, 3, 4))) void daemon_log(struct daemon *d, int prio, const char *fmt,
                                                      ...);
void daemon_vlog(struct daemon *d, int prio, const char *fmt, va_list ap);

/* As root: create the state directory and the socket, owned by UID:GID
 * (-1: as is).  Returns 0 or -1 with ERR set. */
int daemon_open(struct daemon *d, uid_t uid, gid_t gid, char *err, size_t errlen);

/* After dropping privileges: load the state, open the outbox and the
 * channels, start the checks.  Returns 0 or -1 with ERR set. */
int daemon_start(struct daemon *d, char *err, size_t errlen);

/* SIGHUP: NEW (from config_load) replaces the config, unless it cannot be
 * applied (then it is freed and the old one stays; the reason is logged).
 * Returns 0 when applied. */
int daemon_reload(struct daemon *d, struct config *new_cfg);

/* A child ended (SIGCHLD); returns 1 if it was one of the daemon's. */
int daemon_reaped(struct daemon *d, pid_t pid, int status);

/* The config in force (for main's reload diagnostics). */
const struct config *daemon_config(const struct daemon *d);

/* Save everything in the foreground, close channels, checks and socket,
 * free.  NULL is fine. */
void daemon_close(struct daemon *d);

#endif
