# SPDX-License-Identifier: AGPL-3.0-or-later
# The rendered plan of the demo clinic's three clients (pacemaker, isotretinoin, ordinary) and
# the ingredient check for a client with a salicylate allergy, in Debian's Chromium against the
# real `poreclear serve --demo` (issue 17.3, 17.4). Flows: demo-plans.test.mjs; screenshots go to
# build/screenshots/ (plan-*.png, ingredients-*.png).
. "$(dirname "$0")/../e2e/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

browser_prereqs "demo plan browser tests"
pw="Demo-plans-$$-k7Qz"
start_server "poreclear serve --demo" --demo --demo-password "$pw"

shots=${PC_SCREENSHOTS:-$top/build/screenshots}
mkdir -p "$shots"
PC_URL="http://127.0.0.1:$port" PC_DEMO_PASSWORD="$pw" PC_SCREENSHOTS="$shots" \
    PC_CHROMIUM="$chromium" NODE_PATH="$here/node_modules" \
    node --test --test-reporter=tap "$here/demo-plans.test.mjs"
rc=$?
[ $rc -ne 0 ] && { echo "# server log (tail):"; tail -15 "$T/server.log" | sed 's/^/# /'; }
exit $rc
