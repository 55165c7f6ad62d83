# t/gen-mem-series.awk - deterministic available-memory histories for replay tests.
#
#   awk -v scenario=NAME [-v days=N] -f t/gen-mem-series.awk > history.csv
#
# One row every 5 minutes: time,available_bytes,total_bytes, on a 16 GiB host.
# Noise comes from a Park-Miller generator (exact in doubles), so every awk
# prints the same file. Scenarios (G = GiB, M = MiB; default 10 days):
#   leak     12 G available, falling 10 M/h (a steady leak)
#   cycle    the same leak plus a +-1 G daily cycle (sine, 24h period): available
#            rises in the first 6 hours of each day and bottoms out at 18h
#   cache    12 G falling 0.5 G/day as the page cache grows; on day 3 the caches
#            are dropped (back to 12 G) and the cache grows again
#   reboot   the leak until day 6, when a reboot frees all but 0.5 G (15.5 G
#            available), then the leak again
#   noise    8 G flat with +-256 M noise
function rnd() { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
function noise(a) { return a * (rnd() + rnd() + rnd() - 1.5) / 1.5 }
BEGIN {
	G = 1073741824; M = 1048576; step = 300; t0 = 1700006400; seed = 42
	pi = atan2(0, -1); total = 16 * G
	if (days == "") days = 10
	print "time,available_bytes,total_bytes"
	for (i = 0; i <= days * 86400 / step; i++) {
		t = i * step; d = t / 86400; h = t / 3600
		if (scenario == "leak") avail = 12 * G - 10 * M * h
		else if (scenario == "cycle") avail = 12 * G - 10 * M * h + G * sin(2 * pi * d)
		else if (scenario == "cache") avail = 12 * G - 0.5 * G * (d < 3 ? d : d - 3)
		else if (scenario == "reboot") avail = d < 6 ? 12 * G - 10 * M * h : 15.5 * G - 10 * M * (h - 144)
		else if (scenario == "noise") avail = 8 * G + noise(256 * M)
		else { print "unknown scenario " scenario > "/dev/stderr"; exit 2 }
		printf "%d,%.0f,%.0f\n", t0 + t, avail, total
	}
}
