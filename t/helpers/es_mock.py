#!/usr/bin/python3
"""es_mock.py - a small Elasticsearch for the tests: one _search endpoint.

It checks every request strictly against the one request lib/es_module.c
should send (method, path, headers, the exact JSON body shape) and answers
from an in-memory dataset the way Elasticsearch computes a date_histogram
with min_doc_count 0 and extended_bounds, or with the error bodies
Elasticsearch documents. A request that fails a check gets a 400 with an
Elasticsearch-shaped error whose reason starts with "mock:" and says exactly
what was wrong, so client bugs show in the test output.

Usage: es_mock.py --port N (0 = any) --ready FILE --data FILE --log FILE
                  [--errors 500-599,429] [--time-field F] [--status-field F]
                  [--user U --password P] [--api-key K]
                  [--tls-cert PEM --tls-key PEM] [--slow SECONDS]

--data: JSON lines, {"@timestamp": MILLIS, "status": INT, "service": STR}.
--ready: the bound port is written there once the server listens.
--errors: the exact status ranges the "errors" filter must ask for; without
it any well-formed ranges are accepted and evaluated.
--user/--password/--api-key: credentials required (either kind), else 401.
Each request is appended to --log as one JSON line: method, path,
content_type, authorization, body.

Indices that trigger answers (everything else is the dataset):
  missing-*    404 index_not_found_exception
  empty-*      200 with 0 shards and no aggregations (a pattern matching nothing)
  slow         sleeps --slow seconds (default 30) before answering
  broken       502 with a proxy's HTML page
  unavailable  503 search_phase_execution_exception with no root cause
  partial      200 with a failed shard
  timedout     200 with "timed_out": true
  redirect     301 to another host
  huge         200 with a body over 16 MiB
A query_string containing "((" gets the 400 Elasticsearch gives for a
query it cannot parse.
"""

import argparse
import base64
import datetime
import fnmatch
import http.server
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse


class CheckFailed(Exception):
    """The request is not the one the client should send."""


def es_error(status, root_cause, etype, reason, **extra):
    err = {"root_cause": root_cause, "type": etype, "reason": reason}
    err.update(extra)
    return status, {"error": err, "status": status}


def mock_error(reason):
    cause = {"type": "illegal_argument_exception", "reason": "mock: " + reason}
    return es_error(400, [cause], "illegal_argument_exception", "mock: " + reason)


def expect(cond, what):
    if not cond:
        raise CheckFailed(what)


def is_int(v):
    return type(v) is int  # bool is not an int here


def expect_keys(obj, keys, where):
    expect(isinstance(obj, dict), "%s: want an object, got %s" % (where, json.dumps(obj)))
    got = sorted(obj.keys())
    expect(got == sorted(keys), "%s: want keys %s, got %s" % (where, sorted(keys), got))


def parse_statuses(text):
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.append((int(lo), int(hi or lo)))
    return out


# ---- the body ----------------------------------------------------------------


def check_range(clause, field, lo_key, hi_key, fmt, where):
    expect_keys(clause, ["range"], where)
    expect_keys(clause["range"], [field], where + ".range")
    b = clause["range"][field]
    keys = [lo_key, hi_key] + (["format"] if fmt else [])
    expect_keys(b, keys, "%s.range.%s" % (where, field))
    expect(is_int(b[lo_key]) and is_int(b[hi_key]),
           "%s: %s and %s must be integers, got %s" % (where, lo_key, hi_key, json.dumps(b)))
    if fmt:
        expect(b["format"] == fmt, "%s: format must be %s, got %s" % (where, fmt, b["format"]))
    return b[lo_key], b[hi_key]


def check_query(q, opts):
    """The query part; returns (from_ms, to_ms, query_string or None)."""
    expect_keys(q, ["bool"], "query")
    expect_keys(q["bool"], ["filter"], "query.bool")
    f = q["bool"]["filter"]
    expect(isinstance(f, list) and len(f) in (1, 2),
           "query.bool.filter: want 1 or 2 clauses, got %s" % json.dumps(f))
    lo, hi = check_range(f[0], opts.time_field, "gte", "lt", "epoch_millis",
                         "query.bool.filter[0]")
    expect(0 <= lo < hi, "time range: want 0 <= gte < lt, got %d, %d" % (lo, hi))
    qs = None
    if len(f) == 2:
        expect_keys(f[1], ["query_string"], "query.bool.filter[1]")
        expect_keys(f[1]["query_string"], ["query"], "query.bool.filter[1].query_string")
        qs = f[1]["query_string"]["query"]
        expect(isinstance(qs, str) and qs != "", "query_string.query: want a non-empty string")
    return lo, hi, qs


def check_errors_agg(e, opts):
    expect_keys(e, ["filter"], "aggs.buckets.aggs.errors")
    expect_keys(e["filter"], ["bool"], "aggs.buckets.aggs.errors.filter")
    b = e["filter"]["bool"]
    where = "aggs.buckets.aggs.errors.filter.bool"
    expect_keys(b, ["should", "minimum_should_match"], where)
    expect(is_int(b["minimum_should_match"]) and b["minimum_should_match"] == 1,
           where + ".minimum_should_match: want 1")
    expect(isinstance(b["should"], list) and b["should"], where + ".should: want a non-empty list")
    ranges = [check_range(c, opts.status_field, "gte", "lte", None, "%s.should[%d]" % (where, i))
              for i, c in enumerate(b["should"])]
    if opts.errors is not None:
        expect(ranges == opts.errors, "%s.should: want status ranges %s, got %s"
               % (where, opts.errors, ranges))
    return ranges


def check_aggs(a, lo, hi, opts):
    """The aggregations part; returns (interval_ms, status ranges)."""
    expect_keys(a, ["buckets"], "aggs")
    expect_keys(a["buckets"], ["date_histogram", "aggs"], "aggs.buckets")
    h = a["buckets"]["date_histogram"]
    where = "aggs.buckets.date_histogram"
    expect_keys(h, ["field", "fixed_interval", "min_doc_count", "extended_bounds"], where)
    expect(h["field"] == opts.time_field,
           "%s.field: want %s, got %s" % (where, opts.time_field, h["field"]))
    m = re.fullmatch(r"([1-9][0-9]*)s", str(h["fixed_interval"]))
    expect(m is not None and isinstance(h["fixed_interval"], str),
           "%s.fixed_interval: want \"<N>s\", got %s" % (where, json.dumps(h["fixed_interval"])))
    expect(is_int(h["min_doc_count"]) and h["min_doc_count"] == 0,
           where + ".min_doc_count: want 0")
    eb = h["extended_bounds"]
    expect_keys(eb, ["min", "max"], where + ".extended_bounds")
    expect(is_int(eb["min"]) and is_int(eb["max"]) and eb["min"] == lo and eb["max"] == hi - 1,
           "%s.extended_bounds: want min %d, max %d, got %s" % (where, lo, hi - 1, json.dumps(eb)))
    expect_keys(a["buckets"]["aggs"], ["errors"], "aggs.buckets.aggs")
    return int(m.group(1)) * 1000, check_errors_agg(a["buckets"]["aggs"]["errors"], opts)


def check_body(raw, opts):
    try:
        body = json.loads(raw)
    except ValueError as e:
        raise CheckFailed("the body is not JSON: %s" % e)
    expect_keys(body, ["size", "track_total_hits", "query", "aggs"], "body")
    expect(is_int(body["size"]) and body["size"] == 0, "size: want 0")
    expect(body["track_total_hits"] is False, "track_total_hits: want false")
    lo, hi, qs = check_query(body["query"], opts)
    interval, ranges = check_aggs(body["aggs"], lo, hi, opts)
    return lo, hi, qs, interval, ranges


# ---- query_string, as far as the tests use it ----------------------------------


def matches(doc, qs):
    """FIELD:VALUE terms (VALUE may hold * and ?), joined by AND, each maybe NOT."""
    for term in qs.split(" AND "):
        negate = term.startswith("NOT ")
        term = term[4:] if negate else term
        field, sep, value = term.partition(":")
        if not sep or not re.fullmatch(r"[A-Za-z0-9_.@]+", field) or \
                not re.fullmatch(r"[A-Za-z0-9_.*?-]+", value):
            raise CheckFailed("query_string %r: the mock knows FIELD:VALUE [AND ...] only" % qs)
        hit = field in doc and fnmatch.fnmatchcase(str(doc[field]), value)
        if hit == negate:
            return False
    return True


# ---- answers ------------------------------------------------------------------------


def iso(ms):
    t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def histogram(docs, lo, hi, qs, interval, ranges, opts):
    first, last = lo // interval * interval, (hi - 1) // interval * interval
    counts = {k: [0, 0] for k in range(first, last + 1, interval)}
    for d in docs:
        t = d.get(opts.time_field)
        if not is_int(t) or not lo <= t < hi or (qs is not None and not matches(d, qs)):
            continue
        c = counts[t // interval * interval]
        c[0] += 1
        s = d.get(opts.status_field)
        if is_int(s) and any(a <= s <= b for a, b in ranges):
            c[1] += 1
    return [{"key_as_string": iso(k), "key": k, "doc_count": c[0], "errors": {"doc_count": c[1]}}
            for k, c in sorted(counts.items())]


def search_ok(buckets, shards=None, timed_out=False):
    shards = shards or {"total": 1, "successful": 1, "skipped": 0, "failed": 0}
    out = {"took": 2, "timed_out": timed_out, "_shards": shards,
           "hits": {"max_score": None, "hits": []}}
    if buckets is not None:
        out["aggregations"] = {"buckets": {"buckets": buckets}}
    return 200, out


def index_not_found(index):
    cause = {"type": "index_not_found_exception", "reason": "no such index [%s]" % index,
             "resource.type": "index_or_alias", "resource.id": index, "index_uuid": "_na_",
             "index": index}
    return es_error(404, [cause], cause["type"], cause["reason"], **{
        k: v for k, v in cause.items() if k not in ("type", "reason")})


def bad_query(index, qs):
    reason = "Failed to parse query [%s]" % qs
    col = qs.index("((") + 2
    parse = {"type": "parse_exception",
             "reason": "Cannot parse '%s': Encountered \"<EOF>\" at line 1, column %d.\n"
                       "Was expecting one of:\n    <NOT> ...\n    \"(\" ...\n" % (qs, col)}
    shard = {"type": "query_shard_exception", "reason": reason, "index_uuid": "mOck1uUid",
             "index": index, "caused_by": parse}
    cause = {k: shard[k] for k in ("type", "reason", "index_uuid", "index")}
    return es_error(400, [cause], "search_phase_execution_exception", "all shards failed",
                    phase="query", grouped=True,
                    failed_shards=[{"shard": 0, "index": index, "node": "mock-node-1",
                                    "reason": shard}])


def partial(buckets, index):
    failure = {"shard": 1, "index": index, "node": "mock-node-2",
               "reason": {"type": "node_disconnected_exception",
                          "reason": "[mock-node-2][127.0.0.1:9300][indices:data/read/search"
                                    "[phase/query]] disconnected"}}
    return search_ok(buckets, {"total": 2, "successful": 1, "skipped": 0, "failed": 1,
                               "failures": [failure]})


def unavailable():
    return es_error(503, [], "search_phase_execution_exception", "all shards failed",
                    phase="query", grouped=True, failed_shards=[])


BROKEN = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
          b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
          b"</body>\r\n</html>\r\n")


# ---- the server -----------------------------------------------------------------


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "es-mock"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, ctype="application/json; charset=UTF-8", headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-elastic-product", "Elasticsearch")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log_request_to_file(self, raw):
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        entry = {"method": self.command, "path": self.path,
                 "content_type": self.headers.get("Content-Type"),
                 "authorization": self.headers.get("Authorization"), "body": body}
        with self.server.log_lock, open(self.server.opts.log, "a") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")

    def read_body(self):
        n = self.headers.get("Content-Length", "0")
        expect(n.isdigit(), "Content-Length: want a number, got %s" % n)
        return self.rfile.read(int(n))

    def do_GET(self):
        self.read_body_and_answer()

    def do_PUT(self):
        self.read_body_and_answer()

    def do_POST(self):
        self.read_body_and_answer()

    def read_body_and_answer(self):
        try:
            raw = self.read_body()
        except CheckFailed as e:
            self.reply(*mock_error(str(e)))
            return
        self.log_request_to_file(raw)
        try:
            answer = self.answer(raw)
        except CheckFailed as e:
            answer = mock_error(str(e))
        if answer is not None:
            self.reply(*answer)

    def unauthorized(self, reason):
        hdr = 'Basic realm="security" charset="UTF-8", ApiKey'
        cause = {"type": "security_exception", "reason": reason,
                 "header": {"WWW-Authenticate": [hdr]}}
        status, body = es_error(401, [cause], cause["type"], reason, header=cause["header"])
        return status, body, (("WWW-Authenticate", hdr),)

    def check_auth(self, path):
        o = self.server.opts
        if o.user is None and o.api_key is None:
            return None
        auth = self.headers.get("Authorization")
        if auth is None:
            return self.unauthorized("missing authentication credentials for REST request [%s]"
                                     % path)
        kind, _, cred = auth.partition(" ")
        if kind == "Basic" and o.user is not None:
            try:
                user = base64.b64decode(cred, validate=True).decode().partition(":")[0]
            except ValueError:
                raise CheckFailed("Authorization: bad Basic credentials %r" % cred)
            if cred == base64.b64encode(("%s:%s" % (o.user, o.password)).encode()).decode():
                return None
            return self.unauthorized("unable to authenticate user [%s] for REST request [%s]"
                                     % (user, path))
        if kind == "ApiKey" and o.api_key is not None and cred == o.api_key:
            return None
        return self.unauthorized("unable to authenticate with provided credentials and "
                                 "anonymous access is not allowed for this request")

    def check_request(self):
        """Method, path and headers; returns the index."""
        expect(self.command == "POST", "method: want POST, got %s" % self.command)
        path, _, query = self.path.partition("?")
        expect(query in ("", "size=0"), "query string: want none or size=0, got %s" % query)
        m = re.fullmatch(r"/((?:[A-Za-z0-9._~*-]|%[0-9A-F]{2})+)/_search", path)
        expect(m is not None, "path: want /<percent-encoded index>/_search, got %s" % path)
        index = urllib.parse.unquote(m.group(1))
        ctype = self.headers.get("Content-Type", "")
        expect(ctype.split(";")[0].strip() == "application/json",
               "Content-Type: want application/json, got %s" % ctype)
        return index

    def answer(self, raw):
        index = self.check_request()
        denied = self.check_auth(self.path)
        if denied is not None:
            status, body, headers = denied
            self.reply(status, body, headers=headers)
            return None
        lo, hi, qs, interval, ranges = check_body(raw, self.server.opts)
        return self.search(index, lo, hi, qs, interval, ranges)

    def search(self, index, lo, hi, qs, interval, ranges):
        o = self.server.opts
        if index.startswith("missing-"):
            return index_not_found(index)
        if qs is not None and "((" in qs:
            return bad_query(index, qs)
        if index == "broken":
            return 502, BROKEN, "text/html"
        if index == "unavailable":
            return unavailable()
        if index == "redirect":
            self.reply(301, b"", "text/plain", (("Location", "http://elsewhere.invalid/"),))
            return None
        if index.startswith("empty-"):
            return search_ok(None, {"total": 0, "successful": 0, "skipped": 0, "failed": 0})
        if index == "huge":
            return 200, b" " * (17 * 1024 * 1024) + b"{}"
        if index == "slow":
            time.sleep(o.slow)
        buckets = histogram(self.server.docs, lo, hi, qs, interval, ranges, o)
        if index == "partial":
            return partial(buckets, index)
        return search_ok(buckets, timed_out=index == "timedout")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            super().handle_error(request, client_address)

    def finish_request(self, request, client_address):
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return  # the client refused our certificate: its test says so
        super().finish_request(request, client_address)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ready", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--errors", type=parse_statuses)
    p.add_argument("--time-field", default="@timestamp")
    p.add_argument("--status-field", default="status")
    p.add_argument("--user")
    p.add_argument("--password", default="")
    p.add_argument("--api-key")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--slow", type=float, default=30)
    opts = p.parse_args()

    srv = Server(("127.0.0.1", opts.port), Handler)
    srv.opts = opts
    srv.log_lock = threading.Lock()
    with open(opts.data) as f:
        srv.docs = [json.loads(line) for line in f if line.strip()]
    srv.tls = None
    if opts.tls_cert:
        srv.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        srv.tls.load_cert_chain(opts.tls_cert, opts.tls_key)
    with open(opts.ready + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(opts.ready + ".tmp", opts.ready)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
