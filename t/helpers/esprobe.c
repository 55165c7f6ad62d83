/*
 * esprobe - test driver for the Elasticsearch source: options -> es_fetch().
 *
 * Usage: esprobe --es-url URL --index PATTERN [--query Q] [--time-field F]
 *                [--status-field F] [--errors SET] [--ca-file FILE]
 *                [--user USER] [-t SECONDS] FROM TO BUCKET
 *
 * The password and the API key come from TRENDTRAP_ES_PASSWORD and
 * TRENDTRAP_ES_API_KEY, as in check_error_trend. Prints one line per bucket,
 * "START REQUESTS ERRORS"; a failure prints "ESPROBE UNKNOWN - message" and
 * exits 3.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es.h"
#include "statusset.h"

static void usage_fail(const char *why)
{
	printf("ESPROBE UNKNOWN - %s\n", why);
	exit(3);
}

static int64_t number(const char *text)
{
	char *end;
	long long v = strtoll(text, &end, 10);

	if (*text == '\0' || *end != '\0')
		usage_fail("FROM, TO and BUCKET are integers");
	return v;
}

static void parse(int argc, char **argv, struct es_source *s, struct statusset *errors)
{
	static const struct option opts[] = {
	        {"es-url", required_argument, NULL, 'u'},
	        {"index", required_argument, NULL, 'i'},
	        {"query", required_argument, NULL, 'q'},
	        {"time-field", required_argument, NULL, 'T'},
	        {"status-field", required_argument, NULL, 'S'},
	        {"errors", required_argument, NULL, 'e'},
	        {"ca-file", required_argument, NULL, 'c'},
	        {"user", required_argument, NULL, 'U'},
	        {"timeout", required_argument, NULL, 't'},
	        {NULL, 0, NULL, 0},
	};
	char err[256];
	int opt;

	statusset_parse("500-599", errors, err, sizeof(err));
	while ((opt = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			s->url = optarg;
			break;
		case 'i':
			s->index = optarg;
			break;
		case 'q':
			s->query = optarg;
			break;
		case 'T':
			s->time_field = optarg;
			break;
		case 'S':
			s->status_field = optarg;
			break;
		case 'c':
			s->ca_file = optarg;
			break;
		case 'U':
			s->user = optarg;
			break;
		case 't':
			s->timeout = atof(optarg);
			break;
		case 'e':
			if (statusset_parse(optarg, errors, err, sizeof(err)) != 0)
				usage_fail(err);
			break;
		default:
			usage_fail("bad option");
		}
	}
	if (optind + 3 != argc)
		usage_fail("usage: esprobe --es-url URL --index PATTERN [options] FROM TO BUCKET");
}

int main(int argc, char **argv)
{
	struct statusset errors;
	struct es_source s = {.timeout = 10};
	struct sample *b;
	size_t n;
	char err[1024];

	parse(argc, argv, &s, &errors);
	s.errors = &errors;
	s.password = getenv("TRENDTRAP_ES_PASSWORD");
	s.api_key = getenv("TRENDTRAP_ES_API_KEY");
	if (es_fetch(&s, number(argv[optind]), number(argv[optind + 1]),
	             (int)number(argv[optind + 2]), &b, &n, err, sizeof(err)) != 0)
		usage_fail(err);
	for (size_t i = 0; i < n; i++)
		printf("%lld %.0f %.0f\n", (long long)b[i].t, b[i].capacity, b[i].value);
	free(b);
	return 0;
}
