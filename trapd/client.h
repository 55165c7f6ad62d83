/*
 * client.h - the client side of trendtrapd's Unix socket (the protocol is
 * described in server.h): connect, send lines, read the reply to a control
 * command; and the few encodings the protocol needs.
 *
 * Nothing here waits forever: client_open() gives up when no connection is
 * made within the timeout, and every later wait (for the daemon to take more
 * data, or to send the next part of its reply) fails after the same timeout
 * without progress.  Writes never raise SIGPIPE.  Library code: no printing;
 * errors are -1 with one line in the caller's ERR buffer.
 */
#ifndef TT_CLIENT_H
#define TT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLIENT_LINE_MAX 65536 /* longest reply line accepted, newline included */

struct client;

/* The final line of a reply: "OK [TEXT]" or "ERR TEXT". */
enum client_final {
	CLIENT_OK = 0,
	CLIENT_ERR = 1,
};

/* Called with each data line of a reply, without its '+' and newline. */
typedef void client_data_fn(void *arg, const char *text);

/* Connect to the socket at PATH within TIMEOUT_MS (> 0) milliseconds, the
 * timeout of every later wait too.  Returns 0 with *OUT set, or -1 with ERR
 * set to "cannot connect to PATH: REASON" and a hint for the usual causes. */
int client_open(const char *path, int timeout_ms, struct client **out, char *err, size_t errlen);

/* Send DATA[0..LEN): buffered, written once the buffer fills, by
 * client_flush() or before a reply is read.  Returns 0, or -1 with ERR set
 * (timeout, or the daemon closed the connection: with its ERR text if any). */
int client_send(struct client *c, const void *data, size_t len, char *err, size_t errlen);

/* Write everything client_send() buffered.  Returns 0 or -1 with ERR set. */
int client_flush(struct client *c, char *err, size_t errlen);

/* Flush, then read the reply to the control command sent last: each data
 * line goes to FN(ARG, text); the text of the final line after "OK" or "ERR"
 * and one space ("" when none) is copied into TEXT.  Returns CLIENT_OK,
 * CLIENT_ERR, or -1 with ERR set: timeout, connection closed before the final
 * line, or a line that is not the protocol. */
int client_reply(struct client *c, client_data_fn *fn, void *arg, char *text, size_t textlen,
                 char *err, size_t errlen);

/* Close the connection and free C; NULL is fine. */
void client_close(struct client *c);

/* Whether VALUE can be field WHAT of a command line: not empty, no control
 * characters, and no ';' unless LAST (the last field may hold them).
 * Returns 0, or -1 with ERR set ("HOST 'a;b' has a ';', ..."). */
int client_check_field(const char *what, const char *value, bool last, char *err, size_t errlen);

/* "[NOW] PROCESS_SERVICE_CHECK_RESULT;HOST;SERVICE;RC;OUTPUT\n" in a new
 * string (the caller frees it; NULL when out of memory).  Trailing newlines
 * of OUTPUT are dropped, the others (and a "\r" before them) become the two
 * characters "\n".  HOST and SERVICE must have passed client_check_field(). */
char *client_result_line(int64_t now, const char *host, const char *service, int rc,
                         const char *output);

/* Whether LINE is a control command ("[TS] TRENDTRAP_..."), which is
 * answered and so cannot be mixed into a stream of results. */
bool client_is_control(const char *line);

/* The counts in TRENDTRAP_SYNC's final text "accepted=A rejected=R".
 * Returns 0, or -1 when TEXT does not hold both. */
int client_sync_counts(const char *text, uint64_t *accepted, uint64_t *rejected);

/* Split a TRENDTRAP_SYNC data line "line N: MESSAGE" into N and MESSAGE.
 * Returns 0, or -1 when TEXT is not of that form. */
int client_rejected_line(const char *text, uint64_t *line, const char **message);

#endif
