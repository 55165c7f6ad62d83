/*
 * es_module.h - the interface between es.c and the Elasticsearch module
 * trendtrap-es.so (es_module.c). Nothing else includes this, except the unit
 * test, which links es_module.c directly and calls the pure steps.
 *
 * The module exports one symbol, ES_MODULE_SYMBOL: a const struct es_module.
 * It uses nothing from libtrendtrap.a: the types in es.h, sample.h and
 * statusset.h are its whole contract, and the sizes below catch a module
 * built from other headers.
 */
#ifndef TT_ES_MODULE_H
#define TT_ES_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include "es.h"

/* Bump on any change to the struct below or to the types it uses. */
#define ES_MODULE_VERSION 1
#define ES_MODULE_SYMBOL  "trendtrap_es_module"

#define ES_MAX_BUCKETS  100000             /* buckets one es_fetch returns at most */
#define ES_MAX_RESPONSE (16 * 1024 * 1024) /* bytes of response body read at most */

struct es_module {
	uint32_t version;        /* ES_MODULE_VERSION */
	uint32_t source_size;    /* sizeof(struct es_source) in the module's build */
	uint32_t sample_size;    /* sizeof(struct sample) */
	uint32_t statusset_size; /* sizeof(struct statusset) */
	/* es_fetch() itself: the steps below plus the HTTP request. */
	int (*fetch)(const struct es_source *s, int64_t from, int64_t to, int bucket,
	             struct sample **out, size_t *n, char *err, size_t errlen);
	/* The request URL, {url}/{index, percent-encoded}/_search?size=0, into
	 * BUF. Returns 0, or -1 for a bad URL or index pattern. */
	int (*url)(const struct es_source *s, char *buf, size_t len, char *err, size_t errlen);
	/* The request body (malloc'ed JSON text), or NULL with ERR set. */
	char *(*body)(const struct es_source *s, int64_t from, int64_t to, int bucket, char *err,
	              size_t errlen);
	/* Turn an HTTP STATUS and response BODY[0..LEN) into buckets as es_fetch
	 * returns them, or its error message. */
	int (*parse)(const struct es_source *s, long status, const char *body, size_t len,
	             int64_t from, int64_t to, int bucket, struct sample **out, size_t *n,
	             char *err, size_t errlen);
};

/* The module's one exported symbol (ES_MODULE_SYMBOL). */
extern const struct es_module trendtrap_es_module;

#endif
