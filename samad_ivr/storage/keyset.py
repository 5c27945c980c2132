"""Page cursors as opaque URL-safe tokens.

Keyset pagination hands the client "where the page ended" (a sort key and an id).  The
one encoding, for every cursor: the parts joined by `.`, as base64 without padding.
Each cursor class maps its own fields to parts and back, and gives the strict pattern
its parts must match; `token_parts` returns None for anything we did not issue, so a
tampered cursor is a clear input error rather than a crash.
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["MAX_TOKEN", "pair_token", "parse_pair", "parts_token", "token_parts"]

MAX_TOKEN = 64
_PAIR_RE = re.compile(r"([0-9]{1,19})\.([0-9]{1,19})")


def parts_token(*parts: str | int) -> str:
    """The opaque token of `parts` (written as text, joined by `.`)."""
    raw = ".".join(str(part) for part in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def token_parts(token: str, pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """The groups of `pattern` in a token made by `parts_token`, or None when the token
    is empty, too long, not our base64 or its text does not match `pattern` whole."""
    if not token or len(token) > MAX_TOKEN:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    match = pattern.fullmatch(raw)
    return None if match is None else match.groups()


def pair_token(first: int, second: int) -> str:
    if first < 0 or second < 0:
        raise ValueError("cursor parts are non-negative")
    return parts_token(first, second)


def parse_pair(token: str) -> tuple[int, int] | None:
    """The two integers of a token made by `pair_token`, or None."""
    parts = token_parts(token, _PAIR_RE)
    return None if parts is None else (int(parts[0]), int(parts[1]))
