# SPDX-License-Identifier: AGPL-3.0-or-later
# poreclear compare: synthetic pairs through the real command, refusals and exit codes, and
# (when ../shared is present) real photos against a moved, relit, re-compressed copy.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

expect_exit 0 "compare --help exits 0" "$PORECLEAR" compare --help
check "compare --help names --overlay and --chart" sh -c "grep -qF -- --overlay '$T/out' && grep -qF -- --chart '$T/out'"
expect_exit 2 "one photo is a usage error" "$PORECLEAR" compare only.png
expect_exit 2 "unknown option is a usage error" "$PORECLEAR" compare --frobnicate a b
expect_exit 2 "bad --noise-samples is a usage error" "$PORECLEAR" compare --noise-samples 0 a b

# A synthetic pair: half the comedones removed, moved, relit, re-compressed.
expect_exit 0 "synth --pair writes a before/after pair" \
    "$PORECLEAR" synth -q --seed 3 -W 640 -H 480 -o "$T/before.png" --pair "$T/after.png" \
    --pair-truth "$T/pair.json" --pair-set rotation=-7.5 --pair-set scale=1.1 \
    --pair-set dx=14 --pair-set dy=-9 --pair-set exposure=0.85 --pair-set jpeg=88
expect_exit 3 "a missing photo exits 3" "$PORECLEAR" compare "$T/before.png" "$T/nope.png"
check "the missing photo is named" contains "$T/err" "nope.png"
printf 'not a photo\n' >"$T/text.jpg"
expect_exit 4 "a text file named .jpg exits 4" "$PORECLEAR" compare "$T/before.png" "$T/text.jpg"
check "it says why" contains "$T/err" "not a PNG, JPEG or WebP image"

expect_exit 0 "compare --json --overlay --chart" "$PORECLEAR" compare --json \
    --overlay "$T/overlay.png" --chart "$T/chart.svg" "$T/before.png" "$T/after.png"
cp "$T/out" "$T/result.json"
check "JSON has the transform, four benefits and the finding lists; transform recovered" $PY -c "
import json, math
r = json.load(open('$T/result.json'))
t = json.load(open('$T/pair.json'))['transform']
g = r['transform']
for k in ('dx', 'dy', 'rotation_deg', 'scale', 'quality'): assert k in g, k
assert abs(g['dx'] - t['dx']) <= 2 and abs(g['dy'] - t['dy']) <= 2, (g, t)
assert abs(g['rotation_deg'] - t['rotation_deg']) <= 0.5 and abs(g['scale'] / t['scale'] - 1) <= 0.01
for b in ('pores', 'comedones', 'clarity', 'absorption'):
    for k in ('before', 'after', 'change', 'relative_change', 'noise', 'verdict'): assert k in r['benefits'][b], (b, k)
assert r['benefits']['absorption']['proxy'] is True
f = r['findings']
for k in ('disappeared', 'stayed', 'appeared'): assert f['counts'][k] == len(f[k])
assert r['benefits']['comedones']['verdict'] == 'improved', r['benefits']['comedones']
assert f['counts']['disappeared'] >= 10
"
check "the overlay is a PNG wider than two photos" $PY -c "
import struct
d = open('$T/overlay.png', 'rb').read(24)
assert d[:8] == b'\x89PNG\r\n\x1a\n'
w, h = struct.unpack('>II', d[16:24]); assert w > 1280 and h > 480, (w, h)"
check "the chart is SVG naming the four benefits with their verdicts; its bars follow them" $PY -c "
import json, re, xml.etree.ElementTree as ET
r = json.load(open('$T/result.json'))['benefits']
root = ET.parse('$T/chart.svg').getroot()
ns = '{http://www.w3.org/2000/svg}'
assert root.tag == ns + 'svg', root.tag
assert 'before / after' in root.find(ns + 'title').text
desc = root.find(ns + 'desc').text
for b in ('pores', 'comedones', 'clarity', 'absorption'):
    m = re.search(b + r'( \(proxy\))?: before ([0-9.]+), after ([0-9.]+) .*?, (improved|worse|no significant change)[;.]', desc)
    assert m, (b, desc)
    assert m.group(4) == r[b]['verdict'].replace('_', ' '), (b, m.group(4), r[b]['verdict'])
    assert abs(float(m.group(2)) - r[b]['before']) <= 0.01 * abs(r[b]['before']) + 0.01, (b, m.group(2))
# the bars: four grey 'before' bars, the 'after' bars coloured by their verdicts
svg = open('$T/chart.svg').read()
colour = {'improved': 'rgb(15%,65%,30%)', 'worse': 'rgb(85%,20%,20%)', 'no_significant_change': 'rgb(35%,50%,75%)'}
assert svg.count('fill:rgb(60%,60%,60%)') == 4, 'four before bars'
for v, c in colour.items():
    want = sum(1 for b in r.values() if b['verdict'] == v)
    assert svg.count('fill:' + c) == want, (v, svg.count('fill:' + c), want)
"

expect_exit 0 "the readable summary" "$PORECLEAR" compare "$T/before.png" "$T/after.png"
check "summary lists the benefits, the proxy note and the lesions" sh -c \
    "grep -q '^comedones' '$T/out' && grep -q 'absorption is a proxy' '$T/out' && grep -q '^lesions:' '$T/out'"
check "summary names the learned detector and its model" grep -q '^lesion detector: learned, model pcnet-v1-' "$T/out"

# The lesion detector, as in analyze: the learned one by default (the JSON says which and the
# model version), classic on request; a bad model file exits 10.
check "the JSON says learned and the model version" $PY -c "
import json; r = json.load(open('$T/result.json'))
assert r['detector'] == 'learned' and r['model'].startswith('pcnet-v1-'), (r.get('detector'), r.get('model'))
"
expect_exit 0 "compare --detector classic" "$PORECLEAR" compare --json --detector classic \
    "$T/before.png" "$T/after.png"
check "the JSON says classic, no model" $PY -c "
import json; r = json.load(open('$T/out'))
assert r['detector'] == 'classic' and 'model' not in r, r.get('detector')
assert r['benefits']['comedones']['verdict'] == 'improved', r['benefits']['comedones']
"
expect_exit 2 "compare: unknown detector" "$PORECLEAR" compare --detector yolo "$T/before.png" "$T/after.png"
expect_exit 2 "compare: --model with --detector classic" "$PORECLEAR" compare --detector classic \
    --model x.safetensors "$T/before.png" "$T/after.png"
expect_exit 10 "compare: a missing --model exits 10" "$PORECLEAR" compare --model "$T/nope.safetensors" \
    "$T/before.png" "$T/after.png"
check "the message names the model file" contains "$T/err" "nope.safetensors"

# Two unrelated photos: refused, exit 7.
"$PORECLEAR" synth -q --seed 11 -W 640 -H 480 --fitzpatrick 2 -o "$T/other.png"
expect_exit 7 "unrelated photos are refused with exit 7" "$PORECLEAR" compare "$T/before.png" "$T/other.png"
check "with the reason" contains "$T/err" "do not show the same skin"
check "no overlay is written when refused" sh -c "! $PORECLEAR compare --overlay '$T/ov2.png' '$T/before.png' '$T/other.png' 2>/dev/null && [ ! -e '$T/ov2.png' ]"

# Real photos, each against a rotated, scaled, relit, re-compressed copy of itself: no
# significant change and the transform recovered (the whole set: scripts/eval-compare).
data=${PC_SHARED:+$PC_SHARED/data/acne04-dev}
if [ -z "$data" ] || [ ! -d "$data" ]; then
    skip "acne04-dev photos vs moved copies: ../shared/data/acne04-dev is absent"
elif ! $PY -c "import PIL" 2>/dev/null; then
    skip "acne04-dev photos vs moved copies: python3-pil is missing"
else
    n=8; [ "${PC_SAN:-0}" = 1 ] && n=3
    top=$(cd "$(dirname "$0")/../.." && pwd)
    if "$top/scripts/eval-compare" "$BUILD" --data "$data" --limit $n --quiet >"$T/eval" 2>&1; then
        ok "acne04-dev: $n photos vs moved, relit, re-compressed copies: no significant change"
    else
        not_ok "acne04-dev: $n photos vs moved copies"; sed 's/^/# /' "$T/eval" | tail -12
    fi
    sed 's/^/# /' "$T/eval" | grep -E 'alignment over|refused'
    one=$(ls "$data"/*.jpg | sed -n 1p) other=$(ls "$data"/*.jpg | sed -n 150p)
    expect_exit 7 "acne04-dev: photos of two different people are refused (exit 7)" \
        "$PORECLEAR" compare "$one" "$other"
fi
done_testing
