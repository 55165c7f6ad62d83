#!/bin/sh
# etc/nagios against a real Nagios 4 (unpacked by scripts/install-deps into
# /var/cache/trendtrap-test/nagios4): nagios4 -v accepts the shipped command
# definitions and sample services; then Nagios runs them in the foreground
# every few seconds, locally and against a real snmpd on 127.0.0.1:11161,
# with trendtrap-ocsp handing every result to a real trendtrapd. Asserted:
# state, output and perfdata in Nagios' status.dat, and the same states and
# outputs in `trendtrap status`; output full of shell and Nagios
# metacharacters arrives byte for byte and runs nothing.
. "$(dirname "$0")/../lib.sh"
. "$TOP/t/lib-cores.sh"

NAGIOS4=${NAGIOS4:-/var/cache/trendtrap-test/nagios4/usr/sbin/nagios4}
STOCK=$(dirname "$(dirname "$(dirname "$NAGIOS4")")")/etc/nagios4/objects
if [ ! -x "$NAGIOS4" ] || [ ! -d "$STOCK" ]; then
	echo "Bail out! $NAGIOS4 is missing: run scripts/install-deps"
	exit 1
fi
. "$TOP/t/lib-trendtrapd.sh"
. "$TOP/t/lib-snmpd.sh"

N=$T/nagios
SHARE=$T/share/nagios
mkdir -p "$N/checkresults" "$T/secrets"

# ---- the configuration: Debian's stock objects, ours, the test's ---------
install_etc etc/nagios "$SHARE"
# As an operator adapts the sample: the access log it watches.
sed -i "s|/var/log/nginx/access.log|$T/access.log|" "$SHARE/trendtrap-localhost.cfg"
cp -r "$STOCK" "$N/objects"
echo "\$USER1\$=$TOP/plugins" >"$N/resource.cfg"
secret() { printf '%s\n' "$2" >"$T/secrets/$1" && chmod 600 "$T/secrets/$1"; }
secret community testcomm
secret authpass tuserauthpass
secret privpass tuserprivpass
nasty_plugin "$T/nasty"
write_access_log "$T/access.log" 100 3 # 3%: WARNING with -w 2 -c 5

cat >"$N/test.cfg" <<EOF
define command {
    command_name    test-host-up
    command_line    /bin/true
}
define command {
    command_name    test-nasty
    command_line    $T/nasty
}
define host {
    use                     generic-host
    host_name               localhost
    address                 127.0.0.1
    check_command           test-host-up
    contact_groups          admins
    max_check_attempts      1
    check_interval          60
}
; the test's snmpd listens on a high port: HOST:PORT is what -H takes
define host {
    use                     generic-host
    host_name               snmp-agent
    address                 $HOST
    check_command           test-host-up
    contact_groups          admins
    max_check_attempts      1
    check_interval          60
    _snmp_community_file    $T/secrets/community
    _snmp_user              tuser
    _snmp_authpass_file     $T/secrets/authpass
    _snmp_privpass_file     $T/secrets/privpass
}
define service {
    use                     trendtrap-service
    host_name               localhost
    service_description     nasty
    check_command           test-nasty
}
define service {
    use                     trendtrap-service
    host_name               snmp-agent
    service_description     disk_trend /
    check_command           check_disk_trend_snmp!80!95!/!
}
define service {
    use                     trendtrap-service
    host_name               snmp-agent
    service_description     mem_trend
    check_command           check_mem_trend_snmpv3!10%:!5%:!-a SHA -x AES
}
EOF

cfg() { # the main config file, with FILES as cfg_file lines
	{
		for f in commands contacts timeperiods templates; do
			echo "cfg_file=$N/objects/$f.cfg"
		done
		for f in "$@"; do echo "cfg_file=$f"; done
		cat <<EOF
log_file=$N/nagios.log
resource_file=$N/resource.cfg
object_cache_file=$N/objects.cache
precached_object_file=$N/objects.precache
status_file=$N/status.dat
status_update_interval=1
state_retention_file=$N/retention.dat
retain_state_information=0
lock_file=$N/nagios.pid
temp_file=$N/nagios.tmp
temp_path=$N
check_result_path=$N/checkresults
command_file=$N/nagios.cmd
query_socket=$N/nagios.qh
check_external_commands=0
nagios_user=$(id -un)
nagios_group=$(id -gn)
use_syslog=0
check_for_updates=0
enable_notifications=0
enable_flap_detection=0
interval_length=1
service_inter_check_delay_method=n
host_inter_check_delay_method=n
check_result_reaper_frequency=1
obsess_over_services=1
ocsp_command=trendtrap-ocsp
ocsp_timeout=10
enable_environment_macros=1
illegal_macro_output_chars=\`~\$&|'"<>
EOF
	}
}
cfg "$SHARE/trendtrap-commands.cfg" "$SHARE/trendtrap-localhost.cfg" "$N/test.cfg" >"$N/nagios.cfg"

# ---- nagios4 -v -----------------------------------------------------------
out=$("$NAGIOS4" -v "$N/nagios.cfg" 2>&1)
rc=$?
is "$rc" 0 "nagios4 -v accepts trendtrap-commands.cfg and trendtrap-localhost.cfg"
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | grep -E 'Error|Warning' | sed 's/^/#   /'
like "$out" "Checked 8 services" "it read the 5 sample services and the test's 3"
ncmd=$(grep -c '^ *command_name' "$SHARE/trendtrap-commands.cfg")
ok '[ "$ncmd" -ge 12 ]' "trendtrap-commands.cfg defines variants for every plugin ($ncmd commands)"
for p in check_disk_trend check_mem_trend check_error_trend; do
	ok "grep -q '\\\$USER1\\\$/$p ' '$SHARE/trendtrap-commands.cfg'" "a command runs \$USER1\$/$p"
done
ok '[ -z "$(grep -n "@[a-z]*@" "$SHARE"/*)" ]' "install_etc substituted every placeholder"

# It really checks: a service whose command does not exist is refused.
sed 's/check_disk_trend_snmp!/check_disk_trend_snmpp!/' "$N/test.cfg" >"$N/broken.cfg"
cfg "$SHARE/trendtrap-commands.cfg" "$SHARE/trendtrap-localhost.cfg" "$N/broken.cfg" >"$N/broken-nagios.cfg"
out=$("$NAGIOS4" -v "$N/broken-nagios.cfg" 2>&1)
is "$?" 1 "nagios4 -v refuses a service with an unknown command"
like "$out" "check_disk_trend_snmpp" "and names it"

# ---- trendtrapd, then Nagios in the foreground -------------------------------
ttd_config '
defaults { sustain_count = 3  recover_count = 2  renotify = "0"  stale_after = "never" }
channel "log" { type = "log" }
route { channels = {"log"} }'
ttd_start || exit 1

export TRENDTRAP_SOCKET=$SOCK TRENDTRAP_STATE_DIR=$T/plugin-state
"$NAGIOS4" "$N/nagios.cfg" >"$T/nagios.out" 2>&1 &
nagios_pid=$!
at_exit "kill $nagios_pid 2>/dev/null; wait $nagios_pid 2>/dev/null"

# status.dat's block of HOST/SERVICE, one KEY=VALUE a line
svc_status() {
	awk -v h="$1" -v s="$2" '
		/^servicestatus \{/ { inb = 1; blk = ""; next }
		inb && /^\t\}/ { if (hh == h && ss == s) printf "%s", blk; inb = 0; hh = ss = ""; next }
		inb { sub(/^\t/, ""); blk = blk $0 "\n"
		      if ($0 ~ /^host_name=/) hh = substr($0, 11)
		      if ($0 ~ /^service_description=/) ss = substr($0, 21) }
	' "$N/status.dat" 2>/dev/null
}
field() { svc_status "$1" "$2" | sed -n "s/^$3=//p"; }
# trendtrap status: the services' rows, HOST SERVICE LAST SUSTAINED FLAGS SINCE TIME OUTPUT
ttd_row() { tt status | awk -F'\t' -v h="$1" -v s="$2" '$1 == h && $2 == s'; }
samples() { # KEY: how many samples the history KEY holds
	"$TT" --state-dir "$T/plugin-state" series list | awk -F'\t' -v k="$1" '$1 == k { print $2 }'
}
accepted() { tt status | sed -n 's/^lines accepted: \([0-9]*\) .*/\1/p'; }

# Three check cycles of the 8 services (every 5 s with interval_length=1):
# trendtrapd gets every result, OK after OK too.
wait_until 40 '[ "$(accepted)" -ge 24 ] && [ "$(grep -c "^servicestatus {" "$N/status.dat")" = 8 ]'
ok 'kill -0 $nagios_pid' "Nagios is running the checks"
ok '[ "$(accepted)" -ge 24 ]' "trendtrapd got three cycles of 8 results from trendtrap-ocsp ($(accepted))"
ok '[ "$(samples mem/localhost)" -ge 6 ]' \
	"check_mem_trend ran three times under Nagios, twice a cycle (two services share mem/localhost)"

STATES="OK WARNING CRITICAL UNKNOWN"
state_name() { # 0..3 -> OK..UNKNOWN; empty for anything else
	case $1 in [0-3]) set -- "$1" $STATES && shift $(($1 + 1)) && echo "$1" ;; esac
}
SERVICES="localhost|disk_trend /
localhost|disk_trend / time left
localhost|mem_trend
localhost|mem_trend time left
localhost|error_trend nginx
localhost|nasty
snmp-agent|disk_trend /
snmp-agent|mem_trend"
# Compare what the core shows with what trendtrapd got, service by service.
# Results keep coming: retry when a check landed between the two reads.
while IFS='|' read -r h s; do
	for _ in 1 2 3 4 5; do
		st=$(field "$h" "$s" current_state)
		out=$(field "$h" "$s" plugin_output)
		row=$(ttd_row "$h" "$s")
		[ -n "$st" ] && [ "$(state_name "$st")" = "$(echo "$row" | cut -f3)" ] &&
			[ "$out" = "$(echo "$row" | cut -f8)" ] && break
		sleep 0.5
	done
	ok '[ "$(field "$h" "$s" has_been_checked)" = 1 ] && [ -n "$row" ]' "Nagios checked $h/$s, trendtrapd has it"
	is "$(echo "$row" | cut -f3)" "$(state_name "$st")" "trendtrapd has its state from Nagios: $(state_name "$st")"
	is "$(echo "$row" | cut -f8)" "$out" "and its output"
done <<EOF
$SERVICES
EOF

like "$(tt status)" "lines accepted: [0-9]+  rejected: 0 " "trendtrapd rejected none of them"

# What the plugins said, as Nagios parsed it.
is "$(field localhost nasty current_state)" 1 "nasty: WARNING in Nagios"
# Nagios turns ; into : in the output (not in perfdata), nothing else.
is "$(field localhost nasty plugin_output)" "$(echo "$NASTY" | tr ';' :)" "its output, byte for byte (; made :)"
is "$(field localhost nasty performance_data)" "$NASTY_PERF" "its perfdata"
is "$(field localhost nasty long_plugin_output)" "$NASTY_LONG" "its long output"
is "$(ttd_row localhost nasty | cut -f8)" "$(echo "$NASTY" | tr ';' :)" \
	"trendtrapd got the same through trendtrap-ocsp, though illegal_macro_output_chars has them all"
ok '[ ! -e "$T/pwned" ]' "no part of it ran as shell code"
ok 'wait_log "notify log: problem localhost/nasty WARNING" 1 10' \
	"three WARNING results in a row: trendtrapd notified the sustained problem"

like "$(field localhost 'error_trend nginx' plugin_output)" '^ERROR_TREND WARNING - 3.00% errors \(3 of 100 requests' \
	"check_error_trend: 3 errors in 100 requests of the log is WARNING"
like "$(field localhost 'error_trend nginx' performance_data)" "^'requests'=100c 'errors'=3c 'ratio'=3%;2;5;0;100 " \
	"its perfdata: requests, errors, ratio with the thresholds"
like "$(field localhost 'disk_trend /' performance_data)" "^'/'=[0-9]+B;[0-9.]+;[0-9.]+;0;[0-9]+ '/ growth_per_day'=" \
	"check_disk_trend's perfdata: used bytes of / with thresholds and capacity"
like "$(field localhost 'disk_trend / time left' plugin_output)" '^DISK_TREND (OK|WARNING|CRITICAL) - / [0-9]+% used' \
	"the time-left variant runs"
like "$(field localhost 'mem_trend time left' performance_data)" "'time_left'=[^ ]*;172800:;43200:" \
	"the time-left variant passes 2d and 12h to check_mem_trend"
like "$(field snmp-agent 'disk_trend /' plugin_output)" '^DISK_TREND (OK|WARNING|CRITICAL) - / [0-9]+% used' \
	"check_disk_trend_snmp reads the agent with the community file"
like "$(field snmp-agent mem_trend performance_data)" "^'available'=[0-9]+B;" \
	"check_mem_trend_snmpv3 reads the agent with SHA/AES passphrase files"
ok "'$TT' --state-dir '$T/plugin-state' series list | grep -q '^mem/${HOST}[[:space:]]'" \
	"the remote history is keyed by the agent"

kill -TERM $nagios_pid
wait $nagios_pid
is "$?" 0 "Nagios stops on SIGTERM"
ttd_stop
done_testing
