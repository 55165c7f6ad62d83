/*
 * test_services.c - the service table: find/get, output, and the state file
 * (round trip exact, damaged files refused with their line number).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "services.h"

static char dir[] = "/tmp/test_services.XXXXXX";
static char path[300];

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/services", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void get_find_and_grow(void **state)
{
	struct services t;
	char h[32], s[32];
	int created;

	(void)state;
	assert_int_equal(services_init(&t), 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(h, sizeof(h), "host%d", i % 100);
		snprintf(s, sizeof(s), "svc%d", i);
		assert_non_null(services_get(&t, h, s, 1000, &created));
		assert_int_equal(created, 1);
	}
	assert_int_equal(t.count, 5000);
	assert_true(t.nbuckets >= 5000);
	assert_non_null(services_get(&t, "host7", "svc7", 1000, &created));
	assert_int_equal(created, 0);
	assert_int_equal(t.count, 5000);
	assert_null(services_find(&t, "host7", "svc8"));
	/* host and service are separate: "ab"+"c" is not "a"+"bc". */
	assert_non_null(services_get(&t, "ab", "c", 1000, NULL));
	assert_null(services_find(&t, "a", "bc"));
	services_free(&t);
}

static void values_ring_keeps_the_latest_in_order(void **state)
{
	struct services t;
	struct svc *s;
	double v[SERVICES_VALUES];

	(void)state;
	assert_int_equal(services_init(&t), 0);
	s = services_get(&t, "h", "s", 0, NULL);
	assert_int_equal(services_values(s, v), 0);
	services_push_value(s, 1);
	services_push_value(s, 2);
	assert_int_equal(services_values(s, v), 2);
	assert_true(v[0] == 1 && v[1] == 2);
	for (int i = 3; i <= 40; i++)
		services_push_value(s, i);
	assert_int_equal(services_values(s, v), SERVICES_VALUES);
	for (int i = 0; i < SERVICES_VALUES; i++)
		assert_true(v[i] == 40 - SERVICES_VALUES + 1 + i);
	services_free(&t);
}

static void save_load_round_trip(void **state)
{
	struct services a, b;
	struct rules_policy p = {.sustain_count = 2, .recover_count = 1, .stale_after = -1};
	struct rules_event ev[RULES_MAX_EVENTS];
	struct svc *s, *r;
	char la[RULES_LINE_MAX], lb[RULES_LINE_MAX], err[512];

	(void)state;
	assert_int_equal(services_init(&a), 0);
	s = services_get(&a, "web01", "disk /var", 100, NULL);
	assert_int_equal(services_set_output(s, "DISK CRITICAL - / 99% ; \\ x", "'/'=99%;80;90"),
	                 0);
	rules_result(&s->rs, &p, RULES_CRITICAL, 100, &a.next_id, ev);
	rules_result(&s->rs, &p, RULES_CRITICAL, 160, &a.next_id, ev);
	s->sent_problem_id = 1;
	s->acked_problem_id = 1;
	s->escalated = 0x8000000000000005ULL;
	services_get(&a, "db01", "mem", 100, NULL); /* never reported: no output */
	assert_int_equal(services_save(&a, path, err, sizeof(err)), 0);

	assert_int_equal(services_init(&b), 0);
	assert_int_equal(services_load(&b, path, err, sizeof(err)), 0);
	assert_int_equal(b.count, 2);
	assert_int_equal(b.next_id, a.next_id);
	r = services_find(&b, "web01", "disk /var");
	assert_non_null(r);
	assert_string_equal(r->output, "DISK CRITICAL - / 99% ; \\ x");
	assert_string_equal(r->perfdata, "'/'=99%;80;90");
	assert_int_equal(r->sent_problem_id, 1);
	assert_int_equal(r->acked_problem_id, 1);
	assert_true(r->escalated == 0x8000000000000005ULL);
	assert_int_equal(r->last, RULES_CRITICAL);
	rules_encode(&s->rs, la, sizeof(la));
	rules_encode(&r->rs, lb, sizeof(lb));
	assert_string_equal(la, lb);
	r = services_find(&b, "db01", "mem");
	assert_non_null(r);
	assert_string_equal(r->output, "");
	services_free(&a);
	services_free(&b);
}

static void damaged_files_refused(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	        {"", ":1: empty file"},
	        {"garbage\n", ":1: not a trendtrapd services file"},
	        {"trendtrapd-services 1 next_id=0\n", ":1: bad next_id"},
	        {"trendtrapd-services 1 next_id=5\nweb01\tdisk\n", ":2: expected 6"},
	        {"trendtrapd-services 1 next_id=5\nweb01\tdisk\tx\tv1\t\t\n", ":2: bad problem id"},
	        {"trendtrapd-services 1 next_id=5\nweb01\tdisk\t0\tv9 junk\t\t\n", ":2: "},
	        {"trendtrapd-services 1 next_id=5\n\tdisk\t0\tv1\t\t\n", ":2: empty host"},
	        {"trendtrapd-services 1 next_id=5\nweb01\tdisk\t0\tv1", ":2: line cut short"},
	};
	struct services t;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(cases[i].text);
		assert_int_equal(services_init(&t), 0);
		assert_int_equal(services_load(&t, path, err, sizeof(err)), -1);
		assert_non_null(strstr(err, cases[i].want));
		assert_int_equal(t.count, 0);
		services_free(&t);
	}
	unlink(path);
	assert_int_equal(services_init(&t), 0);
	assert_int_equal(services_load(&t, path, err, sizeof(err)), 0); /* missing: empty */
	assert_int_equal(t.count, 0);
	services_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(get_find_and_grow),
	        cmocka_unit_test(values_ring_keeps_the_latest_in_order),
	        cmocka_unit_test(save_load_round_trip),
	        cmocka_unit_test(damaged_files_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
