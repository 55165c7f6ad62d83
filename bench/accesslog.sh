#!/bin/sh
# bench/accesslog.sh - how fast lib/accesslog scans an access log.
#
# On a generated 1 GiB combined-format log (deterministic; in /tmp, deleted at
# the end), in one run: the first full scan (t/helpers/logscan, lookback 0)
# against `wc -l` and `grep -c '" 500 '` on the same file, the same scan held
# to one CPU (taskset: no second thread), then an incremental run (a saved
# position) after appending 1 MiB, with /bin/true as the floor of any process.
# Goals: the full scan within 2x of wc -l; the incremental run under 1% of the
# full scan. The page cache holds the file for every command (hyperfine's
# warmup reads it first). Prints a Markdown table for BENCHMARKS.md.
#
# Usage: bench/accesslog.sh [SIZE_MIB]   (from the top of a built tree; default 1024)
set -eu
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-1024}
SCAN=$PWD/t/helpers/logscan
CC=${CC:-cc}
OUT=$(mktemp -d /tmp/trendtrap-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

for tool in hyperfine taskset "$CC" "$SCAN"; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done

# The generator: combined-format lines, 50 per second of log time, ~1% 500s,
# paths, referers and user agents picked by a 64-bit LCG (same file every run).
cat >"$OUT/gen.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N(a) (sizeof(a) / sizeof(a[0]))

int main(int argc, char **argv)
{
	static const char *const path[] = {"/", "/index.html", "/api/v1/items", "/api/v1/items?id=42",
		"/static/app.js", "/static/style.css", "/login", "/search?q=trend+alert",
		"/img/logo.png", "/api/v1/orders/1234"};
	static const char *const ref[] = {"-", "https://example.com/", "https://example.com/search?q=x"};
	static const char *const ua[] = {
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Safari/537.36",
		"curl/7.88.1",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
		"Go-http-client/1.1"};
	unsigned long long size, done = 0, seed, x;
	long long t;

	if (argc != 4)
		return 2;
	size = strtoull(argv[1], NULL, 10);
	t = strtoll(argv[2], NULL, 10);
	seed = strtoull(argv[3], NULL, 10);
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	while (done < size) {
		time_t tt = (time_t)t++;
		struct tm tm;
		char ts[40];

		gmtime_r(&tt, &tm);
		strftime(ts, sizeof(ts), "%d/%b/%Y:%H:%M:%S +0000", &tm);
		for (int i = 0; i < 50 && done < size; i++) {
			unsigned r;
			int st, n;

			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			x = seed >> 24;
			r = (unsigned)(x % 1000);
			st = r < 10 ? 500 : r < 15 ? 503 : r < 40 ? 404 : r < 50 ? 301 : 200;
			n = printf("10.%u.%u.%u - - [%s] \"GET %s HTTP/1.1\" %d %u \"%s\" \"%s\"\n",
				   (unsigned)(x >> 10) % 256, (unsigned)(x >> 18) % 256,
				   (unsigned)(x >> 26) % 256, ts, path[(x >> 3) % N(path)], st,
				   100 + (unsigned)(x >> 5) % 50000, ref[(x >> 7) % N(ref)],
				   ua[(x >> 12) % N(ua)]);
			done += (unsigned long long)n;
		}
	}
	fprintf(stderr, "%lld\n", t);
	return 0;
}
EOF
"$CC" -O2 -o "$OUT/gen" "$OUT/gen.c"

LOG=$OUT/access.log
T0=1795392000 # 23/Nov/2026:00:00:00 +0000
"$OUT/gen" $((SIZE_MIB * 1048576)) $T0 1 >"$LOG" 2>"$OUT/end"
BYTES=$(stat -c %s "$LOG")
LINES=$(wc -l <"$LOG")

FULL="$SCAN --totals --lookback 0 $LOG"
hyperfine -N --output=pipe --warmup 2 --runs 10 --export-json "$OUT/full.json" \
	-n 'wc -l' "wc -l $LOG" -n "grep -c '\" 500 '" "grep -c '\" 500 ' $LOG" \
	-n 'logscan full scan' "$FULL" -n 'logscan full scan, one CPU' "taskset -c 0 $FULL" \
	>"$OUT/full.txt" 2>&1

# Correctness on the same file: every line counted, the 500s as grep finds them.
GREP500=$(grep -c '" 500 ' "$LOG")
TOTAL=$($SCAN --totals --error-status 500 --pos "$OUT/pos" "$LOG" | sed -n 's/^total //p')
cp "$OUT/pos" "$OUT/pos.saved"

# Append 1 MiB later in time; time the run from the saved position.
"$OUT/gen" 1048576 "$(cat "$OUT/end")" 2 >>"$LOG" 2>/dev/null
INC="$SCAN --totals --pos $OUT/pos $LOG"
hyperfine -N --output=pipe --warmup 2 --runs 100 --prepare "cp $OUT/pos.saved $OUT/pos" \
	--export-json "$OUT/inc.json" -n 'logscan incremental (+1 MiB)' "$INC" \
	-n true /bin/true >"$OUT/inc.txt" 2>&1
cp "$OUT/pos.saved" "$OUT/pos"
INCSTATS=$($INC | sed -n 's/^stats //p')

/usr/bin/python3 - "$OUT/full.json" "$OUT/inc.json" "$BYTES" "$LINES" "$TOTAL" "$GREP500" \
	"$INCSTATS" <<'PY'
import json, sys
res = {}
for f in sys.argv[1:3]:
    res.update({r["command"]: r for r in json.load(open(f))["results"]})
cpu = lambda r: r["user"] + r["system"]
wc, scan, inc = res["wc -l"], res["logscan full scan"], res["logscan incremental (+1 MiB)"]
print("File: %.2f GiB, %s lines; logscan counted %s (requests, 500s); grep counted %s 500s."
      % (int(sys.argv[3]) / 2**30, sys.argv[4], sys.argv[5], sys.argv[6]))
print()
print("| command | median wall | mean +- sd | user | system | wall / wc -l | wall / full scan | CPU / full scan |")
print("|---|---|---|---|---|---|---|---|")
for name in ("true", "wc -l", "grep -c '\" 500 '", "logscan full scan", "logscan full scan, one CPU",
             "logscan incremental (+1 MiB)"):
    r = res[name]
    print("| %s | %.1f ms | %.1f +- %.1f ms | %.1f ms | %.1f ms | %.2fx | %.2f%% | %.2f%% |" % (
        name.replace("|", "\\|"), r["median"] * 1e3, r["mean"] * 1e3, r["stddev"] * 1e3,
        r["user"] * 1e3, r["system"] * 1e3, r["median"] / wc["median"],
        100 * r["median"] / scan["median"], 100 * cpu(r) / cpu(scan)))
print()
print("Incremental run: %s." % sys.argv[7])
print("Goals: full scan / wc -l = %.2fx wall (one CPU: %.2fx; goal <= 2x); incremental / full scan"
      " = %.2f%% wall, %.2f%% CPU (goal < 1%%)." % (
          scan["median"] / wc["median"], res["logscan full scan, one CPU"]["median"] / wc["median"],
          100 * inc["median"] / scan["median"], 100 * cpu(inc) / cpu(scan)))
PY
