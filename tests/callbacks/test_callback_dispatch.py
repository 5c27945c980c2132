"""The callback dispatcher against real PostgreSQL, with an injected clock and fakes for
Asterisk (the queue's figures and the outbound call)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from samad_ivr.ami.originate import CallResult, OutboundCall
from samad_ivr.calls.routing import RoutingService
from samad_ivr.domain.callbacks import CallbackPolicy, InLine
from samad_ivr.domain.spoken import format_jalali
from samad_ivr.jobs.callbacks import (
    CONTEXT,
    CallbackDispatcher,
    QueueNow,
    Round,
    queue_now_from_status,
)
from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.storage.callbacks import CallbackRepository
from samad_ivr.storage.calls import CallRepository, CallUpsert
from samad_ivr.storage.db import Pool
from samad_ivr.storage.requests import RequestRepository
from samad_ivr.storage.roster import RosterRepository

TEHRAN = ZoneInfo("Asia/Tehran")
T0 = datetime(2025, 3, 1, 9, 30, tzinfo=TEHRAN)  # Saturday, in the 09:00-11:00 session
SESSION_END = datetime(2025, 3, 1, 11, 0, tzinfo=TEHRAN)
NEXT_SESSION = datetime(2025, 3, 2, 9, 0, tzinfo=TEHRAN)
MOBILE = "+989121234567"
POLICY = CallbackPolicy(max_queue_length=2, max_attempts=3, retry_seconds=120, ring_seconds=30)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeQueue:
    now: QueueNow = field(default_factory=lambda: QueueNow((), 0, 1, 300.0, None))

    async def look(self, queue: str, now: datetime) -> QueueNow:
        assert queue == "samad-hamedan"
        return self.now


@dataclass
class FakeOriginator:
    results: list[CallResult] = field(default_factory=list)
    placed: list[OutboundCall] = field(default_factory=list)

    async def place(self, call: OutboundCall) -> CallResult:
        self.placed.append(call)
        return self.results.pop(0)


@dataclass
class World:
    pool: Pool
    clock: Clock
    queue: FakeQueue
    originator: FakeOriginator
    dispatcher: CallbackDispatcher
    callbacks: CallbackRepository
    calls: CallRepository
    center_id: int


def _dispatcher(
    pool: Pool, clock: Clock, queue: FakeQueue, orig: FakeOriginator
) -> CallbackDispatcher:
    routing = RoutingService(RosterRepository(pool), "hamedan", fresh_for=timedelta(0))
    return CallbackDispatcher(
        CallbackRepository(pool), RequestRepository(pool), TemplateRepository(pool),
        routing.decide, queue, orig, POLICY, dial="PJSIP/{national}@trunk",
        caller_id="111", clock=clock,
    )  # fmt: skip


@pytest.fixture
async def world(db_pool: Pool) -> AsyncIterator[World]:
    roster = RosterRepository(db_pool)
    center_id = await roster.ensure_center("hamedan", "مرکز سامد همدان", "samad-hamedan")
    official = await roster.add_official(center_id, "استاندار", "استاندار", None, "PJSIP/desk-1")
    await roster.add_slot(center_id, official, datetime(2025, 3, 1, 9, tzinfo=TEHRAN), SESSION_END)
    await roster.add_slot(
        center_id, official, NEXT_SESSION, datetime(2025, 3, 2, 11, tzinfo=TEHRAN)
    )
    clock, queue, orig = Clock(), FakeQueue(), FakeOriginator()
    w = World(db_pool, clock, queue, orig, _dispatcher(db_pool, clock, queue, orig),
              CallbackRepository(db_pool), CallRepository(db_pool), center_id)  # fmt: skip
    yield w
    await w.dispatcher.drain()


async def _ask(w: World, uniqueid: str, queued_at: datetime) -> int:
    """A caller who joined the queue at `queued_at` presses 1 now; their call is stored."""
    call = CallUpsert(uniqueid=uniqueid, caller_raw="09121234567", caller_e164=MOBILE,
                      started_at=queued_at, center_id=w.center_id)  # fmt: skip
    await w.calls.upsert_call(call)
    cb = await w.callbacks.request(w.center_id, uniqueid, MOBILE, queued_at, SESSION_END, w.clock())
    return cb.id


async def test_a_callback_waits_for_a_caller_who_came_first_then_takes_the_free_desk(
    world: World,
) -> None:
    w = world
    cb = await _ask(w, "1740.5", T0 - timedelta(minutes=5))
    earlier = InLine("caller", "1740.1", T0 - timedelta(minutes=8))
    later = InLine("caller", "1740.9", T0 - timedelta(minutes=2))
    w.queue.now = QueueNow((earlier, later), free_desks=1, desks_on_duty=2, talk_seconds=300,
                           hold_seconds=None)  # fmt: skip
    assert (await w.dispatcher.run_once()).placed == ()  # the earlier caller gets the desk
    assert w.originator.placed == []

    w.queue.now = QueueNow((later,), free_desks=1, desks_on_duty=2, talk_seconds=300,
                           hold_seconds=None)  # fmt: skip
    w.originator.results = [CallResult.ANSWERED]
    assert (await w.dispatcher.run_once()).placed == (cb,)  # ahead of the later caller
    await w.dispatcher.drain()
    (call,) = w.originator.placed
    assert (call.dial, call.context, call.variables) == (
        "PJSIP/09121234567@trunk", CONTEXT,
        {"SAMAD_CALLBACK_ID": str(cb), "SAMAD_CALLBACK_NUMBER": "09121234567"},
    )
    assert await w.callbacks.open_line(w.center_id) == []  # reached: out of the line
    assert (await w.dispatcher.run_once()).converted == ()


async def test_two_free_desks_serve_the_earlier_caller_and_the_callback_at_once(
    world: World,
) -> None:
    w = world
    cb = await _ask(w, "1740.5", T0 - timedelta(minutes=5))
    earlier = InLine("caller", "1740.1", T0 - timedelta(minutes=8))
    w.queue.now = QueueNow((earlier,), 2, 2, 300, None)
    w.originator.results = [CallResult.ANSWERED]
    assert (await w.dispatcher.run_once()).placed == (cb,)


async def test_an_unanswered_callback_is_retried_then_becomes_a_request_with_sms(
    world: World,
) -> None:
    w = world
    cb = await _ask(w, "1740.5", T0 - timedelta(minutes=5))
    w.queue.now = QueueNow((), 1, 1, 300, None)
    w.originator.results = [CallResult.NO_ANSWER, CallResult.BUSY, CallResult.NO_ANSWER]
    assert (await w.dispatcher.run_once()).placed == (cb,)
    await w.dispatcher.drain()
    # not again before the retry delay
    w.clock.now = T0 + timedelta(seconds=60)
    assert (await w.dispatcher.run_once()).placed == ()
    for minutes in (3, 6):
        w.clock.now = T0 + timedelta(minutes=minutes)
        assert (await w.dispatcher.run_once()).placed == (cb,)
        await w.dispatcher.drain()
    assert len(w.originator.placed) == 3
    assert len({c.channel_id for c in w.originator.placed}) == 3

    w.clock.now = T0 + timedelta(minutes=7)
    assert (await w.dispatcher.run_once()).converted == (cb,)
    async with w.pool.acquire() as conn:
        attempts = await conn.fetch(
            "SELECT attempt, result FROM callback_attempts WHERE callback_id = $1 ORDER BY 1", cb
        )
        row = await conn.fetchrow(
            "SELECT r.tracking_code, s.destination, s.body, c.status FROM callbacks c"
            " JOIN requests r ON r.id = c.request_id JOIN sms_outbox s ON s.request_id = r.id"
            " WHERE c.id = $1", cb,
        )  # fmt: skip
    assert [(a["attempt"], a["result"]) for a in attempts] == [
        (1, "no_answer"), (2, "busy"), (3, "no_answer")
    ]  # fmt: skip
    assert row is not None
    assert row["status"] == "converted"
    assert row["destination"] == MOBILE
    assert row["tracking_code"] in row["body"].splitlines()
    assert format_jalali(NEXT_SESSION, TEHRAN) in row["body"]
    assert (await w.dispatcher.run_once()).converted == ()  # once


async def test_callbacks_left_at_the_end_of_the_session_become_requests(world: World) -> None:
    w = world
    cb = await _ask(w, "1740.5", T0 - timedelta(minutes=5))
    w.queue.now = QueueNow((InLine("caller", "1740.1", T0 - timedelta(minutes=9)),), 0, 1, 300,
                           None)  # fmt: skip
    assert await w.dispatcher.run_once() == Round()  # no desk free, time left: it waits
    w.clock.now = SESSION_END - timedelta(seconds=POLICY.min_seconds_left - 1)
    result = await w.dispatcher.run_once()
    assert (result.converted, result.placed) == ((cb,), ())
    assert w.originator.placed == []


async def test_two_instances_place_a_callback_once(world: World) -> None:
    w = world
    cb = await _ask(w, "1740.5", T0 - timedelta(minutes=5))
    w.queue.now = QueueNow((), 1, 1, 300, None)
    w.originator.results = [CallResult.ANSWERED, CallResult.ANSWERED]
    other = _dispatcher(w.pool, w.clock, w.queue, w.originator)
    first, second = await w.dispatcher.run_once(), await other.run_once()
    assert (first.placed, second.placed) == ((cb,), ())
    await other.drain()


async def test_an_attempt_left_ringing_by_a_dead_instance_goes_back_in_line(world: World) -> None:
    w = world
    cb = await _ask(w, "1740.5", T0 - timedelta(minutes=5))
    assert await w.callbacks.claim(cb, "dead.1", T0, POLICY.max_attempts) == 1
    w.queue.now = QueueNow((), 1, 1, 300, None)
    w.originator.results = [CallResult.ANSWERED]
    assert (await w.dispatcher.run_once()).placed == ()  # still ringing, as far as we know
    w.clock.now = T0 + timedelta(minutes=3)
    result = await w.dispatcher.run_once()
    assert (result.released, result.placed) == ((cb,), (cb,))


async def test_a_second_press_in_the_same_call_stores_one_callback(world: World) -> None:
    w = world
    assert await _ask(w, "1740.5", T0) == await _ask(w, "1740.5", T0)


def test_queue_status_gives_waiting_callers_and_free_desks() -> None:
    now = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
    status = [
        {"Event": "QueueParams", "Queue": "q", "Holdtime": "40", "TalkTime": "250"},
        {"Event": "QueueMember", "Queue": "q", "Status": "1", "Paused": "0"},
        {"Event": "QueueMember", "Queue": "q", "Status": "2", "Paused": "0"},
        {"Event": "QueueMember", "Queue": "q", "Status": "1", "Paused": "1"},
        {"Event": "QueueEntry", "Queue": "q", "Uniqueid": "1.1", "Wait": "90"},
        {"Event": "QueueEntry", "Queue": "other", "Uniqueid": "2.2", "Wait": "5"},
    ]
    q = queue_now_from_status("q", status, now)
    assert (q.free_desks, q.desks_on_duty, q.talk_seconds, q.hold_seconds) == (1, 3, 250, 40)
    assert q.waiting == (InLine("caller", "1.1", now - timedelta(seconds=90)),)


async def test_an_answered_callback_on_its_way_to_the_queue_keeps_the_free_desk(
    world: World,
) -> None:
    w = world
    first = await _ask(w, "1740.5", T0 - timedelta(minutes=6))
    second = await _ask(w, "1740.6", T0 - timedelta(minutes=5))
    w.queue.now = QueueNow((), 1, 1, 300, None)
    w.originator.results = [CallResult.ANSWERED]
    assert (await w.dispatcher.run_once()).placed == (first,)
    await w.dispatcher.drain()
    (call,) = w.originator.placed
    # answered, hearing its intro: the desk still looks free, but it is the first's
    w.clock.now = T0 + timedelta(seconds=5)
    assert (await w.dispatcher.run_once()).placed == ()
    # in the queue now (a caller who joined just now): still first, by its own place
    just_joined = InLine("caller", call.channel_id, w.clock.now)
    w.queue.now = QueueNow((just_joined,), 1, 1, 300, None)
    assert (await w.dispatcher.run_once()).placed == ()
    # once it is through to the desk and the desk frees again, the next callback goes
    w.clock.now = T0 + timedelta(minutes=6)
    w.queue.now = QueueNow((), 1, 1, 300, None)
    w.originator.results = [CallResult.ANSWERED]
    assert (await w.dispatcher.run_once()).placed == (second,)
