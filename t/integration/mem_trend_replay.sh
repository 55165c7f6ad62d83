#!/bin/sh
# check_mem_trend --replay on scenario histories (t/gen-mem-series.awk, a
# 16 GiB host, 5-minute samples): a leak alerts at the right time, benign
# patterns (cache growth and drop, a reboot, noise) never alert.
. "$(dirname "$0")/../lib.sh"

GEN=$TOP/t/gen-mem-series.awk
PLUGIN=$TOP/plugins/check_mem_trend
LEAK=-2912.71111 # 10 MiB/h in bytes per second, as replay prints it
near() { echo "(\$4 > $1 - 0.0001 && \$4 < $1 + 0.0001)"; } # slope within 1e-4 B/s of $1

. "$(dirname "$0")/../lib-replay.sh"
row() { # SCENARIO DAY FIELD: a field of the row at DAY (a whole number of 5-minute steps)
	awk -F, -v r="$(awk -v d="$2" 'BEGIN { printf "%d", d * 288 + 2 }')" -v f="$3" \
		'NR == r { print $f }' "$T/$1.out"
}

# --- steady leak: 12 GiB available, falling 10 MiB/h; exhausted at 10 GiB ----
is "$(replay leak --exhaust-at 10GiB)" 0 "replay exits 0"
is "$(head -n 1 "$T/leak.out")" "time,state,available,slope_per_s,time_left_s" "replay header"
is "$(wc -l <"$T/leak.out")" "$(wc -l <"$T/leak.in")" "one output row per input row"
is "$(sed -n 2p "$T/leak.out")" "$T0,OK,12884901888,," "the first row: collecting, so no slope and no time left"
is "$(rows leak 'NR <= 6 && $4 != ""')" 0 "no slope before 6 samples"
is "$(rows leak 'd < 1.999 && $4 != ""')" 0 "no slope before 2 days of history (--min-span 2d)"
is "$(rows leak "\$4 != \"\" && !$(near $LEAK)")" 0 "every estimated slope is -10 MiB/h ($LEAK B/s)"
is "$(row leak 5 5)" 305280 "on day 5 (11.1 GiB available) 848 MiB are left: exactly 84.8 hours"
is "$(rows leak 'd < 5.53 && $2 != "OK"')" 0 "no alert while more than 3 days are left"
is "$(first leak '$2 == "WARNING"')" "5.535" "WARNING once less than 3 days (--warn-time-left) are left"
is "$(first leak '$2 == "CRITICAL"')" "7.535" "CRITICAL once less than 1 day (--crit-time-left) is left"
is "$(rows leak 'd > 7.54 && $2 != "CRITICAL"')" 0 "and it stays CRITICAL"
is "$(first leak '$5 == "0"')" "8.535" "time left 0 once available memory is down to 10 GiB"
"$PLUGIN" --replay "$T/leak.in" --exhaust-at 62.5% >"$T/pct.out"
ok "cmp -s '$T/pct.out' '$T/leak.out'" "--exhaust-at 62.5% of 16 GiB is the same as 10GiB"

# --- level thresholds, in bytes and in percent of the total ------------------
replay leak -w 11GiB: -c 10.5GiB: >/dev/null
is "$(first leak '$2 == "WARNING"')" "4.267" "-w 11GiB: is WARNING once available falls below 11 GiB"
is "$(first leak '$2 == "CRITICAL"')" "6.403" "-c 10.5GiB: is CRITICAL once it falls below 10.5 GiB"
cp "$T/leak.out" "$T/bytes.out"
replay leak -w 68.75%: -c 65.625%: >/dev/null
ok "cmp -s '$T/bytes.out' '$T/leak.out'" "the same thresholds in percent of 16 GiB give the same rows"

# --- leak plus a daily cycle of +-1 GiB ----------------------------------------
# A trend is only as good as its window: over a few hours of a daily cycle, the
# evening's fall looks like a leak of 80 MiB/h. Taken over whole days (a 7-day
# window, and 2 days of history before any trend), the leak shows through.
replay cycle --exhaust-at 9GiB >/dev/null # the defaults: --window 7d --min-span 2d
is "$(rows cycle 'd < 2 && $4 != ""')" 0 "cycle: no trend from less than 2 days (--min-span 2d)"
is "$(rows cycle 'd < 8.7 && $2 != "OK"')" 0 "cycle: no alert before the troughs reach 9 GiB"
alert=$(first cycle '$2 != "OK"')
ok "awk 'BEGIN { exit !($alert >= 8.7 && $alert < 8.8) }'" \
	"cycle: it alerts when the evening trough first dips under 9 GiB (day $alert)"
is "$(rows cycle 'd > 7 && ($4 < 1.2 * '$LEAK' || $4 > 0.8 * '$LEAK')')" 0 \
	"cycle: with a full window the slope is within 20% of the leak"
mean=$(awk -F, -v T0=$T0 'NR > 1 && ($1 - T0) / 86400 > 7 { s += $4; n++ } END { printf "%.0f", s / n }' "$T/cycle.out")
ok "awk 'BEGIN { exit !($mean > 1.02 * $LEAK && $mean < 0.98 * $LEAK) }'" \
	"cycle: and on average within 2% of it ($mean B/s)"
is "$(rows cycle 'd > 8.7 && $2 == "CRITICAL" && $5 != "0"')" 0 \
	"cycle: CRITICAL only at the troughs (time left 0), the trend itself is 3-4 days out"

# --- cache growth, then the caches are dropped -----------------------------------
# Available falls 0.5 GiB/day: at that pace it runs out in 3 weeks, nothing to
# alert on with 3d/1d; the drop starts a new segment instead of bending the fit.
replay cache >/dev/null
is "$(rows cache '$2 != "OK"')" 0 "cache: never alerts"
is "$(rows cache '$5 != "" && $5 < 14 * DAY')" 0 "cache: never projects exhaustion within 2 weeks"
is "$(rows cache 'd >= 3.006 && d < 3.015 && $4 != ""')" 0 \
	"cache: the drop, once 3 samples confirm it, starts a new segment (collecting)"
is "$(rows cache "d > 3.1 && \$4 != \"\" && !$(near -6213.7837)")" 0 \
	"cache: after it the slope is -0.5 GiB/day again, not bent by the drop"

# --- reboot: a leak, then everything is free again --------------------------------
replay reboot --exhaust-at 10GiB >/dev/null
is "$(first reboot '$2 == "WARNING"')" "5.535" "reboot: the leak is WARNING before the reboot"
is "$(rows reboot 'd >= 6 && $2 != "OK"')" 0 "reboot: from the reboot on, no alert"
is "$(rows reboot 'd >= 6.006 && d < 6.015 && $4 != ""')" 0 \
	"reboot: the jump starts a new segment (collecting)"
is "$(rows reboot "d > 6.1 && \$4 != \"\" && !$(near $LEAK)")" 0 "reboot: then the leak's slope again, from the new level"

# --- flat noise --------------------------------------------------------------------
replay noise >/dev/null
is "$(rows noise '$2 != "OK"')" 0 "noise: never alerts"
is "$(rows noise 'd > 1 && $5 != "" && $5 < 365 * DAY')" 0 \
	"noise: after a day, flat noise never projects exhaustion within a year"
replay noise -w 7.5GiB: -c 7GiB: >/dev/null
is "$(rows noise '$2 != "OK"')" 0 "noise: +-256 MiB around 8 GiB stays above -w 7.5GiB:"

# --- replay writes no history -------------------------------------------------------
TRENDTRAP_STATE_DIR=$T/replay-state "$PLUGIN" --replay "$T/leak.in" >/dev/null
ok "[ ! -e '$T/replay-state' ]" "replay writes no state"

# --- bad replay input: UNKNOWN with file:line ------------------------------------------
printf 'time,available,total\n1700000000,10,100\n1700000300,abc,100\n' >"$T/bad.csv"
out=$("$PLUGIN" --replay "$T/bad.csv")
is "$?" 3 "a bad replay file is UNKNOWN"
like "$out" "^MEM_TREND UNKNOWN - --replay: .*bad.csv:3: " "and names the file and line"

done_testing
