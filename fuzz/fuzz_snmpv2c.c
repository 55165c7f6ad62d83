/*
 * fuzz_snmpv2c.c - libFuzzer target for v2c_decode() (lib/snmpv2c.c), the BER
 * decoder of SNMPv1/v2c responses: what any host on the path can send to a
 * check's UDP socket.
 *
 * Input: a byte choosing the version asked (bit 0: v1 or v2c) and how many
 * varbinds the caller keeps (bits 1-3: 0..7), then the datagram, in a buffer
 * of exactly its size. The request is RQ below (community "public",
 * request-id 0x1234), as in t/unit/test_snmpv2c.c. Checks besides memory
 * errors, from snmpv2c.h and agent.h: the answer is 0, 1 or -1; a success
 * keeps at most MAXVALS varbinds, each with an OID of 2..AGENT_OID_MAX
 * sub-identifiers and a string cut, NUL-terminated, within its buffer; a
 * failure keeps none and says why.
 */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "fuzzutil.h"
#include "snmpv2c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value(const struct agent_value *v, size_t i)
{
	FUZZ_CHECK(v->oidlen >= 2 && v->oidlen <= AGENT_OID_MAX, "varbind %zu: %zu sub-ids", i,
	           v->oidlen);
	FUZZ_CHECK(v->slen < AGENT_STRING_MAX && v->s[v->slen] == '\0', "varbind %zu: slen %zu", i,
	           v->slen);
	FUZZ_CHECK(v->type != AGENT_UNSIGNED || v->u <= UINT32_MAX, "varbind %zu: %llu", i,
	           (unsigned long long)v->u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct v2c_request rq = {.community = "public", .id = 0x1234, .type = AGENT_PDU_GET};
	struct agent_value vals[7];
	struct agent_fault f;
	size_t maxvals, nvals = 99;
	uint8_t *msg;
	int rc;

	if (size < 1)
		return 0;
	rq.version = (data[0] & 1) ? 1 : 2;
	maxvals = (data[0] >> 1) & 7;
	msg = fuzz_copy(data + 1, size - 1);
	memset(&f, 0, sizeof f);
	rc = v2c_decode(&rq, msg, size - 1, vals, maxvals, &nvals, &f);
	FUZZ_CHECK(rc == 0 || rc == 1 || rc == -1, "returned %d", rc);
	if (rc == 0) {
		FUZZ_CHECK(nvals <= maxvals, "%zu varbinds kept of %zu", nvals, maxvals);
		for (size_t i = 0; i < nvals; i++)
			check_value(&vals[i], i);
	} else if (rc == -1) {
		FUZZ_CHECK(nvals == 0, "%zu varbinds kept on failure", nvals);
		FUZZ_CHECK(f.cause != AGENT_C_NONE && f.detail[0] != '\0' &&
		                   memchr(f.detail, '\0', sizeof f.detail) != NULL,
		           "failure without a cause");
	}
	free(msg);
	return 0;
}
