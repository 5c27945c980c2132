"""Search calls and requests: the page /national/calls and the API GET /api/v1/calls.

Both read the same filters (see `samad_ivr.national.filters`) and page with an opaque
keyset cursor.  Province admins are held to their own center by the query itself
(`visible_centers`), whatever filters they send.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from samad_ivr.admin.jalali import InputError, iso_jalali, jalali_text
from samad_ivr.domain.lifecycle import STATUS_FA, Status
from samad_ivr.domain.status_line import OUTCOME_FA
from samad_ivr.national.filters import FILTER_FIELDS, STATUSES, parse_search
from samad_ivr.storage.search import CallHit, SearchPage
from samad_ivr.web.national.common import (
    NATIONAL_VIEW_ROLES,
    SEARCH,
    center_choices,
    filter_link,
    national_user,
    render,
    timezone,
    visible_centers,
)
from samad_ivr.web.openapi import api_query_text, api_route
from samad_ivr.web.paths import next_page_link
from samad_ivr.web.security import ApiError
from samad_ivr.web.topic_names import setup_topic_catalog, topic_catalog

# Every status of the lifecycle, in its order, with the label every console uses.
STATUS_NAMES = {s.value: STATUS_FA[s] for s in Status}
_TEXT = {"type": "string", "maxLength": 100}
QUERY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "from": {**_TEXT, "description": "Jalali day, inclusive: 1404-01-15 or ۱۴۰۴/۰۱/۱۵"},
        "to": {**_TEXT, "description": "Jalali day, inclusive"},
        "center_id": {"type": "integer", "minimum": 1},
        "official_id": {"type": "integer", "minimum": 1},
        "agency_id": {"type": "integer", "minimum": 1},
        "topic": {**_TEXT, "description": "ignored until requests.topic exists (0007)"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "overdue": {
            "type": "boolean",
            "description": "only requests overdue now: escalated, or assigned past the end of "
            "their due day (the center's time zone)",
        },
        "caller": {**_TEXT, "description": "any Iranian form; normalised to E.164"},
        "tracking_code": {**_TEXT, "description": "10 digits"},
        "live": {"type": "boolean", "description": "only calls in progress"},
        "cursor": {"type": "string", "maxLength": 64, "description": "next_cursor of a page"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 200},
    },
    "additionalProperties": False,
}
_NULLABLE_INT = {"type": ["integer", "null"]}
_NULLABLE_STR = {"type": ["string", "null"]}
CALL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "center_id": _NULLABLE_INT, "center": _NULLABLE_STR,
        "caller": _NULLABLE_STR, "started_at": {"type": "string", "format": "date-time"},
        "jalali_date": {"type": "string"}, "ended_at": _NULLABLE_STR, "live": {"type": "boolean"},
        "disposition": _NULLABLE_STR, "route": _NULLABLE_STR, "official_id": _NULLABLE_INT,
        "official": _NULLABLE_STR, "request_id": _NULLABLE_INT, "tracking_code": _NULLABLE_STR,
        "status": _NULLABLE_STR, "agency_id": _NULLABLE_INT, "agency": _NULLABLE_STR,
        "topic": _NULLABLE_STR, "recording_ids": {"type": "array", "items": {"type": "integer"}},
        "due_on": {**_NULLABLE_STR, "format": "date", "description": "the agency's deadline"},
        "jalali_due_on": _NULLABLE_STR,
        "overdue": {"type": "boolean", "description": "escalated, or assigned past due_on"},
        "status_lookups": {
            "type": "array", "description": "codes typed for status by phone on this call",
            "items": {"type": "object", "properties": {
                "typed": {"type": "string"}, "outcome": {"type": "string"}}},
        },
    },
}  # fmt: skip
RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["calls", "next_cursor", "topic_filter_supported"],
    "properties": {
        "calls": {"type": "array", "items": CALL_SCHEMA},
        "next_cursor": _NULLABLE_STR,
        "topic_filter_supported": {"type": "boolean"},
    },
}


def call_json(hit: CallHit, tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    return {
        "id": hit.id, "center_id": hit.center_id, "center": hit.center_name,
        "caller": hit.caller_e164 or hit.caller_raw, "started_at": hit.started_at.isoformat(),
        "jalali_date": iso_jalali(hit.started_at.astimezone(tz).date()),
        "ended_at": hit.ended_at.isoformat() if hit.ended_at else None, "live": hit.live,
        "disposition": hit.disposition, "route": hit.route, "official_id": hit.official_id,
        "official": hit.official_name, "request_id": hit.request_id,
        "tracking_code": hit.tracking_code, "status": hit.status, "agency_id": hit.agency_id,
        "agency": hit.agency_name, "topic": hit.topic, "recording_ids": list(hit.recording_ids),
        "due_on": hit.due_on.isoformat() if hit.due_on else None,
        "jalali_due_on": iso_jalali(hit.due_on) if hit.due_on else None,
        "overdue": hit.overdue(now, tz.key),
        "status_lookups": [{"typed": t, "outcome": o} for t, o in hit.status_lookups],
    }  # fmt: skip


async def api_calls(request: web.Request) -> web.Response:
    user = national_user(request)
    tz = timezone(request)
    query = api_query_text(request)
    now = datetime.now(UTC)
    try:
        search = parse_search(query, visible_centers=visible_centers(user), tz=tz, now=now)
    except InputError as exc:
        raise ApiError(422, "validation_failed", str(exc)) from None
    page = await request.config_dict[SEARCH].search(search)
    return web.json_response({
        "calls": [call_json(h, tz, now) for h in page.hits],
        "next_cursor": page.next_cursor.token() if page.next_cursor else None,
        "topic_filter_supported": page.topic_supported,
    })  # fmt: skip


async def calls_page(request: web.Request) -> web.Response:
    user = national_user(request)
    tz = timezone(request)
    values = {k: v for k, v in request.query.items() if k in (*FILTER_FIELDS, "cursor")}
    errors: list[str] = []
    page = SearchPage([], None)
    now = datetime.now(UTC)
    try:
        search = parse_search(values, visible_centers=visible_centers(user), tz=tz, now=now)
        page = await request.config_dict[SEARCH].search(search)
    except InputError as exc:
        errors.append(str(exc))
    return render(
        request, "national/calls.html", user, values=values, page=page,
        centers=await center_choices(request, user), statuses=STATUS_NAMES,
        topics=await topic_catalog(request).labels() if page.topic_supported else {},
        next_link=next_page_link(request, page.next_cursor, FILTER_FIELDS), errors=errors,
        may_listen=True, lookup_outcomes={o.value: label for o, label in OUTCOME_FA.items()},
        overdue={h.id for h in page.hits if h.overdue(now, tz.key)}, jalali=jalali_text,
        dashboard_link=filter_link("/national/dashboard", values),
    )  # fmt: skip


def setup_national_calls(app: web.Application) -> None:
    setup_topic_catalog(app)
    app.router.add_get("/national/calls", calls_page)
    api_route(
        app, "GET", "/calls", api_calls, summary="Search calls and their requests",
        description=(
            "Newest first, keyset-paged: pass `next_cursor` back as `cursor`. Province "
            "admins see only their province; national roles see every province."
        ),
        query_schema=QUERY_SCHEMA, response_schema=RESPONSE_SCHEMA,
        roles=NATIONAL_VIEW_ROLES, tags=["national"], operation_id="search_calls",
    )  # fmt: skip
