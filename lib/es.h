/*
 * es.h - requests and errors per time bucket from Elasticsearch, in one
 * _search with size 0 and a date_histogram aggregation.
 *
 * The HTTP and JSON work is done by libcurl and json-c inside the loadable
 * module trendtrap-es.so (lib/es_module.c). Loading them costs more than a
 * whole local plugin run, so this file does not link them: es_fetch()
 * dlopen()s the module, and a check reading a local log never pays for it.
 * The module is found at $TRENDTRAP_ES_MODULE, else at the installed path
 * (TT_ES_MODULE, when that file exists), else at <directory of the
 * executable>/../lib/trendtrap-es.so (the build tree).
 */
#ifndef TT_ES_H
#define TT_ES_H

#include <stddef.h>
#include <stdint.h>

#include "sample.h"
#include "statusset.h"

/* Where and what to ask. Strings are borrowed; NULL or "" means absent. */
struct es_source {
	const char *url;                /* "http://127.0.0.1:9200" or "https://...", maybe
	                                   with a path prefix; no query or fragment */
	const char *index;              /* index pattern: "logs-*", "a,b", "-x", "remote:logs" */
	const char *query;              /* query_string syntax ("service:api"); NULL = all */
	const char *time_field;         /* "@timestamp" when NULL */
	const char *status_field;       /* "status" when NULL */
	const struct statusset *errors; /* statuses counted as errors; at least one */
	const char *ca_file;            /* PEM CA bundle for https; NULL = the system's */
	const char *user;               /* basic auth with PASSWORD (NULL = "") */
	const char *password;           /* secret: the caller reads it from a file/env */
	const char *api_key;            /* secret: "Authorization: ApiKey KEY"; not with USER */
	double timeout;                 /* seconds for the whole request; <= 0 means 10 */
};

/* One _search: per-bucket counts for [FROM, TO) (unix seconds), BUCKET
 * seconds each, buckets aligned to multiples of BUCKET (an unaligned FROM or
 * TO gives partial first/last buckets). *OUT (malloc'ed, free() it, *N
 * entries) holds one sample per bucket, empty ones included, sorted by time:
 * t = bucket start, capacity = requests, value = errors. Returns 0, or -1
 * with one line in ERR naming Elasticsearch's own reason and type and the
 * HTTP status ("Elasticsearch: no such index [x] (index_not_found_exception,
 * HTTP 404)"), or the transport failure with curl's words (timeout, TLS).
 * Secrets never appear in ERR. */
int es_fetch(const struct es_source *s, int64_t from, int64_t to, int bucket, struct sample **out,
             size_t *n, char *err, size_t errlen);

#endif
