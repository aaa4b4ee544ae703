#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Browser tests of issue 17's signed record and the clinic's settings (signing.test.mjs), on a
# desktop (1280), a tablet (820) and a phone (390): the admin's clinic form (17.7) and the
# handout that shows it. Debian's Chromium driven by playwright-core against the real
# `poreclear serve --demo`; screenshots go to build/screenshots/ (PC_SCREENSHOTS).
#
#   PC_CHROMIUM=/usr/bin/chromium   the browser (skip with a message when it is missing)
#   PC_SAN=1                        browser flows skipped (the plain build runs them)
. "$(dirname "$0")/../e2e/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

browser_prereqs "signing browser tests"
start_server "poreclear serve --demo" --web "${PC_WEB:-$top/web}" --demo
base="http://127.0.0.1:$port"
declare -A pw
for u in admin demo trainee desk; do
    pw[$u]=$(grep -E "user $u +password" "$T/server.log" | grep -o 'password [A-Za-z0-9]\{16\}' | cut -d' ' -f2)
done
shots=${PC_SCREENSHOTS:-$top/build/screenshots}
mkdir -p "$shots"
PC_URL="$base" PC_PW_ADMIN="${pw[admin]}" PC_PW_DEMO="${pw[demo]}" PC_PW_TRAINEE="${pw[trainee]}" \
    PC_PW_DESK="${pw[desk]}" PC_SCREENSHOTS="$shots" PC_CHROMIUM="$chromium" \
    NODE_PATH="$here/node_modules" node --test --test-reporter=tap "$here/signing.test.mjs"
rc=$?
[ $rc -ne 0 ] && { echo "# server log (tail):"; tail -15 "$T/server.log" | sed 's/^/# /'; }
echo "# screenshots: $shots"
done_testing
[ $rc -eq 0 ] && [ "$_failed" -eq 0 ]
