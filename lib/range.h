/*
 * range.h - threshold ranges as the Monitoring Plugins guidelines define them.
 *
 *   10      alert outside 0..10        10:     alert below 10
 *   ~:10    alert above 10             10:20   alert outside 10..20
 *   @10:20  alert inside 10..20 (inclusive ends)
 *
 * Ends are decimal numbers, optionally negative, optionally followed by a unit
 * when the caller allows one (sizes such as 100MiB, or %).  Parsing is strict:
 * trailing garbage, reversed ranges, empty strings, nan/inf, hex and "10::20"
 * are rejected with a one-line reason.
 */
#ifndef TT_RANGE_H
#define TT_RANGE_H

#include <stdbool.h>
#include <stddef.h>

/* Which units the caller accepts on range ends (bit set). */
enum range_units {
	RANGE_UNITS_NONE = 0,    /* plain numbers only */
	RANGE_UNITS_PERCENT = 1, /* "80%" */
	RANGE_UNITS_SIZE = 2,    /* "100MiB", "2GB", "512B" */
};

/* The unit a parsed range carries: both ends must agree. */
enum range_unit {
	RANGE_UNIT_PLAIN,   /* no unit written */
	RANGE_UNIT_PERCENT, /* ends are percentages (0..100 scale) */
	RANGE_UNIT_BYTES,   /* ends were sizes, converted to bytes */
};

struct range {
	double start;   /* lower end; ignored when start_inf */
	double end;     /* upper end; ignored when end_inf */
	bool start_inf; /* "~:" - no lower end */
	bool end_inf;   /* "N:" - no upper end */
	bool inside;    /* "@" - alert when inside instead of outside */
	enum range_unit unit;
};

/* Parse TEXT into R. UNITS says which units are accepted. Returns 0, or -1 with
 * a reason (without the option name) written into ERR. */
int range_parse(const char *text, unsigned units, struct range *r, char *err, size_t errlen);

/* True when VALUE is an alert for R (critical and warning are judged separately). */
bool range_alert(const struct range *r, double value);

/* Write R in range syntax with both ends multiplied by SCALE (e.g. a percentage
 * range turned into bytes for perfdata), without a unit. Returns the length
 * (snprintf semantics). */
int range_format(const struct range *r, double scale, char *buf, size_t len);

#endif
