#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The client-session rows of the authorisation matrix, generated from the server's own route
table (src/web/web_server.c `routes[]`), so that no route is ever left out by hand.

usage: routes.py WEB_SERVER_C OWN_CLIENT_ID OTHER_MAP < /dev/null > rows
Prints matrix.py rows for the logins "anon client pract":
  - every staff route (an action other than 0 and WEB_ACT_PORTAL): anon 401, client 403
    (the client's own client id in the address: a staff route refuses a client's session even
    on the client's own record), pract not checked here (test_http_authz.sh's hand matrix);
  - every portal route (WEB_ACT_PORTAL): anon 401, client allowed (ids: 999999, no record),
    pract 403 (a staff session never opens a client's route);
  - every portal route with an id: the client on another client's record, 403. OTHER_MAP is a
    file of "PATTERN PATH" lines (the path with that other client's ids); a portal route with an
    id and no line there is a failure ("not ok"), so a new route cannot go untested.
Public routes (action 0: logins, the invitation's acceptance, calendar feeds) are left out; a
logout comes last (it ends the session the other rows use).
Prints "# routes: N staff, N portal" first."""
import re
import sys

ROW = re.compile(r'\{"(GET|POST|PUT|PATCH|DELETE)",\s*"([^"]+)",\s*([A-Z_0-9]+),')
BODY = {"GET": "-", "DELETE": "-"}


def main():
    src, own, other_file = sys.argv[1], sys.argv[2], sys.argv[3]
    text = open(src).read()
    table = text[text.index("static const route routes[]"):]
    table = table[:table.index("};")]
    other = {}
    with open(other_file) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                other[parts[0]] = parts[1]
    staff = portal = 0
    out, last = [], []
    for method, pattern, action in ROW.findall(table):
        if action == "0":
            continue
        body = BODY.get(method, "{}")
        path = pattern.replace("{n}", own, 1).replace("{n}", "1").replace("{s}", "x")
        if action == "WEB_ACT_PORTAL":
            # the client's own row: an id that names no record (the other client's is below)
            path = pattern.replace("{n}", "999999").replace("{s}", "x")
            portal += 1
            # a logout ends the session the other rows use: it goes last
            (last if pattern.endswith("/logout") else out).append(f"{method} {path} {body} U A F")
            if "{n}" in pattern:
                if pattern not in other:
                    out.append(f"#! no record of another client for {method} {pattern}")
                else:
                    out.append(f"{method} {other[pattern]} {body} - F -")
        else:
            staff += 1
            out.append(f"{method} {path} {body} U F -")
    print(f"# routes: {staff} staff, {portal} portal")
    print("\n".join(out + last))


main()
