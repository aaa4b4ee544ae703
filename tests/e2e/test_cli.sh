# SPDX-License-Identifier: AGPL-3.0-or-later
# The command's own surface: --help, --version, unknown commands, exit codes.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "--version exits 0" "$PORECLEAR" --version
check "--version prints the version" grep -qE '^poreclear [0-9]+\.[0-9]+\.[0-9]+$' "$T/out"
expect_exit 0 "--help exits 0" "$PORECLEAR" --help
check "--help lists the commands" contains "$T/out" "analyze"
expect_exit 2 "no command is a usage error" "$PORECLEAR"
expect_exit 2 "unknown command is a usage error" "$PORECLEAR" frobnicate
check "unknown command is named" contains "$T/err" "unknown command 'frobnicate'"
done_testing
