"""Slot plans before they reach the database: single slots, repeats, clash reports.

A plan is a list of :class:`PlannedSlot` in local wall time; the storage layer inserts
a whole plan in one transaction or nothing. Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from samad_ivr.admin.jalali import InputError, JalaliMonth, fa_digits, jalali_text, time_text

__all__ = [
    "MAX_REPEAT_WEEKS",
    "PlannedSlot",
    "internal_clashes",
    "plan_slot",
    "plan_weekly",
    "plan_working_days",
]

MAX_REPEAT_WEEKS = 52


@dataclass(frozen=True, slots=True)
class PlannedSlot:
    """A slot to create: ``label`` says where it came from (a date, or a CSV row)."""

    official_id: int
    starts_at: datetime
    ends_at: datetime
    label: str
    row: int = 0  # CSV row number, 0 when the slot did not come from a file

    @property
    def when(self) -> str:
        return f"{jalali_text(self.starts_at.date())} {time_text(self.starts_at.time())}"


def _interval(day: date, start: time, end: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    if end <= start:
        raise InputError(
            f"ساعت پایان ({time_text(end)}) باید بعد از ساعت شروع ({time_text(start)}) باشد."
        )
    return datetime.combine(day, start, tzinfo=tz), datetime.combine(day, end, tzinfo=tz)


def plan_slot(
    official_id: int,
    day: date,
    start: time,
    end: time,
    tz: ZoneInfo,
    label: str = "",
    row: int = 0,
) -> PlannedSlot:
    """One slot on local ``day``; :class:`InputError` if it does not end after it starts."""
    starts_at, ends_at = _interval(day, start, end, tz)
    return PlannedSlot(official_id, starts_at, ends_at, label or jalali_text(day), row)


def plan_weekly(
    official_id: int, first_day: date, weeks: int, start: time, end: time, tz: ZoneInfo
) -> list[PlannedSlot]:
    """The same weekday and hours for ``weeks`` consecutive weeks from ``first_day``."""
    if not 1 <= weeks <= MAX_REPEAT_WEEKS:
        raise InputError(f"تعداد هفته‌ها باید بین ۱ و {fa_digits(MAX_REPEAT_WEEKS)} باشد.")
    return [
        plan_slot(official_id, first_day + timedelta(weeks=k), start, end, tz) for k in range(weeks)
    ]


def plan_working_days(
    official_id: int,
    month: JalaliMonth,
    start: time,
    end: time,
    tz: ZoneInfo,
    is_closed: Callable[[date], bool],
) -> list[PlannedSlot]:
    """Every day of the Jalali ``month`` that is not closed (weekend or holiday)."""
    days = [month.first + timedelta(days=k) for k in range(month.days)]
    plan = [plan_slot(official_id, d, start, end, tz) for d in days if not is_closed(d)]
    if not plan:
        raise InputError(f"در {month.name} هیچ روز کاری‌ای نیست.")
    return plan


def internal_clashes(plan: Sequence[PlannedSlot]) -> list[tuple[PlannedSlot, PlannedSlot]]:
    """Pairs of planned slots of the same official that overlap (half-open intervals).

    Slots of different officials may overlap: several desks answer at once."""
    ordered = sorted(plan, key=lambda p: (p.starts_at, p.ends_at))
    clashes = []
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if second.starts_at >= first.ends_at:
                break
            if second.official_id == first.official_id:
                clashes.append((first, second))
    return clashes
