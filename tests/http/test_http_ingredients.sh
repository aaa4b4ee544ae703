#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The ingredient checker over HTTP (issue 17.4): an empty label is refused on both routes; a label
# the knowledge base only partly recognises is never called clean (summary.verdict
# "incomplete"); a check made for a client crosses the label with the allergies the client's
# latest intake records (salicylate <-> aspirin from the protocol, ingredient names from the
# knowledge base), reception may not make it, and a saved product keeps the crossing.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

demo_clinic

# ---- empty input ----
for path in /api/ingredients/check "/api/clients/$CID/ingredients/check"; do
    for body in '{"label":""}' '{"label":"  , ;  "}' '{}'; do
        req pract POST "$path" "$body"
        [ "$STATUS" = 400 ] && [ "$(err_code)" = invalid ] && ok "$path $body: 400 invalid" ||
            not_ok "$path $body: 400 invalid (got $STATUS $(head -c 160 "$T/body"))"
    done
done

# ---- never clean while part of the label is unknown ----
req pract POST /api/ingredients/check '{"label":"Xqzzy Blorp, Flumbo Wax"}'
expect_status 200 "gibberish is checked"
[ "$(jget "$T/body" 'd["summary"]["verdict"]')" = incomplete ] && [ "$(jget "$T/body" 'd["summary"]["complete"]')" = false ] &&
    ok "gibberish: verdict incomplete, not complete" || not_ok "gibberish: verdict incomplete ($(jget "$T/body" 'd["summary"]'))"
req pract POST /api/ingredients/check '{"label":"Aqua, Glycerin, Xqzzy Blorp"}'
[ "$(jget "$T/body" 'd["summary"]["verdict"]')" = incomplete ] && ok "partly unknown label: incomplete" || not_ok "partly unknown label: incomplete"
req pract POST /api/ingredients/check '{"label":"Aqua, Glycerin"}'
[ "$(jget "$T/body" 'd["summary"]["verdict"]')" = none_flagged ] && [ "$(jget "$T/body" 'd["summary"]["complete"]')" = true ] &&
    ok "fully known label without a flag: none_flagged" || not_ok "fully known label without a flag: none_flagged"
req pract POST /api/ingredients/check '{"label":"Aqua, Isopropyl Myristate, Xqzzy Blorp"}'
[ "$(jget "$T/body" 'd["summary"]["verdict"]')" = flagged ] && ok "a flag wins over unknown parts: flagged" || not_ok "a flag wins: flagged"
[ "$(jget "$T/body" '"allergy_check" in d')" = false ] && ok "the plain check says nothing about allergies" || not_ok "the plain check has no allergy_check"

# ---- a client with an aspirin allergy ----
req pract POST /api/clients '{"name":"Asa Allergic","birth_date":"1985-02-03"}'
ACID=$(jid "$T/body")
req pract POST "/api/clients/$ACID/intakes" '{"client":{"skin_type":"oily","fitzpatrick":2},"allergies":["Aspirin","lanolin","penicillin"]}'
expect_status 201 "intake with an aspirin allergy"
LBL='Aqua, Salicylic Acid, Glycerin, Octisalate, Homosalate, Lanolin, Niacinamide'
req pract POST "/api/clients/$ACID/ingredients/check" "{\"label\":\"$LBL\"}"
expect_status 200 "check for the allergic client"
cp "$T/body" "$T/allergic.json"
[ "$(jget "$T/allergic.json" 'd["allergy_check"]["conflicts"]')" = 4 ] && ok "four ingredients conflict (3 salicylates, lanolin)" ||
    not_ok "four ingredients conflict ($(jget "$T/allergic.json" 'd["allergy_check"]'))"
[ "$(jget "$T/allergic.json" '[c["label"] for c in d["allergy_check"]["allergies"][0]["conflicts"]]')" = '["Salicylic Acid", "Octisalate", "Homosalate"]' ] &&
    ok "aspirin -> salicylate: Salicylic Acid, Octisalate (an ester), Homosalate" ||
    not_ok "aspirin -> salicylate conflicts ($(jget "$T/allergic.json" 'd["allergy_check"]["allergies"][0]'))"
[ "$(jget "$T/allergic.json" 'd["allergy_check"]["allergies"][0]["class"]')" = salicylate ] &&
    [ "$(jget "$T/allergic.json" 'd["allergy_check"]["allergies"][0]["source"]')" != None ] &&
    ok "the allergy is the protocol's salicylate class, with its source" || not_ok "salicylate class with a source"
[ "$(jget "$T/allergic.json" 'd["allergy_check"]["allergies"][1]["how"]')" = ingredient ] &&
    [ "$(jget "$T/allergic.json" '[c["label"] for c in d["allergy_check"]["allergies"][1]["conflicts"]]')" = '["Lanolin"]' ] &&
    ok "an allergy the protocol does not know but the knowledge base does (lanolin) is crossed by name" || not_ok "lanolin crossed ($(jget "$T/allergic.json" 'd["allergy_check"]["allergies"][1]'))"
[ "$(jget "$T/allergic.json" 'd["allergy_check"]["allergies"][2]["how"]')" = name ] && [ "$(jget "$T/allergic.json" 'd["allergy_check"]["unchecked"]')" = 1 ] &&
    ok "penicillin: not an ingredient name, counted unchecked" || not_ok "penicillin unchecked"
[ "$(jget "$T/allergic.json" 'd["allergy_check"]["intake_version"]')" = 1 ] && ok "the crossing names the intake version" || not_ok "intake version named"
req pract POST "/api/clients/$ACID/ingredients/check" '{"label":"Aqua, Glycerin, Niacinamide"}'
[ "$(jget "$T/body" 'd["allergy_check"]["conflicts"]')" = 0 ] && ok "a label without salicylates: no conflict" || not_ok "no conflict"

# reception may check a label, but not against a client's medical history
req recep POST "/api/clients/$ACID/ingredients/check" "{\"label\":\"$LBL\"}"
expect_status 403 "reception cannot cross a label with a client's allergies"
req recep POST /api/ingredients/check "{\"label\":\"$LBL\"}"
expect_status 200 "reception can still check a label"

# a client without an intake: said, not silent
req pract POST /api/clients '{"name":"No Intake","birth_date":"1990-01-01"}'
NCID=$(jid "$T/body")
req pract POST "/api/clients/$NCID/ingredients/check" '{"label":"Aqua, Salicylic Acid"}'
expect_status 200 "check for a client with no intake"
[ "$(jget "$T/body" 'd["allergy_check"]["intake_version"]')" = null ] && ok "no intake: allergy_check says so (intake_version null)" || not_ok "no intake: intake_version null"
req pract POST /api/clients/999999/ingredients/check '{"label":"Aqua"}'
expect_status 404 "unknown client: 404"

# a product saved for the allergic client keeps the crossing in its report
req pract POST "/api/clients/$ACID/products" "{\"name\":\"Sun fluid\",\"label\":\"$LBL\",\"decision\":\"replace\",\"reason\":\"aspirin allergy\"}"
expect_status 201 "product saved"
[ "$(jget "$T/body" 'd["report"]["allergy_check"]["conflicts"]')" = 4 ] && ok "the saved report keeps the allergy crossing" || not_ok "saved report keeps allergy_check"

healthy && ok "server healthy" || not_ok "server healthy"
stop_server
done_testing
