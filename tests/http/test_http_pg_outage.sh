#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# PostgreSQL unreachable mid-run (issue 14): the database is stopped under a running server.
# Every request still answers — 503 with Retry-After for what needs the database, the pages
# themselves, /healthz — nothing is half-written, and once the database is back the server
# reconnects by itself: the same login works again and changes are stored. The database
# password is never in the server's output. Runs on PostgreSQL only (tests/run's [pg] pass).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

if ! on_pg; then
    skip "PostgreSQL only (runs in tests/run's PostgreSQL pass)"; done_testing; exit 0
fi
demo_clinic
req pract GET "/api/clients/$CID"
expect_status 200 "the client reads while the database is up"
before=$(dbq "SELECT count(*) FROM clients")

"$here/../pg/cluster.sh" pause "$PC_PG_DIR" && ok "the database is stopped" || not_ok "the database is stopped"
for path in "/api/clients/$CID" "/api/clients?q=Matrix" "/api/sessions/$SID" "/api/session"; do
    req pract GET "$path"
    if [ "$STATUS" = 503 ] && grep -qi '^retry-after: [0-9]' "$T/headers"; then
        ok "GET $path: 503 with Retry-After while the database is down"
    else not_ok "GET $path while the database is down: $STATUS $(head -c 200 "$T/body")"; fi
done
req pract POST /api/clients '{"name":"Outage Client","birth_date":"1990-03-03"}'
[ "$STATUS" = 503 ] && grep -qi '^retry-after:' "$T/headers" && ok "a change answers 503 with Retry-After" ||
    not_ok "a change while the database is down: $STATUS"
req anon POST /api/login "{\"username\":\"demo\",\"password\":\"$DEMO_PW\"}"
[ "$STATUS" = 503 ] && ok "a login answers 503" || not_ok "login while the database is down: $STATUS"
st=$(curl -s -o "$T/page" -w '%{http_code}' "$BASE/client.html")
[ "$st" = 200 ] && contains "$T/page" "<html" && ok "the pages are still served" || not_ok "page while down: $st"
healthy && ok "/healthz answers" || not_ok "/healthz while the database is down"

"$here/../pg/cluster.sh" resume "$PC_PG_DIR" && ok "the database is started again" || not_ok "the database restarts"
# the first request may meet a connection the restart broke: it is revived, not failed
req pract GET "/api/clients/$CID"
expect_status 200 "the same login works again: the server reconnected"
req pract POST /api/clients '{"name":"After Outage","birth_date":"1990-04-04"}'
expect_status 201 "changes are stored again"
after=$(dbq "SELECT count(*) FROM clients")
[ "$after" = $((before + 1)) ] && [ "$(dbq "SELECT count(*) FROM clients WHERE name = 'Outage Client'")" = 0 ] &&
    ok "nothing of the refused change was stored ($before -> $after)" || not_ok "clients $before -> $after"
for i in 1 2 3 4 5 6; do req pract GET "/api/clients/$CID"; [ "$STATUS" = 200 ] || break; done
expect_status 200 "every pooled connection works after the restart"

stop_server && ok "server stops cleanly" || not_ok "server stops cleanly"
pw=$(echo "$PG_APP" | sed 's|^postgresql://[^:]*:\([^@]*\)@.*|\1|')
! grep -qF "$pw" "$T/server.out" "$T/server.err" && ok "the database password is in none of the server's output" ||
    not_ok "the database password appears in the server's output"
# a wrong password: a clear error, the address not repeated
bad=${PG_APP/$pw/wrong-secret-pw}
"$PORECLEAR" serve --data "$T/bad" --db "$bad" --listen 127.0.0.1:0 >"$T/bad.out" 2>"$T/bad.err"
st=$?
[ "$st" != 0 ] && grep -q "database" "$T/bad.err" && ! grep -qF "wrong-secret-pw" "$T/bad.err" "$T/bad.out" &&
    ok "a refused login to the database: exit $st, a message without the password" ||
    not_ok "wrong database password: exit $st, $(head -c 300 "$T/bad.err")"
done_testing
