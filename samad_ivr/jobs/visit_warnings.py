"""Job: warn province admins about officials who can no longer make four visits this year."""

from __future__ import annotations

import logging
from datetime import datetime

from samad_ivr.domain.visits import (
    REQUIRED_VISITS,
    OfficialVisits,
    jalali_year_of,
    persian_week_start,
    visit_report,
)
from samad_ivr.notices.text import fa_digits
from samad_ivr.storage.db import Pool
from samad_ivr.storage.notices import AtRiskWarning, NoticeRepository
from samad_ivr.storage.visits import VisitRepository

log = logging.getLogger(__name__)

__all__ = ["warn_officials_at_risk", "warning_message"]


def warning_message(row: OfficialVisits, year: int) -> str:
    """Persian text for the admin: who, how many visits so far and sessions left."""
    o = row.official
    who = f"{o.name} ({o.title}{'، ' + o.agency if o.agency else ''})"
    return (
        f"{who} در سال {fa_digits(year)} تاکنون {fa_digits(row.attended)} بار از "
        f"{fa_digits(REQUIRED_VISITS)} حضور الزامی در مرکز سامد داشته و تنها "
        f"{fa_digits(row.upcoming)} نوبت دیگر در برنامه دارد؛ "
        f"برای رسیدن به حد نصاب دست‌کم {fa_digits(row.remaining - row.upcoming)} نوبت "
        "دیگر باید برنامه‌ریزی شود."
    )


async def warn_officials_at_risk(pool: Pool, now: datetime) -> int:
    """Record a warning for each at-risk official of every center, at most once per
    official and Persian week; returns how many warnings were recorded."""
    visits = VisitRepository(pool)
    notices = NoticeRepository(pool)
    recorded = 0
    for center in await visits.centers():
        today = now.astimezone(center.tz).date()
        year = jalali_year_of(today)
        inputs = await visits.load(center, year)
        report = visit_report(
            inputs.officials,
            inputs.sessions,
            inputs.calls,
            year=year,
            now=now,
            calendar=inputs.calendar,
        )
        for row in report:
            if not row.at_risk:
                continue
            warning = AtRiskWarning(
                center_code=center.code,
                official_id=row.official.id,
                jalali_year=year,
                week_start=persian_week_start(today),
                subject=f"{center.name}: خطر نرسیدن به چهار حضور سالانه — {row.official.name}",
                body=warning_message(row, year),
            )
            recorded += await notices.add_warning(warning, now)
    if recorded:
        log.info("recorded %d four-visits warnings", recorded)
    return recorded
