"""Job: place the callbacks whose turn it is, retry them, and convert the rest.

Every round (a few seconds apart, on the leader) the dispatcher:

1. puts back in line any attempt whose outcome was never written (the service died while
   it rang);
2. turns into requests the callbacks that are out of attempts or out of session time: a
   request on the caller's own inbound call, its tracking code and the SMS
   `callback_missed` naming the next session;
3. asks the center's queue (AMI QueueStatus) who is waiting and how many desks are free,
   and walks the one line of waiting callers and pending callbacks in arrival order
   (samad_ivr.domain.callbacks.next_in_line): a free desk goes to a waiting caller who
   came first (app_queue hands it to them), otherwise a callback is claimed and placed.

A placed callback runs the dialplan context `samad-callback` once the citizen answers:
recorded, into the center's queue with a high priority (it already waited its turn), and
registered through the same post-call intake as an inbound call, with route 'callback'.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from samad_ivr.ami.client import AmiError
from samad_ivr.ami.originate import MARGIN_SECONDS, CallResult, Originator, OutboundCall
from samad_ivr.ami.originate import new_channel_id as _new_channel_id
from samad_ivr.calls.routing import RosterSnapshot
from samad_ivr.domain.callbacks import (
    AttemptResult,
    CallbackPolicy,
    InLine,
    NextStep,
    after_attempt,
    next_in_line,
    next_session_after,
)
from samad_ivr.domain.roster import OnDuty, RoutingDecision
from samad_ivr.domain.spoken import format_jalali
from samad_ivr.domain.tracking import new_tracking_code
from samad_ivr.jobs.satisfaction_calls import national_number
from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.sms.text import render_template
from samad_ivr.storage.callbacks import Callback, CallbackRepository
from samad_ivr.storage.requests import RequestRepository

__all__ = [
    "CONTEXT",
    "AmiQueueLook",
    "CallbackDispatcher",
    "QueueNow",
    "Round",
    "queue_now_from_status",
]

log = logging.getLogger(__name__)

CONTEXT = "samad-callback"  # dialplan/extensions_samad.conf
CALLBACK_ID = "SAMAD_CALLBACK_ID"  # channel variable of the placed call
CALLBACK_NUMBER = "SAMAD_CALLBACK_NUMBER"  # the citizen's number: the call's caller ID
TEMPLATE = "callback_missed"
# After the citizen answers, the callback hears its intro and is routed before it joins
# the queue (about 10 s); for this long a free desk is kept for it.
TRANSIT_SECONDS = 30


@dataclass(frozen=True, slots=True)
class QueueNow:
    waiting: tuple[InLine, ...]  # callers on the line, kind "caller"
    free_desks: int
    desks_on_duty: int
    talk_seconds: float | None
    hold_seconds: float | None


class QueueLook(Protocol):
    async def look(self, queue: str, now: datetime) -> QueueNow: ...


def queue_now_from_status(queue: str, messages: list[dict[str, str]], now: datetime) -> QueueNow:
    """A QueueStatus answer as the figures the dispatcher and the offer need."""
    waiting: list[InLine] = []
    free = members = 0
    talk = hold = None
    for m in messages:
        if m.get("Queue") != queue:
            continue
        event = m.get("Event")
        if event == "QueueParams":
            talk = float(m.get("TalkTime", "0") or 0) or None
            hold = float(m.get("Holdtime", "0") or 0) or None
        elif event == "QueueMember":
            members += 1
            if m.get("Status") == "1" and m.get("Paused", "0") == "0":
                free += 1  # AST_DEVICE_NOT_INUSE
        elif event == "QueueEntry":
            wait = float(m.get("Wait", "0") or 0)
            key = m.get("Uniqueid", "")
            waiting.append(InLine("caller", key, now - timedelta(seconds=wait)))
    return QueueNow(tuple(waiting), free, members, talk, hold)


class _ListAmi(Protocol):
    async def action_list(
        self, fields: dict[str, str], *, timeout: float | None = None
    ) -> list[dict[str, str]]: ...


class AmiQueueLook:
    """The queue's figures from Asterisk itself (QueueStatus of one queue)."""

    def __init__(self, ami: _ListAmi, timeout: float = 5.0) -> None:
        self._ami = ami
        self._timeout = timeout

    async def look(self, queue: str, now: datetime) -> QueueNow:
        messages = await self._ami.action_list(
            {"Action": "QueueStatus", "Queue": queue}, timeout=self._timeout
        )
        return queue_now_from_status(queue, messages, now)


@dataclass(frozen=True, slots=True)
class Round:
    placed: tuple[int, ...] = ()
    converted: tuple[int, ...] = ()
    released: tuple[int, ...] = ()


def _sms_body(body: str, next_session: str) -> Callable[[str], str]:
    return lambda code: render_template(body, {"code": code, "next_session": next_session})


class CallbackDispatcher:
    def __init__(
        self,
        repo: CallbackRepository,
        requests: RequestRepository,
        templates: TemplateRepository,
        routing: Callable[[datetime], Awaitable[tuple[RoutingDecision, RosterSnapshot]]],
        queue: QueueLook,
        originator: Originator,
        policy: CallbackPolicy,
        *,
        dial: str,
        caller_id: str,
        clock: Callable[[], datetime],
        new_channel_id: Callable[[], str] = _new_channel_id,
        can_ring: Callable[[], bool] = lambda: True,
    ) -> None:
        self._repo = repo
        self._requests = requests
        self._templates = templates
        self._routing = routing
        self._queue = queue
        self._originator = originator
        self._policy = policy
        self._dial = dial
        self._caller_id = caller_id
        self._clock = clock
        self._new_channel_id = new_channel_id
        self._can_ring = can_ring  # AMI is up: an attempt made without it would be wasted
        self._rng = secrets.SystemRandom()
        self._ringing: set[asyncio.Task[CallResult]] = set()

    async def run_once(self) -> Round:
        now = self._clock()
        stale_before = now - timedelta(seconds=self._policy.ring_seconds + MARGIN_SECONDS + 60)
        released = tuple(await self._repo.release_stale(now, stale_before))
        decision, snapshot = await self._routing(now)
        converted = await self._convert_due(now, snapshot)
        placed: tuple[int, ...] = ()
        if isinstance(decision, OnDuty) and self._can_ring():
            try:
                placed = await self._place_turns(now, snapshot)
            except (AmiError, TimeoutError) as exc:
                log.warning("callbacks wait: the queue's figures are unavailable (%s)", exc)
        return Round(placed, converted, released)

    async def drain(self) -> None:
        """Wait for the calls that are ringing (tests; shutdown)."""
        while self._ringing:
            await asyncio.gather(*tuple(self._ringing), return_exceptions=True)

    async def _place_turns(self, now: datetime, snapshot: RosterSnapshot) -> tuple[int, ...]:
        line = await self._repo.open_line(snapshot.center_id)
        pending = {
            str(c.id): c for c in line
            if c.status == "pending" and c.attempts < self._policy.max_attempts
        }  # fmt: skip
        if not pending:
            return ()
        queue = await self._queue.look(snapshot.queue_name, now)
        in_queue = {e.key for e in queue.waiting}
        transit = await self._repo.in_transit(
            snapshot.center_id, now - timedelta(seconds=TRANSIT_SECONDS)
        )
        # A callback ringing, or answered but not yet in the queue, will take a free desk;
        # one already waiting in the queue is counted there (app_queue gives it the desk).
        busy = sum(1 for c in line if c.status == "placing")
        busy += sum(1 for channel in transit if channel not in in_queue)
        free = queue.free_desks - busy
        # A callback waiting in the queue holds its original place (and QUEUE_PRIO).
        waiting = [replace(e, joined_at=transit.get(e.key, e.joined_at)) for e in queue.waiting]
        entries = waiting + [
            InLine("callback", key, c.queued_at, c.next_attempt_at) for key, c in pending.items()
        ]
        placed: list[int] = []
        while free > 0:
            turn = next_in_line(entries, now)
            if turn is None:
                break
            entries.remove(turn)
            free -= 1  # a waiting caller first in line is given this desk by app_queue
            if turn.kind == "callback" and await self._start(pending[turn.key], now):
                placed.append(pending[turn.key].id)
        return tuple(placed)

    async def _start(self, cb: Callback, now: datetime) -> bool:
        channel_id = self._new_channel_id()
        attempt = await self._repo.claim(cb.id, channel_id, now, self._policy.max_attempts)
        if attempt is None:
            return False  # another instance placed it
        call = OutboundCall(
            dial=self._dial.format(national=national_number(cb.caller_e164), e164=cb.caller_e164),
            context=CONTEXT, exten="s", caller_id=self._caller_id,
            ring_seconds=self._policy.ring_seconds, channel_id=channel_id,
            variables={CALLBACK_ID: str(cb.id), CALLBACK_NUMBER: national_number(cb.caller_e164)},
        )  # fmt: skip
        task = asyncio.create_task(self._ring(cb, attempt, call))
        self._ringing.add(task)
        task.add_done_callback(self._ringing.discard)
        return True

    async def _ring(self, cb: Callback, attempt: int, call: OutboundCall) -> CallResult:
        log.info("callback %d: attempt %d on %s", cb.id, attempt, call.channel_id)
        try:
            result = await self._originator.place(call)
        except Exception:
            log.exception("callback %d: originate raised", cb.id)
            result = CallResult.FAILED
        now = self._clock()
        reached = AttemptResult.REACHED if result is CallResult.ANSWERED else None
        step = after_attempt(
            attempt, reached or AttemptResult.NOT_REACHED, now, cb.session_ends_at, self._policy
        )
        retry_at = step.retry_at if step.step is NextStep.RETRY else None
        await self._repo.attempt_ended(
            cb.id, call.channel_id, result.value, reached is not None, retry_at, now
        )
        return result

    async def _convert_due(self, now: datetime, snapshot: RosterSnapshot) -> tuple[int, ...]:
        due = await self._repo.to_convert(
            now, self._policy.max_attempts, self._policy.min_seconds_left
        )
        done: list[int] = []
        if not due:
            return ()
        body = await self._templates.body_of(TEMPLATE)
        tz = snapshot.calendar.tz
        for cb in due:
            call_id = await self._repo.origin_call_id(cb.origin_uniqueid)
            if call_id is None:
                log.warning("callback %d: its inbound call is not stored yet", cb.id)
                continue
            after = max(now, cb.session_ends_at)
            nxt = next_session_after(snapshot.slots, snapshot.calendar, after)
            when = format_jalali(nxt, tz)
            request = await self._requests.register(
                call_id, cb.caller_e164, None, None, cb.caller_e164,
                _sms_body(body, when), lambda: new_tracking_code(self._rng),
            )  # fmt: skip
            if await self._repo.converted(cb.id, request.id, now):
                log.info("callback %d became request %s", cb.id, request.tracking_code)
                done.append(cb.id)
        return tuple(done)
