"""The four-visits-a-year rule: every official attends the center four times a Jalali year.

A duty session counts as attended only if the official actually took a call in it: an
answered call of that official whose answer time falls inside the session.  Being on
the roster is not attending.  Time is an argument (``now``) so the report for any day
of the year is reproducible.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from persiantools.jdatetime import JalaliDate

from samad_ivr.domain.errors import NaiveInstant
from samad_ivr.domain.roster import CenterCalendar

__all__ = [
    "REQUIRED_VISITS",
    "AnsweredCall",
    "OfficialRef",
    "OfficialVisits",
    "Session",
    "jalali_year_bounds",
    "jalali_year_of",
    "persian_week_start",
    "visit_report",
]

REQUIRED_VISITS = 4
_SATURDAY = 5  # date.weekday(): the Persian week starts on Saturday


@dataclass(frozen=True, slots=True)
class OfficialRef:
    """Who the report is about (every official of the center, even with no sessions)."""

    id: int
    name: str
    title: str
    agency: str


@dataclass(frozen=True, slots=True)
class Session:
    """A duty session ``[starts_at, ends_at)`` of one official (a duty slot)."""

    slot_id: int
    official_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class AnsweredCall:
    """A call with disposition 'answered' taken by ``official_id`` at ``answered_at``."""

    official_id: int
    answered_at: datetime


@dataclass(frozen=True, slots=True)
class OfficialVisits:
    """One official's standing in one Jalali year.

    ``upcoming`` counts the sessions that can still become visits: not attended yet,
    not over at ``now``, inside the year and not on a closed day.  ``at_risk`` means
    that even if every one of them is attended the official stays below the target.
    """

    official: OfficialRef
    scheduled: int
    attended: int
    remaining: int
    upcoming: int
    at_risk: bool
    attended_sessions: tuple[Session, ...]
    next_session: Session | None


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveInstant(f"{name} must be timezone-aware")
    return value


def _jalali(day: date) -> JalaliDate:
    # persiantools' constructor is unannotated.
    return JalaliDate(day)  # type: ignore[no-untyped-call]


def jalali_year_of(day: date) -> int:
    """The Jalali year of a local date: 2025-03-20 is 1403 (its leap day 12/30), the 21st 1404."""
    return int(_jalali(day).year)


def _first_day(year: int) -> date:
    first = JalaliDate(year, 1, 1)  # type: ignore[no-untyped-call]
    return first.to_gregorian()


def jalali_year_bounds(year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The Jalali ``year`` as the half-open interval of instants [1 Farvardin, next 1 Farvardin)
    at local midnight in ``tz``."""
    start = datetime.combine(_first_day(year), time(0), tzinfo=tz)
    end = datetime.combine(_first_day(year + 1), time(0), tzinfo=tz)
    return start, end


def persian_week_start(day: date) -> date:
    """The Saturday that starts the Persian week containing ``day``."""
    return day - timedelta(days=(day.weekday() - _SATURDAY) % 7)


def _is_attended(session: Session, answered: Sequence[datetime]) -> bool:
    return any(session.starts_at <= at < session.ends_at for at in answered)


def visit_report(
    officials: Iterable[OfficialRef],
    sessions: Iterable[Session],
    calls: Iterable[AnsweredCall],
    *,
    year: int,
    now: datetime,
    calendar: CenterCalendar,
    required: int = REQUIRED_VISITS,
) -> list[OfficialVisits]:
    """Per official: sessions scheduled in Jalali ``year``, attended, still needed, at risk.

    A session belongs to the year of its local start date (in ``calendar.tz``), so a
    session on 1403-12-30 counts for 1403 and one on 1404-01-01 for 1404.  Sessions of
    officials not in ``officials`` are ignored.  A future session on a closed day (a
    holiday added after the roster was made) is not counted as a chance to attend: no
    call is routed to it.  Results keep the order of ``officials``.  Raises
    :class:`NaiveInstant` for a naive ``now`` or a naive call time.
    """
    _aware(now, "now")
    refs = list(officials)
    known = {ref.id for ref in refs}
    answered: dict[int, list[datetime]] = defaultdict(list)
    for call in calls:
        answered[call.official_id].append(_aware(call.answered_at, "answered_at"))
    by_official: dict[int, list[Session]] = defaultdict(list)
    for session in sessions:
        local_day = calendar.local_date(session.starts_at)
        if session.official_id in known and jalali_year_of(local_day) == year:
            by_official[session.official_id].append(session)
    return [
        _standing(ref, by_official[ref.id], answered[ref.id], now, calendar, required)
        for ref in refs
    ]


def _standing(
    ref: OfficialRef,
    sessions: list[Session],
    answered: Sequence[datetime],
    now: datetime,
    calendar: CenterCalendar,
    required: int,
) -> OfficialVisits:
    sessions.sort(key=lambda s: (s.starts_at, s.slot_id))
    attended = tuple(s for s in sessions if _is_attended(s, answered))
    chances = [
        s
        for s in sessions
        if s.ends_at > now
        and s not in attended
        and not calendar.is_closed(calendar.local_date(s.starts_at))
    ]
    remaining = max(0, required - len(attended))
    return OfficialVisits(
        official=ref,
        scheduled=len(sessions),
        attended=len(attended),
        remaining=remaining,
        upcoming=len(chances),
        at_risk=len(chances) < remaining,
        attended_sessions=attended,
        next_session=chances[0] if chances else None,
    )
