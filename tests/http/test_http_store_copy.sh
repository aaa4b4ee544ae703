#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Moving a clinic onto a chain (issue 14): `poreclear store copy --from DIR --to postgresql://`
# copies a SQLite clinic — accounts, clients, intakes, consents, a signed session, a photo and
# its file, the audit log — into an empty PostgreSQL database in one transaction, counts
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
req admin GET "/api/audit?limit=500"
n_audit=$(jget "$T/body" 'len(d["entries"])')
req admin GET "/api/clients?limit=100"
clients_before=$(jget "$T/body" 'sorted(c["name"] for c in d["clients"])')
stop_server && ok "the SQLite clinic stops" || not_ok "the SQLite clinic stops"

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
req pract POST /api/clients '{"name":"New On Chain","birth_date":"1990-01-01"}'
expect_status 201 "new records get new ids after the copied ones"
stop_server && ok "the server on the copy stops" || not_ok "server stops"

before=$(dbq "SELECT count(*) FROM clients")
"$PORECLEAR" store copy --from "$DATA" --to "$PG_OWNER" --data "$T/chain" >"$T/copy2.out" 2>"$T/copy2.err"
st=$?
[ "$st" != 0 ] && grep -q "already holds records" "$T/copy2.err" && ok "a second copy into it is refused (exit $st)" ||
    not_ok "second copy: exit $st $(head -c 300 "$T/copy2.err")"
[ "$(dbq "SELECT count(*) FROM clients")" = "$before" ] && ok "and changes nothing" || not_ok "the refused copy changed rows"
done_testing
