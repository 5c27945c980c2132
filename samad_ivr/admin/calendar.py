"""The roster calendar: a Jalali month (or week) as rows of Saturday..Friday cells.

Pure: the caller passes the slots and closed days it loaded, so tests can build the grid
for 1403-12 (a leap Esfand with 30 days) or the 1403 → 1404 new year without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from samad_ivr.admin.jalali import (
    WEEKDAY_NAMES,
    JalaliMonth,
    fa_digits,
    iso_jalali,
    jalali,
    jalali_text,
    time_text,
)

__all__ = ["CalendarSlot", "Cell", "MonthGrid", "build_month", "build_week", "week_start"]


@dataclass(frozen=True, slots=True)
class CalendarSlot:
    id: int
    official_id: int
    official_name: str
    starts_at: datetime
    ends_at: datetime
    tz: ZoneInfo

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.tz)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(self.tz)

    @property
    def label(self) -> str:
        """``۰۹:۰۰–۱۱:۰۰``; an end on a later day shows that day's date too."""
        end = self.local_end
        end_text = time_text(end.time())
        if end.date() != self.local_start.date():
            end_text = f"{jalali_text(end.date())} {end_text}"
        return f"{time_text(self.local_start.time())}–{end_text}"

    @property
    def date_value(self) -> str:
        return iso_jalali(self.local_start.date())

    @property
    def start_value(self) -> str:
        return self.local_start.strftime("%H:%M")

    @property
    def end_value(self) -> str:
        return self.local_end.strftime("%H:%M")


@dataclass(frozen=True, slots=True)
class Cell:
    day: date
    in_month: bool
    weekend: bool
    holiday: str | None
    is_today: bool
    slots: tuple[CalendarSlot, ...] = field(default=())

    @property
    def closed(self) -> bool:
        return self.weekend or self.holiday is not None

    @property
    def day_number(self) -> str:
        return fa_digits(jalali(self.day).day)

    @property
    def value(self) -> str:
        """Jalali ``YYYY-MM-DD`` in ASCII digits (form values and element ids)."""
        return iso_jalali(self.day)

    @property
    def title(self) -> str:
        return jalali_text(self.day)


@dataclass(frozen=True, slots=True)
class MonthGrid:
    title: str
    weekday_names: tuple[str, ...]
    weeks: tuple[tuple[Cell, ...], ...]
    first: date
    last: date


def week_start(day: date) -> date:
    """The Saturday on or before ``day`` (the Persian week starts on Saturday)."""
    return day - timedelta(days=(day.weekday() + 2) % 7)


def _cells(
    first: date,
    last: date,
    in_month: tuple[date, date],
    slots: Iterable[CalendarSlot],
    closed_days: Mapping[date, str],
    weekend: frozenset[int],
    today: date,
) -> tuple[tuple[Cell, ...], ...]:
    by_day: dict[date, list[CalendarSlot]] = {}
    for slot in sorted(slots, key=lambda s: (s.starts_at, s.id)):
        by_day.setdefault(slot.local_start.date(), []).append(slot)
    weeks: list[tuple[Cell, ...]] = []
    start = week_start(first)
    while start <= last:
        row = []
        for offset in range(7):
            day = start + timedelta(days=offset)
            row.append(
                Cell(
                    day=day,
                    in_month=in_month[0] <= day <= in_month[1],
                    weekend=day.weekday() in weekend,
                    holiday=closed_days.get(day),
                    is_today=day == today,
                    slots=tuple(by_day.get(day, ())),
                )
            )
        weeks.append(tuple(row))
        start += timedelta(days=7)
    return tuple(weeks)


def build_month(
    month: JalaliMonth,
    slots: Iterable[CalendarSlot],
    closed_days: Mapping[date, str],
    weekend: frozenset[int],
    today: date,
) -> MonthGrid:
    """Whole Saturday..Friday weeks covering ``month``; days outside it are flagged."""
    first, last = month.first, month.last
    weeks = _cells(first, last, (first, last), slots, closed_days, weekend, today)
    return MonthGrid(month.name, WEEKDAY_NAMES, weeks, weeks[0][0].day, weeks[-1][-1].day)


def build_week(
    day: date,
    slots: Iterable[CalendarSlot],
    closed_days: Mapping[date, str],
    weekend: frozenset[int],
    today: date,
) -> MonthGrid:
    """The Saturday..Friday week containing ``day``."""
    first = week_start(day)
    last = first + timedelta(days=6)
    weeks = _cells(first, last, (first, last), slots, closed_days, weekend, today)
    title = f"هفتهٔ {jalali_text(first)} تا {jalali_text(last)}"
    return MonthGrid(title, WEEKDAY_NAMES, weeks, first, last)
