#!/bin/sh
# trendtrapd to a real snmptrapd: a sustained breach gives exactly one
# problem trap and one recovery trap (same event id), flapping one pair of
# flapping notifications, a silent check one stale notification; test-trap
# works; and with snmptrapd down and v3 informs pending, a kill -9 of
# trendtrapd loses nothing: once both are back, every notification arrives.
. "$(dirname "$0")/../lib.sh"
. "$TOP/t/lib-snmptrapd.sh"
. "$TOP/t/lib-trendtrapd.sh"

ROOT=.1.3.6.1.4.1.8072.9999.1
TRAPOID=.1.3.6.1.6.3.1.1.4.1.0
mkdir -p "$T/secrets"
for s in community:trapcomm auth:trapauthpass priv:trapprivpass; do
	printf '%s\n' "${s#*:}" >"$T/secrets/${s%%:*}"
	chmod 600 "$T/secrets/${s%%:*}"
done

ttd_config "
defaults { sustain_count = 3  recover_count = 2  renotify = \"0\"
           flap_low = 20  flap_high = 30  stale_after = \"never\" }
check \"quiet\" { command = {\"/bin/true\"} interval = \"1h\" timeout = \"5s\" host = \"h1\"
                stale_after = \"2s\" }
channel \"traps\" { type = \"snmp\"  sink = {\"udp:$TRAPD_ADDR\"}  version = \"2c\"
                  community_file = \"$T/secrets/community\" }
channel \"informs\" { type = \"snmp\"  sink = {\"udp:$TRAPD_ADDR\"}  version = \"3\"  inform = true
                    user = \"trapuser\"  auth_proto = \"SHA\"  priv_proto = \"AES\"
                    auth_pass_file = \"$T/secrets/auth\"  priv_pass_file = \"$T/secrets/priv\" }
channel \"nowhere\" { type = \"snmp\"  sink = {\"udp:127.0.0.1:11168\"}  version = \"2c\"  inform = true
                    community_file = \"$T/secrets/community\"  max_age = \"3s\" }
route { match_service = \"inf*\"  channels = {\"informs\"} }
route { match_service = \"iz*\"  channels = {\"nowhere\"} }
route { match_service = \"[!i]*\"  channels = {\"traps\"} }
"

# find KIND SERVICE: the record numbers of KIND notifications for SERVICE
find() {
	n=$(trapd_count)
	k=1
	while [ $k -le "$n" ]; do
		if [ "$(trapd_vb $k $TRAPOID)" = "OID $ROOT.0.$1" ] &&
			[ "$(trapd_vb $k $ROOT.1.2.0)" = "Hex-STRING $(hex "$2")" ]; then
			printf '%s ' $k
		fi
		k=$((k + 1))
	done
}
count() { set -- $(find "$1" "$2"); echo $#; }
PROBLEM=1 RECOVERY=2 FLAP_START=4 FLAP_STOP=5 STALE=6 TEST=8

ttd_start || exit 1

# ---- one problem trap, one recovery trap ---------------------------------
for i in 1 2 3 4 5; do submit web01 disk 2 "DISK CRITICAL - / 97%|'/'=97%;80;90"; done
trapd_wait 1 10
sleep 0.5
is "$(count $PROBLEM disk)" 1 "five CRITICAL results (sustain_count 3): one problem trap"
k=$(find $PROBLEM disk)
is "$(trapd_vb $k $ROOT.1.1.0)" "Hex-STRING $(hex web01)" "it names the host"
is "$(trapd_vb $k $ROOT.1.3.0)" "INTEGER 2" "state CRITICAL"
is "$(trapd_vb $k $ROOT.1.4.0)" "INTEGER 0" "previous state OK"
is "$(trapd_vb $k $ROOT.1.5.0)" "Hex-STRING $(hex "DISK CRITICAL - / 97%")" "the output, without perfdata"
is "$(trapd_vb $k $ROOT.1.6.0)" "Hex-STRING $(hex "97%")" "the value from the perfdata"
like "$(trapd_trap $k | head -1)" "community trapcomm" "as a v2c trap with the configured community"
for i in 1 2; do submit web01 disk 0 "DISK OK - / 40%"; done
trapd_wait 2 10
sleep 0.5
is "$(count $RECOVERY disk)" 1 "two OK results: one recovery trap"
r=$(find $RECOVERY disk)
is "$(trapd_vb $r $ROOT.1.9.0)" "$(trapd_vb $k $ROOT.1.9.0)" "the recovery carries the problem's event id"
is "$(count $PROBLEM disk)" 1 "and still one problem trap"

# ---- flapping: one pair ---------------------------------------------------
for i in $(seq 1 12); do
	submit web01 api 2 "API CRITICAL"
	submit web01 api 0 "API OK"
done
for i in $(seq 1 25); do submit web01 api 0 "API OK"; done
wait_log "flap-stop" 1 10
trapd_wait 4 10
sleep 0.5
is "$(count $FLAP_START api) $(count $FLAP_STOP api)" "1 1" "flapping: one start and one stop notification"
is "$(count $PROBLEM api) $(count $RECOVERY api)" "0 0" "and no problem or recovery traps"

# ---- stale ------------------------------------------------------------------
wait_log "stale h1/quiet" 1 10
trapd_wait 5 10
is "$(count $STALE quiet)" 1 "a check silent beyond stale_after: one stale trap"

# ---- test-trap ---------------------------------------------------------------
like "$(tt test-trap traps)" "1 queued" "test-trap queues one notification per sink"
trapd_wait 6 10
is "$(count $TEST trendtrapd)" 1 "the test notification arrives"
like "$(tt test-trap nosuch 2>&1)" "no channel nosuch" "test-trap of an unknown channel says so"

# ---- an inform never acknowledged: retried, then a dead letter at max_age ------
for i in 1 2 3; do submit web03 izdead 2 "IZDEAD CRITICAL"; done
wait_log "nowhere:0: .*dead letter" 1 20
like "$(grep 'nowhere:0: .*dead letter' "$T/ttd.log")" "expired" "an inform unacknowledged past max_age becomes a dead letter"
like "$(tt status | grep '^nowhere:0')" "	0	0	0	1	" "status: nothing pending, one dead letter"
f=$(ls "$T/state/outbox/nowhere:0/dead/"*.msg 2>/dev/null | head -1)
ok '[ -n "$f" ] && grep -q "^dead expired" "$f" && grep -q "host web03" "$f"' "the dead letter keeps the notification and why"

# ---- outage: snmptrapd down, informs pending, kill -9, restart both -----------
kill "$trapd_pid"
wait "$trapd_pid" 2>/dev/null
mv "$TRAPD_LOG" "$T/traps-before-outage.log" # the restarted snmptrapd starts a new log
for svc in inf1 inf2; do
	for i in 1 2 3; do submit web02 $svc 2 "$svc CRITICAL"; done
done
wait_log "informs:0: .*will retry" 1 15
ok 'tt status | grep -Eq "^informs:0 .*failing"' "status shows the inform sink failing"
like "$(tt status | grep '^informs:0')" "	2	" "with the two informs pending"
ttd_kill
. "$TOP/t/lib-snmptrapd.sh" # snmptrapd back, same config and log
ttd_start || exit 1
# Both informs, each when its retry comes due (its backoff survived the
# kill), or once the sink is reopened (up to 30 s after a failed open); the
# check's stale-end trap arrives meanwhile.
i=0
until { [ "$(count $PROBLEM inf1)" -ge 1 ] && [ "$(count $PROBLEM inf2)" -ge 1 ]; } || [ $i -gt 200 ]; do
	sleep 0.2
	i=$((i + 1))
done
sleep 1
n1=$(count $PROBLEM inf1)
n2=$(count $PROBLEM inf2)
ok '[ "$n1" -ge 1 ] && [ "$n1" -le 2 ] && [ "$n2" -ge 1 ] && [ "$n2" -le 2 ]' \
	"after kill -9 and restarts, both informs arrived (inf1 $n1, inf2 $n2 times)"
like "$(trapd_trap "$(find $PROBLEM inf1 | cut -d' ' -f1)" | head -1)" "trapuser" "as v3 informs of trapuser"
ok '[ "$(find $PROBLEM inf1 | cut -d" " -f1)" -lt "$(find $PROBLEM inf2 | cut -d" " -f1)" ]' \
	"in the order they were queued: a sink failing before the kill resumes with its oldest"
ok 'tt status | grep -Eq "^informs:0 .*	ok	0	"' "the sink is healthy again, nothing pending"

done_testing
