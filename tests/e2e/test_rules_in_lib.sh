#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The clinic's rules live in the library (lib/clinic, issue 15): the command and the server
# (src/) keep none of their own. Each row names a rule and the code shapes that checked it in
# src/ before it moved; none may come back. A row fails with the file and line found.
cd "$(dirname "$0")/../.." || exit 2
source tests/e2e/lib.sh
src=${RULES_SRC:-src} # RULES_SRC: another tree to check (e.g. an older src/)

# rule | extended regular expression of a check of it
rules=(
    'review gate|needs_review\(|[a-z]+[.]proceed *\)|= *![a-z]+[.]proceed|"review_required"|"stale_review"'
    'certification per step|certs *& *[a-z_>.-]*certification|"certification_required"'
    'skipped steps|strcmp\([^)]*action, *"skip"\)|action *== *PC_ACTION_SKIP|"step_order"'
    'consent used once, for today|session_id *!= *0|strcmp\([a-z_.>]*day, *today\)|"consent_required"'
    'sign only when every step is recorded|not recorded yet|recorded_by *== *0|![a-z_.>]*recorded_by\b'
    'amend only signed sessions|amendments are for signed|if *\(!?[a-z_.>]*signed_\)|"immutable"'
    'password rules|PW_MIN|PW_MAX|must be at least 10|crypto_pwhash_str(_verify)? *\(|password_weak\(const'
    'user name rule|username_ok|name\[i\] *>= *.a.'
    'permissions by role|RO_ADMIN|RO_CLINIC|RO_STAFF|1u *<< *PC_ROLE_'
    'dropped intake entries need confirming|"breastfeeding" *}|confirmed\(confirm'
    'a step ended early needs a reason|EARLY_PERCENT|\* *50 *[<>]|"reason_required" *,|early_reason *&&'
    'recorded values within the protocol|json_number_value\([^)]*\) *[<>]|"out_of_range" *,|"not_in_vocabulary" *,'
    'a signature needs the password again|"password_required"|"bad_credentials" *, *"password'
    'a cancelled session changes no more|"cancelled" *,|cancel_reason *&&'
    'amendments are late entries|->at *>=? *[a-z_.>]*signed_at'
)
for row in "${rules[@]}"; do
    name=${row%%|*}
    re=${row#*|}
    hits=$(grep -rnE -- "$re" "$src"/ | grep -v '^src/.*: *\(/\*\|\*\)' || true)
    if [ -z "$hits" ]; then
        ok "no $name check in src/"
    else
        not_ok "no $name check in src/"
        echo "$hits" | head -5 | sed 's/^/# /'
    fi
done

# the command does not reach into the server's internals for account rules
if grep -qE '#include *"\.\./web/' "$src"/cli/tool_user.c; then
    not_ok "tool_user.c does not include the server's header"
else
    ok "tool_user.c does not include the server's header"
fi

# the rules are where this test says: the library has each one
check "lib/clinic holds the review gate" grep -q 'pc_clinic_review_gate' lib/clinic/session.c
check "lib/clinic holds the permissions table" grep -q 'pc_clinic_allows' lib/clinic/permissions.c
check "lib/clinic holds the password rules" grep -q 'pc_password_weak' lib/clinic/accounts.c
check "lib/clinic holds the dropped-entry rule" grep -q 'pc_clinic_intake_removals' lib/clinic/intake_removals.c
check "lib/clinic holds the early-end and recorded-values rules" grep -q 'pc_clinic_param_deviations' lib/clinic/step_values.c
check "lib/clinic holds signing with the password and cancelling" grep -q 'pc_clinic_session_cancel' lib/clinic/session.c
done_testing
