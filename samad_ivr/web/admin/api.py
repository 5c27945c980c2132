"""JSON API for a center's duty slots: /api/v1/centers/{center_id}/slots (list, create, delete).

Dates go in and out as Jalali (``1403-12-30``) next to ISO instants, so a client never
converts calendars itself; errors carry the same Persian messages as the pages.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from samad_ivr.admin.jalali import (
    InputError,
    JalaliMonth,
    iso_jalali,
    local_range,
    parse_jalali_date,
    parse_month,
    parse_time,
)
from samad_ivr.admin.messages import clash_messages
from samad_ivr.admin.planning import plan_slot
from samad_ivr.storage.audit import Actor
from samad_ivr.storage.officials import OfficialRepository
from samad_ivr.storage.roster import CenterRow, SlotOverlap
from samad_ivr.storage.roster_edit import NewSlot, PlanClashes, RosterEditor, Slot
from samad_ivr.web.admin.common import ADMIN_ROLES, pool
from samad_ivr.web.openapi import api_body, api_query, api_route
from samad_ivr.web.security import ApiError, Role, require_user

_JALALI = {"type": "string", "pattern": "^[0-9۰-۹]{4}[-/][0-9۰-۹]{1,2}[-/][0-9۰-۹]{1,2}$"}
_TIME = {"type": "string", "pattern": "^[0-9۰-۹]{1,2}(:[0-9۰-۹]{2})?$"}

SLOT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "official_id", "official", "jalali_date", "start", "end",
                 "starts_at", "ends_at"],
    "properties": {
        "id": {"type": "integer"},
        "official_id": {"type": "integer"},
        "official": {"type": "string"},
        "jalali_date": {"type": "string", "description": "local Jalali date, 1403-12-30"},
        "start": {"type": "string", "description": "local time HH:MM"},
        "end": {"type": "string", "description": "local time HH:MM"},
        "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"},
    },
}  # fmt: skip
LIST_QUERY: dict[str, Any] = {
    "type": "object",
    "properties": {"month": {"type": "string", "pattern": "^[0-9۰-۹]{4}[-/][0-9۰-۹]{1,2}$",
                             "description": "Jalali month, 1403-12 (default: this month)"}},
    "additionalProperties": False,
}  # fmt: skip
CREATE_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["official_id", "jalali_date"],
    "properties": {
        "official_id": {"type": "integer", "minimum": 1},
        "jalali_date": _JALALI,
        "start": {**_TIME, "description": "default: the center's duty start"},
        "end": {**_TIME, "description": "default: the center's duty end"},
    },
    "additionalProperties": False,
}
LIST_RESPONSE = {"type": "object", "required": ["month", "slots"], "properties": {
    "month": {"type": "string"}, "slots": {"type": "array", "items": SLOT_SCHEMA}}}  # fmt: skip


def slot_json(slot: Slot, tz: ZoneInfo) -> dict[str, Any]:
    start, end = slot.starts_at.astimezone(tz), slot.ends_at.astimezone(tz)
    return {
        **slot.as_json(),
        "jalali_date": iso_jalali(start.date()),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }


async def _center(request: web.Request) -> CenterRow:
    center_id = int(request.match_info["center_id"])
    user = require_user(request, *ADMIN_ROLES, center_id=center_id)
    if user.role is not Role.SUPERUSER and user.center_id != center_id:
        raise ApiError(403, "forbidden_center", "شما به اطلاعات این استان دسترسی ندارید.")
    center = await RosterEditor(pool(request)).center(center_id)
    if center is None:
        raise ApiError(404, "not_found", "مرکزی با این شناسه نیست.")
    return center


async def list_slots(request: web.Request) -> web.Response:
    center = await _center(request)
    tz = ZoneInfo(center.timezone)
    raw = api_query(request).get("month")
    try:
        month = parse_month(raw) if raw else JalaliMonth.of(_today(tz))
    except InputError as exc:
        raise ApiError(422, "validation_failed", str(exc)) from None
    start, end = local_range(month.first, month.last, tz)
    slots = await RosterEditor(pool(request)).slots(center.id, start, end)
    return web.json_response({"month": month.key, "slots": [slot_json(s, tz) for s in slots]})


def _today(tz: ZoneInfo) -> date:
    return datetime.now(UTC).astimezone(tz).date()


async def create_slot(request: web.Request) -> web.Response:
    center = await _center(request)
    tz = ZoneInfo(center.timezone)
    body = api_body(request)
    user = require_user(request)
    officials = {o.id: o.name for o in await OfficialRepository(pool(request)).list(center.id)}
    if body["official_id"] not in officials:
        raise ApiError(422, "validation_failed", "این مسئول در این مرکز نیست.")
    try:
        day = parse_jalali_date(body["jalali_date"])
        start = parse_time(body["start"], "ساعت شروع") if "start" in body else center.duty_start
        end = parse_time(body["end"], "ساعت پایان") if "end" in body else center.duty_end
        planned = plan_slot(body["official_id"], day, start, end, tz)
    except InputError as exc:
        raise ApiError(422, "validation_failed", str(exc)) from None
    editor = RosterEditor(pool(request))
    new = NewSlot(planned.official_id, planned.starts_at, planned.ends_at,
                  officials[planned.official_id])  # fmt: skip
    try:
        (slot_id,) = await editor.add_plan(
            center.id, [new], Actor(user.id, user.username), "slot_create"
        )
    except PlanClashes as exc:
        message = clash_messages([planned], exc.clashes, tz)[0]
        raise ApiError(409, "slot_overlap", message) from None
    except SlotOverlap:
        raise ApiError(409, "slot_overlap", "این نوبت با نوبت دیگری هم‌پوشانی دارد.") from None
    slot = await editor.slot(center.id, slot_id)
    assert slot is not None
    return web.json_response(slot_json(slot, tz), status=201)


async def delete_slot(request: web.Request) -> web.Response:
    center = await _center(request)
    user = require_user(request)
    slot_id = int(request.match_info["slot_id"])
    deleted = await RosterEditor(pool(request)).delete_slot(
        center.id, slot_id, Actor(user.id, user.username)
    )
    if deleted is None:
        raise ApiError(404, "not_found", "نوبتی با این شناسه در این مرکز نیست.")
    return web.json_response(slot_json(deleted, ZoneInfo(center.timezone)))


def setup_slot_api(app: web.Application) -> None:
    base = r"/centers/{center_id:\d+}/slots"
    common: dict[str, Any] = {"roles": ADMIN_ROLES, "tags": ["roster"]}
    api_route(app, "GET", base, list_slots, summary="Duty slots of a Jalali month",
              query_schema=LIST_QUERY, response_schema=LIST_RESPONSE,
              operation_id="list_center_slots", **common)  # fmt: skip
    api_route(app, "POST", base, create_slot, summary="Create a duty slot",
              request_schema=CREATE_BODY, response_schema=SLOT_SCHEMA, status=201,
              operation_id="create_center_slot", **common)  # fmt: skip
    api_route(app, "DELETE", base + r"/{slot_id:\d+}", delete_slot,
              summary="Delete a duty slot", response_schema=SLOT_SCHEMA,
              operation_id="delete_center_slot", **common)  # fmt: skip
