#!/usr/bin/env bash
# Install what samad-ivr needs on a Debian 12 machine (run as root), then the Python venv.
# Idempotent: packages already present are not touched, an up-to-date venv is kept.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)

# systemd: systemd-analyze verifies the shipped unit (scripts/systemd/).
# postgresql-15 includes the contrib modules (btree_gist) on Debian 12.
DEBIAN_PACKAGES=(postgresql-15 espeak-ng sox ffmpeg debootstrap kannel chromium sip-tester systemd)
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

VENV="$HERE/.venv"
stamp="$VENV/.samad-installed"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if [ ! -f "$stamp" ] || [ "$HERE/pyproject.toml" -nt "$stamp" ]; then
    "$VENV/bin/pip" install -q -e "$HERE[test]"
    touch "$stamp"
fi

# Browser libraries the web consoles serve (SIP.js for the desk softphone, the Jalali
# date picker for every date field), pinned by package-lock.json and installed from the
# machine's configured npm registry.
VENDOR="$HERE/samad_ivr/web/vendor"
if ! command -v npm >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
# Every dependency package.json names must be installed, not just the first one added.
vendor_missing=$(cd "$VENDOR" && node -e '
    const fs = require("fs");
    const names = Object.keys(require("./package.json").dependencies);
    console.log(names.filter((n) => !fs.existsSync(`node_modules/${n}/package.json`)).join(" "));
')
if [ -n "$vendor_missing" ] || [ "$VENDOR/package-lock.json" -nt "$VENDOR/node_modules" ]; then
    (cd "$VENDOR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    touch "$VENDOR/node_modules"
fi
