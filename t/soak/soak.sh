#!/bin/sh
# t/soak/soak.sh - trendtrapd under a steady load for SOAK_SECONDS (default
# 300; make soak), TAP output.  Not part of make check: it takes minutes.
#
# A feeder (t/soak/feeder.py) submits SOAK_RATE results a second (default
# 200) for SOAK_SERVICES services (default 3000), some of them problems that
# come and go, some flapping, every output unique.  Every notification goes
# to three channels: SNMPv2c informs to a real snmptrapd (udp 11192), mail to
# smtp_sink.py (2591) and SMS to sms_sink.py (8191); each of the three
# servers is taken down and brought back several times while results keep
# coming.  The daemon's VmRSS is sampled every SOAK_SAMPLE seconds (default
# 2).  Once the feeder is done and the outboxes have drained, it asserts:
#
#  - memory is constant after warm-up: the lowest RSS of the run's last
#    sixth is at most SOAK_RSS_MARGIN KiB (default 256) above the lowest of
#    its fourth sixth (right after the warm-up third: every service created,
#    every server gone and back once, the heap's arenas at their working
#    size).  Lowest, because RSS rises for a few seconds after an outage
#    (several hundred KiB when some hundred informs go at once) and falls
#    back: the floor of a stretch of time is what the daemon keeps, and a
#    leak raises it by B bytes x SOAK_RATE x the time in between (at the
#    defaults any leak per result, 32 bytes at least, adds some 900 KiB);
#  - nothing was lost: for each destination the receiver got every
#    notification the daemon counts as delivered, and nothing else (distinct
#    notifications, told apart by their unique outputs); delivered + pending
#    + dead adds up to what the daemon's log says it queued, and nothing is
#    pending or dead;
#  - a notification arrived twice at most for a message in flight when its
#    server went down (the daemon cannot know whether it got there): at most
#    one per outage for mail and sms (one message in flight), and for the
#    informs at most SOAK_SNMP_DUPS (default 5) per outage;
#  - trendtrapd stops cleanly.  SOAK_VALGRIND=1 runs it under valgrind
#    (TTD_WRAPPER, t/lib-trendtrapd.sh): then also no memory error and no
#    definite leak after the whole run; the RSS, then valgrind's, is only
#    reported.
#
# The daemon's log, the RSS samples ($T/rss: seconds KiB) and what arrived
# are kept with TEST_KEEP=1.
. "$(dirname "$0")/../lib.sh"
if [ -n "${SOAK_VALGRIND:-}" ] && [ -z "${TTD_WRAPPER:-}" ]; then
	TTD_WRAPPER="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
	TTD_WRAPPER="$TTD_WRAPPER --num-callers=30 --suppressions=$TOP/t/valgrind.supp --log-file=%q{T}/vg/%p"
fi
TRAPD_PORT=${SOAK_TRAPD_PORT:-11192}
. "$TOP/t/lib-snmptrapd.sh"
. "$TOP/t/lib-trendtrapd.sh"

PY=/usr/bin/python3
S=${SOAK_SECONDS:-300}
RATE=${SOAK_RATE:-200}
SERVICES=${SOAK_SERVICES:-3000}
SAMPLE=${SOAK_SAMPLE:-2}
MARGIN=${SOAK_RSS_MARGIN:-256}
SNMP_DUPS=${SOAK_SNMP_DUPS:-5}
P_SMTP=${SOAK_SMTP_PORT:-2591}
P_SMS=${SOAK_SMS_PORT:-8191}

# ---- the receivers ------------------------------------------------------------------
. "$TOP/t/lib-sinks.sh"
trapd_runs=0
trapd_stop() {
	kill "$trapd_pid" 2>/dev/null
	wait "$trapd_pid" 2>/dev/null
	trapd_runs=$((trapd_runs + 1))
	mv "$TRAPD_LOG" "$T/trapd/traps.$trapd_runs.log" # a restarted snmptrapd starts a new log
}
trapd_start() { . "$TOP/t/lib-snmptrapd.sh"; }
smtp_start
sms_start

# ---- the daemon -----------------------------------------------------------------------
mkdir -p "$T/secrets"
printf 'trapcomm\n' >"$T/secrets/community"
chmod 600 "$T/secrets/community"
ttd_config "
defaults { sustain_count = 1  recover_count = 1  renotify = \"0\"  stale_after = \"never\" }
channel \"traps\" { type = \"snmp\"  sink = {\"udp:$TRAPD_ADDR\"}  version = \"2c\"  inform = true
                  community_file = \"$T/secrets/community\"  max_age = \"1d\" }
channel \"mail\" { type = \"mail\"  url = \"smtp://127.0.0.1:$P_SMTP\"  tls = \"none\"
                 from = \"trendtrap@example.org\"  to = {\"ops@example.org\"}  max_age = \"1d\" }
channel \"sms\" { type = \"sms\"  provider = \"http\"  url = \"http://127.0.0.1:$P_SMS/send\"
                to = {\"+4915112345678\"}  max_age = \"1d\"
                body = '{\"to\":\"{to}\",\"text\":\"{text}\",\"kind\":\"{kind}\",\"id\":\"{id}\",\"state\":\"{state}\"}' }
route { channels = {\"traps\", \"mail\", \"sms\"} }
"
ttd_start || exit 1
diag "soak: $S s, $SERVICES services, $RATE results/s, RSS every $SAMPLE s${TTD_WRAPPER:+, under $TTD_WRAPPER}"

t0=$(date +%s)
elapsed() { echo $(($(date +%s) - t0)); }
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$ttd_pid/status" 2>/dev/null; }

# RSS samples while the feeder runs: "SECONDS KIB".
(
	while [ "$(elapsed)" -lt "$S" ] && kill -0 "$ttd_pid" 2>/dev/null; do
		echo "$(elapsed) $(rss)"
		sleep "$SAMPLE"
	done
) >"$T/rss" &
sampler=$!

"$PY" "$TOP/t/soak/feeder.py" --seconds "$S" --services "$SERVICES" --rate "$RATE" 2>"$T/feeder.err" |
	"$TT" -s "$SOCK" --timeout 120 -v submit - >"$T/submit.out" 2>&1 &
feeder=$!
at_exit "kill $feeder 2>/dev/null"

# ---- outages ------------------------------------------------------------------------------
# Each third of the run has ROUNDS rounds (one per 300 s of run, at least one)
# of three outages, snmptrapd, smtp_sink, sms_sink in turn, each for half a
# slot: the first third (the warm-up) sees every server go and come back,
# and the other two see the same outages.
third=$((S / 3))
ROUNDS=$((S / 300))
[ "$ROUNDS" -ge 1 ] || ROUNDS=1
SLOT=$((third / (3 * ROUNDS)))
down_snmp=0 down_mail=0 down_sms=0
k=0
while [ $k -lt $((9 * ROUNDS)) ]; do
	at=$(((k / (3 * ROUNDS)) * third + (k % (3 * ROUNDS)) * SLOT + SLOT / 2))
	while [ "$(elapsed)" -lt $at ]; do sleep 0.2; done
	case $((k % 3)) in
	0) trapd_stop; down_snmp=$((down_snmp + 1)); what=snmptrapd ;;
	1) smtp_stop; down_mail=$((down_mail + 1)); what=smtp_sink ;;
	2) sms_stop; down_sms=$((down_sms + 1)); what=sms_sink ;;
	esac
	diag "$(elapsed) s: $what down (RSS $(rss) KiB)"
	while [ "$(elapsed)" -lt $((at + SLOT / 2)) ]; do sleep 0.2; done
	case $((k % 3)) in
	0) trapd_start ;;
	1) smtp_start ;;
	2) sms_start ;;
	esac
	diag "$(elapsed) s: $what up"
	k=$((k + 1))
done

wait $feeder
rc=$?
wait $sampler
is "$rc" 0 "the feeder's results were all accepted"
lines=$(sed -n 's/^lines //p' "$T/feeder.err")
like "$(cat "$T/submit.out")" "^accepted $lines\$" "trendtrapd took every line ($lines)"

# ---- drained: nothing pending, nothing in flight -----------------------------------------
# dests: "KEY PENDING INFLIGHT DELIVERED DEAD" for each destination
dests() {
	tt status | awk -F'\t' '/^(traps|mail|sms):0 / { split($1, k, " "); print k[1], $4, $5, $6, $7 }'
}
i=0
while dests | awk '$2 != 0 || $3 != 0 { busy = 1 } END { exit !busy }'; do
	i=$((i + 1))
	[ $i -gt 600 ] && break
	sleep 0.5
done
ok '! dests | awk "\$2 != 0 || \$3 != 0 { busy = 1 } END { exit !busy }"' \
	"the outboxes drained ($(($(elapsed) - S)) s after the feeder stopped)"
sleep 2 # the last answers reach the receivers' logs
dests >"$T/dests"
diag "destination pending in-flight delivered dead:"
sed 's/^/#   /' "$T/dests"

# ---- what arrived: one identity per line (duplicates kept) --------------------------------
# traps: the varbinds without sysUpTime (a message sent again is a new PDU)
awk '
	/^TRAP\|/ { rec = $0; on = 1 }
	!/^TRAP\|/ && on { rec = rec $0 }
	on && /\|END$/ {
		on = 0
		n = split(rec, f, "\t")
		id = ""
		for (i = 2; i <= n; i++)
			id = id "\t" f[i]
		print id
	}
' "$T"/trapd/traps*.log >"$T/got.traps"
# mail: the subject and the outputs (#N) in the message
"$PY" -c 'import glob, re, sys
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = open(f, "rb").read().decode("utf-8", "replace")
    s = re.search(r"^Subject:.*$", m, re.M)
    print(s.group(0) if s else "", " ".join(re.findall(r"#[0-9]+", m)))' "$T/mail/new" >"$T/got.mail"
# sms: the text, with the kind, state and event id (the body set above)
"$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    b = json.loads(json.loads(l)["body"])
    print(b["kind"], b["state"], b["id"], b["text"].replace("\n", " "))' "$T/sms.jsonl" >"$T/got.sms"

queued=$(grep -Eo ': [0-9]+ queued' "$T/ttd.log" | awk '{ s += $2 } END { print s + 0 }')
sum=$(awk '{ s += $2 + $3 + $4 + $5 } END { print s + 0 }' "$T/dests")
is "$sum" "$queued" "delivered + pending + dead adds up to what was queued ($queued)"

for kind in traps mail sms; do
	set -- $(grep "^$kind:0 " "$T/dests")
	pending=$2 inflight=$3 delivered=$4 dead=$5
	got=$(wc -l <"$T/got.$kind" | tr -d ' ')
	distinct=$(sort -u "$T/got.$kind" | wc -l | tr -d ' ')
	case $kind in
	traps) outages=$down_snmp per=$SNMP_DUPS ;;
	mail) outages=$down_mail per=1 ;;
	sms) outages=$down_sms per=1 ;;
	esac
	diag "$kind: delivered $delivered, arrived $got ($distinct distinct), $outages outages"
	is "$pending $inflight $dead" "0 0 0" "$kind: nothing pending, nothing in flight, no dead letter"
	is "$distinct" "$delivered" "$kind: every notification delivered arrived ($delivered), nothing else"
	ok "[ $((got - distinct)) -le $((outages * per)) ]" \
		"$kind: $((got - distinct)) arrived twice, at most $per per outage ($outages)"
done
ok '[ "$queued" -ge $((S * 2)) ]' "a steady stream of notifications: $queued in $S s"
is "$(count_log 'not in flight')" 0 "no outcome was reported for a message not in flight"

# ---- memory --------------------------------------------------------------------------------
# floor FROM TO: the lowest RSS of the samples FROM <= seconds < TO
floor() {
	awk -v a="$1" -v b="$2" '$1 >= a && $1 < b && (m == "" || $2 < m) { m = $2 } END { print m + 0 }' "$T/rss"
}
early=$(floor $((S / 3)) $((S / 2)))
late=$(floor $((S - S / 6)) $((S + 1)))
nsamples=$(wc -l <"$T/rss" | tr -d ' ')
diag "RSS (KiB), $nsamples samples every $SAMPLE s, lowest and highest in each tenth of the run:"
awk -v w=$((S / 10 > SAMPLE ? S / 10 : SAMPLE)) '
	{ b = int($1 / w); if ($2 > hi[b]) hi[b] = $2; if (!(b in lo) || $2 < lo[b]) lo[b] = $2
	  if (b > nb) nb = b }
	END { for (i = 0; i <= nb; i++) printf "#   %4d-%4d s: %d %d\n", i * w, (i + 1) * w, lo[i], hi[i] }' "$T/rss"
if [ -n "${TTD_WRAPPER:-}" ]; then
	# memcheck holds freed blocks back (to catch a use after free) and keeps
	# translating code: its RSS grows by design.  Its leak check stands in.
	tap_result 0 "memory (lowest of the last sixth $late KiB, of the fourth $early) # SKIP under a wrapper"
else
	ok '[ "$nsamples" -ge 9 ] && [ "$late" -gt 0 ] && [ "$late" -le $((early + MARGIN)) ]' \
		"memory is constant after warm-up: lowest RSS of the last sixth $late KiB, of the fourth $early (+ $MARGIN at most)"
fi

ttd_stop
done_testing
