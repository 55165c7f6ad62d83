/*
 * client.c - trendtrap's connection to trendtrapd: a non-blocking Unix stream
 * socket, every wait a poll(2) bounded by the timeout.
 *
 * connect(2) on a Unix socket either completes at once or fails; when the
 * daemon's listen queue is full it fails with EAGAIN (Linux) or goes on in the
 * background (EINPROGRESS elsewhere), so client_open() retries every
 * RETRY_MS until the deadline, or waits for the socket to become writable.
 * Sent data is buffered (results are small lines, often many of them); reply
 * lines are read into a fixed buffer of CLIENT_LINE_MAX bytes.
 */
#include "client.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "errbuf.h"

#define OUT_SIZE 65536 /* send buffer */
#define RETRY_MS 20    /* between connect attempts while the listen queue is full */

struct client {
	int fd;
	int timeout_ms;    /* for every wait */
	size_t outlen;     /* bytes waiting in out */
	size_t start, end; /* in[start..end): received, not yet returned */
	char out[OUT_SIZE];
	char in[CLIENT_LINE_MAX];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until FD is ready for EVENTS, at most TIMEOUT_MS in all (signals do
 * not restart the clock).  Returns 1 when ready, 0 on timeout, -1 on error. */
static int wait_fd(int fd, short events, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct pollfd p = {.fd = fd, .events = events};

	for (;;) {
		int64_t left = deadline - now_ms();
		int n = poll(&p, 1, left > 0 ? (int)left : 0);

		if (n >= 0 || errno != EINTR)
			return n;
	}
}

/* "10s", "0.5s": a timeout in messages. */
static const char *seconds(int ms, char *buf, size_t len)
{
	snprintf(buf, len, "%gs", ms / 1000.0);
	return buf;
}

/* ---- connecting ---- */

/* Why connecting failed with ERRNUM, and what to look at. */
static const char *connect_hint(int errnum)
{
	switch (errnum) {
	case ENOENT:
	case ECONNREFUSED:
		return " (is trendtrapd running?)";
	case EACCES:
	case EPERM:
		return " (connecting needs write permission on the socket)";
	case ENOTSOCK:
		return " (not a socket)";
	default:
		return "";
	}
}

/* Finish a connect that went on in the background. Returns 0 or an errno. */
static int connect_wait(int fd, int64_t deadline)
{
	int64_t left = deadline - now_ms();
	int n = wait_fd(fd, POLLOUT, left > 0 ? (int)left : 0), soerr = 0;
	socklen_t len = sizeof soerr;

	if (n < 0)
		return errno;
	if (n == 0)
		return ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
		return errno;
	return soerr;
}

/* Connect FD to SA before DEADLINE. Returns 0 or an errno. */
static int connect_until(int fd, const struct sockaddr_un *sa, int64_t deadline)
{
	for (;;) {
		if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0 || errno == EISCONN)
			return 0;
		if (errno == EINPROGRESS || errno == EALREADY || errno == EINTR)
			return connect_wait(fd, deadline);
		if (errno != EAGAIN)
			return errno;
		if (now_ms() >= deadline)
			return ETIMEDOUT;
		poll(NULL, 0, RETRY_MS);
	}
}

int client_open(const char *path, int timeout_ms, struct client **out, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct client *c;
	char t[32];
	int e;

	*out = NULL;
	if (path[0] == '\0')
		return errbuf_fail(err, errlen, "cannot connect: the socket path is empty");
	if (strlen(path) >= sizeof sa.sun_path)
		return errbuf_fail(err, errlen, "cannot connect to %s: longer than %zu bytes", path,
		                   sizeof sa.sun_path - 1);
	memcpy(sa.sun_path, path, strlen(path));
	if ((c = malloc(sizeof *c)) == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	c->timeout_ms = timeout_ms;
	c->outlen = c->start = c->end = 0;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	e = c->fd < 0 ? errno : connect_until(c->fd, &sa, now_ms() + timeout_ms);
	if (e == ETIMEDOUT) {
		client_close(c);
		return errbuf_fail(
		        err, errlen,
		        "cannot connect to %s: no connection within %s (is trendtrapd busy?)", path,
		        seconds(timeout_ms, t, sizeof t));
	}
	if (e != 0) {
		client_close(c);
		return errbuf_fail(err, errlen, "cannot connect to %s: %s%s", path, strerror(e),
		                   connect_hint(e));
	}
	*out = c;
	return 0;
}

void client_close(struct client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

/* ---- sending ---- */

/* The daemon closed the connection while we were sending: report the ERR
 * line it may have sent before closing (why it refused), else ERRNUM. */
static int closed_while_sending(struct client *c, int errnum, char *err, size_t errlen)
{
	ssize_t n = recv(c->fd, c->in, sizeof c->in - 1, MSG_DONTWAIT);
	char *line = c->in, *nl;

	c->start = c->end = 0;
	if (n > 0) {
		c->in[n] = '\0';
		while ((nl = strchr(line, '\n')) != NULL && strncmp(line, "ERR ", 4) != 0)
			line = nl + 1;
		if (strncmp(line, "ERR ", 4) == 0) {
			line[strcspn(line, "\r\n")] = '\0';
			return errbuf_fail(err, errlen, "trendtrapd closed the connection: %s",
			                   line + 4);
		}
	}
	return errbuf_fail(err, errlen, "trendtrapd closed the connection (%s)", strerror(errnum));
}

/* Write DATA[0..LEN) to the socket, waiting while it is full. */
static int write_all(struct client *c, const char *data, size_t len, char *err, size_t errlen)
{
	char t[32];

	while (len > 0) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		int ready;

		if (n > 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EPIPE || errno == ECONNRESET)
			return closed_while_sending(c, errno, err, errlen);
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return errbuf_fail(err, errlen, "cannot send to trendtrapd: %s",
			                   strerror(errno));
		ready = wait_fd(c->fd, POLLOUT, c->timeout_ms);
		if (ready < 0)
			return errbuf_fail(err, errlen, "cannot send to trendtrapd: %s",
			                   strerror(errno));
		if (ready == 0)
			return errbuf_fail(err, errlen, "trendtrapd took no data for %s",
			                   seconds(c->timeout_ms, t, sizeof t));
	}
	return 0;
}

int client_flush(struct client *c, char *err, size_t errlen)
{
	int rc = write_all(c, c->out, c->outlen, err, errlen);

	c->outlen = 0;
	return rc;
}

int client_send(struct client *c, const void *data, size_t len, char *err, size_t errlen)
{
	if (c->outlen + len > sizeof c->out && client_flush(c, err, errlen) != 0)
		return -1;
	if (len >= sizeof c->out)
		return write_all(c, data, len, err, errlen);
	memcpy(c->out + c->outlen, data, len);
	c->outlen += len;
	return 0;
}

/* ---- receiving ---- */

/* Receive more bytes into c->in. Returns 1, 0 at end of file, or -1. */
static int fill(struct client *c, char *err, size_t errlen)
{
	char t[32];

	if (c->start > 0) {
		memmove(c->in, c->in + c->start, c->end - c->start);
		c->end -= c->start;
		c->start = 0;
	}
	if (c->end == sizeof c->in)
		return errbuf_fail(err, errlen,
		                   "a reply line from trendtrapd is longer than %d bytes",
		                   CLIENT_LINE_MAX - 1);
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->end, sizeof c->in - c->end, MSG_DONTWAIT);
		int ready;

		if (n >= 0) {
			c->end += (size_t)n;
			return n > 0;
		}
		if (errno == ECONNRESET)
			return 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return errbuf_fail(err, errlen, "cannot read from trendtrapd: %s",
			                   strerror(errno));
		ready = wait_fd(c->fd, POLLIN, c->timeout_ms);
		if (ready < 0)
			return errbuf_fail(err, errlen, "cannot read from trendtrapd: %s",
			                   strerror(errno));
		if (ready == 0)
			return errbuf_fail(err, errlen, "no reply from trendtrapd within %s",
			                   seconds(c->timeout_ms, t, sizeof t));
	}
}

/* The next line, without "\r\n", in *LINE (valid until the next call).
 * Returns 1, 0 at end of file between lines, or -1 (a line cut off too). */
static int read_line(struct client *c, char **line, char *err, size_t errlen)
{
	for (;;) {
		char *s = c->in + c->start, *nl = memchr(s, '\n', c->end - c->start);
		int n;

		if (nl != NULL) {
			*nl = '\0';
			if (nl > s && nl[-1] == '\r')
				nl[-1] = '\0';
			c->start = (size_t)(nl + 1 - c->in);
			*line = s;
			return 1;
		}
		if ((n = fill(c, err, errlen)) <= 0) {
			if (n == 0 && c->end > c->start)
				return errbuf_fail(err, errlen,
				                   "trendtrapd closed the connection in the middle "
				                   "of a reply line");
			return n;
		}
	}
}

/* If LINE is WORD alone or WORD, a space and a text: that text ("" when
 * alone); else NULL. */
static const char *final_text(const char *line, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(line, word, n) != 0)
		return NULL;
	if (line[n] == '\0')
		return line + n;
	return line[n] == ' ' ? line + n + 1 : NULL;
}

int client_reply(struct client *c, client_data_fn *fn, void *arg, char *text, size_t textlen,
                 char *err, size_t errlen)
{
	const char *ok, *bad;
	char *line = NULL;
	bool data = false;
	int n;

	if (client_flush(c, err, errlen) != 0)
		return -1;
	while ((n = read_line(c, &line, err, errlen)) > 0) {
		if (line[0] == '+') {
			fn(arg, line + 1);
			data = true;
			continue;
		}
		ok = final_text(line, "OK");
		bad = ok ? NULL : final_text(line, "ERR");
		if (ok == NULL && bad == NULL)
			return errbuf_fail(err, errlen,
			                   "unexpected reply from trendtrapd: '%.200s'", line);
		snprintf(text, textlen, "%s", ok ? ok : bad);
		return ok ? CLIENT_OK : CLIENT_ERR;
	}
	if (n == 0)
		return errbuf_fail(err, errlen, "trendtrapd closed the connection %s",
		                   data ? "before the end of its reply" : "without a reply");
	return -1;
}

/* ---- encoding ---- */

int client_check_field(const char *what, const char *value, bool last, char *err, size_t errlen)
{
	const char *s;

	if (value[0] == '\0')
		return errbuf_fail(err, errlen, "%s is empty", what);
	for (s = value; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return errbuf_fail(err, errlen,
			                   "%s has a control character, which the socket protocol "
			                   "cannot carry",
			                   what);
	if (!last && strchr(value, ';') != NULL)
		return errbuf_fail(err, errlen,
		                   "%s '%s' has a ';', which the socket protocol cannot carry",
		                   what, value);
	return 0;
}

char *client_result_line(int64_t now, const char *host, const char *service, int rc,
                         const char *output)
{
	size_t len = strlen(output), i;
	char *line, *o;
	int n;

	while (len > 0 && (output[len - 1] == '\n' || output[len - 1] == '\r'))
		len--;
	/* the prefix, host, service, rc and at worst two bytes per output byte */
	line = malloc(64 + strlen(host) + strlen(service) + 2 * len + 2);
	if (line == NULL)
		return NULL;
	n = sprintf(line, "[%" PRId64 "] PROCESS_SERVICE_CHECK_RESULT;%s;%s;%d;", now, host,
	            service, rc);
	o = line + n;
	for (i = 0; i < len; i++) {
		if (output[i] == '\r' && i + 1 < len && output[i + 1] == '\n')
			continue;
		if (output[i] == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else {
			*o++ = output[i];
		}
	}
	*o++ = '\n';
	*o = '\0';
	return line;
}

bool client_is_control(const char *line)
{
	const char *p = line + strspn(line, " \t");

	if (*p == '[') {
		const char *close = strchr(p, ']');

		if (close == NULL)
			return false;
		p = close + 1;
		p += strspn(p, " \t");
	}
	return strncasecmp(p, "TRENDTRAP_", 10) == 0;
}

/* The number after "KEY=" as a word of TEXT. */
static int count_of(const char *text, const char *key, uint64_t *out)
{
	size_t n = strlen(key);
	const char *p = text;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == text || p[-1] == ' ') && p[n] >= '0' && p[n] <= '9') {
			char *end;

			errno = 0;
			*out = strtoull(p + n, &end, 10);
			if (errno == 0 && (*end == '\0' || *end == ' '))
				return 0;
		}
		p += n;
	}
	return -1;
}

int client_sync_counts(const char *text, uint64_t *accepted, uint64_t *rejected)
{
	if (count_of(text, "accepted=", accepted) != 0 ||
	    count_of(text, "rejected=", rejected) != 0)
		return -1;
	return 0;
}

int client_rejected_line(const char *text, uint64_t *line, const char **message)
{
	char *end;

	if (strncmp(text, "line ", 5) != 0 || text[5] < '0' || text[5] > '9')
		return -1;
	errno = 0;
	*line = strtoull(text + 5, &end, 10);
	if (errno != 0 || end[0] != ':')
		return -1;
	*message = end[1] == ' ' ? end + 2 : end + 1;
	return 0;
}
