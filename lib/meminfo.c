/*
 * meminfo.c - parse /proc/meminfo: "Name:   12345 kB" lines.
 *
 * Every line is checked, not only the ones used, so that a file that is not
 * a meminfo (or a truncated copy) is an error naming the line rather than a
 * plausible-looking reading. Values are "N kB" (KiB, converted to bytes) or a
 * bare count (HugePages_Total). Blank lines are skipped.
 */
#include "meminfo.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN 256 /* meminfo lines are < 40 characters */

/* The fields we use; -1 marks "not seen". */
struct fields {
	double total, avail, free, buffers, cached, sreclaimable, swap_total, swap_free;
};

static double *field_slot(struct fields *f, const char *name, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
	} map[] = {
	        {"MemTotal", offsetof(struct fields, total)},
	        {"MemAvailable", offsetof(struct fields, avail)},
	        {"MemFree", offsetof(struct fields, free)},
	        {"Buffers", offsetof(struct fields, buffers)},
	        {"Cached", offsetof(struct fields, cached)},
	        {"SReclaimable", offsetof(struct fields, sreclaimable)},
	        {"SwapTotal", offsetof(struct fields, swap_total)},
	        {"SwapFree", offsetof(struct fields, swap_free)},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i].name) == len && memcmp(name, map[i].name, len) == 0)
			return (double *)((char *)f + map[i].off);
	return NULL;
}

/* Parse one line "Name: N [kB]" into FL. Returns NULL, or why it is malformed. */
static const char *parse_line(char *line, struct fields *fl)
{
	char *colon = strchr(line, ':'), *p, *end;
	unsigned long long v;
	double *slot, scale = 1;

	if (colon == NULL || colon == line)
		return "expected 'Name: value'";
	for (p = line; p < colon; p++)
		if (isspace((unsigned char)*p))
			return "a space in the field name";
	for (p = colon + 1; *p == ' ' || *p == '\t'; p++)
		;
	if (!isdigit((unsigned char)*p))
		return "expected a number after the ':'";
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno != 0)
		return "number out of range";
	for (p = end; *p == ' ' || *p == '\t'; p++)
		;
	if (strncmp(p, "kB", 2) == 0) {
		scale = 1024;
		p += 2;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		return "unexpected text after the value (only 'kB' may follow)";
	slot = field_slot(fl, line, (size_t)(colon - line));
	if (slot != NULL)
		*slot = (double)v * scale;
	return NULL;
}

static bool blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

/* Read every line of F into FL. Returns 0, or -1 with "PATH:LINE: why" in ERR. */
static int read_fields(FILE *f, const char *path, struct fields *fl, char *err, size_t errlen)
{
	char line[LINE_MAX_LEN];
	const char *why;
	size_t lineno = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f))
			why = "line too long";
		else if (blank(line))
			continue;
		else
			why = parse_line(line, fl);
		if (why != NULL) {
			snprintf(err, errlen, "%s:%zu: malformed meminfo line: %s", path, lineno,
			         why);
			return -1;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Check the needed fields are there and fill M. */
static int fill(const struct fields *fl, const char *path, struct meminfo *m, char *err,
                size_t errlen)
{
	if (fl->total <= 0) {
		snprintf(err, errlen, "%s: no MemTotal (or it is 0): not a meminfo file", path);
		return -1;
	}
	if (fl->avail < 0 && fl->free < 0) {
		snprintf(err, errlen, "%s: neither MemAvailable nor MemFree: not a meminfo file",
		         path);
		return -1;
	}
	m->total = fl->total;
	m->estimated = fl->avail < 0;
	if (m->estimated) {
		/* Absent fields count as 0: the estimate errs on the low side. */
		m->available = fl->free + (fl->buffers > 0 ? fl->buffers : 0) +
		               (fl->cached > 0 ? fl->cached : 0) +
		               (fl->sreclaimable > 0 ? fl->sreclaimable : 0);
		if (m->available > m->total)
			m->available = m->total;
	} else {
		m->available = fl->avail;
	}
	m->swap_total = fl->swap_total > 0 ? fl->swap_total : 0;
	m->swap_free = fl->swap_free > 0 && m->swap_total > 0 ? fl->swap_free : 0;
	return 0;
}

int meminfo_read(const char *path, struct meminfo *m, char *err, size_t errlen)
{
	struct fields fl = {-1, -1, -1, -1, -1, -1, -1, -1};
	FILE *f = fopen(path, "re");
	int rc;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	rc = read_fields(f, path, &fl, err, errlen);
	fclose(f);
	if (rc != 0)
		return -1;
	return fill(&fl, path, m, err, errlen);
}
