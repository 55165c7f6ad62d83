/*
 * silence.h - silences: "do not notify about these services until then"
 * (`trendtrap silence add PATTERN DURATION COMMENT`), kept in a file that
 * survives restarts.
 *
 * PATTERN is HOST (the host and all its services, "HOST" included) or
 * HOST/SERVICE, split at the first '/' (service names may contain '/'); each
 * part is an fnmatch(3) pattern without flags, so '*' also matches '/'.  A
 * silence holds while NOW < until; the daemon records a silenced
 * notification instead of sending it (see rules.h).
 *
 * Ids count up from 1 and are never reused: next_id is saved with the
 * silences, so a removed silence's id stays dead across restarts.
 *
 * File format (text, one record per line, every line ending in "\n"):
 *   trendtrap-silences 1 next_id=N
 *   ID\tCREATED\tUNTIL\tPATTERN\tCOMMENT
 * with '\\', tab, newline and carriage return in PATTERN and COMMENT written
 * as "\\\\", "\\t", "\\n", "\\r".  Loading checks everything silence_add()
 * does, plus unique ids below next_id and created <= until.
 */
#ifndef TT_SILENCE_H
#define TT_SILENCE_H

#include <stddef.h>
#include <stdint.h>

#define SILENCE_PATTERN_MAX  512                       /* bytes, whole pattern */
#define SILENCE_COMMENT_MAX  512                       /* bytes */
#define SILENCE_DURATION_MAX (100LL * 365 * 24 * 3600) /* seconds: 100 years */

struct silence {
	uint64_t id;           /* >= 1, unique for the life of the file */
	int64_t created;       /* unix seconds, NOW of silence_add() */
	int64_t until;         /* silenced while NOW < until */
	char *pattern;         /* as given: HOST or HOST/SERVICE */
	char *host_pattern;    /* the part before the first '/' */
	char *service_pattern; /* the part after it; NULL: every service */
	char *comment;
};

/* A set of silences, in id order.  Zero-initialised it is empty, and the
 * first id given is 1. */
struct silences {
	struct silence *v;
	size_t n;
	size_t cap;       /* slots allocated in v */
	uint64_t next_id; /* the id the next silence gets (0 is taken as 1) */
};

/* Add a silence for PATTERN, from NOW for DURATION (units_parse_duration(),
 * e.g. "2h"; fractions of a second round up) with COMMENT (1..512 bytes).
 * Returns 0 with its id in *ID_OUT (may be NULL), or -1 with a reason (bad
 * pattern, duration or comment; out of memory). */
int silence_add(struct silences *s, const char *pattern, const char *duration, const char *comment,
                int64_t now, uint64_t *id_out, char *err, size_t errlen);

/* Remove the silence ID.  Returns 0, or -1 when there is none. */
int silence_remove(struct silences *s, uint64_t id);

/* Remove the silences that have ended (until <= NOW); returns how many. */
size_t silence_expire(struct silences *s, int64_t now);

/* The first silence (lowest id) that holds for HOST/SERVICE at NOW, or NULL. */
const struct silence *silence_match(const struct silences *s, const char *host, const char *service,
                                    int64_t now);

/* Write S to PATH atomically and durably (temp file, fsync, rename, directory
 * fsync).  Returns 0 or -1 with a reason. */
int silence_save(const struct silences *s, const char *path, char *err, size_t errlen);

/* Replace *S (freeing what it held) with the silences in PATH; a missing file
 * gives an empty set with next_id 1.  Returns 0, or -1 with "PATH:LINE: reason" (or an I/O
 * reason) when the file cannot be read or is malformed; then *S is untouched. */
int silence_load(struct silences *s, const char *path, char *err, size_t errlen);

/* Free what S holds and leave it empty (next_id kept). */
void silence_free(struct silences *s);

#endif
