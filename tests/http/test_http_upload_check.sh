#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The upload's check decode runs on a check thread while the connection is suspended
# (src/web/web_check_pool.c, MHD_suspend_connection), never on an HTTP thread. With one HTTP
# thread (--threads 1) and a large real photo whose decode is long (a flat 8000 x 8000 PNG: 192
# MB of pixels to inflate; 4000 x 4000 under the sanitizers), /healthz sent after the upload is
# answered before the upload is (before: the one HTTP thread decoded, and /healthz waited for
# it). A client that hangs up while its upload is checked gets nothing kept; stopping the server
# while checks run or wait answers every deferred upload (202 checked and kept, or 503 not
# checked) and stops cleanly (no sanitizer report, no suspended connection left to
# libmicrohttpd), leaving only whole photos: a row for each 202 and its file. The order is
# asserted, never a duration: the times are printed for the report (bench/bench_upload.sh
# measures them).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

SIDE=8000
[ "${PC_SAN:-0}" = 1 ] && SIDE=4000
if ! flat_png "$T/big.png" "$SIDE"; then
    skip "python3-pil is missing (scripts/install-deps test)"; done_testing; exit 0
fi
check "a ${SIDE} x ${SIDE} PNG" test -s "$T/big.png"

# one HTTP thread; analyses are another server's (none here): only the checks use the cores
DATA=$T/data
serve() {
    start_server "$DATA" --demo --demo-password "$DEMO_PW" --threads 1 --analysis-workers 0
}
serve || { not_ok "server starts"; done_testing; exit 1; }
ok "server starts with one HTTP thread on $BASE"
login pract demo "$DEMO_PW" || not_ok "practitioner logs in"
req pract POST /api/clients '{"name":"Large Photo Client","birth_date":"1980-04-04"}'
CID=$(jid "$T/body")
req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment","photos"],"client_name":"Large Photo Client"}'
expect_status 201 "the client consents to photos"
run() { /usr/bin/python3 -S "$here/upload_order.py" "$1" "$BASE" "$T/jar_pract" "$(<"$T/csrf_pract")" "$CID" "$T/big.png" "${@:2}"; }

# ---- /healthz is answered while the upload is decoded ----
run order >"$T/order.json"
echo "# order: $(cat "$T/order.json") (load average $(cut -d' ' -f1 /proc/loadavg))"
[ "$(jget "$T/order.json" 'd["upload"]')" = 202 ] && ok "the upload is accepted: 202" ||
    not_ok "the upload: $(cat "$T/order.json")"
[ "$(jget "$T/order.json" 'd["healthz"]')" = 200 ] && ok "/healthz answers 200" || not_ok "/healthz: $(cat "$T/order.json")"
[ "$(jget "$T/order.json" 'd["first"]')" = healthz ] &&
    ok "/healthz sent after the upload is answered first: the one HTTP thread did not wait for the decode" ||
    not_ok "the upload was answered before /healthz: the HTTP thread waited for the decode"
req pract GET "/api/clients/$CID/photos"
[ "$(jget "$T/body" '[(p["width"], p["height"]) for p in d["photos"]]')" = "[[$SIDE, $SIDE]]" ] &&
    ok "the photo is stored with its decoded size" || not_ok "photos: $(head -c 300 "$T/body")"

# ---- a client that hangs up while its upload is checked: nothing kept ----
run hangup
# a second upload after it: one check thread takes them in order (on more cores, the stop
# below waits for every check anyway)
run order >"$T/order2.json"
[ "$(jget "$T/order2.json" 'd["upload"]')" = 202 ] && ok "the next upload is accepted" ||
    not_ok "the next upload: $(cat "$T/order2.json")"
healthy && ok "healthy" || not_ok "healthy"

# ---- stop while checks run and wait ----
run stop "$SERVER_PID" >"$T/stop.json"
echo "# stop: $(cat "$T/stop.json")"
# a deferred upload is answered: 202 (checked, kept) or 503 (not checked); one whose request
# had not reached its handler yet is closed unanswered, as any request at a stop (and kept by
# no one: the counts below); none is left hanging
[ "$(jget "$T/stop.json" 'all(a in (0, 202, 503) for a in d["answers"])')" = true ] &&
    ok "every upload in flight at the stop is answered 202 or 503, or closed; none hangs" ||
    not_ok "uploads at the stop: $(cat "$T/stop.json")"
stop_server && ok "the server stops cleanly with checks in flight" || not_ok "the server stops cleanly with checks in flight"

# ---- nothing half-written ----
accepted=$(( 2 + $(jget "$T/stop.json" 'sum(1 for a in d["answers"] if a == 202)') ))
rows=$(dbq "SELECT count(*) FROM photos")
[ "$rows" = "$accepted" ] && ok "a photo row for each 202 and none for the hung-up upload ($rows)" ||
    not_ok "photo rows $rows, 202 answers $accepted"
files=$(stored_files | grep -vc '^\.' )
[ "$files" = "$rows" ] && ok "a stored file for each row, nothing else ($files)" ||
    not_ok "stored files $files for $rows rows: $(stored_files | tr '\n' ' ')"
serve && ok "the server starts again" || not_ok "the server starts again"
healthy && ok "healthy after the restart" || not_ok "healthy after the restart"
stop_server && ok "and stops cleanly" || not_ok "and stops cleanly"
done_testing
