#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Eight large photos at once (issue 16.9): 6000 x 6000 PNGs of about 120 KB each, uploaded
# together while /healthz is asked every 20 ms (decode_load.py). Image memory is bounded
# (src/web/web_photos.c, IMAGE_MEM_BUDGET): every upload is answered 202 or 503 with
# Retry-After, the server's peak memory stays well under the 930 MB it reached before, and
# /healthz is answered throughout because no HTTP thread waits for a decode (its worst latency
# is printed, not asserted: a timing). The memory bound is checked on the plain build; under
# the sanitizers (ASan keeps freed memory in quarantine) it is only reported, and the photos
# are 3000 x 3000.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"

SIDE=6000
[ "${PC_SAN:-0}" = 1 ] && SIDE=3000
if ! flat_png "$T/big.png" "$SIDE"; then
    skip "python3-pil is missing (scripts/install-deps test)"; done_testing; exit 0
fi
check "a ${SIDE} x ${SIDE} PNG of $(stat -c %s "$T/big.png") bytes" test -s "$T/big.png"

DATA=$T/data
start_server "$DATA" --demo --demo-password "$DEMO_PW" || { not_ok "server starts"; done_testing; exit 1; }
ok "server starts on $BASE"
login pract demo "$DEMO_PW" || not_ok "practitioner logs in"
req pract POST /api/clients '{"name":"Big Photo Client","birth_date":"1980-04-04"}'
CID=$(jid "$T/body")
# a photo needs today's consent to photos (issue 17.1, lib/clinic)
req pract POST "/api/clients/$CID/consents" '{"agreed":["treatment","photos"],"client_name":"Big Photo Client"}'
expect_status 201 "the client consents to photos"

OUT=$(/usr/bin/python3 -S "$here/decode_load.py" "$BASE" "$T/jar_pract" "$(<"$T/csrf_pract")" "$CID" "$T/big.png" 8 "$SERVER_PID")
echo "# decode_load: $OUT"
echo "$OUT" >"$T/load.json"
ok202=$(jget "$T/load.json" 'd["statuses"].get("202", 0)')
other=$(jget "$T/load.json" 'sum(v for k, v in d["statuses"].items() if k not in ("202", "503")) + d["errors"]')
[ "${ok202:-0}" -ge 1 ] && [ "$other" = 0 ] && ok "8 uploads at once: each 202 or 503 ($ok202 accepted)" ||
    not_ok "8 uploads at once: $OUT"
grep -q '"health_failed": 0' "$T/load.json" && ok "/healthz answered every probe during the burst" ||
    not_ok "/healthz answered every probe during the burst"
worst=$(jget "$T/load.json" 'd["health_worst_ms"]')
hwm=$(jget "$T/load.json" 'd["vmhwm_kb"]')
if [ "${PC_SAN:-0}" = 1 ]; then
    skip "under the sanitizers: memory bound not checked (peak $hwm KiB; /healthz worst $worst ms)"
else
    # the latency is a timing, reported and not asserted (it depends on the machine's load:
    # several suites and a training at once pushed it past any fixed bound); what is asserted
    # is the behaviour: every probe was answered while the decodes ran (above)
    echo "# /healthz worst $worst ms during the burst, load average $(cut -d' ' -f1 /proc/loadavg)"
    [ "${hwm:-0}" -lt 700000 ] && ok "peak memory during the burst $((hwm / 1024)) MiB (< 700 MiB)" ||
        not_ok "peak memory during the burst $((hwm / 1024)) MiB (want < 700 MiB)"
fi
healthy && ok "healthy after the burst" || not_ok "healthy after the burst"
stop_server && ok "server stops cleanly with analyses in flight" || not_ok "server stops cleanly with analyses in flight"
done_testing
