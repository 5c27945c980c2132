"""CSRF protection: a signed double-submit token, for visitors with and without a session.

The `samad_csrf` cookie holds a random nonce.  A form's token is HMAC(secret, nonce and
the session it was issued in), so an attacker who can plant a cookie (a sibling
subdomain) still cannot forge the token, and a token issued before login stops working
after it.  Unsafe methods on every path outside `csrf_exempt` prefixes must carry the
token in the `_csrf` form field or the `X-CSRF-Token` header.  The middleware that
enforces this lives in `security.py`, beside the error pages.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web

from samad_ivr.web.config import WEB_SETTINGS

CSRF_COOKIE = "samad_csrf"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_EXEMPT = web.AppKey("csrf_exempt", list[str])

CSRF_FAILED_MESSAGE = (
    "درخواست شما تأیید نشد (توکن امنیتی فرم نامعتبر است یا منقضی شده). "
    "صفحه را دوباره بارگذاری کنید و دوباره بفرستید."
)

_NONCE_KEY = web.RequestKey("samad_csrf_nonce", str)
_NEW_NONCE_KEY = web.RequestKey("samad_csrf_new_nonce", str)
# The session middleware stores the session binding (hash of the session token, or "").
SESSION_BINDING_KEY = web.RequestKey("samad_session_binding", str)
_MAX_TOKEN_LENGTH = 200


def csrf_exempt(app: web.Application, path_prefix: str) -> None:
    """Let unsafe requests under `path_prefix` through without a token (machine callbacks).

    Such handlers must authenticate the caller themselves (a shared secret, a signature).
    """
    if not path_prefix.startswith("/"):
        raise ValueError(f"path prefix must start with '/', got {path_prefix!r}")
    if CSRF_EXEMPT not in app:
        app[CSRF_EXEMPT] = []
    app[CSRF_EXEMPT].append(path_prefix)


def _sign(secret: str, nonce: str, binding: str) -> str:
    message = f"csrf\x00{nonce}\x00{binding}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _cookie_nonce(request: web.Request) -> str | None:
    nonce = request.cookies.get(CSRF_COOKIE, "")
    # token_urlsafe(24) is 32 characters; anything else was not set by us.
    if len(nonce) == 32 and all(c.isalnum() or c in "-_" for c in nonce):
        return nonce
    return None


def _nonce(request: web.Request) -> str:
    nonce = request.get(_NONCE_KEY)
    if nonce is None:
        nonce = _cookie_nonce(request)
        if nonce is None:
            nonce = secrets.token_urlsafe(24)
            request[_NEW_NONCE_KEY] = nonce
        request[_NONCE_KEY] = nonce
    return nonce


def csrf_token(request: web.Request) -> str:
    """The token to put in this request's forms (`_csrf`) or `X-CSRF-Token` headers."""
    secret = request.config_dict[WEB_SETTINGS].secret.value
    binding = request.get(SESSION_BINDING_KEY, "")
    return _sign(secret, _nonce(request), binding)


def _is_exempt(request: web.Request) -> bool:
    prefixes = request.config_dict.get(CSRF_EXEMPT, [])
    return any(request.path.startswith(prefix) for prefix in prefixes)


async def _submitted_token(request: web.Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        # post() caches the parsed body, so the handler can read it again.
        form = await request.post()
        value = form.get(CSRF_FIELD)
        if isinstance(value, str):
            return value
    return ""


async def check_csrf(request: web.Request) -> bool:
    """True when the request carries a valid token (or needs none)."""
    if request.method not in UNSAFE_METHODS or _is_exempt(request):
        return True
    nonce = _cookie_nonce(request)
    submitted = await _submitted_token(request)
    if nonce is None or not submitted or len(submitted) > _MAX_TOKEN_LENGTH:
        return False
    secret = request.config_dict[WEB_SETTINGS].secret.value
    binding = request.get(SESSION_BINDING_KEY, "")
    return hmac.compare_digest(_sign(secret, nonce, binding).encode(), submitted.encode())


def set_cookie_if_new(request: web.Request, response: web.StreamResponse) -> None:
    nonce = request.get(_NEW_NONCE_KEY)
    if nonce is None or response.prepared:
        return
    response.set_cookie(
        CSRF_COOKIE,
        nonce,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=request.config_dict[WEB_SETTINGS].secure_cookies,
    )
