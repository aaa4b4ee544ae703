#!/usr/bin/python3 -S
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Large photos uploaded at once, and /healthz meanwhile (test_http_photos_big.sh, issue 16.9).

usage: decode_load.py BASE JAR CSRF CLIENT_ID PHOTO N SERVER_PID

N uploads of PHOTO start together (a barrier), each on its own connection; /healthz is asked
every 20 ms on a new connection until they are all answered. Prints one JSON line: statuses
(status -> count), errors (no answer), health_worst_ms, health_probes, health_failed, and the
server's peak resident memory (VmHWM, KiB) read after the burst."""
import http.client
import json
import sys
import threading
import urllib.parse

from loadlib import cookie_from_jar, start_probes


def vmhwm(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main():
    base, jar, csrf, cid, photo, n, pid = sys.argv[1:8]
    n, pid = int(n), int(pid)
    url = urllib.parse.urlparse(base)
    cookie = cookie_from_jar(jar)
    body = open(photo, "rb").read()
    barrier = threading.Barrier(n + 1)
    lock = threading.Lock()
    statuses, errors = {}, [0]

    def upload():
        try:
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
            conn.connect()
            barrier.wait()
            conn.request("POST", "/api/clients/%s/photos?kind=before" % cid, body=body,
                         headers={"Content-Type": "image/png", "X-CSRF-Token": csrf,
                                  "Cookie": "pc_session=" + cookie})
            r = conn.getresponse()
            r.read()
            with lock:
                statuses[r.status] = statuses.get(r.status, 0) + 1
            conn.close()
        except (OSError, http.client.HTTPException):
            with lock:
                errors[0] += 1

    threads = [threading.Thread(target=upload) for _ in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    done, probes, hp = start_probes(url.hostname, url.port, 0.02, 10)
    for t in threads:
        t.join()
    done.set()
    hp.join()
    times = [p[0] for p in probes]
    print(json.dumps({
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": errors[0],
        "health_probes": len(probes),
        "health_failed": sum(1 for p in probes if not p[1]),
        "health_worst_ms": round(1000 * max(times), 1) if times else None,
        "vmhwm_kb": vmhwm(pid),
    }))


main()
