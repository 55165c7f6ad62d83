#!/bin/sh
# The README's first contact with trendtrapd, run as written: the shell block
# between <!-- try-trendtrapd --> and <!-- /try-trendtrapd --> in README.md,
# from the top of the built tree, with /tmp/ replaced by this test's
# directory (nothing else changed).  It starts a snmptrapd on
# 127.0.0.1:11162 and trendtrapd in the background, submits three CRITICAL
# and two OK results and sends a test trap.  Asserted: every command of the
# block succeeded, trendtrapd -n said nothing, status shows the service, and
# snmptrapd printed the problem, the recovery with the same event id, and
# the test trap, in that order.
. "$(dirname "$0")/../lib.sh"

block=$(sed -n '/<!-- try-trendtrapd -->/,/<!-- \/try-trendtrapd -->/p' "$TOP/README.md" |
	sed -e '1,/^```sh$/d' -e '/^```$/,$d')
ok '[ -n "$block" ]' "README.md has the try-trendtrapd block"
like "$block" "snmptrapd -f" "the block starts its own snmptrapd"

# The block's own command lines, each stopping the script when it fails
# (bash -e) and traced on stderr (-x) for diagnosis.
printf '%s\n' "$block" | sed "s|/tmp/|$T/|g" >"$T/try.sh"
stop_try() {
	pkill -f "trendtrapd -d -f $T/trendtrapd.conf" 2>/dev/null
	pkill -f "snmptrapd -f -C -c $T/snmptrapd.conf" 2>/dev/null
}
at_exit stop_try

cd "$TOP" || exit 1
bash -e -x "$T/try.sh" >"$T/try.out" 2>"$T/try.err"
rc=$?
is "$rc" 0 "every command of the block succeeded" || sed 's/^/#   /' "$T/try.err"

# What the block printed, once snmptrapd wrote its third trap.
P=iso.3.6.1.4.1.8072.9999.1
i=0
until [ "$(grep -c "$P\.0\.[128]" "$T/try.out")" -ge 3 ] || [ $i -gt 100 ]; do
	i=$((i + 1))
	sleep 0.1
done
stop_try
sleep 0.2

# -n prints nothing on a good config: the line after its trace is the next
# command's.
is "$(sed -n '/trendtrapd -n -f/{n;p;}' "$T/try.err" | cut -c1-2)" "+ " \
	"trendtrapd -n is silent on the README's config"
like "$(cat "$T/try.out")" "web01	disk	CRITICAL" "trendtrap status shows web01 disk CRITICAL"

# The traps, in the order they arrived: the notification OID of each.
traps=$(grep -o "$P\.0\.[0-9]*" "$T/try.out" | sed "s/^$P//" | tr '\n' ' ')
is "$traps" ".0.1 .0.2 .0.8 " "snmptrapd printed the problem, the recovery, the test trap"
problem=$(grep "OID: $P\.0\.1	" "$T/try.out")
recovery=$(grep "OID: $P\.0\.2	" "$T/try.out")
like "$problem" '"web01"' "the problem names the host"
like "$problem" "DISK CRITICAL - / 97%" "and carries the plugin's output"
evid() { printf '%s\n' "$1" | grep -o "$P\.1\.9\.0 = [^	]*"; }
ok '[ -n "$(evid "$problem")" ] && [ "$(evid "$problem")" = "$(evid "$recovery")" ]' \
	"the recovery carries the problem's event id ($(evid "$problem"))"

done_testing
