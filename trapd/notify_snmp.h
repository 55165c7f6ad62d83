/*
 * notify_snmp.h - the "snmp" channel: each notice as an SNMPv2c or SNMPv3
 * (authPriv) trap or inform to every configured sink, with the objects of
 * etc/mibs/TRENDTRAP-MIB.txt.
 *
 * The channel itself is channel_snmp_ops (channel.h); this header adds what
 * a test needs to hold the code against the MIB, and states the limits.
 *
 * What is sent.  Varbinds: sysUpTime.0 (hundredths of a second since the
 * channel was opened), snmpTrapOID.0 = ROOT.0.N for the notice's kind (N as
 * in the MIB), then the twelve objects ROOT.1.1 .. ROOT.1.12, each as a
 * scalar instance (".0" appended), in MIB order with explicit types.  ROOT
 * is env->enterprise_oid, so a site with its own enterprise number gets the
 * same sub-identifiers under it.
 *
 * Outcomes.  A trap is DELIVERED once net-snmp sent it (nothing comes back:
 * a wrong community or engineID is dropped silently by the receiver).  An
 * inform is DELIVERED when the receiver acknowledges it, RETRY after
 * NOTIFY_SNMP_TIMEOUT_MS x (NOTIFY_SNMP_RETRIES + 1) without an answer, or
 * when the receiver answers with an error or a report; the outbox does the
 * long-term retrying.  A session that cannot be opened (host not resolved,
 * v3 engineID discovery failed) does not fail the channel: its sends end
 * in RETRY with the reason, and it is opened again at a send no sooner
 * than NOTIFY_SNMP_REOPEN_MS after the last attempt.
 *
 * Where it blocks.  Everything goes through env->loop (the session sockets
 * are watched, retransmissions are loop timers) except the one thing
 * net-snmp 5.9 only does synchronously: the discovery of the receiver's
 * engineID for v3 informs, when a session is opened (at open(), or at a
 * send after a failed attempt).  It is bounded to one request of
 * NOTIFY_SNMP_DISCOVERY_MS, no retry.
 *
 * v3 traps.  The sender is the authoritative engine: engine_id from the
 * config, engineBoots kept in STATE_DIR/channel-NAME.boots (incremented
 * and written with fsync at every open; the channel refuses to open when
 * the file is unreadable rather than reuse old values), engineTime counted
 * from the open.
 *
 * Limits.  net-snmp is process-global and not thread-safe: one thread.
 * Its USM user table is global too, keyed by (engineID, user): two
 * channels that send v3 traps must not share an engine_id, and a changed
 * passphrase for the same user and receiver engine takes effect at the
 * next start of the process, not at a reload.  A done callback must not
 * close the channel.  IPv6 sinks work as far as net-snmp's udp6 transport
 * does; only udp transports are configured.
 */
#ifndef TT_NOTIFY_SNMP_H
#define TT_NOTIFY_SNMP_H

#include <stddef.h>

#define NOTIFY_SNMP_TIMEOUT_MS   2000  /* per inform attempt */
#define NOTIFY_SNMP_RETRIES      1     /* inform retransmissions after the first */
#define NOTIFY_SNMP_DISCOVERY_MS 2000  /* the blocking v3 engineID discovery */
#define NOTIFY_SNMP_REOPEN_MS    30000 /* between attempts to open a failed session */

/* Called once per name by notify_snmp_oids(): NAME as in TRENDTRAP-MIB and
 * its numeric OID (".1.3.6...") under the given root, without instance. */
typedef void notify_snmp_oid_fn(void *arg, const char *name, const char *oid);

/* Report every notification and object the channel sends, in MIB order, with
 * its OID under ROOT (an enterprise_oid such as ".1.3.6.1.4.1.8072.9999.1";
 * NULL for CONFIG_DEFAULT_ENTERPRISE_OID).  Returns 0, or -1 with ERR set
 * when ROOT is not a numeric OID short enough to carry them. */
int notify_snmp_oids(const char *root, notify_snmp_oid_fn *fn, void *arg, char *err, size_t errlen);

#endif
