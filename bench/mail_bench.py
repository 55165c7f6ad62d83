#!/usr/bin/python3
"""bench/mail_bench.py - the timing half of bench/mail.sh (which starts the
daemons and writes the tables).  Standard library only, plus aiosmtpd for the
sink; Linux only (/proc).

  mail_bench.py sink CONNFILE -- SMTP_SINK_ARGS...
      Run t/helpers/smtp_sink.py (its own code, in this process, so the sink's
      PID is this one) with SMTP_SINK_ARGS, after wrapping aiosmtpd's
      SMTP.connection_made so that each TCP connection the sink accepts
      appends one byte to CONNFILE: its size counts the connections (and,
      with STARTTLS required, the TLS handshakes).

  mail_bench.py deliver MAILDIR EXPECT TIMEOUT SINKPID -- COMMAND...
      Run COMMAND (stdin passed on) and wait until the sink storing into
      MAILDIR has stored EXPECT more messages (lines appended to
      MAILDIR/log.jsonl, which the sink writes after it renamed the message
      into MAILDIR/new/; polled every 2 ms).  Gives up when TIMEOUT seconds
      pass without a new message.  Prints "key value" lines: sent_s
      (COMMAND's run time), last_s (from the start to the last message seen),
      received (the files that appeared in MAILDIR/new/), command_cpu_s
      (COMMAND and its children), sink_cpu_s (the sink's CPU time meanwhile),
      listen_overflows (TcpExtListenOverflows of /proc/net/netstat meanwhile:
      connections the kernel could not queue for a listener's accept(),
      whole machine, so only meaningful on an otherwise quiet one).

  mail_bench.py order MAILDIR SKIP
      The messages the sink stored after the first SKIP (in the order of
      MAILDIR/log.jsonl, i.e. of arrival): prints "messages", "recoveries"
      and "recovery_first", the recoveries ("[RECOVERY] HOST ..." subjects)
      stored before the problem ("[CRITICAL] HOST ...") of the same host.

  mail_bench.py estab PORT
      How many TCP connections to 127.0.0.1:PORT are ESTABLISHED on the
      client's side (/proc/net/tcp): the connections a sender keeps open.
"""
import os
import resource
import sys
import time


def cpu_s(pid):
    """User + system CPU seconds of process PID so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def listen_overflows():
    with open("/proc/net/netstat") as f:
        lines = f.read().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split(), values.split()))["ListenOverflows"])
    return 0


def children_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def sink(args):
    connfile = args[0]
    sink_args = args[args.index("--") + 1:]
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "t", "helpers"))
    import aiosmtpd.smtp
    import smtp_sink

    fd = os.open(connfile, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    made = aiosmtpd.smtp.SMTP.connection_made

    def counted(self, transport):
        # STARTTLS calls connection_made again on the same connection, with
        # the TLS transport: count the TCP connection once.
        if not getattr(self, "_bench_counted", False):
            self._bench_counted = True
            os.write(fd, b"c")
        return made(self, transport)

    aiosmtpd.smtp.SMTP.connection_made = counted
    sys.argv = ["smtp_sink.py"] + sink_args
    smtp_sink.main()


def deliver(args):
    maildir, expect, timeout, pid = args[0], int(args[1]), float(args[2]), int(args[3])
    cmd = args[args.index("--") + 1:]
    import subprocess

    log = open(os.path.join(maildir, "log.jsonl"), "rb")
    log.seek(0, 2)
    files0 = len(os.listdir(os.path.join(maildir, "new")))
    count = 0
    scpu0 = cpu_s(pid)
    lo0 = listen_overflows()
    t0 = time.monotonic_ns()
    subprocess.run(cmd, check=True)
    sent = time.monotonic_ns()
    last = progress = sent
    while True:
        now = time.monotonic_ns()
        data = log.read()
        if data:
            count += data.count(b"\n")
            last = progress = now
        if count >= expect or now - progress > timeout * 1e9:
            break
        time.sleep(0.002)
    print("sent_s %.6f" % ((sent - t0) / 1e9))
    print("last_s %.6f" % ((last - t0) / 1e9))
    print("received %d" % (len(os.listdir(os.path.join(maildir, "new"))) - files0))
    print("command_cpu_s %.2f" % children_cpu_s())
    print("sink_cpu_s %.2f" % (cpu_s(pid) - scpu0))
    print("listen_overflows %d" % (listen_overflows() - lo0))


def order(args):
    import json
    import re

    maildir, skip = args[0], int(args[1])
    subject = re.compile(rb"^Subject: \[([A-Z]+)\] (\S+)", re.M)
    seen, messages, recoveries, first = set(), 0, 0, 0
    with open(os.path.join(maildir, "log.jsonl")) as f:
        lines = f.readlines()[skip:]
    for line in lines:
        with open(os.path.join(maildir, json.loads(line)["file"]), "rb") as m:
            head = m.read(4096)
        messages += 1
        hit = subject.search(head)
        if hit is None:
            continue
        kind, host = hit.group(1), hit.group(2)
        if kind == b"RECOVERY":
            recoveries += 1
            first += host not in seen
        else:
            seen.add(host)
    print("messages %d" % messages)
    print("recoveries %d" % recoveries)
    print("recovery_first %d" % first)


def estab(args):
    want = ":%04X" % int(args[0])
    n = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            # remote address 127.0.0.1:PORT, state 01 (ESTABLISHED)
            if fields[2] == "0100007F" + want and fields[3] == "01":
                n += 1
    print(n)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "sink":
        sink(args)
    elif cmd == "deliver":
        deliver(args)
    elif cmd == "order":
        order(args)
    elif cmd == "estab":
        estab(args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
