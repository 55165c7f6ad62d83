/*
 * notice.h - one notification as the channels see it, and its encoding as an
 * outbox payload.
 *
 * A notice is built by the daemon from a rules event and the service's latest
 * result, written to the outbox (notice_encode) before any attempt, and read
 * back (notice_decode) by whoever delivers it, possibly after a restart.  All
 * text is UTF-8 (invalid bytes replaced by '?'), without control characters
 * (each replaced by a space), and fits its buffer (cut at a character
 * boundary); notice_set_text() applies those rules.
 *
 * Payload format: text lines "key value\n" (keys below, in any order, unknown
 * keys ignored so older daemons can read newer payloads); the value is the
 * rest of the line after one space, with '\\' written as "\\\\" and nothing
 * else escaped (values never hold control characters).  Numbers in decimal;
 * a NAN double as "nan".
 *   v 1  kind problem  id 42  state CRITICAL  previous OK  at 1700000000
 *   since 1699990000  host web01  service disk  output DISK_TREND CRITICAL - ...
 *   perfdata '/'=...  value 17105133568B  slope 1.5e+06B/d  time_left 86400
 *   history 1.7e+10 1.71e+10 ...  (up to NOTICE_HISTORY finite numbers, %.17g)
 */
#ifndef TT_NOTICE_H
#define TT_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

#define NOTICE_HOST_MAX     256 /* buffer sizes, with the NUL */
#define NOTICE_SERVICE_MAX  256
#define NOTICE_OUTPUT_MAX   1024
#define NOTICE_PERFDATA_MAX 1024
#define NOTICE_NUMBER_MAX   64
#define NOTICE_HISTORY      16 /* recent values carried for a chart */

/* The rules events, in the same order, and the test notification. */
enum notice_kind {
	NOTICE_PROBLEM = RULES_PROBLEM,
	NOTICE_RECOVERY = RULES_RECOVERY,
	NOTICE_RENOTIFY = RULES_RENOTIFY,
	NOTICE_FLAP_START = RULES_FLAP_START,
	NOTICE_FLAP_STOP = RULES_FLAP_STOP,
	NOTICE_STALE = RULES_STALE,
	NOTICE_STALE_END = RULES_STALE_END,
	NOTICE_TEST, /* trendtrap test-trap: proves the path to a channel */
};

struct notice {
	enum notice_kind kind;
	uint64_t id;               /* event id: a problem and its recovery share it */
	enum rules_state state;    /* state after the event */
	enum rules_state previous; /* last notified state before it */
	int64_t at;                /* when the event happened, unix seconds */
	int64_t since;             /* when the problem / flapping / staleness began */
	char host[NOTICE_HOST_MAX];
	char service[NOTICE_SERVICE_MAX];
	char output[NOTICE_OUTPUT_MAX];     /* the latest result's first line, no perfdata */
	char perfdata[NOTICE_PERFDATA_MAX]; /* its perfdata, as the plugin wrote it */
	char value[NOTICE_NUMBER_MAX];      /* the measured value with its unit ("17105133568B"),
	                                       "" when unknown */
	char slope[NOTICE_NUMBER_MAX];      /* the trend with its unit per time ("-1.5e+06B/h"),
	                                       "" when unknown */
	int64_t time_left;                  /* projected seconds left; -1 when unknown */
	double history[NOTICE_HISTORY];     /* the service's recent values (numbers of
	                                       `value`, one per result), oldest first */
	size_t nhistory;                    /* how many; 0 when none are known */
};

/* Copy SRC[0..LEN) into DST (of size DSTLEN >= 1) by the rules above. */
void notice_set_text(char *dst, size_t dstlen, const char *src, size_t len);

/* Fill N's value, slope and time_left from PERFDATA (Nagios perfdata syntax,
 * quoted labels allowed): value = the item labelled "ratio" if any, else the
 * first item; slope = the first item whose label ends in "slope_per_hour"
 * ("/h") or "growth_per_day" ("/d"); time_left = the first item whose label
 * ends in "time_left" (seconds).  "U" values and missing items are unknown. */
void notice_perf_extract(struct notice *n, const char *perfdata);

/* The number of the item notice_perf_extract() takes as the value, without
 * its unit: true with *VALUE set, false when there is none (or "U"). */
bool notice_perf_value(const char *perfdata, double *value);

/* Encode N into BUF; returns the length (snprintf semantics: >= LEN means it
 * did not fit; 8 KiB is always enough). */
int notice_encode(const struct notice *n, char *buf, size_t len);

/* Decode BUF[0..LEN) into *N (zeroed first; time_left -1 unless given).
 * Returns 0, or -1 with a reason in ERR (bad or missing v, kind, id, host,
 * service, at, or a line without a key). */
int notice_decode(const char *buf, size_t len, struct notice *n, char *err, size_t errlen);

/* "problem", "recovery", "renotify", "flap-start", "flap-stop", "stale",
 * "stale-end", "test". */
const char *notice_kind_name(enum notice_kind kind);

#endif
