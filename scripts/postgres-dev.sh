#!/usr/bin/env bash
# Project-owned PostgreSQL 15 cluster for development and tests.
#
#   scripts/postgres-dev.sh start   # idempotent: install, initdb, start, create role+db, print URL
#   scripts/postgres-dev.sh stop
#   scripts/postgres-dev.sh url
#   scripts/postgres-dev.sh status
#
# Environment: SAMAD_PG_DIR (data dir, default /var/lib/samad-ivr/pg),
#              SAMAD_PG_PORT (default 5433).
# Run as root (or as the postgres user). The cluster trusts local and loopback
# connections and listens on 127.0.0.1 only: it is a dev cluster, never a production one.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR=${SAMAD_PG_DIR:-/var/lib/samad-ivr/pg}
PG_PORT=${SAMAD_PG_PORT:-5433}
BASE_DIR=$(dirname "$PG_DIR")
SOCKET_DIR=$BASE_DIR/run
LOG_FILE=$BASE_DIR/postgres.log
LOCK_FILE=$BASE_DIR/postgres-dev.lock
URL="postgresql://samad@127.0.0.1:${PG_PORT}/samad"

log() { printf 'postgres-dev: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# Runs a command as the postgres OS user (initdb and pg_ctl refuse root).
as_pg() {
    if [ "$(id -un)" = postgres ]; then
        "$@"
    elif [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        die "run as root or as the postgres user"
    fi
}

psql_admin() {
    as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PG_PORT" \
        -U postgres -d postgres "$@"
}

ensure_binaries() {
    if [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && [ -x "$PG_BIN/psql" ] \
        && [ -f /usr/share/postgresql/15/extension/btree_gist.control ]; then
        return
    fi
    [ "$(id -u)" = 0 ] || die "PostgreSQL 15 is missing and only root can install it"
    log "installing PostgreSQL 15"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    # On Debian 12 postgresql-contrib-15 is a virtual package provided by postgresql-15;
    # btree_gist (needed by migrations) ships in postgresql-15 itself.
    apt-get install -y -q --no-install-recommends postgresql-15 postgresql-contrib-15 >&2
}

ensure_dirs() {
    if [ "$(id -u)" = 0 ]; then
        mkdir -p "$BASE_DIR"
        install -d -o postgres -g postgres -m 0700 "$PG_DIR"
        install -d -o postgres -g postgres -m 0755 "$SOCKET_DIR"
        touch "$LOG_FILE" && chown postgres:postgres "$LOG_FILE"
    else
        mkdir -p "$PG_DIR" "$SOCKET_DIR" && chmod 0700 "$PG_DIR"
    fi
}

is_running() {
    [ -f "$PG_DIR/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1
}

start() {
    ensure_binaries
    ensure_dirs
    # Concurrent test sessions may all call `start`; serialise them. The server must not
    # inherit fd 9 (see `9>&-` below) or it would hold the lock for its whole life.
    exec 9>>"$LOCK_FILE"
    flock 9

    if [ ! -f "$PG_DIR/PG_VERSION" ]; then
        log "initdb $PG_DIR"
        as_pg "$PG_BIN/initdb" -D "$PG_DIR" --username=postgres --encoding=UTF8 \
            --locale=C.UTF-8 --auth-local=trust --auth-host=trust >&2
    fi

    if ! is_running; then
        log "starting on 127.0.0.1:$PG_PORT"
        if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$LOG_FILE" -w -t 60 start \
            -o "-c port=$PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$SOCKET_DIR -c timezone=UTC" \
            >&2 9>&-; then
            tail -n 30 "$LOG_FILE" >&2 || true
            die "PostgreSQL failed to start (log: $LOG_FILE)"
        fi
    fi

    psql_admin -c "DO \$\$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'samad') THEN
            CREATE ROLE samad LOGIN SUPERUSER;
        END IF;
    END \$\$;"
    if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = 'samad'")" != 1 ]; then
        psql_admin -c "CREATE DATABASE samad OWNER samad"
    fi
    echo "$URL"
}

stop() {
    if is_running; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -w -m fast stop >&2
    else
        log "not running"
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) echo "$URL" ;;
    status) if is_running; then echo running; else echo stopped; exit 3; fi ;;
    *) die "usage: $0 start|stop|url|status" ;;
esac
