#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Browser check of the sites of a chain in the staff pages (issue 14.5): a clinic of one site
# shows no site anywhere; with a second site, a practitioner of the whole chain picks the site
# in the top bar and when starting a session (the page asks rather than guesses), the client's
# sessions and the appointment book show the chosen site's. Debian's Chromium driven by
# playwright-core against the real `poreclear serve --demo`. Screenshots:
# build/screenshots/sites-*.png.
. "$(dirname "$0")/../e2e/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

browser_prereqs "sites browser check"
pw=demo-pass-12345
export TZ=Europe/Paris
start_server "poreclear serve --demo" --web "$top/web" --demo --demo-password "$pw"

shots=${PC_SCREENSHOTS:-$top/build/screenshots}
mkdir -p "$shots"
PC_URL="http://127.0.0.1:$port" PC_PASSWORD="$pw" PC_SCREENSHOTS="$shots" PC_CHROMIUM="$chromium" \
    NODE_PATH="$here/node_modules" node --test --test-reporter=tap "$here/sites.test.mjs"
rc=$?
[ $rc -ne 0 ] && { echo "# server log (tail):"; tail -15 "$T/server.log" | sed 's/^/# /'; }
exit $rc
