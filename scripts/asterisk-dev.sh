#!/usr/bin/env bash
# Run a local Asterisk 22 with the dialplan we ship, for `make run` and the tests.
#
#   scripts/asterisk-dev.sh start   provision if needed, write config, start, wait for AMI
#   scripts/asterisk-dev.sh stop
#   scripts/asterisk-dev.sh env     print SAMAD_* paths the service must use with it
#   scripts/asterisk-dev.sh rx CMD  run an Asterisk CLI command
#
# A system Asterisk (an `asterisk` binary on PATH) is used when present; otherwise the
# Debian sid root built by provision-asterisk.sh, entered with chroot.  Several instances
# (SAMAD_ASTERISK_INSTANCE) can run side by side with their own ports and directories.
set -euo pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
INSTANCE="${SAMAD_ASTERISK_INSTANCE:-dev}"
AGI_BIND="${SAMAD_AGI_BIND:-127.0.0.1:4573}"
AMI_PORT="${SAMAD_AMI_PORT:-5038}"
AMI_USER="${SAMAD_AMI_USER:-samad}"
AMI_SECRET="${SAMAD_AMI_SECRET:-samad-dev-secret}"
# Every other port follows the AMI port, so instances never collide: Asterisk's HTTP
# server (the browser softphones' SIP over WebSocket), SIP over UDP (desk phones), RTP.
OFFSET=$((AMI_PORT - 5038))
HTTP_PORT="${SAMAD_ASTERISK_HTTP_PORT:-$((8088 + OFFSET))}"
SIP_PORT="${SAMAD_ASTERISK_SIP_PORT:-$((5160 + OFFSET))}"
RTP_START=$((10000 + 200 * OFFSET))
# Extra dialplan files (space separated, host paths) included after ours: demo and tests.
EXTRA_CONF="${SAMAD_ASTERISK_EXTRA_CONF:-$HERE/dialplan/demo/extensions_demo.conf}"
# Extra pjsip.conf files (space separated), e.g. the tests' hardware desk phone.
EXTRA_PJSIP="${SAMAD_ASTERISK_EXTRA_PJSIP:-}"
# Browser desks (WebRTC softphones) need samad-ivr to reload res_pjsip over AMI, i.e. the
# AMI user's `config` write class; without them (=no) the AMI user does not get it.
BROWSER_DESKS="${SAMAD_ASTERISK_BROWSER_DESKS:-yes}"
AMI_WRITE="originate,call,agent,reporting"
if [ "$BROWSER_DESKS" = yes ]; then AMI_WRITE="$AMI_WRITE,config"; fi

if command -v asterisk >/dev/null 2>&1 && [ -z "${SAMAD_ASTERISK_ROOT:-}" ]; then
    ROOT=""
    RUN=()
else
    ROOT="${SAMAD_ASTERISK_ROOT:-/var/cache/samad-ivr/asterisk-root}"
    RUN=(chroot "$ROOT")
fi

ETC="/etc/samad-asterisk/$INSTANCE"
RUNDIR="/run/samad-asterisk/$INSTANCE"
SPOOL="/var/spool/samad-asterisk/$INSTANCE"
LOGDIR="/var/log/samad-asterisk/$INSTANCE"
DBDIR="/var/lib/samad-asterisk/$INSTANCE"
AGIDIR="/usr/share/asterisk/agi-bin"
SOUNDS="/usr/share/asterisk/sounds"
RECDIR="$SPOOL/samad/recordings"
SAMAD_SPOOL="$SPOOL/samad/spool"

asterisk_cli() { "${RUN[@]}" asterisk -C "$ETC/asterisk.conf" -rx "$1"; }

print_env() {
    echo "SAMAD_RECORDINGS_DIR=$ROOT$RECDIR"
    echo "SAMAD_SPOOL_DIR=$ROOT$SAMAD_SPOOL"
    echo "SAMAD_SOUNDS_DIR=$ROOT$SOUNDS/fa"
    echo "SAMAD_AMI_PORT=$AMI_PORT"
    if [ "$BROWSER_DESKS" = yes ]; then
        echo "SAMAD_PJSIP_DESKS_FILE=$ROOT$ETC/samad/pjsip_desks.conf"
        echo "SAMAD_WEBRTC_WS_URL=ws://127.0.0.1:$HTTP_PORT/ws"
        # Loopback-only dev instance: a fixed secret, like its AMI one; production sets its own.
        echo "SAMAD_WEBRTC_SECRET=${SAMAD_WEBRTC_SECRET:-samad-dev-softphone-secret-not-for-production}"
    fi
    echo "SAMAD_ASTERISK_SIP_PORT=$SIP_PORT"
}

write_config() {
    local etc="$ROOT$ETC"
    # The browser desks samad-ivr wrote survive a restart, as they would in production.
    local desks=""
    if [ -f "$etc/samad/pjsip_desks.conf" ]; then
        desks=$(cat "$etc/samad/pjsip_desks.conf"; printf x)  # x keeps trailing newlines
        desks=${desks%x}
    fi
    rm -rf "$etc"
    mkdir -p "$etc" "$ROOT$RUNDIR" "$ROOT$LOGDIR" "$ROOT$DBDIR" "$ROOT$RECDIR" "$ROOT$SAMAD_SPOOL" \
        "$ROOT$SPOOL" "$ROOT$AGIDIR/samad_lib" "$ROOT$SOUNDS/fa"

    cat > "$etc/asterisk.conf" <<CONF
[directories]
astetcdir => $ETC
astmoddir => $(ls -d "$ROOT"/usr/lib/*/asterisk/modules | head -n1 | sed "s#^$ROOT##")
astvarlibdir => /var/lib/asterisk
astdbdir => $DBDIR
astkeydir => /var/lib/asterisk
astdatadir => /usr/share/asterisk
astagidir => $AGIDIR
astspooldir => $SPOOL
astrundir => $RUNDIR
astlogdir => $LOGDIR
astsbindir => /usr/sbin
[options]
defaultlanguage = fa
transmit_silence = yes
CONF
    # The node's name, part of every uniqueid and of a call's identity (calls.systemname).
    if [ -n "${SAMAD_ASTERISK_SYSTEMNAME:-}" ]; then
        echo "systemname = $SAMAD_ASTERISK_SYSTEMNAME" >> "$etc/asterisk.conf"
    fi
    # Asterisk's own record of each call (CEL) into the service's database: the
    # reconciliation after a crash reads it (docs/reliability.md).  Tests point it at
    # their own database and reload cel_pgsql.so.
    cat > "$etc/cel.conf" <<CONF
[general]
enable = yes
events = USER_DEFINED
CONF
    cat > "$etc/cel_pgsql.conf" <<CONF
[global]
hostname = ${SAMAD_CEL_PG_HOST:-127.0.0.1}
port = ${SAMAD_CEL_PG_PORT:-${SAMAD_PG_PORT:-5433}}
dbname = ${SAMAD_CEL_PG_DBNAME:-samad}
user = ${SAMAD_CEL_PG_USER:-samad}
password = ${SAMAD_CEL_PG_PASSWORD:-}
appname = asterisk-cel
table = cel
usegmtime = yes
CONF
    cat > "$etc/modules.conf" <<CONF
[modules]
autoload = yes
; hardware, desktop, database and legacy channel drivers this box has no use for
noload => chan_dahdi.so
noload => chan_mobile.so
noload => chan_console.so
noload => chan_alsa.so
noload => chan_oss.so
noload => chan_unistim.so
noload => chan_skinny.so
noload => chan_mgcp.so
noload => chan_iax2.so
noload => chan_websocket.so
noload => res_config_ldap.so
noload => res_config_odbc.so
noload => res_config_pgsql.so
noload => res_config_mysql.so
noload => res_config_sqlite3.so
noload => cdr_pgsql.so
noload => cdr_odbc.so
noload => cel_odbc.so
noload => cdr_tds.so
noload => cel_tds.so
noload => cdr_radius.so
noload => cel_radius.so
noload => cdr_sqlite3_custom.so
noload => cel_sqlite3_custom.so
noload => cdr_adaptive_odbc.so
noload => res_odbc.so
noload => res_snmp.so
noload => res_hep.so
noload => res_hep_pjsip.so
noload => res_hep_rtcp.so
noload => res_calendar.so
noload => res_corosync.so
noload => res_xmpp.so
noload => chan_motif.so
noload => res_phoneprov.so
noload => res_pjsip_phoneprov_provider.so
noload => pbx_lua.so
noload => pbx_ael.so
noload => res_ael_share.so
noload => pbx_dundi.so
noload => res_statsd.so
noload => app_voicemail.so
noload => app_voicemail_imap.so
noload => app_voicemail_odbc.so
noload => res_stir_shaken.so
noload => res_geolocation.so
noload => res_smdi.so
noload => cdr_custom.so
noload => cdr_manager.so
noload => cel_custom.so
noload => cel_manager.so
CONF
    cat > "$etc/logger.conf" <<CONF
[general]
[logfiles]
messages.log => notice,warning,error,verbose(3)
CONF
    cat > "$etc/manager.conf" <<CONF
[general]
enabled = yes
port = $AMI_PORT
bindaddr = 127.0.0.1
displayconnects = no

[$AMI_USER]
secret = $AMI_SECRET
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = system,call,agent,user,dialplan,reporting
write = $AMI_WRITE
CONF
    # Asterisk's HTTP server carries SIP over WebSocket for the browser softphones.
    cat > "$etc/http.conf" <<CONF
[general]
enabled = yes
bindaddr = 127.0.0.1
bindport = $HTTP_PORT
CONF
    # ICE candidates on loopback only: tests and the dev box never send media elsewhere.
    cat > "$etc/rtp.conf" <<CONF
[general]
rtpstart = $RTP_START
rtpend = $((RTP_START + 199))
icesupport = yes
ice_deny = 0.0.0.0/0
ice_permit = 127.0.0.0/255.0.0.0
CONF
    cat > "$etc/pjsip.conf" <<CONF
[global]
type = global
user_agent = samad-ivr dev Asterisk

[samad-udp]
type = transport
protocol = udp
bind = 127.0.0.1:$SIP_PORT

[samad-ws]
type = transport
protocol = ws
; rides on the HTTP server above (http.conf); the bind address is not used
bind = 127.0.0.1

#include samad/pjsip_samad.conf
#include samad/pjsip_desks.conf
CONF
    cat > "$etc/extensions.conf" <<CONF
[general]
static = yes
writeprotect = yes

[globals]
SAMAD_AGI=$AGI_BIND
SAMAD_AGI_2=${SAMAD_AGI_BIND_2:-}
SAMAD_RECDIR=$RECDIR
SAMAD_SPOOLDIR=$SAMAD_SPOOL

#include samad/extensions_samad.conf
CONF
    mkdir -p "$etc/samad"
    cp "$HERE/dialplan/extensions_samad.conf" "$etc/samad/"
    local n=0 f
    for f in $EXTRA_CONF; do
        n=$((n + 1))
        cp "$f" "$etc/samad/extra_$n.conf"
        echo "#include samad/extra_$n.conf" >> "$etc/extensions.conf"
    done
    cp "$HERE/dialplan/queues_samad.conf" "$etc/queues.conf"
    # Every center's own queue ([queue](samad-desk)), written by samad-ivr from the centers
    # table (samad_ivr/ami/queue_config.py, SAMAD_QUEUES_FILE); empty until then.
    printf '\n#tryinclude samad/queues_centers.conf\n' >> "$etc/queues.conf"
    [ -f "$etc/samad/queues_centers.conf" ] || : > "$etc/samad/queues_centers.conf"
    cp "$HERE/dialplan/musiconhold_samad.conf" "$etc/musiconhold.conf"
    cp "$HERE/dialplan/pjsip_samad.conf" "$etc/samad/"
    # Written by samad-ivr from the officials' desks (samad_ivr/softphone/sync.py); empty
    # until the service first starts.
    printf '%s' "$desks" > "$etc/samad/pjsip_desks.conf"
    chmod 640 "$etc/samad/pjsip_desks.conf"
    : > "$etc/pjsip_wizard.conf"
    n=0
    for f in $EXTRA_PJSIP; do
        n=$((n + 1))
        cp "$f" "$etc/samad/pjsip_extra_$n.conf"
        echo "#include samad/pjsip_extra_$n.conf" >> "$etc/pjsip.conf"
    done
    : > "$etc/cdr.conf"
    # Debian's stock files for tones and the like, which our config does not change.
    for f in indications.conf ccss.conf acl.conf udptl.conf features.conf; do
        [ -f "$ROOT/etc/asterisk/$f" ] && cp "$ROOT/etc/asterisk/$f" "$etc/$f"
    done
    mkdir -p "$ROOT/var/lib/asterisk/keys"
    # Prompts, hold music and the classic AGI fallback with its library (pyst2 and six).
    # Copied over, never replaced: the sounds directory is shared by every instance, and
    # runtime prompts live beside ours (officials/, demo-caller/, the tests' samad-test/).
    # --remove-destination: a prompt being played keeps its old inode, never a half file.
    cp -a -u --remove-destination "$HERE/recordings/fa/." "$ROOT$SOUNDS/fa/"
    rm -rf "$ROOT/usr/share/asterisk/samad-moh"
    cp -a "$HERE/recordings/moh" "$ROOT/usr/share/asterisk/samad-moh"
    cp "$HERE/agi/samad_fallback.py" "$ROOT$AGIDIR/samad_fallback.py"
    chmod 755 "$ROOT$AGIDIR/samad_fallback.py"
    local site
    site=$("$HERE/.venv/bin/python" -c 'import asterisk, os, six; print(os.path.dirname(asterisk.__path__[0]))')
    rm -rf "$ROOT$AGIDIR/samad_lib" && mkdir -p "$ROOT$AGIDIR/samad_lib"
    cp -a "$site/asterisk" "$site/six.py" "$ROOT$AGIDIR/samad_lib/"
}

wait_for_ami() {
    local i
    for i in $(seq 1 150); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$AMI_PORT") 2>/dev/null; then
            if asterisk_cli "core waitfullybooted" >/dev/null 2>&1; then
                return 0
            fi
        fi
        sleep 0.2
    done
    echo "asterisk-dev: Asterisk did not open AMI on port $AMI_PORT; see $ROOT$LOGDIR/messages.log" >&2
    return 1
}

case "${1:-}" in
    start)
        if [ -n "$ROOT" ]; then
            "$HERE/scripts/provision-asterisk.sh" >/dev/null
        fi
        if [ -S "$ROOT$RUNDIR/asterisk.ctl" ] && asterisk_cli "core show version" >/dev/null 2>&1; then
            asterisk_cli "core stop now" >/dev/null 2>&1 || true
            sleep 0.5
        fi
        write_config
        "${RUN[@]}" asterisk -C "$ETC/asterisk.conf"
        wait_for_ami
        print_env
        ;;
    stop)
        if [ -S "$ROOT$RUNDIR/asterisk.ctl" ]; then
            asterisk_cli "core stop now" >/dev/null 2>&1 || true
        fi
        ;;
    env)
        print_env
        ;;
    rx)
        asterisk_cli "$2"
        ;;
    *)
        echo "usage: $0 start|stop|env|rx CMD" >&2
        exit 2
        ;;
esac
