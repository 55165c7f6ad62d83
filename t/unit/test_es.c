/*
 * test_es.c - the pure steps of the Elasticsearch source: the request URL
 * and body built for given inputs (bodies compared as parsed JSON), and
 * responses parsed from fixture strings in the shapes Elasticsearch
 * documents: buckets, empty buckets, missing aggregations, timed_out, shard
 * failures, each error body, and answers that are not Elasticsearch's. Also
 * the loader's errors and what es_fetch refuses before any request.
 *
 * es_module.c is linked in directly; its steps are reached through the ops
 * table the module exports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "es.h"
#include "es_module.h"
#include "statusset.h"

static const struct es_module *const m = &trendtrap_es_module;

#define FROM 1700000040 /* a multiple of 60 */
#define TO   (FROM + 300)

/* A source with the defaults and errors 500-599. */
static struct es_source source(struct statusset *errors)
{
	struct es_source s = {.url = "http://127.0.0.1:9200", .index = "logs-*"};
	char err[128];

	assert_int_equal(statusset_parse("500-599", errors, err, sizeof(err)), 0);
	s.errors = errors;
	return s;
}

static void assert_json_equal(const char *got, const char *want)
{
	json_object *g = json_tokener_parse(got), *w = json_tokener_parse(want);

	assert_non_null(w);
	if (g == NULL || !json_object_equal(g, w))
		fail_msg("JSON differs:\n got:  %s\n want: %s", got, want);
	json_object_put(g);
	json_object_put(w);
}

/* ---- the request ------------------------------------------------------------- */

static void body_for_all_documents_has_the_documented_shape(void **state)
{
	struct statusset e;
	struct es_source s = source(&e);
	char err[256] = "", *body = m->body(&s, FROM, TO, 60, err, sizeof(err));

	(void)state;
	assert_non_null(body);
	assert_json_equal(
	        body,
	        "{\"size\":0,\"track_total_hits\":false,"
	        "\"query\":{\"bool\":{\"filter\":[{\"range\":{\"@timestamp\":{\"gte\":"
	        "1700000040000,"
	        "\"lt\":1700000340000,\"format\":\"epoch_millis\"}}}]}},"
	        "\"aggs\":{\"buckets\":{\"date_histogram\":{\"field\":\"@timestamp\","
	        "\"fixed_interval\":\"60s\",\"min_doc_count\":0,"
	        "\"extended_bounds\":{\"min\":1700000040000,\"max\":1700000339999}},"
	        "\"aggs\":{\"errors\":{\"filter\":{\"bool\":{\"should\":[{\"range\":{\"status\":"
	        "{\"gte\":500,\"lte\":599}}}],\"minimum_should_match\":1}}}}}}}");
	free(body);
}

static void body_carries_query_fields_and_every_status_range(void **state)
{
	struct statusset e;
	struct es_source s = source(&e);
	char err[256] = "", *body;

	(void)state;
	assert_int_equal(statusset_parse("500-599,429,404", &e, err, sizeof(err)), 0);
	s.query = "service:\"api \\\"v2\\\"\" AND NOT path:/health";
	s.time_field = "event.created";
	s.status_field = "http.response.status_code";
	body = m->body(&s, FROM, FROM + 7200, 300, err, sizeof(err));
	assert_non_null(body);
	assert_json_equal(
	        body,
	        "{\"size\":0,\"track_total_hits\":false,"
	        "\"query\":{\"bool\":{\"filter\":[{\"range\":{\"event.created\":{\"gte\":"
	        "1700000040000,\"lt\":1700007240000,\"format\":\"epoch_millis\"}}},"
	        "{\"query_string\":{\"query\":\"service:\\\"api \\\\\\\"v2\\\\\\\"\\\" AND NOT "
	        "path:/health\"}}]}},"
	        "\"aggs\":{\"buckets\":{\"date_histogram\":{\"field\":\"event.created\","
	        "\"fixed_interval\":\"300s\",\"min_doc_count\":0,"
	        "\"extended_bounds\":{\"min\":1700000040000,\"max\":1700007239999}},"
	        "\"aggs\":{\"errors\":{\"filter\":{\"bool\":{\"should\":["
	        "{\"range\":{\"http.response.status_code\":{\"gte\":500,\"lte\":599}}},"
	        "{\"range\":{\"http.response.status_code\":{\"gte\":429,\"lte\":429}}},"
	        "{\"range\":{\"http.response.status_code\":{\"gte\":404,\"lte\":404}}}],"
	        "\"minimum_should_match\":1}}}}}}}");
	free(body);
}

static void body_refuses_bad_windows_and_no_statuses(void **state)
{
	struct statusset e;
	struct es_source s = source(&e);
	char err[256];

	(void)state;
	assert_null(m->body(&s, FROM, TO, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "must be positive"));
	assert_null(m->body(&s, TO, FROM, 60, err, sizeof(err)));
	assert_non_null(strstr(err, "bad time range"));
	assert_null(m->body(&s, 0, (int64_t)ES_MAX_BUCKETS * 60 + 60, 60, err, sizeof(err)));
	assert_non_null(strstr(err, "buckets"));
	assert_null(m->body(&s, INT64_MAX - 10, INT64_MAX - 1, 60, err, sizeof(err)));
	s.errors = NULL;
	assert_null(m->body(&s, FROM, TO, 60, err, sizeof(err)));
	assert_string_equal(err, "no error statuses given");
}

static void url_encodes_the_index_and_keeps_a_path_prefix(void **state)
{
	struct statusset e;
	struct es_source s = source(&e);
	char url[256], err[256];

	(void)state;
	assert_int_equal(m->url(&s, url, sizeof(url), err, sizeof(err)), 0);
	assert_string_equal(url, "http://127.0.0.1:9200/logs-*/_search");
	s.url = "HTTPS://es.example:9243/proxy/es//";
	s.index = "logs-*,-logs-old,remote:web_2024.01+x";
	assert_int_equal(m->url(&s, url, sizeof(url), err, sizeof(err)), 0);
	assert_string_equal(url, "HTTPS://es.example:9243/proxy/es/"
	                         "logs-*%2C-logs-old%2Cremote%3Aweb_2024.01%2Bx/_search");
}

static void url_refuses_what_would_change_the_request(void **state)
{
	static const struct {
		const char *url, *index, *says;
	} bad[] = {
	        {"http://h:9200", "logs/_doc", "'/' is not allowed"},
	        {"http://h:9200", "logs?pretty", "'?' is not allowed"},
	        {"http://h:9200", "logs#x", "'#' is not allowed"},
	        {"http://h:9200", "logs x", "a space is not allowed"},
	        {"http://h:9200", "logs\tx", "byte 0x09 is not allowed"},
	        {"http://h:9200", "", "no Elasticsearch index pattern"},
	        {"h:9200", "logs", "must start with http:// or https://"},
	        {"ftp://h", "logs", "must start with http:// or https://"},
	        {"http://", "logs", "no host"},
	        {"http://h:9200/?x=1", "logs", "query (?)"},
	        {"http://h:9200 /", "logs", "no spaces"},
	        {NULL, "logs", "no Elasticsearch URL"},
	};
	struct statusset e;
	struct es_source s = source(&e);
	char url[256], err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.url = bad[i].url;
		s.index = bad[i].index;
		err[0] = '\0';
		assert_int_equal(m->url(&s, url, sizeof(url), err, sizeof(err)), -1);
		if (strstr(err, bad[i].says) == NULL)
			fail_msg("%s %s: got '%s', want '%s'", bad[i].url, bad[i].index, err,
			         bad[i].says);
	}
}

/* ---- responses ------------------------------------------------------------------ */

/* Parse BODY as the answer (HTTP STATUS) to a 5-bucket request. */
static int parse5(long status, const char *body, struct sample **b, size_t *n, char *err,
                  size_t errlen)
{
	struct statusset e;
	struct es_source s = source(&e);

	s.url = "http://elastic:s3cret@127.0.0.1:9200";
	return m->parse(&s, status, body, strlen(body), FROM, TO, 60, b, n, err, errlen);
}

#define OK_HEAD                                                                                    \
	"{\"took\":5,\"timed_out\":false,\"_shards\":{\"total\":3,\"successful\":3,"               \
	"\"skipped\":0,\"failed\":0},\"hits\":{\"max_score\":null,\"hits\":[]},"                   \
	"\"aggregations\":{\"buckets\":{\"buckets\":["
#define BUCKET(ms, iso, docs, errs)                                                                \
	"{\"key_as_string\":\"" iso "\",\"key\":" #ms ",\"doc_count\":" #docs ","                  \
	"\"errors\":{\"doc_count\":" #errs "}}"

static void a_response_gives_requests_and_errors_per_bucket(void **state)
{
	const char *body =
	        OK_HEAD BUCKET(1700000040000, "2023-11-14T22:14:00.000Z", 120, 3) "," BUCKET(
	                1700000100000, "2023-11-14T22:15:00.000Z", 0,
	                0) "," BUCKET(1700000160000, "2023-11-14T22:16:00.000Z", 95,
	                              95) "," BUCKET(1700000220000, "2023-11-14T22:17:00.000Z", 7,
	                                             0) "," BUCKET(1700000280000,
	                                                           "2023-11-14T22:18:00.000Z",
	                                                           4000000000, 1) "]}}}";
	struct sample *b;
	size_t n;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse5(200, body, &b, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(b[i].t, FROM + 60 * (int64_t)i);
	assert_true(b[0].capacity == 120 && b[0].value == 3);
	assert_true(b[1].capacity == 0 && b[1].value == 0);
	assert_true(b[2].capacity == 95 && b[2].value == 95);
	assert_true(b[3].capacity == 7 && b[3].value == 0);
	assert_true(b[4].capacity == 4000000000.0 && b[4].value == 1);
	free(b);
}

static void absent_buckets_are_empty_ones(void **state)
{
	struct sample *b;
	size_t n;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse5(200, OK_HEAD "]}}}", &b, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		assert_true(b[i].t == FROM + 60 * (int64_t)i && b[i].capacity == 0 &&
		            b[i].value == 0);
	free(b);
	assert_int_equal(parse5(200, OK_HEAD BUCKET(1700000160000, "x", 9, 2) "]}}}", &b, &n, err,
	                        sizeof(err)),
	                 0);
	assert_true(b[2].capacity == 9 && b[2].value == 2 && b[1].capacity == 0);
	free(b);
}

static void unaligned_ranges_give_partial_edge_buckets(void **state)
{
	struct statusset e;
	struct es_source s = source(&e);
	const char *body = OK_HEAD BUCKET(1700000040000, "x", 1, 0) "," BUCKET(1700000100000, "x",
	                                                                       2, 1) "]}}}";
	struct sample *b;
	size_t n;
	char err[256] = "";

	(void)state;
	/* [FROM + 30, FROM + 90): buckets FROM and FROM + 60 */
	assert_int_equal(m->parse(&s, 200, body, strlen(body), FROM + 30, FROM + 90, 60, &b, &n,
	                          err, sizeof(err)),
	                 0);
	assert_int_equal(n, 2);
	assert_true(b[0].t == FROM && b[1].t == FROM + 60 && b[1].value == 1);
	free(b);
}

/* Parse BODY (HTTP STATUS); it must fail with exactly WANT. */
static void assert_fails(long status, const char *body, const char *want)
{
	struct sample *b = (struct sample *)1;
	size_t n = 1;
	char err[512] = "";

	assert_int_equal(parse5(status, body, &b, &n, err, sizeof(err)), -1);
	assert_null(b);
	assert_int_equal(n, 0);
	assert_string_equal(err, want);
}

static void a_response_without_aggregations_is_an_error(void **state)
{
	(void)state;
	assert_fails(200,
	             "{\"took\":1,\"timed_out\":false,\"_shards\":{\"total\":1,\"successful\":1,"
	             "\"skipped\":0,\"failed\":0},\"hits\":{\"max_score\":null,\"hits\":[]}}",
	             "Elasticsearch response without aggregations.buckets.buckets");
	assert_fails(200,
	             "{\"took\":1,\"timed_out\":false,\"_shards\":{\"total\":1,\"successful\":1,"
	             "\"skipped\":0,\"failed\":0},\"aggregations\":{\"buckets\":{}}}",
	             "Elasticsearch response without aggregations.buckets.buckets");
	/* a pattern that matches no index: Elasticsearch leaves the aggregations out */
	assert_fails(200,
	             "{\"took\":0,\"timed_out\":false,\"_shards\":{\"total\":0,\"successful\":0,"
	             "\"skipped\":0,\"failed\":0},\"hits\":{\"max_score\":0.0,\"hits\":[]}}",
	             "Elasticsearch: no index matches [logs-*] (0 shards searched)");
	assert_fails(200, "{\"timed_out\":false}",
	             "Elasticsearch response without _shards.total/failed");
	assert_fails(200, "{\"acknowledged\":true}", "Elasticsearch response without timed_out");
}

static void a_timed_out_search_is_an_error(void **state)
{
	(void)state;
	assert_fails(200,
	             "{\"took\":30001,\"timed_out\":true,\"_shards\":{\"total\":1,\"successful\":1,"
	             "\"skipped\":0,\"failed\":0},\"hits\":{\"max_score\":null,\"hits\":[]},"
	             "\"aggregations\":{\"buckets\":{\"buckets\":[]}}}",
	             "Elasticsearch timed out searching [logs-*] (partial results)");
}

static void shard_failures_are_errors_with_the_first_reason(void **state)
{
	(void)state;
	assert_fails(200,
	             "{\"took\":9,\"timed_out\":false,\"_shards\":{\"total\":5,\"successful\":4,"
	             "\"skipped\":0,\"failed\":1,\"failures\":[{\"shard\":2,\"index\":\"logs-1\","
	             "\"node\":\"n1\",\"reason\":{\"type\":\"illegal_argument_exception\","
	             "\"reason\":\"Field [status] of type [text] is not supported for aggregation "
	             "[range]\"}}]},\"hits\":{\"max_score\":null,\"hits\":[]},"
	             "\"aggregations\":{\"buckets\":{\"buckets\":[]}}}",
	             "Elasticsearch: 1 of 5 shards failed: Field [status] of type [text] is not "
	             "supported for aggregation [range] (illegal_argument_exception)");
	assert_fails(200,
	             "{\"took\":9,\"timed_out\":false,\"_shards\":{\"total\":2,\"successful\":0,"
	             "\"skipped\":0,\"failed\":2},\"aggregations\":{\"buckets\":{\"buckets\":[]}}}",
	             "Elasticsearch: 2 of 2 shards failed: no reason given (shard failure)");
}

static void error_bodies_give_elasticsearchs_reason(void **state)
{
	(void)state;
	assert_fails(404,
	             "{\"error\":{\"root_cause\":[{\"type\":\"index_not_found_exception\","
	             "\"reason\":\"no such index [logs-x]\",\"resource.type\":\"index_or_alias\","
	             "\"resource.id\":\"logs-x\",\"index_uuid\":\"_na_\",\"index\":\"logs-x\"}],"
	             "\"type\":\"index_not_found_exception\",\"reason\":\"no such index [logs-x]\","
	             "\"resource.type\":\"index_or_alias\",\"resource.id\":\"logs-x\","
	             "\"index_uuid\":\"_na_\",\"index\":\"logs-x\"},\"status\":404}",
	             "Elasticsearch: no such index [logs-x] (index_not_found_exception, HTTP 404)");
	/* a query_string it cannot parse: the root cause says which */
	assert_fails(
	        400,
	        "{\"error\":{\"root_cause\":[{\"type\":\"query_shard_exception\",\"reason\":"
	        "\"Failed to parse query [status:((]\",\"index_uuid\":\"u\",\"index\":\"logs\"}],"
	        "\"type\":\"search_phase_execution_exception\",\"reason\":\"all shards failed\","
	        "\"phase\":\"query\",\"grouped\":true,\"failed_shards\":[{\"shard\":0,"
	        "\"index\":\"logs\",\"node\":\"n\",\"reason\":{\"type\":\"query_shard_exception\","
	        "\"reason\":\"Failed to parse query [status:((]\",\"caused_by\":{\"type\":"
	        "\"parse_exception\",\"reason\":\"Cannot parse 'status:((': Encountered "
	        "\\\"<EOF>\\\" at line 1, column 9.\\nWas expecting one of:\\n\"}}}]},"
	        "\"status\":400}",
	        "Elasticsearch: Failed to parse query [status:((] (query_shard_exception, "
	        "HTTP 400)");
	assert_fails(400,
	             "{\"error\":{\"root_cause\":[{\"type\":\"parsing_exception\",\"reason\":"
	             "\"unknown query [query_strin]\",\"line\":1,\"col\":90}],\"type\":"
	             "\"parsing_exception\",\"reason\":\"unknown query [query_strin]\",\"line\":1,"
	             "\"col\":90,\"caused_by\":{\"type\":\"named_object_not_found_exception\","
	             "\"reason\":\"[1:90] unknown field [query_strin]\"}},\"status\":400}",
	             "Elasticsearch: unknown query [query_strin] (parsing_exception, HTTP 400)");
	assert_fails(401,
	             "{\"error\":{\"root_cause\":[{\"type\":\"security_exception\",\"reason\":"
	             "\"unable to authenticate user [elastic] for REST request [/logs/_search]\","
	             "\"header\":{\"WWW-Authenticate\":[\"Basic realm=\\\"security\\\" "
	             "charset=\\\"UTF-8\\\"\",\"ApiKey\"]}}],\"type\":\"security_exception\","
	             "\"reason\":\"unable to authenticate user [elastic] for REST request "
	             "[/logs/_search]\",\"header\":{\"WWW-Authenticate\":[\"ApiKey\"]}},"
	             "\"status\":401}",
	             "Elasticsearch: unable to authenticate user [elastic] for REST request "
	             "[/logs/_search] (security_exception, HTTP 401)");
	assert_fails(403,
	             "{\"error\":{\"root_cause\":[{\"type\":\"security_exception\",\"reason\":"
	             "\"action [indices:data/read/search] is unauthorized for user [mon]\"}],"
	             "\"type\":\"security_exception\",\"reason\":\"action "
	             "[indices:data/read/search] is unauthorized for user [mon]\"},\"status\":403}",
	             "Elasticsearch: action [indices:data/read/search] is unauthorized for user "
	             "[mon] (security_exception, HTTP 403)");
	assert_fails(
	        429,
	        "{\"error\":{\"root_cause\":[{\"type\":\"es_rejected_execution_exception\","
	        "\"reason\":\"rejected execution of search\"}],\"type\":"
	        "\"es_rejected_execution_exception\",\"reason\":\"rejected execution of "
	        "search\"},\"status\":429}",
	        "Elasticsearch: rejected execution of search (es_rejected_execution_exception, "
	        "HTTP 429)");
}

static void error_bodies_without_a_root_cause_fall_back(void **state)
{
	(void)state;
	/* every shard unavailable: an empty root_cause */
	assert_fails(
	        503,
	        "{\"error\":{\"root_cause\":[],\"type\":\"search_phase_execution_exception\","
	        "\"reason\":\"all shards failed\",\"phase\":\"query\",\"grouped\":true,"
	        "\"failed_shards\":[]},\"status\":503}",
	        "Elasticsearch: all shards failed (search_phase_execution_exception, HTTP 503)");
	assert_fails(500, "{\"error\":{\"type\":\"null_pointer_exception\"},\"status\":500}",
	             "Elasticsearch: null_pointer_exception (HTTP 500)");
	/* before 5.0, and some plugins: a string */
	assert_fails(404, "{\"error\":\"IndexMissingException[[logs] missing]\",\"status\":404}",
	             "Elasticsearch: IndexMissingException[[logs] missing] (HTTP 404)");
	/* a 200 that carries an error */
	assert_fails(
	        200,
	        "{\"error\":{\"root_cause\":[{\"type\":\"x\",\"reason\":\"y\"}],\"type\":\"x\","
	        "\"reason\":\"y\"},\"status\":500}",
	        "Elasticsearch: y (x, HTTP 200)");
}

static void answers_that_are_not_elasticsearchs_say_so(void **state)
{
	(void)state;
	assert_fails(502,
	             "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body></body>"
	             "</html>\r\n",
	             "HTTP 502 from http://127.0.0.1:9200: not an Elasticsearch response");
	assert_fails(200, "", "HTTP 200 from http://127.0.0.1:9200: not an Elasticsearch response");
	assert_fails(200, "[1,2]",
	             "HTTP 200 from http://127.0.0.1:9200: not an Elasticsearch response");
	assert_fails(200, "{\"took\":1,",
	             "HTTP 200 from http://127.0.0.1:9200: not an Elasticsearch response");
	assert_fails(200, "{} trailing",
	             "HTTP 200 from http://127.0.0.1:9200: not an Elasticsearch response");
	assert_fails(404, "{\"message\":\"no route\"}",
	             "HTTP 404 from http://127.0.0.1:9200: not an Elasticsearch response");
}

static void buckets_we_did_not_ask_for_are_errors(void **state)
{
	(void)state;
	assert_fails(200, OK_HEAD BUCKET(1700000070000, "x", 1, 0) "]}}}",
	             "Elasticsearch response: unexpected bucket key 1700000070000 (want multiples "
	             "of 60000 ms from 1700000040000, each once)");
	assert_fails(200, OK_HEAD BUCKET(1700000340000, "x", 1, 0) "]}}}",
	             "Elasticsearch response: unexpected bucket key 1700000340000 (want multiples "
	             "of 60000 ms from 1700000040000, each once)");
	assert_fails(200,
	             OK_HEAD BUCKET(1700000040000, "x", 1, 0) "," BUCKET(1700000040000, "x", 1,
	                                                                 0) "]}}}",
	             "Elasticsearch response: unexpected bucket key 1700000040000 (want multiples "
	             "of 60000 ms from 1700000040000, each once)");
	assert_fails(200, OK_HEAD BUCKET(1700000040000, "x", 1, 2) "]}}}",
	             "Elasticsearch response: bucket 1700000040000 has 2 errors in 1 documents");
	assert_fails(200, OK_HEAD "{\"key\":1700000040000,\"doc_count\":3}]}}}",
	             "Elasticsearch response: a bucket without key, doc_count or errors.doc_count");
	assert_fails(200,
	             OK_HEAD
	             "{\"key\":\"1700000040000\",\"doc_count\":3,\"errors\":{\"doc_count\":0}}"
	             "]}}}",
	             "Elasticsearch response: a bucket without key, doc_count or errors.doc_count");
}

static void messages_are_one_line_without_credentials(void **state)
{
	(void)state;
	assert_fails(400,
	             "{\"error\":{\"root_cause\":[{\"type\":\"parse_exception\",\"reason\":"
	             "\"Cannot parse:\\nline two\\r\\n\\tthree\"}]},\"status\":400}",
	             "Elasticsearch: Cannot parse: line two   three (parse_exception, HTTP 400)");
	/* parse5's URL holds elastic:s3cret@: the message shows the host only */
	assert_fails(502, "Bad Gateway",
	             "HTTP 502 from http://127.0.0.1:9200: not an Elasticsearch response");
}

/* ---- es_fetch: the loader and what fails before any request ------------------------- */

static void fetch_fails(const struct es_source *s, const char *want)
{
	struct sample *b = (struct sample *)1;
	size_t n = 1;
	char err[512] = "";

	assert_int_equal(es_fetch(s, FROM, TO, 60, &b, &n, err, sizeof(err)), -1);
	assert_null(b);
	assert_int_equal(n, 0);
	if (strstr(err, want) == NULL)
		fail_msg("got '%s', want '%s'", err, want);
}

static void the_loader_names_a_missing_or_foreign_module(void **state)
{
	struct statusset e;
	struct es_source s = source(&e);

	(void)state;
	setenv("TRENDTRAP_ES_MODULE", "/nonexistent/trendtrap-es.so", 1);
	fetch_fails(&s, "cannot load the Elasticsearch module: /nonexistent/trendtrap-es.so");
	fetch_fails(&s, "(set TRENDTRAP_ES_MODULE to its path)");
	setenv("TRENDTRAP_ES_MODULE", "libm.so.6", 1);
	fetch_fails(&s, "the Elasticsearch module libm.so.6 does not match this program (version "
	                "0, want 1): reinstall trendtrap");
	unsetenv("TRENDTRAP_ES_MODULE");
}

static void fetch_refuses_mixed_auth_and_hides_secrets(void **state)
{
	struct statusset e;
	struct es_source s = source(&e);
	struct sample *b;
	size_t n;
	char err[512];

	(void)state;
	s.user = "elastic";
	s.password = "hunter22";
	s.api_key = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==";
	assert_int_equal(m->fetch(&s, FROM, TO, 60, &b, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "Elasticsearch: give a user (basic auth) or an API key, not both");
	s.user = NULL;
	s.api_key = "abc\r\nX-Evil: 1";
	assert_int_equal(m->fetch(&s, FROM, TO, 60, &b, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "Elasticsearch API key: spaces and control characters are not "
	                         "allowed");
	/* a secret that finds its way into a message is blanked */
	s.api_key = NULL;
	s.index = "logs hunter22";
	assert_int_equal(m->fetch(&s, FROM, TO, 60, &b, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "index pattern 'logs ********': a space is not allowed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(body_for_all_documents_has_the_documented_shape),
	        cmocka_unit_test(body_carries_query_fields_and_every_status_range),
	        cmocka_unit_test(body_refuses_bad_windows_and_no_statuses),
	        cmocka_unit_test(url_encodes_the_index_and_keeps_a_path_prefix),
	        cmocka_unit_test(url_refuses_what_would_change_the_request),
	        cmocka_unit_test(a_response_gives_requests_and_errors_per_bucket),
	        cmocka_unit_test(absent_buckets_are_empty_ones),
	        cmocka_unit_test(unaligned_ranges_give_partial_edge_buckets),
	        cmocka_unit_test(a_response_without_aggregations_is_an_error),
	        cmocka_unit_test(a_timed_out_search_is_an_error),
	        cmocka_unit_test(shard_failures_are_errors_with_the_first_reason),
	        cmocka_unit_test(error_bodies_give_elasticsearchs_reason),
	        cmocka_unit_test(error_bodies_without_a_root_cause_fall_back),
	        cmocka_unit_test(answers_that_are_not_elasticsearchs_say_so),
	        cmocka_unit_test(buckets_we_did_not_ask_for_are_errors),
	        cmocka_unit_test(messages_are_one_line_without_credentials),
	        cmocka_unit_test(the_loader_names_a_missing_or_foreign_module),
	        cmocka_unit_test(fetch_refuses_mixed_auth_and_hides_secrets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
