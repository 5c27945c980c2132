"""The agency report as a page (/reports/agencies) and as a file for Excel
(/reports/agencies.csv); the same filters and rights (see `common`).

A bad filter is a 400 page with its Persian message and the form as typed; a report that
takes too long a 503 that says to narrow it.  The CSV is UTF-8 with a BOM (Excel reads
Persian then), ASCII digits (Excel can compute), Jalali dates in its name.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from markupsafe import Markup
from yarl import URL

from samad_ivr.admin.jalali import InputError, fa_digits, jalali_text
from samad_ivr.national.charts import count_text, percent_text
from samad_ivr.national.report_charts import (
    COLUMNS,
    agency_label,
    days_text,
    report_charts,
    topic_label,
)
from samad_ivr.storage.agency_reports import AgencyReport, Figures, ReportTooSlow
from samad_ivr.web.reports.common import (
    REPORT_FIELDS,
    TOO_SLOW,
    ReportScope,
    center_choices,
    load_report,
    now_in,
    parse_scope,
    report_user,
)
from samad_ivr.web.security import http_error

__all__ = ["agencies_csv", "agencies_page"]

# Cells starting with these are formulas to Excel (CSV injection): agency names are typed
# by admins, so such a cell is written with a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = ("بخش", "استان", "نام", *(c.header for c in COLUMNS))
PART_AGENCY, PART_TOPIC, PART_TOTAL = "دستگاه", "موضوع", "جمع"


def _row_cells(f: Figures) -> list[str]:
    return [c.text(c.value(f)) for c in COLUMNS]


def _tables(report: AgencyReport, *, with_center: bool) -> dict[str, Any]:
    return {
        "agency_rows": [
            (agency_label(a, with_center=with_center), _row_cells(a.figures))
            for a in report.agencies
        ],
        "topic_rows": [(topic_label(t), _row_cells(t.figures)) for t in report.topics],
        "total_cells": _row_cells(report.totals),
        "headers": [c.header for c in COLUMNS],
    }


def _tiles(f: Figures) -> list[tuple[str, str]]:
    """The headline numbers above the tables."""
    return [
        (count_text(f.requests), "درخواست"),
        (percent_text(f.on_time_rate), "پاسخ به‌موقع (از پاسخ‌ها)"),
        (count_text(f.overdue), "گذشته از مهلت (اکنون)"),
        (days_text(f.median_days), "میانهٔ زمان پاسخ"),
        (percent_text(f.reopened_share), "بازگشایی‌شده"),
    ]


def _links(scope: ReportScope) -> dict[str, str]:
    query = {k: v for k, v in scope.values.items() if v}
    return {
        "csv_link": str(URL("/reports/agencies.csv").with_query(query)),
        "api_link": str(URL("/api/v1/reports/agencies").with_query(query)),
    }


async def agencies_page(request: web.Request) -> web.Response:
    user = report_user(request)
    values = {k: v for k, v in request.query.items() if k in REPORT_FIELDS}
    context: dict[str, Any] = {
        "user": user, "centers": await center_choices(request, user), "values": values,
        "report": None, "errors": [], "notice": None,
    }  # fmt: skip
    try:
        scope = parse_scope(request, values, user, now_in(request))
        report = await load_report(request, scope)
    except (InputError, ReportTooSlow) as exc:
        context["errors"] = [str(exc) if isinstance(exc, InputError) else TOO_SLOW]
        response = aiohttp_jinja2.render_template("reports/agencies.html", request, context)
        response.set_status(400 if isinstance(exc, InputError) else 503)
        return response
    with_center = scope.center_id is None
    # charts.py escapes every text it writes.
    charts = {
        k: Markup(v) for k, v in asdict(report_charts(report, with_center=with_center)).items()
    }
    context |= {
        "values": scope.values, "report": report, "charts": charts,
        "first_day": jalali_text(scope.days.first), "last_day": jalali_text(scope.days.last),
        "days": fa_digits(scope.days.days), "tiles": _tiles(report.totals),
        "center_name": next(
            (c.name for c in context["centers"] if c.id == scope.center_id), None
        ),
        **_tables(report, with_center=with_center), **_links(scope),
    }  # fmt: skip
    return aiohttp_jinja2.render_template("reports/agencies.html", request, context)


def _safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_value(value: int | float | None, key: str) -> str:
    if value is None:
        return ""
    if key in ("reopened_share", "on_time_rate"):
        return f"{100 * value:.1f}"  # percent
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _csv_figures(f: Figures) -> list[str]:
    return [_csv_value(c.value(f), c.key) for c in COLUMNS]


def report_csv(report: AgencyReport) -> str:
    """The report as CSV text (without the BOM): agencies, then topics, then the total."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for a in report.agencies:
        name = _safe(agency_label(a, with_center=False))
        writer.writerow([PART_AGENCY, _safe(a.center_name or ""), name, *_csv_figures(a.figures)])
    for t in report.topics:
        writer.writerow([PART_TOPIC, "", _safe(topic_label(t)), *_csv_figures(t.figures)])
    writer.writerow([PART_TOTAL, "", "", *_csv_figures(report.totals)])
    return out.getvalue()


async def agencies_csv(request: web.Request) -> web.Response:
    user = report_user(request)
    values = {k: v for k, v in request.query.items() if k in REPORT_FIELDS}
    try:
        scope = parse_scope(request, values, user, now_in(request))
        report = await load_report(request, scope)
    except InputError as exc:
        raise http_error(request, 400, "validation_failed", str(exc)) from None
    except ReportTooSlow:
        raise http_error(request, 503, "too_slow", TOO_SLOW) from None
    first, last = scope.values["from"], scope.values["to"]
    province = f"-{scope.center_id}" if scope.center_id is not None else ""
    filename = f"agencies{province}-{first}-{last}.csv"
    # The BOM makes Excel read the file as UTF-8 instead of the Windows code page.
    return web.Response(
        body=("\ufeff" + report_csv(report)).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
