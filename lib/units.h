/*
 * units.h - sizes and durations, parsed strictly and formatted for humans.
 *
 * Sizes: B, KiB MiB GiB TiB PiB (powers of 1024), KB MB GB TB PB (also kB;
 * powers of 1000).  Durations: 30s 15m 6h 7d 2w and combinations such as
 * 1d12h; a bare number is seconds.
 */
#ifndef TT_UNITS_H
#define TT_UNITS_H

#include <stddef.h>

/* Scan an unsigned decimal number at S: digits with an optional fraction
 * ("10", "0.5", "5.", ".5"); no sign, exponent, hex, nan or inf. Stores the
 * value and returns the number of characters used, 0 when S has no number. */
size_t units_scan_number(const char *s, double *value);

/* Write V without exponent: integral values as integers, others with up to 6
 * decimals, trailing zeros trimmed ("10", "0.5", "-2.25"). snprintf semantics. */
int units_format_number(double v, char *buf, size_t len);

/* Multiplier of the size unit at S (e.g. "MiB"), matched exactly; 0 if S is
 * not a size unit. *ULEN receives the unit's length. */
double units_size_factor(const char *s, size_t *ulen);

/* Parse a size such as "100MiB" or "1.5GB" (a bare number is bytes) into
 * bytes. Returns 0, or -1 with a reason in ERR. */
int units_parse_size(const char *text, double *bytes, char *err, size_t errlen);

/* Parse a duration such as "90s", "15m", "1d12h" or "30" (seconds) into
 * seconds (> 0 is not required; negative is rejected). Returns 0 or -1. */
int units_parse_duration(const char *text, double *seconds, char *err, size_t errlen);

/* "5d 3h", "2h 10m", "45s": the two largest non-zero units; "0s" for zero. */
int units_format_duration(double seconds, char *buf, size_t len);

/* "1.2 GiB", "512 B", "3.0 TiB": binary units, one decimal above KiB. */
int units_format_size(double bytes, char *buf, size_t len);

#endif
