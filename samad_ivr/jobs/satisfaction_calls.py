"""Job: ring the citizens whose satisfaction callback is due.

A callback rings only inside the center's calling window on a working day: a question
whose turn comes outside it (the service was down, a holiday was declared since) is moved
to the next slot instead.  Each attempt is booked (attempt row, `calling_until`) and
committed before the phone rings, so a second instance never rings the same question;
no connection is held while it rings.  A busy or unanswered call is tried again
(samad_ivr.domain.satisfaction.next_retry_at); an answered one is handled by the
dialplan context `samad-satisfaction` and its AGI routes, which settle the question.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from samad_ivr.agi.variables import SATISFACTION_QUESTION
from samad_ivr.ami.originate import CallResult, Originator, OutboundCall
from samad_ivr.domain.deadlines import WorkCalendar
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.domain.satisfaction import CallPolicy, next_call_slot, next_retry_at
from samad_ivr.notices.text import fa_digits
from samad_ivr.storage import satisfaction as sq
from samad_ivr.storage import satisfaction_calls as sc
from samad_ivr.storage.db import Pool, PoolConnection, connection, require_aware

__all__ = ["CONTEXT", "Callbacks", "national_number"]

log = logging.getLogger(__name__)

CONTEXT = "samad-satisfaction"  # dialplan/extensions_samad.conf
# How long an answered callback may last before another instance may book the next one.
CALL_HOLD = timedelta(minutes=5)
RESULT_FA = {
    CallResult.ANSWERED: "تماس برقرار شد",
    CallResult.BUSY: "شهروند مشغول بود",
    CallResult.NO_ANSWER: "شهروند پاسخ نداد",
    CallResult.FAILED: "تماس برقرار نشد",
}


def national_number(e164: str) -> str:
    """+989121234567 -> 09121234567 (what Iranian trunks dial)."""
    return "0" + e164.removeprefix("+98") if e164.startswith("+98") else e164


@dataclass(frozen=True, slots=True)
class _Booked:
    question: sq.Question
    attempt_no: int
    call: OutboundCall
    tz: ZoneInfo
    calendar: WorkCalendar


class Callbacks:
    def __init__(
        self,
        pool: Pool,
        originator: Originator,
        policy: CallPolicy,
        *,
        dial: str,
        caller_id: str,
        max_calls: int,
        clock: Callable[[], datetime],
    ) -> None:
        self._pool = pool
        self._originator = originator
        self._policy = policy
        self._dial = dial
        self._caller_id = caller_id
        self._max_calls = max_calls
        self._clock = clock

    async def ring_due(self) -> int:
        """Book and place every due callback (at most `max_calls` at once); how many rang."""
        now = require_aware(self._clock(), "now")
        async with connection(self._pool) as conn, conn.transaction():
            booked = await self._book(conn, now)
        results = await asyncio.gather(*(self._place(b) for b in booked), return_exceptions=True)
        for b, result in zip(booked, results, strict=True):
            if isinstance(result, Exception):
                # The booking's own retry time stands: the question is rung again later.
                log.error("callback %s not finished: %s", b.call.channel_id, result)
        return len(booked)

    async def _book(self, conn: PoolConnection, now: datetime) -> list[_Booked]:
        booked: list[_Booked] = []
        calendars = sq.Calendars(conn, now)
        for due in await sq.claim_due_calls(conn, now, self._max_calls):
            q = due.question
            if not due.still_asked:
                # The request moved on; the expiry job records it as superseded.
                await sc.reschedule(conn, q.id, None)
                continue
            tz, calendar = await calendars.of(due.center_id)
            slot = next_call_slot(now, tz, calendar, self._policy)
            if slot != now:
                await sc.reschedule(conn, q.id, slot)  # outside the window: later
                continue
            call = self._call(q)
            hold = now + timedelta(seconds=self._policy.ring_seconds) + CALL_HOLD
            retry = next_retry_at(
                attempts=q.attempts + 1, first_attempt_at=q.first_call_at or now,
                last_attempt_at=hold, tz=tz, calendar=calendar, policy=self._policy,
            )  # fmt: skip
            attempt_no = await sc.start_attempt(conn, q.id, now, hold, call.channel_id, retry)
            if attempt_no is not None:
                booked.append(_Booked(q, attempt_no, call, tz, calendar))
        return booked

    def _call(self, q: sq.Question) -> OutboundCall:
        number = normalise_caller_id(q.destination)
        assert number.e164 is not None
        dial = self._dial.format(national=national_number(number.e164), e164=number.e164)
        return OutboundCall(
            dial=dial, context=CONTEXT, exten="s", caller_id=self._caller_id,
            ring_seconds=self._policy.ring_seconds,
            variables={SATISFACTION_QUESTION: str(q.id)},
        )  # fmt: skip

    async def _place(self, b: _Booked) -> CallResult:
        log.info("satisfaction callback %s to %s (attempt %d)", b.call.channel_id,
                 normalise_caller_id(b.question.destination).masked, b.attempt_no)  # fmt: skip
        result = await self._originator.place(b.call)
        now = self._clock()
        first = b.question.first_call_at or now
        retry = next_retry_at(
            attempts=b.attempt_no, first_attempt_at=first, last_attempt_at=now, tz=b.tz,
            calendar=b.calendar, policy=self._policy,
        )  # fmt: skip
        hold = now + CALL_HOLD if result is CallResult.ANSWERED else None
        async with connection(self._pool) as conn, conn.transaction():
            await sc.lock_request_key(conn, b.question.request_id)
            await sc.finish_attempt(conn, b.call.channel_id, result.value, now)
            await sc.reschedule(conn, b.question.id, retry, hold)
            note = f"تماس {fa_digits(b.attempt_no)} برای پرسش رضایت: {RESULT_FA[result]}."
            if result is not CallResult.ANSWERED:
                note += " تماس دوباره گرفته می‌شود." if retry else " تماس دیگری گرفته نمی‌شود."
            await sq.add_history(
                conn, b.question.request_id, now, "satisfaction_call", note,
                {"question_id": b.question.id, "attempt": b.attempt_no, "result": result.value,
                 "uniqueid": b.call.channel_id,
                 "next_call_at": retry.isoformat() if retry else None},
            )  # fmt: skip
        return result
