/*
 * csv.h - sample CSV in and out: "time,value,capacity" rows.
 *
 * The format of `trendtrap series export|import` and of the plugins'
 * --replay input: unix seconds, then two numbers. A header line whose first
 * field is not a number is skipped, as are blank lines and lines starting
 * with '#'. Anything else that does not parse is an error "NAME:LINE: reason".
 */
#ifndef TT_CSV_H
#define TT_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "sample.h"

/* Read every row of F (named NAME in messages) into a new malloc'ed array.
 * Rows need not be sorted; times must be integers. Returns 0 or -1. */
int csv_read_samples(FILE *f, const char *name, struct sample **out, size_t *n, char *err,
                     size_t errlen);

/* Write "time,value,capacity" rows (with that header) to F; values print
 * without exponent and with no more digits than needed. */
void csv_write_samples(FILE *f, const struct sample *s, size_t n);

/* Write a number for CSV: integral values without a decimal point, others with
 * up to 9 significant decimals; NAN writes nothing (empty field). */
void csv_write_number(FILE *f, double v);

#endif
