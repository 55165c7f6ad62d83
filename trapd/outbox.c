/*
 * outbox.c - the durable notification queue (format and contract in
 * outbox.h).  The pending items live in memory too, in an array of pointers
 * sorted by id (= enqueue order, since ids are fixed-width hex); the disk is
 * written first and memory changed only once the write succeeded, so a failed
 * call leaves both as they were.
 */
#include "outbox.h"

#include "atomicfile.h"
#include "errbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC    "TTOUTBOX 1"
#define SUFFIX   ".msg"
#define NAME_LEN 29 /* 16 hex, '-', 8 hex, ".msg" */
#define TEXT_MAX 256

struct outbox {
	char dir[PATH_MAX];
	char dead[PATH_MAX];
	int lockfd;                /* DIR itself, flock'ed exclusively */
	struct outbox_item **item; /* sorted by id */
	size_t n, cap;
	uint32_t seq; /* last seq used or seen */
};

/* Fields of a file besides what struct outbox_item holds. */
struct extra {
	char dead[TEXT_MAX]; /* "" unless a dead letter */
};

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* A pending/dead file name: "<16 hex>-<8 hex>.msg"; its seq into *SEQ. */
static bool parse_name(const char *name, uint32_t *seq)
{
	if (strlen(name) != NAME_LEN || name[16] != '-' || strcmp(name + 25, SUFFIX) != 0 ||
	    !is_hex(name, 16) || !is_hex(name + 17, 8))
		return false;
	*seq = (uint32_t)strtoul(name + 17, NULL, 16);
	return true;
}

static bool valid_channel(const char *s, size_t n)
{
	if (n == 0 || n >= 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("._:-", s[i]) != NULL) ||
		    s[i] == '\0')
			return false;
	return true;
}

/* Copy text into DST[TEXT_MAX] on one line: control bytes become spaces. */
static void copy_text(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < TEXT_MAX - 1 && src[i] != '\0'; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? ' ' : src[i];
	dst[i] = '\0';
}

static int path_of(const char *dir, const char *name, const char *suffix, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/%s%s", dir, name, suffix) < (int)len ? 0 : -1;
}

/* The file's bytes for IT (and DEAD when not NULL): malloc'ed into *OUT. */
static int encode(const struct outbox_item *it, const char *dead, char **out, size_t *outlen)
{
	char head[1024];
	int n = snprintf(head, sizeof head,
	                 MAGIC "\nchannel %s\ncreated %" PRId64 "\nattempts %u\nnext-at %" PRId64
	                       "\nlength %zu\nerror %s\n%s%s%s\n",
	                 it->channel, it->created, it->attempts, it->next_at, it->len,
	                 it->last_error, dead ? "dead " : "", dead ? dead : "", dead ? "\n" : "");

	if (n < 0 || (size_t)n >= sizeof head || (*out = malloc((size_t)n + it->len + 1)) == NULL)
		return -1;
	memcpy(*out, head, (size_t)n);
	if (it->len > 0)
		memcpy(*out + n, it->payload, it->len);
	*outlen = (size_t)n + it->len;
	return 0;
}

/* Next header line at *P (before END), without its '\n'; NULL if none. */
static const char *next_line(const char **p, const char *end, size_t *n)
{
	const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));

	if (nl == NULL)
		return NULL;
	*n = (size_t)(nl - s);
	*p = nl + 1;
	return s;
}

/* If line L[0..N) is "KEY value", the value and its length. */
static bool field(const char *l, size_t n, const char *key, const char **val, size_t *vn)
{
	size_t k = strlen(key);

	if (l == NULL || n <= k || memcmp(l, key, k) != 0 || l[k] != ' ')
		return false;
	*val = l + k + 1;
	*vn = n - k - 1;
	return true;
}

static bool parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return v <= max;
}

/* Parse a header line "KEY <number>" into *OUT. */
static bool num_field(const char **p, const char *end, const char *key, uint64_t max, uint64_t *out)
{
	size_t n = 0, vn = 0;
	const char *l = next_line(p, end, &n), *v = NULL;

	return field(l, n, key, &v, &vn) && parse_u64(v, vn, max, out);
}

/* Parse BUF[0..LEN) into IT (payload pointing into BUF) and X; on failure the
 * reason in WHY. */
static int decode(const char *buf, size_t len, struct outbox_item *it, struct extra *x, char *why,
                  size_t whylen)
{
	const char *p = buf, *end = buf + len, *l, *v;
	uint64_t created, attempts, next_at, plen;
	size_t n = 0, vn = 0;

	l = next_line(&p, end, &n);
	if (l == NULL || n != strlen(MAGIC) || memcmp(l, MAGIC, n) != 0)
		return errbuf_fail(why, whylen, "bad magic or version");
	l = next_line(&p, end, &n);
	if (!field(l, n, "channel", &v, &vn) || !valid_channel(v, vn))
		return errbuf_fail(why, whylen, "bad channel line");
	memcpy(it->channel, v, vn);
	it->channel[vn] = '\0';
	if (!num_field(&p, end, "created", INT64_MAX, &created) ||
	    !num_field(&p, end, "attempts", UINT_MAX, &attempts) ||
	    !num_field(&p, end, "next-at", INT64_MAX, &next_at) ||
	    !num_field(&p, end, "length", OUTBOX_MAX_PAYLOAD, &plen))
		return errbuf_fail(why, whylen, "bad created, attempts, next-at or length line");
	l = next_line(&p, end, &n);
	if (!field(l, n, "error", &v, &vn) || vn >= TEXT_MAX || memchr(v, '\0', vn))
		return errbuf_fail(why, whylen, "bad error line");
	copy_text(it->last_error, v, vn);
	x->dead[0] = '\0';
	l = next_line(&p, end, &n);
	if (field(l, n, "dead", &v, &vn)) {
		copy_text(x->dead, v, vn);
		l = next_line(&p, end, &n);
	}
	if (l == NULL || n != 0)
		return errbuf_fail(why, whylen, "header not ended by an empty line");
	if ((size_t)(end - p) != plen)
		return errbuf_fail(why, whylen, "payload is %zu bytes, header says %" PRIu64,
		                   (size_t)(end - p), plen);
	it->created = (int64_t)created;
	it->attempts = (unsigned)attempts;
	it->next_at = (int64_t)next_at;
	it->payload = (void *)p;
	it->len = (size_t)plen;
	return 0;
}

static void item_free(struct outbox_item *it)
{
	if (it != NULL)
		free(it->payload);
	free(it);
}

/* The index of ID in O->item, or where it would go (with *FOUND false). */
static size_t find(const struct outbox *o, const char *id, bool *found)
{
	size_t lo = 0, hi = o->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(o->item[mid]->id, id);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static int insert(struct outbox *o, struct outbox_item *it)
{
	bool found;
	size_t at = find(o, it->id, &found);

	if (found)
		return -1;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct outbox_item **v = realloc(o->item, cap * sizeof *v);

		if (v == NULL)
			return -1;
		o->item = v;
		o->cap = cap;
	}
	memmove(o->item + at + 1, o->item + at, (o->n - at) * sizeof *o->item);
	o->item[at] = it;
	o->n++;
	return 0;
}

static void remove_at(struct outbox *o, size_t at)
{
	item_free(o->item[at]);
	memmove(o->item + at, o->item + at + 1, (o->n - at - 1) * sizeof *o->item);
	o->n--;
}

static struct outbox_item *lookup(struct outbox *o, const char *id, size_t *at, char *err,
                                  size_t errlen)
{
	bool found;

	*at = find(o, id, &found);
	if (!found) {
		errbuf_fail(err, errlen, "outbox %s: no pending notification %s", o->dir, id);
		return NULL;
	}
	return o->item[*at];
}

/* Durably (re)write IT's file in DIR, with DEAD recorded when not NULL. */
static int write_item(const struct outbox *o, const struct outbox_item *it, const char *dead,
                      char *err, size_t errlen)
{
	char path[PATH_MAX], *buf;
	size_t len;
	int rc;

	if (path_of(o->dir, it->id, SUFFIX, path, sizeof path) != 0)
		return errbuf_fail(err, errlen, "outbox %s: path too long", o->dir);
	if (encode(it, dead, &buf, &len) != 0)
		return errbuf_fail(err, errlen, "outbox %s: out of memory", o->dir);
	rc = atomicfile_write(path, buf, len, true, err, errlen);
	free(buf);
	return rc;
}

/* Move NAME from DIR to DIR/dead durably (the file must say why already). */
static int move_to_dead(const struct outbox *o, const char *name, char *err, size_t errlen)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (path_of(o->dir, name, "", from, sizeof from) != 0 ||
	    path_of(o->dead, name, "", to, sizeof to) != 0)
		return errbuf_fail(err, errlen, "outbox %s: path too long", o->dir);
	if (rename(from, to) != 0)
		return errbuf_fail(err, errlen, "cannot move %s to %s: %s", from, to,
		                   strerror(errno));
	if (atomicfile_sync_dir(o->dead, err, errlen) != 0)
		return -1;
	return atomicfile_sync_dir(o->dir, err, errlen);
}

/* Corrupt file NAME: its reason beside it in dead/ first, then the move, so
 * that a crash in between only repeats this at the next open. */
static int quarantine(const struct outbox *o, const char *name, const char *why, char *err,
                      size_t errlen)
{
	char path[PATH_MAX], text[TEXT_MAX + 16];
	int n = snprintf(text, sizeof text, "corrupt: %s\n", why);

	if (path_of(o->dead, name, ".reason", path, sizeof path) != 0)
		return errbuf_fail(err, errlen, "outbox %s: path too long", o->dir);
	if (atomicfile_write(path, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1,
	                     true, err, errlen) != 0)
		return -1;
	return move_to_dead(o, name, err, errlen);
}

/* The whole of file PATH, malloc'ed, at most MAX bytes; "" in WHY when it
 * could not be read at all (ERR set), else a corruption reason. */
static char *read_all(const char *path, size_t max, size_t *len, char *why, size_t whylen,
                      char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	char *buf = NULL;
	size_t got = 0;

	why[0] = '\0';
	if (fd < 0 || fstat(fd, &st) != 0) {
		errbuf_fail(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		errbuf_fail(why, whylen, "not a regular file of at most %zu bytes", max);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		errbuf_fail(err, errlen, "out of memory reading %s", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			errbuf_fail(err, errlen, "cannot read %s: %s", path,
			            r < 0 ? strerror(errno) : "file shrank");
			free(buf);
			buf = NULL;
			goto out;
		}
		got += (size_t)r;
	}
	*len = got;
out:
	if (fd >= 0)
		close(fd);
	return buf;
}

/* Load pending file NAME: into memory, or to dead/ when corrupt or dead. */
static int load(struct outbox *o, const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX], why[TEXT_MAX];
	struct outbox_item tmp, *it;
	struct extra x;
	size_t len = 0;
	char *buf;

	if (path_of(o->dir, name, "", path, sizeof path) != 0)
		return errbuf_fail(err, errlen, "outbox %s: path too long", o->dir);
	buf = read_all(path, OUTBOX_MAX_PAYLOAD + 2048, &len, why, sizeof why, err, errlen);
	if (buf == NULL)
		return why[0] ? quarantine(o, name, why, err, errlen) : -1;
	if (decode(buf, len, &tmp, &x, why, sizeof why) != 0) {
		free(buf);
		return quarantine(o, name, why, err, errlen);
	}
	if (x.dead[0] != '\0') { /* a crash inside outbox_dead: finish it */
		free(buf);
		return move_to_dead(o, name, err, errlen);
	}
	memcpy(tmp.id, name, NAME_LEN - strlen(SUFFIX));
	tmp.id[NAME_LEN - strlen(SUFFIX)] = '\0';
	it = malloc(sizeof *it);
	if (it != NULL) {
		*it = tmp;
		it->payload = malloc(tmp.len + 1);
	}
	if (it == NULL || it->payload == NULL || insert(o, it) != 0) {
		free(buf);
		item_free(it);
		return errbuf_fail(err, errlen, "outbox %s: out of memory", o->dir);
	}
	memcpy(it->payload, tmp.payload, tmp.len);
	free(buf);
	return 0;
}

/* Scan DIR_: remove temp files, note the highest seq, and (LOAD) load the
 * pending files. */
static int scan(struct outbox *o, const char *dir_, bool do_load, char *err, size_t errlen)
{
	DIR *d = opendir(dir_);
	struct dirent *de;
	char path[PATH_MAX];
	uint32_t seq;
	int rc = 0;

	if (d == NULL)
		return errbuf_fail(err, errlen, "cannot list %s: %s", dir_, strerror(errno));
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (strstr(de->d_name, SUFFIX ".tmp-") != NULL ||
		    strstr(de->d_name, SUFFIX ".reason.tmp-") != NULL) {
			if (path_of(dir_, de->d_name, "", path, sizeof path) == 0 &&
			    unlink(path) != 0 && errno != ENOENT)
				rc = errbuf_fail(err, errlen, "cannot remove %s: %s", path,
				                 strerror(errno));
			continue;
		}
		if (!parse_name(de->d_name, &seq))
			continue;
		if (seq > o->seq)
			o->seq = seq;
		if (do_load)
			rc = load(o, de->d_name, err, errlen);
	}
	if (rc == 0 && errno != 0)
		rc = errbuf_fail(err, errlen, "cannot list %s: %s", dir_, strerror(errno));
	closedir(d);
	return rc;
}

static int make_dir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return errbuf_fail(err, errlen, "cannot create %s: %s", dir, strerror(errno));
	return 0;
}

int outbox_open(const char *dir, struct outbox **out, char *err, size_t errlen)
{
	struct outbox *o = calloc(1, sizeof *o);

	*out = NULL;
	if (o == NULL)
		return errbuf_fail(err, errlen, "outbox %s: out of memory", dir);
	o->lockfd = -1;
	if (snprintf(o->dir, sizeof o->dir, "%s", dir) >= (int)sizeof o->dir ||
	    snprintf(o->dead, sizeof o->dead, "%s/dead", dir) >= (int)sizeof o->dead) {
		free(o);
		return errbuf_fail(err, errlen, "outbox %s: path too long", dir);
	}
	if (make_dir(o->dir, err, errlen) != 0 || make_dir(o->dead, err, errlen) != 0)
		goto fail;
	o->lockfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->lockfd < 0) {
		errbuf_fail(err, errlen, "cannot open %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (flock(o->lockfd, LOCK_EX | LOCK_NB) != 0) {
		errbuf_fail(err, errlen, "outbox %s: %s", dir,
		            errno == EWOULDBLOCK ? "in use by another process" : strerror(errno));
		goto fail;
	}
	/* dead/ first: its temp files go, and its seqs count before we move
	 * corrupt files there. */
	if (scan(o, o->dead, false, err, errlen) != 0 || scan(o, o->dir, true, err, errlen) != 0)
		goto fail;
	*out = o;
	return 0;
fail:
	outbox_close(o);
	return -1;
}

int outbox_add(struct outbox *o, const char *channel, const void *payload, size_t len, int64_t now,
               char *id_out, size_t idlen, char *err, size_t errlen)
{
	struct outbox_item *it;

	if (channel == NULL || !valid_channel(channel, strlen(channel)))
		return errbuf_fail(err, errlen, "outbox: bad channel name \"%s\"",
		                   channel ? channel : "(null)");
	if (len > OUTBOX_MAX_PAYLOAD || now < 0 || (len > 0 && payload == NULL))
		return errbuf_fail(err, errlen, "outbox: payload of %zu bytes refused", len);
	if ((it = calloc(1, sizeof *it)) == NULL || (it->payload = malloc(len + 1)) == NULL) {
		free(it);
		return errbuf_fail(err, errlen, "outbox %s: out of memory", o->dir);
	}
	snprintf(it->id, sizeof it->id, "%016" PRIx64 "-%08" PRIx32, (uint64_t)now, o->seq + 1);
	snprintf(it->channel, sizeof it->channel, "%s", channel);
	it->created = it->next_at = now;
	if (len > 0)
		memcpy(it->payload, payload, len);
	it->len = len;
	if (write_item(o, it, NULL, err, errlen) != 0) {
		item_free(it);
		return -1;
	}
	o->seq++;
	if (insert(o, it) != 0) { /* on disk: found again at the next open */
		item_free(it);
		return errbuf_fail(err, errlen, "outbox %s: out of memory", o->dir);
	}
	if (id_out != NULL && idlen > 0)
		snprintf(id_out, idlen, "%s", it->id);
	return 0;
}

size_t outbox_due(struct outbox *o, int64_t now, struct outbox_item **items, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < o->n && k < max; i++)
		if (o->item[i]->next_at <= now)
			items[k++] = o->item[i];
	return k;
}

int outbox_done(struct outbox *o, const char *id, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t at;

	if (lookup(o, id, &at, err, errlen) == NULL)
		return -1;
	if (path_of(o->dir, id, SUFFIX, path, sizeof path) != 0)
		return errbuf_fail(err, errlen, "outbox %s: path too long", o->dir);
	if (unlink(path) != 0)
		return errbuf_fail(err, errlen, "cannot remove %s: %s", path, strerror(errno));
	remove_at(o, at);
	return atomicfile_sync_dir(o->dir, err, errlen);
}

static bool valid_policy(const struct outbox_policy *p)
{
	return p->initial > 0 && p->max_delay >= p->initial && p->factor >= 1 && p->jitter >= 0 &&
	       p->jitter <= 1 && p->max_age >= 0 && isfinite(p->max_delay) && isfinite(p->factor) &&
	       isfinite(p->max_age);
}

int outbox_retry(struct outbox *o, const char *id, const char *reason, int64_t now,
                 const struct outbox_policy *p, uint32_t random, char *err, size_t errlen)
{
	struct outbox_item *it, next, old;
	char why[TEXT_MAX + 80];
	double base, delay;
	size_t at;

	if ((it = lookup(o, id, &at, err, errlen)) == NULL)
		return -1;
	if (!valid_policy(p))
		return errbuf_fail(err, errlen, "outbox: invalid retry policy");
	next = *it;
	next.attempts++;
	copy_text(next.last_error, reason ? reason : "", TEXT_MAX);
	if ((double)(now - it->created) > p->max_age) {
		snprintf(why, sizeof why, "expired after %u attempts in %" PRId64 " s: %s",
		         next.attempts, now - it->created, next.last_error);
		old = *it;
		*it = next; /* the dead letter records the last attempt */
		if (outbox_dead(o, id, why, err, errlen) != 0) {
			*it = old;
			return -1;
		}
		errbuf_fail(err, errlen, "outbox %s: %s moved to dead letters: %s", o->dir, id,
		            why);
		return 1;
	}
	base = fmin(p->max_delay, p->initial * pow(p->factor, (double)(next.attempts - 1)));
	delay = ceil(base * (1 + p->jitter * ((double)random / 4294967296.0 - 0.5)));
	next.next_at = now + (delay < 1 ? 1 : (int64_t)delay);
	if (write_item(o, &next, NULL, err, errlen) != 0)
		return -1;
	*it = next;
	return 0;
}

int outbox_dead(struct outbox *o, const char *id, const char *reason, char *err, size_t errlen)
{
	struct outbox_item *it;
	char why[TEXT_MAX], name[NAME_LEN + 1];
	size_t at;

	if ((it = lookup(o, id, &at, err, errlen)) == NULL)
		return -1;
	copy_text(why, reason && reason[0] ? reason : "(no reason given)", TEXT_MAX);
	snprintf(name, sizeof name, "%s" SUFFIX, id);
	if (write_item(o, it, why, err, errlen) != 0 || move_to_dead(o, name, err, errlen) != 0)
		return -1;
	remove_at(o, at);
	return 0;
}

size_t outbox_count(const struct outbox *o)
{
	return o->n;
}

size_t outbox_dead_count(struct outbox *o)
{
	DIR *d = opendir(o->dead);
	struct dirent *de;
	uint32_t seq;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += parse_name(de->d_name, &seq);
	closedir(d);
	return n;
}

int64_t outbox_next_due(const struct outbox *o)
{
	int64_t t = INT64_MAX;

	for (size_t i = 0; i < o->n; i++)
		if (o->item[i]->next_at < t)
			t = o->item[i]->next_at;
	return t;
}

void outbox_close(struct outbox *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->n; i++)
		item_free(o->item[i]);
	free(o->item);
	if (o->lockfd >= 0)
		close(o->lockfd);
	free(o);
}
