/*
 * snmpv2c.c - SNMPv1/v2c without net-snmp: BER in and out, one UDP socket.
 *
 * A request is one message (RFC 1157 / RFC 3416):
 *   SEQUENCE { version INTEGER (0 = v1, 1 = v2c), community OCTET STRING,
 *              PDU [A0 get | A1 getnext | A5 getbulk] { request-id,
 *                  error-status | non-repeaters, error-index | max-repetitions,
 *                  SEQUENCE OF SEQUENCE { name OID, value NULL } } }
 * and the answer the same with a GetResponse-PDU [A2]. Messages are built
 * backwards from the end of the buffer, so every length is known when its
 * header is written.
 *
 * The answer is untrusted input and is decoded strictly, without recursion:
 * the shape above is fixed, so each level is a loop or a straight line; every
 * length is checked against what remains of its enclosing value, every
 * enclosing value must be used up exactly, values are primitive, integers
 * and sub-identifiers are bounded. Values land in struct agent_value as the
 * net-snmp module (snmpget.c, copy_value) puts them, so agent.c and remote.c
 * cannot tell the two back-ends apart.
 *
 * The socket is connect()ed to the agent, so only its datagrams arrive; an
 * answer with another version, community or request-id (a late answer to an
 * earlier request) is ignored. Each try waits at most the per-try timeout;
 * a retry resends the same message with the same request-id.
 */
#include "snmpv2c.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX       65507 /* the largest UDP payload (IPv4) */
#define VALUE_OID_MAX 128   /* sub-identifiers in an OID value (net-snmp's MAX_OID_LEN) */

#define TAG_INTEGER   0x02
#define TAG_OCTETS    0x04
#define TAG_NULL      0x05
#define TAG_OID       0x06
#define TAG_SEQUENCE  0x30
#define TAG_IPADDRESS 0x40
#define TAG_COUNTER32 0x41
#define TAG_GAUGE32   0x42
#define TAG_TIMETICKS 0x43
#define TAG_OPAQUE    0x44
#define TAG_COUNTER64 0x46
#define TAG_NO_OBJECT 0x80
#define TAG_NO_INST   0x81
#define TAG_END_MIB   0x82
#define TAG_RESPONSE  0xA2
#define TAG_CONSTRUCT 0x20 /* the constructed bit of a tag */

/* ---- encoding ------------------------------------------------------------ */

/* A buffer filled from its end towards its start. */
struct wbuf {
	uint8_t *buf;
	size_t pos; /* the first byte written; everything before it is free */
	int full;   /* something did not fit: the message is lost */
};

static void put(struct wbuf *w, const void *p, size_t n)
{
	if (w->full || n > w->pos) {
		w->full = 1;
		return;
	}
	w->pos -= n;
	memcpy(w->buf + w->pos, p, n);
}

/* Prepend the tag and the length of what was written since END (then pos). */
static void put_header(struct wbuf *w, uint8_t tag, size_t end)
{
	size_t len = end - w->pos, k;
	uint8_t h[2 + sizeof(size_t)];

	k = sizeof(h);
	if (len < 0x80) {
		h[--k] = (uint8_t)len;
	} else {
		size_t bytes = 0;

		for (; len > 0; len >>= 8, bytes++)
			h[--k] = (uint8_t)(len & 0xff);
		h[--k] = (uint8_t)(0x80 | bytes);
	}
	h[--k] = tag;
	put(w, h + k, sizeof(h) - k);
}

/* A non-negative INTEGER, in the fewest bytes. */
static void put_integer(struct wbuf *w, uint32_t v)
{
	size_t end = w->pos;
	uint8_t b[5];
	size_t k = sizeof(b);

	do {
		b[--k] = (uint8_t)(v & 0xff);
		v >>= 8;
	} while (v > 0);
	if (b[k] & 0x80)
		b[--k] = 0;
	put(w, b + k, sizeof(b) - k);
	put_header(w, TAG_INTEGER, end);
}

/* One sub-identifier: base 128, high bit set on all bytes but the last. */
static void put_subid(struct wbuf *w, uint64_t v)
{
	uint8_t b[10];
	size_t k = sizeof(b);

	b[--k] = (uint8_t)(v & 0x7f);
	for (v >>= 7; v > 0; v >>= 7)
		b[--k] = (uint8_t)(0x80 | (v & 0x7f));
	put(w, b + k, sizeof(b) - k);
}

/* An OID; the first two sub-identifiers travel as one (X * 40 + Y). */
static void put_oid(struct wbuf *w, const struct agent_req_oid *o)
{
	size_t end = w->pos;

	for (size_t i = o->len; i-- > 2;)
		put_subid(w, o->sub[i]);
	put_subid(w, (uint64_t)o->sub[0] * 40 + o->sub[1]);
	put_header(w, TAG_OID, end);
}

/* What BER can carry: 2 to AGENT_OID_MAX sub-identifiers, X.Y with X <= 2
 * and Y < 40 unless X is 2. */
static int oid_encodable(const struct agent_req_oid *o, struct agent_fault *f)
{
	char text[AGENT_OID_MAX * 11 + 1];

	if (o->len >= 2 && o->len <= AGENT_OID_MAX && o->sub[0] <= 2 &&
	    (o->sub[0] == 2 || o->sub[1] < 40))
		return 0;
	agent_oid_format(o->sub, o->len < AGENT_OID_MAX ? o->len : AGENT_OID_MAX, text,
	                 sizeof(text));
	agent_fault_set(f, AGENT_C_LOCAL,
	                "cannot encode the OID '%s': it must start 0.N or 1.N (N < 40) or 2", text);
	return -1;
}

static int request_valid(const struct v2c_request *rq, struct agent_fault *f)
{
	if (rq->version != 1 && rq->version != 2) {
		agent_fault_set(f, AGENT_C_LOCAL, "SNMP version %d is not spoken here",
		                rq->version);
		return -1;
	}
	if (rq->type == AGENT_PDU_GETBULK && rq->version == 1) {
		agent_fault_set(f, AGENT_C_LOCAL, "SNMPv1 has no GETBULK");
		return -1;
	}
	for (size_t i = 0; i < rq->n; i++)
		if (oid_encodable(&rq->oids[i], f) != 0)
			return -1;
	return 0;
}

/* The varbind list: each OID with a NULL value. */
static void put_varbinds(struct wbuf *w, const struct agent_req_oid *oids, size_t n)
{
	static const uint8_t null_value[] = {TAG_NULL, 0};
	size_t list_end = w->pos, vb_end;

	for (size_t i = n; i-- > 0;) {
		vb_end = w->pos;
		put(w, null_value, sizeof(null_value));
		put_oid(w, &oids[i]);
		put_header(w, TAG_SEQUENCE, vb_end);
	}
	put_header(w, TAG_SEQUENCE, list_end);
}

size_t v2c_encode(const struct v2c_request *rq, uint8_t *buf, size_t buflen, struct agent_fault *f)
{
	static const uint8_t pdu_tag[] = {0xA0, 0xA1, 0xA5}; /* by enum agent_pdu */
	const char *community = rq->community != NULL ? rq->community : "public";
	struct wbuf w = {buf, buflen, 0};
	int bulk = rq->type == AGENT_PDU_GETBULK;
	size_t end;

	if (request_valid(rq, f) != 0)
		return 0;
	put_varbinds(&w, rq->oids, rq->n);
	put_integer(&w, bulk && rq->max_rep > 0 ? (uint32_t)rq->max_rep : 0); /* error-index */
	put_integer(&w, 0); /* error-status / non-repeaters */
	put_integer(&w, (uint32_t)rq->id);
	put_header(&w, pdu_tag[rq->type], buflen);
	end = w.pos;
	put(&w, community, strlen(community));
	put_header(&w, TAG_OCTETS, end);
	put_integer(&w, (uint32_t)(rq->version - 1));
	put_header(&w, TAG_SEQUENCE, buflen);
	if (w.full) {
		agent_fault_set(f, AGENT_C_LOCAL, "the request does not fit in %zu bytes", buflen);
		return 0;
	}
	memmove(buf, buf + w.pos, buflen - w.pos);
	return buflen - w.pos;
}

/* ---- decoding ------------------------------------------------------------ */

/* The part of the datagram one value spans; START is the whole datagram. */
struct rbuf {
	const uint8_t *p, *end;
	const uint8_t *start;
};

/* A malformed message: WHAT, at the offset of AT. Returns -1. */
static int bad(const struct rbuf *r, const uint8_t *at, const char *what, struct agent_fault *f)
{
	agent_fault_set(f, AGENT_C_PROTOCOL, "%s at byte %zu", what, (size_t)(at - r->start));
	return -1;
}

/* Read a tag and a definite length (short or long form, up to 4 length
 * bytes) that fits in R; the value is then R->p[0..*LEN). */
static int get_header(struct rbuf *r, uint8_t *tag, size_t *len, struct agent_fault *f)
{
	const uint8_t *at = r->p;
	size_t nbytes;

	if (r->end - r->p < 2)
		return bad(r, at, "truncated", f);
	*tag = r->p[0];
	if ((*tag & 0x1f) == 0x1f)
		return bad(r, at, "a multi-byte tag", f);
	*len = r->p[1];
	r->p += 2;
	if (*len & 0x80) {
		nbytes = *len & 0x7f;
		if (nbytes == 0 || nbytes > 4)
			return bad(r, at, "an indefinite or over-long length", f);
		if ((size_t)(r->end - r->p) < nbytes)
			return bad(r, at, "truncated", f);
		for (*len = 0; nbytes > 0; nbytes--)
			*len = *len << 8 | *r->p++;
	}
	if (*len > (size_t)(r->end - r->p))
		return bad(r, at, "a length that overruns its container", f);
	return 0;
}

/* Read a value of tag WANT into IN (its contents) and step R past it. */
static int get_value(struct rbuf *r, uint8_t want, struct rbuf *in, const char *what,
                     struct agent_fault *f)
{
	const uint8_t *at = r->p;
	uint8_t tag;
	size_t len;

	if (get_header(r, &tag, &len, f) != 0)
		return -1;
	if (tag != want)
		return bad(r, at, what, f);
	in->start = r->start;
	in->p = r->p;
	in->end = r->p + len;
	r->p += len;
	return 0;
}

/* Contents P[0..LEN) as an unsigned number of at most MAXLEN bytes (and
 * MAXLEN only with a leading zero); shorter ones with the high bit set are
 * sign-extended first, as net-snmp does. */
static int get_unsigned(const uint8_t *p, size_t len, size_t maxlen, uint64_t *out)
{
	uint64_t v;

	if (len == 0 || len > maxlen || (len == maxlen && p[0] != 0))
		return -1;
	v = (p[0] & 0x80) ? UINT64_MAX : 0;
	for (size_t i = 0; i < len; i++)
		v = v << 8 | p[i];
	*out = v;
	return 0;
}

/* Contents P[0..LEN) as a two's complement INTEGER of 1 to 8 bytes. */
static int get_signed(const uint8_t *p, size_t len, int64_t *out)
{
	uint64_t v;

	if (len == 0 || len > 8)
		return -1;
	v = (p[0] & 0x80) ? UINT64_MAX : 0;
	for (size_t i = 0; i < len; i++)
		v = v << 8 | p[i];
	*out = (v >> 63) ? -(int64_t)~v - 1 : (int64_t)v; /* no overflow on the way */
	return 0;
}

/* Read an INTEGER from R. */
static int get_integer(struct rbuf *r, int64_t *v, const char *what, struct agent_fault *f)
{
	struct rbuf in;
	const uint8_t *at = r->p;

	if (get_value(r, TAG_INTEGER, &in, what, f) != 0)
		return -1;
	if (get_signed(in.p, (size_t)(in.end - in.p), v) != 0)
		return bad(r, at, what, f);
	return 0;
}

/* OID contents P[0..LEN) into SUB[0..*N), at most MAX (>= 2). An empty OID
 * is .0.0, as net-snmp has it. Returns 0, or -1 with the reason in *WHY. */
static int get_oid(const uint8_t *p, size_t len, uint32_t *sub, size_t max, size_t *n,
                   const char **why)
{
	uint64_t v = 0;

	sub[0] = sub[1] = 0;
	*n = len == 0 ? 2 : 0;
	for (size_t i = 0; i < len; i++) {
		v = v << 7 | (p[i] & 0x7f);
		if (v > UINT32_MAX) {
			*why = "a sub-identifier above 2^32-1";
			return -1;
		}
		if (p[i] & 0x80)
			continue;
		if (*n == max) {
			*why = "an OID too long";
			return -1;
		}
		if (*n == 0) {
			sub[0] = v < 40 ? 0 : v < 80 ? 1 : 2;
			sub[1] = (uint32_t)(v - sub[0] * 40);
			*n = 2;
		} else {
			sub[(*n)++] = (uint32_t)v;
		}
		v = 0;
	}
	if (len > 0 && (p[len - 1] & 0x80)) {
		*why = "a truncated sub-identifier";
		return -1;
	}
	return 0;
}

/* An OID value, formatted and cut as the net-snmp module does. */
static int oid_value(const uint8_t *p, size_t len, struct agent_value *v, const char **why)
{
	uint32_t sub[VALUE_OID_MAX];
	size_t n, used = 0;

	if (get_oid(p, len, sub, VALUE_OID_MAX, &n, why) != 0)
		return -1;
	v->type = AGENT_OID;
	for (size_t i = 0; i < n && used + 12 < sizeof(v->s); i++)
		used += (size_t)snprintf(v->s + used, sizeof(v->s) - used, ".%u", (unsigned)sub[i]);
	v->slen = used;
	return 0;
}

static void string_value(const uint8_t *p, size_t len, struct agent_value *v)
{
	v->type = AGENT_STRING;
	v->slen = len < sizeof(v->s) - 1 ? len : sizeof(v->s) - 1;
	memcpy(v->s, p, v->slen);
}

/* The value TAG P[0..LEN) into V (its OID already set). */
static int fill_value(uint8_t tag, const uint8_t *p, size_t len, struct agent_value *v,
                      const char **why)
{
	*why = "a bad value";
	switch (tag) {
	case TAG_INTEGER:
		v->type = AGENT_INTEGER;
		return get_signed(p, len, &v->i);
	case TAG_COUNTER32:
	case TAG_GAUGE32:
	case TAG_TIMETICKS:
		v->type = AGENT_UNSIGNED;
		if (get_unsigned(p, len, 5, &v->u) != 0)
			return -1;
		v->u &= UINT32_MAX;
		return 0;
	case TAG_COUNTER64:
		v->type = AGENT_COUNTER64;
		return get_unsigned(p, len, 9, &v->u);
	case TAG_OCTETS:
	case TAG_IPADDRESS:
	case TAG_OPAQUE:
		string_value(p, len, v);
		return 0;
	case TAG_OID:
		return oid_value(p, len, v, why);
	case TAG_NULL:
	case TAG_NO_OBJECT:
	case TAG_NO_INST:
	case TAG_END_MIB:
		v->type = tag == TAG_NULL        ? AGENT_NULL
		          : tag == TAG_NO_OBJECT ? AGENT_NO_SUCH_OBJECT
		          : tag == TAG_NO_INST   ? AGENT_NO_SUCH_INSTANCE
		                                 : AGENT_END_OF_MIB;
		return len == 0 ? 0 : -1;
	default:
		v->type = AGENT_OTHER;
		*why = "a constructed value";
		return (tag & TAG_CONSTRUCT) ? -1 : 0;
	}
}

/* One varbind SEQUENCE { name OID, value } from LIST into V. */
static int get_varbind(struct rbuf *list, struct agent_value *v, struct agent_fault *f)
{
	struct rbuf vb, name;
	const uint8_t *at;
	const char *why;
	uint8_t tag;
	size_t len;

	memset(v, 0, sizeof(*v));
	if (get_value(list, TAG_SEQUENCE, &vb, "a varbind that is not a SEQUENCE", f) != 0 ||
	    get_value(&vb, TAG_OID, &name, "a varbind name that is not an OID", f) != 0)
		return -1;
	if (name.p == name.end)
		return bad(&vb, name.p, "an empty varbind name", f);
	if (get_oid(name.p, (size_t)(name.end - name.p), v->oid, AGENT_OID_MAX, &v->oidlen, &why) !=
	    0)
		return bad(&vb, name.p, why, f);
	at = vb.p;
	if (get_header(&vb, &tag, &len, f) != 0)
		return -1;
	if (fill_value(tag, vb.p, len, v, &why) != 0)
		return bad(&vb, at, why, f);
	if (vb.p + len != vb.end)
		return bad(&vb, vb.p + len, "trailing bytes in a varbind", f);
	return 0;
}

/* net-snmp's words for an error-status, so that messages read the same. */
static const char *status_name(int64_t status)
{
	static const char *const names[] = {
	        "(noError) No Error",
	        "(tooBig) Response message would have been too large.",
	        "(noSuchName) There is no such variable name in this MIB.",
	        "(badValue) The value given has the wrong type or length.",
	        "(readOnly) The two parties used do not have access to use the specified SNMP PDU.",
	        "(genError) A general failure occured",
	        "noAccess",
	        "wrongType (The set datatype does not match the data type the agent expects)",
	        "wrongLength (The set value has an illegal length from what the agent expects)",
	        "wrongEncoding",
	        "wrongValue (The set value is illegal or unsupported in some way)",
	        "noCreation (That table does not support row creation or that object can not ever "
	        "be created)",
	        "inconsistentValue (The set value is illegal or unsupported in some way)",
	        "resourceUnavailable (This is likely a out-of-memory failure within the agent)",
	        "commitFailed",
	        "undoFailed",
	        "authorizationError (access denied to that object)",
	        "notWritable (That object does not support modification)",
	        "inconsistentName (That object can not currently be created)",
	};

	if (status < 0 || status >= (int64_t)(sizeof(names) / sizeof(names[0])))
		return "Unknown Error";
	return names[status];
}

/* The varbind list: every varbind checked, the first MAXVALS kept. */
static int get_varbinds(struct rbuf *pdu, struct agent_value *vals, size_t maxvals, size_t *nvals,
                        struct agent_fault *f)
{
	struct rbuf list;
	struct agent_value spare;

	if (get_value(pdu, TAG_SEQUENCE, &list, "a varbind list that is not a SEQUENCE", f) != 0)
		return -1;
	while (list.p < list.end) {
		struct agent_value *v = *nvals < maxvals ? &vals[*nvals] : &spare;

		if (get_varbind(&list, v, f) != 0)
			return -1;
		if (v != &spare)
			(*nvals)++;
	}
	if (pdu->p != pdu->end)
		return bad(pdu, pdu->p, "trailing bytes in the PDU", f);
	return 0;
}

/* The message up to the request-id. Returns 0, 1 when it is not the answer
 * to RQ, or -1. */
static int get_envelope(const struct v2c_request *rq, struct rbuf *r, struct rbuf *pdu,
                        struct agent_fault *f)
{
	const char *community = rq->community != NULL ? rq->community : "public";
	struct rbuf msg, comm;
	int64_t version, id;

	if (get_value(r, TAG_SEQUENCE, &msg, "a message that is not a SEQUENCE", f) != 0)
		return -1;
	if (r->p != r->end)
		return bad(r, r->p, "trailing bytes after the message", f);
	if (get_integer(&msg, &version, "a bad version", f) != 0 ||
	    get_value(&msg, TAG_OCTETS, &comm, "a community that is not an OCTET STRING", f) != 0)
		return -1;
	if (version != rq->version - 1 || (size_t)(comm.end - comm.p) != strlen(community) ||
	    memcmp(comm.p, community, strlen(community)) != 0)
		return 1;
	if (get_value(&msg, TAG_RESPONSE, pdu, "a PDU that is not a GetResponse", f) != 0)
		return -1;
	if (msg.p != msg.end)
		return bad(&msg, msg.p, "trailing bytes after the PDU", f);
	if (get_integer(pdu, &id, "a bad request-id", f) != 0)
		return -1;
	return id == rq->id ? 0 : 1;
}

int v2c_decode(const struct v2c_request *rq, const uint8_t *buf, size_t len,
               struct agent_value *vals, size_t maxvals, size_t *nvals, struct agent_fault *f)
{
	struct rbuf r = {buf, buf + len, buf}, pdu;
	int64_t status, index;
	int rc;

	*nvals = 0;
	rc = get_envelope(rq, &r, &pdu, f);
	if (rc != 0)
		return rc;
	if (get_integer(&pdu, &status, "a bad error-status", f) != 0 ||
	    get_integer(&pdu, &index, "a bad error-index", f) != 0 ||
	    get_varbinds(&pdu, vals, maxvals, nvals, f) != 0) {
		*nvals = 0;
		return -1;
	}
	if (status != 0) {
		*nvals = 0;
		agent_fault_set(f, AGENT_C_ERROR_STATUS, "%s", status_name(status));
		f->status = status < LONG_MIN   ? LONG_MIN
		            : status > LONG_MAX ? LONG_MAX
		                                : (long)status;
		f->index = index < LONG_MIN ? LONG_MIN : index > LONG_MAX ? LONG_MAX : (long)index;
		return -1;
	}
	return 0;
}

/* ---- the session --------------------------------------------------------- */

struct v2c_session {
	int fd; /* UDP, connect()ed to the agent */
	int version;
	const char *community; /* borrowed from the agent_target */
	double timeout;        /* seconds per try */
	int tries;
	int32_t next_id;      /* request-id of the next request, 1..INT32_MAX */
	uint8_t out[MSG_MAX]; /* the request, kept for retries */
	uint8_t in[65536];    /* an answer: any datagram fits */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A UDP socket connect()ed to HOST:PORT, or -1 with F set. Numeric
 * addresses skip the resolver. */
static int connect_udp(const char *host, unsigned port, int v6, struct agent_fault *f)
{
	struct addrinfo hints = {0}, *res = NULL;
	char service[8];
	int rc, fd;

	snprintf(service, sizeof(service), "%u", port);
	hints.ai_family = v6 ? AF_INET6 : AF_INET; /* as net-snmp's udp: and udp6: */
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV;
		rc = getaddrinfo(host, service, &hints, &res);
	}
	if (rc != 0) {
		agent_fault_set(f, AGENT_C_LOCAL, "Unknown host (%s)",
		                rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		agent_fault_set(f, AGENT_C_LOCAL, "Failure in %s (%s)",
		                fd < 0 ? "socket" : "connect", strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int32_t first_id(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;
	r &= INT32_MAX;
	return r == 0 ? 1 : (int32_t)r;
}

static void *op_open(const struct agent_target *t, const char *peer, struct agent_fault *f)
{
	struct v2c_session *s;
	char host[256];
	unsigned port;
	int v6;

	(void)peer;
	memset(f, 0, sizeof(*f));
	if (agent_parse_host(t->host, host, sizeof(host), &port, &v6, f->detail,
	                     sizeof(f->detail)) != 0) {
		f->cause = AGENT_C_LOCAL;
		return NULL;
	}
	s = malloc(sizeof(*s));
	if (s == NULL) {
		agent_fault_set(f, AGENT_C_LOCAL, "out of memory");
		return NULL;
	}
	s->fd = connect_udp(host, port, v6, f);
	if (s->fd < 0) {
		free(s);
		return NULL;
	}
	s->version = t->version;
	s->community = t->community;
	s->timeout = t->timeout;
	s->tries = t->retries + 1;
	s->next_id = first_id();
	return s;
}

/* Send the request OUT[0..LEN). An ICMP error left over from an earlier
 * datagram may be reported instead of sending: then once more. */
static int send_request(struct v2c_session *s, size_t len, struct agent_fault *f)
{
	ssize_t sent = send(s->fd, s->out, len, 0);

	if (sent < 0 && errno == ECONNREFUSED)
		sent = send(s->fd, s->out, len, 0);
	if (sent < 0 && errno != ECONNREFUSED) {
		agent_fault_set(f, AGENT_C_LOCAL, "Failure in sendto (%s)", strerror(errno));
		return -1;
	}
	return 0;
}

/* Wait until DEADLINE for the answer to RQ. Returns 0, -1 (F set), or 1
 * when the time is up. */
static int await_answer(struct v2c_session *s, const struct v2c_request *rq, double deadline,
                        struct agent_value *vals, size_t maxvals, size_t *nvals,
                        struct agent_fault *f)
{
	for (;;) {
		double left = deadline - now();
		struct pollfd p = {.fd = s->fd, .events = POLLIN};
		ssize_t got;
		int rc;

		if (left <= 0)
			return 1;
		rc = poll(&p, 1, left * 1000 >= INT_MAX - 1 ? INT_MAX : (int)(left * 1000) + 1);
		if (rc < 0 && errno != EINTR) {
			agent_fault_set(f, AGENT_C_LOCAL, "Failure in poll (%s)", strerror(errno));
			return -1;
		}
		if (rc <= 0)
			continue;
		got = recv(s->fd, s->in, sizeof(s->in), MSG_DONTWAIT);
		if (got < 0) { /* ECONNREFUSED: nothing listens (yet); wait on */
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			    errno == ECONNREFUSED)
				continue;
			agent_fault_set(f, AGENT_C_LOCAL, "Failure in recv (%s)", strerror(errno));
			return -1;
		}
		rc = v2c_decode(rq, s->in, (size_t)got, vals, maxvals, nvals, f);
		if (rc != 1)
			return rc;
	}
}

static int op_request(void *sp, enum agent_pdu type, const struct agent_req_oid *oids, size_t n,
                      int max_rep, struct agent_value *vals, size_t maxvals, size_t *nvals,
                      struct agent_fault *f)
{
	struct v2c_session *s = sp;
	struct v2c_request rq = {.version = s->version,
	                         .community = s->community,
	                         .id = s->next_id,
	                         .type = type,
	                         .oids = oids,
	                         .n = n,
	                         .max_rep = max_rep};
	size_t len;

	memset(f, 0, sizeof(*f));
	*nvals = 0;
	s->next_id = s->next_id == INT32_MAX ? 1 : s->next_id + 1;
	len = v2c_encode(&rq, s->out, sizeof(s->out), f);
	if (len == 0)
		return -1;
	for (int try = 0; try < s->tries; try++) {
		int rc;

		if (send_request(s, len, f) != 0)
			return -1;
		rc = await_answer(s, &rq, now() + s->timeout, vals, maxvals, nvals, f);
		if (rc != 1)
			return rc;
	}
	agent_fault_set(f, AGENT_C_TIMEOUT, "timeout");
	return -1;
}

static void op_close(void *sp)
{
	struct v2c_session *s = sp;

	if (s == NULL)
		return;
	close(s->fd);
	free(s);
}

const struct agent_module v2c_module = {
        .version = AGENT_MODULE_VERSION,
        .value_size = sizeof(struct agent_value),
        .open = op_open,
        .request = op_request,
        .close = op_close,
};
