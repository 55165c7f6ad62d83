/*
 * mailmsg.h - notices as complete RFC 5322 e-mail messages (pure code: no
 * I/O, no clock; NOW is a parameter), for the mail channel.
 *
 * The message is ready for SMTP DATA except for dot-stuffing, which libcurl
 * does: CRLF line ends everywhere, headers
 *   Date, From ("trendtrap <FROM>"), To (the one recipient), Subject,
 *   Message-ID, [In-Reply-To, References], MIME-Version: 1.0,
 *   Content-Type: text/plain; charset=UTF-8,
 *   Content-Transfer-Encoding: quoted-printable, Auto-Submitted: auto-generated
 * in that order, then a plain-text body (lines of at most 76 octets).
 *
 * Subject: one line for a phone screen (at most MAILMSG_SUBJECT_CHARS
 * characters, cut with "..."): "[CRITICAL] web01 disk / full in 2d 3h",
 * "[RECOVERY] web01 disk /", "[FLAPPING] ...", "[FLAPPING END] ...",
 * "[STALE] ...", "[STALE END] ...", "[TEST] ..."; a problem without a known
 * time left shows the first words of the plugin output instead.  A message
 * of several notices (a digest or a group) is "[trendtrap] 15 notifications:
 * 9 CRITICAL, 4 WARNING, 2 RECOVERY".  A subject that is not plain ASCII (or
 * holds "=?") is sent as RFC 2047 encoded words (=?UTF-8?B?...?=, each at most
 * 75 characters, whole characters only), folded onto continuation lines.
 *
 * Threading: a new problem (kind problem, previous OK) is
 * <trendtrap.ID.problem@DOMAIN>, DOMAIN being the From address's domain; every
 * other notice is <trendtrap.ID.KIND.AT@DOMAIN> (KIND as notice_kind_name(),
 * AT its unix time), and a recovery, a renotification or a later change of a
 * problem (kind problem, previous not OK) has In-Reply-To and References set
 * to its problem's id.  Several notices: <trendtrap.digest.AT.FIRSTID@DOMAIN>
 * with AT the latest notice's time and FIRSTID the first notice's event id.
 * The ids depend on the notices only, so a message sent again after a
 * failure carries the same one.
 *
 * Header injection: every header value made from notice text has its control
 * characters (C0, DEL, C1) replaced by spaces and invalid UTF-8 by '?', whatever
 * the notice holds; addresses must pass mailmsg_address_ok().
 */
#ifndef TT_MAILMSG_H
#define TT_MAILMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "notice.h"

#define MAILMSG_SUBJECT_CHARS 78  /* characters of the decoded subject, at most */
#define MAILMSG_DIGEST_OUTPUT 100 /* characters of output per notice in a digest */

/* Whether S is an address fit for an SMTP envelope and a header:
 * LOCAL@DOMAIN, printable ASCII, LOCAL of RFC 5322 atext and dots, DOMAIN of
 * letters, digits, '-' and '.', at most 254 bytes. */
bool mailmsg_address_ok(const char *s);

/* Build the message carrying the COUNT (>= 1) notices N[0..COUNT) from FROM
 * to TO, dated NOW (unix seconds), into a new malloc()ed buffer *MSG of
 * *LEN bytes (plus a NUL not counted).  Returns 0, or -1 with ERR set (an
 * address refused by mailmsg_address_ok(), no notice, out of memory). */
int mailmsg_build(const struct notice *const *n, size_t count, const char *from, const char *to,
                  int64_t now, char **msg, size_t *len, char *err, size_t errlen);

/* The values V[0..N) as a one-line chart of block characters ("▁▂▄█", one
 * per value, lowest = U+2581, highest = U+2588; all equal: U+2584; not
 * finite: '?') into BUF (always NUL-terminated when LEN > 0, never cut
 * inside a character).  Returns the bytes written, without the NUL. */
size_t mailmsg_chart(const double *v, size_t n, char *buf, size_t len);

#endif
