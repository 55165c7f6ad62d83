#!/bin/sh
# The snmp channel (trapd/notify_snmp.c) against a real snmptrapd on udp
# 127.0.0.1:11162: v2c and v3 (SHA/AES, SHA-512/AES-256) traps and informs,
# every varbind checked byte for byte as it arrived; the notification OID of
# every kind; a non-default enterprise_oid; several sinks; informs to a
# receiver that is down or refuses the credentials end in RETRY; a trap with
# the wrong community is not received; the engineBoots file of v3 traps.
# Driven through t/helpers/sendnotice (config_load -> channel -> loop).
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/../lib-snmptrapd.sh"

SEND=${SENDNOTICE:-$TOP/t/helpers/sendnotice} # override: e.g. an ASan build
if [ ! -x "$SEND" ]; then
	echo "Bail out! $SEND is not built (make tests)"
	exit 1
fi
DOWN=127.0.0.1:11168 # nothing listens here
ROOT=.1.3.6.1.4.1.8072.9999.1
UPTIME=.1.3.6.1.2.1.1.3.0
TRAPOID=.1.3.6.1.6.3.1.1.4.1.0

# ---- secrets and configs -------------------------------------------------
mkdir -p "$T/secrets" "$T/state"
secret() { # NAME VALUE
	printf '%s\n' "$2" >"$T/secrets/$1"
	chmod 600 "$T/secrets/$1"
}
secret community trapcomm
secret wrongcomm wrongcomm
secret auth trapauthpass
secret priv trapprivpass
secret bigauth bigauthpass
secret bigpriv bigprivpass
secret badauth not-the-passphrase
secret badpriv trapprivpass

v3() { # NAME SINK INFORM USER AUTH_PROTO PRIV_PROTO SECRET_PREFIX [ENGINE_ID]
	cat <<EOF
channel "$1" {
	type = "snmp"
	sink = {"udp:$2"}
	version = "3"
	inform = $3
	user = "$4"
	auth_proto = "$5"
	priv_proto = "$6"
	auth_pass_file = "$T/secrets/${7}auth"
	priv_pass_file = "$T/secrets/${7}priv"
	${8:+engine_id = \"$8\"}
}
EOF
}
v2c() { # NAME SINKS INFORM COMMUNITY_FILE
	cat <<EOF
channel "$1" {
	type = "snmp"
	sink = {$2}
	version = "2c"
	inform = $3
	community_file = "$T/secrets/$4"
}
EOF
}

CONF=$T/trendtrapd.conf
{
	echo "state_dir = \"$T/state\""
	echo "enterprise_oid = \"$ROOT\""
	v2c v2trap "\"udp:$TRAPD_ADDR\"" false community
	v2c v2inform "\"udp:$TRAPD_ADDR\"" true community
	v2c wrongcomm "\"udp:$TRAPD_ADDR\"" false wrongcomm
	v2c both "\"udp:$TRAPD_ADDR\", \"udp:$TRAPD_ADDR\"" false community
	v2c v2down "\"udp:$DOWN\"" true community
	v3 v3trap "$TRAPD_ADDR" false trapuser SHA AES "" "$TRAPD_ENGINE_SHA"
	v3 v3inform "$TRAPD_ADDR" true trapuser SHA AES ""
	v3 v3bigtrap "$TRAPD_ADDR" false biguser SHA-512 AES-256 big "$TRAPD_ENGINE_BIG"
	v3 v3biginform "$TRAPD_ADDR" true biguser SHA-512 AES-256 big
	v3 v3down "$DOWN" true trapuser SHA AES ""
	v3 v3badpass "$TRAPD_ADDR" true trapuser SHA AES bad
} >"$CONF"

OTHER_ROOT=.1.3.6.1.4.1.99999.42
CONF2=$T/other-root.conf
{
	echo "state_dir = \"$T/state\""
	echo "enterprise_oid = \"$OTHER_ROOT\""
	v2c v2trap "\"udp:$TRAPD_ADDR\"" false community
} >"$CONF2"

# ---- helpers ---------------------------------------------------------------
OUT=""
RC=0
ERR=""
# send CONFIG CHANNEL ARGS...: one sendnotice run; sets OUT, ERR and RC
send() {
	OUT=$("$SEND" "$@" 2>"$T/stderr")
	RC=$?
	ERR=$(cat "$T/stderr")
}
# DateAndTime of unix seconds as net-snmp logs it (11 octets, UTC)
dat() {
	date -u -d "@$1" '+%Y %m %d %H %M %S' |
		awk '{ printf "%04X%02X%02X%02X%02X%02X002B0000", $1, $2, $3, $4, $5, $6 }'
}
NTRAPS=0
# received DESC: one more notification must arrive; sets K to its number
received() {
	NTRAPS=$((NTRAPS + 1))
	K=$NTRAPS
	ok "trapd_wait $NTRAPS" "$1: snmptrapd received it"
}
# The notice every full check sends; a test changes what it needs.
notice_defaults() {
	KIND=problem NOTIF=1 ID=4294967317 H=web01.example.com S="disk /var"
	ST=CRITICAL STN=2 PREV=WARNING PREVN=1
	OUTPUT="DISK_TREND CRITICAL - /var: 95% used, full in 2h — Größe ≥ 1 GiB ✓"
	VALUE=17105133568B SLOPE=-1.5e+06B/h LEFT=7200 AT=1700000000 SINCE=1699990000
	PERF="'/var'=95%;85;90;0;100 '/var slope_per_hour'=1.5e+06B"
}
# send_notice CONFIG CHANNEL: sends the notice described by the variables
send_notice() {
	send "$1" "$2" --kind "$KIND" --id "$ID" --host "$H" --service "$S" --state "$ST" \
		--previous "$PREV" --output "$OUTPUT" --value "$VALUE" --slope "$SLOPE" \
		--time-left "$LEFT" --at "$AT" --since "$SINCE" --perfdata "$PERF"
}
# check_notice K ROOT DESC: every varbind of the K-th notification against the
# variables above, and its PDU line against PDU (a regex)
check_notice() {
	t=$(trapd_trap "$1")
	r=$2
	vb() { printf '%s\n' "$t" | awk -F'\t' -v oid="$1" '$1 == oid { print $2 " " $3 }'; }
	like "$(printf '%s\n' "$t" | awk -F'\t' '$1 == "pdu" { print $2 }')" "$PDU" \
		"$3: the PDU type, version and credentials"
	is "$(printf '%s\n' "$t" | awk -F'\t' '$1 != "pdu" { printf "%s ", $1 }')" \
		"$UPTIME $TRAPOID $r.1.1.0 $r.1.2.0 $r.1.3.0 $r.1.4.0 $r.1.5.0 $r.1.6.0 $r.1.7.0 $r.1.8.0 $r.1.9.0 $r.1.10.0 $r.1.11.0 $r.1.12.0 " \
		"$3: sysUpTime.0, snmpTrapOID.0, then the 12 objects in MIB order"
	like "$(vb $UPTIME)" '^Timeticks [0-9]+$' "$3: sysUpTime.0 is TimeTicks"
	is "$(vb $TRAPOID)" "OID $r.0.$NOTIF" "$3: snmpTrapOID.0 is $r.0.$NOTIF ($KIND)"
	is "$(vb "$r.1.1.0")" "Hex-STRING $(hex "$H")" "$3: trendtrapHost"
	is "$(vb "$r.1.2.0")" "Hex-STRING $(hex "$S")" "$3: trendtrapService"
	is "$(vb "$r.1.3.0")" "INTEGER $STN" "$3: trendtrapState ($ST)"
	is "$(vb "$r.1.4.0")" "INTEGER $PREVN" "$3: trendtrapPreviousState ($PREV)"
	is "$(vb "$r.1.5.0")" "Hex-STRING $(hex "$OUTPUT")" "$3: trendtrapOutput, UTF-8 bytes exact"
	is "$(vb "$r.1.6.0")" "Hex-STRING $(hex "$VALUE")" "$3: trendtrapValue"
	is "$(vb "$r.1.7.0")" "Hex-STRING $(hex "$SLOPE")" "$3: trendtrapSlope"
	is "$(vb "$r.1.8.0")" "INTEGER $LEFT" "$3: trendtrapTimeLeft"
	is "$(vb "$r.1.9.0")" "Counter64 $ID" "$3: trendtrapEventId (Counter64)"
	is "$(vb "$r.1.10.0")" "Hex-STRING $(dat "$AT")" "$3: trendtrapEventTime (DateAndTime, UTC)"
	is "$(vb "$r.1.11.0")" "Hex-STRING $(dat "$SINCE")" "$3: trendtrapSinceTime"
	is "$(vb "$r.1.12.0")" "Hex-STRING $(hex "$PERF")" "$3: trendtrapPerfdata"
}

# ---- v2c -------------------------------------------------------------------
notice_defaults
send_notice "$CONF" v2trap
is "$OUT" "delivered $ID" "v2c trap: delivered once sent"
is "$RC" 0 "v2c trap: exit 0"
received "v2c trap"
PDU='^TRAP2, SNMP v2c, community trapcomm$'
check_notice $K $ROOT "v2c trap"

notice_defaults
KIND=recovery NOTIF=2 ID=7 ST=OK STN=0 PREV=CRITICAL PREVN=2 VALUE="" SLOPE="" LEFT=-1
# The longest output and perfdata (1023 bytes, multi-byte characters up to the end)
OUTPUT=$(awk 'BEGIN { for (i = 0; i < 511; i++) printf "é"; printf "x" }')
PERF=$(awk 'BEGIN { for (i = 0; i < 341; i++) printf "€" }')
send_notice "$CONF" v2inform
is "$OUT" "delivered 7" "v2c inform: delivered when acknowledged"
is "$RC" 0 "v2c inform: exit 0"
received "v2c inform"
PDU='^INFORM, SNMP v2c, community trapcomm$'
is "$(printf '%s' "$OUTPUT" | wc -c | tr -d ' ')" 1023 "the test output is 1023 bytes"
check_notice $K $ROOT "v2c inform (recovery, longest texts, unknowns)"

# ---- v3 ----------------------------------------------------------------------
notice_defaults
KIND=flap-start NOTIF=4 ID=12
send_notice "$CONF" v3trap
is "$OUT" "delivered 12" "v3 trap SHA/AES: delivered once sent"
like "$ERR" "engineBoots 1$" "v3 trap: the first open is engineBoots 1"
received "v3 trap SHA/AES"
PDU='^TRAP2, SNMP v3, user trapuser'
check_notice $K $ROOT "v3 trap SHA/AES"

notice_defaults
KIND=stale NOTIF=6 ID=13 ST=UNKNOWN STN=3 PREV=OK PREVN=0
send_notice "$CONF" v3inform
is "$OUT" "delivered 13" "v3 inform SHA/AES: delivered when acknowledged"
received "v3 inform SHA/AES"
PDU='^INFORM, SNMP v3, user trapuser'
check_notice $K $ROOT "v3 inform SHA/AES"

notice_defaults
KIND=test NOTIF=8 ID=14
send_notice "$CONF" v3bigtrap
is "$OUT" "delivered 14" "v3 trap SHA-512/AES-256: delivered once sent"
received "v3 trap SHA-512/AES-256"
PDU='^TRAP2, SNMP v3, user biguser'
check_notice $K $ROOT "v3 trap SHA-512/AES-256"

notice_defaults
KIND=renotify NOTIF=3 ID=15
send_notice "$CONF" v3biginform
is "$OUT" "delivered 15" "v3 inform SHA-512/AES-256: delivered when acknowledged"
received "v3 inform SHA-512/AES-256"
PDU='^INFORM, SNMP v3, user biguser'
check_notice $K $ROOT "v3 inform SHA-512/AES-256"

# ---- another enterprise root -------------------------------------------------
notice_defaults
ID=16
send_notice "$CONF2" v2trap
is "$OUT" "delivered 16" "enterprise_oid $OTHER_ROOT: delivered"
received "enterprise_oid $OTHER_ROOT"
PDU='^TRAP2, SNMP v2c'
check_notice $K $OTHER_ROOT "enterprise_oid $OTHER_ROOT"
is "$(trapd_trap $K | grep -c "$ROOT")" 0 "enterprise_oid $OTHER_ROOT: no OID under the default root"

# ---- every kind's notification ---------------------------------------------------
n=0
for kind in problem recovery renotify flap-start flap-stop stale stale-end test; do
	n=$((n + 1))
	send "$CONF" v2trap --kind $kind --id $((100 + n))
	received "kind $kind"
	is "$(trapd_vb $K $TRAPOID)" "OID $ROOT.0.$n" "kind $kind: snmpTrapOID.0 is $ROOT.0.$n"
	is "$(trapd_vb $K $ROOT.1.9.0)" "Counter64 $((100 + n))" "kind $kind: its event id"
done

# ---- several notices, several sinks ----------------------------------------------
send "$CONF" v2inform --count 3 --id 20
is "$(printf '%s\n' "$OUT" | sort)" "$(printf 'delivered 20\ndelivered 21\ndelivered 22')" \
	"--count 3 informs: three outcomes, one per id"
is "$RC" 0 "--count 3 informs: exit 0"
NTRAPS=$((NTRAPS + 2))
received "--count 3 informs"
ids=$(for k in $((K - 2)) $((K - 1)) $K; do trapd_vb $k $ROOT.1.9.0; done | sort | tr '\n' ' ')
is "$ids" "Counter64 20 Counter64 21 Counter64 22 " "--count 3 informs: ids 20, 21, 22 arrived"

send "$CONF" both --id 30
is "$(printf '%s\n' "$OUT" | sort | tr '\n' ' ')" "delivered 30/0 delivered 30/1 " \
	"two sinks: one outcome per destination"
NTRAPS=$((NTRAPS + 1))
received "two sinks"
is "$(trapd_vb $((K - 1)) $ROOT.1.9.0)$(trapd_vb $K $ROOT.1.9.0)" "Counter64 30Counter64 30" \
	"two sinks: the notice arrived twice"

# ---- failures ----------------------------------------------------------------------
send "$CONF" v2down --id 40
is "$OUT" "retry 40 after=0: no acknowledgement from udp:$DOWN after 2 attempts of 2000 ms" \
	"v2c inform to a receiver that is down: RETRY, and why"
is "$RC" 1 "v2c inform to a receiver that is down: exit 1"

# Closing the channel abandons informs in flight: no outcome for them.
send "$CONF" v2down --id 60 --timeout 1
is "$OUT" "" "close() with an inform in flight: no done call for it"
like "$ERR" "1 outcome\(s\) missing after 1 s" "sendnotice gave up waiting and closed the channel"
is "$RC" 1 "sendnotice: exit 1 when outcomes are missing"

send "$CONF" v3down --id 41 --count 2
is "$OUT" "$(printf 'retry 41 after=0: no engineID discovered at udp:%s within 2000 ms: Timeout\nretry 42 after=0: no engineID discovered at udp:%s within 2000 ms: Timeout' "$DOWN" "$DOWN")" \
	"v3 inform to a receiver that is down: RETRY (engineID discovery failed)"
is "$RC" 1 "v3 inform to a receiver that is down: exit 1"

send "$CONF" v3badpass --id 43
like "$OUT" "^retry 43 after=0: udp:$TRAPD_ADDR refused it: Authentication failure" \
	"v3 inform with a wrong passphrase: RETRY with the receiver's report"

# A trap with the wrong community leaves without error and is dropped by the
# receiver: the next good trap is the only one that arrives.
send "$CONF" wrongcomm --id 44
is "$OUT" "delivered 44" "v2c trap, wrong community: the sender cannot tell"
send "$CONF" v2trap --id 45
received "the good trap after it"
sleep 0.3
is "$(trapd_count)" "$NTRAPS" "v2c trap, wrong community: NOT received"
is "$(trapd_vb $K $ROOT.1.9.0)" "Counter64 45" "only the good trap arrived"
is "$(trapd_records | grep -c 'Counter64: 4[0-4]	')" 0 "none of the failed notices arrived"

# ---- engineBoots of v3 traps ----------------------------------------------------------
BOOTS=$T/state/channel-v3trap.boots
is "$(cat "$BOOTS")" 1 "engineBoots file after the first v3 trap run: 1"
is "$(stat -c %a "$BOOTS")" 600 "engineBoots file: mode 0600"
send "$CONF" v3trap --id 50
is "$OUT" "delivered 50" "v3 trap, second run: delivered"
like "$ERR" "engineBoots 2$" "v3 trap, second run: engineBoots 2"
is "$(cat "$BOOTS")" 2 "engineBoots file after the second run: 2"
received "v3 trap with engineBoots 2"
is "$(trapd_vb $K $ROOT.1.9.0)" "Counter64 50" "v3 trap with engineBoots 2: accepted by snmptrapd"
printf 'garbage\n' >"$BOOTS"
send "$CONF" v3trap --id 51
is "$RC" 2 "a corrupt engineBoots file: the channel does not open"
like "$ERR" "channel-v3trap.boots: not an engineBoots count" "and says which file and why"
is "$(cat "$BOOTS")" garbage "the corrupt file is left for the operator"

done_testing
