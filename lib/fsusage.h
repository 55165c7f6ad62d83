/*
 * fsusage.h - local filesystems: the mount table and space/inode usage.
 *
 * Probes take paths (the mount table file, the mount point) so tests can use
 * fixtures. Usage of a network filesystem is read in a child process, so a
 * hung NFS/CIFS server blocks only the child: the caller's alarm() still
 * fires and the plugin can report the timeout.
 */
#ifndef TT_FSUSAGE_H
#define TT_FSUSAGE_H

#include <stdbool.h>
#include <stddef.h>

struct fs_mount {
	char *dir;     /* mount point, unescaped ("\040" -> ' ') */
	char *type;    /* "ext4", "nfs4", "fuse.sshfs" */
	char *source;  /* "/dev/vda1", "server:/export" */
	unsigned dev;  /* makedev(major, minor) of the mounted filesystem */
	bool readonly; /* the filesystem itself is read-only (its superblock options):
	                  a mount made read-only only for this view (a read-only
	                  bind, systemd's ProtectSystem=) still counts as writable */
	bool bind;     /* it shows a subdirectory of its filesystem (a bind mount) */
};

struct fs_table {
	struct fs_mount *m;
	size_t n;
};

struct fs_usage {
	double used;         /* bytes in use (blocks - free) */
	double capacity;     /* bytes usable by non-root: used + available */
	double total;        /* bytes in all (including root's reserve) */
	double inodes_used;  /* inodes in use; 0 with inodes_total 0 when the
	                        filesystem has no fixed inode count (btrfs, vfat) */
	double inodes_total; /* inodes usable: used + available */
};

/* Read a mountinfo file ("/proc/self/mountinfo") into T. Returns 0 or -1. */
int fsusage_read_mounts(const char *path, struct fs_table *t, char *err, size_t errlen);

/* Free what fsusage_read_mounts allocated; T may be empty. */
void fsusage_free_mounts(struct fs_table *t);

/* True for pseudo filesystems that hold no user data (proc, sysfs, cgroup,
 * tmpfs, devtmpfs, read-only images such as squashfs...). */
bool fsusage_is_pseudo(const char *type);

/* True for network filesystems, whose statvfs may hang (nfs, cifs, fuse.*...). */
bool fsusage_is_network(const char *type);

/* True when TYPE is named in the comma-free list EXCLUDE[0..N). */
bool fsusage_type_in(const char *type, char *const *exclude, size_t n);

/* The mount that holds PATH: the last-mounted entry whose directory is PATH
 * itself (without touching the filesystem, so a hung network mount given by
 * its mount point cannot block), else the longest component-wise prefix of
 * PATH's real path. Returns its index, or -1 with a reason in ERR. */
long fsusage_find(const struct fs_table *t, const char *path, char *err, size_t errlen);

/* Space and inode usage of the filesystem mounted at DIR, of type TYPE.
 * Returns 0 or -1 with a reason in ERR. */
int fsusage_stat(const char *dir, const char *type, struct fs_usage *u, char *err, size_t errlen);

#endif
