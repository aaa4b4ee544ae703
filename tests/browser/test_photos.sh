# Browser tests of the clinic web app's photo pages (TAP): photos, assessment, before/after,
# progress, ingredients / products, privacy. Debian's Chromium driven by playwright-core against
# the real `poreclear serve` (a demo clinic with a known password on a fresh data folder, a free
# port of 127.0.0.1), with a synthetic before photo and an after photo with comedones removed
# made by `poreclear synth --pair`. The flows are in photos.test.mjs; screenshots go to
# build/screenshots/ (PC_SCREENSHOTS).
#
#   PC_CHROMIUM=/usr/bin/chromium   the browser (skip with a message when it is missing)
#   PC_SAN=1                        browser flows skipped (the plain build runs them)
. "$(dirname "$0")/../e2e/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
chromium=${PC_CHROMIUM:-/usr/bin/chromium}

finish_skip() { skip "$1"; done_testing; exit 0; }

# The photo pages' pure helpers (no browser): score words, verdicts, chart scales.
if command -v node >/dev/null 2>&1; then
    node --test --test-reporter=tap "$here/photos-unit.test.mjs" | grep -E '^(not )?ok [0-9]' | sed 's/$/ (unit)/'
fi

[ "${PC_SAN:-0}" = 1 ] && finish_skip "photo browser tests run against the plain build only (too slow under ASan)"
[ -x "$chromium" ] || finish_skip "photo browser tests: $chromium is missing (apt-get install chromium)"
command -v node >/dev/null 2>&1 || finish_skip "photo browser tests: node is missing (apt-get install nodejs npm)"

if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
    if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >"$T/npm.log" 2>&1); then
        sed 's/^/# /' "$T/npm.log" | tail -5
        finish_skip "photo browser tests: npm ci could not install playwright-core (no registry?)"
    fi
fi
if "$PORECLEAR" serve --help 2>&1 | grep -q "not implemented"; then
    finish_skip "photo browser tests: poreclear serve is not implemented yet"
fi

# The photos: a before photo and the same skin after, 80 % of the comedones removed, moved,
# relit and re-compressed (docs/compare.md §9); a second visit's photo with fewer lesions.
"$PORECLEAR" synth -q --seed 3 --width 800 --height 600 -o "$T/before.png" \
    --pair "$T/after.png" --pair-set remove=0.8 --pair-truth "$T/pair.json" \
    || { not_ok "poreclear synth --pair makes the before/after photos"; done_testing; exit 1; }
"$PORECLEAR" synth -q --seed 3 --width 800 --height 600 --density 0.4 -o "$T/visit2.png" \
    || { not_ok "poreclear synth makes the second visit's photo"; done_testing; exit 1; }
ok "poreclear synth makes the before/after pair and a later visit's photo"

pw=demo-pass-12345
mkdir -p "$T/data"
"$PORECLEAR" serve --data "$T/data" --web "$top/web" --listen 127.0.0.1:0 --port-file "$T/port" \
    --demo --demo-password "$pw" >"$T/server.log" 2>&1 &
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
    not_ok "poreclear serve --demo starts and answers /healthz on 127.0.0.1"
    sed 's/^/# /' "$T/server.log" | head -20
    done_testing
    exit 1
fi
ok "poreclear serve --demo answers /healthz on 127.0.0.1:$port"

shots=${PC_SCREENSHOTS:-$top/build/screenshots}
mkdir -p "$shots"
PC_URL="http://127.0.0.1:$port" PC_PASSWORD="$pw" PC_SCREENSHOTS="$shots" PC_CHROMIUM="$chromium" \
    PC_BEFORE="$T/before.png" PC_AFTER="$T/after.png" PC_VISIT2="$T/visit2.png" \
    NODE_PATH="$here/node_modules" node --test --test-reporter=tap "$here/photos.test.mjs"
rc=$?
[ $rc -ne 0 ] && { echo "# server log (tail):"; tail -15 "$T/server.log" | sed 's/^/# /'; }
echo "# screenshots: $shots"
exit $rc
