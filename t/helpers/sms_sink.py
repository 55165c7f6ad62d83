#!/usr/bin/python3
"""sms_sink.py - an SMS gateway for the tests: records what arrives, answers as told.

    sms_sink.py --log FILE [--port 8081] [--control FILE] [--ready FILE]
                [--respond CODE[:RETRY_AFTER]] [--times K] [--cert PEM --key PEM]

Listens on 127.0.0.1:PORT (HTTP/1.1, a thread per connection; HTTPS with
--cert and --key).  Every request is appended to the log
FILE as one JSON object per line: method, path, content_type, authorization,
headers (all of them, names lower-cased), body (UTF-8, bad bytes replaced).

The answer to each request is taken from the first line of the control FILE
(the line is then removed): "CODE [RETRY_AFTER]", e.g. "429 7" (Retry-After:
7), "503 Wed, 21 Oct 2037 07:28:00 GMT", "500", "400"; "sleep N" answers
201 after N seconds.  With no such line, the first K requests get --respond
(default 201), the rest 201.  Bodies look like Twilio's: a message resource
for 2xx, {"code":..,"message":..,"status":..} for errors.  The --ready FILE
is written once the socket listens.  SIGTERM ends it.
"""
import argparse
import json
import os
import signal
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ERRORS = {
    400: (21211, "The 'To' number is not a valid phone number."),
    401: (20003, "Authentication Error - invalid username"),
    404: (20404, "The requested resource was not found"),
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}


class Plan:
    """What to answer next: the control file first, then --respond K times."""

    def __init__(self, control, respond, times):
        self.control = control
        self.respond = respond
        self.times = times

    def _from_control(self):
        if not self.control or not os.path.exists(self.control):
            return None
        with open(self.control, encoding="utf-8") as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        if not lines:
            return None
        with open(self.control + ".tmp", "w", encoding="utf-8") as f:
            f.write("".join(l + "\n" for l in lines[1:]))
        os.replace(self.control + ".tmp", self.control)
        return lines[0]

    def next(self):
        """(status, retry_after or None, seconds to wait first) for the next request."""
        line = self._from_control()
        if line is None and self.times > 0:
            self.times -= 1
            line = self.respond.replace(":", " ", 1)
        if line is None:
            return 201, None, 0
        words = line.split(None, 1)  # an HTTP-date has spaces
        if words[0] == "sleep":
            return 201, None, float(words[1])
        return int(words[0]), (words[1].strip() if len(words) > 1 else None), 0


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sms_sink/1"

    def log_message(self, fmt, *args):  # quiet: the log file is the record
        pass

    def _record(self, body):
        rec = {
            "method": self.command,
            "path": self.path,
            "content_type": self.headers.get("Content-Type"),
            "authorization": self.headers.get("Authorization"),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", errors="replace"),
        }
        with open(self.server.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        with self.server.lock:  # one request at a time in the log and the plan
            self._record(body)
            status, retry_after, wait = self.server.plan.next()
        time.sleep(wait)
        if 200 <= status < 300:
            reply = {"sid": "SM" + "0" * 32, "status": "queued"}
        else:
            code, message = ERRORS.get(status, (status, "error"))
            reply = {"code": code, "message": message, "status": status}
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(data)

    do_POST = _answer
    do_PUT = _answer
    do_GET = _answer


def main():
    p = argparse.ArgumentParser(description="an SMS gateway for the tests")
    p.add_argument("--port", type=int, default=8081)
    p.add_argument("--log", required=True)
    p.add_argument("--control")
    p.add_argument("--ready")
    p.add_argument("--respond", default="201")
    p.add_argument("--times", type=int, default=0)
    p.add_argument("--cert")
    p.add_argument("--key")
    a = p.parse_args()

    # Threads: a client may keep one connection open while it sends on another.
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Sink)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.log_path = a.log
    server.plan = Plan(a.control, a.respond, a.times)
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if a.ready:
        with open(a.ready, "w", encoding="utf-8") as f:
            f.write("%d\n" % os.getpid())
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
