# SPDX-License-Identifier: AGPL-3.0-or-later
# Helpers for the HTTP tests: a real `poreclear serve` on 127.0.0.1 (a free port chosen by the
# kernel), a real SQLite file in a temporary folder, curl for requests, python3 for JSON.
# Source after tests/e2e/lib.sh. Every server started here is killed on exit.
#
# On PostgreSQL: when tests/run started one (PC_PG_DIR, tests/pg/cluster.sh), this suite gets
# a database of its own, migrated with the owner's address (`poreclear store migrate`), and
# every server runs as the app's role poreclear_app (no UPDATE/DELETE on signed records and
# the audit log). dbq runs a query behind the server's back, on either engine.
PY="/usr/bin/python3 -S"  # -S: no site import, a faster start
DEMO_PW=demo-password-1
SERVER_PID=""
BASE=""
_http_cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
    rm -rf "$T"
}
trap _http_cleanup EXIT

PG_OWNER="" PG_APP=""
if [ -n "${PC_PG_DIR:-}" ]; then
    _urls=$("$(dirname "${BASH_SOURCE[0]}")/../pg/cluster.sh" newdb "$PC_PG_DIR" "h$$" 2>/dev/null)
    PG_OWNER=$(echo "$_urls" | sed -n 1p)
    PG_APP=$(echo "$_urls" | sed -n 2p)
    if [ -z "$PG_APP" ] || ! "$PORECLEAR" store migrate --db "$PG_OWNER" --data "$T/owner" >/dev/null; then
        echo "not ok - the PostgreSQL database of this suite cannot be created"; exit 1
    fi
    export PORECLEAR_DB=$PG_APP # `poreclear user` and `serve` without --db use it too
fi
# on_pg: this suite runs on PostgreSQL.
on_pg() { [ -n "$PG_APP" ]; }
# dbq SQL: a query on the suite's database with the owner's rights (SQLite: $DATA's file);
# rows one a line, columns separated by |.
dbq() {
    if on_pg; then psql -qtAX -d "$PG_OWNER" -c "$1"; else sqlite3 "$DATA/poreclear.db" "$1"; fi
}
# stored_files: the names of the photo side's stored files, one a line: the files of
# $DATA/photos/ and, on PostgreSQL (where they are rows of `files`), the rows.
stored_files() {
    [ -d "$DATA/photos" ] && find "$DATA/photos" -type f -printf '%f\n'
    on_pg && dbq "SELECT name FROM files ORDER BY name"
    return 0
}
# db_integrity: "ok" when the database is intact (SQLite's integrity_check; PostgreSQL keeps
# its own pages: every table of the schema must read back).
db_integrity() {
    if on_pg; then
        psql -qtAX -d "$PG_OWNER" -c "SELECT count(*) FROM users, (SELECT count(*) FROM tsessions) a,
            (SELECT count(*) FROM tsteps) b, (SELECT count(*) FROM audit) c" >/dev/null && echo ok
    else sqlite3 "$DATA/poreclear.db" 'PRAGMA integrity_check'; fi
}

# start_server DATA_DIR [serve options...]: starts the server, waits until it listens.
start_server() {
    local data=$1; shift
    rm -f "$T/port"
    local db=()
    on_pg && db=(--db "$PG_APP")
    "$PORECLEAR" serve --data "$data" "${db[@]}" --listen 127.0.0.1:0 --port-file "$T/port" "$@" \
        >"$T/server.out" 2>"$T/server.err" &
    SERVER_PID=$!
    local i
    for i in $(seq 1 300); do
        [ -s "$T/port" ] && break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "# server died:"; sed 's/^/#   /' "$T/server.err" | head -20; SERVER_PID=""; return 1
        fi
        sleep 0.05
    done
    [ -s "$T/port" ] || { echo "# server did not start"; return 1; }
    BASE="http://127.0.0.1:$(cat "$T/port")"
}

# stop_server [SIGNAL]: TERM by default (a clean stop, which must exit 0 with no sanitizer
# report on stderr: leaks and memory errors of the server fail the test), KILL for the crash.
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill "-${1:-TERM}" "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    local st=$?
    SERVER_PID=""
    [ "${1:-TERM}" = TERM ] || return 0
    if [ "$st" != 0 ] || grep -q "Sanitizer" "$T/server.err"; then
        echo "# server exit status $st:"; grep -v '^poreclear: stopping' "$T/server.err" | head -30 | sed 's/^/#   /'
        return 1
    fi
}

# jget FILE PYEXPR: evaluate a Python expression on the JSON in FILE (as d); prints the result.
jget() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$1" "$2" 2>/dev/null; }

# login WHO USER PASSWORD: cookie jar $T/jar_WHO and CSRF token $T/csrf_WHO. Returns the status.
login() {
    local who=$1 user=$2 pw=$3
    local st
    st=$(curl -s -o "$T/login_$who" -w '%{http_code}' -c "$T/jar_$who" \
        -H 'Content-Type: application/json' \
        --data-binary "{\"username\":\"$user\",\"password\":\"$pw\"}" "$BASE/api/login")
    [ "$st" = 200 ] && jget "$T/login_$who" 'd["csrf_token"]' >"$T/csrf_$who"
    [ "$st" = 200 ]
}

# req WHO METHOD PATH [BODY]: sets STATUS; the body is in $T/body, headers in $T/headers.
# WHO "anon" sends no cookie; otherwise the jar and CSRF token of that login are sent.
req() {
    local who=$1 m=$2 p=$3 body=${4-}
    local args=(-s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X "$m")
    if [ "$who" != anon ]; then
        args+=(-b "$T/jar_$who" -H "X-CSRF-Token: $(<"$T/csrf_$who")")
    fi
    # BODY "@FILE" sends the file (a body too long for an argument)
    if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' --data-binary "$body"); fi
    STATUS=$(curl "${args[@]}" "$BASE$p")
}

# expect_status WANT "description": checks STATUS from the last req.
expect_status() {
    if [ "$STATUS" = "$1" ]; then ok "$2"; else
        not_ok "$2 (got $STATUS, want $1)"; head -c 300 "$T/body" | sed 's/^/# /'; echo; fi
}

# The error code of the last reply ("" when none).
err_code() { jget "$T/body" 'd.get("code","")'; }

healthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ]; }

# jid FILE: the leading "id" of an object reply ({"id":N,...}: the server keeps member order),
# without starting python.
jid() { local b; b=$(<"$1"); [[ $b =~ ^\{\"id\":([0-9]+) ]] && echo "${BASH_REMATCH[1]}"; }

# wait_job JID: the practitioner's login (pract) polls the job until done / failed (at most
# ~90 s); prints the final state ("timeout" when neither came).
wait_job() {
    local i st
    for i in $(seq 1 450); do
        req pract GET "/api/jobs/$1"
        st=$(jget "$T/body" 'd["state"]')
        case $st in done | failed) echo "$st"; return ;; esac
        sleep 0.2
    done
    echo timeout
}

# flat_png FILE SIDE: a flat-coloured SIDE x SIDE PNG, small on disk but SIDE^2 pixels to decode
# (PIL: python3-pil); false when PIL is missing.
flat_png() {
    /usr/bin/python3 -c '
import sys
from PIL import Image
s = int(sys.argv[2])
Image.new("RGB", (s, s), (201, 152, 131)).save(sys.argv[1], optimize=True)' "$1" "$2" 2>/dev/null
}

# upload_png CID QUERY FILE: the practitioner (pract) uploads a PNG photo of client CID with
# the query QUERY (kind=...&session_id=...); sets STATUS, the reply in $T/body.
upload_png() {
    STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: image/png' -b "$T/jar_pract" \
        -H "X-CSRF-Token: $(<"$T/csrf_pract")" --data-binary @"$3" "$BASE/api/clients/$1/photos?$2")
}

# demo_server [serve options...]: the server with the demo clinic (its four accounts' password
# $DEMO_PW) in $T/data (DATA); a failed start ends the test.
demo_server() {
    DATA=$T/data
    start_server "$DATA" --demo --demo-password "$DEMO_PW" "$@" ||
        { not_ok "server starts"; done_testing; exit 1; }
}

# demo_clinic: the server with the demo clinic in $T/data (DATA; a failed start ends the
# test), the four demo accounts logged in (admin, pract, recep, trainee), and an ordinary
# client with an intake, a consent and an open session: CID, CONSENT, SID, INTAKE_OILY.
demo_clinic() {
    demo_server
    ok "server starts with a demo clinic on $BASE"

    login admin admin "$DEMO_PW" && login pract demo "$DEMO_PW" && login recep desk "$DEMO_PW" &&
        login trainee trainee "$DEMO_PW"
    check "the four demo accounts log in" test -s "$T/csrf_trainee"
    contains "$T/jar_admin" pc_session && ok "login sets the pc_session cookie" || not_ok "login sets the pc_session cookie"

    # the client (created by the admin), its intake, consent and open session
    INTAKE_OILY='{"client":{"skin_type":"oily","fitzpatrick":3}}'
    req admin POST /api/clients '{"name":"Matrix Client","birth_date":"1985-06-01"}'
    expect_status 201 "admin creates a client"
    CID=$(jid "$T/body")
    req pract POST "/api/clients/$CID/intakes" "$INTAKE_OILY"
    expect_status 201 "practitioner records an intake"
    req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment","extraction","high_frequency","chemical_exfoliation"],"client_name":"Matrix Client"}'
    expect_status 201 "practitioner records a consent"
    CONSENT=$(jid "$T/body")
    req pract POST "/api/clients/$CID/sessions" "{\"consent_id\":$CONSENT,\"implement_set\":\"tray 1\"}"
    expect_status 201 "practitioner starts a session"
    SID=$(jid "$T/body")
}

# portal_invite WHO CID: the staff login WHO invites client CID to the portal (issue 12);
# PORTAL_TOKEN gets the link's token. Returns false when the invitation was not made.
portal_invite() {
    req "$1" POST "/api/clients/$2/invitation" '{}'
    [ "$STATUS" = 201 ] || return 1
    local url; url=$(jget "$T/body" 'd["url"]')
    PORTAL_TOKEN=${url##*token=}
    [ ${#PORTAL_TOKEN} = 64 ]
}

# portal_accept WHO TOKEN [PASSWORD]: a client accepts an invitation; the portal session's cookie
# jar is $T/jar_WHO and its CSRF token $T/csrf_WHO (so req WHO ... works as for staff). Returns
# the status (true on 200); the reply is in $T/login_WHO.
portal_accept() {
    local who=$1 token=$2 pw=${3:-client-password-1}
    local st
    st=$(curl -s -o "$T/login_$who" -D "$T/login_headers_$who" -w '%{http_code}' -c "$T/jar_$who" \
        -H 'Content-Type: application/json' \
        --data-binary "{\"token\":\"$token\",\"password\":\"$pw\"}" "$BASE/api/portal/accept")
    [ "$st" = 200 ] && jget "$T/login_$who" 'd["csrf_token"]' >"$T/csrf_$who"
    [ "$st" = 200 ]
}

# portal_login WHO USERNAME PASSWORD [CODE]: a client's login, as login does for staff.
portal_login() {
    local who=$1 user=$2 pw=$3 code=${4-}
    local extra="" st
    [ -n "$code" ] && extra=",\"code\":\"$code\""
    st=$(curl -s -o "$T/login_$who" -w '%{http_code}' -c "$T/jar_$who" \
        -H 'Content-Type: application/json' \
        --data-binary "{\"username\":\"$user\",\"password\":\"$pw\"$extra}" "$BASE/api/portal/login")
    PORTAL_STATUS=$st
    [ "$st" = 200 ] && jget "$T/login_$who" 'd["csrf_token"]' >"$T/csrf_$who"
    [ "$st" = 200 ]
}
