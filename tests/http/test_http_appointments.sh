#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The appointment book against the real server (issue 11): the demo clinic's hours, booking
# (201 / 409 booked / 409 not_working / 400), 20 parallel requests for one slot (exactly one
# 201), the clinic's wall clock across the daylight-saving changes of Europe/Paris (the last
# Sundays of March and October 2027), free slots, move, cancel, statuses, absences, the
# practitioners list for the front desk, and the pre-visit check (the plan on the
# appointment's date; nothing clinical for reception).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

export TZ=Europe/Paris # the clinic's time zone (docs/api.md, "Appointments")
demo_clinic

# ---- the practitioners, for the front desk ----
req recep GET /api/users
expect_status 200 "reception lists the practitioners"
[ "$(jget "$T/body" '[u["username"] for u in d["users"]]')" = '["demo", "trainee"]' ] &&
    [ "$(jget "$T/body" 'sorted(d["users"][0].keys())')" = '["display_name", "id", "role", "username"]' ] &&
    ok "reception sees the practitioners by id and name only" || not_ok "reception's user list ($(head -c 300 "$T/body"))"
PID=$(jget "$T/body" 'd["users"][0]["id"]')
TRAINEE=$(jget "$T/body" 'd["users"][1]["id"]')
req admin GET "/api/users?role=practitioner"
[ "$(jget "$T/body" 'len(d["users"])')" = 2 ] && ok "admin filters the users by role" || not_ok "admin ?role=practitioner"

req recep GET "/api/practitioners/$PID/hours"
expect_status 200 "the hours of a practitioner"
[ "$(jget "$T/body" '[[h["weekday"],h["start"],h["end"]] for h in d["hours"]]')" = \
  '[[1, "09:00", "18:00"], [2, "09:00", "18:00"], [3, "09:00", "18:00"], [4, "09:00", "18:00"], [5, "09:00", "18:00"]]' ] &&
    [ "$(jget "$T/body" 'd["time_zone"]')" = Europe/Paris ] &&
    ok "the demo clinic: Monday-Friday 9:00-18:00 on the clinic's clock" || not_ok "demo hours ($(head -c 300 "$T/body"))"

# ---- booking ----
req recep POST /api/appointments "{\"client_id\":$CID,\"practitioner_id\":$PID,\"start\":\"2027-01-12T09:00:00+01:00\",\"duration_min\":75}"
expect_status 201 "reception books 2027-01-12 09:00, 75 min"
A1=$(jid "$T/body")
[ "$(jget "$T/body" '[d["start"],d["end"],d["start_utc"],d["status"]]')" = \
  '["2027-01-12T09:00:00+01:00", "2027-01-12T10:15:00+01:00", "2027-01-12T08:00:00Z", "booked"]' ] &&
    ok "the appointment in clinic time and UTC" || not_ok "the appointment ($(head -c 300 "$T/body"))"
req pract POST /api/clients '{"name":"Other Client","birth_date":"1980-02-02"}'
C2=$(jid "$T/body")
req recep POST /api/appointments "{\"client_id\":$C2,\"practitioner_id\":$PID,\"start\":\"2027-01-12T10:00:00+01:00\",\"duration_min\":30}"
expect_status 409 "an overlapping booking: 409"
[ "$(err_code)" = booked ] && contains "$T/body" "already booked" && ok "409 booked, with a clear message" || not_ok "409 code ($(head -c 200 "$T/body"))"
req recep POST /api/appointments "{\"client_id\":$C2,\"practitioner_id\":$PID,\"start\":\"2027-01-16T10:00:00+01:00\"}"
expect_status 409 "a Saturday: 409"
[ "$(err_code)" = not_working ] && ok "409 not_working" || not_ok "409 not_working ($(head -c 200 "$T/body"))"
req recep POST /api/appointments "{\"client_id\":$C2,\"practitioner_id\":$PID,\"start\":\"2027-01-12T17:30:00+01:00\",\"duration_min\":60}"
[ "$STATUS" = 409 ] && [ "$(err_code)" = not_working ] && ok "past 18:00: 409 not_working" || not_ok "past 18:00 ($STATUS)"
req recep POST /api/appointments "{\"client_id\":$C2,\"practitioner_id\":$PID,\"start\":\"2027-01-12T10:15:00+01:00\"}"
expect_status 201 "right after it: 201 (default duration)"
[ "$(jget "$T/body" 'd["duration_min"]')" = 75 ] && ok "the default duration is 75 min" || not_ok "default duration"
for body in "{\"client_id\":$C2,\"practitioner_id\":$PID}" \
    "{\"client_id\":$C2,\"practitioner_id\":$PID,\"start\":\"2027-01-13T09:00:00\"}" \
    "{\"client_id\":$C2,\"practitioner_id\":$PID,\"start\":\"2027-01-13T09:00:00+01:00\",\"duration_min\":2000}" \
    "{\"client_id\":\"x\",\"practitioner_id\":$PID,\"start\":\"2027-01-13T09:00:00+01:00\"}" \
    "{\"client_id\":$C2,\"practitioner_id\":$PID,\"start\":\"2027-01-13T09:00:00+01:00\",\"colour\":1}"; do
    req recep POST /api/appointments "$body"
    [ "$STATUS" = 400 ] && [ "$(err_code)" = invalid ] && ok "bad body refused 400: $(jget "$T/body" 'd["error"]')" || not_ok "bad body $body ($STATUS)"
done
req recep POST /api/appointments "{\"client_id\":999999,\"practitioner_id\":$PID,\"start\":\"2027-01-13T09:00:00+01:00\"}"
expect_status 404 "an unknown client: 404"
req recep POST /api/appointments "{\"client_id\":$C2,\"practitioner_id\":1,\"start\":\"2027-01-13T09:00:00+01:00\"}"
[ "$STATUS" = 409 ] && [ "$(err_code)" = not_practitioner ] && ok "the admin is not bookable: 409 not_practitioner" || not_ok "not_practitioner ($STATUS)"

# ---- 20 parallel requests for one slot: exactly one 201 ----
: >"$T/race_clients"
for i in $(seq 1 20); do
    req recep POST /api/clients "{\"name\":\"Racer $i\",\"birth_date\":\"1990-01-01\"}"
    jid "$T/body" >>"$T/race_clients"
done
csrf=$(<"$T/csrf_recep")
pids=()
while read -r c; do
    curl -s -o /dev/null -w '%{http_code}\n' -b "$T/jar_recep" -H "X-CSRF-Token: $csrf" \
        -H 'Content-Type: application/json' \
        --data-binary "{\"client_id\":$c,\"practitioner_id\":$TRAINEE,\"start\":\"2027-02-02T11:00:00+01:00\",\"duration_min\":60}" \
        "$BASE/api/appointments" >>"$T/race_codes" &
    pids+=($!)
done <"$T/race_clients"
wait "${pids[@]}"
codes=$(sort "$T/race_codes" | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
[ "$codes" = "201x1 409x19 " ] && ok "20 parallel bookings of one slot: exactly one 201, 19 409" || not_ok "race: $codes"
req recep GET "/api/appointments?from=2027-02-02&to=2027-02-03&practitioner_id=$TRAINEE"
[ "$(jget "$T/body" 'len(d["appointments"])')" = 1 ] && ok "one appointment stored for the slot" || not_ok "race: stored $(jget "$T/body" 'len(d["appointments"])')"

# ---- the wall clock across daylight saving (Europe/Paris, 2027) ----
book() { # ISO client → STATUS, $T/body
    req recep POST /api/appointments "{\"client_id\":$2,\"practitioner_id\":$PID,\"start\":\"$1\",\"duration_min\":60}"
}
book 2027-03-26T09:00:00+01:00 "$C2"; expect_status 201 "Friday before the March change, 9:00 (+01:00)"
book 2027-03-29T09:00:00+02:00 "$C2"; expect_status 201 "Monday after it, 9:00 (+02:00)"
book 2027-03-29T07:30:00+01:00 "$CID"; [ "$STATUS" = 409 ] && [ "$(err_code)" = not_working ] &&
    ok "07:30+01:00 is 8:30 on the clock after the change: outside the hours" || not_ok "DST hours ($STATUS)"
book 2027-10-29T09:00:00+02:00 "$C2"; expect_status 201 "Friday before the October change, 9:00 (+02:00)"
book 2027-11-01T08:00:00Z "$C2"; expect_status 201 "Monday after it, 08:00Z is 9:00 (+01:00)"
# '+' unescaped in a query arrives as a space: read as '+'
req recep GET "/api/appointments?from=2027-03-26T00:00:00+01:00&to=2027-03-30&practitioner_id=$PID"
expect_status 200 "the book around the March change"
march=$(jget "$T/body" '[[a["start"],a["start_utc"]] for a in d["appointments"]]')
req recep GET "/api/appointments?from=2027-10-29&to=2027-11-02T00:00:00%2B01:00&practitioner_id=$PID"
expect_status 200 "the book around the October change"
october=$(jget "$T/body" '[[a["start"],a["start_utc"]] for a in d["appointments"]]')
[ "$march $october" = \
  '[["2027-03-26T09:00:00+01:00", "2027-03-26T08:00:00Z"], ["2027-03-29T09:00:00+02:00", "2027-03-29T07:00:00Z"]] [["2027-10-29T09:00:00+02:00", "2027-10-29T07:00:00Z"], ["2027-11-01T09:00:00+01:00", "2027-11-01T08:00:00Z"]]' ] &&
    ok "9:00 stays 9:00 on the wall clock; stored UTC moves by an hour" || not_ok "DST wall clock ($march $october)"
req recep GET "/api/appointments?from=2027-03-01&to=2027-11-01"
[ "$STATUS" = 400 ] && ok "a range over 62 days: 400" || not_ok "long range ($STATUS)"
req recep GET "/api/practitioners/$PID/free?from=2027-03-29&to=2027-03-30&duration_min=60&step_min=60"
expect_status 200 "free slots on the Monday after the change"
[ "$(jget "$T/body" '[s["start"] for s in d["slots"]][:2]')" = '["2027-03-29T10:00:00+02:00", "2027-03-29T11:00:00+02:00"]' ] &&
    [ "$(jget "$T/body" 'len(d["slots"])')" = 8 ] &&
    ok "free slots: 10:00..17:00 (+02:00), 9:00 taken" || not_ok "free slots ($(head -c 300 "$T/body"))"
req recep GET "/api/appointments?from=2027-03-26"
[ "$STATUS" = 400 ] && ok "a list without 'to': 400" || not_ok "list without to ($STATUS)"

# ---- move, cancel, statuses, notes ----
req recep POST "/api/appointments/$A1/move" '{"start":"2027-01-12T13:00:00+01:00"}'
expect_status 200 "move to 13:00"
[ "$(jget "$T/body" '[d["start"],d["sequence"],d["duration_min"]]')" = '["2027-01-12T13:00:00+01:00", 1, 75]' ] &&
    ok "moved: same length, sequence 1" || not_ok "move ($(head -c 300 "$T/body"))"
req recep POST /api/appointments "{\"client_id\":$C2,\"practitioner_id\":$PID,\"start\":\"2027-01-12T09:00:00+01:00\",\"duration_min\":60}"
expect_status 201 "the slot it left is free again"
req recep PATCH "/api/appointments/$A1" '{"notes":"prefers the window room"}'
[ "$STATUS" = 200 ] && [ "$(jget "$T/body" 'd["notes"]')" = "prefers the window room" ] && ok "notes" || not_ok "notes ($STATUS)"
req recep POST "/api/appointments/$A1/status" '{"status":"no_show"}'
[ "$STATUS" = 409 ] && [ "$(err_code)" = status ] && ok "no-show before it starts: 409" || not_ok "no-show early ($STATUS)"
req recep POST "/api/appointments/$A1/status" '{"status":"arrived"}'
[ "$STATUS" = 200 ] && [ "$(jget "$T/body" 'd["status"]')" = arrived ] && ok "arrived" || not_ok "arrived ($STATUS)"
req recep POST "/api/appointments/$A1/status" "{\"status\":\"in_treatment\",\"session_id\":$SID}"
[ "$STATUS" = 403 ] && ok "reception does not start treatments (403)" || not_ok "reception in_treatment ($STATUS)"
req pract POST "/api/appointments/$A1/status" "{\"status\":\"in_treatment\",\"session_id\":$SID}"
[ "$STATUS" = 200 ] && [ "$(jget "$T/body" 'd["session_id"]')" = "$SID" ] && ok "the session links to its appointment" || not_ok "in_treatment ($STATUS $(head -c 200 "$T/body"))"
req pract GET "/api/appointments?from=2027-01-12&to=2027-01-13&session_id=$SID"
[ "$(jget "$T/body" '[a["id"] for a in d["appointments"]]')" = "[$A1]" ] && ok "the appointment of a session" || not_ok "?session_id"
req recep POST "/api/appointments/$A1/cancel" '{"reason":"x"}'
[ "$STATUS" = 409 ] && ok "an appointment in treatment cannot be cancelled" || not_ok "cancel in treatment ($STATUS)"
req recep POST /api/appointments "{\"client_id\":$C2,\"practitioner_id\":$PID,\"start\":\"2027-01-14T09:00:00+01:00\"}"
A3=$(jid "$T/body")
req recep POST "/api/appointments/$A3/cancel" '{}'
[ "$STATUS" = 400 ] && ok "a cancel needs a reason" || not_ok "cancel without reason ($STATUS)"
req recep POST "/api/appointments/$A3/cancel" '{"reason":"the client is ill"}'
[ "$STATUS" = 200 ] && [ "$(jget "$T/body" '[d["status"],d["cancel_reason"],d["sequence"]]')" = '["cancelled", "the client is ill", 1]' ] &&
    ok "cancelled with its reason" || not_ok "cancel ($STATUS $(head -c 200 "$T/body"))"
req recep POST /api/appointments "{\"client_id\":$CID,\"practitioner_id\":$PID,\"start\":\"2027-01-14T09:00:00+01:00\"}"
expect_status 201 "a cancelled appointment frees its slot"
req recep GET /api/appointments/999999
expect_status 404 "an unknown appointment: 404"

# ---- a session started from its appointment: both written, or neither ----
req pract POST /api/clients '{"name":"Book Start","birth_date":"1991-03-03"}'
C4=$(jid "$T/body")
req pract POST "/api/clients/$C4/intakes" "$INTAKE_OILY"
req pract POST "/api/clients/$C4/consents" '{"agreed":["treatment","extraction","high_frequency","chemical_exfoliation"],"client_name":"Book Start"}'
CONS4=$(jid "$T/body")
req recep POST /api/appointments "{\"client_id\":$C4,\"practitioner_id\":$PID,\"start\":\"2027-01-18T09:00:00+01:00\"}"
A4=$(jid "$T/body")
req recep POST /api/appointments "{\"client_id\":$C4,\"practitioner_id\":$PID,\"start\":\"2027-01-19T09:00:00+01:00\"}"
A5=$(jid "$T/body")
req recep POST "/api/appointments/$A5/cancel" '{"reason":"moved to Monday"}'
req recep POST /api/appointments "{\"client_id\":$C2,\"practitioner_id\":$PID,\"start\":\"2027-01-21T09:00:00+01:00\"}"
A6=$(jid "$T/body")
n_sessions() { req pract GET "/api/clients/$1/sessions"; jget "$T/body" 'len(d["sessions"])'; }
req pract POST "/api/clients/$C4/sessions" "{\"consent_id\":$CONS4,\"appointment_id\":$A5}"
[ "$STATUS" = 409 ] && [ "$(err_code)" = status ] && ok "from a cancelled appointment: 409 status" || not_ok "cancelled appointment ($STATUS $(head -c 200 "$T/body"))"
[ "$(n_sessions "$C4")" = 0 ] && ok "... and no session was written" || not_ok "a session without its appointment"
req pract POST "/api/clients/$C4/sessions" "{\"consent_id\":$CONS4,\"appointment_id\":$A6}"
[ "$STATUS" = 409 ] && [ "$(err_code)" = other_client ] && ok "from another client's appointment: 409 other_client" || not_ok "other client's appointment ($STATUS $(head -c 200 "$T/body"))"
req pract POST "/api/clients/$C4/sessions" "{\"consent_id\":$CONS4,\"appointment_id\":999999}"
expect_status 404 "from an unknown appointment: 404"
[ "$(n_sessions "$C4")" = 0 ] && ok "still no session" || not_ok "a session after refused links"
req pract GET "/api/appointments/$A6"
[ "$(jget "$T/body" '[d["status"], d["session_id"]]')" = '["booked", null]' ] && ok "the other client's appointment is untouched" || not_ok "A6 changed: $(head -c 200 "$T/body")"
req pract POST "/api/clients/$C4/sessions" "{\"consent_id\":999999,\"appointment_id\":$A4}"
[ "$STATUS" = 409 ] && [ "$(err_code)" = consent_required ] && ok "the session refused (no such consent): 409" || not_ok "bad consent ($STATUS)"
req pract GET "/api/appointments/$A4"
[ "$(jget "$T/body" '[d["status"], d["session_id"]]')" = '["booked", null]' ] && ok "... and the appointment is still booked, unlinked" || not_ok "A4 after a refused session: $(head -c 200 "$T/body")"
req recep POST "/api/clients/$C4/sessions" "{\"consent_id\":$CONS4,\"appointment_id\":$A4}"
expect_status 403 "reception does not start sessions"
req pract POST "/api/clients/$C4/sessions" "{\"consent_id\":$CONS4,\"appointment_id\":$A4}"
expect_status 201 "the session starts from its appointment"
SID4=$(jid "$T/body")
req pract GET "/api/appointments/$A4"
[ "$(jget "$T/body" '[d["status"], d["session_id"]]')" = "[\"in_treatment\", $SID4]" ] && ok "the appointment is in treatment and links to the session, in the same request" || not_ok "A4 after the start: $(head -c 200 "$T/body")"
req admin GET "/api/audit?client_id=$C4"
contains "$T/body" '"session.start"' && contains "$T/body" '"appointment.in_treatment"' && ok "both audited" || not_ok "start audit"

# ---- absences (the admin sets schedules) ----
req recep POST "/api/practitioners/$PID/absences" '{"start":"2027-01-20T00:00:00+01:00","end":"2027-01-21T00:00:00+01:00","reason":"training"}'
expect_status 403 "reception does not set absences"
req admin POST "/api/practitioners/$PID/absences" '{"start":"2027-01-20T00:00:00+01:00","end":"2027-01-21T00:00:00+01:00","reason":"training"}'
expect_status 201 "admin records an absence"
AB=$(jid "$T/body")
book 2027-01-20T10:00:00+01:00 "$C2"
[ "$STATUS" = 409 ] && [ "$(err_code)" = absent ] && ok "409 absent" || not_ok "absent ($STATUS)"
req admin DELETE "/api/absences/$AB"
expect_status 200 "admin removes the absence"
book 2027-01-20T10:00:00+01:00 "$C2"; expect_status 201 "bookable again"
req admin PUT "/api/practitioners/$PID/hours" '{"hours":[{"weekday":6,"start":"10:00","end":"14:00"},{"weekday":1,"start":"09:00","end":"18:00"},{"weekday":2,"start":"09:00","end":"18:00"},{"weekday":3,"start":"09:00","end":"18:00"},{"weekday":4,"start":"09:00","end":"18:00"},{"weekday":5,"start":"09:00","end":"18:00"}]}'
expect_status 200 "admin adds Saturday mornings"
book 2027-01-16T10:00:00+01:00 "$C2"; expect_status 201 "now a Saturday is bookable"
req admin PUT "/api/practitioners/$PID/hours" '{"hours":[{"weekday":1,"start":"18:00","end":"09:00"}]}'
expect_status 400 "hours that end before they start: 400"

# ---- the pre-visit check: the plan on the appointment's date ----
# a client whose surgery today blocks a facial for 90 days (data/protocol.json, surgery_3_months)
today=$(date +%F)
monday_after() { local d; d=$(date -d "$today + $1 days" +%F); while [ "$(date -d "$d" +%u)" != 1 ]; do d=$(date -d "$d + 1 day" +%F); done; echo "$d"; }
soon=$(monday_after 14); later=$(monday_after 120)
req pract POST /api/clients '{"name":"Surgery Client","birth_date":"1975-05-05"}'
C3=$(jid "$T/body")
req pract POST "/api/clients/$C3/intakes" "{\"client\":{\"skin_type\":\"oily\",\"fitzpatrick\":3},\"recent_procedures\":[{\"kind\":\"surgery\",\"date\":\"$today\"}]}"
expect_status 201 "an intake with surgery today"
off() { date -d "$1 09:00" +%:z; }
req recep POST /api/appointments "{\"client_id\":$C3,\"practitioner_id\":$TRAINEE,\"start\":\"${soon}T09:00:00$(off "$soon")\"}"
expect_status 201 "booked in two weeks"
S1=$(jid "$T/body")
req recep POST /api/appointments "{\"client_id\":$C3,\"practitioner_id\":$TRAINEE,\"start\":\"${later}T09:00:00$(off "$later")\"}"
expect_status 201 "booked in four months"
S2=$(jid "$T/body")
req pract GET "/api/appointments/$S1/checks"
codes=$(jget "$T/body" '[c["code"] for c in d["checks"]]')
[ "$codes" = '["consent_missing", "plan_blocked", "photos_missing"]' ] && ok "in two weeks: plan blocked, consent and photos missing" || not_ok "checks soon: $codes"
req pract GET "/api/appointments/$S2/checks"
codes=$(jget "$T/body" '[c["code"] for c in d["checks"]]')
[ "$codes" = '["consent_missing", "photos_missing"]' ] && ok "in four months the surgery's window has closed: no block" || not_ok "checks later: $codes"
req recep GET "/api/appointments/$S1/checks"
codes=$(jget "$T/body" '[c["code"] for c in d["checks"]]')
[ "$codes" = '["consent_missing", "photos_missing"]' ] && ! contains "$T/body" urgery &&
    ok "reception's check says nothing clinical" || not_ok "reception checks: $codes"
req recep GET "/api/appointments?from=$soon&to=$(date -d "$soon + 1 day" +%F)&checks=1"
contains "$T/body" '"checks"' && ! contains "$T/body" plan_blocked && ok "the day view's checks for reception" || not_ok "day view checks (recep)"
req pract GET "/api/appointments?from=$soon&to=$(date -d "$soon + 1 day" +%F)&checks=1"
contains "$T/body" plan_blocked && ok "the day view's checks for the practitioner" || not_ok "day view checks (pract)"

# ---- the clinic's own appointment length (a setting; 75 min until set) ----
req recep GET /api/clinic/clock
[ "$(jget "$T/body" 'd["default_duration_min"]')" = 75 ] && ok "the clock tells the page the default length, 75" || not_ok "clock default: $(head -c 200 "$T/body")"
req recep PUT /api/settings/mail '{"default_duration_min":60}'
expect_status 403 "reception may not change the appointment length"
for bad in 4 481 '"60"'; do
    req admin PUT /api/settings/mail "{\"default_duration_min\":$bad}"
    expect_status 400 "appointment length $bad refused"
done
req admin PUT /api/settings/mail '{"default_duration_min":60}'
[ "$STATUS" = 200 ] && [ "$(jget "$T/body" 'd["default_duration_min"]')" = 60 ] && ok "the admin sets 60 minutes" || not_ok "set length ($STATUS $(head -c 200 "$T/body"))"
req recep POST /api/appointments "{\"client_id\":$C2,\"practitioner_id\":$PID,\"start\":\"2027-01-15T09:00:00+01:00\"}"
[ "$STATUS" = 201 ] && [ "$(jget "$T/body" '[d["duration_min"], d["end"]]')" = '[60, "2027-01-15T10:00:00+01:00"]' ] &&
    ok "a booking without a length takes the clinic's 60 minutes" || not_ok "booking with the clinic's length ($STATUS $(head -c 300 "$T/body"))"
req recep GET "/api/practitioners/$PID/free?from=2027-01-15&to=2027-01-16&step_min=60"
[ "$(jget "$T/body" 'd["duration_min"]')" = 60 ] && ok "free slots are of the clinic's length" || not_ok "free slots length: $(head -c 200 "$T/body")"
req recep GET /api/clinic/clock
[ "$(jget "$T/body" 'd["default_duration_min"]')" = 60 ] && ok "the clock tells the page the clinic's length" || not_ok "clock length"
req admin GET "/api/audit?limit=3"
contains "$T/body" 'appointment length' && ok "the change is audited (settings.update: appointment length)" || not_ok "length audit"

# ---- audit ----
req admin GET "/api/audit?client_id=$C2"
for a in appointment.create appointment.cancel; do
    contains "$T/body" "\"$a\"" && ok "audited: $a" || not_ok "audited: $a"
done
req admin GET "/api/audit?client_id=$CID"
for a in appointment.move appointment.arrived appointment.in_treatment appointment.notes; do
    contains "$T/body" "\"$a\"" && ok "audited: $a" || not_ok "audited: $a"
done

healthy && ok "server still healthy at the end" || not_ok "server still healthy at the end"
check "server stops cleanly on SIGTERM (exit 0, no sanitizer report)" stop_server TERM
done_testing
