"""The agency's deadline: N days from assignment, in the center's own calendar.

Two ways to count, chosen per installation:

- `calendar`: N calendar days after the day of assignment; a deadline that lands on a
  closed day (weekend or holiday) moves to the next working day.
- `working`: the N-th working day after the day of assignment, skipping weekends and
  closed days.

The agency may answer until the end of `due_on` in the center's time zone.  Everything
here is pure: the calendar and "today" are arguments.  The set-based SQL that recomputes
deadlines after a holiday change (samad_ivr.storage.deadlines) must agree with
`compute_deadline`; a storage test checks that it does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from samad_ivr.domain.errors import InvalidCalendar, NaiveInstant

__all__ = [
    "Deadline",
    "DeadlineMode",
    "DeadlinePolicy",
    "SkippedDay",
    "WorkCalendar",
    "compute_deadline",
    "days_left",
    "deadline_instant",
    "is_overdue",
]

# No real calendar closes a year at a stretch; more means the data is wrong.
MAX_SCAN_DAYS = 366 * 3
WEEKEND_REASON = "weekend"


class DeadlineMode(StrEnum):
    CALENDAR = "calendar"
    WORKING = "working"


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    """An installation's rules: N days, how they count, when to remind, the long stop."""

    days: int = 10
    mode: DeadlineMode = DeadlineMode.CALENDAR
    reminder_day: int = 7  # the agency is reminded on this day of its N
    long_stop_days: int = 20  # calendar days after assignment: second escalation

    def __post_init__(self) -> None:
        if not 1 <= self.days <= 365:
            raise ValueError(f"deadline days must be 1..365, got {self.days}")
        if not 1 <= self.reminder_day < self.days:
            raise ValueError(f"reminder day must be 1..{self.days - 1}, got {self.reminder_day}")
        if self.long_stop_days <= self.days:
            raise ValueError("the long stop must come after the deadline")


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """A center's working days: weekdays off (Monday=0) and dated closures with names."""

    weekend: frozenset[int]
    closed_days: Mapping[date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.weekend <= frozenset(range(7)):
            raise InvalidCalendar(f"weekend days must be 0..6, got {sorted(self.weekend)}")
        if len(self.weekend) == 7:
            raise InvalidCalendar("a week with no working day has no deadlines")

    def closed_reason(self, day: date) -> str | None:
        """Why `day` is not a working day (a holiday's name, or 'weekend'); None if it is."""
        name = self.closed_days.get(day)
        if name is not None:
            return name
        return WEEKEND_REASON if day.weekday() in self.weekend else None

    def is_working(self, day: date) -> bool:
        return self.closed_reason(day) is None


@dataclass(frozen=True, slots=True)
class SkippedDay:
    day: date
    reason: str  # a holiday's name, or "weekend"


@dataclass(frozen=True, slots=True)
class Deadline:
    """A deadline and how it was reached (shown to agencies and inspectors)."""

    start: date  # the local day of assignment; counting starts the day after
    days: int
    mode: DeadlineMode
    due_on: date
    # calendar mode: the closed days the deadline was moved over; working mode: every
    # closed day that was not counted.
    skipped: tuple[SkippedDay, ...]


def _next_working(day: date, calendar: WorkCalendar, skipped: list[SkippedDay]) -> date:
    for _ in range(MAX_SCAN_DAYS):
        reason = calendar.closed_reason(day)
        if reason is None:
            return day
        skipped.append(SkippedDay(day, reason))
        day += timedelta(days=1)
    raise InvalidCalendar(f"no working day within {MAX_SCAN_DAYS} days of {day}")


def compute_deadline(
    start: date, days: int, mode: DeadlineMode, calendar: WorkCalendar
) -> Deadline:
    """The deadline of a request assigned on local day `start`."""
    if days < 1:
        raise ValueError(f"a deadline needs at least one day, got {days}")
    skipped: list[SkippedDay] = []
    if mode is DeadlineMode.CALENDAR:
        due = _next_working(start + timedelta(days=days), calendar, skipped)
    else:
        due = start
        for _ in range(days):
            due = _next_working(due + timedelta(days=1), calendar, skipped)
    return Deadline(start, days, mode, due, tuple(skipped))


def deadline_instant(due_on: date, tz: ZoneInfo) -> datetime:
    """The first instant after the deadline: midnight that ends `due_on`, center time."""
    return datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=tz)


def is_overdue(due_on: date, now: datetime, tz: ZoneInfo) -> bool:
    """True once the whole of `due_on` (center time) has passed."""
    if now.tzinfo is None:
        raise NaiveInstant("is_overdue needs an aware instant")
    return now >= deadline_instant(due_on, tz)


def days_left(due_on: date, today: date) -> int:
    """Calendar days from `today` to the deadline day: 0 on the day, negative when late."""
    return (due_on - today).days
