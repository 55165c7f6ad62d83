#!/bin/sh
# check_error_trend on its live sources: an access log it reads incrementally
# (counts per window, no line counted twice, two runs at once), and
# Elasticsearch (t/helpers/es_mock.py, which checks every request strictly).
. "$(dirname "$0")/../lib.sh"

PLUGIN=$TOP/plugins/check_error_trend
export TRENDTRAP_ES_MODULE=$TOP/lib/trendtrap-es.so
LOG=$T/access.log
S=$T/state
NOW=1795000000
OUT=""
RC=0
run() { OUT=$(TRENDTRAP_NOW=$NOW "$PLUGIN" --state-dir "$S" "$@" 2>&1); RC=$?; }
perf() { # the value of perfdata item LABEL, without its unit
	printf '%s\n' "$OUT" | head -n 1 | grep -o "'$1'=[^; ]*" | sed "s/^'[^']*'=//; s/[a-z%]*$//"
}
# lines AGE N STATUS: N combined-format lines written AGE seconds before NOW
lines() {
	ts=$(date -u -d "@$(($NOW - $1))" '+%d/%b/%Y:%H:%M:%S +0000')
	i=0
	while [ $i -lt "$2" ]; do
		echo "127.0.0.1 - - [$ts] \"GET /x HTTP/1.1\" $3 12 \"-\" \"curl/7.88.1\""
		i=$((i + 1))
	done >>"$LOG"
}

# ---- the access log ------------------------------------------------------
lines 7200 100 200   # two hours ago: outside the 5-minute window
lines 120 90 200     # two minutes ago
lines 60 10 503
run --log "$LOG" -w 5 -c 20
is "$RC" 1 "10 errors in 100 requests in the last 5 minutes: 10% is WARNING with -w 5"
is "$(perf requests)" 100 "requests in the window counted by the time in each line"
is "$(perf errors)" 10 "errors counted (503 is in 500-599)"
is "$(perf ratio)" 10 "ratio in percent"
like "$OUT" "^ERROR_TREND WARNING - 10.00% errors \\(10 of 100 requests in 5m\\)" "the status line"

# the next run reads only what was appended
NOW=$((NOW + 60))
lines 30 100 200
run --log "$LOG" -w 5 -c 20
is "$(perf requests)" 200 "a second run adds only the new lines (no line counted twice)"
is "$(perf errors)" 10 "and the errors stay 10"
is "$RC" 0 "5% errors is OK with -w 5"

# two runs at once count each line once
NOW=$((NOW + 60))
lines 10 50 500
for i in 1 2; do TRENDTRAP_NOW=$NOW "$PLUGIN" --state-dir "$S" --log "$LOG" >"$T/par$i" 2>&1 & done
wait
run --log "$LOG"
is "$(perf requests)" 250 "two concurrent runs: the 50 new lines counted once"
ok "ls '$S' | grep -q 'logpos'" "the read position is kept in the state dir"

# a missing log is UNKNOWN
run --log "$T/nope.log"
is "$RC" 3 "a missing log is UNKNOWN"

# ---- Elasticsearch (mock) -------------------------------------------------
MS=$((NOW * 1000))
: >"$T/data.jsonl"
for age in 30 90 150 200; do
	printf '{"@timestamp": %d, "status": 200, "service": "api"}\n' $((MS - age * 1000)) >>"$T/data.jsonl"
done
printf '{"@timestamp": %d, "status": 502, "service": "api"}\n' $((MS - 40 * 1000)) >>"$T/data.jsonl"
printf '{"@timestamp": %d, "status": 500, "service": "web"}\n' $((MS - 50 * 1000)) >>"$T/data.jsonl"
/usr/bin/python3 "$TOP/t/helpers/es_mock.py" --port 0 --ready "$T/port" --data "$T/data.jsonl" \
	--log "$T/es.log" >"$T/mock.out" 2>&1 &
mock=$!
at_exit "kill $mock 2>/dev/null"
for i in $(seq 1 50); do [ -s "$T/port" ] && break; sleep 0.1; done
ES=http://127.0.0.1:$(cat "$T/port")
run --es-url "$ES" --index 'logs-*' --min-requests 1 -c 20
is "$RC" 2 "Elasticsearch: 2 errors in 6 requests (33%) is CRITICAL"
is "$(perf requests)" 6 "requests from the histogram"
is "$(perf errors)" 2 "errors from the errors sub-aggregation"
run --es-url "$ES" --index 'logs-*' --query service:api --min-requests 1
is "$(perf requests)" 5 "--query filters with query_string"
is "$(perf errors)" 1 "and the errors with it"
run --es-url "$ES" --index missing-logs
is "$RC" 3 "an index that does not exist is UNKNOWN"
like "$OUT" "no such index" "with Elasticsearch's own reason"
run --es-url "$ES"
is "$RC" 3 "--es-url without --index is refused"
printf 'secret-key\n' >"$T/es.key"
chmod 644 "$T/es.key"
run --es-url "$ES" --index 'logs-*' --es-api-key-file "$T/es.key"
is "$RC" 3 "an API key file others can read is refused"
like "$OUT" "readable by others" "and says why"
chmod 600 "$T/es.key"
run --es-url "$ES" --index 'logs-*' --es-api-key-file "$T/es.key" --min-requests 1
is "$RC" 0 "an API key from a file"
ok "grep -q 'ApiKey secret-key' '$T/es.log'" "arrives as the Authorization header"

done_testing
