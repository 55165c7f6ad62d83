/*
 * trendtrap.c - the command-line client: look at and edit the histories the
 * trend plugins keep ("trendtrap series list|show|export|import|forget"), and
 * talk to trendtrapd over its socket ("trendtrap submit|status|silence|
 * test-trap").
 *
 * The work is done by lib/series.c and lib/csv.c, and by client.c for the
 * socket; this file parses the command line, runs one subcommand from a table
 * and is the only place that prints. Errors are one line "trendtrap: ..." on
 * stderr and exit status 1; usage errors exit 2.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "client.h"
#include "clock.h"
#include "config.h"
#include "csv.h"
#include "series.h"
#include "server.h"
#include "units.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#ifndef TT_DEFAULT_STATE_DIR
#define TT_DEFAULT_STATE_DIR "/var/lib/trendtrap"
#endif

#define EXIT_USAGE         2
#define DEFAULT_TIMEOUT_MS 10000
#define MAX_TIMEOUT_S      86400.0

/* The options, as bits: each command lists those it takes. */
enum {
	OPT_STATE_DIR = 1 << 0,
	OPT_SOCKET = 1 << 1,
	OPT_TIMEOUT = 1 << 2,
	OPT_VERBOSE = 1 << 3,
	OPT_NO_HEADER = 1 << 4,
	OPT_STDIN = 1 << 5,
};
#define OPT_DAEMON (OPT_SOCKET | OPT_TIMEOUT) /* every command that talks to trendtrapd */

static const struct {
	unsigned bit;
	const char *name;
} option_names[] = {
        {OPT_STATE_DIR, "--state-dir"}, {OPT_SOCKET, "--socket"},       {OPT_TIMEOUT, "--timeout"},
        {OPT_VERBOSE, "--verbose"},     {OPT_NO_HEADER, "--no-header"}, {OPT_STDIN, "--stdin"},
};

/* The options of this run, and what follows from them. */
struct invocation {
	const char *state_dir; /* --state-dir, or NULL */
	char dir[4096];        /* the state directory in use (series commands) */
	const char *socket;    /* -s, else $TRENDTRAP_SOCKET, else the default */
	int timeout_ms;        /* --timeout: for connecting and for every wait after */
	bool verbose;          /* -v */
	bool no_header;        /* -H */
	bool use_stdin;        /* --stdin */
	unsigned given;        /* OPT_* bits of the options given */
};

/* One subcommand: "series list", "submit", "silence add", ... */
struct command {
	const char *group; /* "series" or "silence"; NULL for a one-word command */
	const char *name;
	int min_args, max_args; /* arguments after the name; max_args -1: no limit */
	unsigned opts;          /* the OPT_* options it takes */
	int (*run)(const struct invocation *inv, char **args);
};

static const char usage_text[] =
        "Usage: trendtrap [--state-dir DIR] series COMMAND [ARGS]\n"
        "       trendtrap [-s PATH] [--timeout SECONDS] COMMAND [ARGS]\n"
        "\n"
        "Look at and edit the histories kept by the trendtrap check plugins, and talk\n"
        "to trendtrapd, the daemon that turns check results into notifications.\n"
        "\n"
        "Histories:\n"
        "  series list               one line per series: key, samples, first and last\n"
        "                            time (ISO 8601, UTC), tab-separated\n"
        "  series show KEY           the samples as a table, with a summary\n"
        "  series export KEY         the samples as CSV (time,value,capacity) on stdout\n"
        "  series import KEY [FILE]  add the samples of a CSV file (default or '-':\n"
        "                            standard input)\n"
        "  series forget KEY         delete the series\n"
        "\n"
        "trendtrapd:\n"
        "  submit HOST SERVICE RC OUTPUT\n"
        "                            send one service check result (RC: 0 to 3, or OK,\n"
        "                            WARNING, CRITICAL, UNKNOWN; OUTPUT may end in\n"
        "                            |perfdata) and wait until trendtrapd took it\n"
        "  submit -|--stdin          send the lines of standard input, each already an\n"
        "                            external command ([TIME] PROCESS_SERVICE_CHECK_RESULT;\n"
        "                            ... or PROCESS_HOST_CHECK_RESULT;...), as they are\n"
        "  status                    trendtrapd's services, outbox, dead letters and\n"
        "                            channels\n"
        "  silence add PATTERN DURATION COMMENT...\n"
        "                            no notifications for HOST or HOST/SERVICE (fnmatch\n"
        "                            patterns) for DURATION (e.g. 2h); prints ID and end\n"
        "  silence list              the silences: ID, end (UTC), pattern and comment,\n"
        "                            tab-separated, under a header line\n"
        "  silence remove ID         end a silence\n"
        "  test-trap CHANNEL         queue a test notification to every destination of\n"
        "                            CHANNEL; prints how many were queued\n"
        "  ack PATTERN COMMENT...    acknowledge the open problems of HOST or\n"
        "                            HOST/SERVICE (fnmatch): no reminders and no\n"
        "                            escalation until their state changes\n"
        "\n"
        "Options (before the command, or right after its name):\n"
        "  --state-dir DIR      where histories are kept; default $TRENDTRAP_STATE_DIR,\n"
        "                       else " TT_DEFAULT_STATE_DIR " if writable, else\n"
        "                       $XDG_STATE_HOME/trendtrap or ~/.local/state/trendtrap\n"
        "  -s, --socket PATH    trendtrapd's socket; default $TRENDTRAP_SOCKET, else\n"
        "                       " CONFIG_DEFAULT_SOCKET "\n"
        "  --timeout SECONDS    give up when trendtrapd does not accept the connection,\n"
        "                       take data or answer for this long (default 10; 30s, 1m)\n"
        "  -v, --verbose        submit: print \"accepted N\", the lines trendtrapd took\n"
        "  -H, --no-header      silence list: no header line\n"
        "  --stdin              submit: the same as '-'\n"
        "  -h, --help           show this help and exit\n"
        "  -V, --version        show the version and exit\n"
        "\n"
        "Exit status: 0 success, 1 error (a rejected result too), 2 usage error.\n";

__attribute__((format(printf, 1, 2))) static int error(const char *fmt, ...)
{
	va_list ap;

	fputs("trendtrap: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAILURE;
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("trendtrap: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'trendtrap --help'.\n", stderr);
	return EXIT_USAGE;
}

/* ---- formatting ---- */

static const char *iso_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%" PRId64, t);
	return buf;
}

/* A number as the CSV writer prints it, into BUF. */
static const char *number(double v, char *buf, size_t len)
{
	FILE *f;

	memset(buf, 0, len);
	if ((f = fmemopen(buf, len - 1, "w")) != NULL) {
		csv_write_number(f, v);
		fclose(f);
	}
	return buf;
}

/* "3d 4h 5m 6s", leaving out zero parts. */
static const char *span(int64_t secs, char *buf, size_t len)
{
	static const struct {
		int64_t size;
		char unit;
	} parts[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		int64_t n = secs / parts[i].size;

		secs %= parts[i].size;
		if (n > 0 && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%" PRId64 "%c",
			                         used ? " " : "", n, parts[i].unit);
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "0s");
	return buf;
}

/* ---- loading ---- */

/* Open KEY for reading and load all its samples. Returns 0 or exit status 1
 * (reported). */
static int load_all(const char *dir, const char *key, struct sample **v, size_t *n)
{
	struct series *s;
	char err[1024];
	int rc = series_open(dir, key, SERIES_READ, &s, NULL, 0, err, sizeof(err));

	if (rc == SERIES_ENOENT)
		return error("no series '%s' in %s", key, dir);
	if (rc != 0)
		return error("%s", err);
	rc = series_load(s, INT64_MIN, v, n, err, sizeof(err));
	series_close(s);
	return rc == 0 ? 0 : error("%s", err);
}

/* ---- subcommands ---- */

struct list_state {
	const char *dir;
	int status; /* 1 once any series could not be read */
};

static int list_one(const char *key, void *arg)
{
	struct list_state *ls = arg;
	struct sample *v;
	char first[64] = "-", last[64] = "-";
	size_t n;

	if (load_all(ls->dir, key, &v, &n) != 0) {
		ls->status = EXIT_FAILURE;
		return 0;
	}
	if (n > 0) {
		iso_time(v[0].t, first, sizeof(first));
		iso_time(v[n - 1].t, last, sizeof(last));
	}
	printf("%s\t%zu\t%s\t%s\n", key, n, first, last);
	free(v);
	return 0;
}

static int cmd_list(const struct invocation *inv, char **args)
{
	const char *dir = inv->dir;
	struct list_state ls = {dir, 0};
	char err[1024];

	(void)args;
	if (series_list(dir, list_one, &ls, err, sizeof(err)) != 0)
		return error("%s", err);
	return ls.status;
}

static void show_row(const struct sample *smp)
{
	char when[64], value[64], cap[64], pct[32] = "-";

	if (smp->capacity > 0)
		snprintf(pct, sizeof(pct), "%.1f%%", 100 * smp->value / smp->capacity);
	printf("%-20s  %18s  %18s  %7s\n", iso_time(smp->t, when, sizeof(when)),
	       number(smp->value, value, sizeof(value)), number(smp->capacity, cap, sizeof(cap)),
	       pct);
}

static int cmd_show(const struct invocation *inv, char **args)
{
	const char *dir = inv->dir;
	struct sample *v;
	char first[64], last[64], len[64];
	size_t n;

	if (load_all(dir, args[0], &v, &n) != 0)
		return EXIT_FAILURE;
	printf("%-20s  %18s  %18s  %7s\n", "time (UTC)", "value", "capacity", "used");
	for (size_t i = 0; i < n; i++)
		show_row(&v[i]);
	if (n == 0)
		printf("%s: 0 samples\n", args[0]);
	else
		printf("%s: %zu samples from %s to %s (span %s)\n", args[0], n,
		       iso_time(v[0].t, first, sizeof(first)),
		       iso_time(v[n - 1].t, last, sizeof(last)),
		       span(v[n - 1].t - v[0].t, len, sizeof(len)));
	free(v);
	return 0;
}

static int cmd_export(const struct invocation *inv, char **args)
{
	const char *dir = inv->dir;
	struct sample *v;
	size_t n;

	if (load_all(dir, args[0], &v, &n) != 0)
		return EXIT_FAILURE;
	csv_write_samples(stdout, v, n);
	free(v);
	return 0;
}

/* Read the CSV samples of PATH (NULL or "-": stdin). */
static int read_csv(const char *path, struct sample **v, size_t *n)
{
	int use_stdin = path == NULL || strcmp(path, "-") == 0;
	FILE *f = use_stdin ? stdin : fopen(path, "r");
	char err[1024];
	int rc;

	if (f == NULL)
		return error("cannot open %s: %s", path, strerror(errno));
	rc = csv_read_samples(f, use_stdin ? "stdin" : path, v, n, err, sizeof(err));
	if (!use_stdin)
		fclose(f);
	return rc == 0 ? 0 : error("%s", err);
}

static int cmd_import(const struct invocation *inv, char **args)
{
	const char *dir = inv->dir;
	const struct series_retention ret = {SERIES_KEEP_AGE_DEFAULT, SERIES_KEEP_COUNT_DEFAULT};
	struct series *s;
	struct sample *v;
	char notice[1024], err[1024];
	size_t n;
	int rc;

	if (series_key_valid(args[0], err, sizeof(err)) != 0)
		return error("%s", err);
	if (read_csv(args[1], &v, &n) != 0)
		return EXIT_FAILURE;
	rc = series_open(dir, args[0], SERIES_WRITE, &s, notice, sizeof(notice), err, sizeof(err));
	if (rc == 0 && notice[0] != '\0')
		error("%s", notice);
	if (rc == 0 && (rc = series_add(s, v, n, &ret, err, sizeof(err))) == 0)
		printf("imported %zu samples into %s\n", n, args[0]);
	series_close(s);
	free(v);
	return rc == 0 ? 0 : error("%s", err);
}

static int cmd_forget(const struct invocation *inv, char **args)
{
	const char *dir = inv->dir;
	char err[1024];
	int rc = series_forget(dir, args[0], err, sizeof(err));

	if (rc == SERIES_ENOENT)
		return error("no series '%s' in %s", args[0], dir);
	return rc == 0 ? 0 : error("%s", err);
}

/* ---- talking to trendtrapd ---- */

static void print_data(void *arg, const char *text)
{
	(void)arg;
	puts(text);
}

/* Whether VALUE can be field WHAT of a command line; reported if not. */
static bool field_ok(const char *what, const char *value, bool last)
{
	char err[1024];

	if (client_check_field(what, value, last, err, sizeof(err)) == 0)
		return true;
	error("%s", err);
	return false;
}

static int open_client(const struct invocation *inv, struct client **c)
{
	char err[1024];

	if (client_open(inv->socket, inv->timeout_ms, c, err, sizeof(err)) != 0)
		return error("%s", err);
	return 0;
}

/* Send the control command LINE (with its newline) and read the reply: data
 * lines to FN(ARG), the final text into TEXT.  Returns 0, or 1 reported
 * (an "ERR text" reply as "trendtrap: text"). */
static int ask(const struct invocation *inv, const char *line, client_data_fn *fn, void *arg,
               char *text, size_t textlen)
{
	struct client *c;
	char err[1024];
	int rc;

	if (open_client(inv, &c) != 0)
		return EXIT_FAILURE;
	rc = client_send(c, line, strlen(line), err, sizeof(err));
	if (rc == 0)
		rc = client_reply(c, fn, arg, text, textlen, err, sizeof(err));
	client_close(c);
	if (rc < 0)
		return error("%s", err);
	return rc == CLIENT_ERR ? error("%s", text) : 0;
}

static int cmd_status(const struct invocation *inv, char **args)
{
	char text[1024];

	(void)args;
	return ask(inv, "TRENDTRAP_STATUS\n", print_data, NULL, text, sizeof(text));
}

/* ---- submit ---- */

/* What a submission needs to report the lines refused, numbered as the
 * lines of the input. */
struct submit_state {
	uint64_t *skipped; /* input lines the client did not send, ascending */
	size_t nskipped, capskipped;
	uint64_t listed; /* rejected lines trendtrapd listed */
};

/* The input line number of the N-th line sent. */
static uint64_t input_line(const struct submit_state *st, uint64_t n)
{
	for (size_t i = 0; i < st->nskipped && st->skipped[i] <= n; i++)
		n++;
	return n;
}

/* A TRENDTRAP_SYNC data line: "line N: MESSAGE". */
static void print_rejected(void *arg, const char *text)
{
	struct submit_state *st = arg;
	const char *msg;
	uint64_t n;

	st->listed++;
	if (client_rejected_line(text, &n, &msg) == 0)
		error("line %" PRIu64 ": %s", input_line(st, n), msg);
	else
		error("%s", text);
}

/* RC as a number 0..3, from a digit or a state name; -1 if neither. */
static int parse_rc(const char *s)
{
	static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

	if (s[0] >= '0' && s[0] <= '3' && s[1] == '\0')
		return s[0] - '0';
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* The result line for "submit HOST SERVICE RC OUTPUT", or NULL reported. */
static char *result_line(char **args)
{
	int rc = parse_rc(args[2]);
	char err[1024], *line;
	int64_t now;

	if (!field_ok("HOST", args[0], false) || !field_ok("SERVICE", args[1], false))
		return NULL;
	if (rc < 0) {
		error("RC '%s' is not 0, 1, 2, 3, OK, WARNING, CRITICAL or UNKNOWN", args[2]);
		return NULL;
	}
	if (clock_now(&now, err, sizeof(err)) != 0) {
		error("%s", err);
		return NULL;
	}
	if ((line = client_result_line(now, args[0], args[1], rc, args[3])) == NULL)
		error("out of memory");
	return line;
}

/* Note that input line LINENO, a control command, is not sent. */
static int refuse_line(struct submit_state *st, uint64_t lineno)
{
	if (st->nskipped == st->capskipped) {
		size_t cap = st->capskipped ? 2 * st->capskipped : 16;
		uint64_t *v = realloc(st->skipped, cap * sizeof(*v));

		if (v == NULL)
			return error("out of memory");
		st->skipped = v;
		st->capskipped = cap;
	}
	st->skipped[st->nskipped++] = lineno;
	if (st->nskipped <= SERVER_SYNC_ERRORS)
		error("line %" PRIu64 ": a control command, not a check result: not sent", lineno);
	return 0;
}

/* Send the lines of standard input as they are, streaming, but for control
 * commands (their answers would be taken for the reply to TRENDTRAP_SYNC). */
static int send_stdin(struct client *c, struct submit_state *st)
{
	char *line = NULL, err[1024];
	uint64_t lineno = 0;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	while (rc == 0 && (len = getline(&line, &cap, stdin)) > 0) {
		lineno++;
		if (client_is_control(line)) {
			rc = refuse_line(st, lineno);
			continue;
		}
		rc = client_send(c, line, (size_t)len, err, sizeof(err));
		if (rc == 0 && line[len - 1] != '\n')
			rc = client_send(c, "\n", 1, err, sizeof(err));
		if (rc != 0)
			rc = error("%s", err);
	}
	if (rc == 0 && ferror(stdin))
		rc = error("cannot read standard input: %s", strerror(errno));
	free(line);
	if (rc == 0 && st->nskipped > SERVER_SYNC_ERRORS)
		error("%zu control commands not sent in all; the first %d are listed above",
		      st->nskipped, SERVER_SYNC_ERRORS);
	return rc;
}

/* Send TRENDTRAP_SYNC and report its reply. Returns the exit status. */
static int sync_results(struct client *c, const struct invocation *inv, struct submit_state *st)
{
	static const char sync_line[] = "TRENDTRAP_SYNC\n";
	uint64_t accepted, rejected;
	char text[1024], err[1024];
	int rc = client_send(c, sync_line, strlen(sync_line), err, sizeof(err));

	if (rc == 0)
		rc = client_reply(c, print_rejected, st, text, sizeof(text), err, sizeof(err));
	if (rc < 0)
		return error("%s", err);
	if (rc == CLIENT_ERR)
		return error("%s", text);
	if (client_sync_counts(text, &accepted, &rejected) != 0)
		return error("unexpected reply to TRENDTRAP_SYNC: 'OK %s'", text);
	if (rejected > st->listed)
		error("%" PRIu64 " lines rejected in all; the first %" PRIu64 " are listed above",
		      rejected, st->listed);
	if (inv->verbose)
		printf("accepted %" PRIu64 "\n", accepted);
	return rejected > 0 || st->nskipped > 0 ? EXIT_FAILURE : 0;
}

static int cmd_submit(const struct invocation *inv, char **args)
{
	size_t nargs = 0;
	bool from_stdin;
	struct submit_state st = {NULL, 0, 0, 0};
	struct client *c;
	char *line = NULL, err[1024];
	int rc;

	while (args[nargs] != NULL)
		nargs++;
	from_stdin = inv->use_stdin || (nargs == 1 && strcmp(args[0], "-") == 0);
	if (from_stdin && (nargs > 1 || (nargs == 1 && strcmp(args[0], "-") != 0)))
		return usage_error("submit -: too many arguments");
	if (!from_stdin && nargs < 4)
		return usage_error("submit: missing argument");
	if (!from_stdin && (line = result_line(args)) == NULL)
		return EXIT_FAILURE;
	if (open_client(inv, &c) != 0) {
		free(line);
		return EXIT_FAILURE;
	}
	if (from_stdin)
		rc = send_stdin(c, &st);
	else if ((rc = client_send(c, line, strlen(line), err, sizeof(err))) != 0)
		rc = error("%s", err);
	if (rc == 0)
		rc = sync_results(c, inv, &st);
	client_close(c);
	free(line);
	free(st.skipped);
	return rc;
}

/* ---- silence, test-trap ---- */

/* ARGS joined by single spaces, in a new string (NULL reported). */
static char *join_words(char **args)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; args[i] != NULL; i++)
		len += strlen(args[i]) + 1;
	if ((s = malloc(len)) == NULL) {
		error("out of memory");
		return NULL;
	}
	s[0] = '\0';
	for (size_t i = 0; args[i] != NULL; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, args[i]);
	}
	return s;
}

/* COMMAND;PATTERN[;WORD];COMMENT with the COMMENT the remaining ARGS joined:
 * "silence add PATTERN DURATION COMMENT..." and "ack PATTERN COMMENT...".
 * The daemon's answer text is printed. */
static int ask_with_comment(const struct invocation *inv, const char *command, char **args,
                            const char *word_name)
{
	char **rest = args + (word_name != NULL ? 2 : 1);
	char *comment = join_words(rest), *line = NULL, text[1024];
	int rc = EXIT_FAILURE;

	if (comment != NULL && field_ok("PATTERN", args[0], false) &&
	    (word_name == NULL || field_ok(word_name, args[1], false)) &&
	    field_ok("COMMENT", comment, true)) {
		if (asprintf(&line, "%s;%s%s%s;%s\n", command, args[0], word_name ? ";" : "",
		             word_name ? args[1] : "", comment) < 0)
			line = NULL;
		rc = line ? ask(inv, line, print_data, NULL, text, sizeof(text))
		          : error("out of memory");
	}
	if (rc == 0)
		puts(text);
	free(line);
	free(comment);
	return rc;
}

static int cmd_silence_add(const struct invocation *inv, char **args)
{
	return ask_with_comment(inv, "TRENDTRAP_SILENCE_ADD", args, "DURATION");
}

/* Before the first silence, and at the end if there was none: the header. */
static void print_silence(void *arg, const char *text)
{
	bool *header = arg;

	if (*header)
		puts("ID\tUNTIL\tPATTERN\tCOMMENT");
	*header = false;
	puts(text);
}

static int cmd_silence_list(const struct invocation *inv, char **args)
{
	bool header = !inv->no_header;
	char text[1024];
	int rc;

	(void)args;
	rc = ask(inv, "TRENDTRAP_SILENCE_LIST\n", print_silence, &header, text, sizeof(text));
	if (rc == 0 && header)
		puts("ID\tUNTIL\tPATTERN\tCOMMENT");
	return rc;
}

/* A control command with one argument, its reply's text printed if any. */
static int ask_one(const struct invocation *inv, const char *command, const char *what,
                   const char *value)
{
	char *line, text[1024];
	int rc;

	if (!field_ok(what, value, false))
		return EXIT_FAILURE;
	if (asprintf(&line, "%s;%s\n", command, value) < 0)
		return error("out of memory");
	rc = ask(inv, line, print_data, NULL, text, sizeof(text));
	if (rc == 0 && text[0] != '\0')
		puts(text);
	free(line);
	return rc;
}

static int cmd_silence_remove(const struct invocation *inv, char **args)
{
	return ask_one(inv, "TRENDTRAP_SILENCE_REMOVE", "ID", args[0]);
}

static int cmd_test_trap(const struct invocation *inv, char **args)
{
	return ask_one(inv, "TRENDTRAP_TEST", "CHANNEL", args[0]);
}

static int cmd_ack(const struct invocation *inv, char **args)
{
	return ask_with_comment(inv, "TRENDTRAP_ACK", args, NULL);
}

static const struct command commands[] = {
        {"series", "list", 0, 0, OPT_STATE_DIR, cmd_list},
        {"series", "show", 1, 1, OPT_STATE_DIR, cmd_show},
        {"series", "export", 1, 1, OPT_STATE_DIR, cmd_export},
        {"series", "import", 1, 2, OPT_STATE_DIR, cmd_import},
        {"series", "forget", 1, 1, OPT_STATE_DIR, cmd_forget},
        {NULL, "submit", 0, 4, OPT_DAEMON | OPT_VERBOSE | OPT_STDIN, cmd_submit},
        {NULL, "status", 0, 0, OPT_DAEMON, cmd_status},
        {"silence", "add", 3, -1, OPT_DAEMON, cmd_silence_add},
        {"silence", "list", 0, 0, OPT_DAEMON | OPT_NO_HEADER, cmd_silence_list},
        {"silence", "remove", 1, 1, OPT_DAEMON, cmd_silence_remove},
        {NULL, "test-trap", 1, 1, OPT_DAEMON, cmd_test_trap},
        {NULL, "ack", 2, -1, OPT_DAEMON, cmd_ack},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* ---- main ---- */

/* Whether ARGV0 names a group of commands ("series", "silence"). */
static bool is_group(const char *word)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (commands[i].group != NULL && strcmp(commands[i].group, word) == 0)
			return true;
	return false;
}

/* Find the command named by the first one or two words of ARGV. Returns how
 * many words name it, or -1 after a usage error. */
static int find_command(int argc, char **argv, const struct command **out)
{
	const char *group = is_group(argv[0]) ? argv[0] : NULL;
	const char *name = group ? argv[1] : argv[0];

	if (group != NULL && argc < 2) {
		usage_error("missing %s command", group);
		return -1;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct command *c = &commands[i];

		if ((group ? c->group && strcmp(c->group, group) == 0 : c->group == NULL) &&
		    strcmp(c->name, name) == 0) {
			*out = c;
			return group ? 2 : 1;
		}
	}
	if (group != NULL)
		usage_error("unknown command '%s %s'", group, name);
	else
		usage_error("unknown command '%s'", name);
	return -1;
}

/* Check the number of arguments (NARGS) and the options given for CMD. */
static int check_usage(const struct command *cmd, const struct invocation *inv, int nargs)
{
	char label[64];

	snprintf(label, sizeof(label), "%s%s%s", cmd->group ? cmd->group : "",
	         cmd->group ? " " : "", cmd->name);
	if (nargs < cmd->min_args)
		return usage_error("%s: missing argument", label);
	if (cmd->max_args >= 0 && nargs > cmd->max_args)
		return usage_error("%s: too many arguments", label);
	for (size_t i = 0; i < sizeof(option_names) / sizeof(option_names[0]); i++)
		if (inv->given & option_names[i].bit & ~cmd->opts)
			return usage_error("%s does not apply to '%s'", option_names[i].name,
			                   label);
	return 0;
}

/* --timeout SECONDS (a duration: "10", "30s", "1m") into *MS. */
static int parse_timeout(const char *s, int *ms)
{
	char err[256];
	double secs;

	if (units_parse_duration(s, &secs, err, sizeof(err)) != 0)
		return usage_error("--timeout '%s': %s", s, err);
	if (secs < 0.001 || secs > MAX_TIMEOUT_S)
		return usage_error("--timeout '%s': use 0.001 to %.0f seconds", s, MAX_TIMEOUT_S);
	*ms = (int)(secs * 1000 + 0.5);
	return 0;
}

/* Apply option C (with OPTARG). Returns -1 to go on, else the exit status. */
static int set_option(struct invocation *inv, int c, char *arg, const char *word)
{
	switch (c) {
	case 'h':
		fputs(usage_text, stdout);
		return 0;
	case 'V':
		puts("trendtrap " PACKAGE_VERSION);
		return 0;
	case 'd':
		inv->state_dir = arg;
		inv->given |= OPT_STATE_DIR;
		return -1;
	case 's':
		inv->socket = arg;
		inv->given |= OPT_SOCKET;
		return -1;
	case 't':
		inv->given |= OPT_TIMEOUT;
		return parse_timeout(arg, &inv->timeout_ms) == 0 ? -1 : EXIT_USAGE;
	case 'v':
		inv->verbose = true;
		inv->given |= OPT_VERBOSE;
		return -1;
	case 'H':
		inv->no_header = true;
		inv->given |= OPT_NO_HEADER;
		return -1;
	case 'i':
		inv->use_stdin = true;
		inv->given |= OPT_STDIN;
		return -1;
	default:
		return usage_error("unknown option or missing argument: '%s'", word);
	}
}

/* Parse the options of ARGV from its second word up to the first argument.
 * Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct invocation *inv)
{
	static const struct option longopts[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {"state-dir", required_argument, NULL, 'd'},
	        {"socket", required_argument, NULL, 's'},
	        {"timeout", required_argument, NULL, 't'},
	        {"verbose", no_argument, NULL, 'v'},
	        {"no-header", no_argument, NULL, 'H'},
	        {"stdin", no_argument, NULL, 'i'},
	        {NULL, 0, NULL, 0},
	};
	int c, rc = -1;

	optind = 0; /* glibc: start afresh (this runs twice) */
	opterr = 0;
	while (rc < 0 && (c = getopt_long(argc, argv, "+hVs:vH", longopts, NULL)) != -1)
		rc = set_option(inv, c, optarg, argv[optind - 1]);
	return rc;
}

/* What CMD needs before it runs: the state directory or the socket path. */
static int prepare(const struct command *cmd, struct invocation *inv)
{
	const char *env = getenv("TRENDTRAP_SOCKET");
	char err[1024];

	if ((cmd->opts & OPT_STATE_DIR) &&
	    series_state_dir(inv->state_dir, inv->dir, sizeof(inv->dir), err, sizeof(err)) != 0)
		return error("%s", err);
	if (inv->socket == NULL)
		inv->socket = env != NULL && env[0] != '\0' ? env : CONFIG_DEFAULT_SOCKET;
	return 0;
}

static int run(int argc, char **argv)
{
	struct invocation inv = {.timeout_ms = DEFAULT_TIMEOUT_MS};
	const struct command *cmd = NULL;
	int words, rc = parse_options(argc, argv, &inv);

	if (rc >= 0)
		return rc;
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return usage_error("missing command");
	if ((words = find_command(argc, argv, &cmd)) < 0)
		return EXIT_USAGE;
	/* Options right after the command's name: its last word acts as argv[0]. */
	argc -= words - 1;
	argv += words - 1;
	if ((rc = parse_options(argc, argv, &inv)) >= 0)
		return rc;
	argc -= optind;
	argv += optind;
	if ((rc = check_usage(cmd, &inv, argc)) != 0 || (rc = prepare(cmd, &inv)) != 0)
		return rc;
	return cmd->run(&inv, argv);
}

int main(int argc, char **argv)
{
	int rc = run(argc, argv);

	if (fflush(stdout) != 0 || ferror(stdout))
		return error("cannot write to standard output: %s", strerror(errno));
	return rc;
}
