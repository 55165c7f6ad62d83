# t/gen-series.awk - deterministic disk-usage histories for replay tests.
#
#   awk -v scenario=NAME [-v days=N] -f t/gen-series.awk > history.csv
#
# One row every 5 minutes: time,used_bytes,capacity_bytes. Noise comes from a
# Park-Miller generator (exact in doubles), so every awk prints the same file.
# Scenarios (G = GiB, capacity 100 G unless said):
#   steady      70 G growing 2 G/day
#   sawtooth    60 G rising 8 G through each day, rotated back every midnight
#   stopped     sawtooth for 7 days, then the rotation stops deleting
#   cleanup     50 G growing 1 G/day; on day 5 a cleanup frees 20 G
#   resize      90 G growing 1 G/day; on day 3 the disk grows to 200 G
#   noise       50 G flat with +-0.5 G noise
#   step        70 G flat; on day 4 a one-off copy adds 20 G, then flat
function rnd() { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
function noise(a) { return a * (rnd() + rnd() + rnd() - 1.5) / 1.5 }
BEGIN {
	G = 1073741824; step = 300; t0 = 1700006400; seed = 42
	if (days == "") days = 14
	print "time,used_bytes,capacity_bytes"
	for (i = 0; i <= days * 86400 / step; i++) {
		t = i * step; d = t / 86400; cap = 100 * G
		if (scenario == "steady") used = 70 * G + 2 * G * d
		else if (scenario == "sawtooth") used = 60 * G + 8 * G * (d - int(d))
		else if (scenario == "stopped") used = (d < 7) ? 60 * G + 8 * G * (d - int(d)) : 60 * G + 8 * G * (d - 7)
		else if (scenario == "cleanup") used = 50 * G + G * d - (d >= 5 ? 20 * G : 0)
		else if (scenario == "resize") { used = 90 * G + G * d; if (d >= 3) cap = 200 * G }
		else if (scenario == "noise") used = 50 * G + noise(0.5 * G)
		else if (scenario == "step") used = 70 * G + (d >= 4 ? 20 * G : 0)
		else { print "unknown scenario " scenario > "/dev/stderr"; exit 2 }
		printf "%d,%.0f,%.0f\n", t0 + t, used, cap
	}
}
