#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# A signed session takes no comparison (lib/clinic, pc_clinic_comparison_allowed / _add): a
# comparison is part of the session's record, and a signed record takes nothing more — as
# photos (409 immutable), nor a new analysis of its photos (pc_clinic_reanalysis_allowed). Comparing a signed visit's before photo with a later visit's photo is
# the later, open session's comparison (before_photo_id names the older photo); a cancelled
# session takes none either (409 cancelled). Both engines; real images made by `poreclear synth`.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

demo_clinic
"$PORECLEAR" synth -o "$T/before.png" --pair "$T/after.png" -W 400 -H 300 -s 7 \
    --pair-set dx=6 --pair-set dy=-4 --pair-set rotation=1 --pair-set scale=1 >/dev/null 2>&1
check "synth made the photos" test -s "$T/after.png"

# visit: a consent with photos and an open session of CID; VISIT gets its id
visit() {
    req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment","extraction","photos"],"client_name":"Matrix Client"}'
    local con; con=$(jid "$T/body")
    req pract POST "/api/clients/$CID/sessions" "{\"consent_id\":$con}"
    VISIT=$(jid "$T/body")
    [ "$STATUS" = 201 ]
}
sign() {
    local st
    for st in cleanse exfoliate steam extract mask high_frequency finish; do
        req pract POST "/api/sessions/$1/steps/$st/record" '{"outcome":"not_done","notes":"photos only"}'
    done
    req pract POST "/api/sessions/$1/sign" "{\"password\":\"$DEMO_PW\"}"
    [ "$STATUS" = 200 ]
}

# ---- the first visit: before and after photos, signed without a comparison ----
visit && ok "set-up: a visit with photos" || not_ok "set-up: a visit ($STATUS)"
S1=$VISIT
upload_png "$CID" "kind=before&session_id=$S1" "$T/before.png"
expect_status 202 "its before photo"
P1=$(jget "$T/body" 'd["photo"]["id"]')
J1=$(jget "$T/body" 'd["job"]["id"]')
upload_png "$CID" "kind=after&session_id=$S1" "$T/after.png"
expect_status 202 "its after photo"
P1A=$(jget "$T/body" 'd["photo"]["id"]')
[ "$(wait_job "$J1")" = done ] && ok "the before photo is analysed" || not_ok "the before photo's analysis"
sign "$S1" && ok "set-up: the visit is signed" || not_ok "set-up: signing ($STATUS $(head -c 200 "$T/body"))"

# ---- no comparison on it ----
req pract POST "/api/sessions/$S1/comparison" '{}'
[ "$STATUS/$(err_code)" = 409/immutable ] && ok "no comparison on a signed session: 409 immutable" ||
    not_ok "comparison on a signed session: $STATUS $(err_code)"
jget "$T/body" 'd["error"]' | grep -q "is signed: nothing more attaches to it; compare on the later visit" &&
    ok "the refusal says why and what to do instead" || not_ok "the refusal's message: $(head -c 200 "$T/body")"
req pract POST "/api/sessions/$S1/comparison" "{\"before_photo_id\":$P1,\"after_photo_id\":$P1A}"
[ "$STATUS/$(err_code)" = 409/immutable ] && ok "nor with its photos named: 409 immutable" ||
    not_ok "comparison on a signed session with photos named: $STATUS $(err_code)"
req pract GET "/api/sessions/$S1/comparison"
[ "$STATUS/$(err_code)" = 404/not_found ] && ok "nothing was queued for the signed session" ||
    not_ok "the signed session's comparison: $STATUS $(err_code)"
req recep POST "/api/sessions/$S1/comparison" '{}'
expect_status 403 "reception may not compare (the role first)"

# ---- nor a new analysis of its photos (the analysis is part of the record) ----
req pract GET "/api/clients/$CID/photos/$P1/analysis"
jget "$T/body" 'd["analysis"]' >"$T/analysis_signed"
req pract POST "/api/clients/$CID/photos/$P1/analysis" '{}'
[ "$STATUS/$(err_code)" = 409/immutable ] && ok "no new analysis of a signed session's photo: 409 immutable" ||
    not_ok "re-analysis of a signed session's photo: $STATUS $(err_code)"
jget "$T/body" 'd["error"]' | grep -q "keep the analysis it was signed with" &&
    ok "the refusal says why" || not_ok "the re-analysis refusal's message: $(head -c 200 "$T/body")"
req pract GET "/api/clients/$CID/photos/$P1/analysis"
jget "$T/body" 'd["analysis"]' | cmp -s - "$T/analysis_signed" && [ "$(jget "$T/body" 'd["photo"]["analysis_state"]')" = done ] &&
    ok "the signed photo's analysis is unchanged" || not_ok "the signed photo's analysis changed: $(head -c 200 "$T/body")"

# ---- the later visit compares the signed visit's before photo with its own ----
visit && ok "set-up: a later visit" || not_ok "set-up: a later visit ($STATUS)"
S2=$VISIT
upload_png "$CID" "kind=after&session_id=$S2" "$T/after.png"
expect_status 202 "the later visit's photo"
P2=$(jget "$T/body" 'd["photo"]["id"]')
J2=$(jget "$T/body" 'd["job"]["id"]')
req pract POST "/api/sessions/$S2/comparison" "{\"before_photo_id\":$P1}"
expect_status 202 "the later, open session compares the signed visit's before photo with its own"
[ "$(wait_job "$(jget "$T/body" 'd["job"]["id"]')")" = done ] && ok "that comparison is made" ||
    not_ok "that comparison is made: $(head -c 300 "$T/body")"
req pract GET "/api/sessions/$S2/comparison"
[ "$(jget "$T/body" '[d["session_id"], d["before_photo_id"], d["after_photo_id"]]')" = "[$S2, $P1, $P2]" ] &&
    ok "it belongs to the later session and names the signed visit's photo" ||
    not_ok "the later comparison: $(head -c 300 "$T/body")"
req pract GET "/api/sessions/$S1/comparison"
expect_status 404 "the signed session gained nothing"
[ "$(dbq "SELECT count(*) FROM comparisons WHERE session_id = $S1")" = 0 ] &&
    ok "no comparison row names the signed session" || not_ok "comparison rows of the signed session"

# ---- a cancelled session takes none either ----
visit && ok "set-up: a visit to cancel" || not_ok "set-up: a visit to cancel ($STATUS)"
S3=$VISIT
upload_png "$CID" "kind=before&session_id=$S3" "$T/before.png"
expect_status 202 "its before photo"
req pract POST "/api/sessions/$S3/cancel" '{"reason":"client felt unwell and went home"}'
expect_status 200 "the visit is cancelled"
req pract POST "/api/sessions/$S3/comparison" "{\"after_photo_id\":$P2}"
[ "$STATUS/$(err_code)" = 409/cancelled ] && ok "no comparison on a cancelled session: 409 cancelled" ||
    not_ok "comparison on a cancelled session: $STATUS $(err_code)"
# an open visit's photo may be analysed again
wait_job "$J2" >/dev/null
req pract POST "/api/clients/$CID/photos/$P2/analysis" '{}'
expect_status 202 "an open visit's analysed photo may be analysed again"

req admin GET "/api/audit?client_id=$CID&limit=200"
[ "$(jget "$T/body" 'sum(1 for e in d["entries"] if e["action"] == "comparison.create")')" = 1 ] &&
    ok "one comparison.create in the audit log: the later visit's" || not_ok "comparison.create entries"
healthy && ok "server healthy" || not_ok "server healthy"
stop_server && ok "server stops cleanly" || not_ok "server stops cleanly"
done_testing
