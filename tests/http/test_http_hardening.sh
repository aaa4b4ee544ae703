#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Probes from outside (issue 16.6, 16.9): every reply carries the security headers, the
# server's own and libmicrohttpd's (a malformed header, an unknown HTTP version, a bad chunk
# or Content-Length, a head too large); a 10 KB address gets 414; a cross-site Origin on a
# change is refused.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

demo_clinic
PORT=${BASE##*:}

# raw NAME: send stdin as-is on a new connection; the reply's head goes to $T/raw_NAME.
raw() {
    /usr/bin/python3 -S -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(sys.stdin.buffer.read())
data = b""
try:
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except OSError:
    pass
sys.stdout.write(data.split(b"\r\n\r\n")[0].decode("latin-1"))
' "$PORT" >"$T/raw_$1"
}
# has_security_headers FILE: the head in FILE carries every security header
has_security_headers() {
    local h
    for h in Content-Security-Policy X-Content-Type-Options Referrer-Policy X-Frame-Options \
        Cross-Origin-Opener-Policy; do
        grep -qi "^$h: " "$1" || return 1
    done
}
status_of() { head -1 "$1" | cut -d' ' -f2; }
check_raw() { # NAME WANT_STATUS DESCRIPTION
    local st
    st=$(status_of "$T/raw_$1")
    if [ "$st" = "$2" ] && has_security_headers "$T/raw_$1"; then ok "$3: $2 with the security headers"; else
        not_ok "$3: want $2 with the security headers, got"; sed 's/^/#   /' "$T/raw_$1" | head -12; fi
}

# ---- libmicrohttpd's own replies ----
printf 'GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n' | raw badheader
check_raw badheader 400 "a header line without a colon (answered by libmicrohttpd)"
printf 'GET / HTTP/2.0\r\nHost: x\r\n\r\n' | raw version
check_raw version 505 "an unsupported HTTP version (libmicrohttpd)"
printf 'POST /api/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n' | raw chunk
check_raw chunk 400 "a malformed chunk (libmicrohttpd)"
{ printf 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: '; head -c 40000 /dev/zero | tr '\0' a; printf '\r\n\r\n'; } | raw bighead
st=$(status_of "$T/raw_bighead")
case $st in 413|414|431) check_raw bighead "$st" "a 40 KB header (libmicrohttpd)";;
    *) not_ok "a 40 KB header gets 413/414/431, got '$st'";; esac
printf 'POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n' | raw badlen
check_raw badlen 400 "a bad Content-Length (libmicrohttpd)"

# ---- the server's own replies, each kind ----
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw healthz
check_raw healthz 200 "/healthz"
printf 'GET /no-such-page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw static404
check_raw static404 404 "a missing page"
printf 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw index
check_raw index 200 "the index page"
etag=$(grep -i '^ETag: ' "$T/raw_index" | cut -d' ' -f2 | tr -d '\r')
printf 'GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: %s\r\nConnection: close\r\n\r\n' "$etag" | raw notmod
check_raw notmod 304 "an unchanged page"
printf 'POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\n\r\n' | raw big
check_raw big 413 "a body over the cap"
printf 'PUT /api/clients HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n' | raw put
check_raw put 405 "a wrong method"

# ---- a 10 KB address: 414 with a reason, logged in or not, and the server stays healthy ----
long=$(head -c 10000 /dev/zero | tr '\0' a)
req pract GET "/api/clients?q=$long"
expect_status 414 "a logged-in request with a 10 KB address gets 414"
[ "$(err_code)" = uri_too_long ] && ok "the 414 says why (uri_too_long)" || not_ok "414 code: $(head -c 200 "$T/body")"
has_security_headers "$T/headers" && ok "the 414 carries the security headers" || not_ok "the 414 carries the security headers"
req anon GET "/api/clients?q=$long"
expect_status 414 "so does an anonymous one"
req pract GET "/api/clients?pad=$(head -c 2000 /dev/zero | tr '\0' a)"
expect_status 200 "a 2 KB address is fine"
healthy && ok "healthy after the long addresses" || not_ok "healthy after the long addresses"

# ---- a cross-site Origin on a change, with a valid session and token: refused ----
# reqo WHO METHOD PATH ORIGIN [BODY]: req with an Origin header
reqo() {
    local who=$1 m=$2 p=$3 origin=$4 body=${5-}
    local args=(-s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X "$m" -H "Origin: $origin"
        -b "$T/jar_$who" -H "X-CSRF-Token: $(<"$T/csrf_$who")")
    [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
    STATUS=$(curl "${args[@]}" "$BASE$p")
}
reqo admin POST /api/clients "http://evil.example" '{"name":"Evil Client","birth_date":"1990-01-01"}'
expect_status 403 "a change with a valid token from Origin http://evil.example is refused"
[ "$(err_code)" = csrf ] && ok "... as csrf" || not_ok "... as csrf ($(err_code))"
reqo admin POST /api/clients "null" '{"name":"Evil Client","birth_date":"1990-01-01"}'
expect_status 403 "Origin: null is refused"
req admin GET "/api/clients?q=Evil"
[ "$(jget "$T/body" 'len(d["clients"])')" = 0 ] && ok "no client was created" || not_ok "no client was created: $(head -c 200 "$T/body")"
reqo pract POST "/api/clients/$CID/photos?kind=assessment" "http://evil.example"
expect_status 403 "a photo upload from a foreign Origin is refused"
reqo admin GET "/api/clients" "http://evil.example"
expect_status 200 "a read with a foreign Origin is answered (the browser keeps it from the other site)"
reqo admin POST /api/clients "$BASE" '{"name":"Same Origin Client","birth_date":"1990-01-01"}'
expect_status 201 "a change from our own Origin is accepted"

# ---- refused attempts leave an audit entry (16.9) ----
req recep GET "/api/clients/$CID/plan"
expect_status 403 "reception may not read the plan"
req trainee POST "/api/sessions/$SID/steps/extract/record" '{"outcome":"done"}'
expect_status 403 "an uncertified practitioner may not record an extraction"
[ "$(err_code)" = certification_required ] && ok "... certification_required" || not_ok "... code $(err_code)"
req admin GET "/api/audit?limit=500"
jget "$T/body" '[e["detail"] for e in d["entries"] if e["action"]=="access.denied" and e["user"]["username"]=="desk" and e["client_id"]=='"$CID"']' >"$T/denied_desk"
jget "$T/body" '[e["detail"] for e in d["entries"] if e["action"]=="access.denied" and e["user"]["username"]=="trainee"]' >"$T/denied_trainee"
contains "$T/denied_desk" "forbidden GET /api/clients/$CID/plan" && ok "the role refusal is audited with the client" ||
    not_ok "the role refusal is audited: $(cat "$T/denied_desk")"
contains "$T/denied_trainee" "certification_required POST /api/sessions/$SID/steps/extract/record" &&
    ok "the certification refusal is audited" || not_ok "the certification refusal is audited: $(cat "$T/denied_trainee")"

# ---- the audit log: neither UPDATE nor DELETE, even straight in the database (16.8) ----
if command -v sqlite3 >/dev/null; then
    # entries up to the newest now (view entries are written in batches: a later one may land
    # meanwhile and must not count as a change)
    top=$(dbq "SELECT max(id) FROM audit")
    before=$(dbq "SELECT count(*) FROM audit WHERE id <= $top")
    dbq "DELETE FROM audit" >"$T/sq" 2>&1
    [ $? -ne 0 ] && grep -q "append-only" "$T/sq" && ok "DELETE FROM audit is refused (append-only)" ||
        not_ok "DELETE FROM audit is refused: $(head -c 200 "$T/sq")"
    dbq "UPDATE audit SET action = 'nothing'" >"$T/sq" 2>&1
    [ $? -ne 0 ] && grep -q "append-only" "$T/sq" && ok "UPDATE audit is refused (append-only)" ||
        not_ok "UPDATE audit is refused: $(head -c 200 "$T/sq")"
    after=$(dbq "SELECT count(*) FROM audit WHERE id <= $top")
    [ "$before" -gt 0 ] && [ "$after" = "$before" ] && ok "every audit entry is still there ($after)" ||
        not_ok "audit entries $before -> $after"
    # erasure's own path still works: the client's entries stay, their details blanked
    req admin POST /api/clients '{"name":"Erased Client","birth_date":"1970-02-02"}'
    ECID=$(jid "$T/body")
    req admin DELETE "/api/clients/$ECID" '{"confirm":"Erased Client"}'
    expect_status 200 "a client is still erased through DELETE /api/clients/{id}"
    n=$(dbq "SELECT count(*) FROM audit WHERE client_id = $ECID")
    d=$(dbq "SELECT count(*) FROM audit WHERE client_id = $ECID AND detail <> ''")
    [ "$n" -ge 2 ] && [ "$d" = 0 ] && ok "its audit entries are kept ($n), their details blanked" ||
        not_ok "erased client's audit: $n entries, $d with details"
    if on_pg; then # the app's own role may not even try (no UPDATE/DELETE granted)
        for q in "DELETE FROM audit" "UPDATE audit SET detail = ''" "UPDATE consents SET text = ''" \
            "DELETE FROM intakes" "INSERT INTO erasing VALUES (1)"; do
            psql -qtAX -d "$PG_APP" -c "$q" >"$T/sq" 2>&1
            [ $? -ne 0 ] && grep -q "permission denied" "$T/sq" && ok "the app's role may not: $q" ||
                not_ok "the app's role may not: $q ($(head -c 200 "$T/sq"))"
        done
    fi
else
    skip "sqlite3 CLI missing (scripts/install-deps test)"
fi

stop_server && ok "server stops cleanly" || not_ok "server stops cleanly"
done_testing
