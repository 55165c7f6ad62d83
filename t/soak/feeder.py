#!/usr/bin/python3
"""feeder.py - a steady stream of check results for the soak test (t/soak/soak.sh).

    feeder.py --seconds S [--services 3000] [--rate 200] [--period 60]
              [--flappers 20]

Writes PROCESS_SERVICE_CHECK_RESULT lines on standard output, for
"trendtrap submit -", in ticks of 0.1 s (times taken from the start, so the
rate does not drift), for S seconds, then exits.  Every output is unique
("... #N", N counting the lines), so that a receiver can tell a notification
delivered twice from two notifications.

  - SERVICES services, h00..h29 / s0000.., one result each in turn, RATE
    results a second in all: each every SERVICES/RATE seconds.
  - One in 50 of them is a problem service: CRITICAL for half of every
    PERIOD seconds, OK for the other half, each at its own phase.
  - FLAPPERS more services (f00..) get a result every second: for the first
    PERIOD seconds of every 2 x PERIOD they alternate OK and CRITICAL (the
    daemon's flapping detection starts, then stops), then stay OK.

At the end it prints "lines N" on standard error.
"""
import argparse
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--services", type=int, default=3000)
    p.add_argument("--rate", type=float, default=200)
    p.add_argument("--period", type=float, default=60)
    p.add_argument("--flappers", type=int, default=20)
    a = p.parse_args()

    out = sys.stdout
    n = 0
    nxt = 0  # the next regular service
    flip = [0] * a.flappers
    start = time.monotonic()
    tick = 0
    while True:
        t = tick * 0.1
        if t >= a.seconds:
            break
        lines = []
        due = int((tick + 1) * a.rate / 10) - int(tick * a.rate / 10)
        for _ in range(due):
            i = nxt
            nxt = (nxt + 1) % a.services
            rc = 0
            if i % 50 == 0:
                phase = (t + (i // 50) * a.period / (a.services / 50)) % a.period
                rc = 2 if phase < a.period / 2 else 0
            n += 1
            word = "CRITICAL" if rc else "OK"
            lines.append("PROCESS_SERVICE_CHECK_RESULT;h%02d;s%04d;%d;SOAK %s #%d|v=%d;;;0;100\n"
                         % (i % 30, i, rc, word, n, n % 100))
        if tick % 10 == 0:
            for k in range(a.flappers):
                phase = (t + k * 2 * a.period / max(a.flappers, 1)) % (2 * a.period)
                rc = 0
                if phase < a.period:
                    flip[k] ^= 1
                    rc = 2 * flip[k]
                n += 1
                word = "CRITICAL" if rc else "OK"
                lines.append("PROCESS_SERVICE_CHECK_RESULT;hf;f%02d;%d;FLAP %s #%d\n"
                             % (k, rc, word, n))
        out.write("".join(lines))
        out.flush()
        tick += 1
        delay = start + tick * 0.1 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print("lines", n, file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(1)
