"""Short-lived signed links to an answer's attachment, for the citizen who opened /status.

Only a page shown after a matching code and digits carries them: the signature is
HMAC-SHA256 with the web secret over the attachment id and the expiry, so a link cannot
be made for another file or kept beyond `ttl` seconds (and needs no session).
"""

from __future__ import annotations

import hashlib
import hmac

DEFAULT_TTL_SECONDS = 15 * 60
_SIG_LENGTH = 64


def _message(attachment_id: int, expires: int) -> bytes:
    return f"samad-status-attachment\x00{attachment_id}\x00{expires}".encode()


def sign(secret: str, attachment_id: int, expires: int) -> str:
    return hmac.new(secret.encode(), _message(attachment_id, expires), hashlib.sha256).hexdigest()


def verify(secret: str, attachment_id: int, expires: int, signature: str, now: float) -> bool:
    """True when `signature` is ours for this attachment and expiry, not yet passed."""
    if len(signature) != _SIG_LENGTH or expires < now:
        return False
    return hmac.compare_digest(sign(secret, attachment_id, expires).encode(), signature.encode())


def attachment_url(secret: str, attachment_id: int, expires: int) -> str:
    sig = sign(secret, attachment_id, expires)
    return f"/status/attachments/{attachment_id}?exp={expires}&sig={sig}"
