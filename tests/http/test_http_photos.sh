#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Photos against the real server (issue 7): upload + analysis in the worker pool, the
# assessment and the plan that uses it, the photo access matrix, bad uploads (each a clear 4xx,
# nothing half-stored, server healthy), before/after comparison, progress, ingredients and
# products on the handout, overload of the pool (every request 2xx or 503, peak RSS), export
# (ustar) and erasure. Real SQLite, real images made by `poreclear synth`.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

DATA=$T/data
PHOTOS=$DATA/photos
# a small pool (2 workers, 4 waiting) so that the overload below really overflows the queue
start_server "$DATA" --demo --demo-password "$DEMO_PW" --analysis-workers 2 --analysis-queue 4 ||
    { not_ok "server starts"; done_testing; exit 1; }
ok "server starts on $BASE"
login admin admin "$DEMO_PW" && login pract demo "$DEMO_PW" && login recep desk "$DEMO_PW"
check "admin, practitioner and reception log in" test -s "$T/csrf_recep"

# ---- pictures ----
"$PORECLEAR" synth -o "$T/before.png" --pair "$T/after.png" -W 400 -H 300 -s 7 \
    --pair-set dx=6 --pair-set dy=-4 --pair-set rotation=1 --pair-set scale=1 >/dev/null 2>&1
"$PORECLEAR" synth -o "$T/small.png" -W 160 -H 120 -s 3 >/dev/null 2>&1
check "synth made the photos" test -s "$T/after.png" -a -s "$T/small.png"

# upload WHO CID QUERY FILE TYPE: sets STATUS, body in $T/body
upload() {
    local who=$1 cid=$2 q=$3 file=$4 type=$5
    local args=(-s -o "$T/body" -D "$T/headers" -w '%{http_code}' -H "Content-Type: $type")
    [ "$who" != anon ] && args+=(-b "$T/jar_$who" -H "X-CSRF-Token: $(<"$T/csrf_$who")")
    STATUS=$(curl "${args[@]}" --data-binary @"$file" "$BASE/api/clients/$cid/photos?$q")
}
nfiles() { stored_files | wc -l; }
nphotos() { req admin GET "/api/clients/$1/photos"; jget "$T/body" 'len(d["photos"])'; }

# ---- set-up: two clients, a session for the first ----
req pract POST /api/clients '{"name":"Photo Client","birth_date":"1988-03-04"}'
CID=$(jget "$T/body" 'd["id"]')
req pract POST /api/clients '{"name":"Other Client","birth_date":"1979-11-12"}'
OCID=$(jget "$T/body" 'd["id"]')
req pract POST "/api/clients/$CID/intakes" '{"client":{"skin_type":"oily","fitzpatrick":3}}'
req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment","extraction","photos"],"client_name":"Photo Client"}'
CONSENT=$(jget "$T/body" 'd["id"]')
req pract POST "/api/clients/$CID/sessions" "{\"consent_id\":$CONSENT}"
expect_status 201 "set-up: a treatment session"
SID=$(jget "$T/body" 'd["id"]')

# ---- a photo needs the photo consent; nothing attaches to a signed session (issue 17) ----
req pract POST "/api/clients/$OCID/intakes" '{"client":{"skin_type":"oily","fitzpatrick":3}}'
req pract POST "/api/clients/$OCID/consents" '{"agreed":["treatment"],"client_name":"Other Client"}'
OCON=$(jget "$T/body" 'd["id"]')
req pract POST "/api/clients/$OCID/sessions" "{\"consent_id\":$OCON}"
OSID=$(jget "$T/body" 'd["id"]')
upload pract "$OCID" "kind=before&session_id=$OSID" "$T/before.png" image/png
[ "$STATUS/$(err_code)" = 409/consent_missing ] && ok "a photo in a session whose consent has no photos: 409 consent_missing" || not_ok "photo without photo consent: $STATUS $(err_code)"
upload pract "$OCID" "kind=before" "$T/before.png" image/png
[ "$STATUS/$(err_code)" = 409/consent_missing ] && ok "a photo without a session and no photo consent today: 409 consent_missing" || not_ok "photo without any photo consent: $STATUS $(err_code)"
for st in cleanse exfoliate steam extract mask high_frequency finish; do
    req pract POST "/api/sessions/$OSID/steps/$st/record" '{"outcome":"not_done","notes":"a short visit"}'
done
req pract POST "/api/sessions/$OSID/sign" "{\"password\":\"$DEMO_PW\"}"
expect_status 200 "set-up: the other client's session is signed"
req pract POST "/api/clients/$OCID/consents" '{"agreed":["treatment","photos"],"client_name":"Other Client"}'
upload pract "$OCID" "kind=after&session_id=$OSID" "$T/before.png" image/png
[ "$STATUS/$(err_code)" = 409/immutable ] && ok "nothing attaches to a signed session: 409 immutable" || not_ok "photo to a signed session: $STATUS $(err_code)"

# ---- upload, job, analysis, assessment ----
upload pract "$CID" "kind=before&session_id=$SID" "$T/before.png" image/png
expect_status 202 "practitioner uploads a before photo"
PID=$(jget "$T/body" 'd["photo"]["id"]')
JID=$(jget "$T/body" 'd["job"]["id"]')
[ "$(jget "$T/body" 'd["photo"]["width"]')x$(jget "$T/body" 'd["photo"]["height"]')" = 400x300 ] &&
    ok "the photo's size is reported" || not_ok "the photo's size is reported"
[ "$(jget "$T/body" 'd["job"]["state"] in ("queued","running","done")')" = true ] &&
    ok "a job is queued for it" || not_ok "a job is queued for it"
[ "$(wait_job "$JID")" = done ] && ok "the analysis job finishes" || not_ok "the analysis job finishes: $(head -c 300 "$T/body")"
req pract GET "/api/clients/$CID/photos/$PID/analysis"
expect_status 200 "the analysis is readable"
[ "$(jget "$T/body" '"blackhead" in d["analysis"]["counts"] and "clarity" in d["analysis"]["scores"]')" = true ] &&
    ok "it carries counts and scores" || not_ok "it carries counts and scores"
[ "$(jget "$T/body" 'd["analysis"]["detector"] == "learned" and d["analysis"]["model"].startswith("pcnet-v1-")')" = true ] &&
    ok "the learned detector made it, its model version named" ||
    not_ok "the learned detector made it: $(jget "$T/body" 'd["analysis"].get("detector"), d["analysis"].get("model")')"
req pract GET "/api/clients/$CID/assessment"
[ "$STATUS" = 200 ] && [ "$(jget "$T/body" 'd["photo"]["id"]')" = "$PID" ] &&
    ok "the assessment is the before photo's analysis" || not_ok "the assessment is the before photo's analysis"
req pract GET "/api/clients/$CID/plan"
[ "$(jget "$T/body" 'd["assessment_photo_id"]')" = "$PID" ] &&
    ok "the plan uses the latest assessment" || not_ok "the plan uses the latest assessment"
req pract GET "/api/clients/$OCID/assessment"
expect_status 404 "no assessment without an analysed photo"
req pract POST "/api/clients/$CID/photos/$PID/analysis"
expect_status 202 "a photo can be analysed again"
[ "$(wait_job "$(jget "$T/body" 'd["job"]["id"]')")" = done ] && ok "the new analysis finishes" || not_ok "the new analysis finishes"
req pract GET "/api/jobs/999999"
expect_status 404 "an unknown job: 404"

# ---- the photo access matrix ----
for route in "photos/$PID/image" "photos/$PID/overlay.png" "photos/$PID/analysis" "photos/$PID" "photos" "assessment" "progress"; do
    req anon GET "/api/clients/$CID/$route"; a=$STATUS
    req recep GET "/api/clients/$CID/$route"; r=$STATUS
    req pract GET "/api/clients/$CID/$route"; p=$STATUS
    req admin GET "/api/clients/$CID/$route"; d=$STATUS
    [ "$a/$r/$p/$d" = 401/403/200/200 ] && ok "$route: anonymous 401, reception 403, practitioner and admin 200" ||
        not_ok "$route: anonymous/reception/practitioner/admin = $a/$r/$p/$d"
done
for route in "photos/$PID/image" "photos/$PID/overlay.png" "photos/$PID/analysis" "photos/$PID"; do
    req admin GET "/api/clients/$OCID/$route"
    expect_status 404 "$route under another client's id: 404"
done
req pract GET "/api/clients/$CID/photos/$PID/image"
grep -qi '^Cache-Control: private, no-store' "$T/headers" && ok "images are Cache-Control: private, no-store" ||
    not_ok "images are Cache-Control: private, no-store"
grep -qi '^Content-Type: image/png' "$T/headers" && cmp -s "$T/body" "$T/before.png" &&
    ok "the stored photo is served unchanged" || not_ok "the stored photo is served unchanged"
FILE=$(stored_files | grep '\.png$' | head -1)
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/photos/$(basename "$FILE")")" = 404 ] &&
    ok "no URL serves the photo folder" || not_ok "no URL serves the photo folder"
basename "$FILE" | grep -Eq '^[0-9a-f]{32}\.png$' && ok "photos are stored under random 128-bit names" ||
    not_ok "photos are stored under random 128-bit names"
upload recep "$CID" "kind=before" "$T/before.png" image/png
expect_status 403 "reception cannot upload a photo"
upload anon "$CID" "kind=before" "$T/before.png" image/png
expect_status 401 "anonymous cannot upload a photo"
curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar_pract" -H 'Content-Type: image/png' \
    --data-binary @"$T/before.png" "$BASE/api/clients/$CID/photos?kind=before" >"$T/st"
[ "$(cat "$T/st")" = 403 ] && ok "an upload without the CSRF token is refused" || not_ok "an upload without the CSRF token is refused ($(cat "$T/st"))"
# a browser never waits for "100 Continue": it sends the whole photo at once, and a refusal
# must reach it (the server reads the body before answering; closing with it unread reset the
# connection and lost the reply now and then)
head -c 4000000 /dev/urandom >"$T/big.bin"
got=""
for _ in $(seq 1 20); do
    got+=$(curl -s -o /dev/null -w '%{http_code} ' -H 'Expect:' -H 'Content-Type: image/png' \
        --data-binary @"$T/big.bin" "$BASE/api/clients/$CID/photos?kind=before")
    got+=$(curl -s -o /dev/null -w '%{http_code} ' -H 'Expect:' -b "$T/jar_pract" -H 'Content-Type: image/png' \
        --data-binary @"$T/big.bin" "$BASE/api/clients/$CID/photos?kind=before")
done
[ "$got" = "$(printf '401 403 %.0s' $(seq 1 20))" ] &&
    ok "every refusal of a 4 MB photo sent without waiting reaches the client (20 x 401, 20 x 403)" ||
    not_ok "refusals of a 4 MB photo sent at once: $got"
req admin GET "/api/audit?client_id=$CID&limit=200"
jget "$T/body" '[e["action"] for e in d["entries"]]' | grep -q '"photo.view"' &&
    ok "photo views are audited" || not_ok "photo views are audited"

# ---- bad uploads: a clear 4xx, nothing stored, server healthy ----
F0=$(nfiles); N0=$(nphotos "$CID")
: >"$T/empty.png"
head -c 3000 "$T/before.png" >"$T/trunc.png"
/usr/bin/python3 - "$T" <<'EOF'
import struct, sys, zlib
t = sys.argv[1]
def chunk(k, d): return struct.pack('>I', len(d)) + k + d + struct.pack('>I', zlib.crc32(k + d) & 0xffffffff)
png = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 100000, 100000, 8, 2, 0, 0, 0))
       + chunk(b'IDAT', zlib.compress(b'\0' * 1000)) + chunk(b'IEND', b''))
open(t + '/huge.png', 'wb').write(png)
# 6500 x 6500 = 42 MP: over the server's old 40 MP cap, within the library's 100 MP; its pixel
# data is broken, so the decode (not the header check) refuses it
mid = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 6500, 6500, 8, 2, 0, 0, 0))
       + chunk(b'IDAT', zlib.compress(b'\0' * 1000)) + chunk(b'IEND', b''))
open(t + '/mid.png', 'wb').write(mid)
open(t + '/notimage.jpg', 'wb').write(b'<html>this is not a photo</html>\n' * 40)
from PIL import Image
im = Image.open(t + '/before.png').convert('RGB')
im.save(t + '/photo.jpg', quality=90)
data = open(t + '/photo.jpg', 'rb').read()
open(t + '/trunc.jpg', 'wb').write(data[:len(data) // 3])
EOF
head -c $((50 * 1024 * 1024)) /dev/zero >"$T/big.jpg"
while read -r file type want code what; do
    upload pract "$CID" "kind=before" "$T/$file" "$type"
    got=$(err_code)
    [ "$STATUS/$got" = "$want/$code" ] && ok "$what: $want $code" || not_ok "$what: got $STATUS $got, want $want $code"
    healthy || not_ok "server healthy after: $what"
done <<EOF
empty.png image/png 400 empty a zero-byte file
trunc.jpg image/jpeg 400 bad_image a truncated JPEG
trunc.png image/png 400 bad_image a truncated PNG
huge.png image/png 413 too_many_pixels a PNG claiming 100000 x 100000 pixels
mid.png image/png 400 bad_image a 42 MP PNG header passes the one (library) limit, its data does not
notimage.jpg image/jpeg 415 type_mismatch a non-image with an image extension
photo.jpg image/png 415 type_mismatch a JPEG declared as PNG
photo.jpg text/plain 415 unsupported_media_type a photo sent as text/plain
big.jpg image/jpeg 413 too_large a 50 MB body
EOF
# a 50 MB body without Content-Length (chunked): cut at the cap, still 413
STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar_pract" -H "X-CSRF-Token: $(<"$T/csrf_pract")" \
    -H 'Content-Type: image/jpeg' -H 'Transfer-Encoding: chunked' --data-binary @"$T/big.jpg" \
    "$BASE/api/clients/$CID/photos?kind=before")
[ "$STATUS/$(err_code)" = 413/too_large ] && ok "a chunked 50 MB body: 413 too_large" || not_ok "a chunked 50 MB body: got $STATUS"
upload pract "$CID" "kind=sideways" "$T/before.png" image/png
expect_status 400 "an unknown kind is refused"
upload pract "$OCID" "kind=before&session_id=$SID" "$T/before.png" image/png
expect_status 400 "another client's session is refused"
upload pract 999999 "kind=before" "$T/before.png" image/png
expect_status 404 "an unknown client: 404"
healthy && ok "server healthy after the bad uploads" || not_ok "server healthy after the bad uploads"
[ "$(nfiles)" = "$F0" ] && ok "no file left in photos/ by a refused upload" || not_ok "files in photos/: $(nfiles), was $F0"
[ "$(nphotos "$CID")" = "$N0" ] && ok "no row added by a refused upload" || not_ok "photo rows: $(nphotos "$CID"), was $N0"

# ---- before/after ----
req pract POST "/api/sessions/$SID/comparison" '{}'
expect_status 409 "no comparison without an after photo"
upload pract "$CID" "kind=after&session_id=$SID" "$T/after.png" image/png
expect_status 202 "practitioner uploads the after photo"
APID=$(jget "$T/body" 'd["photo"]["id"]')
[ "$(wait_job "$(jget "$T/body" 'd["job"]["id"]')")" = done ] && ok "the after photo is analysed" || not_ok "the after photo is analysed"
req pract GET "/api/sessions/$SID/comparison"
expect_status 404 "no comparison made yet"
req pract POST "/api/sessions/$SID/comparison" '{}'
expect_status 202 "a comparison is queued"
CJ=$(jget "$T/body" 'd["job"]["id"]')
[ "$(wait_job "$CJ")" = done ] && ok "the comparison job finishes" || not_ok "the comparison job finishes: $(head -c 300 "$T/body")"
req pract GET "/api/sessions/$SID/comparison"
expect_status 200 "the comparison is readable"
[ "$(jget "$T/body" 'd["before_photo_id"]'),$(jget "$T/body" 'd["after_photo_id"]')" = "$PID,$APID" ] &&
    ok "it compares the session's before and after photos" || not_ok "it compares the session's before and after photos"
[ "$(jget "$T/body" 'len(d["comparison"]["benefits"])')" = 4 ] && ok "four benefits with verdicts" ||
    not_ok "four benefits with verdicts: $(head -c 200 "$T/body")"
[ "$(jget "$T/body" 'd["comparison"]["detector"] == "learned" and d["comparison"]["model"].startswith("pcnet-v1-")')" = true ] &&
    ok "the comparison says the learned detector and its model" ||
    not_ok "the comparison's detector: $(jget "$T/body" 'd["comparison"].get("detector")')"
for f in sidebyside.png:image/png aligned.png:image/png chart.svg:image/svg+xml; do
    req pract GET "/api/sessions/$SID/comparison/${f%%:*}"
    [ "$STATUS" = 200 ] && grep -qi "^Content-Type: ${f#*:}" "$T/headers" &&
        grep -qi '^Cache-Control: private, no-store' "$T/headers" && ok "comparison ${f%%:*} served privately" ||
        not_ok "comparison ${f%%:*} served privately ($STATUS)"
    req recep GET "/api/sessions/$SID/comparison/${f%%:*}"
    expect_status 403 "reception cannot see comparison ${f%%:*}"
done

# ---- progress ----
req pract GET "/api/clients/$CID/progress"
[ "$(jget "$T/body" 'len(d["points"])')" = 2 ] && [ "$(jget "$T/body" 'd["sessions"][0]["id"]')" = "$SID" ] &&
    ok "progress: two analysed photos and the session date" || not_ok "progress: $(head -c 300 "$T/body")"
[ "$(jget "$T/body" '"clarity" in d["points"][0]["scores"] and "blackhead" in d["points"][0]["counts"]')" = true ] &&
    ok "progress points carry scores and counts" || not_ok "progress points carry scores and counts"
[ "$(jget "$T/body" 'all(p["detector"] == "learned" and p["model"].startswith("pcnet-v1-") for p in d["points"])')" = true ] &&
    ok "progress points say which detector counted them" || not_ok "progress points' detector: $(head -c 300 "$T/body")"

# ---- ingredients and products ----
LABEL='Aqua, Isopropyl Myristate, Cetearyl Alcohol, Glycerin, Parfum'
req recep POST /api/ingredients/check "{\"label\":\"$LABEL\"}"
if [ "$STATUS" = 503 ]; then
    skip "ingredient knowledge base not found"
else
    expect_status 200 "reception checks a label"
    jget "$T/body" 'd' | grep -qi 'isopropyl myristate' && ok "the report names the ingredients" || not_ok "the report names the ingredients"
    req pract POST "/api/clients/$CID/products" "{\"name\":\"Glow Cleanser\",\"label\":\"$LABEL\",\"decision\":\"replace\",\"reason\":\"isopropyl myristate <b>comedogenic</b>\"}"
    expect_status 201 "practitioner saves a checked product"
    req pract POST "/api/clients/$CID/products" "{\"name\":\"X\",\"label\":\"$LABEL\",\"decision\":\"maybe\"}"
    expect_status 400 "decision must be keep or replace"
    req recep POST "/api/clients/$CID/products" "{\"name\":\"X\",\"label\":\"$LABEL\",\"decision\":\"keep\"}"
    expect_status 403 "reception cannot save products"
    req pract GET "/api/clients/$CID/products"
    [ "$(jget "$T/body" 'd["products"][0]["decision"]')" = replace ] && ok "the product is on the record" || not_ok "the product is on the record"
    req pract GET "/api/sessions/$SID/aftercare"
    [ "$(jget "$T/body" 'd["products"][0]["name"]')" = "Glow Cleanser" ] && ok "the aftercare JSON lists it" ||
        not_ok "the aftercare JSON lists it: $(head -c 200 "$T/body")"
    req pract GET "/api/sessions/$SID/aftercare.html"
    contains "$T/body" "Glow Cleanser" && contains "$T/body" "&lt;b&gt;comedogenic" &&
        ok "the printable handout lists it (escaped)" || not_ok "the printable handout lists it (escaped)"
fi

# ---- overload: every upload answered 2xx or 503, the server stays up ----
# 60: one address may hold 64 connections at once (docs/web.md), still ten times the queue
N=60
[ "${PC_SAN:-0}" = 1 ] && N=40
OUT=$(/usr/bin/python3 -S "$here/photo_load.py" "$BASE" "$T/jar_pract" "$(<"$T/csrf_pract")" "$CID" "$T/before.png" "$N")
echo "# $OUT"
case $OUT in *"accepted=0 "*) not_ok "overload: some uploads accepted";; *) ok "overload: some uploads accepted";; esac
case $OUT in *"busy=0 "*) not_ok "overload: the full queue answers 503";; *) ok "overload: the full queue answers 503 with Retry-After";; esac
echo "$OUT" | grep -q "other=0 errors=0" && ok "overload: $N concurrent uploads all answered 2xx or 503 (with Retry-After)" ||
    not_ok "overload: $OUT"
healthy && ok "server up after the overload" || not_ok "server up after the overload"
ACC=$(echo "$OUT" | sed -n 's/.*accepted=\([0-9]*\).*/\1/p')
[ "$(nphotos "$CID")" = $((N0 + 1 + ACC)) ] && ok "one photo row per accepted upload" || not_ok "photo rows $(nphotos "$CID"), want $((N0 + 1 + ACC))"
RSS=$(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER_PID/status")
echo "# peak RSS of the server (VmHWM) after $N concurrent uploads: $RSS"
# let the queue drain (each photo ends done or failed)
for i in $(seq 1 600); do
    req pract GET "/api/clients/$CID/photos"
    left=$(jget "$T/body" 'sum(1 for p in d["photos"] if p["analysis_state"] in ("queued","running"))')
    [ "$left" = 0 ] && break
    sleep 0.2
done
[ "$left" = 0 ] && ok "the queue drains" || not_ok "the queue drains: $left photos still waiting"
# every photo has its file, every analysed one its overlay, nothing else is in photos/
[ "$(nfiles)" = "$(jget "$T/body" 'len(d["photos"]) + sum(1 for p in d["photos"] if p["analysis_state"] == "done") + 3')" ] &&
    ok "photos/ holds exactly the photos, overlays and the comparison's three files" ||
    not_ok "photos/ holds $(nfiles) files: $(jget "$T/body" '[p["analysis_state"] for p in d["photos"]]')"

# ---- a restart keeps photos, analyses and the comparison ----
stop_server && ok "server stops cleanly (jobs done)" || not_ok "server stops cleanly (jobs done)"
start_server "$DATA" --analysis-workers 2 --analysis-queue 4 || not_ok "server restarts"
req pract GET "/api/clients/$CID/photos/$PID/image"
[ "$STATUS" = 200 ] && cmp -s "$T/body" "$T/before.png" && ok "after a restart the photo is served" || not_ok "after a restart the photo is served ($STATUS)"
req pract GET "/api/clients/$CID/photos/$PID/analysis"
expect_status 200 "after a restart the analysis is there"
req pract GET "/api/sessions/$SID/comparison"
expect_status 200 "after a restart the comparison is there"

# ---- export ----
req pract GET "/api/clients/$CID/export"
expect_status 403 "a practitioner cannot export"
curl -s -o "$T/export.tar" -D "$T/headers" -w '%{http_code}' -b "$T/jar_admin" "$BASE/api/clients/$CID/export" >"$T/st"
[ "$(cat "$T/st")" = 200 ] && grep -qi 'Content-Disposition: attachment; filename="client-' "$T/headers" &&
    ok "admin exports the client" || not_ok "admin exports the client ($(cat "$T/st"))"
tar -tf "$T/export.tar" >"$T/list" 2>"$T/tarerr" && ok "the export is a valid tar archive" || not_ok "the export is a valid tar archive: $(head -2 "$T/tarerr")"
grep -qx client.json "$T/list" && grep -qx "photos/$PID.png" "$T/list" && grep -qx "photos/$PID-overlay.png" "$T/list" &&
    grep -q "comparisons/$SID-.*-chart.svg" "$T/list" && ok "it holds client.json, photos, overlays and the comparison" ||
    not_ok "archive contents: $(head -5 "$T/list" | tr '\n' ' ')"
mkdir -p "$T/x" && tar -xf "$T/export.tar" -C "$T/x" 2>/dev/null
cmp -s "$T/x/photos/$PID.png" "$T/before.png" && ok "the exported photo is the uploaded one" || not_ok "the exported photo is the uploaded one"
[ "$(jget "$T/x/client.json" 'd["client"]["name"]'),$(jget "$T/x/client.json" 'len(d["sessions"])'),$(jget "$T/x/client.json" 'len(d["intakes"])')" = "Photo Client,1,1" ] &&
    ok "client.json holds the client, its intake and session" || not_ok "client.json: $(head -c 200 "$T/x/client.json")"

# ---- erase ----
req pract DELETE "/api/clients/$CID" '{"confirm":"Photo Client"}'
expect_status 403 "a practitioner cannot erase"
req admin DELETE "/api/clients/$CID" '{"confirm":"Photo client"}'
expect_status 400 "erasing needs the exact name"
req admin DELETE "/api/clients/$CID" '{"confirm":"Photo Client"}'
expect_status 200 "admin erases the client"
req admin GET "/api/clients/$CID"
expect_status 404 "the client is gone"
req admin GET "/api/clients/$CID/photos/$PID/image"
expect_status 404 "its photos are gone"
sleep 0.5
[ "$(nfiles)" = 0 ] && ok "no photo, overlay or comparison file left on disk" || not_ok "files left: $(nfiles)"
if on_pg; then
    [ "$(dbq "SELECT count(*) FROM file_chunks")" = 0 ] && ok "nor a chunk of one in the database" ||
        not_ok "chunks left: $(dbq "SELECT count(*) FROM file_chunks")"
    [ -z "$(find "$PHOTOS" -type f 2>/dev/null)" ] && ok "on PostgreSQL the data folder holds no photo file" ||
        not_ok "files in the data folder on PostgreSQL: $(find "$PHOTOS" -type f | head -3)"
fi
req admin GET "/api/clients/$OCID"
expect_status 200 "the other client is untouched"
req admin GET "/api/audit?client_id=$CID&limit=500"
jget "$T/body" '[e["action"] for e in d["entries"]]' | grep -q '"client.erase"' && ok "the erasure is audited" || not_ok "the erasure is audited"
[ "$(jget "$T/body" 'sum(1 for e in d["entries"] if e["detail"])')" = 0 ] && ! grep -q "Photo Client" "$T/body" &&
    ok "the audit entries keep no personal data" || not_ok "audit keeps details: $(head -c 300 "$T/body")"
if command -v sqlite3 >/dev/null; then
    n=$(dbq "SELECT (SELECT count(*) FROM photos WHERE client_id=$CID)+(SELECT count(*) FROM tsessions WHERE client_id=$CID)+(SELECT count(*) FROM intakes WHERE client_id=$CID)+(SELECT count(*) FROM products WHERE client_id=$CID)")
    [ "$n" = 0 ] && ok "no row of the client left in the database" || not_ok "rows left: $n"
fi
grep -q "Photo Client" "$DATA/poreclear.db" && not_ok "the name is gone from the database file" || ok "the name is gone from the database file"

stop_server && ok "server stops cleanly" || not_ok "server stops cleanly"
done_testing
