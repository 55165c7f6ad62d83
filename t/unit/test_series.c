/*
 * test_series.c - the history store: round trips, the since filter, ordering,
 * retention, concurrent writers, kill -9 mid-write, torn and corrupt files,
 * key encoding and the state directory. Every test works in a fresh mkdtemp
 * directory and asserts on what was actually stored.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "series.h"

#define HDR 64
#define REC 24

static const struct series_retention keep_all = {0, 0};

/* ---- helpers ---- */

static int setup(void **state)
{
	char *dir = strdup("/tmp/tt-series-XXXXXX");

	if (dir == NULL || mkdtemp(dir) == NULL)
		return -1;
	*state = dir;
	return 0;
}

/* rm -r DIR. */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) != 0)
			remove_tree(path);
	}
	closedir(d);
	rmdir(dir);
}

static int teardown(void **state)
{
	remove_tree(*state);
	free(*state);
	return 0;
}

static struct series *open_write(const char *dir, const char *key)
{
	struct series *s = NULL;
	char notice[512] = "x", err[512] = "";

	if (series_open(dir, key, SERIES_WRITE, &s, notice, sizeof(notice), err, sizeof(err)) != 0)
		fail_msg("open %s for writing: %s", key, err);
	assert_string_equal(notice, "");
	return s;
}

static void add(const char *dir, const char *key, const struct sample *smp, size_t n,
                const struct series_retention *ret)
{
	struct series *s = open_write(dir, key);
	char err[512] = "";

	if (series_add(s, smp, n, ret, err, sizeof(err)) != 0)
		fail_msg("add to %s: %s", key, err);
	series_close(s);
}

static void add1(const char *dir, const char *key, int64_t t, double v,
                 const struct series_retention *ret)
{
	struct sample smp = {t, v, 100};

	add(dir, key, &smp, 1, ret);
}

/* Load the samples with t >= SINCE through a SERIES_READ open. */
static struct sample *load(const char *dir, const char *key, int64_t since, size_t *n)
{
	struct series *s = NULL;
	struct sample *v = NULL;
	char err[512] = "";

	if (series_open(dir, key, SERIES_READ, &s, NULL, 0, err, sizeof(err)) != 0)
		fail_msg("open %s for reading: %s", key, err);
	if (series_load(s, since, &v, n, err, sizeof(err)) != 0)
		fail_msg("load %s: %s", key, err);
	series_close(s);
	return v;
}

static void assert_sorted_and_sane(const struct sample *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_true(isfinite(v[i].value));
		assert_true(isfinite(v[i].capacity) && v[i].capacity >= 0);
		if (i > 0)
			assert_true(v[i - 1].t <= v[i].t);
	}
}

static char *file_of(const char *dir, const char *name)
{
	static char path[4096]; /* test code: one path at a time */

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void patch(const char *path, off_t off, const void *bytes, size_t len)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, len, off), (ssize_t)len);
	close(fd);
}

/* Number of entries in DIR whose name starts with PREFIX. */
static int count_prefixed(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

/* READ of KEY fails (at open or at load) with a reason containing WHY. */
static void assert_read_corrupt(const char *dir, const char *key, const char *why)
{
	struct series *s = NULL;
	struct sample *v = NULL;
	char err[512] = "";
	size_t n;
	int rc = series_open(dir, key, SERIES_READ, &s, NULL, 0, err, sizeof(err));

	if (rc == 0) {
		rc = series_load(s, INT64_MIN, &v, &n, err, sizeof(err));
		series_close(s);
	}
	assert_int_equal(rc, -1);
	assert_null(v);
	if (strstr(err, "corrupt") == NULL || strstr(err, why) == NULL || !strstr(err, dir))
		fail_msg("reason '%s' should say corrupt, name the file and mention '%s'", err,
		         why);
}

/* WRITE of KEY (file NAME) moves the file aside with a notice and starts empty. */
static void assert_moved_aside(const char *dir, const char *key, const char *name, const char *why)
{
	struct series *s = NULL;
	char notice[1024] = "", err[512] = "", prefix[512];

	if (series_open(dir, key, SERIES_WRITE, &s, notice, sizeof(notice), err, sizeof(err)) != 0)
		fail_msg("open for writing should recover: %s", err);
	if (!strstr(notice, "is corrupt") || !strstr(notice, why) || !strstr(notice, ".corrupt-") ||
	    !strstr(notice, "starting a new history"))
		fail_msg("notice '%s' should explain the move and mention '%s'", notice, why);
	assert_int_equal(series_count(s), 0);
	series_close(s);
	snprintf(prefix, sizeof(prefix), "%s.corrupt-", name);
	assert_int_equal(count_prefixed(dir, prefix), 1);
	assert_int_equal(file_size(file_of(dir, name)), HDR);
}

/* ---- round trip and loading ---- */

static void append_then_load_round_trips(void **state)
{
	const char *dir = *state;
	struct sample a[] = {{100, 1.5, 10}, {200, 2.25, 10}, {300, -3, 0}};
	struct sample b[] = {{300, 4e15, 8e15}, {400, 0.1, 1}};
	struct sample *v;
	size_t n;

	add(dir, "disk/h/var", a, 3, &keep_all);
	add(dir, "disk/h/var", b, 2, &keep_all);
	v = load(dir, "disk/h/var", INT64_MIN, &n);
	assert_int_equal(n, 5);
	assert_memory_equal(v, a, sizeof(a));
	assert_memory_equal(v + 3, b, sizeof(b));
	assert_int_equal(file_size(file_of(dir, "disk%2Fh%2Fvar.series")), HDR + 5 * REC);
	free(v);
}

static void read_of_a_missing_series_is_enoent(void **state)
{
	struct series *s = NULL;
	char err[256] = "";

	assert_int_equal(series_open(*state, "nope", SERIES_READ, &s, NULL, 0, err, sizeof(err)),
	                 SERIES_ENOENT);
	assert_null(s);
	assert_int_equal(count_prefixed(*state, "nope"), 0);
}

static void since_filter_finds_the_first_sample_at_or_after(void **state)
{
	const char *dir = *state;
	struct sample all[1003], *v;
	size_t n;

	for (int i = 0; i < 1000; i++)
		all[i] = (struct sample){(int64_t)i * 10, i, 1000};
	all[1000] = (struct sample){9990, 1, 1000};
	all[1001] = all[1002] = (struct sample){9990, 2, 1000};
	add(dir, "k", all, 1003, &keep_all);

	v = load(dir, "k", 505, &n);
	assert_int_equal(n, 1003 - 51);
	assert_int_equal(v[0].t, 510);
	free(v);
	v = load(dir, "k", 500, &n);
	assert_int_equal(v[0].t, 500);
	free(v);
	v = load(dir, "k", 9990, &n); /* all four duplicates, in insertion order */
	assert_int_equal(n, 4);
	assert_true(v[0].value == 999 && v[1].value == 1 && v[3].value == 2);
	free(v);
	v = load(dir, "k", INT64_MIN, &n);
	assert_int_equal(n, 1003);
	free(v);
	v = load(dir, "k", 10000, &n);
	assert_int_equal(n, 0);
	assert_null(v);
}

/* Loading reads only the tail it returns: a bad record before SINCE is not
 * even looked at (this is what makes the cost independent of file length). */
static void load_reads_only_the_requested_tail(void **state)
{
	const char *dir = *state;
	struct sample all[100], *v;
	double nan = NAN;
	size_t n;

	for (int i = 0; i < 100; i++)
		all[i] = (struct sample){i, i, 100};
	add(dir, "k", all, 100, &keep_all);
	patch(file_of(dir, "k.series"), HDR + 3 * REC + 8, &nan, sizeof(nan));
	v = load(dir, "k", 50, &n);
	assert_int_equal(n, 50);
	assert_int_equal(v[0].t, 50);
	free(v);
	assert_read_corrupt(dir, "k", "record 4 has a non-finite number");
}

static void out_of_order_add_keeps_the_file_sorted(void **state)
{
	const char *dir = *state;
	struct sample first[] = {{10, 1, 0}, {20, 1, 0}, {30, 1, 0}};
	struct sample late[] = {{25, 2, 0}, {5, 2, 0}, {20, 2, 0}};
	int64_t want_t[] = {5, 10, 20, 20, 25, 30};
	double want_v[] = {2, 1, 1, 2, 2, 1};
	struct sample *v;
	size_t n;

	add(dir, "k", first, 3, &keep_all);
	add(dir, "k", late, 3, &keep_all);
	v = load(dir, "k", INT64_MIN, &n);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(v[i].t, want_t[i]);
		assert_true(v[i].value == want_v[i]);
	}
	free(v);
	assert_int_equal(file_size(file_of(dir, "k.series")), HDR + 6 * REC);
	assert_int_equal(count_prefixed(dir, "k.series.tmp"), 0);
}

/* Temp files of a writer killed mid-rewrite are removed by the next rewrite
 * of the same series (and only of that series). */
static void a_rewrite_removes_stale_temp_files(void **state)
{
	const char *dir = *state;

	add1(dir, "k", 10, 1, &keep_all);
	close(open(file_of(dir, "k.series.tmp-AbC123"), O_CREAT | O_WRONLY, 0600));
	close(open(file_of(dir, "kk.series.tmp-AbC123"), O_CREAT | O_WRONLY, 0600));
	add1(dir, "k", 20, 1, &keep_all); /* an append leaves them */
	assert_int_equal(count_prefixed(dir, "k.series.tmp-"), 1);
	add1(dir, "k", 5, 1, &keep_all); /* a rewrite removes ours */
	assert_int_equal(count_prefixed(dir, "k.series.tmp-"), 0);
	assert_int_equal(count_prefixed(dir, "kk.series.tmp-"), 1);
}

static void bad_input_and_read_only_adds_are_refused(void **state)
{
	struct sample nan = {1, NAN, 0}, neg = {1, 1, -1}, ok = {1, 1, 1};
	struct series *s = open_write(*state, "k");
	char err[256] = "";

	assert_int_equal(series_add(s, &nan, 1, &keep_all, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a finite number"));
	assert_int_equal(series_add(s, &neg, 1, &keep_all, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "negative capacity"));
	series_close(s);
	assert_int_equal(series_open(*state, "k", SERIES_READ, &s, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(series_add(s, &ok, 1, &keep_all, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "read-only"));
	assert_int_equal(series_count(s), 0);
	series_close(s);
}

/* ---- retention ---- */

static void retention_by_age_drops_old_samples(void **state)
{
	const char *dir = *state;
	struct series_retention ret = {100, 0};
	struct sample *v;
	size_t n;

	for (int64_t t = 0; t <= 1000; t += 10) {
		add1(dir, "k", t, (double)t, &ret);
		v = load(dir, "k", INT64_MIN, &n);
		assert_int_equal(v[n - 1].t, t);
		assert_true(v[0].t >= t - 112); /* max_age + max_age/8 at most */
		free(v);
	}
	add1(dir, "k", 995, 0, &ret); /* out of order: rewrite, trimmed exactly */
	v = load(dir, "k", INT64_MIN, &n);
	assert_int_equal(v[0].t, 900);
	assert_int_equal(n, 12);
	assert_sorted_and_sane(v, n);
	free(v);
}

static void retention_by_count_keeps_the_newest(void **state)
{
	const char *dir = *state;
	struct series_retention ret = {0, 16};
	struct sample *v;
	size_t n;
	int rewrites = 0;

	for (int64_t t = 1; t <= 200; t++) {
		add1(dir, "k", t, (double)t, &ret);
		v = load(dir, "k", INT64_MIN, &n);
		assert_true(n <= 18); /* max_count + max_count/8 */
		rewrites += n == 16;
		for (size_t i = 0; i < n; i++) /* the newest, without gaps */
			assert_int_equal(v[i].t, t - (int64_t)n + 1 + (int64_t)i);
		free(v);
	}
	assert_true(rewrites > 10 && rewrites < 100); /* hysteresis: not on every add */
	add1(dir, "k", 150, 0, &ret);
	v = load(dir, "k", INT64_MIN, &n);
	assert_int_equal(n, 16);
	assert_int_equal(v[15].t, 200);
	free(v);
}

/* ---- concurrency and crashes ---- */

static void twenty_parallel_writers_lose_nothing(void **state)
{
	const char *dir = *state;
	int gate[2], status;
	pid_t pid[20];
	struct sample *v;
	size_t n;

	add1(dir, "k", 10000, 0, &keep_all); /* children mostly add out of order */
	assert_int_equal(pipe(gate), 0);
	for (int i = 0; i < 20; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			struct series *s = NULL;
			struct sample smp = {1000 + (i * 7) % 20, i, 100};
			char c, err[256];

			close(gate[1]);
			(void)!read(gate[0], &c, 1); /* all start together */
			if (series_open(dir, "k", SERIES_WRITE, &s, NULL, 0, err, sizeof(err)) !=
			            0 ||
			    series_add(s, &smp, 1, &keep_all, err, sizeof(err)) != 0)
				_exit(1);
			series_close(s);
			_exit(0);
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	v = load(dir, "k", INT64_MIN, &n);
	assert_int_equal(n, 21);
	for (int i = 0; i < 20; i++)
		assert_int_equal(v[i].t, 1000 + i);
	free(v);
}

/* A writer blocked on the lock while the holder rewrites (rename) must add to
 * the new file, not to the old, unlinked inode. The child is forked before
 * the parent opens the series: a forked child shares the parent's open file
 * descriptions, and so its locks. */
static void writer_waiting_during_a_rewrite_adds_to_the_new_file(void **state)
{
	const char *dir = *state;
	struct sample early = {5, 5, 0}, base[] = {{10, 1, 0}, {20, 1, 0}};
	char err[256] = "";
	struct series *s;
	struct sample *v;
	int gate[2], status;
	size_t n;
	pid_t pid;

	assert_int_equal(pipe(gate), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct series *c = NULL;
		struct sample late = {30, 3, 0};
		char go;

		close(gate[1]);
		if (read(gate[0], &go, 1) != 1 ||
		    series_open(dir, "k", SERIES_WRITE, &c, NULL, 0, err, sizeof(err)) != 0 ||
		    series_add(c, &late, 1, &keep_all, err, sizeof(err)) != 0)
			_exit(1);
		series_close(c);
		_exit(0);
	}
	close(gate[0]);
	s = open_write(dir, "k");
	assert_int_equal(series_add(s, base, 2, &keep_all, err, sizeof(err)), 0);
	assert_int_equal(write(gate[1], "g", 1), 1);
	close(gate[1]);
	usleep(200 * 1000); /* the child is now waiting for our lock */
	assert_int_equal(series_add(s, &early, 1, &keep_all, err, sizeof(err)), 0);
	usleep(50 * 1000);
	series_close(s);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	v = load(dir, "k", INT64_MIN, &n);
	assert_int_equal(n, 4);
	assert_true(v[0].t == 5 && v[1].t == 10 && v[2].t == 20 && v[3].t == 30);
	free(v);
}

/* A child appends (with frequent retention rewrites) until it is killed. */
static void append_forever(const char *dir, int64_t t, int ready)
{
	struct series_retention ret = {0, 40};

	for (;; t++) {
		struct series *s = NULL;
		struct sample smp = {t, (double)t, 100};
		char err[256];

		if (series_open(dir, "k", SERIES_WRITE, &s, NULL, 0, err, sizeof(err)) != 0 ||
		    series_add(s, &smp, 1, &ret, err, sizeof(err)) != 0)
			_exit(1);
		series_close(s);
		if (ready >= 0) {
			(void)!write(ready, "x", 1);
			close(ready);
			ready = -1;
		}
	}
}

static void kill_9_mid_write_leaves_a_readable_file(void **state)
{
	const char *dir = *state;
	int64_t next = 1;
	struct sample *v;
	size_t n;

	for (int round = 0; round < 8; round++) {
		int ready[2], status;
		char c;
		pid_t pid;

		assert_int_equal(pipe(ready), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(ready[0]);
			append_forever(dir, next, ready[1]);
		}
		close(ready[1]);
		assert_int_equal(read(ready[0], &c, 1), 1);
		close(ready[0]);
		usleep(1000 + round * 1500);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));

		v = load(dir, "k", INT64_MIN, &n);
		assert_true(n > 0 && n <= 45);
		assert_sorted_and_sane(v, n);
		for (size_t i = 1; i < n; i++) /* no sample lost in the middle */
			assert_int_equal(v[i].t, v[i - 1].t + 1);
		assert_true(v[n - 1].t >= next);
		next = v[n - 1].t + 1;
		free(v);
		series_close(open_write(dir, "k")); /* validates everything, no notice */
	}
}

static void torn_tail_is_ignored_then_cut(void **state)
{
	const char *dir = *state;
	struct sample a[] = {{1, 1, 1}, {2, 2, 2}, {3, 3, 3}}, *v;
	const char *path = file_of(dir, "k.series");
	size_t n;

	add(dir, "k", a, 3, &keep_all);
	assert_int_equal(truncate(path, HDR + 2 * REC + REC / 2), 0);
	v = load(dir, "k", INT64_MIN, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(v, a, 2 * sizeof(*a));
	free(v);

	add1(dir, "k", 4, 4, &keep_all);
	assert_int_equal(file_size(file_of(dir, "k.series")), HDR + 3 * REC);
	v = load(dir, "k", INT64_MIN, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(v, a, 2 * sizeof(*a));
	assert_int_equal(v[2].t, 4);
	free(v);
}

/* ---- corrupt and foreign files ---- */

static void corrupt_header_is_an_error_to_read_and_moved_aside_to_write(void **state)
{
	const char *dir = *state;
	uint32_t version = 7;

	add1(dir, "k", 1, 1, &keep_all);
	patch(file_of(dir, "k.series"), 0, "XXXXXXXX", 8);
	assert_read_corrupt(dir, "k", "bad magic");
	assert_moved_aside(dir, "k", "k.series", "bad magic");
	add1(dir, "k", 2, 2, &keep_all); /* the new history works */

	add1(dir, "v", 1, 1, &keep_all);
	patch(file_of(dir, "v.series"), 8, &version, 4);
	assert_read_corrupt(dir, "v", "format version 7");
	assert_moved_aside(dir, "v", "v.series", "format version 7");
}

static void short_file_is_corrupt(void **state)
{
	const char *dir = *state;
	int fd = open(file_of(dir, "k.series"), O_CREAT | O_WRONLY, 0600);

	assert_int_equal(write(fd, "TTSERIES", 8), 8);
	close(fd);
	assert_read_corrupt(dir, "k", "shorter than its 64-byte header");
	assert_moved_aside(dir, "k", "k.series", "shorter");
}

static void copy_file(const char *from, const char *to)
{
	char buf[4096];
	int in = open(from, O_RDONLY), out = open(to, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	ssize_t r;

	assert_true(in >= 0 && out >= 0);
	while ((r = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)r), r);
	close(in);
	close(out);
}

static void foreign_file_is_corrupt(void **state)
{
	const char *dir = *state;
	char from[4096], to[4096];
	const char *long_a = "disk/a-very-long-host-name.example.com/srv/data/one";
	const char *long_b = "disk/a-very-long-host-name.example.com/srv/data/two";

	add1(dir, "mem/a", 1, 1, &keep_all);
	snprintf(from, sizeof(from), "%s/mem%%2Fa.series", dir);
	snprintf(to, sizeof(to), "%s/mem%%2Fb.series", dir);
	copy_file(from, to);
	assert_read_corrupt(dir, "mem/b", "foreign: it holds the series 'mem/a'");
	assert_moved_aside(dir, "mem/b", "mem%2Fb.series", "foreign");

	/* keys longer than the header holds: told apart by their hash */
	add1(dir, long_a, 1, 1, &keep_all);
	snprintf(from, sizeof(from),
	         "%s/disk%%2Fa-very-long-host-name.example.com%%2Fsrv%%2Fdata%%2Fone.series", dir);
	snprintf(to, sizeof(to),
	         "%s/disk%%2Fa-very-long-host-name.example.com%%2Fsrv%%2Fdata%%2Ftwo.series", dir);
	copy_file(from, to);
	assert_read_corrupt(dir, long_b, "foreign");
	series_close(open_write(dir, long_a)); /* the original is fine */
}

static void bad_records_are_corrupt(void **state)
{
	const char *dir = *state;
	struct sample a[] = {{10, 1, 1}, {20, 2, 2}, {30, 3, 3}};
	int64_t early = 5;
	double nan = NAN, neg = -1;

	add(dir, "order", a, 3, &keep_all);
	patch(file_of(dir, "order.series"), HDR + 2 * REC, &early, 8);
	assert_read_corrupt(dir, "order", "record 3 is out of time order");
	assert_moved_aside(dir, "order", "order.series", "out of time order");

	add(dir, "nan", a, 3, &keep_all);
	patch(file_of(dir, "nan.series"), HDR + REC + 8, &nan, 8);
	assert_read_corrupt(dir, "nan", "record 2 has a non-finite number");
	assert_moved_aside(dir, "nan", "nan.series", "non-finite");

	add(dir, "neg", a, 3, &keep_all);
	patch(file_of(dir, "neg.series"), HDR + 16, &neg, 8);
	assert_read_corrupt(dir, "neg", "record 1 has a negative capacity");
	assert_moved_aside(dir, "neg", "neg.series", "negative capacity");
}

/* ---- keys, listing, forgetting, the state directory ---- */

struct listed {
	char keys[16][256];
	int n;
};

static int collect(const char *key, void *arg)
{
	struct listed *l = arg;

	snprintf(l->keys[l->n++], sizeof(l->keys[0]), "%s", key);
	return l->n == 16;
}

static void keys_are_encoded_in_file_names_and_listed_back(void **state)
{
	const char *dir = *state;
	const char *keys[] = {".hidden", "100%", "a b", "c:d", "disk/h/var", "mem/w\xc3\xbc"};
	const char *files[] = {"%2Ehidden.series", "100%25.series",         "a%20b.series",
	                       "c%3Ad.series",     "disk%2Fh%2Fvar.series", "mem%2Fw%C3%BC.series"};
	const char *junk[] = {"junk.txt",           "k.series.corrupt-1700000000",
	                      "bad%zz.series",      "k.series.tmp-AbC123",
	                      "lower%2fhex.series", ".series"};
	struct listed l = {.n = 0};
	char err[256];

	for (int i = 5; i >= 0; i--)
		add1(dir, keys[i], 1, 1, &keep_all);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(access(file_of(dir, files[i]), F_OK), 0);
		close(open(file_of(dir, junk[i]), O_CREAT | O_WRONLY, 0600));
	}
	assert_int_equal(series_list(dir, collect, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 6);
	for (int i = 0; i < 6; i++)
		assert_string_equal(l.keys[i], keys[i]);
}

static int stop_at_second(const char *key, void *arg)
{
	(void)key;
	return ++*(int *)arg == 2 ? 42 : 0;
}

static void list_stops_when_the_callback_says_so(void **state)
{
	char err[256] = "";
	int calls = 0;

	assert_int_equal(series_list(*state, stop_at_second, &calls, err, sizeof(err)), 0);
	assert_int_equal(calls, 0); /* an empty directory */
	add1(*state, "a", 1, 1, &keep_all);
	add1(*state, "b", 1, 1, &keep_all);
	add1(*state, "c", 1, 1, &keep_all);
	assert_int_equal(series_list(*state, stop_at_second, &calls, err, sizeof(err)), 42);
	assert_int_equal(calls, 2);
	assert_int_equal(series_list("/nonexistent/tt", stop_at_second, &calls, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "/nonexistent/tt"));
}

static void key_validity(void **state)
{
	char err[256], long_key[300];

	(void)state;
	memset(long_key, 'a', sizeof(long_key));
	long_key[200] = '\0';
	assert_int_equal(series_key_valid(long_key, err, sizeof(err)), 0);
	long_key[200] = 'a';
	long_key[201] = '\0';
	assert_int_equal(series_key_valid(long_key, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(series_key_valid("", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(series_key_valid("a\tb", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "control character"));
	assert_int_equal(series_key_valid("a\xff", err, sizeof(err)), -1);
	assert_int_equal(series_key_valid("caf\xc3\xa9/\xe2\x82\xac", err, sizeof(err)), 0);
	memset(long_key, '/', 100);
	long_key[100] = '\0';
	assert_int_equal(series_key_valid(long_key, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "file name"));
}

static void forget_removes_the_series(void **state)
{
	const char *dir = *state;
	char err[256] = "";
	struct series *s;

	assert_int_equal(series_forget(dir, "mem/x", err, sizeof(err)), SERIES_ENOENT);
	add1(dir, "mem/x", 1, 1, &keep_all);
	assert_int_equal(series_forget(dir, "mem/x", err, sizeof(err)), 0);
	assert_int_equal(access(file_of(dir, "mem%2Fx.series"), F_OK), -1);
	assert_int_equal(series_open(dir, "mem/x", SERIES_READ, &s, NULL, 0, err, sizeof(err)),
	                 SERIES_ENOENT);
	assert_int_equal(series_forget(dir, "", err, sizeof(err)), -1);
}

static void state_dir_from_env_or_explicit(void **state)
{
	char env_dir[4096], expl[4096], out[4096], err[512] = "";
	struct stat st;

	snprintf(env_dir, sizeof(env_dir), "%s/env/a/b", (char *)*state);
	snprintf(expl, sizeof(expl), "%s/explicit", (char *)*state);
	setenv("TRENDTRAP_STATE_DIR", env_dir, 1);
	assert_int_equal(series_state_dir(NULL, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, env_dir);
	assert_true(stat(env_dir, &st) == 0 && S_ISDIR(st.st_mode));

	assert_int_equal(series_state_dir(expl, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, expl);
	assert_true(stat(expl, &st) == 0 && S_ISDIR(st.st_mode));

	close(open(file_of(*state, "plain"), O_CREAT | O_WRONLY, 0600));
	assert_int_equal(
	        series_state_dir(file_of(*state, "plain"), out, sizeof(out), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a directory"));
	assert_int_equal(series_state_dir(NULL, out, 4, err, sizeof(err)), -1);
	unsetenv("TRENDTRAP_STATE_DIR");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(append_then_load_round_trips),
	        T(read_of_a_missing_series_is_enoent),
	        T(since_filter_finds_the_first_sample_at_or_after),
	        T(load_reads_only_the_requested_tail),
	        T(out_of_order_add_keeps_the_file_sorted),
	        T(a_rewrite_removes_stale_temp_files),
	        T(bad_input_and_read_only_adds_are_refused),
	        T(retention_by_age_drops_old_samples),
	        T(retention_by_count_keeps_the_newest),
	        T(twenty_parallel_writers_lose_nothing),
	        T(writer_waiting_during_a_rewrite_adds_to_the_new_file),
	        T(kill_9_mid_write_leaves_a_readable_file),
	        T(torn_tail_is_ignored_then_cut),
	        T(corrupt_header_is_an_error_to_read_and_moved_aside_to_write),
	        T(short_file_is_corrupt),
	        T(foreign_file_is_corrupt),
	        T(bad_records_are_corrupt),
	        T(keys_are_encoded_in_file_names_and_listed_back),
	        T(list_stops_when_the_callback_says_so),
	        T(key_validity),
	        T(forget_removes_the_series),
	        T(state_dir_from_env_or_explicit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
