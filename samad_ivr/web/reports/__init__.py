"""Reports on how requests are answered (issue 11): /reports/agencies, its CSV and
GET /api/v1/reports/agencies.  `agency_reports_feature()` is the web feature for
`create_app` (after `setup_security` and `setup_openapi`).

The four-visits report of officials stays at samad_ivr.web.admin.visits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import web

from samad_ivr.storage.agency_reports import AgencyReportRepository
from samad_ivr.web.app import DEPS, Feature
from samad_ivr.web.reports.agencies import agencies_csv, agencies_page
from samad_ivr.web.reports.api import setup_reports_api
from samad_ivr.web.reports.common import CLOCK, REPORTS

__all__ = ["agency_reports_feature"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def agency_reports_feature(clock: Callable[[], datetime] = _utcnow) -> Feature:
    def setup(app: web.Application) -> None:
        app[REPORTS] = AgencyReportRepository(app[DEPS].pool)
        app[CLOCK] = clock
        app.router.add_get("/reports/agencies", agencies_page, name="reports_agencies")
        app.router.add_get("/reports/agencies.csv", agencies_csv, name="reports_agencies_csv")
        setup_reports_api(app)

    return setup
