/*
 * test_atomicfile.c - whole-file replacement: content, mode, errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"

static int setup(void **state)
{
	char *dir = strdup("/tmp/tt-atomic-XXXXXX");

	if (dir == NULL || mkdtemp(dir) == NULL)
		return -1;
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	char *dir = *state, path[256];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_name[0] != '.')
			unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
	free(dir);
	return 0;
}

static void read_back(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static size_t entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t n = 0;

	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void writes_then_replaces_the_content(void **state)
{
	char path[256], buf[64], err[256];

	snprintf(path, sizeof(path), "%s/f", (char *)*state);
	assert_int_equal(atomicfile_write(path, "first\n", 6, true, err, sizeof(err)), 0);
	read_back(path, buf, sizeof(buf));
	assert_string_equal(buf, "first\n");
	assert_int_equal(atomicfile_write(path, "second", 6, false, err, sizeof(err)), 0);
	read_back(path, buf, sizeof(buf));
	assert_string_equal(buf, "second");
	assert_int_equal(entries(*state), 1); /* no temp file left behind */
}

static void the_file_is_private(void **state)
{
	char path[256], err[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/secret", (char *)*state);
	assert_int_equal(atomicfile_write(path, "x", 1, true, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void a_missing_directory_is_an_error_naming_the_path(void **state)
{
	char path[256], err[256] = "";

	snprintf(path, sizeof(path), "%s/no/such/dir/f", (char *)*state);
	assert_int_equal(atomicfile_write(path, "x", 1, true, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_int_equal(atomicfile_sync_dir("/no/such/dir", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/no/such/dir"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(writes_then_replaces_the_content, setup, teardown),
	        cmocka_unit_test_setup_teardown(the_file_is_private, setup, teardown),
	        cmocka_unit_test_setup_teardown(a_missing_directory_is_an_error_naming_the_path,
	                                        setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
