"""`POST /api/v1/requests/{request_id}/assign`: assign (or reassign) a request by API.

Who may: a superuser; a province admin or inspector of the request's province; an
official only for a call that is (or was) at their own desk.  The body names the agency
and topic (of the request's province), an optional note for the agency, and optionally
the `version` the client last saw (a stale one is a 409, as on the pages).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from samad_ivr.admin.jalali import normalise
from samad_ivr.storage.desk import DeskRepository
from samad_ivr.storage.lifecycle import Actor, LifecycleError, RequestState
from samad_ivr.web.admin.common import pool
from samad_ivr.web.app import DEPS
from samad_ivr.web.assignment import (
    MAX_NOTE,
    STATE_SCHEMA,
    refusal,
    request_lifecycle,
    state_json,
)
from samad_ivr.web.desk.views import call_at_desk
from samad_ivr.web.openapi import api_body, api_route
from samad_ivr.web.security import ApiError, Role, User, require_user

ROLES = (Role.SUPERUSER, Role.PROVINCE_ADMIN, Role.INSPECTOR, Role.OFFICIAL)
NOT_FOUND = "درخواستی با این شناسه پیدا نشد."

ASSIGN_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["agency_id", "topic"],
    "properties": {
        "agency_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        "topic": {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,39}$",
                  "description": "a topic code of the request's center"},
        "note": {"type": "string", "maxLength": MAX_NOTE},
        "version": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1,
                    "description": "the version the client saw; refused (409) when stale"},
    },
    "additionalProperties": False,
}  # fmt: skip


async def _check_rights(request: web.Request, user: User, state: RequestState) -> None:
    if user.role is Role.OFFICIAL:
        if user.official_id is None:
            raise ApiError(403, "no_desk", "برای حساب شما میز پاسخ‌گویی تعریف نشده است.")
        call = await DeskRepository(pool(request)).get_call(state.call_id)
        await call_at_desk(request, user, call)
        return
    if state.center_id is None or not user.sees_center(state.center_id):
        raise ApiError(403, "forbidden_center", "شما به اطلاعات این استان دسترسی ندارید.")


async def assign(request: web.Request) -> web.Response:
    user = require_user(request, *ROLES)
    raw_id = request.match_info["request_id"]
    lifecycle = request_lifecycle(request)
    state = await lifecycle.get(int(raw_id)) if len(raw_id) <= 18 else None
    if state is None:
        raise ApiError(404, "not_found", NOT_FOUND)
    await _check_rights(request, user, state)
    body = api_body(request)
    note = normalise(body.get("note", "")) or None
    try:
        after = await lifecycle.assign(
            state.id, agency_id=body["agency_id"], topic=body["topic"], actor=Actor.of(user),
            now=datetime.now(UTC), note=note, expected_version=body.get("version"),
        )  # fmt: skip
    except LifecycleError as exc:
        status, code, message = refusal(exc)
        raise ApiError(status, code, message) from None
    tz = ZoneInfo(request.config_dict[DEPS].settings.timezone)
    return web.json_response(state_json(after, datetime.now(UTC), tz))


def setup_request_api(app: web.Application) -> None:
    api_route(
        app, "POST", r"/requests/{request_id:\d+}/assign", assign,
        summary="Assign or reassign a request to an agency and a topic",
        description="Starts the agency's deadline.  409 when the request's status does not "
        "allow it or `version` is stale; 422 for an agency or topic of another province.",
        request_schema=ASSIGN_BODY, response_schema=STATE_SCHEMA, roles=ROLES, errors=[409],
        tags=["requests"], operation_id="assign_request",
    )  # fmt: skip
