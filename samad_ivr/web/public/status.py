"""`/status`: a citizen looks up their request with its tracking code and the last four
digits of the number they called from (no login).

`GET /status` is the form; `POST /status` (CSRF-checked like every form) shows the
request — status in Persian, Jalali dates, the deadline, and the agency's answer with
its attachments behind short-lived signed links (`GET /status/attachments/{id}`).  A
wrong code and wrong digits get the very same page; too many tries from one address or
on one code get one "try later" page whatever the pair (limits in PostgreSQL, so every
instance agrees).  The code never appears in a URL, so it is in no log or history.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from samad_ivr.admin.jalali import fa_digits, jalali_text
from samad_ivr.domain.deadlines import is_overdue
from samad_ivr.domain.lifecycle import STATUS_FA, Status
from samad_ivr.domain.status_web import DIGITS_LENGTH, WebOutcome, clean_code, clean_digits
from samad_ivr.domain.tracking import is_valid_tracking_code
from samad_ivr.storage.attachments import AttachmentStore
from samad_ivr.storage.casefile import AttachmentMeta
from samad_ivr.storage.db import StorageUnavailable
from samad_ivr.storage.status_web import CitizenView, StatusWebRepository
from samad_ivr.web.app import DEPS, Feature
from samad_ivr.web.attachments import file_download
from samad_ivr.web.auth_views import client_ip
from samad_ivr.web.config import WEB_SETTINGS
from samad_ivr.web.public.status_links import DEFAULT_TTL_SECONDS, attachment_url, verify

__all__ = ["status_feature"]

log = logging.getLogger(__name__)

MALFORMED = "کد پیگیری باید ۱۰ رقم و چهار رقم آخر شماره تلفن باید ۴ رقم باشد."
WRONG_CODE = "کد پیگیری درست نیست؛ رقم‌ها را دوباره از پیامک بخوانید و وارد کنید."
NO_MATCH = (
    "درخواستی با این کد پیگیری و این چهار رقم پیدا نشد. "
    "کد پیامک‌شده و چهار رقم آخر شماره‌ای را که با آن تماس گرفتید وارد کنید."
)
LIMITED = (
    "تعداد تلاش‌ها بیش از حد مجاز است. لطفاً بعداً دوباره تلاش کنید "
    "یا با ۱۱۱ تماس بگیرید و کلید ۱ را بزنید."
)
UNAVAILABLE = "سامانه موقتاً در دسترس نیست. چند دقیقهٔ دیگر دوباره تلاش کنید."
LINK_EXPIRED = "این پیوند منقضی شده است. وضعیت درخواست را دوباره ببینید تا پیوند تازه بگیرید."

REPOSITORY = web.AppKey("status_web_repository", StatusWebRepository)
FILES = web.AppKey("status_web_files", AttachmentStore)
Clock = Callable[[], datetime]
CLOCK: web.AppKey[Clock] = web.AppKey("status_web_clock")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return fa_digits(f"{size / (1024 * 1024):.1f}") + " مگابایت"
    return fa_digits(max(1, round(size / 1024))) + " کیلوبایت"


def _attachment_view(secret: str, meta: AttachmentMeta, expires: int) -> dict[str, str]:
    return {
        "name": meta.filename,
        "size": _size_text(meta.size_bytes),
        "url": attachment_url(secret, meta.id, expires),
    }


def _day(instant: datetime, view: CitizenView) -> str:
    return jalali_text(instant.astimezone(view.tz).date())


def _deadline(view: CitizenView, now: datetime) -> dict[str, Any] | None:
    due: date | None = view.due_on
    if due is None or view.status is Status.CLOSED:
        return None
    return {"day": jalali_text(due), "overdue": is_overdue(due, now, view.tz)}


def _request_view(request: web.Request, view: CitizenView, now: datetime) -> dict[str, Any]:
    secret = request.config_dict[WEB_SETTINGS].secret.value
    expires = int(time.time()) + DEFAULT_TTL_SECONDS  # checked against the real clock
    answer = None
    if view.answer is not None:
        answer = {
            "agency": view.answer.agency,
            "body": view.answer.body,
            "day": _day(view.answer.answered_at, view),
            "files": [_attachment_view(secret, m, expires) for m in view.answer.attachments],
        }
    return {
        "code": fa_digits(view.tracking_code),
        "status": STATUS_FA[view.status],
        "closed": view.status is Status.CLOSED,
        "registered": _day(view.registered_at, view),
        "last_change": _day(view.last_change, view),
        "deadline": _deadline(view, now),
        "answer": answer,
    }


def _render(
    request: web.Request,
    *,
    status: int = 200,
    error: str = "",
    shown: dict[str, Any] | None = None,
    typed_code: str = "",
) -> web.Response:
    # After a refusal the code stays in its field (the digits do not): it was the
    # citizen's own typing, and retyping ten digits on a phone is where slips happen.
    context = {"error": error, "shown": shown, "typed_code": typed_code[:20]}
    response = aiohttp_jinja2.render_template("public/status.html", request, context, status=status)
    # A shown request is the citizen's own: never kept by a shared browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def status_form(request: web.Request) -> web.Response:
    return _render(request)


async def status_lookup(request: web.Request) -> web.Response:
    form = await request.post()
    typed = str(form.get("code", ""))
    code = clean_code(typed)
    digits = clean_digits(str(form.get("digits", "")), DIGITS_LENGTH)
    if code is None or digits is None:
        return _render(request, status=400, error=MALFORMED, typed_code=typed)
    if not is_valid_tracking_code(code):
        # The check digit is public arithmetic: saying so tells nothing about any request.
        return _render(request, status=400, error=WRONG_CODE, typed_code=typed)
    now = request.app[CLOCK]()
    try:
        found = await request.app[REPOSITORY].look_up(
            code=code, digits=digits, address=client_ip(request), now=now
        )
    except StorageUnavailable:
        return _render(request, status=503, error=UNAVAILABLE)
    if found.outcome is WebOutcome.LIMITED:
        return _render(request, status=429, error=LIMITED, typed_code=typed)
    if found.view is None:
        return _render(request, status=404, error=NO_MATCH, typed_code=typed)
    return _render(request, shown=_request_view(request, found.view, now))


def _not_found() -> web.HTTPNotFound:
    return web.HTTPNotFound(text=LINK_EXPIRED, content_type="text/plain")


async def status_attachment(request: web.Request) -> web.StreamResponse:
    text = request.match_info.get("attachment_id", "")
    expires, sig = request.query.get("exp", ""), request.query.get("sig", "")
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise _not_found()
    if not (expires.isascii() and expires.isdigit() and len(expires) <= 12):
        raise _not_found()
    secret = request.config_dict[WEB_SETTINGS].secret.value
    if not verify(secret, int(text), int(expires), sig, time.time()):
        raise _not_found()
    meta = await request.app[REPOSITORY].attachment(int(text))
    store = request.app[FILES]
    if meta is None or not await store.exists(meta.sha256):
        log.error("status attachment %s: row or file missing", text)
        raise _not_found()
    return file_download(store.path_of(meta.sha256), meta.content_type, meta.filename)


def status_feature(clock: Clock = _utcnow) -> Feature:
    """/status as a web feature; limits from `settings.status_web`, files from the
    answers' attachment store; `clock` for tests."""

    def setup(app: web.Application) -> None:
        settings = app[DEPS].settings
        app[REPOSITORY] = StatusWebRepository(app[DEPS].pool, settings.status_web)
        app[FILES] = AttachmentStore(settings.lifecycle.attachments_dir)
        app[CLOCK] = clock
        app.router.add_get("/status", status_form, name="status")
        app.router.add_post("/status", status_lookup, name="status_lookup")
        app.router.add_get(r"/status/attachments/{attachment_id:\d+}", status_attachment)

    return setup
