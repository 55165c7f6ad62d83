#!/bin/sh
# Escalation and acknowledgement: a route with `after` gets a problem only
# once it lasted that long unacknowledged, then its recovery too; an
# acknowledged problem is neither escalated nor renotified, and a change of
# its state ends the acknowledgement.
. "$(dirname "$0")/../lib.sh"
. "$TOP/t/lib-trendtrapd.sh"

ttd_config '
defaults { sustain_count = 2  recover_count = 1  renotify = "2s"  flap_high = 0  flap_low = 0
           stale_after = "never" }
channel "ops" { type = "log" }
channel "pager" { type = "log" }
route { channels = {"ops"} }
route { match_service = "esc*"  states = {"CRITICAL", "RECOVERY"}  after = "3s"  channels = {"pager"} }
'
ttd_start || exit 1
ops() { count_log "notify ops: $1"; }
pager() { count_log "notify pager: $1"; }

for i in 1 2; do submit web esc1 2 "ESC1 CRITICAL"; done
for i in 1 2; do submit web esc2 2 "ESC2 CRITICAL"; done
wait_log "notify ops: problem web/esc2" 1 5
is "$(ops "problem web/esc1") $(pager "problem web/esc1")" "1 0" "a problem goes to ops at once, not yet to the pager"
out=$(tt ack 'web/esc2' "looking into it")
is "$out" "1 acknowledged" "trendtrap ack acknowledges the open problem"
like "$(tt ack 'nosuch/*' x 2>&1)" "no open problem matches" "an ack that matches nothing says so"
like "$(tt status | grep '^web	esc2	')" "	notified,acked	" "status shows the acknowledgement"
wait_log "notify pager: problem web/esc1 CRITICAL" 1 8
is "$(pager "problem web/esc1")" 1 "unacknowledged for 3s: escalated to the pager"
like "$(grep 'escalated after' "$T/ttd.log")" "web/esc1: problem CRITICAL escalated after [3-9]s" "the log says so"
sleep 2.5
is "$(pager "problem web/esc2")" 0 "the acknowledged problem is not escalated"
ok '[ "$(count_log "notify ops: renotify web/esc1")" -ge 1 ]' "the unacknowledged one is renotified"
is "$(count_log "notify ops: renotify web/esc2")" 0 "the acknowledged one is not"
submit web esc1 0 "ESC1 OK"
submit web esc2 0 "ESC2 OK"
wait_log "notify ops: recovery web/esc2" 1 5
wait_log "notify pager: recovery web/esc1" 1 5
is "$(pager "recovery web/esc1")" 1 "the escalated problem's recovery goes to the pager too"
is "$(pager "recovery web/esc2")" 0 "the other's does not"
is "$(ops "recovery web/esc2")" 1 "an acknowledged problem still recovers for ops"

# A change of state ends an acknowledgement.
for i in 1 2; do submit web esc3 1 "ESC3 WARNING"; done
wait_log "notify ops: problem web/esc3 WARNING" 1 5
tt ack web/esc3 "fine for now" >/dev/null
submit web esc3 2 "ESC3 CRITICAL"
wait_log "notify pager: problem web/esc3 CRITICAL" 1 8
is "$(pager "problem web/esc3 CRITICAL")" 1 "WARNING acknowledged, then CRITICAL: escalated after all"

# A silenced problem is not escalated; a WARNING is not escalated to a
# CRITICAL-only route; neither keeps the daemon busy.
tt silence add web/esc5 1h "maintenance" >/dev/null
for i in 1 2; do submit web esc5 2 "ESC5 CRITICAL"; done
for i in 1 2; do submit web esc6 1 "ESC6 WARNING"; done
wait_log "notify ops: problem web/esc6 WARNING" 1 5
cpu0=$(awk '{ print $14 + $15 }' /proc/$ttd_pid/stat)
sleep 4
is "$(pager "problem web/esc5") $(pager "problem web/esc6")" "0 0" "silenced or WARNING: not escalated"
# CPU time over these 4 s only: under valgrind (TTD_WRAPPER) starting alone costs seconds.
cpu=$(($(awk '{ print $14 + $15 }' /proc/$ttd_pid/stat) - cpu0))
ok '[ "$cpu" -lt 100 ]' "and the daemon is idle meanwhile ($cpu ticks of CPU in 4 s)"

# Acknowledgements survive a restart.
for i in 1 2; do submit web esc4 2 "ESC4 CRITICAL"; done
wait_log "notify ops: problem web/esc4" 1 5
tt ack web/esc4 "known" >/dev/null
ttd_stop
ttd_start || exit 1
sleep 4
is "$(pager "problem web/esc4")" 0 "an acknowledged problem is still not escalated after a restart"
ttd_stop

# Which escalating routes took a problem follows the routes, not their
# places in the file: reordered by a reload or before a restart, the route
# not yet due still escalates, and the one that took it does not again.
routes() { # the two escalating routes, in the order given
	for r in "$@"; do
		case $r in
		pager) echo 'route { match_service = "ord*"  after = "2s"  channels = {"pager"} }' ;;
		boss) echo 'route { match_service = "ord*"  after = "5s"  channels = {"boss"} }' ;;
		esac
	done
}
order() {
	ttd_config "
defaults { sustain_count = 2  recover_count = 1  renotify = \"0\"  flap_high = 0  flap_low = 0
           stale_after = \"never\" }
channel \"ops\" { type = \"log\" }
channel \"pager\" { type = \"log\" }
channel \"boss\" { type = \"log\" }
route { channels = {\"ops\"} }
$(routes "$@")
"
}
boss() { count_log "notify boss: $1"; }
order pager boss
ttd_start || exit 1
for i in 1 2; do submit web ord1 2 "ORD1 CRITICAL"; done
ok 'wait_log "notify pager: problem web/ord1" 1 8' "after 2s the problem escalates to the pager"
order boss pager
kill -HUP $ttd_pid
wait_log "reloaded" 1 5
ok 'wait_log "notify boss: problem web/ord1" 1 8' "routes reordered by a reload: after 5s to the boss"
is "$(pager "problem web/ord1")" 1 "and not to the pager again"

for i in 1 2; do submit web ord2 2 "ORD2 CRITICAL"; done
ok 'wait_log "notify pager: problem web/ord2" 1 8' "a second problem escalates to the pager"
ttd_stop
order pager boss
ttd_start || exit 1
ok 'wait_log "notify boss: problem web/ord2" 1 8' "routes reordered across a restart: to the boss after all"
sleep 1
is "$(pager "problem web/ord2") $(boss "problem web/ord2")" "1 1" "once each"
ttd_stop

done_testing
