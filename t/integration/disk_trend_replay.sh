#!/bin/sh
# check_disk_trend --replay on scenario histories (t/gen-series.awk): real
# growth alerts at the right time, benign patterns never alert.
. "$(dirname "$0")/../lib.sh"

GEN=$TOP/t/gen-series.awk
PLUGIN=$TOP/plugins/check_disk_trend

. "$(dirname "$0")/../lib-replay.sh"

# --- steady fill: 70 GiB + 2 GiB/day of 100 GiB ---------------------------
is "$(replay steady)" 0 "replay exits 0"
is "$(head -n 1 "$T/steady.out")" "time,state,used,slope_per_s,time_left_s" "replay header"
is "$(wc -l <"$T/steady.out")" "$(wc -l <"$T/steady.in")" "one output row per input row"
is "$(sed -n 2p "$T/steady.out")" "$T0,OK,75161927680,," "the first row: collecting, so no slope and no time left"
is "$(rows steady 'NR <= 6 && $4 != ""')" 0 "no slope before 6 samples"
is "$(rows steady 'NR > 6 && ($4 < 24855.1 || $4 > 24855.2)')" 0 "every estimated slope is 2 GiB/day (24855.13 B/s)"
is "$(awk -F, -v r=$((5 * 288 + 2)) 'NR == r { print $5 }' "$T/steady.out")" 864000 \
	"on day 5 (80 GiB used) the time left is exactly 10 days"
is "$(first steady '$5 != "" && $5 < 14 * DAY')" "1.003" "from day 1 on, full is less than 14 days away"
is "$(rows steady 'd < 2.999 && $2 != "OK"')" 0 \
	"but from less than 3 days of history a 12-day projection does not alert (--horizon 4)"
is "$(first steady '$2 == "WARNING"')" "3.000" \
	"WARNING once the 12 days left are within 4x the 3 days of history (--horizon)"
is "$(first steady '$2 == "CRITICAL"')" "12.003" "CRITICAL as soon as full is less than 3 days away"
is "$(rows steady 'd > 12.01 && $2 != "CRITICAL"')" 0 "and it stays CRITICAL"

# --- benign patterns never alert -----------------------------------------
for sc in sawtooth noise step; do
	replay $sc >/dev/null
	is "$(rows $sc '$2 != "OK"')" 0 "$sc: never alerts"
done
is "$(rows sawtooth 'd > 3 && $5 != ""')" 0 "sawtooth: once seen, daily rotation is not growth (no time left)"
is "$(rows noise 'd > 1 && $5 != "" && $5 < 365 * DAY')" 0 \
	"noise: after a day, flat noise never projects a date within a year"

# --- rotation that stops deleting ------------------------------------------
replay stopped >/dev/null
is "$(rows stopped 'd < 7 && $2 != "OK"')" 0 "stopped: no alert while the rotation works"
alert=$(first stopped '$2 != "OK"')
ok "awk 'BEGIN { exit !($alert > 7 && $alert < 9) }'" "stopped: alerts within 2 days of the rotation stopping (day $alert)"

# --- cleanup ------------------------------------------------------------------
replay cleanup >/dev/null
is "$(rows cleanup '$2 != "OK"')" 0 "cleanup: never alerts"
is "$(rows cleanup 'd >= 5.006 && d < 5.015 && $4 != ""')" 0 \
	"cleanup: the drop, once 3 samples confirm it, starts a new segment (collecting)"
is "$(rows cleanup 'd > 5.2 && ($4 < 12427.5 || $4 > 12427.7)')" 0 \
	"cleanup: after it the slope is 1 GiB/day again, not bent by the drop"

# --- resize -------------------------------------------------------------------
replay resize >/dev/null
is "$(rows resize 'd >= 2 && d < 3 && $2 != "WARNING"')" 0 \
	"resize: 8 days from full is WARNING before the resize (with 2 days of history)"
is "$(rows resize 'd >= 3 && $2 != "OK"')" 0 "resize: after the disk doubles nothing alerts"

# --- options still apply in replay ----------------------------------------------
replay steady -w 80 -c 90 --warn-time-left 1h --crit-time-left 1h >/dev/null
is "$(first steady '$2 == "WARNING"')" "5.003" "levels: WARNING above 80% used"
is "$(first steady '$2 == "CRITICAL"')" "10.003" "levels: CRITICAL above 90% used"
replay steady --full-at 90% >/dev/null
is "$(awk -F, -v r=$((5 * 288 + 2)) 'NR == r { print $5 }' "$T/steady.out")" 432000 \
	"--full-at 90%: on day 5 the 90% mark is 5 days away"

# --- replay writes no history ------------------------------------------------
TRENDTRAP_STATE_DIR=$T/replay-state "$PLUGIN" --replay "$T/steady.in" >/dev/null
ok "[ ! -e '$T/replay-state' ]" "replay writes no state"

# --- bad replay input: UNKNOWN with file:line -----------------------------------
printf 'time,used,cap\n1700000000,10,100\n1700000300,abc,100\n' >"$T/bad.csv"
out=$("$PLUGIN" --replay "$T/bad.csv")
is "$?" 3 "a bad replay file is UNKNOWN"
like "$out" "^DISK_TREND UNKNOWN - --replay: .*bad.csv:3: " "and names the file and line"

done_testing
