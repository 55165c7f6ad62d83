#!/bin/sh
# check_mem_trend on local meminfo files: a meminfo written into $T/proc for
# each run (--procfs), available memory falling 1 MiB per 5 minutes while
# TRENDTRAP_NOW advances; then fixtures, this machine's /proc/meminfo, and the
# command line's contract for bad input.
. "$(dirname "$0")/../lib.sh"

PLUGIN=$TOP/plugins/check_mem_trend
CLI=$TOP/trapd/trendtrap
FIX=$TOP/t/fixtures
PROC=$T/proc
STATE=$T/state
mkdir -p "$PROC"

NOW=1700000000
OUT=""
RC=0
# meminfo AVAIL_KIB [SWAP_TOTAL_KIB SWAP_FREE_KIB]: a 1 GiB host's meminfo in $PROC
meminfo() {
	printf 'MemTotal:        1048576 kB\nMemFree:           10240 kB\nMemAvailable:   %8d kB\n' "$1" >"$PROC/meminfo"
	printf 'Buffers:            2048 kB\nCached:            40960 kB\n' >>"$PROC/meminfo"
	printf 'SwapTotal:      %8d kB\nSwapFree:       %8d kB\n' "${2:-0}" "${3:-0}" >>"$PROC/meminfo"
}
# run ARGS...: one plugin run at $NOW; sets OUT and RC
run() {
	OUT=$(TRENDTRAP_NOW=$NOW "$PLUGIN" --procfs "$PROC" --state-dir "$STATE" "$@" 2>&1)
	RC=$?
}
status() { printf '%s\n' "$OUT" | head -n 1 | sed 's/ |.*//'; }
perf() { # value of the perfdata item LABEL in $OUT, without its unit
	printf '%s\n' "$OUT" | head -n 1 | grep -o "'$1'=[^; ]*" | sed 's/.*=//; s/\([0-9]\)[A-Za-z]*$/\1/'
}
lines() { printf '%s\n' "$OUT" | wc -l; }
MIB=1024 # in kB
# --min-span 10m: these runs are 5 minutes apart (the default wants 2 days)
THRESH="--exhaust-at 90MiB --warn-time-left 1h --crit-time-left 20m --min-span 10m"

# --- a steady fall: 100 MiB available, 1 MiB less every 5 minutes ------------
# (swap: 300 MiB free of 512 MiB, 2 MiB less every 5 minutes)
step() { # I: the meminfo of run I (1-based)
	meminfo $(((101 - $1) * MIB)) $((512 * MIB)) $(((302 - 2 * $1) * MIB))
}
for i in 1 2 3 4 5; do
	step $i
	run $THRESH --swap
	NOW=$((NOW + 300))
	is "$RC" 0 "run $i while collecting is OK"
	like "$OUT" "collecting history \\($i of 6 samples\\)" "run $i says it is collecting ($i of 6)"
done
is "$(status)" "MEM_TREND OK - available 96.0 MiB of 1.0 GiB (9%), collecting history (5 of 6 samples)" \
	"the status line while collecting: available, total, percent, progress"
is "$(perf slope_per_hour)" U "no slope while collecting"
is "$(perf time_left)" U "no time left while collecting"

step 6
cp -r "$STATE" "$T/state6"
cp -r "$STATE" "$T/state-default"
OUT=$(TRENDTRAP_NOW=$NOW "$PLUGIN" --procfs "$PROC" --state-dir "$T/state-default" 2>&1)
like "$OUT" "collecting history \\(6 samples over 25m, need 2d\\)" \
	"by default a memory trend needs two days of history"
run $THRESH --swap
is "$RC" 1 "a fall projected to reach --exhaust-at within 1h is WARNING"
is "$(status)" "MEM_TREND WARNING - available 95.0 MiB of 1.0 GiB (9%), -12.0 MiB/h, down to 90.0 MiB in 25m" \
	"the status line: available, the slope per hour and the time left"
is "$(perf slope_per_hour)" -12582912 "perfdata slope_per_hour is -12 MiB"
is "$(perf time_left)" 1500 "perfdata time_left is exactly 25m"
like "$OUT" "'available'=99614720B;;;0;1073741824 " "perfdata: available bytes, total as max"
like "$OUT" "'time_left'=1500s;3600:;1200:" "time_left perfdata carries the time-left thresholds"
like "$OUT" "'swap available'=304087040B;;;0;536870912 " "--swap: free swap bytes, swap total as max"
is "$(perf 'swap slope_per_hour')" -25165824 "--swap: swap falls 24 MiB/h"
is "$(perf 'swap time_left')" 30000 "--swap: 200 MiB above --exhaust-at at 2 MiB per 5m is 30000s"
like "$(printf '%s\n' "$OUT" | sed -n 2p)" \
	"^swap free 290.0 MiB of 512.0 MiB \\(57%\\), -24.0 MiB/h, down to 90.0 MiB in 8h 20m \\(a trend over 25m is too short to alert on\\)" \
	"--swap: the long output describes swap"
NOW=$((NOW + 300))

# what the same history says with other options (a copy, so it stays intact)
sub() { # STATEDIR ARGS...: a run on another copy of the history
	d=$1
	shift
	OUT=$(TRENDTRAP_NOW=$((NOW - 300)) "$PLUGIN" --procfs "$PROC" --state-dir "$d" --min-span 10m "$@" 2>&1)
	RC=$?
}
cp -r "$T/state6" "$T/s1"
sub "$T/s1"
is "$(status)" "MEM_TREND OK - available 95.0 MiB of 1.0 GiB (9%), -12.0 MiB/h, exhausted in 7h 55m (a trend over 25m is too short to alert on)" \
	"defaults: exhaustion at 0 in 8h is not trusted from 25m of history (--horizon)"
like "$OUT" "'time_left'=28500s;259200:;86400:" "default time-left thresholds are 3d and 1d"
cp -r "$T/state6" "$T/s2"
sub "$T/s2" --exhaust-at 5%
is "$RC" 0 "--exhaust-at 5%: 3h 39m left, but from 25m of history, is OK"
like "$(status)" ", -12.0 MiB/h, down to 5% in 3h 39m \\(a trend over 25m is too short to alert on\\)$" \
	"--exhaust-at 5% is named in the status line"
is "$(perf time_left)" 13140 "--exhaust-at 5% of 1 GiB: 43.8 MiB left, 13140s"
cp -r "$T/state6" "$T/s3"
sub "$T/s3" -v --swap
like "$OUT" "available 95.0 MiB of 1.0 GiB \\(9%\\); -12.0 MiB/h \\(95% range .*\\); time left .*; 6 samples, whole window" \
	"-v: slope range, time-left range and segment"
like "$OUT" "source: $PROC/meminfo" "-v names the source"

# keep falling until less than 20m is left: CRITICAL
for i in 7 8; do
	step $i
	run $THRESH --swap
	NOW=$((NOW + 300))
done
is "$RC" 2 "with less than 20m left the trend is CRITICAL"
is "$(status)" "MEM_TREND CRITICAL - available 93.0 MiB of 1.0 GiB (9%), -12.0 MiB/h, down to 90.0 MiB in 15m" \
	"and says so"
is "$(perf time_left)" 900 "perfdata time_left is 900s"
for i in 9 10 11 12; do
	step $i
	run $THRESH
	NOW=$((NOW + 300))
done
is "$(status)" "MEM_TREND CRITICAL - available 89.0 MiB of 1.0 GiB (9%), -12.0 MiB/h, exhausted (down to 90.0 MiB)" \
	"below --exhaust-at: exhausted"
is "$(perf time_left)" 0 "time left 0 once exhausted"
ok "'$CLI' --state-dir '$STATE' series list | grep -q '^mem/localhost[[:space:]]'" "history key mem/localhost"
ok "'$CLI' --state-dir '$STATE' series list | grep -q '^swap/localhost[[:space:]]'" "history key swap/localhost"

# --- not falling ---------------------------------------------------------------
for i in 0 1 2 3 4 5; do
	meminfo $((500 * MIB + 128 * i))
	run --state-dir "$T/rise" --min-span 10m
	NOW=$((NOW + 300))
done
is "$(status)" "MEM_TREND OK - available 500.6 MiB of 1.0 GiB (49%), not falling (+1.5 MiB/h)" \
	"rising memory: not falling, with the slope"
is "$(perf time_left)" U "no time left when not falling"

# --- level thresholds, in MiB and in percent of the total -----------------------
meminfo $((95 * MIB))
n=0
level() { # WANT-RC ARGS...: a fresh history, one run
	want=$1
	shift
	n=$((n + 1))
	run --state-dir "$T/level$n" "$@"
	is "$RC" "$want" "95 MiB available with $*: exit $want"
}
level 0 -w 50MiB: -c 10MiB:
level 1 -w 100MiB: -c 90MiB:
level 2 -w 100MiB: -c 96MiB:
level 1 -w 10%: -c 5%:
level 2 -w 20%: -c 9.5%:
level 1 -w 10%: -c 90MiB:
level 1 -w @90MiB:100MiB
level 1 -w ~:50MiB
like "$OUT" "'available'=99614720B;~:52428800;;0;1073741824" "an upper bound prints as ~:N bytes"
run --state-dir "$T/level$n" -w 10%: -c 5%:
like "$OUT" "'available'=99614720B;107374182\\.4:;53687091\\.2:;0;1073741824" \
	"percent thresholds print in bytes in the perfdata"
like "$OUT" "collecting history \\(2 of 6 samples\\)" "level thresholds are judged while collecting"
run --state-dir "$T/level-unknown" --insufficient=unknown
is "$RC" 3 "--insufficient=unknown makes a collecting check UNKNOWN"
meminfo $((80 * MIB))
run --state-dir "$T/exhausted" --exhaust-at 90MiB
is "$RC" 2 "below --exhaust-at on the first run is CRITICAL"
is "$(status)" "MEM_TREND CRITICAL - available 80.0 MiB of 1.0 GiB (8%), exhausted (down to 90.0 MiB), collecting history (1 of 6 samples)" \
	"and says why while collecting"

# --- swap: the worse item leads, no swap is no alert --------------------------------
meminfo $((600 * MIB)) $((1024 * MIB)) $((40 * MIB))
run --state-dir "$T/swap" --swap -w 10%: -c 2%:
is "$RC" 1 "--swap: 4% swap free is WARNING with -w 10%:"
like "$(status)" "^MEM_TREND WARNING - swap free 40.0 MiB of 1.0 GiB \\(4%\\), collecting" \
	"the status line names the worse item"
like "$(printf '%s\n' "$OUT" | sed -n 2p)" "^available 600.0 MiB of 1.0 GiB \\(59%\\)" \
	"the long output the other"
meminfo $((600 * MIB))
run --state-dir "$T/noswap" --swap -w 10%: -c 5%:
is "$RC" 0 "--swap on a host without swap is OK"
is "$(printf '%s\n' "$OUT" | sed -n 2p)" "no swap" "and says no swap"
ok "! printf '%s' \"\$OUT\" | grep -q \"'swap \"" "no swap perfdata without swap"
run --state-dir "$T/key" --swap --state-key mykey
meminfo $((600 * MIB)) $((1024 * MIB)) $((40 * MIB))
run --state-dir "$T/key" --swap --state-key mykey
ok "'$CLI' --state-dir '$T/key' series list | grep -q '^mykey[[:space:]]'" "--state-key KEY names the history"
ok "'$CLI' --state-dir '$T/key' series list | grep -q '^mykey/swap[[:space:]]'" "and KEY/swap the swap history"

# --- fixtures: an old kernel, a malformed file, no such directory ------------------
mkdir -p "$T/old" "$T/bad"
cp "$FIX/meminfo-old" "$T/old/meminfo"
OUT=$("$PLUGIN" --procfs "$T/old" --state-dir "$T/old-state" -v)
is "$?" 0 "an old kernel without MemAvailable is checked"
like "$OUT" "'available'=6319824896B" "available = MemFree + Buffers + Cached + SReclaimable"
like "$OUT" "MemAvailable absent: estimated as MemFree \\+ Buffers \\+ Cached \\+ SReclaimable" "-v says so"
cp "$FIX/meminfo-malformed" "$T/bad/meminfo"
OUT=$("$PLUGIN" --procfs "$T/bad" --state-dir "$T/bad-state")
is "$?" 3 "a malformed meminfo is UNKNOWN"
is "$OUT" "MEM_TREND UNKNOWN - $T/bad/meminfo:3: malformed meminfo line: expected 'Name: value'" \
	"naming the file and line"
OUT=$("$PLUGIN" --procfs "$T/no/such/dir" --state-dir "$T/x")
is "$?" 3 "a missing --procfs directory is UNKNOWN"
is "$OUT" "MEM_TREND UNKNOWN - cannot read $T/no/such/dir/meminfo: No such file or directory" \
	"with one clear line"

# --- this machine ---------------------------------------------------------------
OUT=$("$PLUGIN" --state-dir "$T/real" --swap -v)
ok "[ $? -le 2 ]" "this machine's /proc/meminfo gives a state"
total=$(awk '/^MemTotal:/ { printf "%.0f", $2 * 1024 }' /proc/meminfo)
like "$OUT" "'available'=[0-9]+B;;;0;$total " "perfdata max is MemTotal in bytes ($total)"
perfs=$(printf '%s\n' "$OUT" | head -n 1 | sed 's/^[^|]*| //')
bad=$(printf '%s\n' "$perfs" | sed "s/'[^']*'=[-0-9.U]*[a-zA-Z%]*\(;[-~@0-9.:]*\)\{0,4\}//g" | tr -d ' ')
is "$bad" "" "all perfdata items follow the guidelines' syntax"

# --- the command line: bad input is UNKNOWN, one line naming the option -----------
bad_run() { OUT=$("$PLUGIN" --state-dir "$T/state-bad" "$@" 2>&1); RC=$?; }
for bad in "500" "500:" "500MiB:100MiB" "lots" "10%:500MiB" "" "~:" "80x"; do
	bad_run -w "$bad"
	is "$RC" 3 "-w '$bad' is UNKNOWN"
	is "$(lines)" 1 "-w '$bad' gives one line"
	like "$OUT" "^MEM_TREND UNKNOWN - -w/--warning '$bad': " "-w '$bad' names the option and value"
done
bad_run -c 500
like "$OUT" "^MEM_TREND UNKNOWN - -c/--critical '500': write a unit, e.g. 500MiB: or 10%:" \
	"a bare number asks for a unit"
bad_run -c 1GiB:100MiB
like "$OUT" "greater than end" "a reversed range says why"
for opt in "--exhaust-at=100" "--exhaust-at=100%" "--exhaust-at=-5%" "--exhaust-at=lots" \
	"--window=0" "--warn-time-left=soon" "--min-samples=1"; do
	bad_run $opt
	is "$RC" 3 "$opt is UNKNOWN"
	is "$(lines)" 1 "$opt gives one line"
done
bad_run --exhaust-at 100
like "$OUT" "--exhaust-at '100': write a unit" "a bare --exhaust-at asks for a unit"
bad_run --no-such-option
like "$OUT" "^MEM_TREND UNKNOWN - unknown option --no-such-option" "an unknown option is named"
bad_run --procfs
is "$RC" 3 "a missing value is UNKNOWN"
bad_run extra
like "$OUT" "unexpected argument 'extra'" "a stray argument is named"

OUT=$("$PLUGIN" --help)
is "$?" 0 "--help exits 0"
like "$OUT" "--exhaust-at" "--help documents --exhaust-at"
like "$OUT" "default 2d" "--help documents the 2d window"
ok "! printf '%s' \"\$OUT\" | grep -q '%%'" "--help prints single percent signs"
OUT=$("$PLUGIN" -V)
is "$?" 0 "-V exits 0"
like "$OUT" "^check_mem_trend \\(trendtrap [0-9]" "-V prints the version"

# every example in --help works when pasted (the replay one needs its file)
mkdir -p "$T/ex"
awk -v scenario=leak -v days=1 -f "$TOP/t/gen-mem-series.awk" >"$T/ex/history.csv"
"$PLUGIN" --help | sed -n '/^Examples:/,$p' | grep '^  check_mem_trend' | sed 's/ *#.*//' |
	while read -r cmd args; do
		(cd "$T/ex" && TRENDTRAP_STATE_DIR="$T/ex/state" "$PLUGIN" $args >/dev/null)
		echo "$? $cmd $args"
	done >"$T/examples"
is "$(wc -l <"$T/examples")" 5 "--help has 5 examples"
is "$(awk '$1 > 2' "$T/examples")" "" "each of them runs and gives a state"

done_testing
