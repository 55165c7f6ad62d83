/*
 * remote_opts.c - parse and check the SNMP options shared by the plugins.
 *
 * Parsing only records what was given; remote_opts_finish() judges the
 * combination (v3 needs a user, authPriv needs both passphrases, ...) once
 * everything is known, resolves the secrets (option, file, environment) and
 * builds the agent target. Every refusal is one UNKNOWN line naming the option.
 */
#include "remote_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ENV_COMMUNITY "TRENDTRAP_SNMP_COMMUNITY"
#define ENV_AUTHPASS  "TRENDTRAP_SNMP_AUTHPASS"
#define ENV_PRIVPASS  "TRENDTRAP_SNMP_PRIVPASS"
#define PASS_MIN      8 /* net-snmp refuses shorter passphrases */

const struct option remote_long_options[] = {
        {"hostname", required_argument, NULL, 'H'},
        {"protocol", required_argument, NULL, 'P'},
        {"community", required_argument, NULL, 'C'},
        {"community-file", required_argument, NULL, OPT_REMOTE_COMMUNITY_FILE},
        {"secname", required_argument, NULL, 'U'},
        {"seclevel", required_argument, NULL, 'L'},
        {"authproto", required_argument, NULL, 'a'},
        {"authpasswd", required_argument, NULL, 'A'},
        {"authpasswd-file", required_argument, NULL, OPT_REMOTE_AUTHPASS_FILE},
        {"privproto", required_argument, NULL, 'x'},
        {"privpasswd", required_argument, NULL, OPT_REMOTE_PRIVPASS},
        {"privpasswd-file", required_argument, NULL, OPT_REMOTE_PRIVPASS_FILE},
        {"retries", required_argument, NULL, OPT_REMOTE_RETRIES},
        {"mib", required_argument, NULL, OPT_REMOTE_MIB},
        {NULL, 0, NULL, 0},
};

struct option *remote_options_merge(const struct option *own)
{
	size_t n_own = 0, n_remote = 0;
	struct option *all;

	while (own[n_own].name != NULL)
		n_own++;
	while (remote_long_options[n_remote].name != NULL)
		n_remote++;
	all = calloc(n_own + n_remote + 1, sizeof(*all));
	if (all == NULL) {
		fputs("UNKNOWN - out of memory\n", stdout);
		exit(STATE_UNKNOWN);
	}
	memcpy(all, own, n_own * sizeof(*all));
	memcpy(all + n_own, remote_long_options, n_remote * sizeof(*all));
	return all;
}

void remote_opts_init(struct remote_opts *r)
{
	memset(r, 0, sizeof(*r));
	r->version = 2;
	r->retries = REMOTE_RETRIES_DEFAULT;
	r->mib = REMOTE_MIB_AUTO;
}

bool remote_opts_active(const struct remote_opts *r)
{
	return r->host != NULL;
}

double remote_try_timeout(double check_timeout, int retries)
{
	double t = (check_timeout - 0.5) / (retries + 1);

	return t < 0.2 ? 0.2 : t;
}

/* Name of option OPT as the user may have typed it, for messages. */
static const char *opt_name(int opt)
{
	switch (opt) {
	case 'H':
		return "-H/--hostname";
	case 'P':
		return "-P/--protocol";
	case 'C':
		return "-C/--community";
	case 'U':
		return "-U/--secname";
	case 'L':
		return "-L/--seclevel";
	case 'a':
		return "-a/--authproto";
	case 'A':
		return "-A/--authpasswd";
	case 'x':
		return "-x/--privproto";
	case 'X':
		return "-X/--privpasswd";
	case OPT_REMOTE_COMMUNITY_FILE:
		return "--community-file";
	case OPT_REMOTE_AUTHPASS_FILE:
		return "--authpasswd-file";
	case OPT_REMOTE_PRIVPASS_FILE:
		return "--privpasswd-file";
	case OPT_REMOTE_RETRIES:
		return "--retries";
	default:
		return "--mib";
	}
}

/* ARG when it is one of NAMES (any case), else die naming OPT. */
static const char *pick_name(const struct plugin_common *c, int opt, const char *arg,
                             const char *const *names, const char *expected)
{
	for (size_t i = 0; names[i] != NULL; i++)
		if (strcasecmp(arg, names[i]) == 0)
			return names[i];
	plugin_die(c, "%s '%s': expected %s", opt_name(opt), arg, expected);
}

static void parse_version(struct remote_opts *r, const struct plugin_common *c, const char *arg)
{
	if (strcmp(arg, "1") == 0)
		r->version = 1;
	else if (strcmp(arg, "2c") == 0 || strcmp(arg, "2") == 0)
		r->version = 2;
	else if (strcmp(arg, "3") == 0)
		r->version = 3;
	else
		plugin_die(c, "-P/--protocol '%s': expected 1, 2c or 3", arg);
}

static void parse_level(struct remote_opts *r, const struct plugin_common *c, const char *arg)
{
	static const char *const levels[] = {"noAuthNoPriv", "authNoPriv", "authPriv", NULL};
	const char *name = pick_name(c, 'L', arg, levels, "noAuthNoPriv, authNoPriv or authPriv");

	for (int i = 0; levels[i] != NULL; i++)
		if (name == levels[i])
			r->level = (enum agent_level)i;
	r->level_given = true;
}

static void parse_retries(struct remote_opts *r, const struct plugin_common *c, const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < 0 || v > 10)
		plugin_die(c, "--retries '%s': expected a whole number from 0 to 10", arg);
	r->retries = (int)v;
}

static void parse_host(struct remote_opts *r, const struct plugin_common *c, const char *arg)
{
	char host[256], err[300];
	unsigned port;
	int v6;

	if (agent_parse_host(arg, host, sizeof(host), &port, &v6, err, sizeof(err)) != 0)
		plugin_die(c, "-H/--hostname: %s", err);
	r->host = arg;
}

/* The security options (-U -L -a -A -x -X and the files). */
static int security_opt(struct remote_opts *r, const struct plugin_common *c, int opt,
                        const char *arg)
{
	static const char *const auths[] = {"SHA", "SHA-256", "SHA-512", "MD5", NULL};
	static const char *const privs[] = {"AES", "AES-256", "DES", NULL};

	switch (opt) {
	case 'U':
		r->user = arg;
		return 1;
	case 'L':
		parse_level(r, c, arg);
		return 1;
	case 'a':
		r->auth_proto = pick_name(c, opt, arg, auths, "SHA, SHA-256, SHA-512 or MD5");
		return 1;
	case 'x':
		r->priv_proto = pick_name(c, opt, arg, privs, "AES, AES-256 or DES");
		return 1;
	case 'A':
		r->auth_pass.arg = arg;
		return 1;
	case 'X':
		r->priv_pass.arg = arg;
		return 1;
	case OPT_REMOTE_AUTHPASS_FILE:
		r->auth_pass.file = arg;
		return 1;
	case OPT_REMOTE_PRIVPASS_FILE:
		r->priv_pass.file = arg;
		return 1;
	}
	return 0;
}

int remote_opt(struct remote_opts *r, const struct plugin_common *c, int opt, const char *arg)
{
	if (opt == OPT_REMOTE_PRIVPASS)
		opt = 'X';
	switch (opt) {
	case 'H':
		parse_host(r, c, arg);
		return 1;
	case 'P':
		parse_version(r, c, arg);
		return 1;
	case 'C':
		r->community.arg = arg;
		return 1;
	case OPT_REMOTE_COMMUNITY_FILE:
		r->community.file = arg;
		return 1;
	case OPT_REMOTE_RETRIES:
		parse_retries(r, c, arg);
		return 1;
	case OPT_REMOTE_MIB:
		if (remote_mib_parse(arg, &r->mib) != 0)
			plugin_die(c, "--mib '%s': expected auto, ucd or host", arg);
		return 1;
	}
	return security_opt(r, c, opt, arg);
}

/* ---- secrets -------------------------------------------------------------- */

/* Resolve secret S from its option OPT, its file option FOPT, or the
 * environment variable ENV. Leaves S unset when none is given. */
static void resolve_secret(const struct plugin_common *c, struct remote_secret *s, int opt,
                           int fopt, const char *env)
{
	const char *e = getenv(env);

	if (s->arg != NULL && s->file != NULL)
		plugin_die(c, "give %s or %s, not both", opt_name(opt), opt_name(fopt));
	if (s->arg != NULL) {
		if (strlen(s->arg) >= sizeof(s->value))
			plugin_die(c, "%s: too long (at most %zu characters)", opt_name(opt),
			           sizeof(s->value) - 1);
		snprintf(s->value, sizeof(s->value), "%s", s->arg);
	} else if (s->file != NULL) {
		plugin_read_secret(c, opt_name(fopt), s->file, s->value, sizeof(s->value));
	} else if (e != NULL && e[0] != '\0') {
		if (strlen(e) >= sizeof(s->value))
			plugin_die(c, "%s: too long (at most %zu characters)", env,
			           sizeof(s->value) - 1);
		snprintf(s->value, sizeof(s->value), "%s", e);
	} else {
		return;
	}
	s->set = true;
}

/* Where secret S came from, for messages. */
static const char *secret_origin(const struct remote_secret *s, int opt, int fopt, const char *env)
{
	if (s->arg != NULL)
		return opt_name(opt);
	if (s->file != NULL)
		return opt_name(fopt);
	return env;
}

static void check_pass(const struct plugin_common *c, const struct remote_secret *s, int opt,
                       int fopt, const char *env)
{
	if (strlen(s->value) < PASS_MIN)
		plugin_die(c,
		           "%s: the passphrase must have at least %d characters (net-snmp requires "
		           "it)",
		           secret_origin(s, opt, fopt, env), PASS_MIN);
}

/* ---- combinations ----------------------------------------------------------- */

static void refuse_if(const struct plugin_common *c, bool given, int opt, const char *why)
{
	if (given)
		plugin_die(c, "%s %s", opt_name(opt), why);
}

static void finish_community(struct remote_opts *r, const struct plugin_common *c)
{
	const char *v3only = "is for SNMPv3 (-P 3)";

	refuse_if(c, r->user != NULL, 'U', v3only);
	refuse_if(c, r->level_given, 'L', v3only);
	refuse_if(c, r->auth_proto != NULL, 'a', v3only);
	refuse_if(c, r->priv_proto != NULL, 'x', v3only);
	refuse_if(c, r->auth_pass.arg != NULL, 'A', v3only);
	refuse_if(c, r->auth_pass.file != NULL, OPT_REMOTE_AUTHPASS_FILE, v3only);
	refuse_if(c, r->priv_pass.arg != NULL, 'X', v3only);
	refuse_if(c, r->priv_pass.file != NULL, OPT_REMOTE_PRIVPASS_FILE, v3only);
	resolve_secret(c, &r->community, 'C', OPT_REMOTE_COMMUNITY_FILE, ENV_COMMUNITY);
	if (!r->community.set) {
		snprintf(r->community.value, sizeof(r->community.value), "public");
		r->community.set = true;
	}
	r->target.community = r->community.value;
}

/* The v3 security level: as given, else what the passphrases allow. */
static void finish_level(struct remote_opts *r, const struct plugin_common *c)
{
	if (!r->level_given)
		r->level = r->priv_pass.set && r->auth_pass.set ? AGENT_AUTH_PRIV
		           : r->auth_pass.set                   ? AGENT_AUTH_NO_PRIV
		                                                : AGENT_NO_AUTH_NO_PRIV;
	if (r->level >= AGENT_AUTH_NO_PRIV && !r->auth_pass.set)
		plugin_die(c,
		           "-L %s needs an authentication passphrase: -A, --authpasswd-file "
		           "or " ENV_AUTHPASS,
		           r->level == AGENT_AUTH_PRIV ? "authPriv" : "authNoPriv");
	if (r->level == AGENT_AUTH_PRIV && !r->priv_pass.set)
		plugin_die(c, "-L authPriv needs a privacy passphrase: -X, --privpasswd-file "
		              "or " ENV_PRIVPASS);
	refuse_if(c, r->level < AGENT_AUTH_PRIV && (r->priv_pass.arg || r->priv_pass.file), 'X',
	          "needs -L authPriv");
	refuse_if(c, r->level < AGENT_AUTH_NO_PRIV && (r->auth_pass.arg || r->auth_pass.file), 'A',
	          "needs -L authNoPriv or authPriv");
	if (r->level >= AGENT_AUTH_NO_PRIV)
		check_pass(c, &r->auth_pass, 'A', OPT_REMOTE_AUTHPASS_FILE, ENV_AUTHPASS);
	if (r->level == AGENT_AUTH_PRIV)
		check_pass(c, &r->priv_pass, 'X', OPT_REMOTE_PRIVPASS_FILE, ENV_PRIVPASS);
}

static void finish_v3(struct remote_opts *r, const struct plugin_common *c)
{
	const char *v12only = "is for SNMPv1/v2c (-P 1 or 2c)";

	refuse_if(c, r->community.arg != NULL, 'C', v12only);
	refuse_if(c, r->community.file != NULL, OPT_REMOTE_COMMUNITY_FILE, v12only);
	if (r->user == NULL || r->user[0] == '\0')
		plugin_die(c, "SNMPv3 (-P 3) needs a user: -U/--secname");
	resolve_secret(c, &r->auth_pass, 'A', OPT_REMOTE_AUTHPASS_FILE, ENV_AUTHPASS);
	resolve_secret(c, &r->priv_pass, 'X', OPT_REMOTE_PRIVPASS_FILE, ENV_PRIVPASS);
	finish_level(r, c);
	r->target.user = r->user;
	r->target.level = r->level;
	r->target.auth_proto = r->auth_proto != NULL ? r->auth_proto : "SHA";
	r->target.priv_proto = r->priv_proto != NULL ? r->priv_proto : "AES";
	r->target.auth_pass = r->auth_pass.set ? r->auth_pass.value : NULL;
	r->target.priv_pass = r->priv_pass.set ? r->priv_pass.value : NULL;
}

/* Without -H, name the first remote option given, if any. */
static void refuse_without_host(const struct remote_opts *r, const struct plugin_common *c)
{
	const char *need = "needs -H/--hostname";

	refuse_if(c, r->version != 2, 'P', need);
	refuse_if(c, r->community.arg || r->community.file, 'C', need);
	refuse_if(c, r->user || r->level_given || r->auth_proto || r->priv_proto, 'U', need);
	refuse_if(c, r->auth_pass.arg || r->auth_pass.file, 'A', need);
	refuse_if(c, r->priv_pass.arg || r->priv_pass.file, 'X', need);
	refuse_if(c, r->retries != REMOTE_RETRIES_DEFAULT, OPT_REMOTE_RETRIES, need);
	refuse_if(c, r->mib != REMOTE_MIB_AUTO, OPT_REMOTE_MIB, need);
}

void remote_opts_finish(struct remote_opts *r, const struct plugin_common *c)
{
	if (r->host == NULL) {
		refuse_without_host(r, c);
		return;
	}
	memset(&r->target, 0, sizeof(r->target));
	r->target.host = r->host;
	r->target.version = r->version;
	r->target.retries = r->retries;
	r->target.timeout = remote_try_timeout(c->timeout, r->retries);
	if (r->version == 3)
		finish_v3(r, c);
	else
		finish_community(r, c);
}

void remote_fail(const struct plugin_common *c, struct agent *a, enum agent_error kind,
                 const char *err)
{
	agent_close(a);
	plugin_exit(c, kind == AGENT_TIMEOUT ? c->timeout_state : STATE_UNKNOWN, "%s", err);
}

struct agent *remote_connect(const struct remote_opts *r, const struct plugin_common *c)
{
	struct agent *a;
	enum agent_error kind;
	char err[512];

	plugin_doing("opening an SNMP session with %s", r->host);
	if (agent_open(&r->target, &a, &kind, err, sizeof(err)) != 0)
		remote_fail(c, NULL, kind, err);
	return a;
}
