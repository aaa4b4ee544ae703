#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Every file we ship under data/ is named, with its sources and terms, in a README (or a model
# card: any .md file) in its own folder (data/README.md, docs/licensing.md).
top=$(cd "$(dirname "$0")/../.." && pwd)
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

cd "$top" || exit 1
files=$(git ls-files --cached --others --exclude-standard data | grep -v '\.md$')
[ -n "$files" ] || { echo "ok 1 # SKIP no data/ files"; echo "1..1"; exit 0; }
for f in $files; do
    d=$(dirname "$f") b=$(basename "$f")
    if ls "$d"/*.md >/dev/null 2>&1 && grep -qF -- "$b" "$d"/*.md; then
        ok "$f is described in $d/ (sources and terms)"
    else
        not_ok "$f is described in a README or model card in $d/ (sources and terms)"
    fi
done
for r in data/README.md data/ingredients/README.md; do
    if [ -f "$r" ] && grep -q 'Terms' "$r" && grep -qi 'source' "$r"; then ok "$r states sources and terms"; else
        not_ok "$r states sources and terms"; fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
