"""Which desks are browser softphones, their SIP credentials, and their PJSIP config.

A desk is a browser softphone when the official's desk endpoint is
``PJSIP/<prefix><name>``; any other endpoint (a hardware SIP phone, a Local channel) is
configured in Asterisk by its administrator and left alone.  Each browser desk's SIP
password is an HMAC of the desk name under `SAMAD_WEBRTC_SECRET`: the service and
Asterisk agree without storing passwords, and rotating the secret rotates them all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable

# Strict on purpose: the name is written into pjsip.conf, so nothing that could end a
# section or start a directive ([, ], =, ;, newline) can get through.
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")

HEADER = """\
; Written by samad-ivr from the officials' desks: do not edit, it is rewritten whenever
; the desks change.  Templates: dialplan/pjsip_samad.conf.
"""


def browser_desk(desk_endpoint: str, prefix: str) -> str | None:
    """The PJSIP endpoint name when `desk_endpoint` is a browser desk, else None."""
    tech, _, name = desk_endpoint.partition("/")
    if tech != "PJSIP" or not name.startswith(prefix) or not _NAME.fullmatch(name):
        return None
    return name


def desk_password(secret: str, name: str) -> str:
    digest = hmac.new(secret.encode(), b"samad-webrtc-desk\0" + name.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:18]).decode()


def render_desks(names: Iterable[str], secret: str) -> str:
    """pjsip.conf sections (auth, aor, endpoint) for each browser desk, sorted, so the
    same desks always give the same text and an unchanged file is never rewritten."""
    parts = [HEADER]
    for name in sorted(set(names)):
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a desk name: {name!r}")
        parts.append(
            f"\n[{name}](samad-webrtc-auth)\n"
            f"username = {name}\n"
            f"password = {desk_password(secret, name)}\n"
            f"\n[{name}](samad-webrtc-aor)\n"
            f"\n[{name}](samad-webrtc-desk)\n"
            f"auth = {name}\n"
            f"aors = {name}\n"
        )
    return "".join(parts)
