#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# A chain grows one clinic at a time (issue 14.6): `poreclear store copy` copies clinic A (a
# SQLite clinic) into an empty PostgreSQL database, then clinic B — the same demo usernames, its
# own ids 1, 2, ... — into the same chain under the site North, every id renumbered in one
# transaction. Refused and leaving the chain exactly as it was: B without a site name, B with
# usernames the chain has (the message lists them), B failing midway (a photo file's name the
# chain has, after its rows went in), B copied a second time. Then a server on the chain: B's renamed accounts log
# in, B's client shows its photos (the same bytes), its signed session at North, its
# comparison, its appointment with B's practitioner; B's client logs into the portal and sees
# what was shared; A's rows are unchanged; the chain's settings kept; one audit entry names the
# copy and its offsets. PostgreSQL only.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

if ! on_pg; then
    skip "PostgreSQL only (runs in tests/run's PostgreSQL pass)"; done_testing; exit 0
fi
APP=$PG_APP
PG_APP="" # the clinics are SQLite ones
unset PORECLEAR_DB
chain() { psql -qtAX -d "$PG_OWNER" -c "$1"; }
# the chain's every row (sequences aside: PostgreSQL never rolls them back)
chain_dump() { pg_dump --data-only --inserts -d "$PG_OWNER" | grep -v -e '^SELECT pg_catalog.setval' -e '^--' -e '^SET ' -e '^$' -e '^\\restrict' -e '^\\unrestrict'; }

# ---- clinic A: the demo clinic with a client and an open session ----
demo_clinic
A_CID=$CID
req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment","photos"],"client_name":"Matrix Client"}'
"$PORECLEAR" synth -o "$T/a.png" -W 400 -H 300 -s 5 >/dev/null 2>&1
upload_png "$CID" "kind=before" "$T/a.png"
expect_status 202 "clinic A: a photo"
portal_invite pract "$CID" && portal_accept acli "$PORTAL_TOKEN" && ok "clinic A: the client's portal account" ||
    not_ok "clinic A: the portal account"
A_CLI=$(jget "$T/login_acli" 'd["username"]')
req admin PUT /api/settings/clinic '{"name":"Clinic A"}'
expect_status 200 "clinic A names itself"
stop_server && ok "clinic A stops" || not_ok "clinic A stops"
A_DATA=$DATA

# ---- clinic B: the same usernames; a client with photos, a comparison, a signed session, an
# appointment, shares and a portal account ----
DATA=$T/b
start_server "$DATA" --demo --demo-password "$DEMO_PW" || { not_ok "clinic B starts"; done_testing; exit 1; }
login admin admin "$DEMO_PW" && login pract demo "$DEMO_PW" && login recep desk "$DEMO_PW" ||
    not_ok "clinic B's logins"
req admin PUT /api/settings/clinic '{"name":"Clinic B"}'
"$PORECLEAR" synth -o "$T/before.png" --pair "$T/after.png" -W 400 -H 300 -s 7 \
    --pair-set dx=6 --pair-set dy=-4 --pair-set rotation=1 --pair-set scale=1 >/dev/null 2>&1
req pract POST /api/clients '{"name":"Bea B","birth_date":"1990-04-05"}'
B_CID=$(jid "$T/body")
req pract POST "/api/clients/$B_CID/intakes" '{"client":{"skin_type":"oily","fitzpatrick":3}}'
req pract POST "/api/clients/$B_CID/consents" '{"agreed":["treatment","extraction","high_frequency","chemical_exfoliation","photos"],"client_name":"Bea B"}'
req pract POST "/api/clients/$B_CID/sessions" "{\"consent_id\":$(jid "$T/body"),\"implement_set\":\"tray 2\"}"
expect_status 201 "clinic B: a session"
B_SID=$(jid "$T/body")
upload_png "$B_CID" "kind=before&session_id=$B_SID" "$T/before.png"
B_P1=$(jget "$T/body" 'd["photo"]["id"]')
upload_png "$B_CID" "kind=after&session_id=$B_SID" "$T/after.png"
B_P2=$(jget "$T/body" 'd["photo"]["id"]')
req pract POST "/api/sessions/$B_SID/comparison" '{}'
[ "$(wait_job "$(jget "$T/body" 'd["job"]["id"]')")" = done ] && ok "clinic B: two photos and their comparison" ||
    not_ok "clinic B: the comparison ($(head -c 200 "$T/body"))"
req pract GET "/api/sessions/$B_SID/comparison"
B_CMP=$(jget "$T/body" 'd["id"]')
req pract GET "/api/sessions/$B_SID"
for step in $(jget "$T/body" '" ".join(s["step"] for s in d["steps"] if s["action"]!="skip" and not s["record"])'); do
    params='{"duration_min":7}'
    [ "$step" = finish ] && params='{"spf":30}'
    req pract POST "/api/sessions/$B_SID/steps/$step/record" "{\"outcome\":\"done\",\"params\":$params,\"early_reason\":\"recorded at once by the test\"}"
done
req pract POST "/api/sessions/$B_SID/sign" "{\"password\":\"$DEMO_PW\"}"
expect_status 200 "clinic B: the session is signed"
req pract GET "/api/sessions/$B_SID"
jget "$T/body" '{k: d[k] for k in ("signed_at", "signed_by", "plan") if k in d}' >"$T/b_signed.json"
req recep GET /api/users?role=practitioner
B_PID=$(jget "$T/body" '[u["id"] for u in d["users"] if u["username"]=="demo"][0]')
req recep POST /api/appointments "{\"client_id\":$B_CID,\"practitioner_id\":$B_PID,\"start\":\"2027-01-12T12:00:00+01:00\",\"duration_min\":75}"
expect_status 201 "clinic B: an appointment"
req pract POST "/api/clients/$B_CID/shares" "{\"kind\":\"photo\",\"id\":$B_P1}"
req pract POST "/api/clients/$B_CID/shares" "{\"kind\":\"comparison\",\"id\":$B_CMP}"
expect_status 201 "clinic B: a photo and the comparison shared with the client"
portal_invite pract "$B_CID" && portal_accept cli "$PORTAL_TOKEN" && ok "clinic B: the client's portal account" ||
    not_ok "clinic B: the portal account"
B_CLI=$(jget "$T/login_cli" 'd["username"]')
[ "$B_CLI" = "$A_CLI" ] && ok "the two clients' portal usernames are the same ($B_CLI)" || not_ok "portal usernames $A_CLI, $B_CLI"
stop_server && ok "clinic B stops" || not_ok "clinic B stops"
B_DATA=$DATA
B_USERS=$(sqlite3 "$B_DATA/poreclear.db" "SELECT count(*) FROM users")
[ "$B_CID" -le "$(sqlite3 "$A_DATA/poreclear.db" "SELECT max(id) FROM clients")" ] &&
    [ "$B_SID" -le "$(sqlite3 "$A_DATA/poreclear.db" "SELECT max(id) FROM tsessions")" ] &&
    [ "$B_P1" = "$(sqlite3 "$A_DATA/poreclear.db" "SELECT max(id) FROM photos")" ] &&
    ok "clinics A and B use the same ids (client $B_CID, session $B_SID, photo $B_P1)" ||
    not_ok "the clinics' ids differ: nothing to renumber"

# ---- A into the empty chain: ids kept ----
"$PORECLEAR" store copy --from "$A_DATA" --to "$PG_OWNER" --site "Calle Mayor" --data "$T/chain" >"$T/a.out" 2>"$T/a.err"
st=$?
[ "$st" = 0 ] && grep -q "^audit: copy of the clinic in .* as the site 'Calle Mayor' (id 1): ids kept" "$T/a.out" &&
    ok "clinic A copied into the empty chain, its ids kept, the copy audited" ||
    not_ok "copy A: exit $st $(head -c 300 "$T/a.err") $(tail -1 "$T/a.out")"
[ "$(chain "SELECT id FROM clients WHERE name = 'Matrix Client'")" = "$A_CID" ] && ok "A's client keeps its id" ||
    not_ok "A's client id"
# A's rows: every table's, by the ids A has (B's go after them)
a_rows() {
    local t k
    for t in users clients intakes reviews consents tsessions tsteps amendments audit; do
        k=id; [ $t = tsteps ] && k=session_id
        chain "SELECT count(*), md5(string_agg(x::text, ',' ORDER BY x::text)) FROM $t x WHERE $k <= ${MAXA[$t]}"
    done
}
declare -A MAXA
for t in users clients intakes reviews consents tsessions amendments audit; do
    MAXA[$t]=$(chain "SELECT coalesce(max(id), 0) FROM $t")
done
MAXA[tsteps]=${MAXA[tsessions]}
a_rows >"$T/a_rows"
chain_dump >"$T/dump0"

# ---- refused: nothing changes ----
"$PORECLEAR" store copy --from "$B_DATA" --to "$PG_OWNER" --data "$T/chain" >/dev/null 2>"$T/e1"
st=$?
[ "$st" = 1 ] && grep -q "already holds records.*a clinic joins a chain as a site of its own, named (--site NAME)" "$T/e1" &&
    ok "B without a site name: refused (exit 1), the message says why" || not_ok "B without a site: exit $st $(cat "$T/e1")"
"$PORECLEAR" store copy --from "$B_DATA" --to "$PG_OWNER" --site North --data "$T/chain" >/dev/null 2>"$T/e2"
st=$?
[ "$st" = 1 ] && grep -qF "usernames the chain has already: staff admin, demo, trainee, desk; client accounts $A_CLI (" "$T/e2" &&
    grep -qF -- "--rename-users SUFFIX" "$T/e2" &&
    ok "B's usernames the chain has: refused (exit 1), every clash listed, the way out named" ||
    not_ok "username clash: exit $st $(cat "$T/e2")"
"$PORECLEAR" store copy --from "$B_DATA" --to "$PG_OWNER" --site "Calle Mayor" --rename-users -b --data "$T/chain" >/dev/null 2>"$T/e3"
st=$?
[ "$st" = 1 ] && grep -q "the site 'Calle Mayor' already has records" "$T/e3" && ok "B into A's site: refused" ||
    not_ok "B into A's site: exit $st $(cat "$T/e3")"
"$PORECLEAR" store copy --from "$B_DATA" --to "$PG_OWNER" --site North --rename-users 'B!' --data "$T/chain" >/dev/null 2>"$T/e4"
[ $? = 2 ] && grep -q "rename-users" "$T/e4" && ok "a suffix that makes no username: exit 2" || not_ok "bad suffix: $(cat "$T/e4")"
chain_dump >"$T/dump1"
cmp -s "$T/dump0" "$T/dump1" && ok "the refused copies changed nothing" ||
    { not_ok "a refused copy changed the chain"; diff "$T/dump0" "$T/dump1" | head -10 | sed 's/^/# /'; }

# ---- failing midway (a photo file's name the chain has, after every row went in) ----
B_FILE=$(sqlite3 "$B_DATA/poreclear.db" "SELECT file FROM photos ORDER BY id LIMIT 1")
# (new: the sweep at opening removes only old rows that no photo names)
chain "INSERT INTO files(name, bytes, chunks, created_at) VALUES('$B_FILE', 0, 0, extract(epoch FROM now())::bigint)" >/dev/null
chain_dump >"$T/dump2"
"$PORECLEAR" store copy --from "$B_DATA" --to "$PG_OWNER" --site North --rename-users -north --data "$T/chain" >/dev/null 2>"$T/e5"
st=$?
[ "$st" = 1 ] && grep -qF "the photo file $B_FILE is on the target already" "$T/e5" &&
    ok "a copy that fails midway, on a photo file after every row: exit 1, the file named" ||
    not_ok "the copy failing midway: exit $st $(cat "$T/e5")"
chain_dump >"$T/dump3"
cmp -s "$T/dump2" "$T/dump3" && ok "the failed copy left the chain exactly as it was (no North, no rows)" ||
    { not_ok "the failed copy changed the chain"; diff "$T/dump2" "$T/dump3" | head -10 | sed 's/^/# /'; }
chain "DELETE FROM files WHERE name = '$B_FILE'" >/dev/null

# ---- B into the chain under North: renumbered ----
"$PORECLEAR" store copy --from "$B_DATA" --to "$PG_OWNER" --site North --rename-users -north --data "$T/chain" >"$T/b.out" 2>"$T/b.err"
st=$?
[ "$st" = 0 ] && ok "clinic B copied into the chain under North" || not_ok "copy B: exit $st $(head -c 400 "$T/b.err")"
echo "# $(tail -1 "$T/b.out" | head -c 600)"
grep -q "^audit: copy of the clinic in .* as the site 'North' (id 2, new): ids renumbered, new id = old id + the table's offset: users +4, clients +[1-9][0-9]*, .* photos +1, .*audit +[1-9]" "$T/b.out" &&
    grep -q "staff accounts renamed: admin -> admin-north, demo -> demo-north, trainee -> trainee-north, desk -> desk-north; client accounts renamed: $B_CLI -> $B_CLI-north;" "$T/b.out" &&
    grep -q "the chain's settings kept over the clinic's: clinic.name" "$T/b.out" &&
    ok "the output and the audit entry name the site, the offsets, the renamed accounts and the settings kept" ||
    not_ok "copy B's report: $(tail -1 "$T/b.out")"
[ "$(chain "SELECT count(*) FROM audit WHERE action = 'store.copy' AND detail LIKE '%ids renumbered%users +4%'")" = 1 ] &&
    ok "one audit entry store.copy in the chain traces the old ids" || not_ok "the audit entry store.copy"
[ "$(chain "SELECT count(*) FROM sites")" = 2 ] && [ "$(chain "SELECT count(*) FROM users")" = $((4 + B_USERS)) ] &&
    [ "$(chain "SELECT count(*) FROM user_sites WHERE site_id = 2")" = "$B_USERS" ] &&
    [ "$(chain "SELECT count(*) FROM user_sites WHERE site_id <> 2")" = 0 ] &&
    ok "B's accounts belong to North only; A's to the whole chain" || not_ok "users' sites: $(chain "SELECT * FROM user_sites")"
[ "$(chain "SELECT value FROM settings WHERE key = 'clinic.name'")" = "Clinic A" ] &&
    ok "the chain's clinic name is kept" || not_ok "settings: $(chain "SELECT key, value FROM settings")"

# ---- B copied again (another site): refused, the chain as it was ----
chain_dump >"$T/dump4"
"$PORECLEAR" store copy --from "$B_DATA" --to "$PG_OWNER" --site South --rename-users -south --data "$T/chain" >/dev/null 2>"$T/e6"
st=$?
[ "$st" = 1 ] && grep -q "the clinic's account 'admin' is on the chain already (its password hash): this clinic was copied before" "$T/e6" &&
    ok "B copied a second time: refused (exit 1), it was copied before" || not_ok "second copy of B: exit $st $(cat "$T/e6")"
chain_dump >"$T/dump5"
cmp -s "$T/dump4" "$T/dump5" && ok "and the chain is as it was" || not_ok "the refused second copy changed the chain"

# ---- A's rows untouched ----
a_rows >"$T/a_rows2"
cmp -s "$T/a_rows" "$T/a_rows2" && ok "A's accounts, clients, intakes, reviews, consents, sessions, steps, amendments and audit log are unchanged" ||
    { not_ok "A's rows changed"; paste "$T/a_rows" "$T/a_rows2" | sed 's/^/# /'; }

# ---- a server on the chain ----
PG_APP=$APP
export PORECLEAR_DB=$APP
start_server "$T/chain" || { not_ok "a server on the chain"; done_testing; exit 1; }
login admin admin "$DEMO_PW" && login pract demo-north "$DEMO_PW" && ok "A's admin and B's renamed practitioner log in" ||
    not_ok "logins on the chain"
! login x admin-south "$DEMO_PW" && ok "no account of the failed copy" || not_ok "admin-south logs in"
req admin GET "/api/clients?limit=100"
NEW_CID=$(jget "$T/body" '[c["id"] for c in d["clients"] if c["name"]=="Bea B"][0]')
[ -n "$NEW_CID" ] && [ "$NEW_CID" != "$B_CID" ] && [ "$(jget "$T/body" '[c["id"] for c in d["clients"] if c["name"]=="Matrix Client"]')" = "[$A_CID]" ] &&
    ok "B's client renumbered ($B_CID -> $NEW_CID), A's kept ($A_CID), two clients not merged" ||
    not_ok "clients: $(head -c 300 "$T/body")"
req pract GET "/api/clients/$NEW_CID/photos"
jget "$T/body" '[[p["id"], p["kind"]] for p in d["photos"]]' >"$T/photos"
NEW_P1=$(jget "$T/body" '[p["id"] for p in d["photos"] if p["kind"]=="before"][0]')
NEW_P2=$(jget "$T/body" '[p["id"] for p in d["photos"] if p["kind"]=="after"][0]')
[ "$(jget "$T/body" 'len(d["photos"])')" = 2 ] && [ "$NEW_P1" != "$B_P1" ] &&
    ok "B's client shows its two photos, renumbered" || not_ok "B's photos: $(head -c 300 "$T/body")"
curl -s -o "$T/got.png" -b "$T/jar_pract" "$BASE/api/clients/$NEW_CID/photos/$NEW_P1/image"
cmp -s "$T/got.png" "$T/before.png" && ok "the before photo's bytes are the same" || not_ok "the photo's bytes differ"
req pract GET "/api/clients/$NEW_CID/sessions"
NEW_SID=$(jget "$T/body" '[s["id"] for s in d["sessions"]][0]')
req pract GET "/api/sessions/$NEW_SID"
[ "$STATUS" = 200 ] && [ "$(jget "$T/body" '[d["client_id"], d["site_id"], d["signed_at"] is not None]')" = "[$NEW_CID, 2, true]" ] &&
    ok "B's signed session ($B_SID -> $NEW_SID) is its client's, at North" ||
    not_ok "B's session: $(head -c 400 "$T/body")"
[ "$(jget "$T/body" 'd["plan"]')" = "$(jget "$T/b_signed.json" 'd["plan"]')" ] && ok "the signed plan is the same, bit for bit" ||
    not_ok "the signed plan differs"
req pract GET "/api/sessions/$NEW_SID/comparison"
[ "$(jget "$T/body" '[d["before_photo_id"], d["after_photo_id"]]')" = "[$NEW_P1, $NEW_P2]" ] &&
    ok "the comparison points at B's renumbered photos" || not_ok "comparison: $(head -c 300 "$T/body")"
curl -s -o /dev/null -w '%{http_code}' -b "$T/jar_pract" "$BASE/api/sessions/$NEW_SID/comparison/sidebyside.png" >"$T/code"
[ "$(cat "$T/code")" = 200 ] && ok "and its picture is there" || not_ok "comparison picture: $(cat "$T/code")"
req admin GET /api/users
NEW_PID=$(jget "$T/body" '[u["id"] for u in d["users"] if u["username"]=="demo-north"][0]')
req pract GET "/api/appointments?from=2027-01-01&to=2027-02-01&client_id=$NEW_CID"
[ "$(jget "$T/body" '[[a["client_id"], a["practitioner_id"]] for a in d["appointments"]]')" = "[[$NEW_CID, $NEW_PID]]" ] &&
    ok "B's appointment: its client and its practitioner (demo-north, $NEW_PID)" ||
    not_ok "appointments: $(head -c 300 "$T/body")"
portal_login acli "$A_CLI" client-password-1 && ok "A's client logs into the portal under its username" || not_ok "portal login $A_CLI: $PORTAL_STATUS"
portal_login cli "$B_CLI-north" client-password-1 && ok "B's client logs into the portal, renamed $B_CLI-north" || not_ok "portal login $B_CLI-north: $PORTAL_STATUS"
req cli GET /api/portal/progress
[ "$(jget "$T/body" 'sorted(s["kind"] for s in d["shared"])')" = '["comparison", "photo"]' ] &&
    ok "the portal shows B's shared photo and comparison" || not_ok "portal progress: $(head -c 300 "$T/body")"
SH=$(jget "$T/body" '[s["id"] for s in d["shared"] if s["kind"]=="photo"][0]')
curl -s -o "$T/shared.png" -b "$T/jar_cli" "$BASE/api/portal/shares/$SH/image"
cmp -s "$T/shared.png" "$T/before.png" && ok "the shared photo is B's before photo" || not_ok "the shared photo differs"
req pract GET "/api/clients/$A_CID/photos"
[ "$(jget "$T/body" '[p["id"] for p in d["photos"]]')" = "[1]" ] && ok "A's client has its own photo only, under its id" || not_ok "A's client's photos: $(head -c 200 "$T/body")"
req pract POST /api/clients '{"name":"New On Chain","birth_date":"1990-01-01"}'
expect_status 201 "a new client after both copies"
[ "$(jid "$T/body")" -gt "$NEW_CID" ] && ok "with an id after the copied ones" || not_ok "new id $(jid "$T/body")"
stop_server && ok "the server on the chain stops" || not_ok "server stops"
done_testing
