#!/usr/bin/python3 -S
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Slow connections (slowloris) against the server, and /healthz from another address
(test_http_slow.sh, issue 16.3). Loopback only; it stops itself after SECONDS.

usage: slow_load.py PORT N ADDRS SECONDS SERVER_PID

N connections from ADDRS loopback addresses (127.0.0.2, 127.0.0.3, ...), each sending the
request line and half a header, then nothing. A connection the server closes (over its limits,
or its header timeout) is opened again half a second later, as an attacker would. Meanwhile
/healthz is asked every 100 ms, on a new connection each time, from 127.0.0.200. Prints one JSON
line: probes, failed (no 200 within 5 s), worst_ms, held_max (connections open at once, the
server's accepted and not yet closed), reopened, rss_max_kb (the server's)."""
import json
import resource
import selectors
import socket
import sys
import time

from loadlib import start_probes

HALF = b"GET /api/clients HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\nX-Wait: "


def rss_kb(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    port, n, naddr, seconds, pid = (int(a) for a in sys.argv[1:6])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    sel = selectors.DefaultSelector()
    state = {}  # fd -> [sock, slot, connected]
    retry = []  # (when, slot) to reopen
    opened = reopened = 0
    held_max = 0
    rss_max = 0

    def open_slot(slot):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind(("127.0.0.%d" % (2 + slot % naddr), 0))
            s.connect_ex(("127.0.0.1", port))
        except OSError:
            s.close()
            retry.append((time.monotonic() + 0.5, slot))
            return
        state[s.fileno()] = [s, slot, 0.0]  # the time the half header went out
        sel.register(s, selectors.EVENT_WRITE | selectors.EVENT_READ)

    def drop(fd):
        s, slot, _ = state.pop(fd)
        sel.unregister(s)
        s.close()
        retry.append((time.monotonic() + 0.5, slot))

    stop, probes, th = start_probes("127.0.0.1", port, 0.1, 5, source="127.0.0.200")
    t_end = time.monotonic() + seconds
    next_slot = 0
    try:
        while time.monotonic() < t_end:
            now = time.monotonic()
            # open the connections in batches of 250 every 50 ms (about a second for 5,000)
            for _ in range(250):
                if next_slot >= n:
                    break
                open_slot(next_slot)
                next_slot += 1
                opened += 1
            due = [x for x in retry if x[0] <= now]
            retry[:] = [x for x in retry if x[0] > now]
            for _, slot in due[:500]:
                open_slot(slot)
                reopened += 1
            retry.extend(due[500:])
            for key, ev in sel.select(timeout=0.05):
                fd = key.fd
                s, slot, connected = state[fd]
                if ev & selectors.EVENT_READ:
                    try:
                        data = s.recv(4096)
                    except OSError:
                        data = b""
                    if not data:  # closed by the server (or refused)
                        drop(fd)
                        continue
                if ev & selectors.EVENT_WRITE and not connected:
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                        drop(fd)
                        continue
                    try:
                        s.send(HALF)
                    except OSError:
                        drop(fd)
                        continue
                    state[fd][2] = time.monotonic()
                    sel.modify(s, selectors.EVENT_READ)
            # held: sent its half header over 0.3 s ago and still open (a refused connection
            # is closed at once, so it does not count)
            held = sum(1 for v in state.values() if v[2] and now - v[2] > 0.3)
            held_max = max(held_max, held)
            rss_max = max(rss_max, rss_kb(pid))
    finally:
        stop.set()
        th.join()
        for s, _, _ in list(state.values()):
            s.close()
    times = [p[0] for p in probes]
    print(json.dumps({
        "probes": len(probes),
        "failed": sum(1 for p in probes if not p[1]),
        "worst_ms": round(1000 * max(times), 1) if times else None,
        "held_max": held_max,
        "opened": opened,
        "reopened": reopened,
        "rss_max_kb": rss_max,
    }))


main()
