#!/bin/sh
# The SNMP layers against a real net-snmp agent on udp 127.0.0.1:11161:
# memory and disks over v1, v2c and v3, from UCD-SNMP-MIB and
# HOST-RESOURCES-MIB, compared with what this machine says itself; the
# hrStorage index cache; every error an operator can meet, each bounded by -t.
# Driven through t/helpers/snmpprobe (remote options -> agent -> remote).
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/../lib-snmpd.sh"

# ---- helpers -------------------------------------------------------------
OUT=""
RC=0
ERR=""
# probe ARGS...: one run; sets OUT (stdout), ERR (stderr) and RC
probe() {
	OUT=$("$PROBE" "$@" 2>"$T/stderr")
	RC=$?
	ERR=$(cat "$T/stderr")
}
val() { printf '%s\n' "$OUT" | awk -F= -v k="$1" '$1 == k { print substr($0, length(k) + 2) }'; }
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
# near GOT WANT PCT MIN: |GOT - WANT| <= max(WANT * PCT%, MIN)
near() {
	awk -v g="$1" -v w="$2" -v p="$3" -v m="$4" \
		'BEGIN { d = g - w; if (d < 0) d = -d; t = w * p / 100; if (t < m) t = m; exit !(g != "" && d <= t) }'
}
MiB=1048576
TOTAL=$(($(meminfo MemTotal) * 1024))

# ---- memory ----------------------------------------------------------------
probe -H "$HOST" -C testcomm mem
is "$RC" 0 "v2c memory: read"
is "$(val source)" ucd "v2c memory: AUTO picks UCD-SNMP-MIB on net-snmp"
is "$(val total)" "$TOTAL" "v2c memory: total is MemTotal exactly"
ok "near '$(val available)' $(($(meminfo MemAvailable) * 1024)) 5 $((64 * MiB))" \
	"v2c memory: available is MemAvailable (memSysAvail), within 5% ($(val available))"
is "$(val requests)" 1 "v2c memory: one GET"
is "$ERR" "" "v2c memory: nothing on stderr"

probe -H "$HOST" -C testcomm --mib host mem
is "$RC" 0 "--mib host memory: read"
is "$(val source)" host "--mib host memory: from HOST-RESOURCES-MIB"
is "$(val total)" "$TOTAL" "--mib host memory: total is MemTotal exactly"
ok "near '$(val available)' $(($(meminfo MemAvailable) * 1024)) 5 $((64 * MiB))" \
	"--mib host memory: available within 5% of MemAvailable ($(val available))"
is "$(val requests)" 1 "--mib host memory: the table in one GETBULK"

probe -H "$HOST" -P 1 -C testcomm mem
is "$RC" 0 "v1 memory: read"
is "$(val total)" "$TOTAL" "v1 memory: total is MemTotal exactly"
like "$(val note)" "memSysAvail absent: available = MemFree \\+ cached \\+ buffers" \
	"v1 memory: no Counter64 in v1, so MemFree + cached + buffers, and the note says so"
free_min=$(($(meminfo MemFree) * 1024 * 9 / 10))
ok "[ $(val available) -ge $free_min ] && [ $(val available) -le $TOTAL ]" \
	"v1 memory: the estimate lies between MemFree and MemTotal"
is "$(val requests)" 2 "v1 memory: the noSuchName for memSysAvail costs one more GET"

probe -H "$HOST" -P 3 -U tuser -L authPriv -a SHA -A tuserauthpass -x AES -X tuserprivpass mem
is "$RC" 0 "v3 SHA/AES memory: read"
is "$(val total)" "$TOTAL" "v3 SHA/AES memory: total is MemTotal exactly"
ok "near '$(val available)' $(($(meminfo MemAvailable) * 1024)) 5 $((64 * MiB))" \
	"v3 SHA/AES memory: available within 5% of MemAvailable"
is "$ERR" "" "v3 memory: nothing on stderr"

probe -H "$HOST" -P 3 -U tbig -a SHA-512 -A tbigauthpass -x AES-256 -X tbigprivpass mem
is "$RC" 0 "v3 SHA-512/AES-256 memory: read (security level inferred: authPriv)"
is "$(val total)" "$TOTAL" "v3 SHA-512/AES-256 memory: total is MemTotal exactly"

probe -H "$HOST" -C hronly mem
is "$RC" 0 "AUTO memory without UCD-SNMP-MIB in view: read"
is "$(val source)" host "AUTO falls back to HOST-RESOURCES-MIB"
like "$(val note)" "no UCD-SNMP-MIB memory" "and says so"
is "$(val total)" "$TOTAL" "the fallback's total is MemTotal exactly"

probe -H "$HOST" -C hronly --mib ucd mem
is "$RC" 3 "--mib ucd where the agent has no UCD memory: UNKNOWN"
like "$OUT" "the agent at $HOST has no UCD-SNMP-MIB memTotalReal \\(\\.1\\.3\\.6\\.1\\.4\\.1\\.2021\\.4\\.5\\.0\\): use --mib host" \
	"names the object, its OID and the MIB, and what to do"
probe -H "$HOST" -C ucdonly --mib host mem
is "$RC" 3 "--mib host where the agent shows no hrStorageTable: UNKNOWN"
like "$OUT" "has no hrStorageRam row in HOST-RESOURCES-MIB hrStorageTable \\(\\.1\\.3\\.6\\.1\\.2\\.1\\.25\\.2\\.3\\.1\\)" \
	"names the table, its OID and the MIB"

# ---- disks -------------------------------------------------------------------
set -- $(stat -f -c '%S %b %f %a' /)
FR=$1
USED=$(awk -v f="$1" -v b="$2" -v r="$3" 'BEGIN { printf "%.0f", (b - r) * f }')
CAP=$(awk -v f="$1" -v b="$2" -v r="$3" -v a="$4" 'BEGIN { printf "%.0f", (b - r + a) * f }')
SIZE=$(awk -v f="$1" -v b="$2" 'BEGIN { printf "%.0f", b * f }')

probe -H "$HOST" -C testcomm --mib ucd disks /
is "$RC" 0 "UCD disk /: read"
ok "near '$(val /.used)' $USED 1 $MiB" "UCD disk /: used agrees with statvfs within 1% ($(val /.used) vs $USED)"
ok "near '$(val /.capacity)' $CAP 1 $MiB" "UCD disk /: capacity (used + available) agrees within 1%"
ok "near '$(val /.total)' $SIZE 1 $MiB" "UCD disk /: total agrees within 1%"
is "$(val requests)" 1 "UCD disk /: dskTable's columns side by side in one GETBULK"

probe -H "$HOST" -C testcomm --mib host disks /
is "$RC" 0 "HOST disk /: read"
ok "near '$(val /.used)' $USED 1 $MiB" "HOST disk /: used agrees with statvfs within 1%"
ok "near '$(val /.capacity)' $SIZE 1 $MiB" "HOST disk /: capacity is the size, within 1%"
is "$(val /.descr)" / "HOST disk /: found by its description"

probe -H "$HOST" -C testcomm disks
is "$RC" 0 "all disks: read"
is "$(val /.descr)" / "all disks: / is among them"

probe -H "$HOST" -C testcomm --mib host disks /nonexistent-mount
is "$RC" 3 "a mount the agent does not have: UNKNOWN"
like "$OUT" "no filesystem '/nonexistent-mount' on $HOST; the agent has: /(,|$)" \
	"lists the filesystems the agent has"
probe -H "$HOST" -C hronly --mib ucd disks /
like "$OUT" "the agent at $HOST has no UCD-SNMP-MIB dskTable \\(\\.1\\.3\\.6\\.1\\.4\\.1\\.2021\\.9\\.1\\)" \
	"--mib ucd without dskTable names the table"
probe -H "$HOST" -C ucdonly disks /
is "$(val source)" ucd "AUTO disks with only UCD-SNMP-MIB in view: dskTable"

# ---- the index cache -----------------------------------------------------------
S=$T/state
mkdir -p "$S"
CACHE=$S/hrstorage-127.0.0.1-11161.cache
probe -H "$HOST" -C testcomm --mib host --state-dir "$S" disks /
is "$(val cache)" miss "first run with a state dir: no cache yet, a walk"
ok "[ -f '$CACHE' ]" "the hrStorage index map is written to the state dir"
is "$(stat -c %a "$CACHE")" 600 "the cache file is mode 0600"
like "$(grep -c '	/$' "$CACHE")" "^1$" "the cache maps / to its index"
cap1=$(val /.capacity)
used1=$(val /.used)
probe -H "$HOST" -C testcomm --mib host --state-dir "$S" disks /
is "$(val cache)" hit "second run: the cache is used"
is "$(val requests)" 1 "second run: one GET for the cached rows"
is "$(val /.capacity)" "$cap1" "the cached run reads the same filesystem (capacity equal)"
ok "near '$(val /.used)' $used1 1 $MiB" "and the same usage"

printf 'not a cache\n\001\002\n' >"$CACHE"
probe -H "$HOST" -C testcomm --mib host --state-dir "$S" disks /
is "$RC" 0 "a corrupt cache does not fail the check"
is "$(val cache)" miss "a corrupt cache is not used"
like "$(val note)" "unreadable: rebuilt" "and the note says it was rebuilt"
is "$(head -n 1 "$CACHE")" "trendtrap index cache 1" "the cache file is rewritten"
is "$(val /.capacity)" "$cap1" "and the reading is right"

idx=$(awk -F'\t' '$2 == "/" { print $1 }' "$CACHE")
other=$(awk -F'\t' '$2 != "/" && NR > 1 { print $1; exit }' "$CACHE")
[ -n "$other" ] || other=999
printf 'trendtrap index cache 1\n%s\t/\n' "$other" >"$CACHE"
probe -H "$HOST" -C testcomm --mib host --state-dir "$S" disks /
is "$(val cache)" stale "a cached index that now names another filesystem is noticed"
is "$(val /.capacity)" "$cap1" "the table is walked again and the reading is right"
is "$(awk -F'\t' '$2 == "/" { print $1 }' "$CACHE")" "$idx" "and the cache is corrected"

probe -H "$HOST" -C testcomm --mib ucd --state-dir "$S" disks /
probe -H "$HOST" -C testcomm --mib ucd --state-dir "$S" disks /
is "$(val cache)" hit "UCD dskTable indexes are cached too"
is "$(val requests)" 1 "one GET with the cached dskTable index"
ok "[ -f '$S/dsktable-127.0.0.1-11161.cache' ]" "in their own cache file"

# ---- errors, each within the time bound -----------------------------------------
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
t0=$(date +%s.%N)
probe -H "$HOST" -C wrongcomm -t 3 mem
t1=$(date +%s.%N)
is "$RC" 3 "a wrong community: UNKNOWN"
like "$OUT" "\\[timeout\\] no response from $HOST after 3 tries \\(0\\.833s each\\): check the host, the port, the community \\(v1/v2c\\), and the agent's access control" \
	"a wrong community reads as no response, with host, port, tries and what to check"
ok "awk 'BEGIN { exit !($(elapsed "$t0" "$t1") < 4) }'" "-t 3 bounds it: $(elapsed "$t0" "$t1")s"
is "$ERR" "" "a timeout prints nothing on stderr"

t0=$(date +%s.%N)
probe -H "$SILENT" -P 3 -U tuser -A tuserauthpass -X tuserprivpass -t 2 --retries 1 mem
t1=$(date +%s.%N)
like "$OUT" "\\[timeout\\] no response from $SILENT after 2 tries \\(0\\.75s each\\): check the host, the port, the user \\(v3\\)" \
	"nothing listening (v3 discovery): no response, 2 tries of 0.75s"
ok "awk 'BEGIN { exit !($(elapsed "$t0" "$t1") < 3) }'" "-t 2 bounds it: $(elapsed "$t0" "$t1")s"

probe -H "$HOST" -P 3 -U tuser -A wrongauthpass -X tuserprivpass mem
is "$RC" 3 "a wrong v3 authentication passphrase: UNKNOWN"
is "$OUT" "SNMPPROBE UNKNOWN - [auth] authentication failure for user 'tuser' at $HOST: wrong passphrase or protocol" \
	"a wrong authentication passphrase is an authentication failure"
probe -H "$HOST" -P 3 -U tuser -a SHA-256 -A tuserauthpass -X tuserprivpass mem
like "$OUT" "\\[auth\\] authentication failure for user 'tuser'" "so is a wrong authentication protocol"
probe -H "$HOST" -P 3 -U nobody -A tuserauthpass -X tuserprivpass mem
is "$OUT" "SNMPPROBE UNKNOWN - [unknown-user] the agent at $HOST does not know the user 'nobody'" \
	"an unknown v3 user is named"
probe -H "$HOST" -P 3 -U tuser -A tuserauthpass -X wrongprivpass -t 2 mem
like "$OUT" "\\[auth\\] no response from $HOST .* although it answered SNMPv3 discovery: most likely a wrong privacy passphrase or protocol for user 'tuser'" \
	"a wrong privacy passphrase (dropped by the agent) is recognised"
probe -H "$HOST" -P 3 -U tuser -L authNoPriv -A tuserauthpass mem
like "$OUT" "\\[protocol\\] .*authorizationError.*does not let user 'tuser' at security level authNoPriv read this" \
	"a security level below the user's access is explained"

# ---- options and secrets ----------------------------------------------------------
probe -H "$HOST" -P 3 mem
is "$OUT" "SNMPPROBE UNKNOWN - SNMPv3 (-P 3) needs a user: -U/--secname" "v3 without -U"
probe -H "$HOST" -P 3 -U tuser -L authPriv -A tuserauthpass mem
like "$OUT" "UNKNOWN - -L authPriv needs a privacy passphrase: -X, --privpasswd-file or TRENDTRAP_SNMP_PRIVPASS" \
	"authPriv without a privacy passphrase"
probe -H "$HOST" -P 3 -U tuser -A short mem
like "$OUT" "UNKNOWN - -A/--authpasswd: the passphrase must have at least 8 characters" \
	"a passphrase net-snmp would refuse"
probe -H "$HOST" -P 3 -U tuser -C testcomm mem
like "$OUT" "UNKNOWN - -C/--community is for SNMPv1/v2c" "a community with v3"
probe -H "$HOST" -U tuser mem
like "$OUT" "UNKNOWN - -U/--secname is for SNMPv3 \\(-P 3\\)" "a v3 user with v2c"
probe -H "$HOST" -P 4 mem
like "$OUT" "UNKNOWN - -P/--protocol '4': expected 1, 2c or 3" "a bad protocol version"
probe -H "$HOST" -a SHA-1024 mem
like "$OUT" "UNKNOWN - -a/--authproto 'SHA-1024': expected SHA, SHA-256, SHA-512 or MD5" \
	"a bad authentication protocol"
probe -H "host:99999" mem
like "$OUT" "UNKNOWN - -H/--hostname: bad host 'host:99999'" "a bad port"
probe -C testcomm mem
like "$OUT" "UNKNOWN - -C/--community needs -H/--hostname" "remote options without -H"

printf 'testcomm\n' >"$T/community"
chmod 644 "$T/community"
probe -H "$HOST" --community-file "$T/community" mem
is "$RC" 3 "a secret file others can read: UNKNOWN"
is "$OUT" "SNMPPROBE UNKNOWN - --community-file $T/community is readable by others (mode 644): chmod 600 it" \
	"and it says what to do"
chmod 600 "$T/community"
probe -H "$HOST" --community-file "$T/community" mem
is "$(val total)" "$TOTAL" "a 0600 community file works (first line, newline stripped)"
probe -H "$HOST" -C testcomm --community-file "$T/community" mem
like "$OUT" "UNKNOWN - give -C/--community or --community-file, not both" "option and file conflict"

OUT=$(TRENDTRAP_SNMP_COMMUNITY=testcomm "$PROBE" -H "$HOST" mem 2>&1)
is "$(val total)" "$TOTAL" "the community from TRENDTRAP_SNMP_COMMUNITY"
printf 'tuserprivpass\r\n' >"$T/priv"
chmod 600 "$T/priv"
OUT=$(TRENDTRAP_SNMP_AUTHPASS=tuserauthpass "$PROBE" -H "$HOST" -P 3 -U tuser \
	--privpasswd-file "$T/priv" mem 2>&1)
is "$(val total)" "$TOTAL" "v3 passphrases from TRENDTRAP_SNMP_AUTHPASS and a file (CRLF stripped)"
OUT=$(TRENDTRAP_SNMP_AUTHPASS=tuserauthpass TRENDTRAP_SNMP_PRIVPASS=tuserprivpass \
	"$PROBE" -H "$HOST" -P 3 -U tuser mem 2>&1)
is "$(val total)" "$TOTAL" "v3 passphrases from the environment only"

# ---- the module: found beside the program, silent, off the file system ---------
if [ ! -e /usr/local/lib/trendtrap/trendtrap-snmp.so ]; then
	mkdir -p "$T/tree/bin" "$T/tree/lib"
	cp "$PROBE" "$T/tree/bin/"
	cp "$TRENDTRAP_SNMP_MODULE" "$T/tree/lib/"
	OUT=$(env -u TRENDTRAP_SNMP_MODULE "$T/tree/bin/snmpprobe" -H "$HOST" -P 3 -U tuser \
		-A tuserauthpass -X tuserprivpass mem 2>&1)
	is "$(val total)" "$TOTAL" "without TRENDTRAP_SNMP_MODULE the module (v3) is found in ../lib"
fi
OUT=$(TRENDTRAP_SNMP_MODULE=$T/none.so "$PROBE" -H "$HOST" -P 3 -U tuser -A tuserauthpass \
	-X tuserprivpass mem 2>&1)
like "$OUT" "UNKNOWN - \\[local\\] cannot load the SNMP module: .*none.so.*set TRENDTRAP_SNMP_MODULE" \
	"a missing module (v3) is one clear line"
OUT=$(TRENDTRAP_SNMP_MODULE=$T/none.so "$PROBE" -H "$HOST" -C testcomm mem 2>&1)
is "$(val total)" "$TOTAL" "v2c needs no module: spoken natively"
if command -v strace >/dev/null 2>&1; then
	mkdir -p "$T/home"
	HOME=$T/home strace -f -o "$T/strace" -e trace=openat,mkdir,mkdirat,unlink,rename \
		"$PROBE" -H "$HOST" -P 3 -U tuser -A tuserauthpass -X tuserprivpass mem >/dev/null 2>&1
	is "$(grep -E 'mkdir|O_CREAT|O_WRONLY|O_RDWR|unlink|rename' "$T/strace" | grep -v ENOENT)" "" \
		"net-snmp creates and writes nothing (no /var/lib/snmp, no ~/.snmp)"
	is "$(grep -E '\.conf"|/mibs' "$T/strace" | grep -v openssl.cnf)" "" \
		"and reads no snmp.conf and no MIB files"
	strace -f -o "$T/strace2c" -e trace=openat "$PROBE" -H "$HOST" -C testcomm mem >/dev/null 2>&1
	is "$(grep -cE 'libnetsnmp|trendtrap-snmp' "$T/strace2c")" 0 "a v2c check loads no net-snmp"
fi

done_testing
