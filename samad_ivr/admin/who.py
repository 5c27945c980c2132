"""Who answers a call at any instant: the routing decision the AGI `inbound` route makes.

It runs the same `RoutingService` (and so `samad_ivr.domain.roster.decide`) over the
roster in the database, with no cached copy: an admin asking about the roster must see
the roster, and a roster that cannot be evaluated is reported as such, never as closed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg

from samad_ivr.admin.jalali import fa_digits, jalali_text, time_text
from samad_ivr.calls.routing import RosterUnavailable, RoutingService
from samad_ivr.domain.errors import DomainError
from samad_ivr.domain.roster import CenterCalendar, DutySlot, OnDuty
from samad_ivr.storage.db import StorageError
from samad_ivr.storage.roster import RosterRepository

__all__ = ["WhoAnswer", "WhoError", "who_answers"]

log = logging.getLogger(__name__)


class WhoError(Exception):
    """The roster could not be evaluated; ``str()`` is a Persian message."""


@dataclass(frozen=True, slots=True)
class SlotText:
    official: str
    title: str
    agency: str
    desk: str
    deputy: str | None
    when: str


@dataclass(frozen=True, slots=True)
class WhoAnswer:
    instant_text: str
    on_duty: SlotText | None
    closed_reason: str | None
    next_session: SlotText | None
    # Several desks: everyone on duty at the instant, ``on_duty`` (started first) first.
    desks: tuple[SlotText, ...] = ()

    @property
    def desk_count(self) -> str:
        """How many desks are on duty, in Persian digits."""
        return fa_digits(len(self.desks))


def _text(slot: DutySlot, tz: ZoneInfo) -> SlotText:
    start, end = slot.starts_at.astimezone(tz), slot.ends_at.astimezone(tz)
    deputy = slot.official.deputy
    return SlotText(
        official=slot.official.name,
        title=slot.official.title,
        agency=slot.official.agency,
        desk=slot.official.desk_endpoint,
        deputy=None if deputy is None else f"{deputy.name} ({deputy.desk_endpoint})",
        when=f"{jalali_text(start.date())} ساعت {time_text(start.time())} تا "
        f"{time_text(end.time())}",
    )


def _closed_reason(calendar: CenterCalendar, instant: datetime) -> str:
    day = calendar.local_date(instant)
    if day in calendar.closed_days:
        return "این روز تعطیل رسمی یا تعطیلی اعلام‌شده است."
    if day.weekday() in calendar.weekend:
        return "این روز آخر هفتهٔ مرکز است."
    return "در این ساعت هیچ مسئولی کشیک ندارد."


async def who_answers(roster: RosterRepository, center_code: str, instant: datetime) -> WhoAnswer:
    """Evaluate the roster at ``instant`` (aware); :class:`WhoError` if it cannot be."""
    service = RoutingService(roster, center_code, fresh_for=timedelta(0))
    try:
        decision, snapshot = await service.decide(instant)
    except RosterUnavailable as exc:
        log.warning("who-answers: roster unavailable: %s", exc)
        raise WhoError("برنامهٔ کشیک از پایگاه داده خوانده نشد؛ تصمیم مسیریابی معلوم نیست.") from exc
    except (StorageError, asyncpg.PostgresError, OSError) as exc:
        log.warning("who-answers: database error: %s", exc)
        raise WhoError("خطای پایگاه داده؛ تصمیم مسیریابی معلوم نیست.") from exc
    except (DomainError, ZoneInfoNotFoundError, ValueError) as exc:
        log.warning("who-answers: invalid roster data: %s", exc)
        raise WhoError(f"دادهٔ برنامهٔ کشیک نامعتبر است؛ تصمیم مسیریابی معلوم نیست ({exc}).") from exc
    tz = snapshot.calendar.tz
    local = instant.astimezone(tz)
    instant_text = f"{jalali_text(local.date())} ساعت {time_text(local.time())}"
    if isinstance(decision, OnDuty):
        desks = tuple(_text(slot, tz) for slot in decision.slots)
        return WhoAnswer(instant_text, desks[0], None, None, desks)
    upcoming = decision.next_session
    return WhoAnswer(
        instant_text,
        None,
        _closed_reason(snapshot.calendar, instant),
        None if upcoming is None else _text(upcoming, tz),
    )


def horizon_days() -> str:
    """How far ahead the next session is searched, for the page's footnote."""
    return fa_digits(62)
