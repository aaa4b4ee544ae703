#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Read every message the test SMTP server received (DIR/*.eml, in the order received) with
Python's email parser and python3-icalendar, and print them as one JSON list: subject, to,
message_id, the parts' types, the plain text, whether there is an HTML part, and the
invitation's method, UID, SEQUENCE, status and start (UTC, ISO). An invitation that does not
parse is reported as "ics_error".

usage: mail_check.py DIR"""
import email
import email.policy
import json
import os
import sys

import icalendar


def key(name):
    pid, n = name[:-4].split("-")
    return (os.path.getmtime(os.path.join(sys.argv[1], name)), int(pid), int(n))


def main():
    folder = sys.argv[1]
    out = []
    names = sorted((f for f in os.listdir(folder) if f.endswith(".eml")), key=key)
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        m = {"file": name, "subject": str(msg["Subject"]), "to": str(msg["To"]),
             "message_id": str(msg["Message-ID"]), "types": [], "text": "", "html": False}
        for part in msg.walk():
            t = part.get_content_type()
            m["types"].append(t)
            if t == "text/plain":
                m["text"] = part.get_content()
            elif t == "text/html":
                m["html"] = True
                m["html_text"] = part.get_content()
            elif t == "text/calendar":
                try:
                    cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
                    ev = [c for c in cal.walk() if c.name == "VEVENT"][0]
                    m["method"] = str(cal.get("METHOD"))
                    m["uid"] = str(ev.get("UID"))
                    m["sequence"] = int(ev.get("SEQUENCE"))
                    m["status"] = str(ev.get("STATUS"))
                    m["dtstart"] = ev.decoded("DTSTART").strftime("%Y-%m-%dT%H:%M:%SZ")
                    m["content_method"] = part.get_param("method")
                except Exception as e:  # reported, the test fails on it
                    m["ics_error"] = str(e)
        out.append(m)
    print(json.dumps(out))


main()
