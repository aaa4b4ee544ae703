#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Sites of a chain (issue 14.5) against the real server, on SQLite and PostgreSQL: the clinic's
# one site; a chain admin creates sites; users belong to sites (or the whole chain); a session
# records its site (chosen when there is one, asked when there are several, refused at a site
# not the practitioner's); the session list and the user list filter by site; a site admin
# manages only their site's users and settings and sees only their sites in the report; the
# chain's settings, audit log, erasure and new sites are the chain admin's; the report counts
# sessions per site, practitioner and month.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

demo_clinic

# ---- one site until there are more ----
req recep GET /api/sites
expect_status 200 "reception lists the sites"
check "a clinic has one site, 'Main site', and the demo accounts belong to the whole chain" \
    test "$(jget "$T/body" '[(s["id"], s["name"], s["mine"]) for s in d["sites"]] + [d["chain"]]')" = '[[1, "Main site", true], true]'
req pract GET "/api/sessions/$SID"
check "the demo's session took place at the one site" test "$(jget "$T/body" 'd["site_id"]')" = 1

# ---- sites: the chain admin's ----
req pract POST /api/sites '{"name":"North"}'
expect_status 403 "a practitioner cannot create a site"
req admin POST /api/sites '{"name":"North","address":"1 High Street","time_zone":"Europe/Madrid"}'
expect_status 201 "the chain admin creates a site"
NORTH=$(jget "$T/body" 'd["site"]["id"]')
check "the new site is returned with its settings" test "$(jget "$T/body" '[d["site"][k] for k in ("name","address","time_zone")]')" = '["North", "1 High Street", "Europe/Madrid"]'
req admin POST /api/sites '{"name":"North"}'
expect_status 409 "a second site of the same name is refused"
req admin POST /api/sites '{"name":"Moon","time_zone":"Moon/Base"}'
expect_status 400 "a time zone the system does not know is refused"
req admin POST /api/sites '{"address":"nowhere"}'
expect_status 400 "a site needs a name"
req admin POST /api/sites "{\"name\":\"Bad\\u0007Bell\"}"
expect_status 400 "control characters in a name are refused"

# ---- users of sites ----
new_user() { # WHO(login name) ROLE SITES-JSON [as WHO2]: creates, logs in, sets a password
    local name=$1 role=$2 sites=$3 as=${4:-admin}
    req "$as" POST /api/users "{\"username\":\"$name\",\"role\":\"$role\",\"certifications\":[\"extraction\",\"high_frequency\",\"chemical_exfoliation\"],\"sites\":$sites}"
    [ "$STATUS" = 201 ] || return 1
    local otp; otp=$(jget "$T/body" 'd["one_time_password"]')
    login "$name" "$name" "$otp" || return 1
    req "$name" POST /api/password "{\"current_password\":\"$otp\",\"new_password\":\"$name password 1\"}"
    [ "$STATUS" = 200 ] || return 1
    login "$name" "$name" "$name password 1"
}
check "the chain admin creates a site admin of North" new_user northadmin admin "[$NORTH]"
check "and a practitioner of North" new_user northpract practitioner "[$NORTH]"
check "and a receptionist of the main site" new_user mainrecep reception "[1]"
req northadmin GET /api/session
check "a user's sites are in their session" test "$(jget "$T/body" '[d["user"]["sites"], d["user"]["chain"]]')" = "[[$NORTH], false]"
req admin POST /api/users "{\"username\":\"ghost\",\"role\":\"reception\",\"sites\":[999]}"
expect_status 400 "a user of a site that does not exist is refused"
req admin GET /api/users?username=ghost
check "and not created" test "$(jget "$T/body" '[u for u in d["users"] if u["username"] == "ghost"]')" = "[]"

# ---- a session records its site ----
req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment","extraction","high_frequency","chemical_exfoliation"],"client_name":"Matrix Client"}'
C2=$(jid "$T/body")
req pract POST "/api/clients/$CID/sessions" "{\"consent_id\":$C2}"
expect_status 422 "with two sites, a chain-wide practitioner says where the session is"
check "the code is site_required" test "$(err_code)" = site_required
req northpract POST "/api/clients/$CID/sessions" "{\"consent_id\":$C2,\"site_id\":1}"
expect_status 403 "a practitioner of North cannot start a session at the main site"
check "the code is site_scope" test "$(err_code)" = site_scope
req northpract POST "/api/clients/$CID/sessions" "{\"consent_id\":$C2}"
expect_status 201 "a practitioner of one site starts a session there without naming it"
S_NORTH=$(jid "$T/body")
check "the session records North" test "$(jget "$T/body" 'd["site_id"]')" = "$NORTH"
req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment"],"client_name":"Matrix Client"}'
C3=$(jid "$T/body")
req pract POST "/api/clients/$CID/sessions" "{\"consent_id\":$C3,\"site_id\":999}"
expect_status 400 "a site that does not exist is refused"
req pract POST "/api/clients/$CID/sessions" "{\"consent_id\":$C3,\"site_id\":1}"
expect_status 201 "a chain-wide practitioner names the site"
S_MAIN=$(jid "$T/body")
check "the session is in the audit log with its site" \
    test "$(dbq "SELECT count(*) FROM audit WHERE action = 'session.start' AND detail LIKE 'session $S_MAIN %at site 1'")" = 1

# ---- lists filter by site ----
req pract GET "/api/clients/$CID/sessions?site_id=$NORTH"
check "the client's sessions at North: the one there" test "$(jget "$T/body" '[s["id"] for s in d["sessions"]]')" = "[$S_NORTH]"
req pract GET "/api/clients/$CID/sessions?site_id=1"
check "at the main site: the two there, newest first" test "$(jget "$T/body" '[s["id"] for s in d["sessions"]]')" = "[$S_MAIN, $SID]"
req pract GET "/api/clients/$CID/sessions"
check "every site's, with their sites" test "$(jget "$T/body" '[s["site_id"] for s in d["sessions"]]')" = "[1, $NORTH, 1]"
req pract GET "/api/clients/$CID/sessions?site_id=x"
expect_status 400 "a site_id that is not a number is refused"
req recep GET "/api/users?site_id=$NORTH"
check "the practitioners working at North: its own and the chain's" \
    test "$(jget "$T/body" 'sorted(u["username"] for u in d["users"])')" = '["demo", "northpract", "trainee"]'
req admin GET "/api/users?site_id=1"
check "the chain admin lists the users of the main site (not North's)" \
    test "$(jget "$T/body" '"northpract" not in [u["username"] for u in d["users"]] and "mainrecep" in [u["username"] for u in d["users"]]')" = true

# ---- a site admin: their site's users and settings ----
req northadmin GET /api/users
check "a site admin sees the users who share a site with them, not the main site's own" \
    test "$(jget "$T/body" '["northpract" in (n := [u["username"] for u in d["users"]]), "mainrecep" in n, "admin" in n]')" = '[true, false, true]'
check "a site admin creates a receptionist of their site" new_user northdesk reception "[$NORTH]" northadmin
req northadmin POST /api/users '{"username":"sneaky","role":"reception","sites":[1]}'
expect_status 403 "but not of another site"
check "the code is site_scope" test "$(err_code)" = site_scope
req northadmin POST /api/users '{"username":"sneaky","role":"admin","sites":[]}'
expect_status 403 "nor one of the whole chain"
req northadmin POST /api/users '{"username":"defaulted","role":"reception"}'
expect_status 201 "a user created by a site admin without sites belongs to theirs"
check "North" test "$(jget "$T/body" 'd["user"]["sites"]')" = "[$NORTH]"
MAINRECEP_ID=$(dbq "SELECT id FROM users WHERE username = 'mainrecep'")
req northadmin PATCH "/api/users/$MAINRECEP_ID" '{"display_name":"Taken"}'
expect_status 403 "a site admin cannot change a user of another site"
req northadmin PATCH "/api/users/2" '{"display_name":"Taken"}'
expect_status 403 "nor a user of the whole chain"
NP_ID=$(dbq "SELECT id FROM users WHERE username = 'northpract'")
req northadmin PATCH "/api/users/$NP_ID" '{"display_name":"North Practitioner"}'
expect_status 200 "a site admin changes a user of their site"
req northadmin PATCH "/api/users/$NP_ID" '{"sites":[1]}'
expect_status 403 "but cannot move them to another site"
req admin PATCH "/api/users/$NP_ID" "{\"sites\":[1,$NORTH]}"
expect_status 200 "the chain admin gives a user two sites"
check "in order" test "$(jget "$T/body" 'd["user"]["sites"]')" = "[1, $NORTH]"
check "audited with the sites" test "$(dbq "SELECT count(*) FROM audit WHERE action = 'user.update' AND detail LIKE 'northpract %sites=1,$NORTH'")" = 1
req northadmin PATCH "/api/sites/$NORTH" '{"address":"2 High Street"}'
expect_status 200 "a site admin changes their site's settings"
check "the rest kept" test "$(jget "$T/body" '[d["site"][k] for k in ("name","address","time_zone")]')" = '["North", "2 High Street", "Europe/Madrid"]'
req northadmin PATCH /api/sites/1 '{"name":"Mine now"}'
expect_status 403 "but not another site's"
req admin PATCH /api/sites/999 '{"name":"Nowhere"}'
expect_status 404 "a site that does not exist"
check "the site change is audited" test "$(dbq "SELECT count(*) FROM audit WHERE action = 'site.update'")" = 1
for p in "POST /api/sites {\"name\":\"South\"}" "PUT /api/settings/clinic {\"name\":\"Chain\"}" "GET /api/audit -" "DELETE /api/clients/$CID -" "PUT /api/settings/mail {}"; do
    set -- $p
    b=$3; [ "$b" = - ] && b=""
    req northadmin "$1" "$2" "$b"
    [ "$STATUS" = 403 ] && [ "$(err_code)" = site_scope ] && ok "a site admin: $1 $2 is the chain admin's (403 site_scope)" ||
        not_ok "a site admin: $1 $2 -> $STATUS $(err_code)"
done
req northadmin GET /api/settings/clinic
expect_status 200 "a site admin reads the chain's settings"

# ---- the report ----
req pract POST "/api/sessions/$S_MAIN/cancel" '{"reason":"client left early"}'
expect_status 200 "a session is cancelled (not counted)"
# months on the sites' wall clocks: the range takes in the months either side
MONTH=$(date -u +%Y-%m)
FROM=$(date -u -d "$(date -u +%Y-%m-15) -1 month" +%Y-%m) TO=$(date -u -d "$(date -u +%Y-%m-15) +1 month" +%Y-%m)
MADRID=$(TZ=Europe/Madrid date +%Y-%m)
req admin GET "/api/reports/sessions?from=$FROM&to=$TO"
expect_status 200 "the chain admin's report"
check "every site: main site 1 (the demo's), North 1" \
    test "$(jget "$T/body" '[(r["site"], r["sessions"], r["signed"]) for r in d["rows"]]')" = '[["Main site", 1, 0], ["North", 1, 0]]'
check "per practitioner and month" \
    test "$(jget "$T/body" '[[r["practitioner"], r["month"]] for r in d["rows"]][1]')" = "[\"North Practitioner\", \"$MADRID\"]"
req northadmin GET "/api/reports/sessions?from=$FROM&to=$TO"
check "a site admin's report: their site only" test "$(jget "$T/body" '[r["site"] for r in d["rows"]]')" = '["North"]'
req northadmin GET "/api/reports/sessions?from=$MONTH&to=$MONTH&site_id=1"
expect_status 403 "another site's report is refused"
req admin GET "/api/reports/sessions?from=$FROM&to=$TO&site_id=$NORTH"
check "the chain admin's report of one site" test "$(jget "$T/body" '[r["site"] for r in d["rows"]]')" = '["North"]'
req admin GET "/api/reports/sessions?from=2026-13&to=2026-12"
expect_status 400 "a month that is not one is refused"
req admin GET "/api/reports/sessions?from=2020-01&to=2026-12"
expect_status 400 "more than 36 months is refused"
req pract GET "/api/reports/sessions?from=$MONTH&to=$MONTH"
expect_status 403 "a practitioner sees no report"

# ---- the appointment book of each site ----
CTZ=$(req recep GET /api/clinic/clock >/dev/null; jget "$T/body" 'd["time_zone"]')
OFF=$(TZ=$CTZ date -d '2027-01-12 12:00' +%:z) # a Tuesday: the demo's hours are Monday-Friday 9-18
at() { echo "2027-01-12T$1:00$OFF"; }
DEMO_ID=$(dbq "SELECT id FROM users WHERE username = 'demo'")
check "a practitioner of the main site only" new_user mainpract practitioner "[1]"
MP_ID=$(dbq "SELECT id FROM users WHERE username = 'mainpract'")
req admin PUT "/api/practitioners/$MP_ID/hours" '{"hours":[{"weekday":2,"start":"09:00","end":"18:00"}]}'
expect_status 200 "who works on Tuesdays"
book() { # WHO PRACTITIONER HH:MM [SITE]
    local site=""
    [ -n "${4-}" ] && site=",\"site_id\":$4"
    req "$1" POST /api/appointments "{\"client_id\":$CID,\"practitioner_id\":$2,\"start\":\"$(at "$3")\",\"duration_min\":30$site}"
}
book recep "$DEMO_ID" 10:00
expect_status 422 "a practitioner of the whole chain, two sites: the booking says where"
check "the code is site_required" test "$(err_code)" = site_required
book recep "$DEMO_ID" 10:00 999
expect_status 400 "a site that does not exist is refused"
book recep "$MP_ID" 10:00 "$NORTH"
expect_status 409 "a practitioner of the main site is not booked at North"
check "the code is not_at_site" test "$(err_code)" = not_at_site
book mainrecep "$DEMO_ID" 10:00 "$NORTH"
expect_status 403 "a receptionist of the main site does not book at North"
check "the code is site_scope" test "$(err_code)" = site_scope
req recep GET "/api/appointments?from=2027-01-12&to=2027-01-13"
check "nothing was booked" test "$(jget "$T/body" 'len(d["appointments"])')" = 0
book recep "$DEMO_ID" 10:00 "$NORTH"
expect_status 201 "booked at North, named"
A_NORTH=$(jget "$T/body" 'd["id"]')
check "the appointment says North" test "$(jget "$T/body" 'd["site_id"]')" = "$NORTH"
book recep "$MP_ID" 12:00
expect_status 201 "not named: the practitioner's one site"
A_MP=$(jget "$T/body" 'd["id"]')
check "the main site" test "$(jget "$T/body" 'd["site_id"]')" = 1
req admin PUT "/api/practitioners/$NP_ID/hours" '{"hours":[{"weekday":2,"start":"09:00","end":"18:00"}]}'
book recep "$NP_ID" 16:00 "$NORTH"
expect_status 201 "a practitioner of two sites, booked at one of them"
A_NP=$(jget "$T/body" 'd["id"]')
book mainrecep "$DEMO_ID" 11:00
expect_status 201 "not named, a practitioner of the whole chain: the booker's one site"
A_MAIN=$(jget "$T/body" 'd["id"]')
check "the main site" test "$(jget "$T/body" 'd["site_id"]')" = 1
check "stored with its site" test "$(dbq "SELECT site_id FROM appointments WHERE id = $A_NORTH")" = "$NORTH"

DAY="from=2027-01-12&to=2027-01-13"
req recep GET "/api/appointments?$DAY&site_id=$NORTH"
expect_status 200 "the book of North"
check "North's appointments only" test "$(jget "$T/body" '[a["id"] for a in d["appointments"]]')" = "[$A_NORTH, $A_NP]"
req recep GET "/api/appointments?$DAY&site_id=1"
check "the main site's, in time order" test "$(jget "$T/body" '[a["id"] for a in d["appointments"]]')" = "[$A_MAIN, $A_MP]"
req recep GET "/api/appointments?$DAY"
check "no site: every site's" test "$(jget "$T/body" 'len(d["appointments"])')" = 4
req recep GET "/api/appointments?$DAY&site_id=x"
expect_status 400 "a site_id that is not a number is refused"
req recep GET "/api/users?role=practitioner&site_id=1"
check "the main site's practitioners for its book: its own and the chain's" \
    test "$(jget "$T/body" 'sorted(u["username"] for u in d["users"])')" = '["demo", "mainpract", "northpract", "trainee"]'
req recep GET "/api/users?role=practitioner&site_id=$NORTH"
check "North's: not the main site's own" \
    test "$(jget "$T/body" '"mainpract" in [u["username"] for u in d["users"]]')" = false

req recep POST "/api/appointments/$A_NORTH/move" "{\"start\":\"$(at 14:00)\",\"practitioner_id\":$MP_ID}"
expect_status 409 "moved to a practitioner who does not work at its site: refused"
check "the code is not_at_site" test "$(err_code)" = not_at_site
req recep POST "/api/appointments/$A_NORTH/move" "{\"start\":\"$(at 14:00)\"}"
expect_status 200 "moved in time, it stays at North"
check "at North" test "$(jget "$T/body" 'd["site_id"]')" = "$NORTH"

req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment"],"client_name":"Matrix Client"}'
C5=$(jid "$T/body")
req pract POST "/api/clients/$CID/sessions" "{\"consent_id\":$C5,\"appointment_id\":$A_NORTH}"
expect_status 201 "a session started from North's appointment without naming a site"
check "takes place at North" test "$(jget "$T/body" 'd["site_id"]')" = "$NORTH"
req recep GET "/api/appointments/$A_NORTH"
check "and the appointment is in treatment" test "$(jget "$T/body" 'd["status"]')" = in_treatment

# ---- a site admin's rights are the sites they hold now ----
NA_ID=$(dbq "SELECT id FROM users WHERE username = 'northadmin'")
req admin PATCH "/api/users/$NA_ID" '{"sites":[]}'
expect_status 200 "the chain admin makes the site admin a chain admin"
req northadmin GET /api/audit
expect_status 200 "who then reads the audit log"

# ---- the access matrix of the new routes ----
matrix() {
    cat <<M
# whos: anon mainrecep northpract northadmin admin
GET   /api/sites                                    -                     U A A A A
POST  /api/sites                                    {"name":""}           U F F F A
PATCH /api/sites/$NORTH                             {"name":""}           U F F A A
PATCH /api/sites/1                                  {"name":""}           U F F F A
GET   /api/reports/sessions?from=$MONTH&to=$MONTH   -                     U F F A A
M
}
req admin PATCH "/api/users/$NA_ID" "{\"sites\":[$NORTH]}"
matrix | $PY "$here/matrix.py" "$BASE" "$T" >"$T/matrix.out"
while read -r line; do
    case "$line" in "ok "*) ok "${line#ok }" ;; *) not_ok "${line#not ok }" ;; esac
done <"$T/matrix.out"

# ---- schema 15 over a book of before: each appointment at its practitioner's first site ----
stop_server
check "the server stops cleanly" test $? = 0
# the book as schema 14 had it: no site (North's appointment's practitioner, demo, belongs to
# the whole chain: the chain's first site; Mia's: the main site; northpract's: North, alone now)
dbq "DELETE FROM user_sites WHERE user_id = $NP_ID AND site_id = 1"
if on_pg; then
    psql -qtAX -d "$PG_OWNER" -c "DROP INDEX appointments_site; ALTER TABLE appointments DROP COLUMN site_id; UPDATE schema_version SET version = 14" >/dev/null &&
        "$PORECLEAR" store migrate --db "$PG_OWNER" --data "$T/owner" >/dev/null
else
    sqlite3 "$DATA/poreclear.db" "DROP INDEX appointments_site; ALTER TABLE appointments DROP COLUMN site_id; PRAGMA user_version = 14"
fi
check "the database is back at schema 14 and migrates again" test $? = 0
start_server "$DATA" || not_ok "the server starts again"
check "every appointment has its site again" test "$(dbq 'SELECT count(*) FROM appointments WHERE site_id IS NULL')" = 0
check "a practitioner of the whole chain's: the chain's first site" test "$(dbq "SELECT site_id FROM appointments WHERE id = $A_NORTH")" = 1
check "a practitioner of one site's: that site" test "$(dbq "SELECT site_id FROM appointments WHERE id = $A_NP")" = "$NORTH"
check "and the main site's" test "$(dbq "SELECT site_id FROM appointments WHERE id = $A_MP")" = 1
stop_server
check "the server stops cleanly" test $? = 0
done_testing
