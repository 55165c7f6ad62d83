/*
 * es.c - the Elasticsearch source, through the module that links libcurl
 * and json-c (es_module.c), loaded on each es_fetch(): dlopen() of a module
 * already loaded costs a lookup, and no handle outlives the call.
 */
#include "es.h"

#include <dlfcn.h>
#include <limits.h>

#include "errbuf.h"
#include "es_module.h"
#include "module.h"

static const struct module_spec es_spec = {
        .file = "trendtrap-es.so",
        .env = "TRENDTRAP_ES_MODULE",
#ifdef TT_ES_MODULE
        .installed = TT_ES_MODULE,
#endif
        .symbol = ES_MODULE_SYMBOL,
        .what = "Elasticsearch",
};

/* True when M was built from the same headers as this program. */
static int matches(const struct es_module *m)
{
	return m != NULL && m->version == ES_MODULE_VERSION &&
	       m->source_size == sizeof(struct es_source) &&
	       m->sample_size == sizeof(struct sample) &&
	       m->statusset_size == sizeof(struct statusset);
}

int es_fetch(const struct es_source *s, int64_t from, int64_t to, int bucket, struct sample **out,
             size_t *n, char *err, size_t errlen)
{
	char path[PATH_MAX + 64];
	const void *ops;
	const struct es_module *m;
	void *dl = module_open(&es_spec, &ops, path, sizeof(path), err, errlen);
	int rc;

	*out = NULL;
	*n = 0;
	if (dl == NULL)
		return -1;
	m = ops;
	if (!matches(m)) {
		rc = errbuf_fail(err, errlen,
		                 "the Elasticsearch module %s does not match this program "
		                 "(version %u, want %u): reinstall trendtrap",
		                 path, m != NULL ? (unsigned)m->version : 0u, ES_MODULE_VERSION);
	} else {
		rc = m->fetch(s, from, to, bucket, out, n, err, errlen);
	}
	dlclose(dl);
	return rc;
}
