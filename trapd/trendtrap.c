/*
 * trendtrap.c - the command-line client: look at and edit the histories the
 * trend plugins keep ("trendtrap series list|show|export|import|forget").
 *
 * The work is done by lib/series.c and lib/csv.c; this file parses the
 * command line, runs one subcommand from a table and is the only place that
 * prints. Errors are one line "trendtrap: ..." on stderr and exit status 1;
 * usage errors exit 2.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv.h"
#include "series.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#ifndef TT_DEFAULT_STATE_DIR
#define TT_DEFAULT_STATE_DIR "/var/lib/trendtrap"
#endif

#define EXIT_USAGE 2

/* One subcommand of "trendtrap series". */
struct command {
	const char *name;
	int min_args, max_args; /* arguments after the subcommand's name */
	int (*run)(const char *dir, char **args);
};

static const char usage_text[] =
        "Usage: trendtrap [--state-dir DIR] series COMMAND [ARGS]\n"
        "\n"
        "Look at and edit the histories kept by the trendtrap check plugins.\n"
        "\n"
        "Commands:\n"
        "  series list               one line per series: key, samples, first and last\n"
        "                            time (ISO 8601, UTC), tab-separated\n"
        "  series show KEY           the samples as a table, with a summary\n"
        "  series export KEY         the samples as CSV (time,value,capacity) on stdout\n"
        "  series import KEY [FILE]  add the samples of a CSV file (default or '-':\n"
        "                            standard input)\n"
        "  series forget KEY         delete the series\n"
        "\n"
        "Options:\n"
        "  --state-dir DIR  where histories are kept; default $TRENDTRAP_STATE_DIR, else\n"
        "                   " TT_DEFAULT_STATE_DIR " if writable, else\n"
        "                   $XDG_STATE_HOME/trendtrap or ~/.local/state/trendtrap\n"
        "  -h, --help       show this help and exit\n"
        "  -V, --version    show the version and exit\n"
        "\n"
        "Exit status: 0 success, 1 error, 2 usage error.\n";

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

static int cmd_list(const char *dir, char **args)
{
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

static int cmd_show(const char *dir, char **args)
{
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

static int cmd_export(const char *dir, char **args)
{
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

static int cmd_import(const char *dir, char **args)
{
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

static int cmd_forget(const char *dir, char **args)
{
	char err[1024];
	int rc = series_forget(dir, args[0], err, sizeof(err));

	if (rc == SERIES_ENOENT)
		return error("no series '%s' in %s", args[0], dir);
	return rc == 0 ? 0 : error("%s", err);
}

static const struct command commands[] = {
        {"list", 0, 0, cmd_list},     {"show", 1, 1, cmd_show},     {"export", 1, 1, cmd_export},
        {"import", 1, 2, cmd_import}, {"forget", 1, 1, cmd_forget},
};

/* ---- main ---- */

/* Find the subcommand and check its number of arguments (ARGC). */
static int find_command(const char *name, int argc, const struct command **out)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) != 0)
			continue;
		if (argc < commands[i].min_args)
			return usage_error("series %s: missing argument", name);
		if (argc > commands[i].max_args)
			return usage_error("series %s: too many arguments", name);
		*out = &commands[i];
		return 0;
	}
	return usage_error("unknown command 'series %s'", name);
}

/* Parse the options; returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, const char **state_dir)
{
	static const struct option longopts[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {"state-dir", required_argument, NULL, 'd'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			puts("trendtrap " PACKAGE_VERSION);
			return 0;
		case 'd':
			*state_dir = optarg;
			break;
		default:
			return usage_error("unknown option or missing argument: '%s'",
			                   argv[optind - 1]);
		}
	}
	return -1;
}

static int run(int argc, char **argv)
{
	const char *state_dir = NULL;
	const struct command *cmd = NULL;
	char dir[4096], err[1024];
	int rc = parse_options(argc, argv, &state_dir);

	if (rc >= 0)
		return rc;
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return usage_error("missing command");
	if (strcmp(argv[0], "series") != 0)
		return usage_error("unknown command '%s'", argv[0]);
	if (argc == 1)
		return usage_error("missing series command");
	if (find_command(argv[1], argc - 2, &cmd) != 0)
		return EXIT_USAGE;
	if (series_state_dir(state_dir, dir, sizeof(dir), err, sizeof(err)) != 0)
		return error("%s", err);
	return cmd->run(dir, argv + 2);
}

int main(int argc, char **argv)
{
	int rc = run(argc, argv);

	if (fflush(stdout) != 0 || ferror(stdout))
		return error("cannot write to standard output: %s", strerror(errno));
	return rc;
}
