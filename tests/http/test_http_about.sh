#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The about page's data and the notices (docs/licensing.md, AGPL-3.0 section 13): GET
# /api/about, /api/about/license and /api/about/notices answer logged-in users only, with the
# texts compiled into this binary, which are the repository's LICENSE and THIRD-PARTY.md.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

DATA=$T/data
start_server "$DATA" --demo --demo-password "$DEMO_PW" || { not_ok "server starts"; done_testing; exit 1; }
ok "server starts"
login recep desk "$DEMO_PW"
check "the receptionist logs in" test -s "$T/csrf_recep"

for p in /api/about /api/about/license /api/about/notices; do
    req anon GET "$p"
    expect_status 401 "$p needs a login"
    check "$p without a login says why" contains "$T/body" '"login_required"'
    if contains "$T/body" "AFFERO" || contains "$T/body" "Third-party"; then
        not_ok "$p without a login shows nothing of the texts"
    else ok "$p without a login shows nothing of the texts"; fi
done

req recep GET /api/about/license
expect_status 200 "a logged-in user gets LICENSE"
check "LICENSE is served as plain text" grep -qi '^Content-Type: text/plain; charset=utf-8' "$T/headers"
check "the served LICENSE is the repository's, byte for byte" cmp -s "$T/body" "$top/LICENSE"

req recep GET /api/about/notices
expect_status 200 "a logged-in user gets THIRD-PARTY.md"
check "THIRD-PARTY.md is served as Markdown text" grep -qi '^Content-Type: text/markdown; charset=utf-8' "$T/headers"
check "the served THIRD-PARTY.md is the repository's, byte for byte" cmp -s "$T/body" "$top/THIRD-PARTY.md"

req recep GET /api/about
expect_status 200 "a logged-in user gets /api/about"
version=$("$PORECLEAR" --version | head -1 | cut -d' ' -f2)
check "about: the version is the binary's ($version)" test "$(jget "$T/body" 'd["version"]')" = "$version"
check "about: the licence" test "$(jget "$T/body" 'd["licence"]')" = "AGPL-3.0-or-later"
src=$("$PORECLEAR" --version | sed -n 's/^Source: //p')
if [[ $src == http* ]]; then
    check "about: the source address compiled in" test "$(jget "$T/body" 'd["source_url"]')" = "$src"
else
    check "about: no source address set at build time is null" test "$(jget "$T/body" 'd["source_url"]')" = "null"
fi
check "about: the links to the texts" test "$(jget "$T/body" 'd["license_url"]+" "+d["notices_url"]')" = "/api/about/license /api/about/notices"

req recep POST /api/about/license
expect_status 405 "POST on the licence is not allowed"

req anon GET /about
expect_status 200 "the about page itself is served"
check "the about page loads its script" contains "$T/body" '/js/pages/about.js'

stop_server || not_ok "server stops cleanly"
done_testing
