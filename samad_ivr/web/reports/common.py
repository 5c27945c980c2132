"""What the report views share: who may see them, their filters, and the report itself.

Rights (issue 11): national roles (superuser, national_listener) see every province and
may pick one; province roles (province_admin, inspector) see only their own province, and
asking for another is a 403.  Everyone else gets 403 before anything is read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from samad_ivr.admin.jalali import InputError, iso_jalali, local_range
from samad_ivr.national.filters import DayRange, int_field, parse_day_range
from samad_ivr.storage.agency_reports import AgencyReport, AgencyReportRepository, ReportTooSlow
from samad_ivr.storage.roster import CenterRow
from samad_ivr.storage.roster_edit import RosterEditor
from samad_ivr.web.app import DEPS
from samad_ivr.web.security import Role, User, http_error, require_user

__all__ = [
    "CLOCK", "REPORTS", "REPORT_FIELDS", "REPORT_ROLES", "TOO_SLOW", "ReportScope",
    "center_choices", "load_report", "parse_scope", "report_user",
]  # fmt: skip

log = logging.getLogger(__name__)

REPORT_ROLES = (Role.SUPERUSER, Role.NATIONAL_LISTENER, Role.PROVINCE_ADMIN, Role.INSPECTOR)
REPORT_FIELDS = ("from", "to", "center_id")
TOO_SLOW = "محاسبهٔ این گزارش بیش از اندازه طول کشید؛ بازهٔ کوتاه‌تری یا یک استان را انتخاب کنید."
WRONG_CENTER = "شما به اطلاعات این استان دسترسی ندارید."
_MAX_TEXT = 100

REPORTS = web.AppKey("agency_reports", AgencyReportRepository)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("agency_reports_clock")


@dataclass(frozen=True, slots=True)
class ReportScope:
    """A validated report request: its days, its provinces and the form's values."""

    days: DayRange
    center_id: int | None  # the province picked (or a province role's own); None: all
    centers: frozenset[int] | None  # what is counted; None: every province
    values: dict[str, str]  # the form as it should be shown (range filled in)


def report_user(request: web.Request) -> User:
    return require_user(request, *REPORT_ROLES)


def parse_scope(
    request: web.Request, values: Mapping[str, str], user: User, today: datetime
) -> ReportScope:
    """`values` (text as submitted) for `user`; InputError for bad input, 403 for a
    province the user may not see."""
    given = {k: v for k, v in values.items() if k in REPORT_FIELDS}
    if any(len(v) > _MAX_TEXT for v in given.values()):
        raise InputError("یکی از مقادیر گزارش بیش از حد طولانی است.")
    days = parse_day_range(given, today=today.date())
    picked = int_field(given, "center_id", "استان")
    if user.is_national:
        centers = None if picked is None else frozenset({picked})
    else:
        if picked is not None and picked != user.center_id:
            raise http_error(request, 403, "forbidden_center", WRONG_CENTER)
        picked = user.center_id
        centers = frozenset() if picked is None else frozenset({picked})
    filled = {"from": iso_jalali(days.first), "to": iso_jalali(days.last)}
    if picked is not None:
        filled["center_id"] = str(picked)
    return ReportScope(days, picked, centers, filled)


def timezone(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.config_dict[DEPS].settings.timezone)


def now_in(request: web.Request) -> datetime:
    """This instant in the hotline's time zone (the report's clock; tests fix it)."""
    return request.config_dict[CLOCK]().astimezone(timezone(request))


async def load_report(request: web.Request, scope: ReportScope) -> AgencyReport:
    """The report of `scope`; `ReportTooSlow` propagates (the views answer 503)."""
    tz = timezone(request)
    start, end = local_range(scope.days.first, scope.days.last, tz)
    try:
        return await request.config_dict[REPORTS].report(
            registered_from=start, registered_before=end, centers=scope.centers,
            now=now_in(request), default_tz=tz.key,
        )  # fmt: skip
    except ReportTooSlow:
        log.warning("agency report %s..%s took too long", scope.days.first, scope.days.last)
        raise


async def center_choices(request: web.Request, user: User) -> list[CenterRow]:
    """The provinces the form offers `user`: all for national roles, else their own."""
    centers = await RosterEditor(request.config_dict[DEPS].pool).centers()
    return [c for c in centers if user.is_national or c.id == user.center_id]
