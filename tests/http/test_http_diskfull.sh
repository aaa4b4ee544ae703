#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# A full disk (issue 16.9), for real: the data folder on an 8 MiB tmpfs, filled up while the
# server runs. A change then answers 507 insufficient_storage with a message (never 500) and
# stores nothing half-way; reads keep working; once space is freed, changes work again.
# Needs root for the mount (skipped otherwise); the tmpfs is unmounted on exit.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

if on_pg; then # the records are in PostgreSQL, not on the data folder's disk
    skip "a full disk under PostgreSQL is the database server's (SQLSTATE 53100 answers 507)"
    done_testing; exit 0
fi
MNT=$T/small
mkdir -p "$MNT"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=8m,mode=0700 tmpfs "$MNT" 2>/dev/null; then
    skip "mounting a small tmpfs needs root (the full-disk test)"
    done_testing; exit 0
fi
trap 'stop_server KILL; umount "$MNT" 2>/dev/null; rm -rf "$T"' EXIT

DATA=$MNT/data
start_server "$DATA" --demo --demo-password "$DEMO_PW" || { not_ok "server starts"; done_testing; exit 1; }
ok "server starts with its data on an 8 MiB tmpfs"
login admin admin "$DEMO_PW" && login pract demo "$DEMO_PW"
check "admin and practitioner log in" test -s "$T/csrf_pract"
req admin POST /api/clients '{"name":"Before Full","birth_date":"1980-03-03"}'
expect_status 201 "a client is created while there is room"
CID=$(jid "$T/body")
# a photo needs today's consent to photos (issue 17.1, lib/clinic)
req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment","photos"],"client_name":"Before Full"}'
expect_status 201 "the client consents to photos while there is room"
"$PORECLEAR" synth -o "$T/photo.png" -W 320 -H 240 -s 5 >/dev/null 2>&1

# fill the disk: a file takes every free block
dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
avail=$(df --output=avail -k "$MNT" | tail -1 | tr -d ' ')
[ "$avail" = 0 ] && ok "the disk is full" || not_ok "the disk is full ($avail KiB left)"

# changes: 507 with a message, tried several times (SQLite may still find room in its WAL
# for the first one); never a 500
got507=0 got500=0 created=0
for i in $(seq 1 20); do
    req admin POST /api/clients "{\"name\":\"Full Disk $i\",\"birth_date\":\"1980-03-03\"}"
    case $STATUS in 507) got507=$((got507 + 1)); cp "$T/body" "$T/body507";; 500) got500=$((got500 + 1));;
        201) created=$((created + 1));; esac
done
echo "# 20 creations on a full disk: $got507 x 507, $created x 201, $got500 x 500"
[ "$got507" -ge 1 ] && [ "$got500" = 0 ] && ok "a change on a full disk answers 507, never 500" ||
    not_ok "a change on a full disk answers 507 ($got507 x 507, $got500 x 500)"
if [ -s "$T/body507" ]; then
    [ "$(jget "$T/body507" 'd["code"]')" = insufficient_storage ] && grep -q "disk is full" "$T/body507" &&
        ok "the 507 says the disk is full (insufficient_storage)" || not_ok "507 body: $(head -c 200 "$T/body507")"
fi
upload() {
    STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar_pract" -H "X-CSRF-Token: $(<"$T/csrf_pract")" \
        -H 'Content-Type: image/png' --data-binary @"$1" "$BASE/api/clients/$CID/photos?kind=before")
}
upload "$T/photo.png"
expect_status 507 "a photo upload on a full disk answers 507"

# reads keep working
req admin GET /api/clients
expect_status 200 "the client list is read on a full disk"
n=$(jget "$T/body" 'd["total"]')
req pract GET "/api/clients/$CID"
expect_status 200 "a client's record is read on a full disk"
healthy && ok "healthy on a full disk" || not_ok "healthy on a full disk"

# space again: changes work, nothing half-stored
rm -f "$MNT/filler"
req admin POST /api/clients '{"name":"After Full","birth_date":"1980-03-03"}'
expect_status 201 "with space again a change works"
req admin GET /api/clients
[ "$(jget "$T/body" 'd["total"]')" = $((n + 1)) ] && ok "exactly one more client: none was half-stored" ||
    not_ok "clients: $(jget "$T/body" 'd["total"]'), want $((n + 1))"
if command -v sqlite3 >/dev/null; then
    [ "$(sqlite3 "$DATA/poreclear.db" 'PRAGMA integrity_check')" = ok ] && ok "the database passes integrity_check" ||
        not_ok "the database passes integrity_check"
fi
stop_server && ok "server stops cleanly" || not_ok "server stops cleanly"
done_testing
