#!/usr/bin/python3 -S
# SPDX-License-Identifier: AGPL-3.0-or-later
"""An upload whose check decode is long, and /healthz on the same server meanwhile
(test_http_upload_check.sh). Raw sockets, so that the order of the answers is what is seen.

usage: upload_order.py MODE BASE JAR CSRF CLIENT_ID PHOTO [SERVER_PID]

order   one upload sent whole, then GET /healthz on a second connection; prints one JSON line:
        "first" (which answer was complete first: "healthz" or "upload"), "upload" and "healthz"
        (their statuses, 0: no answer) and "ms" (when each answer ended, from the healthz request: figures to report, never asserted).
hangup  one upload sent whole, then the connection closed without reading the answer.
stop    two uploads sent whole, then GET /healthz; once it is answered, SIGTERM to SERVER_PID
        while the checks are running or waiting; prints {"answers": [status, status]} (0: the
        connection closed without an answer, -1: no answer nor close within 300 s)."""
import json
import os
import selectors
import signal
import socket
import sys
import time
import urllib.parse

from loadlib import cookie_from_jar


def send_upload(host, port, cookie, csrf, cid, body):
    s = socket.create_connection((host, port))
    head = ("POST /api/clients/%s/photos?kind=before HTTP/1.1\r\nHost: %s:%d\r\n"
            "Content-Type: image/png\r\nContent-Length: %d\r\nX-CSRF-Token: %s\r\n"
            "Cookie: pc_session=%s\r\nConnection: close\r\n\r\n"
            % (cid, host, port, len(body), csrf, cookie)).encode()
    s.sendall(head + body)
    return s


def send_healthz(host, port):
    s = socket.create_connection((host, port))
    s.sendall(("GET /healthz HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n"
               % (host, port)).encode())
    return s


def status_of(data):
    try:
        return int(data.split(b" ", 2)[1]) if data else 0
    except (IndexError, ValueError):
        return 0


def read_all(socks, timeout, t0=None):
    """Read every socket to its end (Connection: close); returns ({name: bytes}, [(name, seconds
    since t0) in the order their answers ended]); a socket still open after timeout gets None."""
    t0 = time.monotonic() if t0 is None else t0
    sel = selectors.DefaultSelector()
    data, order = {}, []
    for name, s in socks.items():
        sel.register(s, selectors.EVENT_READ, name)
        data[name] = b""
    deadline = time.monotonic() + timeout
    while len(order) < len(socks) and time.monotonic() < deadline:
        for key, _ in sel.select(max(0.0, deadline - time.monotonic())):
            name = key.data
            try:
                chunk = key.fileobj.recv(65536)
            except OSError:
                chunk = b""
            if chunk:
                data[name] += chunk
            else:
                sel.unregister(key.fileobj)
                key.fileobj.close()
                order.append((name, time.monotonic() - t0))
    for name in socks:
        if name not in [n for n, _ in order]:
            data[name] = None
    return data, order


def main():
    mode, base, jar, csrf, cid, photo = sys.argv[1:7]
    url = urllib.parse.urlparse(base)
    host, port = url.hostname, url.port
    cookie = cookie_from_jar(jar)
    body = open(photo, "rb").read()
    if mode == "order":
        up = send_upload(host, port, cookie, csrf, cid, body)
        t0 = time.monotonic()
        hz = send_healthz(host, port)
        data, order = read_all({"upload": up, "healthz": hz}, 300, t0)
        print(json.dumps({"first": order[0][0] if order else None,
                          "upload": status_of(data["upload"]),
                          "healthz": status_of(data["healthz"]),
                          "ms": {name: round(1000 * t, 1) for name, t in order}}))
    elif mode == "hangup":
        s = send_upload(host, port, cookie, csrf, cid, body)
        s.close()
    elif mode == "stop":
        pid = int(sys.argv[7])
        ups = {"a": send_upload(host, port, cookie, csrf, cid, body),
               "b": send_upload(host, port, cookie, csrf, cid, body)}
        hz = send_healthz(host, port)
        read_all({"healthz": hz}, 300)
        os.kill(pid, signal.SIGTERM)
        data, _ = read_all(ups, 300)
        print(json.dumps({"answers": [-1 if data[k] is None else status_of(data[k])
                                      for k in ("a", "b")]}))


main()
