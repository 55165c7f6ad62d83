/*
 * notify_snmp.c - the "snmp" channel: notices as SNMP traps or informs
 * (v2c, or v3 authPriv) through net-snmp's single-session API, driven by
 * trendtrapd's event loop.
 *
 * One net-snmp session per sink.  Its socket is watched by the loop and read
 * with snmp_sess_read2(); the time of its next retransmission or timeout,
 * from snmp_sess_select_info2(), is a loop timer that calls
 * snmp_sess_timeout().  A trap is done when it left; an inform when its
 * answer arrived or net-snmp gave up on it (NOTIFY_SNMP_TIMEOUT_MS per
 * attempt, NOTIFY_SNMP_RETRIES retransmissions).  The only blocking call is
 * the v3 engineID discovery net-snmp does when an inform session opens.
 *
 * net-snmp is process-global: it is initialised once per process (no MIB
 * files, no configuration files, no persistent state, nothing written under
 * /var/lib/snmp), and its log goes through one callback to env->log of the
 * channel that is calling into it at the time.  Those two statics mirror
 * net-snmp's own globals; everything else lives in struct snmp_channel.
 * Limits: see notify_snmp.h.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/snmp_secmod.h>

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "atomicfile.h"
#include "channel.h"
#include "errbuf.h"
#include "notify_snmp.h"

#define NOWHERE   "/dev/null" /* not a directory: net-snmp reads and creates nothing below it */
#define BOOTS_MAX 2147483647L /* RFC 3414: engineBoots stops here */

/* ---- the MIB: sub-identifiers under the root --------------------------- */

#define BRANCH_NOTIFICATIONS 0 /* ROOT.0.N */
#define BRANCH_OBJECTS       1 /* ROOT.1.N */

static const struct {
	enum notice_kind kind;
	const char *name;
	unsigned sub;
} notifications[] = {
        {NOTICE_PROBLEM, "trendtrapProblem", 1},
        {NOTICE_RECOVERY, "trendtrapRecovery", 2},
        {NOTICE_RENOTIFY, "trendtrapRenotify", 3},
        {NOTICE_FLAP_START, "trendtrapFlappingStart", 4},
        {NOTICE_FLAP_STOP, "trendtrapFlappingStop", 5},
        {NOTICE_STALE, "trendtrapStale", 6},
        {NOTICE_STALE_END, "trendtrapStaleEnd", 7},
        {NOTICE_TEST, "trendtrapTest", 8},
};

/* The objects, numbered as their sub-identifiers, in varbind order. */
enum object {
	OBJ_HOST = 1,
	OBJ_SERVICE,
	OBJ_STATE,
	OBJ_PREVIOUS,
	OBJ_OUTPUT,
	OBJ_VALUE,
	OBJ_SLOPE,
	OBJ_TIME_LEFT,
	OBJ_EVENT_ID,
	OBJ_EVENT_TIME,
	OBJ_SINCE_TIME,
	OBJ_PERFDATA,
	OBJ_LAST = OBJ_PERFDATA,
};

static const char *const object_names[OBJ_LAST + 1] = {
        [OBJ_HOST] = "trendtrapHost",
        [OBJ_SERVICE] = "trendtrapService",
        [OBJ_STATE] = "trendtrapState",
        [OBJ_PREVIOUS] = "trendtrapPreviousState",
        [OBJ_OUTPUT] = "trendtrapOutput",
        [OBJ_VALUE] = "trendtrapValue",
        [OBJ_SLOPE] = "trendtrapSlope",
        [OBJ_TIME_LEFT] = "trendtrapTimeLeft",
        [OBJ_EVENT_ID] = "trendtrapEventId",
        [OBJ_EVENT_TIME] = "trendtrapEventTime",
        [OBJ_SINCE_TIME] = "trendtrapSinceTime",
        [OBJ_PERFDATA] = "trendtrapPerfdata",
};

static const oid sys_uptime_oid[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};
static const oid snmp_trap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};

/* The root as an OID: room for BRANCH.N.0 after it. */
struct mib_root {
	oid v[MAX_OID_LEN];
	size_t len;
};

/* Parse TEXT (".1.3.6.1.4.1.8072.9999.1", leading dot optional). */
static int root_parse(const char *text, struct mib_root *r, char *err, size_t errlen)
{
	const char *p = text[0] == '.' ? text + 1 : text;

	r->len = 0;
	while (*p != '\0') {
		unsigned long long v = 0;
		const char *start = p;

		while (*p >= '0' && *p <= '9' && v <= UINT32_MAX)
			v = v * 10 + (unsigned)(*p++ - '0');
		if (p == start || v > UINT32_MAX || (*p != '.' && *p != '\0') ||
		    (*p == '.' && p[1] == '\0') || r->len + 3 >= MAX_OID_LEN)
			return errbuf_fail(err, errlen,
			                   "enterprise_oid \"%s\" is not a numeric OID of at most "
			                   "%d sub-identifiers",
			                   text, MAX_OID_LEN - 3);
		r->v[r->len++] = (oid)v;
		if (*p == '.')
			p++;
	}
	if (r->len < 2)
		return errbuf_fail(err, errlen, "enterprise_oid \"%s\" is too short", text);
	return 0;
}

/* ROOT.BRANCH.SUB, plus ".0" when INSTANCE, into OUT; returns its length. */
static size_t root_child(const struct mib_root *r, unsigned branch, unsigned sub, bool instance,
                         oid out[MAX_OID_LEN])
{
	size_t n = r->len;

	memcpy(out, r->v, n * sizeof(oid));
	out[n++] = branch;
	out[n++] = sub;
	if (instance)
		out[n++] = 0;
	return n;
}

static void oid_format(const oid *v, size_t len, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < len && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, ".%lu", (unsigned long)v[i]);
}

int notify_snmp_oids(const char *root, notify_snmp_oid_fn *fn, void *arg, char *err, size_t errlen)
{
	struct mib_root r;
	oid v[MAX_OID_LEN];
	char text[MAX_OID_LEN * 11 + 1];
	size_t i, n;

	if (root_parse(root != NULL ? root : CONFIG_DEFAULT_ENTERPRISE_OID, &r, err, errlen) < 0)
		return -1;
	for (i = 0; i < sizeof(notifications) / sizeof(notifications[0]); i++) {
		n = root_child(&r, BRANCH_NOTIFICATIONS, notifications[i].sub, false, v);
		oid_format(v, n, text, sizeof(text));
		fn(arg, notifications[i].name, text);
	}
	for (i = OBJ_HOST; i <= OBJ_LAST; i++) {
		n = root_child(&r, BRANCH_OBJECTS, (unsigned)i, false, v);
		oid_format(v, n, text, sizeof(text));
		fn(arg, object_names[i], text);
	}
	return 0;
}

/* ---- the channel ---------------------------------------------------------- */

struct snmp_dest;

/* An inform waiting for its answer; the magic of its net-snmp request. */
struct snmp_pending {
	struct snmp_pending *next;
	struct snmp_dest *dest;
	bool sending;               /* inside snmp_sess_async_send(): the callback */
	bool answered;              /*   only records its outcome here */
	enum channel_result result; /* that outcome */
	char reason[320];
	char id[64]; /* the outbox's id, given back to env->done */
};

struct snmp_dest {
	struct snmp_channel *ch;
	char *spec;                   /* the sink, "udp:HOST:PORT": net-snmp's peername */
	void *sess;                   /* the single session; NULL while not open */
	int fd;                       /* its socket, watched by the loop; -1 without */
	struct loop_timer timer;      /* net-snmp's next retransmission or timeout */
	struct snmp_pending *pending; /* informs in flight */
	int64_t next_open;            /* loop ms: no new attempt to open before this */
	char open_err[256];           /* why the last attempt to open failed */
};

struct snmp_channel {
	const struct channel_env *env;
	char *name;
	bool inform;
	int version;                 /* 2 (v2c) or 3 */
	bool closing;                /* in close(): net-snmp's callbacks call no done */
	netsnmp_session tmpl;        /* every setting but the peer, copied per session */
	char *community;             /* v2c; tmpl points here; wiped at close */
	char *user;                  /* v3; tmpl points here */
	unsigned char engine_id[32]; /* v3 traps: our authoritative engineID */
	size_t engine_id_len;
	unsigned long boots;  /* v3 traps: our engineBoots for this run */
	int64_t opened_at;    /* loop ms: sysUpTime and engineTime count from here */
	struct mib_root root; /* env->enterprise_oid */
	size_t ndest;
	struct snmp_dest dest[]; /* one per sink */
};

/* net-snmp's globals, mirrored: whether it was set up in this process, and
 * which channel is calling into it (its log goes to that channel's log). */
static bool netsnmp_ready;
static struct snmp_channel *log_channel;

static void ch_log(const struct snmp_channel *ch, int prio, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void ch_log(const struct snmp_channel *ch, int prio, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	channel_log(ch->env, prio, "snmp channel %s: %s", ch->name, msg);
}

/* ---- net-snmp, once per process --------------------------------------------- */

static int netsnmp_log_cb(int major, int minor, void *serverarg, void *clientarg)
{
	const struct snmp_log_message *m = serverarg;
	char line[512];
	size_t len;

	(void)major;
	(void)minor;
	(void)clientarg;
	if (m == NULL || m->msg == NULL || log_channel == NULL)
		return 0;
	snprintf(line, sizeof(line), "%s", m->msg);
	len = strlen(line);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (len > 0)
		ch_log(log_channel,
		       m->priority < LOG_EMERG || m->priority > LOG_DEBUG ? LOG_DEBUG : m->priority,
		       "net-snmp: %s", line);
	return 0;
}

/* No MIB files, no snmp.conf, no persistent state, nothing written under
 * /var/lib/snmp, nothing printed: the log goes to netsnmp_log_cb().
 * init_snmp() sets up USM and the transports. */
static void netsnmp_setup(void)
{
	const char *cur;
	char ctype[64];

	if (netsnmp_ready)
		return;
	netsnmp_ready = true;
	setenv("MIBS", "", 1);
	netsnmp_set_mib_directory("");
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_NO_TOKEN_WARNINGS, 1);
	/* The transports' start-up still looks for certificates in these and
	 * creates <persistent dir>/cert_indexes: point them nowhere. */
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR, NOWHERE);
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_CONFIGURATION_DIR, NOWHERE);
	snmp_disable_log();
	netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, netsnmp_log_cb, NULL);
	/* init_snmp() calls setlocale(LC_CTYPE, ""): keep the program's. */
	cur = setlocale(LC_CTYPE, NULL);
	snprintf(ctype, sizeof(ctype), "%s", cur != NULL ? cur : "C");
	init_snmp("trendtrapd");
	setlocale(LC_CTYPE, ctype);
}

/* net-snmp's last error on session SESS (or on the session struct S when
 * SESS is NULL), as text. */
static void netsnmp_error_text(void *sess, netsnmp_session *s, char *buf, size_t size)
{
	int cerr = 0, serr = 0;
	char *text = NULL;

	if (sess != NULL)
		snmp_sess_error(sess, &cerr, &serr, &text);
	else
		snmp_error(s, &cerr, &serr, &text);
	snprintf(buf, size, "%s", text != NULL && text[0] != '\0' ? text : "unknown error");
	free(text);
}

/* ---- v3 settings ------------------------------------------------------------ */

static const struct {
	const char *name;
	const oid *proto;
	size_t len;
} auth_protos[] = {
        {"SHA", usmHMACSHA1AuthProtocol, OID_LENGTH(usmHMACSHA1AuthProtocol)},
        {"SHA-256", usmHMAC192SHA256AuthProtocol, OID_LENGTH(usmHMAC192SHA256AuthProtocol)},
        {"SHA-512", usmHMAC384SHA512AuthProtocol, OID_LENGTH(usmHMAC384SHA512AuthProtocol)},
};

static const struct {
	const char *name;
	const oid *proto;
	size_t len;
} priv_protos[] = {
        {"AES", usmAESPrivProtocol, OID_LENGTH(usmAESPrivProtocol)},
#ifdef NETSNMP_DRAFT_BLUMENTHAL_AES_04
        {"AES-256", usmAES256PrivProtocol, OID_LENGTH(usmAES256PrivProtocol)},
#endif
};

/* Key KEY (of *KEYLEN bytes room) from passphrase PASS hashed by the
 * authentication protocol of T, as net-snmp's tools do for both keys. */
static int make_key(const netsnmp_session *t, const char *what, const char *pass, u_char *key,
                    size_t *keylen, char *err, size_t errlen)
{
	int rc = generate_Ku(t->securityAuthProto, (u_int)t->securityAuthProtoLen,
	                     (const u_char *)pass, strlen(pass), key, keylen);

	if (rc != SNMPERR_SUCCESS)
		return errbuf_fail(err, errlen, "cannot derive the %s key: %s", what,
		                   snmp_api_errstring(rc));
	return 0;
}

static int setup_v3(struct snmp_channel *ch, const struct config_snmp *c, char *err, size_t errlen)
{
	netsnmp_session *t = &ch->tmpl;
	size_t i;

	ch->user = strdup(c->user != NULL ? c->user : "");
	if (ch->user == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	t->securityModel = USM_SEC_MODEL_NUMBER;
	t->securityName = ch->user;
	t->securityNameLen = strlen(ch->user);
	t->securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
	for (i = 0; i < sizeof(auth_protos) / sizeof(auth_protos[0]); i++)
		if (c->auth_proto != NULL && strcasecmp(c->auth_proto, auth_protos[i].name) == 0) {
			t->securityAuthProto = (oid *)auth_protos[i].proto;
			t->securityAuthProtoLen = auth_protos[i].len;
		}
	for (i = 0; i < sizeof(priv_protos) / sizeof(priv_protos[0]); i++)
		if (c->priv_proto != NULL && strcasecmp(c->priv_proto, priv_protos[i].name) == 0) {
			t->securityPrivProto = (oid *)priv_protos[i].proto;
			t->securityPrivProtoLen = priv_protos[i].len;
		}
	if (t->securityAuthProto == NULL || t->securityPrivProto == NULL)
		return errbuf_fail(err, errlen,
		                   "auth_proto %s / priv_proto %s not available in this "
		                   "net-snmp build",
		                   c->auth_proto ? c->auth_proto : "(none)",
		                   c->priv_proto ? c->priv_proto : "(none)");
	t->securityAuthKeyLen = sizeof(t->securityAuthKey);
	t->securityPrivKeyLen = sizeof(t->securityPrivKey);
	if (make_key(t, "authentication", c->auth_pass ? c->auth_pass : "", t->securityAuthKey,
	             &t->securityAuthKeyLen, err, errlen) < 0 ||
	    make_key(t, "privacy", c->priv_pass ? c->priv_pass : "", t->securityPrivKey,
	             &t->securityPrivKeyLen, err, errlen) < 0)
		return -1;
	if (!ch->inform) {
		/* Traps: we are the authoritative engine. */
		memcpy(ch->engine_id, c->engine_id, c->engine_id_len);
		ch->engine_id_len = c->engine_id_len;
		t->securityEngineID = ch->engine_id;
		t->securityEngineIDLen = ch->engine_id_len;
		t->contextEngineID = ch->engine_id;
		t->contextEngineIDLen = ch->engine_id_len;
	}
	return 0;
}

/* ---- engineBoots (v3 traps) ------------------------------------------------- */

/* Read STATE_DIR/channel-NAME.boots (absent: 0), add one, write it back
 * durably, and keep the new count in ch->boots. */
static int boots_advance(struct snmp_channel *ch, const char *state_dir, char *err, size_t errlen)
{
	char path[PATH_MAX], buf[32] = "", *end;
	unsigned long boots = 0;
	FILE *f;
	int len;

	if (strchr(ch->name, '/') != NULL)
		return errbuf_fail(err, errlen,
		                   "a channel sending v3 traps needs a name without '/' "
		                   "(it names the engineBoots file)");
	len = snprintf(path, sizeof(path), "%s/channel-%s.boots", state_dir, ch->name);
	if (len < 0 || (size_t)len >= sizeof(path))
		return errbuf_fail(err, errlen, "%s/channel-%s.boots: path too long", state_dir,
		                   ch->name);
	f = fopen(path, "r");
	if (f == NULL && errno != ENOENT)
		return errbuf_fail(err, errlen, "%s: %s", path, strerror(errno));
	if (f != NULL) {
		bool bad = fgets(buf, sizeof(buf), f) == NULL || ferror(f);

		fclose(f);
		errno = 0;
		boots = bad ? 0 : strtoul(buf, &end, 10);
		if (bad || end == buf || (*end != '\n' && *end != '\0') || errno != 0 ||
		    boots < 1 || boots > BOOTS_MAX)
			return errbuf_fail(
			        err, errlen,
			        "%s: not an engineBoots count (1..%ld): fix it, or remove "
			        "it together with a change of engine_id",
			        path, BOOTS_MAX);
	}
	if (boots == BOOTS_MAX)
		return errbuf_fail(err, errlen,
		                   "%s: engineBoots reached %ld: set a new engine_id and remove it",
		                   path, BOOTS_MAX);
	ch->boots = boots + 1;
	len = snprintf(buf, sizeof(buf), "%lu\n", ch->boots);
	return atomicfile_write(path, buf, (size_t)len, true, err, errlen);
}

/* Seconds since the open, as engineTime (the receiver checks it against its
 * notion of our clock). */
static void engine_time_set(const struct snmp_channel *ch)
{
	int64_t secs = (loop_now() - ch->opened_at) / 1000;

	set_enginetime(ch->engine_id, (u_int)ch->engine_id_len, (u_int)ch->boots,
	               (u_int)(secs > INT32_MAX ? INT32_MAX : secs), TRUE);
}

/* ---- sessions and the loop ---------------------------------------------------- */

static void dest_rearm(struct snmp_dest *d);

static void on_timer(struct loop *l, void *arg)
{
	struct snmp_dest *d = arg;

	(void)l;
	log_channel = d->ch;
	if (d->sess != NULL)
		snmp_sess_timeout(d->sess);
	dest_rearm(d);
}

static void on_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct snmp_dest *d = arg;
	netsnmp_large_fd_set set;

	(void)l;
	(void)events;
	log_channel = d->ch;
	if (d->sess == NULL)
		return;
	netsnmp_large_fd_set_init(&set, fd + 1);
	NETSNMP_LARGE_FD_SET(fd, &set);
	snmp_sess_read2(d->sess, &set);
	netsnmp_large_fd_set_cleanup(&set);
	dest_rearm(d);
}

/* Arm the timer for net-snmp's next retransmission or timeout, if any. */
static void dest_rearm(struct snmp_dest *d)
{
	struct loop *l = d->ch->env->loop;
	netsnmp_large_fd_set set;
	struct timeval tv = {0, 0};
	int numfds = 0, block = 1;
	int64_t ms;

	if (d->sess == NULL) {
		loop_timer_clear(l, &d->timer);
		return;
	}
	netsnmp_large_fd_set_init(&set, d->fd + 1);
	snmp_sess_select_info2(d->sess, &numfds, &set, &tv, &block);
	netsnmp_large_fd_set_cleanup(&set);
	if (block) {
		loop_timer_clear(l, &d->timer);
		return;
	}
	ms = (int64_t)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
	if (loop_timer_set(l, &d->timer, loop_now() + ms, on_timer, d) < 0)
		ch_log(d->ch, LOG_ERR, "%s: out of memory: informs in flight may never time out",
		       d->spec);
}

/* The receiver's engineID for the v3 session SESS, now.  net-snmp 5.9 would
 * otherwise discover it at the first send, blocking for the session's whole
 * timeout x retries; this is the same discovery (USM's probe, through the
 * public security-module table), bounded to one request of
 * NOTIFY_SNMP_DISCOVERY_MS.  Returns 0, or -1 with WHY set. */
static int discover_engine(void *sess, char *why, size_t size)
{
	netsnmp_session *live = snmp_sess_session(sess);
	struct snmp_secmod_def *usm = find_sec_mod(USM_SEC_MODEL_NUMBER);
	int rc;

	if (live->securityEngineIDLen > 0)
		return 0;
	if (usm == NULL || usm->probe_engineid == NULL) {
		snprintf(why, size, "this net-snmp has no USM engineID discovery");
		return -1;
	}
	live->timeout = NOTIFY_SNMP_DISCOVERY_MS * 1000L;
	live->retries = 0;
	rc = usm->probe_engineid(sess, live);
	if (rc == 0 && usm->post_probe_engineid != NULL)
		rc = usm->post_probe_engineid(sess, live);
	if (rc == 0 && live->securityEngineIDLen > 0)
		return 0;
	netsnmp_error_text(sess, NULL, why, size);
	return -1;
}

/* Open D's session (for v3 informs: discover the receiver's engineID, which
 * blocks up to NOTIFY_SNMP_DISCOVERY_MS) and watch its socket.  Returns 0,
 * or -1 with d->open_err set and the next attempt scheduled. */
static int dest_open(struct snmp_dest *d)
{
	struct snmp_channel *ch = d->ch;
	netsnmp_session s = ch->tmpl, *live;
	netsnmp_transport *tr;
	void *sess;

	char why[200];

	s.peername = d->spec;
	if (ch->version == 3 && ch->inform) {
		/* Builds of net-snmp that discover at open use these. */
		s.timeout = NOTIFY_SNMP_DISCOVERY_MS * 1000L;
		s.retries = 0;
	}
	d->next_open = loop_now() + NOTIFY_SNMP_REOPEN_MS;
	sess = snmp_sess_open(&s);
	if (sess == NULL) {
		netsnmp_error_text(NULL, &s, why, sizeof(why));
		snprintf(d->open_err, sizeof(d->open_err), "cannot open a session to %s: %s",
		         d->spec, why);
		ch_log(ch, LOG_WARNING, "%s", d->open_err);
		return -1;
	}
	if (ch->version == 3 && ch->inform && discover_engine(sess, why, sizeof(why)) < 0) {
		snmp_sess_close(sess);
		snprintf(d->open_err, sizeof(d->open_err),
		         "no engineID discovered at %s within %d ms: %s", d->spec,
		         NOTIFY_SNMP_DISCOVERY_MS, why);
		ch_log(ch, LOG_WARNING, "%s", d->open_err);
		return -1;
	}
	live = snmp_sess_session(sess);
	live->timeout = NOTIFY_SNMP_TIMEOUT_MS * 1000L;
	live->retries = NOTIFY_SNMP_RETRIES;
	tr = snmp_sess_transport(sess);
	if (tr == NULL || tr->sock < 0 ||
	    loop_watch(ch->env->loop, tr->sock, LOOP_READ, on_readable, d) < 0) {
		snmp_sess_close(sess);
		snprintf(d->open_err, sizeof(d->open_err), "cannot watch the session to %s: %s",
		         d->spec, tr == NULL || tr->sock < 0 ? "no socket" : "out of memory");
		ch_log(ch, LOG_WARNING, "%s", d->open_err);
		return -1;
	}
	d->sess = sess;
	d->fd = tr->sock;
	d->open_err[0] = '\0';
	ch_log(ch, LOG_DEBUG, "session to %s open", d->spec);
	return 0;
}

static void dest_close(struct snmp_dest *d)
{
	struct loop *l = d->ch->env->loop;

	loop_timer_clear(l, &d->timer);
	if (d->sess != NULL) {
		loop_unwatch(l, d->fd);
		/* Calls the callback of each inform in flight (TIMED_OUT). */
		snmp_sess_close(d->sess);
		d->sess = NULL;
		d->fd = -1;
	}
	while (d->pending != NULL) {
		struct snmp_pending *p = d->pending;

		d->pending = p->next;
		free(p);
	}
	free(d->spec);
	d->spec = NULL;
}

/* ---- building a notification ---------------------------------------------------- */

/* The length of the text in BUF[0..SIZE): up to its NUL, or cut at SIZE - 1
 * on a character boundary when a caller left it unterminated. */
static size_t text_len(const char *buf, size_t size)
{
	size_t len = strnlen(buf, size);

	if (len < size)
		return len;
	len = size - 1;
	while (len > 0 && ((unsigned char)buf[len] & 0xC0) == 0x80)
		len--;
	return len;
}

/* SNMPv2-TC DateAndTime, 11 octets, UTC. */
static void date_and_time(int64_t unix_secs, u_char out[11])
{
	time_t t = (time_t)unix_secs;
	struct tm tm;

	if ((int64_t)t != unix_secs || gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 65535) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	out[0] = (u_char)((tm.tm_year + 1900) >> 8);
	out[1] = (u_char)((tm.tm_year + 1900) & 0xFF);
	out[2] = (u_char)(tm.tm_mon + 1);
	out[3] = (u_char)tm.tm_mday;
	out[4] = (u_char)tm.tm_hour;
	out[5] = (u_char)tm.tm_min;
	out[6] = (u_char)(tm.tm_sec > 59 ? 59 : tm.tm_sec); /* a leap second: DateAndTime has 60 */
	out[7] = 0;
	out[8] = '+';
	out[9] = 0;
	out[10] = 0;
}

static long state_value(enum rules_state st)
{
	return st >= RULES_OK && st <= RULES_UNKNOWN ? (long)st : (long)RULES_UNKNOWN;
}

static bool add_object(netsnmp_pdu *pdu, const struct snmp_channel *ch, enum object obj,
                       u_char type, const void *value, size_t len)
{
	oid name[MAX_OID_LEN];
	size_t n = root_child(&ch->root, BRANCH_OBJECTS, obj, true, name);

	return snmp_pdu_add_variable(pdu, name, n, type, value, len) != NULL;
}

static bool add_text(netsnmp_pdu *pdu, const struct snmp_channel *ch, enum object obj,
                     const char *buf, size_t size)
{
	return add_object(pdu, ch, obj, ASN_OCTET_STR, buf, text_len(buf, size));
}

/* The twelve objects of every notification, in MIB order. */
static bool add_objects(netsnmp_pdu *pdu, const struct snmp_channel *ch, const struct notice *n)
{
	long state = state_value(n->state), previous = state_value(n->previous);
	long left = n->time_left < 0           ? -1
	            : n->time_left > INT32_MAX ? INT32_MAX
	                                       : (long)n->time_left;
	struct counter64 id = {.high = (u_long)(n->id >> 32), .low = (u_long)(n->id & 0xFFFFFFFFu)};
	u_char at[11], since[11];

	date_and_time(n->at, at);
	date_and_time(n->since, since);
	return add_text(pdu, ch, OBJ_HOST, n->host, sizeof(n->host)) &&
	       add_text(pdu, ch, OBJ_SERVICE, n->service, sizeof(n->service)) &&
	       add_object(pdu, ch, OBJ_STATE, ASN_INTEGER, &state, sizeof(state)) &&
	       add_object(pdu, ch, OBJ_PREVIOUS, ASN_INTEGER, &previous, sizeof(previous)) &&
	       add_text(pdu, ch, OBJ_OUTPUT, n->output, sizeof(n->output)) &&
	       add_text(pdu, ch, OBJ_VALUE, n->value, sizeof(n->value)) &&
	       add_text(pdu, ch, OBJ_SLOPE, n->slope, sizeof(n->slope)) &&
	       add_object(pdu, ch, OBJ_TIME_LEFT, ASN_INTEGER, &left, sizeof(left)) &&
	       add_object(pdu, ch, OBJ_EVENT_ID, ASN_COUNTER64, &id, sizeof(id)) &&
	       add_object(pdu, ch, OBJ_EVENT_TIME, ASN_OCTET_STR, at, sizeof(at)) &&
	       add_object(pdu, ch, OBJ_SINCE_TIME, ASN_OCTET_STR, since, sizeof(since)) &&
	       add_text(pdu, ch, OBJ_PERFDATA, n->perfdata, sizeof(n->perfdata));
}

/* The PDU for N, notification sub-identifier SUB; NULL when out of memory. */
static netsnmp_pdu *build_pdu(const struct snmp_channel *ch, unsigned sub, const struct notice *n)
{
	netsnmp_pdu *pdu = snmp_pdu_create(ch->inform ? SNMP_MSG_INFORM : SNMP_MSG_TRAP2);
	u_long uptime = (u_long)(uint32_t)((loop_now() - ch->opened_at) / 10);
	oid trap[MAX_OID_LEN];
	size_t len = root_child(&ch->root, BRANCH_NOTIFICATIONS, sub, false, trap);

	if (pdu == NULL)
		return NULL;
	if (snmp_pdu_add_variable(pdu, sys_uptime_oid, OID_LENGTH(sys_uptime_oid), ASN_TIMETICKS,
	                          &uptime, sizeof(uptime)) == NULL ||
	    snmp_pdu_add_variable(pdu, snmp_trap_oid, OID_LENGTH(snmp_trap_oid), ASN_OBJECT_ID,
	                          trap, len * sizeof(oid)) == NULL ||
	    !add_objects(pdu, ch, n)) {
		snmp_free_pdu(pdu);
		return NULL;
	}
	return pdu;
}

/* ---- outcomes ----------------------------------------------------------------- */

static void pending_unlink(struct snmp_dest *d, struct snmp_pending *p)
{
	struct snmp_pending **pp;

	for (pp = &d->pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			return;
		}
}

/* What an answer to an inform means. */
static enum channel_result inform_answer(const struct snmp_dest *d, const netsnmp_pdu *pdu,
                                         char *reason, size_t size)
{
	if (pdu == NULL) {
		snprintf(reason, size, "%s: an empty answer", d->spec);
		return CHANNEL_RETRY;
	}
	if (pdu->command == SNMP_MSG_RESPONSE && pdu->errstat == SNMP_ERR_NOERROR)
		return CHANNEL_DELIVERED;
	if (pdu->command == SNMP_MSG_RESPONSE)
		snprintf(reason, size, "%s answered %s", d->spec,
		         snmp_errstring((int)pdu->errstat));
	else if (pdu->command == SNMP_MSG_REPORT)
		snprintf(reason, size, "%s refused it: %s", d->spec,
		         snmp_api_errstring(snmpv3_get_report_type((netsnmp_pdu *)pdu)));
	else
		snprintf(reason, size, "%s answered with a %s PDU", d->spec,
		         snmp_pdu_type(pdu->command));
	return CHANNEL_RETRY;
}

/* net-snmp's callback for an inform (magic: its struct snmp_pending). */
static int inform_cb(int op, netsnmp_session *sess, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct snmp_pending *p = magic;
	struct snmp_dest *d = p->dest;
	struct snmp_channel *ch = d->ch;
	enum channel_result result;
	char reason[320] = "";

	(void)sess;
	(void)reqid;
	switch (op) {
	case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
		result = inform_answer(d, pdu, reason, sizeof(reason));
		break;
	case NETSNMP_CALLBACK_OP_TIMED_OUT:
		result = CHANNEL_RETRY;
		snprintf(reason, sizeof(reason),
		         "no acknowledgement from %s after %d attempts of %d ms", d->spec,
		         NOTIFY_SNMP_RETRIES + 1, NOTIFY_SNMP_TIMEOUT_MS);
		break;
	default: /* a retransmission, or a send that failed: the request goes on */
		return 1;
	}
	if (p->sending) {
		p->answered = true;
		p->result = result;
		snprintf(p->reason, sizeof(p->reason), "%s", reason);
		return 1;
	}
	pending_unlink(d, p);
	if (!ch->closing)
		ch->env->done(ch->env->done_arg, p->id, result, 0, reason);
	free(p);
	return 1;
}

static void finish(const struct snmp_channel *ch, const char *id, enum channel_result result,
                   const char *reason)
{
	ch->env->done(ch->env->done_arg, id, result, 0, reason);
}

/* The notification sub-identifier of KIND into *SUB; false when it has none. */
static bool notification_sub(enum notice_kind kind, unsigned *sub)
{
	for (size_t i = 0; i < sizeof(notifications) / sizeof(notifications[0]); i++)
		if (notifications[i].kind == kind) {
			*sub = notifications[i].sub;
			return true;
		}
	return false;
}

/* Send the trap PDU (ours until it is sent) to D; done at once. */
static void send_trap(struct snmp_dest *d, const char *id, netsnmp_pdu *pdu)
{
	struct snmp_channel *ch = d->ch;
	char reason[320], why[200];

	if (ch->version == 3)
		engine_time_set(ch);
	if (snmp_sess_send(d->sess, pdu) != 0) {
		finish(ch, id, CHANNEL_DELIVERED, "");
		return;
	}
	netsnmp_error_text(d->sess, NULL, why, sizeof(why));
	snmp_free_pdu(pdu);
	snprintf(reason, sizeof(reason), "sending to %s failed: %s", d->spec, why);
	finish(ch, id, CHANNEL_RETRY, reason);
}

/* Send the inform PDU to D; done from inform_cb() when it is answered or
 * given up, or at once when it cannot be sent.  Returns 0, or -1 with ERR
 * set when out of memory (PDU freed). */
static int send_inform(struct snmp_dest *d, const char *id, netsnmp_pdu *pdu, char *err,
                       size_t errlen)
{
	struct snmp_pending *p = calloc(1, sizeof(*p));
	char reason[320], why[200];
	bool sent;

	if (p == NULL) {
		snmp_free_pdu(pdu);
		return errbuf_fail(err, errlen, "out of memory");
	}
	p->dest = d;
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->next = d->pending;
	d->pending = p;
	p->sending = true;
	sent = snmp_sess_async_send(d->sess, pdu, inform_cb, p) != 0;
	p->sending = false;
	if (p->answered || !sent) {
		/* Over already: net-snmp called back from inside the send (it
		 * then owns the PDU), or refused it (then we do). */
		if (p->answered) {
			snprintf(reason, sizeof(reason), "%s", p->reason);
		} else {
			netsnmp_error_text(d->sess, NULL, why, sizeof(why));
			snmp_free_pdu(pdu);
			snprintf(reason, sizeof(reason), "sending to %s failed: %s", d->spec, why);
		}
		pending_unlink(d, p);
		finish(d->ch, id, p->answered ? p->result : CHANNEL_RETRY, reason);
		free(p);
	}
	dest_rearm(d);
	return 0;
}

/* ---- channel_ops ---------------------------------------------------------------- */

static int chan_send(void *state, size_t dest, const char *id, const struct notice *const *batch,
                     size_t count, char *err, size_t errlen)
{
	struct snmp_channel *ch = state;
	const struct notice *n = batch[0];
	struct snmp_dest *d;
	netsnmp_pdu *pdu;
	char reason[64];
	unsigned sub = 0;

	log_channel = ch;
	if (count != 1) /* no rate_limit or group_wait for snmp: never batched */
		return errbuf_fail(err, errlen, "snmp channel %s: one notice per trap", ch->name);
	if (dest >= ch->ndest)
		return errbuf_fail(err, errlen, "snmp channel %s has no destination %zu", ch->name,
		                   dest);
	d = &ch->dest[dest];
	if (!notification_sub(n->kind, &sub)) {
		snprintf(reason, sizeof(reason), "no notification for kind %d", (int)n->kind);
		finish(ch, id, CHANNEL_DEAD, reason);
		return 0;
	}
	if (d->sess == NULL && (loop_now() < d->next_open || dest_open(d) < 0)) {
		finish(ch, id, CHANNEL_RETRY, d->open_err);
		return 0;
	}
	pdu = build_pdu(ch, sub, n);
	if (pdu == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	if (ch->inform)
		return send_inform(d, id, pdu, err, errlen);
	send_trap(d, id, pdu);
	return 0;
}

static void channel_free(struct snmp_channel *ch)
{
	ch->closing = true;
	log_channel = ch;
	for (size_t i = 0; i < ch->ndest; i++)
		dest_close(&ch->dest[i]);
	explicit_bzero(ch->tmpl.securityAuthKey, sizeof(ch->tmpl.securityAuthKey));
	explicit_bzero(ch->tmpl.securityPrivKey, sizeof(ch->tmpl.securityPrivKey));
	if (ch->community != NULL) {
		explicit_bzero(ch->community, strlen(ch->community));
		free(ch->community);
	}
	free(ch->user);
	free(ch->name);
	if (log_channel == ch)
		log_channel = NULL;
	free(ch);
}

static void chan_close(void *state)
{
	if (state != NULL)
		channel_free(state);
}

/* Everything but the sessions: the template and, for v3 traps, engineBoots. */
static int channel_setup(struct snmp_channel *ch, const struct config_channel *cc,
                         const struct channel_env *env, char *err, size_t errlen)
{
	const struct config_snmp *c = &cc->snmp;
	netsnmp_session *t = &ch->tmpl;

	if (root_parse(env->enterprise_oid != NULL ? env->enterprise_oid
	                                           : CONFIG_DEFAULT_ENTERPRISE_OID,
	               &ch->root, err, errlen) < 0)
		return -1;
	snmp_sess_init(t);
	t->timeout = NOTIFY_SNMP_TIMEOUT_MS * 1000L;
	t->retries = NOTIFY_SNMP_RETRIES;
	if (c->version == 3) {
		t->version = SNMP_VERSION_3;
		if (setup_v3(ch, c, err, errlen) < 0)
			return -1;
		if (!ch->inform) {
			if (boots_advance(ch, env->state_dir, err, errlen) < 0)
				return -1;
			t->engineBoots = (u_int)ch->boots;
			t->engineTime = 0;
			engine_time_set(ch);
		}
		return 0;
	}
	t->version = SNMP_VERSION_2c;
	ch->community = strdup(c->community != NULL ? c->community : "");
	if (ch->community == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	t->community = (u_char *)ch->community;
	t->community_len = strlen(ch->community);
	return 0;
}

static int chan_open(const struct config_channel *cc, const struct channel_env *env, void **state,
                     char *err, size_t errlen)
{
	const struct config_snmp *c = &cc->snmp;
	struct snmp_channel *ch;
	char boots[40] = "";
	size_t i, up = 0;

	if (c->nsinks == 0)
		return errbuf_fail(err, errlen, "snmp channel %s has no sink", cc->name);
	ch = calloc(1, sizeof(*ch) + c->nsinks * sizeof(ch->dest[0]));
	if (ch == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	ch->env = env;
	ch->name = strdup(cc->name);
	ch->inform = c->inform;
	ch->version = c->version == 3 ? 3 : 2;
	ch->opened_at = loop_now();
	log_channel = ch;
	for (i = 0; i < c->nsinks; i++) {
		ch->dest[i].ch = ch;
		ch->dest[i].fd = -1;
		ch->dest[i].spec = strdup(c->sinks[i].spec);
		if (ch->dest[i].spec != NULL)
			ch->ndest++;
	}
	if (ch->name == NULL || ch->ndest < c->nsinks) {
		channel_free(ch);
		return errbuf_fail(err, errlen, "out of memory");
	}
	netsnmp_setup();
	if (channel_setup(ch, cc, env, err, errlen) < 0) {
		channel_free(ch);
		return -1;
	}
	for (i = 0; i < ch->ndest; i++)
		if (dest_open(&ch->dest[i]) == 0)
			up++;
	if (ch->version == 3 && !ch->inform)
		snprintf(boots, sizeof(boots), ", engineBoots %lu", ch->boots);
	ch_log(ch, LOG_INFO, "v%s %s to %zu sink%s (%zu open)%s", ch->version == 3 ? "3" : "2c",
	       ch->inform ? "informs" : "traps", ch->ndest, ch->ndest == 1 ? "" : "s", up, boots);
	*state = ch;
	return 0;
}

static size_t chan_ndest(void *state)
{
	return ((struct snmp_channel *)state)->ndest;
}

static const char *chan_dest_name(void *state, size_t dest)
{
	struct snmp_channel *ch = state;

	return dest < ch->ndest ? ch->dest[dest].spec : "?";
}

const struct channel_ops channel_snmp_ops = {
        .type = "snmp",
        .open = chan_open,
        .ndest = chan_ndest,
        .dest_name = chan_dest_name,
        .send = chan_send,
        .close = chan_close,
};
