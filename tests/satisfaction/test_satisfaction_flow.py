"""Asking, replying and expiring against a real PostgreSQL, with an injected clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from samad_ivr.domain.lifecycle import Action
from samad_ivr.domain.satisfaction import Channel
from samad_ivr.jobs.satisfaction_ask import ask_citizens
from samad_ivr.jobs.satisfaction_expiry import close_unanswered
from samad_ivr.sms.inbound import InboundRouter
from samad_ivr.storage.db import Pool
from samad_ivr.storage.inspection import InspectionRepository, Queue, QueueQuery
from samad_ivr.storage.lifecycle import Actor

from .conftest import ANSWERED_AT, CITIZEN, TEHRAN, Answered, answered_request, policy

DAY = timedelta(days=1)
ASKED_AT = ANSWERED_AT + DAY + timedelta(minutes=5)


def router(pool: Pool, answered: Answered, clock: list) -> InboundRouter:  # type: ignore[type-arg]
    return InboundRouter(pool, optout_words=("لغو",), verdicts=answered.verdicts,
                         clock=lambda: clock[0])  # fmt: skip


async def questions(pool: Pool, request_id: int) -> list[tuple[str, str]]:
    rows = await pool.fetch(
        "SELECT channel, outcome FROM satisfaction_questions WHERE request_id = $1"
        " ORDER BY channel", request_id,
    )  # fmt: skip
    return [(r["channel"], r["outcome"]) for r in rows]


async def status(pool: Pool, request_id: int) -> str:
    return str(await pool.fetchval("SELECT status FROM requests WHERE id = $1", request_id))


async def test_the_citizen_is_asked_a_day_after_the_answer_and_not_before(
    db_pool: Pool, answered: Answered
) -> None:
    assert await ask_citizens(db_pool, ANSWERED_AT + DAY - timedelta(minutes=1), policy()) == 0
    assert await ask_citizens(db_pool, ASKED_AT, policy()) == 2
    assert await questions(db_pool, answered.request_id) == [("call", "open"), ("sms", "open")]
    sms = await db_pool.fetchrow(
        "SELECT o.destination, o.body FROM satisfaction_questions q"
        " JOIN sms_outbox o ON o.id = q.sms_outbox_id WHERE q.channel = 'sms'"
    )
    assert sms["destination"] == CITIZEN
    assert "ادارهٔ کل راه و شهرسازی" in sms["body"]
    assert "۱" in sms["body"]
    # The callback waits for the window: asked at 09:05 Tehran on Thursday -> 10:00.
    first_ring = await db_pool.fetchval(
        "SELECT next_call_at FROM satisfaction_questions WHERE channel = 'call'"
    )
    assert first_ring.astimezone(TEHRAN).strftime("%a %H:%M") == "Thu 10:00"
    events = await db_pool.fetch(
        "SELECT event, job FROM request_history WHERE request_id = $1 AND event LIKE 'sat%'",
        answered.request_id,
    )
    assert [tuple(e) for e in events] == [("satisfaction_asked", "satisfaction")] * 2


async def test_two_asking_runs_at_once_ask_each_question_once(
    db_pool: Pool, answered: Answered
) -> None:
    counts = await asyncio.gather(*(ask_citizens(db_pool, ASKED_AT, policy()) for _ in range(3)))
    assert sum(counts) == 2
    assert await ask_citizens(db_pool, ASKED_AT + DAY, policy()) == 0
    assert await db_pool.fetchval("SELECT count(*) FROM sms_outbox") == 1


async def test_reply_2_to_the_question_reopens_the_request_for_the_inspectors(
    db_pool: Pool, answered: Answered
) -> None:
    await ask_citizens(db_pool, ASKED_AT, policy())
    clock = [ASKED_AT + timedelta(hours=2)]
    result = await router(db_pool, answered, clock).handle("09121234567", "۲", "gw-1")
    assert (result.kind, result.request_id) == ("satisfaction", answered.request_id)
    assert await status(db_pool, answered.request_id) == "reopened"
    # The SMS question is settled; the callback is no longer needed.
    assert await questions(db_pool, answered.request_id) == [
        ("call", "superseded"), ("sms", "not_convinced"),
    ]  # fmt: skip
    inbound = await db_pool.fetchrow("SELECT kind, question_id, request_id FROM sms_inbound")
    assert inbound["question_id"] == result.question_id
    move = await db_pool.fetchrow(
        "SELECT action, to_status, job, details FROM request_history"
        " WHERE request_id = $1 AND action = 'reopen'", answered.request_id,
    )  # fmt: skip
    assert (move["to_status"], move["job"]) == ("reopened", "citizen_sms")
    page = await InspectionRepository(db_pool).page(
        QueueQuery(answered.center_id, Queue.REOPENED, clock[0]), TEHRAN
    )
    assert [item.id for item in page.items] == [answered.request_id]


async def test_reply_1_closes_the_request_and_a_second_reply_changes_nothing(
    db_pool: Pool, answered: Answered
) -> None:
    await ask_citizens(db_pool, ASKED_AT, policy(Channel.SMS))
    clock = [ASKED_AT + timedelta(hours=2)]
    inbound = router(db_pool, answered, clock)
    assert (await inbound.handle("+989121234567", "1", None)).kind == "satisfaction"
    assert await status(db_pool, answered.request_id) == "closed"
    again = await inbound.handle("+989121234567", "2", None)
    assert (again.kind, again.question_id) == ("unknown", None)
    assert await status(db_pool, answered.request_id) == "closed"


async def test_a_reply_with_no_open_question_is_stored_as_unknown_and_nothing_changes(
    db_pool: Pool, answered: Answered
) -> None:
    clock = [ASKED_AT]
    history = await db_pool.fetchval("SELECT count(*) FROM request_history")
    result = await router(db_pool, answered, clock).handle("09121234567", "2", None)
    assert (result.kind, result.request_id) == ("unknown", None)
    assert await status(db_pool, answered.request_id) == "answered"
    assert await db_pool.fetchval("SELECT count(*) FROM request_history") == history


async def test_a_number_with_two_answered_requests_is_asked_about_one_at_a_time(
    db_pool: Pool, answered: Answered
) -> None:
    second = await answered_request(
        db_pool, at=ANSWERED_AT + timedelta(hours=1), agency_name="ادارهٔ کل آموزش و پرورش"
    )
    await ask_citizens(db_pool, ASKED_AT + timedelta(hours=1), policy(Channel.SMS))
    assert await questions(db_pool, answered.request_id) == [("sms", "open")]
    assert await questions(db_pool, second.request_id) == []
    clock = [ASKED_AT + timedelta(hours=2)]
    await router(db_pool, answered, clock).handle("09121234567", "2", None)
    assert await status(db_pool, answered.request_id) == "reopened"
    assert await status(db_pool, second.request_id) == "answered"
    # Now the second request's question goes out; its "1" closes that one only.
    assert await ask_citizens(db_pool, clock[0], policy(Channel.SMS)) == 1
    await router(db_pool, answered, clock).handle("09121234567", "1", None)
    assert await status(db_pool, second.request_id) == "closed"
    assert await status(db_pool, answered.request_id) == "reopened"


async def test_a_reply_after_an_inspector_acted_is_kept_but_changes_nothing(
    db_pool: Pool, answered: Answered
) -> None:
    await ask_citizens(db_pool, ASKED_AT, policy(Channel.SMS))
    await answered.lifecycle.act(answered.request_id, Action.ACCEPT,
                                 actor=Actor.named("deadline_job"), now=ASKED_AT)  # fmt: skip
    clock = [ASKED_AT + timedelta(hours=1)]
    result = await router(db_pool, answered, clock).handle("09121234567", "2", None)
    assert result.kind == "satisfaction"
    assert await status(db_pool, answered.request_id) == "closed"
    assert await questions(db_pool, answered.request_id) == [("sms", "superseded")]


async def test_no_reply_within_seven_days_closes_the_request_as_answered_without_reply(
    db_pool: Pool, answered: Answered
) -> None:
    await ask_citizens(db_pool, ASKED_AT, policy())
    end = ASKED_AT + timedelta(days=7)
    assert await close_unanswered(db_pool, answered.verdicts, end - timedelta(minutes=1)) == 0
    assert await status(db_pool, answered.request_id) == "answered"
    runs = await asyncio.gather(*(close_unanswered(db_pool, answered.verdicts, end)
                                  for _ in range(2)))  # fmt: skip
    assert sum(runs) == 1
    assert await status(db_pool, answered.request_id) == "closed"
    assert sorted(o for _c, o in await questions(db_pool, answered.request_id)) == [
        "no_reply", "no_reply",
    ]  # fmt: skip
    move = await db_pool.fetchrow(
        "SELECT action, job, details->>'satisfaction' AS verdict FROM request_history"
        " WHERE request_id = $1 AND to_status = 'closed'", answered.request_id,
    )  # fmt: skip
    assert tuple(move) == ("accept", "satisfaction", "no_reply")


async def test_nobody_is_asked_at_night(db_pool: Pool, answered: Answered) -> None:
    night = ASKED_AT.astimezone(TEHRAN).replace(hour=22)
    assert await ask_citizens(db_pool, night, policy()) == 0
    assert await ask_citizens(db_pool, night.replace(hour=9), policy()) == 2


async def test_when_an_inspector_closes_the_asked_request_the_numbers_next_one_is_asked(
    db_pool: Pool, answered: Answered
) -> None:
    second = await answered_request(
        db_pool, at=ANSWERED_AT + timedelta(hours=1), agency_name="ادارهٔ کل بهزیستی"
    )
    now = ASKED_AT + timedelta(hours=1)
    assert await ask_citizens(db_pool, now, policy(Channel.SMS)) == 1
    await answered.lifecycle.act(answered.request_id, Action.ACCEPT,
                                 actor=Actor.named("deadline_job"), now=now)  # fmt: skip
    assert await close_unanswered(db_pool, answered.verdicts, now) == 0
    assert await questions(db_pool, answered.request_id) == [("sms", "superseded")]
    assert await ask_citizens(db_pool, now, policy(Channel.SMS)) == 1
    assert await questions(db_pool, second.request_id) == [("sms", "open")]
