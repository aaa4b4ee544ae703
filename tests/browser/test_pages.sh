# SPDX-License-Identifier: AGPL-3.0-or-later
# Browser tests of what each role sees, on a desktop (1280), a tablet (820) and a phone (390):
# roles in the pages, error messages in words, no horizontal overflow on any page, keyboard
# focus after Start / Sign, axe-core on every page, the session's step states, aftercare for
# reception, medical alerts, contact validation, the unknown page (issue 17, items 5, 6, 8, 9,
# 10). Debian's Chromium driven by playwright-core; axe-core from npm (tests/browser). The demo
# clinic is made with random passwords, one per account (item 9), read from the server's
# output. The flows are in pages.test.mjs; screenshots go to build/screenshots/ (PC_SCREENSHOTS).
#
#   PC_CHROMIUM=/usr/bin/chromium   the browser (skip with a message when it is missing)
#   PC_SAN=1                        browser flows skipped (the plain build runs them)
. "$(dirname "$0")/../e2e/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

# The pages' helpers (no browser): every error code has its words, no code is shown raw.
if command -v node >/dev/null 2>&1; then
    node --test --test-reporter=tap "$here/pages-unit.test.mjs" | grep -E '^(not )?ok [0-9]' | sed 's/$/ (unit)/'
fi

browser_prereqs "page browser tests"
start_server "poreclear serve --demo" --web "${PC_WEB:-$top/web}" --demo
base="http://127.0.0.1:$port"

# Item 9: the demo clinic prints one password per account, each different, each signs in.
declare -A pw
for u in admin demo trainee desk; do
    pw[$u]=$(grep -E "user $u +password" "$T/server.log" | grep -o 'password [A-Za-z0-9]\{16\}' | cut -d' ' -f2)
done
distinct=$(printf '%s\n' "${pw[@]}" | grep -c . )
uniq=$(printf '%s\n' "${pw[@]}" | sort -u | grep -c .)
if [ "$distinct" = 4 ] && [ "$uniq" = 4 ]; then ok "the demo clinic prints four passwords, one per account, all different"
else not_ok "the demo clinic prints four passwords, one per account, all different ($uniq different of $distinct)"; sed 's/^/# /' "$T/server.log" | head -8; fi
for u in admin demo trainee desk; do
    st=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        --data "{\"username\":\"$u\",\"password\":\"${pw[$u]}\"}" "$base/api/login")
    [ "$st" = 200 ] && ok "demo account $u signs in with its own printed password" || not_ok "demo account $u signs in with its own printed password ($st)"
done
st=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    --data "{\"username\":\"trainee\",\"password\":\"${pw[demo]}\"}" "$base/api/login")
[ "$st" = 401 ] && ok "the practitioner's password does not open the trainee's account" || not_ok "the practitioner's password does not open the trainee's account ($st)"

# Item 10: an unknown page is a page (HTML, 404), not raw JSON; API routes and files stay JSON.
curl -s -D "$T/h404" -o "$T/b404" "$base/no-such-page"
if grep -q '^HTTP/1.1 404' "$T/h404" && grep -qi '^Content-Type: text/html' "$T/h404" && grep -q 'Page not found' "$T/b404"; then
    ok "an unknown page answers 404 with an HTML page saying so"
else not_ok "an unknown page answers 404 with an HTML page saying so"; sed 's/^/# /' "$T/h404" "$T/b404" | head -12; fi
curl -s -D "$T/h404" -o "$T/b404" "$base/api/no-such-route"
grep -qi '^Content-Type: application/json' "$T/h404" && grep -q '"not_found"' "$T/b404" \
    && ok "an unknown API route stays a JSON 404" || not_ok "an unknown API route stays a JSON 404"
curl -s -D "$T/h404" -o "$T/b404" "$base/js/no-such-module.js"
grep -q '^HTTP/1.1 404' "$T/h404" && grep -qi '^Content-Type: application/json' "$T/h404" \
    && ok "a missing script file is a JSON 404 (not a page)" || not_ok "a missing script file is a JSON 404 (not a page)"

# Item 10: phone and e-mail of a new client are checked by the server, against the same table
# the page's check is tested with (contact-cases.json).
if python3 - "$base" "${pw[demo]}" "$here/contact-cases.json" >"$T/contacts" 2>&1 <<'PY'
import http.cookiejar, json, sys, urllib.error, urllib.request
base, pw, cases = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
jar = http.cookiejar.CookieJar()
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
def post(path, body, csrf=None):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    if csrf: req.add_header("X-CSRF-Token", csrf)
    try:
        with op.open(req) as r: return r.status, json.load(r)
    except urllib.error.HTTPError as e: return e.code, json.load(e)
st, s = post("/api/login", {"username": "demo", "password": pw})
assert st == 200, st
bad = []
for field in ("phone", "email"):
    for value, want in cases[field]:
        st, body = post("/api/clients", {"name": "Contact Check", "birth_date": "1990-01-01", field: value}, s["csrf_token"])
        ok = st == 201 if want else (st == 400 and body.get("code") == "invalid" and body["error"].startswith(field))
        if not ok: bad.append(f"{field} {value!r}: {st} {body}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
then ok "the server accepts and refuses phone numbers and e-mail addresses as the page does (contact-cases.json)"
else not_ok "the server accepts and refuses phone numbers and e-mail addresses as the page does (contact-cases.json)"; sed 's/^/# /' "$T/contacts" | head -10; fi

shots=${PC_SCREENSHOTS:-$top/build/screenshots}
mkdir -p "$shots"
PC_URL="$base" PC_PW_ADMIN="${pw[admin]}" PC_PW_DEMO="${pw[demo]}" PC_PW_TRAINEE="${pw[trainee]}" \
    PC_PW_DESK="${pw[desk]}" PC_SCREENSHOTS="$shots" PC_CHROMIUM="$chromium" \
    NODE_PATH="$here/node_modules" node --test --test-reporter=tap "$here/pages.test.mjs"
rc=$?
[ $rc -ne 0 ] && { echo "# server log (tail):"; tail -15 "$T/server.log" | sed 's/^/# /'; }
echo "# screenshots: $shots"
done_testing
[ $rc -eq 0 ] && [ "$_failed" -eq 0 ]
