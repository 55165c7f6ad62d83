/*
 * smstext.h - the text of an SMS and the bodies that carry it to a gateway
 * (pure code: no I/O, no allocation, no clock).
 *
 * Text.  smstext_render() turns one notice, or several (a digest or a group),
 * into one short line that says what an operator needs on a phone:
 *   CRITICAL web01 disk /: full in 2d 3h (DISK_TREND CRITICAL - / 97%)
 *   RECOVERED web01 disk /
 *   3 alerts: CRIT web01 disk /; WARN db1 mem; OK web02 api
 *   9 alerts: CRIT web01 disk /; WARN db1 mem; and 7 more
 * and makes it fit the channel's max_segments.
 *
 * Encoding.  An SMS goes as GSM-7 when every character is in the GSM 03.38
 * basic set (1 septet) or its extension table (^ { } \ [ ~ ] | and the euro
 * sign, form feed: 2 septets, an escape and the character), otherwise as
 * UCS-2, counted in UTF-16 code units (characters outside the BMP take a
 * surrogate pair: 2).  One segment holds 160 septets or 70 units; a
 * concatenated message holds 153 septets or 67 units per segment, and a
 * character (escape pair, surrogate pair) never straddles two segments.
 * Shortened text ends with "..." in GSM-7, with "…" in UCS-2, and is cut at a
 * character boundary, never inside a UTF-8 sequence.
 *
 * Bodies.  smstext_expand() fills a template's placeholders, "{name}" with a
 * C identifier as the name, each value encoded for where it goes:
 * a JSON string's contents, an application/x-www-form-urlencoded value, a URL
 * path segment, or as is (a header line: no control characters allowed).
 * Any other '{' (as in a JSON object) is copied as is; a placeholder with a
 * name not in the list is an error, so a typo never goes out to a gateway.
 */
#ifndef TT_SMSTEXT_H
#define TT_SMSTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "notice.h"

#define SMSTEXT_MAX 4096 /* a buffer that always holds a rendered text, with the NUL */

#define SMSTEXT_GSM7_SINGLE 160 /* septets in a message of one segment */
#define SMSTEXT_GSM7_MULTI  153 /* septets per segment of a concatenated message */
#define SMSTEXT_UCS2_SINGLE 70  /* UTF-16 code units, likewise */
#define SMSTEXT_UCS2_MULTI  67

enum smstext_coding {
	SMSTEXT_GSM7,
	SMSTEXT_UCS2,
};

/* What a text costs. */
struct smstext_count {
	enum smstext_coding coding;
	size_t units;    /* septets (GSM-7) or UTF-16 code units (UCS-2) */
	size_t segments; /* SMS segments it takes; 1 for the empty text */
};

/* Count the UTF-8 text S (an invalid byte counts as one UCS-2 character). */
struct smstext_count smstext_count(const char *s);

/* Shorten S, a string in a buffer of SIZE bytes, so that it takes at most
 * MAX_SEGMENTS segments (0 is taken as 1) and fits SIZE: cut at a character
 * boundary, trailing spaces dropped, and the ellipsis of its coding appended.
 * The coding that keeps more of S wins (a GSM-7 prefix can be longer than all
 * of S in UCS-2).  Returns true when S was shortened. */
bool smstext_fit(char *s, size_t size, unsigned max_segments);

/* Write the text of the COUNT >= 1 notices N[] into OUT (of size LEN >= 16),
 * fitted to MAX_SEGMENTS as smstext_fit() does; a digest lists as many
 * notices as fit and ends with "and K more".  Returns strlen(OUT). */
size_t smstext_render(const struct notice *const *n, size_t count, unsigned max_segments, char *out,
                      size_t len);

enum smstext_enc {
	SMSTEXT_RAW,  /* as is; control characters refused (header lines) */
	SMSTEXT_JSON, /* inside a JSON string: \" \\ and \u00XX for controls */
	SMSTEXT_FORM, /* application/x-www-form-urlencoded: ' ' as '+', %XX */
	SMSTEXT_PATH, /* a URL path segment: RFC 3986 unreserved kept, %XX */
};

/* Encode S by ENC into OUT (of size LEN; may be 0 with OUT NULL).  Returns
 * the length of the whole encoding (snprintf semantics: >= LEN means it was
 * cut), or -1 with SMSTEXT_RAW when S holds a control character.  Invalid
 * UTF-8 becomes U+FFFD in JSON. */
int smstext_encode(enum smstext_enc enc, const char *s, char *out, size_t len);

/* A placeholder's name (without braces) and its value (UTF-8). */
struct smstext_var {
	const char *name;
	const char *value;
};

/* Expand the template TMPL into OUT (of size LEN; may be 0 with OUT NULL),
 * each "{name}" of VARS[0..NVARS) replaced by its value encoded by ENC.
 * Returns the length of the whole expansion (snprintf semantics), or -1 with
 * a message in ERR: an unknown placeholder, or a value RAW refuses. */
int smstext_expand(const char *tmpl, enum smstext_enc enc, const struct smstext_var *vars,
                   size_t nvars, char *out, size_t len, char *err, size_t errlen);

/* Twilio's form body "To=..&From=..&Body=.." (snprintf semantics). */
int smstext_twilio_body(const char *to, const char *from, const char *text, char *out, size_t len);

/* The body placeholders of the http provider, in the order of the struct
 * smstext_var array smstext_body_vars() fills (SMSTEXT_NVARS entries). */
#define SMSTEXT_NVARS 8

/* Fill VARS with {to} {from} {text} {host} {service} {state} {kind} {id} for
 * a message to TO from FROM ("" when none) with TEXT about N[0] (the first of
 * a digest; {id} is the event id in decimal, written into IDBUF of 24 bytes).
 * The values point into the arguments, which must outlive VARS. */
void smstext_body_vars(struct smstext_var vars[SMSTEXT_NVARS], const char *to, const char *from,
                       const char *text, const struct notice *n, char idbuf[24]);

#endif
