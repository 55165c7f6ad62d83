/*
 * outbox.c - the durable notification queue as a journal with group commit
 * (format and contract in outbox.h).
 *
 * Memory holds every pending item, in an array of slots sorted by seq (=
 * enqueue order); a done or dead item leaves an empty slot behind, skipped
 * and packed away later, so removal is O(1) and lookup by id a binary search
 * on its seq.  Items with a seq above durable_seq were added since the last
 * sync and are not due yet.  Every change is written to the journal first and
 * made in memory only once the write succeeded, so a failed call leaves both
 * as they were; when the file can no longer be trusted to match memory (a
 * failed fsync, a failed rollback), `broken` makes the next sync or append
 * rewrite the journal from memory.
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
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define JMAGIC      "TTOUTBOX J1\n"
#define JMAGIC_LEN  12
#define REC_HEAD    12                         /* crc, bodylen, type, 3 zero bytes */
#define ADD_FIXED   24                         /* 'A' body before the strings */
#define ADD_HEAD    512                        /* > REC_HEAD + ADD_FIXED + 63 + 63 + 255 */
#define RETRY_FIXED 22                         /* 'R' body before the error */
#define SEQ_REC     (REC_HEAD + 8)             /* an 'S', 'D' or 'X' record */
#define REC_MAX     (OUTBOX_MAX_PAYLOAD + 512) /* the largest body */
#define COMPACT_MIN (1024 * 1024)              /* no compaction below this size */
#define WBUF_SIZE   (256 * 1024)
#define CRC32C_POLY 0x82f63b78u /* Castagnoli, reflected */

#define MAGIC    "TTOUTBOX 1" /* dead letters and old pending files */
#define SUFFIX   ".msg"
#define TEXT_MAX 256

/* A pending item and what the outbox keeps about it. */
struct entry {
	struct outbox_item item;
	uint64_t seq;  /* from the id */
	size_t reclen; /* bytes of its 'A' record in a compacted journal */
};

struct slot {
	uint64_t seq;
	struct entry *e; /* NULL once done or dead */
};

struct outbox {
	char dir[PATH_MAX];
	char dead[PATH_MAX];
	char journal[PATH_MAX];
	int lockfd;           /* DIR itself, flock'ed exclusively */
	int jfd;              /* the journal, O_APPEND; -1 until open creates it */
	uint64_t jsize;       /* its size: records end there */
	uint64_t live;        /* the size a compaction would write */
	bool dirty;           /* records written since the last sync */
	bool broken;          /* the file may not match memory: rewrite it */
	struct slot *slot;    /* sorted by seq */
	size_t nslot, cap;    /* slots used, allocated */
	size_t first;         /* slots before it are all empty */
	size_t holes;         /* empty slots from first on */
	size_t n;             /* pending items */
	uint64_t seq;         /* the highest seq used or seen */
	uint64_t durable_seq; /* items up to it are synced, hence may be due */
	uint32_t crc[256];    /* CRC-32C table */
	char note[1024];      /* for outbox_open_note, "" if nothing */
};

/* Fields of a dead letter or old file besides what struct outbox_item holds. */
struct extra {
	char dead[TEXT_MAX]; /* "" unless a dead letter */
};

/* A record found in the journal. */
struct rec {
	int type;
	const unsigned char *body;
	size_t len;   /* of the body */
	size_t total; /* with the header */
};

/* File names collected by a directory scan ("<id>.msg"). */
struct names {
	char (*v)[64];
	size_t n, cap;
};

/* ------------------------------------------------------------------ bytes */

static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void crc_init(uint32_t *t)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		t[i] = c;
	}
}

/* Continue CRC (start with 0xffffffff, invert at the end) over P[0..N). */
static uint32_t crc_update(const uint32_t *t, uint32_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		crc = t[(crc ^ b[i]) & 0xff] ^ (crc >> 8);
	return crc;
}

/* ------------------------------------------------------------- names, text */

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* An id S[0..N): "<16 hex>-<8..16 hex>"; its seq into *SEQ. */
static bool parse_id(const char *s, size_t n, uint64_t *seq)
{
	char hex[17];

	if (n < 25 || n > 33 || s[16] != '-' || !is_hex(s, 16) || !is_hex(s + 17, n - 17))
		return false;
	memcpy(hex, s + 17, n - 17);
	hex[n - 17] = '\0';
	*seq = strtoull(hex, NULL, 16);
	return true;
}

/* A pending/dead file name: "<id>.msg"; its seq into *SEQ. */
static bool parse_name(const char *name, uint64_t *seq)
{
	size_t n = strlen(name);

	return n > strlen(SUFFIX) && strcmp(name + n - strlen(SUFFIX), SUFFIX) == 0 &&
	       parse_id(name, n - strlen(SUFFIX), seq);
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

/* Add one clause to the open note. */
__attribute__((format(printf, 2, 3))) static void note(struct outbox *o, const char *fmt, ...)
{
	size_t used = strlen(o->note);
	va_list ap;

	if (used > 0 && used + 2 < sizeof o->note) {
		memcpy(o->note + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(o->note + used, sizeof o->note - used, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------ dead letters, old files */

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

/* ------------------------------------------------------ items in memory */

/* A new entry copying IT (its id included) and its payload; NULL if no
 * memory. */
static struct entry *entry_new(const struct outbox_item *it)
{
	struct entry *e = malloc(sizeof *e);

	if (e == NULL)
		return NULL;
	e->item = *it;
	e->item.busy = false;
	if ((e->item.payload = malloc(it->len + 1)) == NULL) {
		free(e);
		return NULL;
	}
	if (it->len > 0)
		memcpy(e->item.payload, it->payload, it->len);
	((char *)e->item.payload)[it->len] = '\0';
	parse_id(it->id, strlen(it->id), &e->seq);
	e->reclen = REC_HEAD + ADD_FIXED + strlen(it->id) + strlen(it->channel) +
	            strlen(it->last_error) + it->len;
	return e;
}

static void entry_free(struct entry *e)
{
	if (e != NULL)
		free(e->item.payload);
	free(e);
}

/* The slot index of SEQ in [first, nslot), or where it would go (*FOUND
 * false).  Empty slots keep their seq, so the order holds. */
static size_t find(const struct outbox *o, uint64_t seq, bool *found)
{
	size_t lo = o->first, hi = o->nslot;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->slot[mid].seq == seq) {
			*found = o->slot[mid].e != NULL;
			return mid;
		}
		if (o->slot[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* Squeeze the empty slots out. */
static void pack(struct outbox *o)
{
	size_t k = 0;

	for (size_t i = o->first; i < o->nslot; i++)
		if (o->slot[i].e != NULL)
			o->slot[k++] = o->slot[i];
	o->nslot = k;
	o->first = o->holes = 0;
}

/* Room for one more slot. */
static int reserve(struct outbox *o)
{
	struct slot *v;
	size_t cap;

	if (o->nslot < o->cap)
		return 0;
	if (o->first + o->holes >= o->nslot / 2 && o->nslot > 0) {
		pack(o);
		if (o->nslot < o->cap)
			return 0;
	}
	cap = o->cap ? o->cap * 2 : 64;
	if ((v = realloc(o->slot, cap * sizeof *v)) == NULL)
		return -1;
	o->slot = v;
	o->cap = cap;
	return 0;
}

/* Insert E (after reserve(); its seq not pending): at the end, unless the
 * journal held it out of order. */
static void put_entry(struct outbox *o, struct entry *e)
{
	bool found;
	size_t at = o->nslot;

	if (o->nslot > o->first && o->slot[o->nslot - 1].seq >= e->seq) {
		at = find(o, e->seq, &found);
		if (at < o->nslot && o->slot[at].seq == e->seq) { /* an empty slot */
			o->slot[at].e = e;
			o->holes--;
			goto added;
		}
		memmove(o->slot + at + 1, o->slot + at, (o->nslot - at) * sizeof *o->slot);
	}
	o->slot[at].seq = e->seq;
	o->slot[at].e = e;
	o->nslot++;
added:
	o->n++;
	o->live += e->reclen;
	if (e->seq > o->seq)
		o->seq = e->seq;
}

/* Remove the item in slot AT. */
static void drop(struct outbox *o, size_t at)
{
	o->live -= o->slot[at].e->reclen;
	entry_free(o->slot[at].e);
	o->slot[at].e = NULL;
	o->n--;
	o->holes++;
	while (o->first < o->nslot && o->slot[o->first].e == NULL) {
		o->first++;
		o->holes--;
	}
	if (o->first == o->nslot)
		o->nslot = o->first = o->holes = 0;
}

static struct entry *lookup(struct outbox *o, const char *id, size_t *at, char *err, size_t errlen)
{
	uint64_t seq;
	bool found = false;

	if (id != NULL && parse_id(id, strlen(id), &seq)) {
		*at = find(o, seq, &found);
		if (found && strcmp(o->slot[*at].e->item.id, id) == 0)
			return o->slot[*at].e;
	}
	errbuf_fail(err, errlen, "outbox %s: no pending notification %s", o->dir,
	            id ? id : "(null)");
	return NULL;
}

/* ------------------------------------------------------------ records */

/* Header of a record of TYPE with BODYLEN bytes into B (crc left for seal). */
static void rec_head(unsigned char *b, int type, size_t bodylen)
{
	put_le(b + 4, bodylen, 4);
	b[8] = (unsigned char)type;
	b[9] = b[10] = b[11] = 0;
}

/* The crc of a record: B[4..BLEN) then TAIL[0..TLEN). */
static void rec_seal(const struct outbox *o, unsigned char *b, size_t blen, const void *tail,
                     size_t tlen)
{
	uint32_t c = crc_update(o->crc, 0xffffffffu, b + 4, blen - 4);

	put_le(b, ~crc_update(o->crc, c, tail, tlen), 4);
}

/* E's 'A' record into B[ADD_HEAD], but for the payload (E's, to write after
 * it); returns the bytes in B. */
static size_t encode_add(const struct outbox *o, const struct entry *e, unsigned char *b)
{
	const struct outbox_item *it = &e->item;
	size_t il = strlen(it->id), cl = strlen(it->channel), el = strlen(it->last_error);
	unsigned char *p = b + REC_HEAD + ADD_FIXED;

	rec_head(b, 'A', ADD_FIXED + il + cl + el + it->len);
	put_le(b + REC_HEAD, (uint64_t)it->created, 8);
	put_le(b + REC_HEAD + 8, (uint64_t)it->next_at, 8);
	put_le(b + REC_HEAD + 16, it->attempts, 4);
	b[REC_HEAD + 20] = (unsigned char)il;
	b[REC_HEAD + 21] = (unsigned char)cl;
	put_le(b + REC_HEAD + 22, el, 2);
	memcpy(p, it->id, il);
	memcpy(p + il, it->channel, cl);
	memcpy(p + il + cl, it->last_error, el);
	p += il + cl + el;
	rec_seal(o, b, (size_t)(p - b), it->payload, it->len);
	return (size_t)(p - b);
}

/* An 'R' record for SEQ with IT's new state into B[ADD_HEAD]. */
static size_t encode_retry(const struct outbox *o, uint64_t seq, const struct outbox_item *it,
                           unsigned char *b)
{
	size_t el = strlen(it->last_error);

	rec_head(b, 'R', RETRY_FIXED + el);
	put_le(b + REC_HEAD, seq, 8);
	put_le(b + REC_HEAD + 8, (uint64_t)it->next_at, 8);
	put_le(b + REC_HEAD + 16, it->attempts, 4);
	put_le(b + REC_HEAD + 20, el, 2);
	memcpy(b + REC_HEAD + RETRY_FIXED, it->last_error, el);
	rec_seal(o, b, REC_HEAD + RETRY_FIXED + el, NULL, 0);
	return REC_HEAD + RETRY_FIXED + el;
}

/* An 'S', 'D' or 'X' record into B[SEQ_REC]. */
static size_t encode_seq(const struct outbox *o, int type, uint64_t seq, unsigned char *b)
{
	rec_head(b, type, 8);
	put_le(b + REC_HEAD, seq, 8);
	rec_seal(o, b, SEQ_REC, NULL, 0);
	return SEQ_REC;
}

/* Does the 'A' body B[0..LEN) hold a valid item? */
static bool add_ok(const unsigned char *b, size_t len)
{
	size_t il, cl, el;
	uint64_t seq;

	if (len < ADD_FIXED)
		return false;
	il = b[20];
	cl = b[21];
	el = (size_t)get_le(b + 22, 2);
	return (int64_t)get_le(b, 8) >= 0 && (int64_t)get_le(b + 8, 8) >= 0 && el < TEXT_MAX &&
	       ADD_FIXED + il + cl + el <= len &&
	       len - (ADD_FIXED + il + cl + el) <= OUTBOX_MAX_PAYLOAD &&
	       parse_id((const char *)b + ADD_FIXED, il, &seq) &&
	       valid_channel((const char *)b + ADD_FIXED + il, cl);
}

static bool body_ok(int type, const unsigned char *b, size_t len)
{
	switch (type) {
	case 'S':
	case 'D':
	case 'X':
		return len == 8;
	case 'R':
		return len >= RETRY_FIXED && len == RETRY_FIXED + get_le(b + 20, 2) &&
		       len - RETRY_FIXED < TEXT_MAX && (int64_t)get_le(b + 8, 8) >= 0;
	case 'A':
		return add_ok(b, len);
	default:
		return false;
	}
}

/* Is there a whole, valid record at P (AVAIL bytes from there on)?  Into R. */
static bool rec_check(const struct outbox *o, const unsigned char *p, size_t avail, struct rec *r)
{
	size_t len;

	if (avail < REC_HEAD || p[9] != 0 || p[10] != 0 || p[11] != 0 || p[8] == 0 ||
	    strchr("SARDX", p[8]) == NULL)
		return false;
	len = (size_t)get_le(p + 4, 4);
	if (len > REC_MAX || len > avail - REC_HEAD ||
	    (uint32_t)~crc_update(o->crc, 0xffffffffu, p + 4, REC_HEAD - 4 + len) !=
	            (uint32_t)get_le(p, 4) ||
	    !body_ok(p[8], p + REC_HEAD, len))
		return false;
	r->type = p[8];
	r->body = p + REC_HEAD;
	r->len = len;
	r->total = REC_HEAD + len;
	return true;
}

/* The item of the valid 'A' body B[0..LEN), pointing into B, into IT. */
static void add_decode(const unsigned char *b, size_t len, struct outbox_item *it)
{
	size_t il = b[20], cl = b[21], el = (size_t)get_le(b + 22, 2);
	const char *s = (const char *)b + ADD_FIXED;

	it->created = (int64_t)get_le(b, 8);
	it->next_at = (int64_t)get_le(b + 8, 8);
	it->attempts = (unsigned)get_le(b + 16, 4);
	memcpy(it->id, s, il);
	it->id[il] = '\0';
	memcpy(it->channel, s + il, cl);
	it->channel[cl] = '\0';
	copy_text(it->last_error, s + il + cl, el);
	it->payload = (void *)(s + il + cl + el);
	it->len = len - ADD_FIXED - il - cl - el;
}

/* The new state of a valid 'R' body B onto E. */
static void retry_apply(struct outbox *o, struct entry *e, const unsigned char *b)
{
	o->live -= e->reclen;
	e->reclen -= strlen(e->item.last_error);
	e->item.next_at = (int64_t)get_le(b + 8, 8);
	e->item.attempts = (unsigned)get_le(b + 16, 4);
	copy_text(e->item.last_error, (const char *)b + RETRY_FIXED, (size_t)get_le(b + 20, 2));
	e->reclen += strlen(e->item.last_error);
	o->live += e->reclen;
}

/* Replay the valid record R into memory.  Fails only when out of memory. */
static int apply(struct outbox *o, const struct rec *r)
{
	uint64_t seq = r->type == 'A' ? 0 : get_le(r->body, 8);
	struct outbox_item it;
	struct entry *e;
	bool found;
	size_t at;

	if (r->type == 'S') {
		if (seq > o->seq)
			o->seq = seq;
		return 0;
	}
	if (r->type != 'A') {
		at = find(o, seq, &found);
		if (found && r->type == 'R')
			retry_apply(o, o->slot[at].e, r->body);
		else if (found)
			drop(o, at);
		return 0;
	}
	add_decode(r->body, r->len, &it);
	parse_id(it.id, strlen(it.id), &seq);
	find(o, seq, &found);
	if (found)
		return 0;
	if (reserve(o) != 0 || (e = entry_new(&it)) == NULL)
		return -1;
	put_entry(o, e);
	return 0;
}

/* ------------------------------------------------------- writing the file */

/* Write all of IOV[0..N) to FD (IOV is consumed).  0, or -1 with errno. */
static int write_iov(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t r = writev(fd, iov, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/* Buffered writing of a new journal. */
struct wbuf {
	int fd;
	int err;       /* errno of the first failure, 0 if none */
	uint64_t size; /* bytes put so far */
	size_t n;      /* bytes in b */
	unsigned char *b;
};

static void wbuf_flush(struct wbuf *w)
{
	struct iovec iov = {w->b, w->n};

	if (w->err == 0 && w->n > 0 && write_iov(w->fd, &iov, 1) != 0)
		w->err = errno;
	w->n = 0;
}

static void wbuf_put(struct wbuf *w, const void *p, size_t n)
{
	w->size += n;
	if (w->n + n > WBUF_SIZE)
		wbuf_flush(w);
	if (n > WBUF_SIZE / 2) {
		struct iovec iov = {(void *)p, n};

		if (w->err == 0 && write_iov(w->fd, &iov, 1) != 0)
			w->err = errno;
		return;
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

/* The journal as it would be rewritten now, to W. */
static void write_snapshot(const struct outbox *o, struct wbuf *w)
{
	unsigned char b[ADD_HEAD];

	wbuf_put(w, JMAGIC, JMAGIC_LEN);
	wbuf_put(w, b, encode_seq(o, 'S', o->seq, b));
	for (size_t i = o->first; i < o->nslot; i++) {
		const struct entry *e = o->slot[i].e;

		if (e == NULL)
			continue;
		wbuf_put(w, b, encode_add(o, e, b));
		wbuf_put(w, e->item.payload, e->item.len);
	}
	wbuf_flush(w);
}

/* Rewrite the journal from memory: temp file, fsync, rename, directory
 * fsync.  Then everything in memory is durable.  0 or -1 with ERR set. */
static int compact(struct outbox *o, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 16];
	struct wbuf w = {.fd = -1};

	if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", o->journal) >= (int)sizeof tmp)
		return errbuf_fail(err, errlen, "outbox %s: path too long", o->dir);
	if ((w.b = malloc(WBUF_SIZE)) == NULL)
		return errbuf_fail(err, errlen, "outbox %s: out of memory", o->dir);
	w.fd = mkostemp(tmp, O_CLOEXEC | O_APPEND); /* O_EXCL, mode 0600 */
	if (w.fd < 0) {
		free(w.b);
		return errbuf_fail(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
	}
	write_snapshot(o, &w);
	free(w.b);
	if (w.err == 0 && fsync(w.fd) != 0)
		w.err = errno;
	if (w.err == 0 && rename(tmp, o->journal) != 0)
		w.err = errno;
	if (w.err != 0) {
		unlink(tmp);
		close(w.fd);
		return errbuf_fail(err, errlen, "cannot rewrite %s: %s", o->journal,
		                   strerror(w.err));
	}
	if (o->jfd >= 0)
		close(o->jfd);
	o->jfd = w.fd;
	o->jsize = w.size;
	o->dirty = false;
	o->broken = true; /* until the rename is durable too */
	if (atomicfile_sync_dir(o->dir, err, errlen) != 0)
		return -1;
	o->broken = false;
	o->durable_seq = o->seq;
	return 0;
}

static bool need_compact(const struct outbox *o)
{
	return o->jsize > COMPACT_MIN && o->jsize > 2 * o->live;
}

/* Append one record, A[0..ALEN) then B[0..BLEN), to the journal, not synced;
 * on failure the file is cut back (or marked broken).  0 or -1 with ERR. */
static int append(struct outbox *o, const void *a, size_t alen, const void *b, size_t blen,
                  char *err, size_t errlen)
{
	struct iovec iov[2] = {{(void *)a, alen}, {(void *)b, blen}};

	if (o->broken && compact(o, err, errlen) != 0)
		return -1;
	if (write_iov(o->jfd, iov, blen > 0 ? 2 : 1) != 0) {
		int e = errno;

		if (ftruncate(o->jfd, (off_t)o->jsize) != 0)
			o->broken = true;
		return errbuf_fail(err, errlen, "cannot write %s: %s", o->journal, strerror(e));
	}
	o->jsize += alen + blen;
	o->dirty = true;
	return 0;
}

/* --------------------------------------------------------------- opening */

/* The whole of file PATH, malloc'ed; NULL with *ABSENT when it does not
 * exist, NULL with ERR set when it cannot be read. */
static char *read_all(const char *path, size_t *len, bool *absent, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	char *buf = NULL;
	size_t got = 0;

	*absent = fd < 0 && errno == ENOENT;
	if (fd < 0 || fstat(fd, &st) != 0) {
		errbuf_fail(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		errbuf_fail(err, errlen, "cannot read %s: %s", path,
		            S_ISREG(st.st_mode) ? "out of memory" : "not a regular file");
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

/* Copy the corrupt journal BUF[0..LEN) to dead/journal-<time>.corrupt, with
 * WHY in a ".reason" file beside it; its name into NAME. */
static int set_aside(struct outbox *o, const void *buf, size_t len, const char *why, char *name,
                     size_t namelen, char *err, size_t errlen)
{
	char path[PATH_MAX], text[512];
	long long t = (long long)time(NULL);
	int n;

	for (int k = 0;; k++) {
		if (k == 0)
			snprintf(name, namelen, "journal-%lld.corrupt", t);
		else
			snprintf(name, namelen, "journal-%lld-%d.corrupt", t, k);
		if (path_of(o->dead, name, "", path, sizeof path) != 0)
			return errbuf_fail(err, errlen, "outbox %s: path too long", o->dir);
		if (access(path, F_OK) != 0)
			break;
	}
	if (atomicfile_write(path, buf, len, true, err, errlen) != 0)
		return -1;
	n = snprintf(text, sizeof text, "corrupt: %s\n", why);
	if (path_of(o->dead, name, ".reason", path, sizeof path) != 0)
		return errbuf_fail(err, errlen, "outbox %s: path too long", o->dir);
	return atomicfile_write(path, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1,
	                        true, err, errlen);
}

/* The first offset from FROM on where a valid record starts, or LEN. */
static size_t resync(const struct outbox *o, const unsigned char *buf, size_t len, size_t from)
{
	struct rec r;

	for (size_t q = from; q + REC_HEAD <= len; q++)
		if (rec_check(o, buf + q, len - q, &r))
			return q;
	return len;
}

/* What replay found wrong. */
struct damage {
	size_t first_bad; /* offset of the first bad record followed by good ones */
	size_t regions;   /* bad stretches followed by good records */
	size_t skipped;   /* their bytes */
	size_t torn_at;   /* offset of a torn tail, or the length when none */
};

/* Records of BUF[0..LEN) (after the magic, from P) into memory; a bad record
 * is skipped to the next valid one, or ends the replay (torn tail). */
static int replay_records(struct outbox *o, const unsigned char *buf, size_t len, size_t p,
                          struct damage *d)
{
	struct rec r;

	d->torn_at = len;
	while (p < len) {
		size_t q;

		if (rec_check(o, buf + p, len - p, &r)) {
			if (apply(o, &r) != 0)
				return -1;
			p += r.total;
			continue;
		}
		if ((q = resync(o, buf, len, p + 1)) == len) {
			d->torn_at = p;
			break;
		}
		if (d->regions++ == 0)
			d->first_bad = p;
		d->skipped += q - p;
		p = q;
	}
	return 0;
}

/* Replay the journal BUF[0..LEN), repairing as outbox.h says; *REWRITE when
 * the file must be rewritten. */
static int replay(struct outbox *o, const unsigned char *buf, size_t len, bool *rewrite, char *err,
                  size_t errlen)
{
	struct damage d = {0};
	char why[256], name[128];
	size_t p = JMAGIC_LEN;

	if (len < JMAGIC_LEN && memcmp(buf, JMAGIC, len) == 0) {
		p = len; /* empty, or cut while being created: nothing in it */
		*rewrite = true;
	} else if (len < JMAGIC_LEN || memcmp(buf, JMAGIC, JMAGIC_LEN) != 0) {
		d.regions = 1;
		d.first_bad = 0;
		p = resync(o, buf, len, 1);
		d.skipped = p;
	}
	if (replay_records(o, buf, len, p, &d) != 0)
		return errbuf_fail(err, errlen, "outbox %s: out of memory", o->dir);
	if (d.torn_at < len) {
		note(o,
		     "journal: dropped an incomplete last record (%zu bytes at byte %zu), "
		     "cut by a crash before it was synced",
		     len - d.torn_at, d.torn_at);
		*rewrite = true;
	}
	if (d.regions == 0)
		return 0;
	snprintf(why, sizeof why,
	         "bad record at byte %zu of %zu; %zu bytes skipped in %zu places, the valid "
	         "records before and after kept",
	         d.first_bad, len, d.skipped, d.regions);
	if (set_aside(o, buf, len, why, name, sizeof name, err, errlen) != 0)
		return -1;
	note(o, "journal: %s; copy in dead/%s", why, name);
	*rewrite = true;
	return 0;
}

/* Load DIR/journal, if any. */
static int load_journal(struct outbox *o, bool *rewrite, char *err, size_t errlen)
{
	size_t len = 0;
	bool absent;
	char *buf = read_all(o->journal, &len, &absent, err, errlen);

	if (buf == NULL && absent) {
		*rewrite = true;
		return 0;
	}
	if (buf == NULL || replay(o, (unsigned char *)buf, len, rewrite, err, errlen) != 0) {
		free(buf);
		return -1;
	}
	free(buf);
	o->jsize = len;
	if (*rewrite)
		return 0;
	if ((o->jfd = open(o->journal, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
		return errbuf_fail(err, errlen, "cannot open %s: %s", o->journal, strerror(errno));
	return 0;
}

static int names_add(struct names *l, const char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char(*v)[64] = realloc(l->v, cap * sizeof *v);

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	snprintf(l->v[l->n++], sizeof l->v[0], "%s", name);
	return 0;
}

static int names_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* An interrupted write's temp file, in DIR (DEAD false) or DIR/dead? */
static bool is_temp(const char *name, bool dead)
{
	if (dead)
		return strstr(name, SUFFIX ".tmp-") || strstr(name, ".reason.tmp-") ||
		       strstr(name, ".corrupt.tmp-");
	return strstr(name, SUFFIX ".tmp-") || strncmp(name, "journal.tmp-", 12) == 0;
}

/* Scan directory D: remove temp files, note the highest seq, collect the
 * "<id>.msg" names into L, sorted. */
static int scan(struct outbox *o, const char *d_, bool dead, struct names *l, char *err,
                size_t errlen)
{
	DIR *d = opendir(d_);
	struct dirent *de;
	char path[PATH_MAX];
	uint64_t seq;
	int rc = 0;

	if (d == NULL)
		return errbuf_fail(err, errlen, "cannot list %s: %s", d_, strerror(errno));
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (is_temp(de->d_name, dead)) {
			if (path_of(d_, de->d_name, "", path, sizeof path) == 0 &&
			    unlink(path) != 0 && errno != ENOENT)
				rc = errbuf_fail(err, errlen, "cannot remove %s: %s", path,
				                 strerror(errno));
			continue;
		}
		if (!parse_name(de->d_name, &seq))
			continue;
		if (seq > o->seq)
			o->seq = seq;
		if (names_add(l, de->d_name) != 0)
			rc = errbuf_fail(err, errlen, "outbox %s: out of memory", o->dir);
	}
	if (rc == 0 && errno != 0)
		rc = errbuf_fail(err, errlen, "cannot list %s: %s", d_, strerror(errno));
	closedir(d);
	if (l->n > 1)
		qsort(l->v, l->n, sizeof l->v[0], names_cmp);
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

/* Corrupt old file NAME: its reason beside it in dead/ first, then the move,
 * so that a crash in between only repeats this at the next open. */
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

/* How import_old went. */
struct import {
	struct names done; /* imported (or already in the journal): to remove */
	size_t corrupt, dead;
};

/* Old pending file NAME: into memory (and IM->done), or to dead/ when corrupt
 * or dead. */
static int import_one(struct outbox *o, const char *name, struct import *im, char *err,
                      size_t errlen)
{
	char path[PATH_MAX], why[TEXT_MAX];
	struct outbox_item it;
	struct extra x;
	struct entry *e = NULL;
	size_t len = 0;
	bool absent, found;
	char *buf;

	if (path_of(o->dir, name, "", path, sizeof path) != 0)
		return errbuf_fail(err, errlen, "outbox %s: path too long", o->dir);
	if ((buf = read_all(path, &len, &absent, err, errlen)) == NULL)
		return absent ? 0 : -1;
	if (len > OUTBOX_MAX_PAYLOAD + 2048)
		snprintf(why, sizeof why, "file of %zu bytes is too large", len);
	else if (decode(buf, len, &it, &x, why, sizeof why) == 0)
		why[0] = '\0';
	if (why[0] != '\0' || x.dead[0] != '\0') {
		free(buf);
		im->corrupt += why[0] != '\0';
		im->dead += why[0] == '\0';
		return why[0] ? quarantine(o, name, why, err, errlen)
		              : move_to_dead(o, name, err, errlen);
	}
	snprintf(it.id, sizeof it.id, "%.*s", (int)(strlen(name) - strlen(SUFFIX)), name);
	if (names_add(&im->done, name) != 0 || reserve(o) != 0 || (e = entry_new(&it)) == NULL) {
		free(buf);
		return errbuf_fail(err, errlen, "outbox %s: out of memory", o->dir);
	}
	free(buf);
	find(o, e->seq, &found);
	if (found) /* already imported: a crash before the file was removed */
		entry_free(e);
	else
		put_entry(o, e);
	return 0;
}

/* Import the old pending files NAMES; note what happened. */
static int import_old(struct outbox *o, const struct names *names, struct import *im, bool *rewrite,
                      char *err, size_t errlen)
{
	for (size_t i = 0; i < names->n; i++)
		if (import_one(o, names->v[i], im, err, errlen) != 0)
			return -1;
	if (im->done.n > 0) {
		note(o, "imported %zu pending file(s) of the old format", im->done.n);
		*rewrite = true;
	}
	if (im->corrupt > 0)
		note(o, "%zu corrupt old file(s) moved to dead/ with a .reason", im->corrupt);
	if (im->dead > 0)
		note(o, "%zu old file(s) marked dead moved to dead/", im->dead);
	return 0;
}

/* Drop the pending items that are dead letters already (a crash inside
 * outbox_dead between the dead letter and the next sync). */
static void drop_dead(struct outbox *o, const struct names *dead, bool *rewrite)
{
	size_t dropped = 0;

	for (size_t i = o->first; dead->n > 0 && i < o->nslot; i++) {
		char name[64];

		if (o->slot[i].e == NULL)
			continue;
		snprintf(name, sizeof name, "%s" SUFFIX, o->slot[i].e->item.id);
		if (bsearch(name, dead->v, dead->n, sizeof dead->v[0], names_cmp) != NULL) {
			drop(o, i);
			dropped++;
		}
	}
	if (dropped > 0) {
		note(o, "%zu pending notification(s) already in dead/ dropped", dropped);
		*rewrite = true;
	}
}

/* Remove the imported old files, now in the durable journal. */
static int remove_imported(struct outbox *o, const struct names *l, char *err, size_t errlen)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < l->n; i++)
		if (path_of(o->dir, l->v[i], "", path, sizeof path) != 0 ||
		    (unlink(path) != 0 && errno != ENOENT))
			return errbuf_fail(err, errlen, "cannot remove %s: %s", path,
			                   strerror(errno));
	return l->n > 0 ? atomicfile_sync_dir(o->dir, err, errlen) : 0;
}

/* Everything open does once the directory is locked. */
static int load(struct outbox *o, char *err, size_t errlen)
{
	struct names dead = {0}, old = {0};
	struct import im = {0};
	bool rewrite = false;
	int rc = -1;

	/* dead/ first: its seqs count before any new one is made */
	if (scan(o, o->dead, true, &dead, err, errlen) != 0 ||
	    scan(o, o->dir, false, &old, err, errlen) != 0 ||
	    load_journal(o, &rewrite, err, errlen) != 0 ||
	    import_old(o, &old, &im, &rewrite, err, errlen) != 0)
		goto out;
	drop_dead(o, &dead, &rewrite);
	if (rewrite || need_compact(o)) {
		if (compact(o, err, errlen) != 0)
			goto out;
	} else if (fdatasync(o->jfd) != 0) { /* what was read is durable */
		errbuf_fail(err, errlen, "cannot sync %s: %s", o->journal, strerror(errno));
		goto out;
	}
	if (remove_imported(o, &im.done, err, errlen) != 0)
		goto out;
	o->durable_seq = o->seq;
	rc = 0;
out:
	free(dead.v);
	free(old.v);
	free(im.done.v);
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
	o->lockfd = o->jfd = -1;
	o->live = JMAGIC_LEN + SEQ_REC;
	crc_init(o->crc);
	if (snprintf(o->dir, sizeof o->dir, "%s", dir) >= (int)sizeof o->dir ||
	    snprintf(o->dead, sizeof o->dead, "%s/dead", dir) >= (int)sizeof o->dead ||
	    snprintf(o->journal, sizeof o->journal, "%s/journal", dir) >= (int)sizeof o->journal) {
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
	if (load(o, err, errlen) != 0)
		goto fail;
	*out = o;
	return 0;
fail:
	outbox_close(o);
	return -1;
}

const char *outbox_open_note(const struct outbox *o)
{
	return o->note[0] != '\0' ? o->note : NULL;
}

/* ------------------------------------------------------------ operations */

int outbox_add(struct outbox *o, const char *channel, const void *payload, size_t len, int64_t now,
               char *id_out, size_t idlen, char *err, size_t errlen)
{
	struct outbox_item it = {0};
	unsigned char head[ADD_HEAD];
	struct entry *e;

	if (channel == NULL || !valid_channel(channel, strlen(channel)))
		return errbuf_fail(err, errlen, "outbox: bad channel name \"%s\"",
		                   channel ? channel : "(null)");
	if (len > OUTBOX_MAX_PAYLOAD || now < 0 || (len > 0 && payload == NULL))
		return errbuf_fail(err, errlen, "outbox: payload of %zu bytes refused", len);
	snprintf(it.id, sizeof it.id, "%016" PRIx64 "-%08" PRIx64, (uint64_t)now, o->seq + 1);
	snprintf(it.channel, sizeof it.channel, "%s", channel);
	it.created = it.next_at = now;
	it.payload = (void *)payload;
	it.len = len;
	if (reserve(o) != 0 || (e = entry_new(&it)) == NULL)
		return errbuf_fail(err, errlen, "outbox %s: out of memory", o->dir);
	if (append(o, head, encode_add(o, e, head), e->item.payload, len, err, errlen) != 0) {
		entry_free(e);
		return -1;
	}
	put_entry(o, e);
	if (id_out != NULL && idlen > 0)
		snprintf(id_out, idlen, "%s", e->item.id);
	return 0;
}

int outbox_sync(struct outbox *o, char *err, size_t errlen)
{
	if (!o->dirty && !o->broken)
		return 0;
	if (o->broken || need_compact(o))
		return compact(o, err, errlen);
	if (fdatasync(o->jfd) != 0) {
		o->broken = true; /* the failed pages may be dropped: rewrite them */
		return errbuf_fail(err, errlen, "cannot sync %s: %s", o->journal, strerror(errno));
	}
	o->dirty = false;
	o->durable_seq = o->seq;
	return 0;
}

size_t outbox_due(struct outbox *o, int64_t now, struct outbox_item **items, size_t max)
{
	size_t k = 0;

	for (size_t i = o->first; i < o->nslot && k < max; i++) {
		const struct slot *s = &o->slot[i];

		if (s->seq > o->durable_seq)
			break; /* added since the last sync, as all after it */
		if (s->e != NULL && !s->e->item.busy && s->e->item.next_at <= now)
			items[k++] = &s->e->item;
	}
	return k;
}

struct outbox_item *outbox_first(struct outbox *o)
{
	for (size_t i = o->first; i < o->nslot; i++) {
		const struct slot *s = &o->slot[i];

		if (s->seq > o->durable_seq)
			break;
		if (s->e != NULL)
			return &s->e->item;
	}
	return NULL;
}

int outbox_busy(struct outbox *o, const char *id, bool busy)
{
	char err[128];
	size_t at;
	struct entry *e = lookup(o, id, &at, err, sizeof(err));

	if (e == NULL)
		return -1;
	e->item.busy = busy;
	return 0;
}

int outbox_done(struct outbox *o, const char *id, char *err, size_t errlen)
{
	unsigned char rec[SEQ_REC];
	struct entry *e;
	size_t at;

	if ((e = lookup(o, id, &at, err, errlen)) == NULL)
		return -1;
	if (append(o, rec, encode_seq(o, 'D', e->seq, rec), NULL, 0, err, errlen) != 0)
		return -1;
	drop(o, at);
	return 0;
}

static bool valid_policy(const struct outbox_policy *p)
{
	return p->initial > 0 && p->max_delay >= p->initial && p->factor >= 1 && p->jitter >= 0 &&
	       p->jitter <= 1 && p->max_age >= 0 && isfinite(p->max_delay) && isfinite(p->factor) &&
	       isfinite(p->max_age);
}

/* Retry ID past max_age: dead with NEXT's attempts and error. */
static int expire(struct outbox *o, struct entry *e, const struct outbox_item *next, int64_t now,
                  char *err, size_t errlen)
{
	struct outbox_item old = e->item;
	char why[TEXT_MAX + 80], id[64];

	snprintf(why, sizeof why, "expired after %u attempts in %" PRId64 " s: %s", next->attempts,
	         now - e->item.created, next->last_error);
	snprintf(id, sizeof id, "%s", e->item.id);
	e->item = *next; /* the dead letter records the last attempt */
	if (outbox_dead(o, id, why, err, errlen) != 0) {
		e->item = old;
		return -1;
	}
	errbuf_fail(err, errlen, "outbox %s: %s moved to dead letters: %s", o->dir, id, why);
	return 1;
}

int outbox_retry(struct outbox *o, const char *id, const char *reason, int64_t now,
                 const struct outbox_policy *p, uint32_t random, char *err, size_t errlen)
{
	unsigned char rec[ADD_HEAD];
	struct outbox_item next;
	struct entry *e;
	double base, delay;
	size_t at;

	if ((e = lookup(o, id, &at, err, errlen)) == NULL)
		return -1;
	if (!valid_policy(p))
		return errbuf_fail(err, errlen, "outbox: invalid retry policy");
	next = e->item;
	next.attempts++;
	copy_text(next.last_error, reason ? reason : "", TEXT_MAX);
	if ((double)(now - e->item.created) > p->max_age)
		return expire(o, e, &next, now, err, errlen);
	base = fmin(p->max_delay, p->initial * pow(p->factor, (double)(next.attempts - 1)));
	delay = ceil(base * (1 + p->jitter * ((double)random / 4294967296.0 - 0.5)));
	next.next_at = now + (delay < 1 ? 1 : (int64_t)delay);
	if (append(o, rec, encode_retry(o, e->seq, &next, rec), NULL, 0, err, errlen) != 0)
		return -1;
	retry_apply(o, e, rec + REC_HEAD);
	return 0;
}

/* Write IT's dead letter, saying WHY, to dead/ durably. */
static int write_dead_letter(const struct outbox *o, const struct outbox_item *it, const char *why,
                             char *err, size_t errlen)
{
	char path[PATH_MAX], *buf;
	size_t len;
	int rc;

	if (path_of(o->dead, it->id, SUFFIX, path, sizeof path) != 0)
		return errbuf_fail(err, errlen, "outbox %s: path too long", o->dir);
	if (encode(it, why, &buf, &len) != 0)
		return errbuf_fail(err, errlen, "outbox %s: out of memory", o->dir);
	rc = atomicfile_write(path, buf, len, true, err, errlen);
	free(buf);
	return rc;
}

int outbox_dead(struct outbox *o, const char *id, const char *reason, char *err, size_t errlen)
{
	unsigned char rec[SEQ_REC];
	char why[TEXT_MAX];
	struct entry *e;
	size_t at;

	if ((e = lookup(o, id, &at, err, errlen)) == NULL)
		return -1;
	copy_text(why, reason && reason[0] ? reason : "(no reason given)", TEXT_MAX);
	if (write_dead_letter(o, &e->item, why, err, errlen) != 0)
		return -1;
	/* The dead letter is durable and wins at the next open even without the
	 * 'X' record: if that cannot be written, the next sync rewrites the
	 * journal from memory, where the item is gone. */
	if (append(o, rec, encode_seq(o, 'X', e->seq, rec), NULL, 0, NULL, 0) != 0)
		o->broken = true;
	drop(o, at);
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
	uint64_t seq;
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

	for (size_t i = o->first; i < o->nslot; i++)
		if (o->slot[i].e != NULL && o->slot[i].e->item.next_at < t)
			t = o->slot[i].e->item.next_at;
	return t;
}

void outbox_close(struct outbox *o)
{
	if (o == NULL)
		return;
	for (size_t i = o->first; i < o->nslot; i++)
		entry_free(o->slot[i].e);
	free(o->slot);
	if (o->jfd >= 0)
		close(o->jfd);
	if (o->lockfd >= 0)
		close(o->lockfd);
	free(o);
}
