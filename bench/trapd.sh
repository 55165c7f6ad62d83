#!/bin/sh
# bench/trapd.sh - trendtrapd (issue 5) against what users would otherwise run.
#
# In one run, against real snmptrapd receivers on 127.0.0.1 started here:
#  1. throughput: N notifications (N new services, one CRITICAL result each,
#     sustain_count 1, fed through the socket by `trendtrap submit -`), from the
#     first line sent until snmptrapd logged them all, against SNMPTRAP_RUNS
#     sequential runs of `snmptrap -v2c` with the same 14 varbinds (what a
#     Nagios handler script does), scaled to N.  trendtrapd sends traps to two
#     receivers in turn: one as installed (default socket buffer, ~208 KiB)
#     and one with `serverRecvBuf 4194304` (8 MiB, the kernel's rmem_max here);
#     traps the receiver's kernel dropped are counted (/proc/net/udp); then
#     informs to the first, timed until trendtrapd counted them all delivered;
#  2. ingest: INGEST result lines of 10,000 OK services through
#     `trendtrap submit -`, timed until TRENDTRAP_SYNC answers (3 runs);
#  3. latency: LAT_SAMPLES new services' CRITICAL results, each from the
#     line's write() to the trap's arrival at a UDP receiver (python) in place
#     of snmptrapd; and 50 runs of snmptrap to the same receiver;
#  4. memory: VmRSS/VmHWM with MEM_SERVICES services (one OK result each);
#  5. instructions (callgrind on the daemon, differences of two runs, so that
#     start-up and the final save cancel out): per result of a known service,
#     and per notification, against one snmptrap run.
# The daemon's state directory (outbox journal, fdatasync per loop round) is
# on a real disk: BENCH_DIR, default /var/tmp.  Prints Markdown tables.
#
# Usage: bench/trapd.sh   (from the top of a built tree: make)
#        env: N (10000) SNMPTRAP_RUNS (1000) INGEST (1000000) LAT_SAMPLES (200)
#             MEM_SERVICES (100000) BENCH_PORT (11182: uses it and the next 2;
#             not the tests' 11162, so that it can run beside make check)
set -eu
cd "$(dirname "$0")/.."
TOP=$PWD
TTD=$TOP/trapd/trendtrapd
TT=$TOP/trapd/trendtrap
HELPER="python3 $TOP/bench/trapd_bench.py"
N=${N:-10000}
SNMPTRAP_RUNS=${SNMPTRAP_RUNS:-1000}
INGEST=${INGEST:-1000000}
LAT_SAMPLES=${LAT_SAMPLES:-200}
MEM_SERVICES=${MEM_SERVICES:-100000}
PORT=${BENCH_PORT:-11182} # snmptrapd as installed
BIGPORT=$((PORT + 1))     # snmptrapd with an 8 MiB socket buffer
LATPORT=$((PORT + 2))     # the latency receiver
ROOT=.1.3.6.1.4.1.8072.9999.1
OUT=$(mktemp -d "${BENCH_DIR:-/var/tmp}/trendtrap-bench-trapd.XXXXXX")
PIDS=""  # the snmptrapds
DPID="" # the trendtrapd running, if any
trap 'kill $PIDS $DPID 2>/dev/null; wait 2>/dev/null; rm -rf "$OUT"' EXIT
trap 'exit 130' INT TERM

for tool in snmptrap snmptrapd valgrind python3 "$TTD" "$TT"; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found (make; scripts/install-deps)" >&2; exit 1; }
done
case $(stat -f -c %T "$OUT") in
tmpfs | ramfs) echo "bench: $OUT is on tmpfs: the outbox's fdatasync costs nothing there" >&2 ;;
esac

# ---- receivers ---------------------------------------------------------------
# start_trapd NAME PORT [SNMP.CONF LINE]: an snmptrapd logging one record per
# notification ("TRAP|...|END", strings in hex) to $OUT/NAME/traps.log.
start_trapd() {
	d=$OUT/$1
	mkdir -p "$d/persist"
	cat >"$d/snmptrapd.conf" <<EOF
[snmp]
persistentDir $d/persist
mibs :
${3:-}
[snmptrapd]
snmpTrapdAddr udp:127.0.0.1:$2
authCommunity log trapcomm
EOF
	MIBS="" SNMP_PERSISTENT_DIR=$d/persist snmptrapd -f -C -c "$d/snmptrapd.conf" -n \
		-Lf "$d/traps.log" -On -Ox -F 'TRAP|%P|%V\t%v|END\n' &
	echo $! >"$d/pid"
	PIDS="$PIDS $!"
	for i in $(seq 1 50); do
		grep -q '^NET-SNMP version' "$d/traps.log" 2>/dev/null && break
		sleep 0.1
	done
	sleep 0.2
	if ! kill -0 "$(cat "$d/pid")" 2>/dev/null || ! grep -q '^NET-SNMP version' "$d/traps.log"; then
		echo "bench: snmptrapd did not start on 127.0.0.1:$2 (port in use? set BENCH_PORT)" >&2
		cat "$d/traps.log" >&2
		exit 1
	fi
}
start_trapd def "$PORT"
start_trapd big "$BIGPORT" "serverRecvBuf 4194304"
rss() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }
hwm() { sed -n 's/^VmHWM:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }
echo "snmptrapd_rss $(rss "$(cat "$OUT/def/pid")")" >"$OUT/mem.txt"

# ---- trendtrapd ----------------------------------------------------------------
printf 'trapcomm\n' >"$OUT/community"
chmod 600 "$OUT/community"
# daemon_conf NAME SINK_PORT [INFORM]: every CRITICAL result of a new service
# is one problem notification, sent as a v2c trap (INFORM true: an inform) to
# 127.0.0.1:SINK_PORT.
daemon_conf() {
	mkdir -p "$OUT/$1"
	cat >"$OUT/$1/ttd.conf" <<EOF
user = "$(id -un)"
state_dir = "$OUT/$1/state"
enterprise_oid = "$ROOT"
socket { path = "$OUT/$1/sock" mode = "0600" }
defaults { sustain_count = 1  recover_count = 1  flap_low = 0  flap_high = 0 }
channel "traps" {
	type = "snmp"
	sink = {"udp:127.0.0.1:$2"}
	version = "2c"
	inform = ${3:-false}
	community_file = "$OUT/community"
}
route { channels = {"traps"} }
EOF
}
. "$TOP/bench/lib-trendtrapd.sh"
delivered() { "$TT" -s "$SOCK" status | awk -F'\t' '$2 == "snmp" { print $6 }'; }

# Result lines.  crit PREFIX COUNT: one CRITICAL result each of COUNT new
# services; ok PREFIX SERVICES ROUNDS: ROUNDS results of each service, the
# output (a percentage) changing from round to round.
crit() {
	awk -v p="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++)
		printf "PROCESS_SERVICE_CHECK_RESULT;%s%05d.example.com;disk /var;2;DISK_TREND CRITICAL - /var: 95%% used, full in 2h|/var=95%%;85;90;0;100 slope=1.5e+06B\n", p, i }'
}
ok() {
	awk -v p="$1" -v n="$2" -v r="$3" 'BEGIN { for (k = 0; k < r; k++) for (i = 0; i < n; i++)
		printf "[1700000000] PROCESS_SERVICE_CHECK_RESULT;%s%05d.example.com;disk /var;0;DISK_TREND OK - /var: %d%% used, full in 30d|/var=%d%%;85;90;0;100 slope=1.5e+04B\n", p, i, 40 + (i + k) % 40, 40 + (i + k) % 40 }'
}

# ---- 1. throughput ------------------------------------------------------------
# What a Nagios handler script runs per notification: the same 14 varbinds
# (sysUpTime and snmpTrapOID, then the twelve objects).
cat >"$OUT/snmptrap-loop.sh" <<EOF
i=0
while [ \$i -lt \$1 ]; do
	snmptrap -v2c -c trapcomm 127.0.0.1:\$2 '' $ROOT.0.1 \\
		$ROOT.1.1.0 s "tp\$i.example.com" $ROOT.1.2.0 s "disk /var" $ROOT.1.3.0 i 2 $ROOT.1.4.0 i 0 \\
		$ROOT.1.5.0 s "DISK_TREND CRITICAL - /var: 95% used, full in 2h" $ROOT.1.6.0 s "95%" \\
		$ROOT.1.7.0 s "" $ROOT.1.8.0 i -1 $ROOT.1.9.0 C \$((i + 1)) \\
		$ROOT.1.10.0 x 07EA0B17163001002B0000 $ROOT.1.11.0 x 07EA0B17163001002B0000 \\
		$ROOT.1.12.0 s "/var=95%;85;90;0;100 slope=1.5e+06B"
	i=\$((i + 1))
done
EOF
export SNMP_PERSISTENT_DIR="$OUT/snmptrap-persist" # not /var/lib/snmp
mkdir -p "$SNMP_PERSISTENT_DIR/cert_indexes"
$HELPER deliver "$OUT/def/traps.log" "$PORT" "$(cat "$OUT/def/pid")" "$SNMPTRAP_RUNS" 10 -- \
	sh "$OUT/snmptrap-loop.sh" "$SNMPTRAP_RUNS" "$PORT" >"$OUT/tp-snmptrap.txt"

crit tp "$N" >"$OUT/crit.txt"
for r in def big; do
	port=$PORT
	[ $r = big ] && port=$BIGPORT
	daemon_conf "tp-$r" "$port"
	start_daemon "tp-$r"
	c0=$(cpu_ticks $DPID)
	$HELPER deliver "$OUT/$r/traps.log" "$port" "$(cat "$OUT/$r/pid")" "$N" 5 -- \
		"$TT" -s "$SOCK" submit - <"$OUT/crit.txt" >"$OUT/tp-$r.txt"
	echo "daemon_cpu_ticks $(($(cpu_ticks $DPID) - c0))" >>"$OUT/tp-$r.txt"
	echo "sent_by_daemon $(delivered)" >>"$OUT/tp-$r.txt"
	stop_daemon
done

# The same as informs to the receiver as installed: acknowledged, so the
# window of informs in flight paces the sender.  Timed until trendtrapd has
# counted all N delivered: once N records arrived (retransmissions included),
# its status is polled every 50 ms.
daemon_conf tp-inform "$PORT" true
start_daemon tp-inform
c0=$(cpu_ticks $DPID)
t0=$(date +%s%N)
$HELPER deliver "$OUT/def/traps.log" "$PORT" "$(cat "$OUT/def/pid")" "$N" 5 -- \
	"$TT" -s "$SOCK" submit - <"$OUT/crit.txt" >"$OUT/tp-inform.raw"
i=0
while [ "$(delivered)" -lt "$N" ] && [ $i -lt 1200 ]; do
	sleep 0.05
	i=$((i + 1))
done
t1=$(date +%s%N)
{
	grep -v -e '^last_s' -e '^received' "$OUT/tp-inform.raw"
	echo "last_s $(((t1 - t0) / 1000))e-6"
	echo "received $(delivered)"
	echo "daemon_cpu_ticks $(($(cpu_ticks $DPID) - c0))"
	echo "sent_by_daemon $(delivered)"
} >"$OUT/tp-inform.txt"
stop_daemon

# ---- 2. ingest ------------------------------------------------------------------
ok host 10000 $((INGEST / 10000)) >"$OUT/ok.txt"
daemon_conf ingest "$BIGPORT"
start_daemon ingest
: >"$OUT/ingest.txt"
for run in 1 2 3; do
	c0=$(cpu_ticks $DPID)
	t0=$(date +%s%N)
	"$TT" -s "$SOCK" submit - <"$OUT/ok.txt"
	t1=$(date +%s%N)
	echo "$run $(((t1 - t0) / 1000)) $(($(cpu_ticks $DPID) - c0)) $(wc -l <"$OUT/ok.txt")" >>"$OUT/ingest.txt"
done
echo "ingest_rss $(rss $DPID) $(hwm $DPID)" >>"$OUT/mem.txt"
stop_daemon
rm -f "$OUT/ok.txt"

# ---- 3. latency -------------------------------------------------------------------
daemon_conf lat "$LATPORT"
start_daemon lat
$HELPER latency "$SOCK" "$LATPORT" "$LAT_SAMPLES" lat >"$OUT/lat-trendtrapd.txt"
stop_daemon
$HELPER snmptrap-latency "$LATPORT" 50 -- sh "$OUT/snmptrap-loop.sh" 1 "$LATPORT" \
	>"$OUT/lat-snmptrap.txt"

# ---- 4. memory ----------------------------------------------------------------------
daemon_conf mem "$BIGPORT"
start_daemon mem
echo "empty_rss $(rss $DPID) $(hwm $DPID)" >>"$OUT/mem.txt"
ok svc "$MEM_SERVICES" 1 | "$TT" -s "$SOCK" submit -
echo "full_rss $(rss $DPID) $(hwm $DPID) $MEM_SERVICES" >>"$OUT/mem.txt"
stop_daemon

# ---- 5. instructions ------------------------------------------------------------------
# cg NAME LINES EXPECT: the daemon under callgrind is fed LINES (a file),
# waits for EXPECT traps at the 8 MiB receiver, stops; "NAME instructions"
# goes to instr.txt.
cg() {
	daemon_conf "$1" "$BIGPORT"
	start_daemon "$1" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		--log-file="$OUT/$1/vg.%p"
	if [ "$3" -gt 0 ]; then
		$HELPER deliver "$OUT/big/traps.log" "$BIGPORT" "$(cat "$OUT/big/pid")" "$3" 20 -- \
			"$TT" -s "$SOCK" submit - <"$2" >/dev/null
	else
		"$TT" -s "$SOCK" submit - <"$2"
	fi
	stop_daemon
	echo "$1 $(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$OUT/$1/vg.$STOPPED")" >>"$OUT/instr.txt"
}
ok cg 10000 1 >"$OUT/cg-a.txt" # 10,000 services, one result each
ok cg 10000 11 >"$OUT/cg-b.txt" # the same, then 10 more results each
ok cgn 1000 1 >"$OUT/cg-c.txt"  # 1,000 new services, OK
crit cgn 1000 >"$OUT/cg-d.txt"  # the same, CRITICAL: 1,000 traps
: >"$OUT/instr.txt"
cg cg-a "$OUT/cg-a.txt" 0
cg cg-b "$OUT/cg-b.txt" 0
cg cg-c "$OUT/cg-c.txt" 0
cg cg-d "$OUT/cg-d.txt" 1000
# snmptrap under the loop's sh: the largest count of the two processes
valgrind --tool=callgrind --callgrind-out-file=/dev/null --trace-children=yes \
	--log-file="$OUT/vg-snmptrap.%p" sh "$OUT/snmptrap-loop.sh" 1 "$BIGPORT" >/dev/null 2>&1
echo "snmptrap $(cat "$OUT"/vg-snmptrap.* | sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | sort -n | tail -1)" \
	>>"$OUT/instr.txt"

# ---- tables ------------------------------------------------------------------------------
python3 - "$OUT" "$N" "$SNMPTRAP_RUNS" <<'PY'
import sys
out, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def kv(name):
    return {l.split()[0]: l.split()[1:] for l in open("%s/%s" % (out, name)) if l.strip()}

def pct(v, p):  # nearest rank
    v = sorted(v)
    return v[max(0, -(-len(v) * p // 100) - 1)]

st = kv("tp-snmptrap.txt")
st_s = float(st["last_s"][0])
st_n = st_s * n / runs
print("Throughput: %d notifications to snmptrapd (v2c, 14 varbinds)\n" % n)
print("| sender | notifications, receiver's socket buffer | sent | arrived | dropped by the receiver's kernel | time to the last arrival | arrived/s | / snmptrap loop | sender CPU | snmptrapd CPU |")
print("|---|---|---|---|---|---|---|---|---|---|")
print("| snmptrap, %d sequential runs, scaled x%g | traps, default | %d | %s | %s | %.2f s x%g = %.1f s | %.0f | 1.00x | %.2f s | %.2f s |" % (
    runs, n / runs, runs, st["received"][0], st["dropped"][0], st_s, n / runs, st_n, runs / st_s,
    float(st["command_cpu_s"][0]), float(st["receiver_cpu_s"][0])))
for r, label in (("def", "traps, default"), ("big", "traps, 8 MiB"), ("inform", "informs, default")):
    t = kv("tp-%s.txt" % r)
    got, secs = int(t["received"][0]), float(t["last_s"][0])
    ratio = "%.2fx" % ((got / secs) / (runs / st_s)) if got >= n else "- (%d lost)" % (n - got)
    print("| trendtrapd, %d results (socket fed in %.2f s) | %s | %s | %d%s | %s | %.2f s | %.0f | %s | %.2f s | %.2f s |" % (
        n, float(t["sent_s"][0]), label, t["sent_by_daemon"][0], got, " acknowledged" if r == "inform" else "",
        t["dropped"][0], secs, got / secs, ratio,
        int(t["daemon_cpu_ticks"][0]) / 100 + float(t["command_cpu_s"][0]), float(t["receiver_cpu_s"][0])))
print("\nsender CPU: the snmptrap loop (sh and snmptrap), or trendtrapd (and `trendtrap submit`).")
print("Informs dropped by the receiver's kernel are sent again after %s s.\n" % "2")

print("Ingest: `trendtrap submit -` of result lines of 10,000 OK services, until TRENDTRAP_SYNC answers\n")
print("| run | lines | wall | results/s | trendtrapd CPU | CPU per result |")
print("|---|---|---|---|---|---|")
rates = []
for l in open(out + "/ingest.txt"):
    run, us, ticks, lines = l.split()
    us, ticks, lines = int(us), int(ticks), int(lines)
    rates.append(lines / (us / 1e6))
    print("| %s | %d | %.3f s | %.0f | %.2f s | %.2f us |" % (run, lines, us / 1e6, lines / (us / 1e6),
                                                          ticks / 100, ticks / 100 / lines * 1e6))
print("\nMedian: %.0f results/s.\n" % sorted(rates)[1])

print("Latency: one CRITICAL result of a new service, from its write() to the trap's arrival\n")
print("| sender | samples | p50 | p90 | p99 | max |")
print("|---|---|---|---|---|---|")
for name, label in (("trendtrapd", "trendtrapd (socket line -> trap)"), ("snmptrap", "snmptrap (fork of sh + snmptrap -> trap)")):
    v = [float(x) for x in open("%s/lat-%s.txt" % (out, name))]
    print("| %s | %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms |" % (
        label, len(v), pct(v, 50) / 1e3, pct(v, 90) / 1e3, pct(v, 99) / 1e3, max(v) / 1e3))
print()

m = kv("mem.txt")
print("Memory (kB from /proc/PID/status)\n")
print("| process | VmRSS | VmHWM |")
print("|---|---|---|")
print("| trendtrapd, no services | %s kB | %s kB |" % tuple(m["empty_rss"][:2]))
print("| trendtrapd, %s services (one OK result each) | %s kB | %s kB |" % (m["full_rss"][2], m["full_rss"][0], m["full_rss"][1]))
print("| trendtrapd after the ingest runs (10,000 services) | %s kB | %s kB |" % tuple(m["ingest_rss"][:2]))
print("| snmptrapd, idle after its start (for scale) | %s kB | - |" % m["snmptrapd_rss"][0])
per = (int(m["full_rss"][0]) - int(m["empty_rss"][0])) * 1024 / int(m["full_rss"][2])
print("\n%.0f bytes of VmRSS per service.\n" % per)

i = {k: int(v[0]) for k, v in kv("instr.txt").items()}
per_result = (i["cg-b"] - i["cg-a"]) / 100000
per_notice = (i["cg-d"] - i["cg-c"]) / 1000
print("Instructions (callgrind; differences of two daemon runs)\n")
print("| what | instructions | / one snmptrap run |")
print("|---|---|---|")
print("| trendtrapd: a result of a known service (100,000 results of 10,000 services) | %.0f | %.4fx |" % (per_result, per_result / i["snmptrap"]))
print("| trendtrapd: a notification, beyond its result (1,000 CRITICAL vs 1,000 OK new services) | %.0f | %.4fx |" % (per_notice, per_notice / i["snmptrap"]))
print("| snmptrap: one run | %d | 1.0000x |" % i["snmptrap"])
PY
