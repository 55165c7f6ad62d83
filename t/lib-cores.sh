# t/lib-cores.sh - what t/integration/nagios.sh and icinga2.sh share
# (sourced after t/lib.sh).
#
#   install_etc SRC DEST   copy the files of SRC (etc/nagios, etc/icinga2) to
#                          DEST as make install does, with this tree's paths
#                          for @bindir@ and @pkgdatadir@
#   write_access_log FILE REQUESTS ERRORS
#                          REQUESTS combined-format lines from the last
#                          minute, ERRORS of them answered 500
#   wait_until SECONDS CMD  until the shell command CMD succeeds; 1 on timeout
#   nasty_plugin FILE      a plugin that exits 1 with shell and Nagios
#                          metacharacters in its output: the status line
#                          $NASTY, perfdata $NASTY_PERF, a long output line
#                          $NASTY_LONG; running any of it as shell code
#                          would create $T/pwned

install_etc() {
	mkdir -p "$2"
	for f in "$TOP/$1"/*; do
		sed -e "s|@bindir@|$TOP/trapd|g" -e "s|@pkgdatadir@|$T/share|g" "$f" >"$2/${f##*/}"
		[ -x "$f" ] && chmod 755 "$2/${f##*/}"
	done
	return 0
}

write_access_log() {
	ts=$(date -u -d '30 seconds ago' '+%d/%b/%Y:%H:%M:%S +0000')
	i=0
	while [ $i -lt "$2" ]; do
		st=200
		[ $i -lt "$3" ] && st=500
		echo "127.0.0.1 - - [$ts] \"GET /x HTTP/1.1\" $st 12 \"-\" \"curl/7.88.1\""
		i=$((i + 1))
	done >"$1"
}

wait_until() {
	_end=$(($(date +%s) + $1))
	while ! eval "$2" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge $_end ] && return 1
		sleep 0.2
	done
	return 0
}

NASTY="NASTY WARNING - it's \"quoted\" \$(touch $T/pwned) \`touch $T/pwned\` ;& <b> ~x"
NASTY_PERF="'a b'=1;2;3;0;10 'c'=5%"
NASTY_LONG="more: 'it' && \$(touch $T/pwned)"
nasty_plugin() {
	printf '#!/bin/sh\ncat <<'"'"'END'"'"'\n%s|%s\n%s\nEND\nexit 1\n' \
		"$NASTY" "$NASTY_PERF" "$NASTY_LONG" >"$1"
	chmod 755 "$1"
}
