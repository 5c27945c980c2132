"""Page cursors as opaque URL-safe tokens: a pair of non-negative integers.

Keyset pagination hands the client "where the page ended" (a sort key and an id); the
token is base64 of `a.b` without padding.  `parse_pair` returns None for anything we did
not issue, so a tampered cursor is a clear input error rather than a crash.
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["pair_token", "parse_pair"]

_PAIR_RE = re.compile(r"^([0-9]{1,19})\.([0-9]{1,19})$")
MAX_TOKEN = 64


def pair_token(first: int, second: int) -> str:
    if first < 0 or second < 0:
        raise ValueError("cursor parts are non-negative")
    return base64.urlsafe_b64encode(f"{first}.{second}".encode()).decode().rstrip("=")


def parse_pair(token: str) -> tuple[int, int] | None:
    """The two integers of a token made by `pair_token`, or None."""
    if not token or len(token) > MAX_TOKEN:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    match = _PAIR_RE.fullmatch(raw)
    return None if match is None else (int(match[1]), int(match[2]))
