#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Accounts: first start creates an admin with a one-time password; `poreclear user` manages
# accounts (also while the server runs); session expiry, idle and absolute (short timeouts
# set on the command line); a schema migrated once survives restarts.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

DATA=$T/data
start_server "$DATA" --session-idle 4 --session-max 8 || { not_ok "server starts"; done_testing; exit 1; }
ok "server starts on an empty data folder"
dbfile=$DATA/poreclear.db
on_pg && dbfile=$DATA # the records are in PostgreSQL: the folder (photos) is what is here
[ "$(stat -c %a "$DATA")" = 700 ] && [ "$(stat -c %a "$dbfile")" = 600 -o "$dbfile" = "$DATA" ] &&
    ok "the data folder and database are private (700, 600)" || not_ok "data folder/database modes $(stat -c %a "$DATA" "$DATA/poreclear.db" | tr '\n' ' ')"
OTP=$(sed -n "s/.*one-time password \([A-Za-z0-9]*\).*/\1/p" "$T/server.out")
[ ${#OTP} -eq 16 ] && ok "first start prints a one-time admin password" || not_ok "first start prints a one-time admin password ($(cat "$T/server.out"))"
login admin admin "$OTP" && ok "admin logs in with it" || not_ok "admin logs in with it"
[ "$(jget "$T/login_admin" 'd["must_change_password"]')" = true ] && ok "and must change it" || not_ok "and must change it"
req admin GET /api/users
[ "$STATUS" = 403 ] && [ "$(err_code)" = password_change_required ] && ok "nothing else works before the change" || not_ok "refused before the change ($STATUS)"
req admin POST /api/password "{\"current_password\":\"wrong-one-entirely\",\"new_password\":\"new admin password\"}"
expect_status 403 "a wrong current password is refused"
req admin POST /api/password "{\"current_password\":\"$OTP\",\"new_password\":\"new admin password\"}"
expect_status 200 "the one-time password is changed"
req admin GET /api/users
expect_status 200 "admin works after the change"

# the command line, while the server runs (the database is shared safely: WAL, busy timeout)
echo "practitioner pw 1" | "$PORECLEAR" user add ana --role practitioner --display "Ana Ruiz" --cert extraction --password-stdin --data "$DATA" >"$T/out" 2>"$T/err"
check "user add --password-stdin" contains "$T/out" "created user 'ana'"
expect_exit 0 "user certify" "$PORECLEAR" user certify ana high_frequency --data "$DATA"
contains "$T/out" "extraction,high_frequency" && ok "certify adds to the certifications" || not_ok "certify output ($(cat "$T/out"))"
expect_exit 0 "user certify --remove" "$PORECLEAR" user certify ana extraction --remove --data "$DATA"
expect_exit 0 "user list" "$PORECLEAR" user list --data "$DATA"
grep -q "^ana .*practitioner.*high_frequency" "$T/out" && ! grep -q "^ana .*extraction" "$T/out" && ok "list shows role and certifications" || not_ok "list ($(cat "$T/out"))"
expect_exit 2 "user add with an unknown role" "$PORECLEAR" user add bob --role wizard --data "$DATA"
expect_exit 2 "user certify with an unknown certification" "$PORECLEAR" user certify ana lancets --data "$DATA"
expect_exit 1 "user add of an existing name" sh -c "echo 'another password' | '$PORECLEAR' user add ana --role reception --password-stdin --data '$DATA'"
expect_exit 4 "a short password is refused" sh -c "echo short | '$PORECLEAR' user add carl --role reception --password-stdin --data '$DATA'"
expect_exit 1 "passwd of a missing user" "$PORECLEAR" user passwd nobody --data "$DATA"
login ana ana "practitioner pw 1" && ok "the CLI-made user logs in" || not_ok "the CLI-made user logs in"
[ "$(jget "$T/login_ana" 'd["user"]["certifications"]')" = '["high_frequency"]' ] && ok "with the certifications set by the CLI" || not_ok "certifications from the CLI"
expect_exit 0 "user passwd prints a new one-time password" "$PORECLEAR" user passwd ana --data "$DATA"
NEW=$(sed -n "s/.*: \([A-Za-z0-9]\{16\}\) .*/\1/p" "$T/out")
req ana GET /api/session
expect_status 401 "a password reset ends the user's sessions"
login ana ana "$NEW" && [ "$(jget "$T/login_ana" 'd["must_change_password"]')" = true ] && ok "the reset password is one-time" || not_ok "the reset password is one-time"

# expiry: idle 4 s, absolute 8 s (long enough that a loaded machine, ASan and the argon2 of
# the CLI steps above do not idle a session out by accident; 2 s did)
login ana2 admin "new admin password"
req ana2 GET /api/session
expect_status 200 "a fresh session works"
sleep 5.2
req ana2 GET /api/session
[ "$STATUS" = 401 ] && [ "$(err_code)" = session_expired ] && ok "idle session expires (401 session_expired)" || not_ok "idle expiry ($STATUS)"
login ana3 admin "new admin password"
# active every second: it outlives the idle limit (a 200 more than 4 s after the login), then
# ends at the absolute one; measured by the clock, not by counting answers (a loaded machine
# answers slower)
t0=$(date +%s.%N)
alive=0
for i in $(seq 1 30); do
    sleep 1
    req ana3 GET /api/clients
    [ "$STATUS" = 200 ] || break
    alive=$($PY -c 'import sys; print(round(float(sys.argv[1]) - float(sys.argv[2]), 1))' "$(date +%s.%N)" "$t0")
done
$PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 4 else 1)' "$alive" && [ "$STATUS" = 401 ] &&
    ok "an active session outlives the idle limit and still ends at the absolute limit (last answer $alive s after login)" ||
    not_ok "absolute expiry (last 200 at $alive s, last $STATUS)"

# restart: the schema is not migrated twice (the same version as before), data kept
v1=$(grep -o 'schema v[0-9]*' "$T/server.out")
check "server stops cleanly (exit 0, no sanitizer report)" stop_server TERM
start_server "$DATA" || not_ok "restart"
v2=$(grep -o 'schema v[0-9]*' "$T/server.out")
[ -n "$v1" ] && [ "$v1" = "$v2" ] && ok "restart keeps the schema ($v2)" || not_ok "restart keeps the schema ($v1, then $v2)"
! grep -q "one-time password" "$T/server.out" && ok "no second admin on restart" || not_ok "no second admin on restart"
login admin admin "new admin password" && ok "accounts survive a restart" || not_ok "accounts survive a restart"
check "server stops cleanly after restart" stop_server TERM

# bad command lines
expect_exit 2 "serve --listen without a port" "$PORECLEAR" serve --listen 127.0.0.1 --data "$DATA"
expect_exit 2 "serve with an unknown option" "$PORECLEAR" serve --frobnicate --data "$DATA"
expect_exit 2 "serve --session-idle 0" "$PORECLEAR" serve --session-idle 0 --data "$DATA"
mkdir -p "$T/ro" && touch "$T/ro/file"
expect_exit 3 "serve with a data folder that is a file" "$PORECLEAR" serve --data "$T/ro/file" --listen 127.0.0.1:0
done_testing
