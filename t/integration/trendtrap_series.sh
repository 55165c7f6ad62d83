#!/bin/sh
# trendtrap_series.sh - the trendtrap command-line client against a real state
# directory: import, list, show, export, forget, corrupt files and errors.
# Run from the repository root after building ./trapd/trendtrap; prints TAP.

TT=./trapd/trendtrap
if [ ! -x "$TT" ]; then
	echo "Bail out! $TT is not built (make trapd/trendtrap)"
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tt-cli-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
st="$tmp/state"
n=0
failed=0
unset TRENDTRAP_STATE_DIR

# check DESC COMMAND...: one TAP line, ok when COMMAND succeeds.
check() {
	desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' "$tmp/out" "$tmp/err" 2>/dev/null
		failed=1
	fi
}

# run COMMAND...: capture stdout, stderr and the exit status.
run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# Exit status RC, stdout exactly the rest of the arguments (one per line).
out_is() {
	want_rc=$1
	shift
	[ "$rc" = "$want_rc" ] && [ "$(cat "$tmp/out")" = "$(printf '%s\n' "$@")" ]
}

# Exit status RC and stderr exactly MESSAGE (first line).
err_is() {
	[ "$rc" = "$1" ] && [ "$(head -n 1 "$tmp/err")" = "$2" ]
}

cat >"$tmp/disk.csv" <<'EOF'
# disk usage of /var on web01
time,used_bytes,capacity_bytes
1700000000,100000000,1000000000
1700007200, 3000000.25 ,1000000000
1700003600,200000000,1000000000

1700010800,400000000,1000000000
EOF
printf '1700000000,1,2\n1700000300,1\n' >"$tmp/bad.csv"
T1='2023-11-14T22:13:20Z'
T4='2023-11-15T01:13:20Z'
TAB=$(printf '\t')

echo 1..22

run "$TT" --version
check "--version prints the name and version" sh -c 'grep -qx "trendtrap [0-9][0-9.]*" "$1"' - "$tmp/out"
run "$TT" --help
check "--help documents every command" eval '[ $rc = 0 ] && grep -q "series list" "$tmp/out" &&
	grep -q "series show KEY" "$tmp/out" && grep -q "series export KEY" "$tmp/out" &&
	grep -q "series import KEY \[FILE\]" "$tmp/out" && grep -q "series forget KEY" "$tmp/out"'
run "$TT"
check "no command is a usage error (exit 2)" err_is 2 "trendtrap: missing command"
run "$TT" --state-dir "$st" series frobnicate
check "an unknown command is a usage error" err_is 2 "trendtrap: unknown command 'series frobnicate'"
run "$TT" --state-dir "$st" series show
check "a missing KEY is a usage error" err_is 2 "trendtrap: series show: missing argument"

run "$TT" --state-dir "$st" series import disk/web01/var "$tmp/disk.csv"
check "import reads a CSV file" out_is 0 "imported 4 samples into disk/web01/var"
check "the history file name is the encoded key" test -f "$st/disk%2Fweb01%2Fvar.series"
run "$TT" --state-dir "$st" series export disk/web01/var
check "export prints the samples sorted, as CSV" out_is 0 "time,value,capacity" \
	"1700000000,100000000,1000000000" "1700003600,200000000,1000000000" \
	"1700007200,3000000.25,1000000000" "1700010800,400000000,1000000000"
run "$TT" --state-dir "$st" series list
check "list shows key, count, first and last time" out_is 0 \
	"disk/web01/var${TAB}4${TAB}${T1}${TAB}${T4}"
TRENDTRAP_STATE_DIR="$st" run "$TT" series list
check "TRENDTRAP_STATE_DIR sets the state directory" out_is 0 \
	"disk/web01/var${TAB}4${TAB}${T1}${TAB}${T4}"
run "$TT" --state-dir "$st" series show disk/web01/var
check "show prints a table with percentages and a summary" eval '[ $rc = 0 ] &&
	[ $(wc -l <"$tmp/out") = 6 ] && grep -q "^$T1 .* 100000000 .* 1000000000 .* 10.0%$" "$tmp/out" &&
	tail -n 1 "$tmp/out" | grep -qx "disk/web01/var: 4 samples from $T1 to $T4 (span 3h)"'

printf '1700001800,150000000,1000000000\n' >"$tmp/late.csv"
run sh -c '"$1" --state-dir "$2" series import disk/web01/var - <"$3"' - "$TT" "$st" "$tmp/late.csv"
check "import - reads stdin" out_is 0 "imported 1 samples into disk/web01/var"
run "$TT" --state-dir "$st" series export disk/web01/var
check "an out-of-order import lands in time order" eval '[ $rc = 0 ] &&
	[ "$(sed -n 3p "$tmp/out")" = "1700001800,150000000,1000000000" ] && [ $(wc -l <"$tmp/out") = 6 ]'

run "$TT" --state-dir "$st" series import disk/web01/var "$tmp/bad.csv"
check "a bad CSV line is reported as FILE:LINE and nothing is added" eval \
	'err_is 1 "trendtrap: $tmp/bad.csv:2: expected 3 fields, got 2" &&
	[ $("$TT" --state-dir "$st" series export disk/web01/var | wc -l) = 6 ]'

"$TT" --state-dir "$st" series export disk/web01/var >"$tmp/exported.csv"
"$TT" --state-dir "$st" series import copy "$tmp/exported.csv" >/dev/null
run "$TT" --state-dir "$st" series export copy
check "export then import round-trips" cmp -s "$tmp/out" "$tmp/exported.csv"

run "$TT" --state-dir "$st" series show nope
check "show of an unknown key is an error (exit 1)" err_is 1 "trendtrap: no series 'nope' in $st"
run "$TT" --state-dir "$st" series forget copy
check "forget deletes the series" eval '[ $rc = 0 ] && [ ! -e "$st/copy.series" ] &&
	[ "$("$TT" --state-dir "$st" series list | cut -f 1)" = disk/web01/var ]'
run "$TT" --state-dir "$st" series forget copy
check "forget of an unknown key is an error" err_is 1 "trendtrap: no series 'copy' in $st"

printf 'this is not a history file, not at all; it is garbage......................\n' \
	>"$st/junk.series"
run "$TT" --state-dir "$st" series export junk
check "reading a corrupt file is an error naming it" eval '[ $rc = 1 ] &&
	grep -q "^trendtrap: history file $st/junk.series is corrupt (bad magic" "$tmp/err"'
run "$TT" --state-dir "$st" series import junk "$tmp/late.csv"
check "import moves a corrupt file aside with a notice" eval '[ $rc = 0 ] &&
	grep -q "^trendtrap: history file .* is corrupt (.*); moved to $st/junk.series.corrupt-[0-9]*, starting a new history$" "$tmp/err" &&
	ls "$st" | grep -q "^junk.series.corrupt-" &&
	[ "$("$TT" --state-dir "$st" series export junk | wc -l)" = 2 ]'

: >"$tmp/plain"
run "$TT" --state-dir "$tmp/plain" series list
check "a state dir that is not a directory is an error" err_is 1 \
	"trendtrap: state directory $tmp/plain is not a directory"
run "$TT" --state-dir "$tmp/empty" series list
check "list of a new, empty state dir prints nothing" eval '[ $rc = 0 ] && [ ! -s "$tmp/out" ] && [ -d "$tmp/empty" ]'

exit $failed
