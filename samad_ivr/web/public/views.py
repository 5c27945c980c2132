"""Public notice of duty sessions (no login): /duty, /duty.ics, /duty.json and sign-ups.

The mission: before an official attends, the public is told.  The page lists upcoming
sessions of every center (?center=code narrows it), the feeds let newsrooms and
calendar apps follow it, and citizens can ask for an SMS before each session.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from samad_ivr.notices.ical import duty_calendar
from samad_ivr.notices.signup import SignupService, mobile_e164
from samad_ivr.notices.text import session_text
from samad_ivr.storage.db import StorageUnavailable
from samad_ivr.storage.notices import NoticeRepository, PublicSession, WebSignup
from samad_ivr.storage.visits import CenterRef, VisitRepository
from samad_ivr.web.app import DEPS, Feature
from samad_ivr.web.auth_views import client_ip

__all__ = ["PublicConfig", "public_feature", "setup_public"]

MESSAGES = {
    WebSignup.CODE_SENT: "کد تأیید به شمارهٔ همراه شما پیامک شد. آن را در فرم زیر وارد کنید.",
    WebSignup.ALREADY_CONFIRMED: "این شماره پیش از این عضو اطلاع‌رسانی این مرکز شده است.",
    WebSignup.TOO_SOON: "کد تأیید همین چند لحظه پیش فرستاده شد؛ لطفاً کمی صبر کنید.",
    WebSignup.OPTED_OUT: "این شماره درخواست لغو پیامک‌های اطلاع‌رسانی داده است.",
    WebSignup.LIMITED: "برای این شماره یا از این نشانی کد تأیید زیادی درخواست شده است؛ "
    "لطفاً بعداً دوباره تلاش کنید.",
}
NOT_MOBILE = "لطفاً یک شمارهٔ تلفن همراه معتبر (مانند ۰۹۱۲۱۲۳۴۵۶۷) وارد کنید."
UNKNOWN_CENTER = "مرکز انتخاب‌شده پیدا نشد."
CONFIRMED = "اشتراک شما تأیید شد. پیش از هر جلسهٔ پاسخگویی پیامک دریافت می‌کنید."
BAD_CODE = "کد تأیید درست نیست یا منقضی شده است."
UNAVAILABLE = "سامانه موقتاً در دسترس نیست. چند دقیقهٔ دیگر دوباره تلاش کنید."


@dataclass(frozen=True, slots=True)
class PublicConfig:
    clock: Callable[[], datetime]
    horizon: timedelta  # how far ahead the page and feeds look


CONFIG = web.AppKey("public_config", PublicConfig)
NOTICES = web.AppKey("public_notices", NoticeRepository)
CENTERS = web.AppKey("public_centers", VisitRepository)
SIGNUP = web.AppKey("public_signup", SignupService)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _center_filter(request: web.Request) -> str | None:
    code = request.query.get("center", "").strip()
    return code or None


async def _sessions(request: web.Request) -> list[PublicSession]:
    config = request.app[CONFIG]
    now = config.clock()
    return await request.app[NOTICES].upcoming(now, now + config.horizon, _center_filter(request))


def _session_view(session: PublicSession) -> dict[str, str]:
    text = session_text(session)
    return {
        "date": text.long_date,
        "starts": text.starts,
        "ends": text.ends,
        "title": session.official_title,
        "agency": session.agency,
        "center": session.center_name,
    }


async def _render(
    request: web.Request,
    *,
    status: int = 200,
    message: str = "",
    error: str = "",
    confirm_mobile: str = "",
    confirm_center: str = "",
) -> web.Response:
    centers = await request.app[CENTERS].centers()
    selected = _center_filter(request) or request.app[DEPS].settings.center_code
    context: dict[str, Any] = {
        "sessions": [_session_view(s) for s in await _sessions(request)],
        "centers": centers,
        "center_filter": _center_filter(request) or "",
        "selected_center": selected,
        "message": message,
        "error": error,
        "confirm_mobile": confirm_mobile,
        "confirm_center": confirm_center or selected,
    }
    return aiohttp_jinja2.render_template("public/duty.html", request, context, status=status)


async def duty_page(request: web.Request) -> web.Response:
    return await _render(request)


async def duty_ics(request: web.Request) -> web.Response:
    body = duty_calendar(await _sessions(request), request.app[CONFIG].clock())
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": 'inline; filename="samad-duty.ics"'},
    )


async def duty_json(request: web.Request) -> web.Response:
    items = []
    for session in await _sessions(request):
        text = session_text(session)
        items.append(
            {
                "slot_id": session.slot_id,
                "center": session.center_code,
                "center_name": session.center_name,
                "starts_at": session.starts_at.astimezone(UTC).isoformat(),
                "ends_at": session.ends_at.astimezone(UTC).isoformat(),
                "timezone": session.tz.key,
                "jalali_date": text.short_date,
                "jalali_date_text": text.long_date,
                "time": f"{text.starts}–{text.ends}",
                "official_title": session.official_title,
                "agency": session.agency,
            }
        )
    return web.json_response({"sessions": items}, dumps=_json_dumps)


def _json_dumps(obj: object) -> str:
    # Persian text stays readable in the feed instead of \uXXXX escapes.
    return json.dumps(obj, ensure_ascii=False)


async def _form_center(request: web.Request, form: Any) -> CenterRef | None:
    code = str(form.get("center", "")).strip()
    return await request.app[CENTERS].find_center(code) if code else None


async def subscribe(request: web.Request) -> web.Response:
    form = await request.post()
    center = await _form_center(request, form)
    destination = mobile_e164(str(form.get("mobile", ""))[:64])
    if center is None:
        return await _render(request, status=400, error=UNKNOWN_CENTER)
    if destination is None:
        return await _render(request, status=400, error=NOT_MOBILE)
    now = request.app[CONFIG].clock()
    try:
        outcome = await request.app[SIGNUP].start_web(
            center.id, destination, now, address=client_ip(request)
        )
    except StorageUnavailable:
        return await _render(request, status=503, error=UNAVAILABLE)
    pending = outcome in (WebSignup.CODE_SENT, WebSignup.TOO_SOON)
    return await _render(
        request,
        message=MESSAGES[outcome],
        confirm_mobile=str(form["mobile"]) if pending else "",
        confirm_center=center.code,
    )


async def confirm(request: web.Request) -> web.Response:
    form = await request.post()
    center = await _form_center(request, form)
    typed_mobile = str(form.get("mobile", ""))[:64]
    destination = mobile_e164(typed_mobile)
    if center is None or destination is None:
        return await _render(request, status=400, error=NOT_MOBILE)
    code = str(form.get("code", ""))[:32]
    now = request.app[CONFIG].clock()
    try:
        ok = await request.app[SIGNUP].confirm_web(center.id, destination, code, now)
    except StorageUnavailable:
        return await _render(request, status=503, error=UNAVAILABLE)
    if not ok:
        return await _render(
            request,
            status=400,
            error=BAD_CODE,
            confirm_mobile=typed_mobile,
            confirm_center=center.code,
        )
    return await _render(request, message=CONFIRMED)


def public_feature(
    clock: Callable[[], datetime] = _utcnow, horizon: timedelta = timedelta(days=30)
) -> Feature:
    """The public duty pages as a web feature; `clock` and `horizon` for tests and config."""

    def setup(app: web.Application) -> None:
        pool = app[DEPS].pool
        app[CONFIG] = PublicConfig(clock=clock, horizon=horizon)
        app[NOTICES] = NoticeRepository(pool)
        app[CENTERS] = VisitRepository(pool)
        app[SIGNUP] = SignupService(app[NOTICES])
        app.router.add_get("/duty", duty_page, name="duty")
        app.router.add_get("/duty.ics", duty_ics, name="duty_ics")
        app.router.add_get("/duty.json", duty_json, name="duty_json")
        app.router.add_post("/duty/subscribe", subscribe, name="duty_subscribe")
        app.router.add_post("/duty/confirm", confirm, name="duty_confirm")

    return setup


setup_public: Feature = public_feature()
