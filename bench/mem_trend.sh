#!/bin/sh
# bench/mem_trend.sh - check_mem_trend against what users would otherwise run.
#
# In one run:
#  - remote: check_mem_trend -H against `snmpget` of the same OIDs and
#    Monitoring Plugins' check_snmp, all v2c against a real snmpd on
#    127.0.0.1:11161 started here;
#  - local: check_mem_trend against check_disk -w 20% -c 10% -p / and /bin/true.
# Each plugin has a day of 5-minute history in its store. Wall time by
# hyperfine (median), instructions by callgrind. Prints Markdown tables.
#
# Usage: bench/mem_trend.sh   (from the top of a built tree)
set -eu
cd "$(dirname "$0")/.."
TOP=$PWD
PLUGINS=/usr/lib/nagios/plugins
MEM=$TOP/plugins/check_mem_trend
CLI=$TOP/trapd/trendtrap
HOST=127.0.0.1:11161
OUT=$(mktemp -d /tmp/trendtrap-bench.XXXXXX)
export TRENDTRAP_SNMP_MODULE=$TOP/lib/trendtrap-snmp.so

for tool in hyperfine valgrind snmpget /usr/sbin/snmpd "$PLUGINS/check_snmp" "$PLUGINS/check_disk" "$MEM"; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done

# ---- the agent ------------------------------------------------------------
mkdir -p "$OUT/snmp/persist"
cat >"$OUT/snmp/snmpd.conf" <<CONF
[snmp]
persistentDir $OUT/snmp/persist
mibs :
[snmpd]
agentAddress udp:$HOST
rocommunity testcomm 127.0.0.1
CONF
SNMPCONFPATH=$OUT/snmp SNMP_PERSISTENT_DIR=$OUT/snmp/persist \
	/usr/sbin/snmpd -f -C -c "$OUT/snmp/snmpd.conf" -Lf "$OUT/snmpd.log" &
SNMPD=$!
trap 'kill $SNMPD 2>/dev/null; rm -rf "$OUT"' EXIT
for i in $(seq 1 50); do
	snmpget -v2c -c testcomm -t 1 -r 0 "$HOST" .1.3.6.1.4.1.2021.4.5.0 >/dev/null 2>&1 && break
	sleep 0.1
done

# ---- a day of history for each key ---------------------------------------------
NOW=$(date +%s)
export TRENDTRAP_NOW=$NOW
awk -v now="$NOW" 'BEGIN { print "time,value,capacity";
	for (i = 288; i >= 1; i--) printf "%d,%.0f,%.0f\n", now - i * 300, 8e9 - (288 - i) * 1e6, 16e9 }' \
	>"$OUT/day.csv"
for key in "mem/$HOST" mem/localhost; do
	"$CLI" --state-dir "$OUT/state" series import "$key" "$OUT/day.csv" >/dev/null
done

# The OIDs check_mem_trend reads from UCD-SNMP-MIB (one GET).
OIDS=".1.3.6.1.4.1.2021.4.5.0 .1.3.6.1.4.1.2021.4.27.0 .1.3.6.1.4.1.2021.4.6.0 .1.3.6.1.4.1.2021.4.14.0 .1.3.6.1.4.1.2021.4.15.0 .1.3.6.1.4.1.2021.4.3.0 .1.3.6.1.4.1.2021.4.4.0"
REMOTE="$MEM -H $HOST -C testcomm --state-dir $OUT/state"
SNMPGET="snmpget -v2c -c testcomm $HOST $OIDS"
CHECK_SNMP="$PLUGINS/check_snmp -H 127.0.0.1 -p 11161 -P 2c -C testcomm -o .1.3.6.1.4.1.2021.4.5.0,.1.3.6.1.4.1.2021.4.27.0"
LOCAL="$MEM --state-dir $OUT/state"
DISK="$PLUGINS/check_disk -w 20% -c 10% -p /"

hyperfine -N --warmup 5 --runs 100 --ignore-failure --export-json "$OUT/remote.json" \
	-n check_mem_trend_remote "$REMOTE" -n snmpget "$SNMPGET" -n check_snmp "$CHECK_SNMP" \
	>"$OUT/remote.txt" 2>&1
hyperfine -N --warmup 5 --runs 200 --ignore-failure --export-json "$OUT/local.json" \
	-n true /bin/true -n check_disk "$DISK" -n check_mem_trend_local "$LOCAL" \
	>"$OUT/local.txt" 2>&1

instr() { # command...: instructions counted by callgrind, child processes included
	rm -f "$OUT"/vg.*
	valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=/dev/null \
		--log-file="$OUT/vg.%p" "$@" >/dev/null 2>&1
	cat "$OUT"/vg.* | sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s }'
}
{
	echo "check_mem_trend_remote $(instr $REMOTE)"
	echo "snmpget $(instr $SNMPGET)"
	echo "check_snmp $(instr $CHECK_SNMP)"
	echo "true $(instr /bin/true)"
	echo "check_disk $(instr $DISK)"
	echo "check_mem_trend_local $(instr $LOCAL)"
} >"$OUT/instr.txt"

/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
instr = dict(l.split() for l in open(out + "/instr.txt"))
def table(name, base, order):
    res = {r["command"]: r for r in json.load(open("%s/%s.json" % (out, name)))["results"]}
    bt, bi = res[base]["median"], int(instr[base])
    print("| program | median wall | mean +- sd | instructions | wall / %s | instructions / %s |" % (base, base))
    print("|---|---|---|---|---|---|")
    for n in order:
        r = res[n]
        print("| %s | %.2f ms | %.2f +- %.2f ms | %.3f M | %.2fx | %.2fx |" % (
            n, r["median"] * 1e3, r["mean"] * 1e3, r["stddev"] * 1e3,
            int(instr[n]) / 1e6, r["median"] / bt, int(instr[n]) / bi))
    print()
table("remote", "snmpget", ["check_mem_trend_remote", "snmpget", "check_snmp"])
table("local", "check_disk", ["true", "check_disk", "check_mem_trend_local"])
PY
