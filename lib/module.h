/*
 * module.h - find and load one of trendtrap's own loadable modules (the
 * net-snmp and Elasticsearch code), so that programs link libnetsnmp,
 * libcurl and json-c only when a check needs them.
 */
#ifndef TT_MODULE_H
#define TT_MODULE_H

#include <stddef.h>

/* Which module, and where it may be. */
struct module_spec {
	const char *file;      /* "trendtrap-es.so" */
	const char *env;       /* "TRENDTRAP_ES_MODULE": an explicit path wins */
	const char *installed; /* the installed path, used when it exists; NULL = none */
	const char *symbol;    /* the ops table the module exports */
	const char *what;      /* "Elasticsearch", for messages */
};

/* Pick the module's path into PATH: $ENV, else INSTALLED when that file
 * exists, else <directory of the executable>/../lib/FILE (the build tree). */
void module_path(const struct module_spec *m, char *path, size_t len);

/* dlopen() the module (RTLD_NODELETE: its libraries keep process-wide state
 * and are never unloaded) and look up its symbol. Returns the handle, with
 * *OPS = the symbol (NULL when the module lacks it: the caller says what
 * does not match) and PATH = where it was found; or NULL with "cannot load
 * the WHAT module: <why> (set ENV to its path)" in ERR. dlclose() it. */
void *module_open(const struct module_spec *m, const void **ops, char *path, size_t pathlen,
                  char *err, size_t errlen);

#endif
