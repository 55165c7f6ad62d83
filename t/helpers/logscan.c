/*
 * logscan - test and benchmark driver of lib/accesslog: read an access log
 * once (incrementally with --pos) and print what was counted.
 *
 * Usage: logscan [--format clf|json] [--status-field F] [--time-field F]
 *                [--error-status LIST] [--bucket SECONDS] [--lookback SECONDS]
 *                [--now T] [--pos FILE] [--totals] LOG
 * Prints "bucket T REQUESTS ERRORS" per bucket (not with --totals), then
 * "total REQUESTS ERRORS", "stats lines=... bad=... bytes=... rotated=0|1
 * truncated=0|1 first_run=0|1" and, when there is one, "note TEXT".
 * --pos loads the position from FILE and saves the new one there.
 * Exit status: 0, 1 on an error (on stderr), 2 on bad usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "clock.h"

enum {
	OPT_FORMAT = 256,
	OPT_SFIELD,
	OPT_TFIELD,
	OPT_ERRORS,
	OPT_BUCKET,
	OPT_LOOKBACK,
	OPT_NOW,
	OPT_POS,
	OPT_TOTALS
};

static const struct option options[] = {
        {"format", required_argument, NULL, OPT_FORMAT},
        {"status-field", required_argument, NULL, OPT_SFIELD},
        {"time-field", required_argument, NULL, OPT_TFIELD},
        {"error-status", required_argument, NULL, OPT_ERRORS},
        {"bucket", required_argument, NULL, OPT_BUCKET},
        {"lookback", required_argument, NULL, OPT_LOOKBACK},
        {"now", required_argument, NULL, OPT_NOW},
        {"pos", required_argument, NULL, OPT_POS},
        {"totals", no_argument, NULL, OPT_TOTALS},
        {NULL, 0, NULL, 0},
};

struct args {
	struct accesslog_spec spec;
	struct statusset errors;
	double lookback;
	int64_t now;
	const char *pos, *log;
	int totals;
};

static int usage(const char *why)
{
	fprintf(stderr,
	        "logscan: %s\nusage: logscan [--format clf|json] [--status-field F] "
	        "[--time-field F] [--error-status LIST] [--bucket S] [--lookback S] "
	        "[--now T] [--pos FILE] [--totals] LOG\n",
	        why);
	return 2;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	char err[256];
	int c;

	memset(a, 0, sizeof(*a));
	a->spec.format = ACCESSLOG_CLF;
	a->spec.bucket = 60;
	a->spec.errors = &a->errors;
	statusset_parse("500-599", &a->errors, err, sizeof(err));
	if (clock_now(&a->now, err, sizeof(err)) != 0)
		return usage(err);
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			if (strcmp(optarg, "clf") != 0 && strcmp(optarg, "json") != 0)
				return usage("--format is clf or json");
			a->spec.format = optarg[0] == 'j' ? ACCESSLOG_JSON : ACCESSLOG_CLF;
			break;
		case OPT_SFIELD:
			a->spec.status_field = optarg;
			break;
		case OPT_TFIELD:
			a->spec.time_field = optarg;
			break;
		case OPT_ERRORS:
			if (statusset_parse(optarg, &a->errors, err, sizeof(err)) != 0)
				return usage(err);
			break;
		case OPT_BUCKET:
			a->spec.bucket = atoi(optarg);
			break;
		case OPT_LOOKBACK:
			a->lookback = atof(optarg);
			break;
		case OPT_NOW:
			a->now = atoll(optarg);
			break;
		case OPT_POS:
			a->pos = optarg;
			break;
		case OPT_TOTALS:
			a->totals = 1;
			break;
		default:
			return usage("unknown option");
		}
	}
	if (optind != argc - 1)
		return usage("one LOG expected");
	a->log = argv[optind];
	return 0;
}

static void print(const struct args *a, const struct sample *b, size_t n,
                  const struct accesslog_stats *st)
{
	double req = 0, errs = 0;

	for (size_t i = 0; i < n; i++) {
		if (!a->totals)
			printf("bucket %lld %.0f %.0f\n", (long long)b[i].t, b[i].capacity,
			       b[i].value);
		req += b[i].capacity;
		errs += b[i].value;
	}
	printf("total %.0f %.0f\n", req, errs);
	printf("stats lines=%llu bad=%llu bytes=%llu rotated=%d truncated=%d first_run=%d\n",
	       (unsigned long long)st->lines, (unsigned long long)st->bad_lines,
	       (unsigned long long)st->bytes, st->rotated, st->truncated, st->first_run);
	if (st->note[0] != '\0')
		printf("note %s\n", st->note);
}

int main(int argc, char **argv)
{
	struct args a;
	struct accesslog_pos pos;
	struct accesslog_stats st;
	struct sample *b;
	size_t n;
	char err[512];
	int rc = parse_args(argc, argv, &a);

	if (rc != 0)
		return rc;
	memset(&pos, 0, sizeof(pos));
	if (a.pos != NULL && accesslog_pos_load(a.pos, &pos, err, sizeof(err)) != 0) {
		fprintf(stderr, "logscan: %s\n", err);
		return 1;
	}
	if (accesslog_read(a.log, &a.spec, &pos, a.now, a.lookback, &b, &n, &st, err,
	                   sizeof(err)) != 0) {
		fprintf(stderr, "logscan: %s\n", err);
		return 1;
	}
	print(&a, b, n, &st);
	free(b);
	if (a.pos != NULL && accesslog_pos_save(a.pos, &pos, err, sizeof(err)) != 0) {
		fprintf(stderr, "logscan: %s\n", err);
		return 1;
	}
	return 0;
}
