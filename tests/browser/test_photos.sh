# SPDX-License-Identifier: AGPL-3.0-or-later
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
. "$here/lib.sh"

# The photo pages' pure helpers (no browser): score words, verdicts, chart scales.
if command -v node >/dev/null 2>&1; then
    node --test --test-reporter=tap "$here/photos-unit.test.mjs" | grep -E '^(not )?ok [0-9]' | sed 's/$/ (unit)/'
fi

browser_prereqs "photo browser tests"

# The photos: a before photo and the same skin after, 80 % of the comedones removed, moved,
# relit and re-compressed (docs/compare.md §9); a second visit's photo with fewer lesions.
"$PORECLEAR" synth -q --seed 3 --width 800 --height 600 -o "$T/before.png" \
    --pair "$T/after.png" --pair-set remove=0.8 --pair-truth "$T/pair.json" \
    || { not_ok "poreclear synth --pair makes the before/after photos"; done_testing; exit 1; }
"$PORECLEAR" synth -q --seed 3 --width 800 --height 600 --density 0.4 -o "$T/visit2.png" \
    || { not_ok "poreclear synth makes the second visit's photo"; done_testing; exit 1; }
ok "poreclear synth makes the before/after pair and a later visit's photo"

pw=demo-pass-12345
start_server "poreclear serve --demo" --web "$top/web" --demo --demo-password "$pw"

shots=${PC_SCREENSHOTS:-$top/build/screenshots}
mkdir -p "$shots"
PC_URL="http://127.0.0.1:$port" PC_PASSWORD="$pw" PC_SCREENSHOTS="$shots" PC_CHROMIUM="$chromium" \
    PC_BEFORE="$T/before.png" PC_AFTER="$T/after.png" PC_VISIT2="$T/visit2.png" \
    NODE_PATH="$here/node_modules" node --test --test-reporter=tap "$here/photos.test.mjs"
rc=$?
[ $rc -ne 0 ] && { echo "# server log (tail):"; tail -15 "$T/server.log" | sed 's/^/# /'; }
echo "# screenshots: $shots"
exit $rc
