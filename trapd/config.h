/*
 * config.h - trendtrapd's configuration file, loaded into plain structs.
 *
 * config_load() parses the file (libconfuse syntax), checks every value and
 * every relation between values, reads the secret files it names, and either
 * returns a complete struct config or reports EVERY error it found, each as one
 * "FILE:LINE: message" line, sorted by line.  It changes nothing outside what
 * it returns (no global state, no files written), so the daemon can load a new
 * file on SIGHUP and keep the old config when the new one fails.  A syntax
 * error stops libconfuse's parser: the errors then are that one and those
 * found before it.  Not reentrant (libconfuse's lexer is global): one thread.
 *
 * The schema (see etc/trendtrapd.conf for a commented example):
 *
 *   user = "trendtrap"              drop root to this user (default trendtrap)
 *   state_dir = "/var/lib/trendtrapd"           absolute (this is the default)
 *   enterprise_oid = ".1.3.6.1.4.1.8072.9999.1" the MIB root of the traps
 *   socket { path = "/run/trendtrapd/trendtrapd.sock"  mode = "0660"
 *            max_line = 4096 }                  at most once; these are defaults
 *   defaults { sustain_count = 3  sustain_for = "0"  window_m = 0  window_n = 0
 *              recover_count = 2  renotify = "4h"  flap_low = 20  flap_high = 30
 *              stale_after = "0" }              at most once; these are defaults
 *   check "SERVICE" { command = {"/abs/plugin", "arg", ...}  interval = "5m"
 *                     timeout = "30s"  host = "localhost"
 *                     and any option of defaults, for this check only }
 *   channel "NAME" { type = "snmp" | "mail" | "sms" | "log"  max_age = "1d"
 *       snmp: sink = {"udp:HOST:PORT", "udp6:[ADDR]:PORT", ...}  version = "2c"
 *             inform = false  community_file = "/abs"   (version 2c)
 *             user, auth_proto (SHA, SHA-256, SHA-512), auth_pass_file,
 *             priv_proto (AES, AES-256), priv_pass_file, engine_id = "0x80..."
 *             (version 3: authPriv only; engine_id required for traps)
 *       mail: url = "smtp[s]://HOST[:PORT]"  from = "a@b"  to = {"c@d", ...}
 *             user with password_file or password_env = "VAR" (SMTP AUTH; all
 *             or none)  tls = "starttls" (default) | "none" (smtp:// without
 *             AUTH only)  ca_file = "/abs"  connect_timeout = "10s"
 *             timeout = "60s" (>= connect_timeout)
 *       sms:  provider = "twilio" | "http"  url = "http[s]://..."  from = "+E164"
 *             to = {"+E164", ...}  user (Twilio account SID), token_file or
 *             token_env = "VAR"  max_segments = 1 (1..10)  ca_file,
 *             connect_timeout, timeout (as for mail)
 *             http only: method = "POST" | "PUT"  headers = {"Name: value", ...}
 *             ({token} in a value)  content_type = "application/json" |
 *             "application/x-www-form-urlencoded"  body = "{\"to\":\"{to}\",..."
 *             (placeholders {to} {from} {text} {host} {service} {state} {kind}
 *             {id}; {to} and {text} required)
 *       mail and sms: rate_limit = "10/1h" (COUNT 1..100000 / DURATION > 0;
 *             default none)  group_wait = "0" (at most 1h)
 *       log:  nothing: the daemon only logs what it would send }
 *   route { match_host = "*"  match_service = "disk*"      fnmatch(3) patterns
 *           states = {"CRITICAL", "WARNING", "UNKNOWN", "RECOVERY", "FLAPPING",
 *                     "STALE"}  (default: all)  channels = {"NAME", ...}
 *           after = "0" (escalation: problems wait this long) }
 *
 * Durations are strings: "30s", "15m", "6h", "7d", "1d12h"; a bare number is
 * seconds; stale_after also takes "never".  libconfuse replaces ${VAR} in a
 * value with the environment variable VAR (empty when unset).  Secrets
 * (community, passwords, tokens) are never written in the file: *_file
 * options name files holding them, password_env and token_env name the
 * daemon's environment variables (set, not empty).  A secret file must be a
 * regular file readable and writable by its owner only (chmod 600); its first
 * line is the secret.  A ca_file must be a regular file that group and others
 * cannot write.  An option given twice in one section, and two checks or
 * channels with the same name, are errors (libconfuse keeps only the second
 * of two same-named sections, so errors inside the first show once it is
 * renamed).
 */
#ifndef TT_CONFIG_H
#define TT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "rules.h"

#define CONFIG_DEFAULT_USER      "trendtrap"
#define CONFIG_DEFAULT_STATE_DIR "/var/lib/trendtrapd"
#define CONFIG_DEFAULT_SOCKET    "/run/trendtrapd/trendtrapd.sock"
/* A placeholder under net-snmp's netSnmpExperimental (.1.3.6.1.4.1.8072.9999),
 * which is free for experiments and collides with no vendor: a site with its
 * own enterprise number sets enterprise_oid. */
#define CONFIG_DEFAULT_ENTERPRISE_OID ".1.3.6.1.4.1.8072.9999.1"

/* What a route forwards: problems (and their renotifications) by state, and
 * the other kinds of events. */
enum config_route_states {
	CONFIG_ROUTE_WARNING = 1 << 0,
	CONFIG_ROUTE_CRITICAL = 1 << 1,
	CONFIG_ROUTE_UNKNOWN = 1 << 2,
	CONFIG_ROUTE_RECOVERY = 1 << 3,
	CONFIG_ROUTE_FLAPPING = 1 << 4, /* flapping started and stopped */
	CONFIG_ROUTE_STALE = 1 << 5,    /* stale and stale-end */
	CONFIG_ROUTE_ALL = (1 << 6) - 1,
};

enum config_channel_type {
	CONFIG_CHANNEL_LOG,
	CONFIG_CHANNEL_SNMP,
	CONFIG_CHANNEL_MAIL,
	CONFIG_CHANNEL_SMS,
};

struct config_socket {
	char *path;      /* absolute, fits in sun_path */
	unsigned mode;   /* permission bits for the socket, never writable by others */
	size_t max_line; /* longest accepted result line, in bytes */
};

/* A check the daemon runs itself: fork/exec of argv, no shell. */
struct config_check {
	char *name;                 /* the section title: the service name */
	char *host;                 /* the host name results are filed under */
	char **argv;                /* argc strings then NULL; argv[0] is absolute */
	size_t argc;                /* >= 1 */
	double interval;            /* seconds between runs, > 0 */
	double timeout;             /* seconds before the run is killed, 0 < t <= interval */
	struct rules_policy policy; /* defaults, with this check's overrides */
	int line;                   /* where the section starts, for messages */
};

/* One SNMP destination, "udp:HOST:PORT" or "udp6:[ADDR]:PORT". */
struct config_sink {
	char *spec;    /* as written: net-snmp's transport syntax */
	char *host;    /* HOST or ADDR without brackets */
	unsigned port; /* 1..65535 */
	bool ipv6;     /* udp6 */
};

struct config_snmp {
	struct config_sink *sinks; /* >= 1 */
	size_t nsinks;
	int version;                 /* 2 (v2c) or 3 */
	bool inform;                 /* informs (acknowledged, retried) instead of traps */
	char *community;             /* v2c: read from community_file */
	char *user;                  /* v3 user; authPriv always */
	char *auth_proto;            /* "SHA", "SHA-256" or "SHA-512" */
	char *auth_pass;             /* read from auth_pass_file */
	char *priv_proto;            /* "AES" or "AES-256" */
	char *priv_pass;             /* read from priv_pass_file */
	unsigned char engine_id[32]; /* v3 local engineID; engine_id_len 0 = none */
	size_t engine_id_len;        /* 5..32 when given */
};

struct config_mail {
	char *url;              /* "smtp://HOST[:PORT]" or "smtps://..." */
	char *from;             /* an address: local@domain */
	char **to;              /* nto addresses: one destination each */
	size_t nto;             /* >= 1 */
	char *user;             /* SMTP AUTH user, or NULL */
	char *password;         /* from password_file or password_env; NULL without AUTH */
	bool starttls;          /* smtp://: STARTTLS required (tls = "starttls", the
	                           default); false only with tls = "none" */
	char *ca_file;          /* CA bundle to verify the server (ca_file), or NULL:
	                           the system's */
	double connect_timeout; /* seconds (connect_timeout, default 10s) */
	double timeout;         /* seconds for a whole message (timeout, default 60s) */
};

struct config_sms {
	char *provider;         /* "twilio" or "http" */
	char *url;              /* http:// or https://; NULL for Twilio's default */
	char *from;             /* +E.164 sender, or NULL (required by twilio) */
	char **to;              /* nto numbers in E.164: + and 7 to 15 digits; one
	                           destination each */
	size_t nto;             /* >= 1 */
	char *user;             /* Twilio account SID, or NULL */
	char *token;            /* from token_file or token_env, or NULL */
	char *method;           /* http: "POST" (default) or "PUT" */
	char **headers;         /* http: "Name: value" lines; "{token}" in a value is
	                           replaced by the token; nheaders may be 0 */
	size_t nheaders;
	char *content_type;     /* http: "application/json" (default) or
	                           "application/x-www-form-urlencoded" */
	char *body;             /* http: the template, placeholders {to} {from} {text}
	                           {host} {service} {state} {kind} {id}; default
	                           {"to":"{to}","text":"{text}"} */
	unsigned max_segments;  /* SMS segments a text may use (default 1) */
	char *ca_file;          /* as for mail */
	double connect_timeout; /* as for mail */
	double timeout;
};

/* Only the member of the channel's type is filled; the others are zero. */
struct config_channel {
	char *name; /* the section title */
	enum config_channel_type type;
	double max_age;       /* seconds a notification is retried before the dead letters */
	unsigned rate_count;  /* mail, sms: at most rate_count messages per rate_period */
	double rate_period;   /*   seconds, per destination (rate_limit = "10/1h");
	                         0 and 0 = no limit; what exceeds it is folded into a digest */
	double group_wait;    /* mail, sms: hold a notification this long and send what
	                         arrived meanwhile as one message (0 = off) */
	struct config_snmp snmp;
	struct config_mail mail;
	struct config_sms sms;
	int line;
};

#define CONFIG_ESCALATING_ROUTES 64 /* only the first routes may have `after` */

/* Every route whose patterns match a notification's host and service and whose
 * states include it sends it to its channels (each channel once in all). */
struct config_route {
	char *match_host;                 /* fnmatch(3) pattern */
	char *match_service;              /* fnmatch(3) pattern */
	unsigned states;                  /* enum config_route_states bits, never 0 */
	double after;                     /* escalation: problems go out only once they
	                                     lasted this long without an ack (0 = at once);
	                                     their recoveries then too, other kinds never */
	struct config_channel **channels; /* into config.channels; nchannels >= 1 */
	size_t nchannels;
	int line;
};

struct config {
	char *path;           /* the file it was loaded from */
	char *user;           /* drop root to this user after opening what needs root */
	char *state_dir;      /* absolute */
	char *enterprise_oid; /* numeric, with a leading dot */
	struct config_socket socket;
	struct rules_policy defaults; /* for services without a check section */
	struct config_check *checks;
	size_t nchecks;
	struct config_channel *channels;
	size_t nchannels;
	struct config_route *routes;
	size_t nroutes;
};

struct config_error {
	int line;   /* 0 when the error is about the whole file */
	char *text; /* "FILE:LINE: message" (or "FILE: message"), no newline */
};

/* Zero-initialise it; config_load() appends to it. */
struct config_errors {
	struct config_error *v;
	size_t count;
};

/* Load PATH into *OUT. Returns 0, or -1 with *OUT = NULL and every error
 * appended to ERRS (at least one, unless memory ran out). */
int config_load(const char *path, struct config **out, struct config_errors *errs);

/* Free a config from config_load() (secrets are wiped first); NULL is fine. */
void config_free(struct config *cfg);

/* Free the messages in ERRS and empty it for reuse. */
void config_errors_free(struct config_errors *errs);

/* The channel named NAME, or NULL. */
const struct config_channel *config_channel_find(const struct config *cfg, const char *name);

#endif
