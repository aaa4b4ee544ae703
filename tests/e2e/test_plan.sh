# SPDX-License-Identifier: AGPL-3.0-or-later
# poreclear plan: statuses and exit codes, --json shape, --assessment, --protocol, bad input.
. "$(dirname "$0")/lib.sh"
D=tests/data/intake
PY=/usr/bin/python3

expect_exit 0 "clean oily intake: ok" "$PORECLEAR" plan --intake $D/clean_oily.json
check "readable sheet shows the status" contains "$T/out" "STATUS: OK"
check "readable sheet lists the certifications" contains "$T/out" "Certifications required: chemical_exfoliation, extraction, high_frequency"

expect_exit 0 "example intake: modified exits 0" "$PORECLEAR" plan --intake $D/example.json --json
cp "$T/out" "$T/example.json"
if [ -x $PY ]; then
    check "--json is one object with status, steps in protocol order, certifications" $PY - "$T/example.json" <<'PYEOF'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["status"] == "modified", p["status"]
assert [s["step"] for s in p["steps"]] == ["cleanse", "exfoliate", "steam", "extract", "mask", "high_frequency", "finish"]
acts = {s["step"]: s["action"] for s in p["steps"]}
assert acts["extract"] == "skip" and acts["steam"] == "modify" and acts["exfoliate"] == "modify", acts
steam = [s for s in p["steps"] if s["step"] == "steam"][0]
assert steam["params"]["distance_cm"] == 90
for s in p["steps"]:
    for r in s["reasons"]:
        assert set(r) == {"code", "effect", "text", "source", "cites"} and r["source"] and r["cites"], r
        assert all(k in p["sources"] for k in r["cites"]), r
assert p["certifications"] == ["high_frequency"], p["certifications"]
assert p["visit_date"] == "2026-11-29" and p["client"]["skin_type"] == "oily"
PYEOF
else
    skip "/usr/bin/python3 missing"
fi

expect_exit 9 "impetigo: blocked, exit 9" "$PORECLEAR" plan --intake $D/blocked_impetigo.json
check "blocked sheet says do not treat" contains "$T/out" "do NOT treat"
expect_exit 8 "unknown medication and allergy: needs_review, exit 8" "$PORECLEAR" plan --intake $D/review_unknown.json --json
check "the unknown medication is named" contains "$T/out" '"value": "Zorblax"'
check "the unknown allergy is named" contains "$T/out" '"value": "kaolin"'

expect_exit 0 "pregnant + asthma + aspirin + Roaccutane: modified" "$PORECLEAR" plan --intake $D/combo_pregnant_asthma_aspirin.json --json
check "high frequency skipped for pregnancy" contains "$T/out" '"code": "hf_pregnancy"'
check "extraction skipped for isotretinoin (brand, upper case)" contains "$T/out" '"code": "isotretinoin_6_months"'
check "steamer moved back for asthma" contains "$T/out" '"distance_cm": 90'

# an active sunburn (a condition, not a recent procedure) gets no chemical peel (issue 16.2)
printf '%s' '{"visit_date": "2026-11-29", "client": {"id": "s-1", "skin_type": "oily"}, "conditions": ["sunburn"]}' >"$T/sunburn.json"
expect_exit 0 "active sunburn: modified" "$PORECLEAR" plan --intake "$T/sunburn.json" --json
check "active sunburn: no chemical exfoliation" contains "$T/out" '"code": "sunburn_no_chemical_exfoliation"'
check "active sunburn: no salicylic acid left in the plan" bash -c '! grep -qF "\"agent\": \"salicylic_acid\"" "$1"' _ "$T/out"

expect_exit 0 "assessment with inflamed lesions dominating" "$PORECLEAR" plan --intake $D/clean_oily.json --assessment $D/assessment_inflamed.json --json
check "extraction skipped with a referral" contains "$T/out" '"code": "assessment_inflamed_refer"'
echo '{"counts": {"papule": "many"}}' >"$T/bad_assessment.json"
expect_exit 4 "malformed assessment: exit 4" "$PORECLEAR" plan --intake $D/clean_oily.json --assessment "$T/bad_assessment.json"
check "assessment error names the file and field" contains "$T/err" "bad_assessment.json: \$.counts.papule"

expect_exit 4 "fitzpatrick out of range: exit 4" "$PORECLEAR" plan --intake $D/bad_fitzpatrick.json
check "error names the field" contains "$T/err" "bad_fitzpatrick.json: \$.client.fitzpatrick: must be an integer 1..6"
expect_exit 4 "bad date: exit 4" "$PORECLEAR" plan --intake $D/bad_date.json
check "error names the date's path" contains "$T/err" "\$.medications[0].last_taken: bad date"
expect_exit 4 "missing client: exit 4" "$PORECLEAR" plan --intake $D/missing_client.json
check "error says the client is missing" contains "$T/err" "\$.client: missing"
expect_exit 3 "missing intake file: exit 3" "$PORECLEAR" plan --intake "$T/nope.json"
expect_exit 2 "no --intake: usage" "$PORECLEAR" plan

# --protocol: a clinic's own file (order changed), and a broken one reported with line:column
sed 's/"extract", "mask", "high_frequency"/"extract", "high_frequency", "mask"/' data/protocol.json >"$T/spa.json"
expect_exit 0 "--protocol with another order" "$PORECLEAR" plan --intake $D/clean_oily.json --protocol "$T/spa.json" --json
if [ -x $PY ]; then
    check "steps follow the file's order" $PY -c 'import json,sys; p=json.load(open(sys.argv[1])); assert [s["step"] for s in p["steps"]][4:6] == ["high_frequency", "mask"]' "$T/out"
fi
sed 's/"effect": "skip", "scope": "steam", "code": "steam_rosacea"/"effect": "vanish", "scope": "steam", "code": "steam_rosacea"/' data/protocol.json >"$T/broken.json"
expect_exit 4 "broken protocol: exit 4" "$PORECLEAR" plan --intake $D/clean_oily.json --protocol "$T/broken.json"
line=$(grep -n '"effect": "vanish"' "$T/broken.json" | cut -d: -f1)
check "broken protocol: file, line and column" grep -qE "broken.json:$line:[0-9]+: unknown effect \"vanish\"" "$T/err"
# the real thing: poreclear analyze --json of a photo as the assessment
img=$(ls "${PC_SHARED:-/nonexistent}"/data/acne04-dev/*.jpg 2>/dev/null | head -1)
if [ -n "$img" ] && "$PORECLEAR" analyze --json "$img" >"$T/analysis.json" 2>/dev/null; then
    expect_exit 0 "plan with the assessment from analyze --json" "$PORECLEAR" plan --intake $D/clean_oily.json --assessment "$T/analysis.json" --json
    check "the plan still has every step" contains "$T/out" '"step": "finish"'
else
    skip "no acne04-dev photo (PC_SHARED unset) or analyze failed: real assessment not tested"
fi
PORECLEAR_DATA="$T/empty" expect_exit 3 "shipped protocol missing: exit 3" "$PORECLEAR" plan --intake $D/clean_oily.json
done_testing
