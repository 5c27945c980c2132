"""Service level: GET /api/v1/national/service-level and the dashboard's section of it.

The same filters and the same visibility as the dashboard (`parse_dashboard`): a province
admin's numbers are their own province's whatever they send.  Definitions are in
`samad_ivr.storage.service_level`; the threshold is SAMAD_SERVICE_LEVEL_SECONDS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup

from samad_ivr.admin.jalali import InputError, iso_jalali
from samad_ivr.national.filters import DashboardFilter, parse_dashboard
from samad_ivr.national.service_charts import service_charts, session_rows, within_title
from samad_ivr.storage.dashboard import DashboardTooSlow
from samad_ivr.storage.service_level import (
    ABANDON_EDGES,
    ServiceLevel,
    ServiceLevelRepository,
    SessionStats,
)
from samad_ivr.web.app import DEPS
from samad_ivr.web.national.common import (
    NATIONAL_VIEW_ROLES,
    national_user,
    timezone,
    visible_centers,
)
from samad_ivr.web.openapi import api_query_text, api_route
from samad_ivr.web.security import ApiError, User, http_error

SERVICE_LEVEL = web.AppKey("national_service_level", ServiceLevelRepository)
TOO_SLOW = "محاسبهٔ این نمودارها بیش از اندازه طول کشید؛ بازهٔ کوتاه‌تری یا یک استان را انتخاب کنید."

_COUNT = {"type": "integer", "minimum": 0}
_SHARE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_FIELDS = ("calls", "answered", "abandoned", "callbacks", "callbacks_reached", "answered_within")
_STATS: dict[str, Any] = {
    "type": "object",
    "properties": {
        **dict.fromkeys(_FIELDS, _COUNT),
        "average_speed_of_answer_seconds": {
            "type": ["number", "null"], "minimum": 0,
            "description": "mean of answered_at - started_at over answered inbound calls",
        },
        "service_level": {
            **_SHARE,
            "description": "answered within threshold_seconds / (answered + abandoned)",
        },
    },
}  # fmt: skip
RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["from", "to", "threshold_seconds", "totals", "days", "sessions"],
    "properties": {
        "from": {"type": "string", "description": "Jalali day, inclusive"},
        "to": {"type": "string", "description": "Jalali day, inclusive"},
        "threshold_seconds": {"type": "integer", "minimum": 1},
        "totals": _STATS,
        "days": {"type": "array", "items": {**_STATS, "properties": {
            **_STATS["properties"], "date": {"type": "string", "format": "date"},
            "jalali_date": {"type": "string"},
        }}},
        "sessions": {"type": "array", "items": {**_STATS, "properties": {
            **_STATS["properties"], "date": {"type": "string", "format": "date"},
            "jalali_date": {"type": "string"}, "center_id": {"type": ["integer", "null"]},
            "center": {"type": ["string", "null"]},
        }}},
        "abandoned_after": {"type": "array", "items": {"type": "object", "properties": {
            "from_seconds": _COUNT, "to_seconds": {"type": ["integer", "null"]},
            "calls": _COUNT,
        }}},
    },
}  # fmt: skip


def _stats_json(s: SessionStats) -> dict[str, Any]:
    return {
        **{k: int(getattr(s, k)) for k in _FIELDS},
        "average_speed_of_answer_seconds": s.average_speed_of_answer,
        "service_level": s.service_level,
    }


def service_level_json(f: DashboardFilter, level: ServiceLevel) -> dict[str, Any]:
    edges = [*ABANDON_EDGES, None]
    return {
        "from": iso_jalali(f.first), "to": iso_jalali(f.last),
        "threshold_seconds": level.threshold_seconds,
        "totals": _stats_json(level.total),
        "days": [
            {"date": s.day.isoformat(), "jalali_date": iso_jalali(s.day), **_stats_json(s)}
            for s in level.days
        ],
        "sessions": [
            {"date": s.day.isoformat(), "jalali_date": iso_jalali(s.day),
             "center_id": s.center_id, "center": s.center_name, **_stats_json(s)}
            for s in level.sessions
        ],
        "abandoned_after": [
            {"from_seconds": edges[i], "to_seconds": edges[i + 1], "calls": n}
            for i, n in enumerate(level.abandon_buckets)
        ],
    }  # fmt: skip


def parse_for(values: Mapping[str, str], user: User, tz: ZoneInfo) -> DashboardFilter:
    """The dashboard's filter of `values` as `user` may see it (today in `tz`)."""
    today = datetime.now(UTC).astimezone(tz).date()
    return parse_dashboard(values, visible_centers=visible_centers(user), tz=tz, today=today)


async def service_level(request: web.Request, f: DashboardFilter, tz: ZoneInfo) -> ServiceLevel:
    days = [f.first + timedelta(days=n) for n in range((f.last - f.first).days + 1)]
    threshold = request.config_dict[DEPS].settings.service_level_seconds
    return await request.config_dict[SERVICE_LEVEL].summary(
        f.search, days, tz=tz, threshold_seconds=threshold
    )


def service_context(level: ServiceLevel) -> dict[str, Any]:
    """What national/dashboard.html's service-level section needs."""
    charts = {k: Markup(v) for k, v in asdict(service_charts(level)).items()}
    return {
        "service": charts,
        "sessions": session_rows(level),
        "within_title": within_title(level.threshold_seconds),
    }


async def api_service_level(request: web.Request) -> web.Response:
    user = national_user(request)
    tz = timezone(request)
    try:
        f = parse_for(api_query_text(request), user, tz)
    except InputError as exc:
        raise ApiError(422, "validation_failed", str(exc)) from None
    try:
        level = await service_level(request, f, tz)
    except DashboardTooSlow:
        raise http_error(request, 503, "too_slow", TOO_SLOW) from None
    return web.json_response(service_level_json(f, level))


def setup_service_level(app: web.Application, query_schema: dict[str, Any]) -> None:
    app[SERVICE_LEVEL] = ServiceLevelRepository(app[DEPS].pool)
    api_route(
        app, "GET", "/national/service-level", api_service_level,
        summary=(
            "Service level from the call rows: per day and per session (a center's day) "
            "answered, abandoned (and after how long), callbacks made and reached, average "
            "speed of answer, the share answered within SAMAD_SERVICE_LEVEL_SECONDS"
        ),
        description=(
            "The dashboard's filters. Inbound calls exclude the outbound routes "
            "'satisfaction' and 'callback'; callbacks made/reached are the callback attempts "
            "/ those answered (only the range and province filters apply to them). "
            "Province admins see only their province; national roles every province."
        ),
        query_schema=query_schema, response_schema=RESPONSE_SCHEMA,
        roles=NATIONAL_VIEW_ROLES, tags=["national"], operation_id="national_service_level",
    )  # fmt: skip
