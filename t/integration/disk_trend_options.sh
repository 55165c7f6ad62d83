#!/bin/sh
# check_disk_trend's command line: the plugin contract for bad input, help and version.
. "$(dirname "$0")/../lib.sh"

PLUGIN=$TOP/plugins/check_disk_trend
run() { OUT=$("$PLUGIN" --state-dir "$T/state" -p / "$@" 2>&1); RC=$?; }

# every bad threshold: UNKNOWN, one line, naming the option and the problem
for bad in "2:1" "" "nan" "inf" "10::20" "10x" "~:" "@" "1e3" "0x10" "10:20abc" "80MiB"; do
	run -w "$bad"
	is "$RC" 3 "-w '$bad' is UNKNOWN"
	is "$(printf '%s\n' "$OUT" | wc -l)" 1 "-w '$bad' gives one line"
	like "$OUT" "^DISK_TREND UNKNOWN - -w/--warning '$bad': " "-w '$bad' names the option and value"
done
# outside text in a message cannot add a line or start perfdata
run -w "$(printf '1\n2|x=3')"
is "$(printf '%s\n' "$OUT" | wc -l)" 1 "a newline in an argument does not split the output"
ok "! printf '%s' \"\$OUT\" | grep -q '|'" "a '|' in an argument cannot start perfdata"
run -c "5:1"
like "$OUT" "^DISK_TREND UNKNOWN - -c/--critical '5:1': .*greater" "a reversed critical range says why"

for opt in "--window=0" "--window=7x" "--warn-time-left=-1d" "--min-samples=1" "--min-samples=x" \
	"--estimator=mean" "--insufficient=maybe" "--timeout-state=bad" "-t 0" "--full-at=150%" \
	"--full-at=lots"; do
	run $opt
	is "$RC" 3 "$opt is UNKNOWN"
	is "$(printf '%s\n' "$OUT" | wc -l)" 1 "$opt gives one line"
done
run --no-such-option
is "$RC" 3 "an unknown option is UNKNOWN"
like "$OUT" "unknown option --no-such-option" "and is named"
run -w
is "$RC" 3 "a missing value is UNKNOWN"
run extra-argument
like "$OUT" "unexpected argument 'extra-argument'" "a stray argument is named"
OUT=$("$PLUGIN" --state-dir "$T/state" -p / -p /tmp --state-key mykey 2>&1)
is "$?" 3 "--state-key with two filesystems is refused"
OUT=$("$PLUGIN" -p /no/such/path --state-dir "$T/state" 2>&1)
is "$?" 3 "a path that does not exist is UNKNOWN"
like "$OUT" "/no/such/path: No such file or directory" "and says why"
OUT=$(TRENDTRAP_NOW=yesterday "$PLUGIN" -p / --state-dir "$T/state" 2>&1)
is "$?" 3 "a bad TRENDTRAP_NOW is UNKNOWN"

OUT=$("$PLUGIN" --help)
is "$?" 0 "--help exits 0"
like "$OUT" "Examples:" "--help has examples"
like "$OUT" "--warn-time-left" "--help documents the trend thresholds"
OUT=$("$PLUGIN" -V)
is "$?" 0 "-V exits 0"
like "$OUT" "^check_disk_trend \\(trendtrap [0-9]" "-V prints the version"

# --all on this machine: the real filesystems, no pseudo ones
OUT=$("$PLUGIN" --all -v --state-dir "$T/state" 2>&1)
ok "[ $? -le 2 ]" "--all gives a state"
like "$OUT" "'/'=[0-9]+B" "--all includes / in the perfdata"
ok "! printf '%s' \"\$OUT\" | grep -Eq \"'/(proc|sys|dev/shm)'=\"" "--all skips proc, sysfs and tmpfs"
# perfdata syntax: every item 'label'=value[UOM];warn;crit;min;max
perfs=$(printf '%s\n' "$OUT" | head -n 1 | sed 's/^[^|]*| //')
bad=$(printf '%s\n' "$perfs" | sed "s/'[^']*'=[-0-9.U]*[a-zA-Z%]*\(;[-~@0-9.:]*\)\{0,4\}//g" | tr -d ' ')
is "$bad" "" "all perfdata items follow the guidelines' syntax"

done_testing
