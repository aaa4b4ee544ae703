#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Browser tests of the client's side at home (issue 12.4-12.7; portal-home.test.mjs) on a phone
# (390 x 844): the aftercare's "done today" tick by keyboard and the practitioner reading it,
# the private calendar address, the progress the practitioner shared (the four benefits in
# plain words, the noise said), a product checked and kept on the shelf and the practitioner
# reading it, axe-core on each filled page. The set-up (a signed session with two photos and
# their comparison, shares, a checked product, the client's invitation and password) is made
# here through the API with curl; Debian's Chromium driven by playwright-core does the rest.
# Screenshots go to build/screenshots/portal-home-*.png.
. "$(dirname "$0")/../e2e/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

browser_prereqs "portal-at-home browser tests"
pw=demo-pass-12345
start_server "poreclear serve --demo" --web "${PC_WEB:-$top/web}" --demo --demo-password "$pw"
B="http://127.0.0.1:$port"

# call METHOD PATH [BODY]: as the demo practitioner; the reply in $T/r, the status echoed
curl -s -c "$T/jar" -o "$T/login" -H 'Content-Type: application/json' \
    --data-binary "{\"username\":\"demo\",\"password\":\"$pw\"}" "$B/api/login"
csrf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf_token"])' "$T/login" 2>/dev/null)
call() {
    local args=(-s -o "$T/r" -w '%{http_code}' -b "$T/jar" -H "X-CSRF-Token: $csrf" -X "$1")
    [ -n "${3-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    curl "${args[@]}" "$B$2"
}
jr() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/r" "$1"; }
setup() {
    "$PORECLEAR" synth -o "$T/before.png" --pair "$T/after.png" -W 400 -H 300 -s 7 \
        --pair-set dx=6 --pair-set dy=-4 --pair-set rotation=1 --pair-set scale=1 >/dev/null 2>&1 || return 1
    [ "$(call POST /api/clients '{"name":"Rosa Home","birth_date":"1991-07-08","email":"rosa@example.org"}')" = 201 ] || return 1
    cid=$(jr 'd["id"]')
    call POST "/api/clients/$cid/intakes" '{"client":{"skin_type":"oily","fitzpatrick":3}}' >/dev/null
    call POST "/api/clients/$cid/consents" '{"agreed":["treatment","extraction","high_frequency","chemical_exfoliation","photos"],"client_name":"Rosa Home"}' >/dev/null
    local consent; consent=$(jr 'd["id"]')
    [ "$(call POST "/api/clients/$cid/sessions" "{\"consent_id\":$consent,\"implement_set\":\"tray 3\"}")" = 201 ] || return 1
    sid=$(jr 'd["id"]')
    for k in before after; do
        curl -s -o "$T/r" -b "$T/jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: image/png' \
            --data-binary @"$T/$k.png" "$B/api/clients/$cid/photos?kind=$k&session_id=$sid"
        [ $k = before ] && photo=$(jr 'd["photo"]["id"]')
    done
    call POST "/api/sessions/$sid/comparison" '{}' >/dev/null
    local job i; job=$(jr 'd["job"]["id"]')
    for i in $(seq 1 450); do
        call GET "/api/jobs/$job" >/dev/null
        case $(jr 'd["state"]') in done) break ;; failed) return 1 ;; esac
        sleep 0.2
    done
    call GET "/api/sessions/$sid/comparison" >/dev/null
    cmp=$(jr 'd["id"]')
    call GET "/api/sessions/$sid" >/dev/null
    for step in $(jr '" ".join(s["step"] for s in d["steps"] if s["action"]!="skip" and not s["record"])'); do
        local params='{"duration_min":7}'
        [ "$step" = finish ] && params='{"spf":30}'
        call POST "/api/sessions/$sid/steps/$step/record" "{\"outcome\":\"done\",\"params\":$params,\"early_reason\":\"recorded at once by the test\"}" >/dev/null
    done
    [ "$(call POST "/api/sessions/$sid/sign" "{\"password\":\"$pw\"}")" = 200 ] || return 1
    [ "$(call POST "/api/clients/$cid/shares" "{\"kind\":\"comparison\",\"id\":$cmp}")" = 201 ] || return 1
    [ "$(call POST "/api/clients/$cid/shares" "{\"kind\":\"photo\",\"id\":$photo}")" = 201 ] || return 1
    [ "$(call POST "/api/clients/$cid/products" '{"name":"Clinic Gel Cleanser","decision":"keep","label":"Aqua, Glycerin, Sodium Laureth Sulfate","rinse_off":true}')" = 201 ] || return 1
    [ "$(call POST "/api/clients/$cid/invitation" '{}')" = 201 ] || return 1
    local token; token=$(jr 'd["url"].split("token=")[1]')
    curl -s -o "$T/r" -H 'Content-Type: application/json' \
        --data-binary "{\"token\":\"$token\",\"password\":\"rosa-password-1\"}" "$B/api/portal/accept"
    cuser=$(jr 'd["username"]')
    [ -n "$cuser" ]
}
if setup; then ok "set-up through the API: a signed session, a shared comparison and photo, a checked product, the client's password"
else not_ok "set-up through the API (last reply: $(head -c 200 "$T/r"))"; done_testing; exit 1; fi

shots=${PC_SCREENSHOTS:-$top/build/screenshots}
mkdir -p "$shots"
PC_URL="$B" PC_PASSWORD="$pw" PC_CLIENT_USER="$cuser" PC_CLIENT_PASSWORD=rosa-password-1 PC_CID="$cid" \
    PC_SCREENSHOTS="$shots" PC_CHROMIUM="$chromium" \
    NODE_PATH="$here/node_modules" node --test --test-reporter=tap "$here/portal-home.test.mjs"
rc=$?
[ $rc -ne 0 ] && { echo "# server log (tail):"; tail -15 "$T/server.log" | sed 's/^/# /'; }
echo "# screenshots: $shots"
done_testing
[ $rc -eq 0 ] && [ "$_failed" -eq 0 ]
