"""The desk's note form: save the summary, topic and agency; choosing both assigns.

`POST /desk/calls/{id}/note` (official, X-CSRF-Token header) answers JSON.  The two
orders of migrations/0007_desk.sql:
- the request does not exist yet (the caller is still talking): the note is stored and
  intake assigns the request when it registers it (samad_ivr.calls.intake);
- the request exists: the note goes into it and, when an agency and a topic are chosen
  (and differ from its current assignment), the request is assigned in the same
  transaction; a refusal (answered, closed, ...) is a 409 with the Persian reason and
  nothing is written.
`POST /desk/calls/{id}/no-request` marks a call as carrying no request.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from samad_ivr.admin.jalali import normalise
from samad_ivr.domain.lifecycle import Action, Status
from samad_ivr.storage.agencies import AgencyRepository
from samad_ivr.storage.db import PoolConnection
from samad_ivr.storage.desk import (
    DeskCall,
    DeskRepository,
    NoteInput,
    RequestAlreadyRegistered,
)
from samad_ivr.storage.lifecycle import Actor, LifecycleError, RequestState
from samad_ivr.storage.topics import TopicRepository
from samad_ivr.web.app import DEPS
from samad_ivr.web.assignment import (
    MAX_NOTE,
    refusal,
    request_lifecycle,
    state_summary,
)
from samad_ivr.web.desk.views import call_at_desk, official_user
from samad_ivr.web.security import User, http_error


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))


def _error(status: int, code: str, message: str) -> web.Response:
    return _json({"error": {"code": code, "message": message}}, status)


def _call_id(request: web.Request) -> int:
    try:
        return int(request.match_info["call_id"])
    except ValueError:
        raise http_error(request, 404, "not_found", "این تماس پیدا نشد.") from None


async def _fields(
    request: web.Request, call: DeskCall
) -> tuple[str | None, str | None, int | None] | web.Response:
    """(summary, topic code, agency id), each checked against the call's center."""
    form = await request.post()
    summary = normalise(str(form.get("summary", ""))) or None
    topic = normalise(str(form.get("topic", ""))) or None
    agency_raw = normalise(str(form.get("agency_id", "")))
    if summary is not None and len(summary) > MAX_NOTE:
        return _error(422, "validation_failed", "خلاصهٔ درخواست بیش از ۴۰۰۰ نویسه است.")
    pool = request.config_dict[DEPS].pool
    if topic is not None:
        found = None
        if call.center_id is not None:
            found = await TopicRepository(pool).get(call.center_id, topic)
        if found is None or not found.active:
            return _error(422, "validation_failed", "موضوع انتخاب‌شده در فهرست این استان نیست.")
    agency_id: int | None = None
    if agency_raw:
        agency = None
        digits = agency_raw.isascii() and agency_raw.isdigit() and len(agency_raw) <= 9
        if digits and call.center_id is not None:
            agency = await AgencyRepository(pool).get(call.center_id, int(agency_raw))
        if agency is None:
            return _error(422, "validation_failed", "دستگاه انتخاب‌شده در این استان نیست.")
        agency_id = agency.id
    return summary, topic, agency_id


def _tz(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.config_dict[DEPS].settings.timezone)


def _state_body(request: web.Request, state: RequestState) -> dict[str, Any]:
    summary = state_summary(state, datetime.now(UTC), _tz(request))
    return {
        "status": summary.status,
        "status_fa": summary.status_fa,
        "due_text": summary.due_text,
        "days_left_text": summary.left_text,
        "state_line": summary.line(),
    }


async def save_note(request: web.Request) -> web.Response:
    user = official_user(request)
    repo = DeskRepository(request.config_dict[DEPS].pool)
    call = await call_at_desk(request, user, await repo.get_call(_call_id(request)))
    fields = await _fields(request, call)
    if isinstance(fields, web.Response):
        return fields
    summary, topic, agency_id = fields
    request_id = await repo.request_id(call.id)
    if request_id is None:
        in_request = await repo.save_note(
            call.id, summary=summary, topic=topic, agency_id=agency_id,
            official_id=user.official_id, user_id=user.id,
        )  # fmt: skip
        if not in_request:
            message = "یادداشت ذخیره شد."
            if topic and agency_id:
                message = "یادداشت ذخیره شد؛ درخواست با ثبت در پایان تماس به دستگاه ارجاع می‌شود."
            return _json({"saved": True, "in_request": False, "assigned": False,
                          "message": message})  # fmt: skip
        request_id = await repo.request_id(call.id)
        assert request_id is not None
    return await _save_in_request(request, user, repo, call, request_id, summary, topic, agency_id)


async def _save_in_request(
    request: web.Request,
    user: User,
    repo: DeskRepository,
    call: DeskCall,
    request_id: int,
    summary: str | None,
    topic: str | None,
    agency_id: int | None,
) -> web.Response:
    lifecycle = request_lifecycle(request)
    state = await lifecycle.get(request_id)
    assert state is not None  # requests are never deleted
    changes = (state.agency_id, state.topic) != (agency_id, topic)
    wants = topic is not None and agency_id is not None
    if not wants or (state.status is not Status.REGISTERED and not changes):
        await repo.save_note(
            call.id, summary=summary, topic=topic, agency_id=agency_id,
            official_id=user.official_id, user_id=user.id,
        )  # fmt: skip
        after = await lifecycle.get(request_id)
        assert after is not None
        message = "یادداشت در درخواست ثبت شد."
        if topic is None or agency_id is None:
            message += " برای ارجاع به دستگاه، هم موضوع و هم دستگاه را انتخاب کنید."
        return _json({"saved": True, "in_request": True, "assigned": False, "message": message,
                      **_state_body(request, after)})  # fmt: skip

    async def note_too(conn: PoolConnection, _before: RequestState, _after: RequestState) -> None:
        note = NoteInput(summary, topic, agency_id, user.official_id, user.id)
        await repo.write_note(conn, call.id, note)

    assert topic is not None
    assert agency_id is not None
    try:
        after = await lifecycle.act(
            request_id, Action.ASSIGN, agency_id=agency_id, topic=topic, actor=Actor.of(user),
            now=datetime.now(UTC), note=summary, within=note_too,
        )  # fmt: skip
    except LifecycleError as exc:
        status, code, message = refusal(exc)
        return _error(status, code, f"{message} یادداشت ذخیره نشد؛ می‌توانید آن را تغییر دهید.")
    again = state.status is not Status.REGISTERED
    message = "درخواست دوباره ارجاع شد." if again else "درخواست به دستگاه ارجاع شد."
    return _json({"saved": True, "in_request": True, "assigned": True, "message": message,
                  **_state_body(request, after)})  # fmt: skip


async def mark_no_request(request: web.Request) -> web.Response:
    user = official_user(request)
    repo = DeskRepository(request.config_dict[DEPS].pool)
    call = await call_at_desk(request, user, await repo.get_call(_call_id(request)))
    try:
        await repo.mark_no_request(call.id, official_id=user.official_id, user_id=user.id)
    except RequestAlreadyRegistered:
        return _error(409, "request_exists", "برای این تماس درخواست ثبت شده است.")
    return _json({"no_request": True, "message": "این تماس بدون درخواست ثبت شد."})


def setup_notes(app: web.Application) -> None:
    app.router.add_post(r"/desk/calls/{call_id:\d+}/note", save_note)
    app.router.add_post(r"/desk/calls/{call_id:\d+}/no-request", mark_no_request)
