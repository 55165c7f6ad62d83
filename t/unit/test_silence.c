/*
 * test_silence.c - silences as a specification: which services a pattern
 * covers and until when, what `trendtrap silence add` refuses, and the file
 * that keeps them: it round-trips, refuses every kind of damage with a reason
 * without touching the list in memory, and never lets an id come back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "silence.h"

#define NOW 1700000000

/* A scratch directory and the silence file's path in it. */
struct scratch {
	char dir[256];
	char path[300];
};

static void scratch_open(struct scratch *f)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(f->dir, sizeof f->dir, "%s/test_silence-XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/silences", f->dir);
}

static void scratch_close(struct scratch *f)
{
	unlink(f->path);
	assert_int_equal(rmdir(f->dir), 0);
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static uint64_t add(struct silences *s, const char *pattern, const char *duration,
                    const char *comment, int64_t now)
{
	char err[256] = "";
	uint64_t id = 0;

	if (silence_add(s, pattern, duration, comment, now, &id, err, sizeof err) != 0)
		fail_msg("silence_add('%s', '%s') failed: %s", pattern, duration, err);
	assert_true(id != 0);
	return id;
}

static void expect_add_error(const char *pattern, const char *duration, const char *comment,
                             const char *want)
{
	struct silences s = {0};
	char err[256] = "";

	if (silence_add(&s, pattern, duration, comment, NOW, NULL, err, sizeof err) != -1)
		fail_msg("'%s' '%s' '%s' accepted, expected '%s'", pattern, duration, comment,
		         want);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not mention '%s'", err, want);
	assert_int_equal(s.n, 0);
	assert_true(s.next_id <= 1);
	silence_free(&s);
}

/* The id of the silence covering HOST/SERVICE at T, 0 when none. */
static uint64_t matched(const struct silences *s, const char *host, const char *service, int64_t t)
{
	const struct silence *sl = silence_match(s, host, service, t);

	return sl ? sl->id : 0;
}

/* --- matching --- */

static void a_host_pattern_covers_all_its_services(void **state)
{
	struct silences s = {0};
	uint64_t id;

	(void)state;
	id = add(&s, "web01", "1h", "reboot", NOW);
	assert_true(matched(&s, "web01", "disk /var", NOW) == id);
	assert_true(matched(&s, "web01", "HOST", NOW) == id);
	assert_true(matched(&s, "web02", "disk /var", NOW) == 0);
	assert_true(matched(&s, "web011", "disk /var", NOW) == 0);
	assert_null(s.v[0].service_pattern);
	assert_string_equal(s.v[0].host_pattern, "web01");
	assert_string_equal(s.v[0].pattern, "web01");
	silence_free(&s);
}

static void host_and_service_pattern_covers_that_service(void **state)
{
	struct silences s = {0};
	uint64_t id;

	(void)state;
	id = add(&s, "web01/disk /var", "1h", "resize", NOW);
	assert_true(matched(&s, "web01", "disk /var", NOW) == id);
	assert_true(matched(&s, "web01", "disk /", NOW) == 0);
	assert_true(matched(&s, "web01", "HOST", NOW) == 0);
	assert_true(matched(&s, "web02", "disk /var", NOW) == 0);
	silence_free(&s);
}

static void the_service_part_may_hold_slashes(void **state)
{
	struct silences s = {0};
	uint64_t id;

	(void)state;
	id = add(&s, "db01/disk /var/lib/pg", "1h", "migration", NOW);
	assert_string_equal(s.v[0].host_pattern, "db01");
	assert_string_equal(s.v[0].service_pattern, "disk /var/lib/pg");
	assert_true(matched(&s, "db01", "disk /var/lib/pg", NOW) == id);
	assert_true(matched(&s, "db01", "disk /var", NOW) == 0);
	silence_free(&s);
}

static void wildcards_follow_fnmatch_without_flags(void **state)
{
	struct silences s = {0};
	uint64_t web, any_disk, bracket;

	(void)state;
	web = add(&s, "web[0-9]*", "1h", "web farm", NOW);
	any_disk = add(&s, "*/disk *", "1h", "all disks", NOW);
	bracket = add(&s, "?b01/mem", "1h", "one letter", NOW);
	assert_true(matched(&s, "web7", "anything", NOW) == web);
	assert_true(matched(&s, "web", "anything", NOW) == 0);
	assert_true(matched(&s, "webx", "anything", NOW) == 0);
	assert_true(matched(&s, "db9", "disk /var/lib", NOW) == any_disk); /* '*' crosses '/' */
	assert_true(matched(&s, "db9", "disk", NOW) == 0);
	assert_true(matched(&s, "db01", "mem", NOW) == bracket);
	assert_true(matched(&s, "xdb01", "mem", NOW) == 0);
	assert_true(matched(&s, "web1", "disk /", NOW) == web); /* the lowest id wins */
	silence_free(&s);
}

static void silenced_while_now_is_before_until(void **state)
{
	struct silences s = {0};
	uint64_t id;

	(void)state;
	id = add(&s, "web01", "1h", "reboot", NOW);
	assert_true(s.v[0].created == NOW);
	assert_true(s.v[0].until == NOW + 3600);
	assert_true(matched(&s, "web01", "x", NOW + 3599) == id);
	assert_true(matched(&s, "web01", "x", NOW + 3600) == 0);
	assert_int_equal(silence_expire(&s, NOW + 3599), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(silence_expire(&s, NOW + 3600), 1);
	assert_int_equal(s.n, 0);
	silence_free(&s);
}

static void expire_keeps_the_others_in_order(void **state)
{
	struct silences s = {0};

	(void)state;
	add(&s, "a", "1h", "x", NOW);
	add(&s, "b", "3h", "x", NOW);
	add(&s, "c", "2h", "x", NOW);
	add(&s, "d", "4h", "x", NOW);
	add(&s, "e", "1h", "x", NOW);
	assert_int_equal(silence_expire(&s, NOW + 2 * 3600), 3);
	assert_int_equal(s.n, 2);
	assert_true(s.v[0].id == 2 && s.v[1].id == 4);
	assert_string_equal(s.v[1].pattern, "d");
	silence_free(&s);
}

static void durations_parse_like_everywhere_else(void **state)
{
	struct silences s = {0};

	(void)state;
	add(&s, "a", "1d12h", "x", NOW);
	add(&s, "b", "90", "x", NOW);
	add(&s, "c", "0.5s", "x", NOW); /* rounded up to a whole second */
	add(&s, "d", "2w", "x", NOW);
	assert_true(s.v[0].until == NOW + 36 * 3600);
	assert_true(s.v[1].until == NOW + 90);
	assert_true(s.v[2].until == NOW + 1);
	assert_true(s.v[3].until == NOW + 14 * 86400);
	silence_free(&s);
}

/* --- the list --- */

static void ids_start_at_one_and_only_grow(void **state)
{
	struct silences s = {0};
	char err[256];

	(void)state;
	assert_true(add(&s, "a", "1h", "x", NOW) == 1);
	assert_true(add(&s, "b", "1h", "x", NOW) == 2);
	assert_int_equal(silence_remove(&s, 2), 0);
	assert_true(add(&s, "c", "1h", "x", NOW) == 3);
	/* A refused silence takes no id. */
	assert_int_equal(silence_add(&s, "", "1h", "x", NOW, NULL, err, sizeof err), -1);
	assert_true(add(&s, "d", "1h", "x", NOW) == 4);
	assert_true(s.next_id == 5);
	silence_free(&s);
}

static void remove_takes_exactly_one(void **state)
{
	struct silences s = {0};

	(void)state;
	add(&s, "a", "1h", "x", NOW);
	add(&s, "b", "1h", "x", NOW);
	add(&s, "c", "1h", "x", NOW);
	assert_int_equal(silence_remove(&s, 2), 0);
	assert_int_equal(silence_remove(&s, 2), -1);
	assert_int_equal(silence_remove(&s, 0), -1);
	assert_int_equal(silence_remove(&s, 99), -1);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0].pattern, "a");
	assert_string_equal(s.v[1].pattern, "c");
	assert_true(matched(&s, "b", "x", NOW) == 0);
	assert_true(matched(&s, "c", "x", NOW) == 3);
	silence_free(&s);
	assert_int_equal(s.n, 0);
	assert_null(s.v);
}

static void many_silences(void **state)
{
	struct silences s = {0};
	char pattern[32];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(pattern, sizeof pattern, "host%d", i);
		add(&s, pattern, "1h", "x", NOW);
	}
	assert_true(matched(&s, "host999", "x", NOW) == 1000);
	for (uint64_t id = 1; id <= 1000; id += 2)
		assert_int_equal(silence_remove(&s, id), 0);
	assert_int_equal(s.n, 500);
	assert_true(matched(&s, "host997", "x", NOW) == 998);
	assert_true(matched(&s, "host998", "x", NOW) == 0);
	silence_free(&s);
}

/* --- what add refuses --- */

static void bad_patterns_are_refused(void **state)
{
	char longer[600];

	(void)state;
	expect_add_error("", "1h", "x", "empty pattern");
	expect_add_error("/disk", "1h", "x", "empty host in pattern '/disk'");
	expect_add_error("web01/", "1h", "x", "empty service in pattern 'web01/'");
	expect_add_error("web\t01", "1h", "x", "control character in pattern");
	expect_add_error("web01/disk\n", "1h", "x", "control character in pattern");
	memset(longer, 'p', 513);
	longer[513] = '\0';
	expect_add_error(longer, "1h", "x", "pattern longer than 512 bytes");
}

static void bad_durations_are_refused(void **state)
{
	(void)state;
	expect_add_error("web01", "", "x", "empty duration");
	expect_add_error("web01", "0", "x", "duration '0' is not positive");
	expect_add_error("web01", "0s", "x", "not positive");
	expect_add_error("web01", "-1h", "x", "negative duration");
	expect_add_error("web01", "soon", "x", "soon");
	expect_add_error("web01", "2x", "x", "2x");
	expect_add_error("web01", "6000w", "x", "longer than 100 years");
}

static void bad_comments_are_refused(void **state)
{
	struct silences s = {0};
	char longer[600];

	(void)state;
	expect_add_error("web01", "1h", "", "empty comment");
	expect_add_error("web01", "1h", "tab\there", "control character in comment");
	expect_add_error("web01", "1h", "esc\x1b", "control character in comment");
	memset(longer, 'c', 513);
	longer[513] = '\0';
	expect_add_error("web01", "1h", longer, "comment longer than 512 bytes");
	longer[512] = '\0';
	add(&s, "web01", "1h", longer, NOW);
	silence_free(&s);
}

/* --- the file --- */

static void expect_same(const struct silences *a, const struct silences *b)
{
	assert_int_equal(a->n, b->n);
	assert_true(a->next_id == b->next_id);
	for (size_t i = 0; i < a->n; i++) {
		const struct silence *x = &a->v[i], *y = &b->v[i];

		assert_true(x->id == y->id && x->created == y->created && x->until == y->until);
		assert_string_equal(x->pattern, y->pattern);
		assert_string_equal(x->host_pattern, y->host_pattern);
		if (x->service_pattern || y->service_pattern)
			assert_string_equal(x->service_pattern, y->service_pattern);
		assert_string_equal(x->comment, y->comment);
	}
}

static void save_and_load_round_trip(void **state)
{
	struct scratch f;
	struct silences s = {0}, back = {0};
	char err[256] = "", buf[1024];
	struct stat st;
	FILE *fp;

	(void)state;
	scratch_open(&f);
	add(&s, "web01", "1h", "reboot; ticket #42", NOW);
	add(&s, "db\\01/disk C:\\data\\", "2d", "back\\slash \\t not a tab \\", NOW - 5);
	add(&s, "*/disk /var/*", "1w", "Größe – 日本", NOW + 7);
	add(&s, "[ab]?/x", "30s", "  spaces  kept  ", NOW);
	assert_int_equal(silence_save(&s, f.path, err, sizeof err), 0);
	assert_int_equal(silence_load(&back, f.path, err, sizeof err), 0);
	expect_same(&s, &back);

	/* The file: a header, then one line per silence. */
	fp = fopen(f.path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof buf, fp));
	assert_string_equal(buf, "trendtrap-silences 1 next_id=5\n");
	assert_non_null(fgets(buf, sizeof buf, fp));
	assert_string_equal(buf, "1\t1700000000\t1700003600\tweb01\treboot; ticket #42\n");
	assert_non_null(fgets(buf, sizeof buf, fp));
	assert_string_equal(buf, "2\t1699999995\t1700172795\tdb\\\\01/disk C:\\\\data\\\\\t"
	                         "back\\\\slash \\\\t not a tab \\\\\n");
	fclose(fp);
	assert_int_equal(stat(f.path, &st), 0);
	assert_int_equal(st.st_mode & 077, 0); /* not readable by others */

	silence_free(&s);
	silence_free(&back);
	scratch_close(&f);
}

static void an_empty_list_round_trips_its_next_id(void **state)
{
	struct scratch f;
	struct silences s = {0}, back = {0};
	char err[256];

	(void)state;
	scratch_open(&f);
	assert_int_equal(silence_save(&s, f.path, err, sizeof err), 0);
	assert_int_equal(silence_load(&back, f.path, err, sizeof err), 0);
	assert_int_equal(back.n, 0);
	assert_true(back.next_id == 1);
	add(&s, "a", "1h", "x", NOW);
	silence_remove(&s, 1);
	assert_int_equal(silence_save(&s, f.path, err, sizeof err), 0);
	assert_int_equal(silence_load(&back, f.path, err, sizeof err), 0);
	assert_int_equal(back.n, 0);
	assert_true(back.next_id == 2);
	silence_free(&s);
	silence_free(&back);
	scratch_close(&f);
}

static void ids_are_never_reused_across_restarts(void **state)
{
	struct scratch f;
	struct silences s = {0}, back = {0};
	char err[256];

	(void)state;
	scratch_open(&f);
	add(&s, "a", "1h", "x", NOW);
	add(&s, "b", "1h", "x", NOW);
	add(&s, "c", "1h", "x", NOW);
	assert_int_equal(silence_remove(&s, 3), 0);
	assert_int_equal(silence_remove(&s, 2), 0);
	assert_int_equal(silence_save(&s, f.path, err, sizeof err), 0);
	assert_int_equal(silence_load(&back, f.path, err, sizeof err), 0);
	assert_true(add(&back, "d", "1h", "x", NOW) == 4);
	/* Expired ones too: their ids stay dead. */
	assert_int_equal(silence_expire(&back, NOW + 3600), 2);
	assert_int_equal(silence_save(&back, f.path, err, sizeof err), 0);
	assert_int_equal(silence_load(&s, f.path, err, sizeof err), 0);
	assert_int_equal(s.n, 0);
	assert_true(add(&s, "e", "1h", "x", NOW) == 5);
	silence_free(&s);
	silence_free(&back);
	scratch_close(&f);
}

static void a_missing_file_is_an_empty_list(void **state)
{
	struct scratch f;
	struct silences s = {0};
	char err[256] = "";

	(void)state;
	scratch_open(&f);
	add(&s, "a", "1h", "x", NOW);
	assert_int_equal(silence_load(&s, f.path, err, sizeof err), 0);
	assert_int_equal(s.n, 0);
	assert_true(s.next_id == 1);
	silence_free(&s);
	scratch_close(&f);
}

static void load_replaces_what_the_list_held(void **state)
{
	struct scratch f;
	struct silences s = {0}, other = {0};
	char err[256];

	(void)state;
	scratch_open(&f);
	add(&other, "saved", "1h", "x", NOW);
	assert_int_equal(silence_save(&other, f.path, err, sizeof err), 0);
	add(&s, "a", "1h", "x", NOW);
	add(&s, "b", "1h", "x", NOW);
	assert_int_equal(silence_load(&s, f.path, err, sizeof err), 0);
	expect_same(&s, &other);
	silence_free(&s);
	silence_free(&other);
	scratch_close(&f);
}

/* Each kind of damage: the file, and what the message must say. */
static const struct {
	const char *text;
	const char *want;
} damaged[] = {
        {"", ": empty file"},
        {"1\t0\t10\tweb\tx\n", ":1: not a silence file"},
        {"trendtrap-silence 1 next_id=2\n", ":1: not a silence file"},
        {"trendtrap-silences 2 next_id=2\n", ":1: unsupported version"},
        {"trendtrap-silences 1 next=2\n", ":1: unsupported version"},
        {"trendtrap-silences 1 next_id=0\n", ":1: bad next_id"},
        {"trendtrap-silences 1 next_id=x\n", ":1: bad next_id"},
        {"trendtrap-silences 1 next_id=2 \n", ":1: bad next_id"},
        {"trendtrap-silences 1 next_id=99999999999999999999\n", ":1: bad next_id"},
        {"trendtrap-silences 1 next_id=2", ":1: last line not terminated"},
        {"trendtrap-silences 1 next_id=3\n1\t0\t10\tweb\tx\n2\t0\t10\tdb\ty", ":3: last line"},
        {"trendtrap-silences 1 next_id=2\n1\t0\t10\twe\0b\tx\n", ":2: NUL byte"},
        {"trendtrap-silences 1 next_id=2\n\n", ":2: 1 tab-separated fields"},
        {"trendtrap-silences 1 next_id=2\n1\t0\t10\tweb\n", ":2: 4 tab-separated fields"},
        {"trendtrap-silences 1 next_id=2\n1\t0\t10\tweb\tx\ty\n", ":2: more than 5"},
        {"trendtrap-silences 1 next_id=2\n0\t0\t10\tweb\tx\n", ":2: bad id"},
        {"trendtrap-silences 1 next_id=2\nx\t0\t10\tweb\tx\n", ":2: bad id"},
        {"trendtrap-silences 1 next_id=2\n-1\t0\t10\tweb\tx\n", ":2: bad id"},
        {"trendtrap-silences 1 next_id=9\n2\t0\t10\ta\tx\n2\t0\t10\tb\tx\n", ":3: id 2 out of"},
        {"trendtrap-silences 1 next_id=9\n3\t0\t10\ta\tx\n2\t0\t10\tb\tx\n", ":3: id 2 out of"},
        {"trendtrap-silences 1 next_id=2\n2\t0\t10\tweb\tx\n", ":2: id 2 not below next_id 2"},
        {"trendtrap-silences 1 next_id=2\n1\tx\t10\tweb\tx\n", ":2: bad time"},
        {"trendtrap-silences 1 next_id=2\n1\t0\t1.5\tweb\tx\n", ":2: bad time"},
        {"trendtrap-silences 1 next_id=2\n1\t0\t\tweb\tx\n", ":2: bad time"},
        {"trendtrap-silences 1 next_id=2\n1\t10\t9\tweb\tx\n", ":2: ends before it was created"},
        {"trendtrap-silences 1 next_id=2\n1\t0\t10\twe\\b\tx\n", ":2: bad '\\' escape"},
        {"trendtrap-silences 1 next_id=2\n1\t0\t10\tweb\tx\\\n", ":2: bad '\\' escape"},
        {"trendtrap-silences 1 next_id=2\n1\t0\t10\t\tx\n", ":2: empty pattern"},
        {"trendtrap-silences 1 next_id=2\n1\t0\t10\t/disk\tx\n", ":2: empty host in pattern"},
        {"trendtrap-silences 1 next_id=2\n1\t0\t10\tweb\t\n", ":2: empty comment"},
        {"trendtrap-silences 1 next_id=2\n1\t0\t10\tweb\ta\\tb\n", ":2: control character"},
        {"trendtrap-silences 1 next_id=2\n1\t0\t10\tweb\ta\x01\n", ":2: control character"},
        {"trendtrap-silences 1 next_id=2\n1\t0\t10\tweb\\nx\tc\n", ":2: control character"},
};

static void damaged_files_are_refused_and_change_nothing(void **state)
{
	struct scratch f;
	struct silences s = {0};
	const struct silence *v;
	char err[512], want[600];

	(void)state;
	scratch_open(&f);
	add(&s, "kept", "1h", "still here", NOW);
	add(&s, "kept2", "1h", "still here", NOW);
	v = s.v;
	for (size_t i = 0; i < sizeof damaged / sizeof damaged[0]; i++) {
		size_t len = strlen(damaged[i].text);

		if (strstr(damaged[i].want, "NUL"))
			len += strlen(damaged[i].text + len + 1) + 1;
		write_file(f.path, damaged[i].text, len);
		err[0] = '\0';
		if (silence_load(&s, f.path, err, sizeof err) != -1)
			fail_msg("damage %zu loaded", i);
		snprintf(want, sizeof want, "%s%s", f.path, damaged[i].want);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("damage %zu: error '%s' does not start with '%s'", i, err, want);
		assert_true(s.v == v && s.n == 2 && s.next_id == 3);
		assert_string_equal(s.v[1].pattern, "kept2");
	}
	silence_free(&s);
	scratch_close(&f);
}

static void io_errors_are_reported(void **state)
{
	struct scratch f;
	struct silences s = {0};
	char err[512] = "", path[400];

	(void)state;
	scratch_open(&f);
	add(&s, "a", "1h", "x", NOW);
	snprintf(path, sizeof path, "%s/no/such/dir/silences", f.dir);
	assert_int_equal(silence_save(&s, path, err, sizeof err), -1);
	assert_true(err[0] != '\0');
	err[0] = '\0';
	assert_int_equal(silence_load(&s, f.dir, err, sizeof err), -1); /* a directory */
	assert_non_null(strstr(err, f.dir));
	assert_int_equal(s.n, 1);
	silence_free(&s);
	scratch_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(a_host_pattern_covers_all_its_services),
	        cmocka_unit_test(host_and_service_pattern_covers_that_service),
	        cmocka_unit_test(the_service_part_may_hold_slashes),
	        cmocka_unit_test(wildcards_follow_fnmatch_without_flags),
	        cmocka_unit_test(silenced_while_now_is_before_until),
	        cmocka_unit_test(expire_keeps_the_others_in_order),
	        cmocka_unit_test(durations_parse_like_everywhere_else),
	        cmocka_unit_test(ids_start_at_one_and_only_grow),
	        cmocka_unit_test(remove_takes_exactly_one),
	        cmocka_unit_test(many_silences),
	        cmocka_unit_test(bad_patterns_are_refused),
	        cmocka_unit_test(bad_durations_are_refused),
	        cmocka_unit_test(bad_comments_are_refused),
	        cmocka_unit_test(save_and_load_round_trip),
	        cmocka_unit_test(an_empty_list_round_trips_its_next_id),
	        cmocka_unit_test(ids_are_never_reused_across_restarts),
	        cmocka_unit_test(a_missing_file_is_an_empty_list),
	        cmocka_unit_test(load_replaces_what_the_list_held),
	        cmocka_unit_test(damaged_files_are_refused_and_change_nothing),
	        cmocka_unit_test(io_errors_are_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
