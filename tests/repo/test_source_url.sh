#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# make SOURCE_URL=... compiles the source offer (AGPL-3.0 section 13) into the binary, and a
# changed address rebuilds it (docs/licensing.md). Builds only src/web/web_about.o.
top=$(cd "$(dirname "$0")/../.." && pwd)
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
obj=$T/b/obj/src/web/web_about.o
build() { (cd "$top" && make -s --no-print-directory BUILD="$T/b" "$@" "$obj") >"$T/log" 2>&1; }

if build SOURCE_URL=https://example.org/first.tar.gz && grep -qa 'https://example.org/first.tar.gz' "$obj"; then
    ok "SOURCE_URL is compiled into the object"
else
    not_ok "SOURCE_URL is compiled into the object"; sed 's/^/# /' "$T/log" | head
fi
if build SOURCE_URL=https://example.org/second.tar.gz && grep -qa 'https://example.org/second.tar.gz' "$obj" &&
    ! grep -qa 'first.tar.gz' "$obj"; then
    ok "a new SOURCE_URL rebuilds it"
else
    not_ok "a new SOURCE_URL rebuilds it"
fi
if build SOURCE_URL=https://example.org/second.tar.gz && ! grep -q 'web_about' "$T/log"; then
    before=$(stat -c %.9Y "$obj")
    build SOURCE_URL=https://example.org/second.tar.gz
    if [ "$(stat -c %.9Y "$obj")" = "$before" ]; then ok "the same SOURCE_URL does not rebuild it"; else
        not_ok "the same SOURCE_URL does not rebuild it"; fi
else
    not_ok "the same SOURCE_URL does not rebuild it (build failed)"
fi
if build; then
    if grep -qa 'example.org' "$obj"; then not_ok "without SOURCE_URL no address is compiled in"; else
        ok "without SOURCE_URL no address is compiled in"; fi
else
    not_ok "without SOURCE_URL no address is compiled in (build failed)"
fi
if ! build "SOURCE_URL=https://example.org/a'b" && grep -q 'SOURCE_URL must be a plain address' "$T/log"; then
    ok "a SOURCE_URL with a quote is refused with a message"
else
    not_ok "a SOURCE_URL with a quote is refused with a message"
fi
if grep -qa 'GNU AFFERO GENERAL PUBLIC LICENSE' "$obj" && grep -qa 'Third-party notices' "$obj"; then
    ok "LICENSE and THIRD-PARTY.md are embedded"
else
    not_ok "LICENSE and THIRD-PARTY.md are embedded"
fi
echo "1..$n"
[ "$failed" -eq 0 ]
