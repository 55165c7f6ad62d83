#!/bin/sh
# The mail channel (trapd/notify_mail.c) against real SMTP servers on
# 127.0.0.1 (t/helpers/smtp_sink.py, aiosmtpd): STARTTLS + AUTH delivery with
# every header of the received bytes checked (the RFC 2047 subject decoded by
# python's email module, CRLF line ends, threading: a recovery answers its
# problem), smtps://, one copy per recipient, digests, header injection
# through host, service and output adding no header, plaintext refused when
# the server offers no STARTTLS, certificates verified, and the outcomes of
# failures: wrong password, 451 -> RETRY; 550 to RCPT, 554 to the message ->
# DEAD; server down, not accepting, or mute -> RETRY within the connect
# timeout; close() abandons a send without an outcome.
# Driven through t/helpers/sendnotice (config_load -> channel -> loop).
. "$(dirname "$0")/../lib.sh"

SEND=${SENDNOTICE:-$TOP/t/helpers/sendnotice} # override: e.g. an ASan build
SINK=$TOP/t/helpers/smtp_sink.py
PY=/usr/bin/python3
if [ ! -x "$SEND" ]; then
	echo "Bail out! $SEND is not built (make tests)"
	exit 1
fi
if ! "$PY" -c 'import aiosmtpd' 2>/dev/null || ! command -v openssl >/dev/null; then
	echo "Bail out! needs /usr/bin/python3 with aiosmtpd and openssl (scripts/install-deps)"
	exit 1
fi

P_TLS=2525      # STARTTLS required, AUTH required, some refusing recipients
P_PLAIN=2526    # no TLS offered, no AUTH
P_SMTPS=2527    # TLS from the first byte, AUTH required
P_NOACCEPT=2528 # a full listen queue: connecting hangs
P_MUTE=2529     # connects, never says a word
P_DOWN=2530     # nothing listens

# ---- certificates, secrets, servers -----------------------------------------
mkdir -p "$T/secrets" "$T/state"
cert() { # NAME: a self-signed certificate for 127.0.0.1
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$T/$1.key" -out "$T/$1.pem" \
		2>/dev/null
}
cert sink && cert other || {
	echo "Bail out! openssl could not make a certificate"
	exit 1
}
chmod 644 "$T/sink.pem" "$T/other.pem"
secret() { # NAME VALUE
	printf '%s\n' "$2" >"$T/secrets/$1"
	chmod 600 "$T/secrets/$1"
}
secret pw 's3cret:pa$$ word'
secret badpw 'not-the-password'
secret users 'alice:s3cret:pa$$ word'

# sink NAME PORT ARGS...: start smtp_sink.py storing into $T/NAME; wait until ready
sink() {
	name=$1 port=$2
	shift 2
	"$PY" "$SINK" --dir "$T/$name" --port "$port" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	pid=$!
	at_exit "kill $pid 2>/dev/null"
	i=0
	until grep -q '^ready' "$T/$name.out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
			echo "Bail out! smtp_sink $name on port $port did not start: $(cat "$T/$name.err")"
			exit 1
		fi
		sleep 0.05
	done
}
TLS="--tls-cert $T/sink.pem --tls-key $T/sink.key"
# shellcheck disable=SC2086
sink tls $P_TLS $TLS --auth-file "$T/secrets/users" --tempfail later@example.org \
	--permfail nobody@example.org --reject-data picky@example.org
sink plain $P_PLAIN
# shellcheck disable=SC2086
sink smtps $P_SMTPS $TLS --implicit-tls --auth-file "$T/secrets/users"
sink noaccept $P_NOACCEPT --mode blackhole
sink mute $P_MUTE --mode mute

# ---- the config ----------------------------------------------------------------
# channel NAME URL TO [EXTRA LINES]: a mail channel, connect_timeout 2s, timeout 5s
channel() {
	cat <<EOF
channel "$1" {
	type = "mail"
	url = "$2"
	from = "alerts@example.com"
	to = {$3}
	connect_timeout = "2s"
	timeout = "5s"
	$4
}
EOF
}
AUTH="user = \"alice\"
	password_file = \"$T/secrets/pw\"
	ca_file = \"$T/sink.pem\""
CONF=$T/trendtrapd.conf
{
	echo "state_dir = \"$T/state\""
	channel ops "smtp://127.0.0.1:$P_TLS" '"ops@example.org"' "$AUTH"
	channel team "smtp://127.0.0.1:$P_TLS" \
		'"ops@example.org", "dev@example.org", "boss@example.net"' "$AUTH"
	channel mixed "smtp://127.0.0.1:$P_TLS" \
		'"ops@example.org", "later@example.org", "nobody@example.org", "picky@example.org"' \
		"$AUTH"
	channel smtps "smtps://127.0.0.1:$P_SMTPS" '"ops@example.org"' "$AUTH"
	channel badpass "smtp://127.0.0.1:$P_TLS" '"ops@example.org"' "user = \"alice\"
	password_file = \"$T/secrets/badpw\"
	ca_file = \"$T/sink.pem\""
	channel otherca "smtp://127.0.0.1:$P_TLS" '"ops@example.org"' "user = \"alice\"
	password_file = \"$T/secrets/pw\"
	ca_file = \"$T/other.pem\""
	channel systemca "smtp://127.0.0.1:$P_TLS" '"ops@example.org"' "user = \"alice\"
	password_file = \"$T/secrets/pw\""
	channel notls "smtp://127.0.0.1:$P_PLAIN" '"ops@example.org"'
	channel cleartext "smtp://127.0.0.1:$P_PLAIN" '"ops@example.org"' 'tls = "none"'
	channel down "smtp://127.0.0.1:$P_DOWN" '"ops@example.org"'
	channel noaccept "smtp://127.0.0.1:$P_NOACCEPT" '"ops@example.org"'
	channel mute "smtp://127.0.0.1:$P_MUTE" '"ops@example.org"'
} >"$CONF"

# ---- helpers ----------------------------------------------------------------------
# What python's email module makes of a received message MSG, one "key=value"
# a line into OUT.facts and the decoded body ("\n" line ends) into OUT.body
# (facts.py MSG OUT):
#   crlf       ok when every line ends in CRLF (and the message too)
#   maxline    the longest line in octets, CRLF excluded
#   headers    the header names in order, comma-separated
#   NAME       each header's value, unfolded and RFC 2047-decoded
cat >"$T/facts.py" <<'EOF'
import email, sys
from email.header import decode_header, make_header
path, out = sys.argv[1], sys.argv[2]
raw = open(path, "rb").read()
rest = raw.replace(b"\r\n", b"")
facts = [("crlf", "ok" if raw.endswith(b"\r\n") and b"\r" not in rest and b"\n" not in rest
          else "bad"),
         ("maxline", max(len(l) for l in raw.split(b"\r\n")))]
head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
names = [l.split(":", 1)[0] for l in head.split("\r\n") if not l[:1] in (" ", "\t")]
facts.append(("headers", ",".join(names)))
msg = email.message_from_bytes(raw)
for name in names:
    facts.append((name, str(make_header(decode_header(msg[name])))))
with open(out + ".facts", "w") as f:
    for k, v in facts:
        f.write("%s=%s\n" % (k, v))
with open(out + ".body", "w") as f:
    f.write(msg.get_payload(decode=True).replace(b"\r\n", b"\n").decode("utf-8"))
EOF
OUT=""
RC=0
ERR=""
MS=0
# send CHANNEL ARGS...: one sendnotice run; sets OUT, ERR, RC and MS.  --raw:
# texts go to the channel as given, control characters included: it must cope.
send() {
	t0=$(date +%s%3N)
	OUT=$(TRENDTRAP_NOW=1700000100 "$SEND" "$CONF" "$@" --raw 2>"$T/stderr")
	RC=$?
	MS=$(($(date +%s%3N) - t0))
	ERR=$(cat "$T/stderr")
}
# count SINK: messages SINK stored so far
count() { ls "$T/$1/new" 2>/dev/null | wc -l | tr -d ' '; }
# eml SINK K: the file of the K-th message SINK stored
eml() { echo "$T/$1/new/$(printf '%04d' "$2").eml"; }
# msg SINK K: the facts of the K-th message SINK stored, as a path prefix M:
# M.facts for fact, M.body its decoded body
msg() {
	mkdir -p "$T/facts"
	[ -f "$T/facts/$1-$2.facts" ] || "$PY" "$T/facts.py" "$(eml "$1" "$2")" "$T/facts/$1-$2"
	echo "$T/facts/$1-$2"
}
# fact M KEY: a fact about a received message
fact() { sed -n "s/^$2=//p" "$1.facts"; }
# envelope SINK K: "MAIL FROM -> RCPT TOs, tls, auth user" of the K-th message
envelope() {
	"$PY" -c 'import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2]) - 1]
print("%s -> %s tls=%s auth=%s" % (r["mail_from"], ",".join(r["rcpt_tos"]), r["tls"], r["auth_user"]))' \
		"$T/$1/log.jsonl" "$2"
}
HEADERS="Date,From,To,Subject,Message-ID,MIME-Version,Content-Type,Content-Transfer-Encoding,Auto-Submitted"
THREADED="Date,From,To,Subject,Message-ID,In-Reply-To,References,MIME-Version,Content-Type,Content-Transfer-Encoding,Auto-Submitted"

# ---- STARTTLS + AUTH: the message as received ---------------------------------
PROBLEM="--kind problem --id 42 --state CRITICAL --previous OK --at 1700000000
--since 1699992500 --time-left 183600 --value 17105133568B --slope 1.5e+09B/d
--perfdata '/'=17105133568B;;;0;21474836480 --history 1e10,1.2e10,1.5e10,1.7e10"
# shellcheck disable=SC2086
send ops $PROBLEM --host "größe-01.example" --service "Festplatte /" \
	--output "DISK_TREND CRITICAL - / 80% used, full in 2d 3h"
is "$OUT" "delivered 42" "STARTTLS + AUTH: delivered"
is "$RC" 0 "STARTTLS + AUTH: exit 0"
is "$(count tls)" 1 "STARTTLS + AUTH: the server stored one message"
is "$(envelope tls 1)" "alerts@example.com -> ops@example.org tls=True auth=alice" \
	"STARTTLS + AUTH: envelope from and to, over TLS, authenticated"
M=$(msg tls 1)
is "$(fact "$M" crlf)" ok "every line ends in CRLF"
ok "[ $(fact "$M" maxline) -le 78 ]" "no line longer than 78 octets"
is "$(fact "$M" headers)" "$HEADERS" "exactly these headers, in this order"
is "$(fact "$M" Date)" "Tue, 14 Nov 2023 22:15:00 +0000" "Date: RFC 5322, from the clock"
is "$(fact "$M" From)" "trendtrap <alerts@example.com>" "From"
is "$(fact "$M" To)" "ops@example.org" "To: the one recipient"
is "$(fact "$M" Subject)" "[CRITICAL] größe-01.example Festplatte / full in 2d 3h" \
	"Subject: RFC 2047, decoded by python's email module"
like "$(grep '^Subject:' "$(eml tls 1)")" '^Subject: =\?UTF-8\?B\?' \
	"Subject: sent as encoded words"
is "$(fact "$M" Message-ID)" "<trendtrap.42.problem@example.com>" "Message-ID of a new problem"
is "$(fact "$M" MIME-Version)" "1.0" "MIME-Version"
is "$(fact "$M" Content-Type)" "text/plain; charset=UTF-8" "Content-Type"
is "$(fact "$M" Content-Transfer-Encoding)" "quoted-printable" "Content-Transfer-Encoding"
is "$(fact "$M" Auto-Submitted)" "auto-generated" "Auto-Submitted"
B=$M.body
is "$(head -1 "$B")" "Problem: größe-01.example Festplatte / is CRITICAL." "body: what"
ok "grep -qx 'Host:      größe-01.example' '$B'" "body: the host"
ok "grep -qx 'Service:   Festplatte /' '$B'" "body: the service"
ok "grep -qx 'Since:     2023-11-14T20:08:20Z (for 2h 5m)' '$B'" "body: since when"
ok "grep -qx 'Value:     17105133568B' '$B'" "body: the value"
ok "grep -qx 'Trend:     1.5e+09B/d, exhausted in 2d 3h, around 2023-11-17T01:13:20Z' '$B'" \
	"body: the trend and the projected exhaustion"
ok "grep -qx 'History:   ▁▃▆█' '$B'" "body: the chart of recent values"
ok "grep -qx '  DISK_TREND CRITICAL - / 80% used, full in 2d 3h' '$B'" "body: the output"
ok "grep -qxF \"  '/'=17105133568B;;;0;21474836480\" '$B'" "body: the perfdata"
ok "grep -qxF \"  trendtrap silence add 'größe-01.example/Festplatte /' 2h \\\"reason\\\"\" '$B'" \
	"body: how to silence it"

# ---- threading -------------------------------------------------------------------
# shellcheck disable=SC2086
send ops --kind recovery --id 42 --state OK --previous CRITICAL --at 1700007200 \
	--since 1699992500 --time-left -1 --host "größe-01.example" --service "Festplatte /" \
	--output "DISK_TREND OK - / 60% used"
is "$OUT" "delivered 42" "recovery: delivered"
R=$(msg tls 2)
is "$(fact "$R" headers)" "$THREADED" "recovery: In-Reply-To and References added"
is "$(fact "$R" Subject)" "[RECOVERY] größe-01.example Festplatte /" "recovery: Subject"
is "$(fact "$R" In-Reply-To)" "$(fact "$M" Message-ID)" \
	"recovery: In-Reply-To is the problem's Message-ID"
is "$(fact "$R" References)" "$(fact "$M" Message-ID)" \
	"recovery: References is the problem's Message-ID"
is "$(fact "$R" Message-ID)" "<trendtrap.42.recovery.1700007200@example.com>" \
	"recovery: its own Message-ID"
ok "grep -qx 'Began:     2023-11-14T20:08:20Z (lasted 4h 5m)' '$R.body'" \
	"recovery: how long the problem lasted"

# ---- several recipients: one destination, one copy each ------------------------
N0=$(count tls)
send team --id 50 --host web01 --service disk
is "$(printf '%s\n' "$OUT" | sort | tr '\n' ' ')" "delivered 50/0 delivered 50/1 delivered 50/2 " \
	"three recipients: three destinations, each delivered"
is "$(count tls)" $((N0 + 3)) "three recipients: three messages stored"
TOS=""
for k in 1 2 3; do
	TOS="$TOS $(fact "$(msg tls $((N0 + k)))" To)=$(envelope tls $((N0 + k)) | sed 's/.*-> //; s/ .*//')"
done
is "$(printf '%s\n' $TOS | sort | tr '\n' ' ')" \
	"boss@example.net=boss@example.net dev@example.org=dev@example.org ops@example.org=ops@example.org " \
	"three recipients: each copy is addressed (To and RCPT) to its recipient only"

# ---- header injection --------------------------------------------------------------
N0=$(count tls)
CRLF=$(printf '\r\n_')
CRLF=${CRLF%_}
LF=$(printf '\n_')
LF=${LF%_}
send ops --id 60 --time-left -1 --host "web01${CRLF}Bcc: evil@example.net" \
	--service "disk${LF}X-Injected: yes" --output "X${CRLF}${CRLF}To: e@x.net"
is "$OUT" "delivered 60" "injection attempt: delivered"
I=$(msg tls $((N0 + 1)))
is "$(fact "$I" headers)" "$HEADERS" "injection: no header added through host, service or output"
is "$(fact "$I" To)" "ops@example.org" "injection: To unchanged"
is "$(envelope tls $((N0 + 1)))" "alerts@example.com -> ops@example.org tls=True auth=alice" \
	"injection: no recipient added"
is "$(fact "$I" Subject)" "[CRITICAL] web01 Bcc: evil@example.net disk X-Injected: yes X To: e@x.net" \
	"injection: the text stays inside the Subject"
is "$(fact "$I" crlf)" ok "injection: still CRLF everywhere"

# ---- dot-stuffing (libcurl's) ------------------------------------------------------
# "=" and 72 dots: quoted-printable breaks the line before the last two dots,
# so a line of the message starts with "." and must be sent as "..".
N0=$(count tls)
DOTS=$(awk 'BEGIN { for (i = 0; i < 72; i++) printf "." }')
send ops --id 65 --perfdata "=$DOTS"
is "$OUT" "delivered 65" "a line starting with a dot: delivered"
ok "grep -q '^\.' '$(eml tls $((N0 + 1)))'" "a line starting with a dot: it was one"
ok "grep -qxF '  =$DOTS' '$(msg tls $((N0 + 1))).body'" \
	"a line starting with a dot: arrived whole (libcurl dot-stuffed it)"

# ---- a digest --------------------------------------------------------------------
N0=$(count tls)
send ops --id 70 --host db01 --service mem --output "MEM_TREND CRITICAL - leak" --and \
	--host db02 --state WARNING --output "MEM_TREND WARNING - slow" --and \
	--host db03 --kind recovery --state OK --output "MEM_TREND OK"
is "$OUT" "delivered 70" "digest of three: one message delivered"
is "$(count tls)" $((N0 + 1)) "digest: one message stored"
D=$(msg tls $((N0 + 1)))
is "$(fact "$D" Subject)" "[trendtrap] 3 notifications: 1 CRITICAL, 1 WARNING, 1 RECOVERY" \
	"digest: Subject counts each state"
like "$(fact "$D" Message-ID)" '^<trendtrap\.digest\.[0-9]+\.70@example\.com>$' "digest: Message-ID"
ok "grep -q '^..:.. \\[CRITICAL\\] db01/mem: MEM_TREND CRITICAL - leak$' '$D.body' &&
    grep -q '^..:.. \\[WARNING\\] db02/mem: MEM_TREND WARNING - slow$' '$D.body' &&
    grep -q '^..:.. \\[RECOVERY\\] db03/mem: MEM_TREND OK$' '$D.body'" \
	"digest: the body names every notification"

# ---- smtps:// ----------------------------------------------------------------------
send smtps --id 80
is "$OUT" "delivered 80" "smtps:// (TLS from the start) + AUTH: delivered"
is "$(envelope smtps 1)" "alerts@example.com -> ops@example.org tls=True auth=alice" \
	"smtps://: over TLS, authenticated"

# ---- TLS required and verified ------------------------------------------------------
send notls --id 90
like "$OUT" '^retry 90 after=0: .*STARTTLS' "no STARTTLS offered: RETRY, plaintext refused"
is "$(count plain)" 0 "no STARTTLS offered: nothing received"
send cleartext --id 91
is "$OUT" "delivered 91" 'tls = "none": delivered in clear, as configured'
is "$(envelope plain 1)" "alerts@example.com -> ops@example.org tls=False auth=None" \
	'tls = "none": no TLS, no AUTH'
N0=$(count tls)
send otherca --id 92
like "$OUT" '^retry 92 after=0: SSL certificate problem' "a certificate from another CA: RETRY"
send systemca --id 93
like "$OUT" '^retry 93 after=0: SSL certificate problem' "a self-signed certificate, system CAs: RETRY"
is "$(count tls)" "$N0" "unverified servers: nothing sent"

# ---- refusals --------------------------------------------------------------------------
send badpass --id 100
like "$OUT" '^retry 100 after=0: .*535' "wrong password (535): RETRY, with the SMTP code"
ok "! printf '%s' \"\$OUT\$ERR\" | grep -q -e s3cret -e not-the-password" \
	"wrong password: no password in the reason or the log"
send mixed --id 110
is "$(printf '%s\n' "$OUT" | sed 's/: .*//' | sort | tr '\n' ' ')" \
	"dead 110/2 dead 110/3 delivered 110/0 retry 110/1 after=0 " \
	"451 to RCPT: RETRY; 550 to RCPT: DEAD; 554 to the message: DEAD; the others delivered"
like "$(printf '%s\n' "$OUT" | grep '^retry 110/1')" '451 to RCPT: 451 4\.3\.0 try again later' \
	"451: the reason has the code, the command and the server's text"
like "$(printf '%s\n' "$OUT" | grep '^dead 110/2')" '550 to RCPT: 550 5\.1\.1' \
	"550: the reason has the code, the command and the server's text"
like "$(printf '%s\n' "$OUT" | grep '^dead 110/3')" '554 to the message' \
	"554 after the message: the reason says so"
is "$RC" 1 "refusals: exit 1"

# ---- servers that are not there ---------------------------------------------------------
send down --id 120
like "$OUT" "^retry 120 after=0: .*(Couldn't connect|Connection refused)" "server down: RETRY"
ok "[ $MS -lt 1500 ]" "server down: at once (${MS} ms)"
send noaccept --id 121
like "$OUT" '^retry 121 after=0: .*(timed out|Timeout)' "server not accepting: RETRY"
ok "[ $MS -ge 1800 ] && [ $MS -lt 4500 ]" "server not accepting: after the 2 s connect timeout (${MS} ms)"
send mute --id 122
like "$OUT" '^retry 122 after=0: .*(timed out|Timeout)' "server silent: RETRY"
ok "[ $MS -ge 1800 ] && [ $MS -lt 4500 ]" "server silent: after the 2 s connect timeout (${MS} ms)"

# ---- close() abandons -------------------------------------------------------------------
send mute --id 130 --close-after 300 --linger 3000
is "$OUT" "closed 1" "close() with a send in flight: no outcome, not even after its timeout"

done_testing
