/*
 * series.c - the history store: one locked, crash-safe, bounded file per key.
 *
 * File name: the key percent-encoded (every byte outside [A-Za-z0-9._-], and a
 * leading '.', becomes %XX) followed by ".series". Other names in the state
 * directory ("*.corrupt-*", "*.series.tmp-XXXXXX" temp files) are not series.
 *
 * File layout (host byte order, i.e. little-endian on x86 and arm64; a file
 * moved to a host of the other byte order reads as corrupt):
 *
 *   offset  size  field
 *        0     8  magic "TTSERIES"
 *        8     4  uint32 format version (1)
 *       12     4  uint32 record size (24)
 *       16     4  uint32 key length in bytes
 *       20    44  the key, NUL padded when it is at most 44 bytes; longer keys
 *                 store their first 36 bytes and then the 64-bit FNV-1a hash of
 *                 the whole key. A mismatch with the requested key means the
 *                 file was copied from another key ("foreign"): corrupt.
 *       64  24*k  records {int64 t; double value; double capacity} (the layout
 *                 of struct sample), sorted by t ascending, duplicates allowed.
 *
 * A trailing partial record is a torn append: ignored on read, cut away by the
 * next write. Out-of-order times, non-finite numbers and negative capacities
 * make a file corrupt. SERIES_READ validates the header and the records it
 * loads; SERIES_WRITE validates every record at open (retention keeps files
 * small) so that a corrupt file is moved aside before anything is added.
 *
 * Locking: flock(2) on the data file, shared to read, exclusive to write.
 * Rewrites (out-of-order adds, retention) write a temp file, fsync it, take
 * its exclusive lock, rename it over the data file, fsync the directory and
 * only then close the old descriptor. Every opener, after its lock is granted,
 * compares fstat(fd) with stat(path) and starts again when the file it locked
 * is no longer the one the name points to, so no process ever appends to a
 * replaced or deleted inode.
 */
#include "series.h"

#include "atomicfile.h"
#include "errbuf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef TT_DEFAULT_STATE_DIR
#define TT_DEFAULT_STATE_DIR "/var/lib/trendtrap"
#endif

#define HDR_SIZE       64
#define REC_SIZE       24
#define FORMAT_VERSION 1
#define MAGIC          "TTSERIES"
#define KEY_LEN_OFF    16
#define KEY_OFF        20
#define KEY_INLINE     44 /* keys up to this length are stored whole */
#define KEY_PREFIX     36 /* longer keys: this many bytes, then a hash */
#define KEY_MAX        200
#define ENC_MAX        210 /* encoded key: leaves room for suffixes in NAME_MAX */
#define SUFFIX         ".series"
#define TMP_SUFFIX     ".tmp-XXXXXX"
#define CHUNK          4096 /* records validated per read at open */
#define OPEN_RETRIES   1000

_Static_assert(sizeof(struct sample) == REC_SIZE, "struct sample is the record layout");
_Static_assert(offsetof(struct sample, value) == 8, "record layout");
_Static_assert(offsetof(struct sample, capacity) == 16, "record layout");

struct series {
	int fd;                /* the data file, locked */
	enum series_mode mode; /* lock type and what is allowed */
	char *dir;             /* state directory (for temp files, fsync) */
	char *path;            /* dir/<encoded key>.series */
	char *key;             /* the key, as given */
	size_t count;          /* complete records in the file */
	off_t size;            /* file size, including a torn tail if any */
	int64_t first_t;       /* t of the first record, when count > 0 */
	int64_t last_t;        /* t of the last record, when count > 0 */
};

/* Like errbuf_fail(), for reasons a file is corrupt: writes WHY and returns 1. */
__attribute__((format(printf, 3, 4))) static int corrupt(char *why, size_t whylen, const char *fmt,
                                                         ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return 1;
}

/* ---- keys and file names ---- */

static int plain_byte(unsigned char c)
{
	return c < 0x80 && (isalnum(c) || c == '.' || c == '_' || c == '-');
}

/* Percent-encode KEY into a new string (no suffix). */
static char *encode_key(const char *key)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(key);
	char *out = malloc(len * 3 + 1);
	char *p = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];

		if (plain_byte(c) && !(i == 0 && c == '.')) {
			*p++ = (char)c;
			continue;
		}
		*p++ = '%';
		*p++ = hex[c >> 4];
		*p++ = hex[c & 15];
	}
	*p = '\0';
	return out;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1; /* lower-case hex is not canonical: not one of ours */
}

/* Decode a directory entry NAME into KEY when it is "<encoded>.series" in
 * canonical form and the key is valid. Returns 0, or -1 if not a series. */
static int decode_name(const char *name, char *key, size_t keylen)
{
	size_t len = strlen(name), slen = strlen(SUFFIX), k = 0;
	char *canon;
	int ok;

	if (len <= slen || strcmp(name + len - slen, SUFFIX) != 0)
		return -1;
	for (size_t i = 0; i < len - slen; i++) {
		int c = (unsigned char)name[i];

		if (name[i] == '%') {
			if (i + 2 >= len - slen || hexval(name[i + 1]) < 0 ||
			    hexval(name[i + 2]) < 0)
				return -1;
			c = hexval(name[i + 1]) * 16 + hexval(name[i + 2]);
			i += 2;
		}
		if (k + 1 >= keylen)
			return -1;
		key[k++] = (char)c;
	}
	key[k] = '\0';
	if (series_key_valid(key, NULL, 0) != 0 || (canon = encode_key(key)) == NULL)
		return -1;
	ok = strlen(canon) == len - slen && strncmp(canon, name, len - slen) == 0;
	free(canon);
	return ok ? 0 : -1;
}

/* Length of the UTF-8 sequence at S (at most N bytes), 0 if invalid or a
 * control character (C0, DEL, C1). */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned int cp;

	if (s[0] < 0x20 || s[0] == 0x7f)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

int series_key_valid(const char *key, char *err, size_t errlen)
{
	size_t len = key == NULL ? 0 : strlen(key), enc = 0;

	if (len == 0)
		return errbuf_fail(err, errlen, "series key is empty");
	if (len > KEY_MAX)
		return errbuf_fail(err, errlen, "series key is too long (%zu bytes, at most %d)",
		                   len, KEY_MAX);
	for (size_t i = 0; i < len;) {
		size_t n = utf8_char((const unsigned char *)key + i, len - i);

		if (n == 0)
			return errbuf_fail(
			        err, errlen,
			        "series key has a control character or invalid UTF-8 at byte %zu",
			        i + 1);
		i += n;
	}
	for (size_t i = 0; i < len; i++)
		enc += plain_byte((unsigned char)key[i]) && !(i == 0 && key[0] == '.') ? 1 : 3;
	if (enc > ENC_MAX)
		return errbuf_fail(
		        err, errlen,
		        "series key is too long for a file name (%zu bytes encoded, at most %d)",
		        enc, ENC_MAX);
	return 0;
}

/* malloc'ed "A" "B" "C". */
static char *concat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *out = malloc(la + lb + lc + 1);

	if (out != NULL) {
		memcpy(out, a, la);
		memcpy(out + la, b, lb);
		memcpy(out + la + lb, c, lc + 1);
	}
	return out;
}

/* malloc'ed path of KEY's data file under DIR. */
static char *series_path(const char *dir, const char *key)
{
	char *enc = encode_key(key), *name, *path;

	if (enc == NULL)
		return NULL;
	name = concat3(enc, SUFFIX, "");
	path = name == NULL ? NULL : concat3(dir, "/", name);
	free(enc);
	free(name);
	return path;
}

/* ---- header ---- */

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static void make_header(const char *key, unsigned char hdr[HDR_SIZE])
{
	uint32_t version = FORMAT_VERSION, recsize = REC_SIZE, keylen = (uint32_t)strlen(key);

	memset(hdr, 0, HDR_SIZE);
	memcpy(hdr, MAGIC, 8);
	memcpy(hdr + 8, &version, 4);
	memcpy(hdr + 12, &recsize, 4);
	memcpy(hdr + KEY_LEN_OFF, &keylen, 4);
	if (keylen <= KEY_INLINE) {
		memcpy(hdr + KEY_OFF, key, keylen);
	} else {
		uint64_t h = fnv1a(key, keylen);

		memcpy(hdr + KEY_OFF, key, KEY_PREFIX);
		memcpy(hdr + KEY_OFF + KEY_PREFIX, &h, 8);
	}
}

/* The reason for a header holding another key, naming it when it is stored whole. */
static int foreign(const unsigned char *hdr, char *why, size_t whylen)
{
	char other[KEY_INLINE + 1];
	uint32_t keylen;

	memcpy(&keylen, hdr + KEY_LEN_OFF, 4);
	if (keylen <= KEY_INLINE) {
		memcpy(other, hdr + KEY_OFF, keylen);
		other[keylen] = '\0';
		if (series_key_valid(other, NULL, 0) == 0)
			return corrupt(why, whylen, "foreign: it holds the series '%s'", other);
	}
	return corrupt(why, whylen, "foreign: it holds another series");
}

/* Returns 0 when HDR belongs to KEY, else 1 with the reason in WHY. */
static int check_header(const unsigned char *hdr, const char *key, char *why, size_t whylen)
{
	unsigned char want[HDR_SIZE];
	uint32_t version, recsize;

	make_header(key, want);
	memcpy(&version, hdr + 8, 4);
	memcpy(&recsize, hdr + 12, 4);
	if (memcmp(hdr, MAGIC, 8) != 0)
		return corrupt(why, whylen, "bad magic, not a trendtrap series file");
	if (version != FORMAT_VERSION)
		return corrupt(why, whylen, "format version %u, expected %d", (unsigned)version,
		               FORMAT_VERSION);
	if (recsize != REC_SIZE)
		return corrupt(why, whylen, "record size %u, expected %d", (unsigned)recsize,
		               REC_SIZE);
	if (memcmp(hdr + KEY_LEN_OFF, want + KEY_LEN_OFF, HDR_SIZE - KEY_LEN_OFF) != 0)
		return foreign(hdr, why, whylen);
	return 0;
}

/* ---- low-level file access ---- */

static int pread_all(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;

	while (len > 0) {
		ssize_t r = pread(fd, p, len, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO; /* shorter than it was under our lock */
			return -1;
		}
		p += r, len -= (size_t)r, off += r;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t r = write(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		p += r, len -= (size_t)r;
	}
	return 0;
}

static int read_records(const struct series *s, size_t from, size_t n, struct sample *out,
                        char *err, size_t errlen)
{
	if (n > 0 && pread_all(s->fd, out, n * REC_SIZE, HDR_SIZE + (off_t)from * REC_SIZE) != 0)
		return errbuf_fail(err, errlen, "cannot read %s: %s", s->path, strerror(errno));
	return 0;
}

static int read_time(const struct series *s, size_t idx, int64_t *t, char *err, size_t errlen)
{
	if (pread_all(s->fd, t, sizeof(*t), HDR_SIZE + (off_t)idx * REC_SIZE) != 0)
		return errbuf_fail(err, errlen, "cannot read %s: %s", s->path, strerror(errno));
	return 0;
}

/* Check N records (the file's records BASE..BASE+N-1) for order and sanity;
 * *PREV is the time of the record before them (updated). 0, or 1 with WHY. */
static int check_records(const struct sample *r, size_t n, size_t base, int64_t *prev, char *why,
                         size_t whylen)
{
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(r[i].value) || !isfinite(r[i].capacity))
			return corrupt(why, whylen, "record %zu has a non-finite number",
			               base + i + 1);
		if (r[i].capacity < 0)
			return corrupt(why, whylen, "record %zu has a negative capacity",
			               base + i + 1);
		if ((base + i > 0) && r[i].t < *prev)
			return corrupt(why, whylen, "record %zu is out of time order",
			               base + i + 1);
		*prev = r[i].t;
	}
	return 0;
}

/* ---- opening and locking ---- */

/* Open PATH and lock it; retry until the locked inode is the one PATH names.
 * Returns 0, SERIES_ENOENT (no file and !CREATE), or -1. */
static int open_locked(const char *path, enum series_mode mode, int create, int *fdout, char *err,
                       size_t errlen)
{
	int flags = (mode == SERIES_WRITE ? O_RDWR : O_RDONLY) | O_CLOEXEC | (create ? O_CREAT : 0);

	for (int tries = 0; tries < OPEN_RETRIES; tries++) {
		struct stat fst, pst;
		int fd = open(path, flags, 0600);

		if (fd < 0 && errno == ENOENT && !create)
			return SERIES_ENOENT;
		if (fd < 0)
			return errbuf_fail(err, errlen, "cannot open %s: %s", path,
			                   strerror(errno));
		if (flock(fd, mode == SERIES_WRITE ? LOCK_EX : LOCK_SH) != 0 ||
		    fstat(fd, &fst) != 0) {
			int e = errno;

			close(fd);
			return errbuf_fail(err, errlen, "cannot lock %s: %s", path, strerror(e));
		}
		if (stat(path, &pst) == 0 && pst.st_dev == fst.st_dev && pst.st_ino == fst.st_ino &&
		    fst.st_nlink > 0) {
			*fdout = fd;
			return 0;
		}
		close(fd); /* replaced or removed while we waited: start again */
	}
	return errbuf_fail(err, errlen, "cannot open %s: it keeps being replaced", path);
}

/* Give a new (empty) file its header. */
static int init_file(struct series *s, char *err, size_t errlen)
{
	unsigned char hdr[HDR_SIZE];

	make_header(s->key, hdr);
	if (pwrite(s->fd, hdr, HDR_SIZE, 0) != HDR_SIZE || fdatasync(s->fd) != 0)
		return errbuf_fail(err, errlen, "cannot write %s: %s", s->path, strerror(errno));
	s->size = HDR_SIZE;
	return atomicfile_sync_dir(s->dir, err, errlen);
}

/* Read every record in chunks, checking them; sets first_t and last_t. */
static int scan_records(struct series *s, char *why, size_t whylen, char *err, size_t errlen)
{
	struct sample *buf = malloc(CHUNK * sizeof(*buf));
	int64_t prev = 0;
	int rc = 0;

	if (buf == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	for (size_t at = 0; at < s->count && rc == 0; at += CHUNK) {
		size_t n = s->count - at < CHUNK ? s->count - at : CHUNK;

		rc = read_records(s, at, n, buf, err, errlen);
		if (rc == 0)
			rc = check_records(buf, n, at, &prev, why, whylen);
		if (rc == 0 && at == 0)
			s->first_t = buf[0].t;
	}
	s->last_t = prev;
	free(buf);
	return rc;
}

/* Read the header and the metadata. Returns 0, 1 (corrupt, WHY set) or -1. */
static int read_meta(struct series *s, char *why, size_t whylen, char *err, size_t errlen)
{
	unsigned char hdr[HDR_SIZE];
	struct stat st;

	if (fstat(s->fd, &st) != 0)
		return errbuf_fail(err, errlen, "cannot stat %s: %s", s->path, strerror(errno));
	s->size = st.st_size;
	s->count = 0;
	if (st.st_size == 0) /* just created, header not written yet */
		return s->mode == SERIES_WRITE ? init_file(s, err, errlen) : 0;
	if (st.st_size < HDR_SIZE)
		return corrupt(why, whylen, "shorter than its %d-byte header", HDR_SIZE);
	if (pread_all(s->fd, hdr, HDR_SIZE, 0) != 0)
		return errbuf_fail(err, errlen, "cannot read %s: %s", s->path, strerror(errno));
	if (check_header(hdr, s->key, why, whylen) != 0)
		return 1;
	s->count = (size_t)((st.st_size - HDR_SIZE) / REC_SIZE);
	if (s->mode == SERIES_WRITE)
		return scan_records(s, why, whylen, err, errlen);
	return 0;
}

/* Rename the corrupt file aside as "<path>.corrupt-<unixtime>[-N]". */
static int move_aside(struct series *s, const char *why, char *notice, size_t noticelen, char *err,
                      size_t errlen)
{
	size_t len = strlen(s->path) + 64;
	char *to = malloc(len);
	long long now = (long long)time(NULL);
	struct stat st;
	int rc = -1;

	if (to == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	for (int n = 0; n < 1000 && rc != 0; n++) {
		if (n == 0)
			snprintf(to, len, "%s.corrupt-%lld", s->path, now);
		else
			snprintf(to, len, "%s.corrupt-%lld-%d", s->path, now, n);
		if (lstat(to, &st) == 0)
			continue;
		if (rename(s->path, to) != 0)
			break;
		rc = 0;
	}
	if (rc != 0)
		errbuf_fail(err, errlen,
		            "history file %s is corrupt (%s) and cannot be moved aside: %s",
		            s->path, why, strerror(errno));
	else if (notice != NULL && noticelen > 0)
		snprintf(notice, noticelen,
		         "history file %s is corrupt (%s); moved to %s, starting a new history",
		         s->path, why, to);
	free(to);
	return rc == 0 ? atomicfile_sync_dir(s->dir, err, errlen) : -1;
}

static struct series *series_new(const char *dir, const char *key, enum series_mode mode)
{
	struct series *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->fd = -1;
	s->mode = mode;
	s->dir = strdup(dir);
	s->key = strdup(key);
	s->path = series_path(dir, key);
	if (s->dir == NULL || s->key == NULL || s->path == NULL) {
		series_close(s);
		return NULL;
	}
	return s;
}

/* One attempt: open, lock, read metadata. Returns 0, SERIES_ENOENT, -1, or 2
 * when a corrupt file was moved aside (try again). */
static int open_once(struct series *s, char *notice, size_t noticelen, char *err, size_t errlen)
{
	char why[256];
	int rc = open_locked(s->path, s->mode, s->mode == SERIES_WRITE, &s->fd, err, errlen);

	if (rc != 0)
		return rc;
	rc = read_meta(s, why, sizeof(why), err, errlen);
	if (rc != 1)
		return rc;
	if (s->mode == SERIES_READ)
		return errbuf_fail(err, errlen, "history file %s is corrupt (%s)", s->path, why);
	rc = move_aside(s, why, notice, noticelen, err, errlen);
	close(s->fd);
	s->fd = -1;
	return rc == 0 ? 2 : -1;
}

int series_open(const char *dir, const char *key, enum series_mode mode, struct series **out,
                char *notice, size_t noticelen, char *err, size_t errlen)
{
	struct series *s;
	int rc;

	*out = NULL;
	if (notice != NULL && noticelen > 0)
		notice[0] = '\0';
	if (series_key_valid(key, err, errlen) != 0)
		return -1;
	if ((s = series_new(dir, key, mode)) == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	rc = open_once(s, notice, noticelen, err, errlen);
	if (rc == 2)
		rc = open_once(s, NULL, 0, err, errlen);
	if (rc == 2)
		rc = errbuf_fail(err, errlen, "history file %s is corrupt again after a restart",
		                 s->path);
	if (rc != 0) {
		series_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

size_t series_count(const struct series *s)
{
	return s->count;
}

void series_close(struct series *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->dir);
	free(s->key);
	free(s->path);
	free(s);
}

/* ---- loading ---- */

/* Index of the first record with t >= SINCE (binary search, one pread per probe). */
static int lower_bound(const struct series *s, int64_t since, size_t *idx, char *err, size_t errlen)
{
	size_t lo = 0, hi = s->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t t;

		if (read_time(s, mid, &t, err, errlen) != 0)
			return -1;
		if (t < since)
			lo = mid + 1;
		else
			hi = mid;
	}
	*idx = lo;
	return 0;
}

int series_load(struct series *s, int64_t since, struct sample **out, size_t *n, char *err,
                size_t errlen)
{
	struct sample *buf;
	char why[256];
	int64_t prev = 0;
	size_t from, m;

	*out = NULL;
	*n = 0;
	if (lower_bound(s, since, &from, err, errlen) != 0)
		return -1;
	if ((m = s->count - from) == 0)
		return 0;
	if ((buf = malloc(m * sizeof(*buf))) == NULL)
		return errbuf_fail(err, errlen, "out of memory loading %zu samples from %s", m,
		                   s->path);
	if (read_records(s, from, m, buf, err, errlen) != 0) {
		free(buf);
		return -1;
	}
	if (from > 0 && read_time(s, from - 1, &prev, err, errlen) != 0) {
		free(buf);
		return -1;
	}
	if (check_records(buf, m, from, &prev, why, sizeof(why)) != 0) {
		free(buf);
		return errbuf_fail(err, errlen, "history file %s is corrupt (%s)", s->path, why);
	}
	*out = buf;
	*n = m;
	return 0;
}

/* ---- adding ---- */

/* Stable merge of sorted A (NA) and sorted B (NB) into OUT; A wins ties. */
static void merge(const struct sample *a, size_t na, const struct sample *b, size_t nb,
                  struct sample *out)
{
	size_t i = 0, j = 0, k = 0;

	while (i < na && j < nb)
		out[k++] = b[j].t < a[i].t ? b[j++] : a[i++];
	while (i < na)
		out[k++] = a[i++];
	while (j < nb)
		out[k++] = b[j++];
}

/* Stable sort by t (bottom-up merge sort, TMP holds N samples). */
static void sort_samples(struct sample *v, struct sample *tmp, size_t n)
{
	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;

			merge(v + lo, mid - lo, v + mid, hi - mid, tmp + lo);
		}
		memcpy(v, tmp, n * sizeof(*v));
	}
}

static int check_input(const struct series *s, const struct sample *smp, size_t n, char *err,
                       size_t errlen)
{
	if (s->mode != SERIES_WRITE)
		return errbuf_fail(err, errlen, "cannot add to %s: opened read-only", s->path);
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(smp[i].value) || !isfinite(smp[i].capacity))
			return errbuf_fail(err, errlen,
			                   "cannot add to %s: sample %zu is not a finite number",
			                   s->path, i + 1);
		if (smp[i].capacity < 0)
			return errbuf_fail(err, errlen,
			                   "cannot add to %s: sample %zu has a negative capacity",
			                   s->path, i + 1);
	}
	return 0;
}

/* Is retention trimming due after adding the sorted batch B (N > 0)? Uses
 * hysteresis (1/8 over the limits) so that appends rarely rewrite. */
static int retention_due(const struct series *s, const struct sample *b, size_t n,
                         const struct series_retention *ret)
{
	size_t total = s->count + n;
	int64_t first = s->count > 0 && s->first_t < b[0].t ? s->first_t : b[0].t;
	int64_t newest = s->count > 0 && s->last_t > b[n - 1].t ? s->last_t : b[n - 1].t;

	if (ret == NULL)
		return 0;
	if (ret->max_count > 0 && total > ret->max_count + ret->max_count / 8)
		return 1;
	return ret->max_age > 0 && (double)newest - (double)first > ret->max_age + ret->max_age / 8;
}

/* Apply RET exactly to the sorted V (*N samples): returns the index of the
 * first sample kept, and updates *N to the number kept. */
static size_t apply_retention(const struct sample *v, size_t *n, const struct series_retention *ret)
{
	size_t start = 0;

	if (ret == NULL || *n == 0)
		return 0;
	if (ret->max_age > 0) {
		double cutoff = (double)v[*n - 1].t - ret->max_age;

		while (start < *n && (double)v[start].t < cutoff)
			start++;
	}
	if (ret->max_count > 0 && *n - start > ret->max_count)
		start = *n - ret->max_count;
	*n -= start;
	return start;
}

/* Append the sorted batch with one write, after cutting a torn tail. */
static int append_records(struct series *s, const struct sample *b, size_t n, char *err,
                          size_t errlen)
{
	off_t end = HDR_SIZE + (off_t)s->count * REC_SIZE;
	size_t len = n * REC_SIZE;
	ssize_t w;

	if (s->size != end && ftruncate(s->fd, end) != 0)
		return errbuf_fail(err, errlen, "cannot cut the torn tail of %s: %s", s->path,
		                   strerror(errno));
	s->size = end;
	w = pwrite(s->fd, b, len, end);
	if (w != (ssize_t)len) {
		int e = w < 0 ? errno : ENOSPC;

		if (ftruncate(s->fd, end) != 0) /* leave whole records only */
			s->size = -1;
		return errbuf_fail(err, errlen, "cannot append to %s: %s", s->path, strerror(e));
	}
	/* No fdatasync here: a killed process loses nothing (the page cache
	 * keeps the write), and after a power loss the worst case is a missing
	 * or torn last record, which readers ignore. Rewrites, whose rename must
	 * not overtake their data, do sync. */
	if (s->count == 0)
		s->first_t = b[0].t;
	s->count += n;
	s->size = end + (off_t)len;
	s->last_t = b[n - 1].t;
	return 0;
}

/* Remove temp files of this series left by a writer that was killed. Only
 * the holder of the exclusive lock on the current file ever has a live temp
 * file, and that is us. */
static void remove_stale_temps(const struct series *s)
{
	const char *base = strrchr(s->path, '/') + 1;
	size_t blen = strlen(base), tlen = strlen(TMP_SUFFIX);
	DIR *d = opendir(s->dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) == blen + tlen && strncmp(de->d_name, base, blen) == 0 &&
		    strncmp(de->d_name + blen, TMP_SUFFIX, tlen - 6) == 0)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

/* Write V into a new locked temp file; returns its fd and name (*TMP). */
static int write_temp(const struct series *s, const struct sample *v, size_t n, char **tmp,
                      char *err, size_t errlen)
{
	unsigned char hdr[HDR_SIZE];
	int fd;

	if ((*tmp = concat3(s->path, TMP_SUFFIX, "")) == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) < 0) {
		errbuf_fail(err, errlen, "cannot create a temp file in %s: %s", s->dir,
		            strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	make_header(s->key, hdr);
	if (write_all(fd, hdr, HDR_SIZE) != 0 || write_all(fd, v, n * REC_SIZE) != 0 ||
	    fsync(fd) != 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		errbuf_fail(err, errlen, "cannot write %s: %s", *tmp, strerror(errno));
		close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	return fd;
}

/* Atomically replace the file with the sorted V (N samples), keeping a lock
 * on the new file before the old one's lock is released. */
static int replace_file(struct series *s, const struct sample *v, size_t n, char *err,
                        size_t errlen)
{
	char *tmp;
	int fd;

	remove_stale_temps(s);
	if ((fd = write_temp(s, v, n, &tmp, err, errlen)) < 0)
		return -1;
	if (rename(tmp, s->path) != 0) {
		errbuf_fail(err, errlen, "cannot rename %s to %s: %s", tmp, s->path,
		            strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	close(s->fd); /* waiters on the old inode wake, see it replaced, retry */
	s->fd = fd;
	s->count = n;
	s->size = HDR_SIZE + (off_t)n * REC_SIZE;
	s->first_t = n > 0 ? v[0].t : 0;
	s->last_t = n > 0 ? v[n - 1].t : 0;
	return atomicfile_sync_dir(s->dir, err, errlen);
}

/* Read everything, merge the sorted batch B in, trim, and replace the file. */
static int rewrite(struct series *s, const struct sample *b, size_t n,
                   const struct series_retention *ret, char *err, size_t errlen)
{
	size_t total = s->count + n, start;
	struct sample *old = malloc((s->count + 1) * sizeof(*old));
	struct sample *all = malloc(total * sizeof(*all));
	int rc = -1;

	if (old == NULL || all == NULL)
		errbuf_fail(err, errlen, "out of memory rewriting %s", s->path);
	else if (read_records(s, 0, s->count, old, err, errlen) == 0) {
		merge(old, s->count, b, n, all);
		start = apply_retention(all, &total, ret);
		rc = replace_file(s, all + start, total, err, errlen);
	}
	free(old);
	free(all);
	return rc;
}

int series_add(struct series *s, const struct sample *smp, size_t n,
               const struct series_retention *ret, char *err, size_t errlen)
{
	struct sample *b, *tmp;
	int rc;

	if (check_input(s, smp, n, err, errlen) != 0)
		return -1;
	if (n == 0)
		return 0;
	b = malloc(n * sizeof(*b));
	tmp = malloc(n * sizeof(*tmp));
	if (b == NULL || tmp == NULL) {
		free(b);
		free(tmp);
		return errbuf_fail(err, errlen, "out of memory adding %zu samples to %s", n,
		                   s->path);
	}
	memcpy(b, smp, n * sizeof(*b));
	sort_samples(b, tmp, n);
	free(tmp);
	if ((s->count == 0 || b[0].t >= s->last_t) && !retention_due(s, b, n, ret))
		rc = append_records(s, b, n, err, errlen);
	else
		rc = rewrite(s, b, n, ret, err, errlen);
	free(b);
	return rc;
}

/* ---- listing and forgetting ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_keys(char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

/* Collect the sorted keys of the series under DIR. */
static int collect_keys(const char *dir, char ***keys, size_t *n, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;
	char key[KEY_MAX + 1];

	*keys = NULL;
	*n = 0;
	if (d == NULL)
		return errbuf_fail(err, errlen, "cannot read state directory %s: %s", dir,
		                   strerror(errno));
	while (errno = 0, (de = readdir(d)) != NULL) {
		if (decode_name(de->d_name, key, sizeof(key)) != 0)
			continue;
		if (*n == cap) {
			char **grown = realloc(*keys, (cap = cap ? cap * 2 : 16) * sizeof(*grown));

			if (grown == NULL)
				break;
			*keys = grown;
		}
		if (((*keys)[*n] = strdup(key)) == NULL)
			break;
		++*n;
	}
	if (de != NULL || errno != 0) {
		int e = de != NULL ? ENOMEM : errno;

		closedir(d);
		free_keys(*keys, *n);
		return errbuf_fail(err, errlen, "cannot read state directory %s: %s", dir,
		                   strerror(e));
	}
	closedir(d);
	if (*n > 1)
		qsort(*keys, *n, sizeof(**keys), cmp_str);
	return 0;
}

int series_list(const char *dir, int (*cb)(const char *key, void *arg), void *arg, char *err,
                size_t errlen)
{
	char **keys;
	size_t n;
	int rc = 0;

	if (collect_keys(dir, &keys, &n, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = cb(keys[i], arg);
	free_keys(keys, n);
	return rc;
}

int series_forget(const char *dir, const char *key, char *err, size_t errlen)
{
	char *path;
	int fd = -1, rc;

	if (series_key_valid(key, err, errlen) != 0)
		return -1;
	if ((path = series_path(dir, key)) == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	rc = open_locked(path, SERIES_WRITE, 0, &fd, err, errlen);
	if (rc == 0 && unlink(path) != 0)
		rc = errbuf_fail(err, errlen, "cannot remove %s: %s", path, strerror(errno));
	if (rc == 0)
		rc = atomicfile_sync_dir(dir, err, errlen);
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/* ---- the state directory ---- */

/* mkdir -p PATH with MODE for the directories it creates. */
static int mkdir_p(const char *path, mode_t mode, char *err, size_t errlen)
{
	char *p = strdup(path);

	if (p == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	for (char *q = p + 1;; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		char c = *q;

		*q = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			errbuf_fail(err, errlen, "cannot create state directory %s: %s", p,
			            strerror(errno));
			free(p);
			return -1;
		}
		if ((*q = c) == '\0')
			break;
	}
	free(p);
	return 0;
}

/* Is PATH a writable directory? 0, or -1 with the reason. */
static int check_dir(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errbuf_fail(err, errlen, "state directory %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return errbuf_fail(err, errlen, "state directory %s is not a directory", path);
	if (access(path, W_OK | X_OK) != 0)
		return errbuf_fail(err, errlen, "state directory %s is not writable: %s", path,
		                   strerror(errno));
	return 0;
}

static int use_dir(const char *path, mode_t mode, char *out, size_t outlen, char *err,
                   size_t errlen)
{
	if (strlen(path) >= outlen)
		return errbuf_fail(err, errlen, "state directory path is too long: %s", path);
	if (mkdir_p(path, mode, err, errlen) != 0 || check_dir(path, err, errlen) != 0)
		return -1;
	snprintf(out, outlen, "%s", path);
	return 0;
}

/* The per-user fallback: $XDG_STATE_HOME/trendtrap or ~/.local/state/trendtrap. */
static int user_dir(char *out, size_t outlen, char *err, size_t errlen)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *path;
	int rc;

	if (xdg != NULL && xdg[0] == '/')
		path = concat3(xdg, "/trendtrap", "");
	else if (home != NULL && home[0] == '/')
		path = concat3(home, "/.local/state/trendtrap", "");
	else
		return errbuf_fail(
		        err, errlen,
		        "no usable state directory: %s is not writable and HOME is not set; "
		        "set TRENDTRAP_STATE_DIR",
		        TT_DEFAULT_STATE_DIR);
	if (path == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	rc = use_dir(path, 0700, out, outlen, err, errlen);
	free(path);
	return rc;
}

int series_state_dir(const char *explicit_dir, char *out, size_t outlen, char *err, size_t errlen)
{
	const char *env = getenv("TRENDTRAP_STATE_DIR");
	const char *def = TT_DEFAULT_STATE_DIR;

	if (explicit_dir != NULL && explicit_dir[0] != '\0')
		return use_dir(explicit_dir, 0755, out, outlen, err, errlen);
	if (env != NULL && env[0] != '\0')
		return use_dir(env, 0755, out, outlen, err, errlen);
	if ((mkdir(def, 0755) == 0 || errno == EEXIST) && check_dir(def, NULL, 0) == 0 &&
	    strlen(def) < outlen) {
		snprintf(out, outlen, "%s", def);
		return 0;
	}
	return user_dir(out, outlen, err, errlen);
}
