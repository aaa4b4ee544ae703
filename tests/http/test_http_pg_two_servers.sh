#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Two servers on one PostgreSQL (issue 14: a clinic chain behind a load balancer): a login
# made on one works on the other (sessions live in the database, no stickiness), a record
# written through one is read through the other at once, a logout on one ends the session on
# it at once and on the other within its login cache (--login-cache), and a rule decided by
# one (one session per consent) holds against the other.
# PostgreSQL only (tests/run's [pg] pass).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

if ! on_pg; then
    skip "PostgreSQL only (runs in tests/run's PostgreSQL pass)"; done_testing; exit 0
fi
demo_clinic
A=$BASE
# the second server: the same database, a data folder of its own
"$PORECLEAR" serve --data "$T/data2" --db "$PG_APP" --listen 127.0.0.1:0 --port-file "$T/port2" \
    >"$T/server2.out" 2>"$T/server2.err" &
PID2=$!
trap 'kill $PID2 2>/dev/null; wait $PID2 2>/dev/null; _http_cleanup' EXIT
for _ in $(seq 1 200); do [ -s "$T/port2" ] && break; sleep 0.05; done
B="http://127.0.0.1:$(cat "$T/port2")"
[ -s "$T/port2" ] && ok "a second server starts on the same database ($B)" || { not_ok "second server"; done_testing; exit 1; }
grep -q "one-time password" "$T/server2.out" && not_ok "the second server made a first admin" ||
    ok "the second server finds the accounts (no first start)"

BASE=$B
req pract GET "/api/clients/$CID"
expect_status 200 "a login made on server 1 works on server 2"
req pract POST /api/clients '{"name":"Made On Two","birth_date":"1991-01-01"}'
expect_status 201 "server 2 writes a client for a login of server 1 (CSRF token shared)"
CID2=$(jid "$T/body")
BASE=$A
req recep GET "/api/clients/$CID2"
expect_status 200 "server 1 reads it at once"
# one session per consent, whichever server is asked
req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment"],"client_name":"Matrix Client"}'
C2=$(jid "$T/body")
req pract POST "/api/clients/$CID/sessions" "{\"consent_id\":$C2,\"implement_set\":\"tray 2\"}"
expect_status 201 "server 1 starts a session on a new consent"
BASE=$B
req pract POST "/api/clients/$CID/sessions" "{\"consent_id\":$C2,\"implement_set\":\"tray 3\"}"
[ "$STATUS" = 409 ] && ok "server 2 refuses a second session on the same consent (409)" ||
    not_ok "second session on one consent through server 2: $STATUS"
BASE=$A
req pract GET "/api/clients/$CID"
expect_status 200 "server 1 has resolved (and keeps for 250 ms) the login before the logout"
BASE=$B
req pract POST /api/logout
req pract GET "/api/clients/$CID"
[ "$STATUS" = 401 ] && [ "$(err_code)" = session_expired ] &&
    ok "a logout on server 2 ends the session there at once" || not_ok "server 2 after its logout: $STATUS"
# server 1 may reuse its resolved login for --login-cache (250 ms by default on PostgreSQL)
BASE=$A
for _ in $(seq 1 30); do
    req pract GET "/api/clients/$CID"
    [ "$STATUS" = 401 ] && break
    sleep 0.1
done
[ "$STATUS" = 401 ] && [ "$(err_code)" = session_expired ] &&
    ok "a logout on server 2 ends the session on server 1 (within its login cache)" ||
    not_ok "server 1 after a logout on server 2: $STATUS"
req admin GET "/api/audit?client_id=$CID2"
expect_status 200 "server 1 lists the audit log"
[ "$(jget "$T/body" "[e['action'] for e in d['entries']]")" = '["client.view", "client.create"]' ] &&
    ok "server 2's change and server 1's view are in the one audit log" || not_ok "audit of server 2's change: $(head -c 300 "$T/body")"

kill -TERM $PID2; wait $PID2; st=$?
[ "$st" = 0 ] && ok "server 2 stops cleanly" || not_ok "server 2 exit status $st"
stop_server && ok "server 1 stops cleanly" || not_ok "server 1 stops cleanly"
done_testing
