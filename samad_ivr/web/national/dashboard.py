"""The national dashboard: the page /national/dashboard (charts) and the API
GET /api/v1/national/dashboard (the same aggregates as JSON).

Both read the search's filters (`parse_dashboard` wraps `parse_search`) and count only
the calls the search would list, so a province admin's numbers are their own province's
whatever they send.  The range is whole local days, 30 up to today by default and at most
366; a bad filter is a 400 page (422 in the API, like the search), and aggregates that
take too long (a year of every province on a busy server) a 503 that says to narrow them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup

from samad_ivr.admin.jalali import InputError, fa_digits, iso_jalali, jalali_text
from samad_ivr.national.dashboard import dashboard_charts, summary_tiles, topic_label
from samad_ivr.national.filters import FILTER_FIELDS, DashboardFilter
from samad_ivr.storage.dashboard import WAIT_EDGES, Dashboard, DashboardTooSlow
from samad_ivr.web.national.calls import QUERY_SCHEMA as SEARCH_QUERY_SCHEMA
from samad_ivr.web.national.calls import STATUS_NAMES
from samad_ivr.web.national.common import (
    DASHBOARD,
    NATIONAL_VIEW_ROLES,
    center_choices,
    filter_link,
    national_user,
    render,
    timezone,
)
from samad_ivr.web.national.service_level import (
    TOO_SLOW,
    parse_for,
    service_context,
    service_level,
    setup_service_level,
)
from samad_ivr.web.openapi import api_query_text, api_route
from samad_ivr.web.security import ApiError, http_error
from samad_ivr.web.topic_names import setup_topic_catalog, topic_catalog

log = logging.getLogger(__name__)

_RANGE = "default: the 30 days up to today (the hotline's time zone); at most 366 days"
QUERY_SCHEMA: dict[str, Any] = {
    **SEARCH_QUERY_SCHEMA,
    "properties": {
        **{
            k: v
            for k, v in SEARCH_QUERY_SCHEMA["properties"].items()
            if k not in ("cursor", "limit")
        },
        "from": {"type": "string", "maxLength": 100, "description": f"Jalali day; {_RANGE}"},
        "to": {"type": "string", "maxLength": 100, "description": f"Jalali day; {_RANGE}"},
    },
}
_COUNT = {"type": "integer", "minimum": 0}
_SECONDS = {"type": ["number", "null"], "minimum": 0}
_DAY_FIELDS = ("calls", "answered", "message", "abandoned", "other", "waited")
# The agencies' answers to the requests of these calls (not the calls' own "answered").
_LIFECYCLE_FIELDS = {
    "requests_answered_on_time": "on_time", "requests_answered_late": "late",
    "requests_at_long_stop": "long_stop",
}  # fmt: skip
_RATE = {
    "type": ["number", "null"], "minimum": 0, "maximum": 1,
    "description": "requests answered on time / answered; null when none was answered",
}  # fmt: skip
RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["from", "to", "totals", "days", "wait_buckets", "officials", "topics"],
    "properties": {
        "from": {"type": "string", "description": "Jalali day, inclusive"},
        "to": {"type": "string", "description": "Jalali day, inclusive"},
        "totals": {"type": "object", "properties": {
            **dict.fromkeys([*_DAY_FIELDS, *_LIFECYCLE_FIELDS], _COUNT), "on_time_rate": _RATE,
        }},
        "days": {"type": "array", "items": {"type": "object", "properties": {
            "date": {"type": "string", "format": "date"}, "jalali_date": {"type": "string"},
            **dict.fromkeys([*_DAY_FIELDS, *_LIFECYCLE_FIELDS], _COUNT),
            "median_wait_seconds": _SECONDS, "p90_wait_seconds": _SECONDS,
        }}},
        "wait_buckets": {"type": "array", "items": {"type": "object", "properties": {
            "from_seconds": _COUNT, "to_seconds": {"type": ["integer", "null"]}, "calls": _COUNT,
        }}},
        "officials": {"type": "array", "items": {"type": "object", "properties": {
            "official_id": {"type": "integer"}, "official": {"type": "string"},
            "center": {"type": ["string", "null"]}, "calls": _COUNT, "answered": _COUNT,
        }}},
        "other_officials_calls": _COUNT,
        "calls_without_official": _COUNT,
        "topics": {"type": "array", "items": {"type": "object", "properties": {
            "topic": {"type": ["string", "null"]}, "label": {"type": "string"},
            "requests": _COUNT,
        }}},
        "centers": {"type": "array", "items": {"type": "object", "properties": {
            "center_id": {"type": ["integer", "null"]}, "center": {"type": ["string", "null"]},
            **dict.fromkeys(_LIFECYCLE_FIELDS, _COUNT), "on_time_rate": _RATE,
        }}},
    },
}  # fmt: skip


def dashboard_json(
    f: DashboardFilter, d: Dashboard, topic_labels: Mapping[str, str]
) -> dict[str, Any]:
    edges = [*WAIT_EDGES, None]
    return {
        "from": iso_jalali(f.first), "to": iso_jalali(f.last),
        "totals": {
            **{k: d.total(k) for k in _DAY_FIELDS},
            **{k: d.total(v) for k, v in _LIFECYCLE_FIELDS.items()},
            "on_time_rate": d.on_time_rate,
        },
        "days": [
            {"date": s.day.isoformat(), "jalali_date": iso_jalali(s.day),
             **{k: int(getattr(s, k)) for k in _DAY_FIELDS},
             **{k: int(getattr(s, v)) for k, v in _LIFECYCLE_FIELDS.items()},
             "median_wait_seconds": s.median_wait, "p90_wait_seconds": s.p90_wait}
            for s in d.days
        ],
        "wait_buckets": [
            {"from_seconds": edges[i], "to_seconds": edges[i + 1], "calls": n}
            for i, n in enumerate(d.wait_buckets)
        ],
        "officials": [
            {"official_id": o.official_id, "official": o.name, "center": o.center_name,
             "calls": o.calls, "answered": o.answered}
            for o in d.officials
        ],
        "other_officials_calls": d.other_officials_calls,
        "calls_without_official": d.calls_without_official,
        "topics": [
            {"topic": t.topic, "label": topic_label(t.topic, topic_labels),
             "requests": t.requests}
            for t in d.topics
        ],
        "centers": [
            {"center_id": c.center_id, "center": c.name,
             **{k: int(getattr(c, v)) for k, v in _LIFECYCLE_FIELDS.items()},
             "on_time_rate": c.on_time_rate}
            for c in d.centers
        ],
    }  # fmt: skip


_parse = parse_for


async def _summary(request: web.Request, f: DashboardFilter, tz: ZoneInfo) -> Dashboard:
    try:
        return await request.config_dict[DASHBOARD].summary(f.search, tz=tz)
    except DashboardTooSlow:
        log.warning("dashboard aggregates for %s..%s took too long", f.first, f.last)
        raise


async def api_dashboard(request: web.Request) -> web.Response:
    user = national_user(request)
    tz = timezone(request)
    query = api_query_text(request)
    try:
        f = _parse(query, user, tz)
    except InputError as exc:
        raise ApiError(422, "validation_failed", str(exc)) from None
    try:
        d = await _summary(request, f, tz)
    except DashboardTooSlow:
        raise http_error(request, 503, "too_slow", TOO_SLOW) from None
    labels = await topic_catalog(request).labels()
    return web.json_response(dashboard_json(f, d, labels))


async def dashboard_page(request: web.Request) -> web.Response:
    user = national_user(request)
    tz = timezone(request)
    values = {k: v for k, v in request.query.items() if k in FILTER_FIELDS}
    labels = await topic_catalog(request).labels()
    form = {
        "centers": await center_choices(request, user), "statuses": STATUS_NAMES,
        "topics": labels,
    }  # fmt: skip
    try:
        f = _parse(values, user, tz)
        d = await _summary(request, f, tz)
        service = service_context(await service_level(request, f, tz))
    except (InputError, DashboardTooSlow) as exc:
        response = render(
            request, "national/dashboard.html", user, values=values, charts=None,
            errors=[str(exc) if isinstance(exc, InputError) else TOO_SLOW], **form,
        )  # fmt: skip
        response.set_status(400 if isinstance(exc, InputError) else 503)
        return response
    # charts.py escapes every text it writes.
    figures = asdict(dashboard_charts(d, labels))
    charts = {name: Markup(html) for name, html in figures.items()}
    return render(
        request, "national/dashboard.html", user, values=f.values, charts=charts,
        tiles=summary_tiles(d), days=fa_digits(len(d.days)), first_day=jalali_text(f.first),
        last_day=jalali_text(f.last), calls_link=filter_link("/national/calls", f.values),
        **service, **form,
    )  # fmt: skip


def setup_national_dashboard(app: web.Application) -> None:
    setup_topic_catalog(app)
    app.router.add_get("/national/dashboard", dashboard_page)
    setup_service_level(app, QUERY_SCHEMA)
    api_route(
        app, "GET", "/national/dashboard", api_dashboard,
        summary=(
            "Dashboard aggregates: calls per day and outcome, queue waits, officials, topics, "
            "the agencies' on-time rate and the requests at the long stop"
        ),
        description=(
            "The same filters as GET /calls (without paging); days are the hotline's local days. "
            "Province admins see only their province; national roles every province."
        ),
        query_schema=QUERY_SCHEMA, response_schema=RESPONSE_SCHEMA,
        roles=NATIONAL_VIEW_ROLES, tags=["national"], operation_id="national_dashboard",
    )  # fmt: skip
