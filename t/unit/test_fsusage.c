/*
 * test_fsusage.c - the mount table parser and filesystem classification.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/sysmacros.h>
#include <stdlib.h>
#include <unistd.h>

#include "fsusage.h"

#define FIXTURE "t/fixtures/mountinfo"

static void reads_every_mount_with_type_source_and_device(void **state)
{
	struct fs_table t;
	char err[256];

	(void)state;
	assert_int_equal(fsusage_read_mounts(FIXTURE, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 13);
	assert_string_equal(t.m[4].dir, "/");
	assert_string_equal(t.m[4].type, "ext4");
	assert_string_equal(t.m[4].source, "/dev/vda");
	assert_int_equal(t.m[4].dev, makedev(254, 0));
	assert_false(t.m[4].readonly);
	fsusage_free_mounts(&t);
}

static void unescapes_spaces_in_mount_points(void **state)
{
	struct fs_table t;
	char err[256];

	(void)state;
	assert_int_equal(fsusage_read_mounts(FIXTURE, &t, err, sizeof(err)), 0);
	assert_string_equal(t.m[8].dir, "/mnt/my disk");
	fsusage_free_mounts(&t);
}

static void sees_read_only_mounts(void **state)
{
	struct fs_table t;
	char err[256];

	(void)state;
	assert_int_equal(fsusage_read_mounts(FIXTURE, &t, err, sizeof(err)), 0);
	assert_true(t.m[7].readonly);  /* squashfs snap */
	assert_true(t.m[9].readonly);  /* /backup ro */
	assert_false(t.m[5].readonly); /* /var */
	/* Read-only for this mount only (a read-only bind, systemd's
	 * ProtectSystem=strict) on a writable filesystem: still watched. */
	assert_false(t.m[12].readonly); /* /usr */
	fsusage_free_mounts(&t);
}

static void sees_bind_mounts(void **state)
{
	struct fs_table t;
	char err[256];

	(void)state;
	assert_int_equal(fsusage_read_mounts(FIXTURE, &t, err, sizeof(err)), 0);
	assert_true(t.m[6].bind);  /* /srv/log shows /log of /dev/vdb */
	assert_false(t.m[5].bind); /* /var is /dev/vdb's root */
	assert_false(t.m[4].bind); /* / */
	fsusage_free_mounts(&t);
}

static void a_missing_table_is_an_error_naming_it(void **state)
{
	struct fs_table t;
	char err[256];

	(void)state;
	assert_int_equal(fsusage_read_mounts("t/fixtures/no-such-file", &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no-such-file"));
}

static void a_malformed_table_names_the_line(void **state)
{
	struct fs_table t;
	char err[256], path[] = "/tmp/tt-mountinfo-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "27 1 254:0 / / rw - ext4 /dev/vda rw\ngarbage\n", 45), 45);
	close(fd);
	assert_int_equal(fsusage_read_mounts(path, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: malformed"));
	unlink(path);
}

static void classifies_pseudo_and_network_filesystems(void **state)
{
	(void)state;
	assert_true(fsusage_is_pseudo("proc"));
	assert_true(fsusage_is_pseudo("tmpfs"));
	assert_true(fsusage_is_pseudo("cgroup2"));
	assert_true(fsusage_is_pseudo("squashfs"));
	assert_false(fsusage_is_pseudo("ext4"));
	assert_false(fsusage_is_pseudo("xfs"));
	assert_false(fsusage_is_pseudo("overlay"));
	assert_true(fsusage_is_network("nfs4"));
	assert_true(fsusage_is_network("cifs"));
	assert_true(fsusage_is_network("fuse.sshfs"));
	assert_false(fsusage_is_network("ext4"));
}

static void finds_the_mount_holding_a_path(void **state)
{
	struct fs_table t;
	char err[256];

	(void)state;
	assert_int_equal(fsusage_read_mounts("/proc/self/mountinfo", &t, err, sizeof(err)), 0);
	long i = fsusage_find(&t, "/proc/self", err, sizeof(err));
	assert_true(i >= 0);
	assert_string_equal(t.m[i].dir, "/proc");
	i = fsusage_find(&t, "/", err, sizeof(err));
	assert_true(i >= 0);
	assert_string_equal(t.m[i].dir, "/");
	assert_int_equal(fsusage_find(&t, "/no/such/path", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/no/such/path"));
	fsusage_free_mounts(&t);
}

/* A mount point named as such is found in the table alone: /net/home does not
 * exist here, so realpath() (which would hang on a dead NFS server) cannot
 * have been used. */
static void finds_a_mount_point_without_touching_it(void **state)
{
	struct fs_table t;
	char err[256];

	(void)state;
	assert_int_equal(fsusage_read_mounts(FIXTURE, &t, err, sizeof(err)), 0);
	long i = fsusage_find(&t, "/net/home", err, sizeof(err));
	assert_int_equal(i, 10);
	assert_string_equal(t.m[i].type, "nfs4");
	fsusage_free_mounts(&t);
}

static void reads_usage_of_the_root_filesystem(void **state)
{
	struct fs_usage u;
	char err[256];

	(void)state;
	assert_int_equal(fsusage_stat("/", "ext4", &u, err, sizeof(err)), 0);
	assert_true(u.capacity > 0);
	assert_true(u.used <= u.capacity);
	assert_true(u.capacity <= u.total);
	/* the same through the child process used for network filesystems */
	struct fs_usage c;
	assert_int_equal(fsusage_stat("/", "nfs4", &c, err, sizeof(err)), 0);
	assert_true(c.total == u.total);
	assert_int_equal(fsusage_stat("/no/such", "nfs4", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

static void type_exclusion_matches_whole_names(void **state)
{
	char *ex[] = {"nfs4", "xfs"};

	(void)state;
	assert_true(fsusage_type_in("xfs", ex, 2));
	assert_false(fsusage_type_in("nfs", ex, 2));
	assert_false(fsusage_type_in("ext4", ex, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(reads_every_mount_with_type_source_and_device),
	        cmocka_unit_test(unescapes_spaces_in_mount_points),
	        cmocka_unit_test(sees_read_only_mounts),
	        cmocka_unit_test(sees_bind_mounts),
	        cmocka_unit_test(a_missing_table_is_an_error_naming_it),
	        cmocka_unit_test(a_malformed_table_names_the_line),
	        cmocka_unit_test(classifies_pseudo_and_network_filesystems),
	        cmocka_unit_test(finds_the_mount_holding_a_path),
	        cmocka_unit_test(finds_a_mount_point_without_touching_it),
	        cmocka_unit_test(reads_usage_of_the_root_filesystem),
	        cmocka_unit_test(type_exclusion_matches_whole_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
