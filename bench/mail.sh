#!/bin/sh
# bench/mail.sh - trendtrapd's mail channel (issue 6) against one `curl`
# SMTP upload per message, as a notification script would send it.
#
# In one run, against t/helpers/smtp_sink.py (aiosmtpd) on 127.0.0.1:BENCH_PORT,
# started twice: plain SMTP without AUTH (tls = "none": a relay on this
# machine), then STARTTLS required + AUTH PLAIN (a self-signed certificate
# made here with openssl, given to the daemon as ca_file and to curl as
# --cacert).  For each:
#  1. trendtrapd, N problem notifications to one recipient (N new services,
#     one CRITICAL result each, sustain_count 1), all fed at once through the
#     socket by `trendtrap submit -`, timed from the first line sent until the
#     sink has stored all N messages; three runs, each by a fresh daemon, the
#     median shown;
#  2. the same N messages as N/4 notifications to 4 recipients (4
#     destinations of one channel, each its own outbox and window), once;
#  3. CURL_RUNS sequential runs of `curl --url smtp://... --mail-from ...
#     --mail-rcpt ... --upload-file MSG` (with --ssl-reqd --cacert --user for
#     STARTTLS) from a shell loop, MSG being a message the daemon sent in 1.
# Then, plain only, order: ORDER_N services each go CRITICAL and OK at once
# (problem and recovery queued together, one recipient); counted: the
# recoveries the sink stored before their problem.
# Reported: wall time, messages/s, the ratio to the curl loop, the sender's
# CPU (trendtrapd from /proc, until it counted all delivered; or the loop's sh
# and curls), the sink's CPU, the TCP connections the sink accepted (= TLS
# handshakes with STARTTLS), the listen queue overflows meanwhile (whole
# machine), the daemon's retries, and the connections the daemon still holds
# open after the run.  Then instructions (callgrind):
# trendtrapd per message (CG_N CRITICAL minus CG_N OK new services), against
# one curl run.
# The daemon's state directory (outbox journal, fdatasync per loop round) is
# on a real disk: BENCH_DIR, default /var/tmp.  The sink stores into
# SINK_DIR, default /dev/shm (tmpfs): smtp_sink.py fsyncs each message inside
# its event loop, and on ext4 that alone limits it to about 700 messages/s
# whoever sends (SINK_DIR=/var/tmp to see it).  Prints Markdown tables.
#
# Usage: bench/mail.sh   (from the top of a built tree: make)
#        env: N (1000) CURL_RUNS (N) CG_N (100; 0: no callgrind) ORDER_N (300)
#             BENCH_PORT (2551; not the tests' 2541) BENCH_DIR SINK_DIR
set -eu
cd "$(dirname "$0")/.."
TOP=$PWD
TTD=$TOP/trapd/trendtrapd
TT=$TOP/trapd/trendtrap
PY=/usr/bin/python3 # the Debian python that has python3-aiosmtpd
HELPER="$PY $TOP/bench/mail_bench.py"
N=${N:-1000}
CURL_RUNS=${CURL_RUNS:-$N}
CG_N=${CG_N:-100}
ORDER_N=${ORDER_N:-300}
PORT=${BENCH_PORT:-2551}
FROM=trendtrap@example.org
OUT=$(mktemp -d "${BENCH_DIR:-/var/tmp}/trendtrap-bench-mail.XXXXXX")
SINKS=$(mktemp -d "${SINK_DIR:-/dev/shm}/trendtrap-bench-mail-sink.XXXXXX")
SPID=""  # the smtp sink running, if any
DPID=""  # the trendtrapd running, if any
trap 'kill $SPID $DPID 2>/dev/null || true; wait 2>/dev/null; rm -rf "$OUT" "$SINKS"' EXIT
trap 'exit 130' INT TERM

for tool in curl openssl valgrind "$PY" "$TTD" "$TT"; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found (make; scripts/install-deps)" >&2; exit 1; }
done
"$PY" -c 'import aiosmtpd' 2>/dev/null || { echo "bench: python3-aiosmtpd missing (scripts/install-deps)" >&2; exit 1; }
[ $((N % 4)) -eq 0 ] || { echo "bench: N must be a multiple of 4" >&2; exit 1; }
case $(stat -f -c %T "$OUT") in
tmpfs | ramfs) echo "bench: $OUT is on tmpfs: the outbox's fdatasync costs nothing there" >&2 ;;
esac

# ---- secrets -------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$OUT/sink.key" -out "$OUT/sink.pem" 2>/dev/null
printf 'bench:s3cret\n' >"$OUT/users"
printf 's3cret\n' >"$OUT/pw"
chmod 600 "$OUT/users" "$OUT/pw" "$OUT/sink.key"
chmod 644 "$OUT/sink.pem"

# ---- the sink --------------------------------------------------------------------
# sink_start MODE: the sink for MODE (plain or tls) on PORT, storing into
# $SINKS/MODE; its accepted connections counted in $OUT/MODE.conns.
sink_start() {
	set -- "$1"
	if [ "$1" = tls ]; then
		set -- "$1" --tls-cert "$OUT/sink.pem" --tls-key "$OUT/sink.key" --auth-file "$OUT/users"
	fi
	mode=$1
	shift
	: >"$OUT/$mode.conns"
	$HELPER sink "$OUT/$mode.conns" -- --dir "$SINKS/$mode" --port "$PORT" "$@" \
		>"$OUT/$mode.sink.out" 2>"$OUT/$mode.sink.err" &
	SPID=$!
	i=0
	until grep -qs '^ready' "$OUT/$mode.sink.out"; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $SPID 2>/dev/null; then
			echo "bench: smtp_sink did not start on 127.0.0.1:$PORT (port in use? set BENCH_PORT)" >&2
			cat "$OUT/$mode.sink.err" >&2
			exit 1
		fi
		sleep 0.05
	done
	: >"$SINKS/$mode/log.jsonl"
}
sink_stop() {
	kill $SPID
	wait $SPID 2>/dev/null || true
	SPID=""
}
conns() { stat -c %s "$OUT/$1.conns"; }

# ---- trendtrapd ---------------------------------------------------------------------
# daemon_conf NAME MODE RECIPIENTS: one mail channel to RECIPIENTS addresses
# (ops1@example.org ...), every CRITICAL result of a new service a problem
# notification to each of them.
daemon_conf() {
	mkdir -p "$OUT/$1"
	to=$(i=1; while [ $i -le "$3" ]; do printf '"ops%d@example.org"%s' $i "$([ $i -lt "$3" ] && echo ', ')"; i=$((i + 1)); done)
	if [ "$2" = tls ]; then
		sec="user = \"bench\"  password_file = \"$OUT/pw\"  ca_file = \"$OUT/sink.pem\""
	else
		sec='tls = "none"'
	fi
	cat >"$OUT/$1/ttd.conf" <<EOF
user = "$(id -un)"
state_dir = "$OUT/$1/state"
socket { path = "$OUT/$1/sock" mode = "0600" }
defaults { sustain_count = 1  recover_count = 1  flap_low = 0  flap_high = 0 }
channel "mail" {
	type = "mail"
	url = "smtp://127.0.0.1:$PORT"
	from = "$FROM"
	to = {$to}
	$sec
}
route { channels = {"mail"} }
EOF
}
. "$TOP/bench/lib-trendtrapd.sh"
delivered() { "$TT" -s "$SOCK" status | awk -F'\t' '$2 == "mail" { n += $6 } END { print n + 0 }'; }
wait_delivered() { # COUNT: until the daemon counted COUNT delivered (30 s at most)
	i=0
	while [ "$(delivered)" -lt "$1" ] && [ $i -lt 600 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

# crit PREFIX COUNT: one CRITICAL result each of COUNT new services.
crit() {
	awk -v p="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++)
		printf "PROCESS_SERVICE_CHECK_RESULT;%s%05d.example.com;disk /var;2;DISK_TREND CRITICAL - /var: 95%% used, full in 2h|/var=95%%;85;90;0;100 slope=1.5e+06B\n", p, i }'
}
okr() {
	awk -v p="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++)
		printf "PROCESS_SERVICE_CHECK_RESULT;%s%05d.example.com;disk /var;0;DISK_TREND OK - /var: 45%% used, full in 30d|/var=45%%;85;90;0;100 slope=1.5e+04B\n", p, i }'
}

# run_daemon MODE RECIPIENTS RUN: N messages: N/RECIPIENTS notifications to
# RECIPIENTS recipients, by a fresh daemon; results in
# $OUT/MODE-RECIPIENTS-RUN.txt.
run_daemon() {
	mode=$1 nr=$2 name=$1-$2-$3
	notes=$((N / nr))
	crit "$name-" "$notes" >"$OUT/$name.in"
	daemon_conf "$name" "$mode" "$nr"
	start_daemon "$name"
	c0=$(cpu_ticks $DPID)
	k0=$(conns "$mode")
	$HELPER deliver "$SINKS/$mode" "$N" 30 "$SPID" -- \
		"$TT" -s "$SOCK" submit - <"$OUT/$name.in" >"$OUT/$name.txt"
	wait_delivered "$N"
	{
		echo "daemon_cpu_ticks $(($(cpu_ticks $DPID) - c0))"
		echo "counted_delivered $(delivered)"
		echo "connections $(($(conns "$mode") - k0))"
		echo "still_open $($HELPER estab "$PORT")"
		echo "retries $(grep -c 'will retry' "$OUT/$name/ttd.log" || true)"
		echo "notifications $notes"
	} >>"$OUT/$name.txt"
	stop_daemon
}

# The curl loop: what a notification script runs per message.
cat >"$OUT/curl-loop.sh" <<EOF
# curl-loop.sh RUNS PORT MSG [CURL OPTIONS...]
runs=\$1 port=\$2 msg=\$3
shift 3
i=0
while [ \$i -lt \$runs ]; do
	curl -sS --url "smtp://127.0.0.1:\$port" --mail-from "$FROM" \\
		--mail-rcpt "ops1@example.org" --upload-file "\$msg" "\$@"
	i=\$((i + 1))
done
EOF
run_curl() { # MODE: $OUT/MODE-curl.txt
	mode=$1
	if [ "$mode" = tls ]; then
		set -- --ssl-reqd --cacert "$OUT/sink.pem" --user bench:s3cret
	else
		set --
	fi
	k0=$(conns "$mode")
	$HELPER deliver "$SINKS/$mode" "$CURL_RUNS" 30 "$SPID" -- \
		sh "$OUT/curl-loop.sh" "$CURL_RUNS" "$PORT" "$OUT/msg.eml" "$@" >"$OUT/$mode-curl.txt"
	echo "connections $(($(conns "$mode") - k0))" >>"$OUT/$mode-curl.txt"
}

# run_order: ORDER_N services, each a CRITICAL then an OK result, fed at once
# to a daemon with one recipient (plain); $OUT/order.txt.
run_order() {
	daemon_conf order plain 1
	start_daemon order
	skip=$(wc -l <"$SINKS/plain/log.jsonl")
	awk -v n="$ORDER_N" 'BEGIN { for (i = 0; i < n; i++) {
		printf "PROCESS_SERVICE_CHECK_RESULT;ord%05d.example.com;disk /var;2;DISK CRITICAL - /var: 95%% used\n", i
		printf "PROCESS_SERVICE_CHECK_RESULT;ord%05d.example.com;disk /var;0;DISK OK - /var: 45%% used\n", i } }' |
		"$TT" -s "$SOCK" submit -
	i=0
	while [ "$(wc -l <"$SINKS/plain/log.jsonl")" -lt $((skip + 2 * ORDER_N)) ] && [ $i -lt 600 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	$HELPER order "$SINKS/plain" "$skip" >"$OUT/order.txt"
	stop_daemon
}

# ---- the runs ------------------------------------------------------------------------
for mode in plain tls; do
	sink_start $mode
	for run in 1 2 3; do
		run_daemon $mode 1 $run
	done
	if [ $mode = plain ]; then # curl sends one of the daemon's messages
		first=$(ls "$SINKS/plain/new" | head -1)
		cp "$SINKS/plain/new/$first" "$OUT/msg.eml"
	fi
	run_daemon $mode 4 1
	run_curl $mode
	[ $mode = plain ] && run_order
	sink_stop
done

# ---- instructions ------------------------------------------------------------------------
# cg MODE NAME LINES EXPECT: the daemon under callgrind is fed LINES (a file),
# waits for EXPECT messages at the sink, stops; "NAME instructions
# connections" goes to instr.txt.
cg() {
	daemon_conf "$2" "$1" 1
	k0=$(conns "$1")
	start_daemon "$2" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		--log-file="$OUT/$2/vg.%p"
	if [ "$4" -gt 0 ]; then
		$HELPER deliver "$SINKS/$1" "$4" 30 "$SPID" -- "$TT" -s "$SOCK" submit - <"$3" >/dev/null
		wait_delivered "$4"
	else
		"$TT" -s "$SOCK" submit - <"$3"
	fi
	stop_daemon
	echo "$2 $(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$OUT/$2/vg.$STOPPED") $(($(conns "$1") - k0))" \
		>>"$OUT/instr.txt"
}
: >"$OUT/instr.txt"
if [ "$CG_N" -gt 0 ]; then
	okr cg "$CG_N" >"$OUT/cg-ok.txt"
	crit cg "$CG_N" >"$OUT/cg-crit.txt"
	for mode in plain tls; do
		sink_start $mode
		cg $mode "cg-$mode-ok" "$OUT/cg-ok.txt" 0
		cg $mode "cg-$mode-crit" "$OUT/cg-crit.txt" "$CG_N"
		# one curl run under the loop's sh: the larger count of the two
		if [ $mode = tls ]; then
			set -- --ssl-reqd --cacert "$OUT/sink.pem" --user bench:s3cret
		else
			set --
		fi
		valgrind --tool=callgrind --callgrind-out-file=/dev/null --trace-children=yes \
			--log-file="$OUT/vg-curl-$mode.%p" sh "$OUT/curl-loop.sh" 1 "$PORT" "$OUT/msg.eml" "$@"
		echo "curl-$mode $(cat "$OUT"/vg-curl-$mode.* | sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | sort -n | tail -1) 1" \
			>>"$OUT/instr.txt"
		sink_stop
	done
fi

# ---- tables ---------------------------------------------------------------------------------
"$PY" - "$OUT" "$N" "$CURL_RUNS" "$CG_N" "$(wc -c <"$OUT/msg.eml")" <<'PY'
import sys
out, n, runs, cg_n, msg_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

def kv(name):
    return {l.split()[0]: l.split()[1:] for l in open("%s/%s" % (out, name)) if l.strip()}

print("Throughput: %d messages (%d bytes each) to smtp_sink.py on 127.0.0.1\n" % (n, msg_size))
print("| sender | SMTP | stored | time to the last | messages/s | / curl loop | TCP connections (TLS handshakes) | listen queue overflows | retries | left open | sender CPU | per message | sink CPU |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for mode, label in (("plain", "plain, no AUTH"), ("tls", "STARTTLS + AUTH")):
    c = kv("%s-curl.txt" % mode)
    c_s, c_got = float(c["last_s"][0]), int(c["received"][0])
    c_rate = c_got / c_s
    c_cpu = float(c["command_cpu_s"][0])
    hs = lambda k: k if mode == "plain" else "%s (%s)" % (k, k)
    print("| curl, %d sequential runs | %s | %d of %d | %.2f s | %.0f | 1.00x | %s | %s | - | 0 | %.2f s | %.2f ms | %.2f s |" % (
        runs, label, c_got, runs, c_s, c_rate, hs(c["connections"][0]), c["listen_overflows"][0],
        c_cpu, c_cpu / runs * 1e3, float(c["sink_cpu_s"][0])))
    for nr, reps in ((1, 3), (4, 1)):
        ts = [kv("%s-%d-%d.txt" % (mode, nr, r)) for r in range(1, reps + 1)]
        rate = lambda t: int(t["received"][0]) / float(t["last_s"][0])
        ts.sort(key=rate)
        t = ts[len(ts) // 2]
        got, secs = int(t["received"][0]), float(t["last_s"][0])
        cpu = int(t["daemon_cpu_ticks"][0]) / 100 + float(t["command_cpu_s"][0])
        ratio = "%.2fx" % ((got / secs) / c_rate) if got >= n else "- (%d missing)" % (n - got)
        who = "1 recipient" if nr == 1 else "%d recipients" % nr
        runs_note = ", median of %d runs: %s msg/s" % (reps, ", ".join("%.0f" % rate(x) for x in ts)) if reps > 1 else ""
        print("| trendtrapd, %s notifications to %s (socket fed in %.2f s%s) | %s | %d of %d | %.2f s | %.0f | %s | %s | %s | %s | %s | %.2f s | %.2f ms | %.2f s |" % (
            t["notifications"][0], who, float(t["sent_s"][0]), runs_note, label, got, n, secs, got / secs, ratio,
            hs(t["connections"][0]), t["listen_overflows"][0], t["retries"][0], t["still_open"][0], cpu, cpu / n * 1e3,
            float(t["sink_cpu_s"][0])))
print("\nsender CPU: the loop's sh and curls, or trendtrapd (until it counted all delivered) and"
      " `trendtrap submit`.  TCP connections: accepted by the sink.  listen queue overflows:"
      " TcpExtListenOverflows (whole machine) during the run: connections the sink's listen queue"
      " (asyncio's backlog of 100) could not take.  retries: attempts the daemon logged as failed"
      " (\"will retry\").  left open: the sender's connections to the sink still established after"
      " the run.\n")

o = kv("order.txt")
print("Order: %s services each CRITICAL then OK at once, one recipient, plain: %s messages stored, %s recoveries, %s of them before their problem\n" % (
    int(o["recoveries"][0]), o["messages"][0], o["recoveries"][0], o["recovery_first"][0]))

i = {}
for l in open(out + "/instr.txt"):
    f = l.split()
    i[f[0]] = (int(f[1]), int(f[2]))
if cg_n > 0:
    print("Instructions (callgrind; the daemon's: %d CRITICAL minus %d OK new services, one recipient)\n" % (cg_n, cg_n))
    print("| what | instructions per message | TCP connections | / one curl run |")
    print("|---|---|---|---|")
    for mode, label in (("plain", "plain"), ("tls", "STARTTLS + AUTH")):
        crun = i["curl-" + mode][0]
        per = (i["cg-%s-crit" % mode][0] - i["cg-%s-ok" % mode][0]) / cg_n
        print("| trendtrapd, %s | %.0f | %d for %d messages | %.3fx |" % (label, per, i["cg-%s-crit" % mode][1], cg_n, per / crun))
        print("| curl, one run, %s | %d | 1 | 1.000x |" % (label, crun))
PY
