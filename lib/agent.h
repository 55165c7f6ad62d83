/*
 * agent.h - read values from an SNMP agent: GET and subtree walks, v1/v2c/v3.
 *
 * Two back-ends behind one ops table (agent_module.h). SNMP v1 and v2c,
 * which need no cryptography, are spoken natively (lib/snmpv2c.c: BER and
 * UDP). SNMPv3 is done by net-snmp, inside the loadable module
 * trendtrap-snmp.so (lib/snmpget.c), for its USM crypto. Loading libnetsnmp
 * (linked BIND_NOW) costs 4.3 M instructions, more than a whole check, so
 * nothing links it: agent_open() dlopen()s the module for v3 only. The
 * module is found at $TRENDTRAP_SNMP_MODULE, else at the installed path
 * (TT_SNMP_MODULE, when that file exists), else at <directory of the
 * executable>/../lib/trendtrap-snmp.so (the build tree).
 *
 * Errors come back as a kind (for the exit code and for tests) and one
 * operator-grade line naming the host, the port and what to check.
 */
#ifndef TT_AGENT_H
#define TT_AGENT_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_OID_MAX    64 /* sub-identifiers in an OID */
#define AGENT_STRING_MAX 256
#define AGENT_GET_MAX    60    /* OIDs per GET PDU; agent_get splits above */
#define AGENT_WALK_MAX   10000 /* varbinds one agent_walk returns at most */

enum agent_level { AGENT_NO_AUTH_NO_PRIV, AGENT_AUTH_NO_PRIV, AGENT_AUTH_PRIV };

/* Where and how to ask. Strings are borrowed: they must outlive the agent. */
struct agent_target {
	const char *host;       /* "host", "host:port", "[v6addr]:port" or a bare v6
	                           address; the port defaults to 161; always UDP */
	int version;            /* 1, 2 (= v2c) or 3 */
	const char *community;  /* v1/v2c */
	const char *user;       /* v3 securityName */
	enum agent_level level; /* v3 */
	const char *auth_proto; /* v3: "SHA" (SHA-1), "SHA-256", "SHA-512", "MD5" */
	const char *auth_pass;  /* v3, at least 8 characters */
	const char *priv_proto; /* v3: "AES" (AES-128), "AES-256", "DES" */
	const char *priv_pass;  /* v3, at least 8 characters */
	double timeout;         /* seconds per try */
	int retries;            /* tries after the first */
};

enum agent_type {
	AGENT_INTEGER,          /* INTEGER / Integer32: i */
	AGENT_UNSIGNED,         /* Gauge32, Counter32, TimeTicks, Unsigned32: u */
	AGENT_COUNTER64,        /* u */
	AGENT_STRING,           /* OCTET STRING, IpAddress, Opaque: s, slen */
	AGENT_OID,              /* OBJECT IDENTIFIER: s holds it as ".1.3.6..." */
	AGENT_NO_SUCH_OBJECT,   /* the agent has no such object (or its view hides it) */
	AGENT_NO_SUCH_INSTANCE, /* the object exists, this instance does not */
	AGENT_END_OF_MIB,       /* a walk ran past the agent's last object */
	AGENT_NULL,             /* NULL */
	AGENT_OTHER,            /* a type this layer does not interpret */
};

struct agent_value {
	enum agent_type type;
	int64_t i;
	uint64_t u;
	char s[AGENT_STRING_MAX];    /* NUL-terminated; cut at AGENT_STRING_MAX - 1 */
	size_t slen;                 /* bytes in s (the value may hold NULs) */
	uint32_t oid[AGENT_OID_MAX]; /* the varbind's OID */
	size_t oidlen;
};

enum agent_error {
	AGENT_OK,
	AGENT_TIMEOUT,      /* no response after every try */
	AGENT_AUTH,         /* v3: wrong digest (passphrase/protocol) or decryption error */
	AGENT_UNKNOWN_USER, /* v3: the agent does not know the user */
	AGENT_PROTOCOL,     /* an error-status in the response, unsupported security
	                       level, a malformed answer, ... */
	AGENT_LOCAL,        /* module not loadable, bad host, bad option values, ... */
};

struct agent; /* an open session with one agent */

/* Open a session with the agent T names (loading the module if needed). No
 * packet is sent yet: v3 engine discovery happens with the first request.
 * Returns 0, or -1 with *KIND and ERR set (bad host, module not loadable,
 * a protocol or passphrase net-snmp refuses). */
int agent_open(const struct agent_target *t, struct agent **out, enum agent_error *kind, char *err,
               size_t errlen);

/* GET the N numeric OIDs (".1.3.6.1...", leading dot optional) in one PDU
 * (AGENT_GET_MAX per PDU). VALS[i] answers OIDS[i]; an absent object is a
 * value of type AGENT_NO_SUCH_OBJECT / _INSTANCE, not an error (also for v1,
 * whose noSuchName is turned into that). Returns 0 or -1 (KIND, ERR). */
int agent_get(struct agent *a, const char *const *oids, size_t n, struct agent_value *vals,
              enum agent_error *kind, char *err, size_t errlen);

/* Walk the NROOTS subtrees ROOTS side by side: GETBULK for v2c/v3 (one PDU
 * carries every unfinished subtree, so a table's columns come back together),
 * GETNEXT for v1. Stops each subtree at its end; at most AGENT_WALK_MAX
 * varbinds in all. *VALS (malloc'ed, free() it, *N entries) holds the
 * varbinds found, in the order they arrived; a subtree with no objects
 * contributes none. Returns 0 or -1 (KIND, ERR). */
int agent_walk(struct agent *a, const char *const *roots, size_t nroots, struct agent_value **vals,
               size_t *n, enum agent_error *kind, char *err, size_t errlen);

/* The agent's address as shown in messages: "host:port" or "[v6]:port". */
const char *agent_peer(const struct agent *a);

/* Requests (PDUs) sent so far, retries not counted: to check round trips. */
unsigned agent_requests(const struct agent *a);

/* How the last agent_get or agent_walk ended (AGENT_OK after a success): for
 * callers whose own errors wrap an agent failure. */
enum agent_error agent_last_error(const struct agent *a);

/* Close the session; NULL is fine. */
void agent_close(struct agent *a);

/* ---- pure helpers (no agent needed) ----------------------------------- */

/* Parse a numeric OID into SUB[0..*LEN) (at most MAX). Returns 0 or -1. */
int agent_oid_parse(const char *text, uint32_t *sub, size_t max, size_t *len);

/* Format SUB[0..LEN) as ".1.3.6..." into BUF (cut to fit). */
void agent_oid_format(const uint32_t *sub, size_t len, char *buf, size_t buflen);

/* Split "host", "host:port", "[v6]:port", "[v6]" or a bare v6 address into
 * HOST (no brackets) and *PORT (161 when absent); *V6 says whether HOST is an
 * IPv6 address. Returns 0 or -1 with a reason in ERR. */
int agent_parse_host(const char *text, char *host, size_t hostlen, unsigned *port, int *v6,
                     char *err, size_t errlen);

#endif
