#!/bin/sh
# trendtrapd: one notification routed to two destinations.  Each destination
# has its own outbox, so the two entries usually have the same id; the
# outcome a channel reports must settle its own destination's entry, not the
# other's.  Here an inform nobody acknowledges is still in flight when the
# log channel reports its copy delivered: the inform must end as a dead
# letter (not "delivered"), and the log must be written once (not retried).
. "$(dirname "$0")/../lib.sh"
. "$TOP/t/lib-trendtrapd.sh"

mkdir -p "$T/secrets"
printf 'trapcomm\n' >"$T/secrets/community"
chmod 600 "$T/secrets/community"
ttd_config "
defaults { sustain_count = 1  recover_count = 1  renotify = \"0\"  flap_low = 0  flap_high = 0
           stale_after = \"never\" }
channel \"nowhere\" { type = \"snmp\"  sink = {\"udp:127.0.0.1:11194\"}  version = \"2c\"  inform = true
                    community_file = \"$T/secrets/community\"  max_age = \"2s\" }
channel \"log\" { type = \"log\" }
route { channels = {\"nowhere\", \"log\"} }
"
ttd_start || exit 1

submit web01 disk 2 "DISK CRITICAL"
wait_log "nowhere:0: .*dead letter" 1 20
ok 'grep -q "nowhere:0: .*dead letter" "$T/ttd.log"' "the unacknowledged inform becomes a dead letter"
is "$(count_log 'nowhere:0: .*: delivered')" 0 "it is never taken for delivered"
is "$(count_log 'notify log: problem web01/disk ')" 1 "the log destination writes it once"
is "$(count_log 'log:0: .*will retry')" 0 "and is never told to retry"
st=$(tt status)
like "$(printf '%s\n' "$st" | grep '^nowhere:0')" "	0	0	0	1	" "status: nowhere:0 has nothing pending, one dead letter"
like "$(printf '%s\n' "$st" | grep '^log:0')" "	0	0	1	0	" "log:0 has one delivered"
is "$(count_log 'not in flight')" 0 "no outcome is reported for a message not in flight"
ttd_stop
done_testing
