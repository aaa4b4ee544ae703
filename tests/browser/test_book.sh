#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Browser check of the appointment book (issue 11): book from the week view, move, cancel,
# arrived, the pre-visit warnings (clinical ones for practitioners only), rebook from the
# aftercare page's "Book it now", the day view on a tablet (820 px) and a phone (390 px)
# without sideways scrolling. Debian's Chromium driven by playwright-core against the real
# `poreclear serve --demo` in the clinic time zone Europe/Paris. Screenshots:
# build/screenshots/book-*.png.
. "$(dirname "$0")/../e2e/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

browser_prereqs "appointment book browser check"
pw=demo-pass-12345
export TZ=Europe/Paris
start_server "poreclear serve --demo" --web "$top/web" --demo --demo-password "$pw"

shots=${PC_SCREENSHOTS:-$top/build/screenshots}
mkdir -p "$shots"
PC_URL="http://127.0.0.1:$port" PC_PASSWORD="$pw" PC_SCREENSHOTS="$shots" PC_CHROMIUM="$chromium" \
    NODE_PATH="$here/node_modules" node --test --test-reporter=tap "$here/book.test.mjs"
rc=$?
[ $rc -ne 0 ] && { echo "# server log (tail):"; tail -15 "$T/server.log" | sed 's/^/# /'; }
exit $rc
