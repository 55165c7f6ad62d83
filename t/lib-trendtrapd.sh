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
#
# TTD_WRAPPER, when set, is a command put before trendtrapd (split on
# blanks), e.g. "valgrind --log-file=%q{T}/vg/%p ...": the wrapper sees this
# test's directory as $T in its environment, and $T/vg is a directory anyone
# may write to (the daemon's children still write their logs after it has
# dropped root).  The daemon is then given up to 60 s to answer and wait_log
# waits 3 times as long; ttd_stop also requires the valgrind logs in $T/vg
# (when there are any) to report no error and no definite leak.  Unset,
# nothing changes.

TTD=$TOP/trapd/trendtrapd
TT=$TOP/trapd/trendtrap
SOCK=$T/trapd.sock
ttd_pid=
# Under a wrapper (valgrind: ~20 times slower) the daemon gets longer to start
# (ttd_start_ticks tenths of a second) and wait_log ttd_slow times as long.
ttd_slow=1
ttd_start_ticks=100
if [ -n "${TTD_WRAPPER:-}" ]; then
	ttd_slow=3
	ttd_start_ticks=600
fi

ttd_config() {
	cat >"$T/ttd.conf" <<EOF
user = "$(id -un)"
state_dir = "$T/state"
socket { path = "$SOCK" mode = "0600" }
$1
EOF
}

ttd_start() {
	if [ -n "${TTD_WRAPPER:-}" ]; then
		mkdir -p "$T/vg" && chmod 1777 "$T/vg"
		T=$T $TTD_WRAPPER "$TTD" -d -v -f "$T/ttd.conf" "$@" >>"$T/ttd.log" 2>&1 &
	else
		"$TTD" -d -v -f "$T/ttd.conf" "$@" >>"$T/ttd.log" 2>&1 &
	fi
	ttd_pid=$!
	i=0
	while ! "$TT" -s "$SOCK" status >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt $ttd_start_ticks ] || ! kill -0 $ttd_pid 2>/dev/null; then
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
	[ -z "${TTD_WRAPPER:-}" ] || ttd_valgrind_clean
}

# Every valgrind log of this test's daemons (those killed included) is
# clean: an exit's "ERROR SUMMARY: 0 errors" (definite leaks count as errors
# under --errors-for-leak-kinds=definite), and no stack trace in the log of
# a daemon killed before it could write a summary.
ttd_valgrind_clean() {
	_ttd_bad=
	for _ttd_f in "$T"/vg/*; do
		[ -e "$_ttd_f" ] || continue
		if grep -q 'ERROR SUMMARY: ' "$_ttd_f"; then
			grep -q 'ERROR SUMMARY: 0 errors' "$_ttd_f" || _ttd_bad="$_ttd_bad $_ttd_f"
		elif grep -Eq '^==[0-9]+== +(at|by) 0x' "$_ttd_f"; then
			_ttd_bad="$_ttd_bad $_ttd_f"
		fi
	done
	is "${_ttd_bad:-none}" none "valgrind: no errors, no definite leaks in trendtrapd"
	for _ttd_f in $_ttd_bad; do
		sed 's/^/#   /' "$_ttd_f" | head -200
	done
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
	limit=$((${3:-10} * 10 * ttd_slow))
	while [ "$(count_log "$1")" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -gt $limit ] && return 1
		sleep 0.1
	done
	return 0
}
