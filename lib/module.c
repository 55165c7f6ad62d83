/*
 * module.c - where trendtrap's loadable modules are, and loading them.
 */
#include "module.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"

/* <directory of the running executable>/../lib/FILE */
static int beside_exe(const char *file, char *path, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	snprintf(path, len, "%s/../lib/%s", exe, file);
	return 0;
}

void module_path(const struct module_spec *m, char *path, size_t len)
{
	const char *env = getenv(m->env);

	if (env != NULL && env[0] != '\0')
		snprintf(path, len, "%s", env);
	else if (m->installed != NULL && access(m->installed, F_OK) == 0)
		snprintf(path, len, "%s", m->installed);
	else if (beside_exe(m->file, path, len) != 0)
		snprintf(path, len, "%s", m->file);
}

void *module_open(const struct module_spec *m, const void **ops, char *path, size_t pathlen,
                  char *err, size_t errlen)
{
	void *dl;
	const char *why;

	*ops = NULL;
	module_path(m, path, pathlen);
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (dl == NULL) {
		const char *env = getenv(m->env);

		why = dlerror();
		if ((env == NULL || env[0] == '\0') && m->installed != NULL &&
		    access(path, F_OK) != 0)
			/* Neither installed nor beside the program: name the
			 * installed place, where it belongs. */
			errbuf_fail(err, errlen,
			            "cannot load the %s module: %s is missing (set %s to its path)",
			            m->what, m->installed, m->env);
		else
			errbuf_fail(err, errlen, "cannot load the %s module: %s (set %s to its path)",
			            m->what, why != NULL ? why : path, m->env);
		return NULL;
	}
	*ops = dlsym(dl, m->symbol);
	return dl;
}
