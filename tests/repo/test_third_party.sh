#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# THIRD-PARTY.md is what scripts/third-party writes from the build's link line, Debian's
# package database and the browser tests' package-lock.json: stale notices fail here.
# Refresh: scripts/third-party > THIRD-PARTY.md (docs/licensing.md).
top=$(cd "$(dirname "$0")/../.." && pwd)
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if ! command -v dpkg >/dev/null || ! command -v pkg-config >/dev/null; then
    echo "ok 1 # SKIP the notices are read from Debian's package database (dpkg, pkg-config absent)"
    echo "1..1"
    exit 0
fi

if "$top/scripts/third-party" --check 2>"$T/err"; then
    ok "THIRD-PARTY.md matches what scripts/third-party writes"
else
    not_ok "THIRD-PARTY.md matches what scripts/third-party writes (refresh: scripts/third-party > THIRD-PARTY.md)"
    sed 's/^/# /' "$T/err" | head -30
fi

# What the notices must say, whatever the formatting.
f=$top/THIRD-PARTY.md
for want in "| libfftw3-single3 (fftw3) |" "GPL-2+" "/usr/share/doc/libfftw3-single3/copyright" \
    "| libc6 (glibc) |" "| playwright-core | " "Independent JPEG Group"; do
    if grep -qF -- "$want" "$f"; then ok "THIRD-PARTY.md names $want"; else not_ok "THIRD-PARTY.md names $want"; fi
done

# The staleness check itself, on a scratch copy: a new npm package, a library dropped from the
# link line, each make the committed notices stale.
c=$T/copy
mkdir -p "$c/scripts" "$c/tests/browser"
cp "$top/Makefile" "$c/"
cp "$top/scripts/third-party" "$top/scripts/install-deps" "$c/scripts/"
cp "$top/tests/browser/package-lock.json" "$c/tests/browser/"
cp "$f" "$c/"
if (cd "$c" && scripts/third-party --check) >/dev/null 2>&1; then ok "the scratch copy is current"; else
    not_ok "the scratch copy is current"; fi
python3 - "$c/tests/browser/package-lock.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["packages"]["node_modules/left-pad"] = {"version": "1.3.0", "license": "WTFPL", "dev": True}
json.dump(d, open(p, "w"), indent=2)
PY
(cd "$c" && scripts/third-party --check) >"$T/out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q '^+| left-pad | 1.3.0 | WTFPL' "$T/out"; then
    ok "a new npm package makes the notices stale (the diff names it)"
else
    not_ok "a new npm package makes the notices stale (exit $rc)"; sed 's/^/# /' "$T/out" | head
fi
cp "$top/tests/browser/package-lock.json" "$c/tests/browser/"
sed -i 's/ jansson / /' "$c/Makefile"
(cd "$c" && scripts/third-party --check) >"$T/out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q '^-| `jansson`' "$T/out"; then
    ok "a library dropped from the link line makes the notices stale"
else
    not_ok "a library dropped from the link line makes the notices stale (exit $rc)"; sed 's/^/# /' "$T/out" | head
fi

echo "1..$n"
[ "$failed" -eq 0 ]
