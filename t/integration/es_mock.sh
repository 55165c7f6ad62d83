#!/bin/sh
# The Elasticsearch source against t/helpers/es_mock.py, a small server that
# checks each request strictly and answers in Elasticsearch's documented
# shapes (no Elasticsearch is installable here): counts per bucket equal the
# dataset's (computed here with awk), query_string filtering, basic auth and
# API key headers arrive and never show in messages, https with and without
# --ca-file, every documented error gives its message, a timeout is bounded,
# and the module is found and loaded only by programs that need it.
# Driven through t/helpers/esprobe (options -> es_fetch).
. "$(dirname "$0")/../lib.sh"

PROBE=$TOP/t/helpers/esprobe
MOCK=$TOP/t/helpers/es_mock.py
export TRENDTRAP_ES_MODULE=$TOP/lib/trendtrap-es.so
unset TRENDTRAP_ES_PASSWORD TRENDTRAP_ES_API_KEY
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
if [ ! -x /usr/bin/python3 ]; then
	echo "Bail out! /usr/bin/python3 is needed for the Elasticsearch mock"
	exit 1
fi

OUT=""
RC=0
probe() { # ARGS...: one run; sets OUT (stdout, where messages go too) and RC
	OUT=$("$PROBE" "$@" 2>&1)
	RC=$?
}
start_mock() { # NAME ARGS...: a mock on a free port, logging to $T/NAME.log; sets PORT
	name=$1
	shift
	/usr/bin/python3 "$MOCK" --port 0 --ready "$T/$name.ready" --log "$T/$name.log" "$@" \
		2>"$T/$name.err" &
	pid=$!
	at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	for i in $(seq 1 100); do
		[ -s "$T/$name.ready" ] && break
		sleep 0.05
	done
	if [ ! -s "$T/$name.ready" ]; then
		echo "Bail out! es_mock $name did not start"
		cat "$T/$name.err" >&2
		exit 1
	fi
	PORT=$(cat "$T/$name.ready")
}
lastlog() { tail -n 1 "$T/$1.log"; } # NAME: the last request the mock saw

# ---- the dataset ---------------------------------------------------------------
# 600 documents 1.7 s apart from 2 minutes before T0 to about 15 minutes after,
# statuses and services in cycles, plus documents exactly on the edges of
# [T0, T0 + 600): the one at T0 counts, those at T0 - 1 ms and T0 + 600 s not.
T0=1700000040 # a multiple of 60, not of 300
awk -v t0="$T0" 'BEGIN {
	split("200 200 500 200 404 503 429 200 302 599", st, " ")
	for (i = 0; i < 600; i++)
		printf "{\"@timestamp\":%.0f,\"status\":%d,\"service\":\"%s\"}\n",
			(t0 - 120) * 1000 + i * 1700, st[i % 10 + 1], i % 3 == 0 ? "api" : "web"
	printf "{\"@timestamp\":%.0f,\"status\":500,\"service\":\"api\"}\n", t0 * 1000
	printf "{\"@timestamp\":%.0f,\"status\":500,\"service\":\"api\"}\n", t0 * 1000 - 1
	printf "{\"@timestamp\":%.0f,\"status\":500,\"service\":\"api\"}\n", (t0 + 600) * 1000
}' >"$T/docs.jsonl"

# expected FROM TO BUCKET STATUSES [SERVICE | !SERVICE]: "START REQUESTS ERRORS"
# per bucket, as esprobe prints them, computed from the dataset: the buckets
# are the multiples of BUCKET that overlap [FROM, TO)
expected() {
	awk -F'[:,}]' -v from="$1" -v to="$2" -v b="$3" -v set="$4" -v svc="${5:-}" '
	BEGIN {
		n = split(set, parts, ",")
		for (i = 1; i <= n; i++) {
			m = split(parts[i], r, "-")
			lo[i] = r[1]
			hi[i] = m > 1 ? r[2] : r[1]
		}
	}
	{
		ts = $2; st = $4; sv = $6
		gsub(/"/, "", sv)
		if (ts < from * 1000 || ts >= to * 1000) next
		if (svc != "" && substr(svc, 1, 1) == "!" && sv == substr(svc, 2)) next
		if (svc != "" && substr(svc, 1, 1) != "!" && sv != svc) next
		k = int(ts / 1000 / b) * b
		req[k]++
		for (i = 1; i <= n; i++)
			if (st >= lo[i] && st <= hi[i]) { err[k]++; break }
	}
	END { for (t = from - from % b; t < to; t += b) printf "%.0f %d %d\n", t, req[t], err[t] }
	' "$T/docs.jsonl"
}

# ---- counts ---------------------------------------------------------------------
start_mock plain --data "$T/docs.jsonl" --slow 30
URL=http://127.0.0.1:$PORT
W="$T0 $((T0 + 600)) 60"

probe --es-url "$URL" --index logs $W
is "$RC" 0 "a search over 10 one-minute buckets succeeds"
is "$OUT" "$(expected $W 500-599)" "requests and 5xx errors per bucket are the dataset's"
ok "[ $(printf '%s\n' "$OUT" | awk '{ s += $2 } END { print s }') -gt 300 ]" \
	"and the dataset is not trivially empty"
like "$(lastlog plain)" '"path": "/logs/_search"' "one POST to /INDEX/_search"
like "$(lastlog plain)" '"content_type": "application/json"' "with a JSON body"
ok "[ $(wc -l <"$T/plain.log") -eq 1 ]" "one request for all the buckets"

probe --es-url "$URL" --index logs --errors 500-599,429,404 $W
is "$OUT" "$(expected $W 500-599,429,404)" "--errors 500-599,429,404: every range is counted"

probe --es-url "$URL" --index logs $((T0 + 120)) $((T0 + 420)) 300
is "$OUT" "$(expected $((T0 + 120)) $((T0 + 420)) 300 500-599)" \
	"five-minute buckets: partial first and last buckets hold what the range covers"

probe --es-url "$URL" --index logs $((T0 + 7200)) $((T0 + 7500)) 60
is "$OUT" "$(expected $((T0 + 7200)) $((T0 + 7500)) 60 500-599)" \
	"a quiet hour: every bucket is there, empty"
is "$(printf '%s\n' "$OUT" | awk '$2 == 0 && $3 == 0' | wc -l | tr -d ' ')" 5 "five empty buckets"

probe --es-url "$URL" --index logs --query service:api $W
is "$OUT" "$(expected $W 500-599 api)" "--query service:api counts that service only"
like "$(lastlog plain)" '"query_string": \{"query": "service:api"\}' "as a query_string filter"
probe --es-url "$URL" --index logs --query 'NOT service:api' $W
is "$OUT" "$(expected $W 500-599 '!api')" "--query 'NOT service:api' the others"

probe --es-url "$URL/" --index 'logs-*,other:x' $W
is "$RC" 0 "a URL ending in / and an index list"
like "$(lastlog plain)" '"path": "/logs-\*%2Cother%3Ax/_search"' \
	"the index is percent-encoded into one path segment"
probe --es-url "$URL" --index 'logs/_doc' $W
like "$OUT" "index pattern 'logs/_doc': '/' is not allowed" "an index with / is refused"

# ---- errors Elasticsearch reports -------------------------------------------------
probe --es-url "$URL" --index missing-logs $W
is "$RC" 3 "a missing index fails"
is "$OUT" "ESPROBE UNKNOWN - Elasticsearch: no such index [missing-logs] (index_not_found_exception, HTTP 404)" \
	"with Elasticsearch's reason, type and status"
probe --es-url "$URL" --index logs --query 'service:((' $W
is "$OUT" "ESPROBE UNKNOWN - Elasticsearch: Failed to parse query [service:((] (query_shard_exception, HTTP 400)" \
	"a query_string Elasticsearch cannot parse: its root cause"
probe --es-url "$URL" --index unavailable $W
is "$OUT" "ESPROBE UNKNOWN - Elasticsearch: all shards failed (search_phase_execution_exception, HTTP 503)" \
	"503 with no root cause: the error's own reason"
probe --es-url "$URL" --index partial $W
like "$OUT" "^ESPROBE UNKNOWN - Elasticsearch: 1 of 2 shards failed: .*disconnected \\(node_disconnected_exception\\)$" \
	"a failed shard is an error, not partial counts"
probe --es-url "$URL" --index timedout $W
is "$OUT" "ESPROBE UNKNOWN - Elasticsearch timed out searching [timedout] (partial results)" \
	"timed_out: true is an error"
probe --es-url "$URL" --index 'empty-*' $W
is "$OUT" "ESPROBE UNKNOWN - Elasticsearch: no index matches [empty-*] (0 shards searched)" \
	"a pattern that matches no index"

# ---- errors on the way ----------------------------------------------------------------
probe --es-url "$URL" --index broken $W
is "$OUT" "ESPROBE UNKNOWN - HTTP 502 from $URL: not an Elasticsearch response" \
	"a proxy's 502 HTML page"
probe --es-url "$URL" --index redirect $W
like "$OUT" "HTTP 301 from $URL: a redirect to http://elsewhere.invalid/, not followed" \
	"a redirect is not followed"
probe --es-url "$URL" --index huge $W
like "$OUT" "response of Elasticsearch at $URL exceeds 16 MiB" "a response over 16 MiB is cut off"
start=$(date +%s)
probe --es-url "$URL" --index slow -t 2 $W
end=$(date +%s)
is "$RC" 3 "a server that does not answer in time fails"
like "$OUT" "^ESPROBE UNKNOWN - Elasticsearch at $URL: timeout after 2.0 s \\(Operation timed out" \
	"with 'timeout' and curl's words"
ok "[ $((end - start)) -le 3 ]" "within the timeout of 2 s ($((end - start))s)"
probe --es-url "http://127.0.0.1:9" --index logs -t 2 $W
like "$OUT" "^ESPROBE UNKNOWN - cannot reach Elasticsearch at http://127.0.0.1:9: " \
	"nothing listening: cannot reach"

# ---- the mock is strict -------------------------------------------------------------
# a second server wanting other field names, exactly 500-599 and credentials
sed 's/"@timestamp"/"event.ts"/; s/"status"/"http.status"/' "$T/docs.jsonl" >"$T/docs-ecs.jsonl"
PW='pw-Secret-9'
KEY='VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=='
start_mock auth --data "$T/docs-ecs.jsonl" --time-field event.ts --status-field http.status \
	--errors 500-599 --user elastic --password "$PW" --api-key "$KEY"
AURL=http://127.0.0.1:$PORT
F="--time-field event.ts --status-field http.status"

OUT=$(TRENDTRAP_ES_PASSWORD=$PW "$PROBE" --es-url "$AURL" --index logs --user elastic $W 2>&1)
like "$OUT" "^ESPROBE UNKNOWN - Elasticsearch: mock: .*\\(illegal_argument_exception, HTTP 400\\)$" \
	"a request with the default fields is refused by a strict server..."
like "$OUT" "mock: query.bool.filter\\[0\\].range: want keys \\['event.ts'\\]" \
	"...which says exactly what was wrong"
OUT=$(TRENDTRAP_ES_PASSWORD=$PW "$PROBE" --es-url "$AURL" --index logs --user elastic $F \
	--errors 500-599,429 $W 2>&1)
like "$OUT" "mock: .*should: want status ranges \\[\\(500, 599\\)\\], got \\[\\(500, 599\\), \\(429, 429\\)\\]" \
	"the error statuses are checked exactly"

# ---- authentication ---------------------------------------------------------------------
OUT=$(TRENDTRAP_ES_PASSWORD=$PW "$PROBE" --es-url "$AURL" --index logs --user elastic $F $W 2>&1)
is "$OUT" "$(expected $W 500-599)" "basic auth: --time-field and --status-field are used"
is "$(lastlog auth | sed -n 's/.*"authorization": "\([^"]*\)".*/\1/p')" \
	"Basic $(printf 'elastic:%s' "$PW" | base64)" "the Authorization: Basic header arrives"
OUT=$(TRENDTRAP_ES_API_KEY=$KEY "$PROBE" --es-url "$AURL" --index logs $F $W 2>&1)
is "$OUT" "$(expected $W 500-599)" "an API key works"
like "$(lastlog auth)" "\"authorization\": \"ApiKey $KEY\"" "as Authorization: ApiKey KEY"

probe --es-url "$AURL" --index logs $F $W
is "$OUT" "ESPROBE UNKNOWN - Elasticsearch: missing authentication credentials for REST request [/logs/_search] (security_exception, HTTP 401)" \
	"no credentials: 401 with Elasticsearch's reason"
OUT=$(TRENDTRAP_ES_PASSWORD=wrong-pass-7 "$PROBE" --es-url "$AURL" --index logs --user elastic $F $W 2>&1)
is "$OUT" "ESPROBE UNKNOWN - Elasticsearch: unable to authenticate user [elastic] for REST request [/logs/_search] (security_exception, HTTP 401)" \
	"a wrong password: 401"
OUT=$(TRENDTRAP_ES_API_KEY=bm90LXRoZS1rZXk6c2VjcmV0 "$PROBE" --es-url "$AURL" --index logs $F $W 2>&1)
like "$OUT" "unable to authenticate with provided credentials .*HTTP 401" "a wrong API key: 401"
ok "! printf '%s' \"\$OUT\" | grep -q bm90LXRoZS1rZXk6c2VjcmV0" "and the key is not in the message"
OUT=$(TRENDTRAP_ES_PASSWORD=$PW "$PROBE" --es-url "http://elastic:$PW@127.0.0.1:9" --index logs \
	--user elastic -t 2 $W 2>&1)
like "$OUT" "cannot reach Elasticsearch at http://127.0.0.1:9: " \
	"credentials in the URL are not shown"
ok "! printf '%s' \"\$OUT\" | grep -q -- '$PW'" "the password appears in no message"
OUT=$(TRENDTRAP_ES_API_KEY=$KEY "$PROBE" --es-url "$AURL" --index logs --user elastic $F $W 2>&1)
like "$OUT" "give a user \\(basic auth\\) or an API key, not both" "basic auth and an API key together are refused"

# ---- https -------------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >"$T/openssl.log" 2>&1 ||
	{ echo "Bail out! openssl could not make a certificate"; exit 1; }
start_mock tls --data "$T/docs.jsonl" --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
SURL=https://127.0.0.1:$PORT

probe --es-url "$SURL" --index logs --ca-file "$T/cert.pem" $W
is "$OUT" "$(expected $W 500-599)" "https with --ca-file: the counts"
probe --es-url "$SURL" --index logs $W
is "$RC" 3 "https without --ca-file: the self-signed certificate is refused"
like "$OUT" "^ESPROBE UNKNOWN - Elasticsearch at $SURL: TLS failure: .*certificate.*--ca-file" \
	"a TLS failure with curl's words and a hint"
probe --es-url "https://localhost:$PORT" --index logs --ca-file "$T/cert.pem" $W
like "$OUT" "TLS failure: .*localhost" "a certificate for another name is refused"
probe --es-url "$SURL" --index logs --ca-file "$T/no-such.pem" $W
like "$OUT" "TLS failure: " "an unreadable --ca-file is a TLS failure"

# ---- the module -----------------------------------------------------------------------------
mkdir -p "$T/inst/bin" "$T/inst/lib"
cp "$PROBE" "$T/inst/bin/"
cp "$TOP/lib/trendtrap-es.so" "$T/inst/lib/"
if [ ! -e /usr/local/lib/trendtrap/trendtrap-es.so ]; then
	OUT=$(env -u TRENDTRAP_ES_MODULE "$T/inst/bin/esprobe" --es-url "$URL" --index logs $W 2>&1)
	is "$OUT" "$(expected $W 500-599)" "the module is found in ../lib beside the executable"
else
	tap_result 0 "# SKIP an installed module takes precedence over ../lib"
fi
rm "$T/inst/lib/trendtrap-es.so"
OUT=$(env -u TRENDTRAP_ES_MODULE "$T/inst/bin/esprobe" --es-url "$URL" --index logs $W 2>&1)
like "$OUT" "cannot load the Elasticsearch module: .*set TRENDTRAP_ES_MODULE" \
	"no module: a message that says how to point at it"
for p in "$PROBE" "$TOP"/plugins/check_*_trend; do
	[ -x "$p" ] || continue
	ok "! ldd '$p' | grep -Eq 'libcurl|libjson-c'" "$(basename "$p") does not link libcurl or json-c"
done
ok "ldd '$TOP/lib/trendtrap-es.so' | grep -q libcurl" "the module does"
is "$(nm -D --defined-only "$TOP/lib/trendtrap-es.so" | awk '$3 !~ /^__/ { print $3 }')" \
	trendtrap_es_module "and exports its ops table only (sanitizers' __ symbols aside)"

done_testing
