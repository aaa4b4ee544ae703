#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The authorisation matrix in one process (a process per request is slow on a busy machine).

usage: matrix.py BASE_URL TMPDIR < table
Each table row: METHOD PATH BODY|- then one expectation per column (U = 401, F = 403,
A = allowed: any answer but 401/403, - = not checked), for the logins named on the first line:
  # whos: anon recep pract admin trainee
Logins are read from TMPDIR/jar_WHO (curl cookie jars: a staff session pc_session, or a
client's portal session pc_portal) and TMPDIR/csrf_WHO. A line "#! text" is a failure of the
table itself (routes.py: a route it could not test).
Prints one line per check: "ok <description>" or "not ok <description>" (the caller numbers
them for TAP)."""
import http.client
import sys
import urllib.parse


def cookie_of(tmp, who):
    try:
        with open(f"{tmp}/jar_{who}") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 7 and parts[5] in ("pc_session", "pc_portal"):
                    return f"{parts[5]}={parts[6]}"
    except OSError:
        pass
    return None


def main():
    base, tmp = sys.argv[1], sys.argv[2]
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    whos = []
    for line in sys.stdin:
        line = line.strip()
        if line.startswith("# whos:"):
            whos = line.split(":", 1)[1].split()
            continue
        if line.startswith("#!"):
            print(f"not ok matrix table: {line[2:].strip()}")
            continue
        if not line or line.startswith("#"):
            continue
        f = line.split()
        method, path, body, want = f[0], f[1], f[2], f[3:]
        if len(want) != len(whos):
            print(f"not ok matrix row has {len(want)} columns, want {len(whos)}: {line}")
            continue
        for who, w in zip(whos, want):
            if w == "-":
                continue
            headers = {}
            if who != "anon":
                c = cookie_of(tmp, who)
                with open(f"{tmp}/csrf_{who}") as fh:
                    headers["X-CSRF-Token"] = fh.read().strip()
                if c:
                    headers["Cookie"] = c
            data = None
            if body != "-":
                data = body.encode()
                headers["Content-Type"] = "application/json"
            try:
                conn.request(method, path, body=data, headers=headers)
                r = conn.getresponse()
                text = r.read()[:160].decode(errors="replace")
                st = r.status
            except Exception as e:  # a dropped connection is a failure of its own
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
                print(f"not ok matrix: {method} {path} as {who}: {e}")
                continue
            desc = f"matrix: {method} {path} as {who}"
            if (w == "U" and st == 401) or (w == "F" and st == 403):
                print(f"ok {desc} -> {st}")
            elif w == "A" and st not in (401, 403):
                print(f"ok {desc} allowed ({st})")
            else:
                print(f"not ok {desc} -> {st}, want {w} ({text})")


main()
