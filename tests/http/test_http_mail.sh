#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# E-mail to clients through a real SMTP server (issue 11): Debian's python3-aiosmtpd on
# 127.0.0.1, started and stopped here; every message read back with Python's email parser and
# python3-icalendar. A booking sends a confirmation with an invitation (METHOD:REQUEST) and a
# reminder, a move an update (same UID, SEQUENCE 1), a cancel a CANCEL; text and HTML parts, the
# clinic's name, no clinical detail; an opt-out is honoured and audited; with the SMTP server
# down the messages wait in the outbox (the admin sees why) and go out once it is back, none
# lost, none twice.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

SYS_PY=/usr/bin/python3 # with its site packages: aiosmtpd, icalendar
if ! $SYS_PY -c 'import aiosmtpd, icalendar' 2>/dev/null; then
    skip "python3-aiosmtpd and python3-icalendar are needed (scripts/install-deps test)"
    done_testing
    exit 0
fi
export TZ=Europe/Paris
MAIL=$T/mail
mkdir -p "$MAIL"
SMTP_PORT=$($SYS_PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
SINK_PID=""
sink_start() {
    $SYS_PY "$here/smtp_sink.py" "$MAIL" "$SMTP_PORT" 2>"$T/sink.err" &
    SINK_PID=$!
    for _ in $(seq 1 100); do
        $SYS_PY -c "import socket,sys; socket.create_connection(('127.0.0.1',$SMTP_PORT),1)" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
sink_stop() {
    [ -n "$SINK_PID" ] || return 0
    kill "$SINK_PID" 2>/dev/null
    wait "$SINK_PID" 2>/dev/null
    SINK_PID=""
}
trap 'sink_stop; _http_cleanup' EXIT
check "the SMTP server (aiosmtpd) listens on 127.0.0.1:$SMTP_PORT" sink_start

DATA=$T/data
# the server's own zone is UTC; the clinic's (Admin → Clinic) is Europe/Paris, and rules.
# The SMTP server, the sender and the reminder's lead are the clinic's settings (Admin → E-mail).
TZ=UTC start_server "$DATA" --demo --demo-password "$DEMO_PW" --mail-retry 1 ||
    { not_ok "server starts"; done_testing; exit 1; }
ok "server starts"
login admin admin "$DEMO_PW" && login recep desk "$DEMO_PW" && login pract demo "$DEMO_PW"
req admin PUT /api/settings/clinic '{"name":"Clinica Lumen","address":"Via Roma 1, Milano","phone":"+39 02 1234 5678","time_zone":"Europe/Paris"}'
expect_status 200 "the clinic's profile: name, address, phone, time zone Europe/Paris"
req admin GET /api/settings/mail
[ "$(jget "$T/body" '[d["smtp_url"], d["smtp_password_set"], d["reminder_hours"], d["intake_max_months"]]')" = '["", false, 24, 6]' ] &&
    ok "mail settings: none yet, reminder 24 h, intake limit 6 months" || not_ok "mail defaults: $(head -c 300 "$T/body")"
req recep PUT /api/settings/mail '{"smtp_url":"smtp://evil.example:25"}'
expect_status 403 "reception may not change the mail settings"
for bad in '{"smtp_url":"http://127.0.0.1:25","mail_from":"a@b.example"}' '{"smtp_url":"smtp://127.0.0.1","mail_from":"a@b.example"}' \
    '{"smtp_url":"smtp://127.0.0.1:25"}' '{"mail_from":"not an address"}' '{"reminder_hours":0}' '{"intake_max_months":61}' '{"colour":"red"}'; do
    req admin PUT /api/settings/mail "$bad"
    [ "$STATUS" = 400 ] && ok "refused 400: $(jget "$T/body" 'd["error"]')" || not_ok "bad setting $bad ($STATUS)"
done
req admin PUT /api/settings/mail "{\"smtp_url\":\"smtp://127.0.0.1:$SMTP_PORT\",\"mail_from\":\"desk@lumen.example\",\"smtp_password\":\"s3cret-not-shown\",\"reminder_hours\":8000}"
expect_status 200 "the admin sets the SMTP server, the sender and the reminder's lead"
[ "$(jget "$T/body" '[d["smtp_password_set"], d["reminder_hours"]]')" = '[true, 8000]' ] && ! contains "$T/body" s3cret &&
    ok "the password is set and never shown" || not_ok "settings reply: $(head -c 300 "$T/body")"
req admin PUT /api/settings/mail '{"smtp_password":""}'
expect_status 200 "an empty password: the server needs no login"
req admin GET "/api/audit?limit=5"
contains "$T/body" '"settings.update"' && contains "$T/body" 'smtp server' && ! contains "$T/body" s3cret &&
    ok "audited settings.update (what changed, never the password)" || not_ok "settings audit"
req recep GET /api/users
PID=$(jget "$T/body" 'd["users"][0]["id"]')

# the dates: Mondays from two weeks on (the reminder, 8000 h before, is due at once)
today=$(date +%F)
d1=$(date -d "$today + 14 days" +%F); while [ "$(date -d "$d1" +%u)" != 1 ]; do d1=$(date -d "$d1 + 1 day" +%F); done
d2=$(date -d "$d1 + 1 day" +%F); d3=$(date -d "$d1 + 7 days" +%F); d4=$(date -d "$d1 + 8 days" +%F)
at() { echo "${1}T$2:00$(date -d "$1 $2" +%:z)"; }   # the clinic's clock, with its offset
utc() { date -u -d "@$(date -d "$1 $2" +%s)" +%Y-%m-%dT%H:%M:%SZ; }
long() { date -d "$1" "+%A %-d %B %Y"; }

mails() { $SYS_PY "$here/mail_check.py" "$MAIL" >"$T/mails.json" 2>"$T/mails.err"; }
count() { ls "$MAIL"/*.eml 2>/dev/null | wc -l; }
# wait_mails N: until N messages arrived (at most 30 s); then $T/mails.json
wait_mails() {
    for _ in $(seq 1 300); do [ "$(count)" -ge "$1" ] && break; sleep 0.1; done
    mails
    [ "$(count)" -ge "$1" ]
}
m() { jget "$T/mails.json" "$1"; } # a Python expression on the list of messages (d)

req recep POST /api/clients '{"name":"Ana Mail","birth_date":"1990-01-01","email":"ana.mail@example.org","notes":"allergic to lanolin"}'
C1=$(jid "$T/body")
req recep POST /api/appointments "{\"client_id\":$C1,\"practitioner_id\":$PID,\"start\":\"$(at $d1 09:00)\",\"notes\":\"pregnant, check the plan\"}"
expect_status 201 "booked: a client with an e-mail address"
A1=$(jid "$T/body")
check "the confirmation and the reminder arrive" wait_mails 2
[ "$(m 'sorted(x["subject"].split(":")[0] for x in d)')" = '["A reminder of your appointment", "Your appointment is booked"]' ] &&
    ok "subjects: confirmation and reminder" || not_ok "subjects: $(m '[x["subject"] for x in d]')"
conf='[x for x in d if x["subject"].startswith("Your appointment is booked")][0]'
[ "$(m "[$conf[k] for k in ('method','sequence','status','dtstart','content_method')]")" = "[\"REQUEST\", 0, \"CONFIRMED\", \"$(utc $d1 09:00)\", \"REQUEST\"]" ] &&
    ok "the invitation parses: METHOD:REQUEST, SEQUENCE 0, 9:00 in Paris in UTC" || not_ok "invitation: $(m "$conf") $(cat "$T/mails.err")"
UID1=$(m "$conf[\"uid\"]")
[ "$(m "$conf[\"to\"]")" = "ana.mail@example.org" ] && ok "to the client's address" || not_ok "to: $(m "$conf[\"to\"]")"
[ "$(m "[$conf['html'], 'text/plain' in $conf['types'], 'Clinica Lumen' in $conf['text'], '$(long $d1), 09:00 to 10:15' in $conf['text']]")" = '[true, true, true, true]' ] &&
    ok "text and HTML parts, the clinic's name, when on the clinic's clock" || not_ok "parts: $(m "$conf")"
leaks=$(m '[x["file"] for x in d if any(w in (x["text"] + x.get("html_text","")).lower() for w in ("pregnant","lanolin","plan","pore","facial"))]')
[ "$leaks" = "[]" ] && ok "no clinical detail or booking note in any message" || not_ok "clinical words in $leaks"
rem='[x for x in d if x["subject"].startswith("A reminder")][0]'
[ "$(m "'method' in $rem")" = false ] && ok "the reminder carries no invitation" || not_ok "reminder: $(m "$rem")"

# ---- move: the same invitation, updated ----
req recep POST "/api/appointments/$A1/move" "{\"start\":\"$(at $d2 14:00)\"}"
expect_status 200 "moved"
check "the update and the new reminder arrive" wait_mails 4
upd='[x for x in d if x["subject"].startswith("Your appointment has moved")][0]'
[ "$(m "[$upd['method'], $upd['uid'] == '$UID1', $upd['sequence'], $upd['dtstart']]")" = "[\"REQUEST\", true, 1, \"$(utc $d2 14:00)\"]" ] &&
    ok "the update: same UID, SEQUENCE 1, the new time" || not_ok "update: $(m "$upd")"

# ---- cancel: CANCEL of that invitation ----
req recep POST "/api/appointments/$A1/cancel" '{"reason":"the client is ill"}'
expect_status 200 "cancelled"
check "the cancellation arrives" wait_mails 5
can='[x for x in d if x["subject"].startswith("Your appointment is cancelled")][0]'
[ "$(m "[$can['method'], $can['uid'] == '$UID1', $can['status'], $can['sequence']]")" = '["CANCEL", true, "CANCELLED", 2]' ] &&
    ok "the cancellation: METHOD:CANCEL, same UID, SEQUENCE 2" || not_ok "cancel: $(m "$can")"
leaks=$(m '[x["file"] for x in d if "ill" in x["text"].split()]')
[ "$leaks" = "[]" ] && ok "the cancel reason is not in the message" || not_ok "reason in $leaks"

# ---- opt-out ----
req recep POST "/api/clients/$C1/mail" '{"opt_out":true}'
[ "$STATUS" = 200 ] && [ "$(jget "$T/body" 'd["opt_out"]')" = true ] && ok "reception records the opt-out" || not_ok "opt-out ($STATUS)"
req recep POST /api/appointments "{\"client_id\":$C1,\"practitioner_id\":$PID,\"start\":\"$(at $d3 09:00)\"}"
expect_status 201 "booked after the opt-out"
sleep 3
[ "$(count)" = 5 ] && ok "nothing is sent to a client who opted out" || not_ok "opt-out not honoured: $(count) messages"
req admin GET "/api/audit?client_id=$C1"
contains "$T/body" '"mail.optout"' && ok "the opt-out is audited" || not_ok "mail.optout audited"
req recep POST "/api/clients/$C1/mail" '{}'
expect_status 400 "opt_out is required"

# ---- the intake-age limit of the pre-visit check is a setting too ----
d5=$(date -d "$d1 + 35 days" +%F)
req pract POST "/api/clients/$C1/intakes" '{"client":{"skin_type":"oily","fitzpatrick":3}}'
expect_status 201 "an intake today"
req recep POST /api/appointments "{\"client_id\":$C1,\"practitioner_id\":$PID,\"start\":\"$(at $d5 10:00)\"}"
A5=$(jid "$T/body")
req recep GET "/api/appointments/$A5/checks"
! contains "$T/body" intake_old && ok "in 7 weeks the intake is not too old (6 months)" || not_ok "intake_old with 6 months"
req admin PUT /api/settings/mail '{"intake_max_months":1}'
req recep GET "/api/appointments/$A5/checks"
contains "$T/body" intake_old && ok "with a limit of 1 month it is: intake_old" || not_ok "intake_old with 1 month: $(head -c 300 "$T/body")"

# ---- the SMTP server down: the messages wait, then go, once each ----
sink_stop
req recep POST /api/clients '{"name":"Bo Down","birth_date":"1985-01-01","email":"bo.down@example.org"}'
C2=$(jid "$T/body")
req recep POST /api/appointments "{\"client_id\":$C2,\"practitioner_id\":$PID,\"start\":\"$(at $d4 09:00)\"}"
expect_status 201 "booked while the SMTP server is down"
for _ in $(seq 1 100); do
    req admin GET "/api/outbox?pending=1"
    [ "$(jget "$T/body" 'min([m["attempts"] for m in d["messages"]] or [0])')" -ge 2 ] 2>/dev/null && break
    sleep 0.1
done
[ "$(jget "$T/body" '[m["state"] for m in d["messages"]]')" = '["queued", "queued"]' ] &&
    [ "$(jget "$T/body" 'all(m["attempts"] >= 1 and m["last_error"] for m in d["messages"])')" = true ] &&
    ok "the admin sees both messages waiting, with the error ($(jget "$T/body" 'd["messages"][0]["last_error"]'))" ||
    not_ok "outbox while down: $(head -c 400 "$T/body")"
req recep GET /api/outbox
expect_status 403 "reception does not read the outbox"
check "the SMTP server is back" sink_start
check "the waiting messages go out once it is back" wait_mails 7
sleep 3 # any duplicate would arrive by now
mails
[ "$(count)" = 7 ] && ok "7 messages in all: none lost, none twice" || not_ok "$(count) messages"
[ "$(m 'len(set(x["message_id"] for x in d)) == len(d)')" = true ] && ok "every Message-ID once" || not_ok "a Message-ID twice"
[ "$(m 'sorted(x["to"] for x in d if x["to"] == "bo.down@example.org")')" = '["bo.down@example.org", "bo.down@example.org"]' ] &&
    ok "the waiting client got the confirmation and the reminder" || not_ok "after the outage: $(m '[x["to"] for x in d]')"
req admin GET "/api/outbox?pending=1"
[ "$(jget "$T/body" 'len(d["messages"])')" = 0 ] && ok "nothing is left waiting" || not_ok "still waiting: $(head -c 300 "$T/body")"
req admin GET /api/outbox
[ "$(jget "$T/body" 'sorted(set(m["state"] for m in d["messages"]))')" = '["sent"]' ] &&
    ok "the outbox: every message sent" || not_ok "states: $(jget "$T/body" '[m["state"] for m in d["messages"]]')"

# ---- at least once: a sender stopped between handing a message over and its answer ----
# The SMTP server takes the message but holds its answer; the server is killed meanwhile. The
# message, claimed for --mail-timeout + 10 s, goes again after that: the client may get it twice,
# never not at all, and both copies carry one Message-ID (mail programs show one).
stop_server TERM
TZ=UTC start_server "$DATA" --demo --demo-password "$DEMO_PW" --mail-retry 1 --mail-timeout 2 ||
    { not_ok "server starts again"; done_testing; exit 1; }
login admin admin "$DEMO_PW" && login recep desk "$DEMO_PW" && login pract demo "$DEMO_PW"
echo 30 >"$MAIL/hold"
before=$(count)
req recep POST /api/clients '{"name":"Kim Crash","birth_date":"1980-03-03","email":"kim.crash@example.org"}'
C4=$(jid "$T/body")
d6=$(date -d "$d1 + 2 days" +%F)
req recep POST /api/appointments "{\"client_id\":$C4,\"practitioner_id\":$PID,\"start\":\"$(at $d6 15:00)\"}"
expect_status 201 "booked (the SMTP server will hold its answer)"
check "the SMTP server has the confirmation" wait_mails $((before + 1))
req admin GET "/api/outbox?pending=1"
[ "$(jget "$T/body" "[m['state'] for m in d['messages'] if m['to'] == 'kim.crash@example.org' and m['kind'] == 'confirmation']")" = '["queued"]' ] &&
    [ "$(jget "$T/body" "[m['last_error'] for m in d['messages'] if m['kind'] == 'confirmation' and m['to'] == 'kim.crash@example.org'][0]")" != null ] &&
    ok "while the answer is awaited the message is claimed, not sent, and says why if it stays so" || not_ok "claimed: $(head -c 400 "$T/body")"
stop_server KILL
TZ=UTC start_server "$DATA" --demo --demo-password "$DEMO_PW" --mail-retry 1 --mail-timeout 2 ||
    { not_ok "server starts after the kill"; done_testing; exit 1; }
ok "server starts after SIGKILL mid-delivery"
login admin admin "$DEMO_PW" && login recep desk "$DEMO_PW" && login pract demo "$DEMO_PW"
check "after the claim's lease the confirmation goes again" wait_mails $((before + 3))
sleep 3
mails
kim="[x for x in d if x['to'] == 'kim.crash@example.org' and x['subject'].startswith('Your appointment is booked')]"
[ "$(m "len($kim)")" = 2 ] && [ "$(m "len(set(x['message_id'] for x in $kim))")" = 1 ] &&
    ok "at least once: the confirmation twice, with one Message-ID" || not_ok "after the kill: $(m "[[x['to'], x['subject'][:30], x['message_id']] for x in d[-4:]]")"
req admin GET /api/outbox
[ "$(jget "$T/body" "sorted(m['state'] for m in d['messages'] if m['to'] == 'kim.crash@example.org')")" = '["sent", "sent"]' ] &&
    ok "the outbox: confirmation and reminder sent" || not_ok "states after the kill: $(head -c 400 "$T/body")"
ex=$(count)

# ---- two servers on one PostgreSQL, two senders: each message goes once ----
if on_pg; then
    TZ=UTC "$PORECLEAR" serve --data "$T/data2" --db "$PG_APP" --listen 127.0.0.1:0 --port-file "$T/port2" \
        --mail-retry 1 >"$T/server2.out" 2>"$T/server2.err" &
    PID2=$!
    trap 'kill $PID2 2>/dev/null; wait $PID2 2>/dev/null; sink_stop; _http_cleanup' EXIT
    for _ in $(seq 1 200); do [ -s "$T/port2" ] && break; sleep 0.05; done
    [ -s "$T/port2" ] && ok "a second server (and sender) on the same database" || not_ok "second server"
    echo 0.4 >"$MAIL/slow" # each answer takes 0.4 s: the two senders' rounds overlap
    req recep POST /api/clients '{"name":"Two Senders","birth_date":"1984-04-04","email":"two.senders@example.org"}'
    C5=$(jid "$T/body")
    d7=$(date -d "$d1 + 21 days" +%F)
    for t in 09:00 10:30 12:00 13:30 15:00 16:30; do
        req recep POST /api/appointments "{\"client_id\":$C5,\"practitioner_id\":$PID,\"start\":\"$(at $d7 $t)\"}"
    done
    check "12 messages (6 confirmations, 6 reminders) arrive" wait_mails $((ex + 12))
    sleep 4
    rm -f "$MAIL/slow"
    mails
    [ "$(count)" = $((ex + 12)) ] && [ "$(m "len(set(x['message_id'] for x in d if x['to'] == 'two.senders@example.org'))")" = 12 ] &&
        ok "two senders: each of the 12 once" || not_ok "two senders: $(count) messages, $((ex + 12)) expected"
    kill "$PID2" 2>/dev/null
    wait "$PID2" 2>/dev/null
    ex=$(count)
fi

# ---- the aftercare and rebooking reminders of a signed session ----
# queued at the signature, each for its day: the server is then started again 3 and 25 days
# ahead (libfaketime moves its clock) and sends what has come due, once.
req pract POST /api/clients '{"name":"Cara Care","birth_date":"1992-02-02","email":"cara.care@example.org","notes":"allergic to lanolin"}'
C3=$(jid "$T/body")
req pract POST "/api/clients/$C3/intakes" '{"client":{"skin_type":"oily","fitzpatrick":3}}'
req pract POST "/api/clients/$C3/consents" '{"agreed":["treatment","extraction","high_frequency","chemical_exfoliation"],"client_name":"Cara Care"}'
CONS3=$(jid "$T/body")
req pract POST "/api/clients/$C3/sessions" "{\"consent_id\":$CONS3}"
expect_status 201 "a session for a client with an address"
S3=$(jid "$T/body")
for st in $(jget "$T/body" '" ".join(s["step"] for s in d["steps"] if s["action"] != "skip")'); do
    req pract POST "/api/sessions/$S3/steps/$st/record" '{"outcome":"not_done","notes":"mail test"}'
done
req pract POST "/api/sessions/$S3/sign" "{\"password\":\"$DEMO_PW\"}"
expect_status 200 "signed"
REBOOK=$(jget "$T/body" 'd["rebook_date"]')
req admin GET /api/outbox
aft="[m for m in d['messages'] if m['session_id'] == $S3][::-1]"
[ "$(jget "$T/body" "[[m['kind'], m['state']] for m in $aft]")" = '[["aftercare", "queued"], ["aftercare", "queued"], ["rebooking", "queued"]]' ] &&
    ok "queued at the signature: two aftercare reminders and the rebooking reminder" || not_ok "aftercare queued: $(jget "$T/body" "$aft")"
[ "$(jget "$T/body" "[m['not_before'][:10] for m in $aft][2]")" = "$(date -d "$REBOOK - 7 days" +%F)" ] &&
    ok "the rebooking reminder a week before the rebooking date ($REBOOK)" || not_ok "rebooking time: $(jget "$T/body" "$aft")"
[ "$(count)" = "$ex" ] && ok "none is sent before its day" || not_ok "sent early: $(count) messages"

FT_LIB=$(dpkg -L libfaketime 2>/dev/null | grep 'libfaketime.so.1$' | head -1)
# the server again, days ahead (libfaketime; under ASan it may come before the runtime)
ahead() {
    stop_server TERM || return 1
    LD_PRELOAD=$FT_LIB FAKETIME="+$1d" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
        TZ=UTC start_server "$DATA" --demo --demo-password "$DEMO_PW" --mail-retry 1 || return 1
    login admin admin "$DEMO_PW"
}
# ahead_count DAYS N: the server DAYS ahead; N messages more than before arrive, and no more
ahead_count() { ahead "$1" && wait_mails $((ex + $2)) && sleep 3 && mails && [ "$(count)" = $((ex + $2)) ]; }
if [ -z "$FT_LIB" ]; then
    skip "libfaketime is needed to move the server's clock (scripts/install-deps test)"
else
    check "3 days ahead the morning-after aftercare reminder arrives, only that one" ahead_count 3 1
    a1='[x for x in d if x["subject"].startswith("Your aftercare")][0]'
    [ "$(m "[$a1['to'], 'method' in $a1, 'Still avoid:' in $a1['text'], 'No make-up.' in $a1['text'] or 'until' in $a1['text'], 'Clinica Lumen' in $a1['text'], 'lanolin' in $a1['text'] + $a1.get('html_text', '')]")" = '["cara.care@example.org", false, true, true, true, false]' ] &&
        ok "the aftercare: what to avoid until when, the clinic, nothing of the intake" || not_ok "aftercare message: $(m "$a1")"
    check "25 days ahead the second aftercare reminder and the rebooking reminder arrive, once each" ahead_count 25 3
    rb='[x for x in d if x["subject"].startswith("Time to book")][0]'
    [ "$(m "[$rb['to'], '$(long "$REBOOK")' in $rb['text'], 'Clinica Lumen' in $rb['subject'], $rb['html'] is not None]")" = '["cara.care@example.org", true, true, true]' ] &&
        ok "the rebooking reminder: due around $(long "$REBOOK"), text and HTML" || not_ok "rebooking message: $(m "$rb")"
    leaks=$(m "[w for w in ('pore','facial','oily','skin','lanolin') if w in $rb['text'].lower()]")
    [ "$leaks" = "[]" ] && ok "it says when and where, not why" || not_ok "the rebooking reminder says $leaks"
    [ "$(m 'len(set(x["message_id"] for x in d[-3:])) == 3')" = true ] && ok "three Message-IDs" || not_ok "a Message-ID twice"
    req admin GET /api/outbox
    [ "$(jget "$T/body" "[m['state'] for m in $aft]")" = '["sent", "sent", "sent"]' ] &&
        ok "the outbox: the session's three reminders sent" || not_ok "aftercare states: $(jget "$T/body" "$aft")"
fi

healthy && ok "server still healthy at the end" || not_ok "server still healthy at the end"
check "server stops cleanly on SIGTERM (exit 0, no sanitizer report)" stop_server TERM
sink_stop
done_testing
