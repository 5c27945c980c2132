"""The center desk: the official's screen pop and note form, and the queue board.

- `GET /desk` (official): their desk, live over `/desk/ws` (samad_ivr.web.desk.live_ws).
- `GET /desk/call?uniqueid=&linkedid=` (official): the caller card of the call at their
  desk, an HTML fragment the page fetches when the desk rings.
- `POST /desk/calls/{id}/note`, `POST /desk/calls/{id}/no-request` (official, CSRF in
  the X-CSRF-Token header): JSON answers.
- `GET /desk/queue` (province_admin, superuser): the queue board.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from samad_ivr.admin.jalali import fa_digits, jalali_text, normalise, time_text
from samad_ivr.live.hub import LiveHub
from samad_ivr.live.views import desk_view, queue_boards
from samad_ivr.softphone.settings import SoftphoneSettings
from samad_ivr.storage.agencies import AgencyRepository
from samad_ivr.storage.db import Pool
from samad_ivr.storage.desk import (
    TOPICS,
    DeskCall,
    DeskRepository,
    RequestAlreadyRegistered,
    Topic,
)
from samad_ivr.web.app import DEPS, Feature
from samad_ivr.web.desk.softphone import browser_desk_name, setup_softphone, softphone_config
from samad_ivr.web.security import Role, User, http_error, require_user

LIVE_HUB = web.AppKey("live_hub", LiveHub)
ADMIN_ROLES = (Role.PROVINCE_ADMIN, Role.SUPERUSER)
MAX_SUMMARY = 4000

TOPIC_LABELS: dict[str, str] = {
    "employment": "اشتغال",
    "housing": "مسکن (نهضت ملی مسکن)",
    "bank_loans": "تسهیلات بانکی",
    "industry": "صنعت",
    "agriculture": "کشاورزی",
    "family": "ازدواج و فرزندآوری",
    "preschool_teachers": "آموزش (مربیان پیش‌دبستانی)",
    "other": "سایر",
}
DISPOSITIONS = {
    "answered": "پاسخ داده شد", "message": "پیام گذاشت", "abandoned": "قطع پیش از پاسخ",
    "failed": "ناموفق", "busy": "مشغول", "no_answer": "بی‌پاسخ",
}  # fmt: skip
REQUEST_STATUSES = {
    "registered": "ثبت شده", "assigned": "ارجاع شده", "answered": "پاسخ داده شده",
    "closed": "بسته شده", "escalated": "پیگیری ویژه",
}  # fmt: skip
NOT_AT_DESK = "این تماس به میز شما نرسیده است."
NO_DESK = "برای حساب شما میز پاسخ‌گویی تعریف نشده است."


def _pool(request: web.Request) -> Pool:
    return request.config_dict[DEPS].pool


def _tz(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.config_dict[DEPS].settings.timezone)


def official_user(request: web.Request) -> User:
    user = require_user(request, Role.OFFICIAL)
    if user.official_id is None:
        raise http_error(request, 403, "no_desk", NO_DESK)
    return user


def _helpers(request: web.Request) -> dict[str, Any]:
    tz = _tz(request)

    def local(instant: datetime) -> str:
        moment = instant.astimezone(tz)
        return f"{jalali_text(moment.date())} {time_text(moment.time())}"

    return {
        "fa": fa_digits,
        "local": local,
        "topics": TOPIC_LABELS,
        "dispositions": DISPOSITIONS,
        "statuses": REQUEST_STATUSES,
    }


async def desk_page(request: web.Request) -> web.Response:
    user = official_user(request)
    assert user.official_id is not None
    desk = await DeskRepository(_pool(request)).desk_of(user.official_id)
    if desk is None:
        raise http_error(request, 403, "no_desk", NO_DESK)
    hub = request.config_dict[LIVE_HUB]
    boards = queue_boards(hub.state, hub.now(), [desk.queue_name])
    context = {
        "user": user,
        "desk": desk,
        "boards": boards,
        "softphone": browser_desk_name(request.app, desk) is not None,
        **_helpers(request),
    }
    return aiohttp_jinja2.render_template("desk/desk.html", request, context)


async def desk_softphone(request: web.Request) -> web.Response:
    user = official_user(request)
    assert user.official_id is not None
    desk = await DeskRepository(_pool(request)).desk_of(user.official_id)
    return softphone_config(request, desk, user.full_name or user.username)


async def queue_page(request: web.Request) -> web.Response:
    user = require_user(request, *ADMIN_ROLES)
    center = None if user.role is Role.SUPERUSER else user.center_id
    queues = await DeskRepository(_pool(request)).queues(center)
    hub = request.config_dict[LIVE_HUB]
    boards = queue_boards(hub.state, hub.now(), queues)
    context = {"user": user, "boards": boards, **_helpers(request)}
    return aiohttp_jinja2.render_template("desk/queue.html", request, context)


async def _call_at_desk(request: web.Request, user: User, call: DeskCall | None) -> DeskCall:
    """The call, if it is (or was) at this official's desk; else 404/403."""
    if call is None:
        raise http_error(request, 404, "not_found", "این تماس پیدا نشد.")
    if call.center_id is not None and not user.sees_center(call.center_id):
        raise http_error(request, 403, "forbidden_center", NOT_AT_DESK)
    if call.official_id == user.official_id:
        return call
    assert user.official_id is not None
    desk = await DeskRepository(_pool(request)).desk_of(user.official_id)
    hub = request.config_dict[LIVE_HUB]
    view = desk_view(hub.state, desk.endpoint) if desk else None
    at_desk = view is not None and view.status != "idle"
    if at_desk and view is not None and call.linkedid == view.linkedid:
        return call
    if at_desk and view is not None and call.uniqueid in (view.uniqueid, view.linkedid):
        return call
    raise http_error(request, 403, "not_at_desk", NOT_AT_DESK)


async def caller_card(request: web.Request) -> web.Response:
    user = official_user(request)
    repo = DeskRepository(_pool(request))
    uniqueid = request.query.get("uniqueid", "")
    linkedid = request.query.get("linkedid") or None
    call = await _call_at_desk(request, user, await repo.find_call(uniqueid, linkedid))
    center_agencies = []
    if call.center_id is not None:
        center_agencies = await AgencyRepository(_pool(request)).list(call.center_id)
    context = {
        "call": call,
        "earlier": await repo.earlier_calls(call),
        "note": await repo.note(call.id),
        "agencies": center_agencies,
        **_helpers(request),
    }
    return aiohttp_jinja2.render_template("desk/caller.html", request, context)


def _call_id(request: web.Request) -> int:
    try:
        return int(request.match_info["call_id"])
    except ValueError:
        raise http_error(request, 404, "not_found", "این تماس پیدا نشد.") from None


def _json_error(status: int, code: str, message: str) -> web.Response:
    body = {"error": {"code": code, "message": message}}
    return web.json_response(body, status=status, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def _note_fields(
    request: web.Request, call: DeskCall
) -> tuple[str | None, Topic | None, int | None] | web.Response:
    form = await request.post()
    summary = normalise(str(form.get("summary", ""))) or None
    topic_raw = str(form.get("topic", ""))
    agency_raw = normalise(str(form.get("agency_id", "")))
    if summary is not None and len(summary) > MAX_SUMMARY:
        return _json_error(422, "validation_failed", "خلاصهٔ درخواست بیش از ۴۰۰۰ نویسه است.")
    topic: Topic | None = None
    for known in TOPICS:
        if known == topic_raw:
            topic = known
    if topic_raw and topic is None:
        return _json_error(422, "validation_failed", "موضوع انتخاب‌شده معتبر نیست.")
    agency_id: int | None = None
    if agency_raw:
        agency = None
        if agency_raw.isdigit() and call.center_id is not None:
            agency = await AgencyRepository(_pool(request)).get(call.center_id, int(agency_raw))
        if agency is None:
            return _json_error(422, "validation_failed", "دستگاه انتخاب‌شده در این استان نیست.")
        agency_id = agency.id
    return summary, topic, agency_id


async def save_note(request: web.Request) -> web.Response:
    user = official_user(request)
    repo = DeskRepository(_pool(request))
    call = await _call_at_desk(request, user, await repo.get_call(_call_id(request)))
    fields = await _note_fields(request, call)
    if isinstance(fields, web.Response):
        return fields
    summary, topic, agency_id = fields
    in_request = await repo.save_note(
        call.id,
        summary=summary,
        topic=topic,
        agency_id=agency_id,
        official_id=user.official_id,
        user_id=user.id,
    )
    message = "یادداشت در درخواست ثبت شد." if in_request else "یادداشت ذخیره شد."
    return web.json_response(
        {"saved": True, "in_request": in_request, "message": message}, dumps=_dumps
    )


async def mark_no_request(request: web.Request) -> web.Response:
    user = official_user(request)
    repo = DeskRepository(_pool(request))
    call = await _call_at_desk(request, user, await repo.get_call(_call_id(request)))
    try:
        await repo.mark_no_request(call.id, official_id=user.official_id, user_id=user.id)
    except RequestAlreadyRegistered:
        return _json_error(409, "request_exists", "برای این تماس درخواست ثبت شده است.")
    return web.json_response(
        {"no_request": True, "message": "این تماس بدون درخواست ثبت شد."}, dumps=_dumps
    )


def desk_feature(hub: LiveHub, softphone: SoftphoneSettings | None = None) -> Feature:
    """The desk pages and `/desk/ws`, watching `hub` (fed by the AMI event stream), and
    the browser softphone when `softphone` is enabled."""

    def setup(app: web.Application) -> None:
        from samad_ivr.web.desk.live_ws import live_ws

        app[LIVE_HUB] = hub
        setup_softphone(app, softphone)
        app.router.add_get("/desk/softphone", desk_softphone)
        app.router.add_get("/desk", desk_page)
        app.router.add_get("/desk/queue", queue_page)
        app.router.add_get("/desk/call", caller_card)
        app.router.add_get("/desk/ws", live_ws)
        app.router.add_post(r"/desk/calls/{call_id:\d+}/note", save_note)
        app.router.add_post(r"/desk/calls/{call_id:\d+}/no-request", mark_no_request)

    return setup
