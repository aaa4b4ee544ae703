# SPDX-License-Identifier: AGPL-3.0-or-later
# poreclear --version / --license / --notices: the version, the licence, the source offer and
# the notices compiled into the binary (docs/licensing.md).
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

expect_exit 0 "--version exits 0" "$PORECLEAR" --version
check "--version: first line is 'poreclear VERSION'" grep -qxE 'poreclear [0-9]+\.[0-9]+\.[0-9]+' <(head -1 "$T/out")
check "--version names the licence" contains "$T/out" "Licence: AGPL-3.0-or-later (GNU Affero General Public License v3.0 or later)"
check "--version has a Source line" grep -qE '^Source: .+' "$T/out"
check "--version says where the notices are" contains "$T/out" "'poreclear --notices'"
expect_exit 0 "--license exits 0" "$PORECLEAR" --license
check "--license prints LICENSE exactly" cmp -s "$T/out" "$top/LICENSE"
expect_exit 0 "--notices exits 0" "$PORECLEAR" --notices
check "--notices prints THIRD-PARTY.md exactly" cmp -s "$T/out" "$top/THIRD-PARTY.md"
check "--help mentions --license and --notices" sh -c "'$PORECLEAR' --help | grep -qF -- '--license | --notices'"
if [ -w /dev/full ]; then
    "$PORECLEAR" --license >/dev/full 2>"$T/err"; rc=$?
    if [ $rc -eq 3 ] && contains "$T/err" "cannot write the licence"; then ok "--license on a full disk: exit 3, said so"
    else not_ok "--license on a full disk: exit 3, said so (exit $rc)"; fi
fi
done_testing
