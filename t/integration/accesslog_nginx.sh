#!/bin/sh
# lib/accesslog on a real nginx (127.0.0.1:8080) writing a combined access log
# while curl sends known numbers of 200s and 500s. The log is rotated mid-stream
# by rename (read once before nginx reopens it, once after) and by copytruncate
# (seen early, and seen only after the new file outgrew the old offset); across
# all runs of t/helpers/logscan the counts must equal exactly what curl sent.
# nginx also writes a JSON-lines log of the same requests (--log-format json).
. "$(dirname "$0")/../lib.sh"

NGINX=/usr/sbin/nginx
SCAN=${LOGSCAN:-$TOP/t/helpers/logscan} # LOGSCAN: another build, to see this test fail
N=$T/nginx
LOG=$N/access.log
URL=http://127.0.0.1:8080
[ -x "$NGINX" ] || { echo "Bail out! $NGINX is missing: run scripts/install-deps"; exit 1; }
[ -x "$SCAN" ] || { echo "Bail out! $SCAN is not built: run make tests"; exit 1; }

mkdir -p "$N"
# nginx's worker (nobody) reopens the logs itself on USR1: it must reach them
chmod 711 "$T" "$N"
cat >"$N/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $N/nginx.pid;
error_log $N/error.log;
events { worker_connections 64; }
http {
	log_format j escape=json '{"time":"\$time_iso8601","msec":\$msec,"status":\$status,"uri":"\$request_uri"}';
	access_log $LOG combined;
	access_log $N/json.log j;
	client_body_temp_path $N/client_body;
	proxy_temp_path $N/proxy;
	fastcgi_temp_path $N/fastcgi;
	uwsgi_temp_path $N/uwsgi;
	scgi_temp_path $N/scgi;
	server {
		listen 127.0.0.1:8080;
		location = /ok { return 200; }
		location = /fail { return 500; }
	}
}
EOF
"$NGINX" -p "$N" -c "$N/nginx.conf" -e "$N/error.log" &
NGPID=$!
at_exit "kill $NGPID 2>/dev/null; wait $NGPID 2>/dev/null"
i=0
until [ -s "$N/nginx.pid" ]; do
	if ! kill -0 "$NGPID" 2>/dev/null || [ $i -ge 100 ]; then
		echo "Bail out! nginx did not start: $(cat "$N/error.log" 2>/dev/null)"
		exit 1
	fi
	sleep 0.05
	i=$((i + 1))
done

SENT=0      # requests nginx answered
SENT_ERR=0  # of which 500s
COUNTED=0   # requests logscan counted, over all runs
COUNTED_ERR=0
OUT=""

# send ok|fail COUNT: COUNT requests answered 200|500, in one curl (keep-alive)
send() {
	code=200
	[ "$1" = fail ] && code=500
	got=$(curl -s -w '\n%{http_code}\n' "$URL/$1?[1-$2]" | grep -c "^$code\$")
	is "$got" "$2" "curl got $2 answers $code from /$1"
	SENT=$((SENT + $2))
	[ $code = 500 ] && SENT_ERR=$((SENT_ERR + $2))
}
# settle: wait until nginx has logged every request sent (in access.log*)
settle() {
	i=0
	while [ "$(cat "$LOG"* 2>/dev/null | wc -l)" -ne "$SENT" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}
# scan: one logscan run from the saved position; adds its totals to COUNTED
scan() {
	OUT=$("$SCAN" --totals --pos "$T/pos" --lookback 3600 "$LOG" 2>&1)
	# shellcheck disable=SC2046 # split on purpose: "REQUESTS ERRORS"
	set -- $(printf '%s\n' "$OUT" | sed -n 's/^total //p')
	COUNTED=$((COUNTED + ${1:-0}))
	COUNTED_ERR=$((COUNTED_ERR + ${2:-0}))
	like "$OUT" "bad=0 " "no line was malformed"
}
# exact DESC: everything sent so far was counted once
exact() {
	is "$COUNTED $COUNTED_ERR" "$SENT $SENT_ERR" "$1: requests and 500s counted exactly"
}
reopen() { # nginx -s reopen, and wait for the new file
	kill -USR1 "$(cat "$N/nginx.pid")"
	i=0
	while [ ! -e "$LOG" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	sleep 0.2 # the worker reopens after the master
}

# 1. a first run reads what is there (lookback 1h: the whole log)
send ok 30
send fail 10
settle
scan
like "$OUT" "first_run=1" "the first run says so"
exact "first run"
send ok 4
send fail 1
settle
scan
like "$OUT" "total 5 1" "the next run reads only the new lines"
exact "incremental run"

# 2. rename: mv, a run before nginx reopens (no access.log), a run after
send ok 20
send fail 5
settle
mv "$LOG" "$LOG.1"
send ok 10
send fail 10
settle
ok "[ ! -e '$LOG' ]" "access.log is gone until nginx reopens it"
scan
like "$OUT" "total 45 15" "a run while only the renamed file exists reads it"
exact "renamed, not reopened"
send ok 3
reopen
ok "[ -e '$LOG' ]" "nginx created a new access.log"
send ok 15
send fail 5
settle
scan
like "$OUT" "rotated=1" "the run after the reopen sees a rotation"
exact "rename + reopen"
send ok 7
send fail 3
settle
scan
like "$OUT" "total 10 3" "then reads the new file on"
exact "after the rename"

# 3. copytruncate, the truncated file still shorter than what was read
send ok 12
send fail 8
settle
mv "$LOG.1" "$LOG.2"
cp "$LOG" "$LOG.1" && : >"$LOG"
send ok 9
send fail 6
settle
scan
like "$OUT" "truncated=1" "the run sees the truncation"
like "$OUT" "total 35 14" "lines left in the copy and the new ones are counted"
ok "! printf '%s\\n' \"\$OUT\" | grep -q '^note'" "no loss is reported"
exact "copytruncate"

# 4. copytruncate seen late: the new file outgrew the old offset first
send ok 2
settle
scan
send fail 3
settle
mv "$LOG.1" "$LOG.3"
cp "$LOG" "$LOG.1" && : >"$LOG"
send fail 40
send ok 60
settle
ok "[ $(stat -c %s "$LOG") -gt $(stat -c %s "$LOG.1") ]" "the new file is longer than the copy"
scan
like "$OUT" "truncated=1" "the run still sees the truncation"
exact "copytruncate, seen late"

# 5. nothing new: nothing counted; then more, several runs
scan
like "$OUT" "total 0 0" "a run with nothing new counts nothing"
for round in 1 2 3; do
	send ok $((round * 5))
	send fail $round
	settle
	scan
done
exact "three more runs"

# 6. the same requests in nginx's JSON lines, by ISO time and by $msec
for field in time msec; do
	OUT=$("$SCAN" --totals --format json --time-field $field --lookback 0 "$N/json.log" 2>&1)
	like "$OUT" "^total $SENT $SENT_ERR\$" "JSON log, --time-field $field: every request and 500"
	like "$OUT" "bad=0 " "JSON log, --time-field $field: no line malformed"
done
by_iso=$("$SCAN" --format json --lookback 0 "$N/json.log" | grep '^bucket')
by_msec=$("$SCAN" --format json --time-field msec --lookback 0 "$N/json.log" | grep '^bucket')
is "$by_msec" "$by_iso" "the same buckets by \$time_iso8601 and by \$msec"
done_testing
