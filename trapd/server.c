/*
 * server.c - the Unix socket of trendtrapd (see server.h): accept, read lines
 * in bounded slices, queue replies, never block.
 *
 * Each connection has an input buffer of max_line + 1 bytes.  A line that
 * does not fit is rejected and the rest of it discarded up to its newline.
 * Replies go to an output buffer written as the socket allows; while it holds
 * more than a read slice, the connection's input is not read (its writer
 * waits on the socket: back pressure instead of unbounded memory).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "errbuf.h"
#include "server.h"

struct server_conn {
	struct server *s;
	int fd;
	char *in; /* max_line + 1 bytes */
	size_t in_len;
	size_t in_cap;
	int discarding; /* inside a line that was too long */
	int closing;    /* peer closed its side: close once replies are out */
	char *out;
	size_t out_len, out_off, out_cap;
	unsigned long lineno;
	unsigned long long accepted, rejected;
	char *errors[SERVER_SYNC_ERRORS];
	size_t nerrors;
	struct server_conn *next;
};

struct server {
	struct loop *loop;
	int fd;
	size_t max_line;
	server_line_fn *fn;
	server_reject_fn *reject;
	void *arg;
	struct server_conn *conns;
	size_t nconns;
	unsigned long long accepted, rejected;
};

static int make_parent(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return errbuf_fail(err, errlen, "cannot create %s: %s", dir, strerror(errno));
	return 0;
}

static int remove_stale(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
		                       : errbuf_fail(err, errlen, "%s: %s", path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return errbuf_fail(err, errlen, "%s exists and is not a socket", path);
	if (unlink(path) < 0)
		return errbuf_fail(err, errlen, "cannot remove %s: %s", path, strerror(errno));
	return 0;
}

int server_listen(const char *path, unsigned mode, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return errbuf_fail(err, errlen, "socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	if (make_parent(path, err, errlen) < 0 || remove_stale(path, err, errlen) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errbuf_fail(err, errlen, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, mode) < 0 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) < 0) ||
	    listen(fd, 128) < 0) {
		errbuf_fail(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void conn_io(struct loop *l, int fd, unsigned events, void *arg);
static void on_accept(struct loop *l, int fd, unsigned events, void *arg);

static void conn_close(struct server_conn *c)
{
	struct server *s = c->s;

	for (struct server_conn **p = &s->conns; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	if (s->nconns-- == SERVER_MAX_CLIENTS && s->fd >= 0)
		loop_watch(s->loop, s->fd, LOOP_READ, on_accept, s);
	loop_unwatch(s->loop, c->fd);
	close(c->fd);
	for (size_t i = 0; i < c->nerrors; i++)
		free(c->errors[i]);
	free(c->in);
	free(c->out);
	free(c);
}

/* Watch C for what it needs now: input unless replies are backed up. */
static void conn_rewatch(struct server_conn *c)
{
	unsigned ev = 0;

	if (!c->closing && c->out_len - c->out_off <= SERVER_READ_SLICE)
		ev |= LOOP_READ;
	if (c->out_len > c->out_off)
		ev |= LOOP_WRITE;
	loop_watch(c->s->loop, c->fd, ev, conn_io, c);
}

static int conn_flush(struct server_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -1;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	return 0;
}

/* Hand each complete line in the input buffer to the callback. */
static void conn_lines(struct server_conn *c)
{
	size_t start = 0;
	char *nl;

	while (!c->closing && (nl = memchr(c->in + start, '\n', c->in_len - start)) != NULL) {
		size_t len = (size_t)(nl - (c->in + start));

		if (c->discarding) {
			c->discarding = 0;
		} else {
			c->in[start + len] = '\0'; /* ingest_parse() drops a "\r" */
			c->lineno++;
			c->s->fn(c->s->arg, c, c->in + start, len);
		}
		start = (size_t)(nl - c->in) + 1;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	if (c->in_len == c->in_cap) { /* a line longer than max_line */
		char msg[80];

		c->lineno++;
		snprintf(msg, sizeof(msg), "line longer than %zu bytes", c->s->max_line);
		server_rejected(c, msg);
		c->in_len = 0;
		c->discarding = 1;
	}
}

static int conn_read(struct server_conn *c)
{
	size_t budget = SERVER_READ_SLICE;

	while (budget > 0 && !c->closing) {
		size_t room = c->in_cap - c->in_len;
		ssize_t n = read(c->fd, c->in + c->in_len, room < budget ? room : budget);

		if (n == 0) { /* a last line without its newline still counts */
			if (c->in_len > 0 && !c->discarding) {
				c->in[c->in_len] = '\0';
				c->lineno++;
				c->s->fn(c->s->arg, c, c->in, c->in_len);
			}
			c->in_len = 0;
			c->closing = 1;
			break;
		}
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->in_len += (size_t)n;
		budget -= (size_t)n;
		conn_lines(c);
	}
	return 0;
}

static void conn_io(struct loop *l, int fd, unsigned events, void *arg)
{
	struct server_conn *c = arg;

	(void)l;
	(void)fd;
	if ((events & LOOP_READ) && !c->closing && conn_read(c) < 0) {
		conn_close(c);
		return;
	}
	if (conn_flush(c) < 0 || (c->closing && c->out_len == c->out_off)) {
		conn_close(c);
		return;
	}
	conn_rewatch(c);
}

static void on_accept(struct loop *l, int fd, unsigned events, void *arg)
{
	struct server *s = arg;

	(void)events;
	while (s->nconns < SERVER_MAX_CLIENTS) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct server_conn *c;

		if (cfd < 0)
			break;
		c = calloc(1, sizeof(*c));
		if (c != NULL)
			c->in = malloc(s->max_line + 1);
		if (c == NULL || c->in == NULL) {
			free(c);
			close(cfd);
			break;
		}
		c->s = s;
		c->fd = cfd;
		c->in_cap = s->max_line + 1;
		c->next = s->conns;
		s->conns = c;
		s->nconns++;
		conn_rewatch(c);
	}
	/* At the limit, stop accepting until a connection closes. */
	loop_watch(l, fd, s->nconns < SERVER_MAX_CLIENTS ? LOOP_READ : 0, on_accept, s);
}

struct server *server_new(struct loop *l, int listen_fd, size_t max_line, server_line_fn *fn,
                          server_reject_fn *reject, void *arg)
{
	struct server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->loop = l;
	s->fd = listen_fd;
	s->max_line = max_line;
	s->fn = fn;
	s->reject = reject;
	s->arg = arg;
	if (loop_watch(l, listen_fd, LOOP_READ, on_accept, s) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void server_set_max_line(struct server *s, size_t max_line)
{
	/* Open connections keep their buffers; new ones get the new size. */
	s->max_line = max_line;
}

void server_free(struct server *s)
{
	if (s == NULL)
		return;
	loop_unwatch(s->loop, s->fd);
	close(s->fd);
	s->fd = -1;
	while (s->conns != NULL)
		conn_close(s->conns);
	free(s);
}

unsigned long server_lineno(const struct server_conn *c)
{
	return c->lineno;
}

void server_accepted(struct server_conn *c)
{
	c->accepted++;
	c->s->accepted++;
}

void server_rejected(struct server_conn *c, const char *msg)
{
	char *e;

	c->rejected++;
	c->s->rejected++;
	if (c->s->reject != NULL)
		c->s->reject(c->s->arg, c, msg);
	if (c->nerrors == SERVER_SYNC_ERRORS)
		return;
	if (asprintf(&e, "line %lu: %s", c->lineno, msg) >= 0)
		c->errors[c->nerrors++] = e;
}

void server_reply(struct server_conn *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->out_len - c->out_off > SERVER_OUT_MAX) {
		c->closing = 1; /* not reading its replies: give up on it */
		return;
	}
	for (;;) {
		size_t room = c->out_cap - c->out_len;

		va_start(ap, fmt);
		n = vsnprintf(c->out + c->out_len, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n + 1 < room) {
			c->out_len += (size_t)n;
			c->out[c->out_len++] = '\n';
			break;
		}
		size_t cap = c->out_cap ? c->out_cap * 2 : 4096;
		while (cap < c->out_len + (size_t)n + 2)
			cap *= 2;
		char *p = realloc(c->out, cap);
		if (p == NULL) {
			c->closing = 1;
			return;
		}
		c->out = p;
		c->out_cap = cap;
	}
	conn_rewatch(c);
}

void server_sync(struct server_conn *c)
{
	for (size_t i = 0; i < c->nerrors; i++) {
		server_reply(c, "+%s", c->errors[i]);
		free(c->errors[i]);
	}
	c->nerrors = 0;
	server_reply(c, "OK accepted=%llu rejected=%llu", c->accepted, c->rejected);
}

void server_stats(const struct server *s, unsigned long long *accepted,
                  unsigned long long *rejected, size_t *clients)
{
	*accepted = s->accepted;
	*rejected = s->rejected;
	*clients = s->nconns;
}
