/*
 * sample.h - one measurement of one series.
 */
#ifndef TT_SAMPLE_H
#define TT_SAMPLE_H

#include <stdint.h>

struct sample {
	int64_t t;       /* unix seconds */
	double value;    /* what is measured: used bytes, available bytes, ... */
	double capacity; /* what it is measured against: capacity, total; 0 if none */
};

#endif
