"""Who is asking, and may they: sessions, roles, provinces, CSRF and the error pages.

Every view calls `require_user(request, *roles, center_id=...)`.  National roles
(superuser, national listener) see every center; everyone else only their own.  Failures
are JSON `{"error": {"code", "message"}}` under `/api/` and a Persian page elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import logging
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup

from samad_ivr.storage.accounts import NATIONAL_ROLES, AccountRepository, Role, User
from samad_ivr.storage.audit import Actor
from samad_ivr.storage.audit_actor import acting_user
from samad_ivr.storage.db import StorageUnavailable
from samad_ivr.storage.session_cache import SessionCache
from samad_ivr.web.app import DEPS
from samad_ivr.web.config import web_settings
from samad_ivr.web.csrf import (
    CSRF_FAILED_MESSAGE,
    CSRF_FIELD,
    SESSION_BINDING_KEY,
    check_csrf,
    csrf_token,
    set_cookie_if_new,
)

__all__ = [
    "ACCOUNTS",
    "NATIONAL_ROLES",
    "SESSION_COOKIE",
    "ApiError",
    "Role",
    "User",
    "current_user",
    "http_error",
    "require_user",
    "setup_security",
]

log = logging.getLogger(__name__)

SESSION_COOKIE = "samad_session"
ACCOUNTS = web.AppKey("accounts", AccountRepository)
USER_KEY = web.RequestKey("samad_user", User)
# The request being handled, for the jinja globals (each request runs in its own task).
_REQUEST: ContextVar[web.Request | None] = ContextVar("samad_web_request", default=None)
# Paths that never need to know the user: no session lookup, no database round trip.
_NO_SESSION_PREFIXES = ("/static/", "/healthz", "/metrics")
_SESSION_TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)

NOT_LOGGED_IN = "برای ادامه ابتدا وارد سامانه شوید."
WRONG_ROLE = "شما اجازهٔ دسترسی به این بخش را ندارید."
WRONG_CENTER = "شما به اطلاعات این استان دسترسی ندارید."
UNAVAILABLE = "سامانه موقتاً در دسترس نیست. چند دقیقهٔ دیگر دوباره تلاش کنید."

ERROR_TITLES = {
    400: "درخواست نامعتبر",
    413: "درخواست بیش از حد بزرگ",
    415: "نوع محتوای نامعتبر",
    401: "نیاز به ورود",
    403: "دسترسی غیرمجاز",
    404: "پیدا نشد",
    405: "روش نامجاز",
    409: "تعارض",
    422: "داده‌های نامعتبر",
    429: "تلاش بیش از حد",
    500: "خطای سامانه",
    503: "سامانه در دسترس نیست",
}

_STATUS_CLASSES: dict[int, type[web.HTTPException]] = {
    cls.status_code: cls
    for cls in (
        web.HTTPBadRequest, web.HTTPUnauthorized, web.HTTPForbidden, web.HTTPNotFound,
        web.HTTPMethodNotAllowed, web.HTTPConflict, web.HTTPRequestEntityTooLarge,
        web.HTTPUnsupportedMediaType, web.HTTPUnprocessableEntity, web.HTTPTooManyRequests,
        web.HTTPInternalServerError, web.HTTPServiceUnavailable,
    )
}  # fmt: skip
ERROR_CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "validation_failed", 429: "too_many_requests", 500: "internal", 503: "unavailable",
}  # fmt: skip

_ERROR_PAGE = """{% extends "base.html" %}
{% block title %}{{ title }}{% endblock %}
{% block content %}
<section class="error-page">
  <h1>{{ title }}</h1>
  <p>{{ message }}</p>
  {% if show_login %}<p><a href="/login">ورود به سامانه</a></p>{% endif %}
</section>
{% endblock %}"""


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def api_error_body(code: str, message: str, details: list[Any] | None = None) -> str:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return json.dumps({"error": error}, ensure_ascii=False)


def _html_error(request: web.Request, status: int, message: str) -> str:
    title = ERROR_TITLES.get(status, "خطا")
    try:
        env = aiohttp_jinja2.get_env(request.app)
        context = {"title": title, "message": message, "show_login": status == 401}
        return env.from_string(_ERROR_PAGE).render(context)
    except (RuntimeError, jinja2.TemplateError):
        log.exception("error page could not be rendered")
        return f"<!doctype html><html lang='fa' dir='rtl'><p>{title}</p></html>"


def http_error(
    request: web.Request,
    status: int,
    code: str,
    message: str,
    *,
    details: list[Any] | None = None,
) -> web.HTTPException:
    """An exception to raise: JSON error under /api/, a Persian page elsewhere."""
    exc_class = _STATUS_CLASSES.get(status, web.HTTPInternalServerError)
    if is_api(request):
        body = api_error_body(code, message, details)
        return exc_class(text=body, content_type="application/json")
    return exc_class(text=_html_error(request, status, message), content_type="text/html")


class ApiError(Exception):
    """Raise from an API handler to answer `{"error": {"code", "message"}}` with `status`."""

    def __init__(
        self, status: int, code: str, message: str, details: list[Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def error_response(
    status: int, code: str, message: str, details: list[Any] | None = None
) -> web.Response:
    return web.Response(
        status=status, text=api_error_body(code, message, details), content_type="application/json"
    )


def current_user(request: web.Request) -> User | None:
    """The logged-in user, as found by the session middleware (None when anonymous)."""
    return request.get(USER_KEY)


def require_user(request: web.Request, *roles: Role, center_id: int | None = None) -> User:
    """The current user, if they hold one of `roles` (any role when none is given) and,
    when `center_id` is given, may see that center; otherwise raise 401/403 (or redirect
    an anonymous browser GET to the login page)."""
    user = current_user(request)
    if user is None:
        if not is_api(request) and request.method in ("GET", "HEAD"):
            raise web.HTTPFound("/login?next=" + quote(request.path_qs, safe="/"))
        raise http_error(request, 401, "unauthenticated", NOT_LOGGED_IN)
    if roles and user.role not in roles:
        raise http_error(request, 403, "forbidden_role", WRONG_ROLE)
    if center_id is not None and not user.sees_center(center_id):
        raise http_error(request, 403, "forbidden_center", WRONG_CENTER)
    return user


def session_token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _valid_token_shape(token: str) -> bool:
    return len(token) == _SESSION_TOKEN_LENGTH and all(c.isalnum() or c in "-_" for c in token)


@web.middleware
async def session_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE, "")
    if token and _valid_token_shape(token) and not request.path.startswith(_NO_SESSION_PREFIXES):
        token_hash = session_token_hash(token)
        try:
            user = await request.config_dict[ACCOUNTS].session_user(token_hash)
        except StorageUnavailable:
            log.warning("session lookup failed: database unavailable")
            raise http_error(request, 503, "unavailable", UNAVAILABLE) from None
        if user is not None:
            request[USER_KEY] = user
            request[SESSION_BINDING_KEY] = token_hash.hex()
    reset = _REQUEST.set(request)
    signed_in = request.get(USER_KEY)
    # The audit triggers (0022) name whoever changes officials, agencies, users, templates.
    acting = acting_user.set(None if signed_in is None else Actor(signed_in.id, signed_in.username))
    try:
        result: web.StreamResponse = await handler(request)
    finally:
        acting_user.reset(acting)
        _REQUEST.reset(reset)
    return result


@web.middleware
async def csrf_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    if not await check_csrf(request):
        log.warning("CSRF check failed: %s %s", request.method, request.path)
        raise http_error(request, 403, "csrf_failed", CSRF_FAILED_MESSAGE)
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as exc:
        set_cookie_if_new(request, exc)
        raise
    set_cookie_if_new(request, response)
    return response


@web.middleware
async def api_error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    if not is_api(request):
        result: web.StreamResponse = await handler(request)
        return result
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.details)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        code = ERROR_CODES.get(exc.status, "error")
        converted = error_response(exc.status, code, ERROR_TITLES.get(exc.status, exc.reason))
        if "Allow" in exc.headers:
            converted.headers["Allow"] = exc.headers["Allow"]
        return converted
    except StorageUnavailable:
        log.warning("API %s %s: database unavailable", request.method, request.path)
        return error_response(503, "unavailable", UNAVAILABLE)
    except Exception:
        log.exception("API %s %s failed", request.method, request.path)
        return error_response(500, "internal", "خطای داخلی سامانه. دوباره تلاش کنید.")


def rendering_request() -> web.Request:
    """The request whose template is being rendered (for jinja globals)."""
    return _template_request()


def _template_request() -> web.Request:
    request = _REQUEST.get()
    if request is None:
        raise RuntimeError("csrf_token() and current_user() need a template rendered in a request")
    return request


def _jinja_csrf_token() -> str:
    return csrf_token(_template_request())


def _jinja_csrf_field() -> Markup:
    token = csrf_token(_template_request())
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)


def _jinja_current_user() -> User | None:
    return current_user(_template_request())


def setup_security(app: web.Application) -> None:
    """Sessions, CSRF, /login and /logout, JSON errors under /api/, and the jinja globals
    `csrf_token()`, `csrf_field()` and `current_user()` (None when anonymous)."""
    settings = web_settings(app)
    if settings.secret_generated:
        log.warning(
            "SAMAD_WEB_SECRET is not set: using a random secret, so open forms stop "
            "working when the service restarts"
        )
    # Sessions are looked up in a copy at most SESSION_CACHE_SECONDS old; logout and
    # account changes made through app[ACCOUNTS] drop it at once (storage.session_cache).
    app[ACCOUNTS] = AccountRepository(app[DEPS].pool, SessionCache())
    app.middlewares.append(api_error_middleware)
    app.middlewares.append(session_middleware)
    app.middlewares.append(csrf_middleware)
    env = aiohttp_jinja2.get_env(app)
    env.globals["csrf_token"] = _jinja_csrf_token
    env.globals["csrf_field"] = _jinja_csrf_field
    env.globals["current_user"] = _jinja_current_user
    # auth_views and hardening build on this module, so they are imported here.
    from samad_ivr.web.auth_views import setup_auth_routes
    from samad_ivr.web.hardening import setup_hardening

    setup_hardening(app, before=csrf_middleware)
    setup_auth_routes(app)
