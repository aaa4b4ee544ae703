#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The clinic's settings (issue 17.7) against the real server: only an admin reads and changes
# them; the name, address, phone, time zone (checked against the system's zoneinfo) and logo
# (a real PNG or JPEG, size and type checked) are stored, audited, kept across a restart, and
# shown on the aftercare handout ("Call the clinic" with its number) and in the calendar file.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

demo_clinic

# real image files, made by Pillow (python3-pil, a test dependency)
$PY - "$T" <<'EOF'
import base64, io, sys
sys.path[:0] = ['/usr/lib/python3/dist-packages']
from PIL import Image
t = sys.argv[1]
def uri(fmt, mime, size, **kw):
    b = io.BytesIO(); Image.new('RGB', size, (30, 120, 90)).save(b, fmt, **kw)
    return b.getvalue(), 'data:%s;base64,%s' % (mime, base64.b64encode(b.getvalue()).decode())
raw, png = uri('PNG', 'image/png', (120, 40))
open(t + '/logo_png', 'w').write(png)
_, jpg = uri('JPEG', 'image/jpeg', (120, 40), quality=80)
open(t + '/logo_jpg', 'w').write(jpg)
# a JPEG that says it is a PNG; a truncated PNG; one too large (noise does not compress)
open(t + '/logo_liar', 'w').write(jpg.replace('image/jpeg', 'image/png'))
open(t + '/logo_cut', 'w').write('data:image/png;base64,' + base64.b64encode(raw[:len(raw) // 2]).decode())
import os
big = Image.frombytes('RGB', (300, 300), os.urandom(300 * 300 * 3)); b = io.BytesIO(); big.save(b, 'PNG')
open(t + '/logo_big', 'w').write('data:image/png;base64,' + base64.b64encode(b.getvalue()).decode())
_, gif = uri('GIF', 'image/gif', (10, 10))
open(t + '/logo_gif', 'w').write(gif)
_, wide = uri('PNG', 'image/png', (3000, 10))
open(t + '/logo_wide', 'w').write(wide)
EOF

# ---- who may ----
for who in anon recep pract trainee; do
    req $who GET /api/settings/clinic
    want=403; [ $who = anon ] && want=401
    expect_status $want "GET /api/settings/clinic as $who: $want"
    req $who PUT /api/settings/clinic '{"name":"Evil Spa"}'
    expect_status $want "PUT /api/settings/clinic as $who: $want"
done
req admin GET /api/settings/clinic
expect_status 200 "the admin reads the clinic's settings"
[ "$(jget "$T/body" '[d["name"], d["phone"], d["time_zone"], d["logo"], d["updated_at"]]')" = '["", "", "", null, null]' ] &&
    ok "nothing is set on a new clinic" || not_ok "a new clinic's settings: $(head -c 200 "$T/body")"

# ---- a handout before: no number to call ----
req pract GET "/api/sessions/$SID/aftercare.html"
expect_status 200 "the handout before the clinic is set up"
grep -qi "call the clinic\." "$T/body" && ! grep -q "910 000 000" "$T/body" && ok "before: 'call the clinic' gives no number" ||
    not_ok "the handout before the settings"

# ---- the admin sets them ----
body=$($PY -c 'import json,sys; print(json.dumps({"name": "Clínica Sol", "address": "Calle Mayor 1\n28013 Madrid", "phone": "+34 910 000 000", "time_zone": "Europe/Madrid", "logo": open(sys.argv[1]).read()}))' "$T/logo_png")
req admin PUT /api/settings/clinic "$body"
expect_status 200 "the admin sets name, address, phone, time zone and a PNG logo"
[ "$(jget "$T/body" '[d["name"], d["phone"], d["time_zone"], d["logo"][:22], d["updated_by"]["username"]]')" = '["Cl\u00ednica Sol", "+34 910 000 000", "Europe/Madrid", "data:image/png;base64,", "admin"]' ] &&
    ok "the reply carries what was stored, and who stored it" || not_ok "the stored settings: $(head -c 300 "$T/body")"
req admin GET "/api/audit?limit=20"
[ "$(jget "$T/body" '[e["detail"] for e in d["entries"] if e["action"]=="settings.update"][0]')" = "name, address, phone, time zone, logo" ] &&
    ok "audited settings.update naming what changed" || not_ok "audit of the change: $(head -c 300 "$T/body")"

# ---- refused values: 400 naming the field, nothing stored ----
refuse() { # description, body, field the message names
    req admin PUT /api/settings/clinic "$2"
    if [ "$STATUS" = 400 ] && [ "$(err_code)" = invalid ] && jget "$T/body" 'd["error"]' | grep -q "^$3"; then ok "$1: 400 naming $3"
    else not_ok "$1: $STATUS $(head -c 200 "$T/body")"; fi
}
refuse "an unknown time zone" '{"name":"X","time_zone":"Mars/Olympus"}' time_zone
refuse "a path out of zoneinfo" '{"name":"X","time_zone":"../../../etc/passwd"}' time_zone
refuse "a zoneinfo folder, not a zone" '{"name":"X","time_zone":"Europe"}' time_zone
refuse "a phone with letters" '{"name":"X","phone":"call me"}' phone
refuse "a name over 200 characters" "{\"name\":\"$(printf 'n%.0s' $(seq 201))\"}" name
refuse "an unknown member" '{"name":"X","colour":"red"}' colour
refuse "a name with a line break" '{"name":"A\nB"}' name
for f in liar cut big gif wide; do
    $PY -c 'import json,sys; print(json.dumps({"name": "X", "logo": open(sys.argv[1]).read()}))' "$T/logo_$f" >"$T/body_$f"
    refuse "logo: $f" "@$T/body_$f" logo
done
refuse "logo: not base64" '{"name":"X","logo":"data:image/png;base64,!!!!"}' logo
refuse "logo: a web address" '{"name":"X","logo":"https://evil.example/logo.png"}' logo
req admin GET /api/settings/clinic
[ "$(jget "$T/body" 'd["name"]')" = "Clínica Sol" ] && [ "$(jget "$T/body" 'd["time_zone"]')" = Europe/Madrid ] &&
    ok "refused changes stored nothing" || not_ok "refused changes stored nothing: $(head -c 200 "$T/body")"

# ---- the handout and the calendar show the clinic ----
req recep GET "/api/sessions/$SID/aftercare.html"
expect_status 200 "the handout after the clinic is set up (reception)"
contains "$T/body" "Clínica Sol" && contains "$T/body" "Calle Mayor 1<br>28013 Madrid" && ok "the handout names the clinic and its address" || not_ok "clinic name on the handout"
grep -qi "call Clínica Sol on +34 910 000 000" "$T/body" &&
    ok "'call the clinic' names it and gives its number" || not_ok "the clinic's number where the handout says to call"
contains "$T/body" 'src="data:image/png;base64,' && ok "the handout carries the logo" || not_ok "the logo on the handout"
req recep GET "/api/sessions/$SID/aftercare.ics"
expect_status 200 "the calendar after the clinic is set up"
tr -d '\r' <"$T/body" | sed ':a;N;$!ba;s/\n //g' >"$T/ics"
grep -q "^LOCATION:Clínica Sol" "$T/ics" && ok "calendar events are at the clinic (LOCATION)" || not_ok "LOCATION in the calendar"
grep -q "^DTSTART;TZID=[^:]*Europe/Madrid" "$T/ics" && grep -q "^BEGIN:VTIMEZONE" "$T/ics" && ok "calendar times are in the clinic's time zone" || not_ok "TZID in the calendar"
grep -q "910 000 000" "$T/ics" && ok "the calendar gives the clinic's phone" || not_ok "phone in the calendar"

# ---- logo kept when absent, replaced by a JPEG, removed by null ----
req admin PUT /api/settings/clinic '{"name":"Clínica Sol","address":"Calle Mayor 1","phone":"+34 910 000 000","time_zone":"Europe/Madrid"}'
expect_status 200 "a change without a logo"
[ "$(jget "$T/body" 'd["logo"][:22]')" = "data:image/png;base64," ] && ok "keeps the stored logo" || not_ok "logo kept when absent"
body=$($PY -c 'import json,sys; print(json.dumps({"name": "Clínica Sol", "logo": open(sys.argv[1]).read()}))' "$T/logo_jpg")
req admin PUT /api/settings/clinic "$body"
[ "$STATUS" = 200 ] && [ "$(jget "$T/body" 'd["logo"][:23]')" = "data:image/jpeg;base64," ] && ok "a JPEG logo replaces it" || not_ok "JPEG logo: $STATUS"
req admin PUT /api/settings/clinic '{"name":"Clínica Sol","phone":"+34 910 000 000","time_zone":"Europe/Madrid","logo":null}'
[ "$STATUS" = 200 ] && [ "$(jget "$T/body" 'd["logo"]')" = null ] && ok "logo null removes it" || not_ok "logo removed: $STATUS"

# ---- kept across a restart ----
check "server stops cleanly on SIGTERM" stop_server TERM
start_server "$DATA" || { not_ok "server restarts"; done_testing; exit 1; }
login admin admin "$DEMO_PW"
req admin GET /api/settings/clinic
[ "$(jget "$T/body" 'd["phone"]')" = "+34 910 000 000" ] && ok "the settings survive a restart" || not_ok "settings after a restart"
check "server stops cleanly on SIGTERM (exit 0, no sanitizer report)" stop_server TERM
done_testing
