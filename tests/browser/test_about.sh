# SPDX-License-Identifier: AGPL-3.0-or-later
# Browser check of the about page (docs/licensing.md): every page's footer links it; it shows
# the version, the licence, the source offer, and links to LICENSE and THIRD-PARTY.md, which
# open for a signed-in user and are the repository's own texts. Debian's Chromium driven by
# playwright-core against the real `poreclear serve --demo`. Screenshot: build/screenshots/about.png.
. "$(dirname "$0")/../e2e/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

browser_prereqs "about page browser check"
pw=demo-pass-12345
start_server "poreclear serve --demo" --web "$top/web" --demo --demo-password "$pw"

shots=${PC_SCREENSHOTS:-$top/build/screenshots}
mkdir -p "$shots"
PC_URL="http://127.0.0.1:$port" PC_PASSWORD="$pw" PC_SCREENSHOTS="$shots" PC_CHROMIUM="$chromium" \
    PC_VERSION="$("$PORECLEAR" --version | head -1 | cut -d' ' -f2)" PC_LICENSE="$top/LICENSE" \
    PC_NOTICES="$top/THIRD-PARTY.md" NODE_PATH="$here/node_modules" \
    node --test --test-reporter=tap "$here/about.test.mjs"
rc=$?
[ $rc -ne 0 ] && { echo "# server log (tail):"; tail -15 "$T/server.log" | sed 's/^/# /'; }
exit $rc
