/*
 * ingest.h - one line of trendtrapd's socket protocol (see server.h), parsed
 * in place: a check result for the state machine, or a control command.
 *
 * Pure code: no I/O, no allocation.  The parser cuts LINE into fields by
 * writing NULs into it, and the result points into LINE, so LINE must
 * outlive it.  Strict where a mistake would file a result under the wrong
 * name (host, service, return code), lenient where Nagios is (the output may
 * contain ';', may be missing, and its long part is dropped).
 *
 *   [TS] PROCESS_SERVICE_CHECK_RESULT;HOST;SERVICE;RC[;OUTPUT[|PERFDATA]]
 *   [TS] PROCESS_HOST_CHECK_RESULT;HOST;RC[;OUTPUT[|PERFDATA]]
 *   [TS] TRENDTRAP_SYNC | TRENDTRAP_STATUS | TRENDTRAP_SILENCE_LIST
 *   [TS] TRENDTRAP_SILENCE_ADD;PATTERN;DURATION;COMMENT   (COMMENT may hold ';')
 *   [TS] TRENDTRAP_SILENCE_REMOVE;ID
 *   [TS] TRENDTRAP_TEST;CHANNEL
 *   [TS] TRENDTRAP_ACK;PATTERN;COMMENT                    (COMMENT may hold ';')
 *
 * "[TS] " is "[" decimal unix seconds "]" then optional spaces.  Command names
 * are case-sensitive, as in Nagios.  A control command's arguments are
 * checked for their number only; their content is for the command's code.
 */
#ifndef TT_INGEST_H
#define TT_INGEST_H

#include <stddef.h>
#include <stdint.h>

#define INGEST_NAME_MAX 255 /* longest host or service name, in bytes */
#define INGEST_MAX_ARGS 4   /* control command arguments, at most */

enum ingest_type {
	INGEST_SERVICE_RESULT,
	INGEST_HOST_RESULT,
	INGEST_CONTROL,
};

struct ingest_line {
	enum ingest_type type;
	int64_t timestamp;   /* the [TIMESTAMP] prefix, -1 when absent */
	const char *command; /* the command name, e.g. "PROCESS_HOST_CHECK_RESULT",
	                        "TRENDTRAP_SYNC" */
	/* Results (NULL for control commands). */
	const char *host;     /* 1..INGEST_NAME_MAX bytes, no control characters */
	const char *service;  /* likewise; "HOST" for host results */
	int rc;               /* the state filed, 0..3 (OK, WARNING, CRITICAL, UNKNOWN); a
	                         host's 1 (DOWN) and 2 (UNREACHABLE) are CRITICAL (2) */
	const char *output;   /* first line of the output without perfdata and trailing
	                         blanks; "" allowed */
	const char *perfdata; /* what follows the first line's first '|', trimmed; "" if none */
	/* Control commands (nargs 0 for results). */
	const char *args[INGEST_MAX_ARGS]; /* the ';'-separated arguments */
	size_t nargs;
};

/* Parse LINE[0..LEN) (without its "\n"; one trailing "\r" is dropped) into
 * *OUT.  LINE[0..LEN] must be writable: fields are NUL-terminated in place,
 * LINE[LEN] included.  Returns 0, or -1 with a one-line reason in ERR (then
 * *OUT and LINE hold garbage). */
int ingest_parse(char *line, size_t len, struct ingest_line *out, char *err, size_t errlen);

#endif
