#!/bin/sh
# trendtrapd's e-mail and SMS channels end to end, against a real SMTP server
# (aiosmtpd with STARTTLS and AUTH) and an SMS gateway stand-in on 127.0.0.1:
# a problem and its recovery arrive, threaded; with the SMTP server down,
# problems arise and recover, and once it is back every message arrives, in
# order, once; a kill -9 with mail and SMS pending loses nothing; a burst of
# 500 problems through a rate limit arrives as a few messages and a digest
# that together name all 500; a gateway's 429 with Retry-After is honoured.
. "$(dirname "$0")/../lib.sh"
. "$TOP/t/lib-trendtrapd.sh"

PY=/usr/bin/python3
P_SMTP=2541
P_SMS=8091
mkdir -p "$T/secrets"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T/sink.key" -out "$T/sink.pem" 2>/dev/null || {
	echo "Bail out! openssl could not make a certificate"
	exit 1
}
printf 'alice:s3cret\n' >"$T/secrets/users"
printf 's3cret\n' >"$T/secrets/pw"
chmod 600 "$T/secrets/users" "$T/secrets/pw"

. "$TOP/t/lib-sinks.sh"
smtp_up() { smtp_start --tls-cert "$T/sink.pem" --tls-key "$T/sink.key" --auth-file "$T/secrets/users"; }
sms_up() { sms_start --control "$T/sms.ctl"; }
: >"$T/sms.ctl"
smtp_up
sms_up

MAILCH='type = "mail"  url = "smtp://127.0.0.1:'$P_SMTP'"  from = "trendtrap@example.org"
        user = "alice"  password_file = "'$T/secrets/pw'"  ca_file = "'$T/sink.pem'"'
ttd_config "
defaults { sustain_count = 1  recover_count = 1  renotify = \"0\"  flap_high = 0  flap_low = 0
           stale_after = \"never\" }
channel \"mail\" { $MAILCH  to = {\"ops@example.org\"} }
channel \"digest\" { $MAILCH  to = {\"oncall@example.org\"}  rate_limit = \"5/1h\" }
channel \"grouped\" { $MAILCH  to = {\"team@example.org\"}  group_wait = \"2s\" }
channel \"sms\" { type = \"sms\"  provider = \"http\"  url = \"http://127.0.0.1:$P_SMS/send\"
                to = {\"+4915112345678\"} }
route { match_service = \"disk*\"  channels = {\"mail\", \"sms\"} }
route { match_service = \"burst*\"  channels = {\"digest\"} }
route { match_service = \"grp*\"  channels = {\"grouped\"} }
"
ttd_start || exit 1

# mails [RCPT]: the received messages' files, in arrival order
mails() { ls "$T/mail/new/" 2>/dev/null | sed "s|^|$T/mail/new/|"; }
nmail() { mails | wc -l | tr -d ' '; }
# hdr FILE NAME: a header's value, decoded (RFC 2047)
hdr() {
	"$PY" -c 'import sys, email, email.policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m[sys.argv[2]] or "")' "$1" "$2"
}
body() {
	"$PY" -c 'import sys, email, email.policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m.get_body().get_content())' "$1"
}
wait_mail() { # N [SECS]
	i=0
	while [ "$(nmail)" -lt "$1" ]; do
		i=$((i + 1))
		[ $i -gt $((${2:-10} * 10)) ] && return 1
		sleep 0.1
	done
}
nsms() { grep -c . "$T/sms.jsonl" 2>/dev/null || echo 0; }
wait_sms() { # N [SECS]
	i=0
	while [ "$(nsms)" -lt "$1" ]; do
		i=$((i + 1))
		[ $i -gt $((${2:-10} * 10)) ] && return 1
		sleep 0.1
	done
}
sms_texts() { "$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("status", 201) < 300: print(json.loads(r["body"])["text"])' "$T/sms.jsonl"; }

# ---- a problem and its recovery, by mail (threaded) and SMS --------------------
submit web01 disk1 2 "DISK CRITICAL - / 97%|'/'=97%;80;90"
wait_mail 1
wait_sms 1
m1=$(mails | tail -1)
like "$(hdr "$m1" Subject)" '^\[CRITICAL\] web01 disk1' "the problem mail's subject"
is "$(hdr "$m1" To)" "ops@example.org" "to the configured recipient"
like "$(body "$m1")" "DISK CRITICAL - / 97%" "its body carries the plugin output"
like "$(body "$m1")" "trendtrap silence add 'web01/disk1'" "and how to silence it"
like "$(sms_texts | tail -1)" "CRITICAL web01 disk1" "the SMS says what and where"
submit web01 disk1 0 "DISK OK - / 40%"
wait_mail 2
m2=$(mails | tail -1)
like "$(hdr "$m2" Subject)" '^\[RECOVERY\] web01 disk1' "the recovery mail"
is "$(hdr "$m2" In-Reply-To)" "$(hdr "$m1" Message-ID)" "threads under the problem mail"

# ---- SMTP server down: problems arise and recover; back up: all arrive once -----
smtp_stop
before=$(nmail)
submit web01 disk2 2 "DISK2 CRITICAL"
submit web01 disk2 0 "DISK2 OK"
submit web01 disk3 1 "DISK3 WARNING"
wait_log "mail:0: .*will retry" 1 15
ok 'tt status | grep -Eq "^mail:0 .*failing"' "status shows the mail destination failing"
smtp_up
wait_mail $((before + 3)) 30
sleep 1
subjects=$(for f in $(mails | tail -n +$((before + 1))); do hdr "$f" Subject | cut -d' ' -f1-3; done | tr '\n' '|')
is "$subjects" "[CRITICAL] web01 disk2|[RECOVERY] web01 disk2|[WARNING] web01 disk3|" \
	"once the server is back: every message, in order, once"

# ---- kill -9 with mail and SMS pending: nothing lost -------------------------
smtp_stop
sms_stop
mb=$(nmail)
sb=$(nsms)
submit web02 disk4 2 "DISK4 CRITICAL"
wait_log "sms:0: .*will retry" 1 15
ttd_kill
smtp_up
sms_up
ttd_start || exit 1
wait_mail $((mb + 1)) 30
wait_sms $((sb + 1)) 30
sleep 1
n=$(for f in $(mails | tail -n +$((mb + 1))); do hdr "$f" Subject; done | grep -c "web02 disk4")
ok '[ "$n" -ge 1 ] && [ "$n" -le 2 ]' "after kill -9 and a restart the pending mail arrives ($n times)"
n=$(sms_texts | grep -c "web02 disk4")
ok '[ "$n" -ge 1 ] && [ "$n" -le 2 ]' "and so does the pending SMS ($n times)"

# ---- order: problems and recoveries queued together arrive in order -----------
mb=$(nmail)
awk 'BEGIN { for (i = 1; i <= 20; i++)
	printf "PROCESS_SERVICE_CHECK_RESULT;web06;disk-o%d;2;O%d CRITICAL\nPROCESS_SERVICE_CHECK_RESULT;web06;disk-o%d;0;O%d OK\n", i, i, i, i }' |
	tt submit -
wait_mail $((mb + 40)) 30
bad=0
for i in $(seq 1 20); do
	order=$(for f in $(mails | tail -n +$((mb + 1))); do hdr "$f" Subject; done |
		grep "web06 disk-o$i\b" | cut -d' ' -f1 | tr '\n' ' ')
	[ "$order" = "[CRITICAL] [RECOVERY] " ] || bad=$((bad + 1))
done
is "$bad" 0 "20 problems with their recoveries: each recovery arrives after its problem"

# ---- a burst of 500 problems through rate_limit 5/1h --------------------------
mb=$(nmail)
awk 'BEGIN { for (i = 1; i <= 500; i++) printf "PROCESS_SERVICE_CHECK_RESULT;web03;burst%d;2;BURST%d CRITICAL\n", i, i }' |
	tt submit -
wait_log "digest:0: .*delivered \([0-9]+ notifications\)" 1 30
sleep 2
msgs=$(mails | tail -n +$((mb + 1)))
set -- $msgs
ok '[ $# -le 5 ]' "500 problems at 5 per hour: $# messages"
names=$(for f in $msgs; do body "$f"; done | grep -Eo 'burst[0-9]+' | sort -u | wc -l | tr -d ' ')
is "$names" 500 "which together name all 500"
like "$(for f in $msgs; do hdr "$f" Subject; done | tail -1)" "notifications" "the last one is a digest"

# ---- group_wait: problems that start close together go as one message ------------
mb=$(nmail)
for i in 1 2 3; do submit web05 grp$i 2 "GRP$i CRITICAL"; sleep 0.3; done
wait_log "grouped:0: .*delivered \(3 notifications\)" 1 10
sleep 0.5
is "$(($(nmail) - mb))" 1 "three problems within group_wait: one message"
g=$(mails | tail -1)
is "$(for n in 1 2 3; do body "$g" | grep -c "grp$n"; done | tr '\n' ' ')" "1 1 1 " "naming each of them"
is "$(hdr "$g" To)" "team@example.org" "to the group's recipient"

# ---- SMS gateway: 429 with Retry-After is honoured ----------------------------
sb=$(nsms)
echo "429 2" >"$T/sms.ctl"
submit web04 disk5 2 "DISK5 CRITICAL"
wait_log "sms:0: .*will retry: .*429" 1 10
wait_sms $((sb + 2)) 15
like "$(sms_texts | tail -1)" "web04 disk5" "a 429 is retried after its Retry-After, then delivered"

ttd_stop
done_testing
