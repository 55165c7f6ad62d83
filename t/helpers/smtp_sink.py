#!/usr/bin/python3
"""smtp_sink.py - an SMTP server for the mail channel's tests (aiosmtpd).

Listens on 127.0.0.1:PORT and stores each message it accepts, byte for byte
as received (after SMTP dot-unstuffing), as DIR/new/NNNN.eml (written in
DIR/tmp/ and renamed, as in a maildir), and appends one JSON line per message
to DIR/log.jsonl: {"file", "mail_from", "rcpt_tos", "tls", "auth_user"}.

  smtp_sink.py --dir DIR [--port 2525]
      [--tls-cert CERT --tls-key KEY]  offer STARTTLS, and require it
      [--implicit-tls]                 TLS from the first byte (smtps://)
      [--auth USER:PASSWORD] [--auth-file FILE]   require AUTH (PLAIN, LOGIN);
                                       FILE has USER:PASSWORD lines
      [--tempfail ADDR]...             answer RCPT TO:<ADDR> with 451
      [--permfail ADDR]...             answer RCPT TO:<ADDR> with 550
      [--reject-data ADDR]...          answer the message for ADDR with 554
      [--mode smtp|mute|blackhole]     mute: accept connections, never speak;
                                       blackhole: a full listen queue, so that
                                       connecting hangs (a connect timeout)

Prints "ready PORT" on stdout once it listens.  Runs until killed.
"""
import argparse
import asyncio
import json
import os
import signal
import socket
import ssl
import sys
import logging
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

HOST = "127.0.0.1"

# aiosmtpd 1.4 logs a warning about its own use of Session.login_data
logging.getLogger("mail.log").setLevel(logging.ERROR)


class Store:
    """Messages as files, in the order they arrived."""

    def __init__(self, directory):
        self.dir = directory
        for sub in ("tmp", "new"):
            os.makedirs(os.path.join(directory, sub), exist_ok=True)
        self.n = len(os.listdir(os.path.join(directory, "new")))

    def add(self, content, envelope, session, tls):
        self.n += 1
        name = "%04d.eml" % self.n
        tmp = os.path.join(self.dir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(self.dir, "new", name))
        auth = getattr(session, "auth_data", None)
        record = {
            "file": "new/" + name,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": tls,
            "auth_user": auth.login.decode() if isinstance(auth, LoginPassword) else None,
        }
        with open(os.path.join(self.dir, "log.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")


class Handler:
    def __init__(self, store, tempfail, permfail, reject_data):
        self.store = store
        self.tempfail = {a.lower() for a in tempfail}
        self.permfail = {a.lower() for a in permfail}
        self.reject_data = {a.lower() for a in reject_data}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.tempfail:
            return "451 4.3.0 try again later"
        if address.lower() in self.permfail:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(a.lower() in self.reject_data for a in envelope.rcpt_tos):
            return "554 5.6.0 message refused"
        # STARTTLS replaces the transport; smtps:// has had TLS from the start
        tls = server.transport is not None and server.transport.get_extra_info("ssl_object")
        self.store.add(envelope.original_content, envelope, session, tls is not None)
        return "250 2.0.0 stored"


def read_users(args):
    users = {}
    pairs = list(args.auth or [])
    if args.auth_file:
        with open(args.auth_file) as f:
            pairs += [line.rstrip("\n") for line in f if ":" in line]
    for pair in pairs:
        user, _, password = pair.partition(":")
        users[user.encode()] = password.encode()
    return users


def authenticator(users):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            mechanism in ("PLAIN", "LOGIN")
            and isinstance(auth_data, LoginPassword)
            and users.get(auth_data.login) == auth_data.password
        )
        if not ok:  # handled=False: aiosmtpd answers 535 itself
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data)

    return check


def tls_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    return ctx


def serve_smtp(args):
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    handler = Handler(Store(args.dir), args.tempfail, args.permfail, args.reject_data)
    users = read_users(args)
    kwargs = {"hostname": "sink.test", "data_size_limit": 10 * 1024 * 1024}
    ctx = tls_context(args) if args.tls_cert else None
    if ctx is not None and not args.implicit_tls:
        kwargs.update(tls_context=ctx, require_starttls=True)
    if users:
        kwargs.update(
            authenticator=authenticator(users),
            auth_required=True,
            # STARTTLS before AUTH; aiosmtpd cannot see that smtps:// is TLS
            auth_require_tls=ctx is not None and not args.implicit_tls,
        )
    server = loop.run_until_complete(
        loop.create_server(
            lambda: SMTP(handler, loop=loop, **kwargs),
            HOST,
            args.port,
            ssl=ctx if args.implicit_tls else None,
            reuse_address=True,
        )
    )
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    print("ready", args.port, flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


def serve_silence(args):
    """mute: connections are accepted (by the kernel) and never answered.
    blackhole: the listen queue is full, so new connections hang in SYN."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, args.port))
    s.listen(0 if args.mode == "blackhole" else 64)
    fillers = []
    if args.mode == "blackhole":
        for _ in range(8):  # fill the accept queue; the rest are dropped
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            try:
                c.connect((HOST, args.port))
            except BlockingIOError:
                pass
            fillers.append(c)
        time.sleep(0.2)
    print("ready", args.port, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        time.sleep(3600)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=2525)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--auth", action="append", metavar="USER:PASSWORD")
    p.add_argument("--auth-file")
    p.add_argument("--tempfail", action="append", default=[])
    p.add_argument("--permfail", action="append", default=[])
    p.add_argument("--reject-data", action="append", default=[])
    p.add_argument("--mode", choices=("smtp", "mute", "blackhole"), default="smtp")
    args = p.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key) or (args.implicit_tls and not args.tls_cert):
        p.error("--tls-cert and --tls-key go together; --implicit-tls needs them")
    if args.mode == "smtp":
        serve_smtp(args)
    else:
        os.makedirs(args.dir, exist_ok=True)
        serve_silence(args)


if __name__ == "__main__":
    main()
