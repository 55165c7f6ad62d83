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
 * as many times as the format uses it). */
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
