# SPDX-License-Identifier: AGPL-3.0-or-later
# Helpers for end-to-end tests of the poreclear command: TAP output, one line per check.
# Source it; use PORECLEAR (the binary), T (a fresh temporary folder, removed on exit).
: "${PORECLEAR:?PORECLEAR must name the poreclear binary}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
_n=0
_failed=0

ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $*"; }
skip() { _n=$((_n + 1)); echo "ok $_n # SKIP $*"; }
# check "description" command...   (passes when the command exits 0)
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# expect_exit CODE "description" command...   (runs the command, output to $T/out, $T/err)
expect_exit() {
    local want=$1 d=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    if [ "$got" -eq "$want" ]; then ok "$d"; else
        not_ok "$d (exit $got, want $want)"; sed 's/^/# /' "$T/err" | head -5; fi
}
# contains FILE TEXT: the file contains the fixed string
contains() { grep -qF -- "$2" "$1"; }
done_testing() { echo "1..$_n"; [ "$_failed" -eq 0 ]; }
