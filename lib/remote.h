/*
 * remote.h - memory and filesystem readings from an SNMP agent.
 *
 * Two sources: UCD-SNMP-MIB (net-snmp's memory group and dskTable) and
 * HOST-RESOURCES-MIB hrStorageTable (every agent, Windows included). AUTO
 * uses UCD when the agent has it and HOST otherwise, and says which. Sizes
 * are computed in 64 bits: dskTable's Low/High pairs, and hrStorage's
 * INTEGER sizes that some agents wrap to negative above 2^31 units.
 *
 * Round trips are kept few: memory is one GET (UCD) or one GETBULK of the
 * table (HOST); filesystems need a walk the first time, after which the
 * table index of each filesystem is cached in the state directory
 * ("hrstorage-HOST-PORT.cache", "dsktable-HOST-PORT.cache") and a run is one
 * GET. A cached index that no longer names the same filesystem is noticed
 * (the description is fetched with the values) and the table walked again.
 */
#ifndef TT_REMOTE_H
#define TT_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"

enum remote_mib {
	REMOTE_MIB_AUTO, /* UCD when the agent has it, else HOST */
	REMOTE_MIB_UCD,  /* UCD-SNMP-MIB */
	REMOTE_MIB_HOST, /* HOST-RESOURCES-MIB */
};

struct remote_mem {
	double total;      /* bytes */
	double available;  /* bytes: MemAvailable where the agent has it, else the estimate
	                      the note names */
	double swap_total; /* bytes, valid when have_swap */
	double swap_free;
	bool have_swap;
	enum remote_mib mib_used; /* REMOTE_MIB_UCD or REMOTE_MIB_HOST */
	char note[200];           /* how the reading was made when not the plain way, e.g.
	                             "memSysAvail absent: MemFree + cached + buffers"; "" */
};

struct remote_disk {
	char descr[256]; /* the agent's description: "/var", or "C:\ Label:OS  Serial..." */
	double used;     /* bytes in use */
	double capacity; /* bytes usable: used + available (as df) for UCD; the size for
	                    HOST, whose table has no "available" */
	double total;    /* bytes, the whole size */
};

enum remote_cache {
	REMOTE_CACHE_OFF,   /* no state dir, or all filesystems asked for */
	REMOTE_CACHE_HIT,   /* one GET with the cached indexes */
	REMOTE_CACHE_MISS,  /* no usable cache (none, unreadable, a new mount): walked */
	REMOTE_CACHE_STALE, /* the cached indexes moved: walked again */
};

struct remote_disks_info {
	enum remote_mib mib_used;
	enum remote_cache cache;
	char note[300]; /* something the operator may want to know ("cannot write the
	                   index cache ..."); "" */
};

/* Read total and available memory (and swap) from the agent. Returns 0, or -1
 * with ERR set (agent_last_error(A) tells whether the agent exchange failed). */
int remote_memory(struct agent *a, enum remote_mib mib, struct remote_mem *m, char *err,
                  size_t errlen);

/* Read the filesystems MOUNTS[0..NMOUNTS) ("/", "/var", or a Windows drive
 * "C:" / "C:\"), or every disk the agent lists when NMOUNTS is 0. With MOUNTS,
 * (*OUT)[i] answers MOUNTS[i]. STATE_DIR keeps the index cache (NULL: none).
 * INFO (may be NULL) says how. *OUT is malloc'ed (free() it). Returns 0 or -1
 * with ERR set, e.g. a mount the agent does not have, listing what it has. */
int remote_disks(struct agent *a, enum remote_mib mib, const char *state_dir,
                 const char *const *mounts, size_t nmounts, struct remote_disk **out, size_t *n,
                 struct remote_disks_info *info, char *err, size_t errlen);

/* ---- pure conversions -------------------------------------------------- */

/* "auto", "ucd", "host". */
const char *remote_mib_name(enum remote_mib m);

/* Parse "auto", "ucd" or "host" (any case). Returns 0 or -1. */
int remote_mib_parse(const char *text, enum remote_mib *m);

/* A 64-bit value from a Low/High pair of 32-bit columns: HIGH * 2^32 + LOW. */
uint64_t remote_u64(uint64_t high, uint64_t low);

/* An INTEGER size as the agent meant it: a negative value is a 32-bit
 * unsigned number that wrapped (-1 -> 4294967295). */
uint64_t remote_unwrap32(int64_t v);

/* COUNT * UNITS in *BYTES. Returns 0, or -1 when it does not fit 64 bits. */
int remote_scale(uint64_t count, uint64_t units, uint64_t *bytes);

/* The numeric value of V as an unsigned size: INTEGER (unwrapped), Gauge32 /
 * Counter32 / TimeTicks, Counter64. Returns 0, or -1 for other types. */
int remote_value_u64(const struct agent_value *v, uint64_t *out);

/* True when the agent's description DESCR names the filesystem MOUNT: equal
 * (trailing slashes aside), or MOUNT is a Windows drive ("C:", "C:\", "c:/")
 * and DESCR starts with that drive ("C:\ Label:OS  Serial Number 1234"). */
bool remote_descr_matches(const char *descr, const char *mount);

#endif
