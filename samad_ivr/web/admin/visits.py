"""The four-visits-a-year report: /admin/visits (HTML) and /admin/visits.csv (Excel).

Superusers and national listeners see every center; a province admin only their own
(`require_user(..., center_id=...)` decides).  ``?center=code`` picks the center (default:
the admin's own, else this node's), ``?year=1404`` the Jalali year (default: this year).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from persiantools.digits import fa_to_en

from samad_ivr.domain.spoken import format_jalali_date
from samad_ivr.domain.visits import REQUIRED_VISITS, OfficialVisits, jalali_year_of, visit_report
from samad_ivr.notices.text import fa_digits
from samad_ivr.storage.visits import CenterRef, VisitRepository
from samad_ivr.web.app import DEPS, Feature
from samad_ivr.web.security import Role, User, current_user, http_error, require_user

__all__ = ["reports_feature", "setup_reports"]

ROLES = (Role.SUPERUSER, Role.PROVINCE_ADMIN, Role.NATIONAL_LISTENER)
CSV_HEADER = (
    "نام", "سمت", "دستگاه", "سال", "جلسات برنامه‌ریزی‌شده", "حضور مؤثر", "باقی‌مانده",
    "جلسات پیش رو", "در خطر", "تاریخ‌های حضور", "جلسهٔ بعدی",
)  # fmt: skip
# Cells starting with these are formulas to Excel (CSV injection); they get a quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

REPO = web.AppKey("visits_repo", VisitRepository)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("visits_clock")


@dataclass(frozen=True, slots=True)
class _Report:
    center: CenterRef
    centers: list[CenterRef]
    year: int
    rows: list[OfficialVisits]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _default_center(request: web.Request, user: User | None, centers: list[CenterRef]) -> str:
    code = request.query.get("center", "").strip()
    if code:
        return code
    own = next((c.code for c in centers if user is not None and c.id == user.center_id), None)
    return own or request.app[DEPS].settings.center_code


async def _report(request: web.Request) -> _Report:
    repo = request.app[REPO]
    centers = await repo.centers()
    code = _default_center(request, current_user(request), centers)
    center = next((c for c in centers if c.code == code), None)
    if center is None:
        require_user(request, *ROLES)  # anonymous visitors learn nothing about centers
        raise http_error(request, 404, "unknown_center", "مرکز پیدا نشد.")
    user = require_user(request, *ROLES, center_id=center.id)
    now = request.app[CLOCK]()
    year_text = request.query.get("year", "").strip()
    if year_text and not (year_text.isascii() and year_text.isdigit()):
        raise http_error(request, 400, "bad_year", "سال نامعتبر است.")
    year = int(year_text) if year_text else jalali_year_of(now.astimezone(center.tz).date())
    if not 1380 <= year <= 1500:
        raise http_error(request, 400, "bad_year", "سال نامعتبر است.")
    inputs = await repo.load(center, year)
    rows = visit_report(
        inputs.officials,
        inputs.sessions,
        inputs.calls,
        year=year,
        now=now,
        calendar=inputs.calendar,
    )
    visible = [c for c in centers if user.sees_center(c.id)]
    return _Report(center=center, centers=visible, year=year, rows=rows)


def _local_date(center: CenterRef, instant: datetime) -> str:
    return format_jalali_date(instant.astimezone(center.tz).date())


def _row_view(center: CenterRef, row: OfficialVisits) -> dict[str, Any]:
    nxt = row.next_session
    return {
        "name": row.official.name,
        "title": row.official.title,
        "agency": row.official.agency,
        "scheduled": fa_digits(row.scheduled),
        "attended": fa_digits(row.attended),
        "remaining": fa_digits(row.remaining),
        "upcoming": fa_digits(row.upcoming),
        "at_risk": row.at_risk,
        "attended_dates": [_local_date(center, s.starts_at) for s in row.attended_sessions],
        "next_session": _local_date(center, nxt.starts_at) if nxt is not None else "",
    }


async def visits_page(request: web.Request) -> web.Response:
    report = await _report(request)
    context = {
        "center": report.center,
        "centers": report.centers,
        "year": report.year,
        "year_fa": fa_digits(report.year),
        "required_fa": fa_digits(REQUIRED_VISITS),
        "rows": [_row_view(report.center, row) for row in report.rows],
        "at_risk_count": fa_digits(sum(row.at_risk for row in report.rows)),
    }
    return aiohttp_jinja2.render_template("reports/visits.html", request, context)


def _cell(value: object) -> str:
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_dates(center: CenterRef, row: OfficialVisits) -> str:
    # ASCII digits in the CSV so Excel can sort and compute; the dates are still Jalali.
    return " ".join(_ascii_jalali(center, s.starts_at) for s in row.attended_sessions)


def _ascii_jalali(center: CenterRef, instant: datetime) -> str:
    return str(fa_to_en(_local_date(center, instant)))


async def visits_csv(request: web.Request) -> web.Response:
    report = await _report(request)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in report.rows:
        nxt = row.next_session
        writer.writerow(
            [
                _cell(row.official.name),
                _cell(row.official.title),
                _cell(row.official.agency),
                report.year,
                row.scheduled,
                row.attended,
                row.remaining,
                row.upcoming,
                "بله" if row.at_risk else "خیر",
                _csv_dates(report.center, row),
                _ascii_jalali(report.center, nxt.starts_at) if nxt is not None else "",
            ]
        )
    # The BOM makes Excel read the file as UTF-8 instead of the Windows code page.
    body = "\ufeff" + out.getvalue()
    code = "".join(ch for ch in report.center.code if ch.isascii() and (ch.isalnum() or ch in "-_"))
    filename = f"visits-{code or 'center'}-{report.year}.csv"
    return web.Response(
        body=body.encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def reports_feature(clock: Callable[[], datetime] = _utcnow) -> Feature:
    """The four-visits report as a web feature (needs `setup_security` installed first)."""

    def setup(app: web.Application) -> None:
        app[REPO] = VisitRepository(app[DEPS].pool)
        app[CLOCK] = clock
        app.router.add_get("/admin/visits", visits_page, name="admin_visits")
        app.router.add_get("/admin/visits.csv", visits_csv, name="admin_visits_csv")

    return setup


setup_reports: Feature = reports_feature()
