#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Browser tests of the client portal (issue 12.1-3; portal.test.mjs) on a phone (390 x 844):
# the desk's invitation, the client setting a password from the link, signing in and out, the
# extra sign-in code (TOTP), the intake before the visit and the practitioner's view of it, the
# consent drawn and signed. Debian's Chromium driven by playwright-core against the real
# `poreclear serve --demo`; screenshots go to build/screenshots/portal-*.png.
. "$(dirname "$0")/../e2e/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

browser_prereqs "portal browser tests"
pw=demo-pass-12345
start_server "poreclear serve --demo" --web "${PC_WEB:-$top/web}" --demo --demo-password "$pw"
shots=${PC_SCREENSHOTS:-$top/build/screenshots}
mkdir -p "$shots"
PC_URL="http://127.0.0.1:$port" PC_PASSWORD="$pw" PC_SCREENSHOTS="$shots" PC_CHROMIUM="$chromium" \
    NODE_PATH="$here/node_modules" node --test --test-reporter=tap "$here/portal.test.mjs"
rc=$?
[ $rc -ne 0 ] && { echo "# server log (tail):"; tail -15 "$T/server.log" | sed 's/^/# /'; }
echo "# screenshots: $shots"
exit $rc
