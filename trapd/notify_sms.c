/*
 * notify_sms.c - the "sms" channel: one HTTP request to an SMS gateway per
 * message and phone number, through libcurl's multi interface on the
 * daemon's loop (curlloop.h).
 *
 * Each number in `to` is one destination.  The text (smstext.h) is rendered
 * per message, fitted to max_segments, and carried in one of two shapes:
 *   twilio: POST To/From/Body as a form to
 *           {url or https://api.twilio.com}/2010-04-01/Accounts/{SID}/Messages.json
 *           with HTTP Basic auth SID:token;
 *   http:   the configured method, URL, headers ({token} replaced) and body
 *           template, its placeholders encoded for the content type.
 * Untrusted text (host, service, plugin output) only ever goes into a body,
 * encoded: never into a URL or a header.  TLS is verified, redirects are not
 * followed, only http and https are spoken.  The outcome: 2xx delivered;
 * 429 and 5xx retry (after the gateway's Retry-After, if it gave one); other
 * statuses dead, with the gateway's status line and the start of its answer
 * as the reason; no answer at all (refused, timed out, TLS) retry.  The
 * token and the Authorization header are never logged.
 */
#include <curl/curl.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "channel.h"
#include "curlloop.h"
#include "smstext.h"

#define TWILIO_URL      "https://api.twilio.com"
#define REPLY_MAX       200 /* bytes of the gateway's answer kept for a reason */
#define DEFAULT_CONNECT 10.0
#define DEFAULT_TIMEOUT 30.0
#define JSON_TYPE       "application/json"
#define FORM_TYPE       "application/x-www-form-urlencoded"
#define JSON_BODY       "{\"to\":\"{to}\",\"text\":\"{text}\"}"
#define FORM_BODY       "to={to}&text={text}"
#define RETRY_AFTER_MAX (7 * 86400.0) /* a longer wait asked for is taken as this */

struct sms_channel;

/* One message in flight to one number. */
struct sms_xfer {
	struct sms_xfer *next;
	struct sms_channel *ch;
	CURL *easy;
	char *body;                   /* the request body (libcurl does not copy it) */
	char id[64];                  /* given back to env->done */
	size_t dest;                  /* index in to[] */
	char status[128];             /* the last response's status line, cleaned */
	char reply[REPLY_MAX + 1];    /* the first bytes of its body (raw) */
	size_t nreply;                /*   how many */
	char retry_after[64];         /* its Retry-After value, "" when none */
	char errbuf[CURL_ERROR_SIZE]; /* libcurl's message for a transport error */
};

struct sms_channel {
	const struct channel_env *env;
	char name[64];
	bool twilio;
	char *url;         /* the whole request URL */
	char *from;        /* or NULL */
	char **to;         /* nto numbers */
	char **dest_names; /* "tel:NUMBER" */
	size_t nto;
	char *user, *token;   /* twilio: Basic auth; the token may be NULL for http */
	char *method;         /* "POST" or "PUT" */
	char *body;           /* http: the template */
	enum smstext_enc enc; /* http: how the body's values are encoded */
	char *ca_file;        /* or NULL: the system's CAs */
	unsigned max_segments;
	long connect_ms, timeout_ms;
	/* Content-Type, the configured ones (they may hold the token), "Expect:". */
	struct curl_slist *headers;
	struct curlloop *curl;
	struct sms_xfer *xfers; /* in flight */
};

/* ---- helpers -------------------------------------------------------------------- */

static void sms_log(const struct sms_channel *ch, int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ch->env->log(ch->env->log_arg, priority, fmt, ap);
	va_end(ap);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* strdup that tolerates NULL; sets *OOM when memory ran out. */
static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = true;
	return d;
}

static void wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Expand TMPL with VARS, encoded by ENC, into a new string (*OUT), or -1
 * with ERR. */
static int expand_alloc(const char *tmpl, enum smstext_enc enc, const struct smstext_var *vars,
                        size_t nvars, char **out, char *err, size_t errlen)
{
	int n = smstext_expand(tmpl, enc, vars, nvars, NULL, 0, err, errlen);

	if (n < 0)
		return -1;
	if ((*out = malloc((size_t)n + 1)) == NULL)
		return fail(err, errlen, "out of memory");
	smstext_expand(tmpl, enc, vars, nvars, *out, (size_t)n + 1, err, errlen);
	return 0;
}

/* ---- open ------------------------------------------------------------------------ */

/* Twilio's Messages resource of account SID under BASE. */
static int twilio_url(struct sms_channel *ch, const char *base, const char *sid, char *err,
                      size_t errlen)
{
	size_t blen = strlen(base);
	int slen = smstext_encode(SMSTEXT_PATH, sid, NULL, 0);
	size_t len;

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	len = blen + sizeof("/2010-04-01/Accounts/") + (size_t)slen + sizeof("/Messages.json");
	if ((ch->url = malloc(len)) == NULL)
		return fail(err, errlen, "out of memory");
	snprintf(ch->url, len, "%.*s/2010-04-01/Accounts/", (int)blen, base);
	smstext_encode(SMSTEXT_PATH, sid, ch->url + strlen(ch->url), (size_t)slen + 1);
	strcat(ch->url, "/Messages.json");
	return 0;
}

static int open_twilio(struct sms_channel *ch, const struct config_sms *s, char *err, size_t errlen)
{
	if (s->user == NULL || s->user[0] == '\0' || s->token == NULL || s->from == NULL)
		return fail(err, errlen, "twilio needs user (the account SID), a token and from");
	ch->enc = SMSTEXT_FORM;
	if (twilio_url(ch, s->url != NULL ? s->url : TWILIO_URL, s->user, err, errlen) < 0)
		return -1;
	if ((ch->headers = curl_slist_append(NULL, "Content-Type: " FORM_TYPE)) == NULL)
		return fail(err, errlen, "out of memory");
	return 0;
}

/* The body's encoding from content type TYPE (parameters after ';' allowed). */
static int body_encoding(const char *type, enum smstext_enc *enc)
{
	size_t n = strcspn(type, "; ");

	if (n == strlen(JSON_TYPE) && strncasecmp(type, JSON_TYPE, n) == 0)
		*enc = SMSTEXT_JSON;
	else if (n == strlen(FORM_TYPE) && strncasecmp(type, FORM_TYPE, n) == 0)
		*enc = SMSTEXT_FORM;
	else
		return -1;
	return 0;
}

/* The configured headers, {token} replaced, after the Content-Type. */
static int http_headers(struct sms_channel *ch, const struct config_sms *s, const char *type,
                        char *err, size_t errlen)
{
	const struct smstext_var token = {"token", s->token};
	char *line, *ct;
	size_t i;

	if (asprintf(&ct, "Content-Type: %s", type) < 0)
		return fail(err, errlen, "out of memory");
	ch->headers = curl_slist_append(NULL, ct);
	free(ct);
	if (ch->headers == NULL)
		return fail(err, errlen, "out of memory");
	for (i = 0; i < s->nheaders; i++) {
		struct curl_slist *l;

		if (expand_alloc(s->headers[i], SMSTEXT_RAW, &token, s->token != NULL ? 1 : 0,
		                 &line, err, errlen) < 0) {
			char why[256];

			snprintf(why, sizeof(why), "%s", err);
			return fail(err, errlen, "headers \"%s\": %s%s", s->headers[i], why,
			            s->token == NULL ? " (no token is configured)" : "");
		}
		l = curl_slist_append(ch->headers, line);
		wipe_free(line);
		if (l == NULL)
			return fail(err, errlen, "out of memory");
	}
	return 0;
}

static int open_http(struct sms_channel *ch, const struct config_sms *s, char *err, size_t errlen)
{
	const char *type = s->content_type != NULL ? s->content_type : JSON_TYPE;
	struct smstext_var vars[SMSTEXT_NVARS];
	struct notice probe;
	char idbuf[24];
	bool oom = false;

	if (s->url == NULL)
		return fail(err, errlen, "provider \"http\" needs a url");
	if (strpbrk(s->url, "{}") != NULL)
		return fail(err, errlen,
		            "url: placeholders are not allowed there (untrusted text never goes "
		            "into a URL): use the body");
	if (body_encoding(type, &ch->enc) < 0)
		return fail(err, errlen, "content_type \"%s\" is neither %s nor %s", type,
		            JSON_TYPE, FORM_TYPE);
	ch->url = dup_or_null(s->url, &oom);
	if (s->body != NULL)
		ch->body = dup_or_null(s->body, &oom);
	else
		ch->body = dup_or_null(ch->enc == SMSTEXT_JSON ? JSON_BODY : FORM_BODY, &oom);
	if (oom)
		return fail(err, errlen, "out of memory");
	/* Refuse an unknown placeholder now rather than at every message. */
	memset(&probe, 0, sizeof(probe));
	smstext_body_vars(vars, "+1", ch->from, "", &probe, idbuf);
	if (smstext_expand(ch->body, ch->enc, vars, SMSTEXT_NVARS, NULL, 0, err, errlen) < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		return fail(err, errlen, "body: %s", why);
	}
	return http_headers(ch, s, type, err, errlen);
}

/* Copy what every message needs from S. */
static int copy_common(struct sms_channel *ch, const struct config_sms *s, char *err, size_t errlen)
{
	bool oom = false;

	if (s->nto == 0)
		return fail(err, errlen, "no number in to");
	ch->to = calloc(s->nto, sizeof(*ch->to));
	ch->dest_names = calloc(s->nto, sizeof(*ch->dest_names));
	if (ch->to == NULL || ch->dest_names == NULL)
		return fail(err, errlen, "out of memory");
	ch->nto = s->nto;
	for (size_t i = 0; i < s->nto; i++) {
		ch->to[i] = dup_or_null(s->to[i], &oom);
		if (asprintf(&ch->dest_names[i], "tel:%s", s->to[i]) < 0) {
			ch->dest_names[i] = NULL;
			oom = true;
		}
	}
	ch->from = dup_or_null(s->from, &oom);
	ch->user = dup_or_null(s->user, &oom);
	ch->token = dup_or_null(s->token, &oom);
	ch->method = dup_or_null(s->method != NULL ? s->method : "POST", &oom);
	ch->ca_file = dup_or_null(s->ca_file, &oom);
	if (oom)
		return fail(err, errlen, "out of memory");
	if (strcmp(ch->method, "POST") != 0 && strcmp(ch->method, "PUT") != 0)
		return fail(err, errlen, "method \"%s\" is neither POST nor PUT", ch->method);
	ch->max_segments = s->max_segments > 0 ? s->max_segments : 1;
	ch->connect_ms =
	        (long)((s->connect_timeout > 0 ? s->connect_timeout : DEFAULT_CONNECT) * 1000);
	ch->timeout_ms = (long)((s->timeout > 0 ? s->timeout : DEFAULT_TIMEOUT) * 1000);
	return 0;
}

static void sms_close(void *state);

static int sms_open(const struct config_channel *cc, const struct channel_env *env, void **state,
                    char *err, size_t errlen)
{
	const struct config_sms *s = &cc->sms;
	struct sms_channel *ch = calloc(1, sizeof(*ch));
	int rc;

	if (ch == NULL)
		return fail(err, errlen, "out of memory");
	ch->env = env;
	snprintf(ch->name, sizeof(ch->name), "%s", cc->name);
	if (s->provider == NULL)
		rc = fail(err, errlen, "no provider");
	else if ((rc = copy_common(ch, s, err, errlen)) == 0) {
		if (strcmp(s->provider, "twilio") == 0) {
			ch->twilio = true;
			rc = open_twilio(ch, s, err, errlen);
		} else if (strcmp(s->provider, "http") == 0) {
			rc = open_http(ch, s, err, errlen);
		} else {
			rc = fail(err, errlen, "provider \"%s\" is neither twilio nor http",
			          s->provider);
		}
	}
	if (rc == 0 && (ch->headers = curl_slist_append(ch->headers, "Expect:")) == NULL)
		rc = fail(err, errlen, "out of memory");
	if (rc == 0 && (ch->curl = curlloop_new(env->loop)) == NULL)
		rc = fail(err, errlen, "libcurl could not be initialised");
	if (rc < 0) {
		sms_close(ch);
		return -1;
	}
	*state = ch;
	return 0;
}

static size_t sms_ndest(void *state)
{
	return ((struct sms_channel *)state)->nto;
}

static const char *sms_dest_name(void *state, size_t dest)
{
	return ((struct sms_channel *)state)->dest_names[dest];
}

/* ---- one request ------------------------------------------------------------------ */

/* CURLOPT_HEADERFUNCTION: keep the status line and Retry-After of the last
 * response (a 100 Continue or an auth challenge may come before it). */
static size_t on_header(char *buf, size_t size, size_t nitems, void *arg)
{
	struct sms_xfer *x = arg;
	size_t len = size * nitems, n = len;

	while (n > 0 && (buf[n - 1] == '\r' || buf[n - 1] == '\n' || buf[n - 1] == ' ' ||
	                 buf[n - 1] == '\t'))
		n--;
	if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		notice_set_text(x->status, sizeof(x->status), buf, n);
		x->retry_after[0] = '\0';
		x->nreply = 0;
	} else if (n > 12 && strncasecmp(buf, "Retry-After:", 12) == 0) {
		size_t skip = 12 + strspn(buf + 12, " \t");

		notice_set_text(x->retry_after, sizeof(x->retry_after), buf + skip, n - skip);
	}
	return len;
}

/* CURLOPT_WRITEFUNCTION: keep the first REPLY_MAX bytes, drop the rest. */
static size_t on_body(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct sms_xfer *x = arg;
	size_t len = size * nmemb, room = REPLY_MAX - x->nreply;

	if (room > 0) {
		memcpy(x->reply + x->nreply, buf, len < room ? len : room);
		x->nreply += len < room ? len : room;
	}
	return len;
}

static bool setup_easy(const struct sms_channel *ch, struct sms_xfer *x)
{
	CURL *e = x->easy;
	bool ok = true;

	ok = ok && curl_easy_setopt(e, CURLOPT_URL, ch->url) == CURLE_OK;
#if CURL_AT_LEAST_VERSION(7, 85, 0)
	ok = ok && curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
#else
	ok = ok && curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	                            (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) == CURLE_OK;
#endif
	ok = ok && curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
	if (ch->ca_file != NULL)
		ok = ok && curl_easy_setopt(e, CURLOPT_CAINFO, ch->ca_file) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ch->connect_ms) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ch->timeout_ms) == CURLE_OK;
	ok = ok &&
	     curl_easy_setopt(e, CURLOPT_USERAGENT, "trendtrapd/" PACKAGE_VERSION) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_HTTPHEADER, ch->headers) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(x->body)) == CURLE_OK;
	if (strcmp(ch->method, "POST") != 0)
		ok = ok && curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, ch->method) == CURLE_OK;
	if (ch->twilio) {
		ok = ok && curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) == CURLE_OK;
		ok = ok && curl_easy_setopt(e, CURLOPT_USERNAME, ch->user) == CURLE_OK;
		ok = ok && curl_easy_setopt(e, CURLOPT_PASSWORD, ch->token) == CURLE_OK;
	}
	ok = ok && curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_HEADERDATA, x) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_WRITEDATA, x) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) == CURLE_OK;
	return ok;
}

/* The request body for TEXT about N to destination DEST. */
static int make_body(const struct sms_channel *ch, size_t dest, const char *text,
                     const struct notice *n, struct sms_xfer *x, char *err, size_t errlen)
{
	struct smstext_var vars[SMSTEXT_NVARS];
	char idbuf[24];
	int len;

	if (!ch->twilio) {
		smstext_body_vars(vars, ch->to[dest], ch->from, text, n, idbuf);
		return expand_alloc(ch->body, ch->enc, vars, SMSTEXT_NVARS, &x->body, err, errlen);
	}
	len = smstext_twilio_body(ch->to[dest], ch->from, text, NULL, 0);
	if ((x->body = malloc((size_t)len + 1)) == NULL)
		return fail(err, errlen, "out of memory");
	smstext_twilio_body(ch->to[dest], ch->from, text, x->body, (size_t)len + 1);
	return 0;
}

static void xfer_free(struct sms_xfer *x)
{
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	free(x->body);
	free(x);
}

static void on_done(void *arg, void *easy, int curlcode);

static int sms_send(void *state, size_t dest, const char *id, const struct notice *const *n,
                    size_t count, char *err, size_t errlen)
{
	struct sms_channel *ch = state;
	struct sms_xfer *x;
	char text[SMSTEXT_MAX];
	struct smstext_count c;

	if (dest >= ch->nto || count == 0)
		return fail(err, errlen, "no such destination or nothing to send");
	smstext_render(n, count, ch->max_segments, text, sizeof(text));
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return fail(err, errlen, "out of memory");
	x->ch = ch;
	x->dest = dest;
	snprintf(x->id, sizeof(x->id), "%s", id);
	if (make_body(ch, dest, text, n[0], x, err, errlen) < 0) {
		xfer_free(x);
		return -1;
	}
	if ((x->easy = curl_easy_init()) == NULL || !setup_easy(ch, x) ||
	    curlloop_add(ch->curl, x->easy, on_done, x) < 0) {
		xfer_free(x);
		return fail(err, errlen, "could not start an HTTP request");
	}
	x->next = ch->xfers;
	ch->xfers = x;
	c = smstext_count(text);
	/* Not the query: an http gateway may take its key there. */
	sms_log(ch, LOG_DEBUG, "sms %s: %s %.*s for %s: %zu %s unit(s) in %zu segment(s)", ch->name,
	        ch->method, (int)strcspn(ch->url, "?"), ch->url, ch->to[dest], c.units,
	        c.coding == SMSTEXT_GSM7 ? "GSM-7" : "UCS-2", c.segments);
	return 0;
}

/* ---- outcomes ------------------------------------------------------------------ */

/* Seconds a Retry-After value V asks to wait: delta-seconds or an HTTP-date;
 * 0 when absent, in the past or unreadable. */
static double retry_after_seconds(const char *v)
{
	double secs = 0;

	if (v[0] == '\0')
		return 0;
	if (strspn(v, "0123456789") == strlen(v)) {
		secs = strtod(v, NULL);
	} else {
		time_t at = curl_getdate(v, NULL);

		if (at != -1)
			secs = difftime(at, time(NULL));
	}
	if (secs < 0)
		secs = 0;
	return secs > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : secs;
}

/* "503 Service Unavailable: <the start of the answer>" into REASON. */
static void http_reason(const struct sms_xfer *x, long status, const char *note, char *reason,
                        size_t len)
{
	char reply[REPLY_MAX + 1];
	const char *line = strchr(x->status, ' ');
	size_t n = 0;

	notice_set_text(reply, sizeof(reply), x->reply, x->nreply);
	while (reply[n] == ' ')
		n++;
	if (line != NULL)
		snprintf(reason, len, "gateway answered %s%s%s%s", line + 1, note,
		         reply[n] != '\0' ? ": " : "", reply + n);
	else
		snprintf(reason, len, "gateway answered HTTP %ld%s%s%s", status, note,
		         reply[n] != '\0' ? ": " : "", reply + n);
}

/* Judge the finished transfer X. */
static enum channel_result judge(struct sms_xfer *x, int curlcode, double *retry_after,
                                 char *reason, size_t len)
{
	long status = 0;

	*retry_after = 0;
	reason[0] = '\0';
	if (curlcode != CURLE_OK) {
		snprintf(reason, len, "no answer from the gateway: %s",
		         x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror((CURLcode)curlcode));
		return CHANNEL_RETRY;
	}
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status <= 299)
		return CHANNEL_DELIVERED;
	if (status == 429 || (status >= 500 && status <= 599)) {
		*retry_after = retry_after_seconds(x->retry_after);
		http_reason(x, status, "", reason, len);
		return CHANNEL_RETRY;
	}
	if (status >= 300 && status <= 399) {
		http_reason(x, status, " (redirects are not followed: fix the url)", reason, len);
		return CHANNEL_DEAD;
	}
	if (status >= 400 && status <= 499) {
		http_reason(x, status, "", reason, len);
		return CHANNEL_DEAD;
	}
	http_reason(x, status, "", reason, len); /* no status, 1xx, 6xx...: odd, try again */
	return CHANNEL_RETRY;
}

static void on_done(void *arg, void *easy, int curlcode)
{
	struct sms_xfer *x = arg, **pp;
	struct sms_channel *ch = x->ch;
	const struct channel_env *env = ch->env;
	enum channel_result result;
	char reason[512], id[64];
	double retry_after;

	(void)easy;
	result = judge(x, curlcode, &retry_after, reason, sizeof(reason));
	for (pp = &ch->xfers; *pp != NULL && *pp != x; pp = &(*pp)->next)
		;
	if (*pp != NULL)
		*pp = x->next;
	sms_log(ch, LOG_DEBUG, "sms %s: %s for %s: %s%s", ch->name, x->id, ch->to[x->dest],
	        result == CHANNEL_DELIVERED ? "delivered"
	        : result == CHANNEL_RETRY   ? "retry: "
	                                    : "dead: ",
	        reason);
	snprintf(id, sizeof(id), "%s", x->id);
	xfer_free(x);
	env->done(env->done_arg, id, result, retry_after, reason); /* may close ch */
}

/* ---- close ------------------------------------------------------------------------ */

static void sms_close(void *state)
{
	struct sms_channel *ch = state;
	struct sms_xfer *x;

	if (ch == NULL)
		return;
	while ((x = ch->xfers) != NULL) {
		ch->xfers = x->next;
		curlloop_remove(ch->curl, x->easy);
		xfer_free(x);
	}
	curlloop_free(ch->curl);
	for (struct curl_slist *l = ch->headers; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data)); /* may hold the token */
	curl_slist_free_all(ch->headers);
	for (size_t i = 0; i < ch->nto; i++) {
		free(ch->to[i]);
		free(ch->dest_names[i]);
	}
	free(ch->to);
	free(ch->dest_names);
	free(ch->url);
	free(ch->from);
	free(ch->user);
	wipe_free(ch->token);
	free(ch->method);
	free(ch->body);
	free(ch->ca_file);
	free(ch);
}

const struct channel_ops channel_sms_ops = {
        .type = "sms",
        .window = 1,
        .open = sms_open,
        .ndest = sms_ndest,
        .dest_name = sms_dest_name,
        .send = sms_send,
        .close = sms_close,
};
