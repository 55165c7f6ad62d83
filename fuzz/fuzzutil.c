/*
 * fuzzutil.c - helpers of the libFuzzer targets (see fuzzutil.h).
 *
 * The scratch directory is per process, so that libFuzzer's -jobs/-fork
 * workers never share files; it is made lazily because a fork worker calls
 * LLVMFuzzerTestOneInput only in the child.
 */
#include "fuzzutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char scratch[PATH_MAX]; /* fuzz_dir(), "" until made */
static char pathbuf[PATH_MAX]; /* fuzz_path()'s answer */

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: contract broken: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

uint8_t *fuzz_copy(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size > 0 ? size : 1);

	if (p == NULL)
		fuzz_fail(__FILE__, __LINE__, "malloc", "%zu bytes", size);
	if (size > 0)
		memcpy(p, data, size);
	return p;
}

char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		fuzz_fail(__FILE__, __LINE__, "malloc", "%zu bytes", size + 1);
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void fuzz_clear_dir(void)
{
	DIR *d;
	struct dirent *de;

	if (scratch[0] == '\0' || (d = opendir(scratch)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

static void remove_dir(void)
{
	fuzz_clear_dir();
	rmdir(scratch);
}

const char *fuzz_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	if (scratch[0] != '\0')
		return scratch;
	snprintf(scratch, sizeof scratch, "%s/trendtrap-fuzz-XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(scratch) == NULL)
		fuzz_fail(__FILE__, __LINE__, "mkdtemp", "%s: %s", scratch, strerror(errno));
	atexit(remove_dir);
	return scratch;
}

const char *fuzz_path(const char *name)
{
	snprintf(pathbuf, sizeof pathbuf, "%s/%s", fuzz_dir(), name);
	return pathbuf;
}

void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t done = 0;

	if (fd < 0)
		fuzz_fail(__FILE__, __LINE__, "open", "%s: %s", path, strerror(errno));
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			fuzz_fail(__FILE__, __LINE__, "write", "%s: %s", path, strerror(errno));
		done += (size_t)w;
	}
	close(fd);
}
