#!/bin/sh
# check_error_trend --replay on bucket histories (t/gen-err-series.awk):
# a creeping error ratio alerts before it reaches the critical level; more
# traffic at the same ratio, a five-minute burst and a quiet night do not.
. "$(dirname "$0")/../lib.sh"

GEN=$TOP/t/gen-err-series.awk
PLUGIN=$TOP/plugins/check_error_trend
. "$(dirname "$0")/../lib-replay.sh"
TH="-w 2 -c 5"

# --- creep: +0.1 points per hour after a release at day 1 --------------------
is "$(replay creep $TH)" 0 "replay exits 0"
is "$(head -n 1 "$T/creep.out")" "time,state,ratio,slope_per_s,time_left_s" "replay header"
is "$(wc -l <"$T/creep.out")" "$(wc -l <"$T/creep.in")" "one output row per input row"
is "$(rows creep 'd < 1 && $2 != "OK"')" 0 "creep: no alert before the release"
is "$(rows creep 'd < 1 && $5 != ""')" 0 "creep: a flat ratio projects nothing"
trend_alert=$(first creep '$5 != "" && $5 < 86400 && $2 != "OK"')
ok "awk 'BEGIN { exit !($trend_alert > 1.5 && $trend_alert < 2.0) }'" \
	"creep: the trend warns a day ahead, long before 5% (day $trend_alert; 5% is reached on day 2.875)"
crit=$(first creep '$2 == "CRITICAL"')
ok "awk 'BEGIN { exit !($crit < 2.875) }'" "creep: CRITICAL before the ratio reaches 5% (day $crit)"
is "$(rows creep 'd > 1.3 && $4 != "" && $4 <= 0')" 0 "creep: the slope is positive once it rises"

# --- traffic growth at a constant ratio -----------------------------------------
replay growth $TH >/dev/null
is "$(rows growth '$2 != "OK"')" 0 "growth: ten times the traffic at 1% never alerts"
is "$(rows growth '$5 != ""')" 0 "growth: and projects nothing"

# --- a five-minute burst -----------------------------------------------------------
replay burst $TH >/dev/null
is "$(rows burst '$2 != "OK"')" 1 "burst: only the burst's own window is over the level"
is "$(rows burst 'd > 2.5 && $5 != ""')" 0 "burst: it bends no trend afterwards"

# --- a quiet night -------------------------------------------------------------------
replay night $TH >/dev/null
is "$(rows night '$2 != "OK"')" 0 "night: 1 error in 5 requests is reported, not judged"
replay night $TH --min-requests 1 >/dev/null
ok "[ $(rows night '$2 == "CRITICAL"') -gt 0 ]" "night: with --min-requests 1 the same night is CRITICAL"

# --- increase against the baseline ---------------------------------------------------
# (over an hour: five minutes of 1000 requests hold too few errors to compare)
replay creep --window 1h --baseline 1d --warn-increase 2 --crit-increase 5 >/dev/null
inc=$(first creep '$2 == "WARNING"')
ok "awk 'BEGIN { exit !($inc > 1.15 && $inc < 1.35) }'" \
	"increase: twice the ratio of a day before is WARNING (day $inc; 1% on day 1.21)"
is "$(rows creep 'd < 1.15 && $2 != "OK"')" 0 "increase: not before"

# --- bad input ------------------------------------------------------------------------
printf 'time,requests,errors\n1700000000,10,1\n1700000300,ten,1\n' >"$T/bad.csv"
out=$("$PLUGIN" --replay "$T/bad.csv")
is "$?" 3 "a bad replay file is UNKNOWN"
like "$out" "bad.csv:3: " "and names the file and line"
out=$("$PLUGIN" --replay "$T/creep.in" -w 5:1)
is "$?" 3 "a reversed range is UNKNOWN"
out=$("$PLUGIN" --replay "$T/creep.in" --error-status 5xx)
is "$?" 3 "a bad --error-status is UNKNOWN"
like "$out" "^ERROR_TREND UNKNOWN - --error-status '5xx': " "and says which option"
out=$("$PLUGIN" --log /var/log/x --es-url http://127.0.0.1:9 --index i)
is "$?" 3 "two sources are refused"
out=$("$PLUGIN" -w 2)
is "$?" 3 "no source is refused"

done_testing
