"""The inspector console's request API: read a case, take a move, record a visit.

    GET  /api/v1/inspector/requests/{request_id}
    POST /api/v1/inspector/requests/{request_id}/actions   {"action", "version", ...}
    POST /api/v1/inspector/requests/{request_id}/visits    {"agency_id", "visited_on", ...}

The same rules as the forms (samad_ivr.web.inspector.actions); a conflict is 409 with
the Persian reason, bad input 422.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from samad_ivr.web.inspector.actions import ACTIONS, ActionRefused, record_visit, take_action
from samad_ivr.web.inspector.case import case_json, load_case
from samad_ivr.web.inspector.common import (
    ACT_ROLES,
    ASSIGN_ROLES,
    VIEW_ROLES,
    now,
    path_id,
    viewer,
)
from samad_ivr.web.openapi import api_body, api_route
from samad_ivr.web.security import ApiError

_TEXT_4000 = {"type": "string", "maxLength": 4000}
ACTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["action", "version"],
    "properties": {
        "action": {"type": "string", "enum": list(ACTIONS)},
        "version": {"type": "integer", "minimum": 0, "description": "the version you saw"},
        "agency_id": {"type": "integer", "minimum": 1, "description": "assign"},
        "topic": {"type": "string", "maxLength": 40, "description": "assign"},
        "days": {"type": "integer", "minimum": 1, "maximum": 365,
                 "description": "send_back: the new deadline in days (default the policy's)"},
        "note": {**_TEXT_4000, "description": "why; required for send_back"},
        "resolution": {**_TEXT_4000, "description": "resolve: the inspectors' resolution"},
    },
    "additionalProperties": False,
}  # fmt: skip
VISIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["agency_id", "visited_on", "findings"],
    "properties": {
        "agency_id": {"type": "integer", "minimum": 1},
        "visited_on": {"type": "string", "maxLength": 20, "description": "Jalali: 1404-01-15"},
        "findings": {"type": "string", "maxLength": 10000},
    },
    "additionalProperties": False,
}
CASE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "status", "version", "actions", "history", "answers", "visits"],
}


def _refused(refused: ActionRefused) -> ApiError:
    return ApiError(refused.status, refused.code, refused.message_fa)


async def _case(request: web.Request, request_id: int) -> dict[str, Any]:
    user = viewer(request)
    case = await load_case(request, user, request_id)
    return case_json(case, user, now(request))


async def api_case(request: web.Request) -> web.Response:
    return web.json_response(await _case(request, path_id(request, "request_id")))


async def api_action(request: web.Request) -> web.Response:
    user = viewer(request)
    request_id = path_id(request, "request_id")
    body = api_body(request)
    try:
        await take_action(request, user, request_id, body["action"], body)
    except ActionRefused as refused:
        raise _refused(refused) from None
    return web.json_response(await _case(request, request_id))


async def api_visit(request: web.Request) -> web.Response:
    user = viewer(request)
    request_id = path_id(request, "request_id")
    try:
        visit_id = await record_visit(request, user, request_id, api_body(request))
    except ActionRefused as refused:
        raise _refused(refused) from None
    return web.json_response({"id": visit_id, "request_id": request_id}, status=201)


def setup_api(app: web.Application) -> None:
    base = "/inspector/requests/{request_id:\\d+}"
    api_route(
        app, "GET", base, api_case, summary="A request's case file for inspectors",
        response_schema=CASE_SCHEMA, roles=VIEW_ROLES, tags=["inspector"],
        operation_id="inspector_case",
    )  # fmt: skip
    api_route(
        app, "POST", base + "/actions", api_action,
        summary="Assign, accept the answer, send back with a new deadline, or resolve",
        description=(
            "Carries the version the caller saw: 409 when the request changed meanwhile or "
            "the move is not possible from its status. Inspectors of the province take "
            "every move; province admins may only assign."
        ),
        request_schema=ACTION_SCHEMA, response_schema=CASE_SCHEMA, roles=ASSIGN_ROLES,
        tags=["inspector"], operation_id="inspector_action",
    )  # fmt: skip
    api_route(
        app, "POST", base + "/visits", api_visit, summary="Record an inspector's visit",
        request_schema=VISIT_SCHEMA, roles=ACT_ROLES, tags=["inspector"], status=201,
        operation_id="inspector_visit",
    )  # fmt: skip
