#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Load for the crash test: worker threads run whole treatment sessions (consent, start,
record every step, sign) against the server, and the server is killed with SIGKILL while
they run. Every write the server acknowledged (2xx) is listed in OUT (JSON) for the check
after restart.

Each step is recorded done at once, with the reason an early end needs; the session is signed
with the practitioner's password (a deliberate signature, issue 17).

usage: crash_load.py BASE TMPDIR CLIENT_ID SERVER_PID THREADS SECONDS MIN_SIGNED OUT PASSWORD"""
import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

base, tmp, client_id, pid, nthreads, seconds, min_signed, out, password = sys.argv[1:10]
client_id, pid, nthreads = int(client_id), int(pid), int(nthreads)
seconds, min_signed = float(seconds), int(min_signed)
u = urllib.parse.urlparse(base)


def cookie(who):
    with open(f"{tmp}/jar_{who}") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) == 7 and p[5] == "pc_session":
                return p[6]


HEADERS = {
    "Cookie": "pc_session=" + cookie("pract"),
    "X-CSRF-Token": open(f"{tmp}/csrf_pract").read().strip(),
    "Content-Type": "application/json",
}
lock = threading.Lock()
acked_signed, acked_steps, acked_sessions = [], [], []
stop = threading.Event()


def call(conn, method, path, body=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers=HEADERS)
    r = conn.getresponse()
    return r.status, json.loads(r.read() or b"null")


def worker(n):
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        while not stop.is_set():
            st, c = call(conn, "POST", f"/api/clients/{client_id}/consents",
                         {"agreed": ["treatment", "extraction", "high_frequency",
                                                    "chemical_exfoliation"],
                                         "client_name": f"load {n}"})
            if st != 201:
                raise RuntimeError(f"consent {st} {c}")
            st, s = call(conn, "POST", f"/api/clients/{client_id}/sessions",
                         {"consent_id": c["id"], "implement_set": f"tray {n}"})
            if st != 201:
                raise RuntimeError(f"start {st} {s}")
            sid = s["id"]
            with lock:
                acked_sessions.append(sid)
            for step in [x["step"] for x in s["steps"] if x["action"] != "skip"]:
                st, _ = call(conn, "POST", f"/api/sessions/{sid}/steps/{step}/record",
                             {"outcome": "done", "implement_batch": f"b{n}",
                              "early_reason": "recorded at once by the crash test"})
                if st != 200:
                    raise RuntimeError(f"record {st}")
                with lock:
                    acked_steps.append([sid, step])
            st, _ = call(conn, "POST", f"/api/sessions/{sid}/sign", {"password": password})
            if st != 200:
                raise RuntimeError(f"sign {st}")
            with lock:
                acked_signed.append(sid)
    except Exception:
        pass  # the server was killed: whatever was not acknowledged may be lost


threads = [threading.Thread(target=worker, args=(i,)) for i in range(nthreads)]
for t in threads:
    t.start()
t0 = time.time()
while time.time() - t0 < seconds:
    with lock:
        if len(acked_signed) >= min_signed:
            break
    time.sleep(0.05)
time.sleep(0.1)  # make sure requests are in flight
os.kill(pid, signal.SIGKILL)
stop.set()
for t in threads:
    t.join()
with open(out, "w") as f:
    json.dump({"signed": acked_signed, "steps": acked_steps, "sessions": acked_sessions,
               "seconds": round(time.time() - t0, 2)}, f)
print(f"acknowledged: {len(acked_sessions)} sessions started, {len(acked_steps)} steps, "
      f"{len(acked_signed)} signed in {time.time() - t0:.1f} s before SIGKILL")
