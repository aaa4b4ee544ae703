#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The clinic web app under load (make bench): wrk on loopback, 64 connections, against
#   1. GET /healthz                  the baseline: the server's floor (no session, no database)
#   2. GET /client                   the client page (a static file with ETag)
#   3. GET /api/clients/ID           the client record API (session check, database, audit)
#   4. GET /api/clients/ID/plan      today's plan (session, intake, review, protocol engine, audit)
# Prints requests/s and p99 latency for each, and each one's throughput as a ratio of the
# baseline measured in the same run. Targets (issue 6): plan API p99 < 20 ms and >= 5,000
# requests/s on 2 cores. Env: PORECLEAR (binary), BENCH_SECONDS (default 5), BENCH_THREADS
# (server worker threads, default 4).
set -u
PORECLEAR=${PORECLEAR:-build/poreclear}
secs=${BENCH_SECONDS:-5}
if ! command -v wrk >/dev/null; then echo "bench_web: wrk is not installed (scripts/install-deps test)"; exit 0; fi
T=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
pw=bench-password-1
"$PORECLEAR" serve --data "$T/data" --listen 127.0.0.1:0 --port-file "$T/port" --demo \
    --demo-password "$pw" --threads "${BENCH_THREADS:-4}" >"$T/out" 2>&1 &
pid=$!
for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || { echo "bench_web: the server did not start"; cat "$T/out"; exit 1; }
base="http://127.0.0.1:$(cat "$T/port")"
curl -s -c "$T/jar" -H 'Content-Type: application/json' \
    --data-binary "{\"username\":\"demo\",\"password\":\"$pw\"}" "$base/api/login" >/dev/null
cookie=$(awk '$6 == "pc_session" {print $7}' "$T/jar")
cid=$(curl -s -b "$T/jar" "$base/api/clients?q=Sofia" | sed -n 's/.*"clients":\[{"id":\([0-9]*\).*/\1/p')
[ -n "$cookie" ] && [ -n "$cid" ] || { echo "bench_web: login or client lookup failed"; exit 1; }

# run NAME PATH: wrk with latency percentiles; prints a line and sets RPS and P99 (ms).
run() {
    local name=$1 path=$2
    wrk -t2 -c64 -d"${secs}s" --latency -H "Cookie: pc_session=$cookie" "$base$path" >"$T/wrk" 2>&1
    RPS=$(awk '/^Requests\/sec/ {print $2}' "$T/wrk")
    P99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' "$T/wrk")
    local errs
    errs=$(awk '/Non-2xx|Socket errors/ {print}' "$T/wrk" | tr '\n' ' ')
    printf '%-28s %10.0f req/s   p99 %7.2f ms   %s\n' "$name" "${RPS:-0}" "${P99:-0}" "$errs"
}
echo "wrk, 64 connections, 2 client threads, ${secs} s each; server --threads ${BENCH_THREADS:-4}; $(nproc) cores"
run "baseline GET /healthz" /healthz
base_rps=$RPS
run "client page GET /client" /client
page_rps=$RPS
run "client API GET /api/clients/$cid" "/api/clients/$cid"
client_rps=$RPS
run "plan API GET .../plan" "/api/clients/$cid/plan"
plan_rps=$RPS plan_p99=$P99
awk -v b="$base_rps" -v p="$page_rps" -v c="$client_rps" -v q="$plan_rps" 'BEGIN {
    printf "throughput vs baseline: client page %.2f, client API %.2f, plan API %.2f\n", p/b, c/b, q/b }'
awk -v r="$plan_rps" -v l="$plan_p99" 'BEGIN {
    printf "plan API targets: >= 5000 req/s %s (%.0f), p99 < 20 ms %s (%.2f ms)\n",
        (r >= 5000 ? "met" : "NOT met"), r, (l < 20 ? "met" : "NOT met"), l }'
