#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The signed record must be true (issue 17) against the real server: a step done well before
# its time is marked ended early and needs a reason; recorded values outside the protocol's
# range or vocabulary are refused (422) unless a deviation reason is stated, which the record
# keeps; a step not done records no parameters; signing needs the password again (a wrong one
# counts toward the login throttle); amendments are marked late; an open session can be
# cancelled with a reason, and nothing changes after.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

demo_clinic

step_of() { jget "$T/body" "[s for s in d[\"steps\"] if s[\"step\"]==\"$1\"][0]$2"; }
rec() { # session step body
    req pract POST "/api/sessions/$1/steps/$2/record" "$3"
}
want() { # status/code description
    if [ "$STATUS/$(err_code)" = "$1" ]; then ok "$2: $1"; else not_ok "$2: got $STATUS/$(err_code), want $1 ($(head -c 300 "$T/body"))"; fi
}

# ---- ended early (17.2): a step done well before its time needs a reason ----
req pract POST "/api/sessions/$SID/steps/cleanse/start"
expect_status 200 "cleanse started"
rec "$SID" cleanse '{"outcome":"done","params":{"duration_min":10}}'
want 422/reason_required "cleanse recorded done seconds after its start (planned 10 min)"
jget "$T/body" 'd["error"]' | grep -q "early_reason" && ok "the message names early_reason" || not_ok "early_reason named: $(head -c 200 "$T/body")"
rec "$SID" steam '{"outcome":"done","params":{"duration_min":10}}'
want 422/reason_required "steam recorded done without ever being started"
jget "$T/body" 'd["error"]' | grep -q "never started" && ok "the message says it was never started" || not_ok "never started: $(head -c 200 "$T/body")"
rec "$SID" cleanse '{"outcome":"done","params":{"duration_min":10},"early_reason":"client asked to stop"}'
expect_status 200 "with the reason it is recorded"
[ "$(step_of cleanse '["record"]["ended_early"]')" = true ] && [ "$(step_of cleanse '["record"]["early_reason"]')" = "client asked to stop" ] &&
    ok "the record says ended_early with the reason" || not_ok "ended_early in the record: $(step_of cleanse '["record"]')"
[ "$(step_of cleanse '["record"]["elapsed_s"] < 300')" = true ] && ok "beside the server-measured elapsed_s" || not_ok "elapsed_s of the early step"
rec "$SID" finish '{"outcome":"done","params":{"spf":50}}'
expect_status 200 "an untimed step (finish) needs no reason"
[ "$(step_of finish '["record"]["ended_early"]')" = false ] && ok "and is not marked ended early" || not_ok "finish ended_early"

# ---- recorded values checked against the protocol (17.10) ----
rec "$SID" mask '{"outcome":"done","params":{"duration_min":600},"early_reason":"checking ranges"}'
want 422/out_of_range "mask 600 min where the protocol allows 5-20"
[ "$(jget "$T/body" '[d["deviations"][0][k] for k in ("field","min","max","value")]')" = '["params.duration_min", 5, 20, 600]' ] &&
    ok "the refusal names the field and the allowed range" || not_ok "deviation detail: $(head -c 300 "$T/body")"
jget "$T/body" 'd["error"]' | grep -q "5 to 20" && ok "the message says 5 to 20" || not_ok "message: $(jget "$T/body" 'd["error"]')"
rec "$SID" mask '{"outcome":"done","params":{"duration_min":"ten"},"early_reason":"checking ranges"}'
want 422/out_of_range "a duration that is not a number"
rec "$SID" mask '{"outcome":"done","params":{"type":"mud"},"early_reason":"checking ranges"}'
want 422/not_in_vocabulary "mask type mud, not one of the protocol's"
[ "$(jget "$T/body" 'd["deviations"][0]["allowed"]')" = '["clay", "charcoal", "sulfur", "salicylic", "calming"]' ] &&
    ok "the refusal lists the allowed values" || not_ok "allowed values: $(head -c 300 "$T/body")"
rec "$SID" mask '{"outcome":"done","params":{"n":1},"early_reason":"checking ranges"}'
want 422/not_in_vocabulary "a parameter the step does not have"
rec "$SID" mask '{"outcome":"done","params":{"duration_min":25,"type":"mud"},"early_reason":"client asked","deviation_reason":"client asked for the mud mask she brought"}'
expect_status 200 "with a deviation reason the values are recorded"
[ "$(step_of mask '["record"]["deviation_reason"]')" = "client asked for the mud mask she brought" ] &&
    [ "$(jget "$T/body" '[x["field"] for x in [s for s in d["steps"] if s["step"]=="mask"][0]["record"]["deviations"]]')" = '["params.duration_min", "params.type"]' ] &&
    ok "the record keeps the deviations and their reason" || not_ok "deviations kept: $(step_of mask '["record"]')"
# a step that ended early may be shorter than the protocol's minimum: the early reason says why
req pract POST "/api/sessions/$SID/steps/steam/start"
rec "$SID" steam '{"outcome":"done","params":{"duration_min":1},"early_reason":"client felt too hot"}'
expect_status 200 "an early end explains a duration under the minimum"
[ "$(step_of steam '["record"]["deviations"][0]["field"]')" = params.duration_min ] && ok "and the deviation is still on the record" || not_ok "steam deviation kept"

# ---- a step not done records no parameters (17.10): no tick, nothing to show ----
rec "$SID" high_frequency '{"outcome":"not_done","notes":"client declined","params":{"gas":"argon"}}'
expect_status 400 "not done with parameters is refused"
rec "$SID" high_frequency '{"outcome":"not_done","notes":"client declined"}'
expect_status 200 "not done, with a note"
[ "$(step_of high_frequency '["record"]["params"]')" = '{}' ] && [ "$(step_of high_frequency '["record"]["ended_early"]')" = false ] &&
    ok "the not-done record has no parameters and is not 'ended early'" || not_ok "not done record: $(step_of high_frequency '["record"]')"

# ---- a deliberate signature (17.2): the password again ----
for st in exfoliate extract; do
    rec "$SID" "$st" '{"outcome":"not_done","notes":"short visit"}'
done
req pract POST "/api/sessions/$SID/sign" '{}'
want 403/password_required "signing without the password"
req pract POST "/api/sessions/$SID/sign" '{"password":"not my password"}'
want 403/bad_credentials "signing with a wrong password"
req pract GET "/api/sessions/$SID"
[ "$(jget "$T/body" 'd["status"]')" = open ] && ok "nothing was signed" || not_ok "signed without the password"
req pract POST "/api/sessions/$SID/sign" "{\"password\":\"$DEMO_PW\"}"
expect_status 200 "signed with the practitioner's password"
[ "$(jget "$T/body" '[d["status"], d["signed_by"]["username"]]')" = '["signed", "demo"]' ] && ok "signed by demo" || not_ok "signed by: $(head -c 200 "$T/body")"
req admin GET "/api/audit?limit=50"
jget "$T/body" '[e["action"] for e in d["entries"]]' | grep -q '"signature.failed"' && ok "the wrong password is audited (signature.failed)" || not_ok "signature.failed audited"
# a wrong signature password counts toward the login throttle of the account and address
for i in 1 2 3 4 5; do req trainee POST "/api/sessions/$SID/sign" '{"password":"wrong guess"}'; done
want 403/bad_credentials "five wrong signature passwords (trainee)"
req trainee POST "/api/sessions/$SID/sign" '{"password":"wrong guess"}'
want 429/throttled "the sixth is throttled"
grep -qi '^Retry-After: [0-9]' "$T/headers" && ok "with Retry-After" || not_ok "Retry-After on the throttled signature"
st=$(curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json' --data "{\"username\":\"trainee\",\"password\":\"$DEMO_PW\"}" "$BASE/api/login")
[ "$st/$(err_code)" = 429/throttled ] && ok "and so is the trainee's login from this address" || not_ok "login after wrong signatures: $st $(err_code)"

# ---- late amendments (17.2) ----
req pract POST "/api/sessions/$SID/amendments" '{"text":"The mask was the client'"'"'s own mud mask."}'
expect_status 201 "an amendment to the signed session"
req pract GET "/api/sessions/$SID"
[ "$(jget "$T/body" '[d["amendments"][0]["late"], d["amendments"][0]["after_signing_s"] >= 0]')" = '[true, true]' ] &&
    ok "the amendment is marked late, with the time after signing" || not_ok "late amendment: $(jget "$T/body" 'd["amendments"]')"
req pract POST "/api/sessions/$SID/steps/finish/record" '{"outcome":"done"}'
want 409/immutable "nothing else attaches to a signed session"

# ---- cancel an open session with a reason (17.10) ----
req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment"],"client_name":"Matrix Client"}'
CON2=$(jid "$T/body")
req pract POST "/api/clients/$CID/sessions" "{\"consent_id\":$CON2}"
expect_status 201 "a second session starts"
SID2=$(jid "$T/body")
req recep POST "/api/sessions/$SID2/cancel" '{"reason":"client left early"}'
want 403/forbidden "reception may not cancel a session"
req pract POST "/api/sessions/$SID2/cancel" '{}'
want 422/reason_required "cancel without a reason"
req pract POST "/api/sessions/$SID2/cancel" '{"reason":"no"}'
want 422/reason_required "cancel with a two-letter reason"
req pract POST "/api/sessions/$SID2/cancel" '{"reason":"client felt unwell and went home"}'
expect_status 200 "cancelled with a reason"
[ "$(jget "$T/body" '[d["status"], d["cancel_reason"], d["cancelled_by"]["username"], d["cancelled_at"] is not None]')" = '["cancelled", "client felt unwell and went home", "demo", true]' ] &&
    ok "status cancelled, with the reason, who and when" || not_ok "cancelled session: $(head -c 300 "$T/body")"
req pract POST "/api/sessions/$SID2/steps/cleanse/start"
want 409/cancelled "a cancelled session's step cannot start"
rec "$SID2" cleanse '{"outcome":"not_done","notes":"went home"}'
want 409/cancelled "nor be recorded"
req pract POST "/api/sessions/$SID2/sign" "{\"password\":\"$DEMO_PW\"}"
want 409/cancelled "nor be signed"
req pract POST "/api/sessions/$SID2/cancel" '{"reason":"client felt unwell and went home"}'
want 409/cancelled "nor cancelled twice"
req pract POST "/api/sessions/$SID2/amendments" '{"text":"an afterthought"}'
want 409/cancelled "nor amended"
req pract POST "/api/sessions/$SID/cancel" '{"reason":"changed my mind about it"}'
want 409/immutable "a signed session cannot be cancelled"
req pract GET "/api/clients/$CID/sessions"
[ "$(jget "$T/body" '[s["status"] for s in d["sessions"] if s["id"]=='"$SID2"'][0]')" = cancelled ] && ok "the session list says cancelled" || not_ok "list status"
req admin GET "/api/audit?client_id=$CID&limit=100"
jget "$T/body" '[e["action"] for e in d["entries"]]' | grep -q '"session.cancel"' && ok "audited session.cancel" || not_ok "session.cancel audited"
# the client's export carries it all: early ends, deviations, the cancel reason
curl -s -o "$T/export.tar" -b "$T/jar_admin" "$BASE/api/clients/$CID/export"
$PY - "$T/export.tar" "$SID" "$SID2" >"$T/export.out" 2>&1 <<'EOF2'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
d = json.load(t.extractfile("client.json"))
by = {s["id"]: s for s in d["sessions"]}
one, two = by[int(sys.argv[2])], by[int(sys.argv[3])]
steps = {x["step"]: x for x in one["steps"]}
assert steps["cleanse"]["ended_early"] is True and steps["cleanse"]["early_reason"] == "client asked to stop", steps["cleanse"]
assert steps["mask"]["deviation_reason"] == "client asked for the mud mask she brought", steps["mask"]
assert [x["field"] for x in steps["mask"]["deviations"]] == ["params.duration_min", "params.type"]
assert two["cancel_reason"] == "client felt unwell and went home" and two["cancelled_at"], two
print("ok")
EOF2
[ "$(cat "$T/export.out")" = ok ] && ok "the client's export keeps early ends, deviations and the cancel reason" || not_ok "export: $(tail -3 "$T/export.out")"
if command -v sqlite3 >/dev/null; then
    dbq "UPDATE tsteps SET notes='x' WHERE session_id=$SID2" >/dev/null 2>"$T/sqlerr"
    contains "$T/sqlerr" "cancelled session is immutable" && ok "the database itself refuses to change a cancelled session" || not_ok "trigger on a cancelled session: $(cat "$T/sqlerr")"
else skip "sqlite3 CLI not installed"; fi

healthy && ok "server still healthy" || not_ok "server healthy"
check "server stops cleanly on SIGTERM (exit 0, no sanitizer report)" stop_server TERM
done_testing
