# SPDX-License-Identifier: AGPL-3.0-or-later
# poreclear aftercare: text, --json, the calendar checked by an independent parser
# (python3-icalendar), the HTML handout, atomic writes and refusals.
. "$(dirname "$0")/lib.sh"
D=tests/data/intake
PY=/usr/bin/python3

"$PORECLEAR" plan --intake $D/clean_oily.json --json >"$T/plan.json"
expect_exit 0 "aftercare from a plan" "$PORECLEAR" aftercare --plan "$T/plan.json" --ics "$T/care.ics" --html "$T/care.html"
check "text lists the avoid dates" contains "$T/out" "until 2026-11-30  No make-up."
check "text gives the rebooking date (4 weeks, oily)" contains "$T/out" "2026-12-27 (4 weeks, oily skin)"
check "chemical exfoliation done: no home exfoliation for a week" contains "$T/out" "until 2026-12-06  No exfoliation at home"
check "calendar written" test -s "$T/care.ics"
check "handout written" test -s "$T/care.html"

if [ -x $PY ] && $PY -c 'import icalendar' 2>/dev/null; then
    check "calendar parses with python3-icalendar: UID, DTSTAMP, RRULE, VALARM, rebooking" $PY - "$T/care.ics" <<'PYEOF'
import sys, datetime, icalendar
raw = open(sys.argv[1], "rb").read()
lines = raw.split(b"\r\n")
assert lines[-1] == b"", "must end with CRLF"
assert all(b"\n" not in l and len(l) <= 75 for l in lines), "CRLF line ends, lines folded at 75 octets"
cal = icalendar.Calendar.from_ical(raw)
assert str(cal["VERSION"]) == "2.0" and cal["PRODID"]
events = list(cal.walk("VEVENT"))
assert len(events) >= 10, len(events)
uids = [str(e["UID"]) for e in events]
assert len(set(uids)) == len(uids), "UIDs are unique"
for e in events:
    assert e.get("DTSTAMP") is not None and e.get("DTSTART") is not None
rr = [e for e in events if e.get("RRULE")]
assert {str(e["SUMMARY"]) for e in rr} == {"Morning skin care", "Evening skin care", "Gentle exfoliation"}
morning = [e for e in rr if str(e["SUMMARY"]) == "Morning skin care"][0]
assert morning["RRULE"]["FREQ"] == ["DAILY"]
assert morning.decoded("DTSTART") == datetime.datetime(2026, 11, 30, 8, 0)
assert any(c.name == "VALARM" for c in morning.subcomponents)
rebook = [e for e in events if str(e["SUMMARY"]).startswith("Deep pore cleansing facial due")][0]
assert rebook.decoded("DTSTART") == datetime.date(2026, 12, 27)
assert len([c for c in rebook.subcomponents if c.name == "VALARM"]) == 2
makeup = [e for e in events if "No make-up" in str(e["SUMMARY"])][0]
assert makeup.decoded("DTSTART") == datetime.date(2026, 11, 29)
assert makeup.decoded("DTEND") == datetime.date(2026, 12, 1)  # through 30 Nov inclusive
PYEOF
else
    skip "python3-icalendar is not installed (apt-get install python3-icalendar)"
fi

if [ -x $PY ]; then
    check "handout is one well-formed HTML page" $PY - "$T/care.html" <<'PYEOF'
import sys
from html.parser import HTMLParser
html = open(sys.argv[1], encoding="utf-8").read()
class P(HTMLParser):
    void = {"meta", "br", "img", "link", "hr", "input"}
    def __init__(self):
        super().__init__(); self.stack = []; self.text = []
    def handle_starttag(self, tag, attrs):
        if tag not in self.void: self.stack.append(tag)
    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-3:])
        self.stack.pop()
    def handle_data(self, d): self.text.append(d)
p = P(); p.feed(html); p.close()
assert not p.stack, p.stack
text = " ".join(p.text)
for want in ("No make-up.", "Sunday 27 December 2026", "non-comedogenic", "Drink enough water"):
    assert want in text, want
assert "@page" in html and len(html) < 20000
PYEOF
fi

# escaping: a hostile client id stays text
sed 's/"id": "c-1"/"id": "<b>x<\/b>\&"/' $D/clean_oily.json >"$T/hostile.json"
"$PORECLEAR" plan --intake "$T/hostile.json" --json >"$T/hostile_plan.json"
expect_exit 0 "aftercare for a hostile client id" "$PORECLEAR" aftercare --plan "$T/hostile_plan.json" --html "$T/h.html"
check "the id is escaped in the handout" contains "$T/h.html" "&lt;b&gt;x&lt;/b&gt;&amp;"
check "no raw markup from the id" sh -c "! grep -qF '<b>x</b>' '$T/h.html'"

expect_exit 0 "--json" "$PORECLEAR" aftercare --plan "$T/plan.json" --json
check "--json has the rebooking" contains "$T/out" '"date": "2026-12-27"'

"$PORECLEAR" plan --intake $D/blocked_impetigo.json --json >"$T/blocked.json"
expect_exit 4 "blocked plan: no aftercare" "$PORECLEAR" aftercare --plan "$T/blocked.json" --ics "$T/no.ics"
check "nothing written for a blocked plan" test ! -e "$T/no.ics"
echo '{"format": "poreclear-plan"' >"$T/trunc.json"
expect_exit 4 "truncated plan: exit 4" "$PORECLEAR" aftercare --plan "$T/trunc.json"
check "error names the file" contains "$T/err" "trunc.json: line"
expect_exit 3 "unwritable calendar path: exit 3" "$PORECLEAR" aftercare --plan "$T/plan.json" --ics "$T/no/such/dir/x.ics" --html "$T/after.html"
check "no handout written when the calendar failed first" test ! -e "$T/after.html"
expect_exit 2 "no --plan: usage" "$PORECLEAR" aftercare
done_testing
