"""«Was the answer convincing?» — the rules, with time passed in.

A while after the agency answers (`ask_after`, one day by default) the citizen is asked,
by SMS ("reply 1 or 2") and/or by a callback ("press 1 or 2").  Each way of asking is one
*question*; the first reply settles the request: 1 (convinced) closes it, 2 (not
convinced) reopens it for the inspectors.  No reply by `expires_at` closes it as
answered-without-reply.

Callbacks ring only inside the center's calling window (10:00–18:00 local by default)
on its working days; a busy or unanswered call is tried again `retry_gap` later (moved
into the window), at most `call_retries` times and never later than `retry_span` after
the first ring.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from samad_ivr.domain.deadlines import WorkCalendar

__all__ = [
    "CallPolicy",
    "Channel",
    "Outcome",
    "SatisfactionPolicy",
    "next_call_slot",
    "next_retry_at",
    "outcome_of_digit",
    "question_expires_at",
]

# How far ahead a calling slot is looked for: past it the question expires anyway.
MAX_SLOT_SCAN_DAYS = 60


class Channel(StrEnum):
    SMS = "sms"
    CALL = "call"


class Outcome(StrEnum):
    """What became of a question (`open` until something happens)."""

    OPEN = "open"
    CONVINCED = "convinced"
    NOT_CONVINCED = "not_convinced"
    NO_REPLY = "no_reply"  # expired unanswered (or the callbacks ran out and it expired)
    SUPERSEDED = "superseded"  # another channel's reply, or someone moved the request


@dataclass(frozen=True, slots=True)
class CallPolicy:
    window_start: time  # local time at the center, inclusive
    window_end: time  # exclusive
    retries: int  # busy / no answer: tried again at most this many times
    retry_gap: timedelta  # after a failed attempt
    retry_span: timedelta  # no retry later than this after the first attempt
    ring_seconds: int

    def __post_init__(self) -> None:
        if not self.window_start < self.window_end:
            raise ValueError("the calling window must start before it ends")
        if self.retries < 0 or self.retry_gap <= timedelta(0) or self.ring_seconds < 1:
            raise ValueError("retries >= 0, a positive retry gap and ring time")


@dataclass(frozen=True, slots=True)
class SatisfactionPolicy:
    channels: frozenset[Channel]  # empty: nobody is asked
    ask_after: timedelta  # after the answer
    reply_within: timedelta  # after asking; then closed as answered-without-reply
    call: CallPolicy

    def __post_init__(self) -> None:
        if self.ask_after < timedelta(0) or self.reply_within <= timedelta(0):
            raise ValueError("ask_after >= 0 and a positive reply time")


def question_expires_at(asked_at: datetime, policy: SatisfactionPolicy) -> datetime:
    """When an unanswered question closes its request as answered-without-reply."""
    return asked_at + policy.reply_within


def outcome_of_digit(reply: str) -> Outcome | None:
    """A normalised reply (ASCII digits, see sms.text.normalise_reply) or a DTMF key:
    1 convinced, 2 not convinced, anything else None."""
    return {"1": Outcome.CONVINCED, "2": Outcome.NOT_CONVINCED}.get(reply.strip())


def _in_window(local: datetime, policy: CallPolicy) -> bool:
    return policy.window_start <= local.time() < policy.window_end


def next_call_slot(
    earliest: datetime, tz: ZoneInfo, calendar: WorkCalendar, policy: CallPolicy
) -> datetime | None:
    """The first instant at or after `earliest` inside the calling window of a working
    day at the center; None if there is none within MAX_SLOT_SCAN_DAYS."""
    local = earliest.astimezone(tz)
    day: date = local.date()
    for _ in range(MAX_SLOT_SCAN_DAYS):
        if calendar.is_working(day):
            opens = datetime.combine(day, policy.window_start, tz)
            if local <= opens:
                return opens
            if _in_window(local, policy):
                return local
        day += timedelta(days=1)
        local = datetime.combine(day, time(0), tz)
    return None


def next_retry_at(
    *,
    attempts: int,
    first_attempt_at: datetime,
    last_attempt_at: datetime,
    tz: ZoneInfo,
    calendar: WorkCalendar,
    policy: CallPolicy,
) -> datetime | None:
    """When to ring again after `attempts` calls that reached nobody; None: give up."""
    if attempts < 1:
        raise ValueError("a retry follows at least one attempt")
    if attempts > policy.retries:
        return None
    slot = next_call_slot(last_attempt_at + policy.retry_gap, tz, calendar, policy)
    if slot is None or slot > first_attempt_at + policy.retry_span:
        return None
    return slot
