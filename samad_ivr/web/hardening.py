"""Response headers every page gets, and body limits before anyone reads a body.

* Every response carries a Content-Security-Policy (scripts and style blocks only from
  our origin or with this response's nonce; no framing: ``frame-ancestors 'none'``),
  ``Referrer-Policy: same-origin``, ``X-Content-Type-Options: nosniff`` and
  ``X-Frame-Options: DENY`` for browsers without frame-ancestors.  A response that
  set its own CSP (attachments are sandboxed) keeps it.
* Anonymous requests may send at most ``ANONYMOUS_MAX_BODY`` bytes: a declared larger
  body is refused with 413 before any middleware parses it (the CSRF check reads form
  bodies), and an undeclared (chunked) one stops being read at the limit.  Signed-in
  users keep the application's limit (officials' prompts are uploaded in megabytes).
"""

from __future__ import annotations

import secrets
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from samad_ivr.web.app import DEPS
from samad_ivr.web.security import USER_KEY, rendering_request

# The login form, a notice sign-up, an SMS provider's report: a few hundred bytes.
ANONYMOUS_MAX_BODY = 64 * 1024

TOO_LARGE = "حجم درخواست بیش از حد مجاز است."
_NONCE_KEY = web.RequestKey("samad_csp_nonce", str)
_CSP_KEY = web.AppKey("csp_policy", str)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

FIXED_HEADERS = {
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def content_security_policy(websocket_url: str) -> str:
    """The policy, with ``{nonce}`` to fill in per response."""
    connect = "'self'" + (f" {websocket_url}" if websocket_url else "")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'nonce-{nonce}'",
            # The date picker positions its popup with style attributes.
            "style-src-attr 'unsafe-inline'",
            "img-src 'self' data:",
            "media-src 'self' blob:",
            f"connect-src {connect}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def csp_nonce(request: web.Request) -> str:
    """This response's nonce (made on first use)."""
    nonce = request.get(_NONCE_KEY)
    if nonce is None:
        nonce = request[_NONCE_KEY] = secrets.token_urlsafe(16)
    return nonce


def _jinja_csp_nonce() -> str:
    return csp_nonce(rendering_request())


async def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    if "Content-Security-Policy" not in headers:
        policy = request.config_dict[_CSP_KEY]
        headers["Content-Security-Policy"] = policy.replace("{nonce}", csp_nonce(request))
    for name, value in FIXED_HEADERS.items():
        headers.setdefault(name, value)


@web.middleware
async def anonymous_body_limit(request: web.Request, handler: Any) -> web.StreamResponse:
    """Runs after the session middleware (so it knows who asks), before the CSRF check."""
    if request.method in _BODY_METHODS and USER_KEY not in request and request.can_read_body:
        declared = request.content_length
        if declared is not None and declared > ANONYMOUS_MAX_BODY:
            raise web.HTTPRequestEntityTooLarge(
                max_size=ANONYMOUS_MAX_BODY, actual_size=declared, text=TOO_LARGE
            )
        # Not clone(client_max_size=...): the earlier middlewares and the templates hold
        # this very request object, and a copy would split its state.
        request._client_max_size = ANONYMOUS_MAX_BODY
    result: web.StreamResponse = await handler(request)
    return result


def setup_hardening(app: web.Application, before: Any) -> None:
    """Install the headers, and the anonymous body limit just before middleware `before`."""
    app.middlewares.insert(app.middlewares.index(before), anonymous_body_limit)
    app[_CSP_KEY] = content_security_policy(app[DEPS].settings.softphone.ws_url)
    app.on_response_prepare.append(_add_headers)
    aiohttp_jinja2.get_env(app).globals["csp_nonce"] = _jinja_csp_nonce
