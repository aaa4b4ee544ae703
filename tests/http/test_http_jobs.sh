#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The durable analysis queue (issue 14), on each engine: a job queued while no worker runs is
# done after the server restarts; a server killed (SIGKILL) in the middle of a job leaves it to
# the next worker once its lease runs out, and it is finished; on PostgreSQL, a photo uploaded
# to a server without workers is analysed by another server's worker on the same database,
# with a data folder of its own (the photo and its overlay are rows: no shared disk).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

"$PORECLEAR" synth -o "$T/small.png" -W 400 -H 300 -s 7 >/dev/null 2>&1
"$PORECLEAR" synth -o "$T/big.png" -W 2400 -H 1800 -s 9 >/dev/null 2>&1
check "synth made the photos" test -s "$T/small.png" -a -s "$T/big.png"
DATA=$T/data
start_server "$DATA" --demo --demo-password "$DEMO_PW" --analysis-workers 0 ||
    { not_ok "server starts"; done_testing; exit 1; }
ok "a server without analysis workers starts"
login pract demo "$DEMO_PW" || not_ok "login"
req pract POST /api/clients '{"name":"Queue Client","birth_date":"1987-05-06"}'
CID=$(jid "$T/body")
req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment","photos"],"client_name":"Queue Client"}'
expect_status 201 "the client consents to photos"
upload() { # FILE: a before photo of the client; sets STATUS, the reply in $T/body
    STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar_pract" -H "X-CSRF-Token: $(<"$T/csrf_pract")" \
        -H "Content-Type: image/png" --data-binary @"$1" "$BASE/api/clients/$CID/photos?kind=before")
}
# job_state JID: the job's state as this server answers it
job_state() { req pract GET "/api/jobs/$1"; jget "$T/body" 'd["state"]'; }
# wait_state JID STATE...: polls (at most ~60 s) until the job is in one of the states; prints it
wait_state() {
    local id=$1 st i; shift
    for i in $(seq 1 300); do
        st=$(job_state "$id")
        for w in "$@"; do [ "$st" = "$w" ] && { echo "$st"; return; }; done
        sleep 0.2
    done
    echo "timeout ($st)"
}

upload "$T/small.png"
expect_status 202 "a photo is uploaded"
J1=$(jget "$T/body" 'd["job"]["id"]')
sleep 1
[ "$(job_state "$J1")" = queued ] && ok "without workers its job stays queued" || not_ok "job state $(job_state "$J1")"
stop_server && ok "the server stops with the job queued" || not_ok "server stops"
[ "$(dbq "SELECT state FROM jobs WHERE id = $J1")" = queued ] && ok "the job is a row of the store, queued" ||
    not_ok "the job in the store: $(dbq "SELECT state FROM jobs WHERE id = $J1")"
start_server "$DATA" --analysis-workers 1 --job-lease 2 || { not_ok "restart"; done_testing; exit 1; }
login pract demo "$DEMO_PW"
[ "$(wait_state "$J1" done failed)" = done ] && ok "after a restart the queued job is done" ||
    not_ok "queued job after restart: $(head -c 300 "$T/body")"

# a worker killed in the middle of a job: its lease (2 s) runs out, the next worker finishes it
upload "$T/big.png"
expect_status 202 "a large photo is uploaded"
J2=$(jget "$T/body" 'd["job"]["id"]')
[ "$(wait_state "$J2" running done)" = running ] && ok "its analysis is running" || not_ok "job $J2 not seen running"
stop_server KILL
[ "$(dbq "SELECT state FROM jobs WHERE id = $J2")" = running ] && ok "killed (SIGKILL) in the middle of the job" ||
    not_ok "job after the kill: $(dbq "SELECT state FROM jobs WHERE id = $J2")"
start_server "$DATA" --analysis-workers 1 --job-lease 2 || { not_ok "restart after the kill"; done_testing; exit 1; }
login pract demo "$DEMO_PW"
[ "$(wait_state "$J2" done failed)" = done ] && ok "after the lease the job is taken again and finished" ||
    not_ok "job after the kill: $(head -c 300 "$T/body")"
req pract GET "/api/clients/$CID/photos"
[ "$(jget "$T/body" '[p["analysis_state"] for p in d["photos"]]')" = '["done", "done"]' ] &&
    ok "both photos are analysed" || not_ok "photos: $(head -c 300 "$T/body")"

if on_pg; then
    # two servers, one database, a data folder each (photos are rows of the database: no
    # shared disk): the first has no worker, the second does
    stop_server
    start_server "$DATA" --analysis-workers 0 || { not_ok "server 1"; done_testing; exit 1; }
    A=$BASE
    "$PORECLEAR" serve --data "$T/data2" --db "$PG_APP" --listen 127.0.0.1:0 --port-file "$T/port2" \
        --analysis-workers 1 >"$T/server2.out" 2>"$T/server2.err" &
    PID2=$!
    trap 'kill $PID2 2>/dev/null; wait $PID2 2>/dev/null; _http_cleanup' EXIT
    for _ in $(seq 1 200); do [ -s "$T/port2" ] && break; sleep 0.05; done
    [ -s "$T/port2" ] && ok "a second server with a worker starts on the same database" || not_ok "second server"
    login pract demo "$DEMO_PW"
    upload "$T/small.png"
    expect_status 202 "a photo is uploaded to the server without workers"
    J3=$(jget "$T/body" 'd["job"]["id"]')
    [ "$(wait_state "$J3" done failed)" = done ] && ok "the other server's worker analysed it" ||
        not_ok "job on the worker-less server: $(head -c 300 "$T/body")"
    P3=$(jget "$T/body" 'd["photo_id"]')
    B=http://127.0.0.1:$(cat "$T/port2")
    curl -s -o "$T/img_b" -b "$T/jar_pract" "$B/api/clients/$CID/photos/$P3/image"
    cmp -s "$T/img_b" "$T/small.png" && ok "the second server serves the photo the first one received" ||
        not_ok "the photo through the second server differs"
    curl -s -o "$T/ov_a" -w '%{http_code}' -b "$T/jar_pract" "$A/api/clients/$CID/photos/$P3/overlay.png" >"$T/st"
    curl -s -o "$T/ov_b" -b "$T/jar_pract" "$B/api/clients/$CID/photos/$P3/overlay.png"
    [ "$(cat "$T/st")" = 200 ] && [ -s "$T/ov_a" ] && cmp -s "$T/ov_a" "$T/ov_b" &&
        ok "and the first serves the overlay the second drew" || not_ok "overlay through server 1: $(cat "$T/st")"
    [ -z "$(find "$DATA/photos" "$T/data2/photos" -type f 2>/dev/null)" ] &&
        ok "neither data folder holds a photo file" || not_ok "photo files on disk: $(find "$DATA/photos" "$T/data2/photos" -type f | head -3)"
    kill -TERM $PID2; wait $PID2; st=$?
    [ "$st" = 0 ] && ok "the second server stops cleanly" || not_ok "second server exit $st"
fi
stop_server && ok "server stops cleanly" || not_ok "server stops cleanly"
done_testing
