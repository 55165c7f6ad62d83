/*
 * test_snmpv2c.c - SNMPv1/v2c without net-snmp: requests encode to the bytes
 * net-snmp sends, answers of every type decode as the net-snmp module fills
 * them, broken or foreign datagrams are refused however they are cut or
 * flipped, and a session retries, ignores what is not its answer and words
 * its failures as agent.c does for the module.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "snmpv2c.h"

/* ---- building answers ---------------------------------------------------- */

struct bytes {
	uint8_t b[8192];
	size_t n;
};

/* Append TAG, the length of V[0..LEN) (short or long form) and V. */
static void put_tlv(struct bytes *m, uint8_t tag, const void *v, size_t len)
{
	m->b[m->n++] = tag;
	if (len < 0x80) {
		m->b[m->n++] = (uint8_t)len;
	} else if (len < 0x100) {
		m->b[m->n++] = 0x81;
		m->b[m->n++] = (uint8_t)len;
	} else {
		m->b[m->n++] = 0x82;
		m->b[m->n++] = (uint8_t)(len >> 8);
		m->b[m->n++] = (uint8_t)len;
	}
	memcpy(m->b + m->n, v, len);
	m->n += len;
}

/* An INTEGER in the fewest two's complement bytes. */
static void put_int(struct bytes *m, int64_t v)
{
	uint8_t b[8];
	size_t k = 8;

	do {
		b[--k] = (uint8_t)((uint64_t)v & 0xff);
		v = v < 0 ? ~(~v >> 8) : v >> 8;
	} while (k > 0 && !((v == 0 && !(b[k] & 0x80)) || (v == -1 && (b[k] & 0x80))));
	put_tlv(m, 0x02, b + k, 8 - k);
}

static void add_varbind(struct bytes *list, const uint8_t *name, size_t namelen, uint8_t tag,
                        const void *val, size_t vlen)
{
	struct bytes vb = {.n = 0};

	put_tlv(&vb, 0x06, name, namelen);
	put_tlv(&vb, tag, val, vlen);
	put_tlv(list, 0x30, vb.b, vb.n);
}

/* A GetResponse-PDU message around the varbinds LIST. */
static void response(struct bytes *out, int version, const char *community, int64_t id, int status,
                     int index, const struct bytes *list)
{
	struct bytes pdu = {.n = 0}, msg = {.n = 0};

	put_int(&pdu, id);
	put_int(&pdu, status);
	put_int(&pdu, index);
	put_tlv(&pdu, 0x30, list->b, list->n);
	put_int(&msg, version - 1);
	put_tlv(&msg, 0x04, community, strlen(community));
	put_tlv(&msg, 0xA2, pdu.b, pdu.n);
	out->n = 0;
	put_tlv(out, 0x30, msg.b, msg.n);
}

/* .1.3.6.1.2.1.1.3.0 (sysUpTime.0) and .1.3.6.1.4.1.2021.4.5.0 (memTotalReal.0) */
static const uint8_t SYSUPTIME[] = {0x2B, 6, 1, 2, 1, 1, 3, 0};
static const uint8_t MEMTOTAL[] = {0x2B, 6, 1, 4, 1, 0x8F, 0x65, 4, 5, 0};

static const struct v2c_request RQ = {
        .version = 2, .community = "public", .id = 0x1234, .type = AGENT_PDU_GET};

/* Decode M as the answer to RQ from a buffer of exactly its size, so that
 * AddressSanitizer sees any read past its end. */
static int decode_n(const struct v2c_request *rq, const uint8_t *m, size_t len,
                    struct agent_value *v, size_t max, size_t *n, struct agent_fault *f)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, m, len);
	memset(f, 0, sizeof(*f));
	rc = v2c_decode(rq, copy, len, v, max, n, f);
	free(copy);
	return rc;
}

static int decode(const struct bytes *m, struct agent_value *v, size_t max, size_t *n,
                  struct agent_fault *f)
{
	return decode_n(&RQ, m->b, m->n, v, max, n, f);
}

/* An answer of one varbind sysUpTime.0 = TAG VAL[0..LEN) must be malformed. */
static void assert_malformed_value(uint8_t tag, const void *val, size_t len)
{
	struct bytes list = {.n = 0}, m;
	struct agent_value v[1];
	struct agent_fault f;
	size_t n;

	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), tag, val, len);
	response(&m, 2, "public", 0x1234, 0, 0, &list);
	assert_int_equal(decode(&m, v, 1, &n, &f), -1);
	assert_int_equal(f.cause, AGENT_C_PROTOCOL);
	assert_int_equal(n, 0);
}

/* ---- encoding ------------------------------------------------------------ */

static struct agent_req_oid oid(const char *text)
{
	struct agent_req_oid o;

	assert_int_equal(agent_oid_parse(text, o.sub, AGENT_OID_MAX, &o.len), 0);
	return o;
}

static void a_v1_get_is_the_bytes_snmpget_sends(void **state)
{
	/* snmpget -d -v1 -c public HOST .1.3.6.1.2.1.1.1.0, request-id 0x6690A766 */
	static const uint8_t want[] = {0x30, 0x29, 0x02, 0x01, 0x00, 0x04, 0x06, 'p',  'u',
	                               'b',  'l',  'i',  'c',  0xA0, 0x1C, 0x02, 0x04, 0x66,
	                               0x90, 0xA7, 0x66, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
	                               0x30, 0x0E, 0x30, 0x0C, 0x06, 0x08, 0x2B, 0x06, 0x01,
	                               0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00};
	struct agent_req_oid o = oid(".1.3.6.1.2.1.1.1.0");
	struct v2c_request rq = {.version = 1,
	                         .community = "public",
	                         .id = 0x6690A766,
	                         .type = AGENT_PDU_GET,
	                         .oids = &o,
	                         .n = 1};
	struct agent_fault f;
	uint8_t buf[128];

	(void)state;
	assert_int_equal(v2c_encode(&rq, buf, sizeof(buf), &f), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void a_v2c_getbulk_carries_its_repetitions_and_big_sub_identifiers(void **state)
{
	/* version 1 (v2c), "pw", GetBulkRequest id 5, non-repeaters 0,
	 * max-repetitions 200 (0x00C8: a leading zero keeps it positive);
	 * 2021 = 0x8F 0x65, 4294967295 = 0x8F 0xFF 0xFF 0xFF 0x7F */
	static const uint8_t want[] = {
	        0x30, 0x30,                                     /* message */
	        0x02, 0x01, 0x01,                               /* version: v2c */
	        0x04, 0x02, 'p',  'w',                          /* community */
	        0xA5, 0x27,                                     /* GetBulkRequest-PDU */
	        0x02, 0x01, 0x05,                               /* request-id */
	        0x02, 0x01, 0x00,                               /* non-repeaters */
	        0x02, 0x02, 0x00, 0xC8,                         /* max-repetitions */
	        0x30, 0x1B,                                     /* varbind list */
	        0x30, 0x0B, 0x06, 0x07, 0x2B, 0x06, 0x01, 0x04, /* .1.3.6.1.4 */
	        0x01, 0x8F, 0x65, 0x05, 0x00,                   /* .1.2021 = NULL */
	        0x30, 0x0C, 0x06, 0x08, 0x2B, 0x06, 0x8F, 0xFF, /* .1.3.6.4294967295 */
	        0xFF, 0xFF, 0x7F, 0x00, 0x05, 0x00};            /* .0 = NULL */
	struct agent_req_oid o[2] = {oid(".1.3.6.1.4.1.2021"), oid(".1.3.6.4294967295.0")};
	struct v2c_request rq = {.version = 2,
	                         .community = "pw",
	                         .id = 5,
	                         .type = AGENT_PDU_GETBULK,
	                         .oids = o,
	                         .n = 2,
	                         .max_rep = 200};
	struct agent_fault f;
	uint8_t buf[128];

	(void)state;
	assert_int_equal(v2c_encode(&rq, buf, sizeof(buf), &f), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	rq.type = AGENT_PDU_GETNEXT; /* GetNextRequest: error fields 0 */
	assert_int_equal(v2c_encode(&rq, buf, sizeof(buf), &f), sizeof(want) - 1);
	assert_int_equal(buf[9], 0xA1);
	assert_memory_equal(buf + 17, "\x02\x01\x00\x30", 4);
}

static void long_requests_use_long_form_lengths(void **state)
{
	struct agent_req_oid o[AGENT_GET_MAX];
	struct v2c_request rq = {.version = 2, .community = "c", .id = 1, .oids = o};
	struct agent_fault f;
	static uint8_t buf[65536];
	size_t len;

	(void)state;
	for (size_t i = 0; i < AGENT_GET_MAX; i++) {
		o[i].len = AGENT_OID_MAX;
		for (size_t k = 0; k < AGENT_OID_MAX; k++)
			o[i].sub[k] = k < 2 ? 1 : 4000000000u; /* 5 bytes each */
	}
	rq.n = AGENT_GET_MAX;
	len = v2c_encode(&rq, buf, sizeof(buf), &f);
	assert_true(len > 60 * 64 * 5); /* every sub-identifier but the first takes 5 bytes */
	assert_int_equal(buf[0], 0x30);
	assert_int_equal(buf[1], 0x82); /* two length bytes follow */
	assert_int_equal((size_t)(buf[2] << 8 | buf[3]), len - 4);
	/* one byte short of room: refused, not cut */
	assert_int_equal(v2c_encode(&rq, buf, len - 1, &f), 0);
	assert_int_equal(f.cause, AGENT_C_LOCAL);
}

static void requests_that_cannot_be_encoded_are_local_errors(void **state)
{
	struct agent_req_oid o = oid(".3.1.2");
	struct v2c_request rq = {
	        .version = 2, .community = "c", .id = 1, .type = AGENT_PDU_GET, .oids = &o, .n = 1};
	struct agent_fault f;
	uint8_t buf[256];

	(void)state;
	assert_int_equal(v2c_encode(&rq, buf, sizeof(buf), &f), 0);
	assert_int_equal(f.cause, AGENT_C_LOCAL);
	assert_non_null(strstr(f.detail, ".3.1.2"));
	o = oid(".1.40.1"); /* X.Y with Y >= 40 only under 2 */
	assert_int_equal(v2c_encode(&rq, buf, sizeof(buf), &f), 0);
	o = oid(".2.999.1");
	assert_true(v2c_encode(&rq, buf, sizeof(buf), &f) > 0);
	rq.version = 1;
	rq.type = AGENT_PDU_GETBULK;
	assert_int_equal(v2c_encode(&rq, buf, sizeof(buf), &f), 0);
	assert_non_null(strstr(f.detail, "GETBULK"));
}

/* ---- decoding: every type ------------------------------------------------- */

static void every_type_decodes_as_the_module_fills_it(void **state)
{
	static const uint8_t c64max[] = {0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
	static const uint8_t c64near[] = {0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE};
	static const uint8_t u32max[] = {0, 0xFF, 0xFF, 0xFF, 0xFF};
	static const uint8_t imin[] = {0x80, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t oidval[] = {0x2B, 6, 1, 4, 1, 0x8F, 0x65};
	struct bytes list = {.n = 0}, m;
	struct agent_value v[20];
	struct agent_fault f;
	size_t n;

	(void)state;
	add_varbind(&list, MEMTOTAL, sizeof(MEMTOTAL), 0x02, "\x2A", 1);                /* 0 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x02, "\xFF", 1);              /* 1 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x02, imin, sizeof(imin));     /* 2 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x41, u32max, 5);              /* 3 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x42, "\x01\x00", 2);          /* 4 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x43, "\x00\x80", 2);          /* 5 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x46, c64max, 9);              /* 6 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x46, c64near, 9);             /* 7 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x04, "a\0b", 3);              /* 8 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x04, "", 0);                  /* 9 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x40, "\x7F\0\0\x01", 4);      /* 10 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x44, "\x9F\x78", 2);          /* 11 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x06, oidval, sizeof(oidval)); /* 12 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x05, "", 0);                  /* 13 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x80, "", 0);                  /* 14 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x81, "", 0);                  /* 15 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x82, "", 0);                  /* 16 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x47, "\x05", 1);              /* 17 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x06, "", 0);                  /* 18 */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x41, "\x80", 1);              /* 19 */
	response(&m, 2, "public", 0x1234, 0, 0, &list);
	assert_int_equal(decode(&m, v, 20, &n, &f), 0);
	assert_int_equal(n, 20);
	assert_int_equal(v[0].type, AGENT_INTEGER);
	assert_true(v[0].i == 42);
	assert_int_equal(v[0].oidlen, 10);
	assert_int_equal(v[0].oid[6], 2021);
	assert_int_equal(v[1].oidlen, 9);
	assert_true(v[1].i == -1);
	assert_true(v[2].i == INT64_MIN);
	assert_int_equal(v[3].type, AGENT_UNSIGNED);
	assert_true(v[3].u == 4294967295u);
	assert_true(v[4].type == AGENT_UNSIGNED && v[4].u == 256);
	assert_true(v[5].type == AGENT_UNSIGNED && v[5].u == 128);
	assert_int_equal(v[6].type, AGENT_COUNTER64);
	assert_true(v[6].u == UINT64_MAX);
	assert_true(v[7].u == UINT64_MAX - 1);
	assert_int_equal(v[8].type, AGENT_STRING);
	assert_int_equal(v[8].slen, 3);
	assert_memory_equal(v[8].s, "a\0b", 4);
	assert_true(v[9].type == AGENT_STRING && v[9].slen == 0 && v[9].s[0] == '\0');
	assert_true(v[10].type == AGENT_STRING && v[10].slen == 4);
	assert_memory_equal(v[10].s, "\x7F\0\0\x01", 4);
	assert_true(v[11].type == AGENT_STRING && v[11].slen == 2);
	assert_int_equal(v[12].type, AGENT_OID);
	assert_string_equal(v[12].s, ".1.3.6.1.4.1.2021");
	assert_int_equal(v[12].slen, strlen(".1.3.6.1.4.1.2021"));
	assert_int_equal(v[13].type, AGENT_NULL);
	assert_int_equal(v[14].type, AGENT_NO_SUCH_OBJECT);
	assert_int_equal(v[15].type, AGENT_NO_SUCH_INSTANCE);
	assert_int_equal(v[16].type, AGENT_END_OF_MIB);
	assert_int_equal(v[16].oidlen, 9); /* exceptions keep their OID */
	assert_int_equal(v[17].type, AGENT_OTHER);
	assert_string_equal(v[18].s, ".0.0"); /* an empty OID value, as net-snmp has it */
	/* a short Counter32 with its high bit set: sign-extended, then 32 bits */
	assert_true(v[19].u == 0xFFFFFF80u);
}

static void long_strings_are_cut_and_long_form_lengths_read(void **state)
{
	uint8_t big[300];
	struct bytes list = {.n = 0}, m;
	struct agent_value v[1];
	struct agent_fault f;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)('a' + i % 26);
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x04, big, sizeof(big));
	response(&m, 2, "public", 0x1234, 0, 0, &list);
	assert_int_equal(m.b[1], 0x82); /* the message, the PDU, ... take long form */
	assert_int_equal(decode(&m, v, 1, &n, &f), 0);
	assert_int_equal(v[0].slen, AGENT_STRING_MAX - 1);
	assert_int_equal(v[0].s[AGENT_STRING_MAX - 1], '\0');
	assert_memory_equal(v[0].s, big, AGENT_STRING_MAX - 1);
}

static void a_non_minimal_long_form_length_is_accepted(void **state)
{
	/* the INTEGER value's length written 0x81 0x01 */
	struct bytes list = {.n = 0}, m;
	struct agent_value v[1];
	struct agent_fault f;
	size_t n;
	uint8_t vb[] = {0x30, 0x0E, 0x06, 0x08, 0x2B, 6, 1, 2, 1, 1, 3, 0, 0x02, 0x81, 0x01, 0x07};

	(void)state;
	memcpy(list.b, vb, sizeof(vb));
	list.n = sizeof(vb);
	response(&m, 2, "public", 0x1234, 0, 0, &list);
	assert_int_equal(decode(&m, v, 1, &n, &f), 0);
	assert_true(v[0].type == AGENT_INTEGER && v[0].i == 7);
}

static void varbinds_beyond_maxvals_are_checked_not_stored(void **state)
{
	struct bytes list = {.n = 0}, m;
	struct agent_value v[3];
	struct agent_fault f;
	size_t n;

	(void)state;
	for (int i = 0; i < 3; i++)
		add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x02, "\x01", 1);
	response(&m, 2, "public", 0x1234, 0, 0, &list);
	v[2].type = AGENT_OTHER;
	assert_int_equal(decode(&m, v, 2, &n, &f), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[2].type, AGENT_OTHER);                       /* untouched */
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x05, "x", 1); /* NULL with content */
	response(&m, 2, "public", 0x1234, 0, 0, &list);
	assert_int_equal(decode(&m, v, 2, &n, &f), -1);
	assert_int_equal(n, 0);
}

/* ---- decoding: error-status and foreign answers --------------------------- */

static void an_error_status_comes_back_with_its_index_and_name(void **state)
{
	struct bytes list = {.n = 0}, m;
	struct agent_value v[2];
	struct agent_fault f;
	struct v2c_request v1 = RQ;
	size_t n;

	(void)state;
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x05, "", 0);
	add_varbind(&list, MEMTOTAL, sizeof(MEMTOTAL), 0x05, "", 0);
	response(&m, 1, "public", 0x1234, 2, 2, &list);
	v1.version = 1;
	assert_int_equal(decode_n(&v1, m.b, m.n, v, 2, &n, &f), -1);
	assert_int_equal(f.cause, AGENT_C_ERROR_STATUS);
	assert_int_equal(f.status, 2);
	assert_int_equal(f.index, 2);
	assert_string_equal(f.detail, "(noSuchName) There is no such variable name in this MIB.");
	assert_int_equal(n, 0);
	response(&m, 2, "public", 0x1234, 1, 0, &list);
	assert_int_equal(decode(&m, v, 2, &n, &f), -1);
	assert_int_equal(f.status, 1);
	assert_non_null(strstr(f.detail, "(tooBig)"));
	response(&m, 2, "public", 0x1234, 99, 0, &list);
	assert_int_equal(decode(&m, v, 2, &n, &f), -1);
	assert_string_equal(f.detail, "Unknown Error");
}

static void answers_to_someone_else_are_foreign(void **state)
{
	struct bytes list = {.n = 0}, m;
	struct agent_value v[1];
	struct agent_fault f;
	size_t n;

	(void)state;
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x02, "\x01", 1);
	response(&m, 2, "public", 0x1235, 0, 0, &list); /* another request-id */
	assert_int_equal(decode(&m, v, 1, &n, &f), 1);
	response(&m, 2, "public", -0x1234, 0, 0, &list);
	assert_int_equal(decode(&m, v, 1, &n, &f), 1);
	response(&m, 2, "publi", 0x1234, 0, 0, &list); /* another community */
	assert_int_equal(decode(&m, v, 1, &n, &f), 1);
	response(&m, 2, "publicc", 0x1234, 0, 0, &list);
	assert_int_equal(decode(&m, v, 1, &n, &f), 1);
	response(&m, 1, "public", 0x1234, 0, 0, &list); /* SNMPv1 */
	assert_int_equal(decode(&m, v, 1, &n, &f), 1);
	response(&m, 4, "public", 0x1234, 0, 0, &list); /* SNMPv3 */
	assert_int_equal(decode(&m, v, 1, &n, &f), 1);
	assert_int_equal(n, 0);
	response(&m, 2, "public", 0x1234, 0, 0, &list);
	assert_int_equal(decode(&m, v, 1, &n, &f), 0);
}

/* ---- decoding: malformed answers ------------------------------------------ */

static void a_wrong_pdu_tag_or_trailing_bytes_are_malformed(void **state)
{
	struct bytes list = {.n = 0}, m;
	struct agent_value v[1];
	struct agent_fault f;
	size_t n, pdu;

	(void)state;
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x02, "\x01", 1);
	response(&m, 2, "public", 0x1234, 0, 0, &list);
	pdu = 2 + 3 + 8; /* SEQUENCE header, version, community */
	assert_int_equal(m.b[pdu], 0xA2);
	m.b[pdu] = 0xA0; /* a GetRequest coming back */
	assert_int_equal(decode(&m, v, 1, &n, &f), -1);
	assert_int_equal(f.cause, AGENT_C_PROTOCOL);
	assert_non_null(strstr(f.detail, "not a GetResponse"));
	m.b[pdu] = 0xA8; /* a Report */
	assert_int_equal(decode(&m, v, 1, &n, &f), -1);
	m.b[pdu] = 0xA2;
	m.b[m.n++] = 0; /* one byte after the message */
	assert_int_equal(decode(&m, v, 1, &n, &f), -1);
	assert_non_null(strstr(f.detail, "trailing"));
	m.n--;
	m.b[0] = 0x31; /* a SET, not a SEQUENCE */
	assert_int_equal(decode(&m, v, 1, &n, &f), -1);
}

static void lengths_that_overrun_or_cannot_be_read_are_malformed(void **state)
{
	struct bytes list = {.n = 0}, m;
	struct agent_value v[1];
	struct agent_fault f;
	size_t n, val;

	(void)state;
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x02, "\x01", 1);
	response(&m, 2, "public", 0x1234, 0, 0, &list);
	val = m.n - 3; /* the value's tag */
	assert_int_equal(m.b[val], 0x02);
	m.b[val + 1] = 2; /* the INTEGER claims a byte its varbind does not have */
	assert_int_equal(decode(&m, v, 1, &n, &f), -1);
	assert_non_null(strstr(f.detail, "overruns"));
	m.b[val + 1] = 0x80; /* indefinite */
	assert_int_equal(decode(&m, v, 1, &n, &f), -1);
	m.b[val + 1] = 0x85; /* five length bytes */
	assert_int_equal(decode(&m, v, 1, &n, &f), -1);
	m.b[val + 1] = 0x84; /* four length bytes, but only one there */
	assert_int_equal(decode(&m, v, 1, &n, &f), -1);
	m.b[val + 1] = 1;
	m.b[1]++; /* the message claims one byte more than the datagram */
	assert_int_equal(decode(&m, v, 1, &n, &f), -1);
	m.b[1]--;
	m.b[val] = 0x1F; /* a multi-byte tag */
	assert_int_equal(decode(&m, v, 1, &n, &f), -1);
	assert_int_equal(decode_n(&RQ, m.b, 0, v, 1, &n, &f), -1);
}

static void values_out_of_their_bounds_are_malformed(void **state)
{
	(void)state;
	assert_malformed_value(0x02, "", 0);                                     /* empty */
	assert_malformed_value(0x02, "\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9); /* 9 bytes */
	assert_malformed_value(0x41, "\x01\x00\x00\x00\x00", 5);                 /* 2^32 */
	assert_malformed_value(0x42, "\x00\x00\x00\x00\x00\x00", 6);             /* 6 bytes */
	assert_malformed_value(0x46, "\x01\x00\x00\x00\x00\x00\x00\x00\x00", 9); /* 2^64 */
	assert_malformed_value(0x46, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 10);
	assert_malformed_value(0x05, "\x00", 1); /* NULL */
	assert_malformed_value(0x80, "\x00", 1); /* exceptions */
	assert_malformed_value(0x82, "\x00", 1);
	assert_malformed_value(0x06, "\x2B\x86", 2); /* a truncated sub-identifier */
	assert_malformed_value(0x06, "\x2B\x90\x80\x80\x80\x00", 6); /* 2^32 */
}

static void over_deep_nesting_is_malformed(void **state)
{
	uint8_t deep[64];

	(void)state;
	/* a value of SEQUENCEs inside SEQUENCEs: no value is constructed */
	for (size_t i = 0; i < sizeof(deep); i += 2) {
		deep[i] = 0x30;
		deep[i + 1] = (uint8_t)(sizeof(deep) - i - 2);
	}
	assert_malformed_value(0x30, deep, sizeof(deep));
	assert_malformed_value(0xA2, deep, sizeof(deep));
	assert_malformed_value(0x24, "\x04\x00", 2); /* a constructed OCTET STRING */
}

static void varbind_names_are_checked(void **state)
{
	uint8_t name[2 + AGENT_OID_MAX];
	struct bytes list = {.n = 0}, m;
	struct agent_value v[1];
	struct agent_fault f;
	size_t n;

	(void)state;
	memset(name, 1, sizeof(name));
	name[0] = 0x2B;                                           /* .1.3 and then ones */
	add_varbind(&list, name, AGENT_OID_MAX - 1, 0x05, "", 0); /* AGENT_OID_MAX sub-ids */
	response(&m, 2, "public", 0x1234, 0, 0, &list);
	assert_int_equal(decode(&m, v, 1, &n, &f), 0);
	assert_int_equal(v[0].oidlen, AGENT_OID_MAX);
	list.n = 0;
	add_varbind(&list, name, AGENT_OID_MAX, 0x05, "", 0); /* one more */
	response(&m, 2, "public", 0x1234, 0, 0, &list);
	assert_int_equal(decode(&m, v, 1, &n, &f), -1);
	assert_non_null(strstr(f.detail, "too long"));
	list.n = 0;
	add_varbind(&list, (const uint8_t *)"\x2B\x8F\xFF\xFF\xFF\x7F", 6, 0x05, "", 0);
	response(&m, 2, "public", 0x1234, 0, 0, &list);
	assert_int_equal(decode(&m, v, 1, &n, &f), 0);
	assert_true(v[0].oid[2] == UINT32_MAX);
	list.n = 0;
	add_varbind(&list, (const uint8_t *)"\x2B\x90\x80\x80\x80\x00", 6, 0x05, "", 0);
	response(&m, 2, "public", 0x1234, 0, 0, &list);
	assert_int_equal(decode(&m, v, 1, &n, &f), -1);
	assert_non_null(strstr(f.detail, "2^32"));
	list.n = 0;
	add_varbind(&list, (const uint8_t *)"", 0, 0x05, "", 0);
	response(&m, 2, "public", 0x1234, 0, 0, &list);
	assert_int_equal(decode(&m, v, 1, &n, &f), -1);
	list.n = 0;
	put_tlv(&list, 0x30, "\x04\x01x\x05\x00", 5); /* a name that is a string */
	response(&m, 2, "public", 0x1234, 0, 0, &list);
	assert_int_equal(decode(&m, v, 1, &n, &f), -1);
}

/* A valid answer with a bit of everything, for cutting and flipping. */
static void rich_answer(struct bytes *m)
{
	static const uint8_t c64[] = {0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE};
	struct bytes list = {.n = 0};

	add_varbind(&list, MEMTOTAL, sizeof(MEMTOTAL), 0x02, "\xFF\x00", 2);
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x43, "\x00\xFF\xFF\xFF\xFF", 5);
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x46, c64, sizeof(c64));
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x04, "/var/log", 8);
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x06, MEMTOTAL, sizeof(MEMTOTAL));
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x40, "\x0A\0\0\x01", 4);
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x81, "", 0);
	response(m, 2, "public", 0x1234, 0, 0, &list);
}

static void every_truncation_is_an_error(void **state)
{
	struct bytes m;
	struct agent_value v[8];
	struct agent_fault f;
	size_t n;

	(void)state;
	rich_answer(&m);
	assert_int_equal(decode(&m, v, 8, &n, &f), 0);
	assert_int_equal(n, 7);
	for (size_t len = 0; len < m.n; len++) {
		assert_int_equal(decode_n(&RQ, m.b, len, v, 8, &n, &f), -1);
		assert_int_equal(f.cause, AGENT_C_PROTOCOL);
		assert_int_equal(n, 0);
	}
}

/* Whatever the outcome, what was stored is within bounds. */
static void assert_sane(int rc, const struct agent_value *v, size_t max, size_t n,
                        const struct agent_fault *f)
{
	assert_true(rc >= -1 && rc <= 1);
	assert_true(n <= max);
	assert_true(rc == 0 || n == 0);
	assert_true(rc != -1 || f->cause == AGENT_C_PROTOCOL || f->cause == AGENT_C_ERROR_STATUS);
	assert_non_null(memchr(f->detail, '\0', sizeof(f->detail)));
	for (size_t i = 0; i < n; i++) {
		assert_true(v[i].oidlen >= 2 && v[i].oidlen <= AGENT_OID_MAX);
		assert_true(v[i].slen < AGENT_STRING_MAX && v[i].s[v[i].slen] == '\0');
	}
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void flipped_bytes_never_crash_the_decoder(void **state)
{
	static const uint8_t nasty[] = {0x00, 0x7F, 0x80, 0x81, 0x82, 0x84, 0xFF, 0x30, 0x06};
	struct bytes good, m;
	struct agent_value v[8];
	struct agent_fault f;
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	size_t n;
	int rc;

	(void)state;
	rich_answer(&good);
	/* every byte set to every awkward value */
	for (size_t i = 0; i < good.n; i++)
		for (size_t k = 0; k < sizeof(nasty); k++) {
			m = good;
			m.b[i] = nasty[k];
			rc = decode(&m, v, 8, &n, &f);
			assert_sane(rc, v, 8, n, &f);
		}
	/* 10000 random mutations of 1 to 4 bytes, some also cut short */
	for (int round = 0; round < 10000; round++) {
		size_t flips = 1 + xorshift(&seed) % 4;

		m = good;
		for (size_t k = 0; k < flips; k++)
			m.b[xorshift(&seed) % m.n] ^= (uint8_t)(1 + xorshift(&seed) % 255);
		if (round % 5 == 0)
			m.n = xorshift(&seed) % (m.n + 1);
		rc = decode(&m, v, 4, &n, &f);
		assert_sane(rc, v, 4, n, &f);
	}
}

/* ---- a session against a scripted agent ----------------------------------- */

/* A UDP socket on 127.0.0.1, any port; its "host:port" goes into HOST. */
static int scripted_agent(char *host, size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval bound = {.tv_sec = 5};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	/* the script's recv() gives up rather than hang the suite */
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof(bound)), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(host, len, "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
	return fd;
}

/* The request-id of our request REQ (short lengths: small requests). */
static int64_t request_id(const uint8_t *req)
{
	size_t at = 2 + 3; /* SEQUENCE header, version */
	int64_t id = 0;
	at += 2 + req[at + 1] + 2; /* community, PDU header */
	for (size_t i = 0; i < req[at + 1]; i++)
		id = id << 8 | req[at + 2 + i];
	return id;
}

/* The child: wait for a request, let the first try go unanswered, check
 * that the retry is the same datagram, answer with a foreign answer, then
 * with ANSWER (built for the request's id by the callback). Exits 0 when the
 * retry was identical. */
static void agent_script(int fd, void (*answer)(struct bytes *m, int64_t id))
{
	uint8_t first[1500], again[1500];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n1 = recv(fd, first, sizeof(first), 0), n2;
	struct bytes m, list = {.n = 0};

	n2 = recvfrom(fd, again, sizeof(again), 0, (struct sockaddr *)&from, &fl);
	if (n1 <= 0 || n1 != n2 || memcmp(first, again, (size_t)n1) != 0)
		_exit(1);
	add_varbind(&list, SYSUPTIME, sizeof(SYSUPTIME), 0x02, "\x01", 1);
	response(&m, 2, "s3cret", request_id(again) + 1, 0, 0, &list);
	sendto(fd, m.b, m.n, 0, (struct sockaddr *)&from, fl);
	answer(&m, request_id(again));
	sendto(fd, m.b, m.n, 0, (struct sockaddr *)&from, fl);
	_exit(0);
}

static void good_answer(struct bytes *m, int64_t id)
{
	struct bytes list = {.n = 0};

	add_varbind(&list, MEMTOTAL, sizeof(MEMTOTAL), 0x02, "\x2A", 1);
	response(m, 2, "s3cret", id, 0, 0, &list);
}

static void broken_answer(struct bytes *m, int64_t id)
{
	good_answer(m, id);
	m->b[m->n - 3] = 0x30; /* the INTEGER value becomes a SEQUENCE */
}

/* GET memTotalReal.0 from a scripted agent answering with ANSWER. */
static int get_from_script(void (*answer)(struct bytes *m, int64_t id), struct agent_value *v,
                           enum agent_error *kind, char *err, size_t errlen, char *host)
{
	const char *oids[] = {".1.3.6.1.4.1.2021.4.5.0"};
	struct agent_target t = {.version = 2, .community = "s3cret", .timeout = 0.3, .retries = 2};
	struct agent *a;
	int fd = scripted_agent(host, 64), status, rc;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		agent_script(fd, answer);
	close(fd);
	t.host = host;
	assert_int_equal(agent_open(&t, &a, kind, err, errlen), 0);
	rc = agent_get(a, oids, 1, v, kind, err, errlen);
	assert_int_equal(agent_requests(a), 1);
	agent_close(a);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0); /* the retry was the same */
	return rc;
}

static void a_session_retries_the_same_request_and_skips_foreign_answers(void **state)
{
	struct agent_value v[1];
	enum agent_error kind;
	char err[512], host[64];

	(void)state;
	assert_int_equal(get_from_script(good_answer, v, &kind, err, sizeof(err), host), 0);
	assert_int_equal(kind, AGENT_OK);
	assert_true(v[0].type == AGENT_INTEGER && v[0].i == 42);
	assert_int_equal(v[0].oid[6], 2021);
}

static void a_malformed_answer_is_a_protocol_error_naming_the_host(void **state)
{
	struct agent_value v[1];
	enum agent_error kind;
	char err[512], host[64], want[128];

	(void)state;
	assert_int_equal(get_from_script(broken_answer, v, &kind, err, sizeof(err), host), -1);
	assert_int_equal(kind, AGENT_PROTOCOL);
	snprintf(want, sizeof(want), "malformed response from %s: ", host);
	assert_memory_equal(err, want, strlen(want));
	assert_null(strstr(err, "s3cret"));
}

static void silence_is_a_timeout_worded_as_for_the_module(void **state)
{
	const char *oids[] = {".1.3.6.1.2.1.1.3.0"};
	struct agent_target t = {.version = 1, .community = "s3cret", .timeout = 0.1, .retries = 1};
	struct agent_value v[1];
	struct agent *a;
	enum agent_error kind;
	char err[512], host[64], want[256];
	uint8_t d1[512], d2[512];
	int fd = scripted_agent(host, sizeof(host));
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n1, n2;

	(void)state;
	t.host = host;
	assert_int_equal(agent_open(&t, &a, &kind, err, sizeof(err)), 0);
	assert_int_equal(agent_get(a, oids, 1, v, &kind, err, sizeof(err)), -1);
	assert_int_equal(kind, AGENT_TIMEOUT);
	assert_int_equal(agent_last_error(a), AGENT_TIMEOUT);
	snprintf(want, sizeof(want),
	         "no response from %s after 2 tries (0.1s each): check the host, the port, the "
	         "community (v1/v2c), and the agent's access control",
	         host);
	assert_string_equal(err, want);
	agent_close(a);
	/* two identical datagrams arrived, and no third */
	n1 = recv(fd, d1, sizeof(d1), MSG_DONTWAIT);
	n2 = recv(fd, d2, sizeof(d2), MSG_DONTWAIT);
	assert_true(n1 > 0 && n1 == n2);
	assert_memory_equal(d1, d2, (size_t)n1);
	assert_int_equal(d1[4], 0); /* version 0: SNMPv1 */
	assert_int_equal(poll(&p, 1, 0), 0);
	close(fd);
}

static void v1_and_v2c_need_no_net_snmp_module(void **state)
{
	struct agent_target t = {.host = "127.0.0.1:11169", .community = "x", .timeout = 1};
	struct agent *a;
	enum agent_error kind;
	char err[512];

	(void)state;
	setenv("TRENDTRAP_SNMP_MODULE", "/nonexistent/trendtrap-snmp.so", 1);
	for (t.version = 1; t.version <= 2; t.version++) {
		assert_int_equal(agent_open(&t, &a, &kind, err, sizeof(err)), 0);
		agent_close(a);
	}
	t.version = 3; /* v3 does: its USM crypto is net-snmp's */
	t.user = "u";
	assert_int_equal(agent_open(&t, &a, &kind, err, sizeof(err)), -1);
	assert_int_equal(kind, AGENT_LOCAL);
	assert_non_null(strstr(err, "cannot load the SNMP module"));
	unsetenv("TRENDTRAP_SNMP_MODULE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(a_v1_get_is_the_bytes_snmpget_sends),
	        cmocka_unit_test(a_v2c_getbulk_carries_its_repetitions_and_big_sub_identifiers),
	        cmocka_unit_test(long_requests_use_long_form_lengths),
	        cmocka_unit_test(requests_that_cannot_be_encoded_are_local_errors),
	        cmocka_unit_test(every_type_decodes_as_the_module_fills_it),
	        cmocka_unit_test(long_strings_are_cut_and_long_form_lengths_read),
	        cmocka_unit_test(a_non_minimal_long_form_length_is_accepted),
	        cmocka_unit_test(varbinds_beyond_maxvals_are_checked_not_stored),
	        cmocka_unit_test(an_error_status_comes_back_with_its_index_and_name),
	        cmocka_unit_test(answers_to_someone_else_are_foreign),
	        cmocka_unit_test(a_wrong_pdu_tag_or_trailing_bytes_are_malformed),
	        cmocka_unit_test(lengths_that_overrun_or_cannot_be_read_are_malformed),
	        cmocka_unit_test(values_out_of_their_bounds_are_malformed),
	        cmocka_unit_test(over_deep_nesting_is_malformed),
	        cmocka_unit_test(varbind_names_are_checked),
	        cmocka_unit_test(every_truncation_is_an_error),
	        cmocka_unit_test(flipped_bytes_never_crash_the_decoder),
	        cmocka_unit_test(a_session_retries_the_same_request_and_skips_foreign_answers),
	        cmocka_unit_test(a_malformed_answer_is_a_protocol_error_naming_the_host),
	        cmocka_unit_test(silence_is_a_timeout_worded_as_for_the_module),
	        cmocka_unit_test(v1_and_v2c_need_no_net_snmp_module),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
