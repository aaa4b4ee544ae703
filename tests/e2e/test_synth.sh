# SPDX-License-Identifier: AGPL-3.0-or-later
# poreclear synth: writes a PNG and a truth JSON, deterministic by seed, checks its options.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

expect_exit 0 "synth --help exits 0" "$PORECLEAR" synth --help
check "synth --help names --truth" contains "$T/out" "--truth"
expect_exit 0 "synth writes a photo and its truth" \
    "$PORECLEAR" synth --seed 5 --width 320 --height 240 -o "$T/a.png" --truth "$T/a.json"
check "the photo is a PNG" $PY -c "import sys; sys.exit(open('$T/a.png','rb').read(8) != b'\x89PNG\r\n\x1a\n')"
check "the truth is JSON with findings {x,y,r,type}" $PY -c "
import json
t = json.load(open('$T/a.json'))
assert t['width'] == 320 and t['height'] == 240 and t['synthetic'] is True
assert t['findings'], 'no findings'
for f in t['findings']:
    assert set(f) == {'x', 'y', 'r', 'type'}, f
    assert 0 <= f['x'] <= 320 and 0 <= f['y'] <= 240 and f['r'] > 0
    assert f['type'] in ('pore','enlarged_pore','blackhead','whitehead','papule','pustule')
assert sum(t['counts'].values()) == len(t['findings'])
"
"$PORECLEAR" synth -q --seed 5 --width 320 --height 240 -o "$T/b.png" --truth "$T/b.json"
check "same seed: identical photo" cmp -s "$T/a.png" "$T/b.png"
check "same seed: identical truth" cmp -s "$T/a.json" "$T/b.json"
"$PORECLEAR" synth -q --seed 6 --width 320 --height 240 -o "$T/c.png"
check "another seed: another photo" sh -c "! cmp -s '$T/a.png' '$T/c.png'"
expect_exit 0 "--count and --fitzpatrick and --border" \
    "$PORECLEAR" synth -q --seed 1 -W 200 -H 150 --fitzpatrick 6 --border 0.2 \
    --count papule=2 --count pore=0 --count enlarged_pore=0 --count blackhead=3 \
    --count whitehead=0 --count pustule=0 -o "$T/d.png" --truth "$T/d.json"
check "exact counts honoured" $PY -c "
import json; t = json.load(open('$T/d.json'))
assert t['counts'] == {'pore':0,'enlarged_pore':0,'blackhead':3,'whitehead':0,'papule':2,'pustule':0}, t['counts']
assert t['fitzpatrick'] == 6 and 0.2 < t['skin_fraction'] < 0.9
"
expect_exit 0 "--truth-overlay" "$PORECLEAR" synth -q --seed 5 -W 320 -H 240 -o "$T/e.png" \
    --truth-overlay "$T/e-truth.png"
check "the truth overlay is a PNG of the photo's size" $PY -c "
from PIL import Image
im = Image.open('$T/e-truth.png'); im.load(); assert im.size == (320, 240)
"
expect_exit 2 "missing -o is a usage error" "$PORECLEAR" synth --seed 1
expect_exit 2 "fitzpatrick 7 is a usage error" "$PORECLEAR" synth -o "$T/x.png" --fitzpatrick 7
check "the bad value is named" contains "$T/err" "--fitzpatrick"
expect_exit 2 "unknown --count type" "$PORECLEAR" synth -o "$T/x.png" --count freckle=3
expect_exit 2 "unknown option" "$PORECLEAR" synth -o "$T/x.png" --frobnicate
expect_exit 3 "unwritable output exits 3" "$PORECLEAR" synth -q -W 64 -H 64 -o "$T/no/such/dir/x.png"
check "no half-written file" sh -c "! ls '$T/no' 2>/dev/null"
done_testing
