#!/usr/bin/python3
"""Recipient MX for the end-to-end tests.

The SMTP server is aiosmtpd (Debian's python3-aiosmtpd); this script is only
its handler. Run it with Debian's interpreter, /usr/bin/python3.

    smtp_sink.py --host 127.0.0.x --port N --dir DIR [--ehlo-hostname NAME]

It offers PIPELINING (aiosmtpd reads commands line by line, so pipelined
commands are answered in order), which lets tests see what a client does with
the replies to RCPTs pipelined behind a refused MAIL.

The sender's local part (case-insensitive prefix) can refuse MAIL:

    greylist*      451 4.7.1 Greylisted, try again later
    needauth*      530 5.7.0 Must issue a STARTTLS command first

Behaviour is chosen by the recipient's local part (case-insensitive prefix):

    defer-once*    first RCPT for that exact address: 451 4.3.0, later ones accepted
    defer-always*  always 451 4.3.0
    ratelimit-once* first RCPT for that exact address: 421 4.7.28 (Gmail's "unusual rate"), later ones accepted
    reject*        550 5.1.1 No such user
    slow*          accepted, but DATA is answered only after 2 s
    anything else  accepted

Every accepted message is stored as DIR/<n>.eml (the bytes exactly as received,
after dot-unstuffing, CRLF line endings kept) and DIR/<n>.json
({"mail_from", "rcpt_tos", "helo", "peer", "mail_options", "rcpt_options"}).
Both are written to a temporary name and renamed; the .json is renamed last,
so its presence means the message is complete.

Prints "READY" on stdout once listening; exits with status 0 on SIGTERM/SIGINT.
"""

import argparse
import asyncio
import itertools
import json
import logging
import os
import signal
import time
import sys

from aiosmtpd.smtp import SMTP

DATA_SIZE_LIMIT = 50 * 1024 * 1024
TRY_AGAIN = "451 4.3.0 Try again later"
NO_SUCH_USER = "550 5.1.1 No such user"
GREYLISTED = "451 4.7.1 Greylisted, try again later"
RATE_LIMITED = "421 4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address"
NEEDS_AUTH = "530 5.7.0 Must issue a STARTTLS command first"
SLOW_SECONDS = 2.0


def local_part(address):
    return address.rpartition("@")[0].lower() if "@" in address else address.lower()


class RecordingHandler:
    def __init__(self, directory):
        self.directory = directory
        self.sequence = itertools.count(1)
        self.deferred_once = set()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return responses[:-1] + ["250-PIPELINING"] + responses[-1:]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        local = local_part(address)
        if local.startswith("greylist"):
            return GREYLISTED
        if local.startswith("needauth"):
            return NEEDS_AUTH
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = local_part(address)
        if local.startswith("defer-always"):
            return TRY_AGAIN
        if local.startswith("defer-once") and address not in self.deferred_once:
            self.deferred_once.add(address)
            return TRY_AGAIN
        if local.startswith("ratelimit-once") and address not in self.deferred_once:
            self.deferred_once.add(address)
            return RATE_LIMITED
        if local.startswith("reject"):
            return NO_SUCH_USER
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(local_part(rcpt).startswith("slow") for rcpt in envelope.rcpt_tos):
            await asyncio.sleep(SLOW_SECONDS)
        n = next(self.sequence)
        raw = envelope.original_content
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "helo": session.host_name,
            "peer": "%s:%s" % tuple(session.peer[:2]) if session.peer else None,
            "mail_options": list(envelope.mail_options),
            "rcpt_options": list(envelope.rcpt_options),
            "received_at": time.time(),
        }
        self._write_atomically("%d.eml" % n, raw)
        self._write_atomically("%d.json" % n, json.dumps(meta).encode("utf-8"))
        logging.getLogger("smtp_sink").info("stored message %d (%d bytes) for %s", n, len(raw), meta["rcpt_tos"])
        return "250 2.0.0 OK: queued as %d" % n

    def _write_atomically(self, name, data):
        final = os.path.join(self.directory, name)
        temporary = os.path.join(self.directory, "." + name + ".tmp")
        with open(temporary, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, final)


async def serve(args):
    os.makedirs(args.dir, exist_ok=True)
    handler = RecordingHandler(args.dir)
    loop = asyncio.get_running_loop()

    def factory():
        return SMTP(
            handler,
            hostname=args.ehlo_hostname,
            data_size_limit=DATA_SIZE_LIMIT,
            enable_SMTPUTF8=True,
            decode_data=False,
            loop=loop,
        )

    server = await loop.create_server(factory, host=args.host, port=args.port, reuse_address=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("READY", flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()
    print("STOPPED", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--ehlo-hostname", default="sink.test")
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s %(levelname)s %(message)s")
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
