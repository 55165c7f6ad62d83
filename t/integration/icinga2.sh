#!/bin/sh
# etc/icinga2 against a real Icinga 2 (Debian package icinga2): icinga2
# daemon -C accepts the shipped CheckCommands, EventCommand and sample
# services; then Icinga runs them in the foreground every few seconds,
# locally and against a real snmpd on 127.0.0.1:11161 (v2c and v3), with
# the EventCommand trendtrap-submit feeding a real trendtrapd. Asserted: the
# perfdata as Icinga's own parser (parse_performance_data) reads it, through
# PerfdataWriters in $T/spool; the states and outputs trendtrapd got are
# the core's; output full of shell metacharacters arrives byte for byte and
# runs nothing; a problem and its recovery reach trendtrapd's notifications
# with the settings trendtrap-commands.conf documents.
. "$(dirname "$0")/../lib.sh"
. "$TOP/t/lib-cores.sh"

ICINGA2=${ICINGA2:-$(command -v icinga2 || echo /usr/sbin/icinga2)}
if [ ! -x "$ICINGA2" ]; then
	echo "Bail out! icinga2 is missing: run scripts/install-deps"
	exit 1
fi
. "$TOP/t/lib-trendtrapd.sh"
. "$TOP/t/lib-snmpd.sh"

I=$T/icinga2
SHARE=$T/share/icinga2
mkdir -p "$I" "$T/spool/tmp" "$T/spool/perfdata" "$T/lib" "$T/log" "$T/cache" "$T/run" "$T/secrets"

# ---- the configuration --------------------------------------------------------
install_etc etc/icinga2 "$SHARE"
# As a test runs them: seconds instead of minutes.
sed -i 's/check_interval = 5m/check_interval = 2s/; s/retry_interval = 1m/retry_interval = 1s/' \
	"$SHARE/trendtrap-commands.conf"
secret() { printf '%s\n' "$2" >"$T/secrets/$1" && chmod 600 "$T/secrets/$1"; }
secret community testcomm
secret authpass tuserauthpass
secret privpass tuserprivpass
nasty_plugin "$T/nasty"
write_access_log "$T/access.log" 100 3 # 3%: WARNING with the default -w 2 -c 5
# OK twice, CRITICAL three times, then OK: a problem and its recovery
cat >"$T/flip" <<EOF
#!/bin/sh
n=\$(cat "$T/flip.n" 2>/dev/null || echo 0)
echo \$((n + 1)) >"$T/flip.n"
if [ \$n -ge 2 ] && [ \$n -lt 5 ]; then echo "FLIP CRITICAL - run \$n|runs=\$n"; exit 2; fi
echo "FLIP OK - run \$n|runs=\$n"
EOF
chmod 755 "$T/flip"

cat >"$I/test.conf" <<EOF
object CheckerComponent "checker" { }
object FileLogger "notice" {
	path = LogDir + "/notice.log"
	severity = "notice"
}

/* As "icinga2 feature enable perfdata" writes it, faster. */
object PerfdataWriter "perfdata" {
	rotation_interval = 1s
}

/* Every result as the core saw it: host, service, state, the first line of
 * the output, and each perfdata item as Icinga's own parser reads it. */
object PerfdataWriter "results" {
	service_temp_path = SpoolDir + "/tmp/results"
	service_perfdata_path = SpoolDir + "/results"
	host_temp_path = SpoolDir + "/tmp/results-host"
	host_perfdata_path = SpoolDir + "/results-host"
	service_format_template = "\$host.name\$\t\$service.name\$\t\$service.state\$\t\$t_first\$\t\$t_parsed\$"
	rotation_interval = 1s
}

template Host "test-host" {
	check_command = "dummy"
	check_interval = 1m
	vars.trendtrap_state_dir = "$T/plugin-state"
	vars.trendtrap_socket = "$SOCK"
	/* A custom variable's value is resolved again: \$ must be written \$\$. */
	vars.t_first = {{ macro("\$service.output\$").split("\n")[0].trim().replace("\$", "\$\$") }}
	vars.t_parsed = {{
		var items = []
		for (pd in macro("\$service.last_check_result\$").performance_data) {
			try {
				var p = parse_performance_data(pd)
				items.add(Json.encode([ p.label, p.value, p.unit, p.warn, p.crit, p.min, p.max ]))
			} except {
				items.add(Json.encode([ "unparsed", pd ]))
			}
		}
		return len(items) > 0 ? items.join("|").replace("\$", "\$\$") : ""
	}}
}

object Host NodeName {
	import "test-host"
	address = "127.0.0.1"
	vars.access_log = "$T/access.log"
}

/* The test's snmpd listens on a high port. */
object Host "snmp-v2c" {
	import "test-host"
	import "trendtrap-snmp-host"
	address = "127.0.0.1"
	vars.trendtrap_snmp_address = "\$address\$:${HOST#*:}"
	vars.trendtrap_snmp_community_file = "$T/secrets/community"
}

object Host "snmp-v3" {
	import "test-host"
	import "trendtrap-snmp-host"
	address = "127.0.0.1"
	vars.trendtrap_snmp_address = "\$address\$:${HOST#*:}"
	vars.trendtrap_snmp_protocol = "3"
	vars.trendtrap_snmp_seclevel = "authPriv"
	vars.trendtrap_snmp_user = "tuser"
	vars.trendtrap_snmp_authpass_file = "$T/secrets/authpass"
	vars.trendtrap_snmp_privpass_file = "$T/secrets/privpass"
}

object CheckCommand "nasty" { command = [ "$T/nasty" ] }
object CheckCommand "flip" { command = [ "$T/flip" ] }

object Service "nasty" {
	import "trendtrap-service"
	host_name = NodeName
	check_command = "nasty"
}

object Service "flip" {
	import "trendtrap-service"
	host_name = NodeName
	check_command = "flip"
}
EOF

cat >"$I/icinga2.conf" <<EOF
const PluginDir = "$TOP/plugins"
include <itl>
include "$SHARE/trendtrap-commands.conf"
include "$SHARE/trendtrap-services.conf"
include "$I/test.conf"
EOF

icinga() { # ARGS: icinga2 with every path in \$T (exec: the caller's PID is Icinga's)
	exec "$ICINGA2" daemon "$@" -DNodeName=localhost -DConfigDir="$I" -DDataDir="$T/lib" \
		-DLogDir="$T/log" -DCacheDir="$T/cache" -DSpoolDir="$T/spool" -DInitRunDir="$T/run" \
		-DRunAsUser="$(id -un)" -DRunAsGroup="$(id -gn)"
}

# ---- icinga2 daemon -C ------------------------------------------------------------
out=$( (icinga -C -c "$I/icinga2.conf") 2>&1)
rc=$?
is "$rc" 0 "icinga2 daemon -C accepts trendtrap-commands.conf and trendtrap-services.conf"
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | grep -E 'critical|warning|Error' | sed 's/^/#   /'
like "$out" "Instantiated 1 EventCommand" "with the EventCommand"
like "$out" "Instantiated 10 Services" "and the sample services: 4 for this node, 2 per SNMP host, the test's 2"
for c in disk_trend mem_trend error_trend; do
	ok "grep -q 'object CheckCommand \"$c\"' '$SHARE/trendtrap-commands.conf'" "a CheckCommand $c"
done
ok '[ -z "$(grep -n "@[a-z]*@" "$SHARE"/*)" ]' "install_etc substituted every placeholder"

# It really checks: a service with an unknown command is refused.
sed 's/check_command = "flip"/check_command = "flipp"/' "$I/test.conf" >"$I/broken.conf"
sed "s|$I/test.conf|$I/broken.conf|" "$I/icinga2.conf" >"$I/broken-icinga2.conf"
out=$( (icinga -C -c "$I/broken-icinga2.conf") 2>&1)
ok '[ $? -ne 0 ]' "icinga2 daemon -C refuses a service with an unknown command"
like "$out" "flipp" "and names it"

# ---- trendtrapd, then Icinga in the foreground -----------------------------------
# The settings trendtrap-commands.conf asks for with the event command.
ttd_config '
defaults { sustain_count = 2  recover_count = 1  stale_after = "never"  flap_high = 0  flap_low = 0
           renotify = "0" }
channel "log" { type = "log" }
route { channels = {"log"} }'
ttd_start || exit 1

(icinga -c "$I/icinga2.conf") >"$T/icinga2.out" 2>&1 &
icinga_pid=$!
at_exit "kill $icinga_pid 2>/dev/null; wait $icinga_pid 2>/dev/null"

# The records of every result: HOST SERVICE STATE FIRST-LINE PARSED-PERFDATA
results() { cat "$T"/spool/results.* 2>/dev/null; }
svc_results() { results | awk -F'\t' -v h="$1" -v s="$2" '$1 == h && $2 == s'; }
ttd_row() { tt status | awk -F'\t' -v h="$1" -v s="$2" '$1 == h && $2 == s'; }

SERVICES="localhost|disk_trend /
localhost|disk_trend / time left
localhost|mem_trend
localhost|error_trend
localhost|nasty
localhost|flip
snmp-v2c|disk_trend /
snmp-v2c|mem_trend snmp
snmp-v3|disk_trend /
snmp-v3|mem_trend snmp"

# Three results of every service.
enough() {
	while IFS='|' read -r h s; do
		[ "$(svc_results "$h" "$s" | wc -l)" -ge 3 ] || return 1
	done <<EOF
$SERVICES
EOF
}
wait_until 40 enough
ok 'kill -0 $icinga_pid' "Icinga is running the checks"
ok enough "three results of each of the 10 services reached the PerfdataWriter"

# Compare what trendtrapd got with what the core recorded, service by
# service. The records arrive a rotation (1 s) late: retry meanwhile.
seen() { svc_results "$h" "$s" | cut -f3,4 | grep -qxF "$(echo "$row" | cut -f3,8)"; }
while IFS='|' read -r h s; do
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		row=$(ttd_row "$h" "$s")
		last=$(svc_results "$h" "$s" | tail -n 1)
		[ -n "$row" ] && [ "$(echo "$row" | cut -f3)" = "$(echo "$last" | cut -f3)" ] && seen && break
		sleep 0.5
	done
	ok '[ -n "$row" ]' "trendtrapd has $h/$s"
	is "$(echo "$row" | cut -f3)" "$(echo "$last" | cut -f3)" "with the core's state"
	ok seen "and the output of one of the core's results"
done <<EOF
$SERVICES
EOF

# Icinga's own parser on our perfdata: [label, value, unit, warn, crit, min, max].
parsed() { svc_results "$1" "$2" | tail -n 1 | cut -f5 | tr '|' '\n' | grep -F "[\"$3\","; }
like "$(parsed localhost 'disk_trend /' /)" '^\["/",[0-9]+,"bytes",[0-9.]+,[0-9.]+,0,[0-9]+\]$' \
	"disk_trend: / in bytes, thresholds, 0 and the capacity"
like "$(parsed localhost mem_trend available)" '^\["available",[0-9]+,"bytes",null,null,0,[0-9]+\]$' \
	"mem_trend: available bytes, 0 and the total (the minimum thresholds are ranges Icinga keeps as null)"
is "$(parsed localhost error_trend requests)" '["requests",100,"",null,null,null,null]' \
	"error_trend: 100 requests"
is "$(parsed localhost error_trend errors)" '["errors",3,"",null,null,null,null]' "3 errors"
is "$(parsed localhost error_trend ratio)" '["ratio",3,"percent",2,5,0,100]' \
	"a ratio of 3 percent, thresholds 2 and 5"
like "$(parsed snmp-v2c 'disk_trend /' /)" '^\["/",[0-9]+,"bytes",' "the v2c agent's / in bytes"
like "$(parsed snmp-v3 'mem_trend snmp' available)" '^\["available",[0-9]+,"bytes",' \
	"the v3 agent's available memory in bytes"
unparsed=$(results | cut -f5 | tr '|' '\n' | grep -F '["unparsed"' | sort -u | tr '\n' ' ')
[ -z "$unparsed" ] || diag "Icinga's parser refuses: $unparsed"
# And the stock PerfdataWriter's file, as PNP4Nagios and friends read it.
ok 'cat "$T"/spool/perfdata/service-perfdata.* | grep -F "SERVICEDESC::disk_trend /	" |
	grep -qE "SERVICEPERFDATA::/=[0-9]+B;[0-9.]+;[0-9.]+;0;[0-9]+ '"'"'/ growth_per_day'"'"'=U '"'"'/ time_left'"'"'=U;"' \
	"the stock PerfdataWriter writes our perfdata, labels with spaces quoted"

is "$(svc_results localhost nasty | tail -n 1 | cut -f3,4)" "WARNING	$NASTY" "nasty: WARNING, its output byte for byte in the core"
is "$(ttd_row localhost nasty | cut -f8)" "$NASTY" "and in trendtrapd, through the EventCommand"
is "$(parsed localhost nasty 'a b')" '["a b",1,"",2,3,0,10]' "its perfdata, label with a space"
ok '[ ! -e "$T/pwned" ]' "no part of it ran as shell code"
ok 'wait_log "notify log: problem localhost/nasty WARNING" 1 10' \
	"WARNING from the start, SOFT then HARD: trendtrapd notified the sustained problem"
ok 'wait_log "notify log: problem localhost/flip CRITICAL \(was OK\)" 1 10' \
	"flip: OK, then CRITICAL (two SOFT results): the problem"
ok 'wait_log "notify log: recovery localhost/flip OK \(was CRITICAL\)" 1 10' \
	"and its recovery on the first OK, the only one Icinga sends (recover_count = 1)"
is "$(count_log "notify log: problem localhost/flip")" 1 "one problem notification, not one per event"
like "$(parsed localhost 'disk_trend / time left' /)" '^\["/",[0-9]+,"bytes",null,null,0,[0-9]+\]$' \
	"the time-left variant: no level thresholds (empty variables leave -w and -c out)"
ok "'$TT' --state-dir '$T/plugin-state' series list | grep -q '^mem/${HOST}[[:space:]]'" \
	"the remote history is keyed by the agent (trendtrap_state_dir reached the plugins)"

workers=$(ps -o pid= --ppid $icinga_pid)
kill -TERM $icinga_pid
wait $icinga_pid
is "$?" 0 "Icinga stops on SIGTERM"
for w in $workers; do
	ok "! kill -0 $w 2>/dev/null" "its worker process $w is gone"
done
ttd_stop
done_testing
