#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Login throttling (issue 16.4), both sides: an attacker's address hammering an account is
# slowed (429 with Retry-After and the wait in words) while the owner from their usual address
# still gets in; one address trying many accounts is slowed too; an account locked for good
# (--lock-after failures from anywhere) stays locked for its owner until an admin unlocks it,
# and GET /api/users shows it. Loopback source addresses stand for the different places.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

demo_server --lock-after 25
ok "server starts on $BASE (an account locks after 25 failed logins)"

# try FROM USER PASSWORD: a login from source address FROM; sets STATUS, body in $T/body
try() {
    STATUS=$(curl -s --interface "$1" -o "$T/body" -D "$T/headers" -w '%{http_code}' \
        -H 'Content-Type: application/json' \
        --data-binary "{\"username\":\"$2\",\"password\":\"$3\"}" "$BASE/api/login")
}

# ---- 30 wrong passwords for demo from 127.0.0.2, all at once ----
pids=()
for i in $(seq 1 30); do
    curl -s --interface 127.0.0.2 -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
        --data-binary '{"username":"demo","password":"wrong-password-x"}' "$BASE/api/login" >>"$T/burst" &
    pids+=($!)
done
wait "${pids[@]}"
n401=$(grep -c '^401$' "$T/burst"); n429=$(grep -c '^429$' "$T/burst")
echo "# burst of 30: $n401 answered 401, $n429 answered 429"
[ "$((n401 + n429))" = 30 ] && [ "$n429" -ge 1 ] && ok "the burst is throttled after the first failures" ||
    not_ok "the burst is throttled ($n401 x 401, $n429 x 429)"
try 127.0.0.2 demo "$DEMO_PW"
expect_status 429 "the attacker's address waits even with the right password"
ra=$(grep -i '^Retry-After:' "$T/headers" | tr -dc 0-9)
[ "${ra:-0}" -ge 1 ] && ok "429 carries Retry-After ($ra s)" || not_ok "429 carries Retry-After"
grep -qE 'try again in [0-9]+ seconds' "$T/body" && ok "and says how long to wait" ||
    not_ok "and says how long to wait: $(head -c 200 "$T/body")"
try 127.0.0.1 demo "$DEMO_PW"
expect_status 200 "the owner logs in from their usual address meanwhile"

# ---- one address trying many accounts: the per-address limit (20 failures) ----
for u in desk admin nobody1 nobody2; do
    for i in 1 2 3 4 5; do try 127.0.0.3 "$u" "wrong-password-y"; done
done
try 127.0.0.3 demo "$DEMO_PW"
expect_status 429 "an address with 20 failures over several accounts waits, for any account"
try 127.0.0.4 demo "$DEMO_PW"
expect_status 200 "that account from another address gets in"

# ---- locked for good: 25 failures from five addresses ----
for a in 5 6 7 8 9; do
    for i in 1 2 3 4 5; do try "127.0.0.$a" trainee "wrong-password-z"; done
done
try 127.0.0.1 trainee "$DEMO_PW"
expect_status 403 "after 25 failures from anywhere the owner is locked out too"
[ "$(err_code)" = account_locked ] && grep -q "administrator" "$T/body" &&
    ok "the reply says an administrator must unlock it" || not_ok "locked reply: $(head -c 200 "$T/body")"
login admin admin "$DEMO_PW" || not_ok "admin logs in"
req admin GET /api/users
[ "$(jget "$T/body" '[u["locked"] for u in d["users"] if u["username"]=="trainee"][0]')" = true ] &&
    ok "the admin's user list shows the account locked" || not_ok "user list: $(head -c 300 "$T/body")"
[ "$(jget "$T/body" '[u["locked"] for u in d["users"] if u["username"]=="demo"][0]')" = false ] &&
    ok "... and the owner who got in is not locked" || not_ok "demo shown locked"
TID=$(jget "$T/body" '[u["id"] for u in d["users"] if u["username"]=="trainee"][0]')
login pract demo "$DEMO_PW" >/dev/null
req pract PATCH "/api/users/$TID" '{"unlock":true}'
expect_status 403 "a practitioner cannot unlock"
try 127.0.0.1 trainee "$DEMO_PW"
expect_status 403 "still locked"
req admin PATCH "/api/users/$TID" '{"unlock":true}'
expect_status 200 "the admin unlocks the account"
[ "$(jget "$T/body" 'd["user"]["locked"]')" = false ] && ok "the reply shows it unlocked" || not_ok "unlock reply: $(head -c 200 "$T/body")"
try 127.0.0.1 trainee "$DEMO_PW"
expect_status 200 "the owner logs in after the unlock"
req admin GET "/api/audit?limit=500"
for act in login.locked user.unlock login.failed; do
    jget "$T/body" '[e["action"] for e in d["entries"]]' | grep -q "\"$act\"" && ok "audited: $act" || not_ok "audited: $act"
done

stop_server && ok "server stops cleanly" || not_ok "server stops cleanly"
done_testing
