# t/lib-sinks.sh - a test's SMTP server (t/helpers/smtp_sink.py) and SMS
# gateway stand-in (t/helpers/sms_sink.py), each started, stopped and
# started again (an outage) on the ports P_SMTP and P_SMS.  What arrives:
# mail in $T/mail/new, SMS requests in $T/sms.jsonl.  Source after lib.sh.

smtp_pid=
# smtp_start [OPTION...]: start smtp_sink with these extra options (TLS,
# AUTH) and wait until it listens.
smtp_start() {
	: >"$T/smtp.out"
	/usr/bin/python3 "$TOP/t/helpers/smtp_sink.py" --dir "$T/mail" --port "$P_SMTP" "$@" \
		>"$T/smtp.out" 2>>"$T/smtp.err" &
	smtp_pid=$!
	_sink_i=0
	until grep -q '^ready' "$T/smtp.out"; do
		_sink_i=$((_sink_i + 1))
		[ $_sink_i -gt 200 ] && { echo "Bail out! smtp_sink did not start: $(cat "$T/smtp.err")"; exit 1; }
		sleep 0.05
	done
}
smtp_stop() { [ -z "$smtp_pid" ] || { kill $smtp_pid 2>/dev/null; wait $smtp_pid 2>/dev/null; smtp_pid=; }; }

sms_pid=
# sms_start [OPTION...]: the same for sms_sink.
sms_start() {
	rm -f "$T/sms.ready"
	/usr/bin/python3 "$TOP/t/helpers/sms_sink.py" --log "$T/sms.jsonl" --port "$P_SMS" \
		--ready "$T/sms.ready" "$@" 2>>"$T/sms.err" &
	sms_pid=$!
	_sink_i=0
	until [ -e "$T/sms.ready" ]; do
		_sink_i=$((_sink_i + 1))
		[ $_sink_i -gt 200 ] && { echo "Bail out! sms_sink did not start: $(cat "$T/sms.err")"; exit 1; }
		sleep 0.05
	done
}
sms_stop() { [ -z "$sms_pid" ] || { kill $sms_pid 2>/dev/null; wait $sms_pid 2>/dev/null; sms_pid=; }; }

at_exit "smtp_stop; sms_stop"
