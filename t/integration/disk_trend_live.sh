#!/bin/sh
# check_disk_trend on a real filesystem: a small tmpfs this test mounts and
# fills step by step while TRENDTRAP_NOW advances 5 minutes per run.
# Mounting needs root: an ordinary user runs this in its own user and mount namespace.
if [ "$(id -u)" -ne 0 ] && [ -z "${TT_UNSHARED:-}" ]; then
	TT_UNSHARED=1 exec unshare --user --map-root-user --mount "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"

PLUGIN=$TOP/plugins/check_disk_trend
CLI=$TOP/trapd/trendtrap
MNT=$T/mnt
STATE=$T/state
mkdir -p "$MNT" "$STATE"
mount -t tmpfs -o size=16m tmpfs "$MNT" || { echo "Bail out! cannot mount a tmpfs"; exit 1; }
at_exit "umount '$MNT' 2>/dev/null"
KEY="disk/localhost$MNT"

NOW=1700000000
OUT=""
RC=0
# run ARGS...: one plugin run at $NOW; sets OUT and RC
run() {
	OUT=$(TRENDTRAP_NOW=$NOW "$PLUGIN" -p "$MNT" --state-dir "$STATE" "$@" 2>&1)
	RC=$?
}
fill() { # add N KiB in a new file
	dd if=/dev/zero of="$MNT/f.$NOW" bs=1024 count="$1" 2>/dev/null
}
perf() { # value of the perfdata item LABEL in $OUT, without its unit
	printf '%s\n' "$OUT" | head -n 1 | grep -o "'$1'=[^; ]*" | sed 's/.*=//; s/[A-Za-z]*$//'
}
THRESH="-w 80 -c 90 --warn-time-left 1h --crit-time-left 20m"

# 1-5: collecting; level thresholds still judged (all OK here)
for i in 1 2 3 4 5; do
	fill 1024
	run $THRESH
	NOW=$((NOW + 300))
	is "$RC" 0 "run $i while collecting is OK"
	like "$OUT" "collecting history \\($i of 6 samples\\)" "run $i says it is collecting ($i of 6)"
done
# 6: a trend: 1 MiB per 5 minutes = 288 MiB/day; 10 MiB left -> full in 50m
fill 1024
run $THRESH
NOW=$((NOW + 300))
is "$RC" 1 "a steady fill projected full within 1h is WARNING"
is "$(printf '%s\n' "$OUT" | head -n 1 | sed 's/ |.*//')" \
	"DISK_TREND WARNING - $MNT full in 50m, +288.0 MiB/day (38% used)" \
	"the status line names the mount, the time left and the growth"
g=$(perf "$MNT growth_per_day")
ok "awk 'BEGIN { exit !($g > 301989880 && $g < 301989890) }'" "perfdata growth_per_day is 288 MiB ($g)"
is "$(perf "$MNT time_left")" 3000 "perfdata time_left is 50m"
like "$OUT" "'$MNT'=6291456B;13421772\\.8;15099494\\.4;0;16777216( |\$)" \
	"perfdata: used bytes, thresholds converted to bytes, capacity as max"
like "$OUT" "'$MNT time_left'=3000s;3600:;1200:" "time_left perfdata carries the time-left thresholds"

# keep filling until less than 20m is left: CRITICAL
while :; do
	fill 1024
	run $THRESH
	NOW=$((NOW + 300))
	[ "$RC" -ne 1 ] && break
done
is "$RC" 2 "with less than 20m left the trend is CRITICAL"
like "$OUT" "full in 15m" "and says so"
used=$(perf "$MNT")
ok "[ $used -lt 15099494 ]" "CRITICAL came from the trend, before the 90% level ($used B)"

# cleanup: delete most files; never an alert; the step starts a new segment
rm -f "$MNT"/f.*
fill 1024
worst=0
seen_collecting=no
for i in 1 2 3 4 5; do
	run $THRESH
	NOW=$((NOW + 300))
	[ "$RC" -gt "$worst" ] && worst=$RC
	case $OUT in *"collecting history"*) seen_collecting=yes ;; esac
done
is "$worst" 0 "a cleanup never alerts"
is "$seen_collecting" yes "a cleanup starts a new segment (collecting again)"

# level thresholds without history: fill to 95% on a fresh history
fill 14500
run $THRESH --state-dir "$T/fresh"
is "$RC" 2 "95% used is CRITICAL with -c 90 even before a trend exists"
like "$OUT" "collecting history \\(1 of 6 samples\\)" "and it says the trend is still collecting"
run -w 98 -c 99 --state-dir "$T/fresh2" --insufficient=unknown
is "$RC" 3 "--insufficient=unknown makes a collecting check UNKNOWN"
rm -f "$MNT"/f.*

# --inodes: a second series per filesystem, with its own perfdata
rm -f "$MNT"/f.*
: >"$MNT/a"; : >"$MNT/b"
run --inodes --state-dir "$T/inodes"
like "$OUT" "'$MNT inodes'=[0-9]+;;;0;[0-9]+" "--inodes adds inode usage to the perfdata"
like "$OUT" "$MNT inodes [0-9]+% used, collecting history \\(1 of 6 samples\\)" \
	"--inodes judges inodes as a series of their own (long output)"
ok "'$CLI' --state-dir '$T/inodes' series list | grep -q '^inodes/localhost$MNT'" \
	"the inode history is kept under inodes/localhost/MOUNT"

# concurrent runs on one key lose no sample
P=$T/par
for i in $(seq 1 20); do
	TRENDTRAP_NOW=$((1800000000 + i)) "$PLUGIN" -p "$MNT" --state-dir "$P" >/dev/null &
done
wait
rows=$("$CLI" --state-dir "$P" series export "$KEY" | tail -n +2 | wc -l)
is "$rows" 20 "20 concurrent runs store 20 samples"

# a corrupt history file is set aside, the check goes on with a fresh history
f=$(ls "$P"/*.series | head -n 1)
printf 'this is not a trendtrap history file, nor anything like one......\n' >"$f"
OUT=$(TRENDTRAP_NOW=1800000100 "$PLUGIN" -p "$MNT" --state-dir "$P" 2>&1)
RC=$?
is "$RC" 0 "a corrupt history does not fail the check"
like "$OUT" "corrupt.*moved to" "and the output says the file was moved aside"
ok "ls '$P' | grep -q 'corrupt'" "the corrupt file was kept aside for inspection"
like "$OUT" "collecting history \\(1 of 6 samples\\)" "the history starts afresh"

# the whole check is bounded by -t: a held history lock times out
"$TOP/t/helpers/hold_lock" "$STATE" "$KEY" 5 >"$T/lock.out" &
lockpid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do grep -q locked "$T/lock.out" && break; sleep 0.2; done
run -t 1
is "$RC" 3 "a timeout is UNKNOWN"
is "$OUT" "DISK_TREND UNKNOWN - timed out after 1s while waiting for the history lock of $KEY" \
	"the timeout says what timed out"
run -t 1 --timeout-state critical
is "$RC" 2 "--timeout-state critical makes a timeout CRITICAL"
kill "$lockpid" 2>/dev/null
wait "$lockpid" 2>/dev/null

done_testing
