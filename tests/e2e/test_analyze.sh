# SPDX-License-Identifier: AGPL-3.0-or-later
# poreclear analyze: summary, JSON Lines, overlay, folders, --jobs order, per-file errors and
# exit codes (docs/cli.md).
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

"$PORECLEAR" synth -q --seed 3 -W 640 -H 480 -o "$T/a.png" --truth "$T/a.json"
"$PORECLEAR" synth -q --seed 4 -W 640 -H 480 --fitzpatrick 5 -o "$T/b.png"
"$PORECLEAR" synth -q --seed 5 -W 640 -H 480 --border 0.1 -o "$T/c.png"
head -c 3000 "$T/a.png" >"$T/truncated.png"
: >"$T/empty.png"
echo "not an image" >"$T/text.png"
$PY -c "
from PIL import Image
Image.new('RGB', (400, 300), (30, 60, 200)).save('$T/blue.png')
Image.open('$T/a.png').save('$T/a.jpg', quality=92)
"

expect_exit 0 "analyze --help exits 0" "$PORECLEAR" analyze --help
check "--help lists --overlay" contains "$T/out" "--overlay"
expect_exit 2 "no file is a usage error" "$PORECLEAR" analyze
expect_exit 2 "bad --jobs is a usage error" "$PORECLEAR" analyze --jobs 0 "$T/a.png"
expect_exit 2 "bad --px-per-mm is a usage error" "$PORECLEAR" analyze --px-per-mm -3 "$T/a.png"
check "the bad option is named" contains "$T/err" "--px-per-mm"
expect_exit 2 "unknown option" "$PORECLEAR" analyze --frobnicate "$T/a.png"

expect_exit 0 "one good photo" "$PORECLEAR" analyze "$T/a.png"
check "summary: skin share" contains "$T/out" "skin"
check "summary: a word per score" grep -qE "clarity +[0-9]+ +(excellent|good|fair|poor|very poor)" "$T/out"
check "summary: Hayashi grade" contains "$T/out" "(Hayashi)"
check "nothing on stderr" test ! -s "$T/err"
expect_exit 0 "a JPEG" "$PORECLEAR" analyze "$T/a.jpg"

expect_exit 0 "--json" "$PORECLEAR" analyze --json --px-per-mm 4.57 "$T/a.png"
check "--json is one valid JSON object" $PY -m json.tool "$T/out" /dev/null
check "--json has the documented fields" $PY -c "
import json
o = json.load(open('$T/out'))
for k in ('file','width','height','skin_fraction','findings','counts','scores','grade',
          'grade_name','grade_scale','pore_density','pore_density_unit','totals','measures'):
    assert k in o, k
assert o['width'] == 640 and o['pore_density_unit'] == 'per_cm2' and o['grade_scale'] == 'Hayashi'
assert all(f['type'] not in ('pore', 'enlarged_pore') for f in o['findings'])
for f in o['findings']:
    assert {'x','y','r','type','confidence','r_mm'} <= set(f) and 0 <= f['confidence'] <= 1
"
expect_exit 0 "--json --all" "$PORECLEAR" analyze --json --all "$T/a.png"
check "--all lists pores" $PY -c "
import json; o = json.load(open('$T/out'))
assert o['findings_include_pores'] is True
n = sum(1 for f in o['findings'] if f['type'] in ('pore','enlarged_pore'))
assert n == o['counts']['pore'] + o['counts']['enlarged_pore'], n
"

expect_exit 0 "--overlay" "$PORECLEAR" analyze --overlay "$T/ov.png" "$T/a.png"
check "the overlay is a valid PNG of the photo's size" $PY -c "
from PIL import Image
im = Image.open('$T/ov.png'); im.load()
assert im.size == (640, 480) and im.mode == 'RGB', (im.size, im.mode)
"
check "the summary names the overlay" contains "$T/out" "overlay: $T/ov.png"

# a batch with bad files in the middle: the others are analysed, exit 1
expect_exit 1 "batch with a corrupt file exits 1" \
    "$PORECLEAR" analyze --json --jobs 2 "$T/a.png" "$T/truncated.png" "$T/b.png" "$T/empty.png" "$T/c.png"
check "one JSON line per input, in input order" $PY -c "
import json
lines = [json.loads(l) for l in open('$T/out')]
assert [l['file'] for l in lines] == ['$T/a.png','$T/truncated.png','$T/b.png','$T/empty.png','$T/c.png'], lines
assert 'error' in lines[1] and 'error' in lines[3]
assert all('scores' in lines[i] for i in (0, 2, 4))
"
check "the corrupt file is named on stderr" grep -q "^poreclear: $T/truncated.png: " "$T/err"
check "the empty file is named on stderr" grep -q "^poreclear: $T/empty.png: " "$T/err"
check "exactly two errors" test "$(wc -l <"$T/err")" -eq 2

# single bad inputs: their own exit codes
expect_exit 4 "zero-byte file exits 4" "$PORECLEAR" analyze "$T/empty.png"
check "zero-byte message" grep -q "^poreclear: $T/empty.png: .*empty" "$T/err"
expect_exit 4 "not an image exits 4" "$PORECLEAR" analyze "$T/text.png"
expect_exit 4 "truncated exits 4" "$PORECLEAR" analyze "$T/truncated.png"
expect_exit 3 "missing file exits 3" "$PORECLEAR" analyze "$T/missing.png"
check "missing message names the file" grep -q "^poreclear: $T/missing.png: " "$T/err"
expect_exit 6 "no skin: refused by the capture gate" "$PORECLEAR" analyze "$T/blue.png"
check "capture gate message" grep -q "^poreclear: $T/blue.png: .*skin" "$T/err"

# a folder: its photos, sorted; overlays into a folder
mkdir "$T/dir"
cp "$T/c.png" "$T/dir/2.png"
cp "$T/a.png" "$T/dir/1.png"
cp "$T/a.jpg" "$T/dir/3.JPG"
echo "notes" >"$T/dir/readme.txt"
expect_exit 0 "a folder" "$PORECLEAR" analyze --json --jobs 3 --overlay "$T/ovs" "$T/dir"
check "folder: photos only, sorted by name" $PY -c "
import json
files = [json.loads(l)['file'] for l in open('$T/out')]
assert files == ['$T/dir/1.png', '$T/dir/2.png', '$T/dir/3.JPG'], files
"
check "folder: one overlay per photo" test -s "$T/ovs/1.overlay.png" -a -s "$T/ovs/2.overlay.png" -a -s "$T/ovs/3.overlay.png"
expect_exit 3 "several photos, --overlay naming a file" \
    "$PORECLEAR" analyze --overlay "$T/a.json" "$T/a.png" "$T/b.png"
check "overlay folder message" contains "$T/err" "a file of that name exists"
mkdir "$T/emptydir"
expect_exit 1 "an empty folder fails" "$PORECLEAR" analyze "$T/emptydir"
check "empty folder message" contains "$T/err" "no .png"
expect_exit 0 "no progress bar when stderr is not a terminal" "$PORECLEAR" analyze "$T/a.png" "$T/b.png"
check "stderr stays empty" test ! -s "$T/err"

# The detectors (docs/analysis.md): learned by default, classic on request or when the model
# file is missing (with a warning); a bad model file exits 10 and names the problem.
expect_exit 0 "default detector" "$PORECLEAR" analyze --json "$T/a.png"
check "the JSON says learned and the model version" $PY -c "
import json; o = json.load(open('$T/out'))
assert o['detector'] == 'learned' and o['model'].startswith('pcnet-v1-') and o['model_scale'] > 0, o
"
expect_exit 0 "--detector classic" "$PORECLEAR" analyze --json --detector classic "$T/a.png"
check "the JSON says classic, no model" $PY -c "
import json; o = json.load(open('$T/out'))
assert o['detector'] == 'classic' and 'model' not in o, o
"
expect_exit 2 "unknown detector" "$PORECLEAR" analyze --detector yolo "$T/a.png"
head -c 5000 "$(dirname "$PORECLEAR")/../data/model/pcnet-v1.safetensors" >"$T/cut.safetensors" 2>/dev/null ||
    head -c 5000 data/model/pcnet-v1.safetensors >"$T/cut.safetensors"
expect_exit 10 "a truncated model file exits 10" "$PORECLEAR" analyze --model "$T/cut.safetensors" "$T/a.png"
check "the message names the tensor beyond the data" grep -q "data_offsets outside the data" "$T/err"
expect_exit 10 "a missing --model exits 10" "$PORECLEAR" analyze --model "$T/nope.safetensors" "$T/a.png"
mkdir -p "$T/nodata"
PORECLEAR_DATA="$T/nodata" expect_exit 0 "no shipped model: classic" "$PORECLEAR" analyze --json "$T/a.png"
check "with a warning" contains "$T/err" "using the classic detector"
check "and the JSON says classic" $PY -c "
import json; assert json.load(open('$T/out'))['detector'] == 'classic'
"
done_testing
