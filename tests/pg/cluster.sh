#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# A throwaway PostgreSQL 15 for the tests (Debian's `postgresql`): initdb + pg_ctl in a
# temporary folder, listening only on a Unix socket in that folder (no TCP), run as an
# unprivileged user when started as root (PostgreSQL refuses root; CI runs as root): `nobody`,
# owning the folder. Password authentication even on the socket, so that the tests can check
# that no password is ever logged.
#
#   tests/pg/cluster.sh start DIR     initdb + start; prints nothing; DIR must not exist
#   tests/pg/cluster.sh stop DIR      stop (immediate) and remove DIR; never fails
#   tests/pg/cluster.sh pause DIR     stop the server, keep DIR (the test of an outage)
#   tests/pg/cluster.sh resume DIR    start it again
#   tests/pg/cluster.sh newdb DIR NAME  a fresh database NAME owned by the superuser; prints
#                                     its owner URL then its app-role URL, one a line
# Roles: pcadmin (superuser, the owner that runs migrations), poreclear_app (the app's role:
# the grants of lib/store/store_pg.c). Passwords below are test-only.
set -u
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || pg_config --bindir 2>/dev/null)}
ADMIN_PW=pc-admin-test-pw
APP_PW=pc-app-test-pw
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|pause|resume|newdb DIR [NAME]" >&2; exit 2; }

as_pg() { # run a PostgreSQL server program as the unprivileged owner of DIR
    if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
pg_start() {
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -p 5432 -c fsync=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null
}

case "$cmd" in
start)
    [ -x "$PGBIN/initdb" ] || { echo "PostgreSQL 15 is not installed (scripts/install-deps test)" >&2; exit 3; }
    mkdir -p "$dir" || exit 1
    chmod 755 "$dir"
    printf '%s\n' "$ADMIN_PW" >"$dir/pw"
    [ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$dir"
    as_pg "$PGBIN/initdb" -D "$dir/data" -U pcadmin --pwfile="$dir/pw" --auth=scram-sha-256 \
        --locale=C -E UTF8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    pg_start || { cat "$dir/log" >&2; exit 1; }
    PGPASSWORD=$ADMIN_PW "$PGBIN/psql" -qX -h "$dir" -U pcadmin -d postgres -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE poreclear_app LOGIN PASSWORD '$APP_PW'" >/dev/null || exit 1
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
pause) as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ;;
resume) pg_start ;;
newdb)
    name=${3:?NAME}
    PGPASSWORD=$ADMIN_PW "$PGBIN/psql" -qX -h "$dir" -U pcadmin -d postgres -v ON_ERROR_STOP=1 \
        -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null || exit 1
    echo "postgresql://pcadmin:$ADMIN_PW@/$name?host=$dir"
    echo "postgresql://poreclear_app:$APP_PW@/$name?host=$dir"
    ;;
*) echo "unknown command $cmd" >&2; exit 2 ;;
esac
