"""The satisfaction callback on a real Asterisk 22: AMI Originate to a test citizen.

The citizen's "mobile" is a Local channel into extensions_test.conf (samad-test-citizen):
09120000002 answers and presses 2, 09120000009 never answers.  What the citizen was
played is read from Asterisk's own log ("<channel> Playing 'name.format'") by the
callback's unique id.  The job's clock is injected and set to a working morning after
today, so the service's own scheduled run (real time) never finds these questions due.
Three calls in all.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg
from lifecycle.factories import make_agency, make_request

from samad_ivr.ami.originate import AmiOriginator
from samad_ivr.app import Service
from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.domain.lifecycle import Action
from samad_ivr.jobs.holidays import seed_holidays
from samad_ivr.jobs.satisfaction_ask import ask_citizens
from samad_ivr.jobs.satisfaction_calls import Callbacks
from samad_ivr.storage.inspection import InspectionRepository, Queue, QueueQuery
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle
from samad_ivr.storage.roster import RosterRepository

from .conftest import INSTANCE_ENV, AsteriskInstance, wait_for

TEHRAN = ZoneInfo("Asia/Tehran")
SETTINGS = {
    "SAMAD_SATISFACTION_CHANNELS": "call",
    "SAMAD_SATISFACTION_DIAL": "Local/{national}@samad-test-citizen",
    "SAMAD_SATISFACTION_RING_SECONDS": "6",
}


def asterisk_log(asterisk: AsteriskInstance) -> str:
    var = asterisk.recordings_dir.parents[4]
    instance = INSTANCE_ENV["SAMAD_ASTERISK_INSTANCE"]
    return (var / "log" / "samad-asterisk" / instance / "messages.log").read_text(errors="replace")


def played_to(log_text: str, uniqueid: str) -> list[str]:
    opened = re.search(
        r'NoOp\("([^"]+)", "Samad satisfaction callback ' + re.escape(uniqueid) + r'"\)', log_text
    )
    assert opened is not None, f"callback {uniqueid} is not in Asterisk's log"
    return re.findall(r"<" + re.escape(opened[1]) + r"> Playing '([^']+)\.[a-z0-9]+'", log_text)


async def answered_request(db: asyncpg.Pool, caller: str) -> tuple[int, int]:
    roster = RosterRepository(db)
    center = await roster.ensure_center("hamedan", "مرکز سامد همدان", "samad-desk")
    await roster.set_weekend(center, frozenset())  # every day works: no weekend to skip
    # Iran's holidays seeded now (the service's own run then adds nothing), and cleared:
    # the test's mornings are working days.
    await seed_holidays(db, datetime.now(UTC))
    await db.execute("DELETE FROM closed_days WHERE center_id = $1", center)
    agency = await make_agency(db, center, None, None)
    request_id = await make_request(db, center, caller=caller)
    lifecycle = RequestLifecycle(db, DeadlinePolicy())
    desk, now = Actor.named("desk_test"), datetime.now(UTC)
    await lifecycle.assign(request_id, agency_id=agency, topic="housing", actor=desk,
                           now=now - timedelta(days=3))  # fmt: skip
    await lifecycle.act(request_id, Action.ANSWER, actor=desk, now=now - timedelta(days=2))
    return request_id, center


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    day = datetime.now(TEHRAN).date() + timedelta(days=1)
    return datetime.combine(day, time(hour, minute), TEHRAN)


async def test_the_callback_rings_the_citizen_who_presses_2_and_the_request_is_reopened(
    asterisk: AsteriskInstance, db_pool: asyncpg.Pool, start_service: object
) -> None:
    request_id, center = await answered_request(db_pool, "+989120000002")
    service: Service = await start_service(**SETTINGS)  # type: ignore[operator]
    await wait_for(lambda: _true(service.ami.connected), 20, "the AMI action connection")
    policy = service.settings.satisfaction.policy
    clock = [tomorrow_at(10, 30)]
    assert await ask_citizens(db_pool, clock[0], policy, daytime=(time(0), time(23, 59))) == 1
    ring = Callbacks(db_pool, AmiOriginator(service.ami), policy.call,
                     dial=service.settings.satisfaction.dial, caller_id="Samad <111>",
                     max_calls=2, clock=lambda: clock[0])  # fmt: skip
    log_start = len(asterisk_log(asterisk))

    assert await ring.ring_due() == 1

    async def reopened() -> bool:
        return await db_pool.fetchval("SELECT status FROM requests WHERE id = $1", request_id) == (
            "reopened"
        )

    await wait_for(reopened, 60, "the citizen's 2 to reopen the request")
    page = await InspectionRepository(db_pool).page(
        QueueQuery(center, Queue.REOPENED, datetime.now(UTC)), TEHRAN
    )
    assert request_id in [item.id for item in page.items]

    async def stored_call() -> asyncpg.Record | None:
        return await db_pool.fetchrow(
            "SELECT sc.*, r.sha256, r.duration_seconds FROM satisfaction_calls sc"
            " JOIN recordings r ON r.call_id = sc.call_id AND r.kind = 'call'"
            " WHERE r.sha256 IS NOT NULL"
        )

    attempt = await wait_for(stored_call, 60, "the callback stored as a call with its recording")
    assert (attempt["result"], attempt["digit"]) == ("answered", "2")
    assert attempt["duration_seconds"] > 3
    call = await db_pool.fetchrow("SELECT * FROM calls WHERE id = $1", attempt["call_id"])
    assert (call["caller_e164"], call["center_id"], call["route"]) == (
        "+989120000002", center, "satisfaction",
    )  # fmt: skip
    files = played_to(asterisk_log(asterisk)[log_start:], attempt["uniqueid"])
    assert files[:4] == [
        "satisfaction-intro", "satisfaction-question", "satisfaction-thanks-reopened", "goodbye",
    ]  # fmt: skip
    history = await db_pool.fetch(
        "SELECT event, action, job FROM request_history WHERE request_id = $1 ORDER BY id",
        request_id,
    )
    events = [(h["event"], h["action"], h["job"]) for h in history]
    assert ("satisfaction_asked", None, "satisfaction") in events
    assert ("transition", "reopen", "citizen_ivr") in events
    assert ("satisfaction_call", None, "satisfaction") in events


async def test_a_citizen_who_does_not_answer_is_retried_and_never_called_outside_the_window(
    asterisk: AsteriskInstance, db_pool: asyncpg.Pool, start_service: object
) -> None:
    request_id, _center = await answered_request(db_pool, "+989120000009")
    service: Service = await start_service(**SETTINGS)  # type: ignore[operator]
    await wait_for(lambda: _true(service.ami.connected), 20, "the AMI action connection")
    policy = service.settings.satisfaction.policy
    clock = [tomorrow_at(13, 0)]
    await ask_citizens(db_pool, clock[0], policy, daytime=(time(0), time(23, 59)))
    ring = Callbacks(db_pool, AmiOriginator(service.ami), policy.call,
                     dial=service.settings.satisfaction.dial, caller_id="Samad <111>",
                     max_calls=2, clock=lambda: clock[0])  # fmt: skip

    assert await ring.ring_due() == 1  # 13:00: rings out after 6 s
    assert await ring.ring_due() == 0  # not again at once
    retry = await db_pool.fetchval("SELECT next_call_at FROM satisfaction_questions")
    assert retry == tomorrow_at(17, 0)  # four hours later, still inside 10:00-18:00
    clock[0] = retry
    assert await ring.ring_due() == 1
    # The next retry would be 21:00: moved to the next morning, and at 21:00 nothing rings.
    later = await db_pool.fetchval("SELECT next_call_at FROM satisfaction_questions")
    assert later == tomorrow_at(10, 0) + timedelta(days=1)
    await db_pool.execute("UPDATE satisfaction_questions SET next_call_at = $1", clock[0])
    clock[0] = tomorrow_at(21, 0)
    assert await ring.ring_due() == 0
    assert await db_pool.fetchval("SELECT next_call_at FROM satisfaction_questions") == later
    rows = await db_pool.fetch("SELECT started_at, result, call_id FROM satisfaction_calls")
    assert [(r["result"], r["call_id"]) for r in rows] == [("no_answer", None)] * 2
    assert [r["started_at"] for r in rows] == [tomorrow_at(13, 0), tomorrow_at(17, 0)]
    status = await db_pool.fetchval("SELECT status FROM requests WHERE id = $1", request_id)
    assert status == "answered"


async def _true(value: bool) -> bool:
    return value
