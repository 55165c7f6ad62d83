/*
 * test_remote.c - the pure parts of the SNMP layers: 64-bit sizes from MIB
 * columns, filesystem rows found by description, OIDs and host names, and
 * the errors agent_open() gives before any packet is sent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "remote.h"

/* ---- sizes ----------------------------------------------------------- */

static void low_high_pairs_make_64_bit_sizes(void **state)
{
	(void)state;
	assert_true(remote_u64(0, 0) == 0);
	assert_true(remote_u64(0, 4294967295u) == 4294967295u);
	assert_true(remote_u64(1, 0) == 4294967296u);
	/* a 3 TB disk in kB: 3221225472 kB = 0 * 2^32 + 3221225472 (fits in Low) */
	assert_true(remote_u64(0, 3221225472u) == 3221225472u);
	/* 20 TiB in kB = 21474836480 = 5 * 2^32 */
	assert_true(remote_u64(5, 0) == 21474836480ull);
	assert_true(remote_u64(4294967295u, 4294967295u) == UINT64_MAX);
}

static void negative_integers_are_unwrapped_32_bit_values(void **state)
{
	(void)state;
	assert_true(remote_unwrap32(0) == 0);
	assert_true(remote_unwrap32(2147483647) == 2147483647u);
	assert_true(remote_unwrap32(-1) == 4294967295u);
	assert_true(remote_unwrap32(-2147483648LL) == 2147483648u);
	/* a Windows 16 TB volume in 4 KiB units: 4294967040 sent as -256 */
	assert_true(remote_unwrap32(-256) == 4294967040u);
}

static void allocation_units_scale_in_64_bits(void **state)
{
	uint64_t b;

	(void)state;
	assert_int_equal(remote_scale(66053021, 4096, &b), 0);
	assert_true(b == 270553174016ull);
	/* beyond 2^32 and beyond 2^53: exact in 64 bits */
	assert_int_equal(remote_scale(4294967295u, 65536, &b), 0);
	assert_true(b == 281474976645120ull);
	assert_int_equal(remote_scale(4294967295u, 4294967295u, &b), 0);
	assert_true(b == 18446744065119617025ull);
	assert_true(b > (1ull << 53));
	assert_int_equal(remote_scale(0, 4096, &b), 0);
	assert_true(b == 0);
	assert_int_equal(remote_scale(UINT64_MAX / 2 + 1, 2, &b), -1);
}

static void values_of_every_size_type_convert(void **state)
{
	struct agent_value v;
	uint64_t u;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.type = AGENT_INTEGER;
	v.i = -1;
	assert_int_equal(remote_value_u64(&v, &u), 0);
	assert_true(u == 4294967295u);
	v.type = AGENT_UNSIGNED;
	v.u = 3000000000u;
	assert_int_equal(remote_value_u64(&v, &u), 0);
	assert_true(u == 3000000000u);
	v.type = AGENT_COUNTER64;
	v.u = 1ull << 40;
	assert_int_equal(remote_value_u64(&v, &u), 0);
	assert_true(u == 1ull << 40);
	v.type = AGENT_NO_SUCH_INSTANCE;
	assert_int_equal(remote_value_u64(&v, &u), -1);
	v.type = AGENT_STRING;
	assert_int_equal(remote_value_u64(&v, &u), -1);
}

/* ---- rows by description ---------------------------------------------- */

static void unix_mount_points_match_exactly(void **state)
{
	(void)state;
	assert_true(remote_descr_matches("/", "/"));
	assert_true(remote_descr_matches("/var", "/var"));
	assert_true(remote_descr_matches("/var", "/var/"));
	assert_false(remote_descr_matches("/var", "/"));
	assert_false(remote_descr_matches("/", "/var"));
	assert_false(remote_descr_matches("/var/log", "/var"));
	assert_false(remote_descr_matches("/var", "/var/log"));
	assert_false(remote_descr_matches("/varx", "/var"));
	assert_false(remote_descr_matches("Physical memory", "/"));
	assert_false(remote_descr_matches("/", ""));
}

static void windows_drives_match_their_labelled_description(void **state)
{
	const char *c = "C:\\ Label:OS  Serial Number 1234abcd";

	(void)state;
	assert_true(remote_descr_matches(c, "C:"));
	assert_true(remote_descr_matches(c, "C:\\"));
	assert_true(remote_descr_matches(c, "c:"));
	assert_true(remote_descr_matches(c, "C:/"));
	assert_true(remote_descr_matches(c, c));
	assert_true(remote_descr_matches("D:\\", "D:"));
	assert_false(remote_descr_matches(c, "D:"));
	assert_false(remote_descr_matches(c, "C"));
	assert_false(remote_descr_matches(c, "C:\\Windows"));
	assert_false(remote_descr_matches("Virtual Memory", "C:"));
	assert_false(remote_descr_matches("C:", "C:\\")); /* no backslash in descr */
}

static void mib_names_parse_both_ways(void **state)
{
	enum remote_mib m;

	(void)state;
	assert_int_equal(remote_mib_parse("ucd", &m), 0);
	assert_int_equal(m, REMOTE_MIB_UCD);
	assert_int_equal(remote_mib_parse("HOST", &m), 0);
	assert_int_equal(m, REMOTE_MIB_HOST);
	assert_int_equal(remote_mib_parse("auto", &m), 0);
	assert_int_equal(m, REMOTE_MIB_AUTO);
	assert_int_equal(remote_mib_parse("hr", &m), -1);
	assert_string_equal(remote_mib_name(REMOTE_MIB_HOST), "host");
}

/* ---- OIDs and hosts ----------------------------------------------------- */

static void numeric_oids_parse_and_format(void **state)
{
	uint32_t sub[AGENT_OID_MAX];
	size_t n;
	char buf[128];

	(void)state;
	assert_int_equal(agent_oid_parse(".1.3.6.1.4.1.2021.4.5.0", sub, AGENT_OID_MAX, &n), 0);
	assert_int_equal(n, 10);
	assert_int_equal(sub[6], 2021);
	agent_oid_format(sub, n, buf, sizeof(buf));
	assert_string_equal(buf, ".1.3.6.1.4.1.2021.4.5.0");
	assert_int_equal(agent_oid_parse("1.3.6.4294967295", sub, AGENT_OID_MAX, &n), 0);
	assert_true(sub[3] == 4294967295u);
	assert_int_equal(agent_oid_parse("1.3.6.4294967296", sub, AGENT_OID_MAX, &n), -1);
	assert_int_equal(agent_oid_parse(".1.3..6", sub, AGENT_OID_MAX, &n), -1);
	assert_int_equal(agent_oid_parse(".1.3.", sub, AGENT_OID_MAX, &n), -1);
	assert_int_equal(agent_oid_parse("iso.3.6", sub, AGENT_OID_MAX, &n), -1);
	assert_int_equal(agent_oid_parse(".1", sub, AGENT_OID_MAX, &n), -1);
	assert_int_equal(agent_oid_parse(".1.2.3.4", sub, 3, &n), -1);
}

static void hosts_with_and_without_ports_parse(void **state)
{
	char host[64], err[256];
	unsigned port;
	int v6;

	(void)state;
	assert_int_equal(agent_parse_host("db1", host, sizeof(host), &port, &v6, err, sizeof(err)),
	                 0);
	assert_string_equal(host, "db1");
	assert_int_equal(port, 161);
	assert_int_equal(v6, 0);
	assert_int_equal(agent_parse_host("127.0.0.1:11161", host, sizeof(host), &port, &v6, err,
	                                  sizeof(err)),
	                 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 11161);
	assert_int_equal(
	        agent_parse_host("[::1]:1161", host, sizeof(host), &port, &v6, err, sizeof(err)),
	        0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 1161);
	assert_int_equal(v6, 1);
	assert_int_equal(
	        agent_parse_host("fe80::1", host, sizeof(host), &port, &v6, err, sizeof(err)), 0);
	assert_string_equal(host, "fe80::1");
	assert_int_equal(port, 161);
	assert_int_equal(v6, 1);
}

static void bad_hosts_are_refused_with_the_expected_forms(void **state)
{
	const char *bad[] = {"",     "db1:",   "db1:0",  "db1:65536", "db1:x",
	                     "[::1", "[::1]x", "[]:161", "a b",       ":161"};
	char host[64], err[256];
	unsigned port;
	int v6;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		        agent_parse_host(bad[i], host, sizeof(host), &port, &v6, err, sizeof(err)),
		        -1);
		assert_non_null(strstr(err, "HOST:PORT"));
	}
}

/* ---- errors before any packet ------------------------------------------- */

static void a_missing_module_is_a_local_error_saying_how_to_fix_it(void **state)
{
	/* only v3 needs the module: v1/v2c are spoken natively */
	struct agent_target t = {
	        .host = "127.0.0.1:11169", .version = 3, .user = "u", .timeout = 1, .retries = 0};
	struct agent *a = (struct agent *)1;
	enum agent_error kind;
	char err[512];

	(void)state;
	setenv("TRENDTRAP_SNMP_MODULE", "/nonexistent/trendtrap-snmp.so", 1);
	assert_int_equal(agent_open(&t, &a, &kind, err, sizeof(err)), -1);
	assert_null(a);
	assert_int_equal(kind, AGENT_LOCAL);
	assert_non_null(strstr(err, "cannot load the SNMP module"));
	assert_non_null(strstr(err, "TRENDTRAP_SNMP_MODULE"));
	unsetenv("TRENDTRAP_SNMP_MODULE");
}

static void a_bad_host_fails_before_loading_anything(void **state)
{
	struct agent_target t = {.host = "db1:99999", .version = 2, .timeout = 1};
	struct agent *a;
	enum agent_error kind;
	char err[512];

	(void)state;
	assert_int_equal(agent_open(&t, &a, &kind, err, sizeof(err)), -1);
	assert_int_equal(kind, AGENT_LOCAL);
	assert_non_null(strstr(err, "bad host 'db1:99999'"));
	t.host = "db1";
	t.version = 4;
	assert_int_equal(agent_open(&t, &a, &kind, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "SNMP version 4"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(low_high_pairs_make_64_bit_sizes),
	        cmocka_unit_test(negative_integers_are_unwrapped_32_bit_values),
	        cmocka_unit_test(allocation_units_scale_in_64_bits),
	        cmocka_unit_test(values_of_every_size_type_convert),
	        cmocka_unit_test(unix_mount_points_match_exactly),
	        cmocka_unit_test(windows_drives_match_their_labelled_description),
	        cmocka_unit_test(mib_names_parse_both_ways),
	        cmocka_unit_test(numeric_oids_parse_and_format),
	        cmocka_unit_test(hosts_with_and_without_ports_parse),
	        cmocka_unit_test(bad_hosts_are_refused_with_the_expected_forms),
	        cmocka_unit_test(a_missing_module_is_a_local_error_saying_how_to_fix_it),
	        cmocka_unit_test(a_bad_host_fails_before_loading_anything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
