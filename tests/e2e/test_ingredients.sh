# SPDX-License-Identifier: AGPL-3.0-or-later
# End-to-end tests of `poreclear ingredients`: text, --file, stdin, --json (read back by
# /usr/bin/python3), --batch (JSON Lines), --rinse-off / --threshold, errors and exit codes.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
top=$(cd "$(dirname "$0")/../.." && pwd)

LABEL='Ingredients: Aqua (Water), Isopropyl Myristate, Cetearyl Alcohol, Coco-Glucoside, Cocos Nucifera (Coconut) Oil, 1,2-Hexanediol, Titanium Dioxide (nano), Frobnicol, [+/- CI 77491, D&C Red No. 30]'

expect_exit 0 "--help exits 0" "$PORECLEAR" ingredients --help
check "--help documents --rinse-off" contains "$T/out" "--rinse-off"

expect_exit 0 "a label as TEXT exits 0" "$PORECLEAR" ingredients "$LABEL"
check "text: each ingredient in label order" $PY -c '
import sys; t=open(sys.argv[1]).read()
want=["1. Aqua (Water)","2. Isopropyl Myristate","3. Cetearyl Alcohol","4. Coco-Glucoside",
      "5. Cocos Nucifera (Coconut) Oil","6. 1,2-Hexanediol","7. Titanium Dioxide (nano)",
      "8. Frobnicol","9. CI 77491","10. D&C Red No. 30"]
pos=[t.find(w) for w in want]
sys.exit(0 if all(p>=0 for p in pos) and pos==sorted(pos) else 1)' "$T/out"
check "text: flags isopropyl myristate" grep -q "Isopropyl Myristate   \[FLAGGED\]" "$T/out"
check "text: names the source" contains "$T/out" "fulton1989 (rabbit-ear)"
check "text: summary names the highest" contains "$T/out" "Highest comedogenicity: 5 (Isopropyl Myristate"
check "text: counts the unrecognised" contains "$T/out" "1 unrecognised"
check "text: carries the caveat" contains "$T/out" "Caveat: Ratings are evidence, not a verdict"
check "text: coco-glucoside is not flagged" $PY -c '
import sys; t=open(sys.argv[1]).read(); sys.exit(0 if "4. Coco-Glucoside\n" in t else 1)' "$T/out"

expect_exit 0 "--json exits 0" "$PORECLEAR" ingredients --json "$LABEL"
check "--json: schema, label order, matches, ratings" $PY -c '
import json,sys
d=json.load(open(sys.argv[1]))
ing=d["ingredients"]; s=d["summary"]
assert [i["label"] for i in ing][:3]==["Aqua (Water)","Isopropyl Myristate","Cetearyl Alcohol"]
by={i["label"]:i for i in ing}
assert by["Aqua (Water)"]["match"]=="WATER" and by["Aqua (Water)"]["comedogenicity"] is None
ipm=by["Isopropyl Myristate"]
assert ipm["comedogenicity"]==5 and ipm["irritancy"]==3 and ipm["flagged"] is True
assert ipm["sources"][0]["source"]=="fulton1989" and ipm["confidence"]==1
assert by["Coco-Glucoside"]["match"]=="COCO-GLUCOSIDE" and by["Coco-Glucoside"]["flagged"] is False
assert by["Cetearyl Alcohol"]["match"]=="CETEARYL ALCOHOL"
assert by["Cocos Nucifera (Coconut) Oil"]["sources_disagree"] is True
assert by["Frobnicol"]["match"] is None and by["Frobnicol"]["status"]=="unrecognised"
assert by["Titanium Dioxide (nano)"]["nano"] is True
assert by["CI 77491"]["may_contain"] is True and by["D&C Red No. 30"]["match"]=="CI 73360"
assert s["max_comedogenicity"]==5 and s["max_ingredient"]=="Isopropyl Myristate"
assert s["flagged"]==3 and s["unrecognised"]==1 and s["sources_disagree"] is True
assert s["threshold"]==3 and s["rinse_off"] is False and "rabbit" in s["caveat"]
assert "fulton1989" in d["references"]
' "$T/out"

printf '%s\n' "$LABEL" >"$T/label.txt"
expect_exit 0 "--file FILE exits 0" "$PORECLEAR" ingredients --json --file "$T/label.txt"
cp "$T/out" "$T/from-file.json"
check "--file gives the same answer as TEXT" $PY -c '
import json,sys; a=json.load(open(sys.argv[1])); sys.exit(0 if a["summary"]["flagged"]==3 else 1)' "$T/from-file.json"
expect_exit 0 "- reads the label from stdin" sh -c "'$PORECLEAR' ingredients --json - <'$T/label.txt'"
check "stdin gives the same answer as --file" cmp -s "$T/out" "$T/from-file.json"
expect_exit 0 "--file - reads stdin" sh -c "'$PORECLEAR' ingredients --file - <'$T/label.txt'"

# rinse-off and threshold
expect_exit 0 "--rinse-off exits 0" "$PORECLEAR" ingredients --json --rinse-off "Lauric Acid, Sodium Lauryl Sulfate, Water"
check "--rinse-off raises the flag threshold by 2" $PY -c '
import json,sys; d=json.load(open(sys.argv[1])); s=d["summary"]
assert s["rinse_off"] and s["effective_threshold"]==5 and s["flagged"]==1
assert d["ingredients"][0]["comedogenicity"]==4 and not d["ingredients"][0]["flagged"]' "$T/out"
expect_exit 0 "--threshold 2" "$PORECLEAR" ingredients --json --threshold 2 "Cetyl Alcohol, Water"
check "--threshold 2 flags cetyl alcohol (2)" $PY -c '
import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["summary"]["flagged"]==1 else 1)' "$T/out"
expect_exit 0 "--min-confidence 0.99 refuses an OCR guess" "$PORECLEAR" ingredients --json --min-confidence 0.99 "Isopropyl Myrlstate"
check "below the confidence threshold: unrecognised with a suggestion" $PY -c '
import json,sys; i=json.load(open(sys.argv[1]))["ingredients"][0]
assert i["match"] is None and i["suggestion"]=="ISOPROPYL MYRISTATE"' "$T/out"
expect_exit 0 "an OCR typo matches fuzzily by default" "$PORECLEAR" ingredients --json "Isopropyl Myrlstate"
check "fuzzy match reports its confidence" $PY -c '
import json,sys; i=json.load(open(sys.argv[1]))["ingredients"][0]
assert i["match"]=="ISOPROPYL MYRISTATE" and i["match_kind"]=="fuzzy" and 0.88<=i["confidence"]<1' "$T/out"

# batch: plain lines and JSON Lines, one bad line
{
    echo 'Water, Isopropyl Myristate'
    echo ''
    echo '{"name": "cleanser", "label": "Aqua, Sodium Lauryl Sulfate"}'
    echo '{"name": "empty", "label": " , "}'
    echo '{"name": "broken"'
} >"$T/shelf.txt"
expect_exit 1 "--batch with a bad line exits 1" "$PORECLEAR" ingredients --batch "$T/shelf.txt"
check "--batch: one JSON line per label, errors inline" $PY -c '
import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
assert len(rows)==4
assert rows[0]["ok"] and rows[0]["line"]==1 and rows[0]["result"]["summary"]["max_comedogenicity"]==5
assert rows[1]["ok"] and rows[1]["name"]=="cleanser" and rows[1]["line"]==3
assert not rows[2]["ok"] and rows[2]["exit_code"]==4 and "no ingredient" in rows[2]["error"]
assert not rows[3]["ok"] and "JSON" in rows[3]["error"]' "$T/out"
check "--batch names the failures on stderr" contains "$T/err" "2 of 4 labels failed"
printf 'Water\nGlycerin, Squalane\n' >"$T/ok.txt"
expect_exit 0 "--batch of good labels exits 0" "$PORECLEAR" ingredients --batch "$T/ok.txt"
expect_exit 0 "--batch - reads stdin" sh -c "'$PORECLEAR' ingredients --batch - <'$T/ok.txt'"

# errors and exit codes (docs/cli.md)
expect_exit 3 "missing --file exits 3" "$PORECLEAR" ingredients --file "$T/nope.txt"
check "missing file is named" contains "$T/err" "nope.txt"
expect_exit 4 "an empty label exits 4" "$PORECLEAR" ingredients ""
check "empty label message" contains "$T/err" "no ingredient"
expect_exit 4 "a separator-only label exits 4" "$PORECLEAR" ingredients " ,; "
$PY -c 'print("Water, " * 12000)' >"$T/big.txt"
expect_exit 5 "a label over 64 KiB exits 5" "$PORECLEAR" ingredients --file "$T/big.txt"
expect_exit 5 "stdin over 64 KiB exits 5" sh -c "'$PORECLEAR' ingredients - <'$T/big.txt'"
expect_exit 2 "no label is a usage error" "$PORECLEAR" ingredients
expect_exit 2 "two label sources is a usage error" "$PORECLEAR" ingredients "Water" --file "$T/label.txt"
expect_exit 2 "unknown option" "$PORECLEAR" ingredients --frobnicate "Water"
expect_exit 2 "--threshold out of range" "$PORECLEAR" ingredients --threshold 9 "Water"
expect_exit 2 "--threshold needs a value" "$PORECLEAR" ingredients --threshold
expect_exit 3 "--kb of a missing folder exits 3" "$PORECLEAR" ingredients --kb "$T/nokb" "Water"
mkdir -p "$T/kb"
cp "$top/data/ingredients/"*.tsv "$T/kb/"
printf 'ISOPROPYL MYRISTATE\t7\t3\tfulton1989\t\t\t\n' >>"$T/kb/ratings.tsv"
expect_exit 4 "an invalid knowledge base exits 4" "$PORECLEAR" ingredients --kb "$T/kb" "Water"
check "the knowledge-base error names file and line" grep -qE 'ratings.tsv:[0-9]+: comedogenicity .7. is not 0-5' "$T/err"
expect_exit 3 "PORECLEAR_DATA without the knowledge base exits 3" env PORECLEAR_DATA="$T/empty" "$PORECLEAR" ingredients "Water"
check "the missing knowledge base is named" contains "$T/err" "knowledge base not found"
done_testing
