/*
 * fuzz_units.c - libFuzzer target for the size and duration parsers and the
 * number scanner of lib/units.c.
 *
 * Input: the text (a NUL inside ends it early, as it would in argv), given
 * to units_parse_size(), units_parse_duration() and units_scan_number().
 * Besides memory errors it checks units.h's promises: accepted sizes and
 * durations are finite and not negative, refused ones have a one-line
 * reason (errbuf.h); what units_format_duration() prints reads back as a
 * duration (units.c says so) and what units_format_number() prints of a
 * scanned number scans whole again.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_size(const char *text)
{
	char err[256] = "", buf[64];
	double bytes = -1;

	if (units_parse_size(text, &bytes, err, sizeof err) != 0) {
		FUZZ_CHECK(err[0] != '\0' && strchr(err, '\n') == NULL, "'%s': reason '%s'", text,
		           err);
		return;
	}
	FUZZ_CHECK(isfinite(bytes) && bytes >= 0, "'%s' is %g bytes", text, bytes);
	units_format_size(bytes, buf, sizeof buf);
}

static void check_duration(const char *text)
{
	char err[256] = "", buf[1024];
	double secs = -1, back;
	int n;

	if (units_parse_duration(text, &secs, err, sizeof err) != 0) {
		FUZZ_CHECK(err[0] != '\0' && strchr(err, '\n') == NULL, "'%s': reason '%s'", text,
		           err);
		return;
	}
	FUZZ_CHECK(isfinite(secs) && secs >= 0, "'%s' is %g s", text, secs);
	n = units_format_duration(secs, buf, sizeof buf);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof buf, "'%s': %d bytes", text, n);
	FUZZ_CHECK(units_parse_duration(buf, &back, err, sizeof err) == 0,
	           "'%s' printed as '%s' does not read back: %s", text, buf, err);
}

static void check_number(const char *text)
{
	char buf[1024];
	double v, back;
	size_t used = units_scan_number(text, &v), len;

	if (used == 0)
		return;
	FUZZ_CHECK(used <= strlen(text), "'%s': %zu bytes used", text, used);
	if (!isfinite(v))
		return; /* too many digits: the callers refuse it */
	FUZZ_CHECK(v >= 0, "'%s' scanned as %g", text, v);
	len = (size_t)units_format_number(v, buf, sizeof buf);
	FUZZ_CHECK(len < sizeof buf && units_scan_number(buf, &back) == len,
	           "'%s' printed as '%s' does not scan whole", text, buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);

	check_size(text);
	check_duration(text);
	check_number(text);
	free(text);
	return 0;
}
