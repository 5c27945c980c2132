"""Softphone configuration, from ``SAMAD_WEBRTC_*`` and ``SAMAD_PJSIP_DESKS_FILE``.

The softphone is off unless `SAMAD_WEBRTC_WS_URL` names Asterisk's SIP-over-WebSocket
address as browsers reach it (``wss://pbx.example.org:8089/ws`` in production).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from samad_ivr.settings import Secret, SettingsError

MIN_SECRET_LENGTH = 32
_PREFIX = re.compile(r"[a-z][a-z0-9-]{0,30}-")
_ICE_URL = re.compile(r"(stun|turn|turns):[A-Za-z0-9.\-:\[\]?=&]+")


@dataclass(frozen=True, slots=True)
class SoftphoneSettings:
    ws_url: str  # empty: no softphone
    sip_domain: str
    # Each desk's SIP password is derived from this secret (see desks.desk_password).
    secret: Secret
    prefix: str  # PJSIP endpoints named <prefix><name> are browser desks
    desks_file: Path | None  # where the service writes those endpoints for Asterisk
    ice_servers: tuple[str, ...]  # STUN/TURN URLs for browsers outside the PBX's LAN

    @property
    def enabled(self) -> bool:
        return bool(self.ws_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SoftphoneSettings:
        def get(name: str, default: str = "") -> str:
            return env.get(f"SAMAD_{name}", default).strip() or default

        ws_url = get("WEBRTC_WS_URL")
        parts = urlsplit(ws_url)
        if ws_url and (parts.scheme not in ("ws", "wss") or not parts.hostname):
            raise SettingsError(
                f"SAMAD_WEBRTC_WS_URL must be a ws:// or wss:// URL, got {ws_url!r}"
            )
        secret = get("WEBRTC_SECRET")
        if ws_url and len(secret) < MIN_SECRET_LENGTH:
            # Never echo the value itself.
            raise SettingsError(
                f"SAMAD_WEBRTC_SECRET must be at least {MIN_SECRET_LENGTH} characters long "
                "when SAMAD_WEBRTC_WS_URL is set"
            )
        prefix = get("WEBRTC_PREFIX", "samad-web-")
        if not _PREFIX.fullmatch(prefix):
            raise SettingsError(
                f"SAMAD_WEBRTC_PREFIX must be lower-case letters, digits and dashes ending "
                f"in '-', got {prefix!r}"
            )
        ice = tuple(u.strip() for u in get("WEBRTC_ICE_SERVERS").split(",") if u.strip())
        for url in ice:
            if not _ICE_URL.fullmatch(url):
                raise SettingsError(f"SAMAD_WEBRTC_ICE_SERVERS: not a STUN/TURN URL: {url!r}")
        desks_file = get("PJSIP_DESKS_FILE")
        return cls(
            ws_url=ws_url,
            sip_domain=get("WEBRTC_SIP_DOMAIN", parts.hostname or "localhost"),
            secret=Secret(secret),
            prefix=prefix,
            desks_file=Path(desks_file) if desks_file else None,
            ice_servers=ice,
        )
