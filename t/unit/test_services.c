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

/* Escalation bits follow their routes to a new configuration. */
static void escalation_bits_follow_their_routes(void **state)
{
	static const uint64_t before[] = {0xa, 0xb, 0xc, 0xd}, after[] = {0xc, 0xe, 0xa, 0xd};
	struct services t, u;
	struct svc *s;
	char err[512];

	(void)state;
	assert_int_equal(services_init(&t), 0);
	s = services_get(&t, "web01", "disk", 100, NULL);
	s->escalated = 0xff;                /* bits without a route, as from a version 2 file */
	services_set_routes(&t, before, 4); /* not known before: bits stay */
	assert_true(s->escalated == 0xff);

	s->escalated = 0x7; /* a, b and c took the problem, d not yet */
	services_set_routes(&t, after, 4);
	/* c moved to 0, a to 2, b is gone, e is new, d (not taken) stays 3 */
	assert_true(s->escalated == 0x5);
	assert_int_equal(t.nroutes, 4);

	/* And across a restart: the file names the routes. */
	assert_int_equal(services_save(&t, path, err, sizeof(err)), 0);
	assert_int_equal(services_init(&u), 0);
	assert_int_equal(services_load(&u, path, err, sizeof(err)), 0);
	assert_int_equal(u.nroutes, 4);
	assert_true(u.routes[1] == 0xe);
	services_set_routes(&u, before, 4);
	s = services_find(&u, "web01", "disk");
	assert_true(s->escalated == 0x5); /* a back to 0, c back to 2 */

	/* Two identical routes keep their order; one left takes the first. */
	services_set_routes(&u, (const uint64_t[]){0xa, 0xa}, 2);
	s->escalated = 0x2;
	services_set_routes(&u, (const uint64_t[]){0xc, 0xa, 0xa}, 3);
	assert_true(s->escalated == 0x4);
	services_set_routes(&u, NULL, 0);
	assert_true(s->escalated == 0);
	services_free(&t);
	services_free(&u);
}

/* A version 2 file (no routes) still loads, its bits as they were. */
static void version_2_file_loads(void **state)
{
	struct services t;
	struct svc *s;
	char err[512];

	char text[4096], *line;
	FILE *fp;
	size_t n;

	(void)state;
	/* A file saved now, its header turned into version 2's. */
	assert_int_equal(services_init(&t), 0);
	t.next_id = 7;
	services_get(&t, "web01", "disk", 100, NULL)->escalated = 5;
	services_set_routes(&t, (const uint64_t[]){0xa}, 1);
	assert_int_equal(services_save(&t, path, err, sizeof(err)), 0);
	services_free(&t);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	line = strchr(text, '\n');
	assert_non_null(line);
	assert_memory_equal(text, "trendtrapd-services 3 next_id=7 routes=a\n", line - text + 1);
	memmove(text + 31, line, strlen(line) + 1);
	memcpy(text, "trendtrapd-services 2 next_id=7", 31);
	write_file(text);

	assert_int_equal(services_init(&t), 0);
	assert_int_equal(services_load(&t, path, err, sizeof(err)), 0);
	assert_int_equal(t.next_id, 7);
	assert_false(t.routes_known);
	s = services_find(&t, "web01", "disk");
	assert_non_null(s);
	assert_true(s->escalated == 5);
	services_free(&t);
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
	        {"trendtrapd-services 3 next_id=5\n", ":1: no routes in the header"},
	        {"trendtrapd-services 3 next_id=5 routes=12,zz\n",
	         ":1: bad route fingerprint \"zz\""},
	        {"trendtrapd-services 3 next_id= routes=\n", ":1: bad next_id"},
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
	        cmocka_unit_test(escalation_bits_follow_their_routes),
	        cmocka_unit_test(version_2_file_loads),
	        cmocka_unit_test(damaged_files_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
