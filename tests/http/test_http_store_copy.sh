#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Moving a clinic onto a chain (issue 14): `poreclear store copy --from DIR --to postgresql://`
# copies a SQLite clinic — accounts, clients, intakes, consents, a signed session, a photo and
# its file, the audit log, sites and users' sites, a cancelled session — into an empty
# PostgreSQL database in one transaction, counts
# verified; a server on the copy logs the same people in and shows the same records, the photo
# bytes unchanged; a second copy into it is refused and changes nothing. PostgreSQL only.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

if ! on_pg; then
    skip "PostgreSQL only (runs in tests/run's PostgreSQL pass)"; done_testing; exit 0
fi
APP=$PG_APP
PG_APP="" # the source clinic is a SQLite one
unset PORECLEAR_DB
"$PORECLEAR" synth -o "$T/photo.png" -W 400 -H 300 -s 5 >/dev/null 2>&1
demo_clinic
req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment","photos"],"client_name":"Matrix Client"}'
expect_status 201 "a photo consent"
STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar_pract" -H "X-CSRF-Token: $(<"$T/csrf_pract")" \
    -H "Content-Type: image/png" --data-binary @"$T/photo.png" "$BASE/api/clients/$CID/photos?kind=before")
expect_status 202 "a photo on the SQLite clinic"
PHOTO=$(jget "$T/body" 'd["photo"]["id"]')
# a second site with its practitioner, a session there cancelled with its reason, a step of
# the first session recorded early with its reason (columns of schema 9 and 10)
req admin POST /api/sites '{"name":"North","time_zone":"Europe/Madrid"}'
expect_status 201 "a second site"
NORTH=$(jget "$T/body" 'd["site"]["id"]')
req admin POST /api/users "{\"username\":\"northpract\",\"role\":\"practitioner\",\"sites\":[$NORTH]}"
expect_status 201 "a practitioner of that site"
req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment"],"client_name":"Matrix Client"}'
C2=$(jid "$T/body")
req pract POST "/api/clients/$CID/sessions" "{\"consent_id\":$C2,\"site_id\":$NORTH}"
expect_status 201 "a session at that site"
S2=$(jid "$T/body")
req pract POST "/api/sessions/$S2/cancel" '{"reason":"the client felt unwell"}'
expect_status 200 "cancelled with its reason"
req pract POST "/api/sessions/$SID/steps/cleanse/record" '{"outcome":"done","early_reason":"the client asked to stop"}'
expect_status 200 "a step recorded early with its reason"
records() { # the rows of the newer columns, on the engine of dbq
    dbq "SELECT id, name, time_zone FROM sites ORDER BY id"
    dbq "SELECT user_id, site_id FROM user_sites ORDER BY 1, 2"
    dbq "SELECT id, site_id, cancelled_at, cancelled_by, cancel_reason FROM tsessions ORDER BY id"
    dbq "SELECT session_id, idx, ended_early, early_reason, deviations, deviation_reason FROM tsteps ORDER BY 1, 2"
}
records >"$T/records.sqlite"
req admin GET "/api/audit?limit=500"
n_audit=$(jget "$T/body" 'len(d["entries"])')
req admin GET "/api/clients?limit=100"
clients_before=$(jget "$T/body" 'sorted(c["name"] for c in d["clients"])')
stop_server && ok "the SQLite clinic stops" || not_ok "the SQLite clinic stops"

"$PORECLEAR" store copy --from "$DATA" --to "$PG_OWNER" --site "Calle Mayor" --data "$T/chain" \
    >"$T/copy0.out" 2>"$T/copy0.err"
st=$?
[ "$st" != 0 ] && grep -q "the clinic has 2 sites" "$T/copy0.err" &&
    [ "$(psql -qtAX -d "$PG_OWNER" -c "SELECT count(*) FROM users")" = 0 ] &&
    ok "a clinic of two sites is not copied under one site name, and nothing is copied" ||
    not_ok "copy of two sites under a name: exit $st $(head -c 300 "$T/copy0.err")"
"$PORECLEAR" store copy --from "$DATA" --to "$PG_OWNER" --site "" --data "$T/chain" >/dev/null 2>"$T/copy0.err"
[ $? = 2 ] && grep -q "name: required" "$T/copy0.err" && ok "an empty site name is refused (exit 2)" ||
    not_ok "empty --site: $(head -c 200 "$T/copy0.err")"
"$PORECLEAR" store copy --from "$DATA" --to "$PG_OWNER" --data "$T/chain" >"$T/copy.out" 2>"$T/copy.err"
st=$?
[ "$st" = 0 ] && ok "store copy succeeds" || not_ok "store copy: exit $st $(head -c 300 "$T/copy.err")"
grep -q "clients" "$T/copy.out" && echo "# $(tr '\n' ' ' <"$T/copy.out")"
! grep -qF "pc-admin-test-pw" "$T/copy.out" "$T/copy.err" && ok "the address's password is not printed" ||
    not_ok "the password is printed"

PG_APP=$APP
export PORECLEAR_DB=$APP
start_server "$T/chain" || { not_ok "a server on the copy"; done_testing; exit 1; }
ok "a server starts on the copied database"
login admin admin "$DEMO_PW" && login pract demo "$DEMO_PW" &&
    ok "the same accounts and passwords log in" || not_ok "login on the copy"
req admin GET "/api/clients?limit=100"
[ "$(jget "$T/body" 'sorted(c["name"] for c in d["clients"])')" = "$clients_before" ] &&
    ok "the same clients" || not_ok "clients: $(head -c 300 "$T/body")"
req pract GET "/api/sessions/$SID"
expect_status 200 "the session is there under its id"
curl -s -o "$T/copy.png" -b "$T/jar_pract" "$BASE/api/clients/$CID/photos/$PHOTO/image"
cmp -s "$T/copy.png" "$T/photo.png" && ok "the photo's bytes are the same" || not_ok "the photo differs"
[ "$(dbq "SELECT count(*) FROM audit")" -ge "$n_audit" ] && ok "the audit log came along" || not_ok "audit log"
records >"$T/records.pg"
cmp -s "$T/records.sqlite" "$T/records.pg" &&
    ok "sites, users' sites, sessions' sites and cancellations, early steps: the same rows" ||
    { not_ok "rows differ after the copy"; diff "$T/records.sqlite" "$T/records.pg" | head -20 | sed 's/^/# /'; }
req pract GET "/api/clients/$CID/sessions?site_id=$NORTH"
[ "$(jget "$T/body" '[(s["id"], s["status"]) for s in d["sessions"]]')" = "[[$S2, \"cancelled\"]]" ] &&
    ok "the cancelled session is at its site on the chain" || not_ok "sessions at North: $(head -c 300 "$T/body")"
req pract POST /api/clients '{"name":"New On Chain","birth_date":"1990-01-01"}'
expect_status 201 "new records get new ids after the copied ones"
stop_server && ok "the server on the copy stops" || not_ok "server stops"

before=$(dbq "SELECT count(*) FROM clients")
"$PORECLEAR" store copy --from "$DATA" --to "$PG_OWNER" --data "$T/chain" >"$T/copy2.out" 2>"$T/copy2.err"
st=$?
[ "$st" != 0 ] && grep -q "already holds records" "$T/copy2.err" && ok "a second copy into it is refused (exit $st)" ||
    not_ok "second copy: exit $st $(head -c 300 "$T/copy2.err")"
[ "$(dbq "SELECT count(*) FROM clients")" = "$before" ] && ok "and changes nothing" || not_ok "the refused copy changed rows"

# ---- a clinic of one site, copied under a site name ----
PG_APP="" PORECLEAR_DB=""
unset PORECLEAR_DB
start_server "$T/one" --demo --demo-password "$DEMO_PW" || { not_ok "a one-site clinic"; done_testing; exit 1; }
stop_server
OWNER2=$("$here/../pg/cluster.sh" newdb "$PC_PG_DIR" "s$$" 2>/dev/null | sed -n 1p)
"$PORECLEAR" store copy --from "$T/one" --to "$OWNER2" --site "Calle Mayor" --data "$T/chain2" >"$T/copy3.out" 2>"$T/copy3.err"
st=$?
[ "$st" = 0 ] && [ "$(psql -qtAX -d "$OWNER2" -c "SELECT id, name FROM sites")" = "1|Calle Mayor" ] &&
    ok "copied under the site 'Calle Mayor': the clinic's site takes the name" ||
    not_ok "copy under a site name: exit $st $(head -c 300 "$T/copy3.err")"
[ "$(psql -qtAX -d "$OWNER2" -c "SELECT count(*) FROM users")" = "$(sqlite3 "$T/one/poreclear.db" "SELECT count(*) FROM users")" ] &&
    ok "with its records" || not_ok "users after a copy under a site name"
"$PORECLEAR" store copy --from "$T/one" --to "$OWNER2" --site "Calle Mayor" --data "$T/chain2" >/dev/null 2>"$T/copy4.err"
st=$?
[ "$st" != 0 ] && grep -q "the site 'Calle Mayor' already has records" "$T/copy4.err" &&
    ok "a second copy into the site that has records is refused, naming it" ||
    not_ok "copy into a site with records: exit $st $(head -c 300 "$T/copy4.err")"
done_testing
