#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# /healthz while large photos are checked (make bench): one server with ONE HTTP thread
# (--threads 1, no analysis workers), wrk on loopback (8 connections) asking /healthz
#   1. alone                                  the baseline
#   2. while large photos are uploaded, one after another, by curl (a flat 8000 x 8000 PNG,
#      whose check decode inflates 192 MB on a check thread: src/web/web_check_pool.c)
# Prints requests/s and p99 of each, the ratio, how many uploads were answered meanwhile and
# how long each took. Before the check threads (the decode on the HTTP thread), every /healthz
# of the second run waited for the decode under way: its p99 was the decode's duration.
# Env: PORECLEAR (binary), BENCH_SECONDS (default 5). Run from the repository's top folder.
set -u
PORECLEAR=${PORECLEAR:-build/poreclear}
secs=${BENCH_SECONDS:-5}
if ! command -v wrk >/dev/null; then echo "bench_upload: wrk is not installed (scripts/install-deps test)"; exit 0; fi
if ! /usr/bin/python3 -c 'import PIL' 2>/dev/null; then echo "bench_upload: python3-pil is not installed (scripts/install-deps test)"; exit 0; fi
T=$(mktemp -d)
pid="" upl=""
cleanup() {
    [ -n "$upl" ] && kill "$upl" 2>/dev/null && wait "$upl" 2>/dev/null
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
pw=bench-password-1

/usr/bin/python3 -c '
import sys
from PIL import Image
Image.new("RGB", (8000, 8000), (201, 152, 131)).save(sys.argv[1])' "$T/big.png"
"$PORECLEAR" serve --data "$T/data" --listen 127.0.0.1:0 --port-file "$T/port" --demo \
    --demo-password "$pw" --threads 1 --analysis-workers 0 --analysis-queue 128 >"$T/out" 2>&1 &
pid=$!
for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || { echo "bench_upload: the server did not start"; cat "$T/out"; exit 1; }
B="http://127.0.0.1:$(cat "$T/port")"
curl -s -c "$T/jar" -o "$T/login" -H 'Content-Type: application/json' \
    --data-binary "{\"username\":\"demo\",\"password\":\"$pw\"}" "$B/api/login"
csrf=$(sed -n 's/.*"csrf_token":"\([0-9a-f]*\)".*/\1/p' "$T/login")
CID=$(curl -s -b "$T/jar" "$B/api/clients?q=Sofia" | sed -n 's/.*"clients":\[{"id":\([0-9]*\).*/\1/p')
curl -s -o /dev/null -b "$T/jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
    --data-binary '{"agreed":["treatment","photos"],"client_name":"Sofia Rossi"}' "$B/api/clients/$CID/consents"

# run NAME: wrk on /healthz; prints a line, sets RPS and P99 (ms)
run() {
    wrk -t1 -c8 -d"${secs}s" --latency "$B/healthz" >"$T/wrk" 2>&1
    RPS=$(awk '/^Requests\/sec/ {print $2}' "$T/wrk")
    P99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' "$T/wrk")
    local p99="p99 ${P99:-?} ms"
    [ "${RPS:-0}" = 0 ] || [ "${RPS:-0}" = 0.00 ] && p99="none answered in ${secs} s"
    printf '%-50s %8.0f req/s   %s   %s\n' "$1" "${RPS:-0}" "$p99" \
        "$(awk '/Non-2xx|Socket errors/ {print}' "$T/wrk" | tr '\n' ' ')"
}

echo "wrk, 8 connections, ${secs} s each; server --threads 1 --analysis-workers 0; $(nproc) cores"
run "GET /healthz alone"
base_rps=$RPS
# uploads one after another until wrk is done (the one under way then finishes)
( while [ ! -e "$T/stop" ]; do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -b "$T/jar" -H "X-CSRF-Token: $csrf" \
        -H 'Content-Type: image/png' --data-binary @"$T/big.png" \
        "$B/api/clients/$CID/photos?kind=before" >>"$T/uploads"
done ) &
upl=$!
sleep 0.5
run "GET /healthz while 8000 x 8000 PNGs are checked"
touch "$T/stop"
wait "$upl" 2>/dev/null
upl=""
awk -v b="$base_rps" -v r="$RPS" 'BEGIN { printf "throughput while checking vs alone: %.2f\n", r/b }'
awk '{n++; s[$1]++; t += $2; if ($2 > m) m = $2} END {
    printf "uploads (the last one finished after wrk): %d (", n; sep = ""
    for (k in s) { printf "%s%s: %d", sep, k, s[k]; sep = ", " }
    printf "), %.2f s each on average, longest %.2f s\n", (n ? t / n : 0), m }' "$T/uploads"
