#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Slow connections (issue 16.3): a request head that stops half-way is closed after the short
# header timeout while a slow body gets the longer body timeout; 5,000 slow connections from 50
# loopback addresses (slow_load.py) leave the server answering /healthz from another address
# within 1 s throughout (2 s under the sanitizers). Loopback only; every load stops itself.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

DATA=$T/data
start_server "$DATA" --demo --demo-password "$DEMO_PW" --header-timeout 2 --body-timeout 30 ||
    { not_ok "server starts"; done_testing; exit 1; }
ok "server starts on $BASE with a 2 s header timeout and a 30 s body timeout"
PORT=${BASE##*:}

# A head that stops half-way is closed after the header timeout; a body that pauses longer
# than the header timeout (but within the body timeout) is still read and answered.
/usr/bin/python3 -S - "$PORT" >"$T/timeouts" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
head = socket.create_connection(("127.0.0.1", port))
head.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Wait: ")
body = socket.create_connection(("127.0.0.1", port))
payload = b'{"username":"nobody","password":"not the password"}'
body.sendall(b"POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             b"Content-Length: %d\r\n\r\n" % len(payload) + payload[:10])
head.settimeout(15)
t0 = time.monotonic()
try:
    closed = head.recv(100) == b""
except OSError:
    closed = True
print("head_closed=%d after=%.1f" % (closed, time.monotonic() - t0))
time.sleep(max(0, 4 - (time.monotonic() - t0)))  # the body has now paused 4 s
try:
    body.sendall(payload[10:])
    body.settimeout(15)
    reply = body.recv(200)
except OSError:
    reply = b""
print("body_reply=%s" % reply.split(b"\r\n")[0].decode("ascii", "replace"))
EOF
sed 's/^/# /' "$T/timeouts"
grep -qE '^head_closed=1 after=([0-9]|1[0-4])\.' "$T/timeouts" &&
    ok "a request head idle past the header timeout is closed" ||
    not_ok "a request head idle past the header timeout is closed"
grep -q '^body_reply=HTTP/1.1 401' "$T/timeouts" &&
    ok "a body pausing longer than the header timeout is still answered" ||
    not_ok "a body pausing longer than the header timeout is still answered"
healthy && ok "healthy after the slow requests" || not_ok "healthy after the slow requests"

# 5,000 slow connections from 50 addresses for 8 s (with the 2 s header timeout, each slot is
# freed and taken again several times), /healthz from 127.0.0.200 every 100 ms.
N=5000 SECS=8
OUT=$(/usr/bin/python3 -S "$here/slow_load.py" "$PORT" "$N" 50 "$SECS" "$SERVER_PID")
echo "# slow_load: $OUT"
echo "$OUT" >"$T/slow.json"
probes=$(jget "$T/slow.json" 'd["probes"]')
failed=$(jget "$T/slow.json" 'd["failed"]')
worst=$(jget "$T/slow.json" 'd["worst_ms"]')
held=$(jget "$T/slow.json" 'd["held_max"]')
[ "${probes:-0}" -ge 10 ] && [ "$failed" = 0 ] &&
    ok "/healthz answered 200 to all $probes probes during $N slow connections" ||
    not_ok "/healthz during $N slow connections: $failed of $probes probes failed"
# the bound is issue 16.3's 1 s on the plain build; under ASan+UBSan every step of the server
# (and of the 5,000 connections' load) runs 2-3 times slower, so there it is 2 s (a run at
# 1006 ms failed a CI check though nothing was blocked)
bound=1000
[ "${PC_SAN:-0}" = 1 ] && bound=2000
$PY -c "import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)" "${worst:-99999}" "$bound" &&
    ok "every /healthz answered within $bound ms (worst $worst ms)" ||
    not_ok "every /healthz answered within $bound ms (worst $worst ms)"
[ "${held:-0}" -ge 1000 ] && ok "the server really held the slow connections ($held at once)" ||
    not_ok "the server really held the slow connections (only ${held:-0})"
healthy && ok "healthy after the load" || not_ok "healthy after the load"
login pract demo "$DEMO_PW" && ok "a practitioner logs in after the load" ||
    not_ok "a practitioner logs in after the load"

stop_server && ok "server stops cleanly" || not_ok "server stops cleanly"
done_testing
