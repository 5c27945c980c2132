"""/login and /logout: password check, throttling, and the server-side session.

Throttling counts failed attempts in the database per username, per address and per
(username, address) pair (`SAMAD_WEB_LOGIN_MAX_FAILURES` within
`SAMAD_WEB_LOGIN_WINDOW_MINUTES`; the rules are in `domain/login_throttle.py`), counted and
recorded atomically so parallel guesses cannot all pass.  A refused attempt is answered
429 without checking the password and does not extend the lockout; a user attacked from
elsewhere is only slowed (`SAMAD_WEB_LOGIN_SLOWDOWN_MS`) at an address they logged in
from before.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from persiantools import characters, digits

from samad_ivr.domain.login_throttle import Verdict
from samad_ivr.storage.accounts import USERNAME_RE, Role, User
from samad_ivr.storage.db import StorageUnavailable
from samad_ivr.web.config import WEB_SETTINGS
from samad_ivr.web.csrf import csrf_token
from samad_ivr.web.security import (
    ACCOUNTS,
    SESSION_COOKIE,
    UNAVAILABLE,
    current_user,
    http_error,
    require_user,
    session_token_hash,
)

log = logging.getLogger(__name__)

MAX_PASSWORD_LENGTH = 1024  # argon2 hashes whatever it is given; bound the work
WRONG_CREDENTIALS = "نام کاربری یا گذرواژه نادرست است."
THROTTLED = (
    "تعداد تلاش‌های ناموفق ورود بیش از حد مجاز است. لطفاً {minutes} دقیقهٔ دیگر دوباره تلاش کنید."
)
DEFAULT_NEXT = "/"

# argon2id with the library's (RFC 9106 "low memory") defaults.
_HASHER = PasswordHasher()
# Checked against when the username does not exist, so both paths cost one argon2 verify
# and response time does not reveal which usernames exist.
_DUMMY_HASH: list[str] = []


def client_ip(request: web.Request) -> str:
    """The client's address for throttling and audit ("unknown" when there is none)."""
    candidate = request.remote or ""
    if request.config_dict[WEB_SETTINGS].trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            candidate = forwarded.rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return "unknown"


async def hash_password(password: str) -> str:
    """argon2id hash of `password`, computed off the event loop."""
    return await asyncio.to_thread(_HASHER.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _HASHER.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def password_needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def normalise_username(text: str) -> str:
    """Persian/Arabic digits to ASCII, Arabic letters to Persian, trimmed, lowercase."""
    text = digits.fa_to_en(digits.ar_to_fa(text))
    return characters.ar_to_fa(text).strip().lower()


def safe_next(value: str | None) -> str:
    """A local path to go to after login; anything else (other hosts, schemes) is dropped."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 0x20 for c in value)
        or len(value) > 2000
    ):
        return DEFAULT_NEXT
    return value


async def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(await hash_password(secrets.token_urlsafe(16)))
    return _DUMMY_HASH[0]


def _render_login(
    request: web.Request, *, next_path: str, username: str = "", error: str = "", status: int = 200
) -> web.Response:
    return aiohttp_jinja2.render_template(
        "login.html",
        request,
        {"next_path": next_path, "username": username, "error": error},
        status=status,
    )


async def login_page(request: web.Request) -> web.Response:
    return _render_login(request, next_path=safe_next(request.query.get("next")))


async def _authenticate(request: web.Request, username: str, password: str) -> User | None:
    accounts = request.app[ACCOUNTS]
    found = await accounts.credentials(username) if USERNAME_RE.fullmatch(username) else None
    if found is None:
        await verify_password(await _dummy_hash(), password)
        return None
    user, password_hash = found
    if not await verify_password(password_hash, password):
        return None
    if password_needs_rehash(password_hash):
        await accounts.set_password_hash(user.id, await hash_password(password))
    return user


async def login_submit(request: web.Request) -> web.Response:
    settings = request.app[WEB_SETTINGS]
    form = await request.post()
    raw_username, password, raw_next = form.get("username"), form.get("password"), form.get("next")
    next_path = safe_next(raw_next if isinstance(raw_next, str) else None)
    if not isinstance(raw_username, str) or not isinstance(password, str):
        return _render_login(request, next_path=next_path, error=WRONG_CREDENTIALS, status=400)
    username = normalise_username(raw_username)[:100]
    ip = client_ip(request)
    accounts = request.app[ACCOUNTS]
    window = timedelta(minutes=settings.login_window_minutes)
    try:
        gate = await accounts.gate_attempt(
            username, ip, datetime.now(UTC) - window, settings.login_max_failures
        )
        if gate.verdict is Verdict.REFUSE:
            log.warning("login throttled (%s)", gate.counts)
            message = THROTTLED.format(minutes=digits.en_to_fa(str(settings.login_window_minutes)))
            return _render_login(
                request, next_path=next_path, username=username, error=message, status=429
            )
        if gate.verdict is Verdict.SLOW:
            log.warning("login slowed: username under attack from elsewhere (%s)", gate.counts)
            await asyncio.sleep(settings.login_slowdown_ms / 1000)
        user = None
        if 0 < len(password) <= MAX_PASSWORD_LENGTH:
            user = await _authenticate(request, username, password)
        if user is None:
            # The gate already recorded the attempt as a failure.
            return _render_login(
                request, next_path=next_path, username=username, error=WRONG_CREDENTIALS
            )
        await accounts.login_succeeded(gate.attempt_id)
        token = await _start_session(request, user, ip)
    except StorageUnavailable:
        raise http_error(request, 503, "unavailable", UNAVAILABLE) from None
    log.info("user %s logged in", user.id)
    response = web.HTTPSeeOther(next_path)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path="/",
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies,
    )
    raise response


async def _start_session(request: web.Request, user: User, ip: str) -> str:
    """A new session (never reuse the visitor's old one: session fixation)."""
    accounts = request.app[ACCOUNTS]
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await accounts.delete_session(session_token_hash(old))
    token = secrets.token_urlsafe(32)
    hours = request.app[WEB_SETTINGS].session_hours
    expires_at = datetime.now(UTC) + timedelta(hours=hours)
    await accounts.create_session(session_token_hash(token), user.id, expires_at, ip)
    return token


async def logout(request: web.Request) -> web.Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            await request.app[ACCOUNTS].delete_session(session_token_hash(token))
        except StorageUnavailable:
            raise http_error(request, 503, "unavailable", UNAVAILABLE) from None
    user = current_user(request)
    if user is not None:
        log.info("user %s logged out", user.id)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


ME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "username", "full_name", "role", "center_id", "national", "csrf_token"],
    "properties": {
        "id": {"type": "integer"},
        "username": {"type": "string"},
        "full_name": {"type": "string"},
        "role": {"type": "string", "enum": [r.value for r in Role]},
        "center_id": {"type": ["integer", "null"]},
        "official_id": {"type": ["integer", "null"]},
        "agency_id": {"type": ["integer", "null"]},
        "national": {"type": "boolean", "description": "sees every center"},
        "csrf_token": {"type": "string", "description": "send it as X-CSRF-Token on writes"},
    },
}


async def me(request: web.Request) -> web.Response:
    """`GET /api/v1/me` (registered by `setup_openapi`)."""
    user = require_user(request)
    return web.json_response(
        {
            "id": user.id,
            "username": user.username,
            "full_name": user.full_name,
            "role": user.role.value,
            "center_id": user.center_id,
            "official_id": user.official_id,
            "agency_id": user.agency_id,
            "national": user.is_national,
            "csrf_token": csrf_token(request),
        }
    )


def setup_auth_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_page, name="login")
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout, name="logout")
