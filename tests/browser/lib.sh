# SPDX-License-Identifier: AGPL-3.0-or-later
# Shared set-up of the browser test scripts (source after tests/e2e/lib.sh; needs $here, $T).
chromium=${PC_CHROMIUM:-/usr/bin/chromium}

finish_skip() { skip "$1"; done_testing; exit 0; }

# browser_prereqs LABEL: skip (with the reason) under the sanitizers, without Chromium or node,
# when playwright-core cannot be installed from npm (into tests/browser/node_modules, as
# locked), or when the server is not built in yet.
browser_prereqs() {
    local what=$1
    [ "${PC_SAN:-0}" = 1 ] && finish_skip "$what run against the plain build only (too slow under ASan)"
    [ -x "$chromium" ] || finish_skip "$what: $chromium is missing (apt-get install chromium)"
    command -v node >/dev/null 2>&1 || finish_skip "$what: node is missing (apt-get install nodejs npm)"
    if [ ! -f "$here/node_modules/playwright-core/package.json" ] || [ ! -f "$here/node_modules/axe-core/axe.min.js" ]; then
        if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >"$T/npm.log" 2>&1); then
            sed 's/^/# /' "$T/npm.log" | tail -5
            finish_skip "$what: npm ci could not install playwright-core and axe-core (no registry?)"
        fi
    fi
    if "$PORECLEAR" serve --help 2>&1 | grep -q "not implemented"; then
        finish_skip "$what: poreclear serve is not implemented yet"
    fi
}

# start_server DESCRIPTION SERVE-ARGS...: start `poreclear serve` on a free port of 127.0.0.1
# with a fresh data folder ($T/data), wait for /healthz, set $server and $port, stop it on exit.
# A server that does not come up is one failed check and ends the script.
start_server() {
    local desc=$1
    shift
    mkdir -p "$T/data"
    "$PORECLEAR" serve --data "$T/data" --listen 127.0.0.1:0 --port-file "$T/port" "$@" \
        >"$T/server.log" 2>&1 &
    server=$!
    trap 'kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$T"' EXIT
    local up=0
    port=""
    for _ in $(seq 1 150); do
        [ -s "$T/port" ] && port=$(cat "$T/port")
        if [ -n "$port" ] && curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then up=1; break; fi
        kill -0 "$server" 2>/dev/null || break
        sleep 0.1
    done
    if [ $up = 0 ]; then
        not_ok "$desc starts and answers /healthz on 127.0.0.1"
        sed 's/^/# /' "$T/server.log" | head -20
        done_testing
        exit 1
    fi
    ok "$desc answers /healthz on 127.0.0.1:$port"
}
