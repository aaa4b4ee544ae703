#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The licence: LICENSE is the FSF's AGPL-3.0 text, and every source file carries the SPDX line
# (scripts/spdx-headers --check), so a new file without it fails here (docs/licensing.md).
top=$(cd "$(dirname "$0")/../.." && pwd)
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# the FSF's agpl-3.0.txt (661 lines), byte for byte: see docs/licensing.md for where it came from
want=8486a10c4393cee1c25392769ddd3b2d6c242d6ec7928e1414efff7dfb2f07ef
got=$(sha256sum "$top/LICENSE" 2>/dev/null | cut -d' ' -f1)
if [ "$got" = "$want" ]; then ok "LICENSE is the AGPL-3.0 text, unchanged"; else
    not_ok "LICENSE is the AGPL-3.0 text, unchanged (sha256 ${got:-missing})"; fi

if (cd "$top" && scripts/spdx-headers --check) >"$T/check" 2>&1; then
    ok "every source file in the tree has the SPDX line"
else
    not_ok "every source file in the tree has the SPDX line"
    sed 's/^/# /' "$T/check" | head -20
fi

# The checker itself, on a scratch repository: a new file without the line is named and fails.
r=$T/repo
mkdir -p "$r/scripts" "$r/src" "$r/tests/data"
cp "$top/scripts/spdx-headers" "$r/scripts/"
git -C "$r" init -q
printf '/* SPDX-License-Identifier: AGPL-3.0-or-later */\nint a;\n' >"$r/src/good.c"
printf 'int b;\n' >"$r/src/new.c"
printf '#!/bin/sh\necho hi\n' >"$r/scripts/tool"
printf 'not a source\n' >"$r/tests/data/x.c"
(cd "$r" && scripts/spdx-headers --check) >"$T/out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -qx 'no SPDX line: src/new.c' "$T/out" &&
    grep -qx 'no SPDX line: scripts/tool' "$T/out"; then
    ok "--check names a new file without the line and exits 1"
else
    not_ok "--check names a new file without the line and exits 1 (exit $rc)"
    sed 's/^/# /' "$T/out"
fi
if ! grep -q 'good.c\|tests/data' "$T/out"; then ok "--check passes files with the line, skips test data"; else
    not_ok "--check passes files with the line, skips test data"; fi
(cd "$r" && scripts/spdx-headers --fix) >/dev/null 2>&1
if [ "$(head -1 "$r/src/new.c")" = '/* SPDX-License-Identifier: AGPL-3.0-or-later */' ] &&
    [ "$(sed -n 2p "$r/scripts/tool")" = '# SPDX-License-Identifier: AGPL-3.0-or-later' ] &&
    (cd "$r" && scripts/spdx-headers --check) >/dev/null 2>&1; then
    ok "--fix adds the line (after a shebang) and --check then passes"
else
    not_ok "--fix adds the line (after a shebang) and --check then passes"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
