# t/lib.sh - TAP helpers for the integration tests (sourced).
#
#   ok COND DESC         ok when the shell command COND succeeds
#   is GOT WANT DESC     ok when the strings are equal
#   like GOT REGEX DESC  ok when GOT matches the extended REGEX
#   done_testing         prints the plan; the exit status says whether all passed
# Builds live in the tree: $TOP/plugins, $TOP/trapd. Each test gets a fresh
# temporary directory $T, removed at exit (kept when TEST_KEEP is set).

TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/trendtrap-test.XXXXXX)
tap_n=0
tap_failed=0
tap_cleanup_hooks=""

at_exit() { tap_cleanup_hooks="$1; $tap_cleanup_hooks"; }
tap_cleanup() {
	eval "$tap_cleanup_hooks"
	if [ -n "${TEST_KEEP:-}" ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap tap_cleanup EXIT
trap 'exit 130' INT TERM

tap_result() { # STATUS DESC
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

ok() {
	if eval "$1" >/dev/null 2>&1; then tap_result 0 "$2"; else tap_result 1 "$2"; fi
}

is() {
	if [ "$1" = "$2" ]; then
		tap_result 0 "$3"
	else
		tap_result 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		tap_result 0 "$3"
	else
		tap_result 1 "$3"
		printf '#   got:  %s\n#   want match: %s\n' "$1" "$2"
	fi
}

diag() { printf '# %s\n' "$*"; }

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
