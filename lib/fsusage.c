/*
 * fsusage.c - the mount table (/proc/self/mountinfo) and statvfs(3) usage.
 *
 * Used percent follows df: used / (used + available to non-root), so a disk
 * is "full" when ordinary processes can write no more, even if root's reserve
 * is left.
 */
#include "fsusage.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const pseudo_types[] = {
        "proc",       "sysfs",      "devtmpfs", "tmpfs",      "devpts",          "cgroup",
        "cgroup2",    "securityfs", "pstore",   "bpf",        "debugfs",         "tracefs",
        "mqueue",     "hugetlbfs",  "configfs", "fusectl",    "binfmt_misc",     "autofs",
        "rpc_pipefs", "nsfs",       "ramfs",    "efivarfs",   "selinuxfs",       "squashfs",
        "iso9660",    "nfsd",       "rootfs",   "fuse.lxcfs", "fuse.gvfsd-fuse", "fuse.portal",
        NULL,
};

static const char *const network_types[] = {
        "nfs",       "nfs4", "cifs",   "smb3", "smbfs", "ncpfs", "afs", "ceph",
        "glusterfs", "9p",   "lustre", "gfs2", "ocfs2", "davfs", NULL,
};

static bool in_list(const char *type, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(type, *list) == 0)
			return true;
	return false;
}

bool fsusage_is_pseudo(const char *type)
{
	return in_list(type, pseudo_types);
}

bool fsusage_is_network(const char *type)
{
	return in_list(type, network_types) || strncmp(type, "fuse.", 5) == 0 ||
	       strcmp(type, "fuse") == 0;
}

bool fsusage_type_in(const char *type, char *const *exclude, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(type, exclude[i]) == 0)
			return true;
	return false;
}

/* Undo mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
static void unescape(char *s)
{
	char *out = s;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

static bool has_option(const char *opts, const char *want)
{
	size_t wl = strlen(want);

	for (const char *p = opts; p != NULL && *p != '\0';) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == wl && strncmp(p, want, wl) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

/* Split LINE into at most MAX space-separated fields in place. */
static size_t split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *tok = strtok_r(line, " \n", &save); tok != NULL && n < max;
	     tok = strtok_r(NULL, " \n", &save))
		f[n++] = tok;
	return n;
}

/* Parse one mountinfo line into M. Returns 0, or -1 when it is malformed. */
static int parse_mount_line(char *line, struct fs_mount *m)
{
	char *f[64];
	size_t n = split_fields(line, f, 64), sep;
	unsigned maj, min;

	for (sep = 6; sep < n && strcmp(f[sep], "-") != 0; sep++)
		;
	if (n < 10 || sep + 3 > n || sscanf(f[2], "%u:%u", &maj, &min) != 2)
		return -1;
	unescape(f[4]);
	unescape(f[sep + 2]);
	m->dir = strdup(f[4]);
	m->type = strdup(f[sep + 1]);
	m->source = strdup(f[sep + 2]);
	m->dev = (unsigned)makedev(maj, min);
	m->readonly = has_option(f[sep + 3], "ro");
	m->bind = strcmp(f[3], "/") != 0;
	if (m->dir == NULL || m->type == NULL || m->source == NULL) {
		free(m->dir);
		free(m->type);
		free(m->source);
		return -1;
	}
	return 0;
}

static int add_mount(struct fs_table *t, const struct fs_mount *m, size_t *cap)
{
	if (t->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct fs_mount *nm = realloc(t->m, ncap * sizeof(*nm));

		if (nm == NULL)
			return -1;
		t->m = nm;
		*cap = ncap;
	}
	t->m[t->n++] = *m;
	return 0;
}

int fsusage_read_mounts(const char *path, struct fs_table *t, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[8192];
	size_t cap = 0, lineno = 0;
	struct fs_mount m;

	t->m = NULL;
	t->n = 0;
	if (f == NULL) {
		snprintf(err, errlen, "cannot read the mount table %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (parse_mount_line(line, &m) != 0) {
			snprintf(err, errlen, "%s:%zu: malformed mount table line", path, lineno);
			goto fail;
		}
		if (add_mount(t, &m, &cap) != 0) {
			snprintf(err, errlen, "out of memory reading %s", path);
			goto fail;
		}
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	fsusage_free_mounts(t);
	return -1;
}

void fsusage_free_mounts(struct fs_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->m[i].dir);
		free(t->m[i].type);
		free(t->m[i].source);
	}
	free(t->m);
	t->m = NULL;
	t->n = 0;
}

/* Length of DIR when it is a component-wise prefix of PATH, else 0 ("/" is 1). */
static size_t prefix_len(const char *dir, const char *path)
{
	size_t dl = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return 1;
	if (strncmp(dir, path, dl) != 0 || (path[dl] != '\0' && path[dl] != '/'))
		return 0;
	return dl;
}

/* The last mount whose directory is exactly PATH, or -1. */
static long exact_mount(const struct fs_table *t, const char *path)
{
	for (size_t i = t->n; i > 0; i--)
		if (strcmp(t->m[i - 1].dir, path) == 0)
			return (long)(i - 1);
	return -1;
}

long fsusage_find(const struct fs_table *t, const char *path, char *err, size_t errlen)
{
	char real[PATH_MAX];
	size_t best_len = 0;
	long best = exact_mount(t, path);

	/* A mount point given as such needs no realpath(), which would stat
	 * every component and hang on a dead network server. */
	if (best >= 0)
		return best;
	if (realpath(path, real) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t len = prefix_len(t->m[i].dir, real);

		if (len > 0 && len >= best_len) {
			best_len = len;
			best = (long)i;
		}
	}
	if (best < 0)
		snprintf(err, errlen, "%s: no mounted filesystem holds it", path);
	return best;
}

static void usage_from_statvfs(const struct statvfs *v, struct fs_usage *u)
{
	double fr = (double)v->f_frsize;
	double used_blocks = (double)v->f_blocks - (double)v->f_bfree;
	double used_inodes = (double)v->f_files - (double)v->f_ffree;

	u->used = used_blocks * fr;
	u->capacity = (used_blocks + (double)v->f_bavail) * fr;
	u->total = (double)v->f_blocks * fr;
	if (v->f_files == 0) {
		u->inodes_used = 0;
		u->inodes_total = 0;
	} else {
		u->inodes_used = used_inodes;
		u->inodes_total = used_inodes + (double)v->f_favail;
	}
}

/* statvfs in a child, so a hung network server blocks only the child. */
static int statvfs_in_child(const char *dir, struct statvfs *v, int *child_errno)
{
	int fd[2], status;
	struct {
		int err;
		struct statvfs v;
	} msg;
	pid_t pid;
	ssize_t got;

	if (pipe(fd) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		close(fd[0]);
		memset(&msg, 0, sizeof(msg));
		msg.err = statvfs(dir, &msg.v) == 0 ? 0 : errno;
		_exit(write(fd[1], &msg, sizeof(msg)) == (ssize_t)sizeof(msg) ? 0 : 1);
	}
	close(fd[1]);
	got = read(fd[0], &msg, sizeof(msg));
	close(fd[0]);
	waitpid(pid, &status, 0);
	if (got != (ssize_t)sizeof(msg))
		return -1;
	*child_errno = msg.err;
	*v = msg.v;
	return 0;
}

int fsusage_stat(const char *dir, const char *type, struct fs_usage *u, char *err, size_t errlen)
{
	struct statvfs v;
	int e = 0;

	if (fsusage_is_network(type)) {
		if (statvfs_in_child(dir, &v, &e) != 0) {
			snprintf(err, errlen, "%s: cannot run statvfs in a child: %s", dir,
			         strerror(errno));
			return -1;
		}
	} else if (statvfs(dir, &v) != 0) {
		e = errno;
	}
	if (e != 0) {
		snprintf(err, errlen, "%s: statvfs: %s", dir, strerror(e));
		return -1;
	}
	usage_from_statvfs(&v, u);
	return 0;
}
