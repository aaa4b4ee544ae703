#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The clinic web app under load (make bench): wrk on loopback, 64 connections, against
#   1. GET /healthz                  the baseline: the server's floor (no session, no database)
#   2. GET /client                   the client page (a static file with ETag)
#   3. GET /api/clients/ID           the client record API (session check, database, audit)
#   4. GET /api/clients/ID/plan      today's plan (session, intake, review, protocol engine, audit)
# Prints requests/s and p99 latency for each, and each one's throughput as a ratio of the
# baseline measured in the same run. Targets (issue 6): plan API p99 < 20 ms and >= 5,000
# requests/s on 2 cores. Then the same against two servers on one PostgreSQL (issue 14: a
# clinic chain; plan API >= 3,000 req/s, p99 < 30 ms), in the same run, with the ratios.
# The two PostgreSQL servers share this machine, so each gets half the worker threads of the
# one SQLite server (the same threads in all; a chain's servers each have a machine of their
# own) and the default login cache (serve --login-cache, 250 ms on PostgreSQL).
# Env: PORECLEAR (binary), BENCH_SECONDS (default 5), BENCH_THREADS (the SQLite server's
# worker threads, default 4). Run from the repository's top folder (make bench does).
set -u
PORECLEAR=${PORECLEAR:-build/poreclear}
secs=${BENCH_SECONDS:-5}
if ! command -v wrk >/dev/null; then echo "bench_web: wrk is not installed (scripts/install-deps test)"; exit 0; fi
T=$(mktemp -d)
pids=() pgdir=""
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    [ -n "$pgdir" ] && tests/pg/cluster.sh stop "$pgdir"
    rm -rf "$T"
}
trap cleanup EXIT
pw=bench-password-1

threads=${BENCH_THREADS:-4}
pthreads=$((threads / 2 > 0 ? threads / 2 : 1))
# serve NAME THREADS [serve options...]: a server with the demo clinic; sets BASE.
serve() {
    local name=$1 th=$2; shift 2
    "$PORECLEAR" serve --data "$T/data-$name" --listen 127.0.0.1:0 --port-file "$T/port-$name" \
        --demo --demo-password "$pw" --threads "$th" "$@" >"$T/out-$name" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 200); do [ -s "$T/port-$name" ] && break; sleep 0.05; done
    [ -s "$T/port-$name" ] || { echo "bench_web: the server $name did not start"; cat "$T/out-$name"; exit 1; }
    BASE="http://127.0.0.1:$(cat "$T/port-$name")"
}
# login BASE: sets COOKIE and CID (Sofia Rossi's id).
login() {
    curl -s -c "$T/jar" -H 'Content-Type: application/json' \
        --data-binary "{\"username\":\"demo\",\"password\":\"$pw\"}" "$1/api/login" >/dev/null
    COOKIE=$(awk '$6 == "pc_session" {print $7}' "$T/jar")
    CID=$(curl -s -b "$T/jar" "$1/api/clients?q=Sofia" | sed -n 's/.*"clients":\[{"id":\([0-9]*\).*/\1/p')
    [ -n "$COOKIE" ] && [ -n "$CID" ] || { echo "bench_web: login or client lookup failed"; exit 1; }
}

# run NAME PATH BASE...: wrk with latency percentiles, 64 connections shared out over the servers
# given (one wrk each, at once); prints a line and sets RPS (the sum) and P99 (the worst, ms).
run() {
    local name=$1 path=$2; shift 2
    local n=$# i=0 b wpids=()
    for b in "$@"; do
        i=$((i + 1))
        wrk -t$((2 / n > 0 ? 2 / n : 1)) -c$((64 / n)) -d"${secs}s" --latency -H "Cookie: pc_session=$COOKIE" \
            "$b$path" >"$T/wrk$i" 2>&1 &
        wpids+=($!)
    done
    wait "${wpids[@]}"
    RPS=$(cat "$T"/wrk[0-9]* | awk '/^Requests\/sec/ {s += $2} END {print s}')
    P99=$(cat "$T"/wrk[0-9]* | awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; if (v > m) m = v} END {print m}')
    local errs
    errs=$(cat "$T"/wrk[0-9]* | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
    rm -f "$T"/wrk[0-9]*
    printf '%-34s %10.0f req/s   p99 %7.2f ms   %s\n' "$name" "${RPS:-0}" "${P99:-0}" "$errs"
}

echo "wrk, 64 connections, 2 client threads, ${secs} s each; $(nproc) cores"
echo "-- one server on SQLite (--threads $threads)"
serve sqlite "$threads"
sq=$BASE
login "$sq"
run "baseline GET /healthz" /healthz "$sq"
base_rps=$RPS
run "client page GET /client" /client "$sq"
page_rps=$RPS
run "client API GET /api/clients/$CID" "/api/clients/$CID" "$sq"
client_rps=$RPS
run "plan API GET .../plan" "/api/clients/$CID/plan" "$sq"
plan_rps=$RPS plan_p99=$P99
awk -v b="$base_rps" -v p="$page_rps" -v c="$client_rps" -v q="$plan_rps" 'BEGIN {
    printf "throughput vs baseline: client page %.2f, client API %.2f, plan API %.2f\n", p/b, c/b, q/b }'
awk -v r="$plan_rps" -v l="$plan_p99" 'BEGIN {
    printf "plan API targets: >= 5000 req/s %s (%.0f), p99 < 20 ms %s (%.2f ms)\n",
        (r >= 5000 ? "met" : "NOT met"), r, (l < 20 ? "met" : "NOT met"), l }'

# Two servers on one PostgreSQL (a clinic chain), the same run: a throwaway PostgreSQL 15
# (tests/pg/cluster.sh), the schema by its owner, both servers as the app's role.
pgdir=$(mktemp -d /tmp/pc-pg-bench-XXXXXX) && rmdir "$pgdir"
if ! tests/pg/cluster.sh start "$pgdir" >"$T/pg.log" 2>&1; then
    echo "bench_web: PostgreSQL could not start (scripts/install-deps test): $(head -3 "$T/pg.log")"
    pgdir=""; exit 0
fi
urls=$(tests/pg/cluster.sh newdb "$pgdir" bench 2>/dev/null)
"$PORECLEAR" store migrate --db "$(echo "$urls" | sed -n 1p)" --data "$T/owner" >/dev/null || exit 1
app=$(echo "$urls" | sed -n 2p)
echo "-- two servers on one PostgreSQL (32 connections each, --threads $pthreads each)"
serve pg1 "$pthreads" --db "$app"
pg1=$BASE
serve pg2 "$pthreads" --db "$app"
pg2=$BASE
login "$pg1"
run "baseline GET /healthz" /healthz "$pg1" "$pg2"
pbase_rps=$RPS
run "client page GET /client" /client "$pg1" "$pg2"
ppage_rps=$RPS ppage_p99=$P99
run "client API GET /api/clients/$CID" "/api/clients/$CID" "$pg1" "$pg2"
pclient_rps=$RPS
run "plan API GET .../plan" "/api/clients/$CID/plan" "$pg1" "$pg2"
pplan_rps=$RPS pplan_p99=$P99
awk -v b="$pbase_rps" -v p="$ppage_rps" -v c="$pclient_rps" -v q="$pplan_rps" 'BEGIN {
    printf "throughput vs baseline: client page %.2f, client API %.2f, plan API %.2f\n", p/b, c/b, q/b }'
awk -v a="$plan_rps" -v b="$pplan_rps" -v c="$client_rps" -v d="$pclient_rps" 'BEGIN {
    printf "PostgreSQL (two servers) / SQLite (one): plan API %.2f, client API %.2f\n", b/a, d/c }'
awk -v r="$pplan_rps" -v l="$pplan_p99" 'BEGIN {
    printf "PostgreSQL plan API targets (issue 14): >= 3000 req/s %s (%.0f), p99 < 30 ms %s (%.2f ms)\n",
        (r >= 3000 ? "met" : "NOT met"), r, (l < 30 ? "met" : "NOT met"), l }'
