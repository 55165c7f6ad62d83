/*
 * fuzz_range.c - libFuzzer target for range_parse() (lib/range.c).
 *
 * Input: one byte choosing the units the caller accepts (its low two bits:
 * none, %, sizes, both), then the range text (a NUL inside ends it early,
 * as it would in argv). Besides memory errors it checks what range.h
 * promises of an accepted range: not both ends infinite, start <= end,
 * finite ends, a unit the caller allowed, and that range_format() writes
 * text range_parse() reads back with the same shape.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_shape(const struct range *r, unsigned units, const char *text)
{
	FUZZ_CHECK(!(r->start_inf && r->end_inf), "'%s'", text);
	FUZZ_CHECK(r->start_inf || isfinite(r->start), "'%s'", text);
	FUZZ_CHECK(r->end_inf || isfinite(r->end), "'%s'", text);
	FUZZ_CHECK(r->start_inf || r->end_inf || r->start <= r->end, "'%s'", text);
	FUZZ_CHECK(r->unit != RANGE_UNIT_PERCENT || (units & RANGE_UNITS_PERCENT), "'%s'", text);
	FUZZ_CHECK(r->unit != RANGE_UNIT_BYTES || (units & RANGE_UNITS_SIZE), "'%s'", text);
}

/* What range_format() writes must parse again, ends and flags kept. */
static void check_round_trip(const struct range *r, const char *text)
{
	char buf[1200], err[256];
	struct range back;
	int n = range_format(r, 1, buf, sizeof buf);

	FUZZ_CHECK(n >= 0 && (size_t)n < sizeof buf, "'%s': %d bytes", text, n);
	FUZZ_CHECK(range_parse(buf, RANGE_UNITS_NONE, &back, err, sizeof err) == 0,
	           "'%s' printed as '%s' does not parse: %s", text, buf, err);
	FUZZ_CHECK(back.inside == r->inside && back.start_inf == r->start_inf &&
	                   back.end_inf == r->end_inf,
	           "'%s' printed as '%s' changed shape", text, buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const double probes[] = {-1e300, -1, 0, 0.5, 10, 1e300, NAN, INFINITY};
	unsigned units;
	char *text, err[256];
	struct range r;

	if (size < 1)
		return 0;
	units = data[0] & (RANGE_UNITS_PERCENT | RANGE_UNITS_SIZE);
	text = fuzz_cstr(data + 1, size - 1);
	err[0] = '\0';
	if (range_parse(text, units, &r, err, sizeof err) == 0) {
		check_shape(&r, units, text);
		check_round_trip(&r, text);
		for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
			(void)range_alert(&r, probes[i]);
	} else {
		FUZZ_CHECK(err[0] != '\0' && strchr(err, '\n') == NULL, "'%s': reason '%s'", text,
		           err);
	}
	free(text);
	return 0;
}
