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
chromium=${PC_CHROMIUM:-/usr/bin/chromium}

finish_skip() { skip "$1"; done_testing; exit 0; }

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

[ "${PC_SAN:-0}" = 1 ] && finish_skip "browser tests run against the plain build only (too slow under ASan)"
[ -x "$chromium" ] || finish_skip "browser tests: $chromium is missing (apt-get install chromium)"
command -v node >/dev/null 2>&1 || finish_skip "browser tests: node is missing (apt-get install nodejs npm)"

# playwright-core from npm into tests/browser/node_modules (git-ignored), as locked.
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
    if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >"$T/npm.log" 2>&1); then
        sed 's/^/# /' "$T/npm.log" | tail -5
        finish_skip "browser tests: npm ci could not install playwright-core (no registry?)"
    fi
fi

if "$PORECLEAR" serve --help 2>&1 | grep -q "not implemented"; then
    finish_skip "browser tests: poreclear serve is not implemented yet"
fi

mkdir -p "$T/data"
"$PORECLEAR" serve --data "$T/data" --listen 127.0.0.1:0 --port-file "$T/port" >"$T/server.log" 2>&1 &
server=$!
stop_server() { kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$T"; }
trap stop_server EXIT

up=0 port=""
for _ in $(seq 1 150); do
    [ -s "$T/port" ] && port=$(cat "$T/port")
    if [ -n "$port" ] && curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
done
if [ $up = 0 ]; then
    not_ok "poreclear serve starts and answers /healthz on 127.0.0.1"
    sed 's/^/# /' "$T/server.log" | head -20
    done_testing
    exit 1
fi
ok "poreclear serve answers /healthz on 127.0.0.1:$port"

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
