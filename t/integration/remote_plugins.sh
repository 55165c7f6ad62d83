#!/bin/sh
# check_mem_trend -H and check_disk_trend -H against a real snmpd on
# 127.0.0.1:11161: the values agree with this machine's own, histories are
# keyed by host, secrets come from files or the environment, and every agent
# failure gives its exit code within -t.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-snmpd.sh"

MEM=$TOP/plugins/check_mem_trend
DISK=$TOP/plugins/check_disk_trend
CLI=$TOP/trapd/trendtrap
S=$T/state
OUT=""
RC=0
run() { # PLUGIN ARGS...: sets OUT and RC
	p=$1
	shift
	OUT=$("$p" --state-dir "$S" "$@" 2>&1)
	RC=$?
}
perf() { printf '%s\n' "$OUT" | head -n 1 | grep -o "'$1'=[^ ]*"; }
field() { # ITEM N: field N (1 = value) of perfdata item ITEM, without unit
	perf "$1" | sed "s/^'[^']*'=//" | cut -d';' -f"$2" | sed 's/[A-Za-z]*$//'
}
near() { # GOT WANT PCT [MIN]: |GOT - WANT| <= max(WANT * PCT%, MIN)
	awk -v g="$1" -v w="$2" -v p="$3" -v m="${4:-0}" \
		'BEGIN { d = g - w; if (d < 0) d = -d; t = w * p / 100; if (t < m) t = m; exit !(g != "" && d <= t) }'
}

# ---- memory ------------------------------------------------------------------
run "$MEM" -H "$HOST" -C testcomm
is "$RC" 0 "check_mem_trend -H: OK on the first run"
like "$OUT" "^MEM_TREND OK - available .* collecting history \\(1 of 6 samples\\)" "it reads the agent and starts a history"
total=$(($(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo) * 1024))
is "$(field available 5)" "$total" "the agent's memTotalReal is this machine's MemTotal"
avail=$(($(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo) * 1024))
ok "near $(field available 1) $avail 5" "the agent's available memory agrees with MemAvailable within 5%"
ok "'$CLI' --state-dir '$S' series list | grep -q '^mem/$HOST[[:space:]]'" "the remote history is keyed mem/HOST:PORT"
run "$MEM" --procfs /proc
ok "'$CLI' --state-dir '$S' series list | grep -q '^mem/localhost[[:space:]]'" "a local run keeps its own history"
run "$MEM" -H "$HOST" -C testcomm -v --mib host
is "$RC" 0 "--mib host reads hrStorageTable"
like "$OUT" "source: SNMP $HOST, HOST-RESOURCES-MIB" "-v names the source"
run "$MEM" -H "$HOST" -C testcomm --procfs /proc
is "$RC" 3 "--procfs with -H is refused"

# secrets: environment and files, never needed on the command line
OUT=$(TRENDTRAP_SNMP_COMMUNITY=testcomm "$MEM" --state-dir "$S" -H "$HOST" 2>&1)
is "$?" 0 "the community from TRENDTRAP_SNMP_COMMUNITY"
printf 'testcomm\n' >"$T/community"
chmod 600 "$T/community"
run "$MEM" -H "$HOST" --community-file "$T/community"
is "$RC" 0 "the community from --community-file"
chmod 644 "$T/community"
run "$MEM" -H "$HOST" --community-file "$T/community"
is "$RC" 3 "a community file others can read is refused"
like "$OUT" "readable by others" "and says why"
OUT=$(TRENDTRAP_SNMP_AUTHPASS=tuserauthpass TRENDTRAP_SNMP_PRIVPASS=tuserprivpass \
	"$MEM" --state-dir "$S" -H "$HOST" -P 3 -U tuser -L authPriv -a SHA -x AES 2>&1)
is "$?" 0 "SNMPv3 authPriv with passphrases from the environment"

# failures: exit codes within the time bound
start=$(date +%s)
run "$MEM" -H "$HOST" -C wrongcomm -t 3
end=$(date +%s)
is "$RC" 3 "a wrong community (no response) is UNKNOWN"
like "$OUT" "^MEM_TREND UNKNOWN - no response from $HOST after 3 tries" "and says host, port and tries"
ok "[ $((end - start)) -le 4 ]" "within -t 3 ($((end - start))s)"
run "$MEM" -H "$HOST" -C wrongcomm -t 2 --timeout-state critical
is "$RC" 2 "--timeout-state applies to an agent that does not answer"
OUT=$(TRENDTRAP_SNMP_AUTHPASS=wrongpassphrase TRENDTRAP_SNMP_PRIVPASS=tuserprivpass \
	"$MEM" --state-dir "$S" -H "$HOST" -P 3 -U tuser -L authPriv -t 3 2>&1)
is "$?" 3 "a wrong v3 passphrase is UNKNOWN"
like "$OUT" "authentication failure" "and says so"

# ---- disks -------------------------------------------------------------------
run "$DISK" -H "$HOST" -C testcomm -p /
is "$RC" 0 "check_disk_trend -H -p /: OK on the first run"
cap=$(df -P -B1 / | awk 'NR == 2 { print $3 + $4 }')
ok "near $(field / 5) $cap 1" "the capacity of / agrees with df within 1%"
used=$(df -P -B1 / | awk 'NR == 2 { print $3 }')
# (other processes write to / meanwhile, and the agent caches what it read)
ok "near $(field / 1) $used 1 536870912" "the used bytes of / agree with df within 1% (or 512 MiB)"
ok "'$CLI' --state-dir '$S' series list | grep -q '^disk/$HOST/[[:space:]]'" "the remote history is keyed disk/HOST:PORT/"
run "$DISK" -H "$HOST" -C testcomm -p /no/such/mount
is "$RC" 3 "a mount the agent does not have is UNKNOWN"
like "$OUT" "the agent has: .*/" "and lists what the agent has"
run "$DISK" -H "$HOST" -C testcomm -X ext4
is "$RC" 3 "-X with -H is refused (types are not known over SNMP)"
run "$DISK" -H "$HOST" -C testcomm --inodes
is "$RC" 3 "--inodes with -H is refused"
run "$DISK" -H "$HOST" -C testcomm -p / --mib host -v
is "$RC" 0 "--mib host reads hrStorageTable"
like "$OUT" "source: SNMP $HOST, HOST-RESOURCES-MIB hrStorageTable" "-v names the source"

# a remote trend: six runs five minutes apart
NOW=1800000000
for i in 1 2 3 4 5 6; do
	OUT=$(TRENDTRAP_NOW=$NOW "$DISK" --state-dir "$T/trend" -H "$HOST" -C testcomm -p / 2>&1)
	RC=$?
	NOW=$((NOW + 300))
done
is "$RC" 0 "six remote runs: OK"
ok "! printf '%s' \"\$OUT\" | grep -q collecting" "and a trend is estimated from the agent's values"

done_testing
