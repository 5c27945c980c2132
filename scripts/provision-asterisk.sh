#!/usr/bin/env bash
# Provision a real Asterisk 22 for local runs and CI.
#
# Debian 12 ships no Asterisk, Debian sid ships Asterisk 22: we debootstrap a minimal sid
# root once (cached under /var/cache) and run Asterisk inside it with chroot.  The chroot
# shares the host network, so AMI and FastAGI meet on 127.0.0.1.  Where a system Asterisk
# exists we print nothing and the caller uses it instead.
#
# The mirror is read from this machine's own apt configuration; no host is hard-coded.
set -euo pipefail

ROOT="${SAMAD_ASTERISK_ROOT:-/var/cache/samad-ivr/asterisk-root}"

mirror_from_apt() {
    local uri=""
    if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
        uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources)
    fi
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
    fi
    if [ -z "$uri" ]; then
        echo "provision-asterisk: no Debian mirror found in apt sources" >&2
        exit 1
    fi
    echo "$uri"
}

# python3 runs the classic AGI fallback script (agi/samad_fallback.py) inside the root.
PACKAGES="asterisk,asterisk-modules,asterisk-core-sounds-en-gsm,python3"

if [ -x "$ROOT/usr/sbin/asterisk" ] && [ -f "$ROOT/.samad-provisioned" ]; then
    if [ ! -x "$ROOT/usr/bin/python3" ]; then
        chroot "$ROOT" apt-get install -y -qq python3 >&2
    fi
    echo "$ROOT"
    exit 0
fi

if ! command -v debootstrap >/dev/null; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
fi

MIRROR=$(mirror_from_apt)
rm -rf "$ROOT.partial"
mkdir -p "$(dirname "$ROOT")"
debootstrap --variant=minbase \
    --include="$PACKAGES" \
    sid "$ROOT.partial" "$MIRROR" >&2
touch "$ROOT.partial/.samad-provisioned"
rm -rf "$ROOT"
mv "$ROOT.partial" "$ROOT"
echo "$ROOT"
