#!/usr/bin/env python3
"""bench/trapd_bench.py - the timing half of bench/trapd.sh (which starts the
servers): run a sender, watch what arrives at a trap receiver, time one
notification end to end.  Standard library only; Linux only (/proc/net/udp).

  trapd_bench.py deliver LOG PORT PID EXPECT TIMEOUT -- COMMAND...
      Run COMMAND (stdin passed on) and wait until EXPECT notifications are
      accounted for at the snmptrapd PID on 127.0.0.1:PORT: logged in LOG
      (records ending in "|END") or dropped by the kernel because its socket
      buffer was full (the socket's drop counter in /proc/net/udp).  Gives up
      when TIMEOUT seconds pass without progress.  Prints "key value" lines:
      sent_s (COMMAND's run time), last_s (from the start to the last record
      seen, polled every 2 ms), received, dropped, command_cpu_s (COMMAND and
      its children), receiver_cpu_s (snmptrapd's CPU time meanwhile).

  trapd_bench.py latency SOCKET PORT SAMPLES PREFIX
      Bind a UDP receiver on 127.0.0.1:PORT (where trendtrapd's channel sends),
      then SAMPLES times: send one CRITICAL result of a new service PREFIXnnnnn
      through trendtrapd's SOCKET and wait for the datagram; the latency is from
      just before the line's write() to the datagram's arrival (time.time_ns()).
      Prints one latency in microseconds per line.

  trapd_bench.py snmptrap-latency PORT SAMPLES -- COMMAND...
      The same for COMMAND (an snmptrap sending to 127.0.0.1:PORT): from just
      before its fork to the datagram's arrival.

  trapd_bench.py udp-drops PORT
      The drop counter of the UDP socket bound to 127.0.0.1:PORT.
"""
import os
import resource
import socket
import subprocess
import sys
import time

CRIT = ("PROCESS_SERVICE_CHECK_RESULT;%s;disk /var;2;DISK_TREND CRITICAL - /var: 95%% used, "
        "full in 2h|/var=95%%;85;90;0;100 slope=1.5e+06B\n")


def udp_drops(port):
    """Drops of the UDP socket bound to 127.0.0.1:PORT (0 when none is)."""
    want = "0100007F:%04X" % port
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[1] == want:
                return int(fields[-1])
    return 0


class LogCounter:
    """Counts records ("...|END\\n") appended to a log after its current end."""

    def __init__(self, path):
        self.f = open(path, "rb")
        self.f.seek(0, 2)
        self.tail = b""
        self.count = 0

    def poll(self):
        data = self.f.read()
        if not data:
            return False
        data = self.tail + data
        self.count += data.count(b"|END\n")
        cut = data.rfind(b"\n")
        self.tail = data[cut + 1:] if cut >= 0 else data
        return True


def cpu_s(pid):
    """User + system CPU seconds of process PID so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def deliver(args):
    log, port, pid = args[0], int(args[1]), int(args[2])
    expect, timeout = int(args[3]), float(args[4])
    cmd = args[args.index("--") + 1:]
    counter = LogCounter(log)
    drops0 = udp_drops(port)
    rcpu0 = cpu_s(pid)
    t0 = time.monotonic_ns()
    subprocess.run(cmd, check=True)
    sent = time.monotonic_ns()
    last = progress = sent
    dropped = 0
    while True:
        now = time.monotonic_ns()
        if counter.poll():
            last = progress = now
        d = udp_drops(port) - drops0
        if d != dropped:
            dropped, progress = d, now
        if counter.count + dropped >= expect or now - progress > timeout * 1e9:
            break
        time.sleep(0.002)
    print("sent_s %.6f" % ((sent - t0) / 1e9))
    print("last_s %.6f" % ((last - t0) / 1e9))
    print("received %d" % counter.count)
    print("dropped %d" % dropped)
    print("command_cpu_s %.2f" % children_cpu_s())
    print("receiver_cpu_s %.2f" % (cpu_s(pid) - rcpu0))


def receiver(port):
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.bind(("127.0.0.1", port))
    r.settimeout(10)
    return r


def latency(args):
    path, port, samples, prefix = args[0], int(args[1]), int(args[2]), args[3]
    r = receiver(port)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    for i in range(samples):
        line = (CRIT % ("%s%05d" % (prefix, i))).encode()
        t0 = time.time_ns()
        s.sendall(line)
        r.recv(65536)
        t1 = time.time_ns()
        print("%.1f" % ((t1 - t0) / 1e3))
        time.sleep(0.01)  # independent arrivals, not a burst
    s.close()


def snmptrap_latency(args):
    port, samples = int(args[0]), int(args[1])
    cmd = args[args.index("--") + 1:]
    r = receiver(port)
    for _ in range(samples):
        t0 = time.time_ns()
        p = subprocess.Popen(cmd)
        r.recv(65536)
        t1 = time.time_ns()
        p.wait()
        print("%.1f" % ((t1 - t0) / 1e3))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "deliver":
        deliver(args)
    elif cmd == "latency":
        latency(args)
    elif cmd == "snmptrap-latency":
        snmptrap_latency(args)
    elif cmd == "udp-drops":
        print(udp_drops(int(args[0])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
