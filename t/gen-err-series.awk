# t/gen-err-series.awk - deterministic error-rate histories for replay tests.
#
#   awk -v scenario=NAME [-v days=N] -f t/gen-err-series.awk > buckets.csv
#
# One row per 5-minute bucket: time,requests,errors. Noise comes from a
# Park-Miller generator (exact in doubles), so every awk prints the same file.
# Scenarios (default 4 days):
#   creep    1000 requests per bucket; the error ratio rises from 0.5% by
#            0.1 percentage points per hour after a release at day 1
#   growth   traffic grows from 500 to 5000 requests per bucket; the ratio
#            stays at 1%
#   burst    1% errors, but one bucket on day 2 at 12:00 has 30%
#   night    1% by day; from 00:00 to 06:00 only 5 requests per bucket, one
#            of them an error
function rnd() { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
function noisy(x) { return x + (rnd() - 0.5) * 2 * sqrt(x + 1) }
BEGIN {
	step = 300; t0 = 1700006400; seed = 7
	if (days == "") days = 4
	print "time,requests,errors"
	for (i = 0; i < days * 86400 / step; i++) {
		t = i * step; d = t / 86400; h = (t % 86400) / 3600
		req = 1000; ratio = 0.01
		if (scenario == "creep") ratio = 0.005 + (d > 1 ? 0.001 * (t - 86400) / 3600 : 0)
		else if (scenario == "growth") req = 500 + 4500 * d / days
		else if (scenario == "burst") { if (i == 2 * 288 + 144) ratio = 0.30 }
		else if (scenario == "night") { if (h < 6) { req = 5; ratio = 0.2 } }
		else { print "unknown scenario " scenario > "/dev/stderr"; exit 2 }
		if (ratio > 1) ratio = 1
		err = int(noisy(req * ratio) + 0.5)
		if (err < 0) err = 0
		if (err > req) err = req
		printf "%d,%d,%d\n", t0 + t, int(req), err
	}
}
