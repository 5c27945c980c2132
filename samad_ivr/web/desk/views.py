"""The center desk: the official's screen pop and note form, and the queue board.

- `GET /desk` (official): their desk, live over `/desk/ws` (samad_ivr.web.desk.live_ws).
- `GET /desk/call?uniqueid=&linkedid=` (official): the caller card of the call at their
  desk, an HTML fragment the page fetches when the desk rings.
- `POST /desk/calls/{id}/note`, `POST /desk/calls/{id}/no-request` (official, CSRF in
  the X-CSRF-Token header): JSON answers (samad_ivr.web.desk.notes; choosing an agency
  and a topic assigns the request).
- `GET /desk/queue` (province_admin, superuser): the queue board.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from samad_ivr.admin.jalali import fa_digits, jalali_text, time_text
from samad_ivr.live.hub import LiveHub
from samad_ivr.live.views import desk_view, queue_boards
from samad_ivr.softphone.settings import SoftphoneSettings
from samad_ivr.storage.agencies import Agency, AgencyRepository
from samad_ivr.storage.db import Pool
from samad_ivr.storage.desk import DeskCall, DeskRepository
from samad_ivr.storage.desk_credentials import DeskCredentialRepository
from samad_ivr.storage.topics import Topic
from samad_ivr.web.app import DEPS, Feature
from samad_ivr.web.assignment import request_lifecycle, state_summary
from samad_ivr.web.desk.softphone import browser_desk_name, setup_softphone, softphone_config
from samad_ivr.web.security import Role, User, http_error, require_user
from samad_ivr.web.topic_names import setup_topic_catalog, topic_catalog

LIVE_HUB = web.AppKey("live_hub", LiveHub)
ADMIN_ROLES = (Role.PROVINCE_ADMIN, Role.SUPERUSER)
DISPOSITIONS = {
    "answered": "پاسخ داده شد", "message": "پیام گذاشت", "abandoned": "قطع پیش از پاسخ",
    "failed": "ناموفق", "busy": "مشغول", "no_answer": "بی‌پاسخ",
}  # fmt: skip
REQUEST_STATUSES = {
    "registered": "ثبت شده", "assigned": "ارجاع شده", "answered": "پاسخ داده شده",
    "closed": "بسته شده", "escalated": "پیگیری ویژه", "reopened": "بازگشایی شده",
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
    boards = queue_boards(hub.state, hub.now(), [desk.queue_name], hub.callbacks)
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
    credentials = DeskCredentialRepository(_pool(request))
    return await softphone_config(request, desk, user.full_name or user.username, credentials)


async def queue_page(request: web.Request) -> web.Response:
    user = require_user(request, *ADMIN_ROLES)
    center = None if user.role is Role.SUPERUSER else user.center_id
    queues = await DeskRepository(_pool(request)).queues(center)
    hub = request.config_dict[LIVE_HUB]
    boards = queue_boards(hub.state, hub.now(), queues, hub.callbacks)
    context = {"user": user, "boards": boards, **_helpers(request)}
    return aiohttp_jinja2.render_template("desk/queue.html", request, context)


async def call_at_desk(request: web.Request, user: User, call: DeskCall | None) -> DeskCall:
    """The call, if it is (or was) at this official's desk; else 404/403."""
    if call is None:
        raise http_error(request, 404, "not_found", "این تماس پیدا نشد.")
    if call.center_id is not None and not user.sees_center(call.center_id):
        raise http_error(request, 403, "forbidden_center", NOT_AT_DESK)
    if call.official_id == user.official_id:
        return call
    assert user.official_id is not None
    desk = await DeskRepository(_pool(request)).desk_of(user.official_id)
    hub = request.config_dict.get(LIVE_HUB)  # absent when the desk pages are not served
    view = desk_view(hub.state, desk.endpoint) if desk and hub else None
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
    call = await call_at_desk(request, user, await repo.find_call(uniqueid, linkedid))
    catalog = topic_catalog(request)
    center_agencies: list[Agency] = []
    choices: tuple[Topic, ...] = ()
    names = dict(await catalog.labels())
    if call.center_id is not None:
        center_agencies = await AgencyRepository(_pool(request)).list(call.center_id)
        choices = await catalog.active(call.center_id)
        names.update(await catalog.names(call.center_id))
    context = {
        "call": call,
        "earlier": await repo.earlier_calls(call),
        "note": await repo.note(call.id),
        "agencies": center_agencies,
        "topics": names,
        "topic_choices": choices,
        "request_line": await _request_line(request, repo, call),
        **_helpers(request),
    }
    return aiohttp_jinja2.render_template("desk/caller.html", request, context)


async def _request_line(request: web.Request, repo: DeskRepository, call: DeskCall) -> str:
    """The call's request's status and deadline, once it is registered."""
    request_id = await repo.request_id(call.id)
    state = None if request_id is None else await request_lifecycle(request).get(request_id)
    if state is None:
        return ""
    return state_summary(state, datetime.now(UTC), _tz(request)).line()


def desk_feature(hub: LiveHub, softphone: SoftphoneSettings | None = None) -> Feature:
    """The desk pages and `/desk/ws`, watching `hub` (fed by the AMI event stream), and
    the browser softphone when `softphone` is enabled."""

    def setup(app: web.Application) -> None:
        from samad_ivr.web.desk.live_ws import live_ws
        from samad_ivr.web.desk.notes import setup_notes

        app[LIVE_HUB] = hub
        setup_topic_catalog(app)
        setup_softphone(app, softphone)
        app.router.add_get("/desk/softphone", desk_softphone)
        app.router.add_get("/desk", desk_page)
        app.router.add_get("/desk/queue", queue_page)
        app.router.add_get("/desk/call", caller_card)
        app.router.add_get("/desk/ws", live_ws)
        setup_notes(app)

    return setup
