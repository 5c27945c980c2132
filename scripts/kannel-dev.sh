#!/usr/bin/env bash
# Project-owned Kannel (bearerbox + smsbox, loopback SMSC) for development and tests.
#
#   scripts/kannel-dev.sh start    # idempotent: install, write config, start, wait; prints sendsms URL
#   scripts/kannel-dev.sh stop
#   scripts/kannel-dev.sh status
#   scripts/kannel-dev.sh url      # the sendsms URL
#
# The loopback SMSC turns every MT message back into an MO message, which smsbox
# delivers to SAMAD_KANNEL_MO_URL: a full round trip (MT, DLR, MO) without an operator.
#
# Environment (defaults in brackets):
#   SAMAD_KANNEL_DIR            config, logs, pid files, store [/var/lib/samad-ivr/kannel]
#   SAMAD_KANNEL_ADMIN_PORT     bearerbox admin HTTP [13000]
#   SAMAD_KANNEL_SMSBOX_PORT    bearerbox <-> smsbox [13001]
#   SAMAD_KANNEL_SENDSMS_PORT   smsbox sendsms HTTP [13013]
#   SAMAD_KANNEL_USER / SAMAD_KANNEL_PASSWORD   sendsms user [samad / samad-dev-sms]
#   SAMAD_KANNEL_ADMIN_PASSWORD [samad-dev-admin]
#   SAMAD_KANNEL_MO_URL         where MO messages go; Kannel appends nothing, the URL
#                               carries the placeholders [http://127.0.0.1:8080/sms/kannel/mo/dev-callback-token]
# A changed configuration restarts the running boxes. Everything listens on loopback
# only (and refuses other addresses too): it is a dev gateway, never a production one.
set -euo pipefail

DIR=${SAMAD_KANNEL_DIR:-/var/lib/samad-ivr/kannel}
ADMIN_PORT=${SAMAD_KANNEL_ADMIN_PORT:-13000}
SMSBOX_PORT=${SAMAD_KANNEL_SMSBOX_PORT:-13001}
SENDSMS_PORT=${SAMAD_KANNEL_SENDSMS_PORT:-13013}
SMS_USER=${SAMAD_KANNEL_USER:-samad}
SMS_PASSWORD=${SAMAD_KANNEL_PASSWORD:-samad-dev-sms}
ADMIN_PASSWORD=${SAMAD_KANNEL_ADMIN_PASSWORD:-samad-dev-admin}
MO_URL=${SAMAD_KANNEL_MO_URL:-http://127.0.0.1:8080/sms/kannel/mo/dev-callback-token}
CONF=$DIR/kannel.conf
LOCK_FILE=$DIR/kannel-dev.lock
SENDSMS_URL="http://127.0.0.1:${SENDSMS_PORT}/cgi-bin/sendsms"

log() { printf 'kannel-dev: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

ensure_binaries() {
    if command -v bearerbox >/dev/null 2>&1 && command -v smsbox >/dev/null 2>&1; then
        return
    fi
    [ -x /usr/sbin/bearerbox ] && [ -x /usr/sbin/smsbox ] && return
    [ "$(id -u)" = 0 ] || die "Kannel is missing and only root can install it"
    log "installing kannel"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends kannel >&2
}

bin() { if [ -x "/usr/sbin/$1" ]; then echo "/usr/sbin/$1"; else command -v "$1"; fi; }

# The MO URL's placeholders: %p sender, %P receiver, %b the raw text (URL-encoded
# bytes), %c coding (0 GSM, 1 8-bit, 2 UCS-2), %C charset, %i SMSC id, %I Kannel's id.
write_config() {
    local mo_url="${MO_URL}"
    case "$mo_url" in *\?*) mo_url="${mo_url}&" ;; *) mo_url="${mo_url}?" ;; esac
    mo_url="${mo_url}from=%p&to=%P&text=%b&coding=%c&charset=%C&smsc=%i&kid=%I"
    cat <<EOF
# Written by scripts/kannel-dev.sh; edits are overwritten on the next start.
group = core
admin-port = ${ADMIN_PORT}
admin-password = "${ADMIN_PASSWORD}"
admin-deny-ip = "*.*.*.*"
admin-allow-ip = "127.0.0.1"
smsbox-port = ${SMSBOX_PORT}
# Kannel 1.4.5 accepts these (not admin-interface-name): every port on loopback only.
smsbox-interface = 127.0.0.1
admin-interface = 127.0.0.1
box-deny-ip = "*.*.*.*"
box-allow-ip = "127.0.0.1"
log-file = "${DIR}/bearerbox.log"
log-level = 1
access-log = "${DIR}/access.log"
dlr-storage = internal
store-type = file
store-location = "${DIR}/store"

group = smsc
smsc = loopback
smsc-id = loopback

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = ${SMSBOX_PORT}
sendsms-port = ${SENDSMS_PORT}
sendsms-interface = 127.0.0.1
global-sender = 111
log-file = "${DIR}/smsbox.log"
log-level = 1
mo-recode = false

group = sendsms-user
username = "${SMS_USER}"
password = "${SMS_PASSWORD}"
user-allow-ip = "127.0.0.1"
concatenation = true
max-messages = 10

group = sms-service
keyword = default
catch-all = true
get-url = "${mo_url}"
max-messages = 0
omit-empty = true
EOF
}

read_pid() { cat "$1" 2>/dev/null || true; }
pid_alive() { local pid; pid=$(read_pid "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

is_running() { pid_alive "$DIR/bearerbox.pid" && pid_alive "$DIR/smsbox.pid"; }

stop_box() {
    local name=$1 pidfile="$DIR/$1.pid" i
    if pid_alive "$pidfile"; then
        kill "$(read_pid "$pidfile")" 2>/dev/null || true
        for i in $(seq 1 50); do pid_alive "$pidfile" || break; sleep 0.2; done
        if pid_alive "$pidfile"; then
            log "$name did not stop in 10 s; killing it"
            kill -9 "$(read_pid "$pidfile")" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

stop_all() { stop_box smsbox; stop_box bearerbox; }

# Ready means: smsbox answers HTTP and bearerbox reports the SMSC online.
wait_ready() {
    local i code status
    for i in $(seq 1 100); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$SENDSMS_URL" || true)
        status=$(curl -s --max-time 2 \
            "http://127.0.0.1:${ADMIN_PORT}/status.txt?password=${ADMIN_PASSWORD}" || true)
        if [ "$code" != 000 ] && [ -n "$code" ] && grep -q 'online' <<<"$status" \
            && grep -q 'smsbox' <<<"$status"; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

start() {
    ensure_binaries
    mkdir -p "$DIR"
    exec 9>>"$LOCK_FILE"
    flock 9

    local fresh=$DIR/kannel.conf.new
    write_config >"$fresh"
    if [ -f "$CONF" ] && cmp -s "$fresh" "$CONF" && is_running; then
        rm -f "$fresh"
        wait_ready || die "Kannel is running but not ready (logs in $DIR)"
        echo "$SENDSMS_URL"
        return
    fi
    if [ -f "$CONF" ] && ! cmp -s "$fresh" "$CONF"; then log "configuration changed"; fi
    stop_all
    mv "$fresh" "$CONF"
    chmod 0600 "$CONF"

    log "starting bearerbox (admin 127.0.0.1:$ADMIN_PORT) and smsbox (sendsms 127.0.0.1:$SENDSMS_PORT)"
    # The boxes must not inherit the lock (fd 9) or they would hold it for life.
    "$(bin bearerbox)" --daemonize --pid-file "$DIR/bearerbox.pid" "$CONF" \
        >>"$DIR/bearerbox.out" 2>&1 9>&-
    for _ in $(seq 1 50); do pid_alive "$DIR/bearerbox.pid" && break; sleep 0.1; done
    "$(bin smsbox)" --daemonize --pid-file "$DIR/smsbox.pid" "$CONF" \
        >>"$DIR/smsbox.out" 2>&1 9>&-
    if ! wait_ready; then
        tail -n 20 "$DIR/bearerbox.log" "$DIR/smsbox.log" >&2 2>/dev/null || true
        die "Kannel did not become ready (logs in $DIR)"
    fi
    echo "$SENDSMS_URL"
}

case "${1:-}" in
    start) start ;;
    stop) mkdir -p "$DIR"; exec 9>>"$LOCK_FILE"; flock 9; stop_all ;;
    url) echo "$SENDSMS_URL" ;;
    status) if is_running; then echo running; else echo stopped; exit 3; fi ;;
    *) die "usage: $0 start|stop|status|url" ;;
esac
