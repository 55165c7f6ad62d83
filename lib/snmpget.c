/*
 * snmpget.c - the net-snmp module trendtrap-snmp.so: one PDU per call.
 *
 * This is the only file that includes net-snmp headers. It is built as a
 * shared object that agent.c dlopen()s only when a check talks to a remote
 * agent: libnetsnmp is linked BIND_NOW and costs millions of instructions to
 * load, more than a whole local plugin run. It exports one symbol, the ops
 * table AGENT_MODULE_SYMBOL (see agent_module.h), and uses nothing from
 * libtrendtrap.a.
 *
 * net-snmp is tamed before init_snmp(): no MIB files (MIBS and the MIB
 * directories empty), no snmp.conf, no persistent state under /var/lib/snmp,
 * and its log goes to a callback that keeps the last message for our error
 * text instead of stderr. net-snmp is process-global by design; the two
 * statics below (initialised once, the last log line) mirror that.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent_module.h"

#define EXPORT  __attribute__((visibility("default")))
#define NOWHERE "/dev/null" /* not a directory: nothing is read or created below it */

static char module_log[256]; /* net-snmp's last warning or error */

static int log_capture(int major, int minor, void *serverarg, void *clientarg)
{
	const struct snmp_log_message *m = serverarg;
	size_t len;

	(void)major;
	(void)minor;
	(void)clientarg;
	if (m == NULL || m->msg == NULL || m->priority > LOG_WARNING)
		return 0;
	snprintf(module_log, sizeof(module_log), "%s", m->msg);
	len = strlen(module_log);
	while (len > 0 && (module_log[len - 1] == '\n' || module_log[len - 1] == '\r'))
		module_log[--len] = '\0';
	return 0;
}

/* Silence net-snmp and keep it off the file system; for v3 also run
 * init_snmp(), which sets up USM (and seeds OpenSSL's random generator for
 * its salts, about half the cost of a v2c run). v1/v2c do not need it:
 * snmp_sess_init() initialises the transports itself, and skipping
 * init_snmp() also skips the MIB and configuration machinery altogether. */
static void module_init(int version)
{
	static int quiet, full;

	if (!quiet) {
		quiet = 1;
		setenv("MIBS", "", 1);
		netsnmp_set_mib_directory("");
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
		                       NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
		                       NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_NO_TOKEN_WARNINGS, 1);
		/* Even so, the TLS transport's start-up scans the configuration
		 * directories for certificates and creates <persistent
		 * dir>/cert_indexes (/var/lib/snmp): point both nowhere. */
		netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR,
		                      NOWHERE);
		netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_CONFIGURATION_DIR,
		                      NOWHERE);
		/* Nothing to stderr: drop the default handlers, keep our callback. */
		snmp_disable_log();
		netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
		snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_capture,
		                       NULL);
	}
	if (version == 3 && !full) {
		/* init_snmp() calls setlocale(LC_CTYPE, ""): keep the program's. */
		const char *cur = setlocale(LC_CTYPE, NULL);
		char ctype[64];

		snprintf(ctype, sizeof(ctype), "%s", cur != NULL ? cur : "C");
		full = 1;
		init_snmp("trendtrap");
		setlocale(LC_CTYPE, ctype);
	}
}

/* ---- v3 security parameters ------------------------------------------ */

static int auth_protocol(const char *name, netsnmp_session *s, struct agent_fault *f)
{
	if (name == NULL || strcasecmp(name, "SHA") == 0 || strcasecmp(name, "SHA-1") == 0) {
		s->securityAuthProto = usmHMACSHA1AuthProtocol;
		s->securityAuthProtoLen = OID_LENGTH(usmHMACSHA1AuthProtocol);
	} else if (strcasecmp(name, "SHA-256") == 0) {
		s->securityAuthProto = usmHMAC192SHA256AuthProtocol;
		s->securityAuthProtoLen = OID_LENGTH(usmHMAC192SHA256AuthProtocol);
	} else if (strcasecmp(name, "SHA-512") == 0) {
		s->securityAuthProto = usmHMAC384SHA512AuthProtocol;
		s->securityAuthProtoLen = OID_LENGTH(usmHMAC384SHA512AuthProtocol);
#ifndef NETSNMP_DISABLE_MD5
	} else if (strcasecmp(name, "MD5") == 0) {
		s->securityAuthProto = usmHMACMD5AuthProtocol;
		s->securityAuthProtoLen = OID_LENGTH(usmHMACMD5AuthProtocol);
#endif
	} else {
		agent_fault_set(f, AGENT_C_LOCAL, "authentication protocol '%s' is not available",
		                name);
		return -1;
	}
	return 0;
}

static int priv_protocol(const char *name, netsnmp_session *s, struct agent_fault *f)
{
	if (name == NULL || strcasecmp(name, "AES") == 0 || strcasecmp(name, "AES-128") == 0) {
		s->securityPrivProto = usmAESPrivProtocol;
		s->securityPrivProtoLen = OID_LENGTH(usmAESPrivProtocol);
#ifdef NETSNMP_DRAFT_BLUMENTHAL_AES_04
	} else if (strcasecmp(name, "AES-256") == 0) {
		s->securityPrivProto = usmAES256PrivProtocol;
		s->securityPrivProtoLen = OID_LENGTH(usmAES256PrivProtocol);
#endif
#ifndef NETSNMP_DISABLE_DES
	} else if (strcasecmp(name, "DES") == 0) {
		s->securityPrivProto = usmDESPrivProtocol;
		s->securityPrivProtoLen = OID_LENGTH(usmDESPrivProtocol);
#endif
	} else {
		agent_fault_set(f, AGENT_C_LOCAL,
		                "privacy protocol '%s' is not available in this net-snmp build",
		                name);
		return -1;
	}
	return 0;
}

/* Derive a Ku key from PASS with the session's authentication hash. */
static int make_key(netsnmp_session *s, const char *what, const char *pass, u_char *key,
                    size_t *keylen, struct agent_fault *f)
{
	*keylen = USM_AUTH_KU_LEN;
	if (pass == NULL || strlen(pass) < 8) {
		agent_fault_set(f, AGENT_C_LOCAL,
		                "the %s passphrase must have at least 8 characters", what);
		return -1;
	}
	if (generate_Ku(s->securityAuthProto, (u_int)s->securityAuthProtoLen, (const u_char *)pass,
	                strlen(pass), key, keylen) != SNMPERR_SUCCESS) {
		agent_fault_set(f, AGENT_C_LOCAL,
		                "cannot derive the %s key from its passphrase%s%s", what,
		                module_log[0] ? ": " : "", module_log);
		return -1;
	}
	return 0;
}

static int setup_v3(const struct agent_target *t, netsnmp_session *s, struct agent_fault *f)
{
	static const int levels[] = {SNMP_SEC_LEVEL_NOAUTH, SNMP_SEC_LEVEL_AUTHNOPRIV,
	                             SNMP_SEC_LEVEL_AUTHPRIV};

	if (t->user == NULL || t->user[0] == '\0') {
		agent_fault_set(f, AGENT_C_LOCAL, "SNMPv3 needs a user name");
		return -1;
	}
	s->version = SNMP_VERSION_3;
	s->securityName = (char *)t->user;
	s->securityNameLen = strlen(t->user);
	s->securityLevel = levels[t->level];
	if (t->level == AGENT_NO_AUTH_NO_PRIV)
		return 0;
	if (auth_protocol(t->auth_proto, s, f) != 0 ||
	    make_key(s, "authentication", t->auth_pass, s->securityAuthKey, &s->securityAuthKeyLen,
	             f) != 0)
		return -1;
	if (t->level == AGENT_AUTH_NO_PRIV)
		return 0;
	if (priv_protocol(t->priv_proto, s, f) != 0)
		return -1;
	return make_key(s, "privacy", t->priv_pass, s->securityPrivKey, &s->securityPrivKeyLen, f);
}

/* ---- errors ----------------------------------------------------------- */

static enum agent_cause classify(int snmperr)
{
	switch (snmperr) {
	case SNMPERR_TIMEOUT:
		return AGENT_C_TIMEOUT;
	case SNMPERR_AUTHENTICATION_FAILURE:
	case SNMPERR_USM_AUTHENTICATIONFAILURE:
		return AGENT_C_WRONG_DIGEST;
	case SNMPERR_DECRYPTION_ERR:
	case SNMPERR_USM_DECRYPTIONERROR:
		return AGENT_C_DECRYPTION;
	case SNMPERR_UNKNOWN_USER_NAME:
	case SNMPERR_USM_UNKNOWNSECURITYNAME:
		return AGENT_C_UNKNOWN_USER;
	case SNMPERR_UNSUPPORTED_SEC_LEVEL:
	case SNMPERR_USM_UNSUPPORTEDSECURITYLEVEL:
		return AGENT_C_SEC_LEVEL;
	case SNMPERR_NOT_IN_TIME_WINDOW:
	case SNMPERR_USM_NOTINTIMEWINDOW:
		return AGENT_C_TIME_WINDOW;
	case SNMPERR_UNKNOWN_ENG_ID:
	case SNMPERR_USM_UNKNOWNENGINEID:
		return AGENT_C_ENGINE_ID;
	case SNMPERR_BAD_ADDRESS:
	case SNMPERR_BAD_SENDTO:
	case SNMPERR_MALLOC:
	case SNMPERR_BAD_SESSION:
		return AGENT_C_LOCAL;
	default:
		return AGENT_C_PROTOCOL;
	}
}

/* Fill F from net-snmp's error state: SNMPERR as classified, its text. */
static void fault_from_snmp(struct agent_fault *f, int snmperr, const char *text)
{
	agent_fault_set(f, classify(snmperr), "%s", text != NULL && text[0] ? text : module_log);
	if (f->detail[0] == '\0')
		snprintf(f->detail, sizeof(f->detail), "net-snmp error %d", snmperr);
}

/* ---- ops -------------------------------------------------------------- */

static void *op_open(const struct agent_target *t, const char *peer, struct agent_fault *f)
{
	netsnmp_session s;
	void *sess;
	int liberr = 0, snmperr = 0;
	char *text = NULL;

	memset(f, 0, sizeof(*f));
	module_init(t->version);
	module_log[0] = '\0';
	snmp_sess_init(&s);
	s.peername = (char *)peer;
	s.timeout = (long)(t->timeout * 1e6);
	s.retries = t->retries;
	if (t->version == 3) {
		if (setup_v3(t, &s, f) != 0)
			return NULL;
	} else {
		s.version = t->version == 1 ? SNMP_VERSION_1 : SNMP_VERSION_2c;
		s.community = (u_char *)(t->community != NULL ? t->community : "public");
		s.community_len = strlen((const char *)s.community);
	}
	sess = snmp_sess_open(&s);
	if (sess == NULL) {
		snmp_error(&s, &liberr, &snmperr, &text);
		fault_from_snmp(f, s.s_snmp_errno != 0 ? s.s_snmp_errno : snmperr, text);
		free(text);
	}
	return sess;
}

/* Copy one varbind into V. */
static void copy_value(const netsnmp_variable_list *vb, struct agent_value *v)
{
	size_t n = vb->name_length < AGENT_OID_MAX ? vb->name_length : AGENT_OID_MAX;

	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v->oid[i] = (uint32_t)vb->name[i];
	v->oidlen = n;
	switch (vb->type) {
	case ASN_INTEGER:
		v->type = AGENT_INTEGER;
		v->i = *vb->val.integer;
		break;
	case ASN_COUNTER:
	case ASN_GAUGE:
	case ASN_TIMETICKS:
		v->type = AGENT_UNSIGNED;
		v->u = (uint32_t)*vb->val.integer;
		break;
	case ASN_COUNTER64:
		v->type = AGENT_COUNTER64;
		v->u = ((uint64_t)vb->val.counter64->high << 32) | vb->val.counter64->low;
		break;
	case ASN_OCTET_STR:
	case ASN_IPADDRESS:
	case ASN_OPAQUE:
		v->type = AGENT_STRING;
		v->slen = vb->val_len < sizeof(v->s) - 1 ? vb->val_len : sizeof(v->s) - 1;
		if (v->slen > 0)
			memcpy(v->s, vb->val.string, v->slen);
		break;
	case ASN_OBJECT_ID: {
		size_t len = 0, count = vb->val_len / sizeof(oid);

		v->type = AGENT_OID;
		for (size_t i = 0; i < count && len + 12 < sizeof(v->s); i++)
			len += (size_t)snprintf(v->s + len, sizeof(v->s) - len, ".%lu",
			                        (unsigned long)vb->val.objid[i]);
		v->slen = len;
		break;
	}
	case ASN_NULL:
		v->type = AGENT_NULL;
		break;
	case SNMP_NOSUCHOBJECT:
		v->type = AGENT_NO_SUCH_OBJECT;
		break;
	case SNMP_NOSUCHINSTANCE:
		v->type = AGENT_NO_SUCH_INSTANCE;
		break;
	case SNMP_ENDOFMIBVIEW:
		v->type = AGENT_END_OF_MIB;
		break;
	default:
		v->type = AGENT_OTHER;
		break;
	}
}

static netsnmp_pdu *build_pdu(enum agent_pdu type, const struct agent_req_oid *oids, size_t n,
                              int max_rep)
{
	static const int cmd[] = {SNMP_MSG_GET, SNMP_MSG_GETNEXT, SNMP_MSG_GETBULK};
	netsnmp_pdu *pdu = snmp_pdu_create(cmd[type]);
	oid name[AGENT_OID_MAX];

	if (pdu == NULL)
		return NULL;
	if (type == AGENT_PDU_GETBULK) {
		pdu->non_repeaters = 0;
		pdu->max_repetitions = max_rep;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < oids[i].len; k++)
			name[k] = oids[i].sub[k];
		if (snmp_add_null_var(pdu, name, oids[i].len) == NULL) {
			snmp_free_pdu(pdu);
			return NULL;
		}
	}
	return pdu;
}

/* One exchange. Returns 0 with *RESP, or -1 with F set. */
static int exchange(void *s, enum agent_pdu type, const struct agent_req_oid *oids, size_t n,
                    int max_rep, netsnmp_pdu **resp, struct agent_fault *f)
{
	netsnmp_pdu *pdu = build_pdu(type, oids, n, max_rep);
	int liberr = 0, snmperr = 0, status;
	char *text = NULL;

	*resp = NULL;
	if (pdu == NULL) {
		agent_fault_set(f, AGENT_C_LOCAL, "cannot build the request (out of memory?)");
		return -1;
	}
	module_log[0] = '\0';
	status = snmp_sess_synch_response(s, pdu, resp);
	if (status == STAT_SUCCESS && *resp != NULL)
		return 0;
	if (*resp != NULL)
		snmp_free_pdu(*resp);
	*resp = NULL;
	if (status == STAT_TIMEOUT) {
		netsnmp_session *ss = snmp_sess_session(s);

		agent_fault_set(f, AGENT_C_TIMEOUT, "timeout");
		f->discovered =
		        ss != NULL && ss->version == SNMP_VERSION_3 && ss->securityEngineIDLen > 0;
		return -1;
	}
	snmp_sess_error(s, &liberr, &snmperr, &text);
	fault_from_snmp(f, snmperr, text);
	free(text);
	return -1;
}

static int op_request(void *s, enum agent_pdu type, const struct agent_req_oid *oids, size_t n,
                      int max_rep, struct agent_value *vals, size_t maxvals, size_t *nvals,
                      struct agent_fault *f)
{
	netsnmp_pdu *resp = NULL;
	int rc;

	memset(f, 0, sizeof(*f));
	*nvals = 0;
	rc = exchange(s, type, oids, n, max_rep, &resp, f);
	/* Out of the time window even after net-snmp's own resync: once more. */
	if (rc != 0 && f->cause == AGENT_C_TIME_WINDOW)
		rc = exchange(s, type, oids, n, max_rep, &resp, f);
	if (rc != 0)
		return -1;
	if (resp->errstat != SNMP_ERR_NOERROR) {
		agent_fault_set(f, AGENT_C_ERROR_STATUS, "%s", snmp_errstring((int)resp->errstat));
		f->status = resp->errstat;
		f->index = resp->errindex;
		snmp_free_pdu(resp);
		return -1;
	}
	for (netsnmp_variable_list *vb = resp->variables; vb != NULL && *nvals < maxvals;
	     vb = vb->next_variable)
		copy_value(vb, &vals[(*nvals)++]);
	snmp_free_pdu(resp);
	return 0;
}

static void op_close(void *s)
{
	if (s != NULL)
		snmp_sess_close(s);
}

EXPORT const struct agent_module trendtrap_snmp_module = {
        .version = AGENT_MODULE_VERSION,
        .value_size = sizeof(struct agent_value),
        .open = op_open,
        .request = op_request,
        .close = op_close,
};
