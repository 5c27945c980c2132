"""Callbacks instead of endless waiting: the rules, with time passed in.

A caller in a long queue may ask to be called back during this session.  The callback
keeps the caller's place: waiting callers and pending callbacks are one line, ordered by
when each first joined the queue, and a free desk takes whoever is first in it.  A
callback is tried up to `max_attempts` times; one that cannot be made before the
session ends becomes a request with a tracking code (and an SMS naming the next session),
so nothing is lost.

Pure: no I/O, no clock of its own; every instant is an aware datetime given by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from samad_ivr.domain.roster import CenterCalendar, DutySlot, OnDuty, RoutingDecision

__all__ = [
    "AfterAttempt",
    "AttemptResult",
    "CallbackPolicy",
    "InLine",
    "NextStep",
    "Offer",
    "OfferReason",
    "QueueFigures",
    "after_attempt",
    "expected_wait_seconds",
    "is_due",
    "must_convert",
    "next_in_line",
    "next_session_after",
    "next_session_start",
    "offer_callback",
    "session_ends_at",
]

# Used while the queue has no figures of its own yet (no conversation finished today).
DEFAULT_TALK_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class CallbackPolicy:
    max_queue_length: int = 5  # more callers ahead than this: offer the callback
    max_attempts: int = 3
    retry_seconds: int = 120  # between an unanswered attempt and the next
    ring_seconds: int = 30  # how long a callback rings the citizen
    # A callback needs this much of the session left to be worth placing (ring + a short
    # conversation); later ones become requests.
    min_seconds_left: int = 120

    def __post_init__(self) -> None:
        if self.max_queue_length < 0 or self.max_attempts < 1:
            raise ValueError("max_queue_length >= 0 and max_attempts >= 1")
        if self.retry_seconds < 0 or self.ring_seconds < 1 or self.min_seconds_left < 0:
            raise ValueError("retry/ring/min-left seconds must be positive")


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """What the queue says about itself right now."""

    ahead: int  # callers and callbacks in line before this caller
    desks_on_duty: int
    talk_seconds: float | None  # average conversation (QueueStatus TalkTime or our rows)
    hold_seconds: float | None = None  # average wait so far (QueueStatus HoldTime)


def expected_wait_seconds(figures: QueueFigures) -> float:
    """How long the caller will likely wait: each desk serves the line in parallel.

    With k desks and n ahead, the caller is answered after ceil((n + 1) / k) - 1 full
    conversations plus, on average, half of one (the desks are mid-call).  No desk on
    duty: infinite.  The queue's own hold time is a floor once callers are waiting.
    """
    if figures.desks_on_duty <= 0:
        return math.inf
    talk = figures.talk_seconds if figures.talk_seconds and figures.talk_seconds > 0 else None
    talk = DEFAULT_TALK_SECONDS if talk is None else talk
    if figures.ahead < figures.desks_on_duty:
        estimate = 0.0 if figures.ahead == 0 else talk / 2
    else:
        rounds = math.ceil((figures.ahead + 1) / figures.desks_on_duty) - 1
        estimate = rounds * talk - talk / 2
    if figures.ahead > 0 and figures.hold_seconds:
        estimate = max(estimate, figures.hold_seconds)
    return estimate


class OfferReason(StrEnum):
    WAIT_BEYOND_SESSION = "wait_beyond_session"
    QUEUE_TOO_LONG = "queue_too_long"


@dataclass(frozen=True, slots=True)
class Offer:
    offered: bool
    reason: OfferReason | None
    expected_wait_seconds: float
    seconds_left: float


def offer_callback(
    figures: QueueFigures, now: datetime, session_ends_at: datetime, policy: CallbackPolicy
) -> Offer:
    """Offer press 1 (callback) / 2 (message) when waiting would outlast the session or
    the line is longer than the policy allows.  Nobody ahead: never offered."""
    left = (session_ends_at - now).total_seconds()
    wait = expected_wait_seconds(figures)
    if figures.ahead == 0:
        return Offer(False, None, wait, left)
    if wait > left:
        return Offer(True, OfferReason.WAIT_BEYOND_SESSION, wait, left)
    if figures.ahead > policy.max_queue_length:
        return Offer(True, OfferReason.QUEUE_TOO_LONG, wait, left)
    return Offer(False, None, wait, left)


@dataclass(frozen=True, slots=True)
class InLine:
    """One place in the center's line: a waiting caller or a pending callback."""

    kind: str  # "caller" | "callback"
    key: str  # channel unique id, or the callback id as text
    joined_at: datetime  # when the citizen first joined the queue
    due_at: datetime | None = None  # callbacks: not before this (retry delay)


def is_due(entry: InLine, now: datetime) -> bool:
    return entry.due_at is None or entry.due_at <= now


def next_in_line(line: Sequence[InLine], now: datetime) -> InLine | None:
    """Whom a desk that frees up now should take: the earliest arrival that is due.

    A callback waiting out its retry delay does not hold up the callers behind it; the
    moment it is due again it is back in its original place.  Ties: callers first (they
    are on the line now), then by key.
    """
    due = [e for e in line if is_due(e, now)]
    if not due:
        return None
    return min(due, key=lambda e: (e.joined_at, e.kind != "caller", e.key))


class AttemptResult(StrEnum):
    REACHED = "reached"  # answered and put through to a desk
    NOT_REACHED = "not_reached"  # busy, no answer, failed


class NextStep(StrEnum):
    DONE = "done"
    RETRY = "retry"
    CONVERT = "convert"  # becomes a request with a tracking code and SMS


@dataclass(frozen=True, slots=True)
class AfterAttempt:
    step: NextStep
    retry_at: datetime | None


def must_convert(now: datetime, session_ends_at: datetime, policy: CallbackPolicy) -> bool:
    """True when there is no longer time to place a callback in this session."""
    return (session_ends_at - now).total_seconds() < policy.min_seconds_left


def after_attempt(
    attempts_made: int,
    result: AttemptResult,
    now: datetime,
    session_ends_at: datetime,
    policy: CallbackPolicy,
) -> AfterAttempt:
    if result is AttemptResult.REACHED:
        return AfterAttempt(NextStep.DONE, None)
    retry_at = now + timedelta(seconds=policy.retry_seconds)
    if attempts_made >= policy.max_attempts or must_convert(retry_at, session_ends_at, policy):
        return AfterAttempt(NextStep.CONVERT, None)
    return AfterAttempt(NextStep.RETRY, retry_at)


def next_session_start(
    calendar: CenterCalendar, duty_start: time, after: datetime
) -> datetime:
    """The start of the center's next duty window after `after` (open days only)."""
    day: date = calendar.local_date(after)
    for _ in range(400):
        if not calendar.is_closed(day):
            start = datetime.combine(day, duty_start, tzinfo=calendar.tz)
            if start > after:
                return start
        day += timedelta(days=1)
    raise ValueError("no open day in the next 400 days")


def session_ends_at(decision: RoutingDecision) -> datetime | None:
    """When the session on duty now ends (the last desk's slot); None when closed."""
    if not isinstance(decision, OnDuty):
        return None
    return max(s.ends_at for s in decision.slots)


def next_session_after(
    slots: Sequence[DutySlot], calendar: CenterCalendar, after: datetime,
    default_start: time = time(9),
) -> datetime:  # fmt: skip
    """The next session to name in the SMS: the first slot starting at or after `after`
    on an open day, else the usual duty start of the next open day."""
    later = [
        s.starts_at for s in slots
        if s.starts_at >= after and not calendar.is_closed(calendar.local_date(s.starts_at))
    ]  # fmt: skip
    return min(later) if later else next_session_start(calendar, default_start, after)
