#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The client portal's accounts (issue 12.1) against the real server: the desk's invitation (a
# one-time link, e-mailed through a real SMTP server when the clinic sends mail), accepting it
# (a client session: its own cookie, username and csrf_token in the body), a used or expired
# link 410, the client's login with the staff's throttle, GET /api/portal/me (audited), a staff
# route refusing the client's session and a portal route refusing a staff session, a second
# factor (TOTP) with no code used twice, logout, erasure. The generated access matrix over every
# route is in test_http_authz.sh.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

SYS_PY=/usr/bin/python3 # with its site packages: aiosmtpd
demo_clinic

# ---- the invitation ----
req anon POST "/api/clients/$CID/invitation" '{}'
expect_status 401 "an invitation needs a staff login"
check "the desk invites the client" portal_invite recep "$CID"
url=$(jget "$T/body" 'd["url"]')
[[ $url =~ ^http://127\.0\.0\.1:[0-9]+/portal/accept\?token=[0-9a-f]{64}$ ]] &&
    ok "201 {\"url\": \".../portal/accept?token=...\"}" || not_ok "the invitation's url ($url)"
[ "$(jget "$T/body" 'd["emailed"]')" = false ] && ok "no mail set up: shown to the desk, not e-mailed" ||
    not_ok "emailed ($(cat "$T/body"))"
[ "$(dbq "SELECT count(*) FROM portal_invitations WHERE client_id = $CID")" = 1 ] &&
    ok "the invitation is stored" || not_ok "the invitation is stored"
# the token is kept only as its hash
hexq="hex(token_hash) = upper('$PORTAL_TOKEN')"
on_pg && hexq="encode(token_hash, 'hex') = lower('$PORTAL_TOKEN')"
[ "$(dbq "SELECT count(*) FROM portal_invitations WHERE $hexq")" = 0 ] &&
    ok "the token is stored hashed" || not_ok "the token is stored hashed"
req recep GET "/api/clients/$CID/portal"
[ "$STATUS" = 200 ] && [ "$(jget "$T/body" 'd["account"]')" = null ] &&
    [ "$(jget "$T/body" 'd["invitation_pending_until"] is not None')" = true ] &&
    ok "the desk sees the invitation pending, no account yet" || not_ok "portal status ($STATUS $(cat "$T/body"))"
req recep POST /api/clients/999999/invitation '{}'
expect_status 404 "no invitation for a client that does not exist"

# ---- accepting it ----
req anon POST /api/portal/accept "{\"token\":\"$PORTAL_TOKEN\",\"password\":\"short\"}"
expect_status 400 "a weak password is refused (the link stays usable)"
req anon POST /api/portal/accept '{"token":"0123","password":"a long enough password"}'
expect_status 404 "an unknown link: 404"
check "the client sets a password with the link" portal_accept ann "$PORTAL_TOKEN"
[ "$(jget "$T/login_ann" 'sorted(k for k in d if k in ("username","csrf_token"))')" = '["csrf_token", "username"]' ] &&
    ok "the body holds username and csrf_token, as staff login gives" || not_ok "accept body: $(cat "$T/login_ann")"
ANN_USER=$(jget "$T/login_ann" 'd["username"]')
grep -qi '^set-cookie: pc_portal=[0-9a-f]\{64\}; HttpOnly; SameSite=Strict; Path=/' "$T/login_headers_ann" &&
    ok "a client session cookie of its own: pc_portal, HttpOnly, SameSite=Strict" ||
    not_ok "client cookie ($(grep -i set-cookie "$T/login_headers_ann"))"
grep -q pc_session "$T/jar_ann" && not_ok "no staff cookie for a client" || ok "no staff cookie for a client"
[ "$(dbq "SELECT count(*) FROM logins")" = "$(dbq "SELECT count(*) FROM logins")" ] &&
    [ "$(dbq "SELECT count(*) FROM portal_logins WHERE client_id = $CID")" = 1 ] &&
    ok "the client's session is a row of portal_logins" || not_ok "portal_logins row"
req anon POST /api/portal/accept "{\"token\":\"$PORTAL_TOKEN\",\"password\":\"another long password\"}"
expect_status 410 "the same link again: 410"
[ "$(err_code)" = invitation_used ] && ok "410 invitation_used" || not_ok "code $(err_code)"
# an expired link: made 73 hours ago
check "a second client is invited" portal_invite recep "$(dbq "SELECT min(id) FROM clients")"
OLD_TOKEN=$PORTAL_TOKEN
dbq "UPDATE portal_invitations SET created_at = created_at - 262800, expires_at = expires_at - 262800 WHERE used_at IS NULL" >/dev/null
req anon POST /api/portal/accept "{\"token\":\"$OLD_TOKEN\",\"password\":\"a long enough password\"}"
expect_status 410 "a link older than 72 hours: 410"
[ "$(err_code)" = invitation_expired ] && ok "410 invitation_expired" || not_ok "code $(err_code)"

# ---- the client's own record ----
req ann GET /api/portal/me
expect_status 200 "GET /api/portal/me with the client's session"
[ "$(jget "$T/body" 'd["client"]["id"]')" = "$CID" ] && [ "$(jget "$T/body" 'd["client"]["name"]')" = "Matrix Client" ] &&
    ok "me: the client's own record" || not_ok "me: $(cat "$T/body")"
req ann GET "/api/clients/$CID"
expect_status 403 "a staff route refuses the client's session, even on their own record"
[ "$(err_code)" = client_session ] && ok "403 client_session" || not_ok "code $(err_code)"
req ann POST /api/clients '{"name":"Sneaky","birth_date":"1990-01-01"}'
expect_status 403 "a client cannot add clients"
req pract GET /api/portal/me
expect_status 403 "a portal route refuses a staff session"
[ "$(err_code)" = staff_session ] && ok "403 staff_session" || not_ok "code $(err_code)"
req anon GET /api/portal/me
expect_status 401 "a portal route without a login: 401"
st=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar_ann" -H 'Content-Type: application/json' \
    -X POST --data-binary '{}' "$BASE/api/portal/totp")
[ "$st" = 403 ] && [ "$(err_code)" = csrf ] && ok "a client's change without X-CSRF-Token: 403 csrf" || not_ok "client csrf ($st)"
# every client view is audited (the view entries are written in batches: wait for them)
seen=0
for _ in $(seq 1 50); do
    req admin GET "/api/audit?client_id=$CID&limit=200"
    if [ "$(jget "$T/body" 'sum(1 for e in d["entries"] if e["action"] == "portal.view")')" -ge 1 ] 2>/dev/null; then seen=1; break; fi
    sleep 0.1
done
[ $seen = 1 ] && ok "the client's view is audited (portal.view)" || not_ok "portal.view audited"
acts=$(jget "$T/body" '" ".join(sorted(set(e["action"] for e in d["entries"] if e["action"].startswith("portal."))))')
[[ " $acts " == *" portal.invite "* && " $acts " == *" portal.accept "* && " $acts " == *" portal.login "* ]] &&
    ok "invitation, acceptance and login are audited ($acts)" || not_ok "audited: $acts"

# ---- login, the throttle, logout ----
req ann POST /api/portal/logout
expect_status 200 "the client logs out"
req ann GET /api/portal/me
expect_status 401 "after logout the client's session is gone"
check "the client logs in with user name and password" portal_login ann "$ANN_USER" client-password-1
[ "$(jget "$T/login_ann" 'd["username"]')" = "$ANN_USER" ] && ok "login body: username" || not_ok "login body"
portal_login x "$ANN_USER" "$DEMO_PW"
[ "$PORTAL_STATUS" = 401 ] && ok "a wrong password: 401" || not_ok "wrong password ($PORTAL_STATUS)"
portal_login x demo "$DEMO_PW"
[ "$PORTAL_STATUS" = 401 ] && ok "a staff account cannot log in to the portal" || not_ok "staff on portal login ($PORTAL_STATUS)"

# ---- the second factor ----
req ann POST /api/portal/totp '{}'
expect_status 200 "the client starts a second factor"
SECRET=$(jget "$T/body" 'd["secret"]')
[[ "$(jget "$T/body" 'd["uri"]')" == otpauth://totp/*"secret=$SECRET"* ]] && ok "an otpauth:// address" ||
    not_ok "uri: $(cat "$T/body")"
totp() { $PY -c '
import base64, hmac, hashlib, struct, sys, time
k = base64.b32decode(sys.argv[1])
c = int(time.time()) // 30 + int(sys.argv[2])
h = hmac.new(k, struct.pack(">Q", c), hashlib.sha1).digest()
o = h[-1] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000))' "$SECRET" "$1"; }
req ann POST /api/portal/totp/confirm '{"code":"12345"}'
expect_status 403 "a wrong code does not turn it on"
req ann POST /api/portal/totp/confirm "{\"code\":\"$(totp 0)\"}"
expect_status 200 "the first code turns the second factor on"
portal_login y "$ANN_USER" client-password-1
[ "$PORTAL_STATUS" = 401 ] && [ "$(jget "$T/login_y" 'd["code"]')" = totp_required ] &&
    ok "a login then asks for the code (401 totp_required)" || not_ok "totp_required ($PORTAL_STATUS)"
NEXT=$(totp 1)
check "the password with a fresh code logs in" portal_login y "$ANN_USER" client-password-1 "$NEXT"
portal_login z "$ANN_USER" client-password-1 "$NEXT"
[ "$PORTAL_STATUS" = 401 ] && [ "$(jget "$T/login_z" 'd["code"]')" = bad_code ] &&
    ok "the same code twice: refused" || not_ok "code reuse ($PORTAL_STATUS)"

# ---- the intake before the visit (12.2) ----
req ann GET /api/portal/intake
expect_status 200 "the client reads their last answers"
[ "$(jget "$T/body" 'd["answers"]["skin_type"]')" = oily ] && [ "$(jget "$T/body" 'd["answers"]["isotretinoin_last_year"]')" = false ] &&
    ok "the answers come from the latest intake, in the form's terms" || not_ok "answers: $(cat "$T/body")"
nv() { dbq "SELECT count(*) FROM intakes WHERE client_id = $CID"; }
n0=$(nv)
req ann POST /api/portal/intake '{"skin_type":"greasy","isotretinoin_last_year":false}'
expect_status 400 "a skin type not in the list: 400"
req ann POST /api/portal/intake '{"skin_type":"oily"}'
expect_status 400 "the isotretinoin question must be answered"
req ann POST /api/portal/intake '{"skin_type":"oily","isotretinoin_last_year":false,"plan":"ok"}'
expect_status 400 "an unknown member: 400"
req ann POST /api/portal/intake "{\"skin_type\":\"oily\",\"isotretinoin_last_year\":true,\"isotretinoin_last_taken\":\"$(date -u -d '+3 days' +%F)\"}"
expect_status 400 "a date in the future: 400"
[ "$(nv)" = "$n0" ] && ok "refused answers stored nothing" || not_ok "refused answers stored nothing"
req pract GET "/api/clients/$CID/plan"
PLAN_BEFORE=$(jget "$T/body" 'd["plan"]["status"]')
ISO_DATE=$(date -u -d '-60 days' +%F)
req ann POST /api/portal/intake "{\"skin_type\":\"oily\",\"isotretinoin_last_year\":true,\"isotretinoin_last_taken\":\"$ISO_DATE\",\"medications\":[\"doxycycline\"],\"notes\":\"I had a reaction to a peel once.\"}"
expect_status 201 "the client saves answers with isotretinoin taken 60 days ago"
[ "$(jget "$T/body" 'sorted(d)')" = '["saved_at", "version"]' ] &&
    ok "the reply says nothing of the screening (version and time only)" || not_ok "reply: $(cat "$T/body")"
V=$(jget "$T/body" 'd["version"]')
[ "$(dbq "SELECT from_client || '|' || coalesce(created_by, 0) FROM intakes WHERE client_id = $CID AND version = $V")" = "1|0" ] &&
    ok "stored as the client's version (from_client, no user)" || not_ok "from_client row"
req pract GET "/api/clients/$CID/intakes"
[ "$(jget "$T/body" 'd["intakes"][0]["from_client"]')" = true ] && [ "$(jget "$T/body" 'd["intakes"][1]["from_client"]')" = false ] &&
    ok "the version history marks the client's version" || not_ok "history from_client"
req pract GET "/api/clients/$CID/intakes/latest/changes"
expect_status 200 "the practitioner reads what changed"
jget "$T/body" 'd["changes"]' >"$T/changes"
grep -q "isotretinoin (last taken $ISO_DATE)" "$T/changes" && grep -q doxycycline "$T/changes" && grep -q '"notes"' "$T/changes" &&
    ok "changes: the medicines added and the note" || not_ok "changes: $(cat "$T/changes")"
PLAN_NOW=$(jget "$T/body" 'd["plan_status"]')
req pract GET "/api/clients/$CID/plan"
[ "$PLAN_NOW" = "$(jget "$T/body" 'd["plan"]["status"]')" ] && [ "$PLAN_NOW" != "$PLAN_BEFORE" ] &&
    ok "what the screening now says ($PLAN_BEFORE -> $PLAN_NOW), as today's plan" || not_ok "plan status $PLAN_BEFORE -> $PLAN_NOW"
req recep GET "/api/clients/$CID/intakes/latest/changes"
expect_status 403 "reception does not read the intake's changes"
# an omission on the portal never drops history: isotretinoin stays until the practitioner confirms
req ann POST /api/portal/intake '{"skin_type":"oily","isotretinoin_last_year":false}'
expect_status 201 "the client saves answers that leave isotretinoin out"
req pract GET "/api/clients/$CID/intakes/latest"
jget "$T/body" 'd["intake"]["medications"]' | grep -q isotretinoin &&
    ok "isotretinoin is carried over into the client's new version" || not_ok "carried over: $(cat "$T/body")"
req admin GET "/api/audit?client_id=$CID&limit=200"
[ "$(jget "$T/body" 'sum(1 for e in d["entries"] if e["action"] == "intake.create" and "from the client" in e["detail"])')" = 2 ] &&
    ok "the client's versions are audited" || not_ok "intake.create audited"

# ---- consent signed online (12.3) ----
req ann GET /api/portal/consent
expect_status 200 "the client reads the consent of their plan's steps"
SHA=$(jget "$T/body" 'd["text_sha256"]')
ITEMS=$(jget "$T/body" '" ".join(i["item"] for i in d["items"])')
[[ " $ITEMS " == *" treatment "* ]] && [ ${#SHA} = 64 ] && ok "items ($ITEMS) and the text's SHA-256" || not_ok "consent: $(head -c 300 "$T/body")"
[ "$($PY -c 'import hashlib,json,sys; d=json.load(open(sys.argv[1])); print(hashlib.sha256(d["text"].encode()).hexdigest())' "$T/body")" = "$SHA" ] &&
    ok "text_sha256 is the SHA-256 of the text shown" || not_ok "sha256 of the text"
SIG=$($PY "$here/sig_png.py" 300 100)
sign() { req ann POST /api/portal/consent "{\"typed_name\":\"$1\",\"signature_png\":\"$2\",\"text_sha256\":\"$3\"}"; }
nc() { dbq "SELECT count(*) FROM portal_consents WHERE client_id = $CID"; }
sign "Matrix Client" "$($PY "$here/sig_png.py" 300 100 blank)" "$SHA"
expect_status 400 "a signature with nothing drawn: 400"
sign "Matrix Client" "aGVsbG8gd29ybGQ=" "$SHA"
expect_status 400 "a signature that is not a PNG: 400"
sign "Matrix Client" "$($PY "$here/sig_png.py" 20 20)" "$SHA"
expect_status 400 "a signature too small: 400"
printf '{"typed_name":"Matrix Client","text_sha256":"%s","signature_png":"' "$SHA" >"$T/big.json"
head -c 400000 /dev/urandom | base64 -w0 >>"$T/big.json"; printf '"}' >>"$T/big.json"
req ann POST /api/portal/consent "@$T/big.json"
expect_status 400 "a signature over the size cap: 400"
sign "   " "$SIG" "$SHA"
expect_status 400 "a blank typed name: 400"
sign "Matrix Client" "$SIG" "$(printf '0%.0s' $(seq 64))"
expect_status 409 "a text other than the one shown: 409 text_changed"
[ "$(nc)" = 0 ] && ok "refused signatures stored nothing" || not_ok "refused signatures stored nothing"
sign "Matrix Client" "data:image/png;base64,$SIG" "$SHA"
expect_status 201 "the client signs with a typed name and a drawn signature"
PCON=$(jid "$T/body")
[ "$(dbq "SELECT text_sha256 || '|' || typed_name FROM portal_consents WHERE id = $PCON")" = "$SHA|Matrix Client" ] &&
    ok "stored with the text's SHA-256 and the typed name" || not_ok "stored consent"
if on_pg; then
    out=$(psql -qtAX -d "$PG_APP" -c "UPDATE portal_consents SET typed_name = 'x' WHERE id = $PCON" 2>&1)
    [[ $out == *"permission denied"* ]] && ok "the app's role may not change a signed consent" || not_ok "pg grant: $out"
fi
out=$(dbq "UPDATE portal_consents SET typed_name = 'x' WHERE id = $PCON" 2>&1)
[[ $out == *"immutable"* ]] && ok "the database refuses to change a signed consent (trigger)" || not_ok "update trigger: $out"
out=$(dbq "DELETE FROM portal_consents WHERE id = $PCON" 2>&1)
[[ $out == *"immutable"* ]] && ok "the database refuses to delete a signed consent (trigger)" || not_ok "delete trigger: $out"
req pract GET "/api/clients/$CID/online-consents"
expect_status 200 "the practitioner reads the consents signed online"
[ "$(jget "$T/body" 'd["consents"][0]["signature"].startswith("data:image/png;base64,")')" = true ] &&
    ok "with the signature as a PNG" || not_ok "signature: $(head -c 200 "$T/body")"
req recep GET "/api/clients/$CID/online-consents"
expect_status 403 "reception does not read consents"
req ann POST "/api/portal/consents/$PCON/withdraw" '{"reason":"I changed my mind."}'
expect_status 200 "the client withdraws the consent"
req ann POST "/api/portal/consents/$PCON/withdraw" '{}'
expect_status 409 "a consent is withdrawn once"
req pract GET "/api/clients/$CID/online-consents"
[ "$(jget "$T/body" 'd["consents"][0]["withdraw_reason"]')" = "I changed my mind." ] && [ "$(jget "$T/body" 'd["consents"][0]["withdrawn_at"] is not None')" = true ] &&
    ok "the withdrawal is recorded beside the consent" || not_ok "withdrawal: $(head -c 300 "$T/body")"
[ "$(nc)" = 1 ] && ok "the signed consent itself stays" || not_ok "consent kept"
req admin GET "/api/audit?client_id=$CID&limit=200"
acts=$(jget "$T/body" '" ".join(sorted(set(e["action"] for e in d["entries"] if e["action"].startswith("portal.consent"))))')
[ "$acts" = "portal.consent.sign portal.consent.withdraw" ] && ok "signing and withdrawing are audited" || not_ok "audited: $acts"

# ---- the invitation by e-mail, through a real SMTP server ----
if $SYS_PY -c 'import aiosmtpd' 2>/dev/null; then
    MAIL=$T/mail; mkdir -p "$MAIL"
    SMTP_PORT=$($SYS_PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    $SYS_PY "$here/smtp_sink.py" "$MAIL" "$SMTP_PORT" 2>"$T/sink.err" &
    SINK_PID=$!
    trap 'kill $SINK_PID 2>/dev/null; _http_cleanup' EXIT
    # the SMTP server listening before the clinic points at it: a first attempt refused would
    # be retried only after the sender's backoff, past this test's wait (it failed so under load)
    listening=0
    for _ in $(seq 1 150); do
        $SYS_PY -c "import socket; socket.create_connection(('127.0.0.1', $SMTP_PORT), 1)" 2>/dev/null && { listening=1; break; }
        sleep 0.1
    done
    [ $listening = 1 ] && ok "the SMTP server (aiosmtpd) listens on 127.0.0.1:$SMTP_PORT" || not_ok "the SMTP server did not start: $(cat "$T/sink.err")"
    req admin PUT /api/settings/mail "{\"smtp_url\":\"smtp://127.0.0.1:$SMTP_PORT\",\"mail_from\":\"desk@lumen.example\"}"
    expect_status 200 "the clinic sets up its e-mail"
    req admin POST /api/clients '{"name":"Mia Mail","birth_date":"1991-02-03","email":"mia@example.org"}'
    MIA=$(jid "$T/body")
    check "the desk invites a client with an e-mail address" portal_invite recep "$MIA"
    [ "$(jget "$T/body" 'd["emailed"]')" = true ] && ok "emailed: true" || not_ok "emailed: $(cat "$T/body")"
    got=""
    for _ in $(seq 1 400); do
        got=$(for f in "$MAIL"/*.eml; do [ -e "$f" ] && $SYS_PY -c '
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
text = "".join(p.get_payload(decode=True).decode() for p in m.walk() if p.get_content_type() == "text/plain")
sys.exit(0 if sys.argv[2] in text and "mia@example.org" in m["To"] else 1)' "$f" "token=$PORTAL_TOKEN" && echo "$f"; done | head -1)
        [ -n "$got" ] && break
        sleep 0.1
    done
    [ -n "$got" ] &&
        ok "the link arrives by e-mail at the client's address" || not_ok "the invitation e-mail ($(ls "$MAIL"))"
    check "the e-mailed link works" portal_accept mia "$PORTAL_TOKEN"
    [ "$(jget "$T/login_mia" 'd["username"]')" = mia@example.org ] && ok "the user name is the e-mail address" ||
        not_ok "username $(jget "$T/login_mia" 'd["username"]')"

    # ---- the link's address: never the request's Host header (a forged or internal name) ----
    # mail_to ADDR WANT: the decoded text and HTML of the messages to ADDR holding WANT ("" when
    # none yet)
    mail_to() {
        for f in "$MAIL"/*.eml; do [ -e "$f" ] && $SYS_PY -c '
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
text = "".join(p.get_payload(decode=True).decode() for p in m.walk() if p.get_content_type() in ("text/plain", "text/html"))
if sys.argv[2] in m["To"] and sys.argv[3] in text: print(text)' "$f" "$1" "$2"; done
    }
    # forged: curl to 127.0.0.1 with another Host (the session cookie sent by hand: curl picks
    # a jar's cookies by the Host header)
    forged_invite() {
        local c; c=$(awk 'NF >= 7 && $6 == "pc_session" {print $6 "=" $7}' "$T/jar_recep")
        STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -X POST -H "Cookie: $c" \
            -H "X-CSRF-Token: $(<"$T/csrf_recep")" -H "Host: $2" -H 'Content-Type: application/json' \
            --data-binary '{}' "$BASE/api/clients/$1/invitation")
    }
    req admin POST /api/clients '{"name":"Noa Host","birth_date":"1990-04-05","email":"noa@example.org"}'
    NOA=$(jid "$T/body")
    forged_invite "$NOA" evil.example
    [ "$STATUS" = 409 ] && [ "$(err_code)" = public_url_required ] &&
        ok "no --public-url: a Host not of this machine gets 409 public_url_required" ||
        not_ok "forged Host without --public-url ($STATUS $(head -c 200 "$T/body"))"
    forged_invite "$NOA" "10.0.0.7:8080"
    [ "$STATUS" = 409 ] && ok "nor an internal name behind a load balancer" || not_ok "internal Host ($STATUS)"
    [ "$(dbq "SELECT count(*) FROM portal_invitations WHERE client_id = $NOA")" = 0 ] &&
        [ "$(dbq "SELECT count(*) FROM outbox WHERE to_addr = 'noa@example.org'")" = 0 ] &&
        ok "nothing stored, nothing queued" || not_ok "a refused invitation left rows"
    # the server again, with the clinic's public address
    check "the server stops for a restart" stop_server TERM
    "$PORECLEAR" serve --data "$DATA" --listen 127.0.0.1:0 --public-url 'https://x@clinic.example' \
        >/dev/null 2>"$T/pub.err"
    [ $? = 2 ] && grep -q -- '--public-url' "$T/pub.err" && ok "--public-url with a user: exit 2, named" ||
        not_ok "--public-url https://x@clinic.example ($(cat "$T/pub.err"))"
    for bad in 'https://clinic.example/evil' 'ftp://clinic.example' 'https://clinic.example?x' 'https://' 'https://clinic.example:99999'; do
        "$PORECLEAR" serve --data "$DATA" --listen 127.0.0.1:0 --public-url "$bad" >/dev/null 2>&1
        [ $? = 2 ] && ok "--public-url $bad: refused (exit 2)" || not_ok "--public-url $bad accepted"
    done
    PORECLEAR_PUBLIC_URL=https://clinic.example/ start_server "$DATA" ||
        { not_ok "server restarts with PORECLEAR_PUBLIC_URL"; done_testing; exit 1; }
    forged_invite "$NOA" evil.example
    [ "$STATUS" = 201 ] && [[ $(jget "$T/body" 'd["url"]') == https://clinic.example/portal/accept\?token=* ]] &&
        ok "PORECLEAR_PUBLIC_URL: the link is on it whatever the Host" ||
        not_ok "invite with the public address ($STATUS $(head -c 200 "$T/body"))"
    tok=$(jget "$T/body" 'd["url"]'); tok=${tok##*token=}
    got=""
    for _ in $(seq 1 400); do
        got=$(mail_to noa@example.org "token=$tok"); [ -n "$got" ] && break; sleep 0.1
    done
    [ -n "$got" ] && grep -q "https://clinic.example/portal/accept?token=$tok" <<<"$got" && ! grep -q evil.example <<<"$got" &&
        ok "the e-mail links to the public address; the forged Host is nowhere in it" ||
        not_ok "the invitation e-mail with the public address ($(grep -o 'https\?://[^ <"]*' <<<"$got" | head -3))"
    check "--public-url takes precedence" stop_server TERM
    start_server "$DATA" --public-url http://10.1.2.3:8080 || { not_ok "server restarts"; done_testing; exit 1; }
    req recep POST "/api/clients/$NOA/invitation" '{}'
    [ "$STATUS" = 201 ] && [[ $(jget "$T/body" 'd["url"]') == http://10.1.2.3:8080/portal/accept\?token=* ]] &&
        ok "--public-url http://10.1.2.3:8080 is used as given" || not_ok "--public-url ($STATUS $(head -c 200 "$T/body"))"
    kill $SINK_PID 2>/dev/null; wait $SINK_PID 2>/dev/null
else
    skip "python3-aiosmtpd is needed for the e-mailed invitation (scripts/install-deps test)"
fi

# ---- the throttle (last: it slows this address) ----
codes=""
for _ in 1 2 3 4 5 6; do portal_login x nosuch.client wrong-password-x; codes="$codes $PORTAL_STATUS"; done
[ "$codes" = " 401 401 401 401 401 429" ] && ok "the staff's login throttle: 429 after 5 failures" ||
    not_ok "throttle: got$codes"

# ---- a locked client account, unlocked by an admin ----
dbq "DELETE FROM throttle WHERE key = 'client:$ANN_USER'" >/dev/null
dbq "INSERT INTO throttle(key, failures, last_failure) VALUES('client:$ANN_USER', 100, 0)" >/dev/null
req recep GET "/api/clients/$CID/portal"
[ "$(jget "$T/body" 'd["account"]["locked"]')" = true ] && ok "the desk sees the account locked" || not_ok "locked: $(cat "$T/body")"
portal_login w "$ANN_USER" client-password-1
[ "$PORTAL_STATUS" = 403 ] && [ "$(jget "$T/login_w" 'd["code"]')" = account_locked ] &&
    ok "a locked client account: 403 account_locked" || not_ok "locked login ($PORTAL_STATUS)"
req recep POST "/api/clients/$CID/portal/unlock" '{}'
expect_status 403 "only an admin unlocks"
req admin POST "/api/clients/$CID/portal/unlock" '{}'
expect_status 200 "the admin unlocks the client account"
req recep GET "/api/clients/$CID/portal"
[ "$(jget "$T/body" 'd["account"]["locked"]')" = false ] && ok "no longer locked" || not_ok "unlocked: $(cat "$T/body")"

# ---- erasure ----
req admin DELETE "/api/clients/$CID" '{"confirm":"Matrix Client"}'
[ "$STATUS" = 200 ] || [ "$STATUS" = 204 ] && ok "the client is erased" || not_ok "erase ($STATUS $(head -c 200 "$T/body"))"
[ "$(dbq "SELECT (SELECT count(*) FROM portal_accounts WHERE client_id = $CID) + (SELECT count(*) FROM portal_logins WHERE client_id = $CID) + (SELECT count(*) FROM portal_invitations WHERE client_id = $CID)")" = 0 ] &&
    ok "erasure takes the account, its sessions and invitations" || not_ok "portal rows after erasure"
req ann GET /api/portal/me
expect_status 401 "an erased client's session is gone"

healthy && ok "server still healthy at the end" || not_ok "server still healthy at the end"
check "server stops cleanly on SIGTERM (exit 0, no sanitizer report)" stop_server TERM
done_testing
