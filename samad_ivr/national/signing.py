"""Short-lived signed playback URLs.

The signature is HMAC-SHA256 over the action, recording id, user id and expiry with the
web secret.  A URL is useless to anyone but the user it was issued to (the playback view
also requires that user's session), and stops working after `ttl` seconds.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

DEFAULT_TTL_SECONDS = 300
_MAX_SIG_LENGTH = 64


@dataclass(frozen=True, slots=True)
class PlaybackGrant:
    recording_id: int
    user_id: int
    expires: int
    download: bool


def _message(grant: PlaybackGrant) -> bytes:
    action = "download" if grant.download else "play"
    parts = ("samad-recording", action, grant.recording_id, grant.user_id, grant.expires)
    return "\x00".join(map(str, parts)).encode()


def sign(secret: str, grant: PlaybackGrant) -> str:
    return hmac.new(secret.encode(), _message(grant), hashlib.sha256).hexdigest()


def verify(secret: str, grant: PlaybackGrant, signature: str, now: float) -> bool:
    """True when `signature` is ours for `grant` and the grant has not expired."""
    if len(signature) != _MAX_SIG_LENGTH or grant.expires < now:
        return False
    return hmac.compare_digest(sign(secret, grant).encode(), signature.encode())


def playback_url(secret: str, grant: PlaybackGrant) -> str:
    tail = "&download=1" if grant.download else ""
    return (
        f"/national/recordings/{grant.recording_id}/audio"
        f"?exp={grant.expires}&sig={sign(secret, grant)}{tail}"
    )
