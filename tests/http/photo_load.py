#!/usr/bin/python3 -S
# SPDX-License-Identifier: AGPL-3.0-or-later
"""N photo uploads at once against the worker pool (test_http_photos.sh).

usage: photo_load.py BASE JAR CSRF CLIENT_ID PHOTO N

Every upload starts at the same moment (a barrier), each on its own connection. Prints one
line: "total=N accepted=A busy=B other=O errors=E" (accepted = 2xx, busy = 503 with a
Retry-After header, other = any other status, errors = no answer at all)."""
import http.client
import sys
import threading
import urllib.parse

from loadlib import cookie_from_jar


def main():
    base, jar, csrf, cid, photo, n = sys.argv[1:7]
    n = int(n)
    url = urllib.parse.urlparse(base)
    cookie = cookie_from_jar(jar)
    body = open(photo, "rb").read()
    ctype = "image/png" if photo.endswith(".png") else "image/jpeg"
    barrier = threading.Barrier(n)
    lock = threading.Lock()
    counts = {"accepted": 0, "busy": 0, "other": 0, "errors": 0}
    statuses = {}

    def one():
        kind = None
        try:
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
            conn.connect()
            barrier.wait(timeout=60)
            conn.request("POST", "/api/clients/%s/photos?kind=before" % cid, body=body,
                         headers={"Cookie": "pc_session=" + cookie, "X-CSRF-Token": csrf,
                                  "Content-Type": ctype})
            resp = conn.getresponse()
            resp.read()
            st = resp.status
            if 200 <= st < 300:
                kind = "accepted"
            elif st == 503 and resp.getheader("Retry-After"):
                kind = "busy"
            else:
                kind = "other"
            with lock:
                statuses[st] = statuses.get(st, 0) + 1
            conn.close()
        except Exception:  # no answer: the test fails on it
            kind = "errors"
        with lock:
            counts[kind] += 1

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("total=%d accepted=%d busy=%d other=%d errors=%d statuses=%s" % (
        n, counts["accepted"], counts["busy"], counts["other"], counts["errors"],
        ",".join("%d:%d" % kv for kv in sorted(statuses.items()))))


if __name__ == "__main__":
    main()
