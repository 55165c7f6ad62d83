/*
 * fuzz_series.c - libFuzzer target for the history file loader (lib/series.c).
 *
 * series.c reads from a path only, so the input is written to a file in this
 * process's scratch directory and opened as a series.
 *
 * Input: one mode byte, then the payload.
 *   mode bit 7 clear: the payload is the contents of a series file, for a
 *     short key (bit 0 clear: stored whole in the header) or a long one (bit
 *     0 set: stored as a prefix and a hash). It is opened SERIES_READ and
 *     loaded whole and from a midpoint, then opened SERIES_WRITE (which moves
 *     a corrupt file aside), given one sample and loaded again.
 *   mode bit 7 set: the payload is a file name in the state directory, which
 *     series_list() must decode to a valid key or skip.
 * Checks besides memory errors: loaded samples are sorted, finite, with no
 * negative capacity; "since" is honoured; a file SERIES_READ loads whole
 * is one SERIES_WRITE opens without moving it aside, and the other way
 * round; after series_add() the file loads, sorted.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "series.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keys of plain characters, so their file names are the key itself. */
static const char *const short_key = "disk.web01.var";
static const char *const long_key = "mem.web01.example.com.a-key-longer-than-forty-four-bytes";

/* Load from SINCE and check the samples; returns how many (or -1). */
static long load_checked(struct series *s, int64_t since, struct sample **out)
{
	char err[512] = "";
	size_t n;

	if (series_load(s, since, out, &n, err, sizeof err) != 0) {
		FUZZ_CHECK(err[0] != '\0' && strchr(err, '\n') == NULL, "load: '%s'", err);
		return -1;
	}
	FUZZ_CHECK(n <= series_count(s), "%zu samples of %zu", n, series_count(s));
	for (size_t i = 0; i < n; i++) {
		const struct sample *p = &(*out)[i];

		FUZZ_CHECK(p->t >= since, "sample %zu at %lld before %lld", i, (long long)p->t,
		           (long long)since);
		FUZZ_CHECK(isfinite(p->value) && isfinite(p->capacity) && p->capacity >= 0,
		           "sample %zu: %g of %g", i, p->value, p->capacity);
		FUZZ_CHECK(i == 0 || (*out)[i - 1].t <= p->t, "sample %zu out of order", i);
	}
	return (long)n;
}

/* SERIES_READ: whether the whole file loads. */
static bool read_whole(const char *dir, const char *key)
{
	struct series *s;
	struct sample *all = NULL, *tail = NULL;
	char err[512] = "";
	long n, m;
	int rc = series_open(dir, key, SERIES_READ, &s, NULL, 0, err, sizeof err);

	FUZZ_CHECK(rc == 0 || rc == -1, "series_open returned %d", rc);
	if (rc != 0)
		return false;
	n = load_checked(s, INT64_MIN, &all);
	FUZZ_CHECK(n < 0 || (size_t)n == series_count(s), "%ld of %zu", n, series_count(s));
	if (n > 0) {
		int64_t since = all[n / 2].t;
		long before = 0;

		while (before < n && all[before].t < since)
			before++;
		m = load_checked(s, since, &tail);
		FUZZ_CHECK(m == n - before, "%ld samples since %lld, expected %ld", m,
		           (long long)since, n - before);
		free(tail);
	}
	free(all);
	series_close(s);
	return n >= 0;
}

/* SERIES_WRITE: open (a corrupt file is moved aside), add, load again.
 * Returns whether the file was kept as it was. */
static bool write_one(const char *dir, const char *key)
{
	static const struct series_retention keep = {3600, 4};
	const struct sample add = {1700000000, 1.5, 2};
	struct series *s;
	struct sample *all = NULL;
	char err[512] = "", notice[1024] = "";
	size_t before;
	long n;

	if (series_open(dir, key, SERIES_WRITE, &s, notice, sizeof notice, err, sizeof err) != 0) {
		FUZZ_CHECK(err[0] != '\0' && strchr(err, '\n') == NULL, "open: '%s'", err);
		return false;
	}
	before = series_count(s);
	FUZZ_CHECK(series_add(s, &add, 1, &keep, err, sizeof err) == 0, "add: %s", err);
	series_close(s);
	FUZZ_CHECK(series_open(dir, key, SERIES_READ, &s, NULL, 0, err, sizeof err) == 0,
	           "reopen: %s", err);
	n = load_checked(s, INT64_MIN, &all);
	FUZZ_CHECK(n >= 1 && (size_t)n <= before + 1, "%ld samples after adding to %zu", n, before);
	free(all);
	series_close(s);
	return notice[0] == '\0';
}

static int list_one(const char *key, void *arg)
{
	const char *dir = arg;
	struct series *s;
	char err[512];

	FUZZ_CHECK(series_key_valid(key, err, sizeof err) == 0, "listed key: %s", err);
	if (series_open(dir, key, SERIES_READ, &s, NULL, 0, err, sizeof err) == 0)
		series_close(s);
	return 0;
}

/* A directory entry named NAME[0..SIZE), when it can be one. */
static void list_name(const uint8_t *name, size_t size)
{
	char *text = fuzz_cstr(name, size), err[512];
	const char *dir = fuzz_dir();

	if (size > 0 && size < 256 && strlen(text) == size && strchr(text, '/') == NULL &&
	    strcmp(text, ".") != 0 && strcmp(text, "..") != 0) {
		fuzz_write_file(fuzz_path(text), (const uint8_t *)"", 0);
		FUZZ_CHECK(series_list(dir, list_one, (void *)dir, err, sizeof err) == 0,
		           "list: %s", err);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *key, *dir = fuzz_dir();
	char name[256];
	bool loads, kept;

	if (size < 1)
		return 0;
	fuzz_clear_dir();
	if (data[0] & 0x80) {
		list_name(data + 1, size - 1);
		return 0;
	}
	key = (data[0] & 1) ? long_key : short_key;
	snprintf(name, sizeof name, "%s.series", key);
	fuzz_write_file(fuzz_path(name), data + 1, size - 1);
	loads = read_whole(dir, key);
	kept = write_one(dir, key);
	FUZZ_CHECK(loads == kept, "SERIES_READ %s, SERIES_WRITE %s",
	           loads ? "loads it" : "refuses it", kept ? "keeps it" : "moves it aside");
	return 0;
}
