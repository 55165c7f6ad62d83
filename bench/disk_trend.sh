#!/bin/sh
# bench/disk_trend.sh - check_disk_trend against what users would otherwise run.
#
# One mount (/), a week of 5-minute history (2016 samples) in the store, and in
# the same run: Monitoring Plugins' check_disk -w 20% -c 10% -p / and /bin/true.
# Wall time by hyperfine (median), instructions by callgrind (stable on noisy
# machines). Prints a Markdown table for BENCHMARKS.md.
#
# Usage: bench/disk_trend.sh   (from the top of a built tree)
set -eu
cd "$(dirname "$0")/.."
CHECK_DISK=${CHECK_DISK:-/usr/lib/nagios/plugins/check_disk}
PLUGIN=$PWD/plugins/check_disk_trend
CLI=$PWD/trapd/trendtrap
OUT=$(mktemp -d /tmp/trendtrap-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

for tool in hyperfine valgrind "$CHECK_DISK" "$PLUGIN"; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done

# A week of history ending now: 2016 samples, growing 1 GiB/day.
NOW=$(date +%s)
STATE=$OUT/state
awk -v now="$NOW" 'BEGIN { print "time,value,capacity";
	for (i = 2015; i >= 1; i--) printf "%d,%.0f,%.0f\n", now - i * 300, 40e9 + (2016 - i) * 3728270, 100e9 }' \
	>"$OUT/week.csv"
"$CLI" --state-dir "$STATE" series import disk/localhost/ "$OUT/week.csv" >/dev/null
export TRENDTRAP_NOW=$NOW

TREND="$PLUGIN -p / --state-dir $STATE"
DISK="$CHECK_DISK -w 20% -c 10% -p /"

hyperfine -N --warmup 5 --runs 200 --ignore-failure --export-json "$OUT/h.json" \
	-n true /bin/true -n check_disk "$DISK" -n check_disk_trend "$TREND" >"$OUT/h.txt" 2>&1

instr() { # command...: instructions counted by callgrind, child processes included
	rm -f "$OUT"/vg.*
	valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=/dev/null \
		--log-file="$OUT/vg.%p" "$@" >/dev/null 2>&1
	cat "$OUT"/vg.* | sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s }'
}
I_TRUE=$(instr /bin/true)
I_DISK=$(instr $DISK)
I_TREND=$(instr $TREND)
SAMPLES=$("$CLI" --state-dir "$STATE" series export disk/localhost/ | tail -n +2 | wc -l)

/usr/bin/python3 - "$OUT/h.json" "$I_TRUE" "$I_DISK" "$I_TREND" "$SAMPLES" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
instr = {"true": int(sys.argv[2]), "check_disk": int(sys.argv[3]), "check_disk_trend": int(sys.argv[4])}
base_t = res["check_disk"]["median"]
base_i = instr["check_disk"]
print("| program | median wall | mean +- sd | instructions | wall / check_disk | instructions / check_disk |")
print("|---|---|---|---|---|---|")
for name in ("true", "check_disk", "check_disk_trend"):
    r = res[name]
    print("| %s | %.2f ms | %.2f +- %.2f ms | %.3f M | %.2fx | %.2fx |" % (
        name, r["median"] * 1e3, r["mean"] * 1e3, r["stddev"] * 1e3,
        instr[name] / 1e6, r["median"] / base_t, instr[name] / base_i))
print()
print("History in the store during the run: %s samples (2016 seeded + the runs)." % sys.argv[5])
PY
