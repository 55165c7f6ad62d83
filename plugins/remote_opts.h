/*
 * remote_opts.h - the SNMP options the check plugins share: -H and friends.
 *
 * Main-level code (it may print and exit through plugin_die). A plugin merges
 * remote_long_options into its getopt table (remote_options_merge), adds
 * REMOTE_SHORTOPTS to its short options, hands every option to remote_opt()
 * and calls remote_opts_finish() once parsing is done; the result is a
 * struct agent_target for agent_open() (when remote_opts_active()).
 *
 * Secrets (community, passphrases) come from the option, else from a file
 * (--community-file, --authpasswd-file, --privpasswd-file: first line; refused
 * when others can read it), else from the environment
 * (TRENDTRAP_SNMP_COMMUNITY, TRENDTRAP_SNMP_AUTHPASS, TRENDTRAP_SNMP_PRIVPASS),
 * so they need not appear in ps.
 *
 * Short options taken: -H -P -C -U -L -a -A -x -X (as check_snmp has them).
 */
#ifndef TT_REMOTE_OPTS_H
#define TT_REMOTE_OPTS_H

#include <getopt.h>
#include <stdbool.h>

#include "agent.h"
#include "plugin.h"
#include "remote.h"

#define REMOTE_SHORTOPTS       "H:P:C:U:L:a:A:x:X:"
#define REMOTE_SECRET_MAX      256
#define REMOTE_RETRIES_DEFAULT 2

/* The plugins' --help for these options, around the privacy passphrase's line
 * (a plugin that keeps -X for itself prints it without -X). */
#define REMOTE_HELP_HEAD                                                                           \
	"Remote (SNMP; without -H the local machine is checked):\n"                                \
	"  -H, --hostname HOST[:PORT]  read the agent at HOST (UDP, port 161 by default)\n"        \
	"  -P, --protocol 1|2c|3    SNMP version (default 2c)\n"                                   \
	"  -C, --community STR      v1/v2c community (seen by ps: prefer the file or\n"            \
	"                           TRENDTRAP_SNMP_COMMUNITY; default public)\n"                   \
	"      --community-file F   the community from the first line of F (mode 600)\n"           \
	"  -U, --secname USER       v3 user\n"                                                     \
	"  -L, --seclevel L         noAuthNoPriv, authNoPriv or authPriv\n"                        \
	"  -a, --authproto P        SHA (default), SHA-256, SHA-512 or MD5\n"                      \
	"  -A, --authpasswd PASS    v3 authentication passphrase (prefer the file or\n"            \
	"                           TRENDTRAP_SNMP_AUTHPASS)\n"                                    \
	"      --authpasswd-file F  the authentication passphrase from F (mode 600)\n"             \
	"  -x, --privproto P        AES (default), AES-256 or DES\n"
#define REMOTE_HELP_PRIV_X                                                                         \
	"  -X, --privpasswd PASS    v3 privacy passphrase (prefer the file or\n"                   \
	"                           TRENDTRAP_SNMP_PRIVPASS)\n"
#define REMOTE_HELP_PRIV_LONG                                                                      \
	"      --privpasswd PASS    v3 privacy passphrase (prefer the file or\n"                   \
	"                           TRENDTRAP_SNMP_PRIVPASS)\n"
#define REMOTE_HELP_TAIL                                                                           \
	"      --privpasswd-file F  the privacy passphrase from F (mode 600)\n"                    \
	"      --retries N          tries after the first (default 2); -t bounds them all\n"       \
	"      --mib auto|ucd|host  UCD-SNMP-MIB or HOST-RESOURCES-MIB (default: UCD when\n"       \
	"                           the agent has it)\n"

/* Long-only option codes: above the plugins' own range. */
enum {
	OPT_REMOTE_COMMUNITY_FILE = PLUGIN_OPT_OWN + 256,
	OPT_REMOTE_AUTHPASS_FILE,
	OPT_REMOTE_PRIVPASS_FILE,
	OPT_REMOTE_RETRIES,
	OPT_REMOTE_MIB,
	OPT_REMOTE_PRIVPASS, /* --privpasswd: long-only, so that a plugin may keep
	                        -X for itself (check_disk_trend's --exclude-type) */
};

/* One secret and where it came from, for messages. */
struct remote_secret {
	const char *arg;               /* the option's value, NULL when not given */
	const char *file;              /* the file option's value, NULL when not given */
	char value[REMOTE_SECRET_MAX]; /* the secret, once resolved */
	bool set;                      /* value holds a secret */
};

struct remote_opts {
	const char *host;       /* -H, NULL: a local check */
	int version;            /* -P: 1, 2 (2c) or 3; default 2 */
	const char *user;       /* -U */
	enum agent_level level; /* -L; default authPriv when a privacy passphrase is
	                           given, else authNoPriv with an auth passphrase, else
	                           noAuthNoPriv */
	bool level_given;
	const char *auth_proto; /* -a, default SHA */
	const char *priv_proto; /* -x, default AES */
	struct remote_secret community, auth_pass, priv_pass;
	int retries;                /* --retries, default 2 */
	enum remote_mib mib;        /* --mib, default auto */
	struct agent_target target; /* filled by remote_opts_finish() */
};

/* The long options above (terminated), for the plugin's table. */
extern const struct option remote_long_options[];

/* OWN (terminated) followed by remote_long_options, as a new terminated table
 * (malloc'ed) to hand to plugin_options(). Exits UNKNOWN when out of memory. */
struct option *remote_options_merge(const struct option *own);

/* Defaults: no host, v2c, 2 retries, MIB auto. */
void remote_opts_init(struct remote_opts *r);

/* Handle OPT with ARG when it is a remote option: returns 1 when handled, 0
 * when not ours; dies UNKNOWN (naming the option) on a bad value. */
int remote_opt(struct remote_opts *r, const struct plugin_common *c, int opt, const char *arg);

/* True when -H was given: the check reads a remote agent. */
bool remote_opts_active(const struct remote_opts *r);

/* Check the combination, read the secrets and fill r->target, with the
 * per-try timeout derived from c->timeout. Options other than -H without -H
 * are refused. Dies UNKNOWN with one line naming the option. */
void remote_opts_finish(struct remote_opts *r, const struct plugin_common *c);

/* The timeout per try so that RETRIES + 1 tries fit in the whole-check
 * timeout CHECK_TIMEOUT with half a second to spare: max(0.2, (t - 0.5) /
 * (retries + 1)) seconds. */
double remote_try_timeout(double check_timeout, int retries);

/* Close the session A (NULL is fine) and exit for a failed exchange with the
 * agent, with ERR as the message: with c->timeout_state when the agent did
 * not answer (KIND AGENT_TIMEOUT), as a timeout of the whole check would,
 * else UNKNOWN. */
void remote_fail(const struct plugin_common *c, struct agent *a, enum agent_error kind,
                 const char *err) __attribute__((noreturn));

/* Open the session with r->target, or exit through remote_fail(). */
struct agent *remote_connect(const struct remote_opts *r, const struct plugin_common *c);

#endif
