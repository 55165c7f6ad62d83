# t/lib-replay.sh - replay scenarios for a plugin (sourced after t/lib.sh).
# Set PLUGIN and GEN (the scenario generator, an awk script) first.
#
#   replay SCENARIO [options]   generate $T/SCENARIO.in, replay it into
#                               $T/SCENARIO.out; prints the exit code
#   rows SCENARIO CONDITION     how many output rows match the awk CONDITION
#                               ($1 time, $2 state, $3 value, $4 slope,
#                               $5 time left; d = days since T0)
#   first SCENARIO CONDITION    the day (3 decimals) of the first such row
T0=1700006400
DAY=86400

replay() {
	sc=$1
	shift
	awk -v scenario="$sc" -f "$GEN" >"$T/$sc.in"
	"$PLUGIN" --replay "$T/$sc.in" "$@" >"$T/$sc.out" 2>"$T/$sc.err"
	echo $?
}
rows() {
	awk -F, -v T0=$T0 -v DAY=$DAY "NR > 1 { d = (\$1 - T0) / DAY } NR > 1 && ($2) { n++ } END { print n + 0 }" "$T/$1.out"
}
first() {
	awk -F, -v T0=$T0 -v DAY=$DAY "NR > 1 { d = (\$1 - T0) / DAY } NR > 1 && ($2) { printf \"%.3f\", d; exit }" "$T/$1.out"
}
