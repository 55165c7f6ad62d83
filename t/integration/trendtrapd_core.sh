#!/bin/sh
# trendtrapd end to end with the log channel: results through the socket
# and its own checks; sustained problems, recovery, flapping, staleness,
# silences, bad lines, reload (good and broken), restart with state.
. "$(dirname "$0")/../lib.sh"
. "$TOP/t/lib-trendtrapd.sh"

NOTE='notify log:'
problems() { count_log "$NOTE problem $1 "; }

# A plugin whose state the test sets by writing a file.
cat >"$T/plugin" <<EOF
#!/bin/sh
cat "$T/plugin.out"
exit \$(cat "$T/plugin.rc")
EOF
chmod 755 "$T/plugin"
echo 0 >"$T/plugin.rc"
echo "FAKE OK - fine|value=1B;;;0;10" >"$T/plugin.out"

BODY='
defaults { sustain_count = 3  recover_count = 2  renotify = "0"
           flap_low = 20  flap_high = 30  stale_after = "never" }
check "fake" { command = {"'$T/plugin'"} interval = "1s" timeout = "1s" host = "h1"
               sustain_count = 2 }
check "stale" { command = {"/bin/true"} interval = "1h" timeout = "5s" host = "h1"
                stale_after = "2s" }
channel "log" { type = "log" }
route { channels = {"log"} }
'

# ---- the config check -------------------------------------------------
ttd_config "$BODY"
out=$("$TTD" -n -f "$T/ttd.conf" 2>&1)
is "$?:$out" "0:" "-n accepts a good config silently"

cat >"$T/bad.conf" <<'EOF'
user = "root"
defaults { sustain_count = -1 }
channel "x" { type = "carrier-pigeon" }
route { channels = {"nope"} }
EOF
out=$("$TTD" -n -f "$T/bad.conf" 2>&1)
rc=$?
is "$rc" 1 "-n refuses a bad config"
like "$out" "bad.conf:2: " "the error names line 2"
like "$out" "bad.conf:3: .*carrier-pigeon" "and line 3"
like "$out" "bad.conf:4: .*nope" "and line 4"
out=$("$TTD" -f "$T/bad.conf" -d 2>&1)
is "$?" 1 "the daemon refuses to start on it"

# ---- start; sustained problem and recovery from socket results -----------
ttd_start || exit 1
ok '[ "$(stat -c %a "$SOCK")" = 600 ]' "the socket has the configured mode"

for i in 1 2; do submit web01 disk 2 "DISK CRITICAL - / 99%|'/'=99%;80;90"; done
sleep 0.3
is "$(problems web01/disk)" 0 "two CRITICAL results: not sustained yet"
submit web01 disk 2 "DISK CRITICAL - / 99%|'/'=99%;80;90"
wait_log "$NOTE problem web01/disk CRITICAL \(was OK\)" 1 5
is "$(problems web01/disk)" 1 "the third: one problem notification"
for i in 1 2 3; do submit web01 disk 2 "DISK CRITICAL - / 99%"; done
submit web01 disk 0 "DISK OK"
sleep 0.3
is "$(problems web01/disk)" 1 "more CRITICAL results: no repeat"
is "$(count_log "$NOTE recovery web01/disk")" 0 "one OK does not recover (recover_count 2)"
submit web01 disk 0 "DISK OK"
wait_log "$NOTE recovery web01/disk OK \(was CRITICAL\)" 1 5
is "$(count_log "$NOTE recovery web01/disk")" 1 "the second OK: one recovery"
pid=$(grep -Eo "problem web01/disk CRITICAL \(was OK\) event [0-9]+" "$T/ttd.log" | grep -Eo '[0-9]+$')
rid=$(grep -Eo "recovery web01/disk OK \(was CRITICAL\) event [0-9]+" "$T/ttd.log" | grep -Eo '[0-9]+$')
is "$rid" "$pid" "the recovery carries the problem's event id"

# WARNING then CRITICAL while sustained: a change of state is notified.
for i in 1 2 3; do submit web02 mem 1 "MEM WARNING"; done
submit web02 mem 2 "MEM CRITICAL"
wait_log "$NOTE problem web02/mem CRITICAL \(was WARNING\)" 1 5
is "$(count_log "$NOTE problem web02/mem")" 2 "WARNING, then the change to CRITICAL"

# ---- flapping: one start, one stop, no storm -------------------------------
for i in $(seq 1 12); do
	submit web03 api 2 "API CRITICAL"
	submit web03 api 0 "API OK"
done
wait_log "$NOTE flap-start web03/api" 1 5
is "$(count_log "$NOTE flap-start web03/api")" 1 "flapping: one flap-start"
is "$(count_log "$NOTE (problem|recovery) web03/api")" 0 "no problem/recovery storm while flapping"
for i in $(seq 1 25); do submit web03 api 0 "API OK"; done
wait_log "$NOTE flap-stop web03/api" 1 5
is "$(count_log "$NOTE flap-stop web03/api")" 1 "steady again: one flap-stop"

# ---- the daemon's own check ---------------------------------------------
echo 2 >"$T/plugin.rc"
echo "FAKE CRITICAL - broken|value=9B;;;0;10" >"$T/plugin.out"
wait_log "$NOTE problem h1/fake CRITICAL" 1 10
is "$(count_log "$NOTE problem h1/fake CRITICAL")" 1 "a check it runs itself becomes a problem (sustain_count 2)"
like "$(grep "$NOTE problem h1/fake" "$T/ttd.log")" "FAKE CRITICAL - broken$" "with the plugin's output, without perfdata"

# ---- staleness ----------------------------------------------------------
wait_log "$NOTE stale h1/stale" 1 10
is "$(count_log "$NOTE stale h1/stale")" 1 "a check silent for longer than stale_after is stale"

# ---- silences -------------------------------------------------------------
out=$(tt silence add 'db*/disk *' 1h "planned maintenance" 2>&1)
like "$out" "^[0-9]+" "silence add answers its id"
for i in 1 2 3; do submit db01 "disk /srv" 2 "DISK CRITICAL"; done
wait_log "db01/disk /srv: problem CRITICAL silenced by silence" 1 5
is "$(problems "db01/disk /srv")" 0 "a silenced problem is recorded, not sent"
like "$(tt silence list)" "db\*/disk \*.*planned maintenance" "silence list shows it"

out=$(tt silence add 'web09' 1h "whole host" 2>&1)
sid=${out%% *}
like "$(tt silence list)" "whole host" "a second silence"
tt silence remove "$sid"
ok '! tt silence list | grep -q "whole host"' "silence remove ends it"
like "$(tt silence remove 999 2>&1)" "no silence 999" "removing an unknown silence says so"

# ---- host results ------------------------------------------------------------
printf 'PROCESS_HOST_CHECK_RESULT;router1;1;PING CRITICAL - 100%% loss\n' | tt submit - 2>&1
printf '[%s] PROCESS_HOST_CHECK_RESULT;router1;1;PING CRITICAL\n' "$(date +%s)" | tt submit -
printf 'PROCESS_HOST_CHECK_RESULT;router1;2;unreachable\n' | tt submit -
wait_log "$NOTE problem router1/HOST CRITICAL" 1 5
is "$(problems router1/HOST)" 1 "host results (DOWN, UNREACHABLE) are filed as CRITICAL under HOST"

# ---- bad lines -------------------------------------------------------------
out=$(printf '%s\n' \
	"PROCESS_SERVICE_CHECK_RESULT;web01;disk;9;bad rc" \
	"NOT_A_COMMAND;x" \
	"PROCESS_SERVICE_CHECK_RESULT;web01;disk;0;fine" | tt submit - 2>&1)
is "$?" 1 "submit of bad lines fails"
like "$out" "line 1: .*9" "the bad return code is reported with its line"
like "$out" "line 2: .*NOT_A_COMMAND" "the unknown command too"
long=$(head -c 5000 /dev/zero | tr '\0' x)
out=$(printf 'PROCESS_SERVICE_CHECK_RESULT;web01;disk;0;%s\nPROCESS_SERVICE_CHECK_RESULT;web01;disk;0;ok\n' "$long" | tt submit - 2>&1)
like "$out" "line 1: line longer than 4096 bytes" "an oversized line is rejected"
ok 'grep -q "line 1 rejected: line longer than 4096 bytes" "$T/ttd.log"' "and logged"
ok 'kill -0 $ttd_pid' "the daemon is still running"
like "$(tt status)" "web01	disk	OK" "and still files results"

# ---- floods: throttled by the socket, never a stall, logs rate-limited -------
awk 'BEGIN { for (i = 0; i < 200000; i++) printf "PROCESS_SERVICE_CHECK_RESULT;flood;s%d;0;ok\n", i % 1000 }' |
	tt --timeout 60 submit - >"$T/flood.out" 2>&1 &
flood=$!
sleep 0.2
ok 'tt --timeout 5 status >/dev/null' "another client is answered during a flood"
wait $flood
is "$?" 0 "the flood's 200000 lines were all accepted"
sleep 1.1 # a new second of the log's rate limit
before=$(count_log "rejected:")
yes "garbage line" | head -n 20000 | tt submit - >/dev/null 2>&1
wait_log "more rejected lines not logged" 1 5
is "$(($(count_log "rejected:") - before))" 5 "20000 bad lines: 5 logged ..."
like "$(grep "more rejected lines not logged" "$T/ttd.log" | tail -1)" "19995 more" "... and the rest counted"

# ---- reload: broken config refused, good one applied ------------------------
cp "$T/ttd.conf" "$T/good.conf"
echo 'route { channels = {"missing"} }' >>"$T/ttd.conf"
kill -HUP $ttd_pid
wait_log "reload refused" 1 5
like "$(grep 'ttd.conf:' "$T/ttd.log" | tail -1)" "ttd.conf:[0-9]+: .*missing" "a broken reload logs file:line"
for i in 1 2 3; do submit web04 disk 2 "DISK CRITICAL"; done
wait_log "$NOTE problem web04/disk" 1 5
is "$(problems web04/disk)" 1 "the old config stays in force"
sed 's/sustain_count = 3/sustain_count = 1/' "$T/good.conf" >"$T/ttd.conf"
kill -HUP $ttd_pid
wait_log "reloaded" 1 5
submit web05 disk 2 "DISK CRITICAL"
wait_log "$NOTE problem web05/disk" 1 5
is "$(problems web05/disk)" 1 "the reloaded config applies (sustain_count 1)"

# ---- restart: the state survives ------------------------------------------
ttd_stop
cp "$T/good.conf" "$T/ttd.conf"
ttd_start || exit 1
submit web01 disk 0 "DISK OK"
submit web04 disk 2 "DISK CRITICAL"
sleep 0.5
is "$(problems web04/disk)" 1 "after a restart, a known problem is not notified again"
submit web04 disk 0 "DISK OK"
submit web04 disk 0 "DISK OK"
wait_log "$NOTE recovery web04/disk" 1 5
is "$(count_log "$NOTE recovery web04/disk")" 1 "and its recovery still comes"
like "$(tt status)" "db01	disk /srv" "services are restored"
like "$(tt silence list)" "planned maintenance" "silences are restored"
ttd_stop
ok '[ ! -e "$T/state/services.corrupt-"* ]' "the state file was never set aside"

# ---- corrupt state is set aside, never fatal ------------------------------------
echo "garbage" >"$T/state/services"
ttd_start || exit 1
like "$(grep 'set aside' "$T/ttd.log")" "services:1: .*set aside as .*services.corrupt-" "corrupt state: a clear message, the file set aside"
ttd_stop

done_testing
