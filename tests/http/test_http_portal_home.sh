#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The client's side at home over HTTP (issue 12, items 4-6), on the real server and both
# engines: the aftercare of the latest signed session with its "done today" ticks (today and
# yesterday only, never before the routine starts) and the adherence the practitioner reads in
# words; the private calendar address (read back with python3-icalendar, stored hashed, replaced,
# revoked by the client and by the staff); photos and a before/after comparison shared with the
# client and revoked; the client's shelf checked against the ingredient knowledge base and read
# by the practitioner; another client's records refused; bad bodies refused; every act audited.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

SYS_PY=/usr/bin/python3
demo_clinic

# ---- set-up: a client with photos, a comparison and a signed session; a second client ----
"$PORECLEAR" synth -o "$T/before.png" --pair "$T/after.png" -W 400 -H 300 -s 7 \
    --pair-set dx=6 --pair-set dy=-4 --pair-set rotation=1 --pair-set scale=1 >/dev/null 2>&1
req pract POST /api/clients '{"name":"Home Client","birth_date":"1990-04-05"}'
C1=$(jid "$T/body")
req pract POST /api/clients '{"name":"Other Client","birth_date":"1970-01-02"}'
C2=$(jid "$T/body")
req pract POST "/api/clients/$C1/intakes" '{"client":{"skin_type":"oily","fitzpatrick":3}}'
req pract POST "/api/clients/$C1/consents" '{"agreed":["treatment","extraction","high_frequency","chemical_exfoliation","photos"],"client_name":"Home Client"}'
CONSENT=$(jid "$T/body")
req pract POST "/api/clients/$C1/sessions" "{\"consent_id\":$CONSENT,\"implement_set\":\"tray 2\"}"
expect_status 201 "set-up: a session for the client"
S1=$(jid "$T/body")
upload_png "$C1" "kind=before&session_id=$S1" "$T/before.png"
P1=$(jget "$T/body" 'd["photo"]["id"]')
upload_png "$C1" "kind=after&session_id=$S1" "$T/after.png"
P2=$(jget "$T/body" 'd["photo"]["id"]')
req pract POST "/api/sessions/$S1/comparison" '{}'
CJ=$(jget "$T/body" 'd["job"]["id"]')
[ "$(wait_job "$CJ")" = done ] && ok "set-up: two photos and their comparison" || not_ok "set-up: the comparison ($(head -c 200 "$T/body"))"
req pract GET "/api/sessions/$S1/comparison"
CMP=$(jget "$T/body" 'd["id"]')
[ -n "$CMP" ] && ok "the comparison names its id (what a share names)" || not_ok "the comparison names its id: $(head -c 120 "$T/body")"

# the portal before any signed session: no aftercare yet
portal_invite pract "$C1" && portal_accept cli "$PORTAL_TOKEN" && portal_invite pract "$C2" &&
    portal_accept cli2 "$PORTAL_TOKEN" && ok "both clients accept their invitations" ||
    not_ok "both clients accept their invitations"
req cli GET /api/portal/aftercare
[ "$STATUS/$(err_code)" = 404/no_aftercare ] && ok "no aftercare before a signed session: 404 no_aftercare" ||
    not_ok "no aftercare before a signed session ($STATUS $(err_code))"

req pract GET "/api/sessions/$S1"
for step in $(jget "$T/body" '" ".join(s["step"] for s in d["steps"] if s["action"]!="skip" and not s["record"])'); do
    params='{"duration_min":7}'
    [ "$step" = finish ] && params='{"spf":30}'
    req pract POST "/api/sessions/$S1/steps/$step/record" "{\"outcome\":\"done\",\"params\":$params,\"early_reason\":\"recorded at once by the test\"}"
    [ "$STATUS" = 200 ] || not_ok "record $step ($STATUS $(head -c 200 "$T/body"))"
done
req pract POST "/api/sessions/$S1/sign" "{\"password\":\"$DEMO_PW\"}"
expect_status 200 "set-up: the session is signed"

# ---- aftercare at home ----
req cli GET /api/portal/aftercare
expect_status 200 "the client reads their aftercare"
TODAY=$(jget "$T/body" 'd["today"]')
YESTERDAY=$(date -d "$TODAY - 1 day" +%F)
BEFORE=$(date -d "$TODAY - 2 days" +%F)
TOMORROW=$(date -d "$TODAY + 1 day" +%F)
[ "$(jget "$T/body" 'd["aftercare"]["visit_date"] == d["today"] and len(d["aftercare"]["avoid"]) >= 5 and d["aftercare"]["rebook"]["date"] > d["today"]')" = true ] &&
    ok "the aftercare: visit today, what to avoid with dates, the rebooking date" || not_ok "the aftercare's content: $(head -c 300 "$T/body")"
[ "$(jget "$T/body" 'd["ticks"]["evening"]["from"] == d["today"] and d["ticks"]["morning"]["from"] > d["today"] and not d["ticks"]["evening"]["today"]')" = true ] &&
    ok "the evening routine starts today, the morning one tomorrow, nothing ticked" || not_ok "the ticks' state: $(jget "$T/body" 'd["ticks"]')"
req cli2 GET /api/portal/aftercare
[ "$STATUS" = 404 ] && ok "the other client has no aftercare (theirs only)" || not_ok "the other client's aftercare ($STATUS)"
req pract GET /api/portal/aftercare
[ "$STATUS/$(err_code)" = 403/staff_session ] && ok "a staff session on a portal route: 403 staff_session" || not_ok "a staff session on a portal route ($STATUS $(err_code))"
req anon GET /api/portal/aftercare
expect_status 401 "no session: 401"

while read -r day part want code what; do
    req cli POST /api/portal/aftercare/ticks "{\"day\":\"$day\",\"part\":\"$part\"}"
    if [ "$STATUS" = "$want" ] && { [ "$code" = - ] || [ "$(err_code)" = "$code" ]; }; then ok "tick: $what"
    else not_ok "tick: $what (got $STATUS $(err_code), want $want $code)"; fi
done <<EOF
$TODAY evening 200 - this evening: done today
$TODAY evening 200 - this evening again: still one tick
$TODAY morning 409 not_started this morning: the morning routine starts tomorrow
$YESTERDAY evening 409 not_started yesterday evening: before the visit
$BEFORE evening 409 too_late two days ago: only today and yesterday
$TOMORROW evening 409 future tomorrow: not yet
EOF
while read -r body what; do
    req cli POST /api/portal/aftercare/ticks "$body"
    [ "$STATUS" = 400 ] && ok "a bad tick body is refused: $what" || not_ok "a bad tick body: $what ($STATUS)"
done <<'EOF'
{"day":"2026-02-30","part":"evening"} an impossible date
{"day":"today","part":"evening"} not a date
{"day":"2026-12-04","part":"noon"} an unknown part
{"day":"2026-12-04","part":"evening","done":"yes"} done not a boolean
{"day":"2026-12-04","part":"evening","score":10} an unknown member
[1,2] not-an-object
EOF
req cli POST /api/portal/aftercare/ticks
[ "$STATUS" = 400 ] && ok "a tick without a body: 400" || not_ok "a tick without a body ($STATUS)"

# the practitioner's view: what was ticked, in words
req pract GET "/api/clients/$C1/adherence"
expect_status 200 "the practitioner reads the adherence"
[ "$(jget "$T/body" 'd["parts"]["evening"]["ticked"] == 1 and d["parts"]["evening"]["days"] == 1 and d["ticks_recorded"] == 1')" = true ] &&
    ok "evening: ticked on 1 of 1 day (today, once ticked)" || not_ok "the adherence's counts: $(head -c 300 "$T/body")"
jget "$T/body" 'd["parts"]["evening"]["sentence"]' | grep -Eq '^Evening routine ticked on 1 of 1 day since [0-9]+ [A-Z][a-z]{2}\.$' &&
    ok "said in words: $(jget "$T/body" 'd["parts"]["evening"]["sentence"]')" || not_ok "the sentence: $(jget "$T/body" 'd["parts"]["evening"]["sentence"]')"
jget "$T/body" 'd["summary"]' | grep -Eqi '%|score|missed|fail|poor' && not_ok "the summary judges: $(jget "$T/body" 'd["summary"]')" ||
    ok "the summary is no score and no judgement"
req recep GET "/api/clients/$C1/adherence"
expect_status 403 "reception does not read the adherence"
req pract GET "/api/clients/$C2/adherence"
[ "$STATUS/$(err_code)" = 404/no_aftercare ] && ok "a client without a signed session: 404 no_aftercare" || not_ok "adherence without a session ($STATUS)"
req cli POST /api/portal/aftercare/ticks "{\"day\":\"$TODAY\",\"part\":\"evening\",\"done\":false}"
expect_status 200 "the client takes the tick back"
req pract GET "/api/clients/$C1/adherence"
jget "$T/body" 'd["summary"]' | grep -q '^No routine ticks recorded since the visit' &&
    ok "no tick at all: '$(jget "$T/body" 'd["summary"]')'" || not_ok "no tick at all: $(jget "$T/body" 'd["summary"]')"
req cli POST /api/portal/aftercare/ticks "{\"day\":\"$TODAY\",\"part\":\"evening\"}"
[ "$(dbq "SELECT count(*) FROM audit WHERE client_id = $C1 AND action IN ('care.tick', 'care.untick') AND user_id IS NULL")" = 4 ] &&
    ok "ticks audited as the client's (no user): 4" || not_ok "ticks audited: $(dbq "SELECT action, user_id FROM audit WHERE action LIKE 'care.%'")"

# ---- the calendar: a file, and a private address ----
req cli GET /api/portal/aftercare.ics
[ "$STATUS" = 200 ] && grep -qi '^Content-Type: text/calendar' "$T/headers" && grep -q 'BEGIN:VCALENDAR' "$T/body" &&
    ok "the aftercare's calendar file" || not_ok "the aftercare's calendar file ($STATUS)"
req cli POST /api/portal/aftercare/feed
expect_status 201 "the client makes a private calendar address"
URL1=$(jget "$T/body" 'd["url"]')
TOK1=$(basename "$URL1" .ics)
[[ $URL1 =~ ^/api/care/[0-9a-f]{32}\.ics$ ]] && ok "its address: /api/care/<32 hex>.ics" || not_ok "the address: $URL1"
curl -s -o "$T/feed.ics" -D "$T/feed.h" "$BASE$URL1"
if $SYS_PY - "$T/feed.ics" "$TODAY" >"$T/ical.out" 2>&1 <<'PY'
import sys
from icalendar import Calendar
cal = Calendar.from_ical(open(sys.argv[1], "rb").read())
ev = [c for c in cal.walk("VEVENT")]
summaries = " | ".join(str(e.get("summary")) for e in ev)
assert any("Evening" in str(e.get("summary")) and e.get("rrule") for e in ev), summaries
assert any("facial due" in str(e.get("summary")) for e in ev), summaries  # the rebooking event
print(len(ev), "events:", summaries[:200])
PY
then ok "read without login by a calendar application: $(head -c 120 "$T/ical.out")"
else not_ok "the calendar address's content"; sed 's/^/# /' "$T/ical.out" | head -5; fi
[ "$(dbq "SELECT count(*) FROM care_feeds WHERE client_id = $C1")" = 1 ] &&
    ! dbq "SELECT * FROM care_feeds" | grep -qi "$TOK1" && ok "one address stored, as a hash (the token in no column)" ||
    not_ok "the address is stored hashed"
req pract GET "/api/clients/$C1/care-feed"
[ "$(jget "$T/body" 'd["active"]')" = true ] && ! grep -q "$TOK1" "$T/body" && ok "the staff see that it exists, never the address" ||
    not_ok "the staff's view of the address: $(head -c 200 "$T/body")"
req cli POST /api/portal/aftercare/feed
TOK2=$(basename "$(jget "$T/body" 'd["url"]')" .ics)
for t in "$TOK1:404:the replaced address" "$TOK2:200:the new address" "0123:404:a malformed address" "../etc/passwd:404:a path"; do
    st=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/care/${t%%:*}.ics")
    want=${t#*:}; want=${want%%:*}
    [ "$st" = "$want" ] && ok "${t##*:}: $want" || not_ok "${t##*:}: got $st, want $want"
done
req recep DELETE "/api/clients/$C1/care-feed"
expect_status 200 "reception revokes the client's address (a lost phone)"
st=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/care/$TOK2.ics")
[ "$st" = 404 ] && ok "a revoked address answers 404" || not_ok "a revoked address ($st)"
req cli DELETE /api/portal/aftercare/feed
[ "$STATUS/$(err_code)" = 404/no_feed ] && ok "nothing left to revoke: 404 no_feed" || not_ok "revoking twice ($STATUS $(err_code))"
req cli POST /api/portal/aftercare/feed
req cli DELETE /api/portal/aftercare/feed
expect_status 200 "the client revokes their own address"
[ "$(dbq "SELECT count(*) FROM audit WHERE client_id = $C1 AND action IN ('care_feed.create', 'care_feed.revoke')")" = 5 ] &&
    ok "addresses made and revoked are audited (5)" || not_ok "address audit: $(dbq "SELECT action FROM audit WHERE action LIKE 'care_feed%'")"

# ---- progress: shared photos and comparisons ----
req cli GET /api/portal/progress
[ "$STATUS" = 200 ] && [ "$(jget "$T/body" 'len(d["shared"])')" = 0 ] && ok "nothing shared yet" || not_ok "progress before sharing ($STATUS)"
req recep POST "/api/clients/$C1/shares" "{\"kind\":\"photo\",\"id\":$P1}"
expect_status 403 "reception does not share photos"
req pract POST "/api/clients/$C1/shares" "{\"kind\":\"photo\",\"id\":$P1}"
expect_status 201 "the practitioner shares the before photo"
SH1=$(jid "$T/body")
req pract POST "/api/clients/$C1/shares" "{\"kind\":\"photo\",\"id\":$P1}"
[ "$STATUS" = 200 ] && [ "$(jid "$T/body")" = "$SH1" ] && ok "sharing it again: 200, the same share" || not_ok "sharing again ($STATUS)"
req pract POST "/api/clients/$C1/shares" "{\"kind\":\"comparison\",\"id\":$CMP}"
expect_status 201 "the practitioner shares the comparison"
SH2=$(jid "$T/body")
req pract POST "/api/clients/$C2/shares" "{\"kind\":\"photo\",\"id\":$P1}"
[ "$STATUS/$(err_code)" = 404/not_found ] && ok "a photo shared as another client's: 404" || not_ok "another client's photo ($STATUS)"
for b in '{"kind":"video","id":1}' '{"kind":"photo","id":0}' '{"kind":"photo"}' '{"kind":"photo","id":1,"to":"all"}'; do
    req pract POST "/api/clients/$C1/shares" "$b"
    [ "$STATUS" = 400 ] && ok "a bad share body: 400 ($b)" || not_ok "a bad share body $b ($STATUS)"
done
req cli GET /api/portal/progress
[ "$(jget "$T/body" '[s["kind"] for s in d["shared"]]')" = '["comparison", "photo"]' ] &&
    ok "the client sees the comparison and the photo, newest first" || not_ok "progress: $(head -c 300 "$T/body")"
[ "$(jget "$T/body" 'sorted(d["shared"][0]["comparison"]["benefits"]) == ["absorption", "clarity", "comedones", "pores"] and all("noise" in b and "verdict" in b for b in d["shared"][0]["comparison"]["benefits"].values())')" = true ] &&
    ok "the four benefits, each with its noise and verdict" || not_ok "the benefits: $(jget "$T/body" 'd["shared"][0]')"
for u in "/api/portal/shares/$SH1/image:image/png" "/api/portal/shares/$SH2/image:image/png" "/api/portal/shares/$SH2/chart.svg:image/svg+xml"; do
    req cli GET "${u%%:*}"
    [ "$STATUS" = 200 ] && grep -qi "^Content-Type: ${u#*:}" "$T/headers" && grep -qi '^Cache-Control: private, no-store' "$T/headers" &&
        ok "the client opens ${u%%:*} (private)" || not_ok "the client opens ${u%%:*} ($STATUS)"
done
req cli2 GET "/api/portal/shares/$SH1/image"
[ "$STATUS/$(err_code)" = 403/not_yours ] && ok "another client's share: 403 not_yours" || not_ok "another client's share ($STATUS $(err_code))"
req cli2 GET /api/portal/progress
[ "$(jget "$T/body" 'len(d["shared"])')" = 0 ] && ok "the other client sees nothing of it" || not_ok "the other client's progress"
req pract DELETE "/api/clients/$C1/shares/$SH1"
expect_status 200 "the practitioner stops sharing the photo"
req pract DELETE "/api/clients/$C1/shares/$SH1"
[ "$STATUS/$(err_code)" = 409/revoked ] && ok "stopping twice: 409 revoked" || not_ok "stopping twice ($STATUS)"
req pract DELETE "/api/clients/$C2/shares/$SH2"
expect_status 404 "a share under another client's address: 404"
req cli GET "/api/portal/shares/$SH1/image"
expect_status 404 "a revoked share is gone for the client"
req cli GET /api/portal/progress
[ "$(jget "$T/body" '[s["kind"] for s in d["shared"]]')" = '["comparison"]' ] && ok "progress keeps the comparison only" || not_ok "progress after revoking"
req pract GET "/api/clients/$C1/shares"
[ "$(jget "$T/body" '[s["revoked_at"] is not None for s in d["shares"]]')" = '[false, true]' ] &&
    ok "the clinic's list keeps the revoked share, marked" || not_ok "the clinic's share list: $(head -c 300 "$T/body")"
[ "$(dbq "SELECT count(*) FROM audit WHERE client_id = $C1 AND action IN ('share.create', 'share.revoke')")" = 3 ] &&
    ok "shares audited (2 made, 1 revoked)" || not_ok "share audit"

# ---- my products ----
req cli POST /api/portal/shelf '{"name":"Night cream","label":"Aqua (Water), Isopropyl Myristate, Glycerin"}'
expect_status 201 "the client checks a label and keeps it on the shelf"
SI=$(jid "$T/body")
jget "$T/body" 'd["plain"]' | grep -q 'Isopropyl Myristate (5 of 5)' && [ "$(jget "$T/body" 'd["flagged"]')" -ge 1 ] &&
    ok "in plain words: $(jget "$T/body" 'd["plain"]' | cut -c1-110)…" || not_ok "the plain words: $(jget "$T/body" 'd["plain"]')"
req cli POST /api/portal/shelf '{"name":"Gel","label":"Aqua, Glycerin","save":false}'
[ "$STATUS" = 200 ] && [ "$(jget "$T/body" 'd["id"]')" = 0 ] && ok "a check without keeping it: 200, nothing kept" || not_ok "check only ($STATUS)"
req pract POST "/api/clients/$C1/products" '{"name":"Clinic Wash","decision":"keep","label":"Aqua, Sodium Laureth Sulfate","rinse_off":true}'
PR=$(jid "$T/body")
req cli GET /api/portal/products
[ "$(jget "$T/body" '[p["name"] for p in d["products"]]')" = '["Clinic Wash"]' ] && ok "the client sees the products the clinic checked" || not_ok "the clinic's products"
req cli POST /api/portal/shelf "{\"product_id\":$PR}"
[ "$STATUS" = 201 ] && [ "$(jget "$T/body" 'd["name"]')" = "Clinic Wash" ] && [ "$(jget "$T/body" 'd["rinse_off"]')" = true ] &&
    ok "a product the clinic checked, picked onto the shelf" || not_ok "picking the clinic's product ($STATUS)"
req cli2 POST /api/portal/shelf "{\"product_id\":$PR}"
expect_status 404 "another client's checked product: 404"
while read -r body want what; do
    req cli POST /api/portal/shelf "$body"
    expect_status "$want" "the shelf refuses $what"
done <<'EOF'
{"name":"","label":"Aqua"} 400 an empty name
{"name":"X","label":",,;"} 400 a label without an ingredient
{"name":"X"} 400 a missing label
{"product_id":1,"name":"X"} 400 a product and a name
{"name":"X","label":"Aqua","price":3} 400 an unknown member
EOF
$SYS_PY -c 'import json; print(json.dumps({"name": "Huge", "label": "Aqua, " * 12000}))' >"$T/huge.json"
req cli POST /api/portal/shelf "@$T/huge.json"
expect_status 400 "the shelf refuses a label over 64 KiB"
req pract GET "/api/clients/$C1/shelf"
[ "$(jget "$T/body" '[s["name"] for s in d["shelf"]]')" = '["Clinic Wash", "Night cream"]' ] && [ "$(jget "$T/body" 'd["shelf"][1]["flagged"] >= 1')" = true ] &&
    ok "the practitioner reads the client's shelf before the visit" || not_ok "the practitioner's view of the shelf: $(head -c 200 "$T/body")"
req recep GET "/api/clients/$C1/shelf"
expect_status 403 "reception does not read the shelf"
req cli2 DELETE "/api/portal/shelf/$SI"
[ "$STATUS/$(err_code)" = 403/not_yours ] && ok "another client cannot take it off: 403 not_yours" || not_ok "another client's shelf item ($STATUS $(err_code))"
req cli DELETE "/api/portal/shelf/$SI"
expect_status 200 "the client takes a product off the shelf"
req cli DELETE "/api/portal/shelf/$SI"
expect_status 404 "and it is gone"
[ "$(dbq "SELECT count(*) FROM audit WHERE client_id = $C1 AND action IN ('shelf.add', 'shelf.remove') AND user_id IS NULL")" = 3 ] &&
    ok "the shelf's changes audited as the client's (3)" || not_ok "shelf audit"
[ "$(dbq "SELECT count(*) FROM audit WHERE client_id = $C2 AND action = 'portal.denied'")" -ge 2 ] &&
    ok "another client's refusals are audited (portal.denied)" || not_ok "portal.denied audit"

# ---- erasure takes all of it ----
req admin DELETE "/api/clients/$C1" '{"confirm":"Home Client"}'
expect_status 200 "the admin erases the client"
for t in care_ticks care_feeds shares shelf_items; do
    [ "$(dbq "SELECT count(*) FROM $t WHERE client_id = $C1")" = 0 ] && ok "erased: no row of $t left" || not_ok "rows of $t left"
done
[ "$(db_integrity)" = ok ] && ok "the database is intact" || not_ok "the database is intact"
stop_server && ok "clean stop" || not_ok "clean stop"
done_testing
