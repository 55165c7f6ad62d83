/*
 * test_outbox.c - trendtrapd's durable outbox, as a specification: nothing is
 * due before outbox_sync, what survives a reopen and a simulated power loss
 * (the journal cut back to its size at the last sync), the retry schedule to
 * the second, dead letters with their reason, recovery from a torn tail at
 * every byte, from corruption in the middle, from temp files and old-format
 * files, compaction, and no synced notification lost to a kill -9.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
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

static void open_(struct fx *f)
{
	assert_int_equal(outbox_open(f->dir, &f->o, f->err, sizeof f->err), 0);
}

static void close_(struct fx *f)
{
	outbox_close(f->o);
	f->o = NULL;
}

static void reopen(struct fx *f)
{
	close_(f);
	open_(f);
}

static void add(struct fx *f, const char *channel, const char *payload, int64_t now, char *id)
{
	assert_int_equal(outbox_add(f->o, channel, payload, strlen(payload), now, id, 64, f->err,
	                            sizeof f->err),
	                 0);
}

static void sync_(struct fx *f)
{
	assert_int_equal(outbox_sync(f->o, f->err, sizeof f->err), 0);
}

static void done(struct fx *f, const char *id)
{
	assert_int_equal(outbox_done(f->o, id, f->err, sizeof f->err), 0);
}

static void path_in(const struct fx *f, const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", f->dir, name);
}

/* The contents of DIR/SUB/NAME (malloc'ed, NUL-terminated) or NULL. */
static char *slurp(const struct fx *f, const char *sub, const char *name, size_t *len)
{
	char path[512];
	FILE *fp;
	char *buf = malloc(1 << 23);
	size_t n;

	snprintf(path, sizeof path, "%s/%s%s", f->dir, sub, name);
	if ((fp = fopen(path, "rb")) == NULL) {
		free(buf);
		return NULL;
	}
	n = fread(buf, 1, (1 << 23) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void put(const struct fx *f, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *fp;

	path_in(f, name, path, sizeof path);
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

/* Files in DIR/SUB whose name contains NEEDLE; the last one's name into
 * LAST (may be NULL). */
static size_t count_files(const struct fx *f, const char *sub, const char *needle, char *last)
{
	char path[512];
	DIR *d;
	struct dirent *de;
	size_t n = 0;

	snprintf(path, sizeof path, "%s/%s", f->dir, sub);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, needle) != NULL) {
			n++;
			if (last != NULL)
				snprintf(last, 256, "%s", de->d_name);
		}
	closedir(d);
	return n;
}

static off_t journal_size(const struct fx *f)
{
	char path[512];
	struct stat st;

	path_in(f, "journal", path, sizeof path);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static ino_t journal_inode(const struct fx *f)
{
	char path[512];
	struct stat st;

	path_in(f, "journal", path, sizeof path);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* A crash of the machine: what was written since the sync that left the
 * journal SIZE bytes long is gone (one of the outcomes a power loss allows). */
static void power_loss(struct fx *f, off_t size)
{
	char path[512];

	close_(f);
	path_in(f, "journal", path, sizeof path);
	assert_int_equal(truncate(path, size), 0);
}

/* All pending items, synced, due at INT64_MAX, oldest first: exactly N of
 * them, with these payloads. */
static void expect_payloads(struct fx *f, size_t n, const char *const *payloads)
{
	struct outbox_item *it[64];

	assert_int_equal(outbox_count(f->o), n);
	assert_int_equal(outbox_due(f->o, INT64_MAX, it, 64), n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(it[i]->len, strlen(payloads[i]));
		assert_memory_equal(it[i]->payload, payloads[i], it[i]->len);
	}
}

static void test_add_then_reopen_keeps_payload_exact(void **state)
{
	struct fx *f = *state;
	const unsigned char payload[] = {'t', 'r', 'a', 'p', 0, '\n', 0xff, '\n', '\n', 1};
	struct outbox_item *it[4];
	char id[64], *disk;
	size_t len;

	open_(f);
	assert_null(outbox_open_note(f->o));
	assert_int_equal(outbox_add(f->o, "snmp", payload, sizeof payload, T0, id, sizeof id,
	                            f->err, sizeof f->err),
	                 0);
	assert_string_equal(id, "000000006553f100-00000001");
	/* written (not yet synced) before outbox_add returned */
	disk = slurp(f, "", "journal", &len);
	assert_non_null(disk);
	assert_memory_equal(disk, "TTOUTBOX J1\n", 12);
	assert_true(len > sizeof payload);
	assert_memory_equal(disk + len - sizeof payload, payload, sizeof payload);
	assert_non_null(memmem(disk, len, id, strlen(id)));
	free(disk);
	sync_(f);

	reopen(f);
	assert_null(outbox_open_note(f->o));
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

static void test_not_due_before_sync(void **state)
{
	struct fx *f = *state;
	struct outbox_item *it[4];
	char a[64], b[64];

	open_(f);
	add(f, "snmp", "a", T0, a);
	assert_int_equal(outbox_count(f->o), 1);
	assert_int_equal(outbox_next_due(f->o), T0);
	assert_int_equal(outbox_due(f->o, INT64_MAX, it, 4), 0); /* not durable yet */
	sync_(f);
	assert_int_equal(outbox_due(f->o, T0, it, 4), 1);
	assert_string_equal(it[0]->id, a);
	add(f, "snmp", "b", T0, b);
	assert_int_equal(outbox_due(f->o, T0, it, 4), 1); /* a only */
	assert_string_equal(it[0]->id, a);
	sync_(f);
	assert_int_equal(outbox_due(f->o, T0, it, 4), 2);
	assert_string_equal(it[0]->id, a);
	assert_string_equal(it[1]->id, b);
	sync_(f); /* nothing new: fine */
	assert_int_equal(outbox_due(f->o, T0, it, 4), 2);
}

static void test_bad_arguments_are_refused(void **state)
{
	struct fx *f = *state;
	const struct outbox_policy p = {10, 1000, 2, 0, 86400};
	struct outbox *other;

	open_(f);
	assert_int_equal(
	        outbox_add(f->o, "bad channel", "x", 1, T0, NULL, 0, f->err, sizeof f->err), -1);
	assert_non_null(strstr(f->err, "bad channel name"));
	assert_int_equal(outbox_add(f->o, "", "x", 1, T0, NULL, 0, f->err, sizeof f->err), -1);
	assert_int_equal(outbox_add(f->o, "snmp", "x", OUTBOX_MAX_PAYLOAD + 1, T0, NULL, 0, f->err,
	                            sizeof f->err),
	                 -1);
	assert_int_equal(outbox_done(f->o, "nope", f->err, sizeof f->err), -1);
	assert_non_null(strstr(f->err, "no pending notification nope"));
	assert_int_equal(outbox_done(f->o, "000000006553f100-00000001", f->err, sizeof f->err), -1);
	assert_int_equal(outbox_retry(f->o, "nope", "x", T0, &p, 0, f->err, sizeof f->err), -1);
	assert_int_equal(outbox_dead(f->o, "nope", "x", f->err, sizeof f->err), -1);
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

	open_(f);
	assert_int_equal(outbox_next_due(f->o), INT64_MAX);
	add(f, "snmp", "a", T0, a);
	add(f, "mail", "b", T0, b);
	add(f, "snmp", "c", T0 + 1, c);
	add(f, "snmp", "d", T0 + 2, d);
	sync_(f);
	assert_int_equal(outbox_retry(f->o, b, "timeout", T0 + 2, &p, HALF, f->err, sizeof f->err),
	                 0);
	sync_(f);
	reopen(f); /* the order comes from the journal */
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

static void test_busy_items_are_skipped(void **state)
{
	struct fx *f = *state;
	struct outbox_item *it[8];
	char a[64], b[64], c[64];

	open_(f);
	add(f, "snmp", "a", T0, a);
	add(f, "snmp", "b", T0, b);
	add(f, "snmp", "c", T0, c);
	sync_(f);
	assert_int_equal(outbox_busy(f->o, a, true), 0);
	assert_int_equal(outbox_busy(f->o, c, true), 0);
	assert_int_equal(outbox_due(f->o, T0, it, 8), 1);
	assert_string_equal(it[0]->id, b);
	assert_int_equal(outbox_busy(f->o, a, false), 0);
	assert_int_equal(outbox_due(f->o, T0, it, 8), 2);
	assert_string_equal(it[0]->id, a);
	assert_int_equal(outbox_busy(f->o, "0-1", true), -1);
	assert_string_equal(outbox_first(f->o)->id, a); /* the head, busy or not */
	assert_int_equal(outbox_count(f->o), 3);
	reopen(f); /* busy is not kept */
	assert_int_equal(outbox_due(f->o, T0, it, 8), 3);
}

static void test_done_removes_it(void **state)
{
	struct fx *f = *state;
	const char *const only_b[] = {"b"};
	char a[64], b[64];

	open_(f);
	add(f, "snmp", "a", T0, a);
	add(f, "snmp", "b", T0, b);
	sync_(f);
	done(f, a);
	assert_int_equal(outbox_count(f->o), 1);
	assert_int_equal(outbox_done(f->o, a, f->err, sizeof f->err), -1);
	sync_(f);
	expect_payloads(f, 1, only_b);
	reopen(f);
	expect_payloads(f, 1, only_b);
	assert_int_equal(outbox_dead_count(f->o), 0);
	/* ids keep growing after a reopen: never reuse a name */
	add(f, "snmp", "c", T0, a);
	assert_string_equal(a, "000000006553f100-00000003");
}

/* A done that was not synced is undone by a crash of the machine (the
 * notification will be delivered again); a synced one never is; and a kill
 * -9 (the records were written) loses neither. */
static void test_done_redelivered_only_if_not_synced(void **state)
{
	struct fx *f = *state;
	const char *const a_b[] = {"a", "b"}, *const only_b[] = {"b"};
	off_t synced;
	char a[64], b[64];

	open_(f);
	add(f, "snmp", "a", T0, a);
	add(f, "snmp", "b", T0, b);
	sync_(f);
	synced = journal_size(f);
	done(f, a);
	power_loss(f, synced);
	open_(f);
	expect_payloads(f, 2, a_b); /* a is back, intact */

	done(f, a);
	sync_(f);
	power_loss(f, journal_size(f));
	open_(f);
	expect_payloads(f, 1, only_b);

	done(f, b); /* not synced, but written: a kill -9 keeps it */
	reopen(f);
	assert_int_equal(outbox_count(f->o), 0);
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
	off_t synced;
	char id[64];

	open_(f);
	add(f, "snmp", "x", T0, id);
	sync_(f);
	/* random = 2^31 is the middle: the base delay exactly */
	assert_int_equal(retry_delay(f, id, &p, HALF, T0), 10);
	assert_int_equal(retry_delay(f, id, &p, HALF, T0), 20);
	assert_int_equal(retry_delay(f, id, &p, HALF, T0), 40);
	/* random = 0: 80 * (1 - 0.25) = 60; UINT32_MAX: 160 * 1.2499.. -> 200 */
	assert_int_equal(retry_delay(f, id, &p, 0, T0), 60);
	assert_int_equal(retry_delay(f, id, &p, UINT32_MAX, T0), 200);
	/* random = 2^30: 320 * 0.875 = 280 */
	assert_int_equal(retry_delay(f, id, &p, 0x40000000u, T0 + 5), 280);
	sync_(f);
	synced = journal_size(f);

	reopen(f);
	assert_int_equal(outbox_due(f->o, T0 + 285, it, 1), 1);
	assert_int_equal(it[0]->attempts, 6);
	assert_string_equal(it[0]->last_error, "no ack");
	assert_int_equal(outbox_due(f->o, T0 + 284, it, 1), 0);
	/* a retry not synced: a crash of the machine restores the synced state */
	assert_int_equal(outbox_retry(f->o, id, "later", T0 + 300, &p, HALF, f->err, sizeof f->err),
	                 0);
	power_loss(f, synced);
	open_(f);
	assert_int_equal(outbox_due(f->o, INT64_MAX, it, 1), 1);
	assert_int_equal(it[0]->attempts, 6);
	assert_int_equal(it[0]->next_at, T0 + 285);
	assert_string_equal(it[0]->last_error, "no ack");
}

static void test_retry_jitter_bounds_and_cap(void **state)
{
	struct fx *f = *state;
	const struct outbox_policy p = {10, 300, 2, 0.4, 1e9};
	const struct outbox_policy flat = {10, 300, 2, 0, 1e9};
	char id[64];
	uint32_t rnd = 12345;

	open_(f);
	add(f, "snmp", "x", T0, id);
	sync_(f);
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

	open_(f);
	add(f, "snmp", "payload", T0, id);
	sync_(f);
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
	disk = slurp(f, "dead/", name, NULL); /* written at once, before any sync */
	assert_non_null(disk);
	assert_string_equal(disk, "TTOUTBOX 1\nchannel snmp\ncreated 1700000000\nattempts 2\n"
	                          "next-at 1700003660\nlength 7\nerror host down really\n"
	                          "dead expired after 2 attempts in 3601 s: host down really\n"
	                          "\npayload");
	free(disk);
	sync_(f);
	reopen(f);
	assert_int_equal(outbox_count(f->o), 0);
	assert_int_equal(outbox_dead_count(f->o), 1);
}

#define OLD_DEAD                                                                                   \
	"TTOUTBOX 1\nchannel sms\ncreated 1\nattempts 0\nnext-at 1\nlength 1\nerror \n"            \
	"dead given up\n\nz"

static void test_dead_by_caller(void **state)
{
	struct fx *f = *state;
	const char *const only_b[] = {"b"};
	char a[64], b[64], name[80], *disk;
	off_t synced;

	open_(f);
	add(f, "sms", "a", T0, a);
	add(f, "sms", "b", T0, b);
	sync_(f);
	synced = journal_size(f);
	assert_int_equal(outbox_dead(f->o, a, "gateway says: bad number", f->err, sizeof f->err),
	                 0);
	assert_int_equal(outbox_count(f->o), 1);
	assert_int_equal(outbox_dead_count(f->o), 1);
	snprintf(name, sizeof name, "%s.msg", a);
	disk = slurp(f, "dead/", name, NULL);
	assert_non_null(strstr(disk, "\ndead gateway says: bad number\n\na"));
	free(disk);
	/* a crash between the dead letter and the next sync: the journal still
	 * has a, the dead letter wins */
	power_loss(f, synced);
	open_(f);
	assert_non_null(outbox_open_note(f->o));
	assert_non_null(
	        strstr(outbox_open_note(f->o), "1 pending notification(s) already in dead/"));
	expect_payloads(f, 1, only_b);
	assert_int_equal(outbox_dead_count(f->o), 1);
	reopen(f);
	assert_null(outbox_open_note(f->o));
	expect_payloads(f, 1, only_b);

	/* an old-format pending file with a dead line (a crash inside the old
	 * outbox_dead): moved to dead/ at open */
	close_(f);
	put(f, "00000000000000aa-000000aa.msg", OLD_DEAD, strlen(OLD_DEAD));
	open_(f);
	assert_int_equal(outbox_count(f->o), 1);
	assert_int_equal(outbox_dead_count(f->o), 2);
	assert_true(exists(f, "dead/", "00000000000000aa-000000aa.msg"));
	assert_false(exists(f, "", "00000000000000aa-000000aa.msg"));
}

#define OLD_GOOD(payload, len)                                                                     \
	"TTOUTBOX 1\nchannel snmp\ncreated 1600000000\nattempts 3\nnext-at 1600000100\n"           \
	"length " #len "\nerror timeout\n\n" payload

/* Pending files of the one-file-per-notification outbox are imported (and
 * removed); corrupt ones go to dead/ with their reason, as they always did. */
static void test_old_format_files_imported(void **state)
{
	struct fx *f = *state;
	const char good1[] = OLD_GOOD("first", 5), good2[] = OLD_GOOD("second", 6);
	const char *const both[] = {"first", "second"};
	struct outbox_item *it[4];
	char id[64], *why;

	open_(f);
	close_(f);
	put(f, "000000005f5e1000-00000010.msg", good2, strlen(good2));
	put(f, "000000005f5e1000-00000002.msg", good1, strlen(good1));
	put(f, "0000000000000001-00000001.msg", good1, strlen(good1) - 1); /* truncated */
	put(f, "0000000000000002-00000003.msg",
	    "\x7f"
	    "ELF garbage",
	    12);
	put(f, "README", "not ours", 8); /* other names are left alone */

	open_(f);
	assert_non_null(outbox_open_note(f->o));
	assert_non_null(strstr(outbox_open_note(f->o), "imported 2 pending file(s)"));
	assert_non_null(strstr(outbox_open_note(f->o), "2 corrupt old file(s) moved to dead/"));
	expect_payloads(f, 2, both); /* ordered by seq */
	assert_int_equal(outbox_due(f->o, INT64_MAX, it, 4), 2);
	assert_string_equal(it[0]->id, "000000005f5e1000-00000002");
	assert_string_equal(it[0]->channel, "snmp");
	assert_int_equal(it[0]->created, 1600000000);
	assert_int_equal(it[0]->next_at, 1600000100);
	assert_int_equal(it[0]->attempts, 3);
	assert_string_equal(it[0]->last_error, "timeout");
	assert_string_equal(it[1]->id, "000000005f5e1000-00000010");
	assert_int_equal(count_files(f, "", ".msg", NULL), 0);
	assert_int_equal(outbox_dead_count(f->o), 2);
	assert_true(exists(f, "dead/", "0000000000000001-00000001.msg"));
	why = slurp(f, "dead/", "0000000000000001-00000001.msg.reason", NULL);
	assert_string_equal(why, "corrupt: payload is 4 bytes, header says 5\n");
	free(why);
	why = slurp(f, "dead/", "0000000000000002-00000003.msg.reason", NULL);
	assert_string_equal(why, "corrupt: bad magic or version\n");
	free(why);
	assert_true(exists(f, "", "README"));
	add(f, "snmp", "third", T0, id); /* seq continues past the imported ones */
	assert_string_equal(id, "000000006553f100-00000011");
	sync_(f);
	reopen(f);
	assert_null(outbox_open_note(f->o));
	assert_int_equal(outbox_count(f->o), 3);
}

static void test_leftover_temp_files_removed(void **state)
{
	struct fx *f = *state;
	const char *const only_a[] = {"a"};
	char a[64];

	open_(f);
	add(f, "snmp", "a", T0, a);
	sync_(f);
	close_(f);
	put(f, "journal.tmp-AbC123", "TTOUTBOX J1\ngarbage", 19); /* a compaction cut short */
	put(f, "0000000000000009-00000009.msg.tmp-AbC123", "TTOUTBOX 1\nchan", 15);
	put(f, "dead/0000000000000008-00000008.msg.reason.tmp-XyZ987", "corr", 4);
	put(f, "dead/journal-1.corrupt.tmp-XyZ987", "TTOUTBOX J1\n", 12);
	assert_int_equal(count_files(f, "", ".tmp-", NULL), 2);
	open_(f);
	assert_int_equal(count_files(f, "", ".tmp-", NULL), 0);
	assert_int_equal(count_files(f, "dead", ".tmp-", NULL), 0);
	expect_payloads(f, 1, only_a);
	assert_int_equal(outbox_dead_count(f->o), 0);
}

/* The journal cut at every byte of its last record (a write torn by a crash)
 * or with that record garbled: open drops it and nothing else, sets nothing
 * aside, and the journal takes new records after the good ones. */
static void test_torn_tail_every_offset(void **state)
{
	struct fx *f = *state;
	const char *const three[] = {"first", "second", "third"};
	const char *const four[] = {"first", "second", "third", "after"};
	char id[64], *full;
	off_t prefix;
	size_t len;

	open_(f);
	add(f, "snmp", "first", T0, id);
	add(f, "snmp", "second", T0, id);
	add(f, "snmp", "third", T0, id);
	sync_(f);
	prefix = journal_size(f);
	add(f, "snmp", "fourth, the torn one", T0, id);
	sync_(f);
	close_(f);
	full = slurp(f, "", "journal", &len);
	assert_true(len > (size_t)prefix + 40);

	for (size_t cut = (size_t)prefix; cut <= len; cut++) {
		bool garble = cut == len; /* last round: whole, one byte flipped */

		if (garble)
			full[len - 3] ^= 0x20;
		put(f, "journal", full, cut);
		open_(f);
		if (cut == (size_t)prefix) {
			assert_null(outbox_open_note(f->o));
		} else {
			assert_non_null(outbox_open_note(f->o));
			assert_non_null(strstr(outbox_open_note(f->o),
			                       "dropped an incomplete last record"));
		}
		expect_payloads(f, 3, three);
		assert_int_equal(count_files(f, "dead", "journal", NULL), 0);
		assert_int_equal(journal_size(f), prefix); /* cut back to the good records */
		add(f, "snmp", "after", T0, id);
		sync_(f);
		reopen(f);
		assert_null(outbox_open_note(f->o));
		expect_payloads(f, 4, four);
		close_(f);
	}
	free(full);
}

/* Damage BYTE (an offset into the 3rd of 5 records) of a synced journal:
 * open copies the journal to dead/ with a reason, keeps the records before
 * and after the bad one, and starts clean. */
static void corrupt_middle(struct fx *f, size_t byte_in_record)
{
	const char *const kept[] = {"one", "two", "four", "five"};
	const char *const payloads[] = {"one", "two", "three", "four", "five"};
	char id[64], name[256], *disk, *copy, *why, want[128];
	off_t start[6];
	size_t len, clen;

	open_(f);
	for (int i = 0; i < 5; i++) {
		start[i] = journal_size(f);
		add(f, "snmp", payloads[i], T0, id);
		sync_(f);
	}
	close_(f);
	disk = slurp(f, "", "journal", &len);
	disk[start[2] + byte_in_record] ^= 0x01;
	put(f, "journal", disk, len);

	open_(f);
	assert_non_null(outbox_open_note(f->o));
	snprintf(want, sizeof want, "bad record at byte %lld of %zu", (long long)start[2], len);
	assert_non_null(strstr(outbox_open_note(f->o), want));
	assert_non_null(strstr(outbox_open_note(f->o), "copy in dead/journal-"));
	expect_payloads(f, 4, kept);
	assert_int_equal(outbox_dead_count(f->o), 0); /* not a dead letter */
	assert_int_equal(count_files(f, "dead", ".corrupt.reason", NULL), 1);
	assert_int_equal(count_files(f, "dead", ".corrupt", name), 2);
	if (strstr(name, ".reason") != NULL)
		name[strlen(name) - strlen(".reason")] = '\0';
	copy = slurp(f, "dead/", name, &clen); /* the damaged journal, whole */
	assert_int_equal(clen, len);
	assert_memory_equal(copy, disk, len);
	strcat(name, ".reason");
	why = slurp(f, "dead/", name, NULL);
	assert_non_null(strstr(why, "corrupt: bad record at byte "));
	free(why);
	free(copy);
	free(disk);
	reopen(f); /* repaired for good */
	assert_null(outbox_open_note(f->o));
	expect_payloads(f, 4, kept);
}

static void test_corruption_in_payload(void **state)
{
	corrupt_middle(*state, 50); /* past the 12-byte header and 24 fixed bytes */
}

static void test_corruption_in_length(void **state)
{
	corrupt_middle(*state, 6); /* bodylen: the record's end is lost too */
}

/* A journal that is not one at all: set aside, the outbox starts empty. */
static void test_garbage_journal_set_aside(void **state)
{
	struct fx *f = *state;
	const char junk[] = "this is not a journal, but it is long enough";

	open_(f);
	close_(f);
	put(f, "journal", junk, strlen(junk));
	open_(f);
	assert_non_null(outbox_open_note(f->o));
	assert_non_null(strstr(outbox_open_note(f->o), "bad record at byte 0 of 44"));
	assert_int_equal(outbox_count(f->o), 0);
	assert_int_equal(count_files(f, "dead", ".corrupt", NULL), 2);
	reopen(f);
	assert_null(outbox_open_note(f->o));
}

/* Payload I of the compaction tests: 64 KiB, distinct. */
static void big_payload(unsigned i, char *buf, size_t len)
{
	for (size_t k = 0; k < len; k++)
		buf[k] = (char)('a' + (i * 7 + k) % 26);
	snprintf(buf, 16, "big %u;", i);
}

static void test_compaction_keeps_pending_exactly(void **state)
{
	struct fx *f = *state;
	enum { N = 40, BIG = 65536 };
	static char buf[BIG], want[BIG];
	struct outbox_item *it[N];
	char ids[N][64];
	off_t before;
	ino_t ino;

	open_(f);
	for (unsigned i = 0; i < N; i++) {
		big_payload(i, buf, BIG);
		assert_int_equal(outbox_add(f->o, "snmp", buf, BIG, T0 + i, ids[i], 64, f->err,
		                            sizeof f->err),
		                 0);
	}
	sync_(f);
	before = journal_size(f);
	ino = journal_inode(f);
	assert_true(before > N * BIG);
	for (unsigned i = 0; i < N; i++) /* keep 0, 4, 8, ..., 36 */
		if (i % 4 != 0)
			done(f, ids[i]);
	assert_int_equal(journal_inode(f), ino);
	sync_(f); /* 2.6 MB of journal for 655 KB pending: rewritten */
	assert_int_not_equal(journal_inode(f), ino);
	assert_true(journal_size(f) < (N / 4) * (BIG + 200));
	assert_true(journal_size(f) > (N / 4) * BIG);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(outbox_count(f->o), N / 4);
		assert_int_equal(outbox_due(f->o, INT64_MAX, it, N), N / 4);
		for (unsigned k = 0; k < N / 4; k++) {
			assert_string_equal(it[k]->id, ids[4 * k]);
			assert_int_equal(it[k]->created, T0 + 4 * k);
			big_payload(4 * k, want, BIG);
			assert_int_equal(it[k]->len, BIG);
			assert_memory_equal(it[k]->payload, want, BIG);
		}
		reopen(f);
		assert_null(outbox_open_note(f->o));
	}
}

/* Compaction of an outbox where everything was delivered keeps the seq. */
static void test_compaction_keeps_seq(void **state)
{
	struct fx *f = *state;
	enum { N = 40, BIG = 65536 };
	static char buf[BIG];
	char ids[N][64], id[64];

	open_(f);
	for (unsigned i = 0; i < N; i++) {
		big_payload(i, buf, BIG);
		assert_int_equal(
		        outbox_add(f->o, "snmp", buf, BIG, T0, ids[i], 64, f->err, sizeof f->err),
		        0);
	}
	sync_(f);
	for (unsigned i = 0; i < N; i++)
		done(f, ids[i]);
	sync_(f);
	assert_int_equal(journal_size(f), 12 + 20); /* magic and the seq floor */
	reopen(f);
	assert_int_equal(outbox_count(f->o), 0);
	add(f, "snmp", "next", T0, id);
	assert_string_equal(id, "000000006553f100-00000029");
}

#define CHILD_MAX 16050

/* The payload of the I-th notification the child adds: checkable alone;
 * large enough (8 KB on average) that the child's journal gets compacted
 * every twenty batches or so, so that some kills hit a compaction. */
static size_t child_payload(unsigned i, char *buf)
{
	size_t len = 50 + (i * 997) % (CHILD_MAX - 50);
	int n = snprintf(buf, 64, "n=%u;", i);

	memset(buf + n, 'a' + (char)(i % 26), len - (size_t)n);
	return len;
}

static void report(int fd, char what, const char *id)
{
	char line[80];
	int n = snprintf(line, sizeof line, "%c %s\n", what, id);

	if (write(fd, line, (size_t)n) != n)
		_exit(4);
}

/* Batches of adds, a sync, their ids reported ('A'); then done for three in
 * four of them (announced first, 'I'), a sync, those reported ('D'). */
static void child_loop(const char *dir, int fd, unsigned base)
{
	struct outbox *o;
	char err[256], ids[16][64];
	static char buf[CHILD_MAX];

	if (outbox_open(dir, &o, err, sizeof err) != 0)
		_exit(2);
	for (unsigned i = base, b = 0;; b++) {
		unsigned n = 1 + b % 13;

		for (unsigned k = 0; k < n; k++)
			if (outbox_add(o, "snmp", buf, child_payload(i + k, buf), T0 + (i + k) / 16,
			               ids[k], sizeof ids[k], err, sizeof err) != 0)
				_exit(3);
		if (outbox_sync(o, err, sizeof err) != 0)
			_exit(3);
		for (unsigned k = 0; k < n; k++)
			report(fd, 'A', ids[k]);
		for (unsigned k = 0; k < n; k++)
			if ((i + k) % 4 != 0)
				report(fd, 'I', ids[k]);
		for (unsigned k = 0; k < n; k++)
			if ((i + k) % 4 != 0 && outbox_done(o, ids[k], err, sizeof err) != 0)
				_exit(3);
		if (outbox_sync(o, err, sizeof err) != 0)
			_exit(3);
		for (unsigned k = 0; k < n; k++)
			if ((i + k) % 4 != 0)
				report(fd, 'D', ids[k]);
		i += n;
	}
}

struct reports {
	char (*added)[64];  /* in order */
	char (*intent)[64]; /* done about to be called; sorted once read */
	char (*done)[64];   /* done and synced; sorted once read */
	size_t nadded, nintent, ndone, cap;
};

static void read_reports(int fd, int64_t until_ms, struct reports *r)
{
	static char buf[1 << 16];
	static size_t have;
	struct timespec ts;
	char *nl;

	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		int64_t now_ms;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (until_ms >= 0 && now_ms >= until_ms)
			return;
		if (poll(&p, 1, until_ms < 0 ? -1 : (int)(until_ms - now_ms)) <= 0)
			continue;
		if ((n = read(fd, buf + have, sizeof buf - have - 1)) <= 0)
			return;
		have += (size_t)n;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n')) != NULL) {
			*nl = '\0';
			assert_true(strlen(buf) > 2 && strlen(buf) < 66);
			assert_true(r->nadded < r->cap && r->nintent < r->cap && r->ndone < r->cap);
			if (buf[0] == 'A')
				strcpy(r->added[r->nadded++], buf + 2);
			else if (buf[0] == 'I')
				strcpy(r->intent[r->nintent++], buf + 2);
			else
				strcpy(r->done[r->ndone++], buf + 2);
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have + 1);
		}
	}
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_kill_9_loses_nothing_synced(void **state)
{
	struct fx *f = *state;
	struct reports r = {0};
	struct outbox_item **it;
	size_t n, j = 0, want = 0;
	const char *note;

	r.cap = 1 << 20;
	r.added = malloc(r.cap * sizeof *r.added);
	r.intent = malloc(r.cap * sizeof *r.intent);
	r.done = malloc(r.cap * sizeof *r.done);
	for (int round = 0; round < 10; round++) {
		struct timespec ts;
		int fds[2], status;
		pid_t pid;

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			child_loop(f->dir, fds[1], (unsigned)round * 1000000u);
		}
		close(fds[1]);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		read_reports(fds[0],
		             (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 5 + round * 11, &r);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		read_reports(fds[0], -1, &r);
		close(fds[0]);
	}
	assert_true(r.nadded > 0);
	qsort(r.intent, r.nintent, sizeof r.intent[0], cmp_id);
	qsort(r.done, r.ndone, sizeof r.done[0], cmp_id);

	open_(f);
	note = outbox_open_note(f->o); /* a torn tail is fine, corruption is not */
	assert_true(note == NULL || strstr(note, "bad record") == NULL);
	assert_int_equal(outbox_dead_count(f->o), 0);
	assert_int_equal(count_files(f, "", ".tmp-", NULL), 0);
	n = outbox_count(f->o);
	it = calloc(n + 1, sizeof *it);
	assert_int_equal(outbox_due(f->o, INT64_MAX, it, n), n);
	/* every synced add not (about to be) done is there, in order */
	for (size_t i = 0; i < r.nadded; i++) {
		if (bsearch(r.added[i], r.intent, r.nintent, sizeof r.intent[0], cmp_id) != NULL)
			continue;
		want++;
		while (j < n && strcmp(it[j]->id, r.added[i]) != 0)
			j++;
		assert_true(j < n); /* found, in order */
	}
	/* no synced done is back; every item there is whole; besides the dones
	 * in flight, at most one batch (13) of adds not reported per kill */
	for (size_t k = 0; k < n; k++) {
		static char buf[CHILD_MAX];
		unsigned i;

		assert_null(bsearch(it[k]->id, r.done, r.ndone, sizeof r.done[0], cmp_id));
		assert_int_equal(sscanf(it[k]->payload, "n=%u;", &i), 1);
		assert_int_equal(it[k]->len, child_payload(i, buf));
		assert_memory_equal(it[k]->payload, buf, it[k]->len);
	}
	assert_true(n >= want && n <= want + (r.nintent - r.ndone) + 10 * 13);
	free(it);
	print_message("# kill -9: %zu added and %zu done reported, %zu expected, %zu on disk%s%s\n",
	              r.nadded, r.ndone, want, n, note ? "; " : "", note ? note : "");
	free(r.added);
	free(r.intent);
	free(r.done);
}

/* A thousand pending notifications survive a reopen, in order. (How fast
 * is for bench/outbox.sh, not for a test.) */
static void test_thousand_items(void **state)
{
	struct fx *f = *state;
	struct outbox_item **due;
	char buf[300], id[64], first[64] = "";
	size_t n;

	memset(buf, 'p', sizeof buf);
	open_(f);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(outbox_add(f->o, "snmp", buf, sizeof buf, T0, id, sizeof id,
		                            f->err, sizeof f->err),
		                 0);
		if (i == 0)
			snprintf(first, sizeof first, "%s", id);
		if (i % 100 == 99)
			sync_(f);
	}
	reopen(f);
	assert_int_equal(outbox_count(f->o), 1000);
	due = calloc(1000, sizeof(*due));
	assert_non_null(due);
	n = outbox_due(f->o, T0, due, 1000);
	assert_int_equal(n, 1000);
	assert_string_equal(due[0]->id, first);
	assert_string_equal(due[999]->id, id);
	/* out-of-order dones leave holes that due and lookups skip */
	for (size_t i = 0; i < 1000; i += 3)
		done(f, due[i]->id);
	sync_(f);
	assert_int_equal(outbox_count(f->o), 666);
	reopen(f);
	n = outbox_due(f->o, T0, due, 1000);
	assert_int_equal(n, 666);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(due[i - 1]->id, due[i]->id) < 0);
	free(due);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_add_then_reopen_keeps_payload_exact),
	        T(test_not_due_before_sync),
	        T(test_bad_arguments_are_refused),
	        T(test_due_is_oldest_first_and_skips_future),
	        T(test_busy_items_are_skipped),
	        T(test_done_removes_it),
	        T(test_done_redelivered_only_if_not_synced),
	        T(test_retry_backoff_exact),
	        T(test_retry_jitter_bounds_and_cap),
	        T(test_max_age_moves_to_dead_with_reason),
	        T(test_dead_by_caller),
	        T(test_old_format_files_imported),
	        T(test_leftover_temp_files_removed),
	        T(test_torn_tail_every_offset),
	        T(test_corruption_in_payload),
	        T(test_corruption_in_length),
	        T(test_garbage_journal_set_aside),
	        T(test_compaction_keeps_pending_exactly),
	        T(test_compaction_keeps_seq),
	        T(test_kill_9_loses_nothing_synced),
	        T(test_thousand_items),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
