#!/bin/sh
# The sms channel (trapd/notify_sms.c) against a real HTTP gateway on tcp
# 127.0.0.1:8081 (t/helpers/sms_sink.py), checking each request as it
# arrived: Twilio's shape (the path with the account SID, Basic auth
# SID:token, exactly the form fields To, From, Body, the text within one
# GSM-7 segment); the http provider's shape (the JSON body parses to the
# template's expansion even with quotes, CR/LF, '&' and unicode in host,
# service and output; a form body likewise; the URL exactly as configured;
# headers with {token}; one request per number); the outcomes 429 with
# Retry-After (seconds and HTTP-date) and 5xx -> retry, 400 and 3xx -> dead
# with the gateway's reason, a gateway that is down or too slow -> retry, a
# channel closed with a request in flight says nothing; HTTPS verified
# against ca_file (an unknown CA or another name: retry); max_segments 2
# (153 + 153 septets, 67 + 67 UCS-2 units); a digest; the token never logged.
# Driven through t/helpers/sendnotice (config_load -> channel_sms_ops -> loop).
. "$(dirname "$0")/../lib.sh"

SEND=${SENDNOTICE:-$TOP/t/helpers/sendnotice} # override: e.g. an ASan build
SINK=$TOP/t/helpers/sms_sink.py
if [ ! -x "$SEND" ]; then
	echo "Bail out! $SEND is not built (make tests)"
	exit 1
fi
# 127.0.0.1 only, never through a proxy from the environment.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
PORT=8081
GW=http://127.0.0.1:$PORT
DOWN=http://127.0.0.1:8089 # nothing listens here
SID=AC0123456789abcdef0123456789abcdef
TOKEN='tok3n/with+odd=chars'
NUM1=+15552223333
NUM2=+4915112345678
FROM=+15550001111

# ---- the gateway -----------------------------------------------------------
: >"$T/sink.log"
/usr/bin/python3 "$SINK" --port $PORT --log "$T/sink.log" --control "$T/control" \
	--ready "$T/ready" 2>"$T/sink.err" &
SINK_PID=$!
at_exit "kill $SINK_PID 2>/dev/null; wait $SINK_PID 2>/dev/null"
i=0
while [ ! -s "$T/ready" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $SINK_PID 2>/dev/null; then
		echo "Bail out! sms_sink.py did not start on 127.0.0.1:$PORT: $(cat "$T/sink.err")"
		exit 1
	fi
	sleep 0.05
done

# ... and the same over HTTPS on 8444, with a self-signed certificate for
# IP 127.0.0.1 (not for "localhost")
TLS=https://127.0.0.1:8444
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=trendtrap-test -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$T/tls.key" -out "$T/tls.pem" 2>"$T/openssl.err" ||
	{ echo "Bail out! openssl: $(cat "$T/openssl.err")"; exit 1; }
chmod 644 "$T/tls.pem"
: >"$T/tls.log"
/usr/bin/python3 "$SINK" --port 8444 --log "$T/tls.log" --cert "$T/tls.pem" --key "$T/tls.key" \
	--ready "$T/tls.ready" 2>"$T/tls.err" &
TLS_PID=$!
at_exit "kill $TLS_PID 2>/dev/null; wait $TLS_PID 2>/dev/null"
i=0
while [ ! -s "$T/tls.ready" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $TLS_PID 2>/dev/null; then
		echo "Bail out! sms_sink.py did not start on 127.0.0.1:8444: $(cat "$T/tls.err")"
		exit 1
	fi
	sleep 0.05
done

# ---- secrets and config ------------------------------------------------------
mkdir -p "$T/secrets" "$T/state"
printf '%s\n' "$TOKEN" >"$T/secrets/token"
chmod 600 "$T/secrets/token"

CONF=$T/trendtrapd.conf
cat >"$CONF" <<EOF
state_dir = "$T/state"
channel "tw" {
	type = "sms"  provider = "twilio"  url = "$GW/"
	user = "$SID"  token_file = "$T/secrets/token"
	from = "$FROM"  to = {"$NUM1"}
}
channel "twodd" {
	type = "sms"  provider = "twilio"  url = "$GW"
	user = "AC/../x y"  token_file = "$T/secrets/token"
	from = "$FROM"  to = {"$NUM1"}
}
channel "gw" {
	type = "sms"  provider = "http"  method = "PUT"
	url = "$GW/api/v1/sms?acct=ops&v=2"
	token_file = "$T/secrets/token"
	headers = {"X-Api-Key: {token}", "X-Tag: trendtrap"}
	from = "$FROM"  to = {"$NUM1", "$NUM2"}
	max_segments = 4
	body = '{"to":"{to}","from":"{from}","text":"{text}","host":"{host}","service":"{service}","state":"{state}","kind":"{kind}","id":"{id}"}'
}
channel "gwform" {
	type = "sms"  provider = "http"  url = "$GW/form"
	content_type = "application/x-www-form-urlencoded"
	body = "to={to}&msg={text}&h={host}&s={service}"
	to = {"$NUM2"}  max_segments = 4
}
channel "gwdefault" {
	type = "sms"  provider = "http"  url = "$GW/send"
	to = {"$NUM1"}
}
channel "long" {
	type = "sms"  provider = "http"  url = "$GW/long"
	to = {"$NUM1"}  max_segments = 2
}
channel "down" {
	type = "sms"  provider = "twilio"  url = "$DOWN"
	user = "$SID"  token_file = "$T/secrets/token"
	from = "$FROM"  to = {"$NUM1"}  connect_timeout = "5s"
}
channel "slow" {
	type = "sms"  provider = "http"  url = "$GW/slow"
	to = {"$NUM1"}  connect_timeout = "1s"  timeout = "1s"
}
channel "tls" {
	type = "sms"  provider = "twilio"  url = "$TLS"  ca_file = "$T/tls.pem"
	user = "$SID"  token_file = "$T/secrets/token"
	from = "$FROM"  to = {"$NUM1"}
}
channel "tlsnoca" {
	type = "sms"  provider = "twilio"  url = "$TLS"
	user = "$SID"  token_file = "$T/secrets/token"
	from = "$FROM"  to = {"$NUM1"}
}
channel "tlsname" {
	type = "sms"  provider = "http"  url = "https://localhost:8444/send"
	ca_file = "$T/tls.pem"  to = {"$NUM1"}
}
channel "badurl" {
	type = "sms"  provider = "http"  url = "$GW/send/{host}"
	to = {"$NUM1"}
}
EOF

# ---- helpers -------------------------------------------------------------------
OUT=""
RC=0
ERR=""
# send CHANNEL ARGS...: one sendnotice run; sets OUT, ERR and RC
send() {
	OUT=$("$SEND" "$CONF" "$@" 2>"$T/stderr")
	RC=$?
	ERR=$(cat "$T/stderr")
}
NREQ=0
# arrived N DESC: N more requests reached the gateway; K is the first of them
arrived() {
	K=$((NREQ + 1))
	NREQ=$((NREQ + $1))
	is "$(wc -l <"$T/sink.log" | tr -d ' ')" "$NREQ" "$2: $1 request(s) reached the gateway"
}
# req N PYEXPR: PYEXPR about r, the N-th request logged (r["body"] etc.);
# form(r) is its body as a list of (name, value), b64(s) decodes base64.
req() {
	/usr/bin/python3 - "$T/sink.log" "$1" "$2" <<'PY'
import base64, json, sys, urllib.parse
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
r = recs[int(sys.argv[2]) - 1]
form = lambda r: urllib.parse.parse_qsl(r["body"], keep_blank_values=True, strict_parsing=True)
b64 = lambda s: base64.b64decode(s).decode("utf-8")
units = lambda s: len(s.encode("utf-16-le")) // 2
print(eval(sys.argv[3]))
PY
}
# json_is N NUMBER ID: the JSON body of the first request from the N-th on
# that went to NUMBER, against gw's template expanded for NUMBER, ID and the
# notice $H $S $O: "same" or the difference
json_is() {
	H=$H S=$S O=$O FROM=$FROM /usr/bin/python3 - "$T/sink.log" "$@" <<'PY'
import json, os, sys
e = os.environ
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")][int(sys.argv[2]) - 1:]
r = [r for r in recs if json.loads(r["body"]).get("to") == sys.argv[3]][0]
want = {"to": sys.argv[3], "from": e["FROM"], "host": e["H"], "service": e["S"],
        "state": "CRITICAL", "kind": "problem", "id": sys.argv[4],
        "text": "CRITICAL %s %s: full in 2d 3h (%s)" % (e["H"], e["S"], e["O"])}
got = json.loads(r["body"])
print("same" if got == want else "got  %r\nwant %r" % (got, want))
PY
}
# answer LINE...: the gateway's next answers, one line each ("429 7", "500")
answer() {
	printf '%s\n' "$@" >"$T/control"
}

# ---- twilio --------------------------------------------------------------------
send tw --id 1
is "$OUT" "delivered 1" "twilio: delivered (201)"
is "$RC" 0 "twilio: sendnotice exits 0"
arrived 1 "twilio"
is "$(req $K 'r["method"] + " " + r["path"]')" \
	"POST /2010-04-01/Accounts/$SID/Messages.json" \
	"twilio: POST to the account's Messages.json (the url's trailing / not doubled)"
is "$(req $K 'r["content_type"]')" "application/x-www-form-urlencoded" "twilio: a form"
like "$(req $K 'r["authorization"]')" '^Basic [A-Za-z0-9+/=]+$' "twilio: HTTP Basic auth"
is "$(req $K 'b64(r["authorization"].split()[1])')" "$SID:$TOKEN" \
	"twilio: Basic auth decodes to SID:token"
is "$(req $K '[k for k, v in form(r)]')" "['To', 'From', 'Body']" \
	"twilio: exactly the fields To, From, Body"
is "$(req $K 'dict(form(r))["To"] + " " + dict(form(r))["From"]')" "$NUM1 $FROM" \
	"twilio: To and From, '+' encoded"
is "$(req $K 'dict(form(r))["Body"]')" \
	"CRITICAL web01 disk /: full in 2d 3h (DISK_TREND CRITICAL - / 97%)" \
	"twilio: the Body says what and when"
is "$(req $K '"expect" in r["headers"]')" "False" "twilio: no Expect: 100-continue"
like "$(req $K 'r["headers"]["user-agent"]')" '^trendtrapd/' "twilio: our User-Agent"

LONG=$(printf 'DISK_TREND CRITICAL - %0300d' 0 | tr 0 x)
send tw --id 2 --output "$LONG"
is "$OUT" "delivered 2" "twilio, long output: delivered"
arrived 1 "twilio, long output"
is "$(req $K 'len(dict(form(r))["Body"])')" 160 "twilio, long output: Body cut to 160 GSM-7 characters"
like "$(req $K 'dict(form(r))["Body"]')" 'xxx\.\.\.$' "twilio, long output: ... where it was cut"

send twodd --id 3
is "$OUT" "delivered 3" "twilio, odd SID: delivered"
arrived 1 "twilio, odd SID"
is "$(req $K 'r["path"]')" "/2010-04-01/Accounts/AC%2F..%2Fx%20y/Messages.json" \
	"twilio, odd SID: URL-encoded in the path, no path traversal"
is "$(req $K 'b64(r["authorization"].split()[1])')" "AC/../x y:$TOKEN" \
	"twilio, odd SID: Basic auth takes it as is"

# ---- http: JSON --------------------------------------------------------------------
H=$(printf 'web"01\r\n&é\\')
S=$(printf 'disk "/var" & {x} ü')
O=$(printf 'DISK_TREND CRITICAL - 97%%\r\nsecond line & a=b \\ "q" 日本 😀')
send gw --id 77 --raw --host "$H" --service "$S" --output "$O"
is "$(printf '%s\n' "$OUT" | sort)" "delivered 77/0
delivered 77/1" "http: delivered to each number"
arrived 2 "http, two numbers"
for k in $K $((K + 1)); do
	is "$(req $k 'r["method"] + " " + r["path"]')" "PUT /api/v1/sms?acct=ops&v=2" \
		"http $k: the method and URL exactly as configured"
done
is "$(req $K 'r["content_type"]')" "application/json" "http: application/json"
is "$(req $K 'r["headers"]["x-api-key"] + "|" + r["headers"]["x-tag"]')" "$TOKEN|trendtrap" \
	"http: headers as configured, {token} replaced"
is "$(req $K 'r["authorization"]')" "None" "http: no Authorization unless configured"
is "$(json_is $K "$NUM1" 77)" "same" \
	"http: the JSON body parses to the template's expansion (quotes, CR/LF, &, \\, unicode)"
is "$(json_is $K "$NUM2" 77)" "same" "http: the second number gets its own {to}"
like "$(req $K 'r["body"]')" '\\u000d\\u000a' "http: CR/LF as \\u000d\\u000a in the JSON"

send gwdefault --id 5
is "$OUT" "delivered 5" "http, default template: delivered"
arrived 1 "http, default template"
is "$(req $K 'r["method"] + " " + r["path"] + " " + r["content_type"]')" \
	"POST /send application/json" "http, default template: POST, JSON"
is "$(req $K 'sorted(json.loads(r["body"]).items())')" \
	"[('text', 'CRITICAL web01 disk /: full in 2d 3h (DISK_TREND CRITICAL - / 97%)'), ('to', '$NUM1')]" \
	"http, default template: {\"to\":\"{to}\",\"text\":\"{text}\"}"

# ---- http: form --------------------------------------------------------------------
H2='web&01=x%2B+y é'
S2='a+b c=d&e'
send gwform --id 6 --host "$H2" --service "$S2" --output "50% & rising=yes"
is "$OUT" "delivered 6" "http form: delivered"
arrived 1 "http form"
is "$(req $K 'r["content_type"]')" "application/x-www-form-urlencoded" "http form: the content type"
is "$(req $K 'form(r)')" \
	"[('to', '$NUM2'), ('msg', 'CRITICAL $H2 $S2: full in 2d 3h (50% & rising=yes)'), ('h', '$H2'), ('s', '$S2')]" \
	"http form: every field decodes to its value (&, =, %, +, unicode)"

# ---- outcomes ----------------------------------------------------------------------
answer "429 7"
send tw --id 10
is "$OUT" 'retry 10 after=7: gateway answered 429 Too Many Requests: {"code": 20429, "message": "Too Many Requests", "status": 429}' \
	"429 with Retry-After: 7 -> retry after 7 s, with the gateway's reason"
is "$RC" 1 "429: sendnotice exits 1"
arrived 1 "429"

answer "503 $(LC_ALL=C date -u -d '@'$(($(date +%s) + 120)) '+%a, %d %b %Y %H:%M:%S GMT')"
send tw --id 11
like "$OUT" '^retry 11 after=1(1[5-9]|20): gateway answered 503 Service Unavailable' \
	"503 with an HTTP-date Retry-After -> retry after ~120 s"
arrived 1 "503"

answer "500"
send tw --id 12
like "$OUT" '^retry 12 after=0: gateway answered 500 Internal Server Error: \{"code": 20500' \
	"500 -> retry, no Retry-After: 0"
arrived 1 "500"

answer "400"
send tw --id 13
is "$OUT" "dead 13: gateway answered 400 Bad Request: {\"code\": 21211, \"message\": \"The 'To' number is not a valid phone number.\", \"status\": 400}" \
	"400 -> dead, with the gateway's status line and answer"
arrived 1 "400"

answer "401"
send gw --id 14 --dest 1
like "$OUT" '^dead 14/1: gateway answered 401 Unauthorized' "401 -> dead"
arrived 1 "401"

answer "301"
send gwdefault --id 15
like "$OUT" '^dead 15: gateway answered 301 Moved Permanently \(redirects are not followed' \
	"301 -> dead: redirects are not followed"
arrived 1 "301"

answer "201"
send tw --id 16
is "$OUT" "delivered 16" "after the errors: delivered again"
arrived 1 "after the errors"

send down --id 17
like "$OUT" '^retry 17 after=0: no answer from the gateway: .*(onnect|refused)' \
	"gateway down -> retry"
is "$RC" 1 "gateway down: sendnotice exits 1"
arrived 0 "gateway down"

answer "sleep 3"
send slow --id 18
like "$OUT" '^retry 18 after=0: no answer from the gateway: .*[Tt]imed? ?out' \
	"a gateway slower than timeout -> retry"
arrived 1 "a slow gateway"

answer "sleep 3"
send tw --id 19 --timeout 1
is "$OUT" "" "closed with a request in flight: no outcome (it stays in the outbox)"
like "$ERR" '1 outcome\(s\) missing' "closed with a request in flight: sendnotice says so"
is "$RC" 1 "closed with a request in flight: sendnotice exits 1"
arrived 1 "closed with a request in flight"

# ---- TLS -------------------------------------------------------------------------
send tls --id 60
is "$OUT" "delivered 60" "https with ca_file: delivered"
is "$(wc -l <"$T/tls.log" | tr -d ' ')" 1 "https with ca_file: the request arrived"
send tlsnoca --id 61
like "$OUT" '^retry 61 after=0: no answer from the gateway: .*certificate' \
	"https, a certificate from no CA we trust: retry, never sent"
send tlsname --id 62
like "$OUT" '^retry 62 after=0: no answer from the gateway: .*(match|name)' \
	"https, a certificate for another name: retry, never sent"
is "$(wc -l <"$T/tls.log" | tr -d ' ')" 1 "https: nothing arrived without verification"

# ---- segments, digests ------------------------------------------------------------
send long --id 20 --output "$LONG"
is "$OUT" "delivered 20" "max_segments 2, GSM-7: delivered"
arrived 1 "max_segments 2, GSM-7"
is "$(req $K 'len(json.loads(r["body"])["text"])')" 306 "max_segments 2: 2 x 153 GSM-7 characters"
like "$(req $K 'json.loads(r["body"])["text"]')" 'xxx\.\.\.$' "max_segments 2, GSM-7: ends with ..."

UC=$(printf 'ДИСК ЗАПОЛНЕН %0200d' 0 | sed 's/0/ж/g')
send long --id 21 --output "$UC"
is "$OUT" "delivered 21" "max_segments 2, UCS-2: delivered"
arrived 1 "max_segments 2, UCS-2"
is "$(req $K 'units(json.loads(r["body"])["text"])')" 134 "max_segments 2: 2 x 67 UCS-2 units"
like "$(req $K 'json.loads(r["body"])["text"]')" 'жж…$' "max_segments 2, UCS-2: ends with …"

send gwdefault --id 30 --group 3
is "$OUT" "delivered 30" "a digest of 3: delivered as one message"
arrived 1 "a digest of 3"
is "$(req $K 'json.loads(r["body"])["text"]')" \
	"3 alerts: CRIT web01 disk /; CRIT web01 disk /; CRIT web01 disk /" \
	"a digest of 3: one short line"

send gwdefault --id 31 --kind recovery --state OK
is "$(req $((K + 1)) 'json.loads(r["body"])["text"]')" "RECOVERED web01 disk /" \
	"a recovery: one short line"
arrived 1 "a recovery"

# ---- configuration and secrets -------------------------------------------------------
send badurl --id 40
is "$RC" 2 "a placeholder in the url: refused"
like "$ERR" 'url.*placeholder|placeholder.*url' "a placeholder in the url: says why"
arrived 0 "a placeholder in the url"

send tw --id 41 -v
is "$RC" 0 "verbose: delivered"
arrived 1 "verbose"
like "$ERR" 'sendnotice: sms tw: POST' "verbose: the channel logs its requests"
ok "! grep -F -e '$TOKEN' '$T/stderr'" "the token is never logged"

done_testing
