"""Which desks are browser softphones, and their PJSIP config.

A desk is a browser softphone when the official's desk endpoint is
``PJSIP/<prefix><name>``; any other endpoint (a hardware SIP phone, a Local channel) is
configured in Asterisk by its administrator and left alone.  Each browser desk's
credential is random and stored as the digest Asterisk checks (``md5_cred``, see
samad_ivr.storage.desk_credentials); nothing about it follows from the desk's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from samad_ivr.storage.desk_credentials import DeskCredential

# Strict on purpose: the name is written into pjsip.conf, so nothing that could end a
# section or start a directive ([, ], =, ;, newline) can get through.
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_HA1 = re.compile(r"[0-9a-f]{32}")
_REALM = re.compile(r"[A-Za-z0-9_.-]{1,64}")

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


def render_desks(credentials: Iterable[DeskCredential]) -> str:
    """pjsip.conf sections (auth, aor, endpoint) for each browser desk, sorted, so the
    same desks always give the same text and an unchanged file is never rewritten."""
    parts = [HEADER]
    for c in sorted({c.name: c for c in credentials}.values(), key=lambda c: c.name):
        if not _NAME.fullmatch(c.name):
            raise ValueError(f"not a desk name: {c.name!r}")
        if not _HA1.fullmatch(c.ha1) or not _REALM.fullmatch(c.realm):
            raise ValueError(f"not a digest credential for {c.name!r}")
        parts.append(
            f"\n[{c.name}](samad-webrtc-auth)\n"
            f"username = {c.name}\n"
            f"auth_type = md5\n"
            f"md5_cred = {c.ha1}\n"
            f"realm = {c.realm}\n"
            f"\n[{c.name}](samad-webrtc-aor)\n"
            f"\n[{c.name}](samad-webrtc-desk)\n"
            f"auth = {c.name}\n"
            f"aors = {c.name}\n"
        )
    return "".join(parts)
