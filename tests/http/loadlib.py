# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the load scripts of the HTTP tests share (photo_load.py, decode_load.py,
slow_load.py): the session cookie from a curl cookie jar, and /healthz probes."""
import http.client
import threading
import time


def cookie_from_jar(path):
    """The pc_session cookie in a curl cookie jar (exits when there is none)."""
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) == 7 and parts[5] == "pc_session":
            return parts[6]
    raise SystemExit("no pc_session in " + path)


def probe_healthz(host, port, stop, probes, every, timeout, source=None):
    """Until the event stop is set: GET /healthz on a new connection (from the address
    source, when given) every `every` seconds; appends (seconds, answered 200) to probes."""
    while not stop.is_set():
        t0 = time.monotonic()
        good = False
        try:
            c = http.client.HTTPConnection(host, port, timeout=timeout,
                                           source_address=(source, 0) if source else None)
            c.request("GET", "/healthz")
            r = c.getresponse()
            r.read()
            good = r.status == 200
            c.close()
        except (OSError, http.client.HTTPException):
            good = False
        probes.append((time.monotonic() - t0, good))
        time.sleep(every)


def start_probes(host, port, every, timeout, source=None):
    """probe_healthz on a thread of its own: returns (stop event, probes list, thread)."""
    stop, probes = threading.Event(), []
    t = threading.Thread(target=probe_healthz, args=(host, port, stop, probes, every, timeout,
                                                     source))
    t.start()
    return stop, probes, t
