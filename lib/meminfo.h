/*
 * meminfo.h - local memory: /proc/meminfo (or a copy, for containers and tests).
 *
 * Only the fields a memory check needs are kept. Kernels before 3.14 have no
 * MemAvailable; it is then estimated as MemFree + Buffers + Cached +
 * SReclaimable, and `estimated` says so. A file without Swap lines counts as
 * a host without swap.
 */
#ifndef TT_MEMINFO_H
#define TT_MEMINFO_H

#include <stdbool.h>
#include <stddef.h>

struct meminfo {
	double total;      /* MemTotal, bytes (> 0) */
	double available;  /* MemAvailable, or the estimate below, bytes */
	bool estimated;    /* no MemAvailable (kernel < 3.14): available is
	                      MemFree + Buffers + Cached + SReclaimable, at most total */
	double swap_total; /* SwapTotal, bytes; 0 when there is no swap */
	double swap_free;  /* SwapFree, bytes */
};

/* Parse the meminfo file at PATH into M. Returns 0, or -1 with one line in
 * ERR: "cannot read PATH: reason", "PATH:LINE: reason" for a malformed line,
 * or "PATH: no MemTotal ..." when a needed field is missing. */
int meminfo_read(const char *path, struct meminfo *m, char *err, size_t errlen);

#endif
