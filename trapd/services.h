/*
 * services.h - trendtrapd's table of services: one entry per (host, service)
 * that ever reported, with its state machine, latest result and timer; and
 * the file that carries them across restarts.
 *
 * A hash table with chaining, grown at load factor 1; entries are never
 * removed while the daemon runs (a service that stops reporting goes stale,
 * which is worth knowing).  Each entry is one allocation plus its latest
 * result text.
 *
 * Escalation: each service remembers which routes with `after` took its
 * open problem, as bits of a mask (bit = route index).  Route indexes change
 * when the configuration does, so the table also keeps the fingerprints of
 * the routes the bits stand for; services_set_routes() moves every bit to
 * the same route in a new configuration (a route that changed counts as a
 * new one: it may escalate a problem again, never miss one).
 *
 * State file (STATE_DIR/services), written whole by services_save() (temp
 * file, fsync, rename): a header line
 *   trendtrapd-services 3 next_id=N routes=FP,FP,...
 * (route fingerprints in hex, in route order; empty when there are none),
 * then one line per service, tab-separated:
 *   HOST SERVICE SENT_PROBLEM_ID RULES_LINE OUTPUT PERFDATA ACKED_ID ESCALATED
 * (ESCALATED in hex).  Older files are read too: version 2 has no routes
 * (its bits are taken to stand for the current routes, as they did), version
 * 1 neither the last two fields.
 * (RULES_LINE from rules_encode(); host, service, output and perfdata hold no
 * control characters, so no escaping is needed).  services_load() validates
 * every line; a file that does not parse is refused as a whole with the line
 * number, and the caller sets it aside.
 */
#ifndef TT_SERVICES_H
#define TT_SERVICES_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "rules.h"

#define SERVICES_VALUES 16 /* recent values kept per service */
#define SERVICES_ROUTES 64 /* routes whose escalation is remembered: bits of svc->escalated */

struct svc {
	struct svc *next;                  /* hash chain */
	uint64_t hash;                     /* of host and service */
	const struct rules_policy *policy; /* the check's or the defaults; set by the daemon */
	struct rules_service rs;
	uint64_t sent_problem_id;      /* id of the last PROBLEM actually queued (not
	                                  silenced, routed): its RECOVERY may be sent */
	uint64_t acked_problem_id;     /* the `trendtrap ack`ed problem: no reminders, no
	                                  escalation; a change of state ends it */
	uint64_t escalated;            /* routes with `after` (bit = index into the
	                                  table's routes) that took the open problem */
	enum rules_state last;         /* the latest result's state */
	float values[SERVICES_VALUES]; /* recent measured values, a ring (for charts; not
	                                  saved: it refills after a restart) */
	uint8_t nvalues, next_value;
	struct loop_timer timer; /* armed at rules_deadline() or an escalation */
	void *owner;             /* the daemon: its timer callback's context */
	char *output;            /* latest output's first line; text + '\0' + perfdata */
	const char *perfdata;    /* into output's allocation */
	char *service;           /* into key */
	char host[];             /* host '\0' service '\0' */
};

struct services {
	struct svc **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
	uint64_t next_id;                 /* the rules' event id counter (persisted), >= 1 */
	uint64_t routes[SERVICES_ROUTES]; /* fingerprints of the routes the escalated
	                                     bits stand for, in order */
	size_t nroutes;
	int routes_known; /* 0: loaded from a file without them (or none yet) */
};

/* An empty table with next_id 1.  Returns 0 or -1 (no memory). */
int services_init(struct services *t);

/* Free every entry; T can be initialised again.  Timers must be cleared by
 * the caller first (services_foreach). */
void services_free(struct services *t);

/* The entry for HOST and SERVICE, or NULL. */
struct svc *services_find(const struct services *t, const char *host, const char *service);

/* The entry, created with rules_init(NOW) when new (*CREATED says which; may
 * be NULL).  Returns NULL when out of memory. */
struct svc *services_get(struct services *t, const char *host, const char *service, int64_t now,
                         int *created);

/* Replace S's latest output and perfdata.  Returns 0 or -1 (no memory: the
 * old text stays). */
int services_set_output(struct svc *s, const char *output, const char *perfdata);

/* Remember V as S's latest value. */
void services_push_value(struct svc *s, double v);

/* S's recent values, oldest first, into OUT (SERVICES_VALUES); how many. */
size_t services_values(const struct svc *s, double *out);

/* The routes of the configuration now in force: FP[0..N) are their
 * fingerprints in order (N is cut to SERVICES_ROUTES).  Every service's
 * escalated bits move from the table's previous routes to the same ones in
 * FP (the first unclaimed route with the same fingerprint); a bit whose
 * route is gone is dropped.  When the previous routes are not known, the
 * bits stay where they are. */
void services_set_routes(struct services *t, const uint64_t *fp, size_t n);

/* Call FN on every entry, in no particular order. */
void services_foreach(struct services *t, void (*fn)(struct svc *s, void *arg), void *arg);

/* Write the whole table to PATH atomically (fsync'ed).  Returns 0 or -1 with
 * ERR set. */
int services_save(const struct services *t, const char *path, char *err, size_t errlen);

/* Load PATH into the empty table T (a missing file leaves it empty and
 * returns 0).  Policies are left NULL and timers unarmed.  Returns 0, or -1
 * with ERR set ("PATH:LINE: ..."), T then empty again. */
int services_load(struct services *t, const char *path, char *err, size_t errlen);

#endif
