#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Who reads and changes the medical history (issue 16.5, 16.7): reception gets a status view
# of the intake and consent (is it current?) and never their contents; only practitioners
# record intakes; an intake that drops an entry of the previous one (the pacemaker client's
# implant and condition) asks the practitioner to confirm each removal before the plan changes.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

demo_clinic

# ---- 16.5: reception sees the status, not the contents ----
for p in intakes intakes/latest intakes/1; do
    req recep GET "/api/clients/$CID/$p"
    expect_status 403 "reception may not read /api/clients/{id}/$p"
done
req recep GET "/api/clients/$CID/status"
expect_status 200 "reception reads the intake and consent status"
cp "$T/body" "$T/status"
[ "$(jget "$T/status" 'd["intake"]["on_file"]')" = true ] && [ "$(jget "$T/status" 'd["intake"]["current"]')" = true ] &&
    ok "the status says an intake is on file and was updated today" || not_ok "status: $(head -c 300 "$T/status")"
[ "$(jget "$T/status" 'd["consent"]["current"]')" = false ] &&
    ok "today's consent is used by the open session: not current for another" || not_ok "consent status: $(head -c 300 "$T/status")"
leaks=""
for w in skin_type fitzpatrick conditions medications allergies implants pregnant oily; do
    grep -q "$w" "$T/status" && leaks="$leaks $w"
done
[ -z "$leaks" ] && ok "the status view holds nothing of the intake's contents" || not_ok "the status view leaks:$leaks"
req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment"],"client_name":"Matrix Client"}'
req recep GET "/api/clients/$CID/status"
[ "$(jget "$T/body" 'd["consent"]["current"]')" = true ] && ok "a new consent for today shows as current" ||
    not_ok "a new consent for today shows as current: $(head -c 300 "$T/body")"
req pract GET "/api/clients/$CID/intakes"
expect_status 200 "the practitioner reads the intakes"
req admin GET "/api/audit?limit=500"
jget "$T/body" '[e["detail"] for e in d["entries"] if e["action"]=="access.denied"]' | grep -q "forbidden GET /api/clients/$CID/intakes" &&
    ok "reception's refused read is audited" || not_ok "reception's refused read is audited"

# ---- 16.7: only practitioners record intakes ----
req recep POST "/api/clients/$CID/intakes" '{"client":{"skin_type":"dry","fitzpatrick":2}}'
expect_status 403 "reception may not record an intake"
req admin POST "/api/clients/$CID/intakes" '{"client":{"skin_type":"dry","fitzpatrick":2}}'
expect_status 403 "an admin (not a practitioner) may not record one either"
req trainee POST "/api/clients/$CID/intakes" '{"client":{"skin_type":"oily","fitzpatrick":3}}'
expect_status 201 "any practitioner may (certifications are about steps)"

# ---- 16.7: dropping an entry needs a confirmation of each ----
req pract GET "/api/clients?q=Margaret"
MID=$(jget "$T/body" 'd["clients"][0]["id"]')
req pract GET "/api/clients/$MID/plan"
hf_before=$(jget "$T/body" '[s["action"] for s in d["plan"]["steps"] if s["step"]=="high_frequency"][0]')
[ "$hf_before" = skip ] && ok "the pacemaker client's plan skips high frequency" || not_ok "high frequency before: $hf_before"
req pract POST "/api/clients/$MID/intakes" '{"client":{"skin_type":"normal","fitzpatrick":2}}'
expect_status 409 "an intake with only skin type and Fitzpatrick is not taken as it is"
[ "$(err_code)" = confirm_removals ] && ok "... it asks to confirm the removals (confirm_removals)" || not_ok "code $(err_code)"
removals=$(jget "$T/body" 'sorted(x["list"]+":"+x["item"] for x in d["removals"])')
[ "$removals" = '["conditions:heart_condition", "implants:pacemaker"]' ] &&
    ok "each dropped entry is named: $removals" || not_ok "removals: $removals"
req pract POST "/api/clients/$MID/intakes" '{"client":{"skin_type":"normal","fitzpatrick":2},"confirm_removals":["implants:pacemaker"]}'
expect_status 409 "confirming one removal of two is not enough"
[ "$(jget "$T/body" '[x["item"] for x in d["removals"]]')" = '["heart_condition"]' ] &&
    ok "... the one left unconfirmed is named" || not_ok "left: $(head -c 300 "$T/body")"
req pract GET "/api/clients/$MID/plan"
[ "$(jget "$T/body" '[s["action"] for s in d["plan"]["steps"] if s["step"]=="high_frequency"][0]')" = skip ] &&
    [ "$(jget "$T/body" 'd["intake_version"]')" = 1 ] &&
    ok "the plan has not changed (still version 1, high frequency skipped)" || not_ok "plan changed: $(head -c 200 "$T/body")"
req pract POST "/api/clients/$MID/intakes" '{"client":{"skin_type":"normal","fitzpatrick":2},"implants":["pacemaker"],"conditions":["heart_condition","rosacea"]}'
expect_status 201 "an intake that keeps every entry (and adds one) needs no confirmation"
req pract POST "/api/clients/$MID/intakes" '{"client":{"skin_type":"normal","fitzpatrick":2},"confirm_removals":["implants:PACEMAKER","conditions:rosacea","conditions:heart_condition"]}'
expect_status 201 "with every removal confirmed the intake is recorded"
req pract GET "/api/clients/$MID/intakes/latest"
grep -q confirm_removals "$T/body" && not_ok "the confirmation is not stored in the intake" ||
    ok "the confirmation is not stored in the intake"
req pract GET "/api/clients/$MID/plan"
[ "$(jget "$T/body" '[s["action"] for s in d["plan"]["steps"] if s["step"]=="high_frequency"][0]')" != skip ] &&
    ok "only then does the plan change" || not_ok "plan after the confirmed removal: $(head -c 200 "$T/body")"

stop_server && ok "server stops cleanly" || not_ok "server stops cleanly"
done_testing
