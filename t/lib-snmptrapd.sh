# t/lib-snmptrapd.sh - a real snmptrapd (net-snmp's notification receiver)
# on udp 127.0.0.1:$TRAPD_PORT (default 11162) for a test (sourced after
# t/lib.sh). Config, persistent state and log live in $T/trapd; it is stopped
# by its PID at exit. It logs every notification it accepts, strings in hex
# (-Ox), so a test can check the exact bytes that arrived.
#
# Accounts:
#   v2c community   trapcomm
#   v3 trapuser     SHA / AES, trapauthpass / trapprivpass: informs, and traps
#                   from engineID $TRAPD_ENGINE_SHA (0x8000000001020304)
#   v3 biguser      SHA-512 / AES-256, bigauthpass / bigprivpass: informs, and
#                   traps from engineID $TRAPD_ENGINE_BIG (0x8000000001020305)
# A trap from any other community, user or engineID is dropped silently.
#
#   trapd_count             how many notifications were logged so far
#   trapd_wait N [SECS]     wait until N were logged (default 10 s); 1 if not
#   trapd_trap K            the K-th notification (1-based), one line per
#                           field, tab-separated:
#                             pdu   TEXT             "TRAP2, SNMP v2c, community x"
#                             OID   TYPE   VALUE     one line per varbind
#                           TYPE is net-snmp's (OID, Timeticks, INTEGER,
#                           Counter64, Hex-STRING); an OCTET STRING is
#                           Hex-STRING with its bytes as one uppercase hex
#                           word ("" when empty); Timeticks is the number only
#   trapd_vb K OID          "TYPE VALUE" of OID in the K-th notification
#   hex TEXT                TEXT's bytes as one uppercase hex word

TRAPD=$(command -v snmptrapd || echo /usr/sbin/snmptrapd)
if [ ! -x "$TRAPD" ]; then
	echo "Bail out! snmptrapd is not installed (Debian package snmptrapd: scripts/install-deps)"
	exit 1
fi
TRAPD_PORT=${TRAPD_PORT:-11162}
TRAPD_ADDR=127.0.0.1:$TRAPD_PORT
TRAPD_ENGINE_SHA=0x8000000001020304
TRAPD_ENGINE_BIG=0x8000000001020305
TRAPD_LOG=$T/trapd/traps.log

mkdir -p "$T/trapd/persist"
# snmptrapd starts its log afresh; remove it first, so that the readiness
# check below never sees the line of an earlier run (sourcing this file
# again restarts snmptrapd: keep the old log elsewhere first if needed).
rm -f "$TRAPD_LOG"
cat >"$T/trapd/snmptrapd.conf" <<EOF
[snmp]
persistentDir $T/trapd/persist
mibs :
[snmptrapd]
snmpTrapdAddr udp:$TRAPD_ADDR
engineID trapd01
authCommunity log trapcomm
createUser -e $TRAPD_ENGINE_SHA trapuser SHA trapauthpass AES trapprivpass
createUser trapuser SHA trapauthpass AES trapprivpass
createUser -e $TRAPD_ENGINE_BIG biguser SHA-512 bigauthpass AES-256 bigprivpass
createUser biguser SHA-512 bigauthpass AES-256 bigprivpass
authUser log trapuser priv
authUser log biguser priv
EOF
# One record per notification: "TRAP|" security info "|" varbinds separated
# by tabs "|END".  Long hex strings wrap over several lines; the parser
# below joins them.
MIBS= SNMP_PERSISTENT_DIR=$T/trapd/persist "$TRAPD" -f -C -c "$T/trapd/snmptrapd.conf" -n \
	-Lf "$TRAPD_LOG" -On -Ox -F 'TRAP|%P|%V\t%v|END\n' &
trapd_pid=$!
at_exit "kill $trapd_pid 2>/dev/null; wait $trapd_pid 2>/dev/null"
up=no
for i in $(seq 1 50); do
	if ! kill -0 "$trapd_pid" 2>/dev/null; then
		break
	fi
	if grep -q '^NET-SNMP version' "$TRAPD_LOG" 2>/dev/null; then
		up=yes
		break
	fi
	sleep 0.1
done
if [ "$up" != yes ]; then
	echo "Bail out! snmptrapd did not start on $TRAPD_ADDR"
	cat "$TRAPD_LOG" >&2 2>/dev/null
	exit 1
fi

# The records, one per line, with wrapped lines joined.
trapd_records() {
	awk '
		/^TRAP\|/ { rec = $0; on = 1 }
		!/^TRAP\|/ && on { rec = rec $0 }
		on && /\|END$/ { print substr(rec, 1, length(rec) - 4); on = 0 }
	' "$TRAPD_LOG"
}

trapd_count() {
	trapd_records | wc -l | tr -d ' '
}

trapd_wait() { # N [SECS]
	_trapd_tick=0
	while [ "$_trapd_tick" -lt "$((${2:-10} * 10))" ]; do
		[ "$(trapd_count)" -ge "$1" ] && return 0
		sleep 0.1
		_trapd_tick=$((_trapd_tick + 1))
	done
	return 1
}

trapd_trap() { # K
	trapd_records | awk -v k="$1" '
		NR != k { next }
		{
			n = split($0, f, "\t")
			sub(/^TRAP\|/, "", f[1])
			split(f[1], head, "|")
			printf "pdu\t%s\n", head[1]
			vb[1] = substr(f[1], length(head[1]) + 2)
			for (i = 2; i <= n; i++)
				vb[i] = f[i]
			for (i = 1; i <= n; i++) {
				eq = index(vb[i], " = ")
				if (eq == 0)
					continue
				oid = substr(vb[i], 1, eq - 1)
				rest = substr(vb[i], eq + 3)
				if (rest == "\"\"") {
					printf "%s\tHex-STRING\t\n", oid
					continue
				}
				colon = index(rest, ": ")
				type = substr(rest, 1, colon - 1)
				val = substr(rest, colon + 2)
				if (type == "Hex-STRING")
					gsub(/ /, "", val)
				else if (type == "Timeticks")
					val = substr(val, 2, index(val, ")") - 2)
				printf "%s\t%s\t%s\n", oid, type, val
			}
		}'
}

trapd_vb() { # K OID
	trapd_trap "$1" | awk -F'\t' -v oid="$2" '$1 == oid { print $2 " " $3 }'
}

hex() {
	printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F
}
