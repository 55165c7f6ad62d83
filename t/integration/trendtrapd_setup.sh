#!/bin/sh
# trendtrapd as shipped and as installed: the example config passes -n and,
# pointed at this tree's plugins, checks this machine's memory and disks and
# logs what it would notify; started as root it drops to the configured
# user, whose checks run as that user.
. "$(dirname "$0")/../lib.sh"
. "$TOP/t/lib-trendtrapd.sh"

# ---- the shipped example ---------------------------------------------------
out=$("$TTD" -n -f "$TOP/etc/trendtrapd.conf" 2>&1)
is "$?:$out" "0:" "etc/trendtrapd.conf passes trendtrapd -n"

sed -e "s|/usr/lib/nagios/plugins/|$TOP/plugins/|" \
	-e "s|^user = .*|user = \"$(id -un)\"|" \
	-e "s|^state_dir = .*|state_dir = \"$T/state\"|" \
	-e "s|path = \"/run/trendtrapd/trendtrapd.sock\"|path = \"$SOCK\"|" \
	"$TOP/etc/trendtrapd.conf" >"$T/ttd.conf"
ok '! grep -v "^[[:space:]]*#" "$T/ttd.conf" | grep -q "/usr/lib/nagios\|/run/trendtrapd\|/var/lib"' \
	"the example's paths all point into the test"
TRENDTRAP_STATE_DIR=$T/plugin-state
export TRENDTRAP_STATE_DIR
ttd_start || exit 1
wait_log "check memory: " 1 10
wait_log "check disk: " 1 10
like "$(grep 'check memory: ' "$T/ttd.log" | head -1)" "check memory: OK: MEM_TREND OK - " "it runs check_mem_trend"
like "$(grep 'check disk: ' "$T/ttd.log" | head -1)" "check disk: OK: DISK_TREND OK - " "and check_disk_trend --all"
st=$(tt status)
like "$st" "localhost	memory	OK" "status lists localhost/memory"
like "$st" "localhost	disk	OK" "and localhost/disk"
like "$st" "log:0 log	log	ok" "and the log channel"
ok '[ -n "$(ls "$T/plugin-state")" ]' "the plugins kept their histories"
ttd_stop

# ---- dropping root -------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	echo "ok - # SKIP dropping root needs root (CI runs as root)"
	done_testing
	exit
fi
chmod 755 "$T"
mkdir -m 1777 "$T/drop"
cat >"$T/whoami" <<EOF
#!/bin/sh
id -un >"$T/drop/checked-as"
echo "WHO OK - checked"
EOF
chmod 755 "$T/whoami"
rm -rf "$T/state"
ttd_config "
check \"who\" { command = {\"$T/whoami\"} interval = \"1h\" timeout = \"5s\" }
channel \"log\" { type = \"log\" }
route { channels = {\"log\"} }
"
sed -i "s|^user = .*|user = \"nobody\"|" "$T/ttd.conf"
chmod 644 "$T/ttd.conf"
ttd_start || exit 1
wait_log "check who: OK" 1 10
is "$(cat "$T/drop/checked-as" 2>/dev/null)" nobody "checks run as the configured user"
is "$(ps -o user= -p $ttd_pid | tr -d ' ')" nobody "the daemon itself runs as that user"
is "$(stat -c %U "$T/state")" nobody "its state directory is that user's"
is "$(stat -c %U:%a "$SOCK")" nobody:600 "so is its socket, with the configured mode"
kill -HUP $ttd_pid
wait_log "reloaded" 1 5
is "$(count_log reloaded)" 1 "a reload works after dropping root"
ttd_stop
ok '[ -s "$T/state/services" ] && [ "$(stat -c %U "$T/state/services")" = nobody ]' \
	"the state was saved at the stop, as that user"

done_testing
