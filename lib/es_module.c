/*
 * es_module.c - the Elasticsearch module trendtrap-es.so: the only code that
 * includes libcurl and json-c.
 *
 * One request: POST {url}/{index}/_search with a body that filters on the
 * time range (and the query_string, when given) and asks for a
 * date_histogram with an "errors" filter sub-aggregation; min_doc_count 0
 * and extended_bounds make Elasticsearch return every bucket, empty ones
 * too. The answer is checked as strictly as it is built: a response that is
 * not Elasticsearch's, timed out, lost shards or holds buckets we did not
 * ask for is an error, never a silent zero. Error messages carry
 * Elasticsearch's own reason, or curl's words for transport failures, and
 * pass through redact() so that no secret leaves this file.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json.h>

#include "es_module.h"

#define URL_MAX      4096
#define MS_PER_S     1000
#define TIMEOUT_DFLT 10.0 /* seconds, when the source says <= 0 */

/* The buckets a request covers: N of BUCKET seconds from FIRST. */
struct plan {
	int64_t first; /* start of the first bucket (a multiple of BUCKET) */
	size_t n;
	int bucket;
};

/* A response body as it arrives. */
struct reply {
	char *p;
	size_t len, cap;
	bool too_big; /* stopped at ES_MAX_RESPONSE */
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static bool given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static const char *time_field(const struct es_source *s)
{
	return given(s->time_field) ? s->time_field : "@timestamp";
}

static const char *status_field(const struct es_source *s)
{
	return given(s->status_field) ? s->status_field : "status";
}

/* floor(A / B) for B > 0 */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && a < 0);
}

static int plan_buckets(int64_t from, int64_t to, int bucket, struct plan *p, char *err,
                        size_t errlen)
{
	int64_t limit = INT64_MAX / MS_PER_S - 1;

	if (bucket <= 0)
		return fail(err, errlen, "bucket of %d s: must be positive", bucket);
	if (from >= to || from < -limit || to > limit)
		return fail(err, errlen, "bad time range [%lld, %lld)", (long long)from,
		            (long long)to);
	p->bucket = bucket;
	p->first = floor_div(from, bucket) * bucket;
	if ((floor_div(to - 1, bucket) * bucket - p->first) / bucket >= ES_MAX_BUCKETS)
		return fail(err, errlen, "more than %d buckets of %d s asked for", ES_MAX_BUCKETS,
		            bucket);
	p->n = (size_t)((floor_div(to - 1, bucket) * bucket - p->first) / bucket + 1);
	return 0;
}

/* ---- the URL ------------------------------------------------------------ */

/* URL as shown in messages: without "user:password@". */
static void shown_url(const char *url, char *buf, size_t len)
{
	const char *host = url != NULL ? strstr(url, "://") : NULL;
	const char *at, *end;

	if (host == NULL) {
		snprintf(buf, len, "%s", url != NULL ? url : "(no URL)");
		return;
	}
	host += 3;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	if (at == NULL)
		snprintf(buf, len, "%s", url);
	else
		snprintf(buf, len, "%.*s%s", (int)(host - url), url, at + 1);
	/* one line, whatever the user gave */
	for (char *c = buf; *c != '\0'; c++)
		if ((unsigned char)*c < ' ')
			*c = '?';
}

static int check_base(const char *url, char *err, size_t errlen)
{
	char shown[URL_MAX];
	size_t skip;

	if (!given(url))
		return fail(err, errlen, "no Elasticsearch URL");
	shown_url(url, shown, sizeof(shown));
	if (strncasecmp(url, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		skip = 8;
	else
		return fail(err, errlen,
		            "Elasticsearch URL %s: must start with http:// or https://", shown);
	if (url[skip] == '\0' || url[skip] == '/')
		return fail(err, errlen, "Elasticsearch URL %s: no host", shown);
	for (const char *c = url; *c != '\0'; c++)
		if ((unsigned char)*c <= ' ' || *c == '?' || *c == '#' || *c == 0x7f)
			return fail(
			        err, errlen,
			        "Elasticsearch URL %s: no spaces, control characters, query (?) "
			        "or fragment (#) allowed",
			        shown);
	return 0;
}

static bool index_char(char c)
{
	return isalnum((unsigned char)c) || strchr("._-*,:+", c) != NULL;
}

static int check_index(const char *index, char *err, size_t errlen)
{
	if (!given(index))
		return fail(err, errlen, "no Elasticsearch index pattern");
	for (const char *c = index; *c != '\0'; c++) {
		if (index_char(*c))
			continue;
		if (*c == ' ')
			return fail(err, errlen, "index pattern '%s': a space is not allowed",
			            index);
		if ((unsigned char)*c < ' ' || (unsigned char)*c >= 0x7f)
			return fail(
			        err, errlen,
			        "index pattern: byte 0x%02x is not allowed (letters, digits and "
			        ". _ - * , : + only)",
			        (unsigned)(unsigned char)*c);
		return fail(err, errlen,
		            "index pattern '%s': '%c' is not allowed (letters, digits and "
		            ". _ - * , : + only)",
		            index, *c);
	}
	return 0;
}

static int build_url(const struct es_source *s, char *buf, size_t len, char *err, size_t errlen)
{
	size_t base, used;

	if (check_base(s->url, err, errlen) != 0 || check_index(s->index, err, errlen) != 0)
		return -1;
	base = strlen(s->url);
	while (base > 0 && s->url[base - 1] == '/')
		base--;
	used = (size_t)snprintf(buf, len, "%.*s/", (int)base, s->url);
	for (const char *c = s->index; *c != '\0' && used < len; c++) {
		/* unreserved characters and '*' stay; ',', ':' and '+' are encoded */
		if (isalnum((unsigned char)*c) || strchr("._-*", *c) != NULL)
			used += (size_t)snprintf(buf + used, len - used, "%c", *c);
		else
			used += (size_t)snprintf(buf + used, len - used, "%%%02X",
			                         (unsigned)(unsigned char)*c);
	}
	if (used < len)
		used += (size_t)snprintf(buf + used, len - used, "/_search");
	if (used >= len)
		return fail(err, errlen, "Elasticsearch URL and index pattern too long");
	return 0;
}

/* ---- the request body ----------------------------------------------------- */

static json_object *wrap(const char *key, json_object *value)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, value);
	return o;
}

/* {"range":{FIELD:{K1:V1,K2:V2[,"format":FORMAT]}}}: every range clause. */
static json_object *range(const char *field, const char *k1, int64_t v1, const char *k2, int64_t v2,
                          const char *format)
{
	json_object *bounds = json_object_new_object(), *r = json_object_new_object();

	json_object_object_add(bounds, k1, json_object_new_int64(v1));
	json_object_object_add(bounds, k2, json_object_new_int64(v2));
	if (format != NULL)
		json_object_object_add(bounds, "format", json_object_new_string(format));
	json_object_object_add(r, field, bounds);
	return wrap("range", r);
}

/* {"bool":{"filter":[time range, query_string]}} */
static json_object *query_part(const struct es_source *s, int64_t from_ms, int64_t to_ms)
{
	json_object *filter = json_object_new_array();

	json_object_array_add(filter,
	                      range(time_field(s), "gte", from_ms, "lt", to_ms, "epoch_millis"));
	if (given(s->query))
		json_object_array_add(
		        filter,
		        wrap("query_string", wrap("query", json_object_new_string(s->query))));
	return wrap("bool", wrap("filter", filter));
}

/* {"filter":{"bool":{"should":[status ranges],"minimum_should_match":1}}} */
static json_object *errors_part(const struct es_source *s)
{
	json_object *should = json_object_new_array(), *b = json_object_new_object();

	for (size_t i = 0; i < s->errors->n; i++)
		json_object_array_add(should, range(status_field(s), "gte", s->errors->r[i].lo,
		                                    "lte", s->errors->r[i].hi, NULL));
	json_object_object_add(b, "should", should);
	json_object_object_add(b, "minimum_should_match", json_object_new_int(1));
	return wrap("filter", wrap("bool", b));
}

static json_object *aggs_part(const struct es_source *s, int64_t from_ms, int64_t to_ms, int bucket)
{
	json_object *h = json_object_new_object(), *bounds = json_object_new_object(),
	            *b = json_object_new_object();
	char interval[32];

	snprintf(interval, sizeof(interval), "%ds", bucket);
	json_object_object_add(bounds, "min", json_object_new_int64(from_ms));
	json_object_object_add(bounds, "max", json_object_new_int64(to_ms - 1));
	json_object_object_add(h, "field", json_object_new_string(time_field(s)));
	json_object_object_add(h, "fixed_interval", json_object_new_string(interval));
	json_object_object_add(h, "min_doc_count", json_object_new_int(0));
	json_object_object_add(h, "extended_bounds", bounds);
	json_object_object_add(b, "date_histogram", h);
	json_object_object_add(b, "aggs", wrap("errors", errors_part(s)));
	return wrap("buckets", b);
}

static char *build_body(const struct es_source *s, int64_t from, int64_t to, int bucket, char *err,
                        size_t errlen)
{
	struct plan p;
	json_object *root;
	char *text;

	if (plan_buckets(from, to, bucket, &p, err, errlen) != 0)
		return NULL;
	if (s->errors == NULL || s->errors->n == 0 || s->errors->n > STATUSSET_MAX) {
		fail(err, errlen, "no error statuses given");
		return NULL;
	}
	root = json_object_new_object();
	json_object_object_add(root, "size", json_object_new_int(0));
	json_object_object_add(root, "track_total_hits", json_object_new_boolean(0));
	json_object_object_add(root, "query", query_part(s, from * MS_PER_S, to * MS_PER_S));
	json_object_object_add(root, "aggs", aggs_part(s, from * MS_PER_S, to * MS_PER_S, bucket));
	text = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
	                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	if (text == NULL)
		fail(err, errlen, "out of memory");
	return text;
}

/* ---- the response ----------------------------------------------------------- */

/* KEY of object O, or NULL (also when O is not an object). */
static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
	                                                             : NULL;
}

/* Integer KEY of O into *V. Returns 0, or -1 when absent or not an integer. */
static int get_int(json_object *o, const char *key, int64_t *v)
{
	json_object *j = get(o, key);

	if (j == NULL || !json_object_is_type(j, json_type_int))
		return -1;
	*v = json_object_get_int64(j);
	return 0;
}

/* The whole of BODY[0..LEN) as one JSON object, or NULL. */
static json_object *parse_object(const char *body, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *o = NULL;
	size_t end;

	if (tok == NULL || body == NULL || len == 0 || len > INT_MAX)
		goto out;
	o = json_tokener_parse_ex(tok, body, (int)len);
	end = json_tokener_get_parse_end(tok);
	while (o != NULL && end < len && isspace((unsigned char)body[end]))
		end++;
	if (o != NULL && (end < len || !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
out:
	json_tokener_free(tok);
	return o;
}

/* An error body: {"error":{"root_cause":[{"type","reason"}],"type","reason"},
 * "status"} or, from old versions and some plugins, {"error":"text"}. */
static int es_error(json_object *root, long status, const char *where, char *err, size_t errlen)
{
	json_object *e = get(root, "error"), *rc = get(e, "root_cause"), *first = NULL;
	const char *reason, *type;

	if (e != NULL && json_object_is_type(e, json_type_string))
		return fail(err, errlen, "Elasticsearch: %s (HTTP %ld)", json_object_get_string(e),
		            status);
	if (rc != NULL && json_object_is_type(rc, json_type_array) &&
	    json_object_array_length(rc) > 0)
		first = json_object_array_get_idx(rc, 0);
	reason = get_str(first, "reason") != NULL ? get_str(first, "reason") : get_str(e, "reason");
	type = get_str(first, "type") != NULL ? get_str(first, "type") : get_str(e, "type");
	if (reason == NULL && type == NULL)
		return fail(err, errlen, "HTTP %ld from %s: not an Elasticsearch response", status,
		            where);
	if (reason == NULL || type == NULL)
		return fail(err, errlen, "Elasticsearch: %s (HTTP %ld)",
		            reason != NULL ? reason : type, status);
	return fail(err, errlen, "Elasticsearch: %s (%s, HTTP %ld)", reason, type, status);
}

/* "_shards": {"total","successful","skipped","failed","failures":[...]} */
static int check_shards(json_object *root, const char *index, char *err, size_t errlen)
{
	json_object *sh = get(root, "_shards"), *failures = get(sh, "failures"), *why = NULL;
	int64_t total, failed;

	if (get_int(sh, "total", &total) != 0 || get_int(sh, "failed", &failed) != 0)
		return fail(err, errlen, "Elasticsearch response without _shards.total/failed");
	if (failed > 0) {
		if (failures != NULL && json_object_is_type(failures, json_type_array) &&
		    json_object_array_length(failures) > 0)
			why = get(json_object_array_get_idx(failures, 0), "reason");
		return fail(err, errlen, "Elasticsearch: %lld of %lld shards failed: %s (%s)",
		            (long long)failed, (long long)total,
		            get_str(why, "reason") != NULL ? get_str(why, "reason")
		                                           : "no reason given",
		            get_str(why, "type") != NULL ? get_str(why, "type") : "shard failure");
	}
	if (total == 0)
		return fail(err, errlen, "Elasticsearch: no index matches [%s] (0 shards searched)",
		            index);
	return 0;
}

/* Store one histogram bucket B into OUT[0..P->n). */
static int take_bucket(json_object *b, const struct plan *p, struct sample *out, bool *seen,
                       char *err, size_t errlen)
{
	int64_t key, docs, errors, step = (int64_t)p->bucket * MS_PER_S, i;

	if (get_int(b, "key", &key) != 0 || get_int(b, "doc_count", &docs) != 0 ||
	    get_int(get(b, "errors"), "doc_count", &errors) != 0)
		return fail(err, errlen,
		            "Elasticsearch response: a bucket without key, doc_count "
		            "or errors.doc_count");
	if (docs < 0 || errors < 0 || errors > docs)
		return fail(err, errlen,
		            "Elasticsearch response: bucket %lld has %lld errors in %lld documents",
		            (long long)key, (long long)errors, (long long)docs);
	i = floor_div(key, step) - p->first / p->bucket;
	if (key % step != 0 || i < 0 || (uint64_t)i >= p->n || seen[i])
		return fail(err, errlen,
		            "Elasticsearch response: unexpected bucket key %lld (want multiples of "
		            "%lld ms from %lld, each once)",
		            (long long)key, (long long)step, (long long)(p->first * MS_PER_S));
	seen[i] = true;
	out[i].capacity = (double)docs;
	out[i].value = (double)errors;
	return 0;
}

static int take_buckets(json_object *root, const struct plan *p, struct sample *out, char *err,
                        size_t errlen)
{
	json_object *arr = get(get(get(root, "aggregations"), "buckets"), "buckets");
	bool *seen;
	int rc = 0;

	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		return fail(err, errlen,
		            "Elasticsearch response without aggregations.buckets.buckets");
	for (size_t i = 0; i < p->n; i++) {
		out[i].t = p->first + (int64_t)i * p->bucket;
		out[i].value = out[i].capacity = 0;
	}
	seen = calloc(p->n, sizeof(*seen));
	if (seen == NULL)
		return fail(err, errlen, "out of memory");
	for (size_t i = 0; rc == 0 && i < json_object_array_length(arr); i++)
		rc = take_bucket(json_object_array_get_idx(arr, i), p, out, seen, err, errlen);
	free(seen);
	return rc;
}

/* A 2xx answer to the search. */
static int search_result(json_object *root, const struct es_source *s, const struct plan *p,
                         struct sample **out, size_t *n, char *err, size_t errlen)
{
	json_object *to = get(root, "timed_out");
	struct sample *b;

	if (to == NULL || !json_object_is_type(to, json_type_boolean))
		return fail(err, errlen, "Elasticsearch response without timed_out");
	if (json_object_get_boolean(to))
		return fail(err, errlen, "Elasticsearch timed out searching [%s] (partial results)",
		            s->index);
	if (check_shards(root, s->index, err, errlen) != 0)
		return -1;
	b = malloc(p->n * sizeof(*b));
	if (b == NULL)
		return fail(err, errlen, "out of memory");
	if (take_buckets(root, p, b, err, errlen) != 0) {
		free(b);
		return -1;
	}
	*out = b;
	*n = p->n;
	return 0;
}

/* Replace line breaks and other control characters: messages are one line. */
static void one_line(char *err, size_t errlen)
{
	for (size_t i = 0; err != NULL && i < errlen && err[i] != '\0'; i++)
		if ((unsigned char)err[i] < ' ' || err[i] == 0x7f)
			err[i] = ' ';
}

static int parse(const struct es_source *s, long status, const char *body, size_t len, int64_t from,
                 int64_t to, int bucket, struct sample **out, size_t *n, char *err, size_t errlen)
{
	struct plan p;
	json_object *root;
	char where[URL_MAX];
	int rc;

	*out = NULL;
	*n = 0;
	if (plan_buckets(from, to, bucket, &p, err, errlen) != 0)
		return -1;
	shown_url(s->url, where, sizeof(where));
	root = parse_object(body, len);
	if (root == NULL)
		rc = fail(err, errlen, "HTTP %ld from %s: not an Elasticsearch response", status,
		          where);
	else if (status < 200 || status > 299 || get(root, "error") != NULL)
		rc = es_error(root, status, where, err, errlen);
	else
		rc = search_result(root, s, &p, out, n, err, errlen);
	json_object_put(root);
	if (rc != 0) /* on success err was never written: it may be uninitialised */
		one_line(err, errlen);
	return rc;
}

/* ---- the request ---------------------------------------------------------- */

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t len = size * nmemb;

	if (len > ES_MAX_RESPONSE - r->len) {
		r->too_big = true;
		return 0; /* curl fails with CURLE_WRITE_ERROR */
	}
	if (r->len + len + 1 > r->cap) {
		size_t cap = r->cap == 0 ? 16384 : r->cap;
		char *grown;

		while (cap < r->len + len + 1)
			cap *= 2;
		grown = realloc(r->p, cap);
		if (grown == NULL)
			return 0;
		r->p = grown;
		r->cap = cap;
	}
	memcpy(r->p + r->len, data, len);
	r->len += len;
	r->p[r->len] = '\0';
	return len;
}

/* Basic auth or an API key, not both; an API key fit for a header. */
static int check_auth(const struct es_source *s, char *err, size_t errlen)
{
	if (given(s->user) && given(s->api_key))
		return fail(err, errlen,
		            "Elasticsearch: give a user (basic auth) or an API key, not both");
	for (const char *c = s->api_key; given(s->api_key) && *c != '\0'; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return fail(err, errlen,
			            "Elasticsearch API key: spaces and control characters are not "
			            "allowed");
	return 0;
}

/* The request headers; NULL when out of memory. */
static struct curl_slist *headers(const struct es_source *s)
{
	struct curl_slist *h = NULL, *next;
	const char *fixed[] = {"Content-Type: application/json", "Accept: application/json",
	                       "Expect:"};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		next = curl_slist_append(h, fixed[i]);
		if (next == NULL)
			goto fail;
		h = next;
	}
	if (given(s->api_key)) {
		size_t len = strlen("Authorization: ApiKey ") + strlen(s->api_key) + 1;
		char *line = malloc(len);

		if (line == NULL)
			goto fail;
		snprintf(line, len, "Authorization: ApiKey %s", s->api_key);
		next = curl_slist_append(h, line);
		memset(line, 0, len);
		free(line);
		if (next == NULL)
			goto fail;
		h = next;
	}
	return h;
fail:
	curl_slist_free_all(h);
	return NULL;
}

/* Free the header list, wiping the API key first. */
static void free_headers(struct curl_slist *h)
{
	for (struct curl_slist *i = h; i != NULL; i = i->next)
		memset(i->data, 0, strlen(i->data));
	curl_slist_free_all(h);
}

static double timeout_of(const struct es_source *s)
{
	return s->timeout > 0 ? s->timeout : TIMEOUT_DFLT;
}

static void set_options(CURL *c, const struct es_source *s, const char *url, const char *body,
                        struct curl_slist *h, struct reply *r, char *curlerr)
{
	long ms = (long)(timeout_of(s) * 1000);

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curlerr);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (given(s->ca_file))
		curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	if (given(s->user)) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->password != NULL ? s->password : "");
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_USERAGENT, "trendtrap");
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
}

static bool tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_USE_SSL_FAILED:
		return true;
	default:
		return false;
	}
}

/* The message for a request curl could not complete. */
static int transport_error(const struct es_source *s, CURLcode rc, const char *curlerr,
                           const struct reply *r, char *err, size_t errlen)
{
	char where[URL_MAX];
	const char *why = curlerr[0] != '\0' ? curlerr : curl_easy_strerror(rc);

	shown_url(s->url, where, sizeof(where));
	if (r->too_big)
		return fail(err, errlen, "the response of Elasticsearch at %s exceeds %d MiB",
		            where, ES_MAX_RESPONSE / (1024 * 1024));
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return fail(err, errlen, "Elasticsearch at %s: timeout after %.1f s (%s)", where,
		            timeout_of(s), why);
	if (tls_error(rc))
		return fail(err, errlen, "Elasticsearch at %s: TLS failure: %s%s", where, why,
		            rc == CURLE_PEER_FAILED_VERIFICATION && !given(s->ca_file)
		                    ? " (give the CA certificate that signed it with --ca-file)"
		                    : "");
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	    rc == CURLE_COULDNT_RESOLVE_PROXY)
		return fail(err, errlen, "cannot reach Elasticsearch at %s: %s", where, why);
	return fail(err, errlen, "Elasticsearch at %s: %s (curl error %d)", where, why, (int)rc);
}

/* A redirect is not followed: name where it points. */
static int redirected(const struct es_source *s, CURL *c, long status, char *err, size_t errlen)
{
	char where[URL_MAX], to[URL_MAX];
	char *loc = NULL;

	shown_url(s->url, where, sizeof(where));
	curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
	shown_url(loc != NULL ? loc : "(nowhere)", to, sizeof(to));
	return fail(err, errlen,
	            "HTTP %ld from %s: a redirect to %s, not followed (give that address)", status,
	            where, to);
}

/* POST BODY to URL; *STATUS and R hold the answer. */
static int post(const struct es_source *s, const char *url, const char *body, struct reply *r,
                long *status, char *err, size_t errlen)
{
	char curlerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = headers(s);
	CURL *c = h != NULL ? curl_easy_init() : NULL;
	CURLcode rc;
	int ret = 0;

	if (c == NULL) {
		free_headers(h);
		return fail(err, errlen, "cannot start an HTTP request (out of memory)");
	}
	set_options(c, s, url, body, h, r, curlerr);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		ret = transport_error(s, rc, curlerr, r, err, errlen);
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (ret == 0 && *status >= 300 && *status <= 399)
		ret = redirected(s, c, *status, err, errlen);
	curl_easy_cleanup(c);
	free_headers(h);
	return ret;
}

/* Overwrite every occurrence of SECRET (3 characters or more) in ERR. */
static void redact_one(char *err, const char *secret)
{
	size_t len = secret != NULL ? strlen(secret) : 0;
	char *at;

	if (err == NULL || len < 3)
		return;
	while ((at = strstr(err, secret)) != NULL)
		memset(at, '*', len);
}

static void redact(const struct es_source *s, char *err)
{
	redact_one(err, s->password);
	redact_one(err, s->api_key);
}

static int fetch(const struct es_source *s, int64_t from, int64_t to, int bucket,
                 struct sample **out, size_t *n, char *err, size_t errlen)
{
	char url[URL_MAX];
	char *body = NULL;
	struct reply r = {0};
	long status = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (check_auth(s, err, errlen) == 0 && build_url(s, url, sizeof(url), err, errlen) == 0 &&
	    (body = build_body(s, from, to, bucket, err, errlen)) != NULL &&
	    post(s, url, body, &r, &status, err, errlen) == 0)
		rc = parse(s, status, r.p, r.len, from, to, bucket, out, n, err, errlen);
	free(body);
	free(r.p);
	if (rc != 0) {
		one_line(err, errlen);
		redact(s, err);
	}
	return rc;
}

__attribute__((visibility("default"))) const struct es_module trendtrap_es_module = {
        .version = ES_MODULE_VERSION,
        .source_size = sizeof(struct es_source),
        .sample_size = sizeof(struct sample),
        .statusset_size = sizeof(struct statusset),
        .fetch = fetch,
        .url = build_url,
        .body = build_body,
        .parse = parse,
};
