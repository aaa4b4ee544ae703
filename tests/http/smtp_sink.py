#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A real SMTP server for the e-mail tests (Debian's python3-aiosmtpd) on 127.0.0.1:PORT: every
message it accepts is written whole to DIR as PID-N.eml (written to a temporary name first, then
renamed, so a reader never sees half a message). Runs until SIGTERM or SIGINT.

While a file DIR/hold exists, the next message is written and the file removed, but the answer
waits HOLD seconds (the file's content, default 30): a sender stopped in that wait never learns
that its message was accepted. While a file DIR/slow exists, every answer waits its content in
seconds (a slow SMTP server: deliveries overlap with a second sender's).

usage: smtp_sink.py DIR PORT"""
import asyncio
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.n = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            n = self.n
        tmp = os.path.join(self.folder, f".{os.getpid()}-{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.folder, f"{os.getpid()}-{n}.eml"))
        hold = os.path.join(self.folder, "hold")
        try:
            with open(hold) as f:
                wait = float(f.read().strip() or 30)
            os.remove(hold)
        except OSError:
            wait = 0
        try:
            with open(os.path.join(self.folder, "slow")) as f:
                wait += float(f.read().strip() or 0)
        except OSError:
            pass
        if wait:
            await asyncio.sleep(wait)
        return "250 OK"


def main():
    folder, port = sys.argv[1], int(sys.argv[2])
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    c = Controller(Sink(folder), hostname="127.0.0.1", port=port)
    c.start()
    done.wait()
    c.stop()


main()
