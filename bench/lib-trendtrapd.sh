# bench/lib-trendtrapd.sh - start and stop a trendtrapd for a benchmark
# (bench/trapd.sh, bench/mail.sh).  The caller sets OUT (its directory;
# the daemon's config is $OUT/NAME/ttd.conf, its socket $OUT/NAME/sock),
# TTD and TT (the programs).

# start_daemon NAME [WRAPPER...]: sets DPID and SOCK; waits until it answers.
start_daemon() {
	name=$1
	shift
	SOCK=$OUT/$name/sock
	"$@" "$TTD" -d -f "$OUT/$name/ttd.conf" 2>"$OUT/$name/ttd.log" &
	DPID=$!
	i=0
	while ! "$TT" -s "$SOCK" status >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 $DPID 2>/dev/null; then
			echo "bench: trendtrapd did not start:" >&2
			cat "$OUT/$name/ttd.log" >&2
			exit 1
		fi
		sleep 0.1
	done
}
# stop_daemon: SIGTERM, and wait; its pid stays in STOPPED.
stop_daemon() {
	kill -TERM $DPID
	wait $DPID || true
	STOPPED=$DPID
	DPID=""
}
# cpu_ticks PID: user + system CPU time of PID, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
