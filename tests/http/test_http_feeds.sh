#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Practitioners' private calendar feeds (issue 11): a secret address per practitioner that a
# calendar application subscribes to without logging in, read back with python3-icalendar; no
# client names unless the clinic turns them on; a new address replaces the old one, a revoked
# one answers 404; only the practitioner or an admin manages it; the token is stored hashed.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

SYS_PY=/usr/bin/python3
if ! $SYS_PY -c 'import icalendar' 2>/dev/null; then
    skip "python3-icalendar is needed (scripts/install-deps test)"; done_testing; exit 0
fi
export TZ=Europe/Paris
demo_clinic
req recep GET /api/users
PID=$(jget "$T/body" 'd["users"][0]["id"]')      # demo (the practitioner logged in as pract)
OTHER=$(jget "$T/body" 'd["users"][1]["id"]')    # trainee
at() { echo "${1}T$2:00$(date -d "$1 $2" +%:z)"; }
d1=$(date -d "$(date +%F) + 10 days" +%F); while [ "$(date -d "$d1" +%u)" != 2 ]; do d1=$(date -d "$d1 + 1 day" +%F); done
req recep POST /api/appointments "{\"client_id\":$CID,\"practitioner_id\":$PID,\"start\":\"$(at $d1 10:00)\"}"
expect_status 201 "an appointment in the feed's range"
A1=$(jid "$T/body")
req recep POST /api/appointments "{\"client_id\":$CID,\"practitioner_id\":$PID,\"start\":\"$(at $d1 14:00)\"}"
A2=$(jid "$T/body")
req recep POST "/api/appointments/$A2/cancel" '{"reason":"moved away"}'

req pract GET "/api/practitioners/$PID/feed"
[ "$STATUS" = 200 ] && [ "$(jget "$T/body" 'd["active"]')" = false ] && ok "no feed yet" || not_ok "feed state ($STATUS)"
req recep POST "/api/practitioners/$PID/feed"
expect_status 403 "reception may not make a practitioner's feed"
req pract POST "/api/practitioners/$OTHER/feed"
expect_status 403 "a practitioner may not make another's feed"
req pract POST "/api/practitioners/$PID/feed"
expect_status 201 "the practitioner makes their own feed"
URL1=$(jget "$T/body" 'd["url"]')
[[ $URL1 =~ ^/api/feeds/[0-9a-f]{32}\.ics$ ]] && ok "a secret address of 128 random bits" || not_ok "feed url $URL1"
token=${URL1#/api/feeds/}; token=${token%.ics}
if command -v sqlite3 >/dev/null; then
    hexq="hex(token_hash) LIKE '%$(echo -n "$token" | tr a-f A-F)%'"
    on_pg && hexq="encode(token_hash, 'hex') LIKE '%$token%'"
    [ "$(dbq "SELECT count(*) FROM feeds WHERE $hexq")" = 0 ] &&
        [ "$(dbq "SELECT count(*) FROM feeds")" = 1 ] &&
        ok "the store keeps a hash, not the token" || not_ok "token stored in clear"
else skip "sqlite3 CLI not installed"; fi

feed() { curl -s -o "$T/feed.ics" -D "$T/feed.h" -w '%{http_code}' "$BASE$1"; }
parse() { $SYS_PY -c 'import icalendar,json,sys
c=icalendar.Calendar.from_ical(open(sys.argv[1],"rb").read())
print(json.dumps({"method":str(c.get("METHOD")),"name":str(c.get("X-WR-CALNAME")),
 "events":[{"uid":str(e.get("UID")),"summary":str(e.get("SUMMARY")),"start":e.decoded("DTSTART").strftime("%H:%M %z")} for e in c.walk() if e.name=="VEVENT"]}))' "$T/feed.ics"; }
st=$(feed "$URL1")
[ "$st" = 200 ] && grep -qi '^content-type: text/calendar' "$T/feed.h" && ok "the feed opens without a login (text/calendar)" || not_ok "feed ($st)"
parse >"$T/feed.json"
[ "$(jget "$T/feed.json" '[d["method"], d["name"], len(d["events"]), d["events"][0]["summary"], d["events"][0]["start"]]')" = \
  "[\"PUBLISH\", \"Appointments: Dana Moreau\", 1, \"Appointment\", \"$(date -u -d "$(at $d1 10:00)" '+%H:%M +0000')\"]" ] &&
    ok "the feed parses: the live appointment, no client name, the cancelled one left out" || not_ok "feed: $(cat "$T/feed.json")"
! grep -q "Matrix Client" "$T/feed.ics" && ok "no client name in the feed" || not_ok "a client name in the feed"
req admin PUT /api/settings/mail '{"feed_client_names":true}'
expect_status 200 "the clinic turns client names on"
feed "$URL1" >/dev/null
grep -q "Matrix Client" "$T/feed.ics" && ok "now the feed names the client" || not_ok "client names on: $(head -c 400 "$T/feed.ics")"
req pract POST "/api/practitioners/$PID/feed"
URL2=$(jget "$T/body" 'd["url"]')
[ "$(feed "$URL1")" = 404 ] && [ "$(feed "$URL2")" = 200 ] && ok "a new address replaces the old one (404)" || not_ok "rotate"
req admin DELETE "/api/practitioners/$PID/feed"
[ "$STATUS" = 200 ] && [ "$(jget "$T/body" 'd["active"]')" = false ] && ok "an admin revokes it" || not_ok "revoke ($STATUS)"
[ "$(feed "$URL2")" = 404 ] && ok "a revoked feed answers 404" || not_ok "revoked feed still answers"
for bad in /api/feeds/0123456789abcdef0123456789abcdef.ics /api/feeds/x.ics /api/feeds/ABCDEF.ics; do
    st=$(feed "$bad"); [ "$st" = 404 ] && ok "unknown feed $bad: 404" || not_ok "unknown feed $bad ($st)"
done
req admin GET "/api/audit?limit=20"
contains "$T/body" '"feed.create"' && contains "$T/body" '"feed.revoke"' && ok "audited feed.create and feed.revoke" || not_ok "feed audit"

healthy && ok "server still healthy at the end" || not_ok "server still healthy at the end"
check "server stops cleanly on SIGTERM (exit 0, no sanitizer report)" stop_server TERM
done_testing
