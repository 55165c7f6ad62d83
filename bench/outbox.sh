#!/bin/sh
# bench/outbox.sh - what trendtrapd's outbox costs per notification.
#
# The daemon's pattern with group commit: N notifications (400-byte payloads,
# about a notice's size) added in batches of BATCH with one outbox_sync per
# batch, then taken with outbox_due, delivered (outbox_done) and synced batch
# by batch.  Also: outbox_open with the N pending (replay of the journal).
# Runs on a real disk: DIR defaults to /var/tmp (not tmpfs, where an fsync
# costs nothing); the journal is deleted at the end.  Prints one line per run
# and the median.  Goal: 10,000 notifications well under 1.6 s in all, i.e.
# 50x faster than 10,000 runs of snmptrap (~8 ms each); ideally ~0.1 ms or
# less per notification.
#
# Usage: bench/outbox.sh [N [BATCH [RUNS]]]   (from the top of the source tree;
#        default 10000 100 5; BENCH_DIR=/some/disk to choose the file system)
set -eu
cd "$(dirname "$0")/.."
N=${1:-10000}
BATCH=${2:-100}
RUNS=${3:-5}
CC=${CC:-cc}
OUT=$(mktemp -d "${BENCH_DIR:-/var/tmp}/trendtrap-bench-outbox.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

fs=$(stat -f -c %T "$OUT")
case $fs in
tmpfs | ramfs) echo "bench: $OUT is on $fs: fsync costs nothing there" >&2 ;;
esac

cat >"$OUT/bench.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "outbox.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#define FAIL(what) do { fprintf(stderr, "bench: %s: %s\n", what, err); return 1; } while (0)

int main(int argc, char **argv)
{
	const char *dir = argv[1];
	size_t n = strtoul(argv[2], NULL, 10), batch = strtoul(argv[3], NULL, 10), k;
	struct outbox_item **due = calloc(batch, sizeof *due);
	struct outbox *o;
	char err[256], payload[400];
	double t0, t1, t2, t3, t4;

	(void)argc;
	memset(payload, 'x', sizeof payload);
	if (outbox_open(dir, &o, err, sizeof err) != 0)
		FAIL("open");
	t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		if (outbox_add(o, "snmp", payload, sizeof payload, 1700000000, NULL, 0, err,
		               sizeof err) != 0)
			FAIL("add");
		if ((i + 1) % batch == 0 || i + 1 == n)
			if (outbox_sync(o, err, sizeof err) != 0)
				FAIL("sync");
	}
	t1 = now_s();
	outbox_close(o);
	t2 = now_s();
	if (outbox_open(dir, &o, err, sizeof err) != 0)
		FAIL("reopen");
	t3 = now_s();
	while ((k = outbox_due(o, 1700000000, due, batch)) > 0) {
		for (size_t i = 0; i < k; i++)
			if (outbox_done(o, due[i]->id, err, sizeof err) != 0)
				FAIL("done");
		if (outbox_sync(o, err, sizeof err) != 0)
			FAIL("sync");
	}
	t4 = now_s();
	if (outbox_count(o) != 0)
		FAIL("left over");
	outbox_close(o);
	printf("add+sync %.1f us/notification, done+sync %.1f us/notification, "
	       "total %.1f us/notification = %.0f ms for %zu; open with %zu pending %.1f ms\n",
	       (t1 - t0) / n * 1e6, (t4 - t3) / n * 1e6, (t1 - t0 + t4 - t3) / n * 1e6,
	       (t1 - t0 + t4 - t3) * 1e3, n, n, (t3 - t2) * 1e3);
	return 0;
}
EOF
$CC -std=c11 -D_GNU_SOURCE -O2 -Ilib -Itrapd -o "$OUT/bench" "$OUT/bench.c" trapd/outbox.c \
	lib/atomicfile.c lib/errbuf.c -lm

echo "# outbox: $N notifications, batches of $BATCH, on $fs ($OUT)"
i=0
while [ "$i" -lt "$RUNS" ]; do
	rm -rf "$OUT/ob"
	"$OUT/bench" "$OUT/ob" "$N" "$BATCH" | tee -a "$OUT/runs"
	i=$((i + 1))
done
sort -t' ' -k11,11n "$OUT/runs" | awk -v n="$RUNS" 'NR == int((n + 1) / 2) {
	print "median (by total): " $0 }'
