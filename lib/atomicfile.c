/*
 * atomicfile.c - whole-file replacement by temp file and rename.
 */
#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int atomicfile_sync_dir(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), e;

	if (fd < 0 || fsync(fd) != 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		return errbuf_fail(err, errlen, "cannot sync directory %s: %s", dir, strerror(e));
	}
	close(fd);
	return 0;
}

/* The directory part of PATH into DIR ("." when there is none). */
static int dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash == NULL ? 0 : (size_t)(slash - path);

	if (slash == NULL)
		return snprintf(dir, len, ".") < (int)len ? 0 : -1;
	if (n == 0)
		n = 1; /* "/file" */
	if (n >= len)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

int atomicfile_write(const char *path, const void *data, size_t len, bool sync, char *err,
                     size_t errlen)
{
	char tmp[PATH_MAX + 16], dir[PATH_MAX];
	bool bad;
	int fd, e;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp) ||
	    dir_of(path, dir, sizeof(dir)) != 0)
		return errbuf_fail(err, errlen, "%s: path too long", path);
	fd = mkostemp(tmp, O_CLOEXEC); /* O_EXCL, mode 0600 */
	if (fd < 0)
		return errbuf_fail(err, errlen, "cannot create a file beside %s: %s", path,
		                   strerror(errno));
	bad = write_all(fd, data, len) != 0 || (sync && fsync(fd) != 0);
	e = errno;
	if (close(fd) != 0 && !bad) {
		bad = true;
		e = errno;
	}
	if (bad) {
		unlink(tmp);
		return errbuf_fail(err, errlen, "cannot write %s: %s", tmp, strerror(e));
	}
	if (rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		return errbuf_fail(err, errlen, "cannot rename %s to %s: %s", tmp, path,
		                   strerror(e));
	}
	return sync ? atomicfile_sync_dir(dir, err, errlen) : 0;
}
