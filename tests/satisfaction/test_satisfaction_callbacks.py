"""The callback job against a real PostgreSQL with a fake phone and an injected clock."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from lifecycle.factories import add_closed_day

from samad_ivr.ami.originate import CallResult, OutboundCall
from samad_ivr.domain.lifecycle import Action
from samad_ivr.domain.satisfaction import Channel
from samad_ivr.jobs.satisfaction_ask import ask_citizens
from samad_ivr.jobs.satisfaction_calls import Callbacks
from samad_ivr.jobs.satisfaction_expiry import close_unanswered
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import Actor

from .conftest import ANSWERED_AT, TEHRAN, Answered, FakePhone, policy, tehran

ASKED_AT = ANSWERED_AT + timedelta(days=1, minutes=5)  # Thursday 09:05 Tehran


def callbacks(pool: Pool, phone: FakePhone, clock: list[datetime]) -> Callbacks:
    return Callbacks(pool, phone, policy().call, dial="PJSIP/{national}@trunk",
                     caller_id="Samad <111>", max_calls=4, clock=lambda: clock[0])  # fmt: skip


async def next_call_at(pool: Pool) -> datetime | None:
    value = await pool.fetchval(
        "SELECT next_call_at FROM satisfaction_questions WHERE channel = 'call'"
    )
    return None if value is None else value.astimezone(TEHRAN)


async def test_a_citizen_who_does_not_answer_is_retried_inside_the_window_only(
    db_pool: Pool, answered: Answered
) -> None:
    await ask_citizens(db_pool, ASKED_AT, policy(Channel.CALL))
    phone = FakePhone([CallResult.BUSY])
    clock = [tehran(5, 9, 59)]
    ring = callbacks(db_pool, phone, clock)
    assert await ring.ring_due() == 0  # before 10:00 nothing rings
    clock[0] = tehran(5, 10)
    assert await ring.ring_due() == 1
    call = phone.placed[0]
    assert (call.dial, call.context) == ("PJSIP/09121234567@trunk", "samad-satisfaction")
    assert await next_call_at(db_pool) == tehran(5, 14)
    clock[0] = tehran(5, 14)
    await ring.ring_due()  # no answer -> 18:00 is closed: Friday off -> Saturday 10:00
    assert await next_call_at(db_pool) == tehran(7, 10)
    clock[0] = tehran(7, 10)
    assert await ring.ring_due() == 1
    # Saturday 14:00 would be past two days after the first ring (Friday was off).
    assert await next_call_at(db_pool) is None
    clock[0] = tehran(7, 14)
    assert await ring.ring_due() == 0
    rows = await db_pool.fetch("SELECT attempt_no, started_at, result FROM satisfaction_calls"
                               " ORDER BY attempt_no")  # fmt: skip
    assert [r["result"] for r in rows] == ["busy", "no_answer", "no_answer"]
    for r in rows:
        local = r["started_at"].astimezone(TEHRAN)
        assert 10 <= local.hour < 18
        assert local.weekday() != 4
    lines = await db_pool.fetchval(
        "SELECT count(*) FROM request_history WHERE event = 'satisfaction_call'"
    )
    assert lines == 3


async def test_with_no_weekend_in_between_the_citizen_is_called_four_times_in_two_days(
    db_pool: Pool, answered: Answered
) -> None:
    await ask_citizens(db_pool, ASKED_AT, policy(Channel.CALL))
    await db_pool.execute("UPDATE centers SET weekend_days = '{}'")
    phone = FakePhone()
    clock = [tehran(5, 10)]
    ring = callbacks(db_pool, phone, clock)
    for day, hour in ((5, 10), (5, 14), (6, 10), (6, 14)):
        clock[0] = tehran(day, hour)
        assert await ring.ring_due() == 1, (day, hour)
    assert await next_call_at(db_pool) is None
    assert len(phone.placed) == 4


async def test_a_holiday_declared_after_asking_is_not_called(
    db_pool: Pool, answered: Answered
) -> None:
    await ask_citizens(db_pool, ASKED_AT, policy(Channel.CALL))
    await add_closed_day(db_pool, answered.center_id, date(2026, 3, 5), "تعطیلی اعلام‌شده")
    phone = FakePhone()
    clock = [tehran(5, 10, 30)]
    assert await callbacks(db_pool, phone, clock).ring_due() == 0
    assert phone.placed == []
    assert await next_call_at(db_pool) == tehran(7, 10)


async def test_two_instances_ring_a_due_question_once(db_pool: Pool, answered: Answered) -> None:
    await ask_citizens(db_pool, ASKED_AT, policy(Channel.CALL))
    phone = FakePhone([CallResult.ANSWERED])
    clock = [tehran(5, 10)]
    rung = await asyncio.gather(*(callbacks(db_pool, phone, clock).ring_due() for _ in range(3)))
    assert sum(rung) == 1
    assert len(phone.placed) == 1
    # Answered: while the call lasts nobody books another attempt.
    clock[0] = tehran(5, 14, 1)
    row = await db_pool.fetchrow("SELECT attempts, calling_until FROM satisfaction_questions")
    assert row["attempts"] == 1
    assert row["calling_until"] > tehran(5, 10)


class DyingPhone(FakePhone):
    async def place(self, call: OutboundCall) -> CallResult:
        self.placed.append(call)
        raise RuntimeError("the instance went down while the phone rang")


async def test_a_callback_cut_short_by_a_failure_is_rung_again_later_not_forgotten(
    db_pool: Pool, answered: Answered
) -> None:
    await ask_citizens(db_pool, ASKED_AT, policy(Channel.CALL))
    clock = [tehran(5, 10)]
    assert await callbacks(db_pool, DyingPhone(), clock).ring_due() == 1
    retry = await next_call_at(db_pool)
    assert retry is not None
    assert tehran(5, 14) < retry <= tehran(5, 15)  # after the call's hold and the gap
    clock[0] = retry
    phone = FakePhone([CallResult.ANSWERED])
    assert await callbacks(db_pool, phone, clock).ring_due() == 1
    assert await db_pool.fetchval("SELECT max(attempt_no) FROM satisfaction_calls") == 2


async def test_a_request_an_inspector_closed_meanwhile_is_not_rung(
    db_pool: Pool, answered: Answered
) -> None:
    await ask_citizens(db_pool, ASKED_AT, policy(Channel.CALL))
    await answered.lifecycle.act(answered.request_id, Action.ACCEPT,
                                 actor=Actor.named("deadline_job"), now=ASKED_AT)  # fmt: skip
    phone = FakePhone()
    clock = [tehran(5, 10)]
    assert await callbacks(db_pool, phone, clock).ring_due() == 0
    assert phone.placed == []
    # The next expiry run records the question as moot; the request stays closed.
    await close_unanswered(db_pool, answered.verdicts, clock[0])
    row = await db_pool.fetchrow(
        "SELECT q.outcome, r.status FROM satisfaction_questions q"
        " JOIN requests r ON r.id = q.request_id"
    )
    assert tuple(row) == ("superseded", "closed")
