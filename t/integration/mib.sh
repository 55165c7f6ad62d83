#!/bin/sh
# etc/mibs/TRENDTRAP-MIB.txt: smilint at level 6 finds nothing to say, and
# every notification and object the snmp channel sends (sendnotice
# --print-oids, the table in trapd/notify_snmp.c) has the OID that
# snmptranslate reads from the MIB, and the MIB defines no other.  Needs
# smitools, snmp, and the standard SMIv2 modules from scripts/install-deps
# (in $TRENDTRAP_STD_MIBS, default /usr/local/share/trendtrap/std-mibs).
. "$(dirname "$0")/../lib.sh"

MIB=$TOP/etc/mibs/TRENDTRAP-MIB.txt
SEND=${SENDNOTICE:-$TOP/t/helpers/sendnotice} # override: e.g. an ASan build
STD=${TRENDTRAP_STD_MIBS:-/usr/local/share/trendtrap/std-mibs}
NETSNMP_MIBS=/usr/share/snmp/mibs # NET-SNMP-MIB (netSnmpExperimental), Debian's libsnmp-base
for tool in smilint snmptranslate; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "Bail out! $tool is not installed (smitools, snmp: scripts/install-deps)"
		exit 1
	fi
done
for m in "$STD/SNMPv2-SMI" "$STD/SNMPv2-TC" "$STD/SNMPv2-CONF" "$NETSNMP_MIBS/NET-SNMP-MIB.txt"; do
	if [ ! -f "$m" ]; then
		echo "Bail out! $m is missing (the standard MIB modules: scripts/install-deps)"
		exit 1
	fi
done
if [ ! -x "$SEND" ]; then
	echo "Bail out! $SEND is not built (make tests)"
	exit 1
fi

# smilint exits 0 even when it reports errors: any output is a failure.
lint() { SMIPATH=$STD:$NETSNMP_MIBS smilint -s -l 6 "$1" 2>&1; }
is "$(lint "$MIB")" "" "smilint -s -l 6 TRENDTRAP-MIB: no errors, no warnings"

# ... and the check can fail: a copy with a broken group is reported.
sed 's/trendtrapEventTime, trendtrapSinceTime, trendtrapPerfdata$/trendtrapEventTime, trendtrapSinceTime/' \
	"$MIB" >"$T/TRENDTRAP-MIB.txt"
like "$(lint "$T/TRENDTRAP-MIB.txt")" "trendtrapPerfdata" \
	"smilint reports an object left out of its groups (the lint can fail)"

# snmptranslate NAME: its numeric OID, from the MIB alone
translate() {
	SNMPCONFPATH=$T/none MIBS= snmptranslate -M "+$STD:$TOP/etc/mibs" -m TRENDTRAP-MIB -On \
		"TRENDTRAP-MIB::$1" 2>&1
}

"$SEND" --print-oids >"$T/oids"
is "$?" 0 "sendnotice --print-oids: exit 0"
is "$(wc -l <"$T/oids" | tr -d ' ')" 20 "the channel sends 8 notifications and 12 objects"
while read -r name oid; do
	is "$(translate "$name")" "$oid" "$name is $oid in the MIB"
done <"$T/oids"

# Every notification and object defined in the MIB is one the channel sends.
awk '$2 == "NOTIFICATION-TYPE" || $2 == "OBJECT-TYPE" { print $1 }' "$MIB" | sort >"$T/defined"
awk '{ print $1 }' "$T/oids" | sort >"$T/sent"
is "$(cat "$T/defined" | tr '\n' ' ')" "$(cat "$T/sent" | tr '\n' ' ')" \
	"the MIB defines exactly the notifications and objects the channel sends"

# Another enterprise root: the same sub-identifiers under it.
OTHER=.1.3.6.1.4.1.99999.42
"$SEND" --print-oids "$OTHER" >"$T/oids2"
is "$(sed "s/ \.1\.3\.6\.1\.4\.1\.8072\.9999\.1\./ $OTHER./" "$T/oids")" "$(cat "$T/oids2")" \
	"--print-oids $OTHER: the same sub-identifiers under that root"
"$SEND" --print-oids 1.3.x >/dev/null 2>"$T/err"
is "$?" 2 "--print-oids with a root that is not numeric: exit 2"
like "$(cat "$T/err")" "not a numeric OID" "and says so"

done_testing
