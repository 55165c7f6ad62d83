/*
 * snmpv2c.h - SNMPv1 and SNMPv2c spoken natively: a small BER encoder and a
 * strict decoder, one UDP exchange per request.
 *
 * The community-based versions need no cryptography, so they do not need
 * net-snmp either: loading libnetsnmp costs several times what a whole remote
 * check costs without it. agent.c uses v2c_module for v1/v2c and the net-snmp
 * module (agent_module.h) for v3 only; both offer the same ops table and
 * report failures the same way (struct agent_fault), so agent.c's GET
 * splitting, walks and messages serve both.
 *
 * The codec is exported for the unit tests; nothing else needs it.
 */
#ifndef TT_SNMPV2C_H
#define TT_SNMPV2C_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "agent_module.h"

/* The ops for v1 (version 1) and v2c (version 2): open parses T->host itself
 * (the PEER argument, net-snmp's transport string, is not used). */
extern const struct agent_module v2c_module;

/* One request, as encoded and as its answer is recognised. */
struct v2c_request {
	int version;           /* 1 or 2 (= v2c), as in struct agent_target */
	const char *community; /* the secret: never copied into a message */
	int32_t id;            /* request-id (answers carrying another are foreign) */
	enum agent_pdu type;   /* GETBULK is v2c only */
	const struct agent_req_oid *oids;
	size_t n;    /* OIDs, each asked with a NULL value */
	int max_rep; /* GETBULK max-repetitions (non-repeaters is always 0) */
};

/* Encode RQ as a message into BUF[0..BUFLEN). Returns its length, or 0 with
 * F set (AGENT_C_LOCAL) when it does not fit or an OID cannot be encoded. */
size_t v2c_encode(const struct v2c_request *rq, uint8_t *buf, size_t buflen, struct agent_fault *f);

/* Decode the datagram BUF[0..LEN) as the answer to RQ. Returns 0 with the
 * first MAXVALS varbinds in VALS[0..*NVALS) (filled as the net-snmp module
 * fills them); 1 for a message that answers something else (other version,
 * community or request-id: to be ignored; the rest is not looked at); -1 with
 * F set: AGENT_C_ERROR_STATUS (status, index, net-snmp's name for it) or
 * AGENT_C_PROTOCOL for a malformed message (detail says what and where). */
int v2c_decode(const struct v2c_request *rq, const uint8_t *buf, size_t len,
               struct agent_value *vals, size_t maxvals, size_t *nvals, struct agent_fault *f);

#endif
