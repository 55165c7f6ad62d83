# t/lib-trendtrapd.sh - run a real trendtrapd for a test (sourced after t/lib.sh).
#
#   ttd_config BODY       write $T/ttd.conf: state, socket and user set for
#                         this test, then BODY (channels, routes, checks ...)
#   ttd_start [ARGS]      start trapd/trendtrapd -d -v -f $T/ttd.conf, log in
#                         $T/ttd.log; waits until it answers on its socket
#   ttd_stop              SIGTERM and wait: a test that it exits 0
#   ttd_kill              SIGKILL and wait
#   tt ARGS               trapd/trendtrap with this daemon's socket
#   submit HOST SVC RC OUTPUT      one result, through trendtrap submit
#   wait_log REGEX N [SECONDS]     until the log has N lines matching REGEX
#   count_log REGEX                how many lines of the log match REGEX

TTD=$TOP/trapd/trendtrapd
TT=$TOP/trapd/trendtrap
SOCK=$T/trapd.sock
ttd_pid=

ttd_config() {
	cat >"$T/ttd.conf" <<EOF
user = "$(id -un)"
state_dir = "$T/state"
socket { path = "$SOCK" mode = "0600" }
$1
EOF
}

ttd_start() {
	"$TTD" -d -v -f "$T/ttd.conf" "$@" >>"$T/ttd.log" 2>&1 &
	ttd_pid=$!
	i=0
	while ! "$TT" -s "$SOCK" status >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $ttd_pid 2>/dev/null; then
			diag "trendtrapd did not start:"
			sed 's/^/#   /' "$T/ttd.log"
			return 1
		fi
		sleep 0.1
	done
}

ttd_stop() {
	[ -n "$ttd_pid" ] || return 0
	kill -TERM $ttd_pid 2>/dev/null
	wait $ttd_pid 2>/dev/null
	_ttd_rc=$?
	ttd_pid=
	# A clean stop exits 0: a sanitizer's report (a leak at exit) does not.
	is "$_ttd_rc" 0 "trendtrapd stopped cleanly on SIGTERM"
	[ "$_ttd_rc" -eq 0 ] || tail -30 "$T/ttd.log" | sed 's/^/#   /'
}

ttd_kill() {
	[ -n "$ttd_pid" ] || return 0
	kill -KILL $ttd_pid 2>/dev/null
	wait $ttd_pid 2>/dev/null
	ttd_pid=
}
at_exit ttd_kill

tt() { "$TT" -s "$SOCK" "$@"; }

submit() { tt submit "$1" "$2" "$3" "$4"; }

count_log() { grep -Ec -- "$1" "$T/ttd.log"; }

wait_log() {
	i=0
	limit=$((${3:-10} * 10))
	while [ "$(count_log "$1")" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -gt $limit ] && return 1
		sleep 0.1
	done
	return 0
}
