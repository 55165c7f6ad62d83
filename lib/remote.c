/*
 * remote.c - memory and filesystems from UCD-SNMP-MIB or HOST-RESOURCES-MIB.
 *
 * Both filesystem tables are read the same way: a walk of the columns we
 * need (side by side, one GETBULK for a usual table) or, with a cached index
 * map, one GET of those columns for the rows we need. Each varbind is filed
 * into a row by its index; the MIB-specific part is how a row becomes a
 * reading. Rows are found by description (the mount point; "C:\ Label:..."
 * on Windows), never by index: indexes move when filesystems come and go.
 */
#include "remote.h"

#include "atomicfile.h"
#include "errbuf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define KIB         1024u
#define UCD_MEM     ".1.3.6.1.4.1.2021.4"
#define UCD_DSK     ".1.3.6.1.4.1.2021.9.1"
#define HR_STORAGE  ".1.3.6.1.2.1.25.2.3.1"
#define HR_TYPES    ".1.3.6.1.2.1.25.2.1."
#define CACHE_MAGIC "trendtrap index cache 1"
#define MAX_COLS    10

/* hrStorageTypes leaves */
enum {
	HR_OTHER = 1,
	HR_RAM = 2,
	HR_VIRTUAL = 3,
	HR_FIXED = 4,
	HR_REMOVABLE = 5,
	HR_FLASH = 9,
	HR_NETWORK = 10
};

/* Column slots: the position of each column in its table's cols[]. */
enum {
	UCD_PATH,
	UCD_TOTAL,
	UCD_AVAIL,
	UCD_USED,
	UCD_TOTAL_LO,
	UCD_TOTAL_HI,
	UCD_AVAIL_LO,
	UCD_AVAIL_HI,
	UCD_USED_LO,
	UCD_USED_HI,
	UCD_NCOLS
};
enum { HRS_TYPE, HRS_DESCR, HRS_UNITS, HRS_SIZE, HRS_USED, HRS_NCOLS };

struct table {
	const char *name;     /* "UCD-SNMP-MIB dskTable" */
	const char *entry;    /* the table entry's OID */
	const uint32_t *cols; /* the columns read, by slot */
	size_t ncols;
	int descr_slot;    /* the description column's slot */
	int type_slot;     /* hrStorageType's slot; -1 = none */
	const char *cache; /* cache file prefix */
	enum remote_mib mib;
};

static const uint32_t ucd_cols[UCD_NCOLS] = {2, 6, 7, 8, 11, 12, 13, 14, 15, 16};
static const uint32_t hr_cols[HRS_NCOLS] = {2, 3, 4, 5, 6};

static const struct table ucd_table = {
        "UCD-SNMP-MIB dskTable", UCD_DSK, ucd_cols, UCD_NCOLS, UCD_PATH, -1, "dsktable",
        REMOTE_MIB_UCD};
static const struct table hr_table = {"HOST-RESOURCES-MIB hrStorageTable",
                                      HR_STORAGE,
                                      hr_cols,
                                      HRS_NCOLS,
                                      HRS_DESCR,
                                      HRS_TYPE,
                                      "hrstorage",
                                      REMOTE_MIB_HOST};

struct row {
	uint32_t index;
	unsigned have; /* bit per slot: the agent gave that column */
	uint32_t type; /* hrStorageTypes leaf (HR_RAM, ...); 0 = unknown */
	char descr[AGENT_STRING_MAX];
	uint64_t num[MAX_COLS]; /* numeric columns by slot */
};

struct rows {
	struct row *r;
	size_t n, cap;
};

/* ---- pure conversions -------------------------------------------------- */

const char *remote_mib_name(enum remote_mib m)
{
	static const char *const names[] = {"auto", "ucd", "host"};

	return names[m];
}

int remote_mib_parse(const char *text, enum remote_mib *m)
{
	for (int i = REMOTE_MIB_AUTO; i <= REMOTE_MIB_HOST; i++)
		if (strcasecmp(text, remote_mib_name((enum remote_mib)i)) == 0) {
			*m = (enum remote_mib)i;
			return 0;
		}
	return -1;
}

uint64_t remote_u64(uint64_t high, uint64_t low)
{
	return ((high & 0xffffffffu) << 32) | (low & 0xffffffffu);
}

uint64_t remote_unwrap32(int64_t v)
{
	if (v >= 0)
		return (uint64_t)v;
	if (v >= INT32_MIN)
		return (uint64_t)(v + 4294967296LL);
	return 0; /* not a 32-bit INTEGER: nothing sensible to undo */
}

int remote_scale(uint64_t count, uint64_t units, uint64_t *bytes)
{
	if (units != 0 && count > UINT64_MAX / units)
		return -1;
	*bytes = count * units;
	return 0;
}

int remote_value_u64(const struct agent_value *v, uint64_t *out)
{
	switch (v->type) {
	case AGENT_INTEGER:
		*out = remote_unwrap32(v->i);
		return 0;
	case AGENT_UNSIGNED:
	case AGENT_COUNTER64:
		*out = v->u;
		return 0;
	default:
		return -1;
	}
}

static size_t trimmed_len(const char *s)
{
	size_t n = strlen(s);

	while (n > 1 && s[n - 1] == '/')
		n--;
	return n;
}

static bool is_drive(const char *m)
{
	return isalpha((unsigned char)m[0]) && m[1] == ':' &&
	       (m[2] == '\0' || ((m[2] == '\\' || m[2] == '/') && m[3] == '\0'));
}

bool remote_descr_matches(const char *descr, const char *mount)
{
	size_t dl = trimmed_len(descr), ml = trimmed_len(mount);

	if (ml == 0)
		return false;
	if (dl == ml && memcmp(descr, mount, ml) == 0)
		return true;
	return is_drive(mount) &&
	       toupper((unsigned char)descr[0]) == toupper((unsigned char)mount[0]) &&
	       descr[1] == ':' && descr[2] == '\\';
}

/* ---- rows -------------------------------------------------------------- */

static bool has(const struct row *r, int slot)
{
	return (r->have & (1u << slot)) != 0;
}

static struct row *row_get(struct rows *rs, uint32_t index)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->r[i].index == index)
			return &rs->r[i];
	if (rs->n == rs->cap) {
		size_t cap = rs->cap == 0 ? 16 : rs->cap * 2;
		struct row *grown = realloc(rs->r, cap * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		rs->r = grown;
		rs->cap = cap;
	}
	memset(&rs->r[rs->n], 0, sizeof(rs->r[0]));
	rs->r[rs->n].index = index;
	return &rs->r[rs->n++];
}

static uint32_t storage_type(const struct agent_value *v)
{
	const char *leaf;
	char *end;
	unsigned long t;

	if (v->type != AGENT_OID || strncmp(v->s, HR_TYPES, strlen(HR_TYPES)) != 0)
		return 0;
	leaf = v->s + strlen(HR_TYPES);
	t = strtoul(leaf, &end, 10);
	return end != leaf && *end == '\0' && t < 100 ? (uint32_t)t : 0;
}

/* Put the value V (a column of table T) into its row. */
static int file_value(const struct table *t, const uint32_t *entry, size_t elen, struct rows *rs,
                      const struct agent_value *v)
{
	struct row *r;
	int slot = -1;

	if (v->oidlen != elen + 2 || memcmp(v->oid, entry, elen * sizeof(*entry)) != 0)
		return 0;
	for (size_t i = 0; i < t->ncols; i++)
		if (t->cols[i] == v->oid[elen])
			slot = (int)i;
	if (slot < 0 || v->type == AGENT_NO_SUCH_OBJECT || v->type == AGENT_NO_SUCH_INSTANCE ||
	    v->type == AGENT_END_OF_MIB || v->type == AGENT_NULL)
		return 0;
	r = row_get(rs, v->oid[elen + 1]);
	if (r == NULL)
		return -1;
	if (slot == t->descr_slot) {
		snprintf(r->descr, sizeof(r->descr), "%s", v->s);
	} else if (slot == t->type_slot) {
		r->type = storage_type(v);
	} else if (remote_value_u64(v, &r->num[slot]) != 0) {
		return 0;
	}
	r->have |= 1u << slot;
	return 0;
}

static int file_values(const struct table *t, struct rows *rs, const struct agent_value *v,
                       size_t n, char *err, size_t errlen)
{
	uint32_t entry[AGENT_OID_MAX];
	size_t elen;

	agent_oid_parse(t->entry, entry, AGENT_OID_MAX, &elen);
	for (size_t i = 0; i < n; i++)
		if (file_value(t, entry, elen, rs, &v[i]) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	return 0;
}

static bool is_disk(const struct table *t, const struct row *r)
{
	if (t->type_slot < 0)
		return true;
	return r->type == HR_FIXED || r->type == HR_REMOVABLE || r->type == HR_FLASH ||
	       r->type == HR_NETWORK;
}

/* A UCD size in kB: the Low/High pair, else the old 32-bit column. */
static bool ucd_kb(const struct row *r, int lo, int hi, int old, uint64_t *kb)
{
	if (has(r, lo) && has(r, hi)) {
		*kb = remote_u64(r->num[hi], r->num[lo]);
		return true;
	}
	if (has(r, old)) {
		*kb = r->num[old];
		return true;
	}
	return false;
}

/* Turn row R of table T into a reading. Returns 0, or -1 when incomplete. */
static int row_disk(const struct table *t, const struct row *r, struct remote_disk *d)
{
	uint64_t total, used, avail, units;

	if (!has(r, t->descr_slot))
		return -1;
	snprintf(d->descr, sizeof(d->descr), "%s", r->descr);
	if (t->mib == REMOTE_MIB_UCD) {
		if (!ucd_kb(r, UCD_TOTAL_LO, UCD_TOTAL_HI, UCD_TOTAL, &total) ||
		    !ucd_kb(r, UCD_AVAIL_LO, UCD_AVAIL_HI, UCD_AVAIL, &avail) ||
		    !ucd_kb(r, UCD_USED_LO, UCD_USED_HI, UCD_USED, &used))
			return -1;
		d->total = (double)total * KIB;
		d->used = (double)used * KIB;
		d->capacity = ((double)used + (double)avail) * KIB;
		return 0;
	}
	units = r->num[HRS_UNITS];
	if (!has(r, HRS_UNITS) || !has(r, HRS_SIZE) || !has(r, HRS_USED) || units == 0 ||
	    remote_scale(r->num[HRS_SIZE], units, &total) != 0 ||
	    remote_scale(r->num[HRS_USED], units, &used) != 0)
		return -1;
	d->total = d->capacity = (double)total;
	d->used = (double)used;
	return 0;
}

/* The first disk row whose description names MOUNT, or NULL. */
static const struct row *find_row(const struct table *t, const struct rows *rs, const char *mount)
{
	for (size_t i = 0; i < rs->n; i++)
		if (is_disk(t, &rs->r[i]) && has(&rs->r[i], t->descr_slot) &&
		    remote_descr_matches(rs->r[i].descr, mount))
			return &rs->r[i];
	return NULL;
}

/* "/, /boot, /var": the disks of RS, cut to fit BUF. */
static void list_disks(const struct table *t, const struct rows *rs, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < rs->n && used + 4 < len; i++) {
		if (!is_disk(t, &rs->r[i]) || !has(&rs->r[i], t->descr_slot))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
		                         rs->r[i].descr);
	}
	if (used >= len - 1 && len > 4)
		memcpy(buf + len - 4, "...", 4);
	if (buf[0] == '\0')
		snprintf(buf, len, "no filesystems");
}

/* ---- reading tables ---------------------------------------------------- */

/* Walk the columns of table T into RS. Returns 0 or -1. */
static int walk_table(struct agent *a, const struct table *t, struct rows *rs, char *err,
                      size_t errlen)
{
	char roots[MAX_COLS][64];
	const char *rp[MAX_COLS];
	struct agent_value *v;
	enum agent_error kind;
	size_t n;
	int rc;

	for (size_t i = 0; i < t->ncols; i++) {
		snprintf(roots[i], sizeof(roots[i]), "%s.%u", t->entry, (unsigned)t->cols[i]);
		rp[i] = roots[i];
	}
	if (agent_walk(a, rp, t->ncols, &v, &n, &kind, err, errlen) != 0)
		return -1;
	rc = file_values(t, rs, v, n, err, errlen);
	free(v);
	return rc;
}

/* GET the columns of table T for the rows INDEXES[0..N) into RS. */
static int get_rows(struct agent *a, const struct table *t, const uint32_t *indexes, size_t n,
                    struct rows *rs, char *err, size_t errlen)
{
	size_t k = n * t->ncols;
	char(*text)[64] = malloc(k * sizeof(*text));
	const char **oids = malloc(k * sizeof(*oids));
	struct agent_value *v = malloc(k * sizeof(*v));
	enum agent_error kind;
	int rc = -1;

	if (text == NULL || oids == NULL || v == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < k; i++) {
		snprintf(text[i], sizeof(text[i]), "%s.%u.%u", t->entry,
		         (unsigned)t->cols[i % t->ncols], (unsigned)indexes[i / t->ncols]);
		oids[i] = text[i];
	}
	if (agent_get(a, oids, k, v, &kind, err, errlen) == 0)
		rc = file_values(t, rs, v, k, err, errlen);
out:
	free(text);
	free(oids);
	free(v);
	return rc;
}

/* ---- the index cache ---------------------------------------------------- */

struct cache_entry {
	uint32_t index;
	char descr[AGENT_STRING_MAX];
};

struct cache {
	struct cache_entry *e;
	size_t n;
};

/* STATE_DIR/PREFIX-HOST-PORT.cache, HOST with anything unusual made '_'. */
static void cache_path(const struct agent *a, const struct table *t, const char *dir, char *path,
                       size_t len)
{
	const char *peer = agent_peer(a), *colon = strrchr(peer, ':');
	char host[256];
	size_t n = 0;

	for (const char *p = peer; p < colon && n + 1 < sizeof(host); p++) {
		if (*p == '[' || *p == ']')
			continue;
		host[n++] = isalnum((unsigned char)*p) || *p == '.' || *p == '-' ? *p : '_';
	}
	host[n] = '\0';
	snprintf(path, len, "%s/%s-%s-%s.cache", dir, t->cache, host, colon + 1);
}

/* Read a cache file. Returns 0, 1 when there is none, -1 when it is unusable. */
static int cache_read(const char *path, struct cache *c)
{
	FILE *f = fopen(path, "re");
	char line[AGENT_STRING_MAX + 32];
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (f == NULL)
		return errno == ENOENT ? 1 : -1;
	if (fgets(line, sizeof(line), f) == NULL || strcmp(line, CACHE_MAGIC "\n") != 0)
		rc = -1;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		struct cache_entry *grown = realloc(c->e, (c->n + 1) * sizeof(*grown));
		char *tab = strchr(line, '\t'), *nl = strchr(line, '\n'), *end;
		unsigned long idx;

		if (grown == NULL || tab == NULL || nl == NULL) {
			rc = -1;
			c->e = grown != NULL ? grown : c->e;
			break;
		}
		c->e = grown;
		*nl = '\0';
		errno = 0;
		idx = strtoul(line, &end, 10);
		if (end == line || end != tab || errno != 0 || idx > UINT32_MAX || tab[1] == '\0') {
			rc = -1;
			break;
		}
		c->e[c->n].index = (uint32_t)idx;
		snprintf(c->e[c->n++].descr, sizeof(c->e[0].descr), "%s", tab + 1);
	}
	fclose(f);
	if (rc != 0) {
		free(c->e);
		memset(c, 0, sizeof(*c));
	}
	return rc;
}

/* Write the disk rows of RS to PATH, atomically: a reader sees the old map
 * or the new one. Not synced: a cache lost in a crash only costs one walk.
 * Returns 0 or -1 with ERR set. */
static int cache_write(const char *path, const struct table *t, const struct rows *rs, char *err,
                       size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int ok, rc;

	if (f == NULL)
		return errbuf_fail(err, errlen, "cannot write the index cache %s: %s", path,
		                   strerror(errno));
	ok = fputs(CACHE_MAGIC "\n", f) >= 0;
	for (size_t i = 0; i < rs->n && ok; i++) {
		const struct row *r = &rs->r[i];

		if (is_disk(t, r) && has(r, t->descr_slot) && r->descr[0] != '\0' &&
		    strpbrk(r->descr, "\t\n") == NULL)
			ok = fprintf(f, "%u\t%s\n", (unsigned)r->index, r->descr) > 0;
	}
	ok = fclose(f) == 0 && ok;
	rc = ok ? atomicfile_write(path, text, len, false, err, errlen)
	        : errbuf_fail(err, errlen, "cannot write the index cache %s: out of memory", path);
	free(text);
	return rc;
}

/* ---- filesystems -------------------------------------------------------- */

struct disk_job {
	struct agent *a;
	const char *state_dir;
	const char *const *mounts;
	size_t nmounts;
	struct remote_disks_info *info;
	struct remote_disk *out; /* nmounts entries, or as many as the rows */
	size_t n;
	char *err;
	size_t errlen;
};

/* The tables MIB allows, in the order AUTO tries them. */
static size_t tables_for(enum remote_mib mib, const struct table **t)
{
	if (mib == REMOTE_MIB_UCD) {
		t[0] = &ucd_table;
		return 1;
	}
	if (mib == REMOTE_MIB_HOST) {
		t[0] = &hr_table;
		return 1;
	}
	t[0] = &ucd_table;
	t[1] = &hr_table;
	return 2;
}

/* Map each mount to its cached index. Returns 0, or -1 when one is not cached. */
static int cache_indexes(const struct disk_job *j, const struct cache *c, uint32_t *idx)
{
	for (size_t i = 0; i < j->nmounts; i++) {
		size_t k = 0;

		while (k < c->n && !remote_descr_matches(c->e[k].descr, j->mounts[i]))
			k++;
		if (k == c->n)
			return -1;
		idx[i] = c->e[k].index;
	}
	return 0;
}

/* Readings for every mount from the rows RS fetched by index IDX. Returns 0,
 * or 1 when a row no longer names its mount (the cache is stale). */
static int cached_readings(struct disk_job *j, const struct table *t, const struct rows *rs,
                           const uint32_t *idx)
{
	for (size_t i = 0; i < j->nmounts; i++) {
		const struct row *r = NULL;

		for (size_t k = 0; k < rs->n && r == NULL; k++)
			if (rs->r[k].index == idx[i])
				r = &rs->r[k];
		if (r == NULL || !remote_descr_matches(r->descr, j->mounts[i]) ||
		    row_disk(t, r, &j->out[i]) != 0)
			return 1;
	}
	j->n = j->nmounts;
	return 0;
}

/* Try table T's cache. Returns 0 done, 1 no use (walk), -1 error. */
static int disks_cached_in(struct disk_job *j, const struct table *t, uint32_t *idx)
{
	char path[4096];
	struct cache c;
	struct rows rs = {0};
	int rc;

	cache_path(j->a, t, j->state_dir, path, sizeof(path));
	rc = cache_read(path, &c);
	if (rc < 0)
		snprintf(j->info->note, sizeof(j->info->note), "index cache %s unreadable: rebuilt",
		         path);
	if (rc != 0)
		return 1;
	rc = cache_indexes(j, &c, idx);
	free(c.e);
	if (rc != 0)
		return 1;
	if (get_rows(j->a, t, idx, j->nmounts, &rs, j->err, j->errlen) != 0) {
		free(rs.r);
		return -1;
	}
	rc = cached_readings(j, t, &rs, idx);
	free(rs.r);
	j->info->cache = rc == 0 ? REMOTE_CACHE_HIT : REMOTE_CACHE_STALE;
	j->info->mib_used = t->mib;
	return rc;
}

static int disks_cached(struct disk_job *j, enum remote_mib mib)
{
	const struct table *t[2];
	size_t nt = tables_for(mib, t);
	uint32_t *idx = malloc(j->nmounts * sizeof(*idx));
	int rc = 1;

	if (idx == NULL) {
		snprintf(j->err, j->errlen, "out of memory");
		return -1;
	}
	j->info->cache = REMOTE_CACHE_MISS;
	for (size_t i = 0; i < nt && rc == 1 && j->info->cache == REMOTE_CACHE_MISS; i++)
		rc = disks_cached_in(j, t[i], idx);
	free(idx);
	return rc;
}

/* Readings from walked rows. Returns 0, or 1 with *MISSING when a mount is
 * not among them (or, for all, when there are no disks). */
static int pick(struct disk_job *j, const struct table *t, const struct rows *rs, size_t *missing)
{
	j->n = 0;
	*missing = 0;
	if (j->nmounts == 0) {
		for (size_t i = 0; i < rs->n; i++)
			if (is_disk(t, &rs->r[i]) && row_disk(t, &rs->r[i], &j->out[j->n]) == 0)
				j->n++;
		return j->n > 0 ? 0 : 1;
	}
	for (size_t i = 0; i < j->nmounts; i++) {
		const struct row *r = find_row(t, rs, j->mounts[i]);

		if (r == NULL || row_disk(t, r, &j->out[i]) != 0) {
			*missing = i;
			return 1;
		}
	}
	j->n = j->nmounts;
	return 0;
}

static void no_table(struct disk_job *j, enum remote_mib mib)
{
	const char *peer = agent_peer(j->a);

	if (mib == REMOTE_MIB_UCD)
		snprintf(
		        j->err, j->errlen,
		        "the agent at %s has no UCD-SNMP-MIB dskTable (%s): use --mib host, or add "
		        "'disk' or 'includeAllDisks' lines to its snmpd.conf",
		        peer, UCD_DSK);
	else if (mib == REMOTE_MIB_HOST)
		snprintf(j->err, j->errlen,
		         "the agent at %s has no HOST-RESOURCES-MIB hrStorageTable (%s): use --mib "
		         "ucd, or include it in the agent's view",
		         peer, HR_STORAGE);
	else
		snprintf(j->err, j->errlen,
		         "the agent at %s has neither UCD-SNMP-MIB dskTable (%s) nor "
		         "HOST-RESOURCES-MIB hrStorageTable (%s): check the agent's view",
		         peer, UCD_DSK, HR_STORAGE);
}

/* Walk table T and take the readings. Returns 0, 1 when T lacks a mount (the
 * error is in J->err), -1 on an agent error. */
static int disks_walk_in(struct disk_job *j, const struct table *t, enum remote_mib mib)
{
	struct rows rs = {0};
	char list[600], note[sizeof(j->info->note)];
	size_t missing;
	int rc = walk_table(j->a, t, &rs, j->err, j->errlen);
	struct remote_disk *grown;

	grown = rc == 0 && j->nmounts == 0 ? realloc(j->out, (rs.n + 1) * sizeof(*grown)) : j->out;
	if (grown == NULL)
		rc = -1;
	else
		j->out = grown;
	if (rc == 0 && pick(j, t, &rs, &missing) != 0) {
		rc = 1;
		list_disks(t, &rs, list, sizeof(list));
		if (rs.n == 0)
			no_table(j, mib);
		else if (j->nmounts == 0)
			snprintf(j->err, j->errlen, "the agent at %s lists no filesystem in %s",
			         agent_peer(j->a), t->name);
		else
			snprintf(j->err, j->errlen, "no filesystem '%s' on %s; the agent has: %s",
			         j->mounts[missing], agent_peer(j->a), list);
	}
	if (rc == 0 && j->state_dir != NULL) {
		char path[4096];

		cache_path(j->a, t, j->state_dir, path, sizeof(path));
		if (cache_write(path, t, &rs, note, sizeof(note)) != 0)
			snprintf(j->info->note, sizeof(j->info->note), "%s", note);
	}
	if (rc == 0)
		j->info->mib_used = t->mib;
	free(rs.r);
	return rc;
}

static int disks_walk(struct disk_job *j, enum remote_mib mib)
{
	const struct table *t[2];
	size_t nt = tables_for(mib, t);
	int rc = 1;

	for (size_t i = 0; i < nt && rc == 1; i++)
		rc = disks_walk_in(j, t[i], mib);
	return rc == 0 ? 0 : -1;
}

int remote_disks(struct agent *a, enum remote_mib mib, const char *state_dir,
                 const char *const *mounts, size_t nmounts, struct remote_disk **out, size_t *n,
                 struct remote_disks_info *info, char *err, size_t errlen)
{
	struct remote_disks_info scratch;
	struct disk_job j = {a,    state_dir, mounts, nmounts, info != NULL ? info : &scratch,
	                     NULL, 0,         err,    errlen};
	int rc = 1;

	memset(j.info, 0, sizeof(*j.info));
	*out = NULL;
	*n = 0;
	j.out = calloc(nmounts + 1, sizeof(*j.out));
	if (j.out == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (state_dir != NULL && nmounts > 0)
		rc = disks_cached(&j, mib);
	if (rc == 1)
		rc = disks_walk(&j, mib);
	if (rc != 0) {
		free(j.out);
		return -1;
	}
	*out = j.out;
	*n = j.n;
	return 0;
}

/* ---- memory --------------------------------------------------------------- */

static void note_add(struct remote_mem *m, const char *text)
{
	size_t len = strlen(m->note);

	snprintf(m->note + len, sizeof(m->note) - len, "%s%s", len ? "; " : "", text);
}

enum {
	MEM_TOTAL,
	MEM_SYS_AVAIL,
	MEM_AVAIL_REAL,
	MEM_CACHED,
	MEM_BUFFER,
	MEM_SWAP_TOTAL,
	MEM_SWAP_AVAIL,
	MEM_NOIDS
};

/* Available memory from UCD's values V (sizes in kB, present when OK[i]). */
static int ucd_available(struct agent *a, const uint64_t *kb, const bool *ok, struct remote_mem *m,
                         char *err, size_t errlen)
{
	if (ok[MEM_SYS_AVAIL]) {
		m->available = (double)kb[MEM_SYS_AVAIL] * KIB;
		return 0;
	}
	if (!ok[MEM_AVAIL_REAL]) {
		snprintf(
		        err, errlen,
		        "the agent at %s has no UCD-SNMP-MIB memAvailReal (%s.6.0) nor memSysAvail "
		        "(%s.27.0): use --mib host",
		        agent_peer(a), UCD_MEM, UCD_MEM);
		return -1;
	}
	m->available = ((double)kb[MEM_AVAIL_REAL] + (double)(ok[MEM_CACHED] ? kb[MEM_CACHED] : 0) +
	                (double)(ok[MEM_BUFFER] ? kb[MEM_BUFFER] : 0)) *
	               KIB;
	note_add(m, ok[MEM_CACHED] && ok[MEM_BUFFER]
	                    ? "memSysAvail absent: available = MemFree + cached + buffers"
	                    : "memSysAvail absent: available = MemFree + what the agent has of "
	                      "cached and buffers");
	return 0;
}

/* UCD memory in one GET. Returns 0, 1 when the agent has no memTotalReal and
 * FORCED is false, -1 on error. */
static int memory_ucd(struct agent *a, bool forced, struct remote_mem *m, char *err, size_t errlen)
{
	static const char *const oids[MEM_NOIDS] = {
	        UCD_MEM ".5.0",  UCD_MEM ".27.0", UCD_MEM ".6.0", UCD_MEM ".15.0",
	        UCD_MEM ".14.0", UCD_MEM ".3.0",  UCD_MEM ".4.0"};
	struct agent_value v[MEM_NOIDS];
	uint64_t kb[MEM_NOIDS];
	bool ok[MEM_NOIDS];
	enum agent_error kind;

	if (agent_get(a, oids, MEM_NOIDS, v, &kind, err, errlen) != 0)
		return -1;
	for (int i = 0; i < MEM_NOIDS; i++)
		ok[i] = remote_value_u64(&v[i], &kb[i]) == 0;
	if (!ok[MEM_TOTAL]) {
		if (!forced)
			return 1;
		snprintf(err, errlen,
		         "the agent at %s has no UCD-SNMP-MIB memTotalReal (%s.5.0): use --mib "
		         "host, "
		         "or include UCD-SNMP-MIB's memory group in the agent's view",
		         agent_peer(a), UCD_MEM);
		return -1;
	}
	m->mib_used = REMOTE_MIB_UCD;
	m->total = (double)kb[MEM_TOTAL] * KIB;
	if (ucd_available(a, kb, ok, m, err, errlen) != 0)
		return -1;
	m->have_swap = ok[MEM_SWAP_TOTAL] && ok[MEM_SWAP_AVAIL];
	m->swap_total = m->have_swap ? (double)kb[MEM_SWAP_TOTAL] * KIB : 0;
	m->swap_free = m->have_swap ? (double)kb[MEM_SWAP_AVAIL] * KIB : 0;
	return 0;
}

/* The first row of type TYPE (0 = any) whose description is DESCR (NULL =
 * any) or, with SUB, contains it (any case), and which has units and size. */
static const struct row *mem_row(const struct rows *rs, uint32_t type, const char *descr, bool sub)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct row *r = &rs->r[i];

		if ((type != 0 && r->type != type) || !has(r, HRS_UNITS) || !has(r, HRS_SIZE) ||
		    !has(r, HRS_USED))
			continue;
		if (descr == NULL ||
		    (sub ? strcasestr(r->descr, descr) != NULL : strcasecmp(r->descr, descr) == 0))
			return r;
	}
	return NULL;
}

static double mem_bytes(const struct row *r, uint64_t count)
{
	return (double)count * (double)r->num[HRS_UNITS];
}

/* Available memory from the hrStorage rows: net-snmp's "Available memory"
 * row (MemAvailable), else free RAM plus its buffers and cache rows. */
static void host_available(const struct rows *rs, const struct row *ram, struct remote_mem *m)
{
	const struct row *avail = mem_row(rs, HR_OTHER, "Available memory", false);
	const struct row *buf = mem_row(rs, HR_OTHER, "Memory buffers", false);
	const struct row *cached = mem_row(rs, HR_OTHER, "Cached memory", false);
	uint64_t size = ram->num[HRS_SIZE], used = ram->num[HRS_USED];

	if (avail != NULL) {
		m->available = mem_bytes(avail, avail->num[HRS_SIZE]);
		return;
	}
	m->available = mem_bytes(ram, used < size ? size - used : 0);
	if (buf != NULL && cached != NULL) {
		m->available += mem_bytes(buf, buf->num[HRS_USED]) +
		                mem_bytes(cached, cached->num[HRS_USED]);
		note_add(m, "no 'Available memory' row: available = free + buffers + cached");
	} else {
		note_add(m, "available = RAM size - used (the agent shows no cache)");
	}
}

static int memory_host(struct agent *a, bool fallback, struct remote_mem *m, char *err,
                       size_t errlen)
{
	struct rows rs = {0};
	const struct row *ram, *swap;

	if (walk_table(a, &hr_table, &rs, err, errlen) != 0) {
		free(rs.r);
		return -1;
	}
	ram = mem_row(&rs, HR_RAM, NULL, false);
	if (ram == NULL) {
		snprintf(err, errlen,
		         fallback
		                 ? "the agent at %s has neither UCD-SNMP-MIB memTotalReal (" UCD_MEM
		                   ".5.0) nor an hrStorageRam row in HOST-RESOURCES-MIB "
		                   "hrStorageTable (%s): check the agent's view"
		                 : "the agent at %s has no hrStorageRam row in HOST-RESOURCES-MIB "
		                   "hrStorageTable (%s): use --mib ucd, or include it in the "
		                   "agent's "
		                   "view",
		         agent_peer(a), HR_STORAGE);
		free(rs.r);
		return -1;
	}
	m->mib_used = REMOTE_MIB_HOST;
	if (fallback)
		note_add(m, "no UCD-SNMP-MIB memory: HOST-RESOURCES-MIB used");
	m->total = mem_bytes(ram, ram->num[HRS_SIZE]);
	host_available(&rs, ram, m);
	swap = mem_row(&rs, HR_VIRTUAL, "swap", true);
	if (swap != NULL) {
		uint64_t size = swap->num[HRS_SIZE], used = swap->num[HRS_USED];

		m->have_swap = true;
		m->swap_total = mem_bytes(swap, size);
		m->swap_free = mem_bytes(swap, used < size ? size - used : 0);
	}
	free(rs.r);
	return 0;
}

int remote_memory(struct agent *a, enum remote_mib mib, struct remote_mem *m, char *err,
                  size_t errlen)
{
	int rc = 1;

	memset(m, 0, sizeof(*m));
	if (mib != REMOTE_MIB_HOST)
		rc = memory_ucd(a, mib == REMOTE_MIB_UCD, m, err, errlen);
	if (rc == 1)
		rc = memory_host(a, mib == REMOTE_MIB_AUTO, m, err, errlen);
	return rc;
}
