#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Authorisation and HTTP hygiene against the real server: the authorisation matrix (every
# route x anonymous / reception / practitioner / admin / uncertified practitioner), CSRF,
# static files and security headers, cookie flags, hashed session ids, login throttling,
# logout. The clinical flow and malformed requests are in test_http_flow.sh.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

demo_clinic

# ---- the authorisation matrix ----
# columns: anonymous reception practitioner admin uncertified-practitioner
#   U = 401, F = 403, A = allowed (the server answered, but not with 401/403)
# The demo admin holds no certification: certifications apply to the person, whatever the role.
matrix() {
    cat <<EOF
GET  /api/session                                    -                                     U A A A A
POST /api/password                                   {}                                    U A A A A
GET  /api/clients                                    -                                     U A A A A
GET  /api/clients?q=matrix                           -                                     U A A A A
POST /api/clients                                    {"name":"M","birth_date":"1990-01-01"} U A A A A
GET  /api/clients/$CID                               -                                     U A A A A
GET  /api/clients/$CID/status                        -                                     U A A A A
GET  /api/clients/$CID/intakes                       -                                     U F A A A
POST /api/clients/$CID/intakes                       {"client":{"skin_type":"dry"}}        U F A F A
GET  /api/clients/$CID/intakes/latest                -                                     U F A A A
GET  /api/clients/$CID/intakes/1                     -                                     U F A A A
GET  /api/clients/$CID/plan                          -                                     U F A A A
POST /api/clients/$CID/ingredients/check           {"label":"Aqua"}                      U F A A A
GET  /api/clients/$CID/reviews                       -                                     U F A A A
POST /api/clients/$CID/reviews                       {"intake_id":0}                       U F A A A
GET  /api/clients/$CID/consents                      -                                     U F A A A
POST /api/clients/$CID/consents                      {"agreed":[]}                         U F A A A
GET  /api/clients/$CID/sessions                      -                                     U F A A A
POST /api/clients/$CID/sessions                      {"consent_id":999999}                 U F A A A
GET  /api/sessions/$SID                              -                                     U F A A A
POST /api/sessions/$SID/steps/steam/start            -                                     U F A A A
POST /api/sessions/$SID/steps/extract/start          -                                     U F A F F
POST /api/sessions/$SID/steps/high_frequency/start   -                                     U F A F F
POST /api/sessions/$SID/steps/extract/record         {"outcome":"done"}                    U F A F F
POST /api/sessions/$SID/steps/cleanse/record         {"outcome":"bogus"}                   U F A A A
POST /api/sessions/$SID/sign                         {"password":"$DEMO_PW"}               U F A A A
POST /api/sessions/$SID/cancel                       {"reason":"x"}                        U F A A A
POST /api/sessions/$SID/amendments                   {"text":"x"}                          U F A A A
GET  /api/sessions/$SID/aftercare                    -                                     U A A A A
GET  /api/sessions/$SID/aftercare.html               -                                     U A A A A
GET  /api/sessions/$SID/aftercare.ics                -                                     U A A A A
GET  /api/protocol                                   -                                     U F F A F
GET  /api/users                                      -                                     U A A A A
POST /api/users                                      {"username":"Bad_Name!","role":"x"}   U F F A F
PATCH /api/users/2                                   {}                                    U F F A F
GET  /api/audit                                      -                                     U F F A F
GET  /api/sites                                      -                                     U A A A A
POST /api/sites                                      {"name":""}                           U F F A F
PATCH /api/sites/1                                   {"name":""}                           U F F A F
GET  /api/reports/sessions?from=2026-01&to=2026-01   -                                     U F F A F
GET  /api/settings/clinic                            -                                     U F F A F
PUT  /api/settings/clinic                            {"time_zone":"Mars/Olympus"}          U F F A F
GET  /api/appointments?from=2027-01-11&to=2027-01-12  -                                    U A A A A
POST /api/appointments                               {"client_id":0}                       U A A A A
GET  /api/appointments/999999                        -                                     U A A A A
PATCH /api/appointments/999999                       {"notes":""}                          U A A A A
GET  /api/appointments/999999/checks                 -                                     U A A A A
POST /api/appointments/999999/cancel                 {"reason":"x"}                        U A A A A
POST /api/appointments/999999/move                   {"start":"2027-01-12T09:00:00+01:00"} U A A A A
POST /api/appointments/999999/status                 {"status":"arrived"}                  U A A A A
GET  /api/practitioners/2/free?from=2027-01-11&to=2027-01-12 -                             U A A A A
GET  /api/practitioners/2/hours                      -                                     U A A A A
PUT  /api/practitioners/999999/hours                 {"hours":[]}                          U F F A F
GET  /api/practitioners/2/absences?from=2027-01-11&to=2027-01-12 -                         U A A A A
POST /api/practitioners/999999/absences              {}                                    U F F A F
DELETE /api/absences/999999                          -                                     U F F A F
GET  /api/clinic/clock                               -                                     U A A A A
GET  /api/outbox                                     -                                     U F F A F
GET  /api/clients/$CID/mail                          -                                     U A A A A
POST /api/clients/$CID/mail                          {"opt_out":false}                     U A A A A
GET  /api/settings/mail                              -                                     U F F A F
PUT  /api/settings/mail                              {"reminder_hours":0}                  U F F A F
GET  /api/practitioners/2/feed                       -                                     U F A A A
POST /api/practitioners/999999/feed                  -                                     U F F A F
DELETE /api/practitioners/999999/feed                -                                     U F F A F
GET  /api/feeds/0123456789abcdef0123456789abcdef.ics -                                     A A A A A
POST /api/clients/$CID/invitation                    {}                                    U A A A A
GET  /api/clients/$CID/portal                        -                                     U A A A A
POST /api/clients/$CID/portal/unlock                 {}                                    U F F A F
GET  /api/portal/me                                  -                                     U F F F F
POST /api/portal/totp                                {}                                    U F F F F
GET  /api/clients/$CID/adherence                     -                                     U F A A A
GET  /api/clients/$CID/shares                        -                                     U F A A A
POST /api/clients/$CID/shares                        {}                                    U F A A A
DELETE /api/clients/$CID/shares/999999               -                                     U F A A A
GET  /api/clients/$CID/shelf                         -                                     U F A A A
GET  /api/clients/$CID/care-feed                     -                                     U A A A A
DELETE /api/clients/$CID/care-feed                   -                                     U A A A A
GET  /api/care/0123456789abcdef0123456789abcdef.ics  -                                     A A A A A
GET  /api/about                                      -                                     U A A A A
GET  /api/about/license                              -                                     U A A A A
GET  /api/about/notices                              -                                     U A A A A
EOF
}
{ echo "# whos: anon recep pract admin trainee"; matrix; } | $PY "$here/matrix.py" "$BASE" "$T" >"$T/matrix.out"
while IFS= read -r line; do
    case "$line" in
        "ok "*) ok "${line#ok }" ;;
        *) not_ok "${line#not ok }" ;;
    esac
done <"$T/matrix.out"
[ -s "$T/matrix.out" ] || not_ok "the matrix ran"

# ---- a client's session (issue 12): rows generated from the server's route table ----
# Every staff route refuses a client's session (403), even on the client's own record; every
# portal route takes it and refuses a staff session (403); on every portal route with an id,
# another client's record is refused (403). routes.py reads src/web/web_server.c.
req admin POST /api/clients '{"name":"Other Client","birth_date":"1980-01-01"}'
OTHER=$(jid "$T/body")
if portal_invite admin "$CID" && portal_accept client "$PORTAL_TOKEN" &&
    portal_invite admin "$OTHER" && portal_accept other "$PORTAL_TOKEN"; then
    ok "two clients with portal accounts"
else
    not_ok "two clients with portal accounts"
fi
# the other client's records: a consent signed online
req other GET /api/portal/consent
OSHA=$(jget "$T/body" 'd["text_sha256"]')
req other POST /api/portal/consent "{\"typed_name\":\"Other Client\",\"signature_png\":\"$($PY "$here/sig_png.py" 200 80)\",\"text_sha256\":\"$OSHA\"}"
OTHER_CONSENT=$(jid "$T/body")
[ -n "$OTHER_CONSENT" ] && ok "the other client signs a consent online" || not_ok "the other client's consent ($STATUS)"
# PATTERN PATH: each portal route with an id, on the other client's record (routes.py fails a
# portal route with an id that has no line here)
# the other client's share (a row behind the server's back: the refusal comes before the photo
# is looked at) and the other client's shelf item (portal at home, issue 12.5-12.6)
OSH=$(dbq "INSERT INTO shares(client_id, kind, ref_id, shared_by, shared_at) VALUES($OTHER, 'photo', 999999, 1, 0) RETURNING id")
req other POST /api/portal/shelf '{"name":"Other cream","label":"Aqua, Glycerin"}'
OSI=$(jid "$T/body")
[ -n "$OSH" ] && [ -n "$OSI" ] && ok "the other client has a share and a shelf item" ||
    not_ok "the other client has a share and a shelf item ($OSH, $OSI)"
cat >"$T/other_map" <<EOF2
/api/portal/consents/{n}/withdraw /api/portal/consents/$OTHER_CONSENT/withdraw
/api/portal/shares/{n}/image /api/portal/shares/$OSH/image
/api/portal/shares/{n}/chart.svg /api/portal/shares/$OSH/chart.svg
/api/portal/shelf/{n} /api/portal/shelf/$OSI
EOF2
$PY "$here/routes.py" "$here/../../src/web/web_server.c" "$CID" "$T/other_map" >"$T/client_rows"
nstaff=$(sed -n 's/^# routes: \([0-9]*\) staff.*/\1/p' "$T/client_rows")
[ "${nstaff:-0}" -ge 80 ] && ok "the generated matrix covers every staff route ($nstaff)" ||
    not_ok "the generated matrix covers every staff route (${nstaff:-none})"
{ echo "# whos: anon client pract"; cat "$T/client_rows"; } | $PY "$here/matrix.py" "$BASE" "$T" >"$T/client_matrix.out"
while IFS= read -r line; do
    case "$line" in
        "ok "*) ok "${line#ok }" ;;
        *) not_ok "${line#not ok }" ;;
    esac
done <"$T/client_matrix.out"
[ -s "$T/client_matrix.out" ] || not_ok "the client matrix ran"

# ---- CSRF ----
count_clients() { req admin GET "/api/clients?limit=1"; jget "$T/body" 'd["total"]'; }
n0=$(count_clients)
st=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar_pract" -H 'Content-Type: application/json' \
    --data-binary '{"name":"No Token","birth_date":"1990-01-01"}' "$BASE/api/clients")
[ "$st" = 403 ] && [ "$(err_code)" = csrf ] && ok "POST without X-CSRF-Token: 403 csrf" || not_ok "POST without X-CSRF-Token: 403 csrf (got $st)"
st=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar_pract" -H 'Content-Type: application/json' \
    -H "X-CSRF-Token: $(printf '0%.0s' $(seq 64))" \
    --data-binary '{"name":"Bad Token","birth_date":"1990-01-01"}' "$BASE/api/clients")
[ "$st" = 403 ] && ok "POST with a wrong token: 403" || not_ok "POST with a wrong token: 403 (got $st)"
st=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar_pract" -H 'Content-Type: application/json' \
    -H "X-CSRF-Token: $(cat "$T/csrf_admin")" \
    --data-binary '{"name":"Other Token","birth_date":"1990-01-01"}' "$BASE/api/clients")
[ "$st" = 403 ] && ok "POST with another session's token: 403" || not_ok "POST with another session's token: 403 (got $st)"
st=$(curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H 'Origin: http://evil.example' --data-binary "{\"username\":\"demo\",\"password\":\"$DEMO_PW\"}" \
    "$BASE/api/login")
[ "$st" = 403 ] && ok "cross-site login (foreign Origin): 403" || not_ok "cross-site login: 403 (got $st)"
[ "$(count_clients)" = "$n0" ] && ok "refused requests stored nothing" || not_ok "refused requests stored nothing"

# ---- static files and headers ----
st=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' "$BASE/")
[ "$st" = 200 ] && grep -qi '^content-type: text/html' "$T/headers" && ok "GET / serves index.html" || not_ok "GET / ($st)"
for h in "content-security-policy: default-src 'self'" "frame-ancestors 'none'" "x-content-type-options: nosniff" "referrer-policy:"; do
    grep -qi "$h" "$T/headers" && ok "header: $h" || not_ok "header: $h"
done
grep -qi "script-src 'self'" "$T/headers" && ! grep -qi "unsafe-inline" "$T/headers" && ok "CSP allows no inline script" || not_ok "CSP allows no inline script"
st=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/login"); [ "$st" = 200 ] && ok "/login serves the login page" || not_ok "/login ($st)"
etag=$(grep -i '^etag:' "$T/headers" | cut -d' ' -f2 | tr -d '\r')
st=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$BASE/")
[ "$st" = 304 ] && ok "static files revalidate with ETag (304)" || not_ok "ETag revalidation ($st)"
for p in "/../Makefile" "/%2e%2e/Makefile" "/js/%2e%2e/%2e%2e/Makefile" "/.git/config" "/js//app.js" "/web/../../etc/passwd"; do
    st=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$BASE$p")
    [ "$st" = 404 ] || [ "$st" = 400 ] && ok "traversal $p refused ($st)" || not_ok "traversal $p refused ($st)"
done
req pract GET /api/clients
grep -qi '^cache-control: no-store' "$T/headers" && ok "API replies are no-store" || not_ok "API replies are no-store"
grep -qi '^set-cookie:.*HttpOnly.*SameSite=Strict.*Path=/' "$T/login_headers" 2>/dev/null || {
    curl -s -o /dev/null -D "$T/login_headers" -H 'Content-Type: application/json' \
        --data-binary "{\"username\":\"desk\",\"password\":\"$DEMO_PW\"}" "$BASE/api/login"; }
grep -qi '^set-cookie: pc_session=[0-9a-f]\{64\}; HttpOnly; SameSite=Strict; Path=/' "$T/login_headers" &&
    ok "cookie: 256-bit id, HttpOnly, SameSite=Strict, Path=/" || not_ok "cookie flags ($(grep -i set-cookie "$T/login_headers"))"
if command -v sqlite3 >/dev/null; then
    raw=$(grep -i '^set-cookie' "$T/login_headers" | sed 's/.*pc_session=\([0-9a-f]*\).*/\1/')
    hexq="hex(hash) = upper('$raw')"
    on_pg && hexq="encode(hash, 'hex') = lower('$raw')"
    [ "$(dbq "SELECT count(*) FROM logins WHERE $hexq")" = 0 ] &&
        ok "session ids are stored hashed" || not_ok "session ids are stored hashed"
else skip "sqlite3 CLI not installed"; fi

# ---- login throttling (a dedicated account; the limits are per account and per address) ----
req admin POST /api/users '{"username":"victim","role":"reception"}'
codes=""
for i in 1 2 3 4 5 6; do
    codes="$codes $(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary '{"username":"victim","password":"wrong-password"}' "$BASE/api/login")"
done
[ "$codes" = " 401 401 401 401 401 429" ] && grep -qi '^retry-after: [0-9]' "$T/headers" &&
    ok "5 failed logins, then 429 with Retry-After" || not_ok "throttling: got$codes"

# ---- logout ----
req recep POST /api/logout
expect_status 200 "logout"
req recep GET /api/clients
expect_status 401 "after logout the session is gone"

healthy && ok "server still healthy at the end" || not_ok "server still healthy at the end"
check "server stops cleanly on SIGTERM (exit 0, no sanitizer report)" stop_server TERM
done_testing
