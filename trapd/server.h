/*
 * server.h - trendtrapd's Unix socket: result lines in, control commands
 * answered.
 *
 * The protocol is lines of text ending in "\n" (a "\r" before it is dropped),
 * each at most socket.max_line bytes.  Every line is a Nagios external command
 * with an optional "[TIMESTAMP] " prefix (unix seconds; accepted and ignored:
 * the daemon files a result at the time it reads it):
 *
 *   [1700000000] PROCESS_SERVICE_CHECK_RESULT;HOST;SERVICE;RC;OUTPUT|PERFDATA
 *   [1700000000] PROCESS_HOST_CHECK_RESULT;HOST;RC;OUTPUT|PERFDATA
 *
 * RC is 0..3 (a host check's 1 is DOWN, filed as CRITICAL, as Nagios does);
 * OUTPUT may contain ';' and literal "\n" sequences (Nagios' long output);
 * host results are filed under the service name "HOST".  Result lines are
 * never answered, so `printf ... | socat - UNIX-CONNECT:SOCK` feeds the daemon
 * like Nagios' command file; a bad line is logged (rate-limited) and counted.
 *
 * Control commands (also with an optional "[TIMESTAMP] " prefix) are
 * answered with zero or more data lines, each starting with "+", then exactly
 * one final line, "OK" or "OK TEXT" or "ERR TEXT":
 *
 *   TRENDTRAP_SYNC                   after the lines sent before it on this
 *                                    connection were processed:
 *                                    "+line N: MESSAGE" for each rejected one
 *                                    (the first 10), then
 *                                    "OK accepted=A rejected=R"
 *   TRENDTRAP_STATUS                 the services, outbox, dead letters and
 *                                    channel health, as text lines, then "OK"
 *   TRENDTRAP_SILENCE_ADD;PATTERN;DURATION;COMMENT
 *                                    "OK ID UNTIL" (PATTERN: HOST or
 *                                    HOST/SERVICE, fnmatch; DURATION "2h")
 *   TRENDTRAP_SILENCE_LIST           "+ID\tUNTIL\tPATTERN\tCOMMENT" per silence
 *                                    (UNTIL in ISO 8601 UTC), then "OK"
 *   TRENDTRAP_SILENCE_REMOVE;ID      "OK" or "ERR no silence ID"
 *   TRENDTRAP_TEST;CHANNEL           queues a test notification to every
 *                                    destination of CHANNEL: "OK N queued"
 *   TRENDTRAP_ACK;PATTERN;COMMENT    acknowledges the open problems PATTERN
 *                                    names: "OK N acknowledged"
 *
 * A connection is read in bounded slices per loop round, so one busy client
 * cannot stall the others (a flood is slowed by the socket's own back
 * pressure); a line longer than max_line is discarded up to its newline and
 * counted as rejected.
 */
#ifndef TT_SERVER_H
#define TT_SERVER_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#include "loop.h"

#define SERVER_MAX_CLIENTS 64         /* more connections wait in the listen queue */
#define SERVER_SYNC_ERRORS 10         /* rejected lines reported by TRENDTRAP_SYNC */
#define SERVER_READ_SLICE  65536      /* bytes read per connection per loop round */
#define SERVER_OUT_MAX     (64 << 20) /* unread replies beyond this: the client is dropped */

struct server;
struct server_conn;

/* One complete line LINE[0..LEN) (NUL-terminated at LEN, its "\n" removed) from
 * connection C.  The callback answers control commands with server_reply*()
 * and tells the outcome of result lines with server_accepted/rejected. */
typedef void server_line_fn(void *arg, struct server_conn *c, char *line, size_t len);

/* Told of every rejected line (by the server itself or the line callback),
 * e.g. to log it. */
typedef void server_reject_fn(void *arg, struct server_conn *c, const char *msg);

/* Create the listening socket at PATH (replacing a stale socket there, never
 * another kind of file; creating its directory, mode 0755, if missing), with
 * permission MODE and owner UID:GID (-1: unchanged).  Run before dropping
 * root.  Returns the descriptor, or -1 with ERR set. */
int server_listen(const char *path, unsigned mode, uid_t uid, gid_t gid, char *err, size_t errlen);

/* Serve connections on LISTEN_FD (which it then owns).  NULL without memory. */
struct server *server_new(struct loop *l, int listen_fd, size_t max_line, server_line_fn *fn,
                          server_reject_fn *reject, void *arg);

/* A reload may change the longest line accepted. */
void server_set_max_line(struct server *s, size_t max_line);

/* Close every connection and the listening socket (the path stays; the
 * caller unlinks it if it wants). */
void server_free(struct server *s);

/* The current line's number on its connection (1 = first). */
unsigned long server_lineno(const struct server_conn *c);

/* A result line was accepted, or rejected with MSG (one line). */
void server_accepted(struct server_conn *c);
void server_rejected(struct server_conn *c, const char *msg);

/* Queue one reply line (without "\n") for C. */
__attribute__((format(printf, 2, 3))) void server_reply(struct server_conn *c, const char *fmt,
                                                        ...);

/* Answer TRENDTRAP_SYNC: the rejected lines so far, then the counts. */
void server_sync(struct server_conn *c);

/* Totals since start: lines accepted and rejected, connections now open. */
void server_stats(const struct server *s, unsigned long long *accepted,
                  unsigned long long *rejected, size_t *clients);

#endif
