"""GET /api/v1/reports/agencies: the agency report as JSON (described in OpenAPI).

The same filters and rights as the page; `api_route` refuses other roles and a
`center_id` the user may not see (403) before the handler runs, and a bad date is a 422
with the Persian message.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from samad_ivr.admin.jalali import InputError
from samad_ivr.national.report_charts import COLUMNS, agency_label, topic_label
from samad_ivr.storage.agency_reports import AgencyReport, Figures, ReportTooSlow
from samad_ivr.web.openapi import api_query_text, api_route
from samad_ivr.web.reports.common import (
    REPORT_ROLES,
    TOO_SLOW,
    ReportScope,
    load_report,
    now_in,
    parse_scope,
    report_user,
)
from samad_ivr.web.security import ApiError

__all__ = ["setup_reports_api"]

_RANGE = "Jalali day of registration (1404-01-15 or ۱۴۰۴/۰۱/۱۵); default: the 30 days up to today"
QUERY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "from": {"type": "string", "maxLength": 100, "description": f"{_RANGE}; at most 366 days"},
        "to": {"type": "string", "maxLength": 100, "description": _RANGE},
        "center_id": {
            "type": "integer", "minimum": 1,
            "description": "one province (national roles); province roles always get their own",
        },
    },
    "additionalProperties": False,
}  # fmt: skip
_COUNT = {"type": "integer", "minimum": 0}
_SHARE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
FIGURES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "requests": _COUNT, "answered": _COUNT, "answered_on_time": _COUNT,
        "answered_late": _COUNT, "open": _COUNT, "overdue_now": _COUNT, "reopened": _COUNT,
        "median_days_to_answer": {"type": ["number", "null"], "minimum": 0},
        "reopened_share": _SHARE, "on_time_rate": _SHARE,
    },
}  # fmt: skip
RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["from", "to", "center_id", "as_of", "totals", "agencies", "topics"],
    "properties": {
        "from": {"type": "string", "description": "Jalali day, inclusive"},
        "to": {"type": "string", "description": "Jalali day, inclusive"},
        "center_id": {"type": ["integer", "null"], "description": "null: every province"},
        "as_of": {"type": "string", "format": "date-time", "description": "overdue as of"},
        "totals": FIGURES_SCHEMA,
        "agencies": {"type": "array", "items": {"type": "object", "properties": {
            "agency_id": {"type": ["integer", "null"]}, "agency": {"type": "string"},
            "center": {"type": ["string", "null"]}, "figures": FIGURES_SCHEMA,
        }}},
        "topics": {"type": "array", "items": {"type": "object", "properties": {
            "topic": {"type": ["string", "null"]}, "label": {"type": "string"},
            "figures": FIGURES_SCHEMA,
        }}},
    },
}  # fmt: skip


def figures_json(f: Figures) -> dict[str, Any]:
    return {
        "answered": f.answered, "reopened": f.reopened,
        **{c.key: c.value(f) for c in COLUMNS},
    }  # fmt: skip


def report_json(scope: ReportScope, report: AgencyReport, as_of: str) -> dict[str, Any]:
    return {
        "from": scope.values["from"], "to": scope.values["to"], "center_id": scope.center_id,
        "as_of": as_of, "totals": figures_json(report.totals),
        "agencies": [
            {"agency_id": a.agency_id, "agency": agency_label(a, with_center=False),
             "center": a.center_name, "figures": figures_json(a.figures)}
            for a in report.agencies
        ],
        "topics": [
            {"topic": t.topic, "label": topic_label(t), "figures": figures_json(t.figures)}
            for t in report.topics
        ],
    }  # fmt: skip


async def api_agencies(request: web.Request) -> web.Response:
    user = report_user(request)
    values = api_query_text(request)
    now = now_in(request)
    try:
        scope = parse_scope(request, values, user, now)
    except InputError as exc:
        raise ApiError(422, "validation_failed", str(exc)) from None
    try:
        report = await load_report(request, scope)
    except ReportTooSlow:
        raise ApiError(503, "too_slow", TOO_SLOW) from None
    return web.json_response(report_json(scope, report, now.isoformat()))


def setup_reports_api(app: web.Application) -> None:
    api_route(
        app, "GET", "/reports/agencies", api_agencies,
        summary="Agency report: how agencies answer the requests registered in a range of days",
        description=(
            "Per agency, per topic and in total: requests, answered on time and late, open, "
            "overdue now, median days to answer, reopened share. Province admins and "
            "inspectors see only their province; national roles every province or one."
        ),
        query_schema=QUERY_SCHEMA, response_schema=RESPONSE_SCHEMA, roles=REPORT_ROLES,
        tags=["reports"], operation_id="agency_report",
    )  # fmt: skip
