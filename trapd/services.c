/*
 * services.c - the service table and its state file (see services.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "errbuf.h"
#include "services.h"

#define SERVICES_MAGIC    "trendtrapd-services 3 next_id="
#define SERVICES_MAGIC_V2 "trendtrapd-services 2 next_id="
#define SERVICES_MAGIC_V1 "trendtrapd-services 1 next_id="
#define ROUTES_FIELD      " routes="

/* FNV-1a over host, a separator, and service. */
static uint64_t key_hash(const char *host, const char *service)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = host; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const char *p = service; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

int services_init(struct services *t)
{
	memset(t, 0, sizeof(*t));
	t->nbuckets = 1024;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	t->next_id = 1;
	return t->buckets == NULL ? -1 : 0;
}

void services_free(struct services *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct svc *s = t->buckets[i];

		while (s != NULL) {
			struct svc *next = s->next;

			free(s->output);
			free(s);
			s = next;
		}
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

struct svc *services_find(const struct services *t, const char *host, const char *service)
{
	uint64_t h = key_hash(host, service);

	for (struct svc *s = t->buckets[h & (t->nbuckets - 1)]; s != NULL; s = s->next)
		if (s->hash == h && strcmp(s->host, host) == 0 && strcmp(s->service, service) == 0)
			return s;
	return NULL;
}

static void grow(struct services *t)
{
	size_t n = t->nbuckets * 2;
	struct svc **b = calloc(n, sizeof(*b));

	if (b == NULL)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct svc *s = t->buckets[i];

		while (s != NULL) {
			struct svc *next = s->next;

			s->next = b[s->hash & (n - 1)];
			b[s->hash & (n - 1)] = s;
			s = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

static struct svc *insert(struct services *t, const char *host, const char *service)
{
	size_t hl = strlen(host), sl = strlen(service);
	struct svc *s = calloc(1, sizeof(*s) + hl + sl + 2);

	if (s == NULL)
		return NULL;
	memcpy(s->host, host, hl + 1);
	s->service = s->host + hl + 1;
	memcpy(s->service, service, sl + 1);
	s->hash = key_hash(host, service);
	if (t->count >= t->nbuckets)
		grow(t);
	s->next = t->buckets[s->hash & (t->nbuckets - 1)];
	t->buckets[s->hash & (t->nbuckets - 1)] = s;
	t->count++;
	return s;
}

struct svc *services_get(struct services *t, const char *host, const char *service, int64_t now,
                         int *created)
{
	struct svc *s = services_find(t, host, service);

	if (created != NULL)
		*created = 0;
	if (s != NULL)
		return s;
	s = insert(t, host, service);
	if (s == NULL)
		return NULL;
	rules_init(&s->rs, now);
	if (created != NULL)
		*created = 1;
	return s;
}

int services_set_output(struct svc *s, const char *output, const char *perfdata)
{
	size_t ol = strlen(output), pl = strlen(perfdata);
	char *p;

	if (s->output != NULL && strcmp(s->output, output) == 0 &&
	    strcmp(s->perfdata, perfdata) == 0)
		return 0;
	p = malloc(ol + pl + 2);
	if (p == NULL)
		return -1;
	memcpy(p, output, ol + 1);
	memcpy(p + ol + 1, perfdata, pl + 1);
	free(s->output);
	s->output = p;
	s->perfdata = p + ol + 1;
	return 0;
}

void services_push_value(struct svc *s, double v)
{
	s->values[s->next_value] = (float)v;
	s->next_value = (uint8_t)((s->next_value + 1) % SERVICES_VALUES);
	if (s->nvalues < SERVICES_VALUES)
		s->nvalues++;
}

size_t services_values(const struct svc *s, double *out)
{
	size_t first = (s->next_value + SERVICES_VALUES - s->nvalues) % SERVICES_VALUES;

	for (size_t i = 0; i < s->nvalues; i++)
		out[i] = s->values[(first + i) % SERVICES_VALUES];
	return s->nvalues;
}

void services_foreach(struct services *t, void (*fn)(struct svc *s, void *arg), void *arg)
{
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct svc *s = t->buckets[i]; s != NULL; s = s->next)
			fn(s, arg);
}

void services_set_routes(struct services *t, const uint64_t *fp, size_t n)
{
	int to[SERVICES_ROUTES]; /* old bit -> new bit, or -1 */
	uint64_t claimed = 0;

	if (n > SERVICES_ROUTES)
		n = SERVICES_ROUTES;
	for (size_t i = 0; i < SERVICES_ROUTES; i++) {
		to[i] = t->routes_known ? -1 : (int)i;
		for (size_t j = 0; t->routes_known && i < t->nroutes && j < n && to[i] < 0; j++)
			if (fp[j] == t->routes[i] && !(claimed >> j & 1)) {
				to[i] = (int)j;
				claimed |= (uint64_t)1 << j;
			}
	}
	for (size_t b = 0; b < t->nbuckets; b++)
		for (struct svc *s = t->buckets[b]; s != NULL; s = s->next) {
			uint64_t moved = 0;

			for (size_t i = 0; i < SERVICES_ROUTES; i++)
				if ((s->escalated >> i & 1) && to[i] >= 0)
					moved |= (uint64_t)1 << to[i];
			s->escalated = moved;
		}
	if (n > 0)
		memcpy(t->routes, fp, n * sizeof(*fp));
	t->nroutes = n;
	t->routes_known = 1;
}

/* A growing buffer for the file's text. */
struct text {
	char *p;
	size_t len, cap;
	int failed;
};

static void text_reserve(struct text *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 65536;
	char *p;

	if (b->failed || b->len + more + 1 <= b->cap)
		return;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (p == NULL) {
		b->failed = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void text_line(struct text *b, const struct svc *s)
{
	char rules[RULES_LINE_MAX];
	const char *out = s->output ? s->output : "", *perf = s->perfdata ? s->perfdata : "";
	size_t need;

	rules_encode(&s->rs, rules, sizeof(rules));
	need = strlen(s->host) + strlen(s->service) + strlen(rules) + strlen(out) + strlen(perf) +
	       40 + 40;
	text_reserve(b, need);
	if (b->failed)
		return;
	b->len += (size_t)snprintf(b->p + b->len, b->cap - b->len,
	                           "%s\t%s\t%" PRIu64 "\t%s\t%s\t%s\t%" PRIu64 "\t%" PRIx64 "\n",
	                           s->host, s->service, s->sent_problem_id, rules, out, perf,
	                           s->acked_problem_id, s->escalated);
}

int services_save(const struct services *t, const char *path, char *err, size_t errlen)
{
	struct text b = {0};
	int r;

	text_reserve(&b, 64 + t->nroutes * 17);
	if (!b.failed) {
		b.len = (size_t)snprintf(b.p, b.cap, SERVICES_MAGIC "%" PRIu64 ROUTES_FIELD,
		                         t->next_id);
		for (size_t i = 0; i < t->nroutes; i++)
			b.len += (size_t)snprintf(b.p + b.len, b.cap - b.len, "%s%" PRIx64,
			                          i > 0 ? "," : "", t->routes[i]);
		b.p[b.len++] = '\n';
	}
	for (size_t i = 0; i < t->nbuckets && !b.failed; i++)
		for (const struct svc *s = t->buckets[i]; s != NULL && !b.failed; s = s->next)
			text_line(&b, s);
	if (b.failed) {
		free(b.p);
		return errbuf_fail(err, errlen, "%s: out of memory", path);
	}
	r = atomicfile_write(path, b.p, b.len, true, err, errlen);
	free(b.p);
	return r;
}

/* Split LINE at tabs into exactly N fields. */
static int split_tabs(char *line, char **f, int n)
{
	int i = 0;

	f[i++] = line;
	for (char *p = line; *p; p++)
		if (*p == '\t') {
			if (i == n)
				return -1;
			*p = '\0';
			f[i++] = p + 1;
		}
	return i == n ? 0 : -1;
}

static int parse_u64(const char *text, int base, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(text, &end, base);
	return errno != 0 || end == text || *end != '\0' ? -1 : 0;
}

/* One service line; version 1 files lack the last two fields. */
static int load_line(struct services *t, char *line, int version, char *err, size_t errlen)
{
	int nf = version == 1 ? 6 : 8;
	char *f[8];
	struct rules_service rs;
	struct svc *s;
	uint64_t sent, acked = 0, escalated = 0;

	if (split_tabs(line, f, nf) < 0)
		return errbuf_fail(err, errlen, "expected %d tab-separated fields", nf);
	if (f[0][0] == '\0' || f[1][0] == '\0')
		return errbuf_fail(err, errlen, "empty host or service");
	if (parse_u64(f[2], 10, &sent) < 0)
		return errbuf_fail(err, errlen, "bad problem id \"%s\"", f[2]);
	if (nf == 8 && (parse_u64(f[6], 10, &acked) < 0 || parse_u64(f[7], 16, &escalated) < 0))
		return errbuf_fail(err, errlen, "bad acknowledged id or escalation mask");
	if (rules_decode(f[3], &rs, err, errlen) < 0)
		return -1;
	if (services_find(t, f[0], f[1]) != NULL)
		return errbuf_fail(err, errlen, "%s/%s appears twice", f[0], f[1]);
	s = insert(t, f[0], f[1]);
	if (s == NULL || services_set_output(s, f[4], f[5]) < 0)
		return errbuf_fail(err, errlen, "out of memory");
	s->rs = rs;
	s->sent_problem_id = sent;
	s->acked_problem_id = acked;
	s->escalated = escalated;
	s->last = rs.nhist > 0 ? (enum rules_state)(rs.hist[0] & 3) : RULES_OK;
	return 0;
}

/* "FP,FP,..." (hex; empty: no routes) into T's routes. */
static int load_routes(struct services *t, char *list, char *err, size_t errlen)
{
	char *save = NULL;

	t->nroutes = 0;
	t->routes_known = 1;
	for (char *fp = strtok_r(list, ",", &save); fp != NULL; fp = strtok_r(NULL, ",", &save)) {
		if (t->nroutes == SERVICES_ROUTES)
			return errbuf_fail(err, errlen, "more than %d routes", SERVICES_ROUTES);
		if (parse_u64(fp, 16, &t->routes[t->nroutes++]) < 0)
			return errbuf_fail(err, errlen, "bad route fingerprint \"%s\"", fp);
	}
	return 0;
}

/* "trendtrapd-services V next_id=N[ routes=...]": sets next_id, the routes
 * (version 3) and *VERSION. */
static int load_header(struct services *t, char *line, int *version, char *err, size_t errlen)
{
	static const char *const magic[] = {SERVICES_MAGIC_V1, SERVICES_MAGIC_V2, SERVICES_MAGIC};
	char *routes = NULL;
	uint64_t id;

	*version = 0;
	for (int v = 1; v <= 3 && *version == 0; v++)
		if (strncmp(line, magic[v - 1], strlen(magic[v - 1])) == 0)
			*version = v;
	if (*version == 0)
		return errbuf_fail(err, errlen, "not a trendtrapd services file");
	line += strlen(magic[*version - 1]);
	if (*version == 3) {
		routes = strstr(line, ROUTES_FIELD);
		if (routes == NULL)
			return errbuf_fail(err, errlen, "no routes in the header");
		*routes = '\0';
		routes += strlen(ROUTES_FIELD);
	}
	if (parse_u64(line, 10, &id) < 0 || id == 0)
		return errbuf_fail(err, errlen, "bad next_id");
	t->next_id = id;
	return routes != NULL ? load_routes(t, routes, err, errlen) : 0;
}

int services_load(struct services *t, const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, msg[256];
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, r = 0, version = 2;

	if (fp == NULL)
		return errno == ENOENT ? 0
		                       : errbuf_fail(err, errlen, "%s: %s", path, strerror(errno));
	while (r == 0 && (n = getline(&line, &cap, fp)) > 0) {
		lineno++;
		if (line[n - 1] != '\n') {
			snprintf(msg, sizeof(msg), "line cut short");
			r = -1;
			break;
		}
		line[n - 1] = '\0';
		if (memchr(line, '\0', (size_t)n - 1) != NULL) {
			snprintf(msg, sizeof(msg), "NUL byte");
			r = -1;
		} else if (lineno == 1) {
			r = load_header(t, line, &version, msg, sizeof(msg));
		} else {
			r = load_line(t, line, version, msg, sizeof(msg));
		}
	}
	if (r == 0 && ferror(fp)) {
		snprintf(msg, sizeof(msg), "%s", strerror(errno));
		r = -1;
	}
	if (r == 0 && lineno == 0) {
		snprintf(msg, sizeof(msg), "empty file");
		lineno = 1;
		r = -1;
	}
	free(line);
	fclose(fp);
	if (r < 0) {
		services_free(t);
		services_init(t);
		return errbuf_fail(err, errlen, "%s:%d: %s", path, lineno, msg);
	}
	return 0;
}
