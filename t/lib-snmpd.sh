# t/lib-snmpd.sh - a real net-snmp agent on udp 127.0.0.1:11161 for a test
# (sourced after t/lib.sh). Config, persistent state and log live in $T; the
# agent is stopped at exit. Communities: testcomm (everything), hronly
# (HOST-RESOURCES-MIB only), ucdonly (UCD-SNMP-MIB only); v3 users tuser
# (SHA/AES, tuserauthpass/tuserprivpass) and tbig (SHA-512/AES-256,
# tbigauthpass/tbigprivpass).

SNMPD=$(command -v snmpd || echo /usr/sbin/snmpd)
if [ ! -x "$SNMPD" ]; then
	echo "Bail out! snmpd is not installed (Debian package snmpd: scripts/install-deps)"
	exit 1
fi
PROBE=$TOP/t/helpers/snmpprobe
HOST=127.0.0.1:11161
SILENT=127.0.0.1:11169 # nothing listens here
export TRENDTRAP_SNMP_MODULE=$TOP/lib/trendtrap-snmp.so
unset TRENDTRAP_SNMP_COMMUNITY TRENDTRAP_SNMP_AUTHPASS TRENDTRAP_SNMP_PRIVPASS

# ---- the agent ---------------------------------------------------------
mkdir -p "$T/snmp/persist"
cat >"$T/snmp/snmpd.conf" <<EOF
[snmp]
persistentDir $T/snmp/persist
mibs :
[snmpd]
agentAddress udp:$HOST
rocommunity testcomm 127.0.0.1
rocommunity hronly 127.0.0.1 .1.3.6.1.2.1.25
rocommunity ucdonly 127.0.0.1 .1.3.6.1.4.1.2021
disk / 10%
includeAllDisks 5%
createUser tuser SHA tuserauthpass AES tuserprivpass
createUser tbig SHA-512 tbigauthpass AES-256 tbigprivpass
rouser tuser priv
rouser tbig priv
EOF
SNMPCONFPATH=$T/snmp SNMP_PERSISTENT_DIR=$T/snmp/persist \
	"$SNMPD" -f -C -c "$T/snmp/snmpd.conf" -Lf "$T/snmpd.log" &
snmpd_pid=$!
at_exit "kill $snmpd_pid 2>/dev/null; wait $snmpd_pid 2>/dev/null"
up=no
for i in $(seq 1 50); do
	if "$PROBE" -H "$HOST" -C testcomm --retries 0 -t 1 mem >/dev/null 2>&1; then
		up=yes
		break
	fi
	sleep 0.1
done
if [ "$up" != yes ]; then
	echo "Bail out! snmpd did not answer on $HOST"
	cat "$T/snmpd.log" >&2
	exit 1
fi

