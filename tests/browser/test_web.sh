# SPDX-License-Identifier: AGPL-3.0-or-later
# Browser tests of the clinic web app (TAP): Debian's Chromium driven by playwright-core (npm,
# no browser download) against the real `poreclear serve` with a fresh data directory on a free
# port of 127.0.0.1. The flows are in web.test.mjs; screenshots go to build/screenshots/.
#
#   PC_CHROMIUM=/usr/bin/chromium   the browser (skip with a message when it is missing)
#   PC_SAN=1                        skipped: the plain build runs them (Chromium under the
#                                   sanitizer build's server adds nothing but minutes)
. "$(dirname "$0")/../e2e/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

# Every page module parses (cheap; also where Chromium is missing). No inline script or style:
# the server's Content-Security-Policy would refuse them.
if command -v node >/dev/null 2>&1; then
    bad=""
    for f in "$top"/web/js/*.js "$top"/web/js/pages/*.js; do
        node --experimental-default-type=module --check "$f" >"$T/check" 2>&1 || { bad="$bad ${f#"$top"/}"; sed 's/^/# /' "$T/check" | head -5; }
    done
    if [ -z "$bad" ]; then ok "web/js modules parse"; else not_ok "web/js modules parse:$bad"; fi
    if grep -nE '<script>|<script [^>]*>[^<]|style="|\son[a-z]+="' "$top"/web/*.html >"$T/inline"; then
        not_ok "no inline script, style or event handler in web/*.html"; sed 's/^/# /' "$T/inline" | head -5
    else ok "no inline script, style or event handler in web/*.html"; fi
fi

# The pages' pure helpers (node, no browser), and the intake the form sends is one the protocol
# engine accepts (exit 0 ok, 8 needs review, 9 blocked — not 4, malformed).
if command -v node >/dev/null 2>&1; then
    PC_INTAKE_OUT="$T/intake.json" node --test --test-reporter=tap "$here/unit.test.mjs" \
        | grep -E '^(not )?ok [0-9]' | sed 's/$/ (unit)/'
    "$PORECLEAR" plan --intake "$T/intake.json" >"$T/plan.out" 2>"$T/plan.err"
    rc=$?
    if [ $rc -eq 0 ] || [ $rc -eq 8 ] || [ $rc -eq 9 ]; then ok "the intake form's JSON is accepted by poreclear plan (exit $rc)"
    else not_ok "the intake form's JSON is accepted by poreclear plan (exit $rc)"; sed 's/^/# /' "$T/plan.err" | head -5; fi
fi

browser_prereqs "browser tests"
start_server "poreclear serve"

# The first start prints the admin's one-time password (16 characters) on a line naming admin.
otp=$(grep -i 'admin' "$T/server.log" | grep -io 'password[^A-Za-z0-9]*[A-Za-z0-9]\{16\}' | grep -o '[A-Za-z0-9]\{16\}$' | head -1)
if [ -z "$otp" ]; then
    not_ok "the first start prints the admin's one-time password"
    sed 's/^/# /' "$T/server.log" | head -10
    done_testing
    exit 1
fi
ok "the first start prints the admin's one-time password"

shots=${PC_SCREENSHOTS:-$top/build/screenshots}
mkdir -p "$shots"
PC_URL="http://127.0.0.1:$port" PC_ADMIN_USER=admin PC_ADMIN_PASSWORD="$otp" PC_SCREENSHOTS="$shots" \
    PC_CHROMIUM="$chromium" NODE_PATH="$here/node_modules" \
    node --test --test-reporter=tap "$here/web.test.mjs"
rc=$?
[ $rc -ne 0 ] && { echo "# server log (tail):"; tail -15 "$T/server.log" | sed 's/^/# /'; }
echo "# screenshots: $shots"
exit $rc
