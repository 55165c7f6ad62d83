#!/bin/sh
# install.sh - make install and make uninstall into a DESTDIR, as a package
# build does them (no root needed): every file lands where the layout says,
# with its mode; the INSTALLED programs work from there (the plugins with a
# real check, trendtrap reading their histories, trendtrapd running the
# installed example configuration's checks, the SNMPv3 module loaded from
# pkglibdir); the systemd unit names the installed paths and passes
# systemd-analyze verify; a trendtrapd.conf the admin changed survives a
# second install and an uninstall; otherwise uninstall leaves no file.
#
# The plugins find the SNMPv3 module at the pkglibdir compiled in at
# configure time (lib/module.c), else through TRENDTRAP_SNMP_MODULE; their
# "<executable>/../lib" fallback is the build tree's layout.  A DESTDIR
# install with another prefix is therefore run with TRENDTRAP_SNMP_MODULE,
# and a second install with the configured prefix shows that the module
# lands exactly where the plugins look (and, as root, that an installed
# plugin loads it from there with nothing set).
. "$(dirname "$0")/../lib.sh"

# make, free of an outer make's flags and variables (make check -j, ...).
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$TOP" --no-print-directory "$@"; }
# The value of make variable $1 with the overrides that follow.
mkvar() {
	_v=$1
	shift
	# (the last line: make may first say that it regenerated the Makefile)
	printf 'tt-print-var:\n\t@echo $(%s)\n' "$_v" | mk -s -f Makefile -f - "$@" tt-print-var |
		tail -1
}
R=$T/root
LAYOUT="prefix=/usr sysconfdir=/etc" # Debian's: ./configure --prefix=/usr --sysconfdir=/etc
# make_ok DESC ARGS: a test that make ARGS succeeds (its log kept in $T/make.log).
make_ok() {
	_d=$1
	shift
	if mk "$@" >>"$T/make.log" 2>&1; then
		tap_result 0 "$_d"
	else
		tap_result 1 "$_d"
		tail -20 "$T/make.log" | sed 's/^/#   /'
	fi
}
unset TRENDTRAP_SNMP_MODULE TRENDTRAP_ES_MODULE TRENDTRAP_STATE_DIR
export TRENDTRAP_SOCKET=$T/no-daemon.sock

# ---- the layout ---------------------------------------------------------------
make_ok "make install DESTDIR=\$T/root $LAYOUT, not as root" install DESTDIR="$R" $LAYOUT
PLUGINDIR=/usr/lib/nagios/plugins
while read -r mode path; do
	is "$(stat -c %a "$R$path" 2>&1)" "$mode" "installed $path, mode $mode"
done <<EOF
755 $PLUGINDIR/check_disk_trend
755 $PLUGINDIR/check_mem_trend
755 $PLUGINDIR/check_error_trend
755 /usr/bin/trendtrap
755 /usr/sbin/trendtrapd
644 /usr/lib/trendtrap/trendtrap-snmp.so
644 /usr/lib/trendtrap/trendtrap-es.so
644 /usr/share/man/man1/check_disk_trend.1
644 /usr/share/man/man1/check_mem_trend.1
644 /usr/share/man/man1/check_error_trend.1
644 /usr/share/man/man1/trendtrap.1
644 /usr/share/man/man8/trendtrapd.8
644 /usr/share/man/man5/trendtrapd.conf.5
644 /usr/share/snmp/mibs/TRENDTRAP-MIB.txt
644 /etc/trendtrapd.conf.example
640 /etc/trendtrapd.conf
644 /usr/lib/systemd/system/trendtrapd.service
644 /usr/lib/sysusers.d/trendtrapd.conf
EOF
ok "cmp '$R/etc/trendtrapd.conf' '$R/etc/trendtrapd.conf.example'" \
	"trendtrapd.conf is the example when there was none"
ok "cmp '$R/usr/share/man/man8/trendtrapd.8' '$TOP/man/trendtrapd.8'" "the man pages as written"
ok "cmp '$R/usr/share/snmp/mibs/TRENDTRAP-MIB.txt' '$TOP/etc/mibs/TRENDTRAP-MIB.txt'" \
	"the MIB where net-snmp's tools look (/usr/share/snmp/mibs)"

# ---- the systemd unit and its user ----------------------------------------------
U=$R/usr/lib/systemd/system/trendtrapd.service
CONF=$R/etc/trendtrapd.conf
unit() { sed -n "s/^$1=//p" "$U"; }
conf() { sed -n "s/^$1 *= *\"\\([^\"]*\\)\".*/\\1/p" "$CONF"; }
is "$(unit ExecStart)" "/usr/sbin/trendtrapd -d -f /etc/trendtrapd.conf" \
	"unit: ExecStart= runs the installed daemon in the foreground on the installed config"
is "$(unit ExecReload | head -1)" "/usr/sbin/trendtrapd -n -f /etc/trendtrapd.conf" \
	"unit: a reload checks the config first"
ok "! grep -Eq '@[a-z]+@' '$U'" "unit: no placeholder left"
is "$(unit User)" "$(conf user)" "unit: User= is the user of the example config"
is "$(sed -n 's/^u \([^ ]*\) .*/\1/p' "$R/usr/lib/sysusers.d/trendtrapd.conf")" "$(unit User)" \
	"sysusers.d creates that user"
is "/var/lib/$(unit StateDirectory)" "$(conf state_dir)" \
	"unit: StateDirectory= is the config's state_dir"
SOCKET=$(sed -n 's/^[[:space:]]*path = "\(.*\)".*/\1/p' "$CONF")
is "/run/$(unit RuntimeDirectory)" "$(dirname "$SOCKET")" "unit: RuntimeDirectory= holds the config's socket"
# verify --root and security --offline: systemd 250 and later (bookworm: 252).
SDVER=$(systemd-analyze --version 2>/dev/null | sed -n '1s/^systemd \([0-9]*\).*/\1/p')
if [ "${SDVER:-0}" -ge 250 ]; then
	OUT=$(systemd-analyze verify --root="$R" --man=no --generators=no --recursive-errors=no \
		/usr/lib/systemd/system/trendtrapd.service 2>&1)
	is "$?:$OUT" "0:" "systemd-analyze verify: the unit is clean"
	OUT=$(systemd-analyze security --offline=yes --root="$R" \
		/usr/lib/systemd/system/trendtrapd.service 2>&1 |
		sed -n 's/.*Overall exposure level.*: \([0-9.]*\).*/\1/p')
	ok "[ -n '$OUT' ] && awk 'BEGIN { exit !($OUT <= 2.0) }'" \
		"systemd-analyze security: exposure ${OUT:-?} <= 2.0 (sandboxed, no capabilities)"
else
	tap_result 0 "# SKIP systemd-analyze 250 or later is not installed"
	tap_result 0 "# SKIP systemd-analyze 250 or later is not installed"
fi

# The sandbox as the daemon's checks see it: ProtectSystem=strict makes every
# mount read-only in the service's namespace, except the bind mounts of its
# writable directories.  The disk check must still report / as /: only a
# filesystem read-only in itself is skipped, and a filesystem's own mount
# stands for it rather than a bind mount of one of its directories.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	mkdir -p "$T/rw"
	OUT=$(unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro / &&
		exec "$2" --all --state-dir "$1"' sh "$T/rw" "$R$PLUGINDIR/check_disk_trend" 2>&1)
	like "$OUT" "^DISK_TREND [A-Z]+ - / " \
		"check_disk_trend --all under the unit's read-only / (ProtectSystem=strict) names it /"
else
	tap_result 0 "# SKIP a read-only / (as under ProtectSystem=strict) needs root and unshare"
fi

# ---- the installed programs -----------------------------------------------------
P=$R$PLUGINDIR
for p in check_disk_trend check_mem_trend check_error_trend; do
	like "$("$P/$p" --version 2>&1)" "^$p \\(trendtrap [0-9]" "installed $p --version"
done
OUT=$("$P/check_disk_trend" -p / --state-dir "$T/hist" 2>&1)
like "$?:$OUT" "^0:DISK_TREND OK - / [0-9.]+% used, collecting history \\(1 of 6 samples\\)" \
	"installed check_disk_trend checks /"
OUT=$("$P/check_mem_trend" --state-dir "$T/hist" 2>&1)
like "$?:$OUT" "^0:MEM_TREND OK - available .*collecting history \\(1 of 6 samples\\)" \
	"installed check_mem_trend checks this machine's memory"
STAMP=$(date -u '+%d/%b/%Y:%H:%M:%S +0000')
for s in 200 200 200 500; do
	echo "127.0.0.1 - - [$STAMP] \"GET / HTTP/1.1\" $s 5 \"-\" \"t\""
done >"$T/access.log"
OUT=$("$P/check_error_trend" --log "$T/access.log" --state-dir "$T/hist" 2>&1)
like "$?:$OUT" "^0:ERROR_TREND OK - 25\\.00% errors \\(1 of 4 requests" \
	"installed check_error_trend reads an access log"
like "$("$R/usr/bin/trendtrap" --help 2>&1)" "^Usage: trendtrap " "installed trendtrap --help"
is "$("$R/usr/bin/trendtrap" --state-dir "$T/hist" series list 2>&1 | cut -f1 | sort | tr '\n' ' ')" \
	"disk/localhost/ errors$T/access.log mem/localhost " \
	"installed trendtrap lists the histories the installed plugins wrote"
like "$("$R/usr/sbin/trendtrapd" -V 2>&1)" "^trendtrapd [0-9]" "installed trendtrapd -V"
OUT=$("$R/usr/sbin/trendtrapd" -n -f "$CONF" 2>&1)
is "$?:$OUT" "0:" "installed trendtrapd -n: the installed example config is valid"

# The installed daemon runs the installed example's checks (with the plugins,
# its state and its socket moved into this test's directory).
TSOCK=$T/ttd.sock
sed -e "s|^user = .*|user = \"$(id -un)\"|" -e "s|^state_dir = .*|state_dir = \"$T/ttd\"|" \
	-e "s|\"/run/trendtrapd/trendtrapd.sock\"|\"$TSOCK\"|" -e "s|\"$PLUGINDIR/|\"$P/|" \
	"$CONF" >"$T/ttd.conf"
TRENDTRAP_STATE_DIR=$T/ttd-hist "$R/usr/sbin/trendtrapd" -d -f "$T/ttd.conf" >"$T/ttd.log" 2>&1 &
ttd_pid=$!
at_exit "kill $ttd_pid 2>/dev/null"
status() { "$R/usr/bin/trendtrap" -s "$TSOCK" status 2>&1; }
i=0
until status | grep -q "^localhost	disk	" && status | grep -q "^localhost	memory	"; do
	i=$((i + 1))
	[ $i -gt 100 ] && break
	sleep 0.1
done
OUT=$(status)
like "$OUT" "localhost	memory	[A-Z]+	.*MEM_TREND (OK|WARNING|CRITICAL) - " \
	"installed trendtrapd ran the example's memory check with the installed plugin"
like "$OUT" "localhost	disk	[A-Z]+	.*DISK_TREND (OK|WARNING|CRITICAL) - " "... and its disk check"
[ $i -gt 100 ] && sed 's/^/#   /' "$T/ttd.log"
kill -TERM $ttd_pid
wait $ttd_pid
is "$?" 0 "installed trendtrapd stops cleanly"

# ---- the SNMPv3 module ------------------------------------------------------------
mk t/helpers/snmpprobe >>"$T/make.log" 2>&1
. "$TOP/t/lib-snmpd.sh"
unset TRENDTRAP_SNMP_MODULE
v3() { "$1" -H "$HOST" -P 3 -U tuser -a SHA -A tuserauthpass -x AES -X tuserprivpass \
	--state-dir "$T/hist" 2>&1; }
OUT=$(TRENDTRAP_SNMP_MODULE=$R/usr/lib/trendtrap/trendtrap-snmp.so v3 "$P/check_mem_trend")
like "$?:$OUT" "^0:MEM_TREND OK - available " \
	"installed check_mem_trend reads an SNMPv3 agent through the installed module"

# The module lands where the plugins look: install with the configured prefix.
R2=$T/root2
make_ok "make install DESTDIR=\$T/root2 (configured prefix)" install DESTDIR="$R2"
PKGLIB=$(mkvar pkglibdir)
P2=$R2$(mkvar plugindir)
ok "grep -qF '$PKGLIB/trendtrap-snmp.so' '$P2/check_mem_trend'" \
	"an installed plugin looks for the module in pkglibdir ($PKGLIB)"
ok "[ -f '$R2$PKGLIB/trendtrap-snmp.so' ]" "... where make install put it"
OUT=$(v3 "$P2/check_mem_trend")
like "$?:$OUT" \
	"^3:MEM_TREND UNKNOWN - cannot load the SNMP module: $PKGLIB/trendtrap-snmp.so is missing \\(set TRENDTRAP_SNMP_MODULE to its path\\)" \
	"... and, not finding it there, names that place and how to point at it"
BASE=$(dirname "$PKGLIB")
if [ "$(id -u)" = 0 ] && [ -d "$BASE" ] && unshare -m true 2>/dev/null; then
	OUT=$(unshare -m sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh \
		"$R2$BASE" "$BASE" "$P2/check_mem_trend" -H "$HOST" -P 3 -U tuser -a SHA \
		-A tuserauthpass -x AES -X tuserprivpass --state-dir "$T/hist" 2>&1)
	like "$?:$OUT" "^0:MEM_TREND OK - available " \
		"... and loads it from there with nothing set (\$T/root2$BASE mounted on $BASE)"
else
	tap_result 0 "# SKIP mounting the install on $BASE needs root and unshare"
fi
for f in $(sed -n 's/.*command = {"\([^"]*\)".*/\1/p' "$R2$(mkvar sysconfdir)/trendtrapd.conf.example"); do
	ok "[ -x '$R2$f' ]" "the installed example's check runs the installed $(basename "$f")"
done
is "$(sed -n 's/^ExecStart=//p' "$R2$(mkvar systemdunitdir)/trendtrapd.service")" \
	"$(mkvar sbindir)/trendtrapd -d -f $(mkvar sysconfdir)/trendtrapd.conf" \
	"the unit names the configured prefix's paths"
make_ok "make uninstall DESTDIR=\$T/root2" uninstall DESTDIR="$R2"
is "$(find "$R2" ! -type d | sed "s|^$R2||")" "" "... leaves no file"

# ---- reinstall, uninstall --------------------------------------------------------
echo '# changed by the admin' >>"$CONF"
echo '# an old example' >>"$R/etc/trendtrapd.conf.example"
make_ok "a second make install" install DESTDIR="$R" $LAYOUT
is "$(tail -1 "$CONF")" "# changed by the admin" "... keeps the changed trendtrapd.conf"
ok "head -n -1 '$CONF' | cmp -s - '$R/etc/trendtrapd.conf.example'" "... and replaces the example"
make_ok "make uninstall" uninstall DESTDIR="$R" $LAYOUT
is "$(find "$R" ! -type d | sed "s|^$R||")" "/etc/trendtrapd.conf" \
	"... leaves only the changed trendtrapd.conf"
rm "$CONF"
make_ok "install again" install DESTDIR="$R" $LAYOUT
make_ok "and uninstall" uninstall DESTDIR="$R" $LAYOUT
is "$(find "$R" ! -type d | sed "s|^$R||")" "" \
	"... removes a trendtrapd.conf that is the example: no file left"

done_testing
