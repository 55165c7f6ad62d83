/*
 * agent.c - SNMP GET and walks: v1/v2c spoken natively (snmpv2c.c), v3
 * through the net-snmp module, loaded on demand.
 *
 * Both back-ends offer the ops of agent_module.h: one PDU per call, and why a
 * call failed. v1 and v2c need no cryptography, so they never load net-snmp
 * (loading it costs several times a whole remote check); only v3 dlopen()s
 * the module (snmpget.c, trendtrap-snmp.so) for its USM. This file finds and
 * loads the module, parses OIDs, splits GETs, runs walks (GETBULK over
 * several subtrees at once, GETNEXT for v1, v1's noSuchName turned into
 * per-OID absence) and writes the error messages, since it knows the target:
 * host, port, tries, community or user.
 */
#include "agent.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_module.h"
#include "module.h"
#include "snmpv2c.h"

#define MODULE_NAME       "trendtrap-snmp.so"
#define BULK_VARBINDS     120 /* varbinds a GETBULK asks for at most */
#define V1_NO_SUCH_NAME   2
#define ERR_TOO_BIG       1
#define ERR_NO_ACCESS     6
#define ERR_AUTHORIZATION 16

struct agent {
	void *dl;                     /* dlopen handle of the module (v3 only) */
	const struct agent_module *m; /* the ops: &v2c_module or the module's */
	void *sess;                   /* their session */
	struct agent_target t;        /* strings borrowed from the caller */
	char peer[300];               /* "host:port" or "[v6]:port", for messages */
	unsigned requests;            /* PDUs sent */
	enum agent_error last;        /* how the last agent_get/agent_walk ended */
};

/* ---- pure helpers ----------------------------------------------------- */

int agent_oid_parse(const char *text, uint32_t *sub, size_t max, size_t *len)
{
	const char *p = text;

	*len = 0;
	if (*p == '.')
		p++;
	while (*p != '\0') {
		unsigned long v;
		char *end;

		if (*p < '0' || *p > '9' || *len == max)
			return -1;
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno != 0 || v > UINT32_MAX || (*end != '.' && *end != '\0'))
			return -1;
		sub[(*len)++] = (uint32_t)v;
		p = *end == '.' ? end + 1 : end;
		if (*end == '.' && *p == '\0')
			return -1;
	}
	return *len >= 2 ? 0 : -1;
}

void agent_oid_format(const uint32_t *sub, size_t len, char *buf, size_t buflen)
{
	size_t used = 0;

	if (buflen == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < len && used < buflen; i++) {
		int w = snprintf(buf + used, buflen - used, ".%u", (unsigned)sub[i]);

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static int parse_port(const char *text, unsigned *port)
{
	char *end;
	unsigned long v;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

static int copy_host(const char *start, size_t len, char *host, size_t hostlen)
{
	if (len == 0 || len >= hostlen)
		return -1;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)start[i] <= ' ' || start[i] == '/' || start[i] == '[' ||
		    start[i] == ']')
			return -1;
	memcpy(host, start, len);
	host[len] = '\0';
	return 0;
}

int agent_parse_host(const char *text, char *host, size_t hostlen, unsigned *port, int *v6,
                     char *err, size_t errlen)
{
	const char *colon = strchr(text, ':'), *close;
	int rc;

	*port = 161;
	*v6 = 0;
	if (text[0] == '[') {
		close = strchr(text, ']');
		*v6 = 1;
		rc = close == NULL ? -1
		                   : copy_host(text + 1, (size_t)(close - text - 1), host, hostlen);
		if (rc == 0 && close[1] != '\0')
			rc = close[1] == ':' ? parse_port(close + 2, port) : -1;
	} else if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		*v6 = 1; /* a bare IPv6 address: no port */
		rc = copy_host(text, strlen(text), host, hostlen);
	} else if (colon != NULL) {
		rc = copy_host(text, (size_t)(colon - text), host, hostlen);
		if (rc == 0)
			rc = parse_port(colon + 1, port);
	} else {
		rc = copy_host(text, strlen(text), host, hostlen);
	}
	if (rc != 0)
		snprintf(err, errlen,
		         "bad host '%s': expected HOST, HOST:PORT or [IPv6]:PORT (port 1-65535)",
		         text);
	return rc;
}

/* ---- the module ------------------------------------------------------- */

static const struct module_spec snmp_spec = {
        .file = MODULE_NAME,
        .env = "TRENDTRAP_SNMP_MODULE",
#ifdef TT_SNMP_MODULE
        .installed = TT_SNMP_MODULE,
#endif
        .symbol = AGENT_MODULE_SYMBOL,
        .what = "SNMP",
};

static int module_load(struct agent *a, char *err, size_t errlen)
{
	char path[PATH_MAX + 64];
	const void *ops;

	a->dl = module_open(&snmp_spec, &ops, path, sizeof(path), err, errlen);
	if (a->dl == NULL)
		return -1;
	a->m = ops;
	if (a->m == NULL || a->m->version != AGENT_MODULE_VERSION ||
	    a->m->value_size != sizeof(struct agent_value)) {
		snprintf(err, errlen,
		         "the SNMP module %s does not match this program (version %u, want %u): "
		         "reinstall trendtrap",
		         path, a->m != NULL ? (unsigned)a->m->version : 0u, AGENT_MODULE_VERSION);
		return -1;
	}
	return 0;
}

/* ---- messages --------------------------------------------------------- */

static const char *level_name(enum agent_level l)
{
	static const char *const names[] = {"noAuthNoPriv", "authNoPriv", "authPriv"};

	return names[l];
}

/* No answer. When a v3 agent did answer engine discovery, an authPriv
 * request it then ignores is one it could not decrypt: agents drop those
 * without a report. */
static void timeout_message(const struct agent *a, const struct agent_fault *f,
                            enum agent_error *kind, char *err, size_t errlen)
{
	int tries = a->t.retries + 1;
	const char *plural = tries == 1 ? "try" : "tries";

	*kind = AGENT_TIMEOUT;
	if (f->discovered && a->t.level == AGENT_AUTH_PRIV) {
		*kind = AGENT_AUTH;
		snprintf(err, errlen,
		         "no response from %s after %d %s (%.3gs each) although it answered SNMPv3 "
		         "discovery: most likely a wrong privacy passphrase or protocol for user "
		         "'%s' (an agent drops what it cannot decrypt)",
		         a->peer, tries, plural, a->t.timeout, a->t.user);
		return;
	}
	snprintf(err, errlen,
	         "no response from %s after %d %s (%.3gs each): check the host, the port, %s, "
	         "and the agent's access control",
	         a->peer, tries, plural, a->t.timeout,
	         a->t.version == 3 ? "the user (v3)" : "the community (v1/v2c)");
}

/* An error-status in the response. */
static void status_message(const struct agent *a, const struct agent_fault *f, char *err,
                           size_t errlen)
{
	size_t len;

	snprintf(err, errlen, "the agent at %s answered '%s' (error-status %ld", a->peer, f->detail,
	         f->status);
	len = strlen(err);
	if (f->index > 0)
		snprintf(err + len, errlen - len, ", varbind %ld", f->index);
	len = strlen(err);
	if ((f->status == ERR_NO_ACCESS || f->status == ERR_AUTHORIZATION) && a->t.version == 3)
		snprintf(err + len, errlen - len,
		         "): its access control does not let user '%s' at security level %s read "
		         "this",
		         a->t.user, level_name(a->t.level));
	else if (f->status == ERR_NO_ACCESS || f->status == ERR_AUTHORIZATION)
		snprintf(err + len, errlen - len,
		         "): its access control does not let this community read this");
	else
		snprintf(err + len, errlen - len, ")");
}

/* Turn a module fault into *KIND and one line in ERR. */
static void fault_message(const struct agent *a, const struct agent_fault *f,
                          enum agent_error *kind, char *err, size_t errlen)
{
	const char *user = a->t.user != NULL ? a->t.user : "";

	*kind = AGENT_PROTOCOL;
	switch (f->cause) {
	case AGENT_C_TIMEOUT:
		timeout_message(a, f, kind, err, errlen);
		break;
	case AGENT_C_WRONG_DIGEST:
		*kind = AGENT_AUTH;
		snprintf(err, errlen,
		         "authentication failure for user '%s' at %s: wrong passphrase or protocol",
		         user, a->peer);
		break;
	case AGENT_C_DECRYPTION:
		*kind = AGENT_AUTH;
		snprintf(err, errlen,
		         "decryption error for user '%s' at %s: wrong privacy passphrase or "
		         "protocol",
		         user, a->peer);
		break;
	case AGENT_C_UNKNOWN_USER:
		*kind = AGENT_UNKNOWN_USER;
		snprintf(err, errlen, "the agent at %s does not know the user '%s'", a->peer, user);
		break;
	case AGENT_C_SEC_LEVEL:
		snprintf(err, errlen,
		         "the agent at %s does not accept security level %s for user '%s'", a->peer,
		         level_name(a->t.level), user);
		break;
	case AGENT_C_TIME_WINDOW:
		snprintf(err, errlen,
		         "the agent at %s keeps answering 'not in time window' for user '%s' "
		         "(its engine was restarted or its clock jumped): try again",
		         a->peer, user);
		break;
	case AGENT_C_ENGINE_ID:
		snprintf(err, errlen, "SNMPv3 engine ID discovery with %s failed: %s", a->peer,
		         f->detail);
		break;
	case AGENT_C_ERROR_STATUS:
		status_message(a, f, err, errlen);
		break;
	case AGENT_C_LOCAL:
		*kind = AGENT_LOCAL;
		snprintf(err, errlen, "SNMP session to %s: %s", a->peer, f->detail);
		break;
	default:
		/* The native back-end's only protocol fault: an answer it cannot decode. */
		if (f->cause == AGENT_C_PROTOCOL && a->m == &v2c_module)
			snprintf(err, errlen, "malformed response from %s: %s", a->peer, f->detail);
		else
			snprintf(err, errlen, "SNMP exchange with %s failed: %s", a->peer,
			         f->detail);
		break;
	}
}

/* ---- sessions --------------------------------------------------------- */

static int open_session(struct agent *a, enum agent_error *kind, char *err, size_t errlen)
{
	char host[256], transport[300];
	unsigned port;
	int v6;
	struct agent_fault f;

	*kind = AGENT_LOCAL;
	if (a->t.host == NULL ||
	    agent_parse_host(a->t.host, host, sizeof(host), &port, &v6, err, errlen) != 0) {
		if (a->t.host == NULL)
			snprintf(err, errlen, "no host given");
		return -1;
	}
	if (a->t.version != 1 && a->t.version != 2 && a->t.version != 3) {
		snprintf(err, errlen, "SNMP version %d: expected 1, 2 (2c) or 3", a->t.version);
		return -1;
	}
	snprintf(a->peer, sizeof(a->peer), v6 ? "[%s]:%u" : "%s:%u", host, port);
	snprintf(transport, sizeof(transport), v6 ? "udp6:[%s]:%u" : "udp:%s:%u", host, port);
	if (a->t.version != 3)
		a->m = &v2c_module; /* community-based: no crypto, no net-snmp */
	else if (module_load(a, err, errlen) != 0)
		return -1;
	a->sess = a->m->open(&a->t, transport, &f);
	if (a->sess == NULL) {
		fault_message(a, &f, kind, err, errlen);
		return -1;
	}
	return 0;
}

int agent_open(const struct agent_target *t, struct agent **out, enum agent_error *kind, char *err,
               size_t errlen)
{
	struct agent *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (a == NULL) {
		*kind = AGENT_LOCAL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->t = *t;
	if (a->t.timeout <= 0)
		a->t.timeout = 1;
	if (a->t.retries < 0)
		a->t.retries = 0;
	if (open_session(a, kind, err, errlen) != 0) {
		agent_close(a);
		return -1;
	}
	*kind = AGENT_OK;
	*out = a;
	return 0;
}

void agent_close(struct agent *a)
{
	if (a == NULL)
		return;
	if (a->sess != NULL)
		a->m->close(a->sess);
	if (a->dl != NULL)
		dlclose(a->dl);
	free(a);
}

const char *agent_peer(const struct agent *a)
{
	return a->peer;
}

unsigned agent_requests(const struct agent *a)
{
	return a->requests;
}

enum agent_error agent_last_error(const struct agent *a)
{
	return a->last;
}

static int request(struct agent *a, enum agent_pdu type, const struct agent_req_oid *oids, size_t n,
                   int max_rep, struct agent_value *vals, size_t maxvals, size_t *nvals,
                   struct agent_fault *f)
{
	a->requests++;
	return a->m->request(a->sess, type, oids, n, max_rep, vals, maxvals, nvals, f);
}

/* ---- GET ---------------------------------------------------------------- */

static int parse_oids(const char *const *oids, size_t n, struct agent_req_oid *req,
                      enum agent_error *kind, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (agent_oid_parse(oids[i], req[i].sub, AGENT_OID_MAX, &req[i].len) != 0) {
			*kind = AGENT_LOCAL;
			snprintf(err, errlen, "bad OID '%s': expected numbers such as .1.3.6.1.2.1",
			         oids[i]);
			return -1;
		}
	}
	return 0;
}

static void mark_absent(struct agent_value *v, const struct agent_req_oid *o)
{
	memset(v, 0, sizeof(*v));
	v->type = AGENT_NO_SUCH_OBJECT;
	memcpy(v->oid, o->sub, o->len * sizeof(o->sub[0]));
	v->oidlen = o->len;
}

/* Drop entry I of REQ[0..*M) and MAP[0..*M). */
static void drop(struct agent_req_oid *req, size_t *map, size_t *m, size_t i)
{
	memmove(&req[i], &req[i + 1], (*m - i - 1) * sizeof(*req));
	memmove(&map[i], &map[i + 1], (*m - i - 1) * sizeof(*map));
	(*m)--;
}

/* One GET of at most AGENT_GET_MAX OIDs into VALS. */
static int get_chunk(struct agent *a, const char *const *oids, size_t n, struct agent_value *vals,
                     enum agent_error *kind, char *err, size_t errlen)
{
	struct agent_req_oid req[AGENT_GET_MAX];
	size_t map[AGENT_GET_MAX], m = n, got;
	struct agent_value *tmp = malloc(n * sizeof(*tmp));
	struct agent_fault f;
	int rc = -1;

	*kind = AGENT_LOCAL;
	if (tmp == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (parse_oids(oids, n, req, kind, err, errlen) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		map[i] = i;
	while (m > 0) {
		if (request(a, AGENT_PDU_GET, req, m, 0, tmp, m, &got, &f) == 0)
			break;
		/* v1 fails the whole PDU for one absent OID: note it and ask again. */
		if (f.cause != AGENT_C_ERROR_STATUS || f.status != V1_NO_SUCH_NAME ||
		    a->t.version != 1 || f.index < 1 || (size_t)f.index > m) {
			fault_message(a, &f, kind, err, errlen);
			goto out;
		}
		mark_absent(&vals[map[f.index - 1]], &req[f.index - 1]);
		drop(req, map, &m, (size_t)f.index - 1);
	}
	if (m > 0 && got != m) {
		*kind = AGENT_PROTOCOL;
		snprintf(err, errlen, "the agent at %s answered %zu values for %zu OIDs", a->peer,
		         got, m);
		goto out;
	}
	for (size_t i = 0; i < m; i++)
		vals[map[i]] = tmp[i];
	rc = 0;
out:
	free(tmp);
	return rc;
}

int agent_get(struct agent *a, const char *const *oids, size_t n, struct agent_value *vals,
              enum agent_error *kind, char *err, size_t errlen)
{
	for (size_t off = 0; off < n; off += AGENT_GET_MAX) {
		size_t k = n - off < AGENT_GET_MAX ? n - off : AGENT_GET_MAX;

		if (get_chunk(a, oids + off, k, vals + off, kind, err, errlen) != 0) {
			a->last = *kind;
			return -1;
		}
	}
	*kind = a->last = AGENT_OK;
	return 0;
}

/* ---- walks ------------------------------------------------------------ */

struct walk_root {
	struct agent_req_oid root;
	struct agent_req_oid last; /* where the next request starts */
	bool done;
};

struct walk {
	struct walk_root *r;
	size_t nroots;
	struct agent_value *out; /* found so far */
	size_t n, cap;
	int max_rep;
};

static int oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen)
{
	for (size_t i = 0; i < alen && i < blen; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return (alen > blen) - (alen < blen);
}

static bool under(const struct agent_value *v, const struct agent_req_oid *root)
{
	return v->oidlen > root->len && oid_cmp(v->oid, root->len, root->sub, root->len) == 0;
}

static int walk_keep(struct walk *w, const struct agent_value *v)
{
	if (w->n == w->cap) {
		size_t cap = w->cap == 0 ? 64 : w->cap * 2;
		struct agent_value *grown = realloc(w->out, cap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		w->out = grown;
		w->cap = cap;
	}
	w->out[w->n++] = *v;
	return 0;
}

/* Take the response VALS[0..GOT) to the request for the roots ACTIVE[0..K):
 * varbind j belongs to root ACTIVE[j % K]. Sets *PROGRESS when anything moved. */
static int walk_absorb(struct agent *a, struct walk *w, const size_t *active, size_t k,
                       const struct agent_value *vals, size_t got, bool *progress,
                       enum agent_error *kind, char *err, size_t errlen)
{
	for (size_t j = 0; j < got; j++) {
		struct walk_root *r = &w->r[active[j % k]];
		const struct agent_value *v = &vals[j];

		if (r->done)
			continue;
		*progress = true;
		if (v->type == AGENT_END_OF_MIB || v->type == AGENT_NO_SUCH_OBJECT ||
		    v->type == AGENT_NO_SUCH_INSTANCE || !under(v, &r->root)) {
			r->done = true;
			continue;
		}
		if (oid_cmp(v->oid, v->oidlen, r->last.sub, r->last.len) <= 0) {
			*kind = AGENT_PROTOCOL;
			snprintf(err, errlen,
			         "the agent at %s returned OIDs out of order in a walk", a->peer);
			return -1;
		}
		if (w->n >= AGENT_WALK_MAX || walk_keep(w, v) != 0) {
			*kind = AGENT_LOCAL;
			snprintf(err, errlen, "walk of %s stopped: more than %d objects", a->peer,
			         AGENT_WALK_MAX);
			return -1;
		}
		memcpy(r->last.sub, v->oid, v->oidlen * sizeof(v->oid[0]));
		r->last.len = v->oidlen;
	}
	return 0;
}

/* A failed walk request: v1's noSuchName ends that subtree, tooBig makes the
 * GETBULK smaller; anything else is an error. Returns 0 to go on. */
static int walk_fault(struct agent *a, struct walk *w, const size_t *active, size_t k,
                      const struct agent_fault *f, enum agent_error *kind, char *err, size_t errlen)
{
	if (f->cause == AGENT_C_ERROR_STATUS && a->t.version == 1 && f->status == V1_NO_SUCH_NAME &&
	    f->index >= 1 && (size_t)f->index <= k) {
		w->r[active[f->index - 1]].done = true;
		return 0;
	}
	if (f->cause == AGENT_C_ERROR_STATUS && f->status == ERR_TOO_BIG && w->max_rep > 1) {
		w->max_rep /= 2;
		return 0;
	}
	fault_message(a, f, kind, err, errlen);
	return -1;
}

/* One round of the walk. Returns 1 when every root is done, 0 to go on, -1. */
static int walk_step(struct agent *a, struct walk *w, struct agent_value *vals,
                     enum agent_error *kind, char *err, size_t errlen)
{
	struct agent_req_oid req[AGENT_GET_MAX];
	size_t active[AGENT_GET_MAX], k = 0, got = 0;
	struct agent_fault f;
	bool progress = false;
	int bulk = a->t.version != 1;

	for (size_t i = 0; i < w->nroots; i++)
		if (!w->r[i].done) {
			active[k] = i;
			req[k++] = w->r[i].last;
		}
	if (k == 0)
		return 1;
	if (request(a, bulk ? AGENT_PDU_GETBULK : AGENT_PDU_GETNEXT, req, k, w->max_rep, vals,
	            BULK_VARBINDS, &got, &f) != 0)
		return walk_fault(a, w, active, k, &f, kind, err, errlen);
	if (walk_absorb(a, w, active, k, vals, got, &progress, kind, err, errlen) != 0)
		return -1;
	if (!progress) {
		*kind = AGENT_PROTOCOL;
		snprintf(err, errlen, "the agent at %s answered a walk with no values", a->peer);
		return -1;
	}
	return 0;
}

static int walk_init(struct walk *w, const char *const *roots, size_t nroots,
                     enum agent_error *kind, char *err, size_t errlen)
{
	struct agent_req_oid req[AGENT_GET_MAX];

	if (nroots == 0 || nroots > AGENT_GET_MAX) {
		*kind = AGENT_LOCAL;
		snprintf(err, errlen, "a walk takes 1 to %d subtrees", AGENT_GET_MAX);
		return -1;
	}
	if (parse_oids(roots, nroots, req, kind, err, errlen) != 0)
		return -1;
	w->r = calloc(nroots, sizeof(*w->r));
	if (w->r == NULL) {
		*kind = AGENT_LOCAL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < nroots; i++)
		w->r[i].root = w->r[i].last = req[i];
	w->nroots = nroots;
	w->max_rep = (int)(BULK_VARBINDS / nroots);
	return 0;
}

int agent_walk(struct agent *a, const char *const *roots, size_t nroots, struct agent_value **vals,
               size_t *n, enum agent_error *kind, char *err, size_t errlen)
{
	struct walk w = {0};
	struct agent_value *buf = malloc(BULK_VARBINDS * sizeof(*buf));
	int rc = buf == NULL ? -1 : walk_init(&w, roots, nroots, kind, err, errlen);

	if (buf == NULL) {
		*kind = AGENT_LOCAL;
		snprintf(err, errlen, "out of memory");
	}
	while (rc == 0)
		rc = walk_step(a, &w, buf, kind, err, errlen);
	free(buf);
	free(w.r);
	if (rc < 0) {
		free(w.out);
		*vals = NULL;
		*n = 0;
		a->last = *kind;
		return -1;
	}
	*kind = a->last = AGENT_OK;
	*vals = w.out;
	*n = w.n;
	return 0;
}
