/*
 * test_outbox.c - trendtrapd's durable outbox, as a specification: what is on
 * disk after each call, the retry schedule to the second, dead letters with
 * their reason, recovery from corrupt and temp files, and no notification
 * lost to a kill -9.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "outbox.h"

#define T0   1700000000
#define HALF 0x80000000u /* random value for "no jitter offset" */

struct fx {
	char dir[256]; /* the outbox, DIR/ob */
	struct outbox *o;
	char err[256];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	const char *tmp = getenv("TMPDIR");

	snprintf(f->dir, sizeof f->dir, "%s/test_outbox-XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	strcat(f->dir, "/ob");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[600];

	outbox_close(f->o);
	f->dir[strlen(f->dir) - 3] = '\0';
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void reopen(struct fx *f)
{
	outbox_close(f->o);
	f->o = NULL;
	assert_int_equal(outbox_open(f->dir, &f->o, f->err, sizeof f->err), 0);
}

static void add(struct fx *f, const char *channel, const char *payload, int64_t now, char *id)
{
	assert_int_equal(outbox_add(f->o, channel, payload, strlen(payload), now, id, 64, f->err,
	                            sizeof f->err),
	                 0);
}

/* The contents of DIR/SUB/NAME (malloc'ed, NUL-terminated) or NULL. */
static char *slurp(const struct fx *f, const char *sub, const char *name, size_t *len)
{
	char path[512];
	FILE *fp;
	char *buf = malloc(1 << 21);
	size_t n;

	snprintf(path, sizeof path, "%s/%s%s", f->dir, sub, name);
	if ((fp = fopen(path, "rb")) == NULL) {
		free(buf);
		return NULL;
	}
	n = fread(buf, 1, (1 << 21) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void put(const struct fx *f, const char *name, const char *data, size_t len)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", f->dir, name);
	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static bool exists(const struct fx *f, const char *sub, const char *name)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s%s", f->dir, sub, name);
	return access(path, F_OK) == 0;
}

/* Files in DIR whose name contains NEEDLE. */
static size_t count_files(const struct fx *f, const char *needle)
{
	DIR *d = opendir(f->dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strstr(de->d_name, needle) != NULL;
	closedir(d);
	return n;
}

static void test_add_then_reopen_keeps_payload_exact(void **state)
{
	struct fx *f = *state;
	const unsigned char payload[] = {'t', 'r', 'a', 'p', 0, '\n', 0xff, '\n', '\n', 1};
	struct outbox_item *it[4];
	char id[64], name[80], *disk;
	size_t len;

	assert_int_equal(outbox_open(f->dir, &f->o, f->err, sizeof f->err), 0);
	assert_int_equal(outbox_add(f->o, "snmp", payload, sizeof payload, T0, id, sizeof id,
	                            f->err, sizeof f->err),
	                 0);
	assert_string_equal(id, "000000006553f100-00000001");
	snprintf(name, sizeof name, "%s.msg", id);
	disk = slurp(f, "", name, &len);
	assert_non_null(disk); /* durable before outbox_add returned */
	assert_true(len > sizeof payload);
	assert_memory_equal(disk + len - sizeof payload, payload, sizeof payload);
	assert_string_equal(disk, "TTOUTBOX 1\nchannel snmp\ncreated 1700000000\nattempts 0\n"
	                          "next-at 1700000000\nlength 10\nerror \n\ntrap");
	free(disk);

	reopen(f);
	assert_int_equal(outbox_count(f->o), 1);
	assert_int_equal(outbox_due(f->o, T0, it, 4), 1);
	assert_string_equal(it[0]->id, id);
	assert_string_equal(it[0]->channel, "snmp");
	assert_int_equal(it[0]->created, T0);
	assert_int_equal(it[0]->next_at, T0);
	assert_int_equal(it[0]->attempts, 0);
	assert_string_equal(it[0]->last_error, "");
	assert_int_equal(it[0]->len, sizeof payload);
	assert_memory_equal(it[0]->payload, payload, sizeof payload);
}

static void test_bad_arguments_are_refused(void **state)
{
	struct fx *f = *state;
	struct outbox *other;

	assert_int_equal(outbox_open(f->dir, &f->o, f->err, sizeof f->err), 0);
	assert_int_equal(
	        outbox_add(f->o, "bad channel", "x", 1, T0, NULL, 0, f->err, sizeof f->err), -1);
	assert_non_null(strstr(f->err, "bad channel name"));
	assert_int_equal(outbox_add(f->o, "", "x", 1, T0, NULL, 0, f->err, sizeof f->err), -1);
	assert_int_equal(outbox_done(f->o, "nope", f->err, sizeof f->err), -1);
	assert_non_null(strstr(f->err, "no pending notification nope"));
	/* one process per outbox */
	assert_int_equal(outbox_open(f->dir, &other, f->err, sizeof f->err), -1);
	assert_non_null(strstr(f->err, "in use"));
	assert_int_equal(outbox_count(f->o), 0);
}

static void test_due_is_oldest_first_and_skips_future(void **state)
{
	struct fx *f = *state;
	const struct outbox_policy p = {10, 1000, 2, 0, 86400};
	struct outbox_item *it[8];
	char a[64], b[64], c[64], d[64];

	assert_int_equal(outbox_open(f->dir, &f->o, f->err, sizeof f->err), 0);
	assert_int_equal(outbox_next_due(f->o), INT64_MAX);
	add(f, "snmp", "a", T0, a);
	add(f, "mail", "b", T0, b);
	add(f, "snmp", "c", T0 + 1, c);
	add(f, "snmp", "d", T0 + 2, d);
	assert_int_equal(outbox_retry(f->o, b, "timeout", T0 + 2, &p, HALF, f->err, sizeof f->err),
	                 0);
	reopen(f); /* the order comes from the names on disk */
	assert_int_equal(outbox_next_due(f->o), T0);
	assert_int_equal(outbox_due(f->o, T0 + 1, it, 8), 2);
	assert_string_equal(it[0]->id, a);
	assert_string_equal(it[1]->id, c);
	assert_int_equal(outbox_due(f->o, T0 + 12, it, 8), 4);
	assert_string_equal(it[0]->id, a);
	assert_string_equal(it[1]->id, b);
	assert_string_equal(it[2]->id, c);
	assert_string_equal(it[3]->id, d);
	assert_int_equal(outbox_due(f->o, T0 + 12, it, 2), 2);
	assert_string_equal(it[1]->id, b);
	assert_int_equal(outbox_due(f->o, T0 - 1, it, 8), 0);
}

static void test_done_removes_the_file(void **state)
{
	struct fx *f = *state;
	char a[64], b[64], name[80];

	assert_int_equal(outbox_open(f->dir, &f->o, f->err, sizeof f->err), 0);
	add(f, "snmp", "a", T0, a);
	add(f, "snmp", "b", T0, b);
	assert_int_equal(outbox_done(f->o, a, f->err, sizeof f->err), 0);
	snprintf(name, sizeof name, "%s.msg", a);
	assert_false(exists(f, "", name));
	assert_int_equal(outbox_count(f->o), 1);
	assert_int_equal(outbox_done(f->o, a, f->err, sizeof f->err), -1);
	reopen(f);
	assert_int_equal(outbox_count(f->o), 1);
	assert_int_equal(outbox_dead_count(f->o), 0);
	/* ids keep growing after a reopen: never reuse a name */
	add(f, "snmp", "c", T0, a);
	assert_string_equal(a, "000000006553f100-00000003");
}

/* next_at - now after one more failure of ID at NOW. */
static int64_t retry_delay(struct fx *f, const char *id, const struct outbox_policy *p,
                           uint32_t rnd, int64_t now)
{
	struct outbox_item *it[1];

	assert_int_equal(outbox_retry(f->o, id, "no ack", now, p, rnd, f->err, sizeof f->err), 0);
	assert_int_equal(outbox_due(f->o, INT64_MAX, it, 1), 1);
	return it[0]->next_at - now;
}

static void test_retry_backoff_exact(void **state)
{
	struct fx *f = *state;
	const struct outbox_policy p = {10, 1000, 2, 0.5, 86400};
	struct outbox_item *it[1];
	char id[64], name[80], *disk;

	assert_int_equal(outbox_open(f->dir, &f->o, f->err, sizeof f->err), 0);
	add(f, "snmp", "x", T0, id);
	/* random = 2^31 is the middle: the base delay exactly */
	assert_int_equal(retry_delay(f, id, &p, HALF, T0), 10);
	assert_int_equal(retry_delay(f, id, &p, HALF, T0), 20);
	assert_int_equal(retry_delay(f, id, &p, HALF, T0), 40);
	/* random = 0: 80 * (1 - 0.25) = 60; UINT32_MAX: 160 * 1.2499.. -> 200 */
	assert_int_equal(retry_delay(f, id, &p, 0, T0), 60);
	assert_int_equal(retry_delay(f, id, &p, UINT32_MAX, T0), 200);
	/* random = 2^30: 320 * 0.875 = 280 */
	assert_int_equal(retry_delay(f, id, &p, 0x40000000u, T0 + 5), 280);

	snprintf(name, sizeof name, "%s.msg", id);
	disk = slurp(f, "", name, NULL);
	assert_non_null(strstr(disk, "\nattempts 6\nnext-at 1700000285\n"));
	assert_non_null(strstr(disk, "\nerror no ack\n"));
	free(disk);
	reopen(f);
	assert_int_equal(outbox_due(f->o, T0 + 285, it, 1), 1);
	assert_int_equal(it[0]->attempts, 6);
	assert_string_equal(it[0]->last_error, "no ack");
	assert_int_equal(outbox_due(f->o, T0 + 284, it, 1), 0);
}

static void test_retry_jitter_bounds_and_cap(void **state)
{
	struct fx *f = *state;
	const struct outbox_policy p = {10, 300, 2, 0.4, 1e9};
	const struct outbox_policy flat = {10, 300, 2, 0, 1e9};
	char id[64];
	uint32_t rnd = 12345;

	assert_int_equal(outbox_open(f->dir, &f->o, f->err, sizeof f->err), 0);
	add(f, "snmp", "x", T0, id);
	for (unsigned k = 1; k <= 12; k++) { /* base: 10 20 40 .. 300 300 */
		double base = 10.0 * (1u << (k - 1)) > 300 ? 300 : 10.0 * (1u << (k - 1));
		int64_t d;

		rnd = rnd * 1103515245u + 12345u;
		d = retry_delay(f, id, &p, rnd, T0);
		assert_true(d >= (int64_t)(base * 0.8));
		assert_true(d <= (int64_t)(base * 1.2) + 1);
	}
	/* the cap holds however many attempts: 2^40 * 10 is still 300 */
	for (int k = 0; k < 30; k++)
		assert_int_equal(retry_delay(f, id, &flat, 0, T0), 300);
}

static void test_max_age_moves_to_dead_with_reason(void **state)
{
	struct fx *f = *state;
	const struct outbox_policy p = {60, 600, 2, 0, 3600};
	char id[64], name[80], *disk;

	assert_int_equal(outbox_open(f->dir, &f->o, f->err, sizeof f->err), 0);
	add(f, "snmp", "payload", T0, id);
	assert_int_equal(outbox_retry(f->o, id, "refused", T0 + 3600, &p, 7, f->err, sizeof f->err),
	                 0);
	assert_int_equal(outbox_retry(f->o, id, "host down\nreally", T0 + 3601, &p, 7, f->err,
	                              sizeof f->err),
	                 1);
	assert_non_null(strstr(f->err, "moved to dead letters"));
	assert_int_equal(outbox_count(f->o), 0);
	assert_int_equal(outbox_dead_count(f->o), 1);
	snprintf(name, sizeof name, "%s.msg", id);
	assert_false(exists(f, "", name));
	disk = slurp(f, "dead/", name, NULL);
	assert_non_null(disk);
	assert_non_null(strstr(disk, "\nattempts 2\n"));
	assert_non_null(strstr(disk, "\nerror host down really\n"));
	assert_non_null(strstr(
	        disk, "\ndead expired after 2 attempts in 3601 s: host down really\n\npayload"));
	free(disk);
	reopen(f);
	assert_int_equal(outbox_count(f->o), 0);
	assert_int_equal(outbox_dead_count(f->o), 1);
}

static void test_dead_by_caller(void **state)
{
	struct fx *f = *state;
	char a[64], b[64], name[80], *disk;

	assert_int_equal(outbox_open(f->dir, &f->o, f->err, sizeof f->err), 0);
	add(f, "sms", "a", T0, a);
	add(f, "sms", "b", T0, b);
	assert_int_equal(outbox_dead(f->o, a, "gateway says: bad number", f->err, sizeof f->err),
	                 0);
	assert_int_equal(outbox_count(f->o), 1);
	snprintf(name, sizeof name, "%s.msg", a);
	disk = slurp(f, "dead/", name, NULL);
	assert_non_null(strstr(disk, "\ndead gateway says: bad number\n"));
	free(disk);
	/* a crash between rewriting the file and moving it: finished at open */
	put(f, "00000000000000aa-000000aa.msg",
	    "TTOUTBOX 1\nchannel sms\ncreated 1\nattempts 0\nnext-at 1\nlength 1\nerror \n"
	    "dead given up\n\nz",
	    strlen("TTOUTBOX 1\nchannel sms\ncreated 1\nattempts 0\nnext-at 1\nlength 1\n"
	           "error \ndead given up\n\nz"));
	reopen(f);
	assert_int_equal(outbox_count(f->o), 1);
	assert_int_equal(outbox_dead_count(f->o), 2);
	assert_true(exists(f, "dead/", "00000000000000aa-000000aa.msg"));
}

static void test_corrupt_files_go_to_dead_others_load(void **state)
{
	struct fx *f = *state;
	char a[64], b[64], name[80], *good, *why;
	size_t len;

	assert_int_equal(outbox_open(f->dir, &f->o, f->err, sizeof f->err), 0);
	add(f, "snmp", "first", T0, a);
	add(f, "snmp", "second", T0, b);
	outbox_close(f->o);
	f->o = NULL;
	/* a truncated copy of a good file, and garbage */
	snprintf(name, sizeof name, "%s.msg", a);
	good = slurp(f, "", name, &len);
	put(f, "0000000000000001-00000001.msg", good, len - 1);
	put(f, "0000000000000002-00000002.msg",
	    "\x7f"
	    "ELF garbage",
	    12);
	put(f, "README", "not ours", 8); /* other names are left alone */
	free(good);

	assert_int_equal(outbox_open(f->dir, &f->o, f->err, sizeof f->err), 0);
	assert_int_equal(outbox_count(f->o), 2);
	assert_int_equal(outbox_dead_count(f->o), 2);
	assert_false(exists(f, "", "0000000000000001-00000001.msg"));
	assert_true(exists(f, "dead/", "0000000000000001-00000001.msg"));
	why = slurp(f, "dead/", "0000000000000001-00000001.msg.reason", NULL);
	assert_string_equal(why, "corrupt: payload is 4 bytes, header says 5\n");
	free(why);
	why = slurp(f, "dead/", "0000000000000002-00000002.msg.reason", NULL);
	assert_string_equal(why, "corrupt: bad magic or version\n");
	free(why);
	assert_true(exists(f, "", "README"));
}

static void test_leftover_temp_files_removed(void **state)
{
	struct fx *f = *state;
	char a[64];

	assert_int_equal(outbox_open(f->dir, &f->o, f->err, sizeof f->err), 0);
	add(f, "snmp", "a", T0, a);
	outbox_close(f->o);
	f->o = NULL;
	put(f, "0000000000000009-00000009.msg.tmp-AbC123", "TTOUTBOX 1\nchan", 15);
	put(f, "dead/0000000000000008-00000008.msg.reason.tmp-XyZ987", "corr", 4);
	assert_int_equal(count_files(f, ".tmp-"), 1);
	reopen(f);
	assert_int_equal(count_files(f, ".tmp-"), 0);
	assert_false(exists(f, "dead/", "0000000000000008-00000008.msg.reason.tmp-XyZ987"));
	assert_int_equal(outbox_count(f->o), 1);
	assert_int_equal(outbox_dead_count(f->o), 0);
}

/* The payload of the I-th notification the child adds: checkable alone. */
static size_t child_payload(unsigned i, char *buf)
{
	size_t len = 50 + (i * 37) % 400;
	int n = snprintf(buf, 64, "n=%u;", i);

	memset(buf + n, 'a' + (char)(i % 26), len - (size_t)n);
	return len;
}

static void child_loop(const char *dir, int fd, unsigned base)
{
	struct outbox *o;
	char err[256], id[64], buf[512], line[80];

	if (outbox_open(dir, &o, err, sizeof err) != 0)
		_exit(2);
	for (unsigned i = base;; i++) {
		size_t len = child_payload(i, buf);
		int n;

		if (outbox_add(o, "snmp", buf, len, T0 + i / 16, id, sizeof id, err, sizeof err))
			_exit(3);
		n = snprintf(line, sizeof line, "%s\n", id); /* only once durable */
		if (write(fd, line, (size_t)n) != n)
			_exit(4);
	}
}

static void test_kill_9_loses_nothing(void **state)
{
	struct fx *f = *state;
	static char reported[4096][64];
	size_t nrep = 0;
	struct outbox_item **it;

	for (int round = 0; round < 6; round++) {
		int fds[2], status;
		pid_t pid;
		char buf[8192];
		size_t have = 0;
		ssize_t r;
		struct timespec ts = {0, (3 + round * 2) * 1000000L};

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			child_loop(f->dir, fds[1], (unsigned)round * 100000u);
		}
		close(fds[1]);
		nanosleep(&ts, NULL);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		while ((r = read(fds[0], buf + have, sizeof buf - have - 1)) > 0) {
			char *nl;

			have += (size_t)r;
			buf[have] = '\0';
			while ((nl = strchr(buf, '\n')) != NULL) {
				*nl = '\0';
				assert_true(nrep < 4096);
				assert_true(strlen(buf) < 64);
				memcpy(reported[nrep++], buf, strlen(buf) + 1);
				have -= (size_t)(nl + 1 - buf);
				memmove(buf, nl + 1, have + 1);
			}
		}
		close(fds[0]);
	}
	assert_true(nrep > 0);

	assert_int_equal(outbox_open(f->dir, &f->o, f->err, sizeof f->err), 0);
	assert_int_equal(outbox_dead_count(f->o), 0); /* nothing torn */
	assert_int_equal(count_files(f, ".tmp-"), 0);
	/* every reported id present; at most one unreported per kill */
	assert_true(outbox_count(f->o) >= nrep && outbox_count(f->o) <= nrep + 6);
	it = calloc(outbox_count(f->o), sizeof *it);
	assert_int_equal(outbox_due(f->o, INT64_MAX, it, outbox_count(f->o)), outbox_count(f->o));
	for (size_t i = 0, j = 0; i < nrep; i++) {
		while (j < outbox_count(f->o) && strcmp(it[j]->id, reported[i]) != 0)
			j++;
		assert_true(j < outbox_count(f->o)); /* found, in order */
	}
	for (size_t j = 0; j < outbox_count(f->o); j++) {
		char want[512];
		unsigned i;

		assert_int_equal(sscanf(it[j]->payload, "n=%u;", &i), 1);
		assert_int_equal(it[j]->len, child_payload(i, want));
		assert_memory_equal(it[j]->payload, want, it[j]->len);
	}
	free(it);
	print_message("# kill -9: %zu notifications reported, %zu on disk\n", nrep,
	              outbox_count(f->o));
}

/* A thousand pending notifications survive a reopen, in order. (How fast
 * is for bench/, not for a test.) */
static void test_thousand_items(void **state)
{
	struct fx *f = *state;
	struct outbox_item **due;
	char buf[300], id[64], first[64] = "";
	size_t n;

	memset(buf, 'p', sizeof buf);
	assert_int_equal(outbox_open(f->dir, &f->o, f->err, sizeof f->err), 0);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(outbox_add(f->o, "snmp", buf, sizeof buf, T0, id, sizeof id,
		                            f->err, sizeof f->err),
		                 0);
		if (i == 0)
			snprintf(first, sizeof first, "%s", id);
	}
	reopen(f);
	assert_int_equal(outbox_count(f->o), 1000);
	due = calloc(1000, sizeof(*due));
	assert_non_null(due);
	n = outbox_due(f->o, T0, due, 1000);
	assert_int_equal(n, 1000);
	assert_string_equal(due[0]->id, first);
	assert_string_equal(due[999]->id, id);
	free(due);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_add_then_reopen_keeps_payload_exact, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_bad_arguments_are_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_due_is_oldest_first_and_skips_future, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_done_removes_the_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_retry_backoff_exact, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_retry_jitter_bounds_and_cap, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_max_age_moves_to_dead_with_reason, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_dead_by_caller, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_corrupt_files_go_to_dead_others_load, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_leftover_temp_files_removed, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_kill_9_loses_nothing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_thousand_items, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
