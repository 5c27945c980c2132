"""Duty roster and the routing decision for an incoming call.

Time is always an argument so the decision is a pure function that tests can pin to
the millisecond; the caller supplies ``now`` from its clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from samad_ivr.domain.errors import InvalidCalendar, InvalidSlot, NaiveInstant

__all__ = [
    "CenterCalendar",
    "Closed",
    "DutySlot",
    "InvalidCalendar",
    "InvalidSlot",
    "NaiveInstant",
    "Official",
    "OnDuty",
    "RoutingDecision",
    "decide",
    "default_window_slot",
    "overlaps_same_official",
]


def _is_aware(value: datetime) -> bool:
    # tzinfo alone is not enough: a tzinfo may return None from utcoffset().
    return value.tzinfo is not None and value.utcoffset() is not None


@dataclass(frozen=True, slots=True)
class Official:
    """A person who takes citizens' calls at a desk, optionally covered by a deputy."""

    id: int
    name: str
    title: str
    agency: str
    desk_endpoint: str
    deputy: Official | None = None


@dataclass(frozen=True, slots=True)
class DutySlot:
    """An official on duty over the half-open interval ``[starts_at, ends_at)``."""

    id: int
    official: Official
    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        if not (_is_aware(self.starts_at) and _is_aware(self.ends_at)):
            raise InvalidSlot(f"duty slot {self.id} has a naive start or end")
        if self.ends_at <= self.starts_at:
            raise InvalidSlot(f"duty slot {self.id} ends at or before it starts")

    def covers(self, instant: datetime) -> bool:
        """True if ``instant`` (aware) falls inside ``[starts_at, ends_at)``."""
        return self.starts_at <= instant < self.ends_at


@dataclass(frozen=True, slots=True)
class CenterCalendar:
    """When the center is closed, as data: dated closures plus weekend weekdays.

    ``closed_days`` are local dates in ``tz`` (holidays, ad-hoc closures); ``weekend``
    holds ``date.weekday()`` numbers (Monday=0). Both come from the database because
    the government week and provincial closures change by decree, not by release.
    """

    tz: ZoneInfo
    closed_days: frozenset[date]
    weekend: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if not self.weekend <= frozenset(range(7)):
            raise InvalidCalendar(f"weekend days must be 0..6, got {sorted(self.weekend)}")

    def is_closed(self, day: date) -> bool:
        """True if the center does not take calls on local date ``day``."""
        return day in self.closed_days or day.weekday() in self.weekend

    def local_date(self, instant: datetime) -> date:
        """The date of aware ``instant`` on the center's wall calendar."""
        return instant.astimezone(self.tz).date()


@dataclass(frozen=True, slots=True)
class OnDuty:
    """Officials are on duty: ``slot`` started first, ``also`` are the other desks on duty
    at the same instant (slots of different officials may overlap: several desks)."""

    slot: DutySlot
    also: tuple[DutySlot, ...] = ()

    @property
    def slots(self) -> tuple[DutySlot, ...]:
        """Every slot on duty, the first-started first; one per official."""
        return (self.slot, *self.also)

    @property
    def officials(self) -> tuple[Official, ...]:
        return tuple(s.official for s in self.slots)


@dataclass(frozen=True, slots=True)
class Closed:
    """Nobody is on duty; ``next_session`` is the next open slot to announce, if any."""

    next_session: DutySlot | None


RoutingDecision = OnDuty | Closed


def _slot_order(slot: DutySlot) -> tuple[datetime, datetime, int]:
    # Overlapping slots are bad data, but the same data must always route the same way.
    return (slot.starts_at, slot.ends_at, slot.id)


def decide(
    instant: datetime, slots: Sequence[DutySlot], calendar: CenterCalendar
) -> RoutingDecision:
    """Decide where a call arriving at ``instant`` goes.

    ``OnDuty`` if some slot covers ``instant`` (half-open) and that slot's local start
    date is not closed; when several do, all of them are on duty (the first-started
    first), one slot per official (the same official in two slots is bad data: the
    first one counts). Otherwise
    ``Closed`` with the earliest slot starting after ``instant`` on an open day, or
    ``Closed(None)`` when there is none. Raises :class:`NaiveInstant` for a naive
    ``instant``: guessing its zone would silently misroute calls by 3.5 hours.
    """
    if not _is_aware(instant):
        raise NaiveInstant("decide() needs a timezone-aware instant")
    open_slots = sorted(
        (s for s in slots if not calendar.is_closed(calendar.local_date(s.starts_at))),
        key=_slot_order,
    )
    covering: list[DutySlot] = []
    for slot in open_slots:
        if slot.covers(instant) and all(s.official.id != slot.official.id for s in covering):
            covering.append(slot)
    if covering:
        return OnDuty(covering[0], tuple(covering[1:]))
    upcoming = (s for s in open_slots if s.starts_at > instant)
    return Closed(next(upcoming, None))


def default_window_slot(
    day: date,
    official: Official,
    tz: ZoneInfo,
    start: time = time(9),
    end: time = time(11),
    slot_id: int = 0,
) -> DutySlot:
    """Build the usual 09:00-11:00 local-time slot for ``official`` on ``day``."""
    return DutySlot(
        id=slot_id,
        official=official,
        starts_at=datetime.combine(day, start, tzinfo=tz),
        ends_at=datetime.combine(day, end, tzinfo=tz),
    )


def overlaps_same_official(slots: Sequence[DutySlot]) -> list[tuple[DutySlot, DutySlot]]:
    """Pairs of slots that put the same official in two places at once (half-open, so
    back-to-back slots do not overlap).  Slots of different officials may overlap."""
    by_official: dict[int, list[DutySlot]] = {}
    for slot in slots:
        by_official.setdefault(slot.official.id, []).append(slot)
    clashes: list[tuple[DutySlot, DutySlot]] = []
    for own in by_official.values():
        own.sort(key=_slot_order)
        latest: DutySlot | None = None
        for slot in own:
            if latest is not None and slot.starts_at < latest.ends_at:
                clashes.append((latest, slot))
            if latest is None or slot.ends_at > latest.ends_at:
                latest = slot
    return clashes
