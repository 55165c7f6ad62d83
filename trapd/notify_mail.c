/*
 * notify_mail.c - the "mail" channel: each notification (or digest) as one
 * e-mail over SMTP, through libcurl's multi interface on trendtrapd's loop
 * (curlloop.h).
 *
 * One destination per recipient: each send is one SMTP transaction with one
 * RCPT, so a recipient the server refuses holds back no one else.  The
 * message comes from mailmsg.h (complete RFC 5322, CRLF; libcurl does the
 * dot-stuffing).  TLS is required (smtps://, or STARTTLS on smtp://) unless
 * the config says tls = "none"; certificates are verified, against ca_file
 * when given.  libcurl may keep a connection open between sends and reuse it.
 *
 * Outcomes: the server took the message -> DELIVERED.  A 5xx answer to RCPT
 * or DATA (or to the message itself) is permanent -> DEAD.  Everything else
 * -> RETRY: connection, timeout and TLS failures, 4xx answers, a refused
 * AUTH (535: the config may be being fixed; max_age ends it), a refused MAIL
 * FROM.  To tell which command a reply answered, libcurl's debug callback
 * records the verb of each command sent (from a fixed list, so never an AUTH
 * payload) and the first line of each reply.  The password is never logged.
 */
#include <curl/curl.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "channel.h"
#include "clock.h"
#include "curlloop.h"
#include "errbuf.h"
#include "mailmsg.h"

#define DEFAULT_CONNECT_TIMEOUT 10.0 /* seconds, when the config says 0 */
#define DEFAULT_TIMEOUT         60.0

struct mail_channel;

/* One message in flight to one recipient. */
struct mail_send {
	struct mail_send *next;
	struct mail_channel *ch;
	CURL *easy;
	struct curl_slist *rcpt; /* the one recipient: CURLOPT_MAIL_RCPT */
	char *msg;               /* from mailmsg_build() */
	size_t len, pos;         /* its length, and how much libcurl has read */
	size_t dest;
	char id[64];     /* the outbox's id, given back to env->done */
	char verb[12];   /* the last SMTP command sent: "RCPT", "DATA", ... */
	bool body_sent;  /* the message went out: the next reply answers it */
	bool quitting;   /* QUIT sent: later replies say nothing of the outcome */
	char reply[200]; /* the first line of the server's last reply, cleaned */
	char errbuf[CURL_ERROR_SIZE];
};

struct mail_channel {
	const struct channel_env *env;
	char *name;
	struct curlloop *curl;
	struct mail_send *sends; /* in flight */
	char *url, *from, *user, *password, *ca_file;
	char **to;
	size_t nto;
	long use_ssl; /* CURLUSESSL_ALL, or CURLUSESSL_NONE for tls = "none" */
	long connect_ms, timeout_ms;
};

/* ---- open and close ------------------------------------------------------ */

static void channel_free(struct mail_channel *ch)
{
	if (ch == NULL)
		return;
	while (ch->sends != NULL) {
		struct mail_send *s = ch->sends;

		ch->sends = s->next;
		curlloop_remove(ch->curl, s->easy);
		curl_easy_cleanup(s->easy);
		curl_slist_free_all(s->rcpt);
		free(s->msg);
		free(s);
	}
	curlloop_free(ch->curl); /* after the easy handles: it may end libcurl */
	for (size_t i = 0; i < ch->nto; i++)
		free(ch->to[i]);
	free(ch->to);
	if (ch->password != NULL) {
		explicit_bzero(ch->password, strlen(ch->password));
		free(ch->password);
	}
	free(ch->name);
	free(ch->url);
	free(ch->from);
	free(ch->user);
	free(ch->ca_file);
	free(ch);
}

/* A copy of S (NULL stays NULL); false when memory ran out. */
static bool dup_opt(const char *s, char **out)
{
	*out = s != NULL ? strdup(s) : NULL;
	return s == NULL || *out != NULL;
}

static long seconds_ms(double secs, double dflt)
{
	return (long)((secs > 0 ? secs : dflt) * 1000);
}

/* Check what libcurl will be given: addresses that cannot smuggle SMTP
 * commands or headers (CR, LF, '>' ...), a URL of our two schemes. */
static int check_config(const struct config_mail *m, char *err, size_t errlen)
{
	if (m->url == NULL ||
	    (strncmp(m->url, "smtp://", 7) != 0 && strncmp(m->url, "smtps://", 8) != 0))
		return errbuf_fail(err, errlen, "url is not smtp:// or smtps://");
	if (strpbrk(m->url, "\r\n") != NULL)
		return errbuf_fail(err, errlen, "url has a line break");
	if (m->from == NULL || !mailmsg_address_ok(m->from))
		return errbuf_fail(err, errlen,
		                   "from is not an address this channel can use (LOCAL@DOMAIN, "
		                   "printable ASCII)");
	if (m->nto == 0)
		return errbuf_fail(err, errlen, "no recipient");
	for (size_t i = 0; i < m->nto; i++)
		if (!mailmsg_address_ok(m->to[i]))
			return errbuf_fail(err, errlen,
			                   "recipient %zu of to is not an address this channel "
			                   "can use (LOCAL@DOMAIN, printable ASCII)",
			                   i + 1);
	return 0;
}

static int mail_open(const struct config_channel *cc, const struct channel_env *env, void **state,
                     char *err, size_t errlen)
{
	const struct config_mail *m = &cc->mail;
	struct mail_channel *ch;
	bool ok;

	if (check_config(m, err, errlen) < 0)
		return -1;
	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	ch->env = env;
	ok = dup_opt(cc->name, &ch->name) && dup_opt(m->url, &ch->url) &&
	     dup_opt(m->from, &ch->from) && dup_opt(m->user, &ch->user) &&
	     dup_opt(m->password, &ch->password) && dup_opt(m->ca_file, &ch->ca_file) &&
	     (ch->to = calloc(m->nto, sizeof(char *))) != NULL;
	for (size_t i = 0; ok && i < m->nto; i++, ch->nto++)
		ok = dup_opt(m->to[i], &ch->to[i]);
	if (!ok) {
		channel_free(ch);
		return errbuf_fail(err, errlen, "out of memory");
	}
	/* TLS always, except on smtp:// with tls = "none" (the config refuses
	 * that together with a password). */
	ch->use_ssl = m->starttls || strncmp(m->url, "smtps://", 8) == 0 ? (long)CURLUSESSL_ALL
	                                                                 : (long)CURLUSESSL_NONE;
	ch->connect_ms = seconds_ms(m->connect_timeout, DEFAULT_CONNECT_TIMEOUT);
	ch->timeout_ms = seconds_ms(m->timeout, DEFAULT_TIMEOUT);
	if ((ch->curl = curlloop_new(env->loop)) == NULL) {
		channel_free(ch);
		return errbuf_fail(err, errlen, "libcurl could not be initialised");
	}
	*state = ch;
	return 0;
}

static size_t mail_ndest(void *state)
{
	return ((struct mail_channel *)state)->nto;
}

static const char *mail_dest_name(void *state, size_t dest)
{
	struct mail_channel *ch = state;

	return dest < ch->nto ? ch->to[dest] : "?";
}

static void mail_close(void *state)
{
	channel_free(state);
}

/* ---- libcurl's callbacks ---------------------------------------------------- */

static size_t on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct mail_send *s = arg;
	size_t n = size * nitems;

	if (n > s->len - s->pos)
		n = s->len - s->pos;
	memcpy(buf, s->msg + s->pos, n);
	s->pos += n;
	return n;
}

/* libcurl rewinds when it sends again on a new connection. */
static int on_seek(void *arg, curl_off_t offset, int origin)
{
	struct mail_send *s = arg;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > s->len)
		return CURL_SEEKFUNC_CANTSEEK;
	s->pos = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* The verb of the SMTP command line DATA, if it is one we know; other lines
 * (the AUTH LOGIN user and password, base64) leave S->verb unchanged.  QUIT
 * comes after the outcome (libcurl says goodbye after a failure too). */
static void note_command(struct mail_send *s, const char *data, size_t size)
{
	static const char *const verbs[] = {"EHLO", "HELO", "STARTTLS", "AUTH",
	                                    "MAIL", "RCPT", "DATA",     "RSET"};

	if (size >= 4 && memcmp(data, "QUIT", 4) == 0) {
		s->quitting = true; /* after the outcome: keep what we know */
		return;
	}

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		size_t n = strlen(verbs[i]);

		if (size >= n && memcmp(data, verbs[i], n) == 0 &&
		    (size == n || strchr(" :\r\n", data[n]) != NULL)) {
			snprintf(s->verb, sizeof(s->verb), "%s", verbs[i]);
			return;
		}
	}
}

/* Keep the first line of a reply, printable ASCII only. */
static void note_reply(struct mail_send *s, const char *data, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < size && data[i] != '\r' && data[i] != '\n'; i++)
		if (o + 1 < sizeof(s->reply))
			s->reply[o++] = data[i] >= 0x20 && data[i] < 0x7f ? data[i] : '?';
	s->reply[o] = '\0';
}

static int on_debug(CURL *easy, curl_infotype type, char *data, size_t size, void *arg)
{
	struct mail_send *s = arg;

	(void)easy;
	if (s->quitting)
		return 0;
	if (type == CURLINFO_HEADER_OUT)
		note_command(s, data, size);
	else if (type == CURLINFO_HEADER_IN &&
	         !(s->verb[0] == 'A' && size >= 3 && memcmp(data, "334", 3) == 0))
		note_reply(s, data, size); /* not an AUTH challenge */
	else if (type == CURLINFO_DATA_OUT && strcmp(s->verb, "DATA") == 0)
		s->body_sent = true;
	return 0;
}

/* ---- sending ---------------------------------------------------------------- */

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if ((rc = curl_easy_setopt(e, opt, val)) != CURLE_OK) {                            \
			what = #opt;                                                               \
			goto refused;                                                              \
		}                                                                                  \
	} while (0)

/* Every option of S's transfer.  Returns 0, or -1 with ERR set. */
static int setup(struct mail_send *s, char *err, size_t errlen)
{
	const struct mail_channel *ch = s->ch;
	CURL *e = s->easy;
	const char *what;
	CURLcode rc;

	SET(CURLOPT_URL, ch->url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_USE_SSL, ch->use_ssl);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (ch->ca_file != NULL)
		SET(CURLOPT_CAINFO, ch->ca_file);
	if (ch->user != NULL) {
		SET(CURLOPT_USERNAME, ch->user);
		SET(CURLOPT_PASSWORD, ch->password != NULL ? ch->password : "");
	}
	SET(CURLOPT_MAIL_FROM, ch->from);
	SET(CURLOPT_MAIL_RCPT, s->rcpt);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, on_read);
	SET(CURLOPT_READDATA, s);
	SET(CURLOPT_SEEKFUNCTION, on_seek);
	SET(CURLOPT_SEEKDATA, s);
	SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)s->len);
	SET(CURLOPT_CONNECTTIMEOUT_MS, ch->connect_ms);
	SET(CURLOPT_TIMEOUT_MS, ch->timeout_ms);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, s->errbuf);
	SET(CURLOPT_DEBUGFUNCTION, on_debug);
	SET(CURLOPT_DEBUGDATA, s);
	SET(CURLOPT_VERBOSE, 1L); /* feeds on_debug only */
	return 0;
refused:
	return errbuf_fail(err, errlen, "libcurl refused %s: %s", what, curl_easy_strerror(rc));
}

#undef SET

static void send_free(struct mail_send *s)
{
	curl_easy_cleanup(s->easy);
	curl_slist_free_all(s->rcpt);
	free(s->msg);
	free(s);
}

/* What the transfer's end means for the outbox; REASON for anything but
 * DELIVERED. */
static enum channel_result judge(struct mail_send *s, CURLcode rc, char *reason, size_t len)
{
	const char *text = s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(rc);
	long code = 0;
	bool permanent;

	if (rc == CURLE_OK)
		return CHANNEL_DELIVERED;
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
	permanent = code >= 500 && code <= 599 && rc != CURLE_LOGIN_DENIED &&
	            (strcmp(s->verb, "RCPT") == 0 || strcmp(s->verb, "DATA") == 0);
	if (code > 0 && s->reply[0] != '\0')
		snprintf(reason, len, "%s (curl error %d; SMTP %ld to %s: %s)", text, (int)rc, code,
		         s->body_sent ? "the message"
		         : s->verb[0] ? s->verb
		                      : "connect",
		         s->reply);
	else
		snprintf(reason, len, "%s (curl error %d)", text, (int)rc);
	return permanent ? CHANNEL_DEAD : CHANNEL_RETRY;
}

static void on_transfer_done(void *arg, void *easy, int curlcode)
{
	struct mail_send *s = arg, **pp;
	struct mail_channel *ch = s->ch;
	const struct channel_env *env = ch->env;
	char id[sizeof(s->id)], reason[512] = "";
	enum channel_result result;

	(void)easy;
	for (pp = &ch->sends; *pp != s; pp = &(*pp)->next)
		;
	*pp = s->next;
	result = judge(s, (CURLcode)curlcode, reason, sizeof(reason));
	channel_log(env, LOG_DEBUG, "mail %s: %s to %s: %s%s", ch->name, s->id, ch->to[s->dest],
	            result == CHANNEL_DELIVERED ? "delivered"
	            : result == CHANNEL_DEAD    ? "refused: "
	                                        : "failed: ",
	            reason);
	snprintf(id, sizeof(id), "%s", s->id);
	send_free(s);
	/* Last: done may send again, or close the channel. */
	env->done(env->done_arg, id, result, 0, reason);
}

static int mail_send(void *state, size_t dest, const char *id, const struct notice *const *n,
                     size_t count, char *err, size_t errlen)
{
	struct mail_channel *ch = state;
	struct mail_send *s;
	int64_t now;

	if (dest >= ch->nto)
		return errbuf_fail(err, errlen, "no destination %zu", dest);
	if (clock_now(&now, err, errlen) < 0)
		return -1;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	s->ch = ch;
	s->dest = dest;
	snprintf(s->id, sizeof(s->id), "%s", id);
	if (mailmsg_build(n, count, ch->from, ch->to[dest], now, &s->msg, &s->len, err, errlen) <
	    0) {
		free(s);
		return -1;
	}
	if ((s->rcpt = curl_slist_append(NULL, ch->to[dest])) == NULL ||
	    (s->easy = curl_easy_init()) == NULL) {
		send_free(s);
		return errbuf_fail(err, errlen, "out of memory");
	}
	if (setup(s, err, errlen) < 0) {
		send_free(s);
		return -1;
	}
	if (curlloop_add(ch->curl, s->easy, on_transfer_done, s) < 0) {
		send_free(s);
		return errbuf_fail(err, errlen, "libcurl refused the transfer");
	}
	s->next = ch->sends;
	ch->sends = s;
	channel_log(ch->env, LOG_DEBUG, "mail %s: sending %s to %s (%zu notices, %zu bytes)",
	            ch->name, id, ch->to[dest], count, s->len);
	return 0;
}

const struct channel_ops channel_mail_ops = {
        .type = "mail",
        .window = 1,
        .open = mail_open,
        .ndest = mail_ndest,
        .dest_name = mail_dest_name,
        .send = mail_send,
        .close = mail_close,
};
