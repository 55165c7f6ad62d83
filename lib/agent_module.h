/*
 * agent_module.h - the ops table behind agent.c: implemented by the net-snmp
 * module trendtrap-snmp.so (snmpget.c, for v3) and natively (snmpv2c.c).
 *
 * The module exports one symbol, AGENT_MODULE_SYMBOL: a const struct
 * agent_module. It does one PDU per call and classifies what went wrong;
 * agent.c does the rest (OID parsing, PDU splitting, walks, messages), so
 * the code that links net-snmp stays small. The module uses nothing from
 * libtrendtrap.a: the types below are its whole contract.
 */
#ifndef TT_AGENT_MODULE_H
#define TT_AGENT_MODULE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent.h"

/* Bump on any change to the structs below or in agent.h that the module uses. */
#define AGENT_MODULE_VERSION 1
#define AGENT_MODULE_SYMBOL  "trendtrap_snmp_module"

enum agent_pdu { AGENT_PDU_GET, AGENT_PDU_GETNEXT, AGENT_PDU_GETBULK };

/* Why a call failed, as precisely as the module can tell. */
enum agent_cause {
	AGENT_C_NONE,
	AGENT_C_TIMEOUT,      /* no response after every try */
	AGENT_C_WRONG_DIGEST, /* REPORT usmStatsWrongDigests / authentication failure */
	AGENT_C_DECRYPTION,   /* REPORT usmStatsDecryptionErrors */
	AGENT_C_UNKNOWN_USER, /* REPORT usmStatsUnknownUserNames */
	AGENT_C_SEC_LEVEL,    /* REPORT usmStatsUnsupportedSecLevels */
	AGENT_C_TIME_WINDOW,  /* REPORT usmStatsNotInTimeWindows, again after a resync */
	AGENT_C_ENGINE_ID,    /* engine ID discovery failed / usmStatsUnknownEngineIDs */
	AGENT_C_ERROR_STATUS, /* the response has a non-zero error-status */
	AGENT_C_PROTOCOL,     /* any other failure of the exchange */
	AGENT_C_LOCAL,        /* bad parameters, no memory, socket trouble */
};

struct agent_fault {
	enum agent_cause cause;
	long status;      /* AGENT_C_ERROR_STATUS: the error-status (2 = noSuchName, ...) */
	long index;       /* AGENT_C_ERROR_STATUS: the error-index (1-based, 0 = none) */
	int discovered;   /* v3: the agent's engine ID is known, so it did answer once */
	char detail[256]; /* net-snmp's own words, or the module's, for the message */
};

/* Set F's cause and its detail (printf-style). Inline here because the
 * net-snmp module links nothing of ours. */
static inline void agent_fault_set(struct agent_fault *f, enum agent_cause cause, const char *fmt,
                                   ...) __attribute__((format(printf, 3, 4)));

static inline void agent_fault_set(struct agent_fault *f, enum agent_cause cause, const char *fmt,
                                   ...)
{
	va_list ap;

	f->cause = cause;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
}

struct agent_req_oid {
	uint32_t sub[AGENT_OID_MAX];
	size_t len;
};

struct agent_module {
	uint32_t version;    /* AGENT_MODULE_VERSION */
	uint32_t value_size; /* sizeof(struct agent_value) in the module's build */
	/* Open a session to PEER ("udp:host:port" / "udp6:[addr]:port") with the
	 * security parameters of T. NULL on failure, with F set. */
	void *(*open)(const struct agent_target *t, const char *peer, struct agent_fault *f);
	/* Send one PDU of TYPE for OIDS[0..N) (GETBULK: non-repeaters 0, MAX_REP
	 * repetitions) and store up to MAXVALS varbinds of the response in VALS,
	 * *NVALS of them. Returns 0, or -1 with F set (for AGENT_C_ERROR_STATUS the
	 * varbinds are not stored). */
	int (*request)(void *s, enum agent_pdu type, const struct agent_req_oid *oids, size_t n,
	               int max_rep, struct agent_value *vals, size_t maxvals, size_t *nvals,
	               struct agent_fault *f);
	void (*close)(void *s);
};

#endif
