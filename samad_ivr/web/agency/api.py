"""The agency portal's JSON API: the same list and case file as the pages.

- `GET /api/v1/agency/requests?status=&topic=&overdue=&tracking_code=&from=&to=&cursor=&limit=`
- `GET /api/v1/agency/requests/{id}`
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aiohttp import web

from samad_ivr.admin.jalali import InputError, iso_jalali
from samad_ivr.storage.agency_portal import AgencyRequestRow
from samad_ivr.storage.casefile import CaseFile
from samad_ivr.web.agency.common import PORTAL, agency_user, now, path_id
from samad_ivr.web.agency.filters import LISTED_STATUSES, parse_agency_filters
from samad_ivr.web.agency.views import load_case
from samad_ivr.web.openapi import api_query_text, api_route
from samad_ivr.web.security import ApiError, Role

_TEXT = {"type": "string", "maxLength": 100}
LIST_QUERY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "status": {"type": "string", "enum": [s.value for s in LISTED_STATUSES]},
        "topic": _TEXT,
        "overdue": {"type": "boolean"},
        "tracking_code": _TEXT,
        "from": {**_TEXT, "description": "Jalali day of registration, 1404-01-15"},
        "to": {**_TEXT, "description": "Jalali day of registration, inclusive"},
        "cursor": _TEXT,
        "limit": {"type": "integer", "minimum": 1, "maximum": 200},
    },
}
_ROW: dict[str, Any] = {
    "type": "object",
    "required": ["id", "tracking_code", "status", "due_on", "days_left", "overdue"],
    "properties": {
        "id": {"type": "integer"},
        "tracking_code": {"type": "string"},
        "status": {"type": "string"},
        "topic": {"type": ["string", "null"]},
        "due_on": {"type": "string", "format": "date"},
        "due_on_jalali": {"type": "string"},
        "days_left": {"type": ["integer", "null"]},
        "overdue": {"type": "boolean"},
    },
}
LIST_RESPONSE: dict[str, Any] = {
    "type": "object",
    "required": ["requests", "next_cursor"],
    "properties": {"requests": {"type": "array", "items": _ROW},
                   "next_cursor": {"type": ["string", "null"]}},
}  # fmt: skip
CASE_RESPONSE: dict[str, Any] = {"type": "object", "required": ["request", "history", "answers"]}


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant is not None else None


def row_json(r: AgencyRequestRow, today: date) -> dict[str, Any]:
    left = r.days_left(today)
    return {
        "id": r.id, "tracking_code": r.tracking_code, "status": r.status.value,
        "topic": r.topic, "topic_name": r.topic_name, "summary": r.summary,
        "caller": r.caller_e164, "created_at": _iso(r.created_at),
        "assigned_at": _iso(r.assigned_at), "due_on": r.due_on.isoformat(),
        "due_on_jalali": iso_jalali(r.due_on), "days_left": left,
        "overdue": left is not None and left < 0, "answered_at": _iso(r.answered_at),
        "answered_late": r.answered_late, "version": r.version,
    }  # fmt: skip


async def list_requests(request: web.Request) -> web.Response:
    who = await agency_user(request)
    portal = request.config_dict[PORTAL]
    values = api_query_text(request)
    today = now().astimezone(who.tz).date()
    topics = {code for code, _ in await portal.topics(who.agency.center_id)}
    try:
        query = parse_agency_filters(
            values, agency_id=who.agency.id, topics=topics, tz=who.tz, today=today
        )
    except InputError as exc:
        raise ApiError(422, "validation_failed", str(exc)) from None
    page = await portal.requests(query)
    return web.json_response({
        "requests": [row_json(r, today) for r in page.rows],
        "next_cursor": page.next_cursor.token() if page.next_cursor else None,
    })  # fmt: skip


def case_json(case: CaseFile, at: datetime) -> dict[str, Any]:
    s = case.state
    d = case.deadline
    return {
        "request": {
            "id": s.id, "tracking_code": s.tracking_code, "status": s.status.value,
            "version": s.version, "agency": case.agency_name, "topic": s.topic,
            "topic_name": case.topic_name, "summary": s.summary, "caller": s.caller_e164,
            "created_at": _iso(s.created_at), "due_on": s.due_on.isoformat() if s.due_on else None,
            "days_left": case.days_left(at), "overdue": case.overdue(at),
            "recording_id": case.recording_id,
        },
        "deadline": None if d is None else {
            "start": d.start.isoformat(), "days": d.days, "mode": d.mode.value,
            "due_on": d.due_on.isoformat(),
            "skipped": [{"day": k.day.isoformat(), "reason": k.reason} for k in d.skipped],
        },
        "call": {
            "started_at": _iso(case.call.started_at), "answered_at": _iso(case.call.answered_at),
            "ended_at": _iso(case.call.ended_at), "route": case.call.route,
            "official": case.call.official_name, "official_title": case.call.official_title,
        },
        "history": [
            {"at": _iso(h.entry.at), "event": h.entry.event, "action": h.entry.action,
             "from": h.entry.from_status, "to": h.entry.to_status, "note": h.entry.note,
             "actor": h.actor_name or h.entry.job}
            for h in case.history
        ],
        "answers": [
            {"id": a.id, "agency": a.agency_name, "author": a.author, "body": a.body,
             "created_at": _iso(a.created_at),
             "attachments": [{"id": f.id, "filename": f.filename, "content_type": f.content_type,
                              "size_bytes": f.size_bytes, "sha256": f.sha256,
                              "url": f"/attachments/{f.id}"} for f in a.attachments]}
            for a in case.answers
        ],
        "visits": [
            {"visited_on": v.visited_on.isoformat(), "agency": v.agency_name,
             "inspector": v.inspector, "findings": v.findings}
            for v in case.visits
        ],
    }  # fmt: skip


async def get_request(request: web.Request) -> web.Response:
    who = await agency_user(request)
    case = await load_case(request, who, path_id(request, "request_id"))
    return web.json_response(case_json(case, now()))


def setup_agency_api(app: web.Application) -> None:
    api_route(
        app, "GET", "/agency/requests", list_requests,
        summary="The agency's requests by deadline (filters, keyset pages)",
        query_schema=LIST_QUERY, response_schema=LIST_RESPONSE, roles=[Role.AGENCY_STAFF],
        tags=["agency"], operation_id="agency_requests",
    )  # fmt: skip
    api_route(
        app, "GET", r"/agency/requests/{request_id:\d+}", get_request,
        summary="One of the agency's requests: its case file",
        response_schema=CASE_RESPONSE, roles=[Role.AGENCY_STAFF], tags=["agency"],
        operation_id="agency_request",
    )  # fmt: skip
