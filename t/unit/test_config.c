/*
 * test_config.c - trendtrapd's configuration loader: the shipped example
 * loads; a good file gives exactly the structs it says; each bad fixture gives
 * exactly its "FILE:LINE: message" lines, all of them, at the right lines
 * (comments included, which libconfuse 3.3 alone miscounts); secrets are
 * refused inline and read from files only when no one else can read them.
 * Run from the top of the build tree (t/fixtures, etc/ are relative).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/* ---- helpers ---- */

struct tmp {
	char dir[64];
	char paths[16][128]; /* files written, removed at teardown */
	size_t n;
};

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof *t);

	if (t == NULL)
		return -1;
	strcpy(t->dir, "/tmp/tt-config-XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	size_t i;

	for (i = 0; i < t->n; i++)
		unlink(t->paths[i]);
	rmdir(t->dir);
	free(t);
	return 0;
}

/* Write TEXT to DIR/NAME with MODE (exactly, whatever the umask); its path. */
static const char *write_file(struct tmp *t, const char *name, mode_t mode, const char *text)
{
	char *path = t->paths[t->n++], buf[sizeof t->paths[0]];
	int fd;

	snprintf(buf, sizeof buf, "%s/%s", t->dir, name);
	strcpy(path, buf);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/* A config in T from the printf FMT (its arguments: the temporary directory,
 * as many times as the format uses it, at most 6). */
static const char *write_config(struct tmp *t, const char *fmt)
{
	char text[8192];

	snprintf(text, sizeof text, fmt, t->dir, t->dir, t->dir, t->dir, t->dir, t->dir);
	return write_file(t, "trendtrapd.conf", 0644, text);
}

static struct config *load_ok(const char *path)
{
	struct config_errors errs = {0};
	struct config *c = NULL;

	if (config_load(path, &c, &errs) != 0)
		fail_msg("%s should load; first error: %s", path,
		         errs.count ? errs.v[0].text : "(none)");
	assert_int_equal(errs.count, 0);
	assert_non_null(c);
	return c;
}

/* Loading PATH fails with exactly the N lines EXPECTED, in this order. */
static void assert_errors(const char *path, const char *const *expected, size_t n)
{
	struct config_errors errs = {0};
	struct config *c = (struct config *)1;
	size_t i;

	assert_int_equal(config_load(path, &c, &errs), -1);
	assert_null(c);
	for (i = 0; i < errs.count || i < n; i++) {
		const char *got = i < errs.count ? errs.v[i].text : "(nothing)";
		const char *want = i < n ? expected[i] : "(nothing)";

		if (strcmp(got, want) != 0)
			fail_msg("%s, error %zu:\n  got:  %s\n  want: %s", path, i + 1, got, want);
	}
	config_errors_free(&errs);
}

#define ASSERT_ERRORS(path, ...)                                                                   \
	do {                                                                                       \
		const char *const want_[] = {__VA_ARGS__};                                         \
		assert_errors(path, want_, sizeof want_ / sizeof want_[0]);                        \
	} while (0)

/* Loading PATH fails with the one error ONE. */
static void assert_one_error(const char *path, const char *one)
{
	assert_errors(path, &one, 1);
}

static const struct config_check *find_check(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nchecks; i++)
		if (strcmp(c->checks[i].name, name) == 0)
			return &c->checks[i];
	fail_msg("no check \"%s\"", name);
	return NULL;
}

/* ---- good files ---- */

static void the_shipped_example_loads(void **state)
{
	struct config *c = load_ok("etc/trendtrapd.conf");
	const struct config_check *mem, *disk;

	(void)state;
	assert_string_equal(c->user, "trendtrap");
	assert_string_equal(c->state_dir, "/var/lib/trendtrapd");
	assert_string_equal(c->enterprise_oid, CONFIG_DEFAULT_ENTERPRISE_OID);
	assert_string_equal(c->socket.path, "/run/trendtrapd/trendtrapd.sock");
	assert_int_equal(c->socket.mode, 0660);
	assert_int_equal(c->socket.max_line, 4096);
	assert_int_equal(c->nchecks, 2);
	mem = find_check(c, "memory");
	disk = find_check(c, "disk");
	assert_string_equal(mem->argv[0], "/usr/lib/nagios/plugins/check_mem_trend");
	assert_string_equal(disk->argv[0], "/usr/lib/nagios/plugins/check_disk_trend");
	assert_null(disk->argv[disk->argc]);
	assert_true(mem->interval == 300 && mem->timeout == 30);
	assert_int_equal(mem->policy.sustain_count, 3);
	assert_int_equal(disk->policy.sustain_count, 2);
	assert_true(disk->policy.renotify == 4 * 3600);
	assert_int_equal(c->nchannels, 1);
	assert_string_equal(c->channels[0].name, "log");
	assert_int_equal(c->channels[0].type, CONFIG_CHANNEL_LOG);
	assert_int_equal(c->nroutes, 1);
	assert_int_equal(c->routes[0].states, CONFIG_ROUTE_ALL);
	assert_int_equal(c->routes[0].nchannels, 1);
	assert_ptr_equal(c->routes[0].channels[0], &c->channels[0]);
	config_free(c);
}

static void an_empty_file_is_all_defaults(void **state)
{
	struct tmp *t = *state;
	struct config *c = load_ok(write_file(t, "empty.conf", 0644, "# nothing\n"));

	assert_string_equal(c->user, CONFIG_DEFAULT_USER);
	assert_string_equal(c->state_dir, CONFIG_DEFAULT_STATE_DIR);
	assert_string_equal(c->socket.path, CONFIG_DEFAULT_SOCKET);
	assert_int_equal(c->defaults.sustain_count, 3);
	assert_int_equal(c->defaults.recover_count, 2);
	assert_true(c->defaults.renotify == 4 * 3600);
	assert_true(c->defaults.flap_low == 20 && c->defaults.flap_high == 30);
	assert_true(c->defaults.stale_after == 0);
	assert_int_equal(c->nchecks + c->nchannels + c->nroutes, 0);
	config_free(c);
}

static void the_good_fixture_gives_exactly_its_values(void **state)
{
	struct config *c = load_ok("t/fixtures/trendtrapd-good.conf");
	const struct config_check *disk, *mem;
	const struct config_route *r;

	(void)state;
	assert_string_equal(c->path, "t/fixtures/trendtrapd-good.conf");
	assert_string_equal(c->user, "nagios");
	assert_string_equal(c->enterprise_oid, ".1.3.6.1.4.1.99999");
	assert_int_equal(c->socket.mode, 0600);
	assert_int_equal(c->socket.max_line, 8192);
	/* defaults: durations, M-of-N, percentages, "never" */
	assert_int_equal(c->defaults.sustain_count, 0);
	assert_true(c->defaults.sustain_for == 900);
	assert_int_equal(c->defaults.window_m, 3);
	assert_int_equal(c->defaults.window_n, 5);
	assert_int_equal(c->defaults.recover_count, 1);
	assert_true(c->defaults.renotify == 36 * 3600);
	assert_true(c->defaults.flap_low == 10.5 && c->defaults.flap_high == 40);
	assert_true(c->defaults.stale_after == -1);
	/* a check overrides some, inherits the rest; comments inside its list */
	disk = find_check(c, "disk /var");
	assert_int_equal(disk->argc, 5);
	assert_string_equal(disk->argv[2], "/var");
	assert_string_equal(disk->argv[4], "/etc/trendtrapd/community");
	assert_string_equal(disk->host, "web01");
	assert_true(disk->interval == 60 && disk->timeout == 30);
	assert_true(disk->policy.renotify == 0);
	assert_true(disk->policy.flap_high == 0 && disk->policy.flap_low == 0);
	assert_int_equal(disk->policy.window_n, 5);
	assert_true(disk->policy.sustain_for == 900);
	assert_int_equal(disk->line, 27);
	mem = find_check(c, "mem");
	assert_int_equal(mem->argc, 1);
	assert_string_equal(mem->host, "localhost");
	assert_true(mem->interval == 10 && mem->timeout == 10);
	/* channels and routes, resolved to the channel structs */
	assert_true(c->channels[0].max_age == 7200 && c->channels[1].max_age == 86400);
	assert_int_equal(c->nroutes, 2);
	r = &c->routes[0];
	assert_string_equal(r->match_host, "*");
	assert_string_equal(r->match_service, "disk*");
	assert_int_equal(r->states, CONFIG_ROUTE_CRITICAL | CONFIG_ROUTE_RECOVERY);
	assert_int_equal(r->nchannels, 2); /* audit-log named twice counts once */
	assert_ptr_equal(r->channels[0], config_channel_find(c, "audit-log"));
	assert_ptr_equal(r->channels[1], config_channel_find(c, "log"));
	r = &c->routes[1];
	assert_string_equal(r->match_host, "web??");
	assert_int_equal(r->states, CONFIG_ROUTE_ALL);
	assert_int_equal(r->nchannels, 1);
	assert_ptr_equal(r->channels[0], &c->channels[0]);
	assert_null(config_channel_find(c, "traps"));
	config_free(c);
}

/* ---- bad files: every error, at its line ---- */

static void an_unknown_option_stops_the_parser_at_its_line(void **state)
{
	(void)state;
	assert_one_error("t/fixtures/trendtrapd-bad-unknown.conf",
	                 "t/fixtures/trendtrapd-bad-unknown.conf:8: no such option 'intervall'");
}

static void an_unterminated_string_is_one_error(void **state)
{
	(void)state;
	assert_one_error("t/fixtures/trendtrapd-bad-syntax.conf",
	                 "t/fixtures/trendtrapd-bad-syntax.conf:3: unterminated string");
}

#define P "t/fixtures/trendtrapd-bad-policy.conf:"

static void every_policy_error_is_reported(void **state)
{
	(void)state;
	ASSERT_ERRORS("t/fixtures/trendtrapd-bad-policy.conf",
	              P "3: sustain_count must not be negative (-1)",
	              P "4: sustain_for: unknown unit 'x' in duration '4x'; use w, d, h, m or s",
	              P "6: window_m (5) is more than window_n (3)",
	              P "7: recover_count must be at least 1",
	              P "8: renotify: negative duration '-2h'",
	              P "10: flap_low (30) must be below flap_high (20; 0 turns detection off)",
	              P "11: stale_after: expected a number at 'soon' in duration 'soon'",
	              P "17: flap_low: \"150\" is not a percentage from 0 to 100",
	              P "18: sustain_count: \"three\" is not a whole number",
	              P "19: window_n: 65 is more than 64");
}

#undef P
#define P "t/fixtures/trendtrapd-bad-checks.conf:"

static void every_check_error_is_reported(void **state)
{
	(void)state;
	ASSERT_ERRORS(
	        "t/fixtures/trendtrapd-bad-checks.conf", P "2: check \"nocommand\" has no command",
	        P "7: command: \"check_disk_trend\" is not an absolute path (there is no search in "
	          "$PATH)",
	        P "8: interval must be more than 0",
	        P "13: command: -C puts a secret where ps shows it: use --community-file",
	        P "14: command: --authpasswd=secret puts a secret where ps shows it: use "
	          "--authpasswd-file",
	        P "16: timeout (2m) is longer than interval (1m)",
	        P "17: host \"web01;evil\" has a ';'",
	        P "24: duplicate check \"fine\" (first at line 20)",
	        P "27: host given twice (first at line 26)",
	        P "31: '*' outside quotes is dropped by the parser: quote the value");
}

#undef P
#define P "t/fixtures/trendtrapd-bad-channels.conf:"
#define INLINE                                                                                     \
	": secrets are not written in the config: put it alone in a file (chmod 600) "             \
	"and name that with "

static void every_channel_error_is_reported(void **state)
{
	(void)state;
	ASSERT_ERRORS(
	        "t/fixtures/trendtrapd-bad-channels.conf",
	        P "2: channel \"notype\" needs a type: snmp, mail, sms or log",
	        P "7: type \"pigeon\" is not snmp, mail, sms or log",
	        P "10: a version 2c channel needs community_file",
	        P "12: sink \"tcp:127.0.0.1:162\" is not udp:HOST:PORT or udp6:[ADDR]:PORT",
	        P "12: sink \"udp:host\" is not udp:HOST:PORT or udp6:[ADDR]:PORT",
	        P "12: sink \"udp6:[::1]:70000\" is not udp:HOST:PORT or udp6:[ADDR]:PORT",
	        P "13: community" INLINE "community_file", P "14: user is for version 3",
	        P "17: a version 3 channel (authPriv) needs user",
	        P "17: a version 3 channel (authPriv) needs auth_pass_file",
	        P "17: a version 3 channel (authPriv) needs priv_pass_file",
	        P "17: a version 3 channel sending traps needs engine_id (informs do not)",
	        P "21: auth_proto \"MD5\": use SHA, SHA-256 or SHA-512",
	        P "22: auth_pass" INLINE "auth_pass_file", P "28: version \"1\": use 2c or 3",
	        P "29: inform: \"maybe\" is not true or false",
	        P "34: url \"http://mail.example.com\" does not start with smtp:// or "
	          "smtps:// and a host",
	        P "35: from: \"not an address\" is not an address",
	        P "36: to: \"ops\" is not an address", P "37: password" INLINE "password_file",
	        P "38: sink does not apply to a mail channel",
	        P "39: user and password_file (or password_env) go together (SMTP AUTH)",
	        P "42: a twilio channel needs user",
	        P "42: a twilio channel needs token_file or token_env",
	        P "42: a twilio channel needs from",
	        P "45: to: \"015112345678\" is not a number such as +4930123456",
	        P "46: token" INLINE "token_file",
	        P "50: duplicate channel \"ok\" (first at line 49)",
	        P "52: channel \"bad name\": a name has letters, digits, '.', '_' and '-' only");
}

#undef P
#define P "t/fixtures/trendtrapd-bad-global.conf:"

static void every_global_socket_and_route_error_is_reported(void **state)
{
	(void)state;
	ASSERT_ERRORS(
	        "t/fixtures/trendtrapd-bad-global.conf",
	        P "2: user \"-root\" is not a user name (letters, digits, '.', '_', '-')",
	        P "3: state_dir: \"var/lib/trendtrapd\" is not an absolute path",
	        P "4: enterprise_oid \".1.3.6.1.4.1.XXXXX\" is not a numeric OID such as "
	          ".1.3.6.1.4.1.8072",
	        P "7: path is 120 bytes long: a socket's holds at most 107",
	        P "8: mode 0666 lets any local user submit results: give a group access (0660)",
	        P "9: max_line must be at least 256", P "11: socket given twice (first at line 6)",
	        P "19: states: \"DOWN\" is not WARNING, CRITICAL, UNKNOWN, RECOVERY, FLAPPING or "
	          "STALE",
	        P "20: channels: no channel is named \"traps\"", P "22: a route needs channels",
	        P "23: match_host is empty");
}

#undef P

static void a_missing_file_is_one_error(void **state)
{
	(void)state;
	assert_one_error("t/fixtures/no-such.conf",
	                 "t/fixtures/no-such.conf: No such file or directory");
}

/* Escalation is remembered for the first CONFIG_ESCALATING_ROUTES routes
 * only: `after` further down is refused. */
static void after_beyond_the_escalating_routes_is_refused(void **state)
{
	struct tmp *t = *state;
	char text[16384] = "channel \"ops\" { type = \"log\" }\n", want[256];
	const char *path;
	size_t len = strlen(text);

	for (int i = 0; i < CONFIG_ESCALATING_ROUTES; i++)
		len += (size_t)snprintf(text + len, sizeof text - len,
		                        "route { after = \"1h\"  channels = {\"ops\"} }\n");
	path = write_file(t, "routes.conf", 0644, text);
	config_free(load_ok(path));
	snprintf(text + len, sizeof text - len,
	         "route { channels = {\"ops\"}\n  after = \"1h\" }\n");
	path = write_file(t, "routes.conf", 0644, text);
	snprintf(want, sizeof want,
	         "%s:%d: after: only the first 64 routes can escalate (this is route 65)", path,
	         CONFIG_ESCALATING_ROUTES + 3);
	assert_one_error(path, want);
}

static void a_config_anyone_may_change_is_refused(void **state)
{
	struct tmp *t = *state;
	const char *path = write_file(t, "open.conf", 0646, "user = \"trendtrap\"\n");
	char want[256];

	snprintf(want, sizeof want, "%s: anyone may change it, and it runs commands: chmod o-w it",
	         path);
	assert_one_error(path, want);
}

/* Errors are appended to what ERRS already holds; the loader keeps nothing
 * between calls, so the same file gives the same result twice. */
static void loading_appends_and_has_no_memory(void **state)
{
	struct config_errors errs = {0};
	struct config *c;

	(void)state;
	assert_int_equal(config_load("t/fixtures/trendtrapd-bad-unknown.conf", &c, &errs), -1);
	assert_int_equal(config_load("t/fixtures/trendtrapd-bad-syntax.conf", &c, &errs), -1);
	assert_int_equal(errs.count, 2);
	assert_string_equal(errs.v[0].text,
	                    "t/fixtures/trendtrapd-bad-unknown.conf:8: no such option 'intervall'");
	assert_int_equal(errs.v[1].line, 3);
	config_errors_free(&errs);
	assert_int_equal(errs.count, 0);
	c = load_ok("t/fixtures/trendtrapd-good.conf");
	config_free(c);
	c = load_ok("t/fixtures/trendtrapd-good.conf");
	assert_int_equal(c->nchecks, 2);
	config_free(c);
}

/* ---- secrets ---- */

static const char v2c_conf[] = "channel \"traps\" {\n"
                               "\ttype = \"snmp\"\n"
                               "\tsink = {\"udp:127.0.0.1:162\", \"udp6:[::1]:10162\"}\n"
                               "\tcommunity_file = \"%s/community\"\n"
                               "}\n";

static void a_secret_file_only_its_owner_reads_is_read(void **state)
{
	struct tmp *t = *state;
	struct config *c;
	const struct config_snmp *s;

	write_file(t, "community", 0600, "s3cret\r\nsecond line\n");
	c = load_ok(write_config(t, v2c_conf));
	s = &c->channels[0].snmp;
	assert_int_equal(c->channels[0].type, CONFIG_CHANNEL_SNMP);
	assert_int_equal(s->version, 2);
	assert_false(s->inform);
	assert_string_equal(s->community, "s3cret");
	assert_int_equal(s->nsinks, 2);
	assert_string_equal(s->sinks[0].host, "127.0.0.1");
	assert_int_equal(s->sinks[0].port, 162);
	assert_false(s->sinks[0].ipv6);
	assert_string_equal(s->sinks[1].spec, "udp6:[::1]:10162");
	assert_string_equal(s->sinks[1].host, "::1");
	assert_int_equal(s->sinks[1].port, 10162);
	assert_true(s->sinks[1].ipv6);
	config_free(c);
}

/* The secret file with MODE (and TEXT) is refused with "... WHY". */
static void assert_secret_refused(struct tmp *t, mode_t mode, const char *text, const char *why)
{
	const char *path;
	char want[512];

	write_file(t, "community", mode, text);
	path = write_config(t, v2c_conf);
	snprintf(want, sizeof want, "%s:4: community_file %s/community%s%s", path, t->dir,
	         why[0] == ':' ? "" : " ", why);
	assert_one_error(path, want);
}

static void a_secret_file_others_may_read_is_refused(void **state)
{
	assert_secret_refused(*state, 0644, "public\n", "is readable by others: chmod 600 it");
}

static void a_secret_file_the_group_may_read_is_refused(void **state)
{
	assert_secret_refused(*state, 0640, "public\n", "is readable by others: chmod 600 it");
}

static void a_secret_file_others_may_write_is_refused(void **state)
{
	assert_secret_refused(*state, 0620, "public\n", "is writable by others: chmod 600 it");
}

static void an_empty_secret_file_is_refused(void **state)
{
	assert_secret_refused(*state, 0600, "\nsecond\n", ": its first line is empty");
}

static void a_missing_secret_file_is_refused(void **state)
{
	struct tmp *t = *state;
	const char *path = write_config(t, v2c_conf);
	char want[512];

	snprintf(want, sizeof want, "%s:4: community_file %s/community: No such file or directory",
	         path, t->dir);
	assert_one_error(path, want);
}

static void a_secret_written_inline_is_refused(void **state)
{
	struct tmp *t = *state;
	const char *path;
	char want[512];

	write_file(t, "community", 0600, "s3cret\n");
	path = write_config(t, "channel \"traps\" {\n"
	                       "\ttype = \"snmp\"\n"
	                       "\tsink = \"udp:127.0.0.1:162\"\n"
	                       "\tcommunity_file = \"%s/community\"\n"
	                       "\tcommunity = \"public\"\n"
	                       "}\n");
	snprintf(want, sizeof want,
	         "%s:5: community: secrets are not written in the config: put it alone in a file "
	         "(chmod 600) and name that with community_file",
	         path);
	assert_one_error(path, want);
}

static void a_v3_channel_reads_both_passphrases(void **state)
{
	struct tmp *t = *state;
	struct config *c;
	const struct config_snmp *s;
	static const unsigned char engine[] = {0x80, 0x00, 0x1f, 0x88, 0x80, 0x01, 0x02};

	write_file(t, "auth", 0600, "authpass1\n");
	write_file(t, "priv", 0400, "privpass1");
	c = load_ok(write_config(t, "channel \"v3\" {\n"
	                            "  type = \"snmp\"  sink = \"udp:192.0.2.1:162\"  version = 3\n"
	                            "  user = \"trendtrap\"  auth_proto = \"sha-256\"\n"
	                            "  auth_pass_file = \"%s/auth\"  priv_pass_file = \"%s/priv\"\n"
	                            "  engine_id = \"0x80001F88800102\"\n"
	                            "}\n"
	                            "channel \"v3-informs\" {\n"
	                            "  type = snmp  sink = \"udp:192.0.2.1:162\"  version = 3\n"
	                            "  inform = yes  user = u\n"
	                            "  auth_pass_file = \"%s/auth\"  priv_pass_file = \"%s/priv\"\n"
	                            "}\n"));
	s = &c->channels[0].snmp;
	assert_int_equal(s->version, 3);
	assert_string_equal(s->user, "trendtrap");
	assert_string_equal(s->auth_proto, "SHA-256");
	assert_string_equal(s->priv_proto, "AES");
	assert_string_equal(s->auth_pass, "authpass1");
	assert_string_equal(s->priv_pass, "privpass1");
	assert_int_equal(s->engine_id_len, sizeof engine);
	assert_memory_equal(s->engine_id, engine, sizeof engine);
	s = &c->channels[1].snmp;
	assert_true(s->inform);
	assert_int_equal(s->engine_id_len, 0);
	config_free(c);
}

static void mail_and_sms_channels_read_their_secrets(void **state)
{
	struct tmp *t = *state;
	struct config *c;
	const struct config_channel *mail, *sms;

	write_file(t, "smtp", 0600, "mailpass\n");
	write_file(t, "token", 0600, "tok\n");
	c = load_ok(write_config(
	        t, "channel \"mail\" {\n"
	           "  type = mail  url = \"smtps://mail.example.com:465\"\n"
	           "  from = \"tt@example.com\"  to = {\"a@example.com\", \"b@x.org\"}\n"
	           "  user = tt  password_file = \"%s/smtp\"\n"
	           "}\n"
	           "channel \"sms\" {\n"
	           "  type = sms  provider = twilio  user = AC123\n"
	           "  token_file = \"%s/token\"  from = \"+15005550006\"\n"
	           "  to = {\"+4915112345678\"}\n"
	           "}\n"
	           "route { states = CRITICAL  channels = {mail, sms} }\n"));
	mail = config_channel_find(c, "mail");
	sms = config_channel_find(c, "sms");
	assert_int_equal(mail->type, CONFIG_CHANNEL_MAIL);
	assert_string_equal(mail->mail.url, "smtps://mail.example.com:465");
	assert_int_equal(mail->mail.nto, 2);
	assert_string_equal(mail->mail.to[1], "b@x.org");
	assert_string_equal(mail->mail.password, "mailpass");
	assert_int_equal(sms->type, CONFIG_CHANNEL_SMS);
	assert_string_equal(sms->sms.provider, "twilio");
	assert_null(sms->sms.url);
	assert_string_equal(sms->sms.token, "tok");
	assert_string_equal(sms->sms.to[0], "+4915112345678");
	assert_int_equal(c->routes[0].states, CONFIG_ROUTE_CRITICAL);
	assert_ptr_equal(c->routes[0].channels[1], sms);
	config_free(c);
}

/* ---- mail and sms: delivery options (issue 6) ---- */

static void a_mail_channel_has_these_defaults(void **state)
{
	struct tmp *t = *state;
	struct config *c =
	        load_ok(write_config(t, "channel \"m\" {\n"
	                                "  type = mail  url = \"smtp://mail.example.com\"\n"
	                                "  from = \"tt@example.com\"  to = \"o@example.com\"\n"
	                                "}\n"
	                                "route { channels = m }\n"));
	const struct config_channel *ch = &c->channels[0];

	assert_true(ch->mail.starttls);
	assert_null(ch->mail.ca_file);
	assert_null(ch->mail.user);
	assert_null(ch->mail.password);
	assert_true(ch->mail.connect_timeout == 10 && ch->mail.timeout == 60);
	assert_int_equal(ch->rate_count, 0);
	assert_true(ch->rate_period == 0 && ch->group_wait == 0);
	assert_true(c->routes[0].after == 0);
	config_free(c);
}

static void a_mail_channel_takes_every_option(void **state)
{
	struct tmp *t = *state;
	const struct config_channel *relay, *auth, *file;
	struct config *c;
	char ca[256];

	setenv("TT_TEST_SMTP_PASS", "envpass", 1);
	write_file(t, "ca.pem", 0644, "-----BEGIN CERTIFICATE-----\n");
	write_file(t, "smtp", 0600, "filepass\n");
	c = load_ok(write_config(
	        t,
	        "channel \"relay\" {\n"
	        "  type = mail  url = \"smtp://127.0.0.1:25\"  tls = \"NONE\"\n"
	        "  from = \"tt@example.com\"  to = {\"ops@example.com\"}\n"
	        "  rate_limit = \"10/1h\"  group_wait = \"30s\"\n"
	        "}\n"
	        "channel \"auth\" {\n"
	        "  type = mail  url = \"smtps://mail.example.com\"  tls = starttls\n"
	        "  from = \"tt@example.com\"  to = {\"ops@example.com\"}\n"
	        "  user = tt  password_env = \"TT_TEST_SMTP_PASS\"\n"
	        "  ca_file = \"%s/ca.pem\"  connect_timeout = \"5s\"  timeout = \"5s\"\n"
	        "  rate_limit = \"100000/1d12h\"  group_wait = \"1h\"\n"
	        "}\n"
	        "channel \"file\" { type = mail  url = \"smtp://m.example.com\"  from = \"a@b.c\"\n"
	        "  to = \"d@e.f\"  user = u  password_file = \"%s/smtp\"  rate_limit = \"1/1\"\n"
	        "  group_wait = 0 }\n"
	        "route { channels = {relay}  after = \"15m\" }\n"
	        "route { channels = {auth}  after = \"1h30m\" }\n"
	        "route { channels = {file}  after = 0 }\n"));
	relay = config_channel_find(c, "relay");
	auth = config_channel_find(c, "auth");
	file = config_channel_find(c, "file");
	assert_false(relay->mail.starttls); /* plaintext to a local relay */
	assert_int_equal(relay->rate_count, 10);
	assert_true(relay->rate_period == 3600 && relay->group_wait == 30);
	assert_true(auth->mail.starttls); /* smtps://: TLS implicit, still required */
	assert_string_equal(auth->mail.user, "tt");
	assert_string_equal(auth->mail.password, "envpass");
	snprintf(ca, sizeof ca, "%s/ca.pem", t->dir);
	assert_string_equal(auth->mail.ca_file, ca);
	assert_true(auth->mail.connect_timeout == 5 && auth->mail.timeout == 5);
	assert_int_equal(auth->rate_count, 100000);
	assert_true(auth->rate_period == 36 * 3600 && auth->group_wait == 3600);
	assert_string_equal(file->mail.password, "filepass");
	assert_int_equal(file->rate_count, 1);
	assert_true(file->rate_period == 1 && file->group_wait == 0);
	assert_true(c->routes[0].after == 900);
	assert_true(c->routes[1].after == 5400);
	assert_true(c->routes[2].after == 0);
	config_free(c);
}

static void an_sms_channel_takes_every_option(void **state)
{
	struct tmp *t = *state;
	const struct config_sms *gw, *form, *body, *tw;
	struct config *c;

	setenv("TT_TEST_SMS_TOKEN", "envtoken", 1);
	write_file(t, "ca.pem", 0644, "-----BEGIN CERTIFICATE-----\n");
	write_file(t, "token", 0600, "filetoken\n");
	c = load_ok(write_config(
	        t,
	        "channel \"gw\" {\n"
	        "  type = sms  provider = http  url = \"https://sms.example.com/send\"\n"
	        "  to = \"+4915112345678\"\n"
	        "}\n"
	        "channel \"gw-form\" {\n"
	        "  type = sms  provider = HTTP  url = \"http://127.0.0.1:8080/sms\"\n"
	        "  to = {\"+4915112345678\", \"+15005550006\"}  from = \"+15005550006\"\n"
	        "  method = put  content_type = \"application/x-www-form-urlencoded\"\n"
	        "  headers = {\"Authorization: Bearer {token}\", \"X-Api-Version:2\",\n"
	        "             \"X-Twice: {token}/{token}\", \"X-Json: {}\"}\n"
	        "  token_env = \"TT_TEST_SMS_TOKEN\"  max_segments = 10\n"
	        "  ca_file = \"%s/ca.pem\"  connect_timeout = \"3s\"  timeout = \"20s\"\n"
	        "  rate_limit = \"5/10m\"  group_wait = \"2m\"\n"
	        "}\n"
	        "channel \"gw-body\" {\n"
	        "  type = sms  provider = http  url = \"https://sms.example.com\"\n"
	        "  from = \"+15005550006\"  to = \"+4915112345678\"  token_file = \"%s/token\"\n"
	        "  body = '{\"d\":\"{to}\",\"s\":\"{from}\",\"m\":\"{text}\",\"h\":\"{host}\",'\n"
	        "  max_segments = 3\n"
	        "}\n"
	        "channel \"tw\" {\n"
	        "  type = sms  provider = twilio  user = AC1  token_env = \"TT_TEST_SMS_TOKEN\"\n"
	        "  from = \"+15005550006\"  to = \"+4915112345678\"\n"
	        "}\n"));
	gw = &config_channel_find(c, "gw")->sms;
	assert_string_equal(gw->method, "POST");
	assert_string_equal(gw->content_type, "application/json");
	assert_string_equal(gw->body, "{\"to\":\"{to}\",\"text\":\"{text}\"}");
	assert_int_equal(gw->nheaders, 0);
	assert_null(gw->token);
	assert_null(gw->ca_file);
	assert_int_equal(gw->max_segments, 1);
	assert_true(gw->connect_timeout == 10 && gw->timeout == 60);
	form = &config_channel_find(c, "gw-form")->sms;
	assert_string_equal(form->provider, "http");
	assert_string_equal(form->method, "PUT");
	assert_string_equal(form->content_type, "application/x-www-form-urlencoded");
	assert_string_equal(form->body, "to={to}&text={text}");
	assert_int_equal(form->nheaders, 4);
	assert_string_equal(form->headers[0], "Authorization: Bearer {token}");
	assert_string_equal(form->headers[3], "X-Json: {}");
	assert_string_equal(form->token, "envtoken");
	assert_int_equal(form->max_segments, 10);
	assert_non_null(form->ca_file);
	assert_true(form->connect_timeout == 3 && form->timeout == 20);
	assert_int_equal(config_channel_find(c, "gw-form")->rate_count, 5);
	assert_true(config_channel_find(c, "gw-form")->rate_period == 600);
	assert_true(config_channel_find(c, "gw-form")->group_wait == 120);
	body = &config_channel_find(c, "gw-body")->sms;
	assert_string_equal(body->body,
	                    "{\"d\":\"{to}\",\"s\":\"{from}\",\"m\":\"{text}\",\"h\":\"{host}\",");
	assert_string_equal(body->token, "filetoken");
	assert_int_equal(body->max_segments, 3);
	tw = &config_channel_find(c, "tw")->sms;
	assert_string_equal(tw->token, "envtoken");
	assert_null(tw->method);
	assert_null(tw->content_type);
	assert_null(tw->body);
	assert_int_equal(tw->nheaders, 0);
	assert_int_equal(tw->max_segments, 1);
	config_free(c);
}

static void a_body_may_use_every_placeholder(void **state)
{
	struct tmp *t = *state;
	struct config *c = load_ok(write_config(
	        t, "channel \"gw\" {\n"
	           "  type = sms  provider = http  url = \"https://sms.example.com\"\n"
	           "  from = \"+15005550006\"  to = \"+4915112345678\"\n"
	           "  content_type = \"application/x-www-form-urlencoded\"\n"
	           "  body = \"to={to}&from={from}&text={text}&h={host}&s={service}&st={state}"
	           "&k={kind}&id={id}&x={}&y={ to}\"\n"
	           "}\n"
	           "channel \"few\" {\n"
	           "  type = sms  provider = http  url = \"https://gw/send\"\n"
	           "  to = \"+4915112345678\"  body = '{\"text\":\"{text}\",\"n\":\"{to}\"}'\n"
	           "}\n"));

	assert_string_equal(c->channels[0].sms.body,
	                    "to={to}&from={from}&text={text}&h={host}&s={service}&st={state}"
	                    "&k={kind}&id={id}&x={}&y={ to}");
	assert_string_equal(c->channels[1].sms.body, "{\"text\":\"{text}\",\"n\":\"{to}\"}");
	config_free(c);
}

/* Loading PATH fails with exactly the N lines EXPECTED, each prefixed with
 * "PATH:" and with every "@@" replaced by the temporary directory of T. */
static void assert_errors_in(struct tmp *t, const char *path, const char *const *expected, size_t n)
{
	char(*full)[512] = calloc(n, sizeof *full);
	const char **want = calloc(n, sizeof *want);
	size_t i, j, o;

	assert_non_null(full);
	assert_non_null(want);
	for (i = 0; i < n; i++) {
		o = (size_t)snprintf(full[i], sizeof full[i], "%s:", path);
		for (j = 0; expected[i][j] != '\0' && o < sizeof full[i] - 1; j++) {
			if (strncmp(expected[i] + j, "@@", 2) == 0) {
				o += (size_t)snprintf(full[i] + o, sizeof full[i] - o, "%s",
				                      t->dir);
				j++;
			} else {
				full[i][o++] = expected[i][j];
			}
		}
		full[i][o < sizeof full[i] ? o : sizeof full[i] - 1] = '\0';
		want[i] = full[i];
	}
	assert_errors(path, want, n);
	free(want);
	free(full);
}

#define ASSERT_ERRORS_IN(t, path, ...)                                                             \
	do {                                                                                       \
		const char *const want_[] = {__VA_ARGS__};                                         \
		assert_errors_in(t, path, want_, sizeof want_ / sizeof want_[0]);                  \
	} while (0)

static void every_mail_option_error_is_reported(void **state)
{
	struct tmp *t = *state;
	const char *path;

	setenv("TT_TEST_SMTP_PASS", "envpass", 1);
	setenv("TT_TEST_EMPTY", "", 1);
	unsetenv("TT_TEST_UNSET");
	write_file(t, "open-ca.pem", 0664, "-----BEGIN CERTIFICATE-----\n");
	path = write_config(
	        t, "channel \"m1\" {\n"                                             /* 1 */
	           "  type = mail  url = \"smtps://mx\"  from = \"a@b.c\"\n"        /* 2 */
	           "  to = \"d@e.f\"  tls = \"none\"\n"                             /* 3 */
	           "  user = \"u\"\n"                                               /* 4 */
	           "  password_file = \"%s/smtp\"\n"                                /* 5 */
	           "  password_env = \"TT_TEST_SMTP_PASS\"\n"                       /* 6 */
	           "}\n"                                                            /* 7 */
	           "channel \"m2\" {\n"                                             /* 8 */
	           "  type = mail  url = \"smtp://mx\"  from = \"a@b.c\"\n"         /* 9 */
	           "  to = \"d@e.f\"  tls = \"ssl\"\n"                              /* 10 */
	           "  password_env = \"1BAD\"\n"                                    /* 11 */
	           "  ca_file = \"ca.pem\"\n"                                       /* 12 */
	           "  connect_timeout = \"0\"\n"                                    /* 13 */
	           "  timeout = \"soon\"\n"                                         /* 14 */
	           "}\n"                                                            /* 15 */
	           "channel \"m3\" {\n"                                             /* 16 */
	           "  type = mail  url = \"smtp://mx\"  from = \"a@b.c\"\n"         /* 17 */
	           "  to = \"d@e.f\"  user = u  password_env = \"TT_TEST_UNSET\"\n" /* 18 */
	           "  ca_file = \"%s/missing.pem\"\n"                               /* 19 */
	           "  timeout = \"5s\"\n"                                           /* 20 */
	           "}\n"                                                            /* 21 */
	           "channel \"m4\" {\n"                                             /* 22 */
	           "  type = mail  url = \"smtp://mx\"  from = \"a@b.c\"\n"         /* 23 */
	           "  to = \"d@e.f\"  user = u\n"                                   /* 24 */
	           "  password_env = \"TT_TEST_EMPTY\"\n"                           /* 25 */
	           "  ca_file = \"%s\"\n"                                           /* 26 */
	           "  connect_timeout = \"2m\"\n"                                   /* 27 */
	           "}\n"                                                            /* 28 */
	           "channel \"m5\" {\n"                                             /* 29 */
	           "  type = mail  url = \"smtp://mx\"  from = \"a@b.c\"\n"         /* 30 */
	           "  to = \"d@e.f\"  ca_file = \"%s/open-ca.pem\"\n"               /* 31 */
	           "  token_env = \"X\"  method = \"POST\"  max_segments = 2\n"     /* 32 */
	           "}\n");
	ASSERT_ERRORS_IN(
	        t, path, "3: tls = \"none\" contradicts smtps:// (TLS from the start): use smtp://",
	        "3: tls = \"none\" would send the SMTP AUTH password in clear: use TLS, or drop "
	        "user and the password",
	        "6: password_file and password_env: give only one",
	        "10: tls \"ssl\": use starttls or none",
	        "11: user and password_file (or password_env) go together (SMTP AUTH)",
	        "11: password_env: \"1BAD\" is not an environment variable name",
	        "12: ca_file: \"ca.pem\" is not an absolute path",
	        "13: connect_timeout must be more than 0",
	        "14: timeout: expected a number at 'soon' in duration 'soon'",
	        "18: password_env: the environment variable TT_TEST_UNSET is not set",
	        "19: ca_file @@/missing.pem: No such file or directory",
	        "20: timeout (5s) is shorter than connect_timeout (10s)",
	        "25: password_env: the environment variable TT_TEST_EMPTY is empty",
	        "26: ca_file @@ is not a regular file",
	        "27: timeout (1m) is shorter than connect_timeout (2m)",
	        "31: ca_file @@/open-ca.pem is writable by others, who could add a CA: chmod go-w "
	        "it",
	        "32: token_env does not apply to a mail channel",
	        "32: method does not apply to a mail channel",
	        "32: max_segments does not apply to a mail channel");
}

static void every_sms_option_error_is_reported(void **state)
{
	struct tmp *t = *state;
	const char *path;

	setenv("TT_TEST_SMS_TOKEN", "envtoken", 1);
	unsetenv("TT_TEST_UNSET");
	write_file(t, "bad-token", 0600, "ab\001cd\n");
	path = write_config(
	        t,
	        "channel \"s1\" {\n"                                                      /* 1 */
	        "  type = sms  provider = twilio  user = AC1  from = \"+15005550006\"\n"  /* 2 */
	        "  to = \"+4915112345678\"  method = \"PUT\"\n"                           /* 3 */
	        "  headers = {\"X-A: b\"}\n"                                              /* 4 */
	        "  content_type = \"application/json\"\n"                                 /* 5 */
	        "  body = \"{to}{text}\"\n"                                               /* 6 */
	        "}\n"                                                                     /* 7 */
	        "channel \"s2\" {\n"                                                      /* 8 */
	        "  type = sms  provider = twilio  user = AC1  from = \"+15005550006\"\n"  /* 9 */
	        "  to = \"+4915112345678\"  token_file = \"%s/token\"\n"                  /* 10 */
	        "  token_env = \"TT_TEST_SMS_TOKEN\"\n"                                   /* 11 */
	        "}\n"                                                                     /* 12 */
	        "channel \"s3\" {\n"                                                      /* 13 */
	        "  type = sms  provider = http  url = \"https://gw\"\n"                   /* 14 */
	        "  to = \"+4915112345678\"  method = \"GET\"\n"                           /* 15 */
	        "  headers = {\"NoColon\", \"Bad Name: x\", \"X-Empty:  \",\n"            /* 16 */
	        "             \"content-type: text/plain\", \"Content-Length: 5\",\n"     /* 17 */
	        "             \"X-Auth: Bearer {token}\", \"X-To: {to}\",\n"              /* 18 */
	        "             \"X-Split: a\\r\\nX-Evil: b\"}\n"                           /* 19 */
	        "  content_type = \"text/plain\"\n"                                       /* 20 */
	        "  max_segments = 0\n"                                                    /* 21 */
	        "}\n"                                                                     /* 22 */
	        "channel \"s4\" {\n"                                                      /* 23 */
	        "  type = sms  provider = http  url = \"https://gw\"\n"                   /* 24 */
	        "  to = \"+4915112345678\"  token_env = \"TT_TEST_SMS_TOKEN\"\n"          /* 25 */
	        "  body = '{\"to\":\"{to}\",\"msg\":\"{message}\"}'\n"                    /* 26 */
	        "  max_segments = 11\n"                                                   /* 27 */
	        "}\n"                                                                     /* 28 */
	        "channel \"s5\" {\n"                                                      /* 29 */
	        "  type = sms  provider = http  url = \"https://gw\"\n"                   /* 30 */
	        "  to = \"+4915112345678\"  body = \"to={to}&text={text}&from={from}\"\n" /* 31 */
	        "  max_segments = \"two\"\n"                                              /* 32 */
	        "  token_file = \"%s/bad-token\"\n"                                       /* 33 */
	        "}\n"                                                                     /* 34 */
	        "channel \"s6\" {\n"                                                      /* 35 */
	        "  type = sms  provider = http  url = \"https://gw\"\n"                   /* 36 */
	        "  to = \"+4915112345678\"  body = \"\"\n"                                /* 37 */
	        "  token_env = \"TT_TEST_UNSET\"\n"                                       /* 38 */
	        "}\n"                                                                     /* 39 */
	        "channel \"s7\" {\n"                                                      /* 40 */
	        "  type = sms  provider = http  url = \"https://gw\"\n"                   /* 41 */
	        "  to = \"+4915112345678\"  body = \"{text}\\t\"  tls = none\n"           /* 42 */
	        "}\n"                                                                     /* 43 */
	        "channel \"s8\" {\n"                                                      /* 44 */
	        "  type = sms  provider = http  url = \"https://gw/send\"\n"              /* 45 */
	        "  to = \"+4915112345678\"  body = \"{text}\"\n"                          /* 46 */
	        "}\n");
	ASSERT_ERRORS_IN(
	        t, path, "1: a twilio channel needs token_file or token_env",
	        "3: method is for provider \"http\"", "4: headers is for provider \"http\"",
	        "5: content_type is for provider \"http\"", "6: body is for provider \"http\"",
	        "11: token_file and token_env: give only one",
	        "15: method \"GET\": use POST or PUT",
	        "16: headers: \"NoColon\" is not \"Name: value\"",
	        "16: headers: \"Bad Name: x\" is not \"Name: value\"",
	        "16: headers: \"X-Empty:  \" is not \"Name: value\"",
	        "17: headers: give the Content-Type with content_type",
	        "17: headers: Content-Length is the daemon's to set",
	        "18: headers: {token} needs token_file or token_env",
	        "18: headers: unknown placeholder {to}: a header may only use {token}",
	        "19: headers: control characters are not allowed",
	        "20: content_type \"text/plain\": use application/json or "
	        "application/x-www-form-urlencoded",
	        "21: max_segments must be at least 1",
	        "26: body: unknown placeholder {message}: use {to} {from} {text} {host} "
	        "{service} {state} {kind} {id}",
	        "26: body has no {text}: the message would be empty",
	        "27: max_segments: 11 is more than 10",
	        "31: body uses {from}, but the channel has no from",
	        "32: max_segments: \"two\" is not a whole number",
	        "33: token_file @@/bad-token: the token has control characters",
	        "37: body is empty",
	        "38: token_env: the environment variable TT_TEST_UNSET is not set",
	        "42: body: control characters are not allowed",
	        "42: tls does not apply to a sms channel",
	        "46: body has no {to}: the gateway would not know the number");
}

static void every_rate_limit_group_wait_and_after_error_is_reported(void **state)
{
	struct tmp *t = *state;
	const char *path;

	write_file(t, "community", 0600, "s3cret\n");
	path = write_config(
	        t, "channel \"log\" {\n"                                                  /* 1 */
	           "  type = log\n"                                                       /* 2 */
	           "  rate_limit = \"10/1h\"\n"                                           /* 3 */
	           "  group_wait = \"1m\"\n"                                              /* 4 */
	           "}\n"                                                                  /* 5 */
	           "channel \"snmp\" {\n"                                                 /* 6 */
	           "  type = snmp  sink = \"udp:127.0.0.1:162\"\n"                        /* 7 */
	           "  community_file = \"%s/community\"  rate_limit = \"10/1h\"\n"        /* 8 */
	           "  ca_file = \"/etc/ca.pem\"\n"                                        /* 9 */
	           "}\n"                                                                  /* 10 */
	           "channel \"m\" {\n"                                                    /* 11 */
	           "  type = mail  url = \"smtp://mx\"  from = \"a@b.c\"\n"               /* 12 */
	           "  to = \"d@e.f\"  rate_limit = \"10\"\n"                              /* 13 */
	           "  group_wait = \"61m\"\n"                                             /* 14 */
	           "}\n"                                                                  /* 15 */
	           "channel \"m2\" { type = mail  url = \"smtp://mx\"\n"                  /* 16 */
	           "  from = \"a@b.c\"  to = \"d@e.f\"\n"                                 /* 17 */
	           "  rate_limit = \"0/1h\"  group_wait = \"-1s\" }\n"                    /* 18 */
	           "channel \"s\" { type = sms  provider = http  url = \"https://gw\"\n"  /* 19 */
	           "  to = \"+4915112345678\"  rate_limit = \"100001/0\" }\n"             /* 20 */
	           "channel \"s2\" { type = sms  provider = http  url = \"https://gw\"\n" /* 21 */
	           "  to = \"+4915112345678\"  rate_limit = \"5/soon\" }\n"               /* 22 */
	           "channel \"s3\" { type = sms  provider = http  url = \"https://gw\"\n" /* 23 */
	           "  to = \"+4915112345678\"  rate_limit = \"-1/1h\" }\n"                /* 24 */
	           "channel \"s4\" { type = sms  provider = http  url = \"https://gw\"\n" /* 25 */
	           "  to = \"+4915112345678\"  rate_limit = \"99999999999/1h\" }\n"       /* 26 */
	           "channel \"s5\" { type = sms  provider = http  url = \"https://gw\"\n" /* 27 */
	           "  to = \"+4915112345678\"  rate_limit = \"10/\" }\n"                  /* 28 */
	           "route { channels = log  after = \"-5m\" }\n"                          /* 29 */
	           "route { channels = log\n"                                             /* 30 */
	           "        after = \"soon\" }\n"                                         /* 31 */
	           "route { channels = log  after = \"1d\" }\n");
	ASSERT_ERRORS_IN(t, path, "3: rate_limit does not apply to a log channel",
	                 "4: group_wait does not apply to a log channel",
	                 "8: rate_limit does not apply to a snmp channel",
	                 "9: ca_file does not apply to a snmp channel",
	                 "13: rate_limit: \"10\" is not COUNT/DURATION such as \"10/1h\"",
	                 "14: group_wait (1h 1m) is more than 1h",
	                 "18: rate_limit: 0 is not a count from 1 to 100000",
	                 "18: group_wait: negative duration '-1s'",
	                 "20: rate_limit: 100001 is not a count from 1 to 100000",
	                 "20: rate_limit: the period must be more than 0",
	                 "22: rate_limit: expected a number at 'soon' in duration 'soon'",
	                 "24: rate_limit: \"-1/1h\" is not COUNT/DURATION such as \"10/1h\"",
	                 "26: rate_limit: 99999999999 is not a count from 1 to 100000",
	                 "28: rate_limit: empty duration; expected e.g. 90s, 15m or 1d12h",
	                 "29: after: negative duration '-5m'",
	                 "31: after: expected a number at 'soon' in duration 'soon'");
}

/* Nothing that could end an SMTP command or a header line gets into an
 * address: CR, LF, spaces, <, >, commas, semicolons. */
static void addresses_and_numbers_that_could_inject_are_refused(void **state)
{
	struct tmp *t = *state;
	const char *path =
	        write_config(t, "channel \"m\" {\n"                                       /* 1 */
	                        "  type = mail  url = \"smtp://mx\"\n"                    /* 2 */
	                        "  from = \"tt@example.com\\r\\nBcc: x@evil.example\"\n"  /* 3 */
	                        "  to = {\"ops@example.com\",\n"                          /* 4 */
	                        "        \"a b@example.com\",\n"                          /* 5 */
	                        "        \"<ops@example.com>\",\n"                        /* 6 */
	                        "        \"a@example.com,b@example.com\",\n"              /* 7 */
	                        "        \"a@example.com;b@example.com\",\n"              /* 8 */
	                        "        \"ops@example.com\\r\",\n"                       /* 9 */
	                        "        \"ops@example.com\\nRCPT TO:x@evil.example\",\n" /* 10 */
	                        "        \"ops@example.com>\", \"<ops@example.com\"}\n"   /* 11 */
	                        "}\n"                                                     /* 12 */
	                        "channel \"s\" {\n"                                       /* 13 */
	                        "  type = sms  provider = http  url = \"https://gw\"\n"   /* 14 */
	                        "  to = {\"+4915112345678\\n\", \"+49 151 12345678\"}\n"  /* 15 */
	                        "  from = \"+4915112345678\\r\"\n"                        /* 16 */
	                        "}\n");

	ASSERT_ERRORS_IN(t, path, "3: from: control characters are not allowed",
	                 "5: to: \"a b@example.com\" is not an address",
	                 "6: to: \"<ops@example.com>\" is not an address",
	                 "7: to: \"a@example.com,b@example.com\" is not an address",
	                 "8: to: \"a@example.com;b@example.com\" is not an address",
	                 "9: to: control characters are not allowed",
	                 "10: to: control characters are not allowed",
	                 "11: to: \"ops@example.com>\" is not an address",
	                 "11: to: \"<ops@example.com\" is not an address",
	                 "15: to: control characters are not allowed",
	                 "15: to: \"+49 151 12345678\" is not a number such as +4930123456",
	                 "16: from: control characters are not allowed");
}

/* The secrets mail and sms read: files only their owner reads (the config
 * that names them may be readable by anyone), or the daemon's environment. */
static void mail_and_sms_secret_files_others_may_read_are_refused(void **state)
{
	struct tmp *t = *state;
	const char *path;

	write_file(t, "smtp", 0640, "mailpass\n");
	write_file(t, "token", 0604, "tok\n");
	path = write_config(t,
	                    "channel \"mail\" {\n"
	                    "  type = mail  url = \"smtps://m.example.com\"  from = \"a@b.c\"\n"
	                    "  to = \"d@e.f\"  user = tt  password_file = \"%s/smtp\"\n"
	                    "}\n"
	                    "channel \"sms\" {\n"
	                    "  type = sms  provider = twilio  user = AC1  from = \"+15005550006\"\n"
	                    "  to = \"+4915112345678\"  token_file = \"%s/token\"\n"
	                    "}\n");
	ASSERT_ERRORS_IN(t, path, "3: password_file @@/smtp is readable by others: chmod 600 it",
	                 "7: token_file @@/token is readable by others: chmod 600 it");
}

static void environment_secrets_are_checked(void **state)
{
	struct tmp *t = *state;
	char longer[1100];
	const char *path;

	memset(longer, 'x', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	setenv("TT_TEST_LONG", longer, 1);
	setenv("TT_TEST_CTRL", "tok\r\nX-Evil: 1", 1);
	path = write_config(t,
	                    "channel \"mail\" {\n"
	                    "  type = mail  url = \"smtps://m.example.com\"  from = \"a@b.c\"\n"
	                    "  to = \"d@e.f\"  user = tt  password_env = \"TT_TEST_LONG\"\n"
	                    "}\n"
	                    "channel \"sms\" {\n"
	                    "  type = sms  provider = twilio  user = AC1  from = \"+15005550006\"\n"
	                    "  to = \"+4915112345678\"  token_env = \"TT_TEST_CTRL\"\n"
	                    "}\n");
	ASSERT_ERRORS_IN(
	        t, path,
	        "3: password_env: the environment variable TT_TEST_LONG is longer than 1024 bytes",
	        "7: token_env: the environment variable TT_TEST_CTRL has control characters");
	unsetenv("TT_TEST_LONG");
	unsetenv("TT_TEST_CTRL");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(the_shipped_example_loads),
	        T(an_empty_file_is_all_defaults),
	        T(the_good_fixture_gives_exactly_its_values),
	        T(an_unknown_option_stops_the_parser_at_its_line),
	        T(an_unterminated_string_is_one_error),
	        T(every_policy_error_is_reported),
	        T(every_check_error_is_reported),
	        T(every_channel_error_is_reported),
	        T(every_global_socket_and_route_error_is_reported),
	        T(a_missing_file_is_one_error),
	        T(after_beyond_the_escalating_routes_is_refused),
	        T(a_config_anyone_may_change_is_refused),
	        T(loading_appends_and_has_no_memory),
	        T(a_secret_file_only_its_owner_reads_is_read),
	        T(a_secret_file_others_may_read_is_refused),
	        T(a_secret_file_the_group_may_read_is_refused),
	        T(a_secret_file_others_may_write_is_refused),
	        T(an_empty_secret_file_is_refused),
	        T(a_missing_secret_file_is_refused),
	        T(a_secret_written_inline_is_refused),
	        T(a_v3_channel_reads_both_passphrases),
	        T(mail_and_sms_channels_read_their_secrets),
	        T(a_mail_channel_has_these_defaults),
	        T(a_mail_channel_takes_every_option),
	        T(an_sms_channel_takes_every_option),
	        T(a_body_may_use_every_placeholder),
	        T(every_mail_option_error_is_reported),
	        T(every_sms_option_error_is_reported),
	        T(every_rate_limit_group_wait_and_after_error_is_reported),
	        T(addresses_and_numbers_that_could_inject_are_refused),
	        T(mail_and_sms_secret_files_others_may_read_are_refused),
	        T(environment_secrets_are_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
